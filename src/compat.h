/* compat.h - the few Lua C API differences lgrad meets, under our own
 * lgC_ prefix so nothing collides with LuaJIT's or lua-compat's names. */
#ifndef LG_COMPAT_H
#define LG_COMPAT_H

#include "lua.h"
#include "lauxlib.h"

#if !defined(LUA_VERSION_NUM) || LUA_VERSION_NUM < 501 || LUA_VERSION_NUM > 504
#error "lgrad supports Lua 5.1 to 5.4 and LuaJIT"
#endif

/* A userdata with one user value slot holding the tensor that owns the
 * storage of a view. 5.1/5.2 only accept tables there, so they keep the
 * link in a weak-keyed registry table instead. */
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
static inline void lgC_setowner(lua_State *L, int idx) {
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  lua_getfield(L, LUA_REGISTRYINDEX, "lgrad.owners");
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_newtable(L);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, "lgrad.owners");
  }
  lua_pushvalue(L, idx);
  lua_pushvalue(L, -3);
  lua_rawset(L, -3);
  lua_pop(L, 2);
}
static inline void lgC_pushowner(lua_State *L, int idx) {
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  lua_getfield(L, LUA_REGISTRYINDEX, "lgrad.owners");
  if (lua_isnil(L, -1)) return;
  lua_pushvalue(L, idx);
  lua_rawget(L, -2);
  lua_remove(L, -2);
}
#endif

#if LUA_VERSION_NUM == 501
#define lgC_rawlen(L, i) lua_objlen((L), (i))
#define lgC_setfuncs(L, l) luaL_register((L), NULL, (l))
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
#define lgC_newlib(L, l) (lua_newtable(L), luaL_register((L), NULL, (l)))
#else
#define lgC_rawlen(L, i) lua_rawlen((L), (i))
#define lgC_setfuncs(L, l) luaL_setfuncs((L), (l), 0)
#define lgC_testudata(L, i, t) luaL_testudata((L), (i), (t))
#define lgC_newlib(L, l) luaL_newlib((L), (l))
#endif

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

#endif
