// Keyspace commands: DEL EXISTS TYPE, TTLs, KEYS SCAN RANDOMKEY, RENAME COPY
// MOVE, OBJECT, and database commands SELECT SWAPDB FLUSHDB FLUSHALL DBSIZE.
#include <algorithm>
#include <climits>
#include <string>
#include <thread>

#include "commands/command.h"
#include "commands/helpers.h"
#include "persistence/persistence.h"
#include "server/blocking.h"
#include "store/watch.h"
#include "server/connection.h"
#include "server/server.h"

namespace magpie {

namespace {

// DEL frees at once; UNLINK leaves big collections to the background freer.
void DelGeneric(CommandContext& c, bool lazy) {
  KeysLock locks;
  locks.LockArgs(c.db(), c.args, 1);
  int64_t deleted = 0;
  for (size_t i = 0; i < locks.size(); ++i) {
    if (locks.shard(i).Find(locks.ref(i), c.now_ms) == nullptr) continue;
    Entry* e = locks.shard(i).Detach(locks.ref(i));
    lazy ? FreeEntryLazily(e) : Entry::Free(e);
    Notify(c, kNotifyGeneric, "del", c.arg(1 + i));
    ++deleted;
  }
  c.reply.Int(deleted);
}
void Del(CommandContext& c) { DelGeneric(c, false); }
void Unlink(CommandContext& c) { DelGeneric(c, true); }

// EXISTS and TOUCH count keys, duplicates included.
void CountExisting(CommandContext& c, bool touch) {
  KeysLock locks;
  locks.LockArgs(c.db(), c.args, 1);
  int64_t n = 0;
  for (size_t i = 0; i < locks.size(); ++i) {
    Entry* e = touch ? LookupWrite(locks.shard(i), locks.ref(i), c.now_ms)
                     : LookupRead(locks.shard(i), locks.ref(i), c.now_ms);
    if (e != nullptr) ++n;
  }
  c.reply.Int(n);
}
void Exists(CommandContext& c) { CountExisting(c, false); }
void Touch(CommandContext& c) { CountExisting(c, true); }

void Type(CommandContext& c) {
  KeyLock k(c.db(), c.arg(1));
  Entry* e = k.shard.Find(k.ref, c.now_ms);
  LocalStats().keyspace_hits.Add(e ? 1 : 0);
  LocalStats().keyspace_misses.Add(e ? 0 : 1);
  c.reply.Simple(e ? TypeName(e->type()) : "none");
}

// EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT key when [NX|XX|GT|LT]
void ExpireGeneric(CommandContext& c, bool ms, bool absolute) {
  bool nx = false, xx = false, gt = false, lt = false;
  for (size_t i = 3; i < c.argc(); ++i) {
    std::string_view a = c.arg(i);
    if (EqualsIgnoreCase(a, "nx")) {
      nx = true;
    } else if (EqualsIgnoreCase(a, "xx")) {
      xx = true;
    } else if (EqualsIgnoreCase(a, "gt")) {
      gt = true;
    } else if (EqualsIgnoreCase(a, "lt")) {
      lt = true;
    } else {
      return c.reply.Error("ERR Unsupported option " + CStr(a));
    }
  }
  if (nx && (xx || gt || lt)) {
    return c.reply.Error("ERR NX and XX, GT or LT options at the same time are not compatible");
  }
  if (gt && lt) return c.reply.Error("ERR GT and LT options at the same time are not compatible");
  auto v = IntArg(c, c.arg(2));
  if (!v) return;
  std::string bad = "ERR invalid expire time in '" + c.spec.name + "' command";
  int64_t when = *v;
  if (!ms) {
    if (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000) return c.reply.Error(bad);
    when *= 1000;
  }
  int64_t base = absolute ? 0 : c.now_ms;
  if (when > LLONG_MAX - base) return c.reply.Error(bad);
  when += base;

  KeyLock k(c.db(), c.arg(1));
  Entry* e = LookupWrite(k.shard, k.ref, c.now_ms);
  if (e == nullptr) return c.reply.Int(0);
  int64_t current = e->has_expire() ? e->expire_ms() : -1;
  if (nx && current != -1) return c.reply.Int(0);
  if (xx && current == -1) return c.reply.Int(0);
  if (gt && (when <= current || current == -1)) return c.reply.Int(0);
  if (lt && current != -1 && when >= current) return c.reply.Int(0);
  if (when <= c.now_ms) {
    k.shard.Erase(k.ref);
    Notify(c, kNotifyGeneric, "del", c.arg(1));
  } else {
    k.shard.SetExpire(e, k.ref, when);
    Notify(c, kNotifyGeneric, "expire", c.arg(1));
  }
  c.reply.Int(1);
}
void Expire(CommandContext& c) { ExpireGeneric(c, false, false); }
void PExpire(CommandContext& c) { ExpireGeneric(c, true, false); }
void ExpireAt(CommandContext& c) { ExpireGeneric(c, false, true); }
void PExpireAt(CommandContext& c) { ExpireGeneric(c, true, true); }

void TtlGeneric(CommandContext& c, bool ms, bool absolute) {
  KeyLock k(c.db(), c.arg(1));
  Entry* e = LookupRead(k.shard, k.ref, c.now_ms);
  if (e == nullptr) return c.reply.Int(-2);
  if (!e->has_expire()) return c.reply.Int(-1);
  int64_t t = absolute ? e->expire_ms() : e->expire_ms() - c.now_ms;
  if (t < 0) t = 0;
  c.reply.Int(ms ? t : (t + 500) / 1000);
}
void Ttl(CommandContext& c) { TtlGeneric(c, false, false); }
void PTtl(CommandContext& c) { TtlGeneric(c, true, false); }
void ExpireTime(CommandContext& c) { TtlGeneric(c, false, true); }
void PExpireTime(CommandContext& c) { TtlGeneric(c, true, true); }

void Persist(CommandContext& c) {
  KeyLock k(c.db(), c.arg(1));
  Entry* e = LookupWrite(k.shard, k.ref, c.now_ms);
  if (e == nullptr || !e->has_expire()) return c.reply.Int(0);
  k.shard.SetExpire(e, k.ref, -1);
  Notify(c, kNotifyGeneric, "persist", c.arg(1));
  c.reply.Int(1);
}

void Keys(CommandContext& c) {
  std::string_view pattern = c.arg(1);
  bool all = pattern == "*";
  Db& db = c.db();
  std::vector<std::string> keys;
  for (uint32_t s = 0; s < kNumShards; ++s) {
    Shard& shard = db.shard(s);
    size_t first = keys.size();
    {
      // Copy the names under the lock; match after releasing it, so a
      // costly pattern never holds up other clients of the shard.
      std::lock_guard<ShardMutex> lk(shard.mu());
      shard.table().ForEach([&](Entry* e) {
        if (e->has_expire() && c.now_ms > e->expire_ms()) return;
        keys.emplace_back(e->key());
      });
    }
    if (!all) {
      auto end = std::remove_if(keys.begin() + static_cast<std::ptrdiff_t>(first), keys.end(),
                                [&](const std::string& k) { return !GlobMatch(pattern, k); });
      keys.erase(end, keys.end());
    }
  }
  c.reply.ArrayHeader(keys.size());
  for (const auto& k : keys) c.reply.Bulk(k);
}

// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
//
// Cursor = shard index << 48 | position in that shard's hash-prefix space
// (see store/table.h), so a key present for the whole scan is returned even
// if tables resize between calls.
void Scan(CommandContext& c) {
  auto cursor = ParseScanCursor(c.arg(1));
  if (!cursor) return c.reply.Error("ERR invalid cursor");
  ScanOptions o;
  if (!ParseScanOptions(c, 2, true, &o)) return;
  Db& db = c.db();
  uint64_t shard = *cursor >> 48;
  uint64_t pos = *cursor & (Table::kCursorEnd - 1);
  std::vector<std::string> keys;
  size_t want = static_cast<size_t>(std::min<int64_t>(o.count, 1 << 20));
  // Visit about 10 x COUNT buckets at most, matching or not, as Redis does:
  // a filter that matches nothing must not walk the whole database at once.
  int rounds = 10;
  while (shard < kNumShards && keys.size() < want && rounds > 0) {
    if (db.shard(static_cast<uint32_t>(shard)).size() == 0) {  // nothing to visit
      ++shard;
      pos = 0;
      continue;
    }
    --rounds;
    Shard& s = db.shard(static_cast<uint32_t>(shard));
    {
      std::lock_guard<ShardMutex> lk(s.mu());
      pos = s.table().Scan(pos, want, [&](Entry* e) {
        if (e->has_expire() && c.now_ms > e->expire_ms()) return;
        if (o.has_type && !EqualsIgnoreCase(o.type, TypeName(e->type()))) return;
        if (o.has_pattern && !GlobMatch(o.pattern, e->key())) return;
        keys.emplace_back(e->key());
      });
    }
    if (pos >= Table::kCursorEnd) {
      ++shard;
      pos = 0;
    }
  }
  uint64_t next = shard >= kNumShards ? 0 : (shard << 48) | pos;
  c.reply.ArrayHeader(2);
  c.reply.Bulk(std::to_string(next));
  c.reply.ArrayHeader(keys.size());
  for (const auto& k : keys) c.reply.Bulk(k);
}

void RandomKey(CommandContext& c) {
  Db& db = c.db();
  if (db.size() == 0) return c.reply.Null();
  uint32_t start = static_cast<uint32_t>(NowUs()) & (kNumShards - 1);
  for (uint32_t i = 0; i < kNumShards; ++i) {
    Shard& s = db.shard((start + i) & (kNumShards - 1));
    if (s.size() == 0) continue;
    std::lock_guard<ShardMutex> lk(s.mu());
    if (Entry* e = s.RandomEntry(c.now_ms)) return c.reply.Bulk(e->key());
  }
  c.reply.Null();
}

// RENAME and COPY put a new key in place of whatever the destination held:
// Redis deletes the old one and adds the new one, so "new" fires either way.
void ReplaceOrInsert(Shard& shard, const KeyRef& ref, Entry* old, Entry* e) {
  if (old == nullptr) return shard.Insert(ref, e);
  shard.Replace(old, e, ref);
  NotifyKeyspaceEvent(kNotifyNew, "new", ref.key, shard.db_index());
}

void RenameGeneric(CommandContext& c, bool nx) {
  Db& db = c.db();
  KeysLock locks;
  locks.Add(db, c.arg(1));
  locks.Add(db, c.arg(2));
  locks.Lock();
  Entry* src = LookupWrite(locks.shard(0), locks.ref(0), c.now_ms);
  if (src == nullptr) return c.reply.Error(err::kNoSuchKey);
  if (c.arg(1) == c.arg(2)) return nx ? c.reply.Int(0) : c.reply.Ok();
  Entry* dst = LookupWrite(locks.shard(1), locks.ref(1), c.now_ms);
  if (dst != nullptr && nx) return c.reply.Int(0);
  src = locks.shard(0).Detach(locks.ref(0));
  Entry* moved = src->CloneAs(c.arg(2), src->has_expire() ? src->expire_ms() : -1, false);
  Entry::Free(src);
  ReplaceOrInsert(locks.shard(1), locks.ref(1), dst, moved);
  SignalKeyReady(c.conn.db(), c.arg(2));
  Notify(c, kNotifyGeneric, "rename_from", c.arg(1));
  Notify(c, kNotifyGeneric, "rename_to", c.arg(2));
  nx ? c.reply.Int(1) : c.reply.Ok();
}
void Rename(CommandContext& c) { RenameGeneric(c, false); }
void RenameNx(CommandContext& c) { RenameGeneric(c, true); }

// COPY source destination [DB destination-db] [REPLACE]
void Copy(CommandContext& c) {
  int dst_db = c.conn.db();
  bool replace = false;
  for (size_t i = 3; i < c.argc(); ++i) {
    if (EqualsIgnoreCase(c.arg(i), "replace")) {
      replace = true;
    } else if (EqualsIgnoreCase(c.arg(i), "db") && i + 1 < c.argc()) {
      auto v = DbIndexArg(c, c.arg(++i));
      if (!v) return;
      dst_db = *v;
    } else {
      return c.reply.Error(err::kSyntax);
    }
  }
  if (dst_db == c.conn.db() && c.arg(1) == c.arg(2)) return c.reply.Error(err::kSameObject);
  KeysLock locks;
  locks.Add(c.db(), c.arg(1));
  locks.Add(c.server.keyspace().db(dst_db), c.arg(2));
  locks.Lock();
  Entry* src = LookupWrite(locks.shard(0), locks.ref(0), c.now_ms);
  if (src == nullptr) return c.reply.Int(0);
  Entry* dst = LookupWrite(locks.shard(1), locks.ref(1), c.now_ms);
  if (dst != nullptr && !replace) return c.reply.Int(0);
  Entry* copy = src->CloneAs(c.arg(2), src->has_expire() ? src->expire_ms() : -1, true);
  ReplaceOrInsert(locks.shard(1), locks.ref(1), dst, copy);
  SignalKeyReady(dst_db, c.arg(2));
  NotifyKeyspaceEvent(kNotifyGeneric, "copy_to", c.arg(2), dst_db);
  c.reply.Int(1);
}

void Move(CommandContext& c) {
  auto dst_db = DbIndexArg(c, c.arg(2));
  if (!dst_db) return;
  if (*dst_db == c.conn.db()) return c.reply.Error(err::kSameObject);
  KeysLock locks;
  locks.Add(c.db(), c.arg(1));
  locks.Add(c.server.keyspace().db(*dst_db), c.arg(1));
  locks.Lock();
  Entry* src = LookupWrite(locks.shard(0), locks.ref(0), c.now_ms);
  if (src == nullptr) return c.reply.Int(0);
  if (LookupWrite(locks.shard(1), locks.ref(1), c.now_ms) != nullptr) return c.reply.Int(0);
  Entry* e = locks.shard(0).Detach(locks.ref(0));
  locks.shard(1).Insert(locks.ref(1), e);
  SignalKeyReady(*dst_db, c.arg(1));
  Notify(c, kNotifyGeneric, "move_from", c.arg(1));
  NotifyKeyspaceEvent(kNotifyGeneric, "move_to", c.arg(1), *dst_db);
  c.reply.Int(1);
}

void ObjectEncoding(CommandContext& c) {
  KeyLock k(c.db(), c.arg(2));
  Entry* e = k.shard.Find(k.ref, c.now_ms);
  if (e == nullptr) return c.reply.Null();
  c.reply.Bulk(EncodingName(e->encoding()));
}

void ObjectFreq(CommandContext& c) {
  KeyLock k(c.db(), c.arg(2));
  Entry* e = k.shard.Find(k.ref, c.now_ms);
  if (e == nullptr) return c.reply.Null();
  if (!IsLfu(CurrentPolicy())) {
    return c.reply.Error(
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
        "that when switching between policies at runtime LRU and LFU data will take some time to "
        "adjust.");
  }
  // A compact entry left from an S3-FIFO policy the cron has not reached yet.
  if (e->compact()) e = k.shard.Expand(e);
  c.reply.Int(LfuCounter(e, c.now_ms));
}

void ObjectIdleTime(CommandContext& c) {
  KeyLock k(c.db(), c.arg(2));
  Entry* e = k.shard.Find(k.ref, c.now_ms);
  if (e == nullptr) return c.reply.Null();
  if (IsLfu(CurrentPolicy())) {
    return c.reply.Error(
        "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
        "switching between policies at runtime LRU and LFU data will take some time to adjust.");
  }
  if (IsS3Fifo(CurrentPolicy())) {
    // S3-FIFO keeps no access time (store/entry.h: compact entries).
    return c.reply.Error(
        "ERR An S3-FIFO maxmemory policy is selected, idle time not tracked. Please note that "
        "when switching between policies at runtime LRU and S3-FIFO data will take some time to "
        "adjust.");
  }
  if (e->compact()) e = k.shard.Expand(e);
  c.reply.Int(IdleSeconds(e, c.now_ms));
}

void ObjectRefCount(CommandContext& c) {
  KeyLock k(c.db(), c.arg(2));
  Entry* e = k.shard.Find(k.ref, c.now_ms);
  if (e == nullptr) return c.reply.Null();
  c.reply.Int(e->shared_int() ? INT_MAX : 1);
}

void ObjectHelp(CommandContext& c) {
  static const char* kLines[] = {
      "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "ENCODING <key>",
      "    Return the kind of internal representation used in order to store the value",
      "    associated with a <key>.",
      "FREQ <key>",
      "    Return the access frequency index of the <key>. The returned integer is",
      "    proportional to the logarithm of the recent access frequency of the key.",
      "IDLETIME <key>",
      "    Return the idle time of the <key>, that is the approximated number of",
      "    seconds elapsed since the last access to the key.",
      "REFCOUNT <key>",
      "    Return the number of references of the value associated with the specified",
      "    <key>.",
      "HELP",
      "    Prints this help."};
  c.reply.ArrayHeader(std::size(kLines));
  for (const char* l : kLines) c.reply.Simple(l);
}

void Select(CommandContext& c) {
  auto db = DbIndexArg(c, c.arg(1));
  if (!db) return;
  c.conn.set_db(*db);
  c.reply.Ok();
}

void SwapDb(CommandContext& c) {
  auto a = ParseInt64(c.arg(1));
  if (!a || *a < INT32_MIN || *a > INT32_MAX) return c.reply.Error("ERR invalid first DB index");
  auto b = ParseInt64(c.arg(2));
  if (!b || *b < INT32_MIN || *b > INT32_MAX) return c.reply.Error("ERR invalid second DB index");
  Keyspace& ks = c.server.keyspace();
  if (*a < 0 || *a >= ks.count() || *b < 0 || *b >= ks.count()) return c.reply.Error(err::kDbRange);
  if (*a != *b) {
    Db& da = ks.db(static_cast<int>(*a));
    Db& dbb = ks.db(static_cast<int>(*b));
    ShardSet set;
    for (uint32_t s = 0; s < kNumShards; ++s) {
      set.Add(&da.shard(s));
      set.Add(&dbb.shard(s));
    }
    set.Lock();
    auto in_either = [&](std::string_view key) { return da.Contains(key) || dbb.Contains(key); };
    TouchWatchedKeysOf(static_cast<int>(*a), in_either);
    TouchWatchedKeysOf(static_cast<int>(*b), in_either);
    for (uint32_t s = 0; s < kNumShards; ++s) da.shard(s).SwapContents(dbb.shard(s));
    SignalBlockedKeysOf(static_cast<int>(*a));
    SignalBlockedKeysOf(static_cast<int>(*b));
  }
  c.reply.Ok();
}

void FlushDbs(CommandContext& c, int first, int last) {
  bool async = false;
  if (c.argc() > 2) return c.reply.Error(err::kSyntax);
  if (c.argc() == 2) {
    if (EqualsIgnoreCase(c.arg(1), "async")) {
      async = true;
    } else if (!EqualsIgnoreCase(c.arg(1), "sync")) {
      return c.reply.Error(err::kSyntax);
    }
  }
  FlushDatabases(c.server.keyspace(), first, last, async);
  c.reply.Ok();
}
void FlushDb(CommandContext& c) { FlushDbs(c, c.conn.db(), c.conn.db()); }
void FlushAll(CommandContext& c) {
  size_t errors = c.reply.errors();
  FlushDbs(c, 0, c.server.keyspace().count() - 1);
  // As Redis 7.0: with save points set, the empty dataset is saved at once,
  // so a restart does not bring the flushed keys back.
  if (c.reply.errors() == errors && !c.server.config().save().empty()) {
    Persistence& p = c.server.persistence();
    p.StopBackgroundSave();
    p.Save();
  }
}

void DbSize(CommandContext& c) { c.reply.Int(static_cast<int64_t>(c.db().size())); }

CommandSpec Cmd(const char* name, int arity, uint32_t flags, int first, int last, int step,
                const char* cats, const char* since, const char* summary, CommandHandler h,
                const char* group = "generic") {
  return MakeCommand(name, arity, flags, {first, last, step}, cats, group, since, summary, h);
}

}  // namespace

void RegisterGenericFamily(CommandRegistry& r) {
  constexpr uint32_t kW = kCmdWrite;
  constexpr uint32_t kR = kCmdReadOnly;
  constexpr uint32_t kF = kCmdFast;
  r.Add(Cmd("del", -2, kW, 1, -1, 1, "@keyspace", "1.0.0", "Deletes one or more keys.", Del));
  r.Add(Cmd("unlink", -2, kW | kF, 1, -1, 1, "@keyspace", "4.0.0", "Asynchronously deletes one or more keys.", Unlink));
  r.Add(Cmd("exists", -2, kR | kF, 1, -1, 1, "@keyspace", "1.0.0", "Determines whether one or more keys exist.", Exists));
  r.Add(Cmd("touch", -2, kR | kF, 1, -1, 1, "@keyspace", "3.2.1", "Returns the number of existing keys out of those specified after updating the time they were last accessed.", Touch));
  r.Add(Cmd("type", 2, kR | kF, 1, 1, 1, "@keyspace", "1.0.0", "Determines the type of value stored at a key.", Type));
  r.Add(Cmd("expire", -3, kW | kF, 1, 1, 1, "@keyspace", "1.0.0", "Sets the expiration time of a key in seconds.", Expire));
  r.Add(Cmd("pexpire", -3, kW | kF, 1, 1, 1, "@keyspace", "2.6.0", "Sets the expiration time of a key in milliseconds.", PExpire));
  r.Add(Cmd("expireat", -3, kW | kF, 1, 1, 1, "@keyspace", "1.2.0", "Sets the expiration time of a key to a Unix timestamp.", ExpireAt));
  r.Add(Cmd("pexpireat", -3, kW | kF, 1, 1, 1, "@keyspace", "2.6.0", "Sets the expiration time of a key to a Unix milliseconds timestamp.", PExpireAt));
  r.Add(Cmd("ttl", 2, kR | kF, 1, 1, 1, "@keyspace", "1.0.0", "Returns the expiration time in seconds of a key.", Ttl));
  r.Add(Cmd("pttl", 2, kR | kF, 1, 1, 1, "@keyspace", "2.6.0", "Returns the expiration time in milliseconds of a key.", PTtl));
  r.Add(Cmd("expiretime", 2, kR | kF, 1, 1, 1, "@keyspace", "7.0.0", "Returns the expiration time of a key as a Unix timestamp.", ExpireTime));
  r.Add(Cmd("pexpiretime", 2, kR | kF, 1, 1, 1, "@keyspace", "7.0.0", "Returns the expiration time of a key as a Unix milliseconds timestamp.", PExpireTime));
  r.Add(Cmd("persist", 2, kW | kF, 1, 1, 1, "@keyspace", "2.2.0", "Removes the expiration time of a key.", Persist));
  r.Add(Cmd("keys", 2, kR, 0, 0, 0, "@keyspace @dangerous", "1.0.0", "Returns all key names that match a pattern.", Keys));
  r.Add(Cmd("scan", -2, kR, 0, 0, 0, "@keyspace", "2.8.0", "Iterates over the key names in the database.", Scan));
  r.Add(Cmd("randomkey", 1, kR, 0, 0, 0, "@keyspace", "1.0.0", "Returns a random key name from the database.", RandomKey));
  r.Add(Cmd("rename", 3, kW, 1, 2, 1, "@keyspace", "1.0.0", "Renames a key and overwrites the destination.", Rename));
  r.Add(Cmd("renamenx", 3, kW | kF, 1, 2, 1, "@keyspace", "1.0.0", "Renames a key only when the target key name doesn't exist.", RenameNx));
  r.Add(Cmd("copy", -3, kW | kCmdDenyOom, 1, 2, 1, "@keyspace", "6.2.0", "Copies the value of a key to a new key.", Copy));
  r.Add(Cmd("move", 3, kW | kF, 1, 1, 1, "@keyspace", "1.0.0", "Moves a key to another database.", Move));
  r.Add(Cmd("select", 2, kCmdLoading | kCmdStale | kF, 0, 0, 0, "@connection", "1.0.0", "Changes the selected database.", Select, "connection"));
  r.Add(Cmd("swapdb", 3, kW | kF, 0, 0, 0, "@keyspace @dangerous", "4.0.0", "Swaps two Redis databases.", SwapDb, "server"));
  r.Add(Cmd("flushdb", -1, kW, 0, 0, 0, "@keyspace @dangerous", "1.0.0", "Remove all keys from the current database.", FlushDb, "server"));
  r.Add(Cmd("flushall", -1, kW, 0, 0, 0, "@keyspace @dangerous", "1.0.0", "Removes all keys from all databases.", FlushAll, "server"));
  r.Add(Cmd("dbsize", 1, kR | kF, 0, 0, 0, "@keyspace", "1.0.0", "Returns the number of keys in the database.", DbSize, "server"));

  CommandSpec& object = r.Add(Cmd("object", -2, 0, 0, 0, 0, "", "2.2.3", "A container for object introspection commands.", nullptr));
  r.AddSub(object, Cmd("encoding", 3, kR, 2, 2, 1, "@keyspace", "2.2.3", "Returns the internal encoding of a Redis object.", ObjectEncoding));
  r.AddSub(object, Cmd("freq", 3, kR, 2, 2, 1, "@keyspace", "4.0.0", "Returns the logarithmic access frequency counter of a Redis object.", ObjectFreq));
  r.AddSub(object, Cmd("idletime", 3, kR, 2, 2, 1, "@keyspace", "2.2.3", "Returns the time since the last access to a Redis object.", ObjectIdleTime));
  r.AddSub(object, Cmd("refcount", 3, kR, 2, 2, 1, "@keyspace", "2.2.3", "Returns the reference count of a value of a key.", ObjectRefCount));
  r.AddSub(object, Cmd("help", 2, kCmdLoading | kCmdStale, 0, 0, 0, "@keyspace", "6.2.0", "Returns helpful text about the different subcommands.", ObjectHelp));
}

}  // namespace magpie
