// RDB objects <-> Magpie values (see rdb_value.h for the mapping).
//
// Invariants: ReadObject never returns a partly built value: every reader
// builds into a value it owns and deletes it on the first error, and only a
// complete value is moved into a new Entry. Nothing is sized from a length
// read off the input before that many bytes are known to follow (a hostile
// length cannot make it allocate), and each blob is decoded by
// rdb_blobs.cc, which bounds-checks every read. Duplicate members/fields
// and NaN scores are rejected as Redis's deep sanitization rejects them.
// Writers emit elements in Magpie's iteration order and call Spill() after
// each element or node, so a file writer can stream a huge collection.
#include "persistence/rdb_value.h"

#include <lzf.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "persistence/rdb_blobs.h"
#include "persistence/rdb_codec.h"
#include "server/config.h"
#include "types/hash.h"
#include "types/list.h"
#include "types/set.h"
#include "types/zset.h"

namespace magpie::rdb {

namespace {

std::atomic<const Config*> g_config{nullptr};

// Redis 7.4's largest field expire time (EB_EXPIRE_TIME_MAX).
constexpr uint64_t kMaxFieldExpire = (uint64_t{1} << 48) - 1;

struct Limits {
  size_t hash_entries = 512, hash_value = 64;
  SetLimits set;
  size_t zset_entries = 128, zset_value = 64;
  int64_t list_fill = -2;
};

Limits CurrentLimits() {
  Limits l;
  const Config* c = g_config.load(std::memory_order_acquire);
  if (c == nullptr) return l;
  auto clamp = [](int64_t v) { return static_cast<size_t>(std::max<int64_t>(v, 0)); };
  l.hash_entries = clamp(c->hash_max_listpack_entries.load());
  l.hash_value = clamp(c->hash_max_listpack_value.load());
  l.set = {clamp(c->set_max_intset_entries.load()), clamp(c->set_max_listpack_entries.load()),
           clamp(c->set_max_listpack_value.load())};
  l.zset_entries = clamp(c->zset_max_listpack_entries.load());
  l.zset_value = clamp(c->zset_max_listpack_value.load());
  l.list_fill = c->list_max_listpack_size.load();
  return l;
}

void AppendU64LE(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

bool ReadU64LE(std::string_view* in, uint64_t* v) {
  if (in->size() < 8) return false;
  *v = 0;
  for (int i = 0; i < 8; ++i) *v |= static_cast<uint64_t>(static_cast<uint8_t>((*in)[i])) << (8 * i);
  in->remove_prefix(8);
  return true;
}

// --- writing -----------------------------------------------------------------

void WriteString(Writer& w, std::string_view s) { AppendRedisString(&w.out, s, w.compress); }

void WriteList(Writer& w, const ListValue& l) {
  w.out.push_back(static_cast<char>(kTypeListQuicklist2));
  AppendLength(&w.out, l.nodes());
  LpWriter lp;
  for (size_t i = 0; i < l.nodes(); ++i) {
    const Listpack& n = l.node_listpack(i);
    for (size_t p = n.First(); p < n.End(); p = n.Next(p)) lp.Add(n.Get(p));
    AppendLength(&w.out, 2);  // QUICKLIST_NODE_CONTAINER_PACKED
    WriteString(w, lp.Finish());
    w.Spill();
  }
}

void WriteSet(Writer& w, const SetValue& s) {
  if (const IntSet* is = s.intset()) {
    std::vector<int64_t> v(is->size());
    for (size_t i = 0; i < v.size(); ++i) v[i] = is->At(i);
    w.out.push_back(static_cast<char>(kTypeSetIntset));
    WriteString(w, EncodeIntset(v, is->width()));
    return;
  }
  w.out.push_back(static_cast<char>(kTypeSet));
  AppendLength(&w.out, s.size());
  s.ForEach([&](std::string_view m) {
    WriteString(w, m);
    w.Spill();
  });
}

void WriteZSet(Writer& w, const ZSetValue& z) {
  if (z.is_listpack()) {
    LpWriter lp;
    z.ForEachListpackRaw([&](std::string_view m, std::string_view score) {
      lp.Add(m);
      lp.Add(score);
    });
    w.out.push_back(static_cast<char>(kTypeZSetListpack));
    WriteString(w, lp.Finish());
    return;
  }
  // Highest score first, as Redis writes its skiplist.
  w.out.push_back(static_cast<char>(kTypeZSet2));
  AppendLength(&w.out, z.size());
  if (z.size() == 0) return;
  z.ForRange(z.size() - 1, z.size(), true, [&](std::string_view m, double score) {
    WriteString(w, m);
    uint64_t bits;
    memcpy(&bits, &score, sizeof(bits));
    AppendU64LE(&w.out, bits);
    w.Spill();
  });
}

// A hash with field TTLs in Redis 7.4's layouts.
void WriteHashWithTtls(Writer& w, const HashValue& h) {
  struct Field {
    std::string_view f, v;
    int64_t expire;
  };
  std::vector<Field> fields;
  fields.reserve(h.size());
  int64_t min_expire = INT64_MAX;
  h.ForEach([&](std::string_view f, std::string_view v) {
    int64_t e = h.FieldExpire(f);
    fields.push_back({f, v, e});
    if (e >= 0) min_expire = std::min(min_expire, e);
  });
  if (min_expire == INT64_MAX) min_expire = 0;
  if (h.encoding() != HashValue::Enc::kHashtable) {
    // listpack-ex keeps fields ordered by TTL, those without one last.
    std::stable_sort(fields.begin(), fields.end(), [](const Field& a, const Field& b) {
      return static_cast<uint64_t>(a.expire) < static_cast<uint64_t>(b.expire);
    });
    LpWriter lp;
    for (const Field& f : fields) {
      lp.Add(f.f);
      lp.Add(f.v);
      lp.AddInt(f.expire < 0 ? 0 : f.expire);
    }
    w.out.push_back(static_cast<char>(kTypeHashListpackEx));
    AppendU64LE(&w.out, static_cast<uint64_t>(min_expire));
    WriteString(w, lp.Finish());
    return;
  }
  w.out.push_back(static_cast<char>(kTypeHashMetadata));
  AppendU64LE(&w.out, static_cast<uint64_t>(min_expire));
  AppendLength(&w.out, fields.size());
  for (const Field& f : fields) {
    AppendLength(&w.out, f.expire < 0 ? 0 : static_cast<uint64_t>(f.expire - min_expire) + 1);
    WriteString(w, f.f);
    WriteString(w, f.v);
    w.Spill();
  }
}

void WriteHash(Writer& w, const HashValue& h) {
  if (h.HasVolatileSubkeys()) return WriteHashWithTtls(w, h);
  if (h.encoding() == HashValue::Enc::kListpack) {
    LpWriter lp;
    h.ForEach([&](std::string_view f, std::string_view v) {
      lp.Add(f);
      lp.Add(v);
    });
    w.out.push_back(static_cast<char>(kTypeHashListpack));
    WriteString(w, lp.Finish());
    return;
  }
  w.out.push_back(static_cast<char>(kTypeHash));
  AppendLength(&w.out, h.size());
  h.ForEach([&](std::string_view f, std::string_view v) {
    WriteString(w, f);
    WriteString(w, v);
    w.Spill();
  });
}

// --- reading -----------------------------------------------------------------

Entry* Fail(std::string* err, std::string why) {
  *err = std::move(why);
  return nullptr;
}

// The input of one ReadObject call.
struct Reader {
  std::string_view* in;
  std::string* err;
  std::string_view key;
  Limits lim = CurrentLimits();

  bool Bad(const char* why) {
    *err = why;
    return false;
  }
  bool Length(uint64_t* n) {
    auto v = ReadLength(in);
    if (!v) return Bad("bad length");
    *n = *v;
    return true;
  }
  bool String(std::string* s) {
    auto v = ReadString(in);
    if (!v) return Bad("bad string");
    *s = std::move(*v);
    return true;
  }
};

template <typename T>
Entry* Finish(Reader& r, std::unique_ptr<T> v, ObjType type, Encoding enc, size_t size) {
  if (size == 0) return Fail(r.err, std::string(kEmptyKeyError));
  return Entry::NewCollection(r.key, type, enc, v.release());
}

// --- lists

Entry* ReadList(Reader& r, uint8_t type) {
  auto l = std::make_unique<ListValue>();
  auto push = [&](std::string_view v) {
    l->PushBack(v, r.lim.list_fill);
    return true;
  };
  uint64_t n;
  std::string s;
  if (type == kTypeListZiplist) {
    if (!r.String(&s) || !DecodeZiplist(s, push, r.err)) return nullptr;
  } else if (!r.Length(&n)) {
    return nullptr;
  } else {
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t container = 2;
      if (type == kTypeListQuicklist2 && !r.Length(&container)) return nullptr;
      if (container != 1 && container != 2) return Fail(r.err, "bad quicklist node container");
      if (!r.String(&s)) return nullptr;
      if (type == kTypeList) {
        push(s);
      } else if (s.empty()) {
        return Fail(r.err, "empty quicklist node");
      } else if (container == 1) {
        push(s);
      } else if (!(type == kTypeListQuicklist ? DecodeZiplist(s, push, r.err)
                                              : DecodeListpack(s, push, r.err))) {
        return nullptr;
      }
    }
  }
  size_t size = l->size();
  return Finish(r, std::move(l), ObjType::kList, Encoding::kQuicklist, size);
}

// --- sets

Entry* ReadSet(Reader& r, uint8_t type) {
  std::unique_ptr<SetValue> set;
  auto add = [&](std::string_view m) {
    if (!set) set.reset(SetValue::ForMember(m, r.lim.set));
    if (!set->Add(m, r.lim.set)) return r.Bad("duplicate set member");
    return true;
  };
  std::string s;
  if (type == kTypeSet) {
    uint64_t n;
    if (!r.Length(&n)) return nullptr;
    for (uint64_t i = 0; i < n; ++i) {
      if (!r.String(&s) || !add(s)) return nullptr;
    }
  } else if (!r.String(&s)) {
    return nullptr;
  } else if (type == kTypeSetIntset) {
    std::vector<int64_t> v;
    if (!DecodeIntset(s, &v, r.err)) return nullptr;
    for (int64_t x : v) add(std::to_string(x));
  } else if (!DecodeListpack(s, add, r.err)) {
    return nullptr;
  }
  if (!set) return Fail(r.err, std::string(kEmptyKeyError));
  size_t size = set->size();
  Encoding enc = set->encoding();
  return Finish(r, std::move(set), ObjType::kSet, enc, size);
}

// --- sorted sets

std::optional<double> ParseScore(std::string_view s) {
  std::string buf(s);
  char* end = nullptr;
  double d = strtod(buf.c_str(), &end);
  if (end == buf.c_str() || std::isnan(d)) return std::nullopt;
  return d;
}

Entry* ReadZSet(Reader& r, uint8_t type) {
  std::vector<std::pair<std::string, double>> items;
  size_t max_len = 0;
  bool blob = type == kTypeZSetZiplist || type == kTypeZSetListpack;
  if (blob) {
    std::string s;
    if (!r.String(&s)) return nullptr;
    bool member = true;
    auto take = [&](std::string_view v) {
      if (member) {
        items.emplace_back(std::string(v), 0.0);
      } else {
        auto d = ParseScore(v);
        if (!d) return r.Bad("bad zset score");
        items.back().second = *d;
      }
      member = !member;
      return true;
    };
    bool ok = type == kTypeZSetZiplist ? DecodeZiplist(s, take, r.err)
                                       : DecodeListpack(s, take, r.err);
    if (!ok) return nullptr;
    if (!member) return Fail(r.err, "zset blob with an odd element count");
  } else {
    uint64_t n;
    if (!r.Length(&n)) return nullptr;
    for (uint64_t i = 0; i < n; ++i) {
      std::string m;
      if (!r.String(&m)) return nullptr;
      double d;
      if (type == kTypeZSet2) {
        uint64_t bits;
        if (!ReadU64LE(r.in, &bits)) return Fail(r.err, "truncated score");
        memcpy(&d, &bits, sizeof(d));
      } else {
        if (r.in->empty()) return Fail(r.err, "truncated score");
        uint8_t len = static_cast<uint8_t>((*r.in)[0]);
        r.in->remove_prefix(1);
        if (len == 253) return Fail(r.err, "zset with NaN score");
        if (len >= 254) {
          d = len == 254 ? INFINITY : -INFINITY;
        } else {
          if (r.in->size() < len) return Fail(r.err, "truncated score");
          auto v = ParseScore(r.in->substr(0, len));
          r.in->remove_prefix(len);
          if (!v) return Fail(r.err, "bad zset score");
          d = *v;
        }
      }
      if (std::isnan(d)) return Fail(r.err, "zset with NaN score");
      max_len = std::max(max_len, m.size());
      items.emplace_back(std::move(m), d);
    }
  }
  // A blob only converts on its count (Redis skips the O(n) length scan);
  // the plain types convert on the longest member too.
  bool large = items.size() > r.lim.zset_entries || (!blob && max_len > r.lim.zset_value);
  auto z = std::make_unique<ZSetValue>();
  if (large) z->ConvertToLarge();
  for (const auto& [m, d] : items) {
    if (z->Score(m)) return Fail(r.err, "duplicate zset member");
    z->Insert(m, d);
  }
  size_t size = z->size();
  return Finish(r, std::move(z), ObjType::kZSet, large ? Encoding::kSkiplist : Encoding::kListpack,
                size);
}

// --- hashes

Encoding HashEncoding(const HashValue& h) {
  switch (h.encoding()) {
    case HashValue::Enc::kListpack: return Encoding::kListpack;
    case HashValue::Enc::kListpackEx: return Encoding::kListpackEx;
    case HashValue::Enc::kHashtable: return Encoding::kHashtable;
  }
  return Encoding::kListpack;
}

// Adds one field; `convert_long` applies hash-max-listpack-value (the plain
// types and zipmap convert on it, listpack blobs only on their count).
bool AddField(Reader& r, HashValue* h, std::string_view f, std::string_view v, uint64_t expire,
              bool convert_long) {
  if (expire > kMaxFieldExpire) return r.Bad("bad field expire time");
  if (convert_long && (f.size() > r.lim.hash_value || v.size() > r.lim.hash_value)) {
    h->ConvertToTable();
  }
  // A field already there is a duplicate: the value is discarded whole.
  if (!h->Set(f, v)) return r.Bad("duplicate hash field");
  if (expire != 0) h->SetFieldExpire(f, static_cast<int64_t>(expire));
  return true;
}

Entry* ReadHash(Reader& r, uint8_t type) {
  auto h = std::make_unique<HashValue>();
  uint64_t min_expire = 0;
  if (type == kTypeHash || type == kTypeHashMetadata || type == kTypeHashMetadataPreGa) {
    if (type == kTypeHashMetadata &&
        (!ReadU64LE(r.in, &min_expire) || min_expire > kMaxFieldExpire)) {
      return Fail(r.err, "bad hash min expire");
    }
    uint64_t n;
    if (!r.Length(&n)) return nullptr;
    if (n > r.lim.hash_entries) h->ConvertToTable();
    std::string f, v;
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t ttl = 0;
      if (type != kTypeHash && !r.Length(&ttl)) return nullptr;
      uint64_t expire = ttl;
      if (type == kTypeHashMetadata && ttl != 0) {
        if (ttl - 1 > kMaxFieldExpire - min_expire) return Fail(r.err, "bad field expire time");
        expire = ttl + min_expire - 1;
      }
      if (!r.String(&f) || !r.String(&v) || !AddField(r, h.get(), f, v, expire, true)) {
        return nullptr;
      }
    }
  } else {
    if (type == kTypeHashListpackEx && !ReadU64LE(r.in, &min_expire)) {
      return Fail(r.err, "bad hash min expire");
    }
    std::string s;
    if (!r.String(&s)) return nullptr;
    size_t stride = type == kTypeHashListpackEx || type == kTypeHashListpackExPreGa ? 3 : 2;
    struct Field {
      std::string f, v;
      uint64_t expire = 0;
    };
    std::vector<Field> fields;
    size_t at = 0, max_len = 0;
    auto take = [&](std::string_view e) {
      size_t slot = at++ % stride;
      if (slot == 0) {
        fields.push_back({std::string(e), {}, 0});
      } else if (slot == 1) {
        fields.back().v.assign(e);
        max_len = std::max({max_len, fields.back().f.size(), e.size()});
      } else {
        int64_t ttl = 0;
        if (!CanonicalInt(e, &ttl) || ttl < 0) return r.Bad("bad field ttl");
        fields.back().expire = static_cast<uint64_t>(ttl);
      }
      return true;
    };
    bool ok = type == kTypeHashZipmap    ? DecodeZipmap(s, take, r.err)
              : type == kTypeHashZiplist ? DecodeZiplist(s, take, r.err)
                                         : DecodeListpack(s, take, r.err);
    if (!ok) return nullptr;
    if (at % stride != 0) return Fail(r.err, "hash blob with a partial field");
    // A blob converts on its count (and a zipmap on its longest string too).
    if (fields.size() > r.lim.hash_entries ||
        (type == kTypeHashZipmap && max_len > r.lim.hash_value)) {
      h->ConvertToTable();
    }
    for (const Field& f : fields) {
      if (!AddField(r, h.get(), f.f, f.v, f.expire, false)) return nullptr;
    }
  }
  size_t size = h->size();
  Encoding enc = HashEncoding(*h);
  return Finish(r, std::move(h), ObjType::kHash, enc, size);
}

}  // namespace

void SetConfig(const Config* cfg) { g_config.store(cfg, std::memory_order_release); }

void AppendRedisString(std::string* out, std::string_view s, bool compress) {
  int64_t v;
  if (s.size() <= 11 && CanonicalInt(s, &v) && v >= INT32_MIN && v <= INT32_MAX) {
    size_t n = v >= INT8_MIN && v <= INT8_MAX ? 1 : v >= INT16_MIN && v <= INT16_MAX ? 2 : 4;
    out->push_back(static_cast<char>(0xC0 | (n == 1 ? 0 : n == 2 ? 1 : 2)));
    for (size_t i = 0; i < n; ++i) {
      out->push_back(static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xff));
    }
    return;
  }
  if (compress && s.size() > 20 && s.size() < UINT32_MAX) {
    // Worth it only when it saves at least 4 bytes (rdbSaveLzfStringObject).
    std::string buf(s.size() - 4, '\0');
    unsigned int clen = lzf_compress(s.data(), static_cast<unsigned int>(s.size()), buf.data(),
                                     static_cast<unsigned int>(buf.size()));
    if (clen > 0) {
      out->push_back(static_cast<char>(0xC3));
      AppendLength(out, clen);
      AppendLength(out, s.size());
      out->append(buf.data(), clen);
      return;
    }
  }
  AppendString(out, s);
}

bool IsObjectType(uint8_t type) { return type <= 7 || (type >= 9 && type <= 25); }

void WriteObject(Writer& w, const Entry& e) {
  switch (e.type()) {
    case ObjType::kString:
      w.out.push_back(static_cast<char>(kTypeString));
      WriteString(w, e.str());
      break;
    case ObjType::kList:
      WriteList(w, *static_cast<const ListValue*>(e.value()));
      break;
    case ObjType::kSet:
      WriteSet(w, *static_cast<const SetValue*>(e.value()));
      break;
    case ObjType::kZSet:
      WriteZSet(w, *static_cast<const ZSetValue*>(e.value()));
      break;
    case ObjType::kHash:
      WriteHash(w, *static_cast<const HashValue*>(e.value()));
      break;
    case ObjType::kStream:
      break;  // Magpie has no streams
  }
  w.Spill();
}

Entry* ReadObject(uint8_t type, std::string_view* in, std::string_view key, std::string* err) {
  Reader r{in, err, key};
  switch (type) {
    case kTypeString: {
      auto s = ReadString(in);
      if (!s) return Fail(err, "bad string");
      return Entry::NewString(key, *s, -1);
    }
    case kTypeList:
    case kTypeListZiplist:
    case kTypeListQuicklist:
    case kTypeListQuicklist2:
      return ReadList(r, type);
    case kTypeSet:
    case kTypeSetIntset:
    case kTypeSetListpack:
      return ReadSet(r, type);
    case kTypeZSet:
    case kTypeZSet2:
    case kTypeZSetZiplist:
    case kTypeZSetListpack:
      return ReadZSet(r, type);
    case kTypeHash:
    case kTypeHashZipmap:
    case kTypeHashZiplist:
    case kTypeHashListpack:
    case kTypeHashMetadataPreGa:
    case kTypeHashListpackExPreGa:
    case kTypeHashMetadata:
    case kTypeHashListpackEx:
      return ReadHash(r, type);
    case kTypeStreamListpacks:
    case kTypeStreamListpacks2:
    case kTypeStreamListpacks3:
      return Fail(err, "unknown object type " + std::to_string(type) +
                           " (streams are not supported)");
    case kTypeModulePreGa:
    case kTypeModule2:
      return Fail(err, "unknown object type " + std::to_string(type) +
                           " (module values are not supported)");
    default:
      return Fail(err, "unknown object type " + std::to_string(type));
  }
}

}  // namespace magpie::rdb
