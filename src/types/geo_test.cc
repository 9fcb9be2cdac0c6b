#include "types/geo.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace magpie::geo {
namespace {

// The values below are what redis-server 7.0 answers for the GEOADD example
// of its documentation (Palermo and Catania).
double Score(double lon, double lat) {
  Hash h;
  EXPECT_TRUE(Encode(kLonRange, kLatRange, lon, lat, kStepMax, &h));
  return static_cast<double>(Align52(h));
}

std::string Fixed(double v, const char* fmt) {
  char buf[64];
  snprintf(buf, sizeof(buf), fmt, v);
  return buf;
}

TEST(GeoTest, ScoresMatchRedis) {
  EXPECT_EQ(Score(13.361389, 38.115556), 3479099956230698.0);
  EXPECT_EQ(Score(15.087269, 37.502669), 3479447370796909.0);
}

TEST(GeoTest, DecodedPositionsMatchRedis) {
  double lon, lat;
  DecodeScore(3479099956230698.0, &lon, &lat);
  EXPECT_EQ(Fixed(lon, "%.17f"), "13.36138933897018433");
  EXPECT_EQ(Fixed(lat, "%.17f"), "38.11555639549629859");
}

TEST(GeoTest, DistanceAndGeohashMatchRedis) {
  double lon1, lat1, lon2, lat2;
  DecodeScore(3479099956230698.0, &lon1, &lat1);
  DecodeScore(3479447370796909.0, &lon2, &lat2);
  EXPECT_EQ(Fixed(Distance(lon1, lat1, lon2, lat2), "%.4f"), "166274.1516");
  EXPECT_EQ(GeohashString(3479099956230698.0), "sqc8b49rny0");
  EXPECT_EQ(GeohashString(3479447370796909.0), "sqdtr74hyu0");
}

TEST(GeoTest, RejectsPositionsOutsideMercatorRange) {
  EXPECT_TRUE(ValidLonLat(180, 85.05112878));
  EXPECT_FALSE(ValidLonLat(180.0001, 0));
  EXPECT_FALSE(ValidLonLat(0, 85.06));
  Hash h;
  EXPECT_FALSE(Encode(kLonRange, kLatRange, 0, -86, kStepMax, &h));
}

TEST(GeoTest, BoxesCoverTheSearchedPoints) {
  Shape s;
  s.lon = 15;
  s.lat = 37;
  s.radius = 200;
  s.conversion = 1000;
  SearchBoxes b = BoxesFor(s);
  ASSERT_FALSE(b.boxes[0].zero());
  // Both Sicilian cities are within 200 km of (15, 37), and each lies in one
  // of the boxes searched.
  for (double score : {3479099956230698.0, 3479447370796909.0}) {
    double lon, lat, dist;
    DecodeScore(score, &lon, &lat);
    EXPECT_TRUE(Within(s, lon, lat, &dist));
    bool covered = false;
    for (const Hash& box : b.boxes) {
      if (box.zero()) continue;
      uint64_t min, max;
      ScoreRange(box, &min, &max);
      covered = covered || (score >= static_cast<double>(min) && score < static_cast<double>(max));
    }
    EXPECT_TRUE(covered) << score;
  }
  double lon, lat, dist;
  DecodeScore(3479447370796909.0, &lon, &lat);
  Within(s, lon, lat, &dist);
  EXPECT_EQ(Fixed(dist / 1000, "%.4f"), "56.4413");
}

TEST(GeoTest, BoxShapeTestsEachAxis) {
  Shape s;
  s.box = true;
  s.width = 400;
  s.height = 100;
  s.conversion = 1000;  // km
  double dist;
  EXPECT_TRUE(Within(s, 1.5, 0, &dist));    // ~167 km east: inside the 200 km half-width
  EXPECT_FALSE(Within(s, 0, 0.6, &dist));   // ~67 km north: outside the 50 km half-height
  EXPECT_FALSE(Within(s, 2.0, 0, &dist));   // ~222 km east
}

}  // namespace
}  // namespace magpie::geo
