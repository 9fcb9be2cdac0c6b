"""Operational behaviour: limits, timeouts, pauses, signals, config errors, threads."""
import os
import signal
import socket
import subprocess
import threading
import time

import pytest
import redis

from conftest import MAGPIE_BIN, RawConn, encode_command, free_port

pytestmark = pytest.mark.usefixtures("is_magpie")


def magpie_only(is_magpie):
    if not is_magpie:
        pytest.skip("Magpie-specific operational test")


def test_maxclients_rejects_with_redis_error(server_factory, is_magpie):
    magpie_only(is_magpie)
    s = server_factory(["--maxclients", "3"])
    held = []
    deadline = time.time() + 10
    while len(held) < 3:
        c = RawConn(s.port, timeout=10)
        reply = c.cmd("PING")
        if reply == b"+PONG\r\n":
            held.append(c)
            continue
        # the start-up probe's connection may not be closed on the server yet
        assert reply == b"-ERR max number of clients reached\r\n" and time.time() < deadline
        c.close()
        time.sleep(0.05)
    extra = socket.create_connection(("127.0.0.1", s.port), timeout=5)
    assert extra.recv(100) == b"-ERR max number of clients reached\r\n"
    extra.close()
    held[0].close()
    # The freed slot is usable once the server has seen the close.
    deadline = time.time() + 10
    while True:
        fresh = s.client()
        try:
            assert fresh.ping()
            break
        except redis.ConnectionError:
            fresh.close()
            assert time.time() < deadline, "slot of a closed client never freed"
            time.sleep(0.1)
    assert int(fresh.info("stats")["rejected_connections"]) >= 1


def test_output_buffer_limit_disconnects_client_that_never_reads(server_factory, is_magpie,
                                                                  sanitized):
    magpie_only(is_magpie)
    s = server_factory(["--client-output-buffer-limit", "normal 1mb 0 0"])
    c = s.client()
    c.set("big", b"x" * (512 * 1024))
    hog = socket.create_connection(("127.0.0.1", s.port), timeout=10)
    hog.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    # Ask for 200 MB of replies and never read them.
    try:
        hog.sendall(encode_command("GET", "big") * 400)
    except OSError:
        pass
    deadline = time.time() + 10
    while time.time() < deadline:
        if "addr=" + "%s:%d" % hog.getsockname() not in c.execute_command("CLIENT", "LIST").decode():
            break
        time.sleep(0.1)
    else:
        pytest.fail("client over the output buffer limit was not disconnected")
    hog.close()
    assert c.ping()
    if not sanitized:  # ASan's quarantine keeps freed memory resident on purpose
        rss_kb = int(open("/proc/%d/status" % s.pid).read().split("VmRSS:")[1].split()[0])
        assert rss_kb < 150 * 1024, "server kept the never-read replies: RSS %d kB" % rss_kb


def test_idle_timeout_closes_connection(server_factory, is_magpie):
    magpie_only(is_magpie)
    s = server_factory(["--timeout", "1", "--hz", "50"])
    idle = RawConn(s.port, timeout=10)
    assert idle.cmd("PING") == b"+PONG\r\n"
    assert idle.read_until_close(timeout=5) == b""


def test_client_pause_write_blocks_writes_not_reads(server, is_magpie):
    magpie_only(is_magpie)
    admin = server.client()
    admin.set("k", "v")
    admin.execute_command("CLIENT", "PAUSE", "300", "WRITE")
    other = server.client()
    assert other.get("k") == b"v"  # reads are served during a write pause
    t0 = time.monotonic()
    other.set("k", "w")  # postponed until the pause ends
    assert time.monotonic() - t0 >= 0.2
    assert other.get("k") == b"w"


def test_client_unpause_releases_postponed_clients(server, is_magpie):
    magpie_only(is_magpie)
    admin = server.client()
    admin.execute_command("CLIENT", "PAUSE", "20000", "WRITE")
    done = []

    def writer():
        server.client().set("p", "1")
        done.append(time.monotonic())

    t = threading.Thread(target=writer)
    t.start()
    time.sleep(0.3)
    assert not done
    start = time.monotonic()
    admin.execute_command("CLIENT", "UNPAUSE")
    t.join(5)
    assert done and done[0] - start < 2


def test_sigterm_shuts_down_cleanly(server_factory, is_magpie, tmp_path):
    magpie_only(is_magpie)
    pidfile = str(tmp_path / "magpie.pid")
    s = server_factory(["--pidfile", pidfile])
    assert int(open(pidfile).read()) == s.pid
    s.proc.send_signal(signal.SIGTERM)
    assert s.wait_exit(10) == 0
    assert not os.path.exists(pidfile)
    assert "Received SIGTERM scheduling shutdown" in s.log_tail()


def test_shutdown_command_exits_zero(server_factory, is_magpie):
    magpie_only(is_magpie)
    s = server_factory()
    c = RawConn(s.port, timeout=10)
    c.send(encode_command("SHUTDOWN", "NOSAVE"))
    assert c.read_until_close(timeout=10) == b""
    assert s.wait_exit(10) == 0


@pytest.mark.parametrize("line,reason", [
    ("port abc", "argument couldn't be parsed into an integer"),
    ("no-such-directive 1", "Bad directive or wrong number of arguments"),
    ("loglevel loud", "argument(s) must be one of the following"),
])
def test_bad_config_file_stops_startup_with_file_line_reason(tmp_path, is_magpie, line, reason):
    magpie_only(is_magpie)
    conf = tmp_path / "magpie.conf"
    conf.write_text("# test\nthreads 1\n%s\n" % line)
    p = subprocess.run([MAGPIE_BIN, str(conf)], capture_output=True, timeout=30, text=True)
    assert p.returncode != 0
    out = p.stdout + p.stderr
    assert str(conf) in out and "at line 3" in out and reason in out, out


def test_bad_flag_stops_startup(is_magpie):
    magpie_only(is_magpie)
    p = subprocess.run([MAGPIE_BIN, "--port", str(free_port()), "--maxclients", "0"],
                       capture_output=True, timeout=30, text=True)
    assert p.returncode != 0
    assert "argument must be between 1 and" in p.stdout + p.stderr


def test_single_thread_mode_works(server_factory, is_magpie):
    magpie_only(is_magpie)
    s = server_factory(["--threads", "1"])
    c = s.client()
    assert c.set("a", 1) and c.incr("a") == 2
    assert c.info("server")["threads"] == 1


def test_increments_from_clients_on_all_workers_are_atomic(server_factory, is_magpie, scale):
    magpie_only(is_magpie)
    s = server_factory(["--threads", "4"])
    n_clients, n_incr = 16, scale(2000)
    ids = set()

    def work():
        c = redis.Redis(port=s.port)
        ids.add(c.client_id())
        p = c.pipeline(transaction=False)
        for _ in range(n_incr):
            p.incr("counter")
            p.mset({"a": "1", "b": "2"})
        p.execute()

    threads = [threading.Thread(target=work) for _ in range(n_clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert int(s.client().get("counter")) == n_clients * n_incr
    assert len(ids) == n_clients


def thread_cpu_ticks(pid):
    """utime + stime of each thread of a process, by thread id."""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        out[tid] = int(fields[11]) + int(fields[12])
    return out


def test_connections_are_spread_over_the_workers(server_factory, is_magpie):
    """Clients that connect one after another to an idle server land on
    different workers, so two busy clients keep two worker threads busy."""
    magpie_only(is_magpie)
    s = server_factory(["--threads", "2"])
    clients = [RawConn(s.port) for _ in range(2)]
    before = thread_cpu_ticks(s.pid)
    batch = encode_command("PING") * 2000

    def work(c):
        for _ in range(100):
            c.send(batch)
            c.read_n(2000)

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    after = thread_cpu_ticks(s.pid)
    used = sorted((after[t] - before.get(t, 0) for t in after), reverse=True)
    assert used[0] > 0 and used[1] >= used[0] // 4, used
    for c in clients:
        c.close()


def test_requirepass_config_file_and_auth(server_factory, is_magpie, tmp_path):
    magpie_only(is_magpie)
    conf = tmp_path / "magpie.conf"
    conf.write_text('requirepass "s3cret"\n')
    s = server_factory([str(conf)])
    c = RawConn(s.port, timeout=10)
    assert c.cmd("GET", "x") == b"-NOAUTH Authentication required.\r\n"
    assert c.cmd("AUTH", "nope") == (
        b"-WRONGPASS invalid username-password pair or user is disabled.\r\n")
    assert c.cmd("AUTH", "s3cret") == b"+OK\r\n"
    assert c.cmd("GET", "x") == b"$-1\r\n"


def test_client_reply_off_and_skip_cover_every_reply(server, raw):
    c = raw()
    c.send(encode_command("CLIENT", "REPLY", "OFF") + encode_command("NOSUCH") +
           encode_command("GET") + encode_command("CLIENT", "REPLY", "SKIP") +
           encode_command("SET", "k", "v") + encode_command("CLIENT", "REPLY", "ON"))
    assert c.read_reply() == b"+OK\r\n"  # only ON answers
    c.send(encode_command("CLIENT", "REPLY", "SKIP") + encode_command("NOSUCH") +
           encode_command("PING"))
    assert c.read_reply() == b"+PONG\r\n"


def test_pathological_pattern_does_not_stall_the_server(server, raw):
    c = raw()
    assert c.cmd("SET", "a" * 40, "v") == b"+OK\r\n"
    t0 = time.monotonic()
    assert c.cmd("KEYS", "*a*a*a*a*a*a*a*a*a*a*a*a*b") == b"*0\r\n"
    assert time.monotonic() - t0 < 2


def test_config_rewrite_round_trips_tricky_values(server_factory, is_magpie, tmp_path):
    magpie_only(is_magpie)
    conf = tmp_path / "magpie.conf"
    conf.write_text('bind 127.0.0.1 127.0.0.2\n')
    s = server_factory([str(conf)])
    c = s.client(decode_responses=True)
    tricky = 'pa ss"wo\\rd'
    c.config_set("requirepass", tricky)
    c.execute_command("AUTH", tricky)
    assert c.execute_command("CONFIG", "REWRITE") == "OK"
    port = s.port
    s.stop()
    s.start([str(conf)], port=port)
    c = s.client(decode_responses=True, password=tricky)
    # (the harness's --bind flag overrides the file's bind, so only the
    # rewritten text can show that multi-word values are written as words)
    assert "\nbind 127.0.0.1\n" in "\n" + conf.read_text()
    assert c.ping()


def test_client_pause_freezes_expiry(server, is_magpie):
    magpie_only(is_magpie)
    c = server.client()
    c.flushall()
    p = c.pipeline(transaction=False)
    for i in range(50):
        p.set("px:%d" % i, "v", px=100)
    p.execute()
    c.execute_command("CLIENT", "PAUSE", "1500", "WRITE")
    time.sleep(0.6)
    assert c.dbsize() == 50       # nothing reclaimed while paused...
    assert c.get("px:1") is None  # ...though expired keys read as missing
    c.execute_command("CLIENT", "UNPAUSE")
    deadline = time.time() + 5
    while c.dbsize() and time.time() < deadline:
        time.sleep(0.1)
    assert c.dbsize() == 0
