// Snapshot: a point-in-time RDB image of the whole keyspace, written while
// clients go on reading and writing — without fork and without copying the
// dataset.
//
// The cut. Begin() locks every shard of every database once, in the global
// lock order, and installs a ShardCut as each shard's observer. That instant
// is the snapshot's point in time T. The saving thread then writes each
// shard's keys in hash-prefix order, a chunk of buckets per lock hold (the
// Table's SCAN order, which is stable across resizes). A shard's `cursor` is
// the prefix below which all of its keys have been dealt with.
//
// Before a key changes, its shard tells its observer (Shard::BeforeChange).
// If the key's prefix is at or past the cursor and its entry is not marked
// Entry::kSnapshotDone, the ShardCut writes the key as it is — that is, as it
// was at T — into the snapshot's side buffer, from the worker that is about
// to change it, and marks the entry. An entry put in the table ahead of the
// cursor after T (a new key, or a replacement of a written one) is marked
// too (Shard::MarkNew). The saving thread skips marked entries and clears
// their mark as its cursor passes them. So every key present at T is written
// exactly once with its value at T, no key created later is, and no mark
// outlives the snapshot (an abandoned one clears the marks it left ahead).
// FLUSHDB and SWAPDB make the observer write the rest of the shard at once
// (BeforeClear). Keys that expire or are evicted after T: expiry is not
// reported (the key had expired and would be dropped on load anyway);
// eviction is, through Detach.
//
// Memory: only the output buffers, which the saving thread writes out every
// chunk (the mark is a bit of the entry's header). One snapshot at a time:
// a shard has one observer (TryBegin fails while another snapshot runs).
//
// Locks: ShardCut members run with their shard's lock held. The side buffer
// has its own mutex, taken after a shard lock and never before one.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/db.h"

namespace magpie {

class Snapshot;

// One shard's part of a snapshot; the shard's observer until it is written.
class ShardCut final : public ShardObserver {
 public:
  ShardCut(Snapshot* owner, Shard* shard, int db) : owner_(owner), shard_(shard), db_(db) {}

  void BeforeChange(const KeyRef& k, Entry* current) override;
  bool Pending(const KeyRef& k) const override;
  void BeforeClear() override;

  // Writes the next chunk of the shard into *out (shard lock held by the
  // caller); true when the shard is finished (the observer is removed).
  bool WriteChunk(std::string* out, size_t buckets);
  // Gives up: removes the observer (shard lock held by the caller).
  void Detach();

 private:
  Snapshot* owner_;
  Shard* shard_;
  int db_;
  bool attached_ = true;  // still the shard's observer
  uint64_t cursor_ = 0;  // every prefix below it has been dealt with
};

class Snapshot {
 public:
  struct Options {
    bool checksum = true;
    bool compress = true;   // rdbcompression: LZF for strings over 20 bytes
    bool save_lru = false;  // write IDLE records (an LRU policy is set)
    bool save_lfu = false;  // write FREQ records (an LFU policy is set)
    int64_t now_ms = 0;
    bool aof_base = false;  // the image is an AOF's base (AUX aof-base 1)
    // Library code of FUNCTION libraries, written before the databases.
    std::vector<std::string> functions;
    // Extra AUX fields written after Redis's own (name, value).
    std::vector<std::pair<std::string, std::string>> aux;
  };

  Snapshot(Keyspace& ks, Options options);
  ~Snapshot();
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

  // Takes the cut (instant T): locks every shard once. False, doing
  // nothing, while another snapshot is in progress.
  bool TryBegin();
  // Whether some snapshot is in progress.
  static bool Busy() { return g_busy.load(); }
  // Writes the whole image through `write` (false: an I/O error, which
  // ends the snapshot). Returns "" on success or the reason it failed.
  // Runs on the saving thread; Begin() must have been called.
  std::string Write(const std::function<bool(std::string_view)>& write);
  // Makes a running Write() stop at its next chunk (shutdown).
  void Abort() { aborted_.store(true); }

  // Ends the snapshot: removes the observers left (an aborted or failed
  // write) and frees the one-snapshot slot.
  void Release();

  uint64_t keys_written() const { return keys_.load(std::memory_order_relaxed); }
  uint64_t keys_total() const { return total_keys_; }

  // Appends one key's record: expire, IDLE/FREQ, type, key, value.
  void AppendRecord(std::string* out, const Entry& e);
  // A ShardCut hands over records it wrote early (BeforeClear), or has
  // one key written straight into the side buffer (BeforeChange).
  void AppendEarly(int db, std::string_view record);
  void WriteEarly(int db, const Entry& e);

 private:
  // Drains the side buffer into *out, SELECTDB before each database run.
  void DrainEarly(std::string* out);
  void SelectDb(std::string* out, int db);
  // Removes every observer still installed (an aborted or failed write).
  void DetachAll();

  static inline std::atomic<bool> g_busy{false};
  bool began_ = false;
  Keyspace& ks_;
  Options opt_;
  std::vector<std::unique_ptr<ShardCut>> cuts_;  // db-major, kNumShards per db
  std::vector<std::pair<size_t, size_t>> db_sizes_;  // keys and expires at T
  uint64_t total_keys_ = 0;
  int cur_db_ = -1;  // the database the output stream is in
  std::atomic<bool> aborted_{false};
  std::atomic<uint64_t> keys_{0};

  std::mutex side_mu_;
  std::vector<std::pair<int, std::string>> side_;  // early records by database
};

}  // namespace magpie
