"""cmsgpack and struct against redis-server 7.0, snippet by snippet.

Each snippet is a Lua chunk returning a string. It runs through EVAL on a
real redis-server and on Magpie, and the two replies must be byte-identical,
error replies included (errors are mostly caught with pcall inside the
snippet; an uncaught one must carry the same " script: <sha>, on
@user_script:N." position).

Fixed snippets cover each type, format option and error message; seeded
generators add random nested values (pack/unpack round trips), random struct
formats, and random or mutated byte strings fed to the decoders.
"""

import os
import random
import re
import struct as pystruct

import pytest
import redis

from conftest import REDIS_REF_BIN, ServerProcess


# Helpers every snippet can use: hex(s); dump(v), a canonical text for any
# value (table keys sorted, numbers as %.17g); all(...), dump of every value
# with their count; try(f, ...), "ok <all results>" or "error <message>".
PRELUDE = r"""
local function hex(s)
  return (string.gsub(s, '.', function(c) return string.format('%02x', string.byte(c)) end))
end
local function before(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then return ta < tb end
  if ta == 'boolean' then return (not a) and b end
  if ta == 'table' then return tostring(a) < tostring(b) end
  return a < b
end
local function dump(v)
  local t = type(v)
  if t == 'table' then
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys, before)
    local parts = {}
    for _, k in ipairs(keys) do parts[#parts + 1] = dump(k) .. '=' .. dump(v[k]) end
    return '{' .. table.concat(parts, ',') .. '}'
  elseif t == 'number' then
    return string.format('%.17g', v)
  elseif t == 'string' then
    return string.format('%q', v)
  end
  return t == 'nil' and 'nil' or tostring(v)
end
local function all(...)
  local parts = {}
  for i = 1, select('#', ...) do parts[i] = dump((select(i, ...))) end
  return select('#', ...) .. ':' .. table.concat(parts, ' ')
end
local function collect(ok, ...)
  if ok then return 'ok ' .. all(...) end
  return 'error ' .. tostring((...))
end
local function try(f, ...) return collect(pcall(f, ...)) end
"""
PRELUDE = " ".join(line.strip() for line in PRELUDE.strip().splitlines())


def lua_str(b):
    """A Lua string literal for bytes b."""
    if isinstance(b, str):
        b = b.encode()
    out = []
    for i, c in enumerate(b):
        if 32 <= c < 127 and c not in (ord("'"), ord("\\")):
            out.append(chr(c))
        else:
            nxt = b[i + 1:i + 2]
            # \ddd takes up to three digits: pad when a digit follows.
            out.append("\\%03d" % c if nxt.isdigit() else "\\%d" % c)
    return "'" + "".join(out) + "'"


# ---------------------------------------------------------------------------
# fixed snippets

NUMBERS = [
    "0", "1", "127", "128", "255", "256", "65535", "65536", "4294967295", "4294967296",
    "2^53", "2^53+1", "2^62", "2^63", "2^64", "-2^63", "-2^63-4096", "-1", "-31", "-32",
    "-33", "-128", "-129", "-32768", "-32769", "-2147483648", "-2147483649", "1.5", "0.1",
    "-0.0", "1/0", "-1/0", "0/0", "1e300", "-1e300", "3.4028234663852886e38", "3.4028235e38",
    "1e39", "2^-149", "2^-150", "16777216", "16777217", "0.5", "-0.25", "1e-7", "2^31",
    "-2^31", "123456789.125", "12345678901234567890",
]

CMSGPACK = [
    "return hex(cmsgpack.pack(%s))" % n for n in NUMBERS
] + [
    "local s = cmsgpack.pack(string.rep('x', %d)) return hex(s:sub(1, 6)) .. ' ' .. #s" % n
    for n in (0, 1, 31, 32, 255, 256, 65535, 65536, 70000)
] + [
    "return hex(cmsgpack.pack(true, false, nil))",
    "return hex(cmsgpack.pack(nil))",
    "return hex(cmsgpack.pack(string.len, 1))",
    "return hex(cmsgpack.pack('a\\0b\\255'))",
    "return hex(cmsgpack.pack(1, 'two', {3}, {four = 4}))",
    "return hex(cmsgpack.pack({}))",
    "return hex(cmsgpack.pack({1, 2, 3}))",
    "return hex(cmsgpack.pack({[1] = 1, [3] = 3}))",
    "return hex(cmsgpack.pack({1, 2, nil, 4}))",
    "return hex(cmsgpack.pack({[2] = 1}))",
    "return hex(cmsgpack.pack({[1.5] = 1}))",
    "return hex(cmsgpack.pack({[1] = 'a', [1.5] = 'b'}))",
    "return hex(cmsgpack.pack({a = 1}))",
    "return hex(cmsgpack.pack({[-1] = 1}))",
    "return hex(cmsgpack.pack({[0] = 1}))",
    "return hex(cmsgpack.pack({[true] = false}))",
    "return hex(cmsgpack.pack({['1'] = 1}))",
    "return hex(cmsgpack.pack({[2^31] = 1}))",
    "return hex(cmsgpack.pack({[1/0] = 1}))",
    "return hex(cmsgpack.pack({[{1}] = {2}}))",
    "return hex(cmsgpack.pack({{}, {{}}, {{{}}}}))",
    "local t = {} for i = 1, 15 do t[i] = i end return hex(cmsgpack.pack(t))",
    "local t = {} for i = 1, 16 do t[i] = i end return hex(cmsgpack.pack(t):sub(1, 4))",
    "local t = {} for i = 1, 65535 do t[i] = 0 end return hex(cmsgpack.pack(t):sub(1, 4))",
    "local t = {} for i = 1, 65536 do t[i] = 0 end return hex(cmsgpack.pack(t):sub(1, 6))",
    "local t = {} for i = 1, 15 do t['k' .. i] = i end return all(cmsgpack.unpack(cmsgpack.pack(t)))",
    "local t = {} for i = 1, 16 do t['k' .. i] = i end return hex(cmsgpack.pack(t):sub(1, 3))",
    "local t = {} for i = 1, 65536 do t[-i] = 0 end return hex(cmsgpack.pack(t):sub(1, 5))",
    "local t = {} t[1] = t return hex(cmsgpack.pack(t))",
    "local t = {} t.a = t return hex(cmsgpack.pack(t))",
    "local t = {} local c = t for i = 1, 20 do c[1] = {} c = c[1] end return hex(cmsgpack.pack(t))",
    "local t = {} local c = t for i = 1, 15 do c[1] = {} c = c[1] end return hex(cmsgpack.pack(t))",
    "local t = {} local c = t for i = 1, 20 do c[1] = {} c = c[1] end "
    "return hex(cmsgpack.pack({[t] = 1}))",
    "return try(cmsgpack.pack)",
    "return cmsgpack.pack()",
    "local p = cmsgpack.pack return p()",
    "local t = {} for i = 1, 4001 do t[i] = i end return try(cmsgpack.pack, unpack(t))",
    "local t = {} for i = 1, 4000 do t[i] = i end return tostring(#cmsgpack.pack(unpack(t)))",
    "local t = {} for i = 1, 4000 do t[i] = i end t[4000] = {} "
    "return try(function() return cmsgpack.pack(unpack(t)) end)",
    "local t = {} for i = 1, 3999 do t[i] = i end t[3999] = {a = 1} "
    "return try(function() return cmsgpack.pack(unpack(t)) end)",
    "local t = {} for i = 1, 3998 do t[i] = i end t[3998] = {a = {b = {}}} "
    "return try(function() return cmsgpack.pack(unpack(t)) end)",
    "local t = {} for i = 1, 3990 do t[i] = i end t[3990] = {a = {b = {c = {1, {2}}}}} "
    "return hex(cmsgpack.pack(unpack(t)):sub(-20))",
    "return cmsgpack._NAME .. ' ' .. cmsgpack._VERSION .. ' ' .. cmsgpack._DESCRIPTION",
    "local n = {} for k, v in pairs(cmsgpack) do if type(v) == 'function' then n[#n + 1] = k end end "
    "table.sort(n) return table.concat(n, ' ')",
]

UNPACK_INPUTS = [
    b"", b"\x00\x01\x7f", b"\xe0\xff", b"\xcc\xff\xcd\xff\xff\xce\xff\xff\xff\xff",
    b"\xcf\xff\xff\xff\xff\xff\xff\xff\xff", b"\xcf\x80\x00\x00\x00\x00\x00\x00\x00",
    b"\xcf\x00\x20\x00\x00\x00\x00\x00\x01", b"\xd0\x80\xd1\x80\x00\xd2\x80\x00\x00\x00",
    b"\xd3\x80\x00\x00\x00\x00\x00\x00\x00", b"\xca\x3f\xc0\x00\x00", b"\xca\x7f\xc0\x00\x00",
    b"\xcb\x3f\xb9\x99\x99\x99\x99\x99\x9a", b"\xcb\xff\xf8\x00\x00\x00\x00\x00\x00",
    b"\xc0\xc2\xc3", b"\xa0\xa3abc\xbf" + b"x" * 31, b"\xd9\x03abc\xda\x00\x03abc",
    b"\xdb\x00\x00\x00\x03abc", b"\x93\x01\xc0\x03", b"\xdc\x00\x02\x01\x02",
    b"\xdd\x00\x00\x00\x02\x01\x02", b"\x81\xa1a\x01", b"\xde\x00\x01\xa1a\x01",
    b"\xdf\x00\x00\x00\x01\x01\x02", b"\x82\x01\xc0\x02\x03", b"\x81\x01\xc0",
    b"\x92\x90\x80", b"\x81\x91\x01\x02",
    # errors
    b"\xc1", b"\xc4\x01a", b"\xc5\x00\x01a", b"\xc6\x00\x00\x00\x01a", b"\xc7\x01\x01a",
    b"\xc8\x00\x01\x01a", b"\xc9\x00\x00\x00\x01\x01a", b"\xd4\x01\x01", b"\xd5\x01\x01\x01",
    b"\xd6\x01" + b"\x01" * 4, b"\xd7\x01" + b"\x01" * 8, b"\xd8\x01" + b"\x01" * 16,
    b"\xcc", b"\xcd\x01", b"\xce\x01\x02\x03", b"\xcf\x01", b"\xd0", b"\xd1\x01", b"\xd2\x01",
    b"\xd3\x01\x02", b"\xca\x01", b"\xcb\x01\x02", b"\xa3ab", b"\xd9", b"\xd9\x03ab",
    b"\xda\x00", b"\xda\x00\x03ab", b"\xdb\x00\x00\x00", b"\xdb\x00\x00\x00\x03a",
    b"\x92\x01", b"\xdc\x00", b"\xdc\x00\x01", b"\xdd\x00\x00\x00\x01", b"\x81\x01",
    b"\x81", b"\xde\x00\x01\x01", b"\xdf\x00", b"\x81\xc0\x01", b"\x81\xc0",
    b"\x81\xcb\xff\xf8\x00\x00\x00\x00\x00\x00\x01", b"\x01\x02\xc1", b"\x01\x02\xcd\x01",
]

CMSGPACK += ["return try(cmsgpack.unpack, %s)" % lua_str(b) for b in UNPACK_INPUTS] + [
    "return cmsgpack.unpack('\\205\\1')",
    "return try(cmsgpack.unpack, 5)",
    "return try(cmsgpack.unpack, {})",
    "return try(cmsgpack.unpack)",
    "return try(cmsgpack.unpack, '\\1\\2', 5, 6)",
    "return try(cmsgpack.unpack_one, '\\1\\2\\3')",
    "return try(cmsgpack.unpack_one, '\\1\\2\\3', 0)",
    "return try(cmsgpack.unpack_one, '\\1\\2\\3', 2)",
    "return try(cmsgpack.unpack_one, '\\1\\2\\3', 3)",
    "return try(cmsgpack.unpack_one, '\\1\\2\\3', 4)",
    "return try(cmsgpack.unpack_one, '\\1\\2\\3', -1)",
    "return try(cmsgpack.unpack_one, '\\1\\2\\3', 1.9)",
    "return try(cmsgpack.unpack_one, '\\1\\2\\3', '1')",
    "return try(cmsgpack.unpack_one, '\\1\\2\\3', 'x')",
    "return try(cmsgpack.unpack_one, '\\1\\2\\3', 2^32)",
    "return try(cmsgpack.unpack_one, '\\1\\2\\3', 2^32 + 1)",
    "return try(cmsgpack.unpack_one, '\\1\\2\\3', -2^32 - 1)",
    "return try(cmsgpack.unpack_one)",
    "return try(cmsgpack.unpack_one, nil)",
    "return try(cmsgpack.unpack_one, '')",
    "return try(cmsgpack.unpack_one, '\\147\\1\\2\\3\\4')",
    "return try(cmsgpack.unpack_one, '\\1\\205', 1)",
    "return try(cmsgpack.unpack_limit, '\\1\\2\\3', 0)",
    "return try(cmsgpack.unpack_limit, '\\1\\2\\3', 0, 1)",
    "return try(cmsgpack.unpack_limit, '\\1\\2\\3', 0, 3)",
    "return try(cmsgpack.unpack_limit, '\\1\\2\\3', 1)",
    "return try(cmsgpack.unpack_limit, '\\1\\2\\3', 2)",
    "return try(cmsgpack.unpack_limit, '\\1\\2\\3', 3)",
    "return try(cmsgpack.unpack_limit, '\\1\\2\\3', 5, 1)",
    "return try(cmsgpack.unpack_limit, '\\1\\2\\3', 1, 3)",
    "return try(cmsgpack.unpack_limit, '\\1\\2\\3', -1)",
    "return try(cmsgpack.unpack_limit, '\\1\\2\\3', -1, -1)",
    "return try(cmsgpack.unpack_limit, '\\1\\2\\3', 1, 4)",
    "return try(cmsgpack.unpack_limit, '\\1\\2\\3', 2^32 + 1)",
    "return try(cmsgpack.unpack_limit, '\\1\\2\\3')",
    "return try(cmsgpack.unpack_limit, '\\1\\2\\205', 5, 1)",
    "return try(cmsgpack.unpack_limit)",
    # stack limits: values, nesting, and the offset slot of unpack_limit
    "return try(function() return select('#', cmsgpack.unpack(string.rep('\\1', 7999))) end)",
    "return try(cmsgpack.unpack, string.rep('\\1', 8000))",
    "return try(cmsgpack.unpack, string.rep('\\1', 7990), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)",
    "return try(function() return select('#', cmsgpack.unpack_limit(string.rep('\\1', 7998), 7998)) end)",
    "return try(cmsgpack.unpack_limit, string.rep('\\1', 7999), 7999)",
    "return try(function() return #cmsgpack.pack(cmsgpack.unpack(string.rep('\\145', 3999) .. '\\1')) end)",
    "return try(cmsgpack.unpack, string.rep('\\145', 4000) .. '\\1')",
    "return try(cmsgpack.unpack, string.rep('\\145', 3999) .. '\\144')",
    "return try(cmsgpack.unpack, string.rep('\\145', 3999) .. '\\128')",
    "return try(cmsgpack.unpack, '\\1\\1\\1' .. string.rep('\\145', 3998) .. '\\1')",
    "return try(cmsgpack.unpack, string.rep('\\129\\1', 3999) .. '\\1')",
    "return try(cmsgpack.unpack, string.rep('\\129\\1', 4000) .. '\\1')",
    "return try(cmsgpack.unpack_one, string.rep('\\145', 4000) .. '\\1')",
    "return try(cmsgpack.unpack, string.rep('\\145', 20000) .. '\\1')",
]

STRUCT = [
    "return hex(struct.pack('>i<i!i', 1, 2, 3))",
    "return hex(struct.pack('bBhHlLTiI', -1, 255, -2, 65535, -3, 4, 5, -6, 7))",
    "return hex(struct.pack('>bBhHlLTiI', -1, 255, -2, 65535, -3, 4, 5, -6, 7))",
    "return hex(struct.pack('i1i2i3i5i7i8', 1, 2, 3, 5, 7, 8))",
    "return hex(struct.pack('>I1I2I3I5I7I8', 1, 2, 3, 5, 7, 8))",
    "return hex(struct.pack('>i16', -1)) .. ' ' .. hex(struct.pack('<i16', -1))",
    "return hex(struct.pack('<i9', -2)) .. ' ' .. hex(struct.pack('>I9', 2^60))",
    "return hex(struct.pack('i32', 1))",
    "return try(struct.pack, 'i33', 1)",
    "return try(struct.pack, 'I0', 1)",
    "return hex(struct.pack('i0i', 1, 2))",
    "return try(struct.pack, 'i99999999999', 1)",
    "return try(struct.pack, 'c99999999999', 'a')",
    "return try(struct.pack, '!99999999999', 'a')",
    "return try(struct.pack, 'i2147483647', 1)",
    "return try(struct.pack, 'c2147483647', 'a')",
    "return try(struct.pack, '!3i', 1)",
    "return try(struct.pack, '!0i', 1)",
    "return try(struct.pack, '!6i', 1)",
    "return try(struct.pack, '!', 1)",
    "return hex(struct.pack('!i', 1)) .. ' ' .. hex(struct.pack('!bi', 1, 2))",
    "return hex(struct.pack('!2bi', 1, 2)) .. ' ' .. hex(struct.pack('!bd', 1, 2))",
    "return hex(struct.pack('!4bd', 1, 2)) .. ' ' .. hex(struct.pack('!16bi16', 1, 2))",
    "return hex(struct.pack('!bi16', 1, 2)) .. ' ' .. hex(struct.pack('!1bi', 1, 2))",
    "return hex(struct.pack('!bxh', 1, 2)) .. ' ' .. hex(struct.pack('!bc3h', 1, 'abc', 2))",
    "return hex(struct.pack('!bsh', 1, 'abc', 2)) .. ' ' .. hex(struct.pack('!bfh', 1, 2, 3))",
    "return hex(struct.pack('!2i3h', 1, 2)) .. ' ' .. hex(struct.pack('!4i3h', 1, 2))",
    "return hex(struct.pack('!8bi5', 1, 2)) .. ' ' .. hex(struct.pack('!8bi6', 1, 2))",
    "return hex(struct.pack('!8bi12', 1, 2)) .. ' ' .. hex(struct.pack('!16bi12', 1, 2))",
    "return hex(struct.pack('!bc5', 1, 'abcde')) .. ' ' .. hex(struct.pack('!bT', 1, 2))",
    "return hex(struct.pack('!bd!2bd', 1, 2, 3, 4))",
    "return hex(struct.pack('!4>i<h!2bi', 1, 2, 3, 4))",
    "return try(struct.pack, 'q', 1)",
    "return try(struct.pack, '=i', 1)",
    "return try(struct.pack, 'i 4', 1)",
    "return try(struct.pack, 5, 1)",
    "return try(struct.pack)",
    "return try(struct.pack, '\\200')",
    "return hex(struct.pack(' i  i ', 1, 2))",
    "return hex(struct.pack('fd', 1.5, 0.1)) .. ' ' .. hex(struct.pack('>fd', 1.5, 0.1))",
    "return hex(struct.pack('>f', 0/0)) .. ' ' .. hex(struct.pack('>d', 0/0))",
    "return hex(struct.pack('>f', 1e300)) .. ' ' .. hex(struct.pack('>f', -1e300))",
    "return hex(struct.pack('>f', 3.4028235e38)) .. ' ' .. hex(struct.pack('>f', 2^-160))",
    "return hex(struct.pack('c3', 'abcdef')) .. ' ' .. hex(struct.pack('c0', 'abcdef'))",
    "return hex(struct.pack('s', 'ab\\0c')) .. ' ' .. hex(struct.pack('c', 'xy'))",
    "return hex(struct.pack('c0c0', '', 'a')) .. ' ' .. hex(struct.pack('s', ''))",
    "return try(struct.pack, 'c5', 'ab')",
    "return try(struct.pack, 'bc5', 1, 'ab')",
    "return try(struct.pack, 'i', 'x')",
    "return try(struct.pack, 'i')",
    "return try(struct.pack, 'ii', 1)",
    "return try(struct.pack, 'c0i', string.rep('a', 9000))",
    "return try(struct.pack, 'c0c0c0', string.rep('a', 9000), string.rep('b', 9000))",
    "return try(struct.pack, 'd', {})",
    "return try(struct.pack, 'c1', nil)",
    "return try(struct.pack, 's', 5)",
    "return try(struct.pack, 'f', '1.5')",
    "return try(struct.pack, 'i', '0x10')",
    "return hex(struct.pack('i', 1.9)) .. ' ' .. hex(struct.pack('i', -1.9))",
    "return hex(struct.pack('B', 256)) .. ' ' .. hex(struct.pack('b', -129))",
    "return hex(struct.pack('<i', 2^31)) .. ' ' .. hex(struct.pack('<i', 2^32 + 5))",
    "return hex(struct.pack('<i', -2^31 - 1)) .. ' ' .. hex(struct.pack('<I8', 2^63 + 2^11))",
    "return hex(struct.pack('<i8', -2^63)) .. ' ' .. hex(struct.pack('<l', -2^63 - 4096))",
    "return hex(struct.pack('<L', 2^64)) .. ' ' .. hex(struct.pack('<L', 2^63))",
    "return hex(struct.pack('<L', -2^64)) .. ' ' .. hex(struct.pack('<L', 0/0))",
    "return hex(struct.pack('<L', 1/0)) .. ' ' .. hex(struct.pack('<L', -1/0))",
    "return hex(struct.pack('<L', 2^65)) .. ' ' .. hex(struct.pack('<L', 2^64 - 2^12))",
    "return hex(struct.pack('i', 1, 2, 3)) .. hex(struct.pack(''))",
    "return try(struct.unpack, '<i', '\\1\\0\\0\\0')",
    "return try(struct.unpack, 'bBhHlLTiI', struct.pack('bBhHlLTiI', -1, 255, -2, 65535, -3, 4, 5, -6, 7))",
    "return try(struct.unpack, '>i3I3', '\\255\\255\\254\\255\\255\\254')",
    "return try(struct.unpack, '<i8I8', string.rep('\\255', 16))",
    "return try(struct.unpack, '<I8', '\\0\\0\\0\\0\\0\\0\\0\\128')",
    "return try(struct.unpack, '<i9', string.rep('\\255', 9))",
    "return try(struct.unpack, '<I9>I9', '\\1\\2\\3\\4\\5\\6\\7\\8\\9\\1\\2\\3\\4\\5\\6\\7\\8\\9')",
    "return try(struct.unpack, '<i9<i9', '\\128\\0\\0\\0\\0\\0\\0\\0\\0\\127\\0\\0\\0\\0\\0\\0\\0\\0')",
    "return try(struct.unpack, '<i16', '\\0\\0\\0\\0\\0\\0\\0\\128\\0\\0\\0\\0\\0\\0\\0\\0')",
    "return try(struct.unpack, '<i10<i10', '\\0\\128\\0\\0\\0\\0\\0\\0\\0\\0\\0\\127\\0\\0\\0\\0\\0\\0\\0\\0')",
    "return try(struct.unpack, '<i12', '\\0\\0\\0\\128\\0\\0\\0\\0\\0\\0\\0\\0')",
    "return try(struct.unpack, '<i17', '\\0\\128' .. string.rep('\\0', 15))",
    "return try(struct.unpack, '>i17', string.rep('\\0', 15) .. '\\128\\0')",
    "return try(struct.unpack, '<i24', '\\0\\0\\0\\0\\0\\0\\0\\128' .. string.rep('\\0', 16))",
    "return try(struct.unpack, '<i32', string.rep('\\255', 32))",
    "return try(struct.unpack, 'i0I0', '')",
    "return try(struct.unpack, 'i0', 'abc')",
    "return try(struct.unpack, 'fd', struct.pack('fd', 1.5, 0.1))",
    "return try(struct.unpack, '>fd', struct.pack('>fd', 1.5, 0.1))",
    "return try(struct.unpack, '<f<d', '\\0\\0\\128\\127\\0\\0\\0\\0\\0\\0\\240\\127')",
    "return try(struct.unpack, 'c3', 'abcdef')",
    "return try(struct.unpack, 'c3', 'abcdef', 2)",
    "return try(struct.unpack, 's', 'ab\\0cd')",
    "return try(struct.unpack, 'ss', 'ab\\0cd\\0')",
    "return try(struct.unpack, 'bc0', '\\3abcd')",
    "return try(struct.unpack, 'c1c0', '3abcd')",
    "return try(struct.unpack, 'c1c0', ' 2 abcd')",
    "return try(struct.unpack, 'bbc0', '\\1\\0abc')",
    "return try(struct.unpack, 'c0', 'abc')",
    "return try(struct.unpack, 'c1c0', 'xabc')",
    "return try(struct.unpack, 'bc0', '\\9abc')",
    "return try(struct.unpack, 'bc0', '\\255abc')",
    "return try(struct.unpack, 'i0c0', 'abc')",
    "return try(struct.unpack, 'i', 'abc')",
    "return try(struct.unpack, 's', 'abc')",
    "return try(struct.unpack, 'i', 'abcd', 0)",
    "return try(struct.unpack, 'i', 'abcd', 5)",
    "return try(struct.unpack, 'i', 'abcd', 6)",
    "return try(struct.unpack, 'i', 'abcd', -1)",
    "return try(struct.unpack, 'b', 'abcd', -3)",
    "return try(struct.unpack, '', 'abcd', 5)",
    "return try(struct.unpack, '', 'abcd', 6)",
    "return try(struct.unpack, '', 'abcd', -1)",
    "return try(struct.unpack, '>', 'abcd', 6)",
    "return try(struct.unpack, 'b', 'abcd', 2.7)",
    "return try(struct.unpack, 'b', 'abcd', '3')",
    "return try(struct.unpack, 'i', 'abcd', 'x')",
    "return try(struct.unpack, 'i')",
    "return try(struct.unpack, 'i', 5)",
    "return try(struct.unpack, 'b', 5)",
    "return try(struct.unpack)",
    "return try(struct.unpack, 'i', 'abcd', 1, 2)",
    "return try(struct.unpack, '!bi', '\\1\\0\\0\\0\\2\\0\\0\\0')",
    "return try(struct.unpack, '!bd', struct.pack('!bd', 1, 2))",
    "return try(struct.unpack, 'bxxb', '\\1\\2\\3\\4')",
    "return try(struct.unpack, '!i', '\\0\\1\\0\\0\\0\\0\\0\\0\\2\\0\\0\\0', 2)",
    "return try(struct.unpack, '!4ib', '\\0\\1\\0\\0\\0\\0\\0\\0\\2\\0\\0\\0', 2)",
    "return try(struct.unpack, 'q', 'abcd')",
    "return try(struct.unpack, '!3', 'abcd')",
    "return try(struct.unpack, 'i 0', 'abcd')",
    "return try(struct.unpack, 'c99999999999', 'abc')",
    "return try(struct.unpack, 'i40', 'abc')",
    "return try(struct.unpack, 'ii', 'abcdab')",
    "return try(struct.unpack, string.rep('b', 7997), string.rep('\\0', 7997))",
    "return try(struct.unpack, string.rep('b', 7998), string.rep('\\0', 7998))",
    "return try(struct.unpack, string.rep('x', 9000) .. 'b', string.rep('\\0', 9001))",
    "return try(struct.size, 'bhilLTfdxc5i7')",
    "return try(struct.size, '!bhilLTfdxc5i7')",
    "return try(struct.size, '') .. try(struct.size, '!4bd') .. try(struct.size, '<>!2 b h')",
    "return try(struct.size, '!bi16') .. try(struct.size, '!8bi6') .. try(struct.size, '!bi')",
    "return try(struct.size, 'c') .. try(struct.size, 'i0') .. try(struct.size, '!8bi0b')",
    "return try(struct.size, '!x') .. try(struct.size, 'qi') .. try(struct.size, 'i4q9Z')",
    "return try(struct.size, 's')",
    "return try(struct.size, 'c0')",
    "return try(struct.size, 'bc0')",
    "return try(struct.size, 'q')",
    "return try(struct.size, 'i33')",
    "return try(struct.size, '!5')",
    "return try(struct.size, '=')",
    "return try(struct.size, '#i')",
    "return try(struct.size, 'c99999999999')",
    "return try(struct.size)",
    "return try(struct.size, 12)",
    "return struct.pack('c5', 'ab')",
    "local s = struct.pack return s('i')",
    "local n = {} for k, v in pairs(struct) do n[#n + 1] = k .. '=' .. type(v) end "
    "table.sort(n) return table.concat(n, ' ')",
]


# ---------------------------------------------------------------------------
# generated snippets

def random_string(rng):
    n = rng.choice([0, 1, 5, 31, 32, 33, 200, 255, 256, 300])
    alphabet = [b"a", b"z", b"\x00", b"\xff", b"'", b"\\", b"\n", b"7"]
    return b"".join(rng.choice(alphabet) for _ in range(n))


def random_number(rng):
    kind = rng.randrange(6)
    if kind == 0:
        return str(rng.randint(-40, 140))
    if kind == 1:
        return str(rng.choice([-1, 1]) * rng.randint(0, 2 ** rng.choice([8, 16, 32, 53])))
    if kind == 2:
        return repr(rng.uniform(-1e6, 1e6))
    if kind == 3:
        return repr(float(pystruct.unpack("f", pystruct.pack("f", rng.uniform(-100, 100)))[0]))
    if kind == 4:
        return rng.choice(["2^63", "-2^63", "2^64", "1/0", "-1/0", "2^53", "-2^31", "0.5"])
    return repr(rng.random() * 10 ** rng.randint(-30, 30))


def random_value(rng, depth):
    kind = rng.randrange(9 if depth < 5 else 5)
    if kind == 0:
        return random_number(rng)
    if kind == 1:
        return lua_str(random_string(rng))
    if kind == 2:
        return rng.choice(["true", "false"])
    if kind in (3, 4):
        return random_number(rng) if kind == 3 else lua_str(b"k%d" % rng.randrange(100))
    if kind in (5, 6):  # array (sometimes with holes, which makes it a map)
        n = rng.choice([0, 1, 3, 15, 16, 17] if depth == 0 else [0, 1, 2, 3])
        items = [random_value(rng, depth + 1) for _ in range(n)]
        if items and rng.random() < 0.2:
            items[rng.randrange(len(items))] = "nil"
        return "{" + ", ".join(items) + "}"
    n = rng.choice([1, 2, 5, 15, 16] if depth == 0 else [1, 2, 3])
    pairs = []
    for _ in range(n):
        key = rng.choice([lua_str(b"k%d" % rng.randrange(50)), str(rng.randint(-5, 30)),
                          repr(rng.uniform(-10, 10)), "true", "false"])
        pairs.append("[%s] = %s" % (key, random_value(rng, depth + 1)))
    return "{" + ", ".join(pairs) + "}"


def cmsgpack_round_trips(seed, count):
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        values = ", ".join(random_value(rng, 0) for _ in range(rng.randint(1, 3)))
        out.append("local p = cmsgpack.pack(%s) return hex(p) .. ' ' .. all(cmsgpack.unpack(p)) "
                   ".. ' ' .. try(cmsgpack.unpack_limit, p, 2, 1)" % values)
    return out


def random_msgpack_bytes(rng):
    """Random bytes, half of them a valid encoding cut short or flipped."""
    if rng.random() < 0.5:
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 12)))
    chunks = []
    for _ in range(rng.randint(1, 4)):
        tag = rng.choice([0x00, 0x7f, 0xe5, 0xa2, 0x92, 0x81, 0xc0, 0xc2, 0xc3, 0xca, 0xcb,
                          0xcc, 0xcd, 0xce, 0xcf, 0xd0, 0xd1, 0xd2, 0xd3, 0xd9, 0xda, 0xdb,
                          0xdc, 0xdd, 0xde, 0xdf])
        chunks.append(bytes([tag]) + bytes(rng.randrange(4) for _ in range(rng.randint(0, 9))))
    data = bytearray(b"".join(chunks))
    if data and rng.random() < 0.3:
        data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)


def cmsgpack_decoder_fuzz(seed, count):
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        s = lua_str(random_msgpack_bytes(rng))
        out.append("return try(cmsgpack.unpack, %s) .. ' | ' .. try(cmsgpack.unpack_one, %s, %d) "
                   ".. ' | ' .. try(cmsgpack.unpack_limit, %s, %d, %d)"
                   % (s, s, rng.randint(0, 3), s, rng.randint(0, 3), rng.randint(0, 3)))
    return out


def random_struct_format(rng):
    """A format and a Lua argument list that fits it."""
    fmt, args = [], []
    for _ in range(rng.randint(1, 8)):
        kind = rng.randrange(10)
        if kind == 0:
            fmt.append(rng.choice(["<", ">", "!", "!1", "!2", "!4", "!8", "!16", " "]))
        elif kind <= 4:
            opt = rng.choice("bBhHlLTiI")
            if opt in "iI" and rng.random() < 0.7:
                opt += str(rng.choice([1, 2, 3, 4, 5, 7, 8, 9, 12, 16]))
            fmt.append(opt)
            args.append(random_number(rng) if rng.random() < 0.3 else str(rng.randint(-300, 70000)))
        elif kind == 5:
            fmt.append(rng.choice("fd"))
            args.append(random_number(rng))
        elif kind == 6:
            fmt.append("x")
        elif kind == 7:
            n = rng.randint(0, 5)
            fmt.append("c%d" % n if rng.random() < 0.8 else "c")
            args.append(lua_str(b"abcdefgh"[:rng.randint(n, 8)]))
        elif kind == 8:
            fmt.append("s")
            args.append(lua_str(b"xyz"[:rng.randint(0, 3)]))
        else:
            fmt.append("bc0")
            args += ["3", lua_str(b"abc")]
    return "".join(fmt), args


def struct_round_trips(seed, count):
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        fmt, args = random_struct_format(rng)
        f = lua_str(fmt)
        out.append("local ok, s = pcall(struct.pack, %s%s) if not ok then return 'error ' .. s end "
                   "return hex(s) .. ' ' .. try(struct.size, %s) .. ' ' .. try(struct.unpack, %s, s) "
                   ".. ' ' .. try(struct.unpack, %s, s .. 'tail', %d)"
                   % (f, "".join(", " + a for a in args), f, f, f, rng.randint(1, 4)))
    return out


def struct_decoder_fuzz(seed, count):
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        fmt, _ = random_struct_format(rng)
        data = bytes(rng.randrange(256) for _ in range(rng.randint(0, 40)))
        out.append("return try(struct.unpack, %s, %s, %d)"
                   % (lua_str(fmt), lua_str(data), rng.randint(-1, 6)))
    return out


SNIPPETS = (CMSGPACK + STRUCT
            + cmsgpack_round_trips(1, 150) + cmsgpack_decoder_fuzz(2, 150)
            + struct_round_trips(3, 150) + struct_decoder_fuzz(4, 100))



def evaluator(server):
    """EVAL on a server; an error reply comes back as b"ERR:" + its text."""
    client = server.client()

    def run(code):
        try:
            return client.eval(code, 0)
        except redis.ResponseError as e:
            return b"ERR:" + str(e).encode()

    return client, run


@pytest.fixture(scope="module")
def redis_eval():
    ref = ServerProcess(binary=REDIS_REF_BIN, magpie=False, name="lua-ref")
    ref.start(["--appendonly", "no"])
    client, run = evaluator(ref)
    yield run
    client.close()
    ref.cleanup()


@pytest.fixture(scope="module")
def magpie_eval(server):
    client, run = evaluator(server)
    yield run
    client.close()


def test_snippet_count():
    assert len(CMSGPACK) + len(STRUCT) >= 60
    assert len(SNIPPETS) >= 600


@pytest.mark.parametrize("snippet", SNIPPETS, ids=["%d" % i for i in range(len(SNIPPETS))])
def test_same_as_redis(redis_eval, magpie_eval, snippet):
    code = PRELUDE + " " + snippet
    expected = redis_eval(code)
    assert isinstance(expected, bytes), expected
    got = magpie_eval(code)
    assert got == expected, "snippet: %s" % snippet
