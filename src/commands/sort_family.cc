// SORT and SORT_RO: sort the elements of a list, set or sorted set, by
// themselves or by keys their values name (BY pattern), and reply them, the
// values GET patterns name for them, or store either as a list (STORE).
//
// This follows Redis 7.0's sort.c step by step, because its quirks are
// observable: options are parsed before the key is looked up (so a syntax
// error wins over WRONGTYPE); a BY pattern without '*' turns sorting off
// for good, even if a later BY has one; LIMIT is clamped as Redis does; a
// set is force-sorted (ALPHA) when stored unsorted; a sorted set source is
// converted to the skiplist encoding; numeric ties are broken by comparing
// the elements' bytes; ALPHA compares C strings (strcmp, Redis's strcoll in
// the C/C.UTF-8 locale), or bytes when storing; a missing ALPHA BY value
// sorts first. Elements that compare equal (ALPHA BY ties) keep their
// source order, as Redis's stable qsort leaves them (see SortItems).
//
// Locking: the shards of the source and destination keys; every shard of
// the database instead when a BY or GET pattern can name other keys. The
// elements are copied out of the source before any pattern is looked up,
// and views into looked-up values are used before anything is written, so
// nothing read can move or be freed under the command.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands/command.h"
#include "commands/helpers.h"
#include "server/blocking.h"
#include "server/connection.h"
#include "server/server.h"
#include "types/hash.h"
#include "types/list.h"
#include "types/set.h"
#include "types/zset.h"

namespace magpie {

namespace {

// What Redis's C-string functions see of an argument: up to its first NUL.
std::string_view CView(std::string_view s) { return s.substr(0, s.find('\0')); }

bool IsWord(std::string_view arg, std::string_view word) {
  return EqualsIgnoreCase(CView(arg), word);
}

// A BY or GET pattern, split as Redis's lookupKeyByPattern does.
struct Pattern {
  std::string_view text;
  bool self = false;                      // "#": the element itself
  size_t star = std::string_view::npos;   // first '*'; npos: names no key
  size_t arrow = std::string_view::npos;  // "->" after the star, followed by a field
  bool names_keys() const { return !self && star != std::string_view::npos; }
};

Pattern ParsePattern(std::string_view p) {
  Pattern r;
  r.text = p;
  r.self = !p.empty() && p[0] == '#' && (p.size() == 1 || p[1] == '\0');
  std::string_view c = CView(p);
  r.star = c.find('*');
  if (r.star != std::string_view::npos) {
    size_t f = c.find("->", r.star + 1);
    if (f != std::string_view::npos && f + 2 < c.size()) r.arrow = f;
  }
  return r;
}

struct SortArgs {
  bool desc = false, alpha = false, dontsort = false;
  int64_t offset = 0, count = -1;
  std::optional<Pattern> by;
  std::vector<Pattern> gets;
  std::optional<std::string_view> store;
  // Whether some pattern will be looked up (so other keys are read).
  bool ReadsKeys() const {
    if (by && !dontsort) return true;
    return std::any_of(gets.begin(), gets.end(), [](const Pattern& p) { return p.names_keys(); });
  }
};

// Parses the options after the key; replies the error and returns false on
// a bad one (the first error wins, as in Redis).
bool ParseSortArgs(CommandContext& c, bool readonly, SortArgs* a) {
  for (size_t j = 2; j < c.argc(); ++j) {
    std::string_view w = c.arg(j);
    size_t left = c.argc() - j - 1;
    if (IsWord(w, "asc")) {
      a->desc = false;
    } else if (IsWord(w, "desc")) {
      a->desc = true;
    } else if (IsWord(w, "alpha")) {
      a->alpha = true;
    } else if (IsWord(w, "limit") && left >= 2) {
      auto offset = IntArg(c, c.arg(j + 1));
      if (!offset) return false;
      auto count = IntArg(c, c.arg(j + 2));
      if (!count) return false;
      a->offset = *offset;
      a->count = *count;
      j += 2;
    } else if (!readonly && IsWord(w, "store") && left >= 1) {
      a->store = c.arg(++j);
    } else if (IsWord(w, "by") && left >= 1) {
      a->by = ParsePattern(c.arg(++j));
      if (a->by->star == std::string_view::npos) a->dontsort = true;
    } else if (IsWord(w, "get") && left >= 1) {
      a->gets.push_back(ParsePattern(c.arg(++j)));
    } else {
      c.reply.Error(err::kSyntax);
      return false;
    }
  }
  return true;
}

// Locks the shards SORT touches (see the file comment).
class SortLock {
 public:
  SortLock(Db& db, const SortArgs& a, std::string_view key) {
    if (a.ReadsKeys()) {
      for (uint32_t s = 0; s < kNumShards; ++s) set_.Add(&db.shard(s));
    } else {
      set_.Add(&db.shard_for(KeyRef::Of(key)));
      if (a.store) set_.Add(&db.shard_for(KeyRef::Of(*a.store)));
    }
    set_.Lock();
  }

 private:
  ShardSet set_;
};

// The value a pattern names for `elem`: the element itself ("#"), a string
// key's value or a hash field; nullopt when the pattern has no '*' or the
// key is missing or of another type. A key lookup counts as a keyspace hit
// or miss, as Redis's lookupKeyRead. The view lives until the next write.
std::optional<std::string_view> Resolve(CommandContext& c, const Pattern& p,
                                        std::string_view elem) {
  if (p.self) return elem;
  if (p.star == std::string_view::npos) return std::nullopt;
  bool hash = p.arrow != std::string_view::npos;
  std::string key(p.text.substr(0, p.star));
  key += elem;
  key += p.text.substr(p.star + 1, hash ? p.arrow - p.star - 1 : std::string_view::npos);
  KeyRef ref = KeyRef::Of(key);
  Entry* e = LookupRead(c.db().shard_for(ref), ref, c.now_ms);
  if (e == nullptr) return std::nullopt;
  if (!hash) return e->type() == ObjType::kString ? std::optional(e->str()) : std::nullopt;
  if (e->type() != ObjType::kHash) return std::nullopt;
  const auto* h = ValueOf<HashValue>(e);
  std::string_view field = p.text.substr(p.arrow + 2), v;
  if (!h->Get(field, &v)) return std::nullopt;
  // A field whose TTL has passed is dead, as the hash commands see it.
  if (h->NextExpire() < c.now_ms && !ExpiryFrozen()) {
    int64_t t = h->FieldExpire(field);
    if (t >= 0 && t < c.now_ms) return std::nullopt;
  }
  return v;
}

struct Item {
  explicit Item(std::string_view e) : elem(e) {}
  std::string elem;
  double score = 0;                // numeric sort key
  std::optional<std::string> key;  // ALPHA BY sort key (nullopt: missing)
};

// [start, end] of the vector to output, with Redis's LIMIT clamping.
struct Range {
  int64_t start, end;
  size_t size() const { return end < start ? 0 : static_cast<size_t>(end - start + 1); }
};

Range ClampLimit(const SortArgs& a, int64_t len) {
  int64_t start = a.offset < 0 ? 0 : a.offset;
  if (start >= len) return {len - 1, len - 2};
  // start < len here, so start + count - 1 cannot overflow when count < len.
  int64_t end = a.count < 0 || a.count >= len ? len - 1 : start + a.count - 1;
  return {start, std::min(end, len - 1)};
}

int64_t SourceSize(Entry* e) {
  if (e == nullptr) return 0;
  switch (e->type()) {
    case ObjType::kList:
      return static_cast<int64_t>(ValueOf<ListValue>(e)->size());
    case ObjType::kSet:
      return static_cast<int64_t>(ValueOf<SetValue>(e)->size());
    default:
      return static_cast<int64_t>(ValueOf<ZSetValue>(e)->size());
  }
}

// Copies every element of the source, in its own order.
void LoadAll(Entry* e, std::vector<Item>* out) {
  auto add = [&](std::string_view m) { out->emplace_back(m); };
  if (e == nullptr) return;
  if (e->type() == ObjType::kList) {
    const auto* l = ValueOf<ListValue>(e);
    l->ForRange(0, l->size(), add);
  } else if (e->type() == ObjType::kSet) {
    ValueOf<SetValue>(e)->ForEach(add);
  } else {
    const auto* z = ValueOf<ZSetValue>(e);
    z->ForRange(0, z->size(), false, [&](std::string_view m, double) { add(m); });
  }
}

// Copies the elements [r.start, r.end] of a list or sorted set in its own
// order, counted from the tail when `desc` (unsorted SORT).
void LoadRange(Entry* e, Range r, bool desc, std::vector<Item>* out) {
  size_t n = r.size();
  if (n == 0) return;
  auto add = [&](std::string_view m) { out->emplace_back(m); };
  int64_t len = SourceSize(e);
  size_t first = static_cast<size_t>(desc ? len - 1 - r.start : r.start);
  if (e->type() == ObjType::kZSet) {
    ValueOf<ZSetValue>(e)->ForRange(first, n, desc, [&](std::string_view m, double) { add(m); });
    return;
  }
  const auto* l = ValueOf<ListValue>(e);
  if (!desc) return l->ForRange(first, n, add);
  ListValue::Pos p = l->Seek(first);
  for (size_t i = 0; i < n; ++i) {
    add(l->Get(p));
    l->Prev(&p);
  }
}

// strtod as Redis's SORT applies it: the whole C string must convert, with
// no overflow, underflow or NaN.
bool ParseScore(std::string_view v, double* out) {
  std::string s(v);
  char* end;
  errno = 0;
  *out = strtod(s.c_str(), &end);
  return *end == '\0' && errno != ERANGE && !std::isnan(*out);
}

// Computes each item's sort key; false if a numeric key does not parse
// (every BY lookup is still made, as Redis makes them).
bool LoadSortKeys(CommandContext& c, const SortArgs& a, bool by, std::vector<Item>* items) {
  bool ok = true;
  for (Item& it : *items) {
    std::optional<std::string_view> v =
        by ? Resolve(c, *a.by, it.elem) : std::optional(std::string_view(it.elem));
    if (!v) continue;
    if (a.alpha) {
      if (by) it.key.emplace(*v);
    } else if (!ParseScore(*v, &it.score)) {
      ok = false;
    }
  }
  return ok;
}

// Redis's string comparisons: bytes (STORE) or C strings (strcoll in the C
// locale is strcmp). Returns -1, 0 or 1.
int CompareStrings(std::string_view x, std::string_view y, bool binary) {
  int r = binary ? x.compare(y) : CView(x).compare(CView(y));
  return (r > 0) - (r < 0);
}

// Redis's sortCompare, before DESC is applied.
int CompareItems(const Item& x, const Item& y, bool alpha, bool by, bool binary) {
  if (!alpha) {
    if (x.score != y.score) return x.score > y.score ? 1 : -1;
    return CompareStrings(x.elem, y.elem, true);
  }
  if (!by) return CompareStrings(x.elem, y.elem, binary);
  if (!x.key || !y.key) return x.key ? 1 : (y.key ? -1 : 0);
  return CompareStrings(*x.key, *y.key, binary);
}

// Sorts all the elements with a stable sort. Redis calls glibc's qsort (a
// stable merge sort) here, so without a LIMIT equal elements (ALPHA BY ties)
// come out in Redis's order; with BY and a LIMIT Redis switches to its own
// partial quicksort, whose placement of ties is an artefact of that
// algorithm and not documented: Magpie keeps them in source order there too.
void SortItems(std::vector<Item>* items, const SortArgs& a, bool by) {
  bool binary = a.store.has_value();
  std::stable_sort(items->begin(), items->end(), [&](const Item& x, const Item& y) {
    int c = CompareItems(x, y, a.alpha, by, binary);
    return (a.desc ? -c : c) < 0;
  });
}

// Replies the output rows [r.start, r.end]: each element, or its GET values.
void ReplyRows(CommandContext& c, const SortArgs& a, const std::vector<Item>& items, Range r) {
  size_t per = a.gets.empty() ? 1 : a.gets.size();
  c.reply.ArrayHeader(r.size() * per);
  for (size_t j = 0; j < r.size(); ++j) {
    const std::string& elem = items[static_cast<size_t>(r.start) + j].elem;
    if (a.gets.empty()) c.reply.Bulk(elem);
    for (const Pattern& p : a.gets) {
      auto v = Resolve(c, p, elem);
      v ? c.reply.Bulk(*v) : c.reply.Null();
    }
  }
}

// STORE: replaces the destination with a list of the output rows (a missing
// GET value stores ""), or deletes it when there are none.
void StoreRows(CommandContext& c, const SortArgs& a, const std::vector<Item>& items, Range r) {
  int64_t fill = c.server.config().list_max_listpack_size.load(std::memory_order_relaxed);
  auto l = std::make_unique<ListValue>();
  for (size_t j = 0; j < r.size(); ++j) {
    const std::string& elem = items[static_cast<size_t>(r.start) + j].elem;
    if (a.gets.empty()) l->PushBack(elem, fill);
    for (const Pattern& p : a.gets) l->PushBack(Resolve(c, p, elem).value_or(""), fill);
  }
  size_t n = l->size();
  KeyRef ref = KeyRef::Of(*a.store);
  Shard& shard = c.db().shard_for(ref);
  Entry* old = LookupWrite(shard, ref, c.now_ms);
  if (n == 0) {
    if (old != nullptr) {
      shard.Erase(ref);
      Notify(c, kNotifyGeneric, "del", *a.store);
    }
  } else {
    Entry* e = Entry::NewCollection(*a.store, ObjType::kList, Encoding::kQuicklist, l.release());
    old != nullptr ? shard.Replace(old, e, ref) : shard.Insert(ref, e);
    Notify(c, kNotifyList, "sortstore", *a.store);
    SignalKeyReady(c.conn.db(), *a.store);
  }
  c.reply.Int(static_cast<int64_t>(n));
}

// Redis sorts a sorted set in its skiplist encoding, converting it for good.
void ConvertZSet(Shard& shard, Entry* e) {
  auto* z = ValueOf<ZSetValue>(e);
  if (!z->is_listpack()) return;
  ValueChange change(shard, e);
  z->ConvertToLarge();
  e->set_encoding(Encoding::kSkiplist);
}

void SortGeneric(CommandContext& c, bool readonly) {
  SortArgs a;
  if (!ParseSortArgs(c, readonly, &a)) return;
  SortLock lock(c.db(), a, c.arg(1));
  KeyRef ref = KeyRef::Of(c.arg(1));
  Shard& shard = c.db().shard_for(ref);
  Entry* src = LookupRead(shard, ref, c.now_ms);
  if (src != nullptr && src->type() != ObjType::kList && src->type() != ObjType::kSet &&
      src->type() != ObjType::kZSet) {
    return c.reply.Error(err::kWrongType);
  }
  bool is_set = src != nullptr && src->type() == ObjType::kSet;
  bool by = a.by.has_value();
  if (a.dontsort && is_set && a.store) {
    // An unsorted set would store in hash order: Redis sorts it instead.
    a.dontsort = false;
    a.alpha = true;
    by = false;
  }
  if (src != nullptr && src->type() == ObjType::kZSet) ConvertZSet(shard, src);
  Range r = ClampLimit(a, SourceSize(src));
  std::vector<Item> items;
  if (a.dontsort && src != nullptr && !is_set) {
    LoadRange(src, r, a.desc, &items);
    r = {0, static_cast<int64_t>(items.size()) - 1};
  } else {
    LoadAll(src, &items);
  }
  if (!a.dontsort) {
    if (!LoadSortKeys(c, a, by, &items)) {
      return c.reply.Error("ERR One or more scores can't be converted into double");
    }
    SortItems(&items, a, by);
  }
  a.store ? StoreRows(c, a, items, r) : ReplyRows(c, a, items, r);
}

void Sort(CommandContext& c) { SortGeneric(c, false); }
void SortRo(CommandContext& c) { SortGeneric(c, true); }

}  // namespace

void RegisterSortFamily(CommandRegistry& r) {
  const char* kCats = "@set @sortedset @list @dangerous";
  const char* kComplexity =
      "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the "
      "number of returned elements. When the elements are not sorted, complexity is O(N).";
  r.Add(MakeCommand("sort", -2, kCmdWrite | kCmdDenyOom | kCmdMovableKeys, {1, 1, 1}, kCats,
                    "generic", "1.0.0", "Sort the elements in a list, set or sorted set", Sort,
                    kComplexity));
  r.Add(MakeCommand("sort_ro", -2, kCmdReadOnly | kCmdMovableKeys, {1, 1, 1}, kCats, "generic",
                    "7.0.0",
                    "Sort the elements in a list, set or sorted set. Read-only variant of SORT.",
                    SortRo, kComplexity));
}

}  // namespace magpie
