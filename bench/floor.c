/* floor.c - the least a Lua C function can do for lg.sigmoid(x [, out])
 * on 3 floats: check one userdata argument by its metatable, allocate a
 * userdata result and set its metatable (or check an out argument), and
 * compute. make bench times it beside lgrad's per-call rows: the ratio
 * says how much lgrad's binding adds to what any binding must pay. */
#include <math.h>

#include "lauxlib.h"
#include "lua.h"

#define FLOOR_MT "lgrad.floor"

typedef struct { int n; float v[3]; } vec3;

static vec3 *check(lua_State *L, int arg) {
  return (vec3 *)luaL_checkudata(L, arg, FLOOR_MT);
}

static int f_new(lua_State *L) {
  vec3 *r = (vec3 *)lua_newuserdata(L, sizeof *r);
  r->n = 3;
  r->v[0] = (float)luaL_checknumber(L, 1);
  r->v[1] = (float)luaL_checknumber(L, 2);
  r->v[2] = (float)luaL_checknumber(L, 3);
  luaL_getmetatable(L, FLOOR_MT);
  lua_setmetatable(L, -2);
  return 1;
}

static int f_sigmoid(lua_State *L) {
  vec3 *x = check(L, 1), *y;
  int i;
  if (lua_isnoneornil(L, 2)) {
    y = (vec3 *)lua_newuserdata(L, sizeof *y);
    luaL_getmetatable(L, FLOOR_MT);
    lua_setmetatable(L, -2);
  } else {
    y = check(L, 2);
    lua_settop(L, 2);
  }
  y->n = 3;
  for (i = 0; i < 3; i++) y->v[i] = 1.0f / (1.0f + expf(-x->v[i]));
  return 1;
}

int luaopen_floor(lua_State *L);
int luaopen_floor(lua_State *L) {
  static const luaL_Reg funcs[] = { {"new", f_new}, {"sigmoid", f_sigmoid}, {NULL, NULL} };
  luaL_newmetatable(L, FLOOR_MT);
  lua_pop(L, 1);
  lua_newtable(L);
#if LUA_VERSION_NUM >= 502
  luaL_setfuncs(L, funcs, 0);
#else
  luaL_register(L, NULL, funcs);
#endif
  return 1;
}
