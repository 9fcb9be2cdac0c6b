"""Example 1's profile service for asyncio applications, on redis.asyncio
(the successor of aioredis that ships in redis-py).

The cache calls are awaited on one shared connection pool. The database
driver is synchronous (psycopg2 / sqlite3), so the query runs in a thread
(`asyncio.to_thread`) on a connection borrowed from a small pool; the event
loop keeps serving other requests meanwhile. Concurrent misses for the same
user are coalesced in-process: the first creates a task, the others await
that same task, so one process never queries the same row twice at once.
"""

import asyncio
import json

from common import shopdata


class AsyncProfileService:
    def __init__(self, r, db, pool_size=4, ttl=3600, prefix="user"):
        self.r, self.db, self.ttl, self.prefix = r, db, ttl, prefix
        self.pool = asyncio.Queue()
        for _ in range(pool_size):
            self.pool.put_nowait(db.connect())
        self.inflight = {}
        self.hits = self.misses = self.coalesced = 0

    def key(self, user_id):
        return "%s:%d:profile" % (self.prefix, user_id)

    async def _query(self, fn, *args):
        conn = await self.pool.get()
        try:
            return await asyncio.to_thread(fn, conn, *args)
        finally:
            self.pool.put_nowait(conn)

    async def _load(self, user_id):
        profile = await self._query(shopdata.user_profile, user_id)
        if profile is not None:
            await self.r.setex(self.key(user_id), self.ttl, json.dumps(profile))
        return profile

    async def get(self, user_id):
        cached = await self.r.get(self.key(user_id))
        if cached is not None:
            self.hits += 1
            return json.loads(cached)
        task = self.inflight.get(user_id)
        if task is not None:
            self.coalesced += 1
            return await task
        self.misses += 1
        task = asyncio.ensure_future(self._load(user_id))
        self.inflight[user_id] = task
        try:
            return await task
        finally:
            self.inflight.pop(user_id, None)

    async def update(self, user_id, **fields):
        await self._query(lambda c: shopdata.update_user(c, user_id, **fields))
        await self.r.delete(self.key(user_id))

    async def close(self):
        while not self.pool.empty():
            self.pool.get_nowait().close()
