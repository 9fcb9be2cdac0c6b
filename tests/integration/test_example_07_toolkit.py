"""examples/07_rate_limit_leaderboard_sessions."""

import os
import sys

from conftest import EXAMPLES_DIR, example_env, run_example

sys.path.insert(0, EXAMPLES_DIR)
sys.path.insert(0, os.path.join(EXAMPLES_DIR, "07_rate_limit_leaderboard_sessions"))
from toolkit import FixedWindowLimiter, Leaderboard, SlidingWindowLimiter  # noqa: E402


def test_demo(server, r, shop_db):
    out = run_example("07_rate_limit_leaderboard_sessions/demo.py", example_env(server, shop_db))
    assert "top 10 identical to SQL's ORDER BY" in out
    assert r.dbsize() == 0


def test_limiters_hold_at_window_edges(r):
    fixed = FixedWindowLimiter(r, limit=3, window_s=10, prefix="t7:f")
    assert [fixed.allow("c", 100.0 + i) for i in range(5)] == [True] * 3 + [False] * 2
    assert fixed.allow("c", 110.0)  # next aligned window
    sliding = SlidingWindowLimiter(r, limit=3, window_s=10, prefix="t7:s")
    # 3 requests late in one aligned window, then more just after its edge:
    # a fixed window would allow 3 more; the sliding window allows none yet.
    assert [sliding.allow("c", t) for t in (108.0, 109.0, 109.5)] == [True] * 3
    assert [sliding.allow("c", t) for t in (110.5, 111.0)] == [False, False]
    assert sliding.allow("c", 130.0)


def test_leaderboard_ranks(r):
    board = Leaderboard(r, "t7:lb")
    board.load([(1, 50), (2, 70), (3, 10)])
    assert board.top(2) == [(2, 70), (1, 50)] and board.rank(3) == 2
    board.add(3, 100)
    assert board.top(1) == [(3, 110)] and board.rank(2) == 1 and board.rank(99) is None
