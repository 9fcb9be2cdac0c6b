#!/usr/bin/python3
"""Two processes share Magpie: this one keeps a NearCache (an in-process dict
kept coherent by CLIENT TRACKING); a second process, started here, changes a
user's name. The change invalidates our local copy, and the next read returns
the new name, served from Magpie, then from the dict again."""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from near_cache import NearCache  # noqa: E402

import redis  # noqa: E402

URL = os.environ.get("REDIS_URL", "redis://localhost:6379/0")
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
WRITER = """
import sys, redis
r = redis.Redis.from_url(sys.argv[1])
r.set("user:42:name", sys.argv[2])
"""


def wait_for(cond, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.005)


def main():
    admin = redis.Redis.from_url(URL)
    admin.set("user:42:name", "Ada")
    cache = NearCache(URL)
    try:
        assert cache.get("user:42:name") == b"Ada"      # miss: read from Magpie
        for _ in range(1000):
            assert cache.get("user:42:name") == b"Ada"  # hits: no network at all
        assert cache.misses == 1 and cache.hits == 1000

        # Another process renames the user.
        subprocess.run([PYTHON, "-c", WRITER, URL, "Grace"], check=True)
        wait_for(lambda: b"user:42:name" not in cache.local)
        assert cache.get("user:42:name") == b"Grace"    # re-read after invalidation
        assert cache.get("user:42:name") == b"Grace"    # and cached again
        assert cache.misses == 2

        # Our own writes invalidate our copy too; a flush clears the dict.
        cache.set("user:42:name", "Linus")
        wait_for(lambda: b"user:42:name" not in cache.local)
        assert cache.get("user:42:name") == b"Linus"
        admin.flushdb()
        wait_for(lambda: not cache.local)
        assert cache.get("user:42:name") is None
        print("invalidations received: %d, local hits: %d, misses: %d"
              % (cache.invalidations, cache.hits, cache.misses))
    finally:
        cache.close()
        admin.delete("user:42:name")
        admin.close()
    print("DEMONSTRATED: a write in another process invalidated this process's local copy "
          "(CLIENT TRACKING, RESP2 redirect to __redis__:invalidate)")


if __name__ == "__main__":
    main()
