#include "types/set_table.h"

#include <chrono>
#include <random>

#include "common/util.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace magpie {

namespace {

// One random seed per process, so member hashes (and thus probe sequences)
// cannot be predicted by clients.
uint64_t ProcessSeed() {
  static const uint64_t seed = [] {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32) ^ rd() ^
           static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  }();
  return seed;
}

uint64_t Mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

size_t VarintSize(uint64_t v) {
  size_t n = 1;
  for (; v >= 0x80; v >>= 7) ++n;
  return n;
}

}  // namespace

uint64_t HashSetInt(int64_t v) { return Mix(static_cast<uint64_t>(v) ^ ProcessSeed()); }

uint64_t HashSetMember(std::string_view s) {
  // Only strings that can be canonical integers pay for the parse.
  if (!s.empty() && s.size() <= 20 && (s[0] == '-' || (s[0] >= '0' && s[0] <= '9'))) {
    if (auto v = ParseInt64(s)) return HashSetInt(*v);
  }
  return XXH3_64bits_withSeed(s.data(), s.size(), ProcessSeed());
}

uint64_t SetRandom() {
  // splitmix64 over a per-thread state: fast and well distributed.
  thread_local uint64_t state = ProcessSeed() ^ reinterpret_cast<uintptr_t>(&state);
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

bool IntTable::Contains(int64_t v) const {
  if (v == INT64_MIN) return has_min_;
  auto want = static_cast<uint64_t>(v);
  return Probe(HashSetInt(v), [want](uint64_t s) { return s == want; }) >= 0;
}

bool IntTable::Insert(int64_t v) {
  if (v == INT64_MIN) {
    if (has_min_) return false;
    has_min_ = true;
    return true;
  }
  uint64_t h = HashSetInt(v);
  auto want = static_cast<uint64_t>(v);
  if (Probe(h, [want](uint64_t s) { return s == want; }) >= 0) return false;
  InsertSlot(h, want);
  return true;
}

bool IntTable::Remove(int64_t v) {
  if (v == INT64_MIN) {
    bool had = has_min_;
    has_min_ = false;
    return had;
  }
  auto want = static_cast<uint64_t>(v);
  int64_t i = Probe(HashSetInt(v), [want](uint64_t s) { return s == want; });
  if (i < 0) return false;
  ProbeCore::EraseAt(static_cast<uint64_t>(i));
  return true;
}

size_t IntTable::RandomPos() const {
  // INT64_MIN is drawn with probability 1/size, the slots share the rest.
  if (has_min_ && (used_ == 0 || SetRandom() % size() == 0)) return capacity();
  return RandomOccupied();
}

void IntTable::EraseAt(size_t pos) {
  if (pos == capacity()) {
    has_min_ = false;
  } else {
    ProbeCore::EraseAt(pos);
  }
}

StrTable::StrTable(const StrTable& o) : node_bytes_(o.node_bytes_) {
  CopyFrom(o);
  for (size_t i = 0; i < capacity(); ++i) {
    if (slots_[i] == kEmpty) continue;
    auto* src = reinterpret_cast<const unsigned char*>(slots_[i] & kPtrMask);
    std::string_view v = NodeView(slots_[i]);
    size_t n = static_cast<size_t>(reinterpret_cast<const unsigned char*>(v.data()) - src) + v.size();
    void* node = Alloc(n);
    memcpy(node, src, n);
    slots_[i] = (slots_[i] & ~kPtrMask) | reinterpret_cast<uint64_t>(node);
  }
}

StrTable::~StrTable() {
  for (size_t i = 0; i < capacity(); ++i) {
    if (slots_[i] != kEmpty) free(reinterpret_cast<void*>(slots_[i] & kPtrMask));
  }
}

std::string_view StrTable::NodeView(uint64_t slot) {
  auto* p = reinterpret_cast<const unsigned char*>(slot & kPtrMask);
  uint64_t len = 0;
  size_t n = 0;
  for (int shift = 0;; shift += 7) {
    unsigned char b = p[n++];
    len |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
  }
  return {reinterpret_cast<const char*>(p + n), static_cast<size_t>(len)};
}

int64_t StrTable::Find(std::string_view m, uint64_t h) const {
  uint64_t tag = Tag(h);
  return Probe(h, [&](uint64_t s) { return (s & ~kPtrMask) == tag && NodeView(s) == m; });
}

bool StrTable::Contains(std::string_view m) const { return Find(m, HashSetMember(m)) >= 0; }

bool StrTable::Insert(std::string_view m) {
  uint64_t h = HashSetMember(m);
  if (Find(m, h) >= 0) return false;
  size_t hdr = VarintSize(m.size());
  auto* node = static_cast<unsigned char*>(Alloc(hdr + m.size()));
  uint64_t len = m.size();
  size_t n = 0;
  while (len >= 0x80) {
    node[n++] = static_cast<unsigned char>(len | 0x80);
    len >>= 7;
  }
  node[n++] = static_cast<unsigned char>(len);
  if (!m.empty()) memcpy(node + n, m.data(), m.size());
  node_bytes_ += malloc_usable_size(node);
  InsertSlot(h, Tag(h) | reinterpret_cast<uint64_t>(node));
  return true;
}

void StrTable::FreeNode(uint64_t slot) {
  void* p = reinterpret_cast<void*>(slot & kPtrMask);
  node_bytes_ -= malloc_usable_size(p);
  free(p);
}

bool StrTable::Remove(std::string_view m) {
  int64_t i = Find(m, HashSetMember(m));
  if (i < 0) return false;
  EraseAt(static_cast<size_t>(i));
  return true;
}

void StrTable::EraseAt(size_t pos) {
  uint64_t slot = slots_[pos];
  ProbeCore::EraseAt(pos);
  FreeNode(slot);
}

}  // namespace magpie
