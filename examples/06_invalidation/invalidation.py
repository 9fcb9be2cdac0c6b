"""Invalidation by pattern with SCAN, never KEYS.

KEYS walks the whole keyspace in one command and blocks every other client
of that shard while it does; SCAN walks it a slice per call (COUNT is a hint
of the slice size) with a cursor, so other clients' commands run in between.
`invalidate(r, pattern)` iterates SCAN MATCH <pattern> COUNT <n> and UNLINKs
the matches in batches, returning how many it removed. SCAN's guarantee is
what makes this correct: every key that exists for the whole iteration is
returned at least once (a key may come back twice; UNLINK of a gone key is
harmless).

Keys are laid out so that a pattern names exactly one group:
`<prefix>:listing:<category>:page:<n>` for a category's listing pages,
`<prefix>:product:<id>` for one product, `<prefix>:user:<id>:...` per user.
"""


def invalidate(r, pattern, count=500):
    removed = 0
    batch = []
    for key in r.scan_iter(match=pattern, count=count):
        batch.append(key)
        if len(batch) >= count:
            removed += r.unlink(*batch)
            batch = []
    if batch:
        removed += r.unlink(*batch)
    return removed


def command_calls(r, name):
    stats = r.info("commandstats").get("cmdstat_" + name)
    return stats["calls"] if stats else 0
