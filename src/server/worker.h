// Worker: one thread, one epoll loop, the connections it accepted.
//
// Every worker polls the shared listening sockets (EPOLLEXCLUSIVE, so one
// worker wakes per connection) and owns the connections it accepts for their
// whole life. Other threads reach a worker only through Post(), which queues
// a task and wakes the loop through an eventfd; a worker never touches
// another worker's sockets. The loop's cron runs active expiry and table
// migration for the shards assigned to this worker, idle timeouts and
// output-buffer soft limits.
#pragma once

#include <functional>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/stats.h"
#include "server/latency.h"

namespace magpie {

class Server;
class Connection;
class LuaVm;

// Per-command counters of one worker (INFO commandstats, latencystats).
struct CommandStats {
  Counter calls, usec, rejected_calls, failed_calls;
  // Durations (server/latency.h), allocated on the first call; read by any
  // thread, written by the owning worker only.
  std::atomic<LatencyHistogram*> hist{nullptr};

  LatencyHistogram& histogram() {
    LatencyHistogram* h = hist.load(std::memory_order_acquire);
    if (h == nullptr) {
      auto fresh = std::make_unique<LatencyHistogram>();
      if (hist.compare_exchange_strong(h, fresh.get(), std::memory_order_acq_rel)) {
        h = fresh.release();
      }
    }
    return *h;
  }
  CommandStats() = default;
  CommandStats(const CommandStats&) = delete;
  CommandStats& operator=(const CommandStats&) = delete;
  ~CommandStats() { delete hist.load(); }
};

class Worker {
 public:
  Worker(Server& server, int index);
  ~Worker();

  void Start();
  void Join();
  // Runs `task` on this worker's thread soon. Thread-safe.
  void Post(std::function<void()> task);
  void Wake();

  Server& server() { return server_; }
  int index() const { return index_; }
  std::vector<CommandStats>& command_stats() { return cmd_stats_; }
  const std::vector<CommandStats>& command_stats() const { return cmd_stats_; }
  // Error replies by code (INFO errorstats); guarded by errors_mu().
  std::unordered_map<std::string, uint64_t>& error_counts() { return error_counts_; }
  std::mutex& errors_mu() { return errors_mu_; }

  // Called by a connection that stopped because of CLIENT PAUSE.
  void AddPaused(Connection* c) { paused_.push_back(c); }
  // Closes a connection owned by this worker (on this thread).
  void Close(Connection* c);
  // Appends pushed bytes (a pubsub message, an invalidation) to a client of
  // this worker, found by pointer or by id (it may be gone); the worker
  // flushes it at the end of the loop turn. Owner thread only.
  void DeliverLocal(Connection* c, std::string_view bytes);
  void DeliverLocal(uint64_t client_id, std::string_view bytes);

  // One-shot timers on this worker's loop (blocking-command timeouts).
  // Owner thread only. A timer runs at monotonic time when_us or just after.
  struct TimerId {
    int64_t when_us = 0;
    uint64_t seq = 0;
  };
  TimerId AddTimer(int64_t when_us, std::function<void()> fn);

  // This worker's Lua interpreter (created on first use). Owner thread only.
  LuaVm& lua();
  // Called by a script running longer than busy-reply-threshold on this
  // worker: serves the other clients' input without blocking (they get
  // -BUSY, or run SCRIPT KILL and the other allow-busy commands). The
  // running connection is left alone, and connections that must close are
  // closed after the script.
  void ProcessEventsWhileBusy(Connection* running);
  // Set while a script on this worker is over busy-reply-threshold: new
  // connections go to the other workers.
  void set_in_busy_script(bool v) { in_busy_script_.store(v, std::memory_order_relaxed); }
  bool in_busy_script() const { return in_busy_script_.load(std::memory_order_relaxed); }
  // Forgets a timer that has not run (no-op otherwise).
  void CancelTimer(TimerId id);

 private:
  void Loop();
  void Accept(size_t listen_index);
  // Takes ownership of an accepted socket (on this worker's thread).
  void Adopt(int fd, const std::string& peer, bool memcache);
  void HandleEvent(void* tag, uint32_t events);
  void RunTasks();
  void Cron();
  void ResumePaused();
  void RunTimers();
  void CloseDeferred();
  // Writes what DeliverLocal appended; closes clients over their limits.
  void FlushDelivered();

  Server& server_;
  int index_;
  int epfd_ = -1;
  int evfd_ = -1;
  std::thread thread_;
  std::unordered_map<uint64_t, Connection*> conns_;
  std::vector<Connection*> paused_;
  std::vector<Connection*> ready_;  // connections with input left to read
  std::vector<Connection*> delivered_;  // connections DeliverLocal appended to
  std::vector<CommandStats> cmd_stats_;
  std::mutex errors_mu_;
  std::unordered_map<std::string, uint64_t> error_counts_;

  std::mutex tasks_mu_;
  std::vector<std::function<void()>> tasks_;
  int64_t next_cron_us_ = 0;
  std::map<std::pair<int64_t, uint64_t>, std::function<void()>> timers_;
  uint64_t timer_seq_ = 0;
  // Position of the active-expiry walk over this worker's shards.
  size_t expire_cursor_ = 0;
  std::unique_ptr<LuaVm> lua_;
  int busy_depth_ = 0;                  // inside ProcessEventsWhileBusy
  std::atomic<bool> in_busy_script_{false};
  int64_t busy_last_poll_us_ = 0;
  std::vector<uint64_t> deferred_close_;  // ids of connections closed after the busy script
};

}  // namespace magpie
