"""examples/03_flask_api: a Flask API on a real HTTP server, responses cached
in the server under test, invalidated by PUT."""

import os
import sys

from conftest import EXAMPLES_DIR, example_env, run_example

sys.path.insert(0, EXAMPLES_DIR)
sys.path.insert(0, os.path.join(EXAMPLES_DIR, "03_flask_api"))
from common import shopdata  # noqa: E402
from product_api import Client, create_app, serve  # noqa: E402


def test_demo(server, r, shop_db):
    run_example("03_flask_api/demo.py", example_env(server, shop_db))
    assert r.dbsize() == 0


def test_cache_headers_invalidation_and_errors(r, shop_db):
    server = serve(create_app(shop_db, r, ttl=120, prefix="t3"))
    http = Client(server.port)
    conn = shop_db.connect()
    before = shopdata.product_detail(conn, 5)
    try:
        q0 = shop_db.query_count()
        assert http.call("GET", "/api/products/5")[:2] == (200, "MISS")
        status, cache, body, _ = http.call("GET", "/api/products/5")
        assert (status, cache, body) == (200, "HIT", before)
        assert shop_db.query_count() - q0 == 1
        assert 115 <= r.ttl("t3:product:5") <= 120
        cat = before["category"]
        assert http.call("GET", "/api/categories/%s/products" % cat)[1] == "MISS"
        assert http.call("PUT", "/api/products/5", {"stock": before["stock"] + 7})[0] == 200
        assert r.exists("t3:product:5", "t3:category:" + cat) == 0
        status, cache, body, _ = http.call("GET", "/api/products/5")
        assert cache == "MISS" and body["stock"] == before["stock"] + 7
        assert http.call("GET", "/api/products/999999")[0] == 404
        assert r.exists("t3:product:999999") == 0
        assert http.call("GET", "/api/categories/nope/products")[0] == 404
        assert http.call("PUT", "/api/products/5", {})[0] == 400
    finally:
        conn.execute("UPDATE products SET stock = %s WHERE id = %s", (before["stock"], 5))
        conn.close()
        http.http.close()
        server.stop()
        for k in r.scan_iter("t3:*"):
            r.delete(k)


def test_uncached_app_queries_every_time(shop_db):
    server = serve(create_app(shop_db, None))
    http = Client(server.port)
    try:
        q0 = shop_db.query_count()
        for _ in range(3):
            assert http.call("GET", "/api/products/9")[:2] == (200, "OFF")
        assert shop_db.query_count() - q0 == 3
    finally:
        http.http.close()
        server.stop()
