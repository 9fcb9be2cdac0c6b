// S3-FIFO (Yang et al., "FIFO queues are all you need for cache eviction",
// SOSP 2023) for one shard.
//
// Three queues: a small FIFO that new keys enter (about 10% of the shard's
// keys), a main FIFO, and a ghost of keys recently dropped from the small
// queue. Each key counts its accesses in 2 bits. Eviction takes the head of
// the small queue while it holds at least 10% of the keys: a key accessed
// since it entered moves to main, any other is evicted and remembered in the
// ghost. Otherwise it takes the head of main: a key with accesses left goes
// back to the tail with one access less (a CLOCK-like second chance), the
// first one without is evicted. A new key found in the ghost enters main
// directly. One-hit wonders therefore leave after a short stay in the small
// queue, without ever displacing the working set in main.
//
// How it fits the sharded table without growing an entry:
//   * queue membership and the frequency live in Entry::evict_bits();
//   * the small queue is a FIFO ring (std::deque) of the top 32 bits of the
//     keys' hashes, 4 bytes per small key; Table::FindHashPrefix finds an
//     entry from them (the table's slot tag is cut from those same bits).
//     Entries move when replaced, names do not, so hashes stay valid where
//     pointers would not;
//   * main is not a ring but a CLOCK hand over the table itself: a position
//     in hash-prefix space (as SCAN's cursor, so it survives the table's
//     growth) that sweeps the entries whose bits say main. FIFO with
//     reinsertion, which the paper's main queue is, is CLOCK; walking the
//     table instead of a ring saves 4 bytes per key (and the ring's
//     leftovers). A key that joins main lands anywhere relative to the
//     hand rather than right behind it; on the bench traces that made no
//     difference to the hit ratio (nor did one access of credit on joining);
//   * the ghost is a direct-mapped array of 8-bit fingerprints about the
//     size of main, 1-2 bytes per key; a newer fingerprint overwrites an
//     older one in its slot, which ages the ghost. (A false match, 1 in 255,
//     only sends a new key to main.)
// A deleted small key leaves its hash in the ring; it is skipped when it
// comes out, and the ring is compacted once it holds twice the small keys.
//
// All members require the owning shard's lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "store/entry.h"
#include "store/table.h"

namespace magpie {

class S3Fifo {
 public:
  static constexpr uint8_t kFreqMask = 3;
  static constexpr uint8_t kSmall = 4;
  static constexpr uint8_t kMain = 8;
  static constexpr uint8_t kQueueMask = kSmall | kMain;
  static constexpr uint8_t kMark = 16;  // Compact()'s visited mark (a parity)

  // A new key: to main if the ghost remembers it, to small otherwise.
  void Add(Entry* e, uint64_t hash, const Table& table);
  // A key present before this policy was selected: straight to main.
  void Adopt(Entry* e);
  // The key's entry leaves the table (deleted, expired, evicted, moved).
  void Forget(const Entry* e);
  // Runs the queues until they give up the next entry to evict, or nullptr
  // if they are empty. The entry is still in the table and counted: the
  // caller must detach it at once (which calls Forget).
  // Under volatile-s3fifo `volatile_keys` are the shard's keys with a TTL
  // (nullptr otherwise): main's hand sweeps them instead of the table, and
  // a queued key that lost its TTL leaves the queues.
  Entry* Victim(const Table& table, const std::vector<Entry*>* volatile_keys);
  void Clear();

  size_t small_size() const { return nsmall_; }
  size_t main_size() const { return nmain_; }
  size_t MemoryUsage() const;

 private:
  struct Swept {
    uint64_t prefix;  // 48-bit hash prefix: the hand's order
    Entry* e;
  };
  static uint32_t Prefix(uint64_t hash) { return static_cast<uint32_t>(hash >> 32); }
  // A ghost slot is chosen by the prefix's top bits (multiply-shift: any
  // size), its fingerprint taken from the low 8 (never 0, which marks an
  // empty slot).
  size_t GhostSlot(uint32_t prefix) const { return (uint64_t{prefix} * ghost_.size()) >> 32; }
  static uint8_t Fingerprint(uint32_t prefix) {
    uint8_t f = static_cast<uint8_t>(prefix);
    return f != 0 ? f : 1;
  }
  void JoinMain(Entry* e, uint8_t mark);
  // A main key's reads since the hand last passed: true (and one read less)
  // if it had any, false if it is the victim.
  static bool SpendCredit(Entry* e);
  // Moves the hand to main's next victim; nullptr if a whole series of
  // sweeps found none (main is empty).
  Entry* SweepMain(const Table& table);
  // The same over the keys with a TTL (volatile-s3fifo, where only they
  // are queued): the hand is an index into that array.
  Entry* SweepVolatile(const std::vector<Entry*>& keys);
  void GhostAdd(uint32_t prefix);
  bool GhostTake(uint32_t prefix);
  void MaybeCompact(const Table& table);

  std::deque<uint32_t> small_;  // hash prefixes, oldest first
  std::vector<uint8_t> ghost_;  // fingerprints (0 = empty)
  std::vector<Swept> swept_;    // SweepMain's scratch
  uint64_t hand_ = 0;           // main's CLOCK hand: a 48-bit hash prefix
  size_t volatile_hand_ = 0;    // or, under volatile-s3fifo, an index
  size_t nsmall_ = 0;           // keys whose evict_bits say small
  size_t nmain_ = 0;
  uint8_t parity_ = 0;  // kMark or 0: what MaybeCompact() finds on unvisited entries
};

}  // namespace magpie
