#include "store/entry.h"

#include <gtest/gtest.h>

#include <malloc.h>

#include <cstring>
#include <memory>
#include <set>
#include <string>

#include "common/util.h"
#include "store/db.h"
#include "store/evict.h"
#include "store/s3fifo.h"

namespace magpie {
namespace {

class PolicyScope {
 public:
  explicit PolicyScope(EvictionPolicy p) { SetPolicy(p); }
  ~PolicyScope() { SetPolicy(EvictionPolicy::kNoEviction); }
};

struct Freer {
  void operator()(Entry* e) const { Entry::Free(e); }
};
using EntryPtr = std::unique_ptr<Entry, Freer>;

// Inserts n keys "k0".."k<n-1>" with the value "v"; every third gets a TTL
// when `ttls`.
void Fill(Shard& shard, int n, bool ttls = false) {
  std::lock_guard<ShardMutex> lk(shard.mu());
  for (int i = 0; i < n; ++i) {
    std::string k = "k" + std::to_string(i);
    shard.Insert(KeyRef::Of(k), Entry::NewString(k, "v", ttls && i % 3 == 0 ? 1LL << 50 : -1));
  }
}

size_t CompactCount(Shard& shard) {
  std::lock_guard<ShardMutex> lk(shard.mu());
  size_t n = 0;
  shard.table().ForEach([&](Entry* e) { n += e->compact(); });
  return n;
}

// Runs the cron's expansion step until no compact entry is left (or 100 steps).
void ExpandAll(Shard& shard) {
  for (int step = 0; step < 100 && CompactCount(shard) > 0; ++step) {
    std::lock_guard<ShardMutex> lk(shard.mu());
    shard.ExpandCompactStep(64);
  }
}

TEST(EntryTest, StringsAreCompactOnlyUnderS3Fifo) {
  const std::string key = "key:0000001", value(32, 'v');
  EntryPtr full(Entry::NewString(key, value, -1));
  EXPECT_FALSE(full->compact());
  // 16 + 11 + 32 = 59 bytes: jemalloc's 64-byte class (sanitizers report
  // the size asked for).
  EXPECT_GE(full->AllocatedSize(), 59u);
  EXPECT_LE(full->AllocatedSize(), 64u);
  PolicyScope s3(EvictionPolicy::kAllKeysS3Fifo);
  EntryPtr small(Entry::NewString(key, value, -1));
  ASSERT_TRUE(small->compact());
  // 4 + 11 + 32 = 47 bytes: the 48-byte class.
  EXPECT_GE(small->AllocatedSize(), 47u);
  EXPECT_LE(small->AllocatedSize(), 48u);
  EXPECT_EQ(small->key(), key);
  EXPECT_EQ(small->str(), value);
  EXPECT_EQ(small->type(), ObjType::kString);
  EXPECT_EQ(small->encoding(), Encoding::kEmbStr);
  EXPECT_FALSE(small->has_clock());
  EXPECT_EQ(small->clock(), 0u);
  small->set_clock(12345);  // no clock to set
  EXPECT_EQ(small->clock(), 0u);
  // Memcached items, collections and anything past a byte stay full.
  EntryPtr mc(Entry::NewMemcache(key, value, -1, 7));
  EXPECT_FALSE(mc->compact());
  EntryPtr long_key(Entry::NewString(std::string(256, 'k'), value, -1));
  EXPECT_FALSE(long_key->compact());
  EntryPtr long_value(Entry::NewString(key, std::string(256, 'v'), -1));
  EXPECT_FALSE(long_value->compact());
  EntryPtr roomy(Entry::NewString(key, value, -1, 300));
  EXPECT_FALSE(roomy->compact());
  EntryPtr edge(Entry::NewString(std::string(255, 'k'), std::string(255, 'v'), 5000));
  ASSERT_TRUE(edge->compact());
  EXPECT_EQ(edge->key(), std::string(255, 'k'));
  EXPECT_EQ(edge->str(), std::string(255, 'v'));
  EXPECT_EQ(edge->expire_ms(), 5000);
}

TEST(EntryTest, CompactFieldsDoNotOverlap) {
  PolicyScope s3(EvictionPolicy::kAllKeysS3Fifo);
  EntryPtr e(Entry::NewString("k", "12", 99));
  ASSERT_TRUE(e->compact());
  EXPECT_EQ(e->encoding(), Encoding::kInt);
  e->set_volatile_index(77);
  e->set_evict_bits(0x1F);
  e->set_mc_state(Entry::kMcFetched | Entry::kMcStale | Entry::kMcWinSent | Entry::kMcBinaryKey);
  e->set_snapshot_done(true);
  e->set_encoding(Encoding::kRaw);
  EXPECT_EQ(e->encoding(), Encoding::kRaw);
  EXPECT_EQ(e->evict_bits(), 0x1F);
  EXPECT_EQ(e->mc_state(), 15);
  EXPECT_TRUE(e->snapshot_done());
  EXPECT_TRUE(e->has_expire());
  EXPECT_EQ(e->expire_ms(), 99);
  EXPECT_EQ(e->volatile_index(), 77u);
  EXPECT_EQ(e->key(), "k");
  EXPECT_EQ(e->str(), "12");
  e->set_evict_bits(0);
  e->set_mc_state(Entry::kMcStale);
  EXPECT_EQ(e->evict_bits(), 0);
  EXPECT_EQ(e->mc_state(), Entry::kMcStale);
  EXPECT_EQ(e->encoding(), Encoding::kRaw);
  e->set_snapshot_done(false);
  EXPECT_FALSE(e->snapshot_done());
  EXPECT_EQ(e->mc_state(), Entry::kMcStale);
}

TEST(EntryTest, CompactCapacityStopsAtAByte) {
  PolicyScope s3(EvictionPolicy::kAllKeysS3Fifo);
  // Asked-for room keeps the entry compact while it fits in a byte.
  EntryPtr e(Entry::NewString("k", "abc", -1, 200));
  ASSERT_TRUE(e->compact());
  EXPECT_GE(e->str_capacity(), 200u);
  EXPECT_LE(e->str_capacity(), Entry::kCompactMax);
  memcpy(e->mutable_str() + 3, "def", 3);
  e->set_str_len(6);
  EXPECT_EQ(e->str(), "abcdef");
  // Growing past it gives a full entry with the same metadata.
  e->set_evict_bits(S3Fifo::kMain | 2);
  EntryPtr grown(e->WithValue(std::string(400, 'x')));
  EXPECT_FALSE(grown->compact());
  EXPECT_EQ(grown->str(), std::string(400, 'x'));
  EXPECT_EQ(grown->evict_bits(), S3Fifo::kMain | 2);
  EXPECT_GE(grown->clock(), LruClock(NowMs()) - 1);  // a clock of its own from now on
}

TEST(EntryTest, ExpandedKeepsEverythingButGainsAClock) {
  EntryPtr e;
  {
    PolicyScope s3(EvictionPolicy::kAllKeysS3Fifo);
    e.reset(Entry::NewString("key", "value", 1234));
  }
  ASSERT_TRUE(e->compact());
  e->set_volatile_index(5);
  e->set_evict_bits(S3Fifo::kSmall | 1);
  e->set_snapshot_done(true);
  e->set_mc_state(Entry::kMcFetched);
  PolicyScope lru(EvictionPolicy::kAllKeysLru);
  EntryPtr full(e->Expanded());
  EXPECT_FALSE(full->compact());
  EXPECT_TRUE(full->has_clock());
  EXPECT_EQ(full->key(), "key");
  EXPECT_EQ(full->str(), "value");
  EXPECT_EQ(full->expire_ms(), 1234);
  EXPECT_EQ(full->volatile_index(), 5u);
  EXPECT_TRUE(full->snapshot_done());
  EXPECT_EQ(full->mc_state(), Entry::kMcFetched);
  EXPECT_EQ(full->encoding(), Encoding::kEmbStr);
  EXPECT_EQ(IdleSeconds(full.get(), NowMs()), 0);
  EXPECT_EQ(full->AllocatedSize(), malloc_usable_size(full.get()));
}

TEST(EntryTest, LeavingS3FifoExpandsEveryCompactEntry) {
  Shard shard;
  PolicyScope scope(EvictionPolicy::kAllKeysS3Fifo);
  Fill(shard, 3000, true);
  ASSERT_EQ(CompactCount(shard), 3000u);
  size_t bytes = shard.bytes();
  SetPolicy(EvictionPolicy::kAllKeysLru);
  ExpandAll(shard);
  EXPECT_EQ(CompactCount(shard), 0u);
  EXPECT_GT(shard.bytes(), bytes);  // the full form is bigger, and counted
  std::lock_guard<ShardMutex> lk(shard.mu());
  size_t sum = 0;
  shard.table().ForEach([&](Entry* e) { sum += e->AllocatedSize(); });
  EXPECT_EQ(shard.bytes(), sum);
  EXPECT_EQ(shard.expires(), 1000u);
  // The shard's TTL index points at the new entries, not the freed ones.
  std::set<Entry*> with_ttl;
  shard.table().ForEach([&](Entry* e) {
    if (e->has_expire()) with_ttl.insert(e);
  });
  for (int i = 0; i < 2000; ++i) ASSERT_TRUE(with_ttl.count(shard.RandomVolatile()));
  // The TTL keys' index still points at the moved entries: each one can
  // be expired and removed.
  for (int i = 0; i < 3000; i += 3) {
    std::string k = "k" + std::to_string(i);
    Entry* e = shard.Find(KeyRef::Of(k), 0);
    ASSERT_NE(e, nullptr);
    EXPECT_FALSE(e->compact());
    Entry* moved = shard.SetExpire(e, KeyRef::Of(k), -1);
    EXPECT_FALSE(moved->has_expire());
  }
  EXPECT_EQ(shard.expires(), 0u);
}

TEST(EntryTest, SwapdbCarriesAPendingExpansion) {
  Shard a, b;
  PolicyScope scope(EvictionPolicy::kAllKeysS3Fifo);
  Fill(a, 2000);
  SetPolicy(EvictionPolicy::kAllKeysLru);
  {
    std::lock_guard<ShardMutex> lk(a.mu());
    a.ExpandCompactStep(1);  // the pass has begun, most keys are still compact
  }
  ASSERT_GT(CompactCount(a), 1000u);
  {
    std::lock_guard<ShardMutex> la(a.mu());
    std::lock_guard<ShardMutex> lb(b.mu());
    a.SwapContents(b);
  }
  ExpandAll(b);
  EXPECT_EQ(CompactCount(b), 0u);
}

TEST(EntryTest, BackToS3FifoStopsTheExpansion) {
  Shard shard;
  PolicyScope scope(EvictionPolicy::kAllKeysS3Fifo);
  Fill(shard, 2000);
  SetPolicy(EvictionPolicy::kAllKeysLru);
  {
    std::lock_guard<ShardMutex> lk(shard.mu());
    shard.ExpandCompactStep(1);
  }
  size_t left = CompactCount(shard);
  ASSERT_GT(left, 1000u);
  SetPolicy(EvictionPolicy::kAllKeysS3Fifo);
  ExpandAll(shard);
  EXPECT_EQ(CompactCount(shard), left);
}

TEST(EntryTest, ACompactEntryReplacedUnderLfuKeepsTheNewCounter) {
  Shard shard;
  PolicyScope scope(EvictionPolicy::kAllKeysS3Fifo);
  KeyRef k = KeyRef::Of("key");
  {
    std::lock_guard<ShardMutex> lk(shard.mu());
    shard.Insert(k, Entry::NewString("key", "v", -1));
  }
  SetPolicy(EvictionPolicy::kAllKeysLfu);
  std::lock_guard<ShardMutex> lk(shard.mu());
  Entry* old_e = shard.Find(k, NowMs());
  ASSERT_TRUE(old_e->compact());
  Entry* new_e = old_e->WithValue(std::string(300, 'x'));  // past a byte: full form
  ASSERT_FALSE(new_e->compact());
  shard.Replace(old_e, new_e, k);
  EXPECT_EQ(LfuCounter(shard.Find(k, NowMs()), NowMs()), kLfuInitVal);
}

}  // namespace
}  // namespace magpie
