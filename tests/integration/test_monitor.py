"""MONITOR: Redis's line format, redaction, admin commands hidden, MULTI/EXEC
order, and monitors on both workers, compared with redis-server."""

import re

import redis

from conftest import RawConn, encode_command

SCRIPT = [
    ("SET", "k", "v"), ("GET", "k"), ("SET", "q", b'say "hi"\n\t\\ \x01\xff'), ("SELECT", "2"),
    ("INCR", "n"), ("SELECT", "0"), ("AUTH", "nopass"), ("HELLO", "2", "AUTH", "default", "pw"),
    ("CONFIG", "GET", "maxmemory"), ("CLIENT", "LIST"), ("MULTI",), ("LPUSH", "l", "a"),
    ("LPOP", "l"), ("EXEC",), ("NOSUCHCOMMAND",), ("GET",), ("PING",), ("ECHO", ""),
    # A script's line comes first, then its commands as "[db lua]".
    ("EVAL", "redis.call('set', KEYS[1], ARGV[1]) return redis.call('get', KEYS[1])", "1", "sk",
     "sv"),
    ("MULTI",), ("EVAL", "return redis.call('incr', 'n')", "0"), ("EXEC",),
]
LINE = re.compile(rb"^\+(\d+)\.(\d{6}) \[(\d+) (?:([0-9.]+):(\d+)|lua)\] (.*)\r\n$")


def monitor_lines(port):
    monitors = [RawConn(port) for _ in range(2)]
    for m in monitors:
        assert m.cmd("MONITOR") == b"+OK\r\n"
    c = RawConn(port)
    addr = None
    for cmd in SCRIPT:
        c.cmd(*cmd)
    c.cmd("ECHO", "end")
    out = []
    for m in monitors:
        lines = []
        while True:
            raw = m.read_reply()
            match = LINE.match(raw)
            assert match, raw
            who = b"lua" if match.group(4) is None else b"client"
            lines.append((int(match.group(3)), who, match.group(6)))
            if match.group(4) is not None:
                addr = match.group(4)
            if match.group(6) == b'"ECHO" "end"':
                break
        out.append(lines)
    assert addr == b"127.0.0.1"
    assert out[0] == out[1]
    for x in monitors + [c]:
        x.close()
    return out[0]


def test_monitor_lines_match_redis(server, redis_ref):
    ours = monitor_lines(server.port)
    assert ours == monitor_lines(redis_ref.port)
    assert (0, b"client", b'"SET" "q" "say \\"hi\\"\\n\\t\\\\ \\x01\\xff"') in ours
    assert (0, b"client", b'"AUTH" "(redacted)"') in ours
    assert (0, b"lua", b'"set" "sk" "sv"') in ours


def test_monitor_with_redis_py(server, r):
    with r.monitor() as m:
        other = redis.Redis(port=server.port)
        other.set("foo", "bar")
        cmds = []
        for event in m.listen():
            cmds.append(event["command"])
            if event["command"] == "SET foo bar":
                break
        other.close()
    assert cmds[-1] == "SET foo bar"


def test_monitor_flag_and_reset(server, raw):
    m = raw()
    m.cmd("MONITOR")
    m.send(encode_command("MONITOR"))  # ignored without a reply, as in Redis
    assert m.cmd("CLIENT", "INFO").split(b" flags=")[1].startswith(b"O ")
    assert m.read_reply().startswith(b"+")  # its own CLIENT INFO, fed back
    assert m.cmd("RESET") == b"+RESET\r\n"
    assert m.cmd("CLIENT", "INFO").split(b" flags=")[1].startswith(b"N ")
