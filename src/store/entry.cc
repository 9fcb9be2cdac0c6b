#include "store/entry.h"

#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "common/util.h"
#include "store/evict.h"
#include "types/value.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace magpie {

namespace {
uint64_t g_hash_seed = 0x6d616770696521ULL;
}

void SeedKeyHash(uint64_t seed) { g_hash_seed = seed; }

uint64_t HashKey(std::string_view key) {
  return XXH3_64bits_withSeed(key.data(), key.size(), g_hash_seed);
}

const char* TypeName(ObjType t) {
  switch (t) {
    case ObjType::kString: return "string";
    case ObjType::kList: return "list";
    case ObjType::kSet: return "set";
    case ObjType::kZSet: return "zset";
    case ObjType::kHash: return "hash";
    case ObjType::kStream: return "stream";
  }
  return "none";
}

const char* EncodingName(Encoding e) {
  switch (e) {
    case Encoding::kRaw: return "raw";
    case Encoding::kInt: return "int";
    case Encoding::kEmbStr: return "embstr";
    case Encoding::kHashtable: return "hashtable";
    case Encoding::kIntset: return "intset";
    case Encoding::kSkiplist: return "skiplist";
    case Encoding::kQuicklist: return "quicklist";
    case Encoding::kListpack: return "listpack";
    case Encoding::kListpackEx: return "listpackex";
  }
  return "unknown";
}

Encoding StringEncodingFor(std::string_view value) {
  if (value.size() <= 20 && ParseInt64(value)) return Encoding::kInt;
  return value.size() <= Entry::kEmbStrMax ? Encoding::kEmbStr : Encoding::kRaw;
}

uint64_t NextCas() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

bool Entry::CompactWanted() { return IsS3Fifo(CurrentPolicy()); }

Entry* Entry::Allocate(std::string_view key, size_t value_len, size_t capacity, bool expire,
                       bool mc, bool compact) {
  if (capacity < value_len) capacity = value_len;
  compact = compact && !mc && key.size() <= kCompactMax && capacity <= kCompactMax;
  size_t size = (compact ? kCompactHeaderSize : kHeaderSize) + (expire ? kExpireBlockSize : 0) +
                (mc ? kMcBlockSize : 0) + key.size() + capacity;
  // Every entry spans at least the full header, so reading a member never
  // leaves the allocation (jemalloc has no class below 16 bytes but 8).
  if (size < kHeaderSize) size = kHeaderSize;
  void* mem = malloc(size);
  if (mem == nullptr) throw std::bad_alloc();
  Entry* e = new (mem) Entry();
  e->flags_ = static_cast<uint8_t>((expire ? kHasExpire : 0) | (mc ? kHasMcMeta : 0) |
                                   (compact ? kCompact : 0));
  e->reserved_ = 0;
  if (compact) {
    e->type_ = static_cast<uint8_t>(key.size());
    e->enc_ = static_cast<uint8_t>(value_len);
  } else {
    e->key_len_ = static_cast<uint32_t>(key.size());
    e->val_len_ = static_cast<uint32_t>(value_len);
    e->type_ = static_cast<uint8_t>(ObjType::kString);
    e->enc_ = static_cast<uint8_t>(Encoding::kRaw);
    e->access_ = NewAccessBits();
  }
  if (expire) {
    e->set_expire_ms(0);
    e->set_volatile_index(0);
  }
  if (mc) {
    uint32_t zero = 0;
    uint64_t cas = NextCas();
    memcpy(e->mc_block(), &zero, sizeof(zero));
    memcpy(e->mc_block() + 4, &cas, sizeof(cas));
  }
  memcpy(e->key_ptr(), key.data(), key.size());
  return e;
}

void Entry::set_encoding(Encoding enc) {
  if (compact()) {
    uint8_t code = enc == Encoding::kInt ? 1 : enc == Encoding::kEmbStr ? 2 : 0;
    flags_ = static_cast<uint8_t>((flags_ & ~0x30) | (code << 4));
  } else {
    enc_ = static_cast<uint8_t>(enc);
  }
  flags_ &= static_cast<uint8_t>(~kPrivateInt);
}

void Entry::set_mc_state(uint8_t st) {
  if (!compact()) {
    reserved_ = st;
    return;
  }
  reserved_ = static_cast<uint8_t>((reserved_ & kEvictMask) | ((st & 7) << 5));
  flags_ = static_cast<uint8_t>((st & kMcBinaryKey) ? (flags_ | kCompactMcBit)
                                                    : (flags_ & ~kCompactMcBit));
}

void Entry::CopyMetaTo(Entry* e, bool keep_volatile_index) const {
  if (has_expire() && e->has_expire()) {
    e->set_expire_ms(expire_ms());
    if (keep_volatile_index) e->set_volatile_index(volatile_index());
  }
  if (has_mc_meta() && e->has_mc_meta()) {
    uint32_t f = mc_flags();
    memcpy(e->mc_block(), &f, sizeof(f));  // the CAS stays the fresh one
  }
  if (!e->compact()) e->type_ = static_cast<uint8_t>(type());
  bool private_int = flags_ & kPrivateInt;
  e->set_encoding(encoding());
  // A copy without a clock of its own keeps the new one Allocate gave it.
  if (has_clock()) e->set_access_bits(access_bits());
  e->set_evict_bits(evict_bits());
  e->set_mc_state(mc_state());
  if (private_int) e->flags_ |= kPrivateInt;
}

Entry* Entry::Expanded() const {
  Entry* e = Allocate(key(), val_len(), val_len(), has_expire(), has_mc_meta(), false);
  CopyMetaTo(e, true);
  e->flags_ |= flags_ & kSnapshotDone;
  memcpy(e->mutable_str(), str().data(), val_len());
  return e;
}

Entry* Entry::NewString(std::string_view key, std::string_view value, int64_t expire_ms,
                        size_t capacity) {
  Entry* e = Allocate(key, value.size(), capacity, expire_ms >= 0, false,
                      CompactWanted());
  if (expire_ms >= 0) e->set_expire_ms(expire_ms);
  if (!value.empty()) memcpy(e->mutable_str(), value.data(), value.size());
  e->set_encoding(StringEncodingFor(value));
  return e;
}

Entry* Entry::NewMemcache(std::string_view key, std::string_view value, int64_t expire_ms,
                          uint32_t flags) {
  Entry* e = Allocate(key, value.size(), 0, expire_ms >= 0, true, false);
  if (expire_ms >= 0) e->set_expire_ms(expire_ms);
  memcpy(e->mc_block(), &flags, sizeof(flags));
  if (!value.empty()) memcpy(e->mutable_str(), value.data(), value.size());
  e->set_encoding(StringEncodingFor(value));
  return e;
}

Entry* Entry::AllocateCollection(std::string_view key, ObjType type, Encoding enc,
                                 size_t object_size, int64_t expire_ms) {
  // Entries are malloc'd 16-byte aligned, so the padding that aligns the
  // value object depends only on the header and key sizes.
  size_t before = kHeaderSize + (expire_ms >= 0 ? kExpireBlockSize : 0) + key.size();
  size_t pad = ((before + 7) & ~size_t{7}) - before;
  Entry* e = Allocate(key, pad + object_size, 0, expire_ms >= 0, false, false);
  if (expire_ms >= 0) e->set_expire_ms(expire_ms);
  e->type_ = static_cast<uint8_t>(type);
  e->enc_ = static_cast<uint8_t>(enc);
  return e;
}

Entry* Entry::NewCollection(std::string_view key, ObjType type, Encoding enc,
                            CollectionValue* value, int64_t expire_ms) {
  Entry* e = AllocateCollection(key, type, enc, value->ObjectSize(), expire_ms);
  value->MoveTo(e->value_slot());
  delete value;
  return e;
}

char* Entry::value_slot() const {
  auto p = reinterpret_cast<uintptr_t>(key_ptr() + key_len());
  return reinterpret_cast<char*>((p + 7) & ~uintptr_t{7});
}

CollectionValue* Entry::value() const {
  if (!is_collection()) return nullptr;
  return std::launder(reinterpret_cast<CollectionValue*>(value_slot()));
}

void Entry::ReplaceValue(CollectionValue* v) {
  value()->~CollectionValue();
  v->MoveTo(value_slot());
  delete v;
}

Entry* Entry::WithValue(std::string_view value, size_t capacity) const {
  Entry* e = Allocate(key(), value.size(), capacity, has_expire(), has_mc_meta(),
                      CompactWanted());
  CopyMetaTo(e, true);
  if (!value.empty()) memcpy(e->mutable_str(), value.data(), value.size());
  return e;
}

Entry* Entry::WithExpire(int64_t expire_ms) {
  if (is_collection()) {
    Entry* e = AllocateCollection(key(), type(), encoding(), value()->ObjectSize(), expire_ms);
    CopyMetaTo(e, true);
    if (expire_ms >= 0) e->set_expire_ms(expire_ms);
    value()->MoveTo(e->value_slot());
    return e;
  }
  Entry* e = Allocate(key(), val_len(), val_len(), expire_ms >= 0, has_mc_meta(),
                      CompactWanted());
  CopyMetaTo(e, true);
  if (expire_ms >= 0) e->set_expire_ms(expire_ms);
  if (has_mc_meta()) {
    uint64_t c = cas();  // a TTL change keeps the CAS, as memcached's touch does
    memcpy(e->mc_block() + 4, &c, sizeof(c));
  }
  memcpy(e->mutable_str(), str().data(), val_len());
  return e;
}

Entry* Entry::WithMcMeta(uint32_t flags) const {
  Entry* e = Allocate(key(), val_len(), val_len(), has_expire(), true, false);
  CopyMetaTo(e, true);
  memcpy(e->mc_block(), &flags, sizeof(flags));
  memcpy(e->mutable_str(), str().data(), val_len());
  return e;
}

Entry* Entry::CloneAs(std::string_view new_key, int64_t expire_ms, bool copy) {
  if (is_collection()) {
    Entry* e = AllocateCollection(new_key, type(), encoding(), value()->ObjectSize(), expire_ms);
    CopyMetaTo(e, false);
    if (expire_ms >= 0) e->set_expire_ms(expire_ms);
    copy ? value()->CloneTo(e->value_slot()) : value()->MoveTo(e->value_slot());
    return e;
  }
  Entry* e = Allocate(new_key, val_len(), val_len(), expire_ms >= 0, has_mc_meta(),
                      CompactWanted());
  CopyMetaTo(e, false);
  if (expire_ms >= 0) e->set_expire_ms(expire_ms);
  memcpy(e->mutable_str(), str().data(), val_len());
  if (copy) e->flags_ |= kPrivateInt;
  return e;
}

uint32_t Entry::mc_flags() const {
  if (!has_mc_meta()) return 0;
  uint32_t f;
  memcpy(&f, mc_block(), sizeof(f));
  return f;
}

uint64_t Entry::cas() const {
  if (!has_mc_meta()) return 0;
  uint64_t c;
  memcpy(&c, mc_block() + 4, sizeof(c));
  return c;
}

void Entry::BumpCas() {
  if (!has_mc_meta()) return;
  uint64_t c = NextCas();
  memcpy(mc_block() + 4, &c, sizeof(c));
}

bool Entry::shared_int() const {
  if (encoding() != Encoding::kInt || (flags_ & kPrivateInt)) return false;
  auto v = ParseInt64(str());
  return v && *v >= 0 && *v < 10000;
}

void Entry::Free(Entry* e) {
  if (e == nullptr) return;
  if (e->is_collection()) e->value()->~CollectionValue();
  e->~Entry();
  free(e);
}

size_t Entry::str_capacity() const {
  size_t overhead = static_cast<size_t>(key_ptr() - reinterpret_cast<const char*>(this)) + key_len();
  size_t n = malloc_usable_size(const_cast<Entry*>(this)) - overhead;
  return compact() && n > kCompactMax ? kCompactMax : n;
}

size_t Entry::AllocatedSize() const {
  size_t n = malloc_usable_size(const_cast<Entry*>(this));
  if (CollectionValue* v = value()) n += v->MemoryUsage();
  return n;
}

}  // namespace magpie
