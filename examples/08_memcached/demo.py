#!/usr/bin/python3
"""Example 8: example 1's cache-aside profiles with pymemcache against
Magpie's memcached port; the same keys are visible over the Redis protocol."""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import redis  # noqa: E402
from pymemcache.client.base import Client  # noqa: E402

from common import database, servers, shopdata, zipf_ids  # noqa: E402
from mc_profiles import JsonSerde, McProfileService  # noqa: E402


def main():
    db = database.from_env()
    conn = db.connect()
    # no_delay: a get right after a noreply set would otherwise wait ~40 ms for
    # Nagle + delayed ACK (pymemcache leaves TCP_NODELAY off; memcached itself behaves
    # the same)
    mc = Client(servers.memcached_addr(), serde=JsonSerde(), timeout=30, connect_timeout=10,
                no_delay=True)
    r = redis.Redis.from_url(servers.redis_url())
    svc = McProfileService(mc, conn, ttl=3600, prefix="ex8:user")
    uid = 77
    original = shopdata.user_profile(conn, uid)["name"]
    try:
        q0 = db.query_count()
        p1, p2 = svc.get(uid), svc.get(uid)
        assert p1 == p2 and db.query_count() - q0 == 1 and (svc.hits, svc.misses) == (1, 1)
        print("memcached get/set: miss ran the profile query, hit did not")

        svc.update(uid, name="Grace Renamed")
        assert svc.get(uid)["name"] == "Grace Renamed" and svc.misses == 2
        print("update: database first, then memcached delete; next get read the new name")

        mc.set("ex8:short", {"x": 1}, expire=1)
        deadline = time.monotonic() + 10
        while mc.get("ex8:short") is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert mc.get("ex8:short") is None
        print("expire=1: the item was gone after a second")

        cross = ""
        if r.get(svc.key(uid)) is not None:  # one keyspace (Magpie), not two servers
            assert json.loads(r.get(svc.key(uid))) == svc.get(uid)
            assert 3590 <= r.ttl(svc.key(uid)) <= 3600
            r.delete(svc.key(uid))
            assert mc.get(svc.key(uid)) is None
            cross = "; the Redis port saw the same item (GET, TTL) and its DEL invalidated it"
            print("same keyspace: Redis GET returned the memcached item, Redis DEL removed it")

        n_users = shopdata.counts(conn)["users"]
        requests = zipf_ids(n_users, int(os.environ.get("EX8_REQUESTS", "2000")), seed=8)
        svc.hits = svc.misses = 0
        q1 = db.query_count()
        for u in requests:
            svc.get(u)
        queries = db.query_count() - q1
        assert queries == svc.misses
        print("%d skewed requests: %d database queries, hit rate %.1f%%"
              % (len(requests), queries, 100.0 * svc.hits / len(requests)))
    finally:
        shopdata.update_user(conn, uid, name=original)
        keys = list(r.scan_iter("ex8:*", count=1000))
        if keys:
            r.delete(*keys)
        mc.close()
        conn.close()
        r.close()
    print("DEMONSTRATED: pymemcache cache-aside on the memcached port: hit/miss, delete on "
          "update, expire%s" % cross)


if __name__ == "__main__":
    main()
