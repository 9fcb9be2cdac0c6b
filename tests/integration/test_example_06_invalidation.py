"""examples/06_invalidation: invalidation by pattern with SCAN (never KEYS), and
client-side caching invalidated by CLIENT TRACKING after a write elsewhere."""

import os
import sys

from conftest import EXAMPLES_DIR, example_env, run_example

sys.path.insert(0, EXAMPLES_DIR)
sys.path.insert(0, os.path.join(EXAMPLES_DIR, "06_invalidation"))
from invalidation import command_calls, invalidate  # noqa: E402


def test_demo(server, r, shop_db):
    out = run_example("06_invalidation/demo.py", example_env(server, shop_db))
    assert "0 KEYS" in out and "returned the new price" in out
    assert r.dbsize() == 0


def test_invalidate_removes_exactly_the_pattern(r, scale):
    n = scale(3000)
    pipe = r.pipeline(transaction=False)
    for i in range(n):
        pipe.set("t6:listing:books:page:%d" % i, "x")
        pipe.set("t6:listing:bookshelves:page:%d" % i, "x")
        pipe.set("t6:product:%d" % i, "x")
    pipe.execute()
    keys_before, scans_before = command_calls(r, "keys"), command_calls(r, "scan")
    assert invalidate(r, "t6:listing:books:*", count=100) == n
    assert command_calls(r, "keys") == keys_before
    assert command_calls(r, "scan") - scans_before > 1  # walked in slices (COUNT is a hint)
    assert r.dbsize() == 2 * n
    assert r.exists("t6:listing:bookshelves:page:0", "t6:product:0") == 2
    assert invalidate(r, "t6:listing:books:*") == 0
