#include "store/table.h"

#include <cstdlib>
#include <new>
#include <utility>

namespace magpie {

Table::~Table() { Clear(); }

Table::Array Table::NewArray(uint32_t bits) {
  Array a;
  a.bits = bits;
  a.mask = (1ULL << bits) - 1;
  // calloc of a large array maps zero pages lazily: no pause to clear it.
  a.slots = static_cast<uint64_t*>(calloc(a.mask + 1, sizeof(uint64_t)));
  if (a.slots == nullptr) throw std::bad_alloc();
  return a;
}

void Table::FreeArray(Array& a) {
  free(a.slots);
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
  for (uint64_t i = 0; i <= a.mask; ++i, pos = (pos + 1) & a.mask) {
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
  for (uint64_t i = 0; i <= a.mask; ++i, pos = (pos + 1) & a.mask) {
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
  while (a.slots[pos] != 0) pos = (pos + 1) & a.mask;
  a.slots[pos] = packed;
  ++a.live;
}

void Table::StartResize(uint32_t bits) {
  if (migrating()) {
    // A second resize before the first finished: finish it now. Migration
    // outpaces growth by construction, so this is rare and bounded.
    MigrateStep(old_.mask + 1);
  }
  if (cur_.slots == nullptr) {
    cur_ = NewArray(bits);
    return;
  }
  old_ = cur_;
  cur_ = NewArray(bits);
  migrate_pos_ = 0;
}

void Table::MaybeResize() {
  uint64_t cap = cur_.Capacity();
  if (cap == 0 || size_ + 1 > cap / 4 * 3) {
    StartResize(cap == 0 ? kMinBits : cur_.bits + 1);
  } else if (!migrating() && cur_.bits > kMinBits && size_ < cap / 8) {
    // Shrink to the smallest array that is at most 3/8 full.
    uint32_t bits = kMinBits;
    while ((1ULL << bits) / 8 * 3 < size_) ++bits;
    if (bits < cur_.bits) StartResize(bits);
  }
}

void Table::Insert(Entry* e, uint64_t hash) {
  MaybeResize();
  InsertInto(cur_, Pack(e, hash), hash);
  ++size_;
  if (migrating()) MigrateStep(8);
}

void Table::Replace(Entry* old_e, Entry* new_e, uint64_t hash) {
  uint64_t* s = Probe(cur_, old_e->key(), hash);
  if (s == nullptr) s = Probe(old_, old_e->key(), hash);
  *s = Pack(new_e, hash);
}

void Table::BackwardShiftErase(Array& a, uint64_t pos) {
  // Pull later members of the cluster back so no probe sequence is broken.
  uint64_t hole = pos;
  uint64_t next = (pos + 1) & a.mask;
  while (a.slots[next] != 0) {
    uint64_t home = Home(a, HashKey(Ptr(a.slots[next])->key()));
    // Move the entry if its home is not within (hole, next] cyclically.
    bool movable = hole <= next ? (home <= hole || home > next) : (home <= hole && home > next);
    if (movable) {
      a.slots[hole] = a.slots[next];
      hole = next;
    }
    next = (next + 1) & a.mask;
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
  uint64_t cap = old_.mask + 1;
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
  uint64_t pos = rnd & a->mask;
  for (uint64_t i = 0; i <= a->mask; ++i, pos = (pos + 1) & a->mask) {
    if (Live(a->slots[pos])) return Ptr(a->slots[pos]);
  }
  return nullptr;
}

}  // namespace magpie
