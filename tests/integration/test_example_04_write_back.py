"""examples/04_write_back: write-through, and write-back through a reliable
list queue whose worker is SIGKILLed mid-flush: nothing lost, nothing applied
twice."""

import os
import random
import subprocess
import sys
import time

from conftest import EXAMPLES_DIR, PYTHON, SANITIZED, example_env, run_example

sys.path.insert(0, EXAMPLES_DIR)
sys.path.insert(0, os.path.join(EXAMPLES_DIR, "04_write_back"))
import writeback  # noqa: E402


def test_demo_kills_the_worker_after_and_before_commit(server, r, shop_db):
    out = run_example("04_write_back/demo.py", example_env(server, shop_db))
    assert "already in applied_changes, skipped" in out
    assert r.dbsize() == 0


def test_sigkill_at_an_arbitrary_moment_loses_nothing(server, r, shop_db):
    prefix, pids, n = "t4", list(range(200, 210)), 400
    conn = shop_db.connect()
    before = {p: conn.one("SELECT stock FROM products WHERE id = %s", (p,))[0] for p in pids}
    expected = dict(before)
    env = example_env(server, shop_db)
    try:
        for p in pids:
            writeback.cached_stock(r, conn, prefix, p)
        rnd = random.Random(44)
        ids = []
        for _ in range(n):
            p, d = rnd.choice(pids), rnd.randrange(-5, 6)
            ids.append(writeback.adjust_stock(r, prefix, p, d)[0])
            expected[p] += d
        worker = subprocess.Popen([PYTHON, writeback.__file__, prefix, "w1"], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + (120 if SANITIZED else 60)
        while r.llen(prefix + ":queue") > n - 40:  # some flushed, most still queued
            assert worker.poll() is None and time.monotonic() < deadline
            time.sleep(0.002)
        worker.kill()  # SIGKILL by PID, wherever it is
        worker.wait(30)
        assert r.llen(prefix + ":queue") > 0
        again = subprocess.run([PYTHON, writeback.__file__, prefix, "w1"], timeout=300,
                               env=dict(env, WRITEBACK_IDLE_EXIT="1"), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
        assert again.returncode == 0, again.stdout.decode()[-2000:]
        assert r.llen(prefix + ":queue") == 0 and r.llen(prefix + ":processing:w1") == 0
        applied = conn.one("SELECT count(*) FROM applied_changes WHERE change_id IN (%s)"
                           % ",".join(["%s"] * n), ids)[0]
        assert applied == n
        for p in pids:
            assert conn.one("SELECT stock FROM products WHERE id = %s", (p,))[0] == expected[p]
            assert int(r.get(writeback.stock_key(prefix, p))) == expected[p]
    finally:
        for p in pids:
            conn.execute("UPDATE products SET stock = %s WHERE id = %s", (before[p], p))
        conn.close()
        for k in r.scan_iter(prefix + ":*"):
            r.delete(k)


def test_apply_change_is_idempotent(shop_db):
    conn = shop_db.connect()
    stock = conn.one("SELECT stock FROM products WHERE id = 3")[0]
    change = {"id": "t4-idem-%d" % time.time_ns(), "product_id": 3, "delta": 9}
    try:
        assert writeback.apply_change(conn, change) is True
        assert writeback.apply_change(conn, change) is False
        assert conn.one("SELECT stock FROM products WHERE id = 3")[0] == stock + 9
    finally:
        conn.execute("UPDATE products SET stock = %s WHERE id = 3", (stock,))
        conn.close()
