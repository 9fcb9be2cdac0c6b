// The large ("skiplist") encoding of a sorted set, in three parts:
//
//  * ZNode: one member and its score in a single allocation,
//      [double score][length: 1 byte, or 0xff + 4 bytes][member bytes]
//    so a short member costs its bytes plus 9 (Redis spends ~60 bytes on a
//    skiplist node, an sds and a dict entry for the same member).
//
//  * ZIndex: member -> ZNode*, open addressing with linear probing. A slot
//    is one word: the node pointer with 16 bits of the member's hash in the
//    pointer's unused top bits, so a probe rarely touches a node that does
//    not match. The home slot is the hash's top bits, so the table is
//    ordered by hash prefix; probing never wraps (the array has an overflow
//    tail), which makes a cursor over hash values (ZSCAN) stable across
//    resizes: it returns every member present for the whole scan once.
//    Deletion shifts the following cluster back (no tombstones). The table
//    grows above 4/5 load and shrinks below 1/8.
//
//  * ZTree: an order-statistic B+tree of ZNode* ordered by (score, member).
//    Leaves hold only node pointers and are doubly linked for range walks;
//    inner nodes hold each child's element count (rank in O(log n)) and a
//    separator per child: the child's smallest node, with its score copied
//    inline so descending rarely dereferences a node. Invariant: for child
//    i > 0, sep[i] is the first element of child i's subtree (erasing that
//    element refreshes it). Leaves never hold 0 elements (an emptied leaf
//    is unlinked), a leaf below 1/4 full is merged with a sibling when the
//    two fit in 3/4 of a leaf (deletions cannot leave mostly empty leaves),
//    and an append to the last leaf splits off only the new element so
//    ascending inserts fill leaves completely.
//
// ZNodes are owned by the tree; ZIndex only points at them. Memory use is
// tracked by the caller-provided counter (allocator usable sizes), so
// MemoryUsage stays O(1).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace magpie {

struct ZNode {
  double score;
  std::string_view member() const {
    const unsigned char* p = reinterpret_cast<const unsigned char*>(this) + sizeof(double);
    if (p[0] != 0xff) return {reinterpret_cast<const char*>(p + 1), p[0]};
    uint32_t n;
    memcpy(&n, p + 1, sizeof(n));
    return {reinterpret_cast<const char*>(p + 5), n};
  }
  // Allocates a node; adds its allocated size to *bytes.
  static ZNode* New(std::string_view member, double score, size_t* bytes);
  static void Free(ZNode* n, size_t* bytes);
};

// (score, member) order: score first, ties broken by member bytes (memcmp).
inline int ZCompare(double s1, std::string_view m1, double s2, std::string_view m2) {
  if (s1 < s2) return -1;
  if (s1 > s2) return 1;
  int c = m1.compare(m2);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

uint64_t ZHash(std::string_view member);

class ZIndex {
 public:
  explicit ZIndex(size_t* bytes) : bytes_(bytes) {}
  ZIndex(const ZIndex&) = delete;
  ZIndex& operator=(const ZIndex&) = delete;
  ~ZIndex();

  size_t size() const { return size_; }
  ZNode* Find(std::string_view member, uint64_t h) const;
  // Adds a node whose member is absent.
  void Insert(ZNode* n, uint64_t h);
  // Removes the member's node from the index (does not free it).
  ZNode* Erase(std::string_view member, uint64_t h);
  // Prepares room for `n` members.
  void Reserve(size_t n);

  // Visits the nodes whose member hash lies in [cursor, next) for a `next`
  // covering about `count` home slots; returns next (0 when done).
  template <typename F>
  uint64_t Scan(uint64_t cursor, size_t count, F&& visit) const;

 private:
  static constexpr size_t kOverflow = 64;  // slots past the last home slot
  static constexpr unsigned kMinBits = 4;
  static uintptr_t Pack(ZNode* n, uint64_t h) {
    return reinterpret_cast<uintptr_t>(n) | (static_cast<uintptr_t>(h & 0xffff) << 48);
  }
  static ZNode* Node(uintptr_t s) { return reinterpret_cast<ZNode*>(s & ((uintptr_t{1} << 48) - 1)); }
  static bool TagMatches(uintptr_t s, uint64_t h) { return (s >> 48) == (h & 0xffff); }
  size_t Home(uint64_t h) const { return bits_ == 0 ? 0 : static_cast<size_t>(h >> (64 - bits_)); }
  size_t slots() const { return bits_ == 0 ? 0 : (size_t{1} << bits_) + kOverflow; }
  // Places a node in the table; false if the overflow tail is exhausted.
  bool Place(uintptr_t packed, uint64_t h);
  void Rehash(unsigned bits);

  uintptr_t* slots_ = nullptr;
  unsigned bits_ = 0;  // home slots = 2^bits_
  size_t size_ = 0;
  size_t* bytes_;
};

class ZTree {
 public:
  static constexpr uint32_t kLeafCap = 125;  // a leaf fills 1 KB
  static constexpr uint32_t kInnerCap = 31;  // an inner node fills 1 KB

  struct Leaf {
    uint32_t n;
    Leaf* prev;
    Leaf* next;
    ZNode* item[kLeafCap];
  };
  // A position: element `i` of `leaf` (leaf == nullptr: past either end).
  struct Pos {
    Leaf* leaf = nullptr;
    uint32_t i = 0;
    bool valid() const { return leaf != nullptr; }
    ZNode* node() const { return leaf->item[i]; }
    void Next() {
      if (++i == leaf->n) leaf = leaf->next, i = 0;
    }
    void Prev() {
      if (i > 0) {
        --i;
      } else {
        leaf = leaf->prev;
        i = leaf ? leaf->n - 1 : 0;
      }
    }
  };

  explicit ZTree(size_t* bytes) : bytes_(bytes) {}
  ZTree(const ZTree&) = delete;
  ZTree& operator=(const ZTree&) = delete;
  ~ZTree();  // frees the ZNodes too

  size_t size() const { return size_; }
  void Insert(ZNode* n);
  // Unlinks the node (found by its score and member); does not free it.
  void Erase(const ZNode* n);
  // 0-based rank of a node in the tree.
  size_t Rank(const ZNode* n) const;
  // Number of leading elements for which `less(score, member)` holds; `less`
  // must be true for a prefix of the order and false after it.
  template <typename Less>
  size_t CountWhile(Less&& less) const;
  Pos At(size_t rank) const;
  Pos First() const { return At(0); }

 private:
  struct Inner {
    uint32_t n;
    size_t count[kInnerCap];
    void* child[kInnerCap];
    double sep_score[kInnerCap];
    ZNode* sep[kInnerCap];
  };
  static constexpr int kMaxHeight = 16;
  struct Path {
    Inner* node[kMaxHeight];
    uint32_t idx[kMaxHeight];
  };

  // Descends to the leaf holding `n`'s key; fills the path (levels above
  // the leaf, root first) and returns the leaf.
  Leaf* Descend(double score, std::string_view m, Path* path) const;
  // Child index of `in` to descend into for the key.
  static uint32_t ChildFor(const Inner* in, double score, std::string_view m);
  static uint32_t LeafLowerBound(const Leaf* l, double score, std::string_view m);
  ZNode* FirstOf(void* node, int height) const;
  // Inserts child `c` after index `at` of the parent at path level `level`.
  void InsertChild(Path* path, int level, void* c, size_t count, ZNode* first);
  void RemoveChild(Path* path, int level);
  void MergeLeaf(Path* path);
  void RefreshSeparators(Path* path, int level);
  void FreeNode(void* node, int height);
  void* Alloc(size_t n);
  void Release(void* p);

  void* root_ = nullptr;
  int height_ = 0;  // inner levels above the leaves
  size_t size_ = 0;
  size_t* bytes_;
};

template <typename F>
uint64_t ZIndex::Scan(uint64_t cursor, size_t count, F&& visit) const {
  if (bits_ == 0) return 0;
  size_t cap = size_t{1} << bits_;
  size_t s = Home(cursor);
  size_t end = s + (count < 1 ? 1 : count);
  if (end > cap) end = cap;
  uint64_t next = end >= cap ? 0 : static_cast<uint64_t>(end) << (64 - bits_);
  size_t total = slots();
  for (size_t p = s; p < total && (p < end || slots_[p] != 0); ++p) {
    if (slots_[p] == 0) continue;
    ZNode* n = Node(slots_[p]);
    uint64_t h = ZHash(n->member());
    if (h >= cursor && (next == 0 || h < next)) visit(n);
  }
  return next;
}

template <typename Less>
size_t ZTree::CountWhile(Less&& less) const {
  if (root_ == nullptr) return 0;
  size_t before = 0;
  void* node = root_;
  for (int h = height_; h > 0; --h) {
    const Inner* in = static_cast<const Inner*>(node);
    uint32_t i = in->n - 1;
    while (i > 0 && !less(in->sep_score[i], in->sep[i])) --i;
    for (uint32_t j = 0; j < i; ++j) before += in->count[j];
    node = in->child[i];
  }
  const Leaf* l = static_cast<const Leaf*>(node);
  uint32_t lo = 0, hi = l->n;
  while (lo < hi) {
    uint32_t mid = (lo + hi) / 2;
    if (less(l->item[mid]->score, l->item[mid])) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return before + lo;
}

}  // namespace magpie
