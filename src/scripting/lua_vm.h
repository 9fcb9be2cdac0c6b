// One worker's Lua 5.1 interpreter: the sandbox Redis gives scripts, the
// redis.* API, and the conversions between Lua values and RESP replies.
//
// Each worker thread owns one LuaVm with two Lua states, as Redis has two
// engines: one for EVAL scripts (KEYS and ARGV globals) and one for
// FUNCTION libraries. Both run Redis's sandbox: no os, io, loadfile,
// dofile, print, setfenv/getfenv, every library table read-only, and the
// global table read-only with an error for any unknown global.
//
// A script's calls to redis.call run the command's ordinary handler on the
// calling connection (its database, its SELECT inside the script) into a
// scratch reply buffer that is then converted to Lua values, so a script
// sees exactly the replies a client would, in the RESP version the script
// chose with redis.setresp.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "scripting/script_registry.h"

struct lua_State;

namespace magpie {

class Server;
class Connection;
class ReplyBuilder;
class ShardSet;
class Shard;

// The state of one running script, seen by redis.call and the hook.
struct ScriptRun {
  Server* server = nullptr;
  Connection* conn = nullptr;
  int64_t now_ms = 0;
  bool read_only = false;        // EVAL_RO, FCALL_RO or the no-writes flag
  bool compat_mode = false;      // an EVAL script without a shebang
  // Memory was over maxmemory when the script started (and it may not
  // ignore that: no allow-oom flag): its first write that may grow memory
  // fails with OOM, as in Redis.
  bool oom = false;
  ShardSet* held = nullptr;      // null: an enclosing EXEC holds every shard
  std::vector<Shard*> declared;  // the shards of KEYS, sorted
  int start_db = 0;
  LockScope needed = LockScope::kDeclared;  // widest scope a call needed
  int resp = 2;                             // redis.setresp
  int64_t start_us = 0;
  // The command that runs the script (copied into `busy` only if it gets
  // busy: the common short script pays nothing for it).
  const std::vector<std::string_view>* command = nullptr;
  const std::string* name = nullptr;  // SHA1 or function name
  BusyScript busy;
  bool busy_registered = false;
  bool killed = false;
};

class LuaVm {
 public:
  explicit LuaVm(Server& server);
  ~LuaVm();
  LuaVm(const LuaVm&) = delete;
  LuaVm& operator=(const LuaVm&) = delete;

  // Parses an EVAL body's shebang line. Returns "" or the error reply.
  static std::string ParseShebang(std::string_view body, bool* shebang, uint32_t* flags);

  // The cached script with this SHA1 (compiled here on first use), or null.
  std::shared_ptr<EvalScript> FindEval(std::string_view sha);
  // EVAL and SCRIPT LOAD: the script for `body`, checked, compiled and added
  // to the cache. Returns "" or the error reply.
  std::string LoadEval(std::string_view body, std::shared_ptr<EvalScript>* out);
  // Runs a script FindEval or LoadEval returned and writes its reply.
  void RunEval(ScriptRun& run, const EvalScript& script, const std::vector<std::string_view>& keys,
               const std::vector<std::string_view>& argv, ReplyBuilder& reply);

  // Runs a library's code in the load sandbox and describes what it
  // registered (name, functions). Returns "" or the error reply.
  std::string LoadLibrary(std::string_view code, Library* out);
  // The function of the current libraries with this name, or null.
  std::shared_ptr<LibraryFunction> FindFunction(std::string_view name);
  void RunFunction(ScriptRun& run, const LibraryFunction& fn,
                   const std::vector<std::string_view>& keys,
                   const std::vector<std::string_view>& argv, ReplyBuilder& reply);

  struct State;  // one Lua state and its sandbox

 private:
  void SyncEval();
  void SyncFunctions();
  // Compiles `body` in the EVAL state; "" or the error reply.
  std::string CompileEval(const std::shared_ptr<EvalScript>& script);
  // Runs library code in the load sandbox; with `refs` keeps the callbacks.
  std::string RunLibraryCode(std::string_view code, Library* out, std::vector<int>* refs);
  void Call(ScriptRun& run, State& st, int ref, bool eval, const std::string& name,
            const std::vector<std::string_view>& keys, const std::vector<std::string_view>& argv,
            ReplyBuilder& reply);

  Server& server_;
  std::unique_ptr<State> eval_;
  std::unique_ptr<State> fn_;
  // Reports the states' memory to the registry (INFO).
  void PublishMemory();

  int64_t eval_bytes_reported_ = 0;
  int64_t fn_bytes_reported_ = 0;
  uint64_t eval_gen_ = 0;
  uint64_t fn_gen_ = 0;
  struct CachedEval {
    int ref;
    std::shared_ptr<EvalScript> script;
  };
  struct CachedFunction {
    int ref;
    std::shared_ptr<LibraryFunction> fn;
  };
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  template <typename V>
  using ByName = std::unordered_map<std::string, V, NameHash, std::equal_to<>>;
  ByName<CachedEval> eval_cache_;     // by SHA1
  ByName<CachedFunction> fn_cache_;  // by function name
};

}  // namespace magpie
