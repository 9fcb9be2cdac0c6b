// Listpack: the compact encoding of small hashes, sets, sorted sets and
// lists — a sequence of byte strings in one contiguous allocation.
//
//   [u32 bytes used][u32 element count][element]...
//   element = [varint length][bytes][back-length]
//
// The back-length is the size of "[varint length][bytes]" written as a
// varint whose bytes run backwards from the element's end, so the sequence
// can be walked in both directions (RPOP, LINDEX -1, ZREVRANGE) without an
// index. A short element costs its bytes plus 2. The buffer is reallocated
// to its exact size on every change, as Redis's listpack is: small values
// stay small, and changes cost O(bytes), which the conversion thresholds
// (hash-max-listpack-entries, ...) keep bounded.
//
// Positions are byte offsets into the buffer: valid until the next change,
// except that Insert/Erase return the position to continue from.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace magpie {

class Listpack {
 public:
  Listpack() = default;
  Listpack(const Listpack& other);
  Listpack(Listpack&& other) noexcept : buf_(other.buf_) { other.buf_ = nullptr; }
  Listpack& operator=(const Listpack&) = delete;
  Listpack& operator=(Listpack&& other) noexcept;
  ~Listpack();

  size_t size() const { return buf_ ? Count() : 0; }
  bool empty() const { return size() == 0; }
  // Encoded bytes, and bytes allocated (0 while empty and never used).
  size_t BytesUsed() const { return buf_ ? Used() : kHeader; }
  size_t MemoryUsage() const;

  size_t First() const { return kHeader; }
  size_t End() const { return BytesUsed(); }
  // The last element's position (End() when empty).
  size_t Last() const { return empty() ? End() : Prev(End()); }
  size_t Next(size_t pos) const;
  // The element before `pos` (`pos` > First()).
  size_t Prev(size_t pos) const;
  std::string_view Get(size_t pos) const;
  // Position of element `index` (negative counts from the end), or End().
  size_t Seek(int64_t index) const;
  // First element at or after `pos` equal to `v`, looking only at every
  // (skip + 1)-th element (skip 1 searches the fields of field/value
  // pairs); End() if none.
  size_t Find(std::string_view v, size_t pos, size_t skip = 0) const;

  // Inserts `v` before `pos` (End() appends); returns the new element's
  // position.
  size_t Insert(size_t pos, std::string_view v);
  void Append(std::string_view v) { Insert(End(), v); }
  void Prepend(std::string_view v) { Insert(First(), v); }
  // Replaces the element at `pos`; returns its (unchanged) position.
  size_t Replace(size_t pos, std::string_view v);
  // Removes `count` elements from `pos`; returns the position of the element
  // that followed them.
  size_t Erase(size_t pos, size_t count = 1);
  void Clear();

 private:
  static constexpr size_t kHeader = 8;
  uint32_t Used() const;
  uint32_t Count() const;
  void SetHeader(uint32_t used, uint32_t count);
  // Opens (delta > 0) or removes (delta < 0) bytes at `pos`.
  void Resize(size_t pos, int64_t delta);

  unsigned char* buf_ = nullptr;
};

}  // namespace magpie
