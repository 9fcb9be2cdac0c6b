#!/usr/bin/python3
"""Example 2: a caching decorator on a genuinely slow query: a category's
revenue ranking over a date range (orders x order lines x products)."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import redis  # noqa: E402

from common import database, servers, shopdata  # noqa: E402
from slowcache import cached  # noqa: E402

db = database.from_env()
conn = db.connect()
r = redis.Redis.from_url(servers.redis_url())


@cached(r, ttl=60, prefix="ex2")
def top_products(category, days=90, limit=10):
    return shopdata.top_products(conn, category, days, limit)


@cached(r, ttl=1, prefix="ex2")
def products_in(category):
    return [p["id"] for p in shopdata.category_listing(conn, category, limit=5)]


def timed(f, *a, **kw):
    q = db.query_count()
    t = time.perf_counter()
    v = f(*a, **kw)
    return v, (time.perf_counter() - t) * 1000, db.query_count() - q


def main():
    try:
        first, ms1, q1 = timed(top_products, "books")
        again, ms2, q2 = timed(top_products, "books", days=90)
        same, ms3, q3 = timed(top_products, category="books", days=90, limit=10)
        assert first == again == same and (q1, q2, q3) == (1, 0, 0), (q1, q2, q3)
        assert len({top_products.key_for("books"), top_products.key_for("books", 90, 10)}) == 1
        print("top_products('books'): miss %.2f ms (1 query), hits %.2f / %.2f ms (0 queries); "
              "#1 is %s" % (ms1, ms2, ms3, first[0]["name"]))
        _, _, q4 = timed(top_products, "books", days=30)
        assert q4 == 1
        assert 55 <= r.ttl(top_products.key_for("books")) <= 60
        info = top_products.cache_info()
        assert (info["hits"], info["misses"]) == (2, 2) == (info["shared_hits"],
                                                           info["shared_misses"])
        print("different arguments are a different entry; TTL 60 s; counters %s" % info)

        products_in("toys")
        deadline = time.monotonic() + 10
        while r.exists(products_in.key_for("toys")) and time.monotonic() < deadline:
            time.sleep(0.05)
        _, _, q5 = timed(products_in, "toys")
        assert q5 == 1 and products_in.misses == 2
        print("a 1 s entry expired and the next call ran the query again")

        assert top_products.invalidate("books") == 1
        _, _, q6 = timed(top_products, "books")
        assert q6 == 1
        cleared = top_products.cache_clear()
        assert cleared == 2 and not list(r.scan_iter("ex2:*top_products*"))
        print("invalidate() dropped one entry; cache_clear() dropped %d with SCAN" % cleared)
    finally:
        top_products.cache_clear()
        products_in.cache_clear()
        conn.close()
        r.close()
    print("DEMONSTRATED: @cached: a %.1f ms revenue-ranking query served from cache in %.2f ms "
          "(key from bound arguments, TTL, hit/miss counters 2/2, SCAN-based clear)" % (ms1, ms2))


if __name__ == "__main__":
    main()
