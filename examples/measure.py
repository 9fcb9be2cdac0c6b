#!/usr/bin/python3
"""Measures what Magpie buys examples 1 and 3: per-request latency (p50, p99)
and database queries, with and without the cache, in one run on one machine.

Example 1 (profiles): the same skewed sequence of profile requests (Zipf over
all users, seeded) is served twice by ProfileService: once with no cache
(every request runs the profile query), once with Magpie in front, starting
cold. Example 3 (Flask API): the same sequence of HTTP requests (85% product
pages, 13% category listings, 2% PUT stock changes that invalidate) goes over
keep-alive HTTP/1.1 to two instances of the app on real servers, one without
and one with the cache. Latency is per request, measured by the client with
perf_counter around the call (for example 3: request sent to body read).
Database queries are the database's own count (pg_stat_statements, see
common/database.py). Before the timed passes one unmeasured pass warms the
database's buffers, so the uncached pass is not penalised by a cold disk.

Prints a Markdown table (and --json FILE writes the figures).
"""

import argparse
import json
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "01_cache_aside"))
sys.path.insert(0, os.path.join(HERE, "03_flask_api"))
import redis  # noqa: E402

from common import database, percentile, servers, shopdata, zipf_ids  # noqa: E402
from profiles import ProfileService  # noqa: E402


def run_profiles(db, r, n):
    conn = db.connect()
    n_users = shopdata.counts(conn)["users"]
    seq = zipf_ids(n_users, n, seed=11)
    out = {}
    for u in seq[: n // 4]:  # warm the database's buffers
        shopdata.user_profile(conn, u)
    for label, client in (("without Magpie", None), ("with Magpie", r)):
        svc = ProfileService(client, conn, prefix="measure1:user")
        if client is not None:
            for k in client.scan_iter("measure1:*", count=1000):
                client.delete(k)
        lat = []
        q0 = db.query_count()
        for u in seq:
            t = time.perf_counter()
            svc.get(u)
            lat.append((time.perf_counter() - t) * 1000)
        out[label] = {"requests": n, "p50_ms": percentile(lat, 50), "p99_ms": percentile(lat, 99),
                      "mean_ms": sum(lat) / n, "db_queries": db.query_count() - q0,
                      "hit_rate": (svc.hits / n) if client is not None else None}
    for k in r.scan_iter("measure1:*", count=1000):
        r.delete(k)
    conn.close()
    return out


def api_sequence(db, n, seed=13):
    conn = db.connect()
    n_products = shopdata.counts(conn)["products"]
    conn.close()
    rnd = random.Random(seed)
    products = zipf_ids(n_products, n, seed=seed)
    cats = zipf_ids(len(shopdata.CATEGORIES), n, seed=seed + 1, s=0.8)
    seq = []
    for i in range(n):
        x = rnd.random()
        if x < 0.85:
            seq.append(("GET", "/api/products/%d" % products[i], None))
        elif x < 0.98:
            seq.append(("GET", "/api/categories/%s/products" % shopdata.CATEGORIES[cats[i] - 1],
                        None))
        else:
            seq.append(("PUT", "/api/products/%d" % products[i],
                        {"stock": rnd.randrange(0, 500)}))
    return seq


def run_api(db, r, n):
    from product_api import Client, create_app, serve
    seq = api_sequence(db, n)
    conn = db.connect()
    stock = dict(conn.query("SELECT id, stock FROM products"))
    out = {}
    for label, client in (("warm-up", None), ("without Magpie", None), ("with Magpie", r)):
        server = serve(create_app(db, client, ttl=300, prefix="measure3"))
        http = Client(server.port)
        lat, hits = [], 0
        q0 = db.query_count()
        for method, path, body in (seq[: n // 4] if label == "warm-up" else seq):
            status, cache, _, ms = http.call(method, path, body)
            assert status == 200, (method, path, status)
            lat.append(ms)
            hits += cache == "HIT"
        queries = db.query_count() - q0
        http.http.close()
        server.stop()
        if label != "warm-up":
            gets = sum(1 for m, _, _ in seq if m == "GET")
            out[label] = {"requests": n, "p50_ms": percentile(lat, 50),
                          "p99_ms": percentile(lat, 99), "mean_ms": sum(lat) / n,
                          "db_queries": queries,
                          "hit_rate": hits / gets if client is not None else None}
        for k in r.scan_iter("measure3:*", count=1000):
            r.delete(k)
        with conn.transaction():  # the PUTs changed stock: restore it for the next pass
            for pid in {int(p.rsplit("/", 1)[1]) for m, p, _ in seq if m == "PUT"}:
                conn.execute("UPDATE products SET stock = %s WHERE id = %s", (stock[pid], pid))
    conn.close()
    return out


def table(results, db):
    lines = ["| example | cache | requests | p50 | p99 | mean | database queries | hit rate |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for name, res in results.items():
        for label, m in res.items():
            hit_rate = "—" if m["hit_rate"] is None else "%.1f%%" % (100 * m["hit_rate"])
            lines.append("| %s | %s | %d | %.3f ms | %.3f ms | %.3f ms | %d | %s |" % (
                name, label, m["requests"], m["p50_ms"], m["p99_ms"], m["mean_ms"],
                m["db_queries"], hit_rate))
    lines.append("")
    lines.append("Database: %s. Same run, same machine." % db.describe())
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=int(os.environ.get("MEASURE_REQUESTS", 5000)))
    ap.add_argument("--json", default="")
    args = ap.parse_args()
    db = database.from_env()
    r = redis.Redis.from_url(servers.redis_url())
    results = {"1 cache-aside profiles": run_profiles(db, r, args.requests),
               "3 Flask product API (HTTP)": run_api(db, r, args.requests)}
    r.close()
    print(table(results, db))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"database": db.describe(), "results": results}, f, indent=2)
    p1 = results["1 cache-aside profiles"]
    p3 = results["3 Flask product API (HTTP)"]
    print("DEMONSTRATED: measured with/without Magpie: profiles p50 %.3f -> %.3f ms, %d -> %d "
          "queries; Flask API p50 %.3f -> %.3f ms, %d -> %d queries" % (
              p1["without Magpie"]["p50_ms"], p1["with Magpie"]["p50_ms"],
              p1["without Magpie"]["db_queries"], p1["with Magpie"]["db_queries"],
              p3["without Magpie"]["p50_ms"], p3["with Magpie"]["p50_ms"],
              p3["without Magpie"]["db_queries"], p3["with Magpie"]["db_queries"]))


if __name__ == "__main__":
    main()
