// The pieces of Redis's RDB serialization that DUMP payloads are made of:
// length and string encodings, the payload trailer (RDB version and
// CRC-64), and the CRC-64 Redis uses (Jones polynomial, reflected, no final
// xor). FUNCTION DUMP/RESTORE use them today; key DUMP/RESTORE and RDB
// files build on the same functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace magpie::rdb {

// The RDB format version Magpie writes (Redis 7.0's).
inline constexpr uint16_t kVersion = 10;
// The redis-ver AUX field Magpie's files carry (the Redis release whose
// format and semantics they follow).
inline constexpr const char* kRedisVersionAux = "7.0.15";
// The oldest and newest file versions Magpie reads (Redis 2.x .. 7.4).
inline constexpr int kMinReadVersion = 1;
inline constexpr int kMaxReadVersion = 12;

// File opcodes.
inline constexpr uint8_t kOpModuleAux = 247;
inline constexpr uint8_t kOpIdle = 248;
inline constexpr uint8_t kOpFreq = 249;
inline constexpr uint8_t kOpAux = 250;
inline constexpr uint8_t kOpResizeDb = 251;
inline constexpr uint8_t kOpExpireTimeMs = 252;
inline constexpr uint8_t kOpExpireTime = 253;
inline constexpr uint8_t kOpSelectDb = 254;
inline constexpr uint8_t kOpEof = 255;
// Opcode of one function library in a FUNCTION DUMP payload (and RDB).
inline constexpr uint8_t kOpFunction2 = 245;
// The pre-release function opcode Redis 7.0 refuses.
inline constexpr uint8_t kOpFunctionPreGa = 246;

uint64_t Crc64(uint64_t crc, std::string_view data);

void AppendLength(std::string* out, uint64_t len);
void AppendString(std::string* out, std::string_view s);
// Appends the RDB version (little endian) and the CRC-64 of everything
// before it, as DUMP payloads end.
void AppendTrailer(std::string* out);
// Checks a DUMP payload's trailer: a version Magpie can read and a
// matching CRC-64. Returns the body without the trailer.
std::optional<std::string_view> CheckTrailer(std::string_view payload);

// Reads from the front of *in, advancing it; nullopt on malformed input.
std::optional<uint64_t> ReadLength(std::string_view* in);
// A string in any of its encodings: raw, 8/16/32-bit integer, LZF.
std::optional<std::string> ReadString(std::string_view* in);

}  // namespace magpie::rdb
