"""Cache-aside user profiles, with invalidation on update.

Source: "Boosting ... Redis and Python" (get_user_profile) plus its
"delete the cached key when the source data changes" advice.  The undefined
`database.fetch_user` is a tiny in-file fake that counts queries.
"""
import json
import os
from urllib.parse import urlparse

import redis

REDIS_URL = os.environ.get("REDIS_URL", "redis://localhost:6379/0")
_url = urlparse(REDIS_URL)
HOST, PORT, DB = _url.hostname or "localhost", _url.port or 6379, int(_url.path.lstrip("/") or 0)


class FakeDatabase:
    """Stands in for the article's `database`; counts every query."""

    def __init__(self):
        self.queries = 0
        self.users = {42: {"id": 42, "name": "Ada", "email": "ada@example.com"}}

    def fetch_user(self, user_id):
        self.queries += 1
        return dict(self.users[user_id])

    def update_user(self, user_id, **fields):
        self.users[user_id].update(fields)


database = FakeDatabase()
client = redis.Redis(host=HOST, port=PORT, db=DB)
client.delete("user:42")


def get_user_profile(user_id):
    # 1. Try the cache first
    cache_key = f"user:{user_id}"
    cached_data = client.get(cache_key)
    if cached_data:
        print("Cache hit!")
        return json.loads(cached_data)
    # 2. If not in cache, get from the database
    print("Cache miss. Querying database.")
    db_data = database.fetch_user(user_id)  # Your DB call here
    # 3. Store in cache for future requests
    client.setex(cache_key, 3600, json.dumps(db_data))  # Expires in 1 hour
    return db_data


# first call: a miss that queries the database
p1 = get_user_profile(42)
assert database.queries == 1 and p1["name"] == "Ada"
# second call: a hit, no new query
p2 = get_user_profile(42)
assert database.queries == 1 and p2 == p1
assert 3599 <= client.ttl("user:42") <= 3600

# invalidation: update the source of truth, delete the cached key
database.update_user(42, name="Ada Lovelace")
client.delete("user:42")
p3 = get_user_profile(42)
assert database.queries == 2 and p3["name"] == "Ada Lovelace"
p4 = get_user_profile(42)
assert database.queries == 2 and p4 == p3
client.delete("user:42")

print("DEMONSTRATED: cache-aside miss->hit (1 DB query for 2 reads), SETEX 3600 TTL, "
      "invalidation by DEL forces a fresh query")
