#include "common/stats.h"

#include <memory>
#include <mutex>
#include <vector>

namespace magpie {

namespace {
std::mutex g_mu;
// Never freed: a thread's counters outlive it so totals never go backwards.
std::vector<ThreadStats*>& Registry() {
  static auto* r = new std::vector<ThreadStats*>();
  return *r;
}
}  // namespace

ThreadStats& LocalStats() {
  thread_local ThreadStats* s = [] {
    auto* st = new ThreadStats();
    std::lock_guard<std::mutex> lk(g_mu);
    Registry().push_back(st);
    return st;
  }();
  return *s;
}

void ForEachStats(const std::function<void(const ThreadStats&)>& f) {
  std::lock_guard<std::mutex> lk(g_mu);
  for (const ThreadStats* s : Registry()) f(*s);
}

void ResetAllStats() {
  std::lock_guard<std::mutex> lk(g_mu);
  for (ThreadStats* s : Registry()) {
    for (Counter* c : {&s->keyspace_hits, &s->keyspace_misses, &s->expired_keys, &s->evicted_keys,
                       &s->expired_stale_samples, &s->expire_samples, &s->commands,
                       &s->connections_received, &s->rejected_connections, &s->net_input_bytes,
                       &s->net_output_bytes, &s->unexpected_error_replies,
                       &s->total_error_replies, &s->client_qbuf_limit_disconnections,
                       &s->client_outbuf_limit_disconnections}) {
      c->Reset();
    }
    for (Counter& c : s->mc) c.Reset();
  }
}

}  // namespace magpie
