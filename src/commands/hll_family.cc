// HyperLogLog commands: PFADD PFCOUNT PFMERGE over string values in Redis's
// HLL format (types/hll.h), so values move between Redis and Magpie with
// GET/SET and keep their counts.
//
// Dense values are updated in place; sparse ones are rewritten in a copy and
// stored back (they are at most hll-sparse-max-bytes long). PFCOUNT on one
// key stores the cardinality it computes in the header cache, as Redis does,
// so GET after PFCOUNT shows the same bytes on both servers.
#include <cstring>
#include <string>
#include <vector>

#include "commands/command.h"
#include "commands/helpers.h"
#include "server/connection.h"
#include "server/server.h"
#include "types/hll.h"

namespace magpie {

namespace {

constexpr std::string_view kNotHll = "WRONGTYPE Key is not a valid HyperLogLog string value.";
constexpr std::string_view kCorruptHll = "INVALIDOBJ Corrupted HLL object detected";

// Checks that a found entry holds an HLL string, replying Redis's error when
// it does not.
bool CheckHll(CommandContext& c, Entry* e) {
  if (e->type() != ObjType::kString) {
    c.reply.Error(err::kWrongType);
    return false;
  }
  if (!hll::LooksValid(e->str())) {
    c.reply.Error(kNotHll);
    return false;
  }
  return true;
}

// Marks an entry's string as changed in place (raw, as Redis's unshared
// string; a new memcached CAS).
void Touched(Shard& shard, Entry* e) {
  e->set_encoding(Encoding::kRaw);
  shard.Modified(e);
}

// Stores `v` as the value of the locked key: in place when it fits, else in
// a new entry that keeps the TTL. A sparse value gets room to grow.
void StoreHll(Shard& shard, const KeyRef& ref, Entry* e, std::string_view key, std::string_view v) {
  size_t capacity = hll::IsDense(v) ? v.size() : v.size() * 2;
  if (e == nullptr) {
    e = Entry::NewString(key, v, -1, capacity);
    shard.Insert(ref, e);
  } else if (v.size() <= e->str_capacity()) {
    memcpy(e->mutable_str(), v.data(), v.size());
    e->set_str_len(v.size());
  } else {
    Entry* grown = e->WithValue(v, capacity);
    shard.Replace(e, grown, ref);
    e = grown;
  }
  Touched(shard, e);
}

size_t SparseMaxBytes(CommandContext& c) {
  return static_cast<size_t>(c.server.config().hll_sparse_max_bytes.load());
}

// PFADD key [element ...]
void PfAdd(CommandContext& c) {
  KeyLock k(c.db(), c.arg(1));
  Entry* e = LookupWrite(k.shard, k.ref, c.now_ms);
  if (e != nullptr && !CheckHll(c, e)) return;
  int64_t updated = 0;
  if (e != nullptr && hll::IsDense(e->str())) {
    char* s = e->mutable_str();
    auto* regs = reinterpret_cast<uint8_t*>(s) + hll::kHeaderSize;
    for (size_t i = 2; i < c.argc(); ++i) {
      hll::Observation o = hll::Observe(c.arg(i));
      if (hll::DenseRaise(regs, o.index, o.rank)) ++updated;
    }
    if (updated) {
      hll::InvalidateCache(s);
      Touched(k.shard, e);
      Notify(c, kNotifyString, "pfadd", c.arg(1));
    }
    return c.reply.Int(updated ? 1 : 0);
  }
  std::string v = e != nullptr ? std::string(e->str()) : hll::NewSparse();
  if (e == nullptr) updated = 1;
  size_t max_bytes = SparseMaxBytes(c);
  bool corrupt = false;
  for (size_t i = 2; i < c.argc() && !corrupt; ++i) {
    int r = hll::Add(&v, c.arg(i), max_bytes);
    if (r < 0) corrupt = true;
    if (r > 0) ++updated;
  }
  if (updated && !corrupt) hll::InvalidateCache(v.data());
  // Redis keeps the registers changed before it met the corruption.
  StoreHll(k.shard, k.ref, e, c.arg(1), v);
  if (updated && !corrupt) Notify(c, kNotifyString, "pfadd", c.arg(1));
  if (corrupt) return c.reply.Error(kCorruptHll);
  c.reply.Int(updated ? 1 : 0);
}

// PFCOUNT of one key: the cached cardinality, or a fresh one stored back.
void PfCountOne(CommandContext& c) {
  KeyLock k(c.db(), c.arg(1));
  Entry* e = LookupRead(k.shard, k.ref, c.now_ms);
  if (e == nullptr) return c.reply.Int(0);
  if (!CheckHll(c, e)) return;
  e->set_encoding(Encoding::kRaw);  // Redis unshares the value even to read the cache
  if (hll::CacheValid(e->str())) {
    return c.reply.Int(static_cast<int64_t>(hll::CachedCardinality(e->str())));
  }
  auto card = hll::Count(e->str());
  if (!card) return c.reply.Error(kCorruptHll);
  hll::StoreCardinality(e->mutable_str(), *card);
  Touched(k.shard, e);
  c.reply.Int(static_cast<int64_t>(*card));
}

// Folds the registers of every key from args[first] on into `max`; whether
// any of them is dense goes to *any_dense. False after replying an error.
bool MergeKeys(CommandContext& c, KeysLock& locks, std::vector<uint8_t>* max, bool* any_dense) {
  for (size_t i = 0; i < locks.size(); ++i) {
    Entry* e = LookupRead(locks.shard(i), locks.ref(i), c.now_ms);
    if (e == nullptr) continue;  // a missing key is an empty HLL
    if (!CheckHll(c, e)) return false;
    if (hll::IsDense(e->str())) *any_dense = true;
    if (!hll::MergeInto(e->str(), max->data())) {
      c.reply.Error(kCorruptHll);
      return false;
    }
  }
  return true;
}

// PFCOUNT key [key ...]: several keys count their union and change nothing.
void PfCount(CommandContext& c) {
  if (c.argc() == 2) return PfCountOne(c);
  KeysLock locks;
  locks.LockArgs(c.db(), c.args, 1);
  std::vector<uint8_t> max(hll::kRegisters, 0);
  bool any_dense = false;
  if (!MergeKeys(c, locks, &max, &any_dense)) return;
  c.reply.Int(static_cast<int64_t>(hll::CountRegisters(max.data())));
}

// PFMERGE destkey [sourcekey ...]: the destination takes part in the union.
void PfMerge(CommandContext& c) {
  KeysLock locks;
  locks.LockArgs(c.db(), c.args, 1);
  std::vector<uint8_t> max(hll::kRegisters, 0);
  bool any_dense = false;
  if (!MergeKeys(c, locks, &max, &any_dense)) return;
  Entry* e = LookupWrite(locks.shard(0), locks.ref(0), c.now_ms);
  std::string v = e != nullptr ? std::string(e->str()) : hll::NewSparse();
  if (any_dense && !hll::SparseToDense(&v)) return c.reply.Error(kCorruptHll);
  size_t max_bytes = SparseMaxBytes(c);
  for (uint32_t i = 0; i < hll::kRegisters; ++i) {
    if (max[i] != 0) hll::Raise(&v, i, max[i], max_bytes);
  }
  hll::InvalidateCache(v.data());
  StoreHll(locks.shard(0), locks.ref(0), e, c.arg(1), v);
  Notify(c, kNotifyString, "pfadd", c.arg(1));
  c.reply.Ok();
}

CommandSpec Cmd(const char* name, uint32_t flags, int last, const char* summary,
                const char* complexity, CommandHandler h) {
  return MakeCommand(name, -2, flags, {1, last, 1}, "@hyperloglog", "hyperloglog", "2.8.9", summary,
                     h, complexity);
}

}  // namespace

void RegisterHllFamily(CommandRegistry& r) {
  constexpr uint32_t kW = kCmdWrite | kCmdDenyOom;
  r.Add(Cmd("pfadd", kW | kCmdFast, 1, "Adds the specified elements to the specified HyperLogLog.",
            "O(1) to add every element.", PfAdd));
  r.Add(Cmd(
      "pfcount", kCmdReadOnly, -1,
      "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).",
      "O(1) with a very small average constant time when called with a single key. O(N) with N "
      "being the number of keys, and much bigger constant times, when called with multiple keys.",
      PfCount));
  r.Add(Cmd("pfmerge", kW, -1, "Merge N different HyperLogLogs into a single one.",
            "O(N) to merge N HyperLogLogs, but with high constant times.", PfMerge));
}

}  // namespace magpie
