#include "store/table.h"

#include <sys/mman.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <utility>

namespace magpie {

namespace {

// The largest capacity of at most `slots` whose array fills an allocator size
// class: jemalloc (and its usual configuration) has four classes per doubling
// above 64 bytes, so an array of 1.5 x 2^k slots is stored without waste, and
// one just above a class would pay up to 25% for nothing.
uint64_t FitCapacity(uint64_t slots) {
  uint64_t bytes = slots * sizeof(uint64_t);
  if (bytes <= 64) return slots;
  int k = 63 - __builtin_clzll(bytes);
  return ((bytes >> (k - 2)) << (k - 2)) / sizeof(uint64_t);
}

// Arrays from this size on are mapped directly: freed at the end of a
// migration, their pages go back to the system at once (jemalloc would keep
// them resident as dirty pages until its decay, about 6 bytes per key of RSS
// after loading 1M keys).
constexpr size_t kMapAt = 16 * 1024;
std::atomic<int64_t> g_mapped{0};

}  // namespace

int64_t Table::MappedBytes() { return g_mapped.load(std::memory_order_relaxed); }

Table::~Table() { Clear(); }

Table::Array Table::NewArray(uint64_t cap) {
  Array a;
  a.cap = cap;
  size_t bytes = cap * sizeof(uint64_t);
  if (bytes >= kMapAt) {
    // Zero pages are mapped lazily: no pause to clear the array.
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    a.slots = static_cast<uint64_t*>(p);
    g_mapped.fetch_add(static_cast<int64_t>(bytes), std::memory_order_relaxed);
    return a;
  }
  a.slots = static_cast<uint64_t*>(calloc(cap, sizeof(uint64_t)));
  if (a.slots == nullptr) throw std::bad_alloc();
  return a;
}

void Table::FreeArray(Array& a) {
  size_t bytes = a.cap * sizeof(uint64_t);
  if (a.slots != nullptr && bytes >= kMapAt) {
    munmap(a.slots, bytes);
    g_mapped.fetch_sub(static_cast<int64_t>(bytes), std::memory_order_relaxed);
  } else {
    free(a.slots);
  }
  a = Array();
}

void Table::Clear() {
  FreeArray(cur_);
  FreeArray(old_);
  migrate_pos_ = 0;
  size_ = 0;
}

void Table::Swap(Table& other) {
  std::swap(cur_, other.cur_);
  std::swap(old_, other.old_);
  std::swap(migrate_pos_, other.migrate_pos_);
  std::swap(size_, other.size_);
}

uint64_t* Table::Probe(const Array& a, std::string_view key, uint64_t hash) {
  if (a.slots == nullptr || a.live == 0) return nullptr;
  uint64_t tag = Tag(hash);
  uint64_t pos = Home(a, hash);
  for (uint64_t i = 0; i < a.cap; ++i, pos = a.Next(pos)) {
    uint64_t slot = a.slots[pos];
    if (slot == 0) return nullptr;
    if ((slot & ~((1ULL << 48) - 1)) == tag && Live(slot) && Ptr(slot)->key() == key) {
      return &a.slots[pos];
    }
  }
  return nullptr;
}

Entry* Table::ProbePrefix(const Array& a, uint32_t prefix) {
  if (a.slots == nullptr || a.live == 0) return nullptr;
  uint64_t hash = static_cast<uint64_t>(prefix) << 32;
  uint64_t tag = Tag(hash);
  uint64_t pos = Home(a, hash);
  for (uint64_t i = 0; i < a.cap; ++i, pos = a.Next(pos)) {
    uint64_t slot = a.slots[pos];
    if (slot == 0) return nullptr;
    if ((slot & ~((1ULL << 48) - 1)) == tag && Live(slot) &&
        (HashKey(Ptr(slot)->key()) >> 32) == prefix) {
      return Ptr(slot);
    }
  }
  return nullptr;
}

Entry* Table::FindHashPrefix(uint32_t prefix) const {
  Entry* e = ProbePrefix(cur_, prefix);
  if (e == nullptr && migrating()) e = ProbePrefix(old_, prefix);
  return e;
}

Entry* Table::Find(std::string_view key, uint64_t hash) const {
  uint64_t* s = Probe(cur_, key, hash);
  if (s == nullptr && migrating()) s = Probe(old_, key, hash);
  return s ? Ptr(*s) : nullptr;
}

void Table::InsertInto(Array& a, uint64_t packed, uint64_t hash) {
  uint64_t pos = Home(a, hash);
  while (a.slots[pos] != 0) pos = a.Next(pos);
  a.slots[pos] = packed;
  ++a.live;
}

void Table::StartResize(uint64_t cap) {
  if (migrating()) {
    // A second resize before the first finished: finish it now (bounded by
    // the old array). After a growth migration has time to spare (see
    // MaybeResize); a shrunk array may regrow first.
    MigrateStep(old_.cap);
  }
  if (cur_.slots == nullptr) {
    cur_ = NewArray(cap);
    return;
  }
  old_ = cur_;
  cur_ = NewArray(cap);
  migrate_pos_ = 0;
}

void Table::MaybeResize() {
  uint64_t cap = cur_.cap;
  if (cap == 0 || (size_ + 1) * 5 > cap * 4) {
    // Fitted to a size class, the new array is 1.14-1.25 times the old one:
    // it starts at least 0.64 full and reaches 4/5 after 0.098 x its
    // capacity of inserts; migration moves kMigratePerInsert = 16 slots per
    // write and needs only old cap / 16 < 0.055 x new cap of them.
    StartResize(cap == 0 ? kMinCapacity : FitCapacity(cap + cap / 4));
  } else if (!migrating() && cap > kMinCapacity && size_ * 8 < cap) {
    // Shrink to an array at most 5/8 full.
    StartResize(size_ * 2 > kMinCapacity ? FitCapacity(size_ * 2) : kMinCapacity);
  }
}

void Table::Insert(Entry* e, uint64_t hash) {
  MaybeResize();
  InsertInto(cur_, Pack(e, hash), hash);
  ++size_;
  if (migrating()) MigrateStep(kMigratePerInsert);
}

void Table::Replace(Entry* old_e, Entry* new_e, uint64_t hash) {
  uint64_t* s = Probe(cur_, old_e->key(), hash);
  if (s == nullptr) s = Probe(old_, old_e->key(), hash);
  *s = Pack(new_e, hash);
}

void Table::BackwardShiftErase(Array& a, uint64_t pos) {
  // Pull later members of the cluster back so no probe sequence is broken.
  uint64_t hole = pos;
  uint64_t next = a.Next(pos);
  while (a.slots[next] != 0) {
    uint64_t home = Home(a, HashKey(Ptr(a.slots[next])->key()));
    // Move the entry if its home is not within (hole, next] cyclically.
    bool movable = hole <= next ? (home <= hole || home > next) : (home <= hole && home > next);
    if (movable) {
      a.slots[hole] = a.slots[next];
      hole = next;
    }
    next = a.Next(next);
  }
  a.slots[hole] = 0;
}

Entry* Table::Remove(std::string_view key, uint64_t hash) {
  Entry* e = nullptr;
  if (uint64_t* s = Probe(cur_, key, hash)) {
    e = Ptr(*s);
    BackwardShiftErase(cur_, static_cast<uint64_t>(s - cur_.slots));
    --cur_.live;
  } else if (uint64_t* o = Probe(old_, key, hash)) {
    e = Ptr(*o);
    *o = kTombstone;
    --old_.live;
  } else {
    return nullptr;
  }
  --size_;
  if (migrating()) {
    MigrateStep(8);
  } else {
    MaybeResize();
  }
  return e;
}

void Table::MigrateStep(size_t n) {
  if (!migrating()) return;
  uint64_t cap = old_.cap;
  while (n-- > 0 && migrate_pos_ < cap) {
    uint64_t slot = old_.slots[migrate_pos_];
    if (Live(slot)) {
      Entry* e = Ptr(slot);
      InsertInto(cur_, slot, HashKey(e->key()));
      --old_.live;
    }
    old_.slots[migrate_pos_] = kTombstone;
    ++migrate_pos_;
  }
  if (migrate_pos_ >= cap || old_.live == 0) {
    FreeArray(old_);
    migrate_pos_ = 0;
  }
}

Entry* Table::Random(uint64_t rnd) const {
  if (size_ == 0) return nullptr;
  const Array* a = &cur_;
  if (migrating() && (rnd >> 32) % size_ < old_.live) a = &old_;
  if (a->live == 0) a = a == &cur_ ? &old_ : &cur_;
  uint64_t pos = ((rnd & 0xffffffffULL) * a->cap) >> 32;
  // The old array's migrated part is all tombstones: start past it.
  if (a == &old_ && pos < migrate_pos_) pos = migrate_pos_;
  for (uint64_t i = 0; i < a->cap; ++i, pos = a->Next(pos)) {
    if (Live(a->slots[pos])) return Ptr(a->slots[pos]);
  }
  return nullptr;
}

}  // namespace magpie
