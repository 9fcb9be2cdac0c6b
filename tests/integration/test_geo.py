"""Geo commands: redis-py usage as the seeds would write it, exact replies and
errors, and a differential test against a real redis-server 7.0.

The differential test loads the same points into both servers and runs random
searches (circles and boxes, near the poles and the antimeridian, huge and
zero radii, COUNT/ANY/ASC/DESC/STORE/STOREDIST, bad arguments, wrong types),
comparing replies byte for byte. Redis leaves one thing undefined: the order
of points at exactly the same distance when COUNT cuts a sorted result (it
uses a partial quicksort there), so a sorted reply is compared with its runs
of equal distances as sets.

Reproduce a sequence with e.g.
    MAGPIE_GEO_DIFF_SEEDS=7 MAGPIE_GEO_DIFF_STEPS=3000 python3 -m pytest -k geo_differential
"""

import os
import random

import pytest

from conftest import SANITIZED, RawConn, parse_reply, run_differential

SEEDS = [int(s) for s in os.environ.get("MAGPIE_GEO_DIFF_SEEDS", "1,2,3,4").split(",")]
STEPS = int(os.environ.get("MAGPIE_GEO_DIFF_STEPS", "150" if SANITIZED else "600"))


def test_sicily_example(rd):
    """The example of Redis's GEOADD documentation, through redis-py."""
    assert rd.geoadd("Sicily", [13.361389, 38.115556, "Palermo", 15.087269, 37.502669,
                                "Catania"]) == 2
    assert rd.geodist("Sicily", "Palermo", "Catania") == 166274.1516
    assert rd.geodist("Sicily", "Palermo", "Catania", unit="km") == 166.2742
    assert rd.geodist("Sicily", "Palermo", "nope") is None
    assert rd.geohash("Sicily", "Palermo", "Catania", "nope") == ["sqc8b49rny0", "sqdtr74hyu0",
                                                                    None]
    pos = rd.geopos("Sicily", "Palermo", "nope")
    assert pos[0] == (13.361389338970184, 38.1155563954963) and pos[1] is None
    assert rd.georadius("Sicily", 15, 37, 200, unit="km", withdist=True, sort="ASC") == [
        ["Catania", 56.4413], ["Palermo", 190.4424]]
    assert rd.geosearch("Sicily", longitude=15, latitude=37, radius=100, unit="km") == [
        "Catania"]
    assert rd.geosearch("Sicily", member="Palermo", width=400, height=400, unit="km",
                        sort="DESC") == ["Catania", "Palermo"]
    assert rd.geosearchstore("near", "Sicily", longitude=15, latitude=37, radius=200,
                             unit="km", storedist=True) == 2
    assert rd.zrange("near", 0, -1, withscores=True) == [("Catania", 56.441257870158204),
                                                         ("Palermo", 190.44242984775784)]
    assert rd.type("Sicily") == "zset"
    assert rd.object("encoding", "Sicily") == "listpack"
    assert rd.zscore("Sicily", "Palermo") == 3479099956230698


def test_replies_and_errors(rc):
    assert rc.cmd("GEOADD", "g", "13.361389", "38.115556", "Palermo") == b":1\r\n"
    assert rc.cmd("GEOADD", "g", "200", "100", "x") == (
        b"-ERR invalid longitude,latitude pair 200.000000,100.000000\r\n")
    assert rc.cmd("GEOADD", "g", "abc", "1", "x") == b"-ERR value is not a valid float\r\n"
    assert rc.cmd("GEOADD", "g", "nx", "xx", "1", "2", "x") == b"-ERR syntax error\r\n"
    assert rc.cmd("GEOADD", "g", "1", "2") == (
        b"-ERR wrong number of arguments for 'geoadd' command\r\n")
    assert rc.cmd("GEOADD", "g", "xx", "ch", "1", "2", "Palermo") == b":1\r\n"
    assert rc.cmd("GEODIST", "g", "a", "b", "parsec") == (
        b"-ERR unsupported unit provided. please use M, KM, FT, MI\r\n")
    assert rc.cmd("GEODIST", "g", "a", "b", "m", "x") == b"-ERR syntax error\r\n"
    assert rc.cmd("GEORADIUS", "g", "0", "0", "-1", "m") == b"-ERR radius cannot be negative\r\n"
    assert rc.cmd("GEORADIUS", "g", "0", "0", "x", "m") == b"-ERR need numeric radius\r\n"
    assert rc.cmd("GEORADIUS", "g", "0", "0", "1", "m", "ANY") == (
        b"-ERR the ANY argument requires COUNT argument\r\n")
    assert rc.cmd("GEORADIUS", "g", "0", "0", "1", "m", "COUNT", "0") == (
        b"-ERR COUNT must be > 0\r\n")
    assert rc.cmd("GEORADIUS", "g", "0", "0", "1", "m", "STORE", "d", "WITHDIST") == (
        b"-ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and "
        b"WITHCOORD options\r\n")
    assert rc.cmd("GEORADIUS_RO", "g", "0", "0", "1", "m", "STORE", "d") == (
        b"-ERR syntax error\r\n")
    assert rc.cmd("GEORADIUSBYMEMBER", "g", "nope", "1", "m") == (
        b"-ERR could not decode requested zset member\r\n")
    assert rc.cmd("GEOSEARCH", "g", "BYRADIUS", "1", "m", "FROMLONLAT", "0", "0",
                  "FROMMEMBER", "Palermo") == b"-ERR syntax error\r\n"
    assert rc.cmd("geosearch", "g", "BYRADIUS", "1", "m", "ASC", "DESC") == (
        b"-ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for geosearch\r\n")
    assert rc.cmd("GEOSEARCH", "g", "FROMLONLAT", "0", "0", "ASC", "ASC") == (
        b"-ERR exactly one of BYRADIUS and BYBOX can be specified for GEOSEARCH\r\n")
    assert rc.cmd("GEOSEARCH", "g", "FROMLONLAT", "0", "0", "BYBOX", "1", "-1", "m") == (
        b"-ERR height or width cannot be negative\r\n")
    assert rc.cmd("GEOSEARCHSTORE", "d", "g", "FROMLONLAT", "0", "0", "BYBOX", "1", "1", "m",
                  "WITHHASH") == (
        b"-ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD "
        b"options\r\n")
    # a missing source: empty results, a STORE deletes its destination
    assert rc.cmd("GEORADIUSBYMEMBER", "nokey", "m", "notanumber", "m") == b"*0\r\n"
    assert rc.cmd("SET", "d", "x") == b"+OK\r\n"
    assert rc.cmd("GEOSEARCHSTORE", "d", "nokey", "FROMMEMBER", "m", "BYRADIUS", "1",
                  "km") == b":0\r\n"
    assert rc.cmd("EXISTS", "d") == b":0\r\n"
    # the type is checked before any option
    rc.cmd("SET", "s", "x")
    wrongtype = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
    for args in (("GEOADD", "s", "1", "2", "m"), ("GEOPOS", "s", "m"), ("GEOHASH", "s"),
                 ("GEODIST", "s", "a", "b"), ("GEORADIUS", "s", "0", "0", "x", "m"),
                 ("GEOSEARCH", "s", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "m")):
        assert rc.cmd(*args) == wrongtype, args


def test_resp3_coordinates_are_doubles(server):
    with RawConn(server.port) as c:
        c.cmd("FLUSHALL")
        c.cmd("HELLO", "3")
        c.cmd("GEOADD", "g", "13.361389", "38.115556", "Palermo")
        assert c.cmd("GEOPOS", "g", "Palermo", "x") == (
            b"*2\r\n*2\r\n,13.36138933897018433\r\n,38.11555639549629859\r\n_\r\n")
        assert c.cmd("GEOSEARCH", "g", "FROMLONLAT", "13", "38", "BYRADIUS", "100", "km",
                     "WITHDIST", "WITHHASH") == (
            b"*1\r\n*3\r\n$7\r\nPalermo\r\n$7\r\n34.1601\r\n:3479099956230698\r\n")


def test_store_reaches_the_skiplist_encoding_and_wakes_bzpopmin(r):
    pts = []
    for i in range(300):
        pts += [10 + i * 0.001, 20 + i * 0.001, b"p%d" % i]
    assert r.geoadd("g", pts) == 300
    assert r.object("encoding", "g") == b"skiplist"
    n = r.geosearchstore("dst", "g", longitude=10.15, latitude=20.15, radius=30, unit="km")
    assert n == 300
    assert r.object("encoding", "dst") == b"skiplist"
    assert r.geosearchstore("dst", "g", longitude=10, latitude=20, radius=1, unit="km") == 7
    assert r.object("encoding", "dst") == b"listpack"
    assert r.zrange("dst", 0, 0) == [b"p0"]


def test_command_metadata_matches_redis(server, redis_ref):
    a, b = RawConn(server.port), RawConn(redis_ref.port)
    try:
        for name in (b"geoadd", b"geodist", b"geohash", b"geopos", b"georadius",
                     b"georadius_ro", b"georadiusbymember", b"georadiusbymember_ro",
                     b"geosearch", b"geosearchstore"):
            ia = parse_reply(a.cmd(b"COMMAND", b"INFO", name))[0][0]
            ib = parse_reply(b.cmd(b"COMMAND", b"INFO", name))[0][0]
            assert ia[:7] == ib[:7], name
            da = parse_reply(a.cmd(b"COMMAND", b"DOCS", name))[0]
            db = parse_reply(b.cmd(b"COMMAND", b"DOCS", name))[0]
            da, db = dict(zip(da[1][::2], da[1][1::2])), dict(zip(db[1][::2], db[1][1::2]))
            for field in (b"summary", b"since", b"group", b"complexity"):
                assert da[field] == db[field], (name, field)
    finally:
        a.close()
        b.close()


# ---------------------------------------------------------------------------
# differential test

KEYS = [b"g0", b"g1", b"{t}g", b"str", b"nokey"]
UNITS = [b"m", b"km", b"ft", b"mi", b"KM", b"parsec"]
# centres the points cluster around: plain, near a pole, on the antimeridian, on the equator
CENTRES = [(13.4, 38.1), (2.35, 48.85), (179.9, -16.5), (-179.95, 10.0), (0.0, 0.0),
           (100.0, 84.9), (-70.0, -84.5), (-0.001, 51.5)]


class Gen:
    def __init__(self, seed):
        self.rnd = random.Random(seed)
        self.members = [b"m%d" % i for i in range(60)] + [b"", b"bin\x00m", b"x" * 70]

    def num(self, v):
        return (b"%.6f" % v).rstrip(b"0").rstrip(b".") or b"0"

    def point(self):
        cx, cy = self.rnd.choice(CENTRES)
        spread = self.rnd.choice([0.01, 0.5, 5.0, 40.0])
        # wrap and reflect rather than clamp: clamped points would share a
        # position, and ties in distance are ordered arbitrarily under COUNT
        lon = cx + self.rnd.uniform(-spread, spread)
        lon = lon - 360 if lon > 180 else lon + 360 if lon < -180 else lon
        lat = cy + self.rnd.uniform(-spread, spread)
        lat = 170.1 - lat if lat > 85.05 else -170.1 - lat if lat < -85.05 else lat
        return self.num(lon), self.num(lat)

    def bad_point(self):
        return self.rnd.choice([(b"181", b"0"), (b"0", b"85.06"), (b"x", b"0"), (b"0", b"nan"),
                                (b"-180.0001", b"1"), (b"inf", b"0")])

    def distance(self):
        return self.rnd.choice([b"0", b"1", b"100", b"5000", b"50000", b"300000", b"2000000",
                                b"15000000", b"30000000", b"inf", b"0.5", b"-1", b"abc",
                                b"1e3"])

    def key(self):
        return self.rnd.choice(KEYS)

    def member(self):
        return self.rnd.choice(self.members)

    def options(self, store_ok):
        opts = []
        for _ in range(self.rnd.randrange(4)):
            o = self.rnd.random()
            if o < 0.15:
                opts.append(b"WITHDIST")
            elif o < 0.25:
                opts.append(b"WITHCOORD")
            elif o < 0.32:
                opts.append(b"WITHHASH")
            elif o < 0.45:
                opts.append(self.rnd.choice([b"ASC", b"DESC", b"asc"]))
            elif o < 0.65:
                opts += [b"COUNT", self.rnd.choice([b"1", b"2", b"3", b"10", b"1000", b"0",
                                                    b"-1", b"x"])]
            elif o < 0.72:
                opts.append(b"ANY")
            elif o < 0.85 and store_ok:
                opts += [self.rnd.choice([b"STORE", b"STOREDIST"]), self.key()]
            else:
                opts.append(self.rnd.choice([b"BOGUS", b"COUNT"]))
        return opts

    def shape_args(self):
        if self.rnd.random() < 0.5:
            return [b"BYRADIUS", self.distance(), self.rnd.choice(UNITS)]
        return [b"BYBOX", self.distance(), self.distance(), self.rnd.choice(UNITS)]

    @staticmethod
    def deterministic(args):
        """A search that stores under COUNT is made ANY: which of several points at
        the same distance a cut keeps is arbitrary, and must not reach the data."""
        upper = [a.upper() for a in args]
        if (b"STORE" in upper or b"STOREDIST" in upper or upper[0] == b"GEOSEARCHSTORE") and (
                sorted_with_count(args)):
            return args + [b"ANY"]
        return args

    def command(self):
        r = self.rnd.random()
        if r < 0.25:
            args = [b"GEOADD", self.key()]
            if self.rnd.random() < 0.2:
                args.append(self.rnd.choice([b"NX", b"XX", b"CH"]))
            for _ in range(self.rnd.randrange(1, 12)):
                lon, lat = self.bad_point() if self.rnd.random() < 0.03 else self.point()
                args += [lon, lat, self.member()]
            return args
        if r < 0.30:
            return [b"GEOPOS", self.key()] + [self.member() for _ in range(self.rnd.randrange(4))]
        if r < 0.35:
            return [b"GEOHASH", self.key()] + [self.member() for _ in range(self.rnd.randrange(4))]
        if r < 0.40:
            args = [b"GEODIST", self.key(), self.member(), self.member()]
            if self.rnd.random() < 0.5:
                args.append(self.rnd.choice(UNITS))
            return args
        if r < 0.55:
            lon, lat = self.point() if self.rnd.random() < 0.95 else self.bad_point()
            name = self.rnd.choice([b"GEORADIUS", b"GEORADIUS_RO"])
            return self.deterministic([name, self.key(), lon, lat, self.distance(),
                                       self.rnd.choice(UNITS)] + self.options(name == b"GEORADIUS"))
        if r < 0.65:
            name = self.rnd.choice([b"GEORADIUSBYMEMBER", b"GEORADIUSBYMEMBER_RO"])
            return self.deterministic([name, self.key(), self.member(), self.distance(),
                                       self.rnd.choice(UNITS)]
                                      + self.options(name == b"GEORADIUSBYMEMBER"))
        if r < 0.92:
            store = self.rnd.random() < 0.25
            args = [b"GEOSEARCHSTORE", self.key(), self.key()] if store else [b"GEOSEARCH",
                                                                                self.key()]
            parts = [self.shape_args()]
            if self.rnd.random() < 0.5:
                lon, lat = self.point()
                parts.append([b"FROMLONLAT", lon, lat])
            else:
                parts.append([b"FROMMEMBER", self.member()])
            if self.rnd.random() < 0.05:
                parts.pop(self.rnd.randrange(2))
            self.rnd.shuffle(parts)
            opts = self.options(False)
            if store and self.rnd.random() < 0.3:
                opts.append(b"STOREDIST")
            return self.deterministic(args + [a for p in parts for a in p] + opts)
        if r < 0.95:
            return [b"ZRANGE", self.key(), b"0", b"-1", b"WITHSCORES"]
        if r < 0.97:
            return [b"ZREM", self.key(), self.member()]
        return [b"SET", b"str", b"v"]


def sorted_with_count(args):
    upper = [a.upper() for a in args]
    return upper[0].startswith(b"GEO") and b"COUNT" in upper and b"ANY" not in upper


def by_distance(args, conn):
    """The reply with WITHDIST added, its runs of equal distance made sets; the
    last run only by its distance and length, as COUNT may cut it anywhere."""
    if b"WITHDIST" not in [a.upper() for a in args]:
        args = args + [b"WITHDIST"]
    v = parse_reply(conn.cmd(*args))[0]
    if not isinstance(v, list):
        return v
    runs = []
    for item in v:
        if runs and runs[-1][0] == item[1]:
            runs[-1][1].append(repr(item))
        else:
            runs.append((item[1], [repr(item)]))
    out = [(d, sorted(items)) for d, items in runs[:-1]]
    if runs:
        out.append((runs[-1][0], len(runs[-1][1])))
    return out


def compare(args, a, b):
    ra, rb = a.cmd(*args), b.cmd(*args)
    if ra == rb or not sorted_with_count(args):
        return ra, rb
    # Redis orders points at equal distances arbitrarily under COUNT
    va, vb = parse_reply(ra)[0], parse_reply(rb)[0]
    if not (isinstance(va, list) and isinstance(vb, list) and len(va) == len(vb)):
        return ra, rb
    return by_distance(args, a), by_distance(args, b)


def run_sequence(port_a, port_b, seed, steps, resp3=False):
    def same_sets(a, b):
        for key in KEYS:
            za = a.cmd(b"ZRANGE", key, b"0", b"-1", b"WITHSCORES")
            assert za == b.cmd(b"ZRANGE", key, b"0", b"-1", b"WITHSCORES"), (seed, key)

    run_differential(port_a, port_b, seed, steps, Gen(seed).command, compare, resp3=resp3,
                     check=same_sets)


@pytest.mark.parametrize("seed", SEEDS)
def test_geo_differential_resp2(server, redis_ref, seed):
    run_sequence(server.port, redis_ref.port, seed, STEPS)


@pytest.mark.parametrize("seed", [101])
def test_geo_differential_resp3(server, redis_ref, seed):
    run_sequence(server.port, redis_ref.port, seed, STEPS, resp3=True)


def test_big_index_searches_match_redis(server, redis_ref, scale):
    """10k points (skiplist encoding) around a few centres: many searches agree."""
    rnd = random.Random(9)
    n = scale(10000)
    gen = Gen(9)
    conns = [RawConn(server.port), RawConn(redis_ref.port)]
    try:
        for c in conns:
            c.cmd(b"DEL", b"big")
        batch = []
        for i in range(n):
            lon, lat = gen.point()
            batch += [lon, lat, b"p%d" % i]
            if len(batch) >= 300 or i == n - 1:
                for c in conns:
                    c.cmd(b"GEOADD", b"big", *batch)
                batch = []
        for _ in range(scale(300)):
            lon, lat = gen.point()
            shape = gen.shape_args()
            if rnd.random() < 0.5:
                shape = [b"BYRADIUS", rnd.choice([b"10", b"300", b"2000"]), b"km"]
            args = [b"GEOSEARCH", b"big", b"FROMLONLAT", lon, lat] + shape + [b"WITHHASH"]
            ra, rb = (c.cmd(*args) for c in conns)
            assert ra == rb, args
    finally:
        for c in conns:
            c.close()
