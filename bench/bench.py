#!/usr/bin/python3
"""Magpie vs Redis benchmark harness (stdlib only; run with /usr/bin/python3).

Starts the candidate server (Magpie by default) and a reference redis-server
side by side on free loopback ports, then:

  * throughput/latency: redis-benchmark -c 50 -r 100000 -d 64 for SET GET INCR
    MSET at -P 1 and -P 16, alternating candidate/reference runs for --rounds
    rounds and taking the per-metric median; server CPU-seconds per million ops
    comes from /proc/PID/stat (utime+stime) deltas over each run;
  * collections throughput, same servers and method: LPUSH RPOP SADD HSET ZADD
    SPOP (redis-benchmark -t) and LRANGE_100 (run as the explicit command
    `LRANGE mylist 0 99`, because `-t lrange_100` also runs an LPUSH phase inside
    the measured window). Before every run, on both servers, the test's key is
    DELeted and refilled outside the measured window: RPOP/SPOP get n + 5,000
    elements so no pop ever finds an empty structure, LRANGE_100 a 600-element
    list; LPUSH/SADD/HSET/ZADD start empty. LLEN/SCARD/HLEN/ZCARD after each run
    confirm it; a collection test whose prefill, redis-benchmark run or check
    fails is dropped whole and reported as skipped. Reported as a separate table
    and geomean ("collections");
  * every throughput test is preflighted once on both servers: redis-benchmark
    counts error replies as completed requests, so a test whose command gets an
    error (e.g. "ERR unknown command") or a wrong reply is skipped and reported
    as skipped, never measured;
  * memory: on fresh servers, load N keys (key:%07d, 32-byte values) through a
    raw pipelined socket writer and report RSS delta / N and INFO used_memory
    delta / N;
  * collections-memory: on a fresh server pair per scenario, (a) 100,000 hashes
    of 10 fields (HSET hash:%06d field:0 value:.. ... field:9 value:..), (b) one
    sorted set of 1,000,000 members (ZADD, 1,000 seeded-random score/member:%07d
    pairs per command), (c) one set of 1,000,000 integers (SADD, 1,000 per
    command); reports INFO used_memory delta per hash / per member (and RSS),
    OBJECT ENCODING, and length checks. A scenario whose probe command gets an
    error reply is reported as skipped;
  * pubsub: PUBLISH fan-out to 1, 10 and 100 subscribers of one channel, from
    bench/pubload (built with Magpie): 4 publishing connections with 16 PUBLISH
    each in flight; end-to-end messages/s (until every subscriber has every
    message), alternating candidate/reference runs, median per case;
  * memcached (secondary): memcached 1.6.18 vs the candidate's --memcached-port,
    only if the candidate answers `version` there; load from bench/mcload (built with Magpie);
  * scripting: EVALSHA of a 3-command script (INCR, EXPIRE, GET on KEYS[1]) and MULTI/EXEC
    of 5 commands on one random key pair, 50 connections at depth 1 and 16, through
    bench/mcload --seq (redis-benchmark sends one command per request), same alternation
    and medians; a case whose preflight gets an error or a wrong reply is skipped.
  * eviction: bench/trace (built with Magpie) replays a Zipf(0.99) GET-then-SET-on-miss trace
    over 1,000,000 keys (quick: 200,000) against fresh servers with the same maxmemory (10% of
    what Redis needs for all the keys, plus 1 MB) and the same policy, and prints hit ratios:
    allkeys-lru and allkeys-lfu on both, allkeys-s3fifo on Magpie; then a scan-heavy trace (30%
    one-hit wonders) for LRU, LFU and S3-FIFO; then GET p99 on Magpie with 20,000 SETs/s of new
    keys, without eviction and under eviction pressure.

Prints a Markdown report and writes the same data to bench/results/latest.json.

Usage:
  /usr/bin/python3 bench/bench.py                 # full run (~3 rounds)
  /usr/bin/python3 bench/bench.py --quick         # fast smoke run (1 round, 20,000 hashes,
                                                  # 200,000 zset/set members)
  /usr/bin/python3 bench/bench.py --magpie /usr/bin/redis-server --quick
                                                  # harness self-check (ratios ~1.0)
  /usr/bin/python3 bench/bench.py --only throughput --tests LPUSH,LRANGE_100 --quick
  /usr/bin/python3 bench/bench.py --only collections-memory --quick
"""

import argparse
import json
import math
import os
import platform
import random
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

import snapshot_section  # bench/snapshot_section.py

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS_DIR = os.path.join(ROOT, "bench", "results")
TESTS = ["SET", "GET", "INCR", "MSET"]
COLLECTION_TESTS = ["LPUSH", "RPOP", "SADD", "HSET", "ZADD", "SPOP", "LRANGE_100"]
ALL_TESTS = TESTS + COLLECTION_TESTS
PIPELINES = [1, 16]
BENCH_DATA = b"x" * 64       # what redis-benchmark -d 64 sends as a value
LRANGE_LIST_LEN = 600        # mylist length for LRANGE_100 (redis-benchmark's own LRANGE_600 size)
POP_MARGIN = 5000            # extra elements for RPOP/SPOP; redis-benchmark overshoots -n by < c*P = 800
# redis-benchmark `-t lrange_100` first runs "LPUSH (needed to benchmark LRANGE)" with the
# same -n inside the measured process, so LRANGE_100 is run as an explicit command instead.
CUSTOM_BENCH_CMD = {"LRANGE_100": ["LRANGE", "mylist", "0", "99"]}
COLL_KEY = {"LPUSH": "mylist", "RPOP": "mylist", "LRANGE_100": "mylist", "SADD": "myset",
            "SPOP": "myset", "HSET": "myhash", "ZADD": "myzset"}  # redis-benchmark's key names
LEN_CMD = {"mylist": "LLEN", "myset": "SCARD", "myhash": "HLEN", "myzset": "ZCARD"}
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
RESERVED_PORTS = {6379, 11211, 16379}
SECTIONS = ["throughput", "memory", "collections-memory", "pubsub", "memcached", "scripting", "eviction",
            "snapshot"]  # default: all, in this order


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
        argv += ["--threads", str(args.threads), "--memcached-port", "0", "--http-port", "0"]
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

class TestFailed(RuntimeError):
    """A throughput test could not be measured validly on a live server (bad prefill, bad
    redis-benchmark exit/output, failed state check). Collection tests are then dropped and
    reported as skipped; for SET/GET/INCR/MSET it aborts the run as before."""


def bench_argv(args, port, test, pipeline, n):
    argv = [args.redis_benchmark, "-h", "127.0.0.1", "-p", str(port), "-c", "50",
            "-r", "100000", "-d", "64", "-n", str(n), "-P", str(pipeline), "--csv"]
    if test in CUSTOM_BENCH_CMD:
        argv += CUSTOM_BENCH_CMD[test]  # explicit command: exactly this command, nothing else
    else:
        argv[-1:-1] = ["-t", test.lower()]
    if args.client_cpu is not None:
        argv = ["taskset", "-c", str(args.client_cpu)] + argv
    return argv


def parse_csv(text):
    rows = [l for l in text.strip().splitlines() if l.startswith('"')]
    if len(rows) != 2:
        # Exactly one result row: more would mean redis-benchmark ran another phase (e.g.
        # `-t lrange_100` pushes first) inside the measured wall/CPU window.
        raise TestFailed(f"unexpected redis-benchmark output (want header + 1 row):\n{text}")
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
        raise TestFailed(f"redis-benchmark failed ({out.returncode}): {shlex.join(argv)}\n"
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


def drop_failed(test, e, skipped):
    """A collection test that fails mid-measurement is dropped (reported as skipped);
    anything else propagates."""
    if test not in COLLECTION_TESTS:
        raise e
    skipped[test] = f"failed during measurement, not counted: {e}"[:400]
    log(f"  dropping {test}: {skipped[test]}")


def calibrate(args, cand, ref, tests, skipped):
    """Choose -n per (test, pipeline) so a *reference* run lasts ~args.duration s.

    The same probe runs are also sent to the candidate (results discarded) so both
    servers see an identical warm-up history; both then get the identical -n."""
    sizes = {}
    for test in tests:
        for p in PIPELINES:
            if test in skipped:
                break
            probe_n = 20000 if p == 1 else 100000
            try:
                for srv in (cand, ref):
                    r = run_test(args, srv, test, p, probe_n)
            except TestFailed as e:
                drop_failed(test, e, skipped)
                break
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


def resp_cmd(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


_fill_cache = {}


def fill_payload(kind, count):
    """RESP chunks that create `count` elements in redis-benchmark's key for `kind`:
    "list" = LPUSH mylist <64 x's> (1,000 values per command, the value redis-benchmark's
    LPUSH sends); "set" = SADD myset element:%012d (distinct members in the form
    redis-benchmark's SADD uses). Returns (chunks, ncommands); the last payload is cached
    because candidate and reference are filled with the identical payload back to back."""
    key = (kind, count)
    if key in _fill_cache:
        return _fill_cache[key]
    _fill_cache.clear()
    chunks = []
    full_list_cmd = resp_cmd(b"LPUSH", b"mylist", *([BENCH_DATA] * 1000)) if kind == "list" else None
    for s in range(0, count, 1000):
        e = min(s + 1000, count)
        if kind == "list":  # identical commands: share one bytes object
            chunks.append(full_list_cmd if e - s == 1000 else
                          resp_cmd(b"LPUSH", b"mylist", *([BENCH_DATA] * (e - s))))
        else:
            chunks.append(b"*%d\r\n$4\r\nSADD\r\n$5\r\nmyset\r\n" % (e - s + 2)
                          + b"".join(b"$20\r\nelement:%012d\r\n" % i for i in range(s, e)))
    _fill_cache[key] = (chunks, len(chunks))
    return _fill_cache[key]


def coll_len(conn, key):
    r = conn.cmd(LEN_CMD[key], key)
    return r if isinstance(r, int) else None


def prepare_collection(server, test, n):
    """Give the collection a test touches the same starting state on both servers, before
    every run (calibration probes included): DEL it, then
      RPOP       mylist = n + POP_MARGIN elements  (every pop finds an element)
      SPOP       myset  = n + POP_MARGIN members
      LRANGE_100 mylist = 600 elements             (LRANGE 0 99 returns 100 of them)
      LPUSH SADD HSET ZADD: start empty (SADD/HSET/ZADD grow to <= 100,000 via -r 100000).
    Returns the length before the run."""
    key = COLL_KEY[test]
    want = {"RPOP": n + POP_MARGIN, "SPOP": n + POP_MARGIN, "LRANGE_100": LRANGE_LIST_LEN}.get(test, 0)
    c = RespConn(server.port, timeout=60)
    try:
        r = c.cmd("DEL", key)
        if isinstance(r, Exception):
            raise TestFailed(f"{server.name}: DEL {key}: {r}")
        if want:
            chunks, ncmds = fill_payload("set" if key == "myset" else "list", want)
            try:
                _, errors, first = pipe_load(server.port, chunks, ncmds)
            except RuntimeError as e:
                if server.proc.poll() is not None:
                    raise RuntimeError(f"{server.name} died while filling {key} for {test}\n"
                                       f"{server.log_tail()}") from e
                raise TestFailed(f"{server.name}: filling {key} for {test}: {e}") from e
            if errors:
                raise TestFailed(f"{server.name}: {errors} error replies filling {key} for {test}: {first!r}")
        have = coll_len(c, key)
    finally:
        c.close()
    if have != want:
        raise TestFailed(f"{server.name}: {key} has {have} elements after prefill for {test}, want {want}")
    time.sleep(0.2)  # let post-fill background work (allocator purge, rehash) settle before measuring
    return have


def check_collection(server, test, n, before):
    """After a run: the collection must show that every request did real work."""
    key = COLL_KEY[test]
    c = RespConn(server.port, timeout=60)
    try:
        after = coll_len(c, key)
    finally:
        c.close()
    if after is None:
        ok, why = False, f"{LEN_CMD[key]} {key} did not return an integer"
    elif test == "LPUSH":
        ok, why = after >= n, f"LLEN {after} after {n} LPUSHes into an empty list"
    elif test in ("RPOP", "SPOP"):
        ok = after > 0 and before - after >= n
        why = f"{LEN_CMD[key]} {before} -> {after} over {n} pops (never empty: {after > 0})"
    elif test == "LRANGE_100":
        ok, why = after == LRANGE_LIST_LEN, f"LLEN {after} (want {LRANGE_LIST_LEN})"
    else:  # SADD HSET ZADD with -r 100000 over an initially empty key
        ok = 0 < after <= 100000 and after <= n + 800
        why = f"{LEN_CMD[key]} {after} after {n} requests over 100,000 random members"
    return {"len_before": before, "len_after": after, "ok": ok, "check": why}


def run_test(args, server, test, pipeline, n):
    """run_bench, plus collection state preparation before and verification after."""
    if test not in COLL_KEY:
        return run_bench(args, server, test, pipeline, n)
    before = prepare_collection(server, test, n)
    r = run_bench(args, server, test, pipeline, n)
    r["state"] = check_collection(server, test, n, before)
    if not r["state"]["ok"]:  # requests did not all do real work: the numbers would mislead
        raise TestFailed(f"{server.name} {test} P{pipeline}: state check failed: {r['state']['check']}")
    return r


PREFLIGHT = {  # one command per test; reply must not be an error
    "SET": ("SET", "key:000000000000", "x" * 64),
    "GET": ("GET", "key:000000000000"),
    "INCR": ("INCR", "counter:000000000000"),
    "MSET": ("MSET", "key:000000000000", "x" * 64, "key:000000000001", "x" * 64),
}


E1 = b"element:000000000001"
# Collection preflight: (command, check) steps per test on redis-benchmark's own keys; any
# error reply or failed check skips the test. The harness's own commands for that test (DEL
# and the LPUSH/SADD prefill before each run, LLEN/SCARD/HLEN/ZCARD checks after it) are part
# of it, since the prepared state and its verification depend on them. Keys are DELeted after.
COLLECTION_PREFLIGHT = {
    "LPUSH": [(("DEL", "mylist"), None), (("LPUSH", "mylist", BENCH_DATA), lambda r: r == 1),
              (("LLEN", "mylist"), lambda r: r == 1)],
    "RPOP": [(("DEL", "mylist"), None), (("LPUSH", "mylist", BENCH_DATA), lambda r: r == 1),
             (("RPOP", "mylist"), lambda r: r == BENCH_DATA), (("RPOP", "mylist"), lambda r: r is None),
             (("LLEN", "mylist"), lambda r: r == 0)],
    "SADD": [(("DEL", "myset"), None), (("SADD", "myset", E1), lambda r: r == 1),
             (("SADD", "myset", E1), lambda r: r == 0), (("SCARD", "myset"), lambda r: r == 1)],
    "HSET": [(("DEL", "myhash"), None), (("HSET", "myhash", E1, BENCH_DATA), lambda r: r == 1),
             (("HSET", "myhash", E1, BENCH_DATA), lambda r: r == 0), (("HLEN", "myhash"), lambda r: r == 1)],
    "ZADD": [(("DEL", "myzset"), None), (("ZADD", "myzset", "1", E1), lambda r: r == 1),
             (("ZADD", "myzset", "2", E1), lambda r: r == 0), (("ZCARD", "myzset"), lambda r: r == 1)],
    "SPOP": [(("DEL", "myset"), None), (("SADD", "myset", E1), lambda r: r == 1),
             (("SPOP", "myset"), lambda r: r == E1), (("SPOP", "myset"), lambda r: r is None),
             (("SCARD", "myset"), lambda r: r == 0)],
    "LRANGE_100": [(("DEL", "mylist"), None),
                   (("LPUSH", "mylist") + (BENCH_DATA,) * LRANGE_LIST_LEN, lambda r: r == LRANGE_LIST_LEN),
                   (("LRANGE", "mylist", "0", "99"),
                    lambda r: isinstance(r, list) and len(r) == 100 and all(x == BENCH_DATA for x in r)),
                   (("LLEN", "mylist"), lambda r: r == LRANGE_LIST_LEN)],
}


def preflight(server, tests):
    """redis-benchmark counts error replies as completed requests, so an unimplemented
    command would look fast. Check each test's command(s) once; return {test: reason}."""
    bad = {}
    c = RespConn(server.port)
    try:
        for test in tests:
            if test in PREFLIGHT:
                r = c.cmd(*PREFLIGHT[test])
                if isinstance(r, Exception):
                    bad[test] = f"replied error to {PREFLIGHT[test][0]}: {str(r)[:100]}"
                continue
            for cmd, check in COLLECTION_PREFLIGHT[test]:
                r = c.cmd(*cmd)
                role = "" if cmd[0] == test.split("_")[0] else f" (used by the harness for {test})"
                if isinstance(r, Exception):
                    bad[test] = f"replied error to {cmd[0]}{role}: {str(r)[:100]}"
                    break
                if check is not None and not check(r):
                    bad[test] = f"unexpected reply to {cmd[0]}{role}: {repr(r)[:100]}"
                    break
        for key in sorted({COLL_KEY[t] for t in tests if t in COLL_KEY}):
            c.cmd("DEL", key)
    finally:
        c.close()
    return bad


def throughput_section(args, fleet, workdir):
    cand, ref = start_pair(args, fleet, workdir)
    log(f"throughput: candidate pid {cand.pid} port {cand.port}; "
        f"reference pid {ref.pid} port {ref.port}")
    skipped = {}
    for who, srv in (("candidate", cand), ("reference", ref)):
        for test, why in preflight(srv, args.tests).items():
            skipped.setdefault(test, f"{who} {why}")
    for test, why in skipped.items():
        log(f"  skipping {test}: {why}")
    tests = [t for t in args.tests if t not in skipped]
    if any(t in TESTS for t in tests):
        for srv in (cand, ref):
            prefill_keyspace(srv)
    # warm-up + sizing (calibrated on the reference so both get identical -n)
    sizes = calibrate(args, cand, ref, tests, skipped)
    tests = [t for t in tests if t not in skipped]
    log("request counts: " + ", ".join(f"{t}/P{p}={n}" for (t, p), n in sizes.items() if t in tests))

    runs = {(t, p): {"candidate": [], "reference": []} for t in ALL_TESTS for p in PIPELINES}
    cmds = {}
    for rnd in range(args.rounds):
        for test in tests:
            for p in PIPELINES:
                if test in skipped:
                    break
                for who, srv in (("candidate", cand), ("reference", ref)):
                    try:
                        r = run_test(args, srv, test, p, sizes[(test, p)])
                    except TestFailed as e:
                        drop_failed(test, e, skipped)
                        for q in PIPELINES:  # no partial results for a dropped test
                            runs[(test, q)] = {"candidate": [], "reference": []}
                            for w in ("candidate", "reference"):
                                cmds.pop((test, q, w), None)
                        break
                    runs[(test, p)][who].append(r)
                    cmds[(test, p, who)] = r["cmd"]
                    log(f"  round {rnd + 1}/{args.rounds} {test:<10} P{p:<2} {who:<9} "
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
    for test in ALL_TESTS:
        for p in PIPELINES:
            if not runs[(test, p)]["candidate"]:
                continue
            row = {"test": test, "pipeline": p,
                   "group": "collections" if test in COLLECTION_TESTS else "strings"}
            for key, _, _ in METRICS:
                c = statistics.median(r[key] for r in runs[(test, p)]["candidate"])
                rf = statistics.median(r[key] for r in runs[(test, p)]["reference"])
                row[key] = {"magpie": c, "redis": rf, "ratio": ratio(c, rf)}
            failed = [f"{who}: {r['state']['check']}" for who in ("candidate", "reference")
                      for r in runs[(test, p)][who] if "state" in r and not r["state"]["ok"]]
            if failed:
                row["state_check_failures"] = failed
            rows.append(row)
    summary = {}
    # prefix "" = SET GET INCR MSET (unchanged keys), "collections_" = COLLECTION_TESTS
    for prefix, group in (("", "strings"), ("collections_", "collections")):
        grows = [r for r in rows if r["group"] == group]
        for p in PIPELINES:
            summary[f"{prefix}geomean_ops_ratio_P{p}"] = geomean(
                [r["rps"]["ratio"] for r in grows if r["pipeline"] == p])
        summary[f"{prefix}geomean_cpu_per_op_ratio"] = geomean([r["cpu_s_per_mop"]["ratio"] for r in grows])
        for p in PIPELINES:
            summary[f"{prefix}geomean_cpu_per_op_ratio_P{p}"] = geomean(
                [r["cpu_s_per_mop"]["ratio"] for r in grows if r["pipeline"] == p])
    return rows, summary


# --------------------------------------------------------------------------- memory

def build_load_payload(nkeys, value_len=32):
    val = b"v" * value_len
    tmpl = b"*3\r\n$3\r\nSET\r\n$11\r\nkey:%07d\r\n$" + str(value_len).encode() + b"\r\n" + val + b"\r\n"
    return [b"".join(tmpl % i for i in range(s, min(s + 50000, nkeys)))
            for s in range(0, nkeys, 50000)]


def pipe_load(port, chunks, nreplies):
    """Stream pre-built RESP over one socket while a reader counts replies.

    Every command in `chunks` must get exactly one single-line reply: +OK (SET), :N
    (HSET/ZADD/SADD/LPUSH/DEL) or -ERR... . Replies are therefore counted as lines, and an
    error reply is a line that *starts* with '-' (a '-' elsewhere, e.g. ':-1', is not one).
    Returns (seconds, error_replies, first_error_line)."""
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
    tail = b"\n"  # last byte of the previous recv: tells whether data[0] starts a line
    try:
        while got < nreplies:
            data = sock.recv(1 << 20)
            if not data:
                raise RuntimeError(f"server closed connection after {got}/{nreplies} replies"
                                   + (f" (first error: {first_err!r})" if first_err else ""))
            got += data.count(b"\n")
            if b"-" in data:
                joined = tail + data
                n_err = joined.count(b"\n-")
                if n_err:
                    errors += n_err
                    if first_err is None:
                        i = joined.index(b"\n-") + 1
                        first_err = joined[i:i + 120].split(b"\r\n", 1)[0]
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


# --------------------------------------------------------------------------- collections memory

HASH_FIELDS = [b"field:%d" % j for j in range(10)]


def hashes_payload(n):
    """HSET hash:%06d field:0 value:<10i+0> ... field:9 value:<10i+9>, 1,000 commands per chunk."""
    chunks = []
    for s in range(0, n, 1000):
        chunks.append(b"".join(
            resp_cmd(b"HSET", b"hash:%06d" % i,
                     *[x for j in range(10) for x in (HASH_FIELDS[j], b"value:%d" % (i * 10 + j))])
            for i in range(s, min(s + 1000, n))))
    return chunks, n  # one reply per hash


def zset_payload(n, seed=20261123):
    """ZADD bench:zset <score> member:%07d ..., 1,000 pairs per command; scores are
    random.Random(seed) floats in [0, 1e6) with 6 decimals (same on both servers)."""
    rng = random.Random(seed)
    chunks = []
    for s in range(0, n, 1000):
        args = [b"ZADD", b"bench:zset"]
        for i in range(s, min(s + 1000, n)):
            args += [b"%.6f" % (rng.random() * 1e6), b"member:%07d" % i]
        chunks.append(resp_cmd(*args))
    return chunks, len(chunks)


def intset_payload(n):
    """SADD bench:set 0 1 2 ... n-1, 1,000 integers per command."""
    chunks = [resp_cmd(b"SADD", b"bench:set", *[b"%d" % i for i in range(s, min(s + 1000, n))])
              for s in range(0, n, 1000)]
    return chunks, len(chunks)


def coll_mem_scenarios(args):
    """(name, title, unit, n, payload builder, probe command, encoding key, length checks)"""
    return [
        ("hashes", f"{args.hashes:,} hashes x 10 fields (HSET)", "hash", args.hashes,
         lambda: hashes_payload(args.hashes),
         ("HSET", "bench:probe", "field:0", "value:0", "field:1", "value:1"), "hash:000000",
         [(("DBSIZE",), args.hashes), (("HLEN", "hash:000000"), 10),
          (("HLEN", "hash:%06d" % (args.hashes - 1)), 10)]),
        ("zset", f"1 sorted set x {args.zset_members:,} members (ZADD)", "member", args.zset_members,
         lambda: zset_payload(args.zset_members),
         ("ZADD", "bench:probe", "1.5", "member:0000000", "2.5", "member:0000001"), "bench:zset",
         [(("DBSIZE",), 1), (("ZCARD", "bench:zset"), args.zset_members)]),
        ("set", f"1 set x {args.set_members:,} integers (SADD)", "member", args.set_members,
         lambda: intset_payload(args.set_members),
         ("SADD", "bench:probe", "1", "2"), "bench:set",
         [(("DBSIZE",), 1), (("SCARD", "bench:set"), args.set_members)]),
    ]


def coll_mem_one(server, chunks, ncmds, n, probe, enc_key, checks):
    """Load one scenario into one fresh server; returns a result dict with 'skipped' set
    (and nothing measured) if the command is not usable on this server."""
    c = RespConn(server.port, timeout=60)
    try:
        r = c.cmd(*probe)
        if isinstance(r, Exception):
            return {"skipped": f"replied error to {probe[0]}: {str(r)[:100]}"}
        if not isinstance(r, int):
            return {"skipped": f"unexpected reply to {probe[0]}: {repr(r)[:100]}"}
        c.cmd("DEL", "bench:probe")
    finally:
        c.close()
    time.sleep(0.3)
    rss0 = rss_bytes(server.pid)
    um0 = info_field(server.port, "memory", "used_memory")
    try:
        secs, errors, first_err = pipe_load(server.port, chunks, ncmds)
    except (RuntimeError, OSError) as e:
        return {"skipped": f"load failed: {e}"[:300]}
    if errors:
        return {"skipped": f"{errors}/{ncmds} error replies during load, first: "
                           f"{first_err.decode(errors='replace')}"}
    time.sleep(0.5)
    rss1 = rss_bytes(server.pid)
    um1 = info_field(server.port, "memory", "used_memory")
    c = RespConn(server.port, timeout=60)
    try:
        enc = c.cmd("OBJECT", "ENCODING", enc_key)
        enc = (f"error: {enc}" if isinstance(enc, Exception)
               else enc.decode(errors="replace") if isinstance(enc, bytes) else str(enc))
        got = []
        for cmd, want in checks:
            v = c.cmd(*cmd)
            got.append({"cmd": " ".join(cmd), "want": want,
                        "got": v if isinstance(v, int) else repr(v)[:80], "ok": v == want})
    finally:
        c.close()
    return {
        "elements": n,
        "load_seconds": round(secs, 3),
        "commands": ncmds,
        "rss_before": rss0,
        "rss_after": rss1,
        "rss_bytes_per_element": (rss1 - rss0) / n,
        "used_memory_before": um0,
        "used_memory_after": um1,
        "used_memory_bytes_per_element": ((um1 - um0) / n) if (um0 is not None and um1 is not None) else None,
        "encoding": enc,
        "checks": got,
        "checks_ok": all(g["ok"] for g in got),
    }


def collections_memory_section(args, fleet, workdir):
    out = {"scenarios": [], "method": (
        "fresh candidate/reference pair per scenario; one probe command on a scratch key "
        "(error reply => scenario skipped), then the pre-built RESP is streamed over one socket "
        "(pipelined, single-line replies counted); bytes/element = (INFO used_memory after - "
        "before) / elements (per hash for the hash scenario, per member otherwise), RSS delta "
        "likewise; OBJECT ENCODING and DBSIZE/HLEN/ZCARD/SCARD checked after the load")}
    for name, title, unit, n, build, probe, enc_key, checks in coll_mem_scenarios(args):
        log(f"collections-memory: building RESP for {title}")
        chunks, ncmds = build()
        cand, ref = start_pair(args, fleet, workdir)
        sc = {"name": name, "title": title, "unit": unit, "elements": n, "encoding_key": enc_key,
              "probe": " ".join(probe)}
        try:
            for who, srv in (("candidate", cand), ("reference", ref)):
                sc[who] = coll_mem_one(srv, chunks, ncmds, n, probe, enc_key, checks)
                m = sc[who]
                if "skipped" in m:
                    log(f"  {name}: {who} skipped: {m['skipped']}")
                    continue
                um = m["used_memory_bytes_per_element"]
                log(f"  {name}: {who:<9} loaded in {m['load_seconds']:.2f}s, used_memory "
                    f"{'n/a' if um is None else f'{um:.1f}'} B/{unit}, RSS {m['rss_bytes_per_element']:.1f} "
                    f"B/{unit}, encoding {m['encoding']}, checks {'ok' if m['checks_ok'] else 'FAILED'}")
                if not m["checks_ok"]:
                    log(f"  warning: {who} {name} post-load checks: {m['checks']}")
        finally:
            fleet.stop(cand)
            fleet.stop(ref)
        del chunks
        if "skipped" in sc["candidate"] or "skipped" in sc["reference"]:
            who = "candidate" if "skipped" in sc["candidate"] else "reference"
            sc["skipped"] = f"{who} {sc[who]['skipped']}"
            sc["used_memory_ratio"] = sc["rss_ratio"] = None
        else:
            sc["used_memory_ratio"] = ratio(sc["candidate"]["used_memory_bytes_per_element"],
                                            sc["reference"]["used_memory_bytes_per_element"])
            sc["rss_ratio"] = ratio(sc["candidate"]["rss_bytes_per_element"],
                                    sc["reference"]["rss_bytes_per_element"])
        out["scenarios"].append(sc)
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


def mcload_run(mcload, pid, port, op, depth, seconds, keys=100000, seq=None, cpu=None):
    argv = [mcload, "--port", str(port), "--conns", "50", "--depth", str(depth)]
    argv += ["--seq", seq] if seq else ["--op", op, "--value", "32"]
    argv += ["--keys", str(keys), "--seconds", str(seconds)]
    cpu0 = cpu_seconds(pid)
    run = argv if cpu is None else ["taskset", "-c", str(cpu)] + argv
    out = subprocess.run(run, capture_output=True, text=True, timeout=seconds + 60)
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


# --------------------------------------------------------------------------- scripting

SCRIPT_3 = "redis.call('INCR', KEYS[1]) redis.call('EXPIRE', KEYS[1], 1000) return redis.call('GET', KEYS[1])"
MULTI_5 = "MULTI;INCR k:__rand__;EXPIRE k:__rand__ 1000;GET k:__rand__;SET s:__rand__ v;GET s:__rand__;EXEC"


def scripting_cases(sha):
    return [("EVALSHA, 3-command script", f"EVALSHA {sha} 1 k:__rand__"),
            ("MULTI/EXEC, 5 commands", MULTI_5)]


def scripting_preflight(port):
    """The script loads, runs and returns the incremented value; MULTI/EXEC answers its 5
    commands. Returns (sha, reason or None)."""
    c = RespConn(port)
    try:
        sha = c.cmd("SCRIPT", "LOAD", SCRIPT_3)
        if isinstance(sha, Exception):
            return None, f"SCRIPT LOAD: {sha}"
        c.cmd("DEL", "k:1")
        r = c.cmd("EVALSHA", sha, "1", "k:1")
        if r != b"1":
            return sha, f"EVALSHA replied {r!r}, want b'1'"
        replies = [c.cmd(*cmd.replace("__rand__", "1").split(" ")) for cmd in MULTI_5.split(";")]
        if not (isinstance(replies[-1], list) and len(replies[-1]) == 5
                and not any(isinstance(x, Exception) for x in replies[-1])):
            return sha, f"MULTI/EXEC replied {replies[-1]!r}"
        return sha.decode() if isinstance(sha, bytes) else sha, None
    finally:
        c.close()


def scripting_section(args, fleet, workdir):
    res = {"status": None}
    mcload = os.path.join(os.path.dirname(args.magpie), "mcload")
    if not os.path.exists(mcload):
        res["status"] = f"skipped: {mcload} not built (make build)"
        return res
    cand, ref = start_pair(args, fleet, workdir)
    try:
        shas = {}
        for who, srv in (("candidate", cand), ("reference", ref)):
            sha, why = scripting_preflight(srv.port)
            if why:
                res["status"] = f"skipped: {who} {why}"
                return res
            shas[who] = sha
        secs = max(1.0, args.duration * 0.6)
        cases = []
        for (label, seq), depth in [(c, d) for c in scripting_cases(shas["reference"]) for d in (1, 16)]:
            runs = {"candidate": [], "reference": []}
            for _ in range(args.rounds):  # alternating A/B rounds
                for who, srv in (("candidate", cand), ("reference", ref)):
                    argv_seq = seq.replace(shas["reference"], shas[who])
                    runs[who].append(mcload_run(mcload, srv.proc.pid, srv.port, None, depth, secs,
                                                seq=argv_seq))
            med = {w: {k: statistics.median(r[k] for r in runs[w])
                       for k in ("ops_per_sec", "p50_us", "p99_us", "cpu_per_mop")} for w in runs}
            cases.append({"label": label, "depth": depth, "median": med, "runs": runs,
                          "ops_ratio": ratio(med["candidate"]["ops_per_sec"],
                                             med["reference"]["ops_per_sec"])})
            log(f"  scripting {label} depth {depth}: {cases[-1]['ops_ratio']:.2f}x ops/s")
        res.update({"status": "ok", "cases": cases, "script": SCRIPT_3,
                    "load_example": cases[0]["runs"]["reference"][0]["cmd"]})
        return res
    finally:
        fleet.stop(cand)
        fleet.stop(ref)


# --------------------------------------------------------------------------- pubsub

PUBSUB_SUBSCRIBERS = [1, 10, 100]


def pubload_run(pubload, port, subs, seconds):
    argv = [pubload, "--port", str(port), "--subs", str(subs), "--pubs", "4", "--depth", "16",
            "--size", "16", "--seconds", str(seconds)]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    if out.returncode != 0:
        raise RuntimeError(f"pubload failed: {shlex.join(argv)}\n{out.stdout}{out.stderr[-2000:]}")
    r = json.loads(out.stdout)
    r["cmd"] = shlex.join(argv)
    return r


def pubsub_section(args, fleet, workdir):
    pubload = os.path.join(os.path.dirname(args.magpie), "pubload")
    if not os.path.exists(pubload):
        return {"status": f"skipped: {pubload} not built (make build)"}
    cand, ref = start_pair(args, fleet, workdir)
    try:
        secs = max(1.0, args.duration * 0.6)
        cases = []
        for subs in PUBSUB_SUBSCRIBERS:
            runs = {"candidate": [], "reference": []}
            for _ in range(args.rounds):  # alternating A/B rounds
                runs["candidate"].append(pubload_run(pubload, cand.port, subs, secs))
                runs["reference"].append(pubload_run(pubload, ref.port, subs, secs))
            med = {w: statistics.median(r["msgs_per_sec"] for r in runs[w]) for w in runs}
            cases.append({"subscribers": subs, "median_msgs_per_sec": med, "runs": runs,
                          "ratio": ratio(med["candidate"], med["reference"])})
            log(f"  PUBLISH to {subs} subscribers: {cases[-1]['ratio']:.2f}x messages/s")
        return {"status": "ok", "cases": cases,
                "geomean_ratio": geomean([c["ratio"] for c in cases]),
                "pubload_example": cases[0]["runs"]["reference"][0]["cmd"]}
    finally:
        fleet.stop(cand)
        fleet.stop(ref)


# --------------------------------------------------------------------------- eviction

REDIS_BYTES_PER_KEY = 120  # Redis 7.0 used_memory per key:%07d + 32-byte value (memory section)


def trace_bin(args):
    return os.path.join(os.path.dirname(args.magpie), "trace")


def trace_run(args, fleet, workdir, who, policy, maxmemory, trace_args):
    port = free_port()
    if who == "candidate":
        argv = candidate_argv(args, port, ["--maxmemory", str(maxmemory),
                                           "--maxmemory-policy", policy])
    else:
        argv = reference_argv(args, port) + ["--maxmemory", str(maxmemory),
                                             "--maxmemory-policy", policy]
    srv = fleet.add(Server(who, argv, port, workdir, args.server_cpu))
    srv.start()
    try:
        out = subprocess.run([trace_bin(args)] + trace_args + ["--port", str(port)],
                             capture_output=True, text=True, timeout=900, check=True).stdout
        res = json.loads(out.strip().splitlines()[-1])
        res["evicted_keys"] = info_field(port, "stats", "evicted_keys")
        res["used_memory"] = info_field(port, "memory", "used_memory")
        c = RespConn(port)
        try:
            res["dbsize"] = c.cmd("DBSIZE")
        finally:
            c.close()
        return res
    finally:
        fleet.stop(srv)


def eviction_section(args, fleet, workdir):
    if not os.path.exists(trace_bin(args)):
        return {"status": f"skipped: {trace_bin(args)} not built"}
    keys = 200_000 if args.quick else 1_000_000
    requests = 3 * keys
    maxmemory = keys * REDIS_BYTES_PER_KEY // 10 + (1 << 20)
    base = ["replay", "--keys", str(keys), "--requests", str(requests), "--warmup", str(keys)]
    out = {"keys": keys, "requests": requests, "warmup": keys, "maxmemory": maxmemory,
           "zipf": [], "scan": []}
    runs = [("reference", "allkeys-lru"), ("candidate", "allkeys-lru"),
            ("reference", "allkeys-lfu"), ("candidate", "allkeys-lfu"),
            ("candidate", "allkeys-s3fifo")]
    for trace, extra in (("zipf", []), ("scan", ["--scan-frac", "0.3"])):
        for who, policy in runs:
            if is_redis_binary(args.magpie) and "s3fifo" in policy:
                continue
            res = trace_run(args, fleet, workdir, who, policy, maxmemory, base + extra)
            res.update({"who": who, "policy": policy})
            out[trace].append(res)
            log(f"  eviction {trace:<4} {who:<9} {policy:<15} hit ratio {res['zipf_hit_ratio']:.4f} "
                f"(dbsize {res['dbsize']}, evicted {res['evicted_keys']}, {res['seconds']}s)")
    # GET latency without and with eviction pressure (Magpie only, same write load).
    seconds = "3" if args.quick else "8"
    lat = {}
    for label, mm in (("no_eviction", 0), ("eviction", 4 << 20)):
        port = free_port()
        argv = candidate_argv(args, port, ["--maxmemory", str(mm), "--maxmemory-policy", "allkeys-lru"])
        srv = fleet.add(Server("candidate", argv, port, workdir, args.server_cpu))
        srv.start()
        try:
            res = subprocess.run([trace_bin(args), "latency", "--port", str(port), "--seconds", seconds,
                                  "--write-rate", "20000"], capture_output=True, text=True,
                                 timeout=120, check=True).stdout
            lat[label] = json.loads(res.strip().splitlines()[-1])
            lat[label]["evicted_keys"] = info_field(port, "stats", "evicted_keys")
        finally:
            fleet.stop(srv)
        log(f"  latency {label:<11} GET p50 {lat[label]['p50_us']} us p99 {lat[label]['p99_us']} us "
            f"(evicted {lat[label]['evicted_keys']})")
    lat["p99_ratio"] = ratio(lat["eviction"]["p99_us"], lat["no_eviction"]["p99_us"])
    out["latency"] = lat
    out["status"] = "ok"
    return out


def render_eviction(ev, L):
    L.append("## Eviction quality")
    L.append("")
    if ev.get("status") != "ok":
        L.append(ev.get("status", "not run"))
        L.append("")
        return
    L.append(f"Zipf(0.99) GET-then-SET-on-miss over {ev['keys']:,} keys, {ev['requests']:,} requests "
             f"(hit ratio over the last {ev['requests'] - ev['warmup']:,}), maxmemory "
             f"{ev['maxmemory']:,} bytes on both servers (10% of what Redis needs for all keys). "
             f"\"scan\": the same with 30% of the requests one-hit wonders; hit ratio of the Zipf keys.")
    L.append("")
    L.append("| trace | policy | Magpie hit ratio | Redis hit ratio | points | Magpie keys held | Redis keys held |")
    L.append("|---|---|---:|---:|---:|---:|---:|")
    for trace in ("zipf", "scan"):
        rows = {(r["who"], r["policy"]): r for r in ev[trace]}
        best_ref = max((r["zipf_hit_ratio"] for r in ev[trace] if r["who"] == "reference"), default=None)
        for policy in ("allkeys-lru", "allkeys-lfu", "allkeys-s3fifo"):
            c, r = rows.get(("candidate", policy)), rows.get(("reference", policy))
            if c is None:
                continue
            ref_hr = r["zipf_hit_ratio"] if r else best_ref
            label = "" if r else " (vs Redis's best)"
            hr = c["zipf_hit_ratio"]
            ref_cell = "n/a" if ref_hr is None else f"{ref_hr:.4f}"
            points = "" if ref_hr is None else f"{100 * (hr - ref_hr):+.1f}"
            ref_keys = f"{r['dbsize']:,}" if r else ""
            L.append(f"| {trace} | {policy}{label} | {hr:.4f} | {ref_cell} | {points} | "
                     f"{c['dbsize']:,} | {ref_keys} |")
    lat = ev["latency"]
    L.append("")
    L.append(f"GET latency on Magpie (one client, 10,000 hot keys) while another writes 20,000 new keys/s: "
             f"p99 {lat['no_eviction']['p99_us']} us without eviction, {lat['eviction']['p99_us']} us "
             f"under eviction pressure ({lat['eviction']['evicted_keys']:,} keys evicted); "
             f"ratio {fmt_ratio(lat['p99_ratio'])} (target <= 1.5x).")
    L.append("")

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


def mcload_table(L, cases, peer):
    """The table of an mcload-driven section: one row per case (label, depth)."""
    L.append(f"| test | depth | ops/s Magpie | ops/s {peer} | ops/s ratio | CPU-s/1M ops ratio "
             "| p50 ratio | p99 ratio |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for c in cases:
        a, b = c["median"]["candidate"], c["median"]["reference"]
        L.append(f"| {c['label']} | {c['depth']} | {fmt(a['ops_per_sec'], 'rps')} | "
                 f"{fmt(b['ops_per_sec'], 'rps')} | {fmt_ratio(c['ops_ratio'])} | "
                 f"{fmt_ratio(ratio(a['cpu_per_mop'], b['cpu_per_mop']))} | "
                 f"{fmt_ratio(ratio(a['p50_us'], b['p50_us']))} | "
                 f"{fmt_ratio(ratio(a['p99_us'], b['p99_us']))} |")


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
    cm = report.get("collections_memory")
    if tp:
        skipped = tp["info"].get("skipped_tests", {})
        for title, group, names in (("Throughput / latency / CPU", "strings", TESTS),
                                    ("Collections throughput / latency / CPU", "collections",
                                     COLLECTION_TESTS)):
            rows = [r for r in tp["rows"] if r["group"] == group]
            gskipped = {t: why for t, why in skipped.items() if t in names}
            if not rows and not gskipped:
                continue  # group not selected (--tests)
            L.append(f"## {title}")
            L.append("")
            L.append("ratio = Magpie / Redis. ops/s: higher is better. "
                     "p50, p99 latency and CPU-s per 1M ops: **lower is better**.")
            if group == "collections":
                L.append("")
                L.append("How it was measured: same server pair, client flags and alternation as above "
                         "(redis-benchmark's keys mylist/myset/myhash/myzset). Before *every* run, on "
                         "both servers, the test's key is DELeted and re-filled by a pipelined loader "
                         "outside the measured window: RPOP/SPOP get n + "
                         f"{POP_MARGIN:,} elements (so no pop finds an empty structure), LRANGE_100 "
                         f"gets a {LRANGE_LIST_LEN}-element list of 64-byte values, LPUSH/SADD/HSET/ZADD "
                         "start empty. LRANGE_100 runs `LRANGE mylist 0 99` as an explicit command, "
                         "because `-t lrange_100` also runs an LPUSH phase inside the measured process. "
                         "After each run the length (LLEN/SCARD/HLEN/ZCARD) is checked: every LPUSH "
                         "added, every pop removed an element, the LRANGE list is unchanged.")
            L.append("")
            if rows:
                L.append("| test | pipeline | metric | Magpie | Redis | ratio |")
                L.append("|---|---:|---|---:|---:|---:|")
            for row in rows:
                for key, label, hib in METRICS:
                    v = row[key]
                    arrow = "(higher better)" if hib else "(lower better)"
                    tname = {"MSET": "MSET (10 keys)", "LRANGE_100": "LRANGE_100 (0 99 of 600)"}.get(
                        row["test"], row["test"])
                    L.append(f"| {tname} | {row['pipeline']} | {label} {arrow} | "
                             f"{fmt(v['magpie'], key)} | {fmt(v['redis'], key)} | {fmt_ratio(v['ratio'])} |")
            for t, why in gskipped.items():
                L.append(f"\n**{t} not measured (skipped)**: {why}")
            for row in rows:
                for f in row.get("state_check_failures", []):
                    L.append(f"\n**warning**: {row['test']} P{row['pipeline']} state check failed: {f}")
            L.append("")
        s = tp["summary"]
        L.append("| summary | Magpie/Redis |")
        L.append("|---|---:|")
        L.append(f"| geomean ops/s ratio, P1, SET/GET/INCR/MSET (higher better) | {fmt_ratio(s['geomean_ops_ratio_P1'])} |")
        L.append(f"| geomean ops/s ratio, P16, SET/GET/INCR/MSET (higher better) | {fmt_ratio(s['geomean_ops_ratio_P16'])} |")
        L.append(f"| geomean CPU-per-op ratio, all, SET/GET/INCR/MSET (lower better) | {fmt_ratio(s['geomean_cpu_per_op_ratio'])} |")
        L.append(f"| geomean CPU-per-op ratio, P1 / P16, SET/GET/INCR/MSET (lower better) | "
                 f"{fmt_ratio(s['geomean_cpu_per_op_ratio_P1'])} / {fmt_ratio(s['geomean_cpu_per_op_ratio_P16'])} |")
        ncoll = sum(1 for r in tp["rows"] if r["group"] == "collections")
        nskip = sum(1 for t in skipped if t in COLLECTION_TESTS)
        cnote = f" ({ncoll // len(PIPELINES)} tests" + (f", {nskip} skipped" if nskip else "") + ")"
        L.append(f"| collections geomean ops/s ratio, P1 / P16 (higher better){cnote} | "
                 f"{fmt_ratio(s['collections_geomean_ops_ratio_P1'])} / "
                 f"{fmt_ratio(s['collections_geomean_ops_ratio_P16'])} |")
        L.append(f"| collections geomean CPU-per-op ratio, all; P1 / P16 (lower better) | "
                 f"{fmt_ratio(s['collections_geomean_cpu_per_op_ratio'])}; "
                 f"{fmt_ratio(s['collections_geomean_cpu_per_op_ratio_P1'])} / "
                 f"{fmt_ratio(s['collections_geomean_cpu_per_op_ratio_P16'])} |")
        mem = report.get("memory")
        if mem:
            L.append(f"| bytes/key ratio, RSS (lower better) | {fmt_ratio(mem['rss_ratio'])} |")
            L.append(f"| bytes/key ratio, used_memory (lower better) | {fmt_ratio(mem['used_memory_ratio'])} |")
        if cm:
            for sc in cm["scenarios"]:
                L.append(f"| used_memory bytes/{sc['unit']} ratio, {sc['name']} (lower better) | "
                         f"{'skipped' if sc.get('skipped') else fmt_ratio(sc['used_memory_ratio'])} |")
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
    if cm:
        L.append("## Collections memory")
        L.append("")
        L.append("ratio = Magpie / Redis; bytes per element: **lower is better**.")
        L.append("")
        L.append("| scenario | metric | Magpie | Redis | ratio |")
        L.append("|---|---|---:|---:|---:|")
        for sc in cm["scenarios"]:
            c, r = sc["candidate"], sc["reference"]
            if sc.get("skipped"):
                def cell(d):  # the side that did load still shows its numbers, for reference
                    if "skipped" in d:
                        return d["skipped"].replace("|", "\\|")
                    return (f"{fmt(d['used_memory_bytes_per_element'])} used_memory B/{sc['unit']}, "
                            f"encoding {d['encoding']}")
                L.append(f"| {sc['title']} | skipped | {cell(c)} | {cell(r)} | |")
                continue
            u = sc["unit"]
            L.append(f"| {sc['title']} | used_memory bytes/{u} (lower better) | "
                     f"{fmt(c['used_memory_bytes_per_element'])} | {fmt(r['used_memory_bytes_per_element'])} | "
                     f"{fmt_ratio(sc['used_memory_ratio'])} |")
            L.append(f"| | RSS bytes/{u} (lower better) | {fmt(c['rss_bytes_per_element'])} | "
                     f"{fmt(r['rss_bytes_per_element'])} | {fmt_ratio(sc['rss_ratio'])} |")
            L.append(f"| | OBJECT ENCODING {sc['encoding_key']} | {c['encoding']} | {r['encoding']} | |")
            L.append(f"| | load time (s) | {c['load_seconds']:.2f} | {r['load_seconds']:.2f} | |")
            L.append(f"| | post-load checks ({'; '.join(g['cmd'] + '=' + str(g['want']) for g in r['checks'])}) | "
                     f"{'ok' if c['checks_ok'] else 'FAILED'} | {'ok' if r['checks_ok'] else 'FAILED'} | |")
        for sc in cm["scenarios"]:
            if sc.get("skipped"):
                L.append(f"\n**{sc['name']} not measured (skipped)**: {sc['skipped']}")
            for who in ("candidate", "reference"):
                d = sc.get(who, {})
                if d.get("checks") and not d["checks_ok"]:
                    L.append(f"\n**warning**: {who} {sc['name']} post-load checks: "
                             + "; ".join(f"{g['cmd']} = {g['got']} (want {g['want']})" for g in d["checks"]))
        L.append("")
        L.append("How it was measured: " + cm["method"] + ". Loads: hashes = `HSET hash:%06d field:0 "
                 "value:<10i> ... field:9 value:<10i+9>` (one command per hash); sorted set = `ZADD "
                 "bench:zset <score> member:%07d ...` with 1,000 pairs per command, scores from "
                 "random.Random(20261123) in [0, 1e6); set = `SADD bench:set <int> ...` with the integers "
                 "0..N-1, 1,000 per command.")
        L.append("")
    ps = report.get("pubsub")
    if ps:
        L.append("## Pub/Sub fan-out")
        L.append("")
        if ps.get("status") == "ok":
            L.append("| subscribers | messages/s Magpie | messages/s Redis | ratio | deliveries/s Magpie |")
            L.append("|---:|---:|---:|---:|---:|")
            for c in ps["cases"]:
                m = c["median_msgs_per_sec"]
                L.append(f"| {c['subscribers']} | {fmt(m['candidate'], 'rps')} | "
                         f"{fmt(m['reference'], 'rps')} | {fmt_ratio(c['ratio'])} | "
                         f"{fmt(m['candidate'] * c['subscribers'], 'rps')} |")
            L.append(f"| **geomean** | | | {fmt_ratio(ps['geomean_ratio'])} | |")
            L.append("")
            L.append(f"Load: `{ps['pubload_example']}` (bench/pubload.cc; end to end: until every "
                     "subscriber has every message).")
        else:
            L.append(ps["status"])
        L.append("")
    mc = report.get("memcached")
    if mc:
        L.append("## memcached protocol")
        L.append("")
        if mc.get("status") == "ok":
            mcload_table(L, mc["cases"], "memcached")
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
    sc = report.get("scripting")
    if sc:
        L.append("## Scripting and transactions")
        L.append("")
        if sc.get("status") == "ok":
            mcload_table(L, sc["cases"], "Redis")
            L.append("")
            L.append(f"Script: `{sc['script']}`. Load: `{sc['load_example']}` (bench/mcload.cc "
                     "--seq; 50 connections, 100,000 keys; one op = the whole script call or the "
                     "whole MULTI ... EXEC; depth = ops in flight per connection).")
        else:
            L.append(sc["status"])
        L.append("")
    if report.get("eviction"):
        render_eviction(report["eviction"], L)
    if report.get("snapshot"):
        snapshot_section.render_snapshot(report["snapshot"], L)
    if tp:
        L.append("## Exact commands")
        L.append("")
        L.append("```")
        L.append(f"# candidate: {report['candidate']['argv']}")
        L.append(f"# reference: {report['reference']['argv']}")
        for (t, p, who), cmd in sorted(tp["info"]["redis_benchmark_cmds"].items(),
                                       key=lambda kv: (ALL_TESTS.index(kv[0][0]), kv[0][1], kv[0][2])):
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
    ap.add_argument("--hashes", type=int, default=None,
                    help="collections-memory: hashes of 10 fields (default 100000; quick 20000)")
    ap.add_argument("--zset-members", type=int, default=None,
                    help="collections-memory: sorted-set members (default 1000000; quick 200000)")
    ap.add_argument("--set-members", type=int, default=None,
                    help="collections-memory: integer set members (default 1000000; quick 200000)")
    ap.add_argument("--tests", default=None,
                    help="comma-separated subset of throughput tests (default: all of "
                         + ",".join(ALL_TESTS) + ")")
    ap.add_argument("--quick", action="store_true",
                    help="fast smoke run (1 round, ~0.8 s runs, smaller collections-memory sizes)")
    ap.add_argument("--only", choices=SECTIONS, action="append",
                    help="run only the given section(s); repeatable")
    ap.add_argument("--no-memcached", action="store_true", help="skip the memcached section")
    ap.add_argument("--pin", action="store_true",
                    help="pin servers to CPU 0 and redis-benchmark to CPU 1 (taskset)")
    ap.add_argument("--json", default=os.path.join(RESULTS_DIR, "latest.json"), help="JSON output path")
    a = ap.parse_args()
    a.rounds = a.rounds or (1 if a.quick else 3)
    a.duration = a.duration or (0.8 if a.quick else 2.5)
    a.keys = a.keys or 1_000_000
    a.hashes = a.hashes or (20_000 if a.quick else 100_000)
    a.zset_members = a.zset_members or (200_000 if a.quick else 1_000_000)
    a.set_members = a.set_members or (200_000 if a.quick else 1_000_000)
    if a.hashes > 1_000_000 or a.zset_members > 10_000_000:
        ap.error("--hashes must be <= 1,000,000 (hash:%06d), --zset-members <= 10,000,000 (member:%07d)")
    if a.tests:
        want = [t.strip().upper() for t in a.tests.split(",") if t.strip()]
        unknown = [t for t in want if t not in ALL_TESTS]
        if unknown:
            ap.error(f"--tests: unknown {unknown}; choose from {','.join(ALL_TESTS)}")
        a.tests = [t for t in ALL_TESTS if t in want]
    else:
        a.tests = list(ALL_TESTS)
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
    sections = args.only or SECTIONS

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
                   "tests": TESTS, "collection_tests": COLLECTION_TESTS, "selected_tests": args.tests,
                   "pipelines": PIPELINES, "hashes": args.hashes, "zset_members": args.zset_members,
                   "set_members": args.set_members},
        "candidate": {"binary": args.magpie, "argv": shlex.join(candidate_argv(args, 0)).replace(
            "--port 0", "--port PORT")},
        "reference": {"binary": args.redis, "version": tool_version([args.redis, "--version"]),
                      "argv": shlex.join(reference_argv(args, 0)).replace("--port 0", "--port PORT")},
        "redis_benchmark_version": tool_version([args.redis_benchmark, "--version"]),
        "redis_benchmark_template": shlex.join(bench_argv(args, 0, "TEST", 0, 0)).replace(
            "-p 0", "-p PORT").replace("-n 0", "-n N").replace("-P 0", "-P {1|16}").replace(
            "-t test", "-t {set|get|incr|mset|lpush|rpop|sadd|hset|zadd|spop}")
            + "  (LRANGE_100: no -t; the command `LRANGE mylist 0 99` is appended instead)",
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
        if "collections-memory" in sections:
            report["collections_memory"] = collections_memory_section(args, fleet, workdir)
        if "pubsub" in sections:
            report["pubsub"] = pubsub_section(args, fleet, workdir)
        if "memcached" in sections:
            report["memcached"] = memcached_section(args, fleet, workdir)
        if "scripting" in sections:
            report["scripting"] = scripting_section(args, fleet, workdir)
        if "eviction" in sections:
            report["eviction"] = eviction_section(args, fleet, workdir)
        if "snapshot" in sections:
            report["snapshot"] = snapshot_section.snapshot_section(sys.modules[__name__], args, fleet,
                                                                   workdir)
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
