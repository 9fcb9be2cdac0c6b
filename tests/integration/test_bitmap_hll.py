"""Bitmap (SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO) and
HyperLogLog (PFADD PFCOUNT PFMERGE) commands.

Besides plain behaviour tests, this module compares Magpie with a real
redis-server 7.0 reply by reply (randomized bitmap sequences), and moves HLL
values between the two servers with GET/SET: the counts, and the bytes the
commands leave behind, must be identical.
"""

import os
import random

import pytest

from conftest import SANITIZED, RawConn, err, integer, parse_reply

SEEDS = [int(s) for s in os.environ.get("MAGPIE_BITS_SEEDS", "1,2,3,4,5").split(",")]
STEPS = int(os.environ.get("MAGPIE_BITS_STEPS", "300" if SANITIZED else "1500"))

OFFSET_ERR = err("ERR bit offset is not an integer or out of range")
WRONGTYPE = err("WRONGTYPE Operation against a key holding the wrong kind of value")
NOT_HLL = err("WRONGTYPE Key is not a valid HyperLogLog string value.")
CORRUPT_HLL = err("INVALIDOBJ Corrupted HLL object detected")


# ---------------------------------------------------------------------------
# bitmaps
# ---------------------------------------------------------------------------

def test_setbit_getbit(r):
    assert r.setbit("b", 7, 1) == 0
    assert r.get("b") == b"\x01"
    assert r.setbit("b", 7, 0) == 1
    assert r.setbit("b", 100, 1) == 0
    assert r.strlen("b") == 13
    assert r.getbit("b", 100) == 1
    assert r.getbit("b", 99) == 0
    assert r.getbit("b", 10**9) == 0
    assert r.getbit("nokey", 5) == 0
    assert r.object("encoding", "b") == b"raw"


def test_setbit_on_int_and_embstr_values(r):
    r.set("i", "12345")
    assert r.setbit("i", 3, 1) == 1  # '1' = 0x31 already has bit 3 set
    assert r.get("i") == b"12345"
    assert r.object("encoding", "i") == b"raw"
    assert r.getbit("i", 2) == 1


def test_bit_errors(rc):
    assert rc.cmd("SETBIT", "b", "-1", "1") == OFFSET_ERR
    assert rc.cmd("SETBIT", "b", "x", "1") == OFFSET_ERR
    assert rc.cmd("SETBIT", "b", "4294967296", "1") == OFFSET_ERR
    assert rc.cmd("SETBIT", "b", "1", "2") == err("ERR bit is not an integer or out of range")
    assert rc.cmd("SETBIT", "b", "1", "-1") == err("ERR bit is not an integer or out of range")
    assert rc.cmd("GETBIT", "b", "-1") == OFFSET_ERR
    assert rc.cmd("EXISTS", "b") == integer(0)
    assert rc.cmd("BITPOS", "b", "2") == err("ERR The bit argument must be 1 or 0.")
    assert rc.cmd("BITOP", "NAND", "d", "a") == err("ERR syntax error")
    assert rc.cmd("BITOP", "NOT", "d", "a", "b") == \
        err("ERR BITOP NOT must be called with a single source key.")


def test_offset_limited_by_proto_max_bulk_len(rc):
    assert rc.cmd("CONFIG", "SET", "proto-max-bulk-len", "1mb") == b"+OK\r\n"
    try:
        assert rc.cmd("SETBIT", "b", str(8 * 1024 * 1024), "1") == OFFSET_ERR
        assert rc.cmd("SETBIT", "b", str(8 * 1024 * 1024 - 1), "1") == integer(0)
        assert rc.cmd("STRLEN", "b") == integer(1024 * 1024)
        assert rc.cmd("BITFIELD", "b", "GET", "u8", "#1048576") == OFFSET_ERR
    finally:
        rc.cmd("CONFIG", "SET", "proto-max-bulk-len", "512mb")


def test_bitcount(r):
    r.set("s", "foobar")
    assert r.bitcount("s") == 26
    assert r.bitcount("s", 0, 0) == 4
    assert r.bitcount("s", 1, 1) == 6
    assert r.bitcount("s", 1, 1, "BYTE") == 6
    assert r.bitcount("s", 5, 30, "BIT") == 17
    assert r.bitcount("s", -1, -5) == 0
    assert r.bitcount("nokey") == 0
    r.set("e", "")
    assert r.bitcount("e") == 0


def test_bitpos(r):
    r.set("s", b"\xff\xf0\x00")
    assert r.bitpos("s", 0) == 12
    assert r.bitpos("s", 1, 2) == -1
    assert r.bitpos("s", 0, 0, 0) == -1
    assert r.bitpos("s", 1, 7, 15, "BIT") == 7
    r.set("f", b"\xff\xff")
    assert r.bitpos("f", 0) == 16  # zero padding on the right
    assert r.bitpos("f", 0, 0, -1) == -1  # not with an explicit end
    assert r.bitpos("nokey", 0) == 0
    assert r.bitpos("nokey", 1) == -1


def test_bitop(r):
    r.set("a", b"\x0f\xf0")
    r.set("b", b"\xff")
    assert r.bitop("AND", "d", "a", "b") == 2
    assert r.get("d") == b"\x0f\x00"
    assert r.bitop("OR", "d", "a", "b", "nokey") == 2
    assert r.get("d") == b"\xff\xf0"
    assert r.bitop("XOR", "d", "a", "b") == 2
    assert r.get("d") == b"\xf0\xf0"
    assert r.bitop("NOT", "d", "a") == 2
    assert r.get("d") == b"\xf0\x0f"
    r.expire("d", 100)
    assert r.bitop("AND", "d", "a", "a") == 2
    assert r.ttl("d") == -1  # the destination is replaced
    assert r.bitop("AND", "d", "nokey") == 0
    assert r.exists("d") == 0


def test_bitfield(r):
    assert r.execute_command("BITFIELD", "k", "SET", "i8", "0", "-5", "GET", "i8", "0",
                             "GET", "u8", "0") == [0, -5, 251]
    assert r.execute_command("BITFIELD", "k", "INCRBY", "u2", "100", "1", "OVERFLOW", "SAT",
                             "INCRBY", "u2", "102", "7", "OVERFLOW", "FAIL",
                             "INCRBY", "u2", "102", "1") == [1, 3, None]
    assert r.execute_command("BITFIELD", "k", "OVERFLOW", "WRAP", "INCRBY", "i8", "#0", "200") == [-61]
    assert r.execute_command("BITFIELD_RO", "k", "GET", "i8", "#0") == [-61]
    assert r.execute_command("BITFIELD", "nokey") == []
    assert r.exists("nokey") == 0


def test_bitfield_errors(rc):
    t = err("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not "
            "supported but i64 is.")
    assert rc.cmd("BITFIELD", "k", "GET", "u64", "0") == t
    assert rc.cmd("BITFIELD", "k", "GET", "i65", "0") == t
    assert rc.cmd("BITFIELD", "k", "GET", "I8", "0") == t
    assert rc.cmd("BITFIELD", "k", "GET", "u8") == err("ERR syntax error")
    assert rc.cmd("BITFIELD", "k", "OVERFLOW", "X") == err("ERR Invalid OVERFLOW type specified")
    assert rc.cmd("BITFIELD_RO", "k", "SET", "u8", "0", "1") == \
        err("ERR BITFIELD_RO only supports the GET subcommand")


def test_bit_commands_on_wrong_type(rc):
    rc.cmd("HSET", "h", "f", "v")
    for cmd in (["SETBIT", "h", "1", "1"], ["GETBIT", "h", "1"], ["BITCOUNT", "h"],
                ["BITPOS", "h", "1"], ["BITOP", "AND", "d", "h"], ["BITFIELD", "h", "GET", "u8", "0"],
                ["BITFIELD_RO", "h", "GET", "u8", "0"], ["PFADD", "h", "a"], ["PFCOUNT", "h"],
                ["PFMERGE", "d", "h"]):
        assert rc.cmd(*cmd) == WRONGTYPE, cmd


# ---------------------------------------------------------------------------
# HyperLogLog
# ---------------------------------------------------------------------------

def test_pfadd_pfcount(r):
    assert r.pfadd("h", "a", "b", "c") == 1
    assert r.pfadd("h", "a") == 0
    assert r.pfcount("h") == 3
    assert r.pfadd("empty") == 1
    assert r.pfadd("empty") == 0
    assert r.pfcount("empty") == 0
    assert r.pfcount("nokey") == 0
    r.pfadd("h2", "c", "d")
    assert r.pfcount("h", "h2", "nokey") == 4
    assert r.object("encoding", "h") == b"raw"


def test_pfcount_accuracy(r, scale):
    n = scale(20000)
    pipe = r.pipeline(transaction=False)
    for i in range(0, n, 1000):
        pipe.pfadd("big", *["e%d" % j for j in range(i, min(n, i + 1000))])
    pipe.execute()
    assert abs(r.pfcount("big") - n) <= max(5, n * 0.02)
    assert r.strlen("big") == 12304  # dense


def test_pfmerge(r):
    r.pfadd("a", *range(0, 100))
    r.pfadd("b", *range(50, 150))
    assert r.pfmerge("d", "a", "b") is True
    assert abs(r.pfcount("d") - 150) <= 3
    assert r.pfcount("d") == r.pfcount("a", "b")
    assert r.pfmerge("d2") is True
    assert r.pfcount("d2") == 0


def test_hll_errors(rc):
    rc.cmd("SET", "s", "foo")
    assert rc.cmd("PFADD", "s", "a") == NOT_HLL
    assert rc.cmd("PFCOUNT", "s") == NOT_HLL
    assert rc.cmd("PFMERGE", "d", "s") == NOT_HLL
    header = b"HYLL\x01" + b"\x00" * 10 + b"\x80"
    rc.cmd("SET", "short", header + b"\x7f\xfe")  # covers 16383 registers
    assert rc.cmd("PFCOUNT", "short") == CORRUPT_HLL
    assert rc.cmd("PFCOUNT", "short", "nokey") == CORRUPT_HLL
    assert rc.cmd("PFMERGE", "d", "short") == CORRUPT_HLL
    rc.cmd("SET", "enc", b"HYLL\x02" + b"\x00" * 11 + b"\x7f\xff")
    assert rc.cmd("PFCOUNT", "enc") == NOT_HLL
    rc.cmd("SET", "dense", b"HYLL\x00" + b"\x00" * 11 + b"\x7f\xff")
    assert rc.cmd("PFCOUNT", "dense") == NOT_HLL


def test_hll_sparse_max_bytes_config(r):
    assert r.config_get("hll-sparse-max-bytes") == {"hll-sparse-max-bytes": "3000"}
    r.config_set("hll-sparse-max-bytes", "0")
    try:
        r.pfadd("h", "a")
        assert r.strlen("h") == 12304  # the first growth turns it dense
    finally:
        r.config_set("hll-sparse-max-bytes", "3000")


# ---------------------------------------------------------------------------
# against redis-server
# ---------------------------------------------------------------------------

KEYS = [b"b0", b"b1", b"b2", b"h"]
# Offsets for writes stay small (a write at the largest legal offset allocates 512 MB).
OFFSETS = [b"0", b"1", b"7", b"8", b"9", b"15", b"31", b"63", b"64", b"100", b"1000", b"-1",
           b"x", b"", b"4294967296", b"9223372036854775807", b"+1", b"01"]
READ_OFFSETS = OFFSETS + [b"4294967295", b"4294967288"]
RANGE = [b"0", b"1", b"2", b"-1", b"-2", b"-3", b"5", b"7", b"8", b"15", b"100", b"-100",
         b"9223372036854775807", b"-9223372036854775808", b"x"]
TYPES = [b"u1", b"u3", b"u8", b"u16", b"u63", b"i1", b"i5", b"i8", b"i32", b"i64", b"u64",
         b"i0", b"x8", b"I8", b"i08", b"u"]
VALUES = [b"0", b"1", b"-1", b"5", b"100", b"-100", b"255", b"256", b"-129",
          b"9223372036854775807", b"-9223372036854775808", b"x", b"1.5"]


class BitGen:
    def __init__(self, seed):
        self.rnd = random.Random(seed)

    def c(self, seq):
        return self.rnd.choice(seq)

    def mode(self):
        return self.c([[], [], [b"BYTE"], [b"BIT"], [b"bit"], [b"FOO"]])

    def value(self):
        n = self.rnd.randrange(0, 12)
        return self.c([bytes(self.rnd.randrange(256) for _ in range(n)), b"\xff" * n,
                       b"\x00" * n, b"foobar", b"12345", b""])

    def bitfield_ops(self):
        ops = []
        for _ in range(self.rnd.randrange(0, 5)):
            r = self.rnd.random()
            off = self.c(OFFSETS[:11] + [b"#0", b"#1", b"#3", b"#-1", b"#x"])
            if r < 0.4:
                ops += [b"GET", self.c(TYPES), self.c([off, off, b"4294967200", b"#536870911"])]
            elif r < 0.6:
                ops += [b"SET", self.c(TYPES), off, self.c(VALUES)]
            elif r < 0.85:
                ops += [b"INCRBY", self.c(TYPES), off, self.c(VALUES)]
            else:
                ops += [b"OVERFLOW", self.c([b"WRAP", b"SAT", b"FAIL", b"sat", b"BAD"])]
        if self.rnd.random() < 0.05:
            ops += [self.c([b"GET", b"FOO", b"SET"])]
        return ops

    def command(self):
        k, c = (lambda: self.c(KEYS)), self.c
        table = [
            (8, lambda: [b"SETBIT", k(), c(OFFSETS), c([b"0", b"1", b"1", b"2", b"-1", b"x"])]),
            (6, lambda: [b"GETBIT", k(), c(READ_OFFSETS)]),
            (6, lambda: [b"BITCOUNT", k()] + c([[], [c(RANGE)], [c(RANGE), c(RANGE)] + self.mode()])),
            (6, lambda: [b"BITPOS", k(), c([b"0", b"1", b"1", b"0", b"2", b"x"])] +
                c([[], [c(RANGE)], [c(RANGE), c(RANGE)] + self.mode()])),
            (4, lambda: [b"BITOP", c([b"AND", b"OR", b"XOR", b"NOT", b"not", b"NAND"]), k()] +
                [k() for _ in range(self.rnd.randrange(1, 4))]),
            (7, lambda: [c([b"BITFIELD", b"BITFIELD", b"BITFIELD_RO"]), k()] + self.bitfield_ops()),
            (3, lambda: [b"SET", k(), self.value()]),
            (2, lambda: [b"APPEND", k(), self.value()]),
            (1, lambda: [b"DEL", k()]),
            (1, lambda: [b"HSET", k(), b"f", b"v"]),
            (1, lambda: [b"EXPIRE", k(), b"1000"]),
            (4, lambda: [b"GET", k()]),
            (2, lambda: [b"OBJECT", b"ENCODING", k()]),
            (1, lambda: [b"PERSIST", k()]),
        ]
        x = self.rnd.randrange(sum(w for w, _ in table))
        for w, f in table:
            if x < w:
                args = f()
                break
            x -= w
        r = self.rnd.random()
        if r < 0.02 and len(args) > 1:
            args = args[:-1]
        return args


def run_bit_sequence(port_a, port_b, seed, steps):
    gen = BitGen(seed)
    a, b = RawConn(port_a), RawConn(port_b)
    history = []
    try:
        for c in (a, b):
            assert c.cmd(b"FLUSHALL") == b"+OK\r\n"
        for step in range(steps):
            args = gen.command()
            history.append(args)
            ra, rb = a.cmd(*args), b.cmd(*args)
            if ra != rb:
                pytest.fail("divergence at seed=%d step=%d\n  command: %r\n  magpie: %r\n"
                            "  redis:  %r\n  previous: %r"
                            % (seed, step, args, ra[:300], rb[:300], history[-8:-1]))
        for key in KEYS:
            assert a.cmd(b"GET", key) == b.cmd(b"GET", key), key
    finally:
        a.close()
        b.close()


@pytest.mark.parametrize("seed", SEEDS)
def test_bitmap_differential(server, redis_ref, seed):
    run_bit_sequence(server.port, redis_ref.port, seed, STEPS)


def test_command_metadata_matches_redis(server, redis_ref):
    a, b = RawConn(server.port), RawConn(redis_ref.port)
    try:
        for name in (b"setbit", b"getbit", b"bitcount", b"bitpos", b"bitop", b"bitfield",
                     b"bitfield_ro", b"pfadd", b"pfcount", b"pfmerge"):
            ia = parse_reply(a.cmd(b"COMMAND", b"INFO", name))[0][0]
            ib = parse_reply(b.cmd(b"COMMAND", b"INFO", name))[0][0]
            # name, arity, flags, first key, last key, step, ACL categories
            assert ia[:6] == ib[:6], name
            assert ia[6] == ib[6], name
            da = parse_reply(a.cmd(b"COMMAND", b"DOCS", name))[0]
            db = parse_reply(b.cmd(b"COMMAND", b"DOCS", name))[0]
            da, db = dict(zip(da[1][::2], da[1][1::2])), dict(zip(db[1][::2], db[1][1::2]))
            for field in (b"summary", b"since", b"group", b"complexity"):
                assert da[field] == db[field], (name, field)
    finally:
        a.close()
        b.close()


def _copy(src, dst, key, dst_key=None):
    raw = src.cmd(b"GET", key)
    value = parse_reply(raw)[0]
    assert value is not None
    assert dst.cmd(b"SET", dst_key or key, value) == b"+OK\r\n"
    return value


@pytest.mark.parametrize("n", [0, 1, 7, 100, 600, 3000, 20000])
def test_hll_interop(server, redis_ref, n, scale):
    """PFADD on one server, GET/SET to the other: counts and bytes agree both ways."""
    a, b = RawConn(server.port), RawConn(redis_ref.port)
    try:
        for c in (a, b):
            c.cmd(b"FLUSHALL")
        elems = [b"el:%d" % i for i in range(n)]
        for i in range(0, max(n, 1), 500):
            batch = elems[i:i + 500]
            assert a.cmd(b"PFADD", b"m", *batch) == b.cmd(b"PFADD", b"r", *batch)
        # the same adds leave the same bytes (sparse layout included)
        assert a.cmd(b"GET", b"m") == b.cmd(b"GET", b"r")
        # redis -> magpie
        _copy(b, a, b"r")
        assert a.cmd(b"PFCOUNT", b"r") == b.cmd(b"PFCOUNT", b"r")
        assert a.cmd(b"GET", b"r") == b.cmd(b"GET", b"r")  # cached cardinality stored alike
        # magpie -> redis
        _copy(a, b, b"m")
        assert b.cmd(b"PFCOUNT", b"m") == a.cmd(b"PFCOUNT", b"m")
        assert a.cmd(b"GET", b"m") == b.cmd(b"GET", b"m")
        # more adds on top of the copied values
        more = [b"more:%d" % i for i in range(50)]
        assert a.cmd(b"PFADD", b"r", *more) == b.cmd(b"PFADD", b"r", *more)
        assert a.cmd(b"GET", b"r") == b.cmd(b"GET", b"r")
        assert a.cmd(b"PFCOUNT", b"r", b"m") == b.cmd(b"PFCOUNT", b"r", b"m")
    finally:
        a.close()
        b.close()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_hll_differential(server, redis_ref, seed):
    """Random PFADD/PFCOUNT/PFMERGE (sparse and dense, changing
    hll-sparse-max-bytes) with byte-identical values throughout."""
    rnd = random.Random(seed)
    a, b = RawConn(server.port), RawConn(redis_ref.port)
    keys = [b"h0", b"h1", b"h2", b"h3"]
    steps = 150 if SANITIZED else 600
    try:
        for c in (a, b):
            c.cmd(b"FLUSHALL")
            c.cmd(b"CONFIG", b"SET", b"hll-sparse-max-bytes", b"3000")
        for step in range(steps):
            r = rnd.random()
            if r < 0.5:
                n = rnd.choice([0, 1, 1, 2, 3, 10, 40, 200])
                args = [b"PFADD", rnd.choice(keys)] + \
                    [b"%d" % rnd.randrange(50000) for _ in range(n)]
            elif r < 0.65:
                args = [b"PFCOUNT"] + rnd.sample(keys, rnd.randrange(1, 4))
            elif r < 0.8:
                args = [b"PFMERGE"] + [rnd.choice(keys + [b"new"]) for _ in range(rnd.randrange(1, 4))]
            elif r < 0.95:
                args = [b"GET", rnd.choice(keys + [b"new"])]
            else:
                args = [b"CONFIG", b"SET", b"hll-sparse-max-bytes",
                        rnd.choice([b"0", b"200", b"3000", b"20000"])]
            ra, rb = a.cmd(*args), b.cmd(*args)
            assert ra == rb, (seed, step, args[:3], ra[:200], rb[:200])
    finally:
        for c in (a, b):
            c.cmd(b"CONFIG", b"SET", b"hll-sparse-max-bytes", b"3000")
        a.close()
        b.close()


def test_pfmerge_bytes_match_redis(server, redis_ref):
    a, b = RawConn(server.port), RawConn(redis_ref.port)
    try:
        for c in (a, b):
            c.cmd(b"FLUSHALL")
            c.cmd(b"PFADD", b"s1", *[b"x%d" % i for i in range(30)])
            c.cmd(b"PFADD", b"s2", *[b"y%d" % i for i in range(40)])
            c.cmd(b"PFADD", b"d1", *[b"z%d" % i for i in range(5000)])
            c.cmd(b"SET", b"plain", b"x")
        for args in ([b"PFMERGE", b"t1", b"s1", b"s2"],     # sparse result
                     [b"PFMERGE", b"t2", b"s1", b"d1"],     # a dense input makes it dense
                     [b"PFMERGE", b"s1", b"s2"],            # the destination is an input
                     [b"PFMERGE", b"t3", b"nokey"],
                     [b"PFMERGE", b"plain", b"s1"]):
            assert a.cmd(*args) == b.cmd(*args), args
            assert a.cmd(b"GET", args[1]) == b.cmd(b"GET", args[1]), args
            assert a.cmd(b"PFCOUNT", args[1]) == b.cmd(b"PFCOUNT", args[1]), args
    finally:
        a.close()
        b.close()


def test_hll_corrupt_values_like_redis(server, redis_ref):
    header = b"HYLL\x01" + b"\x00" * 10 + b"\x80"
    values = [b"foo", b"HYLL", header + b"\x7f\xfe", header + b"\x7f\xff\x80", header + b"\x7f",
              header + b"\x7f\xfe\x40", b"HYLL\x02" + header[5:] + b"\x7f\xff",
              b"HYLL\x00" + header[5:] + b"\x7f\xff", header + b"\x7f\xff",
              header + b"\xfc" * 4096 + b"\x7f\xfe" + b"\x00"]
    a, b = RawConn(server.port), RawConn(redis_ref.port)
    try:
        for v in values:
            for c in (a, b):
                c.cmd(b"FLUSHALL")
                c.cmd(b"SET", b"v", v)
                c.cmd(b"PFADD", b"ok", b"a", b"b")
            for args in ([b"PFCOUNT", b"v"], [b"PFCOUNT", b"v", b"ok"], [b"PFADD", b"v", b"q"],
                         [b"PFMERGE", b"ok", b"v"], [b"PFMERGE", b"v", b"ok"], [b"GET", b"v"]):
                assert a.cmd(*args) == b.cmd(*args), (v[:20], args)
    finally:
        a.close()
        b.close()
