// Bitmap commands on string values: SETBIT GETBIT BITCOUNT BITPOS BITOP
// BITFIELD BITFIELD_RO.
//
// Bits are numbered from the most significant bit of the first byte, as in
// Redis. Reads treat bytes past the end of the string as zero; writes
// zero-extend the string (in place when the entry has spare capacity, with
// sds-like over-allocation otherwise) and leave it raw-encoded, as Redis's
// unshared string is. Offsets are limited by proto-max-bulk-len.
#include <algorithm>
#include <climits>
#include <cstring>
#include <string>

#include "commands/command.h"
#include "commands/helpers.h"
#include "server/connection.h"
#include "server/server.h"

namespace magpie {

namespace {

constexpr std::string_view kBitOffsetError = "ERR bit offset is not an integer or out of range";
constexpr std::string_view kBitValueError = "ERR bit is not an integer or out of range";
constexpr std::string_view kBitfieldTypeError =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but "
    "i64 is.";

// Parses a bit offset. With `hash_bits` > 0, "#n" means n * hash_bits (the
// product wraps like Redis's 64-bit multiplication).
std::optional<uint64_t> BitOffsetArg(CommandContext& c, std::string_view s, int hash_bits) {
  bool hash = hash_bits > 0 && !s.empty() && s[0] == '#';
  auto v = ParseInt64(hash ? s.substr(1) : s);
  if (!v) {
    c.reply.Error(kBitOffsetError);
    return std::nullopt;
  }
  int64_t off = *v;
  if (hash)
    off = static_cast<int64_t>(static_cast<uint64_t>(off) * static_cast<uint64_t>(hash_bits));
  if (off < 0 || (off >> 3) >= c.server.config().proto_max_bulk_len.load()) {
    c.reply.Error(kBitOffsetError);
    return std::nullopt;
  }
  return static_cast<uint64_t>(off);
}

// Room to leave after a grown string, as sds does: double below 1 MB.
size_t GrowthCapacity(size_t len) { return len < 1024 * 1024 ? len * 2 : len + 1024 * 1024; }

// The string at the locked key, ready for a bit write that reaches byte
// `last_byte`: created zero-filled when missing, zero-extended when shorter.
// Replies WRONGTYPE and returns nullptr for a non-string key. *grew says
// whether it was created or extended.
Entry* StringForBitWrite(CommandContext& c, KeyLock& k, uint64_t last_byte, bool* grew) {
  Entry* e = LookupWrite(k.shard, k.ref, c.now_ms);
  if (e != nullptr && e->type() != ObjType::kString) {
    c.reply.Error(err::kWrongType);
    return nullptr;
  }
  size_t need = static_cast<size_t>(last_byte) + 1;
  size_t old_len = 0;
  if (e == nullptr) {
    e = Entry::NewString(c.arg(1), "", -1, need);
    k.shard.Insert(k.ref, e);
  } else {
    old_len = e->str().size();
    if (need > old_len && need > e->str_capacity()) {
      Entry* grown = e->WithValue(e->str(), GrowthCapacity(need));
      k.shard.Replace(e, grown, k.ref);
      e = grown;
    }
  }
  *grew = need > old_len;
  if (need > old_len) {
    memset(e->mutable_str() + old_len, 0, need - old_len);
    e->set_str_len(need);
  }
  e->set_encoding(Encoding::kRaw);
  k.shard.Modified(e);
  return e;
}

const uint8_t* Bytes(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }

void SetBit(CommandContext& c) {
  auto offset = BitOffsetArg(c, c.arg(2), 0);
  if (!offset) return;
  auto on = ParseInt64(c.arg(3));
  if (!on || (*on & ~1) != 0) return c.reply.Error(kBitValueError);
  KeyLock k(c.db(), c.arg(1));
  bool grew;
  Entry* e = StringForBitWrite(c, k, *offset >> 3, &grew);
  if (e == nullptr) return;
  auto* byte = reinterpret_cast<uint8_t*>(e->mutable_str()) + (*offset >> 3);
  int shift = 7 - static_cast<int>(*offset & 7);
  int old = (*byte >> shift) & 1;
  *byte = static_cast<uint8_t>((*byte & ~(1 << shift)) | (*on << shift));
  if (grew || old != *on) Notify(c, kNotifyString, "setbit", c.arg(1));
  c.reply.Int(old);
}

void GetBit(CommandContext& c) {
  auto offset = BitOffsetArg(c, c.arg(2), 0);
  if (!offset) return;
  KeyLock k(c.db(), c.arg(1));
  Entry* e = LookupRead(k.shard, k.ref, c.now_ms);
  if (e == nullptr) return c.reply.Int(0);
  if (e->type() != ObjType::kString) return c.reply.Error(err::kWrongType);
  std::string_view s = e->str();
  uint64_t byte = *offset >> 3;
  int bit = byte < s.size() ? (Bytes(s)[byte] >> (7 - (*offset & 7))) & 1 : 0;
  c.reply.Int(bit);
}

// A range of bits [first, last] of a string, from BITCOUNT/BITPOS arguments.
struct BitRange {
  bool empty = true;
  uint64_t first = 0, last = 0;
};

// Clamps start/end (bytes, or bits when `bits`; negative counts from the
// end) to a string of `len` bytes, as Redis does.
BitRange ResolveRange(int64_t start, int64_t end, size_t len, bool bits) {
  int64_t total = static_cast<int64_t>(len) * (bits ? 8 : 1);
  if (start < 0) start = total + start;
  if (end < 0) end = total + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= total) end = total - 1;
  BitRange r;
  if (start > end) return r;
  r.empty = false;
  r.first = static_cast<uint64_t>(start) * (bits ? 1 : 8);
  r.last = bits ? static_cast<uint64_t>(end) : static_cast<uint64_t>(end) * 8 + 7;
  return r;
}

// Mask of the bits of a byte from bit `from` to bit `to` (0 = MSB).
uint8_t BitsMask(unsigned from, unsigned to) {
  return static_cast<uint8_t>((0xffu >> from) & (0xffu << (7 - to)));
}

uint64_t CountBits(const uint8_t* p, BitRange r) {
  uint64_t fb = r.first >> 3, lb = r.last >> 3;
  auto first_bit = static_cast<unsigned>(r.first & 7), last_bit = static_cast<unsigned>(r.last & 7);
  if (fb == lb)
    return static_cast<uint64_t>(__builtin_popcount(p[fb] & BitsMask(first_bit, last_bit)));
  uint64_t count = static_cast<uint64_t>(__builtin_popcount(p[fb] & BitsMask(first_bit, 7)));
  count += static_cast<uint64_t>(__builtin_popcount(p[lb] & BitsMask(0, last_bit)));
  uint64_t i = fb + 1;
  for (; i + 8 <= lb; i += 8) {
    uint64_t w;
    memcpy(&w, p + i, 8);
    count += static_cast<uint64_t>(__builtin_popcountll(w));
  }
  for (; i < lb; ++i) count += static_cast<uint64_t>(__builtin_popcount(p[i]));
  return count;
}

// BITCOUNT key [start end [BYTE|BIT]]
void BitCount(CommandContext& c) {
  KeyLock k(c.db(), c.arg(1));
  Entry* e = LookupRead(k.shard, k.ref, c.now_ms);
  if (e == nullptr) return c.reply.Int(0);
  if (e->type() != ObjType::kString) return c.reply.Error(err::kWrongType);
  std::string_view s = e->str();
  BitRange range;
  if (c.argc() == 4 || c.argc() == 5) {
    auto start = IntArg(c, c.arg(2));
    if (!start) return;
    auto end = IntArg(c, c.arg(3));
    if (!end) return;
    // Redis answers an inverted negative range before looking at the unit.
    if (*start < 0 && *end < 0 && *start > *end) return c.reply.Int(0);
    bool bits = false;
    if (c.argc() == 5) {
      if (EqualsIgnoreCase(c.arg(4), "bit")) {
        bits = true;
      } else if (!EqualsIgnoreCase(c.arg(4), "byte")) {
        return c.reply.Error(err::kSyntax);
      }
    }
    range = ResolveRange(*start, *end, s.size(), bits);
  } else if (c.argc() == 2) {
    range = ResolveRange(0, -1, s.size(), false);
  } else {
    return c.reply.Error(err::kSyntax);
  }
  if (range.empty) return c.reply.Int(0);
  c.reply.Int(static_cast<int64_t>(CountBits(Bytes(s), range)));
}

// The first bit equal to `bit` in the range, or -1.
int64_t FindBit(const uint8_t* p, BitRange r, bool bit) {
  uint8_t skip = bit ? 0x00 : 0xff;  // bytes holding no wanted bit
  uint64_t i = r.first;
  auto wanted = [&](uint64_t pos) {
    return ((p[pos >> 3] >> (7 - (pos & 7))) & 1) == (bit ? 1 : 0);
  };
  for (; i <= r.last && (i & 7) != 0; ++i) {
    if (wanted(i)) return static_cast<int64_t>(i);
  }
  uint64_t word_skip = bit ? 0 : ~0ULL;
  while (i + 63 <= r.last) {
    uint64_t w;
    memcpy(&w, p + (i >> 3), 8);
    if (w != word_skip) break;
    i += 64;
  }
  while (i + 7 <= r.last && p[i >> 3] == skip) i += 8;
  for (; i <= r.last; ++i) {
    if (wanted(i)) return static_cast<int64_t>(i);
  }
  return -1;
}

// BITPOS key bit [start [end [BYTE|BIT]]]
void BitPos(CommandContext& c) {
  auto bit = IntArg(c, c.arg(2));
  if (!bit) return;
  if (*bit != 0 && *bit != 1) return c.reply.Error("ERR The bit argument must be 1 or 0.");
  KeyLock k(c.db(), c.arg(1));
  Entry* e = LookupRead(k.shard, k.ref, c.now_ms);
  // A missing key is an endless run of zeros.
  if (e == nullptr) return c.reply.Int(*bit ? -1 : 0);
  if (e->type() != ObjType::kString) return c.reply.Error(err::kWrongType);
  std::string_view s = e->str();
  bool end_given = false;
  BitRange range;
  if (c.argc() >= 4 && c.argc() <= 6) {
    auto start = IntArg(c, c.arg(3));
    if (!start) return;
    bool bits = false;
    if (c.argc() == 6) {
      if (EqualsIgnoreCase(c.arg(5), "bit")) {
        bits = true;
      } else if (!EqualsIgnoreCase(c.arg(5), "byte")) {
        return c.reply.Error(err::kSyntax);
      }
    }
    int64_t end = -1;
    if (c.argc() >= 5) {
      auto v = IntArg(c, c.arg(4));
      if (!v) return;
      end = *v;
      end_given = true;
    }
    range = ResolveRange(*start, end, s.size(), bits);
  } else if (c.argc() == 3) {
    range = ResolveRange(0, -1, s.size(), false);
  } else {
    return c.reply.Error(err::kSyntax);
  }
  if (range.empty) return c.reply.Int(-1);
  int64_t pos = FindBit(Bytes(s), range, *bit == 1);
  // Looking for a 0 without an explicit end, the string counts as padded
  // with zeros on the right.
  if (pos < 0 && *bit == 0 && !end_given) pos = static_cast<int64_t>(range.last + 1);
  c.reply.Int(pos);
}

// BITOP AND|OR|XOR|NOT destkey key [key ...]
void BitOp(CommandContext& c) {
  enum Op { kAnd, kOr, kXor, kNot } op;
  std::string_view name = c.arg(1);
  if (EqualsIgnoreCase(name, "and")) {
    op = kAnd;
  } else if (EqualsIgnoreCase(name, "or")) {
    op = kOr;
  } else if (EqualsIgnoreCase(name, "xor")) {
    op = kXor;
  } else if (EqualsIgnoreCase(name, "not")) {
    op = kNot;
  } else {
    return c.reply.Error(err::kSyntax);
  }
  if (op == kNot && c.argc() != 4) {
    return c.reply.Error("ERR BITOP NOT must be called with a single source key.");
  }
  Db& db = c.db();
  KeysLock locks;
  locks.LockArgs(db, c.args, 2);
  std::vector<std::string_view> srcs;
  size_t maxlen = 0;
  for (size_t i = 1; i < locks.size(); ++i) {
    Entry* e = LookupRead(locks.shard(i), locks.ref(i), c.now_ms);
    if (e != nullptr && e->type() != ObjType::kString) return c.reply.Error(err::kWrongType);
    srcs.push_back(e != nullptr ? e->str() : std::string_view());
    maxlen = std::max(maxlen, srcs.back().size());
  }
  Shard& dest_shard = locks.shard(0);
  if (maxlen == 0) {
    if (dest_shard.Erase(locks.ref(0))) Notify(c, kNotifyGeneric, "del", c.arg(2));
    return c.reply.Int(0);
  }
  std::string res(maxlen, '\0');
  auto* out = reinterpret_cast<uint8_t*>(res.data());
  if (op == kNot) {
    const uint8_t* p = Bytes(srcs[0]);
    for (size_t j = 0; j < maxlen; ++j) out[j] = static_cast<uint8_t>(~p[j]);
  } else {
    for (size_t i = 0; i < srcs.size(); ++i) {
      const uint8_t* p = Bytes(srcs[i]);
      size_t n = srcs[i].size();
      if (i == 0) {
        if (n > 0) memcpy(out, p, n);  // bytes past a source's end count as 0
        continue;
      }
      if (op == kAnd) {
        for (size_t j = 0; j < n; ++j) out[j] &= p[j];
        memset(out + n, 0, maxlen - n);
      } else if (op == kOr) {
        for (size_t j = 0; j < n; ++j) out[j] |= p[j];
      } else {
        for (size_t j = 0; j < n; ++j) out[j] ^= p[j];
      }
    }
  }
  Entry* e = Entry::NewString(c.arg(2), res, -1);
  e->set_encoding(Encoding::kRaw);
  dest_shard.Upsert(locks.ref(0), e, c.now_ms);
  Notify(c, kNotifyString, "set", c.arg(2));
  c.reply.Int(static_cast<int64_t>(maxlen));
}

// --- BITFIELD ---------------------------------------------------------------

enum class Overflow { kWrap, kSat, kFail };

struct BitfieldOp {
  enum Kind { kGet, kSet, kIncrBy } kind;
  bool is_signed;
  int bits;
  uint64_t offset;
  int64_t value;  // SET value or INCRBY increment
  Overflow overflow;
};

// Reads `bits` bits at `offset`, most significant first; bytes past the end
// of the string read as zero.
uint64_t ReadBits(std::string_view s, uint64_t offset, int bits) {
  uint64_t v = 0;
  for (int i = 0; i < bits; ++i, ++offset) {
    uint64_t byte = offset >> 3;
    unsigned b = byte < s.size() ? (Bytes(s)[byte] >> (7 - (offset & 7))) & 1 : 0;
    v = (v << 1) | b;
  }
  return v;
}

void WriteBits(uint8_t* p, uint64_t offset, int bits, uint64_t v) {
  for (int i = bits - 1; i >= 0; --i, ++offset) {
    auto mask = static_cast<uint8_t>(1u << (7 - (offset & 7)));
    if ((v >> i) & 1) {
      p[offset >> 3] |= mask;
    } else {
      p[offset >> 3] &= static_cast<uint8_t>(~mask);
    }
  }
}

int64_t SignExtend(uint64_t v, int bits) {
  if (bits < 64 && (v & (1ULL << (bits - 1)))) v |= ~0ULL << bits;
  return static_cast<int64_t>(v);
}

// Applies SET (base = new value, incr = 0) or INCRBY (base = old value) to a
// field of `bits` bits. Returns the value to store, or nullopt when it
// overflows under OVERFLOW FAIL. Unsigned bases are the field's bit
// pattern, so a negative SET value is a huge unsigned one (Redis saturates
// it to the maximum).
std::optional<uint64_t> FieldArithmetic(const BitfieldOp& op, uint64_t base, int64_t incr) {
  __int128 sum;
  __int128 lo, hi;
  if (op.is_signed) {
    sum = static_cast<__int128>(static_cast<int64_t>(base)) + incr;
    hi = (static_cast<__int128>(1) << (op.bits - 1)) - 1;
    lo = -hi - 1;
  } else {
    sum = static_cast<__int128>(base) + incr;
    hi = (static_cast<__int128>(1) << op.bits) - 1;
    lo = 0;
  }
  if (sum >= lo && sum <= hi) return static_cast<uint64_t>(sum);
  switch (op.overflow) {
    case Overflow::kFail:
      return std::nullopt;
    case Overflow::kSat:
      return static_cast<uint64_t>(sum > hi ? hi : lo);
    case Overflow::kWrap:
      break;
  }
  uint64_t wrapped = base + static_cast<uint64_t>(incr);
  if (op.bits < 64) wrapped &= (1ULL << op.bits) - 1;
  return op.is_signed ? static_cast<uint64_t>(SignExtend(wrapped, op.bits)) : wrapped;
}

// Parses "i<bits>" (1..64) or "u<bits>" (1..63).
bool ParseFieldType(std::string_view arg, BitfieldOp* op) {
  std::string t = CStr(arg);
  if (t.empty() || (t[0] != 'i' && t[0] != 'u')) return false;
  op->is_signed = t[0] == 'i';
  auto bits = ParseInt64(std::string_view(t).substr(1));
  if (!bits || *bits < 1 || *bits > (op->is_signed ? 64 : 63)) return false;
  op->bits = static_cast<int>(*bits);
  return true;
}

// Parses the subcommands; false after replying with an error. *writes is
// set when any SET/INCRBY is present, *last_bit to the highest bit written.
bool ParseBitfieldOps(CommandContext& c, std::vector<BitfieldOp>* ops, bool* writes,
                      uint64_t* last_bit) {
  Overflow overflow = Overflow::kWrap;
  for (size_t j = 2; j < c.argc(); ++j) {
    size_t remaining = c.argc() - j - 1;
    std::string_view sub = c.arg(j);
    BitfieldOp op{};
    if (EqualsIgnoreCase(sub, "get") && remaining >= 2) {
      op.kind = BitfieldOp::kGet;
    } else if (EqualsIgnoreCase(sub, "set") && remaining >= 3) {
      op.kind = BitfieldOp::kSet;
    } else if (EqualsIgnoreCase(sub, "incrby") && remaining >= 3) {
      op.kind = BitfieldOp::kIncrBy;
    } else if (EqualsIgnoreCase(sub, "overflow") && remaining >= 1) {
      std::string_view type = c.arg(++j);
      if (EqualsIgnoreCase(type, "wrap")) {
        overflow = Overflow::kWrap;
      } else if (EqualsIgnoreCase(type, "sat")) {
        overflow = Overflow::kSat;
      } else if (EqualsIgnoreCase(type, "fail")) {
        overflow = Overflow::kFail;
      } else {
        c.reply.Error("ERR Invalid OVERFLOW type specified");
        return false;
      }
      continue;
    } else {
      c.reply.Error(err::kSyntax);
      return false;
    }
    if (!ParseFieldType(c.arg(j + 1), &op)) {
      c.reply.Error(kBitfieldTypeError);
      return false;
    }
    auto offset = BitOffsetArg(c, c.arg(j + 2), op.bits);
    if (!offset) return false;
    op.offset = *offset;
    op.overflow = overflow;
    if (op.kind != BitfieldOp::kGet) {
      *writes = true;
      *last_bit = std::max(*last_bit, op.offset + static_cast<uint64_t>(op.bits) - 1);
      auto v = IntArg(c, c.arg(j + 3));
      if (!v) return false;
      op.value = *v;
      ++j;
    }
    j += 2;
    ops->push_back(op);
  }
  return true;
}

void RunBitfieldOp(CommandContext& c, const BitfieldOp& op, Entry* e) {
  std::string_view s = e != nullptr ? e->str() : std::string_view();
  uint64_t old = ReadBits(s, op.offset, op.bits);
  int64_t old_value = op.is_signed ? SignExtend(old, op.bits) : static_cast<int64_t>(old);
  if (op.kind == BitfieldOp::kGet) return c.reply.Int(old_value);
  std::optional<uint64_t> stored =
      op.kind == BitfieldOp::kSet ? FieldArithmetic(op, static_cast<uint64_t>(op.value), 0)
                                  : FieldArithmetic(op, static_cast<uint64_t>(old_value), op.value);
  if (!stored) return c.reply.Null();
  WriteBits(reinterpret_cast<uint8_t*>(e->mutable_str()), op.offset, op.bits, *stored);
  if (op.kind == BitfieldOp::kSet) return c.reply.Int(old_value);
  c.reply.Int(op.is_signed ? SignExtend(*stored, op.bits) : static_cast<int64_t>(*stored));
}

void BitfieldGeneric(CommandContext& c, bool read_only_command) {
  std::vector<BitfieldOp> ops;
  bool writes = false;
  uint64_t last_bit = 0;
  if (!ParseBitfieldOps(c, &ops, &writes, &last_bit)) return;
  KeyLock k(c.db(), c.arg(1));
  Entry* e;
  if (!writes) {
    e = LookupRead(k.shard, k.ref, c.now_ms);
    if (e != nullptr && e->type() != ObjType::kString) return c.reply.Error(err::kWrongType);
  } else {
    if (read_only_command) return c.reply.Error("ERR BITFIELD_RO only supports the GET subcommand");
    bool grew;
    e = StringForBitWrite(c, k, last_bit >> 3, &grew);
    if (e == nullptr) return;
  }
  c.reply.ArrayHeader(ops.size());
  for (const BitfieldOp& op : ops) RunBitfieldOp(c, op, e);
  if (writes) Notify(c, kNotifyString, "setbit", c.arg(1));
}

void Bitfield(CommandContext& c) { BitfieldGeneric(c, false); }
void BitfieldRo(CommandContext& c) { BitfieldGeneric(c, true); }

CommandSpec Cmd(const char* name, int arity, uint32_t flags, int first, int last, const char* since,
                const char* summary, const char* complexity, CommandHandler h) {
  return MakeCommand(name, arity, flags, {first, last, 1}, "@bitmap", "bitmap", since, summary, h,
                     complexity);
}

}  // namespace

void RegisterBitmapFamily(CommandRegistry& r) {
  constexpr uint32_t kW = kCmdWrite | kCmdDenyOom;
  constexpr uint32_t kR = kCmdReadOnly;
  r.Add(Cmd("setbit", 4, kW, 1, 1, "2.2.0",
            "Sets or clears the bit at offset in the string value stored at key", "O(1)", SetBit));
  r.Add(Cmd("getbit", 3, kR | kCmdFast, 1, 1, "2.2.0",
            "Returns the bit value at offset in the string value stored at key", "O(1)", GetBit));
  r.Add(Cmd("bitcount", -2, kR, 1, 1, "2.6.0", "Count set bits in a string", "O(N)", BitCount));
  r.Add(Cmd("bitpos", -3, kR, 1, 1, "2.8.7", "Find first bit set or clear in a string", "O(N)",
            BitPos));
  r.Add(Cmd("bitop", -4, kW, 2, -1, "2.6.0", "Perform bitwise operations between strings", "O(N)",
            BitOp));
  r.Add(Cmd("bitfield", -2, kW, 1, 1, "3.2.0",
            "Perform arbitrary bitfield integer operations on strings",
            "O(1) for each subcommand specified", Bitfield));
  r.Add(
      Cmd("bitfield_ro", -2, kR | kCmdFast, 1, 1, "6.0.0",
          "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD",
          "O(1) for each subcommand specified", BitfieldRo));
}

}  // namespace magpie
