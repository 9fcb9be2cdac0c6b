"""Differential test: Magpie's memcached port against the real memcached 1.6.18.

A seeded generator produces streams of memcached text and meta commands, valid
and malformed, over a small key set (so keys collide).  Every stream is sent,
request by request, to a fresh memcached (`-U 0 -t 1 -l 127.0.0.1`) and to a
fresh Magpie; each request is followed by `mn\\r\\n` and the reply is read up
to the `MN\\r\\n` it provokes, so the silence of noreply / `q` is compared too.
Replies must be identical byte for byte once CAS uniques are replaced by a
placeholder (each server's own CAS values are remembered per key, so a `cas` /
`C` token a request sends is the one the *same* server handed out).

Left out on purpose:
  * `stats`, `version`, `flush_all <delay>`: documented differences /
    timing dependent (docs/COMPATIBILITY.md, "memcached protocol").
  * short TTLs: only 0, large (relative or absolute) and negative/past ones,
    so nothing expires mid-stream (and no `T-1` in mg: memcached 1.6.18 then
    reports a `t` derived from its process clock).  Remaining-TTL values (`t` return flag)
    may differ by a second or two between the servers and are compared with
    that tolerance; meta `l` (seconds since last access) and `me` are not
    generated.

memcached runs without its LRU maintainer and crawler: their momentary
references to an item decide whether incr/decr rewrite a value in place
(space-padded, "9 ") or as a new item ("9"), which otherwise makes memcached's
own replies timing-dependent.  Seeds 1..300 agree byte for byte except seed
228, where memcached 1.6.18 calls a freshly stored "18446744073709551615"
non-numeric after an expired item's memory is reused (not reproduced).

Environment:
  MC_DIFF_SEEDS     comma separated seeds (default: 1..24)
  MC_DIFF_REQUESTS  requests per seed (default 300)
"""

import base64
import os
import random
import re
import signal
import socket
import time

import pytest

_BIN = os.path.abspath(os.environ.get("MAGPIE_BIN") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "build", "magpie-server"))
if os.path.basename(_BIN).startswith("redis-server"):
    pytest.skip("self-validation mode against redis-server: no memcached port to diff",
                allow_module_level=True)

from memcache_support import MEMCACHED_BIN, McServer  # noqa: E402

if not os.path.exists(MEMCACHED_BIN):
    pytest.skip("real memcached not found at %s" % MEMCACHED_BIN, allow_module_level=True)

SEEDS = [int(s) for s in os.environ.get("MC_DIFF_SEEDS", ",".join(map(str, range(1, 25)))).split(",")
         if s.strip()]
N_REQUESTS = int(os.environ.get("MC_DIFF_REQUESTS", "300"))

READ_TIMEOUT = 2.0
MN = b"mn\r\n"
MAX_ITEM = 1024 * 1024
FAR_ABSOLUTE = int(time.time()) + 400 * 86400     # absolute exptime in the future
PAST_ABSOLUTE = 30 * 86400 + 1                    # absolute exptime in 1970: expired


# ---------------------------------------------------------------------------
# servers
# ---------------------------------------------------------------------------

class _Memcached(McServer):
    def __init__(self):
        super().__init__(target="memcached", name="diff-memcached")

    def command_line(self, max_item_size=None, extra_args=()):
        # No LRU maintainer or crawler: their momentary references to an item
        # decide whether incr/decr rewrite it in place (space-padded) or not.
        cmd = [self.binary, "-p", str(self.mc_port), "-U", "0", "-t", "1", "-l", "127.0.0.1",
               "-o", "no_lru_maintainer,no_lru_crawler"]
        if os.geteuid() == 0:
            cmd += ["-u", "root"]
        return cmd


class _Magpie(McServer):
    def __init__(self):
        super().__init__(target="magpie", name="diff-magpie")


class Peer:
    """One server plus a raw connection and its own CAS bookkeeping."""

    def __init__(self, server, label):
        self.server = server
        self.label = label
        self.sock = None
        self.cas = {}          # key (bytes) -> last CAS unique this server returned
        self.connect()

    def connect(self):
        if self.sock is not None:
            self.sock.close()
        self.sock = socket.create_connection(("127.0.0.1", self.server.mc_port), timeout=5)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def exchange(self, payload):
        """Send payload + mn, read through MN.  Returns the raw bytes before MN
        (plus <TIMEOUT>/<CLOSED> markers when the server went silent/closed)."""
        try:
            self.sock.sendall(payload + MN)
        except OSError:
            self.connect()
            return b"<CLOSED on send>"
        # one MN for our own mn, plus one per mn the request itself carries
        want = 1 + len(re.findall(rb"(?:^|(?<=\n))mn\r\n", payload))
        buf = b""
        self.sock.settimeout(READ_TIMEOUT)
        while True:
            if (buf == b"MN\r\n" or buf.endswith(b"\nMN\r\n")) and \
                    len(re.findall(rb"(?:^|(?<=\n))MN\r\n", buf)) >= want:
                return buf[:-4]
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                self.connect()
                return buf + b"<TIMEOUT>"
            except OSError:
                self.connect()
                return buf + b"<CLOSED>"
            if not chunk:
                self.connect()
                return buf + b"<CLOSED>"
            buf += chunk


# ---------------------------------------------------------------------------
# requests: bytes with CAS placeholders resolved per server
# ---------------------------------------------------------------------------

class Req:
    """parts: list of bytes or ("cas", key) tuples, filled per server."""

    def __init__(self, parts, key=None, desc=None):
        self.parts = parts
        self.key = key            # key a meta reply's c<cas> belongs to
        self.desc = desc

    def render(self, peer):
        out = []
        for p in self.parts:
            if isinstance(p, tuple):
                out.append(b"%d" % peer.cas.get(p[1], 987654321))
            else:
                out.append(p)
        return b"".join(out)

    def show(self):
        s = b"".join(p if not isinstance(p, tuple) else b"<cas:" + p[1] + b">"
                     for p in self.parts)
        if len(s) > 300:
            s = s[:300] + b"...(%d bytes)" % len(s)
        return s


VALUE_LINE = re.compile(rb"^VALUE (\S+) (\d+) (\d+) (\d+)\r$", re.M)
VALUE_LINE_ANY = re.compile(rb"^(VALUE \S+ \d+ \d+) (\d+)\r$", re.M)
META_LINE = re.compile(rb"^(VA \d+|HD|EN|NF|NS|EX|OK)((?: [^\r\n]*)?)\r$", re.M)


def learn_cas(peer, req, reply):
    for m in VALUE_LINE.finditer(reply):
        peer.cas[m.group(1)] = int(m.group(4))
    if req.key is not None:
        for m in META_LINE.finditer(reply):
            for tok in m.group(2).split():
                if tok[:1] == b"c" and tok[1:].isdigit():
                    peer.cas[req.key] = int(tok[1:])


def _meta_tokens_norm(line_flags, ttls):
    toks = []
    for tok in line_flags.split():
        if tok[:1] == b"c" and tok[1:].isdigit():
            toks.append(b"c<CAS>")
        elif tok[:1] == b"t" and re.fullmatch(rb"-?\d+", tok[1:]):
            v = int(tok[1:])
            if v >= 0:
                ttls.append(v)
                toks.append(b"t<TTL>")
            else:
                toks.append(tok)
        else:
            toks.append(tok)
    return b" ".join(toks)


def normalise(reply):
    """(normalised bytes, list of positive remaining TTLs)."""
    ttls = []
    out = VALUE_LINE_ANY.sub(rb"\1 <CAS>\r", reply)

    def meta(m):
        flags = m.group(2)
        if not flags:
            return m.group(0)
        return m.group(1) + b" " + _meta_tokens_norm(flags, ttls) + b"\r"
    out = META_LINE.sub(meta, out)
    return out, ttls


# ---------------------------------------------------------------------------
# generator
# ---------------------------------------------------------------------------

KEYS = [b"k0", b"k1", b"k2", b"num", b"k:x"]
KEY250 = b"L" * 250
KEY251 = b"L" * 251
VALUES = [b"", b"0", b"1", b"7", b"42", b"100", b"99", b"abc", b"hello world",
          b"18446744073709551615", b"18446744073709551614", b"18446744073709551616",
          b"-5", b"12 ", b" 12", b"0x10", b"3.5", b"1234567890", b"x" * 100]
GOOD_EXPTIMES = [b"0", b"0", b"0", b"3600", b"864000", b"%d" % FAR_ABSOLUTE, b"-1",
                 b"%d" % PAST_ABSOLUTE]
GOOD_FLAGS = [b"0", b"0", b"1", b"12345", b"4294967295"]
BAD_NUMS = [b"abc", b"-1", b"4294967296", b"1x", b"", b"18446744073709551616", b"+5", b"0x1"]


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def key(self):
        r = self.r.random()
        if r < 0.03:
            return KEY250
        if r < 0.05:
            return KEY251
        return self.r.choice(KEYS)

    def value(self):
        if self.r.random() < 0.1:
            return bytes(self.r.choice(b"abcdefghij0123456789") for _ in range(self.r.randint(0, 40)))
        return self.r.choice(VALUES)

    def exptime(self):
        return self.r.choice(GOOD_EXPTIMES)

    def noreply(self):
        return b" noreply" if self.r.random() < 0.25 else b""

    def cas_token(self, key):
        r = self.r.random()
        if r < 0.6:
            return ("cas", key)
        return self.r.choice([b"0", b"1", b"999999", b"18446744073709551615"])

    # --- text storage ------------------------------------------------------
    def storage(self):
        r = self.r
        cmd = r.choice([b"set", b"set", b"add", b"replace", b"append", b"prepend", b"cas"])
        key = self.key()
        val = self.value()
        flags = r.choice(GOOD_FLAGS)
        exp = self.exptime()
        length = b"%d" % len(val)
        cas = [b" ", self.cas_token(key)] if cmd == b"cas" else []
        data = val + b"\r\n"
        nr = self.noreply()
        bad = r.random()
        if bad < 0.06:
            flags = r.choice(BAD_NUMS)
        elif bad < 0.10:
            exp = r.choice([b"abc", b"1.5", b"99999999999999999999"])
        elif bad < 0.14:
            length = r.choice([b"-1", b"abc", b"-100"])
        elif bad < 0.19:
            # bad data chunk: data longer than declared, or wrong terminator
            # (always at least len+2 bytes so no server waits for more)
            if r.random() < 0.5:
                data = val + b"XY" + b"\r\n"
            else:
                data = val + b"ab"
        elif bad < 0.21:
            # too large: declared and actually sent, so it is swallowed.  The
            # header must be otherwise valid: a rejected header would make
            # the 1 MB of data a command line, which memcached answers by
            # closing the connection (racy to compare).
            key = r.choice(KEYS)
            n = r.choice([MAX_ITEM, MAX_ITEM + 1, 2 * MAX_ITEM])
            length = b"%d" % n
            data = b"z" * n + b"\r\n"
        elif bad < 0.24:
            # wrong token count
            parts = [cmd, b" ", key]
            if r.random() < 0.5:
                parts += [b" ", flags, b" ", exp]
            else:
                parts += [b" ", flags, b" ", exp, b" ", length, b" ", b"1", b" ", b"2", b" ", b"x"]
            return Req(parts + [b"\r\n", data])
        elif bad < 0.26:
            nr = b" noreplyx"
        head = [cmd, b" ", key, b" ", flags, b" ", exp, b" ", length] + cas + [nr, b"\r\n", data]
        return Req(head)

    # --- text retrieval ----------------------------------------------------
    def retrieval(self):
        r = self.r
        cmd = r.choice([b"get", b"gets", b"gat", b"gats"])
        keys = [self.key() for _ in range(r.choice([1, 1, 1, 2, 3]))]
        if r.random() < 0.15:
            keys.append(keys[0])
        parts = [cmd]
        if cmd in (b"gat", b"gats"):
            if r.random() < 0.1:
                parts += [b" ", r.choice([b"abc", b"", b"-"])]
            else:
                parts += [b" ", self.exptime()]
        if r.random() < 0.05:
            keys = []
        for k in keys:
            parts += [b" ", k]
        return Req(parts + [b"\r\n"])

    def misc(self):
        r = self.r
        c = r.random()
        key = self.key()
        if c < 0.2:
            return Req([b"touch ", key, b" ", self.exptime() if r.random() > 0.1 else b"x",
                        self.noreply(), b"\r\n"])
        if c < 0.45:
            extra = r.choice([b"", b"", b"", b" 0", b" 5", b" 0 noreply", b" x y"])
            return Req([b"delete ", key, extra or self.noreply(), b"\r\n"])
        if c < 0.85:
            cmd = r.choice([b"incr", b"decr"])
            delta = r.choice([b"1", b"5", b"95", b"100", b"0", b"18446744073709551615",
                              b"18446744073709551616", b"-1", b"abc", b"1 2"])
            return Req([cmd, b" ", key, b" ", delta, self.noreply(), b"\r\n"])
        if c < 0.9:
            return Req([b"flush_all", r.choice([b"", b" noreply"]), b"\r\n"])
        return Req([r.choice([b"foo", b"GET k0", b"", b"   ", b"gets", b"set",
                              b"incr k0", b"touch k0", b"verbosity", b"bogus k0 1 2 3",
                              b"cas k0 0 0 1", b"mg", b"ms k0", b"ma", b"md",
                              b"get " + b" ".join(KEYS * 5)]), b"\r\n"])

    # --- meta --------------------------------------------------------------
    def meta_key(self, key):
        if self.r.random() < 0.07 and key not in (KEY251,):
            return base64.b64encode(key), [b"b"]
        return key, []

    def flags_from(self, pool, lo=0, hi=5):
        return self.r.sample(pool, self.r.randint(lo, min(hi, len(pool))))

    def mg(self):
        r = self.r
        key = self.key()
        k, extra = self.meta_key(key)
        pool = [b"v", b"k", b"s", b"f", b"c", b"q", b"O123", b"Oabc", b"t", b"h", b"u",
                b"T3600", b"T0", b"N3600", b"N0", b"R30", b"E777", b"v", b"v"]
        if r.random() < 0.06:
            pool = pool + [b"z", b"T", b"Tabc", b"N", b"O" + b"o" * 40]
        fl = extra + self.flags_from(pool, 0, 6)
        return Req([b"mg ", k] + [b" " + f for f in fl] + [b"\r\n"], key=key)

    def ms(self):
        r = self.r
        key = self.key()
        k, extra = self.meta_key(key)
        val = self.value()
        pool = [b"c", b"k", b"O9", b"q", b"F5", b"F4294967295", b"T0", b"T864000", b"T-1",
                b"I", b"MS", b"ME", b"MA", b"MP", b"MR", b"Ms", b"ma", b"N0", b"E555"]
        if r.random() < 0.08:
            pool = pool + [b"Mx", b"F4294967296", b"Fabc", b"T", b"z", b"C", b"s"]
        fl = extra + self.flags_from(pool, 0, 4)
        if r.random() < 0.25:
            fl.append(b"C")
            parts_c = [("cas", key)] if r.random() < 0.7 else [b"12345"]
        else:
            parts_c = None
        length = b"%d" % len(val)
        data = val + b"\r\n"
        b_ = r.random()
        if b_ < 0.05:
            length = r.choice([b"-1", b"abc", b""])
        elif b_ < 0.1:
            data = val + b"XY\r\n" if r.random() < 0.5 else val + b"ab"
        elif b_ < 0.12:
            # too large, with a header that is otherwise valid (see storage())
            k = r.choice(KEYS)
            fl = [f for f in fl if f in (b"c", b"k", b"O9", b"q", b"F5", b"T0", b"MS")]
            parts_c = None
            n = r.choice([MAX_ITEM, 2 * MAX_ITEM])
            length = b"%d" % n
            data = b"z" * n + b"\r\n"
        parts = [b"ms ", k, b" ", length]
        for f in fl:
            if f == b"C" and parts_c is not None:
                parts += [b" C"] + parts_c
            else:
                parts += [b" ", f]
        return Req(parts + [b"\r\n", data], key=key)

    def md(self):
        key = self.key()
        k, extra = self.meta_key(key)
        pool = [b"q", b"k", b"O7", b"I", b"T3600", b"x", b"C"]
        fl = extra + self.flags_from(pool, 0, 3)
        parts = [b"md ", k]
        for f in fl:
            if f == b"C":
                parts += [b" C", self.cas_token(key)]
            else:
                parts += [b" ", f]
        return Req(parts + [b"\r\n"], key=key)

    def ma(self):
        key = self.key()
        k, extra = self.meta_key(key)
        pool = [b"q", b"k", b"O1", b"v", b"t", b"c", b"N0", b"N3600", b"J10", b"J0",
                b"D5", b"D1", b"D100", b"MI", b"M+", b"MD", b"M-", b"T3600", b"E42"]
        if self.r.random() < 0.1:
            pool = pool + [b"Mx", b"Dabc", b"D-1", b"J18446744073709551616", b"z"]
        fl = extra + self.flags_from(pool, 0, 5)
        parts = [b"ma ", k]
        if self.r.random() < 0.1:
            parts += [b" C", self.cas_token(key)]
        for f in fl:
            parts += [b" ", f]
        return Req(parts + [b"\r\n"], key=key)

    def one(self):
        c = self.r.random()
        if c < 0.28:
            return self.storage()
        if c < 0.43:
            return self.retrieval()
        if c < 0.6:
            return self.misc()
        if c < 0.72:
            return self.mg()
        if c < 0.84:
            return self.ms()
        if c < 0.91:
            return self.md()
        if c < 0.98:
            return self.ma()
        return Req([b"mn\r\n"])


# ---------------------------------------------------------------------------
# the test
# ---------------------------------------------------------------------------

class _Pool:
    """A fresh memcached + Magpie pair per seed.  memcached takes about a
    second to exit on SIGTERM, so every process is signalled at once at the
    end and then waited for (terminate, wait, kill - by PID)."""

    def __init__(self):
        self.started = []

    def pair(self):
        mc, mp = _Memcached(), _Magpie()
        self.started += [mc, mp]
        mc.start()
        mp.start()
        return mc, mp

    def close(self):
        for s in self.started:
            if s.proc is not None and s.proc.poll() is None:
                try:
                    os.kill(s.proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for s in self.started:
            s.cleanup()


@pytest.fixture(scope="module")
def mc_pairs():
    pool = _Pool()
    try:
        yield pool
    finally:
        pool.close()


@pytest.mark.parametrize("seed", SEEDS)
def test_memcache_differential(mc_pairs, seed):
    mc_srv, mp_srv = mc_pairs.pair()
    gen = Gen(seed)
    ref = Peer(mc_srv, "memcached")
    got = Peer(mp_srv, "magpie")
    history = []
    try:
        for i in range(N_REQUESTS):
            req = gen.one()
            a_raw = ref.exchange(req.render(ref))
            b_raw = got.exchange(req.render(got))
            learn_cas(ref, req, a_raw)
            learn_cas(got, req, b_raw)
            # When a server drops the connection is timing (it may still be
            # reading the request): only whether it closed is compared.
            if a_raw.startswith(b"<CLOSED") and b_raw.startswith(b"<CLOSED"):
                a_raw = b_raw = b"<CLOSED>"
            a, a_ttl = normalise(a_raw)
            b, b_ttl = normalise(b_raw)
            ok = a == b and len(a_ttl) == len(b_ttl) and all(
                abs(x - y) <= 2 for x, y in zip(a_ttl, b_ttl))
            if not ok:
                last = "\n".join("  %r" % h for h in history[-10:])
                words = req.show().split()
                key = words[1] if len(words) > 1 else None
                same = [h for h in history if key is not None and key in h.split()[1:]]
                last += "\nearlier requests naming %r:\n%s" % (
                    key, "\n".join("  %r" % h for h in same[-15:]))
                pytest.fail(
                    "memcached/Magpie divergence\n"
                    "seed %d, request #%d:\n  %r\n"
                    "memcached: %r\nmagpie:    %r\n"
                    "(normalised: %r vs %r, ttls %r vs %r)\n"
                    "last 10 requests before it:\n%s"
                    % (seed, i, req.show(), a_raw[:600], b_raw[:600], a[:600], b[:600],
                       a_ttl, b_ttl, last), pytrace=False)
            history.append(req.show())
        assert mp_srv.alive(), "magpie died:\n%s" % mp_srv.log_tail()
    finally:
        ref.close()
        got.close()
