#include "store/s3fifo.h"

#include <algorithm>

namespace magpie {

namespace {
constexpr size_t kMinGhost = 64;
// A key needs this many accesses during its stay in the small queue to be
// promoted to main.
constexpr uint8_t kPromoteFreq = 1;
// Buckets of the table one step of the hand covers.
constexpr size_t kSweepBuckets = 8;
// Wraps of the hand past the end of the table before SweepMain gives up:
// three sweeps take every credit (2 bits), a fourth finds a victim, and the
// first wrap may come after less than a sweep.
constexpr int kMaxWraps = 5;
}  // namespace

void S3Fifo::Add(Entry* e, uint64_t hash, const Table& table) {
  uint32_t p = Prefix(hash);
  if (GhostTake(p)) {
    JoinMain(e, parity_);
  } else {
    e->set_evict_bits(kSmall | parity_);
    small_.push_back(p);
    ++nsmall_;
  }
  MaybeCompact(table);
}

void S3Fifo::Adopt(Entry* e) { JoinMain(e, parity_); }

void S3Fifo::JoinMain(Entry* e, uint8_t mark) {
  e->set_evict_bits(static_cast<uint8_t>(mark | kMain));
  ++nmain_;
}

void S3Fifo::Forget(const Entry* e) {
  uint8_t q = e->evict_bits() & kQueueMask;
  if (q == kSmall && nsmall_ > 0) --nsmall_;
  if (q == kMain && nmain_ > 0) --nmain_;
}

Entry* S3Fifo::Victim(const Table& table, const std::vector<Entry*>* volatile_keys) {
  bool volatile_only = volatile_keys != nullptr;
  while (nsmall_ + nmain_ > 0) {
    bool from_small = nsmall_ > 0 && (nsmall_ * 10 >= nsmall_ + nmain_ || nmain_ == 0);
    if (!from_small) {
      Entry* e = volatile_only ? SweepVolatile(*volatile_keys) : SweepMain(table);
      if (e != nullptr) return e;
      nmain_ = 0;  // counted keys the table does not hold: only lost bits do that
      continue;
    }
    if (small_.empty()) {
      nsmall_ = 0;  // likewise: trust the ring
      continue;
    }
    uint32_t p = small_.front();
    small_.pop_front();
    Entry* e = table.FindHashPrefix(p);
    if (e == nullptr || (e->evict_bits() & kQueueMask) != kSmall) continue;  // a leftover
    uint8_t bits = e->evict_bits();
    if (volatile_only && !e->has_expire()) {
      Forget(e);
      e->set_evict_bits(bits & ~(kQueueMask | kFreqMask));
      continue;
    }
    if ((bits & kFreqMask) >= kPromoteFreq) {
      --nsmall_;
      JoinMain(e, bits & kMark);
      continue;
    }
    GhostAdd(p);
    return e;
  }
  return nullptr;
}

Entry* S3Fifo::SweepMain(const Table& table) {
  for (int wraps = 0; wraps < kMaxWraps && nmain_ > 0;) {
    swept_.clear();
    uint64_t next = table.Scan(hand_, kSweepBuckets, [this](Entry* e, uint64_t prefix) {
      if ((e->evict_bits() & kQueueMask) == kMain) swept_.push_back({prefix, e});
    });
    // One step's entries come in slot order; the hand takes them in hash order.
    std::sort(swept_.begin(), swept_.end(),
              [](const Swept& a, const Swept& b) { return a.prefix < b.prefix; });
    for (const Swept& s : swept_) {
      if (!SpendCredit(s.e)) {
        // The keys after it in this step wait for the next call.
        hand_ = s.prefix + 1 < Table::kCursorEnd ? s.prefix + 1 : 0;
        return s.e;
      }
    }
    hand_ = next;
    if (hand_ >= Table::kCursorEnd) {
      hand_ = 0;
      ++wraps;
    }
  }
  return nullptr;
}

Entry* S3Fifo::SweepVolatile(const std::vector<Entry*>& keys) {
  // As many visits as kMaxWraps sweeps of the array.
  size_t budget = keys.size() * kMaxWraps;
  for (size_t i = 0; i < budget && nmain_ > 0; ++i) {
    if (volatile_hand_ >= keys.size()) volatile_hand_ = 0;
    Entry* e = keys[volatile_hand_++];
    // Evicting it moves the array's last key into its place: that key is
    // passed over this time round.
    if ((e->evict_bits() & kQueueMask) == kMain && !SpendCredit(e)) return e;
  }
  return nullptr;
}

bool S3Fifo::SpendCredit(Entry* e) {
  uint8_t bits = e->evict_bits();
  if ((bits & kFreqMask) == 0) return false;
  e->set_evict_bits(static_cast<uint8_t>(bits - 1));
  return true;
}

void S3Fifo::Clear() {
  std::deque<uint32_t>().swap(small_);
  std::vector<uint8_t>().swap(ghost_);
  std::vector<Swept>().swap(swept_);
  nsmall_ = nmain_ = 0;
  hand_ = 0;
}

size_t S3Fifo::MemoryUsage() const {
  return small_.size() * sizeof(uint32_t) + ghost_.capacity() * sizeof(uint8_t) +
         swept_.capacity() * sizeof(Swept);
}

// The ghost holds about as many fingerprints as main holds keys; it is
// rebuilt (empty) when main has grown or shrunk 2x past that.
void S3Fifo::GhostAdd(uint32_t p) {
  size_t want = std::max(kMinGhost, nmain_);
  if (ghost_.size() < want / 2 || ghost_.size() > want * 2) {
    ghost_.assign(want, 0);
    ghost_.shrink_to_fit();
  }
  ghost_[GhostSlot(p)] = Fingerprint(p);
}

bool S3Fifo::GhostTake(uint32_t p) {
  if (ghost_.empty()) return false;
  uint8_t& slot = ghost_[GhostSlot(p)];
  if (slot != Fingerprint(p)) return false;
  slot = 0;
  return true;
}

// Keeps one ring element per entry still in small: deleted keys' hashes go,
// and of two elements for one key (deleted and written again) the second.
// The entries kept are marked with the new parity.
void S3Fifo::MaybeCompact(const Table& table) {
  if (small_.size() <= 2 * nsmall_ + 256) return;
  uint8_t target = parity_ ^ kMark;
  std::deque<uint32_t> kept;
  for (uint32_t p : small_) {
    Entry* e = table.FindHashPrefix(p);
    if (e == nullptr) continue;
    uint8_t bits = e->evict_bits();
    if ((bits & kQueueMask) != kSmall || (bits & kMark) == target) continue;
    e->set_evict_bits(static_cast<uint8_t>((bits & ~kMark) | target));
    kept.push_back(p);
  }
  small_.swap(kept);
  parity_ = target;
}

}  // namespace magpie
