#include "types/zset.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace magpie {

size_t FormatListpackScore(double v, char* buf) {
  if (std::isinf(v)) {
    memcpy(buf, v > 0 ? "inf" : "-inf", v > 0 ? 3 : 4);
    return v > 0 ? 3 : 4;
  }
  // Redis writes integral scores up to 2^62 in magnitude as integers.
  constexpr double kLimit = 4611686018427387904.0;
  if (v >= -kLimit && v <= kLimit && v == static_cast<double>(static_cast<long long>(v))) {
    auto r = std::to_chars(buf, buf + 32, static_cast<long long>(v));
    return static_cast<size_t>(r.ptr - buf);
  }
  return static_cast<size_t>(snprintf(buf, 32, "%.17g", v));
}

double ParseListpackScore(std::string_view s) {
  double v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

namespace {

// A listpack score: the stored text and its value.
struct LpScore {
  char buf[32];
  size_t len;
  explicit LpScore(double v) : len(FormatListpackScore(v, buf)) {}
  std::string_view text() const { return {buf, len}; }
};

}  // namespace

ZSetValue::ZSetValue(const ZSetValue& other) : CollectionOf(), lp_(other.lp_) {
  if (other.large_ == nullptr) return;
  large_ = std::make_unique<Large>();
  large_->index.Reserve(other.size());
  for (ZTree::Pos p = other.large_->tree.First(); p.valid(); p.Next()) {
    const ZNode* n = p.node();
    ZNode* copy = ZNode::New(n->member(), n->score, &large_->bytes);
    large_->tree.Insert(copy);
    large_->index.Insert(copy, ZHash(n->member()));
  }
}

ZSetValue::~ZSetValue() = default;

size_t ZSetValue::MemoryUsage() const {
  size_t n = lp_.MemoryUsage();
  if (large_) n += sizeof(Large) + large_->bytes;
  return n;
}

size_t ZSetValue::size() const { return large_ ? large_->tree.size() : lp_.size() / 2; }

void ZSetValue::ConvertToLarge() {
  if (large_) return;
  auto large = std::make_unique<Large>();
  large->index.Reserve(lp_.size() / 2);
  for (size_t pos = lp_.First(); pos != lp_.End();) {
    std::string_view m = lp_.Get(pos);
    pos = lp_.Next(pos);
    ZNode* n = ZNode::New(m, ParseListpackScore(lp_.Get(pos)), &large->bytes);
    pos = lp_.Next(pos);
    large->tree.Insert(n);
    large->index.Insert(n, ZHash(m));
  }
  lp_.Clear();
  large_ = std::move(large);
}

size_t ZSetValue::LpFind(std::string_view member) const {
  return lp_.Find(member, lp_.First(), 1);
}

std::optional<double> ZSetValue::Score(std::string_view member) const {
  if (large_) {
    const ZNode* n = large_->index.Find(member, ZHash(member));
    if (n == nullptr) return std::nullopt;
    return n->score;
  }
  size_t pos = LpFind(member);
  if (pos == lp_.End()) return std::nullopt;
  return ParseListpackScore(lp_.Get(lp_.Next(pos)));
}

void ZSetValue::LpInsert(std::string_view member, double score) {
  LpScore text(score);
  // Compare with the value the listpack will hold (-0 is stored as 0).
  double stored = ParseListpackScore(text.text());
  size_t pos = lp_.First();
  while (pos != lp_.End()) {
    std::string_view m = lp_.Get(pos);
    size_t spos = lp_.Next(pos);
    if (ZCompare(ParseListpackScore(lp_.Get(spos)), m, stored, member) > 0) break;
    pos = lp_.Next(spos);
  }
  pos = lp_.Insert(pos, member);
  lp_.Insert(lp_.Next(pos), text.text());
}

void ZSetValue::Insert(std::string_view member, double score) {
  if (large_ == nullptr) return LpInsert(member, score);
  ZNode* n = ZNode::New(member, score, &large_->bytes);
  large_->tree.Insert(n);
  large_->index.Insert(n, ZHash(member));
}

void ZSetValue::Update(std::string_view member, double old_score, double score) {
  if (large_ == nullptr) {
    lp_.Erase(LpFind(member), 2);
    return LpInsert(member, score);
  }
  ZNode* n = large_->index.Find(member, ZHash(member));
  (void)old_score;
  large_->tree.Erase(n);
  n->score = score;
  large_->tree.Insert(n);
}

bool ZSetValue::Erase(std::string_view member) {
  if (large_ == nullptr) {
    size_t pos = LpFind(member);
    if (pos == lp_.End()) return false;
    lp_.Erase(pos, 2);
    return true;
  }
  ZNode* n = large_->index.Erase(member, ZHash(member));
  if (n == nullptr) return false;
  large_->tree.Erase(n);
  ZNode::Free(n, &large_->bytes);
  return true;
}

std::optional<size_t> ZSetValue::Rank(std::string_view member) const {
  if (large_) {
    const ZNode* n = large_->index.Find(member, ZHash(member));
    if (n == nullptr) return std::nullopt;
    return large_->tree.Rank(n);
  }
  size_t rank = 0;
  for (size_t pos = lp_.First(); pos != lp_.End(); pos = lp_.Next(lp_.Next(pos)), ++rank) {
    if (lp_.Get(pos) == member) return rank;
  }
  return std::nullopt;
}

size_t ZSetValue::CountBelowScore(double bound, bool inclusive) const {
  auto below = [&](double s) { return inclusive ? s <= bound : s < bound; };
  if (large_) {
    return large_->tree.CountWhile([&](double s, const ZNode*) { return below(s); });
  }
  size_t n = 0;
  for (size_t pos = lp_.First(); pos != lp_.End(); ++n) {
    pos = lp_.Next(pos);
    if (!below(ParseListpackScore(lp_.Get(pos)))) break;
    pos = lp_.Next(pos);
  }
  return n;
}

size_t ZSetValue::CountBelowLex(std::string_view bound, bool inclusive) const {
  auto below = [&](std::string_view m) { return inclusive ? m <= bound : m < bound; };
  if (large_) {
    return large_->tree.CountWhile([&](double, const ZNode* n) { return below(n->member()); });
  }
  size_t n = 0;
  for (size_t pos = lp_.First(); pos != lp_.End(); ++n) {
    if (!below(lp_.Get(pos))) break;
    pos = lp_.Next(lp_.Next(pos));
  }
  return n;
}

void ZSetValue::EraseRange(size_t start, size_t count) {
  if (count == 0) return;
  if (large_ == nullptr) {
    lp_.Erase(lp_.Seek(static_cast<int64_t>(start * 2)), count * 2);
    return;
  }
  for (size_t i = 0; i < count; ++i) {
    ZNode* n = large_->tree.At(start).node();
    large_->tree.Erase(n);
    large_->index.Erase(n->member(), ZHash(n->member()));
    ZNode::Free(n, &large_->bytes);
  }
}

}  // namespace magpie
