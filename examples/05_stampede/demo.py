#!/usr/bin/python3
"""Example 5: 50 concurrent requests for an expired hot key cause exactly one
database query with the lock, proved by the database's own statistics; the
same burst without it causes many."""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import redis  # noqa: E402

from common import database, servers, shopdata  # noqa: E402
from stampede import HotCache  # noqa: E402

KEY = "ex5:report:top:books"


def burst(db, n, get):
    """n threads, each with its own connection, released together on a barrier."""
    conns = [db.connect() for _ in range(n)]
    barrier = threading.Barrier(n)
    results, errors = [None] * n, []

    def one(i):
        try:
            barrier.wait(30)
            results[i] = get(lambda: shopdata.top_products(conns[i], "books", 90))
        except Exception as e:  # noqa: BLE001 (reported below)
            errors.append(e)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    q0 = db.query_count()
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    queries = db.query_count() - q0
    for c in conns:
        c.close()
    assert not errors, errors
    return results, queries


def expire_hot_key(r):
    """Put the value in with a 50 ms TTL and wait until the server has expired it."""
    r.set(KEY, "[]", px=50)
    deadline = time.monotonic() + 10
    while r.exists(KEY) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not r.exists(KEY)


def run(db, r, n=50):
    cache = HotCache(r, ttl=60)
    try:
        expire_hot_key(r)
        naive, naive_q = burst(db, n, lambda f: cache.get_unprotected(KEY, f))
        assert all(x == naive[0] for x in naive)
        print("without a lock: %d concurrent requests for the expired key ran %d database "
              "queries" % (n, naive_q))

        expire_hot_key(r)
        locked, locked_q = burst(db, n, lambda f: cache.get(KEY, f))
        assert all(x == locked[0] for x in locked) and locked[0] == naive[0]
        assert locked_q == 1, locked_q
        assert r.exists(KEY + ":lock") == 0
        print("with SET NX EX + token release: %d requests ran %d database query (%s's count)"
              % (n, locked_q, db.kind))

        # the release script deletes only the caller's own lock
        r.set(KEY + ":lock", "someone-else", px=10000)
        assert cache.release(KEY + ":lock", "my-token") == 0
        assert r.get(KEY + ":lock") == b"someone-else"
        assert cache.release(KEY + ":lock", "someone-else") == 1
        print("the Lua release left another client's lock alone and deleted its own")
        return naive_q, locked_q
    finally:
        r.delete(KEY, KEY + ":lock")


def main():
    db = database.from_env()
    r = redis.Redis.from_url(servers.redis_url(), max_connections=200)
    try:
        naive_q, locked_q = run(db, r)
    finally:
        r.close()
    print("DEMONSTRATED: stampede protection: 50 concurrent misses on an expired hot key -> "
          "%d database query with the lock vs %d without (counted by %s)"
          % (locked_q, naive_q, db.kind))


if __name__ == "__main__":
    main()
