"""CLIENT TRACKING (server-assisted client-side caching): RESP3 pushes, RESP2
redirection to __redis__:invalidate, BCAST/PREFIX, OPTIN/OPTOUT, NOLOOP,
FLUSHALL, expiry, tracking-table-max-keys, compared with redis-server where
the bytes can be.

Connections opened one after the other land on different workers (round
robin), so the reader and the writer of each test sit on different workers
and every invalidation crosses between them."""

import time

import pytest

from conftest import RawConn, encode_command, parse_reply

INVALIDATE_K = b">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n"


def push_keys(raw_reply):
    msg = parse_reply(raw_reply)[0]
    assert msg[0] in (b"invalidate", b"message"), msg
    return msg[-1]


def tracker(port, *options, resp=3):
    c = RawConn(port)
    if resp == 3:
        c.cmd("HELLO", "3")
    assert c.cmd("CLIENT", "TRACKING", "on", *options) == b"+OK\r\n"
    return c


def test_options_errors_and_info_match_redis(server, redis_ref):
    script = [
        ("CLIENT", "TRACKINGINFO"), ("CLIENT", "GETREDIR"),
        ("CLIENT", "TRACKING", "on", "PREFIX", "a"), ("CLIENT", "TRACKING", "on", "OPTIN", "OPTOUT"),
        ("CLIENT", "TRACKING", "on", "BCAST", "OPTIN"),
        ("CLIENT", "TRACKING", "on", "REDIRECT", "999999"),
        ("CLIENT", "TRACKING", "on", "REDIRECT", "abc"),
        ("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "ab", "PREFIX", "a"),
        ("CLIENT", "TRACKING", "on", "FOO"), ("CLIENT", "TRACKING", "maybe"),
        ("CLIENT", "CACHING", "yes"), ("CLIENT", "TRACKING", "on", "OPTIN", "NOLOOP"),
        ("CLIENT", "TRACKINGINFO"), ("CLIENT", "CACHING", "no"), ("CLIENT", "CACHING", "maybe"),
        ("CLIENT", "CACHING", "yes"), ("CLIENT", "TRACKINGINFO"), ("GET", "x"),
        ("CLIENT", "TRACKINGINFO"), ("CLIENT", "TRACKING", "on", "BCAST"),
        ("CLIENT", "TRACKING", "on", "OPTOUT"), ("CLIENT", "GETREDIR"),
        ("CLIENT", "TRACKING", "off"), ("CLIENT", "TRACKING", "on", "OPTOUT"),
        ("CLIENT", "CACHING", "no"), ("CLIENT", "TRACKINGINFO"), ("CLIENT", "TRACKING", "off"),
        ("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a", "PREFIX", "b"),
        ("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "abc"),
        ("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "c"), ("CLIENT", "TRACKINGINFO"),
        ("CLIENT", "TRACKING", "off"), ("CLIENT", "TRACKINGINFO"), ("HELLO", "3"),
        ("CLIENT", "TRACKING", "on", "NOLOOP"), ("CLIENT", "TRACKINGINFO"),
    ]
    out = []
    for port in (server.port, redis_ref.port):
        c = RawConn(port)
        got = [c.cmd(*cmd) for cmd in script]
        out.append([g for g, cmd in zip(got, script) if cmd[0] != "HELLO"])
        c.close()
    assert out[0] == out[1]


def test_resp3_invalidation_from_another_worker(server, raw):
    reader = tracker(server.port)
    writer = RawConn(server.port)
    writer.cmd("SET", "k", "v1")
    assert reader.cmd("GET", "k") == b"$2\r\nv1\r\n"
    writer.cmd("SET", "untracked", "x")  # nobody read it: no message
    writer.cmd("SET", "k", "v2")
    assert reader.read_reply() == INVALIDATE_K
    # Invalidated once: the key is forgotten until it is read again.
    writer.cmd("SET", "k", "v3")
    assert reader.cmd("GET", "k") == b"$2\r\nv3\r\n"
    writer.cmd("DEL", "k")
    assert reader.read_reply() == INVALIDATE_K
    for c in (reader, writer):
        c.close()


def test_own_write_is_invalidated_after_its_reply_like_redis(server, redis_ref):
    out = []
    for port in (server.port, redis_ref.port):
        c = tracker(port)
        c.cmd("GET", "k")
        c.send(encode_command("SET", "k", "v") + encode_command("GET", "k") +
               encode_command("INCR", "k"))
        out.append(c.read_n(4))
        c.cmd("FLUSHALL")
        c.read_reply()
        c.close()
    assert out[0] == out[1]
    assert out[0][:2] == [b"+OK\r\n", INVALIDATE_K]


def test_noloop_skips_own_writes(server):
    reader = tracker(server.port, "NOLOOP")
    writer = RawConn(server.port)
    reader.cmd("MGET", "k", "j")
    assert reader.cmd("SET", "j", "mine") == b"+OK\r\n"  # no push for its own write
    writer.cmd("SET", "k", "theirs")
    assert reader.read_reply() == INVALIDATE_K
    reader.close()
    writer.close()


def test_resp2_redirect_to_invalidate_channel_like_redis(server, redis_ref):
    out = []
    for port in (server.port, redis_ref.port):
        RawConn(port).cmd("FLUSHALL")
        sink = RawConn(port)
        sink_id = sink.cmd_parsed("CLIENT", "ID")
        sink.cmd("SUBSCRIBE", "__redis__:invalidate")
        c = tracker(port, "REDIRECT", str(sink_id), resp=2)
        writer = RawConn(port)
        got = [c.cmd("GET", "k"), c.cmd("CLIENT", "GETREDIR") == b":%d\r\n" % sink_id]
        writer.cmd("SET", "k", "1")
        got.append(sink.read_reply())
        c.cmd("GET", "k")
        writer.cmd("FLUSHALL")
        got.append(sink.read_reply())
        info = c.cmd_parsed("CLIENT", "INFO").decode()
        got.append([f for f in info.split() if f.split("=")[0] in ("flags",)])
        got.append(("redir=%d" % sink_id) in info)
        out.append(got)
        for x in (sink, c, writer):
            x.close()
    assert out[0] == out[1]
    assert out[0][2] == b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$1\r\nk\r\n"
    assert out[0][3] == b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n$-1\r\n"


def test_redirect_to_resp3_client_and_broken_redirect(server):
    sink = RawConn(server.port)
    sink.cmd("HELLO", "3")
    sink_id = sink.cmd_parsed("CLIENT", "ID")
    c = tracker(server.port, "REDIRECT", str(sink_id))
    writer = RawConn(server.port)
    c.cmd("GET", "k")
    writer.cmd("SET", "k", "1")
    assert sink.read_reply() == INVALIDATE_K
    sink.close()
    time.sleep(0.2)
    c.cmd("GET", "k")
    writer.cmd("SET", "k", "2")
    assert c.read_reply() == b">2\r\n$21\r\ntracking-redir-broken\r\n:%d\r\n" % sink_id
    assert b"broken_redirect" in c.cmd("CLIENT", "TRACKINGINFO")
    c.close()
    writer.close()


def test_bcast_prefixes(server):
    c = tracker(server.port, "BCAST", "PREFIX", "user:", "PREFIX", "cfg")
    writer = RawConn(server.port)
    writer.cmd("SET", "user:1", "a")
    assert push_keys(c.read_reply()) == [b"user:1"]
    writer.cmd("SET", "other", "x")
    writer.cmd("HSET", "cfg:main", "f", "v")
    assert push_keys(c.read_reply()) == [b"cfg:main"]
    all_keys = tracker(server.port, "BCAST")
    writer.cmd("SET", "anything", "1")
    assert push_keys(all_keys.read_reply()) == [b"anything"]
    ctl = RawConn(server.port)
    deadline = time.monotonic() + 10  # earlier tests' trackers may still be closing
    while "tracking_total_prefixes:3\r\n" not in ctl.cmd_parsed("INFO", "stats").decode():
        assert time.monotonic() < deadline
        time.sleep(0.01)
    ctl.close()
    for x in (c, writer, all_keys):
        x.close()


def test_optin_and_optout(server):
    optin = tracker(server.port, "OPTIN")
    optout = tracker(server.port, "OPTOUT")
    writer = RawConn(server.port)
    optin.cmd("GET", "a")                        # not cached: not tracked
    optin.cmd("CLIENT", "CACHING", "yes")
    optin.cmd("GET", "b")                        # tracked
    optin.cmd("GET", "c")                        # CACHING applied to one command only
    optout.cmd("CLIENT", "CACHING", "no")
    optout.cmd("GET", "a")                       # excluded
    optout.cmd("GET", "c")                       # tracked
    for key in ("a", "c", "b"):
        writer.cmd("SET", key, "1")
    assert push_keys(optin.read_reply()) == [b"b"]
    assert push_keys(optout.read_reply()) == [b"c"]
    for x in (optin, optout, writer):
        x.close()


def test_expiry_and_flush_invalidate(server):
    c = tracker(server.port)
    writer = RawConn(server.port)
    writer.cmd("SET", "k", "v", "PX", "50")
    c.cmd("GET", "k")
    assert c.read_reply() == INVALIDATE_K  # reclaimed by the active cycle
    writer.cmd("FLUSHDB")
    assert c.read_reply() == b">2\r\n$10\r\ninvalidate\r\n_\r\n"
    c.close()
    writer.close()


def test_tracking_table_max_keys(server):
    ctl = RawConn(server.port)
    ctl.cmd("FLUSHALL")
    ctl.cmd("CONFIG", "SET", "tracking-table-max-keys", "10")
    try:
        c = tracker(server.port)
        c.send(b"".join(encode_command("GET", "key:%d" % i) for i in range(30)))
        frames = [parse_reply(c.read_reply())[0] for _ in range(50)]
        # 20 keys were dropped from the table, each with an invalidation
        # (after the reply of the read that overflowed the table).
        assert frames[0] is None and frames.count(None) == 30
        dropped = [f[1][0] for f in frames if f is not None]
        assert len(set(dropped)) == 20
        info = ctl.cmd_parsed("INFO", "stats").decode()
        assert "tracking_total_keys:10\r\n" in info
        deadline = time.monotonic() + 10  # earlier tests' trackers may still be closing
        while "tracking_clients:1\r\n" not in ctl.cmd_parsed("INFO", "clients").decode():
            assert time.monotonic() < deadline
            time.sleep(0.01)
        c.close()
    finally:
        ctl.cmd("CONFIG", "SET", "tracking-table-max-keys", "1000000")


def test_every_kind_of_write_invalidates(server):
    """Writes of every family, and in-place changes, reach the tracker."""
    c = tracker(server.port)
    writer = RawConn(server.port)
    setup = [("RPUSH", "l", "a"), ("HSET", "h", "f", "v"), ("SADD", "s", "m"),
             ("ZADD", "z", "1", "m"), ("SET", "str", "1"), ("SET", "bits", "")]
    changes = [("LPUSH", "l", "b"), ("HINCRBY", "h", "n", "1"), ("SREM", "s", "m"),
               ("ZINCRBY", "z", "1", "m"), ("APPEND", "str", "x"), ("SETBIT", "bits", "3", "1")]
    for cmd in setup:
        writer.cmd(*cmd)
    for cmd in changes:
        c.cmd("TYPE", cmd[1])
        writer.cmd(*cmd)
        assert push_keys(c.read_reply()) == [cmd[1].encode()], cmd
    c.close()
    writer.close()


def test_client_list_flags_and_reset(server):
    c = tracker(server.port, "BCAST")
    line = c.cmd_parsed("CLIENT", "INFO").decode()
    assert " flags=tB " in line and " redir=0 " in line
    c.cmd("RESET")
    line = c.cmd_parsed("CLIENT", "INFO").decode()
    assert " flags=N " in line and " redir=-1 " in line
    assert c.cmd("CLIENT", "GETREDIR") == b":-1\r\n"
    c.close()


@pytest.mark.parametrize("resp", [2, 3])
def test_many_readers_on_both_workers(server, resp, scale):
    """Ten trackers (both workers) read the same keys; one write to each key
    invalidates it for all of them, exactly once."""
    n_keys = scale(200)
    sinks, readers = [], []
    for i in range(10):
        if resp == 2:
            sink = RawConn(server.port)
            sink_id = sink.cmd_parsed("CLIENT", "ID")
            sink.cmd("SUBSCRIBE", "__redis__:invalidate")
            sinks.append(sink)
            readers.append(tracker(server.port, "REDIRECT", str(sink_id), resp=2))
        else:
            readers.append(tracker(server.port))
            sinks.append(readers[-1])
    batch = b"".join(encode_command("GET", "k%d" % i) for i in range(n_keys))
    for r in readers:
        r.send(batch)
        r.read_n(n_keys)
    writer = RawConn(server.port)
    writer.send(b"".join(encode_command("SET", "k%d" % i, "v") for i in range(n_keys)))
    writer.read_n(n_keys)
    for s in sinks:
        got = [push_keys(s.read_reply())[0] for _ in range(n_keys)]
        assert got == [b"k%d" % i for i in range(n_keys)]
    for x in set(sinks + readers + [writer]):
        x.close()


def test_bcast_batches_keys_per_prefix_like_redis(server, redis_ref):
    """BCAST: the keys one command (one event-loop turn) changed arrive as one
    message per matching prefix; NOLOOP leaves out the client's own."""
    out = []
    for port in (server.port, redis_ref.port):
        RawConn(port).cmd("FLUSHALL")
        c = tracker(port, "BCAST", "PREFIX", "a", "PREFIX", "b", "NOLOOP")
        w = RawConn(port)
        w.cmd("MSET", "a1", "1", "b1", "2", "a2", "3", "c", "4")
        got = [c.read_reply(), c.read_reply()]
        got.append(c.cmd("MSET", "a3", "1", "b3", "x"))
        w.cmd("SET", "b9", "1")
        got.append(c.read_reply())
        out.append(got)
        c.close()
        w.close()
    assert out[0] == out[1]
    assert out[0][0] == b">2\r\n$10\r\ninvalidate\r\n*2\r\n$2\r\na1\r\n$2\r\na2\r\n"
