"""Cache-aside user profiles: read Magpie first, fall back to the database,
store the answer with a TTL; on update write the database, then delete the
cached copy so the next read fetches the new row.

The order on update matters: database first, then DEL. Deleting first would
let a concurrent reader put the old row back between the DEL and the UPDATE.
The TTL bounds how long any copy can outlive a missed invalidation.
"""

import json

from common import shopdata


class ProfileService:
    def __init__(self, r, conn, ttl=3600, prefix="user"):
        self.r = r          # redis.Redis on Magpie, or None: no cache at all
        self.conn = conn    # a database connection (common.database.Connection)
        self.ttl = ttl
        self.prefix = prefix
        self.hits = 0
        self.misses = 0

    def key(self, user_id):
        return "%s:%d:profile" % (self.prefix, user_id)

    def get(self, user_id):
        if self.r is None:
            return shopdata.user_profile(self.conn, user_id)
        cached = self.r.get(self.key(user_id))
        if cached is not None:
            self.hits += 1
            return json.loads(cached)
        self.misses += 1
        profile = shopdata.user_profile(self.conn, user_id)
        if profile is not None:
            self.r.setex(self.key(user_id), self.ttl, json.dumps(profile))
        return profile

    def update(self, user_id, **fields):
        shopdata.update_user(self.conn, user_id, **fields)
        if self.r is not None:
            self.r.delete(self.key(user_id))
