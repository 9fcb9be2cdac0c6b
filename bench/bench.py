#!/usr/bin/python3
"""Magpie vs Redis benchmark harness (stdlib only; run with /usr/bin/python3).

Starts the candidate server (Magpie by default) and a reference redis-server
side by side on free loopback ports, then:

  * throughput/latency: redis-benchmark -c 50 -r 100000 -d 64 for SET GET INCR
    MSET at -P 1 and -P 16, alternating candidate/reference runs for --rounds
    rounds and taking the per-metric median; server CPU-seconds per million ops
    comes from /proc/PID/stat (utime+stime) deltas over each run;
  * memory: on fresh servers, load N keys (key:%07d, 32-byte values) through a
    raw pipelined socket writer and report RSS delta / N and INFO used_memory
    delta / N;
  * memcached (secondary): memcached 1.6.18 vs the candidate's --memcached-port,
    only if the candidate answers `version` there; load from bench/mcload (built with Magpie).

Prints a Markdown report and writes the same data to bench/results/latest.json.

Usage:
  /usr/bin/python3 bench/bench.py                 # full run (~3 rounds)
  /usr/bin/python3 bench/bench.py --quick         # fast smoke run
  /usr/bin/python3 bench/bench.py --magpie /usr/bin/redis-server --quick
                                                  # harness self-check (ratios ~1.0)
"""

import argparse
import json
import math
import os
import platform
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS_DIR = os.path.join(ROOT, "bench", "results")
TESTS = ["SET", "GET", "INCR", "MSET"]
PIPELINES = [1, 16]
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
RESERVED_PORTS = {6379, 11211, 16379}


# --------------------------------------------------------------------------- utils

def log(msg):
    print(msg, file=sys.stderr, flush=True)


def free_port():
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in RESERVED_PORTS:
            return port


def cpu_seconds(pid):
    """utime+stime of the whole process (all threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        data = f.read()
    fields = data[data.rindex(")") + 2:].split()
    # fields[0] is field 3 (state); utime = field 14, stime = field 15
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def machine_info():
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_total = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem_total = f"{int(line.split()[1]) // 1024} MiB"
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "mem_total": mem_total,
        "kernel": platform.release(),
        "loadavg_at_start": open("/proc/loadavg").read().split()[:3],
    }


def tool_version(argv):
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=10)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except Exception as e:  # noqa: BLE001
        return f"unknown ({e})"


def geomean(xs):
    xs = [x for x in xs if x and x > 0 and math.isfinite(x)]
    if not xs:
        return None
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


# --------------------------------------------------------------------------- RESP

class RespConn:
    """Minimal blocking RESP2 client (enough for PING/INFO/DBSIZE/FLUSHALL)."""

    def __init__(self, port, timeout=10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def close(self):
        self.sock.close()

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def _reply(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            return RuntimeError(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self._reply() for _ in range(n)]
        raise RuntimeError(f"bad RESP reply: {line[:80]!r}")

    def cmd(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))
        return self._reply()


def info_field(port, section, field):
    try:
        c = RespConn(port)
        try:
            r = c.cmd("INFO", section)
        finally:
            c.close()
    except OSError:
        return None
    if not isinstance(r, bytes):
        return None
    for line in r.decode(errors="replace").splitlines():
        if line.startswith(field + ":"):
            try:
                return int(line.split(":", 1)[1])
            except ValueError:
                return None
    return None


# --------------------------------------------------------------------------- servers

class Server:
    def __init__(self, name, argv, port, workdir, cpu=None):
        self.name = name
        self.port = port
        self.argv = argv
        if cpu is not None:
            self.argv = ["taskset", "-c", str(cpu)] + argv
        self.log_path = os.path.join(workdir, f"{name}-{port}.log")
        self.proc = None

    def start(self, timeout=10.0, must_ping=True):
        logf = open(self.log_path, "wb")
        # Own session: a terminal Ctrl-C reaches only us; we stop the server by PID.
        self.proc = subprocess.Popen(self.argv, stdout=logf, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=os.path.dirname(self.log_path),
                                     start_new_session=True)
        logf.close()
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}: "
                                   f"{shlex.join(self.argv)}\n{self.log_tail()}")
            if not must_ping:
                return self
            try:
                c = RespConn(self.port, timeout=1.0)
                try:
                    if c.cmd("PING") == "PONG":
                        return self
                finally:
                    c.close()
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not answer PING on port {self.port} "
                           f"within {timeout}s\n{self.log_tail()}")

    @property
    def pid(self):
        return self.proc.pid

    def log_tail(self, n=20):
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode(errors="replace")
        except OSError:
            return ""

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            self.proc.terminate()  # SIGTERM to this PID only
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        except ProcessLookupError:
            pass


class Fleet:
    """Tracks every process we start so they all get stopped by PID."""

    def __init__(self):
        self.servers = []

    def add(self, s):
        self.servers.append(s)
        return s

    def stop(self, s):
        s.stop()
        if s in self.servers:
            self.servers.remove(s)

    def stop_all(self):
        for s in reversed(self.servers):
            try:
                s.stop()
            except Exception as e:  # noqa: BLE001
                log(f"warning: failed to stop {s.name} pid {s.proc and s.proc.pid}: {e}")
        self.servers.clear()


def is_redis_binary(path):
    return "redis-server" in os.path.basename(path)


def candidate_argv(args, port, extra=()):
    argv = [args.magpie, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    if is_redis_binary(args.magpie):
        argv += ["--appendonly", "no"]  # redis as stand-in candidate: no --threads
    else:
        # Never the default memcached port 11211: the memcached section asks
        # for one explicitly.
        argv += ["--threads", str(args.threads), "--memcached-port", "0"]
    argv += list(extra)
    argv += shlex.split(args.candidate_args)
    return argv


def reference_argv(args, port):
    return [args.redis, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no"]


def start_pair(args, fleet, workdir):
    cp, rp = free_port(), free_port()
    while rp == cp:
        rp = free_port()
    cand = fleet.add(Server("candidate", candidate_argv(args, cp), cp, workdir, args.server_cpu))
    ref = fleet.add(Server("reference", reference_argv(args, rp), rp, workdir, args.server_cpu))
    cand.start()
    ref.start()
    return cand, ref


# --------------------------------------------------------------------------- redis-benchmark

def bench_argv(args, port, test, pipeline, n):
    argv = [args.redis_benchmark, "-h", "127.0.0.1", "-p", str(port), "-c", "50",
            "-r", "100000", "-d", "64", "-n", str(n), "-P", str(pipeline),
            "-t", test.lower(), "--csv"]
    if args.client_cpu is not None:
        argv = ["taskset", "-c", str(args.client_cpu)] + argv
    return argv


def parse_csv(text):
    rows = [l for l in text.strip().splitlines() if l.startswith('"')]
    if len(rows) < 2:
        raise RuntimeError(f"unexpected redis-benchmark output:\n{text}")
    header = [h.strip('"') for h in rows[0].split(",")]
    vals = [v.strip('"') for v in rows[1].split(",")]
    d = dict(zip(header, vals))
    return {
        "test_label": d["test"],
        "rps": float(d["rps"]),
        "avg_ms": float(d["avg_latency_ms"]),
        "p50_ms": float(d["p50_latency_ms"]),
        "p95_ms": float(d["p95_latency_ms"]),
        "p99_ms": float(d["p99_latency_ms"]),
        "max_ms": float(d["max_latency_ms"]),
    }


def run_bench(args, server, test, pipeline, n):
    argv = bench_argv(args, server.port, test, pipeline, n)
    c0 = cpu_seconds(server.pid)
    t0 = time.monotonic()
    out = subprocess.run(argv, capture_output=True, text=True, timeout=max(120, args.duration * 60))
    wall = time.monotonic() - t0
    c1 = cpu_seconds(server.pid)
    if server.proc.poll() is not None:
        raise RuntimeError(f"{server.name} died during {test} P{pipeline}\n{server.log_tail()}")
    if out.returncode != 0:
        raise RuntimeError(f"redis-benchmark failed ({out.returncode}): {shlex.join(argv)}\n"
                           f"{out.stdout}\n{out.stderr}")
    r = parse_csv(out.stdout)
    r.update({
        "requests": n,
        "wall_s": round(wall, 3),
        "server_cpu_s": round(c1 - c0, 3),
        "cpu_s_per_mop": (c1 - c0) / n * 1e6,
        "cmd": shlex.join(argv),
    })
    return r


def calibrate(args, cand, ref, tests):
    """Choose -n per (test, pipeline) so a *reference* run lasts ~args.duration s.

    The same probe runs are also sent to the candidate (results discarded) so both
    servers see an identical warm-up history; both then get the identical -n."""
    sizes = {}
    for test in tests:
        for p in PIPELINES:
            probe_n = 20000 if p == 1 else 100000
            for srv in (cand, ref):
                r = run_bench(args, srv, test, p, probe_n)
            if args.requests:
                sizes[(test, p)] = args.requests
                continue
            n = int(r["rps"] * args.duration)
            n = max(10000, min(n, 20_000_000))
            sizes[(test, p)] = int(round(n, -4)) or 10000
    return sizes


def prefill_keyspace(server):
    """SET key:000000000000 .. key:000000099999 (redis-benchmark's -r 100000 key names)
    with 64-byte values, so GET hits 100% on both servers from the first run."""
    val = b"x" * 64
    tmpl = b"*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$64\r\n" + val + b"\r\n"
    chunks = [b"".join(tmpl % i for i in range(s, s + 25000)) for s in range(0, 100000, 25000)]
    _, errors, first = pipe_load(server.port, chunks, 100000)
    if errors:
        raise RuntimeError(f"{server.name}: {errors} errors while prefilling keyspace: {first!r}")


PREFLIGHT = {  # one command per test; reply must not be an error
    "SET": ("SET", "key:000000000000", "x" * 64),
    "GET": ("GET", "key:000000000000"),
    "INCR": ("INCR", "counter:000000000000"),
    "MSET": ("MSET", "key:000000000000", "x" * 64, "key:000000000001", "x" * 64),
}


def preflight(server):
    """redis-benchmark counts error replies as completed requests, so an unimplemented
    command would look fast. Check each test command once and return the failures."""
    bad = {}
    c = RespConn(server.port)
    try:
        for test, cmd in PREFLIGHT.items():
            r = c.cmd(*cmd)
            if isinstance(r, Exception):
                bad[test] = str(r)[:100]
    finally:
        c.close()
    return bad


def throughput_section(args, fleet, workdir):
    cand, ref = start_pair(args, fleet, workdir)
    log(f"throughput: candidate pid {cand.pid} port {cand.port}; "
        f"reference pid {ref.pid} port {ref.port}")
    skipped = {}
    for who, srv in (("candidate", cand), ("reference", ref)):
        for test, err in preflight(srv).items():
            skipped[test] = f"{who} replied error to {PREFLIGHT[test][0]}: {err}"
    for test, why in skipped.items():
        log(f"  skipping {test}: {why}")
    tests = [t for t in TESTS if t not in skipped]
    for srv in (cand, ref):
        prefill_keyspace(srv)
    # warm-up + sizing (calibrated on the reference so both get identical -n)
    sizes = calibrate(args, cand, ref, tests)
    log("request counts: " + ", ".join(f"{t}/P{p}={n}" for (t, p), n in sizes.items()))

    runs = {(t, p): {"candidate": [], "reference": []} for t in TESTS for p in PIPELINES}
    cmds = {}
    for rnd in range(args.rounds):
        for test in tests:
            for p in PIPELINES:
                for who, srv in (("candidate", cand), ("reference", ref)):
                    r = run_bench(args, srv, test, p, sizes[(test, p)])
                    runs[(test, p)][who].append(r)
                    cmds[(test, p, who)] = r["cmd"]
                    log(f"  round {rnd + 1}/{args.rounds} {test:<4} P{p:<2} {who:<9} "
                        f"{r['rps']:>11,.0f} ops/s  p50 {r['p50_ms']:.3f}  p99 {r['p99_ms']:.3f} ms  "
                        f"cpu {r['cpu_s_per_mop']:.2f} s/Mop  ({r['wall_s']:.1f}s)")
    info = {
        "candidate_argv": shlex.join(cand.argv),
        "reference_argv": shlex.join(ref.argv),
        "requests": {f"{t}/P{p}": n for (t, p), n in sizes.items()},
        "skipped_tests": skipped,
        "redis_benchmark_cmds": cmds,
    }
    fleet.stop(cand)
    fleet.stop(ref)
    return runs, info


METRICS = [  # key, label, higher_is_better
    ("rps", "ops/s", True),
    ("p50_ms", "p50 latency (ms)", False),
    ("p99_ms", "p99 latency (ms)", False),
    ("cpu_s_per_mop", "server CPU-s / 1M ops", False),
]


def summarize_throughput(runs):
    rows = []
    for test in TESTS:
        for p in PIPELINES:
            if not runs[(test, p)]["candidate"]:
                continue
            row = {"test": test, "pipeline": p}
            for key, _, _ in METRICS:
                c = statistics.median(r[key] for r in runs[(test, p)]["candidate"])
                rf = statistics.median(r[key] for r in runs[(test, p)]["reference"])
                row[key] = {"magpie": c, "redis": rf, "ratio": ratio(c, rf)}
            rows.append(row)
    summary = {}
    for p in PIPELINES:
        summary[f"geomean_ops_ratio_P{p}"] = geomean(
            [r["rps"]["ratio"] for r in rows if r["pipeline"] == p])
    summary["geomean_cpu_per_op_ratio"] = geomean([r["cpu_s_per_mop"]["ratio"] for r in rows])
    for p in PIPELINES:
        summary[f"geomean_cpu_per_op_ratio_P{p}"] = geomean(
            [r["cpu_s_per_mop"]["ratio"] for r in rows if r["pipeline"] == p])
    return rows, summary


# --------------------------------------------------------------------------- memory

def build_load_payload(nkeys, value_len=32):
    val = b"v" * value_len
    tmpl = b"*3\r\n$3\r\nSET\r\n$11\r\nkey:%07d\r\n$" + str(value_len).encode() + b"\r\n" + val + b"\r\n"
    return [b"".join(tmpl % i for i in range(s, min(s + 50000, nkeys)))
            for s in range(0, nkeys, 50000)]


def pipe_load(port, chunks, nreplies):
    """Stream pre-built RESP over one socket while a reader counts replies."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    err = []

    def writer():
        try:
            for c in chunks:
                sock.sendall(c)
        except OSError as e:
            err.append(e)

    t = threading.Thread(target=writer, daemon=True)
    t0 = time.monotonic()
    t.start()
    got = 0
    errors = 0
    first_err = None
    tail = b"\n"
    try:
        while got < nreplies:
            data = sock.recv(1 << 20)
            if not data:
                raise RuntimeError(f"server closed connection after {got}/{nreplies} replies")
            got += data.count(b"\n")
            if b"-" in data:  # replies are +OK; any '-' means an error reply
                errors += (tail + data).count(b"\n-")
                if first_err is None:
                    i = data.find(b"-")
                    first_err = data[i:i + 120]
            tail = data[-1:]
    finally:
        t.join(timeout=60)
        sock.close()
    if err:
        raise RuntimeError(f"load writer failed: {err[0]}")
    return time.monotonic() - t0, errors, first_err


def memory_one(server, chunks, nkeys):
    time.sleep(0.3)
    rss0 = rss_bytes(server.pid)
    um0 = info_field(server.port, "memory", "used_memory")
    secs, errors, first_err = pipe_load(server.port, chunks, nkeys)
    time.sleep(0.5)
    rss1 = rss_bytes(server.pid)
    um1 = info_field(server.port, "memory", "used_memory")
    dbsize = None
    try:
        c = RespConn(server.port)
        try:
            d = c.cmd("DBSIZE")
            dbsize = d if isinstance(d, int) else None
        finally:
            c.close()
    except OSError:
        pass
    res = {
        "keys": nkeys,
        "load_seconds": round(secs, 3),
        "error_replies": errors,
        "dbsize": dbsize,
        "rss_before": rss0,
        "rss_after": rss1,
        "rss_bytes_per_key": (rss1 - rss0) / nkeys,
        "used_memory_before": um0,
        "used_memory_after": um1,
        "used_memory_bytes_per_key": ((um1 - um0) / nkeys) if (um0 is not None and um1 is not None) else None,
    }
    if errors:
        res["first_error"] = first_err.decode(errors="replace")
    return res


def memory_section(args, fleet, workdir):
    log(f"memory: building RESP for {args.keys:,} SETs (key:%07d, 32-byte values)")
    chunks = build_load_payload(args.keys)
    cand, ref = start_pair(args, fleet, workdir)
    out = {}
    for who, srv in (("candidate", cand), ("reference", ref)):
        out[who] = memory_one(srv, chunks, args.keys)
        m = out[who]
        log(f"  {who:<9} loaded in {m['load_seconds']:.2f}s, dbsize={m['dbsize']}, "
            f"RSS {m['rss_bytes_per_key']:.1f} B/key, used_memory "
            f"{m['used_memory_bytes_per_key'] if m['used_memory_bytes_per_key'] is None else round(m['used_memory_bytes_per_key'], 1)} B/key")
    fleet.stop(cand)
    fleet.stop(ref)
    out["rss_ratio"] = ratio(out["candidate"]["rss_bytes_per_key"], out["reference"]["rss_bytes_per_key"])
    out["used_memory_ratio"] = ratio(out["candidate"]["used_memory_bytes_per_key"],
                                     out["reference"]["used_memory_bytes_per_key"])
    out["method"] = (f"fresh servers; {args.keys} x SET key:%07d <32-byte value> streamed as "
                     f"pipelined RESP over one socket; bytes/key = (VmRSS after - before) / N, "
                     f"and (INFO used_memory after - before) / N")
    return out


# --------------------------------------------------------------------------- memcached

def memcached_answers_version(port, timeout=2.0):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(b"version\r\n")
            data = b""
            deadline = time.time() + timeout
            while b"\r\n" not in data and time.time() < deadline:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            return data.startswith(b"VERSION"), data.strip().decode(errors="replace")
    except OSError as e:
        return False, str(e)


MCLOAD_CASES = [  # (label, mcload --op, --depth)
    ("set", "set", 1), ("get", "get", 1), ("multi-get 10 keys", "mget10", 1), ("90/10 get/set", "mix", 1),
    ("set", "set", 16), ("get", "get", 16), ("multi-get 10 keys", "mget10", 16), ("90/10 get/set", "mix", 16),
]


def mcload_run(mcload, pid, port, op, depth, seconds, keys=100000):
    argv = [mcload, "--port", str(port), "--conns", "50", "--depth", str(depth), "--op", op,
            "--keys", str(keys), "--value", "32", "--seconds", str(seconds)]
    cpu0 = cpu_seconds(pid)
    out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    cpu1 = cpu_seconds(pid)
    if out.returncode != 0:
        raise RuntimeError(f"mcload failed: {shlex.join(argv)}\n{out.stderr[-2000:]}")
    r = json.loads(out.stdout)
    if r["errors"]:
        raise RuntimeError(f"mcload saw {r['errors']} error replies: {shlex.join(argv)}")
    r["cpu_per_mop"] = (cpu1 - cpu0) / r["ops"] * 1e6 if r["ops"] else None
    r["cmd"] = shlex.join(argv)
    return r


def mcload_fill(mcload, port, n):
    out = subprocess.run([mcload, "--port", str(port), "--load", str(n), "--value", "32"],
                         capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(f"mcload --load failed: {out.stderr[-2000:]}")


def memcached_section(args, fleet, workdir):
    res = {"status": None}
    if args.no_memcached:
        res["status"] = "skipped (--no-memcached)"
        return res
    mc_bin = shutil.which("memcached")
    if not mc_bin:
        res["status"] = "skipped: memcached not installed"
        return res
    mport = free_port()
    mc = fleet.add(Server("memcached", [mc_bin, "-p", str(mport), "-l", "127.0.0.1", "-U", "0",
                                        "-t", "1", ] + (["-u", "root"] if os.geteuid() == 0 else []),
                          mport, workdir, args.server_cpu))
    try:
        mc.start(must_ping=False)
        ok = False
        for _ in range(50):
            ok, ver = memcached_answers_version(mport)
            if ok:
                break
            time.sleep(0.1)
        res["memcached_version"] = ver if ok else None
        res["memcached_argv"] = shlex.join(mc.argv)
        if not ok:
            res["status"] = f"skipped: reference memcached did not answer version ({ver})"
            return res

        # Candidate with --memcached-port on a separate instance (unknown flag must not break
        # the main benchmark).
        rport, cport = free_port(), free_port()
        cand = fleet.add(Server("candidate-mc", candidate_argv(args, rport, ["--memcached-port", str(cport)]),
                                rport, workdir, args.server_cpu))
        supported = False
        try:
            cand.start(timeout=5)
            for _ in range(20):
                supported, cver = memcached_answers_version(cport, timeout=1.0)
                if supported:
                    break
                time.sleep(0.1)
        except RuntimeError:
            supported = False
        res["candidate_argv"] = shlex.join(cand.argv)
        if not supported:
            fleet.stop(cand)
            res["status"] = "memcached protocol: not implemented in candidate yet, skipped"
            return res
        res["candidate_version_reply"] = cver
        mcload = os.path.join(os.path.dirname(args.magpie), "mcload")
        if not os.path.exists(mcload):
            fleet.stop(cand)
            res["status"] = f"skipped: {mcload} not built (make build)"
            return res
        secs = max(1.0, args.duration * 0.6)
        for who, port in (("candidate", cport), ("reference", mport)):
            mcload_fill(mcload, port, 100000)  # every get finds its key
        cases = []
        for label, op, depth in MCLOAD_CASES:
            runs = {"candidate": [], "reference": []}
            for _ in range(args.rounds):  # alternating A/B rounds
                runs["candidate"].append(mcload_run(mcload, cand.proc.pid, cport, op, depth, secs))
                runs["reference"].append(mcload_run(mcload, mc.proc.pid, mport, op, depth, secs))
            med = {w: {k: statistics.median(r[k] for r in runs[w])
                       for k in ("ops_per_sec", "p50_us", "p99_us", "cpu_per_mop")} for w in runs}
            cases.append({"label": label, "depth": depth, "median": med, "runs": runs,
                          "ops_ratio": ratio(med["candidate"]["ops_per_sec"], med["reference"]["ops_per_sec"])})
            log(f"  memcached {label} depth {depth}: {cases[-1]['ops_ratio']:.2f}x ops/s")
        fleet.stop(cand)
        fleet.stop(mc)
        # Bytes per item: fresh servers, 1M items of 32 bytes.
        n = args.keys
        mport2, rport2, cport2 = free_port(), free_port(), free_port()
        mc2 = fleet.add(Server("memcached-mem", [mc_bin, "-p", str(mport2), "-l", "127.0.0.1", "-U", "0",
                                                  "-t", "1", "-m", "4096"] + (["-u", "root"] if os.geteuid() == 0 else []),
                               mport2, workdir, args.server_cpu))
        mc2.start(must_ping=False)
        cand2 = fleet.add(Server("candidate-mc-mem", candidate_argv(args, rport2, ["--memcached-port", str(cport2)]),
                                 rport2, workdir, args.server_cpu))
        cand2.start(timeout=5)
        for _ in range(50):
            if memcached_answers_version(mport2)[0] and memcached_answers_version(cport2)[0]:
                break
            time.sleep(0.1)
        mem = {}
        for who, srv, port in (("candidate", cand2, cport2), ("reference", mc2, mport2)):
            before = rss_bytes(srv.proc.pid)
            mcload_fill(mcload, port, n)
            time.sleep(0.5)
            mem[who] = (rss_bytes(srv.proc.pid) - before) / n
        fleet.stop(cand2)
        fleet.stop(mc2)
        res.update({"status": "ok", "cases": cases,
                    "geomean_ops_ratio": geomean([c["ops_ratio"] for c in cases]),
                    "bytes_per_item": mem, "items": n,
                    "bytes_ratio": ratio(mem["candidate"], mem["reference"]),
                    "mcload_example": cases[0]["runs"]["reference"][0]["cmd"]})
        return res
    finally:
        fleet.stop(mc)


# --------------------------------------------------------------------------- report

def fmt(x, key=None):
    if x is None:
        return "n/a"
    if key == "rps":
        return f"{x:,.0f}"
    if abs(x) >= 100:
        return f"{x:,.1f}"
    return f"{x:.3f}" if abs(x) < 10 else f"{x:.2f}"


def fmt_ratio(x):
    return "n/a" if x is None else f"{x:.2f}x"


def render(report):
    L = []
    m = report["machine"]
    L.append("# Magpie vs Redis benchmark")
    L.append("")
    L.append(f"- machine: {m['nproc']} CPUs, {m['cpu_model']}, {m['mem_total']}, "
             f"Linux {m['kernel']}, loadavg at start {' '.join(m['loadavg_at_start'])}")
    L.append(f"- candidate: `{report['candidate']['argv']}`")
    L.append(f"- reference: `{report['reference']['argv']}` ({report['reference']['version']})")
    L.append(f"- client: {report['redis_benchmark_version']}; {report['config']['rounds']} alternating "
             f"rounds (candidate, reference, ...), median per metric; server CPU from /proc/PID/stat "
             f"utime+stime delta over each run")
    L.append("")
    tp = report.get("throughput")
    if tp:
        L.append("## Throughput / latency / CPU")
        L.append("")
        L.append("ratio = Magpie / Redis. ops/s: higher is better. "
                 "p50, p99 latency and CPU-s per 1M ops: **lower is better**.")
        L.append("")
        L.append("| test | pipeline | metric | Magpie | Redis | ratio |")
        L.append("|---|---:|---|---:|---:|---:|")
        for row in tp["rows"]:
            for key, label, hib in METRICS:
                v = row[key]
                arrow = "(higher better)" if hib else "(lower better)"
                tname = "MSET (10 keys)" if row["test"] == "MSET" else row["test"]
                L.append(f"| {tname} | {row['pipeline']} | {label} {arrow} | "
                         f"{fmt(v['magpie'], key)} | {fmt(v['redis'], key)} | {fmt_ratio(v['ratio'])} |")
        for t, why in tp["info"].get("skipped_tests", {}).items():
            L.append(f"\n**{t} not measured**: {why}")
        L.append("")
        s = tp["summary"]
        L.append("| summary | Magpie/Redis |")
        L.append("|---|---:|")
        L.append(f"| geomean ops/s ratio, P1 (higher better) | {fmt_ratio(s['geomean_ops_ratio_P1'])} |")
        L.append(f"| geomean ops/s ratio, P16 (higher better) | {fmt_ratio(s['geomean_ops_ratio_P16'])} |")
        L.append(f"| geomean CPU-per-op ratio, all (lower better) | {fmt_ratio(s['geomean_cpu_per_op_ratio'])} |")
        L.append(f"| geomean CPU-per-op ratio, P1 / P16 (lower better) | "
                 f"{fmt_ratio(s['geomean_cpu_per_op_ratio_P1'])} / {fmt_ratio(s['geomean_cpu_per_op_ratio_P16'])} |")
        mem = report.get("memory")
        if mem:
            L.append(f"| bytes/key ratio, RSS (lower better) | {fmt_ratio(mem['rss_ratio'])} |")
            L.append(f"| bytes/key ratio, used_memory (lower better) | {fmt_ratio(mem['used_memory_ratio'])} |")
        L.append("")
    mem = report.get("memory")
    if mem:
        L.append(f"## Memory ({mem['candidate']['keys']:,} keys, 32-byte values)")
        L.append("")
        L.append("| metric (lower is better) | Magpie | Redis | ratio |")
        L.append("|---|---:|---:|---:|")
        c, r = mem["candidate"], mem["reference"]
        L.append(f"| RSS bytes/key | {fmt(c['rss_bytes_per_key'])} | {fmt(r['rss_bytes_per_key'])} | "
                 f"{fmt_ratio(mem['rss_ratio'])} |")
        L.append(f"| used_memory bytes/key | {fmt(c['used_memory_bytes_per_key'])} | "
                 f"{fmt(r['used_memory_bytes_per_key'])} | {fmt_ratio(mem['used_memory_ratio'])} |")
        L.append(f"| RSS after load (MiB) | {c['rss_after'] / 2**20:.1f} | {r['rss_after'] / 2**20:.1f} | "
                 f"{fmt_ratio(ratio(c['rss_after'], r['rss_after']))} |")
        L.append(f"| DBSIZE after load | {c['dbsize']} | {r['dbsize']} | |")
        for who, d in (("Magpie", c), ("Redis", r)):
            if d["error_replies"]:
                L.append(f"\n**warning**: {who} returned {d['error_replies']} error replies during load "
                         f"(first: `{d.get('first_error')}`)")
        L.append("")
        L.append(f"Method: {mem['method']}.")
        L.append("")
    mc = report.get("memcached")
    if mc:
        L.append("## memcached protocol")
        L.append("")
        if mc.get("status") == "ok":
            L.append("| test | depth | ops/s Magpie | ops/s memcached | ops/s ratio | CPU-s/1M ops ratio "
                     "| p50 ratio | p99 ratio |")
            L.append("|---|---:|---:|---:|---:|---:|---:|---:|")
            for c in mc["cases"]:
                a, b = c["median"]["candidate"], c["median"]["reference"]
                L.append(f"| {c['label']} | {c['depth']} | {fmt(a['ops_per_sec'], 'rps')} | "
                         f"{fmt(b['ops_per_sec'], 'rps')} | {fmt_ratio(c['ops_ratio'])} | "
                         f"{fmt_ratio(ratio(a['cpu_per_mop'], b['cpu_per_mop']))} | "
                         f"{fmt_ratio(ratio(a['p50_us'], b['p50_us']))} | "
                         f"{fmt_ratio(ratio(a['p99_us'], b['p99_us']))} |")
            L.append(f"| **geomean ops/s ratio** | | | | {fmt_ratio(mc['geomean_ops_ratio'])} | | | |")
            L.append("")
            bp = mc["bytes_per_item"]
            L.append(f"Bytes per item ({mc['items']:,} items of 32 bytes, RSS delta): Magpie "
                     f"{bp['candidate']:.1f}, memcached {bp['reference']:.1f}, ratio "
                     f"{fmt_ratio(mc['bytes_ratio'])} (lower better).")
            L.append("")
            L.append(f"Load: `{mc['mcload_example']}` (bench/mcload.cc; 50 connections, 100,000 keys, "
                     f"32-byte values; depth = requests in flight per connection).")
        else:
            L.append(mc["status"])
        if mc.get("memcached_version"):
            L.append("")
            L.append(f"reference: `{mc.get('memcached_argv')}` ({mc['memcached_version']})")
        L.append("")
    if tp:
        L.append("## Exact commands")
        L.append("")
        L.append("```")
        L.append(f"# candidate: {report['candidate']['argv']}")
        L.append(f"# reference: {report['reference']['argv']}")
        for (t, p, who), cmd in sorted(tp["info"]["redis_benchmark_cmds"].items(),
                                       key=lambda kv: (TESTS.index(kv[0][0]), kv[0][1], kv[0][2])):
            L.append(f"{cmd}    # {who}")
        L.append("```")
        L.append("")
    return "\n".join(L)


# --------------------------------------------------------------------------- main

def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--magpie", default=os.path.join(ROOT, "build", "magpie-server"),
                    help="candidate server binary (default: build/magpie-server). A redis-server "
                         "path is accepted as a stand-in candidate (no --threads passed).")
    ap.add_argument("--redis", default=shutil.which("redis-server") or "/usr/bin/redis-server",
                    help="reference redis-server binary")
    ap.add_argument("--redis-benchmark", default=shutil.which("redis-benchmark") or "/usr/bin/redis-benchmark")
    ap.add_argument("--threads", type=int, default=1, help="candidate --threads N (default 1)")
    ap.add_argument("--candidate-args", default="", help="extra flags for the candidate (shell-quoted)")
    ap.add_argument("--rounds", type=int, default=None, help="alternating A/B rounds (default 3; quick 1)")
    ap.add_argument("--requests", type=int, default=None,
                    help="fixed -n for every run (default: calibrated so a Redis run lasts --duration s)")
    ap.add_argument("--duration", type=float, default=None, help="target seconds per run (default 2.5; quick 0.8)")
    ap.add_argument("--keys", type=int, default=None, help="keys for bytes/key (default 1000000; quick 1000000)")
    ap.add_argument("--quick", action="store_true", help="fast smoke run (1 round, ~0.8 s runs)")
    ap.add_argument("--only", choices=["throughput", "memory", "memcached"], action="append",
                    help="run only the given section(s)")
    ap.add_argument("--no-memcached", action="store_true", help="skip the memcached section")
    ap.add_argument("--pin", action="store_true",
                    help="pin servers to CPU 0 and redis-benchmark to CPU 1 (taskset)")
    ap.add_argument("--json", default=os.path.join(RESULTS_DIR, "latest.json"), help="JSON output path")
    a = ap.parse_args()
    a.rounds = a.rounds or (1 if a.quick else 3)
    a.duration = a.duration or (0.8 if a.quick else 2.5)
    a.keys = a.keys or 1_000_000
    a.server_cpu = 0 if a.pin else None
    a.client_cpu = 1 if a.pin else None
    if a.keys > 10_000_000:
        ap.error("--keys must be <= 10,000,000 (key:%07d format)")
    return a


def main():
    args = parse_args()
    for b, what in ((args.magpie, "candidate (--magpie)"), (args.redis, "reference (--redis)"),
                    (args.redis_benchmark, "redis-benchmark")):
        if not (os.path.isfile(b) and os.access(b, os.X_OK)):
            log(f"error: {what} binary not found or not executable: {b}"
                + ("\n  build it with `make build`, or pass --magpie PATH" if "candidate" in what else ""))
            return 2
    sections = args.only or ["throughput", "memory", "memcached"]

    # SIGTERM/SIGHUP -> KeyboardInterrupt so the finally block stops every server.
    def _sig(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, _sig)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if inherited as ignored

    fleet = Fleet()
    workdir = tempfile.mkdtemp(prefix="magpie-bench-")
    report = {
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine_info(),
        "config": {"rounds": args.rounds, "duration_target_s": args.duration, "quick": args.quick,
                   "threads": args.threads, "keys": args.keys, "pin": args.pin,
                   "clients": 50, "random_keyspace": 100000, "data_size": 64,
                   "tests": TESTS, "pipelines": PIPELINES},
        "candidate": {"binary": args.magpie, "argv": shlex.join(candidate_argv(args, 0)).replace(
            "--port 0", "--port PORT")},
        "reference": {"binary": args.redis, "version": tool_version([args.redis, "--version"]),
                      "argv": shlex.join(reference_argv(args, 0)).replace("--port 0", "--port PORT")},
        "redis_benchmark_version": tool_version([args.redis_benchmark, "--version"]),
        "redis_benchmark_template": shlex.join(bench_argv(args, 0, "TEST", 0, 0)).replace(
            "-p 0", "-p PORT").replace("-n 0", "-n N").replace("-P 0", "-P {1|16}").replace(
            "-t test", "-t {set|get|incr|mset}"),
    }
    t_start = time.monotonic()
    try:
        if "throughput" in sections:
            runs, info = throughput_section(args, fleet, workdir)
            rows, summary = summarize_throughput(runs)
            report["throughput"] = {
                "rows": rows, "summary": summary, "info": info,
                "runs": {f"{t}/P{p}": v for (t, p), v in runs.items()},
            }
        if "memory" in sections:
            report["memory"] = memory_section(args, fleet, workdir)
        if "memcached" in sections:
            report["memcached"] = memcached_section(args, fleet, workdir)
    except KeyboardInterrupt:
        log(f"interrupted; stopping servers (server logs kept in {workdir})")
        return 130
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
        log(f"error: {e}\nserver logs kept in {workdir}")
        return 1
    finally:
        fleet.stop_all()
    report["elapsed_s"] = round(time.monotonic() - t_start, 1)

    md = render(report)
    print(md)
    print(f"redis-benchmark template: {report['redis_benchmark_template']}")
    print(f"elapsed: {report['elapsed_s']} s")

    # JSON: tuple keys -> strings
    if "throughput" in report:
        report["throughput"]["info"]["redis_benchmark_cmds"] = {
            f"{t}/P{p}/{who}": c for (t, p, who), c in report["throughput"]["info"]["redis_benchmark_cmds"].items()}
    report["markdown"] = md
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(report, f, indent=2)
    print(f"wrote {os.path.relpath(args.json, os.getcwd()) if args.json.startswith(os.getcwd()) else args.json}")
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
