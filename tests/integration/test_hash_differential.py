"""Differential test for the hash commands: random sequences are sent over raw
RESP to the server under test and to a real redis-server 7.0, and the replies
must be byte-for-byte identical.

Replies whose order Redis does not define are normalised first: HGETALL,
HKEYS and HVALS of a hashtable-encoded hash are compared sorted, a whole HSCAN
iteration is compared as a sorted set of pairs, and HRANDFIELD is compared by
shape (type, length, distinctness) and membership only.  CONFIG SET of the
listpack thresholds moves the conversion points mid-sequence, and OBJECT
ENCODING checks that both servers convert at the same moment.

Field expiration (HEXPIRE...) is Redis 7.4 and not in the reference, so it is
covered by test_hash.py instead.

Reproduce one sequence with e.g.
    MAGPIE_HASH_DIFF_SEEDS=7 MAGPIE_HASH_DIFF_STEPS=3000 python3 -m pytest -k hash_differential
"""

import os
import random

import pytest

from conftest import SANITIZED, RespError, parse_reply, run_differential

SEEDS = [int(s) for s in os.environ.get("MAGPIE_HASH_DIFF_SEEDS", "1,2,3,4,5,6").split(",")]
STEPS = int(os.environ.get("MAGPIE_HASH_DIFF_STEPS", "300" if SANITIZED else "1500"))

KEYS = [b"h0", b"h1", b"h2", b"big", b"s", b"bin\x00\r\nkey", b""]
FIELDS = [b"a", b"b", b"c", b"d", b"f1", b"f2", b"", b"\x00\xff", b"x" * 64, b"y" * 65,
          b"num", b"fl"]
INTS = [b"0", b"1", b"-1", b"7", b"42", b"-100", b"9223372036854775807",
        b"-9223372036854775808", b"9223372036854775806", b"9223372036854775808", b"010",
        b"+1", b" 1", b"1.0", b"", b"abc", b"-0", b"4611686018427387904"]
FLOATS = [b"0", b"1.5", b"-0.25", b"3.0e2", b"1e308", b"-1e308", b"1e-300", b"0.1", b"10.50",
          b"inf", b"-inf", b"nan", b"abc", b"", b"1e400", b"2.5", b"123456789.123456789",
          b".5", b"5.", b"1e60", b"1e70"]
COUNTS = [b"0", b"1", b"2", b"3", b"5", b"-1", b"-3", b"-10", b"100", b"-100", b"x",
          b"9223372036854775807", b"-9223372036854775807", b"-9223372036854775808",
          b"-4611686018427387904", b"4611686018427387904"]
# A huge negative count without WITHVALUES makes Redis reply billions of fields.
SAFE_COUNTS = [x for x in COUNTS if not x.startswith(b"-") or len(x) < 5]
UNORDERED = (b"HGETALL", b"HKEYS", b"HVALS")


class Gen:
    def __init__(self, seed):
        self.rnd = random.Random(seed)

    def choice(self, seq):
        return self.rnd.choice(seq)

    def key(self):
        return self.choice(KEYS)

    def field(self):
        if self.rnd.random() < 0.15:
            return b"g%d" % self.rnd.randrange(40)  # grows hashes past small limits
        return self.choice(FIELDS)

    def value(self):
        r = self.rnd.random()
        if r < 0.35:
            return self.choice(INTS)
        if r < 0.5:
            return self.choice(FLOATS)
        if r < 0.6:
            return bytes(self.rnd.randrange(256) for _ in range(self.rnd.randrange(10)))
        if r < 0.7:
            return b"v" * self.choice([0, 1, 8, 16, 17, 63, 64, 65, 100])
        return self.choice([b"hello", b"world", b"v", b"value"])

    def pairs(self):
        out = []
        for _ in range(self.rnd.randrange(1, 5)):
            out += [self.field(), self.value()]
        return out

    def fields(self):
        return [self.field() for _ in range(self.rnd.randrange(1, 4))]

    def command(self):
        k, f, v, c = self.key, self.field, self.value, self.choice
        table = [
            (14, lambda: [c([b"HSET", b"hset", b"HMSET"]), k()] + self.pairs()),
            (3, lambda: [b"HSETNX", k(), f(), v()]),
            (8, lambda: [b"HGET", k(), f()]),
            (4, lambda: [b"HMGET", k()] + self.fields()),
            (6, lambda: [b"HDEL", k()] + self.fields()),
            (3, lambda: [b"HEXISTS", k(), f()]),
            (3, lambda: [b"HLEN", k()]),
            (3, lambda: [b"HSTRLEN", k(), f()]),
            (5, lambda: [c(UNORDERED), k()]),
            (6, lambda: [b"HINCRBY", k(), c([f(), b"num"]), c(INTS)]),
            (6, lambda: [b"HINCRBYFLOAT", k(), c([f(), b"fl"]), c(FLOATS)]),
            (4, lambda: [b"HRANDFIELD", k()] + c([[], [c(SAFE_COUNTS)], [c(COUNTS), b"WITHVALUES"],
                                                  [c(COUNTS), b"withvalues"], [b"1", b"foo"],
                                                  [b"1", b"WITHVALUES", b"x"]])),
            (3, lambda: [b"HSCAN*", k(), c([b"*", b"a*", b"g1*", b"?"])]),
            (2, lambda: [b"HSCAN", k(), c([b"0", b"x", b"-1", b"18446744073709551616"])] +
             c([[], [b"COUNT", c([b"0", b"-1", b"x", b"1"])], [b"MATCH"], [b"FOO", b"1"]])),
            (4, lambda: [b"OBJECT", b"ENCODING", k()]),
            (2, lambda: [b"CONFIG", b"SET", b"hash-max-listpack-entries",
                         c([b"0", b"1", b"4", b"16", b"128", b"512"])]),
            (2, lambda: [b"CONFIG", b"SET", b"hash-max-listpack-value",
                         c([b"0", b"8", b"16", b"64", b"100"])]),
            (2, lambda: [b"SET", b"s", v()]),
            (2, lambda: [b"TYPE", k()]),
            (2, lambda: [b"DEL", k()]),
            (1, lambda: [b"EXISTS", k()]),
            (1, lambda: [b"COPY", k(), k(), b"REPLACE"]),
            (1, lambda: [b"RENAME", k(), k()]),
        ]
        total = sum(w for w, _ in table)
        x = self.rnd.randrange(total)
        for w, fn in table:
            if x < w:
                args = fn()
                break
            x -= w
        if args[0] in (b"HSCAN*", b"HRANDFIELD"):  # dropping WITHVALUES could unleash a huge count
            return args
        r = self.rnd.random()
        if r < 0.03 and len(args) > 1:
            args = args[:-1]
        elif r < 0.05:
            args = args + [v()]
        return args


def hscan_all(conn, key, pattern):
    pairs, cursor = set(), b"0"
    for _ in range(100000):
        rep = parse_reply(conn.cmd(b"HSCAN", key, cursor, b"MATCH", pattern, b"COUNT", b"3"))[0]
        if isinstance(rep, RespError):
            return rep
        cursor, batch = rep
        pairs.update(zip(batch[0::2], batch[1::2]))
        if cursor == b"0":
            return sorted(pairs)
    raise AssertionError("HSCAN did not terminate")


def random_shape(args, raw, conn):
    """HRANDFIELD: kind, size, distinctness and membership, not the picks."""
    rep = parse_reply(raw)[0]
    if rep is None or isinstance(rep, RespError):
        return raw
    pairs = parse_reply(conn.cmd(b"HGETALL", args[1]))[0]
    if isinstance(pairs, list):
        pairs = dict(zip(pairs[0::2], pairs[1::2]))
    if isinstance(rep, bytes):
        return ("one", rep in pairs)
    with_values = len(args) == 4
    if with_values and rep and isinstance(rep[0], list):  # RESP3: [field, value] pairs
        items = [tuple(p) for p in rep]
    elif with_values:
        items = list(zip(rep[0::2], rep[1::2]))
    else:
        items = [(x, pairs.get(x)) for x in rep]
    members = all(f in pairs and pairs[f] == v for f, v in items)
    distinct = len(set(items)) == len(items)
    return ("many", len(items), members, distinct or int(args[2]) < 0)


def normalize(args, raw, conn):
    name = args[0].upper()
    if name == b"HSCAN*":
        return ("hscan", hscan_all(conn, args[1], args[2]))
    if name == b"HRANDFIELD":
        return random_shape(args, raw, conn)
    if name == b"HSCAN" and raw.startswith(b"*2\r\n"):
        # A hashtable's pages depend on its layout; a listpack's never do.
        if conn.cmd(b"OBJECT", b"ENCODING", args[1]) == b"$9\r\nhashtable\r\n":
            return ("hscan page of a hashtable",)
    if name in UNORDERED and raw[:1] in (b"*", b"%"):
        enc = conn.cmd(b"OBJECT", b"ENCODING", args[1])
        if enc != b"$8\r\nlistpack\r\n":
            rep = parse_reply(raw)[0]
            if isinstance(rep, dict):
                return ("map", sorted(rep.items()))
            return ("sorted", sorted(rep))
    return raw


LISTPACK_DEFAULTS = [(b"CONFIG", b"SET", b"hash-max-listpack-entries", b"512"),
                     (b"CONFIG", b"SET", b"hash-max-listpack-value", b"64")]


def run_sequence(port_a, port_b, seed, steps, resp3=False):
    def compare(args, a, b):
        if args[0] == b"HSCAN*":
            return normalize(args, None, a), normalize(args, None, b)
        return normalize(args, a.cmd(*args), a), normalize(args, b.cmd(*args), b)

    def hgetall(conn, key):
        v = parse_reply(conn.cmd(b"HGETALL", key))[0]
        return sorted(v.items() if resp3 else v)

    def same_hashes(a, b):
        for key in KEYS:
            ea = a.cmd(b"OBJECT", b"ENCODING", key)
            assert ea == b.cmd(b"OBJECT", b"ENCODING", key), (seed, key)
            if a.cmd(b"TYPE", key) == b"+hash\r\n":
                assert hgetall(a, key) == hgetall(b, key), (seed, key)

    run_differential(port_a, port_b, seed, steps, Gen(seed).command, compare,
                     setup=LISTPACK_DEFAULTS, teardown=LISTPACK_DEFAULTS, resp3=resp3,
                     check=same_hashes)


@pytest.mark.parametrize("seed", SEEDS)
def test_hash_differential_resp2(server, redis_ref, seed):
    run_sequence(server.port, redis_ref.port, seed, STEPS)


@pytest.mark.parametrize("seed", [201, 202])
def test_hash_differential_resp3(server, redis_ref, seed):
    run_sequence(server.port, redis_ref.port, seed, STEPS, resp3=True)


def test_hash_generator_is_deterministic():
    g1, g2 = Gen(5), Gen(5)
    assert [g1.command() for _ in range(200)] == [g2.command() for _ in range(200)]
