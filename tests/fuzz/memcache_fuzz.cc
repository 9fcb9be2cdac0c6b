// libFuzzer target for the memcached protocol session: arbitrary bytes,
// delivered in two pieces, run against a real (not listening) server's
// keyspace. Must never crash, hang or overrun.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "memcache/memcache_session.h"
#include "server/config.h"
#include "server/server.h"
#include "store/db.h"

namespace {

magpie::Server& TheServer() {
  static magpie::Server* server = [] {
    auto config = std::make_unique<magpie::Config>();
    config->databases = 1;
    config->memcached_max_item_size = 4096;
    return new magpie::Server(std::move(config));
  }();
  return *server;
}

void Feed(magpie::MemcacheSession& session, magpie::IoBuffer& in, const uint8_t* data, size_t n,
          std::string& out) {
  memcpy(in.WritableSpace(n), data, n);
  in.Commit(n);
  session.Process(in, out);
  out.clear();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t split = data[0] % size;
  magpie::MemcacheSession session(TheServer());
  magpie::IoBuffer in;
  std::string out;
  Feed(session, in, data + 1, split > 0 ? split - 1 : 0, out);
  Feed(session, in, data + std::max<size_t>(split, 1), size - std::max<size_t>(split, 1), out);
  // Each input starts from an empty keyspace (and LeakSanitizer cannot see
  // the tagged pointers in the tables, so entries must not outlive a run).
  magpie::FlushDatabases(TheServer().keyspace(), 0, 0, false);
  return 0;
}
