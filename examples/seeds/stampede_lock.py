"""Cache stampede prevention with a SET NX EX lock.

Source: "Redis as a caching solution in Python backend applications"
(Pattern 1: Cache-Aside, Pattern 2: Cache Stampede Prevention with Lock).
`database.query_item` is an in-file fake that counts queries and is slow
enough (0.2 s) for 10 concurrent threads to pile up on an empty cache.
"""
import json
import os
import threading
import time
from urllib.parse import urlparse

import redis

REDIS_URL = os.environ.get("REDIS_URL", "redis://localhost:6379/0")
_url = urlparse(REDIS_URL)
HOST, PORT, DB = _url.hostname or "localhost", _url.port or 6379, int(_url.path.lstrip("/") or 0)

redis_client = redis.Redis(host=HOST, port=PORT, db=DB)


class FakeDatabase:
    def __init__(self):
        self.queries = 0
        self.lock = threading.Lock()

    def query_item(self, item_id):
        with self.lock:
            self.queries += 1
        time.sleep(0.2)
        return {"id": item_id, "name": f"Item {item_id}"}


database = FakeDatabase()
redis_client.delete("item:1", "lock:item:1", "item:2")


def get_item(item_id):
    # Try to get from cache first
    cached_item = redis_client.get(f"item:{item_id}")
    if cached_item:
        return json.loads(cached_item)
    # If not in cache, get from database
    item = database.query_item(item_id)
    # Store in cache for next time
    redis_client.setex(f"item:{item_id}", 3600, json.dumps(item))
    return item


def get_item_with_lock(item_id):
    cache_key = f"item:{item_id}"
    lock_key = f"lock:{cache_key}"
    # Try to get from cache
    cached_item = redis_client.get(cache_key)
    if cached_item:
        return json.loads(cached_item)
    # Try to acquire lock
    acquired = redis_client.set(lock_key, "1", ex=10, nx=True)
    if not acquired:
        # Another process is already fetching the data
        # Wait a bit and try again from cache
        time.sleep(0.1)
        return get_item_with_lock(item_id)
    try:
        # We have the lock, fetch from database
        item = database.query_item(item_id)
        # Store in cache
        redis_client.setex(cache_key, 3600, json.dumps(item))
        return item
    finally:
        # Release the lock
        redis_client.delete(lock_key)


# Pattern 1: plain cache-aside
assert get_item(2) == {"id": 2, "name": "Item 2"} and database.queries == 1
assert get_item(2) == {"id": 2, "name": "Item 2"} and database.queries == 1

# the lock itself: SET NX EX grants it once, with a TTL
assert redis_client.set("lock:item:1", "1", ex=10, nx=True) is True
assert redis_client.set("lock:item:1", "1", ex=10, nx=True) is None
assert 9 <= redis_client.ttl("lock:item:1") <= 10
redis_client.delete("lock:item:1")

# Pattern 2: 10 concurrent requests on a cold cache -> one database query
database.queries = 0
results = []
threads = [threading.Thread(target=lambda: results.append(get_item_with_lock(1)))
           for _ in range(10)]
for t in threads:
    t.start()
for t in threads:
    t.join(30)
assert len(results) == 10 and all(r == {"id": 1, "name": "Item 1"} for r in results)
assert database.queries == 1, database.queries
assert redis_client.exists("lock:item:1") == 0     # released
redis_client.delete("item:1", "item:2")

print("DEMONSTRATED: cache-aside get_item; SET NX EX lock granted once with TTL; "
      "10 concurrent cold-cache readers caused exactly 1 DB query")
