/* lua_api.c - the C API for host programs (lgrad.h) on top of the binding's
 * internal API (lg_lua.h). */
#include <string.h>

#include "lua/lg_lua.h"
#include "lgrad.h"

/* lgrad_Tensor is the binding's tensor under an opaque public name. */
#define PUB(t) ((lgrad_Tensor *)(t))

/* ---- opening ------------------------------------------------------------ */

/* Load the first file package.path yields for "lgrad" (require's search,
 * written out because package.searchpath is 5.2+). Pushes the chunk, or
 * raises an error listing the places tried. */
static void load_lua_layer(lua_State *L, int pkg) {
  const char *path, *sep;
  luaL_Buffer tried;
  lua_getfield(L, pkg, "path");
  path = lua_tostring(L, -1);
  if (path == NULL) luaL_error(L, "lgrad_open: package.path is not a string");
  luaL_buffinit(L, &tried);
  for (; *path; path = *sep ? sep + 1 : sep) {
    const char *file;
    FILE *f;
    sep = strchr(path, ';');
    if (sep == NULL) sep = path + strlen(path);
    if (sep == path) continue;
    lua_pushlstring(L, path, (size_t)(sep - path));
    file = luaL_gsub(L, lua_tostring(L, -1), "?", "lgrad");
    lua_remove(L, -2);
    f = fopen(file, "r");
    if (f != NULL) {
      fclose(f);
      if (luaL_loadfile(L, file) != 0) lua_error(L);
      lua_insert(L, -2);   /* chunk, file name */
      return;
    }
    lua_pushliteral(L, "\n\tno file '");
    lua_insert(L, -2);
    lua_pushliteral(L, "'");
    lua_concat(L, 3);
    luaL_addvalue(&tried);
  }
  luaL_pushresult(&tried);
  luaL_error(L, "lgrad_open: module 'lgrad' (lgrad/init.lua) not found on package.path:%s",
             lua_tostring(L, -1));
}

int lgrad_open(lua_State *L) {
  int pkg;
  lua_getglobal(L, "package");
  if (!lua_istable(L, -1)) return luaL_error(L, "lgrad_open: needs the package library");
  pkg = lua_gettop(L);
  /* The Lua layer's require "lgrad.core" then finds the C code linked
   * into this program, not some other copy on package.cpath. */
  lua_getfield(L, pkg, "preload");
  if (!lua_istable(L, -1)) return luaL_error(L, "lgrad_open: package.preload is not a table");
  lua_pushcfunction(L, luaopen_lgrad_core);
  lua_setfield(L, -2, "lgrad.core");
  lua_pop(L, 1);
  load_lua_layer(L, pkg);   /* chunk, file name */
  lua_pushliteral(L, "lgrad");
  lua_insert(L, -2);
  lua_call(L, 2, 1);        /* like require: the chunk gets (name, file) */
  return 1;
}

/* ---- making tensors ----------------------------------------------------- */

static void check_geometry(lua_State *L, const char *fn, int dtype, int ndim,
                           const int64_t *shape) {
  int64_t n;
  if (dtype != LGRAD_FLOAT32 && dtype != LGRAD_FLOAT64)
    luaL_error(L, "%s: invalid dtype %d (LGRAD_FLOAT32 or LGRAD_FLOAT64)", fn, dtype);
  if (ndim < 0 || ndim > LG_MAXDIM)
    luaL_error(L, "%s: ndim %d out of range 0..%d", fn, ndim, LG_MAXDIM);
  if (ndim > 0 && shape == NULL) luaL_error(L, "%s: shape is NULL", fn);
  /* Every element count and byte count must fit a size_t too (32-bit
   * hosts), even for a view with zero strides. */
  if (lg_numel(ndim, shape, &n) != LG_OK || (uint64_t)n > SIZE_MAX / sizeof(double))
    luaL_error(L, "%s: negative size or tensor too large", fn);
}

lgrad_Tensor *lgrad_newtensor(lua_State *L, int dtype, int ndim, const int64_t *shape) {
  lg_tensor *t;
  check_geometry(L, "lgrad_newtensor", dtype, ndim, shape);
  t = lgL_new(L, (lg_dtype)dtype, ndim, shape);
  if (t->own.nbytes > 0) memset(t->own.data, 0, t->own.nbytes);
  return PUB(t);
}

lgrad_Tensor *lgrad_wrap(lua_State *L, void *data, int dtype, int ndim, const int64_t *shape,
                         const int64_t *strides, lgrad_Release release, void *ud) {
  lg_tensor *t;
  size_t nbytes;
  int bad;
  check_geometry(L, "lgrad_wrap", dtype, ndim, shape);
  if (data == NULL) luaL_error(L, "lgrad_wrap: data is NULL");
  if (lg_tensor_host_nbytes((lg_dtype)dtype, ndim, shape, strides, &nbytes, &bad) != LG_OK) {
    if (bad >= 0) luaL_error(L, "lgrad_wrap: stride %d out of range 0..2^48", bad + 1);
    luaL_error(L, "lgrad_wrap: strides reach too far");
  }
  /* A buffer the finalizer releases counts toward collecting, as lgrad's
   * own blocks do; paced first, as a collection may raise, and then no
   * tensor exists yet. */
  if (release != NULL && nbytes > 0) lgL_pace(L, nbytes);
  /* Fully built before anything else can fail, so the collector always
   * finds a consistent tensor. */
  t = (lg_tensor *)lgC_newudata(L, sizeof(lg_tensor));
  lg_tensor_init_host(t, data, (lg_dtype)dtype, ndim, shape, strides, nbytes, release, ud);
  lgL_setmeta(L, 1);
  if (release != NULL) lgL_charge(L, &t->own, t->own.nbytes);
  return PUB(t);
}

void lgrad_close(lua_State *L, int idx) {
  idx = idx < 0 && idx > LUA_REGISTRYINDEX ? lua_gettop(L) + idx + 1 : idx;
  if (lgL_testreg(L, idx) == NULL) luaL_error(L, "lgrad_close: not an lgrad tensor");
  /* The tensor's own close method: one code path for every way to close. */
  luaL_getmetafield(L, idx, "__methods");
  lua_getfield(L, -1, "close");
  lua_remove(L, -2);
  lua_pushvalue(L, idx);
  lua_call(L, 1, 0);
}

/* ---- reading tensors ---------------------------------------------------- */

lgrad_Tensor *lgrad_totensor(lua_State *L, int idx) { return PUB(lgL_testreg(L, idx)); }

lgrad_Tensor *lgrad_checktensor(lua_State *L, int arg) {
  lg_tensor *t = lgL_testreg(L, arg);
  if (t == NULL) lgL_typeerror(L, arg, LG_TENSOR_MT);
  lgL_alive(L, arg, t);
  return PUB(t);
}

void *lgrad_data(const lgrad_Tensor *t) {
  const lg_tensor *x = (const lg_tensor *)t;
  return x->st == NULL || x->st->data == NULL ? NULL : lgL_data(x);
}

int lgrad_dtype(const lgrad_Tensor *t) { return (int)((const lg_tensor *)t)->dtype; }
int lgrad_ndim(const lgrad_Tensor *t) { return ((const lg_tensor *)t)->ndim; }
const int64_t *lgrad_shape(const lgrad_Tensor *t) { return ((const lg_tensor *)t)->size; }
const int64_t *lgrad_strides(const lgrad_Tensor *t) { return ((const lg_tensor *)t)->stride; }
int64_t lgrad_numel(const lgrad_Tensor *t) { return lgL_numel((const lg_tensor *)t); }
int lgrad_iscontiguous(const lgrad_Tensor *t) { return lgL_iscontiguous((const lg_tensor *)t); }
