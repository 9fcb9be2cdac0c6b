#include "types/listpack.h"

#include <gtest/gtest.h>

#include <deque>
#include <random>
#include <string>

namespace magpie {
namespace {

std::vector<std::string> Forward(const Listpack& lp) {
  std::vector<std::string> out;
  for (size_t p = lp.First(); p < lp.End(); p = lp.Next(p)) out.emplace_back(lp.Get(p));
  return out;
}

std::vector<std::string> Backward(const Listpack& lp) {
  std::vector<std::string> out;
  for (size_t p = lp.End(); p > lp.First();) {
    p = lp.Prev(p);
    out.emplace_back(lp.Get(p));
  }
  return {out.rbegin(), out.rend()};
}

TEST(ListpackTest, EmptyHasNoAllocation) {
  Listpack lp;
  EXPECT_EQ(lp.size(), 0u);
  EXPECT_EQ(lp.MemoryUsage(), 0u);
  EXPECT_EQ(lp.First(), lp.End());
  EXPECT_EQ(lp.Seek(0), lp.End());
  EXPECT_EQ(lp.Find("x", lp.First()), lp.End());
}

TEST(ListpackTest, InsertFindSeekErase) {
  Listpack lp;
  lp.Append("b");
  lp.Prepend("a");
  lp.Append("");
  lp.Append(std::string(300, 'z'));  // two-byte length varints
  EXPECT_EQ(Forward(lp), (std::vector<std::string>{"a", "b", "", std::string(300, 'z')}));
  EXPECT_EQ(Backward(lp), Forward(lp));
  EXPECT_EQ(lp.Get(lp.Seek(-1)), std::string(300, 'z'));
  EXPECT_EQ(lp.Get(lp.Seek(1)), "b");
  EXPECT_EQ(lp.Seek(4), lp.End());
  EXPECT_EQ(lp.Seek(-5), lp.End());
  EXPECT_EQ(lp.Get(lp.Last()), std::string(300, 'z'));
  size_t p = lp.Find("b", lp.First());
  ASSERT_NE(p, lp.End());
  p = lp.Erase(p);
  EXPECT_EQ(lp.Get(p), "");
  EXPECT_EQ(lp.size(), 3u);
  lp.Erase(lp.First(), 10);
  EXPECT_TRUE(lp.empty());
  EXPECT_EQ(lp.MemoryUsage(), 0u);
}

TEST(ListpackTest, FindWithSkipSeesOnlyFields) {
  Listpack lp;
  for (const char* s : {"f1", "v1", "v1", "f2"}) lp.Append(s);
  // As field/value pairs: fields are f1 and v1; "f2" is a value.
  EXPECT_EQ(lp.Get(lp.Find("v1", lp.First(), 1)), "v1");
  EXPECT_EQ(lp.Find("v1", lp.First(), 1), lp.Seek(2));
  EXPECT_EQ(lp.Find("f2", lp.First(), 1), lp.End());
}

TEST(ListpackTest, ReplaceGrowsAndShrinks) {
  Listpack lp;
  for (const char* s : {"a", "b", "c"}) lp.Append(s);
  size_t p = lp.Seek(1);
  lp.Replace(p, std::string(200, 'x'));
  EXPECT_EQ(Forward(lp), (std::vector<std::string>{"a", std::string(200, 'x'), "c"}));
  lp.Replace(lp.Seek(1), "y");
  EXPECT_EQ(Forward(lp), (std::vector<std::string>{"a", "y", "c"}));
  EXPECT_EQ(Backward(lp), Forward(lp));
  Listpack copy(lp);
  EXPECT_EQ(Forward(copy), Forward(lp));
}

TEST(ListpackTest, RandomOperationsMatchADeque) {
  std::mt19937_64 rng(42);
  Listpack lp;
  std::deque<std::string> model;
  for (int i = 0; i < 5000; ++i) {
    std::string v(rng() % 140, static_cast<char>('a' + rng() % 26));
    size_t idx = model.empty() ? 0 : rng() % (model.size() + 1);
    switch (rng() % 4) {
      case 0:
      case 1:
        lp.Insert(idx == model.size() ? lp.End() : lp.Seek(static_cast<int64_t>(idx)), v);
        model.insert(model.begin() + static_cast<ptrdiff_t>(idx), v);
        break;
      case 2:
        if (idx < model.size()) {
          lp.Erase(lp.Seek(static_cast<int64_t>(idx)));
          model.erase(model.begin() + static_cast<ptrdiff_t>(idx));
        }
        break;
      case 3:
        if (idx < model.size()) {
          lp.Replace(lp.Seek(static_cast<int64_t>(idx)), v);
          model[idx] = v;
        }
        break;
    }
    ASSERT_EQ(lp.size(), model.size());
  }
  EXPECT_EQ(Forward(lp), std::vector<std::string>(model.begin(), model.end()));
  EXPECT_EQ(Backward(lp), Forward(lp));
}

}  // namespace
}  // namespace magpie
