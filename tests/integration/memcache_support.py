"""Fixtures and helpers for the memcached-protocol integration tests.

The target is chosen by $MEMCACHE_TARGET:

  magpie     (default) $MAGPIE_BIN (default <repo>/build/magpie-server) started as
             magpie-server --port P --bind 127.0.0.1 --save '' --threads 2
                           --memcached-port M
             with a free Redis port P and a free memcached port M.
  memcached  the real memcached ($MEMCACHED_BIN, default /usr/bin/memcached)
             started as  memcached -p M -U 0 -l 127.0.0.1 -t 2
             This is how the tests themselves are validated: Magpie must answer
             byte for byte as memcached 1.6.18 does.

When MEMCACHE_TARGET is unset and $MAGPIE_BIN names a redis-server (the mode in
which the rest of the suite is validated against real Redis), the real
memcached is used as well, since redis-server has no memcached port.

Test modules use these with `from memcache_support import *`.  Fixture names
all start with "mc" so they never shadow conftest.py's fixtures.

  mc_server     module-scoped McServer (.mc_port, .redis_port, .pid, .is_magpie)
  mc_factory    function-scoped: mc_factory(max_item_size=None, extra_args=())
                starts a private server, stopped after the test
  mc_conn       mc_conn(port=None, timeout=None) -> McConn raw text-protocol
                socket; the keyspace is flushed (flush_all) before the test
  mc            pymemcache Client (no serde) on the flushed keyspace
  mc_pickle     pymemcache Client with pickle_serde (flags carry the type)
  mc_redis      redis.Redis on the Redis port of the same server (db 0);
                skips the test when the target is the real memcached
"""

import os
import socket
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
MAGPIE_BIN = os.path.abspath(
    os.environ.get("MAGPIE_BIN") or os.path.join(REPO, "build", "magpie-server"))
MEMCACHED_BIN = os.environ.get("MEMCACHED_BIN", "/usr/bin/memcached")
SANITIZED = os.environ.get("MAGPIE_SANITIZED", "") not in ("", "0")


def _pick_target():
    t = os.environ.get("MEMCACHE_TARGET", "").strip().lower()
    if t in ("memcached", "magpie"):
        return t
    if t:
        raise RuntimeError("MEMCACHE_TARGET must be 'magpie' or 'memcached', not %r" % t)
    if os.path.basename(MAGPIE_BIN).startswith("redis-server"):
        return "memcached"
    return "magpie"


TARGET = _pick_target()
IS_MAGPIE = TARGET == "magpie"

START_TIMEOUT = 60.0 if SANITIZED else 10.0
STOP_TIMEOUT = 30.0 if SANITIZED else 10.0
IO_TIMEOUT = 30.0 if SANITIZED else 5.0

# memcached's default -I (item size max), and Magpie's default
# --memcached-max-item-size.
DEFAULT_MAX_ITEM_SIZE = 1024 * 1024

__all__ = [
    "TARGET", "IS_MAGPIE", "DEFAULT_MAX_ITEM_SIZE", "IO_TIMEOUT",
    "free_port", "McServer", "McConn", "McClosed", "parse_stats",
    "mc_server", "mc_factory", "mc_conn", "mc", "mc_pickle", "mc_redis",
    "mc_need_redis",
]


# ---------------------------------------------------------------------------
# process handling
# ---------------------------------------------------------------------------

# Shared with the Redis suite's harness.
from conftest import ServerProcess, _log_tail, free_port  # noqa: E402,F401
from conftest import _ping_once as _redis_ping_once  # noqa: E402


def _mc_version_once(port, timeout=1.0):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(b"version\r\n")
            data = b""
            while not data.endswith(b"\r\n"):
                chunk = s.recv(256)
                if not chunk:
                    break
                data += chunk
            return data.startswith(b"VERSION ")
    except OSError:
        return False


class McServer(ServerProcess):
    """One server (Magpie or real memcached) speaking the memcached protocol.
    Process handling (logging, stop by PID, sanitizer check) is ServerProcess's."""

    def __init__(self, target=TARGET, name="mc"):
        self.target = target
        self.is_magpie = target == "magpie"
        super().__init__(binary=MAGPIE_BIN if self.is_magpie else MEMCACHED_BIN,
                         magpie=self.is_magpie, name="mc-" + name)
        self.mc_port = None
        self.redis_port = None
        self.max_item_size = DEFAULT_MAX_ITEM_SIZE

    def command_line(self, max_item_size=None, extra_args=()):
        if self.is_magpie:
            cmd = [self.binary, "--port", str(self.redis_port), "--bind", "127.0.0.1",
                   "--save", "", "--threads", "2", "--memcached-port", str(self.mc_port),
                   "--http-port", "0"]
            if max_item_size is not None:
                cmd += ["--memcached-max-item-size", str(max_item_size)]
        else:
            cmd = [self.binary, "-p", str(self.mc_port), "-U", "0", "-l", "127.0.0.1",
                   "-t", "2"]
            if max_item_size is not None:
                cmd += ["-I", str(max_item_size)]
            if os.geteuid() == 0:
                cmd += ["-u", "root"]   # memcached refuses to run as root otherwise
        return cmd + list(extra_args)

    def start(self, max_item_size=None, extra_args=(), timeout=START_TIMEOUT):
        if self.proc is not None:
            self.stop()
        if not os.path.exists(self.binary):
            pytest.fail("server binary not found: %s (build it, set MAGPIE_BIN, or run "
                        "with MEMCACHE_TARGET=memcached)" % self.binary)
        self.max_item_size = max_item_size or DEFAULT_MAX_ITEM_SIZE

        def ready():
            return _mc_version_once(self.mc_port) and (
                self.redis_port is None or _redis_ping_once(self.redis_port))

        for _ in range(3):
            self.mc_port = free_port()
            self.redis_port = None
            if self.is_magpie:
                self.redis_port = free_port()
                while self.redis_port == self.mc_port:
                    self.redis_port = free_port()
            self.port = self.redis_port
            if self.launch(self.command_line(max_item_size, extra_args), ready, timeout):
                return self
        pytest.fail("%s did not answer on memcached port %s within %.0fs (%s). Log tail:\n%s"
                    % (self.binary, self.mc_port, timeout, self.last_err, _log_tail(self.log_path)))

    def check_alive(self):
        if not self.alive():
            pytest.fail("server died; log tail:\n" + self.log_tail())

    # convenience -----------------------------------------------------------

    def conn(self, timeout=None):
        return McConn(self.mc_port, timeout)

    def client(self, **kw):
        from pymemcache.client.base import Client
        kw.setdefault("connect_timeout", IO_TIMEOUT)
        kw.setdefault("timeout", IO_TIMEOUT)
        kw.setdefault("default_noreply", False)
        return Client(("127.0.0.1", self.mc_port), **kw)

    def redis(self, db=0, **kw):
        import redis
        if self.redis_port is None:
            pytest.skip("needs the Redis side of Magpie (target is real memcached)")
        return redis.Redis(host="127.0.0.1", port=self.redis_port, db=db,
                           socket_timeout=IO_TIMEOUT, **kw)

    def stats(self, *args):
        with self.conn() as c:
            return c.stats(*args)

    def flush(self):
        with self.conn() as c:
            assert c.call(b"flush_all\r\n") == b"OK\r\n"


# ---------------------------------------------------------------------------
# raw text-protocol connection
# ---------------------------------------------------------------------------

class McClosed(Exception):
    """The server closed the connection."""


class McConn:
    """A plain socket speaking the memcached text/meta protocol.

    Every reader returns exact bytes (including the trailing \\r\\n) so tests
    can compare replies byte for byte.  Reads time out after `timeout`
    seconds (socket.timeout propagates, so a missing reply fails the test
    rather than hanging it).
    """

    def __init__(self, port, timeout=None):
        self.timeout = timeout or IO_TIMEOUT
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=self.timeout)
        self.buf = b""

    # low level ---------------------------------------------------------------

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise McClosed("connection closed; pending buffer %r" % self.buf[:200])
        self.buf += chunk

    def read_line(self):
        """One line including its \\r\\n."""
        while True:
            at = self.buf.find(b"\r\n")
            if at >= 0:
                line, self.buf = self.buf[:at + 2], self.buf[at + 2:]
                return line
            self._fill()

    def read_exact(self, n):
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read_until(self, terminator=b"END\r\n"):
        """Everything up to and including the first *line* equal to terminator
        (a line starting right after \\r\\n, or at the start of the reply)."""
        out = b""
        while True:
            line = self.read_line()
            out += line
            if line == terminator:
                return out

    # one response ----------------------------------------------------------

    def read_response(self):
        """One complete response, as raw bytes:

        VALUE ... blocks up to END; STAT/ITEM lines up to END; a meta VA line
        with its data block; otherwise a single line.
        """
        line = self.read_line()
        if line.startswith(b"VALUE "):
            out = line
            while True:
                n = int(line.split()[3])
                out += self.read_exact(n + 2)
                line = self.read_line()
                out += line
                if not line.startswith(b"VALUE "):
                    return out  # END (or an error line)
        if line.startswith(b"STAT ") or line.startswith(b"ITEM "):
            return line + self.read_until(b"END\r\n")
        if line.startswith(b"VA "):
            n = int(line.split()[1])
            return line + self.read_exact(n + 2)
        return line

    def call(self, data):
        """Send data (one command) and return its single response."""
        self.send(data)
        return self.read_response()

    def calls(self, data, n):
        """Send data (n pipelined commands) and return n responses, joined."""
        self.send(data)
        return b"".join(self.read_response() for _ in range(n))

    def sync(self):
        """Barrier: send mn and return everything read before MN\\r\\n.

        Used after noreply/quiet commands: the bytes returned are whatever
        those commands answered (b"" when they were silent)."""
        self.send(b"mn\r\n")
        out = b""
        while True:
            r = self.read_response()
            if r == b"MN\r\n":
                return out
            out += r

    def read_available(self, wait=0.3):
        """Whatever arrives within `wait` seconds (b"" if nothing)."""
        data, self.buf = self.buf, b""
        self.sock.settimeout(wait)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        except socket.timeout:
            pass
        finally:
            self.sock.settimeout(self.timeout)
        return data

    def read_until_close(self, timeout=None):
        """Everything the server sends until it closes the connection."""
        self.sock.settimeout(timeout or self.timeout)
        data, self.buf = self.buf, b""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        except ConnectionResetError:
            pass
        finally:
            self.sock.settimeout(self.timeout)
        return data

    # typed helpers -----------------------------------------------------------

    def store(self, cmd, key, value, flags=0, exptime=0, extra=b""):
        """set/add/replace/append/prepend; extra e.g. b" 123" (cas) or b" noreply"."""
        if isinstance(key, str):
            key = key.encode()
        if isinstance(value, str):
            value = value.encode()
        if isinstance(cmd, str):
            cmd = cmd.encode()
        line = b"%s %s %d %d %d%s\r\n" % (cmd, key, flags, exptime, len(value), extra)
        self.send(line + value + b"\r\n")
        if extra.endswith(b"noreply"):
            return None
        return self.read_response()

    def set(self, key, value, flags=0, exptime=0):
        return self.store(b"set", key, value, flags, exptime)

    def get(self, *keys, cmd=b"get"):
        """Raw reply to get/gets <keys>."""
        ks = b" ".join(k.encode() if isinstance(k, str) else k for k in keys)
        return self.call(b"%s %s\r\n" % (cmd, ks))

    def gets_cas(self, key):
        """The cas unique of key via gets (None if missing)."""
        r = self.get(key, cmd=b"gets")
        if r == b"END\r\n":
            return None
        return int(r.split(b"\r\n", 1)[0].split()[4])

    def stats(self, *args):
        """stats [args] -> {name: value} (bytes values)."""
        cmd = b"stats" + b"".join(b" " + (a.encode() if isinstance(a, str) else a)
                                  for a in args) + b"\r\n"
        return parse_stats(self.call(cmd))

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def parse_stats(raw):
    """b'STAT a 1\\r\\nSTAT b x y\\r\\nEND\\r\\n' -> {b'a': b'1', b'b': b'x y'}."""
    assert raw.endswith(b"END\r\n"), raw[-200:]
    out = {}
    for line in raw.split(b"\r\n"):
        if line.startswith(b"STAT "):
            _, name, value = (line.split(b" ", 2) + [b""])[:3]
            out[name] = value
        else:
            assert line in (b"END", b""), line
    return out


# ---------------------------------------------------------------------------
# fixtures
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def mc_server():
    """A fresh server for one test module."""
    s = McServer(name="module")
    s.start()
    yield s
    s.cleanup()


@pytest.fixture
def mc_factory():
    """mc_factory(max_item_size=None, extra_args=()) -> private started McServer."""
    made = []

    def make(max_item_size=None, extra_args=()):
        s = McServer(name="fn")
        made.append(s)
        return s.start(max_item_size=max_item_size, extra_args=extra_args)

    yield make
    for s in made:
        s.cleanup()


@pytest.fixture
def mc_conn(mc_server):
    """mc_conn(port=None, timeout=None) -> McConn; keyspace flushed first."""
    mc_server.check_alive()
    mc_server.flush()
    conns = []

    def make(port=None, timeout=None):
        c = McConn(port or mc_server.mc_port, timeout)
        conns.append(c)
        return c

    yield make
    for c in conns:
        c.close()
    mc_server.check_alive()


@pytest.fixture
def mc(mc_server):
    """pymemcache Client (raw bytes, no serde) on a flushed keyspace."""
    mc_server.check_alive()
    c = mc_server.client()
    c.flush_all()
    yield c
    c.close()
    mc_server.check_alive()


@pytest.fixture
def mc_pickle(mc_server):
    """pymemcache Client with pickle_serde (python types through flags)."""
    from pymemcache.serde import pickle_serde
    mc_server.check_alive()
    c = mc_server.client(serde=pickle_serde)
    c.flush_all()
    yield c
    c.close()
    mc_server.check_alive()


@pytest.fixture
def mc_need_redis(mc_server):
    if mc_server.redis_port is None:
        pytest.skip("cross-protocol test: needs Magpie's Redis side "
                    "(target is the real memcached)")


@pytest.fixture
def mc_redis(mc_server, mc_need_redis):
    """redis.Redis on db 0 of the same server; all dbs flushed first."""
    r = mc_server.redis()
    r.flushall()
    yield r
    r.close()
    mc_server.check_alive()
