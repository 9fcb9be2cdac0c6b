// Builds RESP2/RESP3 replies into a connection's output buffer. Every reply a
// command sends goes through here, so the protocol differences (null, map,
// set, double, verbatim, push) and Redis's error formatting live in one place.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace magpie {

class ReplyBuilder {
 public:
  explicit ReplyBuilder(std::string* out) : out_(out) {}

  void set_resp3(bool v) { resp3_ = v; }
  bool resp3() const { return resp3_; }

  void Simple(std::string_view s);  // +s
  void Ok() { Raw("+OK\r\n"); }
  // An error. `msg` may carry its own code ("WRONGTYPE ...", "NOAUTH ...");
  // otherwise pass it with the "ERR " prefix included.
  void Error(std::string_view msg);
  void Int(int64_t v);
  void Bulk(std::string_view s);
  void Null();       // null bulk in RESP2, _ in RESP3
  void NullArray();  // *-1 in RESP2, _ in RESP3
  void ArrayHeader(size_t n);
  void MapHeader(size_t n);  // RESP2: flat array of 2n
  void SetHeader(size_t n);  // RESP2: array
  void PushHeader(size_t n);
  void Double(double v);       // RESP2: bulk string
  void Bool(bool v);           // RESP2: integer 0/1
  // RESP3 verbatim string of a three-letter format ("txt"), RESP2 bulk.
  void Verbatim(std::string_view s, std::string_view format = "txt");
  void BigNumber(std::string_view digits);
  void Raw(std::string_view s) { out_->append(s); }

  std::string* buffer() { return out_; }
  size_t errors() const { return errors_; }
  // The last error's code ("ERR", "WRONGTYPE"), for INFO errorstats.
  std::string_view last_error_code() const { return last_error_code_; }

 private:
  void Header(char type, int64_t n);

  std::string* out_;
  bool resp3_ = false;
  size_t errors_ = 0;
  std::string last_error_code_;
};

}  // namespace magpie
