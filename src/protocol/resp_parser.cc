#include "protocol/resp_parser.h"

#include <climits>
#include <cstring>

#include "common/util.h"

namespace magpie {

void RespParser::Reset() {
  pos_ = 0;
  args_expected_ = -1;
  bulk_len_ = -1;
  arg_spans_.clear();
  bytes_wanted_ = 0;
}

RespParser::Status RespParser::Fail(const char* msg) {
  error_ = std::string("Protocol error: ") + msg;
  Reset();
  return Status::kError;
}

RespParser::Status RespParser::Parse(const char* data, size_t len, size_t* consumed,
                                     std::vector<std::string_view>* args) {
  args->clear();
  if (len == 0) return Status::kNeedMore;
  if (args_expected_ < 0 && data[0] != '*') return ParseInline(data, len, consumed, args);
  return ParseMultibulk(data, len, consumed, args);
}

RespParser::Status RespParser::ParseInline(const char* data, size_t len, size_t* consumed,
                                           std::vector<std::string_view>* args) {
  const char* nl = static_cast<const char*>(memchr(data, '\n', len));
  if (nl == nullptr) {
    if (len > kMaxInlineSize) return Fail("too big inline request");
    return Status::kNeedMore;
  }
  size_t line_len = static_cast<size_t>(nl - data);
  if (line_len > 0 && data[line_len - 1] == '\r') --line_len;
  inline_args_.clear();
  if (!SplitInlineArgs(std::string_view(data, line_len), &inline_args_)) {
    return Fail("unbalanced quotes in request");
  }
  for (const std::string& a : inline_args_) args->emplace_back(a);
  *consumed = static_cast<size_t>(nl - data) + 1;
  return Status::kOk;
}

RespParser::Status RespParser::ParseMultibulk(const char* data, size_t len, size_t* consumed,
                                              std::vector<std::string_view>* args) {
  if (args_expected_ < 0) {
    const char* cr = static_cast<const char*>(memchr(data, '\r', len));
    if (cr == nullptr) {
      if (len > kMaxInlineSize) return Fail("too big mbulk count string");
      return Status::kNeedMore;
    }
    size_t line_len = static_cast<size_t>(cr - data);
    if (line_len + 2 > len) return Status::kNeedMore;  // wait for the '\n'
    auto n = ParseInt64(std::string_view(data + 1, line_len - 1));
    if (!n || *n > INT_MAX) return Fail("invalid multibulk length");
    if (!authenticated_ && *n > 10) return Fail("unauthenticated multibulk length");
    pos_ = line_len + 2;
    if (*n <= 0) {
      *consumed = pos_;
      Reset();
      return Status::kOk;
    }
    args_expected_ = *n;
    arg_spans_.reserve(static_cast<size_t>(std::min<int64_t>(*n, 1024)));
  }
  while (static_cast<int64_t>(arg_spans_.size()) < args_expected_) {
    if (bulk_len_ < 0) {
      if (pos_ >= len) return Status::kNeedMore;
      const char* start = data + pos_;
      size_t avail = len - pos_;
      const char* cr = static_cast<const char*>(memchr(start, '\r', avail));
      if (cr == nullptr) {
        if (avail > kMaxInlineSize) return Fail("too big bulk count string");
        return Status::kNeedMore;
      }
      size_t line_len = static_cast<size_t>(cr - start);
      if (line_len + 2 > avail) return Status::kNeedMore;
      if (start[0] != '$') {
        char msg[64];
        snprintf(msg, sizeof(msg), "expected '$', got '%c'", start[0]);
        return Fail(msg);
      }
      auto n = ParseInt64(std::string_view(start + 1, line_len - 1));
      if (!n || *n < 0 || *n > max_bulk_len_) return Fail("invalid bulk length");
      if (!authenticated_ && *n > 16384) return Fail("unauthenticated bulk length");
      bulk_len_ = *n;
      pos_ += line_len + 2;
    }
    size_t need = static_cast<size_t>(bulk_len_) + 2;
    if (len - pos_ < need) {
      bytes_wanted_ = pos_ + need;
      return Status::kNeedMore;
    }
    arg_spans_.emplace_back(pos_, static_cast<size_t>(bulk_len_));
    pos_ += need;
    bulk_len_ = -1;
  }
  for (const auto& [off, n] : arg_spans_) args->emplace_back(data + off, n);
  *consumed = pos_;
  Reset();
  return Status::kOk;
}

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f'; }

}  // namespace

bool SplitInlineArgs(std::string_view line, std::vector<std::string>* out) {
  size_t i = 0, n = line.size();
  while (true) {
    while (i < n && IsSpace(line[i])) ++i;
    if (i >= n) return true;
    std::string cur;
    bool in_dq = false, in_sq = false;
    while (true) {
      if (in_dq) {
        if (i >= n) return false;
        char c = line[i];
        if (c == '\\' && i + 3 < n && line[i + 1] == 'x' && HexValue(line[i + 2]) >= 0 &&
            HexValue(line[i + 3]) >= 0) {
          cur.push_back(static_cast<char>(HexValue(line[i + 2]) * 16 + HexValue(line[i + 3])));
          i += 3;
        } else if (c == '\\' && i + 1 < n) {
          ++i;
          switch (line[i]) {
            case 'n': cur.push_back('\n'); break;
            case 'r': cur.push_back('\r'); break;
            case 't': cur.push_back('\t'); break;
            case 'b': cur.push_back('\b'); break;
            case 'a': cur.push_back('\a'); break;
            default: cur.push_back(line[i]); break;
          }
        } else if (c == '"') {
          // The closing quote must be followed by a space or the end.
          if (i + 1 < n && !IsSpace(line[i + 1])) return false;
          ++i;
          break;
        } else {
          cur.push_back(c);
        }
      } else if (in_sq) {
        if (i >= n) return false;
        char c = line[i];
        if (c == '\\' && i + 1 < n && line[i + 1] == '\'') {
          ++i;
          cur.push_back('\'');
        } else if (c == '\'') {
          if (i + 1 < n && !IsSpace(line[i + 1])) return false;
          ++i;
          break;
        } else {
          cur.push_back(c);
        }
      } else {
        if (i >= n) break;
        char c = line[i];
        if (IsSpace(c)) break;
        if (c == '"') {
          in_dq = true;
        } else if (c == '\'') {
          in_sq = true;
        } else {
          cur.push_back(c);
        }
      }
      ++i;
    }
    out->push_back(std::move(cur));
  }
}

}  // namespace magpie
