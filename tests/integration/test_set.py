"""Set commands: every command through redis-py and raw RESP2/RESP3 bytes,
encodings and their conversions, randomness, SSCAN guarantees, multi-key
commands across shards, and memory accounting.

Runs against Magpie; with MAGPIE_BIN=/usr/bin/redis-server the tests that
do not depend on Redis 7.2's listpack sets pass against Redis 7.0 too.
"""

import collections

import pytest

from conftest import IS_MAGPIE, NIL, SANITIZED, arity, bulk, err, integer

WRONGTYPE = err("WRONGTYPE Operation against a key holding the wrong kind of value")


def arr(*items):
    return b"*%d\r\n" % len(items) + b"".join(items)


def rset(*items):
    return b"~%d\r\n" % len(items) + b"".join(items)


def members(*xs):
    return [bulk(str(x)) for x in xs]


# --- basic commands through redis-py (what the seed apps call) ------------

def test_seed_style_friends_and_tags(rd):
    assert rd.sadd("friends:alice", "bob", "carol", "dave") == 3
    assert rd.sadd("friends:bob", "alice", "carol") == 2
    assert rd.smembers("friends:alice") == {"bob", "carol", "dave"}
    assert rd.sismember("friends:alice", "carol")
    assert not rd.sismember("friends:alice", "erin")
    assert rd.sinter("friends:alice", "friends:bob") == {"carol"}
    assert rd.sunion("friends:alice", "friends:bob") == {"alice", "bob", "carol", "dave"}
    assert rd.sdiff("friends:alice", "friends:bob") == {"bob", "dave"}
    assert rd.smismember("friends:alice", ["bob", "x"]) == [1, 0]
    assert rd.scard("friends:alice") == 3
    assert rd.srem("friends:alice", "bob", "nobody") == 1
    assert rd.smove("friends:alice", "friends:bob", "dave") is True
    assert rd.smembers("friends:bob") == {"alice", "carol", "dave"}
    assert rd.type("friends:bob") == "set"


def test_sadd_srem_delete_empty_key(r):
    assert r.sadd("s", 1, 2, 2, 3) == 3
    assert r.srem("s", 1, 2, 3, 4) == 3
    assert r.exists("s") == 0
    assert r.srem("s", 1) == 0


def test_wrong_type_everywhere(rc):
    rc.cmd("SET", "str", "x")
    rc.cmd("SADD", "s", "a")
    for args in (["SADD", "str", "a"], ["SREM", "str", "a"], ["SISMEMBER", "str", "a"],
                 ["SMISMEMBER", "str", "a"], ["SMEMBERS", "str"], ["SCARD", "str"],
                 ["SPOP", "str"], ["SPOP", "str", "1"], ["SRANDMEMBER", "str"],
                 ["SRANDMEMBER", "str", "2"], ["SMOVE", "str", "s", "a"],
                 ["SMOVE", "s", "str", "a"], ["SINTER", "nokey", "str"],
                 ["SUNION", "s", "str"], ["SDIFF", "nokey", "str"],
                 ["SINTERSTORE", "d", "nokey", "str"], ["SUNIONSTORE", "d", "str"],
                 ["SDIFFSTORE", "d", "s", "str"], ["SINTERCARD", "2", "nokey", "str"],
                 ["SSCAN", "str", "0"]):
        assert rc.cmd(*args) == WRONGTYPE, args
    assert rc.cmd("GET", "str") == bulk("x")


def test_arity_errors(rc):
    for name, args in (("sadd", ["k"]), ("srem", ["k"]), ("sismember", ["k"]),
                       ("smismember", ["k"]), ("smembers", []), ("scard", []),
                       ("spop", []), ("srandmember", []), ("smove", ["a", "b"]),
                       ("sinter", []), ("sintercard", ["1"]), ("sinterstore", ["d"]),
                       ("sunion", []), ("sunionstore", ["d"]), ("sdiff", []),
                       ("sdiffstore", ["d"]), ("sscan", ["k"])):
        assert rc.cmd(name.upper(), *args) == arity(name), name


# --- exact bytes, RESP2 and RESP3 -----------------------------------------

def test_reply_shapes_resp2_and_resp3(rc):
    rc.cmd("SADD", "s", "3", "1", "2")
    assert rc.cmd("SMEMBERS", "s") == arr(*members(1, 2, 3))
    assert rc.cmd("SISMEMBER", "s", "1") == integer(1)
    assert rc.cmd("SMISMEMBER", "s", "1", "9") == arr(integer(1), integer(0))
    assert rc.cmd("SINTER", "s", "s") == arr(*members(1, 2, 3))
    assert rc.cmd("SPOP", "nokey") == NIL
    assert rc.cmd("SPOP", "nokey", "2") == b"*0\r\n"
    assert rc.cmd("SRANDMEMBER", "nokey") == NIL
    assert rc.cmd("SRANDMEMBER", "nokey", "2") == b"*0\r\n"
    assert rc.cmd("SRANDMEMBER", "s", "5") == arr(*members(1, 2, 3))
    assert rc.cmd("SSCAN", "s", "0") == arr(bulk("0"), arr(*members(1, 2, 3)))
    assert rc.cmd("SMEMBERS", "nokey") == b"*0\r\n"
    rc.cmd("HELLO", "3")
    assert rc.cmd("SMEMBERS", "s") == rset(*members(1, 2, 3))
    assert rc.cmd("SMEMBERS", "nokey") == b"~0\r\n"
    assert rc.cmd("SINTER", "s", "nokey") == b"~0\r\n"
    assert rc.cmd("SUNION", "s") == rset(*members(1, 2, 3))
    assert rc.cmd("SDIFF", "s", "nokey") == rset(*members(1, 2, 3))
    assert rc.cmd("SISMEMBER", "s", "1") == integer(1)
    assert rc.cmd("SMISMEMBER", "s", "1") == arr(integer(1))
    assert rc.cmd("SPOP", "nokey") == b"_\r\n"
    assert rc.cmd("SPOP", "nokey", "2") == b"~0\r\n"
    assert rc.cmd("SPOP", "s", "0") == b"~0\r\n"
    assert rc.cmd("SRANDMEMBER", "s", "5") == arr(*members(1, 2, 3))
    assert rc.cmd("SRANDMEMBER", "s", "-2").startswith(b"*2\r\n")
    assert rc.cmd("SSCAN", "s", "0") == arr(bulk("0"), arr(*members(1, 2, 3)))
    assert rc.cmd("SPOP", "s", "3") == rset(*members(1, 2, 3))
    assert rc.cmd("EXISTS", "s") == integer(0)


def test_spop_srandmember_errors(rc):
    rc.cmd("SADD", "s", "a", "b")
    positive = err("ERR value is out of range, must be positive")
    assert rc.cmd("SPOP", "s", "-1") == positive
    assert rc.cmd("SPOP", "s", "x") == positive
    assert rc.cmd("SPOP", "nokey", "-1") == positive
    assert rc.cmd("SPOP", "s", "1", "2") == err("ERR syntax error")
    assert rc.cmd("SRANDMEMBER", "s", "x") == err("ERR value is not an integer or out of range")
    assert rc.cmd("SRANDMEMBER", "s", "-9223372036854775808") == err(
        "ERR value is out of range, value must between -9223372036854775807 and "
        "9223372036854775807")
    assert rc.cmd("SRANDMEMBER", "s", "1", "2") == err("ERR syntax error")
    assert rc.cmd("SRANDMEMBER", "s", "0") == b"*0\r\n"


def test_sintercard(rc):
    rc.cmd("SADD", "a", "1", "2", "3", "x")
    rc.cmd("SADD", "b", "2", "3", "x", "y")
    assert rc.cmd("SINTERCARD", "2", "a", "b") == integer(3)
    assert rc.cmd("SINTERCARD", "2", "a", "b", "LIMIT", "2") == integer(2)
    assert rc.cmd("SINTERCARD", "2", "a", "b", "limit", "0") == integer(3)
    assert rc.cmd("SINTERCARD", "1", "a", "LIMIT", "1", "LIMIT", "0") == integer(4)
    assert rc.cmd("SINTERCARD", "2", "a", "nokey") == integer(0)
    assert rc.cmd("SINTERCARD", "0", "a") == err("ERR numkeys should be greater than 0")
    assert rc.cmd("SINTERCARD", "x", "a") == err("ERR numkeys should be greater than 0")
    assert rc.cmd("SINTERCARD", "3", "a", "b") == err(
        "ERR Number of keys can't be greater than number of args")
    assert rc.cmd("SINTERCARD", "1", "a", "LIMIT", "-1") == err("ERR LIMIT can't be negative")
    assert rc.cmd("SINTERCARD", "1", "a", "LIMIT", "x") == err("ERR LIMIT can't be negative")
    assert rc.cmd("SINTERCARD", "1", "a", "LIMIT") == err("ERR syntax error")
    assert rc.cmd("SINTERCARD", "1", "a", "FOO", "1") == err("ERR syntax error")


def test_store_commands_overwrite_and_delete(r):
    r.sadd("a", "1", "2", "3")
    r.sadd("b", "3", "4")
    r.set("dst", "string value")
    r.expire("dst", 1000)
    assert r.sinterstore("dst", "a", "b") == 1
    assert r.type("dst") == b"set" and r.ttl("dst") == -1
    assert r.smembers("dst") == {b"3"}
    assert r.sunionstore("dst", "a", "b", "nokey") == 4
    assert r.object("encoding", "dst") == b"intset"
    assert r.sdiffstore("dst", "a", "b") == 2
    assert r.smembers("dst") == {b"1", b"2"}
    assert r.sinterstore("dst", "a", "nokey") == 0
    assert r.exists("dst") == 0
    r.set("dst", "x")
    assert r.sdiffstore("dst", "nokey", "a") == 0
    assert r.exists("dst") == 0
    # the destination may be a source
    assert r.sunionstore("a", "a", "b") == 4
    assert r.smembers("a") == {b"1", b"2", b"3", b"4"}


def test_multi_key_commands_span_shards(r):
    # Keys with different hash slots land in different shards.
    keys = ["set:%d" % i for i in range(20)]
    for i, k in enumerate(keys):
        r.sadd(k, "common", "m%d" % i, *range(i, i + 5))
    assert r.sinter(*keys) == {b"common"}
    assert len(r.sunion(*keys)) == 1 + 20 + 24
    assert r.sunionstore("dest{x}", *keys) == 45
    assert r.sintercard(len(keys), keys) == 1
    assert r.smove(keys[0], keys[19], "m0") is True
    assert r.sismember(keys[19], "m0")


def test_smove_cases(rc):
    rc.cmd("SADD", "s", "1", "2")
    assert rc.cmd("SMOVE", "nokey", "d", "1") == integer(0)
    assert rc.cmd("SMOVE", "s", "d", "9") == integer(0)
    assert rc.cmd("EXISTS", "d") == integer(0)
    assert rc.cmd("SMOVE", "s", "s", "1") == integer(1)
    assert rc.cmd("SMOVE", "s", "s", "9") == integer(0)
    assert rc.cmd("SMOVE", "s", "d", "1") == integer(1)
    assert rc.cmd("SMOVE", "s", "d", "2") == integer(1)
    assert rc.cmd("EXISTS", "s") == integer(0)
    assert rc.cmd("SMEMBERS", "d") == arr(*members(1, 2))
    rc.cmd("SADD", "t", "hello")
    assert rc.cmd("SMOVE", "t", "d", "hello") == integer(1)
    assert rc.cmd("SCARD", "d") == integer(3)


# --- encodings --------------------------------------------------------------

def test_intset_encoding_and_order(r):
    r.sadd("s", 5, -3, 100000, -9223372036854775808, 9223372036854775807)
    assert r.object("encoding", "s") == b"intset"
    assert r.smembers("s") == {b"5", b"-3", b"100000", b"-9223372036854775808",
                               b"9223372036854775807"}
    r.sadd("big", *range(512))
    assert r.object("encoding", "big") == b"intset"
    r.sadd("big", 512)
    assert r.object("encoding", "big") == b"hashtable"
    r.srem("big", *range(500))
    assert r.object("encoding", "big") == b"hashtable"  # never converts back
    assert r.scard("big") == 13
    r.sadd("lead0", "01")
    assert r.object("encoding", "lead0") != b"intset"


@pytest.mark.skipif(not IS_MAGPIE, reason="Redis 7.0 has no listpack sets")
def test_listpack_encoding(r):
    r.sadd("s", "a", "b", "1")
    assert r.object("encoding", "s") == b"listpack"
    r.sadd("i", 1, 2)
    r.sadd("i", "x")
    assert r.object("encoding", "i") == b"listpack"
    assert r.smembers("i") == {b"1", b"2", b"x"}
    r.sadd("s", *["m%d" % i for i in range(125)])
    assert r.scard("s") == 128
    assert r.object("encoding", "s") == b"listpack"
    r.sadd("s", "one more")
    assert r.object("encoding", "s") == b"hashtable"
    r.sadd("long", "x" * 64)
    assert r.object("encoding", "long") == b"listpack"
    r.sadd("long", "y" * 65)
    assert r.object("encoding", "long") == b"hashtable"
    r.config_set("set-max-listpack-entries", 2)
    try:
        r.sadd("small", "a", "b", "c")
        assert r.object("encoding", "small") == b"hashtable"
    finally:
        r.config_set("set-max-listpack-entries", 128)


def test_int_hashtable_switches_to_strings(r):
    r.sadd("s", *range(1000))
    assert r.object("encoding", "s") == b"hashtable"
    r.sadd("s", "word", "-0", "007")
    assert r.scard("s") == 1003
    assert r.sismember("s", "7") and r.sismember("s", "007") and r.sismember("s", "-0")
    assert not r.sismember("s", "1000")
    assert r.srem("s", "0", "007") == 2
    assert r.scard("s") == 1001


def test_binary_members(r):
    m = b"a\x00b\r\n\xff"
    assert r.sadd("s", m, b"", b"x") == 3
    assert r.smembers("s") == {m, b"", b"x"}
    assert r.sismember("s", b"")
    big = [b"k\x00%d" % i for i in range(300)]
    r.sadd("t", *big)
    assert r.smembers("t") == set(big)


def test_copy_rename_and_memory_usage(r):
    r.sadd("s", *["member-%d" % i for i in range(2000)])
    usage = r.memory_usage("s")
    assert usage > 2000 * 8
    assert r.copy("s", "c") == 1
    r.srem("s", *["member-%d" % i for i in range(1000)])
    assert r.scard("c") == 2000
    assert r.memory_usage("s") < usage
    r.rename("c", "d")
    assert r.scard("d") == 2000
    assert r.object("encoding", "d") == b"hashtable"


# --- random commands --------------------------------------------------------

@pytest.mark.parametrize("members", [list(range(10)), ["m%d" % i for i in range(10)],
                                     list(range(600)), ["m%d" % i for i in range(300)]])
def test_srandmember_is_uniform(r, members, scale):
    r.sadd("s", *members)
    n = len(members)
    draws = scale(40000)
    counts = collections.Counter(r.srandmember("s", -draws))
    assert sum(counts.values()) == draws
    assert set(counts) <= {str(m).encode() for m in members}
    if IS_MAGPIE and not SANITIZED:  # Redis 7.0's hashtable draws are not fair
        expect = draws / n
        assert len(counts) == n
        assert max(counts.values()) < expect * 1.8 + 10
        assert min(counts.values()) > expect * 0.3 - 5


def test_srandmember_distinct_and_fast(r):
    r.sadd("s", *range(100000))
    got = r.srandmember("s", 10)
    assert len(got) == len(set(got)) == 10
    got = r.srandmember("s", 30000)
    assert len(got) == len(set(got)) == 30000
    got = r.srandmember("s", 90000)
    assert len(got) == len(set(got)) == 90000
    assert all(0 <= int(x) < 100000 for x in got)
    assert len(r.srandmember("s", 200000)) == 100000


def test_spop_counts(r):
    r.sadd("s", *range(1000))
    popped = r.spop("s", 10)
    assert len(set(popped)) == 10
    assert r.scard("s") == 990
    popped2 = r.spop("s", 980)  # most of the set: survivors moved to a new value
    assert len(set(popped2)) == 980
    assert not set(popped) & set(popped2)
    rest = r.smembers("s")
    assert len(rest) == 10
    assert not rest & set(popped2)
    assert r.object("encoding", "s") == b"intset"  # survivors re-encoded, as Redis
    assert r.spop("s", 100) and r.exists("s") == 0
    r.sadd("one", "x")
    assert r.spop("one") == b"x"
    assert r.exists("one") == 0


def test_spop_is_uniform(r, scale):
    counts = collections.Counter()
    rounds = scale(3000)
    p = r.pipeline(transaction=False)
    for _ in range(rounds):
        p.sadd("s", "a", "b", "c", "d")
        p.spop("s")
        p.delete("s")
    res = p.execute()
    counts.update(res[1::3])
    assert set(counts) == {b"a", b"b", b"c", b"d"}
    if not SANITIZED:
        for v in counts.values():
            assert abs(v - rounds / 4) < rounds / 4 * 0.25


# --- SSCAN ------------------------------------------------------------------

def sscan_all(r, key, count=10, match=None, during=None):
    seen, cursor, calls = [], 0, 0
    while True:
        cursor, batch = r.sscan(key, cursor, match=match, count=count)
        seen.extend(batch)
        calls += 1
        if during:
            during(calls)
        if cursor == 0:
            return seen, calls


def test_sscan_compact_returns_all_at_once(r):
    r.sadd("s", *range(100))
    seen, calls = sscan_all(r, "s", count=1)
    assert calls == 1 and len(seen) == 100
    seen, _ = sscan_all(r, "s", match="1*")
    assert sorted(seen) == sorted(str(i).encode() for i in range(100) if str(i)[0] == "1")
    assert r.sscan("nokey", 0) == (0, [])


def test_sscan_errors(rc):
    rc.cmd("SADD", "s", "a")
    assert rc.cmd("SSCAN", "s", "x") == err("ERR invalid cursor")
    assert rc.cmd("SSCAN", "s", "0", "COUNT", "0") == err("ERR syntax error")
    assert rc.cmd("SSCAN", "s", "0", "COUNT", "x") == err(
        "ERR value is not an integer or out of range")
    assert rc.cmd("SSCAN", "s", "0", "MATCH") == err("ERR syntax error")
    assert rc.cmd("SSCAN", "nokey", "0", "COUNT", "0") == arr(bulk("0"), b"*0\r\n")


def test_sscan_hashtable_guarantee_across_growth_and_conversion(r):
    base = list(range(2000))
    r.sadd("s", *base)

    def mutate(call):
        if call == 3:
            r.sadd("s", "now-strings")  # IntTable -> StrTable
        elif call == 6:
            r.sadd("s", *["extra%d" % i for i in range(20000)])  # growth
        elif call == 12:
            r.srem("s", *["extra%d" % i for i in range(20000)])  # shrink

    seen, calls = sscan_all(r, "s", count=50, during=mutate)
    assert calls > 12
    assert {str(i).encode() for i in base} <= set(seen)
    seen, _ = sscan_all(r, "s", count=100, match="1*")
    assert set(seen) == {str(i).encode() for i in base if str(i)[0] == "1"}


# --- accounting -------------------------------------------------------------

@pytest.mark.skipif(not IS_MAGPIE or SANITIZED,
                    reason="Magpie's memory layout, as jemalloc reports it")
def test_memory_is_returned(r, scale):
    n = scale(200000)
    r.sadd("warm", 1)
    base = r.info("memory")["used_memory"]
    p = r.pipeline(transaction=False)
    for i in range(0, n, 1000):
        p.sadd("ints", *range(i, i + 1000))
        p.sadd("strs", *["member:%d" % j for j in range(i, i + 1000)])
    p.execute()
    grown = r.info("memory")["used_memory"] - base
    if not SANITIZED:
        assert grown < n * (20 + 40)  # ints ~17 B, short strings ~32 B a member
    r.delete("ints", "strs")
    assert r.info("memory")["used_memory"] - base < grown / 10
