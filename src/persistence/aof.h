// The append-only file, as Redis 7's multi-part AOF: in `dir`/`appenddirname`
// a manifest names one base file (an RDB image, or commands) and the
// incremental files of commands written since, replayed in order at startup.
//
// What is logged. A write command that changed the dataset (the shards'
// dirty count moved while it ran) is logged as it ran, in the database it
// ran in, except where replaying it later would not do the same: relative
// expire times become absolute (SET .. PXAT, PEXPIREAT), SPOP becomes the
// SREM of what it popped, a served BLPOP/BLMOVE/BZPOPMIN the pop it did.
// A transaction or a script is logged as the writes it made, inside
// MULTI/EXEC when there are several (scripts by their effects, as Redis 7).
// Keys deleted by expiry or eviction are logged as DEL. memcached-port
// writes are logged as the key's resulting state (SET ... PXAT, or DEL).
//
// Order. Workers run writes in parallel, but a log must list them in an
// order that replays to the same dataset. So while the AOF is on, a write
// holds the order mutex (OrderScope) across its execution and the append of
// its record; reads never take it. DELs of expired keys are appended under
// the key's shard lock, which orders them with respect to every write of
// that key. BGREWRITEAOF takes its snapshot's cut under the order mutex and
// starts the next incremental file at that instant, so the new base plus
// the new incremental file is exactly the dataset.
//
// Durability. Records go to an in-memory buffer. Before a worker sends a
// reply that follows a logged write it writes the buffer (everything
// appended so far, by every worker: group commit), as Redis writes its AOF
// buffer before replying — so a crashed process never loses an
// acknowledged write. appendfsync always: that write is also fsynced
// before the reply. everysec: the AOF thread fsyncs once a second (and
// writes every 10 ms what no reply waited for). no: the kernel flushes.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace magpie {

class Server;
class Snapshot;

class Aof {
 public:
  explicit Aof(Server& server);
  ~Aof();
  Aof(const Aof&) = delete;
  Aof& operator=(const Aof&) = delete;

  // Whether writes are being logged (the hot-path check).
  static bool on() { return g_on.load(std::memory_order_relaxed); }

  // Startup with appendonly yes: replays the manifest's files, or, with no
  // AOF yet, loads dump.rdb if there is one and writes a first base.
  // False (logged) when a file is bad. Then starts logging.
  bool LoadAndStart();
  // CONFIG SET appendonly yes/no at run time.
  std::string Enable();
  void Disable();
  // Shutdown: writes and fsyncs what is buffered, stops the threads.
  void Shutdown();

  // Held by a write across its execution and its record (see above).
  class OrderScope {
   public:
    explicit OrderScope(bool write);
    ~OrderScope();
    OrderScope(const OrderScope&) = delete;
    OrderScope& operator=(const OrderScope&) = delete;

   private:
    bool locked_ = false;
    bool outer_ = false;
  };

  // A write command finished and changed the dataset: logs `args` (as
  // rewritten for replay) in database `db`. Inside an OrderScope.
  static void LogCommand(int db, const std::vector<std::string_view>& args, int64_t now_ms);
  // The running command wants this record instead of its own (SPOP).
  static void LogInstead(int db, std::vector<std::string> args);
  // A record appended at once, not at the end of the command: a deletion
  // by expiry or eviction (under the key's shard lock), a served pop.
  static void LogNow(int db, const std::vector<std::string_view>& args);

  // Before replies go out: writes what this thread logged (and fsyncs it
  // under appendfsync always).
  static bool NeedsSyncForReply();
  static void SyncForReply();

  // BGREWRITEAOF. "" when started, kRewriteScheduled when it waits for a
  // BGSAVE to end, else the error text.
  std::string StartRewrite();
  static constexpr const char* kRewriteScheduled = "scheduled";
  bool rewrite_in_progress() const { return rw_running_.load(); }
  // Main thread, every 100 ms: reaps a finished rewrite, auto rewrite.
  void Cron();

  void AppendInfo(std::string& out) const;

 private:
  struct Manifest {
    std::string base;  // file name, "" if none
    bool base_rdb = true;
    int64_t base_seq = 0;
    std::vector<std::pair<std::string, int64_t>> incr;  // name, seq
  };
  static inline std::atomic<bool> g_on{false};

  std::string DirPath() const;
  std::string PathOf(const std::string& name) const;
  bool ReadManifest(Manifest* m, std::string* err) const;
  bool WriteManifest(const Manifest& m, std::string* err);
  std::string IncrName(int64_t seq) const;
  std::string BaseName(int64_t seq) const;
  bool OpenIncr(const std::string& name, std::string* err);
  // Writes the buffer out (write_mu_ held); fsync when asked.
  bool WriteOut(bool fsync_after);
  void Append(int db, const std::vector<std::string_view>& args);
  void Thread();
  void StartThread();
  std::string BeginRewrite(bool first);
  std::string TryBeginRewrite(bool first);  // kBusy: another snapshot runs
  static constexpr const char* kBusy = "busy";
  void FinishRewrite(bool ok, const std::string& temp, int64_t base_seq, int64_t started_ms);

  Server& server_;
  Manifest manifest_;  // guarded by write_mu_

  std::mutex order_mu_;  // OrderScope

  std::mutex buf_mu_;
  std::string buf_;         // records not yet written
  int buf_db_ = -1;         // the database the stream is in
  uint64_t appended_ = 0;   // records appended (buf_mu_)

  std::mutex write_mu_;     // fd_, the write/fsync of the buffer, manifest_
  int fd_ = -1;             // the current incremental file
  std::atomic<uint64_t> written_{0};  // records handed to the kernel (survive a crash)
  std::atomic<uint64_t> synced_{0};   // records fsynced (survive a power loss)
  std::atomic<int64_t> size_{0};     // bytes of the current incremental files
  std::atomic<int64_t> base_size_{0};
  std::atomic<int64_t> rewrite_base_size_{0};  // total size after the last rewrite
  int64_t last_fsync_ms_ = 0;
  std::atomic<bool> last_write_ok_{true};

  std::thread thread_;
  std::mutex thread_mu_;
  std::condition_variable thread_cv_;
  bool thread_stop_ = false;

  std::mutex rw_mu_;  // rw_thread_, rw_snap_
  std::thread rw_thread_;
  std::unique_ptr<Snapshot> rw_snap_;
  std::atomic<bool> rw_running_{false};
  std::atomic<bool> rw_done_{false};
  std::atomic<bool> rw_scheduled_{false};
  std::atomic<bool> last_rw_ok_{true};
  std::atomic<int64_t> rw_start_ms_{0};
  std::atomic<int64_t> last_rw_secs_{-1};
  std::atomic<uint64_t> rewrites_{0};
  std::atomic<uint64_t> rw_failures_{0};
};

}  // namespace magpie
