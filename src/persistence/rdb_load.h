// Loading an RDB file (Redis 7.0's format version 10, and older and newer
// versions up to Redis 7.4's 12) into the keyspace.
//
// All or nothing: the file is mapped, its CRC-64 checked, and every record
// parsed into entries first; only a file that parses to its EOF opcode is
// installed. A malformed file leaves the keyspace as it was and yields an
// error naming the file and the byte offset where parsing stopped.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace magpie {

class Keyspace;

struct RdbLoadResult {
  bool ok = false;
  std::string error;  // "<reason> (file '<path>', offset N)" when !ok
  uint64_t keys_loaded = 0;
  uint64_t keys_expired = 0;  // skipped: already expired
  std::string redis_ver;      // the redis-ver AUX field, if any
  // Code of every FUNCTION library in the file, in file order.
  std::vector<std::string> functions;
};

// Loads `path` into `ks`, whose databases the file's keys must not already
// hold (a duplicate key is an error, as in Redis). Keys already expired at
// `now_ms` are skipped.
RdbLoadResult LoadRdbFile(const std::string& path, Keyspace& ks, int64_t now_ms);
// The same from bytes in memory (tests, fuzzing, an AOF's RDB preamble).
RdbLoadResult LoadRdbBytes(std::string_view data, const std::string& name, Keyspace& ks,
                           int64_t now_ms);

}  // namespace magpie
