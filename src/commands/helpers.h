// Helpers shared by the command families: shard locking, lookups that keep
// Redis's hit/miss and LRU bookkeeping, and argument parsing that replies
// with Redis's error on failure.
#pragma once

#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include "commands/command.h"
#include "common/stats.h"
#include "common/util.h"
#include "pubsub/notify.h"
#include "server/server.h"
#include "store/db.h"

namespace magpie {

// Holds the lock of the shard that owns one key.
struct KeyLock {
  KeyLock(Db& db, std::string_view key)
      : ref(KeyRef::Of(key)), shard(db.shard_for(ref)), lock(shard.mu()) {}
  KeyRef ref;
  Shard& shard;
  std::lock_guard<ShardMutex> lock;
};

// Holds the locks of every shard owning any of the keys (several databases
// allowed), taken in the global order.
class KeysLock {
 public:
  KeysLock() = default;
  void Add(Db& db, std::string_view key) {
    refs_.push_back(KeyRef::Of(key));
    shards_.push_back(&db.shard_for(refs_.back()));
    set_.Add(shards_.back());
  }
  void Lock() { set_.Lock(); }
  // Adds args[first], args[first + step], ... and locks them all.
  void LockArgs(Db& db, const std::vector<std::string_view>& args, size_t first, size_t step = 1) {
    for (size_t i = first; i < args.size(); i += step) Add(db, args[i]);
    Lock();
  }
  const KeyRef& ref(size_t i) const { return refs_[i]; }
  Shard& shard(size_t i) { return *shards_[i]; }
  size_t size() const { return refs_.size(); }

 private:
  std::vector<KeyRef> refs_;
  std::vector<Shard*> shards_;
  ShardSet set_;
};

// Lookup for reading: counts keyspace hits/misses and records the access for
// the eviction policy.
inline Entry* LookupRead(Shard& shard, const KeyRef& ref, int64_t now_ms) {
  Entry* e = shard.Find(ref, now_ms);
  if (e == nullptr) {
    LocalStats().keyspace_misses.Add();
    NotifyKeyspaceEvent(kNotifyKeyMiss, "keymiss", ref.key, shard.db_index());
  } else {
    LocalStats().keyspace_hits.Add();
    TouchEntry(e, now_ms);
  }
  return e;
}

// Lookup for writing: no hit/miss accounting.
inline Entry* LookupWrite(Shard& shard, const KeyRef& ref, int64_t now_ms) {
  Entry* e = shard.Find(ref, now_ms);
  if (e != nullptr) TouchEntry(e, now_ms);
  return e;
}

// Looks up a key that must hold `type` (or be absent): replies WRONGTYPE and
// sets *wrong when it holds another type. Reads count hits and misses.
inline Entry* LookupTyped(CommandContext& c, Shard& shard, const KeyRef& ref, ObjType type,
                          bool write, bool* wrong) {
  Entry* e = write ? LookupWrite(shard, ref, c.now_ms) : LookupRead(shard, ref, c.now_ms);
  *wrong = e != nullptr && e->type() != type;
  if (*wrong) c.reply.Error(err::kWrongType);
  return *wrong ? nullptr : e;
}

// The collection value of an entry known to hold type T's ObjType.
template <typename T>
T* ValueOf(Entry* e) {
  return static_cast<T*>(e->value());
}

// Brackets an in-place change of a collection value so the shard's byte
// count follows it:
//   ValueChange change(k.shard, e);
//   ValueOf<HashValue>(e)->Set(...);
//   change.Done();   // before the entry may be erased or replaced
class ValueChange {
 public:
  ValueChange(Shard& shard, Entry* e) : shard_(shard), e_(e), before_(e->AllocatedSize()) {}
  ValueChange(const ValueChange&) = delete;
  ValueChange& operator=(const ValueChange&) = delete;
  ~ValueChange() { Done(); }
  void Done() {
    if (e_ == nullptr) return;
    shard_.AdjustBytes(before_, e_->AllocatedSize());
    shard_.NoteModified(e_->key());
    e_ = nullptr;
  }

 private:
  Shard& shard_;
  Entry* e_;
  size_t before_;
};

// Keyspace notification for a key of the command's current database.
inline void Notify(CommandContext& c, int cls, std::string_view event, std::string_view key) {
  NotifyKeyspaceEvent(cls, event, key, c.db_index());
}

// Parses an integer argument or replies with `error`.
inline std::optional<int64_t> IntArg(CommandContext& c, std::string_view s,
                                     std::string_view error = err::kNotInt) {
  auto v = ParseInt64(s);
  if (!v) c.reply.Error(error);
  return v;
}

// The arguments of LMPOP, BLMPOP, ZMPOP and BZMPOP: "numkeys key [key ...]
// END [COUNT count]", where END is one of two words (LEFT/RIGHT, MIN/MAX).
struct MPopArgs {
  std::vector<std::string_view> keys;
  bool second_end = false;  // RIGHT or MAX
  int64_t count = 1;
};

// Parses MPopArgs from args[at]; replies Redis's error and returns false.
inline bool ParseMPopArgs(CommandContext& c, size_t at, const char* first_end,
                          const char* second_end, MPopArgs* out) {
  auto n = ParseInt64(c.arg(at));
  if (!n || *n <= 0) return c.reply.Error("ERR numkeys should be greater than 0"), false;
  if (static_cast<uint64_t>(*n) > c.argc() - at - 2) return c.reply.Error(err::kSyntax), false;
  size_t end_at = at + 1 + static_cast<size_t>(*n);
  out->keys.assign(c.args.begin() + static_cast<ptrdiff_t>(at + 1),
                   c.args.begin() + static_cast<ptrdiff_t>(end_at));
  out->second_end = EqualsIgnoreCase(c.arg(end_at), second_end);
  if (!out->second_end && !EqualsIgnoreCase(c.arg(end_at), first_end)) {
    return c.reply.Error(err::kSyntax), false;
  }
  bool have_count = false;
  for (size_t i = end_at + 1; i < c.argc(); ++i) {
    if (have_count || !EqualsIgnoreCase(c.arg(i), "count") || i + 1 == c.argc()) {
      return c.reply.Error(err::kSyntax), false;
    }
    auto v = ParseInt64(c.arg(++i));
    if (!v || *v <= 0) return c.reply.Error("ERR count should be greater than 0"), false;
    out->count = *v;
    have_count = true;
  }
  return true;
}

// The MPOP step of LMPOP, BLMPOP, ZMPOP and BZMPOP: on the first of the
// (locked) keys that exists, replies its [key, ...] header and calls
// pop(shard, ref, entry); WRONGTYPE when that key holds another type than
// `type`. Returns false, with nothing replied, when no key exists.
template <typename Pop>
bool PopFirstExisting(CommandContext& c, KeysLock& locks, const MPopArgs& a, ObjType type,
                      Pop&& pop) {
  for (size_t i = 0; i < a.keys.size(); ++i) {
    Entry* e = LookupWrite(locks.shard(i), locks.ref(i), c.now_ms);
    if (e == nullptr) continue;
    if (e->type() != type) return c.reply.Error(err::kWrongType), true;
    c.reply.ArrayHeader(2);
    c.reply.Bulk(a.keys[i]);
    pop(locks.shard(i), locks.ref(i), e);
    return true;
  }
  return false;
}

// The options of SCAN, HSCAN, SSCAN and ZSCAN.
struct ScanOptions {
  std::string_view pattern;
  bool has_pattern = false;  // a MATCH other than "*"
  std::string_view type;
  bool has_type = false;     // SCAN's TYPE
  int64_t count = 10;
};

// Parses "[MATCH pattern] [COUNT count] [TYPE type]" from args[first] (TYPE
// only when `allow_type`); replies Redis's error and returns false on a bad
// option.
inline bool ParseScanOptions(CommandContext& c, size_t first, bool allow_type, ScanOptions* o) {
  for (size_t i = first; i < c.argc(); ++i) {
    std::string_view a = c.arg(i);
    bool has_next = i + 1 < c.argc();
    if (EqualsIgnoreCase(a, "count") && has_next) {
      auto v = IntArg(c, c.arg(++i));
      if (!v) return false;
      if (*v < 1) return c.reply.Error(err::kSyntax), false;
      o->count = *v;
    } else if (EqualsIgnoreCase(a, "match") && has_next) {
      o->pattern = c.arg(++i);
      o->has_pattern = !(o->pattern.size() == 1 && o->pattern[0] == '*');
    } else if (allow_type && EqualsIgnoreCase(a, "type") && has_next) {
      o->type = c.arg(++i);
      o->has_type = true;
    } else {
      return c.reply.Error(err::kSyntax), false;
    }
  }
  return true;
}

// The reply of HSCAN/SSCAN/ZSCAN on a missing key.
inline void ReplyEmptyScan(ReplyBuilder& r) {
  r.ArrayHeader(2);
  r.Bulk("0");
  r.ArrayHeader(0);
}

// Parses a database index argument as SELECT/MOVE/COPY do.
// Whether a command can touch keys other than those at its key positions
// of the connection's current database (movable keys, commands that walk
// the keyspace or name another database).
inline bool NeedsEveryShard(const CommandSpec& s) {
  if (s.first_key <= 0 || (s.flags & kCmdMovableKeys)) return true;
  const CommandSpec& top = s.parent != nullptr ? *s.parent : s;
  return top.name == "move" || top.name == "copy" || top.name == "sort" ||
         top.name == "sort_ro";
}

// Adds the shards of `db` holding the keys at the command's key positions
// to *out. False (and nothing added) when the command may touch any shard
// of any database (NeedsEveryShard). EXEC and scripts lock with it.
template <typename Args>
bool KeyShards(Db& db, const CommandSpec& s, const Args& args, std::vector<Shard*>* out) {
  if (NeedsEveryShard(s)) return false;
  int argc = static_cast<int>(args.size());
  int last = s.last_key < 0 ? argc + s.last_key : s.last_key;
  for (int k = s.first_key; k <= last && k < argc; k += s.step) {
    out->push_back(&db.shard_for(KeyRef::Of(args[static_cast<size_t>(k)])));
  }
  return true;
}

// A HELP subcommand's reply: one status line each.
inline void HelpLines(CommandContext& c, std::initializer_list<const char*> lines) {
  c.reply.ArrayHeader(lines.size());
  for (const char* l : lines) c.reply.Simple(l);
}

inline std::optional<int> DbIndexArg(CommandContext& c, std::string_view s) {
  auto v = ParseInt64(s);
  if (!v || *v < INT32_MIN || *v > INT32_MAX) {
    c.reply.Error(err::kNotInt);
    return std::nullopt;
  }
  if (*v < 0 || *v >= c.server.keyspace().count()) {
    c.reply.Error(err::kDbRange);
    return std::nullopt;
  }
  return static_cast<int>(*v);
}

}  // namespace magpie
