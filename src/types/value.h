// CollectionValue: the heap value of a hash, list, set or sorted set key.
//
// A string lives inline in its Entry. Every other type keeps, in the value
// bytes of its Entry, one pointer to a CollectionValue that the Entry owns:
// Entry::Free deletes it, Entry::AllocatedSize adds its MemoryUsage (so the
// shard's byte count, INFO and MEMORY USAGE see it), COPY clones it and
// RENAME/MOVE/TTL changes move the pointer to the new Entry.
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
  // Bytes allocated for this value, including the object itself.
  virtual size_t MemoryUsage() const = 0;
  // A deep copy (COPY).
  virtual CollectionValue* Clone() const = 0;
  // Whether some element has its own TTL (hash field expiration): the shard
  // then lists the key for its active subkey-expiry cycle.
  virtual bool HasVolatileSubkeys() const { return false; }
};

}  // namespace magpie
