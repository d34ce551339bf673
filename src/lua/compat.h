/* compat.h - the few Lua C API differences lgrad meets (Lua 5.1, 5.2, 5.3,
 * 5.4 and LuaJIT 2.x, which has the 5.1 API), under our own lgC_ prefix so
 * nothing collides with LuaJIT's or lua-compat-5.3's lua_/luaL_ names.
 * Everything else lgrad calls exists with the same meaning in all five. */
#ifndef LG_COMPAT_H
#define LG_COMPAT_H

#include <stdint.h>

#include "lua.h"
#include "lauxlib.h"

#if !defined(LUA_VERSION_NUM) || LUA_VERSION_NUM < 501 || LUA_VERSION_NUM > 504
#error "lgrad supports Lua 5.1 to 5.4 and LuaJIT"
#endif

/* A userdata with one user value slot holding the tensor that owns the
 * storage of a view. 5.1/5.2 only accept tables there, so they keep the
 * link in a weak-keyed registry table instead (view -> owner): the entry
 * lives exactly as long as the view, and the owner is not a key, so it is
 * collected once its last view is. */
#if LUA_VERSION_NUM >= 504
#define lgC_newudata(L, sz) lua_newuserdatauv((L), (sz), 1)
#define lgC_setowner(L, idx) lua_setiuservalue((L), (idx), 1)
#define lgC_pushowner(L, idx) ((void)lua_getiuservalue((L), (idx), 1))
#elif LUA_VERSION_NUM == 503
#define lgC_newudata(L, sz) lua_newuserdata((L), (sz))
#define lgC_setowner(L, idx) lua_setuservalue((L), (idx))
#define lgC_pushowner(L, idx) ((void)lua_getuservalue((L), (idx)))
#else
#define lgC_newudata(L, sz) lua_newuserdata((L), (sz))
#define LGC_OWNERS "lgrad.owners"
/* Pops the owner on top and links it to the userdata at idx. */
static inline void lgC_setowner(lua_State *L, int idx) {
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  lua_getfield(L, LUA_REGISTRYINDEX, LGC_OWNERS);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_newtable(L);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, LGC_OWNERS);
  }
  lua_pushvalue(L, idx);
  lua_pushvalue(L, -3);
  lua_rawset(L, -3);
  lua_pop(L, 2);
}
/* Pushes the owner linked to the userdata at idx (nil when none). */
static inline void lgC_pushowner(lua_State *L, int idx) {
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  lua_getfield(L, LUA_REGISTRYINDEX, LGC_OWNERS);
  if (lua_isnil(L, -1)) return;
  lua_pushvalue(L, idx);
  lua_rawget(L, -2);
  lua_remove(L, -2);
}
#endif

/* luaL_setfuncs, luaL_newlib, lua_rawlen, luaL_testudata and
 * luaL_setmetatable arrived in 5.2. */
#if LUA_VERSION_NUM == 501
#define lgC_rawlen(L, i) lua_objlen((L), (i))
#define lgC_setfuncs(L, l) luaL_register((L), NULL, (l))
#define lgC_newlib(L, l) (lua_newtable(L), luaL_register((L), NULL, (l)))
#define lgC_setmetatable(L, tname) (luaL_getmetatable((L), (tname)), lua_setmetatable((L), -2))
static inline void *lgC_testudata(lua_State *L, int i, const char *tname) {
  void *p = lua_touserdata(L, i);
  if (p && lua_getmetatable(L, i)) {
    luaL_getmetatable(L, tname);
    if (!lua_rawequal(L, -1, -2)) p = NULL;
    lua_pop(L, 2);
    return p;
  }
  return NULL;
}
#else
#define lgC_rawlen(L, i) lua_rawlen((L), (i))
#define lgC_setfuncs(L, l) luaL_setfuncs((L), (l), 0)
#define lgC_newlib(L, l) luaL_newlib((L), (l))
#define lgC_setmetatable(L, tname) luaL_setmetatable((L), (tname))
#define lgC_testudata(L, i, t) luaL_testudata((L), (i), (t))
#endif

/* lua_rawgetp (5.2+): a registry slot keyed by a C address, found
 * without hashing a string. */
#if LUA_VERSION_NUM == 501
static inline void lgC_rawgetp(lua_State *L, int idx, const void *p) {
  lua_pushlightuserdata(L, (void *)(uintptr_t)p);
  lua_rawget(L, idx < 0 && idx > LUA_REGISTRYINDEX ? idx - 1 : idx);
}
static inline void lgC_rawsetp(lua_State *L, int idx, const void *p) {
  lua_pushlightuserdata(L, (void *)(uintptr_t)p);
  lua_insert(L, -2);
  lua_rawset(L, idx < 0 && idx > LUA_REGISTRYINDEX ? idx - 1 : idx);
}
#else
#define lgC_rawgetp(L, idx, p) ((void)lua_rawgetp((L), (idx), (p)))
#define lgC_rawsetp(L, idx, p) lua_rawsetp((L), (idx), (p))
#endif

/* luaL_newmetatable that also sets __name (5.3+ does it itself), so
 * code reading __name sees the same metatable on every version. Returns
 * 0 when the registry already had one, like luaL_newmetatable. */
static inline int lgC_newmetatable(lua_State *L, const char *tname) {
  if (!luaL_newmetatable(L, tname)) return 0;
#if LUA_VERSION_NUM < 503
  lua_pushstring(L, tname);
  lua_setfield(L, -2, "__name");
#endif
  return 1;
}

/* luaL_getmetafield returning the field's type (5.3+) rather than a
 * boolean (5.1/5.2); pushes the field unless it returns LUA_TNIL. */
static inline int lgC_getmetafield(lua_State *L, int obj, const char *e) {
#if LUA_VERSION_NUM >= 503
  return luaL_getmetafield(L, obj, e);
#else
  return luaL_getmetafield(L, obj, e) ? lua_type(L, -1) : LUA_TNIL;
#endif
}

/* Integers. 5.3+ has a 64-bit integer subtype; 5.1, 5.2 and LuaJIT have
 * only doubles (lua_Integer is ptrdiff_t there, 32 bits on 32-bit
 * machines), so sizes and indices travel as integral doubles. */

/* An integral Lua number as a 64-bit integer; *ok = 0 when the value is
 * not a number, not integral, or out of int64 range (NaN included). */
static inline int64_t lgC_tointeger(lua_State *L, int idx, int *ok) {
#if LUA_VERSION_NUM >= 503
  if (lua_isinteger(L, idx)) { *ok = 1; return (int64_t)lua_tointeger(L, idx); }
#endif
  if (lua_type(L, idx) == LUA_TNUMBER) {
    double d = (double)lua_tonumber(L, idx);
    if (d >= -9223372036854775808.0 && d < 9223372036854775808.0 && d == (double)(int64_t)d) {
      *ok = 1;
      return (int64_t)d;
    }
  }
  *ok = 0;
  return 0;
}

/* Push a size, count or index: an integer on 5.3+, an exact double below
 * 2^53 elsewhere (never truncated through a 32-bit ptrdiff_t). */
static inline void lgC_pushint64(lua_State *L, int64_t v) {
#if LUA_VERSION_NUM >= 503
  lua_pushinteger(L, (lua_Integer)v);
#else
  lua_pushnumber(L, (lua_Number)v);
#endif
}

/* Blocks for large tensor elements. They come from the state's allocator
 * so an embedding host controls them, except on LuaJIT: its allocator
 * maps every large block afresh and unmaps it on free (a page fault per
 * 4 KB, 7x slower for loops of 4 MB tensors), and 64-bit LuaJIT cannot take
 * a host allocator anyway, so there malloc, which reuses freed memory. */
#if defined(LUA_LJDIR) || defined(LUAJIT_VERSION)
#include <stdlib.h>
static inline void *lgC_alloc(lua_State *L, size_t n) { (void)L; return malloc(n); }
static inline void lgC_free(lua_State *L, void *p, size_t n) { (void)L; (void)n; free(p); }
#else
static inline void *lgC_alloc(lua_State *L, size_t n) {
  void *ud;
  lua_Alloc f = lua_getallocf(L, &ud);
  return f(ud, NULL, 0, n);
}
static inline void lgC_free(lua_State *L, void *p, size_t n) {
  void *ud;
  lua_Alloc f = lua_getallocf(L, &ud);
  f(ud, p, n, 0);
}
#endif

/* `local t <close>` calls __close only on 5.4; t:close() works on all. */
#define LGC_HAS_CLOSE (LUA_VERSION_NUM >= 504)

#endif
