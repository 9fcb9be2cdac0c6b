#include "store/s3fifo.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "common/util.h"
#include "store/db.h"
#include "store/evict.h"

namespace magpie {
namespace {

// Drives one shard under allkeys-s3fifo, as the eviction code does.
class S3FifoTest : public ::testing::Test {
 protected:
  S3FifoTest() { SetPolicy(EvictionPolicy::kAllKeysS3Fifo); }
  ~S3FifoTest() override { SetPolicy(EvictionPolicy::kNoEviction); }

  void Put(const std::string& k, int64_t expire_ms = -1) {
    std::lock_guard<ShardMutex> lk(shard_.mu());
    shard_.Insert(KeyRef::Of(k), Entry::NewString(k, "v", expire_ms));
  }
  void Read(const std::string& k) {
    std::lock_guard<ShardMutex> lk(shard_.mu());
    Entry* e = shard_.Find(KeyRef::Of(k), 0);
    ASSERT_NE(e, nullptr) << k;
    TouchEntry(e, 0);
  }
  // Evicts one key and returns its name ("" if none).
  std::string EvictOne(bool volatile_only = false) {
    std::lock_guard<ShardMutex> lk(shard_.mu());
    Entry* e = shard_.S3Victim(volatile_only);
    if (e == nullptr) return "";
    std::string k(e->key());
    shard_.Evict(e);
    return k;
  }
  Shard shard_;
};

TEST_F(S3FifoTest, TableFindsKeysByHashPrefix) {
  for (int i = 0; i < 5000; ++i) Put("k" + std::to_string(i));
  std::lock_guard<ShardMutex> lk(shard_.mu());
  for (int i = 0; i < 5000; ++i) {
    std::string k = "k" + std::to_string(i);
    Entry* e = shard_.table().FindHashPrefix(static_cast<uint32_t>(HashKey(k) >> 32));
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->key(), k);
  }
}

// 100 read keys and 20 unread ones, then the unread ones leave the small
// queue oldest first while it holds at least 10% of the keys (9 of them).
class S3FifoWorkingSet : public S3FifoTest {
 protected:
  S3FifoWorkingSet() {
    for (int i = 0; i < 100; ++i) Put("hot" + std::to_string(i));
    for (int i = 0; i < 100; ++i) Read("hot" + std::to_string(i));
    for (int i = 0; i < 20; ++i) Put("once" + std::to_string(i));
    for (int i = 0; i < 9; ++i) EXPECT_EQ(EvictOne(), "once" + std::to_string(i));
  }
  bool Has(const std::string& k) {
    std::lock_guard<ShardMutex> lk(shard_.mu());
    return shard_.Find(KeyRef::Of(k), 0) != nullptr;
  }
};

TEST_F(S3FifoWorkingSet, OneHitWondersLeaveFirst) {
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(Has("hot" + std::to_string(i)));
  for (int i = 9; i < 20; ++i) EXPECT_TRUE(Has("once" + std::to_string(i)));
}

TEST_F(S3FifoWorkingSet, MainGivesSecondChancesToReadKeys) {
  Read("hot5");
  // Below 10% small, main's CLOCK hand takes keys not read since they
  // joined; hot5 was read again there.
  std::vector<std::string> gone;
  for (int i = 0; i < 20; ++i) gone.push_back(EvictOne());
  EXPECT_EQ(gone[0].rfind("hot", 0), 0u) << gone[0];
  size_t hot_gone = std::count_if(gone.begin(), gone.end(),
                                  [](const std::string& k) { return k.rfind("hot", 0) == 0; });
  EXPECT_GE(hot_gone, 9u);  // the small queue gives up at most 11 (its unread keys)
  EXPECT_TRUE(Has("hot5"));
}

TEST_F(S3FifoWorkingSet, TheHandSpendsCreditBeforeEvicting) {
  // Keys with the most credit (3 reads) outlast a whole sweep of the others.
  for (int i = 0; i < 10; ++i) {
    for (int r = 0; r < 3; ++r) Read("hot" + std::to_string(i));
  }
  // 90 unread hot keys and 10 of the 11 unread small keys; then small's
  // last key is under its 10% share and the hand comes round again.
  for (int i = 0; i < 90 + 10; ++i) EXPECT_FALSE(EvictOne().empty());
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(Has("hot" + std::to_string(i)));
  size_t rest = 0;
  while (!EvictOne().empty()) ++rest;
  EXPECT_EQ(rest, 11u);
}

TEST_F(S3FifoWorkingSet, GhostSendsReturningKeysToMain) {
  Put("once0");  // evicted unread a moment ago: the ghost sends it to main
  for (int i = 0; i < 20; ++i) Put("new" + std::to_string(i));
  for (int i = 0; i < 20; ++i) EvictOne();
  EXPECT_TRUE(Has("once0"));
  EXPECT_FALSE(Has("once9"));  // the oldest unread key in small is gone
}

TEST_F(S3FifoTest, DeletedAndReplacedKeysKeepQueuesConsistent) {
  for (int i = 0; i < 3000; ++i) Put("d" + std::to_string(i));
  {
    std::lock_guard<ShardMutex> lk(shard_.mu());
    for (int i = 0; i < 3000; i += 2) shard_.Erase(KeyRef::Of("d" + std::to_string(i)));
    for (int i = 1; i < 3000; i += 4) {
      std::string name = "d" + std::to_string(i);  // KeyRef views it: keep it alive
      KeyRef k = KeyRef::Of(name);
      Entry* old = shard_.Find(k, 0);
      shard_.Replace(old, Entry::NewString(k.key, "new", -1), k);
    }
  }
  // Churn far past the compaction threshold: delete and re-add one key.
  for (int round = 0; round < 5000; ++round) {
    Put("churn");
    std::lock_guard<ShardMutex> lk(shard_.mu());
    shard_.Erase(KeyRef::Of("churn"));
  }
  size_t evicted = 0;
  while (!EvictOne().empty()) ++evicted;
  EXPECT_EQ(evicted, 1500u);
  EXPECT_EQ(shard_.size(), 0u);
}

TEST_F(S3FifoTest, VolatileOnlyEvictsKeysWithTtl) {
  SetPolicy(EvictionPolicy::kVolatileS3Fifo);
  for (int i = 0; i < 20; ++i) Put("p" + std::to_string(i));
  for (int i = 0; i < 20; ++i) Put("t" + std::to_string(i), int64_t{1} << 50);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(EvictOne(true)[0], 't');
  EXPECT_EQ(EvictOne(true), "");
  EXPECT_EQ(shard_.size(), 20u);
}

TEST_F(S3FifoTest, VolatileMainSweepsKeysWithTtlAndDropsPersistedOnes) {
  SetPolicy(EvictionPolicy::kVolatileS3Fifo);
  for (int i = 0; i < 50; ++i) Put("p" + std::to_string(i));
  for (int i = 0; i < 50; ++i) Put("t" + std::to_string(i), int64_t{1} << 50);
  for (int i = 0; i < 50; ++i) Read("t" + std::to_string(i));
  for (int i = 0; i < 10; ++i) Put("u" + std::to_string(i), int64_t{1} << 50);
  // The small queue promotes the read t keys to main and gives up u0.
  EXPECT_EQ(EvictOne(true), "u0");
  {
    // PERSIST t0 (now in main): it must leave the queues, not stay counted.
    std::lock_guard<ShardMutex> lk(shard_.mu());
    KeyRef k = KeyRef::Of("t0");
    Entry* old = shard_.Find(k, 0);
    ASSERT_NE(old, nullptr);
    shard_.Replace(old, old->WithExpire(-1), k);
    ASSERT_NE(shard_.s3(), nullptr);
    EXPECT_EQ(shard_.s3()->main_size(), 49u);
    EXPECT_EQ(shard_.s3()->small_size(), 9u);
  }
  size_t evicted = 0;
  for (std::string k = EvictOne(true); !k.empty(); k = EvictOne(true)) {
    EXPECT_TRUE(k[0] == 't' || k[0] == 'u') << k;
    EXPECT_NE(k, "t0");
    ++evicted;
  }
  EXPECT_EQ(evicted, 49u + 9u);
  EXPECT_EQ(shard_.size(), 51u);
}

TEST_F(S3FifoTest, MainDrainsWhileTheTableMigrates) {
  // Keys promoted to main, then growth (and its migration) while evicting.
  size_t inserted = 0, evicted = 0;
  for (int i = 0; i < 1000; ++i, ++inserted) Put("a" + std::to_string(i));
  for (int i = 0; i < 1000; ++i) Read("a" + std::to_string(i));
  for (int i = 0; i < 4000; ++i) {
    Put("b" + std::to_string(i));
    Put("c" + std::to_string(i));
    inserted += 2;
    if (i % 3 == 0) Read("b" + std::to_string(i));
    if (!EvictOne().empty()) ++evicted;
  }
  while (!EvictOne().empty()) ++evicted;
  EXPECT_EQ(evicted, inserted);
  EXPECT_EQ(shard_.size(), 0u);
}

TEST_F(S3FifoTest, SwitchingToTheQueuesAdoptsExistingKeys) {
  SetPolicy(EvictionPolicy::kAllKeysLru);
  for (int i = 0; i < 30; ++i) Put("old" + std::to_string(i));
  SetPolicy(EvictionPolicy::kAllKeysS3Fifo);
  size_t evicted = 0;
  while (!EvictOne().empty()) ++evicted;
  EXPECT_EQ(evicted, 30u);
}

TEST(LfuTest, CounterGrowsLogarithmicallyAndDecays) {
  SetPolicy(EvictionPolicy::kAllKeysLfu);
  int64_t now = NowMs();
  Entry* e = Entry::NewString("k", "v", -1);
  EXPECT_EQ(LfuCounter(e, now), kLfuInitVal);
  for (int i = 0; i < 1000; ++i) TouchEntry(e, now);
  uint8_t c = LfuCounter(e, now);
  EXPECT_GT(c, 10);
  EXPECT_LT(c, 40);  // log factor 10: ~1000 hits stay well below 255
  // One lfu-decay-time period (1 minute) takes one off.
  EXPECT_EQ(LfuCounter(e, now + 60000 * 3), c - 3);
  Entry::Free(e);
  SetPolicy(EvictionPolicy::kNoEviction);
}

}  // namespace
}  // namespace magpie
