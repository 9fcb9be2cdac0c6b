// The memcached protocol (text and meta commands, memcached 1.6) over
// database 0 of the shared keyspace.
//
// A session belongs to one connection. It consumes complete requests from
// the connection's input buffer and appends replies to its output buffer;
// every request in a read is answered before one write, so a pipeline of
// gets costs one syscall rather than one per request.
//
// Items are ordinary string entries: a value stored here is read by Redis
// GET and the reverse. Client flags and the CAS unique live in the entry's
// optional memcached block (store/entry.h); values Redis wrote have flags 0
// and get a CAS unique the first time a memcached client asks for one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/buffer.h"

namespace magpie {

class Server;

class MemcacheSession {
 public:
  explicit MemcacheSession(Server& server) : server_(server) {}

  // Runs every complete request in `in`; returns false when the connection
  // must be closed once `out` is flushed (quit, or a fatal protocol error).
  bool Process(IoBuffer& in, std::string& out);

  // Longest request line accepted (memcached's limit for non-get lines).
  static constexpr size_t kMaxLine = 2048;
  static constexpr size_t kMaxKey = 250;

 private:
  enum class Status { kDone, kNeedMore, kClose };
  Status ProcessOne(IoBuffer& in, std::string& out);
  Status ProcessCommand(const std::vector<std::string_view>& t, size_t line_len, IoBuffer& in,
                        std::string& out);
  Status Execute(const std::vector<std::string_view>& t, size_t line_len, IoBuffer& in,
                        std::string& out);
  Status Storage(const std::vector<std::string_view>& t, std::string_view data_area,
                 size_t line_len, IoBuffer& in, std::string& out);
  void Retrieval(const std::vector<std::string_view>& t, std::string& out);
  void Delete(const std::vector<std::string_view>& t, std::string& out);
  void Arithmetic(const std::vector<std::string_view>& t, std::string& out);
  void Touch(const std::vector<std::string_view>& t, std::string& out);
  void FlushAll(const std::vector<std::string_view>& t, std::string& out);
  void Stats(const std::vector<std::string_view>& t, std::string& out);
  Status MetaSet(const std::vector<std::string_view>& t, size_t line_len, IoBuffer& in,
                 std::string& out);
  void MetaGet(const std::vector<std::string_view>& t, std::string& out);
  void MetaDelete(const std::vector<std::string_view>& t, std::string& out);
  void MetaArithmetic(const std::vector<std::string_view>& t, std::string& out);
  void MetaDebug(const std::vector<std::string_view>& t, std::string& out);

  Server& server_;
  size_t swallow_ = 0;  // bytes of a refused data block still to discard
  std::vector<std::string_view> tokens_;  // the request being run, split at spaces
};

// memcached's exptime → absolute ms (-1: never; 0: already expired).
int64_t MemcacheExpireMs(int64_t exptime, int64_t now_ms);

// Base64 for meta-protocol binary keys (flag b).
bool Base64Decode(std::string_view in, std::string* out);
std::string Base64Encode(std::string_view in);

}  // namespace magpie
