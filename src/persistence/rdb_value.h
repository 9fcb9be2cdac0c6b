// The value layer of RDB files and DUMP/RESTORE payloads: one key's value
// as an RDB object (type byte + body, RDB format 10, Redis 7.0), both ways.
//
// WriteObject writes what Redis 7.0 writes for the same value: strings with
// Redis's integer and LZF encodings, lists as quicklist2 (one listpack per
// Magpie node), small hashes and sorted sets as Redis listpacks, intsets as
// Redis intsets, everything else in the plain types (4 hash, 2 set, 5 zset
// with binary doubles). Magpie's set listpack (a Redis 7.2 encoding) is
// written as a plain set, since Redis 7.0 cannot read type 20. A hash with
// at least one field TTL has no RDB 10 form: it is written in Redis 7.4's
// types (25 listpack-ex, 24 hash-with-metadata), which Redis 7.4 reads and
// 7.0 refuses; a hash without field TTLs is always type 16 or 4.
//
// ReadObject accepts every object type Redis 7.0-7.4 writes except streams
// and modules, validates every blob completely (Magpie always sanitizes as
// Redis does with sanitize-dump-payload yes: bounds, counts, duplicates),
// and builds the value in the encoding Magpie's own commands would give it
// under the current thresholds (hash-max-listpack-entries, ...), converting
// at the points Redis's loader converts.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "store/entry.h"

namespace magpie {
class Config;
}

namespace magpie::rdb {

// Where encoded bytes go. Encoders append to `out` and call Spill() between
// elements (so one huge collection never has to sit whole in memory when a
// file is the destination); with no sink everything stays in `out` (DUMP).
class Writer {
 public:
  std::string out;
  std::function<void(std::string_view)> sink;  // null: keep everything in out
  size_t spill_at = 1 << 16;
  // rdbcompression: LZF-compress strings (and blobs) longer than 20 bytes.
  bool compress = true;
  void Spill() {
    if (sink && out.size() >= spill_at) {
      sink(out);
      out.clear();
    }
  }
};

// RDB object type bytes.
enum ObjectType : uint8_t {
  kTypeString = 0,
  kTypeList = 1,
  kTypeSet = 2,
  kTypeZSet = 3,
  kTypeHash = 4,
  kTypeZSet2 = 5,
  kTypeModulePreGa = 6,
  kTypeModule2 = 7,
  kTypeHashZipmap = 9,
  kTypeListZiplist = 10,
  kTypeSetIntset = 11,
  kTypeZSetZiplist = 12,
  kTypeHashZiplist = 13,
  kTypeListQuicklist = 14,
  kTypeStreamListpacks = 15,
  kTypeHashListpack = 16,
  kTypeZSetListpack = 17,
  kTypeListQuicklist2 = 18,
  kTypeStreamListpacks2 = 19,
  kTypeSetListpack = 20,
  kTypeStreamListpacks3 = 21,
  kTypeHashMetadataPreGa = 22,
  kTypeHashListpackExPreGa = 23,
  kTypeHashMetadata = 24,
  kTypeHashListpackEx = 25,
};

// ReadObject's *err for a value that decoded fine but holds no element
// (Redis skips such keys when loading a file; RESTORE calls it bad data).
inline constexpr std::string_view kEmptyKeyError = "empty key";

// True for the object type bytes (0..25, Redis 7.0–7.4), false for opcodes (0xF0..0xFF) etc.
// As Redis's rdbIsObjectType: 0..7 and 9..25 (8 was never assigned).
bool IsObjectType(uint8_t type);

// Appends the RDB type byte Redis 7.0 would write for this value, then the value (RDB v10).
// `e` is a live entry (string or collection); the caller holds its shard lock.
void WriteObject(Writer& w, const Entry& e);

// Reads the value of object type `type` (the byte already consumed) from the front of *in,
// advancing it; returns a new Entry under `key` with no TTL and the in-memory encoding Redis
// would choose for it under the current config thresholds (hash-max-listpack-entries, etc.).
// On malformed input or an unsupported type returns nullptr and sets *err (short reason,
// e.g. "unknown object type 15 (streams are not supported)").
Entry* ReadObject(uint8_t type, std::string_view* in, std::string_view key, std::string* err);

// The string encodings Redis's rdbSaveRawString picks: an integer encoding
// for canonical decimals that fit 32 bits, LZF when `compress` and it
// saves at least 4 bytes of a string longer than 20, raw otherwise.
void AppendRedisString(std::string* out, std::string_view s, bool compress);

// The config whose thresholds ReadObject follows (the server's, set once at
// startup); without one, Redis's defaults.
void SetConfig(const Config* cfg);

}  // namespace magpie::rdb
