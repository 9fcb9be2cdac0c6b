#!/usr/bin/python3
"""Runs every example against a freshly started Magpie and database.

    run_all.py [--no-measure] [--only NAME]

Starts <repo>/build/magpie-server (or $MAGPIE_BIN) on free Redis and
memcached ports with --save '', and a private database (common/database.py:
a PostgreSQL cluster made by initdb on a free port, or an SQLite file when
PostgreSQL is not installed) loaded with the generated shop data. Then runs
examples/seeds/*.py, examples/NN_*/demo.py and examples/near_cache/demo.py
with REDIS_URL, MEMCACHED_ADDR and EXAMPLES_DB pointing at them, printing one
line per example with what it demonstrated, and finally measure.py (the
with/without-Magpie latency table) under monitor.py, which writes
build/examples/monitor.csv and monitor.png. Stops the server and the
database by PID and exits non-zero if anything failed.
"""

import argparse
import glob
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from common import database, servers  # noqa: E402

REPO = os.path.dirname(HERE)
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
OUT = os.path.join(REPO, "build", "examples")


def scripts(only):
    found = sorted(glob.glob(os.path.join(HERE, "seeds", "*.py")))
    found += sorted(glob.glob(os.path.join(HERE, "[0-9][0-9]_*", "demo.py")))
    found += [os.path.join(HERE, "near_cache", "demo.py")]
    return [s for s in found if not only or only in os.path.relpath(s, HERE)]


def run_one(label, cmd, env, timeout=300):
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout)
        out, rc = p.stdout.decode("utf-8", "replace"), p.returncode
    except subprocess.TimeoutExpired as e:
        out, rc = (e.stdout or b"").decode("utf-8", "replace") + "\nTIMEOUT", -1
    lines = out.strip().splitlines()
    demo = [line for line in lines if line.startswith("DEMONSTRATED:")]
    dt = time.monotonic() - t0
    if rc == 0 and demo:
        print("PASS %-42s %6.2fs  %s" % (label, dt, demo[-1][len("DEMONSTRATED: "):]), flush=True)
        return True, lines
    print("FAIL %-42s %6.2fs  exit %d" % (label, dt, rc))
    for line in lines[-20:]:
        print("     | " + line)
    return False, lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-measure", action="store_true")
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    server = servers.MagpieServer()
    try:
        server.start()
    except RuntimeError as e:
        print("run_all: %s" % e)
        return 2
    db_server = None
    failures = passed = 0
    try:
        db_server = database.start()
        from common import shopdata
        t = time.monotonic()
        shopdata.load(db_server.database)
        conn = db_server.database.connect()
        sizes = shopdata.counts(conn)
        conn.close()
        print("run_all: %s (pid %d) on ports %d (Redis) and %s (memcached)"
              % (server.binary, server.pid, server.port, server.memcached_port or "-"))
        print("run_all: %s (pid %s), %s loaded in %.1fs"
              % (db_server.database.describe(), db_server.pid() or "in-process",
                 ", ".join("%d %s" % (v, k) for k, v in sizes.items()),
                 time.monotonic() - t), flush=True)
        env = dict(os.environ, **server.env(), **db_server.database.env())
        for script in scripts(args.only):
            label = os.path.relpath(script, HERE)
            if "08_memcached" in label and not server.memcached_port:
                print("SKIP %-42s         %s has no memcached port" % (label, server.binary))
                continue
            ok, _ = run_one(label, [PYTHON, script], env)
            passed += ok
            failures += not ok
        if not args.no_measure and not args.only:
            os.makedirs(OUT, exist_ok=True)
            ok, lines = run_one("measure.py (under monitor.py)", [
                PYTHON, os.path.join(HERE, "monitor.py"), "--url", env["REDIS_URL"],
                "--csv", os.path.join(OUT, "monitor.csv"),
                "--png", os.path.join(OUT, "monitor.png"),
                "--title", "Magpie INFO during examples/measure.py", "--",
                PYTHON, os.path.join(HERE, "measure.py"), "--json",
                os.path.join(OUT, "measure.json")], env, timeout=900)
            passed += ok
            failures += not ok
            if ok:
                print("\n".join(line for line in lines if line.startswith(("|", "Database:",
                                                                             "monitor:"))))
    finally:
        rc = server.stop()
        if db_server is not None:
            db_server.stop()
    if rc not in (0, None):
        print("run_all: server exited with %s (log %s)" % (rc, server.log.name))
        failures += 1
    else:
        os.unlink(server.log.name)
    print("run_all: %d/%d passed" % (passed, passed + failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
