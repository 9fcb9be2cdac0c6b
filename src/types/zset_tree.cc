#include "types/zset_tree.h"

#include <malloc.h>

#include <cstdlib>
#include <new>

#include "store/entry.h"

namespace magpie {

namespace {

void* Allocate(size_t n, size_t* bytes) {
  void* p = malloc(n);
  if (p == nullptr) throw std::bad_alloc();
  *bytes += malloc_usable_size(p);
  return p;
}

void Deallocate(void* p, size_t* bytes) {
  *bytes -= malloc_usable_size(p);
  free(p);
}

}  // namespace

uint64_t ZHash(std::string_view member) { return HashKey(member); }

ZNode* ZNode::New(std::string_view member, double score, size_t* bytes) {
  size_t len = member.size();
  size_t head = len < 0xff ? 1 : 5;
  auto* p = static_cast<unsigned char*>(Allocate(sizeof(double) + head + len, bytes));
  memcpy(p, &score, sizeof(double));
  unsigned char* h = p + sizeof(double);
  if (head == 1) {
    h[0] = static_cast<unsigned char>(len);
  } else {
    h[0] = 0xff;
    uint32_t n = static_cast<uint32_t>(len);
    memcpy(h + 1, &n, sizeof(n));
  }
  if (len > 0) memcpy(h + head, member.data(), len);
  return reinterpret_cast<ZNode*>(p);
}

void ZNode::Free(ZNode* n, size_t* bytes) { Deallocate(n, bytes); }

// ---------------------------------------------------------------------------
// ZIndex

ZIndex::~ZIndex() {
  if (slots_ != nullptr) Deallocate(slots_, bytes_);
}

ZNode* ZIndex::Find(std::string_view member, uint64_t h) const {
  if (bits_ == 0) return nullptr;
  size_t total = slots();
  for (size_t p = Home(h); p < total && slots_[p] != 0; ++p) {
    if (TagMatches(slots_[p], h) && Node(slots_[p])->member() == member) return Node(slots_[p]);
  }
  return nullptr;
}

bool ZIndex::Place(uintptr_t packed, uint64_t h) {
  size_t total = slots();
  for (size_t p = Home(h); p < total; ++p) {
    if (slots_[p] == 0) {
      slots_[p] = packed;
      return true;
    }
  }
  return false;
}

void ZIndex::Rehash(unsigned bits) {
  for (;; ++bits) {
    size_t total = (size_t{1} << bits) + kOverflow;
    auto* fresh = static_cast<uintptr_t*>(Allocate(total * sizeof(uintptr_t), bytes_));
    memset(fresh, 0, total * sizeof(uintptr_t));
    uintptr_t* old = slots_;
    size_t old_total = slots();
    slots_ = fresh;
    unsigned old_bits = bits_;
    bits_ = bits;
    bool ok = true;
    for (size_t i = 0; i < old_total && ok; ++i) {
      if (old[i] == 0) continue;
      ok = Place(old[i], ZHash(Node(old[i])->member()));
    }
    if (ok) {
      if (old != nullptr) Deallocate(old, bytes_);
      return;
    }
    // Too many members hashed to the tail: retry one size larger.
    Deallocate(fresh, bytes_);
    slots_ = old;
    bits_ = old_bits;
  }
}

void ZIndex::Reserve(size_t n) {
  unsigned bits = bits_ < kMinBits ? kMinBits : bits_;
  // Linear probing stays short below 4/5 load.
  while (n * 5 > (size_t{1} << bits) * 4) ++bits;
  if (bits != bits_) Rehash(bits);
}

void ZIndex::Insert(ZNode* n, uint64_t h) {
  Reserve(size_ + 1);
  while (!Place(Pack(n, h), h)) Rehash(bits_ + 1);
  ++size_;
}

ZNode* ZIndex::Erase(std::string_view member, uint64_t h) {
  if (bits_ == 0) return nullptr;
  size_t total = slots();
  size_t p = Home(h);
  for (; p < total && slots_[p] != 0; ++p) {
    if (TagMatches(slots_[p], h) && Node(slots_[p])->member() == member) break;
  }
  if (p >= total || slots_[p] == 0) return nullptr;
  ZNode* found = Node(slots_[p]);
  // Backward-shift: pull later members of the cluster into the hole when
  // their home slot is at or before it.
  size_t hole = p;
  for (size_t q = p + 1; q < total && slots_[q] != 0; ++q) {
    if (Home(ZHash(Node(slots_[q])->member())) <= hole) {
      slots_[hole] = slots_[q];
      hole = q;
    }
  }
  slots_[hole] = 0;
  --size_;
  // Shrink below 1/8 load (to at most 1/2) so a set that lost most of its
  // members gives the memory back; the scan cursor survives any resize.
  if (bits_ > kMinBits && size_ * 8 < (size_t{1} << bits_)) {
    unsigned bits = kMinBits;
    while (size_ * 2 > (size_t{1} << bits)) ++bits;
    Rehash(bits);
  }
  return found;
}

// ---------------------------------------------------------------------------
// ZTree

void* ZTree::Alloc(size_t n) { return Allocate(n, bytes_); }
void ZTree::Release(void* p) { Deallocate(p, bytes_); }

ZTree::~ZTree() {
  if (root_ != nullptr) FreeNode(root_, height_);
}

void ZTree::FreeNode(void* node, int height) {
  if (height == 0) {
    Leaf* l = static_cast<Leaf*>(node);
    for (uint32_t i = 0; i < l->n; ++i) ZNode::Free(l->item[i], bytes_);
  } else {
    Inner* in = static_cast<Inner*>(node);
    for (uint32_t i = 0; i < in->n; ++i) FreeNode(in->child[i], height - 1);
  }
  Release(node);
}

uint32_t ZTree::ChildFor(const Inner* in, double score, std::string_view m) {
  uint32_t i = in->n - 1;
  while (i > 0) {
    if (score > in->sep_score[i]) break;
    if (score == in->sep_score[i] && m >= in->sep[i]->member()) break;
    --i;
  }
  return i;
}

uint32_t ZTree::LeafLowerBound(const Leaf* l, double score, std::string_view m) {
  uint32_t lo = 0, hi = l->n;
  while (lo < hi) {
    uint32_t mid = (lo + hi) / 2;
    const ZNode* x = l->item[mid];
    if (ZCompare(x->score, x->member(), score, m) < 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

ZTree::Leaf* ZTree::Descend(double score, std::string_view m, Path* path) const {
  void* node = root_;
  for (int level = 0; level < height_; ++level) {
    Inner* in = static_cast<Inner*>(node);
    uint32_t i = ChildFor(in, score, m);
    path->node[level] = in;
    path->idx[level] = i;
    node = in->child[i];
  }
  return static_cast<Leaf*>(node);
}

ZNode* ZTree::FirstOf(void* node, int height) const {
  for (; height > 0; --height) node = static_cast<Inner*>(node)->child[0];
  return static_cast<Leaf*>(node)->item[0];
}

void ZTree::Insert(ZNode* n) {
  ++size_;
  if (root_ == nullptr) {
    Leaf* l = static_cast<Leaf*>(Alloc(sizeof(Leaf)));
    l->n = 1;
    l->prev = l->next = nullptr;
    l->item[0] = n;
    root_ = l;
    return;
  }
  Path path;
  std::string_view m = n->member();
  Leaf* l = Descend(n->score, m, &path);
  for (int level = 0; level < height_; ++level) path.node[level]->count[path.idx[level]]++;
  uint32_t pos = LeafLowerBound(l, n->score, m);
  if (l->n < kLeafCap) {
    memmove(&l->item[pos + 1], &l->item[pos], (l->n - pos) * sizeof(ZNode*));
    l->item[pos] = n;
    l->n++;
    if (pos == 0) RefreshSeparators(&path, height_);
    return;
  }
  // Split. Appending past the last leaf moves only the new element, so
  // ascending inserts leave full leaves behind.
  Leaf* r = static_cast<Leaf*>(Alloc(sizeof(Leaf)));
  uint32_t keep = (pos == kLeafCap && l->next == nullptr) ? kLeafCap : (kLeafCap + 1) / 2;
  r->n = kLeafCap - keep;
  memcpy(r->item, &l->item[keep], r->n * sizeof(ZNode*));
  l->n = keep;
  Leaf* target = pos <= keep && !(pos == keep && keep == kLeafCap) ? l : r;
  if (target == r) pos -= keep;
  memmove(&target->item[pos + 1], &target->item[pos], (target->n - pos) * sizeof(ZNode*));
  target->item[pos] = n;
  target->n++;
  r->prev = l;
  r->next = l->next;
  if (l->next) l->next->prev = r;
  l->next = r;
  if (target == l && pos == 0) RefreshSeparators(&path, height_);
  InsertChild(&path, height_ - 1, r, r->n, r->item[0]);
}

// Adds child `c` (holding `count` elements, first element `first`) right
// after the child the path passes through at `level` (-1: a new root).
// The path's counts already include the new element; this rebalances them.
void ZTree::InsertChild(Path* path, int level, void* c, size_t count, ZNode* first) {
  if (level < 0) {
    Inner* root = static_cast<Inner*>(Alloc(sizeof(Inner)));
    root->n = 2;
    root->child[0] = root_;
    root->child[1] = c;
    root->count[1] = count;
    root->count[0] = size_ - count;
    root->sep[0] = FirstOf(root_, height_);
    root->sep_score[0] = root->sep[0]->score;
    root->sep[1] = first;
    root->sep_score[1] = first->score;
    root_ = root;
    ++height_;
    return;
  }
  Inner* in = path->node[level];
  uint32_t at = path->idx[level] + 1;
  in->count[at - 1] -= count;
  auto put = [&](Inner* dst, uint32_t i) {
    size_t tail = dst->n - i;
    memmove(&dst->count[i + 1], &dst->count[i], tail * sizeof(size_t));
    memmove(&dst->child[i + 1], &dst->child[i], tail * sizeof(void*));
    memmove(&dst->sep_score[i + 1], &dst->sep_score[i], tail * sizeof(double));
    memmove(&dst->sep[i + 1], &dst->sep[i], tail * sizeof(ZNode*));
    dst->count[i] = count;
    dst->child[i] = c;
    dst->sep[i] = first;
    dst->sep_score[i] = first->score;
    dst->n++;
  };
  if (in->n < kInnerCap) return put(in, at);
  Inner* r = static_cast<Inner*>(Alloc(sizeof(Inner)));
  // As for leaves: a child appended at the end starts a fresh node.
  uint32_t keep = at == kInnerCap ? kInnerCap : (kInnerCap + 1) / 2;
  r->n = kInnerCap - keep;
  memcpy(r->count, &in->count[keep], r->n * sizeof(size_t));
  memcpy(r->child, &in->child[keep], r->n * sizeof(void*));
  memcpy(r->sep_score, &in->sep_score[keep], r->n * sizeof(double));
  memcpy(r->sep, &in->sep[keep], r->n * sizeof(ZNode*));
  in->n = keep;
  if (at <= keep && !(at == keep && keep == kInnerCap)) {
    put(in, at);
  } else {
    put(r, at - keep);
  }
  size_t rcount = 0;
  for (uint32_t i = 0; i < r->n; ++i) rcount += r->count[i];
  InsertChild(path, level - 1, r, rcount, r->sep[0]);
}

// After the first element under path level `level` changed, refreshes the
// separators that name it: up the path while the child is the leftmost.
void ZTree::RefreshSeparators(Path* path, int level) {
  for (int l = level - 1; l >= 0; --l) {
    Inner* in = path->node[l];
    uint32_t i = path->idx[l];
    in->sep[i] = FirstOf(in->child[i], height_ - 1 - l);
    in->sep_score[i] = in->sep[i]->score;
    if (i > 0) return;
  }
}

void ZTree::Erase(const ZNode* n) {
  Path path;
  std::string_view m = n->member();
  Leaf* l = Descend(n->score, m, &path);
  uint32_t pos = LeafLowerBound(l, n->score, m);
  --size_;
  for (int level = 0; level < height_; ++level) path.node[level]->count[path.idx[level]]--;
  memmove(&l->item[pos], &l->item[pos + 1], (l->n - pos - 1) * sizeof(ZNode*));
  l->n--;
  if (l->n > 0) {
    if (pos == 0) RefreshSeparators(&path, height_);
    if (l->n < kLeafCap / 4 && height_ > 0) MergeLeaf(&path);
    return;
  }
  if (l->prev) l->prev->next = l->next;
  if (l->next) l->next->prev = l->prev;
  Release(l);
  if (height_ == 0) {
    root_ = nullptr;
    return;
  }
  RemoveChild(&path, height_ - 1);
}

// Folds a sparse leaf and a sibling under the same parent into one when
// they fit in 3/4 of a leaf, so deletions cannot leave the tree mostly
// empty leaves.
void ZTree::MergeLeaf(Path* path) {
  int level = height_ - 1;
  Inner* parent = path->node[level];
  uint32_t i = path->idx[level];
  uint32_t right_idx = i + 1 < parent->n ? i + 1 : i;
  if (right_idx == 0) return;  // an only child
  Leaf* left = static_cast<Leaf*>(parent->child[right_idx - 1]);
  Leaf* right = static_cast<Leaf*>(parent->child[right_idx]);
  if (left->n + right->n > kLeafCap * 3 / 4) return;
  memcpy(&left->item[left->n], right->item, right->n * sizeof(ZNode*));
  left->n += right->n;
  parent->count[right_idx - 1] += parent->count[right_idx];
  left->next = right->next;
  if (right->next) right->next->prev = left;
  Release(right);
  path->idx[level] = right_idx;
  RemoveChild(path, level);
}

// Removes the (already freed, empty) child the path passes through at
// `level`, collapsing emptied inner nodes and a single-child root.
void ZTree::RemoveChild(Path* path, int level) {
  Inner* in = path->node[level];
  uint32_t i = path->idx[level];
  size_t tail = in->n - i - 1;
  memmove(&in->count[i], &in->count[i + 1], tail * sizeof(size_t));
  memmove(&in->child[i], &in->child[i + 1], tail * sizeof(void*));
  memmove(&in->sep_score[i], &in->sep_score[i + 1], tail * sizeof(double));
  memmove(&in->sep[i], &in->sep[i + 1], tail * sizeof(ZNode*));
  in->n--;
  if (in->n == 0) {
    Release(in);
    if (level == 0) {
      root_ = nullptr;
      height_ = 0;
      return;
    }
    return RemoveChild(path, level - 1);
  }
  if (i == 0) RefreshSeparators(path, level);
  while (height_ > 0 && static_cast<Inner*>(root_)->n == 1) {
    Inner* root = static_cast<Inner*>(root_);
    root_ = root->child[0];
    Release(root);
    --height_;
  }
}

size_t ZTree::Rank(const ZNode* n) const {
  std::string_view m = n->member();
  size_t rank = 0;
  void* node = root_;
  for (int h = height_; h > 0; --h) {
    const Inner* in = static_cast<const Inner*>(node);
    uint32_t i = ChildFor(in, n->score, m);
    for (uint32_t j = 0; j < i; ++j) rank += in->count[j];
    node = in->child[i];
  }
  return rank + LeafLowerBound(static_cast<const Leaf*>(node), n->score, m);
}

ZTree::Pos ZTree::At(size_t rank) const {
  if (rank >= size_) return {};
  void* node = root_;
  for (int h = height_; h > 0; --h) {
    const Inner* in = static_cast<const Inner*>(node);
    uint32_t i = 0;
    while (rank >= in->count[i]) rank -= in->count[i++];
    node = in->child[i];
  }
  return {static_cast<Leaf*>(node), static_cast<uint32_t>(rank)};
}

}  // namespace magpie
