"""Shared by the examples: the database (database.py), the shop's data and
queries (shopdata.py), and starting Magpie (servers.py)."""


def percentile(samples, p):
    """The p-th percentile (0..100) of a list of numbers, nearest-rank."""
    if not samples:
        return float("nan")
    s = sorted(samples)
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


def zipf_ids(n_ids, count, seed=7, s=1.1):
    """`count` ids in 1..n_ids drawn with Zipf weights 1/rank**s (a few ids are
    hot, most are cold), shuffled so hot ids are not simply the low ones."""
    import random
    rnd = random.Random(seed)
    ids = list(range(1, n_ids + 1))
    rnd.shuffle(ids)
    weights = [1.0 / (rank ** s) for rank in range(1, n_ids + 1)]
    return rnd.choices(ids, weights=weights, k=count)


