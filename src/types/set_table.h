// Open-addressing hash tables behind the "hashtable" encoding of sets.
//
// Two tables share one probing core (ProbeCore):
//   IntTable  — every member is an integer: a slot IS the member (8 bytes,
//               no node, no pointer). INT64_MIN marks an empty slot, so that
//               one value, when a member, is kept in a flag beside the array.
//   StrTable  — any byte strings: a slot is a node pointer (low 48 bits) plus
//               16 bits of the member's hash, so most mismatching probes are
//               rejected without touching the node. A node is one allocation
//               [varint length][bytes].
// A set starts in IntTable when it outgrows the intset and moves to StrTable
// (once, never back) when a non-integer member arrives.
//
// Probing is linear from the home slot = the top `bits_` bits of the
// member's hash; deletion shifts followers back (no tombstones). The table
// doubles past 4/5 full and halves below 1/8 full, so a random slot is
// occupied with probability >= 1/8 (random members by rejection sampling are
// uniform and O(1) expected).
//
// Because the home slot is the hash prefix, members lie in hash-prefix order
// whatever the table size, and SSCAN's cursor is a position in a 48-bit
// hash-prefix space: a member present for a whole scan is returned even if
// the table resizes between calls. Both tables hash an integer member the
// same way (HashSetMember of "12" == HashSetInt(12)), so a scan also
// survives the IntTable -> StrTable conversion.
#pragma once

#include <malloc.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>

namespace magpie {

uint64_t HashSetInt(int64_t v);
// Equal to HashSetInt(v) when `s` is the canonical decimal form of v.
uint64_t HashSetMember(std::string_view s);
// A fast per-thread random number (xoshiro-style, seeded once per thread).
uint64_t SetRandom();

template <typename Derived>
class ProbeCore {
 public:
  static constexpr uint64_t kCursorEnd = 1ULL << 48;

  size_t capacity() const { return slots_ ? (size_t{1} << bits_) : 0; }
  size_t SlotBytes() const { return slots_ ? malloc_usable_size(slots_) : 0; }
  bool Occupied(size_t i) const { return slots_[i] != Derived::kEmpty; }

 protected:
  ProbeCore() = default;
  ~ProbeCore() { free(slots_); }

  static void* Alloc(size_t n) {
    void* p = malloc(n);
    if (p == nullptr) throw std::bad_alloc();
    return p;
  }
  uint64_t Home(uint64_t h) const { return h >> (64 - bits_); }
  uint64_t mask() const { return (uint64_t{1} << bits_) - 1; }

  // Index of the slot for which eq(slot) holds, or -1. `h` is its hash.
  template <typename Eq>
  int64_t Probe(uint64_t h, Eq&& eq) const {
    if (slots_ == nullptr) return -1;
    for (uint64_t i = Home(h);; i = (i + 1) & mask()) {
      uint64_t s = slots_[i];
      if (s == Derived::kEmpty) return -1;
      if (eq(s)) return static_cast<int64_t>(i);
    }
  }

  // Stores a slot for an absent member of hash `h`, growing first if needed.
  void InsertSlot(uint64_t h, uint64_t slot) {
    Reserve(used_ + 1);
    Place(h, slot);
    ++used_;
  }

  // Makes room for `n` slots at no more than 4/5 load.
  void Reserve(size_t n) {
    uint32_t bits = bits_ ? bits_ : kMinBits;
    while (n > (size_t{1} << bits) - (size_t{1} << bits) / 5) ++bits;
    if (bits != bits_ || slots_ == nullptr) Rehash(bits);
  }

  // Removes slot i, shifting back the members probed past it, then shrinks
  // when the table has become sparse.
  void EraseAt(uint64_t i) {
    uint64_t m = mask();
    uint64_t j = i;
    for (;;) {
      j = (j + 1) & m;
      uint64_t s = slots_[j];
      if (s == Derived::kEmpty) break;
      uint64_t home = Home(self().SlotHash(s));
      // Move s into the hole unless its home lies cyclically in (i, j].
      if (((j - home) & m) >= ((j - i) & m)) {
        slots_[i] = s;
        i = j;
      }
    }
    slots_[i] = Derived::kEmpty;
    --used_;
    if (bits_ > kMinBits && used_ < capacity() / 8) {
      uint32_t bits = kMinBits;
      while (used_ * 2 > (size_t{1} << bits)) ++bits;
      Rehash(bits);
    }
  }

  void Rehash(uint32_t bits) {
    uint64_t* old = slots_;
    size_t old_cap = capacity();
    slots_ = static_cast<uint64_t*>(Alloc(sizeof(uint64_t) << bits));
    bits_ = bits;
    for (size_t i = 0; i < (size_t{1} << bits); ++i) slots_[i] = Derived::kEmpty;
    for (size_t i = 0; i < old_cap; ++i) {
      if (old[i] != Derived::kEmpty) Place(self().SlotHash(old[i]), old[i]);
    }
    free(old);
  }

  void CopyFrom(const ProbeCore& o) {
    bits_ = o.bits_;
    used_ = o.used_;
    if (o.slots_ == nullptr) return;
    slots_ = static_cast<uint64_t*>(Alloc(sizeof(uint64_t) << bits_));
    memcpy(slots_, o.slots_, sizeof(uint64_t) << bits_);
  }

  void MoveFrom(ProbeCore& o) {
    slots_ = o.slots_;
    bits_ = o.bits_;
    used_ = o.used_;
    o.slots_ = nullptr;
    o.bits_ = 0;
    o.used_ = 0;
  }

  // A random occupied slot (the table must not be empty).
  uint64_t RandomOccupied() const {
    for (;;) {
      uint64_t i = SetRandom() & mask();
      if (slots_[i] != Derived::kEmpty) return i;
    }
  }

  // Visits slots whose member's hash prefix (top 48 bits) lies in [lo, hi).
  template <typename F>
  void ScanRange(uint64_t lo, uint64_t hi, F&& visit) const {
    if (slots_ == nullptr || used_ == 0) return;
    uint32_t shift = 48 - bits_;
    uint64_t start = lo >> shift;
    uint64_t end = (hi + (uint64_t{1} << shift) - 1) >> shift;
    uint64_t cap = capacity();
    // Members homed in [start, end) sit in the runs that start there; a run
    // may wrap past the last slot.
    for (uint64_t n = 0, pos = start; n < cap; ++n, ++pos) {
      uint64_t s = slots_[pos & mask()];
      if (s == Derived::kEmpty) {
        if (pos >= end) break;
        continue;
      }
      uint64_t prefix = self().SlotHash(s) >> 16;
      if (prefix >= lo && prefix < hi) visit(s);
    }
  }

  // The end of a scan step from `cursor` covering about `count` buckets.
  uint64_t ScanEnd(uint64_t cursor, size_t count) const {
    uint32_t bits = bits_ ? bits_ : kMinBits;
    uint64_t unit = uint64_t{1} << (48 - bits);
    uint64_t hi = (cursor / unit + (count < 1 ? 1 : count)) * unit;
    return (hi > kCursorEnd || hi <= cursor) ? kCursorEnd : hi;
  }

  static constexpr uint32_t kMinBits = 3;
  uint64_t* slots_ = nullptr;  // 2^bits_ slots, nullptr while never used
  uint32_t bits_ = 0;
  size_t used_ = 0;            // occupied slots

 private:
  const Derived& self() const { return static_cast<const Derived&>(*this); }
  void Place(uint64_t h, uint64_t slot) {
    uint64_t i = Home(h);
    while (slots_[i] != Derived::kEmpty) i = (i + 1) & mask();
    slots_[i] = slot;
  }
};

// Integer members stored directly in the slots.
class IntTable : public ProbeCore<IntTable> {
 public:
  static constexpr uint64_t kEmpty = 0x8000000000000000ULL;  // INT64_MIN's bits

  IntTable() = default;
  IntTable(const IntTable& o) : has_min_(o.has_min_) { CopyFrom(o); }
  IntTable(IntTable&& o) noexcept : has_min_(o.has_min_) { MoveFrom(o); }
  IntTable& operator=(const IntTable&) = delete;

  size_t size() const { return used_ + (has_min_ ? 1 : 0); }
  size_t MemoryUsage() const { return SlotBytes(); }
  void Reserve(size_t n) { ProbeCore::Reserve(n); }

  bool Contains(int64_t v) const;
  bool Insert(int64_t v);
  bool Remove(int64_t v);

  // Random member positions: a slot index, or capacity() for INT64_MIN.
  size_t RandomPos() const;
  int64_t At(size_t pos) const { return pos == capacity() ? INT64_MIN : static_cast<int64_t>(slots_[pos]); }
  void EraseAt(size_t pos);

  template <typename F>
  void ForEach(F&& visit) const {
    if (has_min_) visit(INT64_MIN);
    for (size_t i = 0; i < capacity(); ++i) {
      if (slots_[i] != kEmpty) visit(static_cast<int64_t>(slots_[i]));
    }
  }
  // Visits the members of one scan step; returns the next cursor
  // (kCursorEnd when done).
  template <typename F>
  uint64_t Scan(uint64_t cursor, size_t count, F&& visit) const {
    uint64_t hi = ScanEnd(cursor, count);
    if (has_min_) {
      uint64_t p = HashSetInt(INT64_MIN) >> 16;
      if (p >= cursor && p < hi) visit(INT64_MIN);
    }
    ScanRange(cursor, hi, [&](uint64_t s) { visit(static_cast<int64_t>(s)); });
    return hi;
  }

  uint64_t SlotHash(uint64_t s) const { return HashSetInt(static_cast<int64_t>(s)); }

 private:
  bool has_min_ = false;  // INT64_MIN is a member (it cannot live in a slot)
};

// Byte-string members in separately allocated nodes.
class StrTable : public ProbeCore<StrTable> {
 public:
  static constexpr uint64_t kEmpty = 0;

  StrTable() = default;
  StrTable(const StrTable& o);
  StrTable(StrTable&& o) noexcept : node_bytes_(o.node_bytes_) {
    MoveFrom(o);
    o.node_bytes_ = 0;
  }
  StrTable& operator=(const StrTable&) = delete;
  ~StrTable();

  size_t size() const { return used_; }
  size_t MemoryUsage() const { return SlotBytes() + node_bytes_; }
  void Reserve(size_t n) { ProbeCore::Reserve(n); }

  bool Contains(std::string_view m) const;
  bool Insert(std::string_view m);
  bool Remove(std::string_view m);

  size_t RandomPos() const { return RandomOccupied(); }
  std::string_view At(size_t pos) const { return NodeView(slots_[pos]); }
  void EraseAt(size_t pos);

  template <typename F>
  void ForEach(F&& visit) const {
    for (size_t i = 0; i < capacity(); ++i) {
      if (slots_[i] != kEmpty) visit(NodeView(slots_[i]));
    }
  }
  template <typename F>
  uint64_t Scan(uint64_t cursor, size_t count, F&& visit) const {
    uint64_t hi = ScanEnd(cursor, count);
    ScanRange(cursor, hi, [&](uint64_t s) { visit(NodeView(s)); });
    return hi;
  }

  uint64_t SlotHash(uint64_t s) const { return HashSetMember(NodeView(s)); }

 private:
  static constexpr uint64_t kPtrMask = (uint64_t{1} << 48) - 1;
  static std::string_view NodeView(uint64_t slot);
  static uint64_t Tag(uint64_t h) { return (h & 0xFFFF) << 48; }
  int64_t Find(std::string_view m, uint64_t h) const;
  void FreeNode(uint64_t slot);

  size_t node_bytes_ = 0;  // allocator bytes of all nodes
};

}  // namespace magpie
