// ZSetValue on both encodings, checked against a std::set model; ZIndex's
// scan cursor and the B+tree's rank bookkeeping under random churn.
#include "types/zset.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace magpie {
namespace {

using Model = std::set<std::pair<double, std::string>>;

std::vector<std::pair<std::string, double>> Dump(const ZSetValue& z) {
  std::vector<std::pair<std::string, double>> out;
  z.ForRange(0, z.size(), false,
             [&](std::string_view m, double s) { out.emplace_back(std::string(m), s); });
  return out;
}

void ExpectSame(const ZSetValue& z, const Model& model) {
  ASSERT_EQ(z.size(), model.size());
  auto got = Dump(z);
  size_t i = 0;
  for (const auto& [s, m] : model) {
    ASSERT_EQ(got[i].first, m) << "rank " << i;
    ASSERT_EQ(got[i].second, s);
    ++i;
  }
}

TEST(ZSetTest, ListpackScoreText) {
  char buf[32];
  auto f = [&](double v) { return std::string(buf, FormatListpackScore(v, buf)); };
  EXPECT_EQ(f(1), "1");
  EXPECT_EQ(f(-0.0), "0");
  EXPECT_EQ(f(0.1), "0.10000000000000001");
  EXPECT_EQ(f(4611686018427387904.0), "4611686018427387904");
  EXPECT_EQ(f(6e18), "6e+18");
  EXPECT_EQ(f(1.0 / 0.0), "inf");
  EXPECT_EQ(f(-1.0 / 0.0), "-inf");
  EXPECT_EQ(ParseListpackScore("-inf"), -1.0 / 0.0);
  EXPECT_EQ(ParseListpackScore("0.10000000000000001"), 0.1);
}

void Churn(bool large, int ops, int universe, uint32_t seed) {
  std::mt19937 rng(seed);
  ZSetValue z;
  if (large) z.ConvertToLarge();
  Model model;
  std::map<std::string, double> scores;
  for (int i = 0; i < ops; ++i) {
    std::string m = "m" + std::to_string(rng() % universe);
    double s = static_cast<double>(rng() % 50) / 4;
    int op = static_cast<int>(rng() % 10);
    auto it = scores.find(m);
    if (op < 6) {
      if (it == scores.end()) {
        z.Insert(m, s);
        scores[m] = s;
        model.insert({s, m});
      } else {
        z.Update(m, it->second, s);
        model.erase({it->second, m});
        model.insert({s, m});
        it->second = s;
      }
    } else if (op < 9) {
      EXPECT_EQ(z.Erase(m), it != scores.end());
      if (it != scores.end()) {
        model.erase({it->second, m});
        scores.erase(it);
      }
    } else if (!model.empty() && (model.size() < 5000 || rng() % 1000 == 0)) {
      // (the model's O(n) seek is what limits how often this runs)
      size_t start = rng() % model.size();
      size_t count = std::min<size_t>(rng() % 5, model.size() - start);
      auto first = std::next(model.begin(), static_cast<ptrdiff_t>(start));
      for (size_t k = 0; k < count; ++k) {
        scores.erase(first->second);
        first = model.erase(first);
      }
      z.EraseRange(start, count);
    }
    if (i % (ops / 30) == 0) ExpectSame(z, model);
  }
  ExpectSame(z, model);
  size_t rank = 0;
  for (const auto& [s, m] : model) {
    ASSERT_EQ(z.Rank(m), rank++);
    ASSERT_EQ(z.Score(m), s);
  }
  EXPECT_FALSE(z.Rank("absent"));
  for (double b : {-1.0, 0.0, 2.5, 5.0, 12.25, 100.0}) {
    size_t lt = 0, le = 0;
    for (const auto& e : model) {
      lt += e.first < b;
      le += e.first <= b;
    }
    EXPECT_EQ(z.CountBelowScore(b, false), lt);
    EXPECT_EQ(z.CountBelowScore(b, true), le);
  }
}

TEST(ZSetTest, ListpackMatchesModel) { Churn(false, 3000, 60, 1); }
TEST(ZSetTest, LargeMatchesModelSmall) { Churn(true, 3000, 60, 2); }
TEST(ZSetTest, LargeMatchesModelBig) { Churn(true, 60000, 5000, 3); }
TEST(ZSetTest, LargeMatchesModelHuge) { Churn(true, 60000, 20000, 4); }

TEST(ZSetTest, AscendingAndDescendingInserts) {
  for (bool desc : {false, true}) {
    ZSetValue z;
    z.ConvertToLarge();
    Model model;
    for (int i = 0; i < 20000; ++i) {
      double s = desc ? -i : i;
      z.Insert("k" + std::to_string(i), s);
      model.insert({s, "k" + std::to_string(i)});
    }
    ExpectSame(z, model);
    // Drain from the front, checking the reverse walk on the way.
    for (int i = 0; i < 20000; i += 7) {
      z.EraseRange(0, std::min<size_t>(7, z.size()));
      for (int k = 0; k < 7 && !model.empty(); ++k) model.erase(model.begin());
    }
    ExpectSame(z, model);
    EXPECT_EQ(z.size(), 0u);
  }
}

TEST(ZSetTest, ReverseWalkAndLex) {
  for (bool large : {false, true}) {
    ZSetValue z;
    if (large) z.ConvertToLarge();
    for (char ch = 'a'; ch <= 'z'; ++ch) z.Insert(std::string(1, ch), 0);
    std::string rev;
    z.ForRange(25, 26, true, [&](std::string_view m, double) { rev += m; });
    EXPECT_EQ(rev, "zyxwvutsrqponmlkjihgfedcba");
    EXPECT_EQ(z.CountBelowLex("c", false), 2u);
    EXPECT_EQ(z.CountBelowLex("c", true), 3u);
    EXPECT_EQ(z.CountBelowLex("zz", true), 26u);
  }
}

TEST(ZSetTest, ScanVisitsEveryMemberOnceDespiteResizes) {
  ZSetValue z;
  z.ConvertToLarge();
  for (int i = 0; i < 1000; ++i) z.Insert("a" + std::to_string(i), i);
  std::multiset<std::string> seen;
  uint64_t cursor = 0;
  int rounds = 0;
  do {
    cursor = z.Scan(cursor, 10, [&](std::string_view m, double) { seen.insert(std::string(m)); });
    // Growing the table mid-scan must not lose the original members.
    if (++rounds == 5) {
      for (int i = 0; i < 5000; ++i) z.Insert("b" + std::to_string(i), i);
    }
    // ... nor shrinking it again.
    if (rounds == 40) {
      for (int i = 0; i < 5000; ++i) z.Erase("b" + std::to_string(i));
    }
  } while (cursor != 0);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(seen.count("a" + std::to_string(i)), 1u) << i;
}

TEST(ZSetTest, CloneAndMemoryUsage) {
  ZSetValue z;
  size_t empty = z.MemoryUsage();
  for (int i = 0; i < 100; ++i) z.Insert("member:" + std::to_string(i), i * 0.5);
  EXPECT_GT(z.MemoryUsage(), empty);
  z.ConvertToLarge();
  size_t large = z.MemoryUsage();
  std::unique_ptr<ZSetValue> copy(static_cast<ZSetValue*>(z.Clone()));
  EXPECT_EQ(Dump(*copy), Dump(z));
  for (int i = 0; i < 100; ++i) z.Erase("member:" + std::to_string(i));
  EXPECT_LT(z.MemoryUsage(), large);
  EXPECT_EQ(copy->size(), 100u);
}

TEST(ZSetTest, SparseDeletesGiveMemoryBack) {
  ZSetValue z;
  z.ConvertToLarge();
  std::mt19937 rng(9);
  std::vector<std::string> names;
  for (int i = 0; i < 50000; ++i) {
    names.push_back("member:" + std::to_string(i));
    z.Insert(names.back(), static_cast<double>(rng() % 100000));
  }
  size_t full = z.MemoryUsage();
  // Keep every 50th member: leaves must be merged, not left 2% full.
  for (int i = 0; i < 50000; ++i) {
    if (i % 50 != 0) {
      ASSERT_TRUE(z.Erase(names[static_cast<size_t>(i)]));
    }
  }
  EXPECT_EQ(z.size(), 1000u);
  size_t tree_and_nodes = z.MemoryUsage();
  EXPECT_LT(tree_and_nodes, full / 10);
  size_t rank = 0;
  z.ForRange(0, z.size(), false, [&](std::string_view m, double) {
    EXPECT_EQ(z.Rank(m), rank++);
  });
}

}  // namespace
}  // namespace magpie
