// Set commands: SADD SREM SISMEMBER SMISMEMBER SMEMBERS SCARD SPOP
// SRANDMEMBER SMOVE SINTER SINTERCARD SINTERSTORE SUNION SUNIONSTORE SDIFF
// SDIFFSTORE SSCAN.
//
// The value and its encodings live in types/set.h; this file parses
// arguments, locks shards and replies. Every in-place change of a set is
// bracketed by a ValueChange and followed by e->set_encoding(), so the
// shard's byte count and OBJECT ENCODING stay right; a set emptied by a
// command is deleted before the command returns. Multi-key commands lock
// every involved shard at once (KeysLock) and check every source's type
// before computing anything, as Redis does (a WRONGTYPE key wins over a
// missing one). The *STORE forms build the result as a new value, so a
// destination that is also a source is read before it is overwritten.
#include <algorithm>
#include <climits>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "commands/command.h"
#include "commands/helpers.h"
#include "persistence/aof.h"
#include "server/config.h"
#include "server/connection.h"
#include "server/server.h"
#include "types/set.h"

namespace magpie {

namespace {

constexpr std::string_view kNotPositive = "ERR value is out of range, must be positive";

SetLimits Limits(CommandContext& c) {
  const Config& cfg = c.server.config();
  auto clamp = [](int64_t v) { return static_cast<size_t>(std::max<int64_t>(v, 0)); };
  return {clamp(cfg.set_max_intset_entries.load()), clamp(cfg.set_max_listpack_entries.load()),
          clamp(cfg.set_max_listpack_value.load())};
}

// The set at a key (nullptr when missing or, after replying WRONGTYPE, when
// of another type: *wrong tells which).
SetValue* LookupSet(CommandContext& c, Shard& shard, const KeyRef& ref, bool write, Entry** e,
                    bool* wrong) {
  *e = LookupTyped(c, shard, ref, ObjType::kSet, write, wrong);
  return *e ? ValueOf<SetValue>(*e) : nullptr;
}

// Makes a new set entry at the key (which must be absent) and moves `v`
// into it: use ValueOf<SetValue>(entry) from then on.
Entry* InsertSet(Shard& shard, const KeyRef& ref, std::string_view key, SetValue* v) {
  Entry* e = Entry::NewCollection(key, ObjType::kSet, v->encoding(), v);
  shard.Insert(ref, e);
  return e;
}

// Deletes the key if its set was emptied (the change already reported),
// announcing "del".
void EraseIfEmpty(Shard& shard, const KeyRef& ref, const SetValue* s) {
  if (s->size() != 0) return;
  shard.Erase(ref);
  NotifyKeyspaceEvent(kNotifyGeneric, "del", ref.key, shard.db_index());
}

void ReplyMembers(CommandContext& c, const SetValue* s) {
  c.reply.SetHeader(s->size());
  s->ForEach([&](std::string_view m) { c.reply.Bulk(m); });
}

void SAdd(CommandContext& c) {
  SetLimits lim = Limits(c);
  KeyLock k(c.db(), c.arg(1));
  Entry* e;
  bool wrong;
  SetValue* s = LookupSet(c, k.shard, k.ref, true, &e, &wrong);
  if (wrong) return;
  if (s == nullptr) {
    s = SetValue::ForMember(c.arg(2), lim);
    e = InsertSet(k.shard, k.ref, c.arg(1), s);
    s = ValueOf<SetValue>(e);
  }
  ValueChange change(k.shard, e);
  int64_t added = 0;
  for (size_t i = 2; i < c.argc(); ++i) added += s->Add(c.arg(i), lim) ? 1 : 0;
  e->set_encoding(s->encoding());
  change.Done();
  if (added > 0) Notify(c, kNotifySet, "sadd", c.arg(1));
  c.reply.Int(added);
}

void SRem(CommandContext& c) {
  KeyLock k(c.db(), c.arg(1));
  Entry* e;
  bool wrong;
  SetValue* s = LookupSet(c, k.shard, k.ref, true, &e, &wrong);
  if (wrong) return;
  if (s == nullptr) return c.reply.Int(0);
  ValueChange change(k.shard, e);
  int64_t removed = 0;
  for (size_t i = 2; i < c.argc() && s->size() > 0; ++i) removed += s->Remove(c.arg(i)) ? 1 : 0;
  change.Done();
  if (removed > 0) Notify(c, kNotifySet, "srem", c.arg(1));
  EraseIfEmpty(k.shard, k.ref, s);
  c.reply.Int(removed);
}

void SIsMember(CommandContext& c) {
  KeyLock k(c.db(), c.arg(1));
  Entry* e;
  bool wrong;
  SetValue* s = LookupSet(c, k.shard, k.ref, false, &e, &wrong);
  if (wrong) return;
  c.reply.Int(s && s->Contains(c.arg(2)) ? 1 : 0);
}

void SMIsMember(CommandContext& c) {
  KeyLock k(c.db(), c.arg(1));
  Entry* e;
  bool wrong;
  SetValue* s = LookupSet(c, k.shard, k.ref, false, &e, &wrong);
  if (wrong) return;
  c.reply.ArrayHeader(c.argc() - 2);
  for (size_t i = 2; i < c.argc(); ++i) c.reply.Int(s && s->Contains(c.arg(i)) ? 1 : 0);
}

void SCard(CommandContext& c) {
  KeyLock k(c.db(), c.arg(1));
  Entry* e;
  bool wrong;
  SetValue* s = LookupSet(c, k.shard, k.ref, false, &e, &wrong);
  if (wrong) return;
  c.reply.Int(s ? static_cast<int64_t>(s->size()) : 0);
}

void SMembers(CommandContext& c) {
  KeyLock k(c.db(), c.arg(1));
  Entry* e;
  bool wrong;
  SetValue* s = LookupSet(c, k.shard, k.ref, false, &e, &wrong);
  if (wrong) return;
  if (s == nullptr) return c.reply.SetHeader(0);
  ReplyMembers(c, s);
}

// Pops `count` (< size) random members, replying each.
// `popped`, when not null, receives the members (the AOF's SREM).
void PopSome(CommandContext& c, Entry* e, SetValue* s, size_t count, const SetLimits& lim,
             std::vector<std::string>* popped) {
  char buf[SetValue::kIntBuf];
  c.reply.SetHeader(count);
  size_t keep = s->size() - count;
  if (keep * 5 > count) {
    for (size_t i = 0; i < count; ++i) {
      size_t pos = s->RandomPos();
      std::string_view m = s->At(pos, buf);
      c.reply.Bulk(m);
      if (popped != nullptr) popped->emplace_back(m);
      s->EraseAt(pos);
    }
    return;
  }
  // Most members go: move the few survivors to a new set (built from
  // scratch, so its encoding fits its members, as in Redis) and reply with
  // what is left of the old one, which is then dropped.
  SetValue* kept = nullptr;
  for (size_t i = 0; i < keep; ++i) {
    size_t pos = s->RandomPos();
    std::string_view m = s->At(pos, buf);
    if (kept == nullptr) kept = SetValue::ForMember(m, lim);
    kept->Add(m, lim);
    s->EraseAt(pos);
  }
  s->ForEach([&](std::string_view m) {
    c.reply.Bulk(m);
    if (popped != nullptr) popped->emplace_back(m);
  });
  e->ReplaceValue(kept);
}

// SPOP key [count]
void SPop(CommandContext& c) {
  if (c.argc() > 3) return c.reply.Error(err::kSyntax);
  int64_t count = -1;
  if (c.argc() == 3) {
    auto v = ParseInt64(c.arg(2));
    if (!v || *v < 0) return c.reply.Error(kNotPositive);
    count = *v;
  }
  KeyLock k(c.db(), c.arg(1));
  Entry* e;
  bool wrong;
  SetValue* s = LookupSet(c, k.shard, k.ref, true, &e, &wrong);
  if (wrong) return;
  if (s == nullptr) return count < 0 ? c.reply.Null() : c.reply.SetHeader(0);
  if (count == 0) return c.reply.SetHeader(0);
  Notify(c, kNotifySet, "spop", c.arg(1));
  if (count < 0) {
    char buf[SetValue::kIntBuf];
    ValueChange change(k.shard, e);
    size_t pos = s->RandomPos();
    std::string_view m = s->At(pos, buf);
    c.reply.Bulk(m);
    // A replay must remove what this pop removed, not draw again.
    if (Aof::on()) Aof::LogInstead(c.db_index(), {"SREM", std::string(c.arg(1)), std::string(m)});
    s->EraseAt(pos);
    change.Done();
    return EraseIfEmpty(k.shard, k.ref, s);
  }
  if (static_cast<uint64_t>(count) >= s->size()) {
    ReplyMembers(c, s);
    if (Aof::on()) Aof::LogInstead(c.db_index(), {"DEL", std::string(c.arg(1))});
    k.shard.Erase(k.ref);
    return Notify(c, kNotifyGeneric, "del", c.arg(1));
  }
  ValueChange change(k.shard, e);
  std::vector<std::string> popped;
  PopSome(c, e, s, static_cast<size_t>(count), Limits(c), Aof::on() ? &popped : nullptr);
  if (Aof::on()) {
    popped.insert(popped.begin(), {"SREM", std::string(c.arg(1))});
    Aof::LogInstead(c.db_index(), std::move(popped));
  }
  e->set_encoding(ValueOf<SetValue>(e)->encoding());
}

// Replies `count` (< size) distinct random members in O(count).
void ReplyDistinctRandom(CommandContext& c, const SetValue* s, size_t count) {
  char buf[SetValue::kIntBuf];
  c.reply.ArrayHeader(count);
  if (count * 3 > s->size()) {
    // Most of the set: copy it and drop random members until count remain.
    std::vector<std::string> all;
    all.reserve(s->size());
    s->ForEach([&](std::string_view m) { all.emplace_back(m); });
    while (all.size() > count) {
      size_t i = SetRandom() % all.size();
      std::swap(all[i], all.back());
      all.pop_back();
    }
    for (const auto& m : all) c.reply.Bulk(m);
    return;
  }
  // A small part: draw positions until `count` distinct ones came up
  // (expected fewer than 1.5 * count draws).
  std::unordered_set<size_t> seen;
  seen.reserve(count);
  while (seen.size() < count) {
    size_t pos = s->RandomPos();
    if (seen.insert(pos).second) c.reply.Bulk(s->At(pos, buf));
  }
}

// SRANDMEMBER key [count]
void SRandMember(CommandContext& c) {
  if (c.argc() > 3) return c.reply.Error(err::kSyntax);
  int64_t count = 0;
  bool with_count = c.argc() == 3;
  if (with_count) {
    auto v = IntArg(c, c.arg(2));
    if (!v) return;
    if (*v == LLONG_MIN) {
      return c.reply.Error(
          "ERR value is out of range, value must between -9223372036854775807 and "
          "9223372036854775807");
    }
    count = *v;
  }
  KeyLock k(c.db(), c.arg(1));
  Entry* e;
  bool wrong;
  SetValue* s = LookupSet(c, k.shard, k.ref, false, &e, &wrong);
  if (wrong) return;
  char buf[SetValue::kIntBuf];
  if (!with_count) return s ? c.reply.Bulk(s->At(s->RandomPos(), buf)) : c.reply.Null();
  if (s == nullptr || count == 0) return c.reply.ArrayHeader(0);
  if (count < 0) {  // may repeat
    auto n = static_cast<size_t>(-count);
    c.reply.ArrayHeader(n);
    for (size_t i = 0; i < n; ++i) c.reply.Bulk(s->At(s->RandomPos(), buf));
    return;
  }
  if (static_cast<uint64_t>(count) >= s->size()) {
    c.reply.ArrayHeader(s->size());
    s->ForEach([&](std::string_view m) { c.reply.Bulk(m); });
    return;
  }
  ReplyDistinctRandom(c, s, static_cast<size_t>(count));
}

// SMOVE source destination member
void SMove(CommandContext& c) {
  SetLimits lim = Limits(c);
  KeysLock locks;
  locks.Add(c.db(), c.arg(1));
  locks.Add(c.db(), c.arg(2));
  locks.Lock();
  Entry *src_e, *dst_e;
  bool wrong;
  SetValue* src = LookupSet(c, locks.shard(0), locks.ref(0), true, &src_e, &wrong);
  if (wrong) return;
  if (src == nullptr) return c.reply.Int(0);
  SetValue* dst = LookupSet(c, locks.shard(1), locks.ref(1), true, &dst_e, &wrong);
  if (wrong) return;
  std::string_view member = c.arg(3);
  if (src_e == dst_e) return c.reply.Int(src->Contains(member) ? 1 : 0);
  {
    ValueChange change(locks.shard(0), src_e);
    if (!src->Remove(member)) return c.reply.Int(0);
  }
  Notify(c, kNotifySet, "srem", c.arg(1));
  EraseIfEmpty(locks.shard(0), locks.ref(0), src);
  if (dst == nullptr) {
    dst = SetValue::ForMember(member, lim);
    dst_e = InsertSet(locks.shard(1), locks.ref(1), c.arg(2), dst);
    dst = ValueOf<SetValue>(dst_e);
  }
  ValueChange change(locks.shard(1), dst_e);
  bool added = dst->Add(member, lim);
  dst_e->set_encoding(dst->encoding());
  change.Done();
  if (added) Notify(c, kNotifySet, "sadd", c.arg(2));
  c.reply.Int(1);
}

// Looks up the sets at args[first..first+n) (locks already held): nullptr
// for a missing key. Replies WRONGTYPE and returns false if any key holds
// another type.
bool LoadSets(CommandContext& c, KeysLock& locks, size_t lock_index, size_t n,
              std::vector<const SetValue*>* out) {
  out->clear();
  bool any_wrong = false;
  for (size_t i = 0; i < n; ++i) {
    Entry* e = LookupRead(locks.shard(lock_index + i), locks.ref(lock_index + i), c.now_ms);
    if (e != nullptr && e->type() != ObjType::kSet) {
      any_wrong = true;
      continue;
    }
    out->push_back(e ? ValueOf<SetValue>(e) : nullptr);
  }
  if (any_wrong) c.reply.Error(err::kWrongType);
  return !any_wrong;
}

// Calls emit(member) for each member of the intersection, at most `limit`
// times (0: no limit). The smallest set drives, the others are probed.
template <typename F>
void Intersect(std::vector<const SetValue*> sets, size_t limit, F&& emit) {
  for (const SetValue* s : sets) {
    if (s == nullptr || s->size() == 0) return;
  }
  std::sort(sets.begin(), sets.end(),
            [](const SetValue* a, const SetValue* b) { return a->size() < b->size(); });
  size_t found = 0;
  sets[0]->ForEach([&](std::string_view m) {
    if (limit != 0 && found >= limit) return;
    for (size_t i = 1; i < sets.size(); ++i) {
      if (!sets[i]->Contains(m)) return;
    }
    ++found;
    emit(m);
  });
}

enum class SetOp { kInter, kUnion, kDiff };

// The result of a set operation as a new value (nullptr when empty).
SetValue* Compute(SetOp op, const std::vector<const SetValue*>& sets, const SetLimits& lim) {
  SetValue* out = nullptr;
  auto add = [&](std::string_view m) {
    if (out == nullptr) out = SetValue::ForMember(m, lim);
    out->Add(m, lim);
  };
  switch (op) {
    case SetOp::kInter:
      Intersect(sets, 0, add);
      break;
    case SetOp::kUnion:
      for (const SetValue* s : sets) {
        if (s != nullptr) s->ForEach(add);
      }
      break;
    case SetOp::kDiff:
      if (sets[0] == nullptr) break;
      sets[0]->ForEach([&](std::string_view m) {
        for (size_t i = 1; i < sets.size(); ++i) {
          if (sets[i] != nullptr && sets[i]->Contains(m)) return;
        }
        add(m);
      });
      break;
  }
  return out;
}

// SINTER/SUNION/SDIFF key [key ...]
void SetOpReply(CommandContext& c, SetOp op) {
  SetLimits lim = Limits(c);
  KeysLock locks;
  locks.LockArgs(c.db(), c.args, 1);
  std::vector<const SetValue*> sets;
  if (!LoadSets(c, locks, 0, c.argc() - 1, &sets)) return;
  if (op == SetOp::kInter) {
    // Replied straight from the smallest set: no result set is built.
    std::vector<std::string> members;
    Intersect(sets, 0, [&](std::string_view m) { members.emplace_back(m); });
    c.reply.SetHeader(members.size());
    for (const auto& m : members) c.reply.Bulk(m);
    return;
  }
  SetValue* result = Compute(op, sets, lim);
  if (result == nullptr) return c.reply.SetHeader(0);
  ReplyMembers(c, result);
  delete result;
}

// SINTERSTORE/SUNIONSTORE/SDIFFSTORE destination key [key ...]
void SetOpStore(CommandContext& c, SetOp op) {
  SetLimits lim = Limits(c);
  KeysLock locks;
  locks.LockArgs(c.db(), c.args, 1);
  std::vector<const SetValue*> sets;
  if (!LoadSets(c, locks, 1, c.argc() - 2, &sets)) return;
  SetValue* result = Compute(op, sets, lim);
  Shard& shard = locks.shard(0);
  if (result == nullptr) {
    if (shard.Erase(locks.ref(0))) Notify(c, kNotifyGeneric, "del", c.arg(1));
    return c.reply.Int(0);
  }
  auto n = static_cast<int64_t>(result->size());
  shard.Upsert(locks.ref(0),
               Entry::NewCollection(c.arg(1), ObjType::kSet, result->encoding(), result),
               c.now_ms);
  static const char* kEvents[] = {"sinterstore", "sunionstore", "sdiffstore"};
  Notify(c, kNotifySet, kEvents[static_cast<int>(op)], c.arg(1));
  c.reply.Int(n);
}

void SInter(CommandContext& c) { SetOpReply(c, SetOp::kInter); }
void SUnion(CommandContext& c) { SetOpReply(c, SetOp::kUnion); }
void SDiff(CommandContext& c) { SetOpReply(c, SetOp::kDiff); }
void SInterStore(CommandContext& c) { SetOpStore(c, SetOp::kInter); }
void SUnionStore(CommandContext& c) { SetOpStore(c, SetOp::kUnion); }
void SDiffStore(CommandContext& c) { SetOpStore(c, SetOp::kDiff); }

// SINTERCARD numkeys key [key ...] [LIMIT limit]
void SInterCard(CommandContext& c) {
  auto numkeys = ParseInt64(c.arg(1));
  if (!numkeys || *numkeys <= 0) return c.reply.Error("ERR numkeys should be greater than 0");
  if (static_cast<uint64_t>(*numkeys) > c.argc() - 2) {
    return c.reply.Error("ERR Number of keys can't be greater than number of args");
  }
  auto n = static_cast<size_t>(*numkeys);
  int64_t limit = 0;
  for (size_t i = 2 + n; i < c.argc(); ++i) {
    if (EqualsIgnoreCase(c.arg(i), "limit") && i + 1 < c.argc()) {
      auto v = ParseInt64(c.arg(++i));
      if (!v || *v < 0) return c.reply.Error("ERR LIMIT can't be negative");
      limit = *v;
    } else {
      return c.reply.Error(err::kSyntax);
    }
  }
  KeysLock locks;
  for (size_t i = 0; i < n; ++i) locks.Add(c.db(), c.arg(2 + i));
  locks.Lock();
  std::vector<const SetValue*> sets;
  if (!LoadSets(c, locks, 0, n, &sets)) return;
  int64_t count = 0;
  Intersect(sets, static_cast<size_t>(limit), [&](std::string_view) { ++count; });
  c.reply.Int(count);
}

// SSCAN key cursor [MATCH pattern] [COUNT count]
void SScan(CommandContext& c) {
  auto cursor = ParseScanCursor(c.arg(2));
  if (!cursor) return c.reply.Error("ERR invalid cursor");
  KeyLock k(c.db(), c.arg(1));
  Entry* e;
  bool wrong;
  SetValue* s = LookupSet(c, k.shard, k.ref, false, &e, &wrong);
  if (wrong) return;
  if (s == nullptr) return ReplyEmptyScan(c.reply);
  ScanOptions o;
  if (!ParseScanOptions(c, 3, false, &o)) return;
  std::vector<std::string> members;
  auto want = static_cast<size_t>(std::min<int64_t>(o.count, 1 << 20));
  uint64_t pos = *cursor & (SetValue::kScanEnd - 1);
  auto collect = [&](std::string_view m) {
    if (!o.has_pattern || GlobMatch(o.pattern, m)) members.emplace_back(m);
  };
  if (s->compact()) {
    pos = s->Scan(0, 0, collect);
  } else {
    // Like Redis, COUNT bounds the members visited, matching or not, and at
    // most about 10 x COUNT buckets are looked at in one call.
    size_t visited = 0;
    auto counted = [&](std::string_view m) {
      ++visited;
      collect(m);
    };
    for (int rounds = 10; rounds > 0 && visited < want && pos < SetValue::kScanEnd; --rounds) {
      pos = s->Scan(pos, want, counted);
    }
  }
  c.reply.ArrayHeader(2);
  c.reply.Bulk(pos >= SetValue::kScanEnd ? std::string("0") : std::to_string(pos));
  c.reply.ArrayHeader(members.size());
  for (const auto& m : members) c.reply.Bulk(m);
}

CommandSpec Cmd(const char* name, int arity, uint32_t flags, int first, int last, int step,
                const char* since, const char* summary, const char* complexity,
                CommandHandler h) {
  return MakeCommand(name, arity, flags, {first, last, step}, "@set", "set", since, summary, h,
                     complexity);
}

}  // namespace

void RegisterSetFamily(CommandRegistry& r) {
  constexpr uint32_t kW = kCmdWrite;
  constexpr uint32_t kD = kCmdDenyOom;
  constexpr uint32_t kR = kCmdReadOnly;
  constexpr uint32_t kF = kCmdFast;
  r.Add(Cmd("sadd", -3, kW | kD | kF, 1, 1, 1, "1.0.0", "Add one or more members to a set", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", SAdd));
  r.Add(Cmd("srem", -3, kW | kF, 1, 1, 1, "1.0.0", "Remove one or more members from a set", "O(N) where N is the number of members to be removed.", SRem));
  r.Add(Cmd("sismember", 3, kR | kF, 1, 1, 1, "1.0.0", "Determine if a given value is a member of a set", "O(1)", SIsMember));
  r.Add(Cmd("smismember", -3, kR | kF, 1, 1, 1, "6.2.0", "Returns the membership associated with the given elements for a set", "O(N) where N is the number of elements being checked for membership", SMIsMember));
  r.Add(Cmd("smembers", 2, kR, 1, 1, 1, "1.0.0", "Get all the members in a set", "O(N) where N is the set cardinality.", SMembers));
  r.Add(Cmd("scard", 2, kR | kF, 1, 1, 1, "1.0.0", "Get the number of members in a set", "O(1)", SCard));
  r.Add(Cmd("spop", -2, kW | kF, 1, 1, 1, "1.0.0", "Remove and return one or multiple random members from a set", "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.", SPop));
  r.Add(Cmd("srandmember", -2, kR, 1, 1, 1, "1.0.0", "Get one or multiple random members from a set", "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.", SRandMember));
  r.Add(Cmd("smove", 4, kW | kF, 1, 2, 1, "1.0.0", "Move a member from one set to another", "O(1)", SMove));
  r.Add(Cmd("sinter", -2, kR, 1, -1, 1, "1.0.0", "Intersect multiple sets", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", SInter));
  r.Add(Cmd("sintercard", -3, kR, 0, 0, 0, "7.0.0", "Intersect multiple sets and return the cardinality of the result", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", SInterCard));
  r.Add(Cmd("sinterstore", -3, kW | kD, 1, -1, 1, "1.0.0", "Intersect multiple sets and store the resulting set in a key", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", SInterStore));
  r.Add(Cmd("sunion", -2, kR, 1, -1, 1, "1.0.0", "Add multiple sets", "O(N) where N is the total number of elements in all given sets.", SUnion));
  r.Add(Cmd("sunionstore", -3, kW | kD, 1, -1, 1, "1.0.0", "Add multiple sets and store the resulting set in a key", "O(N) where N is the total number of elements in all given sets.", SUnionStore));
  r.Add(Cmd("sdiff", -2, kR, 1, -1, 1, "1.0.0", "Subtract multiple sets", "O(N) where N is the total number of elements in all given sets.", SDiff));
  r.Add(Cmd("sdiffstore", -3, kW | kD, 1, -1, 1, "1.0.0", "Subtract multiple sets and store the resulting set in a key", "O(N) where N is the total number of elements in all given sets.", SDiffStore));
  r.Add(Cmd("sscan", -3, kR, 1, 1, 1, "2.8.0", "Incrementally iterate Set elements", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", SScan));
}

}  // namespace magpie
