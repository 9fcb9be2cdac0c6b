// HyperLogLog in Redis's string format: see hll.h for the layout.
//
// Sparse updates follow Redis's rewrite rules exactly (split the opcode that
// covers the register into at most five, then merge equal neighbouring VAL
// opcodes in a short window), because the bytes are visible through GET and
// must stay identical to what Redis would hold after the same PFADDs.
#include "types/hll.h"

#include <cmath>
#include <cstring>

namespace magpie::hll {

namespace {

constexpr uint32_t kZeroMaxLen = 64;
constexpr uint32_t kXZeroMaxLen = 16384;
constexpr uint8_t kValMaxValue = 32;
constexpr uint32_t kValMaxLen = 4;
// 0.5 / ln(2): the estimator's constant for m -> infinity.
constexpr double kAlphaInf = 0.721347520444481703680;

bool IsZeroOp(uint8_t b) { return (b & 0xc0) == 0x00; }
bool IsXZeroOp(uint8_t b) { return (b & 0xc0) == 0x40; }
bool IsValOp(uint8_t b) { return (b & 0x80) != 0; }
uint8_t ValOpValue(uint8_t b) { return static_cast<uint8_t>(((b >> 2) & 0x1f) + 1); }
uint32_t ValOpLen(uint8_t b) { return (b & 0x3u) + 1; }
uint8_t ValOp(uint8_t value, uint32_t len) {
  return static_cast<uint8_t>(0x80 | ((value - 1) << 2) | (len - 1));
}

// One sparse opcode: its size in bytes, the registers it covers and their
// value (0 for ZERO/XZERO).
struct Op {
  size_t size;
  uint32_t span;
  uint8_t value;
};

// Decodes the opcode at p. A XZERO cut short by the end of the string reads
// its second byte as 0, as Redis does (it reads the sds terminator).
Op DecodeOp(const uint8_t* p, const uint8_t* end) {
  uint8_t b = p[0];
  if (IsZeroOp(b)) return {1, (b & 0x3fu) + 1, 0};
  if (IsXZeroOp(b)) {
    uint32_t low = p + 1 < end ? p[1] : 0;
    return {2, (((b & 0x3fu) << 8) | low) + 1, 0};
  }
  return {1, ValOpLen(b), ValOpValue(b)};
}

// Appends the ZERO or XZERO opcode for a run of `len` zero registers.
void AppendZeroRun(uint8_t* seq, size_t* n, uint32_t len) {
  if (len > kZeroMaxLen) {
    seq[(*n)++] = static_cast<uint8_t>(0x40 | ((len - 1) >> 8));
    seq[(*n)++] = static_cast<uint8_t>((len - 1) & 0xff);
  } else {
    seq[(*n)++] = static_cast<uint8_t>(len - 1);
  }
}

// Walks the sparse opcodes, calling on_run(first_index, span, value) for
// every opcode. False when they do not cover exactly kRegisters registers
// (a VAL run crossing the end stops the walk, as in Redis).
template <typename F>
bool WalkSparse(std::string_view s, F on_run) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data()) + kHeaderSize;
  const auto* end = reinterpret_cast<const uint8_t*>(s.data()) + s.size();
  uint64_t idx = 0;
  while (p < end) {
    Op op = DecodeOp(p, end);
    if (op.value != 0 && idx + op.span > kRegisters) return false;
    on_run(idx, op.span, op.value);
    idx += op.span;
    p += op.size;
  }
  return idx == kRegisters;
}

// Ertl's sigma(x) and tau(x) series, iterated until they stop changing.
double Sigma(double x) {
  if (x == 1.0) return INFINITY;
  double z_prev;
  double y = 1;
  double z = x;
  do {
    x *= x;
    z_prev = z;
    z += x * y;
    y += y;
  } while (z_prev != z);
  return z;
}

double Tau(double x) {
  if (x == 0.0 || x == 1.0) return 0.0;
  double z_prev;
  double y = 1.0;
  double z = 1 - x;
  do {
    x = std::sqrt(x);
    z_prev = z;
    y *= 0.5;
    z -= std::pow(1 - x, 2) * y;
  } while (z_prev != z);
  return z / 3;
}

// The estimate from a histogram of register values (64 slots).
uint64_t Estimate(const int64_t* histo) {
  double m = kRegisters;
  double z = m * Tau((m - static_cast<double>(histo[kMaxRank])) / m);
  for (int j = kMaxRank - 1; j >= 1; --j) {
    z += static_cast<double>(histo[j]);
    z *= 0.5;
  }
  z += m * Sigma(static_cast<double>(histo[0]) / m);
  return static_cast<uint64_t>(std::llround(kAlphaInf * m * m / z));
}

uint8_t* Registers(std::string* s) { return reinterpret_cast<uint8_t*>(s->data()) + kHeaderSize; }

const uint8_t* Registers(std::string_view s) {
  return reinterpret_cast<const uint8_t*>(s.data()) + kHeaderSize;
}

// Merges VAL opcodes with equal values that sit next to each other, looking
// at up to five opcodes from `pos`, so the string stays as compact as Redis
// keeps it.
void MergeAdjacentVals(std::string* s, size_t pos) {
  for (int scan = 5; pos < s->size() && scan > 0; --scan) {
    auto b = static_cast<uint8_t>((*s)[pos]);
    if (IsXZeroOp(b)) {
      pos += 2;
      continue;
    }
    if (IsZeroOp(b)) {
      ++pos;
      continue;
    }
    if (pos + 1 < s->size()) {
      auto next = static_cast<uint8_t>((*s)[pos + 1]);
      if (IsValOp(next) && ValOpValue(b) == ValOpValue(next)) {
        uint32_t len = ValOpLen(b) + ValOpLen(next);
        if (len <= kValMaxLen) {
          (*s)[pos + 1] = static_cast<char>(ValOp(ValOpValue(b), len));
          s->erase(pos, 1);
          continue;  // try again with the merged opcode and its right neighbour
        }
      }
    }
    ++pos;
  }
}

int PromoteAndRaise(std::string* s, uint32_t index, uint8_t rank) {
  if (!SparseToDense(s)) return -1;
  DenseRaise(Registers(s), index, rank);
  return 1;
}

int SparseRaise(std::string* s, uint32_t index, uint8_t rank, size_t sparse_max_bytes) {
  if (rank > kValMaxValue) return PromoteAndRaise(s, index, rank);
  auto* base = reinterpret_cast<uint8_t*>(s->data());
  const uint8_t* end = base + s->size();
  // Find the opcode covering `index`, and the one before it.
  size_t pos = kHeaderSize;
  size_t prev = 0;  // 0: none
  uint32_t first = 0;
  Op op{};
  while (base + pos < end) {
    op = DecodeOp(base + pos, end);
    if (index <= first + op.span - 1) break;
    prev = pos;
    pos += op.size;
    first += op.span;
  }
  if (base + pos >= end) return -1;

  uint8_t b = base[pos];
  if (IsValOp(b) && op.value >= rank) return 0;
  // A single VAL or ZERO register is replaced in place (an XZERO of one is
  // rewritten by the general case, as Redis does).
  if ((IsValOp(b) || IsZeroOp(b)) && op.span == 1) {
    base[pos] = ValOp(rank, 1);
  } else {
    // Split the run into [before][index][after].
    uint8_t seq[5];
    size_t n = 0;
    uint32_t last = first + op.span - 1;
    if (!IsValOp(b)) {
      if (index != first) AppendZeroRun(seq, &n, index - first);
      seq[n++] = ValOp(rank, 1);
      if (index != last) AppendZeroRun(seq, &n, last - index);
    } else {
      if (index != first) seq[n++] = ValOp(op.value, index - first);
      seq[n++] = ValOp(rank, 1);
      if (index != last) seq[n++] = ValOp(op.value, last - index);
    }
    if (n > op.size && s->size() + (n - op.size) > sparse_max_bytes) {
      return PromoteAndRaise(s, index, rank);
    }
    // A XZERO cut short at the end had its missing byte read as 0; Redis
    // then rewrites it as if it were whole and keeps the string one byte
    // shorter than the new opcodes.
    bool truncated = op.size == 2 && pos + 1 == s->size();
    if (truncated) s->push_back('\0');
    s->replace(pos, op.size, reinterpret_cast<const char*>(seq), n);
    if (truncated) s->pop_back();
  }
  MergeAdjacentVals(s, prev != 0 ? prev : kHeaderSize);
  InvalidateCache(s->data());
  return 1;
}

}  // namespace

uint64_t MurmurHash64A(std::string_view data, uint64_t seed) {
  constexpr uint64_t m = 0xc6a4a7935bd1e995ULL;
  constexpr int r = 47;
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  size_t len = data.size();
  uint64_t h = seed ^ (len * m);
  size_t blocks = len / 8;
  for (size_t i = 0; i < blocks; ++i, p += 8) {
    uint64_t k = 0;
    for (int j = 7; j >= 0; --j) k = (k << 8) | p[j];
    k *= m;
    k ^= k >> r;
    k *= m;
    h ^= k;
    h *= m;
  }
  size_t tail = len & 7;
  if (tail != 0) {
    for (size_t j = tail; j-- > 0;) h ^= static_cast<uint64_t>(p[j]) << (8 * j);
    h *= m;
  }
  h ^= h >> r;
  h *= m;
  h ^= h >> r;
  return h;
}

Observation Observe(std::string_view element) {
  uint64_t hash = MurmurHash64A(element, kHashSeed);
  auto index = static_cast<uint32_t>(hash & (kRegisters - 1));
  hash >>= kPrecision;
  hash |= 1ULL << (64 - kPrecision);  // bounds the rank at kMaxRank
  return {index, static_cast<uint8_t>(__builtin_ctzll(hash) + 1)};
}

bool LooksValid(std::string_view s) {
  if (s.size() < kHeaderSize || s.substr(0, 4) != "HYLL") return false;
  auto enc = static_cast<uint8_t>(s[4]);
  if (enc > kEncSparse) return false;
  return enc != kEncDense || s.size() == kDenseSize;
}

std::string NewSparse() {
  std::string s(kHeaderSize, '\0');
  memcpy(s.data(), "HYLL", 4);
  s[4] = static_cast<char>(kEncSparse);
  for (uint32_t left = kRegisters; left > 0;) {
    uint32_t run = left < kXZeroMaxLen ? left : kXZeroMaxLen;
    uint8_t seq[2];
    size_t n = 0;
    AppendZeroRun(seq, &n, run);
    s.append(reinterpret_cast<const char*>(seq), n);
    left -= run;
  }
  return s;
}

bool CacheValid(std::string_view s) { return (static_cast<uint8_t>(s[15]) & 0x80) == 0; }

uint64_t CachedCardinality(std::string_view s) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(s[8 + i]);
  return v;
}

void StoreCardinality(char* s, uint64_t card) {
  for (int i = 0; i < 8; ++i) s[8 + i] = static_cast<char>((card >> (8 * i)) & 0xff);
}

void InvalidateCache(char* s) { s[15] = static_cast<char>(static_cast<uint8_t>(s[15]) | 0x80); }

uint8_t DenseGet(const uint8_t* regs, uint32_t index) {
  size_t bit = static_cast<size_t>(index) * kRegisterBits;
  size_t byte = bit / 8, shift = bit % 8;
  unsigned v = regs[byte] >> shift;
  if (shift > 8 - kRegisterBits) v |= static_cast<unsigned>(regs[byte + 1]) << (8 - shift);
  return static_cast<uint8_t>(v & kRegisterMax);
}

void DenseStore(uint8_t* regs, uint32_t index, uint8_t value) {
  size_t bit = static_cast<size_t>(index) * kRegisterBits;
  size_t byte = bit / 8, shift = bit % 8;
  unsigned v = value & kRegisterMax;
  regs[byte] = static_cast<uint8_t>((regs[byte] & ~(kRegisterMax << shift)) | (v << shift));
  if (shift > 8 - kRegisterBits) {
    unsigned hi_shift = 8 - static_cast<unsigned>(shift);
    regs[byte + 1] =
        static_cast<uint8_t>((regs[byte + 1] & ~(kRegisterMax >> hi_shift)) | (v >> hi_shift));
  }
}

bool DenseRaise(uint8_t* regs, uint32_t index, uint8_t rank) {
  if (rank <= DenseGet(regs, index)) return false;
  DenseStore(regs, index, rank);
  return true;
}

int Raise(std::string* s, uint32_t index, uint8_t rank, size_t sparse_max_bytes) {
  if (IsDense(*s)) return DenseRaise(Registers(s), index, rank) ? 1 : 0;
  return SparseRaise(s, index, rank, sparse_max_bytes);
}

int Add(std::string* s, std::string_view element, size_t sparse_max_bytes) {
  Observation o = Observe(element);
  return Raise(s, o.index, o.rank, sparse_max_bytes);
}

bool SparseToDense(std::string* s) {
  if (IsDense(*s)) return true;
  std::string dense(kDenseSize, '\0');
  memcpy(dense.data(), s->data(), kHeaderSize);
  dense[4] = static_cast<char>(kEncDense);
  uint8_t* regs = Registers(&dense);
  bool ok = WalkSparse(*s, [&](uint64_t first, uint32_t span, uint8_t value) {
    if (value == 0) return;
    for (uint32_t i = 0; i < span; ++i) DenseStore(regs, static_cast<uint32_t>(first + i), value);
  });
  if (!ok) return false;
  *s = std::move(dense);
  return true;
}

bool MergeInto(std::string_view s, uint8_t* max) {
  if (IsDense(s)) {
    const uint8_t* regs = Registers(s);
    for (uint32_t i = 0; i < kRegisters; ++i) {
      uint8_t v = DenseGet(regs, i);
      if (v > max[i]) max[i] = v;
    }
    return true;
  }
  return WalkSparse(s, [&](uint64_t first, uint32_t span, uint8_t value) {
    if (value == 0) return;
    for (uint64_t i = first; i < first + span; ++i) {
      if (value > max[i]) max[i] = value;
    }
  });
}

std::optional<uint64_t> Count(std::string_view s) {
  int64_t histo[64] = {0};
  if (IsDense(s)) {
    const uint8_t* regs = Registers(s);
    for (uint32_t i = 0; i < kRegisters; ++i) histo[DenseGet(regs, i)]++;
  } else if (!WalkSparse(s,
                         [&](uint64_t, uint32_t span, uint8_t value) { histo[value] += span; })) {
    return std::nullopt;
  }
  return Estimate(histo);
}

uint64_t CountRegisters(const uint8_t* regs) {
  int64_t histo[64] = {0};
  for (uint32_t i = 0; i < kRegisters; ++i) histo[regs[i] & 63]++;
  return Estimate(histo);
}

}  // namespace magpie::hll
