#include "store/table.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "store/db.h"

namespace magpie {
namespace {

class TableTest : public ::testing::Test {
 protected:
  ~TableTest() override {
    t_.ForEach([](Entry* e) { Entry::Free(e); });
  }
  void Put(const std::string& k) {
    t_.Insert(Entry::NewString(k, "v" + k, -1), HashKey(k));
  }
  bool Has(const std::string& k) { return t_.Find(k, HashKey(k)) != nullptr; }
  void Del(const std::string& k) { Entry::Free(t_.Remove(k, HashKey(k))); }
  Table t_;
};

TEST_F(TableTest, InsertFindRemove) {
  for (int i = 0; i < 10000; ++i) Put("key:" + std::to_string(i));
  EXPECT_EQ(t_.size(), 10000u);
  for (int i = 0; i < 10000; ++i) ASSERT_TRUE(Has("key:" + std::to_string(i))) << i;
  EXPECT_FALSE(Has("nope"));
  for (int i = 0; i < 10000; i += 2) Del("key:" + std::to_string(i));
  EXPECT_EQ(t_.size(), 5000u);
  for (int i = 0; i < 10000; ++i) ASSERT_EQ(Has("key:" + std::to_string(i)), i % 2 == 1) << i;
}

TEST_F(TableTest, GrowthIsIncremental) {
  bool saw_migration = false;
  for (int i = 0; i < 5000; ++i) {
    Put("k" + std::to_string(i));
    saw_migration |= t_.migrating();
    // Every key stays reachable in the middle of a migration.
    if (t_.migrating()) {
      ASSERT_TRUE(Has("k0"));
    }
  }
  EXPECT_TRUE(saw_migration);
}

TEST_F(TableTest, ShrinksWhenMostlyEmpty) {
  for (int i = 0; i < 4096; ++i) Put("k" + std::to_string(i));
  size_t big = t_.capacity();
  for (int i = 0; i < 4090; ++i) Del("k" + std::to_string(i));
  while (t_.migrating()) t_.MigrateStep(1024);
  EXPECT_LT(t_.capacity(), big);
  for (int i = 4090; i < 4096; ++i) EXPECT_TRUE(Has("k" + std::to_string(i)));
}

TEST_F(TableTest, ScanReturnsEveryKeyDespiteGrowth) {
  for (int i = 0; i < 1000; ++i) Put("old" + std::to_string(i));
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int added = 0;
  do {
    cursor = t_.Scan(cursor, 10, [&](Entry* e) { seen.insert(std::string(e->key())); });
    // Grow the table a lot while the scan is in progress.
    for (int j = 0; j < 5; ++j) Put("new" + std::to_string(added++));
  } while (cursor < Table::kCursorEnd);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(seen.count("old" + std::to_string(i))) << i;
}

TEST_F(TableTest, RandomFindsEntries) {
  EXPECT_EQ(t_.Random(42), nullptr);
  Put("only");
  for (uint64_t r = 0; r < 100; ++r) EXPECT_EQ(t_.Random(r * 7919)->key(), "only");
}

TEST(ShardTest, LazyAndActiveExpiry) {
  Shard s;
  std::lock_guard<ShardMutex> lk(s.mu());
  for (int i = 0; i < 100; ++i) {
    std::string k = "t" + std::to_string(i);
    s.Insert(KeyRef::Of(k), Entry::NewString(k, "v", 1000));
  }
  std::string keep = "persistent";
  s.Insert(KeyRef::Of(keep), Entry::NewString(keep, "v", -1));
  EXPECT_EQ(s.expires(), 100u);
  EXPECT_NE(s.Find(KeyRef::Of("t1"), 999), nullptr);
  EXPECT_EQ(s.Find(KeyRef::Of("t1"), 1001), nullptr);  // lazy
  while (s.ExpireCycle(2000, INT64_MAX) > 0) {
  }
  EXPECT_EQ(s.size(), 1u);
  EXPECT_EQ(s.expires(), 0u);
}

TEST(ShardTest, BytesFollowEntries) {
  Shard s;
  std::lock_guard<ShardMutex> lk(s.mu());
  KeyRef a = KeyRef::Of("a");
  s.Insert(a, Entry::NewString("a", std::string(100, 'x'), -1));
  size_t one = s.bytes();
  EXPECT_GE(one, 16u + 1 + 100);
  Entry* e = s.Find(a, 0);
  s.Replace(e, e->WithValue(std::string(1000, 'y')), a);
  EXPECT_GE(s.bytes(), 16u + 1 + 1000);
  s.SetExpire(s.Find(a, 0), a, 5000);
  EXPECT_TRUE(s.Erase(a));
  EXPECT_EQ(s.bytes(), 0u);
}

TEST(ShardTest, SetExpireMovesEntry) {
  Shard s;
  std::lock_guard<ShardMutex> lk(s.mu());
  KeyRef k = KeyRef::Of("a");
  s.Insert(k, Entry::NewString("a", "value", -1));
  Entry* e = s.Find(k, 0);
  e = s.SetExpire(e, k, 5000);
  EXPECT_TRUE(e->has_expire());
  EXPECT_EQ(s.expires(), 1u);
  EXPECT_EQ(s.Find(k, 0)->str(), "value");
  e = s.SetExpire(e, k, -1);
  EXPECT_FALSE(e->has_expire());
  EXPECT_EQ(s.expires(), 0u);
}

TEST_F(TableTest, LoadStaysBetween64And80Percent) {
  // Growth by 1.14-1.25x: once a migration is over, between 0.64 and 0.8 of
  // the slots are used (8 bytes of slot per key: 10 to 12.5).
  for (int i = 0; i < 60000; ++i) {
    Put("k" + std::to_string(i));
    if (i >= 64 && !t_.migrating()) {
      ASSERT_LE(t_.size() * 5, t_.capacity() * 4) << i;
      ASSERT_GE(t_.size() * 25, t_.capacity() * 16) << i;
    }
  }
  // Deleting down to a tenth shrinks the array to half full again.
  for (int i = 0; i < 54000; ++i) Del("k" + std::to_string(i));
  for (int i = 0; i < 100 && t_.migrating(); ++i) t_.MigrateStep(1 << 20);
  EXPECT_LE(t_.capacity(), 4 * t_.size());
  for (int i = 54000; i < 60000; ++i) ASSERT_TRUE(Has("k" + std::to_string(i))) << i;
}

}  // namespace
}  // namespace magpie
