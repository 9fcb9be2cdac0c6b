#!/usr/bin/python3
"""Example 9: the profile service on asyncio: hundreds of concurrent requests
with asyncio.gather, one database query per distinct user."""

import asyncio
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import redis.asyncio as aioredis  # noqa: E402

from async_profiles import AsyncProfileService  # noqa: E402
from common import database, servers, shopdata, zipf_ids  # noqa: E402


async def run(db, n_requests):
    # At most 50 connections: a thousand concurrent requests queue for them.
    pool = aioredis.BlockingConnectionPool.from_url(servers.redis_url(), max_connections=50)
    r = aioredis.Redis(connection_pool=pool)
    svc = AsyncProfileService(r, db, prefix="ex9:user")
    conn = db.connect()
    n_users = shopdata.counts(conn)["users"]
    try:
        requests = zipf_ids(min(n_users, 500), n_requests, seed=9)
        q0 = db.query_count()
        t = time.perf_counter()
        results = await asyncio.gather(*(svc.get(u) for u in requests))
        secs = time.perf_counter() - t
        queries = db.query_count() - q0
        distinct = len(set(requests))
        assert all(p["id"] == u for p, u in zip(results, requests))
        assert queries == svc.misses == distinct, (queries, svc.misses, distinct)
        print("%d concurrent requests (asyncio.gather) for %d distinct users: %d database "
              "queries, %d hits, %d coalesced onto an in-flight load, %.2f s"
              % (len(requests), distinct, queries, svc.hits, svc.coalesced, secs))

        q1 = db.query_count()
        again = await asyncio.gather(*(svc.get(u) for u in requests[:200]))
        assert again == results[:200] and db.query_count() == q1
        print("the same 200 again: all from Magpie, 0 queries")

        uid = requests[0]
        name = results[0]["name"]
        await svc.update(uid, name="Async Renamed")
        assert (await svc.get(uid))["name"] == "Async Renamed"
        await svc.update(uid, name=name)
        print("update then delete: the next awaited get returned the new name")
        return len(requests), distinct, queries
    finally:
        keys = [k async for k in r.scan_iter("ex9:*", count=1000)]
        if keys:
            await r.delete(*keys)
        await svc.close()
        conn.close()
        await r.close()
        await pool.disconnect()


def main():
    db = database.from_env()
    n, distinct, queries = asyncio.run(run(db, int(os.environ.get("EX9_REQUESTS", "1000"))))
    print("DEMONSTRATED: redis.asyncio profile service: %d concurrent requests, %d distinct "
          "users, %d database queries" % (n, distinct, queries))


if __name__ == "__main__":
    main()
