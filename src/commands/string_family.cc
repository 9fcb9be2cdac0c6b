// String commands: GET SET and friends, counters, ranges, LCS.
//
// Values live inline in the entry (store/entry.h). Commands that grow a
// string in place (APPEND, SETRANGE) over-allocate like Redis's sds so that
// repeated appends stay amortized O(1).
#include <algorithm>
#include <climits>
#include <cmath>
#include <string>

#include "commands/command.h"
#include "commands/helpers.h"
#include "server/connection.h"
#include "server/server.h"

namespace magpie {

namespace {

// Expiry option of SET and GETEX, already converted to absolute ms.
struct ExpireOpt {
  enum Kind { kNone, kRelative, kAbsolute, kKeepTtl, kPersist } kind = kNone;
  bool ms = false;
  std::string_view value;
  std::string_view option;  // as given; Redis accepts the same option again
};

// Converts an EX/PX/EXAT/PXAT argument to absolute ms, replying Redis's
// error ("invalid expire time in 'set' command") on failure.
std::optional<int64_t> ExpireToAbsolute(CommandContext& c, const ExpireOpt& opt) {
  auto v = ParseInt64(opt.value);
  if (!v) {
    c.reply.Error(err::kNotInt);
    return std::nullopt;
  }
  std::string msg = "ERR invalid expire time in '" + c.spec.name + "' command";
  int64_t when = *v;
  if (when <= 0 || (!opt.ms && when > LLONG_MAX / 1000)) {
    c.reply.Error(msg);
    return std::nullopt;
  }
  if (!opt.ms) when *= 1000;
  if (opt.kind == ExpireOpt::kRelative) {
    if (when > LLONG_MAX - c.now_ms) {
      c.reply.Error(msg);
      return std::nullopt;
    }
    when += c.now_ms;
  }
  return when;
}

bool MatchOpt(std::string_view a, const char* name) { return EqualsIgnoreCase(a, name); }

// Consumes an expiry option at args[*i] (EX/PX/EXAT/PXAT <n>, plus KEEPTTL
// or PERSIST when `extra` names it) into *exp. Options exclude each other,
// but the same option may repeat (the last wins), as in Redis. Returns false
// if args[*i] is not an acceptable option.
bool ParseExpireArg(CommandContext& c, size_t* i, ExpireOpt* exp, const char* extra) {
  std::string_view a = c.arg(*i);
  if (exp->kind != ExpireOpt::kNone && !EqualsIgnoreCase(a, exp->option)) return false;
  if (MatchOpt(a, extra)) {
    *exp = {MatchOpt(a, "keepttl") ? ExpireOpt::kKeepTtl : ExpireOpt::kPersist, false, {}, a};
    return true;
  }
  bool rel = MatchOpt(a, "ex") || MatchOpt(a, "px");
  bool abs = MatchOpt(a, "exat") || MatchOpt(a, "pxat");
  if ((!rel && !abs) || *i + 1 >= c.argc()) return false;
  *exp = {rel ? ExpireOpt::kRelative : ExpireOpt::kAbsolute,
          MatchOpt(a, "px") || MatchOpt(a, "pxat"), c.arg(*i + 1), a};
  ++*i;
  return true;
}

// The absolute expire time of a parsed option, -1 when it sets none, or
// nullopt after replying with the error.
std::optional<int64_t> ExpireWhen(CommandContext& c, const ExpireOpt& exp) {
  if (exp.kind != ExpireOpt::kRelative && exp.kind != ExpireOpt::kAbsolute) return -1;
  return ExpireToAbsolute(c, exp);
}

Entry* NewValue(std::string_view key, std::string_view value, int64_t expire_ms) {
  return Entry::NewString(key, value, expire_ms);
}

void Get(CommandContext& c) {
  KeyLock k(c.db(), c.arg(1));
  Entry* e = LookupRead(k.shard, k.ref, c.now_ms);
  if (e == nullptr) return c.reply.Null();
  if (e->type() != ObjType::kString) return c.reply.Error(err::kWrongType);
  c.reply.Bulk(e->str());
}

// SET key value [NX|XX] [GET] [EX s|PX ms|EXAT t|PXAT t|KEEPTTL]
// SET and its variants: "set", then "expire" when they gave a TTL.
void NotifySet(CommandContext& c, std::string_view key, bool with_ttl) {
  Notify(c, kNotifyString, "set", key);
  if (with_ttl) Notify(c, kNotifyGeneric, "expire", key);
}

void Set(CommandContext& c) {
  bool nx = false, xx = false, get = false;
  ExpireOpt exp;
  for (size_t i = 3; i < c.argc(); ++i) {
    std::string_view a = c.arg(i);
    if (MatchOpt(a, "nx") && !xx) {
      nx = true;
    } else if (MatchOpt(a, "xx") && !nx) {
      xx = true;
    } else if (MatchOpt(a, "get")) {
      get = true;
    } else if (!ParseExpireArg(c, &i, &exp, "keepttl")) {
      return c.reply.Error(err::kSyntax);
    }
  }
  auto expire = ExpireWhen(c, exp);
  if (!expire) return;
  int64_t when = *expire;
  KeyLock k(c.db(), c.arg(1));
  Entry* old = get ? LookupRead(k.shard, k.ref, c.now_ms) : LookupWrite(k.shard, k.ref, c.now_ms);
  if (get && old != nullptr && old->type() != ObjType::kString) return c.reply.Error(err::kWrongType);
  if ((nx && old != nullptr) || (xx && old == nullptr)) {
    if (!get) return c.reply.Null();
    return old ? c.reply.Bulk(old->str()) : c.reply.Null();
  }
  if (get) {
    old ? c.reply.Bulk(old->str()) : c.reply.Null();
  }
  if (exp.kind == ExpireOpt::kKeepTtl && old != nullptr && old->has_expire()) {
    when = old->expire_ms();
  }
  Entry* e = NewValue(c.arg(1), c.arg(2), when);
  if (old != nullptr) {
    k.shard.Replace(old, e, k.ref);
  } else {
    k.shard.Insert(k.ref, e);
  }
  NotifySet(c, c.arg(1), when >= 0 && exp.kind != ExpireOpt::kKeepTtl);
  if (!get) c.reply.Ok();
}

void SetNx(CommandContext& c) {
  KeyLock k(c.db(), c.arg(1));
  if (LookupWrite(k.shard, k.ref, c.now_ms) != nullptr) return c.reply.Int(0);
  k.shard.Insert(k.ref, NewValue(c.arg(1), c.arg(2), -1));
  NotifySet(c, c.arg(1), false);
  c.reply.Int(1);
}

// SETEX key seconds value / PSETEX key ms value
void SetExGeneric(CommandContext& c, bool ms) {
  ExpireOpt opt{ExpireOpt::kRelative, ms, c.arg(2), {}};
  auto when = ExpireToAbsolute(c, opt);
  if (!when) return;
  KeyLock k(c.db(), c.arg(1));
  k.shard.Upsert(k.ref, NewValue(c.arg(1), c.arg(3), *when), c.now_ms);
  NotifySet(c, c.arg(1), true);
  c.reply.Ok();
}
void SetEx(CommandContext& c) { SetExGeneric(c, false); }
void PSetEx(CommandContext& c) { SetExGeneric(c, true); }

// GETEX key [EX s|PX ms|EXAT t|PXAT t|PERSIST]
void GetEx(CommandContext& c) {
  ExpireOpt exp;
  for (size_t i = 2; i < c.argc(); ++i) {
    if (!ParseExpireArg(c, &i, &exp, "persist")) return c.reply.Error(err::kSyntax);
  }
  KeyLock k(c.db(), c.arg(1));
  Entry* e = LookupRead(k.shard, k.ref, c.now_ms);
  if (e == nullptr) return c.reply.Null();
  if (e->type() != ObjType::kString) return c.reply.Error(err::kWrongType);
  // Redis validates the time only once it knows the key is a string.
  auto expire = ExpireWhen(c, exp);
  if (!expire) return;
  int64_t when = *expire;
  c.reply.Bulk(e->str());
  if (exp.kind == ExpireOpt::kAbsolute && when <= c.now_ms) {
    k.shard.Erase(k.ref);  // already in the past: delete, as Redis does
    Notify(c, kNotifyGeneric, "del", c.arg(1));
  } else if (when >= 0) {
    k.shard.SetExpire(e, k.ref, when);
    Notify(c, kNotifyGeneric, "expire", c.arg(1));
  } else if (exp.kind == ExpireOpt::kPersist && e->has_expire()) {
    k.shard.SetExpire(e, k.ref, -1);
    Notify(c, kNotifyGeneric, "persist", c.arg(1));
  }
}

void GetDel(CommandContext& c) {
  KeyLock k(c.db(), c.arg(1));
  Entry* e = LookupRead(k.shard, k.ref, c.now_ms);
  if (e == nullptr) return c.reply.Null();
  if (e->type() != ObjType::kString) return c.reply.Error(err::kWrongType);
  c.reply.Bulk(e->str());
  k.shard.Erase(k.ref);
  Notify(c, kNotifyGeneric, "del", c.arg(1));
}

void GetSet(CommandContext& c) {
  KeyLock k(c.db(), c.arg(1));
  Entry* old = LookupRead(k.shard, k.ref, c.now_ms);
  if (old != nullptr && old->type() != ObjType::kString) return c.reply.Error(err::kWrongType);
  old ? c.reply.Bulk(old->str()) : c.reply.Null();
  Entry* e = NewValue(c.arg(1), c.arg(2), -1);
  old ? k.shard.Replace(old, e, k.ref) : k.shard.Insert(k.ref, e);
  NotifySet(c, c.arg(1), false);
}

void MGet(CommandContext& c) {
  c.reply.ArrayHeader(c.argc() - 1);
  // All the keys' shards are locked so the reply is one consistent snapshot.
  KeysLock locks;
  locks.LockArgs(c.db(), c.args, 1);
  for (size_t i = 0; i < locks.size(); ++i) {
    Entry* e = LookupRead(locks.shard(i), locks.ref(i), c.now_ms);
    if (e == nullptr || e->type() != ObjType::kString) {
      c.reply.Null();
    } else {
      c.reply.Bulk(e->str());
    }
  }
}

void MSetGeneric(CommandContext& c, bool nx) {
  if (c.argc() % 2 == 0) return c.reply.Error(WrongArityError(c.spec));
  KeysLock locks;
  locks.LockArgs(c.db(), c.args, 1, 2);
  if (nx) {
    for (size_t i = 0; i < locks.size(); ++i) {
      if (LookupWrite(locks.shard(i), locks.ref(i), c.now_ms) != nullptr) return c.reply.Int(0);
    }
  }
  for (size_t i = 0; i < locks.size(); ++i) {
    locks.shard(i).Upsert(locks.ref(i), NewValue(c.arg(1 + 2 * i), c.arg(2 + 2 * i), -1), c.now_ms);
    NotifySet(c, c.arg(1 + 2 * i), false);
  }
  nx ? c.reply.Int(1) : c.reply.Ok();
}
void MSet(CommandContext& c) { MSetGeneric(c, false); }
void MSetNx(CommandContext& c) { MSetGeneric(c, true); }

// Room to leave after a grown string, as sds does: double below 1 MB.
size_t GrowthCapacity(size_t len) { return len < 1024 * 1024 ? len * 2 : len + 1024 * 1024; }

// Makes `e` hold a string of `new_len` bytes, keeping its first bytes, and
// returns the (possibly moved) entry; encoding becomes raw.
Entry* ResizeString(Shard& shard, const KeyRef& ref, Entry* e, size_t new_len) {
  if (new_len > e->str_capacity()) {
    Entry* grown = e->WithValue(e->str(), GrowthCapacity(new_len));
    shard.Replace(e, grown, ref);
    e = grown;
  }
  e->set_str_len(new_len);
  e->set_encoding(Encoding::kRaw);
  shard.Modified(e);
  return e;
}

bool CheckStringLength(CommandContext& c, uint64_t total) {
  if (total > static_cast<uint64_t>(c.server.config().proto_max_bulk_len.load())) {
    c.reply.Error(err::kStringTooBig);
    return false;
  }
  return true;
}

void Append(CommandContext& c) {
  KeyLock k(c.db(), c.arg(1));
  Entry* e = LookupWrite(k.shard, k.ref, c.now_ms);
  std::string_view add = c.arg(2);
  if (e == nullptr) {
    k.shard.Insert(k.ref, NewValue(c.arg(1), add, -1));
    Notify(c, kNotifyString, "append", c.arg(1));
    return c.reply.Int(static_cast<int64_t>(add.size()));
  }
  if (e->type() != ObjType::kString) return c.reply.Error(err::kWrongType);
  size_t old_len = e->str().size();
  if (!CheckStringLength(c, old_len + add.size())) return;
  e = ResizeString(k.shard, k.ref, e, old_len + add.size());
  memcpy(e->mutable_str() + old_len, add.data(), add.size());
  Notify(c, kNotifyString, "append", c.arg(1));
  c.reply.Int(static_cast<int64_t>(e->str().size()));
}

void StrLen(CommandContext& c) {
  KeyLock k(c.db(), c.arg(1));
  Entry* e = LookupRead(k.shard, k.ref, c.now_ms);
  if (e == nullptr) return c.reply.Int(0);
  if (e->type() != ObjType::kString) return c.reply.Error(err::kWrongType);
  c.reply.Int(static_cast<int64_t>(e->str().size()));
}

void IncrByGeneric(CommandContext& c, int64_t delta) {
  KeyLock k(c.db(), c.arg(1));
  Entry* e = LookupWrite(k.shard, k.ref, c.now_ms);
  int64_t value = 0;
  if (e != nullptr) {
    if (e->type() != ObjType::kString) return c.reply.Error(err::kWrongType);
    auto v = ParseInt64(e->str());
    if (!v) return c.reply.Error(err::kNotInt);
    value = *v;
  }
  if ((delta < 0 && value < 0 && delta < LLONG_MIN - value) ||
      (delta > 0 && value > 0 && delta > LLONG_MAX - value)) {
    return c.reply.Error(err::kOverflow);
  }
  value += delta;
  char buf[24];
  size_t len = FormatInt64(value, buf);
  std::string_view s(buf, len);
  if (e != nullptr && len <= e->str_capacity()) {
    memcpy(e->mutable_str(), buf, len);  // in place: no allocation on the hot path
    e->set_str_len(len);
    e->set_encoding(Encoding::kInt);
    k.shard.Modified(e);
  } else if (e != nullptr) {
    Entry* n = e->WithValue(s);
    n->set_encoding(Encoding::kInt);
    k.shard.Replace(e, n, k.ref);
  } else {
    k.shard.Insert(k.ref, NewValue(c.arg(1), s, -1));
  }
  Notify(c, kNotifyString, "incrby", c.arg(1));
  c.reply.Int(value);
}

void Incr(CommandContext& c) { IncrByGeneric(c, 1); }
void Decr(CommandContext& c) { IncrByGeneric(c, -1); }
void IncrBy(CommandContext& c) {
  auto d = IntArg(c, c.arg(2));
  if (d) IncrByGeneric(c, *d);
}
void DecrBy(CommandContext& c) {
  auto d = IntArg(c, c.arg(2));
  if (!d) return;
  if (*d == LLONG_MIN) return c.reply.Error("ERR decrement would overflow");
  IncrByGeneric(c, -*d);
}

void IncrByFloat(CommandContext& c) {
  auto incr = ParseLongDouble(c.arg(2));
  if (!incr) return c.reply.Error(err::kNotFloat);
  KeyLock k(c.db(), c.arg(1));
  Entry* e = LookupWrite(k.shard, k.ref, c.now_ms);
  long double value = 0;
  if (e != nullptr) {
    if (e->type() != ObjType::kString) return c.reply.Error(err::kWrongType);
    auto v = ParseLongDouble(e->str());
    if (!v) return c.reply.Error(err::kNotFloat);
    value = *v;
  }
  value += *incr;
  if (std::isnan(value) || std::isinf(value)) {
    return c.reply.Error("ERR increment would produce NaN or Infinity");
  }
  std::string s = FormatLongDouble(value);
  Entry* n = e ? e->WithValue(s) : NewValue(c.arg(1), s, -1);
  n->set_encoding(StringEncodingFor(s) == Encoding::kRaw ? Encoding::kRaw : Encoding::kEmbStr);
  e ? k.shard.Replace(e, n, k.ref) : k.shard.Insert(k.ref, n);
  Notify(c, kNotifyString, "incrbyfloat", c.arg(1));
  c.reply.Bulk(s);
}

void GetRange(CommandContext& c) {
  auto start = IntArg(c, c.arg(2));
  if (!start) return;
  auto end = IntArg(c, c.arg(3));
  if (!end) return;
  KeyLock k(c.db(), c.arg(1));
  Entry* e = LookupRead(k.shard, k.ref, c.now_ms);
  if (e == nullptr) return c.reply.Bulk("");
  if (e->type() != ObjType::kString) return c.reply.Error(err::kWrongType);
  std::string_view s = e->str();
  int64_t len = static_cast<int64_t>(s.size());
  int64_t a = *start, b = *end;
  if (a < 0 && b < 0 && a > b) return c.reply.Bulk("");
  if (a < 0) a = len + a;
  if (b < 0) b = len + b;
  if (a < 0) a = 0;
  if (b < 0) b = 0;
  if (b >= len) b = len - 1;
  if (a > b || len == 0) return c.reply.Bulk("");
  c.reply.Bulk(s.substr(static_cast<size_t>(a), static_cast<size_t>(b - a + 1)));
}

void SetRange(CommandContext& c) {
  auto offset = IntArg(c, c.arg(2));
  if (!offset) return;
  if (*offset < 0) return c.reply.Error("ERR offset is out of range");
  std::string_view value = c.arg(3);
  KeyLock k(c.db(), c.arg(1));
  Entry* e = LookupWrite(k.shard, k.ref, c.now_ms);
  if (e != nullptr && e->type() != ObjType::kString) return c.reply.Error(err::kWrongType);
  size_t cur = e ? e->str().size() : 0;
  if (value.empty()) return c.reply.Int(static_cast<int64_t>(cur));
  if (!CheckStringLength(c, static_cast<uint64_t>(*offset) + value.size())) return;
  size_t end = static_cast<size_t>(*offset) + value.size();
  size_t new_len = std::max(cur, end);
  if (e == nullptr) {
    e = Entry::NewString(c.arg(1), "", -1, new_len);
    k.shard.Insert(k.ref, e);
  }
  e = ResizeString(k.shard, k.ref, e, new_len);
  if (static_cast<size_t>(*offset) > cur) memset(e->mutable_str() + cur, 0, static_cast<size_t>(*offset) - cur);
  memcpy(e->mutable_str() + *offset, value.data(), value.size());
  Notify(c, kNotifyString, "setrange", c.arg(1));
  c.reply.Int(static_cast<int64_t>(new_len));
}

// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]
void Lcs(CommandContext& c) {
  bool want_len = false, want_idx = false, with_match_len = false;
  int64_t min_match_len = 0;
  for (size_t i = 3; i < c.argc(); ++i) {
    std::string_view a = c.arg(i);
    if (MatchOpt(a, "idx")) {
      want_idx = true;
    } else if (MatchOpt(a, "len")) {
      want_len = true;
    } else if (MatchOpt(a, "withmatchlen")) {
      with_match_len = true;
    } else if (MatchOpt(a, "minmatchlen") && i + 1 < c.argc()) {
      auto v = IntArg(c, c.arg(++i));
      if (!v) return;
      min_match_len = *v < 0 ? 0 : *v;
    } else {
      return c.reply.Error(err::kSyntax);
    }
  }
  std::string a, b;
  {
    Db& db = c.db();
    KeysLock locks;
    locks.Add(db, c.arg(1));
    locks.Add(db, c.arg(2));
    locks.Lock();
    Entry* ea = LookupRead(locks.shard(0), locks.ref(0), c.now_ms);
    Entry* eb = LookupRead(locks.shard(1), locks.ref(1), c.now_ms);
    if ((ea && ea->type() != ObjType::kString) || (eb && eb->type() != ObjType::kString)) {
      return c.reply.Error("ERR The specified keys must contain string values");
    }
    if (ea) a = ea->str();
    if (eb) b = eb->str();
  }
  if (want_idx && want_len) {
    return c.reply.Error("ERR If you want both the length and indexes, please just use IDX.");
  }
  uint64_t cells = (static_cast<uint64_t>(a.size()) + 1) * (b.size() + 1);
  if (cells >= SIZE_MAX / sizeof(uint32_t) ||
      cells * sizeof(uint32_t) > static_cast<uint64_t>(c.server.config().proto_max_bulk_len.load())) {
    return c.reply.Error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
  }
  size_t alen = a.size(), blen = b.size();
  std::vector<uint32_t> dp(static_cast<size_t>(cells), 0);
  auto at = [&](size_t i, size_t j) -> uint32_t& { return dp[j + i * (blen + 1)]; };
  for (size_t i = 1; i <= alen; ++i) {
    for (size_t j = 1; j <= blen; ++j) {
      at(i, j) = a[i - 1] == b[j - 1] ? at(i - 1, j - 1) + 1 : std::max(at(i - 1, j), at(i, j - 1));
    }
  }
  uint32_t idx = at(alen, blen);
  std::string result(idx, '\0');
  struct Match {
    size_t a_start, a_end, b_start, b_end;
  };
  std::vector<Match> matches;
  size_t i = alen, j = blen;
  size_t arange_start = alen, arange_end = 0, brange_start = 0, brange_end = 0;
  bool computelcs = !want_len || want_idx;
  while (computelcs && i > 0 && j > 0) {
    bool emit_range = false;
    if (a[i - 1] == b[j - 1]) {
      result[idx - 1] = a[i - 1];
      if (arange_start == alen) {
        arange_start = i - 1;
        arange_end = i - 1;
        brange_start = j - 1;
        brange_end = j - 1;
      } else if (arange_start == i && brange_start == j) {
        arange_start--;
        brange_start--;
      } else {
        emit_range = true;
      }
      if (arange_start == 0 || brange_start == 0) emit_range = true;
      idx--;
      i--;
      j--;
    } else {
      uint32_t lcs1 = at(i - 1, j), lcs2 = at(i, j - 1);
      if (lcs1 > lcs2) {
        i--;
      } else {
        j--;
      }
      if (arange_start != alen) emit_range = true;
    }
    if (emit_range) {
      size_t match_len = arange_end - arange_start + 1;
      if (min_match_len == 0 || match_len >= static_cast<size_t>(min_match_len)) {
        matches.push_back({arange_start, arange_end, brange_start, brange_end});
      }
      arange_start = alen;
    }
  }
  if (!want_idx) {
    if (want_len) return c.reply.Int(at(alen, blen));
    return c.reply.Bulk(result);
  }
  c.reply.MapHeader(2);
  c.reply.Bulk("matches");
  c.reply.ArrayHeader(matches.size());
  for (const Match& m : matches) {
    c.reply.ArrayHeader(with_match_len ? 3 : 2);
    c.reply.ArrayHeader(2);
    c.reply.Int(static_cast<int64_t>(m.a_start));
    c.reply.Int(static_cast<int64_t>(m.a_end));
    c.reply.ArrayHeader(2);
    c.reply.Int(static_cast<int64_t>(m.b_start));
    c.reply.Int(static_cast<int64_t>(m.b_end));
    if (with_match_len) c.reply.Int(static_cast<int64_t>(m.a_end - m.a_start + 1));
  }
  c.reply.Bulk("len");
  c.reply.Int(at(alen, blen));
}

CommandSpec Cmd(const char* name, int arity, uint32_t flags, int first, int last, int step,
                const char* cats, const char* since, const char* summary, const char* complexity,
                CommandHandler h) {
  return MakeCommand(name, arity, flags, {first, last, step}, cats, "string", since, summary, h,
                     complexity);
}

}  // namespace

void RegisterStringFamily(CommandRegistry& r) {
  constexpr uint32_t kW = kCmdWrite | kCmdDenyOom;
  constexpr uint32_t kR = kCmdReadOnly;
  constexpr uint32_t kF = kCmdFast;
  r.Add(Cmd("get", 2, kR | kF, 1, 1, 1, "@string", "1.0.0", "Returns the string value of a key.", "O(1)", Get));
  r.Add(Cmd("set", -3, kW, 1, 1, 1, "@string", "1.0.0", "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.", "O(1)", Set));
  r.Add(Cmd("setnx", 3, kW | kF, 1, 1, 1, "@string", "1.0.0", "Set the string value of a key only when the key doesn't exist.", "O(1)", SetNx));
  r.Add(Cmd("setex", 4, kW, 1, 1, 1, "@string", "2.0.0", "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.", "O(1)", SetEx));
  r.Add(Cmd("psetex", 4, kW, 1, 1, 1, "@string", "2.6.0", "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist.", "O(1)", PSetEx));
  r.Add(Cmd("getex", -2, kCmdWrite | kF, 1, 1, 1, "@string", "6.2.0", "Returns the string value of a key after setting its expiration time.", "O(1)", GetEx));
  r.Add(Cmd("getdel", 2, kCmdWrite | kF, 1, 1, 1, "@string", "6.2.0", "Returns the string value of a key after deleting the key.", "O(1)", GetDel));
  r.Add(Cmd("getset", 3, kW | kF, 1, 1, 1, "@string", "1.0.0", "Returns the previous string value of a key after setting it to a new value.", "O(1)", GetSet));
  r.Add(Cmd("mget", -2, kR | kF, 1, -1, 1, "@string", "1.0.0", "Atomically returns the string values of one or more keys.", "O(N) where N is the number of keys to retrieve.", MGet));
  r.Add(Cmd("mset", -3, kW, 1, -1, 2, "@string", "1.0.1", "Atomically creates or modifies the string values of one or more keys.", "O(N) where N is the number of keys to set.", MSet));
  r.Add(Cmd("msetnx", -3, kW, 1, -1, 2, "@string", "1.0.1", "Atomically modifies the string values of one or more keys only when all keys don't exist.", "O(N) where N is the number of keys to set.", MSetNx));
  r.Add(Cmd("append", 3, kW | kF, 1, 1, 1, "@string", "2.0.0", "Appends a string to the value of a key. Creates the key if it doesn't exist.", "O(1)", Append));
  r.Add(Cmd("strlen", 2, kR | kF, 1, 1, 1, "@string", "2.2.0", "Returns the length of a string value.", "O(1)", StrLen));
  r.Add(Cmd("incr", 2, kW | kF, 1, 1, 1, "@string", "1.0.0", "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", "O(1)", Incr));
  r.Add(Cmd("decr", 2, kW | kF, 1, 1, 1, "@string", "1.0.0", "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", "O(1)", Decr));
  r.Add(Cmd("incrby", 3, kW | kF, 1, 1, 1, "@string", "1.0.0", "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.", "O(1)", IncrBy));
  r.Add(Cmd("decrby", 3, kW | kF, 1, 1, 1, "@string", "1.0.0", "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.", "O(1)", DecrBy));
  r.Add(Cmd("incrbyfloat", 3, kW | kF, 1, 1, 1, "@string", "2.6.0", "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.", "O(1)", IncrByFloat));
  r.Add(Cmd("getrange", 4, kR, 1, 1, 1, "@string", "2.4.0", "Returns a substring of the string stored at a key.", "O(N) where N is the length of the returned string.", GetRange));
  r.Add(Cmd("substr", 4, kR, 1, 1, 1, "@string", "1.0.0", "Returns a substring from a string value.", "O(N) where N is the length of the returned string.", GetRange));
  r.Add(Cmd("setrange", 4, kW, 1, 1, 1, "@string", "2.2.0", "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.", "O(1), not counting the time taken to copy the new string in place.", SetRange));
  r.Add(Cmd("lcs", -3, kR, 1, 2, 1, "@string", "7.0.0", "Finds the longest common substring.", "O(N*M) where N and M are the lengths of s1 and s2, respectively", Lcs));
}

}  // namespace magpie
