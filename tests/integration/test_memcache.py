"""memcached text protocol (memcached 1.6 doc/protocol.txt) on Magpie's memcached port.

Every expectation here was checked against the real memcached 1.6.18:
    MEMCACHE_TARGET=memcached /usr/bin/python3 -m pytest -q -p no:cacheprovider \\
        tests/integration/test_memcache.py
Cross-protocol tests (memcached <-> Redis over db 0) skip on the real memcached.
"""

import re
import socket
import time

import pytest
from pymemcache.exceptions import (MemcacheClientError, MemcacheIllegalInputError,
                                   MemcacheServerError)

from memcache_support import *  # noqa: F401,F403  (fixtures + helpers)

STORED = b"STORED\r\n"
NOT_STORED = b"NOT_STORED\r\n"
EXISTS = b"EXISTS\r\n"
NOT_FOUND = b"NOT_FOUND\r\n"
DELETED = b"DELETED\r\n"
TOUCHED = b"TOUCHED\r\n"
END = b"END\r\n"
OK = b"OK\r\n"
ERROR = b"ERROR\r\n"
BAD_FORMAT = b"CLIENT_ERROR bad command line format\r\n"
BAD_CHUNK = b"CLIENT_ERROR bad data chunk\r\n"
TOO_LARGE = b"SERVER_ERROR object too large for cache\r\n"
NON_NUMERIC = b"CLIENT_ERROR cannot increment or decrement non-numeric value\r\n"
BAD_DELTA = b"CLIENT_ERROR invalid numeric delta argument\r\n"
BAD_EXPTIME = b"CLIENT_ERROR invalid exptime argument\r\n"

# memcached's item overhead: a value fits when
#   len(value) + len(key) + 59 (+4 when flags != 0) <= item size max
ITEM_OVERHEAD = 59
FLAGS_OVERHEAD = 4

VALUE_RE = re.compile(rb"^VALUE (\S+) (\d+) (\d+) (\d+)\r\n")


def value(key, data, flags=0, cas=None):
    """The exact bytes of one VALUE block."""
    if isinstance(key, str):
        key = key.encode()
    if isinstance(data, str):
        data = data.encode()
    head = b"VALUE %s %d %d" % (key, flags, len(data))
    if cas is not None:
        head += b" %d" % cas
    return head + b"\r\n" + data + b"\r\n"


def cas_of(reply):
    """cas unique of the first VALUE line of a gets/gats reply."""
    m = VALUE_RE.match(reply)
    assert m, reply
    return int(m.group(4))


# ===========================================================================
# pymemcache client
# ===========================================================================

def test_client_set_get(mc):
    assert mc.set("k", b"v") is True
    assert mc.get("k") == b"v"
    assert mc.get("missing") is None
    assert mc.get("missing", default=b"d") == b"d"
    assert mc.set("k", b"") is True
    assert mc.get("k") == b""
    binary = bytes(range(256)) + b"\r\nEND\r\n" + b"\x00" * 10
    assert mc.set("bin", binary) is True
    assert mc.get("bin") == binary


def test_client_gets_cas(mc):
    assert mc.gets("k") == (None, None)
    mc.set("k", b"1")
    v, cas = mc.gets("k")
    assert v == b"1" and int(cas) > 0
    assert mc.cas("k", b"2", cas) is True
    assert mc.get("k") == b"2"
    # the cas changed with the write: the old token is now stale
    assert mc.cas("k", b"3", cas) is False
    assert mc.get("k") == b"2"
    v2, cas2 = mc.gets("k")
    assert cas2 != cas
    assert mc.cas("missing", b"x", cas2) is None


def test_client_add_replace(mc):
    assert mc.add("k", b"a") is True
    assert mc.add("k", b"b") is False
    assert mc.get("k") == b"a"
    assert mc.replace("k", b"c") is True
    assert mc.get("k") == b"c"
    assert mc.replace("missing", b"x") is False
    assert mc.get("missing") is None


def test_client_append_prepend(mc):
    assert mc.append("missing", b"x") is False
    assert mc.prepend("missing", b"x") is False
    assert mc.get("missing") is None
    mc.set("k", b"mid", flags=7)
    assert mc.append("k", b">>") is True
    assert mc.prepend("k", b"<<") is True
    assert mc.get("k") == b"<<mid>>"


def test_client_delete(mc):
    mc.set("k", b"v")
    assert mc.delete("k") is True
    assert mc.get("k") is None
    assert mc.delete("k") is False


def test_client_incr_decr(mc):
    assert mc.incr("n", 1) is None
    assert mc.decr("n", 1) is None
    mc.set("n", b"10")
    assert mc.incr("n", 5) == 15
    assert mc.decr("n", 3) == 12
    assert mc.decr("n", 100) == 0
    assert mc.incr("n", 2 ** 64 - 1) == 2 ** 64 - 1
    assert mc.incr("n", 1) == 0
    mc.set("s", b"abc")
    with pytest.raises(MemcacheClientError) as ei:
        mc.incr("s", 1)
    assert b"cannot increment or decrement non-numeric value" in ei.value.args[0]


def test_client_touch(mc):
    assert mc.touch("missing", 100) is False
    mc.set("k", b"v")
    assert mc.touch("k", 100) is True
    assert mc.touch("k", -1) is True          # TOUCHED, and expired at once
    assert mc.get("k") is None


def test_client_many(mc):
    assert mc.set_many({"a": b"1", "b": b"2", "c": b"3"}) == []
    assert mc.get_many(["a", "b", "c", "d"]) == {"a": b"1", "b": b"2", "c": b"3"}
    assert mc.get_many([]) == {}
    got = mc.gets_many(["a", "d"])
    assert list(got) == ["a"] and got["a"][0] == b"1"
    assert mc.delete_many(["a", "b", "nope"]) is True
    assert mc.get_many(["a", "b", "c"]) == {"c": b"3"}


def test_client_flush_version_stats(mc):
    mc.set_many({"a": b"1", "b": b"2"})
    assert mc.flush_all() is True
    assert mc.get_many(["a", "b"]) == {}
    v = mc.version()
    assert isinstance(v, bytes) and v
    st = mc.stats()
    assert st[b"version"] == v
    assert st[b"threads"] == 2
    assert isinstance(st[b"pid"], int)
    settings = mc.stats("settings")
    assert isinstance(settings, dict) and settings


def test_client_noreply(mc):
    assert mc.set("k", b"v", noreply=True) is True
    assert mc.add("k", b"x", noreply=True) is True      # noreply: always True
    assert mc.replace("k", b"w", noreply=True) is True
    assert mc.append("k", b"+", noreply=True) is True
    assert mc.prepend("k", b"-", noreply=True) is True
    assert mc.get("k") == b"-w+"
    _, cas = mc.gets("k")
    assert mc.cas("k", b"c", cas, noreply=True) is True
    assert mc.get("k") == b"c"
    mc.set("n", b"5")
    assert mc.incr("n", 2, noreply=True) is None
    assert mc.decr("n", 1, noreply=True) is None
    assert mc.get("n") == b"6"
    assert mc.touch("n", 100, noreply=True) is True
    assert mc.delete("n", noreply=True) is True
    assert mc.get("n") is None
    assert mc.flush_all(noreply=True) is True
    assert mc.get("k") is None


def test_client_flags_serde(mc_pickle):
    mc = mc_pickle
    samples = {"s": "text", "b": b"bytes", "i": 42, "big": 2 ** 70,
               "l": [1, "two", {"three": 3}], "d": {"x": (1, 2)}}
    for k, v in samples.items():
        assert mc.set(k, v) is True
    for k, v in samples.items():
        assert mc.get(k) == v
    # incr works on a serde int (stored as its decimal text)
    assert mc.incr("i", 1) == 43
    assert mc.get("i") == 43


def test_client_flags_roundtrip(mc):
    for flags in (0, 1, 65535, 65536, 2 ** 31, 2 ** 32 - 1):
        mc.set("k", b"v", flags=flags)
        with mc_raw(mc) as c:
            assert c.get("k") == value("k", "v", flags) + END


class mc_raw:
    """A raw McConn on the same server as a pymemcache client."""

    def __init__(self, client):
        self.c = McConn(client.server[1])

    def __enter__(self):
        return self.c

    def __exit__(self, *exc):
        self.c.close()


def test_client_exptime_relative(mc):
    mc.set("k", b"v", expire=100)
    assert mc.get("k") == b"v"
    mc.set("k", b"v", expire=60 * 60 * 24 * 30)          # 30 days: still relative
    assert mc.get("k") == b"v"


def test_client_exptime_absolute(mc):
    mc.set("future", b"v", expire=int(time.time()) + 1000)
    assert mc.get("future") == b"v"
    mc.set("past", b"v", expire=int(time.time()) - 1000)
    assert mc.get("past") is None
    # more than 30 days is an absolute unix time: 30 days + 1 is in 1970
    mc.set("k", b"v", expire=60 * 60 * 24 * 30 + 1)
    assert mc.get("k") is None


def test_client_exptime_negative(mc):
    mc.set("k", b"v", expire=-1)
    assert mc.get("k") is None
    assert mc.add("k", b"w") is True     # the expired item does not block add
    assert mc.get("k") == b"w"


def test_client_key_validation(mc):
    with pytest.raises(MemcacheIllegalInputError):
        mc.set("k" * 251, b"v")
    assert mc.set("k" * 250, b"v") is True
    assert mc.get("k" * 250) == b"v"


def test_client_too_large(mc):
    mc.set("k", b"old")
    with pytest.raises(MemcacheServerError) as ei:
        mc.set("k", b"v" * (DEFAULT_MAX_ITEM_SIZE + 1))
    assert ei.value.args[0] == b"object too large for cache"
    assert mc.get("k") is None            # a failed set drops the old value
    assert mc.set("k", b"after") is True  # and the connection is still in sync
    assert mc.get("k") == b"after"


def test_client_short_expiry(mc):
    mc.set("k", b"v", expire=1)
    deadline = time.monotonic() + 2.5
    while mc.get("k") is not None:
        assert time.monotonic() < deadline, "item with exptime 1 did not expire"
        time.sleep(0.1)


# ===========================================================================
# raw text protocol: storage
# ===========================================================================

def test_raw_storage_replies(mc_conn):
    c = mc_conn()
    assert c.call(b"set a 0 0 1\r\nx\r\n") == STORED
    assert c.call(b"add a 0 0 1\r\ny\r\n") == NOT_STORED
    assert c.call(b"add b 3 0 2\r\nbb\r\n") == STORED
    assert c.call(b"replace zz 0 0 1\r\nx\r\n") == NOT_STORED
    assert c.call(b"replace a 5 0 1\r\nz\r\n") == STORED
    assert c.call(b"append zz 0 0 1\r\nx\r\n") == NOT_STORED
    assert c.call(b"prepend zz 0 0 1\r\nx\r\n") == NOT_STORED
    assert c.call(b"append a 9 0 1\r\n>\r\n") == STORED
    assert c.call(b"prepend a 9 0 1\r\n<\r\n") == STORED
    # append/prepend ignore their flags: a keeps flags 5 from replace
    assert c.call(b"get a b zz\r\n") == value("a", "<z>", 5) + value("b", "bb", 3) + END
    assert c.call(b"get zz\r\n") == END


def test_raw_get_value_lines(mc_conn):
    c = mc_conn()
    assert c.call(b"set k 123 0 5\r\nhello\r\n") == STORED
    assert c.call(b"get k\r\n") == b"VALUE k 123 5\r\nhello\r\nEND\r\n"
    r = c.call(b"gets k\r\n")
    cas = cas_of(r)
    assert r == b"VALUE k 123 5 %d\r\nhello\r\nEND\r\n" % cas
    assert c.call(b"set e 0 0 0\r\n\r\n") == STORED
    assert c.call(b"get e\r\n") == b"VALUE e 0 0\r\n\r\nEND\r\n"
    data = b"a\r\nEND\r\nVALUE x 0 1\r\n\x00\xff"
    assert c.call(b"set bin 0 0 %d\r\n" % len(data) + data + b"\r\n") == STORED
    assert c.call(b"get bin\r\n") == value("bin", data) + END


def test_raw_multi_get(mc_conn):
    c = mc_conn()
    c.set("a", "1", 1)
    c.set("b", "22", 2)
    assert c.call(b"get a missing b\r\n") == value("a", "1", 1) + value("b", "22", 2) + END
    # repeated keys are answered each time, in request order
    assert c.call(b"get b a b\r\n") == (value("b", "22", 2) + value("a", "1", 1)
                                        + value("b", "22", 2) + END)
    # extra whitespace between keys is fine
    assert c.call(b"get  a   b  \r\n") == value("a", "1", 1) + value("b", "22", 2) + END
    r = c.call(b"gets a b\r\n")
    cas_a = c.gets_cas("a")
    cas_b = c.gets_cas("b")
    assert r == value("a", "1", 1, cas_a) + value("b", "22", 2, cas_b) + END
    assert cas_a != cas_b
    assert c.call(b"get x y z\r\n") == END


def test_raw_many_keys_long_get_line(mc_conn):
    """A get line far longer than 2048 bytes (a big multiget) is served."""
    c = mc_conn()
    c.set("key17", "v17")
    c.set("key2999", "last")
    keys = b" ".join(b"key%d" % i for i in range(3000))
    assert len(keys) > 16384
    assert c.call(b"get " + keys + b"\r\n") == value("key17", "v17") + value("key2999", "last") + END


def test_raw_cas(mc_conn):
    c = mc_conn()
    assert c.call(b"cas k 0 0 1 12345\r\nx\r\n") == NOT_FOUND
    c.set("k", "v")
    cas = c.gets_cas("k")
    assert c.call(b"cas k 0 0 1 %d\r\nx\r\n" % (cas + 1000)) == EXISTS
    assert c.call(b"cas k 7 0 1 %d\r\ny\r\n" % cas) == STORED
    assert c.call(b"get k\r\n") == value("k", "y", 7) + END
    assert c.call(b"cas k 0 0 1 %d\r\nz\r\n" % cas) == EXISTS
    assert c.gets_cas("k") != cas


def test_raw_cas_noreply(mc_conn):
    c = mc_conn()
    c.set("k", "v")
    cas = c.gets_cas("k")
    c.send(b"cas k 0 0 1 %d noreply\r\nz\r\n" % (cas + 1))
    c.send(b"cas k 0 0 1 %d noreply\r\nw\r\n" % cas)
    assert c.sync() == b""
    assert c.call(b"get k\r\n") == value("k", "w") + END


def test_raw_cas_changes_on_every_write(mc_conn):
    c = mc_conn()
    c.set("k", "1")
    seen = {c.gets_cas("k")}
    for cmd in (b"set k 0 0 1\r\n2\r\n", b"append k 0 0 1\r\n3\r\n",
                b"prepend k 0 0 1\r\n4\r\n", b"replace k 0 0 2\r\n10\r\n"):
        assert c.call(cmd) == STORED
        seen.add(c.gets_cas("k"))
    assert c.call(b"incr k 1\r\n") == b"11\r\n"
    seen.add(c.gets_cas("k"))
    assert len(seen) == 6
    # touch does not change the cas
    cas = c.gets_cas("k")
    assert c.call(b"touch k 100\r\n") == TOUCHED
    assert c.gets_cas("k") == cas


def test_raw_delete(mc_conn):
    c = mc_conn()
    c.set("k", "v")
    assert c.call(b"delete k\r\n") == DELETED
    assert c.call(b"delete k\r\n") == NOT_FOUND
    c.set("k", "v")
    assert c.call(b"delete k 0\r\n") == DELETED       # legacy "time" 0 is accepted
    assert c.call(b"delete k 5\r\n") == (
        b"CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n")
    c.set("k", "v")
    c.send(b"delete k noreply\r\ndelete k noreply\r\ndelete k 0 noreply\r\n")
    assert c.sync() == b""
    assert c.call(b"get k\r\n") == END


def test_raw_touch_gat_gats(mc_conn):
    c = mc_conn()
    assert c.call(b"touch k 10\r\n") == NOT_FOUND
    c.set("k", "v", 3)
    assert c.call(b"touch k 10\r\n") == TOUCHED
    assert c.call(b"gat 100 k missing\r\n") == value("k", "v", 3) + END
    r = c.call(b"gats 100 k\r\n")
    assert r == value("k", "v", 3, cas_of(r)) + END
    assert c.call(b"gat 100 missing\r\n") == END
    assert c.call(b"gat k\r\n") == BAD_EXPTIME
    assert c.call(b"gat\r\n") == ERROR
    assert c.call(b"touch k\r\n") == ERROR
    c.send(b"touch k 100 noreply\r\ntouch nope 100 noreply\r\n")
    assert c.sync() == b""


def test_raw_gat_expiry(mc_conn):
    c = mc_conn()
    c.set("k", "v", 0, 100)
    assert c.call(b"gat -1 k\r\n") == value("k", "v") + END    # returned, then expired
    assert c.call(b"get k\r\n") == END
    c.set("k", "v", 0, int(time.time()) + 2)
    assert c.call(b"gat 0 k\r\n") == value("k", "v") + END     # 0 = never expire
    assert c.call(b"get k\r\n") == value("k", "v") + END
    assert c.call(b"touch k -1\r\n") == TOUCHED
    assert c.call(b"get k\r\n") == END
    c.set("k", "v")
    assert c.call(b"touch k %d\r\n" % (int(time.time()) - 10)) == TOUCHED
    assert c.call(b"get k\r\n") == END


def test_raw_exptime_forms(mc_conn):
    c = mc_conn()
    now = int(time.time())
    cases = [(0, True), (100, True), (2592000, True), (2592001, False),
             (now + 1000, True), (now - 1000, False), (-1, False), (-1000, False)]
    for i, (exptime, alive) in enumerate(cases):
        key = "e%d" % i
        assert c.set(key, "v", 0, exptime) == STORED, exptime
        want = value(key, "v") + END if alive else END
        assert c.get(key) == want, exptime


def test_raw_noreply_storage(mc_conn):
    c = mc_conn()
    c.send(b"set k 1 0 1 noreply\r\na\r\n"
           b"add k 0 0 1 noreply\r\nb\r\n"         # NOT_STORED is silent too
           b"replace nope 0 0 1 noreply\r\nc\r\n"
           b"append k 0 0 1 noreply\r\nd\r\n"
           b"prepend k 0 0 1 noreply\r\ne\r\n"
           b"cas nope 0 0 1 1 noreply\r\nf\r\n")
    assert c.sync() == b""
    assert c.call(b"get k nope\r\n") == value("k", "ead", 1) + END


def test_raw_noreply_is_only_the_last_token(mc_conn):
    c = mc_conn()
    # memcached ignores a trailing token that is not "noreply"
    assert c.call(b"set k 0 0 1 garbage\r\nx\r\n") == STORED


# ===========================================================================
# raw text protocol: errors
# ===========================================================================

def test_raw_unknown_command(mc_conn):
    c = mc_conn()
    assert c.call(b"bogus\r\n") == ERROR
    assert c.call(b"GET a\r\n") == ERROR          # command names are case-sensitive
    assert c.call(b"\r\n") == ERROR
    assert c.call(b"   \r\n") == ERROR
    assert c.call(b"get\r\n") == ERROR
    assert c.call(b"set k 0 0\r\n") == ERROR      # too few tokens
    assert c.call(b"set\r\n") == ERROR
    assert c.call(b"incr k\r\n") == ERROR
    assert c.call(b"verbosity\r\n") == ERROR
    # the connection stays usable
    assert c.call(b"set k 0 0 1\r\nx\r\n") == STORED


def test_raw_tokens_split_on_space_only(mc_conn):
    c = mc_conn()
    # a tab is not a separator: "set\ta" is an unknown command, then "x" is one too
    assert c.calls(b"set\ta 0 0 1\r\nx\r\n", 2) == ERROR + ERROR


def test_raw_bare_newline_terminates_commands(mc_conn):
    c = mc_conn()
    assert c.call(b"set a 0 0 1\nx\r\n") == STORED
    assert c.call(b"get a\n") == value("a", "x") + END
    assert c.call(b"   get a\r\n") == value("a", "x") + END


def test_raw_bad_data_chunk(mc_conn):
    c = mc_conn()
    c.set("k", "old")
    # 3 bytes read as the block ("xyz"); not ending in \r\n -> error; the
    # leftover "\r\n" is then an empty command line -> ERROR
    assert c.calls(b"set k 0 0 1\r\nxyz\r\n", 2) == BAD_CHUNK + ERROR
    assert c.call(b"get k\r\n") == value("k", "old") + END     # old value kept
    assert c.calls(b"set k 0 0 1\r\nxy\r\n", 2) == BAD_CHUNK + ERROR
    assert c.calls(b"set n 0 0 1\r\nxyz\r\n", 2) == BAD_CHUNK + ERROR
    assert c.call(b"get n\r\n") == END
    assert c.call(b"mn\r\n") == b"MN\r\n"


def test_raw_bad_command_line_format(mc_conn):
    c = mc_conn()
    c.set("k", "old")
    # the data block is not swallowed: it is read as the next command -> ERROR
    for line in (b"set k abc 0 1", b"set k -1 0 1", b"set k 0 abc 1",
                 b"set k 18446744073709551616 0 1"):
        assert c.calls(line + b"\r\nx\r\n", 2) == BAD_FORMAT + ERROR, line
    for line in (b"set k 0 0 abc", b"set k 0 0 -1", b"set k 0 0 2147483647"):
        assert c.call(line + b"\r\n") == BAD_FORMAT, line
    assert c.call(b"get k\r\n") == value("k", "old") + END
    assert c.calls(b"cas k 0 0 1\r\nx\r\n", 2) == ERROR + ERROR   # cas without unique


def test_raw_key_length(mc_conn):
    c = mc_conn()
    k250 = b"k" * 250
    k251 = b"k" * 251
    assert c.call(b"set " + k250 + b" 0 0 1\r\nx\r\n") == STORED
    assert c.call(b"get " + k250 + b"\r\n") == value(k250, "x") + END
    assert c.calls(b"set " + k251 + b" 0 0 1\r\nx\r\n", 2) == BAD_FORMAT + ERROR
    assert c.call(b"get " + k251 + b"\r\n") == BAD_FORMAT
    # a bad key anywhere in a multiget: no VALUE at all, only the error
    assert c.call(b"get " + k250 + b" " + k251 + b" " + k250 + b"\r\n") == BAD_FORMAT
    assert c.call(b"delete " + k251 + b"\r\n") == BAD_FORMAT
    assert c.call(b"incr " + k251 + b" 1\r\n") == BAD_FORMAT
    assert c.call(b"touch " + k251 + b" 1\r\n") == BAD_FORMAT
    k1500 = b"k" * 1500
    assert c.calls(b"set " + k1500 + b" 0 0 1\r\nx\r\n", 2) == BAD_FORMAT + ERROR
    assert c.call(b"get " + b"k" * 2000 + b"\r\n") == BAD_FORMAT


def test_raw_long_line_without_newline_closes(mc_conn):
    """More than 2048 bytes without a newline that is not a get: the server
    drops the connection without a reply."""
    c = mc_conn()
    c.send(b"x" * 3000)
    assert c.read_until_close(5) == b""
    c = mc_conn()
    c.send(b"set " + b"k" * 20000 + b" 0 0 1\r\nx\r\n")
    assert c.read_until_close(5) == b""
    assert mc_conn().call(b"mn\r\n") == b"MN\r\n"


def test_raw_flags_range(mc_conn):
    c = mc_conn()
    assert c.call(b"set k 4294967295 0 1\r\nx\r\n") == STORED
    assert c.call(b"get k\r\n") == value("k", "x", 4294967295) + END
    # surprising but true for memcached 1.6.18 on 64-bit: flags are parsed as
    # an unsigned long and truncated to 32 bits
    assert c.call(b"set k 4294967296 0 1\r\nx\r\n") == STORED
    assert c.call(b"get k\r\n") == value("k", "x", 0) + END
    assert c.call(b"set k 4294967297 0 1\r\nx\r\n") == STORED
    assert c.call(b"get k\r\n") == value("k", "x", 1) + END


# ===========================================================================
# item size limit
# ===========================================================================

def _store(c, key, n, flags=0, cmd=b"set", extra=b""):
    c.send(b"%s %s %d 0 %d%s\r\n" % (cmd, key, flags, n, extra) + b"v" * n + b"\r\n")
    return c.read_response()


def test_raw_object_too_large(mc_conn):
    c = mc_conn()
    big = DEFAULT_MAX_ITEM_SIZE
    assert _store(c, b"k", big + 1) == TOO_LARGE
    # the data was swallowed: the connection is still in sync
    assert c.call(b"get k\r\n") == END
    assert _store(c, b"k", 5 * big) == TOO_LARGE
    assert c.call(b"mn\r\n") == b"MN\r\n"


def test_raw_too_large_set_deletes_old_value(mc_conn):
    """A failed (too large) *set* removes the existing item; add, replace,
    append, prepend and cas leave it alone."""
    c = mc_conn()
    big = 2 * DEFAULT_MAX_ITEM_SIZE
    c.set("k", "old")
    for cmd, extra in ((b"add", b""), (b"replace", b""), (b"append", b""),
                       (b"prepend", b""), (b"cas", b" 1")):
        assert _store(c, b"k", big, cmd=cmd, extra=extra) == TOO_LARGE, cmd
        assert c.call(b"get k\r\n") == value("k", "old") + END, cmd
    assert _store(c, b"k", big) == TOO_LARGE
    assert c.call(b"get k\r\n") == END


def test_raw_too_large_noreply_is_silent(mc_conn):
    c = mc_conn()
    c.set("k", "old")
    c.send(b"set k 0 0 %d noreply\r\n" % (2 * DEFAULT_MAX_ITEM_SIZE)
           + b"v" * (2 * DEFAULT_MAX_ITEM_SIZE) + b"\r\n")
    assert c.sync() == b""
    assert c.call(b"get k\r\n") == END


def test_raw_item_size_boundary(mc_conn):
    """len(value) + len(key) + 59 (+4 with nonzero flags) <= -I fits."""
    c = mc_conn()
    for key, flags in ((b"big", 0), (b"big", 1), (b"k" * 250, 0), (b"x", 4294967295)):
        fit = DEFAULT_MAX_ITEM_SIZE - len(key) - ITEM_OVERHEAD - (FLAGS_OVERHEAD if flags else 0)
        assert _store(c, key, fit + 1, flags) == TOO_LARGE, (key[:5], flags)
        assert _store(c, key, fit, flags) == STORED, (key[:5], flags)
        r = c.call(b"get " + key + b"\r\n")
        assert r.startswith(b"VALUE %s %d %d\r\n" % (key, flags, fit)) and len(r) == (
            len(b"VALUE %s %d %d\r\n" % (key, flags, fit)) + fit + 2 + 5)
        assert c.call(b"delete " + key + b"\r\n") == DELETED


def test_max_item_size_option(mc_factory):
    size = 2 * 1024 * 1024
    s = mc_factory(max_item_size=size)
    with s.conn() as c:
        fit = size - 1 - ITEM_OVERHEAD
        assert _store(c, b"k", fit + 1) == TOO_LARGE
        assert _store(c, b"k", fit) == STORED
        assert _store(c, b"k", DEFAULT_MAX_ITEM_SIZE + 10) == STORED
        assert c.call(b"get k\r\n").startswith(b"VALUE k 0 %d\r\n" % (DEFAULT_MAX_ITEM_SIZE + 10))
        st = c.stats("settings")
        assert st[b"item_size_max"] == b"%d" % size


# ===========================================================================
# incr / decr
# ===========================================================================

def test_raw_incr_decr_basic(mc_conn):
    c = mc_conn()
    assert c.call(b"incr n 1\r\n") == NOT_FOUND
    assert c.call(b"decr n 1\r\n") == NOT_FOUND
    c.set("n", "5", 9)
    assert c.call(b"incr n 10\r\n") == b"15\r\n"
    assert c.call(b"decr n 4\r\n") == b"11\r\n"
    assert c.call(b"incr n 0\r\n") == b"11\r\n"
    assert c.call(b"get n\r\n") == value("n", "11", 9) + END    # flags kept
    c.send(b"incr n 1 noreply\r\ndecr n 5 noreply\r\nincr nope 1 noreply\r\n")
    assert c.sync() == b""
    assert c.call(b"get n\r\n") == value("n", "7 ", 9) + END


def test_raw_incr_length_grows(mc_conn):
    c = mc_conn()
    c.set("n", "99")
    assert c.call(b"incr n 1\r\n") == b"100\r\n"
    assert c.call(b"get n\r\n") == value("n", "100") + END
    c.set("n", "9")
    assert c.call(b"incr n 999990\r\n") == b"999999\r\n"
    assert c.call(b"get n\r\n") == value("n", "999999") + END


def test_raw_decr_shrinking_number_is_space_padded(mc_conn):
    """memcached rewrites a shorter result in place, padded with spaces to
    the old length (protocol.txt: "The number MAY be space-padded")."""
    c = mc_conn()
    c.set("n", "100")
    assert c.call(b"decr n 1\r\n") == b"99\r\n"
    assert c.call(b"get n\r\n") == value("n", "99 ") + END
    assert c.call(b"decr n 1000\r\n") == b"0\r\n"
    assert c.call(b"get n\r\n") == value("n", "0  ") + END
    assert c.call(b"incr n 5\r\n") == b"5\r\n"          # padded value still numeric
    assert c.call(b"get n\r\n") == value("n", "5  ") + END
    c.set("n", "07")
    assert c.call(b"incr n 1\r\n") == b"8\r\n"
    assert c.call(b"get n\r\n") == value("n", "8 ") + END


def test_raw_incr_wraps_at_2_64(mc_conn):
    c = mc_conn()
    c.set("n", "18446744073709551615")
    assert c.call(b"incr n 2\r\n") == b"1\r\n"
    assert c.call(b"get n\r\n") == value("n", b"1" + b" " * 19) + END
    c.set("n", "18446744073709551610")
    assert c.call(b"incr n 5\r\n") == b"18446744073709551615\r\n"
    assert c.call(b"incr n 18446744073709551615\r\n") == b"18446744073709551614\r\n"


def test_raw_decr_floors_at_zero(mc_conn):
    c = mc_conn()
    c.set("n", "3")
    assert c.call(b"decr n 5\r\n") == b"0\r\n"
    assert c.call(b"decr n 18446744073709551615\r\n") == b"0\r\n"
    assert c.call(b"get n\r\n") == value("n", "0") + END


def test_raw_incr_non_numeric(mc_conn):
    c = mc_conn()
    for v in (b"abc", b"-5", b"5a", b"", b"1.5", b"184467440737095516150"):
        assert c.call(b"set n 0 0 %d\r\n%s\r\n" % (len(v), v)) == STORED
        assert c.call(b"incr n 1\r\n") == NON_NUMERIC, v
        assert c.call(b"decr n 1\r\n") == NON_NUMERIC, v
    # leading/trailing spaces are accepted
    c.set("n", " 5 ")
    assert c.call(b"incr n 1\r\n") == b"6\r\n"
    assert c.call(b"get n\r\n") == value("n", "6  ") + END


def test_raw_incr_bad_delta(mc_conn):
    c = mc_conn()
    c.set("n", "1")
    for d in (b"abc", b"-1", b"18446744073709551616", b"1.5"):
        assert c.call(b"incr n %s\r\n" % d) == BAD_DELTA, d
        assert c.call(b"decr n %s\r\n" % d) == BAD_DELTA, d
    assert c.call(b"incr nope abc\r\n") == BAD_DELTA


# ===========================================================================
# misc commands
# ===========================================================================

def test_raw_version(mc_conn):
    c = mc_conn()
    r = c.call(b"version\r\n")
    assert re.match(rb"^VERSION \S+\r\n$", r), r


def test_raw_verbosity(mc_conn):
    c = mc_conn()
    assert c.call(b"verbosity 1\r\n") == OK
    assert c.call(b"verbosity 0\r\n") == OK
    c.send(b"verbosity 1 noreply\r\nverbosity 0 noreply\r\n")
    assert c.sync() == b""


def test_raw_flush_all(mc_conn):
    c = mc_conn()
    c.set("a", "1")
    c.set("b", "2")
    assert c.call(b"flush_all\r\n") == OK
    assert c.call(b"get a b\r\n") == END
    c.set("a", "1")                      # items stored after the flush survive
    assert c.call(b"get a\r\n") == value("a", "1") + END
    assert c.call(b"flush_all 0\r\n") == OK
    assert c.call(b"get a\r\n") == END
    c.set("a", "1")
    c.send(b"flush_all noreply\r\n")
    assert c.sync() == b""
    assert c.call(b"get a\r\n") == END
    c.set("a", "1")
    c.send(b"flush_all 0 noreply\r\n")
    assert c.sync() == b""
    assert c.call(b"get a\r\n") == END
    assert c.call(b"flush_all abc\r\n") == BAD_EXPTIME
    assert c.call(b"add a 0 0 1\r\nx\r\n") == STORED     # flushed items don't block add


def test_raw_flush_all_delayed(mc_conn):
    c = mc_conn()
    c.set("a", "1")
    assert c.call(b"flush_all 100\r\n") == OK
    assert c.call(b"get a\r\n") == value("a", "1") + END
    assert c.call(b"flush_all 0\r\n") == OK      # a new flush replaces the delayed one
    assert c.call(b"get a\r\n") == END


def test_raw_quit(mc_conn):
    c = mc_conn()
    c.send(b"quit\r\n")
    assert c.read_until_close(5) == b""
    c = mc_conn()
    c.send(b"set a 0 0 1\r\nx\r\nget a\r\nquit\r\nget a\r\n")
    assert c.read_until_close(5) == STORED + value("a", "x") + END
    c = mc_conn()
    c.send(b"quit now\r\n")
    assert c.read_until_close(5) == b""


def test_raw_pipelining(mc_conn):
    c = mc_conn()
    cmds = b"".join(b"set k%d 0 0 %d\r\n%s\r\n" % (i, len(str(i)), str(i).encode())
                    for i in range(200))
    cmds += b"get " + b" ".join(b"k%d" % i for i in range(200)) + b"\r\n"
    c.send(cmds)
    for _ in range(200):
        assert c.read_response() == STORED
    assert c.read_response() == b"".join(
        value("k%d" % i, str(i)) for i in range(200)) + END


def test_raw_byte_at_a_time(mc_conn):
    c = mc_conn()
    c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for b in b"set k 5 0 3\r\nabc\r\nget k\r\n":
        c.send(bytes([b]))
    assert c.read_response() == STORED
    assert c.read_response() == value("k", "abc", 5) + END


# ===========================================================================
# stats
# ===========================================================================

GENERAL_STATS = [
    b"pid", b"uptime", b"time", b"version", b"curr_connections", b"total_connections",
    b"cmd_get", b"cmd_set", b"cmd_flush", b"cmd_touch", b"get_hits", b"get_misses",
    b"get_expired", b"get_flushed", b"delete_hits", b"delete_misses", b"incr_hits",
    b"incr_misses", b"decr_hits", b"decr_misses", b"cas_hits", b"cas_misses",
    b"cas_badval", b"touch_hits", b"touch_misses", b"evictions", b"curr_items",
    b"total_items", b"bytes", b"limit_maxbytes", b"threads",
]


def test_stats_general_fields(mc_server, mc_conn):
    c = mc_conn()
    raw = c.call(b"stats\r\n")
    assert raw.endswith(b"\r\nEND\r\n")
    for line in raw.split(b"\r\n")[:-2]:
        assert re.match(rb"^STAT [a-z_0-9:]+ \S.*$", line), line
    st = parse_stats(raw)
    for name in GENERAL_STATS:
        assert name in st, name
    if mc_server.proc is not None:
        assert int(st[b"pid"]) == mc_server.pid
    assert abs(int(st[b"time"]) - time.time()) < 5
    assert int(st[b"uptime"]) >= 0
    assert st[b"threads"] == b"2"
    assert st[b"version"] == c.call(b"version\r\n")[len(b"VERSION "):-2]
    for name in GENERAL_STATS:
        if name != b"version":
            assert st[name].isdigit(), (name, st[name])


def _delta(before, after, name):
    return int(after[name]) - int(before[name])


def test_stats_counters(mc_factory):
    """Counters move as memcached's do (fresh server: nothing else running)."""
    s = mc_factory()
    c = s.conn()
    c0 = c.stats()
    assert c0[b"curr_items"] == b"0"
    c.set("a", "1")
    c.set("b", "2")
    c.call(b"add a 0 0 1\r\nx\r\n")                   # NOT_STORED still counts as a set
    c.call(b"get a b nope\r\n")                       # 3 gets: 2 hits, 1 miss
    c.call(b"gets a\r\n")
    c.call(b"delete b\r\n")
    c.call(b"delete b\r\n")
    c.set("n", "5")
    c.call(b"incr n 1\r\n")
    c.call(b"incr nope 1\r\n")
    c.call(b"decr n 1\r\n")
    c.call(b"decr nope 1\r\n")
    c.call(b"decr nope 1\r\n")
    cas = c.gets_cas("a")
    c.call(b"cas a 0 0 1 %d\r\ny\r\n" % cas)          # hit (a new item: total_items + 1)
    c.call(b"cas a 0 0 1 %d\r\nz\r\n" % cas)          # badval
    c.call(b"cas nope 0 0 1 1\r\nz\r\n")              # miss
    c.call(b"touch a 100\r\n")
    c.call(b"touch nope 100\r\n")
    c.call(b"gat 100 a nope\r\n")                     # touch counters only, not cmd_get
    c1 = c.stats()
    expect = {
        b"cmd_set": 7, b"total_items": 4, b"curr_items": 2,
        b"cmd_get": 5, b"get_hits": 4, b"get_misses": 1, b"get_expired": 0,
        b"delete_hits": 1, b"delete_misses": 1,
        b"incr_hits": 1, b"incr_misses": 1, b"decr_hits": 1, b"decr_misses": 2,
        b"cas_hits": 1, b"cas_badval": 1, b"cas_misses": 1,
        b"cmd_touch": 4, b"touch_hits": 2, b"touch_misses": 2,
        b"evictions": 0, b"cmd_flush": 0, b"get_flushed": 0,
    }
    got = {k: _delta(c0, c1, k) for k in expect}
    assert got == expect
    # meta commands feed the same counters
    c.call(b"mg a v\r\n")
    c.call(b"mg nope v\r\n")
    c.call(b"ms m 1\r\n1\r\n")
    c.call(b"ma m\r\n")
    c.call(b"ma m MD\r\n")
    c.call(b"md m\r\n")
    c2 = c.stats()
    expect = {b"cmd_get": 2, b"get_hits": 1, b"get_misses": 1, b"cmd_set": 1,
              b"total_items": 1, b"curr_items": 0, b"incr_hits": 1, b"decr_hits": 1,
              b"delete_hits": 1}
    assert {k: _delta(c1, c2, k) for k in expect} == expect
    # flush_all: counted, and a flushed item is a get_flushed miss
    c.call(b"flush_all\r\n")
    c.call(b"get a\r\n")
    c3 = c.stats()
    expect = {b"cmd_flush": 1, b"get_misses": 1, b"cmd_get": 1}
    assert {k: _delta(c2, c3, k) for k in expect} == expect
    # memcached drops flushed items from curr_items lazily (on access, or when
    # its LRU crawler reaps them): -1 for the get, -2 once both are reaped.
    # Magpie's curr_items is DBSIZE of db 0: -2.
    assert _delta(c2, c3, b"curr_items") in ((-2,) if s.is_magpie else (-1, -2))
    # (memcached's LRU crawler may, rarely, reap the flushed item first)
    # Magpie removes flushed items at once, so a later get is a plain miss
    # (docs/COMPATIBILITY.md); memcached may count it as get_flushed.
    assert _delta(c2, c3, b"get_flushed") in ((0,) if s.is_magpie else (0, 1))
    c.close()


def test_stats_get_expired(mc_server, mc_conn):
    c = mc_conn()
    for setup in (b"set k 0 0 1\r\n1\r\ntouch k -1\r\n",
                  b"set k 0 %d 1\r\n1\r\n" % (time.time() - 100),
                  b"set k 0 0 1\r\n1\r\ngat -1 k\r\n"):
        c.send(setup)
        c.read_response()
        if setup.count(b"\r\n") == 3:
            c.read_response()
        before = c.stats()
        assert c.call(b"get k\r\n") == END
        after = c.stats()
        assert _delta(before, after, b"get_misses") == 1
        # Both servers reclaim expired items in the background (memcached's LRU
        # maintainer, Magpie's active expiry cycle), so the item may already be
        # gone by the time of the get: then it is a plain miss.
        assert _delta(before, after, b"get_expired") in (0, 1)


def test_stats_bytes_and_items(mc_factory):
    """memcached's bytes is the sum of item sizes: 48 + key + 1 + value + 2
    + 8 (cas) (+4 when flags != 0).  Magpie documents bytes as its allocator's
    used memory (docs/COMPATIBILITY.md), so there only the direction is checked."""
    s = mc_factory()
    with s.conn() as c:
        st0 = c.stats()
        assert st0[b"curr_items"] == b"0"
        c.set("k", "v")
        st1 = c.stats()
        assert st1[b"curr_items"] == b"1"
        c.set("key2", "value2", 7)
        st2 = c.stats()
        assert st2[b"curr_items"] == b"2"
        assert c.call(b"delete k\r\n") == DELETED
        assert c.call(b"delete key2\r\n") == DELETED
        st3 = c.stats()
        assert st3[b"curr_items"] == b"0"
        assert _delta(st0, st3, b"total_items") == 2
        if s.is_magpie:
            # allocator memory: grows with items, never grows on delete
            assert int(st2[b"bytes"]) >= int(st0[b"bytes"])
            assert int(st3[b"bytes"]) <= int(st2[b"bytes"])
        else:
            assert [st[b"bytes"] for st in (st0, st1, st2, st3)] == [
                b"0", b"61", b"%d" % (61 + 73), b"0"]


def _wait_curr_connections(c, want, timeout=2.0):
    deadline = time.monotonic() + timeout
    while True:
        got = int(c.stats()[b"curr_connections"])
        if got == want:
            return
        assert time.monotonic() < deadline, "curr_connections %d, want %d" % (got, want)
        time.sleep(0.05)


def test_stats_connections(mc_factory):
    s = mc_factory()
    c = s.conn()
    # only this connection (start-up probes close asynchronously)
    _wait_curr_connections(c, 1)
    before = c.stats()
    extra = [s.conn() for _ in range(3)]
    for e in extra:
        assert e.call(b"mn\r\n") == b"MN\r\n"
    after = c.stats()
    assert _delta(before, after, b"curr_connections") == 3
    assert _delta(before, after, b"total_connections") == 3
    for e in extra:
        e.close()
    _wait_curr_connections(c, 1)
    c.close()


@pytest.mark.parametrize("sub", [b"settings", b"items", b"slabs"])
def test_stats_sub_commands(mc_conn, sub):
    c = mc_conn()
    c.set("k", "v")
    raw = c.call(b"stats " + sub + b"\r\n")
    assert raw.endswith(b"END\r\n")
    lines = raw.split(b"\r\n")[:-2]
    assert lines, raw
    for line in lines:
        assert re.match(rb"^STAT \S+ \S*", line), line


def test_stats_settings_values(mc_conn):
    st = mc_conn().stats("settings")
    assert st[b"item_size_max"] == b"%d" % DEFAULT_MAX_ITEM_SIZE
    assert st[b"num_threads"] == b"2"
    assert st[b"cas_enabled"] == b"yes"
    for name in (b"maxbytes", b"maxconns", b"tcpport", b"evictions"):
        assert name in st, name


def test_stats_unknown_and_reset(mc_conn):
    c = mc_conn()
    assert c.call(b"stats bogus\r\n") == ERROR
    c.set("k", "v")
    c.call(b"get k\r\n")
    assert c.call(b"stats reset\r\n") == b"RESET\r\n"
    st = c.stats()
    assert st[b"get_hits"] == b"0" and st[b"cmd_get"] == b"0"


# ===========================================================================
# cross-protocol: memcached <-> Redis on db 0 (Magpie only)
# ===========================================================================

def test_cross_mc_set_redis_get(mc_conn, mc_redis):
    c = mc_conn()
    c.set("k", b"hello\r\n\x00", 42)
    assert mc_redis.get("k") == b"hello\r\n\x00"
    assert mc_redis.type("k") == b"string"
    assert mc_redis.ttl("k") == -1


def test_cross_redis_set_mc_get(mc_conn, mc_redis):
    c = mc_conn()
    mc_redis.set("k", b"from redis")
    assert c.call(b"get k\r\n") == value("k", "from redis", 0) + END
    r = c.call(b"gets k\r\n")
    assert r == value("k", "from redis", 0, cas_of(r)) + END
    assert c.call(b"append k 0 0 1\r\n!\r\n") == STORED
    assert mc_redis.get("k") == b"from redis!"


def test_cross_mc_non_string_key(mc_conn, mc_redis):
    """A key holding a Redis list/hash is not a memcached item."""
    import redis
    c = mc_conn()
    try:
        mc_redis.rpush("l", "a")
    except redis.ResponseError as e:
        pytest.skip("no Redis lists in this build: %s" % e)
    assert c.call(b"get l\r\n") == END
    assert c.call(b"mg l v\r\n") == b"EN\r\n"


def test_cross_ttl_mc_to_redis(mc_conn, mc_redis):
    c = mc_conn()
    c.set("k", "v", 0, 100)
    assert 99 <= mc_redis.ttl("k") <= 100
    c.set("abs", "v", 0, int(time.time()) + 1000)
    assert 998 <= mc_redis.ttl("abs") <= 1000
    assert c.call(b"touch k 500\r\n") == TOUCHED
    assert 499 <= mc_redis.ttl("k") <= 500
    assert c.call(b"touch k 0\r\n") == TOUCHED
    assert mc_redis.ttl("k") == -1


def test_cross_ttl_redis_to_mc(mc_conn, mc_redis):
    c = mc_conn()
    mc_redis.set("k", "v", ex=300)
    assert c.call(b"mg k t v\r\n") in (b"VA 1 t300\r\nv\r\n", b"VA 1 t299\r\nv\r\n")
    mc_redis.persist("k")
    assert c.call(b"mg k t\r\n") == b"HD t-1\r\n"
    mc_redis.pexpire("k", 1)
    time.sleep(0.05)
    assert c.call(b"get k\r\n") == END


def test_cross_flush_all_only_db0(mc_conn, mc_redis, mc_server):
    c = mc_conn()
    r1 = mc_server.redis(db=1)
    try:
        mc_redis.set("a", "1")
        c.set("b", "2")
        r1.set("other", "db1")
        assert c.call(b"flush_all\r\n") == OK
        assert mc_redis.dbsize() == 0
        assert r1.get("other") == b"db1"
    finally:
        r1.close()


def test_cross_redis_incr_on_mc_value(mc_conn, mc_redis):
    c = mc_conn()
    c.set("n", "41", 5)
    assert mc_redis.incr("n") == 42
    assert c.call(b"get n\r\n") in (value("n", "42", 5) + END, value("n", "42", 0) + END)
    assert c.call(b"incr n 8\r\n") == b"50\r\n"
    assert mc_redis.get("n") == b"50"


def test_cross_mc_delete_redis_key(mc_conn, mc_redis):
    c = mc_conn()
    mc_redis.set("k", "v")
    assert c.call(b"delete k\r\n") == DELETED
    assert mc_redis.exists("k") == 0


def test_cross_redis_write_invalidates_cas(mc_conn, mc_redis):
    c = mc_conn()
    c.set("k", "v")
    cas = c.gets_cas("k")
    mc_redis.set("k", "changed")
    assert c.call(b"cas k 0 0 1 %d\r\nx\r\n" % cas) == EXISTS
    assert mc_redis.get("k") == b"changed"
    new = c.gets_cas("k")
    assert new != cas
    assert c.call(b"cas k 0 0 1 %d\r\nx\r\n" % new) == STORED
    assert mc_redis.get("k") == b"x"


def test_cross_redis_del_then_cas_not_found(mc_conn, mc_redis):
    c = mc_conn()
    c.set("k", "v")
    cas = c.gets_cas("k")
    mc_redis.delete("k")
    assert c.call(b"cas k 0 0 1 %d\r\nx\r\n" % cas) == NOT_FOUND


def test_disabled_memcached_port(mc_need_redis):
    """--memcached-port 0 disables the memcached listener (Magpie only)."""
    s = McServer(name="noport")
    try:
        import subprocess
        s.mc_port = 0
        s.redis_port = free_port()
        s.args = s.command_line()
        s._log = open(s.log_path, "ab")
        s.proc = subprocess.Popen(s.args, stdout=s._log, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, cwd=s.dir)
        r = s.redis()
        deadline = time.monotonic() + 10
        while True:
            try:
                assert r.ping()
                break
            except Exception:
                assert s.alive(), s.log_tail()
                assert time.monotonic() < deadline, s.log_tail()
                time.sleep(0.05)
        r.set("k", "v")
        assert r.get("k") == b"v"
        r.close()
    finally:
        s.cleanup()


def test_raw_incr_value_parses_like_strtoull(mc_conn):
    """memcached reads a stored number as strtoull does: leading blanks and
    a '+' are fine, parsing stops at the first blank ("12 abc" is 12)."""
    c = mc_conn()
    for stored, delta, reply in ((b"12 abc", b"1", b"13"), (b" 7", b"1", b"8"),
                                 (b"+5", b"2", b"7"), (b"-0", b"3", b"3"),
                                 (b"12x", b"1", None), (b"-3", b"1", None), (b"", b"1", None)):
        assert c.call(b"set n 0 0 %d\r\n%s\r\n" % (len(stored), stored)) == b"STORED\r\n"
        expect = (reply + b"\r\n") if reply else \
            b"CLIENT_ERROR cannot increment or decrement non-numeric value\r\n"
        assert c.call(b"incr n %s\r\n" % delta) == expect, stored
    assert c.call(b"incr n +1\r\n") == \
        b"CLIENT_ERROR cannot increment or decrement non-numeric value\r\n"


def test_raw_touch_counts_as_a_fetch(mc_conn):
    c = mc_conn()
    c.set("t", "v")
    assert c.call(b"mg t h\r\n") == b"HD h0\r\n"
    c.set("t", "v")
    assert c.call(b"touch t 0\r\n") == b"TOUCHED\r\n"
    assert c.call(b"mg t h\r\n") == b"HD h1\r\n"
