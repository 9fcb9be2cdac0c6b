#include "store/entry.h"

#include <malloc.h>

#include <cstdlib>
#include <new>

#include "common/util.h"

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
  }
  return "unknown";
}

Encoding StringEncodingFor(std::string_view value) {
  if (value.size() <= 20 && ParseInt64(value)) return Encoding::kInt;
  return value.size() <= Entry::kEmbStrMax ? Encoding::kEmbStr : Encoding::kRaw;
}

Entry* Entry::Allocate(std::string_view key, size_t value_len, size_t capacity, bool expire) {
  if (capacity < value_len) capacity = value_len;
  size_t size = kHeaderSize + (expire ? kExpireBlockSize : 0) + key.size() + capacity;
  void* mem = malloc(size);
  if (mem == nullptr) throw std::bad_alloc();
  Entry* e = new (mem) Entry();
  e->key_len_ = static_cast<uint32_t>(key.size());
  e->val_len_ = static_cast<uint32_t>(value_len);
  e->type_ = static_cast<uint8_t>(ObjType::kString);
  e->enc_ = static_cast<uint8_t>(Encoding::kRaw);
  e->flags_ = expire ? kHasExpire : 0;
  e->reserved_ = 0;
  e->lru_ = 0;
  memcpy(e->key_ptr(), key.data(), key.size());
  return e;
}

Entry* Entry::NewString(std::string_view key, std::string_view value, int64_t expire_ms,
                        size_t capacity) {
  Entry* e = Allocate(key, value.size(), capacity, expire_ms >= 0);
  if (expire_ms >= 0) {
    e->set_expire_ms(expire_ms);
    e->set_volatile_index(0);
  }
  if (!value.empty()) memcpy(e->mutable_str(), value.data(), value.size());
  e->enc_ = static_cast<uint8_t>(StringEncodingFor(value));
  e->lru_ = static_cast<uint32_t>(NowMs() / 1000);
  return e;
}

Entry* Entry::WithValue(std::string_view value, size_t capacity) const {
  Entry* e = Allocate(key(), value.size(), capacity, has_expire());
  if (has_expire()) {
    e->set_expire_ms(expire_ms());
    e->set_volatile_index(volatile_index());
  }
  if (!value.empty()) memcpy(e->mutable_str(), value.data(), value.size());
  e->type_ = type_;
  e->enc_ = enc_;
  e->lru_ = lru_;
  e->flags_ |= flags_ & kPrivateInt;
  return e;
}

Entry* Entry::WithExpire(int64_t expire_ms) const {
  Entry* e = Allocate(key(), val_len_, val_len_, expire_ms >= 0);
  if (expire_ms >= 0) {
    e->set_expire_ms(expire_ms);
    e->set_volatile_index(has_expire() ? volatile_index() : 0);
  }
  memcpy(e->mutable_str(), str().data(), val_len_);
  e->type_ = type_;
  e->enc_ = enc_;
  e->lru_ = lru_;
  e->flags_ |= flags_ & kPrivateInt;
  return e;
}

Entry* Entry::CloneAs(std::string_view new_key, int64_t expire_ms, bool copy) const {
  Entry* e = Allocate(new_key, val_len_, val_len_, expire_ms >= 0);
  if (expire_ms >= 0) {
    e->set_expire_ms(expire_ms);
    e->set_volatile_index(0);
  }
  memcpy(e->mutable_str(), str().data(), val_len_);
  e->type_ = type_;
  e->enc_ = enc_;
  e->lru_ = lru_;
  if (copy) e->flags_ |= kPrivateInt;
  return e;
}

bool Entry::shared_int() const {
  if (encoding() != Encoding::kInt || (flags_ & kPrivateInt)) return false;
  auto v = ParseInt64(str());
  return v && *v >= 0 && *v < 10000;
}

void Entry::Free(Entry* e) {
  if (e == nullptr) return;
  e->~Entry();
  free(e);
}

size_t Entry::str_capacity() const {
  size_t overhead = kHeaderSize + (has_expire() ? kExpireBlockSize : 0) + key_len_;
  return malloc_usable_size(const_cast<Entry*>(this)) - overhead;
}

size_t Entry::AllocatedSize() const { return malloc_usable_size(const_cast<Entry*>(this)); }

}  // namespace magpie
