// ListValue: the value of a list key — a quicklist, i.e. a sequence of
// Listpack nodes (types/listpack.h), each holding a run of consecutive
// elements.
//
// The nodes sit in one array with free slots at both ends (a "gap array"):
// pushing or popping a node at either end is O(1) amortized (when one end
// runs out of slots the array is regrown with the nodes re-centred), and
// node i is found by index. Each slot caches its node's element count and
// allocation size, so LINDEX/LRANGE skip whole nodes without touching their
// memory, and MemoryUsage stays O(1).
//
// A node accepts another element while it stays within the fill limit given
// by list-max-listpack-size: negative -1..-5 caps a node at 4..64 KB,
// positive N at N elements (and 8 KB, as Redis's safety limit). An element
// bigger than the limit gets a node of its own. A small list is simply one
// node. Redis 7.0 reports every list as "quicklist" whatever its size, so
// the command family always stores that encoding.
//
// Invariants: no node is empty; size_ is the sum of the slots' counts;
// bytes_ = the slot array's allocation + every node's
// allocation. Positions (Pos) are valid until the next change.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "types/listpack.h"
#include "types/value.h"

namespace magpie {

class ListValue final : public CollectionOf<ListValue> {
 public:
  // An element's place: node index (from the first node) and byte offset.
  struct Pos {
    size_t node;
    size_t off;
  };

  ListValue();
  ListValue(const ListValue& other);
  ListValue(ListValue&& other) noexcept;
  ListValue& operator=(const ListValue&) = delete;

  size_t MemoryUsage() const override { return bytes_; }
  CollectionValue* Clone() const override { return new ListValue(*this); }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t nodes() const { return end_ - begin_; }
  // Node i's elements (0 <= i < nodes()), for serialization (RDB, DUMP).
  const Listpack& node_listpack(size_t i) const { return node(i).lp; }

  // `fill` is list-max-listpack-size.
  void PushFront(std::string_view v, int64_t fill);
  void PushBack(std::string_view v, int64_t fill);
  // Calls f(element) on the first (last) element, then removes it. The list
  // must not be empty.
  template <typename F>
  void PopFront(F&& f) {
    Node& n = slots_[begin_];
    f(n.lp.Get(n.lp.First()));
    EraseAt({0, n.lp.First()});
  }
  template <typename F>
  void PopBack(F&& f) {
    Node& n = slots_[end_ - 1];
    f(n.lp.Get(n.lp.Last()));
    EraseAt({nodes() - 1, n.lp.Last()});
  }

  // Position of element `index` (0 <= index < size()).
  Pos Seek(size_t index) const;
  std::string_view Get(Pos p) const { return node(p.node).lp.Get(p.off); }
  // The next (previous) element's position; false past the end (start).
  bool Next(Pos* p) const;
  bool Prev(Pos* p) const;
  // Calls f(element) for elements [start, start + count).
  template <typename F>
  void ForRange(size_t start, size_t count, F&& f) const {
    if (count == 0) return;
    Pos p = Seek(start);
    for (size_t i = 0;; ++i) {
      f(Get(p));
      if (i + 1 == count) break;
      Next(&p);
    }
  }

  void Set(Pos p, std::string_view v, int64_t fill);
  // Inserts `v` before (or after) the element at `p`.
  void InsertAt(Pos p, std::string_view v, bool after, int64_t fill);
  // Removes the element at `p`; returns the position of the one that
  // followed it (node == nodes() when it was the last).
  Pos EraseAt(Pos p);
  // Removes `count` elements starting at index `start`.
  void EraseRange(size_t start, size_t count);
  // Removes up to `limit` elements equal to v, scanning from the head (or
  // the tail); returns how many. O(bytes of the list).
  size_t RemoveMatching(std::string_view v, size_t limit, bool from_back);
  // Merges neighbouring nodes that fit together (after removals in the
  // middle left them small).
  void Compact(int64_t fill);

 private:
  struct Node {
    Listpack lp;
    uint32_t count = 0;  // elements in lp
    uint32_t alloc = 0;  // lp.MemoryUsage() when last updated
  };

  const Node& node(size_t i) const { return slots_[begin_ + i]; }
  Node& node(size_t i) { return slots_[begin_ + i]; }
  static bool Fits(const Node& n, size_t value_len, int64_t fill);
  // Refreshes a node's cached count and allocation after a change.
  void Refresh(Node& n);
  // Opens an empty node at index i (0..nodes()); returns it.
  Node& InsertNode(size_t i);
  // Removes nodes [i, i + k) with one move of the shorter side.
  void RemoveNodes(size_t i, size_t k);
  // Removes every node left empty, in one pass.
  void DropEmptyNodes();
  // Re-centres the nodes in a fresh array with room for `extra` more.
  void Regrow(size_t extra);
  // Moves the elements from byte offset `off` of node i into a new node
  // right after it.
  void Split(size_t i, size_t off);
  // Whether nodes a and b fit together in one node under `fill`.
  static bool CanMerge(const Node& a, const Node& b, int64_t fill);
  void AccountSlots();

  std::vector<Node> slots_;  // nodes live in [begin_, end_)
  size_t begin_ = 0, end_ = 0;
  size_t size_ = 0;        // elements
  size_t slot_bytes_ = 0;  // allocation of slots_
  size_t bytes_;
};

}  // namespace magpie
