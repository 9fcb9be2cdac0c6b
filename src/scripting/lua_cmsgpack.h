// The `cmsgpack` library Redis exposes to scripts: MessagePack encoding of Lua
// values, written to behave like the one in Redis 7.0 (lua-cmsgpack 0.4.0).
#pragma once

#include <lua.hpp>

namespace magpie {

// Pushes the library table (pack, unpack, unpack_one, unpack_limit and the
// _NAME/_VERSION/_DESCRIPTION fields); the caller names it `cmsgpack`.
int OpenCmsgpack(lua_State* L);

}  // namespace magpie
