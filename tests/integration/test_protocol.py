"""RESP / inline protocol handling, pipelining, protocol errors, NUL bytes."""

import socket
import threading
import time

import pytest

from conftest import RawConn, encode_command, parse_reply

OK = b"+OK\r\n"


def perr(msg):
    return b"-ERR Protocol error: " + msg.encode() + b"\r\n"


def exchange(port, data, half_close=True, timeout=5):
    """Send data, optionally half-close, return everything until the server closes."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        if half_close:
            try:
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            out += chunk
        return out
    finally:
        s.close()


# --------------------------------------------------------------------------
# inline commands
# --------------------------------------------------------------------------

def test_inline_commands(raw):
    c = raw()
    c.send(b"SET k v\r\n")
    assert c.read_reply() == OK
    c.send(b"GET k\r\n")
    assert c.read_reply() == b"$1\r\nv\r\n"
    c.send(b"  GET   k  \r\n")
    assert c.read_reply() == b"$1\r\nv\r\n"
    c.send(b"PING\n")                       # bare LF is accepted
    assert c.read_reply() == b"+PONG\r\n"
    c.send(b"\r\n\r\nPING\r\n")             # empty lines are ignored
    assert c.read_reply() == b"+PONG\r\n"
    c.send(b'SET q "hello world"\r\n')
    assert c.read_reply() == OK
    c.send(b"GET q\r\n")
    assert c.read_reply() == b"$11\r\nhello world\r\n"
    c.send(b'ECHO "a\\x41\\n\\t"\r\n')      # escapes inside double quotes
    assert c.read_reply() == b"$4\r\naA\n\t\r\n"
    c.send(b"ECHO 'it\\'s'\r\n")
    assert c.read_reply() == b"$4\r\nit's\r\n"
    c.send(b'ECHO ""\r\n')
    assert c.read_reply() == b"$0\r\n\r\n"
    c.send(b"GET\r\n")
    assert c.read_reply() == b"-ERR wrong number of arguments for 'get' command\r\n"
    c.send(b"SET a 1\r\nSET b 2\r\nMGET a b\r\n")   # pipelined inline
    assert c.read_n(3) == [OK, OK, b"*2\r\n$1\r\n1\r\n$1\r\n2\r\n"]


def test_inline_unknown_command(raw):
    c = raw()
    c.send(b"NOSUCHCMD a b\r\n")
    assert c.read_reply() == (b"-ERR unknown command 'NOSUCHCMD', with args beginning with: "
                              b"'a' 'b' \r\n")
    c.send(b"NOSUCHCMD\r\n")
    assert c.read_reply() == b"-ERR unknown command 'NOSUCHCMD', with args beginning with: \r\n"
    assert c.cmd("nosuch", "x") == (
        b"-ERR unknown command 'nosuch', with args beginning with: 'x' \r\n")
    c.send(b"+PING\r\n")
    assert c.read_reply() == b"-ERR unknown command '+PING', with args beginning with: \r\n"
    assert c.cmd("PING") == b"+PONG\r\n"


def test_inline_and_resp_mixed(raw):
    c = raw()
    c.send(b"SET m 1\r\n" + encode_command("INCR", "m") + b"GET m\r\n")
    assert c.read_n(3) == [OK, b":2\r\n", b"$1\r\n2\r\n"]


def test_resp_empty_multibulk_ignored(raw):
    c = raw()
    c.send(b"*0\r\n*-1\r\n" + encode_command("PING"))
    assert c.read_reply() == b"+PONG\r\n"


# --------------------------------------------------------------------------
# pipelining and fragmentation
# --------------------------------------------------------------------------

def test_pipeline_10k(rc, scale):
    n = scale(10000)
    c = rc
    buf = b"".join(encode_command("SET", "p:%d" % i, "v%d" % i) for i in range(n))
    buf += b"".join(encode_command("GET", "p:%d" % i) for i in range(n))
    buf += encode_command("DBSIZE")
    # send from a thread so a server that answers while we send cannot deadlock us
    t = threading.Thread(target=c.send, args=(buf,))
    t.start()
    replies = c.read_n(2 * n + 1)
    t.join(30)
    assert replies[:n] == [OK] * n
    for i in range(n):
        v = b"v%d" % i
        assert replies[n + i] == b"$%d\r\n%s\r\n" % (len(v), v)
    assert replies[-1] == b":%d\r\n" % n


def test_pipeline_redis_py(r, scale):
    n = scale(10000)
    p = r.pipeline(transaction=False)
    for i in range(n):
        p.incr("ctr")
    assert p.execute() == list(range(1, n + 1))


def test_byte_by_byte(raw):
    c = raw()
    c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    data = encode_command("SET", "frag", "x" * 50) + encode_command("GET", "frag") + b"PING\r\n"
    for i in range(len(data)):
        c.send(data[i:i + 1])
    assert c.read_n(3) == [OK, b"$50\r\n" + b"x" * 50 + b"\r\n", b"+PONG\r\n"]


def test_split_large_bulk(raw):
    c = raw()
    val = bytes(range(256)) * 4096          # 1 MiB incl. \r\n and \0 bytes
    data = encode_command("SET", "big", val)
    step = 65537
    for i in range(0, len(data), step):
        c.send(data[i:i + step])
        time.sleep(0.001)
    assert c.read_reply() == OK
    assert c.cmd("STRLEN", "big") == b":%d\r\n" % len(val)
    assert c.cmd("GET", "big") == b"$%d\r\n%s\r\n" % (len(val), val)


def test_nul_bytes_in_keys_and_values(raw):
    c = raw()
    k1, k2 = b"a\x00b", b"a\x00c"
    assert c.cmd("SET", k1, b"v\x00\r\n1") == OK
    assert c.cmd("SET", k2, b"\x00") == OK
    assert c.cmd("GET", k1) == b"$5\r\nv\x00\r\n1\r\n"
    assert c.cmd("GET", b"a") == b"$-1\r\n"
    assert c.cmd("GET", k2) == b"$1\r\n\x00\r\n"
    assert c.cmd("APPEND", k2, b"\x00\x00") == b":3\r\n"
    assert c.cmd("STRLEN", k2) == b":3\r\n"
    assert c.cmd("EXISTS", k1, k2, b"a") == b":2\r\n"
    keys = sorted(parse_reply(c.cmd("KEYS", b"a\x00*"))[0])
    assert keys == [k1, k2]
    assert c.cmd("RENAME", k1, b"\x00") == OK
    assert c.cmd("GET", b"\x00") == b"$5\r\nv\x00\r\n1\r\n"
    assert c.cmd("DEL", b"\x00", k2) == b":2\r\n"


def test_binary_command_args(raw):
    c = raw()
    assert c.cmd("ECHO", b"\r\n") == b"$2\r\n\r\n\r\n"
    assert c.cmd("ECHO", b"*1\r\n$4\r\nPING\r\n") == b"$14\r\n*1\r\n$4\r\nPING\r\n\r\n"
    assert c.cmd("PING") == b"+PONG\r\n"


# --------------------------------------------------------------------------
# protocol errors: reply then close
# --------------------------------------------------------------------------

PROTOCOL_ERROR_CASES = [
    (b"*abc\r\n", perr("invalid multibulk length")),
    (b"*1 \r\n$4\r\nPING\r\n", perr("invalid multibulk length")),
    (b"*+1\r\n$4\r\nPING\r\n", perr("invalid multibulk length")),
    (b"*01\r\n$4\r\nPING\r\n", perr("invalid multibulk length")),
    (b"*99999999999\r\n", perr("invalid multibulk length")),
    (b"*2147483648\r\n", perr("invalid multibulk length")),
    (b"*1\nPING\r\n", perr("invalid multibulk length")),
    (b"*1\r\n$-5\r\n", perr("invalid bulk length")),
    (b"*1\r\n$-1\r\n", perr("invalid bulk length")),
    (b"*1\r\n$abc\r\n", perr("invalid bulk length")),
    (b"*1\r\n$+4\r\nPING\r\n", perr("invalid bulk length")),
    (b"*1\r\n$4 \r\nPING\r\n", perr("invalid bulk length")),
    (b"*1\r\n$999999999999\r\n", perr("invalid bulk length")),
    (b"*1\r\n$536870913\r\n", perr("invalid bulk length")),
    (b"*1\r\nfoo\r\n", perr("expected '$', got 'f'")),
    (b"*2\r\n:1\r\n", perr("expected '$', got ':'")),
    (b"*1\r\n*1\r\n", perr("expected '$', got '*'")),
    (b'SET "a b\r\n', perr("unbalanced quotes in request")),
    (b"SET 'a b\r\n", perr("unbalanced quotes in request")),
    (b'SET "a"b c\r\n', perr("unbalanced quotes in request")),
    (b"x" * 70000, perr("too big inline request")),
    (b"*1\r\n$" + b"1" * 70000, perr("too big bulk count string")),
    (b"*" + b"1" * 70000, perr("too big mbulk count string")),
]


@pytest.mark.parametrize("data,expected", PROTOCOL_ERROR_CASES,
                         ids=[repr(c[0][:24]) for c in PROTOCOL_ERROR_CASES])
def test_protocol_error_then_close(server, data, expected):
    # no half-close: the server itself must close the connection after the error
    assert exchange(server.port, data, half_close=False) == expected
    assert server.alive()


def test_protocol_error_after_good_commands(server):
    data = encode_command("SET", "pe", "1") + b"*1\r\n$-5\r\n" + encode_command("GET", "pe")
    assert exchange(server.port, data, half_close=False) == OK + perr("invalid bulk length")


@pytest.mark.parametrize("data", [
    b"*1\r\n$3\r\nab",
    b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n",
    b"*2\r\n$4\r\nECHO\r\n$100\r\nabc",
    b"*1048577\r\n",
    b"*1\r\n$536870912\r\n",
    b"GET k",
])
def test_truncated_request_then_close(server, data):
    """A half-sent command followed by EOF: no reply, and the server lives on."""
    assert exchange(server.port, data, half_close=True) == b""
    c = RawConn(server.port)
    assert c.cmd("PING") == b"+PONG\r\n"
    c.close()


def test_protocol_errors_match_redis(server, redis_ref):
    """Byte-for-byte the same replies as the real redis-server."""
    cases = [(d, False) for d, _ in PROTOCOL_ERROR_CASES] + [
        # these end without a protocol error: half-close so both servers hang up
        (b"*1\r\n$0\r\n\r\n", True),
        (b"$4\r\nPING\r\n", True),
        (b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$-0\r\n", True),
        (b"*2\r\n$4\r\nECHO\r\n$3\r\nabc\r\n$4\r\nPING\r\n", True),
        (b'ECHO "\\x4"\r\n', True),
        (b'ECHO "\\xzz"\r\n', True),
        (b"ECHO a\\ b\r\n", True),
        (b"ECHO 'a\\nb'\r\n", True),
        (b'SET k "v" x\r\n', True),
        (b"*1\r\n$4\r\nPING\r\n" * 3, True),
        (b"*2\r\n$4\r\nPING\r\n$0\r\n\r\n", True),
    ]
    for data, half in cases:
        mine = exchange(server.port, data, half_close=half)
        ref = exchange(redis_ref.port, data, half_close=half)
        assert mine == ref, "request %r:\n  server under test: %r\n  redis-server:      %r" % (
            data[:80], mine[:300], ref[:300])


# --------------------------------------------------------------------------
# slow / vanishing clients
# --------------------------------------------------------------------------

def test_disconnect_with_pending_replies(server, raw, scale):
    big = b"y" * (512 * 1024)
    setup = raw()
    assert setup.cmd("SET", "bigval", big) == OK
    n = scale(200)
    for _ in range(3):
        # a client that asks for ~100 MB of replies and vanishes without reading
        s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        s.sendall(encode_command("GET", "bigval") * n)
        s.close()
    # meanwhile another client keeps being served
    other = raw()
    for i in range(200):
        assert other.cmd("INCR", "alive") == b":%d\r\n" % (i + 1)
    assert other.cmd("STRLEN", "bigval") == b":%d\r\n" % len(big)
    assert server.alive()


def test_slow_reader_does_not_block_others(server, raw, scale):
    big = b"z" * (256 * 1024)
    setup = raw()
    setup.cmd("SET", "slowval", big)
    slow = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    # it does not read until the end: the kernel buffers fill up and the server
    # has to keep the rest of the ~10 MB of replies pending on its side
    try:
        slow.sendall(encode_command("GET", "slowval") * scale(40))
        other = raw()
        t0 = time.monotonic()
        for i in range(100):
            assert other.cmd("PING") == b"+PONG\r\n"
        assert time.monotonic() - t0 < 10
        # the slow reader still gets every byte once it reads
        want = (b"$%d\r\n" % len(big) + big + b"\r\n") * scale(40)
        got = bytearray()
        while len(got) < len(want):
            chunk = slow.recv(1 << 20)
            assert chunk, "server closed the slow reader"
            got += chunk
        assert got == want
    finally:
        slow.close()


def test_concurrent_clients_counter(server, scale):
    n_threads, n_incr = 8, scale(2000)
    errors = []

    def worker():
        try:
            c = RawConn(server.port)
            buf = encode_command("INCR", "shared") * n_incr
            c.send(buf)
            for _ in range(n_incr):
                rep = c.read_reply()
                if not rep.startswith(b":"):
                    errors.append(rep)
            c.close()
        except Exception as e:   # noqa: BLE001 - reported below
            errors.append(e)

    c0 = RawConn(server.port)
    c0.cmd("DEL", "shared")
    threads = [threading.Thread(target=worker) for _ in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors[:3]
    assert c0.cmd("GET", "shared") == b"$%d\r\n%d\r\n" % (
        len(str(n_threads * n_incr)), n_threads * n_incr)
    c0.close()
