"""Key expiry: active expiry of unread keys, PX precision, TTL/PTTL edge values."""

import time

import pytest
import redis

from conftest import SANITIZED


def wait_until(pred, timeout, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()


def test_active_expiry_of_unread_keys(r, scale):
    """100k keys with a 1 s TTL vanish from DBSIZE within ~5 s, never read."""
    n = scale(100000)
    r.config_resetstat()
    loaded_by = time.monotonic() + 1
    p = r.pipeline(transaction=False)
    for i in range(n):
        p.set(b"exp:%d" % i, b"v", ex=1)
        if i % 10000 == 9999:
            p.execute()
    p.execute()
    r.set(b"persistent", b"v")
    # on a loaded machine the first keys may expire before the last are written
    if time.monotonic() < loaded_by:
        assert r.dbsize() == n + 1
    t0 = time.monotonic()
    # DBSIZE does not touch the keys, so only active expiry can shrink it
    assert wait_until(lambda: r.dbsize() == 1, timeout=1 + (15 if SANITIZED else 5)), (
        "dbsize still %d after %.1fs" % (r.dbsize(), time.monotonic() - t0))
    assert r.get(b"persistent") == b"v"
    stats = r.info("stats")
    assert stats["expired_keys"] == n
    assert r.info("keyspace") == {"db0": {"keys": 1, "expires": 0, "avg_ttl": 0}}


def test_active_expiry_in_other_db(server, r):
    c = redis.Redis(port=server.port, db=7)
    for i in range(100):
        c.set("k%d" % i, "v", px=200)
    assert c.dbsize() == 100
    assert wait_until(lambda: c.dbsize() == 0, timeout=5)
    c.close()


def test_px_precision(r):
    r.set("k", "v", px=300)
    time.sleep(0.1)
    assert r.get("k") == b"v"
    pttl = r.pttl("k")
    assert 0 < pttl <= 200
    time.sleep(0.35)
    assert r.get("k") is None
    assert r.exists("k") == 0
    assert r.ttl("k") == -2
    assert r.pttl("k") == -2


def test_pexpire_precision(r):
    r.set("k", "v")
    r.pexpire("k", 150)
    t0 = time.monotonic()
    assert r.exists("k") == 1
    while r.exists("k") and time.monotonic() - t0 < 2:
        time.sleep(0.005)
    elapsed = time.monotonic() - t0
    assert 0.12 <= elapsed <= 0.5, elapsed


def test_ttl_rounding(rc):
    rc.cmd("SET", "k", "v", "PX", "1900")
    # TTL rounds the remaining milliseconds to the nearest second
    assert rc.cmd("TTL", "k") == b":2\r\n"
    rc.cmd("SET", "k", "v", "PX", "1300")
    assert rc.cmd("TTL", "k") == b":1\r\n"
    rc.cmd("SET", "k", "v", "PX", "400")
    assert rc.cmd("TTL", "k") == b":0\r\n"
    rc.cmd("SET", "k", "v", "EX", "10")
    assert rc.cmd("TTL", "k") == b":10\r\n"


def test_ttl_pttl_special_values(rc):
    assert rc.cmd("TTL", "none") == b":-2\r\n"
    assert rc.cmd("PTTL", "none") == b":-2\r\n"
    rc.cmd("SET", "p", "v")
    assert rc.cmd("TTL", "p") == b":-1\r\n"
    assert rc.cmd("PTTL", "p") == b":-1\r\n"
    assert rc.cmd("TTL") == b"-ERR wrong number of arguments for 'ttl' command\r\n"
    assert rc.cmd("PTTL", "a", "b") == b"-ERR wrong number of arguments for 'pttl' command\r\n"


def test_which_writes_keep_ttl(r):
    def ttl_after(op):
        r.set("k", "5", ex=100)
        op()
        return r.ttl("k")

    assert ttl_after(lambda: r.set("k", "x")) == -1
    assert ttl_after(lambda: r.getset("k", "x")) == -1
    assert ttl_after(lambda: r.mset({"k": "x"})) == -1
    assert ttl_after(lambda: r.execute_command("GETEX", "k", "PERSIST")) == -1
    assert ttl_after(lambda: r.execute_command("INCR", "k")) > 0
    assert ttl_after(lambda: r.execute_command("DECRBY", "k", "2")) > 0
    assert ttl_after(lambda: r.incrbyfloat("k", 1.5)) > 0
    assert ttl_after(lambda: r.append("k", "x")) > 0
    assert ttl_after(lambda: r.setrange("k", 0, "x")) > 0
    assert ttl_after(lambda: r.set("k", "x", keepttl=True)) > 0
    assert ttl_after(lambda: r.get("k")) > 0


def test_expired_key_behaviour(r):
    r.set("gone", "1", px=20)
    r.set("other", "x")
    time.sleep(0.06)
    r.config_resetstat()
    assert r.get("gone") is None
    assert r.info("stats")["keyspace_misses"] == 1
    with pytest.raises(redis.ResponseError, match="no such key"):
        r.rename("gone", "x")
    r.set("gone2", "5", px=20)
    time.sleep(0.06)
    assert r.incr("gone2") == 1           # starts from scratch
    assert r.ttl("gone2") == -1
    r.set("gone3", "abc", px=20)
    time.sleep(0.06)
    assert r.append("gone3", "d") == 1
    assert r.set("gone4", "v", px=20)
    time.sleep(0.06)
    assert r.set("gone4", "new", nx=True) is True
    assert r.exists("gone", "gone4", "other") == 2
    assert sorted(r.keys("gone*")) == [b"gone2", b"gone3", b"gone4"]


def test_expired_keys_not_in_scan_or_randomkey(r):
    for i in range(50):
        r.set("dead%d" % i, "v", px=10)
    r.set("alive", "v")
    time.sleep(0.05)
    assert list(r.scan_iter(count=1000)) == [b"alive"]
    for _ in range(5):
        assert r.randomkey() == b"alive"


def test_expire_then_persist_survives(r):
    r.set("k", "v", px=200)
    assert r.persist("k") is True
    time.sleep(0.3)
    assert r.get("k") == b"v"


def test_copy_and_move_keep_ttl_deadline(r):
    r.set("src", "v", px=300)
    assert r.copy("src", "dst") is True
    assert 0 < r.pttl("dst") <= 300
    time.sleep(0.4)
    assert r.exists("src", "dst") == 0
