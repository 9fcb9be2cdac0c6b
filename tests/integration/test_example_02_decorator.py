"""examples/02_decorator: @cached on slow database functions: keys from bound
arguments, TTL, hit/miss counters, falsy results cached, SCAN-based clear."""

import os
import sys

from conftest import EXAMPLES_DIR, example_env, run_example

sys.path.insert(0, EXAMPLES_DIR)
sys.path.insert(0, os.path.join(EXAMPLES_DIR, "02_decorator"))
from slowcache import cached  # noqa: E402


def test_demo(server, r, shop_db):
    run_example("02_decorator/demo.py", example_env(server, shop_db))
    assert r.dbsize() == 0


def test_keys_falsy_results_and_clear(r):
    calls = []

    @cached(r, ttl=30, prefix="t2")
    def lookup(name, limit=5, *, exact=False):
        calls.append((name, limit, exact))
        return [] if name == "none" else {"name": name, "limit": limit}

    assert lookup("a") == lookup("a", 5) == lookup(name="a", limit=5, exact=False)
    assert len(calls) == 1
    assert lookup("a", exact=True) and len(calls) == 2
    assert lookup("none") == [] and lookup("none") == [] and len(calls) == 3
    info = lookup.cache_info()
    assert (info["hits"], info["misses"]) == (3, 3) == (info["shared_hits"],
                                                       info["shared_misses"])
    assert 25 <= r.ttl(lookup.key_for("a")) <= 30
    long_key = lookup.key_for("x" * 500)
    assert len(long_key) < 200 and ":sha1:" in long_key
    for i in range(1200):  # more than one SCAN batch
        lookup("k%d" % i)
    r.set("t2:unrelated", "stays")
    assert lookup.cache_clear() == 1203
    assert r.get("t2:unrelated") == b"stays"
    assert list(r.scan_iter("t2:*")) == [b"t2:unrelated"]
