"""The append-only file: what was acknowledged survives kill -9 (appendfsync
always: everything; everysec: all but about the last second), replay gives
back the same dataset (relative TTLs, SPOP, scripts, blocking pops,
memcached writes), BGREWRITEAOF and automatic rewrites under writes,
truncated and corrupt files, and turning the AOF on at run time.
"""

import os
import random
import signal
import subprocess
import threading
import time

import pytest
import redis

from conftest import (IS_MAGPIE, MAGPIE_BIN, SANITIZED, ServerProcess, free_port,
                      pipelined_set, plain, wait_for)

pytestmark = pytest.mark.skipif(not IS_MAGPIE, reason="Magpie's AOF layout and restarts")

ITERATIONS = 2 if SANITIZED else 6




class AofServer:
    """A Magpie with appendonly yes in its own dir, restartable after kill -9."""

    def __init__(self, extra=()):
        self.s = ServerProcess(name="aof")
        self.extra = ["--appendonly", "yes"] + list(extra)

    def start(self, extra=()):
        self.s.start(self.extra + list(extra), port=self.s.port)
        return self

    def kill9(self):
        self.s.proc.send_signal(signal.SIGKILL)
        self.s.proc.wait(30)
        self.s.stop()

    def client(self, **kw):
        return self.s.client(**kw)

    @property
    def dir(self):
        return os.path.join(self.s.dir, "appendonlydir")

    def incr_file(self):
        names = sorted(f for f in os.listdir(self.dir) if f.endswith(".incr.aof"))
        return os.path.join(self.dir, names[-1])


@pytest.fixture
def aof_server():
    made = []

    def make(extra=()):
        a = AofServer(extra)
        made.append(a)
        return a.start()

    yield make
    for a in made:
        a.s.cleanup()




def write_load(server, seconds_or_event, acked, lock, writer_id):
    """SETs unique keys and INCRs a per-writer counter; records what was acknowledged."""
    c = server.client()
    i = 0
    try:
        while not seconds_or_event.is_set():
            key = "w%d:%d" % (writer_id, i)
            c.set(key, i)
            with lock:
                acked["keys"].append(key)
            n = c.incr("counter:%d" % writer_id)
            with lock:
                acked["counter:%d" % writer_id] = n
            i += 1
    except (redis.ConnectionError, redis.TimeoutError, ConnectionResetError):
        pass  # the server was killed under us


def test_kill9_always_loses_nothing_acknowledged(aof_server):
    a = aof_server(["--appendfsync", "always"])
    rng = random.Random(7)
    for iteration in range(ITERATIONS):
        acked = {"keys": []}
        lock = threading.Lock()
        stop = threading.Event()
        writers = [threading.Thread(target=write_load, args=(a, stop, acked, lock, w))
                   for w in range(3)]
        for t in writers:
            t.start()
        time.sleep(rng.uniform(0.2, 0.6))
        a.kill9()
        stop.set()
        for t in writers:
            t.join(30)
        a.start()
        c = a.client()
        missing = [k for k in acked["keys"] if c.exists(k) == 0]
        assert not missing, "iteration %d lost %d acknowledged keys, e.g. %s" % (
            iteration, len(missing), missing[:3])
        for w in range(3):
            want = acked.get("counter:%d" % w)
            if want is not None:
                got = int(c.get("counter:%d" % w))
                # The INCR may have been logged and not acknowledged: never less.
                assert got >= want, (w, got, want)
        assert len(acked["keys"]) > 0


def test_kill9_everysec_loses_at_most_about_a_second(aof_server):
    a = aof_server(["--appendfsync", "everysec"])
    for _ in range(max(1, ITERATIONS // 2)):
        c = a.client()
        stamps = []
        stop_at = time.monotonic() + 1.5
        i = 0
        while time.monotonic() < stop_at:
            c.set("e:%d" % i, i)
            stamps.append((time.monotonic(), "e:%d" % i))
            i += 1
        killed_at = time.monotonic()
        a.kill9()
        a.start()
        c = a.client()
        lost = [t for t, k in stamps if c.exists(k) == 0]
        if lost:
            assert killed_at - min(lost) <= 1.5, "lost writes from %.2fs before the kill" % (
                killed_at - min(lost))
        c.flushall()


def test_replay_gives_back_the_same_dataset(aof_server):
    a = aof_server(["--appendfsync", "always", "--memcached-port", str(free_port())])
    c = a.client()
    c.set("rel", "v", ex=100)
    c.setex("rel2", 100, "v")
    c.expire("plain", 50)  # no key: not logged
    c.set("plain", "p")
    c.expire("plain", 100)
    c.sadd("s", *range(50))
    popped = c.spop("s", 10)
    c.spop("s")
    before_set = c.smembers("s")
    c.eval("redis.call('set', KEYS[1], math.random()) redis.call('incr', KEYS[2])", 2, "r", "cnt")
    script_value = c.get("r")
    p = c.pipeline(transaction=True)
    p.incr("tx1").incr("tx2").lpush("txl", "a", "b")
    p.execute()
    c.execute_command("SELECT", 3)
    c.set("db3", "x")
    c.execute_command("SELECT", 0)
    # A blocked BLPOP served by a push from another client.
    got = []
    blocker = threading.Thread(target=lambda: got.append(a.client().blpop("q", timeout=10)))
    blocker.start()
    wait_for(lambda: c.info("clients")["blocked_clients"] == 1, what="the BLPOP to block")
    c.rpush("q", "one", "two")
    blocker.join(10)
    assert got == [(b"q", b"one")]
    # memcached writes.
    from pymemcache.client.base import Client
    mc_port = int(a.extra[a.extra.index("--memcached-port") + 1])
    mc = Client(("127.0.0.1", mc_port))
    mc.set("mckey", "mcvalue", expire=100)
    mc.set("n", "5")
    mc.incr("n", 10)
    mc.close()
    c.set("gone", "x", px=50)
    time.sleep(0.1)
    assert c.get("gone") is None  # lazily expired: logged as DEL
    ttl_before = c.pttl("rel")
    time.sleep(1.1)
    a.kill9()
    a.start()
    c = a.client()
    # Relative TTLs were logged as deadlines, not reset by the replay.
    assert 0 < c.pttl("rel") <= ttl_before - 1000
    assert 0 < c.pttl("rel2") <= 99_000 and 0 < c.pttl("plain") <= 99_000
    assert c.smembers("s") == before_set and not (set(popped) & c.smembers("s"))
    assert c.get("r") == script_value and c.get("cnt") == b"1"
    assert c.get("tx1") == b"1" and c.get("tx2") == b"1" and c.lrange("txl", 0, -1) == [b"b", b"a"]
    assert c.lrange("q", 0, -1) == [b"two"]
    assert c.get("mckey") == b"mcvalue" and 0 < c.ttl("mckey") <= 100
    assert c.get("n") == b"15"
    assert c.exists("gone") == 0
    c.execute_command("SELECT", 3)
    assert c.get("db3") == b"x"


def test_rewrite_under_writes_is_a_point_in_time(aof_server):
    a = aof_server(["--appendfsync", "everysec"])
    c = plain(a.client())
    filler = 5000 if SANITIZED else 100000
    pipelined_set(c, "f:%d", filler, "x" * 40)
    stop = threading.Event()
    last = {"n": 0}

    def writer():
        w = a.client()
        try:
            while not stop.is_set():
                tx = w.pipeline(transaction=True)
                tx.incr("a").incr("b")
                n, _ = tx.execute()
                last["n"] = n
        except (redis.ConnectionError, redis.TimeoutError):
            pass

    t = threading.Thread(target=writer)
    t.start()
    try:
        for _ in range(2):
            assert c.execute_command("BGREWRITEAOF") == b"Background append only file rewriting started"
            wait_for(lambda: c.info("persistence")["aof_rewrite_in_progress"] == 0, what="rewrite")
            assert c.info("persistence")["aof_last_bgrewrite_status"] == "ok"
    finally:
        stop.set()
        t.join(30)
    want = last["n"]
    files = sorted(os.listdir(a.dir))
    assert any(f.endswith(".base.rdb") for f in files) and sum(f.endswith(".incr.aof") for f in files) == 1
    a.s.stop()  # clean shutdown: everything written
    a.start()
    c = a.client()
    assert int(c.get("a")) == int(c.get("b")) == want
    assert c.dbsize() == filler + 2


def test_auto_rewrite(aof_server):
    a = aof_server(["--auto-aof-rewrite-min-size", "100kb", "--auto-aof-rewrite-percentage", "50"])
    c = a.client()
    for i in range(3000):
        c.set("k%d" % (i % 100), "v" * 100)
    wait_for(lambda: c.info("persistence")["aof_rewrites"] >= 1, what="an automatic rewrite")
    assert c.info("persistence")["aof_current_size"] < 300 * 1024


def start_expecting(directory, extra):
    args = [MAGPIE_BIN, "--port", str(free_port()), "--bind", "127.0.0.1", "--threads", "2",
            "--memcached-port", "0", "--http-port", "0", "--save", "", "--appendonly", "yes"] + list(extra)
    p = subprocess.Popen(args, cwd=directory, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True)
    try:
        out, _ = p.communicate(timeout=3 if not SANITIZED else 15)
        return p.returncode, out
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
        return None, out  # it started: still running


def test_truncated_tail(aof_server):
    a = aof_server()
    c = a.client()
    c.set("k1", "v1")
    c.set("k2", "v2")
    directory = a.s.dir
    a.s.stop()
    path = a.incr_file()
    good = os.path.getsize(path)
    with open(path, "ab") as f:
        f.write(b"*3\r\n$3\r\nSET\r\n$2\r\nk3\r\n$5\r\nhal")  # cut mid-command
    rc, out = start_expecting(directory, ["--aof-load-truncated", "no"])
    assert rc not in (None, 0), out
    assert "Unexpected end of file reading the append only file" in out and "offset" in out, out
    a.start(["--aof-load-truncated", "yes"])
    c = a.client()
    assert c.get("k1") == b"v1" and c.get("k2") == b"v2" and c.exists("k3") == 0
    assert os.path.getsize(path) == good  # the partial command was cut off
    assert "Truncating the AOF" in open(a.s.log_path, errors="replace").read()
    c.set("k4", "v4")
    a.kill9()
    a.start()
    assert a.client().get("k4") == b"v4"


def test_truncated_transaction_is_dropped(aof_server):
    a = aof_server()
    c = a.client()
    c.set("before", "1")
    a.s.stop()
    with open(a.incr_file(), "ab") as f:
        f.write(b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$3\r\ntx1\r\n$1\r\n1\r\n")
    a.start()
    c = a.client()
    assert c.get("before") == b"1" and c.exists("tx1") == 0


def test_corrupt_aof_refuses_to_start(aof_server):
    a = aof_server()
    a.client().set("k1", "v1")
    directory = a.s.dir
    a.s.stop()
    path = a.incr_file()
    with open(path, "ab") as f:
        f.write(b"garbage that is not RESP\r\n*1\r\n$4\r\nPING\r\n")
    rc, out = start_expecting(directory, [])
    assert rc not in (None, 0), out
    assert "Bad file format reading the append only file" in out and os.path.basename(path) in out, out


def test_enable_at_run_time_and_disable(aof_server, server_factory):
    s = server_factory()
    c = s.client()
    c.set("early", "1")
    c.config_set("appendonly", "yes")
    assert c.config_get("appendonly") == {"appendonly": "yes"}
    wait_for(lambda: c.info("persistence")["aof_rewrite_in_progress"] == 0, what="the first base")
    c.set("late", "2")
    assert c.info("persistence")["aof_enabled"] == 1
    files = os.listdir(os.path.join(s.dir, "appendonlydir"))
    assert "appendonly.aof.manifest" in files
    s.proc.send_signal(signal.SIGKILL)
    s.proc.wait(30)
    port = s.port
    s.stop()
    s.start(["--appendonly", "yes"], port=port)
    c = s.client()
    assert c.get("early") == b"1" and c.get("late") == b"2"
    c.config_set("appendonly", "no")
    assert c.info("persistence")["aof_enabled"] == 0


def test_one_snapshot_at_a_time(aof_server):
    """A BGSAVE and an AOF rewrite never cut at once: the second waits, as Redis
    makes them wait for each other's child."""
    a = aof_server()
    c = plain(a.client())
    n = 20000 if SANITIZED else 300000
    pipelined_set(c, "k:%d", n, "v" * 50)
    assert c.execute_command("BGSAVE") == b"Background saving started"
    reply = c.execute_command("BGREWRITEAOF")
    if c.info("persistence")["rdb_bgsave_in_progress"] == 1:
        assert reply == b"Background append only file rewriting scheduled"
    wait_for(lambda: c.info("persistence")["aof_rewrites"] >= 1, what="the scheduled rewrite")
    wait_for(lambda: c.info("persistence")["rdb_saves"] >= 1
             and c.info("persistence")["aof_rewrite_in_progress"] == 0, what="both to end")
    assert c.execute_command("BGREWRITEAOF") == b"Background append only file rewriting started"
    try:
        reply = c.execute_command("BGSAVE")
    except redis.ResponseError as e:
        reply = str(e)
    if c.info("persistence")["aof_rewrite_in_progress"] == 1:
        assert reply == ("Another child process is active (AOF?): can't BGSAVE right now. Use "
                         "BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.")
        scheduled = c.execute_command("BGSAVE", "SCHEDULE")
        if c.info("persistence")["aof_rewrite_in_progress"] == 1:
            assert scheduled == b"Background saving scheduled"
    wait_for(lambda: c.info("persistence")["aof_rewrite_in_progress"] == 0
             and c.info("persistence")["rdb_bgsave_in_progress"] == 0, what="both to end")
    a.kill9()
    a.start()
    assert a.client().dbsize() == n
