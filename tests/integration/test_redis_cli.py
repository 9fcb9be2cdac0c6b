"""redis-cli against the server: one-shot commands, --no-raw / --raw, --pipe."""

import os
import shutil
import subprocess

import pytest

from conftest import encode_command

REDIS_CLI = shutil.which("redis-cli") or "/usr/bin/redis-cli"


def cli(server, *args, stdin=None, timeout=30):
    if not os.path.exists(REDIS_CLI):
        pytest.fail("redis-cli not installed (Debian package redis-tools)")
    p = subprocess.run([REDIS_CLI, "-h", "127.0.0.1", "-p", str(server.port)] + list(args),
                       input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def out(server, *args, **kw):
    rc, stdout, stderr = cli(server, *args, **kw)
    assert rc == 0, (args, stdout, stderr)
    return stdout


def test_simple_commands(server, r):
    assert out(server, "PING") == b"PONG\n"
    assert out(server, "SET", "k", "hello world") == b"OK\n"
    assert out(server, "GET", "k") == b"hello world\n"
    assert out(server, "GET", "missing") == b"\n"
    assert out(server, "INCR", "n") == b"1\n"
    assert out(server, "MGET", "k", "n") == b"hello world\n1\n"


def test_no_raw_formatting(server, r):
    assert out(server, "--no-raw", "PING") == b"PONG\n"
    assert out(server, "--no-raw", "SET", "k", "v") == b"OK\n"
    assert out(server, "--no-raw", "GET", "k") == b'"v"\n'
    assert out(server, "--no-raw", "GET", "missing") == b"(nil)\n"
    assert out(server, "--no-raw", "INCRBY", "n", "5") == b"(integer) 5\n"
    assert out(server, "--no-raw", "MGET", "k", "missing", "n") == (
        b'1) "v"\n2) (nil)\n3) "5"\n')
    assert out(server, "--no-raw", "INCR", "k") == (
        b"(error) ERR value is not an integer or out of range\n")
    r.set(b"bin", b"a\x00b\r\n\xff")
    assert out(server, "--no-raw", "GET", "bin") == b'"a\\x00b\\r\\n\\xff"\n'
    assert out(server, "--no-raw", "KEYS", "nomatch*") == b"(empty array)\n"
    assert out(server, "--no-raw", "TTL", "k") == b"(integer) -1\n"
    assert out(server, "--no-raw", "TYPE", "k") == b"string\n"


def test_raw_mode(server, r):
    r.set(b"bin", b"a\x00b")
    assert out(server, "--raw", "GET", "bin") == b"a\x00b\n"
    assert out(server, "--raw", "INCR", "x") == b"1\n"
    rc, stdout, _ = cli(server, "--raw", "GET")
    assert stdout == b"ERR wrong number of arguments for 'get' command\n\n"


def test_db_selection_and_info(server, r):
    assert out(server, "-n", "3", "SET", "in3", "x") == b"OK\n"
    assert out(server, "-n", "3", "DBSIZE") == b"1\n"
    assert out(server, "DBSIZE") == b"0\n"
    info = out(server, "INFO", "keyspace")
    assert b"db3:keys=1,expires=0" in info


def test_stdin_last_arg(server, r):
    assert out(server, "-x", "SET", "fromstdin", stdin=b"payload\x00data") == b"OK\n"
    assert r.get("fromstdin") == b"payload\x00data"


def test_commands_from_stdin(server, r):
    script = b"SET a 1\nINCR a\nGET a\nDEL a\nEXISTS a\n"
    assert out(server, stdin=script) == b"OK\n2\n2\n1\n0\n"


def test_pipe_mode(server, r, scale):
    n = scale(20000)
    payload = b"".join(encode_command("SET", "pipe:%d" % i, "v%d" % i) for i in range(n))
    payload += encode_command("INCR", "pipe:0")          # an error reply
    rc, stdout, stderr = cli(server, "--pipe", stdin=payload, timeout=120)
    text = stdout.decode()
    assert "errors: 1, replies: %d" % (n + 1) in text, (text, stderr)
    assert rc == 1          # redis-cli --pipe exits 1 when any reply was an error
    assert r.dbsize() == n
    assert r.get("pipe:%d" % (n - 1)) == ("v%d" % (n - 1)).encode()


def test_pipe_mode_clean(server, r):
    payload = b"".join(encode_command("INCR", "ctr") for _ in range(1000))
    rc, stdout, stderr = cli(server, "--pipe", stdin=payload)
    assert rc == 0, (stdout, stderr)
    assert "errors: 0, replies: 1000" in stdout.decode()
    assert r.get("ctr") == b"1000"


def test_auth_via_cli(server_factory):
    s = server_factory(["--requirepass", "pw"])
    rc, stdout, stderr = cli(s, "--no-raw", "GET", "x")
    assert stdout == b"(error) NOAUTH Authentication required.\n"
    rc, stdout, stderr = cli(s, "-a", "pw", "--no-auth-warning", "PING")
    assert stdout == b"PONG\n"
    rc, stdout, stderr = cli(s, "-a", "bad", "--no-auth-warning", "PING")
    assert b"WRONGPASS" in stdout + stderr
