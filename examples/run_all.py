#!/usr/bin/python3
"""Runs every examples/seeds/*.py and examples/*/demo.py against a fresh Magpie server.

Starts <repo>/build/magpie-server (or $MAGPIE_BIN) on a free port with
--save '', runs each seed example with REDIS_URL pointing at it, prints one
line per example with what it demonstrated, stops the server by PID, and exits
non-zero if any example failed.
"""

import glob
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
BIN = os.path.abspath(os.environ.get("MAGPIE_BIN") or os.path.join(REPO, "build", "magpie-server"))
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def free_port():
    while True:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        if port not in (6379, 11211):
            return port


def answers_ping(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"*1\r\n$4\r\nPING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start_server(logf):
    port = free_port()
    cmd = [BIN, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    if not os.path.basename(BIN).startswith("redis-server"):
        cmd += ["--threads", "2"]
    proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, cwd=tempfile.gettempdir())
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        if answers_ping(port):
            return proc, port
        time.sleep(0.05)
    stop_server(proc)
    return None, port


def stop_server(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    return proc.returncode


def main():
    if not os.path.exists(BIN):
        print("run_all: server binary not found: %s (run `make build`)" % BIN)
        return 2
    scripts = sorted(glob.glob(os.path.join(HERE, "seeds", "*.py")))
    scripts += sorted(glob.glob(os.path.join(HERE, "*", "demo.py")))
    log = tempfile.NamedTemporaryFile(prefix="magpie-examples-", suffix=".log", delete=False)
    proc, port = start_server(log)
    if proc is None:
        log.flush()
        print("run_all: %s did not start; log %s:" % (BIN, log.name))
        print(open(log.name, errors="replace").read()[-2000:])
        return 2
    failures = 0
    passed = 0
    try:
        print("run_all: %s (pid %d) on port %d" % (BIN, proc.pid, port))
        for script in scripts:
            name = os.path.basename(script)
            env = dict(os.environ, REDIS_URL="redis://127.0.0.1:%d/0" % port)
            t0 = time.monotonic()
            try:
                p = subprocess.run([PYTHON, script], env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, timeout=120)
                out, rc = p.stdout.decode("utf-8", "replace"), p.returncode
            except subprocess.TimeoutExpired as e:
                out, rc = (e.stdout or b"").decode("utf-8", "replace") + "\nTIMEOUT", -1
            lines = out.strip().splitlines()
            demo = [l for l in lines if l.startswith("DEMONSTRATED:")]
            dt = time.monotonic() - t0
            if rc == 0 and demo:
                passed += 1
                print("PASS %-28s %5.2fs  %s" % (name, dt, demo[-1][len("DEMONSTRATED: "):]))
            else:
                failures += 1
                print("FAIL %-28s %5.2fs  exit %d" % (name, dt, rc))
                for l in lines[-15:]:
                    print("     | " + l)
    finally:
        rc = stop_server(proc)
        log.close()
    if rc not in (0, None):
        print("run_all: server exited with %s (log %s)" % (rc, log.name))
        failures += 1
    else:
        os.unlink(log.name)
    print("run_all: %d/%d examples passed" % (passed, len(scripts)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
