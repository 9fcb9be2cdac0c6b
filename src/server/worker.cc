#include "server/worker.h"

#include "scripting/lua_vm.h"
#include "store/evict.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "commands/command.h"
#include "common/util.h"
#include "pubsub/pubsub.h"
#include "pubsub/tracking.h"
#include "server/connection.h"
#include "server/log.h"
#include "server/server.h"

namespace magpie {

namespace {

// epoll tags below this value are not connections: 0 is the eventfd, k is
// listening socket k-1.
constexpr uint64_t kSpecialTags = 4096;

constexpr std::string_view kDeniedMessage =
    "-DENIED Redis is running in protected mode because protected mode is enabled and no "
    "password is set for the default user. In this mode connections are only accepted from the "
    "loopback interface. If you want to connect from external computers to Redis you may adopt "
    "one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG "
    "SET protected-mode no' from the loopback interface by connecting to Redis from the same host "
    "the server is running, however MAKE SURE Redis is not publicly accessible from internet if "
    "you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just "
    "disable the protected mode by editing the Redis configuration file, and setting the "
    "protected mode option to 'no', and then restarting the server. 3) If you started the server "
    "manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a "
    "bind address or an authentication password. NOTE: You only need to do one of the above "
    "things in order for the server to start accepting connections from the outside.\r\n";

std::string FormatAddr(const sockaddr_storage& ss) {
  char host[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
    port = ntohs(a->sin_port);
    return std::string(host) + ":" + std::to_string(port);
  }
  const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
  inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
  port = ntohs(a->sin6_port);
  return std::string(host) + ":" + std::to_string(port);
}

bool IsLoopback(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
  }
  const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
  if (IN6_IS_ADDR_LOOPBACK(&a->sin6_addr)) return true;
  if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) return a->sin6_addr.s6_addr[12] == 127;
  return false;
}

}  // namespace

Worker::Worker(Server& server, int index) : server_(server), index_(index) {
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  evfd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = 0;
  epoll_ctl(epfd_, EPOLL_CTL_ADD, evfd_, &ev);
  const auto& fds = server_.listen_fds();
  for (size_t i = 0; i < fds.size(); ++i) {
    epoll_event lev{};
    lev.events = EPOLLIN | EPOLLEXCLUSIVE;
    lev.data.u64 = i + 1;
    epoll_ctl(epfd_, EPOLL_CTL_ADD, fds[i], &lev);
  }
  cmd_stats_ = std::vector<CommandStats>(server_.commands().by_id().size());
}

Worker::~Worker() {
  for (auto& [id, c] : conns_) {
    server_.Unregister(c);
    delete c;
  }
  close(epfd_);
  close(evfd_);
}

void Worker::Start() { thread_ = std::thread([this] { Loop(); }); }

void Worker::Join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::Post(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lk(tasks_mu_);
    tasks_.push_back(std::move(task));
  }
  Wake();
}

void Worker::Wake() {
  uint64_t one = 1;
  ssize_t n = write(evfd_, &one, sizeof(one));
  (void)n;
}

void Worker::Loop() {
  constexpr int kMaxEvents = 256;
  epoll_event events[kMaxEvents];
  next_cron_us_ = MonotonicUs();
  SetCurrentWorker(this);
  while (!server_.shutting_down()) {
    int64_t now = MonotonicUs();
    int timeout_ms = static_cast<int>(std::max<int64_t>(0, (next_cron_us_ - now + 999) / 1000));
    if (!paused_.empty()) timeout_ms = std::min(timeout_ms, 10);
    if (!timers_.empty()) {
      int64_t due = (timers_.begin()->first.first - now + 999) / 1000;
      timeout_ms = std::min<int>(timeout_ms, static_cast<int>(std::max<int64_t>(0, due)));
    }
    if (!ready_.empty()) timeout_ms = 0;
    int n = epoll_wait(epfd_, events, kMaxEvents, timeout_ms);
    bool woken = false;
    for (int i = 0; i < n; ++i) {
      uint64_t tag = events[i].data.u64;
      if (tag == 0) {
        uint64_t v;
        while (read(evfd_, &v, sizeof(v)) > 0) {
        }
        woken = true;
      } else if (tag < kSpecialTags) {
        Accept(tag - 1);
      } else {
        HandleEvent(events[i].data.ptr, events[i].events);
      }
    }
    // Clients that yielded with input pending get their next turn after
    // everyone else's events.
    if (!ready_.empty()) {
      std::vector<Connection*> turn;
      turn.swap(ready_);
      for (Connection* c : turn) {
        if (c != nullptr) HandleEvent(c, EPOLLIN);
      }
    }
    // Tasks may close connections: run them only once no event of this
    // batch can still point at one.
    if (woken) RunTasks();
    if (!deferred_close_.empty()) CloseDeferred();
    if (!timers_.empty()) RunTimers();
    if (MonotonicUs() >= next_cron_us_) {
      Cron();
      next_cron_us_ = MonotonicUs() + 1000000 / server_.config().hz.load();
    }
    if (!paused_.empty()) ResumePaused();
    // Messages published during this turn: one task per other worker, and
    // one write per local subscriber.
    TrackingFlushBroadcasts();
    FlushOutbox(server_);
    if (!delivered_.empty()) FlushDelivered();
  }
  std::vector<Connection*> all;
  for (auto& [id, c] : conns_) all.push_back(c);
  for (Connection* c : all) Close(c);
}

void Worker::Accept(size_t listen_index) {
  int listen_fd = server_.listen_fds()[listen_index];
  bool memcache = server_.listen_is_memcache(listen_index);
  while (true) {
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    int fd = accept4(listen_fd, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        static std::atomic<int64_t> last_log{0};
        int64_t now = NowMs();
        if (now - last_log.load() >= 1000) {  // at most once a second
          last_log.store(now);
          LOG_WARNING("Accepting client connection: %s", strerror(errno));
        }
      }
      return;
    }
    ThreadStats& stats = LocalStats();
    stats.connections_received.Add();
    Config& cfg = server_.config();
    if (server_.connected_clients().load() >= cfg.maxclients.load()) {
      static const char kMsg[] = "-ERR max number of clients reached\r\n";
      ssize_t w = write(fd, kMsg, sizeof(kMsg) - 1);
      (void)w;
      close(fd);
      stats.rejected_connections.Add();
      continue;
    }
    if (cfg.protected_mode.load() && cfg.requirepass().empty() && !IsLoopback(ss)) {
      ssize_t w = write(fd, kDeniedMessage.data(), kDeniedMessage.size());
      (void)w;
      close(fd);
      stats.rejected_connections.Add();
      continue;
    }
    // Connections go to the workers in turn: EPOLLEXCLUSIVE wakes whichever
    // worker sits first in the listening socket's wait queue, which on an
    // idle server is the same one every time.
    int target = server_.NextAcceptWorker();
    if (target == index_) {
      Adopt(fd, FormatAddr(ss), memcache);
    } else {
      Worker* w = &server_.worker(target);
      w->Post([w, fd, peer = FormatAddr(ss), memcache] { w->Adopt(fd, peer, memcache); });
    }
  }
}

void Worker::Adopt(int fd, const std::string& peer, bool memcache) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  int64_t ka = server_.config().tcp_keepalive.load();
  if (ka > 0) {
    int idle = static_cast<int>(ka), intvl = std::max(1, static_cast<int>(ka / 3)), cnt = 3;
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
  }
  sockaddr_storage local{};
  socklen_t llen = sizeof(local);
  getsockname(fd, reinterpret_cast<sockaddr*>(&local), &llen);
  auto* c = new Connection(*this, fd, server_.NextClientId(), peer, FormatAddr(local), memcache);
  conns_[c->id()] = c;
  if (!memcache) server_.Register(c);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP;
  ev.data.ptr = c;
  epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev);
  LOG_VERBOSE("Accepted %s", c->addr().c_str());
}

void Worker::HandleEvent(void* tag, uint32_t events) {
  auto* c = static_cast<Connection*>(tag);
  if (busy_depth_ > 0 && std::find(deferred_close_.begin(), deferred_close_.end(), c->id()) !=
                             deferred_close_.end()) {
    return;
  }
  bool ok = true;
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) ok = c->OnReadable();
  if (ok && (events & EPOLLOUT)) ok = c->OnWritable();
  if (!ok) {
    Close(c);
  } else if (c->more_input() && std::find(ready_.begin(), ready_.end(), c) == ready_.end()) {
    // Once only: a client already queued from its epoll event and handled
    // again in the same turn would otherwise be queued twice, and the turn
    // would use it after the first visit closed it.
    ready_.push_back(c);
  }
}

LuaVm& Worker::lua() {
  if (lua_ == nullptr) lua_ = std::make_unique<LuaVm>(server_);
  return *lua_;
}

void Worker::ProcessEventsWhileBusy(Connection* running) {
  // A few polls a second are plenty for -BUSY replies and SCRIPT KILL.
  int64_t now = MonotonicUs();
  if (now - busy_last_poll_us_ < 10000 || busy_depth_ > 0) return;
  busy_last_poll_us_ = now;
  ++busy_depth_;
  constexpr int kMaxEvents = 64;
  epoll_event events[kMaxEvents];
  int n = epoll_wait(epfd_, events, kMaxEvents, 0);
  for (int i = 0; i < n; ++i) {
    uint64_t tag = events[i].data.u64;
    if (tag == 0) {
      uint64_t v;
      while (read(evfd_, &v, sizeof(v)) > 0) {
      }
      continue;
    }
    if (tag < kSpecialTags) {
      Accept(tag - 1);  // handed to a worker that is not busy
      continue;
    }
    auto* c = static_cast<Connection*>(events[i].data.ptr);
    if (c == running) {
      // Edge-triggered: keep the event for after the script.
      ready_.push_back(c);
      continue;
    }
    HandleEvent(c, events[i].events);
  }
  // Posted work: connections handed to this worker, blocked clients
  // served from other workers, kills.
  RunTasks();
  --busy_depth_;
}

void Worker::CloseDeferred() {
  std::vector<uint64_t> doomed;
  doomed.swap(deferred_close_);
  for (uint64_t id : doomed) {
    auto it = conns_.find(id);
    if (it != conns_.end()) Close(it->second);
  }
}

void Worker::Close(Connection* c) {
  auto it = conns_.find(c->id());
  if (it == conns_.end()) return;
  if (busy_depth_ > 0) {
    // A script is running on this thread: the event batch it interrupted,
    // and the script's own connection, may still point at this one.
    deferred_close_.push_back(c->id());
    return;
  }
  conns_.erase(it);
  for (auto& p : paused_) {
    if (p == c) p = nullptr;
  }
  for (auto& r : ready_) {
    if (r == c) r = nullptr;
  }
  for (auto& d : delivered_) {
    if (d == c) d = nullptr;
  }
  epoll_ctl(epfd_, EPOLL_CTL_DEL, c->fd(), nullptr);
  server_.Unregister(c);
  LOG_VERBOSE("Client closed connection id=%llu addr=%s", static_cast<unsigned long long>(c->id()),
              c->addr().c_str());
  delete c;
}

void Worker::RunTasks() {
  std::vector<std::function<void()>> tasks;
  {
    std::lock_guard<std::mutex> lk(tasks_mu_);
    tasks.swap(tasks_);
  }
  for (auto& t : tasks) t();
  // CLIENT KILL marks connections; close them here on their own thread.
  std::vector<Connection*> doomed;
  for (auto& [id, c] : conns_) {
    if (c->kill_requested.load()) doomed.push_back(c);
  }
  for (Connection* c : doomed) Close(c);
}

void Worker::DeliverLocal(Connection* c, std::string_view bytes) {
  if (c->AppendPushed(bytes)) delivered_.push_back(c);
}

void Worker::DeliverLocal(uint64_t client_id, std::string_view bytes) {
  auto it = conns_.find(client_id);
  if (it != conns_.end()) DeliverLocal(it->second, bytes);
}

void Worker::FlushDelivered() {
  std::vector<Connection*> list;
  list.swap(delivered_);
  for (Connection* c : list) {
    if (c != nullptr && !c->FlushPushed()) Close(c);
  }
}

Worker::TimerId Worker::AddTimer(int64_t when_us, std::function<void()> fn) {
  TimerId id{when_us, ++timer_seq_};
  timers_.emplace(std::make_pair(id.when_us, id.seq), std::move(fn));
  return id;
}

void Worker::CancelTimer(TimerId id) { timers_.erase(std::make_pair(id.when_us, id.seq)); }

void Worker::RunTimers() {
  int64_t now = MonotonicUs();
  // A timer may close connections and cancel other timers: take each one
  // out of the map before running it.
  while (!timers_.empty() && timers_.begin()->first.first <= now) {
    std::function<void()> fn = std::move(timers_.begin()->second);
    timers_.erase(timers_.begin());
    fn();
  }
}

void Worker::ResumePaused() {
  PauseState& p = server_.pause();
  if (p.type.load() != PauseState::kNone && NowMs() < p.until_ms.load()) return;
  std::vector<Connection*> list;
  list.swap(paused_);
  for (Connection* c : list) {
    if (c == nullptr) continue;
    if (!c->Resume()) Close(c);
  }
}

void Worker::Cron() {
  Config& cfg = server_.config();
  int64_t now_ms = NowMs();
  int64_t start = MonotonicUs();
  // Active expiry and incremental rehash for this worker's shards, within a
  // quarter of the cron period; each shard's lock is held at most ~1 ms.
  int64_t budget_us = 250000 / cfg.hz.load();
  int64_t deadline = start + budget_us;
  Keyspace& ks = server_.keyspace();
  size_t total = static_cast<size_t>(ks.count()) * kNumShards;
  size_t workers = static_cast<size_t>(server_.num_workers());
  size_t mine = (total + workers - 1 - static_cast<size_t>(index_)) / workers;
  for (size_t n = 0; mine > 0 && n < mine; ++n) {
    size_t g = static_cast<size_t>(index_) + workers * ((expire_cursor_ + n) % mine);
    Shard& shard = ks.db(static_cast<int>(g / kNumShards)).shard(static_cast<uint32_t>(g % kNumShards));
    // A shard someone holds (a long script, a big EXEC) is skipped until
    // next time rather than stalling this worker's clients.
    std::unique_lock<ShardMutex> lk(shard.mu(), std::try_to_lock);
    if (!lk.owns_lock()) continue;
    shard.RehashStep(1024);
    shard.ExpandCompactStep(4096);
    if (shard.expires() > 0) {
      shard.ExpireCycle(now_ms, std::min(deadline, MonotonicUs() + 1000));
    }
    if (shard.has_volatile_subkeys()) {
      shard.ExpireSubkeysCycle(now_ms, std::min(deadline, MonotonicUs() + 1000));
    }
    if (MonotonicUs() > deadline) {
      expire_cursor_ = (expire_cursor_ + n + 1) % mine;
      break;
    }
  }

  // Eviction a command left unfinished (its tenacity ran out) or that a
  // lower maxmemory calls for.
  // Up to what is left of the cron's quarter-period budget (at least 1 ms),
  // so a lowered maxmemory is reached in seconds, not minutes.
  EvictInBackground(ks, now_ms, std::max<int64_t>(1000, deadline - MonotonicUs()));

  // memcached "flush_all <delay>" comes due on worker 0.
  int64_t flush_at = server_.memcache_flush_at_ms().load();
  if (index_ == 0 && flush_at != 0 && now_ms >= flush_at &&
      server_.memcache_flush_at_ms().compare_exchange_strong(flush_at, 0)) {
    FlushDatabases(ks, 0, 0, false);
  }

  int64_t timeout = cfg.timeout.load();
  std::vector<Connection*> doomed;
  for (auto& [id, c] : conns_) {
    if (c->kill_requested.load()) {
      doomed.push_back(c);
    } else if (timeout > 0 && !c->paused() && !c->blocked() && !c->subscribed() &&
               now_ms - c->last_interaction_ms() > timeout * 1000) {  // subscribers wait, as in Redis
      LOG_VERBOSE("Closing idle client id=%llu", static_cast<unsigned long long>(c->id()));
      doomed.push_back(c);
    }
  }
  for (Connection* c : doomed) Close(c);
}

}  // namespace magpie
