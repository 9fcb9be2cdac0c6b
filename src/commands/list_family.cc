// List commands: pushes and pops at both ends, ranges, LINSERT/LREM/LTRIM,
// LPOS, LMOVE, LMPOP and their blocking forms (BLPOP BRPOP BLMOVE
// BRPOPLPUSH BLMPOP).
//
// Values are ListValue (types/list.h). Every list reports the encoding
// "quicklist", as Redis 7.0 does for lists of any size. A command that
// leaves a list empty deletes the key. Every command that adds elements
// calls SignalKeyReady so blocked clients are served after it
// (server/blocking.h); a blocking command tries at once and blocks only
// when every key is empty, registering under the keys' shard locks.
#include <climits>
#include <string>

#include "commands/command.h"
#include "commands/helpers.h"
#include "persistence/aof.h"
#include "server/blocking.h"
#include "server/connection.h"
#include "server/server.h"
#include "types/list.h"

namespace magpie {

namespace {

int64_t Fill(Server& s) { return s.config().list_max_listpack_size.load(std::memory_order_relaxed); }

ListValue* List(Entry* e) { return ValueOf<ListValue>(e); }

// A new list entry, to fill before it is inserted (Insert counts its bytes).
Entry* NewList(std::string_view key) {
  return Entry::NewEmptyCollection<ListValue>(key, ObjType::kList, Encoding::kQuicklist);
}

// Parses LEFT/RIGHT into *front.
bool ParseWhere(std::string_view a, bool* front) {
  if (EqualsIgnoreCase(a, "left")) {
    *front = true;
  } else if (EqualsIgnoreCase(a, "right")) {
    *front = false;
  } else {
    return false;
  }
  return true;
}

void Push(ListValue* l, std::string_view v, bool front, int64_t fill) {
  front ? l->PushFront(v, fill) : l->PushBack(v, fill);
}

// Pops one element from an end, handing it to f.
template <typename F>
void Pop(ListValue* l, bool front, F&& f) {
  front ? l->PopFront(f) : l->PopBack(f);
}

const char* PopEvent(bool front) { return front ? "lpop" : "rpop"; }
const char* PushEvent(bool front) { return front ? "lpush" : "rpush"; }

// Deletes the key once its list is empty (after the change is accounted),
// announcing `event` (if any) and then "del", as Redis does.
void EraseIfEmpty(Shard& shard, const KeyRef& ref, Entry* e, ValueChange& change,
                  const char* event = nullptr) {
  change.Done();
  if (event != nullptr) NotifyKeyspaceEvent(kNotifyList, event, ref.key, shard.db_index());
  if (!List(e)->empty()) return;
  shard.Erase(ref);
  NotifyKeyspaceEvent(kNotifyGeneric, "del", ref.key, shard.db_index());
}

// LPUSH/RPUSH/LPUSHX/RPUSHX key element [element ...]
void PushGeneric(CommandContext& c, bool front, bool only_existing) {
  KeyLock k(c.db(), c.arg(1));
  bool wrong;
  Entry* e = LookupTyped(c, k.shard, k.ref, ObjType::kList, true, &wrong);
  if (wrong) return;
  int64_t fill = Fill(c.server);
  size_t len;
  if (e == nullptr) {
    if (only_existing) return c.reply.Int(0);
    Entry* fresh = NewList(c.arg(1));
    for (size_t i = 2; i < c.argc(); ++i) Push(List(fresh), c.arg(i), front, fill);
    len = List(fresh)->size();
    k.shard.Insert(k.ref, fresh);
  } else {
    ValueChange change(k.shard, e);
    for (size_t i = 2; i < c.argc(); ++i) Push(List(e), c.arg(i), front, fill);
    len = List(e)->size();
  }
  Notify(c, kNotifyList, PushEvent(front), c.arg(1));
  SignalKeyReady(c.conn.db(), c.arg(1));
  c.reply.Int(static_cast<int64_t>(len));
}
void LPush(CommandContext& c) { PushGeneric(c, true, false); }
void RPush(CommandContext& c) { PushGeneric(c, false, false); }
void LPushX(CommandContext& c) { PushGeneric(c, true, true); }
void RPushX(CommandContext& c) { PushGeneric(c, false, true); }

// Pops up to `count` elements from one end of the key's list into an array
// reply; the caller holds the shard lock and knows the list is non-empty.
void PopMany(CommandContext& c, Shard& shard, const KeyRef& ref, Entry* e, bool front,
             int64_t count) {
  ValueChange change(shard, e);
  ListValue* l = List(e);
  size_t n = std::min<size_t>(static_cast<size_t>(count), l->size());
  c.reply.ArrayHeader(n);
  for (size_t i = 0; i < n; ++i) Pop(l, front, [&](std::string_view v) { c.reply.Bulk(v); });
  EraseIfEmpty(shard, ref, e, change, n > 0 ? PopEvent(front) : nullptr);
}

// LPOP/RPOP key [count]
void PopGeneric(CommandContext& c, bool front) {
  int64_t count = -1;
  if (c.argc() > 3) return c.reply.Error(WrongArityError(c.spec));
  if (c.argc() == 3) {
    auto v = ParseInt64(c.arg(2));
    if (!v || *v < 0) return c.reply.Error("ERR value is out of range, must be positive");
    count = *v;
  }
  KeyLock k(c.db(), c.arg(1));
  bool wrong;
  Entry* e = LookupTyped(c, k.shard, k.ref, ObjType::kList, true, &wrong);
  if (wrong) return;
  if (e == nullptr) return count < 0 ? c.reply.Null() : c.reply.NullArray();
  if (count >= 0) return PopMany(c, k.shard, k.ref, e, front, count);
  ValueChange change(k.shard, e);
  Pop(List(e), front, [&](std::string_view v) { c.reply.Bulk(v); });
  EraseIfEmpty(k.shard, k.ref, e, change, PopEvent(front));
}
void LPop(CommandContext& c) { PopGeneric(c, true); }
void RPop(CommandContext& c) { PopGeneric(c, false); }

// Looks up a list for reading; replies `missing` handling to the caller.
Entry* ReadList(CommandContext& c, KeyLock& k, bool* wrong) {
  return LookupTyped(c, k.shard, k.ref, ObjType::kList, false, wrong);
}

void LLen(CommandContext& c) {
  KeyLock k(c.db(), c.arg(1));
  bool wrong;
  Entry* e = ReadList(c, k, &wrong);
  if (wrong) return;
  c.reply.Int(e ? static_cast<int64_t>(List(e)->size()) : 0);
}

// Converts a Redis index (negative from the end) to a position, or -1.
int64_t NormalizeIndex(int64_t index, size_t len) {
  int64_t n = static_cast<int64_t>(len);
  if (index < 0) index += n;
  return index < 0 || index >= n ? -1 : index;
}

void LIndex(CommandContext& c) {
  KeyLock k(c.db(), c.arg(1));
  bool wrong;
  Entry* e = ReadList(c, k, &wrong);
  if (wrong) return;
  if (e == nullptr) return c.reply.Null();
  auto index = IntArg(c, c.arg(2));  // Redis parses it only for an existing list
  if (!index) return;
  ListValue* l = List(e);
  int64_t i = NormalizeIndex(*index, l->size());
  if (i < 0) return c.reply.Null();
  c.reply.Bulk(l->Get(l->Seek(static_cast<size_t>(i))));
}

// Clamps [start, end] (Redis indexes) to the list; false if empty.
bool ClampRange(int64_t start, int64_t end, size_t len, size_t* first, size_t* count) {
  int64_t n = static_cast<int64_t>(len);
  if (start < 0) start += n;
  if (end < 0) end += n;
  if (start < 0) start = 0;
  if (start > end || start >= n) return false;
  if (end >= n) end = n - 1;
  *first = static_cast<size_t>(start);
  *count = static_cast<size_t>(end - start + 1);
  return true;
}

void LRange(CommandContext& c) {
  auto start = IntArg(c, c.arg(2));
  if (!start) return;
  auto end = IntArg(c, c.arg(3));
  if (!end) return;
  KeyLock k(c.db(), c.arg(1));
  bool wrong;
  Entry* e = ReadList(c, k, &wrong);
  if (wrong) return;
  size_t first = 0, count = 0;
  if (e == nullptr || !ClampRange(*start, *end, List(e)->size(), &first, &count)) {
    return c.reply.ArrayHeader(0);
  }
  c.reply.ArrayHeader(count);
  List(e)->ForRange(first, count, [&](std::string_view v) { c.reply.Bulk(v); });
}

void LSet(CommandContext& c) {
  KeyLock k(c.db(), c.arg(1));
  Entry* e = LookupWrite(k.shard, k.ref, c.now_ms);
  if (e == nullptr) return c.reply.Error(err::kNoSuchKey);
  if (e->type() != ObjType::kList) return c.reply.Error(err::kWrongType);
  auto index = IntArg(c, c.arg(2));
  if (!index) return;
  ListValue* l = List(e);
  int64_t i = NormalizeIndex(*index, l->size());
  if (i < 0) return c.reply.Error("ERR index out of range");
  ValueChange change(k.shard, e);
  l->Set(l->Seek(static_cast<size_t>(i)), c.arg(3), Fill(c.server));
  change.Done();
  Notify(c, kNotifyList, "lset", c.arg(1));
  c.reply.Ok();
}

// LINSERT key BEFORE|AFTER pivot element
void LInsert(CommandContext& c) {
  bool after;
  if (EqualsIgnoreCase(c.arg(2), "after")) {
    after = true;
  } else if (EqualsIgnoreCase(c.arg(2), "before")) {
    after = false;
  } else {
    return c.reply.Error(err::kSyntax);
  }
  KeyLock k(c.db(), c.arg(1));
  bool wrong;
  Entry* e = LookupTyped(c, k.shard, k.ref, ObjType::kList, true, &wrong);
  if (wrong) return;
  if (e == nullptr) return c.reply.Int(0);
  ListValue* l = List(e);
  ListValue::Pos p = l->Seek(0);
  bool found = false;
  do {
    found = l->Get(p) == c.arg(3);
  } while (!found && l->Next(&p));
  if (!found) return c.reply.Int(-1);
  ValueChange change(k.shard, e);
  l->InsertAt(p, c.arg(4), after, Fill(c.server));
  change.Done();
  Notify(c, kNotifyList, "linsert", c.arg(1));
  SignalKeyReady(c.conn.db(), c.arg(1));
  c.reply.Int(static_cast<int64_t>(l->size()));
}

// LREM key count element: count > 0 from the head, < 0 from the tail, 0 all.
void LRem(CommandContext& c) {
  auto count = IntArg(c, c.arg(2));
  if (!count) return;
  KeyLock k(c.db(), c.arg(1));
  bool wrong;
  Entry* e = LookupTyped(c, k.shard, k.ref, ObjType::kList, true, &wrong);
  if (wrong) return;
  if (e == nullptr) return c.reply.Int(0);
  ListValue* l = List(e);
  std::string_view v = c.arg(3);
  uint64_t limit = *count == 0 ? UINT64_MAX
                               : (*count < 0 ? 0 - static_cast<uint64_t>(*count) : static_cast<uint64_t>(*count));
  ValueChange change(k.shard, e);
  size_t removed = l->RemoveMatching(v, static_cast<size_t>(limit), *count < 0);
  if (removed > 0) l->Compact(Fill(c.server));
  EraseIfEmpty(k.shard, k.ref, e, change, removed > 0 ? "lrem" : nullptr);
  c.reply.Int(static_cast<int64_t>(removed));
}

void LTrim(CommandContext& c) {
  auto start = IntArg(c, c.arg(2));
  if (!start) return;
  auto end = IntArg(c, c.arg(3));
  if (!end) return;
  KeyLock k(c.db(), c.arg(1));
  bool wrong;
  Entry* e = LookupTyped(c, k.shard, k.ref, ObjType::kList, true, &wrong);
  if (wrong) return;
  if (e == nullptr) return c.reply.Ok();
  ListValue* l = List(e);
  size_t first = 0, count = 0;
  ValueChange change(k.shard, e);
  if (ClampRange(*start, *end, l->size(), &first, &count)) {
    l->EraseRange(first + count, l->size() - first - count);
    l->EraseRange(0, first);
  } else {
    l->EraseRange(0, l->size());
  }
  EraseIfEmpty(k.shard, k.ref, e, change, "ltrim");
  c.reply.Ok();
}

// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
void LPos(CommandContext& c) {
  int64_t rank = 1, count = -1, maxlen = 0;
  for (size_t i = 3; i < c.argc(); ++i) {
    std::string_view opt = c.arg(i);
    if (i + 1 >= c.argc()) return c.reply.Error(err::kSyntax);
    if (EqualsIgnoreCase(opt, "rank")) {
      auto v = IntArg(c, c.arg(++i));
      if (!v) return;
      if (*v == 0) {
        return c.reply.Error(
            "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or "
            "use negative to start from the end of the list");
      }
      rank = *v;
    } else if (EqualsIgnoreCase(opt, "count")) {
      // Redis gives a non-number the "negative" error too.
      auto v = ParseInt64(c.arg(++i));
      if (!v || *v < 0) return c.reply.Error("ERR COUNT can't be negative");
      count = *v;
    } else if (EqualsIgnoreCase(opt, "maxlen")) {
      auto v = ParseInt64(c.arg(++i));
      if (!v || *v < 0) return c.reply.Error("ERR MAXLEN can't be negative");
      maxlen = *v;
    } else {
      return c.reply.Error(err::kSyntax);
    }
  }
  KeyLock k(c.db(), c.arg(1));
  bool wrong;
  Entry* e = ReadList(c, k, &wrong);
  if (wrong) return;
  if (e == nullptr) return count >= 0 ? c.reply.ArrayHeader(0) : c.reply.Null();
  ListValue* l = List(e);
  bool backward = rank < 0;
  // Redis negates the rank; LLONG_MIN stays negative and so matches the
  // first element found from the tail.
  uint64_t skip = rank == LLONG_MIN ? 0 : static_cast<uint64_t>(backward ? -rank : rank) - 1;
  uint64_t want = count == 0 ? UINT64_MAX : (count < 0 ? 1 : static_cast<uint64_t>(count));
  std::vector<int64_t> found;
  size_t n = l->size();
  ListValue::Pos p = l->Seek(backward ? n - 1 : 0);
  uint64_t matches = 0;
  for (size_t seen = 0; seen < n && (maxlen == 0 || seen < static_cast<uint64_t>(maxlen)); ++seen) {
    if (l->Get(p) == c.arg(2) && ++matches > skip) {
      found.push_back(static_cast<int64_t>(backward ? n - 1 - seen : seen));
      if (found.size() >= want) break;
    }
    if (!(backward ? l->Prev(&p) : l->Next(&p))) break;
  }
  if (count < 0) return found.empty() ? c.reply.Null() : c.reply.Int(found[0]);
  c.reply.ArrayHeader(found.size());
  for (int64_t i : found) c.reply.Int(i);
}

// Moves one element from src's `from` end to dst's `to` end; both keys'
// shards are locked and src holds a non-empty list, dst none or a list.
// Replies the element.
void MoveElement(Server& s, int db, Shard& ss, const KeyRef& sref, Entry* src, Shard& ds,
                 const KeyRef& dref, std::string_view dst_key, bool from, bool to, ReplyBuilder& reply,
                 int64_t now_ms) {
  std::string v;
  {
    ValueChange change(ss, src);
    Pop(List(src), from, [&](std::string_view x) { v.assign(x); });
    change.Done();
  }
  // The destination is looked up after the pop: with src == dst the list
  // may not be empty now, and it must not be deleted before the push.
  Entry* dst = ds.Find(dref, now_ms);
  if (dst == nullptr) {
    Entry* fresh = NewList(dst_key);
    Push(List(fresh), v, to, Fill(s));
    ds.Insert(dref, fresh);
  } else {
    ValueChange change(ds, dst);
    Push(List(dst), v, to, Fill(s));
  }
  NotifyKeyspaceEvent(kNotifyList, PushEvent(to), dst_key, db);
  NotifyKeyspaceEvent(kNotifyList, PopEvent(from), sref.key, db);
  Entry* left = ss.Find(sref, now_ms);
  if (left != nullptr && List(left)->empty()) {
    ss.Erase(sref);
    NotifyKeyspaceEvent(kNotifyGeneric, "del", sref.key, db);
  }
  SignalKeyReady(db, dst_key);
  reply.Bulk(v);
}

// LMOVE/RPOPLPUSH and the non-blocking attempt of BLMOVE/BRPOPLPUSH.
// Returns false when the source is empty (nothing replied).
bool TryMove(CommandContext& c, KeysLock& locks, bool from, bool to) {
  Entry* src = LookupWrite(locks.shard(0), locks.ref(0), c.now_ms);
  if (src == nullptr) return false;
  if (src->type() != ObjType::kList) {
    c.reply.Error(err::kWrongType);
    return true;
  }
  Entry* dst = LookupWrite(locks.shard(1), locks.ref(1), c.now_ms);
  if (dst != nullptr && dst->type() != ObjType::kList) {
    c.reply.Error(err::kWrongType);
    return true;
  }
  MoveElement(c.server, c.conn.db(), locks.shard(0), locks.ref(0), src, locks.shard(1), locks.ref(1),
              c.arg(2), from, to, c.reply, c.now_ms);
  return true;
}

void LockPair(CommandContext& c, KeysLock& locks) {
  locks.Add(c.db(), c.arg(1));
  locks.Add(c.db(), c.arg(2));
  locks.Lock();
}

void MoveGeneric(CommandContext& c, bool from, bool to) {
  KeysLock locks;
  LockPair(c, locks);
  if (!TryMove(c, locks, from, to)) c.reply.Null();
}

void LMove(CommandContext& c) {
  bool from, to;
  if (!ParseWhere(c.arg(3), &from) || !ParseWhere(c.arg(4), &to)) return c.reply.Error(err::kSyntax);
  MoveGeneric(c, from, to);
}
void RPopLPush(CommandContext& c) { MoveGeneric(c, false, true); }

// Pops from the first non-empty list of `keys` (locked): replies
// [key, [elements]] and returns true; WRONGTYPE also returns true; false
// when all are empty.
bool TryMPop(CommandContext& c, KeysLock& locks, const MPopArgs& a) {
  return PopFirstExisting(c, locks, a, ObjType::kList,
                          [&](Shard& shard, const KeyRef& ref, Entry* e) {
                            PopMany(c, shard, ref, e, !a.second_end, a.count);
                          });
}

void LMPop(CommandContext& c) {
  MPopArgs a;
  if (!ParseMPopArgs(c, 1, "left", "right", &a)) return;
  KeysLock locks;
  for (std::string_view k : a.keys) locks.Add(c.db(), k);
  locks.Lock();
  if (!TryMPop(c, locks, a)) c.reply.NullArray();
}

// ---- blocking forms ----

// Serves a blocked BLPOP/BRPOP/BLMPOP client from `key`: pops up to `count`
// (mpop) or one element.
ServeResult ServePop(Server& s, BlockedClient& b, std::string_view key, ReplyBuilder& reply,
                     bool front, int64_t count, bool mpop) {
  KeyLock k(s.keyspace().db(b.db()), key);
  Entry* e = k.shard.Find(k.ref, NowMs());
  if (e == nullptr) return ServeResult::kNotReady;
  if (e->type() != ObjType::kList) return ServeResult::kOtherKind;
  if (!b.Claim()) return ServeResult::kGone;
  ValueChange change(k.shard, e);
  ListValue* l = List(e);
  reply.ArrayHeader(2);
  reply.Bulk(key);
  const char* pop = front ? "LPOP" : "RPOP";
  if (mpop) {
    size_t n = std::min<size_t>(static_cast<size_t>(count), l->size());
    reply.ArrayHeader(n);
    for (size_t i = 0; i < n; ++i) Pop(l, front, [&](std::string_view v) { reply.Bulk(v); });
    Aof::LogNow(b.db(), {pop, key, std::to_string(n)});
  } else {
    Pop(l, front, [&](std::string_view v) { reply.Bulk(v); });
    Aof::LogNow(b.db(), {pop, key});
  }
  EraseIfEmpty(k.shard, k.ref, e, change, PopEvent(front));
  return ServeResult::kServed;
}

// Blocks, or answers a timeout at once when blocking is not allowed.
void BlockOrNull(CommandContext& c, const std::vector<std::string_view>& keys, int64_t timeout,
                 ServeFn serve) {
  if (!CanBlock(c)) return c.reply.NullArray();
  BlockClient(c, keys, timeout, std::move(serve));
}

// BLPOP/BRPOP key [key ...] timeout
void BPopGeneric(CommandContext& c, bool front) {
  auto timeout = ParseBlockTimeout(c, c.arg(c.argc() - 1));
  if (!timeout) return;
  std::vector<std::string_view> keys(c.args.begin() + 1, c.args.end() - 1);
  KeysLock locks;
  for (std::string_view k : keys) locks.Add(c.db(), k);
  locks.Lock();
  for (size_t i = 0; i < keys.size(); ++i) {
    Entry* e = LookupWrite(locks.shard(i), locks.ref(i), c.now_ms);
    if (e == nullptr) continue;
    if (e->type() != ObjType::kList) return c.reply.Error(err::kWrongType);
    ValueChange change(locks.shard(i), e);
    c.reply.ArrayHeader(2);
    c.reply.Bulk(keys[i]);
    Pop(List(e), front, [&](std::string_view v) { c.reply.Bulk(v); });
    return EraseIfEmpty(locks.shard(i), locks.ref(i), e, change, PopEvent(front));
  }
  BlockOrNull(c, keys, *timeout, [front](Server& s, BlockedClient& b, std::string_view key, ReplyBuilder& r) {
    return ServePop(s, b, key, r, front, 1, false);
  });
}
void BLPop(CommandContext& c) { BPopGeneric(c, true); }
void BRPop(CommandContext& c) { BPopGeneric(c, false); }

// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT n]
void BLMPop(CommandContext& c) {
  MPopArgs a;
  if (!ParseMPopArgs(c, 2, "left", "right", &a)) return;
  auto timeout = ParseBlockTimeout(c, c.arg(1));
  if (!timeout) return;
  KeysLock locks;
  for (std::string_view k : a.keys) locks.Add(c.db(), k);
  locks.Lock();
  if (TryMPop(c, locks, a)) return;
  bool front = !a.second_end;
  int64_t count = a.count;
  BlockOrNull(c, a.keys, *timeout, [front, count](Server& s, BlockedClient& b, std::string_view key, ReplyBuilder& r) {
    return ServePop(s, b, key, r, front, count, true);
  });
}

// Serves a blocked BLMOVE/BRPOPLPUSH client: pops from `key`, pushes to dst.
ServeResult ServeMove(Server& s, BlockedClient& b, std::string_view key, ReplyBuilder& reply,
                      const std::string& dst, bool from, bool to) {
  Db& db = s.keyspace().db(b.db());
  KeysLock locks;
  locks.Add(db, key);
  locks.Add(db, dst);
  locks.Lock();
  int64_t now = NowMs();
  Entry* src = locks.shard(0).Find(locks.ref(0), now);
  if (src == nullptr) return ServeResult::kNotReady;
  if (src->type() != ObjType::kList) return ServeResult::kOtherKind;
  if (!b.Claim()) return ServeResult::kGone;
  Entry* d = locks.shard(1).Find(locks.ref(1), now);
  if (d != nullptr && d->type() != ObjType::kList) {
    reply.Error(err::kWrongType);  // the element stays where it was
    return ServeResult::kServed;
  }
  MoveElement(s, b.db(), locks.shard(0), locks.ref(0), src, locks.shard(1), locks.ref(1), dst, from, to,
              reply, now);
  Aof::LogNow(b.db(), {"LMOVE", key, dst, from ? "LEFT" : "RIGHT", to ? "LEFT" : "RIGHT"});
  return ServeResult::kServed;
}

void BMoveGeneric(CommandContext& c, bool from, bool to, size_t timeout_at) {
  auto timeout = ParseBlockTimeout(c, c.arg(timeout_at));
  if (!timeout) return;
  KeysLock locks;
  LockPair(c, locks);
  if (TryMove(c, locks, from, to)) return;
  std::string dst(c.arg(2));
  BlockOrNull(c, {c.arg(1)}, *timeout, [dst, from, to](Server& s, BlockedClient& b, std::string_view key, ReplyBuilder& r) {
    return ServeMove(s, b, key, r, dst, from, to);
  });
}

// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
void BLMove(CommandContext& c) {
  bool from, to;
  if (!ParseWhere(c.arg(3), &from) || !ParseWhere(c.arg(4), &to)) return c.reply.Error(err::kSyntax);
  BMoveGeneric(c, from, to, 5);
}
void BRPopLPush(CommandContext& c) { BMoveGeneric(c, false, true, 3); }

CommandSpec Cmd(const char* name, int arity, uint32_t flags, int first, int last, int step,
                const char* since, const char* summary, const char* complexity, CommandHandler h) {
  return MakeCommand(name, arity, flags, {first, last, step}, "@list", "list", since, summary, h,
                     complexity);
}

}  // namespace

void RegisterListFamily(CommandRegistry& r) {
  constexpr uint32_t kW = kCmdWrite;
  constexpr uint32_t kWD = kCmdWrite | kCmdDenyOom;
  constexpr uint32_t kR = kCmdReadOnly;
  constexpr uint32_t kF = kCmdFast;
  constexpr uint32_t kB = kCmdNoScript | kCmdBlocking;
  const char* kPush = "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.";
  r.Add(Cmd("lpush", -3, kWD | kF, 1, 1, 1, "1.0.0", "Prepend one or multiple elements to a list", kPush, LPush));
  r.Add(Cmd("rpush", -3, kWD | kF, 1, 1, 1, "1.0.0", "Append one or multiple elements to a list", kPush, RPush));
  r.Add(Cmd("lpushx", -3, kWD | kF, 1, 1, 1, "2.2.0", "Prepend an element to a list, only if the list exists", kPush, LPushX));
  r.Add(Cmd("rpushx", -3, kWD | kF, 1, 1, 1, "2.2.0", "Append an element to a list, only if the list exists", kPush, RPushX));
  r.Add(Cmd("lpop", -2, kW | kF, 1, 1, 1, "1.0.0", "Remove and get the first elements in a list", "O(N) where N is the number of elements returned", LPop));
  r.Add(Cmd("rpop", -2, kW | kF, 1, 1, 1, "1.0.0", "Remove and get the last elements in a list", "O(N) where N is the number of elements returned", RPop));
  r.Add(Cmd("llen", 2, kR | kF, 1, 1, 1, "1.0.0", "Get the length of a list", "O(1)", LLen));
  r.Add(Cmd("lrange", 4, kR, 1, 1, 1, "1.0.0", "Get a range of elements from a list", "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.", LRange));
  r.Add(Cmd("lindex", 3, kR, 1, 1, 1, "1.0.0", "Get an element from a list by its index", "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).", LIndex));
  r.Add(Cmd("lset", 4, kWD, 1, 1, 1, "1.0.0", "Set the value of an element in a list by its index", "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).", LSet));
  r.Add(Cmd("linsert", 5, kWD, 1, 1, 1, "2.2.0", "Insert an element before or after another element in a list", "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).", LInsert));
  r.Add(Cmd("lrem", 4, kW, 1, 1, 1, "1.0.0", "Remove elements from a list", "O(N+M) where N is the length of the list and M is the number of elements removed.", LRem));
  r.Add(Cmd("ltrim", 4, kW, 1, 1, 1, "1.0.0", "Trim a list to the specified range", "O(N) where N is the number of elements to be removed by the operation.", LTrim));
  r.Add(Cmd("lpos", -3, kR, 1, 1, 1, "6.0.6", "Return the index of matching elements on a list", "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.", LPos));
  r.Add(Cmd("lmove", 5, kWD, 1, 2, 1, "6.2.0", "Pop an element from a list, push it to another list and return it", "O(1)", LMove));
  r.Add(Cmd("rpoplpush", 3, kWD, 1, 2, 1, "1.2.0", "Remove the last element in a list, prepend it to another list and return it", "O(1)", RPopLPush));
  r.Add(Cmd("lmpop", -4, kW | kCmdMovableKeys, 0, 0, 0, "7.0.0", "Pop elements from a list", "O(N+M) where N is the number of provided keys and M is the number of elements returned.", LMPop));
  r.Add(Cmd("blpop", -3, kW | kB, 1, -2, 1, "2.0.0", "Remove and get the first element in a list, or block until one is available", "O(N) where N is the number of provided keys.", BLPop));
  r.Add(Cmd("brpop", -3, kW | kB, 1, -2, 1, "2.0.0", "Remove and get the last element in a list, or block until one is available", "O(N) where N is the number of provided keys.", BRPop));
  r.Add(Cmd("blmove", 6, kWD | kB, 1, 2, 1, "6.2.0", "Pop an element from a list, push it to another list and return it; or block until one is available", "O(1)", BLMove));
  r.Add(Cmd("brpoplpush", 4, kWD | kB, 1, 2, 1, "2.2.0", "Pop an element from a list, push it to another list and return it; or block until one is available", "O(1)", BRPopLPush));
  r.Add(Cmd("blmpop", -5, kW | kCmdBlocking | kCmdMovableKeys, 0, 0, 0, "7.0.0", "Pop elements from a list, or block until one is available", "O(N+M) where N is the number of provided keys and M is the number of elements returned.", BLMPop));
}

}  // namespace magpie
