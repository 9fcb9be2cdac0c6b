"""A caching decorator for slow functions, the article's `cache_result` made
production-shaped.

The key is built from the function's qualified name and its arguments bound
to its signature with defaults applied, so f("books"), f("books", 90) and
f(category="books", days=90) share one entry; arguments are JSON-encoded
with sorted keys (a key longer than 200 bytes is replaced by its SHA-1).
Results are stored as JSON with a TTL. A cached falsy result (0, [], None)
is still a hit: the test is `is not None` on the GET reply, never
truthiness. Each wrapper counts hits and misses locally (`cache_info()`)
and in a Magpie hash `<prefix>:stats:<name>` shared by every process
(HINCRBY, pipelined with the SETEX on a miss). `invalidate(*args)` drops one
entry; `cache_clear()` drops them all with SCAN, never KEYS.
"""

import functools
import hashlib
import inspect
import json


def cached(r, ttl=300, prefix="cache"):
    def decorator(func):
        sig = inspect.signature(func)
        name = "%s.%s" % (func.__module__, func.__qualname__)

        def key_for(args, kwargs):
            bound = sig.bind(*args, **kwargs)
            bound.apply_defaults()
            arg_text = json.dumps(bound.arguments, sort_keys=True, separators=(",", ":"))
            key = "%s:%s:%s" % (prefix, name, arg_text)
            if len(key) > 200:
                key = "%s:%s:sha1:%s" % (prefix, name, hashlib.sha1(arg_text.encode()).hexdigest())
            return key

        stats_key = "%s:stats:%s" % (prefix, name)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            key = key_for(args, kwargs)
            hit = r.get(key)
            if hit is not None:
                wrapper.hits += 1
                r.hincrby(stats_key, "hits", 1)
                return json.loads(hit)
            wrapper.misses += 1
            result = func(*args, **kwargs)
            pipe = r.pipeline(transaction=False)
            pipe.setex(key, ttl, json.dumps(result))
            pipe.hincrby(stats_key, "misses", 1)
            pipe.execute()
            return result

        def cache_info():
            shared = {k.decode(): int(v) for k, v in r.hgetall(stats_key).items()}
            return {"hits": wrapper.hits, "misses": wrapper.misses,
                    "shared_hits": shared.get("hits", 0), "shared_misses": shared.get("misses", 0)}

        def invalidate(*args, **kwargs):
            return r.delete(key_for(args, kwargs))

        def cache_clear():
            n = 0
            batch = []
            for k in r.scan_iter(match="%s:%s:*" % (prefix, name), count=500):
                batch.append(k)
                if len(batch) == 500:
                    n += r.unlink(*batch)
                    batch = []
            if batch:
                n += r.unlink(*batch)
            r.delete(stats_key)
            return n

        wrapper.hits = wrapper.misses = 0
        wrapper.key_for = lambda *a, **kw: key_for(a, kw)
        wrapper.cache_info = cache_info
        wrapper.invalidate = invalidate
        wrapper.cache_clear = cache_clear
        return wrapper
    return decorator
