/* lua_args.c - what every binding function shares: argument errors that
 * name the lgrad function, the tensor metatables and tests, dtype, dim,
 * shape and out-argument checks, registering functions. */
#include <string.h>

#include "lua/lg_lua.h"

/* ---- argument errors --------------------------------------------------- */

#define LG_NAMES "lgrad.names"

void lgL_register_names(lua_State *L, int idx) {
  int method;
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  /* Names in the methods table get a ':' mark: a frame without a name
   * (5.1/LuaJIT metamethods and tail calls) then still knows that arg 1
   * is self. On 5.2+ a function also in the module loses the mark. */
  luaL_getmetatable(L, LG_TENSOR_MT);
  lua_getfield(L, -1, "__methods");
  method = lua_rawequal(L, -1, idx);
  lua_pop(L, 2);
  lua_getfield(L, LUA_REGISTRYINDEX, LG_NAMES);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, LG_NAMES);
  }
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    if (lua_type(L, -2) == LUA_TSTRING && lua_iscfunction(L, -1)) {
      if (method) lua_pushfstring(L, ":%s", lua_tostring(L, -2));
      else lua_pushvalue(L, -2);
      lua_rawset(L, -4);   /* names[function] = name */
    } else {
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);
}

/* The lgrad name of the running C function, or NULL: the call site's name
 * if it has one, else the one lgL_register_names recorded. *self is set
 * when arg 1 is self (a method call), and the ':' mark is dropped. */
const char *lgL_running_name(lua_State *L, int *self) {
  lua_Debug ar;
  const char *name;
  *self = 0;
  if (!lua_getstack(L, 0, &ar)) return NULL;
  lua_getinfo(L, "nf", &ar);
  if (ar.namewhat && strcmp(ar.namewhat, "method") == 0) *self = 1;
  name = ar.name;
  if (name == NULL) {
    lua_getfield(L, LUA_REGISTRYINDEX, LG_NAMES);
    if (lua_istable(L, -1)) {
      lua_pushvalue(L, -2);
      lua_rawget(L, -2);
      name = lua_tostring(L, -1);   /* kept alive by the names table */
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
    if (name && name[0] == ':') {
      name++;
      *self = 1;
    }
  }
  lua_pop(L, 1);   /* the function "f" pushed */
  /* 5.2/5.3 name metamethods "__add", 5.4 "add"; 5.1 looked it up above. */
  if (name && name[0] == '_' && name[1] == '_') name += 2;
  return name;
}

int lgL_argerror(lua_State *L, int arg, const char *msg) {
  lua_Debug ar;
  int self;
  const char *name;
  if (!lua_getstack(L, 0, &ar)) return luaL_error(L, "bad argument #%d (%s)", arg, msg);
  name = lgL_running_name(L, &self);
  if (self && --arg == 0) return luaL_error(L, "calling '%s' on bad self (%s)", name ? name : "?", msg);
  return luaL_error(L, "bad argument #%d to '%s' (%s)", arg, name ? name : "?", msg);
}

int lgL_nomem(lua_State *L, const char *what) {
  int self;
  const char *name = lgL_running_name(L, &self);
  return luaL_error(L, "%s: not enough memory for %s", name ? name : "lgrad", what);
}

int lgL_typeerror(lua_State *L, int arg, const char *expected) {
  const char *got;
  if (lgC_getmetafield(L, arg, "__name") == LUA_TSTRING) got = lua_tostring(L, -1);
  else got = lua_isnone(L, arg) ? "no value" : luaL_typename(L, arg);
  return lgL_argerror(L, arg, lua_pushfstring(L, "%s expected, got %s", expected, got));
}

double lgL_checknumber(lua_State *L, int arg) {
  if (lua_type(L, arg) != LUA_TNUMBER) lgL_typeerror(L, arg, "number");
  return (double)lua_tonumber(L, arg);
}

double lgL_optnumber(lua_State *L, int arg, double def) {
  return lua_isnoneornil(L, arg) ? def : lgL_checknumber(L, arg);
}

void lgL_checkany(lua_State *L, int arg) {
  if (lua_isnone(L, arg)) lgL_argerror(L, arg, "value expected");
}

/* Tensors have one of two metatables with the same fields: "gc" (the
 * registry's LG_TENSOR_MT, with __gc) for tensors that own memory outside
 * their userdata, and "plain" (no __gc) for inline storage and views. A
 * small result that needs no finalizer is about a third cheaper to create
 * and collect. Both are found by address key, without hashing a string;
 * both give the gc one to getmetatable() (__metatable). */
static const char mt_keys[2] = { 0, 0 };
#define MT_GC ((const void *)&mt_keys[0])
#define MT_PLAIN ((const void *)&mt_keys[1])

void lgL_setmeta(lua_State *L, int gc) {
  lgC_rawgetp(L, LUA_REGISTRYINDEX, gc ? MT_GC : MT_PLAIN);
  lua_setmetatable(L, -2);
}

/* 1 when the table on the stack top is one of the two metatables. */
static int is_tensor_mt(lua_State *L) {
  int r;
  lgC_rawgetp(L, LUA_REGISTRYINDEX, MT_PLAIN);
  r = lua_rawequal(L, -1, -2);
  lua_pop(L, 1);
  if (!r) {
    lgC_rawgetp(L, LUA_REGISTRYINDEX, MT_GC);
    r = lua_rawequal(L, -1, -2);
    lua_pop(L, 1);
  }
  return r;
}

lg_tensor *lgL_testreg(lua_State *L, int idx) {
  lg_tensor *t = NULL;
  void *p = lua_touserdata(L, idx);
  if (p && lua_type(L, idx) == LUA_TUSERDATA && lua_getmetatable(L, idx)) {
    if (is_tensor_mt(L)) t = (lg_tensor *)p;
    lua_pop(L, 1);
  }
  return t;
}

/* The binding's functions carry both metatables as upvalues 1 and 2
 * (lgL_pushfunc): comparing with them skips the registry lookups, a third
 * of a small call's cost. Any other running C function falls back to them. */
lg_tensor *lgL_test(lua_State *L, int idx) {
  lg_tensor *t = NULL;
  void *p = lua_touserdata(L, idx);
  if (p && lua_type(L, idx) == LUA_TUSERDATA && lua_getmetatable(L, idx)) {
    if (lua_rawequal(L, -1, lua_upvalueindex(1)) || lua_rawequal(L, -1, lua_upvalueindex(2)) ||
        is_tensor_mt(L))
      t = (lg_tensor *)p;
    lua_pop(L, 1);
  }
  return t;
}

void lgL_pushfunc(lua_State *L, lua_CFunction f, int nup) {
  lgC_rawgetp(L, LUA_REGISTRYINDEX, MT_PLAIN);
  lgC_rawgetp(L, LUA_REGISTRYINDEX, MT_GC);
  if (nup > 0) {   /* the caller's upvalues go after the metatables */
    lua_insert(L, -2 - nup);
    lua_insert(L, -2 - nup);
  }
  lua_pushcclosure(L, f, 2 + nup);
}

void lgL_init_metatables(lua_State *L) {
  lgC_newmetatable(L, LG_TENSOR_MT);   /* with __name on every version */
  lua_pushvalue(L, -1);
  lgC_rawsetp(L, LUA_REGISTRYINDEX, MT_GC);
  lua_newtable(L);
  lgC_rawsetp(L, LUA_REGISTRYINDEX, MT_PLAIN);
}

void lgL_sync_metatables(lua_State *L) {
  lgC_rawgetp(L, LUA_REGISTRYINDEX, MT_GC);
  lgC_rawgetp(L, LUA_REGISTRYINDEX, MT_PLAIN);
  lua_pushvalue(L, -2);
  lua_setfield(L, -3, "__metatable");
  lua_pushnil(L);
  while (lua_next(L, -3)) {        /* plain[k] = gc[k], except __gc */
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, -4);
  }
  lua_pushnil(L);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 2);
}

lg_tensor *lgL_check(lua_State *L, int arg) {
  lg_tensor *t = lgL_test(L, arg);
  if (t == NULL) lgL_typeerror(L, arg, LG_TENSOR_MT);
  if (t->st == NULL || t->st->data == NULL) lgL_argerror(L, arg, "tensor is closed");
  return t;
}

const char *lgL_dtypename(lg_dtype dt) { return dt == LG_F64 ? "float64" : "float32"; }

lg_dtype lgL_optdtype(lua_State *L, int arg, lg_dtype def) {
  const char *s;
  if (lua_isnoneornil(L, arg)) return def;
  if (lua_type(L, arg) != LUA_TSTRING) lgL_typeerror(L, arg, "dtype name");
  s = lua_tostring(L, arg);
  if (strcmp(s, "float32") == 0) return LG_F32;
  if (strcmp(s, "float64") == 0) return LG_F64;
  lgL_argerror(L, arg, lua_pushfstring(L, "invalid dtype '%s' (float32 or float64)", s));
  return def;
}

const char *lgL_pushshape(lua_State *L, int ndim, const int64_t *size) {
  luaL_Buffer b;
  int i;
  luaL_buffinit(L, &b);
  luaL_addchar(&b, '[');
  for (i = 0; i < ndim; i++) {
    char num[32];
    snprintf(num, sizeof num, i ? ", %lld" : "%lld", (long long)size[i]);
    luaL_addstring(&b, num);
  }
  luaL_addchar(&b, ']');
  luaL_pushresult(&b);
  return lua_tostring(L, -1);
}

void lgL_array(const lg_tensor *t, lg_array *a) {
  a->data = lgL_data(t);
  a->dtype = t->dtype;
  a->ndim = t->ndim;
  memcpy(a->size, t->size, sizeof a->size);
  memcpy(a->stride, t->stride, sizeof a->stride);
}

int64_t lgL_numel(const lg_tensor *t) {
  int64_t n = 1;
  int i;
  for (i = 0; i < t->ndim; i++) n *= t->size[i];
  return n;
}

int lgL_iscontiguous(const lg_tensor *t) {
  return lg_contiguous_layout(t->ndim, t->size, t->stride);
}

int lgL_sharestorage(const lg_tensor *a, const lg_tensor *b) { return a->st == b->st; }


/* ---- arguments -------------------------------------------------------- */

lg_tensor *lgL_out(lua_State *L, int arg, lg_dtype dt, int ndim, const int64_t *size) {
  if (arg <= 0 || lua_isnoneornil(L, arg)) return lgL_new(L, dt, ndim, size);
  return lgL_outcheck(L, arg, lgL_check(L, arg), dt, ndim, size);
}

lg_tensor *lgL_outcheck(lua_State *L, int arg, lg_tensor *o, lg_dtype dt, int ndim,
                        const int64_t *size) {
  if (o->dtype != dt)
    lgL_argerror(L, arg, lua_pushfstring(L, "out has dtype %s, expected %s",
                                          lgL_dtypename(o->dtype), lgL_dtypename(dt)));
  if (o->ndim != ndim || (ndim && memcmp(o->size, size, (size_t)ndim * sizeof(int64_t)))) {
    const char *want = lgL_pushshape(L, ndim, size);
    const char *got = lgL_pushshape(L, o->ndim, o->size);
    lgL_argerror(L, arg, lua_pushfstring(L, "out has shape %s, expected %s", got, want));
  }
  lua_pushvalue(L, arg);
  return o;
}

void lgL_recheck(lua_State *L) {
  int i, top = lua_gettop(L);
  for (i = 1; i <= top; i++) lgL_alive(L, i, lgL_test(L, i));
}

int lgL_clash(const lg_tensor *out, const lg_tensor *in, int exact_ok) {
  if (in == NULL || !lgL_sharestorage(out, in)) return 0;
  return !(exact_ok && lgL_data(out) == lgL_data(in) && lgL_iscontiguous(out));
}

lg_tensor *lgL_dest(lua_State *L, lg_tensor *out, int clash) {
  if (!clash && lgL_iscontiguous(out)) return out;
  return lgL_new(L, out->dtype, out->ndim, out->size);
}

void lgL_finish(lua_State *L, lg_tensor *out, lg_tensor *w) {
  lg_array o, s;
  if (w == out) return;
  lgL_array(out, &o);
  lgL_array(w, &s);
  lg_copy(&o, &s);
  lua_pop(L, 1);
}

void lgL_register(lua_State *L, int mod, const luaL_Reg *funcs, int meth,
                  const luaL_Reg *methods) {
  const luaL_Reg *r;
  for (r = funcs; r && r->name; r++) {
    lgL_pushfunc(L, r->func, 0);
    lua_setfield(L, mod, r->name);
  }
  for (r = methods; r && r->name; r++) {
    /* On 5.2+ the module's closure when it is the same function: as light
     * functions they were one value, which lgL_register_names relies on to
     * drop the method mark. 5.1 and LuaJIT made a value per push anyway. */
#if LUA_VERSION_NUM >= 502
    lua_getfield(L, mod, r->name);
    if (lua_tocfunction(L, -1) != r->func) {
      lua_pop(L, 1);
      lgL_pushfunc(L, r->func, 0);
    }
#else
    lgL_pushfunc(L, r->func, 0);
#endif
    lua_setfield(L, meth, r->name);
  }
}

lg_tensor *lgL_copynew(lua_State *L, int idx, lg_dtype dt) {
  lg_tensor *t = lgL_check(L, idx), *c;
  lg_array a, b;
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  c = lgL_new(L, dt, t->ndim, t->size);
  t = lgL_check(L, idx);   /* the allocation may have run a finalizer that closed it */
  lgL_array(t, &a);
  lgL_array(c, &b);
  lg_copy(&b, &a);
  return c;
}

lg_tensor *lgL_contiguous(lua_State *L, int arg) {
  lg_tensor *t = lgL_check(L, arg);
  if (lgL_iscontiguous(t)) return t;
  return lgL_copyinto(L, arg, t);
}

lg_tensor *lgL_copyinto(lua_State *L, int arg, lg_tensor *t) {
  lg_tensor *c;
  if (lgL_iscontiguous(t)) return t;
  arg = arg < 0 ? lua_gettop(L) + arg + 1 : arg;
  c = lgL_copynew(L, arg, t->dtype);
  lua_replace(L, arg);
  return c;
}

int lgL_checkdim(lua_State *L, int arg, const lg_tensor *t, int def) {
  int ok;
  int64_t d;
  int n = t->ndim > 0 ? t->ndim : 1;   /* a 0-d tensor accepts dim 1 / -1 */
  if (lua_isnoneornil(L, arg)) d = def;
  else {
    d = lgC_tointeger(L, arg, &ok);
    if (!ok) lgL_argerror(L, arg, lua_pushfstring(L, "dim must be an integer, got %s",
                                                   lua_type(L, arg) == LUA_TNUMBER
                                                       ? lua_tostring(L, arg)
                                                       : luaL_typename(L, arg)));
  }
  if (d == 0 || d > n || d < -n)
    lgL_argerror(L, arg, lua_pushfstring(L, "dim %d out of range for a %d-d tensor",
                                          (int)(d > 999999 ? 999999 : d < -999999 ? -999999 : d),
                                          t->ndim));
  return (int)(d > 0 ? d - 1 : n + d);
}

void lgL_layout(const lg_tensor *t, int d, size_t *outer, size_t *n, size_t *inner) {
  int k;
  *outer = 1; *n = 1; *inner = 1;
  if (t->ndim == 0) return;
  for (k = 0; k < d; k++) *outer *= (size_t)t->size[k];
  *n = (size_t)t->size[d];
  for (k = d + 1; k < t->ndim; k++) *inner *= (size_t)t->size[k];
}

int lgL_reducedshape(const lg_tensor *t, int d, int keepdim, int64_t *size) {
  int k, nd = 0;
  for (k = 0; k < t->ndim; k++) {
    if (k != d) size[nd++] = t->size[k];
    else if (keepdim) size[nd++] = 1;
  }
  return nd;
}

/* One size from the argument list: a non-negative integer. */
