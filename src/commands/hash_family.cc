// Hash commands: HSET and friends, HINCRBY*, HRANDFIELD, HSCAN, and Redis
// 7.4's field expiration (HEXPIRE, HTTL, HPERSIST...).
//
// Values are HashValue (types/hash.h). Every handler opens its key through
// OpenHash, which first purges fields whose TTL has passed, so no reply ever
// shows a dead field and HLEN is exact; a hash left empty is deleted there.
// The shard's active cycle calls ExpireHashFields for hashes nobody reads.
// After every change the entry's encoding (what OBJECT ENCODING reports) is
// resynchronised with the value: listpack -> listpackex (first field TTL)
// -> listpack (last TTL gone), and one-way listpack -> hashtable when a
// field or value passes hash-max-listpack-value bytes or the count passes
// hash-max-listpack-entries, at the same points as Redis.
#include <climits>
#include <cmath>
#include <string>
#include <vector>

#include "commands/command.h"
#include "commands/helpers.h"
#include "server/connection.h"
#include "server/server.h"
#include "types/hash.h"

namespace magpie {

namespace {

// Largest field expire time Redis 7.4 accepts, in unix ms.
constexpr int64_t kMaxFieldExpireMs = (int64_t{1} << 48) - 1;

Encoding EncodingOf(const HashValue* h) {
  switch (h->encoding()) {
    case HashValue::Enc::kListpack: return Encoding::kListpack;
    case HashValue::Enc::kListpackEx: return Encoding::kListpackEx;
    case HashValue::Enc::kHashtable: return Encoding::kHashtable;
  }
  return Encoding::kListpack;
}

void SyncEncoding(Entry* e) { e->set_encoding(EncodingOf(ValueOf<HashValue>(e))); }

// Deletes the dead fields of `e` (a hash); erases the key if none is left.
// Returns the entry, or nullptr if it was deleted.
Entry* PurgeExpired(Shard& shard, Entry* e, const KeyRef& ref, int64_t now_ms, size_t max) {
  auto* h = ValueOf<HashValue>(e);
  if (h->NextExpire() >= now_ms || ExpiryFrozen()) return e;
  ValueChange change(shard, e);
  size_t n = h->ExpireFields(now_ms, max);
  change.Done();
  LocalStats().expired_subkeys.Add(n);
  if (n > 0) NotifyKeyspaceEvent(kNotifyHash, "hexpired", ref.key, shard.db_index());
  if (h->empty()) {
    shard.Erase(ref);
    NotifyKeyspaceEvent(kNotifyGeneric, "del", ref.key, shard.db_index());
    return nullptr;
  }
  SyncEncoding(e);
  return e;
}

// The active cycle's hook (Shard::ExpireSubkeysCycle).
size_t ExpireHashFields(Shard& shard, Entry* e, const KeyRef& k, int64_t now_ms) {
  if (e->type() != ObjType::kHash) return 0;
  size_t before = ValueOf<HashValue>(e)->size();
  constexpr size_t kMaxPerVisit = 1000;  // bounds one lock hold on a huge hash
  Entry* left = PurgeExpired(shard, e, k, now_ms, kMaxPerVisit);
  return left ? before - ValueOf<HashValue>(left)->size() : before;
}

// Looks up a hash (nullptr if absent or of another type; *wrong then says
// which, WRONGTYPE already replied), dropping its dead fields first.
Entry* OpenHash(CommandContext& c, Shard& shard, const KeyRef& ref, bool write, bool* wrong) {
  Entry* e = LookupTyped(c, shard, ref, ObjType::kHash, write, wrong);
  if (e == nullptr) return nullptr;
  return PurgeExpired(shard, e, ref, c.now_ms, SIZE_MAX);
}

Entry* CreateHash(Shard& shard, const KeyRef& ref) {
  Entry* e = Entry::NewEmptyCollection<HashValue>(ref.key, ObjType::kHash, Encoding::kListpack);
  shard.Insert(ref, e);
  return e;
}

// Sets one field with Redis's conversion points: a long field or value
// converts before the write, a count past the limit right after it.
bool SetField(CommandContext& c, HashValue* h, std::string_view field, std::string_view value) {
  const Config& cfg = c.server.config();
  bool compact = h->encoding() != HashValue::Enc::kHashtable;
  int64_t max_value = cfg.hash_max_listpack_value.load();
  if (compact && (static_cast<int64_t>(field.size()) > max_value ||
                  static_cast<int64_t>(value.size()) > max_value)) {
    h->ConvertToTable();
    compact = false;
  }
  bool added = h->Set(field, value);
  if (compact && static_cast<int64_t>(h->size()) > cfg.hash_max_listpack_entries.load()) {
    h->ConvertToTable();
  }
  return added;
}

// HSET key field value [field value ...] / HMSET
void HSetGeneric(CommandContext& c, bool hmset) {
  if (c.argc() % 2 != 0) return c.reply.Error(WrongArityError(c.spec));
  KeyLock k(c.db(), c.arg(1));
  bool wrong;
  Entry* e = OpenHash(c, k.shard, k.ref, true, &wrong);
  if (wrong) return;
  if (e == nullptr) e = CreateHash(k.shard, k.ref);
  int64_t added = 0;
  {
    ValueChange change(k.shard, e);
    auto* h = ValueOf<HashValue>(e);
    for (size_t i = 2; i < c.argc(); i += 2) added += SetField(c, h, c.arg(i), c.arg(i + 1));
  }
  SyncEncoding(e);
  Notify(c, kNotifyHash, "hset", c.arg(1));
  hmset ? c.reply.Ok() : c.reply.Int(added);
}
void HSet(CommandContext& c) { HSetGeneric(c, false); }
void HMSet(CommandContext& c) { HSetGeneric(c, true); }

void HSetNx(CommandContext& c) {
  KeyLock k(c.db(), c.arg(1));
  bool wrong;
  Entry* e = OpenHash(c, k.shard, k.ref, true, &wrong);
  if (wrong) return;
  if (e != nullptr && ValueOf<HashValue>(e)->Exists(c.arg(2))) return c.reply.Int(0);
  if (e == nullptr) e = CreateHash(k.shard, k.ref);
  {
    ValueChange change(k.shard, e);
    SetField(c, ValueOf<HashValue>(e), c.arg(2), c.arg(3));
  }
  SyncEncoding(e);
  Notify(c, kNotifyHash, "hset", c.arg(1));
  c.reply.Int(1);
}

void HGet(CommandContext& c) {
  KeyLock k(c.db(), c.arg(1));
  bool wrong;
  Entry* e = OpenHash(c, k.shard, k.ref, false, &wrong);
  if (wrong) return;
  std::string_view v;
  if (e == nullptr || !ValueOf<HashValue>(e)->Get(c.arg(2), &v)) return c.reply.Null();
  c.reply.Bulk(v);
}

void HMGet(CommandContext& c) {
  KeyLock k(c.db(), c.arg(1));
  bool wrong;
  Entry* e = OpenHash(c, k.shard, k.ref, false, &wrong);
  if (wrong) return;
  c.reply.ArrayHeader(c.argc() - 2);
  for (size_t i = 2; i < c.argc(); ++i) {
    std::string_view v;
    if (e != nullptr && ValueOf<HashValue>(e)->Get(c.arg(i), &v)) {
      c.reply.Bulk(v);
    } else {
      c.reply.Null();
    }
  }
}

void HDel(CommandContext& c) {
  KeyLock k(c.db(), c.arg(1));
  bool wrong;
  Entry* e = OpenHash(c, k.shard, k.ref, true, &wrong);
  if (wrong) return;
  if (e == nullptr) return c.reply.Int(0);
  auto* h = ValueOf<HashValue>(e);
  int64_t deleted = 0;
  {
    ValueChange change(k.shard, e);
    for (size_t i = 2; i < c.argc() && !h->empty(); ++i) deleted += h->Delete(c.arg(i));
  }
  if (deleted > 0) Notify(c, kNotifyHash, "hdel", c.arg(1));
  if (h->empty()) {
    k.shard.Erase(k.ref);
    Notify(c, kNotifyGeneric, "del", c.arg(1));
  } else {
    SyncEncoding(e);
  }
  c.reply.Int(deleted);
}

void HExists(CommandContext& c) {
  KeyLock k(c.db(), c.arg(1));
  bool wrong;
  Entry* e = OpenHash(c, k.shard, k.ref, false, &wrong);
  if (wrong) return;
  c.reply.Int(e != nullptr && ValueOf<HashValue>(e)->Exists(c.arg(2)));
}

void HLen(CommandContext& c) {
  KeyLock k(c.db(), c.arg(1));
  bool wrong;
  Entry* e = OpenHash(c, k.shard, k.ref, false, &wrong);
  if (wrong) return;
  c.reply.Int(e ? static_cast<int64_t>(ValueOf<HashValue>(e)->size()) : 0);
}

void HStrLen(CommandContext& c) {
  KeyLock k(c.db(), c.arg(1));
  bool wrong;
  Entry* e = OpenHash(c, k.shard, k.ref, false, &wrong);
  if (wrong) return;
  std::string_view v;
  bool found = e != nullptr && ValueOf<HashValue>(e)->Get(c.arg(2), &v);
  c.reply.Int(found ? static_cast<int64_t>(v.size()) : 0);
}

enum GetAllWhat { kKeys = 1, kVals = 2, kBoth = 3 };

void HGetAllGeneric(CommandContext& c, GetAllWhat what) {
  KeyLock k(c.db(), c.arg(1));
  bool wrong;
  Entry* e = OpenHash(c, k.shard, k.ref, false, &wrong);
  if (wrong) return;
  size_t n = e ? ValueOf<HashValue>(e)->size() : 0;
  what == kBoth ? c.reply.MapHeader(n) : c.reply.ArrayHeader(n);
  if (e == nullptr) return;
  ValueOf<HashValue>(e)->ForEach([&](std::string_view f, std::string_view v) {
    if (what & kKeys) c.reply.Bulk(f);
    if (what & kVals) c.reply.Bulk(v);
  });
}
void HKeys(CommandContext& c) { HGetAllGeneric(c, kKeys); }
void HVals(CommandContext& c) { HGetAllGeneric(c, kVals); }
void HGetAll(CommandContext& c) { HGetAllGeneric(c, kBoth); }

void HIncrBy(CommandContext& c) {
  auto incr = IntArg(c, c.arg(3));
  if (!incr) return;
  KeyLock k(c.db(), c.arg(1));
  bool wrong;
  Entry* e = OpenHash(c, k.shard, k.ref, true, &wrong);
  if (wrong) return;
  int64_t value = 0;
  std::string_view cur;
  if (e != nullptr && ValueOf<HashValue>(e)->Get(c.arg(2), &cur)) {
    auto v = ParseInt64(cur);
    if (!v) return c.reply.Error("ERR hash value is not an integer");
    value = *v;
  }
  if ((*incr < 0 && value < 0 && *incr < LLONG_MIN - value) ||
      (*incr > 0 && value > 0 && *incr > LLONG_MAX - value)) {
    return c.reply.Error(err::kOverflow);
  }
  value += *incr;
  if (e == nullptr) e = CreateHash(k.shard, k.ref);
  char buf[24];
  size_t len = FormatInt64(value, buf);
  {
    ValueChange change(k.shard, e);
    SetField(c, ValueOf<HashValue>(e), c.arg(2), std::string_view(buf, len));
  }
  SyncEncoding(e);
  Notify(c, kNotifyHash, "hincrby", c.arg(1));
  c.reply.Int(value);
}

void HIncrByFloat(CommandContext& c) {
  auto incr = ParseLongDouble(c.arg(3));
  if (!incr) return c.reply.Error(err::kNotFloat);
  if (std::isnan(*incr) || std::isinf(*incr)) return c.reply.Error("ERR value is NaN or Infinity");
  KeyLock k(c.db(), c.arg(1));
  bool wrong;
  Entry* e = OpenHash(c, k.shard, k.ref, true, &wrong);
  if (wrong) return;
  long double value = 0;
  std::string_view cur;
  if (e != nullptr && ValueOf<HashValue>(e)->Get(c.arg(2), &cur)) {
    auto v = ParseLongDouble(cur);
    if (!v) return c.reply.Error("ERR hash value is not a float");
    value = *v;
  }
  value += *incr;
  if (std::isnan(value) || std::isinf(value)) {
    return c.reply.Error("ERR increment would produce NaN or Infinity");
  }
  std::string s = FormatLongDouble(value);
  if (e == nullptr) e = CreateHash(k.shard, k.ref);
  {
    ValueChange change(k.shard, e);
    SetField(c, ValueOf<HashValue>(e), c.arg(2), s);
  }
  SyncEncoding(e);
  Notify(c, kNotifyHash, "hincrbyfloat", c.arg(1));
  c.reply.Bulk(s);
}

// HRANDFIELD key [count [WITHVALUES]]
void HRandField(CommandContext& c) {
  bool with_values = false;
  int64_t count = 1;
  bool has_count = c.argc() >= 3;
  // Redis's order: the count, then the syntax, then the size of the reply.
  if (has_count) {
    auto v = IntArg(c, c.arg(2));
    if (!v) return;
    if (*v == LLONG_MIN) {
      return c.reply.Error(
          "ERR value is out of range, value must between -9223372036854775807 and "
          "9223372036854775807");
    }
    count = *v;
  }
  if (c.argc() == 4 && EqualsIgnoreCase(c.arg(3), "withvalues")) {
    with_values = true;
  } else if (c.argc() >= 4) {
    return c.reply.Error(err::kSyntax);
  }
  // A count whose reply (twice as long with values) could overflow.
  if (with_values && (count > LLONG_MAX / 2 || count < -(LLONG_MAX / 2))) {
    return c.reply.Error("ERR value is out of range");
  }
  KeyLock k(c.db(), c.arg(1));
  bool wrong;
  Entry* e = OpenHash(c, k.shard, k.ref, false, &wrong);
  if (wrong) return;
  if (!has_count) {
    if (e == nullptr) return c.reply.Null();
    c.reply.Bulk(ValueOf<HashValue>(e)->Random(k.shard.NextRandom()).first);
    return;
  }
  if (e == nullptr) return c.reply.ArrayHeader(0);
  auto* h = ValueOf<HashValue>(e);
  bool repeats = count < 0;
  uint64_t want = repeats ? static_cast<uint64_t>(-count) : static_cast<uint64_t>(count);
  auto emit_header = [&](size_t n) {
    if (with_values && c.reply.resp3()) {
      c.reply.ArrayHeader(n);
    } else {
      c.reply.ArrayHeader(with_values ? n * 2 : n);
    }
  };
  auto emit = [&](std::string_view f, std::string_view v) {
    if (with_values && c.reply.resp3()) c.reply.ArrayHeader(2);
    c.reply.Bulk(f);
    if (with_values) c.reply.Bulk(v);
  };
  if (want == 0) return c.reply.ArrayHeader(0);
  if (repeats) {
    emit_header(want);
    for (uint64_t i = 0; i < want; ++i) {
      auto [f, v] = h->Random(k.shard.NextRandom());
      emit(f, v);
    }
    return;
  }
  size_t n = h->size();
  if (want >= n) {
    emit_header(n);
    h->ForEach(emit);
    return;
  }
  emit_header(want);
  h->RandomDistinct(want, [&k] { return k.shard.NextRandom(); }, emit);
}

// HSCAN key cursor [MATCH pattern] [COUNT count]
void HScan(CommandContext& c) {
  auto cursor = ParseScanCursor(c.arg(2));
  if (!cursor) return c.reply.Error("ERR invalid cursor");
  KeyLock k(c.db(), c.arg(1));
  bool wrong;
  Entry* e = OpenHash(c, k.shard, k.ref, false, &wrong);
  if (wrong) return;
  if (e == nullptr) return ReplyEmptyScan(c.reply);
  ScanOptions o;
  if (!ParseScanOptions(c, 3, false, &o)) return;
  // Cursors past the prefix space come from elsewhere: start over, as an
  // unknown cursor does in Redis.
  uint64_t pos = *cursor < FieldTable::kCursorEnd ? *cursor : 0;
  std::vector<std::string_view> out;
  uint64_t next = ValueOf<HashValue>(e)->Scan(
      pos, static_cast<size_t>(std::min<int64_t>(o.count, 1 << 20)),
      [&](std::string_view f, std::string_view v) {
        if (o.has_pattern && !GlobMatch(o.pattern, f)) return;
        out.push_back(f);
        out.push_back(v);
      });
  c.reply.ArrayHeader(2);
  c.reply.Bulk(std::to_string(next));
  c.reply.ArrayHeader(out.size());
  for (std::string_view s : out) c.reply.Bulk(s);
}

// ---------------------------------------------------------------------------
// Field expiration (Redis 7.4)

// Parses "FIELDS numfields field..." starting at args[at]; replies the
// error and returns false when malformed.
bool ParseFields(CommandContext& c, size_t at) {
  if (at >= c.argc() || !EqualsIgnoreCase(c.arg(at), "fields")) {
    c.reply.Error("ERR Mandatory argument FIELDS is missing or not at the right position");
    return false;
  }
  auto n = at + 1 < c.argc() ? ParseInt64(c.arg(at + 1)) : std::nullopt;
  if (!n || *n <= 0) {
    c.reply.Error("ERR Parameter `numFields` should be greater than 0");
    return false;
  }
  if (static_cast<uint64_t>(*n) != c.argc() - at - 2) {
    c.reply.Error("ERR The `numfields` parameter must match the number of arguments");
    return false;
  }
  return true;
}

void ReplyAllMissing(CommandContext& c, size_t first_field) {
  c.reply.ArrayHeader(c.argc() - first_field);
  for (size_t i = first_field; i < c.argc(); ++i) c.reply.Int(-2);
}

enum class Cond { kNone, kNx, kXx, kGt, kLt };

// HEXPIRE/HPEXPIRE/HEXPIREAT/HPEXPIREAT key time [NX|XX|GT|LT] FIELDS n f...
void HExpireGeneric(CommandContext& c, bool ms, bool absolute) {
  KeyLock k(c.db(), c.arg(1));
  bool wrong;
  Entry* e = OpenHash(c, k.shard, k.ref, true, &wrong);
  if (wrong) return;
  auto t = IntArg(c, c.arg(2));
  if (!t) return;
  int64_t when = *t;
  std::string bad_time = "ERR invalid expire time in '" + c.spec.name + "' command";
  if (when < 0) {
    return c.reply.Error("ERR invalid expire time, must be >= 0 and <= " +
                         std::to_string(kMaxFieldExpireMs));
  }
  if (when > kMaxFieldExpireMs || (!ms && when > kMaxFieldExpireMs / 1000)) {
    return c.reply.Error(bad_time);
  }
  if (!ms) when *= 1000;
  if (!absolute) {
    if (when > kMaxFieldExpireMs - c.now_ms) return c.reply.Error(bad_time);
    when += c.now_ms;
  }
  Cond cond = Cond::kNone;
  size_t at = 3;
  if (at < c.argc()) {
    std::string_view a = c.arg(at);
    if (EqualsIgnoreCase(a, "nx")) cond = Cond::kNx;
    if (EqualsIgnoreCase(a, "xx")) cond = Cond::kXx;
    if (EqualsIgnoreCase(a, "gt")) cond = Cond::kGt;
    if (EqualsIgnoreCase(a, "lt")) cond = Cond::kLt;
    if (cond != Cond::kNone) ++at;
  }
  if (!ParseFields(c, at)) return;
  size_t first = at + 2;
  if (e == nullptr) return ReplyAllMissing(c, first);
  auto* h = ValueOf<HashValue>(e);
  c.reply.ArrayHeader(c.argc() - first);
  bool updated = false, deleted = false;
  {
    ValueChange change(k.shard, e);
    for (size_t i = first; i < c.argc(); ++i) {
      int64_t prev = h->FieldExpire(c.arg(i));
      if (prev == -2) {
        c.reply.Int(-2);
        continue;
      }
      // A field without a TTL has an infinite one for GT/LT.
      bool ok = cond == Cond::kNone || (cond == Cond::kNx && prev < 0) ||
                (cond == Cond::kXx && prev >= 0) || (cond == Cond::kGt && prev >= 0 && when > prev) ||
                (cond == Cond::kLt && (prev < 0 || when < prev));
      if (!ok) {
        c.reply.Int(0);
      } else if (when <= c.now_ms) {
        h->Delete(c.arg(i));
        deleted = true;
        c.reply.Int(2);
      } else {
        h->SetFieldExpire(c.arg(i), when);
        updated = true;
        c.reply.Int(1);
      }
    }
  }
  if (updated) Notify(c, kNotifyHash, "hexpire", c.arg(1));
  if (deleted) Notify(c, kNotifyHash, "hdel", c.arg(1));
  if (h->empty()) {
    k.shard.Erase(k.ref);
    return Notify(c, kNotifyGeneric, "del", c.arg(1));
  }
  SyncEncoding(e);
  if (h->HasVolatileSubkeys()) k.shard.NoteVolatileSubkeys(k.ref.key);
}
void HExpire(CommandContext& c) { HExpireGeneric(c, false, false); }
void HPExpire(CommandContext& c) { HExpireGeneric(c, true, false); }
void HExpireAt(CommandContext& c) { HExpireGeneric(c, false, true); }
void HPExpireAt(CommandContext& c) { HExpireGeneric(c, true, true); }

enum class TtlWhat { kTtl, kPTtl, kExpireTime, kPExpireTime };

// HTTL/HPTTL/HEXPIRETIME/HPEXPIRETIME key FIELDS n f...
void HTtlGeneric(CommandContext& c, TtlWhat what) {
  KeyLock k(c.db(), c.arg(1));
  bool wrong;
  Entry* e = OpenHash(c, k.shard, k.ref, false, &wrong);
  if (wrong) return;
  if (!ParseFields(c, 2)) return;
  if (e == nullptr) return ReplyAllMissing(c, 4);
  auto* h = ValueOf<HashValue>(e);
  c.reply.ArrayHeader(c.argc() - 4);
  for (size_t i = 4; i < c.argc(); ++i) {
    int64_t exp = h->FieldExpire(c.arg(i));
    if (exp < 0) {
      c.reply.Int(exp);
      continue;
    }
    switch (what) {
      case TtlWhat::kTtl: c.reply.Int((exp - c.now_ms + 999) / 1000); break;
      case TtlWhat::kPTtl: c.reply.Int(exp - c.now_ms); break;
      case TtlWhat::kExpireTime: c.reply.Int(exp / 1000); break;
      case TtlWhat::kPExpireTime: c.reply.Int(exp); break;
    }
  }
}
void HTtl(CommandContext& c) { HTtlGeneric(c, TtlWhat::kTtl); }
void HPTtl(CommandContext& c) { HTtlGeneric(c, TtlWhat::kPTtl); }
void HExpireTime(CommandContext& c) { HTtlGeneric(c, TtlWhat::kExpireTime); }
void HPExpireTime(CommandContext& c) { HTtlGeneric(c, TtlWhat::kPExpireTime); }

// HPERSIST key FIELDS n f...
void HPersist(CommandContext& c) {
  KeyLock k(c.db(), c.arg(1));
  bool wrong;
  Entry* e = OpenHash(c, k.shard, k.ref, true, &wrong);
  if (wrong) return;
  if (!ParseFields(c, 2)) return;
  if (e == nullptr) return ReplyAllMissing(c, 4);
  auto* h = ValueOf<HashValue>(e);
  c.reply.ArrayHeader(c.argc() - 4);
  bool persisted = false;
  {
    ValueChange change(k.shard, e);
    for (size_t i = 4; i < c.argc(); ++i) {
      int64_t exp = h->FieldExpire(c.arg(i));
      if (exp >= 0) h->SetFieldExpire(c.arg(i), -1);
      persisted = persisted || exp >= 0;
      c.reply.Int(exp >= 0 ? 1 : exp);
    }
  }
  SyncEncoding(e);
  if (persisted) Notify(c, kNotifyHash, "hpersist", c.arg(1));
}

CommandSpec Cmd(const char* name, int arity, uint32_t flags, const char* since,
                const char* summary, const char* complexity, CommandHandler h) {
  return MakeCommand(name, arity, flags, {1, 1, 1}, "@hash", "hash", since, summary, h, complexity);
}

}  // namespace

void RegisterHashFamily(CommandRegistry& r) {
  Shard::SetSubkeyExpirer(ExpireHashFields);
  constexpr uint32_t kW = kCmdWrite | kCmdDenyOom;
  constexpr uint32_t kR = kCmdReadOnly;
  constexpr uint32_t kF = kCmdFast;
  const char* kAll = "O(N) where N is the size of the hash.";
  const char* kPerField = "O(N) where N is the number of specified fields";
  r.Add(Cmd("hset", -4, kW | kF, "2.0.0", "Set the string value of a hash field", "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.", HSet));
  r.Add(Cmd("hsetnx", 4, kW | kF, "2.0.0", "Set the value of a hash field, only if the field does not exist", "O(1)", HSetNx));
  r.Add(Cmd("hget", 3, kR | kF, "2.0.0", "Get the value of a hash field", "O(1)", HGet));
  r.Add(Cmd("hmget", -3, kR | kF, "2.0.0", "Get the values of all the given hash fields", "O(N) where N is the number of fields being requested.", HMGet));
  r.Add(Cmd("hmset", -4, kW | kF, "2.0.0", "Set multiple hash fields to multiple values", "O(N) where N is the number of fields being set.", HMSet));
  r.Add(Cmd("hdel", -3, kCmdWrite | kF, "2.0.0", "Delete one or more hash fields", "O(N) where N is the number of fields to be removed.", HDel));
  r.Add(Cmd("hexists", 3, kR | kF, "2.0.0", "Determine if a hash field exists", "O(1)", HExists));
  r.Add(Cmd("hlen", 2, kR | kF, "2.0.0", "Get the number of fields in a hash", "O(1)", HLen));
  r.Add(Cmd("hstrlen", 3, kR | kF, "3.2.0", "Get the length of the value of a hash field", "O(1)", HStrLen));
  r.Add(Cmd("hkeys", 2, kR, "2.0.0", "Get all the fields in a hash", kAll, HKeys));
  r.Add(Cmd("hvals", 2, kR, "2.0.0", "Get all the values in a hash", kAll, HVals));
  r.Add(Cmd("hgetall", 2, kR, "2.0.0", "Get all the fields and values in a hash", kAll, HGetAll));
  r.Add(Cmd("hincrby", 4, kW | kF, "2.0.0", "Increment the integer value of a hash field by the given number", "O(1)", HIncrBy));
  r.Add(Cmd("hincrbyfloat", 4, kW | kF, "2.6.0", "Increment the float value of a hash field by the given amount", "O(1)", HIncrByFloat));
  r.Add(Cmd("hrandfield", -2, kR, "6.2.0", "Get one or multiple random fields from a hash", "O(N) where N is the number of fields returned", HRandField));
  r.Add(Cmd("hscan", -3, kR, "2.8.0", "Incrementally iterate hash fields and associated values", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", HScan));
  r.Add(Cmd("hexpire", -6, kCmdWrite | kF, "7.4.0", "Set expiry for hash field using relative time to expire (seconds)", kPerField, HExpire));
  r.Add(Cmd("hpexpire", -6, kCmdWrite | kF, "7.4.0", "Set expiry for hash field using relative time to expire (milliseconds)", kPerField, HPExpire));
  r.Add(Cmd("hexpireat", -6, kCmdWrite | kF, "7.4.0", "Set expiry for hash field using an absolute Unix timestamp (seconds)", kPerField, HExpireAt));
  r.Add(Cmd("hpexpireat", -6, kCmdWrite | kF, "7.4.0", "Set expiry for hash field using an absolute Unix timestamp (milliseconds)", kPerField, HPExpireAt));
  r.Add(Cmd("httl", -5, kR | kF, "7.4.0", "Returns the TTL in seconds of a hash field.", kPerField, HTtl));
  r.Add(Cmd("hpttl", -5, kR | kF, "7.4.0", "Returns the TTL in milliseconds of a hash field.", kPerField, HPTtl));
  r.Add(Cmd("hexpiretime", -5, kR | kF, "7.4.0", "Returns the expiration time of a hash field as a Unix timestamp, in seconds.", kPerField, HExpireTime));
  r.Add(Cmd("hpexpiretime", -5, kR | kF, "7.4.0", "Returns the expiration time of a hash field as a Unix timestamp, in msec.", kPerField, HPExpireTime));
  r.Add(Cmd("hpersist", -5, kCmdWrite | kF, "7.4.0", "Removes the expiration time for each specified field", kPerField, HPersist));
}

}  // namespace magpie
