// HashValue and FieldTable: see hash.h for the encodings and invariants.
#include "types/hash.h"

#include <malloc.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <unordered_set>
#include <vector>

#include "store/entry.h"

namespace magpie {

namespace {

constexpr uint8_t kNodeTtl = 1;  // node flag: an 8-byte expire time follows the value
constexpr uint32_t kMinBits = 3;
// Estimated bytes of one std::set node (three pointers, color, payload).
constexpr size_t kTtlIndexNodeBytes = 64;

size_t VarintSize(uint64_t v) {
  size_t n = 1;
  for (; v >= 0x80; v >>= 7) ++n;
  return n;
}

size_t PutVarint(char* p, uint64_t v) {
  size_t n = 0;
  for (; v >= 0x80; v >>= 7) p[n++] = static_cast<char>(v | 0x80);
  p[n++] = static_cast<char>(v);
  return n;
}

uint64_t GetVarint(const char* p, size_t* len) {
  uint64_t v = 0;
  size_t n = 0;
  for (int shift = 0;; shift += 7) {
    auto b = static_cast<unsigned char>(p[n++]);
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
  }
  *len = n;
  return v;
}

// A listpackex TTL element: empty for none, else 8 bytes of unix ms.
std::string_view EncodeTtl(int64_t when, char (&buf)[8]) {
  if (when < 0) return {};
  memcpy(buf, &when, 8);
  return {buf, 8};
}

int64_t DecodeTtl(std::string_view s) {
  if (s.size() != 8) return -1;
  int64_t v;
  memcpy(&v, s.data(), 8);
  return v;
}

size_t Usable(const void* p) { return malloc_usable_size(const_cast<void*>(p)); }

}  // namespace

// ---------------------------------------------------------------------------
// FieldTable

char* FieldTable::NewNode(std::string_view field, std::string_view value, int64_t expire_ms) {
  size_t n = 1 + VarintSize(field.size()) + field.size() + VarintSize(value.size()) + value.size() +
             (expire_ms >= 0 ? 8 : 0);
  auto* p = static_cast<char*>(malloc(n));
  if (p == nullptr) throw std::bad_alloc();
  p[0] = static_cast<char>(expire_ms >= 0 ? kNodeTtl : 0);
  size_t at = 1 + PutVarint(p + 1, field.size());
  if (!field.empty()) memcpy(p + at, field.data(), field.size());
  at += field.size();
  at += PutVarint(p + at, value.size());
  if (!value.empty()) memcpy(p + at, value.data(), value.size());
  at += value.size();
  if (expire_ms >= 0) memcpy(p + at, &expire_ms, 8);
  return p;
}

std::string_view FieldTable::NodeField(const char* n) {
  size_t len;
  uint64_t size = GetVarint(n + 1, &len);
  return {n + 1 + len, size};
}

std::string_view FieldTable::NodeValue(const char* n) {
  std::string_view f = NodeField(n);
  const char* p = f.data() + f.size();
  size_t len;
  uint64_t size = GetVarint(p, &len);
  return {p + len, size};
}

int64_t FieldTable::NodeExpire(const char* n) {
  if (!(n[0] & kNodeTtl)) return -1;
  std::string_view v = NodeValue(n);
  int64_t e;
  memcpy(&e, v.data() + v.size(), 8);
  return e;
}

size_t FieldTable::NodeBytes(const char* n) {
  std::string_view v = NodeValue(n);
  return static_cast<size_t>(v.data() + v.size() - n) + ((n[0] & kNodeTtl) ? 8 : 0);
}

FieldTable::~FieldTable() {
  for (uint64_t i = 0; slots_ != nullptr && i <= mask_; ++i) {
    if (Live(slots_[i])) free(Ptr(slots_[i]));
  }
  free(slots_);
}

uint64_t* FieldTable::Probe(std::string_view field, uint64_t hash) const {
  if (slots_ == nullptr) return nullptr;
  uint64_t tag = hash >> 48;
  for (uint64_t pos = hash >> (64 - bits_);; pos = (pos + 1) & mask_) {
    uint64_t s = slots_[pos];
    if (s == 0) return nullptr;
    if (Live(s) && (s >> 48) == tag && NodeField(Ptr(s)) == field) return &slots_[pos];
  }
}

char* FieldTable::Find(std::string_view field) const {
  uint64_t* p = Probe(field, HashKey(field));
  return p ? Ptr(*p) : nullptr;
}

void FieldTable::InsertPacked(uint64_t packed, uint64_t hash) {
  uint64_t pos = hash >> (64 - bits_);
  while (Live(slots_[pos])) pos = (pos + 1) & mask_;
  if (slots_[pos] == kTombstone) --tombstones_;
  slots_[pos] = packed;
}

void FieldTable::Rehash(uint32_t bits) {
  uint64_t* old = slots_;
  uint64_t old_cap = old ? mask_ + 1 : 0;
  auto* fresh = static_cast<uint64_t*>(calloc(size_t{1} << bits, sizeof(uint64_t)));
  if (fresh == nullptr) throw std::bad_alloc();
  if (old) bytes_ -= Usable(old);
  bytes_ += Usable(fresh);
  slots_ = fresh;
  bits_ = bits;
  mask_ = (uint64_t{1} << bits) - 1;
  tombstones_ = 0;
  for (uint64_t i = 0; i < old_cap; ++i) {
    if (Live(old[i])) InsertPacked(old[i], HashKey(NodeField(Ptr(old[i]))));
  }
  free(old);
}

void FieldTable::Reserve(size_t n) {
  uint32_t bits = std::max(kMinBits, bits_);
  while (n * 4 > (uint64_t{3} << bits)) ++bits;
  if (slots_ == nullptr || bits > bits_) Rehash(bits);
}

void FieldTable::Insert(char* node) {
  uint64_t hash = HashKey(NodeField(node));
  uint64_t cap = slots_ ? mask_ + 1 : 0;
  // Grow past 3/4 (tombstones count: they lengthen probes like live slots).
  if ((size_ + tombstones_ + 1) * 4 > cap * 3) {
    uint32_t bits = std::max(kMinBits, bits_);
    while ((size_ + 1) * 2 > (uint64_t{1} << bits)) ++bits;
    Rehash(bits);
  }
  InsertPacked((hash & ~((uint64_t{1} << 48) - 1)) | reinterpret_cast<uint64_t>(node), hash);
  ++size_;
  bytes_ += Usable(node);
}

void FieldTable::ReplaceNode(char* old_node, char* node) {
  uint64_t* p = Probe(NodeField(old_node), HashKey(NodeField(old_node)));
  *p = (*p & ~((uint64_t{1} << 48) - 1)) | reinterpret_cast<uint64_t>(node);
  bytes_ += Usable(node);
  bytes_ -= Usable(old_node);
  free(old_node);
}

bool FieldTable::Erase(std::string_view field) {
  uint64_t* p = Probe(field, HashKey(field));
  if (p == nullptr) return false;
  char* node = Ptr(*p);
  bytes_ -= Usable(node);
  free(node);
  uint64_t pos = static_cast<uint64_t>(p - slots_);
  // A slot followed by an empty one ends its cluster: it may become empty.
  if (slots_[(pos + 1) & mask_] == 0) {
    *p = 0;
  } else {
    *p = kTombstone;
    ++tombstones_;
  }
  --size_;
  // Shrink below 1/10 full, as Redis's dict does.
  if (bits_ > kMinBits && size_ * 10 < mask_ + 1) {
    uint32_t bits = kMinBits;
    while (size_ * 2 > (uint64_t{1} << bits)) ++bits;
    Rehash(bits);
  }
  return true;
}

uint64_t FieldTable::Scan(uint64_t cursor, size_t count,
                          const std::function<void(const char*)>& f) const {
  if (size_ == 0) return kCursorEnd;
  uint32_t shift = 48 - bits_;
  uint64_t unit = uint64_t{1} << shift;
  uint64_t hi = (cursor / unit + std::max<size_t>(count, 1)) * unit;
  if (hi > kCursorEnd || hi <= cursor) hi = kCursorEnd;
  // Home buckets [start, end) hold the prefixes [cursor, hi); their fields
  // sit from `start` up to the first empty slot after `end`.
  uint64_t start = cursor >> shift;
  uint64_t end = (hi + unit - 1) >> shift;
  uint64_t cap = mask_ + 1;
  std::vector<const char*> hits;
  for (uint64_t i = 0, pos = start; i < cap; ++i, ++pos) {
    uint64_t s = slots_[pos & mask_];
    if (s == 0) {
      if (pos >= end) break;
      continue;
    }
    if (!Live(s)) continue;
    const char* n = Ptr(s);
    uint64_t prefix = HashKey(NodeField(n)) >> 16;
    if (prefix >= cursor && prefix < hi) hits.push_back(n);
  }
  for (const char* n : hits) f(n);
  return hi;
}

void FieldTable::ForEach(const std::function<void(const char*)>& f) const {
  for (uint64_t i = 0; slots_ != nullptr && i <= mask_; ++i) {
    if (Live(slots_[i])) f(Ptr(slots_[i]));
  }
}

size_t FieldTable::RandomSlot(uint64_t rnd) const {
  // Random probes first (uniform), then a walk so an unlucky run still ends.
  for (int i = 0; i < 32; ++i) {
    uint64_t pos = rnd & mask_;
    if (Live(slots_[pos])) return pos;
    rnd = rnd * 6364136223846793005ULL + 1442695040888963407ULL;
    rnd ^= rnd >> 29;
  }
  uint64_t pos = rnd & mask_;
  while (!Live(slots_[pos])) pos = (pos + 1) & mask_;
  return pos;
}

const char* FieldTable::NodeAt(size_t slot) const { return Ptr(slots_[slot]); }

const char* FieldTable::Random(uint64_t rnd) const { return NodeAt(RandomSlot(rnd)); }

// ---------------------------------------------------------------------------
// HashValue

static_assert(sizeof(Listpack) == sizeof(uintptr_t));

HashValue::HashValue() { new (rep_) Listpack(); }

HashValue::HashValue(HashValue&& other) noexcept {
  memcpy(rep_, other.rep_, sizeof(rep_));
  new (other.rep_) Listpack();  // the moved-from hash is an empty listpack
}

HashValue::~HashValue() {
  if (!is_big()) {
    inline_lp()->~Listpack();
    return;
  }
  Big* b = big();
  delete b->table;
  delete b->ttl;
  delete b;
}

HashValue::Big* HashValue::Promote() {
  if (is_big()) return big();
  Big* b = new Big{std::move(*inline_lp())};
  inline_lp()->~Listpack();
  uintptr_t v = reinterpret_cast<uintptr_t>(b) | 1;
  memcpy(rep_, &v, sizeof(v));
  return b;
}

void HashValue::SetTtl(TtlState* t) {
  if (t == nullptr && !is_big()) return;
  Big* b = Promote();
  delete b->ttl;
  b->ttl = t;
}

size_t HashValue::MemoryUsage() const {
  size_t n = lp().MemoryUsage();
  if (is_big()) n += Usable(big());
  if (table()) n += Usable(table()) + table()->bytes();
  if (ttl()) n += Usable(ttl()) + ttl()->index.size() * kTtlIndexNodeBytes;
  return n;
}

CollectionValue* HashValue::Clone() const { return new HashValue(*this); }

HashValue::HashValue(const HashValue& other) : HashValue() {
  lp() = Listpack(other.lp());
  if (other.ttl()) {
    auto* t = new TtlState();
    t->fields = other.ttl()->fields;
    t->next = other.ttl()->next;
    SetTtl(t);
  }
  if (other.table()) {
    auto* copy_table = new FieldTable();
    SetTable(copy_table);
    copy_table->Reserve(other.table()->size());
    TtlState* t = ttl();
    other.table()->ForEach([copy_table, t](const char* n) {
      size_t bytes = FieldTable::NodeBytes(n);
      auto* copy = static_cast<char*>(malloc(bytes));
      if (copy == nullptr) throw std::bad_alloc();
      memcpy(copy, n, bytes);
      copy_table->Insert(copy);
      int64_t exp = FieldTable::NodeExpire(copy);
      if (exp >= 0) t->index.emplace(exp, copy);
    });
  }
}

HashValue::Enc HashValue::encoding() const {
  if (table()) return Enc::kHashtable;
  return ttl() ? Enc::kListpackEx : Enc::kListpack;
}

size_t HashValue::size() const { return table() ? table()->size() : lp().size() / Stride(); }

size_t HashValue::LpFind(std::string_view field) const {
  return lp().Find(field, lp().First(), Stride() - 1);
}

bool HashValue::Get(std::string_view field, std::string_view* value) const {
  if (table()) {
    const char* n = table()->Find(field);
    if (n) *value = FieldTable::NodeValue(n);
    return n != nullptr;
  }
  size_t pos = LpFind(field);
  if (pos == lp().End()) return false;
  *value = lp().Get(lp().Next(pos));
  return true;
}

bool HashValue::Exists(std::string_view field) const {
  std::string_view v;
  return Get(field, &v);
}

void HashValue::NoteTtl(int64_t before, int64_t after, const char* node_before,
                        const char* node_after) {
  if (before >= 0) {
    if (table()) ttl()->index.erase({before, node_before});
    --ttl()->fields;
  }
  if (after >= 0) {
    if (ttl() == nullptr) SetTtl(new TtlState());
    if (table()) ttl()->index.emplace(after, node_after);
    ++ttl()->fields;
    ttl()->next = std::min(ttl()->next, after);
  }
}

bool HashValue::Set(std::string_view field, std::string_view value) {
  if (table()) {
    char* old = table()->Find(field);
    char* node = FieldTable::NewNode(field, value, -1);
    if (old == nullptr) {
      table()->Insert(node);
      return true;
    }
    int64_t exp = FieldTable::NodeExpire(old);
    if (exp >= 0) NoteTtl(exp, -1, old, nullptr);
    table()->ReplaceNode(old, node);
    if (ttl() && ttl()->fields == 0) {
      SetTtl(nullptr);
    }
    return false;
  }
  size_t pos = LpFind(field);
  bool triples = ttl() != nullptr;
  if (pos == lp().End()) {
    lp().Append(field);
    lp().Append(value);
    if (triples) lp().Append("");
    return true;
  }
  size_t vpos = lp().Replace(lp().Next(pos), value);
  if (triples) {
    size_t tpos = lp().Next(vpos);
    int64_t exp = DecodeTtl(lp().Get(tpos));
    if (exp >= 0) {
      lp().Replace(tpos, "");
      NoteTtl(exp, -1, nullptr, nullptr);
      if (ttl()->fields == 0) LpReshape(false);
    }
  }
  return false;
}

bool HashValue::Delete(std::string_view field) {
  if (table()) {
    char* old = table()->Find(field);
    if (old == nullptr) return false;
    int64_t exp = FieldTable::NodeExpire(old);
    if (exp >= 0) NoteTtl(exp, -1, old, nullptr);
    table()->Erase(field);
    if (ttl() && ttl()->fields == 0) {
      SetTtl(nullptr);
    }
    return true;
  }
  size_t pos = LpFind(field);
  if (pos == lp().End()) return false;
  if (ttl()) {
    int64_t exp = DecodeTtl(lp().Get(lp().Next(lp().Next(pos))));
    lp().Erase(pos, 3);
    if (exp >= 0) {
      NoteTtl(exp, -1, nullptr, nullptr);
      if (ttl()->fields == 0) LpReshape(false);
    }
  } else {
    lp().Erase(pos, 2);
  }
  return true;
}

// Rebuilds the listpack with (to_triples) or without a TTL element per
// field. Dropping TTLs happens only once none is left; ttl() follows.
void HashValue::LpReshape(bool to_triples) {
  Listpack out;
  size_t stride = to_triples ? 2 : 3;
  for (size_t pos = lp().First(); pos < lp().End();) {
    size_t vpos = lp().Next(pos);
    out.Append(lp().Get(pos));
    out.Append(lp().Get(vpos));
    if (to_triples) out.Append("");
    pos = lp().Next(vpos);
    if (stride == 3) pos = lp().Next(pos);
  }
  lp() = std::move(out);
  if (!to_triples) {
    SetTtl(nullptr);
  }
}

void HashValue::ConvertToTable() {
  if (table()) return;
  auto* t = new FieldTable();
  t->Reserve(size());
  bool triples = ttl() != nullptr;
  for (size_t pos = lp().First(); pos < lp().End();) {
    size_t vpos = lp().Next(pos);
    int64_t exp = -1;
    size_t next = lp().Next(vpos);
    if (triples) {
      exp = DecodeTtl(lp().Get(next));
      next = lp().Next(next);
    }
    char* node = FieldTable::NewNode(lp().Get(pos), lp().Get(vpos), exp);
    t->Insert(node);
    if (exp >= 0) ttl()->index.emplace(exp, node);
    pos = next;
  }
  lp().Clear();
  SetTable(t);
}

void HashValue::ForEach(const Visit& f) const {
  if (table()) {
    table()->ForEach(
        [&f](const char* n) { f(FieldTable::NodeField(n), FieldTable::NodeValue(n)); });
    return;
  }
  size_t skip = Stride() - 2;
  for (size_t pos = lp().First(); pos < lp().End();) {
    size_t vpos = lp().Next(pos);
    f(lp().Get(pos), lp().Get(vpos));
    pos = lp().Next(vpos);
    if (skip) pos = lp().Next(pos);
  }
}

uint64_t HashValue::Scan(uint64_t cursor, size_t count, const Visit& f) const {
  if (!table()) {
    ForEach(f);
    return 0;
  }
  // The client sees cursor 0 as "start" and "done"; internally the end of
  // the prefix space is kCursorEnd.
  uint64_t next = table()->Scan(cursor, count, [&f](const char* n) {
    f(FieldTable::NodeField(n), FieldTable::NodeValue(n));
  });
  return next >= FieldTable::kCursorEnd ? 0 : next;
}

std::pair<std::string_view, std::string_view> HashValue::Random(uint64_t rnd) const {
  if (table()) {
    const char* n = table()->Random(rnd);
    return {FieldTable::NodeField(n), FieldTable::NodeValue(n)};
  }
  size_t pos = lp().Seek(static_cast<int64_t>((rnd % size()) * Stride()));
  return {lp().Get(pos), lp().Get(lp().Next(pos))};
}

void HashValue::RandomDistinct(size_t count, const std::function<uint64_t()>& rnd,
                               const Visit& f) const {
  size_t n = size();
  if (table() && count * 4 < n) {
    // Few of many: sample slots, skipping repeats.
    std::unordered_set<size_t> seen;
    while (seen.size() < count) {
      size_t slot = table()->RandomSlot(rnd());
      if (!seen.insert(slot).second) continue;
      const char* node = table()->NodeAt(slot);
      f(FieldTable::NodeField(node), FieldTable::NodeValue(node));
    }
    return;
  }
  // A large share: a partial shuffle of everything.
  std::vector<std::pair<std::string_view, std::string_view>> all;
  all.reserve(n);
  ForEach([&all](std::string_view k, std::string_view v) { all.emplace_back(k, v); });
  for (size_t i = 0; i < count; ++i) {
    size_t j = i + static_cast<size_t>(rnd() % (n - i));
    std::swap(all[i], all[j]);
    f(all[i].first, all[i].second);
  }
}

int64_t HashValue::FieldExpire(std::string_view field) const {
  if (table()) {
    const char* n = table()->Find(field);
    return n ? FieldTable::NodeExpire(n) : -2;
  }
  size_t pos = LpFind(field);
  if (pos == lp().End()) return -2;
  if (ttl() == nullptr) return -1;
  return DecodeTtl(lp().Get(lp().Next(lp().Next(pos))));
}

void HashValue::SetFieldExpire(std::string_view field, int64_t when_ms) {
  if (table()) {
    char* old = table()->Find(field);
    int64_t before = FieldTable::NodeExpire(old);
    if (before == when_ms) return;
    char* node = FieldTable::NewNode(field, FieldTable::NodeValue(old), when_ms);
    NoteTtl(before, when_ms, old, node);
    table()->ReplaceNode(old, node);
    if (ttl()->fields == 0) {
      SetTtl(nullptr);
    }
    return;
  }
  if (when_ms >= 0 && ttl() == nullptr) {
    SetTtl(new TtlState());
    LpReshape(true);
  }
  if (ttl() == nullptr) return;  // removing a TTL nobody has
  size_t pos = LpFind(field);
  size_t tpos = lp().Next(lp().Next(pos));
  int64_t before = DecodeTtl(lp().Get(tpos));
  if (before == when_ms) return;
  char buf[8];
  lp().Replace(tpos, EncodeTtl(when_ms, buf));
  NoteTtl(before, when_ms, nullptr, nullptr);
  if (ttl()->fields == 0) LpReshape(false);
}

size_t HashValue::ExpireFields(int64_t now_ms, size_t max) {
  if (ttl_count() == 0 || ttl()->next >= now_ms) return 0;
  size_t deleted = 0;
  if (table()) {
    auto& index = ttl()->index;
    while (!index.empty() && index.begin()->first < now_ms && deleted < max) {
      std::string field(FieldTable::NodeField(index.begin()->second));
      index.erase(index.begin());
      --ttl()->fields;
      table()->Erase(field);
      ++deleted;
    }
    ttl()->next = index.empty() ? INT64_MAX : index.begin()->first;
  } else {
    int64_t next = INT64_MAX;
    for (size_t pos = lp().First(); pos < lp().End();) {
      size_t tpos = lp().Next(lp().Next(pos));
      int64_t exp = DecodeTtl(lp().Get(tpos));
      if (exp >= 0 && exp < now_ms && deleted < max) {
        pos = lp().Erase(pos, 3);
        --ttl()->fields;
        ++deleted;
        continue;
      }
      if (exp >= 0) next = std::min(next, exp);
      pos = lp().Next(tpos);
    }
    ttl()->next = next;
  }
  if (ttl()->fields == 0) {
    if (table()) {
      SetTtl(nullptr);
    } else {
      LpReshape(false);
    }
  }
  return deleted;
}

}  // namespace magpie
