"""pymemcache's client classes against Magpie's memcached port."""
import pytest
from pymemcache.client.base import Client, PooledClient
from pymemcache.client.hash import HashClient
from pymemcache import serde

from conftest import free_port


def mc_server(server_factory):
    port = free_port()
    s = server_factory(["--memcached-port", str(port)])
    s.mc_port = port
    return s


@pytest.fixture
def magpie_mc(server_factory, is_magpie):
    if not is_magpie:
        pytest.skip("Magpie's memcached port")
    return mc_server(server_factory)


def test_pooled_client_with_serde(magpie_mc):
    c = PooledClient(("127.0.0.1", magpie_mc.mc_port), serde=serde.pickle_serde, max_pool_size=4)
    c.set("obj", {"a": [1, 2, 3]}, expire=60)
    assert c.get("obj") == {"a": [1, 2, 3]}
    c.set_many({"x": 1, "y": "two"})
    assert c.get_many(["x", "y", "missing"]) == {"x": 1, "y": "two"}
    value, cas = c.gets("x")
    assert value == 1 and cas is not None
    assert c.cas("x", 5, cas) is True
    assert c.cas("x", 6, cas) is False
    assert c.incr("counter", 1) is None
    c.set("counter", "10")
    assert c.incr("counter", 5) == 15
    assert c.decr("counter", 20) == 0
    assert c.touch("x", 100) is True
    c.delete_many(["x", "y"])
    assert c.get("x") is None
    stats = c.stats()
    assert stats[b"cmd_get"] > 0 and stats[b"get_hits"] > 0
    c.close()


def test_hash_client_spreads_keys_and_skips_a_stopped_node(server_factory, is_magpie):
    if not is_magpie:
        pytest.skip("Magpie's memcached port")
    nodes = [mc_server(server_factory) for _ in range(3)]
    hc = HashClient([("127.0.0.1", n.mc_port) for n in nodes], ignore_exc=True,
                    retry_attempts=1, dead_timeout=60, connect_timeout=1, timeout=2)
    keys = ["user:%d" % i for i in range(300)]
    for k in keys:
        assert hc.set(k, k.encode(), noreply=False)
    # Every node holds some of the keys, and they are readable through Redis too.
    per_node = [n.client().dbsize() for n in nodes]
    assert all(count > 0 for count in per_node), per_node
    assert sum(per_node) == len(keys)
    assert hc.get_many(keys[:50]) == {k: k.encode() for k in keys[:50]}
    nodes[1].stop()
    # With ignore_exc a dead node reads as misses and writes are dropped, not raised.
    got = {k: hc.get(k) for k in keys}
    assert sum(v is not None for v in got.values()) == sum(per_node) - per_node[1]
    hc.set("after-stop", b"v")
    hc.close()
