// cmsgpack as Redis 7.0 has it. Every rule below was checked against
// redis-server 7.0 with EVAL (tests/integration/test_lua_libs_differential.py):
//
// Encoding (pack)
// - A number equal to some int64 (so not NaN/inf, and -0.0 counts as 0) is an
//   integer in the shortest form: positive fixint, uint8/16/32/64 when >= 0;
//   negative fixint, int8/16/32/64 below 0. Any other number is a float32 when
//   converting it to float and back gives the same double (inf does), else a
//   float64 (NaN always).
// - Strings are fixstr (< 32 bytes), str8, str16 or str32; never bin.
// - A table is an array when every key is a positive integral number and the
//   largest key equals the number of keys (so {} is an empty array); anything
//   else is a map, written in lua_next order, key before value.
// - Tables nested 16 deep (the top-level value is depth 0) are written as nil,
//   which is what keeps self-referencing tables finite. Functions, userdata and
//   threads are nil too.
// - Each argument of pack is encoded on its own and the results concatenated.
//
// Decoding (unpack*)
// - uint64 is read as a signed int64 (so 0xcf ff..ff is -1); every number
//   becomes a Lua double. bin, ext and fixext are "Bad data format in input.".
// - Maps are filled with lua_settable, so a nil or NaN key raises Lua's own
//   "table index is nil/NaN".
// - unpack_one/unpack_limit return the offset after the last value, or -1 when
//   the input is used up. A limit of 0 with offset 0 means "decode everything"
//   and then no offset is returned (Redis shares one code path for all three).
//
// Stack use mirrors Redis: the same luaL_checkstack calls with the same sizes
// and messages at the same stack heights, so deep or wide inputs fail at the
// same point with the same "stack overflow (...)" error.
#include "scripting/lua_cmsgpack.h"

#include <cfloat>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

namespace magpie {
namespace {

constexpr int kMaxNesting = 16;

// ---------------------------------------------------------------------------
// encoding

void PutBigEndian(std::string& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; i--) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void PutTagged(std::string& out, unsigned char tag, uint64_t v, int bytes) {
  out.push_back(static_cast<char>(tag));
  PutBigEndian(out, v, bytes);
}

void PutInteger(std::string& out, int64_t n) {
  const uint64_t u = static_cast<uint64_t>(n);
  if (n >= 0) {
    if (n <= 127) {
      out.push_back(static_cast<char>(n));
    } else if (n <= 0xff) {
      PutTagged(out, 0xcc, u, 1);
    } else if (n <= 0xffff) {
      PutTagged(out, 0xcd, u, 2);
    } else if (n <= 0xffffffffLL) {
      PutTagged(out, 0xce, u, 4);
    } else {
      PutTagged(out, 0xcf, u, 8);
    }
  } else if (n >= -32) {
    out.push_back(static_cast<char>(n));
  } else if (n >= -128) {
    PutTagged(out, 0xd0, u, 1);
  } else if (n >= -32768) {
    PutTagged(out, 0xd1, u, 2);
  } else if (n >= INT32_MIN) {
    PutTagged(out, 0xd2, u, 4);
  } else {
    PutTagged(out, 0xd3, u, 8);
  }
}

// True when the float nearest to d is exactly d (never for NaN).
bool FitsFloat(double d) {
  if (std::isinf(d)) return true;
  if (!(std::fabs(d) <= FLT_MAX)) return false;
  return static_cast<double>(static_cast<float>(d)) == d;
}

void PutNumber(std::string& out, double d) {
  if (d >= -9223372036854775808.0 && d < 9223372036854775808.0 && std::trunc(d) == d) {
    PutInteger(out, static_cast<int64_t>(d));
  } else if (FitsFloat(d)) {
    float f = static_cast<float>(d);
    uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    PutTagged(out, 0xca, bits, 4);
  } else {
    uint64_t bits;
    std::memcpy(&bits, &d, sizeof bits);
    PutTagged(out, 0xcb, bits, 8);
  }
}

void PutString(std::string& out, const char* s, size_t len) {
  if (len < 32) {
    out.push_back(static_cast<char>(0xa0 | len));
  } else if (len <= 0xff) {
    PutTagged(out, 0xd9, len, 1);
  } else if (len <= 0xffff) {
    PutTagged(out, 0xda, len, 2);
  } else {
    PutTagged(out, 0xdb, len, 4);
  }
  out.append(s, len);
}

// Header of an array (base 0x90/0xdc) or a map (base 0x80/0xde): a fix form
// up to 15 entries, then a 16-bit and a 32-bit count.
void PutContainerHeader(std::string& out, unsigned char fix, unsigned char tag16, size_t n) {
  if (n <= 15) {
    out.push_back(static_cast<char>(fix | n));
  } else if (n <= 0xffff) {
    PutTagged(out, tag16, n, 2);
  } else {
    PutTagged(out, tag16 + 1, n, 4);
  }
}

void EncodeTop(lua_State* L, std::string& out, int level);

// For the table on top: the number of keys if they are exactly 1..n, else -1.
int64_t ArrayLength(lua_State* L) {
  luaL_checkstack(L, 2, "in function table_is_an_array");
  int64_t count = 0;
  double max = 0;
  bool array = true;
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TNUMBER) {
      array = false;
    } else {
      double k = lua_tonumber(L, -1);
      if (!(k > 0) || std::trunc(k) != k || std::isinf(k)) array = false;
      if (k > max) max = k;
    }
    if (!array) {
      lua_pop(L, 1);
      break;
    }
    count++;
  }
  return array && max == static_cast<double>(count) ? count : -1;
}

void EncodeArray(lua_State* L, std::string& out, int level, int64_t len) {
  PutContainerHeader(out, 0x90, 0xdc, static_cast<size_t>(len));
  for (int64_t i = 1; i <= len; i++) {
    luaL_checkstack(L, 1, "in function mp_encode_lua_table_as_array");
    lua_rawgeti(L, -1, static_cast<int>(i));
    EncodeTop(L, out, level + 1);
  }
}

void EncodeMap(lua_State* L, std::string& out, int level) {
  luaL_checkstack(L, 3, "in function mp_encode_lua_table_as_map");
  size_t n = 0;
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    lua_pop(L, 1);
    n++;
  }
  PutContainerHeader(out, 0x80, 0xde, n);
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    lua_pushvalue(L, -2);  // encode a copy: lua_next needs the key intact
    EncodeTop(L, out, level + 1);
    EncodeTop(L, out, level + 1);
  }
}

// Appends the encoding of the value on top of the stack and pops it.
void EncodeTop(lua_State* L, std::string& out, int level) {
  int type = lua_type(L, -1);
  if (type == LUA_TTABLE && level == kMaxNesting) type = LUA_TNIL;
  switch (type) {
    case LUA_TSTRING: {
      size_t len;
      const char* s = lua_tolstring(L, -1, &len);
      PutString(out, s, len);
      break;
    }
    case LUA_TBOOLEAN:
      out.push_back(lua_toboolean(L, -1) ? '\xc3' : '\xc2');
      break;
    case LUA_TNUMBER:
      PutNumber(out, lua_tonumber(L, -1));
      break;
    case LUA_TTABLE: {
      int64_t len = ArrayLength(L);
      if (len >= 0) {
        EncodeArray(L, out, level, len);
      } else {
        EncodeMap(L, out, level);
      }
      break;
    }
    default:
      out.push_back('\xc0');
      break;
  }
  lua_pop(L, 1);
}

int Pack(lua_State* L) {
  int nargs = lua_gettop(L);
  if (nargs == 0) return luaL_argerror(L, 0, "MessagePack pack needs input.");
  if (!lua_checkstack(L, nargs)) {
    return luaL_argerror(L, 0, "Too many arguments for MessagePack pack.");
  }
  // One string per argument on the stack, then one concatenation: the stack
  // then grows like Redis's, which matters only for its overflow errors.
  std::string out;
  for (int i = 1; i <= nargs; i++) {
    luaL_checkstack(L, 1, "in function mp_check");
    lua_pushvalue(L, i);
    out.clear();
    EncodeTop(L, out, 0);
    lua_pushlstring(L, out.data(), out.size());
  }
  lua_concat(L, nargs);
  return 1;
}

// ---------------------------------------------------------------------------
// decoding

enum class DecodeError { kNone, kMissingBytes, kBadFormat };

struct Cursor {
  const unsigned char* p;
  size_t left;
  DecodeError err = DecodeError::kNone;

  // False (and marks the input short) unless n more bytes are available.
  bool Need(size_t n) {
    if (left >= n) return true;
    err = DecodeError::kMissingBytes;
    return false;
  }
  uint64_t BigEndian(size_t at, int bytes) const {
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) v = (v << 8) | p[at + i];
    return v;
  }
  void Skip(size_t n) {
    p += n;
    left -= n;
  }
};

void DecodeValue(lua_State* L, Cursor& c);

void DecodeArray(lua_State* L, Cursor& c, uint64_t len) {
  luaL_checkstack(L, 2, "in function mp_decode_to_lua_array");
  lua_newtable(L);
  for (uint64_t i = 1; i <= len; i++) {
    lua_pushnumber(L, static_cast<lua_Number>(i));
    DecodeValue(L, c);
    if (c.err != DecodeError::kNone) return;
    lua_settable(L, -3);
  }
}

void DecodeMap(lua_State* L, Cursor& c, uint64_t len) {
  lua_newtable(L);
  for (uint64_t i = 0; i < len; i++) {
    DecodeValue(L, c);
    if (c.err != DecodeError::kNone) return;
    DecodeValue(L, c);
    if (c.err != DecodeError::kNone) return;
    lua_settable(L, -3);
  }
}

// A value whose payload is a big-endian integer of `bytes` after the tag.
bool ReadTagged(Cursor& c, int bytes, uint64_t* v) {
  if (!c.Need(1 + bytes)) return false;
  *v = c.BigEndian(1, bytes);
  c.Skip(1 + bytes);
  return true;
}

void PushSigned(lua_State* L, uint64_t v, int bytes) {
  int shift = 64 - 8 * bytes;
  lua_pushnumber(L, static_cast<lua_Number>(static_cast<int64_t>(v << shift) >> shift));
}

// A string whose length is a `bytes`-wide count after the tag.
void DecodeString(lua_State* L, Cursor& c, size_t header, uint64_t len) {
  if (!c.Need(header + len)) return;
  lua_pushlstring(L, reinterpret_cast<const char*>(c.p + header), len);
  c.Skip(header + len);
}

// Pushes the next value; on bad input sets c.err (partial tables may remain).
void DecodeValue(lua_State* L, Cursor& c) {
  luaL_checkstack(L, 1, "too many return values at once; use unpack_one or unpack_limit instead.");
  if (!c.Need(1)) return;
  const unsigned char tag = c.p[0];
  uint64_t v;
  switch (tag) {
    case 0xc0:
      lua_pushnil(L);
      c.Skip(1);
      return;
    case 0xc2:
    case 0xc3:
      lua_pushboolean(L, tag == 0xc3);
      c.Skip(1);
      return;
    case 0xcc:
    case 0xcd:
    case 0xce:
      if (ReadTagged(c, 1 << (tag - 0xcc), &v)) lua_pushnumber(L, static_cast<lua_Number>(v));
      return;
    case 0xcf:  // read as signed, like Redis
    case 0xd3:
      if (ReadTagged(c, 8, &v)) PushSigned(L, v, 8);
      return;
    case 0xd0:
    case 0xd1:
    case 0xd2:
      if (ReadTagged(c, 1 << (tag - 0xd0), &v)) PushSigned(L, v, 1 << (tag - 0xd0));
      return;
    case 0xca:
      if (ReadTagged(c, 4, &v)) {
        uint32_t bits = static_cast<uint32_t>(v);
        float f;
        std::memcpy(&f, &bits, sizeof f);
        lua_pushnumber(L, f);
      }
      return;
    case 0xcb:
      if (ReadTagged(c, 8, &v)) {
        double d;
        std::memcpy(&d, &v, sizeof d);
        lua_pushnumber(L, d);
      }
      return;
    case 0xd9:
    case 0xda:
    case 0xdb: {
      const int bytes = 1 << (tag - 0xd9);
      if (c.Need(1 + bytes)) DecodeString(L, c, 1 + bytes, c.BigEndian(1, bytes));
      return;
    }
    case 0xdc:
    case 0xdd:
      if (ReadTagged(c, tag == 0xdc ? 2 : 4, &v)) DecodeArray(L, c, v);
      return;
    case 0xde:
    case 0xdf:
      if (ReadTagged(c, tag == 0xde ? 2 : 4, &v)) DecodeMap(L, c, v);
      return;
    default:
      break;
  }
  if (tag < 0x80) {
    lua_pushnumber(L, tag);
    c.Skip(1);
  } else if (tag >= 0xe0) {
    lua_pushnumber(L, static_cast<int>(tag) - 256);
    c.Skip(1);
  } else if ((tag & 0xe0) == 0xa0) {
    DecodeString(L, c, 1, tag & 0x1f);
  } else if ((tag & 0xf0) == 0x90) {
    c.Skip(1);
    DecodeArray(L, c, tag & 0x0f);
  } else if ((tag & 0xf0) == 0x80) {
    c.Skip(1);
    DecodeMap(L, c, tag & 0x0f);
  } else {
    c.err = DecodeError::kBadFormat;
  }
}

// Decodes up to `limit` values from byte `offset` of argument 1. Redis prints
// the 64-bit offset and length with %d, so only their low 32 bits show, and
// its "limit" in the first message is really the input length.
int UnpackFull(lua_State* L, lua_Integer limit, lua_Integer offset) {
  size_t len;
  const char* s = luaL_checklstring(L, 1, &len);
  const bool decode_all = limit == 0 && offset == 0;
  if (offset < 0 || limit < 0) {
    return luaL_error(L, "Invalid request to unpack with offset of %d and limit of %d.",
                      static_cast<int>(offset), static_cast<int>(len));
  }
  if (static_cast<uint64_t>(offset) > len) {
    return luaL_error(L, "Start offset %d greater than input length %d.", static_cast<int>(offset),
                      static_cast<int>(len));
  }
  if (decode_all) limit = INT_MAX;
  Cursor c{reinterpret_cast<const unsigned char*>(s) + offset, len - static_cast<size_t>(offset),
           DecodeError::kNone};
  int count = 0;
  for (; c.left > 0 && count < limit; count++) {
    DecodeValue(L, c);
    if (c.err == DecodeError::kMissingBytes) return luaL_error(L, "Missing bytes in input.");
    if (c.err == DecodeError::kBadFormat) return luaL_error(L, "Bad data format in input.");
  }
  if (decode_all) return count;
  luaL_checkstack(L, 1, "in function mp_unpack_full");
  lua_pushinteger(L, c.left == 0 ? -1 : static_cast<lua_Integer>(len - c.left));
  lua_insert(L, 2);
  return count + 1;
}

int Unpack(lua_State* L) { return UnpackFull(L, 0, 0); }

int UnpackOne(lua_State* L) {
  lua_Integer offset = luaL_optinteger(L, 2, 0);
  lua_pop(L, lua_gettop(L) - 1);  // with no arguments too, like Redis ("got no value")
  return UnpackFull(L, 1, offset);
}

int UnpackLimit(lua_State* L) {
  lua_Integer limit = luaL_checkinteger(L, 2);
  lua_Integer offset = luaL_optinteger(L, 3, 0);
  lua_pop(L, lua_gettop(L) - 1);
  return UnpackFull(L, limit, offset);
}

}  // namespace

int OpenCmsgpack(lua_State* L) {
  static const luaL_Reg kFunctions[] = {
      {"pack", Pack},
      {"unpack", Unpack},
      {"unpack_one", UnpackOne},
      {"unpack_limit", UnpackLimit},
  };
  lua_createtable(L, 0, 7);
  for (const luaL_Reg& f : kFunctions) {
    lua_pushcfunction(L, f.func);
    lua_setfield(L, -2, f.name);
  }
  // The version scripts see in Redis 7.0, kept for scripts that check it.
  lua_pushliteral(L, "cmsgpack");
  lua_setfield(L, -2, "_NAME");
  lua_pushliteral(L, "lua-cmsgpack 0.4.0");
  lua_setfield(L, -2, "_VERSION");
  lua_pushliteral(L, "MessagePack C implementation for Lua");
  lua_setfield(L, -2, "_DESCRIPTION");
  return 1;
}

}  // namespace magpie
