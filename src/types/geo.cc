#include "types/geo.h"

#include <cmath>

namespace magpie::geo {

namespace {

constexpr double kEarthRadiusM = 6372797.560856;  // Redis's value
constexpr double kMercatorMax = 20037726.37;
constexpr double kDegToRad = M_PI / 180.0;

double DegRad(double deg) { return deg * kDegToRad; }
double RadDeg(double rad) { return rad / kDegToRad; }

// Spreads the 32 bits of v over the even bits of a 64-bit word.
uint64_t Spread(uint32_t v) {
  uint64_t x = v;
  x = (x | (x << 16)) & 0x0000FFFF0000FFFFULL;
  x = (x | (x << 8)) & 0x00FF00FF00FF00FFULL;
  x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0FULL;
  x = (x | (x << 2)) & 0x3333333333333333ULL;
  x = (x | (x << 1)) & 0x5555555555555555ULL;
  return x;
}

// The inverse of Spread: gathers the even bits of x.
uint32_t Gather(uint64_t x) {
  x &= 0x5555555555555555ULL;
  x = (x | (x >> 1)) & 0x3333333333333333ULL;
  x = (x | (x >> 2)) & 0x0F0F0F0F0F0F0F0FULL;
  x = (x | (x >> 4)) & 0x00FF00FF00FF00FFULL;
  x = (x | (x >> 8)) & 0x0000FFFF0000FFFFULL;
  x = (x | (x >> 16)) & 0x00000000FFFFFFFFULL;
  return static_cast<uint32_t>(x);
}

uint64_t Interleave(uint32_t lat, uint32_t lon) { return Spread(lat) | (Spread(lon) << 1); }

constexpr uint64_t kLatBits = 0x5555555555555555ULL;  // even bits
constexpr uint64_t kLonBits = 0xAAAAAAAAAAAAAAAAULL;  // odd bits

// Moves a hash d boxes east (MoveX) or north (MoveY), wrapping around. As in
// Redis, only the moved coordinate is cut to the hash's step: a centre on
// the antimeridian (longitude index 2^step) keeps its longitude bit when
// moved north or south.
Hash MoveX(Hash h, int d) {
  if (d == 0) return h;
  uint64_t lon = (Gather(h.bits >> 1) + static_cast<uint64_t>(d)) & ((1ULL << h.step) - 1);
  return {(h.bits & kLatBits) | (Spread(static_cast<uint32_t>(lon)) << 1), h.step};
}

Hash MoveY(Hash h, int d) {
  if (d == 0) return h;
  uint64_t lat = (Gather(h.bits) + static_cast<uint64_t>(d)) & ((1ULL << h.step) - 1);
  return {(h.bits & kLonBits) | Spread(static_cast<uint32_t>(lat)), h.step};
}

Hash Move(Hash h, int dlon, int dlat) { return MoveY(MoveX(h, dlon), dlat); }

// (uint64_t)score as x86-64 converts it (what Redis's decodeGeohash sees
// for a score no GEOADD wrote), without C++'s undefined behaviour.
uint64_t ScoreBits(double score) {
  constexpr double k2p63 = 9223372036854775808.0;
  if (score >= 0) {
    if (score < k2p63) return static_cast<uint64_t>(static_cast<int64_t>(score));
    if (score < 2 * k2p63) {
      return static_cast<uint64_t>(static_cast<int64_t>(score - k2p63)) ^ (1ULL << 63);
    }
    return 0;
  }
  if (score > -k2p63) return static_cast<uint64_t>(static_cast<int64_t>(score));
  return 1ULL << 63;
}

double LatDistance(double lat1, double lat2) {
  return kEarthRadiusM * std::fabs(DegRad(lat2) - DegRad(lat1));
}

// Steps (bits per coordinate) of the boxes that cover a radius at latitude.
int StepsForRadius(double range_m, double lat) {
  if (range_m == 0) return kStepMax;
  int step = 1;
  while (range_m < kMercatorMax) {
    range_m *= 2;
    step++;
  }
  step -= 2;  // keep the range inside the boxes in most cases
  // Meridians converge towards the poles: boxes there are narrower.
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  if (step < 1) step = 1;
  if (step > kStepMax) step = kStepMax;
  return step;
}

struct Bounds {
  double min_lon, min_lat, max_lon, max_lat;
};

Bounds BoundingBox(const Shape& s) {
  double height = s.conversion * (s.box ? s.height / 2 : s.radius);
  double width = s.conversion * (s.box ? s.width / 2 : s.radius);
  const double lat_delta = RadDeg(height / kEarthRadiusM);
  const double lon_delta_top = RadDeg(width / kEarthRadiusM / std::cos(DegRad(s.lat + lat_delta)));
  const double lon_delta_bottom =
      RadDeg(width / kEarthRadiusM / std::cos(DegRad(s.lat - lat_delta)));
  // The box is widest on the side nearer the equator.
  const double lon_delta = s.lat < 0 ? lon_delta_bottom : lon_delta_top;
  return {s.lon - lon_delta, s.lat - lat_delta, s.lon + lon_delta, s.lat + lat_delta};
}

}  // namespace

bool ValidLonLat(double lon, double lat) {
  return lon >= kLonMin && lon <= kLonMax && lat >= kLatMin && lat <= kLatMax;
}

bool Encode(Range lon_r, Range lat_r, double lon, double lat, int step, Hash* out) {
  if (step <= 0 || step > 32 || !ValidLonLat(lon, lat)) return false;
  if (lat < lat_r.min || lat > lat_r.max || lon < lon_r.min || lon > lon_r.max) return false;
  double lat_off = (lat - lat_r.min) / (lat_r.max - lat_r.min);
  double lon_off = (lon - lon_r.min) / (lon_r.max - lon_r.min);
  lat_off *= static_cast<double>(1ULL << step);
  lon_off *= static_cast<double>(1ULL << step);
  out->bits = Interleave(static_cast<uint32_t>(lat_off), static_cast<uint32_t>(lon_off));
  out->step = step;
  return true;
}

Area Decode(Range lon_r, Range lat_r, Hash h) {
  uint32_t ilat = Gather(h.bits), ilon = Gather(h.bits >> 1);
  double cells = static_cast<double>(1ULL << h.step);
  double lat_scale = lat_r.max - lat_r.min, lon_scale = lon_r.max - lon_r.min;
  Area a;
  a.lat.min = lat_r.min + (ilat / cells) * lat_scale;
  a.lat.max = lat_r.min + ((ilat + 1.0) / cells) * lat_scale;
  a.lon.min = lon_r.min + (ilon / cells) * lon_scale;
  a.lon.max = lon_r.min + ((ilon + 1.0) / cells) * lon_scale;
  return a;
}

uint64_t Align52(Hash h) { return h.bits << (52 - h.step * 2); }

void DecodeScore(double score, double* lon, double* lat) {
  Area a = Decode(kLonRange, kLatRange, {ScoreBits(score), kStepMax});
  *lon = std::fmin(std::fmax((a.lon.min + a.lon.max) / 2, kLonMin), kLonMax);
  *lat = std::fmin(std::fmax((a.lat.min + a.lat.max) / 2, kLatMin), kLatMax);
}

std::string GeohashString(double score) {
  static constexpr char kAlphabet[] = "0123456789bcdefghjkmnpqrstuvwxyz";
  double lon, lat;
  DecodeScore(score, &lon, &lat);
  // The standard geohash spans latitudes +-90: re-encode over that range.
  Hash h;
  Encode(kLonRange, {-90, 90}, lon, lat, kStepMax, &h);
  std::string out(11, '0');  // 52 bits make 10 characters; the 11th is 0
  for (int i = 0; i < 10; i++) out[i] = kAlphabet[(h.bits >> (52 - (i + 1) * 5)) & 0x1f];
  return out;
}

double Distance(double lon1, double lat1, double lon2, double lat2) {
  double v = std::sin((DegRad(lon2) - DegRad(lon1)) / 2);
  // Same meridian: the haversine reduces to the latitude difference.
  if (v == 0.0) return LatDistance(lat1, lat2);
  double lat1r = DegRad(lat1), lat2r = DegRad(lat2);
  double u = std::sin((lat2r - lat1r) / 2);
  double a = u * u + std::cos(lat1r) * std::cos(lat2r) * v * v;
  return 2.0 * kEarthRadiusM * std::asin(std::sqrt(a));
}

bool Within(const Shape& s, double lon, double lat, double* dist) {
  if (!s.box) {
    double d = Distance(s.lon, s.lat, lon, lat);
    if (d > s.radius * s.conversion) return false;
    *dist = d;
    return true;
  }
  // The latitude test is the cheaper one.
  if (LatDistance(lat, s.lat) > s.height * s.conversion / 2) return false;
  if (Distance(lon, lat, s.lon, lat) > s.width * s.conversion / 2) return false;
  *dist = Distance(s.lon, s.lat, lon, lat);
  return true;
}

SearchBoxes BoxesFor(const Shape& s) {
  Bounds b = BoundingBox(s);
  double radius_m = s.box ? std::sqrt((s.width / 2) * (s.width / 2) + (s.height / 2) * (s.height / 2))
                          : s.radius;
  radius_m *= s.conversion;
  int steps = StepsForRadius(radius_m, s.lat);

  Hash centre;
  SearchBoxes out;
  auto compute = [&] {
    Encode(kLonRange, kLatRange, s.lon, s.lat, steps, &centre);
    out.boxes[0] = centre;
    out.boxes[1] = Move(centre, 0, 1);    // north
    out.boxes[2] = Move(centre, 0, -1);   // south
    out.boxes[3] = Move(centre, 1, 0);    // east
    out.boxes[4] = Move(centre, -1, 0);   // west
    out.boxes[5] = Move(centre, 1, 1);    // north-east
    out.boxes[6] = Move(centre, -1, 1);   // north-west
    out.boxes[7] = Move(centre, 1, -1);   // south-east
    out.boxes[8] = Move(centre, -1, -1);  // south-west
  };
  compute();
  // Near the edge of its box the centre's neighbours may not reach the
  // whole shape: then search one step coarser.
  Area north = Decode(kLonRange, kLatRange, out.boxes[1]);
  Area south = Decode(kLonRange, kLatRange, out.boxes[2]);
  Area east = Decode(kLonRange, kLatRange, out.boxes[3]);
  Area west = Decode(kLonRange, kLatRange, out.boxes[4]);
  bool decrease = north.lat.max < b.max_lat || south.lat.min > b.min_lat ||
                  east.lon.max < b.max_lon || west.lon.min > b.min_lon;
  if (steps > 1 && decrease) {
    steps--;
    compute();
  }
  // Drop the neighbours on a side the shape does not reach.
  if (steps >= 2) {
    Area area = Decode(kLonRange, kLatRange, centre);
    auto drop = [&](int a, int b2, int c) { out.boxes[a] = out.boxes[b2] = out.boxes[c] = Hash{}; };
    if (area.lat.min < b.min_lat) drop(2, 8, 7);
    if (area.lat.max > b.max_lat) drop(1, 5, 6);
    if (area.lon.min < b.min_lon) drop(4, 8, 6);
    if (area.lon.max > b.max_lon) drop(3, 7, 5);
  }
  return out;
}

void ScoreRange(Hash h, uint64_t* min, uint64_t* max) {
  *min = Align52(h);
  h.bits++;
  *max = Align52(h);
}

}  // namespace magpie::geo
