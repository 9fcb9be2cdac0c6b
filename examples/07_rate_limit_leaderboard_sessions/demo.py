#!/usr/bin/python3
"""Example 7: a rate limiter (fixed and sliding window), a leaderboard of top
spenders built from the database's orders, and sessions with sliding TTL."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import redis  # noqa: E402

from common import database, servers, shopdata  # noqa: E402
from toolkit import FixedWindowLimiter, Leaderboard, Sessions, SlidingWindowLimiter  # noqa: E402

P = "ex7"


def rate_limits(r):
    fixed = FixedWindowLimiter(r, limit=10, window_s=60, prefix=P + ":rl:fixed")
    now = 60 * 16667 + 20.0  # 20 s into a window
    got = [fixed.allow("10.0.0.1", now + i * 0.1) for i in range(15)]
    assert got == [True] * 10 + [False] * 5
    assert fixed.allow("10.0.0.2", now)  # another client has its own budget
    assert fixed.allow("10.0.0.1", now + 40)  # the next window starts fresh
    assert 0 < r.ttl("%s:rl:fixed:10.0.0.1:%d" % (P, int(now // 60))) <= 60

    sliding = SlidingWindowLimiter(r, limit=5, window_s=1.0, prefix=P + ":rl:sliding")
    t = time.time()
    got = [sliding.allow("alice", t + i * 0.01) for i in range(8)]
    assert got == [True] * 5 + [False] * 3
    assert sliding.allow("alice", t + 2.5)  # the old entries left the window
    print("rate limits: fixed window allowed 10 of 15 in a minute; sliding window 5 of 8 "
          "in a second, then recovered")


def leaderboard(r, conn):
    n_users = shopdata.counts(conn)["users"]
    spenders = shopdata.top_spenders(conn, limit=n_users)
    board = Leaderboard(r, P + ":lb:spenders")
    board.load(spenders)
    assert board.top(10) == spenders[:10], (board.top(10), spenders[:10])
    tenth_uid, tenth = spenders[9]
    assert board.rank(tenth_uid) == 9
    outsider, spent = spenders[50]
    board.add(outsider, spenders[0][1] - spent + 1)  # a big new order
    assert board.top(1) == [(outsider, spenders[0][1] + 1)] and board.rank(outsider) == 0
    print("leaderboard: %d users from the orders table; top 10 identical to SQL's ORDER BY; "
          "ZINCRBY moved user %d from rank 50 to 0" % (len(spenders), outsider))
    return len(spenders)


def sessions(r, conn):
    s = Sessions(r, ttl_s=1800, prefix=P + ":session")
    user = shopdata.user_profile(conn, 5)
    sid = s.start({"user_id": user["id"], "name": user["name"]})
    assert s.get(sid) == {"user_id": "5", "name": user["name"]}
    assert 1790 <= r.ttl(P + ":session:" + sid) <= 1800
    assert s.end(sid) and s.get(sid) is None
    short = Sessions(r, ttl_s=1, prefix=P + ":session")
    sid = short.start({"user_id": 6})
    deadline = time.monotonic() + 10
    while r.exists(P + ":session:" + sid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert short.get(sid) is None
    print("sessions: a hash with a 30 min sliding TTL; logout deleted it; an idle 1 s session "
          "expired")


def main():
    db = database.from_env()
    conn = db.connect()
    r = redis.Redis.from_url(servers.redis_url())
    try:
        rate_limits(r)
        n = leaderboard(r, conn)
        sessions(r, conn)
    finally:
        keys = list(r.scan_iter(P + ":*", count=1000))
        if keys:
            r.delete(*keys)
        conn.close()
        r.close()
    print("DEMONSTRATED: fixed/sliding-window rate limits, a %d-user leaderboard matching the "
          "database's ranking, sessions with sliding TTL and logout" % n)


if __name__ == "__main__":
    main()
