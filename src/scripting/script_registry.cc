#include "scripting/script_registry.h"

#include <openssl/evp.h>

#include <algorithm>

namespace magpie {

namespace {

struct FlagName {
  uint32_t flag;
  const char* name;
};
constexpr FlagName kFlagNames[] = {
    {kScriptNoWrites, "no-writes"},
    {kScriptAllowOom, "allow-oom"},
    {kScriptAllowStale, "allow-stale"},
    {kScriptNoCluster, "no-cluster"},
    {kScriptAllowCrossSlotKeys, "allow-cross-slot-keys"},
};

}  // namespace

std::vector<std::string> ScriptFlagNames(uint32_t flags) {
  std::vector<std::string> out;
  for (const FlagName& f : kFlagNames) {
    if (flags & f.flag) out.emplace_back(f.name);
  }
  return out;
}

bool ParseScriptFlag(std::string_view name, uint32_t* flag) {
  for (const FlagName& f : kFlagNames) {
    if (name == f.name) {
      *flag = f.flag;
      return true;
    }
  }
  return false;
}

void LearnedScope::Widen(LockScope s) {
  uint8_t want = static_cast<uint8_t>(s);
  uint8_t cur = scope.load(std::memory_order_relaxed);
  // kUnknown (3) is replaced by whatever the first run needed.
  while ((cur == static_cast<uint8_t>(LockScope::kUnknown) || cur < want) &&
         !scope.compare_exchange_weak(cur, want, std::memory_order_relaxed)) {
  }
}

std::string ScriptRegistry::Sha1Hex(std::string_view body) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(body.data(), body.size(), md, &len, EVP_sha1(), nullptr);
  static const char kHex[] = "0123456789abcdef";
  std::string out(len * 2, '0');
  for (unsigned int i = 0; i < len; ++i) {
    out[2 * i] = kHex[md[i] >> 4];
    out[2 * i + 1] = kHex[md[i] & 15];
  }
  return out;
}

std::shared_ptr<EvalScript> ScriptRegistry::Find(std::string_view sha) const {
  std::lock_guard<std::mutex> lk(mu_);
  auto it = scripts_.find(sha);
  return it == scripts_.end() ? nullptr : it->second;
}

std::shared_ptr<EvalScript> ScriptRegistry::Add(std::string_view sha, std::string_view body,
                                                bool shebang, uint32_t flags) {
  std::lock_guard<std::mutex> lk(mu_);
  auto it = scripts_.find(sha);
  if (it != scripts_.end()) return it->second;
  auto s = std::make_shared<EvalScript>();
  s->sha = std::string(sha);
  s->body = std::string(body);
  s->shebang = shebang;
  s->flags = flags;
  script_bytes_ += body.size();
  scripts_.emplace(s->sha, s);
  return s;
}

void ScriptRegistry::Flush() {
  std::map<std::string, std::shared_ptr<EvalScript>, std::less<>> old;
  {
    std::lock_guard<std::mutex> lk(mu_);
    old.swap(scripts_);
    script_bytes_ = 0;
    scripts_gen_.fetch_add(1, std::memory_order_acq_rel);
  }
}

size_t ScriptRegistry::script_count() const {
  std::lock_guard<std::mutex> lk(mu_);
  return scripts_.size();
}

size_t ScriptRegistry::script_bytes() const {
  std::lock_guard<std::mutex> lk(mu_);
  return script_bytes_;
}

size_t ScriptRegistry::function_bytes() const {
  size_t n = 0;
  std::shared_ptr<const FunctionSet> set = functions();  // keeps the set alive while we walk it
  for (const auto& [name, lib] : set->libraries) n += lib->code.size() + name.size();
  return n;
}

std::shared_ptr<const FunctionSet> ScriptRegistry::functions() const {
  std::lock_guard<std::mutex> lk(mu_);
  if (fn_ == nullptr) return std::make_shared<FunctionSet>();
  return fn_;
}

void ScriptRegistry::PublishFunctions(std::shared_ptr<FunctionSet> next) {
  std::lock_guard<std::mutex> lk(mu_);
  next->generation = fn_gen_.fetch_add(1, std::memory_order_acq_rel) + 1;
  fn_ = std::move(next);
}

void ScriptRegistry::AddBusy(BusyScript* b) {
  std::lock_guard<std::mutex> lk(mu_);
  busy_.push_back(b);
  busy_count_.store(static_cast<int>(busy_.size()), std::memory_order_relaxed);
}

void ScriptRegistry::RemoveBusy(BusyScript* b) {
  std::lock_guard<std::mutex> lk(mu_);
  busy_.erase(std::remove(busy_.begin(), busy_.end(), b), busy_.end());
  busy_count_.store(static_cast<int>(busy_.size()), std::memory_order_relaxed);
}

std::string ScriptRegistry::BusyError() const {
  bool function = false;
  {
    std::lock_guard<std::mutex> lk(mu_);
    function = !busy_.empty() && busy_.front()->is_function;
  }
  return std::string("BUSY Redis is busy running a script. You can only call ") +
         (function ? "FUNCTION KILL" : "SCRIPT KILL") + " or SHUTDOWN NOSAVE.";
}

std::string ScriptRegistry::Kill(bool functions) {
  std::lock_guard<std::mutex> lk(mu_);
  std::vector<BusyScript*> targets;
  for (BusyScript* b : busy_) {
    if (b->is_function == functions) targets.push_back(b);
  }
  if (targets.empty()) return "NOTBUSY No scripts in execution right now.";
  for (BusyScript* b : targets) {
    if (b->wrote.load()) {
      return "UNKILLABLE Sorry the script already executed write commands against the dataset. "
             "You can either wait the script termination or kill the server in a hard way using "
             "the SHUTDOWN NOSAVE command.";
    }
  }
  for (BusyScript* b : targets) b->kill.store(true);
  return "";
}

void ScriptRegistry::KillAll() {
  std::lock_guard<std::mutex> lk(mu_);
  for (BusyScript* b : busy_) b->kill.store(true);
}

bool ScriptRegistry::RunningFunction(std::string* name, std::vector<std::string>* command,
                                     int64_t* duration_ms, int64_t now_ms) const {
  std::lock_guard<std::mutex> lk(mu_);
  for (BusyScript* b : busy_) {
    if (!b->is_function) continue;
    *name = b->name;
    *command = b->args;
    *duration_ms = now_ms - b->start_ms;
    return true;
  }
  return false;
}

// A copy of the current libraries to modify and publish.
std::shared_ptr<FunctionSet> CopyFunctions(const FunctionSet& cur) {
  auto next = std::make_shared<FunctionSet>();
  next->libraries = cur.libraries;
  next->functions = cur.functions;
  next->function_library = cur.function_library;
  return next;
}

void RemoveLibrary(FunctionSet* set, const std::string& name) {
  auto it = set->libraries.find(name);
  if (it == set->libraries.end()) return;
  for (const auto& f : it->second->functions) {
    set->functions.erase(f->name);
    set->function_library.erase(f->name);
  }
  set->libraries.erase(it);
}

// Adds `lib` to `set` (replacing a library of the same name if `replace`);
// "" or the error reply.
std::string AddLibrary(FunctionSet* set, const std::shared_ptr<Library>& lib, bool replace) {
  if (set->libraries.count(lib->name) != 0 && !replace) {
    return "ERR Library '" + lib->name + "' already exists";
  }
  for (const auto& f : lib->functions) {
    auto owner = set->function_library.find(f->name);
    if (owner != set->function_library.end() && owner->second != lib->name) {
      return "ERR Function " + f->name + " already exists";
    }
  }
  RemoveLibrary(set, lib->name);
  for (const auto& f : lib->functions) {
    set->functions[f->name] = f;
    set->function_library[f->name] = lib->name;
  }
  set->libraries[lib->name] = lib;
  return "";
}

}  // namespace magpie
