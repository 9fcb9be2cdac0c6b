"""examples/01_cache_aside: cache-aside profiles in front of a real database,
TTL and delete-on-update; database queries counted by the database."""

import os
import sys

from conftest import EXAMPLES_DIR, example_env, run_example

sys.path.insert(0, EXAMPLES_DIR)
sys.path.insert(0, os.path.join(EXAMPLES_DIR, "01_cache_aside"))
from common import shopdata  # noqa: E402
from profiles import ProfileService  # noqa: E402


def test_demo(server, r, shop_db):
    out = run_example("01_cache_aside/demo.py", example_env(server, shop_db, EX1_REQUESTS=500))
    assert "hit rate" in out
    assert r.dbsize() == 0


def test_miss_hit_and_update_counted_by_the_database(server, r, shop_db):
    conn = shop_db.connect()
    svc = ProfileService(r, conn, ttl=600, prefix="t1:user")
    original = shopdata.user_profile(conn, 3)
    try:
        q0 = shop_db.query_count()
        assert svc.get(3) == original
        assert svc.get(3) == original
        assert shop_db.query_count() - q0 == 1
        assert 590 <= r.ttl(svc.key(3)) <= 600
        svc.update(3, name="Changed Name")
        assert r.exists(svc.key(3)) == 0
        assert svc.get(3)["name"] == "Changed Name"
        assert shop_db.query_count() - q0 == 3
        assert svc.get(10 ** 9) is None and r.exists(svc.key(10 ** 9)) == 0
    finally:
        shopdata.update_user(conn, 3, name=original["name"])
        conn.close()


def test_without_cache_every_request_queries(shop_db):
    conn = shop_db.connect()
    svc = ProfileService(None, conn)
    q0 = shop_db.query_count()
    for _ in range(5):
        svc.get(8)
    assert shop_db.query_count() - q0 == 5
    conn.close()
