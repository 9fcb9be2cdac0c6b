#include "scripting/lua_vm.h"

#include <lua.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "commands/command.h"
#include "commands/helpers.h"
#include "common/util.h"
#include "protocol/reply.h"
#include "scripting/lua_cmsgpack.h"
#include "scripting/lua_struct.h"
#include "server/config.h"
#include "server/connection.h"
#include "server/log.h"
#include "server/server.h"
#include "server/worker.h"
#include "store/db.h"
#include "store/evict.h"

extern "C" int luaopen_cjson(lua_State* L);
extern "C" int luaopen_bit(lua_State* L);

namespace magpie {

namespace {

constexpr const char* kRedisVersion = "7.0.15";
constexpr int kRedisVersionNum = (7 << 16) | (0 << 8) | 15;
// The hook runs every this many VM instructions (about a millisecond).
constexpr int kHookInstructions = 100000;
constexpr int64_t kLoadTimeoutMs = 500;
// How long a script waits for a shard it did not declare, held by another
// client, before redis.call gives up (see AcquireShards).
constexpr int64_t kUndeclaredWaitUs = 1000000;
constexpr int kMaxReplyDepth = 256;

// Registry keys of each state (their addresses are light-userdata keys).
char kRealGlobals;
char kProxyMetas;
char kLoadEnvMeta;
char kLoadApi;

// What FUNCTION LOAD collects while a library's code runs.
struct LoadContext {
  Library* lib;
  std::vector<int>* refs;  // null: validation only
  std::vector<int> pending;
  int64_t deadline_us;
};

thread_local ScriptRun* t_run = nullptr;
thread_local LoadContext* t_load = nullptr;

void GetRegistry(lua_State* L, const char* key) {
  lua_pushlightuserdata(L, const_cast<char*>(key));
  lua_rawget(L, LUA_REGISTRYINDEX);
}

void SetRegistry(lua_State* L, const char* key) {  // pops the value
  lua_pushlightuserdata(L, const_cast<char*>(key));
  lua_insert(L, -2);
  lua_rawset(L, LUA_REGISTRYINDEX);
}

// ---- Errors -----------------------------------------------------------------

// Pushes Redis's error table {err = "CODE message"} for an error text: a
// leading '-' means the text carries its own code as its first word;
// otherwise the code is ERR. Trailing CR/LF are dropped.
void PushErrorTable(lua_State* L, std::string_view text) {
  std::string code = "ERR";
  std::string msg;
  if (!text.empty() && text[0] == '-') {
    size_t sp = text.find(' ');
    if (sp == std::string_view::npos) {
      msg = std::string(text.substr(1));
    } else {
      code = std::string(text.substr(1, sp - 1));
      msg = std::string(text.substr(sp + 1));
    }
  } else {
    msg = std::string(text);
  }
  while (!msg.empty() && (msg.back() == '\r' || msg.back() == '\n')) msg.pop_back();
  std::string full = code + " " + msg;
  lua_newtable(L);
  lua_pushlstring(L, full.data(), full.size());
  lua_setfield(L, -2, "err");
}

[[noreturn]] void RaiseErrorTable(lua_State* L, std::string_view text) {
  PushErrorTable(L, text);
  lua_error(L);
  std::abort();  // lua_error does not return
}

// A library function's error: {err = "ERR msg"}, without position.
[[noreturn]] void RaiseString(lua_State* L, const char* msg) { RaiseErrorTable(L, msg); }

// The message handler of every script call: turns the error into a table
// {err=..., source=..., line=...} naming where the script was when it
// failed (the first Lua frame, skipping the C function that raised).
int ErrorHandler(lua_State* L) {
  lua_Debug ar;
  bool have = false;
  if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar)) {
    have = true;
    if (std::strcmp(ar.what, "C") == 0) {
      have = lua_getstack(L, 2, &ar) && lua_getinfo(L, "Sl", &ar);
    }
  }
  if (!lua_istable(L, 1)) {
    std::string msg = "ERR ";
    size_t len = 0;
    const char* s = lua_tolstring(L, 1, &len);
    if (s != nullptr) {
      msg.append(s, len);
    } else {
      msg += luaL_typename(L, 1);
    }
    lua_newtable(L);
    lua_pushlstring(L, msg.data(), msg.size());
    lua_setfield(L, -2, "err");
    lua_replace(L, 1);
  }
  if (have) {
    lua_pushstring(L, ar.source);
    lua_setfield(L, 1, "source");
    lua_pushinteger(L, ar.currentline);
    lua_setfield(L, 1, "line");
  }
  lua_settop(L, 1);
  return 1;
}

// Writes the reply for an error a script raised:
// "<err> script: <name>, on <source>:<line>."
void ReplyRaisedError(lua_State* L, int idx, std::string_view name, ReplyBuilder& reply) {
  if (idx < 0) idx = lua_gettop(L) + 1 + idx;
  std::string msg;
  if (lua_istable(L, idx)) {
    lua_getfield(L, idx, "err");
    if (lua_isstring(L, -1)) msg = lua_tostring(L, -1);
    lua_pop(L, 1);
    lua_getfield(L, idx, "source");
    lua_getfield(L, idx, "line");
    if (!msg.empty() && lua_isstring(L, -2) && lua_isnumber(L, -1)) {
      msg += " script: ";
      msg.append(name);
      msg += ", on ";
      msg += lua_tostring(L, -2);
      msg += ":";
      msg += std::to_string(lua_tointeger(L, -1));
      msg += ".";
    }
    lua_pop(L, 2);
  } else if (lua_isstring(L, idx)) {
    msg = std::string("ERR ") + lua_tostring(L, idx);
  }
  if (msg.empty()) msg = "ERR unknown error";
  reply.Error(msg);
}

// ---- Sandbox ----------------------------------------------------------------

int ReadonlyNewIndex(lua_State* L) { return luaL_error(L, "Attempt to modify a readonly table"); }

int MissingGlobal(lua_State* L) {
  const char* name = lua_tostring(L, 2);
  return luaL_error(L, "Script attempted to access nonexistent global variable '%s'",
                    name != nullptr ? name : "?");
}

bool IsProxy(lua_State* L, int idx) {
  if (!lua_getmetatable(L, idx)) return false;
  GetRegistry(L, &kProxyMetas);
  lua_pushvalue(L, -2);
  lua_rawget(L, -2);
  bool proxy = lua_toboolean(L, -1);
  lua_pop(L, 3);
  return proxy;
}

// Replaces the argument at `idx` by the table a read-only view shows, so
// that next and pairs walk a library's functions as on Redis.
void UnwrapProxy(lua_State* L, int idx) {
  if (!lua_istable(L, idx) || !IsProxy(L, idx)) return;
  lua_getmetatable(L, idx);
  lua_getfield(L, -1, "__index");
  lua_replace(L, idx);
  lua_pop(L, 1);
}

int ProxyNext(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  UnwrapProxy(L, 1);
  lua_settop(L, 2);
  if (lua_next(L, 1)) return 2;
  lua_pushnil(L);
  return 1;
}

int ProxyPairs(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  UnwrapProxy(L, 1);
  lua_pushcfunction(L, ProxyNext);
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}

// rawset, refusing the read-only tables.
int SafeRawset(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checkany(L, 2);
  luaL_checkany(L, 3);
  if (IsProxy(L, 1)) {
    // As the Lua core raises it: a plain string without position.
    lua_pushstring(L, "Attempt to modify a readonly table");
    return lua_error(L);
  }
  lua_settop(L, 3);
  lua_rawset(L, 1);
  return 1;
}

// Redis's pcall: like Lua's, except that an error table {err = msg} is
// caught as its message string.
int RedisStylePcall(lua_State* L) {
  luaL_checkany(L, 1);
  int status = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
  if (status != 0) {
    if (lua_istable(L, -1)) {
      lua_getfield(L, -1, "err");
      if (lua_isstring(L, -1)) {
        lua_replace(L, -2);
      } else {
        lua_pop(L, 1);
      }
    }
    lua_pushboolean(L, 0);
    lua_insert(L, -2);
    return 2;
  }
  lua_pushboolean(L, 1);
  lua_insert(L, 1);
  return lua_gettop(L);
}

// Pushes a read-only view of the table at `idx`: reads go to it, writes
// raise, and its metatable is hidden.
void PushReadonlyProxy(lua_State* L, int idx) {
  if (idx < 0) idx = lua_gettop(L) + 1 + idx;
  lua_newtable(L);  // proxy
  lua_newtable(L);  // its metatable
  lua_pushvalue(L, idx);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, ReadonlyNewIndex);
  lua_setfield(L, -2, "__newindex");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  GetRegistry(L, &kProxyMetas);
  lua_pushvalue(L, -2);
  lua_pushboolean(L, 1);
  lua_rawset(L, -3);
  lua_pop(L, 1);
  lua_setmetatable(L, -2);
}

// ---- Reply → Lua --------------------------------------------------------------

struct ReplyReader {
  const char* p;
  const char* end;

  std::string_view Line() {
    const char* e = static_cast<const char*>(std::memchr(p, '\r', static_cast<size_t>(end - p)));
    if (e == nullptr) e = end;
    std::string_view s(p, static_cast<size_t>(e - p));
    p = e + 2 <= end ? e + 2 : end;
    return s;
  }
  int64_t Int() {
    std::string_view s = Line();
    return std::strtoll(std::string(s).c_str(), nullptr, 10);
  }
};

// Converts one reply element to a Lua value (Redis's RESP2/RESP3 → Lua
// rules). Errors become {err=...}; the caller decides whether to raise.
void PushReply(lua_State* L, ReplyReader& r, int depth) {
  if (r.p >= r.end) {
    lua_pushnil(L);
    return;
  }
  luaL_checkstack(L, 4, "reached lua stack limit");
  char type = *r.p++;
  switch (type) {
    case '+': {
      std::string_view s = r.Line();
      lua_newtable(L);
      lua_pushlstring(L, s.data(), s.size());
      lua_setfield(L, -2, "ok");
      return;
    }
    case '-': {
      std::string_view s = r.Line();
      PushErrorTable(L, "-" + std::string(s));
      return;
    }
    case ':':
      lua_pushnumber(L, static_cast<lua_Number>(r.Int()));
      return;
    case '$': {
      int64_t n = r.Int();
      if (n < 0) {
        lua_pushboolean(L, 0);
        return;
      }
      lua_pushlstring(L, r.p, static_cast<size_t>(n));
      r.p += n + 2;
      return;
    }
    case '*':
    case '~':
    case '%':
    case '>': {
      int64_t n = r.Int();
      if (n < 0) {
        lua_pushboolean(L, 0);
        return;
      }
      lua_newtable(L);
      if (type == '*' || type == '>') {
        for (int64_t i = 1; i <= n; ++i) {
          PushReply(L, r, depth + 1);
          lua_rawseti(L, -2, static_cast<int>(i));
        }
        return;
      }
      lua_newtable(L);  // the map or set itself
      for (int64_t i = 0; i < n; ++i) {
        PushReply(L, r, depth + 1);
        if (type == '%') {
          PushReply(L, r, depth + 1);
        } else {
          lua_pushboolean(L, 1);
        }
        lua_settable(L, -3);
      }
      lua_setfield(L, -2, type == '%' ? "map" : "set");
      return;
    }
    case '_':
      r.Line();
      lua_pushnil(L);
      return;
    case '#': {
      std::string_view s = r.Line();
      lua_pushboolean(L, s == "t");
      return;
    }
    case ',': {
      std::string s(r.Line());
      double d = std::strtod(s.c_str(), nullptr);
      if (s == "inf") d = std::numeric_limits<double>::infinity();
      if (s == "-inf") d = -std::numeric_limits<double>::infinity();
      if (s == "nan") d = std::numeric_limits<double>::quiet_NaN();
      lua_newtable(L);
      lua_pushnumber(L, d);
      lua_setfield(L, -2, "double");
      return;
    }
    case '(': {
      std::string_view s = r.Line();
      lua_newtable(L);
      lua_pushlstring(L, s.data(), s.size());
      lua_setfield(L, -2, "big_number");
      return;
    }
    case '=': {
      int64_t n = r.Int();
      std::string_view s(r.p, static_cast<size_t>(n));
      r.p += n + 2;
      lua_newtable(L);
      lua_newtable(L);
      std::string_view fmt = s.substr(0, std::min<size_t>(3, s.size()));
      std::string_view body = s.size() > 4 ? s.substr(4) : std::string_view();
      lua_pushlstring(L, fmt.data(), fmt.size());
      lua_setfield(L, -2, "format");
      lua_pushlstring(L, body.data(), body.size());
      lua_setfield(L, -2, "string");
      lua_setfield(L, -2, "verbatim_string");
      return;
    }
    default:
      r.Line();
      lua_pushnil(L);
      return;
  }
}

// ---- Lua → reply --------------------------------------------------------------

int64_t LuaNumberToInt(lua_Number n) {
  // As a C cast on x86-64: out of range and NaN give the minimum.
  if (!(n >= -9223372036854775808.0 && n < 9223372036854775808.0)) {
    return std::numeric_limits<int64_t>::min();
  }
  return static_cast<int64_t>(n);
}

// Whether the table at idx has a field `name` of type `t` (left pushed).
bool Field(lua_State* L, int idx, const char* name, int t) {
  lua_pushstring(L, name);
  lua_rawget(L, idx);
  if (lua_type(L, -1) == t) return true;
  lua_pop(L, 1);
  return false;
}

// Pops the string on top of the stack as one protocol line (CR and LF
// become spaces), for status and big-number replies.
std::string PopOneLine(lua_State* L) {
  std::string s = lua_tostring(L, -1);
  lua_pop(L, 1);
  std::replace_if(s.begin(), s.end(), [](char ch) { return ch == '\r' || ch == '\n'; }, ' ');
  return s;
}

void ReplyFromLua(lua_State* L, int idx, ReplyBuilder& reply, int resp, int depth) {
  if (idx < 0) idx = lua_gettop(L) + 1 + idx;
  if (depth > kMaxReplyDepth || !lua_checkstack(L, 4)) {
    reply.Error("ERR reached lua stack limit");
    return;
  }
  switch (lua_type(L, idx)) {
    case LUA_TSTRING: {
      size_t len = 0;
      const char* s = lua_tolstring(L, idx, &len);
      reply.Bulk(std::string_view(s, len));
      return;
    }
    case LUA_TBOOLEAN:
      if (resp == 2) {
        if (lua_toboolean(L, idx)) {
          reply.Int(1);
        } else {
          reply.Null();
        }
      } else {
        reply.Bool(lua_toboolean(L, idx) != 0);
      }
      return;
    case LUA_TNUMBER:
      reply.Int(LuaNumberToInt(lua_tonumber(L, idx)));
      return;
    case LUA_TTABLE:
      break;
    default:
      reply.Null();
      return;
  }
  if (Field(L, idx, "err", LUA_TSTRING)) {
    std::string msg = lua_tostring(L, -1);
    lua_pop(L, 1);
    reply.Error(msg);
    return;
  }
  if (Field(L, idx, "ok", LUA_TSTRING)) {
    reply.Simple(PopOneLine(L));
    return;
  }
  if (Field(L, idx, "double", LUA_TNUMBER)) {
    double d = lua_tonumber(L, -1);
    lua_pop(L, 1);
    reply.Double(d);
    return;
  }
  if (Field(L, idx, "big_number", LUA_TSTRING)) {
    reply.BigNumber(PopOneLine(L));
    return;
  }
  bool is_map = Field(L, idx, "map", LUA_TTABLE);
  if (is_map || Field(L, idx, "set", LUA_TTABLE)) {
    // {map = {k = v, ...}} or {set = {member = true, ...}}: the table on top.
    int m = lua_gettop(L);
    size_t n = 0;
    lua_pushnil(L);
    while (lua_next(L, m) != 0) {
      ++n;
      lua_pop(L, 1);
    }
    if (is_map) {
      reply.MapHeader(n);
    } else {
      reply.SetHeader(n);
    }
    lua_pushnil(L);
    while (lua_next(L, m) != 0) {
      ReplyFromLua(L, -2, reply, resp, depth + 1);
      if (is_map) ReplyFromLua(L, -1, reply, resp, depth + 1);
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return;
  }
  if (Field(L, idx, "verbatim_string", LUA_TTABLE)) {
    int v = lua_gettop(L);
    lua_getfield(L, v, "format");
    lua_getfield(L, v, "string");
    if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING) {
      size_t len = 0;
      const char* s = lua_tolstring(L, -1, &len);
      reply.Verbatim(std::string_view(s, len), lua_tostring(L, -2));
      lua_pop(L, 3);
      return;
    }
    lua_pop(L, 3);
  }
  // An array: elements 1, 2, ... up to the first nil.
  std::string* buf = reply.buffer();
  size_t header_at = buf->size();
  reply.ArrayHeader(0);
  size_t header_len = buf->size() - header_at;
  size_t n = 0;
  for (int j = 1;; ++j) {
    lua_rawgeti(L, idx, j);
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      break;
    }
    ReplyFromLua(L, -1, reply, resp, depth + 1);
    lua_pop(L, 1);
    ++n;
  }
  std::string header = "*" + std::to_string(n) + "\r\n";
  buf->replace(header_at, header_len, header);
}

// ---- redis.call -------------------------------------------------------------

// Makes sure the run holds every shard `spec` may touch with `args`,
// locking the missing ones (see docs/ARCHITECTURE.md): a shard after all
// held ones is locked in the global order; one before them is only tried,
// patiently, since waiting for it could deadlock. Records the scope the
// call needed. False when a shard could not be had.
bool AcquireShards(ScriptRun& run, const CommandSpec& spec, const std::vector<std::string_view>& args) {
  Keyspace& ks = run.server->keyspace();
  int db = run.conn->db();
  std::vector<Shard*> need;
  bool bounded = KeyShards(ks.db(db), spec, args, &need);
  if (!bounded || db != run.start_db) {
    run.needed = LockScope::kEverything;
  } else {
    for (Shard* s : need) {
      if (!std::binary_search(run.declared.begin(), run.declared.end(), s, std::less<Shard*>())) {
        run.needed = std::max(run.needed, LockScope::kDatabase);
      }
    }
  }
  if (run.held == nullptr) return true;  // an enclosing EXEC holds everything
  if (!bounded) {
    need.clear();
    for (int d = 0; d < ks.count(); ++d) {
      for (uint32_t s = 0; s < kNumShards; ++s) need.push_back(&ks.db(d).shard(s));
    }
  }
  std::sort(need.begin(), need.end(), std::less<Shard*>());
  for (Shard* s : need) {
    if (!run.held->Acquire(s, kUndeclaredWaitUs)) return false;
  }
  return true;
}

std::string NumberArg(lua_Number n) {
  // Integral values print the same through %.17g; skip printf for them.
  if (n >= -1e15 && n <= 1e15 && n == static_cast<double>(static_cast<int64_t>(n))) {
    return std::to_string(static_cast<int64_t>(n));
  }
  char buf[64];
  int len = std::snprintf(buf, sizeof(buf), "%.17g", static_cast<double>(n));
  return std::string(buf, static_cast<size_t>(len));
}

// redis.call (raise = true) and redis.pcall.
int RedisCommand(lua_State* L, bool raise) {
  ScriptRun* run = t_run;
  auto fail = [&](std::string_view text) -> int {
    PushErrorTable(L, text);
    if (raise) lua_error(L);
    return 1;
  };
  if (run == nullptr) return fail("redis.call can only be called inside a script invocation");
  int argc = lua_gettop(L);
  if (argc == 0) return fail("Please specify at least one argument for this redis lib call");
  std::vector<std::string> storage(static_cast<size_t>(argc));
  for (int i = 1; i <= argc; ++i) {
    int t = lua_type(L, i);
    if (t == LUA_TNUMBER) {
      storage[static_cast<size_t>(i - 1)] = NumberArg(lua_tonumber(L, i));
    } else if (t == LUA_TSTRING) {
      size_t len = 0;
      const char* s = lua_tolstring(L, i, &len);
      storage[static_cast<size_t>(i - 1)].assign(s, len);
    } else {
      return fail("Lua redis lib command arguments must be strings or integers");
    }
  }
  std::vector<std::string_view> args(storage.begin(), storage.end());
  char lower[32];
  std::string lower_long;
  std::string_view name = args[0];
  if (name.size() <= sizeof(lower)) {
    for (size_t i = 0; i < name.size(); ++i) {
      lower[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(name[i])));
    }
    name = std::string_view(lower, name.size());
  } else {
    lower_long = ToLower(name);
    name = lower_long;
  }
  const CommandSpec* spec = run->server->commands().Find(name);
  if (spec != nullptr && !spec->subcommands.empty() && args.size() >= 2) {
    spec = spec->FindSub(ToLower(args[1]));
  }
  if (spec == nullptr) return fail("Unknown Redis command called from script");
  int n = static_cast<int>(args.size());
  if ((spec->arity > 0 && spec->arity != n) || n < -spec->arity) {
    return fail("Wrong number of args calling Redis command from script");
  }
  if (spec->flags & kCmdNoScript) return fail("This Redis command is not allowed from script");
  if ((spec->flags & kCmdWrite) && run->read_only) {
    return fail("Write commands are not allowed from read-only scripts.");
  }
  if ((spec->flags & kCmdDenyOom) && run->oom && !run->busy.wrote.load(std::memory_order_relaxed)) {
    return fail("-" + std::string(kOomError));
  }
  if (!AcquireShards(*run, *spec, args)) {
    return fail(
        "Magpie could not lock a key this script did not declare in KEYS: another client held it "
        "for more than a second. Declare every key the script touches.");
  }
  if (spec->flags & kCmdWrite) run->busy.wrote.store(true, std::memory_order_relaxed);

  // One scratch buffer per thread, reused by every call (a nested call
  // cannot happen: EVAL is not allowed from scripts).
  static thread_local std::string out;
  out.clear();
  ReplyBuilder reply(&out);
  reply.set_resp3(run->resp == 3);
  run->conn->RunHandler(*spec, args, run->now_ms, reply);

  ReplyReader r{out.data(), out.data() + out.size()};
  PushReply(L, r, 0);
  bool is_error = !out.empty() && out[0] == '-';
  if (out.capacity() > (1u << 20)) std::string().swap(out);  // after a huge reply
  if (raise && is_error) lua_error(L);
  return 1;
}

// redis.acl_check_cmd(command, ...): whether the user may run it. Magpie
// has one user (the default one, optionally with requirepass), allowed
// every command, so any command that exists is allowed.
int RedisAclCheckCmd(lua_State* L) {
  ScriptRun* run = t_run;
  if (lua_gettop(L) == 0) RaiseErrorTable(L, "Please specify at least one argument for this redis lib call");
  for (int i = 1; i <= lua_gettop(L); ++i) {
    if (lua_type(L, i) != LUA_TSTRING && lua_type(L, i) != LUA_TNUMBER) {
      RaiseErrorTable(L, "Lua redis lib command arguments must be strings or integers");
    }
  }
  std::string name = ToLower(lua_tostring(L, 1));
  const CommandSpec* spec = run != nullptr ? run->server->commands().Find(name) : nullptr;
  if (spec != nullptr && !spec->subcommands.empty() && lua_gettop(L) >= 2) {
    spec = spec->FindSub(ToLower(lua_tostring(L, 2)));
  }
  if (spec == nullptr) RaiseErrorTable(L, "Invalid command passed to redis.acl_check_cmd()");
  lua_pushboolean(L, 1);
  return 1;
}

int RedisCall(lua_State* L) { return RedisCommand(L, true); }
int RedisPcall(lua_State* L) { return RedisCommand(L, false); }

// ---- The rest of the redis.* API ------------------------------------------

int RedisSha1Hex(lua_State* L) {
  if (lua_gettop(L) != 1) RaiseString(L, "wrong number of arguments");
  size_t len = 0;
  const char* s = lua_tolstring(L, 1, &len);
  std::string hex = ScriptRegistry::Sha1Hex(std::string_view(s != nullptr ? s : "", len));
  lua_pushlstring(L, hex.data(), hex.size());
  return 1;
}

int RedisErrorReply(lua_State* L) {
  if (lua_gettop(L) != 1 || !lua_isstring(L, -1)) {
    PushErrorTable(L, "wrong number or type of arguments");
    return 1;
  }
  std::string s = lua_tostring(L, 1);
  PushErrorTable(L, s[0] == '-' ? s : "-" + s);
  return 1;
}

int RedisStatusReply(lua_State* L) {
  if (lua_gettop(L) != 1 || !lua_isstring(L, -1)) {
    PushErrorTable(L, "wrong number or type of arguments");
    return 1;
  }
  lua_newtable(L);
  lua_pushvalue(L, 1);
  lua_setfield(L, -2, "ok");
  return 1;
}

int RedisLog(lua_State* L) {
  int argc = lua_gettop(L);
  if (argc < 2) RaiseString(L, "redis.log() requires two arguments or more.");
  if (!lua_isnumber(L, 1)) RaiseString(L, "First argument must be a number (log level).");
  lua_Integer level = lua_tointeger(L, 1);
  if (level < 0 || level > 3) RaiseString(L, "Invalid debug level.");
  std::string msg;
  for (int i = 2; i <= argc; ++i) {
    size_t len = 0;
    const char* s = lua_tolstring(L, i, &len);
    if (s == nullptr) continue;
    if (i > 2) msg += ' ';
    msg.append(s, len);
  }
  Log(static_cast<LogLevel>(level), "%s", msg.c_str());
  return 0;
}

int RedisSetResp(lua_State* L) {
  if (lua_gettop(L) != 1) RaiseString(L, "redis.setresp() requires one argument.");
  lua_Integer v = lua_tointeger(L, 1);
  if (v != 2 && v != 3) RaiseString(L, "RESP version must be 2 or 3.");
  if (t_run != nullptr) t_run->resp = static_cast<int>(v);
  return 0;
}

int RedisSetRepl(lua_State* L) {
  if (lua_gettop(L) != 1) RaiseString(L, "redis.set_repl() requires one argument.");
  lua_Integer flags = lua_tointeger(L, 1);
  if ((flags & ~3) != 0) {
    RaiseString(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
  }
  return 0;
}

int RedisReplicateCommands(lua_State* L) {
  lua_pushboolean(L, 1);
  return 1;
}

int RedisBreakpoint(lua_State* L) {
  lua_pushboolean(L, 0);
  return 1;
}

int RedisDebug(lua_State*) { return 0; }

// redis.register_function(name, callback) or
// redis.register_function{function_name=, callback=, flags=, description=}.
int RedisRegisterFunction(lua_State* L) {
  LoadContext* ctx = t_load;
  if (ctx == nullptr) {
    RaiseErrorTable(L, "redis.register_function can only be called on FUNCTION LOAD command");
  }
  auto fn = std::make_shared<LibraryFunction>();
  int argc = lua_gettop(L);
  if (argc == 1 && lua_istable(L, 1)) {
    lua_pushnil(L);
    bool have_callback = false;
    while (lua_next(L, 1) != 0) {
      if (lua_type(L, -2) != LUA_TSTRING) {
        RaiseErrorTable(L, "named argument key given to redis.register_function is not a string");
      }
      std::string key = lua_tostring(L, -2);
      if (key == "function_name") {
        if (!lua_isstring(L, -1)) {
          RaiseErrorTable(L, "function_name argument given to redis.register_function must be a string");
        }
        fn->name = lua_tostring(L, -1);
      } else if (key == "description") {
        if (!lua_isstring(L, -1)) {
          RaiseErrorTable(L, "description argument given to redis.register_function must be a string");
        }
        fn->description = lua_tostring(L, -1);
        fn->has_description = true;
      } else if (key == "callback") {
        if (!lua_isfunction(L, -1)) {
          RaiseErrorTable(L, "callback argument given to redis.register_function must be a function");
        }
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, "__magpie_pending_callback");
        have_callback = true;
      } else if (key == "flags") {
        if (!lua_istable(L, -1)) {
          RaiseErrorTable(L, "flags argument to redis.register_function must be a table representing function flags");
        }
        for (int j = 1;; ++j) {
          lua_rawgeti(L, -1, j);
          if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
            break;
          }
          uint32_t f = 0;
          if (!lua_isstring(L, -1) || !ParseScriptFlag(lua_tostring(L, -1), &f)) {
            RaiseErrorTable(L, "unknown flag given");
          }
          fn->flags |= f;
          lua_pop(L, 1);
        }
      } else {
        RaiseErrorTable(L, "unknown argument given to redis.register_function");
      }
      lua_pop(L, 1);
    }
    if (fn->name.empty()) RaiseErrorTable(L, "redis.register_function must get a function name argument");
    if (!have_callback) RaiseErrorTable(L, "redis.register_function must get a callback argument");
    lua_getfield(L, LUA_REGISTRYINDEX, "__magpie_pending_callback");
    lua_pushnil(L);
    lua_setfield(L, LUA_REGISTRYINDEX, "__magpie_pending_callback");
  } else if (argc == 2) {
    if (!lua_isstring(L, 1)) {
      RaiseErrorTable(L, "first argument to redis.register_function must be a string");
    }
    if (!lua_isfunction(L, 2)) {
      RaiseErrorTable(L, "second argument to redis.register_function must be a function");
    }
    fn->name = lua_tostring(L, 1);
    lua_pushvalue(L, 2);
  } else {
    RaiseErrorTable(L, "wrong number of arguments to redis.register_function");
  }
  // The callback is on top of the stack.
  bool valid = !fn->name.empty();
  for (char ch : fn->name) {
    valid = valid && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_');
  }
  if (!valid) {
    RaiseErrorTable(L,
                    "Library names can only contain letters, numbers, or underscores(_) and must be "
                    "at least one character long");
  }
  for (const auto& f : ctx->lib->functions) {
    if (f->name == fn->name) RaiseErrorTable(L, "Function already exists in the library");
  }
  ctx->lib->functions.push_back(fn);
  ctx->pending.push_back(luaL_ref(L, LUA_REGISTRYINDEX));
  return 0;
}

// ---- The hook: time limits and SCRIPT KILL --------------------------------

void Hook(lua_State* L, lua_Debug*) {
  if (LoadContext* ctx = t_load) {
    if (MonotonicUs() > ctx->deadline_us) RaiseErrorTable(L, "FUNCTION LOAD timeout");
    return;
  }
  ScriptRun* run = t_run;
  if (run == nullptr) return;
  if (run->killed || run->busy.kill.load(std::memory_order_relaxed) ||
      run->server->shutting_down()) {
    // Raise on every line from now on, so pcall cannot keep it alive.
    run->killed = true;
    lua_sethook(L, Hook, LUA_MASKLINE, 0);
    RaiseErrorTable(L, run->busy.is_function ? "Script killed by user with FUNCTION KILL..."
                                             : "Script killed by user with SCRIPT KILL...");
  }
  int64_t elapsed_ms = (MonotonicUs() - run->start_us) / 1000;
  int64_t threshold = run->server->config().busy_reply_threshold.load(std::memory_order_relaxed);
  if (!run->busy_registered && threshold > 0 && elapsed_ms >= threshold) {
    run->busy_registered = true;
    run->busy.name = *run->name;
    if (run->command != nullptr) {
      run->busy.command = ToLower((*run->command)[0]);
      run->busy.args.assign(run->command->begin(), run->command->end());
    }
    LOG_WARNING(
        "Slow script detected: still in execution after %lld milliseconds. You can try killing the "
        "script using the %s command. Script name is: %s.",
        static_cast<long long>(elapsed_ms), run->busy.is_function ? "FUNCTION KILL" : "SCRIPT KILL",
        run->busy.name.c_str());
    run->server->scripts().AddBusy(&run->busy);
    run->conn->worker().set_in_busy_script(true);
  }
  if (run->busy_registered) run->conn->worker().ProcessEventsWhileBusy(run->conn);
}

// ---- State setup --------------------------------------------------------------

void SetFunction(lua_State* L, const char* name, lua_CFunction f) {
  lua_pushcfunction(L, f);
  lua_setfield(L, -2, name);
}

void SetInt(lua_State* L, const char* name, lua_Integer v) {
  lua_pushinteger(L, v);
  lua_setfield(L, -2, name);
}

void PushLogLevels(lua_State* L) {
  SetInt(L, "LOG_DEBUG", 0);
  SetInt(L, "LOG_VERBOSE", 1);
  SetInt(L, "LOG_NOTICE", 2);
  SetInt(L, "LOG_WARNING", 3);
  lua_pushstring(L, kRedisVersion);
  lua_setfield(L, -2, "REDIS_VERSION");
  SetInt(L, "REDIS_VERSION_NUM", kRedisVersionNum);
}

void OpenLib(lua_State* L, const char* name, lua_CFunction open) {
  lua_pushcfunction(L, open);
  lua_pushstring(L, name);
  lua_call(L, 1, 0);
}

// Sets global `name` to the value on top of the stack, in the real globals.
void SetRealGlobal(lua_State* L, const char* name) {
  lua_setfield(L, LUA_GLOBALSINDEX, name);
}

}  // namespace

struct LuaVm::State {
  lua_State* L = nullptr;
  ~State() {
    if (L != nullptr) lua_close(L);
  }
};

namespace {

// Builds one engine's sandbox. For the FUNCTION engine it also builds the
// load environment: library code runs with only redis.register_function,
// redis.log and the constants; the functions it defines keep that
// environment, which after the load forwards to the full globals.
void BuildSandbox(lua_State* L, bool functions) {
  OpenLib(L, "", luaopen_base);
  OpenLib(L, LUA_TABLIBNAME, luaopen_table);
  OpenLib(L, LUA_STRLIBNAME, luaopen_string);
  OpenLib(L, LUA_MATHLIBNAME, luaopen_math);
  luaopen_cjson(L);
  SetRealGlobal(L, "cjson");
  luaopen_bit(L);
  SetRealGlobal(L, "bit");
  OpenCmsgpack(L);
  SetRealGlobal(L, "cmsgpack");
  OpenStruct(L);
  SetRealGlobal(L, "struct");
  lua_settop(L, 0);
  for (const char* name : {"dofile", "loadfile", "print", "setfenv", "getfenv", "newproxy"}) {
    lua_pushnil(L);
    SetRealGlobal(L, name);
  }
  lua_pushcfunction(L, SafeRawset);
  SetRealGlobal(L, "rawset");
  lua_pushcfunction(L, RedisStylePcall);
  SetRealGlobal(L, "pcall");
  lua_pushcfunction(L, ProxyNext);
  SetRealGlobal(L, "next");
  lua_pushcfunction(L, ProxyPairs);
  SetRealGlobal(L, "pairs");

  lua_newtable(L);
  SetRegistry(L, &kProxyMetas);

  // redis.*
  lua_newtable(L);
  SetFunction(L, "call", RedisCall);
  SetFunction(L, "pcall", RedisPcall);
  SetFunction(L, "sha1hex", RedisSha1Hex);
  SetFunction(L, "error_reply", RedisErrorReply);
  SetFunction(L, "status_reply", RedisStatusReply);
  SetFunction(L, "log", RedisLog);
  SetFunction(L, "setresp", RedisSetResp);
  SetFunction(L, "set_repl", RedisSetRepl);
  SetFunction(L, "replicate_commands", RedisReplicateCommands);
  SetFunction(L, "breakpoint", RedisBreakpoint);
  SetFunction(L, "debug", RedisDebug);
  SetFunction(L, "acl_check_cmd", RedisAclCheckCmd);
  PushLogLevels(L);
  SetInt(L, "REPL_NONE", 0);
  SetInt(L, "REPL_AOF", 1);
  SetInt(L, "REPL_SLAVE", 2);
  SetInt(L, "REPL_REPLICA", 2);
  SetInt(L, "REPL_ALL", 3);
  SetRealGlobal(L, "redis");

  // Every library table becomes read-only.
  for (const char* name : {"string", "table", "math", "coroutine", "cjson", "bit", "cmsgpack",
                           "struct", "redis"}) {
    lua_getfield(L, LUA_GLOBALSINDEX, name);
    PushReadonlyProxy(L, -1);
    SetRealGlobal(L, name);
    lua_pop(L, 1);
  }
  // Strings index the read-only string table.
  lua_pushstring(L, "");
  if (lua_getmetatable(L, -1)) {
    lua_getfield(L, LUA_GLOBALSINDEX, "string");
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
  }
  lua_pop(L, 1);

  // The real globals: unknown names raise.
  lua_pushvalue(L, LUA_GLOBALSINDEX);
  lua_newtable(L);
  lua_pushcfunction(L, MissingGlobal);
  lua_setfield(L, -2, "__index");
  lua_setmetatable(L, -2);
  lua_pushvalue(L, -1);
  SetRegistry(L, &kRealGlobals);
  // What scripts see: a read-only view, also as _G.
  PushReadonlyProxy(L, -1);
  lua_pushvalue(L, -1);
  lua_setfield(L, -3, "_G");
  lua_replace(L, LUA_GLOBALSINDEX);
  lua_pop(L, 1);

  if (!functions) return;
  // The load API: redis = {register_function, log, constants}.
  lua_newtable(L);  // load globals
  lua_newtable(L);  // its redis
  SetFunction(L, "register_function", RedisRegisterFunction);
  SetFunction(L, "log", RedisLog);
  PushLogLevels(L);
  lua_newtable(L);
  lua_pushcfunction(L, MissingGlobal);
  lua_setfield(L, -2, "__index");
  lua_setmetatable(L, -2);
  PushReadonlyProxy(L, -1);
  lua_setfield(L, -3, "redis");
  lua_pop(L, 1);
  lua_newtable(L);
  lua_pushcfunction(L, MissingGlobal);
  lua_setfield(L, -2, "__index");
  lua_setmetatable(L, -2);
  SetRegistry(L, &kLoadApi);
  // The environment of library chunks: a read-only view whose reads go to
  // the load API while loading and to the full globals afterwards (its
  // metatable's __index is switched).
  GetRegistry(L, &kRealGlobals);
  PushReadonlyProxy(L, -1);
  lua_getmetatable(L, -1);
  SetRegistry(L, &kLoadEnvMeta);
  lua_setfield(L, LUA_REGISTRYINDEX, "__magpie_load_env");
  lua_pop(L, 1);
}

std::unique_ptr<LuaVm::State> NewState(bool functions) {
  auto st = std::make_unique<LuaVm::State>();
  st->L = luaL_newstate();
  BuildSandbox(st->L, functions);
  return st;
}
}  // namespace

LuaVm::LuaVm(Server& server) : server_(server), eval_(NewState(false)), fn_(NewState(true)) {
  PublishMemory();
}

LuaVm::~LuaVm() {
  server_.scripts().vm_eval_bytes.fetch_sub(eval_bytes_reported_);
  server_.scripts().vm_functions_bytes.fetch_sub(fn_bytes_reported_);
}

void LuaVm::PublishMemory() {
  auto bytes = [](lua_State* L) {
    return static_cast<int64_t>(lua_gc(L, LUA_GCCOUNT, 0)) * 1024 + lua_gc(L, LUA_GCCOUNTB, 0);
  };
  int64_t e = bytes(eval_->L), f = bytes(fn_->L);
  server_.scripts().vm_eval_bytes.fetch_add(e - eval_bytes_reported_, std::memory_order_relaxed);
  server_.scripts().vm_functions_bytes.fetch_add(f - fn_bytes_reported_, std::memory_order_relaxed);
  eval_bytes_reported_ = e;
  fn_bytes_reported_ = f;
}

std::string LuaVm::ParseShebang(std::string_view body, bool* shebang, uint32_t* flags) {
  *shebang = false;
  *flags = 0;
  if (body.substr(0, 2) != "#!") return "";
  *shebang = true;
  size_t eol = body.find('\n');
  if (eol == std::string_view::npos) return "ERR Invalid script shebang";
  std::string_view line = body.substr(2, eol - 2);
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ') ++j;
    if (j > i) parts.push_back(line.substr(i, j - i));
    i = j;
  }
  if (parts.empty() || parts[0] != "lua") {
    return "ERR Unexpected engine in script shebang: #!" +
           std::string(parts.empty() ? std::string_view() : parts[0]);
  }
  for (size_t p = 1; p < parts.size(); ++p) {
    if (parts[p].substr(0, 6) != "flags=") {
      return "ERR Unknown lua shebang option: " + std::string(parts[p]);
    }
    std::string_view list = parts[p].substr(6);
    size_t k = 0;
    while (k <= list.size() && !list.empty()) {
      size_t comma = list.find(',', k);
      std::string_view name = list.substr(k, comma == std::string_view::npos ? list.size() - k : comma - k);
      uint32_t f = 0;
      if (!ParseScriptFlag(name, &f)) return "ERR Unexpected flag in script shebang: " + std::string(name);
      *flags |= f;
      if (comma == std::string_view::npos) break;
      k = comma + 1;
    }
  }
  return "";
}

namespace {
// The code Lua compiles: the shebang line blanked, so line numbers stay.
std::string WithoutShebang(std::string_view body) {
  std::string code(body);
  if (code.substr(0, 2) == "#!") {
    size_t eol = code.find('\n');
    code.replace(0, eol == std::string::npos ? code.size() : eol, "");
  }
  return code;
}
}  // namespace

void LuaVm::SyncEval() {
  uint64_t gen = server_.scripts().scripts_generation();
  if (gen == eval_gen_) return;
  for (auto& [sha, c] : eval_cache_) luaL_unref(eval_->L, LUA_REGISTRYINDEX, c.ref);
  eval_cache_.clear();
  lua_gc(eval_->L, LUA_GCCOLLECT, 0);
  eval_gen_ = gen;
}

std::string LuaVm::CompileEval(const std::shared_ptr<EvalScript>& script) {
  lua_State* L = eval_->L;
  std::string code = WithoutShebang(script->body);
  if (luaL_loadbuffer(L, code.data(), code.size(), "@user_script") != 0) {
    std::string err = std::string("ERR Error compiling script (new function): ") +
                      (lua_isstring(L, -1) ? lua_tostring(L, -1) : "?");
    lua_pop(L, 1);
    return err;
  }
  int ref = luaL_ref(L, LUA_REGISTRYINDEX);
  eval_cache_[script->sha] = CachedEval{ref, script};
  return "";
}

std::shared_ptr<EvalScript> LuaVm::FindEval(std::string_view sha) {
  SyncEval();
  auto it = eval_cache_.find(sha);
  if (it != eval_cache_.end()) return it->second.script;
  std::shared_ptr<EvalScript> s = server_.scripts().Find(sha);
  if (s == nullptr || !CompileEval(s).empty()) return nullptr;
  return s;
}

std::string LuaVm::LoadEval(std::string_view body, std::shared_ptr<EvalScript>* out) {
  std::string sha = ScriptRegistry::Sha1Hex(body);
  if ((*out = FindEval(sha)) != nullptr) return "";
  bool shebang = false;
  uint32_t flags = 0;
  std::string err = ParseShebang(body, &shebang, &flags);
  if (!err.empty()) return err;
  auto script = std::make_shared<EvalScript>();
  script->sha = sha;
  script->body = std::string(body);
  script->shebang = shebang;
  script->flags = flags;
  err = CompileEval(script);
  if (!err.empty()) return err;
  std::shared_ptr<EvalScript> cached = server_.scripts().Add(sha, body, shebang, flags);
  eval_cache_[sha].script = cached;
  *out = cached;
  return "";
}

void LuaVm::Call(ScriptRun& run, State& st, int ref, bool eval, const std::string& name,
                 const std::vector<std::string_view>& keys,
                 const std::vector<std::string_view>& argv, ReplyBuilder& reply) {
  lua_State* L = st.L;
  int base = lua_gettop(L);
  lua_pushcfunction(L, ErrorHandler);
  lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
  auto push_list = [L](const std::vector<std::string_view>& v) {
    lua_createtable(L, static_cast<int>(v.size()), 0);
    for (size_t i = 0; i < v.size(); ++i) {
      lua_pushlstring(L, v[i].data(), v[i].size());
      lua_rawseti(L, -2, static_cast<int>(i + 1));
    }
  };
  int nargs = 0;
  if (eval) {
    GetRegistry(L, &kRealGlobals);
    push_list(keys);
    lua_setfield(L, -2, "KEYS");
    push_list(argv);
    lua_setfield(L, -2, "ARGV");
    lua_pop(L, 1);
  } else {
    push_list(keys);
    push_list(argv);
    nargs = 2;
  }
  run.name = &name;
  run.busy.is_function = !eval;
  run.start_us = MonotonicUs();
  ScriptRun* outer = t_run;
  t_run = &run;
  lua_sethook(L, Hook, LUA_MASKCOUNT, kHookInstructions);
  int status = lua_pcall(L, nargs, 1, base + 1);
  lua_sethook(L, nullptr, 0, 0);
  t_run = outer;
  if (run.busy_registered) {
    server_.scripts().RemoveBusy(&run.busy);
    run.conn->worker().set_in_busy_script(false);
  }
  if (status != 0) {
    ReplyRaisedError(L, -1, name, reply);
  } else {
    ReplyFromLua(L, -1, reply, run.resp, 0);
  }
  lua_settop(L, base);
  // Cheap (two counters); keeps INFO's Lua memory current.
  PublishMemory();
  if (eval) {
    // Scripts must not see the last call's KEYS and ARGV.
    GetRegistry(L, &kRealGlobals);
    lua_pushnil(L);
    lua_setfield(L, -2, "KEYS");
    lua_pushnil(L);
    lua_setfield(L, -2, "ARGV");
    lua_pop(L, 1);
  }
}

void LuaVm::RunEval(ScriptRun& run, const EvalScript& script,
                    const std::vector<std::string_view>& keys,
                    const std::vector<std::string_view>& argv, ReplyBuilder& reply) {
  auto it = eval_cache_.find(script.sha);
  if (it == eval_cache_.end()) {
    reply.Error("NOSCRIPT No matching script. Please use EVAL.");
    return;
  }
  Call(run, *eval_, it->second.ref, true, script.sha, keys, argv, reply);
}

std::string LuaVm::RunLibraryCode(std::string_view code, Library* out, std::vector<int>* refs) {
  lua_State* L = fn_->L;
  int base = lua_gettop(L);
  std::string chunk = WithoutShebang(code);
  if (luaL_loadbuffer(L, chunk.data(), chunk.size(), "@user_function") != 0) {
    std::string err = std::string("ERR Error compiling function: ") +
                      (lua_isstring(L, -1) ? lua_tostring(L, -1) : "?");
    lua_settop(L, base);
    return err;
  }
  lua_getfield(L, LUA_REGISTRYINDEX, "__magpie_load_env");
  lua_setfenv(L, -2);
  lua_pushcfunction(L, ErrorHandler);
  lua_insert(L, -2);
  GetRegistry(L, &kLoadEnvMeta);
  GetRegistry(L, &kLoadApi);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);

  LoadContext ctx{out, refs, {}, MonotonicUs() + kLoadTimeoutMs * 1000};
  LoadContext* outer = t_load;
  t_load = &ctx;
  lua_sethook(L, Hook, LUA_MASKCOUNT, kHookInstructions);
  int status = lua_pcall(L, 0, 0, base + 1);
  lua_sethook(L, nullptr, 0, 0);
  t_load = outer;

  GetRegistry(L, &kLoadEnvMeta);
  GetRegistry(L, &kRealGlobals);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);

  std::string err;
  if (status != 0) {
    std::string msg = "ERR unknown error";
    if (lua_istable(L, -1)) {
      lua_getfield(L, -1, "err");
      if (lua_isstring(L, -1)) msg = lua_tostring(L, -1);
      lua_pop(L, 1);
    }
    err = "ERR Error registering functions: " + msg;
  } else if (out->functions.empty()) {
    err = "ERR No functions registered";
  }
  lua_settop(L, base);
  if (!err.empty() || refs == nullptr) {
    for (int r : ctx.pending) luaL_unref(L, LUA_REGISTRYINDEX, r);
    if (!err.empty()) out->functions.clear();
  } else {
    *refs = std::move(ctx.pending);
  }
  return err;
}

std::string LuaVm::LoadLibrary(std::string_view code, Library* out) {
  // "#!lua name=<library>"
  if (code.substr(0, 2) != "#!") return "ERR Missing library metadata";
  size_t eol = code.find('\n');
  std::string_view line = code.substr(2, eol == std::string_view::npos ? code.size() - 2 : eol - 2);
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ') ++j;
    if (j > i) parts.push_back(line.substr(i, j - i));
    i = j;
  }
  if (parts.empty()) return "ERR Invalid library metadata";
  if (parts[0] != "lua") return "ERR Engine '" + std::string(parts[0]) + "' not found";
  std::string name;
  bool have_name = false;
  for (size_t p = 1; p < parts.size(); ++p) {
    if (parts[p].substr(0, 5) == "name=") {
      name = std::string(parts[p].substr(5));
      have_name = true;
    } else {
      return "ERR Invalid metadata value given: " + std::string(parts[p]);
    }
  }
  if (!have_name) return "ERR Library name was not given";
  bool valid = !name.empty();
  for (char ch : name) valid = valid && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_');
  if (!valid) {
    return "ERR Library names can only contain letters, numbers, or underscores(_) and must be at "
           "least one character long";
  }
  out->name = name;
  out->code = std::string(code);
  return RunLibraryCode(code, out, nullptr);
}

void LuaVm::SyncFunctions() {
  std::shared_ptr<const FunctionSet> set = server_.scripts().functions();
  if (set->generation == fn_gen_) return;
  for (auto& [n, c] : fn_cache_) luaL_unref(fn_->L, LUA_REGISTRYINDEX, c.ref);
  fn_cache_.clear();
  for (const auto& [lib_name, lib] : set->libraries) {
    Library scratch;
    scratch.name = lib_name;
    std::vector<int> refs;
    if (!RunLibraryCode(lib->code, &scratch, &refs).empty()) continue;
    for (size_t k = 0; k < refs.size() && k < scratch.functions.size(); ++k) {
      auto it = set->functions.find(scratch.functions[k]->name);
      if (it == set->functions.end()) {
        luaL_unref(fn_->L, LUA_REGISTRYINDEX, refs[k]);
        continue;
      }
      fn_cache_[it->first] = CachedFunction{refs[k], it->second};
    }
  }
  lua_gc(fn_->L, LUA_GCCOLLECT, 0);
  fn_gen_ = set->generation;
}

std::shared_ptr<LibraryFunction> LuaVm::FindFunction(std::string_view name) {
  SyncFunctions();
  auto it = fn_cache_.find(name);
  return it == fn_cache_.end() ? nullptr : it->second.fn;
}

void LuaVm::RunFunction(ScriptRun& run, const LibraryFunction& fn,
                        const std::vector<std::string_view>& keys,
                        const std::vector<std::string_view>& argv, ReplyBuilder& reply) {
  auto it = fn_cache_.find(fn.name);
  if (it == fn_cache_.end()) {
    reply.Error("ERR Function not found");
    return;
  }
  Call(run, *fn_, it->second.ref, false, fn.name, keys, argv, reply);
}

}  // namespace magpie
