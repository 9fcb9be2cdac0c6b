"""Write-through and write-back in front of the products table.

Write-through (`set_price`): the price change commits in the database, then
the new product row is written to the cache, so readers see it at once and
the cache never holds a value the database does not.

Write-back (`adjust_stock` + `Worker`): a stock change is applied to the
cached stock counter and queued in one MULTI (INCRBY + LPUSH of a change
record with a unique id); the caller never waits for the database. A worker
flushes the queue with the reliable-queue pattern: BLMOVE moves one record
from `<prefix>:queue` to its own `<prefix>:processing:<worker>` list, the
record is applied in one database transaction, and only after COMMIT is it
LREM'd from the processing list. A worker that dies anywhere in between
leaves the record in its processing list; on start it first re-applies
whatever is there. Re-applying is harmless: the transaction inserts the
change id into applied_changes (primary key) and updates the stock only when
that insert added a row, so every change is applied exactly once however
often it is flushed. Nothing is lost (the record leaves Redis only after the
database has it) and nothing is applied twice (the database remembers ids).

(Redis Streams with consumer groups would do the same bookkeeping; Magpie
has no streams yet, and the list pattern needs only LPUSH/BLMOVE/LREM.)
"""

import json
import os
import signal
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from common import shopdata  # noqa: E402


def product_key(prefix, pid):
    return "%s:product:%d" % (prefix, pid)


def stock_key(prefix, pid):
    return "%s:stock:%d" % (prefix, pid)


def set_price(r, conn, prefix, pid, price_cents):
    """Write-through: database, then cache (the cached row is the new row)."""
    conn.execute("UPDATE products SET price_cents = %s WHERE id = %s", (price_cents, pid))
    row = shopdata.product_detail(conn, pid)
    r.set(product_key(prefix, pid), json.dumps(row), ex=3600)
    return row


def cached_stock(r, conn, prefix, pid):
    """The stock readers see: the cached counter, loaded once from the database."""
    v = r.get(stock_key(prefix, pid))
    if v is None:
        stock = conn.one("SELECT stock FROM products WHERE id = %s", (pid,))[0]
        r.set(stock_key(prefix, pid), stock, nx=True)
        v = r.get(stock_key(prefix, pid))
    return int(v)


def adjust_stock(r, prefix, pid, delta):
    """Write-back: the cache changes now, the database when the worker flushes."""
    change = {"id": uuid.uuid4().hex, "product_id": pid, "delta": delta}
    pipe = r.pipeline(transaction=True)
    pipe.incrby(stock_key(prefix, pid), delta)
    pipe.lpush(prefix + ":queue", json.dumps(change))
    new_stock, _ = pipe.execute()
    return change["id"], new_stock


def apply_change(conn, change, before_commit=None):
    """One change in one transaction; True if it was new, False if applied before."""
    with conn.transaction():
        added = conn.execute("INSERT INTO applied_changes (change_id, applied_at) VALUES (%s, %s)"
                             " ON CONFLICT (change_id) DO NOTHING",
                             (change["id"], int(time.time())))
        if added:
            conn.execute("UPDATE products SET stock = stock + %s WHERE id = %s",
                         (change["delta"], change["product_id"]))
        if before_commit:
            before_commit()
    return bool(added)


class Worker:
    """Flushes queued changes to the database. `pause_at` (tests and the demo)
    makes the n-th flush stop forever at "before-commit" or "after-commit" and
    print PAUSED, so it can be killed exactly there."""

    def __init__(self, r, conn, prefix, name="w1", pause_at=None, out=None):
        self.r, self.conn, self.prefix, self.name = r, conn, prefix, name
        self.queue = prefix + ":queue"
        self.processing = "%s:processing:%s" % (prefix, name)
        self.pause_at = pause_at  # (n, "before-commit" | "after-commit") or None
        self.flushed = 0
        self.applied = 0
        self.duplicates = 0
        self.out = out

    def _pause(self, where, change):
        if self.pause_at and self.pause_at == (self.flushed + 1, where):
            print("PAUSED %s %s" % (where, change["id"]), file=self.out, flush=True)
            while True:
                signal.pause()

    def flush_one(self, raw):
        change = json.loads(raw)
        new = apply_change(self.conn, change, lambda: self._pause("before-commit", change))
        self._pause("after-commit", change)
        self.r.lrem(self.processing, 1, raw)
        self.flushed += 1
        if new:
            self.applied += 1
        else:
            self.duplicates += 1

    def recover(self):
        """Re-flush what a previous incarnation left in its processing list."""
        n = 0
        for raw in reversed(self.r.lrange(self.processing, 0, -1)):
            self.flush_one(raw)
            n += 1
        return n

    def run(self, idle_exit=None):
        """Recover, then flush forever (or until the queue stays empty for
        `idle_exit` seconds)."""
        n = self.recover()
        print("RECOVERED flushed=%d duplicates=%d" % (n, self.duplicates), file=self.out,
              flush=True)
        while True:
            raw = self.r.blmove(self.queue, self.processing, idle_exit or 1, "RIGHT", "LEFT")
            if raw is None:
                if idle_exit:
                    return
                continue
            self.flush_one(raw)


def main():
    """The worker process: python3 writeback.py PREFIX NAME [N before-commit|after-commit]"""
    import redis
    from common import database, servers
    prefix, name = sys.argv[1], sys.argv[2]
    pause_at = (int(sys.argv[3]), sys.argv[4]) if len(sys.argv) > 4 else None
    db = database.attach(os.environ["EXAMPLES_DB"])
    r = redis.Redis.from_url(servers.redis_url())
    w = Worker(r, db.connect(), prefix, name, pause_at=pause_at, out=sys.stdout)
    print("READY", flush=True)
    w.run(idle_exit=float(os.environ.get("WRITEBACK_IDLE_EXIT", "0")) or None)
    print("DONE flushed=%d applied=%d duplicates=%d" % (w.flushed, w.applied, w.duplicates),
          flush=True)


if __name__ == "__main__":
    main()
