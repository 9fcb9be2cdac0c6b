#include "persistence/aof.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/util.h"
#include "persistence/aof_replay.h"
#include "persistence/persistence.h"
#include "persistence/rdb_load.h"
#include "persistence/snapshot.h"
#include "server/log.h"
#include "server/server.h"

namespace magpie {

namespace {

Aof* g_aof = nullptr;

struct Pending {
  int db;
  std::vector<std::string> args;
};
thread_local int t_depth = 0;                 // OrderScope nesting on this thread
thread_local std::vector<Pending> t_pending;  // records of the outermost command
thread_local bool t_has_override = false;
thread_local Pending t_override;
thread_local uint64_t t_last_seq = 0;  // the last record this thread appended

void AppendBulk(std::string* out, std::string_view s) {
  out->push_back('$');
  out->append(std::to_string(s.size()));
  out->append("\r\n");
  out->append(s);
  out->append("\r\n");
}

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

int64_t FileSize(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
}

// Relative expire times in `args` made absolute (ms), so a replay at any
// later time sets the same deadline. Returns false when `args` stays as is.
bool AbsoluteTtlForm(const std::vector<std::string_view>& args, int64_t now_ms,
                     std::vector<std::string>* out) {
  std::string name = ToLower(args[0]);
  auto abs_ms = [&](std::string_view v, int64_t unit) -> std::string {
    auto n = ParseInt64(v);
    return std::to_string(now_ms + (n ? *n : 0) * unit);
  };
  if ((name == "expire" || name == "pexpire") && args.size() >= 3) {
    *out = {"PEXPIREAT", std::string(args[1]), abs_ms(args[2], name == "expire" ? 1000 : 1)};
    return true;
  }
  if (name == "expireat" && args.size() >= 3) {
    auto n = ParseInt64(args[2]);
    *out = {"PEXPIREAT", std::string(args[1]), std::to_string((n ? *n : 0) * 1000)};
    return true;
  }
  if ((name == "setex" || name == "psetex") && args.size() == 4) {
    *out = {"SET", std::string(args[1]), std::string(args[3]), "PXAT",
            abs_ms(args[2], name == "setex" ? 1000 : 1)};
    return true;
  }
  if (name == "set" || name == "getex") {
    bool changed = false;
    std::vector<std::string> v;
    for (size_t i = 0; i < args.size(); ++i) {
      std::string opt = ToLower(args[i]);
      if (i >= 2 && i + 1 < args.size() && (opt == "ex" || opt == "px" || opt == "exat")) {
        v.push_back("PXAT");
        if (opt == "exat") {
          auto n = ParseInt64(args[i + 1]);
          v.push_back(std::to_string((n ? *n : 0) * 1000));
        } else {
          v.push_back(abs_ms(args[i + 1], opt == "ex" ? 1000 : 1));
        }
        ++i;
        changed = true;
      } else {
        v.emplace_back(args[i]);
      }
    }
    if (changed) *out = std::move(v);
    return changed;
  }
  if (name == "restore" && args.size() >= 4) {
    bool abs = false;
    for (size_t i = 4; i < args.size(); ++i) abs |= EqualsIgnoreCase(args[i], "absttl");
    auto ttl = ParseInt64(args[2]);
    if (abs || !ttl || *ttl == 0) return false;
    *out = {args.begin(), args.end()};
    (*out)[2] = std::to_string(now_ms + *ttl);
    out->push_back("ABSTTL");
    return true;
  }
  return false;
}

}  // namespace

Aof::Aof(Server& server) : server_(server) { g_aof = this; }

Aof::~Aof() {
  Shutdown();
  if (g_aof == this) g_aof = nullptr;
}

// --- records -------------------------------------------------------------------

Aof::OrderScope::OrderScope(bool write) {
  if (t_depth > 0) {
    ++t_depth;
    outer_ = false;
    locked_ = true;  // nested: only counts
    return;
  }
  if (!write || !on() || g_aof == nullptr) return;
  g_aof->order_mu_.lock();
  t_depth = 1;
  outer_ = true;
  locked_ = true;
}

Aof::OrderScope::~OrderScope() {
  if (!locked_) return;
  if (!outer_) {
    --t_depth;
    return;
  }
  std::vector<Pending> records;
  records.swap(t_pending);
  if (records.size() == 1) {
    std::vector<std::string_view> v(records[0].args.begin(), records[0].args.end());
    g_aof->Append(records[0].db, v);
  } else if (records.size() > 1) {
    g_aof->Append(records[0].db, {"MULTI"});
    for (const Pending& p : records) {
      std::vector<std::string_view> v(p.args.begin(), p.args.end());
      g_aof->Append(p.db, v);
    }
    g_aof->Append(records.back().db, {"EXEC"});
  }
  t_depth = 0;
  g_aof->order_mu_.unlock();
}

void Aof::LogInstead(int db, std::vector<std::string> args) {
  if (!on()) return;
  t_has_override = true;
  t_override = Pending{db, std::move(args)};
}

void Aof::LogCommand(int db, const std::vector<std::string_view>& args, int64_t now_ms) {
  if (!on() || g_aof == nullptr) {
    t_has_override = false;
    return;
  }
  Pending p{db, {}};
  if (t_has_override) {
    p = std::move(t_override);
    t_has_override = false;
  } else if (!AbsoluteTtlForm(args, now_ms, &p.args)) {
    p.args.assign(args.begin(), args.end());
  }
  if (t_depth > 0) {
    t_pending.push_back(std::move(p));
    return;
  }
  std::vector<std::string_view> v(p.args.begin(), p.args.end());
  g_aof->Append(p.db, v);
}

void Aof::LogNow(int db, const std::vector<std::string_view>& args) {
  if (!on() || g_aof == nullptr) return;
  g_aof->Append(db, args);
}

void Aof::Append(int db, const std::vector<std::string_view>& args) {
  std::lock_guard<std::mutex> lk(buf_mu_);
  if (db != buf_db_ && args.size() > 0 && !EqualsIgnoreCase(args[0], "multi") &&
      !EqualsIgnoreCase(args[0], "exec")) {
    std::string d = std::to_string(db);
    buf_ += "*2\r\n$6\r\nSELECT\r\n";
    AppendBulk(&buf_, d);
    buf_db_ = db;
  }
  buf_.push_back('*');
  buf_.append(std::to_string(args.size()));
  buf_.append("\r\n");
  for (std::string_view a : args) AppendBulk(&buf_, a);
  t_last_seq = ++appended_;
}

bool Aof::NeedsSyncForReply() {
  if (!on() || t_last_seq == 0 || g_aof == nullptr) return false;
  bool always = g_aof->server_.config().appendfsync.load(std::memory_order_relaxed) == 2;
  return (always ? g_aof->synced_ : g_aof->written_).load(std::memory_order_acquire) < t_last_seq;
}

void Aof::SyncForReply() {
  Aof* a = g_aof;
  if (a == nullptr) return;
  std::lock_guard<std::mutex> lk(a->write_mu_);
  bool always = a->server_.config().appendfsync.load(std::memory_order_relaxed) == 2;
  // Another worker's group commit may have covered it.
  if ((always ? a->synced_ : a->written_).load() >= t_last_seq) return;
  if (!a->WriteOut(always) && always) {
    LOG_WARNING("Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...");
    _exit(1);
  }
}

bool Aof::WriteOut(bool fsync_after) {
  std::string out;
  uint64_t seq;
  {
    std::lock_guard<std::mutex> lk(buf_mu_);
    out.swap(buf_);
    seq = appended_;
  }
  if (fd_ < 0) return true;
  if (!out.empty()) {
    if (!WriteAll(fd_, out)) {
      LOG_WARNING("Error writing to the AOF file: %s", strerror(errno));
      last_write_ok_ = false;
      std::lock_guard<std::mutex> lk(buf_mu_);
      buf_.insert(0, out);  // kept for the next attempt
      return false;
    }
    size_.fetch_add(static_cast<int64_t>(out.size()));
  }
  if (fsync_after) {
    fdatasync(fd_);
    last_fsync_ms_ = NowMs();
  }
  last_write_ok_ = true;
  written_.store(seq, std::memory_order_release);
  if (fsync_after) synced_.store(seq, std::memory_order_release);
  return true;
}

// --- files -----------------------------------------------------------------------

std::string Aof::DirPath() const { return server_.config().appenddirname(); }
std::string Aof::PathOf(const std::string& name) const { return DirPath() + "/" + name; }
std::string Aof::IncrName(int64_t seq) const {
  return server_.config().appendfilename() + "." + std::to_string(seq) + ".incr.aof";
}
std::string Aof::BaseName(int64_t seq) const {
  return server_.config().appendfilename() + "." + std::to_string(seq) + ".base.rdb";
}

bool Aof::ReadManifest(Manifest* m, std::string* err) const {
  std::string path = PathOf(server_.config().appendfilename() + ".manifest");
  std::ifstream in(path);
  if (!in) return false;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::string k, name, file, seq_k, type_k, type;
    int64_t seq = 0;
    if (!(words >> k >> file >> seq_k >> seq >> type_k >> type) || k != "file" || seq_k != "seq" ||
        type_k != "type" || type.size() != 1) {
      *err = "Invalid AOF manifest file format (" + path + ", line " + std::to_string(n) + ")";
      return false;
    }
    if (type == "b") {
      m->base = file;
      m->base_seq = seq;
      m->base_rdb = file.size() > 4 && file.compare(file.size() - 4, 4, ".rdb") == 0;
    } else if (type == "i") {
      m->incr.emplace_back(file, seq);
    }  // "h": history, already superseded
  }
  return true;
}

bool Aof::WriteManifest(const Manifest& m, std::string* err) {
  std::string text;
  if (!m.base.empty()) {
    text += "file " + m.base + " seq " + std::to_string(m.base_seq) + " type b\n";
  }
  for (const auto& [name, seq] : m.incr) text += "file " + name + " seq " + std::to_string(seq) + " type i\n";
  std::string final_path = PathOf(server_.config().appendfilename() + ".manifest");
  std::string temp = PathOf("temp-" + server_.config().appendfilename() + ".manifest");
  int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || !WriteAll(fd, text) || fsync(fd) != 0) {
    *err = "Can't write the AOF manifest " + temp + ": " + strerror(errno);
    if (fd >= 0) close(fd);
    return false;
  }
  close(fd);
  if (rename(temp.c_str(), final_path.c_str()) != 0) {
    *err = "Can't rename the AOF manifest: " + std::string(strerror(errno));
    return false;
  }
  int dfd = open(DirPath().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return true;
}

bool Aof::OpenIncr(const std::string& name, std::string* err) {
  int fd = open(PathOf(name).c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    *err = "Can't open the append-only file " + name + ": " + strerror(errno);
    return false;
  }
  if (fd_ >= 0) close(fd_);
  fd_ = fd;
  {
    std::lock_guard<std::mutex> lk(buf_mu_);
    buf_db_ = -1;  // a new file starts with SELECT
  }
  return true;
}

// --- the AOF thread -----------------------------------------------------------------

void Aof::StartThread() {
  thread_stop_ = false;
  thread_ = std::thread([this] { Thread(); });
}

void Aof::Thread() {
  std::unique_lock<std::mutex> lk(thread_mu_);
  while (!thread_stop_) {
    thread_cv_.wait_for(lk, std::chrono::milliseconds(10));
    if (thread_stop_) break;
    lk.unlock();
    {
      std::lock_guard<std::mutex> w(write_mu_);
      int64_t mode = server_.config().appendfsync.load();
      bool fsync_now = mode == 2 || (mode == 1 && NowMs() - last_fsync_ms_ >= 1000);
      WriteOut(fsync_now);
    }
    lk.lock();
  }
}

// --- start and stop ----------------------------------------------------------------

bool Aof::LoadAndStart() {
  Manifest m;
  std::string err;
  bool have = ReadManifest(&m, &err);
  if (!err.empty()) {
    LOG_WARNING("%s", err.c_str());
    return false;
  }
  if (have) {
    int64_t start = NowMs();
    if (!m.base.empty()) {
      if (m.base_rdb) {
        RdbLoadResult r = LoadRdbFile(PathOf(m.base), server_.keyspace(), NowMs());
        if (!r.ok) {
          LOG_WARNING("Fatal error loading the AOF base: %s. Exiting.", r.error.c_str());
          return false;
        }
        if (!InstallFunctions(server_, r.functions, &err)) {
          LOG_WARNING("Fatal error loading the AOF base: %s. Exiting.", err.c_str());
          return false;
        }
      } else if (!ReplayAofFile(server_, PathOf(m.base), false, &err)) {
        LOG_WARNING("%s", err.c_str());
        return false;
      }
      base_size_ = FileSize(PathOf(m.base));
    }
    for (size_t i = 0; i < m.incr.size(); ++i) {
      bool last = i + 1 == m.incr.size();
      if (!ReplayAofFile(server_, PathOf(m.incr[i].first),
                         last && server_.config().aof_load_truncated.load(), &err)) {
        LOG_WARNING("%s", err.c_str());
        return false;
      }
      size_ += FileSize(PathOf(m.incr[i].first));
    }
    LOG_NOTICE("DB loaded from append only file: %.3f seconds",
               static_cast<double>(NowMs() - start) / 1000.0);
    manifest_ = m;
    std::string last = m.incr.empty() ? IncrName(m.base_seq) : m.incr.back().first;
    if (m.incr.empty()) manifest_.incr.emplace_back(last, m.base_seq);
    if (!OpenIncr(last, &err) || (m.incr.empty() && !WriteManifest(manifest_, &err))) {
      LOG_WARNING("%s", err.c_str());
      return false;
    }
    rewrite_base_size_ = base_size_ + size_;
    g_on = true;
    StartThread();
    return true;
  }
  // No AOF yet: whatever dump.rdb holds becomes the first base.
  if (!server_.persistence().Load()) return false;
  err = Enable();
  if (!err.empty()) {
    LOG_WARNING("%s", err.c_str());
    return false;
  }
  // At startup nobody waits: write the first base now.
  std::thread t;
  {
    std::lock_guard<std::mutex> lk(rw_mu_);
    t.swap(rw_thread_);
  }
  if (t.joinable()) t.join();
  Cron();
  return last_rw_ok_.load();
}

std::string Aof::Enable() {
  if (on()) return "";
  if (mkdir(DirPath().c_str(), 0755) != 0 && errno != EEXIST) {
    return "Can't create the append-only directory " + DirPath() + ": " + strerror(errno);
  }
  Manifest m;
  std::string err;
  if (ReadManifest(&m, &err)) {
    // Files of an earlier run: they are superseded by the rewrite below.
    std::lock_guard<std::mutex> lk(write_mu_);
    manifest_ = m;
  }
  g_on = true;
  err = BeginRewrite(true);
  if (!err.empty()) {
    g_on = false;
    return err;
  }
  if (!thread_.joinable()) StartThread();
  return "";
}

void Aof::Disable() {
  // Not under order_mu_: CONFIG SET may itself run inside an OrderScope.
  if (!on()) return;
  g_on = false;
  Shutdown();
}

void Aof::Shutdown() {
  {
    std::lock_guard<std::mutex> lk(rw_mu_);
    if (rw_snap_ && rw_running_.load()) rw_snap_->Abort();
  }
  if (rw_thread_.joinable()) rw_thread_.join();
  {
    std::lock_guard<std::mutex> lk(thread_mu_);
    thread_stop_ = true;
  }
  thread_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> w(write_mu_);
  if (fd_ >= 0) {
    WriteOut(true);
    close(fd_);
    fd_ = -1;
  }
}

// --- rewrite ---------------------------------------------------------------------

std::string Aof::StartRewrite() {
  if (!on()) {
    // Redis runs the rewrite even with the AOF off; Magpie only logs when on.
    return "ERR Background append only file rewriting is only possible with appendonly yes";
  }
  return BeginRewrite(false);
}

std::string Aof::BeginRewrite(bool first) {
  for (;;) {
    std::string r = TryBeginRewrite(first);
    if (r != kBusy) return r;
    // A BGSAVE's snapshot is running: one cut at a time. The first base
    // waits for it; a rewrite is scheduled for when it ends, as in Redis.
    if (!first) {
      rw_scheduled_ = true;
      return kRewriteScheduled;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::string Aof::TryBeginRewrite(bool first) {
  std::lock_guard<std::mutex> lk(rw_mu_);
  if (rw_running_.load()) return "ERR Background append only file rewriting already in progress";
  if (rw_thread_.joinable()) rw_thread_.join();
  int64_t seq;
  int64_t started = NowMs();
  {
    // No write is half done while the cut is taken and the next
    // incremental file starts.
    std::lock_guard<std::mutex> order(order_mu_);
    std::lock_guard<std::mutex> w(write_mu_);
    seq = manifest_.base_seq;
    for (const auto& [name, s] : manifest_.incr) seq = std::max(seq, s);
    ++seq;
    rw_snap_ = BeginSnapshot(server_, true);
    if (rw_snap_ == nullptr) return kBusy;
    WriteOut(true);
    std::string err;
    Manifest next = manifest_;
    if (first) next = Manifest{};  // nothing older is complete without its base
    next.incr.emplace_back(IncrName(seq), seq);
    if (!OpenIncr(IncrName(seq), &err) || !WriteManifest(next, &err)) {
      rw_snap_.reset();
      LOG_WARNING("%s", err.c_str());
      return "ERR " + err;
    }
    manifest_ = next;
  }
  rw_running_ = true;
  rw_done_ = false;
  rw_start_ms_ = started;
  LOG_NOTICE("Background append only file rewriting started");
  Snapshot* snap = rw_snap_.get();
  rw_thread_ = std::thread([this, snap, seq, started, first] {
    if (!first) RunAtIdlePriority();  // the first base, at startup, is awaited
    std::string temp = "temp-rewriteaof-" + std::to_string(getpid()) + ".aof";
    std::string err = WriteSnapshotFile(server_, *snap, PathOf(temp), PathOf(BaseName(seq)));
    snap->Release();  // before the rewrite stops counting as in progress
    FinishRewrite(err.empty(), temp, seq, started);
  });
  return "";
}

void Aof::FinishRewrite(bool ok, const std::string& temp, int64_t seq, int64_t started_ms) {
  (void)temp;
  if (ok) {
    std::lock_guard<std::mutex> w(write_mu_);
    Manifest old = manifest_;
    Manifest next;
    next.base = BaseName(seq);
    next.base_seq = seq;
    next.base_rdb = true;
    next.incr.emplace_back(IncrName(seq), seq);
    std::string err;
    if (!WriteManifest(next, &err)) {
      LOG_WARNING("%s", err.c_str());
      ok = false;
    } else {
      manifest_ = next;
      if (!old.base.empty() && old.base != next.base) unlink(PathOf(old.base).c_str());
      for (const auto& [name, s] : old.incr) {
        if (name != IncrName(seq)) unlink(PathOf(name).c_str());
      }
      base_size_ = FileSize(PathOf(next.base));
      size_ = FileSize(PathOf(IncrName(seq)));
      rewrite_base_size_ = base_size_ + size_;
    }
  }
  if (ok) {
    LOG_NOTICE("Background AOF rewrite terminated with success");
    rewrites_++;
    rw_failures_ = 0;
  } else {
    LOG_WARNING("Background AOF rewrite failed");
    rw_failures_++;
  }
  last_rw_ok_ = ok;
  last_rw_secs_ = (NowMs() - started_ms) / 1000;
  rw_running_ = false;
  rw_done_ = true;
}

void Aof::Cron() {
  {
    std::lock_guard<std::mutex> lk(rw_mu_);
    if (rw_done_.load() && rw_thread_.joinable()) {
      rw_thread_.join();
      rw_snap_.reset();
      rw_done_ = false;
    } else if (rw_done_.load()) {
      rw_snap_.reset();
      rw_done_ = false;
    }
    if (rw_running_.load()) return;
  }
  if (!on() || server_.shutting_down()) return;
  if (rw_scheduled_.exchange(false)) {
    BeginRewrite(false);  // schedules itself again while a BGSAVE runs
    return;
  }
  int64_t pct = server_.config().auto_aof_rewrite_percentage.load();
  int64_t min_size = server_.config().auto_aof_rewrite_min_size.load();
  int64_t cur = base_size_.load() + size_.load();
  int64_t base = rewrite_base_size_.load();
  if (pct > 0 && cur > min_size) {
    int64_t growth = base > 0 ? (cur * 100 / base) - 100 : pct;
    if (growth >= pct) {
      LOG_NOTICE("Starting automatic rewriting of AOF on %lld%% growth", static_cast<long long>(growth));
      BeginRewrite(false);
    }
  }
}

void Aof::AppendInfo(std::string& out) const {
  auto field = [&](const char* name, const std::string& v) {
    out += name;
    out += ':';
    out += v;
    out += "\r\n";
  };
  auto num = [&](const char* name, int64_t v) { field(name, std::to_string(v)); };
  bool running = rw_running_.load();
  num("aof_enabled", on() ? 1 : 0);
  num("aof_rewrite_in_progress", running ? 1 : 0);
  num("aof_rewrite_scheduled", rw_scheduled_.load() ? 1 : 0);
  num("aof_last_rewrite_time_sec", last_rw_secs_.load());
  num("aof_current_rewrite_time_sec", running ? (NowMs() - rw_start_ms_.load()) / 1000 : -1);
  field("aof_last_bgrewrite_status", last_rw_ok_.load() ? "ok" : "err");
  num("aof_rewrites", static_cast<int64_t>(rewrites_.load()));
  num("aof_rewrites_consecutive_failures", static_cast<int64_t>(rw_failures_.load()));
  field("aof_last_write_status", last_write_ok_.load() ? "ok" : "err");
  num("aof_last_cow_size", 0);
  num("module_fork_in_progress", 0);
  num("module_fork_last_cow_size", 0);
  if (on()) {
    num("aof_current_size", base_size_.load() + size_.load());
    num("aof_base_size", base_size_.load());
    num("aof_pending_rewrite", rw_scheduled_.load() ? 1 : 0);
    size_t pending;
    {
      std::lock_guard<std::mutex> lk(const_cast<std::mutex&>(buf_mu_));
      pending = buf_.size();
    }
    num("aof_buffer_length", static_cast<int64_t>(pending));
    num("aof_pending_bio_fsync", 0);
    num("aof_delayed_fsync", 0);
  }
}

}  // namespace magpie
