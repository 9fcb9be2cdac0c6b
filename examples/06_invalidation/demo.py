#!/usr/bin/python3
"""Example 6: invalidation by pattern with SCAN (a category's price change
drops its cached listing pages and nothing else), then client-side caching:
a process-local copy that CLIENT TRACKING invalidates when another process
changes the product (examples/near_cache/near_cache.py)."""

import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "near_cache"))
import redis  # noqa: E402

from common import database, servers, shopdata  # noqa: E402
from invalidation import command_calls, invalidate  # noqa: E402
from near_cache import NearCache  # noqa: E402

PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
P = "ex6"
# Another process (an admin tool) changes a product: database, then DEL.
ADMIN = """
import sys
sys.path.insert(0, sys.argv[1])
import redis
from common import database
db = database.attach(sys.argv[2])
conn = db.connect()
conn.execute("UPDATE products SET price_cents = price_cents + 1 WHERE id = %s", (int(sys.argv[4]),))
redis.Redis.from_url(sys.argv[3]).delete("ex6:product:" + sys.argv[4])
"""


def listing_pages(conn, category, pages=25, per_page=8):
    rows = shopdata.category_listing(conn, category, limit=pages * per_page)
    return [rows[i:i + per_page] for i in range(0, len(rows), per_page)]


def wait_for(cond, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.005)


def scan_part(db, r, conn):
    for cat in shopdata.CATEGORIES:
        pipe = r.pipeline(transaction=False)
        for n, page in enumerate(listing_pages(conn, cat)):
            pipe.setex("%s:listing:%s:page:%d" % (P, cat, n), 600, json.dumps(page))
        pipe.execute()
    pipe = r.pipeline(transaction=False)
    for uid in range(1, 2001):
        pipe.setex("%s:user:%d:profile" % (P, uid), 600, "{}")
        pipe.setex("%s:user:%d:cart" % (P, uid), 600, "[]")
    pipe.execute()
    total = sum(1 for _ in r.scan_iter(P + ":*", count=1000))
    books = sum(1 for _ in r.scan_iter(P + ":listing:books:*", count=1000))

    conn.execute("UPDATE products SET price_cents = price_cents + 100 WHERE category = %s",
                 ("books",))
    scans0, keys0 = command_calls(r, "scan"), command_calls(r, "keys")
    removed = invalidate(r, P + ":listing:books:*", count=500)
    scans = command_calls(r, "scan") - scans0
    assert removed == books and command_calls(r, "keys") == keys0
    left = sum(1 for _ in r.scan_iter(P + ":*", count=1000))
    assert left == total - books
    assert not list(r.scan_iter(P + ":listing:books:*"))
    assert r.exists(P + ":listing:music:page:0", P + ":user:7:cart") == 2
    conn.execute("UPDATE products SET price_cents = price_cents - 100 WHERE category = %s",
                 ("books",))
    print("books repriced: SCAN MATCH ex6:listing:books:* removed %d of %d keys in %d SCAN "
          "calls, 0 KEYS; the other %d keys stayed" % (removed, total, scans, left))
    return removed, total


def tracking_part(db, r, conn):
    pid = 33
    key = "%s:product:%d" % (P, pid)
    near = NearCache(servers.redis_url())
    try:
        def read():
            v = near.get(key)
            if v is None:  # Magpie miss: read the database and fill Magpie
                row = shopdata.product_detail(conn, pid)
                r.setex(key, 600, json.dumps(row))
                return row
            return json.loads(v)

        first = read()  # Magpie miss: the local copy is the nil reply...
        wait_for(lambda: key.encode() not in near.local)  # ...dropped when SETEX filled Magpie
        read()
        q0, gets0 = db.query_count(), command_calls(r, "get")
        for _ in range(1000):
            assert read() == first
        assert db.query_count() == q0 and command_calls(r, "get") == gets0
        print("near cache: 1,000 reads served from process memory: 0 network round trips, "
              "0 database queries")
        here = os.path.dirname(HERE)
        subprocess.run([PYTHON, "-c", ADMIN, here, db.env()["EXAMPLES_DB"],
                        servers.redis_url(), str(pid)], check=True, timeout=60)
        wait_for(lambda: key.encode() not in near.local)
        fresh = read()
        assert fresh["price_cents"] == first["price_cents"] + 1
        print("another process repriced product %d and DEL'd its key: the invalidation dropped "
              "the local copy, the next read returned the new price" % pid)
        conn.execute("UPDATE products SET price_cents = %s WHERE id = %s",
                     (first["price_cents"], pid))
        return near.invalidations
    finally:
        near.close()


def main():
    db = database.from_env()
    conn = db.connect()
    r = redis.Redis.from_url(servers.redis_url())
    try:
        removed, total = scan_part(db, r, conn)
        invalidations = tracking_part(db, r, conn)
    finally:
        invalidate(r, P + ":*")
        conn.close()
        r.close()
    print("DEMONSTRATED: pattern invalidation with SCAN removed exactly %d of %d keys (no KEYS); "
          "CLIENT TRACKING invalidated a process-local copy after a write elsewhere (%d "
          "invalidation messages)" % (removed, total, invalidations))


if __name__ == "__main__":
    main()
