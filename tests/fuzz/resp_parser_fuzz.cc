// libFuzzer target for the request parser: arbitrary bytes, split at an
// arbitrary point to exercise resumption, must never crash, overrun or loop,
// and every accepted argument must lie inside the input.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/resp_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  bool authenticated = data[0] & 1;
  size_t split = size > 1 ? data[1] % size : 0;
  std::string buf(reinterpret_cast<const char*>(data), size);
  magpie::RespParser parser;
  parser.set_authenticated(authenticated);
  parser.set_max_bulk_len(1 << 20);
  std::vector<std::string_view> args;
  size_t pos = 0;
  while (pos < buf.size()) {
    // Offer a prefix first, then everything: exercises resumption.
    size_t avail = buf.size() - pos;
    size_t part = std::min(avail, split);
    size_t consumed = 0;
    auto st = parser.Parse(buf.data() + pos, part, &consumed, &args);
    if (st == magpie::RespParser::Status::kNeedMore && part < avail) {
      st = parser.Parse(buf.data() + pos, avail, &consumed, &args);
    }
    if (st != magpie::RespParser::Status::kOk) break;
    if (consumed == 0 || consumed > avail) __builtin_trap();
    if (buf[pos] == '*') {
      for (std::string_view a : args) {
        if (a.data() < buf.data() || a.data() + a.size() > buf.data() + buf.size()) __builtin_trap();
      }
    }
    pos += consumed;
  }
  return 0;
}
