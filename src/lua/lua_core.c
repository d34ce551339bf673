/* lua_core.c - luaopen_lgrad_core: builds the metatable and the module
 * table from each area's functions. The only exported symbol. */
#include "lua/lg_lua.h"
#include "simd/simd.h"

#if defined(_WIN32) || defined(__CYGWIN__)
#define LG_EXPORT __declspec(dllexport)
#elif defined(__GNUC__)
#define LG_EXPORT __attribute__((visibility("default")))
#else
#define LG_EXPORT
#endif

LG_EXPORT int luaopen_lgrad_core(lua_State *L);

/* core._sync_metatables(): the Lua layer calls it after adding metamethods. */
static int l_sync_metatables(lua_State *L) {
  lgL_sync_metatables(L);
  return 0;
}

/* lg.simd(): the SIMD level of the float32 kernels ("portable", "avx2",
 * "avx512"; LGRAD_SIMD in the environment may lower it). */
static int l_simd(lua_State *L) {
  lua_pushstring(L, lg_simd_name(lg_simd_level()));
  return 1;
}

int luaopen_lgrad_core(lua_State *L) {
  int mod, meth;
  (void)lg_simd_level();   /* choose the kernels now: LGRAD_SIMD's warning at require */
  lgL_init_metatables(L);   /* leaves the gc one on the stack */
  lua_newtable(L);
  lua_pushvalue(L, -1);
  lua_setfield(L, -3, "__methods");
  meth = lua_gettop(L);
  lua_newtable(L);
  mod = lua_gettop(L);
  lgL_open_tensor(L, mod, meth);
  lgL_open_ops(L, mod, meth);
  lgL_open_act(L, mod, meth);
  lgL_open_softmax(L, mod, meth);
  lgL_open_loss(L, mod, meth);
  lgL_open_threads(L, mod, meth);
  lgL_open_npy(L, mod, meth);
  lgL_register_names(L, meth - 1);   /* metamethods, for 5.1/LuaJIT */
  lgL_register_names(L, meth);
  lgL_register_names(L, mod);   /* module names win where both have one */
  /* The Lua layer adds methods and metamethods written in Lua. */
  lua_pushvalue(L, meth);
  lua_setfield(L, mod, "_methods");
  lua_pushvalue(L, meth - 1);
  lua_setfield(L, mod, "_metatable");
  lua_pushcfunction(L, l_simd);
  lua_setfield(L, mod, "simd");
  lua_pushcfunction(L, l_sync_metatables);
  lua_setfield(L, mod, "_sync_metatables");
  lgL_sync_metatables(L);
  return 1;
}
