/* lua_threads.c - lg.set_num_threads(n) and lg.get_num_threads(): the
 * worker threads (pool.h) that large kernel calls of this lua_State split
 * across. The module has no mutable globals, so the pool lives in the
 * state's registry, in a userdata whose __gc stops and joins the threads:
 * lua_close joins them. Coroutines share their state's registry and so its
 * pool; each lua_State has its own. None is made until n > 1 is asked for. */
#include "lua/lg_lua.h"
#include "core/pool.h"

#define POOL_KEY "lgrad.pool"   /* the registry slot */
#define POOL_MT "lgrad.Pool"

/* closed: lua_close has run its __gc; a later finalizer asking for
 * threads gets none (nothing would join them). */
typedef struct pool_box { lg_pool *pool; int closed; } pool_box;

/* The state's box, or NULL when set_num_threads never ran. Pushes nothing
 * and never allocates (the names are registry keys, so already interned). */
static pool_box *get_box(lua_State *L) {
  pool_box *b;
  lua_getfield(L, LUA_REGISTRYINDEX, POOL_KEY);
  b = (pool_box *)lgC_testudata(L, -1, POOL_MT);
  lua_pop(L, 1);
  return b;
}

struct lg_pool *lgL_pool(lua_State *L, size_t work) {
  pool_box *b;
  if (work < LG_POOL_MIN_WORK) return NULL;   /* small jobs: not even a lookup */
  b = get_box(L);
  return b ? b->pool : NULL;
}

static int box_gc(lua_State *L) {
  pool_box *b = (pool_box *)lua_touserdata(L, 1);
  lg_pool *p = b->pool;
  b->pool = NULL;
  b->closed = 1;
  lg_pool_free(p);
  return 0;
}

/* set_num_threads(n): n threads for large calls, the caller's included;
 * 1 (the default) stops the workers. */
static int l_set_num_threads(lua_State *L) {
  int ok;
  int64_t n;
  pool_box *b;
  if (lua_type(L, 1) != LUA_TNUMBER) return lgL_typeerror(L, 1, "number");
  n = lgC_tointeger(L, 1, &ok);
  if (!ok || n < 1 || n > LG_POOL_MAX) {
    lua_pushvalue(L, 1);
    return lgL_argerror(L, 1, lua_pushfstring(L, "thread count must be an integer from 1 to %d, "
                                                 "got %s", LG_POOL_MAX, lua_tostring(L, -1)));
  }
  b = get_box(L);
  if (b == NULL) {
    if (n == 1) return 0;
    b = (pool_box *)lua_newuserdata(L, sizeof *b);
    b->pool = NULL;
    b->closed = 0;
    luaL_getmetatable(L, POOL_MT);
    lua_setmetatable(L, -2);
    lua_setfield(L, LUA_REGISTRYINDEX, POOL_KEY);
  }
  if (lg_pool_threads(b->pool) == (int)n || b->closed) return 0;
  {
    lg_pool *old = b->pool;
    b->pool = NULL;
    lg_pool_free(old);
  }
  if (n > 1) {
    b->pool = lg_pool_new((int)n);
    if (b->pool == NULL) return luaL_error(L, "set_num_threads: could not start %d threads", (int)n);
  }
  return 0;
}

static int l_get_num_threads(lua_State *L) {
  pool_box *b = get_box(L);
  lua_pushinteger(L, (lua_Integer)lg_pool_threads(b ? b->pool : NULL));
  return 1;
}

static const luaL_Reg funcs[] = {
  {"set_num_threads", l_set_num_threads}, {"get_num_threads", l_get_num_threads}, {NULL, NULL}
};

void lgL_open_threads(lua_State *L, int mod, int meth) {
  /* Both names stay in the registry from now on, so get_box's lookups
   * find them interned and never allocate (a collection there could run
   * a finalizer in the middle of a kernel call). */
  if (lgC_newmetatable(L, POOL_MT)) {
    lua_pushcfunction(L, box_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_pop(L, 1);
  lua_getfield(L, LUA_REGISTRYINDEX, POOL_KEY);
  if (lua_isnil(L, -1)) {
    lua_pushboolean(L, 0);
    lua_setfield(L, LUA_REGISTRYINDEX, POOL_KEY);
  }
  lua_pop(L, 1);
  lgL_register(L, mod, funcs, meth, NULL);
}
