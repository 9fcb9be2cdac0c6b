// Geohash arithmetic behind the GEO commands, with Redis's constants and
// rounding so that scores, positions and distances agree with Redis to the
// digits it prints.
//
// A position is stored as the score of a sorted set member: its 52-bit
// geohash (26 bits of longitude and 26 of latitude, interleaved with the
// latitude bit lowest) over the Web Mercator latitude range +-85.05112878
// rather than the standard +-90. A geohash at a coarser step (fewer bits)
// names a box; the members inside a box are one score range of the sorted
// set, which is how searches avoid scanning the whole set:
//
//   SearchBoxes(shape) -> up to 9 boxes (centre and neighbours) that cover
//   the shape; every member in their score ranges is tested with Within().
#pragma once

#include <cstdint>
#include <string>

namespace magpie::geo {

inline constexpr int kStepMax = 26;  // 52 bits
inline constexpr double kLonMin = -180, kLonMax = 180;
inline constexpr double kLatMin = -85.05112878, kLatMax = 85.05112878;

struct Range {
  double min, max;
};
inline constexpr Range kLonRange{kLonMin, kLonMax};
inline constexpr Range kLatRange{kLatMin, kLatMax};

// A geohash of `step` bits per coordinate. bits == 0 && step == 0 is "no box".
struct Hash {
  uint64_t bits = 0;
  int step = 0;
  bool zero() const { return bits == 0 && step == 0; }
  bool operator==(const Hash&) const = default;
};

struct Area {
  Range lon, lat;
};

// Whether Redis accepts the pair as a position.
bool ValidLonLat(double lon, double lat);
// Encodes a position within the ranges at `step`; false outside them.
bool Encode(Range lon_r, Range lat_r, double lon, double lat, int step, Hash* out);
// The box a hash names.
Area Decode(Range lon_r, Range lat_r, Hash h);
// The 52-bit sorted-set score of a hash (its bits shifted to step 26).
uint64_t Align52(Hash h);
// The position a sorted-set score stands for (the centre of its box).
void DecodeScore(double score, double* lon, double* lat);
// The standard 11-character base32 geohash of a stored score.
std::string GeohashString(double score);

// Great-circle distance in meters (haversine on Redis's Earth radius).
double Distance(double lon1, double lat1, double lon2, double lat2);

// A search area: a circle of `radius` or a box of `width` x `height`, in
// units of `conversion` meters, centred on (lon, lat).
struct Shape {
  bool box = false;
  double lon = 0, lat = 0;
  double conversion = 1;
  double radius = 0;
  double width = 0, height = 0;
};

// Whether a position is inside the shape; *dist is its distance from the
// centre in meters when it is.
bool Within(const Shape& s, double lon, double lat, double* dist);

// The boxes to search for a shape in Redis's order (centre, N, S, E, W, NE,
// NW, SE, SW); boxes that cannot hold a match are zero().
struct SearchBoxes {
  Hash boxes[9];
};
SearchBoxes BoxesFor(const Shape& s);

// Score range [*min, *max) of the members inside a box.
void ScoreRange(Hash h, uint64_t* min, uint64_t* max);

}  // namespace magpie::geo
