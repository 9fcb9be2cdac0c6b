// Per-thread counters. Each worker bumps its own copy without atomic
// read-modify-write (one writer per copy); INFO sums every registered copy.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>

namespace magpie {

struct Counter {
  std::atomic<uint64_t> v{0};
  void Add(uint64_t n = 1) { v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  uint64_t Get() const { return v.load(std::memory_order_relaxed); }
  void Reset() { v.store(0, std::memory_order_relaxed); }
};

// memcached `stats` counters, by index into ThreadStats::mc.
enum McCounter {
  kMcCmdGet, kMcCmdSet, kMcCmdFlush, kMcCmdTouch, kMcGetHits, kMcGetMisses, kMcGetExpired,
  kMcDeleteHits, kMcDeleteMisses, kMcIncrHits, kMcIncrMisses, kMcDecrHits, kMcDecrMisses,
  kMcCasHits, kMcCasMisses, kMcCasBadval, kMcTouchHits, kMcTouchMisses, kMcTotalItems,
  kMcTotalConnections, kMcCounterCount
};

struct ThreadStats {
  Counter keyspace_hits;
  Counter keyspace_misses;
  Counter expired_keys;
  Counter evicted_keys;
  Counter expired_subkeys;  // hash fields deleted by field expiration
  Counter expired_stale_samples;  // active-expiry samples that were expired
  Counter expire_samples;         // active-expiry samples taken
  Counter commands;
  // Changes to the dataset (Redis's server.dirty): one per key changed.
  // Not reset by CONFIG RESETSTAT.
  Counter dirty;
  Counter connections_received;
  Counter rejected_connections;
  Counter net_input_bytes;
  Counter net_output_bytes;
  Counter unexpected_error_replies;
  Counter total_error_replies;
  Counter client_qbuf_limit_disconnections;
  Counter client_outbuf_limit_disconnections;
  Counter mc[kMcCounterCount];
};

// The calling thread's counters (registered on first use).
ThreadStats& LocalStats();
// Calls f on every thread's counters.
void ForEachStats(const std::function<void(const ThreadStats&)>& f);
void ResetAllStats();

}  // namespace magpie
