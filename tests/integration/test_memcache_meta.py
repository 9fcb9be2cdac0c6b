"""memcached meta protocol (mg ms md ma mn me) as in memcached 1.6.18.

The meta protocol changed across 1.6.x; memcached 1.6.18 is the reference.
Every expectation was checked against it:
    MEMCACHE_TARGET=memcached /usr/bin/python3 -m pytest -q -p no:cacheprovider \\
        tests/integration/test_memcache_meta.py
Notably, 1.6.18 has no 'E' (explicit cas) flag: it is "CLIENT_ERROR invalid flag".
"""

import base64
import re
import time

import pytest

from memcache_support import *  # noqa: F401,F403  (fixtures + helpers)

HD = b"HD\r\n"
EN = b"EN\r\n"
NF = b"NF\r\n"
NS = b"NS\r\n"
EX = b"EX\r\n"
MN = b"MN\r\n"
ERROR = b"ERROR\r\n"
BAD_FORMAT = b"CLIENT_ERROR bad command line format\r\n"
BAD_TOKEN = b"CLIENT_ERROR bad token in command line format\r\n"
INVALID_FLAG = b"CLIENT_ERROR invalid flag\r\n"
DUP_FLAG = b"CLIENT_ERROR duplicate flag\r\n"
INVALID_OR_DUP = b"CLIENT_ERROR invalid or duplicate flag\r\n"
TOO_LARGE = b"SERVER_ERROR object too large for cache\r\n"
NON_NUMERIC = b"CLIENT_ERROR cannot increment or decrement non-numeric value\r\n"


def va(data, flags=b""):
    if isinstance(data, str):
        data = data.encode()
    return b"VA %d%s\r\n%s\r\n" % (len(data), b" " + flags if flags else b"", data)


def cas_of(c, key):
    """cas via text gets (an mg would consume a stale item's win token)."""
    cas = c.gets_cas(key)
    assert cas is not None, key
    return cas


def ttl_ok(reply, template, ttl):
    """reply equals template % t for t in (ttl, ttl - 1) (a second may tick)."""
    return reply in (template % ttl, template % (ttl - 1))


# ===========================================================================
# mn
# ===========================================================================

def test_mn(mc_conn):
    c = mc_conn()
    assert c.call(b"mn\r\n") == MN
    assert c.call(b"mn extra tokens\r\n") == MN        # arguments are ignored
    assert c.calls(b"mn\r\nmn\r\nmn\r\n", 3) == MN * 3


# ===========================================================================
# mg
# ===========================================================================

def test_mg_hit_miss_basic(mc_conn):
    c = mc_conn()
    c.set("a", "xy", 5)
    assert c.call(b"mg a\r\n") == HD                    # hit, no flags: HD
    assert c.call(b"mg a v\r\n") == va("xy")
    assert c.call(b"mg miss\r\n") == EN
    assert c.call(b"mg miss v\r\n") == EN


def test_mg_return_flags_in_request_order(mc_conn):
    c = mc_conn()
    c.set("a", "xyz", 17)
    cas = c.gets_cas("a")
    assert c.call(b"mg a s v f t c k O123\r\n") == va("xyz", b"s3 f17 t-1 c%d ka O123" % cas)
    assert c.call(b"mg a k f s\r\n") == b"HD ka f17 s3\r\n"
    assert c.call(b"mg a O9 c\r\n") == b"HD O9 c%d\r\n" % cas
    # the cas is the same one gets reports
    assert c.call(b"gets a\r\n") == b"VALUE a 17 3 %d\r\nxyz\r\nEND\r\n" % cas


def test_mg_miss_echoes_k_and_O_only(mc_conn):
    c = mc_conn()
    assert c.call(b"mg miss v k O9\r\n") == b"EN kmiss O9\r\n"
    assert c.call(b"mg miss k\r\n") == b"EN kmiss\r\n"
    assert c.call(b"mg miss s v f t c k h l O123\r\n") == b"EN kmiss O123\r\n"
    assert c.call(b"mg miss O\r\n") == b"EN O\r\n"


def test_mg_h_l(mc_conn):
    c = mc_conn()
    c.set("a", "x")
    # h/l report the state *before* this command
    assert c.call(b"mg a h l\r\n") == b"HD h0 l0\r\n"
    assert c.call(b"mg a h\r\n") == b"HD h1\r\n"
    assert re.match(rb"^HD h1 l\d+\r\n$", c.call(b"mg a h l\r\n"))
    c.set("b", "x")
    assert c.call(b"mg b u h\r\n") == b"HD h0\r\n"      # u: no bump, not marked fetched
    assert c.call(b"mg b h\r\n") == b"HD h0\r\n"
    assert c.call(b"mg b h\r\n") == b"HD h1\r\n"


def test_mg_t_flag(mc_conn):
    c = mc_conn()
    c.set("p", "x")
    assert c.call(b"mg p t\r\n") == b"HD t-1\r\n"
    c.set("e", "x", 0, 100)
    assert ttl_ok(c.call(b"mg e t\r\n"), b"HD t%d\r\n", 100)
    c.set("abs", "x", 0, int(time.time()) + 1000)
    assert c.call(b"mg abs t\r\n") in (b"HD t1000\r\n", b"HD t999\r\n", b"HD t1001\r\n")


def test_mg_q_suppresses_only_miss(mc_conn):
    c = mc_conn()
    c.set("a", "x")
    c.send(b"mg miss v q\r\nmg miss q k O1\r\nmg a v q k\r\nmg a q\r\n")
    assert c.sync() == va("x", b"ka") + HD
    # errors are never suppressed
    c.send(b"mg a q zz\r\n")
    assert c.sync() == INVALID_FLAG


def test_mg_pipelined_with_opaque(mc_conn):
    c = mc_conn()
    c.set("k1", "one")
    c.set("k3", "three")
    c.send(b"mg k1 v q O1\r\nmg k2 v q O2\r\nmg k3 v q O3\r\n")
    assert c.sync() == va("one", b"O1") + va("three", b"O3")


def test_mg_T_updates_ttl(mc_conn):
    c = mc_conn()
    c.set("t", "x")
    assert c.call(b"mg t T500 t v\r\n") == va("x", b"t500")
    assert ttl_ok(c.call(b"mg t t\r\n"), b"HD t%d\r\n", 500)
    assert c.call(b"mg t T0 t\r\n") == b"HD t-1\r\n"
    assert c.call(b"mg t t\r\n") == b"HD t-1\r\n"
    assert c.call(b"mg miss T30 t\r\n") == EN


def test_mg_N_vivify(mc_conn):
    c = mc_conn()
    r = c.call(b"mg viv N30 s t v c\r\n")
    m = re.match(rb"^VA 0 s0 t30 c(\d+) W\r\n\r\n$", r)
    assert m, r
    cas = int(m.group(1))
    # the next client sees the stub, with Z (someone else won)
    r = c.call(b"mg viv N30 s t v c\r\n")
    assert ttl_ok(r, b"VA 0 s0 t%%d c%d Z\r\n\r\n" % cas, 30), r
    assert c.call(b"get viv\r\n") == b"VALUE viv 0 0\r\n\r\nEND\r\n"
    # a real set replaces the stub; no W/Z any more
    assert c.call(b"ms viv 3 T0\r\nnew\r\n") == HD
    assert c.call(b"mg viv N30 v t\r\n") == va("new", b"t-1")
    # vivify without v: HD ... W, even with q (W is not a "miss")
    c.send(b"mg viv2 N30 s q\r\n")
    assert c.sync() == b"HD s0 W\r\n"
    assert c.call(b"mg viv2 s\r\n") == b"HD s0 Z\r\n"


def test_mg_R_recache(mc_conn):
    c = mc_conn()
    c.set("r", "old", 0, 100)
    # remaining ttl (100) is not below 30: no win
    assert ttl_ok(c.call(b"mg r R30 v t\r\n"), b"VA 3 t%d\r\nold\r\n", 100)
    # below 200: this client wins, later ones see Z
    assert ttl_ok(c.call(b"mg r R200 v t\r\n"), b"VA 3 t%d W\r\nold\r\n", 100)
    assert ttl_ok(c.call(b"mg r R200 v t\r\n"), b"VA 3 t%d Z\r\nold\r\n", 100)
    # a new set clears the token
    c.set("r", "new", 0, 100)
    assert ttl_ok(c.call(b"mg r R200 v t\r\n"),
                  b"VA 3 t%d W\r\nnew\r\n", 100)
    # items without a ttl never win by R
    c.set("p", "x")
    assert c.call(b"mg p R200 t\r\n") == b"HD t-1\r\n"


def test_mg_base64_key(mc_conn):
    c = mc_conn()
    assert c.call(b"ms Zm9v 3 b\r\nbar\r\n") == HD
    assert c.call(b"get foo\r\n") == b"VALUE foo 0 3\r\nbar\r\nEND\r\n"
    cas = c.gets_cas("foo")
    # the key comes back base64 encoded, followed by a 'b' flag
    assert c.call(b"mg Zm9v b k v c\r\n") == va("bar", b"kZm9v b c%d" % cas)
    # a key that needs base64 to be printed is returned base64 even without b
    assert c.call(b"mg foo k v\r\n") == va("bar", b"kZm9v b")
    binkey = bytes([0, 1, 2, 255])
    enc = base64.b64encode(binkey)
    assert enc == b"AAEC/w=="
    assert c.call(b"ms %s 2 b\r\nhi\r\n" % enc) == HD
    assert c.call(b"mg %s b k v s\r\n" % enc) == va("hi", b"k%s b s2" % enc)
    assert c.call(b"mg ###! b v\r\n") == b"CLIENT_ERROR error decoding key\r\n"
    assert c.call(b"mg m b v\r\n") == b"CLIENT_ERROR error decoding key\r\n"
    assert c.call(b"md Zm9v b k\r\n") == b"HD kZm9v b\r\n"
    assert c.call(b"mg Zm9v b k v\r\n") == b"EN kZm9v b\r\n"


def test_mg_errors(mc_conn):
    c = mc_conn()
    c.set("a", "x")
    assert c.call(b"mg\r\n") == ERROR
    assert c.call(b"mg " + b"k" * 251 + b" v\r\n") == BAD_FORMAT
    assert c.call(b"mg " + b"k" * 250 + b" v\r\n") == EN
    assert c.call(b"mg a zz\r\n") == INVALID_FLAG
    assert c.call(b"mg a !\r\n") == INVALID_FLAG
    assert c.call(b"mg a v v\r\n") == DUP_FLAG
    assert c.call(b"mg a k k\r\n") == DUP_FLAG
    assert c.call(b"mg a O1 O2\r\n") == DUP_FLAG
    assert c.call(b"mg a Nabc\r\n") == BAD_TOKEN
    assert c.call(b"mg a Tabc\r\n") == BAD_TOKEN
    assert c.call(b"mg a Rabc\r\n") == BAD_TOKEN
    # no explicit-cas 'E' flag in 1.6.18
    assert c.call(b"mg a E1 c\r\n") == INVALID_FLAG
    assert c.call(b"mx a\r\n") == ERROR
    assert c.call(b"mg a v\r\n") == va("x")


def test_opaque_length(mc_conn):
    c = mc_conn()
    o31 = b"a" * 31
    assert c.call(b"ms o 1 O%s\r\nx\r\n" % o31) == b"HD O%s\r\n" % o31
    assert c.call(b"mg o O%s\r\n" % o31) == b"HD O%s\r\n" % o31
    # 32 bytes is already too long
    assert c.call(b"mg o O%s\r\n" % (b"a" * 32)) == b"CLIENT_ERROR opaque token too long\r\n"
    assert c.call(b"ms o 1 O%s\r\nx\r\n" % (b"a" * 32)) == (
        b"CLIENT_ERROR opaque token too long\r\n")
    assert c.call(b"mn\r\n") == MN                      # the data block was swallowed


def test_P_and_L_are_ignored(mc_conn):
    c = mc_conn()
    assert c.call(b"ms a 1 Pfoo Lbar\r\nx\r\n") == HD
    assert c.call(b"mg a Pfoo Lbar v\r\n") == va("x")
    assert c.call(b"mg a P L\r\n") == HD


# ===========================================================================
# ms
# ===========================================================================

def test_ms_basic(mc_conn):
    c = mc_conn()
    assert c.call(b"ms m 3\r\nabc\r\n") == HD
    assert c.call(b"get m\r\n") == b"VALUE m 0 3\r\nabc\r\nEND\r\n"
    r = c.call(b"ms m 3 T0 F5 c k O7\r\nxyz\r\n")
    cas = c.gets_cas("m")
    assert r == b"HD c%d km O7\r\n" % cas
    assert c.call(b"mg m f v t s\r\n") == va("xyz", b"f5 t-1 s3")
    assert c.call(b"ms e 0\r\n\r\n") == HD
    assert c.call(b"mg e s v\r\n") == va("", b"s0")
    data = b"a\r\nb\x00\xff"
    assert c.call(b"ms bin %d\r\n%s\r\n" % (len(data), data)) == HD
    assert c.call(b"mg bin v\r\n") == va(data)
    # 'v' and 's' are accepted (and ignored) by ms
    assert c.call(b"ms o 1 v s\r\nx\r\n") == HD


def test_ms_flags_and_ttl(mc_conn):
    c = mc_conn()
    assert c.call(b"ms m 1 F4294967295\r\nx\r\n") == HD
    assert c.call(b"mg m f\r\n") == b"HD f4294967295\r\n"
    # like the text protocol, wider values are truncated to 32 bits
    assert c.call(b"ms m 1 F4294967296\r\nx\r\n") == HD
    assert c.call(b"mg m f\r\n") == b"HD f0\r\n"
    assert c.call(b"ms m 1 F4294967297\r\nx\r\n") == HD
    assert c.call(b"mg m f\r\n") == b"HD f1\r\n"
    assert c.call(b"ms m 1\r\nx\r\n") == HD              # flags default to 0
    assert c.call(b"mg m f\r\n") == b"HD f0\r\n"
    assert c.call(b"ms m 3 T100\r\nabc\r\n") == HD
    assert ttl_ok(c.call(b"mg m t\r\n"), b"HD t%d\r\n", 100)
    assert c.call(b"ms m 3 T-1\r\nabc\r\n") == HD       # negative: expired at once
    assert c.call(b"mg m t\r\n") == EN
    assert c.call(b"ms m 1 T2592001\r\nx\r\n") == HD    # absolute time in 1970
    assert c.call(b"mg m v\r\n") == EN
    assert c.call(b"ms m 1 T%d\r\nx\r\n" % (int(time.time()) + 1000)) == HD
    assert c.call(b"mg m t\r\n") in (b"HD t1000\r\n", b"HD t999\r\n", b"HD t1001\r\n")


def test_ms_modes(mc_conn):
    c = mc_conn()
    assert c.call(b"ms m 3\r\nxyz\r\n") == HD
    assert c.call(b"ms m 3 ME\r\nabc\r\n") == NS          # add: exists
    assert c.call(b"ms new 3 ME\r\nabc\r\n") == HD        # add: new
    assert c.call(b"ms m2 3 MR\r\nxyz\r\n") == NS         # replace: missing
    assert c.call(b"ms m 3 MR\r\nxyz\r\n") == HD
    assert c.call(b"ms m 1 MA\r\n+\r\n") == HD            # append
    assert c.call(b"ms m 1 MP\r\n-\r\n") == HD            # prepend
    assert c.call(b"mg m v\r\n") == va("-xyz+")
    assert c.call(b"ms m3 1 MA\r\n+\r\n") == NS
    assert c.call(b"ms m3 1 MP\r\n+\r\n") == NS
    assert c.call(b"ms m 1 MS\r\n!\r\n") == HD
    assert c.call(b"mg m v\r\n") == va("!")
    for mode in (b"X", b"s", b"a", b"e"):
        assert c.call(b"ms m 1 M%s\r\n?\r\n" % mode) == (
            b"CLIENT_ERROR invalid mode for ms M token\r\n"), mode
    assert c.call(b"mg m v\r\n") == va("!")


def test_ms_append_keeps_flags(mc_conn):
    c = mc_conn()
    assert c.call(b"ms m 1 F9\r\na\r\n") == HD
    assert c.call(b"ms m 1 MA F3\r\nb\r\n") == HD
    assert c.call(b"mg m f v\r\n") == va("ab", b"f9")


def test_ms_cas(mc_conn):
    c = mc_conn()
    assert c.call(b"ms nx 1 C1\r\n!\r\n") == NF
    assert c.call(b"ms m 1\r\na\r\n") == HD
    cas = cas_of(c, b"m")
    assert c.call(b"ms m 1 C%d\r\n!\r\n" % (cas + 100)) == EX
    assert c.call(b"ms m 1 C%d c\r\n!\r\n" % (cas + 100)) == b"EX c0\r\n"
    r = c.call(b"ms m 1 C%d c\r\nb\r\n" % cas)
    new = cas_of(c, b"m")
    assert r == b"HD c%d\r\n" % new and new != cas
    assert c.call(b"mg m v\r\n") == va("b")
    # failures with c report c0
    assert c.call(b"ms m 1 ME c\r\nx\r\n") == b"NS c0\r\n"
    # append mode respects C
    assert c.call(b"ms m 1 MA C%d\r\nx\r\n" % cas) == EX
    assert c.call(b"ms m 1 MA C%d\r\nx\r\n" % new) == HD
    assert c.call(b"mg m v\r\n") == va("bx")


def test_ms_q(mc_conn):
    c = mc_conn()
    c.send(b"ms a 1 q\r\nx\r\n"                     # HD suppressed
           b"ms a 1 c k O1 F3 T0 q\r\nx\r\n"        # ... even with return flags
           b"ms a 1 MR q\r\ny\r\n"
           b"ms b 1 MR q\r\nx\r\n"                  # NS is shown
           b"ms a 1 ME q\r\nx\r\n"
           b"ms a 1 C1 q\r\nx\r\n"                  # EX is shown
           b"ms nx 1 C1 q\r\nx\r\n")                # NF is shown
    assert c.sync() == NS + NS + EX + NF
    assert c.call(b"mg a s v f\r\n") == va("y", b"s1 f0")


def test_ms_invalidate_I(mc_conn):
    c = mc_conn()
    assert c.call(b"ms s 3 T0\r\nold\r\n") == HD
    cas = cas_of(c, b"s")
    assert c.call(b"md s I T30\r\n") == HD               # mark stale, bump cas
    new = cas_of(c, b"s")
    assert new != cas
    # a lower cas with I is accepted, and the item stays stale
    assert c.call(b"ms s 3 C%d I\r\nnew\r\n" % cas) == HD
    assert c.call(b"mg s v\r\n") == va("new", b"X W")
    assert c.call(b"mg s v\r\n") == va("new", b"Z X")
    # a plain ms makes it fresh again
    assert c.call(b"ms s 3\r\nnew\r\n") == HD
    assert c.call(b"mg s v\r\n") == va("new")


def test_ms_errors(mc_conn):
    c = mc_conn()
    assert c.call(b"ms o 3\r\nold\r\n") == HD
    # errors that know the length swallow the data block
    for line, err in ((b"ms o 1 Fabc", BAD_FORMAT), (b"ms o 1 F-1", BAD_FORMAT),
                      (b"ms o 1 Tabc", BAD_TOKEN), (b"ms o 1 Cabc", BAD_TOKEN),
                      (b"ms o 1 zz", INVALID_FLAG), (b"ms o 1 F1 F2", DUP_FLAG),
                      (b"ms o 1 E12345", INVALID_FLAG), (b"ms o 1 MX", None)):
        want = err or b"CLIENT_ERROR invalid mode for ms M token\r\n"
        assert c.call(line + b"\r\nx\r\n") == want, line
        assert c.call(b"mn\r\n") == MN, line
    # errors before the length is known do not: the block becomes a command
    for line in (b"ms o abc", b"ms o -1", b"ms " + b"k" * 251 + b" 1"):
        assert c.calls(line + b"\r\nx\r\n", 2) == BAD_FORMAT + ERROR, line
    # 1.6.18 requires the datalen token (no S flag)
    assert c.calls(b"ms o S1\r\nx\r\n", 2) == BAD_FORMAT + ERROR
    assert c.call(b"ms o\r\n") == BAD_FORMAT
    assert c.call(b"ms\r\n") == ERROR
    # bad data chunk: old value kept
    assert c.calls(b"ms o 1\r\nxyz\r\n", 2) == b"CLIENT_ERROR bad data chunk\r\n" + ERROR
    assert c.call(b"mg o v\r\n") == va("old")


def test_ms_too_large(mc_conn):
    c = mc_conn()
    big = 2 * DEFAULT_MAX_ITEM_SIZE
    assert c.call(b"ms o 1\r\nx\r\n") == HD
    assert c.call(b"ms o %d\r\n" % big + b"v" * big + b"\r\n") == TOO_LARGE
    assert c.call(b"mg o v\r\n") == EN                   # the old item is gone
    assert c.call(b"ms o 1\r\nx\r\n") == HD
    # q does not hide the error
    c.send(b"ms o %d q\r\n" % big + b"v" * big + b"\r\n")
    assert c.sync() == TOO_LARGE


@pytest.mark.parametrize("mode", [b"MA", b"MP", b"ME", b"MR", b"MS"])
def test_ms_too_large_deletes_in_every_mode(mc_conn, mode):
    """Unlike text append/add/..., a too-large ms removes the item whatever M."""
    c = mc_conn()
    big = DEFAULT_MAX_ITEM_SIZE + 1
    assert c.call(b"ms o 1\r\nx\r\n") == HD
    assert c.call(b"ms o %d %s\r\n" % (big, mode) + b"v" * big + b"\r\n") == TOO_LARGE
    assert c.call(b"mg o v\r\n") == EN


# ===========================================================================
# md
# ===========================================================================

def test_md_basic(mc_conn):
    c = mc_conn()
    c.set("m", "x")
    assert c.call(b"md m\r\n") == HD
    assert c.call(b"md m\r\n") == NF
    assert c.call(b"mg m\r\n") == EN
    assert c.call(b"md m k O5\r\n") == b"NF km O5\r\n"
    c.set("m", "x")
    assert c.call(b"md m k O5\r\n") == b"HD km O5\r\n"


def test_md_q(mc_conn):
    c = mc_conn()
    c.set("a", "x")
    c.set("b", "x")
    cas = cas_of(c, b"b")
    c.send(b"md a q\r\nmd nope q\r\nmd b q C%d\r\n" % (cas + 1000))
    assert c.sync() == NF + EX              # HD hidden, NF/EX shown
    assert c.call(b"mg a\r\n") == EN
    assert c.call(b"mg b\r\n") == HD


def test_md_cas(mc_conn):
    c = mc_conn()
    c.set("m", "x")
    cas = cas_of(c, b"m")
    assert c.call(b"md m C%d\r\n" % (cas + 1)) == EX
    assert c.call(b"mg m v\r\n") == va("x")
    assert c.call(b"md m C%d\r\n" % cas) == HD
    assert c.call(b"mg m\r\n") == EN
    assert c.call(b"md m C1\r\n") == NF


def test_md_invalidate(mc_conn):
    c = mc_conn()
    assert c.call(b"ms s 3 T0\r\nold\r\n") == HD
    cas = cas_of(c, b"s")
    assert c.call(b"md s I T30\r\n") == HD
    new = cas_of(c, b"s")
    assert new > cas
    # stale: X, and the first fetcher wins (W) ...
    assert ttl_ok(c.call(b"mg s v c t\r\n"), b"VA 3 c%d t%%d X W\r\nold\r\n" % new, 30)
    # ... later ones see Z (note the order: Z before X)
    assert ttl_ok(c.call(b"mg s v c t\r\n"), b"VA 3 c%d t%%d Z X\r\nold\r\n" % new, 30)
    # the text protocol still returns the stale value
    assert c.call(b"gets s\r\n") == b"VALUE s 0 3 %d\r\nold\r\nEND\r\n" % new
    assert c.call(b"md nx I\r\n") == NF
    c.send(b"md s q I\r\n")
    assert c.sync() == b""


def test_md_T_without_I_just_deletes(mc_conn):
    c = mc_conn()
    c.set("s", "abc")
    assert c.call(b"md s T30\r\n") == HD
    assert c.call(b"mg s\r\n") == EN


def test_md_errors(mc_conn):
    c = mc_conn()
    c.set("o", "x")
    assert c.call(b"md\r\n") == ERROR
    assert c.call(b"md o zz\r\n") == INVALID_OR_DUP
    assert c.call(b"md o x\r\n") == INVALID_OR_DUP
    assert c.call(b"md o C\r\n") == INVALID_OR_DUP
    assert c.call(b"md o E5\r\n") == INVALID_OR_DUP
    assert c.call(b"md " + b"k" * 251 + b"\r\n") == BAD_FORMAT
    assert c.call(b"mg o v\r\n") == va("x")


# ===========================================================================
# ma
# ===========================================================================

def test_ma_basic(mc_conn):
    c = mc_conn()
    assert c.call(b"ma c\r\n") == NF
    c.set("c", "41", 3)
    assert c.call(b"ma c\r\n") == HD
    assert c.call(b"ma c v\r\n") == va("43")
    assert c.call(b"ma c v D10\r\n") == va("53")
    assert c.call(b"mg c f v\r\n") == va("53", b"f3")          # flags kept
    assert c.call(b"ma nope k O1 v\r\n") == b"NF knope O1\r\n"


def test_ma_modes(mc_conn):
    c = mc_conn()
    c.set("c", "52")
    assert c.call(b"ma c v MD D100\r\n") == va("0")           # floors at 0
    assert c.call(b"ma c v M+ D5\r\n") == va("5")
    assert c.call(b"ma c v MI\r\n") == va("6")
    assert c.call(b"ma c v M- D1\r\n") == va("5")
    assert c.call(b"ma c v MD\r\n") == va("4")
    # shrinking in place pads with spaces, as incr/decr do
    assert c.call(b"mg c v\r\n") == va("4 ")
    for mode in (b"i", b"X", b"d"):
        assert c.call(b"ma c v M%s\r\n" % mode) == (
            b"CLIENT_ERROR invalid mode for ma M token\r\n"), mode


def test_ma_wrap_and_padding(mc_conn):
    c = mc_conn()
    c.set("big", "18446744073709551615")
    assert c.call(b"ma big v\r\n") == va("0")
    assert c.call(b"get big\r\n") == b"VALUE big 0 20\r\n0" + b" " * 19 + b"\r\nEND\r\n"
    c.set("n", "8")
    assert c.call(b"ma n v D18446744073709551615\r\n") == va("7")
    c.set("pad", "100")
    assert c.call(b"ma pad MD v\r\n") == va("99")
    assert c.call(b"get pad\r\n") == b"VALUE pad 0 3\r\n99 \r\nEND\r\n"
    assert c.call(b"ma pad v D1\r\n") == va("100")


def test_ma_q(mc_conn):
    c = mc_conn()
    c.set("c", "1")
    cas = cas_of(c, b"c")
    c.send(b"ma c q\r\nma nope q\r\nma c q C%d\r\nma c q v\r\n" % (cas + 1000))
    # HD hidden; NF and EX shown; with q even the VA of a success is hidden
    assert c.sync() == NF + EX
    assert c.call(b"mg c v\r\n") == va("3")


def test_ma_vivify_N_J(mc_conn):
    c = mc_conn()
    r = c.call(b"ma c N0 J41 v t c\r\n")
    cas = cas_of(c, b"c")
    assert r == va("41", b"t-1 c%d" % cas)     # the seed is returned as is, no delta
    assert c.call(b"ma c v\r\n") == va("42")
    assert c.call(b"ma nn N0 v\r\n") == va("0")                # J defaults to 0
    assert c.call(b"ma nn2 N100 J5 t v\r\n") == va("5", b"t100")
    assert ttl_ok(c.call(b"mg nn2 t\r\n"), b"HD t%d\r\n", 100)
    assert c.call(b"ma nn3 N0 J5 MD v\r\n") == va("5")
    assert c.call(b"ma nn4 J5 v\r\n") == NF                    # J alone does not create
    assert c.call(b"get nn4\r\n") == b"END\r\n"
    assert c.call(b"ma nn5 N0 J7\r\n") == HD
    assert c.call(b"get nn5\r\n") == b"VALUE nn5 0 1\r\n7\r\nEND\r\n"


def test_ma_cas_and_ttl(mc_server, mc_conn):
    c = mc_conn()
    c.set("cc", "5")
    cas = cas_of(c, b"cc")
    assert c.call(b"ma cc C%d v\r\n" % (cas + 1)) == EX
    assert c.call(b"ma nx C1 v\r\n") == NF
    r = c.call(b"ma cc C%d v c\r\n" % cas)
    new = cas_of(c, b"cc")
    assert r == va("6", b"c%d" % new) and new != cas
    assert c.call(b"ma cc T100 t v\r\n") == va("7", b"t100")
    r = c.call(b"ma cc t v k O4\r\n")
    # memcached 1.6.18 occasionally loses the T update when the incr could
    # not be done in place (a race with its LRU maintainer); Magpie must not
    ok = ttl_ok(r, b"VA 1 t%d kcc O4\r\n8\r\n", 100)
    assert ok or (not mc_server.is_magpie and r == b"VA 1 t-1 kcc O4\r\n8\r\n"), r


def test_ma_errors(mc_conn):
    c = mc_conn()
    c.set("c", "1")
    c.set("s", "abc")
    assert c.call(b"ma s v\r\n") == NON_NUMERIC
    assert c.call(b"ma s\r\n") == NON_NUMERIC
    for d in (b"Dabc", b"D-1", b"D18446744073709551616", b"Jabc N0", b"E5"):
        assert c.call(b"ma c v %s\r\n" % d) == INVALID_OR_DUP, d
    assert c.call(b"ma\r\n") == ERROR
    assert c.call(b"ma " + b"k" * 251 + b"\r\n") == BAD_FORMAT
    assert c.call(b"mg c v\r\n") == va("1")


# ===========================================================================
# me
# ===========================================================================

def test_me(mc_conn):
    c = mc_conn()
    assert c.call(b"me miss\r\n") == EN
    c.set("a", "x")
    cas = c.gets_cas("a")      # gets marks it fetched
    r = c.call(b"me a\r\n")
    assert re.match(rb"^ME a exp=-1 la=\d+ cas=%d fetch=yes cls=\d+ size=\d+\r\n$" % cas, r), r
    c.set("b", "x", 0, 100)
    r = c.call(b"me b\r\n")
    assert re.match(rb"^ME b exp=(-100|-99) la=\d+ cas=\d+ fetch=no cls=\d+ size=\d+\r\n$", r), r
    assert c.call(b"ms AAEC/w== 2 b\r\nhi\r\n") == HD
    r = c.call(b"me AAEC/w== b\r\n")
    assert re.match(rb"^ME AAEC/w== exp=-1 la=\d+ cas=\d+ fetch=no cls=\d+ size=\d+\r\n$", r), r
    assert c.call(b"me\r\n") == BAD_FORMAT


# ===========================================================================
# mixing meta and text commands
# ===========================================================================

def test_meta_and_text_share_items(mc_conn):
    c = mc_conn()
    assert c.call(b"set k 12 0 3\r\nabc\r\n") == b"STORED\r\n"
    cas = c.gets_cas("k")
    assert c.call(b"mg k v f c s\r\n") == va("abc", b"f12 c%d s3" % cas)
    assert c.call(b"ms k 3 F7 T0\r\nxyz\r\n") == HD
    assert c.call(b"get k\r\n") == b"VALUE k 7 3\r\nxyz\r\nEND\r\n"
    assert c.call(b"md k\r\n") == HD
    assert c.call(b"get k\r\n") == b"END\r\n"


# ===========================================================================
# corners found by the differential run against memcached 1.6.18
# ===========================================================================

def test_ma_flags_apply_in_order(mc_conn):
    """ma applies N (for a created item) and T where they stand: a t before
    them reports the TTL the item had (none, when just created)."""
    c = mc_conn()
    assert c.call(b"ma a t N3600\r\n") == b"HD t-1\r\n"
    assert ttl_ok(c.call(b"mg a t\r\n"), b"HD t%d\r\n", 3600)
    assert ttl_ok(c.call(b"ma b N3600 t\r\n"), b"HD t%d\r\n", 3600)
    assert ttl_ok(c.call(b"ma b t T100\r\n"), b"HD t%d\r\n", 3600)
    assert ttl_ok(c.call(b"mg b t\r\n"), b"HD t%d\r\n", 100)


def test_ma_echoes_the_key_as_sent(mc_conn):
    c = mc_conn()
    c.set("k0", "1")
    assert c.call(b"ma azA= b k\r\n") == b"HD kazA= b\r\n"   # base64 of k0


def test_ma_empty_value_is_non_numeric_before_cas(mc_conn):
    c = mc_conn()
    assert c.call(b"set e 0 0 0\r\n\r\n") == b"STORED\r\n"
    assert c.call(b"ma e C1 D1\r\n") == NON_NUMERIC
    c.set("f", "x")
    assert c.call(b"ma f C1 D1\r\n") == EX


def test_ms_c0(mc_conn):
    """C0 is no CAS to append/prepend; set compares it (and fails), and an
    I write carrying C0 is not stored as stale."""
    c = mc_conn()
    c.set("k", "1")
    assert c.call(b"ms k 1 C0\r\n2\r\n") == EX
    assert c.call(b"ms k 1 C0 MA\r\n3\r\n") == HD
    assert c.call(b"ms k 1 C0 MP\r\n4\r\n") == HD
    assert c.call(b"ms k 1 C0 MR\r\n5\r\n") == EX
    assert c.call(b"ms k 1 C0 I\r\n7\r\n") == EX
    assert c.call(b"mg k v\r\n") == va("413")


def test_ms_reports_cas_of_an_item_born_expired(mc_conn):
    c = mc_conn()
    r = c.call(b"ms k 3 T-1 c\r\nabc\r\n")
    assert re.match(rb"^HD c[1-9]\d*\r\n$", r), r
    assert c.call(b"mg k v\r\n") == EN


def test_ms_error_precedence(mc_conn):
    c = mc_conn()
    assert c.call(b"ms a 3 q T Fabc\r\n100\r\n") == BAD_TOKEN
    assert c.call(b"ms a 3 MZ Fabc\r\n100\r\n") == BAD_FORMAT
    assert c.call(b"ms a 3 MZ T\r\n100\r\n") == BAD_TOKEN
    assert c.call(b"ms a 3 MZ\r\n100\r\n") == b"CLIENT_ERROR invalid mode for ms M token\r\n"


def test_mg_long_opaque_still_vivifies(mc_conn):
    """memcached meets a too-long opaque only while writing the reply, after
    the item was looked up (and created by N)."""
    c = mc_conn()
    long_opaque = b"O" + b"o" * 40
    assert c.call(b"mg k T0 t k %s N3600\r\n" % long_opaque) == \
        b"CLIENT_ERROR opaque token too long\r\n"
    assert c.call(b"get k\r\n") == b"VALUE k 0 0\r\n\r\nEND\r\n"
    assert c.call(b"mg miss %s\r\n" % long_opaque) == b"CLIENT_ERROR opaque token too long\r\n"
