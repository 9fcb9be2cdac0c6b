"""maxmemory, the eviction policies, OOM, memory accounting and the MEMORY/OBJECT commands.

Differential checks run against the real redis-server where replies must match; the
policy behaviour (what is evicted, that maxmemory is held) is checked on Magpie alone.
"""

import socket
import time

import pytest
import redis
from pymemcache.client.base import Client as MemcacheClient
from pymemcache.exceptions import MemcacheServerError

from conftest import SANITIZED, SCALE, free_port


OOM = "OOM command not allowed when used memory > 'maxmemory'."
REDIS_POLICIES = ["volatile-lru", "allkeys-lru", "volatile-lfu", "allkeys-lfu", "volatile-random",
                  "allkeys-random", "volatile-ttl", "noeviction"]
EVICTION_DIRECTIVES = ["maxmemory", "maxmemory-policy", "maxmemory-samples",
                       "maxmemory-eviction-tenacity", "lfu-log-factor", "lfu-decay-time"]


def both(server, redis_ref):
    return server.client(decode_responses=True), redis_ref.client(decode_responses=True)


def reply(c, *args):
    opts = {"infotype": args[1].lower()} if args[0] == "OBJECT" else {}
    try:
        return c.execute_command(*args, **opts)
    except redis.ResponseError as e:
        return "ERR:" + str(e)


@pytest.fixture
def pair(server, redis_ref):
    m, ref = both(server, redis_ref)
    for c in (m, ref):
        c.flushall()
    yield m, ref
    for c in (m, ref):
        c.config_set("maxmemory", 0)
        c.config_set("maxmemory-policy", "noeviction")
        c.close()


def test_eviction_directives_match_redis(pair):
    m, ref = pair
    for d in EVICTION_DIRECTIVES:
        assert m.config_get(d) == ref.config_get(d), d
    cases = [("maxmemory", "100mb"), ("maxmemory", "2gb"), ("maxmemory", "12345"),
             ("maxmemory", "abc"), ("maxmemory", "-1"), ("maxmemory-samples", "10"),
             ("maxmemory-samples", "0"), ("maxmemory-samples", "65"),
             ("maxmemory-eviction-tenacity", "100"), ("maxmemory-eviction-tenacity", "101"),
             ("lfu-log-factor", "1"), ("lfu-log-factor", "-1"), ("lfu-decay-time", "0"),
             ("lfu-decay-time", "x"), ("maxmemory", "0")]
    cases += [("maxmemory-policy", p) for p in REDIS_POLICIES]
    cases += [("maxmemory-policy", "ALLKEYS-LRU")]
    for name, value in cases:
        assert reply(m, "CONFIG", "SET", name, value) == reply(ref, "CONFIG", "SET", name, value), (
            name, value)
        assert m.config_get(name) == ref.config_get(name), (name, value)
    # Magpie lists its own two policies after Redis's eight.
    got, want = reply(m, "CONFIG", "SET", "maxmemory-policy", "lru"), reply(
        ref, "CONFIG", "SET", "maxmemory-policy", "lru")
    assert got.startswith(want) and got.endswith(", volatile-s3fifo, allkeys-s3fifo")
    for p in ("allkeys-s3fifo", "volatile-s3fifo"):
        assert m.config_set("maxmemory-policy", p)
        assert m.config_get("maxmemory-policy") == {"maxmemory-policy": p}
        assert m.info("memory")["maxmemory_policy"] == p


def test_eviction_directives_are_flags(server_factory):
    s = server_factory(["--maxmemory", "64mb", "--maxmemory-policy", "allkeys-s3fifo",
                        "--maxmemory-samples", "7", "--maxmemory-eviction-tenacity", "20",
                        "--lfu-log-factor", "3", "--lfu-decay-time", "2"])
    c = s.client(decode_responses=True)
    got = c.config_get("m*")
    assert got["maxmemory"] == str(64 << 20)
    assert got["maxmemory-policy"] == "allkeys-s3fifo"
    assert got["maxmemory-samples"] == "7"
    assert got["maxmemory-eviction-tenacity"] == "20"
    assert c.config_get("lfu-*") == {"lfu-log-factor": "3", "lfu-decay-time": "2"}
    info = c.info("memory")
    assert info["maxmemory"] == 64 << 20 and info["maxmemory_human"] == "64.00M"


def test_oom_under_noeviction_matches_redis(pair):
    m, ref = pair
    for c in (m, ref):
        c.set("k", "v")
        c.rpush("l", "a")
        c.config_set("maxmemory", 1)
    script = [("SET", "x", "1"), ("GET", "k"), ("APPEND", "k", "more"), ("RPUSH", "l", "b"),
              ("LPOP", "l"), ("INCR", "n"), ("EXISTS", "k"), ("DEL", "k"), ("GET", "k"),
              ("HSET", "h", "f", "v"), ("DBSIZE",)]
    for cmd in script:
        got, want = reply(m, *cmd), reply(ref, *cmd)
        assert got == want, cmd
    assert reply(m, "SET", "x", "1") == "ERR:" + OOM
    # Inside MULTI the rejected command aborts the transaction, as in Redis.
    for c in (m, ref):
        p = c.pipeline(transaction=True)
        p.get("l")
        p.set("y", "1")
        with pytest.raises(redis.ResponseError) as e:
            p.execute()
        assert "EXECABORT" in str(e.value) or "OOM" in str(e.value)
    assert m.info("stats")["evicted_keys"] == 0


def test_object_freq_and_idletime_match_redis(pair):
    m, ref = pair
    for c in (m, ref):
        c.set("k", "v")
    for cmd in [("OBJECT", "FREQ", "k"), ("OBJECT", "FREQ", "missing"),
                ("OBJECT", "IDLETIME", "k"), ("OBJECT", "IDLETIME", "missing")]:
        assert reply(m, *cmd) == reply(ref, *cmd), cmd
    for c in (m, ref):
        c.config_set("maxmemory-policy", "allkeys-lfu")
        c.set("f", "v")
    for cmd in [("OBJECT", "FREQ", "f"), ("OBJECT", "IDLETIME", "f"),
                ("OBJECT", "FREQ", "missing")]:
        assert reply(m, *cmd) == reply(ref, *cmd), cmd
    # The counter is logarithmic: 200 reads lift it above the initial 5.
    for _ in range(200):
        m.get("f")
    assert 5 < reply(m, "OBJECT", "FREQ", "f") < 40


def test_object_idletime_is_real(r):
    r.set(b"k", b"v")
    r.set(b"touched", b"v")
    time.sleep(2.2)
    r.get(b"touched")
    assert r.object("idletime", b"k") >= 2
    assert r.object("idletime", b"touched") == 0


def test_memory_commands_match_redis(pair):
    m, ref = pair
    for c in (m, ref):
        c.set("k", "v" * 100)
        c.set("t", "v", ex=100)
    for cmd in [("MEMORY", "USAGE", "missing"), ("MEMORY", "USAGE", "k", "SAMPLES", "x"),
                ("MEMORY", "USAGE", "k", "SAMPLES", "-1"), ("MEMORY", "USAGE", "k", "SAMPLES"),
                ("MEMORY", "USAGE", "k", "FOO", "1"), ("MEMORY", "USAGE"), ("MEMORY", "HELP"),
                ("MEMORY", "PURGE"), ("MEMORY", "STATS", "x"), ("MEMORY", "NOPE")]:
        assert reply(m, *cmd) == reply(ref, *cmd), cmd
    assert 100 < m.memory_usage("k", samples=0) < 200
    got, want = m.memory_stats(), ref.memory_stats()
    assert set(got) == set(want)
    assert set(got["db.0"]) == set(want["db.0"])
    assert got["keys.count"] == 2 and got["dataset.bytes"] > 0
    assert isinstance(m.execute_command("MEMORY", "DOCTOR"), str)


def test_info_fields_match_redis(pair):
    m, ref = pair
    m.set("k", "v")
    for section in ("memory", "stats"):
        missing = set(ref.info(section)) - set(m.info(section))
        if section == "stats":  # replication, defrag, tracking, io-threads: not in this build
            missing = {f for f in missing if f in ("evicted_keys", "expired_keys", "expired_stale_perc",
                                                   "keyspace_hits", "keyspace_misses", "evicted_clients")}
        assert not missing, (section, sorted(missing))
    info = m.info("memory")
    if not SANITIZED:
        assert info["mem_allocator"].startswith("jemalloc")
        ratio = info["used_memory_rss"] / info["used_memory"]
        assert abs(info["mem_fragmentation_ratio"] - ratio) < 0.02
    assert info["used_memory_peak"] >= info["used_memory"] * 0.9
    assert info["used_memory_dataset"] > 0


def fill(c, prefix, n, value, ex=None, check=None, batch=2000):
    """SETs prefix:0..n-1 in pipelines; calls check() after every batch."""
    for start in range(0, n, batch):
        p = c.pipeline(transaction=False)
        for i in range(start, min(n, start + batch)):
            p.set(b"%s:%d" % (prefix, i), value, ex=ex)
        p.execute()
        if check:
            check()


def start_limited(server_factory, policy, room=8 << 20, extra=(), scaled=True):
    """A server whose maxmemory leaves `room` bytes above its idle used_memory.
    Under the sanitizers workloads shrink tenfold (scale), and so does the room
    (`scaled`: the test's workload follows scale())."""
    if SANITIZED and scaled:
        room = max(256 << 10, int(room * SCALE))
    s = server_factory(["--maxmemory-policy", policy] + list(extra))
    c = s.client()
    base = c.info("memory")["used_memory"]
    limit = base + room
    c.config_set("maxmemory", limit)
    return s, c, limit


@pytest.mark.parametrize("policy", ["allkeys-lru", "allkeys-lfu", "allkeys-random",
                                    "allkeys-s3fifo"])
def test_maxmemory_is_held_under_sustained_writes(server_factory, scale, policy):
    s, c, limit = start_limited(server_factory, policy)
    peak = [0]

    def check():
        used = c.info("memory")["used_memory"]
        peak[0] = max(peak[0], used)
        assert used <= limit * 1.05, "used_memory %d over maxmemory %d" % (used, limit)

    n = scale(200000)
    fill(c, b"key", n, b"v" * 100, check=check)
    stats = c.info("stats")
    assert stats["evicted_keys"] > 0
    assert c.dbsize() + stats["evicted_keys"] == n
    assert peak[0] > limit * 0.8  # the cache was actually filled
    assert c.get(b"key:%d" % (n - 1)) == b"v" * 100  # the newest write is kept


@pytest.mark.parametrize("policy", ["volatile-lru", "volatile-lfu", "volatile-random",
                                    "volatile-ttl", "volatile-s3fifo"])
def test_volatile_policies_evict_only_keys_with_ttl(server_factory, scale, policy):
    s, c, limit = start_limited(server_factory, policy, room=4 << 20)
    keep = scale(5000)
    fill(c, b"persistent", keep, b"p" * 100)
    fill(c, b"volatile", scale(100000), b"v" * 100, ex=10000)
    assert c.info("stats")["evicted_keys"] > 0
    # One INFO: the cron may still be evicting volatile keys between two.
    db0 = c.info("keyspace")["db0"]
    assert db0["keys"] - db0["expires"] == keep
    # Once no key with a TTL is left, writes fail with OOM.
    with pytest.raises(redis.ResponseError, match="OOM"):
        fill(c, b"more", scale(200000), b"m" * 100)
    assert c.info("keyspace")["db0"].get("expires", 0) == 0
    assert c.get(b"persistent:0") == b"p" * 100
    assert c.delete(b"persistent:0") == 1  # deletes are served


def test_volatile_ttl_evicts_nearest_expiry_first(server_factory, scale):
    s, c, limit = start_limited(server_factory, "volatile-ttl", room=4 << 20)
    n = scale(60000)
    for start in range(0, n, 1000):
        p = c.pipeline(transaction=False)
        for i in range(start, start + 1000):
            p.set(b"short:%d" % i, b"v" * 100, ex=1000)
            p.set(b"long:%d" % i, b"v" * 100, ex=1000000)
        p.execute()
    assert c.info("stats")["evicted_keys"] > 0
    short = sum(1 for _ in c.scan_iter(b"short:*", count=1000))
    long = sum(1 for _ in c.scan_iter(b"long:*", count=1000))
    assert long > 2 * short, (long, short)


@pytest.mark.parametrize("policy", ["allkeys-lru", "allkeys-lfu"])
def test_recently_or_frequently_used_keys_survive(server_factory, scale, policy):
    s, c, limit = start_limited(server_factory, policy, room=4 << 20)
    hot = [b"hot:%d" % i for i in range(200)]
    for k in hot:
        c.set(k, b"h" * 100)
    n = scale(100000)
    for start in range(0, n, 2000):
        fill(c, b"cold%d" % start, 2000, b"c" * 100)
        p = c.pipeline(transaction=False)
        for k in hot:
            p.get(k)
        p.execute()
    assert c.info("stats")["evicted_keys"] > n // 4
    assert sum(1 for k in hot if c.exists(k)) >= 190


def test_s3fifo_resists_scans(server_factory, scale):
    """A hot set read between long scans of one-time keys: S3-FIFO keeps it, LRU does not."""
    kept = {}
    for policy in ("allkeys-s3fifo", "allkeys-lru"):
        s, c, limit = start_limited(server_factory, policy, room=2 << 20, scaled=False)
        hot = [b"hot:%d" % i for i in range(2000)]
        fill(c, b"hot", len(hot), b"h" * 100)
        hits = reads = 0
        for rnd in range(scale(12) if not SANITIZED else 4):
            p = c.pipeline(transaction=False)
            for k in hot:
                p.get(k)
            got = p.execute()
            if rnd >= 2:
                reads += len(got)
                hits += sum(1 for v in got if v is not None)
            for i, k in enumerate(hot):  # misses are filled again, as a cache client does
                if got[i] is None:
                    c.set(k, b"h" * 100)
            fill(c, b"scan%d" % rnd, 30000, b"s" * 100)  # more than the cache holds
        kept[policy] = hits / reads
        s.cleanup()
    assert kept["allkeys-s3fifo"] > 0.9, kept
    assert kept["allkeys-s3fifo"] > kept["allkeys-lru"] + 0.3, kept


def test_policy_switch_at_run_time_keeps_evicting(server_factory, scale):
    s, c, limit = start_limited(server_factory, "allkeys-lru", room=4 << 20)
    for i, policy in enumerate(["allkeys-s3fifo", "allkeys-lfu", "allkeys-s3fifo",
                                "allkeys-random", "allkeys-lru"]):
        c.config_set("maxmemory-policy", policy)
        fill(c, b"k%d" % i, scale(50000), b"v" * 100)
        assert c.info("memory")["used_memory"] <= limit * 1.05, policy
    assert c.info("stats")["evicted_keys"] > 0


@pytest.mark.skipif(SANITIZED, reason="under ASan used_memory is mostly the sanitizer's own: "
                    "half of it cannot be reached by evicting keys")
def test_lowering_maxmemory_evicts_in_the_background(server_factory, scale):
    s = server_factory(["--maxmemory-policy", "allkeys-lru"])
    c = s.client()
    fill(c, b"k", scale(100000), b"v" * 100)
    used = c.info("memory")["used_memory"]
    c.config_set("maxmemory", used // 2)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and c.info("memory")["used_memory"] > used // 2 * 1.05:
        time.sleep(0.1)
    assert c.info("memory")["used_memory"] <= used // 2 * 1.05
    assert c.info("stats")["evicted_keys"] > 0


def test_memcached_writes_are_evicted_and_counted(server_factory, scale):
    port = free_port()
    s = server_factory(["--memcached-port", str(port), "--maxmemory-policy", "allkeys-lru"])
    c = s.client()
    room = 4 << 20 if not SANITIZED else max(256 << 10, int((4 << 20) * SCALE))
    limit = c.info("memory")["used_memory"] + room
    c.config_set("maxmemory", limit)
    mc = MemcacheClient(("127.0.0.1", port))
    try:
        n = scale(60000)
        for start in range(0, n, 1000):
            mc.set_many({b"mc:%d" % i: b"v" * 100 for i in range(start, start + 1000)})
        # The cron may evict between two reads: the INFO figure must lie
        # between two memcached readings taken around it.
        stats = mc.stats()
        evicted = c.info("stats")["evicted_keys"]
        after = mc.stats()
        assert evicted > 0 and stats[b"evictions"] <= evicted <= after[b"evictions"]
        assert stats[b"limit_maxbytes"] == limit
        assert c.info("memory")["used_memory"] <= limit * 1.05
        assert mc.get(b"mc:%d" % (n - 1)) == b"v" * 100
        mc.set(b"counter", b"9", noreply=False)
        # noeviction: memcached's own out-of-memory reply.
        c.config_set("maxmemory-policy", "noeviction")
        with pytest.raises(MemcacheServerError, match="out of memory"):
            for i in range(n):
                mc.set(b"more:%d" % i, b"v" * 100, noreply=False)
        assert mc.get(b"mc:%d" % (n - 1)) == b"v" * 100  # reads are served
        # incr and ma may grow or create a value: memcached's out-of-memory
        # reply for arithmetic, and nothing changes. (With the limit well below
        # the data: at the edge, freed buffers can bring used_memory under it.)
        c.config_set("maxmemory", limit // 2)
        raw = socket.create_connection(("127.0.0.1", port))
        try:
            raw.sendall(b"set more:last 0 0 100\r\n" + b"v" * 100 + b"\r\n"
                        b"incr counter 1\r\nma ctr N0 J5\r\nincr nope 1\r\nma nope\r\n")
            got = b""
            while got.count(b"\r\n") < 5:
                got += raw.recv(4096)
            # A missing key stores nothing: NOT_FOUND / NF, as memcached.
            assert got == (b"SERVER_ERROR out of memory storing object\r\n"
                           + b"SERVER_ERROR out of memory\r\n" * 2 + b"NOT_FOUND\r\nNF\r\n"), got
        finally:
            raw.close()
        assert mc.get(b"ctr") is None and mc.get(b"counter") == b"9"
    finally:
        mc.close()


def test_exec_rechecks_memory_for_queued_writes(server_factory, redis_ref):
    """A MULTI queued below maxmemory, EXECed above it: EXECABORT, as Redis 7.0."""
    def run(port):
        a = redis.Redis(host="127.0.0.1", port=port)
        b = redis.Redis(host="127.0.0.1", port=port)
        b.flushall()
        b.set("x", "1")
        conn = a.connection_pool.get_connection("MULTI")
        try:
            conn.send_command("MULTI")
            first = conn.read_response()
            conn.send_command("SET", "a", "b")
            queued = conn.read_response()
            b.config_set("maxmemory", "1")
            conn.send_command("EXEC")
            try:
                exec_reply = conn.read_response()
            except redis.ResponseError as e:
                exec_reply = "ERR:" + str(e)
            b.config_set("maxmemory", "0")
            conn.send_command("EXEC")
            try:
                again = conn.read_response()
            except redis.ResponseError as e:
                again = "ERR:" + str(e)
        finally:
            a.connection_pool.release(conn)
        return [first, queued, exec_reply, again, b.exists("a")]

    s = server_factory()
    assert run(s.port) == run(redis_ref.port)


def test_s3fifo_compact_entries_and_leaving_s3fifo(server_factory):
    """Under S3-FIFO short strings drop the access clock (12 bytes of header); OBJECT IDLETIME is
    refused as Redis refuses it under LFU. Switching away rewrites them with a clock in the cron."""
    port = free_port()
    s = server_factory(["--memcached-port", str(port), "--maxmemory-policy", "allkeys-s3fifo"])
    c = s.client()
    keys = [b"key:%07d" % i for i in range(3000)]
    p = c.pipeline(transaction=False)
    for i, k in enumerate(keys):
        p.set(k, b"v" * 32, ex=1000 if i % 2 else None)
    p.execute()
    c.set(b"long", b"x" * 300)  # past a byte: always the full form
    c.set(b"n", b"12345")
    def usages():
        p = c.pipeline(transaction=False)
        for k in keys:
            p.memory_usage(k)
        return p.execute()

    before = usages()
    full_long = c.memory_usage(b"long")
    with pytest.raises(redis.ResponseError, match="An S3-FIFO maxmemory policy is selected, "
                       "idle time not tracked"):
        c.object("idletime", keys[0])
    assert c.object("encoding", keys[0]) == b"embstr"
    assert c.object("encoding", b"n") == b"int"
    assert c.incr(b"n") == 12346 and c.append(b"n", b"x" * 10) == 15
    assert c.get(b"n") == b"12346" + b"x" * 10 and c.object("encoding", b"n") == b"raw"
    # memcached reads the same keys (its meta commands give an entry a CAS and a clock).
    mc = MemcacheClient(("127.0.0.1", port))
    try:
        assert mc.get(keys[0]) == b"v" * 32
        value, cas = mc.gets(keys[2])
        assert value == b"v" * 32 and cas
    finally:
        mc.close()
    assert c.config_set("maxmemory-policy", "allkeys-lru")
    deadline = time.time() + 10
    while time.time() < deadline and c.memory_usage(keys[-2]) == before[-2]:
        time.sleep(0.05)
    time.sleep(0.5)  # one more cron pass over every shard
    after = usages()
    assert all(a >= b + 12 for a, b in zip(after, before)), sorted(set(zip(before, after)))
    assert c.memory_usage(b"long") == full_long
    # Nothing else changed: values, TTLs, and the LRU clock now runs.
    p = c.pipeline(transaction=False)
    for k in keys:
        p.get(k)
        p.ttl(k)
    got = p.execute()
    assert all(v == b"v" * 32 for v in got[0::2])
    assert [t > 0 for t in got[1::2]] == [i % 2 == 1 for i in range(len(keys))]
    assert 0 <= c.object("idletime", keys[5]) <= 10
    assert c.get(b"n") == b"12346" + b"x" * 10
    assert c.info("keyspace")["db0"]["expires"] == len(keys) // 2
