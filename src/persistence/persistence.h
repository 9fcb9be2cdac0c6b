// Persistence: RDB snapshots (SAVE, BGSAVE, save points, load at startup)
// and the state INFO persistence reports.
//
// A save is a Snapshot (persistence/snapshot.h) written to
// "temp-<pid>-<n>.rdb" in `dir`, fsynced, then renamed over `dbfilename`
// — a reader never sees a partial file. SAVE writes it on the calling
// thread (other workers keep serving: the snapshot is a point-in-time cut,
// not a stop-the-world). BGSAVE writes it on a background thread at low
// priority. There is no fork, so no copy-on-write memory.
//
// "dirty" is Redis's server.dirty: changes to the dataset, counted by the
// shards (one per key changed). A successful save subtracts the changes
// made before it started; save points compare the rest with their
// thresholds, as Redis's serverCron does.
//
// Thread safety: every public member may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace magpie {

class Server;
class Snapshot;

inline constexpr const char* kMisconfError =
    "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to "
    "disk. Commands that may modify the data set are disabled, because this instance is "
    "configured to report errors during writes if RDB snapshotting fails "
    "(stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB "
    "error.";

// Takes a snapshot's cut of the whole keyspace now (see snapshot.h), with
// the options the configuration asks for; nullptr while another snapshot
// (a BGSAVE, an AOF rewrite) runs. `aof_base`: the image starts an AOF (its
// aof-base AUX field says so).
std::unique_ptr<Snapshot> BeginSnapshot(Server& server, bool aof_base = false);

// For the thread writing a background snapshot: SCHED_IDLE, so it runs only
// on CPU time the workers leave. A worker that finds a shard locked by it
// sleeps on the mutex, which leaves the CPU to the writer until it unlocks
// (one chunk of 64 buckets): no inversion lasts longer than that. A save
// still running after 30 s goes back to normal priority (a server kept 100%
// busy would starve it).
void RunAtIdlePriority();
// Writes a snapshot to `temp` (fsynced), then renames it to `target`, all
// relative to the working directory (`dir`). "" or the error, logged.
std::string WriteSnapshotFile(Server& server, Snapshot& snap, const std::string& temp,
                              const std::string& target);

class Persistence {
 public:
  explicit Persistence(Server& server);
  ~Persistence();
  Persistence(const Persistence&) = delete;
  Persistence& operator=(const Persistence&) = delete;

  // Startup (and DEBUG RELOAD): loads dir/dbfilename into the keyspace if
  // the file exists. False when it exists but cannot be loaded (logged,
  // with the file and offset); the keyspace is then left as it was.
  bool Load();

  // SAVE: a snapshot written by the calling thread. "" or the reason it
  // failed (also logged and reported by INFO).
  std::string Save();

  enum class BgsaveResult { kStarted, kScheduled, kInProgress, kBusy };
  // BGSAVE [SCHEDULE]. `schedule`: run it once the one in progress ends.
  BgsaveResult BackgroundSave(bool schedule);
  bool bgsave_in_progress() const { return bg_running_.load(); }
  // A background save the cron starts within 100 ms.
  void Schedule() { scheduled_ = true; }

  // Main thread, every 100 ms: reaps a finished background save, starts a
  // scheduled one, and checks the save points.
  void Cron();
  // Shutdown: stops a background save in progress and waits for it.
  void StopBackgroundSave();

  // stop-writes-on-bgsave-error: the last save failed, save points are
  // set, and the option is on. Write commands (and PING) then get MISCONF.
  bool WritesRefused() const;

  // Changes since the last successful save.
  uint64_t dirty() const;
  int64_t lastsave() const { return lastsave_.load(); }
  void AppendInfo(std::string& out) const;

 private:
  // False when another snapshot (an AOF rewrite) runs.
  bool StartBackground();
  void Finished(bool ok, uint64_t dirty_at_start, int64_t started_ms);
  static uint64_t TotalDirty();

  Server& server_;
  mutable std::mutex mu_;  // bg_, bg_snap_
  std::thread bg_;
  std::unique_ptr<Snapshot> bg_snap_;
  std::atomic<bool> bg_running_{false};
  std::atomic<bool> bg_done_{false};  // the thread finished; Cron joins it
  std::atomic<bool> scheduled_{false};
  std::atomic<uint64_t> temp_seq_{0};

  std::atomic<uint64_t> dirty_saved_{0};  // TotalDirty() covered by the last save
  std::atomic<int64_t> lastsave_{0};      // unix seconds of the last successful save
  std::atomic<bool> last_ok_{true};
  std::atomic<int64_t> last_try_ms_{0};   // last background save attempt
  std::atomic<int64_t> last_bg_secs_{-1};
  std::atomic<int64_t> bg_start_ms_{0};
  std::atomic<uint64_t> saves_{0};
  std::atomic<uint64_t> load_loaded_{0};
  std::atomic<uint64_t> load_expired_{0};
};

}  // namespace magpie
