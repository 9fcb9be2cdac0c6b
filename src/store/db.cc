#include "store/db.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <thread>

#include "common/stats.h"
#include "common/util.h"
#include "pubsub/notify.h"
#include "pubsub/tracking.h"
#include "store/watch.h"
#include "types/value.h"

namespace magpie {

namespace {
std::atomic<bool> g_loading{false};
std::atomic<DeletionLogger> g_deletion_logger{nullptr};
}  // namespace

KeyRef KeyRef::Of(std::string_view key) {
  return KeyRef{key, HashKey(key), KeySlot(key) & (kNumShards - 1)};
}

Shard::~Shard() { FreeTable(&table_); }

void FreeTable(Table* t) {
  t->ForEach([](Entry* e) { Entry::Free(e); });
  t->Clear();
}

uint64_t Shard::NextRandom() {
  // xorshift64*: cheap, good enough for sampling.
  rng_ ^= rng_ >> 12;
  rng_ ^= rng_ << 25;
  rng_ ^= rng_ >> 27;
  return rng_ * 2685821657736338717ULL;
}

void Shard::UpdateCounts() {
  size_.store(table_.size(), std::memory_order_relaxed);
  expires_.store(volatile_.size(), std::memory_order_relaxed);
}

void Shard::AddVolatile(Entry* e) {
  e->set_volatile_index(static_cast<uint32_t>(volatile_.size()));
  volatile_.push_back(e);
}

void Shard::RemoveVolatile(Entry* e) {
  uint32_t i = e->volatile_index();
  Entry* last = volatile_.back();
  volatile_[i] = last;
  last->set_volatile_index(i);
  volatile_.pop_back();
}

void Shard::AddBytes(const Entry* e, bool add) {
  size_t n = e->AllocatedSize();
  size_t cur = bytes_.load(std::memory_order_relaxed);
  bytes_.store(add ? cur + n : cur - n, std::memory_order_relaxed);
  AddTrackedBytes(add ? static_cast<int64_t>(n) : -static_cast<int64_t>(n));
}

void Shard::DeleteExpired(Entry* e, const KeyRef& k) {
  if (DeletionLogger log = g_deletion_logger.load(std::memory_order_relaxed)) log(db_index_, k.key);
  KeyChanged(k.key, true);
  table_.Remove(k.key, k.hash);
  RemoveVolatile(e);
  if (s3_) s3_->Forget(e);
  AddBytes(e, false);
  NotifyKeyspaceEvent(kNotifyExpired, "expired", k.key, db_index_);  // k.key may live in e
  Entry::Free(e);
  UpdateCounts();
  LocalStats().expired_keys.Add();
}

namespace {
std::atomic<bool> g_expiry_frozen{false};
}  // namespace

void SetLoading(bool loading) { g_loading.store(loading); }
bool Loading() { return g_loading.load(std::memory_order_relaxed); }
void SetDeletionLogger(DeletionLogger fn) { g_deletion_logger.store(fn); }

void SetExpiryFrozen(bool frozen) { g_expiry_frozen.store(frozen, std::memory_order_relaxed); }
bool ExpiryFrozen() { return g_expiry_frozen.load(std::memory_order_relaxed); }

Entry* Shard::Find(const KeyRef& k, int64_t now_ms, bool* expired) {
  Entry* e = table_.Find(k.key, k.hash);
  if (e != nullptr && e->has_expire() && now_ms > e->expire_ms() && !Loading()) {
    if (expired != nullptr) *expired = true;
    if (!ExpiryFrozen()) DeleteExpired(e, k);
    return nullptr;
  }
  // A writer may change the value in place after this lookup: a snapshot
  // must see the value first.
  if (e != nullptr && !ReadOnlyAccess::on()) BeforeChange(k, e);
  return e;
}

void Shard::Insert(const KeyRef& k, Entry* e) {
  if (ExpiryFrozen()) {
    // Find() left an expired entry in place: this write replaces it.
    if (Entry* stale = table_.Find(k.key, k.hash)) {
      Replace(stale, e, k);
      return;
    }
  }
  MarkNew(k, e);
  SyncEviction();  // before the insert, or the new entry would be adopted too
  if (!s3_ && e->compact()) ExpandLater();
  table_.Insert(e, k.hash);
  KeyChanged(k.key);
  NotifyKeyspaceEvent(kNotifyNew, "new", k.key, db_index_);
  if (e->has_expire()) AddVolatile(e);
  if (s3_) {
    if (S3Eligible(e)) {
      s3_->Add(e, k.hash, table_);
      TrackEvictionOverhead();
    } else {
      e->set_evict_bits(0);  // a copy (COPY, RENAME) may carry its source's queue
    }
  }
  if (e->is_collection() && e->value() && e->value()->HasVolatileSubkeys()) {
    NoteVolatileSubkeys(k.key);
  }
  AddBytes(e, true);
  UpdateCounts();
}

void Shard::Replace(Entry* old_e, Entry* new_e, const KeyRef& k) {
  ReplaceCounted(old_e, old_e->AllocatedSize(), new_e, k);
}

void Shard::ReplaceCounted(Entry* old_e, size_t old_bytes, Entry* new_e, const KeyRef& k) {
  BeforeChange(k, old_e);
  MarkNew(k, new_e);
  SyncEviction();
  if (!s3_ && new_e->compact()) ExpandLater();
  table_.Replace(old_e, new_e, k.hash);
  KeyChanged(k.key);
  if (old_e->has_expire()) RemoveVolatile(old_e);
  if (new_e->has_expire()) AddVolatile(new_e);
  if (new_e->is_collection() && new_e->value() && new_e->value()->HasVolatileSubkeys()) {
    NoteVolatileSubkeys(k.key);
  }
  CarryAccess(old_e, new_e);
  if (s3_) {
    bool queued = (new_e->evict_bits() & S3Fifo::kQueueMask) != 0;
    if (!S3Eligible(new_e)) {
      // volatile-s3fifo and the TTL is gone (PERSIST): the key leaves the queues.
      if (queued) s3_->Forget(new_e);
      new_e->set_evict_bits(0);
    } else if (!queued) {
      s3_->Add(new_e, k.hash, table_);
      TrackEvictionOverhead();
    }
  }
  AdjustBytes(old_bytes, 0);
  AddBytes(new_e, true);
  Entry::Free(old_e);
  UpdateCounts();
}

void Shard::Modified(Entry* e) {
  e->BumpCas();
  KeyChanged(e->key());
}

void Shard::NoteModified(std::string_view key) { KeyChanged(key); }

void Shard::KeyChanged(std::string_view key, bool expiry) {
  LocalStats().dirty.Add();
  TouchWatchedKey(db_index_, key, expiry);
  TrackingInvalidateKey(key);
}

void Shard::AdjustBytes(size_t before, size_t after) {
  size_t cur = bytes_.load(std::memory_order_relaxed);
  bytes_.store(cur + after - before, std::memory_order_relaxed);
  AddTrackedBytes(static_cast<int64_t>(after) - static_cast<int64_t>(before));
}

void Shard::Upsert(const KeyRef& k, Entry* e, int64_t now_ms) {
  Entry* old = Find(k, now_ms);
  if (old != nullptr) {
    Replace(old, e, k);
  } else {
    Insert(k, e);
  }
}

Entry* Shard::Detach(const KeyRef& k) {
  if (observer_ != nullptr) BeforeChange(k, table_.Find(k.key, k.hash));
  Entry* e = table_.Remove(k.key, k.hash);
  if (e != nullptr) {
    KeyChanged(k.key);
    if (e->has_expire()) RemoveVolatile(e);
    if (s3_) s3_->Forget(e);
    AddBytes(e, false);
    UpdateCounts();
  }
  return e;
}

bool Shard::Erase(const KeyRef& k) {
  Entry* e = Detach(k);
  Entry::Free(e);
  return e != nullptr;
}

Entry* Shard::SetExpire(Entry* e, const KeyRef& k, int64_t expire_ms) {
  BeforeChange(k, e);
  if (expire_ms >= 0 && e->has_expire()) {
    e->set_expire_ms(expire_ms);
    KeyChanged(k.key);
    return e;
  }
  if (expire_ms < 0 && !e->has_expire()) return e;
  size_t bytes = e->AllocatedSize();  // before its value moves to the copy
  Entry* moved = e->WithExpire(expire_ms);
  ReplaceCounted(e, bytes, moved, k);
  return moved;
}

size_t Shard::ExpireCycle(int64_t now_ms, int64_t deadline_us) {
  constexpr int kSamples = 20;
  if (ExpiryFrozen()) return 0;
  size_t deleted = 0;
  ThreadStats& stats = LocalStats();
  while (!volatile_.empty()) {
    int expired = 0;
    int samples = std::min<int>(kSamples, static_cast<int>(volatile_.size()));
    for (int i = 0; i < samples && !volatile_.empty(); ++i) {
      Entry* e = volatile_[NextRandom() % volatile_.size()];
      if (now_ms > e->expire_ms()) {
        KeyRef k{e->key(), HashKey(e->key()), 0};
        DeleteExpired(e, k);
        ++expired;
      }
    }
    stats.expire_samples.Add(static_cast<uint64_t>(samples));
    stats.expired_stale_samples.Add(static_cast<uint64_t>(expired));
    deleted += static_cast<size_t>(expired);
    // Stop when under a quarter of the sample was expired, as Redis does.
    if (expired * 4 < samples || MonotonicUs() > deadline_us) break;
  }
  return deleted;
}

namespace {
std::atomic<Shard::SubkeyExpirer> g_subkey_expirer{nullptr};
}  // namespace

void Shard::SetSubkeyExpirer(SubkeyExpirer fn) { g_subkey_expirer.store(fn); }

void Shard::NoteVolatileSubkeys(std::string_view key) {
  if (subkey_keys_.find(key) == subkey_keys_.end()) subkey_keys_.emplace(key);
}

size_t Shard::ExpireSubkeysCycle(int64_t now_ms, int64_t deadline_us) {
  SubkeyExpirer expirer = g_subkey_expirer.load(std::memory_order_relaxed);
  if (ExpiryFrozen() || expirer == nullptr) return 0;
  size_t deleted = 0;
  size_t todo = subkey_keys_.size();
  auto it = subkey_keys_.upper_bound(subkey_cursor_);
  for (size_t n = 0; n < todo && !subkey_keys_.empty(); ++n) {
    if (it == subkey_keys_.end()) it = subkey_keys_.begin();
    subkey_cursor_ = *it;
    KeyRef k{subkey_cursor_, HashKey(subkey_cursor_), 0};
    Entry* e = table_.Find(k.key, k.hash);
    if (e != nullptr && e->is_collection() && e->value()->HasVolatileSubkeys()) {
      deleted += expirer(*this, e, k, now_ms);
      e = table_.Find(k.key, k.hash);
    }
    if (e == nullptr || !e->is_collection() || !e->value()->HasVolatileSubkeys()) {
      it = subkey_keys_.erase(it);
    } else {
      ++it;
    }
    if (MonotonicUs() > deadline_us) break;
  }
  return deleted;
}

Entry* Shard::RandomEntry(int64_t now_ms) {
  for (int tries = 0; tries < 100 && table_.size() > 0; ++tries) {
    Entry* e = table_.Random(NextRandom());
    if (e == nullptr) return nullptr;
    if (e->has_expire() && now_ms > e->expire_ms()) {
      KeyRef k{e->key(), HashKey(e->key()), 0};
      DeleteExpired(e, k);
      continue;
    }
    return e;
  }
  return nullptr;
}

void Shard::TakeAll(Table* out) {
  if (observer_ != nullptr) observer_->BeforeClear();
  out->Swap(table_);
  AddTrackedBytes(-static_cast<int64_t>(bytes_.load(std::memory_order_relaxed)));
  bytes_.store(0, std::memory_order_relaxed);
  if (s3_) s3_->Clear();
  TrackEvictionOverhead();
  volatile_.clear();
  volatile_.shrink_to_fit();
  subkey_keys_.clear();
  UpdateCounts();
}

void Shard::SwapContents(Shard& other) {
  if (observer_ != nullptr) observer_->BeforeClear();
  if (other.observer_ != nullptr) other.observer_->BeforeClear();
  table_.Swap(other.table_);
  size_t mine = bytes_.load(std::memory_order_relaxed);
  bytes_.store(other.bytes_.load(std::memory_order_relaxed), std::memory_order_relaxed);
  other.bytes_.store(mine, std::memory_order_relaxed);
  volatile_.swap(other.volatile_);
  subkey_keys_.swap(other.subkey_keys_);
  s3_.swap(other.s3_);
  std::swap(evict_epoch_, other.evict_epoch_);
  std::swap(volatile_s3_, other.volatile_s3_);
  std::swap(s3_bytes_, other.s3_bytes_);
  std::swap(expand_pending_, other.expand_pending_);
  std::swap(expand_cursor_, other.expand_cursor_);
  UpdateCounts();
  other.UpdateCounts();
  LocalStats().dirty.Add();
}

void Shard::ResyncEviction() {
  evict_epoch_ = g_eviction.policy_epoch.load(std::memory_order_relaxed);
  EvictionPolicy p = CurrentPolicy();
  if (!IsS3Fifo(p)) {
    if (s3_) ExpandLater();
    s3_.reset();
    TrackEvictionOverhead();
    return;
  }
  expand_pending_ = false;
  // Keys already present are taken as established: they start in main.
  s3_ = std::make_unique<S3Fifo>();
  volatile_s3_ = IsVolatile(p);
  table_.ForEach([this](Entry* e) {
    e->set_evict_bits(0);
    if (S3Eligible(e)) s3_->Adopt(e);
  });
  TrackEvictionOverhead();
}

void Shard::ExpandLater() {
  // From the start: a pass under way may already be past the new entry.
  expand_pending_ = true;
  expand_cursor_ = 0;
}

void Shard::ExpandCompactStep(size_t buckets) {
  // Only a change away from S3-FIFO is followed here: building queues for
  // every shard of every database ahead of use would cost memory for nothing.
  EvictionPolicy p = CurrentPolicy();
  if (s3_ && !IsS3Fifo(p)) ResyncEviction();
  // Back to S3-FIFO before the pass ended: compact entries are wanted again
  // (the shard's next resync clears the flag).
  if (!expand_pending_ || IsS3Fifo(p)) return;
  // Collected first: Expand() rewrites slots the scan is walking.
  thread_local std::vector<Entry*> batch;
  batch.clear();
  expand_cursor_ = table_.Scan(expand_cursor_, buckets, [](Entry* e) {
    if (e->compact()) batch.push_back(e);
  });
  for (Entry* e : batch) Expand(e);
  if (expand_cursor_ == Table::kCursorEnd) expand_pending_ = false;
}

Entry* Shard::Expand(Entry* e) {
  Entry* full = e->Expanded();
  table_.Replace(e, full, HashKey(e->key()));
  if (e->has_expire()) volatile_[e->volatile_index()] = full;  // the index came along
  AdjustBytes(e->AllocatedSize(), full->AllocatedSize());
  Entry::Free(e);
  return full;
}

void Shard::TrackEvictionOverhead() {
  size_t now = s3_ ? s3_->MemoryUsage() : 0;
  AddTrackedBytes(static_cast<int64_t>(now) - static_cast<int64_t>(s3_bytes_));
  s3_bytes_ = now;
}

size_t Shard::Sample(Entry** out, size_t n, bool volatile_only) {
  size_t got = 0;
  for (size_t i = 0; i < n; ++i) {
    Entry* e = volatile_only ? RandomVolatile() : table_.Random(NextRandom());
    if (e == nullptr) break;
    out[got++] = e;
  }
  return got;
}

Entry* Shard::RandomVolatile() {
  if (volatile_.empty()) return nullptr;
  return volatile_[NextRandom() % volatile_.size()];
}

Entry* Shard::S3Victim(bool volatile_only) {
  SyncEviction();
  if (!s3_) return nullptr;
  Entry* e = s3_->Victim(table_, volatile_only ? &volatile_ : nullptr);
  TrackEvictionOverhead();
  return e;
}

void Shard::Evict(Entry* e) {
  KeyRef k{e->key(), HashKey(e->key()), 0};
  if (DeletionLogger log = g_deletion_logger.load(std::memory_order_relaxed)) log(db_index_, k.key);
  FreeEntryLazily(Detach(k));
  LocalStats().evicted_keys.Add();
}

size_t Db::size() const {
  size_t n = 0;
  for (const Shard& s : shards_) n += s.size();
  return n;
}

size_t Db::bytes() const {
  size_t n = 0;
  for (const Shard& s : shards_) n += s.bytes();
  return n;
}

size_t Db::expires() const {
  size_t n = 0;
  for (const Shard& s : shards_) n += s.expires();
  return n;
}

Keyspace::Keyspace(int databases) {
  for (int i = 0; i < databases; ++i) dbs_.push_back(std::make_unique<Db>(i));
}

namespace {

// One background thread frees what FLUSH* ASYNC detached, in order; it is
// started on first use and joined at shutdown.
class LazyFreer {
 public:
  void Submit(std::function<void()> job) {
    std::lock_guard<std::mutex> lk(mu_);
    if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
    jobs_.push_back(std::move(job));
    cv_.notify_one();
  }
  void Join() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_ = true;
      cv_.notify_one();
    }
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Run() {
    std::unique_lock<std::mutex> lk(mu_);
    while (true) {
      cv_.wait(lk, [this] { return stop_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, and nothing left to free
      auto job = std::move(jobs_.front());
      jobs_.pop_front();
      lk.unlock();
      job();
      lk.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  std::thread thread_;
  bool stop_ = false;
};

LazyFreer& Freer() {
  static auto* f = new LazyFreer();
  return *f;
}

}  // namespace

void JoinBackgroundFrees() { Freer().Join(); }

void FreeEntryLazily(Entry* e) {
  // Below this, handing the value to another thread costs more than freeing it.
  constexpr size_t kLazyFreeBytes = 64 * 1024;
  if (e != nullptr && e->is_collection() && e->AllocatedSize() > kLazyFreeBytes) {
    Freer().Submit([e] { Entry::Free(e); });
  } else {
    Entry::Free(e);
  }
}

bool Db::Contains(std::string_view key) {
  KeyRef k = KeyRef::Of(key);
  return shard_for(k).table().Find(k.key, k.hash) != nullptr;
}

void FlushDatabases(Keyspace& ks, int first, int last, bool async) {
  auto detached =
      std::make_shared<std::vector<Table>>(static_cast<size_t>(last - first + 1) * kNumShards);
  ShardSet set;
  for (int d = first; d <= last; ++d) {
    for (uint32_t s = 0; s < kNumShards; ++s) set.Add(&ks.db(d).shard(s));
  }
  set.Lock();
  for (int d = first; d <= last; ++d) {
    TouchWatchedKeysOf(d, [&](std::string_view key) { return ks.db(d).Contains(key); });
  }
  size_t i = 0;
  for (int d = first; d <= last; ++d) {
    for (uint32_t s = 0; s < kNumShards; ++s) ks.db(d).shard(s).TakeAll(&(*detached)[i++]);
  }
  TrackingInvalidateAll();  // as Redis: every tracking client, whatever the databases
  LocalStats().dirty.Add();  // a change even of empty databases (the AOF logs it)
  set.Unlock();
  auto free_all = [detached] {
    for (Table& t : *detached) FreeTable(&t);
  };
  if (async) {
    Freer().Submit(free_all);
  } else {
    free_all();
  }
}

namespace {
// The shards the transaction running on this thread holds (sorted), or null.
thread_local const std::vector<Shard*>* t_held = nullptr;
}  // namespace

bool ShardMutex::HeldByTransaction() const {
  if (t_held == nullptr) return false;
  // The mutex is a member of its shard: find the shard by address.
  auto it = std::upper_bound(t_held->begin(), t_held->end(), static_cast<const void*>(this),
                             [](const void* p, const Shard* s) {
                               return std::less<const void*>()(p, s);
                             });
  if (it == t_held->begin()) return false;
  const Shard* s = *(it - 1);
  return &const_cast<Shard*>(s)->mu() == this;
}

TransactionHold::TransactionHold(const ShardSet& set) { t_held = &set.shards(); }
TransactionHold::~TransactionHold() { t_held = nullptr; }
bool TransactionHold::active() { return t_held != nullptr; }

bool ShardSet::Acquire(Shard* s, int64_t patience_us) {
  auto it = std::lower_bound(shards_.begin(), shards_.end(), s, std::less<Shard*>());
  if (it != shards_.end() && *it == s) return true;
  if (it == shards_.end()) {
    s->mu().lock();
    shards_.push_back(s);
    return true;
  }
  int64_t deadline = MonotonicUs() + patience_us;
  while (!s->mu().try_lock()) {
    if (MonotonicUs() > deadline) return false;
    std::this_thread::yield();
  }
  shards_.insert(it, s);
  return true;
}

void ShardSet::Lock() {
  std::sort(shards_.begin(), shards_.end());
  shards_.erase(std::unique(shards_.begin(), shards_.end()), shards_.end());
  for (Shard* s : shards_) s->mu().lock();
  locked_ = true;
}

void ShardSet::Unlock() {
  if (!locked_) return;
  for (auto it = shards_.rbegin(); it != shards_.rend(); ++it) (*it)->mu().unlock();
  locked_ = false;
}

}  // namespace magpie
