"""The cache-aside profile service of example 1, on the memcached protocol
with pymemcache (the Redis-vs-Memcached article's client).

Values are JSON (a pymemcache serde: flags 1 marks JSON, 0 raw bytes).
Memcached has no SETEX: the TTL is the `expire` argument of set. Keys are
the same `user:<id>:profile` strings; on Magpie the memcached port serves
database 0 of the same keyspace, so a profile cached here is visible to a
Redis client and a Redis DEL invalidates it here.
"""

import json

from common import shopdata


class JsonSerde:
    def serialize(self, key, value):
        if isinstance(value, bytes):
            return value, 0
        return json.dumps(value).encode(), 1

    def deserialize(self, key, value, flags):
        return json.loads(value) if flags == 1 else value


class McProfileService:
    def __init__(self, mc, conn, ttl=3600, prefix="user"):
        self.mc, self.conn, self.ttl, self.prefix = mc, conn, ttl, prefix
        self.hits = self.misses = 0

    def key(self, user_id):
        return "%s:%d:profile" % (self.prefix, user_id)

    def get(self, user_id):
        cached = self.mc.get(self.key(user_id))
        if cached is not None:
            self.hits += 1
            return cached
        self.misses += 1
        profile = shopdata.user_profile(self.conn, user_id)
        if profile is not None:
            self.mc.set(self.key(user_id), profile, expire=self.ttl)
        return profile

    def update(self, user_id, **fields):
        shopdata.update_user(self.conn, user_id, **fields)
        self.mc.delete(self.key(user_id))
