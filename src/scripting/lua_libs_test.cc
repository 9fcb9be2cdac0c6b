// The Lua libraries scripts see, driven through a bare Lua state.
#include <gtest/gtest.h>

#include <lua.hpp>
#include <string>

#include "scripting/lua_cmsgpack.h"
#include "scripting/lua_struct.h"

extern "C" int luaopen_cjson(lua_State* L);
extern "C" int luaopen_bit(lua_State* L);

namespace {

// Runs `code` (which must return one string) in a fresh state with the
// libraries loaded; returns the string or the error message.
std::string RunLua(const char* code) {
  lua_State* L = luaL_newstate();
  luaL_openlibs(L);
  luaopen_cjson(L);
  lua_setglobal(L, "cjson");
  luaopen_bit(L);
  lua_setglobal(L, "bit");
  magpie::OpenCmsgpack(L);
  lua_setglobal(L, "cmsgpack");
  magpie::OpenStruct(L);
  lua_setglobal(L, "struct");
  std::string out;
  if (luaL_dostring(L, code) != 0 || lua_type(L, -1) != LUA_TSTRING) {
    out = "error: ";
    if (lua_type(L, -1) == LUA_TSTRING) out += lua_tostring(L, -1);
  } else {
    out = lua_tostring(L, -1);
  }
  lua_close(L);
  return out;
}

// Helpers prepended to the cmsgpack/struct snippets: hex(s), and try(f, ...)
// giving "ok v1,v2,..." (values via tostring) or "error <message>".
const std::string kHelpers =
    "local function hex(s) return (s:gsub('.', function(c) "
    "return string.format('%02x', c:byte()) end)) end "
    "local function collect(ok, ...) if not ok then return 'error ' .. tostring((...)) end "
    "local t = {} for i = 1, select('#', ...) do t[i] = tostring((select(i, ...))) end "
    "return 'ok ' .. table.concat(t, ',') end "
    "local function try(f, ...) return collect(pcall(f, ...)) end ";

std::string RunWithHelpers(const std::string& code) { return RunLua((kHelpers + code).c_str()); }

// hex(cmsgpack.pack(<args>))
std::string PackHex(const std::string& args) {
  return RunWithHelpers("return hex(cmsgpack.pack(" + args + "))");
}

TEST(LuaLibsTest, CjsonRoundTrip) {
  EXPECT_EQ(RunLua("return cjson.encode(cjson.decode('[1,\"a\",{\"b\":true}]'))"),
            "[1,\"a\",{\"b\":true}]");
}

TEST(LuaLibsTest, BitOps) {
  EXPECT_EQ(RunLua("return tostring(bit.band(0xff, 0x0f)) .. ' ' .. bit.tohex(255)"),
            "15 000000ff");
}

TEST(LuaLibsTest, ErrorsUnwindAsExceptions) {
  EXPECT_EQ(RunLua("error('boom')"), "error: [string \"error('boom')\"]:1: boom");
}

TEST(LuaLibsCmsgpackTest, IntegersUseTheShortestForm) {
  EXPECT_EQ(PackHex("0, 127, 128, 255, 256, 65535, 65536"), "007fcc80ccffcd0100cdffffce00010000");
  EXPECT_EQ(PackHex("4294967295, 4294967296"), "ceffffffffcf0000000100000000");
  EXPECT_EQ(PackHex("-1, -32, -33, -128, -129, -32768, -32769"),
            "ffe0d0dfd080d1ff7fd18000d2ffff7fff");
  EXPECT_EQ(PackHex("-2147483648, -2147483649"), "d280000000d3ffffffff7fffffff");
  EXPECT_EQ(PackHex("2^53, -2^63"), "cf0020000000000000d38000000000000000");
  EXPECT_EQ(PackHex("-0.0"), "00");
}

TEST(LuaLibsCmsgpackTest, NonIntegersAreFloatWhenExact) {
  EXPECT_EQ(PackHex("1.5"), "ca3fc00000");
  EXPECT_EQ(PackHex("0.1"), "cb3fb999999999999a");
  EXPECT_EQ(PackHex("2^63"), "ca5f000000");  // past int64: a float, and exact
  EXPECT_EQ(PackHex("1/0, -1/0"), "ca7f800000caff800000");
  EXPECT_EQ(PackHex("0/0"), "cbfff8000000000000");
  EXPECT_EQ(PackHex("1e39"), "cb48078287f49c4a1d");
  EXPECT_EQ(PackHex("2^-149"), "ca00000001");
}

TEST(LuaLibsCmsgpackTest, StringsBooleansNil) {
  EXPECT_EQ(PackHex("'', 'ab'"), "a0a26162");
  EXPECT_EQ(RunWithHelpers("return hex(cmsgpack.pack(string.rep('a', 31)):sub(1, 2))"), "bf61");
  EXPECT_EQ(RunWithHelpers("return hex(cmsgpack.pack(string.rep('a', 32)):sub(1, 3))"), "d92061");
  EXPECT_EQ(RunWithHelpers("return hex(cmsgpack.pack(string.rep('a', 255)):sub(1, 3))"), "d9ff61");
  EXPECT_EQ(RunWithHelpers("return hex(cmsgpack.pack(string.rep('a', 256)):sub(1, 4))"),
            "da010061");
  EXPECT_EQ(RunWithHelpers("return hex(cmsgpack.pack(string.rep('a', 65536)):sub(1, 6))"),
            "db0001000061");
  EXPECT_EQ(PackHex("true, false, nil, print"), "c3c2c0c0");
}

TEST(LuaLibsCmsgpackTest, TablesAreArraysOnlyWithKeysOneToN) {
  EXPECT_EQ(PackHex("{}"), "90");
  EXPECT_EQ(PackHex("{1, 2, 3}"), "93010203");
  EXPECT_EQ(PackHex("{[1] = 1, [3] = 3}"), "8201010303");
  EXPECT_EQ(PackHex("{[2] = 1}"), "810201");
  EXPECT_EQ(PackHex("{[0] = 1}"), "810001");
  EXPECT_EQ(PackHex("{[1.5] = 1}"), "81ca3fc0000001");
  EXPECT_EQ(PackHex("{a = 1}"), "81a16101");
  EXPECT_EQ(PackHex("{['1'] = 1}"), "81a13101");
  EXPECT_EQ(
      RunWithHelpers(
          "local t = {} for i = 1, 16 do t[i] = 1 end return hex(cmsgpack.pack(t):sub(1, 3))"),
      "dc0010");
  EXPECT_EQ(RunWithHelpers("local t = {} for i = 1, 65536 do t[i] = 1 end "
                           "return hex(cmsgpack.pack(t):sub(1, 5))"),
            "dd00010000");
  EXPECT_EQ(RunWithHelpers("local t = {} for i = 1, 16 do t['k' .. i] = 1 end "
                           "return hex(cmsgpack.pack(t):sub(1, 3))"),
            "de0010");
  EXPECT_EQ(RunWithHelpers("local t = {} for i = 1, 65536 do t['k' .. i] = 1 end "
                           "return hex(cmsgpack.pack(t):sub(1, 5))"),
            "df00010000");
}

TEST(LuaLibsCmsgpackTest, NestingPastSixteenIsNil) {
  EXPECT_EQ(RunWithHelpers("local t = {} t[1] = t return hex(cmsgpack.pack(t))"),
            "91919191919191919191919191919191c0");
  EXPECT_EQ(
      RunWithHelpers("local t = {} t.a = t local s = cmsgpack.pack(t) return #s .. hex(s:sub(-3))"),
      "49a161c0");
}

TEST(LuaLibsCmsgpackTest, PackErrors) {
  EXPECT_EQ(RunWithHelpers("return try(cmsgpack.pack)"),
            "error bad argument #0 to '?' (MessagePack pack needs input.)");
  EXPECT_EQ(
      RunWithHelpers(
          "local t = {} for i = 1, 4001 do t[i] = i end return try(cmsgpack.pack, unpack(t))"),
      "error bad argument #0 to '?' (Too many arguments for MessagePack pack.)");
  std::string deep = RunWithHelpers(
      "local t = {} for i = 1, 3999 do t[i] = i end t[3999] = {a = 1} "
      "return try(function() return cmsgpack.pack(unpack(t)) end)");
  const std::string overflow = "stack overflow (in function mp_encode_lua_table_as_map)";
  ASSERT_GE(deep.size(), overflow.size()) << deep;
  EXPECT_EQ(deep.substr(deep.size() - overflow.size()), overflow);
}

TEST(LuaLibsCmsgpackTest, UnpackEveryType) {
  EXPECT_EQ(RunWithHelpers("return try(cmsgpack.unpack, '\\0\\127\\224\\255\\204\\255\\205\\1\\0"
                           "\\206\\0\\1\\0\\0')"),
            "ok 0,127,-32,-1,255,256,65536");
  EXPECT_EQ(
      RunWithHelpers("return try(cmsgpack.unpack, '\\208\\128\\209\\128\\0\\210\\128\\0\\0\\0')"),
      "ok -128,-32768,-2147483648");
  EXPECT_EQ(RunWithHelpers(
                "return try(cmsgpack.unpack, '\\207\\255\\255\\255\\255\\255\\255\\255\\255')"),
            "ok -1");  // uint64 is read as int64
  EXPECT_EQ(
      RunWithHelpers("return try(cmsgpack.unpack, '\\202\\63\\192\\0\\0\\203\\63\\185\\153\\153"
                     "\\153\\153\\153\\154\\192\\194\\195')"),
      "ok 1.5,0.1,nil,false,true");
  EXPECT_EQ(RunWithHelpers(
                "return try(cmsgpack.unpack, '\\163abc\\217\\1d\\218\\0\\1e\\219\\0\\0\\0\\1f')"),
            "ok abc,d,e,f");
  EXPECT_EQ(
      RunWithHelpers(
          "local t = cmsgpack.unpack('\\147\\1\\192\\3') return t[1] .. tostring(t[2]) .. t[3]"),
      "1nil3");
  EXPECT_EQ(RunWithHelpers("local a, b = cmsgpack.unpack('\\220\\0\\1\\7\\221\\0\\0\\0\\1\\8') "
                           "return a[1] .. b[1]"),
            "78");
  EXPECT_EQ(RunWithHelpers("local a, b, c = cmsgpack.unpack('\\129\\161a\\1\\222\\0\\1\\1\\2"
                           "\\223\\0\\0\\0\\1\\195\\3') return a.a .. b[1] .. c[true]"),
            "123");
  EXPECT_EQ(RunWithHelpers("return try(cmsgpack.unpack, '')"), "ok ");
  EXPECT_EQ(RunWithHelpers("return try(cmsgpack.unpack, 5)"), "ok 53");  // the string "5"
}

TEST(LuaLibsCmsgpackTest, RoundTrip) {
  EXPECT_EQ(RunWithHelpers(
                "local t = cmsgpack.unpack(cmsgpack.pack({1, {x = 'y', [true] = {2.5}}, 'z'})) "
                "return t[1] .. t[2].x .. t[2][true][1] .. t[3]"),
            "1y2.5z");
}

TEST(LuaLibsCmsgpackTest, UnpackErrors) {
  EXPECT_EQ(RunWithHelpers("return try(cmsgpack.unpack, '\\205\\1')"),
            "error Missing bytes in input.");
  EXPECT_EQ(RunWithHelpers("return try(cmsgpack.unpack, '\\146\\1')"),
            "error Missing bytes in input.");
  EXPECT_EQ(RunWithHelpers("return try(cmsgpack.unpack, '\\217\\3ab')"),
            "error Missing bytes in input.");
  for (const char* bad : {"\\193", "\\196\\1a", "\\199\\1\\1a", "\\212\\1\\1"}) {
    EXPECT_EQ(RunWithHelpers(std::string("return try(cmsgpack.unpack, '") + bad + "')"),
              "error Bad data format in input.")
        << bad;
  }
  EXPECT_EQ(RunWithHelpers("return try(cmsgpack.unpack, '\\129\\192\\1')"),
            "error table index is nil");
  EXPECT_EQ(
      RunWithHelpers("return try(cmsgpack.unpack, '\\129\\203\\255\\248\\0\\0\\0\\0\\0\\0\\1')"),
      "error table index is NaN");
  EXPECT_EQ(RunWithHelpers("return try(cmsgpack.unpack, {})"),
            "error bad argument #1 to '?' (string expected, got table)");
}

TEST(LuaLibsCmsgpackTest, UnpackOneAndLimit) {
  EXPECT_EQ(RunWithHelpers("return try(cmsgpack.unpack_one, '\\1\\2\\3')"), "ok 1,1");
  EXPECT_EQ(RunWithHelpers("return try(cmsgpack.unpack_one, '\\1\\2\\3', 2)"), "ok -1,3");
  EXPECT_EQ(RunWithHelpers("return try(cmsgpack.unpack_one, '\\1\\2\\3', 3)"), "ok -1");
  EXPECT_EQ(RunWithHelpers("return try(cmsgpack.unpack_one, '\\1\\2\\3', 4)"),
            "error Start offset 4 greater than input length 3.");
  EXPECT_EQ(RunWithHelpers("return try(cmsgpack.unpack_one, '\\1\\2\\3', -1)"),
            "error Invalid request to unpack with offset of -1 and limit of 3.");
  EXPECT_EQ(RunWithHelpers("return try(cmsgpack.unpack_one, '\\1\\2', 2^32)"),
            "error Start offset 0 greater than input length 2.");
  EXPECT_EQ(RunWithHelpers("return try(cmsgpack.unpack_one)"),
            "error bad argument #1 to '?' (string expected, got no value)");
  EXPECT_EQ(RunWithHelpers("return try(cmsgpack.unpack_limit, '\\1\\2\\3', 2)"), "ok 2,1,2");
  EXPECT_EQ(RunWithHelpers("return try(cmsgpack.unpack_limit, '\\1\\2\\3', 5, 1)"), "ok -1,2,3");
  EXPECT_EQ(RunWithHelpers("return try(cmsgpack.unpack_limit, '\\1\\2\\3', 0)"),
            "ok 1,2,3");  // no offset
  EXPECT_EQ(RunWithHelpers("return try(cmsgpack.unpack_limit, '\\1\\2\\3', 0, 1)"), "ok 1");
  EXPECT_EQ(RunWithHelpers("return try(cmsgpack.unpack_limit, '\\1\\2\\3', -1)"),
            "error Invalid request to unpack with offset of 0 and limit of 3.");
  EXPECT_EQ(RunWithHelpers("return try(cmsgpack.unpack_limit, '\\1\\2\\3')"),
            "error bad argument #2 to '?' (number expected, got no value)");
}

TEST(LuaLibsCmsgpackTest, StackLimits) {
  EXPECT_EQ(
      RunWithHelpers("return tostring(select('#', cmsgpack.unpack(string.rep('\\1', 7999))))"),
      "7999");
  EXPECT_EQ(RunWithHelpers("return try(cmsgpack.unpack, string.rep('\\1', 8000))"),
            "error stack overflow (too many return values at once; use unpack_one or "
            "unpack_limit instead.)");
  EXPECT_EQ(RunWithHelpers("return try(cmsgpack.unpack_limit, string.rep('\\1', 7999), 7999)"),
            "error stack overflow (in function mp_unpack_full)");
  EXPECT_EQ(RunWithHelpers("return type(cmsgpack.unpack(string.rep('\\145', 3999) .. '\\1'))"),
            "table");
  EXPECT_EQ(RunWithHelpers("return try(cmsgpack.unpack, string.rep('\\145', 4000) .. '\\1')"),
            "error stack overflow (in function mp_decode_to_lua_array)");
  EXPECT_EQ(RunWithHelpers("return try(cmsgpack.unpack, string.rep('\\129\\1', 4000) .. '\\1')"),
            "error stack overflow (too many return values at once; use unpack_one or "
            "unpack_limit instead.)");
}

TEST(LuaLibsCmsgpackTest, LibraryFields) {
  EXPECT_EQ(RunWithHelpers("return cmsgpack._NAME .. ' ' .. cmsgpack._VERSION"),
            "cmsgpack lua-cmsgpack 0.4.0");
}

// hex(struct.pack(<args>))
std::string StructHex(const std::string& args) {
  return RunWithHelpers("return hex(struct.pack(" + args + "))");
}

TEST(LuaLibsStructTest, PackIntegers) {
  EXPECT_EQ(StructHex("'bBhHlLTiI', -1, 255, -2, 65535, -3, 4, 5, -6, 7"),
            "fffffefffffffdffffffffffffff04000000000000000500000000000000faffffff07000000");
  EXPECT_EQ(StructHex("'>bBhHiI', -1, 255, -2, 65535, -6, 7"),
            "fffffffeffff"
            "fffffffa00000007");
  EXPECT_EQ(StructHex("'i1i2i3i5i7i8', 1, 2, 3, 5, 7, 8"),
            "0102000300000500000000070000000000000800000000000000");
  EXPECT_EQ(StructHex("'>i<i', 1, 2"), "0000000102000000");
  EXPECT_EQ(StructHex("'<i16', -1"), "ffffffffffffffff0000000000000000");  // only 8 bytes carry
  EXPECT_EQ(StructHex("'>i16', -1"), "0000000000000000ffffffffffffffff");
  EXPECT_EQ(StructHex("'i0i', 1, 2"), "02000000");
  EXPECT_EQ(StructHex("'i', 1.9") + StructHex("'i', -1.9"), "01000000ffffffff");
  EXPECT_EQ(StructHex("'B', 256") + StructHex("'b', -129") + StructHex("'<i', 2^31"),
            "007f00000080");
  EXPECT_EQ(StructHex("'<L', 2^64") + StructHex("'<L', 0/0") + StructHex("'<L', -1/0"),
            "0000000000000000"
            "0000000000000080"
            "0000000000000080");
  EXPECT_EQ(StructHex("'<I8', 2^63 + 2^11"), "0008000000000080");
}

TEST(LuaLibsStructTest, PackFloatsStringsPadding) {
  EXPECT_EQ(StructHex("'fd', 1.5, 0.1"), "0000c03f9a9999999999b93f");
  EXPECT_EQ(StructHex("'>fd', 1.5, 0.1"), "3fc000003fb999999999999a");
  EXPECT_EQ(StructHex("'>f', 1e300"), "7f800000");
  EXPECT_EQ(
      StructHex("'c3', 'abcdef'") + " " + StructHex("'c0', 'abc'") + " " + StructHex("'c', 'xy'"),
      "616263 616263 78");
  EXPECT_EQ(StructHex("'s', 'ab\\0c'"), "6162006300");
  EXPECT_EQ(StructHex("'bxb', 1, 2"), "010002");
  EXPECT_EQ(StructHex("' b  b ', 1, 2"), "0102");
  EXPECT_EQ(StructHex("'s', 5"), "3500");  // numbers are strings here
}

TEST(LuaLibsStructTest, Alignment) {
  EXPECT_EQ(StructHex("'!bi', 1, 2"), "0100000002000000");
  EXPECT_EQ(StructHex("'!2bi', 1, 2"), "010002000000");
  EXPECT_EQ(StructHex("'!bd', 1, 2"), "01000000000000000000000000000040");
  EXPECT_EQ(StructHex("'!4bd', 1, 2"), "010000000000000000000040");
  EXPECT_EQ(StructHex("'bi', 1, 2"), "0102000000");              // no ! : no alignment
  EXPECT_EQ(StructHex("'!bc3h', 1, 'abc', 2"), "016162630200");  // c is never aligned
  EXPECT_EQ(StructHex("'!bsh', 1, 'abc', 2"), "0161626300000200");
  EXPECT_EQ(StructHex("'!8bi5', 1, 2"), "01000000000200000000");  // masks, size 5
  EXPECT_EQ(StructHex("'!8bi6', 1, 2"), "010000000000020000000000");
  EXPECT_EQ(StructHex("'!bd!2bd', 1, 2, 3, 4"),
            "0100000000000000000000000000004003000000000000001040");
}

TEST(LuaLibsStructTest, PackErrors) {
  EXPECT_EQ(RunWithHelpers("return try(struct.pack, 'i33', 1)"),
            "error integral size 33 is larger than limit of 32");
  EXPECT_EQ(RunWithHelpers("return try(struct.pack, 'i99999999999', 1)"),
            "error integral size overflow");
  EXPECT_EQ(RunWithHelpers("return try(struct.pack, '!3i', 1)"),
            "error alignment 3 is not a power of 2");
  EXPECT_EQ(RunWithHelpers("return try(struct.pack, '!0i', 1)"),
            "error alignment 0 is not a power of 2");
  EXPECT_EQ(RunWithHelpers("return try(struct.pack, 'q', 1)"),
            "error bad argument #1 to '?' (invalid format option 'q')");
  EXPECT_EQ(RunWithHelpers("return try(struct.pack, '=i', 1)"),
            "error bad argument #1 to '?' (invalid format option '=')");
  EXPECT_EQ(RunWithHelpers("return try(struct.pack, 'c5', 'ab')"),
            "error bad argument #3 to '?' (string too short)");  // Redis's off-by-one
  EXPECT_EQ(RunWithHelpers("return try(struct.pack, 'i', 'x')"),
            "error bad argument #2 to '?' (number expected, got string)");
  EXPECT_EQ(RunWithHelpers("return try(struct.pack, 'ii', 1)"),
            "error bad argument #3 to '?' (number expected, got nil)");
  EXPECT_EQ(RunWithHelpers("return try(struct.pack)"),
            "error bad argument #1 to '?' (string expected, got no value)");
}

TEST(LuaLibsStructTest, UnpackValuesAndNextPosition) {
  EXPECT_EQ(
      RunWithHelpers("return try(struct.unpack, 'bBhHlLTiI', struct.pack('bBhHlLTiI', -1, 255, -2, "
                     "65535, -3, 4, 5, -6, 7))"),
      "ok -1,255,-2,65535,-3,4,5,-6,7,39");
  EXPECT_EQ(RunWithHelpers("return try(struct.unpack, '>i3I3', '\\255\\255\\254\\255\\255\\254')"),
            "ok -2,16777214,7");
  EXPECT_EQ(RunWithHelpers("return try(struct.unpack, '<i8', string.rep('\\255', 8))"), "ok -1,9");
  EXPECT_EQ(RunWithHelpers("return try(struct.unpack, '<i9', '\\128' .. string.rep('\\0', 8))"),
            "ok -128,10");  // sign mask shifted by 71 mod 64
  EXPECT_EQ(RunWithHelpers("return try(struct.unpack, '<i10', '\\0\\128' .. string.rep('\\0', 8))"),
            "ok -32768,11");
  EXPECT_EQ(RunWithHelpers("return try(struct.unpack, '<I9', '\\1\\2\\3\\4\\5\\6\\7\\8\\9')"),
            "ok 5.7843769575231e+17,10");  // the last 8 bytes read
  EXPECT_EQ(RunWithHelpers("return try(struct.unpack, '>fd', struct.pack('>fd', 1.5, 0.25))"),
            "ok 1.5,0.25,13");
  EXPECT_EQ(RunWithHelpers("return try(struct.unpack, 'c3', 'abcdef', 2)"), "ok bcd,5");
  EXPECT_EQ(RunWithHelpers("return try(struct.unpack, 'ss', 'ab\\0cd\\0')"), "ok ab,cd,7");
  EXPECT_EQ(RunWithHelpers("return try(struct.unpack, 'bc0', '\\3abcd')"), "ok abc,5");
  EXPECT_EQ(RunWithHelpers("return try(struct.unpack, 'c1c0', '3abcd')"), "ok abc,5");
  EXPECT_EQ(RunWithHelpers("return try(struct.unpack, 'bxxb', '\\1\\2\\3\\4')"), "ok 1,4,5");
  EXPECT_EQ(RunWithHelpers("return try(struct.unpack, '!4ib', '\\0\\1\\0\\0\\0\\0\\0\\0\\2', 2)"),
            "ok 0,2,10");  // aligned from the start of the data, not from init
  EXPECT_EQ(RunWithHelpers("return try(struct.unpack, '', 'abcd', -1)"), "ok -1");
  EXPECT_EQ(RunWithHelpers("return try(struct.unpack, 'i0', 'abc')"), "ok 0,1");
}

TEST(LuaLibsStructTest, UnpackErrors) {
  EXPECT_EQ(RunWithHelpers("return try(struct.unpack, 'i', 'abc')"),
            "error bad argument #2 to '?' (data string too short)");
  EXPECT_EQ(RunWithHelpers("return try(struct.unpack, 'i', 'abcd', -1)"),
            "error bad argument #2 to '?' (data string too short)");
  EXPECT_EQ(RunWithHelpers("return try(struct.unpack, 'i', 'abcd', 0)"),
            "error bad argument #3 to '?' (offset must be 1 or greater)");
  EXPECT_EQ(RunWithHelpers("return try(struct.unpack, 's', 'abc')"),
            "error unfinished string in data");
  EXPECT_EQ(RunWithHelpers("return try(struct.unpack, 'c0', 'abc')"),
            "error format 'c0' needs a previous size");
  EXPECT_EQ(RunWithHelpers("return try(struct.unpack, 'bc0', '\\9abc')"),
            "error bad argument #2 to '?' (data string too short)");
  EXPECT_EQ(RunWithHelpers("return try(struct.unpack, '!3', 'abcd')"),
            "error alignment 3 is not a power of 2");
  EXPECT_EQ(
      RunWithHelpers("return try(struct.unpack, string.rep('b', 7998), string.rep('\\0', 7998))"),
      "error stack overflow (too many results)");
}

TEST(LuaLibsStructTest, Size) {
  EXPECT_EQ(RunWithHelpers("return try(struct.size, 'bhilLTfdxc5i7')"), "ok 56");
  EXPECT_EQ(RunWithHelpers("return try(struct.size, '!bhilLTfdxc5i7')"), "ok 61");
  EXPECT_EQ(RunWithHelpers("return try(struct.size, '!bi16')"), "ok 24");
  EXPECT_EQ(RunWithHelpers("return try(struct.size, 'qi')"),
            "ok 4");  // unknown letters are skipped
  EXPECT_EQ(RunWithHelpers("return try(struct.size, 's')"),
            "error bad argument #1 to '?' (option 's' has no fixed size)");
  EXPECT_EQ(RunWithHelpers("return try(struct.size, 'bc0')"),
            "error bad argument #1 to '?' (option 'c0' has no fixed size)");
  EXPECT_EQ(RunWithHelpers("return try(struct.size, '=')"),
            "error bad argument #1 to '?' (invalid format option '=')");
  EXPECT_EQ(RunWithHelpers("return try(struct.size, 'i33')"),
            "error integral size 33 is larger than limit of 32");
}

}  // namespace
