#include "server/server.h"

#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <fstream>
#include <random>

#include "commands/command.h"
#include "persistence/aof.h"
#include "persistence/persistence.h"
#include "common/stats.h"
#include "common/util.h"
#include "http/http_server.h"
#include "persistence/rdb_value.h"
#include "pubsub/tracking.h"
#include "server/connection.h"
#include "server/latency.h"
#include "server/log.h"
#include "server/memory.h"
#include "server/worker.h"

namespace magpie {

namespace {

std::string RandomHex(size_t n) {
  std::random_device rd;
  std::string s;
  static const char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < n; ++i) s.push_back(kHex[rd() % 16]);
  return s;
}

}  // namespace

int ListenOn(const std::string& addr, int port, int backlog, std::string* err) {
  bool v6 = addr.find(':') != std::string::npos;
  std::string host = addr == "*" ? "0.0.0.0" : addr == "::*" ? "::" : addr;
  addrinfo hints{}, *res = nullptr;
  hints.ai_family = v6 ? AF_INET6 : AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
  std::string service = std::to_string(port);
  int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &res);
  if (rc != 0) {
    *err = gai_strerror(rc);
    return -1;
  }
  int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *err = std::string("socket: ") + strerror(errno);
    freeaddrinfo(res);
    return -1;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (v6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  if (bind(fd, res->ai_addr, res->ai_addrlen) != 0) {
    *err = std::string("bind: ") + strerror(errno);
    close(fd);
    freeaddrinfo(res);
    return -1;
  }
  freeaddrinfo(res);
  if (listen(fd, backlog) != 0) {
    *err = std::string("listen: ") + strerror(errno);
    close(fd);
    return -1;
  }
  return fd;
}

Server::Server(std::unique_ptr<Config> config)
    : config_(std::move(config)),
      keyspace_(std::make_unique<Keyspace>(static_cast<int>(config_->databases.load()))),
      commands_(std::make_unique<CommandRegistry>()),
      scripts_(std::make_unique<ScriptRegistry>()),
      persistence_(std::make_unique<Persistence>(*this)),
      aof_(std::make_unique<Aof>(*this)),
      start_time_ms_(NowMs()),
      run_id_(RandomHex(40)) {
  std::random_device rd;
  SeedKeyHash((static_cast<uint64_t>(rd()) << 32) ^ rd());
  TrackingInit(this);
  rdb::SetConfig(config_.get());
}

Server::~Server() {
  http_.reset();
  workers_.clear();
  for (int fd : listen_fds_) close(fd);
}

int Server::NextAcceptWorker() {
  uint32_t n = static_cast<uint32_t>(workers_.size());
  int pick = 0;
  for (uint32_t tries = 0; tries < n; ++tries) {
    pick = static_cast<int>(next_accept_.fetch_add(1, std::memory_order_relaxed) % n);
    if (!workers_[static_cast<size_t>(pick)]->in_busy_script()) break;
  }
  return pick;
}

void Server::Register(Connection* c) {
  std::lock_guard<std::mutex> lk(registry_mu_);
  clients_[c->id()] = c;
  connected_clients_.fetch_add(1);
}

void Server::Unregister(Connection* c) {
  std::lock_guard<std::mutex> lk(registry_mu_);
  if (clients_.erase(c->id()) > 0) connected_clients_.fetch_sub(1);
}

void Server::WakeAllWorkers() {
  for (auto& w : workers_) w->Wake();
}

void Server::Unpause() {
  pause_.type.store(PauseState::kNone);
  pause_.until_ms.store(0);
  SetExpiryFrozen(false);
  WakeAllWorkers();
}

void Server::RequestShutdown(int exit_code) {
  exit_code_.store(exit_code);
  shutdown_.store(true);
  WakeAllWorkers();
  kill(getpid(), SIGUSR1);  // wakes the main thread's sigtimedwait
}

bool Server::ListenPort(int port, bool memcache) {
  for (const std::string& raw : config_->bind()) {
    bool optional = !raw.empty() && raw[0] == '-';
    std::string addr = optional ? raw.substr(1) : raw;
    std::string err;
    int fd = ListenOn(addr, port, static_cast<int>(config_->tcp_backlog.load()), &err);
    if (fd < 0) {
      if (optional) continue;
      LOG_WARNING("Warning: Could not create server TCP listening socket %s:%d: %s", addr.c_str(),
                  port, err.c_str());
      LOG_WARNING("Failed listening on port %d (%s), aborting.", port, memcache ? "memcached" : "tcp");
      return false;
    }
    listen_fds_.push_back(fd);
    listen_memcache_.push_back(memcache);
  }
  return true;
}

bool Server::Listen() {
  int port = static_cast<int>(config_->port.load());
  if (port == 0) {
    LOG_WARNING("port 0: not listening on TCP");
  } else if (!ListenPort(port, false)) {
    return false;
  }
  tcp_port_ = port;
  int mc = static_cast<int>(config_->memcached_port.load());
  if (mc != 0) {
    if (!ListenPort(mc, true)) return false;
    memcache_port_ = mc;
  }
  return true;
}

// Makes room for maxclients connections plus the server's own descriptors,
// lowering maxclients when the OS refuses, as Redis does.
void Server::AdjustOpenFilesLimit() {
  constexpr int64_t kReserved = 32;
  int64_t want = config_->maxclients.load() + kReserved;
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
  if (static_cast<int64_t>(lim.rlim_cur) >= want) return;
  rlim_t target = static_cast<rlim_t>(want);
  if (lim.rlim_max != RLIM_INFINITY && target > lim.rlim_max) target = lim.rlim_max;
  rlimit wanted{target, lim.rlim_max};
  if (setrlimit(RLIMIT_NOFILE, &wanted) == 0) lim.rlim_cur = target;
  if (static_cast<int64_t>(lim.rlim_cur) < want) {
    int64_t reduced = std::max<int64_t>(1, static_cast<int64_t>(lim.rlim_cur) - kReserved);
    LOG_WARNING("You requested maxclients of %lld requiring at least %lld max file descriptors.",
                static_cast<long long>(config_->maxclients.load()), static_cast<long long>(want));
    LOG_WARNING("Current maximum open files is %llu. maxclients has been reduced to %lld to "
                "compensate for low ulimit.",
                static_cast<unsigned long long>(lim.rlim_cur), static_cast<long long>(reduced));
    config_->maxclients.store(reduced);
  }
}

void Server::WritePidFile() {
  std::string path = config_->pidfile();
  if (path.empty()) return;
  std::ofstream f(path, std::ios::trunc);
  if (!f) {
    LOG_WARNING("Failed to write PID file: %s", strerror(errno));
    return;
  }
  f << getpid() << "\n";
}

void Server::SampleMetrics() {
  int64_t now = NowMs();
  uint64_t cmds = 0, in = 0, out = 0;
  ForEachStats([&](const ThreadStats& s) {
    cmds += s.commands.Get();
    in += s.net_input_bytes.Get();
    out += s.net_output_bytes.Get();
  });
  if (sample_time_ms_ != 0 && now > sample_time_ms_) {
    int64_t dt = now - sample_time_ms_;
    auto rate = [dt](uint64_t a, uint64_t b) {
      return a >= b ? static_cast<int64_t>((a - b) * 1000 / static_cast<uint64_t>(dt)) : 0;
    };
    ops_samples_[sample_idx_] = rate(cmds, sample_cmds_);
    in_samples_[sample_idx_] = rate(in, sample_in_);
    out_samples_[sample_idx_] = rate(out, sample_out_);
    sample_idx_ = (sample_idx_ + 1) % kSamples;
    int64_t so = 0, si = 0, su = 0;
    for (int i = 0; i < kSamples; ++i) {
      so += ops_samples_[i];
      si += in_samples_[i];
      su += out_samples_[i];
    }
    inst_ops_ = so / kSamples;
    inst_in_ = si / kSamples;
    inst_out_ = su / kSamples;
  }
  sample_time_ms_ = now;
  sample_cmds_ = cmds;
  sample_in_ = in;
  sample_out_ = out;
}

int Server::Run() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  AdjustOpenFilesLimit();
  if (!Listen()) return 1;
  WritePidFile();
  int n = static_cast<int>(config_->threads.load());
  for (int i = 0; i < n; ++i) workers_.push_back(std::make_unique<Worker>(*this, i));
  // Loading runs before the workers start: an AOF replays through worker 0's
  // client machinery, and no client sees a half-loaded dataset.
  SetDeletionLogger([](int db, std::string_view key) { Aof::LogNow(db, {"DEL", key}); });
  bool loaded = config_->appendonly.load() ? aof_->LoadAndStart() : persistence_->Load();
  if (!loaded) {
    std::string pidfile = config_->pidfile();
    if (!pidfile.empty()) unlink(pidfile.c_str());
    return 1;
  }
  for (auto& w : workers_) w->Start();
  int http_port = static_cast<int>(g_observability.http_port.load());
  if (http_port != 0) {
    // A busy HTTP port is not fatal: the data port matters more.
    http_ = std::make_unique<HttpServer>(*this);
    if (!http_->Start(http_port)) http_.reset();
  }
  LOG_NOTICE("Server initialized with %d worker thread%s, %d databases of %u shards", n,
             n == 1 ? "" : "s", keyspace_->count(), kNumShards);
  LOG_NOTICE("Ready to accept connections tcp%s",
             memcache_port_ ? (" (memcached protocol on port " + std::to_string(memcache_port_) + ")").c_str() : "");

  while (!shutdown_.load()) {
    timespec ts{0, 100 * 1000 * 1000};
    int sig = sigtimedwait(&set, nullptr, &ts);
    if (sig == SIGINT || sig == SIGTERM) {
      LOG_WARNING("Received %s scheduling shutdown...", sig == SIGINT ? "SIGINT" : "SIGTERM");
      // As Redis: with save points set, a signal saves first, and a failed
      // save keeps the server running.
      if (!config_->save().empty()) {
        persistence_->StopBackgroundSave();
        LOG_NOTICE("Saving the final RDB snapshot before exiting.");
        if (!persistence_->Save().empty()) {
          LOG_WARNING("Error trying to save the DB, can't exit.");
          LOG_WARNING("%s received but errors trying to shut down the server, check the logs for "
                      "more information", sig == SIGINT ? "SIGINT" : "SIGTERM");
          continue;
        }
      }
      shutdown_.store(true);
      WakeAllWorkers();
    }
    SampleMetrics();
    persistence_->Cron();
    aof_->Cron();
    UpdateMemoryPeak();
    if (ExpiryFrozen() && NowMs() >= pause_.until_ms.load()) SetExpiryFrozen(false);
  }
  LOG_WARNING("User requested shutdown...");
  http_.reset();
  persistence_->StopBackgroundSave();
  for (auto& w : workers_) w->Join();
  aof_->Shutdown();  // everything logged is written and fsynced
  workers_.clear();
  JoinBackgroundFrees();
  std::string pidfile = config_->pidfile();
  if (!pidfile.empty()) unlink(pidfile.c_str());
  LOG_WARNING("Magpie is now ready to exit, bye bye...");
  return exit_code_.load();
}

}  // namespace magpie
