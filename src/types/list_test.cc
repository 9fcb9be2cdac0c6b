#include "types/list.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <random>
#include <string>

namespace magpie {
namespace {

std::vector<std::string> All(const ListValue& l) {
  std::vector<std::string> out;
  l.ForRange(0, l.size(), [&](std::string_view v) { out.emplace_back(v); });
  return out;
}

std::vector<std::string> AllBackward(const ListValue& l) {
  std::vector<std::string> out;
  if (l.empty()) return out;
  ListValue::Pos p = l.Seek(l.size() - 1);
  do {
    out.emplace_back(l.Get(p));
  } while (l.Prev(&p));
  return {out.rbegin(), out.rend()};
}

TEST(ListValueTest, PushPopBothEnds) {
  ListValue l;
  EXPECT_TRUE(l.empty());
  l.PushBack("b", -2);
  l.PushFront("a", -2);
  l.PushBack("c", -2);
  EXPECT_EQ(All(l), (std::vector<std::string>{"a", "b", "c"}));
  std::string got;
  l.PopFront([&](std::string_view v) { got = v; });
  EXPECT_EQ(got, "a");
  l.PopBack([&](std::string_view v) { got = v; });
  EXPECT_EQ(got, "c");
  EXPECT_EQ(l.size(), 1u);
  l.PopBack([&](std::string_view v) { got = v; });
  EXPECT_TRUE(l.empty());
  EXPECT_EQ(l.nodes(), 0u);
}

TEST(ListValueTest, FillLimitsNodes) {
  ListValue by_count;
  for (int i = 0; i < 100; ++i) by_count.PushBack("x", 10);
  EXPECT_EQ(by_count.nodes(), 10u);
  ListValue by_bytes;  // -1: 4 KB nodes
  std::string big(1000, 'y');
  for (int i = 0; i < 40; ++i) by_bytes.PushFront(big, -1);
  EXPECT_EQ(by_bytes.nodes(), 10u);  // 4 elements of ~1 KB per 4 KB node
  ListValue huge;  // an element over the limit gets its own node
  huge.PushBack("a", -1);
  huge.PushBack(std::string(10000, 'z'), -1);
  huge.PushBack("b", -1);
  EXPECT_EQ(huge.nodes(), 3u);
}

TEST(ListValueTest, MemoryUsageTracksAllocations) {
  ListValue l;
  size_t empty = l.MemoryUsage();
  for (int i = 0; i < 10000; ++i) l.PushBack("element-" + std::to_string(i), -2);
  EXPECT_GT(l.MemoryUsage(), empty + 10000 * 12);
  ListValue copy(l);
  EXPECT_EQ(All(copy), All(l));
  EXPECT_LE(copy.MemoryUsage(), l.MemoryUsage());
  for (int i = 0; i < 10000; ++i) l.PopFront([](std::string_view) {});
  EXPECT_LE(l.MemoryUsage(), empty + 256);  // a few spare slots
}

// Random operations against a std::deque model, with small nodes so that
// splits, merges and node removal all happen.
TEST(ListValueTest, RandomAgainstModel) {
  for (int64_t fill : {1, 3, 5, -1}) {
    std::mt19937 rng(static_cast<unsigned>(fill + 100));
    ListValue l;
    std::deque<std::string> m;
    for (int step = 0; step < 20000; ++step) {
      std::string v = std::to_string(rng() % 50);
      if (rng() % 50 == 0) v = std::string(rng() % 3000, 'q');
      int op = static_cast<int>(rng() % 10);
      size_t n = m.size();
      if (op == 0) {
        l.PushFront(v, fill);
        m.push_front(v);
      } else if (op == 1) {
        l.PushBack(v, fill);
        m.push_back(v);
      } else if (op == 2 && n > 0) {
        std::string got;
        l.PopFront([&](std::string_view x) { got = x; });
        ASSERT_EQ(got, m.front());
        m.pop_front();
      } else if (op == 3 && n > 0) {
        std::string got;
        l.PopBack([&](std::string_view x) { got = x; });
        ASSERT_EQ(got, m.back());
        m.pop_back();
      } else if (op == 4 && n > 0) {
        size_t i = rng() % n;
        bool after = rng() % 2;
        l.InsertAt(l.Seek(i), v, after, fill);
        m.insert(m.begin() + static_cast<ptrdiff_t>(i + after), v);
      } else if (op == 5 && n > 0) {
        size_t i = rng() % n;
        l.Set(l.Seek(i), v, fill);
        m[i] = v;
      } else if (op == 6 && n > 0) {
        size_t i = rng() % n;
        l.EraseAt(l.Seek(i));
        m.erase(m.begin() + static_cast<ptrdiff_t>(i));
      } else if (op == 7 && n > 0) {
        size_t i = rng() % n, k = rng() % (n - i + 1);
        l.EraseRange(i, k);
        m.erase(m.begin() + static_cast<ptrdiff_t>(i), m.begin() + static_cast<ptrdiff_t>(i + k));
      } else if (op == 8) {
        l.Compact(fill);
      } else if (op == 9) {
        size_t limit = rng() % 3 == 0 ? SIZE_MAX : rng() % 4;
        bool back = rng() % 2;
        size_t want = 0;
        if (back) {
          for (size_t i = m.size(); i-- > 0 && want < limit;) {
            if (m[i] != v) continue;
            m.erase(m.begin() + static_cast<ptrdiff_t>(i));
            ++want;
          }
        } else {
          for (size_t i = 0; i < m.size() && want < limit;) {
            if (m[i] == v) {
              m.erase(m.begin() + static_cast<ptrdiff_t>(i));
              ++want;
            } else {
              ++i;
            }
          }
        }
        ASSERT_EQ(l.RemoveMatching(v, limit, back), want);
      }
      ASSERT_EQ(l.size(), m.size());
      if (step % 97 == 0 || m.size() < 8) {
        std::vector<std::string> want(m.begin(), m.end());
        ASSERT_EQ(All(l), want) << "fill " << fill << " step " << step;
        ASSERT_EQ(AllBackward(l), want) << "fill " << fill << " step " << step;
        for (size_t i = 0; i < m.size(); i += 1 + m.size() / 7) ASSERT_EQ(l.Get(l.Seek(i)), m[i]);
      }
    }
  }
}

}  // namespace
}  // namespace magpie
