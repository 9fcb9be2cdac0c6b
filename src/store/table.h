// Table: the per-shard hash table from key to Entry*.
//
// Open addressing with linear probing over 8-byte slots. A slot holds the
// entry pointer in its low 48 bits and 16 bits of the key's hash (bits 32..47)
// in its top bits, so most mismatching probes are rejected without touching
// the entry. The top 32 bits of a hash therefore give both the home bucket and
// the tag: FindHashPrefix finds a key from them alone (S3-FIFO's queues).
//
// Growth never pauses: when the load passes 4/5 a table 1.14-1.25 times the
// size (fitted to an allocator size class) is allocated and becomes the
// insert target, so the load stays between 0.64 and 0.8 (10-12.5 bytes of
// slot per key; doubling at 3/4 would let it fall to 3/8, 21 bytes); the old
// array is migrated a few slots per write (and in the background cron) until
// empty. Linear probing at 4/5 load still finds a key in 3 probes on
// average and a miss in 13 (Knuth), all in adjacent slots.
// Lookups check both arrays while a migration runs. Deletes in the current array use
// backward-shift deletion (no tombstones); deletes in the array being
// migrated leave a tombstone, so the migration cursor never misses an entry.
//
// Home bucket = (top 32 bits of the hash x capacity) >> 32, which needs no
// power-of-two capacity and keeps buckets in the order of hash prefix at
// every size. SCAN's cursor is therefore a position in hash-prefix space (48
// bits), independent of the table's size: every key present for a whole scan
// is returned even when the table grows or shrinks in between.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "store/entry.h"

namespace magpie {

class Table {
 public:
  static constexpr uint64_t kCursorEnd = 1ULL << 48;

  Table() = default;
  ~Table();
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  Entry* Find(std::string_view key, uint64_t hash) const;
  // The entry whose key hash has these top 32 bits, or nullptr.
  Entry* FindHashPrefix(uint32_t prefix) const;
  // Inserts an entry whose key is absent.
  void Insert(Entry* e, uint64_t hash);
  // Points the slot holding `old_e` at `new_e` (same key).
  void Replace(Entry* old_e, Entry* new_e, uint64_t hash);
  // Removes the entry for `key`; returns it, or nullptr if absent.
  Entry* Remove(std::string_view key, uint64_t hash);

  size_t size() const { return size_; }
  size_t capacity() const { return cur_.cap + old_.cap; }
  bool migrating() const { return old_.slots != nullptr; }
  // Moves up to `n` slots of the old array into the new one.
  void MigrateStep(size_t n);

  // Visits entries whose hash prefix lies in [cursor, next) where next
  // covers about `count` buckets; returns next (kCursorEnd when done).
  // `visit` takes the entry, or the entry and its 48-bit hash prefix.
  template <typename F>
  uint64_t Scan(uint64_t cursor, size_t count, F&& visit) const;
  // Picks a random entry (nullptr if empty) using `rnd` as randomness.
  Entry* Random(uint64_t rnd) const;
  template <typename F>
  void ForEach(F&& visit) const;
  // Drops all slots (entries are not freed: the owner frees them first).
  void Clear();
  void Swap(Table& other);

  // Bytes used by the slot arrays.
  size_t SlotBytes() const { return capacity() * sizeof(uint64_t); }
  // Bytes of all tables' arrays mapped outside the allocator (large ones):
  // used_memory adds them to the allocator's figure.
  static int64_t MappedBytes();

 private:
  struct Array {
    uint64_t* slots = nullptr;
    uint64_t cap = 0;  // slots; 0 when empty
    size_t live = 0;   // entries stored here
    uint64_t Next(uint64_t pos) const { return pos + 1 == cap ? 0 : pos + 1; }
  };

  static constexpr uint64_t kTombstone = 1;
  static constexpr uint64_t kMinCapacity = 8;
  static constexpr size_t kMigratePerInsert = 16;

  static uint64_t Tag(uint64_t hash) { return hash >> 32 << 48; }
  static uint64_t Pack(Entry* e, uint64_t hash) {
    return Tag(hash) | reinterpret_cast<uint64_t>(e);
  }
  static Entry* Ptr(uint64_t slot) { return reinterpret_cast<Entry*>(slot & ((1ULL << 48) - 1)); }
  static bool Live(uint64_t slot) { return slot > kTombstone; }
  static uint64_t Home(const Array& a, uint64_t hash) { return ((hash >> 32) * a.cap) >> 32; }

  static Array NewArray(uint64_t cap);
  static void FreeArray(Array& a);
  static uint64_t* Probe(const Array& a, std::string_view key, uint64_t hash);
  static Entry* ProbePrefix(const Array& a, uint32_t prefix);
  static void InsertInto(Array& a, uint64_t packed, uint64_t hash);
  static void BackwardShiftErase(Array& a, uint64_t pos);
  void StartResize(uint64_t cap);
  void MaybeResize();
  // Slots below `migrated` are all tombstones (the old array's migrated
  // part): the walk jumps over them.
  template <typename F>
  static void ScanArray(const Array& a, uint64_t migrated, uint64_t lo, uint64_t hi, F& visit);

  Array cur_;
  Array old_;                // being migrated into cur_, slots == nullptr otherwise
  uint64_t migrate_pos_ = 0;  // next slot of old_ to migrate
  size_t size_ = 0;
};

template <typename F>
void Table::ScanArray(const Array& a, uint64_t migrated, uint64_t lo, uint64_t hi, F& visit) {
  if (a.slots == nullptr || a.live == 0 || migrated >= a.cap) return;
  // Keys of prefix [lo, hi) have homes in [start, last]; linear probing may
  // have pushed them further on, up to the first empty slot after last.
  uint64_t start = Home(a, lo << 16);
  uint64_t last = Home(a, (hi - 1) << 16);
  uint64_t span = last - start;  // pos is past last once i > span
  uint64_t pos = start;
  for (uint64_t i = 0; i < a.cap; ++i, pos = a.Next(pos)) {
    if (pos < migrated) {
      i += migrated - pos - 1;  // the loop's step lands on `migrated`
      pos = migrated - 1;
      continue;
    }
    uint64_t slot = a.slots[pos];
    if (slot == 0) {
      if (i > span) break;
      continue;
    }
    if (!Live(slot)) continue;
    Entry* e = Ptr(slot);
    uint64_t prefix = HashKey(e->key()) >> 16;
    if (prefix < lo || prefix >= hi) continue;
    if constexpr (std::is_invocable_v<F&, Entry*, uint64_t>) {
      visit(e, prefix);
    } else {
      visit(e);
    }
  }
}

template <typename F>
uint64_t Table::Scan(uint64_t cursor, size_t count, F&& visit) const {
  if (size_ == 0) return kCursorEnd;
  uint64_t cap = cur_.cap > old_.cap ? cur_.cap : old_.cap;
  // The prefix span of one bucket of the larger array; aim at about `count`
  // buckets (at most 4/5 full).
  uint64_t unit = kCursorEnd / cap + 1;
  uint64_t buckets = count < 1 ? 1 : count;
  uint64_t hi = buckets >= kCursorEnd / unit ? kCursorEnd : cursor + buckets * unit;
  if (hi > kCursorEnd || hi <= cursor) hi = kCursorEnd;
  ScanArray(cur_, 0, cursor, hi, visit);
  ScanArray(old_, migrate_pos_, cursor, hi, visit);
  return hi;
}

template <typename F>
void Table::ForEach(F&& visit) const {
  for (const Array* a : {&cur_, &old_}) {
    if (a->slots == nullptr) continue;
    for (uint64_t i = 0; i < a->cap; ++i) {
      if (Live(a->slots[i])) visit(Ptr(a->slots[i]));
    }
  }
}

}  // namespace magpie
