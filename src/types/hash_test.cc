#include "types/hash.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>

namespace magpie {
namespace {

std::map<std::string, std::string> Contents(const HashValue& h) {
  std::map<std::string, std::string> m;
  h.ForEach([&m](std::string_view f, std::string_view v) { m.emplace(f, v); });
  return m;
}

TEST(HashValueTest, SetGetDeleteListpack) {
  HashValue h;
  EXPECT_TRUE(h.Set("a", "1"));
  EXPECT_TRUE(h.Set("b", "2"));
  EXPECT_FALSE(h.Set("a", "10"));
  std::string_view v;
  ASSERT_TRUE(h.Get("a", &v));
  EXPECT_EQ(v, "10");
  EXPECT_EQ(h.size(), 2u);
  EXPECT_EQ(h.encoding(), HashValue::Enc::kListpack);
  EXPECT_TRUE(h.Delete("a"));
  EXPECT_FALSE(h.Delete("a"));
  EXPECT_FALSE(h.Get("a", &v));
  EXPECT_EQ(h.size(), 1u);
}

// The hashtable must agree with a reference map through growth, shrinking
// and tombstone reuse.
TEST(HashValueTest, TableMatchesReference) {
  HashValue h;
  h.ConvertToTable();
  std::map<std::string, std::string> ref;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20000; ++i) {
    std::string f = "f" + std::to_string(rng() % 3000);
    if (rng() % 3 == 0) {
      EXPECT_EQ(h.Delete(f), ref.erase(f) == 1);
    } else {
      std::string val(rng() % 40, 'v');
      EXPECT_EQ(h.Set(f, val), ref.count(f) == 0);
      ref[f] = val;
    }
  }
  EXPECT_EQ(h.size(), ref.size());
  EXPECT_EQ(Contents(h), ref);
  while (!ref.empty()) {
    EXPECT_TRUE(h.Delete(ref.begin()->first));
    ref.erase(ref.begin());
  }
  EXPECT_TRUE(h.empty());
}

TEST(HashValueTest, ConvertKeepsFieldsAndTtls) {
  HashValue h;
  for (int i = 0; i < 50; ++i) h.Set("f" + std::to_string(i), std::to_string(i));
  h.SetFieldExpire("f3", 5000);
  EXPECT_EQ(h.encoding(), HashValue::Enc::kListpackEx);
  auto before = Contents(h);
  h.ConvertToTable();
  EXPECT_EQ(h.encoding(), HashValue::Enc::kHashtable);
  EXPECT_EQ(Contents(h), before);
  EXPECT_EQ(h.FieldExpire("f3"), 5000);
  EXPECT_EQ(h.FieldExpire("f4"), -1);
  EXPECT_EQ(h.FieldExpire("nope"), -2);
}

// Field TTLs in both encodings: lazily dead fields go on ExpireFields, a
// write clears the TTL, and the listpack drops its TTL column with the last.
TEST(HashValueTest, FieldExpiry) {
  for (bool table : {false, true}) {
    HashValue h;
    if (table) h.ConvertToTable();
    h.Set("a", "1");
    h.Set("b", "2");
    h.Set("c", "3");
    EXPECT_FALSE(h.HasVolatileSubkeys());
    h.SetFieldExpire("a", 100);
    h.SetFieldExpire("b", 200);
    EXPECT_TRUE(h.HasVolatileSubkeys());
    EXPECT_EQ(h.NextExpire(), 100);
    EXPECT_EQ(h.ExpireFields(100, SIZE_MAX), 0u);  // alive at exactly its time
    EXPECT_EQ(h.ExpireFields(150, SIZE_MAX), 1u);
    EXPECT_FALSE(h.Exists("a"));
    EXPECT_EQ(h.NextExpire(), 200);
    h.Set("b", "new");  // HSET clears the TTL
    EXPECT_EQ(h.FieldExpire("b"), -1);
    EXPECT_FALSE(h.HasVolatileSubkeys());
    EXPECT_EQ(h.encoding(), table ? HashValue::Enc::kHashtable : HashValue::Enc::kListpack);
    EXPECT_EQ(h.size(), 2u);
    std::string_view v;
    ASSERT_TRUE(h.Get("b", &v));
    EXPECT_EQ(v, "new");
    h.SetFieldExpire("c", 300);
    h.SetFieldExpire("c", -1);
    EXPECT_FALSE(h.HasVolatileSubkeys());
  }
}

TEST(HashValueTest, CloneIsDeep) {
  HashValue h;
  h.ConvertToTable();
  for (int i = 0; i < 100; ++i) h.Set("f" + std::to_string(i), "v");
  h.SetFieldExpire("f1", 10);
  std::unique_ptr<HashValue> c(static_cast<HashValue*>(h.Clone()));
  h.Delete("f2");
  EXPECT_EQ(c->size(), 100u);
  EXPECT_EQ(c->FieldExpire("f1"), 10);
  EXPECT_EQ(c->ExpireFields(11, SIZE_MAX), 1u);
  EXPECT_EQ(h.FieldExpire("f1"), 10);
}

// Every field present for the whole scan is returned, even though the
// table grows between calls.
TEST(HashValueTest, ScanSurvivesGrowth) {
  HashValue h;
  h.ConvertToTable();
  for (int i = 0; i < 1000; ++i) h.Set("old" + std::to_string(i), "v");
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int step = 0;
  do {
    cursor = h.Scan(cursor, 20, [&](std::string_view f, std::string_view) { seen.emplace(f); });
    for (int j = 0; j < 5; ++j) h.Set("new" + std::to_string(step * 5 + j), "v");
    ++step;
  } while (cursor != 0);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(seen.count("old" + std::to_string(i))) << i;
}

TEST(HashValueTest, MemoryUsageFollowsChanges) {
  HashValue h;
  size_t empty = h.MemoryUsage();
  h.ConvertToTable();
  for (int i = 0; i < 1000; ++i) h.Set("field:" + std::to_string(i), "value:" + std::to_string(i));
  size_t full = h.MemoryUsage();
  EXPECT_GT(full, empty + 1000 * 20);
  EXPECT_LT(full, empty + 1000 * 64);  // far below Redis's ~90 bytes per field
  for (int i = 0; i < 1000; ++i) h.Delete("field:" + std::to_string(i));
  EXPECT_LT(h.MemoryUsage(), empty + 256);
}

TEST(HashValueTest, RandomDistinct) {
  for (bool table : {false, true}) {
    HashValue h;
    if (table) h.ConvertToTable();
    for (int i = 0; i < 200; ++i) h.Set(std::to_string(i), "v");
    std::mt19937_64 rng(1);
    for (size_t count : {1u, 10u, 150u, 199u}) {
      std::set<std::string> got;
      h.RandomDistinct(count, [&rng] { return rng(); },
                       [&](std::string_view f, std::string_view) { got.emplace(f); });
      EXPECT_EQ(got.size(), count);
    }
  }
}

}  // namespace
}  // namespace magpie
