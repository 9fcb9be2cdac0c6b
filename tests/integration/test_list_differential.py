"""Differential test for the list family: random sequences of list commands
(negative and out-of-range indexes, empty results, wrong types, huge counts,
bad arity, non-integer arguments, binary elements, non-blocking forms of the
blocking commands) are sent over raw RESP to the server under test and to a
real redis-server 7.0; every reply must be byte-for-byte identical.

Blocking commands only appear with keys that already hold data or with a
tiny timeout (then both servers answer the null timeout reply), so no step
can hang.

Reproduce one sequence with e.g.
    MAGPIE_LIST_DIFF_SEEDS=7 MAGPIE_LIST_DIFF_STEPS=3000 python3 -m pytest -k list_differential
"""

import os
import random

import pytest

from conftest import SANITIZED, RawConn, parse_reply, run_differential

SEEDS = [int(s) for s in os.environ.get("MAGPIE_LIST_DIFF_SEEDS", "1,2,3,4,5,6").split(",")]
STEPS = int(os.environ.get("MAGPIE_LIST_DIFF_STEPS", "250" if SANITIZED else "1500"))

KEYS = [b"l0", b"l1", b"l2", b"{t}a", b"{t}b", b"bin\x00\r\nkey", b"s"]
INDEXES = [b"0", b"1", b"2", b"-1", b"-2", b"3", b"5", b"10", b"100", b"-100",
           b"9223372036854775807", b"-9223372036854775808", b"x", b"1.5", b"", b"-0"]
COUNTS = [b"0", b"1", b"2", b"3", b"-1", b"-2", b"10", b"1000000", b"x", b"",
          b"9223372036854775807", b"-9223372036854775808"]


class Gen:
    def __init__(self, seed):
        self.rnd = random.Random(seed)

    def c(self, seq):
        return self.rnd.choice(seq)

    def key(self):
        return self.c(KEYS)

    def elem(self):
        r = self.rnd.random()
        if r < 0.5:
            return self.c([b"a", b"b", b"c", b"d", b"hello", b""])
        if r < 0.7:
            return str(self.rnd.randrange(-5, 20)).encode()
        if r < 0.8:
            return bytes(self.rnd.randrange(256) for _ in range(self.rnd.randrange(8)))
        if r < 0.9:
            return b"x" * self.c([40, 64, 65, 300, 5000])
        return b"a\x00b\r\n"

    def elems(self):
        n = self.c([1, 1, 2, 3, 5, 20, 200])
        return [self.elem() for _ in range(n)]

    def where(self):
        return self.c([b"LEFT", b"RIGHT", b"left", b"right", b"middle"])

    def timeout(self):
        return self.c([b"0.01", b"0.01", b"-1", b"x", b"nan", b"inf", b"0.001"])

    def command(self):
        k, e, c = self.key, self.elem, self.c
        table = [
            (12, lambda: [c([b"LPUSH", b"RPUSH"]), k()] + self.elems()),
            (3, lambda: [c([b"LPUSHX", b"RPUSHX"]), k()] + self.elems()),
            (8, lambda: [c([b"LPOP", b"RPOP"]), k()] + c([[], [], [c(COUNTS)]])),
            (4, lambda: [b"LLEN", k()]),
            (8, lambda: [b"LRANGE", k(), c(INDEXES), c(INDEXES)]),
            (5, lambda: [b"LINDEX", k(), c(INDEXES)]),
            (4, lambda: [b"LSET", k(), c(INDEXES), e()]),
            (4, lambda: [b"LINSERT", k(), c([b"BEFORE", b"AFTER", b"after", b"x"]), e(), e()]),
            (4, lambda: [b"LREM", k(), c(COUNTS), e()]),
            (3, lambda: [b"LTRIM", k(), c(INDEXES), c(INDEXES)]),
            (5, self.lpos),
            (4, lambda: [b"LMOVE", k(), k(), self.where(), self.where()]),
            (2, lambda: [b"RPOPLPUSH", k(), k()]),
            (4, self.lmpop),
            (3, lambda: [c([b"BLPOP", b"BRPOP"])] + [k() for _ in range(self.rnd.randrange(1, 4))]
             + [self.timeout()]),
            (2, lambda: [b"BLMOVE", k(), k(), self.where(), self.where(), self.timeout()]),
            (1, lambda: [b"BRPOPLPUSH", k(), k(), self.timeout()]),
            (2, lambda: [b"BLMPOP", self.timeout()] + self.lmpop()[1:]),
            (2, lambda: [b"SET", b"s", e()]),
            (2, lambda: [b"DEL", k()]),
            (2, lambda: [b"TYPE", k()]),
            (1, lambda: [b"OBJECT", b"ENCODING", k()]),
            (1, lambda: [b"EXISTS", k()]),
        ]
        total = sum(w for w, _ in table)
        x = self.rnd.randrange(total)
        for w, f in table:
            if x < w:
                args = f()
                break
            x -= w
        r = self.rnd.random()
        if r < 0.03 and len(args) > 1:
            args = args[:-1]
        elif r < 0.05:
            args = args + [e()]
        return args

    def lpos(self):
        args = [b"LPOS", self.key(), self.elem()]
        for _ in range(self.rnd.randrange(4)):
            opt = self.c([b"RANK", b"COUNT", b"MAXLEN", b"rank", b"FOO"])
            args += [opt, self.c(COUNTS + [b"-3", b"2"])]
        return args

    def lmpop(self):
        n = self.c([1, 1, 2, 3])
        numkeys = self.c([str(n).encode()] * 6 + [b"0", b"-1", b"x", b"5"])
        args = [b"LMPOP", numkeys] + [self.key() for _ in range(n)] + [self.where()]
        if self.rnd.random() < 0.5:
            args += [b"COUNT", self.c(COUNTS)]
        return args


def run_sequence(port_a, port_b, seed, steps, resp3=False):
    def same_keyspace(a, b):
        ka = sorted(parse_reply(a.cmd(b"KEYS", b"*"))[0])
        assert ka == sorted(parse_reply(b.cmd(b"KEYS", b"*"))[0])
        for key in ka:
            if a.cmd(b"TYPE", key) == b"+list\r\n":
                assert a.cmd(b"LRANGE", key, b"0", b"-1") == b.cmd(b"LRANGE", key, b"0", b"-1")

    run_differential(port_a, port_b, seed, steps, Gen(seed).command, resp3=resp3,
                     check=same_keyspace)


@pytest.mark.parametrize("seed", SEEDS)
def test_list_differential_resp2(server, redis_ref, seed):
    run_sequence(server.port, redis_ref.port, seed, STEPS)


@pytest.mark.parametrize("seed", [101, 102])
def test_list_differential_resp3(server, redis_ref, seed):
    run_sequence(server.port, redis_ref.port, seed, STEPS, resp3=True)


@pytest.mark.parametrize("fill", [b"1", b"3", b"-1"])
def test_list_differential_small_nodes(server, redis_ref, fill):
    """Tiny nodes make every insert, set and remove cross node boundaries."""
    for port in (server.port, redis_ref.port):
        with RawConn(port) as conn:
            assert conn.cmd(b"CONFIG", b"SET", b"list-max-listpack-size", fill) == b"+OK\r\n"
    try:
        run_sequence(server.port, redis_ref.port, 77, STEPS)
    finally:
        for port in (server.port, redis_ref.port):
            with RawConn(port) as conn:
                conn.cmd(b"CONFIG", b"SET", b"list-max-listpack-size", b"-2")
