#include "persistence/rdb_load.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>
#include <utility>

#include "persistence/rdb_codec.h"
#include "persistence/rdb_value.h"
#include "store/db.h"
#include "store/evict.h"

namespace magpie {

namespace {

struct Staged {
  int db;
  Entry* entry;
};

class Parser {
 public:
  Parser(std::string_view data, const std::string& name, Keyspace& ks, int64_t now_ms)
      : base_(data), in_(data), name_(name), ks_(ks), now_ms_(now_ms) {}

  ~Parser() {
    for (Staged& s : staged_) Entry::Free(s.entry);
  }

  RdbLoadResult Run() {
    RdbLoadResult r;
    if (!Parse(&r) || !Install(&r)) {
      r.ok = false;
      r.keys_loaded = 0;
      r.error = error_ + " (file '" + name_ + "', offset " + std::to_string(error_at_) + ")";
      return r;
    }
    r.ok = true;
    return r;
  }

  uint64_t consumed() const { return static_cast<uint64_t>(in_.data() - base_.data()); }

 private:
  bool Fail(std::string why) {
    if (error_.empty()) {
      error_ = std::move(why);
      error_at_ = consumed();
    }
    return false;
  }
  bool Need(size_t n) { return in_.size() >= n || Fail("Unexpected EOF reading RDB file"); }
  uint64_t Le(size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(in_[i])) << (8 * i);
    in_.remove_prefix(n);
    return v;
  }

  bool Header() {
    if (in_.size() < 9 || in_.substr(0, 5) != "REDIS") return Fail("Wrong signature trying to load DB from file");
    int version = 0;
    for (size_t i = 5; i < 9; ++i) {
      char c = in_[i];
      if (c < '0' || c > '9') return Fail("Wrong signature trying to load DB from file");
      version = version * 10 + (c - '0');
    }
    if (version < rdb::kMinReadVersion || version > rdb::kMaxReadVersion) {
      return Fail("Can't handle RDB format version " + std::to_string(version));
    }
    version_ = version;
    in_.remove_prefix(9);
    return true;
  }

  bool Checksum(std::string_view whole_file_tail) {
    // Since version 5 the file ends in the CRC-64 of everything before it
    // (0: saved with rdbchecksum no).
    if (version_ < 5) return true;
    if (whole_file_tail.size() < 8) return Fail("Unexpected EOF reading RDB file");
    std::string_view crc_bytes = whole_file_tail.substr(0, 8);
    uint64_t expected = 0;
    for (size_t i = 0; i < 8; ++i) {
      expected |= static_cast<uint64_t>(static_cast<uint8_t>(crc_bytes[i])) << (8 * i);
    }
    if (expected == 0) return true;
    uint64_t got = rdb::Crc64(0, base_.substr(0, consumed()));
    if (got != expected) {
      char buf[128];
      snprintf(buf, sizeof(buf), "Wrong RDB checksum expected: (%016llx) got (%016llx)",
               static_cast<unsigned long long>(expected), static_cast<unsigned long long>(got));
      return Fail(buf);
    }
    in_.remove_prefix(8);
    return true;
  }

  bool Parse(RdbLoadResult* r) {
    if (!Header()) return false;
    int db = 0;
    int64_t expire = -1;
    int64_t idle = -1;
    int freq = -1;
    for (;;) {
      if (!Need(1)) return false;
      uint8_t op = static_cast<uint8_t>(in_[0]);
      in_.remove_prefix(1);
      switch (op) {
        case rdb::kOpEof:
          return Checksum(in_);
        case rdb::kOpSelectDb: {
          auto n = rdb::ReadLength(&in_);
          if (!n) return Fail("Bad SELECTDB length");
          if (*n >= static_cast<uint64_t>(ks_.count())) {
            return Fail("Data file was created with a server configured to handle more than " +
                        std::to_string(ks_.count()) + " databases");
          }
          db = static_cast<int>(*n);
          continue;
        }
        case rdb::kOpResizeDb: {
          auto a = rdb::ReadLength(&in_);
          auto b = a ? rdb::ReadLength(&in_) : std::nullopt;
          if (!b) return Fail("Bad RESIZEDB lengths");
          continue;
        }
        case rdb::kOpExpireTimeMs:
          if (!Need(8)) return false;
          expire = static_cast<int64_t>(Le(8));
          continue;
        case rdb::kOpExpireTime:
          if (!Need(4)) return false;
          expire = static_cast<int64_t>(Le(4)) * 1000;
          continue;
        case rdb::kOpIdle: {
          auto n = rdb::ReadLength(&in_);
          if (!n) return Fail("Bad IDLE value");
          idle = static_cast<int64_t>(*n);
          continue;
        }
        case rdb::kOpFreq:
          if (!Need(1)) return false;
          freq = static_cast<uint8_t>(in_[0]);
          in_.remove_prefix(1);
          continue;
        case rdb::kOpAux: {
          auto name = rdb::ReadString(&in_);
          auto value = name ? rdb::ReadString(&in_) : std::nullopt;
          if (!value) return Fail("Bad AUX field");
          if (*name == "redis-ver") r->redis_ver = *value;
          continue;
        }
        case rdb::kOpModuleAux:
          return Fail("The RDB file contains module AUX data, but modules are not supported");
        case rdb::kOpFunction2: {
          auto code = rdb::ReadString(&in_);
          if (!code) return Fail("Bad function library payload");
          r->functions.push_back(std::move(*code));
          continue;
        }
        case rdb::kOpFunctionPreGa:
          return Fail("Pre-release function format not supported");
        default:
          break;
      }
      if (!rdb::IsObjectType(op)) return Fail("Unknown RDB opcode or object type " + std::to_string(op));
      auto key = rdb::ReadString(&in_);
      if (!key) return Fail("Bad key string");
      std::string why;
      Entry* e = rdb::ReadObject(op, &in_, *key, &why);
      if (e == nullptr && why == rdb::kEmptyKeyError) {
        // An empty collection: Redis's loader skips such keys too.
        expire = idle = freq = -1;
        continue;
      }
      if (e == nullptr) return Fail(why.empty() ? "Bad object" : why);
      if (expire >= 0 && expire < now_ms_) {
        // Already expired: a master drops such keys on load, as Redis does.
        Entry::Free(e);
        ++r->keys_expired;
      } else {
        if (expire >= 0) {
          Entry* with = e->WithExpire(expire);
          Entry::Free(e);
          e = with;
        }
        SetRestoredAccess(e, freq, idle, now_ms_);
        staged_.push_back(Staged{db, e});
      }
      expire = -1;
      idle = -1;
      freq = -1;
    }
  }

  bool Install(RdbLoadResult* r) {
    for (size_t i = 0; i < staged_.size(); ++i) {
      Staged& s = staged_[i];
      KeyRef k = KeyRef::Of(s.entry->key());
      Shard& shard = ks_.db(s.db).shard_for(k);
      {
        std::lock_guard<ShardMutex> lk(shard.mu());
        if (shard.table().Find(k.key, k.hash) == nullptr) {
          shard.Insert(k, s.entry);
          continue;
        }
      }
      error_ = "Duplicate key '" + std::string(k.key) + "' in DB " + std::to_string(s.db);
      error_at_ = consumed();
      // Take back what was installed so far: nothing partial stays.
      for (size_t j = 0; j < i; ++j) {
        KeyRef kj = KeyRef::Of(staged_[j].entry->key());
        Shard& sj = ks_.db(staged_[j].db).shard_for(kj);
        std::lock_guard<ShardMutex> lj(sj.mu());
        sj.Erase(kj);
      }
      staged_.erase(staged_.begin(), staged_.begin() + static_cast<std::ptrdiff_t>(i));
      return false;
    }
    r->keys_loaded = staged_.size();
    staged_.clear();
    return true;
  }

  std::string_view base_;
  std::string_view in_;
  const std::string& name_;
  Keyspace& ks_;
  int64_t now_ms_;
  int version_ = 0;
  std::vector<Staged> staged_;
  std::string error_;
  uint64_t error_at_ = 0;
};

}  // namespace

RdbLoadResult LoadRdbBytes(std::string_view data, const std::string& name, Keyspace& ks,
                           int64_t now_ms) {
  Parser p(data, name, ks, now_ms);
  return p.Run();
}

RdbLoadResult LoadRdbFile(const std::string& path, Keyspace& ks, int64_t now_ms) {
  RdbLoadResult r;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    r.error = std::string("Can't open the RDB file '") + path + "': " + strerror(errno);
    return r;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    r.error = std::string("Can't stat the RDB file '") + path + "': " + strerror(errno);
    close(fd);
    return r;
  }
  size_t size = static_cast<size_t>(st.st_size);
  if (size == 0) {
    close(fd);
    return LoadRdbBytes(std::string_view(), path, ks, now_ms);
  }
  void* map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (map == MAP_FAILED) {
    r.error = std::string("Can't map the RDB file '") + path + "': " + strerror(errno);
    return r;
  }
  madvise(map, size, MADV_SEQUENTIAL);
  r = LoadRdbBytes(std::string_view(static_cast<const char*>(map), size), path, ks, now_ms);
  munmap(map, size);
  return r;
}

}  // namespace magpie
