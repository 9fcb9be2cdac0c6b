#include "persistence/rdb_value.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "persistence/rdb_blobs.h"
#include "persistence/rdb_codec.h"
#include "types/hash.h"
#include "types/list.h"
#include "types/set.h"
#include "types/zset.h"

namespace magpie::rdb {
namespace {

std::string Unhex(std::string_view h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

struct Freer {
  void operator()(Entry* e) const { Entry::Free(e); }
};
using EntryPtr = std::unique_ptr<Entry, Freer>;

std::string Serialize(const Entry& e) {
  Writer w;
  WriteObject(w, e);
  return w.out;
}

// Reads a whole object (type byte included); checks nothing is left over.
EntryPtr Parse(std::string_view bytes, std::string* err = nullptr) {
  std::string why;
  if (bytes.empty()) return nullptr;
  std::string_view in = bytes.substr(1);
  Entry* e = ReadObject(static_cast<uint8_t>(bytes[0]), &in, "k", err ? err : &why);
  if (e != nullptr) {
    EXPECT_TRUE(in.empty());
  }
  return EntryPtr(e);
}

// Every element of a value, in a canonical order, for comparisons.
std::vector<std::string> Contents(const Entry& e) {
  std::vector<std::string> out;
  switch (e.type()) {
    case ObjType::kString:
      out.emplace_back(e.str());
      break;
    case ObjType::kList: {
      auto* l = static_cast<const ListValue*>(e.value());
      l->ForRange(0, l->size(), [&](std::string_view v) { out.emplace_back(v); });
      break;
    }
    case ObjType::kSet:
      static_cast<const SetValue*>(e.value())->ForEach([&](std::string_view m) {
        out.emplace_back(m);
      });
      std::sort(out.begin(), out.end());
      break;
    case ObjType::kZSet: {
      auto* z = static_cast<const ZSetValue*>(e.value());
      z->ForRange(0, z->size(), false, [&](std::string_view m, double s) {
        out.push_back(std::string(m) + "=" + std::to_string(s));
      });
      break;
    }
    case ObjType::kHash: {
      auto* h = static_cast<const HashValue*>(e.value());
      h->ForEach([&](std::string_view f, std::string_view v) {
        out.push_back(std::string(f) + "=" + std::string(v) + "@" +
                      std::to_string(h->FieldExpire(f)));
      });
      std::sort(out.begin(), out.end());
      break;
    }
    default:
      break;
  }
  return out;
}

// `same_bytes`: writing the value read back gives the same bytes (not for a
// list built with another fill: the reader re-chunks under the config's).
void ExpectRoundTrip(const Entry& e, uint8_t want_type, bool same_bytes = true) {
  std::string bytes = Serialize(e);
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(static_cast<uint8_t>(bytes[0]), want_type);
  std::string err;
  EntryPtr back = Parse(bytes, &err);
  ASSERT_NE(back, nullptr) << err;
  EXPECT_EQ(back->type(), e.type());
  EXPECT_EQ(back->encoding(), e.encoding());
  EXPECT_EQ(Contents(*back), Contents(e));
  if (same_bytes && e.encoding() != Encoding::kHashtable) {
    EXPECT_EQ(Serialize(*back), bytes);
  }
}

Entry* MakeList(const std::vector<std::string>& items, int64_t fill = -2) {
  auto* l = new ListValue();
  for (const auto& s : items) l->PushBack(s, fill);
  return Entry::NewCollection("k", ObjType::kList, Encoding::kQuicklist, l);
}

Entry* MakeSet(const std::vector<std::string>& items) {
  SetLimits lim;
  SetValue* s = SetValue::ForMember(items[0], lim);
  for (const auto& m : items) s->Add(m, lim);
  return Entry::NewCollection("k", ObjType::kSet, s->encoding(), s);
}

Entry* MakeZSet(const std::vector<std::pair<std::string, double>>& items, bool large) {
  auto* z = new ZSetValue();
  if (large) z->ConvertToLarge();
  for (const auto& [m, s] : items) z->Insert(m, s);
  return Entry::NewCollection("k", ObjType::kZSet, large ? Encoding::kSkiplist : Encoding::kListpack,
                              z);
}

Entry* MakeHash(const std::vector<std::pair<std::string, std::string>>& items, bool table,
                int64_t ttl_every = 0) {
  auto* h = new HashValue();
  if (table) h->ConvertToTable();
  int64_t i = 0;
  for (const auto& [f, v] : items) {
    h->Set(f, v);
    if (ttl_every && ++i % ttl_every == 0) h->SetFieldExpire(f, 4102444800000 + i);
  }
  Encoding enc = h->encoding() == HashValue::Enc::kHashtable    ? Encoding::kHashtable
                 : h->encoding() == HashValue::Enc::kListpackEx ? Encoding::kListpackEx
                                                                : Encoding::kListpack;
  return Entry::NewCollection("k", ObjType::kHash, enc, h);
}

std::vector<std::string> Mixed(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::string> out;
  const int64_t edges[] = {0,      1,      -1,     127,        128,         -4096,
                           4095,   4096,   -32768, 32767,      8388607,     -8388608,
                           INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN};
  for (size_t i = 0; i < n; ++i) {
    switch (rng() % 4) {
      case 0: out.push_back(std::to_string(edges[rng() % std::size(edges)])); break;
      case 1: out.push_back(std::to_string(static_cast<int64_t>(rng()) - (1LL << 31))); break;
      case 2: out.push_back(std::string(rng() % 5000, static_cast<char>('a' + rng() % 26))); break;
      default: {
        std::string s(rng() % 70, '\0');
        for (char& c : s) c = static_cast<char>(rng());
        out.push_back(s);
      }
    }
  }
  return out;
}

TEST(RdbValueTest, StringsRoundTripWithRedisEncodings) {
  for (std::string s : {std::string(""), std::string("hello"), std::string("12345"),
                        std::string("-2147483648"), std::string("4294967296"), std::string("007"),
                        std::string(1000, 'x'), Mixed(1, 3)[0]}) {
    EntryPtr e(Entry::NewString("k", s, -1));
    ExpectRoundTrip(*e, kTypeString);
  }
  // Integer encodings as Redis writes them, and LZF for a compressible string.
  EXPECT_EQ(Serialize(*EntryPtr(Entry::NewString("k", "12", -1))), std::string("\0\xc0\x0c", 3));
  EXPECT_EQ(Serialize(*EntryPtr(Entry::NewString("k", "-129", -1))),
            std::string("\0\xc1\x7f\xff", 4));
  EXPECT_EQ(static_cast<uint8_t>(Serialize(*EntryPtr(Entry::NewString("k", std::string(100, 'a'), -1)))[1]),
            0xC3);
}

TEST(RdbValueTest, ListsRoundTripAsQuicklist2) {
  ExpectRoundTrip(*EntryPtr(MakeList({"a", "1", "-70000"})), kTypeListQuicklist2);
  ExpectRoundTrip(*EntryPtr(MakeList(Mixed(3000, 1))), kTypeListQuicklist2);
  ExpectRoundTrip(*EntryPtr(MakeList(Mixed(500, 2), 5)), kTypeListQuicklist2, false);
}

TEST(RdbValueTest, SetsRoundTripAsIntsetOrPlainSet) {
  ExpectRoundTrip(*EntryPtr(MakeSet({"1", "-5", "70000", "5000000000"})), kTypeSetIntset);
  std::vector<std::string> ints;
  for (int i = 0; i < 1000; ++i) ints.push_back(std::to_string(i * 7919 - 300000));
  ExpectRoundTrip(*EntryPtr(MakeSet(ints)), kTypeSet);
  // Magpie's small string set is a listpack; Redis 7.0 knows no set
  // listpack, so it goes out as a plain set.
  ExpectRoundTrip(*EntryPtr(MakeSet({"a", "b", "1"})), kTypeSet);
  std::vector<std::string> big = Mixed(400, 4);
  std::sort(big.begin(), big.end());
  big.erase(std::unique(big.begin(), big.end()), big.end());
  ExpectRoundTrip(*EntryPtr(MakeSet(big)), kTypeSet);
}

TEST(RdbValueTest, SortedSetsRoundTrip) {
  std::vector<std::pair<std::string, double>> small = {
      {"a", 1}, {"b", 2.5}, {"c", -3}, {"d", 1e-300}, {"e", INFINITY}, {"f", -INFINITY},
      {"g", 4611686018427387904.0}, {"h", -0.0}};
  ExpectRoundTrip(*EntryPtr(MakeZSet(small, false)), kTypeZSetListpack);
  // A small set in the large encoding goes out as zset2 and comes back a
  // listpack, as Redis converts it after loading (-0 becomes 0 on the way).
  EntryPtr large_small(MakeZSet(small, true));
  std::string bytes = Serialize(*large_small);
  EXPECT_EQ(static_cast<uint8_t>(bytes[0]), kTypeZSet2);
  EntryPtr back = Parse(bytes);
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(back->encoding(), Encoding::kListpack);
  EXPECT_EQ(Contents(*back), Contents(*EntryPtr(MakeZSet(small, false))));
  std::vector<std::pair<std::string, double>> big;
  for (int i = 0; i < 500; ++i) big.emplace_back("m" + std::to_string(i), i * 0.37 - 50);
  ExpectRoundTrip(*EntryPtr(MakeZSet(big, true)), kTypeZSet2);
}

TEST(RdbValueTest, HashesRoundTripIncludingFieldTtls) {
  std::vector<std::pair<std::string, std::string>> small = {{"f1", "v1"}, {"f2", "123"}, {"", ""}};
  ExpectRoundTrip(*EntryPtr(MakeHash(small, false)), kTypeHashListpack);
  ExpectRoundTrip(*EntryPtr(MakeHash(small, false, 2)), kTypeHashListpackEx);
  std::vector<std::pair<std::string, std::string>> big;
  for (int i = 0; i < 700; ++i) big.emplace_back("f" + std::to_string(i), std::to_string(i * 3));
  ExpectRoundTrip(*EntryPtr(MakeHash(big, true)), kTypeHash);
  ExpectRoundTrip(*EntryPtr(MakeHash(big, true, 3)), kTypeHashMetadata);
}

// Real redis-server 7.0.15 DUMP payloads (without trailer).
TEST(RdbValueTest, ReadsRedisPayloads) {
  EntryPtr l = Parse(Unhex(
      "120102c33640961f960000000e0000010101020103010401050106010701080109018361626304e0016478e05a"
      "000766f26079fe04f4ff8000027f09ff"));
  ASSERT_NE(l, nullptr);
  std::vector<std::string> want;
  for (int i = 0; i < 10; ++i) want.push_back(std::to_string(i));
  want.push_back("abc");
  want.push_back(std::string(100, 'x'));
  want.push_back("-100000");
  want.push_back("9223372036854775807");
  EXPECT_EQ(Contents(*l), want);
  EntryPtr is = Parse(Unhex(
      "0bc32c38040800000006200301fbff80000001200b4000000240042000000320034000017011a01902f2052a200"
      "90000"));
  ASSERT_NE(is, nullptr);
  EXPECT_EQ(is->encoding(), Encoding::kIntset);
  EXPECT_EQ(Contents(*is).size(), 6u);
  EntryPtr z = Parse(Unhex(
      "112d2d0000000a00816302dffd028164028631652d33303007816102010181620283322e350481650283696e6604"
      "ff"));
  ASSERT_NE(z, nullptr);
  EXPECT_EQ(Contents(*z).front(), "c=-3.000000");
  EntryPtr h = Parse(Unhex("10c321404d0b4d000000060082663103827620030a6632037b0182663303b278e028000133ff"));
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(Contents(*h)[1], "f2=123@-1");
}

// A ziplist of short strings and small integers, as Redis 6 wrote them.
std::string Ziplist(const std::vector<std::string>& items) {
  std::string body;
  size_t prev = 0, last = 10;
  for (const auto& s : items) {
    last = 10 + body.size();
    std::string entry(1, static_cast<char>(prev));
    int64_t v;
    if (CanonicalInt(s, &v) && v >= 0 && v <= 12) {
      entry.push_back(static_cast<char>(0xF1 + v));
    } else if (CanonicalInt(s, &v) && v >= -32768 && v <= 32767) {
      entry.push_back(static_cast<char>(0xC0));
      entry.push_back(static_cast<char>(v & 0xff));
      entry.push_back(static_cast<char>((v >> 8) & 0xff));
    } else {
      entry.push_back(static_cast<char>(s.size()));
      entry += s;
    }
    prev = entry.size();
    body += entry;
  }
  std::string out;
  auto le = [&](uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  le(10 + body.size() + 1, 4);
  le(last, 4);
  le(items.size(), 2);
  out += body;
  out.push_back(static_cast<char>(0xFF));
  return out;
}

std::string Blob(uint8_t type, std::string_view blob) {
  std::string out(1, static_cast<char>(type));
  AppendString(&out, blob);
  return out;
}

TEST(RdbValueTest, ReadsOldEncodings) {
  EntryPtr l = Parse(Blob(kTypeListZiplist, Ziplist({"a", "7", "-300", "bc"})));
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(Contents(*l), (std::vector<std::string>{"a", "7", "-300", "bc"}));
  std::string ql(1, static_cast<char>(kTypeListQuicklist));
  AppendLength(&ql, 2);
  AppendString(&ql, Ziplist({"x", "1"}));
  AppendString(&ql, Ziplist({"y"}));
  ASSERT_NE(Parse(ql), nullptr);
  EXPECT_EQ(Contents(*Parse(ql)), (std::vector<std::string>{"x", "1", "y"}));
  EntryPtr z = Parse(Blob(kTypeZSetZiplist, Ziplist({"a", "1", "b", "2"})));
  ASSERT_NE(z, nullptr);
  EXPECT_EQ(z->encoding(), Encoding::kListpack);
  EntryPtr h = Parse(Blob(kTypeHashZiplist, Ziplist({"f", "v", "g", "12"})));
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(Contents(*h), (std::vector<std::string>{"f=v@-1", "g=12@-1"}));
  // zipmap: count 2, "f"->"v" (1 free byte), "gg"->"123".
  std::string zm = std::string("\x02\x01" "f" "\x01\x01" "v" "\x00", 7) +
                   std::string("\x02" "gg" "\x03\x00" "123" "\xff", 9);
  EntryPtr hz = Parse(Blob(kTypeHashZipmap, zm));
  ASSERT_NE(hz, nullptr);
  EXPECT_EQ(Contents(*hz), (std::vector<std::string>{"f=v@-1", "gg=123@-1"}));
  // Plain types written by old Redis: list 1, zset 3 with text scores.
  std::string pl(1, static_cast<char>(kTypeList));
  AppendLength(&pl, 2);
  AppendString(&pl, "a");
  AppendString(&pl, "b");
  EXPECT_EQ(Contents(*Parse(pl)), (std::vector<std::string>{"a", "b"}));
  std::string z3(1, static_cast<char>(kTypeZSet));
  AppendLength(&z3, 2);
  AppendString(&z3, "a");
  z3 += std::string("\x03" "1.5", 4);
  AppendString(&z3, "b");
  z3 += "\xfe";  // +inf
  EXPECT_EQ(Contents(*Parse(z3)), (std::vector<std::string>{"a=1.500000", "b=inf"}));
  // Redis 7.2's set listpack.
  LpWriter lp;
  lp.Add("x");
  lp.Add("5");
  EntryPtr s = Parse(Blob(kTypeSetListpack, lp.Finish()));
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(Contents(*s), (std::vector<std::string>{"5", "x"}));
}

TEST(RdbValueTest, RejectsDuplicatesNanAndUnsupportedTypes) {
  std::string err;
  LpWriter lp;
  for (const char* e : {"f", "1", "f", "2"}) lp.Add(e);
  std::string dup_pairs = lp.Finish();
  EXPECT_EQ(Parse(Blob(kTypeHashListpack, dup_pairs), &err), nullptr);
  EXPECT_EQ(Parse(Blob(kTypeZSetListpack, dup_pairs), &err), nullptr);
  for (const char* e : {"a", "b", "a"}) lp.Add(e);
  EXPECT_EQ(Parse(Blob(kTypeSetListpack, lp.Finish()), &err), nullptr);
  std::string set(1, static_cast<char>(kTypeSet));
  AppendLength(&set, 2);
  AppendString(&set, "x");
  AppendString(&set, "x");
  EXPECT_EQ(Parse(set, &err), nullptr);
  EXPECT_EQ(err, "duplicate set member");
  lp.Add("m");
  lp.Add("nan");
  EXPECT_EQ(Parse(Blob(kTypeZSetListpack, lp.Finish()), &err), nullptr);
  std::string z3(1, static_cast<char>(kTypeZSet));
  AppendLength(&z3, 1);
  AppendString(&z3, "a");
  z3 += "\xfd";
  EXPECT_EQ(Parse(z3, &err), nullptr);
  std::string_view none;
  EXPECT_EQ(ReadObject(kTypeStreamListpacks, &none, "k", &err), nullptr);
  EXPECT_EQ(err, "unknown object type 15 (streams are not supported)");
  EXPECT_EQ(ReadObject(8, &none, "k", &err), nullptr);
  EXPECT_FALSE(IsObjectType(8));
  EXPECT_TRUE(IsObjectType(25));
  EXPECT_FALSE(IsObjectType(0xFE));
  // An empty collection is its own error (file loaders skip such keys).
  EXPECT_EQ(Parse(Blob(kTypeHashListpack, LpWriter().Finish()), &err), nullptr);
  EXPECT_EQ(err, kEmptyKeyError);
  // An unsorted or empty intset.
  EXPECT_EQ(Parse(Blob(kTypeSetIntset, EncodeIntset({3, 2}, 2)), &err), nullptr);
  EXPECT_EQ(Parse(Blob(kTypeSetIntset, EncodeIntset({}, 2)), &err), nullptr);
}

TEST(RdbValueTest, BlobCorruptionsAreRejected) {
  LpWriter w;
  w.Add("hello");
  w.Add("12345");
  std::string lp = w.Finish();
  std::string err;
  auto lp_ok = [&](std::string blob) {
    return Parse(Blob(kTypeSetListpack, blob), &err) != nullptr;
  };
  EXPECT_TRUE(lp_ok(lp));
  std::string bad = lp;
  bad[4] = 3;  // element count
  EXPECT_FALSE(lp_ok(bad));
  bad = lp;
  bad[0] = static_cast<char>(bad[0] + 1);  // total bytes
  EXPECT_FALSE(lp_ok(bad));
  bad = lp;
  bad.back() = 0;  // terminator
  EXPECT_FALSE(lp_ok(bad));
  bad = lp;
  bad[12] = 9;  // back-length of "hello"
  EXPECT_FALSE(lp_ok(bad));
  std::string zl = Ziplist({"a", "b"});
  EXPECT_NE(Parse(Blob(kTypeListZiplist, zl)), nullptr);
  bad = zl;
  bad[4] = 99;  // tail offset
  EXPECT_EQ(Parse(Blob(kTypeListZiplist, bad)), nullptr);
  bad = zl;
  bad[13] = 7;  // prevlen of the second entry
  EXPECT_EQ(Parse(Blob(kTypeListZiplist, bad)), nullptr);
}

// Every truncation and every single-byte change of valid objects: never a
// crash or an over-read (ASan), and a truncation never succeeds.
TEST(RdbValueTest, HostileBytesNeverCrash) {
  std::vector<std::string> samples;
  samples.push_back(Serialize(*EntryPtr(MakeList({"a", "1", "-70000", std::string(300, 'q')}))));
  samples.push_back(Serialize(*EntryPtr(MakeSet({"1", "-5", "70000"}))));
  samples.push_back(Serialize(*EntryPtr(MakeSet({"a", "b", "1"}))));
  samples.push_back(Serialize(*EntryPtr(MakeZSet({{"a", 1}, {"b", 2.5}}, false))));
  samples.push_back(Serialize(*EntryPtr(MakeZSet({{"a", 1}, {"b", 2.5}}, true))));
  samples.push_back(Serialize(*EntryPtr(MakeHash({{"f", "v"}, {"g", "12"}}, false))));
  samples.push_back(Serialize(*EntryPtr(MakeHash({{"f", "v"}, {"g", "12"}}, false, 1))));
  samples.push_back(Serialize(*EntryPtr(MakeHash({{"f", "v"}, {"g", "12"}}, true, 1))));
  samples.push_back(Blob(kTypeListZiplist, Ziplist({"a", "7", "-300"})));
  samples.push_back(Blob(kTypeHashZiplist, Ziplist({"a", "7"})));
  for (const std::string& s : samples) {
    for (size_t n = 1; n < s.size(); ++n) {
      std::string cut = s.substr(0, n);
      EXPECT_EQ(Parse(cut), nullptr) << n;
    }
    for (size_t i = 0; i < s.size(); ++i) {
      for (int delta : {1, 0x80, 0xFF}) {
        std::string m = s;
        m[i] = static_cast<char>(m[i] + delta);
        std::string why;
        std::string_view in = std::string_view(m).substr(1);
        Entry* e = ReadObject(static_cast<uint8_t>(m[0]), &in, "k", &why);
        if (e != nullptr) Entry::Free(e);
      }
    }
  }
}

}  // namespace
}  // namespace magpie::rdb
