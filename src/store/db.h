// The keyspace: databases, each split into shards by Redis Cluster hash slot.
//
// A shard owns a mutex, its hash table and the array of its keys that carry
// a TTL. Every access to a shard's table, entries and volatile array happens
// with its mutex held. Commands lock the shards of their keys; several shards
// are always locked in one global order (by address) through ShardSet, so
// multi-key commands cannot deadlock, whatever databases they span.
//
// A cluster slot maps to exactly one shard (shard = slot mod kNumShards), so
// a future slot migration moves whole shards' subsets without re-hashing.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "store/entry.h"
#include "store/evict.h"
#include "store/s3fifo.h"
#include "store/table.h"

namespace magpie {

constexpr uint32_t kNumShards = 64;  // per database; a power of two dividing 16384

// A shard's mutex. While a transaction (EXEC) runs on a thread, the shards
// it locked up front stay locked for all its commands: their own lock and
// unlock calls on those shards are no-ops (see TransactionHold).
class ShardMutex {
 public:
  void lock() {
    if (!HeldByTransaction()) mu_.lock();
  }
  void unlock() {
    if (!HeldByTransaction()) mu_.unlock();
  }
  bool try_lock() { return HeldByTransaction() || mu_.try_lock(); }

 private:
  bool HeldByTransaction() const;
  std::mutex mu_;
};

struct KeyRef {
  std::string_view key;
  uint64_t hash;
  uint32_t shard;
  static KeyRef Of(std::string_view key);
};

class Shard;

// Sees every key of a shard before it changes, while a point-in-time
// snapshot walks that shard (persistence/snapshot.h). Called with the
// shard's lock held. `current` is the key's entry as it is now (nullptr:
// the key is absent and about to be created).
class ShardObserver {
 public:
  virtual ~ShardObserver() = default;
  virtual void BeforeChange(const KeyRef& k, Entry* current) = 0;
  // Whether the snapshot has yet to reach this key: an entry put in the
  // table for it now is marked Entry::kSnapshotDone (born after the instant).
  virtual bool Pending(const KeyRef& k) const = 0;
  // The whole table is about to be emptied or swapped away (FLUSHDB,
  // SWAPDB): the observer must take what it still needs now.
  virtual void BeforeClear() = 0;
};

// While a read-only command runs on this thread its lookups cannot change
// anything, so Shard::Find need not tell the observer (see RunHandler).
class ReadOnlyAccess {
 public:
  explicit ReadOnlyAccess(bool on) : saved_(t_on) { t_on = on; }
  ~ReadOnlyAccess() { t_on = saved_; }
  ReadOnlyAccess(const ReadOnlyAccess&) = delete;
  ReadOnlyAccess& operator=(const ReadOnlyAccess&) = delete;
  static bool on() { return t_on; }

 private:
  static inline thread_local bool t_on = false;
  bool saved_;
};

class Shard {
 public:
  Shard() = default;
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;
  ~Shard();

  ShardMutex& mu() { return mu_; }
  // The database this shard belongs to (for WATCH).
  void set_db_index(int db) { db_index_ = db; }
  int db_index() const { return db_index_; }

  // A value changed in place (APPEND, SETBIT, an in-place INCR...): gives
  // it a new memcached CAS and tells its WATCHers. Requires mu() held.
  void Modified(Entry* e);
  // Tells the WATCHers of a key that it changed. Requires mu() held.
  void NoteModified(std::string_view key);

  // All members below require mu() held.

  // The live entry for the key, or nullptr. An expired entry is deleted on
  // the way (lazy expiry) and counted in expired_keys.
  Entry* Find(const KeyRef& k, int64_t now_ms, bool* expired = nullptr);
  // Adds an entry whose key is absent (after Find returned nullptr).
  void Insert(const KeyRef& k, Entry* e);
  // Puts `new_e` in place of `old_e` (same key) and frees `old_e` (but not
  // a collection value the two share: `new_e` owns it now).
  void Replace(Entry* old_e, Entry* new_e, const KeyRef& k);
  // Inserts, or replaces whatever the key held.
  void Upsert(const KeyRef& k, Entry* e, int64_t now_ms);
  // Removes and frees the key's entry; false if it was absent.
  bool Erase(const KeyRef& k);
  // Removes the key's entry and hands it to the caller.
  Entry* Detach(const KeyRef& k);

  // A value changed in place: its entry's AllocatedSize went from `before`
  // to `after` (see ValueChange in commands/helpers.h).
  void AdjustBytes(size_t before, size_t after);

  // Sets or clears (expire_ms < 0) the TTL of the key's entry; returns the
  // entry, which may have moved.
  Entry* SetExpire(Entry* e, const KeyRef& k, int64_t expire_ms);

  // Active expiry: samples keys with a TTL and deletes the expired ones
  // until few samples are expired or the deadline (monotonic µs) passes.
  size_t ExpireCycle(int64_t now_ms, int64_t deadline_us);
  // Random live entry, or nullptr if the shard is empty.
  Entry* RandomEntry(int64_t now_ms);
  // Hash field expiration. A key whose value HasVolatileSubkeys() is listed
  // by name (entries move when replaced; names do not) on Insert/Replace or
  // by NoteVolatileSubkeys; the cycle visits listed keys in name order from
  // where it stopped, calls the registered expirer (the hash family), and
  // forgets keys that are gone or have no field TTL left.
  using SubkeyExpirer = size_t (*)(Shard& shard, Entry* e, const KeyRef& k, int64_t now_ms);
  static void SetSubkeyExpirer(SubkeyExpirer fn);
  void NoteVolatileSubkeys(std::string_view key);
  bool has_volatile_subkeys() const { return !subkey_keys_.empty(); }
  size_t ExpireSubkeysCycle(int64_t now_ms, int64_t deadline_us);
  // Eviction (store/evict.h). Up to n random entries, only keys with a TTL
  // when `volatile_only`; duplicates possible.
  size_t Sample(Entry** out, size_t n, bool volatile_only);
  // A random key with a TTL, or nullptr.
  Entry* RandomVolatile();
  // S3-FIFO's next victim in this shard, or nullptr if its queues are empty.
  Entry* S3Victim(bool volatile_only);
  // Removes and frees an entry chosen for eviction; counts evicted_keys.
  void Evict(Entry* e);
  // The S3-FIFO queues (nullptr under other policies).
  const S3Fifo* s3() const { return s3_.get(); }
  // Bytes of the S3-FIFO queues.
  size_t EvictionOverhead() const { return s3_ ? s3_->MemoryUsage() : 0; }

  // Moves a few slots of an in-progress table migration.
  void RehashStep(size_t n) { table_.MigrateStep(n); }
  // After the policy moved away from S3-FIFO (cron): rewrites the compact
  // entries (store/entry.h) of about `buckets` table buckets into the full
  // form, which has an access clock again. Does nothing when none are left.
  void ExpandCompactStep(size_t buckets);
  // Rewrites one compact entry into the full form now and returns the new
  // entry (same key, value, TTL and flags; a fresh clock). Nothing that
  // watches the key sees a change.
  Entry* Expand(Entry* e);

  // Moves everything out (for FLUSHDB); the caller frees with FreeTable().
  void TakeAll(Table* out);
  // Exchanges contents with another shard (SWAPDB).
  void SwapContents(Shard& other);

  const Table& table() const { return table_; }

  // The snapshot walking this shard, or nullptr (requires mu() held).
  ShardObserver* observer() const { return observer_; }
  void set_observer(ShardObserver* o) { observer_ = o; }

  // Readable without the lock (approximate while writers run).
  size_t size() const { return size_.load(std::memory_order_relaxed); }
  size_t expires() const { return expires_.load(std::memory_order_relaxed); }
  // Bytes of the entries stored here (allocator sizes), for memcached's
  // `bytes` and INFO's used_memory_dataset.
  size_t bytes() const { return bytes_.load(std::memory_order_relaxed); }

  uint64_t NextRandom();

 private:
  void AddVolatile(Entry* e);
  void RemoveVolatile(Entry* e);
  void UpdateCounts();
  // Follows a change of eviction policy: builds or drops the S3-FIFO queues.
  void SyncEviction() {
    if (evict_epoch_ != g_eviction.policy_epoch.load(std::memory_order_relaxed)) ResyncEviction();
  }
  void ResyncEviction();
  // Schedules a pass of ExpandCompactStep over the table: the policy left
  // S3-FIFO, or a compact entry made just before it did came in after.
  void ExpandLater();
  // Keeps the S3-FIFO queues' bytes in the tracked memory (TrackedBytes).
  void TrackEvictionOverhead();
  bool S3Eligible(const Entry* e) const {
    return !volatile_s3_ || e->has_expire();
  }
  void DeleteExpired(Entry* e, const KeyRef& k);
  // Every change to a key: WATCHers are marked dirty and CLIENT TRACKING
  // readers invalidated (`expiry`: the change is an expired key's removal).
  void KeyChanged(std::string_view key, bool expiry = false);
  void AddBytes(const Entry* e, bool add);
  // Replace() of an entry that counted `old_bytes` (its value may have
  // moved to `new_e` already).
  void ReplaceCounted(Entry* old_e, size_t old_bytes, Entry* new_e, const KeyRef& k);

  // Tells the observer (if any) that the key is about to change.
  void BeforeChange(const KeyRef& k, Entry* current) {
    if (observer_ != nullptr) [[unlikely]] observer_->BeforeChange(k, current);
  }
  // An entry entering the table: marked if a snapshot must not write it.
  void MarkNew(const KeyRef& k, Entry* e) {
    e->set_snapshot_done(observer_ != nullptr && observer_->Pending(k));
  }

  ShardMutex mu_;
  ShardObserver* observer_ = nullptr;  // a snapshot in progress
  int db_index_ = 0;
  Table table_;
  std::vector<Entry*> volatile_;  // entries with a TTL; each knows its index
  std::set<std::string, std::less<>> subkey_keys_;  // keys with field TTLs
  std::string subkey_cursor_;                      // last key the cycle visited
  std::atomic<size_t> size_{0};
  std::atomic<size_t> expires_{0};
  std::atomic<size_t> bytes_{0};
  uint64_t rng_ = 0x9E3779B97F4A7C15ULL;
  std::unique_ptr<S3Fifo> s3_;  // only under an S3-FIFO policy
  bool volatile_s3_ = false;     // volatile-s3fifo: only keys with a TTL are queued
  // The policy left S3-FIFO: compact entries from expand_cursor_ (a SCAN
  // cursor) on may still wait for ExpandCompactStep.
  bool expand_pending_ = false;
  uint64_t expand_cursor_ = 0;
  uint64_t evict_epoch_ = 0;     // policy_epoch that s3_ follows
  size_t s3_bytes_ = 0;          // s3_'s MemoryUsage() as last tracked
};

// While an AOF is replayed nothing expires: a key whose time has passed is
// still there for the commands that follow, as when they first ran (the
// log has the DEL that removed it). Expiry resumes after loading.
void SetLoading(bool loading);
bool Loading();

// Called with the shard lock held when expiry or eviction deletes a key
// (the AOF logs a DEL). `db` is the key's database.
using DeletionLogger = void (*)(int db, std::string_view key);
void SetDeletionLogger(DeletionLogger fn);

// While a CLIENT PAUSE is in force the dataset is frozen: expired keys read
// as missing but are not deleted, and the active cycle stands still.
void SetExpiryFrozen(bool frozen);
bool ExpiryFrozen();

// Frees every entry of a detached table.
void FreeTable(Table* t);

class Db {
 public:
  explicit Db(int index) {
    for (Shard& s : shards_) s.set_db_index(index);
  }
  Shard& shard(uint32_t i) { return shards_[i]; }
  Shard& shard_for(const KeyRef& k) { return shards_[k.shard]; }
  size_t size() const;
  size_t expires() const;
  size_t bytes() const;
  // Whether the key is in the table (expired or not); shard locked.
  bool Contains(std::string_view key);

 private:
  Shard shards_[kNumShards];
};

class Keyspace {
 public:
  explicit Keyspace(int databases);
  int count() const { return static_cast<int>(dbs_.size()); }
  Db& db(int i) { return *dbs_[static_cast<size_t>(i)]; }

 private:
  std::vector<std::unique_ptr<Db>> dbs_;
};

// Empties databases first..last. The tables are detached under the shard
// locks and their entries freed after the locks are released: on a
// background thread when `async`, by the caller otherwise — either way no
// other client waits for the memory to be released.
void FlushDatabases(Keyspace& ks, int first, int last, bool async);
// Frees a detached entry; a big collection is freed on the background
// thread (UNLINK), so no client waits for it.
void FreeEntryLazily(Entry* e);
// Waits for the background frees of FLUSH* ASYNC (called at shutdown).
void JoinBackgroundFrees();

// Locks a set of shards in one global order, unlocks on destruction.
class ShardSet {
 public:
  ShardSet() = default;
  ShardSet(const ShardSet&) = delete;
  ShardSet& operator=(const ShardSet&) = delete;
  ~ShardSet() { Unlock(); }

  void Add(Shard* s) { shards_.push_back(s); }
  void Lock();
  void Unlock();
  // Adds `s` to a locked set (a script touching a key it did not declare).
  // A shard ordered after every held one is locked, waiting as long as it
  // takes: that keeps the global order. One ordered before is only tried
  // (waiting for it could deadlock), for up to `patience_us`; false if it
  // stayed taken.
  bool Acquire(Shard* s, int64_t patience_us);
  // The shards, in lock order (after Lock).
  const std::vector<Shard*>& shards() const { return shards_; }

 private:
  std::vector<Shard*> shards_;
  bool locked_ = false;
};

// Marks the shards of a locked ShardSet as held by the transaction running
// on this thread, until destroyed (before the set unlocks them). A command
// of the transaction must only lock shards of the set.
class TransactionHold {
 public:
  explicit TransactionHold(const ShardSet& set);
  ~TransactionHold();
  // Whether this thread runs inside a hold (an EXEC): its commands must
  // not lock shards of their own.
  static bool active();
  TransactionHold(const TransactionHold&) = delete;
  TransactionHold& operator=(const TransactionHold&) = delete;
};

}  // namespace magpie
