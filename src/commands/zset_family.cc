// Sorted set commands: ZADD and friends, ranges by rank/score/lex, pops,
// set algebra (ZUNION/ZINTER/ZDIFF and their STORE forms) and ZSCAN.
//
// Every range command is reduced to a range of ranks: a score or lex bound
// becomes "how many elements lie below it" (ZSetValue::CountBelow*), so one
// emission path (EmitRange) serves ZRANGE in all its forms, ZRANGESTORE and
// the ZREMRANGEBY* commands, on both encodings.
//
// Encodings follow Redis: a new set starts as a listpack and converts to
// the large encoding ("skiplist") before an insert would exceed
// zset-max-listpack-entries or add a member longer than
// zset-max-listpack-value. Results built by the STORE commands are compact
// when they fit. An emptied set is deleted.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "commands/command.h"
#include "commands/helpers.h"
#include "persistence/aof.h"
#include "commands/zset_ops.h"
#include "server/blocking.h"
#include "server/connection.h"
#include "server/server.h"
#include "types/set.h"
#include "types/zset.h"

namespace magpie {

ZLimits ZSetLimits(CommandContext& c) {
  auto& cfg = c.server.config();
  return {static_cast<size_t>(cfg.zset_max_listpack_entries.load()),
          static_cast<size_t>(cfg.zset_max_listpack_value.load())};
}

namespace {

ZLimits Limits(CommandContext& c) { return ZSetLimits(c); }

ZSetValue* Z(Entry* e) { return ValueOf<ZSetValue>(e); }

// Inserts an absent member, converting to the large encoding first when the
// listpack would outgrow its limits.
void AddMember(ZSetValue* z, Entry* e, std::string_view m, double score, const ZLimits& lim) {
  if (z->is_listpack() && (z->size() + 1 > lim.entries || m.size() > lim.value)) {
    z->ConvertToLarge();
    if (e != nullptr) e->set_encoding(Encoding::kSkiplist);
  }
  z->Insert(m, score);
}

Encoding EncodingOf(const ZSetValue* z) {
  return z->is_listpack() ? Encoding::kListpack : Encoding::kSkiplist;
}

// ---------------------------------------------------------------------------
// Argument parsing

bool Is(std::string_view a, const char* name) { return EqualsIgnoreCase(a, name); }

// Deletes the key once its sorted set is empty, announcing "del".
void EraseIfEmpty(Shard& shard, const KeyRef& ref, Entry* e) {
  if (ValueOf<ZSetValue>(e)->size() != 0) return;
  shard.Erase(ref);
  NotifyKeyspaceEvent(kNotifyGeneric, "del", ref.key, shard.db_index());
}

// strtod over the whole C string (Redis parses range bounds this way:
// leading spaces, "" as 0 and overflow to inf are accepted; NaN is not).
std::optional<double> StrtodWhole(std::string_view s) {
  std::string buf = CStr(s);
  char* end = nullptr;
  double v = strtod(buf.c_str(), &end);
  if (*end != '\0' || std::isnan(v)) return std::nullopt;
  return v;
}

struct ScoreRange {
  double min, max;
  bool minex = false, maxex = false;
};

bool ParseScoreBound(std::string_view s, double* v, bool* ex) {
  *ex = !s.empty() && s[0] == '(';
  auto d = StrtodWhole(*ex ? s.substr(1) : s);
  if (!d) return false;
  *v = *d;
  return true;
}

std::optional<ScoreRange> ParseScoreRange(CommandContext& c, std::string_view min,
                                          std::string_view max) {
  ScoreRange r{};
  if (!ParseScoreBound(min, &r.min, &r.minex) || !ParseScoreBound(max, &r.max, &r.maxex)) {
    c.reply.Error("ERR min or max is not a float");
    return std::nullopt;
  }
  return r;
}

// A lex bound: "-" (before everything), "+" (after everything), "[x" or "(x".
struct LexBound {
  enum Kind { kMinusInf, kPlusInf, kValue } kind = kValue;
  std::string_view value;
  bool ex = false;
};

struct LexRange {
  LexBound min, max;
};

bool ParseLexBound(std::string_view s, LexBound* b) {
  if (s == "-") return b->kind = LexBound::kMinusInf, true;
  if (s == "+") return b->kind = LexBound::kPlusInf, true;
  if (s.empty() || (s[0] != '(' && s[0] != '[')) return false;
  b->ex = s[0] == '(';
  b->value = s.substr(1);
  return true;
}

std::optional<LexRange> ParseLexRange(CommandContext& c, std::string_view min,
                                      std::string_view max) {
  LexRange r;
  if (!ParseLexBound(min, &r.min) || !ParseLexBound(max, &r.max)) {
    c.reply.Error("ERR min or max not valid string range item");
    return std::nullopt;
  }
  return r;
}

// Ranks [first, end) of the elements within a range.
struct RankSpan {
  size_t first = 0, end = 0;
  size_t size() const { return end > first ? end - first : 0; }
};

RankSpan SpanOfScores(const ZSetValue* z, const ScoreRange& r) {
  if (r.min > r.max || (r.min == r.max && (r.minex || r.maxex))) return {};
  return {z->CountBelowScore(r.min, r.minex), z->CountBelowScore(r.max, !r.maxex)};
}

size_t CountBelowLexBound(const ZSetValue* z, const LexBound& b, bool upper) {
  if (b.kind == LexBound::kMinusInf) return 0;
  if (b.kind == LexBound::kPlusInf) return z->size();
  // A lower bound excludes members below it (and equal when exclusive); an
  // upper bound keeps members up to it (and equal when inclusive).
  return z->CountBelowLex(b.value, upper ? !b.ex : b.ex);
}

RankSpan SpanOfLex(const ZSetValue* z, const LexRange& r) {
  // Empty ranges Redis rejects before looking: min above max, or equal
  // with either end exclusive.
  if (r.min.kind == LexBound::kPlusInf || r.max.kind == LexBound::kMinusInf) return {};
  if (r.min.kind == LexBound::kValue && r.max.kind == LexBound::kValue) {
    int cmp = r.min.value.compare(r.max.value);
    if (cmp > 0 || (cmp == 0 && (r.min.ex || r.max.ex))) return {};
  }
  return {CountBelowLexBound(z, r.min, false), CountBelowLexBound(z, r.max, true)};
}

// Rank range of ZRANGE start stop (Redis's clamping of negative indexes).
RankSpan SpanOfRanks(size_t len, int64_t start, int64_t end) {
  int64_t n = static_cast<int64_t>(len);
  if (start < 0) start += n;
  if (end < 0) end += n;
  if (start < 0) start = 0;
  if (start > end || start >= n) return {};
  if (end >= n) end = n - 1;
  return {static_cast<size_t>(start), static_cast<size_t>(end) + 1};
}

// ---------------------------------------------------------------------------
// Replies

// Emits one member (and its score): RESP3 pairs become 2-element arrays.
void ReplyMember(CommandContext& c, std::string_view m, double score, bool withscores) {
  if (withscores && c.reply.resp3()) c.reply.ArrayHeader(2);
  c.reply.Bulk(m);
  if (withscores) c.reply.Double(score);
}

void ReplyListHeader(CommandContext& c, size_t n, bool withscores) {
  c.reply.ArrayHeader(withscores && !c.reply.resp3() ? n * 2 : n);
}

// ---------------------------------------------------------------------------
// ZADD / ZINCRBY

enum class AddResult { kNop, kAdded, kUpdated, kSame, kNaN };

// Redis's zsetAdd: applies one score (or increment) under the flags.
AddResult ApplyScore(ZSetValue* z, Entry* e, std::string_view m, double score,
                     const ZAddFlags& f, const ZLimits& lim, double* out) {
  auto cur = z->Score(m);
  if (cur) {
    if (f.nx) return AddResult::kNop;
    double next = f.incr ? *cur + score : score;
    if (std::isnan(next)) return AddResult::kNaN;
    if ((f.lt && next >= *cur) || (f.gt && next <= *cur)) return AddResult::kNop;
    *out = next;
    if (next == *cur) return AddResult::kSame;
    z->Update(m, *cur, next);
    return AddResult::kUpdated;
  }
  if (f.xx) return AddResult::kNop;
  AddMember(z, e, m, score, lim);
  *out = score;
  return AddResult::kAdded;
}

void ZAddGeneric(CommandContext& c, size_t first, ZAddFlags f) {
  size_t elements = c.argc() - first;
  if (elements == 0 || elements % 2 != 0) return c.reply.Error(err::kSyntax);
  elements /= 2;
  if (f.nx && f.xx) return c.reply.Error("ERR XX and NX options at the same time are not compatible");
  if ((f.gt && f.nx) || (f.lt && f.nx) || (f.gt && f.lt)) {
    return c.reply.Error("ERR GT, LT, and/or NX options at the same time are not compatible");
  }
  if (f.incr && elements > 1) {
    return c.reply.Error("ERR INCR option supports a single increment-element pair");
  }
  std::vector<std::pair<double, std::string_view>> items(elements);
  for (size_t i = 0; i < elements; ++i) {
    auto s = ParseDouble(c.arg(first + 2 * i));
    if (!s) return c.reply.Error(err::kNotFloat);
    items[i] = {*s, c.arg(first + 2 * i + 1)};
  }
  ZAddApply(c, c.arg(1), items, f);
}

}  // namespace

void ZAddApply(CommandContext& c, std::string_view key,
               const std::vector<std::pair<double, std::string_view>>& items, const ZAddFlags& f) {
  ZLimits lim = Limits(c);
  KeyLock k(c.db(), key);
  bool wrong;
  Entry* e = LookupTyped(c, k.shard, k.ref, ObjType::kZSet, true, &wrong);
  if (wrong) return;
  if (e == nullptr) {
    if (f.xx) return f.incr ? c.reply.Null() : c.reply.Int(0);
    e = Entry::NewEmptyCollection<ZSetValue>(key, ObjType::kZSet, Encoding::kListpack);
    k.shard.Insert(k.ref, e);
  }
  ValueChange change(k.shard, e);
  int64_t added = 0, updated = 0;
  double last = 0;
  bool applied = false;
  for (const auto& [score, member] : items) {
    AddResult r = ApplyScore(Z(e), e, member, score, f, lim, &last);
    if (r == AddResult::kNaN) {
      change.Done();
      if (Z(e)->size() == 0) k.shard.Erase(k.ref);
      return c.reply.Error("ERR resulting score is not a number (NaN)");
    }
    added += r == AddResult::kAdded;
    updated += r == AddResult::kUpdated;
    applied = applied || r != AddResult::kNop;
  }
  change.Done();
  if (added > 0 || updated > 0) Notify(c, kNotifyZset, f.incr ? "zincr" : "zadd", key);
  // A client blocked in BZPOPMIN may be waiting for this key.
  if (added > 0) SignalKeyReady(c.conn.db(), key);
  if (f.incr) return applied ? c.reply.Double(last) : c.reply.Null();
  c.reply.Int(f.ch ? added + updated : added);
}

namespace {

void ZAdd(CommandContext& c) {
  ZAddFlags f;
  size_t i = 2;
  for (; i < c.argc(); ++i) {
    std::string_view a = c.arg(i);
    if (Is(a, "nx")) {
      f.nx = true;
    } else if (Is(a, "xx")) {
      f.xx = true;
    } else if (Is(a, "gt")) {
      f.gt = true;
    } else if (Is(a, "lt")) {
      f.lt = true;
    } else if (Is(a, "ch")) {
      f.ch = true;
    } else if (Is(a, "incr")) {
      f.incr = true;
    } else {
      break;
    }
  }
  ZAddGeneric(c, i, f);
}

void ZIncrBy(CommandContext& c) {
  ZAddFlags f;
  f.incr = true;
  ZAddGeneric(c, 2, f);
}

// ---------------------------------------------------------------------------
// Simple reads and removal

// Looks up a sorted set for reading; replies WRONGTYPE (and returns false)
// when the key holds another type. *z is nullptr for a missing key.
bool ReadZ(CommandContext& c, KeyLock& k, ZSetValue** z) {
  bool wrong;
  Entry* e = LookupTyped(c, k.shard, k.ref, ObjType::kZSet, false, &wrong);
  *z = e ? Z(e) : nullptr;
  return !wrong;
}

void ZCard(CommandContext& c) {
  KeyLock k(c.db(), c.arg(1));
  ZSetValue* z;
  if (!ReadZ(c, k, &z)) return;
  c.reply.Int(z ? static_cast<int64_t>(z->size()) : 0);
}

void ZScore(CommandContext& c) {
  KeyLock k(c.db(), c.arg(1));
  ZSetValue* z;
  if (!ReadZ(c, k, &z)) return;
  auto s = z ? z->Score(c.arg(2)) : std::nullopt;
  s ? c.reply.Double(*s) : c.reply.Null();
}

void ZMScore(CommandContext& c) {
  KeyLock k(c.db(), c.arg(1));
  ZSetValue* z;
  if (!ReadZ(c, k, &z)) return;
  c.reply.ArrayHeader(c.argc() - 2);
  for (size_t i = 2; i < c.argc(); ++i) {
    auto s = z ? z->Score(c.arg(i)) : std::nullopt;
    s ? c.reply.Double(*s) : c.reply.Null();
  }
}

void ZRankGeneric(CommandContext& c, bool reverse) {
  KeyLock k(c.db(), c.arg(1));
  ZSetValue* z;
  if (!ReadZ(c, k, &z)) return;
  auto r = z ? z->Rank(c.arg(2)) : std::nullopt;
  if (!r) return c.reply.Null();
  c.reply.Int(static_cast<int64_t>(reverse ? z->size() - 1 - *r : *r));
}
void ZRank(CommandContext& c) { ZRankGeneric(c, false); }
void ZRevRank(CommandContext& c) { ZRankGeneric(c, true); }

void ZCount(CommandContext& c) {
  auto r = ParseScoreRange(c, c.arg(2), c.arg(3));
  if (!r) return;
  KeyLock k(c.db(), c.arg(1));
  ZSetValue* z;
  if (!ReadZ(c, k, &z)) return;
  c.reply.Int(z ? static_cast<int64_t>(SpanOfScores(z, *r).size()) : 0);
}

void ZLexCount(CommandContext& c) {
  auto r = ParseLexRange(c, c.arg(2), c.arg(3));
  if (!r) return;
  KeyLock k(c.db(), c.arg(1));
  ZSetValue* z;
  if (!ReadZ(c, k, &z)) return;
  c.reply.Int(z ? static_cast<int64_t>(SpanOfLex(z, *r).size()) : 0);
}

void ZRem(CommandContext& c) {
  KeyLock k(c.db(), c.arg(1));
  bool wrong;
  Entry* e = LookupTyped(c, k.shard, k.ref, ObjType::kZSet, true, &wrong);
  if (wrong) return;
  if (e == nullptr) return c.reply.Int(0);
  ValueChange change(k.shard, e);
  int64_t removed = 0;
  for (size_t i = 2; i < c.argc() && Z(e)->size() > 0; ++i) removed += Z(e)->Erase(c.arg(i));
  change.Done();
  if (removed > 0) Notify(c, kNotifyZset, "zrem", c.arg(1));
  EraseIfEmpty(k.shard, k.ref, e);
  c.reply.Int(removed);
}

// ---------------------------------------------------------------------------
// ZRANGE and its variants

enum class RangeType { kAuto, kRank, kScore, kLex };

struct RangeSpec {
  RangeType type = RangeType::kAuto;
  int dir = 0;  // 0: not given, 1: forward, -1: reverse
  bool withscores = false;
  int64_t offset = 0, limit = -1;
};

// Parses the options after "key min max" (from `first`). `store` rejects
// WITHSCORES as ZRANGESTORE does.
bool ParseRangeOptions(CommandContext& c, size_t first, bool store, RangeSpec* s) {
  for (size_t j = first; j < c.argc(); ++j) {
    std::string_view a = c.arg(j);
    size_t left = c.argc() - j - 1;
    if (!store && Is(a, "withscores")) {
      s->withscores = true;
    } else if (Is(a, "limit") && left >= 2) {
      auto off = IntArg(c, c.arg(j + 1));
      if (!off) return false;
      auto lim = IntArg(c, c.arg(j + 2));
      if (!lim) return false;
      s->offset = *off;
      s->limit = *lim;
      j += 2;
    } else if (s->dir == 0 && Is(a, "rev")) {
      s->dir = -1;
    } else if (s->type == RangeType::kAuto && Is(a, "bylex")) {
      s->type = RangeType::kLex;
    } else if (s->type == RangeType::kAuto && Is(a, "byscore")) {
      s->type = RangeType::kScore;
    } else {
      c.reply.Error(err::kSyntax);
      return false;
    }
  }
  if (s->dir == 0) s->dir = 1;
  if (s->type == RangeType::kAuto) s->type = RangeType::kRank;
  // Redis only notices a LIMIT whose count is not -1.
  if (s->limit != -1 && s->type == RangeType::kRank) {
    c.reply.Error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
    return false;
  }
  if (s->withscores && s->type == RangeType::kLex) {
    c.reply.Error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
    return false;
  }
  return true;
}

// A parsed range: exactly one of the three is used, per RangeSpec::type.
struct ParsedRange {
  int64_t start = 0, stop = 0;
  ScoreRange score{};
  LexRange lex;
};

bool ParseRangeBounds(CommandContext& c, const RangeSpec& s, std::string_view a,
                      std::string_view b, ParsedRange* r) {
  // BYSCORE/BYLEX with REV take "max min": swap to min, max.
  if (s.dir < 0 && s.type != RangeType::kRank) std::swap(a, b);
  switch (s.type) {
    case RangeType::kScore: {
      auto v = ParseScoreRange(c, a, b);
      if (!v) return false;
      r->score = *v;
      return true;
    }
    case RangeType::kLex: {
      auto v = ParseLexRange(c, a, b);
      if (!v) return false;
      r->lex = *v;
      return true;
    }
    default: {
      auto x = IntArg(c, a);
      if (!x) return false;
      auto y = IntArg(c, b);
      if (!y) return false;
      r->start = *x;
      r->stop = *y;
      return true;
    }
  }
}

// The ranks a range selects, and the walk over them: `first` is the first
// rank visited (the highest when reverse), `count` the number visited.
struct Walk {
  size_t first = 0, count = 0;
  bool reverse = false;
};

Walk ResolveRange(const ZSetValue* z, const RangeSpec& s, const ParsedRange& r) {
  Walk w;
  w.reverse = s.dir < 0;
  RankSpan span;
  if (s.type == RangeType::kRank) {
    span = SpanOfRanks(z->size(), r.start, r.stop);
    if (span.size() == 0) return w;
    // ZREVRANGE's indexes count from the highest score.
    w.count = span.size();
    w.first = w.reverse ? z->size() - 1 - span.first : span.first;
    return w;
  }
  span = s.type == RangeType::kScore ? SpanOfScores(z, r.score) : SpanOfLex(z, r.lex);
  size_t n = span.size();
  // A negative offset selects nothing; a negative limit means no limit.
  if (s.offset < 0 || static_cast<uint64_t>(s.offset) >= n) return w;
  size_t avail = n - static_cast<size_t>(s.offset);
  w.count = s.limit < 0 ? avail : std::min<size_t>(avail, static_cast<size_t>(s.limit));
  w.first = w.reverse ? span.end - 1 - static_cast<size_t>(s.offset)
                      : span.first + static_cast<size_t>(s.offset);
  return w;
}

void ZRangeGeneric(CommandContext& c, RangeSpec s, size_t opts_from) {
  if (!ParseRangeOptions(c, opts_from, false, &s)) return;
  ParsedRange r;
  if (!ParseRangeBounds(c, s, c.arg(2), c.arg(3), &r)) return;
  KeyLock k(c.db(), c.arg(1));
  ZSetValue* z;
  if (!ReadZ(c, k, &z)) return;
  if (z == nullptr) return c.reply.ArrayHeader(0);
  Walk w = ResolveRange(z, s, r);
  ReplyListHeader(c, w.count, s.withscores);
  z->ForRange(w.first, w.count, w.reverse,
              [&](std::string_view m, double score) { ReplyMember(c, m, score, s.withscores); });
}

void ZRange(CommandContext& c) { ZRangeGeneric(c, {}, 4); }
void ZRevRange(CommandContext& c) {
  RangeSpec s;
  s.dir = -1;
  s.type = RangeType::kRank;
  ZRangeGeneric(c, s, 4);
}
void ZRangeByScoreGeneric(CommandContext& c, int dir, RangeType type) {
  RangeSpec s;
  s.dir = dir;
  s.type = type;
  ZRangeGeneric(c, s, 4);
}
void ZRangeByScore(CommandContext& c) { ZRangeByScoreGeneric(c, 1, RangeType::kScore); }
void ZRevRangeByScore(CommandContext& c) { ZRangeByScoreGeneric(c, -1, RangeType::kScore); }
void ZRangeByLex(CommandContext& c) { ZRangeByScoreGeneric(c, 1, RangeType::kLex); }
void ZRevRangeByLex(CommandContext& c) { ZRangeByScoreGeneric(c, -1, RangeType::kLex); }

}  // namespace

// (Which encoding a result starts in matters beyond OBJECT ENCODING: a
// listpack stores -0 as 0.)
std::unique_ptr<ZSetValue> BuildZSet(const std::vector<std::pair<std::string, double>>& items,
                                     const ZLimits& lim, bool large) {
  auto z = std::make_unique<ZSetValue>();
  if (large) z->ConvertToLarge();
  for (const auto& [m, s] : items) AddMember(z.get(), nullptr, m, s, lim);
  return z;
}

void StoreZSet(CommandContext& c, Shard& shard, const KeyRef& ref, std::string_view key,
               std::unique_ptr<ZSetValue> z, const char* event) {
  Entry* old = LookupWrite(shard, ref, c.now_ms);
  if (z->size() == 0) {
    if (old != nullptr) {
      shard.Erase(ref);
      Notify(c, kNotifyGeneric, "del", key);
    }
    return;
  }
  Encoding enc = EncodingOf(z.get());
  Entry* e = Entry::NewCollection(key, ObjType::kZSet, enc, z.release());
  old != nullptr ? shard.Replace(old, e, ref) : shard.Insert(ref, e);
  Notify(c, kNotifyZset, event, key);
  SignalKeyReady(c.conn.db(), key);
}

namespace {

// ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]
void ZRangeStore(CommandContext& c) {
  RangeSpec s;
  if (!ParseRangeOptions(c, 5, true, &s)) return;
  ParsedRange r;
  if (!ParseRangeBounds(c, s, c.arg(3), c.arg(4), &r)) return;
  Db& db = c.db();
  KeysLock locks;
  locks.Add(db, c.arg(1));
  locks.Add(db, c.arg(2));
  locks.Lock();
  Entry* src = LookupRead(locks.shard(1), locks.ref(1), c.now_ms);
  if (src != nullptr && src->type() != ObjType::kZSet) return c.reply.Error(err::kWrongType);
  std::vector<std::pair<std::string, double>> items;
  if (src != nullptr) {
    Walk w = ResolveRange(Z(src), s, r);
    items.reserve(w.count);
    Z(src)->ForRange(w.first, w.count, w.reverse,
                     [&](std::string_view m, double score) { items.emplace_back(m, score); });
  }
  // Redis sizes the result by the count when it knows it up front (ranks).
  ZLimits lim = Limits(c);
  bool large = s.type == RangeType::kRank && items.size() > lim.entries;
  auto z = BuildZSet(items, lim, large);
  int64_t n = static_cast<int64_t>(z->size());
  StoreZSet(c, locks.shard(0), locks.ref(0), c.arg(1), std::move(z), "zrangestore");
  c.reply.Int(n);
}

// ---------------------------------------------------------------------------
// ZREMRANGEBY*

void ZRemRangeGeneric(CommandContext& c, RangeType type) {
  RangeSpec s;
  s.type = type;
  s.dir = 1;
  ParsedRange r;
  if (!ParseRangeBounds(c, s, c.arg(2), c.arg(3), &r)) return;
  KeyLock k(c.db(), c.arg(1));
  bool wrong;
  Entry* e = LookupTyped(c, k.shard, k.ref, ObjType::kZSet, true, &wrong);
  if (wrong) return;
  if (e == nullptr) return c.reply.Int(0);
  Walk w = ResolveRange(Z(e), s, r);
  ValueChange change(k.shard, e);
  Z(e)->EraseRange(w.first, w.count);
  change.Done();
  if (w.count > 0) {
    const char* event = type == RangeType::kRank    ? "zremrangebyrank"
                        : type == RangeType::kScore ? "zremrangebyscore"
                                                    : "zremrangebylex";
    Notify(c, kNotifyZset, event, c.arg(1));
  }
  EraseIfEmpty(k.shard, k.ref, e);
  c.reply.Int(static_cast<int64_t>(w.count));
}
void ZRemRangeByRank(CommandContext& c) { ZRemRangeGeneric(c, RangeType::kRank); }
void ZRemRangeByScore(CommandContext& c) { ZRemRangeGeneric(c, RangeType::kScore); }
void ZRemRangeByLex(CommandContext& c) { ZRemRangeGeneric(c, RangeType::kLex); }

// ---------------------------------------------------------------------------
// Pops (ZPOPMIN/ZPOPMAX, ZMPOP and the blocking BZPOPMIN/BZPOPMAX/BZMPOP)

// How popped pairs are replied: kFlat is member, score, ... with no array
// header (BZPOPMIN, after the key); kFlatArray is an array of those
// (ZPOPMIN without a count); kPairs nests each pair in RESP3 only (ZPOPMIN
// with a count); kNested always nests (ZMPOP).
enum class PopShape { kFlat, kFlatArray, kPairs, kNested };

// Pops up to `count` members from the low (or high) end of the set at `e`,
// replying them in `shape` (with the array header unless kFlat), and
// deletes an emptied key.
void PopInto(ReplyBuilder& reply, Shard& shard, const KeyRef& ref, Entry* e, size_t count,
             bool max, PopShape shape) {
  ZSetValue* z = Z(e);
  size_t n = std::min(count, z->size());
  bool nested = shape == PopShape::kNested || (shape == PopShape::kPairs && reply.resp3());
  if (shape != PopShape::kFlat) reply.ArrayHeader(nested ? n : n * 2);
  z->ForRange(max ? z->size() - 1 : 0, n, max, [&](std::string_view m, double score) {
    if (nested) reply.ArrayHeader(2);
    reply.Bulk(m);
    reply.Double(score);
  });
  ValueChange change(shard, e);
  z->EraseRange(max ? z->size() - n : 0, n);
  change.Done();
  if (n > 0) NotifyKeyspaceEvent(kNotifyZset, max ? "zpopmax" : "zpopmin", ref.key, shard.db_index());
  EraseIfEmpty(shard, ref, e);
}

void ZPopGeneric(CommandContext& c, bool max) {
  if (c.argc() > 3) return c.reply.Error(err::kSyntax);
  size_t count = 1;
  bool has_count = c.argc() == 3;
  if (has_count) {
    auto v = ParseInt64(c.arg(2));
    if (!v || *v < 0) return c.reply.Error("ERR value is out of range, must be positive");
    count = static_cast<size_t>(*v);
  }
  KeyLock k(c.db(), c.arg(1));
  bool wrong;
  Entry* e = LookupTyped(c, k.shard, k.ref, ObjType::kZSet, true, &wrong);
  if (wrong) return;
  if (e == nullptr || count == 0) return c.reply.ArrayHeader(0);
  PopInto(c.reply, k.shard, k.ref, e, count, max, has_count ? PopShape::kPairs : PopShape::kFlatArray);
}
void ZPopMin(CommandContext& c) { ZPopGeneric(c, false); }
void ZPopMax(CommandContext& c) { ZPopGeneric(c, true); }

// Pops from the first non-empty key (all locked); false when there is none
// (nothing replied). A key of another type replies WRONGTYPE (true).
bool TryZMPop(CommandContext& c, KeysLock& locks, const MPopArgs& a) {
  return PopFirstExisting(c, locks, a, ObjType::kZSet,
                          [&](Shard& shard, const KeyRef& ref, Entry* e) {
                            PopInto(c.reply, shard, ref, e, static_cast<size_t>(a.count),
                                    a.second_end, PopShape::kNested);
                          });
}

// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]
void ZMPop(CommandContext& c) {
  MPopArgs a;
  if (!ParseMPopArgs(c, 1, "min", "max", &a)) return;
  KeysLock locks;
  for (std::string_view k : a.keys) locks.Add(c.db(), k);
  locks.Lock();
  if (!TryZMPop(c, locks, a)) c.reply.NullArray();
}

// Serves a client blocked in BZPOPMIN/BZPOPMAX (mpop false: replies key,
// member, score) or BZMPOP (replies like ZMPOP) from `key`.
ServeResult ServeZPop(Server& s, BlockedClient& b, std::string_view key, ReplyBuilder& reply,
                      bool max, size_t count, bool mpop) {
  KeyLock k(s.keyspace().db(b.db()), key);
  Entry* e = k.shard.Find(k.ref, NowMs());
  if (e == nullptr) return ServeResult::kNotReady;
  if (e->type() != ObjType::kZSet) return ServeResult::kOtherKind;
  if (!b.Claim()) return ServeResult::kGone;
  reply.ArrayHeader(mpop ? 2 : 3);
  reply.Bulk(key);
  PopInto(reply, k.shard, k.ref, e, mpop ? count : 1, max,
          mpop ? PopShape::kNested : PopShape::kFlat);
  Aof::LogNow(b.db(), {max ? "ZPOPMAX" : "ZPOPMIN", key, std::to_string(mpop ? count : 1)});
  return ServeResult::kServed;
}

// Blocks, or answers a timeout at once when blocking is not allowed (MULTI).
void BlockOrNull(CommandContext& c, const std::vector<std::string_view>& keys, int64_t timeout,
                 bool max, size_t count, bool mpop) {
  if (!CanBlock(c)) return c.reply.NullArray();
  BlockClient(c, keys, timeout,
              [max, count, mpop](Server& s, BlockedClient& b, std::string_view key, ReplyBuilder& r) {
                return ServeZPop(s, b, key, r, max, count, mpop);
              });
}

// BZPOPMIN/BZPOPMAX key [key ...] timeout
void BZPopGeneric(CommandContext& c, bool max) {
  auto timeout = ParseBlockTimeout(c, c.arg(c.argc() - 1));
  if (!timeout) return;
  std::vector<std::string_view> keys(c.args.begin() + 1, c.args.end() - 1);
  KeysLock locks;
  for (std::string_view k : keys) locks.Add(c.db(), k);
  locks.Lock();
  for (size_t i = 0; i < keys.size(); ++i) {
    Entry* e = LookupWrite(locks.shard(i), locks.ref(i), c.now_ms);
    if (e == nullptr) continue;
    if (e->type() != ObjType::kZSet) return c.reply.Error(err::kWrongType);
    c.reply.ArrayHeader(3);
    c.reply.Bulk(keys[i]);
    return PopInto(c.reply, locks.shard(i), locks.ref(i), e, 1, max, PopShape::kFlat);
  }
  BlockOrNull(c, keys, *timeout, max, 1, false);
}
void BZPopMin(CommandContext& c) { BZPopGeneric(c, false); }
void BZPopMax(CommandContext& c) { BZPopGeneric(c, true); }

// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]
void BZMPop(CommandContext& c) {
  auto timeout = ParseBlockTimeout(c, c.arg(1));
  if (!timeout) return;
  MPopArgs a;
  if (!ParseMPopArgs(c, 2, "min", "max", &a)) return;
  KeysLock locks;
  for (std::string_view k : a.keys) locks.Add(c.db(), k);
  locks.Lock();
  if (TryZMPop(c, locks, a)) return;
  BlockOrNull(c, a.keys, *timeout, a.second_end, static_cast<size_t>(a.count), true);
}

// ---------------------------------------------------------------------------
// ZRANDMEMBER

void ZRandMember(CommandContext& c) {
  bool withscores = false;
  int64_t count = 0;
  bool has_count = c.argc() >= 3;
  if (has_count) {
    // Redis's order: the count, then the syntax, then the WITHSCORES range.
    auto v = IntArg(c, c.arg(2));
    if (!v) return;
    if (*v == INT64_MIN) {
      return c.reply.Error(
          "ERR value is out of range, value must between -9223372036854775807 and "
          "9223372036854775807");
    }
    if (c.argc() > 4 || (c.argc() == 4 && !Is(c.arg(3), "withscores"))) {
      return c.reply.Error(err::kSyntax);
    }
    withscores = c.argc() == 4;
    if (withscores && (*v < -INT64_MAX / 2 || *v > INT64_MAX / 2)) {
      return c.reply.Error("ERR value is out of range");
    }
    count = *v;
  }
  KeyLock k(c.db(), c.arg(1));
  ZSetValue* z;
  if (!ReadZ(c, k, &z)) return;
  if (!has_count) {
    if (z == nullptr) return c.reply.Null();
    size_t rank = k.shard.NextRandom() % z->size();
    z->ForRange(rank, 1, false, [&](std::string_view m, double) { c.reply.Bulk(m); });
    return;
  }
  if (z == nullptr || count == 0) return c.reply.ArrayHeader(0);
  size_t size = z->size();
  auto emit = [&](size_t rank) {
    z->ForRange(rank, 1, false,
                [&](std::string_view m, double s) { ReplyMember(c, m, s, withscores); });
  };
  if (count < 0) {
    // Repeats allowed: independent draws.
    size_t n = static_cast<size_t>(-count);
    ReplyListHeader(c, n, withscores);
    for (size_t i = 0; i < n; ++i) emit(k.shard.NextRandom() % size);
    return;
  }
  size_t n = std::min(static_cast<size_t>(count), size);
  ReplyListHeader(c, n, withscores);
  if (n == size) {
    z->ForRange(0, n, false,
                [&](std::string_view m, double s) { ReplyMember(c, m, s, withscores); });
    return;
  }
  // Distinct ranks: a partial Fisher-Yates over the rank space when it is
  // small relative to n, otherwise rejection sampling.
  std::vector<size_t> picked;
  if (n * 3 > size) {
    std::vector<size_t> ranks(size);
    for (size_t i = 0; i < size; ++i) ranks[i] = i;
    for (size_t i = 0; i < n; ++i) {
      size_t j = i + k.shard.NextRandom() % (size - i);
      std::swap(ranks[i], ranks[j]);
    }
    picked.assign(ranks.begin(), ranks.begin() + static_cast<ptrdiff_t>(n));
  } else {
    std::unordered_map<size_t, bool> seen;
    while (picked.size() < n) {
      size_t r = k.shard.NextRandom() % size;
      if (seen.emplace(r, true).second) picked.push_back(r);
    }
  }
  for (size_t r : picked) emit(r);
}

// ---------------------------------------------------------------------------
// ZUNION / ZINTER / ZDIFF (+STORE), ZINTERCARD

enum class SetOp { kUnion, kInter, kDiff };
enum class Aggregate { kSum, kMin, kMax };

// One input: a sorted set, a plain set (members score 1) or nothing.
struct Source {
  const ZSetValue* z = nullptr;
  const SetValue* s = nullptr;
  double weight = 1;
  size_t size() const { return z ? z->size() : (s ? s->size() : 0); }
  std::optional<double> Score(std::string_view m) const {
    if (z) return z->Score(m);
    if (s && s->Contains(m)) return 1.0;
    return std::nullopt;
  }
  template <typename F>
  void ForEach(F&& f) const {
    if (z) z->ForRange(0, z->size(), false, f);
    if (s) s->ForEach([&](std::string_view m) { f(m, 1.0); });
  }
};

// Weighted score: NaN (0 * inf) counts as 0, as in Redis.
double Weighted(double score, double weight) {
  double v = score * weight;
  return std::isnan(v) ? 0 : v;
}

void AggregateInto(double* target, double v, Aggregate agg) {
  switch (agg) {
    case Aggregate::kSum:
      *target += v;
      if (std::isnan(*target)) *target = 0;  // inf + -inf
      break;
    case Aggregate::kMin:
      *target = std::min(*target, v);
      break;
    case Aggregate::kMax:
      *target = std::max(*target, v);
      break;
  }
}

// Collects the sources for keys args[first..first+n); replies WRONGTYPE
// for a key of another type.
bool CollectSources(CommandContext& c, KeysLock& locks, size_t lock_base, size_t n,
                    std::vector<Source>* out) {
  out->resize(n);
  for (size_t i = 0; i < n; ++i) {
    Entry* e = LookupRead(locks.shard(lock_base + i), locks.ref(lock_base + i), c.now_ms);
    if (e == nullptr) continue;
    if (e->type() == ObjType::kZSet) {
      (*out)[i].z = Z(e);
    } else if (e->type() == ObjType::kSet) {
      (*out)[i].s = ValueOf<SetValue>(e);
    } else {
      c.reply.Error(err::kWrongType);
      return false;
    }
  }
  return true;
}

using Items = std::vector<std::pair<std::string, double>>;

// Computes the operation; the result is sorted by (score, member).
Items ComputeSetOp(SetOp op, std::vector<Source> src, Aggregate agg) {
  Items out;
  if (op == SetOp::kDiff) {
    if (src[0].size() == 0) return out;
    src[0].ForEach([&](std::string_view m, double s) {
      for (size_t i = 1; i < src.size(); ++i) {
        if (src[i].Score(m)) return;
      }
      out.emplace_back(m, s);
    });
  } else {
    // Smallest inputs first, as Redis orders them (this fixes the order in
    // which SUM adds floating point scores).
    std::stable_sort(src.begin(), src.end(),
                     [](const Source& a, const Source& b) { return a.size() < b.size(); });
    if (op == SetOp::kInter) {
      if (src[0].size() == 0) return out;
      src[0].ForEach([&](std::string_view m, double s) {
        double score = Weighted(s, src[0].weight);
        for (size_t i = 1; i < src.size(); ++i) {
          auto o = src[i].Score(m);
          if (!o) return;
          // Unlike the first input's, these products are not cleaned of
          // NaN (0 * inf): Redis aggregates them as they are.
          AggregateInto(&score, *o * src[i].weight, agg);
        }
        out.emplace_back(m, score);
      });
    } else {
      std::unordered_map<std::string, double> acc;
      for (const Source& s : src) {
        s.ForEach([&](std::string_view m, double v) {
          double w = Weighted(v, s.weight);
          auto [it, fresh] = acc.try_emplace(std::string(m), w);
          if (!fresh) AggregateInto(&it->second, w, agg);
        });
      }
      out.reserve(acc.size());
      for (auto& [m, s] : acc) out.emplace_back(m, s);
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return ZCompare(a.second, a.first, b.second, b.first) < 0;
  });
  return out;
}

// ZUNION/ZINTER/ZDIFF numkeys key... [WEIGHTS w...] [AGGREGATE SUM|MIN|MAX]
// [WITHSCORES]; the STORE forms take a destination first and no
// WITHSCORES.
void SetOpGeneric(CommandContext& c, SetOp op, bool store) {
  size_t nk_at = store ? 2 : 1;
  auto numkeys = IntArg(c, c.arg(nk_at));
  if (!numkeys) return;
  if (*numkeys < 1) {
    return c.reply.Error("ERR at least 1 input key is needed for '" + c.spec.name + "' command");
  }
  if (static_cast<uint64_t>(*numkeys) > c.argc() - nk_at - 1) return c.reply.Error(err::kSyntax);
  size_t n = static_cast<size_t>(*numkeys);
  Db& db = c.db();
  KeysLock locks;
  if (store) locks.Add(db, c.arg(1));
  size_t base = locks.size();
  for (size_t i = 0; i < n; ++i) locks.Add(db, c.arg(nk_at + 1 + i));
  locks.Lock();
  std::vector<Source> src;
  if (!CollectSources(c, locks, base, n, &src)) return;
  Aggregate agg = Aggregate::kSum;
  bool withscores = false;
  for (size_t j = nk_at + 1 + n; j < c.argc(); ++j) {
    std::string_view a = c.arg(j);
    size_t left = c.argc() - j - 1;
    if (op != SetOp::kDiff && left >= n && Is(a, "weights")) {
      for (size_t i = 0; i < n; ++i) {
        auto w = ParseDouble(c.arg(++j));
        if (!w) return c.reply.Error("ERR weight value is not a float");
        src[i].weight = *w;
      }
    } else if (op != SetOp::kDiff && left >= 1 && Is(a, "aggregate")) {
      std::string_view v = c.arg(++j);
      if (Is(v, "sum")) {
        agg = Aggregate::kSum;
      } else if (Is(v, "min")) {
        agg = Aggregate::kMin;
      } else if (Is(v, "max")) {
        agg = Aggregate::kMax;
      } else {
        return c.reply.Error(err::kSyntax);
      }
    } else if (!store && Is(a, "withscores")) {
      withscores = true;
    } else {
      return c.reply.Error(err::kSyntax);
    }
  }
  Items items = ComputeSetOp(op, std::move(src), agg);
  if (store) {
    // Redis builds the result large and makes it compact if it fits.
    ZLimits lim = Limits(c);
    bool fits = items.size() <= lim.entries;
    for (size_t i = 0; i < items.size() && fits; ++i) fits = items[i].first.size() <= lim.value;
    auto z = BuildZSet(items, lim, !fits);
    static const char* kEvents[] = {"zunionstore", "zinterstore", "zdiffstore"};
    StoreZSet(c, locks.shard(0), locks.ref(0), c.arg(1), std::move(z),
              kEvents[static_cast<int>(op)]);
    return c.reply.Int(static_cast<int64_t>(items.size()));
  }
  ReplyListHeader(c, items.size(), withscores);
  for (const auto& [m, s] : items) ReplyMember(c, m, s, withscores);
}

void ZUnion(CommandContext& c) { SetOpGeneric(c, SetOp::kUnion, false); }
void ZInter(CommandContext& c) { SetOpGeneric(c, SetOp::kInter, false); }
void ZDiff(CommandContext& c) { SetOpGeneric(c, SetOp::kDiff, false); }
void ZUnionStore(CommandContext& c) { SetOpGeneric(c, SetOp::kUnion, true); }
void ZInterStore(CommandContext& c) { SetOpGeneric(c, SetOp::kInter, true); }
void ZDiffStore(CommandContext& c) { SetOpGeneric(c, SetOp::kDiff, true); }

// ZINTERCARD numkeys key [key ...] [LIMIT limit]
void ZInterCard(CommandContext& c) {
  auto numkeys = IntArg(c, c.arg(1));
  if (!numkeys) return;
  if (*numkeys < 1) {
    return c.reply.Error("ERR at least 1 input key is needed for 'zintercard' command");
  }
  if (static_cast<uint64_t>(*numkeys) > c.argc() - 2) return c.reply.Error(err::kSyntax);
  size_t n = static_cast<size_t>(*numkeys);
  Db& db = c.db();
  KeysLock locks;
  locks.LockArgs(db, std::vector<std::string_view>(c.args.begin(), c.args.begin() + 2 + n), 2);
  std::vector<Source> src;
  // Like Redis, the keys' types are checked before the options.
  if (!CollectSources(c, locks, 0, n, &src)) return;
  int64_t limit = 0;
  for (size_t j = 2 + n; j < c.argc(); ++j) {
    if (Is(c.arg(j), "limit") && j + 1 < c.argc()) {
      auto v = ParseInt64(c.arg(++j));
      if (!v || *v < 0) return c.reply.Error("ERR LIMIT can't be negative");
      limit = *v;
    } else {
      return c.reply.Error(err::kSyntax);
    }
  }
  std::stable_sort(src.begin(), src.end(),
                   [](const Source& a, const Source& b) { return a.size() < b.size(); });
  int64_t card = 0;
  if (src[0].size() > 0) {
    bool done = false;
    src[0].ForEach([&](std::string_view m, double) {
      if (done) return;
      for (size_t i = 1; i < src.size(); ++i) {
        if (!src[i].Score(m)) return;
      }
      ++card;
      if (limit > 0 && card >= limit) done = true;
    });
  }
  c.reply.Int(card);
}

// ---------------------------------------------------------------------------
// ZSCAN key cursor [MATCH pattern] [COUNT count]

void ZScan(CommandContext& c) {
  auto cursor = ParseScanCursor(c.arg(2));
  if (!cursor) return c.reply.Error("ERR invalid cursor");
  KeyLock k(c.db(), c.arg(1));
  ZSetValue* z;
  if (!ReadZ(c, k, &z)) return;
  if (z == nullptr) return ReplyEmptyScan(c.reply);
  ScanOptions o;
  if (!ParseScanOptions(c, 3, false, &o)) return;
  std::vector<std::pair<std::string, std::string>> out;
  uint64_t next = 0;
  if (z->is_listpack()) {
    z->ForEachListpackRaw([&](std::string_view m, std::string_view s) {
      if (!o.has_pattern || GlobMatch(o.pattern, m)) out.emplace_back(m, s);
    });
  } else {
    next = z->Scan(*cursor, static_cast<size_t>(std::min<int64_t>(o.count, 1 << 20)),
                   [&](std::string_view m, double s) {
                     if (!o.has_pattern || GlobMatch(o.pattern, m)) {
                       out.emplace_back(m, FormatDouble(s));
                     }
                   });
  }
  c.reply.ArrayHeader(2);
  c.reply.Bulk(std::to_string(next));
  c.reply.ArrayHeader(out.size() * 2);
  for (const auto& [m, s] : out) {
    c.reply.Bulk(m);
    c.reply.Bulk(s);
  }
}

CommandSpec Cmd(const char* name, int arity, uint32_t flags, int first, int last, int step,
                const char* since, const char* summary, const char* complexity, CommandHandler h) {
  return MakeCommand(name, arity, flags, {first, last, step}, "@sortedset", "sorted-set", since,
                     summary, h, complexity);
}

}  // namespace

void RegisterZSetFamily(CommandRegistry& r) {
  constexpr uint32_t kW = kCmdWrite;
  constexpr uint32_t kD = kCmdDenyOom;
  constexpr uint32_t kR = kCmdReadOnly;
  constexpr uint32_t kF = kCmdFast;
  constexpr uint32_t kM = kCmdMovableKeys;
  constexpr uint32_t kB = kCmdBlocking;
  const char* kLogN = "O(log(N)) with N being the number of elements in the sorted set.";
  const char* kRangeCx = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.";
  const char* kByCx = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).";
  const char* kRemCx = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.";
  const char* kPopCx = "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.";
  const char* kInterCx = "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.";
  const char* kDiffCx = "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.";
  r.Add(Cmd("zadd", -4, kW | kD | kF, 1, 1, 1, "1.2.0", "Add one or more members to a sorted set, or update its score if it already exists", "O(log(N)) for each item added, where N is the number of elements in the sorted set.", ZAdd));
  r.Add(Cmd("zincrby", 4, kW | kD | kF, 1, 1, 1, "1.2.0", "Increment the score of a member in a sorted set", "O(log(N)) where N is the number of elements in the sorted set.", ZIncrBy));
  r.Add(Cmd("zrem", -3, kW | kF, 1, 1, 1, "1.2.0", "Remove one or more members from a sorted set", "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.", ZRem));
  r.Add(Cmd("zcard", 2, kR | kF, 1, 1, 1, "1.2.0", "Get the number of members in a sorted set", "O(1)", ZCard));
  r.Add(Cmd("zcount", 4, kR | kF, 1, 1, 1, "2.0.0", "Count the members in a sorted set with scores within the given values", kLogN, ZCount));
  r.Add(Cmd("zlexcount", 4, kR | kF, 1, 1, 1, "2.8.9", "Count the number of members in a sorted set between a given lexicographical range", kLogN, ZLexCount));
  r.Add(Cmd("zscore", 3, kR | kF, 1, 1, 1, "1.2.0", "Get the score associated with the given member in a sorted set", "O(1)", ZScore));
  r.Add(Cmd("zmscore", -3, kR | kF, 1, 1, 1, "6.2.0", "Get the score associated with the given members in a sorted set", "O(N) where N is the number of members being requested.", ZMScore));
  r.Add(Cmd("zrank", 3, kR | kF, 1, 1, 1, "2.0.0", "Determine the index of a member in a sorted set", "O(log(N))", ZRank));
  r.Add(Cmd("zrevrank", 3, kR | kF, 1, 1, 1, "2.0.0", "Determine the index of a member in a sorted set, with scores ordered from high to low", "O(log(N))", ZRevRank));
  r.Add(Cmd("zrange", -4, kR, 1, 1, 1, "1.2.0", "Return a range of members in a sorted set", kRangeCx, ZRange));
  r.Add(Cmd("zrangestore", -5, kW | kD, 1, 2, 1, "6.2.0", "Store a range of members from sorted set into another key", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.", ZRangeStore));
  r.Add(Cmd("zrevrange", -4, kR, 1, 1, 1, "1.2.0", "Return a range of members in a sorted set, by index, with scores ordered from high to low", kRangeCx, ZRevRange));
  r.Add(Cmd("zrangebyscore", -4, kR, 1, 1, 1, "1.0.5", "Return a range of members in a sorted set, by score", kByCx, ZRangeByScore));
  r.Add(Cmd("zrevrangebyscore", -4, kR, 1, 1, 1, "2.2.0", "Return a range of members in a sorted set, by score, with scores ordered from high to low", kByCx, ZRevRangeByScore));
  r.Add(Cmd("zrangebylex", -4, kR, 1, 1, 1, "2.8.9", "Return a range of members in a sorted set, by lexicographical range", kByCx, ZRangeByLex));
  r.Add(Cmd("zrevrangebylex", -4, kR, 1, 1, 1, "2.8.9", "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.", kByCx, ZRevRangeByLex));
  r.Add(Cmd("zremrangebyrank", 4, kW, 1, 1, 1, "2.0.0", "Remove all members in a sorted set within the given indexes", kRemCx, ZRemRangeByRank));
  r.Add(Cmd("zremrangebyscore", 4, kW, 1, 1, 1, "1.2.0", "Remove all members in a sorted set within the given scores", kRemCx, ZRemRangeByScore));
  r.Add(Cmd("zremrangebylex", 4, kW, 1, 1, 1, "2.8.9", "Remove all members in a sorted set between the given lexicographical range", kRemCx, ZRemRangeByLex));
  r.Add(Cmd("zpopmin", -2, kW | kF, 1, 1, 1, "5.0.0", "Remove and return members with the lowest scores in a sorted set", kPopCx, ZPopMin));
  r.Add(Cmd("zpopmax", -2, kW | kF, 1, 1, 1, "5.0.0", "Remove and return members with the highest scores in a sorted set", kPopCx, ZPopMax));
  r.Add(Cmd("zmpop", -4, kW | kM, 0, 0, 0, "7.0.0", "Remove and return members with scores in a sorted set", "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.", ZMPop));
  r.Add(Cmd("bzpopmin", -3, kW | kCmdNoScript | kB | kF, 1, -2, 1, "5.0.0", "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available", kLogN, BZPopMin));
  r.Add(Cmd("bzpopmax", -3, kW | kCmdNoScript | kB | kF, 1, -2, 1, "5.0.0", "Remove and return the member with the highest score from one or more sorted sets, or block until one is available", kLogN, BZPopMax));
  r.Add(Cmd("bzmpop", -5, kW | kB | kM, 0, 0, 0, "7.0.0", "Remove and return members with scores in a sorted set or block until one is available", "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.", BZMPop));
  r.Add(Cmd("zrandmember", -2, kR, 1, 1, 1, "6.2.0", "Get one or multiple random elements from a sorted set", "O(N) where N is the number of elements returned", ZRandMember));
  r.Add(Cmd("zunion", -3, kR | kM, 0, 0, 0, "6.2.0", "Add multiple sorted sets", "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.", ZUnion));
  r.Add(Cmd("zinter", -3, kR | kM, 0, 0, 0, "6.2.0", "Intersect multiple sorted sets", kInterCx, ZInter));
  r.Add(Cmd("zdiff", -3, kR | kM, 0, 0, 0, "6.2.0", "Subtract multiple sorted sets", kDiffCx, ZDiff));
  r.Add(Cmd("zunionstore", -4, kW | kD | kM, 1, 1, 1, "2.0.0", "Add multiple sorted sets and store the resulting sorted set in a new key", "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.", ZUnionStore));
  r.Add(Cmd("zinterstore", -4, kW | kD | kM, 1, 1, 1, "2.0.0", "Intersect multiple sorted sets and store the resulting sorted set in a new key", kInterCx, ZInterStore));
  r.Add(Cmd("zdiffstore", -4, kW | kD | kM, 1, 1, 1, "6.2.0", "Subtract multiple sorted sets and store the resulting sorted set in a new key", kDiffCx, ZDiffStore));
  r.Add(Cmd("zintercard", -3, kR | kM, 0, 0, 0, "7.0.0", "Intersect multiple sorted sets and return the cardinality of the result", "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.", ZInterCard));
  r.Add(Cmd("zscan", -3, kR, 1, 1, 1, "2.8.0", "Incrementally iterate sorted sets elements and associated scores", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", ZScan));
}

}  // namespace magpie
