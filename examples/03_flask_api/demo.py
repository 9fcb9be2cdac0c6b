#!/usr/bin/python3
"""Example 3: a Flask product API over real HTTP with cached responses and
invalidation on change; database queries counted by the database."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import redis  # noqa: E402

from common import database, servers, shopdata  # noqa: E402
from product_api import Client, create_app, serve  # noqa: E402


def main():
    db = database.from_env()
    r = redis.Redis.from_url(servers.redis_url())
    server = serve(create_app(db, r, ttl=300, prefix="ex3"))
    client = Client(server.port)
    conn = db.connect()
    pid = 12
    original = shopdata.product_detail(conn, pid)
    try:
        q0 = db.query_count()
        s1, c1, p1, ms1 = client.call("GET", "/api/products/%d" % pid)
        s2, c2, p2, ms2 = client.call("GET", "/api/products/%d" % pid)
        assert (s1, c1, s2, c2) == (200, "MISS", 200, "HIT") and p1 == p2
        assert db.query_count() - q0 == 1
        print("GET /api/products/%d: MISS %.2f ms, HIT %.2f ms (1 database query)"
              % (pid, ms1, ms2))
        cat = p1["category"]
        s3, c3, l1, ms3 = client.call("GET", "/api/categories/%s/products" % cat)
        s4, c4, l2, ms4 = client.call("GET", "/api/categories/%s/products" % cat)
        assert (c3, c4) == ("MISS", "HIT") and l1 == l2
        print("GET /api/categories/%s/products: MISS %.2f ms, HIT %.2f ms" % (cat, ms3, ms4))

        q1 = db.query_count()
        s5, _, _, _ = client.call("PUT", "/api/products/%d" % pid,
                                  {"price_cents": p1["price_cents"] + 100})
        assert s5 == 200
        assert r.exists("ex3:product:%d" % pid, "ex3:category:%s" % cat) == 0
        s6, c6, p3, _ = client.call("GET", "/api/products/%d" % pid)
        assert c6 == "MISS" and p3["price_cents"] == p1["price_cents"] + 100
        _, c7, l3, _ = client.call("GET", "/api/categories/%s/products" % cat)
        assert c7 == "MISS"
        assert [x for x in l3 if x["id"] == pid] in ([], [dict(
            [x for x in l1 if x["id"] == pid][0], price_cents=p1["price_cents"] + 100)])
        print("PUT price: the product and its category listing were invalidated; the next GETs "
              "returned the new price (%d database statements)" % (db.query_count() - q1))
        s8, _, _, _ = client.call("GET", "/api/products/99999999")
        assert s8 == 404
    finally:
        conn.execute("UPDATE products SET price_cents = %s WHERE id = %s",
                     (original["price_cents"], pid))
        conn.close()
        client.http.close()
        server.stop()
        keys = list(r.scan_iter("ex3:*", count=1000))
        if keys:
            r.delete(*keys)
        r.close()
    print("DEMONSTRATED: Flask API over HTTP: MISS %.2f ms -> HIT %.2f ms with 1 database "
          "query for both; PUT invalidated product + category, next GET fresh" % (ms1, ms2))


if __name__ == "__main__":
    main()
