"""Keyspace commands: DEL, EXISTS, TYPE, EXPIRE family, RENAME, COPY, SCAN,
OBJECT, SELECT/SWAPDB/MOVE, FLUSHDB/FLUSHALL, DBSIZE."""

import time

import pytest
import redis

from conftest import NIL, NOT_INT, OK, RawConn, arity, bulk, err, integer  # noqa: F401
SYNTAX = err("ERR syntax error")
DB_RANGE = err("ERR DB index is out of range")
SAME = err("ERR source and destination objects are the same")
NO_KEY = err("ERR no such key")


def test_del_unlink_exists(rc):
    rc.cmd("MSET", "a", "1", "b", "2", "c", "3")
    assert rc.cmd("EXISTS", "a", "a", "nokey", "b") == integer(3)
    assert rc.cmd("DEL", "a", "a", "nokey") == integer(1)
    assert rc.cmd("UNLINK", "b", "c", "d") == integer(2)
    assert rc.cmd("EXISTS", "a", "b", "c") == integer(0)
    assert rc.cmd("DEL", "nokey") == integer(0)
    for c in ("DEL", "UNLINK", "EXISTS"):
        assert rc.cmd(c) == arity(c.lower())


def test_type(rc):
    assert rc.cmd("TYPE", "nokey") == b"+none\r\n"
    rc.cmd("SET", "s", "x")
    rc.cmd("SET", "i", "12")
    assert rc.cmd("TYPE", "s") == b"+string\r\n"
    assert rc.cmd("TYPE", "i") == b"+string\r\n"
    assert rc.cmd("TYPE") == arity("type")


def test_expire_and_ttl(rc):
    assert rc.cmd("TTL", "nokey") == integer(-2)
    assert rc.cmd("PTTL", "nokey") == integer(-2)
    assert rc.cmd("EXPIRETIME", "nokey") == integer(-2)
    assert rc.cmd("PEXPIRETIME", "nokey") == integer(-2)
    rc.cmd("SET", "k", "v")
    assert rc.cmd("TTL", "k") == integer(-1)
    assert rc.cmd("PTTL", "k") == integer(-1)
    assert rc.cmd("EXPIRETIME", "k") == integer(-1)
    assert rc.cmd("PEXPIRETIME", "k") == integer(-1)
    before = int(time.time() * 1000)
    assert rc.cmd("EXPIRE", "k", "100") == integer(1)
    after = int(time.time() * 1000)
    assert rc.cmd("TTL", "k") in (integer(100), integer(99))
    pexp = int(rc.cmd("PEXPIRETIME", "k")[1:-2])
    assert before + 100000 - 5 <= pexp <= after + 100000 + 5
    exp = int(rc.cmd("EXPIRETIME", "k")[1:-2])
    assert exp == (pexp + 500) // 1000
    assert rc.cmd("PEXPIRE", "k", "50000") == integer(1)
    assert 49000 < int(rc.cmd("PTTL", "k")[1:-2]) <= 50000
    assert rc.cmd("EXPIRE", "nokey", "10") == integer(0)
    assert rc.cmd("PERSIST", "k") == integer(1)
    assert rc.cmd("PERSIST", "k") == integer(0)
    assert rc.cmd("PERSIST", "nokey") == integer(0)
    assert rc.cmd("TTL", "k") == integer(-1)


def test_expireat_pexpireat(rc):
    rc.cmd("SET", "k", "v")
    t = int(time.time()) + 1000
    assert rc.cmd("EXPIREAT", "k", str(t)) == integer(1)
    assert rc.cmd("EXPIRETIME", "k") == integer(t)
    assert rc.cmd("PEXPIREAT", "k", str(t * 1000 + 7)) == integer(1)
    assert rc.cmd("PEXPIRETIME", "k") == integer(t * 1000 + 7)
    assert rc.cmd("PEXPIREAT", "k", "9223372036854775807") == integer(1)
    assert rc.cmd("PEXPIRETIME", "k") == integer(9223372036854775807)
    # a time in the past deletes the key
    assert rc.cmd("EXPIREAT", "k", "1") == integer(1)
    assert rc.cmd("EXISTS", "k") == integer(0)


def test_expire_zero_or_negative_deletes(rc):
    for cmd, t in (("EXPIRE", "0"), ("EXPIRE", "-1"), ("PEXPIRE", "0"), ("PEXPIRE", "-100"),
                   ("EXPIREAT", "0"), ("PEXPIREAT", "1")):
        rc.cmd("SET", "k", "v")
        assert rc.cmd(cmd, "k", t) == integer(1), (cmd, t)
        assert rc.cmd("EXISTS", "k") == integer(0), (cmd, t)
        assert rc.cmd("TTL", "k") == integer(-2)


def test_expire_options(rc):
    rc.cmd("SET", "k", "v")
    assert rc.cmd("EXPIRE", "k", "10", "XX") == integer(0)
    assert rc.cmd("EXPIRE", "k", "10", "GT") == integer(0)   # no TTL = infinite
    assert rc.cmd("EXPIRE", "k", "10", "LT") == integer(1)
    assert rc.cmd("PERSIST", "k") == integer(1)
    assert rc.cmd("EXPIRE", "k", "100", "NX") == integer(1)
    assert rc.cmd("EXPIRE", "k", "200", "NX") == integer(0)
    assert rc.cmd("EXPIRE", "k", "50", "GT") == integer(0)
    assert rc.cmd("EXPIRE", "k", "150", "GT") == integer(1)
    assert rc.cmd("EXPIRE", "k", "200", "LT") == integer(0)
    assert rc.cmd("EXPIRE", "k", "120", "lt") == integer(1)
    assert rc.cmd("EXPIRE", "k", "130", "xx") == integer(1)
    assert rc.cmd("PEXPIRE", "k", "200000", "GT") == integer(1)
    assert rc.cmd("TTL", "k") in (integer(200), integer(199))
    assert rc.cmd("EXPIRE", "k", "10", "NX", "XX") == err(
        "ERR NX and XX, GT or LT options at the same time are not compatible")
    assert rc.cmd("EXPIRE", "k", "10", "NX", "GT") == err(
        "ERR NX and XX, GT or LT options at the same time are not compatible")
    assert rc.cmd("EXPIRE", "k", "10", "GT", "LT") == err(
        "ERR GT and LT options at the same time are not compatible")
    assert rc.cmd("EXPIRE", "k", "10", "FOO") == err("ERR Unsupported option FOO")
    assert rc.cmd("PEXPIREAT", "k", "10", "bar") == err("ERR Unsupported option bar")
    assert rc.cmd("EXPIRE", "k", "abc") == NOT_INT
    assert rc.cmd("EXPIRE", "k") == arity("expire")


def test_expire_out_of_range(rc):
    rc.cmd("SET", "k", "v")
    for cmd, t in (("EXPIRE", "9223372036854775807"), ("EXPIRE", "9223372036854775"),
                   ("EXPIRE", "-9223372036854775808"), ("PEXPIRE", "9223372036854775807"),
                   ("EXPIREAT", "9223372036854775807")):
        assert rc.cmd(cmd, "k", t) == err("ERR invalid expire time in '%s' command" % cmd.lower())
    assert rc.cmd("TTL", "k") == integer(-1)


def test_keys_patterns(rd):
    rd.mset({"hello": 1, "hallo": 2, "hxllo": 3, "hllo": 4, "heeeello": 5,
             "h[ae]llo": 6, "a*b": 7, "x": 8})
    assert sorted(rd.keys("*")) == sorted(["hello", "hallo", "hxllo", "hllo", "heeeello",
                                           "h[ae]llo", "a*b", "x"])
    assert sorted(rd.keys("h?llo")) == ["hallo", "hello", "hxllo"]
    assert sorted(rd.keys("h*llo")) == sorted(["hello", "hallo", "hxllo", "hllo", "heeeello",
                                               "h[ae]llo"])
    assert sorted(rd.keys("h[ae]llo")) == ["hallo", "hello"]
    assert sorted(rd.keys("h[^e]llo")) == ["hallo", "hxllo"]
    assert sorted(rd.keys("h[a-b]llo")) == ["hallo"]
    assert rd.keys("h\\[ae\\]llo") == ["h[ae]llo"]
    assert rd.keys("a\\*b") == ["a*b"]
    assert rd.keys("nomatch*") == []
    assert rd.keys("x") == ["x"]


def test_keys_skips_expired(rd):
    rd.set("live", 1)
    rd.set("dead", 1, px=1)
    time.sleep(0.02)
    assert rd.keys("*") == ["live"]


def test_scan_full_iteration(r, scale):
    n = scale(2000)
    p = r.pipeline(transaction=False)
    for i in range(n):
        p.set(b"k:%d" % i, b"v")
    p.execute()
    seen = set()
    cursor = 0
    for _ in range(100000):
        cursor, keys = r.scan(cursor, count=50)
        seen.update(keys)
        if cursor == 0:
            break
    assert seen == {b"k:%d" % i for i in range(n)}
    # MATCH filters
    seen = set()
    for k in r.scan_iter(match=b"k:1*", count=100):
        seen.add(k)
    assert seen == {b"k:%d" % i for i in range(n) if str(i).startswith("1")}
    # TYPE filters
    assert set(r.scan_iter(_type="string", count=1000)) == {b"k:%d" % i for i in range(n)}
    assert list(r.scan_iter(_type="hash", count=1000)) == []


def test_scan_errors(rc):
    assert rc.cmd("SCAN", "0") == b"*2\r\n$1\r\n0\r\n*0\r\n"
    assert rc.cmd("SCAN", "abc") == err("ERR invalid cursor")
    assert rc.cmd("SCAN", "18446744073709551616") == err("ERR invalid cursor")
    assert rc.cmd("SCAN", "0", "COUNT", "0") == SYNTAX
    assert rc.cmd("SCAN", "0", "COUNT", "-1") == SYNTAX
    assert rc.cmd("SCAN", "0", "COUNT", "abc") == NOT_INT
    assert rc.cmd("SCAN", "0", "TYPE") == SYNTAX
    assert rc.cmd("SCAN", "0", "FOO", "bar") == SYNTAX
    assert rc.cmd("SCAN") == arity("scan")


def test_randomkey(rc):
    assert rc.cmd("RANDOMKEY") == NIL
    rc.cmd("SET", "only", "1")
    assert rc.cmd("RANDOMKEY") == bulk("only")
    rc.cmd("MSET", "a", "1", "b", "2")
    for _ in range(20):
        assert rc.cmd("RANDOMKEY") in (bulk("only"), bulk("a"), bulk("b"))


def test_rename(rc):
    rc.cmd("SET", "s", "1", "EX", "100")
    assert rc.cmd("RENAME", "s", "t") == OK
    assert rc.cmd("EXISTS", "s") == integer(0)
    assert rc.cmd("GET", "t") == bulk("1")
    assert rc.cmd("TTL", "t") in (integer(100), integer(99))   # TTL moves with the key
    rc.cmd("SET", "u", "2", "EX", "100")
    assert rc.cmd("RENAME", "u", "t") == OK                      # overwrites
    assert rc.cmd("GET", "t") == bulk("2")
    rc.cmd("SET", "p", "3")
    assert rc.cmd("RENAME", "p", "t") == OK
    assert rc.cmd("TTL", "t") == integer(-1)                     # dest TTL is dropped
    assert rc.cmd("RENAME", "t", "t") == OK
    assert rc.cmd("RENAME", "nokey", "x") == NO_KEY
    assert rc.cmd("RENAME", "nokey", "nokey") == NO_KEY
    assert rc.cmd("RENAME", "t") == arity("rename")


def test_renamenx(rc):
    rc.cmd("MSET", "a", "1", "b", "2")
    assert rc.cmd("RENAMENX", "a", "b") == integer(0)
    assert rc.cmd("RENAMENX", "a", "a") == integer(0)
    assert rc.cmd("RENAMENX", "a", "c") == integer(1)
    assert rc.cmd("GET", "c") == bulk("1")
    assert rc.cmd("RENAMENX", "nokey", "z") == NO_KEY


def test_copy(rc):
    rc.cmd("SET", "src", "val", "EX", "100")
    assert rc.cmd("COPY", "src", "dst") == integer(1)
    assert rc.cmd("GET", "dst") == bulk("val")
    assert rc.cmd("TTL", "dst") in (integer(100), integer(99))
    assert rc.cmd("COPY", "src", "dst") == integer(0)
    rc.cmd("SET", "src", "new")
    assert rc.cmd("COPY", "src", "dst", "REPLACE") == integer(1)
    assert rc.cmd("GET", "dst") == bulk("new")
    assert rc.cmd("TTL", "dst") == integer(-1)
    assert rc.cmd("COPY", "src", "src") == SAME
    assert rc.cmd("COPY", "nokey", "x") == integer(0)
    assert rc.cmd("COPY", "src", "other", "DB", "3") == integer(1)
    assert rc.cmd("COPY", "src", "src", "DB", "3") == integer(1)
    assert rc.cmd("COPY", "src", "src", "DB", "3") == integer(0)
    assert rc.cmd("COPY", "src", "src", "DB", "3", "REPLACE") == integer(1)
    assert rc.cmd("COPY", "src", "x", "DB", "16") == DB_RANGE
    assert rc.cmd("COPY", "src", "x", "DB", "abc") == NOT_INT
    assert rc.cmd("COPY", "src", "x", "FOO") == SYNTAX
    assert rc.cmd("SELECT", "3") == OK
    assert rc.cmd("GET", "other") == bulk("new")
    assert rc.cmd("GET", "src") == bulk("new")
    # modifying the copy does not touch the original
    assert rc.cmd("APPEND", "other", "!") == integer(4)
    assert rc.cmd("SELECT", "0") == OK
    assert rc.cmd("GET", "src") == bulk("new")


def test_touch(rc):
    rc.cmd("MSET", "a", "1", "b", "2")
    assert rc.cmd("TOUCH", "a", "b", "nokey", "a") == integer(3)
    assert rc.cmd("TOUCH") == arity("touch")


def test_object(rc):
    assert rc.cmd("OBJECT", "ENCODING", "nokey") == NIL
    assert rc.cmd("OBJECT", "REFCOUNT", "nokey") == NIL
    assert rc.cmd("OBJECT", "IDLETIME", "nokey") == NIL
    assert rc.cmd("OBJECT", "FREQ", "nokey") == NIL
    rc.cmd("SET", "i", "12345")
    rc.cmd("SET", "e", "x" * 44)
    rc.cmd("SET", "r", "x" * 45)
    rc.cmd("SET", "big", "12345678901234567890")
    assert rc.cmd("OBJECT", "ENCODING", "i") == bulk("int")
    assert rc.cmd("OBJECT", "ENCODING", "e") == bulk("embstr")
    assert rc.cmd("OBJECT", "ENCODING", "r") == bulk("raw")
    assert rc.cmd("OBJECT", "ENCODING", "big") == bulk("embstr")
    assert rc.cmd("OBJECT", "encoding", "i") == bulk("int")
    assert rc.cmd("APPEND", "e", "y") == integer(45)
    assert rc.cmd("OBJECT", "ENCODING", "e") == bulk("raw")
    assert rc.cmd("INCR", "i") == integer(12346)
    assert rc.cmd("OBJECT", "ENCODING", "i") == bulk("int")
    assert rc.cmd("OBJECT", "IDLETIME", "i") == integer(0)
    assert rc.cmd("OBJECT", "FREQ", "i") == err(
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked. "
        "Please note that when switching between policies at runtime LRU and LFU data "
        "will take some time to adjust.")
    assert rc.cmd("OBJECT", "REFCOUNT", "r") == integer(1)
    assert rc.cmd("OBJECT", "FOO", "i") == err(
        "ERR unknown subcommand 'FOO'. Try OBJECT HELP.")
    assert rc.cmd("OBJECT", "ENCODING") == arity("object|encoding")
    assert rc.cmd("OBJECT") == arity("object")
    help_ = rc.cmd_parsed("OBJECT", "HELP")
    assert help_[0] == b"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert help_[-2:] == [b"HELP", b"    Prints this help."]
    assert b"ENCODING <key>" in help_ and b"FREQ <key>" in help_
    assert b"IDLETIME <key>" in help_ and b"REFCOUNT <key>" in help_


def test_object_idletime_grows(rd):
    rd.set("k", "v")
    time.sleep(1.1)
    assert rd.object("idletime", "k") >= 1
    rd.get("k")
    assert rd.object("idletime", "k") == 0


def test_object_freq_with_lfu(rd, is_magpie):
    if is_magpie:
        pytest.skip("LFU policies arrive with maxmemory (issue 5)")
    assert rd.config_set("maxmemory-policy", "allkeys-lfu")
    try:
        rd.set("k", "v")
        for _ in range(10):
            rd.get("k")
        assert rd.object("freq", "k") >= 1
    finally:
        rd.config_set("maxmemory-policy", "noeviction")


def test_select_and_dbs(rc):
    rc.cmd("SET", "k", "db0")
    assert rc.cmd("SELECT", "1") == OK
    assert rc.cmd("GET", "k") == NIL
    rc.cmd("SET", "k", "db1")
    assert rc.cmd("SELECT", "15") == OK
    assert rc.cmd("DBSIZE") == integer(0)
    assert rc.cmd("SELECT", "16") == DB_RANGE
    assert rc.cmd("SELECT", "-1") == DB_RANGE
    assert rc.cmd("SELECT", "abc") == NOT_INT
    assert rc.cmd("SELECT", "0") == OK
    assert rc.cmd("GET", "k") == bulk("db0")
    assert rc.cmd("SELECT") == arity("select")


def test_swapdb(rc, rd):
    rc.cmd("SET", "k", "db0")
    rc.cmd("SELECT", "1")
    rc.cmd("SET", "k", "db1", "EX", "100")
    rc.cmd("SET", "only1", "x")
    rc.cmd("SELECT", "0")
    assert rc.cmd("SWAPDB", "0", "1") == OK
    assert rc.cmd("GET", "k") == bulk("db1")
    assert rc.cmd("TTL", "k") in (integer(100), integer(99))
    assert rc.cmd("DBSIZE") == integer(2)
    # another client's view changes too
    assert rd.get("k") == "db1"
    assert rc.cmd("SWAPDB", "0", "0") == OK
    assert rc.cmd("SWAPDB", "0", "16") == DB_RANGE
    assert rc.cmd("SWAPDB", "0", "x") == err("ERR invalid second DB index")
    assert rc.cmd("SWAPDB", "x", "0") == err("ERR invalid first DB index")
    assert rc.cmd("SWAPDB", "0") == arity("swapdb")


def test_move(rc):
    rc.cmd("SET", "k", "v", "EX", "100")
    assert rc.cmd("MOVE", "k", "1") == integer(1)
    assert rc.cmd("EXISTS", "k") == integer(0)
    assert rc.cmd("MOVE", "k", "1") == integer(0)
    rc.cmd("SET", "k", "again")
    assert rc.cmd("MOVE", "k", "1") == integer(0)     # exists in target
    assert rc.cmd("MOVE", "nokey", "1") == integer(0)
    assert rc.cmd("MOVE", "k", "0") == SAME
    assert rc.cmd("MOVE", "k", "16") == DB_RANGE
    assert rc.cmd("MOVE", "k", "abc") == NOT_INT
    rc.cmd("SELECT", "1")
    assert rc.cmd("GET", "k") == bulk("v")
    assert rc.cmd("TTL", "k") in (integer(100), integer(99))


def test_flushdb_flushall_dbsize(rc):
    rc.cmd("MSET", "a", "1", "b", "2")
    rc.cmd("SELECT", "2")
    rc.cmd("SET", "c", "3")
    assert rc.cmd("DBSIZE") == integer(1)
    assert rc.cmd("FLUSHDB") == OK
    assert rc.cmd("DBSIZE") == integer(0)
    rc.cmd("SET", "c", "3")
    assert rc.cmd("FLUSHDB", "ASYNC") == OK
    assert rc.cmd("DBSIZE") == integer(0)
    assert rc.cmd("FLUSHDB", "SYNC") == OK
    assert rc.cmd("FLUSHDB", "FOO") == SYNTAX
    rc.cmd("SELECT", "0")
    assert rc.cmd("DBSIZE") == integer(2)
    rc.cmd("SELECT", "3")
    rc.cmd("SET", "d", "4")
    assert rc.cmd("FLUSHALL", "ASYNC") == OK
    assert rc.cmd("DBSIZE") == integer(0)
    rc.cmd("SELECT", "0")
    assert rc.cmd("DBSIZE") == integer(0)
    rc.cmd("SET", "e", "5")
    assert rc.cmd("FLUSHALL", "SYNC") == OK
    assert rc.cmd("DBSIZE") == integer(0)
    assert rc.cmd("FLUSHALL", "BAR") == SYNTAX
    assert rc.cmd("DBSIZE", "x") == arity("dbsize")


def test_dbsize_counts_unexpired_lazily(rd):
    rd.set("a", 1)
    rd.set("b", 1, px=50)
    assert rd.dbsize() == 2
    time.sleep(0.1)
    assert rd.get("b") is None
    assert rd.dbsize() == 1


def test_flushall_large(r, scale):
    n = scale(50000)
    p = r.pipeline(transaction=False)
    for i in range(n):
        p.set(i, i)
    p.execute()
    assert r.dbsize() == n
    assert r.flushall(asynchronous=True)
    assert r.dbsize() == 0
    assert r.set("after", 1)
    assert r.get("after") == b"1"


def test_scan_family_cursors_and_options_match_redis(server, redis_ref):
    """SCAN, HSCAN, SSCAN and ZSCAN read their cursor as strtoul does ("" and
    "+0" are 0, a '-' wraps) and their options in the same order as Redis."""
    cursors = [b"0", b"", b"+0", b"007", b"-0", b"-", b"+", b" 1", b"1 ", b"x",
               b"18446744073709551615", b"18446744073709551616"]
    opts = [[], [b"COUNT", b"0"], [b"COUNT", b"x"], [b"MATCH"], [b"MATCH", b"*", b"COUNT", b"5"],
            [b"TYPE", b"hash"], [b"BOGUS"]]
    a, b = RawConn(server.port), RawConn(redis_ref.port)
    try:
        for conn in (a, b):
            conn.cmd(b"FLUSHALL")
            conn.cmd(b"HSET", b"h", b"f", b"v")
            conn.cmd(b"SADD", b"s", b"m")
            conn.cmd(b"ZADD", b"z", b"1", b"m")
        for cmd in ([b"SCAN"], [b"HSCAN", b"h"], [b"SSCAN", b"s"], [b"ZSCAN", b"z"],
                    [b"HSCAN", b"nokey"], [b"ZSCAN", b"s"]):
            for cur in cursors:
                for o in opts:
                    args = cmd + [cur] + o
                    ra, rb = a.cmd(*args), b.cmd(*args)
                    if ra[:1] == rb[:1] == b"*":  # cursors of a non-zero start differ
                        ra, rb = ra[:4], rb[:4]
                    assert ra == rb, args
    finally:
        a.close()
        b.close()
