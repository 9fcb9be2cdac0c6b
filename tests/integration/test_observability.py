"""SLOWLOG, LATENCY, INFO latencystats/cpu/clients and CLIENT LIST fields.

Every test here also passes with MAGPIE_BIN=/usr/bin/redis-server: the
replies are Redis 7.0's. Timing values are never compared, only their shape.
"""

import re

import pytest

from conftest import err

LAT_LINE = re.compile(rb"^latency_percentiles_usec_([a-z|_-]+):(.*)$")


def slow_server(server_factory, *extra):
    return server_factory(["--slowlog-log-slower-than", "0", *extra])


def test_slowlog_records_commands_newest_first(server_factory, raw):
    s = slow_server(server_factory)
    conn = raw(s.port)
    conn.cmd("CLIENT", "SETNAME", "logger")
    addr = dict(kv.split(b"=", 1) for kv in conn.cmd_parsed("CLIENT", "INFO").split())[b"addr"]
    assert conn.cmd("SLOWLOG", "RESET") == b"+OK\r\n"
    conn.cmd("SET", "k", "v")
    conn.cmd("get", "k")
    entries = conn.cmd_parsed("SLOWLOG", "GET", "3")
    # SLOWLOG GET itself is logged only after it ran; arguments keep their case.
    assert [e[3] for e in entries] == [[b"get", b"k"], [b"SET", b"k", b"v"], [b"SLOWLOG", b"RESET"]]
    ids = [e[0] for e in entries]
    assert ids == sorted(ids, reverse=True) and ids[0] - ids[2] == 2
    for e in entries:
        assert e[2] >= 0
        assert e[4] == addr
        assert e[5] == b"logger"


def test_slowlog_entry_shape_and_truncation(server_factory, raw):
    s = slow_server(server_factory)
    conn = raw(s.port)
    assert conn.cmd("SLOWLOG", "RESET") == b"+OK\r\n"
    assert conn.cmd("SET", "k", "x" * 200) == b"+OK\r\n"
    conn.cmd("RPUSH", "l", *[str(i) for i in range(40)])
    entries = conn.cmd_parsed("SLOWLOG", "GET", "2")
    rpush, set_ = entries
    assert len(set_) == 6 and isinstance(set_[0], int) and isinstance(set_[1], int)
    assert set_[3] == [b"SET", b"k", b"x" * 128 + b"... (72 more bytes)"]
    # 42 arguments: 31 kept and one that counts the other 11.
    assert len(rpush[3]) == 32
    assert rpush[3][:3] == [b"RPUSH", b"l", b"0"]
    assert rpush[3][-1] == b"... (11 more arguments)"
    assert rpush[5] == b""  # no client name


def test_slowlog_redacts_secrets(server_factory, raw):
    s = slow_server(server_factory)
    conn = raw(s.port)
    conn.cmd("SLOWLOG", "RESET")
    conn.cmd("AUTH", "hunter2")
    conn.cmd("HELLO", "2", "AUTH", "default", "hunter2")
    conn.cmd("CONFIG", "SET", "requirepass", "")
    args = [e[3] for e in conn.cmd_parsed("SLOWLOG", "GET", "3")]
    assert args == [[b"CONFIG", b"SET", b"requirepass", b"(redacted)"],
                    [b"HELLO", b"2", b"AUTH", b"(redacted)", b"(redacted)"],
                    [b"AUTH", b"(redacted)"]]


def test_slowlog_len_get_count_reset_and_max_len(server_factory, raw):
    s = slow_server(server_factory)
    conn = raw(s.port)
    for i in range(10):
        conn.cmd("SET", "k%d" % i, "v")
    assert conn.cmd("CONFIG", "SET", "slowlog-max-len", "5") == b"+OK\r\n"
    assert conn.cmd("SLOWLOG", "LEN") == b":5\r\n"
    assert len(conn.cmd_parsed("SLOWLOG", "GET", "2")) == 2
    assert len(conn.cmd_parsed("SLOWLOG", "GET", "-1")) == 5
    assert len(conn.cmd_parsed("SLOWLOG", "GET")) == 5
    assert conn.cmd("SLOWLOG", "GET", "0") == b"*0\r\n"
    assert conn.cmd("SLOWLOG", "RESET") == b"+OK\r\n"
    assert conn.cmd("SLOWLOG", "LEN") == b":1\r\n"  # the RESET itself
    assert conn.cmd("CONFIG", "SET", "slowlog-log-slower-than", "-1") == b"+OK\r\n"
    conn.cmd("SLOWLOG", "RESET")
    conn.cmd("SET", "a", "b")
    assert conn.cmd("SLOWLOG", "LEN") == b":0\r\n"
    assert conn.cmd("CONFIG", "SET", "slowlog-max-len", "0") == b"+OK\r\n"
    assert conn.cmd("CONFIG", "SET", "slowlog-log-slower-than", "0") == b"+OK\r\n"
    conn.cmd("SET", "a", "b")
    assert conn.cmd("SLOWLOG", "LEN") == b":0\r\n"


def test_slowlog_default_threshold_skips_fast_commands(server, raw):
    conn = raw()
    got = conn.cmd_parsed("CONFIG", "GET", "slowlog-*")
    assert dict(zip(got[::2], got[1::2])) == {b"slowlog-max-len": b"128",
                                              b"slowlog-log-slower-than": b"10000"}
    conn.cmd("SLOWLOG", "RESET")
    conn.cmd("SET", "a", "b")
    assert conn.cmd("SLOWLOG", "LEN") == b":0\r\n"


def test_slowlog_skips_exec_but_logs_queued_commands(server_factory, raw):
    s = slow_server(server_factory)
    conn = raw(s.port)
    conn.cmd("SLOWLOG", "RESET")
    conn.cmd("MULTI")
    conn.cmd("SET", "a", "1")
    conn.cmd("EXEC")
    names = [e[3][0] for e in conn.cmd_parsed("SLOWLOG", "GET", "-1")]
    assert b"EXEC" not in names and b"SET" in names and b"MULTI" in names


def test_slowlog_errors_and_help(server, raw):
    conn = raw()
    bad_count = err("ERR count should be greater than or equal to -1")
    assert conn.cmd("SLOWLOG", "GET", "-2") == bad_count
    assert conn.cmd("SLOWLOG", "GET", "x") == bad_count
    assert conn.cmd("SLOWLOG", "Get", "1", "2") == err(
        "ERR unknown subcommand or wrong number of arguments for 'Get'. Try SLOWLOG HELP.")
    assert conn.cmd("SLOWLOG", "foo") == err("ERR unknown subcommand 'foo'. Try SLOWLOG HELP.")
    assert conn.cmd("SLOWLOG", "LEN", "x") == err(
        "ERR wrong number of arguments for 'slowlog|len' command")
    assert conn.cmd("CONFIG", "SET", "slowlog-log-slower-than", "-2") == err(
        "ERR CONFIG SET failed (possibly related to argument 'slowlog-log-slower-than') - "
        "argument must be between -1 and 9223372036854775807 inclusive")
    help_lines = conn.cmd_parsed("SLOWLOG", "HELP")
    assert help_lines[0] == b"SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert help_lines[1:3] == [
        b"GET [<count>]",
        b"    Return top <count> entries from the slowlog (default: 10, -1 mean all)."]
    assert help_lines[-2:] == [b"HELP", b"    Prints this help."]
    assert len(help_lines) == 12


def debug_server(server_factory, *extra):
    return server_factory(["--enable-debug-command", "yes", *extra])


def test_latency_monitor_records_spikes(server_factory, raw):
    # 25 ms: far above what an ordinary command takes even on a busy machine,
    # so the only spike is the DEBUG SLEEP's.
    s = debug_server(server_factory, "--latency-monitor-threshold", "25")
    conn = raw(s.port)
    assert conn.cmd("LATENCY", "LATEST") == b"*0\r\n"
    assert conn.cmd("LATENCY", "DOCTOR").startswith(b"$")  # RESP2 verbatim = bulk
    assert b"no latency spike was observed" in conn.cmd("LATENCY", "DOCTOR")
    assert conn.cmd("DEBUG", "SLEEP", "0.06") == b"+OK\r\n"
    latest = {e[0]: e[1:] for e in conn.cmd_parsed("LATENCY", "LATEST")}
    when, last, high = latest[b"command"]
    assert last >= 60 and high >= last and when > 1_600_000_000
    history = conn.cmd_parsed("LATENCY", "HISTORY", "command")
    assert len(history) == 1 and history[0][1] == last
    assert conn.cmd("LATENCY", "HISTORY", "nosuch") == b"*0\r\n"
    graph = conn.cmd_parsed("LATENCY", "GRAPH", "command").decode()
    lines = graph.split("\n")
    assert lines[0] == "command - high %d ms, low %d ms (all time high %d ms)" % (last, last, high)
    assert lines[1] == "-" * 80
    assert lines[2:7] == [" ", " ", " ", "_", " "]  # one sample: the lowest step
    assert lines[7] in ("0", "1") and lines[8] == "s"  # its age, written downwards
    doctor = conn.cmd_parsed("LATENCY", "DOCTOR").decode()
    assert doctor.startswith("Dave, I have observed latency spikes in this Redis instance.")
    assert "1. command: 1 latency spikes (average %dms, mean deviation 0ms, period 1.00 sec). "\
           "Worst all time event %dms." % (last, high) in doctor
    assert conn.cmd("LATENCY", "RESET", "nosuch") == b":0\r\n"
    assert conn.cmd("LATENCY", "RESET") == b":%d\r\n" % len(latest)
    assert conn.cmd("LATENCY", "LATEST") == b"*0\r\n"
    assert conn.cmd("LATENCY", "GRAPH", "command") == err(
        "ERR No samples available for event 'command'")
    assert conn.cmd_parsed("LATENCY", "DOCTOR") == (
        b"Dave, no latency spike was observed during the lifetime of this Redis instance, not in "
        b"the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, "
        b"and think things over.\n")


def test_latency_monitor_off_by_default_and_threshold(server_factory, raw):
    s = debug_server(server_factory)
    conn = raw(s.port)
    assert conn.cmd("CONFIG", "GET", "latency-monitor-threshold") == (
        b"*2\r\n$25\r\nlatency-monitor-threshold\r\n$1\r\n0\r\n")
    conn.cmd("DEBUG", "SLEEP", "0.01")
    assert conn.cmd("LATENCY", "LATEST") == b"*0\r\n"
    conn.cmd("CONFIG", "SET", "latency-monitor-threshold", "1000")
    conn.cmd("DEBUG", "SLEEP", "0.01")
    assert conn.cmd("LATENCY", "LATEST") == b"*0\r\n"
    assert conn.cmd("CONFIG", "SET", "latency-monitor-threshold", "-1") == err(
        "ERR CONFIG SET failed (possibly related to argument 'latency-monitor-threshold') - "
        "argument must be between 0 and 9223372036854775807 inclusive")


def test_latency_errors_and_help(server, raw):
    conn = raw()
    assert conn.cmd("LATENCY", "HISTORY") == err(
        "ERR wrong number of arguments for 'latency|history' command")
    assert conn.cmd("LATENCY", "nope") == err("ERR unknown subcommand 'nope'. Try LATENCY HELP.")
    help_lines = conn.cmd_parsed("LATENCY", "HELP")
    assert help_lines[0] == b"LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert b"HISTOGRAM [COMMAND ...]" in help_lines
    assert len(help_lines) == 17


def test_latency_histogram(server_factory, raw):
    s = server_factory()
    conn = raw(s.port)
    conn.cmd("CONFIG", "RESETSTAT")
    for i in range(20):
        conn.cmd("SET", "k%d" % i, "v")
    for i in range(7):
        conn.cmd("GET", "k%d" % i)
    conn.cmd("CONFIG", "GET", "port")
    reply = conn.cmd_parsed("LATENCY", "HISTOGRAM", "set", "GET", "nosuch", "config|get")
    hist = dict(zip(reply[::2], reply[1::2]))
    assert set(hist) == {b"set", b"get", b"config|get"}
    for name, calls in ((b"set", 20), (b"get", 7), (b"config|get", 1)):
        h = dict(zip(hist[name][::2], hist[name][1::2]))
        assert h[b"calls"] == calls
        buckets = h[b"histogram_usec"]
        limits, counts = buckets[::2], buckets[1::2]
        assert limits == sorted(limits) and counts == sorted(counts)
        assert counts[-1] == calls
    assert conn.cmd("LATENCY", "HISTOGRAM", "nosuch") == b"*0\r\n"
    everything = conn.cmd_parsed("LATENCY", "HISTOGRAM")
    assert {b"set", b"get", b"config|get", b"latency|histogram"} <= set(everything[::2])


def latency_lines(conn):
    out = {}
    for line in conn.cmd_parsed("INFO", "latencystats").split(b"\r\n"):
        m = LAT_LINE.match(line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def test_info_latencystats(server_factory, raw):
    s = server_factory()
    conn = raw(s.port)
    conn.cmd("CONFIG", "RESETSTAT")
    conn.cmd("SET", "a", "b")
    conn.cmd("CLIENT", "GETNAME")
    lines = latency_lines(conn)
    assert set(lines) >= {b"set", b"client|getname", b"config|resetstat"}
    assert re.fullmatch(rb"p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}", lines[b"set"])
    assert conn.cmd("CONFIG", "SET", "latency-tracking-info-percentiles", "50.5 99.99") == b"+OK\r\n"
    assert conn.cmd("CONFIG", "GET", "latency-tracking-info-percentiles") == (
        b"*2\r\n$33\r\nlatency-tracking-info-percentiles\r\n$10\r\n50.5 99.99\r\n")
    assert re.fullmatch(rb"p50\.5=\d+\.\d{3},p99\.99=\d+\.\d{3}", latency_lines(conn)[b"set"])
    assert conn.cmd("CONFIG", "SET", "latency-tracking-info-percentiles", "200") == err(
        "ERR CONFIG SET failed (possibly related to argument 'latency-tracking-info-percentiles') "
        "- latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")
    assert conn.cmd("CONFIG", "SET", "latency-tracking-info-percentiles", "50 abc") == err(
        "ERR CONFIG SET failed (possibly related to argument 'latency-tracking-info-percentiles') "
        "- Invalid latency-tracking-info-percentiles parameters")
    assert conn.cmd("CONFIG", "SET", "latency-tracking", "no") == b"+OK\r\n"
    conn.cmd("CONFIG", "RESETSTAT")
    conn.cmd("SET", "a", "b")
    assert latency_lines(conn) == {}
    assert conn.cmd_parsed("INFO", "latencystats") == b"# Latencystats\r\n"


def section_names(text):
    return [line[2:] for line in text.split(b"\r\n") if line.startswith(b"# ")]


def test_info_section_order(server, raw):
    conn = raw()
    everything = section_names(conn.cmd_parsed("INFO", "all"))
    assert everything.index(b"Commandstats") < everything.index(b"Errorstats") < \
        everything.index(b"Latencystats") < everything.index(b"Cluster")
    assert b"Latencystats" not in section_names(conn.cmd_parsed("INFO"))


def field_names(section_text):
    return [line.split(b":")[0] for line in section_text.split(b"\r\n")
            if line and not line.startswith(b"#")]


def test_info_cpu_and_clients_fields(server, raw):
    conn = raw()
    assert field_names(conn.cmd_parsed("INFO", "cpu")) == [
        b"used_cpu_sys", b"used_cpu_user", b"used_cpu_sys_children", b"used_cpu_user_children",
        b"used_cpu_sys_main_thread", b"used_cpu_user_main_thread"]
    for line in conn.cmd_parsed("INFO", "cpu").split(b"\r\n")[1:-1]:
        assert re.fullmatch(rb"[a-z_]+:\d+\.\d{6}", line)
    assert field_names(conn.cmd_parsed("INFO", "clients")) == [
        b"connected_clients", b"cluster_connections", b"maxclients",
        b"client_recent_max_input_buffer", b"client_recent_max_output_buffer",
        b"blocked_clients", b"tracking_clients", b"clients_in_timeout_table"]


def test_client_list_fields_match_redis(server, raw):
    conn = raw()
    conn.cmd("CLIENT", "SETNAME", "lister")
    line = conn.cmd_parsed("CLIENT", "LIST").strip().split(b"\n")
    mine = [l for l in line if b" name=lister " in l]
    assert len(mine) == 1
    fields = [kv.split(b"=")[0] for kv in mine[0].split(b" ")]
    assert fields == [b"id", b"addr", b"laddr", b"fd", b"name", b"age", b"idle", b"flags", b"db",
                      b"sub", b"psub", b"ssub", b"multi", b"qbuf", b"qbuf-free", b"argv-mem",
                      b"multi-mem", b"rbs", b"rbp", b"obl", b"oll", b"omem", b"tot-mem",
                      b"events", b"cmd", b"user", b"redir", b"resp"]
    values = dict(kv.split(b"=", 1) for kv in mine[0].split(b" "))
    assert values[b"cmd"] == b"client|list" and values[b"flags"] == b"N"
    assert values[b"multi"] == b"-1" and values[b"resp"] == b"2" and values[b"user"] == b"default"
