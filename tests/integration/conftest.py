"""Shared fixtures for Magpie's integration tests.

The server under test is the binary named by $MAGPIE_BIN (default
<repo>/build/magpie-server).  Setting MAGPIE_BIN=/usr/bin/redis-server runs
the very same suite against the real Redis 7.0, which is how the tests
themselves are validated: Magpie must answer exactly like Redis 7.0.

A binary whose file name starts with "redis-server" is treated as Redis (no
--threads flag, is_magpie is False); anything else is Magpie.

With MAGPIE_SANITIZED=1 (an ASan build) start timeouts are longer and heavy
loops shrink through the `scale` fixture.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import pytest
import redis

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
MAGPIE_BIN = os.path.abspath(
    os.environ.get("MAGPIE_BIN") or os.path.join(REPO, "build", "magpie-server"))
REDIS_REF_BIN = os.environ.get("REDIS_REF_BIN", "/usr/bin/redis-server")
SANITIZED = os.environ.get("MAGPIE_SANITIZED", "") not in ("", "0")
IS_MAGPIE = not os.path.basename(MAGPIE_BIN).startswith("redis-server")
PYTHON = "/usr/bin/python3"

START_TIMEOUT = 60.0 if SANITIZED else 10.0
STOP_TIMEOUT = 30.0 if SANITIZED else 10.0
# Multiplier for loop sizes: full size on a release build, small under ASan.
SCALE = 0.1 if SANITIZED else 1.0


# ---------------------------------------------------------------------------
# process helpers
# ---------------------------------------------------------------------------

def free_port():
    """A TCP port that was free a moment ago (never 6379 / 11211)."""
    while True:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        finally:
            s.close()
        if port not in (6379, 11211):
            return port


def _log_tail(path, n=40):
    try:
        with open(path, "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
        return "\n".join(lines[-n:])
    except OSError as e:
        return "<no log: %s>" % e


# Raw RESP reply builders shared by the byte-exact tests.
OK = b"+OK\r\n"
NIL = b"$-1\r\n"


def wait_for(pred, timeout=None, what="condition", interval=0.02, tolerate=()):
    """Polls pred() until it returns something true and returns that; fails after
    `timeout` seconds (default 15, 60 under the sanitizers). Exceptions of the
    `tolerate` types count as not yet."""
    deadline = time.monotonic() + (timeout or (60.0 if SANITIZED else 15.0))
    last = None
    while time.monotonic() < deadline:
        try:
            last = pred()
            if last:
                return last
        except tolerate as e:
            last = e
        time.sleep(interval)
    raise AssertionError("timed out waiting for %s (last: %r)" % (what, last))


def plain(c):
    """The client with redis-py's reply conversions off for the persistence commands
    (their replies are compared as the server sends them)."""
    for name in ("SAVE", "BGSAVE", "BGREWRITEAOF", "LASTSAVE", "SHUTDOWN"):
        c.response_callbacks.pop(name, None)
    return c


def pipelined_set(c, fmt, n, value, batch=5000):
    """SETs fmt % i to value for i in range(n), `batch` commands per round trip."""
    p = c.pipeline(transaction=False)
    for i in range(n):
        p.set(fmt % i, value)
        if i % batch == batch - 1:
            p.execute()
    p.execute()


def bulk(s):
    if isinstance(s, str):
        s = s.encode()
    return b"$%d\r\n%s\r\n" % (len(s), s)


def integer(n):
    return b":%d\r\n" % n


def err(msg):
    return b"-" + msg.encode() + b"\r\n"


def arity(cmd):
    return err("ERR wrong number of arguments for '%s' command" % cmd)


NOT_INT = err("ERR value is not an integer or out of range")


def stop_process(proc):
    """Stops a child by its PID (SIGTERM, then SIGKILL); returns its exit code."""
    if proc is None:
        return None
    if proc.poll() is None:
        try:
            proc.send_signal(signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(STOP_TIMEOUT)
    return proc.returncode


def sanitizer_report(log_path):
    """ASan/UBSan/LSan findings in a server log, if any."""
    try:
        text = open(log_path, errors="replace").read()
    except OSError:
        return ""
    for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
        at = text.find(marker)
        if at >= 0:
            return text[max(0, at - 200):at + 3000]
    return ""


def _ping_once(port, timeout=1.0):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(b"*1\r\n$4\r\nPING\r\n")
            data = b""
            while not data.endswith(b"\r\n"):
                chunk = s.recv(64)
                if not chunk:
                    break
                data += chunk
            # +PONG, or -NOAUTH when a password is set: both mean "up".
            return data.startswith(b"+PONG") or data.startswith(b"-NOAUTH")
    except OSError:
        return False


class ServerProcess:
    """One server process on its own free port, logging into a tmp dir."""

    def __init__(self, binary=MAGPIE_BIN, magpie=None, name="server"):
        self.binary = binary
        self.magpie = IS_MAGPIE if magpie is None else magpie
        self.name = name
        self.proc = None
        self.port = None
        self.args = []
        self.dir = tempfile.mkdtemp(prefix="magpie-it-%s-" % name)
        self.log_path = os.path.join(self.dir, "server.log")
        self._log = None

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def command_line(self, port, extra_args=()):
        cmd = [self.binary]
        extra = list(extra_args)
        # A config file, when given, must come first (redis-server syntax).
        if extra and not extra[0].startswith("--"):
            cmd.append(extra.pop(0))
        cmd += ["--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        if self.magpie:
            cmd += ["--threads", "2", "--memcached-port", "0", "--http-port", "0"]
        return cmd + extra

    def start(self, extra_args=(), port=None, timeout=START_TIMEOUT):
        """Start (or restart) the server; returns self once it answers PING."""
        if self.proc is not None:
            self.stop()
        if not os.path.exists(self.binary):
            pytest.fail("server binary not found: %s (build it, or set MAGPIE_BIN)"
                        % self.binary)
        attempts = 1 if port else 3
        for _ in range(attempts):
            self.port = port or free_port()
            if self.launch(self.command_line(self.port, extra_args),
                           lambda: _ping_once(self.port), timeout):
                return self
        pytest.fail("%s did not answer PING on port %s within %.0fs (%s). Log tail:\n%s"
                    % (self.binary, self.port, timeout, self.last_err, _log_tail(self.log_path)))

    def launch(self, args, ready, timeout):
        """Runs `args`, logging to the server log, until ready() is true.
        On failure stops the process, notes why in .last_err, returns False."""
        self.args = args
        self._log = open(self.log_path, "ab")
        self._log.write(("\n=== %s\n" % " ".join(args)).encode())
        self._log.flush()
        self.proc = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=self.dir)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            if ready():
                return True
            time.sleep(0.02)
        self.last_err = "exit code %s" % self.proc.poll()
        self.stop()
        return False

    def stop(self):
        """Stop by PID: SIGTERM, wait, SIGKILL on timeout. Returns exit code."""
        rc = stop_process(self.proc)
        self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None
        return rc

    def wait_exit(self, timeout=STOP_TIMEOUT):
        """Wait for the process to exit by itself; returns its exit code."""
        rc = self.proc.wait(timeout)
        return rc

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, n=40):
        return _log_tail(self.log_path, n)

    def client(self, **kw):
        return redis.Redis(host="127.0.0.1", port=self.port,
                           socket_timeout=30 if SANITIZED else 10, **kw)

    def cleanup(self):
        self.stop()
        report = self.sanitizer_report()
        shutil.rmtree(self.dir, ignore_errors=True)
        if report:
            pytest.fail("sanitizer report in %s's log:\n%s" % (self.binary, report))

    def sanitizer_report(self):
        return sanitizer_report(self.log_path)


# ---------------------------------------------------------------------------
# raw RESP helper
# ---------------------------------------------------------------------------

class Incomplete(Exception):
    pass


class RespError(object):
    """A parsed RESP error reply (kept distinct from bulk strings)."""

    def __init__(self, msg):
        self.msg = msg

    def __eq__(self, other):
        return isinstance(other, RespError) and other.msg == self.msg

    def __repr__(self):
        return "RespError(%r)" % self.msg


class Push(list):
    """A RESP3 push (>) message."""


class Attribute(dict):
    """RESP3 attribute (|) map; the reply that follows carries it."""


def _line(buf, pos):
    end = buf.find(b"\r\n", pos)
    if end < 0:
        raise Incomplete()
    return buf[pos:end], end + 2


def parse_reply(buf, pos=0):
    """Parse one RESP2/RESP3 reply from buf at pos -> (value, new_pos).

    Raises Incomplete if buf does not yet hold a whole reply.  Attributes are
    returned as (Attribute, value) tuples; pushes as Push lists; maps as dicts
    (with keys made hashable); sets as lists (order preserved, for comparison).
    """
    if pos >= len(buf):
        raise Incomplete()
    t = buf[pos:pos + 1]
    line, pos = _line(buf, pos + 1)
    if t == b"+":
        return line, pos
    if t == b"-":
        return RespError(line), pos
    if t == b":":
        return int(line), pos
    if t == b"(":
        return int(line), pos
    if t == b",":
        return float(line.replace(b"inf", b"inf")), pos
    if t == b"#":
        return line == b"t", pos
    if t == b"_":
        return None, pos
    if t in (b"$", b"!", b"="):
        n = int(line)
        if n < 0:
            return None, pos
        if len(buf) < pos + n + 2:
            raise Incomplete()
        data = buf[pos:pos + n]
        if t == b"!":
            data = RespError(data)
        return data, pos + n + 2
    if t in (b"*", b">", b"~"):
        n = int(line)
        if n < 0:
            return None, pos
        out = Push() if t == b">" else []
        for _ in range(n):
            v, pos = parse_reply(buf, pos)
            out.append(v)
        return out, pos
    if t in (b"%", b"|"):
        n = int(line)
        d = Attribute() if t == b"|" else {}
        for _ in range(n):
            k, pos = parse_reply(buf, pos)
            v, pos = parse_reply(buf, pos)
            if isinstance(k, list):
                k = tuple(k)
            d[k] = v
        if t == b"|":
            v, pos = parse_reply(buf, pos)
            return (d, v), pos
        return d, pos
    raise ValueError("unknown RESP type byte %r at %d in %r" % (t, pos, buf[:200]))


def encode_command(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class RawConn:
    """A plain socket speaking RESP; returns replies as exact bytes."""

    def __init__(self, port, timeout=None):
        self.sock = socket.create_connection(
            ("127.0.0.1", port), timeout=timeout or (60 if SANITIZED else 10))
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def cmd(self, *args):
        """Send one command (RESP multibulk) and return the raw reply bytes."""
        self.send(encode_command(*args))
        return self.read_reply()

    def cmd_parsed(self, *args):
        self.send(encode_command(*args))
        return self.read_parsed()

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed; pending buffer %r" % self.buf[:200])
        self.buf += chunk

    def read_reply(self):
        """Read exactly one complete reply and return its raw bytes."""
        while True:
            try:
                _, end = parse_reply(self.buf, 0)
            except Incomplete:
                self._fill()
                continue
            raw, self.buf = self.buf[:end], self.buf[end:]
            return raw

    def read_parsed(self):
        return parse_reply(self.read_reply())[0]

    def read_n(self, n):
        return [self.read_reply() for _ in range(n)]

    def read_until_close(self, timeout=None):
        """Everything the server sends until it closes the connection."""
        if timeout is not None:
            self.sock.settimeout(timeout)
        data, self.buf = self.buf, b""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
        return data

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def run_differential(port_a, port_b, seed, steps, command, compare=None, setup=(),
                     teardown=(), resp3=False, check=None, label=""):
    """The loop the randomized differential tests share. Both servers (a: the
    one under test, b: redis-server) are flushed and get the `setup` commands;
    then `steps` commands from command() go to both, and compare(args, a, b)
    (default: the raw replies) must give equal values; check(a, b) runs at the
    end and `teardown` always. A divergence fails with the recent history."""
    a, b = RawConn(port_a), RawConn(port_b)
    history = []
    try:
        for conn in (a, b):
            assert conn.cmd(b"FLUSHALL") == b"+OK\r\n"
            for cmd in setup:
                conn.cmd(*cmd)
            if resp3:
                conn.cmd(b"HELLO", b"3")
        for step in range(steps):
            args = command()
            history.append(args)
            ra, rb = compare(args, a, b) if compare else (a.cmd(*args), b.cmd(*args))
            if ra != rb:
                short = lambda cmd: [x[:60] for x in cmd[:12]]  # noqa: E731
                ctx = "\n".join("    %r" % (short(h),) for h in history[-12:-1])
                pytest.fail("divergence at seed=%d step=%d (resp%d%s)\n  command: %r\n"
                            "  server under test: %r\n  redis-server:      %r\n"
                            "  previous commands:\n%s"
                            % (seed, step, 3 if resp3 else 2, label, short(args),
                               repr(ra)[:800], repr(rb)[:800], ctx))
        if check:
            check(a, b)
    finally:
        for conn in (a, b):
            for cmd in teardown:
                conn.cmd(*cmd)
        a.close()
        b.close()


# ---------------------------------------------------------------------------
# fixtures
# ---------------------------------------------------------------------------

def run_concurrently(targets, timeout):
    """Start one thread per callable and join them all (each within `timeout` s)."""
    threads = [threading.Thread(target=t) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)


@pytest.fixture(scope="session")
def is_magpie():
    return IS_MAGPIE


@pytest.fixture(scope="session")
def sanitized():
    return SANITIZED


@pytest.fixture(scope="session")
def scale():
    """scale(n) -> n on a release build, a tenth (at least 1) under ASan."""
    return lambda n: max(1, int(n * SCALE))


@pytest.fixture(scope="module")
def server():
    """A fresh server under test, shared by the tests of one module."""
    s = ServerProcess(name="module")
    s.start()
    yield s
    s.cleanup()


@pytest.fixture
def server_factory():
    """Start extra servers with their own args; all stopped after the test."""
    made = []

    def make(extra_args=(), binary=MAGPIE_BIN, magpie=None):
        s = ServerProcess(binary=binary, magpie=magpie, name="fn")
        made.append(s)
        return s.start(extra_args)

    yield make
    for s in made:
        s.cleanup()


def _check_alive(server):
    if not server.alive():
        pytest.fail("server died; log tail:\n" + server.log_tail())


@pytest.fixture
def r(server):
    """redis.Redis (bytes) on the module server; DBs flushed before the test."""
    _check_alive(server)
    c = server.client()
    c.flushall()
    yield c
    c.close()
    _check_alive(server)


@pytest.fixture
def rd(server):
    """redis.Redis with decode_responses=True; DBs flushed before the test."""
    _check_alive(server)
    c = server.client(decode_responses=True)
    c.flushall()
    yield c
    c.close()
    _check_alive(server)


@pytest.fixture
def raw(server):
    """raw(port=None) -> RawConn; all are closed after the test."""
    conns = []

    def make(port=None, timeout=None):
        c = RawConn(port or server.port, timeout)
        conns.append(c)
        return c

    yield make
    for c in conns:
        c.close()


@pytest.fixture(scope="module")
def redis_ref():
    """A real redis-server 7.0 on another free port, for differential tests."""
    if not os.path.exists(REDIS_REF_BIN):
        pytest.fail("reference redis-server not found at %s" % REDIS_REF_BIN)
    s = ServerProcess(binary=REDIS_REF_BIN, magpie=False, name="ref")
    s.start()
    yield s
    s.cleanup()


@pytest.fixture
def rc(server, raw):
    """A RawConn on the module server after FLUSHALL: rc.cmd(...) -> bytes."""
    _check_alive(server)
    c = raw()
    assert c.cmd("FLUSHALL") == b"+OK\r\n"
    return c


# ---------------------------------------------------------------------------
# examples/: a real database behind the example applications
# ---------------------------------------------------------------------------

EXAMPLES_DIR = os.path.join(REPO, "examples")
EXAMPLES_SCALE = "0.2"  # 1,000 users, 400 products, 8,000 orders


@pytest.fixture(scope="session")
def shop_db():
    """A private database with the examples' shop data, for the whole session:
    PostgreSQL (initdb + pg_ctl on a free port, stopped by PID at the end) or
    SQLite when PostgreSQL is not installed. See examples/common/database.py."""
    import sys
    if EXAMPLES_DIR not in sys.path:
        sys.path.insert(0, EXAMPLES_DIR)
    from common import database, shopdata
    db_server = database.start()
    try:
        shopdata.load(db_server.database, scale=float(EXAMPLES_SCALE))
        yield db_server.database
    finally:
        db_server.stop()


def example_env(server, db, **extra):
    """Environment for an example process: the server under test and shop_db."""
    env = dict(os.environ, REDIS_URL="redis://127.0.0.1:%d/0" % server.port,
               EXAMPLES_SCALE=EXAMPLES_SCALE, **db.env())
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run_example(relpath, env, timeout=None):
    """Runs examples/<relpath>; asserts exit 0 and a final DEMONSTRATED: line;
    returns the output."""
    p = subprocess.run([PYTHON, os.path.join(EXAMPLES_DIR, relpath)], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout or (300 if SANITIZED else 120))
    out = p.stdout.decode("utf-8", "replace")
    assert p.returncode == 0, "%s exited %d:\n%s" % (relpath, p.returncode, out[-4000:])
    assert out.strip().splitlines()[-1].startswith("DEMONSTRATED:"), out[-2000:]
    return out
