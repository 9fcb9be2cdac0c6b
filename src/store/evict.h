// Eviction: maxmemory, the policies, the per-entry access clock and the
// memory estimate that the write path checks.
//
// Every full-form key carries Redis's 24-bit object clock (Entry::clock()):
// under the LRU and random policies the last access in seconds, under the LFU
// policies the last decrement time in minutes (16 bits) and an 8-bit
// logarithmic access counter, as Redis packs them. The S3-FIFO policies keep
// their 2-bit access frequency and queue membership in 5 bits
// (Entry::evict_bits), so no policy grows the entry; under them short strings
// written through the Redis port take the compact form, which has no clock
// at all (store/entry.h).
//
// A write command that may grow memory (flag denyoom), and every memcached
// store, first calls EnsureMemory(): when the estimate is above maxmemory it
// evicts keys on the calling thread, one at a time, until it is under again or
// the tenacity's time budget is spent (the worker cron then carries on). No
// shard lock is held when it runs; each eviction locks one shard.
//
// The estimate is the bytes the store itself tracks (entries and their
// values, summed into one counter as they change) plus an offset recalibrated
// from the allocator's own figure every 100 ms. So it follows every eviction
// at once and is never off by more than what the rest of the process
// allocates between two samples.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/entry.h"

namespace magpie {

class Keyspace;

enum class EvictionPolicy : uint8_t {
  kNoEviction,
  kAllKeysLru,
  kAllKeysLfu,
  kAllKeysRandom,
  kAllKeysS3Fifo,
  kVolatileLru,
  kVolatileLfu,
  kVolatileRandom,
  kVolatileTtl,
  kVolatileS3Fifo,
};

// The eviction directives (maxmemory, maxmemory-policy, maxmemory-samples,
// maxmemory-eviction-tenacity, lfu-log-factor, lfu-decay-time), read on hot
// paths without locks. Config's directive table writes them.
struct EvictionSettings {
  std::atomic<int64_t> maxmemory{0};
  std::atomic<uint8_t> policy{static_cast<uint8_t>(EvictionPolicy::kNoEviction)};
  std::atomic<int64_t> samples{5};
  std::atomic<int64_t> tenacity{10};
  std::atomic<int64_t> lfu_log_factor{10};
  std::atomic<int64_t> lfu_decay_time{1};
  std::atomic<uint64_t> policy_epoch{0};  // bumped on every policy change
};
inline EvictionSettings g_eviction;

const char* PolicyName(EvictionPolicy p);
std::optional<EvictionPolicy> ParsePolicy(std::string_view name);
// "volatile-lru, allkeys-lru, ..." for CONFIG SET's error.
std::string PolicyNameList();
void SetPolicy(EvictionPolicy p);

inline EvictionPolicy CurrentPolicy() {
  return static_cast<EvictionPolicy>(g_eviction.policy.load(std::memory_order_relaxed));
}
inline bool IsLfu(EvictionPolicy p) {
  return p == EvictionPolicy::kAllKeysLfu || p == EvictionPolicy::kVolatileLfu;
}
inline bool IsS3Fifo(EvictionPolicy p) {
  return p == EvictionPolicy::kAllKeysS3Fifo || p == EvictionPolicy::kVolatileS3Fifo;
}
inline bool IsVolatile(EvictionPolicy p) {
  return p >= EvictionPolicy::kVolatileLru;
}

// --- the object clock --------------------------------------------------------

constexpr uint32_t kLruClockMax = (1u << 24) - 1;
constexpr uint8_t kLfuInitVal = 5;  // a new key's counter, so it is not evicted at once

inline uint32_t LruClock(int64_t now_ms) {
  return static_cast<uint32_t>(now_ms / 1000) & kLruClockMax;
}
// Entry::access_ bits for a new entry under the current policy.
uint32_t NewAccessBits();
// Records an access (a lookup that Redis would count as touching the key).
void TouchEntry(Entry* e, int64_t now_ms);
// Seconds since the last access (OBJECT IDLETIME, memcached la=), LRU clock.
int64_t IdleSeconds(const Entry* e, int64_t now_ms);
// The LFU counter after decay (OBJECT FREQ).
uint8_t LfuCounter(const Entry* e, int64_t now_ms);
// RESTORE's IDLETIME / FREQ and an RDB's IDLE / FREQ records (Redis's objectSetLRUOrLFU): under an LFU
// policy a FREQ >= 0 becomes the counter (now as its decrement time);
// otherwise an IDLETIME >= 0 dates the last access that many seconds back
// (modulo the 24-bit clock, with Redis's wrap-around arithmetic). The other
// option, and a negative value, leave the entry as it is.
void SetRestoredAccess(Entry* e, int64_t lfu_freq, int64_t lru_idle, int64_t now_ms);
// When the current policy replaces `old_e` by `new_e` (same key), carries
// over what the key has earned: its LFU counter, its S3-FIFO queue and
// frequency (counted as one more access).
void CarryAccess(const Entry* old_e, Entry* new_e);

// --- memory ------------------------------------------------------------------

// Bytes of entries and their values, process-wide (Shard keeps it current).
int64_t TrackedBytes();
void AddTrackedBytes(int64_t delta);
// Recalibrates the estimate from the allocator's figure (every 100 ms).
void CalibrateMemory(size_t allocated);
// The bytes the server holds by the allocator's count: jemalloc's allocated
// bytes less what the threads' caches hold freed, plus the tables' mapped
// arrays. 0 when the allocator keeps no statistics (libc, sanitizers).
size_t AllocatorLiveBytes();
size_t UsedMemoryEstimate();

// Before a command that may grow memory. Returns false when used memory is
// above maxmemory and nothing may be evicted (noeviction, or no candidate
// key): the command must then fail with OOM.
bool EnsureMemory(Keyspace& ks, int64_t now_ms);
// Cron: evicts within `budget_us` while memory is above maxmemory.
void EvictInBackground(Keyspace& ks, int64_t now_ms, int64_t budget_us);

inline constexpr std::string_view kOomError =
    "OOM command not allowed when used memory > 'maxmemory'.";

}  // namespace magpie
