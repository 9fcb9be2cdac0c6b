"""examples/monitor.py (INFO sampled into CSV + PNG) and examples/measure.py
(the with/without-Magpie latency table), briefly."""

import csv
import os
import subprocess

from conftest import EXAMPLES_DIR, PYTHON, SANITIZED, example_env


def test_monitor_writes_csv_and_png(server, r, tmp_path):
    for i in range(20):
        r.set("t-mon:%d" % i, "v")
        r.get("t-mon:%d" % i)
    r.get("t-mon:missing")
    out_csv, out_png = tmp_path / "m.csv", tmp_path / "m.png"
    p = subprocess.run([PYTHON, os.path.join(EXAMPLES_DIR, "monitor.py"), "--url",
                        "redis://127.0.0.1:%d/0" % server.port, "--interval", "0.2",
                        "--samples", "3", "--csv", str(out_csv), "--png", str(out_png)],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    assert p.returncode == 0, p.stdout.decode()[-2000:]
    rows = list(csv.DictReader(open(out_csv)))
    assert len(rows) == 3
    assert int(rows[0]["keyspace_hits"]) == 20 and int(rows[0]["keyspace_misses"]) == 1
    assert abs(float(rows[0]["hit_rate_total"]) - 20 / 21) < 1e-3
    assert rows[1]["hit_rate_interval"] == ""  # no lookups in between
    assert int(rows[0]["used_memory"]) > 0 and rows[0]["evicted_keys"] == "0"
    assert open(out_png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"


def test_monitor_around_a_command(server, tmp_path):
    out_csv = tmp_path / "m.csv"
    script = "import os, redis; r = redis.Redis.from_url(os.environ['REDIS_URL']); " \
             "[r.get('nope') for _ in range(50)]; raise SystemExit(3)"
    p = subprocess.run([PYTHON, os.path.join(EXAMPLES_DIR, "monitor.py"), "--url",
                        "redis://127.0.0.1:%d/0" % server.port, "--csv", str(out_csv), "--png",
                        str(tmp_path / "m.png"), "--", PYTHON, "-c", script],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    assert p.returncode == 3  # the command's exit code
    rows = list(csv.DictReader(open(out_csv)))
    assert int(rows[-1]["keyspace_misses"]) - int(rows[0]["keyspace_misses"]) == 50


def test_measure_prints_the_table(server, r, shop_db):
    p = subprocess.run([PYTHON, os.path.join(EXAMPLES_DIR, "measure.py"), "--requests", "200"],
                       env=example_env(server, shop_db), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=600 if SANITIZED else 300)
    out = p.stdout.decode()
    assert p.returncode == 0, out[-3000:]
    rows = [line for line in out.splitlines() if line.startswith("| 1 ") or
            line.startswith("| 3 ")]
    assert len(rows) == 4, out
    without = rows[0].split("|")
    assert without[2].strip() == "without Magpie" and without[7].strip() == "200"
    assert out.strip().splitlines()[-1].startswith("DEMONSTRATED:")
    assert r.dbsize() == 0
