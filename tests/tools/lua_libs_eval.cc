// lua_libs_eval: runs the Lua snippet on stdin in a state holding the script
// libraries (cjson, bit, cmsgpack, struct) and prints the string it returns,
// or "ERR:" and the error. The chunk is named like Redis names EVAL bodies, so
// positions in messages read "user_script:N:" on both sides. Used by
// tests/integration/test_lua_libs_differential.py until EVAL exists.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <lua.hpp>
#include <string>

#include "scripting/lua_cmsgpack.h"
#include "scripting/lua_struct.h"

extern "C" int luaopen_cjson(lua_State* L);
extern "C" int luaopen_bit(lua_State* L);

namespace {

void SetGlobal(lua_State* L, int (*open)(lua_State*), const char* name) {
  open(L);
  lua_setglobal(L, name);
}

}  // namespace

int main() {
  std::string code((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  lua_State* L = luaL_newstate();
  luaL_openlibs(L);
  SetGlobal(L, luaopen_cjson, "cjson");
  SetGlobal(L, luaopen_bit, "bit");
  SetGlobal(L, magpie::OpenCmsgpack, "cmsgpack");
  SetGlobal(L, magpie::OpenStruct, "struct");
  std::string out;
  int rc = luaL_loadbuffer(L, code.data(), code.size(), "@user_script");
  if (rc == 0) rc = lua_pcall(L, 0, 1, 0);
  size_t len = 0;
  const char* s = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : nullptr;
  if (rc != 0) {
    out = "ERR:";
    if (s != nullptr) out.append(s, len);
  } else if (s == nullptr) {
    out = "ERR:snippet did not return a string";
  } else {
    out.assign(s, len);
  }
  lua_close(L);
  fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}
