"""Three things the articles list as "real-world use cases" beyond caching.

Rate limiting. `FixedWindowLimiter`: INCR a per-client counter named after
the current window and, in the same MULTI, EXPIRE it NX (only the first hit
of the window sets the TTL); allowed while the count is <= the limit.
`SlidingWindowLimiter`: a sorted set of request timestamps per client; one
MULTI drops entries older than the window (ZREMRANGEBYSCORE), adds this
request (ZADD), counts (ZCARD) and refreshes the TTL, so the limit holds over
any window-length interval, not just aligned ones. (A rejected request still
counts in the sliding log: a client that keeps hammering stays limited.)

Leaderboard. A sorted set of user id -> amount spent, built from the
database's orders in one pipelined ZADD, updated by ZINCRBY as orders
arrive, read with ZREVRANGE WITHSCORES and ZREVRANK (rank 0 is first).

Sessions. A hash per session (HSET of the user's fields) with a TTL;
`touch` renews the TTL on every request (sliding expiry), `end` deletes it,
and an idle session simply expires.
"""

import secrets
import time


class FixedWindowLimiter:
    def __init__(self, r, limit, window_s, prefix="rl:fixed"):
        self.r, self.limit, self.window, self.prefix = r, limit, window_s, prefix

    def allow(self, client, now=None):
        now = time.time() if now is None else now
        key = "%s:%s:%d" % (self.prefix, client, int(now // self.window))
        pipe = self.r.pipeline(transaction=True)
        pipe.incr(key)
        pipe.expire(key, self.window, nx=True)
        count, _ = pipe.execute()
        return count <= self.limit


class SlidingWindowLimiter:
    def __init__(self, r, limit, window_s, prefix="rl:sliding"):
        self.r, self.limit, self.window, self.prefix = r, limit, window_s, prefix

    def allow(self, client, now=None):
        now = time.time() if now is None else now
        key = "%s:%s" % (self.prefix, client)
        member = "%.6f:%s" % (now, secrets.token_hex(4))
        pipe = self.r.pipeline(transaction=True)
        pipe.zremrangebyscore(key, "-inf", now - self.window)
        pipe.zadd(key, {member: now})
        pipe.zcard(key)
        pipe.expire(key, int(self.window) + 1)
        _, _, count, _ = pipe.execute()
        return count <= self.limit


class Leaderboard:
    def __init__(self, r, key="lb:spenders"):
        self.r, self.key = r, key

    def load(self, rows):
        """rows: (user_id, score) pairs, e.g. from the database."""
        pipe = self.r.pipeline(transaction=False)
        pipe.delete(self.key)
        for i in range(0, len(rows), 1000):
            pipe.zadd(self.key, {str(u): s for u, s in rows[i:i + 1000]})
        pipe.execute()

    def add(self, user_id, amount):
        return self.r.zincrby(self.key, amount, str(user_id))

    def top(self, n=10):
        return [(int(m), int(s)) for m, s in self.r.zrevrange(self.key, 0, n - 1, withscores=True)]

    def rank(self, user_id):
        return self.r.zrevrank(self.key, str(user_id))


class Sessions:
    def __init__(self, r, ttl_s=1800, prefix="session"):
        self.r, self.ttl, self.prefix = r, ttl_s, prefix

    def start(self, user):
        sid = secrets.token_urlsafe(16)
        key = "%s:%s" % (self.prefix, sid)
        pipe = self.r.pipeline(transaction=True)
        pipe.hset(key, mapping={k: str(v) for k, v in user.items()})
        pipe.expire(key, self.ttl)
        pipe.execute()
        return sid

    def get(self, sid):
        """The session's fields (renewing its TTL), or None once it expired or ended."""
        key = "%s:%s" % (self.prefix, sid)
        pipe = self.r.pipeline(transaction=True)
        pipe.hgetall(key)
        pipe.expire(key, self.ttl)
        fields, _ = pipe.execute()
        return {k.decode(): v.decode() for k, v in fields.items()} or None

    def end(self, sid):
        return self.r.delete("%s:%s" % (self.prefix, sid)) == 1
