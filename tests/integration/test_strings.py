"""String commands: replies must match Redis 7.0 byte for byte."""

import time

import pytest
import redis

from conftest import NIL, NOT_INT, OK, arity, bulk, err, integer  # noqa: F401
SYNTAX = err("ERR syntax error")


# --------------------------------------------------------------------------
# GET / SET and its options
# --------------------------------------------------------------------------

def test_get_set_basic(rd):
    assert rd.get("missing") is None
    assert rd.set("k", "v") is True
    assert rd.get("k") == "v"
    assert rd.set("k", "v2") is True
    assert rd.get("k") == "v2"
    assert rd.set("empty", "") is True
    assert rd.get("empty") == ""
    assert rd.exists("empty") == 1


def test_set_binary_value(r):
    val = bytes(range(256)) * 4 + b"\r\n\x00end"
    key = b"bin\x00key\r\n"
    assert r.set(key, val)
    assert r.get(key) == val
    assert r.strlen(key) == len(val)


def test_set_large_value(r, scale):
    val = b"x" * scale(4 * 1024 * 1024)
    assert r.set("big", val)
    assert r.get("big") == val
    assert r.strlen("big") == len(val)


def test_set_nx_xx(rd):
    assert rd.set("k", "1", xx=True) is None
    assert rd.exists("k") == 0
    assert rd.set("k", "1", nx=True) is True
    assert rd.set("k", "2", nx=True) is None
    assert rd.get("k") == "1"
    assert rd.set("k", "3", xx=True) is True
    assert rd.get("k") == "3"


def test_set_nx_xx_raw_replies(rc):
    assert rc.cmd("SET", "k", "v", "XX") == NIL
    assert rc.cmd("SET", "k", "v", "NX") == OK
    assert rc.cmd("SET", "k", "v", "NX") == NIL
    assert rc.cmd("SET", "k", "w", "xx") == OK


def test_set_ex_px(rd):
    assert rd.set("k", "v", ex=100)
    assert 99 <= rd.ttl("k") <= 100
    assert rd.set("k", "v", px=100000)
    assert 99000 <= rd.pttl("k") <= 100000
    # plain SET clears the TTL
    assert rd.set("k", "v")
    assert rd.ttl("k") == -1


def test_set_exat_pxat(rd):
    now = int(time.time())
    assert rd.set("k", "v", exat=now + 100)
    assert 98 <= rd.ttl("k") <= 100
    assert rd.expiretime("k") == now + 100
    assert rd.set("k2", "v", pxat=(now + 100) * 1000 + 123)
    assert rd.execute_command("PEXPIRETIME", "k2") == (now + 100) * 1000 + 123
    # a time in the past deletes the key at once
    assert rd.set("k3", "v", exat=1)
    assert rd.exists("k3") == 0
    assert rd.set("k4", "v", pxat=1)
    assert rd.get("k4") is None


def test_set_keepttl(rd):
    rd.set("k", "v", ex=100)
    assert rd.set("k", "v2", keepttl=True)
    assert rd.get("k") == "v2"
    assert 99 <= rd.ttl("k") <= 100
    rd.set("k", "v3")
    assert rd.ttl("k") == -1


def test_set_get_option(rc):
    assert rc.cmd("SET", "k", "v1", "GET") == NIL
    assert rc.cmd("SET", "k", "v2", "GET") == bulk("v1")
    assert rc.cmd("GET", "k") == bulk("v2")
    # NX + GET is allowed in 7.0: returns old value, does not set
    assert rc.cmd("SET", "k", "v3", "NX", "GET") == bulk("v2")
    assert rc.cmd("GET", "k") == bulk("v2")
    assert rc.cmd("SET", "n", "v3", "NX", "GET") == NIL
    assert rc.cmd("GET", "n") == bulk("v3")
    assert rc.cmd("SET", "x", "v", "XX", "GET") == NIL
    assert rc.cmd("EXISTS", "x") == integer(0)
    assert rc.cmd("SET", "k", "v4", "GET", "EX", "100") == bulk("v2")
    assert rc.cmd("TTL", "k") in (integer(100), integer(99))


def test_set_invalid_options(rc):
    cases = [
        ("SET", "k", "v", "NX", "XX"),
        ("SET", "k", "v", "EX", "1", "PX", "1"),
        ("SET", "k", "v", "KEEPTTL", "EX", "1"),
        ("SET", "k", "v", "EX", "1", "EXAT", "1"),
        ("SET", "k", "v", "PXAT", "1", "KEEPTTL"),
        ("SET", "k", "v", "FOO"),
        ("SET", "k", "v", "EX"),
        ("SET", "k", "v", "GET", "GET", "GET", "FOO"),
    ]
    for c in cases:
        assert rc.cmd(*c) == SYNTAX, c
    assert rc.cmd("SET", "k", "v", "EX", "abc") == NOT_INT
    assert rc.cmd("SET", "k", "v", "PX", "1.5") == NOT_INT
    for t in ("0", "-1", "9223372036854775807", "-9223372036854775808"):
        for opt in ("EX", "PX", "EXAT", "PXAT"):
            if (opt, t) == ("PXAT", "9223372036854775807"):
                continue
            assert rc.cmd("SET", "k", "v", opt, t) == err(
                "ERR invalid expire time in 'set' command"), (opt, t)
    assert rc.cmd("EXISTS", "k") == integer(0)
    # PXAT LLONG_MAX needs no unit conversion, so it is accepted
    assert rc.cmd("SET", "k", "v", "PXAT", "9223372036854775807") == OK
    assert rc.cmd("PEXPIRETIME", "k") == integer(9223372036854775807)
    assert rc.cmd("SET", "k") == arity("set")
    assert rc.cmd("GET") == arity("get")
    assert rc.cmd("GET", "a", "b") == arity("get")


def test_setnx_setex_psetex(rc):
    assert rc.cmd("SETNX", "k", "1") == integer(1)
    assert rc.cmd("SETNX", "k", "2") == integer(0)
    assert rc.cmd("GET", "k") == bulk("1")
    assert rc.cmd("SETEX", "s", "100", "v") == OK
    assert rc.cmd("TTL", "s") in (integer(100), integer(99))
    assert rc.cmd("PSETEX", "p", "100000", "v") == OK
    pttl = int(rc.cmd("PTTL", "p")[1:-2])
    assert 99000 <= pttl <= 100000
    for c in ("SETEX", "PSETEX"):
        for t in ("0", "-5"):
            assert rc.cmd(c, "x", t, "v") == err(
                "ERR invalid expire time in '%s' command" % c.lower())
        assert rc.cmd(c, "x", "abc", "v") == NOT_INT
        assert rc.cmd(c, "x", "10") == arity(c.lower())
    assert rc.cmd("EXISTS", "x") == integer(0)


def test_getex(rc):
    assert rc.cmd("GETEX", "nokey") == NIL
    assert rc.cmd("GETEX", "nokey", "EX", "10") == NIL
    rc.cmd("SET", "k", "v")
    assert rc.cmd("GETEX", "k") == bulk("v")
    assert rc.cmd("TTL", "k") == integer(-1)
    assert rc.cmd("GETEX", "k", "EX", "100") == bulk("v")
    assert rc.cmd("TTL", "k") in (integer(100), integer(99))
    assert rc.cmd("GETEX", "k", "PERSIST") == bulk("v")
    assert rc.cmd("TTL", "k") == integer(-1)
    assert rc.cmd("GETEX", "k", "PX", "100000") == bulk("v")
    assert int(rc.cmd("PTTL", "k")[1:-2]) > 99000
    assert rc.cmd("GETEX", "k", "EXAT", str(int(time.time()) + 200)) == bulk("v")
    assert rc.cmd("TTL", "k") in (integer(200), integer(199), integer(198))
    assert rc.cmd("GETEX", "k", "PERSIST", "EX", "1") == SYNTAX
    assert rc.cmd("GETEX", "k", "EX", "1", "PX", "1") == SYNTAX
    assert rc.cmd("GETEX", "k", "FOO") == SYNTAX
    assert rc.cmd("GETEX", "k", "EX", "0") == err("ERR invalid expire time in 'getex' command")
    assert rc.cmd("GETEX", "k", "PX", "9223372036854775807") == err(
        "ERR invalid expire time in 'getex' command")
    assert rc.cmd("GETEX", "k", "EX", "x") == NOT_INT
    # EXAT in the past deletes the key but still returns the value
    assert rc.cmd("GETEX", "k", "EXAT", "1") == bulk("v")
    assert rc.cmd("EXISTS", "k") == integer(0)


def test_getdel_getset(rc):
    rc.cmd("SET", "k", "v")
    assert rc.cmd("GETDEL", "k") == bulk("v")
    assert rc.cmd("GETDEL", "k") == NIL
    assert rc.cmd("EXISTS", "k") == integer(0)
    assert rc.cmd("GETSET", "k", "a") == NIL
    assert rc.cmd("GETSET", "k", "b") == bulk("a")
    rc.cmd("SET", "t", "v", "EX", "100")
    assert rc.cmd("GETSET", "t", "w") == bulk("v")
    assert rc.cmd("TTL", "t") == integer(-1)
    assert rc.cmd("GETDEL") == arity("getdel")
    assert rc.cmd("GETSET", "k") == arity("getset")


def test_mget_mset_msetnx(rc):
    assert rc.cmd("MSET", "a", "1", "b", "2", "c", "3") == OK
    assert rc.cmd("MGET", "a", "nokey", "c") == b"*3\r\n$1\r\n1\r\n$-1\r\n$1\r\n3\r\n"
    assert rc.cmd("MSET", "a", "1", "b") == arity("mset")
    assert rc.cmd("MSET") == arity("mset")
    assert rc.cmd("MGET") == arity("mget")
    assert rc.cmd("MSETNX", "x", "1", "a", "9") == integer(0)
    assert rc.cmd("EXISTS", "x") == integer(0)
    assert rc.cmd("GET", "a") == bulk("1")
    assert rc.cmd("MSETNX", "x", "1", "y", "2") == integer(1)
    # duplicate keys in one MSETNX: last one wins
    assert rc.cmd("MSETNX", "d", "1", "d", "2") == integer(1)
    assert rc.cmd("GET", "d") == bulk("2")
    assert rc.cmd("MSET", "a", "v", "a", "w") == OK
    assert rc.cmd("GET", "a") == bulk("w")
    assert rc.cmd("MSETNX", "a") == arity("msetnx")


def test_mset_clears_ttl(rd):
    rd.set("a", "1", ex=100)
    rd.mset({"a": "2", "b": "3"})
    assert rd.ttl("a") == -1


def test_append_strlen(rc):
    assert rc.cmd("APPEND", "k", "hello") == integer(5)
    assert rc.cmd("APPEND", "k", " world") == integer(11)
    assert rc.cmd("GET", "k") == bulk("hello world")
    assert rc.cmd("STRLEN", "k") == integer(11)
    assert rc.cmd("STRLEN", "nokey") == integer(0)
    assert rc.cmd("APPEND", "k", "") == integer(11)
    rc.cmd("SET", "n", "5")
    assert rc.cmd("APPEND", "n", "0") == integer(2)
    assert rc.cmd("INCR", "n") == integer(51)
    assert rc.cmd("STRLEN", "n") == integer(2)
    rc.cmd("SET", "i", "12345")
    assert rc.cmd("STRLEN", "i") == integer(5)
    assert rc.cmd("APPEND", "k") == arity("append")
    assert rc.cmd("STRLEN") == arity("strlen")


def test_append_keeps_ttl(rd):
    rd.set("k", "a", ex=100)
    rd.append("k", "b")
    assert rd.ttl("k") > 0


# --------------------------------------------------------------------------
# counters
# --------------------------------------------------------------------------

def test_incr_decr(rc):
    assert rc.cmd("INCR", "n") == integer(1)
    assert rc.cmd("INCR", "n") == integer(2)
    assert rc.cmd("DECR", "n") == integer(1)
    assert rc.cmd("INCRBY", "n", "10") == integer(11)
    assert rc.cmd("DECRBY", "n", "20") == integer(-9)
    assert rc.cmd("INCRBY", "n", "-1") == integer(-10)
    assert rc.cmd("DECR", "newkey") == integer(-1)
    assert rc.cmd("GET", "n") == bulk("-10")


def test_incr_keeps_ttl(rd):
    rd.set("n", "1", ex=100)
    assert rd.incr("n") == 2
    assert rd.ttl("n") > 0


def test_incr_errors(rc):
    for v in ("abc", " 1", "1 ", "01", "1.5", "", "+1", "-0", "9223372036854775808",
              "1e3", "0x10"):
        rc.cmd("SET", "s", v)
        assert rc.cmd("INCR", "s") == NOT_INT, v
        assert rc.cmd("DECRBY", "s", "1") == NOT_INT, v
    assert rc.cmd("INCRBY", "n", "abc") == NOT_INT
    assert rc.cmd("INCRBY", "n", "1.0") == NOT_INT
    assert rc.cmd("INCRBY", "n", "99999999999999999999") == NOT_INT
    assert rc.cmd("INCR") == arity("incr")
    assert rc.cmd("INCR", "a", "b") == arity("incr")
    assert rc.cmd("INCRBY", "a") == arity("incrby")


def test_incr_overflow(rc):
    rc.cmd("SET", "big", "9223372036854775807")
    assert rc.cmd("INCR", "big") == err("ERR increment or decrement would overflow")
    assert rc.cmd("INCRBY", "big", "1") == err("ERR increment or decrement would overflow")
    assert rc.cmd("DECRBY", "big", "-1") == err("ERR increment or decrement would overflow")
    assert rc.cmd("GET", "big") == bulk("9223372036854775807")
    rc.cmd("SET", "neg", "-9223372036854775808")
    assert rc.cmd("DECR", "neg") == err("ERR increment or decrement would overflow")
    assert rc.cmd("INCRBY", "neg", "-1") == err("ERR increment or decrement would overflow")
    assert rc.cmd("INCR", "neg") == integer(-9223372036854775807)
    # DECRBY of LLONG_MIN cannot be negated
    assert rc.cmd("DECRBY", "x", "-9223372036854775808") == err("ERR decrement would overflow")
    assert rc.cmd("EXISTS", "x") == integer(0)
    assert rc.cmd("INCRBY", "y", "-9223372036854775808") == integer(-9223372036854775808)


def test_incrbyfloat(rc):
    assert rc.cmd("INCRBYFLOAT", "f", "1.5") == bulk("1.5")
    assert rc.cmd("INCRBYFLOAT", "f", "-0.5") == bulk("1")
    assert rc.cmd("INCRBYFLOAT", "f", "0.1") == bulk("1.1")
    rc.cmd("SET", "f", "10.50")
    assert rc.cmd("INCRBYFLOAT", "f", "0.1") == bulk("10.6")
    rc.cmd("SET", "f", "3.0")
    assert rc.cmd("INCRBYFLOAT", "f", "0") == bulk("3")
    rc.cmd("SET", "f", "5")
    assert rc.cmd("INCRBYFLOAT", "f", "2.0e2") == bulk("205")
    assert rc.cmd("INCRBYFLOAT", "f", "-205") == bulk("0")
    # long double arithmetic, printed with %.17Lg
    rc.cmd("SET", "f", "10.6")
    assert rc.cmd("INCRBYFLOAT", "f", "5.0e3") == bulk("5010.60000000000000009")
    assert rc.cmd("INCRBYFLOAT", "f", "abc") == err("ERR value is not a valid float")
    assert rc.cmd("INCRBYFLOAT", "f", "") == err("ERR value is not a valid float")
    assert rc.cmd("INCRBYFLOAT", "f", "inf") == err("ERR increment would produce NaN or Infinity")
    assert rc.cmd("INCRBYFLOAT", "f", "nan") == err("ERR value is not a valid float")
    rc.cmd("SET", "s", "notafloat")
    assert rc.cmd("INCRBYFLOAT", "s", "1") == err("ERR value is not a valid float")
    rc.cmd("SET", "i", "7")
    assert rc.cmd("INCRBYFLOAT", "i", "1") == bulk("8")
    assert rc.cmd("INCR", "i") == integer(9)
    assert rc.cmd("INCRBYFLOAT", "i") == arity("incrbyfloat")


def test_incrbyfloat_keeps_ttl(rd):
    rd.set("f", "1", ex=100)
    assert rd.incrbyfloat("f", 1.5) == 2.5
    assert rd.ttl("f") > 0


# --------------------------------------------------------------------------
# ranges
# --------------------------------------------------------------------------

def test_getrange_substr(rc):
    rc.cmd("SET", "k", "Hello World")
    cases = [
        (("0", "4"), "Hello"), (("0", "-1"), "Hello World"), (("-5", "-1"), "World"),
        (("100", "200"), ""), (("-100", "-1"), "Hello World"), (("3", "1"), ""),
        (("-1", "-5"), ""), (("0", "-100"), "H"), (("5", "5"), " "),
        (("0", "9223372036854775807"), "Hello World"),
        (("-9223372036854775808", "2"), "Hel"),
    ]
    for (s, e), want in cases:
        assert rc.cmd("GETRANGE", "k", s, e) == bulk(want), (s, e)
        assert rc.cmd("SUBSTR", "k", s, e) == bulk(want), (s, e)
    assert rc.cmd("GETRANGE", "nokey", "0", "-1") == bulk("")
    assert rc.cmd("GETRANGE", "k", "a", "1") == NOT_INT
    assert rc.cmd("GETRANGE", "k", "1") == arity("getrange")
    rc.cmd("SET", "n", "12345")
    assert rc.cmd("GETRANGE", "n", "1", "2") == bulk("23")
    rc.cmd("SET", "e", "")
    assert rc.cmd("GETRANGE", "e", "0", "-1") == bulk("")


def test_setrange(rc):
    rc.cmd("SET", "k", "Hello World")
    assert rc.cmd("SETRANGE", "k", "6", "Redis") == integer(11)
    assert rc.cmd("GET", "k") == bulk("Hello Redis")
    assert rc.cmd("SETRANGE", "k", "15", "!") == integer(16)
    assert rc.cmd("GET", "k") == bulk(b"Hello Redis\x00\x00\x00\x00!")
    assert rc.cmd("SETRANGE", "new", "3", "abc") == integer(6)
    assert rc.cmd("GET", "new") == bulk(b"\x00\x00\x00abc")
    # empty value on a missing key creates nothing
    assert rc.cmd("SETRANGE", "e", "0", "") == integer(0)
    assert rc.cmd("SETRANGE", "e", "5", "") == integer(0)
    assert rc.cmd("EXISTS", "e") == integer(0)
    assert rc.cmd("SETRANGE", "k", "100", "") == integer(16)
    assert rc.cmd("SETRANGE", "k", "-1", "x") == err("ERR offset is out of range")
    assert rc.cmd("SETRANGE", "k", "536870912", "x") == err(
        "ERR string exceeds maximum allowed size (proto-max-bulk-len)")
    assert rc.cmd("SETRANGE", "k", "x", "x") == NOT_INT
    rc.cmd("SET", "n", "123")
    assert rc.cmd("SETRANGE", "n", "1", "9") == integer(3)
    assert rc.cmd("INCR", "n") == integer(194)
    assert rc.cmd("SETRANGE", "k", "1") == arity("setrange")


def test_lcs(rc):
    rc.cmd("MSET", "k1", "ohmytext", "k2", "mynewtext")
    assert rc.cmd("LCS", "k1", "k2") == bulk("mytext")
    assert rc.cmd("LCS", "k1", "k2", "LEN") == integer(6)
    assert rc.cmd("LCS", "k1", "nokey") == bulk("")
    assert rc.cmd("LCS", "nokey", "nokey2", "LEN") == integer(0)
    idx = rc.cmd_parsed("LCS", "k1", "k2", "IDX")
    assert idx == [b"matches", [[[4, 7], [5, 8]], [[2, 3], [0, 1]]], b"len", 6]
    idx = rc.cmd_parsed("LCS", "k1", "k2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN")
    assert idx == [b"matches", [[[4, 7], [5, 8], 4]], b"len", 6]
    assert rc.cmd("LCS", "k1", "k2", "LEN", "IDX") == err(
        "ERR If you want both the length and indexes, please just use IDX.")
    assert rc.cmd("LCS", "k1", "k2", "FOO") == SYNTAX
    assert rc.cmd("LCS", "k1") == arity("lcs")


def test_lcs_exact_bytes(rc):
    rc.cmd("MSET", "a", "ABCBDAB", "b", "BDCABA")
    assert rc.cmd("LCS", "a", "b") == bulk("BDAB")
    assert rc.cmd("LCS", "a", "b", "IDX", "WITHMATCHLEN") == (
        b"*4\r\n$7\r\nmatches\r\n*2\r\n"
        b"*3\r\n*2\r\n:5\r\n:6\r\n*2\r\n:3\r\n:4\r\n:2\r\n"
        b"*3\r\n*2\r\n:3\r\n:4\r\n*2\r\n:0\r\n:1\r\n:2\r\n"
        b"$3\r\nlen\r\n:4\r\n")


def test_many_keys_roundtrip(r, scale):
    n = scale(20000)
    p = r.pipeline(transaction=False)
    for i in range(n):
        p.set(b"key:%d" % i, b"val:%d" % i)
    assert all(p.execute())
    assert r.dbsize() == n
    p = r.pipeline(transaction=False)
    for i in range(0, n, 7):
        p.get(b"key:%d" % i)
    vals = p.execute()
    assert vals == [b"val:%d" % i for i in range(0, n, 7)]
    assert r.mget([b"key:%d" % i for i in range(100)]) == [b"val:%d" % i for i in range(100)]
