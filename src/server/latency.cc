// Latency histograms, the latency monitor and the slow log (see latency.h).
//
// Invariants:
// - A LatencyHistogram is written only by the worker that owns its
//   CommandStats; readers sum relaxed loads, so a snapshot may miss the
//   command being recorded right now, never double-count one.
// - Each thread's slow-log ring holds at most slowlog-max-len entries and
//   entries carry a process-wide id, so merging the rings by id gives
//   Redis's single newest-first list; the merged list is cut to
//   slowlog-max-len again on read.
// - The latency monitor keeps, per event, at most one sample per second
//   (the worst of that second) and the last 160 of them, as Redis does.
#include "server/latency.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <mutex>

#include "commands/command.h"
#include "common/util.h"
#include "server/connection.h"
#include "server/monitor.h"
#include "server/worker.h"

namespace magpie {

ObservabilitySettings g_observability;

namespace {

std::mutex g_percentiles_mu;
std::vector<double> g_percentiles = {50.0, 99.0, 99.9};

// Redis prints a percentile with "%f" and trims the trailing zeros.
std::string TrimDouble(double v) {
  char buf[64];
  snprintf(buf, sizeof(buf), "%f", v);
  std::string s = buf;
  if (s.find('.') != std::string::npos) {
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
  }
  return s;
}

}  // namespace

std::string SetTrackingPercentiles(const std::vector<std::string>& words) {
  std::vector<double> values;
  for (const std::string& w : words) {
    auto v = ParseDouble(w);
    if (!v) return "Invalid latency-tracking-info-percentiles parameters";
    if (*v < 0 || *v > 100) {
      return "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]";
    }
    values.push_back(*v);
  }
  std::lock_guard<std::mutex> lk(g_percentiles_mu);
  g_percentiles = std::move(values);
  return "";
}

std::string TrackingPercentilesString() {
  std::lock_guard<std::mutex> lk(g_percentiles_mu);
  std::string out;
  for (double p : g_percentiles) out += (out.empty() ? "" : " ") + TrimDouble(p);
  return out;
}

std::vector<double> TrackingPercentiles() {
  std::lock_guard<std::mutex> lk(g_percentiles_mu);
  return g_percentiles;
}

// --- histograms ---------------------------------------------------------------

// Bucket 0 holds 0; bucket i > 0 holds the values v whose v - 1 falls in
// slot i - 1 of the plain log-linear layout (exact below 8, then 8 slots per
// power of two), so every slot's top value is one more than a plain slot's:
// the powers of two end buckets.
int LatencyHistogram::Index(uint64_t us) {
  if (us == 0) return 0;
  uint64_t w = us - 1;
  if (w < static_cast<uint64_t>(kSub)) return 1 + static_cast<int>(w);
  int e = 63 - __builtin_clzll(w);
  if (e > kMaxExp) return kBuckets - 1;
  int sub = static_cast<int>((w >> (e - kSubBits)) & (kSub - 1));
  return 1 + kSub + (e - kSubBits) * kSub + sub;
}

uint64_t LatencyHistogram::UpperBound(int i) {
  if (i == 0) return 0;
  int slot = i - 1;
  if (slot < kSub) return static_cast<uint64_t>(slot) + 1;
  int e = (slot - kSub) / kSub + kSubBits;
  uint64_t sub = static_cast<uint64_t>((slot - kSub) % kSub);
  uint64_t lower = (static_cast<uint64_t>(kSub) + sub) << (e - kSubBits);
  return lower + (uint64_t{1} << (e - kSubBits));
}

void HistogramSnapshot::Add(const LatencyHistogram& h) {
  for (int i = 0; i < LatencyHistogram::kBuckets; ++i) {
    uint64_t n = h.count(i);
    counts[static_cast<size_t>(i)] += n;
    total += n;
  }
}

uint64_t HistogramSnapshot::Percentile(double p) const {
  if (total == 0) return 0;
  auto want = static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(total)));
  want = std::clamp<uint64_t>(want, 1, total);
  uint64_t seen = 0;
  for (int i = 0; i < LatencyHistogram::kBuckets; ++i) {
    seen += counts[static_cast<size_t>(i)];
    if (seen >= want) return LatencyHistogram::UpperBound(i);
  }
  return LatencyHistogram::UpperBound(LatencyHistogram::kBuckets - 1);
}

uint64_t HistogramSnapshot::CountAtMost(uint64_t limit) const {
  uint64_t n = 0;
  for (int i = 0; i < LatencyHistogram::kBuckets; ++i) {
    if (LatencyHistogram::UpperBound(i) > limit) break;
    n += counts[static_cast<size_t>(i)];
  }
  return n;
}

// --- latency monitor ------------------------------------------------------------

namespace {

constexpr size_t kLatencySamples = 160;

struct Monitor {
  std::mutex mu;
  std::map<std::string, LatencyEvent> events;
};

Monitor& TheMonitor() {
  static auto* m = new Monitor();
  return *m;
}

}  // namespace

void LatencyAddSampleIfNeeded(const char* event, int64_t latency_ms) {
  int64_t threshold = g_observability.latency_monitor_threshold.load(std::memory_order_relaxed);
  if (threshold <= 0 || latency_ms < threshold) return;
  int64_t now = NowMs() / 1000;
  Monitor& m = TheMonitor();
  std::lock_guard<std::mutex> lk(m.mu);
  LatencyEvent& e = m.events[event];
  if (e.name.empty()) e.name = event;
  e.max_ms = std::max(e.max_ms, latency_ms);
  if (!e.samples.empty() && e.samples.back().time_sec == now) {
    e.samples.back().latency_ms = std::max(e.samples.back().latency_ms, latency_ms);
    return;
  }
  if (e.samples.size() == kLatencySamples) e.samples.erase(e.samples.begin());
  e.samples.push_back({now, latency_ms});
}

std::vector<LatencyEvent> LatencyEvents() {
  Monitor& m = TheMonitor();
  std::lock_guard<std::mutex> lk(m.mu);
  std::vector<LatencyEvent> out;
  for (const auto& [name, e] : m.events) out.push_back(e);
  return out;
}

int LatencyReset(const std::vector<std::string>& events) {
  Monitor& m = TheMonitor();
  std::lock_guard<std::mutex> lk(m.mu);
  int n = 0;
  if (events.empty()) {
    n = static_cast<int>(m.events.size());
    m.events.clear();
    return n;
  }
  for (const std::string& name : events) n += static_cast<int>(m.events.erase(name));
  return n;
}

// --- slow log ---------------------------------------------------------------------

namespace {

// Redis's limits on what one entry keeps.
constexpr size_t kSlowlogMaxArgc = 32;
constexpr size_t kSlowlogMaxString = 128;

struct SlowlogRing {
  std::mutex mu;
  std::deque<SlowlogEntry> entries;  // newest at the back
};

std::mutex g_rings_mu;
std::atomic<uint64_t> g_slowlog_next_id{0};

// Never freed: a thread's entries outlive it, like its counters.
std::vector<SlowlogRing*>& Rings() {
  static auto* r = new std::vector<SlowlogRing*>();
  return *r;
}

SlowlogRing& LocalRing() {
  thread_local SlowlogRing* ring = [] {
    auto* r = new SlowlogRing();
    std::lock_guard<std::mutex> lk(g_rings_mu);
    Rings().push_back(r);
    return r;
  }();
  return *ring;
}

void SlowlogPush(const CommandSpec& spec, const std::vector<std::string_view>& args,
                 const Connection& conn, int64_t duration_us) {
  int64_t max_len = g_observability.slowlog_max_len.load(std::memory_order_relaxed);
  if (max_len <= 0) return;
  SlowlogEntry e;
  e.id = g_slowlog_next_id.fetch_add(1, std::memory_order_relaxed);
  e.time_sec = NowMs() / 1000;
  e.duration_us = duration_us;
  size_t argc = std::min(args.size(), kSlowlogMaxArgc);
  const CommandSpec& top = spec.parent != nullptr ? *spec.parent : spec;
  for (size_t i = 0; i < argc; ++i) {
    if (argc != args.size() && i == argc - 1) {
      e.args.push_back("... (" + std::to_string(args.size() - argc + 1) + " more arguments)");
    } else if (IsRedactedArgument(top, args, i)) {
      e.args.emplace_back("(redacted)");
    } else if (args[i].size() > kSlowlogMaxString) {
      e.args.push_back(std::string(args[i].substr(0, kSlowlogMaxString)) + "... (" +
                       std::to_string(args[i].size() - kSlowlogMaxString) + " more bytes)");
    } else {
      e.args.emplace_back(args[i]);
    }
  }
  e.peer = conn.addr();
  e.client_name = conn.name;  // written only on this connection's thread
  SlowlogRing& ring = LocalRing();
  std::lock_guard<std::mutex> lk(ring.mu);
  ring.entries.push_back(std::move(e));
  while (static_cast<int64_t>(ring.entries.size()) > max_len) ring.entries.pop_front();
}

}  // namespace

std::vector<SlowlogEntry> SlowlogGet(int64_t count) {
  std::vector<SlowlogEntry> all;
  {
    std::lock_guard<std::mutex> lk(g_rings_mu);
    for (SlowlogRing* r : Rings()) {
      std::lock_guard<std::mutex> rl(r->mu);
      all.insert(all.end(), r->entries.begin(), r->entries.end());
    }
  }
  std::sort(all.begin(), all.end(),
            [](const SlowlogEntry& a, const SlowlogEntry& b) { return a.id > b.id; });
  auto max_len = static_cast<size_t>(
      std::max<int64_t>(0, g_observability.slowlog_max_len.load(std::memory_order_relaxed)));
  size_t keep = std::min(all.size(), max_len);
  if (count >= 0) keep = std::min(keep, static_cast<size_t>(count));
  all.resize(keep);
  return all;
}

size_t SlowlogLen() {
  size_t n = 0;
  std::lock_guard<std::mutex> lk(g_rings_mu);
  for (SlowlogRing* r : Rings()) {
    std::lock_guard<std::mutex> rl(r->mu);
    n += r->entries.size();
  }
  auto max_len = static_cast<size_t>(
      std::max<int64_t>(0, g_observability.slowlog_max_len.load(std::memory_order_relaxed)));
  return std::min(n, max_len);
}

void SlowlogReset() {
  std::lock_guard<std::mutex> lk(g_rings_mu);
  for (SlowlogRing* r : Rings()) {
    std::lock_guard<std::mutex> rl(r->mu);
    r->entries.clear();
  }
}

// --- the per-command hook -----------------------------------------------------------

void RecordCommandLatency(CommandStats& stats, const CommandSpec& spec,
                          const std::vector<std::string_view>& args, const Connection& conn,
                          int64_t duration_us) {
  if (duration_us < 0) duration_us = 0;
  if (g_observability.latency_tracking.load(std::memory_order_relaxed)) {
    stats.histogram().Record(static_cast<uint64_t>(duration_us));
  }
  if (conn.blocked()) return;  // Redis logs a blocked command when it is served
  int64_t slower = g_observability.slowlog_log_slower_than.load(std::memory_order_relaxed);
  if (slower >= 0 && duration_us >= slower && !(spec.flags & kCmdSkipSlowlog)) {
    SlowlogPush(spec, args, conn, duration_us);
  }
  if (duration_us >= 1000) {
    LatencyAddSampleIfNeeded((spec.flags & kCmdFast) ? "fast-command" : "command",
                             duration_us / 1000);
  }
}

}  // namespace magpie
