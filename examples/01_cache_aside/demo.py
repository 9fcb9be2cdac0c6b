#!/usr/bin/python3
"""Example 1: cache-aside user profiles in front of a real database.

Reads a profile twice (a miss that runs the profile query, then a hit that
does not), renames the user (database first, then DEL), reads the new name,
lets a short TTL expire, and finally serves a skewed stream of profile
requests, counting database queries with the database's own statistics.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import redis  # noqa: E402

from common import database, servers, shopdata, zipf_ids  # noqa: E402
from profiles import ProfileService  # noqa: E402


def timed(f, *a):
    t = time.perf_counter()
    v = f(*a)
    return v, (time.perf_counter() - t) * 1000


def main():
    db = database.from_env()
    conn = db.connect()
    r = redis.Redis.from_url(servers.redis_url())
    svc = ProfileService(r, conn, ttl=3600, prefix="ex1:user")
    n_users = shopdata.counts(conn)["users"]
    uid = 42
    original = shopdata.user_profile(conn, uid)["name"]
    try:
        q0 = db.query_count()
        p1, ms1 = timed(svc.get, uid)
        q1 = db.query_count()
        p2, ms2 = timed(svc.get, uid)
        q2 = db.query_count()
        assert p1 == p2 and (q1 - q0, q2 - q1) == (1, 0), (q0, q1, q2)
        assert 3590 <= r.ttl(svc.key(uid)) <= 3600
        print("user %d: miss %.2f ms (1 query: %d orders, %d cents), hit %.2f ms (0 queries)"
              % (uid, ms1, p1["orders"], p1["spent_cents"], ms2))

        svc.update(uid, name="Ada Renamed")
        assert r.exists(svc.key(uid)) == 0
        assert svc.get(uid)["name"] == "Ada Renamed"
        assert db.query_count() - q2 == 2  # the UPDATE and the re-read
        print("rename: UPDATE, then DEL; the next read returned the new name")

        short = ProfileService(r, conn, ttl=1, prefix="ex1:short")
        short.get(7)
        deadline = time.monotonic() + 10
        while r.exists(short.key(7)) and time.monotonic() < deadline:
            time.sleep(0.05)
        q3 = db.query_count()
        short.get(7)
        assert db.query_count() - q3 == 1 and short.misses == 2
        print("TTL: a 1 s entry expired and the next read queried the database again")

        requests = zipf_ids(n_users, int(os.environ.get("EX1_REQUESTS", "3000")))
        svc.hits = svc.misses = 0
        q4 = db.query_count()
        t = time.perf_counter()
        for u in requests:
            svc.get(u)
        secs = time.perf_counter() - t
        queries = db.query_count() - q4
        distinct = len(set(requests) - {uid})
        assert queries == svc.misses <= distinct + 1
        print("%d skewed requests over %d users: %d database queries, hit rate %.1f%%, "
              "%.0f requests/s (%s)" % (len(requests), n_users, queries,
                                         100.0 * svc.hits / len(requests),
                                         len(requests) / secs, db.describe()))
    finally:
        shopdata.update_user(conn, uid, name=original)
        keys = list(r.scan_iter("ex1:*", count=1000))
        if keys:
            r.delete(*keys)
        conn.close()
        r.close()
    print("DEMONSTRATED: cache-aside profiles: miss=1 query, hit=0 (counted by %s), "
          "delete-on-update served the new name, TTL expiry refetched; %d requests cost %d "
          "queries" % (db.kind, len(requests), queries))


if __name__ == "__main__":
    main()
