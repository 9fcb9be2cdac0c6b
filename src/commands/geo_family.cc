// Geo commands: GEOADD, GEODIST, GEOHASH, GEOPOS and the searches
// (GEOSEARCH, GEOSEARCHSTORE, GEORADIUS, GEORADIUSBYMEMBER and the _RO
// forms), over sorted sets whose scores are 52-bit geohashes (types/geo.h).
//
// A search follows Redis step by step so that results agree with it: the
// same option grammar and error order, the same covering boxes visited in
// the same order (centre, then neighbours), members of each box in score
// order, the same distance test, and a stable sort by distance (glibc's
// qsort, which Redis calls, is a merge sort). COUNT without ANY sorts and
// keeps the nearest; ANY stops at the first COUNT matches.
//
// The source key, and every key a STORE could name, are locked together
// before the source is read: Redis checks the source's type before it
// parses the options, and GEORADIUSBYMEMBER reads the member while parsing.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "commands/command.h"
#include "commands/helpers.h"
#include "commands/zset_ops.h"
#include "types/geo.h"
#include "types/zset.h"

namespace magpie {

namespace {

// ---------------------------------------------------------------------------
// Argument parsing (each replies with Redis's error on failure)

// "lon lat" at args[at], args[at + 1].
bool ParseLonLat(CommandContext& c, size_t at, double* lon, double* lat) {
  auto x = ParseDouble(c.arg(at));
  if (!x) return c.reply.Error(err::kNotFloat), false;
  auto y = ParseDouble(c.arg(at + 1));
  if (!y) return c.reply.Error(err::kNotFloat), false;
  if (!geo::ValidLonLat(*x, *y)) {
    char buf[160];
    snprintf(buf, sizeof(buf), "ERR invalid longitude,latitude pair %f,%f", *x, *y);
    return c.reply.Error(buf), false;
  }
  *lon = *x;
  *lat = *y;
  return true;
}

// Meters per unit, or a negative number after replying the error.
double ParseUnit(CommandContext& c, std::string_view u) {
  if (EqualsIgnoreCase(u, "m")) return 1;
  if (EqualsIgnoreCase(u, "km")) return 1000;
  if (EqualsIgnoreCase(u, "ft")) return 0.3048;
  if (EqualsIgnoreCase(u, "mi")) return 1609.34;
  c.reply.Error("ERR unsupported unit provided. please use M, KM, FT, MI");
  return -1;
}

// "radius unit" at args[at].
bool ParseRadius(CommandContext& c, size_t at, geo::Shape* s) {
  auto r = ParseDouble(c.arg(at));
  if (!r) return c.reply.Error("ERR need numeric radius"), false;
  if (*r < 0) return c.reply.Error("ERR radius cannot be negative"), false;
  double conv = ParseUnit(c, c.arg(at + 1));
  if (conv < 0) return false;
  s->box = false;
  s->radius = *r;
  s->conversion = conv;
  return true;
}

// "width height unit" at args[at].
bool ParseBox(CommandContext& c, size_t at, geo::Shape* s) {
  auto w = ParseDouble(c.arg(at));
  if (!w) return c.reply.Error("ERR need numeric width"), false;
  auto h = ParseDouble(c.arg(at + 1));
  if (!h) return c.reply.Error("ERR need numeric height"), false;
  if (*h < 0 || *w < 0) return c.reply.Error("ERR height or width cannot be negative"), false;
  double conv = ParseUnit(c, c.arg(at + 2));
  if (conv < 0) return false;
  s->box = true;
  s->width = *w;
  s->height = *h;
  s->conversion = conv;
  return true;
}

// The position of a member, or false when it is absent.
bool MemberPosition(const ZSetValue* z, std::string_view member, double* lon, double* lat) {
  auto score = z->Score(member);
  if (!score) return false;
  geo::DecodeScore(*score, lon, lat);
  return true;
}

// ---------------------------------------------------------------------------
// Replies

// A distance as Redis prints it: four decimals, as a bulk string.
void ReplyDistance(ReplyBuilder& r, double d) {
  char buf[128];
  int n = snprintf(buf, sizeof(buf), "%.4f", d);
  r.Bulk(std::string_view(buf, static_cast<size_t>(n)));
}

// A coordinate as Redis prints it (%.17Lf, trailing zeros dropped): a bulk
// string in RESP2, a double in RESP3.
void ReplyCoordinate(ReplyBuilder& r, double v) {
  std::string s = FormatLongDouble(v);
  if (!r.resp3()) return r.Bulk(s);
  r.Raw(",");
  r.Raw(s);
  r.Raw("\r\n");
}

// ---------------------------------------------------------------------------
// GEOADD / GEODIST / GEOHASH / GEOPOS

// GEOADD key [NX|XX] [CH] longitude latitude member [...]
void GeoAdd(CommandContext& c) {
  ZAddFlags f;
  size_t first = 2;
  for (; first < c.argc(); ++first) {
    std::string_view a = c.arg(first);
    if (EqualsIgnoreCase(a, "nx")) {
      f.nx = true;
    } else if (EqualsIgnoreCase(a, "xx")) {
      f.xx = true;
    } else if (EqualsIgnoreCase(a, "ch")) {
      f.ch = true;
    } else {
      break;
    }
  }
  size_t n = c.argc() - first;
  if (n % 3 != 0 || (f.xx && f.nx) || n == 0) return c.reply.Error(err::kSyntax);
  std::vector<std::pair<double, std::string_view>> items;
  items.reserve(n / 3);
  for (size_t i = first; i < c.argc(); i += 3) {
    double lon, lat;
    if (!ParseLonLat(c, i, &lon, &lat)) return;
    geo::Hash h;
    geo::Encode(geo::kLonRange, geo::kLatRange, lon, lat, geo::kStepMax, &h);
    items.emplace_back(static_cast<double>(geo::Align52(h)), c.arg(i + 2));
  }
  ZAddApply(c, c.arg(1), items, f);
}

// Looks up the sorted set at args[1] for reading; false after WRONGTYPE.
bool ReadGeo(CommandContext& c, KeyLock& k, const ZSetValue** z) {
  bool wrong;
  Entry* e = LookupTyped(c, k.shard, k.ref, ObjType::kZSet, false, &wrong);
  *z = e != nullptr ? ValueOf<ZSetValue>(e) : nullptr;
  return !wrong;
}

// GEODIST key member1 member2 [M|KM|FT|MI]
void GeoDist(CommandContext& c) {
  double to_meters = 1;
  if (c.argc() == 5) {
    to_meters = ParseUnit(c, c.arg(4));
    if (to_meters < 0) return;
  } else if (c.argc() > 5) {
    return c.reply.Error(err::kSyntax);
  }
  KeyLock k(c.db(), c.arg(1));
  const ZSetValue* z;
  if (!ReadGeo(c, k, &z)) return;
  double lon1, lat1, lon2, lat2;
  if (z == nullptr || !MemberPosition(z, c.arg(2), &lon1, &lat1) ||
      !MemberPosition(z, c.arg(3), &lon2, &lat2)) {
    return c.reply.Null();
  }
  ReplyDistance(c.reply, geo::Distance(lon1, lat1, lon2, lat2) / to_meters);
}

// GEOHASH key [member ...]
void GeoHash(CommandContext& c) {
  KeyLock k(c.db(), c.arg(1));
  const ZSetValue* z;
  if (!ReadGeo(c, k, &z)) return;
  c.reply.ArrayHeader(c.argc() - 2);
  for (size_t i = 2; i < c.argc(); ++i) {
    auto score = z != nullptr ? z->Score(c.arg(i)) : std::nullopt;
    score ? c.reply.Bulk(geo::GeohashString(*score)) : c.reply.Null();
  }
}

// GEOPOS key [member ...]
void GeoPos(CommandContext& c) {
  KeyLock k(c.db(), c.arg(1));
  const ZSetValue* z;
  if (!ReadGeo(c, k, &z)) return;
  c.reply.ArrayHeader(c.argc() - 2);
  for (size_t i = 2; i < c.argc(); ++i) {
    double lon, lat;
    if (z == nullptr || !MemberPosition(z, c.arg(i), &lon, &lat)) {
      c.reply.NullArray();
      continue;
    }
    c.reply.ArrayHeader(2);
    ReplyCoordinate(c.reply, lon);
    ReplyCoordinate(c.reply, lat);
  }
}

// ---------------------------------------------------------------------------
// Searches

enum SearchFlag : unsigned {
  kByCoords = 1,    // GEORADIUS[_RO]: lon lat radius unit
  kByMember = 2,    // GEORADIUSBYMEMBER[_RO]: member radius unit
  kSearch = 4,      // GEOSEARCH[STORE]: FROMMEMBER/FROMLONLAT, BYRADIUS/BYBOX
  kSearchStore = 8, // GEOSEARCHSTORE: the destination is args[1]
  kNoStore = 16,    // the _RO forms
};

struct Search {
  geo::Shape shape;
  size_t src = 1;          // index of the source key
  size_t store = 0;        // index of the destination key, 0 for none
  bool store_dist = false;
  bool with_dist = false, with_hash = false, with_coord = false;
  bool any = false;
  int sort = 0;            // 0 unsorted, 1 ascending, -1 descending
  int64_t count = 0;       // 0: unlimited
};

struct GeoPoint {
  std::string_view member;
  double dist;  // meters
  double score;
  double lon, lat;
};

// Parses a search against the source set `z` (nullptr when missing), in
// Redis's order; false after replying an error.
bool ParseSearch(CommandContext& c, unsigned flags, const ZSetValue* z, Search* s) {
  size_t base = 2;
  if (flags & kByCoords) {
    base = 6;
    if (!ParseLonLat(c, 2, &s->shape.lon, &s->shape.lat)) return false;
    if (!ParseRadius(c, 4, &s->shape)) return false;
  } else if (flags & kByMember) {
    base = 5;
    if (z != nullptr) {
      if (!MemberPosition(z, c.arg(2), &s->shape.lon, &s->shape.lat)) {
        return c.reply.Error("ERR could not decode requested zset member"), false;
      }
      if (!ParseRadius(c, 3, &s->shape)) return false;
    }
  } else if (flags & kSearchStore) {
    base = 3;
    s->src = 2;
    s->store = 1;
  }
  const bool may_store = !(flags & kNoStore) && !(flags & kSearch);
  bool from_member = false, from_lonlat = false, by_radius = false, by_box = false;
  for (size_t i = base; i < c.argc(); ++i) {
    std::string_view a = c.arg(i);
    size_t left = c.argc() - i - 1;  // arguments after this one
    auto is = [&](const char* name) { return EqualsIgnoreCase(a, name); };
    if (is("withdist")) {
      s->with_dist = true;
    } else if (is("withhash")) {
      s->with_hash = true;
    } else if (is("withcoord")) {
      s->with_coord = true;
    } else if (is("any")) {
      s->any = true;
    } else if (is("asc")) {
      s->sort = 1;
    } else if (is("desc")) {
      s->sort = -1;
    } else if (is("count") && left >= 1) {
      auto n = IntArg(c, c.arg(++i));
      if (!n) return false;
      if (*n <= 0) return c.reply.Error("ERR COUNT must be > 0"), false;
      s->count = *n;
    } else if ((is("store") || is("storedist")) && left >= 1 && may_store) {
      s->store = ++i;
      s->store_dist = is("storedist");
    } else if (is("storedist") && (flags & kSearchStore)) {
      s->store_dist = true;
    } else if (is("frommember") && left >= 1 && (flags & kSearch) && !from_lonlat) {
      ++i;
      if (z != nullptr && !MemberPosition(z, c.arg(i), &s->shape.lon, &s->shape.lat)) {
        return c.reply.Error("ERR could not decode requested zset member"), false;
      }
      from_member = true;
    } else if (is("fromlonlat") && left >= 2 && (flags & kSearch) && !from_member) {
      if (!ParseLonLat(c, i + 1, &s->shape.lon, &s->shape.lat)) return false;
      from_lonlat = true;
      i += 2;
    } else if (is("byradius") && left >= 2 && (flags & kSearch) && !by_box) {
      if (!ParseRadius(c, i + 1, &s->shape)) return false;
      by_radius = true;
      i += 2;
    } else if (is("bybox") && left >= 3 && (flags & kSearch) && !by_radius) {
      if (!ParseBox(c, i + 1, &s->shape)) return false;
      by_box = true;
      i += 3;
    } else {
      return c.reply.Error(err::kSyntax), false;
    }
  }
  if (s->store != 0 && (s->with_dist || s->with_hash || s->with_coord)) {
    c.reply.Error(std::string("ERR ") +
                  (flags & kSearchStore ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS") +
                  " is not compatible with WITHDIST, WITHHASH and WITHCOORD options");
    return false;
  }
  std::string name = CStr(c.arg(0));
  if ((flags & kSearch) && !from_member && !from_lonlat) {
    c.reply.Error("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for " + name);
    return false;
  }
  if ((flags & kSearch) && !by_radius && !by_box) {
    c.reply.Error("ERR exactly one of BYRADIUS and BYBOX can be specified for " + name);
    return false;
  }
  if (s->any && s->count == 0) {
    return c.reply.Error("ERR the ANY argument requires COUNT argument"), false;
  }
  return true;
}

// Appends the members of one box that lie in the shape, in score order,
// stopping once `limit` points (0: no limit) are collected.
void CollectBox(const ZSetValue* z, geo::Hash box, const geo::Shape& shape, size_t limit,
                std::vector<GeoPoint>* out) {
  uint64_t min, max;
  geo::ScoreRange(box, &min, &max);
  size_t rank = z->CountBelowScore(static_cast<double>(min), false);
  size_t end = z->CountBelowScore(static_cast<double>(max), false);
  constexpr size_t kChunk = 64;  // lets ANY stop early without a walk per member
  while (rank < end && !(limit != 0 && out->size() >= limit)) {
    size_t n = std::min(kChunk, end - rank);
    z->ForRange(rank, n, false, [&](std::string_view m, double score) {
      if (limit != 0 && out->size() >= limit) return;
      GeoPoint p{m, 0, score, 0, 0};
      geo::DecodeScore(score, &p.lon, &p.lat);
      if (geo::Within(shape, p.lon, p.lat, &p.dist)) out->push_back(p);
    });
    rank += n;
  }
}

std::vector<GeoPoint> Collect(const ZSetValue* z, const geo::Shape& shape, size_t limit) {
  geo::SearchBoxes b = geo::BoxesFor(shape);
  std::vector<GeoPoint> out;
  int last = -1;  // the last box searched: a neighbour equal to it is skipped
  for (int i = 0; i < 9; ++i) {
    if (b.boxes[i].zero()) continue;
    // Redis compares with the previous box only after a neighbour (not the
    // centre) was searched; at step 1 the centre never repeats anyway.
    if (last > 0 && b.boxes[i] == b.boxes[last]) continue;
    if (limit != 0 && out.size() >= limit) break;
    CollectBox(z, b.boxes[i], shape, limit, &out);
    last = i;
  }
  return out;
}

void ReplyPoints(CommandContext& c, const Search& s, const std::vector<GeoPoint>& pts, size_t n) {
  size_t extra = s.with_dist + s.with_hash + s.with_coord;
  c.reply.ArrayHeader(n);
  for (size_t i = 0; i < n; ++i) {
    const GeoPoint& p = pts[i];
    if (extra != 0) c.reply.ArrayHeader(extra + 1);
    c.reply.Bulk(p.member);
    if (s.with_dist) ReplyDistance(c.reply, p.dist / s.shape.conversion);
    if (s.with_hash) c.reply.Int(static_cast<int64_t>(p.score));
    if (s.with_coord) {
      c.reply.ArrayHeader(2);
      ReplyCoordinate(c.reply, p.lon);
      ReplyCoordinate(c.reply, p.lat);
    }
  }
}

void GeoSearchGeneric(CommandContext& c, unsigned flags) {
  // Lock the source with every key a STORE may name.
  KeysLock locks;
  Db& db = c.db();
  size_t src = (flags & kSearchStore) ? 2 : 1;
  locks.Add(db, c.arg(src));
  if (flags & kSearchStore) locks.Add(db, c.arg(1));
  if (!(flags & (kSearch | kNoStore))) {
    for (size_t i = 2; i + 1 < c.argc(); ++i) {
      if (EqualsIgnoreCase(c.arg(i), "store") || EqualsIgnoreCase(c.arg(i), "storedist")) {
        locks.Add(db, c.arg(i + 1));
      }
    }
  }
  locks.Lock();
  bool wrong;
  Entry* e = LookupTyped(c, locks.shard(0), locks.ref(0), ObjType::kZSet, false, &wrong);
  if (wrong) return;
  const ZSetValue* z = e != nullptr ? ValueOf<ZSetValue>(e) : nullptr;
  Search s;
  if (!ParseSearch(c, flags, z, &s)) return;

  std::vector<GeoPoint> pts;
  if (z != nullptr) {
    if (s.count != 0 && s.sort == 0 && !s.any) s.sort = 1;  // COUNT keeps the nearest
    pts = Collect(z, s.shape, s.any ? static_cast<size_t>(s.count) : 0);
    if (s.sort > 0) {
      std::stable_sort(pts.begin(), pts.end(),
                       [](const GeoPoint& a, const GeoPoint& b) { return a.dist < b.dist; });
    } else if (s.sort < 0) {
      std::stable_sort(pts.begin(), pts.end(),
                       [](const GeoPoint& a, const GeoPoint& b) { return a.dist > b.dist; });
    }
  }
  size_t n = pts.size();
  if (s.count != 0 && n > static_cast<size_t>(s.count)) n = static_cast<size_t>(s.count);
  if (s.store == 0) return ReplyPoints(c, s, pts, n);

  std::vector<std::pair<std::string, double>> items;
  items.reserve(n);
  ZLimits lim = ZSetLimits(c);
  bool fits = n <= lim.entries;
  for (size_t i = 0; i < n; ++i) {
    const GeoPoint& p = pts[i];
    items.emplace_back(p.member, s.store_dist ? p.dist / s.shape.conversion : p.score);
    fits = fits && p.member.size() <= lim.value;
  }
  KeyRef ref = KeyRef::Of(c.arg(s.store));
  bool search = c.spec.name.rfind("geosearch", 0) == 0;
  StoreZSet(c, db.shard_for(ref), ref, c.arg(s.store), BuildZSet(items, lim, !fits),
            search ? "geosearchstore" : "georadiusstore");
  c.reply.Int(static_cast<int64_t>(n));
}

void GeoRadius(CommandContext& c) { GeoSearchGeneric(c, kByCoords); }
void GeoRadiusRo(CommandContext& c) { GeoSearchGeneric(c, kByCoords | kNoStore); }
void GeoRadiusByMember(CommandContext& c) { GeoSearchGeneric(c, kByMember); }
void GeoRadiusByMemberRo(CommandContext& c) { GeoSearchGeneric(c, kByMember | kNoStore); }
void GeoSearch(CommandContext& c) { GeoSearchGeneric(c, kSearch); }
void GeoSearchStore(CommandContext& c) { GeoSearchGeneric(c, kSearch | kSearchStore); }

CommandSpec Cmd(const char* name, int arity, uint32_t flags, int first, int last, const char* since,
                const char* summary, const char* complexity, CommandHandler h) {
  return MakeCommand(name, arity, flags, {first, last, 1}, "@geo", "geo", since, summary, h,
                     complexity);
}

}  // namespace

void RegisterGeoFamily(CommandRegistry& r) {
  constexpr uint32_t kW = kCmdWrite | kCmdDenyOom;
  constexpr uint32_t kR = kCmdReadOnly;
  constexpr uint32_t kM = kCmdMovableKeys;
  const char* kRadiusCx = "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.";
  const char* kSearchCx = "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape";
  r.Add(Cmd("geoadd", -5, kW, 1, 1, "3.2.0", "Add one or more geospatial items in the geospatial index represented using a sorted set", "O(log(N)) for each item added, where N is the number of elements in the sorted set.", GeoAdd));
  r.Add(Cmd("geodist", -4, kR, 1, 1, "3.2.0", "Returns the distance between two members of a geospatial index", "O(log(N))", GeoDist));
  r.Add(Cmd("geohash", -2, kR, 1, 1, "3.2.0", "Returns members of a geospatial index as standard geohash strings", "O(log(N)) for each member requested, where N is the number of elements in the sorted set.", GeoHash));
  r.Add(Cmd("geopos", -2, kR, 1, 1, "3.2.0", "Returns longitude and latitude of members of a geospatial index", "O(N) where N is the number of members requested.", GeoPos));
  r.Add(Cmd("georadius", -6, kW | kM, 1, 1, "3.2.0", "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point", kRadiusCx, GeoRadius));
  r.Add(Cmd("georadius_ro", -6, kR, 1, 1, "3.2.10", "A read-only variant for GEORADIUS", kRadiusCx, GeoRadiusRo));
  r.Add(Cmd("georadiusbymember", -5, kW | kM, 1, 1, "3.2.0", "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member", kRadiusCx, GeoRadiusByMember));
  r.Add(Cmd("georadiusbymember_ro", -5, kR, 1, 1, "3.2.10", "A read-only variant for GEORADIUSBYMEMBER", kRadiusCx, GeoRadiusByMemberRo));
  r.Add(Cmd("geosearch", -7, kR, 1, 1, "6.2.0", "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle.", kSearchCx, GeoSearch));
  r.Add(Cmd("geosearchstore", -8, kW, 1, 2, "6.2.0", "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key.", kSearchCx, GeoSearchStore));
}

}  // namespace magpie
