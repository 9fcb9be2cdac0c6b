#include "persistence/persistence.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>
#include <sstream>
#include <vector>

#include "common/stats.h"
#include "common/util.h"
#include "persistence/rdb_load.h"
#include "persistence/snapshot.h"
#include "persistence/aof_replay.h"
#include "server/log.h"
#include "server/server.h"
#include "store/evict.h"

namespace magpie {

namespace {

// After a failed background save, save points wait this long before the
// next attempt (Redis's CONFIG_BGSAVE_RETRY_DELAY).
constexpr int64_t kRetryDelayMs = 5000;
// rdb-save-incremental-fsync: fsync every this many bytes written.
constexpr size_t kIncrementalFsync = 4 * 1024 * 1024;

void AppendField(std::string& out, const char* name, const std::string& value) {
  out += name;
  out += ':';
  out += value;
  out += "\r\n";
}
void AppendField(std::string& out, const char* name, int64_t value) {
  AppendField(out, name, std::to_string(value));
}

std::vector<std::pair<int64_t, int64_t>> SavePoints(const std::string& spec) {
  std::vector<std::pair<int64_t, int64_t>> points;
  std::istringstream in(spec);
  int64_t seconds, changes;
  while (in >> seconds >> changes) points.emplace_back(seconds, changes);
  return points;
}

}  // namespace

namespace {
// A background writer at idle priority for this long goes back to normal
// priority: on a server kept 100% busy it would otherwise never finish.
constexpr int64_t kIdlePriorityLimitMs = 30000;
thread_local int64_t t_idle_since_ms = 0;  // 0: this thread runs at normal priority

void RestorePriorityIfSlow() {
  if (t_idle_since_ms == 0 || NowMs() - t_idle_since_ms < kIdlePriorityLimitMs) return;
  t_idle_since_ms = 0;
  sched_param none{};
  sched_setscheduler(0, SCHED_OTHER, &none);
  LOG_NOTICE("Background save still running after %lld s at idle priority: continuing at normal priority",
             static_cast<long long>(kIdlePriorityLimitMs / 1000));
}
}  // namespace

void RunAtIdlePriority() {
  sched_param none{};
  if (sched_setscheduler(0, SCHED_IDLE, &none) != 0) {
    LOG_WARNING("Could not lower the snapshot thread's priority: %s", strerror(errno));
    return;
  }
  t_idle_since_ms = NowMs();
}

std::unique_ptr<Snapshot> BeginSnapshot(Server& server, bool aof_base) {
  Snapshot::Options o;
  o.checksum = server.config().rdbchecksum.load();
  o.compress = server.config().rdbcompression.load();
  EvictionPolicy p = CurrentPolicy();
  o.save_lfu = IsLfu(p);
  o.save_lru = !o.save_lfu && (p == EvictionPolicy::kAllKeysLru || p == EvictionPolicy::kVolatileLru);
  o.now_ms = NowMs();
  o.aof_base = aof_base;
  // Hold the set while walking it (a temporary would die before the loop).
  std::shared_ptr<const FunctionSet> fns = server.scripts().functions();
  for (const auto& [name, lib] : fns->libraries) o.functions.push_back(lib->code);
  auto snap = std::make_unique<Snapshot>(server.keyspace(), std::move(o));
  if (!snap->TryBegin()) return nullptr;
  return snap;
}

std::string WriteSnapshotFile(Server& server, Snapshot& snap, const std::string& temp,
                              const std::string& target) {
  int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::string err = std::string("Failed opening the temp RDB file ") + temp +
                      " (in server root dir " + server.config().dir() + ") for saving: " +
                      strerror(errno);
    LOG_WARNING("%s", err.c_str());
    snap.Abort();
    snap.Write([](std::string_view) { return false; });  // removes the observers
    return err;
  }
  int write_errno = 0;
  size_t since_sync = 0;
  bool incremental = server.config().rdb_save_incremental_fsync.load();
  std::string failure = snap.Write([&](std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = write(fd, bytes.data(), bytes.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        write_errno = n < 0 ? errno : ENOSPC;
        return false;
      }
      bytes.remove_prefix(static_cast<size_t>(n));
      since_sync += static_cast<size_t>(n);
    }
    if (incremental && since_sync >= kIncrementalFsync) {
      fdatasync(fd);
      since_sync = 0;
    }
    RestorePriorityIfSlow();
    return true;
  });
  if (failure.empty() && fsync(fd) != 0) {
    write_errno = errno;
    failure = "write error";
  }
  if (close(fd) != 0 && failure.empty()) {
    write_errno = errno;
    failure = "write error";
  }
  if (!failure.empty()) {
    unlink(temp.c_str());
    std::string err = failure == "aborted" ? std::string("Background saving aborted")
                                           : std::string("Write error saving DB on disk: ") +
                                                 strerror(write_errno ? write_errno : EIO);
    LOG_WARNING("%s", err.c_str());
    return err;
  }
  if (rename(temp.c_str(), target.c_str()) != 0) {
    std::string err = std::string("Error moving temp DB file ") + temp + " on the final destination " +
                      target + " (in server root dir " + server.config().dir() + "): " + strerror(errno);
    LOG_WARNING("%s", err.c_str());
    unlink(temp.c_str());
    return err;
  }
  int dfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);  // the rename itself survives a crash
    close(dfd);
  }
  return "";
}

Persistence::Persistence(Server& server) : server_(server) { lastsave_ = NowMs() / 1000; }

Persistence::~Persistence() { StopBackgroundSave(); }

uint64_t Persistence::TotalDirty() {
  uint64_t total = 0;
  ForEachStats([&](const ThreadStats& s) { total += s.dirty.Get(); });
  return total;
}

uint64_t Persistence::dirty() const {
  uint64_t total = TotalDirty(), saved = dirty_saved_.load();
  return total > saved ? total - saved : 0;
}

bool Persistence::Load() {
  std::string path = server_.config().dbfilename();
  if (access(path.c_str(), F_OK) != 0) return true;  // nothing saved yet
  int64_t start = NowMs();
  RdbLoadResult r = LoadRdbFile(path, server_.keyspace(), start);
  if (!r.ok) {
    LOG_WARNING("Fatal error loading the DB: %s. Exiting.", r.error.c_str());
    return false;
  }
  std::string err;
  if (!InstallFunctions(server_, r.functions, &err)) {
    LOG_WARNING("Fatal error loading the DB: %s. Exiting.", err.c_str());
    return false;
  }
  load_loaded_ = r.keys_loaded;
  load_expired_ = r.keys_expired;
  dirty_saved_ = TotalDirty();  // what loading inserted is not a change
  LOG_NOTICE("Loading RDB produced by version %s", r.redis_ver.empty() ? "?" : r.redis_ver.c_str());
  LOG_NOTICE("Done loading RDB, keys loaded: %llu, keys expired: %llu.",
             static_cast<unsigned long long>(r.keys_loaded),
             static_cast<unsigned long long>(r.keys_expired));
  LOG_NOTICE("DB loaded from disk: %.3f seconds", static_cast<double>(NowMs() - start) / 1000.0);
  return true;
}

std::string Persistence::Save() {
  if (bg_running_.load()) return "Background save already in progress";
  // An AOF rewrite's snapshot may be running: a synchronous save waits.
  std::unique_ptr<Snapshot> snap;
  uint64_t dirty_at_start = 0;
  for (;;) {
    dirty_at_start = TotalDirty();
    snap = BeginSnapshot(server_);
    if (snap != nullptr) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::string temp = "temp-" + std::to_string(getpid()) + "-" + std::to_string(temp_seq_++) + ".rdb";
  std::string err = WriteSnapshotFile(server_, *snap, temp, server_.config().dbfilename());
  if (err.empty()) {
    LOG_NOTICE("DB saved on disk");
    dirty_saved_ = dirty_at_start;
    lastsave_ = NowMs() / 1000;
    last_ok_ = true;
    saves_++;
  } else {
    last_ok_ = false;
  }
  return err;
}

Persistence::BgsaveResult Persistence::BackgroundSave(bool schedule) {
  std::lock_guard<std::mutex> lk(mu_);
  if (bg_running_.load()) {
    if (schedule) {
      scheduled_ = true;
      return BgsaveResult::kScheduled;
    }
    return BgsaveResult::kInProgress;
  }
  if (StartBackground()) return BgsaveResult::kStarted;
  // An AOF rewrite's snapshot is running.
  if (!schedule) return BgsaveResult::kBusy;
  scheduled_ = true;
  return BgsaveResult::kScheduled;
}

bool Persistence::StartBackground() {
  // mu_ held.
  if (bg_.joinable()) bg_.join();
  uint64_t dirty_at_start = TotalDirty();
  bg_snap_ = BeginSnapshot(server_, false);
  if (bg_snap_ == nullptr) return false;
  scheduled_ = false;
  bg_running_ = true;
  bg_done_ = false;
  int64_t start = NowMs();
  bg_start_ms_ = start;
  last_try_ms_ = start;
  Snapshot* snap = bg_snap_.get();
  std::string temp = "temp-" + std::to_string(getpid()) + "-" + std::to_string(temp_seq_++) + ".rdb";
  LOG_NOTICE("Background saving started");
  bg_ = std::thread([this, snap, temp, dirty_at_start, start] {
    RunAtIdlePriority();
    std::string err = WriteSnapshotFile(server_, *snap, temp, server_.config().dbfilename());
    if (err.empty()) LOG_NOTICE("Background saving terminated with success");
    snap->Release();  // before the save stops counting as in progress
    Finished(err.empty(), dirty_at_start, start);
  });
  return true;
}

void Persistence::Finished(bool ok, uint64_t dirty_at_start, int64_t started_ms) {
  if (ok) {
    dirty_saved_ = dirty_at_start;
    lastsave_ = NowMs() / 1000;
    saves_++;
  }
  last_ok_ = ok;
  last_bg_secs_ = (NowMs() - started_ms) / 1000;
  bg_running_ = false;
  bg_done_ = true;
}

void Persistence::Cron() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (bg_done_.load() && bg_.joinable()) {
      bg_.join();
      bg_snap_.reset();
      bg_done_ = false;
    }
    if (bg_running_.load()) return;
    if (scheduled_.load()) {
      StartBackground();
      return;
    }
  }
  if (server_.shutting_down()) return;
  std::string spec = server_.config().save();
  if (spec.empty()) return;
  int64_t now = NowMs();
  uint64_t changes = dirty();
  for (const auto& [seconds, need] : SavePoints(spec)) {
    bool retry_ok = last_ok_.load() || now - last_try_ms_.load() > kRetryDelayMs;
    if (changes >= static_cast<uint64_t>(need) && now / 1000 - lastsave_.load() > seconds && retry_ok) {
      LOG_NOTICE("%lld changes in %lld seconds. Saving...", static_cast<long long>(need),
                 static_cast<long long>(seconds));
      BackgroundSave(false);
      return;
    }
  }
}

void Persistence::StopBackgroundSave() {
  std::lock_guard<std::mutex> lk(mu_);
  scheduled_ = false;
  if (bg_snap_ && bg_running_.load()) bg_snap_->Abort();
  if (bg_.joinable()) bg_.join();
  bg_snap_.reset();
  bg_done_ = false;
}

bool Persistence::WritesRefused() const {
  return !last_ok_.load(std::memory_order_relaxed) &&
         server_.config().stop_writes_on_bgsave_error.load(std::memory_order_relaxed) &&
         !server_.config().save().empty();
}

void Persistence::AppendInfo(std::string& out) const {
  uint64_t processed = 0, total = 0;
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (bg_snap_ && bg_running_.load()) {
      processed = bg_snap_->keys_written();
      total = bg_snap_->keys_total();
    }
  }
  bool running = bg_running_.load();
  AppendField(out, "loading", 0);
  AppendField(out, "async_loading", 0);
  AppendField(out, "current_cow_peak", 0);
  AppendField(out, "current_cow_size", 0);
  AppendField(out, "current_cow_size_age", 0);
  AppendField(out, "current_fork_perc", "0.00");
  AppendField(out, "current_save_keys_processed", static_cast<int64_t>(processed));
  AppendField(out, "current_save_keys_total", static_cast<int64_t>(total));
  AppendField(out, "rdb_changes_since_last_save", static_cast<int64_t>(dirty()));
  AppendField(out, "rdb_bgsave_in_progress", running ? 1 : 0);
  AppendField(out, "rdb_last_save_time", lastsave_.load());
  AppendField(out, "rdb_last_bgsave_status", last_ok_.load() ? "ok" : "err");
  AppendField(out, "rdb_last_bgsave_time_sec", last_bg_secs_.load());
  AppendField(out, "rdb_current_bgsave_time_sec", running ? (NowMs() - bg_start_ms_.load()) / 1000 : -1);
  AppendField(out, "rdb_saves", static_cast<int64_t>(saves_.load()));
  AppendField(out, "rdb_last_cow_size", 0);
  AppendField(out, "rdb_last_load_keys_expired", static_cast<int64_t>(load_expired_.load()));
  AppendField(out, "rdb_last_load_keys_loaded", static_cast<int64_t>(load_loaded_.load()));
}

}  // namespace magpie
