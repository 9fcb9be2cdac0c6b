// The server-wide state of scripting: the EVAL script cache, the FUNCTION
// libraries, and the scripts that are running right now.
//
// Every worker has its own Lua state (scripting/lua_vm.h), so scripts run on
// all cores; what must be the same everywhere lives here, behind one mutex:
// the script bodies by SHA1 and the library code. Each worker's state
// compiles what it needs on first use and notices SCRIPT FLUSH and FUNCTION
// changes through the generation counters.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace magpie {

// The flags of a `#!lua flags=...` shebang or of redis.register_function.
enum ScriptFlag : uint32_t {
  kScriptNoWrites = 1u << 0,
  kScriptAllowOom = 1u << 1,
  kScriptAllowStale = 1u << 2,
  kScriptNoCluster = 1u << 3,
  kScriptAllowCrossSlotKeys = 1u << 4,
};
// Names in Redis's order (FUNCTION LIST), and the parser for one name.
std::vector<std::string> ScriptFlagNames(uint32_t flags);
bool ParseScriptFlag(std::string_view name, uint32_t* flag);

// Which shards a script holds while it runs. A script starts with the
// widest scope the first time and afterwards with the narrowest scope its
// earlier runs needed (see docs/ARCHITECTURE.md, "Scripts and locking").
enum class LockScope : uint8_t {
  kDeclared = 0,    // the shards of its KEYS
  kDatabase = 1,    // every shard of the database it starts in
  kEverything = 2,  // every shard of every database
  kUnknown = 3,     // never ran: kEverything, and learn
};

// What a script's runs have needed so far; shared by all workers.
struct LearnedScope {
  std::atomic<uint8_t> scope{static_cast<uint8_t>(LockScope::kUnknown)};
  LockScope Get() const { return static_cast<LockScope>(scope.load(std::memory_order_relaxed)); }
  // Records that a run needed `s` (never narrows what was learned).
  void Widen(LockScope s);
};

struct EvalScript {
  std::string sha;   // lowercase hex
  std::string body;
  bool shebang = false;  // flags below are explicit (otherwise: compatibility mode)
  uint32_t flags = 0;
  LearnedScope learned;
};

struct LibraryFunction {
  std::string name;
  std::string description;  // empty: none (FUNCTION LIST shows null)
  bool has_description = false;
  uint32_t flags = 0;
  LearnedScope learned;
};

struct Library {
  std::string name;
  std::string code;
  std::vector<std::shared_ptr<LibraryFunction>> functions;
};

// One consistent view of all libraries (copy-on-write: FUNCTION LOAD and
// DELETE publish a new one).
struct FunctionSet {
  uint64_t generation = 0;
  std::map<std::string, std::shared_ptr<const Library>> libraries;
  std::map<std::string, std::shared_ptr<LibraryFunction>> functions;  // by function name
  std::map<std::string, std::string> function_library;                // function → library
};

// A copy of the current libraries to modify and publish.
std::shared_ptr<FunctionSet> CopyFunctions(const FunctionSet& cur);
void RemoveLibrary(FunctionSet* set, const std::string& name);
// Adds `lib` to `set` (replacing a library of the same name if `replace`);
// "" or the error reply.
std::string AddLibrary(FunctionSet* set, const std::shared_ptr<Library>& lib, bool replace);

// A script that has run longer than busy-reply-threshold (other clients get
// -BUSY until it ends or SCRIPT KILL / FUNCTION KILL stops it).
struct BusyScript {
  bool is_function = false;
  std::string name;     // function name or SHA1
  std::string command;  // "eval", "fcall", ... (FUNCTION STATS)
  std::vector<std::string> args;
  int64_t start_ms = 0;
  std::atomic<bool> wrote{false};
  std::atomic<bool> kill{false};
};

class ScriptRegistry {
 public:
  // SHA1 of `body` as 40 lowercase hex digits.
  static std::string Sha1Hex(std::string_view body);

  // EVAL cache.
  std::shared_ptr<EvalScript> Find(std::string_view sha) const;
  // Adds a compiled-and-checked body (or returns the one already cached).
  std::shared_ptr<EvalScript> Add(std::string_view sha, std::string_view body, bool shebang,
                                  uint32_t flags);
  void Flush();
  uint64_t scripts_generation() const { return scripts_gen_.load(std::memory_order_acquire); }
  size_t script_count() const;
  size_t script_bytes() const;
  // Bytes of library code and names (INFO used_memory_functions).
  size_t function_bytes() const;

  // Libraries.
  std::shared_ptr<const FunctionSet> functions() const;
  // Publishes `next` as the new set (its generation is assigned here).
  void PublishFunctions(std::shared_ptr<FunctionSet> next);
  uint64_t functions_generation() const { return fn_gen_.load(std::memory_order_acquire); }
  // Serializes FUNCTION LOAD/DELETE/FLUSH/RESTORE (read, validate, publish).
  std::mutex& functions_write_mu() { return fn_write_mu_; }

  // Memory of every worker's Lua states (INFO used_memory_vm_*), kept by
  // each LuaVm as the delta of its own figure after it runs or compiles.
  std::atomic<int64_t> vm_eval_bytes{0};
  std::atomic<int64_t> vm_functions_bytes{0};

  // Busy scripts.
  void AddBusy(BusyScript* b);
  void RemoveBusy(BusyScript* b);
  bool busy() const { return busy_count_.load(std::memory_order_relaxed) > 0; }
  // The -BUSY error for commands while a script is busy.
  std::string BusyError() const;
  // SCRIPT KILL / FUNCTION KILL: "" when killed, otherwise the error reply.
  std::string Kill(bool functions);
  // Kills every busy script (SHUTDOWN NOSAVE).
  void KillAll();
  // FUNCTION STATS running_script: fills name, command and duration of the
  // first busy function; false when none.
  bool RunningFunction(std::string* name, std::vector<std::string>* command,
                       int64_t* duration_ms, int64_t now_ms) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<EvalScript>, std::less<>> scripts_;
  size_t script_bytes_ = 0;
  std::atomic<uint64_t> scripts_gen_{1};

  std::shared_ptr<const FunctionSet> fn_;
  std::atomic<uint64_t> fn_gen_{1};
  std::mutex fn_write_mu_;

  std::vector<BusyScript*> busy_;
  std::atomic<int> busy_count_{0};
};

}  // namespace magpie
