"""List commands and blocking pops: replies (RESP2 bytes and RESP3 shapes),
encodings, and the blocking machinery — FIFO service, timeouts, cross-worker
wake-ups (the server runs with --threads 2), disconnects, CLIENT UNBLOCK,
BLMOVE chains, pipelined commands behind a blocked one, CLIENT LIST/INFO.
"""

import socket
import threading
import time

import pytest
import redis

from conftest import NIL, OK, SANITIZED, RawConn, bulk, encode_command, err, integer

WRONGTYPE = err("WRONGTYPE Operation against a key holding the wrong kind of value")
NULL_ARRAY = b"*-1\r\n"
SLACK = 5.0 if SANITIZED else 1.0


def arr(*items):
    return b"*%d\r\n" % len(items) + b"".join(items)


def test_push_pop_len(rc):
    assert rc.cmd("RPUSH", "l", "a", "b", "c") == integer(3)
    assert rc.cmd("LPUSH", "l", "z") == integer(4)
    assert rc.cmd("LLEN", "l") == integer(4)
    assert rc.cmd("LPOP", "l") == bulk("z")
    assert rc.cmd("RPOP", "l") == bulk("c")
    assert rc.cmd("LPOP", "l", "5") == arr(bulk("a"), bulk("b"))
    assert rc.cmd("EXISTS", "l") == integer(0)  # emptied lists are deleted
    assert rc.cmd("LPOP", "l") == NIL
    assert rc.cmd("LPOP", "l", "2") == NULL_ARRAY
    assert rc.cmd("RPUSH", "l", "a") == integer(1)
    assert rc.cmd("LPOP", "l", "0") == b"*0\r\n"
    assert rc.cmd("LPOP", "l", "-1") == err("ERR value is out of range, must be positive")
    assert rc.cmd("LPOP", "l", "1", "2") == err("ERR wrong number of arguments for 'lpop' command")
    assert rc.cmd("LPUSHX", "nope", "a") == integer(0)
    assert rc.cmd("RPUSHX", "l", "b", "c") == integer(3)
    assert rc.cmd("LLEN", "nope") == integer(0)


def test_wrong_type(rc):
    rc.cmd("SET", "s", "x")
    for args in (["LPUSH", "s", "a"], ["RPOP", "s"], ["LLEN", "s"], ["LRANGE", "s", "0", "1"],
                 ["LINDEX", "s", "0"], ["LSET", "s", "0", "a"], ["LREM", "s", "0", "a"],
                 ["LPOS", "s", "a"], ["LMOVE", "s", "d", "LEFT", "LEFT"], ["BLPOP", "s", "0"],
                 ["LMPOP", "1", "s", "LEFT"]):
        assert rc.cmd(*args) == WRONGTYPE, args
    rc.cmd("RPUSH", "l", "a")
    assert rc.cmd("LMOVE", "l", "s", "LEFT", "LEFT") == WRONGTYPE
    assert rc.cmd("LRANGE", "l", "0", "-1") == arr(bulk("a"))


def test_range_index_set(rc):
    rc.cmd("RPUSH", "l", *[str(i) for i in range(10)])
    assert rc.cmd("LRANGE", "l", "-3", "-1") == arr(bulk("7"), bulk("8"), bulk("9"))
    assert rc.cmd("LRANGE", "l", "5", "2") == b"*0\r\n"
    assert rc.cmd("LRANGE", "l", "-100", "1") == arr(bulk("0"), bulk("1"))
    assert rc.cmd("LRANGE", "l", "x", "1") == err("ERR value is not an integer or out of range")
    assert rc.cmd("LINDEX", "l", "-1") == bulk("9")
    assert rc.cmd("LINDEX", "l", "10") == NIL
    assert rc.cmd("LSET", "l", "0", "zero") == OK
    assert rc.cmd("LSET", "l", "10", "x") == err("ERR index out of range")
    assert rc.cmd("LSET", "nope", "0", "x") == err("ERR no such key")
    assert rc.cmd("LINDEX", "l", "0") == bulk("zero")


def test_insert_rem_trim(rc):
    rc.cmd("RPUSH", "l", "a", "b", "a", "c", "a")
    assert rc.cmd("LINSERT", "l", "BEFORE", "b", "x") == integer(6)
    assert rc.cmd("LINSERT", "l", "after", "c", "y") == integer(7)
    assert rc.cmd("LINSERT", "l", "BEFORE", "zz", "q") == integer(-1)
    assert rc.cmd("LINSERT", "nope", "BEFORE", "a", "q") == integer(0)
    assert rc.cmd("LINSERT", "l", "middle", "a", "q") == err("ERR syntax error")
    assert rc.cmd("LREM", "l", "-1", "a") == integer(1)
    assert rc.cmd("LRANGE", "l", "0", "-1") == arr(*[bulk(x) for x in "axbacy"])
    assert rc.cmd("LREM", "l", "0", "a") == integer(2)
    assert rc.cmd("LTRIM", "l", "1", "-2") == OK
    assert rc.cmd("LRANGE", "l", "0", "-1") == arr(bulk("b"), bulk("c"))
    assert rc.cmd("LTRIM", "l", "5", "1") == OK
    assert rc.cmd("EXISTS", "l") == integer(0)


def test_lpos(rc):
    rc.cmd("RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c")
    assert rc.cmd("LPOS", "l", "c") == integer(2)
    assert rc.cmd("LPOS", "l", "c", "RANK", "-1") == integer(7)
    assert rc.cmd("LPOS", "l", "c", "COUNT", "0") == arr(integer(2), integer(6), integer(7))
    assert rc.cmd("LPOS", "l", "c", "RANK", "2", "COUNT", "1") == arr(integer(6))
    assert rc.cmd("LPOS", "l", "c", "COUNT", "0", "MAXLEN", "3") == arr(integer(2))
    assert rc.cmd("LPOS", "l", "zz") == NIL
    assert rc.cmd("LPOS", "l", "zz", "COUNT", "2") == b"*0\r\n"
    assert rc.cmd("LPOS", "l", "c", "RANK", "0").startswith(b"-ERR RANK can't be zero")
    assert rc.cmd("LPOS", "l", "c", "COUNT", "-1") == err("ERR COUNT can't be negative")
    assert rc.cmd("LPOS", "l", "c", "MAXLEN", "-1") == err("ERR MAXLEN can't be negative")
    assert rc.cmd("LPOS", "l", "c", "FOO", "1") == err("ERR syntax error")


def test_lmove_and_lmpop(rc):
    rc.cmd("RPUSH", "a", "1", "2", "3")
    assert rc.cmd("LMOVE", "a", "b", "LEFT", "RIGHT") == bulk("1")
    assert rc.cmd("RPOPLPUSH", "a", "b") == bulk("3")
    assert rc.cmd("LRANGE", "b", "0", "-1") == arr(bulk("3"), bulk("1"))
    assert rc.cmd("LMOVE", "b", "b", "LEFT", "RIGHT") == bulk("3")  # rotation
    assert rc.cmd("LMOVE", "nope", "b", "LEFT", "RIGHT") == NIL
    assert rc.cmd("LMOVE", "a", "b", "UP", "LEFT") == err("ERR syntax error")
    assert rc.cmd("LMPOP", "2", "nope", "b", "RIGHT", "COUNT", "5") == arr(
        bulk("b"), arr(bulk("3"), bulk("1")))
    assert rc.cmd("LMPOP", "1", "nope", "LEFT") == NULL_ARRAY
    assert rc.cmd("LMPOP", "0", "a", "LEFT") == err("ERR numkeys should be greater than 0")
    assert rc.cmd("LMPOP", "1", "a", "LEFT", "COUNT", "0") == err("ERR count should be greater than 0")
    assert rc.cmd("LMPOP", "2", "a", "LEFT") == err("ERR syntax error")


def test_resp3_shapes(server):
    c = RawConn(server.port)
    try:
        c.cmd("HELLO", "3")
        c.cmd("DEL", "l", "e")
        assert c.cmd("LPOP", "e") == b"_\r\n"
        assert c.cmd("LPOP", "e", "3") == b"_\r\n"
        assert c.cmd("LMPOP", "1", "e", "LEFT") == b"_\r\n"
        assert c.cmd("BLPOP", "e", "0.01") == b"_\r\n"
        assert c.cmd("BLMOVE", "e", "l", "LEFT", "LEFT", "0.01") == b"_\r\n"
        assert c.cmd("LINDEX", "e", "0") == b"_\r\n"
        assert c.cmd("LPOS", "e", "x") == b"_\r\n"
        c.cmd("RPUSH", "l", "a")
        assert c.cmd("BLPOP", "l", "0") == arr(bulk("l"), bulk("a"))
    finally:
        c.close()


def test_object_encoding_is_quicklist(r):
    # Redis 7.0 reports every list as quicklist, however small.
    r.rpush("small", "a")
    r.rpush("big", *["x" * 100] * 1000)
    assert r.object("encoding", "small") == b"quicklist"
    assert r.object("encoding", "big") == b"quicklist"
    assert r.lrange("big", 500, 500) == [b"x" * 100]


def test_big_list_roundtrip_and_memory(r, scale):
    n = scale(100000)
    pipe = r.pipeline(transaction=False)
    for i in range(0, n, 1000):
        pipe.rpush("big", *[b"value:%d" % j for j in range(i, i + 1000)])
    pipe.execute()
    assert r.llen("big") == n
    assert r.lindex("big", n // 2) == b"value:%d" % (n // 2)
    assert r.lrange("big", -3, -1) == [b"value:%d" % j for j in range(n - 3, n)]
    usage = r.memory_usage("big")
    assert n * 8 < usage < n * 20
    assert r.ltrim("big", 10, 19)
    assert r.lrange("big", 0, -1) == [b"value:%d" % j for j in range(10, 20)]
    assert r.memory_usage("big") < 2000


def test_list_max_listpack_size_config(r):
    assert r.config_get("list-max-listpack-size") == {"list-max-listpack-size": "-2"}
    r.config_set("list-max-listpack-size", 4)
    try:
        r.rpush("l", *[str(i) for i in range(50)])
        r.linsert("l", "BEFORE", "25", "x")
        r.lset("l", 3, "y" * 10000)
        got = r.lrange("l", 0, -1)
        want = [str(i).encode() for i in range(50)]
        want.insert(25, b"x")
        want[3] = b"y" * 10000
        assert got == want
    finally:
        r.config_set("list-max-listpack-size", -2)


# ---- blocking ----

def blocked_count(r):
    return r.info("clients")["blocked_clients"]


def wait_blocked(r, n):
    deadline = time.time() + 10 * SLACK
    while time.time() < deadline:
        if blocked_count(r) == n:
            return
        time.sleep(0.005)
    raise AssertionError("expected %d blocked clients, have %d" % (n, blocked_count(r)))


def test_blpop_immediate_and_timeout(r):
    r.rpush("q", "a")
    assert r.blpop(["nope", "q"], 1) == (b"q", b"a")
    t0 = time.monotonic()
    assert r.blpop("q", 0.1) is None
    elapsed = time.monotonic() - t0
    assert 0.09 <= elapsed < 0.1 + SLACK
    assert blocked_count(r) == 0


def test_timeout_errors(rc):
    assert rc.cmd("BLPOP", "q", "-1") == err("ERR timeout is negative")
    assert rc.cmd("BLPOP", "q", "abc") == err("ERR timeout is not a float or out of range")
    assert rc.cmd("BRPOP", "q", "inf") == err("ERR timeout is negative")
    assert rc.cmd("BLMPOP", "x", "1", "q", "LEFT") == err("ERR timeout is not a float or out of range")
    assert rc.cmd("BLMPOP", "0", "0", "q", "LEFT") == err("ERR numkeys should be greater than 0")
    assert rc.cmd("BLMOVE", "q", "d", "LEFT", "UP", "0") == err("ERR syntax error")


def test_fifo_three_clients(server, r):
    results = {}

    def waiter(i):
        c = server.client()
        results[i] = c.brpop("q", 10 * SLACK)
        c.close()

    threads = []
    for i in range(3):
        t = threading.Thread(target=waiter, args=(i,))
        t.start()
        threads.append(t)
        wait_blocked(r, i + 1)
    assert r.rpush("q", "a", "b", "c") == 3
    for t in threads:
        t.join()
    # BRPOP takes from the tail: the first blocked client gets "c".
    assert results == {0: (b"q", b"c"), 1: (b"q", b"b"), 2: (b"q", b"a")}
    assert r.exists("q") == 0


def test_cross_worker_wakeups(server, r):
    """Clients blocked on one worker are woken by pushes on the other: with
    two workers and ten waiters and ten pushing connections, every pairing
    of workers occurs; each push must wake exactly one waiter."""
    n = 10
    got = []
    lock = threading.Lock()

    def waiter():
        c = server.client()
        v = c.blpop("jobs", 10 * SLACK)
        with lock:
            got.append(v)
        c.close()

    threads = [threading.Thread(target=waiter) for _ in range(n)]
    for i, t in enumerate(threads):
        t.start()
        wait_blocked(r, i + 1)
    pushers = [server.client() for _ in range(n)]
    for i, p in enumerate(pushers):
        p.lpush("jobs", "job%d" % i)
        deadline = time.time() + 5 * SLACK
        while len(got) < i + 1 and time.time() < deadline:
            time.sleep(0.002)
        assert len(got) == i + 1
    for t in threads:
        t.join()
    assert sorted(v for _, v in got) == sorted(b"job%d" % i for i in range(n))
    for p in pushers:
        p.close()


def test_disconnect_while_blocked(server, r):
    s = socket.create_connection(("127.0.0.1", server.port))
    s.sendall(encode_command("BLPOP", "q", "0"))
    wait_blocked(r, 1)
    s.close()
    wait_blocked(r, 0)
    r.rpush("q", "x")
    assert r.lrange("q", 0, -1) == [b"x"]  # nobody took it


def test_client_unblock(server, r):
    c = server.client()
    cid = c.client_id()
    out = []

    def run(cmd):
        try:
            out.append(cmd())
        except redis.ResponseError as e:
            out.append(str(e))

    t = threading.Thread(target=run, args=(lambda: c.blpop("q", 0),))
    t.start()
    wait_blocked(r, 1)
    info = [x for x in r.client_list() if int(x["id"]) == cid][0]
    assert info["flags"] == "b" and info["cmd"] == "blpop"
    assert r.client_unblock(cid) is True
    t.join()
    t = threading.Thread(target=run, args=(lambda: c.brpoplpush("q", "d", 0),))
    t.start()
    wait_blocked(r, 1)
    assert r.client_unblock(cid, error=True) is True
    t.join()
    assert out == [None, "UNBLOCKED client unblocked via CLIENT UNBLOCK"]
    assert r.client_unblock(cid) is False
    with pytest.raises(redis.ResponseError, match="reason should be TIMEOUT or ERROR"):
        r.execute_command("CLIENT", "UNBLOCK", cid, "FOO")
    c.close()


def test_pipeline_waits_behind_blocked_command(server, r):
    c = RawConn(server.port)
    try:
        c.send(encode_command("BLPOP", "q", "0") + encode_command("PING") +
               encode_command("LLEN", "q"))
        wait_blocked(r, 1)
        c.sock.settimeout(0.2)
        with pytest.raises(socket.timeout):
            c.read_reply()
        c.sock.settimeout(10 * SLACK)
        r.rpush("q", "a", "b")
        assert c.read_reply() == arr(bulk("q"), bulk("a"))
        assert c.read_reply() == b"+PONG\r\n"
        assert c.read_reply() == integer(1)
    finally:
        c.close()


def test_blmove_chain(server, r):
    """a -> b -> c: the element pushed into b by the first BLMOVE wakes the
    client blocked on b."""
    out = {}

    def mover(src, dst):
        c = server.client()
        out[src] = c.blmove(src, dst, 10 * SLACK, "LEFT", "RIGHT")
        c.close()

    t1 = threading.Thread(target=mover, args=("a", "b"))
    t1.start()
    wait_blocked(r, 1)
    t2 = threading.Thread(target=mover, args=("b", "c"))
    t2.start()
    wait_blocked(r, 2)
    r.lpush("a", "x")
    t1.join()
    t2.join()
    assert out == {"a": b"x", "b": b"x"}
    assert r.lrange("c", 0, -1) == [b"x"]
    assert r.exists("a", "b") == 0


def test_blmpop_served_with_count(server, r):
    res = []
    c = server.client()
    t = threading.Thread(target=lambda: res.append(
        c.execute_command("BLMPOP", 10 * SLACK, 2, "x", "y", "RIGHT", "COUNT", 2)))
    t.start()
    wait_blocked(r, 1)
    r.rpush("y", "1", "2", "3")
    t.join()
    assert res == [[b"y", [b"3", b"2"]]]
    c.close()


def test_served_pop_is_atomic_stays_blocked(server, r):
    """Two waiters, one element: exactly one is served, the other stays
    blocked until its timeout."""
    res = []

    def waiter():
        c = server.client()
        res.append(c.blpop("one", 1.0))
        c.close()

    ts = [threading.Thread(target=waiter) for _ in range(2)]
    for i, t in enumerate(ts):
        t.start()
        wait_blocked(r, i + 1)
    r.rpush("one", "v")
    wait_blocked(r, 1)
    for t in ts:
        t.join()
    assert sorted(res, key=lambda x: x is None) == [(b"one", b"v"), None]


def test_job_queue_workers(server, r, scale):
    """The seeds' pattern: producers LPUSH, worker loops BRPOP."""
    jobs = scale(2000)
    done = []
    lock = threading.Lock()

    def worker():
        c = server.client()
        while True:
            item = c.brpop(["jobs", "stop"], 10 * SLACK)
            if item is None or item[0] == b"stop":
                break
            with lock:
                done.append(item[1])
        c.close()

    workers = [threading.Thread(target=worker) for _ in range(4)]
    for w in workers:
        w.start()
    producers = [server.client() for _ in range(2)]
    for i in range(jobs):
        producers[i % 2].lpush("jobs", "job:%d" % i)
    deadline = time.time() + 30 * SLACK
    while len(done) < jobs and time.time() < deadline:
        time.sleep(0.01)
    r.rpush("stop", *["s"] * 4)
    for w in workers:
        w.join()
    assert sorted(done) == sorted(b"job:%d" % i for i in range(jobs))
    for p in producers:
        p.close()


def test_command_metadata(r):
    info = r.command()
    assert info["blpop"]["flags"] == ["write", "noscript", "blocking"]
    assert info["blpop"]["arity"] == -3 and info["blpop"]["last_key_pos"] == -2
    assert "movablekeys" in info["lmpop"]["flags"]
    assert info["lpush"]["flags"] == ["write", "denyoom", "fast"]


def blocked_call(server, fn):
    """Runs fn(client) on a fresh connection in a thread; returns (thread, results)."""
    out = []
    c = server.client()

    def run():
        out.append(fn(c))
        c.close()

    t = threading.Thread(target=run)
    t.start()
    return t, out


def test_waiters_of_another_type_are_passed_over(server, r):
    """A push serves the first list waiter even when a sorted-set waiter came
    first on the same key (as Redis serves each type to its own waiters)."""
    tz, outz = blocked_call(server, lambda c: c.bzpopmin("k", 1 * SLACK))
    wait_blocked(r, 1)
    tl, outl = blocked_call(server, lambda c: c.blpop("k", 10 * SLACK))
    wait_blocked(r, 2)
    r.rpush("k", "x")
    tl.join()
    assert outl == [(b"k", b"x")]
    tz.join()
    assert outz == [None] and r.exists("k") == 0


@pytest.mark.parametrize("how", ["rename", "copy", "move", "swapdb"])
def test_keys_arriving_without_a_push_wake_waiters(server, r, how):
    """RENAME, COPY, MOVE and SWAPDB give a waited-on key a list: the waiter
    gets it at once, as in Redis."""
    t, out = blocked_call(server, lambda c: c.blpop("k", 10 * SLACK))
    wait_blocked(r, 1)
    other = server.client(db=1)
    if how == "rename":
        r.rpush("tmp", "x")
        r.rename("tmp", "k")
    elif how == "copy":
        r.rpush("tmp", "x")
        r.copy("tmp", "k")
    elif how == "move":
        other.rpush("k", "x")
        other.move("k", 0)
    else:
        other.rpush("k", "x")
        r.swapdb(0, 1)
    t.join()
    assert out == [(b"k", b"x")]
    other.close()


def test_largest_timeout_blocks(server, r):
    """2^63-1 ms (9223372036854775.807 s) is a valid timeout, as in Redis; one
    millisecond more is "timeout is negative"."""
    c = server.client()
    cid = c.client_id()
    t, out = blocked_call(server, lambda _: c.blpop("q", "9223372036854775.807"))
    wait_blocked(r, 1)
    assert r.client_unblock(cid) is True
    t.join()
    assert out == [None]
    with pytest.raises(redis.ResponseError, match="timeout is negative"):
        c.blpop("q", "9223372036854775.808")
    c.close()
