#include "persistence/rdb_codec.h"

#include <gtest/gtest.h>
#include <lzf.h>

namespace magpie::rdb {
namespace {

TEST(RdbCodecTest, Crc64MatchesRedisCheckValue) {
  // Redis's crc64 test vector.
  EXPECT_EQ(Crc64(0, "123456789"), 0xe9c6d914c4b8d9caULL);
}

TEST(RdbCodecTest, LengthsRoundTripInEveryWidth) {
  for (uint64_t n : {0ULL, 63ULL, 64ULL, 16383ULL, 16384ULL, 4294967295ULL, 4294967296ULL}) {
    std::string out;
    AppendLength(&out, n);
    std::string_view in = out;
    EXPECT_EQ(ReadLength(&in), n);
    EXPECT_TRUE(in.empty());
  }
}

TEST(RdbCodecTest, StringsInEveryEncoding) {
  std::string out;
  AppendString(&out, "hello");
  out += std::string("\xc0\xfe", 2);           // int8 -2
  out += std::string("\xc1\x39\x30", 3);       // int16 12345
  out += std::string("\xc2\x00\x00\x00\x80", 5);  // int32 INT32_MIN
  std::string plain(200, 'a');
  std::string packed(400, '\0');
  unsigned int clen = lzf_compress(plain.data(), 200, packed.data(), 400);
  ASSERT_GT(clen, 0u);
  out.push_back(static_cast<char>(0xc3));
  AppendLength(&out, clen);
  AppendLength(&out, 200);
  out.append(packed.data(), clen);
  std::string_view in = out;
  EXPECT_EQ(ReadString(&in), "hello");
  EXPECT_EQ(ReadString(&in), "-2");
  EXPECT_EQ(ReadString(&in), "12345");
  EXPECT_EQ(ReadString(&in), "-2147483648");
  EXPECT_EQ(ReadString(&in), plain);
  EXPECT_TRUE(in.empty());
  std::string_view truncated = std::string_view(out).substr(0, 3);
  EXPECT_EQ(ReadString(&truncated), std::nullopt);
}

TEST(RdbCodecTest, TrailerIsCheckedForVersionAndCrc) {
  std::string p = "body";
  AppendTrailer(&p);
  EXPECT_EQ(CheckTrailer(p), "body");
  std::string bad = p;
  bad[0] = 'B';
  EXPECT_EQ(CheckTrailer(bad), std::nullopt);
  std::string newer = "body";
  newer += std::string("\x0b\x00", 2);  // version 11
  uint64_t crc = Crc64(0, newer);
  for (int i = 0; i < 8; ++i) newer.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  EXPECT_EQ(CheckTrailer(newer), std::nullopt);
  std::string zero_crc = "body";
  zero_crc += std::string("\x0a\x00", 2);
  zero_crc += std::string(8, '\0');
  EXPECT_EQ(CheckTrailer(zero_crc), std::nullopt);
  EXPECT_EQ(CheckTrailer("short"), std::nullopt);
}

}  // namespace
}  // namespace magpie::rdb
