/* lua_softmax.c - softmax, log_softmax, logsumexp, hardmax, their
 * backwards and the softmax Jacobian: argument checking around the kernels
 * of kernels/softmax.c. A dim d of a tensor of shape (s1..sn) is the
 * kernel's [outer][n][inner] with outer = s1..s(d-1), n = sd, inner the
 * rest; a 0-d tensor is one element (outer = n = inner = 1). */
#include <string.h>

#include "lg_lua.h"
#include "kernels/softmax.h"

typedef void (*fam_f32)(size_t, size_t, size_t, float *, const float *);
typedef void (*fam_f64)(size_t, size_t, size_t, double *, const double *);
typedef void (*bwd_f32)(size_t, size_t, size_t, float *, const float *, const float *);
typedef void (*bwd_f64)(size_t, size_t, size_t, double *, const double *, const double *);

/* f(z [, dim [, out]]) for softmax, log_softmax and hardmax. */
static int forward(lua_State *L, fam_f32 f32, fam_f64 f64) {
  lg_tensor *z = lgL_checkin(L, 1, -1), *out, *w;
  size_t outer, n, inner;
  int d = lgL_checkdim(L, 2, z, -1);
  z = lgL_contiguous(L, 1);
  lgL_layout(z, d, &outer, &n, &inner);
  out = lgL_out(L, 3, z->dtype, z->ndim, z->size);
  w = lgL_dest(L, out, lgL_clash(out, z, 1));
  lgL_alive(L, 1, z);   /* the allocations may have run a finalizer */
  lgL_alive(L, 3, out);
  if (z->dtype == LG_F64) f64(outer, n, inner, (double *)lgL_data(w), (const double *)lgL_data(z));
  else f32(outer, n, inner, (float *)lgL_data(w), (const float *)lgL_data(z));
  lgL_finish(L, out, w);
  return 1;
}

static int l_softmax(lua_State *L) { return forward(L, lg_softmax_f32, lg_softmax_f64); }
static int l_log_softmax(lua_State *L) { return forward(L, lg_log_softmax_f32, lg_log_softmax_f64); }
static int l_hardmax(lua_State *L) { return forward(L, lg_hardmax_f32, lg_hardmax_f64); }

/* logsumexp(z [, dim [, keepdim [, out]]]): the dim is removed (kept with
 * size 1 when keepdim), as torch.logsumexp. */
static int l_logsumexp(lua_State *L) {
  lg_tensor *z = lgL_checkin(L, 1, -1), *out, *w;
  size_t outer, n, inner;
  int d = lgL_checkdim(L, 2, z, -1), keep = lua_toboolean(L, 3), nd;
  int64_t size[LG_MAXDIM];
  z = lgL_contiguous(L, 1);
  lgL_layout(z, d, &outer, &n, &inner);
  nd = lgL_reducedshape(z, d, keep, size);
  out = lgL_out(L, 4, z->dtype, nd, size);
  w = lgL_dest(L, out, lgL_clash(out, z, 0));
  lgL_recheck(L);
  if (z->dtype == LG_F64)
    lg_logsumexp_f64(outer, n, inner, (double *)lgL_data(w), (const double *)lgL_data(z));
  else
    lg_logsumexp_f32(outer, n, inner, (float *)lgL_data(w), (const float *)lgL_data(z));
  lgL_finish(L, out, w);
  return 1;
}

/* f(grad, y [, dim [, out]]) where y is the forward output (p or logp). */
static int backward(lua_State *L, bwd_f32 f32, bwd_f64 f64) {
  lg_tensor *g = lgL_checkin(L, 1, -1), *y, *out, *w;
  size_t outer, n, inner;
  int d;
  y = lgL_checkin(L, 2, (int)g->dtype);
  if (g->ndim != y->ndim || (g->ndim && memcmp(g->size, y->size, (size_t)g->ndim * sizeof(int64_t)))) {
    const char *a = lgL_pushshape(L, g->ndim, g->size);
    const char *b = lgL_pushshape(L, y->ndim, y->size);
    return lgL_argerror(L, 2, lua_pushfstring(L, "shape %s, expected the gradient's shape %s", b, a));
  }
  d = lgL_checkdim(L, 3, g, -1);
  g = lgL_contiguous(L, 1);
  y = lgL_contiguous(L, 2);
  lgL_layout(g, d, &outer, &n, &inner);
  out = lgL_out(L, 4, g->dtype, g->ndim, g->size);
  w = lgL_dest(L, out, lgL_clash(out, g, 1) || lgL_clash(out, y, 1));
  lgL_recheck(L);
  if (g->dtype == LG_F64)
    f64(outer, n, inner, (double *)lgL_data(w), (const double *)lgL_data(g), (const double *)lgL_data(y));
  else
    f32(outer, n, inner, (float *)lgL_data(w), (const float *)lgL_data(g), (const float *)lgL_data(y));
  lgL_finish(L, out, w);
  return 1;
}

static int l_softmax_backward(lua_State *L) {
  return backward(L, lg_softmax_backward_f32, lg_softmax_backward_f64);
}
static int l_log_softmax_backward(lua_State *L) {
  return backward(L, lg_log_softmax_backward_f32, lg_log_softmax_backward_f64);
}

/* softmax_jacobian(z [, out]): J[i][j] = p_i [i == j] - p_i p_j for each
 * row of z (1-d: C x C; 2-d: N x C x C). p is computed in double and each
 * entry rounded once, whatever the dtype. */
static int l_softmax_jacobian(lua_State *L) {
  lg_tensor *z, *zd, *p, *out, *w;
  int64_t size[3], rows, c, r, i, j;
  int nd;
  const double *pp;
  char *o;
  lua_settop(L, 2);   /* temporaries go above z and out */
  z = lgL_checkin(L, 1, -1);
  if (z->ndim != 1 && z->ndim != 2)
    return lgL_argerror(L, 1, lua_pushfstring(L, "1-d or 2-d tensor expected, got %d-d", z->ndim));
  rows = z->ndim == 2 ? z->size[0] : 1;
  c = z->size[z->ndim - 1];
  /* z as a contiguous float64 copy, then p from it (both on the stack). */
  zd = lgL_copynew(L, 1, LG_F64);
  p = lgL_new(L, LG_F64, z->ndim, z->size);
  lg_softmax_f64((size_t)rows, (size_t)c, 1, (double *)lgL_data(p), (const double *)lgL_data(zd));
  nd = 0;
  if (z->ndim == 2) size[nd++] = rows;
  size[nd++] = c;
  size[nd++] = c;
  out = lgL_out(L, 2, z->dtype, nd, size);
  w = lgL_dest(L, out, 0);   /* p is a private copy, so out may alias z */
  lgL_recheck(L);
  pp = (const double *)lgL_data(p);
  o = (char *)lgL_data(w);
  for (r = 0; r < rows; r++) {
    const double *pr = pp + r * c;
    for (i = 0; i < c; i++)
      for (j = 0; j < c; j++)
        lg_set(w->dtype, o, (r * c + i) * c + j, (i == j ? pr[i] : 0.0) - pr[i] * pr[j]);
  }
  lgL_finish(L, out, w);
  return 1;
}

static const luaL_Reg funcs[] = {
  {"softmax", l_softmax}, {"log_softmax", l_log_softmax}, {"logsumexp", l_logsumexp},
  {"hardmax", l_hardmax}, {"softmax_backward", l_softmax_backward},
  {"log_softmax_backward", l_log_softmax_backward}, {"softmax_jacobian", l_softmax_jacobian},
  {NULL, NULL}
};

static const luaL_Reg methods[] = {
  {"softmax", l_softmax}, {"log_softmax", l_log_softmax}, {"logsumexp", l_logsumexp},
  {"hardmax", l_hardmax}, {"softmax_jacobian", l_softmax_jacobian}, {NULL, NULL}
};

void lgL_open_softmax(lua_State *L, int mod, int meth) {
  lgL_register(L, mod, funcs, meth, methods);
}
