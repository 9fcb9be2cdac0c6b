// CollectionValue: the value of a hash, list, set or sorted set key.
//
// A string lives inline in its Entry, and so does every other type's value
// object: an Entry of a collection type holds its CollectionValue in its own
// allocation, right after the key (8-byte aligned), so a small hash costs
// one allocation for the key and its object plus the object's listpack.
// Entry::Free destroys the object, Entry::AllocatedSize adds MemoryUsage
// (what the object allocated outside itself), COPY clones it into the new
// entry (CloneTo) and a TTL change or RENAME moves it there (MoveTo); the
// moved-from object left behind owns nothing and is destroyed with its
// entry.
//
// Each type (types/hash.h, list.h, set.h, zset.h) derives from it and
// chooses its own compact and large encodings; the command family stores
// the encoding OBJECT ENCODING reports in the Entry header.
//
// MemoryUsage must be O(1): values keep a running count of the bytes they
// allocated. A command that changes a value in place reports the change to
// its shard through ValueChange (commands/helpers.h).
#pragma once

#include <cstddef>

namespace magpie {

class CollectionValue {
 public:
  virtual ~CollectionValue() = default;
  // Bytes allocated by this value outside the object itself.
  virtual size_t MemoryUsage() const = 0;
  // sizeof the concrete type: the room an Entry reserves for the object.
  virtual size_t ObjectSize() const = 0;
  // Move- or copy-constructs the concrete type at `dst` (ObjectSize()
  // bytes, 8-byte aligned).
  virtual void MoveTo(void* dst) = 0;
  virtual void CloneTo(void* dst) const = 0;
  // A deep copy on the heap (tests).
  virtual CollectionValue* Clone() const = 0;
  // Whether some element has its own TTL (hash field expiration): the shard
  // then lists the key for its active subkey-expiry cycle.
  virtual bool HasVolatileSubkeys() const { return false; }
};

// The CollectionValue members every concrete type T defines the same way.
template <typename T>
class CollectionOf : public CollectionValue {
 public:
  size_t ObjectSize() const final { return sizeof(T); }
  void MoveTo(void* dst) final { new (dst) T(static_cast<T&&>(*static_cast<T*>(this))); }
  void CloneTo(void* dst) const final { new (dst) T(*static_cast<const T*>(this)); }
};

}  // namespace magpie
