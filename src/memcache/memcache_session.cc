#include "memcache/memcache_session.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "commands/helpers.h"
#include "common/stats.h"
#include "common/util.h"
#include "persistence/aof.h"
#include "server/memory.h"
#include "server/server.h"

namespace magpie {

namespace {

constexpr int64_t kRelativeMax = 60 * 60 * 24 * 30;  // memcached's REALTIME_MAXDELTA
constexpr const char* kVersion = "1.6.18";

using Tokens = std::vector<std::string_view>;

void Split(std::string_view line, Tokens* out) {
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ') ++j;
    if (j > i) out->push_back(line.substr(i, j - i));
    i = j;
  }
}

// memcached's safe_strtoull, which is strtoull(3) plus two checks: leading
// whitespace and a sign are accepted, parsing stops at the first non-digit,
// which must be whitespace or the end ("12 abc" is 12); overflow, no digits
// or a negated value that does not fit in int64 are rejected.
bool ParseU64(std::string_view s, uint64_t* v) {
  auto space = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  size_t i = 0;
  while (i < s.size() && space(s[i])) ++i;
  bool neg = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  size_t digits = i;
  uint64_t value = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    uint64_t d = static_cast<uint64_t>(s[i] - '0');
    if (value > (UINT64_MAX - d) / 10) return false;  // ERANGE
    value = value * 10 + d;
  }
  if (i == digits) return false;
  if (i < s.size() && !space(s[i]) && s[i] != '\0') return false;
  if (neg) value = 0 - value;
  if (neg && static_cast<int64_t>(value) < 0) return false;
  *v = value;
  return true;
}

bool ParseI64(std::string_view s, int64_t* v) {
  if (s.empty()) return false;
  bool neg = s[0] == '-';
  uint64_t u;
  if (!ParseU64(neg ? s.substr(1) : s, &u)) return false;
  if (u > (neg ? 1ULL << 63 : static_cast<uint64_t>(INT64_MAX))) return false;
  *v = neg ? static_cast<int64_t>(0 - u) : static_cast<int64_t>(u);
  return true;
}

bool ParseI32(std::string_view s, int64_t* v) {
  return ParseI64(s, v) && *v >= INT32_MIN && *v <= INT32_MAX;
}

ThreadStats& St() { return LocalStats(); }
// Counts a memcached event; reads also count as Redis keyspace hits/misses
// so INFO's hit rate covers both protocols.
void Count(McCounter c) {
  ThreadStats& s = St();
  s.mc[c].Add();
  if (c == kMcGetHits || c == kMcTouchHits) s.keyspace_hits.Add();
  if (c == kMcGetMisses || c == kMcTouchMisses) s.keyspace_misses.Add();
}

Db& Db0(Server& s) { return s.keyspace().db(0); }

// A live string entry for the key in a locked shard, or nullptr.
Entry* FindItem(KeyLock& k, int64_t now_ms, bool* expired = nullptr) {
  Entry* e = k.shard.Find(k.ref, now_ms, expired);
  if (e != nullptr && e->type() != ObjType::kString) return nullptr;
  return e;
}

// Keyspace notification for a memcached write (database 0), named after the
// Redis command that does the same: "set" (and "expire" for an exptime),
// "append", "incrby", "del", "expire".
void McNotify(int cls, std::string_view event, std::string_view key) {
  NotifyKeyspaceEvent(cls, event, key, 0);
}

// Makes sure the entry carries a memcached block (and so a CAS unique).
Entry* EnsureMcMeta(KeyLock& k, Entry* e) {
  if (e->has_mc_meta()) return e;
  Entry* n = e->WithMcMeta(0);
  k.shard.Replace(e, n, k.ref);
  return n;
}

// Stores value with flags and expiry (`expire_ms` as MemcacheExpireMs);
// returns the new item (which may already be expired).
Entry* StoreItem(KeyLock& k, Entry* old, std::string_view key, std::string_view value,
               uint32_t flags, int64_t expire_ms) {
  // An exptime in the past stores an item that is already expired, as
  // memcached does (a later get counts it in get_expired).
  if (expire_ms == 0) expire_ms = 1;
  Entry* e = Entry::NewMemcache(key, value, expire_ms, flags);
  old ? k.shard.Replace(old, e, k.ref) : k.shard.Insert(k.ref, e);
  Count(kMcTotalItems);
  McNotify(kNotifyString, "set", key);
  if (expire_ms > 0) McNotify(kNotifyGeneric, "expire", key);
  return e;
}

void AppendU64(std::string& out, uint64_t v) {
  char buf[24];
  int n = snprintf(buf, sizeof(buf), "%" PRIu64, v);
  out.append(buf, static_cast<size_t>(n));
}

bool NoReply(const Tokens& t) { return !t.empty() && t.back() == "noreply"; }

// memcached's reply when it may not evict (-M) and memory is full.
constexpr const char* kOutOfMemory = "SERVER_ERROR out of memory storing object";
// incr/decr/ma may grow a value (or create one): over maxmemory they evict
// first, and where nothing can be evicted memcached answers this (a missing
// key without autovivify still gets NOT_FOUND/NF: nothing would be stored).
constexpr const char* kArithmeticOutOfMemory = "SERVER_ERROR out of memory\r\n";

void Reply(std::string& out, bool noreply, std::string_view msg) {
  if (noreply) return;
  out.append(msg);
  out.append("\r\n");
}

}  // namespace

int64_t MemcacheExpireMs(int64_t exptime, int64_t now_ms) {
  if (exptime == 0) return -1;
  if (exptime < 0) return 0;
  int64_t when = exptime > kRelativeMax ? exptime * 1000 : now_ms + exptime * 1000;
  return when <= now_ms ? 0 : when;
}

bool MemcacheSession::Process(IoBuffer& in, std::string& out) {
  while (!in.empty()) {
    Status st = ProcessOne(in, out);
    if (st == Status::kNeedMore) break;
    if (st == Status::kClose) return false;
  }
  return true;
}

MemcacheSession::Status MemcacheSession::ProcessOne(IoBuffer& in, std::string& out) {
  if (swallow_ > 0) {
    size_t n = std::min(swallow_, in.size());
    in.Consume(n);
    swallow_ -= n;
    return swallow_ > 0 ? Status::kNeedMore : Status::kDone;
  }
  const char* data = in.data();
  const char* nl = static_cast<const char*>(memchr(data, '\n', in.size()));
  size_t line_bytes = nl == nullptr ? in.size() : static_cast<size_t>(nl - data);
  if (line_bytes > kMaxLine) {
    // Only a huge multi-get may have a line this long; anything else is
    // dropped with the connection, as memcached does — along with replies
    // it had not sent yet.
    std::string_view head(data, std::min<size_t>(in.size(), 100));
    size_t sp = head.find_first_not_of(' ');
    std::string_view rest = sp == std::string_view::npos ? "" : head.substr(sp);
    if (rest.substr(0, 4) != "get " && rest.substr(0, 5) != "gets ") {
      out.clear();
      return Status::kClose;
    }
  }
  if (nl == nullptr) return Status::kNeedMore;
  size_t line_len = static_cast<size_t>(nl - data) + 1;
  std::string_view line(data, line_len - 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  Tokens& t = tokens_;  // reused: no allocation per request
  t.clear();
  Split(line, &t);
  if (t.empty()) {
    out.append("ERROR\r\n");
    in.Consume(line_len);
    return Status::kDone;
  }
  std::string_view cmd = t[0];
  St().commands.Add();  // INFO total_commands_processed covers both protocols
  // memcached 1.6.18 silences every reply of a noreply request, errors
  // included, for the commands that take the option.
  bool takes_noreply = cmd == "set" || cmd == "add" || cmd == "replace" || cmd == "append" ||
                       cmd == "prepend" || cmd == "cas" || cmd == "delete" || cmd == "incr" ||
                       cmd == "decr" || cmd == "touch" || cmd == "flush_all" || cmd == "verbosity";
  if (takes_noreply && t.size() > 1 && t.back() == "noreply") {
    size_t mark = out.size();
    Status st = ProcessCommand(t, line_len, in, out);
    // A request with the wrong number of tokens never reaches the command,
    // so its ERROR is not silenced.
    bool wrong_arity = std::string_view(out).substr(mark) == "ERROR\r\n";
    if (st != Status::kNeedMore && !wrong_arity) out.resize(mark);
    return st;
  }
  return ProcessCommand(t, line_len, in, out);
}

namespace {

// Commands that never change the dataset (no AOF order needed).
bool McReadOnly(std::string_view cmd) {
  return cmd == "get" || cmd == "gets" || cmd == "stats" || cmd == "version" || cmd == "mn" ||
         cmd == "me" || cmd == "verbosity" || cmd == "quit";
}

// The AOF records a memcached write as the state it left the key in:
// SET with its absolute expire time, or DEL (client flags are not kept).
void LogKeyState(Server& server, const Tokens& t) {
  if (t[0] == "flush_all") return Aof::LogNow(0, {"FLUSHDB"});
  if (t.size() < 2) return;
  std::string key(t[1]);
  for (size_t i = 2; i < t.size(); ++i) {
    if (t[i] == "b" && (t[0] == "ms" || t[0] == "md" || t[0] == "ma" || t[0] == "mg")) {
      std::string decoded;
      if (Base64Decode(t[1], &decoded)) key = decoded;
    }
  }
  KeyLock k(server.keyspace().db(0), key);
  Entry* e = k.shard.Find(k.ref, NowMs());
  if (e == nullptr || e->type() != ObjType::kString) return Aof::LogNow(0, {"DEL", key});
  if (!e->has_expire()) return Aof::LogNow(0, {"SET", key, e->str()});
  Aof::LogNow(0, {"SET", key, e->str(), "PXAT", std::to_string(e->expire_ms())});
}

}  // namespace

MemcacheSession::Status MemcacheSession::ProcessCommand(const Tokens& t, size_t line_len,
                                                        IoBuffer& in, std::string& out) {
  if (!Aof::on() || McReadOnly(t[0])) return Execute(t, line_len, in, out);
  Aof::OrderScope order(true);
  uint64_t dirty = LocalStats().dirty.Get();
  Status st = Execute(t, line_len, in, out);
  if (LocalStats().dirty.Get() != dirty) LogKeyState(server_, t);
  return st;
}

MemcacheSession::Status MemcacheSession::Execute(const Tokens& t, size_t line_len, IoBuffer& in,
                                                 std::string& out) {
  std::string_view cmd = t[0];
  const char* data = in.data();
  if (cmd == "set" || cmd == "add" || cmd == "replace" || cmd == "append" || cmd == "prepend" ||
      cmd == "cas") {
    return Storage(t, std::string_view(data + line_len, in.size() - line_len), line_len, in, out);
  }
  if (cmd == "ms") return MetaSet(t, line_len, in, out);
  in.Consume(line_len);
  // `t` views point into bytes just consumed but not yet overwritten: the
  // buffer only moves on the next read.
  if (cmd == "get" || cmd == "gets" || cmd == "gat" || cmd == "gats") {
    Retrieval(t, out);
  } else if (cmd == "mg") {
    MetaGet(t, out);
  } else if (cmd == "delete") {
    Delete(t, out);
  } else if (cmd == "md") {
    MetaDelete(t, out);
  } else if (cmd == "incr" || cmd == "decr") {
    Arithmetic(t, out);
  } else if (cmd == "ma") {
    MetaArithmetic(t, out);
  } else if (cmd == "touch") {
    Touch(t, out);
  } else if (cmd == "mn") {
    out.append("MN\r\n");
  } else if (cmd == "me") {
    MetaDebug(t, out);
  } else if (cmd == "flush_all") {
    FlushAll(t, out);
  } else if (cmd == "stats") {
    Stats(t, out);
  } else if (cmd == "version") {
    out.append("VERSION ").append(kVersion).append("\r\n");
  } else if (cmd == "verbosity" && t.size() >= 2) {
    Reply(out, NoReply(t), "OK");
  } else if (cmd == "quit") {
    return Status::kClose;
  } else {
    out.append("ERROR\r\n");
  }
  return Status::kDone;
}

MemcacheSession::Status MemcacheSession::Storage(const Tokens& t, std::string_view rest,
                                                 size_t line_len, IoBuffer& in, std::string& out) {
  std::string_view cmd = t[0];
  bool is_cas = cmd == "cas";
  size_t base = is_cas ? 6 : 5;
  if (t.size() != base && t.size() != base + 1) {
    in.Consume(line_len);
    out.append("ERROR\r\n");
    return Status::kDone;
  }
  bool noreply = t.size() == base + 1 && t.back() == "noreply";
  std::string_view key = t[1];
  uint32_t flags = 0;
  int64_t exptime = 0, vlen = 0;
  uint64_t cas_in = 0;
  uint64_t flags64 = 0;
  if (key.size() > kMaxKey || !ParseU64(t[2], &flags64) || !ParseI32(t[3], &exptime) ||
      !ParseI32(t[4], &vlen) || (is_cas && !ParseU64(t[5], &cas_in)) || vlen < 0 ||
      vlen > INT32_MAX - 2) {
    in.Consume(line_len);
    out.append("CLIENT_ERROR bad command line format\r\n");
    return Status::kDone;
  }
  flags = static_cast<uint32_t>(flags64);  // memcached keeps the low 32 bits
  size_t total = static_cast<size_t>(vlen) + 2;
  int64_t now = NowMs();
  // memcached sizes an item as header + key + value + CRLF (+ flags when
  // non-zero); refuse what it would.
  size_t item_size = 59 + key.size() + static_cast<size_t>(vlen) + (flags ? 4 : 0);
  if (static_cast<int64_t>(item_size) > server_.config().memcached_max_item_size.load()) {
    std::string k(key);
    in.Consume(line_len);
    Reply(out, noreply, "SERVER_ERROR object too large for cache");
    swallow_ = total;
    if (cmd == "set") {  // never leave the stale value behind a failed set
      KeyLock lock(Db0(server_), k);
      lock.shard.Erase(lock.ref);
    }
    return Status::kDone;
  }
  if (rest.size() < total) return Status::kNeedMore;
  std::string_view value = rest.substr(0, static_cast<size_t>(vlen));
  bool chunk_ok = rest[static_cast<size_t>(vlen)] == '\r' && rest[static_cast<size_t>(vlen) + 1] == '\n';
  const char* reply = "STORED";
  if (!chunk_ok) {
    reply = nullptr;
  } else if (!EnsureMemory(server_.keyspace(), now)) {
    reply = kOutOfMemory;
  } else {
    Count(kMcCmdSet);
    KeyLock k(Db0(server_), key);
    Entry* old = FindItem(k, now);
    int64_t expire_ms = MemcacheExpireMs(exptime, now);
    if (cmd == "set") {
      StoreItem(k, old, key, value, flags, expire_ms);
    } else if (cmd == "add") {
      if (old != nullptr) {
        reply = "NOT_STORED";
      } else {
        StoreItem(k, old, key, value, flags, expire_ms);
      }
    } else if (cmd == "replace") {
      if (old == nullptr) {
        reply = "NOT_STORED";
      } else {
        StoreItem(k, old, key, value, flags, expire_ms);
      }
    } else if (cmd == "cas") {
      if (old == nullptr) {
        reply = "NOT_FOUND";
        Count(kMcCasMisses);
      } else if (!old->has_mc_meta() || old->cas() != cas_in) {
        reply = "EXISTS";
        Count(kMcCasBadval);
      } else {
        Count(kMcCasHits);
        StoreItem(k, old, key, value, flags, expire_ms);
      }
    } else {  // append / prepend keep the item's flags and expiry
      if (old == nullptr) {
        reply = "NOT_STORED";
      } else {
        std::string joined = cmd == "append" ? std::string(old->str()).append(value)
                                             : std::string(value).append(old->str());
        Entry* n = old->WithValue(joined);
        n->set_encoding(Encoding::kRaw);
        n->set_mc_state(0);  // a new item to memcached: not fetched, not stale
        k.shard.Replace(old, n, k.ref);
        Count(kMcTotalItems);
        McNotify(kNotifyString, "append", key);
      }
    }
  }
  in.Consume(line_len + total);
  if (reply == nullptr) {
    out.append("CLIENT_ERROR bad data chunk\r\n");
  } else {
    Reply(out, noreply, reply);
  }
  return Status::kDone;
}

void MemcacheSession::Retrieval(const Tokens& t, std::string& out) {
  bool touch = t[0] == "gat" || t[0] == "gats";
  bool with_cas = t[0] == "gets" || t[0] == "gats";
  size_t first = touch ? 2 : 1;
  if (t.size() < 2) {
    out.append("ERROR\r\n");
    return;
  }
  int64_t exptime = 0;
  if (touch && !ParseI64(t[1], &exptime)) {
    out.append("CLIENT_ERROR invalid exptime argument\r\n");
    return;
  }
  size_t mark = out.size();
  int64_t now = NowMs();
  for (size_t i = first; i < t.size(); ++i) {
    std::string_view key = t[i];
    if (key.size() > kMaxKey) {
      out.resize(mark);  // the error replaces the whole reply
      out.append("CLIENT_ERROR bad command line format\r\n");
      return;
    }
    KeyLock k(Db0(server_), key);
    bool expired = false;
    Entry* e = FindItem(k, now, &expired);
    Count(touch ? kMcCmdTouch : kMcCmdGet);
    if (e == nullptr) {
      Count(touch ? kMcTouchMisses : kMcGetMisses);
      if (expired) Count(kMcGetExpired);
      continue;
    }
    Count(touch ? kMcTouchHits : kMcGetHits);
    if (with_cas) e = EnsureMcMeta(k, e);
    TouchEntry(e, now);
    e->set_mc_state(e->mc_state() | Entry::kMcFetched);
    out.append("VALUE ").append(key).append(" ");
    AppendU64(out, e->mc_flags());
    out.append(" ");
    AppendU64(out, e->str().size());
    if (with_cas) {
      out.append(" ");
      AppendU64(out, e->cas());
    }
    out.append("\r\n").append(e->str()).append("\r\n");
    if (touch) {
      // A past exptime leaves an expired item (counted by get_expired).
      int64_t when = MemcacheExpireMs(exptime, now);
      k.shard.SetExpire(e, k.ref, when == 0 ? 1 : when);
      McNotify(kNotifyGeneric, "expire", k.ref.key);
    }
  }
  out.append("END\r\n");
}

void MemcacheSession::Delete(const Tokens& t, std::string& out) {
  if (t.size() < 2 || t.size() > 4) {
    out.append("ERROR\r\n");
    return;
  }
  bool noreply = NoReply(t);
  if (t.size() > 2) {
    bool hold_zero = t[2] == "0";
    bool valid = (t.size() == 3 && (hold_zero || noreply)) || (t.size() == 4 && hold_zero && noreply);
    if (!valid) {
      out.append("CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n");
      return;
    }
  }
  if (t[1].size() > kMaxKey) {
    out.append("CLIENT_ERROR bad command line format\r\n");
    return;
  }
  KeyLock k(Db0(server_), t[1]);
  if (FindItem(k, NowMs()) != nullptr) {
    k.shard.Erase(k.ref);
    McNotify(kNotifyGeneric, "del", t[1]);
    Count(kMcDeleteHits);
    Reply(out, noreply, "DELETED");
  } else {
    Count(kMcDeleteMisses);
    Reply(out, noreply, "NOT_FOUND");
  }
}

namespace {

enum class DeltaResult { kOk, kNotFound, kNonNumeric };

// memcached's add_delta: decimal unsigned 64-bit values; incr wraps, decr
// floors at 0; a shorter result is padded with spaces in place.
DeltaResult ApplyDelta(KeyLock& k, Entry* e, bool incr, uint64_t delta, uint64_t* result) {
  if (e == nullptr) return DeltaResult::kNotFound;
  uint64_t value;
  if (!ParseU64(e->str(), &value)) return DeltaResult::kNonNumeric;
  if (incr) {
    value += delta;
  } else {
    value = delta > value ? 0 : value - delta;
  }
  *result = value;
  char buf[24];
  size_t n = static_cast<size_t>(snprintf(buf, sizeof(buf), "%" PRIu64, value));
  size_t old_len = e->str().size();
  if (n <= old_len) {
    memcpy(e->mutable_str(), buf, n);
    memset(e->mutable_str() + n, ' ', old_len - n);
    e->set_encoding(StringEncodingFor(e->str()));
    k.shard.Modified(e);
  } else {
    Entry* grown = e->WithValue(std::string_view(buf, n));
    grown->set_encoding(Encoding::kInt);
    grown->set_mc_state(0);
    k.shard.Replace(e, grown, k.ref);
  }
  McNotify(kNotifyString, "incrby", k.ref.key);
  return DeltaResult::kOk;
}

}  // namespace

void MemcacheSession::Arithmetic(const Tokens& t, std::string& out) {
  if (t.size() != 3 && t.size() != 4) {
    out.append("ERROR\r\n");
    return;
  }
  bool noreply = t.size() == 4 && NoReply(t);
  bool incr = t[0] == "incr";
  if (t[1].size() > kMaxKey) {
    out.append("CLIENT_ERROR bad command line format\r\n");
    return;
  }
  uint64_t delta;
  if (!ParseU64(t[2], &delta)) {
    out.append("CLIENT_ERROR invalid numeric delta argument\r\n");
    return;
  }
  int64_t now = NowMs();
  bool room = EnsureMemory(server_.keyspace(), now);  // evicts, so before the lock
  KeyLock k(Db0(server_), t[1]);
  Entry* e = FindItem(k, now);
  if (!room && e != nullptr) return void(out.append(kArithmeticOutOfMemory));
  uint64_t result = 0;
  switch (ApplyDelta(k, e, incr, delta, &result)) {
    case DeltaResult::kOk: {
      Count(incr ? kMcIncrHits : kMcDecrHits);
      std::string s = std::to_string(result);
      Reply(out, noreply, s);
      break;
    }
    case DeltaResult::kNotFound:
      Count(incr ? kMcIncrMisses : kMcDecrMisses);
      Reply(out, noreply, "NOT_FOUND");
      break;
    case DeltaResult::kNonNumeric:
      out.append("CLIENT_ERROR cannot increment or decrement non-numeric value\r\n");
      break;
  }
}

void MemcacheSession::Touch(const Tokens& t, std::string& out) {
  if (t.size() != 3 && t.size() != 4) {
    out.append("ERROR\r\n");
    return;
  }
  bool noreply = t.size() == 4 && NoReply(t);
  if (t[1].size() > kMaxKey) {
    out.append("CLIENT_ERROR bad command line format\r\n");
    return;
  }
  int64_t exptime;
  if (!ParseI64(t[2], &exptime)) {
    out.append("CLIENT_ERROR invalid exptime argument\r\n");
    return;
  }
  int64_t now = NowMs();
  KeyLock k(Db0(server_), t[1]);
  Entry* e = FindItem(k, now);
  Count(kMcCmdTouch);
  if (e == nullptr) {
    Count(kMcTouchMisses);
    return Reply(out, noreply, "NOT_FOUND");
  }
  Count(kMcTouchHits);
  int64_t when = MemcacheExpireMs(exptime, now);
  TouchEntry(e, now);
  e->set_mc_state(e->mc_state() | Entry::kMcFetched);  // memcached's touch is a fetch
  k.shard.SetExpire(e, k.ref, when == 0 ? 1 : when);
  McNotify(kNotifyGeneric, "expire", k.ref.key);
  Reply(out, noreply, "TOUCHED");
}

void MemcacheSession::FlushAll(const Tokens& t, std::string& out) {
  bool noreply = NoReply(t);
  size_t args = t.size() - (noreply ? 1 : 0);
  if (args > 2) {
    out.append("ERROR\r\n");
    return;
  }
  int64_t delay = 0;
  if (args == 2 && !ParseI32(t[1], &delay)) {
    out.append("CLIENT_ERROR invalid exptime argument\r\n");
    return;
  }
  Count(kMcCmdFlush);
  if (delay > 0) {
    int64_t when = MemcacheExpireMs(delay, NowMs());
    server_.memcache_flush_at_ms().store(when);
  } else {
    FlushDatabases(server_.keyspace(), 0, 0, false);
  }
  Reply(out, noreply, "OK");
}

void MemcacheSession::Stats(const Tokens& t, std::string& out) {
  auto stat = [&out](const char* name, const std::string& v) {
    out.append("STAT ").append(name).append(" ").append(v).append("\r\n");
  };
  auto num = [](uint64_t v) { return std::to_string(v); };
  if (t.size() >= 2) {
    std::string_view sub = t[1];
    if (sub == "reset") {
      ResetAllStats();
      out.append("RESET\r\n");
    } else if (sub == "settings") {
      Config& c = server_.config();
      stat("maxbytes", num(static_cast<uint64_t>(g_eviction.maxmemory.load())));
      stat("maxconns", num(static_cast<uint64_t>(c.maxclients.load())));
      stat("tcpport", num(static_cast<uint64_t>(server_.memcache_port())));
      stat("evictions", CurrentPolicy() == EvictionPolicy::kNoEviction ? "off" : "on");
      stat("num_threads", num(static_cast<uint64_t>(server_.num_workers())));
      stat("cas_enabled", "yes");
      stat("item_size_max", num(static_cast<uint64_t>(c.memcached_max_item_size.load())));
      stat("binding_protocol", "ascii");
      out.append("END\r\n");
    } else if (sub == "items" || sub == "slabs" || sub == "sizes" || sub == "conns") {
      // Magpie has no slab classes: items live in one keyspace (see
      // docs/COMPATIBILITY.md), so these report the whole of database 0.
      if (sub == "items") {
        stat("items:1:number", num(server_.keyspace().db(0).size()));
      } else if (sub == "slabs") {
        stat("active_slabs", "0");
        stat("total_malloced", num(ReadMemoryStats().allocated));
      }
      out.append("END\r\n");
    } else {
      out.append("ERROR\r\n");
    }
    return;
  }
  uint64_t mc[kMcCounterCount] = {};
  ForEachStats([&](const ThreadStats& s) {
    for (int i = 0; i < kMcCounterCount; ++i) mc[i] += s.mc[i].Get();
  });
  int64_t now = NowMs();
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  char cpu[64];
  stat("pid", num(static_cast<uint64_t>(getpid())));
  stat("uptime", num(static_cast<uint64_t>((now - server_.start_time_ms()) / 1000)));
  stat("time", num(static_cast<uint64_t>(now / 1000)));
  stat("version", kVersion);
  stat("pointer_size", "64");
  snprintf(cpu, sizeof(cpu), "%ld.%06ld", static_cast<long>(ru.ru_utime.tv_sec), static_cast<long>(ru.ru_utime.tv_usec));
  stat("rusage_user", cpu);
  snprintf(cpu, sizeof(cpu), "%ld.%06ld", static_cast<long>(ru.ru_stime.tv_sec), static_cast<long>(ru.ru_stime.tv_usec));
  stat("rusage_system", cpu);
  stat("max_connections", num(static_cast<uint64_t>(server_.config().maxclients.load())));
  stat("curr_connections", num(static_cast<uint64_t>(server_.memcache_connections().load())));
  stat("total_connections", num(mc[kMcTotalConnections]));
  stat("cmd_get", num(mc[kMcCmdGet]));
  stat("cmd_set", num(mc[kMcCmdSet]));
  stat("cmd_flush", num(mc[kMcCmdFlush]));
  stat("cmd_touch", num(mc[kMcCmdTouch]));
  stat("get_hits", num(mc[kMcGetHits]));
  stat("get_misses", num(mc[kMcGetMisses]));
  stat("get_expired", num(mc[kMcGetExpired]));
  stat("get_flushed", "0");  // flushed items are removed at once, never served stale
  stat("delete_misses", num(mc[kMcDeleteMisses]));
  stat("delete_hits", num(mc[kMcDeleteHits]));
  stat("incr_misses", num(mc[kMcIncrMisses]));
  stat("incr_hits", num(mc[kMcIncrHits]));
  stat("decr_misses", num(mc[kMcDecrMisses]));
  stat("decr_hits", num(mc[kMcDecrHits]));
  stat("cas_misses", num(mc[kMcCasMisses]));
  stat("cas_hits", num(mc[kMcCasHits]));
  stat("cas_badval", num(mc[kMcCasBadval]));
  stat("touch_hits", num(mc[kMcTouchHits]));
  stat("touch_misses", num(mc[kMcTouchMisses]));
  stat("threads", num(static_cast<uint64_t>(server_.num_workers())));
  stat("bytes", num(server_.keyspace().db(0).bytes()));
  stat("curr_items", num(server_.keyspace().db(0).size()));
  stat("total_items", num(mc[kMcTotalItems]));
  uint64_t evicted = 0;
  ForEachStats([&](const ThreadStats& s) { evicted += s.evicted_keys.Get(); });
  stat("evictions", num(evicted));
  stat("limit_maxbytes", num(static_cast<uint64_t>(g_eviction.maxmemory.load())));
  out.append("END\r\n");
}

// ---------------------------------------------------------------------------
// Meta protocol
// ---------------------------------------------------------------------------

namespace {

// Parsed meta flags: single letters, some with a token.
struct MetaFlags {
  std::string_view tokens[128];  // token per flag letter ("" when given without one)
  bool has[128] = {};
  bool Has(char f) const { return has[static_cast<unsigned char>(f)]; }
  std::string_view Token(char f) const { return tokens[static_cast<unsigned char>(f)]; }
  // Numeric token of a flag; false if present but not a number.
  bool Num(char f, int64_t* v) const { return !Has(f) || ParseI64(Token(f), v); }
};

// What each meta command accepts, and its wording for a bad flag (mg and ms
// say "invalid flag"/"duplicate flag"; md and ma say both in one message).
struct MetaSpec {
  const char* valid;
  bool combined_error;
};
constexpr MetaSpec kMgSpec{"bcfhklOqstuvNRTPL", false};
constexpr MetaSpec kMsSpec{"bcCFIkOqTMNsvPL", false};
constexpr MetaSpec kMdSpec{"bCIkOqTPL", true};
constexpr MetaSpec kMaSpec{"bCNJDTMOqtcvkPL", true};

constexpr const char* kLongOpaque = "CLIENT_ERROR opaque token too long";

// Parses flags into *m; on failure returns the error reply (without CRLF).
const char* ParseMetaFlags(const Tokens& t, size_t first, const MetaSpec& spec, MetaFlags* m) {
  for (size_t i = first; i < t.size(); ++i) {
    unsigned char f = static_cast<unsigned char>(t[i][0]);
    if (f >= 128 || strchr(spec.valid, f) == nullptr) {
      return spec.combined_error ? "CLIENT_ERROR invalid or duplicate flag" : "CLIENT_ERROR invalid flag";
    }
    if (m->has[f]) {
      return spec.combined_error ? "CLIENT_ERROR invalid or duplicate flag" : "CLIENT_ERROR duplicate flag";
    }
    m->has[f] = true;
    m->tokens[f] = t[i].substr(1);
  }
  if (m->Has('O') && m->Token('O').size() >= 32) return kLongOpaque;
  return nullptr;
}

// The key of a meta request, base64-decoded under flag b; on failure
// returns the error reply.
const char* MetaKey(std::string_view raw, const MetaFlags& m, std::string* key) {
  if (raw.size() > 250) return "CLIENT_ERROR bad command line format";
  if (m.Has('b')) {
    if (!Base64Decode(raw, key) || key->empty()) return "CLIENT_ERROR error decoding key";
    return nullptr;
  }
  *key = std::string(raw);
  return nullptr;
}

// Seconds left before `expire_ms` (< 0: none, reported as -1).
int64_t TtlSecondsAt(int64_t expire_ms, int64_t now_ms) {
  if (expire_ms < 0) return -1;
  int64_t left = expire_ms - now_ms;
  return left <= 0 ? 0 : (left + 999) / 1000;
}

int64_t TtlSeconds(const Entry* e, int64_t now_ms) {
  return TtlSecondsAt(e->has_expire() ? e->expire_ms() : -1, now_ms);
}

// Appends the return flags of a meta reply, in the order they were asked
// for. `which` lists the letters this reply may echo; item flags need `e`.
// `ttl_by_token`, when given, holds the TTL a `t` at that token position
// reports (ma reports the TTL as of its place among the flags);
// `key_as_sent` echoes k as the request spelled it rather than as stored.
void ReturnFlags(std::string& out, const Tokens& t, size_t first, const MetaFlags& m,
                 const char* which, const Entry* e, int64_t now_ms, uint8_t state_before,
                 const std::vector<int64_t>* ttl_by_token = nullptr, bool key_as_sent = false) {
  for (size_t i = first; i < t.size(); ++i) {
    char f = t[i][0];
    if (strchr(which, f) == nullptr) continue;
    switch (f) {
      case 'O':
        out.append(" O").append(m.Token('O'));
        break;
      case 'k':
        // The item's own key: base64 (flagged b) when it was stored that way.
        if (e != nullptr && !key_as_sent && (e->mc_state() & Entry::kMcBinaryKey)) {
          out.append(" k").append(Base64Encode(e->key())).append(" b");
        } else if (e != nullptr && !key_as_sent) {
          out.append(" k").append(e->key());
        } else {
          out.append(" k").append(t[1]);
          if (m.Has('b')) out.append(" b");
        }
        break;
      case 'c':
        out.append(" c").append(std::to_string(e ? e->cas() : 0));
        break;
      case 'f':
        if (e) out.append(" f").append(std::to_string(e->mc_flags()));
        break;
      case 's':
        if (e) out.append(" s").append(std::to_string(e->str().size()));
        break;
      case 't':
        if (e) {
          int64_t ttl = ttl_by_token ? (*ttl_by_token)[i] : TtlSeconds(e, now_ms);
          out.append(" t").append(std::to_string(ttl));
        }
        break;
      case 'h':
        if (e) out.append((state_before & Entry::kMcFetched) ? " h1" : " h0");
        break;
      case 'l':
        if (e) out.append(" l").append(std::to_string(IdleSeconds(e, now_ms)));
        break;
      default:
        break;
    }
  }
}

void Line(std::string& out, std::string_view code, const std::string& flags) {
  out.append(code).append(flags).append("\r\n");
}

// The recache state flags: "X W" for a stale item this client wins, "Z X"
// when someone else already won, as memcached 1.6.18 orders them.
std::string WinFlags(bool won, bool stale, bool win_sent_before) {
  std::string s;
  if (won) {
    if (stale) s += " X";
    s += " W";
  } else {
    if (win_sent_before) s += " Z";
    if (stale) s += " X";
  }
  return s;
}

}  // namespace

void MemcacheSession::MetaGet(const Tokens& t, std::string& out) {
  if (t.size() < 2) return void(out.append("ERROR\r\n"));
  MetaFlags m;
  std::string key;
  const char* error = t[1].size() > 250 ? "CLIENT_ERROR bad command line format" : nullptr;
  if (error == nullptr) error = ParseMetaFlags(t, 2, kMgSpec, &m);
  // memcached notices a long opaque only when it reaches the O flag while
  // building the reply: the item has been looked up (and vivified) by then.
  bool long_opaque = error == kLongOpaque;
  if (long_opaque) error = nullptr;
  if (error == nullptr) error = MetaKey(t[1], m, &key);
  int64_t n_ttl = 0, t_ttl = 0, r_ttl = 0;
  if (error == nullptr && (!m.Num('N', &n_ttl) || !m.Num('T', &t_ttl) || !m.Num('R', &r_ttl))) {
    error = "CLIENT_ERROR bad token in command line format";
  }
  if (error != nullptr) return void(out.append(error).append("\r\n"));
  int64_t now = NowMs();
  KeyLock k(Db0(server_), key);
  bool expired = false;
  Entry* e = FindItem(k, now, &expired);
  Count(kMcCmdGet);
  bool won = false, vivified = false;
  if (e == nullptr) {
    Count(kMcGetMisses);
    if (expired) Count(kMcGetExpired);
    if (!m.Has('N')) {
      if (long_opaque) return void(out.append(kLongOpaque).append("\r\n"));
      if (!m.Has('q')) {
        std::string flags;
        ReturnFlags(flags, t, 2, m, "Ok", nullptr, now, 0);
        Line(out, "EN", flags);
      }
      return;
    }
    // Vivify: an empty item, and this client wins the right to fill it.
    StoreItem(k, nullptr, key, "", 0, -1);
    e = FindItem(k, now);
    if (e == nullptr) return void(out.append("EN\r\n"));
    won = vivified = true;
  } else {
    Count(kMcGetHits);
  }
  e = EnsureMcMeta(k, e);
  uint8_t before = e->mc_state();
  bool stale = before & Entry::kMcStale;
  bool win_sent = before & Entry::kMcWinSent;
  if (!won && !win_sent && m.Has('R')) {
    int64_t ttl = TtlSeconds(e, now);
    won = ttl != -1 && ttl < r_ttl;
  }
  if (!won && stale && !win_sent) won = true;
  // Flags act in the order given, as in memcached 1.6.18: a T (or, for a
  // vivified item, N) changes the TTL that a later t reports.
  std::string flags;
  for (size_t i = 2; i < t.size(); ++i) {
    char f = t[i][0];
    if (f == 'T' || (f == 'N' && vivified)) {
      int64_t when = MemcacheExpireMs(f == 'T' ? t_ttl : n_ttl, now);
      e = k.shard.SetExpire(e, k.ref, when == 0 ? 1 : when);
      McNotify(kNotifyGeneric, "expire", k.ref.key);
    } else if (f == 'O' && long_opaque) {
      return void(out.append(kLongOpaque).append("\r\n"));
    } else {
      Tokens one{t[0], t[1], t[i]};
      ReturnFlags(flags, one, 2, m, "Okcfsthl", e, now, before);
    }
  }
  flags += WinFlags(won, stale, win_sent && !won);
  uint8_t state = e->mc_state();
  if (won) state |= Entry::kMcWinSent;
  if (!m.Has('u')) {
    state |= Entry::kMcFetched;
    TouchEntry(e, now);
  }
  e->set_mc_state(state);
  if (m.Has('v')) {
    out.append("VA ").append(std::to_string(e->str().size())).append(flags).append("\r\n");
    out.append(e->str()).append("\r\n");
  } else {
    Line(out, "HD", flags);
  }
}

MemcacheSession::Status MemcacheSession::MetaSet(const Tokens& t, size_t line_len, IoBuffer& in,
                                                 std::string& out) {
  if (t.size() < 2) {
    in.Consume(line_len);
    out.append("ERROR\r\n");
    return Status::kDone;
  }
  int64_t vlen = -1;
  if (t.size() < 3 || t[1].size() > 250 || !ParseI32(t[2], &vlen) || vlen < 0 ||
      vlen > INT32_MAX - 2) {
    in.Consume(line_len);
    out.append("CLIENT_ERROR bad command line format\r\n");
    return Status::kDone;
  }
  size_t total = static_cast<size_t>(vlen) + 2;
  // From here on the data block belongs to this request: errors swallow it.
  MetaFlags m;
  std::string key;
  const char* error = ParseMetaFlags(t, 3, kMsSpec, &m);
  if (error == nullptr) error = MetaKey(t[1], m, &key);
  uint64_t flags64 = 0, compare = 0;
  int64_t ttl = 0, n_ttl = 0;
  // memcached checks the numeric tokens while pre-parsing the flags, then
  // the client flags (F), then the mode.
  if (error == nullptr && (!m.Num('T', &ttl) || !m.Num('N', &n_ttl) ||
                           (m.Has('C') && !ParseU64(m.Token('C'), &compare)))) {
    error = "CLIENT_ERROR bad token in command line format";
  }
  if (error == nullptr && m.Has('F') && !ParseU64(m.Token('F'), &flags64)) {
    error = "CLIENT_ERROR bad command line format";
  }
  char mode = m.Has('M') && !m.Token('M').empty() ? m.Token('M')[0] : 'S';
  if (error == nullptr && strchr("EAPRS", mode) == nullptr) {
    error = "CLIENT_ERROR invalid mode for ms M token";
  }
  if (error != nullptr) {
    in.Consume(line_len);
    out.append(error).append("\r\n");
    swallow_ = total;
    return Status::kDone;
  }
  uint32_t flags = static_cast<uint32_t>(flags64);
  int64_t now = NowMs();
  size_t item_size = 59 + key.size() + static_cast<size_t>(vlen) + (flags ? 4 : 0);
  if (static_cast<int64_t>(item_size) > server_.config().memcached_max_item_size.load()) {
    in.Consume(line_len);
    out.append("SERVER_ERROR object too large for cache\r\n");
    swallow_ = total;
    KeyLock k(Db0(server_), key);  // never leave the old value behind, in any mode
    k.shard.Erase(k.ref);
    return Status::kDone;
  }
  if (in.size() < line_len + total) return Status::kNeedMore;
  std::string_view rest(in.data() + line_len, total);
  if (rest[total - 2] != '\r' || rest[total - 1] != '\n') {
    in.Consume(line_len + total);
    out.append("CLIENT_ERROR bad data chunk\r\n");
    return Status::kDone;
  }
  std::string_view value = rest.substr(0, static_cast<size_t>(vlen));
  if (!EnsureMemory(server_.keyspace(), now)) {
    in.Consume(line_len + total);
    out.append(kOutOfMemory).append("\r\n");
    return Status::kDone;
  }
  Count(kMcCmdSet);
  const char* code = "HD";
  KeyLock k(Db0(server_), key);
  Entry* old = FindItem(k, now);
  bool keep_stale = false;
  if (mode == 'E') {
    // add: only existence matters (memcached 1.6.18 ignores C here)
  } else if (old == nullptr && (mode == 'A' || mode == 'P')) {
    code = "NS";
  } else if (m.Has('C') && !(compare == 0 && (mode == 'A' || mode == 'P'))) {
    // (memcached's append and prepend take C0 as "no CAS"; other modes
    // compare it and fail)
    if (old == nullptr) {
      code = "NF";
    } else if (!old->has_mc_meta() || old->cas() != compare) {
      // I: a write carrying an older CAS is stored, but as invalid (stale).
      keep_stale = mode == 'S' && m.Has('I') && old->has_mc_meta() && compare != 0 &&
                   compare < old->cas();
      if (!keep_stale) code = "EX";
    }
  }
  int64_t expire = MemcacheExpireMs(ttl, now);
  if (std::string_view(code) != "HD") {
  } else if (mode == 'E' && old != nullptr) {
    code = "NS";
  } else if (mode == 'R' && old == nullptr) {
    code = "NS";
  } else if ((mode == 'A' || mode == 'P') && old == nullptr) {
    code = "NS";  // memcached 1.6.18 does not vivify appends (N is accepted, unused)
  }
  // The item just written; its CAS is reported even if it is born expired.
  Entry* stored = nullptr;
  if (std::string_view(code) != "HD") {
  } else if (mode == 'A' || mode == 'P') {
    std::string joined = mode == 'A' ? std::string(old->str()).append(value)
                                     : std::string(value).append(old->str());
    stored = old->WithValue(joined);
    stored->set_encoding(Encoding::kRaw);
    stored->set_mc_state(0);  // a new item to memcached: not fetched, not stale
    k.shard.Replace(old, stored, k.ref);
  } else {
    stored = StoreItem(k, old, key, value, flags, expire);
  }
  if (stored != nullptr && keep_stale) stored->set_mc_state(Entry::kMcStale);
  if (stored != nullptr && m.Has('b')) stored->set_mc_state(stored->mc_state() | Entry::kMcBinaryKey);
  std::string flags_out;
  ReturnFlags(flags_out, t, 3, m, "Okc", stored, now, 0);
  in.Consume(line_len + total);
  if (!(m.Has('q') && std::string_view(code) == "HD")) Line(out, code, flags_out);
  return Status::kDone;
}

void MemcacheSession::MetaDelete(const Tokens& t, std::string& out) {
  if (t.size() < 2) return void(out.append("ERROR\r\n"));
  MetaFlags m;
  std::string key;
  const char* error = t[1].size() > 250 ? "CLIENT_ERROR bad command line format" : nullptr;
  if (error == nullptr) error = ParseMetaFlags(t, 2, kMdSpec, &m);
  if (error == nullptr) error = MetaKey(t[1], m, &key);
  int64_t ttl = 0;
  uint64_t compare = 0;
  if (error == nullptr && m.Has('C') && !ParseU64(m.Token('C'), &compare)) {
    error = "CLIENT_ERROR invalid or duplicate flag";
  }
  if (error == nullptr && !m.Num('T', &ttl)) error = "CLIENT_ERROR bad token in command line format";
  if (error != nullptr) return void(out.append(error).append("\r\n"));
  int64_t now = NowMs();
  KeyLock k(Db0(server_), key);
  Entry* e = FindItem(k, now);
  const char* code = "HD";
  if (e == nullptr) {
    code = "NF";
    Count(kMcDeleteMisses);
  } else if (m.Has('C') && (!e->has_mc_meta() || e->cas() != compare)) {
    code = "EX";
  } else {
    Count(kMcDeleteHits);
    if (m.Has('I')) {
      // Invalidate: keep the item, stale and with a new CAS, so one client
      // can win the right to recache it.
      e = EnsureMcMeta(k, e);
      k.shard.Modified(e);
      e->set_mc_state((e->mc_state() | Entry::kMcStale) & ~Entry::kMcWinSent);
      if (m.Has('T')) k.shard.SetExpire(e, k.ref, MemcacheExpireMs(ttl, now));
    } else {
      k.shard.Erase(k.ref);
      McNotify(kNotifyGeneric, "del", k.ref.key);
    }
  }
  std::string flags;
  ReturnFlags(flags, t, 2, m, "Ok", nullptr, now, 0);
  if (!(m.Has('q') && std::string_view(code) == "HD")) Line(out, code, flags);
}

void MemcacheSession::MetaArithmetic(const Tokens& t, std::string& out) {
  if (t.size() < 2) return void(out.append("ERROR\r\n"));
  MetaFlags m;
  std::string key;
  const char* error = t[1].size() > 250 ? "CLIENT_ERROR bad command line format" : nullptr;
  if (error == nullptr) error = ParseMetaFlags(t, 2, kMaSpec, &m);
  if (error == nullptr) error = MetaKey(t[1], m, &key);
  uint64_t delta = 1, initial = 0, compare = 0;
  int64_t n_ttl = 0, t_ttl = 0;
  if (error == nullptr && ((m.Has('D') && !ParseU64(m.Token('D'), &delta)) ||
                           (m.Has('J') && !ParseU64(m.Token('J'), &initial)))) {
    error = "CLIENT_ERROR invalid or duplicate flag";
  }
  if (error == nullptr && (!m.Num('N', &n_ttl) || !m.Num('T', &t_ttl) ||
                           (m.Has('C') && !ParseU64(m.Token('C'), &compare)))) {
    error = "CLIENT_ERROR bad token in command line format";
  }
  char mode = m.Has('M') && !m.Token('M').empty() ? m.Token('M')[0] : 'I';
  bool incr = mode == 'I' || mode == '+';
  if (error == nullptr && !incr && mode != 'D' && mode != '-') {
    error = "CLIENT_ERROR invalid mode for ma M token";
  }
  if (error != nullptr) return void(out.append(error).append("\r\n"));
  int64_t now = NowMs();
  bool room = EnsureMemory(server_.keyspace(), now);  // evicts, so before the lock
  KeyLock k(Db0(server_), key);
  Entry* e = FindItem(k, now);
  if (!room && (e != nullptr || m.Has('N'))) return void(out.append(kArithmeticOutOfMemory));
  const char* code = "HD";
  uint64_t result = 0;
  bool created = false;
  if (e == nullptr && m.Has('N')) {
    created = true;
    // Auto-create with the initial value; the delta is not applied.
    StoreItem(k, nullptr, key, std::to_string(initial), 0, -1);
    result = initial;
  } else if (e != nullptr && m.Has('C') && compare != 0 &&  // C0 compares nothing
             !e->str().empty() &&  // memcached rejects an empty value before comparing
             (!e->has_mc_meta() || e->cas() != compare)) {
    code = "EX";
  } else {
    switch (ApplyDelta(k, e, incr, delta, &result)) {
      case DeltaResult::kOk:
        Count(incr ? kMcIncrHits : kMcDecrHits);
        break;
      case DeltaResult::kNotFound:
        Count(incr ? kMcIncrMisses : kMcDecrMisses);
        code = "NF";
        break;
      case DeltaResult::kNonNumeric:
        out.append("CLIENT_ERROR cannot increment or decrement non-numeric value\r\n");
        return;
    }
  }
  Entry* item = std::string_view(code) == "HD" ? FindItem(k, now) : nullptr;
  // memcached applies T, and N to a created item, in flag order: a `t`
  // before them reports the TTL the item had (none, when just created).
  std::vector<int64_t> ttl_by_token(t.size(), -1);
  if (item != nullptr) {
    item = EnsureMcMeta(k, item);
    if (created && m.Has('b')) item->set_mc_state(item->mc_state() | Entry::kMcBinaryKey);
    int64_t expire = item->has_expire() ? item->expire_ms() : -1;
    bool changed = false;
    for (size_t i = 2; i < t.size(); ++i) {
      char f = t[i][0];
      if (f == 'T' || (f == 'N' && created)) {
        expire = MemcacheExpireMs(f == 'T' ? t_ttl : n_ttl, now);
        changed = true;
      } else if (f == 't') {
        ttl_by_token[i] = TtlSecondsAt(expire, now);
      }
    }
    if (changed) {
      item = k.shard.SetExpire(item, k.ref, expire);
      McNotify(kNotifyGeneric, "expire", k.ref.key);
    }
  }
  std::string flags;
  ReturnFlags(flags, t, 2, m, item != nullptr ? "Oktc" : "Ok", item, now, 0, &ttl_by_token,
              /*key_as_sent=*/true);
  // q hides a plain success; an item created by N is still reported.
  if (m.Has('q') && !created && std::string_view(code) != "EX" && std::string_view(code) != "NF") {
    return;
  }
  if (item != nullptr && m.Has('v')) {
    std::string v = std::to_string(result);
    out.append("VA ").append(std::to_string(v.size())).append(flags).append("\r\n").append(v).append("\r\n");
  } else {
    Line(out, code, flags);
  }
}

void MemcacheSession::MetaDebug(const Tokens& t, std::string& out) {
  if (t.size() < 2) return void(out.append("CLIENT_ERROR bad command line format\r\n"));
  MetaFlags m;
  std::string key;
  const char* error = ParseMetaFlags(t, 2, MetaSpec{"b", false}, &m);
  if (error == nullptr) error = MetaKey(t[1], m, &key);
  if (error != nullptr) return void(out.append(error).append("\r\n"));
  int64_t now = NowMs();
  KeyLock k(Db0(server_), key);
  Entry* e = FindItem(k, now);
  if (e == nullptr) return void(out.append("EN\r\n"));
  e = EnsureMcMeta(k, e);
  // memcached prints the remaining time negated (-1 for no expiry).
  int64_t ttl = TtlSeconds(e, now);
  out.append("ME ").append(t[1]);
  out.append(" exp=").append(std::to_string(ttl == -1 ? -1 : -ttl));
  out.append(" la=").append(std::to_string(IdleSeconds(e, now)));
  out.append(" cas=").append(std::to_string(e->cas()));
  out.append(" fetch=").append((e->mc_state() & Entry::kMcFetched) ? "yes" : "no");
  out.append(" cls=1 size=").append(std::to_string(59 + key.size() + e->str().size()));
  out.append("\r\n");
}

// ---------------------------------------------------------------------------

bool Base64Decode(std::string_view in, std::string* out) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  if (in.size() % 4 != 0) return false;
  out->clear();
  for (size_t i = 0; i < in.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int j = 0; j < 4; ++j) {
      char c = in[i + static_cast<size_t>(j)];
      if (c == '=' && i + 4 == in.size() && j >= 2) {
        v[j] = 0;
        ++pad;
      } else {
        v[j] = val(c);
        if (v[j] < 0 || pad > 0) return false;
      }
    }
    uint32_t n = static_cast<uint32_t>(v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3]);
    out->push_back(static_cast<char>(n >> 16));
    if (pad < 2) out->push_back(static_cast<char>((n >> 8) & 0xff));
    if (pad < 1) out->push_back(static_cast<char>(n & 0xff));
  }
  return true;
}

std::string Base64Encode(std::string_view in) {
  static const char kTable[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t n = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<uint8_t>(in[i + 1]) << 8;
    if (i + 2 < in.size()) n |= static_cast<uint8_t>(in[i + 2]);
    out.push_back(kTable[(n >> 18) & 63]);
    out.push_back(kTable[(n >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? kTable[(n >> 6) & 63] : '=');
    out.push_back(i + 2 < in.size() ? kTable[n & 63] : '=');
  }
  return out;
}

}  // namespace magpie
