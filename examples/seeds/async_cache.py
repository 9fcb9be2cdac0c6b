"""Asynchronous caching with redis.asyncio.

Source: "Boosting ... Redis and Python" (aioredis example).  aioredis is not
installed here; its successor, redis-py's redis.asyncio, has the same
from_url / set / get / close calls.
"""
import asyncio
import os

import redis.asyncio as aioredis

REDIS_URL = os.environ.get("REDIS_URL", "redis://localhost:6379/0")


async def async_cache_example():
    # Create an async connection pool
    redis = await aioredis.from_url(REDIS_URL)
    # Asynchronously set and get values
    await redis.set("my_key", "async_value")
    value = await redis.get("my_key")
    print(value)  # Output: b'async_value'
    assert value == b"async_value"

    # the point of async: many requests in flight at once
    keys = [f"async:{i}" for i in range(100)]
    await asyncio.gather(*(redis.set(k, i, ex=60) for i, k in enumerate(keys)))
    values = await asyncio.gather(*(redis.get(k) for k in keys))
    assert values == [str(i).encode() for i in range(100)]
    assert await redis.delete("my_key", *keys) == 101
    await redis.close()


# Run the async function
asyncio.run(async_cache_example())

print("DEMONSTRATED: redis.asyncio.from_url set/get returns b'async_value'; "
      "100 concurrent SET EX / GET via asyncio.gather")
