// HashValue: the value of a hash key, in one of three encodings.
//
//   listpack    field,value pairs in one Listpack (types/listpack.h), in
//               insertion order; used while the hash is small.
//   listpackex  the same with a third element per field holding its expire
//               time (empty, or 8 bytes little-endian unix ms): used while a
//               small hash has at least one field with a TTL.
//   hashtable   FieldTable below: open addressing over 8-byte slots, each a
//               pointer to one compact node [flags][len][field][len][value]
//               [expire?]. A field costs its node (bytes + 3) plus 8-16
//               bytes of slot, where Redis spends a 24-byte dictEntry, two
//               sds headers and a bucket.
//
// The command family (commands/hash_family.cc) decides when to convert
// (hash-max-listpack-entries / -value); conversion is one-way, as in Redis.
//
// Field expiry (Redis 7.4 HEXPIRE...): a field whose expire time is < now
// is dead. The family purges dead fields before every command (so no reply
// ever sees one) and the shard's active cycle purges hashes nobody reads.
// Invariants: ttl_->fields counts fields with an expire time; ttl_->next
// is a lower bound of their expire times (exact after a purge); in the
// hashtable, ttl_->index holds (expire, node) for exactly the fields with a
// TTL. MemoryUsage is O(1): table_bytes_ follows every node and slot
// allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <new>
#include <set>
#include <string_view>
#include <utility>

#include "types/listpack.h"
#include "types/value.h"

namespace magpie {

// The hashtable encoding. Home bucket = top bits of the field's hash, so the
// scan cursor is a position in hash-prefix space that survives resizing:
// every field present for a whole HSCAN is returned even if the table grows
// in between. Deletes leave tombstones, which a rehash clears.
class FieldTable {
 public:
  static constexpr uint64_t kCursorEnd = 1ULL << 48;

  FieldTable() = default;
  ~FieldTable();
  FieldTable(const FieldTable&) = delete;
  FieldTable& operator=(const FieldTable&) = delete;

  size_t size() const { return size_; }
  // Bytes allocated for slots and nodes.
  size_t bytes() const { return bytes_; }

  // The node holding `field`, or nullptr.
  char* Find(std::string_view field) const;
  // Inserts a field known to be absent; takes ownership of `node`.
  void Insert(char* node);
  // Swaps the node of an existing field for `node` (frees the old one).
  void ReplaceNode(char* old_node, char* node);
  // Removes and frees the field's node; false if absent.
  bool Erase(std::string_view field);
  // Visits fields whose hash prefix lies in [cursor, next); returns next
  // (kCursorEnd when done).
  uint64_t Scan(uint64_t cursor, size_t count, const std::function<void(const char*)>& f) const;
  void ForEach(const std::function<void(const char*)>& f) const;
  // A random node (table not empty), using `rnd` as randomness.
  const char* Random(uint64_t rnd) const;
  // Slot index of a random live node, for sampling without repeats.
  size_t RandomSlot(uint64_t rnd) const;
  const char* NodeAt(size_t slot) const;
  void Reserve(size_t n);

  // Node helpers.
  static char* NewNode(std::string_view field, std::string_view value, int64_t expire_ms);
  static std::string_view NodeField(const char* n);
  static std::string_view NodeValue(const char* n);
  // -1 when the node has no expire time.
  static int64_t NodeExpire(const char* n);
  static size_t NodeBytes(const char* n);

 private:
  static constexpr uint64_t kTombstone = 1;
  static bool Live(uint64_t s) { return s > kTombstone; }
  static char* Ptr(uint64_t s) { return reinterpret_cast<char*>(s & ((1ULL << 48) - 1)); }
  uint64_t* Probe(std::string_view field, uint64_t hash) const;
  void Rehash(uint32_t bits);
  void InsertPacked(uint64_t packed, uint64_t hash);

  uint64_t* slots_ = nullptr;
  uint64_t mask_ = 0;
  uint32_t bits_ = 0;
  size_t size_ = 0;
  size_t tombstones_ = 0;
  size_t bytes_ = 0;
};

class HashValue final : public CollectionOf<HashValue> {
 public:
  enum class Enc : uint8_t { kListpack, kListpackEx, kHashtable };
  using Visit = std::function<void(std::string_view field, std::string_view value)>;

  HashValue();
  ~HashValue() override;
  HashValue(const HashValue& other);
  HashValue(HashValue&& other) noexcept;
  HashValue& operator=(const HashValue&) = delete;

  size_t MemoryUsage() const override;
  CollectionValue* Clone() const override;
  bool HasVolatileSubkeys() const override { return ttl_count() > 0; }

  Enc encoding() const;
  size_t size() const;
  bool empty() const { return size() == 0; }

  // The field's value (valid until the next change), or false.
  bool Get(std::string_view field, std::string_view* value) const;
  bool Exists(std::string_view field) const;
  // Sets a field and clears its TTL; true if the field is new.
  bool Set(std::string_view field, std::string_view value);
  bool Delete(std::string_view field);
  // Moves every field into the hashtable encoding.
  void ConvertToTable();
  void ForEach(const Visit& f) const;
  // One step of HSCAN; a compact hash returns everything and cursor 0.
  uint64_t Scan(uint64_t cursor, size_t count, const Visit& f) const;
  // Uniformly random field (hash not empty).
  std::pair<std::string_view, std::string_view> Random(uint64_t rnd) const;
  // `count` distinct random fields (count < size()).
  void RandomDistinct(size_t count, const std::function<uint64_t()>& rnd, const Visit& f) const;

  // Field TTLs. FieldExpire: -2 no such field, -1 no TTL, else unix ms.
  int64_t FieldExpire(std::string_view field) const;
  // Sets (when_ms >= 0) or removes (-1) the TTL of an existing field.
  void SetFieldExpire(std::string_view field, int64_t when_ms);
  // Earliest expire time of any field (a lower bound), INT64_MAX if none.
  int64_t NextExpire() const { return ttl_count() ? ttl()->next : INT64_MAX; }
  // Deletes up to `max` fields whose expire time is < now_ms; returns how
  // many were deleted.
  size_t ExpireFields(int64_t now_ms, size_t max);

 private:
  // Listpack stride: 2 elements per field, 3 in listpackex.
  size_t Stride() const { return ttl() ? 3 : 2; }
  size_t LpFind(std::string_view field) const;
  // Switches the listpack between pairs and triples (ttl_count() 0 <-> 1).
  void LpReshape(bool to_triples);
  void NoteTtl(int64_t before, int64_t after, const char* node_before, const char* node_after);

  // Field-TTL bookkeeping, allocated once a field first gets a TTL.
  struct TtlState {
    uint32_t fields = 0;  // fields with an expire time
    int64_t next = INT64_MAX;
    // (expire, node) of the hashtable's fields with a TTL.
    std::set<std::pair<int64_t, const char*>> index;
  };
  uint32_t ttl_count() const { return ttl() ? ttl()->fields : 0; }

  // Everything but a plain listpack: listpackex and hashtable state.
  struct Big {
    Listpack lp;  // listpackex triples (empty in the hashtable encoding)
    FieldTable* table = nullptr;
    TtlState* ttl = nullptr;
  };
  // rep_ holds either the Listpack of a plain listpack hash (the common
  // small hash then costs 16 bytes here, as much as Redis's robj) or, tagged
  // with bit 0, a Big*. A Listpack is one malloc'd pointer, so bit 0 of a
  // live one is always clear.
  uintptr_t raw() const {
    uintptr_t v;
    memcpy(&v, rep_, sizeof(v));
    return v;
  }
  bool is_big() const { return raw() & 1; }
  Big* big() const { return reinterpret_cast<Big*>(raw() & ~uintptr_t{1}); }
  Listpack* inline_lp() const {
    return std::launder(reinterpret_cast<Listpack*>(const_cast<unsigned char*>(rep_)));
  }
  Listpack& lp() { return is_big() ? big()->lp : *inline_lp(); }
  const Listpack& lp() const { return is_big() ? big()->lp : *inline_lp(); }
  FieldTable* table() const { return is_big() ? big()->table : nullptr; }
  TtlState* ttl() const { return is_big() ? big()->ttl : nullptr; }
  Big* Promote();
  void SetTable(FieldTable* t) { Promote()->table = t; }
  // Replaces (and frees) the TTL state.
  void SetTtl(TtlState* t);

  alignas(Listpack) unsigned char rep_[sizeof(Listpack)];
};

}  // namespace magpie
