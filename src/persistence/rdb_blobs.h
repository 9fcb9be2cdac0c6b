// Redis's compact blob formats as they appear inside RDB values: listpack
// (Redis 7), ziplist (Redis 3.2-6.2), intset and zipmap (Redis 2.4).
//
// Magpie's own Listpack (types/listpack.h) is not byte-compatible with
// Redis's (no integer encodings, no terminator, a different header), so
// writing converts element by element (LpWriter) and reading decodes
// Redis's bytes into element strings that the caller inserts into Magpie's
// values.
//
// Every decoder validates the whole blob (header lengths against the blob
// size, each entry's encoding and bounds, back-lengths / prev-lengths, the
// stored element count and the terminator), never reads outside `blob`, and
// returns false with a short reason in *err on the first inconsistency.
// Elements are reported as they are validated, so a caller that gets false
// must discard what it built from the blob. Duplicate checks belong to the
// callers, which know the tuple layout.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace magpie::rdb {

// Builds a Redis listpack: elements that are canonical int64 decimals get
// Redis's integer encodings, others its string encodings, exactly as
// lpAppend would, so the bytes equal Redis's for the same elements.
class LpWriter {
 public:
  LpWriter() { buf_.resize(6); }
  void Add(std::string_view s);
  void AddInt(int64_t v);
  size_t count() const { return count_; }
  size_t bytes() const { return buf_.size() + 1; }
  // The finished listpack (header filled in, terminator appended).
  std::string Finish();

 private:
  void AppendBacklen(size_t len);
  std::string buf_;
  size_t count_ = 0;
};

// Whether `s` is the canonical decimal form of an int64 (Redis's
// string2ll / lpStringToInt64 rules: no sign on 0, no leading zeros, no
// spaces, at most 20 characters).
bool CanonicalInt(std::string_view s, int64_t* v);

// Called once per element; an integer element arrives formatted as decimal.
// The view is valid only during the call. Returning false stops the walk
// (the decoder then returns false too, leaving *err to the callback).
using ElementFn = std::function<bool(std::string_view)>;

bool DecodeListpack(std::string_view blob, const ElementFn& f, std::string* err);
bool DecodeZiplist(std::string_view blob, const ElementFn& f, std::string* err);
// Intset members in stored order (validated strictly ascending, non-empty).
bool DecodeIntset(std::string_view blob, std::vector<int64_t>* out, std::string* err);
// Zipmap: f(field) then f(value) for each pair.
bool DecodeZipmap(std::string_view blob, const ElementFn& f, std::string* err);

// An intset blob of ascending `values`, `width` (2, 4 or 8) bytes each
// (Redis's layout: u32 width, u32 count, little-endian members).
std::string EncodeIntset(const std::vector<int64_t>& values, uint8_t width);

}  // namespace magpie::rdb
