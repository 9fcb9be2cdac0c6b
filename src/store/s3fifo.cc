#include "store/s3fifo.h"

#include <algorithm>

namespace magpie {

namespace {
constexpr size_t kMinGhost = 64;
// A key needs this many accesses during its stay in the small queue to be
// promoted to main.
constexpr uint8_t kPromoteFreq = 1;
}  // namespace

void S3Fifo::Add(Entry* e, uint64_t hash, const Table& table) {
  uint32_t p = Prefix(hash);
  if (GhostTake(p)) {
    e->set_evict_bits(kMain | parity_);
    main_.push_back(p);
    ++nmain_;
  } else {
    e->set_evict_bits(kSmall | parity_);
    small_.push_back(p);
    ++nsmall_;
  }
  MaybeCompact(table);
}

void S3Fifo::Adopt(Entry* e, uint64_t hash) {
  e->set_evict_bits(kMain | parity_);
  main_.push_back(Prefix(hash));
  ++nmain_;
}

void S3Fifo::Forget(const Entry* e) {
  uint8_t q = e->evict_bits() & kQueueMask;
  if (q == kSmall && nsmall_ > 0) --nsmall_;
  if (q == kMain && nmain_ > 0) --nmain_;
}

Entry* S3Fifo::Victim(const Table& table, bool volatile_only) {
  while (nsmall_ + nmain_ > 0) {
    bool from_small = nsmall_ > 0 && (nsmall_ * 10 >= nsmall_ + nmain_ || nmain_ == 0);
    std::deque<uint32_t>& ring = from_small ? small_ : main_;
    if (ring.empty()) {
      // Counts and rings disagree only if an entry's bits were lost; trust
      // the rings.
      (from_small ? nsmall_ : nmain_) = 0;
      continue;
    }
    uint32_t p = ring.front();
    ring.pop_front();
    Entry* e = table.FindHashPrefix(p);
    uint8_t queue = from_small ? kSmall : kMain;
    if (e == nullptr || (e->evict_bits() & kQueueMask) != queue) continue;  // a leftover
    uint8_t bits = e->evict_bits();
    if (volatile_only && !e->has_expire()) {
      Forget(e);
      e->set_evict_bits(bits & ~(kQueueMask | kFreqMask));
      continue;
    }
    uint8_t freq = bits & kFreqMask;
    if (from_small) {
      if (freq >= kPromoteFreq) {
        e->set_evict_bits(static_cast<uint8_t>((bits & kMark) | kMain));
        --nsmall_;
        ++nmain_;
        main_.push_back(p);
        continue;
      }
      GhostAdd(p);
      return e;
    }
    if (freq > 0) {
      e->set_evict_bits(static_cast<uint8_t>(bits - 1));
      main_.push_back(p);
      continue;
    }
    return e;
  }
  return nullptr;
}

void S3Fifo::Clear() {
  std::deque<uint32_t>().swap(small_);
  std::deque<uint32_t>().swap(main_);
  std::vector<uint8_t>().swap(ghost_);
  nsmall_ = nmain_ = 0;
}

size_t S3Fifo::MemoryUsage() const {
  return (small_.size() + main_.size()) * sizeof(uint32_t) + ghost_.capacity() * sizeof(uint8_t);
}

void S3Fifo::GhostAdd(uint32_t p) {
  size_t want = std::max(kMinGhost, nmain_);
  if (ghost_.size() < want / 2 || ghost_.size() > want * 4) {
    size_t n = kMinGhost;
    while (n < want) n <<= 1;
    ghost_.assign(n, 0);
  }
  ghost_[p & (ghost_.size() - 1)] = Fingerprint(p);
}

bool S3Fifo::GhostTake(uint32_t p) {
  if (ghost_.empty()) return false;
  uint8_t& slot = ghost_[p & (ghost_.size() - 1)];
  if (slot != Fingerprint(p)) return false;
  slot = 0;
  return true;
}

void S3Fifo::MaybeCompact(const Table& table) {
  size_t keys = nsmall_ + nmain_;
  if (small_.size() + main_.size() <= 2 * keys + 1024) return;
  uint8_t target = parity_ ^ kMark;
  CompactRing(small_, kSmall, table);
  CompactRing(main_, kMain, table);
  parity_ = target;
}

// Keeps one ring element per entry that is in this queue; marks the entries
// it keeps with the new parity so a second element for one is dropped.
void S3Fifo::CompactRing(std::deque<uint32_t>& ring, uint8_t queue, const Table& table) {
  uint8_t target = parity_ ^ kMark;
  std::deque<uint32_t> kept;
  for (uint32_t p : ring) {
    Entry* e = table.FindHashPrefix(p);
    if (e == nullptr) continue;
    uint8_t bits = e->evict_bits();
    if ((bits & kQueueMask) != queue || (bits & kMark) == target) continue;
    e->set_evict_bits(static_cast<uint8_t>((bits & ~kMark) | target));
    kept.push_back(p);
  }
  ring.swap(kept);
}

}  // namespace magpie
