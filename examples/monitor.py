#!/usr/bin/python3
"""Samples a server's INFO every second and writes a CSV and a PNG chart.

    monitor.py [--url redis://host:port/0] [--interval 1] [--samples N]
               [--csv monitor.csv] [--png monitor.png] [-- command ...]

With a command after `--`, the command runs (with REDIS_URL set) and
sampling stops when it exits, the command's exit code becoming ours;
otherwise sampling runs for --samples samples (or until Ctrl-C).

Each row: seconds since start, keyspace_hits and keyspace_misses (totals),
the hit rate over the last interval (hits / (hits + misses) of the deltas;
empty when there were no lookups), the cumulative hit rate,
instantaneous_ops_per_sec, used_memory, and evicted_keys. The chart (matplotlib,
Agg backend, no display needed) plots hit rate, ops/s, memory and evictions
against time.
"""

import argparse
import csv
import os
import subprocess
import sys
import time

import redis

FIELDS = ["t", "keyspace_hits", "keyspace_misses", "hit_rate_interval", "hit_rate_total",
          "ops_per_sec", "used_memory", "evicted_keys"]


def sample(r, t0, prev):
    info = r.info()
    hits, misses = int(info.get("keyspace_hits", 0)), int(info.get("keyspace_misses", 0))
    dh, dm = (hits - prev[0], misses - prev[1]) if prev else (hits, misses)
    row = {"t": round(time.monotonic() - t0, 3), "keyspace_hits": hits,
           "keyspace_misses": misses,
           "hit_rate_interval": round(dh / (dh + dm), 4) if dh + dm else "",
           "hit_rate_total": round(hits / (hits + misses), 4) if hits + misses else "",
           "ops_per_sec": int(info.get("instantaneous_ops_per_sec", 0)),
           "used_memory": int(info.get("used_memory", 0)),
           "evicted_keys": int(info.get("evicted_keys", 0))}
    return row, (hits, misses)


def chart(rows, path, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    t = [r["t"] for r in rows]
    fig, ax = plt.subplots(4, 1, figsize=(8, 9), sharex=True)
    nan = float("nan")  # an interval without lookups: a gap in the line
    ax[0].plot(t, [nan if r["hit_rate_interval"] == "" else r["hit_rate_interval"] * 100
                   for r in rows], marker=".", label="per interval")
    total = [(r["t"], r["hit_rate_total"] * 100) for r in rows if r["hit_rate_total"] != ""]
    ax[0].plot([x for x, _ in total], [y for _, y in total], linestyle="--", label="cumulative")
    ax[0].set_ylabel("hit rate %")
    ax[0].set_ylim(0, 105)
    ax[0].legend(loc="lower right")
    ax[1].plot(t, [r["ops_per_sec"] for r in rows], marker=".", color="tab:green")
    ax[1].set_ylabel("ops/s")
    ax[2].plot(t, [r["used_memory"] / 1048576 for r in rows], marker=".", color="tab:purple")
    ax[2].set_ylabel("used_memory MiB")
    ax[3].plot(t, [r["evicted_keys"] for r in rows], marker=".", color="tab:red")
    ax[3].set_ylabel("evicted keys")
    ax[3].set_xlabel("seconds")
    for a in ax:
        a.grid(True, alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main(argv):
    cmd = []
    if "--" in argv:
        i = argv.index("--")
        argv, cmd = argv[:i], argv[i + 1:]
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", default=os.environ.get("REDIS_URL", "redis://localhost:6379/0"))
    ap.add_argument("--interval", type=float, default=1.0)
    ap.add_argument("--samples", type=int, default=0, help="stop after N samples (0: no limit)")
    ap.add_argument("--csv", default="monitor.csv")
    ap.add_argument("--png", default="monitor.png")
    ap.add_argument("--title", default="")
    args = ap.parse_args(argv)

    r = redis.Redis.from_url(args.url)
    proc = subprocess.Popen(cmd, env=dict(os.environ, REDIS_URL=args.url)) if cmd else None
    rows, prev = [], None
    t0 = time.monotonic()
    try:
        while True:
            row, prev = sample(r, t0, prev)
            rows.append(row)
            if args.samples and len(rows) >= args.samples:
                break
            if proc is not None and proc.poll() is not None:
                break
            next_at = t0 + len(rows) * args.interval
            while time.monotonic() < next_at:
                if proc is not None and proc.poll() is not None:
                    break
                time.sleep(min(0.05, max(0.0, next_at - time.monotonic())))
    except KeyboardInterrupt:
        pass
    finally:
        if proc is not None and proc.poll() is None:
            proc.wait()
    if proc is not None and rows[-1]["t"] < time.monotonic() - t0 - 0.01:
        row, prev = sample(r, t0, prev)  # the final state, after the command exited
        rows.append(row)
    r.close()
    with open(args.csv, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS)
        w.writeheader()
        w.writerows(rows)
    chart(rows, args.png, args.title or ("INFO every %gs: %s" % (args.interval,
                                                                  " ".join(cmd) or args.url)))
    print("monitor: %d samples -> %s, %s" % (len(rows), args.csv, args.png))
    return proc.returncode if proc is not None else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
