"""Sessions with a lifespan: SETEX + TTL.

Source: "Boosting ... Redis and Python" (Time-To-Live section).  The article's
30-minute session is kept; a second, 1-second session shows the expiry itself
instead of waiting half an hour.
"""
import os
import time
from urllib.parse import urlparse

import redis

REDIS_URL = os.environ.get("REDIS_URL", "redis://localhost:6379/0")
_url = urlparse(REDIS_URL)
HOST, PORT, DB = _url.hostname or "localhost", _url.port or 6379, int(_url.path.lstrip("/") or 0)

client = redis.Redis(host=HOST, port=PORT, db=DB)
session_data = '{"user_id": 42, "cart": ["book"]}'

# Store a session with a 30-minute lifespan
client.setex("session:abc123", 1800, session_data)
# Check how long a key has left to live
ttl = client.ttl("session:abc123")
print(f"Key expires in {ttl} seconds.")
assert 1799 <= ttl <= 1800
assert client.get("session:abc123").decode() == session_data

# The same call with a short lifespan, to watch it vanish
client.setex("session:short", 1, session_data)
assert client.ttl("session:short") in (0, 1)
assert 0 < client.pttl("session:short") <= 1000
time.sleep(1.1)
assert client.get("session:short") is None
assert client.ttl("session:short") == -2      # gone
client.persist("session:abc123")
assert client.ttl("session:abc123") == -1     # no expiry any more
client.delete("session:abc123")

print("DEMONSTRATED: SETEX 1800 + TTL reports ~1800 s; a 1 s session expires "
      "(TTL -2); PERSIST gives TTL -1")
