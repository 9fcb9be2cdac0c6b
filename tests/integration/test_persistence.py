"""RDB persistence: SAVE/BGSAVE/LASTSAVE, save points, load at startup,
SHUTDOWN and SIGTERM saves, DEBUG RELOAD, files moved between Magpie and
redis-server 7.0 in both directions (checked by redis-check-rdb), corrupt
and truncated files, a full disk, and the point-in-time guarantee of a
snapshot taken while clients write.
"""

import os
import random
import shutil
import subprocess
import threading
import time

import pytest
import redis

from conftest import (IS_MAGPIE, pipelined_set, plain, wait_for, MAGPIE_BIN, REDIS_REF_BIN, SANITIZED, ServerProcess,
                      START_TIMEOUT, free_port)

pytestmark = pytest.mark.skipif(not IS_MAGPIE, reason="starts Magpie and redis-server side by side")

SAVE_ON = ["--save", "3600 1 300 100 60 10000"]






def info_persistence(c):
    return c.info("persistence")


def wait_bgsave_done(c):
    wait_for(lambda: info_persistence(c)["rdb_bgsave_in_progress"] == 0, what="BGSAVE to end")


# --- datasets ----------------------------------------------------------------

def random_bytes(rng, n):
    return bytes(rng.getrandbits(8) for _ in range(n))


def random_member(rng):
    kind = rng.randrange(6)
    if kind == 0:
        return str(rng.randrange(-2**63, 2**63)).encode()
    if kind == 1:
        return str(rng.randrange(-1000, 1000)).encode()
    if kind == 2:
        return random_bytes(rng, rng.randrange(0, 20))
    if kind == 3:
        return b"m" * rng.randrange(1, 200)  # compressible
    if kind == 4:
        return random_bytes(rng, rng.randrange(60, 300))
    return ("member-%d" % rng.randrange(10**6)).encode()


def fill_dataset(c, rng, keys_per_db=40, dbs=range(16), types=("string", "list", "set", "zset",
                                                                 "hash")):
    """Writes a random dataset of every type, small and large, some with TTLs."""
    for db in dbs:
        p = c.pipeline(transaction=False)
        p.execute_command("SELECT", db)
        for i in range(keys_per_db):
            t = rng.choice(types)
            key = b"%s:%d:" % (t.encode(), i) + random_bytes(rng, rng.randrange(0, 6))
            big = rng.random() < 0.2
            n = rng.randrange(600, 1500) if big else rng.randrange(1, 12)
            if t == "string":
                kind = rng.randrange(4)
                if kind == 0:
                    p.set(key, str(rng.randrange(-2**63, 2**63)))
                elif kind == 1:
                    p.set(key, b"s" * rng.randrange(21, 5000))
                elif kind == 2:
                    p.set(key, random_bytes(rng, rng.randrange(0, 3000)))
                else:
                    p.set(key, str(rng.randrange(0, 10000)))
            elif t == "list":
                p.rpush(key, *[random_member(rng) for _ in range(n)])
            elif t == "set":
                if rng.random() < 0.4:
                    p.sadd(key, *[str(rng.randrange(-10**9, 10**9)) for _ in range(n)])
                else:
                    p.sadd(key, *[random_member(rng) for _ in range(n)])
            elif t == "zset":
                mapping = {}
                for _ in range(n):
                    score = rng.choice([rng.uniform(-1e9, 1e9), rng.randrange(-1000, 1000),
                                        float("inf"), float("-inf"), 1e-300, 0.1])
                    mapping[random_member(rng)] = score
                p.zadd(key, mapping)
            elif t == "hash":
                p.hset(key, mapping={random_member(rng): random_member(rng) for _ in range(n)})
            if rng.random() < 0.3:
                p.pexpire(key, rng.randrange(3600_000, 7200_000))
        p.execute()
    c.execute_command("SELECT", 0)


def dump_dataset(port, dbs=range(16)):
    """Every key of every database: {db: {key: (type, value, has_ttl)}}."""
    out = {}
    for db in dbs:
        c = redis.Redis(host="127.0.0.1", port=port, db=db, socket_timeout=30)
        data = {}
        for key in c.scan_iter(count=1000):
            t = c.type(key).decode()
            if t == "string":
                v = c.get(key)
            elif t == "list":
                v = c.lrange(key, 0, -1)
            elif t == "set":
                v = sorted(c.smembers(key))
            elif t == "zset":
                v = c.zrange(key, 0, -1, withscores=True)
            elif t == "hash":
                v = sorted(c.hgetall(key).items())
            else:
                v = None
            ttl = c.pttl(key)
            data[key] = (t, v, ttl > 0)
        if data:
            out[db] = data
        c.close()
    return out


def check_rdb(path):
    """redis-check-rdb's verdict on a file (it ships with redis-tools/redis-server)."""
    p = subprocess.run(["redis-check-rdb", path], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


@pytest.fixture
def magpie_factory():
    made = []

    def make(extra=(), directory=None):
        s = ServerProcess(name="persist")
        if directory is not None:
            shutil.rmtree(s.dir, ignore_errors=True)
            s.dir = directory
            s.log_path = os.path.join(directory, "server.log")
        made.append(s)
        return s.start(list(extra))

    yield make
    for s in made:
        s.cleanup()


@pytest.fixture
def redis_factory():
    made = []

    def make(extra=(), directory=None):
        s = ServerProcess(binary=REDIS_REF_BIN, magpie=False, name="ref")
        if directory is not None:
            shutil.rmtree(s.dir, ignore_errors=True)
            s.dir = directory
            s.log_path = os.path.join(directory, "redis.log")
        made.append(s)
        return s.start(list(extra))

    yield make
    for s in made:
        s.cleanup()


# --- commands and INFO ---------------------------------------------------------

def test_save_bgsave_lastsave_and_info(magpie_factory):
    s = magpie_factory()
    c = plain(s.client())
    info = info_persistence(c)
    for field in ("loading", "rdb_changes_since_last_save", "rdb_bgsave_in_progress",
                  "rdb_last_save_time", "rdb_last_bgsave_status", "rdb_last_bgsave_time_sec",
                  "rdb_current_bgsave_time_sec", "rdb_saves", "aof_enabled",
                  "aof_rewrite_in_progress", "rdb_last_load_keys_loaded"):
        assert field in info, field
    before = c.execute_command("LASTSAVE")
    c.mset({"a": "1", "b": "2"})
    assert info_persistence(c)["rdb_changes_since_last_save"] >= 2
    time.sleep(1.1)  # LASTSAVE has a resolution of one second
    assert c.execute_command("SAVE") == b"OK"
    assert os.path.exists(os.path.join(s.dir, "dump.rdb"))
    info = info_persistence(c)
    assert info["rdb_changes_since_last_save"] == 0
    assert info["rdb_last_bgsave_status"] == "ok"
    assert c.execute_command("LASTSAVE") > before
    assert c.execute_command("BGSAVE") == b"Background saving started"
    wait_bgsave_done(c)
    assert info_persistence(c)["rdb_last_bgsave_status"] == "ok"
    with pytest.raises(redis.ResponseError, match="syntax error"):
        c.execute_command("BGSAVE", "NOW")
    with pytest.raises(redis.ResponseError, match="wrong number of arguments for 'save'"):
        c.execute_command("SAVE", "x")
    # Inside MULTI a BGSAVE is scheduled, as in Redis.
    p = c.pipeline(transaction=True)
    p.execute_command("BGSAVE")
    assert p.execute() == [b"Background saving scheduled"]
    wait_for(lambda: info_persistence(c)["rdb_saves"] >= 3, what="the scheduled BGSAVE")
    with pytest.raises(redis.ResponseError, match="dbfilename can't be a path, just a filename"):
        c.config_set("dbfilename", "../x.rdb")


def test_bgsave_while_one_runs(magpie_factory):
    s = magpie_factory()
    c = plain(s.client())
    n = 20000 if SANITIZED else 300000
    pipelined_set(c, "filler:%d", n, "v" * 100)
    assert c.execute_command("BGSAVE") == b"Background saving started"
    replies = []
    for _ in range(3):
        try:
            replies.append(c.execute_command("BGSAVE", "SCHEDULE"))
        except redis.ResponseError as e:
            replies.append(str(e))
    wait_bgsave_done(c)
    # While the first runs, BGSAVE SCHEDULE answers as Redis does.
    assert replies[0] == "Background save already in progress", replies
    s.stop()


def test_restart_keeps_everything(magpie_factory):
    rng = random.Random(11)
    s = magpie_factory(SAVE_ON)
    c = plain(s.client())
    fill_dataset(c, rng, keys_per_db=15)
    c.set("volatile", "x", px=3600_000)
    want = dump_dataset(s.port)
    ttl_before = c.pttl("volatile")
    directory = s.dir
    # SIGTERM with save points set saves first.
    assert s.stop() == 0
    assert os.path.exists(os.path.join(directory, "dump.rdb"))
    s2 = magpie_factory(SAVE_ON, directory=directory)
    got = dump_dataset(s2.port)
    assert got == want
    ttl_after = s2.client().pttl("volatile")
    assert 0 < ttl_after <= ttl_before
    info = info_persistence(s2.client())
    assert info["rdb_last_load_keys_loaded"] == sum(len(v) for v in want.values())
    assert info["rdb_changes_since_last_save"] == 0


def test_shutdown_saves_and_nosave_does_not(magpie_factory):
    s = magpie_factory(SAVE_ON)
    c = plain(s.client())
    c.set("k", "v1")
    directory = s.dir
    try:
        c.execute_command("SHUTDOWN")
    except redis.ConnectionError:
        pass
    assert s.wait_exit() == 0
    s2 = magpie_factory(SAVE_ON, directory=directory)
    c2 = plain(s2.client())
    assert c2.get("k") == b"v1"
    c2.set("k", "v2")
    try:
        c2.execute_command("SHUTDOWN", "NOSAVE")
    except redis.ConnectionError:
        pass
    assert s2.wait_exit() == 0
    s3 = magpie_factory(SAVE_ON, directory=directory)
    assert s3.client().get("k") == b"v1"


def test_debug_reload_and_functions_persist(magpie_factory):
    s = magpie_factory(["--enable-debug-command", "yes"] + SAVE_ON)
    c = plain(s.client())
    c.set("x", "1")
    c.set("y", "2", px=3600_000)
    lib = "#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) return 42 end)"
    c.execute_command("FUNCTION", "LOAD", lib)
    assert c.execute_command("DEBUG", "RELOAD") == b"OK"
    assert c.get("x") == b"1" and 0 < c.pttl("y") <= 3600_000
    assert c.execute_command("FCALL", "myfunc", 0) == 42
    directory = s.dir
    s.stop()
    s2 = magpie_factory(SAVE_ON, directory=directory)
    assert s2.client().execute_command("FCALL", "myfunc", 0) == 42


def test_save_points_trigger_a_background_save(magpie_factory):
    s = magpie_factory(["--save", "1 1"])
    c = plain(s.client())
    c.set("a", "1")
    wait_for(lambda: info_persistence(c)["rdb_saves"] >= 1, what="a save point to fire")
    assert os.path.exists(os.path.join(s.dir, "dump.rdb"))
    assert info_persistence(c)["rdb_changes_since_last_save"] == 0


def test_expired_keys_are_not_loaded(magpie_factory):
    s = magpie_factory()
    c = plain(s.client())
    c.set("short", "x", px=300)
    c.set("long", "y")
    c.execute_command("SAVE")
    directory = s.dir
    s.stop()
    time.sleep(0.4)
    s2 = magpie_factory(directory=directory)
    c2 = plain(s2.client())
    assert c2.get("long") == b"y" and c2.exists("short") == 0
    info = info_persistence(c2)
    assert info["rdb_last_load_keys_expired"] == 1 and info["rdb_last_load_keys_loaded"] == 1


# --- across Magpie and Redis -----------------------------------------------------

@pytest.mark.parametrize("seed", [1, 2, 3])
def test_redis_rdb_loads_into_magpie(seed, redis_factory, magpie_factory):
    rng = random.Random(seed)
    ref = redis_factory()
    fill_dataset(ref.client(), rng, keys_per_db=8 if SANITIZED else 20)
    want = dump_dataset(ref.port)
    assert plain(ref.client()).execute_command("SAVE") == b"OK"
    src = os.path.join(ref.dir, "dump.rdb")
    m = magpie_factory(directory=None)
    directory = m.dir
    m.stop()
    shutil.copy(src, os.path.join(directory, "dump.rdb"))
    m2 = magpie_factory(directory=directory)
    assert dump_dataset(m2.port) == want


@pytest.mark.parametrize("seed", [4, 5, 6])
@pytest.mark.parametrize("options", [[], ["--rdbcompression", "no"], ["--rdbchecksum", "no"]])
def test_magpie_rdb_loads_into_redis(seed, options, redis_factory, magpie_factory):
    rng = random.Random(seed)
    m = magpie_factory(options)
    fill_dataset(m.client(), rng, keys_per_db=8 if SANITIZED else 20)
    want = dump_dataset(m.port)
    assert plain(m.client()).execute_command("SAVE") == b"OK"
    path = os.path.join(m.dir, "dump.rdb")
    rc, out = check_rdb(path)
    assert rc == 0 and "RDB looks OK" in out, out
    ref = redis_factory()
    directory = ref.dir
    ref.stop()
    shutil.copy(path, os.path.join(directory, "dump.rdb"))
    ref2 = redis_factory(directory=directory)
    assert dump_dataset(ref2.port) == want


# --- bad files -------------------------------------------------------------------

def start_expecting_failure(directory, extra=()):
    """Runs Magpie in `directory` and returns (exit code, output)."""
    args = [MAGPIE_BIN, "--port", str(free_port()), "--bind", "127.0.0.1", "--threads", "2",
            "--memcached-port", "0", "--http-port", "0", "--save", ""] + list(extra)
    p = subprocess.run(args, cwd=directory, capture_output=True, text=True,
                       timeout=START_TIMEOUT)
    return p.returncode, p.stdout + p.stderr


def make_saved_file(magpie_factory, n=200):
    s = magpie_factory()
    c = plain(s.client())
    for i in range(n):
        c.set("key:%d" % i, "value-%d" % i * 3)
    c.execute_command("SAVE")
    path = os.path.join(s.dir, "dump.rdb")
    data = open(path, "rb").read()
    s.stop()
    return data


@pytest.mark.parametrize("damage", ["truncated", "flipped", "garbage"])
def test_bad_rdb_refuses_to_start(damage, magpie_factory, tmp_path):
    data = make_saved_file(magpie_factory)
    if damage == "truncated":
        bad = data[:len(data) // 2]
    elif damage == "flipped":
        i = len(data) // 2
        bad = data[:i] + bytes([data[i] ^ 0x40]) + data[i + 1:]
    else:
        bad = b"REDIS0010" + b"\xfe\x00" + b"\x00\x05hello\xff\xff\xff\xff\xff\xff"
    (tmp_path / "dump.rdb").write_bytes(bad)
    rc, out = start_expecting_failure(str(tmp_path))
    assert rc != 0
    assert "dump.rdb" in out and "offset" in out, out


def test_wrong_signature_and_version(tmp_path):
    (tmp_path / "dump.rdb").write_bytes(b"NOTREDIS\x00\x00")
    rc, out = start_expecting_failure(str(tmp_path))
    assert rc != 0 and "Wrong signature" in out, out
    (tmp_path / "dump.rdb").write_bytes(b"REDIS0099\xff" + b"\x00" * 8)
    rc, out = start_expecting_failure(str(tmp_path))
    assert rc != 0 and "Can't handle RDB format version 99" in out, out


# --- disk errors -----------------------------------------------------------------

@pytest.fixture
def tiny_disk(tmp_path):
    """A 1 MB tmpfs (needs root and mount); skipped where it cannot be mounted."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)],
                       capture_output=True, text=True)
    if p.returncode != 0:
        pytest.skip("cannot mount a tmpfs here: " + p.stderr.strip())
    yield str(mnt)
    subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def test_full_disk_fails_bgsave_and_stops_writes(magpie_factory, tiny_disk):
    s = magpie_factory(SAVE_ON)
    c = plain(s.client())
    # Incompressible data, well over the 1 MB disk.
    rng = random.Random(3)
    for i in range(40):
        c.set("big:%d" % i, random_bytes(rng, 100_000))
    c.config_set("dir", tiny_disk)
    assert c.execute_command("BGSAVE") == b"Background saving started"
    wait_bgsave_done(c)
    info = info_persistence(c)
    assert info["rdb_last_bgsave_status"] == "err"
    assert "No space left on device" in open(s.log_path, errors="replace").read()
    assert not [f for f in os.listdir(tiny_disk) if f.startswith("temp-")]
    misconf = "MISCONF Redis is configured to save RDB snapshots"
    with pytest.raises(redis.ResponseError, match=misconf):
        c.set("x", "y")
    with pytest.raises(redis.ResponseError, match=misconf):
        c.ping()
    assert c.get("big:1") is not None  # reads still work
    # SHUTDOWN cannot save either: the server stays up.
    with pytest.raises(redis.ResponseError, match="Errors trying to SHUTDOWN"):
        c.execute_command("SHUTDOWN")
    assert s.alive()
    # Somewhere with room: the next save succeeds and writes are accepted.
    c.config_set("dir", s.dir)
    assert c.execute_command("BGSAVE") == b"Background saving started"
    wait_bgsave_done(c)
    assert info_persistence(c)["rdb_last_bgsave_status"] == "ok"
    assert c.set("x", "y")


def test_unwritable_dir_fails_with_reason(magpie_factory, tmp_path):
    s = magpie_factory(SAVE_ON)
    c = plain(s.client())
    c.set("a", "b")
    gone = tmp_path / "gone"
    gone.mkdir()
    c.config_set("dir", str(gone))
    gone.rmdir()
    with pytest.raises(redis.ResponseError):
        c.execute_command("SAVE")
    assert c.execute_command("BGSAVE") == b"Background saving started"
    wait_bgsave_done(c)
    assert info_persistence(c)["rdb_last_bgsave_status"] == "err"
    log = open(s.log_path, errors="replace").read()
    assert "Failed opening the temp RDB file" in log and "No such file or directory" in log


# --- point in time ---------------------------------------------------------------

def test_snapshot_is_a_point_in_time_under_writes(magpie_factory, redis_factory):
    """A writer keeps a == b (one MULTI per step, keys on different shards);
    a background save taken meanwhile must have a == b too."""
    s = magpie_factory()
    c = plain(s.client())
    filler = 20000 if SANITIZED else 200000
    pipelined_set(c, "filler:%d", filler, "x" * 50)
    c.mset({"a": 0, "b": 0})
    stop = threading.Event()
    errors = []

    def writer():
        w = plain(s.client())
        try:
            while not stop.is_set():
                tx = w.pipeline(transaction=True)
                tx.incr("a")
                tx.set("filler:%d" % random.randrange(filler), "changed")
                tx.incr("b")
                tx.execute()
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    t = threading.Thread(target=writer)
    t.start()
    try:
        for _ in range(3):
            assert c.execute_command("BGSAVE") == b"Background saving started"
            wait_bgsave_done(c)
            assert info_persistence(c)["rdb_last_bgsave_status"] == "ok"
            path = os.path.join(s.dir, "dump.rdb")
            ref = redis_factory()
            directory = ref.dir
            ref.stop()
            shutil.copy(path, os.path.join(directory, "dump.rdb"))
            ref2 = redis_factory(directory=directory)
            rc = plain(ref2.client())
            a, b = rc.get("a"), rc.get("b")
            assert a == b, (a, b)
            assert rc.dbsize() == filler + 2
            ref2.stop()
    finally:
        stop.set()
        t.join(30)
    assert not errors, errors
    assert int(c.get("a")) > 0


def test_flushall_saves_with_save_points(magpie_factory):
    s = magpie_factory(SAVE_ON)
    c = plain(s.client())
    c.set("k", "v")
    assert c.execute_command("SAVE") == b"OK"
    c.flushall()
    directory = s.dir
    s.proc.kill()  # no shutdown save: only FLUSHALL's own save can empty the file
    s.proc.wait(30)
    s.stop()
    s2 = magpie_factory(SAVE_ON, directory=directory)
    assert s2.client().dbsize() == 0
