"""Basic redis-py operations from the seed articles.

Sources: "Boosting ... Redis and Python" (connect + ping), "Redis as a caching
solution in Python backends" (Basic Redis Operations) and "Caching Strategies
(Redis, Memcached)" (the redis-py example).  The server comes from REDIS_URL.
"""
import os
from urllib.parse import urlparse

import redis

REDIS_URL = os.environ.get("REDIS_URL", "redis://localhost:6379/0")
_url = urlparse(REDIS_URL)
HOST, PORT, DB = _url.hostname or "localhost", _url.port or 6379, int(_url.path.lstrip("/") or 0)

# --- article 1: basic connection -------------------------------------------
# Connect to a local Redis instance
client = redis.Redis(host=HOST, port=PORT, db=DB)
# Test the connection
assert client.ping() is True  # Should return True

# --- article 2: Basic Redis Operations in Python ---------------------------
# Connect to Redis server
redis_client = redis.Redis(
    host=HOST,
    port=PORT,
    db=DB,
    decode_responses=True  # Automatically decode responses to Python strings
)
redis_client.delete('user:1:name', 'session:123')

# Set a key-value pair
redis_client.set('user:1:name', 'John Doe')
# Get a value
name = redis_client.get('user:1:name')
print(name)  # Output: 'John Doe'
assert name == 'John Doe'
# Set with expiration (10 seconds)
redis_client.setex('session:123', 10, 'active')
assert redis_client.get('session:123') == 'active'
assert 9 <= redis_client.ttl('session:123') <= 10
# Check if key exists
exists = redis_client.exists('user:1:name')
print(exists)  # Output: 1 (True)
assert exists == 1
# Delete a key
redis_client.delete('user:1:name')
assert redis_client.exists('user:1:name') == 0
redis_client.delete('session:123')

# --- article 4: Using Redis with Python and the redis-py library ------------
# Connect to Redis
r = redis.Redis(host=HOST, port=PORT, db=DB)
# Set a key-value pair
r.set('mykey', 'Hello, Redis!')
# Get the value for the key
value = r.get('mykey')
print(value.decode('utf-8'))  # Output: Hello, Redis!
assert value == b'Hello, Redis!'
r.delete('mykey')

print("DEMONSTRATED: ping, set/get (bytes and decoded), setex+ttl, exists, delete")
