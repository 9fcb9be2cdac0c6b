"""Stampede protection for a hot cache entry.

When a hot key expires, every request that arrives before it is rebuilt
misses at once and runs the same expensive query: a stampede. Here the first
miss takes a lock, `SET <key>:lock <token> NX EX <seconds>` (only one client gets
it, and it vanishes by itself if that client dies), runs the query, stores
the value and releases the lock with a script that deletes it only if it
still holds *this* client's token:

    if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end
    return 0

A plain DEL could delete a lock that expired and was taken by another
client in the meantime. Every other miss waits for the value to appear
(polling GET with a short backoff) instead of querying; if the lock vanishes
without a value (its holder died), a waiter takes the lock itself.
`get_unprotected` is the naive cache-aside, for comparison.
"""

import json
import time
import uuid

RELEASE = """
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("DEL", KEYS[1])
end
return 0
"""


class HotCache:
    def __init__(self, r, ttl=60, lock_s=10, wait_s=30):
        self.r = r
        self.ttl = ttl
        self.lock_s = lock_s
        self.wait_s = wait_s
        self.release_script = r.register_script(RELEASE)

    def get_unprotected(self, key, compute):
        v = self.r.get(key)
        if v is not None:
            return json.loads(v)
        value = compute()
        self.r.setex(key, self.ttl, json.dumps(value))
        return value

    def get(self, key, compute):
        v = self.r.get(key)
        if v is not None:
            return json.loads(v)
        lock = key + ":lock"
        token = uuid.uuid4().hex
        deadline = time.monotonic() + self.wait_s
        delay = 0.002
        while True:
            if self.r.set(lock, token, nx=True, ex=self.lock_s):
                try:
                    v = self.r.get(key)  # filled while we were acquiring?
                    if v is not None:
                        return json.loads(v)
                    value = compute()
                    self.r.setex(key, self.ttl, json.dumps(value))
                    return value
                finally:
                    self.release(lock, token)
            time.sleep(delay)
            delay = min(delay * 2, 0.05)
            v = self.r.get(key)
            if v is not None:
                return json.loads(v)
            if time.monotonic() > deadline:
                raise TimeoutError("no value for %s after %.0f s" % (key, self.wait_s))

    def release(self, lock, token):
        """1 if this token's lock was deleted, 0 if the lock is not ours (any more)."""
        return self.release_script(keys=[lock], args=[token])
