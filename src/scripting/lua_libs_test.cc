// The Lua libraries scripts see, driven through a bare Lua state.
#include <gtest/gtest.h>

#include <lua.hpp>
#include <string>

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

TEST(LuaLibsTest, CjsonRoundTrip) {
  EXPECT_EQ(RunLua("return cjson.encode(cjson.decode('[1,\"a\",{\"b\":true}]'))"),
            "[1,\"a\",{\"b\":true}]");
}

TEST(LuaLibsTest, BitOps) {
  EXPECT_EQ(RunLua("return tostring(bit.band(0xff, 0x0f)) .. ' ' .. bit.tohex(255)"), "15 000000ff");
}

TEST(LuaLibsTest, ErrorsUnwindAsExceptions) {
  EXPECT_EQ(RunLua("error('boom')"), "error: [string \"error('boom')\"]:1: boom");
}

}  // namespace
