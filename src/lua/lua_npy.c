/* lua_npy.c - the byte half of lg.save_npy / lg.load_npy (the Lua layer
 * reads and writes the header and the file):
 *   core._npy_decode(bytes, offset, order, dtype, shape) -> tensor
 *   core._npy_encode(t) -> the elements' bytes (C order, native), order */
#include <string.h>

#include "lua/lg_lua.h"
#include "core/npy.h"

/* bytes: a string; offset: 0-based start of the data; order "<" or ">";
 * shape: a table of sizes (already checked by the Lua layer, checked again
 * here so no call can read past the string). */
static int l_npy_decode(lua_State *L) {
  size_t len, esize;
  const char *s = luaL_checklstring(L, 1, &len);
  double off = lgL_checknumber(L, 2);
  const char *order = luaL_checkstring(L, 3);
  lg_dtype dt = lgL_optdtype(L, 4, LG_F32);
  int64_t size[LG_MAXDIM], n;
  int nd, i, big;
  lg_tensor *t;
  if (strcmp(order, "<") != 0 && strcmp(order, ">") != 0) return lgL_argerror(L, 3, "'<' or '>' expected");
  big = order[0] == '>';
  luaL_checktype(L, 5, LUA_TTABLE);
  nd = (int)lgC_rawlen(L, 5);
  if (nd > LG_MAXDIM) return lgL_argerror(L, 5, "more than 8 dims");
  for (i = 0; i < nd; i++) {
    double v;
    lua_rawgeti(L, 5, i + 1);
    v = lua_type(L, -1) == LUA_TNUMBER ? (double)lua_tonumber(L, -1) : -1;
    lua_pop(L, 1);
    if (!(v >= 0 && v <= 9.007199254740992e15) || v != (double)(int64_t)v)
      return lgL_argerror(L, 5, "sizes must be non-negative integers");
    size[i] = (int64_t)v;
  }
  if (lg_numel(nd, size, &n) != LG_OK) return lgL_argerror(L, 5, "tensor too large");
  esize = lg_dtype_size(dt);
  if (!(off >= 0) || off > (double)len || off != (double)(size_t)off)
    return lgL_argerror(L, 2, "offset outside the data");
  /* n * esize may not fit a size_t (32-bit hosts): compare in elements */
  if ((uint64_t)n > (len - (size_t)off) / esize) {
    char msg[96];
    snprintf(msg, sizeof msg, "truncated: %.0f data bytes, %.0f needed", (double)(len - (size_t)off),
             (double)n * (double)esize);
    return lgL_argerror(L, 1, msg);
  }
  t = lgL_new(L, dt, nd, size);
  lgL_recheck(L);
  lg_copy_swapped(lgL_data(t), s + (size_t)off, (size_t)n, esize, big == lg_little_endian());
  return 1;
}

static int l_npy_encode(lua_State *L) {
  lg_tensor *t = lgL_check(L, 1);
  t = lgL_contiguous(L, 1);
  lgL_recheck(L);
  lua_pushlstring(L, (const char *)lgL_data(t), (size_t)lgL_numel(t) * lg_dtype_size(t->dtype));
  lua_pushstring(L, lg_little_endian() ? "<" : ">");
  return 2;
}

static const luaL_Reg funcs[] = {
  {"_npy_decode", l_npy_decode}, {"_npy_encode", l_npy_encode}, {NULL, NULL}
};

void lgL_open_npy(lua_State *L, int mod, int meth) {
  lgL_register(L, mod, funcs, meth, NULL);
}
