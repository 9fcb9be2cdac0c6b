// Server: the process-wide state every worker shares — configuration, the
// keyspace, the client registry, pause state and shutdown — and the main
// thread that starts the workers and turns signals into a clean shutdown.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "scripting/script_registry.h"
#include "server/config.h"
#include "store/db.h"

namespace magpie {

class Connection;
class Aof;
class Persistence;
class Worker;
class CommandRegistry;
class HttpServer;

// Creates a non-blocking listening TCP socket on addr ("*" and "::*" are the
// wildcards); returns -1 and fills *err on failure.
int ListenOn(const std::string& addr, int port, int backlog, std::string* err);

// CLIENT PAUSE state, read by every worker before running a command.
struct PauseState {
  enum Type : int { kNone = 0, kWrite = 1, kAll = 2 };
  std::atomic<int> type{kNone};
  std::atomic<int64_t> until_ms{0};
};

class Server {
 public:
  explicit Server(std::unique_ptr<Config> config);
  ~Server();

  // Binds, starts the workers and blocks until shutdown. Returns the exit code.
  int Run();

  Config& config() { return *config_; }
  Keyspace& keyspace() { return *keyspace_; }
  const CommandRegistry& commands() const { return *commands_; }
  int num_workers() const { return static_cast<int>(workers_.size()); }
  Worker& worker(int i) { return *workers_[static_cast<size_t>(i)]; }

  // Client registry: every live connection, by id. CLIENT LIST/KILL walk it
  // under registry_mu(); a connection unregisters itself before it is freed.
  uint64_t NextClientId() { return next_client_id_.fetch_add(1); }
  // The worker that owns the next accepted connection (round robin,
  // passing over workers stuck in a busy script).
  int NextAcceptWorker();
  void Register(Connection* c);
  void Unregister(Connection* c);
  std::mutex& registry_mu() { return registry_mu_; }
  const std::unordered_map<uint64_t, Connection*>& clients() const { return clients_; }
  std::atomic<int64_t>& connected_clients() { return connected_clients_; }
  // Open memcached-protocol connections (not Redis clients: not in CLIENT LIST).
  std::atomic<int64_t>& memcache_connections() { return memcache_connections_; }

  PauseState& pause() { return pause_; }
  // The EVAL script cache, FUNCTION libraries and running scripts.
  ScriptRegistry& scripts() { return *scripts_; }
  // RDB snapshots and INFO persistence.
  Persistence& persistence() { return *persistence_; }
  // The append-only file.
  Aof& aof() { return *aof_; }
  // Ends a pause early and wakes the workers to run postponed clients.
  void Unpause();
  void WakeAllWorkers();

  // SHUTDOWN / signals: every worker closes its clients and exits.
  void RequestShutdown(int exit_code = 0);
  bool shutting_down() const { return shutdown_.load(std::memory_order_relaxed); }

  int64_t start_time_ms() const { return start_time_ms_; }
  const std::string& run_id() const { return run_id_; }
  const std::string& executable() const { return executable_; }
  void set_executable(std::string e) { executable_ = std::move(e); }
  // Listening TCP port actually bound (for INFO tcp_port).
  int tcp_port() const { return tcp_port_; }

  // Instantaneous ops/s, sampled by the main thread every 100 ms.
  int64_t instantaneous_ops() const { return inst_ops_.load(); }
  int64_t instantaneous_input_bytes() const { return inst_in_.load(); }
  int64_t instantaneous_output_bytes() const { return inst_out_.load(); }

  // Listening sockets every worker polls, and whether each speaks the
  // memcached protocol (otherwise RESP).
  const std::vector<int>& listen_fds() const { return listen_fds_; }
  bool listen_is_memcache(size_t i) const { return listen_memcache_[i]; }
  int memcache_port() const { return memcache_port_; }

  // memcached "flush_all <delay>": when database 0 is to be emptied (0: none).
  std::atomic<int64_t>& memcache_flush_at_ms() { return mc_flush_at_ms_; }

 private:
  bool Listen();
  bool ListenPort(int port, bool memcache);
  void WritePidFile();
  void AdjustOpenFilesLimit();
  void SampleMetrics();

  std::unique_ptr<Config> config_;
  std::unique_ptr<Keyspace> keyspace_;
  std::unique_ptr<CommandRegistry> commands_;
  std::unique_ptr<ScriptRegistry> scripts_;
  std::unique_ptr<Persistence> persistence_;
  std::unique_ptr<Aof> aof_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<HttpServer> http_;  // http-port; reads the workers' stats
  std::vector<int> listen_fds_;
  std::vector<bool> listen_memcache_;
  int tcp_port_ = 0;
  int memcache_port_ = 0;
  std::atomic<int64_t> mc_flush_at_ms_{0};

  std::mutex registry_mu_;
  std::unordered_map<uint64_t, Connection*> clients_;
  std::atomic<uint64_t> next_client_id_{1};
  std::atomic<uint32_t> next_accept_{0};
  std::atomic<int64_t> connected_clients_{0};
  std::atomic<int64_t> memcache_connections_{0};

  PauseState pause_;
  std::atomic<bool> shutdown_{false};
  std::atomic<int> exit_code_{0};
  int64_t start_time_ms_;
  std::string run_id_;
  std::string executable_;

  // Rolling samples for instantaneous_* metrics.
  static constexpr int kSamples = 16;
  int64_t sample_time_ms_ = 0;
  uint64_t sample_cmds_ = 0, sample_in_ = 0, sample_out_ = 0;
  int64_t ops_samples_[kSamples] = {}, in_samples_[kSamples] = {}, out_samples_[kSamples] = {};
  int sample_idx_ = 0;
  std::atomic<int64_t> inst_ops_{0}, inst_in_{0}, inst_out_{0};
};

}  // namespace magpie
