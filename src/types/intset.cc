#include "types/intset.h"

#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <new>

namespace magpie {

namespace {

void* Realloc(void* p, size_t n) {
  void* q = realloc(p, n);
  if (q == nullptr) throw std::bad_alloc();
  return q;
}

}  // namespace

IntSet::IntSet(const IntSet& other) : count_(other.count_), width_(other.width_) {
  if (other.data_ == nullptr) return;
  size_t n = static_cast<size_t>(count_) * width_;
  data_ = static_cast<unsigned char*>(Realloc(nullptr, n));
  memcpy(data_, other.data_, n);
}

IntSet::IntSet(IntSet&& other) noexcept
    : data_(other.data_), count_(other.count_), width_(other.width_) {
  other.data_ = nullptr;
  other.count_ = 0;
}

IntSet& IntSet::operator=(IntSet&& other) noexcept {
  if (this != &other) {
    free(data_);
    data_ = other.data_;
    count_ = other.count_;
    width_ = other.width_;
    other.data_ = nullptr;
    other.count_ = 0;
  }
  return *this;
}

IntSet::~IntSet() { free(data_); }

size_t IntSet::MemoryUsage() const { return data_ ? malloc_usable_size(data_) : 0; }

uint8_t IntSet::WidthFor(int64_t v) {
  if (v >= INT16_MIN && v <= INT16_MAX) return 2;
  if (v >= INT32_MIN && v <= INT32_MAX) return 4;
  return 8;
}

int64_t IntSet::At(size_t i) const {
  const unsigned char* p = data_ + i * width_;
  switch (width_) {
    case 2: {
      int16_t v;
      memcpy(&v, p, 2);
      return v;
    }
    case 4: {
      int32_t v;
      memcpy(&v, p, 4);
      return v;
    }
    default: {
      int64_t v;
      memcpy(&v, p, 8);
      return v;
    }
  }
}

void IntSet::Set(size_t i, int64_t v) {
  unsigned char* p = data_ + i * width_;
  if (width_ == 2) {
    auto x = static_cast<int16_t>(v);
    memcpy(p, &x, 2);
  } else if (width_ == 4) {
    auto x = static_cast<int32_t>(v);
    memcpy(p, &x, 4);
  } else {
    memcpy(p, &v, 8);
  }
}

size_t IntSet::Search(int64_t v, bool* found) const {
  size_t lo = 0, hi = count_;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int64_t m = At(mid);
    if (m == v) {
      *found = true;
      return mid;
    }
    if (m < v) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  *found = false;
  return lo;
}

bool IntSet::Contains(int64_t v) const {
  if (count_ == 0 || WidthFor(v) > width_) return false;
  bool found;
  Search(v, &found);
  return found;
}

// Rewrites the array in a wider width, from the back so it works in place.
void IntSet::Upgrade(uint8_t width) {
  uint8_t old = width_;
  data_ = static_cast<unsigned char*>(Realloc(data_, static_cast<size_t>(count_) * width));
  for (size_t i = count_; i-- > 0;) {
    width_ = old;
    int64_t v = At(i);
    width_ = width;
    Set(i, v);
  }
  width_ = width;
}

bool IntSet::Insert(int64_t v) {
  uint8_t w = WidthFor(v);
  size_t pos;
  if (w > width_) {
    // A value wider than every member is beyond all of them: it goes first
    // (negative) or last (positive).
    if (count_ > 0) Upgrade(w);
    width_ = w;
    pos = v < 0 ? 0 : count_;
  } else {
    bool found;
    pos = Search(v, &found);
    if (found) return false;
  }
  data_ = static_cast<unsigned char*>(Realloc(data_, (static_cast<size_t>(count_) + 1) * width_));
  memmove(data_ + (pos + 1) * width_, data_ + pos * width_, (count_ - pos) * width_);
  Set(pos, v);
  ++count_;
  return true;
}

void IntSet::RemoveAt(size_t i) {
  memmove(data_ + i * width_, data_ + (i + 1) * width_, (count_ - i - 1) * width_);
  --count_;
  if (count_ == 0) {
    free(data_);
    data_ = nullptr;
    return;
  }
  data_ = static_cast<unsigned char*>(Realloc(data_, static_cast<size_t>(count_) * width_));
}

bool IntSet::Remove(int64_t v) {
  if (count_ == 0 || WidthFor(v) > width_) return false;
  bool found;
  size_t pos = Search(v, &found);
  if (!found) return false;
  RemoveAt(pos);
  return true;
}

}  // namespace magpie
