// Scripting: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT *, FCALL, FCALL_RO,
// FUNCTION *.
//
// A script is atomic with respect to every other command on every worker,
// as on a single-threaded Redis, while scripts on different keys run in
// parallel. Before it starts, a script locks shards as an EXEC does and
// holds them until it ends (TransactionHold makes the locking of the
// commands it calls no-ops). Which shards depends on what its earlier runs
// needed (LockScope): the first run of a script holds every shard; a
// script whose calls stayed on the shards of its KEYS then runs with only
// those; one that touched other keys holds its database, or everything if
// it switched databases or ran a command that walks the keyspace. If a run
// still reaches a shard it does not hold, redis.call locks it on the spot
// (ShardSet::Acquire) and the script's scope widens for next time. See
// docs/ARCHITECTURE.md, "Scripts and locking".
#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commands/command.h"
#include "commands/helpers.h"
#include "persistence/rdb_codec.h"
#include "scripting/lua_vm.h"
#include "server/connection.h"
#include "server/monitor.h"
#include "server/server.h"
#include "server/worker.h"
#include "store/evict.h"

namespace magpie {

namespace {

// Parses numkeys at arg(2) and splits the rest into keys and arguments.
// `not_int` is the error for a numkeys that is not an integer.
bool SplitKeys(CommandContext& c, std::string_view not_int, std::vector<std::string_view>* keys,
               std::vector<std::string_view>* argv) {
  std::optional<int64_t> n = ParseInt64(c.arg(2));
  if (!n) {
    c.reply.Error(not_int);
    return false;
  }
  if (*n < 0) {
    c.reply.Error("ERR Number of keys can't be negative");
    return false;
  }
  if (*n > static_cast<int64_t>(c.argc() - 3)) {
    c.reply.Error("ERR Number of keys can't be greater than number of args");
    return false;
  }
  size_t k = static_cast<size_t>(*n);
  keys->assign(c.args.begin() + 3, c.args.begin() + 3 + static_cast<std::ptrdiff_t>(k));
  argv->assign(c.args.begin() + 3 + static_cast<std::ptrdiff_t>(k), c.args.end());
  return true;
}

// Locks what the script's scope says, runs `body`, releases. `allow_oom`:
// the script's allow-oom flag.
template <typename Body>
void WithScriptLocks(CommandContext& c, LearnedScope& learned,
                     const std::vector<std::string_view>& keys, bool read_only, bool allow_oom,
                     Body body) {
  ScriptRun run;
  run.server = &c.server;
  run.conn = &c.conn;
  run.now_ms = c.now_ms;
  run.read_only = read_only;
  run.start_db = c.conn.db();
  // Like any command, make room first (before taking any lock; inside EXEC
  // the locks are already held, so only look).
  if (!allow_oom && g_eviction.maxmemory.load(std::memory_order_relaxed) > 0) {
    run.oom = TransactionHold::active()
                  ? UsedMemoryEstimate() >
                        static_cast<size_t>(g_eviction.maxmemory.load(std::memory_order_relaxed))
                  : !EnsureMemory(c.server.keyspace(), c.now_ms);
  }
  run.command = &c.args;
  run.busy.start_ms = c.now_ms;
  Keyspace& ks = c.server.keyspace();
  Db& db = c.db();
  for (std::string_view k : keys) run.declared.push_back(&db.shard_for(KeyRef::Of(k)));
  std::sort(run.declared.begin(), run.declared.end(), std::less<Shard*>());
  run.declared.erase(std::unique(run.declared.begin(), run.declared.end()), run.declared.end());

  ShardSet set;
  std::optional<TransactionHold> hold;
  if (!TransactionHold::active()) {
    LockScope scope = learned.Get();
    if (scope == LockScope::kDeclared) {
      for (Shard* s : run.declared) set.Add(s);
    } else if (scope == LockScope::kDatabase) {
      for (uint32_t s = 0; s < kNumShards; ++s) set.Add(&db.shard(s));
    } else {
      for (int d = 0; d < ks.count(); ++d) {
        for (uint32_t s = 0; s < kNumShards; ++s) set.Add(&ks.db(d).shard(s));
      }
    }
    set.Lock();
    hold.emplace(set);
    run.held = &set;
  }
  bool deny_before = c.conn.deny_blocking;
  c.conn.deny_blocking = true;
  // MONITOR shows the script call first, then its commands as "lua".
  FeedMonitors(c.spec, c.args, c.conn.db(), c.conn.addr(), true);
  c.conn.in_script = true;
  body(run);
  c.conn.in_script = false;
  c.conn.deny_blocking = deny_before;
  // SELECT inside a script does not change the caller's database.
  c.conn.set_db(run.start_db);
  learned.Widen(run.needed);
  hold.reset();
}

constexpr std::string_view kRoWithWriteFlag =
    "ERR Can not execute a script with write flag using *_ro command.";

// EVAL script numkeys [key ...] [arg ...], EVALSHA, and their _RO forms.
void EvalGeneric(CommandContext& c, bool by_sha, bool ro) {
  std::vector<std::string_view> keys, argv;
  if (!SplitKeys(c, err::kNotInt, &keys, &argv)) return;
  LuaVm& vm = c.conn.worker().lua();
  std::shared_ptr<EvalScript> script;
  if (by_sha) {
    if (c.arg(1).size() == 40) script = vm.FindEval(ToLower(c.arg(1)));
    if (script == nullptr) return c.reply.Error("NOSCRIPT No matching script. Please use EVAL.");
  } else {
    std::string err = vm.LoadEval(c.arg(1), &script);
    if (!err.empty()) return c.reply.Error(err);
  }
  if (ro && script->shebang && !(script->flags & kScriptNoWrites)) {
    return c.reply.Error(kRoWithWriteFlag);
  }
  bool read_only = ro || (script->shebang && (script->flags & kScriptNoWrites));
  bool allow_oom = script->shebang && (script->flags & kScriptAllowOom);
  WithScriptLocks(c, script->learned, keys, read_only, allow_oom, [&](ScriptRun& run) {
    run.compat_mode = !script->shebang;
    vm.RunEval(run, *script, keys, argv, c.reply);
  });
}

void Eval(CommandContext& c) { EvalGeneric(c, false, false); }
void EvalSha(CommandContext& c) { EvalGeneric(c, true, false); }
void EvalRo(CommandContext& c) { EvalGeneric(c, false, true); }
void EvalShaRo(CommandContext& c) { EvalGeneric(c, true, true); }

// FCALL function numkeys [key ...] [arg ...], FCALL_RO.
void FcallGeneric(CommandContext& c, bool ro) {
  LuaVm& vm = c.conn.worker().lua();
  std::shared_ptr<LibraryFunction> fn = vm.FindFunction(c.arg(1));
  if (fn == nullptr) return c.reply.Error("ERR Function not found");
  std::vector<std::string_view> keys, argv;
  if (!SplitKeys(c, "ERR Bad number of keys provided", &keys, &argv)) return;
  if (ro && !(fn->flags & kScriptNoWrites)) return c.reply.Error(kRoWithWriteFlag);
  bool read_only = ro || (fn->flags & kScriptNoWrites);
  WithScriptLocks(c, fn->learned, keys, read_only, (fn->flags & kScriptAllowOom) != 0,
                  [&](ScriptRun& run) { vm.RunFunction(run, *fn, keys, argv, c.reply); });
}

void Fcall(CommandContext& c) { FcallGeneric(c, false); }
void FcallRo(CommandContext& c) { FcallGeneric(c, true); }

// ---- SCRIPT -------------------------------------------------------------------

void ScriptLoad(CommandContext& c) {
  std::shared_ptr<EvalScript> script;
  std::string err = c.conn.worker().lua().LoadEval(c.arg(2), &script);
  if (!err.empty()) return c.reply.Error(err);
  c.reply.Bulk(script->sha);
}

void ScriptExists(CommandContext& c) {
  c.reply.ArrayHeader(c.argc() - 2);
  for (size_t i = 2; i < c.argc(); ++i) {
    c.reply.Int(c.server.scripts().Find(ToLower(c.arg(i))) != nullptr ? 1 : 0);
  }
}

// FLUSH's optional ASYNC|SYNC (both free at once: scripts are small).
bool FlushModeOk(CommandContext& c, const char* error) {
  if (c.argc() == 3 && (EqualsIgnoreCase(c.arg(2), "async") || EqualsIgnoreCase(c.arg(2), "sync"))) {
    return true;
  }
  if (c.argc() == 2) return true;
  c.reply.Error(error);
  return false;
}

void ScriptFlush(CommandContext& c) {
  if (!FlushModeOk(c, "ERR SCRIPT FLUSH only support SYNC|ASYNC option")) return;
  c.server.scripts().Flush();
  c.reply.Ok();
}

void KillScript(CommandContext& c, bool functions) {
  std::string err = c.server.scripts().Kill(functions);
  if (!err.empty()) return c.reply.Error(err);
  c.reply.Ok();
}

void ScriptKill(CommandContext& c) { KillScript(c, false); }

void ScriptHelp(CommandContext& c) {
  HelpLines(c, {"SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "EXISTS <sha1> [<sha1> ...]",
                "    Return information about the existence of the scripts in the script cache.",
                "FLUSH [ASYNC|SYNC]",
                "    Flush the Lua scripts cache. Very dangerous on replicas.",
                "    When called without the optional mode argument, the behavior is determined by the",
                "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
                "    * ASYNC: Asynchronously flush the scripts cache.",
                "    * SYNC: Synchronously flush the scripts cache.",
                "KILL", "    Kill the currently executing Lua script.",
                "LOAD <script>", "    Load a script into the scripts cache without executing it.",
                "HELP", "    Prints this help."});
}

// ---- FUNCTION -----------------------------------------------------------------


// FUNCTION LOAD [REPLACE] code
void FunctionLoad(CommandContext& c) {
  bool replace = false;
  size_t at = 2;
  if (c.argc() == 4) {
    if (!EqualsIgnoreCase(c.arg(2), "replace")) {
      return c.reply.Error("ERR Unknown option given: " + std::string(c.arg(2)));
    }
    replace = true;
    at = 3;
  } else if (c.argc() > 4) {
    return c.reply.Error(WrongArityError(c.spec));
  }
  ScriptRegistry& reg = c.server.scripts();
  std::lock_guard<std::mutex> lk(reg.functions_write_mu());
  auto lib = std::make_shared<Library>();
  std::string err = c.conn.worker().lua().LoadLibrary(c.arg(at), lib.get());
  if (!err.empty()) return c.reply.Error(err);
  std::shared_ptr<FunctionSet> next = CopyFunctions(*reg.functions());
  err = AddLibrary(next.get(), lib, replace);
  if (!err.empty()) return c.reply.Error(err);
  reg.PublishFunctions(next);
  c.reply.Bulk(lib->name);
}

// FUNCTION DUMP: every library's code in Redis's payload format.
void FunctionDump(CommandContext& c) {
  std::shared_ptr<const FunctionSet> set = c.server.scripts().functions();
  std::string out;
  for (const auto& [name, lib] : set->libraries) {
    out.push_back(static_cast<char>(rdb::kOpFunction2));
    rdb::AppendString(&out, lib->code);
  }
  rdb::AppendTrailer(&out);
  c.reply.Bulk(out);
}

// FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE]
void FunctionRestore(CommandContext& c) {
  enum class Policy { kAppend, kReplace, kFlush } policy = Policy::kAppend;
  if (c.argc() > 4) {
    return c.reply.Error(
        "ERR unknown subcommand or wrong number of arguments for 'RESTORE'. Try FUNCTION HELP.");
  }
  if (c.argc() == 4) {
    if (EqualsIgnoreCase(c.arg(3), "flush")) {
      policy = Policy::kFlush;
    } else if (EqualsIgnoreCase(c.arg(3), "append")) {
      policy = Policy::kAppend;
    } else if (EqualsIgnoreCase(c.arg(3), "replace")) {
      policy = Policy::kReplace;
    } else {
      return c.reply.Error(
          "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.");
    }
  }
  std::optional<std::string_view> body = rdb::CheckTrailer(c.arg(2));
  if (!body) return c.reply.Error("ERR DUMP payload version or checksum are wrong");
  LuaVm& vm = c.conn.worker().lua();
  // The payload's libraries must not collide among themselves either.
  auto restored = std::make_shared<FunctionSet>();
  std::vector<std::shared_ptr<Library>> libs;
  std::string_view in = *body;
  while (!in.empty()) {
    if (static_cast<uint8_t>(in[0]) != rdb::kOpFunction2) {
      return c.reply.Error("ERR given type is not a function");
    }
    in.remove_prefix(1);
    std::optional<std::string> code = rdb::ReadString(&in);
    if (!code) return c.reply.Error("ERR Failed loading library payload");
    auto lib = std::make_shared<Library>();
    std::string err = vm.LoadLibrary(*code, lib.get());
    if (err.empty()) err = AddLibrary(restored.get(), lib, false);
    if (!err.empty()) return c.reply.Error(err);
    libs.push_back(std::move(lib));
  }
  ScriptRegistry& reg = c.server.scripts();
  std::lock_guard<std::mutex> lk(reg.functions_write_mu());
  if (policy == Policy::kFlush) {
    reg.PublishFunctions(restored);
    return c.reply.Ok();
  }
  auto next = CopyFunctions(*reg.functions());
  for (const auto& lib : libs) {
    std::string err = AddLibrary(next.get(), lib, policy != Policy::kAppend);
    if (!err.empty()) {
      // Redis names the library without quotes here.
      if (err.rfind("ERR Library '", 0) == 0) err = "ERR Library " + lib->name + " already exists";
      return c.reply.Error(err);
    }
  }
  reg.PublishFunctions(next);
  c.reply.Ok();
}

void FunctionDelete(CommandContext& c) {
  ScriptRegistry& reg = c.server.scripts();
  std::lock_guard<std::mutex> lk(reg.functions_write_mu());
  std::shared_ptr<const FunctionSet> cur = reg.functions();
  std::string name(c.arg(2));
  if (cur->libraries.count(name) == 0) return c.reply.Error("ERR Library not found");
  std::shared_ptr<FunctionSet> next = CopyFunctions(*cur);
  RemoveLibrary(next.get(), name);
  reg.PublishFunctions(next);
  c.reply.Ok();
}

void FunctionFlush(CommandContext& c) {
  if (!FlushModeOk(c, "ERR FUNCTION FLUSH only supports SYNC|ASYNC option")) return;
  ScriptRegistry& reg = c.server.scripts();
  std::lock_guard<std::mutex> lk(reg.functions_write_mu());
  reg.PublishFunctions(std::make_shared<FunctionSet>());
  c.reply.Ok();
}

// FUNCTION LIST [WITHCODE] [LIBRARYNAME pattern]
void FunctionList(CommandContext& c) {
  bool with_code = false;
  std::optional<std::string> pattern;
  for (size_t i = 2; i < c.argc(); ++i) {
    if (EqualsIgnoreCase(c.arg(i), "withcode") && !with_code) {
      with_code = true;
    } else if (EqualsIgnoreCase(c.arg(i), "libraryname") && !pattern) {
      if (i + 1 >= c.argc()) return c.reply.Error("ERR library name argument was not given");
      pattern = std::string(c.arg(++i));
    } else {
      return c.reply.Error("ERR Unknown argument " + std::string(c.arg(i)));
    }
  }
  std::shared_ptr<const FunctionSet> set = c.server.scripts().functions();
  std::vector<const Library*> libs;
  for (const auto& [name, lib] : set->libraries) {
    if (!pattern || GlobMatch(*pattern, name)) libs.push_back(lib.get());
  }
  ReplyBuilder& r = c.reply;
  r.ArrayHeader(libs.size());
  for (const Library* lib : libs) {
    r.MapHeader(with_code ? 4 : 3);
    r.Bulk("library_name");
    r.Bulk(lib->name);
    r.Bulk("engine");
    r.Bulk("LUA");
    r.Bulk("functions");
    r.ArrayHeader(lib->functions.size());
    for (const auto& f : lib->functions) {
      r.MapHeader(3);
      r.Bulk("name");
      r.Bulk(f->name);
      r.Bulk("description");
      if (f->has_description) {
        r.Bulk(f->description);
      } else {
        r.Null();
      }
      r.Bulk("flags");
      std::vector<std::string> flags = ScriptFlagNames(f->flags);
      r.SetHeader(flags.size());
      for (const auto& fl : flags) r.Simple(fl);
    }
    if (with_code) {
      r.Bulk("library_code");
      r.Bulk(lib->code);
    }
  }
}

void FunctionStats(CommandContext& c) {
  ReplyBuilder& r = c.reply;
  r.MapHeader(2);
  r.Bulk("running_script");
  std::string name;
  std::vector<std::string> command;
  int64_t duration = 0;
  if (c.server.scripts().RunningFunction(&name, &command, &duration, c.now_ms)) {
    r.MapHeader(3);
    r.Bulk("name");
    r.Bulk(name);
    r.Bulk("command");
    r.ArrayHeader(command.size());
    for (const auto& a : command) r.Bulk(a);
    r.Bulk("duration_ms");
    r.Int(duration);
  } else {
    r.Null();
  }
  std::shared_ptr<const FunctionSet> set = c.server.scripts().functions();
  r.Bulk("engines");
  r.MapHeader(1);
  r.Bulk("LUA");
  r.MapHeader(2);
  r.Bulk("libraries_count");
  r.Int(static_cast<int64_t>(set->libraries.size()));
  r.Bulk("functions_count");
  r.Int(static_cast<int64_t>(set->functions.size()));
}

void FunctionKill(CommandContext& c) { KillScript(c, true); }

void FunctionHelp(CommandContext& c) {
  HelpLines(c, {"FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "LOAD [REPLACE] <FUNCTION CODE>",
                "    Create a new library with the given library name and code.",
                "DELETE <LIBRARY NAME>", "    Delete the given library.",
                "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
                "    Return general information on all the libraries:",
                "    * Library name", "    * The engine used to run the Library",
                "    * Library description", "    * Functions list",
                "    * Library code (if WITHCODE is given)",
                "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
                "STATS", "    Return information about the current function running:",
                "    * Function name", "    * Command used to run the function",
                "    * Duration in MS that the function is running",
                "    If no function is running, return nil",
                "    In addition, returns a list of available engines.",
                "KILL", "    Kill the current running function.",
                "FLUSH [ASYNC|SYNC]", "    Delete all the libraries.",
                "    When called without the optional mode argument, the behavior is determined by the",
                "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
                "    * ASYNC: Asynchronously flush the libraries.",
                "    * SYNC: Synchronously flush the libraries.",
                "DUMP", "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
                "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
                "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
                "    control how to handle existing libraries (default APPEND):",
                "    * FLUSH: delete all existing libraries.",
                "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
                "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
                "      libraries with the new libraries (notice that even on this option there is a chance of failure",
                "      in case of functions name collision with another library).",
                "HELP", "    Prints this help."});
}

CommandSpec Run(const char* name, uint32_t flags, const char* since, const char* summary,
                CommandHandler h) {
  return MakeCommand(name, -3, flags, {}, "@scripting", "scripting", since, summary, h,
                     "Depends on the script that is executed.");
}

CommandSpec Sub(const char* name, int arity, uint32_t flags, const char* since,
                const char* summary, CommandHandler h, const char* complexity) {
  return MakeCommand(name, arity, flags, {}, "@scripting", "scripting", since, summary, h,
                     complexity);
}

}  // namespace

void RegisterScriptFamily(CommandRegistry& r) {
  constexpr uint32_t kRun = kCmdNoScript | kCmdStale | kCmdSkipMonitor | kCmdNoMandatoryKeys |
                            kCmdMovableKeys;
  r.Add(Run("eval", kRun | kCmdOrdered, "2.6.0", "Executes a server-side Lua script.", Eval));
  r.Add(Run("evalsha", kRun | kCmdOrdered, "2.6.0", "Executes a server-side Lua script by SHA1 digest.", EvalSha));
  r.Add(Run("eval_ro", kRun | kCmdReadOnly, "7.0.0",
            "Executes a read-only server-side Lua script.", EvalRo));
  r.Add(Run("evalsha_ro", kRun | kCmdReadOnly, "7.0.0",
            "Executes a read-only server-side Lua script by SHA1 digest.", EvalShaRo));
  r.Add(Run("fcall", kRun | kCmdOrdered, "7.0.0", "Invokes a function.", Fcall));
  r.Add(Run("fcall_ro", kRun | kCmdReadOnly, "7.0.0", "Invokes a read-only function.", FcallRo));

  CommandSpec& script = r.Add(MakeCommand("script", -2, 0, {}, "@scripting", "scripting", "2.6.0",
                                          "A container for Lua scripts management commands.",
                                          nullptr, "Depends on subcommand."));
  r.AddSub(script, Sub("load", 3, kCmdNoScript | kCmdStale, "2.6.0",
                       "Loads a server-side Lua script to the script cache.", ScriptLoad,
                       "O(N) with N being the length in bytes of the script body."));
  r.AddSub(script, Sub("exists", -3, kCmdNoScript, "2.6.0",
                       "Determines whether server-side Lua scripts exist in the script cache.",
                       ScriptExists, "O(N) with N being the number of scripts to check."));
  r.AddSub(script, Sub("flush", -2, kCmdNoScript, "2.6.0",
                       "Removes all server-side Lua scripts from the script cache.", ScriptFlush,
                       "O(N) with N being the number of scripts in cache"));
  r.AddSub(script, Sub("kill", 2, kCmdNoScript | kCmdAllowBusy, "2.6.0",
                       "Terminates a server-side Lua script during execution.", ScriptKill, "O(1)"));
  r.AddSub(script, Sub("help", 2, kCmdLoading | kCmdStale, "5.0.0",
                       "Returns helpful text about the different subcommands.", ScriptHelp, "O(1)"));

  CommandSpec& function = r.Add(MakeCommand("function", -2, 0, {}, "@scripting", "scripting",
                                            "7.0.0", "A container for function commands.", nullptr,
                                            "Depends on subcommand."));
  r.AddSub(function, Sub("load", -3, kCmdWrite | kCmdDenyOom | kCmdNoScript, "7.0.0",
                         "Creates a library.", FunctionLoad,
                         "O(1) (considering compilation time is redundant)"));
  r.AddSub(function, Sub("delete", 3, kCmdWrite | kCmdNoScript, "7.0.0",
                         "Deletes a library and its functions.", FunctionDelete, "O(1)"));
  r.AddSub(function, Sub("flush", -2, kCmdWrite | kCmdNoScript, "7.0.0",
                         "Deletes all libraries and functions.", FunctionFlush,
                         "O(N) where N is the number of functions deleted"));
  r.AddSub(function, Sub("list", -2, kCmdNoScript, "7.0.0",
                         "Returns information about all libraries.", FunctionList,
                         "O(N) where N is the number of functions"));
  r.AddSub(function, Sub("stats", 2, kCmdNoScript | kCmdAllowBusy, "7.0.0",
                         "Returns information about a function during execution.", FunctionStats,
                         "O(1)"));
  r.AddSub(function, Sub("kill", 2, kCmdNoScript | kCmdAllowBusy, "7.0.0",
                         "Terminates a function during execution.", FunctionKill, "O(1)"));
  r.AddSub(function, Sub("dump", 2, kCmdNoScript, "7.0.0",
                         "Dumps all libraries into a serialized binary payload.", FunctionDump,
                         "O(N) where N is the number of functions"));
  r.AddSub(function, Sub("restore", -3, kCmdWrite | kCmdDenyOom | kCmdNoScript, "7.0.0",
                         "Restores all libraries from a payload.", FunctionRestore,
                         "O(N) where N is the number of functions on the payload"));
  r.AddSub(function, Sub("help", 2, kCmdLoading | kCmdStale, "7.0.0",
                         "Returns helpful text about the different subcommands.", FunctionHelp,
                         "O(1)"));
}

}  // namespace magpie
