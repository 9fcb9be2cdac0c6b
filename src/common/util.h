// Small helpers shared by every layer: strict number parsing with Redis's
// rules, Redis's number formatting, glob matching, the cluster hash slot and
// clocks. Everything here is pure and allocation-free unless it returns a
// std::string.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace magpie {

// Parses a signed 64-bit decimal integer exactly as Redis's string2ll: no
// leading '+', no spaces, no leading zeros (except "0"), no overflow.
std::optional<int64_t> ParseInt64(std::string_view s);

// Parses a SCAN-family cursor as Redis does, with strtoul: an optional sign
// (a '-' wraps around), decimal digits with any leading zeros, no overflow;
// an empty string is 0.
std::optional<uint64_t> ParseScanCursor(std::string_view s);

// Parses a long double the way Redis's string2ld does: strtold on the whole
// string, no spaces, no NaN; "inf"/"-inf" accepted.
std::optional<long double> ParseLongDouble(std::string_view s);

// Parses a double the way Redis's getDoubleFromObject does (strtod, no
// spaces, no NaN).
std::optional<double> ParseDouble(std::string_view s);

// Formats a long double as Redis's INCRBYFLOAT reply does (humanfriendly:
// %.17Lf with trailing zeros and point removed).
std::string FormatLongDouble(long double v);

// Formats a double as Redis's RESP2 bulk/RESP3 double does (%.17g, "inf").
std::string FormatDouble(double v);

// Writes the decimal representation of v into buf (at least 21 bytes) and
// returns its length.
size_t FormatInt64(int64_t v, char* buf);

// Glob-style matching with Redis's stringmatchlen rules: * ? [abc] [^a] [a-z]
// and backslash escapes.
bool GlobMatch(std::string_view pattern, std::string_view s, bool nocase = false);

// Redis Cluster hash slot of a key: CRC16-CCITT (XMODEM) of the key or of
// the first non-empty {hash tag} in it, modulo 16384.
uint16_t KeySlot(std::string_view key);
uint16_t Crc16(const char* buf, size_t len);

// Wall clock in milliseconds / microseconds since the Unix epoch.
int64_t NowMs();
int64_t NowUs();
// Monotonic clock in microseconds.
int64_t MonotonicUs();

// The part of s before its first NUL: what Redis shows when it formats an
// argument into an error with %s.
inline std::string CStr(std::string_view s) { return std::string(s.substr(0, s.find('\0'))); }

// ASCII case-insensitive comparison.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
void ToLowerInPlace(std::string& s);
std::string ToLower(std::string_view s);

// Renders a byte count as Redis's bytesToHuman does ("1.00K", "12.34M").
std::string BytesToHuman(uint64_t n);

// Parses a memory size with Redis's units: 1k=1000, 1kb=1024, m, mb, g, gb.
std::optional<int64_t> ParseMemory(std::string_view s);

}  // namespace magpie
