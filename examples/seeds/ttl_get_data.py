"""Cache-aside with a TTL, timing each retrieval.

Source: "Boosting Application Performance with Redis Caching in Python"
(Practical Implementation).  Changes: REDIS_URL, the 0.5-1.5 s simulated
latency is 0.1-0.2 s, and the 60 s TTL / 61 s wait become 1 s / 1.2 s.
"""
import json
import os
import random  # For simulating database latency
import time
from urllib.parse import urlparse

import redis

REDIS_URL = os.environ.get("REDIS_URL", "redis://localhost:6379/0")
_url = urlparse(REDIS_URL)

# Redis connection details
REDIS_HOST = _url.hostname or 'localhost'
REDIS_PORT = _url.port or 6379
REDIS_DB = int(_url.path.lstrip("/") or 0)
CACHE_TTL = 1          # the article uses 60
DB_CALLS = []

# Connect to Redis
redis_client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB)
redis_client.delete("user_123", "user_456")


def get_data_from_database(key):
    """Simulates fetching data from a slow database."""
    print(f"Fetching data from the database for key: {key}")
    DB_CALLS.append(key)
    time.sleep(random.uniform(0.1, 0.2))  # Simulate database latency
    # In a real application, you would query your database here.
    data = {"key": key, "value": f"Data for {key} from database"}
    return data


def get_data(key):
    """Retrieves data from Redis cache, or fetches from the database if not cached."""
    cached_data = redis_client.get(key)
    if cached_data:
        print(f"Cache hit for key: {key}")
        # Deserialize the data from JSON
        return json.loads(cached_data.decode('utf-8'))
    else:
        print(f"Cache miss for key: {key}")
        data = get_data_from_database(key)
        # Serialize the data to JSON before storing in Redis
        redis_client.set(key, json.dumps(data), ex=CACHE_TTL)  # Cache for CACHE_TTL seconds
        return data


# Example usage:
start_time = time.time()
data1 = get_data("user_123")
t1 = time.time() - start_time
print(f"First retrieval: {data1}")
print(f"Time taken: {t1:.4f} seconds\n")

start_time = time.time()
data2 = get_data("user_123")  # Retrieve the same data again
t2 = time.time() - start_time
print(f"Second retrieval: {data2}")
print(f"Time taken: {t2:.4f} seconds\n")

start_time = time.time()
data3 = get_data("user_456")
print(f"Third retrieval: {data3}")
print(f"Time taken: {time.time() - start_time:.4f} seconds\n")

assert DB_CALLS == ["user_123", "user_456"], DB_CALLS
assert data2 == data1 and t2 < t1
assert redis_client.pttl("user_123") <= CACHE_TTL * 1000

time.sleep(CACHE_TTL + 0.2)  # Wait for TTL to expire

start_time = time.time()
data4 = get_data("user_123")
print(f"Fourth retrieval (after TTL): {data4}")
print(f"Time taken: {time.time() - start_time:.4f} seconds\n")
assert DB_CALLS == ["user_123", "user_456", "user_123"], DB_CALLS
assert data4 == data1
redis_client.delete("user_123", "user_456")

print("DEMONSTRATED: miss -> hit (faster) -> miss for a new key; after the TTL "
      "(set with ex=) the key is fetched from the database again")
