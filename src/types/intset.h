// IntSet: the "intset" encoding of small integer sets — a sorted array of
// integers in one exact-size allocation, each stored in the narrowest width
// (2, 4 or 8 bytes) that fits every member.
//
// Invariants: members are strictly increasing; every member fits in
// `width_` bytes and the width only grows (an upgrade rewrites the array
// once; removing the wide member does not narrow it again, as in Redis).
// Lookups are a binary search; inserts and removals move the tail, which
// set-max-intset-entries (512) keeps short. An empty IntSet owns no memory.
#pragma once

#include <cstddef>
#include <cstdint>

namespace magpie {

class IntSet {
 public:
  IntSet() = default;
  IntSet(const IntSet& other);
  IntSet(IntSet&& other) noexcept;
  IntSet& operator=(const IntSet&) = delete;
  IntSet& operator=(IntSet&& other) noexcept;
  ~IntSet();

  size_t size() const { return count_; }
  uint8_t width() const { return width_; }
  // Bytes allocated (0 while empty and never used).
  size_t MemoryUsage() const;

  bool Contains(int64_t v) const;
  // Adds v; false if already present.
  bool Insert(int64_t v);
  // Removes v; false if absent.
  bool Remove(int64_t v);
  void RemoveAt(size_t i);
  int64_t At(size_t i) const;
  int64_t Min() const { return At(0); }
  int64_t Max() const { return At(count_ - 1); }

 private:
  static uint8_t WidthFor(int64_t v);
  // Index of v, or the index where it would be inserted (with *found).
  size_t Search(int64_t v, bool* found) const;
  void Set(size_t i, int64_t v);
  void Upgrade(uint8_t width);

  unsigned char* data_ = nullptr;  // count_ * width_ bytes, sorted
  uint32_t count_ = 0;
  uint8_t width_ = 2;
};

}  // namespace magpie
