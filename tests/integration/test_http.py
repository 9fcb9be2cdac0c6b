"""The HTTP port: Prometheus /metrics (linted by promtool, scraped by a real
Prometheus), the dashboard's JSON, and the server's limits (routes only, no
path traversal, bounded heads and connections, basic auth with requirepass).

Magpie only: redis-server has no HTTP port.
"""

import base64
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import SANITIZED, free_port, stop_process, wait_for

PROMETHEUS = "/usr/bin/prometheus"
PROMTOOL = "/usr/bin/promtool"


@pytest.fixture(autouse=True)
def magpie_only(is_magpie):
    if not is_magpie:
        pytest.skip("redis-server has no HTTP port")


def http_server(server_factory, *extra):
    port = free_port()
    s = server_factory(["--http-port", str(port), *extra])
    s.http_port = port
    return s


def get(port, path, headers=None, timeout=10):
    """(status, headers, body) of one GET."""
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def raw_http(port, data, timeout=10):
    """Sends raw bytes, returns everything until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
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


def parse_metrics(text):
    """{(name, frozenset(labels)): value} of a Prometheus text body."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)', line)
        assert m, "bad sample line %r" % line
        labels = frozenset(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
        samples[(m.group(1), labels)] = float(m.group(3))
    return samples


def info(client, section):
    return client.info(section)


def test_metrics_agree_with_info_and_pass_promtool(server_factory):
    s = http_server(server_factory)
    c = s.client()
    for i in range(50):
        c.set("k%d" % i, "v")
    for i in range(80):
        c.get("k%d" % i)  # 50 hits, 30 misses
    c3 = s.client(db=3)
    c3.set("x", "y", ex=100)
    status, headers, body = get(s.http_port, "/metrics")
    assert status == 200
    assert headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    stats, keyspace = info(c, "stats"), info(c, "keyspace")
    m = parse_metrics(body.decode())
    assert m[("magpie_keyspace_hits_total", frozenset())] == stats["keyspace_hits"] == 50
    assert m[("magpie_keyspace_misses_total", frozenset())] == stats["keyspace_misses"] == 30
    assert m[("magpie_keyspace_hit_ratio", frozenset())] == pytest.approx(50 / 80)
    assert m[("magpie_connected_clients", frozenset())] == 2
    assert m[("magpie_db_keys", frozenset({("db", "0")}))] == keyspace["db0"]["keys"] == 50
    assert m[("magpie_db_keys", frozenset({("db", "3")}))] == 1
    assert m[("magpie_db_expiring_keys", frozenset({("db", "3")}))] == 1
    assert m[("magpie_evicted_keys_total", frozenset())] == stats["evicted_keys"]
    assert m[("magpie_memory_max_bytes", frozenset())] == 0
    assert m[("magpie_memory_used_bytes", frozenset())] > 0
    get_label = frozenset({("cmd", "get")})
    assert m[("magpie_commands_total", get_label)] == 80
    assert m[("magpie_command_duration_seconds_count", get_label)] == 80
    assert m[("magpie_command_duration_seconds_bucket", get_label | {("le", "+Inf")})] == 80
    buckets = sorted((float(dict(k[1])["le"]), v) for k, v in m.items()
                     if k[0] == "magpie_command_duration_seconds_bucket"
                     and ("cmd", "get") in k[1] and dict(k[1])["le"] != "+Inf")
    assert [b[0] for b in buckets][:3] == [0.000001, 0.000002, 0.000004]
    assert [b[1] for b in buckets] == sorted(b[1] for b in buckets)
    assert m[("magpie_command_duration_seconds_sum", get_label)] >= 0
    # promtool's lint: no problems at all.
    lint = subprocess.run([PROMTOOL, "check", "metrics"], input=body, capture_output=True,
                          timeout=60)
    assert lint.returncode == 0 and lint.stdout == b"" and lint.stderr == b"", (
        lint.stdout.decode() + lint.stderr.decode())


def test_metrics_count_evictions(server_factory):
    s = http_server(server_factory, "--maxmemory-policy", "allkeys-random")
    c = s.client()
    used = info(c, "memory")["used_memory"]
    c.config_set("maxmemory", str(used + 2 * 1024 * 1024))
    value = "x" * 1000
    pipe = c.pipeline(transaction=False)
    for i in range(6000):
        pipe.set("big%d" % i, value)
    pipe.execute()
    evicted = info(c, "stats")["evicted_keys"]
    assert evicted > 0
    m = parse_metrics(get(s.http_port, "/metrics")[2].decode())
    assert m[("magpie_evicted_keys_total", frozenset())] == evicted
    assert m[("magpie_memory_max_bytes", frozenset())] == used + 2 * 1024 * 1024


def test_stats_json_agrees_with_info(server_factory):
    s = http_server(server_factory, "--slowlog-log-slower-than", "0")
    c = s.client()
    c.set("a", "1")
    c.get("a")
    c.get("b")
    status, headers, body = get(s.http_port, "/api/stats")
    assert status == 200 and headers["Content-Type"] == "application/json"
    d = json.loads(body)
    stats = info(c, "stats")
    assert int(d["info"]["keyspace_hits"]) == stats["keyspace_hits"] == 1
    assert int(d["info"]["keyspace_misses"]) == 1
    assert d["hit_ratio"] == 0.5
    assert d["dbs"] == [{"db": 0, "keys": 1, "expires": 0}]
    names = {cmd["name"]: cmd for cmd in d["commands"]}
    assert names["get"]["calls"] == 2 and names["set"]["calls"] == 1
    assert d["slowlog_len"] >= 3
    assert d["slowlog"][0]["command"].startswith("GET b") or d["slowlog"][0]["command"] == "INFO stats"


def test_dashboard_page_is_self_contained(server_factory):
    s = http_server(server_factory)
    status, headers, body = get(s.http_port, "/")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    page = body.decode()
    assert "<canvas" in page and "/api/stats" in page
    # Nothing is loaded from anywhere else: no external URLs in src/href.
    assert not re.search(r'(src|href)\s*=\s*["\']?(https?:)?//', page)
    assert "connect-src 'self'" in headers["Content-Security-Policy"]
    assert get(s.http_port, "/index.html")[2] == body


def test_routes_traversal_and_methods(server_factory):
    s = http_server(server_factory)
    for path in (b"/../../etc/passwd", b"/%2e%2e/%2e%2e/etc/passwd", b"/etc/passwd",
                 b"/metrics/../../../etc/passwd", b"//etc/passwd", b"/nope"):
        reply = raw_http(s.http_port, b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        assert reply.startswith(b"HTTP/1.1 404 Not Found\r\n"), (path, reply[:100])
        assert b"root:" not in reply
    reply = raw_http(s.http_port, b"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 405 Method Not Allowed\r\n") and b"Allow: GET, HEAD" in reply
    reply = raw_http(s.http_port, b"HEAD /metrics HTTP/1.1\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 200 OK\r\n") and reply.endswith(b"\r\n\r\n")
    assert raw_http(s.http_port, b"garbage\r\n\r\n").startswith(b"HTTP/1.1 400 Bad Request")
    assert s.client().ping()


def test_request_head_and_connection_limits(server_factory):
    s = http_server(server_factory)
    huge = b"GET /metrics HTTP/1.1\r\nX-Filler: " + b"a" * 10000 + b"\r\n\r\n"
    assert raw_http(s.http_port, huge).startswith(b"HTTP/1.1 431 ")
    # A head that never ends is cut at the same limit.
    endless = b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * 3000
    assert raw_http(s.http_port, endless).startswith(b"HTTP/1.1 431 ")
    held = []
    try:
        for _ in range(64):
            held.append(socket.create_connection(("127.0.0.1", s.http_port), timeout=10))
        deadline = time.monotonic() + 10
        reply = b""
        while time.monotonic() < deadline:
            reply = raw_http(s.http_port, b"GET /metrics HTTP/1.1\r\n\r\n")
            if reply.startswith(b"HTTP/1.1 503 "):
                break
            time.sleep(0.05)
        assert reply.startswith(b"HTTP/1.1 503 ")
    finally:
        for h in held:
            h.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if get(s.http_port, "/metrics")[0] == 200:
            break
        time.sleep(0.05)
    assert get(s.http_port, "/metrics")[0] == 200


def basic(user, password):
    token = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
    return {"Authorization": "Basic " + token}


def test_basic_auth_with_requirepass(server_factory):
    s = http_server(server_factory, "--requirepass", "s3cret")
    for path in ("/", "/metrics", "/api/stats", "/nope"):
        status, headers, _ = get(s.http_port, path)
        assert status == 401 and headers["WWW-Authenticate"].startswith('Basic realm="magpie"')
    assert get(s.http_port, "/metrics", basic("default", "wrong"))[0] == 401
    assert get(s.http_port, "/metrics", basic("alice", "s3cret"))[0] == 401
    assert get(s.http_port, "/metrics", {"Authorization": "Basic !!!"})[0] == 401
    assert get(s.http_port, "/metrics", basic("default", "s3cret"))[0] == 200
    assert get(s.http_port, "/", basic("", "s3cret"))[0] == 200
    # CONFIG SET requirepass applies at once.
    c = s.client(password="s3cret")
    c.config_set("requirepass", "other")
    assert get(s.http_port, "/metrics", basic("default", "s3cret"))[0] == 401
    assert get(s.http_port, "/metrics", basic("default", "other"))[0] == 200


def test_busy_http_port_is_not_fatal(server_factory):
    blocker = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    blocker.bind(("127.0.0.1", 0))
    blocker.listen(1)
    try:
        port = blocker.getsockname()[1]
        s = server_factory(["--http-port", str(port)])
        assert s.client().ping()
        assert "HTTP port %d unavailable" % port in s.log_tail(200)
    finally:
        blocker.close()


def test_http_port_config(server, r):
    assert r.config_get("http-port") == {"http-port": "0"}  # the harness turns it off
    with pytest.raises(Exception, match="can't set immutable config"):
        r.config_set("http-port", "9999")




HTTP_ERRORS = (OSError, ValueError, KeyError, IndexError)


def test_real_prometheus_scrapes_metrics(server_factory):
    s = http_server(server_factory)
    c = s.client()
    for i in range(7):
        c.set("p%d" % i, "v")
        c.get("p%d" % i)
    tmp = tempfile.mkdtemp(prefix="magpie-prom-")
    prom_port = free_port()
    cfg = os.path.join(tmp, "prometheus.yml")
    with open(cfg, "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                "scrape_configs:\n  - job_name: magpie\n    static_configs:\n"
                "      - targets: ['127.0.0.1:%d']\n" % s.http_port)
    log = open(os.path.join(tmp, "prometheus.log"), "wb")
    proc = subprocess.Popen([PROMETHEUS, "--config.file=" + cfg,
                             "--storage.tsdb.path=" + os.path.join(tmp, "data"),
                             "--web.listen-address=127.0.0.1:%d" % prom_port],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            cwd=tmp)
    api = "http://127.0.0.1:%d/api/v1/" % prom_port
    try:
        def target_up():
            with urllib.request.urlopen(api + "targets", timeout=5) as resp:
                targets = json.load(resp)["data"]["activeTargets"]
            return targets and targets[0]["health"] == "up" and targets[0]

        poll = {"interval": 0.25, "tolerate": HTTP_ERRORS}
        wait_for(target_up, 90 if SANITIZED else 60, "Prometheus to scrape Magpie", **poll)

        def query(expr):
            url = api + "query?" + urllib.parse.urlencode({"query": expr})
            with urllib.request.urlopen(url, timeout=5) as resp:
                result = json.load(resp)["data"]["result"]
            return result and result

        hits = wait_for(lambda: query("magpie_keyspace_hits_total"), 60, "a sample", **poll)
        assert float(hits[0]["value"][1]) == 7
        sets = wait_for(lambda: query('magpie_commands_total{cmd="set"}'), 60, "per-command", **poll)
        assert float(sets[0]["value"][1]) == 7
        hist = wait_for(lambda: query('magpie_command_duration_seconds_count{cmd="get"}'), 60,
                        "histogram", **poll)
        assert float(hist[0]["value"][1]) == 7
    finally:
        stop_process(proc)
        log.close()
        assert proc.returncode is not None
        shutil.rmtree(tmp, ignore_errors=True)
