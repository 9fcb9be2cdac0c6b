"""examples/09_asyncio: the profile service on redis.asyncio."""

import asyncio
import os
import sys

from conftest import EXAMPLES_DIR, example_env, run_example

sys.path.insert(0, EXAMPLES_DIR)
sys.path.insert(0, os.path.join(EXAMPLES_DIR, "09_asyncio"))
import redis.asyncio as aioredis  # noqa: E402

from async_profiles import AsyncProfileService  # noqa: E402


def test_demo(server, r, shop_db):
    run_example("09_asyncio/demo.py", example_env(server, shop_db, EX9_REQUESTS=300))
    assert r.dbsize() == 0


def test_concurrent_misses_for_one_user_query_once(server, r, shop_db):
    async def go():
        ar = aioredis.Redis(host="127.0.0.1", port=server.port)
        svc = AsyncProfileService(ar, shop_db, prefix="t9:user")
        q0 = shop_db.query_count()
        got = await asyncio.gather(*(svc.get(12) for _ in range(40)))
        queries = shop_db.query_count() - q0
        await svc.close()
        await ar.close()
        return got, queries, svc

    got, queries, svc = asyncio.run(go())
    assert queries == 1 and svc.misses == 1 and svc.coalesced + svc.hits == 39
    assert all(g == got[0] and g["id"] == 12 for g in got)
    r.delete("t9:user:12:profile")
