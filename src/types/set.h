// SetValue: the value of a set key, in one of four encodings.
//
//   intset    IntSet    every member is an integer, count <= set-max-intset-entries
//   listpack  Listpack  small sets with a non-integer member: count <=
//                       set-max-listpack-entries and every member <=
//                       set-max-listpack-value bytes (Redis 7.2's small sets)
//   hashtable IntTable  larger sets of integers only (8 bytes a slot)
//   hashtable StrTable  any other set (types/set_table.h)
//
// Conversions are one-way, towards the larger encodings, and happen inside
// Add: an integer set that outgrows the intset becomes an IntTable; the
// first non-integer member turns an intset into a listpack (if that stays
// within the listpack limits) or a StrTable, and an IntTable into a
// StrTable; a listpack that outgrows its limits becomes a StrTable. Removals
// never convert back, as in Redis. Members are byte strings compared
// exactly; an integer member is one whose bytes are the canonical decimal
// form of an int64 ("12", not "012" or "+12"), so both views agree.
//
// Positions (RandomPos/At/EraseAt) identify one member until the next
// change: an index (intset), a byte offset (listpack) or a slot (tables).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "common/util.h"
#include "store/entry.h"
#include "types/intset.h"
#include "types/listpack.h"
#include "types/set_table.h"
#include "types/value.h"

namespace magpie {

// The conversion thresholds (config set-max-*), read once per command.
struct SetLimits {
  size_t max_intset = 512;
  size_t max_listpack = 128;
  size_t max_listpack_value = 64;
};

class SetValue final : public CollectionOf<SetValue> {
 public:
  enum class Kind : uint8_t { kIntset, kListpack, kIntTable, kStrTable };
  // Room for an integer formatted by At/ForEach.
  static constexpr size_t kIntBuf = 24;

  // An empty set in the encoding its first member `m` calls for.
  static SetValue* ForMember(std::string_view m, const SetLimits& lim);

  Kind kind() const { return static_cast<Kind>(rep_.index()); }
  Encoding encoding() const;
  bool compact() const { return kind() == Kind::kIntset || kind() == Kind::kListpack; }
  size_t size() const;
  // The intset of the intset encoding (nullptr otherwise), for
  // serialization: RDB and DUMP write its width and members as they are.
  const IntSet* intset() const { return std::get_if<IntSet>(&rep_); }

  bool Contains(std::string_view m) const;
  // Adds m (converting the encoding when a limit is crossed); false if it
  // was already a member.
  bool Add(std::string_view m, const SetLimits& lim);
  bool Remove(std::string_view m);

  // A uniformly random member's position (the set must not be empty).
  size_t RandomPos() const;
  // The member at `pos`; integers are formatted into `buf` (kIntBuf bytes).
  std::string_view At(size_t pos, char* buf) const;
  void EraseAt(size_t pos);

  // Calls visit(std::string_view) for every member, in encoding order
  // (ascending for an intset, insertion order for a listpack).
  template <typename F>
  void ForEach(F&& visit) const;
  // One SSCAN step over a hashtable encoding (see set_table.h); a compact
  // encoding visits everything and returns kScanEnd.
  template <typename F>
  uint64_t Scan(uint64_t cursor, size_t count, F&& visit) const;
  static constexpr uint64_t kScanEnd = ProbeCore<IntTable>::kCursorEnd;

  size_t MemoryUsage() const override;
  CollectionValue* Clone() const override { return new SetValue(*this); }

 private:
  SetValue() = default;
  void ToStrTable();
  void IntsetToIntTable();
  void IntsetToListpack();
  static std::string_view FormatInt(int64_t v, char* buf) { return {buf, FormatInt64(v, buf)}; }

  std::variant<IntSet, Listpack, IntTable, StrTable> rep_;
};

template <typename F>
void SetValue::ForEach(F&& visit) const {
  char buf[kIntBuf];
  switch (kind()) {
    case Kind::kIntset: {
      const IntSet& s = std::get<IntSet>(rep_);
      for (size_t i = 0; i < s.size(); ++i) visit(FormatInt(s.At(i), buf));
      break;
    }
    case Kind::kListpack: {
      const Listpack& lp = std::get<Listpack>(rep_);
      for (size_t p = lp.First(); p < lp.End(); p = lp.Next(p)) visit(lp.Get(p));
      break;
    }
    case Kind::kIntTable:
      std::get<IntTable>(rep_).ForEach([&](int64_t v) { visit(FormatInt(v, buf)); });
      break;
    case Kind::kStrTable:
      std::get<StrTable>(rep_).ForEach(visit);
      break;
  }
}

template <typename F>
uint64_t SetValue::Scan(uint64_t cursor, size_t count, F&& visit) const {
  char buf[kIntBuf];
  switch (kind()) {
    case Kind::kIntTable:
      return std::get<IntTable>(rep_).Scan(cursor, count,
                                           [&](int64_t v) { visit(FormatInt(v, buf)); });
    case Kind::kStrTable:
      return std::get<StrTable>(rep_).Scan(cursor, count, visit);
    default:
      ForEach(visit);
      return kScanEnd;
  }
}

}  // namespace magpie
