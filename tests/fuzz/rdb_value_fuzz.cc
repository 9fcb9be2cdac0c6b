// libFuzzer target for the RDB value reader (persistence/rdb_value.h): the
// input is a DUMP payload (the seeds are real redis-server 7.0 payloads)
// or, when its trailer does not check out, raw "[type byte][body]". Every
// input must be rejected cleanly or decode into a value that writes out
// and reads back again; never a crash, hang or over-read.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "persistence/rdb_codec.h"
#include "persistence/rdb_value.h"
#include "store/entry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto body = magpie::rdb::CheckTrailer(in)) in = *body;
  if (in.empty()) return 0;
  uint8_t type = static_cast<uint8_t>(in[0]);
  in.remove_prefix(1);
  std::string err;
  magpie::Entry* e = magpie::rdb::ReadObject(type, &in, "k", &err);
  if (e == nullptr) return 0;
  magpie::rdb::Writer w;
  magpie::rdb::WriteObject(w, *e);
  std::string_view again(w.out);
  again.remove_prefix(1);
  magpie::Entry* back =
      magpie::rdb::ReadObject(static_cast<uint8_t>(w.out[0]), &again, "k", &err);
  // What Magpie wrote it must read back, completely.
  if (back == nullptr || !again.empty()) abort();
  magpie::Entry::Free(back);
  magpie::Entry::Free(e);
  return 0;
}
