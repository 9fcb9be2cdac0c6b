"""MULTI / EXEC / DISCARD: replies and errors compared with redis-server,
redis-py's transactional pipelines, and serializability across workers."""

import threading
import time

import pytest
import redis

from conftest import SANITIZED, RawConn, run_concurrently

# Command sequences sent on one connection to both servers; every reply must
# agree byte for byte.
SEQUENCES = [
    [["MULTI"], ["SET", "a", "1"], ["INCR", "a"], ["GET", "a"], ["EXEC"]],
    [["MULTI"], ["SET", "a", "1"], ["NOSUCH"], ["EXEC"], ["GET", "a"]],
    [["MULTI"], ["SET", "a"], ["GET", "a"], ["EXEC"]],
    [["MULTI"], ["CLIENT", "NOSUCHSUB"], ["EXEC"]],
    [["MULTI"], ["SET", "s", "x"], ["INCR", "s"], ["SET", "t", "y"], ["EXEC"], ["MGET", "s", "t"]],
    [["EXEC"]],
    [["DISCARD"]],
    [["MULTI"], ["MULTI"], ["SET", "q", "1"], ["EXEC"]],
    [["MULTI"], ["SET", "x", "1"], ["DISCARD"], ["GET", "x"], ["EXEC"]],
    [["MULTI"], ["EXEC"]],
    [["MULTI"], ["BLPOP", "nolist", "0"], ["LPUSH", "l", "a"], ["BLPOP", "l", "0"],
     ["BZPOPMIN", "nozset", "0"], ["EXEC"]],
    [["MULTI"], ["SELECT", "3"], ["SET", "k", "v"], ["SELECT", "0"], ["EXEC"], ["GET", "k"],
     ["SELECT", "3"], ["GET", "k"]],
    [["SET", "k1", "v"], ["MULTI"], ["KEYS", "*"], ["DBSIZE"], ["RENAME", "k1", "k2"],
     ["EXISTS", "k1", "k2"], ["FLUSHDB"], ["DBSIZE"], ["EXEC"]],
    [["MULTI"], ["PING"], ["ECHO", "x"], ["EXEC"]],
    [["MULTI"], ["SET", "a", "1"], ["RESET"], ["EXEC"]],
    [["MULTI"], ["LPUSH", "l", "a", "b"], ["LRANGE", "l", "0", "-1"], ["HSET", "l", "f", "v"],
     ["ZADD", "z", "1", "m"], ["ZRANGE", "z", "0", "-1", "WITHSCORES"], ["EXEC"]],
    [["MULTI"], ["SET", "a", "1", "EX", "100"], ["TTL", "a"], ["PERSIST", "a"], ["TTL", "a"],
     ["EXEC"]],
    [["MULTI"], ["SORT", "nolist"], ["COPY", "a", "b", "DB", "2"], ["MOVE", "b", "3"],
     ["SWAPDB", "0", "1"], ["EXEC"]],
]


@pytest.mark.parametrize("resp", [2, 3])
def test_replies_match_redis(server, redis_ref, resp):
    for seq in SEQUENCES:
        a, b = RawConn(server.port), RawConn(redis_ref.port)
        try:
            for conn in (a, b):
                assert conn.cmd("FLUSHALL") == b"+OK\r\n"
                if resp == 3:
                    conn.cmd("HELLO", "3")
            for cmd in seq:
                ra, rb = a.cmd(*cmd), b.cmd(*cmd)
                assert ra == rb, (seq, cmd)
        finally:
            a.close()
            b.close()


def test_client_list_shows_the_queue(server, r):
    c = RawConn(server.port)
    assert c.cmd("MULTI") == b"+OK\r\n"
    c.cmd("SET", "a", "1")
    c.cmd("SET", "b", "2")
    queued = [x for x in r.client_list() if x["flags"] == "x"]
    assert len(queued) == 1 and queued[0]["multi"] == "2"
    assert c.cmd("DISCARD") == b"+OK\r\n"
    assert all(x["multi"] == "-1" for x in r.client_list())
    c.close()


def test_redis_py_transactional_pipeline(r):
    with r.pipeline(transaction=True) as p:
        p.set("counter", 10).incrby("counter", 5).get("counter").lpush("log", "a", "b")
        assert p.execute() == [True, 15, b"15", 2]
    with r.pipeline() as p:
        p.set("s", "x").incr("s").get("s")
        res = p.execute(raise_on_error=False)
        assert res[0] is True and isinstance(res[1], redis.ResponseError) and res[2] == b"x"


def test_exec_serves_blocked_clients_after_the_transaction(server, r):
    got = []
    c = server.client()
    t = threading.Thread(target=lambda: got.append(c.blpop("jobs", 10)))
    t.start()
    deadline = 100
    while r.info("clients")["blocked_clients"] != 1 and deadline:
        threading.Event().wait(0.02)
        deadline -= 1
    with r.pipeline(transaction=True) as p:
        p.rpush("jobs", "j1", "j2").llen("jobs")
        assert p.execute() == [2, 2]  # nobody popped inside the transaction
    t.join()
    assert got == [(b"jobs", b"j1")] and r.lrange("jobs", 0, -1) == [b"j2"]
    c.close()


def test_transactions_are_serializable_across_workers(server, r, is_magpie):
    """Writers move units between two keys on different shards inside
    MULTI/EXEC; readers on other connections (other workers) never see a
    state in between."""
    if is_magpie:
        assert server.client().info("server")["threads"] >= 2
    r.mset({"acct:a": 1000, "acct:b": 0})
    rounds = 200 if SANITIZED else 2000
    errors = []

    def writer():
        c = server.client()
        for _ in range(rounds):
            with c.pipeline(transaction=True) as p:
                p.decr("acct:a").incr("acct:b")
                p.execute()
        c.close()

    def reader():
        c = server.client()
        for _ in range(rounds):
            a, b = c.mget("acct:a", "acct:b")
            if int(a) + int(b) != 1000:
                errors.append((a, b))
            with c.pipeline(transaction=True) as p:
                a, b = p.get("acct:a").get("acct:b").execute()
            if int(a) + int(b) != 1000:
                errors.append((a, b))
        c.close()

    run_concurrently([writer] * 2 + [reader] * 2, 120)
    assert errors == []
    assert int(r.get("acct:b")) == 2 * rounds


# Two connections per server: (connection, command); "SLEEP" waits 150 ms.
WATCH_SEQUENCES = [
 [(0,["SET","a","1"]),(0,["WATCH","a"]),(1,["SET","a","2"]),(0,["MULTI"]),(0,["GET","a"]),(0,["EXEC"])],
 [(0,["WATCH","a"]),(0,["MULTI"]),(0,["GET","a"]),(0,["EXEC"])],
 [(0,["WATCH","a"]),(1,["SET","b","2"]),(0,["MULTI"]),(0,["INCR","a"]),(0,["EXEC"])],
 [(0,["WATCH","a"]),(0,["UNWATCH"]),(1,["SET","a","2"]),(0,["MULTI"]),(0,["INCR","a"]),(0,["EXEC"])],
 [(0,["WATCH","a"]),(1,["SET","a","2"]),(0,["MULTI"]),(0,["INCR","a"]),(0,["DISCARD"]),(0,["MULTI"]),(0,["INCR","a"]),(0,["EXEC"])],
 [(0,["MULTI"]),(0,["WATCH","a"]),(0,["EXEC"])],
 [(0,["WATCH"])],
 [(0,["UNWATCH"]),(0,["UNWATCH","x"])],
 [(0,["RPUSH","l","x"]),(0,["WATCH","l"]),(1,["LPUSH","l","y"]),(0,["MULTI"]),(0,["LLEN","l"]),(0,["EXEC"])],
 [(0,["HSET","h","f","v"]),(0,["WATCH","h"]),(1,["HSET","h","g","w"]),(0,["MULTI"]),(0,["HLEN","h"]),(0,["EXEC"])],
 [(0,["SET","a","1"]),(0,["WATCH","a"]),(1,["EXPIRE","a","100"]),(0,["MULTI"]),(0,["TTL","a"]),(0,["EXEC"])],
 [(0,["SET","a","1"]),(0,["WATCH","a"]),(1,["FLUSHALL"]),(0,["MULTI"]),(0,["GET","a"]),(0,["EXEC"])],
 [(0,["WATCH","nokey"]),(1,["FLUSHALL"]),(0,["MULTI"]),(0,["GET","a"]),(0,["EXEC"])],
 [(0,["SET","a","1"]),(0,["WATCH","a"]),(1,["APPEND","a","x"]),(0,["MULTI"]),(0,["GET","a"]),(0,["EXEC"])],
 [(0,["SET","a","1"]),(0,["WATCH","a"]),(1,["INCR","a"]),(0,["MULTI"]),(0,["GET","a"]),(0,["EXEC"])],
 [(0,["SET","a","1"]),(0,["WATCH","a"]),(1,["SETBIT","a","1","1"]),(0,["MULTI"]),(0,["GET","a"]),(0,["EXEC"])],
 [(0,["SET","a","1"]),(0,["WATCH","a"]),(1,["RENAME","a","b"]),(0,["MULTI"]),(0,["GET","a"]),(0,["EXEC"])],
 [(0,["SET","a","1","PX","100"]),(0,["WATCH","a"]),(0,["SLEEP"]),(0,["MULTI"]),(0,["GET","a"]),(0,["EXEC"])],
 [(0,["SET","a","1","PX","50"]),(0,["SLEEP"]),(0,["WATCH","a"]),(0,["MULTI"]),(0,["GET","a"]),(0,["EXEC"])],
 [(0,["SET","a","1"]),(0,["WATCH","a"]),(1,["SET","a","1"]),(0,["MULTI"]),(0,["GET","a"]),(0,["EXEC"])],
 [(0,["SET","a","1"]),(0,["WATCH","a"]),(0,["SET","a","2"]),(0,["MULTI"]),(0,["GET","a"]),(0,["EXEC"])],
 [(0,["SET","a","1"]),(0,["SELECT","1"]),(0,["WATCH","a"]),(1,["SELECT","1"]),(1,["SET","a","x"]),(0,["SELECT","0"]),(0,["MULTI"]),(0,["GET","a"]),(0,["EXEC"])],
 [(0,["SET","a","1"]),(0,["WATCH","a"]),(1,["SWAPDB","0","1"]),(0,["MULTI"]),(0,["GET","a"]),(0,["EXEC"])],
 [(0,["WATCH","a"]),(0,["MULTI"]),(0,["NOSUCH"]),(0,["EXEC"]),(1,["SET","a","1"]),(0,["MULTI"]),(0,["GET","a"]),(0,["EXEC"])],
 [(0,["HELLO","3"]),(0,["SET","a","1"]),(0,["WATCH","a"]),(1,["SET","a","2"]),(0,["MULTI"]),(0,["GET","a"]),(0,["EXEC"])],
]


def run_watch_sequences(port):
    out = []
    for seq in WATCH_SEQUENCES:
        conns = [RawConn(port), RawConn(port)]
        conns[0].cmd("FLUSHALL")
        replies = []
        for i, cmd in seq:
            if cmd == ["SLEEP"]:
                time.sleep(0.15)
                continue
            reply = conns[i].cmd(*cmd)
            replies.append(b"hello" if cmd[0] == "HELLO" else reply)
        out.append(replies)
        for c in conns:
            c.close()
    return out


def test_watch_matches_redis(server, redis_ref):
    """WATCH fails EXEC after a change by another client (SET, EXPIRE, APPEND,
    INCR in place, SETBIT, RENAME, FLUSHALL, SWAPDB, a push, HSET) or by the
    key's expiry, and not after UNWATCH, DISCARD or a change to another key."""
    mine, ref = run_watch_sequences(server.port), run_watch_sequences(redis_ref.port)
    for seq, a, b in zip(WATCH_SEQUENCES, mine, ref):
        assert a == b, seq


def test_watch_retry_loop_loses_no_increment(server, r):
    """50 clients increment one counter with WATCH/GET/MULTI/SET/EXEC and
    redis-py's WatchError retry: every increment lands exactly once."""
    n_clients, n_incr = (10, 20) if SANITIZED else (50, 40)
    r.set("counter", 0)

    def work():
        c = server.client()
        for _ in range(n_incr):
            while True:
                with c.pipeline() as p:
                    try:
                        p.watch("counter")
                        v = int(p.get("counter"))
                        p.multi()
                        p.set("counter", v + 1)
                        p.execute()
                        break
                    except redis.WatchError:
                        continue
        c.close()

    run_concurrently([work] * n_clients, 300)
    assert int(r.get("counter")) == n_clients * n_incr


def test_redis_py_transaction_helper(r):
    r.set("a", 5)

    def double(pipe):
        v = int(pipe.get("a"))
        pipe.multi()
        pipe.set("a", v * 2)

    r.transaction(double, "a")
    assert r.get("a") == b"10"
