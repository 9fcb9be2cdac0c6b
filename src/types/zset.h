// ZSetValue: the value of a sorted set key, in one of two encodings.
//
//  * listpack (small sets): one Listpack of member, score, member, score...
//    ordered by (score, member). The score is stored as text the way Redis
//    writes it into its listpack (an integral score within +-2^62 as an
//    integer, otherwise %.17g), so conversions and ZSCAN show exactly the
//    same text Redis does (e.g. -0 reads back as 0, as in Redis).
//  * "skiplist" (large sets): a ZIndex (member -> node, O(1) ZSCORE) plus a
//    ZTree (order-statistic B+tree, O(log n) rank) over shared ZNodes; see
//    types/zset_tree.h.
//
// The command family converts listpack -> large when the set grows past
// zset-max-listpack-entries or gets a member longer than
// zset-max-listpack-value; never back, except that a freshly built result
// (ZUNIONSTORE ...) starts compact when it fits, as in Redis.
//
// Ranks are 0-based in ascending order. Every operation here is O(log n)
// on the large encoding, O(n) on the (bounded) listpack.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "types/listpack.h"
#include "types/value.h"
#include "types/zset_tree.h"

namespace magpie {

// Formats a score the way Redis stores it in a listpack (see above).
size_t FormatListpackScore(double v, char* buf);  // buf: at least 32 bytes
// Parses a score written by FormatListpackScore.
double ParseListpackScore(std::string_view s);

class ZSetValue final : public CollectionOf<ZSetValue> {
 public:
  ZSetValue() = default;
  ZSetValue(const ZSetValue& other);
  ZSetValue(ZSetValue&& other) noexcept = default;
  ZSetValue& operator=(const ZSetValue&) = delete;
  ~ZSetValue() override;

  size_t MemoryUsage() const override;
  CollectionValue* Clone() const override { return new ZSetValue(*this); }

  bool is_listpack() const { return large_ == nullptr; }
  size_t size() const;
  // Converts to the large encoding (no-op if already large).
  void ConvertToLarge();

  std::optional<double> Score(std::string_view member) const;
  // Adds an absent member.
  void Insert(std::string_view member, double score);
  // Changes a present member's score.
  void Update(std::string_view member, double old_score, double score);
  bool Erase(std::string_view member);
  // Rank of a present member, or nullopt.
  std::optional<size_t> Rank(std::string_view member) const;

  // Number of leading elements (in ascending order) that are below a score
  // bound: score < bound, or score <= bound when `inclusive`.
  size_t CountBelowScore(double bound, bool inclusive) const;
  // Same for a member bound when all scores are equal (BYLEX).
  size_t CountBelowLex(std::string_view bound, bool inclusive) const;

  // Calls f(member, score) for `count` elements starting at rank `start`,
  // walking up (or down when `reverse`: start is then the highest rank).
  template <typename F>
  void ForRange(size_t start, size_t count, bool reverse, F&& f) const;
  // Removes the elements with ranks [start, start + count).
  void EraseRange(size_t start, size_t count);

  // ZSCAN over the large encoding (see ZIndex::Scan); the listpack encoding
  // is returned whole by the caller with ForRange.
  template <typename F>
  uint64_t Scan(uint64_t cursor, size_t count, F&& f) const {
    return large_->index.Scan(cursor, count, [&](const ZNode* n) { f(n->member(), n->score); });
  }
  // Listpack's stored score text (ZSCAN of a listpack replies it verbatim).
  template <typename F>
  void ForEachListpackRaw(F&& f) const;

 private:
  struct Large {
    size_t bytes = 0;  // allocated by index and tree
    ZIndex index{&bytes};
    ZTree tree{&bytes};
  };
  // Position of the member's element in the listpack, or End().
  size_t LpFind(std::string_view member) const;
  void LpInsert(std::string_view member, double score);

  Listpack lp_;
  std::unique_ptr<Large> large_;
};

template <typename F>
void ZSetValue::ForRange(size_t start, size_t count, bool reverse, F&& f) const {
  if (count == 0) return;
  if (large_ == nullptr) {
    size_t pos = lp_.Seek(static_cast<int64_t>(start * 2));
    for (size_t i = 0; i < count; ++i) {
      std::string_view m = lp_.Get(pos);
      size_t spos = lp_.Next(pos);
      f(m, ParseListpackScore(lp_.Get(spos)));
      if (i + 1 == count) break;
      pos = reverse ? lp_.Prev(pos) : lp_.Next(spos);
      if (reverse) pos = lp_.Prev(pos);
    }
    return;
  }
  ZTree::Pos p = large_->tree.At(start);
  for (size_t i = 0; i < count && p.valid(); ++i) {
    const ZNode* n = p.node();
    f(n->member(), n->score);
    reverse ? p.Prev() : p.Next();
  }
}

template <typename F>
void ZSetValue::ForEachListpackRaw(F&& f) const {
  for (size_t pos = lp_.First(); pos != lp_.End();) {
    std::string_view m = lp_.Get(pos);
    pos = lp_.Next(pos);
    f(m, lp_.Get(pos));
    pos = lp_.Next(pos);
  }
}

}  // namespace magpie
