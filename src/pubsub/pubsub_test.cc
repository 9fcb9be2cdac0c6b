#include "pubsub/pubsub.h"

#include <gtest/gtest.h>

#include <string>

#include "pubsub/notify.h"
#include "server/monitor.h"

namespace magpie {
namespace {

TEST(PubSubTest, EncodeMessageFrames) {
  EXPECT_EQ(EncodeMessage(false, "message", "ch", "hi"),
            "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
  std::string_view payload = "";
  EXPECT_EQ(EncodeMessage(true, "pmessage", "c*", "ch", &payload),
            ">4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nch\r\n$0\r\n\r\n");
}

TEST(PubSubTest, RegistryCountsAndUnsubscribe) {
  PubSubClient a(nullptr, nullptr, 1), b(nullptr, nullptr, 2);
  EXPECT_TRUE(Subscribe(&a, SubKind::kChannel, "news"));
  EXPECT_FALSE(Subscribe(&a, SubKind::kChannel, "news"));
  EXPECT_TRUE(Subscribe(&b, SubKind::kChannel, "news"));
  EXPECT_TRUE(Subscribe(&b, SubKind::kPattern, "n*"));
  EXPECT_TRUE(Subscribe(&a, SubKind::kShard, "news"));
  EXPECT_EQ(NumSubscribers(SubKind::kChannel, "news"), 2);
  EXPECT_EQ(NumSubscribers(SubKind::kShard, "news"), 1);
  EXPECT_EQ(NumPatterns(), 1);
  EXPECT_EQ(ActiveChannels(SubKind::kChannel, "n?ws", false).size(), 1u);
  EXPECT_EQ(a.counts[static_cast<int>(SubKind::kChannel)].load(), 1);
  EXPECT_FALSE(Unsubscribe(&b, SubKind::kChannel, "other"));
  UnsubscribeAll(&a);
  UnsubscribeAll(&b);
  EXPECT_EQ(NumSubscribers(SubKind::kChannel, "news"), 0);
  EXPECT_EQ(NumPatterns(), 0);
  EXPECT_EQ(NumChannels(SubKind::kShard), 0);
}

TEST(NotifyTest, ParseAndFormatLikeRedis) {
  int f = 0;
  ASSERT_TRUE(ParseNotifyFlags("KEA", &f));
  EXPECT_EQ(NotifyFlagsToString(f), "AKE");
  ASSERT_TRUE(ParseNotifyFlags("K$lshzxetdmn", &f));
  EXPECT_EQ(NotifyFlagsToString(f), "$lshzxetdnKm");
  ASSERT_TRUE(ParseNotifyFlags("An", &f));
  EXPECT_EQ(NotifyFlagsToString(f), "A");  // Redis drops 'n' after 'A' too
  EXPECT_TRUE(f & kNotifyNew);
  ASSERT_TRUE(ParseNotifyFlags("", &f));
  EXPECT_EQ(f, 0);
  EXPECT_FALSE(ParseNotifyFlags("KQ", &f));
}

TEST(MonitorTest, QuotesLikeSdscatrepr) {
  std::string out;
  AppendQuoted(&out, std::string_view("a\"b\\c\n\r\t\a\b\x01\xff", 12));
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\r\\t\\a\\b\\x01\\xff\"");
}

}  // namespace
}  // namespace magpie
