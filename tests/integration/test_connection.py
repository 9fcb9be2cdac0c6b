"""Connection commands: PING ECHO HELLO AUTH SELECT CLIENT QUIT RESET."""

import re
import socket
import time

import pytest
import redis

from conftest import RawConn, RespError, encode_command, parse_reply

OK = b"+OK\r\n"


def err(msg):
    return b"-" + msg.encode() + b"\r\n"


def arity(cmd):
    return err("ERR wrong number of arguments for '%s' command" % cmd)


NOAUTH = err("NOAUTH Authentication required.")
WRONGPASS = err("WRONGPASS invalid username-password pair or user is disabled.")
HELLO_NOAUTH = err(
    "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
    "HELLO AUTH <user> <pass> option can be used to authenticate the client and select "
    "the RESP protocol version at the same time")
BAD_NAME = err("ERR Client names cannot contain spaces, newlines or special characters.")


def test_ping_echo(rc):
    assert rc.cmd("PING") == b"+PONG\r\n"
    assert rc.cmd("ping") == b"+PONG\r\n"
    assert rc.cmd("PING", "hello") == b"$5\r\nhello\r\n"
    assert rc.cmd("PING", "") == b"$0\r\n\r\n"
    assert rc.cmd("PING", "a", "b") == arity("ping")
    assert rc.cmd("ECHO", "hi") == b"$2\r\nhi\r\n"
    assert rc.cmd("ECHO", b"a\x00\r\nb") == b"$5\r\na\x00\r\nb\r\n"
    assert rc.cmd("ECHO") == arity("echo")
    assert rc.cmd("ECHO", "a", "b") == arity("echo")


def test_redis_py_ping(r):
    assert r.ping() is True
    assert r.echo(b"x" * 100000) == b"x" * 100000


def _hello_map(reply):
    if isinstance(reply, dict):
        return reply
    return dict(zip(reply[0::2], reply[1::2]))


def test_hello_3(rc):
    raw = rc.cmd("HELLO", "3")
    assert raw.startswith(b"%7\r\n"), raw
    m = parse_reply(raw)[0]
    assert list(m.keys()) == [b"server", b"version", b"proto", b"id", b"mode", b"role",
                              b"modules"]
    assert m[b"proto"] == 3
    assert m[b"mode"] == b"standalone"
    assert m[b"role"] == b"master"
    assert m[b"modules"] == []
    assert re.fullmatch(rb"\d+\.\d+\.\d+", m[b"version"])
    assert isinstance(m[b"server"], bytes) and m[b"server"]
    assert m[b"id"] == int(rc.cmd("CLIENT", "ID")[1:-2])
    # RESP3 replies now: null, map-less commands unchanged otherwise
    assert rc.cmd("GET", "nokey") == b"_\r\n"
    assert rc.cmd("CLIENT", "GETNAME") == b"_\r\n"
    assert rc.cmd("SET", "k", "v") == OK
    assert rc.cmd("GET", "k") == b"$1\r\nv\r\n"
    assert rc.cmd("MGET", "k", "nokey") == b"*2\r\n$1\r\nv\r\n_\r\n"
    assert rc.cmd("INCR", "n") == b":1\r\n"
    # HELLO with no version reports the current protocol
    assert _hello_map(rc.cmd_parsed("HELLO"))[b"proto"] == 3
    # back to RESP2
    raw2 = rc.cmd("HELLO", "2")
    assert raw2.startswith(b"*14\r\n$6\r\nserver\r\n")
    m2 = _hello_map(parse_reply(raw2)[0])
    assert m2[b"proto"] == 2 and m2[b"id"] == m[b"id"]
    assert rc.cmd("GET", "nokey") == b"$-1\r\n"


def test_hello_errors(rc):
    for v in ("1", "4", "0", "-1"):
        assert rc.cmd("HELLO", v) == err("NOPROTO unsupported protocol version"), v
    assert rc.cmd("HELLO", "abc") == err(
        "ERR Protocol version is not an integer or out of range")
    assert rc.cmd("HELLO", "3", "foo") == err("ERR Syntax error in HELLO option 'foo'")
    assert rc.cmd("HELLO", "3", "SETNAME", "a b") == BAD_NAME
    # a failed HELLO does not switch protocol
    assert rc.cmd("GET", "nokey") == b"$-1\r\n"


def test_hello_setname(rc):
    m = _hello_map(rc.cmd_parsed("HELLO", "3", "SETNAME", "myconn"))
    assert m[b"proto"] == 3
    assert rc.cmd("CLIENT", "GETNAME") == b"$6\r\nmyconn\r\n"
    info = rc.cmd_parsed("CLIENT", "INFO")
    assert b" name=myconn " in info and b"resp=3" in info


def test_resp3_double_and_map_via_hello(rc):
    rc.cmd("HELLO", "3")
    # INCRBYFLOAT still replies with a bulk string in RESP3 (not a double)
    assert rc.cmd("INCRBYFLOAT", "f", "1.5") == b"$3\r\n1.5\r\n"
    # CONFIG GET is a map in RESP3
    raw = rc.cmd("CONFIG", "GET", "databases")
    assert raw == b"%1\r\n$9\r\ndatabases\r\n$2\r\n16\r\n"
    # CLIENT INFO is a verbatim string in RESP3
    raw = rc.cmd("CLIENT", "INFO")
    assert raw.startswith(b"=") and b"\r\ntxt:id=" in raw


@pytest.fixture
def auth_server(server_factory):
    return server_factory(["--requirepass", "s3cret"])


def test_auth_required(auth_server):
    c = RawConn(auth_server.port)
    try:
        assert c.cmd("GET", "k") == NOAUTH
        assert c.cmd("PING") == NOAUTH
        assert c.cmd("SET", "k", "v") == NOAUTH
        assert c.cmd("HELLO", "3") == HELLO_NOAUTH
        assert c.cmd("HELLO") == HELLO_NOAUTH
        assert c.cmd("AUTH", "wrong") == WRONGPASS
        assert c.cmd("AUTH", "default", "wrong") == WRONGPASS
        assert c.cmd("AUTH", "nouser", "s3cret") == WRONGPASS
        assert c.cmd("HELLO", "2", "AUTH", "default", "wrong") == WRONGPASS
        assert c.cmd("AUTH") == arity("auth")
        assert c.cmd("AUTH", "s3cret") == OK
        assert c.cmd("PING") == b"+PONG\r\n"
        assert c.cmd("SET", "k", "v") == OK
        # RESET drops authentication
        assert c.cmd("RESET") == b"+RESET\r\n"
        assert c.cmd("GET", "k") == NOAUTH
        assert c.cmd("AUTH", "default", "s3cret") == OK
        assert c.cmd("GET", "k") == b"$1\r\nv\r\n"
    finally:
        c.close()


def test_auth_via_hello(auth_server):
    c = RawConn(auth_server.port)
    try:
        m = parse_reply(c.cmd("HELLO", "3", "AUTH", "default", "s3cret", "SETNAME", "cli"))[0]
        assert m[b"proto"] == 3
        assert c.cmd("CLIENT", "GETNAME") == b"$3\r\ncli\r\n"
        assert c.cmd("GET", "nokey") == b"_\r\n"
    finally:
        c.close()


def test_auth_redis_py(auth_server):
    # redis-py 4.3 maps -WRONGPASS to a plain ResponseError
    with pytest.raises(redis.ResponseError, match="^WRONGPASS invalid username-password"):
        redis.Redis(port=auth_server.port, password="bad").ping()
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(port=auth_server.port).get("x")
    c = redis.Redis(port=auth_server.port, password="s3cret")
    assert c.ping() is True
    c.close()


def test_auth_without_password_configured(rc):
    assert rc.cmd("AUTH", "foo") == err(
        "ERR AUTH <password> called without any password configured for the default "
        "user. Are you sure your configuration is correct?")
    # the "default" user is "nopass": AUTH default <anything> succeeds
    assert rc.cmd("AUTH", "default", "anything") == OK
    assert rc.cmd("PING") == b"+PONG\r\n"


def test_select(rc):
    assert rc.cmd("SELECT", "16") == err("ERR DB index is out of range")
    assert rc.cmd("SELECT", "-1") == err("ERR DB index is out of range")
    assert rc.cmd("SELECT", "x") == err("ERR value is not an integer or out of range")
    assert rc.cmd("SELECT", "15") == OK
    assert rc.cmd("SET", "k", "in15") == OK
    assert rc.cmd_parsed("CLIENT", "INFO").find(b" db=15 ") > 0


def test_client_id_and_names(rc, raw):
    id1 = int(rc.cmd("CLIENT", "ID")[1:-2])
    other = raw()
    id2 = int(other.cmd("CLIENT", "ID")[1:-2])
    assert id2 > id1 > 0
    assert rc.cmd("CLIENT", "GETNAME") == b"$-1\r\n"
    assert rc.cmd("CLIENT", "SETNAME", "alpha") == OK
    assert rc.cmd("CLIENT", "GETNAME") == b"$5\r\nalpha\r\n"
    assert rc.cmd("CLIENT", "SETNAME", "a b") == BAD_NAME
    assert rc.cmd("CLIENT", "SETNAME", "a\nb") == BAD_NAME
    assert rc.cmd("CLIENT", "GETNAME") == b"$5\r\nalpha\r\n"
    assert rc.cmd("CLIENT", "SETNAME", "") == OK          # clears the name
    assert rc.cmd("CLIENT", "GETNAME") == b"$-1\r\n"
    assert rc.cmd("CLIENT", "SETNAME") == arity("client|setname")
    assert rc.cmd("CLIENT", "FOO") == err("ERR unknown subcommand 'FOO'. Try CLIENT HELP.")
    assert rc.cmd("CLIENT") == arity("client")


def _parse_client_list(text):
    out = []
    for line in text.decode().strip().split("\n"):
        fields = {}
        for kv in line.split(" "):
            k, _, v = kv.partition("=")
            fields[k] = v
        out.append(fields)
    return out


def test_client_list_and_info(rc, raw):
    rc.cmd("CLIENT", "SETNAME", "lister")
    other = raw()
    other.cmd("CLIENT", "SETNAME", "other")
    other.cmd("SELECT", "3")
    my_id = rc.cmd("CLIENT", "ID")[1:-2].decode()
    lst = rc.cmd_parsed("CLIENT", "LIST")
    assert lst.endswith(b"\n")
    clients = _parse_client_list(lst)
    by_name = {c.get("name"): c for c in clients}
    assert "lister" in by_name and "other" in by_name
    me = by_name["lister"]
    for field in ("id", "addr", "laddr", "fd", "name", "age", "idle", "flags", "db", "cmd",
                  "resp"):
        assert field in me, field
    assert me["id"] == my_id
    assert me["cmd"] == "client|list"
    assert me["db"] == "0"
    assert by_name["other"]["db"] == "3"
    assert re.fullmatch(r"127\.0\.0\.1:\d+", me["addr"])
    info = _parse_client_list(rc.cmd_parsed("CLIENT", "INFO"))
    assert len(info) == 1 and info[0]["id"] == my_id and info[0]["cmd"] == "client|info"
    only = _parse_client_list(rc.cmd_parsed("CLIENT", "LIST", "ID", my_id))
    assert [c["id"] for c in only] == [my_id]
    assert rc.cmd("CLIENT", "LIST", "ID", "999999") == b"$0\r\n\r\n"
    normal = _parse_client_list(rc.cmd_parsed("CLIENT", "LIST", "TYPE", "normal"))
    assert {c["name"] for c in normal} >= {"lister", "other"}
    assert rc.cmd("CLIENT", "LIST", "ID", "abc") == err("ERR Invalid client ID")
    assert rc.cmd("CLIENT", "LIST", "TYPE", "foo") == err("ERR Unknown client type 'foo'")


def test_client_kill(rc, raw):
    victim = raw()
    vid = int(victim.cmd("CLIENT", "ID")[1:-2])
    vinfo = _parse_client_list(victim.cmd_parsed("CLIENT", "INFO"))[0]
    assert rc.cmd("CLIENT", "KILL", "ID", str(vid)) == b":1\r\n"
    assert victim.read_until_close(timeout=5) == b""
    assert rc.cmd("CLIENT", "KILL", "ID", str(vid)) == b":0\r\n"
    # old-style CLIENT KILL addr
    v2 = raw()
    addr = _parse_client_list(v2.cmd_parsed("CLIENT", "INFO"))[0]["addr"]
    assert rc.cmd("CLIENT", "KILL", addr) == OK
    assert v2.read_until_close(timeout=5) == b""
    assert rc.cmd("CLIENT", "KILL", vinfo["addr"]) == err("ERR No such client")
    assert rc.cmd("CLIENT", "KILL", "ID", "abc") == err("ERR client-id should be greater than 0")
    assert rc.cmd("CLIENT", "KILL", "FOO", "bar") == err("ERR syntax error")
    # killing yourself with SKIPME no does close the connection after the reply
    me = raw()
    mid = me.cmd("CLIENT", "ID")[1:-2].decode()
    me.send(encode_command("CLIENT", "KILL", "ID", mid, "SKIPME", "no"))
    assert me.read_until_close(timeout=5) == b":1\r\n"
    assert rc.cmd("PING") == b"+PONG\r\n"


def test_client_reply(rc):
    assert rc.cmd("CLIENT", "REPLY", "FOO") == err("ERR syntax error")
    rc.send(encode_command("CLIENT", "REPLY", "OFF"))
    rc.send(encode_command("SET", "a", "1"))
    rc.send(encode_command("CLIENT", "REPLY", "SKIP"))   # no reply while OFF either
    rc.send(encode_command("CLIENT", "REPLY", "ON"))
    assert rc.read_reply() == OK                          # only REPLY ON answers
    rc.send(encode_command("CLIENT", "REPLY", "SKIP"))
    rc.send(encode_command("SET", "b", "2"))              # skipped
    rc.send(encode_command("GET", "a"))
    assert rc.read_reply() == b"$1\r\n1\r\n"
    assert rc.cmd("GET", "b") == b"$1\r\n2\r\n"


def test_client_no_evict_and_setinfo(rc):
    assert rc.cmd("CLIENT", "NO-EVICT", "ON") == OK
    assert rc.cmd("CLIENT", "NO-EVICT", "off") == OK
    assert rc.cmd("CLIENT", "NO-EVICT", "maybe") == err("ERR syntax error")
    # CLIENT SETINFO appeared in Redis 7.2; 7.0 does not know it.  Either answer
    # is acceptable, but the connection must keep working.
    rep = rc.cmd("CLIENT", "SETINFO", "LIB-NAME", "magpie-tests")
    assert rep in (OK, err("ERR unknown subcommand 'SETINFO'. Try CLIENT HELP."))
    assert rc.cmd("PING") == b"+PONG\r\n"


def test_client_pause_unpause(rc, raw, server):
    assert rc.cmd("CLIENT", "PAUSE", "abc") == err(
        "ERR timeout is not an integer or out of range")
    assert rc.cmd("CLIENT", "PAUSE", "10", "FOO") == err(
        "ERR CLIENT PAUSE mode must be WRITE or ALL")
    other = raw()
    other.cmd("SET", "k", "before")
    assert rc.cmd("CLIENT", "PAUSE", "5000", "WRITE") == OK
    t0 = time.monotonic()
    # reads still served during a WRITE pause
    assert other.cmd("GET", "k") == b"$6\r\nbefore\r\n"
    other.send(encode_command("SET", "k", "after"))
    other.sock.settimeout(0.3)
    with pytest.raises(socket.timeout):
        other.read_reply()
    other.sock.settimeout(10)
    assert rc.cmd("CLIENT", "UNPAUSE") == OK
    assert other.read_reply() == OK
    assert time.monotonic() - t0 < 4
    assert other.cmd("GET", "k") == b"$5\r\nafter\r\n"
    # a short ALL pause expires on its own
    assert rc.cmd("CLIENT", "PAUSE", "200") == OK
    t0 = time.monotonic()
    assert other.cmd("PING") == b"+PONG\r\n"
    assert time.monotonic() - t0 >= 0.1


def test_quit(raw):
    c = raw()
    c.send(encode_command("QUIT"))
    assert c.read_until_close(timeout=5) == OK
    c2 = raw()
    c2.send(b"*1\r\n$4\r\nQUIT\r\n*1\r\n$4\r\nPING\r\n")
    assert c2.read_until_close(timeout=5) == OK   # nothing after QUIT runs


def test_reset(rc):
    rc.cmd("HELLO", "3")
    rc.cmd("SELECT", "5")
    rc.cmd("CLIENT", "SETNAME", "before")
    rc.cmd("CLIENT", "REPLY", "ON")
    assert rc.cmd("RESET") == b"+RESET\r\n"
    assert rc.cmd("GET", "nokey") == b"$-1\r\n"       # back to RESP2
    assert rc.cmd("CLIENT", "GETNAME") == b"$-1\r\n"  # name cleared
    info = rc.cmd_parsed("CLIENT", "INFO")
    assert b" db=0 " in info and b"resp=2" in info
    assert rc.cmd("RESET", "x") == arity("reset")


def test_many_connections(server, scale):
    n = scale(200)
    conns = [RawConn(server.port) for _ in range(n)]
    try:
        for i, c in enumerate(conns):
            c.send(encode_command("SET", "conn:%d" % i, str(i)))
        for c in conns:
            assert c.read_reply() == OK
        for i, c in enumerate(conns):
            assert c.cmd("GET", "conn:%d" % i) == b"$%d\r\n%d\r\n" % (len(str(i)), i)
        info = redis.Redis(port=server.port).info("clients")
        assert info["connected_clients"] >= n
    finally:
        for c in conns:
            c.close()
