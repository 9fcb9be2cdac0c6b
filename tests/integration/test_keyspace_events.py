"""Keyspace notifications (notify-keyspace-events), compared with redis-server
7.0: the same commands run on both, a subscriber to __keyspace@*__:* and
__keyevent@*__:* on another connection (on the other worker) records every
event, and the two records must be identical — class, event name, key,
database and order."""

import time

import pytest

from conftest import RawConn, encode_command, parse_reply

# Each scenario runs on empty databases. The reply of every command is also
# compared, so a scenario that diverges in behaviour shows up as well.
SCENARIOS = {
    "string": [
        ("SET", "s", "1"), ("SET", "s", "2", "EX", "100"), ("SET", "s", "3", "KEEPTTL"),
        ("SET", "s", "4", "NX"), ("SET", "s", "5", "XX", "GET"), ("SETNX", "n", "1"),
        ("SETNX", "n", "2"), ("SETEX", "e", "10", "v"), ("PSETEX", "p", "10000", "v"),
        ("MSET", "a", "1", "b", "2"), ("MSETNX", "c", "1", "d", "2"), ("MSETNX", "c", "1", "z", "1"),
        ("GETSET", "a", "9"), ("APPEND", "a", "x"), ("APPEND", "new", "x"),
        ("SETRANGE", "a", "3", "yy"), ("SETRANGE", "sr", "0", ""), ("INCR", "i"),
        ("DECR", "i"), ("INCRBY", "i", "5"), ("DECRBY", "i", "2"), ("INCRBYFLOAT", "f", "1.5"),
        ("GETDEL", "a"), ("GETDEL", "a"), ("GETEX", "b", "EX", "100"), ("GETEX", "b", "PERSIST"),
        ("GETEX", "b"), ("SET", "g", "v"), ("GETEX", "g", "PXAT", "1"), ("SET", "s", "x", "PX", "0"),
    ],
    "generic": [
        ("SET", "k1", "v"), ("SET", "k2", "v"), ("DEL", "k1", "k2", "k3"), ("SET", "k", "v"),
        ("EXPIRE", "k", "100"), ("PEXPIRE", "k", "100000"), ("EXPIREAT", "k", "9999999999"),
        ("PEXPIREAT", "k", "9999999999999"), ("PERSIST", "k"), ("PERSIST", "k"),
        ("EXPIRE", "k", "100", "NX"), ("EXPIRE", "k", "100", "NX"), ("EXPIRE", "k", "-1"),
        ("SET", "u", "v"), ("UNLINK", "u", "nope"), ("SET", "r", "v"), ("RENAME", "r", "r2"),
        ("SET", "r3", "x"), ("RENAME", "r2", "r3"), ("RENAMENX", "r3", "r4"),
        ("SET", "r5", "v"), ("RENAMENX", "r4", "r5"), ("MOVE", "r4", "1"), ("SET", "m", "v"),
        ("COPY", "m", "m2"), ("COPY", "m", "m2"), ("COPY", "m", "m2", "REPLACE"),
        ("COPY", "m", "m3", "DB", "2"), ("SET", "x", "v"), ("PEXPIREAT", "x", "1"),
        ("SET", "y", "v"), ("EXPIREAT", "y", "1"), ("SET", "z", "v"), ("RENAME", "z", "z"),
        ("SELECT", "3"), ("SET", "d3", "v"), ("DEL", "d3"), ("SELECT", "0"),
    ],
    "list": [
        ("LPUSH", "l", "a", "b"), ("RPUSH", "l", "c"), ("LPUSHX", "l", "d"), ("RPUSHX", "l", "e"),
        ("LPUSHX", "nol", "x"), ("LINSERT", "l", "BEFORE", "c", "z"),
        ("LINSERT", "l", "BEFORE", "nope", "z"), ("LSET", "l", "0", "q"), ("LPOP", "l"),
        ("RPOP", "l", "2"), ("LREM", "l", "0", "z"), ("LTRIM", "l", "0", "0"),
        ("RPUSH", "l2", "1", "2", "3"), ("LTRIM", "l2", "5", "10"), ("RPUSH", "src", "1", "2"),
        ("RPOPLPUSH", "src", "dst"), ("LMOVE", "src", "dst", "LEFT", "RIGHT"),
        ("LMOVE", "dst", "dst", "LEFT", "LEFT"), ("RPUSH", "mp", "1", "2"),
        ("LMPOP", "2", "none", "mp", "LEFT", "COUNT", "5"), ("RPUSH", "bl", "x"),
        ("BLPOP", "bl", "0"), ("RPUSH", "br", "x", "y"), ("BRPOP", "br", "0"),
        ("BLMOVE", "br", "bd", "RIGHT", "LEFT", "0"), ("BRPOPLPUSH", "bd", "bd2", "0"),
        ("RPUSH", "bm", "a"), ("BLMPOP", "0", "1", "bm", "RIGHT"), ("LREM", "bd2", "0", "x"),
        ("RPUSH", "one", "a"), ("LPOP", "one", "1"),
    ],
    "hash": [
        ("HSET", "h", "a", "1", "b", "2"), ("HSET", "h", "a", "1"), ("HMSET", "h", "c", "3"),
        ("HSETNX", "h", "a", "x"), ("HSETNX", "h", "d", "4"), ("HINCRBY", "h", "n", "2"),
        ("HINCRBYFLOAT", "h", "f", "1.5"), ("HDEL", "h", "a", "zz"), ("HDEL", "h", "zz"),
        ("HDEL", "h", "b", "c", "d", "n", "f"), ("HGET", "h", "a"),
    ],
    "set": [
        ("SADD", "s", "a", "b", "c"), ("SADD", "s", "a"), ("SREM", "s", "a", "z"),
        ("SREM", "s", "z"), ("SMOVE", "s", "t", "b"), ("SMOVE", "s", "t", "c"),
        ("SMOVE", "t", "t", "b"), ("SADD", "u", "1", "2"), ("SINTERSTORE", "dst", "t", "u"),
        ("SUNIONSTORE", "dst", "t", "u"), ("SDIFFSTORE", "dst2", "t", "u"),
        ("SINTERSTORE", "dst", "t", "u"), ("SINTERSTORE", "dst", "t", "u"),
        ("SPOP", "u", "10"), ("SADD", "p", "x"), ("SPOP", "p"), ("SADD", "q", "1", "2", "3"),
        ("SPOP", "q", "1"), ("SPOP", "q", "0"), ("SADD", "v", "x"), ("SREM", "v", "x"),
    ],
    "zset": [
        ("ZADD", "z", "1", "a", "2", "b", "3", "c"), ("ZADD", "z", "1", "a"),
        ("ZADD", "z", "INCR", "5", "a"), ("ZADD", "z", "NX", "1", "a"),
        ("ZADD", "z", "GT", "CH", "9", "b"), ("ZINCRBY", "z", "1", "c"), ("ZREM", "z", "zz"),
        ("ZREM", "z", "a"), ("ZADD", "w", "1", "x", "2", "y", "3", "q"),
        ("ZREMRANGEBYSCORE", "w", "1", "1"), ("ZREMRANGEBYRANK", "w", "0", "0"),
        ("ZREMRANGEBYLEX", "w", "-", "+"), ("ZADD", "l", "0", "a", "0", "b"),
        ("ZREMRANGEBYLEX", "l", "[z", "+"), ("ZADD", "y", "1", "m", "2", "n"),
        ("ZUNIONSTORE", "d", "2", "z", "y"), ("ZINTERSTORE", "d", "2", "z", "y"),
        ("ZDIFFSTORE", "d2", "2", "z", "y"), ("ZRANGESTORE", "d3", "z", "0", "-1"),
        ("ZRANGESTORE", "d3", "z", "5", "9"), ("ZPOPMIN", "y"), ("ZPOPMAX", "y", "5"),
        ("ZADD", "mp", "1", "a"), ("ZMPOP", "1", "mp", "MIN"), ("ZADD", "bz", "1", "a", "2", "b"),
        ("BZPOPMIN", "bz", "0"), ("BZPOPMAX", "bz", "0"), ("ZADD", "bm", "1", "a"),
        ("BZMPOP", "0", "1", "bm", "MAX", "COUNT", "3"),
    ],
    "bitmap_hll_geo": [
        ("SETBIT", "b", "7", "1"), ("SETBIT", "b", "7", "1"), ("BITFIELD", "bf", "SET", "u8", "0", "5"),
        ("BITFIELD", "bf", "GET", "u8", "0"), ("BITFIELD", "bf", "INCRBY", "u8", "0", "1"),
        ("BITOP", "AND", "dest", "b", "bf"), ("BITOP", "AND", "dest", "none1", "none2"),
        ("PFADD", "h1", "a", "b"), ("PFADD", "h1", "a"), ("PFADD", "h2", "c"), ("PFADD", "h3"),
        ("PFMERGE", "h4", "h1", "h2"), ("PFCOUNT", "h1"),
        ("GEOADD", "g", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"),
        ("GEOADD", "g", "XX", "13.361389", "38.115556", "Palermo"),
        ("GEOSEARCHSTORE", "gs", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"),
        ("GEOSEARCHSTORE", "gs", "g", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"),
        ("GEORADIUS", "g", "15", "37", "200", "km", "STORE", "gr"),
        ("GEORADIUS", "g", "15", "37", "200", "km", "STOREDIST", "gr2"),
        ("GEORADIUSBYMEMBER", "g", "Palermo", "300", "km", "STORE", "gr3"),
    ],
    "sort_flush_swap": [
        ("RPUSH", "l", "3", "1", "2"), ("SORT", "l", "STORE", "dst"), ("SORT", "none", "STORE", "dst"),
        ("SET", "a", "1"), ("SELECT", "1"), ("SET", "b", "1"), ("SELECT", "0"),
        ("SWAPDB", "0", "1"), ("FLUSHDB",), ("SET", "c", "1"), ("FLUSHALL",),
    ],
}

EVENT_PATTERNS = ("__keyspace@*__:*", "__keyevent@*__:*")
MARKER = "__keyevent@0__:zz-end-of-scenario"


def record(port, commands, classes):
    """Runs the commands on a fresh server state; returns (replies, events)."""
    ctl = RawConn(port)
    ctl.cmd("FLUSHALL")
    ctl.cmd("CONFIG", "SET", "notify-keyspace-events", classes)
    sub = RawConn(port)
    sub.send(encode_command("PSUBSCRIBE", *EVENT_PATTERNS))
    sub.read_n(len(EVENT_PATTERNS))
    # SPOP's members are random: only its events are compared.
    replies = [ctl.cmd(*cmd) if cmd[0] != "SPOP" else ctl.cmd(*cmd)[:0] for cmd in commands]
    ctl.cmd("PUBLISH", MARKER, "end")
    events = []
    while True:
        msg = parse_reply(sub.read_reply())[0]
        if msg[2] == MARKER.encode():
            break
        events.append((msg[2].decode(), msg[3].decode()))
    ctl.cmd("CONFIG", "SET", "notify-keyspace-events", "")
    ctl.cmd("FLUSHALL")
    ctl.close()
    sub.close()
    return replies, events


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_events_match_redis(server, redis_ref, name):
    ours = record(server.port, SCENARIOS[name], "KEA")
    theirs = record(redis_ref.port, SCENARIOS[name], "KEA")
    assert ours[0] == theirs[0], "replies differ"
    assert ours[1] == theirs[1]


@pytest.mark.parametrize("classes", ["KEn", "Km", "E$", "Kl", "Eg", "KEshz", "Ex"])
def test_event_classes_filter_like_redis(server, redis_ref, classes):
    cmds = [c for name in ("string", "list", "set", "zset", "generic") for c in SCENARIOS[name]]
    cmds += [("GET", "missing"), ("HGET", "nohash", "f"), ("LRANGE", "nolist", "0", "1")]
    assert record(server.port, cmds, classes)[1] == record(redis_ref.port, cmds, classes)[1]


def test_notify_keyspace_events_config_like_redis(server, redis_ref):
    values = ["KEA", "Kg", "Ex", "K$lshzxetdmn", "Ag", "AKEm", "KEn", "An", "", "gE", "Q", "KEz!"]
    out = []
    for port in (server.port, redis_ref.port):
        c = RawConn(port)
        got = []
        for v in values:
            got.append(c.cmd("CONFIG", "SET", "notify-keyspace-events", v))
            got.append(c.cmd("CONFIG", "GET", "notify-keyspace-events"))
        c.cmd("CONFIG", "SET", "notify-keyspace-events", "")
        out.append(got)
        c.close()
    assert out[0] == out[1]


def test_notify_keyspace_events_flag(server_factory, is_magpie):
    if not is_magpie:
        pytest.skip("magpie's command line")
    s = server_factory(["--notify-keyspace-events", "KEx"])
    assert s.client().config_get("notify-keyspace-events") == {"notify-keyspace-events": "xKE"}


def expired_events(port, lazy):
    """Keys with a short TTL; with `lazy` they are read right after they
    expire (most are then reclaimed by the read), otherwise left to the
    active expiry cycle. Either way each must be announced exactly once."""
    ctl = RawConn(port)
    ctl.cmd("FLUSHALL")
    ctl.cmd("CONFIG", "SET", "notify-keyspace-events", "Ex")
    sub = RawConn(port)
    sub.cmd("SUBSCRIBE", "__keyevent@0__:expired")
    for i in range(20):
        ctl.cmd("SET", "k%d" % i, "v", "PX", "30")
    if lazy:
        time.sleep(0.04)
        for i in range(20):
            assert ctl.cmd("GET", "k%d" % i) == b"$-1\r\n"
    got = sorted(parse_reply(sub.read_reply())[0][2].decode() for _ in range(20))
    ctl.cmd("PUBLISH", "__keyevent@0__:expired", "marker")
    assert parse_reply(sub.read_reply())[0][2] == b"marker"  # and nothing twice
    ctl.cmd("CONFIG", "SET", "notify-keyspace-events", "")
    ctl.close()
    sub.close()
    return got


@pytest.mark.parametrize("lazy", [True, False], ids=["read", "active"])
def test_expired_event_when_key_is_reclaimed(server, redis_ref, lazy):
    want = sorted("k%d" % i for i in range(20))
    assert expired_events(server.port, lazy) == want
    assert expired_events(redis_ref.port, lazy) == want


def test_events_of_a_served_blocked_pop_match_redis(server, redis_ref):
    """A BLPOP/BZPOPMIN waiting on one connection is served by a push from
    another: the pusher's event, then the pop's, then "del"."""
    got = []
    for port in (server.port, redis_ref.port):
        ctl = RawConn(port)
        ctl.cmd("FLUSHALL")
        ctl.cmd("CONFIG", "SET", "notify-keyspace-events", "KEA")
        sub = RawConn(port)
        sub.cmd("PSUBSCRIBE", "__keyevent@*__:*")
        waiters = [RawConn(port) for _ in range(2)]
        waiters[0].send(encode_command("BLPOP", "q", "0"))
        waiters[1].send(encode_command("BZPOPMIN", "z", "0"))
        time.sleep(0.2)
        ctl.cmd("RPUSH", "q", "job")
        ctl.cmd("ZADD", "z", "1", "m")
        waiters[0].read_reply()
        waiters[1].read_reply()
        events = [tuple(parse_reply(sub.read_reply())[0][2:]) for _ in range(6)]
        ctl.cmd("CONFIG", "SET", "notify-keyspace-events", "")
        got.append(events)
        for c in [ctl, sub] + waiters:
            c.close()
    assert got[0] == got[1]


def test_hash_field_expiry_events(server, is_magpie):
    """HEXPIRE (Redis 7.4's names): "hexpire" when set, "hexpired" when the
    cycle reclaims the field, "del" when that empties the hash."""
    if not is_magpie:
        pytest.skip("Redis 7.0 has no hash field expiration")
    ctl = RawConn(server.port)
    ctl.cmd("FLUSHALL")
    ctl.cmd("CONFIG", "SET", "notify-keyspace-events", "KA")
    sub = RawConn(server.port)
    sub.cmd("PSUBSCRIBE", "__keyspace@0__:h*")
    ctl.cmd("HSET", "h", "f", "v", "g", "w")
    ctl.cmd("HPEXPIRE", "h", "50", "FIELDS", "2", "f", "g")
    ctl.cmd("HSET", "h2", "f", "v")
    ctl.cmd("HEXPIREAT", "h2", "1", "FIELDS", "1", "f")
    ctl.cmd("HSET", "h3", "f", "v")
    ctl.cmd("HEXPIRE", "h3", "100", "FIELDS", "1", "f")
    ctl.cmd("HPERSIST", "h3", "FIELDS", "1", "f")
    events = [tuple(x.decode() for x in parse_reply(sub.read_reply())[0][2:]) for _ in range(10)]
    ctl.cmd("CONFIG", "SET", "notify-keyspace-events", "")
    assert events == [
        ("__keyspace@0__:h", "hset"), ("__keyspace@0__:h", "hexpire"),
        ("__keyspace@0__:h2", "hset"), ("__keyspace@0__:h2", "hdel"),
        ("__keyspace@0__:h2", "del"), ("__keyspace@0__:h3", "hset"),
        ("__keyspace@0__:h3", "hexpire"), ("__keyspace@0__:h3", "hpersist"),
        ("__keyspace@0__:h", "hexpired"), ("__keyspace@0__:h", "del")]


def test_memcached_writes_emit_events_and_invalidate(server_factory, is_magpie):
    """A memcached-protocol write is a change of database 0 like any other:
    subscribers get the event of the Redis command that does the same, and
    CLIENT TRACKING readers get their invalidation."""
    if not is_magpie:
        pytest.skip("the memcached port is Magpie's")
    import socket as so
    from conftest import free_port
    mc_port = free_port()
    s = server_factory(["--memcached-port", str(mc_port), "--notify-keyspace-events", "KA"])
    sub = RawConn(s.port)
    sub.cmd("PSUBSCRIBE", "__keyspace@0__:*")
    tracker = RawConn(s.port)
    tracker.cmd("HELLO", "3")
    tracker.cmd("CLIENT", "TRACKING", "on")
    mc = so.create_connection(("127.0.0.1", mc_port), timeout=10)
    mc.sendall(b"set k 0 0 1\r\n5\r\n")
    assert mc.recv(100) == b"STORED\r\n"
    tracker.cmd("GET", "k")
    for line, reply in ((b"append k 0 0 1\r\n0\r\n", b"STORED\r\n"), (b"incr k 1\r\n", b"51\r\n"),
                        (b"touch k 100\r\n", b"TOUCHED\r\n"), (b"delete k\r\n", b"DELETED\r\n"),
                        (b"set t 0 100 1\r\nx\r\n", b"STORED\r\n")):
        mc.sendall(line)
        assert mc.recv(100) == reply
    events = [tuple(x.decode() for x in parse_reply(sub.read_reply())[0][2:]) for _ in range(7)]
    assert events == [("__keyspace@0__:k", "set"), ("__keyspace@0__:k", "append"),
                      ("__keyspace@0__:k", "incrby"), ("__keyspace@0__:k", "expire"),
                      ("__keyspace@0__:k", "del"), ("__keyspace@0__:t", "set"),
                      ("__keyspace@0__:t", "expire")]
    assert tracker.read_reply() == b">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n"
    mc.close()
