// Unit tests of the set encodings: IntSet, IntTable/StrTable and SetValue's
// conversions, random positions and scans, checked against std::set models.
#include "types/set.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace magpie {
namespace {

std::set<std::string> Members(const SetValue& s) {
  std::set<std::string> out;
  s.ForEach([&](std::string_view m) { out.emplace(m); });
  return out;
}

TEST(IntSetTest, SortedWithWidthUpgrades) {
  IntSet s;
  EXPECT_TRUE(s.Insert(5));
  EXPECT_TRUE(s.Insert(-3));
  EXPECT_FALSE(s.Insert(5));
  EXPECT_EQ(s.width(), 2);
  EXPECT_TRUE(s.Insert(100000));  // needs 4 bytes
  EXPECT_EQ(s.width(), 4);
  EXPECT_TRUE(s.Insert(INT64_MIN));  // needs 8 bytes, goes first
  EXPECT_EQ(s.width(), 8);
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s.At(0), INT64_MIN);
  EXPECT_EQ(s.At(1), -3);
  EXPECT_EQ(s.At(2), 5);
  EXPECT_EQ(s.At(3), 100000);
  EXPECT_TRUE(s.Contains(100000));
  EXPECT_FALSE(s.Contains(INT64_MAX));
  EXPECT_TRUE(s.Remove(INT64_MIN));
  EXPECT_FALSE(s.Remove(INT64_MIN));
  EXPECT_EQ(s.width(), 8);  // never narrows
  IntSet copy(s);
  EXPECT_EQ(copy.size(), 3u);
  EXPECT_EQ(copy.At(2), 100000);
}

TEST(IntSetTest, MatchesModel) {
  std::mt19937_64 rng(1);
  IntSet s;
  std::set<int64_t> model;
  for (int i = 0; i < 5000; ++i) {
    int64_t v = static_cast<int64_t>(rng() % 2000) - 1000;
    if (rng() % 3 == 0) v *= 1000000007LL;
    if (rng() % 2) {
      EXPECT_EQ(s.Insert(v), model.insert(v).second);
    } else {
      EXPECT_EQ(s.Remove(v), model.erase(v) == 1);
    }
  }
  ASSERT_EQ(s.size(), model.size());
  size_t i = 0;
  for (int64_t v : model) EXPECT_EQ(s.At(i++), v);
}

TEST(SetTableTest, IntegerStringsHashLikeIntegers) {
  EXPECT_EQ(HashSetMember("12"), HashSetInt(12));
  EXPECT_EQ(HashSetMember("-9223372036854775808"), HashSetInt(INT64_MIN));
  EXPECT_NE(HashSetMember("012"), HashSetInt(12));
}

TEST(SetTableTest, IntTableMatchesModelAndShrinks) {
  std::mt19937_64 rng(2);
  IntTable t;
  std::set<int64_t> model;
  for (int i = 0; i < 20000; ++i) {
    int64_t v = static_cast<int64_t>(rng() % 5000);
    if (i % 7 == 0) v = INT64_MIN;
    EXPECT_EQ(t.Insert(v), model.insert(v).second);
  }
  EXPECT_EQ(t.size(), model.size());
  size_t cap = t.capacity();
  for (int64_t v : std::vector<int64_t>(model.begin(), model.end())) {
    if (v % 50 != 0) {
      EXPECT_TRUE(t.Remove(v));
      model.erase(v);
    }
  }
  EXPECT_LT(t.capacity(), cap);
  EXPECT_EQ(t.size(), model.size());
  for (int64_t v : model) EXPECT_TRUE(t.Contains(v));
  std::set<int64_t> seen;
  t.ForEach([&](int64_t v) { seen.insert(v); });
  EXPECT_EQ(seen, model);
}

TEST(SetTableTest, StrTableBinaryMembersAndCopy) {
  StrTable t;
  std::string bin("a\0b\r\n", 5);
  EXPECT_TRUE(t.Insert(bin));
  EXPECT_TRUE(t.Insert(""));
  EXPECT_TRUE(t.Insert(std::string(300, 'x')));  // two-byte length
  EXPECT_FALSE(t.Insert(bin));
  EXPECT_TRUE(t.Contains(""));
  EXPECT_FALSE(t.Contains("a"));
  size_t mem = t.MemoryUsage();
  StrTable copy(t);
  EXPECT_EQ(copy.MemoryUsage(), mem);
  EXPECT_TRUE(t.Remove(bin));
  EXPECT_TRUE(copy.Contains(bin));
  EXPECT_LT(t.MemoryUsage(), mem);
  EXPECT_TRUE(copy.Contains(std::string(300, 'x')));
}

SetLimits Small() { return {4, 3, 8}; }

TEST(SetValueTest, EncodingTransitions) {
  SetLimits lim = Small();
  std::unique_ptr<SetValue> s(SetValue::ForMember("1", lim));
  for (const char* m : {"1", "2", "3"}) EXPECT_TRUE(s->Add(m, lim));
  EXPECT_EQ(s->encoding(), Encoding::kIntset);
  EXPECT_TRUE(s->Add("4", lim));
  EXPECT_EQ(s->encoding(), Encoding::kIntset);
  EXPECT_TRUE(s->Add("5", lim));  // over max_intset
  EXPECT_EQ(s->kind(), SetValue::Kind::kIntTable);
  EXPECT_TRUE(s->Add("x", lim));  // a string: general table
  EXPECT_EQ(s->kind(), SetValue::Kind::kStrTable);
  EXPECT_EQ(s->encoding(), Encoding::kHashtable);
  EXPECT_EQ(Members(*s), (std::set<std::string>{"1", "2", "3", "4", "5", "x"}));
  for (const char* m : {"1", "2", "3", "4", "5"}) EXPECT_TRUE(s->Remove(m));
  EXPECT_EQ(s->kind(), SetValue::Kind::kStrTable);  // never back
}

TEST(SetValueTest, IntsetToListpackAndOut) {
  SetLimits lim = Small();
  std::unique_ptr<SetValue> s(SetValue::ForMember("7", lim));
  EXPECT_TRUE(s->Add("7", lim));
  EXPECT_TRUE(s->Add("abc", lim));
  EXPECT_EQ(s->encoding(), Encoding::kListpack);
  EXPECT_TRUE(s->Contains("7"));
  EXPECT_FALSE(s->Contains("07"));
  EXPECT_TRUE(s->Add("07", lim));  // not the integer 7
  EXPECT_FALSE(s->Add("abc", lim));
  EXPECT_TRUE(s->Add("d", lim));  // fourth member > max_listpack 3
  EXPECT_EQ(s->kind(), SetValue::Kind::kStrTable);
  std::unique_ptr<SetValue> t(SetValue::ForMember("x", lim));
  EXPECT_TRUE(t->Add("x", lim));
  EXPECT_TRUE(t->Add("123456789", lim));  // longer than max_listpack_value
  EXPECT_EQ(t->kind(), SetValue::Kind::kStrTable);
  std::unique_ptr<SetValue> u(SetValue::ForMember("1", lim));
  for (const char* m : {"1", "2", "3"}) u->Add(m, lim);
  EXPECT_TRUE(u->Add("y", lim));  // intset of 3 + 1 > max_listpack: table
  EXPECT_EQ(u->kind(), SetValue::Kind::kStrTable);
}

TEST(SetValueTest, CloneIsDeepAndMemoryTracks) {
  SetLimits lim;
  std::unique_ptr<SetValue> s(SetValue::ForMember("a", lim));
  for (int i = 0; i < 1000; ++i) s->Add("m" + std::to_string(i), lim);
  size_t mem = s->MemoryUsage();
  EXPECT_GT(mem, 1000u * 8);
  std::unique_ptr<SetValue> c(static_cast<SetValue*>(s->Clone()));
  for (int i = 0; i < 1000; ++i) s->Remove("m" + std::to_string(i));
  EXPECT_LT(s->MemoryUsage(), mem);
  EXPECT_EQ(c->size(), 1000u);
  EXPECT_EQ(c->MemoryUsage(), mem);
}

// Every encoding: random positions are uniform and EraseAt removes exactly
// the member At reported.
TEST(SetValueTest, RandomPositionsUniformInEveryEncoding) {
  struct Case {
    std::vector<std::string> members;
    SetValue::Kind kind;
  };
  std::vector<Case> cases = {
      {{"1", "2", "3", "4"}, SetValue::Kind::kIntset},
      {{"a", "b", "c", "d"}, SetValue::Kind::kListpack},
      {{"-9223372036854775808", "1", "2", "3", "4", "5"}, SetValue::Kind::kIntTable},
      {{"a", "b", "c", "d", "e", "f"}, SetValue::Kind::kStrTable},
  };
  SetLimits lim{4, 4, 8};
  for (const Case& cs : cases) {
    std::unique_ptr<SetValue> s(SetValue::ForMember(cs.members[0], lim));
    for (const auto& m : cs.members) s->Add(m, lim);
    ASSERT_EQ(s->kind(), cs.kind);
    std::map<std::string, int> hits;
    char buf[SetValue::kIntBuf];
    const int kDraws = 60000;
    for (int i = 0; i < kDraws; ++i) hits[std::string(s->At(s->RandomPos(), buf))]++;
    ASSERT_EQ(hits.size(), cs.members.size());
    double expect = static_cast<double>(kDraws) / static_cast<double>(cs.members.size());
    for (const auto& [m, n] : hits) EXPECT_NEAR(n, expect, expect * 0.1) << m;
    std::set<std::string> left(cs.members.begin(), cs.members.end());
    while (s->size() > 0) {
      size_t pos = s->RandomPos();
      std::string m(s->At(pos, buf));
      s->EraseAt(pos);
      EXPECT_EQ(left.erase(m), 1u);
      EXPECT_FALSE(s->Contains(m));
    }
    EXPECT_TRUE(left.empty());
  }
}

// A member present for a whole scan is returned although the set grows,
// shrinks and converts from IntTable to StrTable between steps.
TEST(SetValueTest, ScanSurvivesGrowthAndConversion) {
  SetLimits lim{16, 8, 64};
  std::unique_ptr<SetValue> s(SetValue::ForMember("0", lim));
  for (int i = 0; i < 500; ++i) s->Add(std::to_string(i), lim);
  ASSERT_EQ(s->kind(), SetValue::Kind::kIntTable);
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int step = 0;
  do {
    cursor = s->Scan(cursor, 10, [&](std::string_view m) { seen.emplace(m); });
    ++step;
    if (step == 5) s->Add("not-an-int", lim);
    if (step == 8) {
      for (int i = 500; i < 3000; ++i) s->Add("g" + std::to_string(i), lim);
    }
    if (step == 12) {
      for (int i = 500; i < 3000; ++i) s->Remove("g" + std::to_string(i));
    }
  } while (cursor != SetValue::kScanEnd);
  EXPECT_EQ(s->kind(), SetValue::Kind::kStrTable);
  for (int i = 0; i < 500; ++i) EXPECT_EQ(seen.count(std::to_string(i)), 1u) << i;
}

}  // namespace
}  // namespace magpie
