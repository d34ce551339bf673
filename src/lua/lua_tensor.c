/* lua_tensor.c - the tensor userdata's Lua face: constructors, conversion
 * from and to Lua tables, element access, inspection, views and copies,
 * closing. Memory is lua_storage.c's, argument checks lua_args.c's. */
#include <math.h>
#include <string.h>

#include "lua/lg_lua.h"

static int t_close(lua_State *L) {
  lg_tensor *t = lgL_test(L, 1);
  if (t == NULL) return lgL_typeerror(L, 1, LG_TENSOR_MT);
  lgL_release(L, t, 0);
  return 0;
}

static int64_t check_size(lua_State *L, int arg, int idx) {
  int ok;
  int64_t v = lgC_tointeger(L, idx, &ok);
  if (!ok || v < 0) {
    if (lua_type(L, idx) == LUA_TNUMBER)
      lgL_argerror(L, arg, lua_pushfstring(L, "size must be a non-negative integer, got %s",
                                            lua_tostring(L, idx)));
    lgL_argerror(L, arg, lua_pushfstring(L, "size must be a non-negative integer, got %s",
                                          luaL_typename(L, idx)));
  }
  return v;
}

/* A shape given as sizes d1, d2, ... or as one table {d1, d2, ...},
 * starting at arg; returns the index of the first argument after it. */
static int check_shape(lua_State *L, int arg, int *ndim, int64_t *size) {
  int n = 0;
  if (lua_istable(L, arg)) {
    size_t len = lgC_rawlen(L, arg), i;
    if (len > LG_MAXDIM)
      lgL_argerror(L, arg, lua_pushfstring(L, "more than %d dims", LG_MAXDIM));
    for (i = 1; i <= len; i++) {
      lua_rawgeti(L, arg, (int)i);
      size[n++] = check_size(L, arg, -1);
      lua_pop(L, 1);
    }
    arg++;
  } else {
    while (lua_type(L, arg) == LUA_TNUMBER) {
      if (n == LG_MAXDIM) lgL_argerror(L, arg, lua_pushfstring(L, "more than %d dims", LG_MAXDIM));
      size[n++] = check_size(L, arg, arg);
      arg++;
    }
  }
  {
    int64_t total;
    if (lg_numel(n, size, &total) != LG_OK) lgL_argerror(L, 1, "tensor too large");
  }
  *ndim = n;
  return arg;
}

/* ---- tables to tensors -------------------------------------------------- */

static void fill_from_table(lua_State *L, int arg, int depth, const lg_tensor *t,
                            char **p) {
  size_t i, n = (size_t)t->size[depth], len = lgC_rawlen(L, -1);
  size_t es = lg_dtype_size(t->dtype);
  if (len != n)
    lgL_argerror(L, arg, lua_pushfstring(L, "ragged nested table: %d elements at depth %d, "
                                             "expected %d", (int)len, depth + 1, (int)n));
  luaL_checkstack(L, 2, "nested table");
  for (i = 1; i <= n; i++) {
    lua_rawgeti(L, -1, (int)i);
    if (depth + 1 < t->ndim) {
      if (!lua_istable(L, -1))
        lgL_argerror(L, arg, lua_pushfstring(L, "ragged nested table: %s at depth %d, "
                                                 "expected a table", luaL_typename(L, -1),
                                              depth + 1));
      fill_from_table(L, arg, depth + 1, t, p);
    } else {
      if (lua_type(L, -1) != LUA_TNUMBER)
        lgL_argerror(L, arg, lua_pushfstring(L, "number expected in nested table, got %s",
                                              luaL_typename(L, -1)));
      lg_set(t->dtype, *p, 0, (double)lua_tonumber(L, -1));
      *p += es;
    }
    lua_pop(L, 1);
  }
}

/* Push a tensor built from the number or (nested) table at arg. */
static lg_tensor *from_lua(lua_State *L, int arg, lg_dtype dt) {
  int ndim = 0;
  int64_t size[LG_MAXDIM];
  lg_tensor *t;
  char *p;
  if (lua_type(L, arg) == LUA_TNUMBER) {
    t = lgL_new(L, dt, 0, size);
    lg_set(dt, lgL_data(t), 0, (double)lua_tonumber(L, arg));
    return t;
  }
  if (!lua_istable(L, arg))
    lgL_argerror(L, arg, lua_pushfstring(L, "%s, number or table expected, got %s",
                                          LG_TENSOR_MT, luaL_typename(L, arg)));
  /* The shape comes from the first element at each depth; fill checks
   * that every other element agrees. */
  lua_pushvalue(L, arg);
  while (lua_istable(L, -1)) {
    size_t len = lgC_rawlen(L, -1);
    /* lgrad.autograd's traced values are tables too; read as data they
     * would be empty. They reach here through a function saved before
     * lg.grad patched lg (local f = lg.NAME). */
    if (lgC_getmetafield(L, -1, "__lgrad_traced") != LUA_TNIL)
      lgL_argerror(L, arg, "a tensor traced by lg.grad, given to a function saved before lg.grad "
                           "ran: call it as lg.NAME inside the function being differentiated");
    if (ndim == LG_MAXDIM)
      lgL_argerror(L, arg, lua_pushfstring(L, "table nested deeper than %d levels", LG_MAXDIM));
    size[ndim++] = (int64_t)len;
    if (len == 0) break;
    lua_rawgeti(L, -1, 1);
    lua_remove(L, -2);
  }
  lua_pop(L, 1);
  t = lgL_new(L, dt, ndim, size);
  p = (char *)lgL_data(t);
  lua_pushvalue(L, arg);
  if (lgL_numel(t) > 0 || ndim > 1) fill_from_table(L, arg, 0, t, &p);
  lua_pop(L, 1);
  return t;
}

lg_tensor *lgL_checkin(lua_State *L, int arg, int dt) {
  lg_tensor *t = lgL_test(L, arg);
  arg = arg < 0 ? lua_gettop(L) + arg + 1 : arg;
  if (t != NULL) {
    lgL_alive(L, arg, t);
    if (dt >= 0 && (int)t->dtype != dt)
      lgL_argerror(L, arg, lua_pushfstring(L, "dtype mismatch: expected %s, got %s",
                                            lgL_dtypename((lg_dtype)dt), lgL_dtypename(t->dtype)));
    return t;
  }
  t = from_lua(L, arg, dt < 0 ? LG_F32 : (lg_dtype)dt);
  lua_replace(L, arg);
  return t;
}

/* ---- constructors ----------------------------------------------------- */

static int l_tensor(lua_State *L) {
  lg_dtype dt = lgL_optdtype(L, 2, LG_F32);
  lg_tensor *src = lgL_test(L, 1);
  if (src) {   /* lg.tensor(t) copies, like torch.tensor */
    lgL_copynew(L, 1, lua_isnoneornil(L, 2) ? src->dtype : dt);
    return 1;
  }
  from_lua(L, 1, dt);
  return 1;
}

static int fill_new(lua_State *L, double v, int use_v) {
  int ndim;
  int64_t size[LG_MAXDIM];
  int next = check_shape(L, 1, &ndim, size);
  lg_dtype dt = lgL_optdtype(L, next, LG_F32);
  lg_tensor *t;
  lg_array a;
  if (!lua_isnoneornil(L, next + 1))
    lgL_argerror(L, next + 1, "too many arguments");
  t = lgL_new(L, dt, ndim, size);
  lgL_array(t, &a);
  if (use_v) lg_fill(&a, v);
  return 1;
}

static int l_zeros(lua_State *L) { return fill_new(L, 0, 1); }
static int l_ones(lua_State *L) { return fill_new(L, 1, 1); }
static int l_empty(lua_State *L) { return fill_new(L, 0, 0); }

static int l_full(lua_State *L) {
  int ndim;
  int64_t size[LG_MAXDIM];
  lg_tensor *t;
  lg_array a;
  double v;
  int next;
  if (!lua_istable(L, 1) && lua_type(L, 1) != LUA_TNUMBER)
    lgL_argerror(L, 1, lua_pushfstring(L, "shape table expected, got %s", luaL_typename(L, 1)));
  if (lua_istable(L, 1)) next = check_shape(L, 1, &ndim, size);
  else { ndim = 1; size[0] = check_size(L, 1, 1); next = 2; }
  v = (double)lgL_checknumber(L, next);
  t = lgL_new(L, lgL_optdtype(L, next + 1, LG_F32), ndim, size);
  lgL_array(t, &a);
  lg_fill(&a, v);
  return 1;
}

static int l_eye(lua_State *L) {
  int64_t size[2], i;
  lg_dtype dt;
  lg_tensor *t;
  lg_array a;
  int darg = 2;
  size[0] = check_size(L, 1, 1);
  size[1] = size[0];
  if (lua_type(L, 2) == LUA_TNUMBER) { size[1] = check_size(L, 2, 2); darg = 3; }
  dt = lgL_optdtype(L, darg, LG_F32);
  {
    int64_t n;
    if (lg_numel(2, size, &n) != LG_OK) lgL_argerror(L, 1, "tensor too large");
  }
  t = lgL_new(L, dt, 2, size);
  lgL_array(t, &a);
  lg_fill(&a, 0);
  for (i = 0; i < size[0] && i < size[1]; i++) lg_set(dt, a.data, i * size[1] + i, 1);
  return 1;
}

/* range(a, b [, step [, dtype]]): inclusive, like `for i = a, b, step`. */
static int l_range(lua_State *L) {
  double a = (double)lgL_checknumber(L, 1), b = (double)lgL_checknumber(L, 2);
  double step = (double)lgL_optnumber(L, 3, 1), count;
  lg_dtype dt = lgL_optdtype(L, 4, LG_F32);
  int64_t n, i;
  lg_tensor *t;
  if (!(step != 0) || isnan(step))
    lgL_argerror(L, 3, "step must be a non-zero number");
  if (!isfinite(a) || !isfinite(b) || !isfinite(step))
    lgL_argerror(L, isfinite(a) ? (isfinite(b) ? 3 : 2) : 1, "bounds and step must be finite");
  if ((b - a) * step < 0)
    lgL_argerror(L, 3, "step has the wrong sign for these bounds");
  /* A little slack so 0, 1, 0.1 keeps its last point despite rounding. */
  count = floor((b - a) / step + 1e-9) + 1;
  if (!(count <= (double)LG_MAXNUMEL)) lgL_argerror(L, 3, "tensor too large");
  n = (int64_t)count;
  t = lgL_new(L, dt, 1, &n);
  for (i = 0; i < n; i++) lg_set(dt, lgL_data(t), i, a + (double)i * step);
  return 1;
}

/* linspace(a, b, n): both ends exact; the halves step from their end. */
static int l_linspace(lua_State *L) {
  double a = (double)lgL_checknumber(L, 1), b = (double)lgL_checknumber(L, 2), step;
  int64_t n = check_size(L, 3, 3), i;
  lg_dtype dt = lgL_optdtype(L, 4, LG_F32);
  lg_tensor *t;
  void *d;
  if (n > LG_MAXNUMEL) lgL_argerror(L, 3, "tensor too large");
  t = lgL_new(L, dt, 1, &n);
  d = lgL_data(t);
  step = n > 1 ? (b - a) / (double)(n - 1) : 0;
  for (i = 0; i < n; i++)
    lg_set(dt, d, i, (i < n / 2 || n == 1) ? a + step * (double)i : b - step * (double)(n - 1 - i));
  return 1;
}

lg_rng *lgL_rng(lua_State *L) {
  lg_rng *r;
  lua_getfield(L, LUA_REGISTRYINDEX, "lgrad.rng");
  r = (lg_rng *)lua_touserdata(L, -1);
  lua_pop(L, 1);
  if (r == NULL) {   /* first use in this state: the documented default seed */
    r = (lg_rng *)lgC_newudata(L, sizeof(lg_rng));
    lg_rng_seed(r, 0);
    lua_setfield(L, LUA_REGISTRYINDEX, "lgrad.rng");
  }
  return r;
}

static int l_seed(lua_State *L) {
  int ok;
  int64_t s = lgC_tointeger(L, 1, &ok);
  if (!ok) lgL_argerror(L, 1, "integer seed expected");
  lg_rng_seed(lgL_rng(L), (uint64_t)s);
  return 0;
}

static int random_new(lua_State *L, int normal) {
  int ndim;
  int64_t size[LG_MAXDIM];
  int next = check_shape(L, 1, &ndim, size);
  lg_dtype dt = lgL_optdtype(L, next, LG_F32);
  lg_rng *r = lgL_rng(L);
  lg_tensor *t = lgL_new(L, dt, ndim, size);
  size_t n = (size_t)lgL_numel(t);
  if (normal) lg_rng_normal(r, dt, lgL_data(t), n);
  else lg_rng_uniform(r, dt, lgL_data(t), n);
  return 1;
}

static int l_rand(lua_State *L) { return random_new(L, 0); }
static int l_randn(lua_State *L) { return random_new(L, 1); }

/* ---- inspection ------------------------------------------------------- */

static int t_shape(lua_State *L) {
  lg_tensor *t = lgL_check(L, 1);
  int i;
  lua_createtable(L, t->ndim, 0);
  for (i = 0; i < t->ndim; i++) {
    lgC_pushint64(L, t->size[i]);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

static int t_size(lua_State *L) {
  lg_tensor *t = lgL_check(L, 1);
  if (lua_isnoneornil(L, 2)) return t_shape(L);
  if (t->ndim == 0) lgL_argerror(L, 2, "a 0-d tensor has no dims");
  lgC_pushint64(L, t->size[lgL_checkdim(L, 2, t, 1)]);
  return 1;
}

static int t_dim(lua_State *L) { lua_pushinteger(L, lgL_check(L, 1)->ndim); return 1; }
static int t_numel(lua_State *L) { lgC_pushint64(L, lgL_numel(lgL_check(L, 1))); return 1; }
static int t_dtype(lua_State *L) { lua_pushstring(L, lgL_dtypename(lgL_check(L, 1)->dtype)); return 1; }
static int t_stride(lua_State *L) {
  lg_tensor *t = lgL_check(L, 1);
  int i;
  lua_createtable(L, t->ndim, 0);
  for (i = 0; i < t->ndim; i++) {
    lgC_pushint64(L, t->stride[i]);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}
static int t_is_contiguous(lua_State *L) { lua_pushboolean(L, lgL_iscontiguous(lgL_check(L, 1))); return 1; }
static int t_is_closed(lua_State *L) {
  lg_tensor *t = lgL_test(L, 1);
  if (t == NULL) return lgL_typeerror(L, 1, LG_TENSOR_MT);
  lua_pushboolean(L, t->st == NULL || t->st->data == NULL);
  return 1;
}

static int t_len(lua_State *L) {
  lg_tensor *t = lgL_check(L, 1);
  if (t->ndim == 0) return luaL_error(L, "length of a 0-d tensor");
  lgC_pushint64(L, t->size[0]);
  return 1;
}

/* An index argument (1-based, negative from the end) for a dim of size n. */
static int64_t check_index(lua_State *L, int arg, int idx, int64_t n) {
  int ok;
  int64_t i = lgC_tointeger(L, idx, &ok);
  if (!ok)
    lgL_argerror(L, arg, lua_pushfstring(L, "integer index expected, got %s",
                                          lua_type(L, idx) == LUA_TNUMBER ? lua_tostring(L, idx)
                                                                          : luaL_typename(L, idx)));
  if (i < 0) i += n + 1;
  if (i < 1 || i > n)
    lgL_argerror(L, arg, lua_pushfstring(L, "index %s out of range for a dim of size %d",
                                          lua_tostring(L, idx), (int)n));
  return i - 1;
}

/* Push the view of row i (0-based) of the tensor t at stack index 1. */
static lg_tensor *push_row(lua_State *L, const lg_tensor *t, int64_t i) {
  lg_tensor *v = lgL_view(L, 1);
  v->offset += i * t->stride[0];
  v->ndim--;
  memmove(v->size, v->size + 1, (size_t)v->ndim * sizeof(int64_t));
  memmove(v->stride, v->stride + 1, (size_t)v->ndim * sizeof(int64_t));
  return v;
}

/* t[i]: a number for a 1-d tensor, a view of row i otherwise; string keys
 * look up methods. */
static int t_index(lua_State *L) {
  lg_tensor *t;
  int64_t i;
  if (lua_type(L, 2) != LUA_TNUMBER) {
    /* __index called directly on a non-tensor has no metatable to read */
    if (lgL_test(L, 1) == NULL) return lgL_typeerror(L, 1, LG_TENSOR_MT);
    lua_pushvalue(L, 2);
    lua_rawget(L, lua_upvalueindex(1));   /* the methods table */
    return 1;
  }
  t = lgL_check(L, 1);
  if (t->ndim == 0) lgL_argerror(L, 2, "cannot index a 0-d tensor");
  i = check_index(L, 2, 2, t->size[0]);
  if (t->ndim == 1) {
    lua_pushnumber(L, (lua_Number)lg_get(t->dtype, lgL_data(t), i * t->stride[0]));
  } else {
    push_row(L, t, i);
  }
  return 1;
}

/* Copy a number, table or tensor (broadcast to dst's shape) into dst. */
static void assign(lua_State *L, int arg, lg_tensor *dst) {
  lg_array d, s, e;
  lg_tensor *src, *tmp;
  if (lua_type(L, arg) == LUA_TNUMBER) {
    lgL_array(dst, &d);
    lg_fill(&d, (double)lua_tonumber(L, arg));
    return;
  }
  src = lgL_checkin(L, arg, lgL_test(L, arg) ? -1 : (int)dst->dtype);
  {
    int nd;
    int64_t sz[LG_MAXDIM];
    if (src->ndim > dst->ndim ||
        lg_broadcast_shape(dst->ndim, dst->size, src->ndim, src->size, &nd, sz) != LG_OK ||
        memcmp(sz, dst->size, (size_t)nd * sizeof(int64_t)) != 0) {
      const char *a = lgL_pushshape(L, src->ndim, src->size);
      const char *b = lgL_pushshape(L, dst->ndim, dst->size);
      lgL_argerror(L, arg, lua_pushfstring(L, "shape %s cannot be broadcast to %s", a, b));
    }
  }
  /* copy through a temporary if they overlap */
  tmp = lgL_sharestorage(src, dst) ? lgL_new(L, src->dtype, dst->ndim, dst->size) : NULL;
  lgL_recheck(L);   /* after the allocation: both still open */
  lgL_array(src, &s);
  lgL_array(dst, &d);
  lg_expand(&s, d.ndim, d.size, &e);
  if (tmp) {
    lg_array ta;
    lgL_array(tmp, &ta);
    lg_copy(&ta, &e);
    lg_copy(&d, &ta);
    lua_pop(L, 1);
  } else {
    lg_copy(&d, &e);
  }
}

static int t_newindex(lua_State *L) {
  lg_tensor *t = lgL_check(L, 1);
  int64_t i;
  if (lua_type(L, 2) != LUA_TNUMBER)
    lgL_argerror(L, 2, lua_pushfstring(L, "integer index expected, got %s", luaL_typename(L, 2)));
  if (t->ndim == 0) lgL_argerror(L, 2, "cannot index a 0-d tensor");
  i = check_index(L, 2, 2, t->size[0]);
  if (t->ndim == 1) {
    lg_set(t->dtype, lgL_data(t), i * t->stride[0], (double)lgL_checknumber(L, 3));
  } else {
    assign(L, 3, push_row(L, t, i));
  }
  return 0;
}

/* Flat element offset of the indices at args 2 .. ndim+1. */
static int64_t element_offset(lua_State *L, const lg_tensor *t) {
  int64_t off = 0;
  int k, given = lua_gettop(L) - 1;
  if (given < t->ndim)
    lgL_argerror(L, given + 2, lua_pushfstring(L, "%d indices expected for a %d-d tensor, got %d",
                                                t->ndim, t->ndim, given));
  for (k = 0; k < t->ndim; k++) off += check_index(L, k + 2, k + 2, t->size[k]) * t->stride[k];
  return off;
}

static int t_get(lua_State *L) {
  lg_tensor *t = lgL_check(L, 1);
  if (lua_gettop(L) - 1 > t->ndim)
    lgL_argerror(L, t->ndim + 2, lua_pushfstring(L, "%d indices expected for a %d-d tensor, got %d",
                                                  t->ndim, t->ndim, lua_gettop(L) - 1));
  lua_pushnumber(L, (lua_Number)lg_get(t->dtype, lgL_data(t), element_offset(L, t)));
  return 1;
}

static int t_set(lua_State *L) {
  lg_tensor *t = lgL_check(L, 1);
  int top = lua_gettop(L);
  double v;
  int64_t off;
  if (top != t->ndim + 2)
    lgL_argerror(L, top < t->ndim + 2 ? top + 1 : t->ndim + 3,
                  lua_pushfstring(L, "%d indices and a value expected for a %d-d tensor",
                                  t->ndim, t->ndim));
  v = (double)lgL_checknumber(L, top);
  lua_settop(L, top - 1);
  off = element_offset(L, t);
  lg_set(t->dtype, lgL_data(t), off, v);
  lua_settop(L, 1);
  return 1;
}

static void push_table(lua_State *L, const lg_tensor *t, int depth, const char *p) {
  int64_t i, n = t->size[depth];
  int64_t step = t->stride[depth] * (int64_t)lg_dtype_size(t->dtype);
  luaL_checkstack(L, 3, "totable");
  lua_createtable(L, n > 0x7fffffff ? 0x7fffffff : (int)n, 0);
  /* The table may have run a finalizer that closed t: p is valid only
   * while the storage is open. */
  if (t->st == NULL || t->st->data == NULL) luaL_error(L, "tensor closed during totable");
  for (i = 0; i < n; i++) {
    if (depth + 1 < t->ndim) push_table(L, t, depth + 1, p + i * step);
    else lua_pushnumber(L, (lua_Number)lg_get(t->dtype, p + i * step, 0));
    lua_rawseti(L, -2, (int)(i + 1));
  }
}

static int t_totable(lua_State *L) {
  lg_tensor *t = lgL_check(L, 1);
  if (t->ndim == 0) lua_pushnumber(L, (lua_Number)lg_get(t->dtype, lgL_data(t), 0));
  else push_table(L, t, 0, (const char *)lgL_data(t));
  return 1;
}

static int t_item(lua_State *L) {
  lg_tensor *t = lgL_check(L, 1);
  if (lgL_numel(t) != 1)
    lgL_argerror(L, 1, lua_pushfstring(L, "item of a tensor with %d elements", (int)lgL_numel(t)));
  /* the one element: every index is 0, whatever the strides */
  lua_pushnumber(L, (lua_Number)lg_get(t->dtype, lgL_data(t), 0));
  return 1;
}

/* ---- views and copies ------------------------------------------------- */

/* reshape/view sizes: numbers or one table; one -1 is inferred. */
static void check_newshape(lua_State *L, const lg_tensor *t, int *ndim, int64_t *size) {
  int n = 0, infer = -1, k, arg = 2, top = lua_gettop(L), tab = lua_istable(L, 2);
  int64_t known = 1, total = lgL_numel(t), cnt = tab ? (int64_t)lgC_rawlen(L, 2) : top - 1;
  if (cnt > LG_MAXDIM) lgL_argerror(L, 2, lua_pushfstring(L, "more than %d dims", LG_MAXDIM));
  for (k = 0; k < cnt; k++) {
    int ok, idx = tab ? -1 : arg + k;
    int64_t v;
    if (tab) lua_rawgeti(L, 2, k + 1);
    v = lgC_tointeger(L, idx, &ok);
    if (tab) lua_pop(L, 1);
    if (!ok || v < -1)
      lgL_argerror(L, tab ? 2 : arg + k, "size must be a non-negative integer or -1");
    if (v == -1) {
      if (infer >= 0) lgL_argerror(L, tab ? 2 : arg + k, "only one size can be -1");
      infer = n;
    } else {
      if (v != 0 && known > LG_MAXNUMEL / v) lgL_argerror(L, tab ? 2 : arg + k, "tensor too large");
      known *= v;
    }
    size[n++] = v;
  }
  if (infer >= 0) {
    if (known == 0 || total % known != 0)
      lgL_argerror(L, 2, lua_pushfstring(L, "cannot infer size -1 for %d elements", (int)total));
    size[infer] = total / known;
    known = total;
  }
  /* A zero size hides the others from `known`: bound them like lgL_new
   * does, or the strides of [0, 2^62, 2^62] overflow. */
  if (lg_numel(n, size, &known) != LG_OK) lgL_argerror(L, 2, "tensor too large");
  if (known != total) {
    const char *s = lgL_pushshape(L, n, size);
    lgL_argerror(L, 2, lua_pushfstring(L, "shape %s is invalid for %d elements", s, (int)total));
  }
  *ndim = n;
}

static int reshape_impl(lua_State *L, int must_view) {
  lg_tensor *t = lgL_check(L, 1), *r;
  int ndim;
  int64_t size[LG_MAXDIM];
  check_newshape(L, t, &ndim, size);
  if (!lgL_iscontiguous(t)) {
    if (must_view)
      lgL_argerror(L, 1, "view needs a contiguous tensor (use reshape, which copies)");
    lgL_contiguous(L, 1);
  }
  r = lgL_view(L, 1);
  r->ndim = ndim;
  memcpy(r->size, size, sizeof size);
  lg_contiguous_strides(ndim, r->size, r->stride);
  return 1;
}

static int t_reshape(lua_State *L) { return reshape_impl(L, 0); }
static int t_viewm(lua_State *L) { return reshape_impl(L, 1); }

static int t_transpose(lua_State *L) {
  lg_tensor *t = lgL_check(L, 1), *v;
  int a, b;
  int64_t tmp;
  if (t->ndim == 0) lgL_argerror(L, 1, "cannot transpose a 0-d tensor");
  a = lgL_checkdim(L, 2, t, 1);
  b = lgL_checkdim(L, 3, t, 2 <= t->ndim ? 2 : 1);
  if (lua_isnoneornil(L, 2)) lgL_argerror(L, 2, "dim expected");
  if (lua_isnoneornil(L, 3)) lgL_argerror(L, 3, "dim expected");
  v = lgL_view(L, 1);
  tmp = v->size[a]; v->size[a] = v->size[b]; v->size[b] = tmp;
  tmp = v->stride[a]; v->stride[a] = v->stride[b]; v->stride[b] = tmp;
  return 1;
}

static int t_t(lua_State *L) {
  lg_tensor *t = lgL_check(L, 1), *v;
  int64_t tmp;
  if (t->ndim > 2) lgL_argerror(L, 1, lua_pushfstring(L, "t() expects a tensor with <= 2 dims, got %d", t->ndim));
  v = lgL_view(L, 1);
  if (v->ndim == 2) {
    tmp = v->size[0]; v->size[0] = v->size[1]; v->size[1] = tmp;
    tmp = v->stride[0]; v->stride[0] = v->stride[1]; v->stride[1] = tmp;
  }
  return 1;
}

static int copy_new(lua_State *L, lg_dtype dt) {
  lgL_copynew(L, 1, dt);
  return 1;
}

static int t_contiguous(lua_State *L) {
  lg_tensor *t = lgL_check(L, 1);
  if (lgL_iscontiguous(t)) { lua_settop(L, 1); return 1; }
  return copy_new(L, t->dtype);
}

static int t_clone(lua_State *L) { return copy_new(L, lgL_check(L, 1)->dtype); }

static int t_astype(lua_State *L) {
  lgL_check(L, 1);
  lgL_checkany(L, 2);
  return copy_new(L, lgL_optdtype(L, 2, LG_F32));
}

static int t_fill(lua_State *L) {
  lg_tensor *t = lgL_check(L, 1);
  lg_array a;
  double v = (double)lgL_checknumber(L, 2);
  lgL_array(t, &a);
  lg_fill(&a, v);
  lua_settop(L, 1);
  return 1;
}

/* t:copy(src): src (tensor, table or number) broadcast into t; an explicit
 * copy may change dtype. */
static int t_copy(lua_State *L) {
  lg_tensor *t = lgL_check(L, 1);
  lgL_checkany(L, 2);
  assign(L, 2, t);
  lua_settop(L, 1);
  return 1;
}

static int t_gc(lua_State *L) {
  /* Checked: __gc can be called directly on any userdata (an io file...). */
  lg_tensor *t = lgL_test(L, 1);
  if (t) lgL_release(L, t, 1);
  return 0;
}

static const luaL_Reg funcs[] = {
  {"tensor", l_tensor}, {"zeros", l_zeros}, {"ones", l_ones}, {"empty", l_empty},
  {"full", l_full}, {"eye", l_eye}, {"range", l_range}, {"linspace", l_linspace},
  {"seed", l_seed}, {"rand", l_rand}, {"randn", l_randn}, {NULL, NULL}
};

static const luaL_Reg methods[] = {
  {"shape", t_shape}, {"size", t_size}, {"dim", t_dim}, {"numel", t_numel},
  {"dtype", t_dtype}, {"stride", t_stride}, {"is_contiguous", t_is_contiguous},
  {"is_closed", t_is_closed}, {"get", t_get}, {"set", t_set}, {"totable", t_totable},
  {"item", t_item}, {"reshape", t_reshape}, {"view", t_viewm}, {"transpose", t_transpose},
  {"t", t_t}, {"contiguous", t_contiguous}, {"clone", t_clone}, {"astype", t_astype},
  {"fill", t_fill}, {"copy", t_copy}, {"close", t_close}, {NULL, NULL}
};

void lgL_open_tensor(lua_State *L, int mod, int meth) {
  lgL_open_storage(L);
  lgL_register(L, mod, funcs, meth, methods);
  luaL_getmetatable(L, LG_TENSOR_MT);
  lua_pushvalue(L, meth);
  lua_pushcclosure(L, t_index, 1);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, t_newindex);
  lua_setfield(L, -2, "__newindex");
  lua_pushcfunction(L, t_len);
  lua_setfield(L, -2, "__len");
  lua_pushcfunction(L, t_gc);
  lua_setfield(L, -2, "__gc");
#if LGC_HAS_CLOSE
  lua_pushcfunction(L, t_close);
  lua_setfield(L, -2, "__close");
#endif
  lua_pop(L, 1);
}
