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
