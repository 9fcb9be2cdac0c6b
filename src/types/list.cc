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

ListValue::ListValue() : bytes_(0) {}

ListValue::ListValue(ListValue&& other) noexcept
    : slots_(std::move(other.slots_)),
      begin_(other.begin_),
      end_(other.end_),
      size_(other.size_),
      slot_bytes_(other.slot_bytes_),
      bytes_(other.bytes_) {
  other.slots_.clear();
  other.begin_ = other.end_ = other.size_ = other.slot_bytes_ = other.bytes_ = 0;
}

ListValue::ListValue(const ListValue& other)
    : slots_(other.slots_.begin() + static_cast<ptrdiff_t>(other.begin_),
             other.slots_.begin() + static_cast<ptrdiff_t>(other.end_)),
      begin_(0),
      end_(other.nodes()),
      size_(other.size_),
      bytes_(0) {
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

void ListValue::RemoveNodes(size_t i, size_t k) {
  if (k == 0) return;
  size_t n = nodes();
  for (size_t j = i; j < i + k; ++j) {
    bytes_ -= node(j).alloc;
    node(j).lp.Clear();
    node(j).alloc = 0;
    node(j).count = 0;
  }
  // Close the gap from whichever side has fewer nodes to move.
  if (i < n - (i + k)) {
    std::move_backward(slots_.begin() + static_cast<ptrdiff_t>(begin_),
                       slots_.begin() + static_cast<ptrdiff_t>(begin_ + i),
                       slots_.begin() + static_cast<ptrdiff_t>(begin_ + i + k));
    begin_ += k;
  } else {
    std::move(slots_.begin() + static_cast<ptrdiff_t>(begin_ + i + k),
              slots_.begin() + static_cast<ptrdiff_t>(end_),
              slots_.begin() + static_cast<ptrdiff_t>(begin_ + i));
    end_ -= k;
  }
  if (begin_ == end_) begin_ = end_ = 0;
  // Give back a slot array that has become mostly empty.
  if (slots_.size() > 16 && nodes() * 4 < slots_.size()) Regrow(0);
}

void ListValue::DropEmptyNodes() {
  size_t w = begin_;
  for (size_t r = begin_; r < end_; ++r) {
    if (slots_[r].count == 0) continue;
    if (w != r) slots_[w] = std::move(slots_[r]);
    ++w;
  }
  end_ = w;
  if (begin_ == end_) begin_ = end_ = 0;
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

bool ListValue::CanMerge(const Node& a, const Node& b, int64_t fill) {
  return size_t{a.count} + b.count <= LimitCount(fill) &&
         a.lp.BytesUsed() + b.lp.BytesUsed() <= LimitBytes(fill);
}

void ListValue::Compact(int64_t fill) {
  // One pass: each node is appended to the last kept node when both fit in
  // one, and emptied; the emptied nodes are then dropped together.
  size_t kept = 0;
  for (size_t i = 1; i < nodes(); ++i) {
    Node& a = node(kept);
    Node& b = node(i);
    if (!CanMerge(a, b, fill)) {
      kept = i;
      continue;
    }
    for (size_t p = b.lp.First(); p < b.lp.End(); p = b.lp.Next(p)) a.lp.Append(b.lp.Get(p));
    Refresh(a);
    b.lp.Clear();
    Refresh(b);
  }
  DropEmptyNodes();
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
    RemoveNodes(p.node, 1);
    return {p.node, Listpack().First()};
  }
  if (next >= n.lp.End()) return {p.node + 1, n.lp.First()};
  return {p.node, next};
}

void ListValue::EraseRange(size_t start, size_t count) {
  if (count == 0) return;
  Pos p = Seek(start);
  size_ -= count;
  // A partial first node, then a run of whole nodes removed at once, then
  // a partial last node.
  if (p.off != node(p.node).lp.First() || count < node(p.node).count) {
    Node& n = node(p.node);
    size_t before = n.count;
    n.lp.Erase(p.off, count);
    Refresh(n);
    count -= before - n.count;
    ++p.node;
  }
  size_t whole = 0;
  while (count > 0 && count >= node(p.node + whole).count) count -= node(p.node + whole++).count;
  if (count > 0) {
    Node& n = node(p.node + whole);
    n.lp.Erase(n.lp.First(), count);
    Refresh(n);
  }
  RemoveNodes(p.node, whole);
}

size_t ListValue::RemoveMatching(std::string_view v, size_t limit, bool from_back) {
  size_t removed = 0;
  for (size_t k = 0; k < nodes() && removed < limit; ++k) {
    Node& n = node(from_back ? nodes() - 1 - k : k);
    if (!from_back) {
      for (size_t p = n.lp.First(); p < n.lp.End() && removed < limit;) {
        if (n.lp.Get(p) != v) {
          p = n.lp.Next(p);
          continue;
        }
        p = n.lp.Erase(p);
        ++removed;
      }
    } else {
      for (size_t p = n.lp.Last(); p < n.lp.End() && removed < limit;) {
        bool first = p == n.lp.First();
        size_t prev = first ? n.lp.End() : n.lp.Prev(p);
        if (n.lp.Get(p) == v) {
          n.lp.Erase(p);
          ++removed;
        }
        p = prev;  // erasing at p leaves the elements before it in place
      }
    }
    Refresh(n);
  }
  size_ -= removed;
  DropEmptyNodes();
  return removed;
}

}  // namespace magpie
