#include "store/evict.h"

#ifdef MAGPIE_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "common/stats.h"
#include "common/util.h"
#include "store/db.h"

namespace magpie {

namespace {

struct PolicyRow {
  EvictionPolicy policy;
  const char* name;
};
// Redis's order first (its CONFIG SET error lists them so), then Magpie's.
constexpr PolicyRow kPolicies[] = {
    {EvictionPolicy::kVolatileLru, "volatile-lru"},
    {EvictionPolicy::kVolatileLfu, "volatile-lfu"},
    {EvictionPolicy::kVolatileRandom, "volatile-random"},
    {EvictionPolicy::kVolatileTtl, "volatile-ttl"},
    {EvictionPolicy::kAllKeysLru, "allkeys-lru"},
    {EvictionPolicy::kAllKeysLfu, "allkeys-lfu"},
    {EvictionPolicy::kAllKeysRandom, "allkeys-random"},
    {EvictionPolicy::kNoEviction, "noeviction"},
    {EvictionPolicy::kVolatileS3Fifo, "volatile-s3fifo"},
    {EvictionPolicy::kAllKeysS3Fifo, "allkeys-s3fifo"},
};

uint64_t ThreadRandom() {
  thread_local uint64_t s = 0x2545F4914F6CDD1DULL ^ reinterpret_cast<uintptr_t>(&s);
  s ^= s >> 12;
  s ^= s << 25;
  s ^= s >> 27;
  return s * 2685821657736338717ULL;
}

// --- LFU, with Redis's counter semantics --------------------------------------

uint32_t LfuMinutes(int64_t now_ms) { return static_cast<uint32_t>(now_ms / 60000) & 0xFFFF; }

uint8_t LfuDecayed(uint32_t clock, int64_t now_ms) {
  uint32_t ldt = clock >> 8;
  uint32_t counter = clock & 0xFF;
  uint32_t now = LfuMinutes(now_ms);
  uint32_t elapsed = now >= ldt ? now - ldt : 65535 - ldt + now;
  int64_t decay = g_eviction.lfu_decay_time.load(std::memory_order_relaxed);
  uint64_t periods = decay > 0 ? elapsed / static_cast<uint64_t>(decay) : 0;
  return static_cast<uint8_t>(periods > counter ? 0 : counter - periods);
}

// Increments with probability 1 / ((counter - init) * lfu-log-factor + 1).
uint8_t LfuLogIncr(uint8_t counter) {
  if (counter == 255) return counter;
  double r = static_cast<double>(ThreadRandom() >> 11) / static_cast<double>(1ULL << 53);
  double base = counter > kLfuInitVal ? counter - kLfuInitVal : 0;
  double factor = static_cast<double>(g_eviction.lfu_log_factor.load(std::memory_order_relaxed));
  return r < 1.0 / (base * factor + 1) ? static_cast<uint8_t>(counter + 1) : counter;
}

// The LRU clock in 1/256 s; its top 24 bits are LruClock().
uint32_t FineClock(int64_t now_ms) {
  return (LruClock(now_ms) << 8) | static_cast<uint32_t>((now_ms % 1000) * 256 / 1000);
}

}  // namespace

const char* PolicyName(EvictionPolicy p) {
  for (const PolicyRow& r : kPolicies) {
    if (r.policy == p) return r.name;
  }
  return "noeviction";
}

std::optional<EvictionPolicy> ParsePolicy(std::string_view name) {
  for (const PolicyRow& r : kPolicies) {
    if (EqualsIgnoreCase(name, r.name)) return r.policy;
  }
  return std::nullopt;
}

std::string PolicyNameList() {
  std::string out;
  for (const PolicyRow& r : kPolicies) {
    if (!out.empty()) out += ", ";
    out += r.name;
  }
  return out;
}

void SetPolicy(EvictionPolicy p) {
  if (p == CurrentPolicy()) return;
  g_eviction.policy.store(static_cast<uint8_t>(p));
  g_eviction.policy_epoch.fetch_add(1);
}

uint32_t NewAccessBits() {
  int64_t now = NowMs();
  EvictionPolicy p = CurrentPolicy();
  if (IsLfu(p)) return ((LfuMinutes(now) << 8) | kLfuInitVal) << 8;
  if (IsS3Fifo(p)) return LruClock(now) << 8;
  return FineClock(now);
}

void TouchEntry(Entry* e, int64_t now_ms) {
  EvictionPolicy p = CurrentPolicy();
  if (IsLfu(p)) {
    uint8_t counter = LfuLogIncr(LfuDecayed(e->clock(), now_ms));
    e->set_clock((LfuMinutes(now_ms) << 8) | counter);
  } else if (IsS3Fifo(p)) {
    e->set_clock(LruClock(now_ms));
    uint8_t b = e->evict_bits();
    if ((b & 3) < 3) e->set_evict_bits(static_cast<uint8_t>(b + 1));
  } else {
    e->set_access_bits(FineClock(now_ms));
  }
}

int64_t IdleSeconds(const Entry* e, int64_t now_ms) {
  uint32_t now = LruClock(now_ms);
  uint32_t then = e->clock();
  return now >= then ? now - then : now + (kLruClockMax - then);
}

uint8_t LfuCounter(const Entry* e, int64_t now_ms) { return LfuDecayed(e->clock(), now_ms); }

void SetRestoredAccess(Entry* e, int64_t lfu_freq, int64_t lru_idle, int64_t now_ms) {
  EvictionPolicy p = CurrentPolicy();
  if (IsLfu(p)) {
    if (lfu_freq >= 0) e->set_clock((LfuMinutes(now_ms) << 8) | static_cast<uint32_t>(lfu_freq & 0xFF));
    return;
  }
  if (lru_idle < 0) return;
  // Redis's arithmetic, wrap-arounds included: seconds * 1000 / 1000 in
  // 64 bits, one lift by the clock's maximum, then the 24-bit field.
  int64_t idle = static_cast<int64_t>(static_cast<uint64_t>(lru_idle) * 1000) / 1000;
  int64_t abs = static_cast<int64_t>(LruClock(now_ms)) - idle;
  if (abs < 0) abs += kLruClockMax;
  uint32_t clock = static_cast<uint32_t>(static_cast<uint64_t>(abs) & kLruClockMax);
  if (IsS3Fifo(p)) {
    e->set_clock(clock);
  } else {
    e->set_access_bits(clock << 8);
  }
}

void CarryAccess(const Entry* old_e, Entry* new_e) {
  if (old_e == new_e) return;
  EvictionPolicy p = CurrentPolicy();
  if (IsLfu(p)) {
    // A compact entry (left from S3-FIFO) has no counter: the new one keeps its fresh one.
    if (old_e->has_clock()) new_e->set_clock(old_e->clock());
  } else if (IsS3Fifo(p)) {
    uint8_t b = old_e->evict_bits();
    if ((b & 3) < 3) ++b;
    new_e->set_evict_bits(b);
  }
}

// --- memory -----------------------------------------------------------------

namespace {
std::atomic<int64_t> g_tracked{0};
std::atomic<int64_t> g_offset{0};
}  // namespace

int64_t TrackedBytes() { return g_tracked.load(std::memory_order_relaxed); }
void AddTrackedBytes(int64_t delta) { g_tracked.fetch_add(delta, std::memory_order_relaxed); }

void CalibrateMemory(size_t allocated) {
  g_offset.store(static_cast<int64_t>(allocated) - TrackedBytes(), std::memory_order_relaxed);
}

size_t UsedMemoryEstimate() {
  int64_t v = TrackedBytes() + g_offset.load(std::memory_order_relaxed);
  return v > 0 ? static_cast<size_t>(v) : 0;
}

// --- eviction ---------------------------------------------------------------

namespace {

// Picks shards to evict from, in proportion to their databases' sizes. The
// sizes are re-read at most every 10 ms per thread.
class ShardPicker {
 public:
  Shard* Pick(Keyspace& ks, bool volatile_only) {
    Refresh(ks, volatile_only);
    if (total_ == 0) return nullptr;
    uint64_t r = ThreadRandom() % total_;
    int db = 0;
    for (; db < static_cast<int>(sizes_.size()) - 1 && r >= sizes_[static_cast<size_t>(db)]; ++db) {
      r -= sizes_[static_cast<size_t>(db)];
    }
    Db& d = ks.db(db);
    Shard* best = nullptr;
    for (int tries = 0; tries < 16; ++tries) {
      Shard& s = d.shard(static_cast<uint32_t>(ThreadRandom() % kNumShards));
      if (Count(s, volatile_only) == 0) continue;
      if (best == nullptr || Count(s, volatile_only) > Count(*best, volatile_only)) best = &s;
      if (tries >= 1) break;  // the larger of two: keeps shards level
    }
    return best;
  }
  void Invalidate() { at_us_ = 0; }

 private:
  static size_t Count(const Shard& s, bool volatile_only) {
    return volatile_only ? s.expires() : s.size();
  }
  void Refresh(Keyspace& ks, bool volatile_only) {
    int64_t now = MonotonicUs();
    if (now - at_us_ < 10000 && volatile_only == volatile_) return;
    at_us_ = now;
    volatile_ = volatile_only;
    sizes_.assign(static_cast<size_t>(ks.count()), 0);
    total_ = 0;
    for (int i = 0; i < ks.count(); ++i) {
      size_t n = volatile_only ? ks.db(i).expires() : ks.db(i).size();
      sizes_[static_cast<size_t>(i)] = n;
      total_ += n;
    }
  }

  std::vector<size_t> sizes_;
  size_t total_ = 0;
  int64_t at_us_ = 0;
  bool volatile_ = false;
};

// Redis's eviction pool: the best candidates seen by sampling, kept between
// evictions. Higher score = better to evict.
struct Candidate {
  uint64_t score;
  Shard* shard;
  std::string key;
};

class EvictionPool {
 public:
  static constexpr size_t kSize = 16;

  void Offer(uint64_t score, Shard* shard, std::string_view key) {
    for (Candidate& c : pool_) {
      if (c.shard == shard && c.key == key) return;
    }
    if (pool_.size() >= kSize && score <= pool_.front().score) return;
    auto it = std::lower_bound(pool_.begin(), pool_.end(), score,
                               [](const Candidate& c, uint64_t s) { return c.score < s; });
    pool_.insert(it, Candidate{score, shard, std::string(key)});
    if (pool_.size() > kSize) pool_.erase(pool_.begin());
  }
  bool empty() const { return pool_.empty(); }
  Candidate PopBest() {
    Candidate c = std::move(pool_.back());
    pool_.pop_back();
    return c;
  }
  void Clear() { pool_.clear(); }

 private:
  std::vector<Candidate> pool_;  // ascending score
};

thread_local ShardPicker t_picker;
thread_local EvictionPool t_pool;
thread_local uint64_t t_pool_epoch = 0;

uint64_t Score(EvictionPolicy p, const Entry* e, int64_t now_ms) {
  if (IsLfu(p)) return 255 - LfuCounter(e, now_ms);
  if (p == EvictionPolicy::kVolatileTtl) return UINT64_MAX - static_cast<uint64_t>(e->expire_ms());
  return FineClock(now_ms) - e->access_bits();  // idle time, modulo 2^32
}

bool EvictRandom(Keyspace& ks, bool volatile_only, int64_t now_ms) {
  for (int tries = 0; tries < 32; ++tries) {
    Shard* s = t_picker.Pick(ks, volatile_only);
    if (s == nullptr) return false;
    std::lock_guard<ShardMutex> lk(s->mu());
    Entry* e = volatile_only ? s->RandomVolatile() : s->RandomEntry(now_ms);
    if (e != nullptr) {
      s->Evict(e);
      return true;
    }
  }
  return false;
}

bool EvictS3Fifo(Keyspace& ks, bool volatile_only) {
  for (int tries = 0; tries < 32; ++tries) {
    Shard* s = t_picker.Pick(ks, volatile_only);
    if (s == nullptr) return false;
    std::lock_guard<ShardMutex> lk(s->mu());
    if (Entry* e = s->S3Victim(volatile_only)) {
      s->Evict(e);
      return true;
    }
  }
  return false;
}

// Samples maxmemory-samples keys of one shard into the pool, then evicts the
// best candidate that still exists. A candidate touched since it was sampled
// goes back with its new score instead.
bool EvictFromPool(Keyspace& ks, EvictionPolicy p, int64_t now_ms) {
  bool volatile_only = IsVolatile(p);
  uint64_t epoch = g_eviction.policy_epoch.load(std::memory_order_relaxed);
  if (epoch != t_pool_epoch) {
    t_pool.Clear();
    t_pool_epoch = epoch;
  }
  size_t samples = static_cast<size_t>(std::clamp<int64_t>(g_eviction.samples.load(), 1, 64));
  Entry* sample[64];
  for (int rounds = 0; rounds < 16; ++rounds) {
    Shard* s = t_picker.Pick(ks, volatile_only);
    if (s == nullptr) return false;
    {
      std::lock_guard<ShardMutex> lk(s->mu());
      size_t n = s->Sample(sample, samples, volatile_only);
      for (size_t i = 0; i < n; ++i) t_pool.Offer(Score(p, sample[i], now_ms), s, sample[i]->key());
    }
    while (!t_pool.empty()) {
      Candidate c = t_pool.PopBest();
      std::lock_guard<ShardMutex> lk(c.shard->mu());
      Entry* e = c.shard->table().Find(c.key, HashKey(c.key));
      if (e == nullptr || (volatile_only && !e->has_expire())) continue;
      uint64_t now_score = Score(p, e, now_ms);
      if (now_score < c.score) {  // accessed since it was sampled
        t_pool.Offer(now_score, c.shard, c.key);
        continue;
      }
      c.shard->Evict(e);
      return true;
    }
  }
  return false;
}

bool EvictOne(Keyspace& ks, EvictionPolicy p, int64_t now_ms) {
  switch (p) {
    case EvictionPolicy::kNoEviction: return false;
    case EvictionPolicy::kAllKeysRandom: return EvictRandom(ks, false, now_ms);
    case EvictionPolicy::kVolatileRandom: return EvictRandom(ks, true, now_ms);
    case EvictionPolicy::kAllKeysS3Fifo: return EvictS3Fifo(ks, false);
    case EvictionPolicy::kVolatileS3Fifo: return EvictS3Fifo(ks, true);
    default: return EvictFromPool(ks, p, now_ms);
  }
}

// Redis's maxmemory-eviction-tenacity: microseconds one command may spend.
int64_t EvictionTimeLimitUs() {
  int64_t t = g_eviction.tenacity.load(std::memory_order_relaxed);
  if (t <= 10) return 50 * t;
  if (t < 100) return static_cast<int64_t>(500.0 * std::pow(1.15, static_cast<double>(t - 10)));
  return INT64_MAX;
}

// Evicts while over maxmemory. Returns false if over and nothing could go.
bool EvictUntilUnder(Keyspace& ks, int64_t now_ms, int64_t budget_us) {
  size_t limit = static_cast<size_t>(g_eviction.maxmemory.load(std::memory_order_relaxed));
  EvictionPolicy p = CurrentPolicy();
  int64_t start = MonotonicUs();
  for (size_t n = 0; UsedMemoryEstimate() > limit; ++n) {
    if (!EvictOne(ks, p, now_ms)) {
      t_picker.Invalidate();
      return false;
    }
    if ((n & 15) == 15 && MonotonicUs() - start > budget_us) break;
  }
  return true;
}

}  // namespace

namespace {

// Under a maxmemory, writers recalibrate the estimate from the allocator at
// most once a millisecond: between the 100 ms samples, memory the store
// does not track (queue blocks, buffers) would otherwise let used memory
// drift past the limit under sustained writes.
void RecalibrateSoon() {
  static std::atomic<int64_t> last_us{0};
  int64_t now = MonotonicUs();
  int64_t last = last_us.load(std::memory_order_relaxed);
  if (now - last < 1000 || !last_us.compare_exchange_strong(last, now)) return;
  if (size_t live = AllocatorLiveBytes()) CalibrateMemory(live);
}

}  // namespace

size_t AllocatorLiveBytes() {
#ifdef MAGPIE_JEMALLOC
  uint64_t epoch = 1;
  size_t sz = sizeof(epoch);
  mallctl("epoch", &epoch, &sz, &epoch, sz);
  size_t allocated = 0;
  sz = sizeof(allocated);
  if (mallctl("stats.allocated", &allocated, &sz, nullptr, 0) != 0) return 0;
  // The threads' caches hold freed blocks that jemalloc still counts as
  // allocated (up to a megabyte after a burst of pipelined traffic): free
  // memory, not the server's. Redis's used_memory, which counts live
  // allocations, does not have them either.
  size_t cached = 0;
  for (const char* name : {"stats.arenas.4096.tcache_bytes", "stats.arenas.4096.tcache_stashed_bytes"}) {
    static_assert(MALLCTL_ARENAS_ALL == 4096);
    size_t c = 0;
    sz = sizeof(c);
    if (mallctl(name, &c, &sz, nullptr, 0) == 0) cached += c;
  }
  return (allocated > cached ? allocated - cached : 0) + static_cast<size_t>(Table::MappedBytes());
#else
  return 0;
#endif
}

bool EnsureMemory(Keyspace& ks, int64_t now_ms) {
  int64_t limit = g_eviction.maxmemory.load(std::memory_order_relaxed);
  if (limit <= 0) return true;
  RecalibrateSoon();
  if (UsedMemoryEstimate() <= static_cast<size_t>(limit)) return true;
  return EvictUntilUnder(ks, now_ms, EvictionTimeLimitUs());
}

void EvictInBackground(Keyspace& ks, int64_t now_ms, int64_t budget_us) {
  int64_t limit = g_eviction.maxmemory.load(std::memory_order_relaxed);
  if (limit <= 0 || UsedMemoryEstimate() <= static_cast<size_t>(limit)) return;
  EvictUntilUnder(ks, now_ms, budget_us);
}

}  // namespace magpie
