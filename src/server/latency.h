// Command latency bookkeeping: per-command histograms (INFO latencystats,
// LATENCY HISTOGRAM, /metrics), the latency monitor (LATENCY LATEST/HISTORY/
// GRAPH/DOCTOR) and the slow log (SLOWLOG).
//
// Cost model: RecordCommandLatency runs after every command. It always adds
// the duration to the calling worker's histogram for that command (one
// bucket index computation and one relaxed store: a histogram has a single
// writer, its worker), and compares the duration with two thresholds read
// with relaxed loads. Only a command over a threshold takes a lock: the
// latency monitor's (one process-wide mutex), or the calling thread's own
// slow-log ring (a per-thread mutex that only SLOWLOG GET/RESET contend on).
// Readers merge every thread's data on demand.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/stats.h"

namespace magpie {

class Connection;
struct CommandSpec;
struct CommandStats;

// The observability directives (CONFIG GET/SET through config.cc).
struct ObservabilitySettings {
  std::atomic<int64_t> slowlog_log_slower_than{10000};  // µs; < 0 disables
  std::atomic<int64_t> slowlog_max_len{128};
  std::atomic<int64_t> latency_monitor_threshold{0};  // ms; 0 disables
  std::atomic<bool> latency_tracking{true};
  std::atomic<int64_t> http_port{8080};  // 0: no HTTP server
};
extern ObservabilitySettings g_observability;

// latency-tracking-info-percentiles, as Redis parses and prints it.
std::string SetTrackingPercentiles(const std::vector<std::string>& words);
std::string TrackingPercentilesString();
std::vector<double> TrackingPercentiles();

// A log-linear histogram of durations in whole microseconds: exact up to 8,
// then 8 sub-buckets per power of two (12.5 % resolution). Bucket upper
// bounds include every power of two, so "at most 2^k µs" is exact (the
// buckets of /metrics and LATENCY HISTOGRAM). One writer.
class LatencyHistogram {
 public:
  static constexpr int kSubBits = 3;
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kMaxExp = 40;  // 2^40 µs: 12 days
  static constexpr int kBuckets = 1 + kSub + (kMaxExp - kSubBits + 1) * kSub;

  void Record(uint64_t us) { counts_[static_cast<size_t>(Index(us))].Add(); }
  void Reset() {
    for (Counter& c : counts_) c.Reset();
  }
  uint64_t count(int bucket) const { return counts_[static_cast<size_t>(bucket)].Get(); }

  static int Index(uint64_t us);
  // The largest value that falls into bucket i.
  static uint64_t UpperBound(int i);

 private:
  std::array<Counter, kBuckets> counts_;
};

// A merged snapshot of one command's histograms over all threads.
struct HistogramSnapshot {
  std::vector<uint64_t> counts = std::vector<uint64_t>(LatencyHistogram::kBuckets);
  uint64_t total = 0;
  void Add(const LatencyHistogram& h);
  // The upper bound (µs) of the bucket holding percentile p (0..100).
  uint64_t Percentile(double p) const;
  // How many durations were at most `limit` µs (exact for powers of two).
  uint64_t CountAtMost(uint64_t limit) const;
};

// Called by the dispatcher after every command it ran: `stats` is the
// running worker's counters for the command. A command that blocked is left
// out of the slow log and the latency monitor, as in Redis.
void RecordCommandLatency(CommandStats& stats, const CommandSpec& spec,
                          const std::vector<std::string_view>& args, const Connection& conn,
                          int64_t duration_us);

// --- latency monitor --------------------------------------------------------
struct LatencySample {
  int64_t time_sec = 0;
  int64_t latency_ms = 0;
};
struct LatencyEvent {
  std::string name;
  std::vector<LatencySample> samples;  // oldest first, at most 160
  int64_t max_ms = 0;                  // all-time high
};
// Adds a sample when latency_ms reaches latency-monitor-threshold.
void LatencyAddSampleIfNeeded(const char* event, int64_t latency_ms);
std::vector<LatencyEvent> LatencyEvents();
// Forgets the named events (all when empty); returns how many existed.
int LatencyReset(const std::vector<std::string>& events);

// --- slow log ---------------------------------------------------------------
struct SlowlogEntry {
  uint64_t id = 0;
  int64_t time_sec = 0;
  int64_t duration_us = 0;
  std::vector<std::string> args;  // already shortened as Redis does
  std::string peer;
  std::string client_name;
};
// Newest first, at most `count` (all when count < 0), over every thread.
std::vector<SlowlogEntry> SlowlogGet(int64_t count);
size_t SlowlogLen();
void SlowlogReset();

}  // namespace magpie
