#include "types/listpack.h"

#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <new>

namespace magpie {

namespace {

size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Writes v forwards at p; returns the bytes written.
size_t PutVarint(unsigned char* p, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    p[n++] = static_cast<unsigned char>(v | 0x80);
    v >>= 7;
  }
  p[n++] = static_cast<unsigned char>(v);
  return n;
}

uint64_t GetVarint(const unsigned char* p, size_t* len) {
  uint64_t v = 0;
  size_t n = 0;
  for (int shift = 0;; shift += 7) {
    unsigned char b = p[n++];
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
  }
  *len = n;
  return v;
}

// Writes v as a varint that ends at p + size and is read backwards.
void PutBackVarint(unsigned char* end, uint64_t v) {
  unsigned char tmp[10];
  size_t n = PutVarint(tmp, v);
  for (size_t i = 0; i < n; ++i) end[-1 - static_cast<ptrdiff_t>(i)] = tmp[i];
}

// Reads the varint that ends just before `end`.
uint64_t GetBackVarint(const unsigned char* end, size_t* len) {
  uint64_t v = 0;
  size_t n = 0;
  for (int shift = 0;; shift += 7) {
    unsigned char b = end[-1 - static_cast<ptrdiff_t>(n++)];
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
  }
  *len = n;
  return v;
}

// Size of a whole element holding `len` bytes.
size_t ElementSize(size_t len) {
  size_t body = VarintSize(len) + len;
  return body + VarintSize(body);
}

}  // namespace

Listpack::Listpack(const Listpack& other) {
  if (other.buf_ == nullptr) return;
  size_t n = other.Used();
  buf_ = static_cast<unsigned char*>(malloc(n));
  if (buf_ == nullptr) throw std::bad_alloc();
  memcpy(buf_, other.buf_, n);
}

Listpack& Listpack::operator=(Listpack&& other) noexcept {
  if (this != &other) {
    free(buf_);
    buf_ = other.buf_;
    other.buf_ = nullptr;
  }
  return *this;
}

Listpack::~Listpack() { free(buf_); }

size_t Listpack::MemoryUsage() const { return buf_ ? malloc_usable_size(buf_) : 0; }

uint32_t Listpack::Used() const {
  uint32_t v;
  memcpy(&v, buf_, 4);
  return v;
}

uint32_t Listpack::Count() const {
  uint32_t v;
  memcpy(&v, buf_ + 4, 4);
  return v;
}

void Listpack::SetHeader(uint32_t used, uint32_t count) {
  memcpy(buf_, &used, 4);
  memcpy(buf_ + 4, &count, 4);
}

size_t Listpack::Next(size_t pos) const {
  size_t n;
  uint64_t len = GetVarint(buf_ + pos, &n);
  size_t body = n + len;
  return pos + body + VarintSize(body);
}

size_t Listpack::Prev(size_t pos) const {
  size_t n;
  uint64_t body = GetBackVarint(buf_ + pos, &n);
  return pos - n - body;
}

std::string_view Listpack::Get(size_t pos) const {
  size_t n;
  uint64_t len = GetVarint(buf_ + pos, &n);
  return {reinterpret_cast<const char*>(buf_ + pos + n), len};
}

size_t Listpack::Seek(int64_t index) const {
  int64_t count = static_cast<int64_t>(size());
  if (index < 0) index += count;
  if (index < 0 || index >= count) return End();
  size_t pos;
  if (index <= count / 2) {
    pos = First();
    for (int64_t i = 0; i < index; ++i) pos = Next(pos);
  } else {
    pos = End();
    for (int64_t i = count; i > index; --i) pos = Prev(pos);
  }
  return pos;
}

size_t Listpack::Find(std::string_view v, size_t pos, size_t skip) const {
  size_t end = End();
  while (pos < end) {
    if (Get(pos) == v) return pos;
    pos = Next(pos);
    for (size_t i = 0; i < skip && pos < end; ++i) pos = Next(pos);
  }
  return end;
}

// delta > 0 opens `delta` bytes at `pos`; delta < 0 removes -delta bytes
// starting at `pos`. The header is the caller's to update.
void Listpack::Resize(size_t pos, int64_t delta) {
  size_t used = BytesUsed();
  size_t new_used = static_cast<size_t>(static_cast<int64_t>(used) + delta);
  if (delta < 0) {
    memmove(buf_ + pos, buf_ + pos - delta, used - pos + static_cast<size_t>(delta));
  }
  bool fresh = buf_ == nullptr;
  auto* grown = static_cast<unsigned char*>(realloc(buf_, new_used));
  if (grown == nullptr) throw std::bad_alloc();
  buf_ = grown;
  if (fresh) SetHeader(kHeader, 0);
  if (delta > 0) memmove(buf_ + pos + delta, buf_ + pos, used - pos);
}

size_t Listpack::Insert(size_t pos, std::string_view v) {
  size_t size = ElementSize(v.size());
  uint32_t count = static_cast<uint32_t>(this->size());
  size_t used = BytesUsed();
  Resize(pos, static_cast<int64_t>(size));
  size_t n = PutVarint(buf_ + pos, v.size());
  if (!v.empty()) memcpy(buf_ + pos + n, v.data(), v.size());
  PutBackVarint(buf_ + pos + size, n + v.size());
  SetHeader(static_cast<uint32_t>(used + size), count + 1);
  return pos;
}

size_t Listpack::Replace(size_t pos, std::string_view v) {
  size_t old_size = Next(pos) - pos;
  size_t size = ElementSize(v.size());
  uint32_t count = Count();
  uint32_t used = Used();
  // The element is rewritten in place: grow or shrink at its end.
  if (size > old_size) {
    Resize(pos + old_size, static_cast<int64_t>(size - old_size));
  } else if (size < old_size) {
    Resize(pos + size, -static_cast<int64_t>(old_size - size));
  }
  size_t n = PutVarint(buf_ + pos, v.size());
  if (!v.empty()) memcpy(buf_ + pos + n, v.data(), v.size());
  PutBackVarint(buf_ + pos + size, n + v.size());
  SetHeader(static_cast<uint32_t>(used + size - old_size), count);
  return pos;
}

size_t Listpack::Erase(size_t pos, size_t count) {
  size_t end = pos;
  size_t removed = 0;
  for (; removed < count && end < End(); ++removed) end = Next(end);
  if (removed == 0) return pos;
  uint32_t left = Count() - static_cast<uint32_t>(removed);
  uint32_t used = Used() - static_cast<uint32_t>(end - pos);
  if (left == 0) {
    Clear();
    return First();
  }
  Resize(pos, -static_cast<int64_t>(end - pos));
  SetHeader(used, left);
  return pos;
}

void Listpack::Clear() {
  free(buf_);
  buf_ = nullptr;
}

}  // namespace magpie
