// The `struct` library Redis exposes to scripts: packing Lua numbers and
// strings into binary records, written to behave like Redis 7.0's struct.
#pragma once

#include <lua.hpp>

namespace magpie {

// Pushes the library table (pack, unpack, size); the caller names it `struct`.
int OpenStruct(lua_State* L);

}  // namespace magpie
