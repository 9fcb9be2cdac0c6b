// HyperLogLog in Redis's exact string layout, so that a value written by
// Redis's PFADD and copied with GET/SET counts the same here, and back.
//
//   [ "HYLL" | encoding 1 B | 3 unused B | cached cardinality 8 B LE ][ registers ]
//
// There are 16384 6-bit registers. Element hashes are MurmurHash64A (seed
// 0xadc83b19): the low 14 bits pick the register, the register keeps the
// longest run of trailing zeros + 1 (1..51) seen in the remaining 50 bits.
//
// Two encodings:
//  - dense (0): the registers packed LSB first, 12288 bytes; register i
//    starts at bit 6*i.
//  - sparse (1): run-length opcodes over the registers, in order:
//      00xxxxxx           ZERO:  xxxxxx+1 (1..64) registers at 0
//      01xxxxxx yyyyyyyy  XZERO: 14-bit length+1 (1..16384) registers at 0
//      1vvvvvxx           VAL:   xx+1 (1..4) registers at vvvvv+1 (1..32)
//    A value above 32, or a sparse string that would grow past
//    hll-sparse-max-bytes, promotes the value to dense for good.
//
// The most significant bit of the last cardinality byte set means the cached
// cardinality is stale; writers set it, PFCOUNT recomputes and stores it.
// Cardinality is Ertl's improved estimator ("New cardinality estimation
// algorithms for HyperLogLog sketches", 2017) over the register histogram,
// the one Redis 7 uses, evaluated in the same order so results are equal.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace magpie::hll {

inline constexpr int kPrecision = 14;
inline constexpr uint32_t kRegisters = 1u << kPrecision;
inline constexpr int kRegisterBits = 6;
inline constexpr uint8_t kRegisterMax = (1 << kRegisterBits) - 1;
// Largest register value a hash can produce: 50 remaining bits, plus one.
inline constexpr uint8_t kMaxRank = 64 - kPrecision + 1;
inline constexpr size_t kHeaderSize = 16;
inline constexpr size_t kDenseSize = kHeaderSize + (kRegisters * kRegisterBits + 7) / 8;
inline constexpr uint8_t kEncDense = 0;
inline constexpr uint8_t kEncSparse = 1;
inline constexpr uint64_t kHashSeed = 0xadc83b19ULL;

// The 64-bit MurmurHash2 variant (MurmurHash64A), reading blocks little
// endian as Redis does on every platform.
uint64_t MurmurHash64A(std::string_view data, uint64_t seed);

// The register an element lands in and the value it offers that register.
struct Observation {
  uint32_t index;
  uint8_t rank;
};
Observation Observe(std::string_view element);

// Redis's checks before touching a string as a HyperLogLog: magic, a known
// encoding, and the exact size for dense.
bool LooksValid(std::string_view s);
inline bool IsDense(std::string_view s) { return static_cast<uint8_t>(s[4]) == kEncDense; }

// A new, empty HLL: sparse, covering every register with XZERO opcodes, with
// a valid cached cardinality of 0.
std::string NewSparse();

// Cached cardinality in the header.
bool CacheValid(std::string_view s);
uint64_t CachedCardinality(std::string_view s);
void StoreCardinality(char* s, uint64_t card);
void InvalidateCache(char* s);

// Register access on a dense register array (the bytes after the header).
uint8_t DenseGet(const uint8_t* regs, uint32_t index);
void DenseStore(uint8_t* regs, uint32_t index, uint8_t value);
// Raises the register to `rank` if it is lower; true when it changed.
bool DenseRaise(uint8_t* regs, uint32_t index, uint8_t rank);

// Raises register `index` to `rank` in a sparse or dense HLL held in *s. A
// sparse one is rewritten (and may become dense). Returns 1 when a register
// changed, 0 when not, -1 when the sparse opcodes are corrupt.
int Raise(std::string* s, uint32_t index, uint8_t rank, size_t sparse_max_bytes);
// Raise() for an element's observation.
int Add(std::string* s, std::string_view element, size_t sparse_max_bytes);

// Rewrites a sparse HLL as dense (header kept, encoding changed); false when
// its opcodes do not describe exactly kRegisters registers.
bool SparseToDense(std::string* s);

// max[i] = max(max[i], register i of s) over kRegisters bytes of `max`;
// false when s is corrupt.
bool MergeInto(std::string_view s, uint8_t* max);

// The estimated cardinality; nullopt when sparse opcodes are corrupt.
std::optional<uint64_t> Count(std::string_view s);
// The estimated cardinality of kRegisters unpacked register bytes.
uint64_t CountRegisters(const uint8_t* regs);

}  // namespace magpie::hll
