"""The live dashboard, driven in Debian's headless Chromium under load.

tests/dashboard/drive.js (playwright-core from npm, browser /usr/bin/chromium)
opens http://127.0.0.1:<http-port>/, waits for several refreshes and reports
what the page shows. The figures must match INFO taken just before and just
after, the charts must have drawn, the page must load nothing from anywhere
but Magpie, and the screenshot is kept in tests/dashboard/artifacts/.

Magpie only: redis-server has no HTTP port.
"""

import json
import os
import random
import signal
import subprocess
import threading
import time

import pytest

from conftest import REPO, SANITIZED, free_port

DASH = os.path.join(REPO, "tests", "dashboard")
ARTIFACTS = os.path.join(DASH, "artifacts")
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(autouse=True)
def magpie_only(is_magpie):
    if not is_magpie:
        pytest.skip("redis-server has no HTTP port")


@pytest.fixture(scope="module")
def playwright():
    """Makes sure tests/dashboard/node_modules holds playwright-core."""
    subprocess.run(["bash", os.path.join(DASH, "ensure_deps.sh")], check=True, timeout=300)
    assert os.path.exists(os.path.join(DASH, "node_modules", "playwright-core", "package.json"))
    assert os.path.exists(CHROMIUM), "chromium is missing: run scripts/bootstrap.sh"


class Load:
    """Clients that read and overwrite existing keys until stopped (bounded)."""

    def __init__(self, server, clients, keys, max_seconds=120):
        self.stop = threading.Event()
        self.conns = [server.client() for _ in range(clients)]
        for c in self.conns:
            c.ping()  # connected before the first INFO
        self.keys = keys
        self.deadline = time.monotonic() + max_seconds
        self.errors = []
        self.threads = [threading.Thread(target=self.run, args=(c, i), daemon=True)
                        for i, c in enumerate(self.conns)]

    def run(self, c, seed):
        rnd = random.Random(seed)
        try:
            while not self.stop.is_set() and time.monotonic() < self.deadline:
                pipe = c.pipeline(transaction=False)
                for _ in range(20):
                    for _ in range(3):
                        pipe.get("key:%d" % rnd.randrange(self.keys))
                    pipe.get("missing:%d" % rnd.randrange(1000))
                    pipe.set("key:%d" % rnd.randrange(self.keys), "v" * 16)
                pipe.execute()
        except Exception as e:  # reported by the test
            self.errors.append(e)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(30)
        for c in self.conns:
            c.close()


def drive(url, shot, updates, timeout):
    proc = subprocess.Popen(["node", os.path.join(DASH, "drive.js"), url, shot, str(updates)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=DASH,
                            start_new_session=True)
    try:
        out, errs = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # node and the Chromium it started
        proc.communicate()
        pytest.fail("the dashboard driver timed out")
    assert proc.returncode == 0, errs.decode()
    return json.loads(out.decode().strip().splitlines()[-1])


def raw(values, name):
    return float(values[name]["raw"])


def test_dashboard_shows_info_figures_under_load(playwright, server_factory):
    http_port = free_port()
    s = server_factory(["--http-port", str(http_port), "--maxmemory", "512mb",
                        "--slowlog-log-slower-than", "0"])
    c = s.client()
    keys = 300 if SANITIZED else 3000
    pipe = c.pipeline(transaction=False)
    for i in range(keys):
        pipe.set("key:%d" % i, "v" * 16)
    pipe.execute()
    c2 = s.client(db=2)
    for i in range(25):
        c2.set("other:%d" % i, "x", ex=3600)
    c2.close()
    os.makedirs(ARTIFACTS, exist_ok=True)
    shot = os.path.join(ARTIFACTS, "dashboard-asan.png" if SANITIZED else "dashboard.png")
    if os.path.exists(shot):
        os.unlink(shot)

    with Load(s, clients=3, keys=keys) as load:
        # Let instantaneous_ops_per_sec see the load first.
        deadline = time.monotonic() + 30
        while c.info("stats")["instantaneous_ops_per_sec"] == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        before = c.info("all")
        base = "http://127.0.0.1:%d/" % http_port
        shown = drive(base, shot, updates=8, timeout=180 if SANITIZED else 90)
        after = c.info("all")
    assert load.errors == []

    v = shown["values"]
    assert shown["errors"] == []
    assert shown["requests"] and all(u.startswith(base) for u in shown["requests"]), shown["requests"]
    assert shown["status"].startswith("live")
    # Stable figures: exactly INFO's.
    assert before["connected_clients"] == after["connected_clients"] >= 4  # 3 loaders, this test
    assert raw(v, "v-clients") == after["connected_clients"]
    assert raw(v, "v-keys-db0") == before["db0"]["keys"] == after["db0"]["keys"] == keys
    assert raw(v, "v-keys-db2") == after["db2"]["keys"] == 25
    assert raw(v, "v-keys-total") == keys + 25
    assert raw(v, "v-maxmem") == after["maxmemory"] == 512 * 1024 * 1024
    assert raw(v, "v-evicted") == after["evicted_keys"] == 0
    assert raw(v, "v-maxclients") == after["maxclients"]
    # Counters: between the INFO taken before the page loaded and after it read them.
    for name, field in (("v-hits", "keyspace_hits"), ("v-misses", "keyspace_misses"),
                        ("v-commands", "total_commands_processed")):
        assert before[field] <= raw(v, name) <= after[field], (name, before[field], after[field])
    hits, misses = raw(v, "v-hits"), raw(v, "v-misses")
    assert raw(v, "v-hit-ratio") == pytest.approx(hits / (hits + misses), abs=1e-9)
    ratios = [i["keyspace_hits"] / (i["keyspace_hits"] + i["keyspace_misses"])
              for i in (before, after)]
    assert min(ratios) - 0.01 <= raw(v, "v-hit-ratio") <= max(ratios) + 0.01
    assert v["v-hit-ratio"]["text"] == "%.2f%%" % (raw(v, "v-hit-ratio") * 100)
    assert raw(v, "v-ops") > 0
    used = [before["used_memory"], after["used_memory"]]
    assert min(used) * 0.5 <= raw(v, "v-mem") <= max(used) * 2
    assert raw(v, "v-slowlog-len") > 0  # slowlog-log-slower-than 0
    # Every chart drew something (axes, lines, bars).
    for chart in ("c-hit", "c-ops", "c-mem", "c-evict", "c-clients", "c-keys", "c-slow", "c-busy"):
        assert shown["charts"][chart]["drawn"] > 500, (chart, shown["charts"][chart])
    assert os.path.getsize(shot) > 20000
