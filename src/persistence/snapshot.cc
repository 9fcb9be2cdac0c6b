#include "persistence/snapshot.h"

#include <cstring>
#include <ctime>

#include "common/util.h"

#include "persistence/rdb_codec.h"
#include "persistence/rdb_value.h"
#include "store/evict.h"

namespace magpie {

namespace {

// Buckets of a shard's table written per lock hold: a few dozen keys, so a
// client waiting for the shard waits microseconds.
constexpr size_t kChunkBuckets = 64;
// The output buffer goes to the file once it holds this much.
constexpr size_t kFlushAt = 256 * 1024;

uint64_t PrefixOf(uint64_t hash) { return hash >> 16; }

void AppendAux(std::string* out, std::string_view name, std::string_view value, bool compress) {
  out->push_back(static_cast<char>(rdb::kOpAux));
  rdb::AppendRedisString(out, name, compress);
  rdb::AppendRedisString(out, value, compress);
}

}  // namespace

// --- ShardCut ----------------------------------------------------------------

void ShardCut::BeforeChange(const KeyRef& k, Entry* current) {
  if (current == nullptr || current->snapshot_done() || PrefixOf(k.hash) < cursor_) return;
  owner_->WriteEarly(db_, *current);
  current->set_snapshot_done(true);
}

bool ShardCut::Pending(const KeyRef& k) const { return PrefixOf(k.hash) >= cursor_; }

void ShardCut::BeforeClear() {
  std::string out;
  while (!WriteChunk(&out, 1 << 20)) {
  }
  if (!out.empty()) owner_->AppendEarly(db_, out);
}

bool ShardCut::WriteChunk(std::string* out, size_t buckets) {
  if (cursor_ == Table::kCursorEnd) return true;
  uint64_t next = shard_->table().Scan(cursor_, buckets, [&](Entry* e) {
    if (e->snapshot_done()) {
      e->set_snapshot_done(false);  // behind the cursor from now on: unmarked
      return;
    }
    owner_->AppendRecord(out, *e);
  });
  cursor_ = next;
  if (cursor_ != Table::kCursorEnd) return false;
  Detach();
  return true;
}

void ShardCut::Detach() {
  if (!attached_) return;
  attached_ = false;
  // Given up before the end: the marks ahead of the cursor must not make a
  // later snapshot skip those entries.
  while (cursor_ != Table::kCursorEnd) {
    cursor_ = shard_->table().Scan(cursor_, 1 << 20, [](Entry* e) { e->set_snapshot_done(false); });
  }
  if (shard_->observer() == this) shard_->set_observer(nullptr);
}

// --- Snapshot ----------------------------------------------------------------

Snapshot::Snapshot(Keyspace& ks, Options options) : ks_(ks), opt_(std::move(options)) {}

Snapshot::~Snapshot() { Release(); }

void Snapshot::Release() {
  DetachAll();
  if (began_) g_busy.store(false);
  began_ = false;
}

bool Snapshot::TryBegin() {
  bool expected = false;
  if (!g_busy.compare_exchange_strong(expected, true)) return false;
  began_ = true;
  ShardSet all;
  for (int d = 0; d < ks_.count(); ++d) {
    for (uint32_t s = 0; s < kNumShards; ++s) {
      Shard* shard = &ks_.db(d).shard(s);
      cuts_.push_back(std::make_unique<ShardCut>(this, shard, d));
      all.Add(shard);
    }
  }
  all.Lock();
  size_t i = 0;
  for (int d = 0; d < ks_.count(); ++d) {
    size_t keys = 0, expires = 0;
    for (uint32_t s = 0; s < kNumShards; ++s, ++i) {
      Shard& shard = ks_.db(d).shard(s);
      shard.set_observer(cuts_[i].get());
      keys += shard.table().size();
      expires += shard.expires();
    }
    db_sizes_.emplace_back(keys, expires);
    total_keys_ += keys;
  }
  all.Unlock();
  return true;
}

void Snapshot::DetachAll() {
  size_t i = 0;
  for (int d = 0; d < ks_.count() && i < cuts_.size(); ++d) {
    for (uint32_t s = 0; s < kNumShards && i < cuts_.size(); ++s, ++i) {
      Shard& shard = ks_.db(d).shard(s);
      std::lock_guard<ShardMutex> lk(shard.mu());
      cuts_[i]->Detach();
    }
  }
}

void Snapshot::AppendRecord(std::string* out, const Entry& e) {
  if (e.has_expire()) {
    out->push_back(static_cast<char>(rdb::kOpExpireTimeMs));
    uint64_t ms = static_cast<uint64_t>(e.expire_ms());
    for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((ms >> (8 * i)) & 0xff));
  }
  // A compact entry (S3-FIFO's, not yet expanded after a policy change) has
  // no access time to record.
  bool clock = e.has_clock();
  if (clock && opt_.save_lru) {
    out->push_back(static_cast<char>(rdb::kOpIdle));
    rdb::AppendLength(out, static_cast<uint64_t>(IdleSeconds(&e, opt_.now_ms)));
  } else if (clock && opt_.save_lfu) {
    out->push_back(static_cast<char>(rdb::kOpFreq));
    out->push_back(static_cast<char>(LfuCounter(&e, opt_.now_ms)));
  }
  // WriteObject gives "type value"; a file record is "type key value".
  bool first = true;
  auto emit = [&](std::string_view chunk) {
    if (chunk.empty()) return;
    if (first) {
      first = false;
      out->push_back(chunk[0]);
      rdb::AppendRedisString(out, e.key(), opt_.compress);
      chunk.remove_prefix(1);
    }
    out->append(chunk);
  };
  rdb::Writer w;
  w.sink = emit;
  w.compress = opt_.compress;
  rdb::WriteObject(w, e);
  emit(w.out);
  keys_.fetch_add(1, std::memory_order_relaxed);
}

void Snapshot::AppendEarly(int db, std::string_view record) {
  std::lock_guard<std::mutex> lk(side_mu_);
  if (side_.empty() || side_.back().first != db) side_.emplace_back(db, std::string());
  side_.back().second.append(record);
}

void Snapshot::WriteEarly(int db, const Entry& e) {
  std::lock_guard<std::mutex> lk(side_mu_);
  if (side_.empty() || side_.back().first != db) side_.emplace_back(db, std::string());
  AppendRecord(&side_.back().second, e);
}

void Snapshot::SelectDb(std::string* out, int db) {
  if (db == cur_db_) return;
  cur_db_ = db;
  out->push_back(static_cast<char>(rdb::kOpSelectDb));
  rdb::AppendLength(out, static_cast<uint64_t>(db));
}

void Snapshot::DrainEarly(std::string* out) {
  std::vector<std::pair<int, std::string>> early;
  {
    std::lock_guard<std::mutex> lk(side_mu_);
    early.swap(side_);
  }
  for (auto& [db, bytes] : early) {
    SelectDb(out, db);
    out->append(bytes);
  }
}

std::string Snapshot::Write(const std::function<bool(std::string_view)>& write) {
  uint64_t crc = 0;
  std::string out;
  auto flush = [&]() {
    if (out.empty()) return true;
    if (opt_.checksum) crc = rdb::Crc64(crc, out);
    bool ok = write(out);
    out.clear();
    return ok;
  };
  char magic[16];
  snprintf(magic, sizeof(magic), "REDIS%04d", rdb::kVersion);
  out.append(magic);
  bool z = opt_.compress;
  AppendAux(&out, "redis-ver", rdb::kRedisVersionAux, z);
  AppendAux(&out, "redis-bits", "64", z);
  AppendAux(&out, "ctime", std::to_string(opt_.now_ms / 1000), z);
  AppendAux(&out, "used-mem", std::to_string(UsedMemoryEstimate()), z);
  AppendAux(&out, "aof-base", opt_.aof_base ? "1" : "0", z);
  for (const auto& [name, value] : opt_.aux) AppendAux(&out, name, value, z);
  for (const std::string& code : opt_.functions) {
    out.push_back(static_cast<char>(rdb::kOpFunction2));
    rdb::AppendRedisString(&out, code, z);
  }
  std::string failure;
  for (int d = 0; d < ks_.count() && failure.empty(); ++d) {
    size_t first = static_cast<size_t>(d) * kNumShards;
    if (db_sizes_[static_cast<size_t>(d)].first == 0) {
      // Empty at T: nothing to write, but the observers must go.
      for (uint32_t s = 0; s < kNumShards; ++s) {
        std::lock_guard<ShardMutex> lk(ks_.db(d).shard(s).mu());
        cuts_[first + s]->Detach();
      }
      continue;
    }
    DrainEarly(&out);
    SelectDb(&out, d);
    out.push_back(static_cast<char>(rdb::kOpResizeDb));
    rdb::AppendLength(&out, db_sizes_[static_cast<size_t>(d)].first);
    rdb::AppendLength(&out, db_sizes_[static_cast<size_t>(d)].second);
    // One chunk of each shard in turn, never two of the same shard in a
    // row: a client waiting for a shard gets it between two of our holds
    // (re-locking at once would win the mutex again and again).
    std::vector<uint32_t> open(kNumShards);
    for (uint32_t s = 0; s < kNumShards; ++s) open[s] = s;
    while (!open.empty() && failure.empty()) {
      for (size_t j = 0; j < open.size() && failure.empty();) {
        if (aborted_.load(std::memory_order_relaxed)) {
          failure = "aborted";
          break;
        }
        uint32_t s = open[j];
        bool finished;
        {
          std::lock_guard<ShardMutex> lk(ks_.db(d).shard(s).mu());
          // The chunk belongs to database d: early records drained in
          // between may have switched the stream to another one.
          SelectDb(&out, d);
          finished = cuts_[first + s]->WriteChunk(&out, kChunkBuckets);
        }
        if (finished) {
          open[j] = open.back();
          open.pop_back();
        } else {
          ++j;
        }
        if (out.size() >= kFlushAt) {
          DrainEarly(&out);
          if (!flush()) failure = "write error";
        }
      }
      DrainEarly(&out);
    }
  }
  if (failure.empty()) {
    DrainEarly(&out);
    out.push_back(static_cast<char>(rdb::kOpEof));
    if (opt_.checksum) crc = rdb::Crc64(crc, out);
    for (int b = 0; b < 8; ++b) out.push_back(static_cast<char>((crc >> (8 * b)) & 0xff));
    if (!write(out)) failure = "write error";
    out.clear();
  }
  // Written (or failed): no observer stays. The slot stays taken until the
  // caller has finished the file (Release), so "a save is running" and
  // "another snapshot may begin" never disagree.
  DetachAll();
  return failure;
}

}  // namespace magpie
