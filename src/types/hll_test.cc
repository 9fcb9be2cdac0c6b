#include "types/hll.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace magpie::hll {
namespace {

std::string Bytes(std::initializer_list<int> v) {
  std::string s;
  for (int b : v) s.push_back(static_cast<char>(b));
  return s;
}

std::string Header(uint8_t enc) {
  return std::string("HYLL") + static_cast<char>(enc) + std::string(11, '\0');
}

TEST(HllTest, NewSparseIsRedisEmptyHll) {
  std::string s = NewSparse();
  // What Redis's PFADD creates: header, one XZERO covering all 16384 registers.
  EXPECT_EQ(s, Header(kEncSparse) + Bytes({0x7f, 0xff}));
  EXPECT_TRUE(LooksValid(s));
  EXPECT_TRUE(CacheValid(s));
  EXPECT_EQ(CachedCardinality(s), 0u);
  EXPECT_EQ(Count(s), 0u);
}

TEST(HllTest, SparseBytesMatchRedis) {
  // Redis 7.0: PFADD h a b c d e; GET h.
  std::string s = NewSparse();
  for (const char* e : {"a", "b", "c", "d", "e"}) EXPECT_EQ(Add(&s, e, 3000), 1);
  std::string want = Header(kEncSparse) + Bytes({'\\', '{', 0x80, 'D', 'v', 0x80, 'P', 0xb1, 0x84,
                                                 'I', 0x8c, 0x80, 'B', 'm', 0x80, 'B', 'Z'});
  want[15] = static_cast<char>(0x80);  // PFADD leaves the cache invalid
  EXPECT_EQ(s, want);
  EXPECT_EQ(Count(s), 5u);
  EXPECT_EQ(Add(&s, "a", 3000), 0);  // already counted
}

TEST(HllTest, HashAndObservation) {
  EXPECT_EQ(MurmurHash64A("", 0), 0u);
  // The rank is the run of zeros after the 14 index bits, plus one, and the
  // terminating bit bounds it.
  for (int i = 0; i < 1000; ++i) {
    std::string e = "elem" + std::to_string(i);
    Observation o = Observe(e);
    uint64_t h = MurmurHash64A(e, kHashSeed);
    EXPECT_EQ(o.index, h & (kRegisters - 1));
    EXPECT_GE(o.rank, 1);
    EXPECT_LE(o.rank, kMaxRank);
  }
}

TEST(HllTest, DenseRegistersRoundTrip) {
  std::vector<uint8_t> regs(kDenseSize - kHeaderSize + 1, 0);
  regs.back() = 0xAB;  // a guard byte past the registers
  for (uint32_t i = 0; i < kRegisters; ++i)
    DenseStore(regs.data(), i, static_cast<uint8_t>(i % 64));
  for (uint32_t i = 0; i < kRegisters; ++i) EXPECT_EQ(DenseGet(regs.data(), i), i % 64) << i;
  EXPECT_EQ(regs.back(), 0xAB);
  EXPECT_FALSE(DenseRaise(regs.data(), 63, 10));
  EXPECT_TRUE(DenseRaise(regs.data(), 1, 10));
  EXPECT_EQ(DenseGet(regs.data(), 1), 10);
  EXPECT_EQ(DenseGet(regs.data(), 0), 0);
  EXPECT_EQ(DenseGet(regs.data(), 2), 2);
}

TEST(HllTest, SparseAndDenseAgree) {
  std::string sparse = NewSparse();
  std::string dense = NewSparse();
  ASSERT_TRUE(SparseToDense(&dense));
  ASSERT_EQ(dense.size(), kDenseSize);
  for (int i = 0; i < 600; ++i) {
    std::string e = "x" + std::to_string(i);
    int a = Add(&sparse, e, 1 << 20);
    int b = Add(&dense, e, 1 << 20);
    EXPECT_EQ(a, b) << i;
  }
  ASSERT_FALSE(IsDense(sparse));
  EXPECT_EQ(Count(sparse), Count(dense));
  std::string promoted = sparse;
  ASSERT_TRUE(SparseToDense(&promoted));
  EXPECT_EQ(promoted.substr(kHeaderSize), dense.substr(kHeaderSize));
}

TEST(HllTest, PromotesAtSparseMaxBytes) {
  std::string s = NewSparse();
  size_t largest_sparse = 0;
  int i = 0;
  while (!IsDense(s)) {
    largest_sparse = std::max(largest_sparse, s.size());
    ASSERT_GE(Add(&s, "p" + std::to_string(i++), 300), 0);
  }
  EXPECT_LE(largest_sparse, 300u);
  EXPECT_GT(largest_sparse, 290u);  // it only turns dense when growth would pass the limit
  EXPECT_EQ(s.size(), kDenseSize);
  EXPECT_TRUE(LooksValid(s));
}

TEST(HllTest, HighRankPromotes) {
  std::string s = NewSparse();
  EXPECT_EQ(Raise(&s, 5, 33, 3000), 1);  // sparse VAL holds 1..32 only
  EXPECT_TRUE(IsDense(s));
  EXPECT_EQ(DenseGet(reinterpret_cast<const uint8_t*>(s.data()) + kHeaderSize, 5), 33);
}

TEST(HllTest, SplitsAndMergesRuns) {
  std::string s = NewSparse();
  EXPECT_EQ(Raise(&s, 100, 3, 3000), 1);
  // XZERO(100) VAL(3) XZERO(16283)
  EXPECT_EQ(s.substr(kHeaderSize), Bytes({0x40, 0x63, 0x88, 0x7f, 0x9a}));
  EXPECT_EQ(Raise(&s, 101, 3, 3000), 1);
  EXPECT_EQ(Raise(&s, 99, 3, 3000), 1);
  EXPECT_EQ(Raise(&s, 100, 2, 3000), 0);
  std::vector<uint8_t> max(kRegisters, 0);
  ASSERT_TRUE(MergeInto(s, max.data()));
  for (uint32_t i = 0; i < kRegisters; ++i) EXPECT_EQ(max[i], (i >= 99 && i <= 101) ? 3 : 0) << i;
  // Equal neighbours collapse: XZERO(99) VAL(3)x3 XZERO(16282).
  EXPECT_EQ(s.substr(kHeaderSize), Bytes({0x40, 0x62, 0x8a, 0x7f, 0x99}));
}

TEST(HllTest, MergeIsUnion) {
  std::string a = NewSparse(), b = NewSparse(), both = NewSparse();
  for (int i = 0; i < 2000; ++i) {
    std::string e = std::to_string(i);
    Add(i % 2 ? &a : &b, e, 3000);
    Add(&both, e, 3000);
  }
  std::vector<uint8_t> max(kRegisters, 0);
  ASSERT_TRUE(MergeInto(a, max.data()));
  ASSERT_TRUE(MergeInto(b, max.data()));
  EXPECT_EQ(CountRegisters(max.data()), Count(both));
}

TEST(HllTest, EstimateIsClose) {
  std::string s = NewSparse();
  const int n = 100000;
  for (int i = 0; i < n; ++i) Add(&s, "e" + std::to_string(i), 3000);
  auto c = Count(s);
  ASSERT_TRUE(c);
  EXPECT_NEAR(static_cast<double>(*c), n, n * 0.02);
}

TEST(HllTest, CachedCardinality) {
  std::string s = NewSparse();
  StoreCardinality(s.data(), 0x0102030405060708ULL);
  EXPECT_TRUE(CacheValid(s));
  EXPECT_EQ(CachedCardinality(s), 0x0102030405060708ULL);
  InvalidateCache(s.data());
  EXPECT_FALSE(CacheValid(s));
  EXPECT_EQ(static_cast<uint8_t>(s[15]), 0x81);
}

TEST(HllTest, RejectsCorruptValues) {
  EXPECT_FALSE(LooksValid("HYLL"));
  EXPECT_FALSE(LooksValid(std::string("HYLX") + std::string(14, '\x01')));
  EXPECT_FALSE(LooksValid(Header(2) + Bytes({0x7f, 0xff})));
  EXPECT_FALSE(LooksValid(Header(kEncDense) + Bytes({0x7f, 0xff})));  // dense must be full size
  // Opcodes covering too few or too many registers.
  EXPECT_FALSE(Count(Header(kEncSparse) + Bytes({0x7f, 0xfe})));
  EXPECT_FALSE(Count(Header(kEncSparse) + Bytes({0x7f, 0xff, 0x80})));
  std::vector<uint8_t> max(kRegisters, 0);
  EXPECT_FALSE(MergeInto(Header(kEncSparse) + Bytes({0x7f, 0xfe}), max.data()));
  std::string s = Header(kEncSparse) + Bytes({0x7f, 0xfe});
  EXPECT_FALSE(SparseToDense(&s));
  std::string truncated = Header(kEncSparse) + Bytes({0x00});
  EXPECT_EQ(Raise(&truncated, 16000, 1, 3000), -1);
}

}  // namespace
}  // namespace magpie::hll
