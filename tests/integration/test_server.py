"""Server commands: INFO, CONFIG, COMMAND, DBSIZE, TIME, DEBUG SLEEP, SHUTDOWN."""

import os
import re
import time

import pytest
import redis

from conftest import RawConn, RespError, encode_command, parse_reply

OK = b"+OK\r\n"


def err(msg):
    return b"-" + msg.encode() + b"\r\n"


def arity(cmd):
    return err("ERR wrong number of arguments for '%s' command" % cmd)


# --------------------------------------------------------------------------
# INFO
# --------------------------------------------------------------------------

def info_text(rc, *sections):
    return rc.cmd_parsed("INFO", *sections).decode()


def test_info_default_sections(r, rc):
    text = info_text(rc)
    for header in ("# Server", "# Clients", "# Memory", "# Stats", "# Keyspace"):
        assert header + "\r\n" in text, header
    assert "\r\n" in text and "\n\n" not in text.replace("\r\n", "")
    info = r.info()
    assert re.fullmatch(r"\d+\.\d+\.\d+", str(info["redis_version"]))
    assert info["tcp_port"] == r.connection_pool.connection_kwargs["port"]
    assert info["process_id"] > 0
    assert info["uptime_in_seconds"] >= 0
    assert info["connected_clients"] >= 1
    assert info["used_memory"] > 0
    assert "used_memory_human" in info
    for k in ("total_commands_processed", "total_connections_received", "keyspace_hits",
              "keyspace_misses", "expired_keys", "evicted_keys"):
        assert isinstance(info[k], int), k


def test_info_process_id_matches(r, server):
    assert r.info("server")["process_id"] == server.pid


def test_info_sections_filter(rc):
    text = info_text(rc, "server")
    assert text.startswith("# Server\r\n")
    assert "# Clients" not in text and "# Keyspace" not in text
    text = info_text(rc, "server", "clients")
    assert "# Server\r\n" in text and "# Clients\r\n" in text and "# Memory" not in text
    text = info_text(rc, "CLIENTS")
    assert text.startswith("# Clients\r\n")
    assert rc.cmd("INFO", "nosuchsection") == b"$0\r\n\r\n"
    for sec in ("memory", "stats", "keyspace", "commandstats"):
        assert info_text(rc, sec).lower().startswith("# " + sec), sec
    everything = info_text(rc, "everything")
    assert "# Commandstats\r\n" in everything and "# Keyspace\r\n" in everything


def test_info_keyspace(r, rc):
    assert r.info("keyspace") == {}
    r.set("a", 1)
    r.set("b", 2, ex=100)
    r.execute_command("SELECT", 0)
    ks = r.info("keyspace")
    assert ks["db0"]["keys"] == 2
    assert ks["db0"]["expires"] == 1
    assert "avg_ttl" in ks["db0"]
    assert "db1" not in ks
    c = redis.Redis(port=r.connection_pool.connection_kwargs["port"], db=3)
    c.set("x", 1)
    ks = r.info("keyspace")
    assert ks["db3"] == {"keys": 1, "expires": 0, "avg_ttl": 0}
    c.close()
    text = info_text(rc, "keyspace")
    assert "db0:keys=2,expires=1,avg_ttl=" in text
    assert "db3:keys=1,expires=0,avg_ttl=0\r\n" in text


def test_info_hits_misses_and_commands(r):
    r.set("k", "v")
    assert r.config_resetstat()
    for _ in range(3):
        r.get("k")
    for _ in range(2):
        r.get("missing")
    stats = r.info("stats")
    assert stats["keyspace_hits"] == 3
    assert stats["keyspace_misses"] == 2
    # 5 GETs + this INFO
    assert stats["total_commands_processed"] == 6
    cs = r.info("commandstats")
    assert cs["cmdstat_get"]["calls"] == 5
    # an INFO call is counted once it has finished
    assert cs["cmdstat_info"]["calls"] == 1
    assert "cmdstat_set" not in cs
    for field in ("usec", "usec_per_call", "rejected_calls", "failed_calls"):
        assert field in cs["cmdstat_get"]
    assert r.config_resetstat()
    stats = r.info("stats")
    assert stats["keyspace_hits"] == 0 and stats["keyspace_misses"] == 0


def test_info_commandstats_failed_and_subcommands(r):
    r.config_resetstat()
    with pytest.raises(redis.ResponseError):
        r.execute_command("INCRBY", "k", "notanumber")
    r.set("s", "x")
    with pytest.raises(redis.ResponseError):
        r.execute_command("INCR", "s")
    with pytest.raises(redis.ResponseError):
        r.execute_command("GET")   # arity errors are "rejected"
    r.config_get("maxmemory")
    cs = r.info("commandstats")
    assert cs["cmdstat_incrby"]["failed_calls"] == 1
    assert cs["cmdstat_incr"]["failed_calls"] == 1
    assert cs["cmdstat_get"]["rejected_calls"] == 1
    assert cs["cmdstat_get"]["calls"] == 0
    assert cs["cmdstat_config|get"]["calls"] == 1


def test_info_connected_clients_tracks(server, r):
    base = r.info("clients")["connected_clients"]
    conns = [RawConn(server.port) for _ in range(5)]
    for c in conns:
        assert c.cmd("PING") == b"+PONG\r\n"
    assert r.info("clients")["connected_clients"] == base + 5
    for c in conns:
        c.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if r.info("clients")["connected_clients"] == base:
            break
        time.sleep(0.02)
    assert r.info("clients")["connected_clients"] == base


def test_info_memory_grows(r, scale):
    before = r.info("memory")["used_memory"]
    n = scale(20000)
    p = r.pipeline(transaction=False)
    for i in range(n):
        p.set("mem:%d" % i, "x" * 100)
    p.execute()
    after = r.info("memory")["used_memory"]
    assert after > before + n * 100
    r.flushall()


# --------------------------------------------------------------------------
# CONFIG
# --------------------------------------------------------------------------

def test_config_get(r):
    assert r.config_get("timeout") == {"timeout": "0"}
    assert r.config_get("nosuchparam") == {}
    assert r.config_get("tcp-*") == {"tcp-backlog": "511", "tcp-keepalive": "300"}
    assert r.config_get("*database*") == {"databases": "16"}
    port = r.connection_pool.connection_kwargs["port"]
    got = r.execute_command("CONFIG", "GET", "timeout", "port", "databases", "save",
                            "nosuchparam")
    assert dict(zip(got[0::2], got[1::2])) == {
        b"timeout": b"0", b"port": str(port).encode(), b"databases": b"16", b"save": b""}
    assert r.config_get("bind") == {"bind": "127.0.0.1"}
    assert r.config_get("loglevel") == {"loglevel": "notice"}
    assert r.config_get("appendonly") == {"appendonly": "no"}
    # a non-glob name is echoed back as given, case included
    assert r.config_get("TIMEOUT") == {"TIMEOUT": "0"}
    assert r.config_get("TCP-*") == r.config_get("tcp-*")


def test_config_get_errors(rc):
    assert rc.cmd("CONFIG", "GET") == arity("config|get")
    assert rc.cmd("CONFIG") == arity("config")
    assert rc.cmd("CONFIG", "FOO") == err("ERR unknown subcommand 'FOO'. Try CONFIG HELP.")


def test_config_set(r):
    try:
        assert r.config_set("timeout", 100)
        assert r.config_get("timeout") == {"timeout": "100"}
        assert r.execute_command("CONFIG", "SET", "timeout", "300", "loglevel", "warning",
                                 "hz", "20") == b"OK"
        assert r.config_get("timeout") == {"timeout": "300"}
        assert r.config_get("loglevel") == {"loglevel": "warning"}
        assert r.info("server")["hz"] == 20
        assert r.execute_command("CONFIG", "SET", "TIMEOUT", "7") == b"OK"
        assert r.config_get("timeout") == {"timeout": "7"}
    finally:
        r.execute_command("CONFIG", "SET", "timeout", "0", "loglevel", "notice", "hz", "10")


def test_config_set_atomic(rc):
    try:
        assert rc.cmd("CONFIG", "SET", "timeout", "50") == OK
        rep = rc.cmd("CONFIG", "SET", "timeout", "100", "loglevel", "bogus")
        assert rep == err(
            "ERR CONFIG SET failed (possibly related to argument 'loglevel') - argument(s) "
            "must be one of the following: debug, verbose, notice, warning")
        # the first pair was not applied either
        assert parse_reply(rc.cmd("CONFIG", "GET", "timeout"))[0] == [b"timeout", b"50"]
        rep = rc.cmd("CONFIG", "SET", "timeout", "100", "hz", "abc")
        assert rep == err("ERR CONFIG SET failed (possibly related to argument 'hz') - "
                          "argument couldn't be parsed into an integer")
        assert parse_reply(rc.cmd("CONFIG", "GET", "timeout"))[0][1] == b"50"
        rep = rc.cmd("CONFIG", "SET", "timeout", "200", "nosuch", "1")
        assert rep == err("ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'")
        assert parse_reply(rc.cmd("CONFIG", "GET", "timeout"))[0][1] == b"50"
        rep = rc.cmd("CONFIG", "SET", "timeout", "1", "timeout", "2")
        assert rep == err("ERR CONFIG SET failed (possibly related to argument 'timeout') "
                          "- duplicate parameter")
        assert parse_reply(rc.cmd("CONFIG", "GET", "timeout"))[0][1] == b"50"
    finally:
        assert rc.cmd("CONFIG", "SET", "timeout", "0") == OK


def test_config_set_errors(rc):
    assert rc.cmd("CONFIG", "SET", "timeout") == arity("config|set")
    assert rc.cmd("CONFIG", "SET", "timeout", "-1") == err(
        "ERR CONFIG SET failed (possibly related to argument 'timeout') - argument must be "
        "between 0 and 2147483647 inclusive")
    assert rc.cmd("CONFIG", "SET", "timeout", "abc") == err(
        "ERR CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't be "
        "parsed into an integer")
    assert rc.cmd("CONFIG", "SET", "maxclients", "abc") == err(
        "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't "
        "be parsed into an integer")
    assert rc.cmd("CONFIG", "SET", "databases", "5") == err(
        "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set "
        "immutable config")
    assert rc.cmd("CONFIG", "SET", "nosuch", "1") == err(
        "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'")


def test_config_maxmemory(r, rc, is_magpie):
    """maxmemory / maxmemory-policy, as clients such as cache libraries set them."""
    if is_magpie:
        pytest.skip("maxmemory and eviction are not implemented in Magpie yet (issue 5)")
    try:
        assert r.config_get("maxmemory") == {"maxmemory": "0"}
        got = r.config_get("maxmemory*")
        assert got["maxmemory-policy"] == "noeviction"
        assert all(k.startswith("maxmemory") for k in got)
        assert r.config_set("maxmemory", "100mb")
        assert r.config_get("maxmemory") == {"maxmemory": "104857600"}
        assert rc.cmd("CONFIG", "SET", "maxmemory", "10000000",
                      "maxmemory-policy", "allkeys-lru") == OK
        rep = rc.cmd("CONFIG", "SET", "maxmemory", "2000000", "maxmemory-policy", "bogus")
        assert rep == err(
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) "
            "must be one of the following: volatile-lru, volatile-lfu, volatile-random, "
            "volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction")
        assert r.config_get("maxmemory") == {"maxmemory": "10000000"}
        assert r.config_get("maxmemory-policy") == {"maxmemory-policy": "allkeys-lru"}
        assert rc.cmd("CONFIG", "SET", "maxmemory", "-1") == err(
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be "
            "a memory value")
    finally:
        rc.cmd("CONFIG", "SET", "maxmemory", "0", "maxmemory-policy", "noeviction")


def test_config_rewrite_without_file(rc):
    assert rc.cmd("CONFIG", "REWRITE") == err("ERR The server is running without a config file")


def test_config_rewrite_with_file(server_factory, tmp_path):
    conf = tmp_path / "magpie.conf"
    conf.write_text("# test config\ntimeout 30\nloglevel notice\n")
    s = server_factory([str(conf)])
    c = s.client(decode_responses=True)
    assert c.config_get("timeout") == {"timeout": "30"}
    assert c.info("server")["config_file"] == str(conf)
    assert c.config_set("timeout", "45")
    assert c.config_set("loglevel", "warning")
    assert c.config_set("tcp-keepalive", "100")
    assert c.config_rewrite()
    text = conf.read_text()
    assert "# test config" in text
    assert re.search(r"^timeout 45$", text, re.M), text
    assert re.search(r"^loglevel warning$", text, re.M), text
    assert re.search(r"^tcp-keepalive 100$", text, re.M), text
    assert not re.search(r"^timeout 30$", text, re.M), text
    c.close()
    # a restart from the rewritten file keeps the values
    s.stop()
    s.start([str(conf)])
    c = s.client(decode_responses=True)
    assert c.config_get("timeout") == {"timeout": "45"}
    assert c.config_get("loglevel") == {"loglevel": "warning"}
    assert c.config_get("tcp-keepalive") == {"tcp-keepalive": "100"}
    c.close()


def test_config_resetstat(r):
    r.get("nokey")
    r.set("a", 1)
    r.get("a")
    assert r.config_resetstat() is True
    st = r.info("stats")
    assert st["keyspace_hits"] == 0 and st["keyspace_misses"] == 0
    assert st["total_commands_processed"] == 1
    assert "cmdstat_get" not in r.info("commandstats")
    assert "cmdstat_set" not in r.info("commandstats")


# --------------------------------------------------------------------------
# COMMAND
# --------------------------------------------------------------------------

IN_SCOPE = """get set setnx setex psetex getex getdel getset mget mset msetnx append strlen
incr decr incrby decrby incrbyfloat getrange setrange substr lcs del unlink exists type
expire pexpire expireat pexpireat ttl pttl expiretime pexpiretime persist keys scan
randomkey rename renamenx copy touch object select swapdb move flushdb flushall dbsize
ping echo quit reset hello auth client command info config time debug shutdown""".split()


def test_command_count_matches_command_list(rc):
    count = rc.cmd_parsed("COMMAND", "COUNT")
    top = rc.cmd_parsed("COMMAND", "LIST")
    names = {n.decode() for n in top}
    assert set(IN_SCOPE) <= names, set(IN_SCOPE) - names
    # COMMAND LIST also lists subcommands as container|sub
    assert {"client|setname", "config|get", "object|encoding", "command|count"} <= names
    assert count == len([n for n in names if "|" not in n])
    # COMMAND with no args describes every top-level command
    everything = rc.cmd_parsed("COMMAND")
    assert len(everything) == count
    assert {e[0].decode() for e in everything} == {n for n in names if "|" not in n}
    assert rc.cmd("COMMAND", "COUNT", "x") == arity("command|count")


def test_command_list_filterby(rc):
    got = {n.decode() for n in rc.cmd_parsed("COMMAND", "LIST", "FILTERBY", "PATTERN",
                                              "get*")}
    assert {"get", "getex", "getdel", "getset", "getrange"} <= got
    assert all(n.startswith("get") for n in got)


EXPECTED_INFO = {
    # name: (arity, flags, first, last, step, acl categories)
    "get": (2, {"readonly", "fast"}, 1, 1, 1, ["@read", "@string", "@fast"]),
    "set": (-3, {"write", "denyoom"}, 1, 1, 1, ["@write", "@string", "@slow"]),
    "mset": (-3, {"write", "denyoom"}, 1, -1, 2, ["@write", "@string", "@slow"]),
    "del": (-2, {"write"}, 1, -1, 1, ["@keyspace", "@write", "@slow"]),
    "expire": (-3, {"write", "fast"}, 1, 1, 1, ["@keyspace", "@write", "@fast"]),
    "incrbyfloat": (3, {"write", "denyoom", "fast"}, 1, 1, 1, ["@write", "@string", "@fast"]),
    "ping": (-1, {"fast"}, 0, 0, 0, ["@fast", "@connection"]),
    "lcs": (-3, {"readonly"}, 1, 2, 1, ["@read", "@string", "@slow"]),
}


def test_command_info(rc):
    names = list(EXPECTED_INFO)
    reply = parse_reply(rc.cmd("COMMAND", "INFO", *names))[0]
    assert len(reply) == len(names)
    for name, entry in zip(names, reply):
        ar, flags, first, last, step, acl = EXPECTED_INFO[name]
        assert entry[0] == name.encode()
        assert entry[1] == ar, name
        assert {f.decode() for f in entry[2]} == flags, name
        assert entry[3:6] == [first, last, step], name
        assert [c.decode() for c in entry[6]] == acl, name
        assert len(entry) == 10, name
    # unknown commands give a null entry
    assert rc.cmd("COMMAND", "INFO", "nosuchcmd") == b"*1\r\n$-1\r\n"
    reply = parse_reply(rc.cmd("COMMAND", "INFO", "GET", "nosuchcmd"))[0]
    assert reply[0][0] == b"get" and reply[1] is None


def test_command_getkeys(rc):
    assert rc.cmd("COMMAND", "GETKEYS", "GET", "a") == b"*1\r\n$1\r\na\r\n"
    assert rc.cmd("COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2") == (
        b"*2\r\n$1\r\na\r\n$1\r\nb\r\n")
    assert rc.cmd("COMMAND", "GETKEYS", "SET", "k", "v", "EX", "10") == b"*1\r\n$1\r\nk\r\n"
    assert rc.cmd("COMMAND", "GETKEYS", "DEL", "a", "b", "c") == (
        b"*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n")
    assert rc.cmd("COMMAND", "GETKEYS", "LCS", "x", "y") == b"*2\r\n$1\r\nx\r\n$1\r\ny\r\n"
    assert rc.cmd("COMMAND", "GETKEYS", "NOSUCH", "a") == err("ERR Invalid command specified")
    assert rc.cmd("COMMAND", "GETKEYS", "GET", "a", "b") == err(
        "ERR Invalid number of arguments specified for command")
    assert rc.cmd("COMMAND", "GETKEYS", "SET", "k") == err(
        "ERR Invalid number of arguments specified for command")
    assert rc.cmd("COMMAND", "GETKEYS", "PING", "x") == err(
        "ERR The command has no key arguments")
    # COMMAND GETKEYS itself has arity -3
    assert rc.cmd("COMMAND", "GETKEYS", "PING") == arity("command|getkeys")
    assert rc.cmd("COMMAND", "GETKEYS") == arity("command|getkeys")


def test_command_docs(rc):
    docs = parse_reply(rc.cmd("COMMAND", "DOCS", "GET"))[0]
    assert docs[0] == b"get"
    d = dict(zip(docs[1][0::2], docs[1][1::2]))
    # Summaries are prose (Redis rewords them between releases): only
    # their presence is part of the contract.
    assert d[b"summary"]
    assert d[b"since"] == b"1.0.0"
    assert d[b"group"] == b"string"
    assert d[b"complexity"] == b"O(1)"
    assert rc.cmd("COMMAND", "DOCS", "nosuchcmd") == b"*0\r\n"
    assert rc.cmd("COMMAND", "FOO") == err("ERR unknown subcommand 'FOO'. Try COMMAND HELP.")


# --------------------------------------------------------------------------
# TIME, DBSIZE, DEBUG, SHUTDOWN
# --------------------------------------------------------------------------

def test_time(r):
    before = time.time()
    secs, usecs = r.time()
    after = time.time()
    assert 0 <= usecs < 1000000
    t = secs + usecs / 1e6
    assert before - 1 <= t <= after + 1


def test_time_raw(rc):
    rep = rc.cmd("TIME")
    m = re.fullmatch(rb"\*2\r\n\$(\d+)\r\n(\d+)\r\n\$(\d+)\r\n(\d+)\r\n", rep)
    assert m, rep
    assert int(m.group(1)) == len(m.group(2)) and int(m.group(3)) == len(m.group(4))
    assert rc.cmd("TIME", "x") == arity("time")


def test_dbsize(rc):
    assert rc.cmd("DBSIZE") == b":0\r\n"
    rc.cmd("MSET", "a", "1", "b", "2", "c", "3")
    assert rc.cmd("DBSIZE") == b":3\r\n"
    rc.cmd("DEL", "a")
    assert rc.cmd("DBSIZE") == b":2\r\n"
    rc.cmd("SELECT", "1")
    assert rc.cmd("DBSIZE") == b":0\r\n"


def test_debug_disabled_by_default(rc):
    assert rc.cmd("DEBUG", "SLEEP", "0") == err(
        "ERR DEBUG command not allowed. If the enable-debug-command option is set to "
        "\"local\", you can run it from a local connection, otherwise you need to set this "
        "option in the configuration file, and then restart the server.")


def test_debug_sleep(server_factory):
    s = server_factory(["--enable-debug-command", "yes"])
    c = RawConn(s.port)
    try:
        assert c.cmd("DEBUG", "SLEEP", "0") == OK
        other = RawConn(s.port)
        t0 = time.monotonic()
        c.send(encode_command("DEBUG", "SLEEP", "0.3"))
        time.sleep(0.05)
        # the whole server sleeps: another client waits too
        assert other.cmd("PING") == b"+PONG\r\n"
        assert c.read_reply() == OK
        assert time.monotonic() - t0 >= 0.25
        other.close()
    finally:
        c.close()


def test_shutdown_nosave_exits_zero(server_factory):
    s = server_factory()
    c = RawConn(s.port)
    c.cmd("SET", "k", "v")
    c.send(encode_command("SHUTDOWN", "NOSAVE"))
    assert c.read_until_close(timeout=10) == b""
    c.close()
    assert s.wait_exit() == 0


def test_shutdown_redis_py(server_factory):
    s = server_factory()
    c = s.client()
    # redis-py 4.3 swallows the ConnectionError of a successful SHUTDOWN
    c.shutdown(nosave=True)
    assert s.wait_exit() == 0


def test_shutdown_bad_args(rc):
    assert rc.cmd("SHUTDOWN", "BOGUS") == err("ERR syntax error")
    assert rc.cmd("PING") == b"+PONG\r\n"


def test_sigterm_exits_zero(server_factory):
    s = server_factory()
    c = s.client()
    c.set("k", "v")
    c.close()
    assert s.stop() == 0


def test_memory_usage(r, rc):
    r.set("mu", "x" * 100)
    small = r.memory_usage("mu")
    assert isinstance(small, int) and 100 < small < 200
    r.set("mu", "x" * 10000)
    assert r.memory_usage("mu") >= 10000
    assert r.memory_usage("mu", samples=0) == r.memory_usage("mu")
    assert r.memory_usage("missing") is None
    assert rc.cmd_parsed("MEMORY", "USAGE", "mu", "SAMPLES", "x") == \
        RespError(b"ERR value is not an integer or out of range")
    for bad in (["SAMPLES", "-1"], ["SAMPLES"], ["foo"]):
        assert rc.cmd_parsed("MEMORY", "USAGE", "mu", *bad) == RespError(b"ERR syntax error")
    assert rc.cmd_parsed("MEMORY", "USAGE", "missing", "foo") == RespError(b"ERR syntax error")


def test_memory_purge_stats_help(r, rc):
    assert r.memory_purge() is True
    stats = rc.cmd_parsed("MEMORY", "MALLOC-STATS")
    assert isinstance(stats, bytes) and len(stats) > 0
    help_lines = rc.cmd_parsed("MEMORY", "HELP")
    assert help_lines[0].startswith(b"MEMORY <subcommand>")
    assert rc.cmd_parsed("MEMORY", "FOO") == \
        RespError(b"ERR unknown subcommand 'FOO'. Try MEMORY HELP.")
