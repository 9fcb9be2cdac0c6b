#include "persistence/rdb_codec.h"

#include <lzf.h>

#include <array>

namespace magpie::rdb {

namespace {

// The reflected Jones polynomial 0xad93d23594c935a9.
constexpr uint64_t kPolyReflected = 0x95ac9329ac4bc9b5ULL;

std::array<uint64_t, 256> MakeTable() {
  std::array<uint64_t, 256> t{};
  for (uint64_t i = 0; i < 256; ++i) {
    uint64_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPolyReflected : c >> 1;
    t[i] = c;
  }
  return t;
}

constexpr uint8_t kEncInt8 = 0, kEncInt16 = 1, kEncInt32 = 2, kEncLzf = 3;

// A length or a special-encoding marker (*encoded set).
std::optional<uint64_t> ReadLengthOrEncoding(std::string_view* in, bool* encoded) {
  *encoded = false;
  if (in->empty()) return std::nullopt;
  uint8_t b = static_cast<uint8_t>((*in)[0]);
  uint8_t kind = b >> 6;
  if (kind == 0) {
    in->remove_prefix(1);
    return b & 0x3f;
  }
  if (kind == 1) {
    if (in->size() < 2) return std::nullopt;
    uint64_t v = (static_cast<uint64_t>(b & 0x3f) << 8) | static_cast<uint8_t>((*in)[1]);
    in->remove_prefix(2);
    return v;
  }
  if (kind == 3) {
    in->remove_prefix(1);
    *encoded = true;
    return b & 0x3f;
  }
  size_t n = b == 0x80 ? 4 : b == 0x81 ? 8 : 0;
  if (n == 0 || in->size() < 1 + n) return std::nullopt;
  uint64_t v = 0;
  for (size_t i = 1; i <= n; ++i) v = (v << 8) | static_cast<uint8_t>((*in)[i]);
  in->remove_prefix(1 + n);
  return v;
}

}  // namespace

uint64_t Crc64(uint64_t crc, std::string_view data) {
  static const std::array<uint64_t, 256> kTable = MakeTable();
  for (unsigned char ch : data) crc = kTable[(crc ^ ch) & 0xff] ^ (crc >> 8);
  return crc;
}

void AppendLength(std::string* out, uint64_t len) {
  if (len < (1u << 6)) {
    out->push_back(static_cast<char>(len));
  } else if (len < (1u << 14)) {
    out->push_back(static_cast<char>(0x40 | (len >> 8)));
    out->push_back(static_cast<char>(len & 0xff));
  } else if (len <= UINT32_MAX) {
    out->push_back(static_cast<char>(0x80));
    for (int s = 24; s >= 0; s -= 8) out->push_back(static_cast<char>((len >> s) & 0xff));
  } else {
    out->push_back(static_cast<char>(0x81));
    for (int s = 56; s >= 0; s -= 8) out->push_back(static_cast<char>((len >> s) & 0xff));
  }
}

void AppendString(std::string* out, std::string_view s) {
  AppendLength(out, s.size());
  out->append(s);
}

void AppendTrailer(std::string* out) {
  out->push_back(static_cast<char>(kVersion & 0xff));
  out->push_back(static_cast<char>(kVersion >> 8));
  uint64_t crc = Crc64(0, *out);
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
}

std::optional<std::string_view> CheckTrailer(std::string_view payload) {
  if (payload.size() < 10) return std::nullopt;
  size_t body = payload.size() - 10;
  uint16_t version = static_cast<uint16_t>(static_cast<uint8_t>(payload[body]) |
                                           (static_cast<uint8_t>(payload[body + 1]) << 8));
  if (version > kVersion) return std::nullopt;
  uint64_t crc = 0;
  for (int i = 0; i < 8; ++i) {
    crc |= static_cast<uint64_t>(static_cast<uint8_t>(payload[body + 2 + i])) << (8 * i);
  }
  if (crc != Crc64(0, payload.substr(0, body + 2))) return std::nullopt;
  return payload.substr(0, body);
}

std::optional<uint64_t> ReadLength(std::string_view* in) {
  bool encoded = false;
  std::optional<uint64_t> v = ReadLengthOrEncoding(in, &encoded);
  if (!v || encoded) return std::nullopt;
  return v;
}

std::optional<std::string> ReadString(std::string_view* in) {
  bool encoded = false;
  std::optional<uint64_t> v = ReadLengthOrEncoding(in, &encoded);
  if (!v) return std::nullopt;
  if (!encoded) {
    if (in->size() < *v) return std::nullopt;
    std::string s(in->substr(0, *v));
    in->remove_prefix(*v);
    return s;
  }
  auto little = [&](size_t n) -> std::optional<int64_t> {
    if (in->size() < n) return std::nullopt;
    uint64_t u = 0;
    for (size_t i = 0; i < n; ++i) u |= static_cast<uint64_t>(static_cast<uint8_t>((*in)[i])) << (8 * i);
    in->remove_prefix(n);
    int shift = static_cast<int>(64 - 8 * n);
    return static_cast<int64_t>(u << shift) >> shift;  // sign-extend
  };
  switch (*v) {
    case kEncInt8:
    case kEncInt16:
    case kEncInt32: {
      std::optional<int64_t> n = little(*v == kEncInt8 ? 1 : *v == kEncInt16 ? 2 : 4);
      if (!n) return std::nullopt;
      return std::to_string(*n);
    }
    case kEncLzf: {
      std::optional<uint64_t> clen = ReadLength(in);
      std::optional<uint64_t> len = ReadLength(in);
      // LZF expands at most 88-fold (a 3-byte back-reference copies 264
      // bytes): a larger claimed length is corrupt, and must not be
      // allocated.
      if (!clen || !len || in->size() < *clen || *len > (1ULL << 32) ||
          *len > *clen * 88 + 64) {
        return std::nullopt;
      }
      std::string s(*len, '\0');
      if (*len > 0 && lzf_decompress(in->data(), static_cast<unsigned int>(*clen), s.data(),
                                     static_cast<unsigned int>(*len)) != *len) {
        return std::nullopt;
      }
      in->remove_prefix(*clen);
      return s;
    }
    default:
      return std::nullopt;
  }
}

}  // namespace magpie::rdb
