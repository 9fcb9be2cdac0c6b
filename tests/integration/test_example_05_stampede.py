"""examples/05_stampede: 50 concurrent misses on an expired hot key run the
query exactly once, by the database's own count."""

import os
import sys
import threading

from conftest import EXAMPLES_DIR, example_env, run_example

sys.path.insert(0, EXAMPLES_DIR)
sys.path.insert(0, os.path.join(EXAMPLES_DIR, "05_stampede"))
from common import shopdata  # noqa: E402
from stampede import HotCache  # noqa: E402


def test_demo(server, r, shop_db):
    out = run_example("05_stampede/demo.py", example_env(server, shop_db))
    assert "50 requests ran 1 database query" in out
    assert r.dbsize() == 0


def burst(db, n, fn):
    conns = [db.connect() for _ in range(n)]
    barrier = threading.Barrier(n)
    results, errors = [], []

    def one(i):
        try:
            barrier.wait(30)
            results.append(fn(conns[i]))
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    q0 = db.query_count()
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    for c in conns:
        c.close()
    assert not errors, errors
    return results, db.query_count() - q0


def test_fifty_concurrent_misses_one_query(server, shop_db):
    r = server.client(max_connections=100)
    cache = HotCache(r, ttl=30)
    r.delete("t5:hot", "t5:hot:lock")
    results, queries = burst(shop_db, 50, lambda c: cache.get(
        "t5:hot", lambda: shopdata.top_products(c, "games", 180)))
    assert queries == 1
    assert len(results) == 50 and all(x == results[0] for x in results) and results[0]
    assert r.exists("t5:hot:lock") == 0 and r.ttl("t5:hot") > 0
    r.delete("t5:hot")
    r.close()


def test_a_dead_lock_holder_is_taken_over(r, shop_db):
    cache = HotCache(r, ttl=30)
    r.set("t5:cold:lock", "crashed-client", px=300)  # its holder died without releasing
    conn = shop_db.connect()
    q0 = shop_db.query_count()
    value = cache.get("t5:cold", lambda: shopdata.top_products(conn, "toys", 30))
    assert value == shopdata.top_products(conn, "toys", 30)
    assert shop_db.query_count() - q0 == 2  # ours, then the comparison
    assert r.exists("t5:cold:lock") == 0
    conn.close()
    r.delete("t5:cold")


def test_release_only_deletes_our_own_lock(r):
    cache = HotCache(r)
    r.set("t5:x:lock", "theirs", ex=10)
    assert cache.release("t5:x:lock", "mine") == 0 and r.get("t5:x:lock") == b"theirs"
    assert cache.release("t5:x:lock", "theirs") == 1 and r.exists("t5:x:lock") == 0
