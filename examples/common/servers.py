"""Starting Magpie for the examples, and finding it from an example.

`MagpieServer(binary).start()` runs the server on two free 127.0.0.1 ports,
Redis protocol and memcached protocol (`--memcached-port`), with `--save ''`,
waits until PING answers, and `stop()` stops it by its PID (SIGTERM, then
SIGKILL). A binary named redis-server* is started without the Magpie-only
flags (it has no memcached port). `env()` is what child processes need:
REDIS_URL and MEMCACHED_ADDR.

`redis_url()` / `memcached_addr()` read those variables, defaulting to the
standard local ports, so every example also runs against a server you
started yourself.
"""

import os
import signal
import socket
import subprocess
import tempfile
import time

from common.database import free_port

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else None


def default_binary():
    return os.path.abspath(os.environ.get("MAGPIE_BIN")
                           or os.path.join(REPO, "build", "magpie-server"))


def redis_url():
    return os.environ.get("REDIS_URL", "redis://localhost:6379/0")


def memcached_addr():
    host, _, port = os.environ.get("MEMCACHED_ADDR", "localhost:11211").rpartition(":")
    return host, int(port)


def answers_ping(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"*1\r\n$4\r\nPING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class MagpieServer:
    def __init__(self, binary=None, extra_args=()):
        self.binary = binary or default_binary()
        self.is_redis = os.path.basename(self.binary).startswith("redis-server")
        self.extra_args = list(extra_args)
        self.proc = None
        self.port = None
        self.memcached_port = None
        self.log = None

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def start(self, timeout=60):
        if not os.path.exists(self.binary):
            raise RuntimeError("server binary not found: %s (run `make build`)" % self.binary)
        self.log = tempfile.NamedTemporaryFile(prefix="magpie-examples-server-", suffix=".log",
                                               delete=False)
        for _ in range(3):
            self.port = free_port()
            cmd = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            if not self.is_redis:
                self.memcached_port = free_port()
                cmd += ["--threads", "2", "--memcached-port", str(self.memcached_port), "--http-port", "0"]
            self.proc = subprocess.Popen(cmd + self.extra_args, stdout=self.log,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         cwd=tempfile.gettempdir())
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.proc.poll() is None:
                if answers_ping(self.port):
                    return self
                time.sleep(0.02)
            self.stop()
        raise RuntimeError("%s did not start; log %s" % (self.binary, self.log.name))

    def env(self):
        env = {"REDIS_URL": "redis://127.0.0.1:%d/0" % self.port}
        if self.memcached_port:
            env["MEMCACHED_ADDR"] = "127.0.0.1:%d" % self.memcached_port
        return env

    def stop(self):
        """Stops the server by PID; returns its exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(30)
        rc = self.proc.returncode
        self.proc = None
        return rc
