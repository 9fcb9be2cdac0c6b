"""Pub/Sub: SUBSCRIBE/PSUBSCRIBE/SSUBSCRIBE, PUBLISH/SPUBLISH, PUBSUB
introspection, RESP2 subscribed mode and RESP3 pushes, across workers.

The module server runs two workers and hands connections to them in turn
(test_server_ops.test_connections_are_spread_over_the_workers), so of any
two connections opened one after the other, one lives on each worker: the
tests below always open several subscribers in a row, so publisher and
subscribers sit on both workers."""

import asyncio
import threading
import time

import pytest
import redis
import redis.asyncio as aioredis
from redis.asyncio.connection import ConnectionPool as AsyncPool
from redis.asyncio.connection import HiredisParser as AsyncHiredis
from redis.asyncio.connection import PythonParser as AsyncPython
from redis.connection import ConnectionPool, HiredisParser, PythonParser

from conftest import RawConn, encode_command, parse_reply

PARSERS = [pytest.param(HiredisParser, id="hiredis"), pytest.param(PythonParser, id="python")]
ASYNC_PARSERS = [pytest.param(AsyncHiredis, id="hiredis"),
                 pytest.param(AsyncPython, id="python")]


def client(server, parser):
    return redis.Redis(connection_pool=ConnectionPool(
        host="127.0.0.1", port=server.port, parser_class=parser, socket_timeout=30))


def next_message(p, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = p.get_message(ignore_subscribe_messages=True, timeout=0.5)
        if m is not None:
            return m
    raise AssertionError("no message within %ss" % timeout)


def wait_numsub(r, channel, n):
    deadline = time.monotonic() + 10
    while r.pubsub_numsub(channel)[0][1] != n:
        assert time.monotonic() < deadline, r.pubsub_numsub(channel)
        time.sleep(0.01)


@pytest.mark.parametrize("parser", PARSERS)
def test_publish_reaches_subscribers_on_every_worker(server, r, parser):
    c = client(server, parser)
    subs = []
    for _ in range(4):
        p = c.pubsub()
        p.subscribe("news")
        assert p.get_message(timeout=5)["type"] == "subscribe"
        subs.append(p)
    pat = c.pubsub()
    pat.psubscribe("n*s", "x*")
    for _ in range(2):
        assert pat.get_message(timeout=5)["type"] == "psubscribe"
    assert r.publish("news", "hello") == 5
    for p in subs:
        m = next_message(p)
        assert (m["type"], m["channel"], m["data"]) == ("message", b"news", b"hello")
    m = next_message(pat)
    assert (m["type"], m["pattern"], m["channel"], m["data"]) == (
        "pmessage", b"n*s", b"news", b"hello")
    assert r.publish("nobody", "x") == 0
    for p in subs + [pat]:
        p.close()
    c.close()


def test_each_publishers_order_is_kept(server, r, scale):
    """Two publishers (one per worker) send numbered messages to subscribers
    on both workers; every subscriber sees each publisher's numbers in order."""
    n = scale(3000)
    subs = [RawConn(server.port) for _ in range(4)]
    for s in subs:
        s.cmd("SUBSCRIBE", "seq")
    pubs = [RawConn(server.port) for _ in range(2)]

    def publish(i, conn):
        batch = b"".join(encode_command("PUBLISH", "seq", "%d:%d" % (i, k)) for k in range(n))
        conn.send(batch)
        for _ in range(n):
            assert conn.read_reply() == b":4\r\n"

    threads = [threading.Thread(target=publish, args=(i, c)) for i, c in enumerate(pubs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    for s in subs:
        last = {0: -1, 1: -1}
        for _ in range(2 * n):
            kind, chan, data = parse_reply(s.read_reply())[0]
            who, k = map(int, data.split(b":"))
            assert k == last[who] + 1
            last[who] = k
    for c in subs + pubs:
        c.close()


def test_subscribed_resp2_client_may_only_pubsub(server, redis_ref):
    script = [("SUBSCRIBE", "a", "b"), ("GET", "x"), ("CLIENT", "LIST"), ("PING",),
              ("PING", "hi"), ("PSUBSCRIBE", "p*"), ("SET", "k", "v"), ("UNSUBSCRIBE", "a"),
              ("PUNSUBSCRIBE",), ("PUNSUBSCRIBE",), ("SSUBSCRIBE", "s"), ("GET", "x"),
              ("SUNSUBSCRIBE",), ("UNSUBSCRIBE", "b"), ("GET", "x"), ("UNSUBSCRIBE",)]
    for port in (server.port, redis_ref.port):
        RawConn(port).cmd("FLUSHALL")
    out = []
    for port in (server.port, redis_ref.port):
        c = RawConn(port)
        replies = []
        for cmd in script:
            c.send(encode_command(*cmd))
            n = max(1, len(cmd) - 1) if cmd[0].endswith("SUBSCRIBE") and len(cmd) > 1 else 1
            replies.append(b"".join(c.read_reply() for _ in range(n)))
        out.append(replies)
        c.close()
    assert out[0] == out[1]
    assert out[0][1] == (b"-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / "
                         b"PING / QUIT / RESET are allowed in this context\r\n")


def test_resp3_pushes_arrive_beside_replies(server, raw):
    c = raw()
    c.cmd("HELLO", "3")
    assert c.cmd("SUBSCRIBE", "ch") == b">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"
    assert c.cmd("SET", "k", "v") == b"+OK\r\n"  # RESP3: any command is allowed
    other = raw()
    assert other.cmd("PUBLISH", "ch", "m1") == b":1\r\n"
    assert c.read_reply() == b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nm1\r\n"
    assert c.cmd("GET", "k") == b"$1\r\nv\r\n"
    # Publishing to itself: the push comes before PUBLISH's own reply.
    c.send(encode_command("PUBLISH", "ch", "self"))
    assert c.read_reply() == b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$4\r\nself\r\n"
    assert c.read_reply() == b":1\r\n"
    assert c.cmd("UNSUBSCRIBE") == b">3\r\n$11\r\nunsubscribe\r\n$2\r\nch\r\n:0\r\n"
    assert c.cmd("UNSUBSCRIBE") == b">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n"


def test_resp3_matches_redis_byte_for_byte(server, redis_ref):
    script = [("HELLO", "3"), ("SUBSCRIBE", "a"), ("PSUBSCRIBE", "a*"), ("PUBLISH", "a", "x"),
              ("SSUBSCRIBE", "s"), ("SPUBLISH", "s", "y"), ("PING",), ("SUNSUBSCRIBE", "s"),
              ("PUNSUBSCRIBE", "a*"), ("UNSUBSCRIBE", "a"), ("RESET",)]
    expect_frames = {"PUBLISH": 3, "SPUBLISH": 2}
    out = []
    for port in (server.port, redis_ref.port):
        c = RawConn(port)
        got = []
        for cmd in script:
            c.send(encode_command(*cmd))
            for _ in range(expect_frames.get(cmd[0], 1)):
                got.append(c.read_reply())
        out.append(got[1:])  # HELLO's map differs (server name, id)
        c.close()
    assert out[0] == out[1]


def wait_no_subscriptions(port):
    """Until the connections earlier tests closed are gone from the server."""
    c = RawConn(port)
    deadline = time.monotonic() + 10
    while (c.cmd_parsed("PUBSUB", "NUMPAT"), c.cmd_parsed("PUBSUB", "CHANNELS"),
           c.cmd_parsed("PUBSUB", "SHARDCHANNELS")) != (0, [], []):
        assert time.monotonic() < deadline, "subscriptions left over"
        time.sleep(0.01)
    c.close()


def test_pubsub_introspection_matches_redis(server, redis_ref):
    results = []
    for port in (server.port, redis_ref.port):
        wait_no_subscriptions(port)
        subs = [RawConn(port) for _ in range(3)]
        subs[0].cmd("SUBSCRIBE", "news.a")
        subs[1].send(encode_command("SUBSCRIBE", "news.a", "news.b"))
        subs[1].read_n(2)
        subs[2].send(encode_command("PSUBSCRIBE", "news.*", "x?"))
        subs[2].read_n(2)
        subs[0].send(encode_command("SSUBSCRIBE", "sh1", "sh2"))
        subs[0].read_n(2)
        c = RawConn(port)
        got = [c.cmd_parsed("PUBSUB", "NUMSUB", "news.a", "news.b", "none"),
               c.cmd_parsed("PUBSUB", "NUMSUB"),
               c.cmd_parsed("PUBSUB", "NUMPAT"),
               sorted(c.cmd_parsed("PUBSUB", "CHANNELS")),
               sorted(c.cmd_parsed("PUBSUB", "CHANNELS", "*.b")),
               sorted(c.cmd_parsed("PUBSUB", "SHARDCHANNELS")),
               c.cmd_parsed("PUBSUB", "SHARDNUMSUB", "sh1", "zz"),
               c.cmd("PUBSUB", "CHANNELS", "a", "b"),
               c.cmd("PUBSUB", "NUMPAT", "x"),
               c.cmd("PUBSUB", "NOPE"),
               c.cmd("PUBSUB", "HELP"),
               c.cmd("PUBLISH", "news.a", "m"),
               c.cmd("SPUBLISH", "sh1", "m"),
               c.cmd("SPUBLISH", "news.a", "m")]
        info = c.cmd_parsed("INFO", "stats").decode()
        got.append(sorted(l for l in info.split("\r\n") if l.startswith("pubsub")))
        lines = c.cmd_parsed("CLIENT", "LIST", "TYPE", "pubsub").decode().splitlines()
        got.append(sorted(" ".join(f for f in l.split() if f.split("=")[0] in
                                   ("flags", "sub", "psub", "ssub")) for l in lines))
        got.append(c.cmd("CLIENT", "KILL", "TYPE", "pubsub"))
        results.append(got)
        for s in subs + [c]:
            s.close()
    assert results[0] == results[1]
    assert results[0][-1] == b":3\r\n"


def test_sharded_pubsub_across_workers(server, raw):
    subs = [raw() for _ in range(3)]
    for s in subs:
        assert s.cmd("SSUBSCRIBE", "{u1}chan") == (
            b"*3\r\n$10\r\nssubscribe\r\n$8\r\n{u1}chan\r\n:1\r\n")
    p = raw()
    assert p.cmd("PUBLISH", "{u1}chan", "not-sharded") == b":0\r\n"
    assert p.cmd("SPUBLISH", "{u1}chan", "hi") == b":3\r\n"
    for s in subs:
        assert s.read_reply() == b"*3\r\n$8\r\nsmessage\r\n$8\r\n{u1}chan\r\n$2\r\nhi\r\n"


def test_reset_and_disconnect_forget_subscriptions(server, r, raw):
    wait_no_subscriptions(server.port)
    c = raw()
    c.send(encode_command("SUBSCRIBE", "a") + encode_command("PSUBSCRIBE", "b*"))
    c.read_n(2)
    assert c.cmd("RESET") == b"+RESET\r\n"
    assert c.cmd("GET", "x") == b"$-1\r\n"
    assert r.pubsub_numsub("a") == [(b"a", 0)] and r.pubsub_numpat() == 0
    d = raw()
    d.cmd("SUBSCRIBE", "gone")
    d.close()
    wait_numsub(r, "gone", 0)


def test_slow_subscriber_is_disconnected_by_pubsub_output_limit(server_factory):
    s = server_factory(["--client-output-buffer-limit", "pubsub 1mb 256kb 60"])
    r = s.client()
    slow = RawConn(s.port)
    slow.cmd("SUBSCRIBE", "firehose")
    fast = RawConn(s.port)
    fast.cmd("SUBSCRIBE", "firehose")
    payload = "x" * 100000
    reader_done = threading.Event()

    def read_fast():
        try:
            while True:
                fast.read_reply()
        except (ConnectionError, OSError):
            pass
        reader_done.set()

    t = threading.Thread(target=read_fast, daemon=True)
    t.start()
    # The kernel buffers a few MB for the slow client; the limit is hit after.
    for i in range(400):
        r.publish("firehose", payload)
        if i % 50 == 49 and r.pubsub_numsub("firehose")[0][1] == 1:
            break
    wait_numsub(r, "firehose", 1)
    stats = r.info("stats")  # Redis 7.0 lacks this counter; 7.2 has it
    assert int(stats.get("client_output_buffer_limit_disconnections", 1)) == 1
    assert r.config_get("client-output-buffer-limit")["client-output-buffer-limit"].endswith(
        "pubsub 1048576 262144 60")
    fast.close()
    slow.close()
    t.join(10)


@pytest.mark.parametrize("parser", ASYNC_PARSERS)
def test_asyncio_pubsub(server, r, parser):
    async def main():
        pool = AsyncPool(host="127.0.0.1", port=server.port, parser_class=parser)
        c = aioredis.Redis(connection_pool=pool)
        p = c.pubsub()
        await p.subscribe("chan")
        await p.psubscribe("pat.*")
        for _ in range(2):
            assert (await p.get_message(timeout=5))["type"] in ("subscribe", "psubscribe")
        pub = aioredis.Redis(connection_pool=AsyncPool(host="127.0.0.1", port=server.port,
                                                       parser_class=parser))
        assert await pub.publish("chan", "one") == 1
        assert await pub.publish("pat.x", "two") == 1
        got = []
        while len(got) < 2:
            m = await p.get_message(ignore_subscribe_messages=True, timeout=5)
            if m:
                got.append((m["type"], m["channel"], m["data"]))
        assert got == [("message", b"chan", b"one"), ("pmessage", b"pat.x", b"two")]
        await p.unsubscribe()
        await p.punsubscribe()
        await p.close()
        await c.close()
        await pub.close()

    asyncio.run(asyncio.wait_for(main(), 60))


def test_pubsub_thread_worker(server, r):
    """redis-py's run_in_thread loop with a handler, as applications use it."""
    got = []
    done = threading.Event()

    def handler(m):
        got.append(m["data"])
        if len(got) == 100:
            done.set()

    p = r.pubsub()
    p.subscribe(**{"events": handler})
    t = p.run_in_thread(sleep_time=0.01)
    wait_numsub(r, "events", 1)
    for i in range(100):
        r.publish("events", str(i))
    assert done.wait(10)
    assert got == [str(i).encode() for i in range(100)]
    t.stop()
    t.join(10)


def test_idle_timeout_spares_subscribers(server_factory):
    """`timeout` closes idle clients but not subscribed ones, as in Redis."""
    s = server_factory(["--timeout", "1"])
    sub = RawConn(s.port)
    sub.cmd("SUBSCRIBE", "ch")
    idle = RawConn(s.port)
    idle.cmd("PING")
    time.sleep(2.5)
    assert idle.read_until_close(timeout=5) == b""  # closed by the server
    assert s.client().publish("ch", "still here") == 1
    assert parse_reply(sub.read_reply())[0] == [b"message", b"ch", b"still here"]
    sub.close()


def test_churn_of_subscribers_and_trackers_under_load(server, r, scale):
    """Publishers and writers on both workers keep going while subscribers,
    pattern subscribers, trackers and monitors connect and vanish mid-stream:
    deliveries to clients that are gone are dropped, nothing else breaks (the
    ASan build checks the memory side)."""
    stop = threading.Event()
    errors = []

    def publisher():
        c = RawConn(server.port)
        batch = b"".join(encode_command("PUBLISH", "churn", "x" * 100) for _ in range(50)) + \
            b"".join(encode_command("SET", "churn:%d" % i, "v") for i in range(50))
        try:
            while not stop.is_set():
                c.send(batch)
                c.read_n(100)
        except Exception as e:  # noqa: BLE001
            errors.append(e)
        c.close()

    def churner(kind):
        try:
            for i in range(scale(300)):
                c = RawConn(server.port)
                if kind == "sub":
                    c.cmd("SUBSCRIBE", "churn")
                elif kind == "psub":
                    c.cmd("PSUBSCRIBE", "ch*")
                elif kind == "track":
                    c.cmd("HELLO", "3")
                    c.cmd("CLIENT", "TRACKING", "on", *(("BCAST",) if i % 2 else ()))
                    c.send(b"".join(encode_command("GET", "churn:%d" % j) for j in range(50)))
                else:
                    c.cmd("MONITOR")
                c.sock.recv(1000)  # something has arrived; leave with more in flight
                c.close()
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    pubs = [threading.Thread(target=publisher) for _ in range(2)]
    churn = [threading.Thread(target=churner, args=(k,)) for k in ("sub", "psub", "track", "mon")]
    for t in pubs + churn:
        t.start()
    for t in churn:
        t.join(300)
    stop.set()
    for t in pubs:
        t.join(60)
    assert not errors, errors
    assert r.ping()
    wait_numsub(r, "churn", 0)
