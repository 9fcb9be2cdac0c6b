// struct as Redis 7.0 has it (Roberto Ierusalimschy's struct 0.2 with Redis's
// bounds fixes). The rules, checked against redis-server 7.0 with EVAL:
//
// Format: one option per character; a number may follow some of them.
//   > < set big/little endian (little is native); ' ' is ignored.
//   !n sets the maximum alignment to n (a power of 2; plain ! is 8). Until the
//     first !, nothing is aligned. An item of size s is then padded to a
//     multiple of a = min(s, n) using a mask (a - (pos & (a-1))) & (a-1), also
//     when a is not a power of 2 (i3, i5...): that is Redis's arithmetic.
//     c and s items are never aligned. Positions count from the start of the
//     data string, not from `init`.
//   b/B h/H l/L T i/I[n]  signed/unsigned char, short, long, size_t, int of n
//     bytes (default 4, at most 32). Packing converts the double as x86 does
//     (out of range gives 0x8000000000000000, no range error) and writes the
//     low 8 bytes of it, zero above (so i16 of -1 is ff*8 then 00*8). Unpacking
//     keeps the 8 least significant bytes and sign-extends with a mask shifted by
//     (8n-1) mod 64, as the x86 shift in Redis's build does.
//   f d   float and double.      x   one zero byte (nothing to unpack).
//   cn    n bytes (default 1); pack needs a string of at least n bytes. c0
//     packs the whole string; on unpack it takes its length from the previous
//     result, which is consumed (a number or a numeric string).
//   s     zero-terminated string.
// Any other character is "invalid format option", except that size() skips
// letters and digits it does not know (Redis's does).
#include "scripting/lua_struct.h"

#include <cfloat>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

namespace magpie {
namespace {

constexpr int kMaxIntSize = 32;
constexpr int kDefaultMaxAlign = 8;  // alignment of double/long/pointer on x86-64

struct Header {
  bool little = true;
  size_t align = 1;
};

bool IsDigit(int c) { return c >= '0' && c <= '9'; }
bool IsAlnum(int c) { return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Reads the decimal number at *fmt, or returns `dflt` when there is none.
int ReadNumber(lua_State* L, const char** fmt, int dflt) {
  if (!IsDigit(**fmt)) return dflt;
  int n = 0;
  do {
    int digit = *(*fmt)++ - '0';
    if (n > INT_MAX / 10 || n * 10 > INT_MAX - digit) luaL_error(L, "integral size overflow");
    n = n * 10 + digit;
  } while (IsDigit(**fmt));
  return n;
}

// The size of an option's item, reading its count; 0 for options without one.
size_t OptionSize(lua_State* L, int opt, const char** fmt) {
  switch (opt) {
    case 'b':
    case 'B':
    case 'x':
      return 1;
    case 'h':
    case 'H':
      return sizeof(short);
    case 'l':
    case 'L':
      return sizeof(long);
    case 'T':
      return sizeof(size_t);
    case 'f':
      return sizeof(float);
    case 'd':
      return sizeof(double);
    case 'c':
      return static_cast<size_t>(ReadNumber(L, fmt, 1));
    case 'i':
    case 'I': {
      int n = ReadNumber(L, fmt, sizeof(int));
      if (n > kMaxIntSize) {
        luaL_error(L, "integral size %d is larger than limit of %d", n, kMaxIntSize);
      }
      return static_cast<size_t>(n);
    }
    default:
      return 0;
  }
}

size_t Padding(size_t pos, const Header& h, int opt, size_t size) {
  if (size == 0 || opt == 'c') return 0;
  if (size > h.align) size = h.align;
  return (size - (pos & (size - 1))) & (size - 1);
}

// Options that carry no data: endianness, alignment, spaces.
void ControlOption(lua_State* L, int opt, const char** fmt, Header& h) {
  switch (opt) {
    case ' ':
      return;
    case '>':
      h.little = false;
      return;
    case '<':
      h.little = true;
      return;
    case '!': {
      int a = ReadNumber(L, fmt, kDefaultMaxAlign);
      if (a <= 0 || (a & (a - 1)) != 0) luaL_error(L, "alignment %d is not a power of 2", a);
      h.align = static_cast<size_t>(a);
      return;
    }
    default:
      luaL_argerror(L, 1, lua_pushfstring(L, "invalid format option '%c'", opt));
  }
}

bool IsIntegerOption(int opt) { return opt != 0 && std::strchr("bBhHlLTiI", opt) != nullptr; }

// double -> int64 as x86's cvttsd2si: NaN and out-of-range give INT64_MIN.
int64_t X86ToInt64(double d) {
  if (d >= -9223372036854775808.0 && d < 9223372036854775808.0) return static_cast<int64_t>(d);
  return INT64_MIN;
}

// double -> uint64 as the compiler does it on x86-64 for values >= 2^63.
uint64_t X86ToUint64(double d) {
  if (d >= 9223372036854775808.0) {
    return static_cast<uint64_t>(X86ToInt64(d - 9223372036854775808.0)) ^ (uint64_t{1} << 63);
  }
  return static_cast<uint64_t>(X86ToInt64(d));
}

// double -> float without the undefined behaviour of an out-of-range cast.
float ToFloat(double d) {
  if (std::fabs(d) > FLT_MAX && !std::isinf(d)) {
    // Just past FLT_MAX still rounds down to it; from the midpoint on it is inf.
    float big = std::fabs(d) < 0x1.ffffffp127 ? FLT_MAX : INFINITY;
    return d < 0 ? -big : big;
  }
  return static_cast<float>(d);
}

void AppendBytes(std::string& out, const void* p, size_t n, bool little) {
  const char* b = static_cast<const char*>(p);
  if (little) {
    out.append(b, n);
  } else {
    for (size_t i = n; i > 0; i--) out.push_back(b[i - 1]);
  }
}

void PackInteger(lua_State* L, std::string& out, int arg, const Header& h, size_t size) {
  lua_Number n = luaL_checknumber(L, arg);
  uint64_t v = n < 0 ? static_cast<uint64_t>(X86ToInt64(n)) : X86ToUint64(n);
  char bytes[kMaxIntSize] = {};
  for (size_t i = 0; i < size && i < 8; i++) {
    bytes[h.little ? i : size - 1 - i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  out.append(bytes, size);
}

int Pack(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  // Redis's pack keeps a nil above the arguments, so a missing argument is
  // reported as "got nil" rather than "got no value".
  lua_pushnil(L);
  Header h;
  int arg = 2;
  std::string out;
  while (*fmt != '\0') {
    int opt = *fmt++;
    size_t size = OptionSize(L, opt, &fmt);
    out.append(Padding(out.size(), h, opt, size), '\0');
    if (IsIntegerOption(opt)) {
      PackInteger(L, out, arg++, h, size);
      continue;
    }
    switch (opt) {
      case 'x':
        out.push_back('\0');
        break;
      case 'f': {
        float f = ToFloat(luaL_checknumber(L, arg++));
        AppendBytes(out, &f, sizeof f, h.little);
        break;
      }
      case 'd': {
        double d = luaL_checknumber(L, arg++);
        AppendBytes(out, &d, sizeof d, h.little);
        break;
      }
      case 'c':
      case 's': {
        size_t len;
        const char* s = luaL_checklstring(L, arg++, &len);
        if (size == 0) size = len;
        // Redis names the argument after this one here; so do we.
        luaL_argcheck(L, len >= size, arg, "string too short");
        out.append(s, size);
        if (opt == 's') out.push_back('\0');
        break;
      }
      default:
        ControlOption(L, opt, &fmt, h);
    }
  }
  lua_pushlstring(L, out.data(), out.size());
  return 1;
}

lua_Number UnpackInteger(const unsigned char* p, bool little, bool is_signed, size_t size) {
  uint64_t v = 0;
  for (size_t i = 0; i < size; i++) v = (v << 8) | p[little ? size - 1 - i : i];
  if (!is_signed) return static_cast<lua_Number>(v);
  uint64_t mask = ~uint64_t{0} << ((size * 8 - 1) & 63);
  if ((v & mask) != 0) v |= mask;
  return static_cast<lua_Number>(static_cast<int64_t>(v));
}

void CheckRoom(lua_State* L, size_t pos, size_t size, size_t len) {
  luaL_argcheck(L, size <= len && pos <= len - size, 2, "data string too short");
}

int Unpack(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  size_t len;
  const auto* data = reinterpret_cast<const unsigned char*>(luaL_checklstring(L, 2, &len));
  // A negative init wraps to a huge position and fails as "too short".
  size_t pos = static_cast<size_t>(luaL_optinteger(L, 3, 1));
  luaL_argcheck(L, pos > 0, 3, "offset must be 1 or greater");
  pos--;
  lua_settop(L, 2);
  Header h;
  int results = 0;
  while (*fmt != '\0') {
    int opt = *fmt++;
    size_t size = OptionSize(L, opt, &fmt);
    pos += Padding(pos, h, opt, size);
    CheckRoom(L, pos, size, len);
    luaL_checkstack(L, 2, "too many results");
    if (IsIntegerOption(opt)) {
      bool is_signed = opt >= 'a' && opt <= 'z';
      lua_pushnumber(L, UnpackInteger(data + pos, h.little, is_signed, size));
      results++;
      pos += size;
      continue;
    }
    switch (opt) {
      case 'x':
        break;
      case 'f':
      case 'd': {
        unsigned char bytes[sizeof(double)];
        for (size_t i = 0; i < size; i++) bytes[i] = data[pos + (h.little ? i : size - 1 - i)];
        if (opt == 'f') {
          float f;
          std::memcpy(&f, bytes, sizeof f);
          lua_pushnumber(L, f);
        } else {
          double d;
          std::memcpy(&d, bytes, sizeof d);
          lua_pushnumber(L, d);
        }
        results++;
        break;
      }
      case 'c':
        if (size == 0) {
          if (results == 0 || !lua_isnumber(L, -1))
            luaL_error(L, "format 'c0' needs a previous size");
          size = static_cast<size_t>(X86ToUint64(lua_tonumber(L, -1)));
          lua_pop(L, 1);
          results--;
          CheckRoom(L, pos, size, len);
        }
        lua_pushlstring(L, reinterpret_cast<const char*>(data + pos), size);
        results++;
        break;
      case 's': {
        const void* end = std::memchr(data + pos, '\0', len - pos);
        if (end == nullptr) luaL_error(L, "unfinished string in data");
        size = static_cast<size_t>(static_cast<const unsigned char*>(end) - (data + pos)) + 1;
        lua_pushlstring(L, reinterpret_cast<const char*>(data + pos), size - 1);
        results++;
        break;
      }
      default:
        ControlOption(L, opt, &fmt, h);
    }
    pos += size;
  }
  lua_pushinteger(L, static_cast<lua_Integer>(pos + 1));
  return results + 1;
}

int Size(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  Header h;
  size_t pos = 0;
  while (*fmt != '\0') {
    int opt = *fmt++;
    size_t size = OptionSize(L, opt, &fmt);
    pos += Padding(pos, h, opt, size);
    if (opt == 's') {
      luaL_argerror(L, 1, "option 's' has no fixed size");
    } else if (opt == 'c' && size == 0) {
      luaL_argerror(L, 1, "option 'c0' has no fixed size");
    }
    if (!IsAlnum(opt)) ControlOption(L, opt, &fmt, h);
    pos += size;
  }
  lua_pushinteger(L, static_cast<lua_Integer>(pos));
  return 1;
}

}  // namespace

int OpenStruct(lua_State* L) {
  lua_createtable(L, 0, 3);
  lua_pushcfunction(L, Pack);
  lua_setfield(L, -2, "pack");
  lua_pushcfunction(L, Unpack);
  lua_setfield(L, -2, "unpack");
  lua_pushcfunction(L, Size);
  lua_setfield(L, -2, "size");
  return 1;
}

}  // namespace magpie
