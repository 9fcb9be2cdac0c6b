"""examples/near_cache: an in-process dict in front of the server, kept
coherent by CLIENT TRACKING (RESP2 redirect to __redis__:invalidate). A write
made by another process must invalidate this process's local copy."""

import os
import subprocess
import sys

from conftest import PYTHON, REPO, SANITIZED, wait_for

sys.path.insert(0, os.path.join(REPO, "examples", "near_cache"))
from near_cache import NearCache  # noqa: E402




def test_demo_script(server, r):
    env = dict(os.environ, REDIS_URL="redis://127.0.0.1:%d/0" % server.port)
    p = subprocess.run([PYTHON, os.path.join(REPO, "examples", "near_cache", "demo.py")], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=120 if SANITIZED else 60)
    out = p.stdout.decode("utf-8", "replace")
    assert p.returncode == 0, out[-3000:]
    assert out.strip().splitlines()[-1].startswith("DEMONSTRATED:"), out
    assert r.dbsize() == 0


def test_write_in_another_process_invalidates_local_copy(server, r):
    url = "redis://127.0.0.1:%d/0" % server.port
    r.set("user:7:name", "before")
    caches = [NearCache(url), NearCache(url)]  # connections on both workers
    try:
        for c in caches:
            assert c.get("user:7:name") == b"before"
            assert c.get("user:7:name") == b"before"
            assert (c.hits, c.misses) == (1, 1)
        writer = "import redis, sys; redis.Redis.from_url(sys.argv[1]).set('user:7:name', 'after')"
        subprocess.run([PYTHON, "-c", writer, url], check=True, timeout=60)
        for c in caches:
            wait_for(lambda: b"user:7:name" not in c.local, timeout=10.0, interval=0.005)
            assert c.get("user:7:name") == b"after"
            assert c.misses == 2
    finally:
        for c in caches:
            c.close()
