"""Lua scripting: EVAL, EVALSHA, SCRIPT, FUNCTION and FCALL.

Replies are compared byte for byte with redis-server 7.0 for every
conversion rule, error path and sandbox rule; redis-py's script helpers and
Lock run against Magpie; concurrency tests check that scripts are atomic
across workers whether they declare their keys or not; busy scripts give
-BUSY to other clients and stop on SCRIPT KILL / FUNCTION KILL.
"""

import codecs
import re
import shlex
import struct
import threading
import time

import pytest
import redis

from conftest import SANITIZED, RawConn, run_concurrently


def parse_cases(text):
    """One command a line, shell-quoted, with \\n escapes inside quotes."""
    out = []
    for line in text.strip().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append([codecs.decode(a, "unicode_escape") for a in shlex.split(line)])
    return out


EVAL_CASES = parse_cases(r"""
eval "return {1,2.7,'x',true,false,nil,3}" 0
eval "return 3.99" 0
eval "return -3.99" 0
eval "return 1e30" 0
eval "return 'a\0b'" 0
eval "return {}" 0
eval "return {{1,{2,{3}}},'x'}" 0
eval "return redis.call('get')" 0
eval "return redis.call('nosuch')" 0
eval "return redis.pcall('nosuch')" 0
eval "return redis.call('config','nosuch')" 0
set s x
eval "return redis.call('incr','s')" 0
eval "return redis.pcall('incr','s')" 0
eval "local r = redis.pcall('incr','s'); return r['err']" 0
eval "return type(redis.pcall('incr','s'))" 0
eval "return foo" 0
eval "foo=1" 0
eval "return (" 0
eval "error('x')" 0
eval "error({err='MY x'})" 0
eval "error({err='x'})" 0
eval "local t = {} t.x.y = 1" 0
eval "return 1 + {}" 0
eval "return redis.error_reply('MY err')" 0
eval "return redis.error_reply('noprefix')" 0
eval "return redis.error_reply('-noprefix')" 0
eval "return redis.error_reply('-CODE with text')" 0
eval "return redis.status_reply('FINE')" 0
eval "return redis.status_reply()" 0
eval "return {err='abc'}" 0
eval "return {ok='abc'}" 0
eval "return {ok='a\r\nb'}" 0
evalsha ffffffffffffffffffffffffffffffffffffffff 0
evalsha fff 0
eval "return 1" -1
eval "return 1" 3 a
eval "return 1" x
eval "return redis.call('multi')" 0
eval "return redis.call('blpop','l',0)" 0
eval "return redis.call('client','id')" 0
eval "return redis.call('eval','return 1','0')" 0
eval "return redis.call('script','load','return 1')" 0
eval "return redis.call('blmpop','0','1','l','LEFT')" 0
eval_ro "return redis.call('set','a',1)" 0
eval_ro "return redis.call('get','a')" 0
eval "#!lua flags=no-writes\nreturn redis.call('set','a',1)" 0
eval "#!lua flags=no-writes,allow-oom\nreturn 1" 0
eval "#!lua flags=bad\nreturn 1" 0
eval "#!lua foo=bar\nreturn 1" 0
eval "#!js\nreturn 1" 0
eval "#!lua name=x\nreturn 1" 0
eval "#!lua flags=\nreturn 1" 0
eval "#!lua flags=no-writes,\nreturn 1" 0
eval "#!lua  flags=no-writes\nreturn 1" 0
eval "#!\nreturn 1" 0
eval "#!lua" 0
eval "#!lua\nreturn redis.call('set','zz','1')" 0
eval_ro "#!lua\nreturn 1" 0
eval_ro "#!lua flags=no-writes\nreturn 1" 0
eval "return {redis.call('ping')}" 0
eval "return type(redis.call('get','nokey'))" 0
eval "return tostring(redis.call('get','nokey'))" 0
eval "redis.call('rpush','l','a','b'); return redis.call('lrange','l',0,-1)" 0
eval "redis.call('hset','h','f','v'); return redis.call('hgetall','h')" 0
eval "redis.call('zadd','z',1.5,'m'); return redis.call('zrange','z',0,-1,'withscores')" 0
eval "return redis.call('zscore','z','m')" 0
eval "return redis.call('exists','a','l','nope')" 0
eval "redis.call('set','n',0.1); return redis.call('get','n')" 0
eval "redis.call('set','n',1e20); return redis.call('get','n')" 0
eval "redis.call('set','n',10); return redis.call('get','n')" 0
eval "return redis.call('set','n',{})" 0
eval "return redis.call('set','n',true)" 0
eval "return redis.call()" 0
eval "return redis.pcall()" 0
eval "redis.setresp(4)" 0
eval "redis.setresp()" 0
eval "return redis.setresp(3)" 0
eval "redis.setresp(3); return false" 0
eval "redis.setresp(3); return true" 0
eval "redis.setresp(3); return nil" 0
eval "redis.setresp(3); local x = redis.call('get','nokey'); return type(x)" 0
eval "redis.setresp(3); return redis.call('hgetall','h')" 0
eval "redis.setresp(3); return redis.call('zscore','z','m')" 0
eval "redis.setresp(3); local r = redis.call('hgetall','h'); return r['map']['f']" 0
eval "redis.setresp(3); local r = redis.call('zscore','z','m'); return tostring(r['double'])" 0
eval "redis.setresp(3); local r = redis.call('smembers','nos'); return type(r['set'])" 0
eval "return {double=3.5}" 0
eval "return {map={a=1}}" 0
eval "return {set={a=true}}" 0
eval "return {big_number='123'}" 0
eval "return {verbatim_string={format='txt',string='hi'}}" 0
eval "redis.call('select','3'); redis.call('set','dbkey','1'); return redis.call('dbsize')" 0
get dbkey
eval "return redis.sha1hex('abc')" 0
eval "return redis.sha1hex('')" 0
eval "return redis.sha1hex()" 0
eval "redis.log(redis.LOG_WARNING, 'hello from lua'); return 1" 0
eval "redis.log(redis.LOG_WARNING)" 0
eval "redis.log(9, 'x')" 0
eval "redis.log('x', 'x')" 0
eval "return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}" 0
eval "return redis.REDIS_VERSION_NUM >= 458752" 0
eval "return redis.replicate_commands()" 0
eval "return redis.set_repl(redis.REPL_ALL)" 0
eval "return redis.set_repl(99)" 0
eval "return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_REPLICA, redis.REPL_SLAVE, redis.REPL_ALL}" 0
eval "return redis.breakpoint()" 0
eval "return redis.debug('x')" 0
eval "return type(redis.register_function)" 0
eval "return type(os)" 0
eval "return type(io)" 0
eval "return type(loadstring)" 0
eval "return type(loadfile)" 0
eval "return type(dofile)" 0
eval "return type(require)" 0
eval "return type(print)" 0
eval "return type(setfenv)" 0
eval "return type(getfenv)" 0
eval "return type(newproxy)" 0
eval "return type(coroutine)" 0
eval "return type(module)" 0
eval "return type(debug)" 0
eval "return type(unpack) .. type(pcall) .. type(select) .. type(tonumber)" 0
eval "return type(bit) .. type(cjson) .. type(cmsgpack) .. type(struct)" 0
eval "return type(_G)" 0
eval "_G.x = 1" 0
eval "rawset(_G, 'x', 1); return 1" 0
eval "redis.call = nil" 0
eval "redis.x = 1" 0
eval "string.x = 1" 0
eval "math.x = 1" 0
eval "cjson.x = 1" 0
eval "local t = {}; t.x = 1; return t.x" 0
eval "local n = 0 for k in pairs(string) do n = n + 1 end return n" 0
eval "local n = 0 for k in pairs(math) do n = n + 1 end return n" 0
eval "local n = {} for k in pairs(redis) do n[#n + 1] = k end table.sort(n) return n" 0
eval "return type(next(table))" 0
eval "return redis.acl_check_cmd('set','x','y')" 0
eval "return redis.acl_check_cmd('config','get')" 0
eval "return redis.acl_check_cmd('nosuch')" 0
eval "return redis.acl_check_cmd()" 0
eval "return redis.acl_check_cmd({})" 0
eval "local t = {}; rawset(t, 'x', 2); return t.x" 0
eval "return type(KEYS) .. #KEYS .. #ARGV" 2 a b c
eval "return {KEYS[1], KEYS[2], ARGV[1]}" 2 a b c
eval "return loadstring('return 1')()" 0
eval "loadstring('y = 1')()" 0
eval "return cjson.encode({1,2,3})" 0
eval "return cjson.decode('[1,2]')[2]" 0
eval "return bit.band(7, 3)" 0
eval "return string.format('%5.2f', 3.14159)" 0
eval "return ('abc'):upper()" 0
eval "return table.concat({'a','b'}, '-')" 0
eval "return select('#', 1, 2, 3)" 0
eval "return pcall(error, 'x')" 0
eval "local ok, e = pcall(redis.call, 'incr', 's'); return e['err']" 0
eval "local ok, e = pcall(function() error({err='CUSTOM c'}) end); return e['err']" 0
eval "local ok, e = pcall(function() error({err='CUSTOM c'}) end); return {type(e), tostring(e)}" 0
eval "local ok, e = pcall(function() error({foo='x'}) end); return type(e)" 0
eval "local ok, e = pcall(function() error('plain') end); return {type(e), tostring(e)}" 0
eval "local ok, e = pcall(function() local t = nil; return t.x end); return {type(e), tostring(e)}" 0
eval "local ok, e = pcall(redis.call, 'nosuch'); return {type(e), tostring(e)}" 0
eval "local ok, e = pcall(redis.call); return {type(e), tostring(e)}" 0
eval "local ok, e = pcall(redis.sha1hex); return {type(e), tostring(e)}" 0
eval "local ok, e = pcall(error, {err='E1 x'}); return {type(e), tostring(e)}" 0
eval "local ok, e = pcall(error); return {type(e), tostring(e)}" 0
eval "local ok, e = pcall(function() return nosuchglobal end); return {type(e), tostring(e)}" 0
eval "local ok, e = xpcall(function() error({err='X y'}) end, function(m) return m end); return type(e)" 0
eval "return {pcall(error, 'x')}" 0
eval "return {pcall(function(a, b) return a + b, 'r' end, 1, 2)}" 0
eval "local ok, e = pcall(redis.setresp, 7); return e" 0
eval "local ok, e = pcall(redis.log); return e" 0
eval "local ok, e = pcall(redis.set_repl, 99); return e" 0
eval "local ok, e = pcall(rawset, _G, 'x', 1); return {type(e), tostring(e)}" 0
eval "local ok, e = pcall(function() _G.x = 1 end); return {type(e), tostring(e)}" 0
script load "return 1"
script load "return ("
script exists e0e1f9fabfc9d4800c877a703b823ac0578ff8db ffffffffffffffffffffffffffffffffffffffff
script exists E0E1F9FABFC9D4800C877A703B823AC0578FF8DB
evalsha E0E1F9FABFC9D4800C877A703B823AC0578FF8DB 0
evalsha e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0
evalsha_ro e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0
script flush foo
script flush async
evalsha e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0
script flush sync
script flush
script kill
script exists
script nosuch
""")

FUNCTION_CASES = parse_cases(r"""
function flush
function load "#!lua name=mylib\nredis.register_function('f1', function(keys, args) return keys[1] end)"
fcall f1 1 a
fcall nosuch 0
fcall f1 -1
fcall f1 2 a
fcall f1 x
function load "#!lua name=mylib\nredis.register_function('f1', function(keys, args) return 2 end)"
function load replace "#!lua name=mylib\nredis.register_function('f1', function(keys, args) return 2 end)"
function load bogus "#!lua name=mylib\nredis.register_function('f1', function(keys, args) return 2 end)"
fcall f1 0
function list
function list withcode libraryname my
function list withcode libraryname my*
function stats
function delete nosuch
function load "#!lua name=bad\nerror('x')"
function load "#!lua name=bad2\nreturn 1"
function load "#!lua name=bad3\nredis.call('ping')"
function load "#!lua name=bad4\nredis.register_function('f1', function() return 1 end)"
function load "#!lua name=bad5 foo=bar\nredis.register_function('g', function() return 1 end)"
function load "#!lua\nredis.register_function('g', function() return 1 end)"
function load "#!lua name=bad6\nredis.register_function('1g-', function() return 1 end)"
function load "#!lua name=bad7\nlocal x = 1"
function load "redis.register_function('f1', function(keys, args) return 1 end)"
function load "#!lua name=e\nredis.register_function('ef', function(keys, args) error('boom') end)"
fcall ef 0
function load "#!lua name=e2\nredis.register_function{function_name='ro', callback=function(keys, args) return redis.call('set','x','1') end, flags={'no-writes'}}"
fcall ro 0
fcall_ro ro 0
fcall_ro f1 0
function load "#!lua name=t1\nlocal x = string.format('a')\nredis.register_function('t1', function() return 1 end)"
function load "#!lua name=t3\nredis.log(redis.LOG_NOTICE, 'x')\nredis.register_function('t3', function() return 1 end)"
function load "#!lua name=t5\nlocal y = tostring(1) .. type(pcall)\nredis.register_function('t5', function() return 1 end)"
function load "#!lua name=t6\nredis.setresp(3)\nredis.register_function('t6', function() return 1 end)"
function load "#!lua name=t7\nx = 1\nredis.register_function('t7', function() return 1 end)"
function load "#!lua name=t8\nredis.register_function('t8', function() return x end)"
fcall t8 0
function load "#!lua name=t9\nredis.register_function('t9', function() y = 1 end)"
fcall t9 0
function load "#!lua name=t10\nredis.register_function('t10', 1)"
function load "#!lua name=t11\nredis.register_function{function_name='t11', callback=function() return 1 end, flags={'bad'}}"
function load "#!lua name=t12\nredis.register_function{function_name='t12', callback=function() return 1 end, description='d', flags={'no-writes','allow-oom'}}"
function load "#!lua name=t13\nredis.register_function{function_name='t13', callback=function() return 1 end, foo=1}"
function load "#!lua name=t14\nredis.register_function()"
function load "#!lua name=t15\nredis.register_function('a','b','c')"
function list libraryname t12
function load "#!lua name=t17\nredis.register_function('t17', function() return redis.call('x') end)"
fcall t17 0
function load "#!lua name=t18\nredis.register_function('t18', function(k, a) return {#k, #a, k[1], a[1]} end)"
fcall t18 1 kk aa
fcall_ro t18 1 kk aa
function load "#!lua name=t19\nredis.register_function('t19', function(k, a) return KEYS end)"
fcall t19 0
function load "#!lua name=t20\nlocal function helper() return 5 end\nredis.register_function('t20', function(k, a) return helper() end)"
fcall t20 0
function load "#!lua name=t21\nwhile true do end"
function load "#!lua name=t22\nredis.register_function('t22', function() return 1 end)\nredis.register_function('t22', function() return 1 end)"
function load "#!lua name=t23\nredis.register_function('t23', function() return 1 end"
function load "#!js name=t24\nredis.register_function('t24', function() return 1 end)"
function load "#!lua name=t25\nredis.register_function('t25', function() return redis.register_function('z', function() end) end)"
fcall t25 0
function load "#!lua name=t26\nredis.register_function('t26', function(k, a) redis.setresp(3); return redis.call('hgetall', k[1]) end)"
hset hh f v
fcall t26 1 hh
function delete e2
fcall ro 0
function list libraryname e*
function stats
function kill
function list foo
function list libraryname
function flush bad
function flush async
function list
function stats
function nosuch
function help
""")

SCRUB_ID = re.compile(rb"\$2\r\nid\r\n:\d+\r\n")


def run_cases(a_port, b_port, cases, resp):
    a, b = RawConn(a_port), RawConn(b_port)
    try:
        for conn in (a, b):
            assert conn.cmd("FLUSHALL") == b"+OK\r\n"
            conn.cmd("FUNCTION", "FLUSH")
            if resp == 3:
                conn.cmd("HELLO", "3")
        for cmd in cases:
            ra, rb = a.cmd(*cmd), b.cmd(*cmd)
            assert SCRUB_ID.sub(b"", ra) == SCRUB_ID.sub(b"", rb), cmd
    finally:
        a.close()
        b.close()


@pytest.mark.parametrize("resp", [2, 3])
def test_eval_replies_match_redis(server, redis_ref, resp):
    run_cases(server.port, redis_ref.port, EVAL_CASES, resp)


@pytest.mark.parametrize("resp", [2, 3])
def test_function_replies_match_redis(server, redis_ref, resp):
    run_cases(server.port, redis_ref.port, FUNCTION_CASES, resp)


def test_scripts_inside_multi_match_redis(server, redis_ref):
    cases = parse_cases(r"""
multi
eval "return redis.call('incr', KEYS[1])" 1 c
set c x
eval "return redis.call('incr', KEYS[1])" 1 c
eval "return redis.call('get', 'c')" 0
exec
""")
    run_cases(server.port, redis_ref.port, cases, 2)


# ---- redis-py ---------------------------------------------------------------

def test_register_script_and_evalsha_fallback(r):
    incr_by = r.register_script(
        "local v = redis.call('INCRBY', KEYS[1], ARGV[1]) return v")
    assert incr_by(keys=["counter"], args=[5]) == 5
    r.script_flush()
    # redis-py retries with EVAL after NOSCRIPT.
    assert incr_by(keys=["counter"], args=[2]) == 7
    assert r.script_exists(incr_by.sha) == [True]


def test_lock_release_script(r):
    """The stampede-lock pattern: release only if we still own the lock."""
    release = r.register_script(
        "if redis.call('get', KEYS[1]) == ARGV[1] then "
        "return redis.call('del', KEYS[1]) else return 0 end")
    assert r.set("lock:report", "token-a", nx=True, px=10000)
    assert release(keys=["lock:report"], args=["token-b"]) == 0
    assert r.get("lock:report") == b"token-a"
    assert release(keys=["lock:report"], args=["token-a"]) == 1
    assert r.get("lock:report") is None


def test_redis_py_lock(r):
    lock = r.lock("resource", timeout=5, blocking_timeout=1)
    assert lock.acquire()
    other = r.lock("resource", timeout=5, blocking_timeout=0.1)
    assert not other.acquire()
    assert lock.extend(5)
    lock.release()
    assert other.acquire()
    other.release()


def test_script_in_pipeline(r):
    s = r.register_script("return redis.call('SET', KEYS[1], ARGV[1])")
    with r.pipeline(transaction=True) as p:
        s(keys=["pk"], args=["pv"], client=p)
        p.get("pk")
        assert p.execute() == [b"OK", b"pv"]


def test_function_load_and_fcall(r):
    code = ("#!lua name=counters\n"
            "redis.register_function('bump', function(keys, args)\n"
            "  return redis.call('INCRBY', keys[1], args[1]) end)\n"
            "redis.register_function{function_name='peek', callback=function(keys)\n"
            "  return redis.call('GET', keys[1]) end, flags={'no-writes'}}\n")
    assert r.function_load(code) == b"counters"
    assert r.fcall("bump", 1, "fc", 3) == 3
    assert r.fcall_ro("peek", 1, "fc") == b"3"
    lib = r.function_list()[0]  # RESP2: a flat list of names and values
    assert lib[lib.index(b"library_name") + 1] == b"counters"
    r.function_delete("counters")
    with pytest.raises(redis.ResponseError, match="Function not found"):
        r.fcall("bump", 1, "fc", 3)


def test_functions_reach_every_worker(server, r):
    """Each worker has its own Lua state: a library loaded through one
    connection is callable from connections on the other workers."""
    r.function_load("#!lua name=w\nredis.register_function('w', function() return 'w' end)",
                    replace=True)
    clients = [server.client() for _ in range(4)]
    try:
        for c in clients:
            assert c.fcall("w", 0) == b"w"
        r.function_load("#!lua name=w\nredis.register_function('w', function() return 'v2' end)",
                        replace=True)
        for c in clients:
            assert c.fcall("w", 0) == b"v2"
    finally:
        for c in clients:
            c.close()
        r.function_flush()


def test_select_inside_script_does_not_leak(r):
    r.eval("redis.call('select', '5'); redis.call('set', 'k5', 'v')", 0)
    assert r.get("k5") is None
    r.execute_command("SELECT", "5")
    assert r.get("k5") == b"v"
    r.execute_command("SELECT", "0")


# ---- Atomicity across workers ----------------------------------------------

TRANSFER = """
local a = tonumber(redis.call('get', KEYS[1]))
local b = tonumber(redis.call('get', KEYS[2]))
redis.call('set', KEYS[1], a - 1)
redis.call('set', KEYS[2], b + 1)
return a + b
"""

# The same transfer on keys the script builds itself (not declared).
TRANSFER_UNDECLARED = """
local ka, kb = ARGV[1], ARGV[2]
local a = tonumber(redis.call('get', ka))
local b = tonumber(redis.call('get', kb))
redis.call('set', ka, a - 1)
redis.call('set', kb, b + 1)
return a + b
"""


@pytest.mark.parametrize("declared", [True, False])
def test_scripts_are_atomic_across_workers(server, r, declared):
    """Script writers move units between two keys on different shards;
    readers on other workers (plain MGET, MULTI, and a script) never see a
    state in between, and no update is lost."""
    r.mset({"acct:a": 1000, "acct:b": 0})
    rounds = 150 if SANITIZED else 1500
    errors = []
    body = TRANSFER if declared else TRANSFER_UNDECLARED

    def writer():
        c = server.client()
        s = c.register_script(body)
        for _ in range(rounds):
            if declared:
                total = s(keys=["acct:a", "acct:b"])
            else:
                total = s(keys=[], args=["acct:a", "acct:b"])
            if total != 1000:
                errors.append(("writer saw", total))
        c.close()

    def reader():
        c = server.client()
        s = c.register_script("return tonumber(redis.call('get', KEYS[1])) + "
                              "tonumber(redis.call('get', KEYS[2]))")
        for _ in range(rounds):
            a, b = c.mget("acct:a", "acct:b")
            if int(a) + int(b) != 1000:
                errors.append((a, b))
            if s(keys=["acct:a", "acct:b"]) != 1000:
                errors.append("script reader")
        c.close()

    run_concurrently([writer] * 3 + [reader] * 2, 180)
    assert errors == []
    assert int(r.get("acct:b")) == 3 * rounds


def test_fifty_clients_increment_through_script_and_watch(server, r):
    """50 clients increment one counter, half through a script that reads
    and writes it, half through WATCH/MULTI retries: no increment is lost."""
    n_clients = 10 if SANITIZED else 50
    per_client = 10 if SANITIZED else 40
    r.set("ctr", 0)
    script = ("local v = tonumber(redis.call('get', KEYS[1])) "
              "redis.call('set', KEYS[1], v + 1) return v + 1")

    def via_script():
        c = server.client()
        s = c.register_script(script)
        for _ in range(per_client):
            s(keys=["ctr"])
        c.close()

    def via_watch():
        c = server.client()
        for _ in range(per_client):
            with c.pipeline() as p:
                while True:
                    try:
                        p.watch("ctr")
                        v = int(p.get("ctr"))
                        p.multi()
                        p.set("ctr", v + 1)
                        p.execute()
                        break
                    except redis.WatchError:
                        continue
        c.close()

    run_concurrently([via_script if i % 2 else via_watch for i in range(n_clients)], 300)
    assert int(r.get("ctr")) == n_clients * per_client


def test_script_learns_undeclared_keys(server, r):
    """A script that touches keys it did not declare keeps working when
    its keys change between runs (scope widening)."""
    s = r.register_script("return redis.call('incr', ARGV[1])")
    for i in range(50):
        assert s(keys=["declared"], args=["k%d" % (i % 7)]) == i // 7 + 1
    s2 = r.register_script("redis.call('select', ARGV[1]) return redis.call('incr', 'x')")
    assert s2(args=["2"]) == 1
    assert s2(args=["3"]) == 1
    assert s2(args=["2"]) == 2


def test_blocking_commands_do_not_block_in_scripts(r):
    t = time.time()
    assert r.eval("return redis.call('blmpop', 5, 1, 'nolist', 'LEFT')", 0) is None
    assert time.time() - t < 3


# ---- Busy scripts ------------------------------------------------------------

def start_busy(port, body, result):
    def run():
        c = RawConn(port, timeout=60)
        result.append(c.cmd("EVAL", body, "0"))
        c.close()
    t = threading.Thread(target=run)
    t.start()
    return t


def wait_busy(port, deadline=10):
    end = time.time() + deadline
    while time.time() < end:
        c = RawConn(port)
        reply = c.cmd("PING")
        c.close()
        if reply.startswith(b"-BUSY"):
            return reply
        time.sleep(0.05)
    raise AssertionError("the script never became busy")


def test_busy_script_gives_busy_and_script_kill_stops_it(server_factory):
    s = server_factory(["--busy-reply-threshold", "100"])
    result = []
    t = start_busy(s.port, "local i = 0 while true do i = i + 1 end", result)
    assert wait_busy(s.port) == (b"-BUSY Redis is busy running a script. You can only call "
                                 b"SCRIPT KILL or SHUTDOWN NOSAVE.\r\n")
    # Several connections, so some land on the script's own worker.
    conns = [RawConn(s.port) for _ in range(4)]
    for c in conns:
        assert c.cmd("GET", "x").startswith(b"-BUSY")
        assert c.cmd("FUNCTION", "KILL") == b"-NOTBUSY No scripts in execution right now.\r\n"
    assert conns[0].cmd("SCRIPT", "KILL") == b"+OK\r\n"
    t.join(30)
    assert result and result[0].startswith(b"-ERR Script killed by user with SCRIPT KILL...")
    for c in conns:
        assert c.cmd("PING") == b"+PONG\r\n"
        c.close()
    assert s.client().info("stats")["total_connections_received"] >= 5


def test_busy_script_that_wrote_is_unkillable_and_shutdown_nosave_stops_it(server_factory):
    s = server_factory(["--busy-reply-threshold", "100"])
    result = []
    t = start_busy(s.port, "redis.call('set', 'w', 1) while true do end", result)
    wait_busy(s.port)
    c = RawConn(s.port)
    assert c.cmd("SCRIPT", "KILL").startswith(b"-UNKILLABLE Sorry the script already executed")
    assert c.cmd("SHUTDOWN").startswith(b"-BUSY")
    c.send(b"*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n")
    assert c.read_until_close(timeout=30) == b""
    t.join(30)
    assert s.wait_exit() == 0


def test_busy_function_and_function_kill(server_factory):
    s = server_factory(["--busy-reply-threshold", "100"])
    c = s.client()
    c.function_load("#!lua name=spin\nredis.register_function('spin', function() "
                    "while true do end end)")
    result = []

    def run():
        rc = RawConn(s.port, timeout=60)
        result.append(rc.cmd("FCALL", "spin", "0"))
        rc.close()
    t = threading.Thread(target=run)
    t.start()
    assert wait_busy(s.port) == (b"-BUSY Redis is busy running a script. You can only call "
                                 b"FUNCTION KILL or SHUTDOWN NOSAVE.\r\n")
    stats = c.function_stats()  # RESP2: flat lists of names and values
    running = stats[stats.index(b"running_script") + 1]
    assert running[running.index(b"name") + 1] == b"spin"
    assert c.execute_command("FUNCTION", "KILL") == b"OK"
    t.join(30)
    assert result[0].startswith(b"-ERR Script killed by user with FUNCTION KILL...")
    assert c.ping()


def test_pcall_cannot_swallow_script_kill(server_factory):
    s = server_factory(["--busy-reply-threshold", "100"])
    result = []
    body = "while true do pcall(function() while true do end end) end"
    t = start_busy(s.port, body, result)
    wait_busy(s.port)
    c = RawConn(s.port)
    assert c.cmd("SCRIPT", "KILL") == b"+OK\r\n"
    t.join(30)
    assert result and b"Script killed" in result[0]


# ---- FUNCTION DUMP / RESTORE ---------------------------------------------------

def test_function_dump_restores_across_magpie_and_redis(server, redis_ref):
    """A payload from either server restores on the other (Redis's format:
    opcode, string per library, RDB version, CRC-64)."""
    mag, ref = server.client(), redis_ref.client()
    try:
        for c in (mag, ref):
            c.function_flush()
        mag.function_load("#!lua name=m\nredis.register_function('from_magpie', "
                          "function(k, a) return 'm' .. a[1] end)")
        ref.function_load("#!lua name=r\nredis.register_function{function_name='from_redis', "
                          "callback=function() return 'r' end, flags={'no-writes'}}")
        from_mag, from_ref = mag.function_dump(), ref.function_dump()
        assert ref.function_restore(from_mag) is True
        assert mag.function_restore(from_ref) is True
        for c in (mag, ref):
            assert c.fcall("from_magpie", 0, "x") == b"mx"
            assert c.fcall_ro("from_redis", 0) == b"r"
        # Same libraries on both now: APPEND collides, REPLACE and FLUSH do not.
        both = mag.function_dump()
        for c in (mag, ref):
            with pytest.raises(redis.ResponseError, match="Library . already exists"):
                c.function_restore(both)
            assert c.function_restore(both, "REPLACE") is True
            assert c.function_restore(from_mag, "FLUSH") is True
            names = [lib[lib.index(b"library_name") + 1] for lib in c.function_list()]
            assert names == [b"m"]
    finally:
        for c in (mag, ref):
            c.function_flush()
            c.close()


def crc64(data):
    """Redis's CRC-64 (Jones polynomial, reflected), bit by bit."""
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x95AC9329AC4BC9B5 if crc & 1 else crc >> 1
    return crc


def payload(body, version=10):
    head = body + struct.pack("<H", version)
    return head + struct.pack("<Q", crc64(head))


def test_function_restore_errors_match_redis(server, redis_ref):
    code = b"#!lua name=pl\nredis.register_function('pl', function() return 1 end)"
    one = b"\xf5" + bytes([0x40 | (len(code) >> 8), len(code) & 0xFF]) + code
    cases = [
        ["FUNCTION", "RESTORE", b"x"],
        ["FUNCTION", "RESTORE", payload(b"") + b"x"],
        ["FUNCTION", "RESTORE", payload(b"", version=11)],
        ["FUNCTION", "RESTORE", payload(b"")[:-1] + b"\x00"],
        ["FUNCTION", "RESTORE", payload(b"")],
        ["FUNCTION", "RESTORE", payload(b""), "bogus"],
        ["FUNCTION", "RESTORE", payload(b""), "FLUSH", "x"],
        ["FUNCTION", "RESTORE", payload(b"\x00\x03abc")],
        ["FUNCTION", "RESTORE", payload(b"\xf5\x7f")],
        ["FUNCTION", "RESTORE", payload(b"\xf5\x05hello")],
        ["FUNCTION", "RESTORE", payload(one)],
        ["FCALL", "pl", "0"],
        ["FUNCTION", "RESTORE", payload(one)],
        ["FUNCTION", "RESTORE", payload(one), "REPLACE"],
        ["FUNCTION", "RESTORE", payload(one + one), "FLUSH"],
        ["FUNCTION", "DUMP"],
    ]
    run_cases(server.port, redis_ref.port, cases, 2)


def test_scripts_notify_publish_and_track_like_redis(server, redis_ref):
    """Writes inside a script emit keyspace events, redis.call('publish')
    delivers, and keys a script reads are tracked for its caller."""
    def session(port):
        out = []
        a, b, c = RawConn(port), RawConn(port), RawConn(port)
        try:
            a.cmd("FLUSHALL")
            a.cmd("CONFIG", "SET", "notify-keyspace-events", "KEA")
            out.append(b.cmd("SUBSCRIBE", "__keyevent@0__:set", "ch"))
            out.append(b.read_reply())
            out.append(a.cmd("EVAL", "redis.call('set', KEYS[1], 'v') "
                             "return redis.call('publish', 'ch', 'hello')", "1", "sk"))
            out.append(b.read_reply())
            out.append(b.read_reply())
            c.cmd("HELLO", "3")
            out.append(c.cmd("CLIENT", "TRACKING", "on"))
            out.append(c.cmd("EVAL", "return redis.call('get', KEYS[1])", "1", "sk"))
            out.append(a.cmd("SET", "sk", "w"))
            out.append(c.read_reply())
            a.cmd("CONFIG", "SET", "notify-keyspace-events", "")
        finally:
            for x in (a, b, c):
                x.close()
        return out
    assert session(server.port) == session(redis_ref.port)
