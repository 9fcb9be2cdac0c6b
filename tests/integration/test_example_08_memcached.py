"""examples/08_memcached: cache-aside with pymemcache on Magpie's memcached
port (one keyspace with the Redis port). Magpie only: Redis has no memcached
protocol."""

import pytest

from conftest import IS_MAGPIE, example_env, free_port, run_example

pytestmark = pytest.mark.skipif(not IS_MAGPIE, reason="the memcached port is Magpie's")


def test_demo(server_factory, shop_db):
    port = free_port()
    s = server_factory(["--memcached-port", str(port)])
    out = run_example("08_memcached/demo.py", example_env(
        s, shop_db, MEMCACHED_ADDR="127.0.0.1:%d" % port, EX8_REQUESTS=500))
    assert "the Redis port saw the same item" in out
    c = s.client()
    assert c.dbsize() == 0
    c.close()
