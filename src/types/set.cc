#include "types/set.h"

#include <algorithm>

namespace magpie {

namespace {

// Digits of v's decimal form, sign included.
size_t DecimalLen(int64_t v) {
  char buf[SetValue::kIntBuf];
  return FormatInt64(v, buf);
}

}  // namespace

SetValue* SetValue::ForMember(std::string_view m, const SetLimits& lim) {
  auto* s = new SetValue();
  if (ParseInt64(m)) return s;  // intset, the variant's default
  if (lim.max_listpack > 0 && m.size() <= lim.max_listpack_value) {
    s->rep_.emplace<Listpack>();
  } else {
    s->rep_.emplace<StrTable>();
  }
  return s;
}

Encoding SetValue::encoding() const {
  switch (kind()) {
    case Kind::kIntset: return Encoding::kIntset;
    case Kind::kListpack: return Encoding::kListpack;
    default: return Encoding::kHashtable;
  }
}

size_t SetValue::size() const {
  return std::visit([](const auto& r) { return r.size(); }, rep_);
}

size_t SetValue::MemoryUsage() const {
  return std::visit([](const auto& r) { return r.MemoryUsage(); }, rep_);
}

bool SetValue::Contains(std::string_view m) const {
  switch (kind()) {
    case Kind::kIntset: {
      auto v = ParseInt64(m);
      return v && std::get<IntSet>(rep_).Contains(*v);
    }
    case Kind::kListpack: {
      const Listpack& lp = std::get<Listpack>(rep_);
      return lp.Find(m, lp.First()) != lp.End();
    }
    case Kind::kIntTable: {
      auto v = ParseInt64(m);
      return v && std::get<IntTable>(rep_).Contains(*v);
    }
    case Kind::kStrTable:
      return std::get<StrTable>(rep_).Contains(m);
  }
  return false;
}

bool SetValue::Add(std::string_view m, const SetLimits& lim) {
  switch (kind()) {
    case Kind::kIntset: {
      IntSet& s = std::get<IntSet>(rep_);
      if (auto v = ParseInt64(m)) {
        if (!s.Insert(*v)) return false;
        if (s.size() > lim.max_intset) IntsetToIntTable();
        return true;
      }
      // A listpack must be able to hold the integers already here, too.
      size_t widest = s.size() ? std::max(DecimalLen(s.Min()), DecimalLen(s.Max())) : 0;
      if (s.size() < lim.max_listpack && m.size() <= lim.max_listpack_value &&
          widest <= lim.max_listpack_value) {
        IntsetToListpack();
      } else {
        ToStrTable();
      }
      return Add(m, lim);
    }
    case Kind::kListpack: {
      Listpack& lp = std::get<Listpack>(rep_);
      if (lp.Find(m, lp.First()) != lp.End()) return false;
      if (lp.size() < lim.max_listpack && m.size() <= lim.max_listpack_value) {
        lp.Append(m);
        return true;
      }
      ToStrTable();
      return std::get<StrTable>(rep_).Insert(m);
    }
    case Kind::kIntTable: {
      if (auto v = ParseInt64(m)) return std::get<IntTable>(rep_).Insert(*v);
      ToStrTable();
      return std::get<StrTable>(rep_).Insert(m);
    }
    case Kind::kStrTable:
      return std::get<StrTable>(rep_).Insert(m);
  }
  return false;
}

bool SetValue::Remove(std::string_view m) {
  switch (kind()) {
    case Kind::kIntset: {
      auto v = ParseInt64(m);
      return v && std::get<IntSet>(rep_).Remove(*v);
    }
    case Kind::kListpack: {
      Listpack& lp = std::get<Listpack>(rep_);
      size_t pos = lp.Find(m, lp.First());
      if (pos == lp.End()) return false;
      lp.Erase(pos);
      return true;
    }
    case Kind::kIntTable: {
      auto v = ParseInt64(m);
      return v && std::get<IntTable>(rep_).Remove(*v);
    }
    case Kind::kStrTable:
      return std::get<StrTable>(rep_).Remove(m);
  }
  return false;
}

size_t SetValue::RandomPos() const {
  switch (kind()) {
    case Kind::kIntset: return SetRandom() % std::get<IntSet>(rep_).size();
    case Kind::kListpack: {
      const Listpack& lp = std::get<Listpack>(rep_);
      return lp.Seek(static_cast<int64_t>(SetRandom() % lp.size()));
    }
    case Kind::kIntTable: return std::get<IntTable>(rep_).RandomPos();
    case Kind::kStrTable: return std::get<StrTable>(rep_).RandomPos();
  }
  return 0;
}

std::string_view SetValue::At(size_t pos, char* buf) const {
  switch (kind()) {
    case Kind::kIntset: return FormatInt(std::get<IntSet>(rep_).At(pos), buf);
    case Kind::kListpack: return std::get<Listpack>(rep_).Get(pos);
    case Kind::kIntTable: return FormatInt(std::get<IntTable>(rep_).At(pos), buf);
    case Kind::kStrTable: return std::get<StrTable>(rep_).At(pos);
  }
  return {};
}

void SetValue::EraseAt(size_t pos) {
  switch (kind()) {
    case Kind::kIntset: return std::get<IntSet>(rep_).RemoveAt(pos);
    case Kind::kListpack: std::get<Listpack>(rep_).Erase(pos); return;
    case Kind::kIntTable: return std::get<IntTable>(rep_).EraseAt(pos);
    case Kind::kStrTable: return std::get<StrTable>(rep_).EraseAt(pos);
  }
}

void SetValue::IntsetToIntTable() {
  IntSet old = std::move(std::get<IntSet>(rep_));
  IntTable& t = rep_.emplace<IntTable>();
  t.Reserve(old.size() + 1);
  for (size_t i = 0; i < old.size(); ++i) t.Insert(old.At(i));
}

void SetValue::IntsetToListpack() {
  IntSet old = std::move(std::get<IntSet>(rep_));
  Listpack& lp = rep_.emplace<Listpack>();
  char buf[kIntBuf];
  for (size_t i = 0; i < old.size(); ++i) lp.Append(FormatInt(old.At(i), buf));
}

void SetValue::ToStrTable() {
  StrTable t;
  t.Reserve(size() + 1);
  ForEach([&](std::string_view m) { t.Insert(m); });
  rep_.emplace<StrTable>(std::move(t));
}

}  // namespace magpie
