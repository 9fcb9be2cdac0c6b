#include "server/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

namespace magpie {
namespace {

TEST(ConfigTest, FlagsSetDirectives) {
  Config c;
  std::string err;
  ASSERT_TRUE(c.LoadArgs({"--port", "7000", "--threads", "2", "--save", ""}, &err)) << err;
  EXPECT_EQ(c.port.load(), 7000);
  EXPECT_EQ(c.threads.load(), 2);
  EXPECT_EQ(c.save(), "");
}

TEST(ConfigTest, BadValueReportsLineAndReason) {
  std::string path = testing::TempDir() + "/magpie_bad.conf";
  {
    std::ofstream f(path);
    f << "# comment\nport 7000\nmaxclients abc\n";
  }
  Config c;
  std::string err;
  EXPECT_FALSE(c.LoadFile(path, &err));
  EXPECT_NE(err.find("at line 3"), std::string::npos) << err;
  EXPECT_NE(err.find("argument couldn't be parsed into an integer"), std::string::npos) << err;
  EXPECT_NE(err.find(path), std::string::npos) << err;
}

TEST(ConfigTest, SaveLinesAccumulateAndEmptyResets) {
  std::string path = testing::TempDir() + "/magpie_save.conf";
  {
    std::ofstream f(path);
    f << "save 900 1\nsave 300 10\n";
  }
  Config c;
  std::string err;
  ASSERT_TRUE(c.LoadFile(path, &err)) << err;
  EXPECT_EQ(c.save(), "900 1 300 10");
  {
    std::ofstream f(path);
    f << "save 900 1\nsave \"\"\nsave 60 5\n";
  }
  Config d;
  ASSERT_TRUE(d.LoadFile(path, &err)) << err;
  EXPECT_EQ(d.save(), "60 5");
}

TEST(ConfigTest, UnknownDirective) {
  Config c;
  std::string err;
  EXPECT_FALSE(c.LoadArgs({"--no-such-thing", "1"}, &err));
  EXPECT_NE(err.find("Bad directive"), std::string::npos);
}

TEST(ConfigTest, SetManyIsAtomic) {
  Config c;
  EXPECT_EQ(c.SetMany({{"timeout", "5"}, {"maxclients", "abc"}}),
            "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't "
            "be parsed into an integer");
  EXPECT_EQ(c.timeout.load(), 0);
  EXPECT_EQ(c.SetMany({{"timeout", "5"}, {"maxclients", "50"}}), "");
  EXPECT_EQ(c.timeout.load(), 5);
  EXPECT_EQ(c.maxclients.load(), 50);
  EXPECT_NE(c.SetMany({{"databases", "3"}}).find("can't set immutable config"), std::string::npos);
}

TEST(ConfigTest, GetMatchesGlobs) {
  Config c;
  auto pairs = c.Get({"maxcl*", "port"});
  ASSERT_EQ(pairs.size(), 2u);
  EXPECT_EQ(pairs[0].first, "port");
  EXPECT_EQ(pairs[1].first, "maxclients");
}

TEST(ConfigTest, OutputBufferLimit) {
  Config c;
  EXPECT_EQ(c.SetMany({{"client-output-buffer-limit", "normal 1mb 512kb 10"}}), "");
  EXPECT_EQ(c.obuf_limits[0].hard.load(), 1024 * 1024);
  EXPECT_EQ(c.obuf_limits[0].soft.load(), 512 * 1024);
  EXPECT_EQ(c.Get({"client-output-buffer-limit"})[0].second,
            "normal 1048576 524288 10 slave 268435456 67108864 60 pubsub 33554432 8388608 60");
}

}  // namespace
}  // namespace magpie
