// Incremental parser for client requests: RESP multibulk arrays and inline
// commands, with Redis's limits and error strings.
//
// The parser works over the connection's read buffer without copying bulk
// arguments: on success the argument views point into the caller's buffer
// (inline commands, which may need unescaping, point into the parser's own
// scratch storage). A partially received command keeps its progress as
// offsets relative to the command's first byte, so the caller may move the
// unconsumed bytes to the front of its buffer between calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace magpie {

class RespParser {
 public:
  enum class Status { kOk, kNeedMore, kError };

  // Longest inline command or header line Redis accepts (PROTO_INLINE_MAX_SIZE).
  static constexpr size_t kMaxInlineSize = 64 * 1024;

  // Parses at most one command from data[0, len). On kOk, *consumed is the
  // number of bytes the command occupied and args holds its arguments (an
  // empty args vector means an empty command to skip). On kNeedMore the
  // caller must call again with the same bytes plus more. On kError,
  // error() holds the message to send after "-ERR ".
  Status Parse(const char* data, size_t len, size_t* consumed, std::vector<std::string_view>* args);

  const std::string& error() const { return error_; }

  // Bytes the command being parsed still needs, when known (used to size
  // the read buffer for large bulk arguments); 0 when unknown.
  size_t bytes_wanted() const { return bytes_wanted_; }

  void set_max_bulk_len(int64_t n) { max_bulk_len_ = n; }
  // Before authentication Redis caps multibulk and bulk lengths low so an
  // unauthenticated client cannot make the server buffer much.
  void set_authenticated(bool a) { authenticated_ = a; }

  void Reset();

 private:
  Status ParseInline(const char* data, size_t len, size_t* consumed,
                     std::vector<std::string_view>* args);
  Status ParseMultibulk(const char* data, size_t len, size_t* consumed,
                        std::vector<std::string_view>* args);
  Status Fail(const char* msg);

  int64_t max_bulk_len_ = 512LL * 1024 * 1024;
  bool authenticated_ = true;

  // Progress through a multibulk request, relative to its first byte.
  size_t pos_ = 0;                 // next byte to parse
  int64_t args_expected_ = -1;     // -1 until the '*' header is parsed
  int64_t bulk_len_ = -1;          // length of the bulk being read, -1 before its header
  std::vector<std::pair<size_t, size_t>> arg_spans_;  // (offset, length) per argument
  size_t bytes_wanted_ = 0;

  std::vector<std::string> inline_args_;  // unescaped inline arguments
  std::string error_;
};

// Splits an inline command line the way Redis's sdssplitargs does: spaces
// separate arguments, "double quotes" support \n \r \t \b \a \\ \" \xHH,
// 'single quotes' support \'. Returns false on unbalanced quotes.
bool SplitInlineArgs(std::string_view line, std::vector<std::string>* out);

}  // namespace magpie
