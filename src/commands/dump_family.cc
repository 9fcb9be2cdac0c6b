// DUMP and RESTORE: a key's value as Redis's serialized payload — one RDB
// object (persistence/rdb_value.h), the RDB version (2 bytes, little
// endian) and a CRC-64 of everything before it (persistence/rdb_codec.h) —
// so payloads move between Magpie and redis-server in both directions.
//
// RESTORE follows Redis 7.0's restoreCommand step for step: options first
// (IDLETIME and FREQ exclude each other by syntax), then BUSYKEY, then the
// TTL, then the payload's trailer ("DUMP payload version or checksum are
// wrong") and its body ("Bad data format"). A TTL already in the past
// restores nothing; with REPLACE the old key is deleted all the same
// ("del"). Otherwise the key is added ("new", then "restore") and its
// access clock set from IDLETIME / FREQ under the matching policy.
#include <climits>
#include <string>

#include "commands/command.h"
#include "commands/helpers.h"
#include "persistence/rdb_codec.h"
#include "persistence/rdb_value.h"
#include "server/blocking.h"
#include "server/connection.h"
#include "server/server.h"

namespace magpie {

namespace {

void Dump(CommandContext& c) {
  KeyLock k(c.db(), c.arg(1));
  Entry* e = LookupRead(k.shard, k.ref, c.now_ms);
  if (e == nullptr) return c.reply.Null();
  rdb::Writer w;
  rdb::WriteObject(w, *e);
  rdb::AppendTrailer(&w.out);
  c.reply.Bulk(w.out);
}

// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
void Restore(CommandContext& c) {
  bool replace = false, absttl = false;
  int64_t lfu_freq = -1, lru_idle = -1;
  for (size_t j = 4; j < c.argc(); ++j) {
    std::string_view a = c.arg(j);
    bool more = j + 1 < c.argc();
    if (EqualsIgnoreCase(a, "replace")) {
      replace = true;
    } else if (EqualsIgnoreCase(a, "absttl")) {
      absttl = true;
    } else if (EqualsIgnoreCase(a, "idletime") && more && lfu_freq == -1) {
      auto v = IntArg(c, c.arg(++j));
      if (!v) return;
      if (*v < 0) return c.reply.Error("ERR Invalid IDLETIME value, must be >= 0");
      lru_idle = *v;
    } else if (EqualsIgnoreCase(a, "freq") && more && lru_idle == -1) {
      auto v = IntArg(c, c.arg(++j));
      if (!v) return;
      if (*v < 0 || *v > 255) return c.reply.Error("ERR Invalid FREQ value, must be >= 0 and <= 255");
      lfu_freq = *v;
    } else {
      return c.reply.Error(err::kSyntax);
    }
  }
  KeyLock k(c.db(), c.arg(1));
  Entry* old = LookupWrite(k.shard, k.ref, c.now_ms);
  if (!replace && old != nullptr) return c.reply.Error("BUSYKEY Target key name already exists.");
  auto ttl = IntArg(c, c.arg(2));
  if (!ttl) return;
  if (*ttl < 0) return c.reply.Error("ERR Invalid TTL value, must be >= 0");
  std::optional<std::string_view> body = rdb::CheckTrailer(c.arg(3));
  if (!body) return c.reply.Error("ERR DUMP payload version or checksum are wrong");
  std::string why;
  Entry* e = nullptr;
  if (!body->empty()) {
    uint8_t type = static_cast<uint8_t>((*body)[0]);
    body->remove_prefix(1);
    if (rdb::IsObjectType(type)) e = rdb::ReadObject(type, &*body, c.arg(1), &why);
  }
  if (e == nullptr) return c.reply.Error("ERR Bad data format");

  bool deleted = replace && old != nullptr && k.shard.Erase(k.ref);
  int64_t when = *ttl;
  if (when != 0 && !absttl) {
    when = static_cast<int64_t>(static_cast<uint64_t>(when) + static_cast<uint64_t>(c.now_ms));
  }
  if (when != 0 && when <= c.now_ms) {
    Entry::Free(e);
    if (deleted) Notify(c, kNotifyGeneric, "del", c.arg(1));
    return c.reply.Ok();
  }
  if (when != 0) {
    Entry* timed = e->CloneAs(c.arg(1), when, false);
    Entry::Free(e);
    e = timed;
  }
  k.shard.Insert(k.ref, e);
  SetRestoredAccess(e, lfu_freq, lru_idle, c.now_ms);
  SignalKeyReady(c.conn.db(), c.arg(1));
  Notify(c, kNotifyGeneric, "restore", c.arg(1));
  c.reply.Ok();
}

CommandSpec Cmd(const char* name, int arity, uint32_t flags, const char* cats, const char* since,
                const char* summary, CommandHandler h) {
  return MakeCommand(name, arity, flags, {1, 1, 1}, cats, "generic", since, summary, h);
}

}  // namespace

void RegisterDumpFamily(CommandRegistry& r) {
  r.Add(Cmd("dump", 2, kCmdReadOnly, "@keyspace", "2.6.0", "Returns a serialized representation of the value stored at a key.", Dump));
  r.Add(Cmd("restore", -4, kCmdWrite | kCmdDenyOom, "@keyspace @dangerous", "2.6.0", "Creates a key from the serialized representation of a value.", Restore));
}

}  // namespace magpie
