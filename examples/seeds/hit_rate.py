"""Monitoring the cache: client-side CacheStats and the server's INFO counters.

Sources: "Redis as a caching solution in Python backend applications"
(CacheStats / get_cached_item) and the INFO advice of "Boosting ... Redis and
Python" and "Caching Strategies" (hit rate, keys, memory).
"""
import json
import os
from urllib.parse import urlparse

import redis

REDIS_URL = os.environ.get("REDIS_URL", "redis://localhost:6379/0")
_url = urlparse(REDIS_URL)
HOST, PORT, DB = _url.hostname or "localhost", _url.port or 6379, int(_url.path.lstrip("/") or 0)

redis_client = redis.Redis(host=HOST, port=PORT, db=DB)


class CacheStats:
    def __init__(self):
        self.hits = 0
        self.misses = 0

    def track_hit(self):
        self.hits += 1

    def track_miss(self):
        self.misses += 1

    def hit_rate(self):
        total = self.hits + self.misses
        if total == 0:
            return 0
        return self.hits / total


cache_stats = CacheStats()


def get_cached_item(key):
    value = redis_client.get(key)
    if value:
        cache_stats.track_hit()
        return json.loads(value)
    cache_stats.track_miss()
    return None


def server_counters():
    stats = redis_client.info("stats")
    return stats["keyspace_hits"], stats["keyspace_misses"]


redis_client.delete(*[f"product:{i}" for i in range(10)])
for i in range(6):
    redis_client.setex(f"product:{i}", 300, json.dumps({"id": i}))

hits0, misses0 = server_counters()
assert cache_stats.hit_rate() == 0
# 6 cached products read twice (12 hits), 4 uncached ones read once (4 misses)
for _ in range(2):
    for i in range(6):
        assert get_cached_item(f"product:{i}") == {"id": i}
for i in range(6, 10):
    assert get_cached_item(f"product:{i}") is None
hits1, misses1 = server_counters()

print(f"client-side hit rate: {cache_stats.hit_rate():.2%}")
assert (cache_stats.hits, cache_stats.misses) == (12, 4)
assert cache_stats.hit_rate() == 0.75
server_hits, server_misses = hits1 - hits0, misses1 - misses0
server_rate = server_hits / (server_hits + server_misses)
print(f"server-side (INFO stats) hit rate: {server_rate:.2%}")
assert (server_hits, server_misses) == (12, 4), (server_hits, server_misses)

info = redis_client.info()
print(f"keys in db{DB}: {info.get(f'db{DB}', {}).get('keys')}, "
      f"used_memory: {info['used_memory_human']}")
assert info[f"db{DB}"]["keys"] >= 6 and info[f"db{DB}"]["expires"] >= 6
assert info["used_memory"] > 0
redis_client.delete(*[f"product:{i}" for i in range(10)])

print("DEMONSTRATED: CacheStats hit rate 75% (12 hits / 4 misses) matches the server's "
      "INFO keyspace_hits/keyspace_misses deltas; INFO keyspace and used_memory")
