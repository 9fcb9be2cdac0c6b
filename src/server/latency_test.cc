#include "server/latency.h"

#include <gtest/gtest.h>

#include <memory>

namespace magpie {
namespace {

TEST(LatencyHistogramTest, BucketsCoverEveryValueInOrder) {
  int previous = -1;
  for (uint64_t v = 0; v < 100000; ++v) {
    int i = LatencyHistogram::Index(v);
    ASSERT_GE(i, previous);
    ASSERT_LE(v, LatencyHistogram::UpperBound(i)) << v;
    if (i > 0) {
      ASSERT_GT(v, LatencyHistogram::UpperBound(i - 1)) << v;
    }
    previous = i;
  }
  EXPECT_EQ(LatencyHistogram::Index(~uint64_t{0}), LatencyHistogram::kBuckets - 1);
}

TEST(LatencyHistogramTest, ExactBelowEightAndPowersOfTwoEndBuckets) {
  for (uint64_t v = 0; v <= 8; ++v) {
    EXPECT_EQ(LatencyHistogram::UpperBound(LatencyHistogram::Index(v)), v);
  }
  for (int k = 3; k <= 40; ++k) {
    uint64_t p = uint64_t{1} << k;
    EXPECT_EQ(LatencyHistogram::UpperBound(LatencyHistogram::Index(p)), p) << k;
    EXPECT_NE(LatencyHistogram::Index(p), LatencyHistogram::Index(p + 1)) << k;
  }
  // 12.5 % resolution above 8.
  uint64_t v = 1000;
  uint64_t hi = LatencyHistogram::UpperBound(LatencyHistogram::Index(v));
  EXPECT_GE(hi, v);
  EXPECT_LE(static_cast<double>(hi), 1.125 * static_cast<double>(v));
}

TEST(LatencyHistogramTest, SnapshotPercentilesAndCumulativeCounts) {
  auto h = std::make_unique<LatencyHistogram>();
  for (int i = 0; i < 90; ++i) h->Record(3);
  for (int i = 0; i < 9; ++i) h->Record(100);
  h->Record(5000);
  HistogramSnapshot s;
  s.Add(*h);
  EXPECT_EQ(s.total, 100u);
  EXPECT_EQ(s.Percentile(50), 3u);
  EXPECT_EQ(s.Percentile(90), 3u);
  EXPECT_EQ(s.Percentile(91), LatencyHistogram::UpperBound(LatencyHistogram::Index(100)));
  EXPECT_EQ(s.Percentile(100), LatencyHistogram::UpperBound(LatencyHistogram::Index(5000)));
  EXPECT_EQ(s.CountAtMost(2), 0u);
  EXPECT_EQ(s.CountAtMost(4), 90u);
  EXPECT_EQ(s.CountAtMost(128), 99u);
  EXPECT_EQ(s.CountAtMost(8192), 100u);
  h->Reset();
  HistogramSnapshot empty;
  empty.Add(*h);
  EXPECT_EQ(empty.total, 0u);
  EXPECT_EQ(empty.Percentile(99), 0u);
}

TEST(LatencyMonitorTest, OneSamplePerSecondAboveTheThreshold) {
  LatencyReset({});
  g_observability.latency_monitor_threshold.store(10);
  LatencyAddSampleIfNeeded("unit", 5);  // below
  EXPECT_TRUE(LatencyEvents().empty());
  LatencyAddSampleIfNeeded("unit", 12);
  LatencyAddSampleIfNeeded("unit", 30);  // same second: the worst is kept
  auto events = LatencyEvents();
  ASSERT_EQ(events.size(), 1u);
  ASSERT_GE(events[0].samples.size(), 1u);
  EXPECT_EQ(events[0].max_ms, 30);
  EXPECT_EQ(events[0].samples.back().latency_ms, 30);  // a second boundary may split 12 and 30
  EXPECT_EQ(LatencyReset({"unit", "other"}), 1);
  EXPECT_TRUE(LatencyEvents().empty());
  g_observability.latency_monitor_threshold.store(0);
  LatencyAddSampleIfNeeded("unit", 1000);
  EXPECT_TRUE(LatencyEvents().empty());
}

TEST(TrackingPercentilesTest, ParsesAndPrintsAsRedis) {
  EXPECT_EQ(SetTrackingPercentiles({"50", "99.99", "100"}), "");
  EXPECT_EQ(TrackingPercentilesString(), "50 99.99 100");
  EXPECT_NE(SetTrackingPercentiles({"101"}), "");
  EXPECT_NE(SetTrackingPercentiles({"x"}), "");
  EXPECT_EQ(TrackingPercentilesString(), "50 99.99 100");  // unchanged after an error
  EXPECT_EQ(SetTrackingPercentiles({}), "");
  EXPECT_EQ(TrackingPercentilesString(), "");
  EXPECT_EQ(SetTrackingPercentiles({"50", "99", "99.9"}), "");
}

}  // namespace
}  // namespace magpie
