"""Sorted set family: every command, its errors, RESP2/RESP3 reply shapes,
encoding conversions, blocking pops and redis-py leaderboard use.  Expected
replies were taken from Redis 7.0.15 (the suite passes against it with
MAGPIE_BIN=/usr/bin/redis-server, except the tests marked magpie-only)."""

import random
import threading
import time

import pytest
import redis

from conftest import NIL, NOT_INT, OK, SANITIZED, arity, bulk, err, integer

WRONGTYPE = err("WRONGTYPE Operation against a key holding the wrong kind of value")
SYNTAX = err("ERR syntax error")
NOT_FLOAT = err("ERR value is not a valid float")
RANGE_NOT_FLOAT = err("ERR min or max is not a float")
LEX_BAD = err("ERR min or max not valid string range item")


def arr(*items):
    return b"*%d\r\n" % len(items) + b"".join(items)


def dbl(s):
    return b"," + s.encode() + b"\r\n"


@pytest.fixture
def rc3(rc):
    rc.cmd("HELLO", "3")
    return rc


# ---------------------------------------------------------------------------
# ZADD / ZINCRBY / scores

def test_zadd_flags_and_replies(rc):
    assert rc.cmd("ZADD", "z", "1", "a", "2", "b") == integer(2)
    assert rc.cmd("ZADD", "z", "1", "a", "5", "b", "3", "c") == integer(1)
    assert rc.cmd("ZADD", "z", "CH", "9", "a", "5", "b", "4", "d") == integer(2)
    assert rc.cmd("ZADD", "z", "NX", "0", "a", "7", "e") == integer(1)
    assert rc.cmd("ZSCORE", "z", "a") == bulk("9")
    assert rc.cmd("ZADD", "z", "XX", "CH", "1", "a", "1", "new") == integer(1)
    assert rc.cmd("ZSCORE", "z", "new") == NIL
    assert rc.cmd("ZADD", "z", "GT", "CH", "0", "a", "10", "b") == integer(1)
    assert rc.cmd("ZADD", "z", "LT", "CH", "5", "a", "20", "b") == integer(0)
    assert rc.cmd("ZADD", "z", "INCR", "2.5", "a") == bulk("3.5")
    assert rc.cmd("ZADD", "z", "XX", "INCR", "1", "nosuch") == NIL
    assert rc.cmd("ZADD", "z", "NX", "INCR", "1", "a") == NIL
    assert rc.cmd("ZADD", "z", "GT", "INCR", "-1", "a") == NIL
    assert rc.cmd("ZADD", "nokey", "XX", "1", "a") == integer(0)
    assert rc.cmd("EXISTS", "nokey") == integer(0)
    assert rc.cmd("ZADD", "nokey", "XX", "INCR", "1", "a") == NIL


def test_zadd_errors(rc):
    assert rc.cmd("ZADD", "z", "1") == arity("zadd")
    assert rc.cmd("ZADD", "z", "NX", "1") == SYNTAX
    assert rc.cmd("ZADD", "z", "1", "a", "2") == SYNTAX
    assert rc.cmd("ZADD", "z", "NX", "XX", "1", "a") == \
        err("ERR XX and NX options at the same time are not compatible")
    for opts in (["GT", "LT"], ["GT", "NX"], ["LT", "NX"]):
        assert rc.cmd("ZADD", "z", *opts, "1", "a") == \
            err("ERR GT, LT, and/or NX options at the same time are not compatible")
    assert rc.cmd("ZADD", "z", "INCR", "1", "a", "2", "b") == \
        err("ERR INCR option supports a single increment-element pair")
    for bad in ("nan", "abc", "", "1e400", " 1", "1x"):
        assert rc.cmd("ZADD", "z", bad, "a") == NOT_FLOAT, bad
    assert rc.cmd("EXISTS", "z") == integer(0)
    assert rc.cmd("ZADD", "z", "inf", "a") == integer(1)
    assert rc.cmd("ZADD", "z", "INCR", "-inf", "a") == \
        err("ERR resulting score is not a number (NaN)")
    assert rc.cmd("ZINCRBY", "z", "-inf", "a") == err("ERR resulting score is not a number (NaN)")
    assert rc.cmd("ZINCRBY", "z", "x", "a") == NOT_FLOAT
    assert rc.cmd("ZINCRBY", "z", "1") == arity("zincrby")


def test_zincrby(rc):
    assert rc.cmd("ZINCRBY", "z", "1.5", "a") == bulk("1.5")
    assert rc.cmd("ZINCRBY", "z", "-3", "a") == bulk("-1.5")
    assert rc.cmd("ZINCRBY", "z", "0.1", "b") == bulk("0.10000000000000001")
    assert rc.cmd("ZRANGE", "z", "0", "-1") == arr(bulk("a"), bulk("b"))


def test_score_formatting_resp2_and_resp3(rc):
    rc.cmd("ZADD", "z", "0.1", "a", "1e20", "b", "-inf", "c", "inf", "d", "1.5e-7", "e",
           "123456789012345678", "f", "+inf", "g", "0x10", "h")
    assert rc.cmd("ZSCORE", "z", "a") == bulk("0.10000000000000001")
    assert rc.cmd("ZMSCORE", "z", "b", "c", "d", "e", "f", "h", "nope") == arr(
        bulk("1e+20"), bulk("-inf"), bulk("inf"), bulk("1.4999999999999999e-07"),
        bulk("1.2345678901234568e+17"), bulk("16"), NIL)
    rc.cmd("HELLO", "3")
    assert rc.cmd("ZSCORE", "z", "a") == dbl("0.10000000000000001")
    assert rc.cmd("ZMSCORE", "z", "c", "d", "nope") == arr(dbl("-inf"), dbl("inf"), b"_\r\n")
    assert rc.cmd("ZSCORE", "z", "nope") == b"_\r\n"
    assert rc.cmd("ZINCRBY", "z", "1", "h") == dbl("17")


def test_negative_zero_follows_the_encoding(rc):
    # A listpack stores scores as text: -0 reads back as 0, as in Redis.
    rc.cmd("ZADD", "z", "-0", "a")
    assert rc.cmd("ZSCORE", "z", "a") == bulk("0")
    rc.cmd("ZADD", "big", "1", "x" * 70)
    rc.cmd("ZADD", "big", "-0", "a")
    assert rc.cmd("OBJECT", "ENCODING", "big") == bulk("skiplist")
    assert rc.cmd("ZSCORE", "big", "a") == bulk("-0")


# ---------------------------------------------------------------------------
# encodings

def test_encoding_conversions(rc):
    rc.cmd("ZADD", "z", *sum([[str(i), "m%d" % i] for i in range(128)], []))
    assert rc.cmd("OBJECT", "ENCODING", "z") == bulk("listpack")
    rc.cmd("ZADD", "z", "1000", "one-more")
    assert rc.cmd("OBJECT", "ENCODING", "z") == bulk("skiplist")
    rc.cmd("ZREMRANGEBYRANK", "z", "0", "-3")
    assert rc.cmd("ZCARD", "z") == integer(2)
    assert rc.cmd("OBJECT", "ENCODING", "z") == bulk("skiplist")  # never converts back
    rc.cmd("ZADD", "long", "1", "a")
    rc.cmd("ZADD", "long", "1", "x" * 65)
    assert rc.cmd("OBJECT", "ENCODING", "long") == bulk("skiplist")
    rc.cmd("ZADD", "edge", "1", "x" * 64)
    assert rc.cmd("OBJECT", "ENCODING", "edge") == bulk("listpack")
    assert rc.cmd("CONFIG", "SET", "zset-max-listpack-entries", "2") == OK
    try:
        rc.cmd("ZADD", "small", "1", "a", "2", "b")
        assert rc.cmd("OBJECT", "ENCODING", "small") == bulk("listpack")
        rc.cmd("ZADD", "small", "3", "c")
        assert rc.cmd("OBJECT", "ENCODING", "small") == bulk("skiplist")
        assert rc.cmd("ZRANGE", "small", "0", "-1") == arr(bulk("a"), bulk("b"), bulk("c"))
    finally:
        rc.cmd("CONFIG", "SET", "zset-max-listpack-entries", "128")


def test_store_results_take_the_compact_encoding_when_they_fit(rc):
    rc.cmd("ZADD", "big", *sum([[str(i), "m%d" % i] for i in range(200)], []))
    assert rc.cmd("ZUNIONSTORE", "d", "1", "big") == integer(200)
    assert rc.cmd("OBJECT", "ENCODING", "d") == bulk("skiplist")
    assert rc.cmd("ZINTERSTORE", "d", "1", "big") == integer(200)
    rc.cmd("ZREMRANGEBYRANK", "big", "10", "-1")
    assert rc.cmd("ZUNIONSTORE", "d", "1", "big") == integer(10)
    assert rc.cmd("OBJECT", "ENCODING", "d") == bulk("listpack")
    assert rc.cmd("ZRANGESTORE", "d", "big", "0", "4") == integer(5)
    assert rc.cmd("OBJECT", "ENCODING", "d") == bulk("listpack")


# ---------------------------------------------------------------------------
# reads

def test_zcard_zscore_zrank(rc):
    assert rc.cmd("ZCARD", "z") == integer(0)
    rc.cmd("ZADD", "z", "1", "a", "2", "b", "3", "c")
    assert rc.cmd("ZCARD", "z") == integer(3)
    assert rc.cmd("ZRANK", "z", "a") == integer(0)
    assert rc.cmd("ZRANK", "z", "c") == integer(2)
    assert rc.cmd("ZREVRANK", "z", "c") == integer(0)
    assert rc.cmd("ZRANK", "z", "x") == NIL
    assert rc.cmd("ZRANK", "nokey", "x") == NIL
    assert rc.cmd("ZRANK", "z") == arity("zrank")
    assert rc.cmd("ZRANK", "z", "a", "WITHSCORE") == arity("zrank")
    assert rc.cmd("ZMSCORE", "nokey", "a", "b") == arr(NIL, NIL)
    assert rc.cmd("ZMSCORE", "z") == arity("zmscore")


def test_zcount_and_zlexcount(rc):
    rc.cmd("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d")
    assert rc.cmd("ZCOUNT", "z", "-inf", "+inf") == integer(4)
    assert rc.cmd("ZCOUNT", "z", "(1", "3") == integer(2)
    assert rc.cmd("ZCOUNT", "z", "(1", "(3") == integer(1)
    assert rc.cmd("ZCOUNT", "z", "3", "1") == integer(0)
    assert rc.cmd("ZCOUNT", "z", "", " 3") == integer(3)  # strtod: "" is 0, " 3" is 3
    assert rc.cmd("ZCOUNT", "z", "(", "3") == integer(3)
    for bad in (("x", "1"), ("1", "(x"), ("[1", "2"), ("nan", "1")):
        assert rc.cmd("ZCOUNT", "z", *bad) == RANGE_NOT_FLOAT
    assert rc.cmd("ZCOUNT", "nokey", "x", "1") == RANGE_NOT_FLOAT
    rc.cmd("ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d")
    assert rc.cmd("ZLEXCOUNT", "l", "-", "+") == integer(4)
    assert rc.cmd("ZLEXCOUNT", "l", "[b", "(d") == integer(2)
    assert rc.cmd("ZLEXCOUNT", "l", "(a", "[a") == integer(0)
    assert rc.cmd("ZLEXCOUNT", "l", "+", "-") == integer(0)
    for bad in (("a", "+"), ("-", "b"), ("", "+")):
        assert rc.cmd("ZLEXCOUNT", "l", *bad) == LEX_BAD


def test_zrange_by_rank(rc):
    rc.cmd("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d")
    assert rc.cmd("ZRANGE", "z", "0", "-1") == arr(*map(bulk, "abcd"))
    assert rc.cmd("ZRANGE", "z", "-2", "100") == arr(bulk("c"), bulk("d"))
    assert rc.cmd("ZRANGE", "z", "2", "1") == arr()
    assert rc.cmd("ZRANGE", "z", "0", "0", "WITHSCORES") == arr(bulk("a"), bulk("1"))
    assert rc.cmd("ZRANGE", "z", "0", "1", "REV") == arr(bulk("d"), bulk("c"))
    assert rc.cmd("ZREVRANGE", "z", "0", "1", "WITHSCORES") == \
        arr(bulk("d"), bulk("4"), bulk("c"), bulk("3"))
    assert rc.cmd("ZRANGE", "z", "x", "1") == NOT_INT
    assert rc.cmd("ZRANGE", "nokey", "0", "-1") == arr()
    assert rc.cmd("ZRANGE", "z", "0", "-1", "LIMIT", "0", "2") == err(
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
    assert rc.cmd("ZRANGE", "z", "0", "-1", "LIMIT", "1", "-1") == arr(*map(bulk, "abcd"))
    assert rc.cmd("ZRANGE", "z", "0", "-1", "REV", "REV") == SYNTAX
    assert rc.cmd("ZREVRANGE", "z", "0", "-1", "REV") == SYNTAX
    assert rc.cmd("ZRANGE", "z", "0", "-1", "BYSCORE", "BYLEX") == SYNTAX
    assert rc.cmd("ZRANGE", "z", "0", "-1", "LIMIT", "1") == SYNTAX


def test_zrange_by_score(rc):
    rc.cmd("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d")
    assert rc.cmd("ZRANGE", "z", "(1", "3", "BYSCORE") == arr(bulk("b"), bulk("c"))
    assert rc.cmd("ZRANGE", "z", "3", "(1", "BYSCORE", "REV") == arr(bulk("c"), bulk("b"))
    assert rc.cmd("ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "1", "2") == \
        arr(bulk("b"), bulk("c"))
    assert rc.cmd("ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "1", "-1") == \
        arr(bulk("b"), bulk("c"), bulk("d"))
    assert rc.cmd("ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "-1", "2") == arr()
    assert rc.cmd("ZREVRANGEBYSCORE", "z", "+inf", "-inf", "WITHSCORES", "LIMIT", "0", "1") == \
        arr(bulk("d"), bulk("4"))
    assert rc.cmd("ZRANGEBYSCORE", "z", "0", "10", "BYSCORE") == SYNTAX
    assert rc.cmd("ZRANGEBYSCORE", "z", "a", "10") == RANGE_NOT_FLOAT


def test_zrange_by_lex(rc):
    rc.cmd("ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d")
    assert rc.cmd("ZRANGE", "l", "[b", "+", "BYLEX") == arr(bulk("b"), bulk("c"), bulk("d"))
    assert rc.cmd("ZRANGE", "l", "+", "[b", "BYLEX", "REV", "LIMIT", "1", "1") == arr(bulk("c"))
    assert rc.cmd("ZRANGEBYLEX", "l", "(a", "(d") == arr(bulk("b"), bulk("c"))
    assert rc.cmd("ZREVRANGEBYLEX", "l", "(d", "-") == arr(bulk("c"), bulk("b"), bulk("a"))
    assert rc.cmd("ZRANGE", "l", "-", "+", "BYLEX", "WITHSCORES") == err(
        "ERR syntax error, WITHSCORES not supported in combination with BYLEX")
    assert rc.cmd("ZRANGEBYLEX", "l", "a", "+") == LEX_BAD


def test_resp3_range_shapes(rc3):
    rc3.cmd("ZADD", "z", "1", "a", "2.5", "b")
    assert rc3.cmd("ZRANGE", "z", "0", "-1", "WITHSCORES") == \
        arr(arr(bulk("a"), dbl("1")), arr(bulk("b"), dbl("2.5")))
    assert rc3.cmd("ZRANGE", "z", "0", "-1") == arr(bulk("a"), bulk("b"))
    assert rc3.cmd("ZRANGEBYSCORE", "z", "2", "3", "WITHSCORES") == arr(arr(bulk("b"), dbl("2.5")))
    assert rc3.cmd("ZUNION", "1", "z", "WITHSCORES") == \
        arr(arr(bulk("a"), dbl("1")), arr(bulk("b"), dbl("2.5")))
    assert rc3.cmd("ZPOPMIN", "z") == arr(bulk("a"), dbl("1"))
    assert rc3.cmd("ZPOPMAX", "z", "1") == arr(arr(bulk("b"), dbl("2.5")))
    assert rc3.cmd("ZMPOP", "1", "z", "MIN") == b"_\r\n"
    rc3.cmd("ZADD", "z", "3", "c")
    assert rc3.cmd("ZRANDMEMBER", "z", "1", "WITHSCORES") == arr(arr(bulk("c"), dbl("3")))
    assert rc3.cmd("ZSCAN", "z", "0") == arr(bulk("0"), arr(bulk("c"), bulk("3")))


def test_zrangestore(rc):
    rc.cmd("ZADD", "z", "1", "a", "2", "b", "3", "c")
    assert rc.cmd("ZRANGESTORE", "d", "z", "0", "1") == integer(2)
    assert rc.cmd("ZRANGE", "d", "0", "-1", "WITHSCORES") == \
        arr(bulk("a"), bulk("1"), bulk("b"), bulk("2"))
    assert rc.cmd("ZRANGESTORE", "d", "z", "+inf", "(1", "BYSCORE", "REV", "LIMIT", "0", "1") == \
        integer(1)
    assert rc.cmd("ZRANGE", "d", "0", "-1") == arr(bulk("c"))
    assert rc.cmd("ZRANGESTORE", "d", "z", "0", "-1", "WITHSCORES") == SYNTAX
    rc.cmd("SET", "s", "v")
    assert rc.cmd("ZRANGESTORE", "s", "nokey", "0", "-1") == integer(0)
    assert rc.cmd("EXISTS", "s") == integer(0)
    rc.cmd("SET", "s", "v")
    assert rc.cmd("ZRANGESTORE", "d", "s", "0", "-1") == WRONGTYPE
    assert rc.cmd("ZRANGESTORE", "s", "z", "0", "-1") == integer(3)
    assert rc.cmd("TYPE", "s") == b"+zset\r\n"
    assert rc.cmd("ZRANGESTORE", "z", "z", "1", "1") == integer(1)
    assert rc.cmd("ZRANGE", "z", "0", "-1") == arr(bulk("b"))


# ---------------------------------------------------------------------------
# removal

def test_zrem_and_remrange(rc):
    rc.cmd("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e")
    assert rc.cmd("ZREM", "z", "a", "nope", "a") == integer(1)
    assert rc.cmd("ZREMRANGEBYSCORE", "z", "(2", "3") == integer(1)
    assert rc.cmd("ZREMRANGEBYRANK", "z", "-1", "-1") == integer(1)
    assert rc.cmd("ZRANGE", "z", "0", "-1") == arr(bulk("b"), bulk("d"))
    assert rc.cmd("ZREMRANGEBYRANK", "z", "5", "10") == integer(0)
    assert rc.cmd("ZREMRANGEBYRANK", "z", "x", "1") == NOT_INT
    assert rc.cmd("ZREMRANGEBYSCORE", "z", "x", "1") == RANGE_NOT_FLOAT
    assert rc.cmd("ZREM", "z", "b", "d") == integer(2)
    assert rc.cmd("EXISTS", "z") == integer(0)  # emptied sets are deleted
    rc.cmd("ZADD", "l", "0", "a", "0", "b", "0", "c")
    assert rc.cmd("ZREMRANGEBYLEX", "l", "[a", "(c") == integer(2)
    assert rc.cmd("ZREMRANGEBYLEX", "l", "x", "+") == LEX_BAD
    assert rc.cmd("ZREMRANGEBYLEX", "l", "-", "+") == integer(1)
    assert rc.cmd("EXISTS", "l") == integer(0)
    assert rc.cmd("ZREM", "nokey", "a") == integer(0)


def test_pops(rc):
    rc.cmd("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d")
    assert rc.cmd("ZPOPMIN", "z") == arr(bulk("a"), bulk("1"))
    assert rc.cmd("ZPOPMAX", "z", "2") == arr(bulk("d"), bulk("4"), bulk("c"), bulk("3"))
    assert rc.cmd("ZPOPMIN", "z", "0") == arr()
    assert rc.cmd("ZPOPMIN", "z", "-1") == err("ERR value is out of range, must be positive")
    assert rc.cmd("ZPOPMIN", "z", "10") == arr(bulk("b"), bulk("2"))
    assert rc.cmd("EXISTS", "z") == integer(0)
    assert rc.cmd("ZPOPMIN", "z") == arr()
    assert rc.cmd("ZPOPMIN", "z", "1", "2") == SYNTAX


def test_zmpop(rc):
    rc.cmd("ZADD", "z", "1", "a", "2", "b", "3", "c")
    assert rc.cmd("ZMPOP", "2", "nokey", "z", "MAX", "COUNT", "2") == \
        arr(bulk("z"), arr(arr(bulk("c"), bulk("3")), arr(bulk("b"), bulk("2"))))
    assert rc.cmd("ZMPOP", "1", "z", "MIN") == arr(bulk("z"), arr(arr(bulk("a"), bulk("1"))))
    assert rc.cmd("ZMPOP", "1", "z", "MIN") == b"*-1\r\n"
    assert rc.cmd("ZMPOP", "0", "z", "MIN") == err("ERR numkeys should be greater than 0")
    assert rc.cmd("ZMPOP", "2", "z", "MIN") == SYNTAX
    assert rc.cmd("ZMPOP", "1", "z", "FOO") == SYNTAX
    assert rc.cmd("ZMPOP", "1", "z", "MIN", "COUNT", "0") == \
        err("ERR count should be greater than 0")
    assert rc.cmd("ZMPOP", "1", "z", "MIN", "COUNT", "1", "COUNT", "1") == SYNTAX
    rc.cmd("SET", "s", "v")
    assert rc.cmd("ZMPOP", "1", "s", "MIN") == WRONGTYPE


def test_zrandmember(rc):
    assert rc.cmd("ZRANDMEMBER", "z") == NIL
    assert rc.cmd("ZRANDMEMBER", "z", "5") == arr()
    rc.cmd("ZADD", "z", "1", "a", "2", "b", "3", "c")
    assert rc.cmd_parsed("ZRANDMEMBER", "z") in (b"a", b"b", b"c")
    got = rc.cmd_parsed("ZRANDMEMBER", "z", "2")
    assert len(got) == 2 and len(set(got)) == 2 and set(got) <= {b"a", b"b", b"c"}
    assert sorted(rc.cmd_parsed("ZRANDMEMBER", "z", "10")) == [b"a", b"b", b"c"]
    got = rc.cmd_parsed("ZRANDMEMBER", "z", "-10", "WITHSCORES")
    assert len(got) == 20
    for m, s in zip(got[::2], got[1::2]):
        assert {b"a": b"1", b"b": b"2", b"c": b"3"}[m] == s
    assert rc.cmd("ZRANDMEMBER", "z", "0") == arr()
    assert rc.cmd("ZRANDMEMBER", "z", "x") == NOT_INT
    assert rc.cmd("ZRANDMEMBER", "z", "1", "FOO") == SYNTAX
    assert rc.cmd("ZRANDMEMBER", "z", "-9223372036854775808") == err(
        "ERR value is out of range, value must between -9223372036854775807 and "
        "9223372036854775807")
    assert rc.cmd("ZRANDMEMBER", "z", "9223372036854775807", "WITHSCORES") == \
        err("ERR value is out of range")


def test_zrandmember_large_set_is_spread(rc):
    rc.cmd("ZADD", "z", *sum([[str(i), "m%d" % i] for i in range(300)], []))
    got = rc.cmd_parsed("ZRANDMEMBER", "z", "250")
    assert len(set(got)) == 250
    seen = set()
    for _ in range(200):
        seen.add(rc.cmd_parsed("ZRANDMEMBER", "z"))
    assert len(seen) > 100


# ---------------------------------------------------------------------------
# set algebra

def test_union_inter_diff(rc):
    rc.cmd("ZADD", "a", "1", "x", "2", "y", "inf", "z")
    rc.cmd("ZADD", "b", "10", "x", "-inf", "z", "5", "w")
    assert rc.cmd("ZUNION", "2", "a", "b", "WITHSCORES") == arr(
        bulk("z"), bulk("0"), bulk("y"), bulk("2"), bulk("w"), bulk("5"), bulk("x"), bulk("11"))
    assert rc.cmd("ZINTER", "2", "a", "b", "AGGREGATE", "MAX", "WITHSCORES") == arr(
        bulk("x"), bulk("10"), bulk("z"), bulk("inf"))
    assert rc.cmd("ZINTER", "2", "a", "b", "WEIGHTS", "2", "0.5", "AGGREGATE", "MIN") == \
        arr(bulk("z"), bulk("x"))
    assert rc.cmd("ZDIFF", "2", "a", "b", "WITHSCORES") == arr(bulk("y"), bulk("2"))
    assert rc.cmd("ZUNION", "2", "a", "nokey") == arr(bulk("x"), bulk("y"), bulk("z"))
    assert rc.cmd("ZINTER", "2", "a", "nokey") == arr()
    assert rc.cmd("ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2") == integer(4)
    assert rc.cmd("ZRANGE", "d", "0", "-1", "WITHSCORES") == arr(
        bulk("z"), bulk("0"), bulk("y"), bulk("2"), bulk("w"), bulk("10"), bulk("x"), bulk("21"))
    assert rc.cmd("ZINTERSTORE", "d", "2", "a", "nokey") == integer(0)
    assert rc.cmd("EXISTS", "d") == integer(0)
    assert rc.cmd("ZDIFFSTORE", "a", "2", "a", "b") == integer(1)
    assert rc.cmd("ZRANGE", "a", "0", "-1") == arr(bulk("y"))


def test_set_sources_count_as_score_one(rc):
    rc.cmd("SADD", "s", "x", "q")
    rc.cmd("ZADD", "z", "2", "x", "3", "y")
    assert rc.cmd("ZUNION", "2", "z", "s", "WITHSCORES") == arr(
        bulk("q"), bulk("1"), bulk("x"), bulk("3"), bulk("y"), bulk("3"))
    assert rc.cmd("ZINTER", "2", "z", "s", "WEIGHTS", "1", "10", "WITHSCORES") == \
        arr(bulk("x"), bulk("12"))
    assert rc.cmd("ZINTERCARD", "2", "z", "s") == integer(1)


def test_setop_errors(rc):
    rc.cmd("ZADD", "z", "1", "a")
    rc.cmd("SET", "str", "v")
    assert rc.cmd("ZUNION", "0", "z") == err("ERR at least 1 input key is needed for 'zunion' command")
    assert rc.cmd("ZUNIONSTORE", "d", "0", "z") == \
        err("ERR at least 1 input key is needed for 'zunionstore' command")
    assert rc.cmd("ZUNION", "x", "z") == NOT_INT
    assert rc.cmd("ZUNION", "2", "z") == SYNTAX
    assert rc.cmd("ZUNION", "1", "z", "WEIGHTS", "x") == err("ERR weight value is not a float")
    assert rc.cmd("ZUNION", "1", "str", "WEIGHTS", "x") == WRONGTYPE  # types checked first
    assert rc.cmd("ZUNION", "1", "z", "AGGREGATE", "AVG") == SYNTAX
    assert rc.cmd("ZDIFF", "1", "z", "WEIGHTS", "1") == SYNTAX
    assert rc.cmd("ZUNIONSTORE", "d", "1", "z", "WITHSCORES") == SYNTAX
    assert rc.cmd("ZINTERCARD", "0", "z") == \
        err("ERR at least 1 input key is needed for 'zintercard' command")
    assert rc.cmd("ZINTERCARD", "1", "z", "LIMIT", "-1") == err("ERR LIMIT can't be negative")
    assert rc.cmd("ZINTERCARD", "1", "str", "LIMIT", "-1") == WRONGTYPE


def test_zintercard_limit(rc):
    rc.cmd("ZADD", "a", *sum([[str(i), "m%d" % i] for i in range(50)], []))
    rc.cmd("ZADD", "b", *sum([[str(i), "m%d" % i] for i in range(0, 50, 2)], []))
    assert rc.cmd("ZINTERCARD", "2", "a", "b") == integer(25)
    assert rc.cmd("ZINTERCARD", "2", "a", "b", "LIMIT", "10") == integer(10)
    assert rc.cmd("ZINTERCARD", "2", "a", "b", "LIMIT", "0") == integer(25)


# ---------------------------------------------------------------------------
# ZSCAN

def test_zscan_small_and_errors(rc):
    rc.cmd("ZADD", "z", "1", "a", "2", "b", "0.5", "ab")
    assert rc.cmd("ZSCAN", "z", "0") == arr(bulk("0"), arr(
        bulk("ab"), bulk("0.5"), bulk("a"), bulk("1"), bulk("b"), bulk("2")))
    assert rc.cmd("ZSCAN", "z", "0", "MATCH", "a*") == arr(bulk("0"), arr(
        bulk("ab"), bulk("0.5"), bulk("a"), bulk("1")))
    assert rc.cmd("ZSCAN", "nokey", "0") == arr(bulk("0"), arr())
    assert rc.cmd("ZSCAN", "z", "x") == err("ERR invalid cursor")
    assert rc.cmd("ZSCAN", "z", "0", "COUNT", "0") == SYNTAX
    assert rc.cmd("ZSCAN", "z", "0", "TYPE", "zset") == SYNTAX


def test_zscan_large_returns_everything(rc, scale):
    n = scale(5000)
    members = {b"m%d" % i: float(i) / 4 for i in range(n)}
    for i in range(0, n, 500):
        args = []
        for j in range(i, min(n, i + 500)):
            args += [str(j / 4), "m%d" % j]
        rc.cmd("ZADD", "z", *args)
    seen, cursor, grew = {}, b"0", False
    while True:
        cursor, batch = rc.cmd_parsed("ZSCAN", "z", cursor, "COUNT", "50")
        for m, s in zip(batch[::2], batch[1::2]):
            seen[m] = float(s)
        if not grew:  # growth mid-scan must not hide the original members
            rc.cmd("ZADD", "z", *sum([["1", "extra%d" % i] for i in range(n)], []))
            grew = True
        if cursor == b"0":
            break
    for m, s in members.items():
        assert seen[m] == s


# ---------------------------------------------------------------------------
# generic interactions

def test_wrongtype_everywhere(rc):
    rc.cmd("SET", "s", "v")
    cmds = [("ZADD", "s", "1", "a"), ("ZINCRBY", "s", "1", "a"), ("ZREM", "s", "a"),
            ("ZCARD", "s"), ("ZCOUNT", "s", "0", "1"), ("ZLEXCOUNT", "s", "-", "+"),
            ("ZSCORE", "s", "a"), ("ZMSCORE", "s", "a"), ("ZRANK", "s", "a"),
            ("ZREVRANK", "s", "a"), ("ZRANGE", "s", "0", "1"), ("ZREVRANGE", "s", "0", "1"),
            ("ZRANGEBYSCORE", "s", "0", "1"), ("ZREVRANGEBYSCORE", "s", "0", "1"),
            ("ZRANGEBYLEX", "s", "-", "+"), ("ZREVRANGEBYLEX", "s", "+", "-"),
            ("ZREMRANGEBYRANK", "s", "0", "1"), ("ZREMRANGEBYSCORE", "s", "0", "1"),
            ("ZREMRANGEBYLEX", "s", "-", "+"), ("ZPOPMIN", "s"), ("ZPOPMAX", "s"),
            ("ZRANDMEMBER", "s"), ("ZSCAN", "s", "0"), ("ZUNION", "1", "s"),
            ("ZINTER", "1", "s"), ("ZDIFF", "1", "s"), ("ZINTERCARD", "1", "s"),
            ("ZRANGESTORE", "d", "s", "0", "1"), ("ZUNIONSTORE", "d", "1", "s"),
            ("BZPOPMIN", "s", "0"), ("BZMPOP", "0", "1", "s", "MIN")]
    for c in cmds:
        assert rc.cmd(*c) == WRONGTYPE, c
    assert rc.cmd("GET", "s") == bulk("v")


def test_arity_errors(rc):
    for name, args in [("ZADD", 2), ("ZINCRBY", 2), ("ZREM", 1), ("ZCARD", 0), ("ZCOUNT", 2),
                       ("ZSCORE", 1), ("ZRANGE", 2), ("ZRANGESTORE", 3), ("ZPOPMIN", 0),
                       ("ZMPOP", 2), ("ZUNION", 1), ("ZUNIONSTORE", 2), ("ZSCAN", 1),
                       ("ZREMRANGEBYLEX", 2), ("BZPOPMIN", 1), ("BZMPOP", 3)]:
        assert rc.cmd(name, *["k"] * args) == arity(name.lower()), name


def test_copy_rename_type_and_memory(rc):
    rc.cmd("ZADD", "z", *sum([[str(i), "m%d" % i] for i in range(300)], []))
    assert rc.cmd("TYPE", "z") == b"+zset\r\n"
    assert rc.cmd("COPY", "z", "c") == integer(1)
    rc.cmd("ZREM", "z", "m0")
    assert rc.cmd("ZCARD", "c") == integer(300)
    assert rc.cmd("OBJECT", "ENCODING", "c") == bulk("skiplist")
    assert rc.cmd("RENAME", "c", "r") == OK
    assert rc.cmd("ZSCORE", "r", "m0") == bulk("0")
    big = rc.cmd_parsed("MEMORY", "USAGE", "r")
    rc.cmd("ZREMRANGEBYRANK", "r", "0", "-11")
    assert rc.cmd_parsed("MEMORY", "USAGE", "r") < big


def test_large_set_matches_a_model(rc, scale):
    rnd = random.Random(7)
    model = {}
    for _ in range(scale(3000)):
        m = "m%d" % rnd.randrange(600)
        op = rnd.random()
        if op < 0.6:
            s = rnd.randrange(-50, 50) / 2
            rc.cmd("ZADD", "z", str(s), m)
            model[m] = s
        elif op < 0.8:
            rc.cmd("ZREM", "z", m)
            model.pop(m, None)
        else:
            s = rnd.randrange(-5, 5)
            got = float(rc.cmd_parsed("ZINCRBY", "z", str(s), m))
            model[m] = model.get(m, 0) + s
            assert got == model[m]
    order = sorted(model.items(), key=lambda kv: (kv[1], kv[0].encode()))
    got = rc.cmd_parsed("ZRANGE", "z", "0", "-1", "WITHSCORES")
    assert [m.decode() for m in got[::2]] == [m for m, _ in order]
    assert [float(s) for s in got[1::2]] == [s for _, s in order]
    for i in range(0, len(order), 37):
        assert rc.cmd_parsed("ZRANK", "z", order[i][0]) == i
        assert rc.cmd_parsed("ZREVRANK", "z", order[i][0]) == len(order) - 1 - i
    lo = rc.cmd_parsed("ZCOUNT", "z", "-5", "(5")
    assert lo == sum(1 for s in model.values() if -5 <= s < 5)


# ---------------------------------------------------------------------------
# blocking pops

def test_bzpopmin_immediate_and_timeout(rc):
    rc.cmd("ZADD", "z", "1", "a", "2", "b")
    assert rc.cmd("BZPOPMIN", "nokey", "z", "0") == arr(bulk("z"), bulk("a"), bulk("1"))
    assert rc.cmd("BZPOPMAX", "z", "0") == arr(bulk("z"), bulk("b"), bulk("2"))
    assert rc.cmd("BZPOPMIN", "z", "0.01") == b"*-1\r\n"
    assert rc.cmd("BZMPOP", "0.01", "1", "z", "MIN") == b"*-1\r\n"
    assert rc.cmd("BZPOPMIN", "z", "x") == err("ERR timeout is not a float or out of range")
    assert rc.cmd("BZPOPMIN", "z", "-1") == err("ERR timeout is negative")
    assert rc.cmd("BZMPOP", "0", "0", "z", "MIN") == err("ERR numkeys should be greater than 0")


def test_bzpopmin_is_woken_by_zadd(server, raw):
    waiter, pusher = raw(), raw()
    waiter.send(b"*3\r\n$8\r\nBZPOPMIN\r\n$2\r\nbz\r\n$1\r\n5\r\n")
    time.sleep(0.2)
    assert pusher.cmd("ZADD", "bz", "3", "x", "4", "y") == integer(2)
    assert waiter.read_reply() == arr(bulk("bz"), bulk("x"), bulk("3"))
    assert pusher.cmd("ZRANGE", "bz", "0", "-1") == arr(bulk("y"))
    pusher.cmd("DEL", "bz")


def test_bzmpop_is_woken_by_zunionstore(server, raw):
    waiter, pusher = raw(), raw()
    waiter.cmd("HELLO", "3")
    pusher.cmd("ZADD", "src", "1", "a", "2", "b", "3", "c")
    waiter.send(b"*7\r\n$6\r\nBZMPOP\r\n$1\r\n5\r\n$1\r\n1\r\n$3\r\nbzm\r\n$3\r\nMAX\r\n"
                b"$5\r\nCOUNT\r\n$1\r\n2\r\n")
    time.sleep(0.2)
    assert pusher.cmd("ZUNIONSTORE", "bzm", "1", "src") == integer(3)
    assert waiter.read_reply() == arr(bulk("bzm"), arr(arr(bulk("c"), dbl("3")),
                                                       arr(bulk("b"), dbl("2"))))
    pusher.cmd("DEL", "bzm", "src")


# ---------------------------------------------------------------------------
# redis-py

def test_leaderboard_with_redis_py(r):
    r.zadd("lb", {"alice": 10, "bob": 20, "carol": 15})
    assert r.zincrby("lb", 7.5, "alice") == 17.5
    assert r.zrevrange("lb", 0, -1, withscores=True) == \
        [(b"bob", 20.0), (b"alice", 17.5), (b"carol", 15.0)]
    assert r.zrank("lb", "carol") == 0
    assert r.zrevrank("lb", "bob") == 0
    assert r.zadd("lb", {"dave": 1}, nx=True) == 1
    assert r.zscore("lb", "dave") == 1.0
    assert r.zrangebyscore("lb", 10, 18) == [b"carol", b"alice"]
    assert r.zpopmax("lb") == [(b"bob", 20.0)]
    assert r.zcard("lb") == 3
    assert r.zmscore("lb", ["alice", "nobody"]) == [17.5, None]


def test_redis_py_resp3_leaderboard(server):
    try:
        c = redis.Redis(host="127.0.0.1", port=server.port, protocol=3)
    except TypeError:
        pytest.skip("redis-py without RESP3 support")
    c.flushall()
    c.zadd("lb", {"a": 1, "b": 2})
    assert c.zrange("lb", 0, -1, withscores=True) == [[b"a", 1.0], [b"b", 2.0]] or \
        c.zrange("lb", 0, -1, withscores=True) == [(b"a", 1.0), (b"b", 2.0)]
    c.close()


@pytest.mark.skipif(SANITIZED, reason="memory figures are meaningless under ASan")
def test_big_zset_memory_per_member(rc, is_magpie):
    if not is_magpie:
        pytest.skip("a Magpie budget")
    before = int(rc.cmd_parsed("INFO", "memory").split(b"used_memory:")[1].split(b"\r\n")[0])
    rnd = random.Random(3)
    n = 100000
    for i in range(0, n, 1000):
        args = []
        for j in range(i, i + 1000):
            args += [repr(rnd.random() * 1e6), "member:%d" % j]
        rc.cmd("ZADD", "z", *args)
    after = int(rc.cmd_parsed("INFO", "memory").split(b"used_memory:")[1].split(b"\r\n")[0])
    per_member = (after - before) / n
    # Redis 7.0 needs about 110 bytes a member for this set.
    assert per_member < 80, per_member
    usage = rc.cmd_parsed("MEMORY", "USAGE", "z")
    # MEMORY USAGE counts allocator sizes; used_memory moves with caches too.
    assert abs(usage - (after - before)) < 0.25 * (after - before)
