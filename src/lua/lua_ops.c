/* lua_ops.c - arithmetic, elementwise math, reductions, matrix products
 * and comparisons: argument checking around the kernels of tensor.c. */
#include <math.h>
#include <string.h>

#include "lua/lg_lua.h"
#include "core/pool.h"

/* The dtype a call computes in: the first tensor argument's, else float32. */
static lg_dtype call_dtype(lua_State *L, int a, int b) {
  lg_tensor *t = lgL_test(L, a);
  if (t == NULL) t = lgL_test(L, b);
  return t ? t->dtype : LG_F32;
}

/* An operand as an array: a number becomes a 0-d array over *scalar.
 * Returns the tensor, or NULL for a number. */
static lg_tensor *operand(lua_State *L, int arg, lg_dtype dt, lg_array *a, double *scalar) {
  if (lua_type(L, arg) == LUA_TNUMBER) {
    double v = (double)lua_tonumber(L, arg);
    if (dt == LG_F64) *scalar = v;
    else *(float *)scalar = (float)v;
    a->data = scalar;
    a->dtype = dt;
    a->ndim = 0;
    return NULL;
  }
  {
    lg_tensor *t = lgL_checkin(L, arg, (int)dt);
    lgL_array(t, a);
    return t;
  }
}

/* A large elementwise call splits along its first dim longer than 1 (the
 * leading ones have size 1) into slices run on the state's threads; every
 * element is computed as in one call. */
typedef struct ew_job {
  int op, binary, d;
  double p;
  lg_array o, a, b;
} ew_job;

static void ew_slice(const lg_array *x, int d, size_t lo, size_t hi, lg_array *s) {
  *s = *x;
  s->data = (char *)x->data + (int64_t)lo * x->stride[d] * (int64_t)lg_dtype_size(x->dtype);
  s->size[d] = (int64_t)(hi - lo);
}

static void ew_range(void *ctx, size_t lo, size_t hi) {
  const ew_job *j = (const ew_job *)ctx;
  lg_array o, a, b;
  ew_slice(&j->o, j->d, lo, hi, &o);
  ew_slice(&j->a, j->d, lo, hi, &a);
  if (j->binary) {
    ew_slice(&j->b, j->d, lo, hi, &b);
    lg_binary(j->op, &o, &a, &b);
  } else {
    lg_unary(j->op, j->p, &o, &a);
  }
}

/* out = a OP b (b NULL: OP(a) with parameter p), as lg_binary / lg_unary.
 * Call after the last allocation (lgL_pool). */
static void elementwise(lua_State *L, int op, double p, lg_array *o, const lg_array *a,
                        const lg_array *b) {
  ew_job j;
  size_t inner = 1;
  int k;
  if (o->ndim == 0) {
    if (b) lg_binary(op, o, a, b);
    else lg_unary(op, p, o, a);
    return;
  }
  j.op = op;
  j.binary = b != NULL;
  j.p = p;
  j.o = *o;
  j.a = *a;
  if (b) j.b = *b;
  for (j.d = 0; j.d < o->ndim - 1 && o->size[j.d] == 1; j.d++) {}
  for (k = j.d + 1; k < o->ndim; k++) inner *= (size_t)o->size[k];
  lg_pool_for(lgL_pool(L, (size_t)o->size[j.d] * inner), (size_t)o->size[j.d], inner, 1,
              ew_range, &j);
}

/* out aliases an input in a way an elementwise pass cannot survive: same
 * storage, but not element-for-element the same positions. */
static int bad_alias(const lg_tensor *out, const lg_tensor *in, const lg_array *e,
                     const lg_array *o) {
  if (in == NULL || !lgL_sharestorage(in, out)) return 0;
  return e->data != o->data || memcmp(e->stride, o->stride, (size_t)o->ndim * sizeof(int64_t)) != 0;
}

static int binary(lua_State *L, int op) {
  lg_dtype dt = call_dtype(L, 1, 2);
  lg_array a, b, ea, eb, o;
  double sa, sb;
  int nd;
  int64_t size[LG_MAXDIM];
  lg_tensor *out, *ta, *tb;
  lgL_checkany(L, 1);
  lgL_checkany(L, 2);
  ta = operand(L, 1, dt, &a, &sa);
  tb = operand(L, 2, dt, &b, &sb);
  if (lg_broadcast_shape(a.ndim, a.size, b.ndim, b.size, &nd, size) != LG_OK) {
    const char *x = lgL_pushshape(L, a.ndim, a.size);
    const char *y = lgL_pushshape(L, b.ndim, b.size);
    return lgL_argerror(L, 2, lua_pushfstring(L, "shapes %s and %s cannot be broadcast", x, y));
  }
  out = lgL_out(L, 3, dt, nd, size);
  /* arrays stay valid while their tensors stay open */
  lgL_alive(L, 1, ta);
  lgL_alive(L, 2, tb);
  lgL_alive(L, 3, out);
  lg_expand(&a, nd, size, &ea);
  lg_expand(&b, nd, size, &eb);
  lgL_array(out, &o);
  if (bad_alias(out, ta, &ea, &o) || bad_alias(out, tb, &eb, &o)) {
    lg_tensor *tmp = lgL_new(L, dt, nd, size);
    lg_array t;
    lgL_recheck(L);
    lgL_array(tmp, &t);
    elementwise(L, op, 0, &t, &ea, &eb);
    lg_copy(&o, &t);
    lua_pop(L, 1);
  } else {
    elementwise(L, op, 0, &o, &ea, &eb);
  }
  return 1;
}

static int l_add(lua_State *L) { return binary(L, LG_ADD); }
static int l_sub(lua_State *L) { return binary(L, LG_SUB); }
static int l_mul(lua_State *L) { return binary(L, LG_MUL); }
static int l_div(lua_State *L) { return binary(L, LG_DIV); }
static int l_gt(lua_State *L) { return binary(L, LG_GT); }
static int l_lt(lua_State *L) { return binary(L, LG_LT); }
static int l_ge(lua_State *L) { return binary(L, LG_GE); }
static int l_le(lua_State *L) { return binary(L, LG_LE); }
static int l_eq(lua_State *L) { return binary(L, LG_EQ); }
static int l_ne(lua_State *L) { return binary(L, LG_NE); }
static int l_maximum(lua_State *L) { return binary(L, LG_MAXIMUM); }
static int l_minimum(lua_State *L) { return binary(L, LG_MINIMUM); }

/* Broadcast the shape (*nd, size) with a's; 0 when they do not broadcast. */
static int widen(int *nd, int64_t *size, const lg_array *a) {
  int n;
  int64_t s[LG_MAXDIM];
  if (lg_broadcast_shape(*nd, size, a->ndim, a->size, &n, s) != LG_OK) return 0;
  *nd = n;
  memcpy(size, s, (size_t)n * sizeof(int64_t));
  return 1;
}

static int no_broadcast(lua_State *L, int arg, int nd, const int64_t *size, const lg_array *a) {
  const char *x = lgL_pushshape(L, nd, size);
  const char *y = lgL_pushshape(L, a->ndim, a->size);
  return lgL_argerror(L, arg, lua_pushfstring(L, "shapes %s and %s cannot be broadcast", x, y));
}

/* clamp(x, min, max [, out]): min(max(x, min), max) with either bound nil,
 * a number or a tensor (broadcast); NaN in x or a bound gives NaN, and
 * min > max gives max, as torch.clamp. */
static int l_clamp(lua_State *L) {
  lg_tensor *x, *tlo = NULL, *thi = NULL, *out;
  lg_array a, lo, hi, ea, elo, ehi, o, w;
  double slo, shi;
  int nd, has_lo, has_hi, tmp;
  int64_t size[LG_MAXDIM];
  lua_settop(L, 4);
  x = lgL_checkin(L, 1, -1);
  has_lo = !lua_isnil(L, 2);
  has_hi = !lua_isnil(L, 3);
  if (!has_lo && !has_hi) return lgL_argerror(L, 2, "min or max expected (both are nil)");
  if (has_lo && lua_type(L, 2) != LUA_TNUMBER && !lgL_test(L, 2) && !lua_istable(L, 2))
    return lgL_typeerror(L, 2, "number, table or " LG_TENSOR_MT);
  if (has_hi && lua_type(L, 3) != LUA_TNUMBER && !lgL_test(L, 3) && !lua_istable(L, 3))
    return lgL_typeerror(L, 3, "number, table or " LG_TENSOR_MT);
  if (has_lo) tlo = operand(L, 2, x->dtype, &lo, &slo);
  if (has_hi) thi = operand(L, 3, x->dtype, &hi, &shi);
  lgL_array(x, &a);
  nd = a.ndim;
  memcpy(size, a.size, (size_t)nd * sizeof(int64_t));
  if (has_lo && !widen(&nd, size, &lo)) return no_broadcast(L, 2, nd, size, &lo);
  if (has_hi && !widen(&nd, size, &hi)) return no_broadcast(L, 3, nd, size, &hi);
  out = lgL_out(L, 4, x->dtype, nd, size);
  lgL_alive(L, 1, x);
  lgL_alive(L, 2, tlo);
  lgL_alive(L, 3, thi);
  lgL_alive(L, 4, out);
  lg_expand(&a, nd, size, &ea);
  if (has_lo) lg_expand(&lo, nd, size, &elo);
  if (has_hi) lg_expand(&hi, nd, size, &ehi);
  lgL_array(out, &o);
  /* The second pass reads hi after the first wrote out: out must not be hi. */
  tmp = bad_alias(out, x, &ea, &o) || (has_lo && bad_alias(out, tlo, &elo, &o)) ||
        (has_hi && bad_alias(out, thi, &ehi, &o)) ||
        (has_lo && thi && lgL_sharestorage(out, thi));
  if (tmp) {
    lg_tensor *t = lgL_new(L, x->dtype, nd, size);
    lgL_recheck(L);
    lgL_array(t, &w);
  } else {
    w = o;
  }
  if (has_lo) elementwise(L, LG_MAXIMUM, 0, &w, &ea, &elo);
  if (has_hi) elementwise(L, LG_MINIMUM, 0, &w, has_lo ? &w : &ea, &ehi);
  if (tmp) {
    lg_copy(&o, &w);
    lua_pop(L, 1);
  }
  return 1;
}

/* where(cond, x, y [, out]): x where cond is nonzero, else y, all three
 * broadcast; x and y numbers or tensors of one dtype (the result's; cond's
 * when both are numbers). */
static int l_where(lua_State *L) {
  lg_tensor *c, *tx, *ty, *out;
  lg_array ac, ax, ay, ec, ex, ey, o;
  double sx, sy;
  int nd;
  int64_t size[LG_MAXDIM];
  lg_dtype dt;
  lua_settop(L, 4);
  c = lgL_checkin(L, 1, -1);
  lgL_checkany(L, 2);
  lgL_checkany(L, 3);
  dt = lgL_test(L, 2) ? lgL_test(L, 2)->dtype : lgL_test(L, 3) ? lgL_test(L, 3)->dtype : c->dtype;
  tx = operand(L, 2, dt, &ax, &sx);
  ty = operand(L, 3, dt, &ay, &sy);
  lgL_array(c, &ac);
  nd = ac.ndim;
  memcpy(size, ac.size, (size_t)nd * sizeof(int64_t));
  if (!widen(&nd, size, &ax)) return no_broadcast(L, 2, nd, size, &ax);
  if (!widen(&nd, size, &ay)) return no_broadcast(L, 3, nd, size, &ay);
  out = lgL_out(L, 4, dt, nd, size);
  lgL_recheck(L);
  lgL_array(c, &ac);   /* a finalizer cannot move data, but re-read after allocation anyway */
  lg_expand(&ac, nd, size, &ec);
  lg_expand(&ax, nd, size, &ex);
  lg_expand(&ay, nd, size, &ey);
  lgL_array(out, &o);
  if (lgL_sharestorage(out, c) || bad_alias(out, tx, &ex, &o) || bad_alias(out, ty, &ey, &o)) {
    lg_tensor *t = lgL_new(L, dt, nd, size);
    lg_array w;
    lgL_recheck(L);
    lgL_array(t, &w);
    lg_where(&w, &ec, &ex, &ey);
    lg_copy(&o, &w);
    lua_pop(L, 1);
  } else {
    lg_where(&o, &ec, &ex, &ey);
  }
  return 1;
}

/* Elementwise math: x (tensor or table), an optional parameter, out. */
static int unary(lua_State *L, int op, double p, int outarg) {
  lg_tensor *x = lgL_checkin(L, 1, -1), *out;
  lg_array a, o;
  out = lgL_out(L, outarg, x->dtype, x->ndim, x->size);
  lgL_alive(L, 1, x);
  lgL_alive(L, outarg, out);
  lgL_array(x, &a);
  lgL_array(out, &o);
  if (lgL_sharestorage(x, out) && (a.data != o.data ||
      memcmp(a.stride, o.stride, (size_t)a.ndim * sizeof(int64_t)) != 0)) {
    lg_tensor *tmp = lgL_new(L, x->dtype, x->ndim, x->size);
    lg_array ta;
    lgL_recheck(L);
    lgL_array(tmp, &ta);
    elementwise(L, op, p, &ta, &a, NULL);
    lg_copy(&o, &ta);
    lua_pop(L, 1);
  } else {
    elementwise(L, op, p, &o, &a, NULL);
  }
  return 1;
}

static int l_unm(lua_State *L) { lua_settop(L, 1); return unary(L, LG_NEG, 0, 2); }
static int l_neg(lua_State *L) { return unary(L, LG_NEG, 0, 2); }
static int l_exp(lua_State *L) { return unary(L, LG_EXP, 0, 2); }
static int l_log(lua_State *L) { return unary(L, LG_LOG, 0, 2); }
static int l_abs(lua_State *L) { return unary(L, LG_ABS, 0, 2); }
static int l_sqrt(lua_State *L) { return unary(L, LG_SQRT, 0, 2); }
static int l_pow(lua_State *L) { return unary(L, LG_POW, (double)lgL_checknumber(L, 2), 3); }
/* a ^ b (Lua passes both operands to every metamethod): t ^ number as
 * pow(t, p) (p kept in double); number ^ t and t ^ t elementwise with
 * broadcasting, as + - * / (a number base is rounded to the dtype). */
static int l_powmm(lua_State *L) {
  lua_settop(L, 2);
  if (lgL_test(L, 1) && lua_type(L, 2) == LUA_TNUMBER)
    return unary(L, LG_POW, (double)lua_tonumber(L, 2), 3);
  return binary(L, LG_BPOW);
}

/* ---- reductions ------------------------------------------------------- */

static const char *const red_names[] = {"sum", "mean", "max", "min"};

/* t:OP([dim [, keepdim]]). Without a dim: a number (max/min/argmax of an
 * empty tensor is an error, as in PyTorch). With a dim: a tensor, and for
 * max/min also the 1-based indices (same dtype). */
static int reduce(lua_State *L, int op, int want_index, int index_only) {
  lg_tensor *t = lgL_checkin(L, 1, -1), *y, *ix = NULL;
  size_t outer = 1, n, inner = 1;
  int d, nd, keep = lua_toboolean(L, 3);
  int64_t size[LG_MAXDIM], *idx = NULL;
  if (lua_isnoneornil(L, 2)) {
    int64_t at = 0, total = lgL_numel(t);
    if (keep) return lgL_argerror(L, 3, "keepdim needs a dim");
    t = lgL_contiguous(L, 1);
    if (total == 0 && (op == LG_MAX || op == LG_MIN))
      return lgL_argerror(L, 1, lua_pushfstring(L, "%s of an empty tensor",
                                                 index_only ? (op == LG_MAX ? "argmax" : "argmin")
                                                            : red_names[op]));
    {
      double buf = 0;   /* room for one element of either dtype */
      lg_reduce(op, t->dtype, 1, (size_t)total, 1, lgL_data(t), &buf, &at);
      if (index_only) lgC_pushint64(L, (int64_t)(at + 1));
      else lua_pushnumber(L, (lua_Number)lg_get(t->dtype, &buf, 0));
    }
    return 1;
  }
  d = lgL_checkdim(L, 2, t, -1);
  t = lgL_contiguous(L, 1);
  lgL_layout(t, d, &outer, &n, &inner);
  if (want_index && t->dtype == LG_F32 && n > ((size_t)1 << 24))
    return lgL_argerror(L, 2, "indices past 2^24 are not exact in float32 (use astype(\"float64\"))");
  if (n == 0 && (op == LG_MAX || op == LG_MIN) && outer * inner > 0)
    return lgL_argerror(L, 2, lua_pushfstring(L, "%s over an empty dim", red_names[op]));
  nd = lgL_reducedshape(t, d, keep, size);
  y = lgL_new(L, t->dtype, nd, size);
  if (want_index) {
    /* Scratch for 0-based positions, on the stack so an error cannot leak it. */
    idx = (int64_t *)lgL_scratch(L, (uint64_t)outer * inner, sizeof(int64_t));
    ix = lgL_new(L, t->dtype, nd, size);
  }
  lgL_recheck(L);
  lg_reduce(op, t->dtype, outer, n, inner, lgL_data(t), lgL_data(y), idx);
  if (ix) {
    size_t i;
    for (i = 0; i < outer * inner; i++) lg_set(ix->dtype, lgL_data(ix), (int64_t)i, (double)(idx[i] + 1));
    lua_remove(L, -2);   /* the scratch */
    if (index_only) { lua_remove(L, -2); return 1; }
    return 2;
  }
  return 1;
}

static int t_sum(lua_State *L) { return reduce(L, LG_SUM, 0, 0); }
static int t_mean(lua_State *L) { return reduce(L, LG_MEAN, 0, 0); }
static int t_max(lua_State *L) { return reduce(L, LG_MAX, !lua_isnoneornil(L, 2), 0); }
static int t_min(lua_State *L) { return reduce(L, LG_MIN, !lua_isnoneornil(L, 2), 0); }
static int t_argmax(lua_State *L) { return reduce(L, LG_MAX, !lua_isnoneornil(L, 2), 1); }
static int t_argmin(lua_State *L) { return reduce(L, LG_MIN, !lua_isnoneornil(L, 2), 1); }

/* ---- matrix products -------------------------------------------------- */

static void size_mismatch(lua_State *L, const lg_tensor *a, const lg_tensor *b) {
  const char *x = lgL_pushshape(L, a->ndim, a->size);
  const char *y = lgL_pushshape(L, b->ndim, b->size);
  lgL_argerror(L, 2, lua_pushfstring(L, "size mismatch: %s and %s", x, y));
}

static double dot(const lg_tensor *a, const lg_tensor *b) {
  return lg_dot(a->dtype, a->size[0], lgL_data(a), a->stride[0], lgL_data(b), b->stride[0]);
}

static int l_dot(lua_State *L) {
  lg_tensor *a = lgL_checkin(L, 1, -1), *b = lgL_checkin(L, 2, (int)a->dtype);
  if (a->ndim != 1) lgL_argerror(L, 1, lua_pushfstring(L, "1-d tensor expected, got %d-d", a->ndim));
  if (b->ndim != 1) lgL_argerror(L, 2, lua_pushfstring(L, "1-d tensor expected, got %d-d", b->ndim));
  if (a->size[0] != b->size[0]) size_mismatch(L, a, b);
  lgL_recheck(L);   /* converting b may have run a finalizer */
  lua_pushnumber(L, (lua_Number)dot(a, b));
  return 1;
}

/* matmul(a, b [, out]): 2-d @ 2-d, 2-d @ 1-d, 1-d @ 2-d, 1-d @ 1-d (a
 * number), as in torch.matmul. */
static int l_matmul(lua_State *L) {
  lg_tensor *a = lgL_checkin(L, 1, -1), *b = lgL_checkin(L, 2, (int)a->dtype), *c;
  int64_t m, k, n, size[2];
  int nd = 0, st;
  if (a->ndim < 1 || a->ndim > 2)
    lgL_argerror(L, 1, lua_pushfstring(L, "1-d or 2-d tensor expected, got %d-d", a->ndim));
  if (b->ndim < 1 || b->ndim > 2)
    lgL_argerror(L, 2, lua_pushfstring(L, "1-d or 2-d tensor expected, got %d-d", b->ndim));
  if (a->ndim == 1 && b->ndim == 1) {
    if (!lua_isnoneornil(L, 3)) lgL_argerror(L, 3, "1-d @ 1-d is a number: no out");
    if (a->size[0] != b->size[0]) size_mismatch(L, a, b);
    lgL_recheck(L);   /* converting b may have run a finalizer */
    lua_pushnumber(L, (lua_Number)dot(a, b));
    return 1;
  }
  m = a->ndim == 2 ? a->size[0] : 1;
  k = a->ndim == 2 ? a->size[1] : a->size[0];
  n = b->ndim == 2 ? b->size[1] : 1;
  if (b->size[0] != k) size_mismatch(L, a, b);
  if (a->ndim == 2) size[nd++] = m;
  if (b->ndim == 2) size[nd++] = n;
  a = lgL_contiguous(L, 1);
  b = lgL_contiguous(L, 2);
  c = lgL_out(L, 3, a->dtype, nd, size);
  lgL_recheck(L);
  if (lgL_sharestorage(c, a) || lgL_sharestorage(c, b)) {
    lg_tensor *tmp = lgL_new(L, a->dtype, nd, size);
    lg_array s, o;
    lgL_recheck(L);
    st = lg_matmul(a->dtype, (size_t)m, (size_t)k, (size_t)n, lgL_data(a), lgL_data(b), lgL_data(tmp));
    lgL_array(tmp, &s);
    lgL_array(c, &o);
    if (st == LG_OK) lg_copy(&o, &s);
    lua_pop(L, 1);
  } else {
    st = lg_matmul(a->dtype, (size_t)m, (size_t)k, (size_t)n, lgL_data(a), lgL_data(b), lgL_data(c));
  }
  if (st != LG_OK) return lgL_nomem(L, "its row accumulator");
  return 1;
}

static int l_outer(lua_State *L) {
  lg_tensor *a = lgL_checkin(L, 1, -1), *b = lgL_checkin(L, 2, (int)a->dtype), *c;
  lg_array x, y, ex, ey, o;
  int64_t size[2];
  if (a->ndim != 1) lgL_argerror(L, 1, lua_pushfstring(L, "1-d tensor expected, got %d-d", a->ndim));
  if (b->ndim != 1) lgL_argerror(L, 2, lua_pushfstring(L, "1-d tensor expected, got %d-d", b->ndim));
  size[0] = a->size[0];
  size[1] = b->size[0];
  c = lgL_out(L, 3, a->dtype, 2, size);
  lgL_recheck(L);
  if (lgL_sharestorage(c, a) || lgL_sharestorage(c, b))
    lgL_argerror(L, 3, "out must not share storage with the inputs");
  lgL_array(a, &x);
  lgL_array(b, &y);
  /* a as a column, b as a row: the product broadcasts to the grid. */
  x.ndim = 2; x.size[1] = 1; x.stride[1] = 0;
  lg_expand(&x, 2, size, &ex);
  lg_expand(&y, 2, size, &ey);
  lgL_array(c, &o);
  lg_binary(LG_MUL, &o, &ex, &ey);
  return 1;
}

/* ---- comparisons ------------------------------------------------------ */

/* Both arguments as arrays of one shape; a float32 side is widened when
 * the dtypes differ, so a float32 result can be checked against a float64
 * reference. Returns 0 when the shapes do not broadcast. */
static int compare_args(lua_State *L, lg_array *ea, lg_array *eb, int broadcast) {
  lg_tensor *a = lgL_checkin(L, 1, -1), *b;
  lg_array x, y;
  int nd;
  int64_t size[LG_MAXDIM];
  b = lgL_checkin(L, 2, lgL_test(L, 2) ? -1 : (int)a->dtype);
  if (a->dtype != b->dtype) {
    lg_tensor *w;
    int which = a->dtype == LG_F32 ? 1 : 2;
    w = lgL_copynew(L, which, LG_F64);
    lua_replace(L, which);
    if (which == 1) a = w; else b = w;
  }
  lgL_recheck(L);
  lgL_array(a, &x);
  lgL_array(b, &y);
  if (!broadcast) {
    if (x.ndim != y.ndim || memcmp(x.size, y.size, (size_t)x.ndim * sizeof(int64_t))) return 0;
    *ea = x;
    *eb = y;
    return 1;
  }
  if (lg_broadcast_shape(x.ndim, x.size, y.ndim, y.size, &nd, size) != LG_OK) return 0;
  lg_expand(&x, nd, size, ea);
  lg_expand(&y, nd, size, eb);
  return 1;
}

static int l_allclose(lua_State *L) {
  double rtol = (double)lgL_optnumber(L, 3, 1e-5), atol = (double)lgL_optnumber(L, 4, 1e-8);
  lg_array a, b;
  if (!compare_args(L, &a, &b, 1)) {
    const char *x, *y;
    lg_tensor *ta = lgL_test(L, 1), *tb = lgL_test(L, 2);
    x = lgL_pushshape(L, ta->ndim, ta->size);
    y = lgL_pushshape(L, tb->ndim, tb->size);
    return lgL_argerror(L, 2, lua_pushfstring(L, "shapes %s and %s cannot be broadcast", x, y));
  }
  lua_pushboolean(L, lg_allclose(&a, &b, rtol, atol));
  return 1;
}

static int l_equal(lua_State *L) {
  lg_array a, b;
  lua_pushboolean(L, compare_args(L, &a, &b, 0) && lg_all_equal(&a, &b));
  return 1;
}

/* ---- cat and stack ----------------------------------------------------- */

/* cat(list, dim=1 [, out]) joins along an existing dim, stack(list, dim=1
 * [, out]) along a new one inserted at dim (1..ndim+1), as torch.cat and
 * torch.stack. The list's tensors are pushed from stack slot 4 on. */
static int join(lua_State *L, int stack) {
  lg_tensor *first, *out;
  int n, i, k, d, nd;
  int64_t size[LG_MAXDIM], off = 0;
  lua_settop(L, 3);
  if (!lua_istable(L, 1) || lgL_test(L, 1)) return lgL_typeerror(L, 1, "list of tensors");
  n = (int)lgC_rawlen(L, 1);
  if (n == 0) return lgL_argerror(L, 1, "non-empty list of tensors expected");
  luaL_checkstack(L, n + 8, "too many tensors");
  for (i = 1; i <= n; i++) {
    lg_tensor *t;
    lua_rawgeti(L, 1, i);
    t = lgL_test(L, -1);
    if (t == NULL)
      return lgL_argerror(L, 1, lua_pushfstring(L, "entry %d is a %s, expected " LG_TENSOR_MT, i,
                                                 luaL_typename(L, -1)));
    lgL_alive(L, 1, t);
  }
  first = lgL_test(L, 4);
  if (!stack && first->ndim == 0) return lgL_argerror(L, 1, "0-d tensors cannot be concatenated");
  if (stack && first->ndim == LG_MAXDIM)
    return lgL_argerror(L, 1, lua_pushfstring(L, "tensors have %d dims, the most there can be",
                                               LG_MAXDIM));
  {
    /* stack's dim ranges over the result's ndim + 1 positions */
    lg_tensor probe = *first;
    if (stack) probe.ndim = first->ndim + 1;
    d = lgL_checkdim(L, 2, &probe, 1);
  }
  nd = first->ndim;
  memcpy(size, first->size, (size_t)nd * sizeof(int64_t));
  for (i = 2; i <= n; i++) {
    lg_tensor *t = lgL_test(L, 3 + i);
    int same = t->ndim == first->ndim;
    if (t->dtype != first->dtype)
      return lgL_argerror(L, 1, lua_pushfstring(L, "entry %d is %s, entry 1 %s", i,
                                                 lgL_dtypename(t->dtype), lgL_dtypename(first->dtype)));
    for (k = 0; same && k < nd; k++)
      if (t->size[k] != first->size[k] && (stack || k != d)) same = 0;
    if (!same) {
      const char *a = lgL_pushshape(L, t->ndim, t->size);
      const char *b = lgL_pushshape(L, first->ndim, first->size);
      return lgL_argerror(L, 1, lua_pushfstring(L, "entry %d has shape %s, entry 1 %s (%s)", i, a,
                                                 b, stack ? "stack needs equal shapes"
                                                          : "only the joined dim may differ"));
    }
    if (!stack) size[d] += t->size[d];
  }
  if (stack) {
    for (k = nd; k > d; k--) size[k] = size[k - 1];
    size[d] = n;
    nd++;
  }
  {
    int64_t total;
    if (lg_numel(nd, size, &total) != LG_OK) return lgL_argerror(L, 1, "result too large");
  }
  out = lgL_out(L, 3, first->dtype, nd, size);
  lgL_recheck(L);
  for (i = 1; i <= n; i++)
    if (lgL_sharestorage(out, lgL_test(L, 3 + i)))
      return lgL_argerror(L, 3, lua_pushfstring(L, "out shares storage with entry %d", i));
  for (i = 1; i <= n; i++) {
    lg_tensor *t = lgL_test(L, 3 + i);
    lg_array src, dst;
    lgL_array(out, &dst);
    lgL_array(t, &src);
    dst.data = (char *)dst.data + off * dst.stride[d] * (int64_t)lg_dtype_size(dst.dtype);
    if (stack) {   /* drop the new dim: dst takes t's shape */
      for (k = d; k < nd - 1; k++) {
        dst.size[k] = dst.size[k + 1];
        dst.stride[k] = dst.stride[k + 1];
      }
      dst.ndim = nd - 1;
      off++;
    } else {
      dst.size[d] = t->size[d];
      off += t->size[d];
    }
    lg_copy(&dst, &src);
  }
  return 1;
}

static int l_cat(lua_State *L) { return join(L, 0); }
static int l_stack(lua_State *L) { return join(L, 1); }

static const luaL_Reg funcs[] = {
  {"add", l_add}, {"sub", l_sub}, {"mul", l_mul}, {"div", l_div}, {"neg", l_neg},
  {"exp", l_exp}, {"log", l_log}, {"abs", l_abs}, {"sqrt", l_sqrt}, {"pow", l_pow},
  {"matmul", l_matmul}, {"dot", l_dot}, {"outer", l_outer},
  {"allclose", l_allclose}, {"equal", l_equal},
  {"gt", l_gt}, {"lt", l_lt}, {"ge", l_ge}, {"le", l_le}, {"eq", l_eq}, {"ne", l_ne},
  {"maximum", l_maximum}, {"minimum", l_minimum}, {"clamp", l_clamp}, {"where", l_where},
  {"cat", l_cat}, {"stack", l_stack},
  {"sum", t_sum}, {"mean", t_mean}, {"max", t_max}, {"min", t_min},
  {"argmax", t_argmax}, {"argmin", t_argmin}, {NULL, NULL}
};

static const luaL_Reg methods[] = {
  {"add", l_add}, {"sub", l_sub}, {"mul", l_mul}, {"div", l_div}, {"neg", l_neg},
  {"exp", l_exp}, {"log", l_log}, {"abs", l_abs}, {"sqrt", l_sqrt}, {"pow", l_pow},
  {"sum", t_sum}, {"mean", t_mean}, {"max", t_max}, {"min", t_min},
  {"argmax", t_argmax}, {"argmin", t_argmin}, {"matmul", l_matmul}, {"dot", l_dot},
  {"gt", l_gt}, {"lt", l_lt}, {"ge", l_ge}, {"le", l_le}, {"eq", l_eq}, {"ne", l_ne},
  {"maximum", l_maximum}, {"minimum", l_minimum}, {"clamp", l_clamp},
  {NULL, NULL}
};

void lgL_open_ops(lua_State *L, int mod, int meth) {
  lgL_register(L, mod, funcs, meth, methods);
  luaL_getmetatable(L, LG_TENSOR_MT);
  lgL_pushfunc(L, l_add, 0);
  lua_setfield(L, -2, "__add");
  lgL_pushfunc(L, l_sub, 0);
  lua_setfield(L, -2, "__sub");
  lgL_pushfunc(L, l_mul, 0);
  lua_setfield(L, -2, "__mul");
  lgL_pushfunc(L, l_div, 0);
  lua_setfield(L, -2, "__div");
  lgL_pushfunc(L, l_unm, 0);
  lua_setfield(L, -2, "__unm");
  lgL_pushfunc(L, l_powmm, 0);
  lua_setfield(L, -2, "__pow");
  lua_pop(L, 1);
}
