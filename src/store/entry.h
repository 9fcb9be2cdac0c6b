// Entry: one key and its value in a single allocation.
//
//   [header 16 B][expire 12 B if kHasExpire][memcached 12 B if kHasMcMeta][key][value]
//
// The header holds the key and value lengths, the type, the encoding Redis
// would report, flags and the access clock. Keys without a TTL pay nothing
// for expiry; keys with one carry the absolute expire time and their index in
// the shard's volatile-key array (so active expiry can sample them in O(1)
// and remove them without a search). Keys written through the memcached
// port also carry their 32-bit client flags and 64-bit CAS unique; keys
// only Redis ever wrote pay nothing for them. Strings are stored inline after the key;
// an entry may have spare capacity after the value (left by APPEND/SETRANGE
// growth), which malloc_usable_size reports.
//
// Compact entries. Under the S3-FIFO policies nothing reads the access clock
// (S3-FIFO keeps its state in 5 bits, and OBJECT IDLETIME is refused there
// as Redis refuses it under LFU), so a string written through the Redis port
// whose key and value capacity fit in a byte each gets a 4-byte header:
//
//   byte 0  flags (kCompact set), the encoding in 2 bits, one memcached bit
//   byte 1  key length      byte 2  value length
//   byte 3  S3-FIFO bits (low 5), three memcached state bits
//
// 12 bytes less per key: a 11-byte key with a 32-byte value fits jemalloc's
// 48-byte class instead of the 64-byte one. A compact entry has no clock:
// clock() reads 0 and set_clock() does nothing. When the policy changes away
// from S3-FIFO the worker cron rewrites a shard's compact entries into the
// full form (Shard::ExpandCompactStep); until then they look least recently
// and least frequently used.
//
// Entries are owned by exactly one shard's table and are only touched with
// that shard's lock held.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace magpie {

enum class ObjType : uint8_t { kString = 0, kList = 1, kSet = 2, kZSet = 3, kHash = 4, kStream = 6 };

// The encodings OBJECT ENCODING reports (Redis's OBJ_ENCODING_* numbers).
enum class Encoding : uint8_t {
  kRaw = 0,
  kInt = 1,
  kHashtable = 2,
  kIntset = 6,
  kSkiplist = 7,
  kEmbStr = 8,
  kQuicklist = 9,
  kListpack = 11,
  kListpackEx = 12,  // a small hash with field TTLs (Redis 7.4)
};

class CollectionValue;

const char* TypeName(ObjType t);
const char* EncodingName(Encoding e);

// Hashes a key for the per-shard tables (xxh3 with a per-process seed).
uint64_t HashKey(std::string_view key);
void SeedKeyHash(uint64_t seed);

class Entry {
 public:
  static constexpr uint8_t kHasExpire = 1;
  // A private copy of a small integer (COPY): Redis would not share it.
  static constexpr uint8_t kPrivateInt = 2;
  // Carries memcached client flags and CAS unique.
  static constexpr uint8_t kHasMcMeta = 4;
  // A snapshot in progress already has this entry's key (written early, or
  // created after the snapshot's instant): its writer must skip it. Set and
  // cleared only by Shard, with the shard's lock held (persistence/snapshot.h).
  static constexpr uint8_t kSnapshotDone = 8;
  // The 4-byte header (see the top of this file).
  static constexpr uint8_t kCompact = 0x80;
  static constexpr size_t kHeaderSize = 16;
  static constexpr size_t kCompactHeaderSize = 4;
  static constexpr size_t kCompactMax = 255;  // longest key, and value capacity
  static constexpr size_t kExpireBlockSize = 12;
  static constexpr size_t kMcBlockSize = 12;
  // Longest string Redis ever stores as embstr.
  static constexpr size_t kEmbStrMax = 44;

  // Allocates a string entry. `expire_ms` < 0 means no TTL. `capacity`
  // (>= value size) reserves room for growth.
  static Entry* NewString(std::string_view key, std::string_view value, int64_t expire_ms,
                          size_t capacity = 0);
  // Allocates a string entry written through the memcached protocol: it
  // carries client flags and a fresh CAS unique.
  static Entry* NewMemcache(std::string_view key, std::string_view value, int64_t expire_ms,
                            uint32_t flags);
  // Allocates an entry of a collection type and moves `value` (allocated
  // with new by the caller) into it; `value` itself is deleted.
  static Entry* NewCollection(std::string_view key, ObjType type, Encoding enc,
                              CollectionValue* value, int64_t expire_ms = -1);
  // Allocates an entry of a collection type holding a new, empty T.
  template <typename T>
  static Entry* NewEmptyCollection(std::string_view key, ObjType type, Encoding enc) {
    Entry* e = AllocateCollection(key, type, enc, sizeof(T), -1);
    new (e->value_slot()) T();
    return e;
  }
  // Copies this entry with a new value; keeps key, expire and clock.
  Entry* WithValue(std::string_view value, size_t capacity = 0) const;
  // Copies this entry with a TTL set (expire_ms >= 0) or removed (< 0). A
  // collection value is moved into the copy, which must replace this entry
  // (Shard::Replace) before anything reads it again.
  Entry* WithExpire(int64_t expire_ms);
  // Copies this entry with memcached flags and a fresh CAS unique.
  Entry* WithMcMeta(uint32_t flags) const;
  // Copies this entry under another key with an optional TTL; `copy` makes
  // a duplicate value (COPY); otherwise a collection value is moved into the
  // copy and this entry is only good for freeing (RENAME, which detaches it
  // first).
  Entry* CloneAs(std::string_view key, int64_t expire_ms, bool copy);
  static void Free(Entry* e);

  bool compact() const { return flags_ & kCompact; }
  std::string_view key() const { return {key_ptr(), key_len()}; }
  // The value of a hash, list, set or sorted set (nullptr for strings).
  bool is_collection() const { return type() != ObjType::kString; }
  CollectionValue* value() const;
  // Destroys the value and moves `v` (same concrete type, allocated with new)
  // into its place; `v` itself is deleted.
  void ReplaceValue(CollectionValue* v);
  std::string_view str() const { return {key_ptr() + key_len(), val_len()}; }
  char* mutable_str() { return key_ptr() + key_len(); }
  // Bytes available for the value without reallocating.
  size_t str_capacity() const;
  // `n` <= str_capacity().
  void set_str_len(size_t n) {
    if (compact()) {
      enc_ = static_cast<uint8_t>(n);
    } else {
      val_len_ = static_cast<uint32_t>(n);
    }
  }

  ObjType type() const { return compact() ? ObjType::kString : static_cast<ObjType>(type_); }
  Encoding encoding() const {
    return compact() ? kCompactEncodings[(flags_ >> 4) & 3] : static_cast<Encoding>(enc_);
  }
  // Sets the encoding (raw, int or embstr for a string); a new integer value
  // is shareable again.
  void set_encoding(Encoding e);

  bool has_expire() const { return flags_ & kHasExpire; }
  bool snapshot_done() const { return flags_ & kSnapshotDone; }
  void set_snapshot_done(bool v) {
    flags_ = static_cast<uint8_t>(v ? (flags_ | kSnapshotDone) : (flags_ & ~kSnapshotDone));
  }
  // Whether Redis would hold this value in its shared integer objects
  // (0..9999, int encoding): OBJECT REFCOUNT reports INT_MAX for those.
  bool shared_int() const;
  int64_t expire_ms() const {
    int64_t v;
    memcpy(&v, block(), sizeof(v));
    return v;
  }
  void set_expire_ms(int64_t v) { memcpy(block(), &v, sizeof(v)); }
  uint32_t volatile_index() const {
    uint32_t v;
    memcpy(&v, block() + 8, sizeof(v));
    return v;
  }
  void set_volatile_index(uint32_t i) { memcpy(block() + 8, &i, sizeof(i)); }

  // memcached client flags (0 when Redis wrote the value) and CAS unique.
  bool has_mc_meta() const { return flags_ & kHasMcMeta; }
  uint32_t mc_flags() const;
  uint64_t cas() const;
  // Gives the value a new CAS unique after an in-place change.
  void BumpCas();

  // memcached per-item state used by the meta protocol.
  static constexpr uint8_t kMcFetched = 1;  // read at least once (mg h)
  static constexpr uint8_t kMcStale = 2;    // invalidated (md I / ms I)
  static constexpr uint8_t kMcWinSent = 4;  // a client already won the recache
  static constexpr uint8_t kMcBinaryKey = 8;  // stored with a base64 key (ms b)
  uint8_t mc_state() const {
    if (!compact()) return reserved_;
    return static_cast<uint8_t>((reserved_ >> 5) | (flags_ & kCompactMcBit ? kMcBinaryKey : 0));
  }
  void set_mc_state(uint8_t s);

  // Redis's 24-bit object clock: the LRU clock in seconds, or under an LFU
  // policy the last decrement time in minutes (16 bits) and the logarithmic
  // access counter (8 bits). See store/evict.h. A compact entry has none.
  bool has_clock() const { return !compact(); }
  uint32_t clock() const { return compact() ? 0 : access_ >> 8; }
  void set_clock(uint32_t v) {
    if (!compact()) access_ = (v << 8) | (access_ & 0xFF);
  }
  // Under the LRU policies the whole word is one clock in 1/256 s whose top
  // 24 bits are clock(): finer ties between samples at no cost.
  uint32_t access_bits() const { return compact() ? 0 : access_; }
  void set_access_bits(uint32_t v) {
    if (!compact()) access_ = v;
  }
  // S3-FIFO state: 2-bit access frequency, queue and a scratch mark (5 bits).
  static constexpr uint8_t kEvictMask = 0x1F;
  uint8_t evict_bits() const {
    return compact() ? reserved_ & kEvictMask : static_cast<uint8_t>(access_);
  }
  void set_evict_bits(uint8_t b) {
    if (compact()) {
      reserved_ = static_cast<uint8_t>((reserved_ & ~kEvictMask) | (b & kEvictMask));
    } else {
      access_ = (access_ & ~0xFFu) | b;
    }
  }

  // Bytes of memory this entry occupies (allocator's usable size).
  size_t AllocatedSize() const;

  // The full-form copy of a compact entry, clock set as a new entry's under
  // the current policy; everything else (flags, S3-FIFO bits, volatile
  // index) is kept. The caller swaps it in and frees this one.
  Entry* Expanded() const;

 private:
  // Compact flags byte: bits 4-5 the encoding, bit 6 mc_state's kMcBinaryKey.
  static constexpr uint8_t kCompactMcBit = 0x40;
  static constexpr Encoding kCompactEncodings[4] = {Encoding::kRaw, Encoding::kInt,
                                                    Encoding::kEmbStr, Encoding::kRaw};

  Entry() = default;
  // With `compact` (a string's caller under CompactWanted()) the entry takes
  // the compact form when key and capacity fit in a byte and it carries no
  // memcached block.
  static Entry* Allocate(std::string_view key, size_t value_len, size_t capacity, bool expire,
                         bool mc, bool compact);
  // Whether new strings take the compact form: under an S3-FIFO policy.
  static bool CompactWanted();
  // Copies the value and metadata of this entry into `e` (same layout
  // choices already made by Allocate).
  void CopyMetaTo(Entry* e, bool keep_volatile_index) const;
  static Entry* AllocateCollection(std::string_view key, ObjType type, Encoding enc,
                                   size_t object_size, int64_t expire_ms);
  // Where a collection's value object lives: after the key, 8-byte aligned.
  char* value_slot() const;
  size_t header_size() const { return compact() ? kCompactHeaderSize : kHeaderSize; }
  size_t key_len() const { return compact() ? type_ : key_len_; }
  size_t val_len() const { return compact() ? enc_ : val_len_; }
  char* mc_block() const {
    return const_cast<char*>(reinterpret_cast<const char*>(this)) + header_size() +
           (has_expire() ? kExpireBlockSize : 0);
  }

  char* block() { return reinterpret_cast<char*>(this) + header_size(); }
  const char* block() const { return reinterpret_cast<const char*>(this) + header_size(); }
  char* key_ptr() const { return mc_block() + (has_mc_meta() ? kMcBlockSize : 0); }

  // The first four bytes are the whole header of a compact entry, which
  // reuses them as the comments after the slash say; the rest exist only
  // in the full form (a compact allocation is still at least 16 bytes).
  uint8_t flags_;     // kHasExpire, ... kCompact
  uint8_t type_;      // ObjType / key length
  uint8_t enc_;       // Encoding reported by OBJECT ENCODING / value length
  uint8_t reserved_;  // memcached meta-protocol state (kMc*) / S3-FIFO bits and mc state
  uint32_t key_len_;  // key bytes
  uint32_t val_len_;  // string value bytes
  uint32_t access_;   // clock() in the top 24 bits, evict_bits() in the low 8
};
static_assert(sizeof(Entry) == Entry::kHeaderSize);

// A new CAS unique, increasing across the process.
uint64_t NextCas();

// The encoding Redis gives a freshly set string value.
Encoding StringEncodingFor(std::string_view value);

}  // namespace magpie
