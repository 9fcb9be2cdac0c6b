// IoBuffer: a growable byte buffer with a consumed prefix, for socket reads.
// Unlike std::string it never zero-fills the space it reserves.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>

namespace magpie {

class IoBuffer {
 public:
  IoBuffer() = default;
  IoBuffer(const IoBuffer&) = delete;
  IoBuffer& operator=(const IoBuffer&) = delete;
  ~IoBuffer() { free(data_); }

  const char* data() const { return data_ + start_; }
  size_t size() const { return end_ - start_; }
  bool empty() const { return end_ == start_; }
  size_t capacity() const { return cap_; }

  // Space to write into after the data; at least `n` bytes are guaranteed.
  char* WritableSpace(size_t n) {
    if (cap_ - end_ < n) MakeRoom(n);
    return data_ + end_;
  }
  size_t writable() const { return cap_ - end_; }
  void Commit(size_t n) { end_ += n; }
  void Consume(size_t n) {
    start_ += n;
    if (start_ == end_) start_ = end_ = 0;
  }
  // Releases memory beyond `keep` bytes when the buffer is empty.
  void ShrinkIfEmpty(size_t keep) {
    if (empty() && cap_ > keep) {
      free(data_);
      data_ = nullptr;
      cap_ = start_ = end_ = 0;
    }
  }

 private:
  void MakeRoom(size_t n) {
    size_t used = end_ - start_;
    if (start_ > 0) {
      memmove(data_, data_ + start_, used);
      start_ = 0;
      end_ = used;
      if (cap_ - end_ >= n) return;
    }
    size_t want = used + n;
    size_t cap = cap_ < 1024 ? 1024 : cap_;
    while (cap < want) cap *= 2;
    char* p = static_cast<char*>(realloc(data_, cap));
    if (p == nullptr) throw std::bad_alloc();
    data_ = p;
    cap_ = cap;
  }

  char* data_ = nullptr;
  size_t cap_ = 0;
  size_t start_ = 0;
  size_t end_ = 0;
};

}  // namespace magpie
