#include "protocol/resp_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace magpie {
namespace {

std::vector<std::string> ParseAll(RespParser& p, const std::string& in, RespParser::Status* last) {
  std::vector<std::string> out;
  std::vector<std::string_view> args;
  size_t consumed = 0;
  *last = p.Parse(in.data(), in.size(), &consumed, &args);
  if (*last == RespParser::Status::kOk) {
    for (auto a : args) out.emplace_back(a);
  }
  return out;
}

TEST(RespParserTest, Multibulk) {
  RespParser p;
  RespParser::Status st;
  auto args = ParseAll(p, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", &st);
  ASSERT_EQ(st, RespParser::Status::kOk);
  EXPECT_EQ(args, (std::vector<std::string>{"GET", "k"}));
}

TEST(RespParserTest, IncompleteThenComplete) {
  RespParser p;
  std::string full = "*2\r\n$3\r\nSET\r\n$5\r\nhello\r\n";
  std::vector<std::string_view> args;
  size_t consumed = 0;
  for (size_t n = 1; n < full.size(); ++n) {
    EXPECT_EQ(p.Parse(full.data(), n, &consumed, &args), RespParser::Status::kNeedMore) << n;
  }
  ASSERT_EQ(p.Parse(full.data(), full.size(), &consumed, &args), RespParser::Status::kOk);
  EXPECT_EQ(consumed, full.size());
  EXPECT_EQ(args[1], "hello");
}

TEST(RespParserTest, BinaryBulk) {
  RespParser p;
  std::string in = std::string("*1\r\n$5\r\na\0\r\nb\r\n", 16);
  RespParser::Status st;
  auto args = ParseAll(p, in, &st);
  ASSERT_EQ(st, RespParser::Status::kOk);
  EXPECT_EQ(args[0], std::string("a\0\r\nb", 5));
}

TEST(RespParserTest, Inline) {
  RespParser p;
  RespParser::Status st;
  auto args = ParseAll(p, "SET k \"a b\\x41\" 'c\\'d'\r\n", &st);
  ASSERT_EQ(st, RespParser::Status::kOk);
  EXPECT_EQ(args, (std::vector<std::string>{"SET", "k", "a bA", "c'd"}));
}

TEST(RespParserTest, Errors) {
  struct Case {
    std::string in, error;
  } cases[] = {
      {"*abc\r\n", "Protocol error: invalid multibulk length"},
      {"*1\r\n$-5\r\n", "Protocol error: invalid bulk length"},
      {"*1\r\n+x\r\n", "Protocol error: expected '$', got '+'"},
      {"*3000000000\r\n", "Protocol error: invalid multibulk length"},
      {"*1\r\n$999999999999\r\n", "Protocol error: invalid bulk length"},
      {"SET \"a\r\n", "Protocol error: unbalanced quotes in request"},
      {std::string(70000, 'a'), "Protocol error: too big inline request"},
  };
  for (const auto& c : cases) {
    RespParser p;
    RespParser::Status st;
    ParseAll(p, c.in, &st);
    EXPECT_EQ(st, RespParser::Status::kError) << c.in.substr(0, 20);
    EXPECT_EQ(p.error(), c.error);
  }
}

TEST(RespParserTest, UnauthenticatedLimits) {
  RespParser p;
  p.set_authenticated(false);
  RespParser::Status st;
  ParseAll(p, "*11\r\n", &st);
  EXPECT_EQ(p.error(), "Protocol error: unauthenticated multibulk length");
  RespParser q;
  q.set_authenticated(false);
  ParseAll(q, "*1\r\n$20000\r\n", &st);
  EXPECT_EQ(q.error(), "Protocol error: unauthenticated bulk length");
}

TEST(RespParserTest, EmptyMultibulkIsSkipped) {
  RespParser p;
  RespParser::Status st;
  auto args = ParseAll(p, "*0\r\n", &st);
  EXPECT_EQ(st, RespParser::Status::kOk);
  EXPECT_TRUE(args.empty());
}

TEST(RespParserTest, BytesWantedForLargeBulk) {
  RespParser p;
  std::string in = "*1\r\n$100000\r\nabc";
  std::vector<std::string_view> args;
  size_t consumed = 0;
  EXPECT_EQ(p.Parse(in.data(), in.size(), &consumed, &args), RespParser::Status::kNeedMore);
  EXPECT_EQ(p.bytes_wanted(), 13u + 100000 + 2);
}

}  // namespace
}  // namespace magpie
