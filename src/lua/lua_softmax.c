/* lua_softmax.c - softmax, log_softmax, logsumexp, hardmax, their
 * backwards and the softmax Jacobian: argument checking around the kernels
 * of kernels/softmax.c (which also say how a threaded call may split). A dim d of a tensor of shape (s1..sn) is the
 * kernel's [outer][n][inner] with outer = s1..s(d-1), n = sd, inner the
 * rest; a 0-d tensor is one element (outer = n = inner = 1). */
#include <string.h>

#include "lua/lg_lua.h"
#include "kernels/softmax.h"
#include "core/pool.h"

typedef void (*fam_f32)(size_t, size_t, size_t, float *, const float *);
typedef void (*fam_f64)(size_t, size_t, size_t, double *, const double *);
typedef void (*bwd_f32)(size_t, size_t, size_t, float *, const float *, const float *);
typedef void (*bwd_f64)(size_t, size_t, size_t, double *, const double *, const double *);

/* One softmax-family call as pool chunks: each chunk takes whole outer
 * slices ([n][inner] each, inner == 1 being rows), so every row is computed
 * exactly as by one call. y is [outer][ylen] (ylen = n * inner, or inner
 * for logsumexp); g is the backward's second input. */
typedef struct smx_job {
  fam_f32 f32;
  fam_f64 f64;
  bwd_f32 b32;
  bwd_f64 b64;
  size_t n, inner, xlen, ylen;
  int is64;
  void *y;
  const void *x, *g;
} smx_job;

static void smx_range(void *ctx, size_t lo, size_t hi) {
  const smx_job *j = (const smx_job *)ctx;
  if (j->is64) {
    double *y = (double *)j->y + lo * j->ylen;
    const double *x = (const double *)j->x + lo * j->xlen;
    if (j->b64) j->b64(hi - lo, j->n, j->inner, y, x, (const double *)j->g + lo * j->xlen);
    else j->f64(hi - lo, j->n, j->inner, y, x);
  } else {
    float *y = (float *)j->y + lo * j->ylen;
    const float *x = (const float *)j->x + lo * j->xlen;
    if (j->b32) j->b32(hi - lo, j->n, j->inner, y, x, (const float *)j->g + lo * j->xlen);
    else j->f32(hi - lo, j->n, j->inner, y, x);
  }
}

/* Run job j (its functions set) over [outer][n][inner] x into y. Call
 * after the last allocation (lgL_pool). */
static void smx_run(lua_State *L, smx_job *j, size_t outer, size_t n, size_t inner, lg_dtype dt,
                    void *y, size_t ylen, const void *x, const void *g) {
  size_t total = outer * n * inner, align = 1;
  struct lg_pool *pool;
  j->n = n;
  j->inner = inner;
  j->xlen = n * inner;
  j->ylen = ylen;
  j->is64 = dt == LG_F64;
  j->y = y;
  j->x = x;
  j->g = g;
  /* forwards keep the kernel's streaming in every part (lg_softmax_align) */
  pool = lgL_pool(L, total);   /* NULL: one thread, no parts to align */
  if (pool && g == NULL && ylen == j->xlen) align = lg_softmax_align(dt, outer, n, inner);
  lg_pool_for(pool, outer, j->xlen, align, smx_range, j);
}

/* f(z [, dim [, out]]) for softmax, log_softmax and hardmax. */
static int forward(lua_State *L, fam_f32 f32, fam_f64 f64) {
  lg_tensor *z = lgL_checkin(L, 1, -1), *out, *w;
  size_t outer, n, inner;
  int d = lgL_checkdim(L, 2, z, -1);
  smx_job j = {0};
  z = lgL_copyinto(L, 1, z);
  lgL_layout(z, d, &outer, &n, &inner);
  out = lgL_out(L, 3, z->dtype, z->ndim, z->size);
  w = lgL_dest(L, out, lgL_clash(out, z, 1));
  lgL_alive(L, 1, z);   /* the allocations may have run a finalizer */
  lgL_alive(L, 3, out);
  j.f32 = f32;
  j.f64 = f64;
  smx_run(L, &j, outer, n, inner, z->dtype, lgL_data(w), n * inner, lgL_data(z), NULL);
  lgL_finish(L, out, w);
  return 1;
}

static int l_softmax(lua_State *L) { return forward(L, lg_softmax_f32, lg_softmax_f64); }
static int l_log_softmax(lua_State *L) { return forward(L, lg_log_softmax_f32, lg_log_softmax_f64); }
static int l_hardmax(lua_State *L) { return forward(L, lg_hardmax_f32, lg_hardmax_f64); }

/* logsumexp(z [, dim [, keepdim [, out]]]): the dim is removed (kept with
 * size 1 when keepdim), as torch.logsumexp. out is the trailing argument:
 * a tensor in keepdim's place (logsumexp(z, dim, out)) is out, with keepdim
 * false, never a true keepdim (which would allocate a new result). */
static int l_logsumexp(lua_State *L) {
  lg_tensor *z = lgL_checkin(L, 1, -1), *out, *w;
  size_t outer, n, inner;
  int d = lgL_checkdim(L, 2, z, -1), outarg = 4, keep, nd;
  int64_t size[LG_MAXDIM];
  smx_job j = {0};
  if (lgL_test(L, 3) && lua_isnoneornil(L, 4)) outarg = 3;
  keep = outarg == 4 && lua_toboolean(L, 3);
  z = lgL_contiguous(L, 1);
  lgL_layout(z, d, &outer, &n, &inner);
  nd = lgL_reducedshape(z, d, keep, size);
  out = lgL_out(L, outarg, z->dtype, nd, size);
  w = lgL_dest(L, out, lgL_clash(out, z, 0));
  lgL_recheck(L);
  j.f32 = lg_logsumexp_f32;
  j.f64 = lg_logsumexp_f64;
  smx_run(L, &j, outer, n, inner, z->dtype, lgL_data(w), inner, lgL_data(z), NULL);
  lgL_finish(L, out, w);
  return 1;
}

/* f(grad, y [, dim [, out]]) where y is the forward output (p or logp). */
static int backward(lua_State *L, bwd_f32 f32, bwd_f64 f64) {
  lg_tensor *g = lgL_checkin(L, 1, -1), *y, *out, *w;
  size_t outer, n, inner;
  int d;
  smx_job j = {0};
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
  j.b32 = f32;
  j.b64 = f64;
  smx_run(L, &j, outer, n, inner, g->dtype, lgL_data(w), n * inner, lgL_data(g), lgL_data(y));
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
 * row of z (1-d: C x C; 2-d: N x C x C), computed in double
 * (lg_softmax_jacobian) whatever the dtype. */
static int l_softmax_jacobian(lua_State *L) {
  lg_tensor *z, *zd, *p, *out, *w;
  int64_t size[3], rows, c;
  int nd = 0;
  lua_settop(L, 2);   /* temporaries go above z and out */
  z = lgL_checkin(L, 1, -1);
  if (z->ndim != 1 && z->ndim != 2)
    return lgL_argerror(L, 1, lua_pushfstring(L, "1-d or 2-d tensor expected, got %d-d", z->ndim));
  rows = z->ndim == 2 ? z->size[0] : 1;
  c = z->size[z->ndim - 1];
  zd = lgL_copynew(L, 1, LG_F64);   /* a private float64 copy: out may alias z */
  p = lgL_new(L, LG_F64, z->ndim, z->size);
  if (z->ndim == 2) size[nd++] = rows;
  size[nd++] = c;
  size[nd++] = c;
  out = lgL_out(L, 2, z->dtype, nd, size);
  w = lgL_dest(L, out, 0);
  lgL_recheck(L);
  lg_softmax_jacobian(w->dtype, (size_t)rows, (size_t)c, lgL_data(w), (double *)lgL_data(p),
                      (double *)lgL_data(zd), (const double *)lgL_data(zd));
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
