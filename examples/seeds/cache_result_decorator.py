"""The cache_result decorator and KEYS-based invalidation.

Source: "Redis as a caching solution in Python backend applications"
(Implementing a Caching Layer, Implementing Cache Invalidation).  Changes: the
server comes from REDIS_URL, the simulated 1 s query sleeps 0.05 s, the
"database" counts its queries, and one extra 1-second cache entry shows expiry.
"""
import json
import os
import time
from functools import wraps
from urllib.parse import urlparse

import redis

REDIS_URL = os.environ.get("REDIS_URL", "redis://localhost:6379/0")
_url = urlparse(REDIS_URL)
HOST, PORT, DB = _url.hostname or "localhost", _url.port or 6379, int(_url.path.lstrip("/") or 0)

QUERIES = {"count": 0}

# Initialize Redis client
redis_client = redis.Redis(host=HOST, port=PORT, db=DB)
for _k in redis_client.keys("cache:get_user_*"):
    redis_client.delete(_k)


def cache_result(expiration=300):
    """
    Decorator to cache function results in Redis
    Args:
    expiration: Time in seconds for the cache to expire (default: 5 minutes)
    """
    def decorator(func):
        @wraps(func)
        def wrapper(*args, **kwargs):
            # Create a cache key based on function name and arguments
            cache_key = f"cache:{func.__name__}:{str(args)}:{str(kwargs)}"
            # Try to get cached result
            cached_result = redis_client.get(cache_key)
            if cached_result:
                print(f"Cache hit for {cache_key}")
                return json.loads(cached_result)
            # If cache miss, call the original function
            print(f"Cache miss for {cache_key}")
            result = func(*args, **kwargs)
            # Store result in cache (serialize to JSON)
            redis_client.setex(
                cache_key,
                expiration,
                json.dumps(result)
            )
            return result
        return wrapper
    return decorator


# Example usage with a database query function
@cache_result(expiration=60)  # Cache for 1 minute
def get_user_details(user_id):
    # This would typically be a database query
    print("Executing expensive database query...")
    QUERIES["count"] += 1
    # Simulate database operation
    time.sleep(0.05)  # Simulate a (shortened) database query
    return {
        "id": user_id,
        "name": "John Doe",
        "email": "john@example.com",
        "role": "admin"
    }


# First call - will query the "database"
t0 = time.perf_counter()
user = get_user_details(42)
first = time.perf_counter() - t0
print(user)
assert QUERIES["count"] == 1
# Second call - will retrieve from cache
t0 = time.perf_counter()
user2 = get_user_details(42)
second = time.perf_counter() - t0
print(user2)
assert QUERIES["count"] == 1 and user2 == user
assert second < first
key = "cache:get_user_details:(42,):{}"
assert 59 <= redis_client.ttl(key) <= 60


# A 1-second cache entry shows that expiry turns a hit back into a miss
@cache_result(expiration=1)
def get_user_short(user_id):
    QUERIES["count"] += 1
    return {"id": user_id}


get_user_short(7)
get_user_short(7)
assert QUERIES["count"] == 2
time.sleep(1.1)
get_user_short(7)
assert QUERIES["count"] == 3


def invalidate_user_cache(user_id):
    """Invalidate all cached data for a specific user"""
    # Find all keys matching the pattern
    pattern = f"cache:get_user_*:{user_id}:*"
    keys = redis_client.keys(pattern)
    if keys:
        # Delete all matching keys
        redis_client.delete(*keys)
        print(f"Invalidated {len(keys)} cache entries for user {user_id}")
    return keys


# the article's pattern has no parentheses around the id, so it matches
# nothing for keys built from str(args) == "(42,)": show what it does match
assert invalidate_user_cache(42) == []
redis_client.set("cache:get_user_profile:42:{}", "{}")
assert invalidate_user_cache(42) == [b"cache:get_user_profile:42:{}"]
assert redis_client.exists(key) == 1
redis_client.delete(key, "cache:get_user_short:(7,):{}")

print("DEMONSTRATED: @cache_result miss then hit (1 query for 2 calls, faster 2nd call), "
      "SETEX 60, 1 s entry expires into a miss, KEYS-pattern invalidation")
