#include "persistence/snapshot.h"

#include <cstring>
#include <ctime>

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
  uint64_t prefix = PrefixOf(k.hash);
  if (prefix < cursor_ || IsDone(prefix, k.key)) return;
  if (current != nullptr) {
    std::string record;
    owner_->AppendRecord(&record, *current);
    owner_->AppendEarly(db_, record);
  }
  done_.insert(DoneKey{prefix, std::string(k.key)});
}

void ShardCut::BeforeClear() {
  std::string out;
  while (!WriteChunk(&out, 1 << 20)) {
  }
  if (!out.empty()) owner_->AppendEarly(db_, out);
}

bool ShardCut::WriteChunk(std::string* out, size_t buckets) {
  if (cursor_ == Table::kCursorEnd) return true;
  uint64_t next = shard_->table().Scan(cursor_, buckets, [&](Entry* e) {
    if (!done_.empty() && IsDone(PrefixOf(HashKey(e->key())), e->key())) return;
    owner_->AppendRecord(out, *e);
  });
  cursor_ = next;
  // Names below the cursor are never asked about again.
  done_.erase(done_.begin(), done_.lower_bound(DoneView{cursor_, {}}));
  if (cursor_ != Table::kCursorEnd) return false;
  Detach();
  return true;
}

void ShardCut::Detach() {
  if (!attached_) return;
  attached_ = false;
  cursor_ = Table::kCursorEnd;
  done_.clear();
  if (shard_->observer() == this) shard_->set_observer(nullptr);
}

// --- Snapshot ----------------------------------------------------------------

Snapshot::Snapshot(Keyspace& ks, Options options) : ks_(ks), opt_(std::move(options)) {}

Snapshot::~Snapshot() { DetachAll(); }

void Snapshot::Begin() {
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
  if (opt_.save_lru) {
    out->push_back(static_cast<char>(rdb::kOpIdle));
    rdb::AppendLength(out, static_cast<uint64_t>(IdleSeconds(&e, opt_.now_ms)));
  } else if (opt_.save_lfu) {
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
  size_t i = 0;
  for (int d = 0; d < ks_.count() && failure.empty(); ++d) {
    bool started = false;
    for (uint32_t s = 0; s < kNumShards && failure.empty(); ++s, ++i) {
      Shard& shard = ks_.db(d).shard(s);
      bool finished = false;
      while (!finished) {
        if (aborted_.load(std::memory_order_relaxed)) {
          failure = "aborted";
          break;
        }
        DrainEarly(&out);
        if (db_sizes_[static_cast<size_t>(d)].first == 0) {
          // Empty at T: nothing to write, but the observer must go.
          std::lock_guard<ShardMutex> lk(shard.mu());
          cuts_[i]->Detach();
          break;
        }
        if (!started) {
          started = true;
          SelectDb(&out, d);
          out.push_back(static_cast<char>(rdb::kOpResizeDb));
          rdb::AppendLength(&out, db_sizes_[static_cast<size_t>(d)].first);
          rdb::AppendLength(&out, db_sizes_[static_cast<size_t>(d)].second);
        }
        {
          std::lock_guard<ShardMutex> lk(shard.mu());
          // The chunk belongs to database d: the early records drained
          // above may have switched the stream to another one.
          SelectDb(&out, d);
          finished = cuts_[i]->WriteChunk(&out, kChunkBuckets);
        }
        if (out.size() >= kFlushAt && !flush()) failure = "write error";
      }
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
  if (!failure.empty()) DetachAll();
  return failure;
}

}  // namespace magpie
