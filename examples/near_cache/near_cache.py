"""A two-level cache: an in-process dict in front of Magpie, kept coherent by
server-assisted client-side caching (CLIENT TRACKING).

Reads go to the local dict first. A miss reads Magpie on a dedicated
connection that has CLIENT TRACKING ON, so the server remembers which keys
this process holds. When any client anywhere changes one of them, Magpie
sends an invalidation, here in the RESP2 form: a message on the
__redis__:invalidate channel of a second connection (the REDIRECT target),
read by a background thread that drops the key from the dict. A FLUSHALL
arrives as a null key list and clears everything.

One subtlety: the invalidation travels on the other connection, so it can
overtake the reply of the read that fetched the value. A key read while an
invalidation for it arrives is therefore not cached (the `_dirty` set).
"""

import os
import threading

import redis


class NearCache:
    def __init__(self, url):
        self.local = {}
        self.hits = 0
        self.misses = 0
        self.invalidations = 0
        self._lock = threading.Lock()
        self._inflight = set()
        self._dirty = set()
        # The channel side: a connection subscribed to the invalidation channel,
        # named so the data side can find its client id.
        name = "near-cache-%d-%x" % (os.getpid(), id(self))
        self._sub = redis.Redis.from_url(url, client_name=name)
        self._pubsub = self._sub.pubsub()
        self._pubsub.subscribe(**{"__redis__:invalidate": self._on_invalidate})
        self._thread = self._pubsub.run_in_thread(sleep_time=0.01, daemon=True)
        # The data side: one tracked connection, its invalidations redirected.
        # (Tracking belongs to a connection: after a reconnect it would have
        # to be enabled again and the dict cleared.)
        self.r = redis.Redis(connection_pool=redis.ConnectionPool.from_url(url),
                             single_connection_client=True)
        sub_id = next(c["id"] for c in self.r.client_list() if c["name"] == name)
        self.r.execute_command("CLIENT", "TRACKING", "ON", "REDIRECT", sub_id)

    def _on_invalidate(self, message):
        keys = message["data"]
        with self._lock:
            self.invalidations += 1
            if keys is None:  # FLUSHALL / FLUSHDB
                self.local.clear()
                self._dirty |= self._inflight
                return
            for k in keys:
                self.local.pop(k, None)
                if k in self._inflight:
                    self._dirty.add(k)

    def get(self, key):
        k = key.encode() if isinstance(key, str) else key
        with self._lock:
            if k in self.local:
                self.hits += 1
                return self.local[k]
            self.misses += 1
            self._inflight.add(k)
        value = self.r.get(k)
        with self._lock:
            self._inflight.discard(k)
            if k not in self._dirty:
                self.local[k] = value
            self._dirty.discard(k)
        return value

    def set(self, key, value):
        """Writes through to Magpie; the invalidation drops the local copy."""
        self.r.set(key, value)

    def close(self):
        self._thread.stop()
        self._thread.join(5)
        self._pubsub.close()
        self.r.close()
        self._sub.close()
