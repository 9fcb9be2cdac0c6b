#include "types/list.h"

#include <malloc.h>

#include <algorithm>
#include <cstdint>
#include <utility>

namespace magpie {

namespace {

// Redis's limit on a node when the fill is a count of elements.
constexpr size_t kSafetyLimit = 8192;

size_t VarintLen(size_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Bytes a Listpack element of `len` bytes takes.
size_t EncodedSize(size_t len) {
  size_t body = VarintLen(len) + len;
  return body + VarintLen(body);
}

// Most bytes a node may hold under `fill`.
size_t LimitBytes(int64_t fill) {
  return fill >= 0 ? kSafetyLimit : size_t{4096} << (std::min<int64_t>(-fill, 5) - 1);
}

// Most elements a node may hold under `fill`.
size_t LimitCount(int64_t fill) {
  return fill >= 0 ? static_cast<size_t>(std::max<int64_t>(fill, 1)) : SIZE_MAX;
}

}  // namespace

ListValue::ListValue() : bytes_(sizeof(ListValue)) {}

ListValue::ListValue(const ListValue& other)
    : slots_(other.slots_.begin() + static_cast<ptrdiff_t>(other.begin_),
             other.slots_.begin() + static_cast<ptrdiff_t>(other.end_)),
      begin_(0),
      end_(other.nodes()),
      size_(other.size_),
      bytes_(sizeof(ListValue)) {
  for (Node& n : slots_) {
    n.alloc = static_cast<uint32_t>(n.lp.MemoryUsage());
    bytes_ += n.alloc;
  }
  AccountSlots();
}

void ListValue::AccountSlots() {
  size_t now = slots_.capacity() == 0 ? 0 : malloc_usable_size(slots_.data());
  bytes_ += now - slot_bytes_;
  slot_bytes_ = now;
}

bool ListValue::Fits(const Node& n, size_t value_len, int64_t fill) {
  if (n.count == 0) return true;
  return n.count < LimitCount(fill) && n.lp.BytesUsed() + EncodedSize(value_len) <= LimitBytes(fill);
}

void ListValue::Refresh(Node& n) {
  n.count = static_cast<uint32_t>(n.lp.size());
  size_t a = n.lp.MemoryUsage();
  bytes_ = bytes_ + a - n.alloc;
  n.alloc = static_cast<uint32_t>(a);
}

void ListValue::Regrow(size_t extra) {
  size_t n = nodes();
  // Room for as many nodes again, split between both ends; a one-node list
  // (the common small list) gets an exact one-slot array.
  size_t cap = n == 0 ? extra : 2 * n + extra + 2;
  std::vector<Node> fresh(cap);
  size_t nb = (cap - n) / 2;
  for (size_t i = 0; i < n; ++i) fresh[nb + i] = std::move(slots_[begin_ + i]);
  slots_.swap(fresh);
  begin_ = nb;
  end_ = nb + n;
  AccountSlots();
}

ListValue::Node& ListValue::InsertNode(size_t i) {
  size_t n = nodes();
  if (n == 0 && !slots_.empty()) begin_ = end_ = 0;
  if (i == 0 && begin_ > 0) {
    --begin_;
  } else if (i == n && end_ < slots_.size()) {
    ++end_;
  } else if (i != 0 && i != n && end_ < slots_.size()) {
    std::move_backward(slots_.begin() + static_cast<ptrdiff_t>(begin_ + i),
                       slots_.begin() + static_cast<ptrdiff_t>(end_),
                       slots_.begin() + static_cast<ptrdiff_t>(end_ + 1));
    ++end_;
  } else if (i != 0 && i != n && begin_ > 0) {
    std::move(slots_.begin() + static_cast<ptrdiff_t>(begin_),
              slots_.begin() + static_cast<ptrdiff_t>(begin_ + i),
              slots_.begin() + static_cast<ptrdiff_t>(begin_ - 1));
    --begin_;
  } else {
    Regrow(1);
    return InsertNode(i);
  }
  Node& fresh = node(i);
  fresh.lp.Clear();
  fresh.count = 0;
  fresh.alloc = 0;
  return fresh;
}

void ListValue::RemoveNode(size_t i) {
  size_t n = nodes();
  bytes_ -= node(i).alloc;
  node(i).lp.Clear();
  node(i).alloc = 0;
  node(i).count = 0;
  if (i == 0) {
    ++begin_;
  } else if (i == n - 1) {
    --end_;
  } else if (i < n / 2) {
    std::move_backward(slots_.begin() + static_cast<ptrdiff_t>(begin_),
                       slots_.begin() + static_cast<ptrdiff_t>(begin_ + i),
                       slots_.begin() + static_cast<ptrdiff_t>(begin_ + i + 1));
    ++begin_;
  } else {
    std::move(slots_.begin() + static_cast<ptrdiff_t>(begin_ + i + 1),
              slots_.begin() + static_cast<ptrdiff_t>(end_),
              slots_.begin() + static_cast<ptrdiff_t>(begin_ + i));
    --end_;
  }
  if (begin_ == end_) begin_ = end_ = 0;
  // Give back a slot array that has become mostly empty.
  if (slots_.size() > 16 && nodes() * 4 < slots_.size()) Regrow(0);
}

void ListValue::PushFront(std::string_view v, int64_t fill) {
  if (nodes() == 0 || !Fits(node(0), v.size(), fill)) InsertNode(0);
  Node& n = node(0);
  n.lp.Prepend(v);
  Refresh(n);
  ++size_;
}

void ListValue::PushBack(std::string_view v, int64_t fill) {
  if (nodes() == 0 || !Fits(node(nodes() - 1), v.size(), fill)) InsertNode(nodes());
  Node& n = node(nodes() - 1);
  n.lp.Append(v);
  Refresh(n);
  ++size_;
}

ListValue::Pos ListValue::Seek(size_t index) const {
  size_t i = 0;
  if (index < size_ / 2) {
    while (index >= node(i).count) index -= node(i++).count;
  } else {
    size_t from_end = size_ - index;  // >= 1
    i = nodes() - 1;
    while (from_end > node(i).count) from_end -= node(i--).count;
    index = node(i).count - from_end;
  }
  return {i, node(i).lp.Seek(static_cast<int64_t>(index))};
}

bool ListValue::Next(Pos* p) const {
  const Listpack& lp = node(p->node).lp;
  p->off = lp.Next(p->off);
  if (p->off < lp.End()) return true;
  if (p->node + 1 >= nodes()) return false;
  ++p->node;
  p->off = node(p->node).lp.First();
  return true;
}

bool ListValue::Prev(Pos* p) const {
  const Listpack& lp = node(p->node).lp;
  if (p->off > lp.First()) {
    p->off = lp.Prev(p->off);
    return true;
  }
  if (p->node == 0) return false;
  --p->node;
  p->off = node(p->node).lp.Last();
  return true;
}

void ListValue::Split(size_t i, size_t off) {
  Node& right = InsertNode(i + 1);
  Node& left = node(i);
  size_t moved = 0;
  for (size_t p = off; p < left.lp.End(); p = left.lp.Next(p), ++moved) right.lp.Append(left.lp.Get(p));
  left.lp.Erase(off, moved);
  Refresh(left);
  Refresh(right);
}

void ListValue::TryMerge(size_t i, int64_t fill) {
  if (i + 1 >= nodes()) return;
  Node& a = node(i);
  Node& b = node(i + 1);
  if (size_t{a.count} + b.count > LimitCount(fill) ||
      a.lp.BytesUsed() + b.lp.BytesUsed() > LimitBytes(fill)) {
    return;
  }
  for (size_t p = b.lp.First(); p < b.lp.End(); p = b.lp.Next(p)) a.lp.Append(b.lp.Get(p));
  Refresh(a);
  RemoveNode(i + 1);
}

void ListValue::Compact(int64_t fill) {
  for (size_t i = 0; i + 1 < nodes();) {
    size_t before = nodes();
    TryMerge(i, fill);
    if (nodes() == before) ++i;
  }
}

void ListValue::Set(Pos p, std::string_view v, int64_t fill) {
  Node& n = node(p.node);
  size_t old = n.lp.Next(p.off) - p.off;
  size_t after = n.lp.BytesUsed() - old + EncodedSize(v.size());
  if (n.count > 1 && after > LimitBytes(fill) && after > n.lp.BytesUsed()) {
    // Give the element a node of its own, then put it back where it was.
    if (n.lp.Next(p.off) < n.lp.End()) Split(p.node, n.lp.Next(p.off));
    if (p.off > node(p.node).lp.First()) {
      Split(p.node, p.off);
      ++p.node;
    }
    p.off = node(p.node).lp.First();
  }
  Node& m = node(p.node);
  m.lp.Replace(p.off, v);
  Refresh(m);
}

void ListValue::InsertAt(Pos p, std::string_view v, bool after, int64_t fill) {
  ++size_;
  Node& n = node(p.node);
  size_t at = after ? n.lp.Next(p.off) : p.off;
  if (Fits(n, v.size(), fill)) {
    n.lp.Insert(at, v);
    Refresh(n);
    return;
  }
  size_t target;
  if (at == n.lp.End()) {
    target = p.node + 1;
    if (target < nodes() && Fits(node(target), v.size(), fill)) {
      node(target).lp.Prepend(v);
      Refresh(node(target));
      return;
    }
  } else if (at == n.lp.First()) {
    target = p.node;
    if (target > 0 && Fits(node(target - 1), v.size(), fill)) {
      node(target - 1).lp.Append(v);
      Refresh(node(target - 1));
      return;
    }
  } else {
    Split(p.node, at);
    target = p.node + 1;
  }
  Node& fresh = InsertNode(target);
  fresh.lp.Append(v);
  Refresh(fresh);
}

ListValue::Pos ListValue::EraseAt(Pos p) {
  Node& n = node(p.node);
  size_t next = n.lp.Erase(p.off);
  --size_;
  Refresh(n);
  if (n.count == 0) {
    RemoveNode(p.node);
    return {p.node, Listpack().First()};
  }
  if (next >= n.lp.End()) return {p.node + 1, n.lp.First()};
  return {p.node, next};
}

void ListValue::EraseRange(size_t start, size_t count) {
  if (count == 0) return;
  Pos p = Seek(start);
  while (count > 0) {
    Node& n = node(p.node);
    if (p.off == n.lp.First() && count >= n.count) {
      count -= n.count;
      size_ -= n.count;
      RemoveNode(p.node);
      p.off = Listpack().First();
      continue;
    }
    size_t before = n.count;
    n.lp.Erase(p.off, count);
    Refresh(n);
    size_t removed = before - n.count;
    size_ -= removed;
    count -= removed;
    ++p.node;
    p.off = Listpack().First();
  }
}

}  // namespace magpie
