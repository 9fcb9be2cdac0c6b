// Redis's compact blob formats (see rdb_blobs.h). Decoders walk the blob
// once with explicit bounds checks before every read; an element is handed
// to the callback only after its whole entry (and, for listpacks, its
// back-length) has been checked, and the trailing checks (terminator
// position, stored count, ziplist tail offset) make the walk fail as a
// whole, so callers must discard whatever they built from a failed blob.
#include "persistence/rdb_blobs.h"

#include <charconv>
#include <cstring>

namespace magpie::rdb {

namespace {

uint64_t LoadLE(const unsigned char* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

int64_t SignExtend(uint64_t v, size_t bytes) {
  int shift = static_cast<int>(64 - 8 * bytes);
  return static_cast<int64_t>(v << shift) >> shift;
}

void StoreLE(std::string* out, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// lpEncodeBacklen: the entry's encoded size, most significant 7 bits first,
// every byte but the first flagged 128, so it reads back from the end.
size_t EncodeBacklen(unsigned char* buf, uint64_t l) {
  if (l <= 127) {
    buf[0] = static_cast<unsigned char>(l);
    return 1;
  }
  size_t n = l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
  for (size_t i = 0; i < n; ++i) {
    unsigned char b = static_cast<unsigned char>((l >> (7 * (n - 1 - i))) & 127);
    buf[i] = i == 0 ? b : static_cast<unsigned char>(b | 128);
  }
  return n;
}

bool EmitInt(const ElementFn& f, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  return f(std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
}

bool Fail(std::string* err, const char* why) {
  *err = why;
  return false;
}

}  // namespace

bool CanonicalInt(std::string_view s, int64_t* v) {
  if (s.empty() || s.size() > 20) return false;
  if (s == "0") {
    *v = 0;
    return true;
  }
  bool neg = s[0] == '-';
  size_t i = neg ? 1 : 0;
  if (i >= s.size() || s[i] < '1' || s[i] > '9') return false;
  uint64_t acc = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    uint64_t d = static_cast<uint64_t>(s[i] - '0');
    if (acc > (UINT64_MAX - d) / 10) return false;
    acc = acc * 10 + d;
  }
  if (neg) {
    if (acc > (uint64_t{1} << 63)) return false;
    *v = static_cast<int64_t>(0 - acc);
  } else {
    if (acc > static_cast<uint64_t>(INT64_MAX)) return false;
    *v = static_cast<int64_t>(acc);
  }
  return true;
}

// --- listpack writer ---------------------------------------------------------

void LpWriter::AppendBacklen(size_t len) {
  unsigned char b[5];
  size_t n = EncodeBacklen(b, len);
  buf_.append(reinterpret_cast<const char*>(b), n);
}

void LpWriter::AddInt(int64_t v) {
  size_t start = buf_.size();
  if (v >= 0 && v <= 127) {
    buf_.push_back(static_cast<char>(v));
  } else if (v >= -4096 && v <= 4095) {
    uint64_t u = v < 0 ? static_cast<uint64_t>((1 << 13) + v) : static_cast<uint64_t>(v);
    buf_.push_back(static_cast<char>((u >> 8) | 0xC0));
    buf_.push_back(static_cast<char>(u & 0xff));
  } else if (v >= -32768 && v <= 32767) {
    buf_.push_back(static_cast<char>(0xF1));
    StoreLE(&buf_, static_cast<uint64_t>(v), 2);
  } else if (v >= -8388608 && v <= 8388607) {
    buf_.push_back(static_cast<char>(0xF2));
    StoreLE(&buf_, static_cast<uint64_t>(v), 3);
  } else if (v >= INT32_MIN && v <= INT32_MAX) {
    buf_.push_back(static_cast<char>(0xF3));
    StoreLE(&buf_, static_cast<uint64_t>(v), 4);
  } else {
    buf_.push_back(static_cast<char>(0xF4));
    StoreLE(&buf_, static_cast<uint64_t>(v), 8);
  }
  AppendBacklen(buf_.size() - start);
  ++count_;
}

void LpWriter::Add(std::string_view s) {
  int64_t v;
  if (CanonicalInt(s, &v)) return AddInt(v);
  size_t start = buf_.size();
  if (s.size() < 64) {
    buf_.push_back(static_cast<char>(0x80 | s.size()));
  } else if (s.size() < 4096) {
    buf_.push_back(static_cast<char>(0xE0 | (s.size() >> 8)));
    buf_.push_back(static_cast<char>(s.size() & 0xff));
  } else {
    buf_.push_back(static_cast<char>(0xF0));
    StoreLE(&buf_, s.size(), 4);
  }
  buf_.append(s);
  AppendBacklen(buf_.size() - start);
  ++count_;
}

std::string LpWriter::Finish() {
  buf_.push_back(static_cast<char>(0xFF));
  std::string head;
  StoreLE(&head, buf_.size(), 4);
  StoreLE(&head, count_ < 65535 ? count_ : 65535, 2);
  memcpy(buf_.data(), head.data(), 6);
  std::string out;
  out.swap(buf_);
  buf_.resize(6);
  count_ = 0;
  return out;
}

// --- decoders ----------------------------------------------------------------

bool DecodeListpack(std::string_view blob, const ElementFn& f, std::string* err) {
  const auto* b = reinterpret_cast<const unsigned char*>(blob.data());
  size_t size = blob.size();
  if (size < 7) return Fail(err, "listpack too short");
  if (LoadLE(b, 4) != size) return Fail(err, "listpack size mismatch");
  if (b[size - 1] != 0xFF) return Fail(err, "listpack terminator missing");
  uint64_t stored = LoadLE(b + 4, 2);
  size_t end = size - 1, p = 6, count = 0;
  while (p < end) {
    unsigned char c = b[p];
    size_t head = 1, len = 0;  // encoding bytes, then payload bytes
    bool is_int = true;
    if ((c & 0x80) == 0) {
      head = 1;
    } else if ((c & 0xC0) == 0x80) {
      len = c & 0x3F;
      is_int = false;
    } else if ((c & 0xE0) == 0xC0) {
      head = 2;
    } else if ((c & 0xF0) == 0xE0) {
      if (end - p < 2) return Fail(err, "listpack entry out of range");
      head = 2;
      len = (static_cast<size_t>(c & 0x0F) << 8) | b[p + 1];
      is_int = false;
    } else if (c == 0xF0) {
      if (end - p < 5) return Fail(err, "listpack entry out of range");
      head = 5;
      len = LoadLE(b + p + 1, 4);
      is_int = false;
    } else if (c >= 0xF1 && c <= 0xF4) {
      static constexpr size_t kIntBytes[] = {2, 3, 4, 8};
      head = 1 + kIntBytes[c - 0xF1];
    } else {
      return Fail(err, "listpack invalid entry encoding");
    }
    size_t enc_len = head + len;
    if (enc_len > end - p) return Fail(err, "listpack entry out of range");
    unsigned char want[5];
    size_t bl = EncodeBacklen(want, enc_len);
    if (bl > end - p - enc_len || memcmp(want, b + p + enc_len, bl) != 0) {
      return Fail(err, "listpack back-length mismatch");
    }
    bool ok;
    if (!is_int) {
      ok = f(std::string_view(blob.data() + p + head, len));
    } else if ((c & 0x80) == 0) {
      ok = EmitInt(f, c);
    } else if ((c & 0xE0) == 0xC0) {
      int64_t v = (static_cast<int64_t>(c & 0x1F) << 8) | b[p + 1];
      ok = EmitInt(f, v >= 4096 ? v - 8192 : v);
    } else {
      ok = EmitInt(f, SignExtend(LoadLE(b + p + 1, head - 1), head - 1));
    }
    if (!ok) return false;
    p += enc_len + bl;
    ++count;
  }
  if (stored != 65535 && stored != count) return Fail(err, "listpack count mismatch");
  return true;
}

bool DecodeZiplist(std::string_view blob, const ElementFn& f, std::string* err) {
  const auto* b = reinterpret_cast<const unsigned char*>(blob.data());
  size_t size = blob.size();
  constexpr size_t kHeader = 10;
  if (size < kHeader + 1) return Fail(err, "ziplist too short");
  if (LoadLE(b, 4) != size) return Fail(err, "ziplist size mismatch");
  uint64_t tail = LoadLE(b + 4, 4);
  uint64_t stored = LoadLE(b + 8, 2);
  size_t end = size - 1, p = kHeader, prev_size = 0, last = kHeader, count = 0;
  while (p < end) {
    if (b[p] == 0xFF) break;
    size_t prevlen_size = b[p] < 254 ? 1 : 5;
    if (prevlen_size + 1 > end - p) return Fail(err, "ziplist entry out of range");
    uint64_t prevlen = prevlen_size == 1 ? b[p] : LoadLE(b + p + 1, 4);
    if (prevlen != prev_size) return Fail(err, "ziplist prevlen mismatch");
    size_t q = p + prevlen_size;
    unsigned char e = b[q];
    size_t lensize = 1, datalen = 0;
    bool is_str = e < 0xC0;
    if (is_str) {
      unsigned kind = e >> 6;
      lensize = kind == 0 ? 1 : kind == 1 ? 2 : 5;
      if (lensize > end - q) return Fail(err, "ziplist entry out of range");
      datalen = kind == 0   ? (e & 0x3F)
                : kind == 1 ? (static_cast<size_t>(e & 0x3F) << 8) | b[q + 1]
                            : (static_cast<size_t>(b[q + 1]) << 24) | (static_cast<size_t>(b[q + 2]) << 16) |
                                  (static_cast<size_t>(b[q + 3]) << 8) | b[q + 4];
    } else if (e == 0xC0) {
      datalen = 2;
    } else if (e == 0xD0) {
      datalen = 4;
    } else if (e == 0xE0) {
      datalen = 8;
    } else if (e == 0xF0) {
      datalen = 3;
    } else if (e == 0xFE) {
      datalen = 1;
    } else if (e < 0xF1 || e > 0xFD) {
      return Fail(err, "ziplist invalid entry encoding");
    }
    if (datalen > end - q - lensize) return Fail(err, "ziplist entry out of range");
    const unsigned char* d = b + q + lensize;
    bool ok;
    if (is_str) {
      ok = f(std::string_view(reinterpret_cast<const char*>(d), datalen));
    } else if (datalen == 0) {
      ok = EmitInt(f, (e & 0x0F) - 1);
    } else {
      ok = EmitInt(f, SignExtend(LoadLE(d, datalen), datalen));
    }
    if (!ok) return false;
    last = p;
    prev_size = prevlen_size + lensize + datalen;
    p += prev_size;
    ++count;
  }
  if (p != end) return Fail(err, "ziplist terminator misplaced");
  if (tail != last) return Fail(err, "ziplist tail offset mismatch");
  if (stored != 65535 && stored != count) return Fail(err, "ziplist count mismatch");
  return true;
}

bool DecodeIntset(std::string_view blob, std::vector<int64_t>* out, std::string* err) {
  const auto* b = reinterpret_cast<const unsigned char*>(blob.data());
  if (blob.size() < 8) return Fail(err, "intset too short");
  uint64_t width = LoadLE(b, 4);
  uint64_t count = LoadLE(b + 4, 4);
  if (width != 2 && width != 4 && width != 8) return Fail(err, "intset invalid encoding");
  if (8 + count * width != blob.size()) return Fail(err, "intset size mismatch");
  if (count == 0) return Fail(err, "intset empty");
  out->clear();
  out->reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    int64_t v = SignExtend(LoadLE(b + 8 + i * width, width), width);
    if (!out->empty() && v <= out->back()) return Fail(err, "intset not ascending");
    out->push_back(v);
  }
  return true;
}

bool DecodeZipmap(std::string_view blob, const ElementFn& f, std::string* err) {
  const auto* b = reinterpret_cast<const unsigned char*>(blob.data());
  size_t size = blob.size();
  if (size < 2) return Fail(err, "zipmap too short");
  size_t end = size - 1, p = 1, count = 0;
  // One length prefix: 1 byte below 254, else 254/255 and a 32-bit length.
  auto length = [&](size_t* len) {
    size_t s = b[p] < 254 ? 1 : 5;
    if (s > end - p) return false;
    *len = s == 1 ? b[p] : LoadLE(b + p + 1, 4);
    p += s;
    return true;
  };
  while (p < end && b[p] != 0xFF) {
    size_t flen, vlen;
    if (!length(&flen) || flen > end - p) return Fail(err, "zipmap entry out of range");
    std::string_view field(blob.data() + p, flen);
    p += flen;
    if (p >= end || !length(&vlen) || p >= end) return Fail(err, "zipmap entry out of range");
    size_t free = b[p++];
    if (vlen > end - p || free > end - p - vlen) return Fail(err, "zipmap entry out of range");
    if (!f(field) || !f(std::string_view(blob.data() + p, vlen))) return false;
    p += vlen + free;
    ++count;
  }
  if (p != end || b[end] != 0xFF) return Fail(err, "zipmap terminator misplaced");
  if (count == 0) return Fail(err, "zipmap empty");
  if (b[0] < 254 && b[0] != count) return Fail(err, "zipmap count mismatch");
  return true;
}

std::string EncodeIntset(const std::vector<int64_t>& values, uint8_t width) {
  std::string out;
  StoreLE(&out, width, 4);
  StoreLE(&out, values.size(), 4);
  for (int64_t v : values) StoreLE(&out, static_cast<uint64_t>(v), width);
  return out;
}

}  // namespace magpie::rdb
