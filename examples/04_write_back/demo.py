#!/usr/bin/python3
"""Example 4: write-through prices, write-back stock changes flushed by a
worker process that is SIGKILLed mid-flush twice and loses nothing."""

import json
import os
import random
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import redis  # noqa: E402

import writeback  # noqa: E402
from common import database, servers, shopdata  # noqa: E402

PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
PREFIX = "ex4"


def start_worker(env, *args):
    p = subprocess.Popen([PYTHON, writeback.__file__, PREFIX, "w1"] + [str(a) for a in args],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert p.stdout.readline().strip() == "READY"
    return p


def wait_line(p, prefix):
    for line in p.stdout:
        if line.startswith(prefix):
            return line.split()
    raise AssertionError("worker exited without %r (rc %s)" % (prefix, p.wait()))


def applied(conn, change_id):
    return conn.one("SELECT count(*) FROM applied_changes WHERE change_id = %s",
                    (change_id,))[0] == 1


def run(db, r, n_changes=200, n_products=20):
    conn = db.connect()
    env = dict(os.environ, **db.env(), REDIS_URL=servers.redis_url())
    processing = PREFIX + ":processing:w1"
    pids = list(range(100, 100 + n_products))
    before = {p: conn.one("SELECT stock, price_cents FROM products WHERE id = %s", (p,))
              for p in pids}
    try:
        # write-through
        row = writeback.set_price(r, conn, PREFIX, pids[0], before[pids[0]][1] + 500)
        assert json.loads(r.get(writeback.product_key(PREFIX, pids[0]))) == row \
            == shopdata.product_detail(conn, pids[0])
        print("write-through: price committed, then the cached row replaced by the new row")

        # write-back: queue changes; the cache moves now, the database later
        rnd = random.Random(4)
        expected = {p: before[p][0] for p in pids}
        for p in pids:
            writeback.cached_stock(r, conn, PREFIX, p)
        ids = []
        for _ in range(n_changes):
            p, d = rnd.choice(pids), rnd.choice([-3, -2, -1, 1, 2, 5])
            cid, new_stock = writeback.adjust_stock(r, PREFIX, p, d)
            ids.append(cid)
            expected[p] += d
            assert new_stock == expected[p]
        assert all(conn.one("SELECT stock FROM products WHERE id = %s", (p,))[0] == before[p][0]
                   for p in pids)
        print("write-back: %d stock changes queued; cache updated, database not yet" % n_changes)

        # kill 1: after COMMIT, before LREM
        w = start_worker(env, n_changes // 4, "after-commit")
        _, _, cid = wait_line(w, "PAUSED")
        w.kill()
        w.wait()
        assert applied(conn, cid) and r.llen(processing) == 1
        print("worker SIGKILLed after committing change %d (still in its processing list)"
              % (n_changes // 4))

        # kill 2: inside the transaction, before COMMIT
        w = start_worker(env, n_changes // 4, "before-commit")
        recovered = wait_line(w, "RECOVERED")
        assert recovered[1:] == ["flushed=1", "duplicates=1"], recovered
        print("restarted worker re-flushed that change from its processing list: already in "
              "applied_changes, skipped")
        _, _, cid2 = wait_line(w, "PAUSED")
        assert not applied(conn, cid2)
        w.kill()
        w.wait()
        print("worker SIGKILLed inside the transaction of a later change (rolled back)")

        # a fresh worker recovers both and drains the queue
        w = start_worker(dict(env, WRITEBACK_IDLE_EXIT="1"))
        done = dict(kv.split("=") for kv in wait_line(w, "DONE")[1:])
        assert w.wait(120) == 0
        assert applied(conn, cid2) and r.llen(processing) == 0
        assert r.llen(PREFIX + ":queue") == 0
        n_applied = sum(applied(conn, c) for c in ids)
        db_stock = {p: conn.one("SELECT stock FROM products WHERE id = %s", (p,))[0] for p in pids}
        cache_stock = {p: int(r.get(writeback.stock_key(PREFIX, p))) for p in pids}
        assert n_applied == n_changes, n_applied
        assert db_stock == expected == cache_stock, (db_stock, expected)
        print("third worker: recovered the rolled-back change, drained the queue (flushed=%s); "
              "database stock == cache stock for all %d products" % (done["flushed"], n_products))
        return n_changes
    finally:
        for p in pids:
            conn.execute("UPDATE products SET stock = %s, price_cents = %s WHERE id = %s",
                         (before[p][0], before[p][1], p))
        keys = list(r.scan_iter(PREFIX + ":*", count=1000))
        if keys:
            r.delete(*keys)
        conn.close()


def main():
    db = database.from_env()
    r = redis.Redis.from_url(servers.redis_url())
    try:
        n = run(db, r)
    finally:
        r.close()
    print("DEMONSTRATED: write-through + write-back via LPUSH/BLMOVE/LREM: worker SIGKILLed "
          "after and before COMMIT, restarted; all %d changes in the database exactly once "
          "(the re-flushed one skipped by its change id)" % n)


if __name__ == "__main__":
    main()
