/* lua_loss.c - cross_entropy, nll_loss, binary_cross_entropy_with_logits
 * and their fused gradients: targets and options from Lua, checked here,
 * then one call into kernels/loss.c.
 *
 * Every loss takes (z, target [, opts [, out]]). The stack is fixed to
 * those four slots first, so errors name the right argument and temporaries
 * live above them (collected by the GC if an error unwinds). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lua/lg_lua.h"
#include "kernels/loss.h"
#include "core/pool.h"

#define ARG_Z 1
#define ARG_Y 2
#define ARG_OPTS 3
#define ARG_OUT 4

enum { OPT_REDUCTION = 1, OPT_WEIGHT = 2, OPT_IGNORE = 4, OPT_SMOOTHING = 8, OPT_POS_WEIGHT = 16 };

static const char *const opt_names[] = {"reduction", "weight", "ignore_index",
                                        "label_smoothing", "pos_weight"};

typedef struct loss_opts {
  lg_reduction red;
  int weight;         /* stack index of opts.weight, 0 when absent */
  int pos_weight;     /* stack index of opts.pos_weight, 0 when absent */
  int has_ignore;
  double ignore;      /* 1-based, as the user wrote it */
  double eps;
} loss_opts;

static void number_text(char *buf, size_t n, double v) {
  if (v != v) snprintf(buf, n, "nan");
  else snprintf(buf, n, "%.14g", v);
}

/* ---- options ---------------------------------------------------------- */

static void parse_opts(lua_State *L, int allowed, loss_opts *o) {
  int k;
  memset(o, 0, sizeof *o);
  o->red = LG_REDUCTION_MEAN;
  if (lua_isnoneornil(L, ARG_OPTS)) return;
  if (!lua_istable(L, ARG_OPTS)) lgL_typeerror(L, ARG_OPTS, "options table");
  /* Every key must be an option this function takes: catches typos. */
  lua_pushnil(L);
  while (lua_next(L, ARG_OPTS)) {
    int known = 0;
    lua_pop(L, 1);
    if (lua_type(L, -1) == LUA_TSTRING) {
      const char *key = lua_tostring(L, -1);
      for (k = 0; k < 5; k++)
        if ((allowed & (1 << k)) && strcmp(key, opt_names[k]) == 0) known = 1;
      if (!known) lgL_argerror(L, ARG_OPTS, lua_pushfstring(L, "unknown option '%s'", key));
    } else {
      lgL_argerror(L, ARG_OPTS, lua_pushfstring(L, "unknown option (a %s key)", luaL_typename(L, -1)));
    }
  }
  lua_getfield(L, ARG_OPTS, "reduction");
  if (!lua_isnil(L, -1)) {
    const char *r = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    if (r && strcmp(r, "mean") == 0) o->red = LG_REDUCTION_MEAN;
    else if (r && strcmp(r, "sum") == 0) o->red = LG_REDUCTION_SUM;
    else if (r && strcmp(r, "none") == 0) o->red = LG_REDUCTION_NONE;
    else if (r) lgL_argerror(L, ARG_OPTS, lua_pushfstring(L, "reduction must be 'mean', 'sum' "
                                                              "or 'none', got '%s'", r));
    else lgL_argerror(L, ARG_OPTS, lua_pushfstring(L, "reduction must be 'mean', 'sum' or "
                                                       "'none', got %s", luaL_typename(L, -1)));
  }
  lua_pop(L, 1);
  lua_getfield(L, ARG_OPTS, "label_smoothing");
  if (!lua_isnil(L, -1)) {
    char buf[40];
    if (lua_type(L, -1) != LUA_TNUMBER)
      lgL_argerror(L, ARG_OPTS, lua_pushfstring(L, "label_smoothing must be a number, got %s",
                                                 luaL_typename(L, -1)));
    o->eps = (double)lua_tonumber(L, -1);
    number_text(buf, sizeof buf, o->eps);
    if (!(o->eps >= 0.0 && o->eps <= 1.0))
      lgL_argerror(L, ARG_OPTS, lua_pushfstring(L, "label_smoothing must be in [0, 1], got %s", buf));
  }
  lua_pop(L, 1);
  lua_getfield(L, ARG_OPTS, "ignore_index");
  if (!lua_isnil(L, -1)) {
    int ok;
    int64_t v = lgC_tointeger(L, -1, &ok);
    if (!ok || v < -((int64_t)1 << 53) || v > ((int64_t)1 << 53)) {
      char buf[40];
      if (lua_type(L, -1) == LUA_TNUMBER) number_text(buf, sizeof buf, (double)lua_tonumber(L, -1));
      else snprintf(buf, sizeof buf, "%s", luaL_typename(L, -1));
      lgL_argerror(L, ARG_OPTS, lua_pushfstring(L, "ignore_index must be an integer, got %s", buf));
    }
    o->has_ignore = 1;
    o->ignore = (double)v;
  }
  lua_pop(L, 1);
  /* Tensors are converted once the logits' dtype and shape are known. */
  lua_getfield(L, ARG_OPTS, "weight");
  if (!lua_isnil(L, -1)) o->weight = lua_gettop(L);
  else lua_pop(L, 1);
  lua_getfield(L, ARG_OPTS, "pos_weight");
  if (!lua_isnil(L, -1)) o->pos_weight = lua_gettop(L);
  else lua_pop(L, 1);
}

/* opts.NAME (at stack idx) as a contiguous tensor of dtype dt, pushed:
 * a tensor, a number (0-d) or a flat table of numbers. */
static lg_tensor *opt_tensor(lua_State *L, int idx, lg_dtype dt, const char *name) {
  lg_tensor *t = lgL_test(L, idx);
  if (t != NULL) {
    if (t->st == NULL || t->st->data == NULL)
      lgL_argerror(L, ARG_OPTS, lua_pushfstring(L, "%s is a closed tensor", name));
    if (t->dtype != dt)
      lgL_argerror(L, ARG_OPTS, lua_pushfstring(L, "%s has dtype %s, expected %s", name,
                                                 lgL_dtypename(t->dtype), lgL_dtypename(dt)));
    lua_pushvalue(L, idx);
    return lgL_contiguous(L, -1);
  }
  if (lua_type(L, idx) == LUA_TNUMBER) {
    t = lgL_new(L, dt, 0, NULL);
    lg_set(dt, lgL_data(t), 0, (double)lua_tonumber(L, idx));
    return t;
  }
  if (lua_istable(L, idx)) {
    int64_t n = (int64_t)lgC_rawlen(L, idx), i;
    if (n > LG_MAXNUMEL) n = LG_MAXNUMEL;
    t = lgL_new(L, dt, 1, &n);
    for (i = 0; i < n; i++) {
      lua_rawgeti(L, idx, (int)(i + 1));
      if (lua_type(L, -1) != LUA_TNUMBER)
        lgL_argerror(L, ARG_OPTS, lua_pushfstring(L, "%s must be a tensor or a flat table of "
                                                   "numbers (entry %d is a %s)", name, (int)(i + 1),
                                                   luaL_typename(L, -1)));
      lg_set(dt, lgL_data(t), i, (double)lua_tonumber(L, -1));
      lua_pop(L, 1);
    }
    return t;
  }
  lgL_argerror(L, ARG_OPTS, lua_pushfstring(L, "%s must be a tensor, a number or a table, got %s",
                                             name, luaL_typename(L, idx)));
  return NULL;
}

/* Class weights: C entries. */
static const void *class_weight(lua_State *L, const loss_opts *o, lg_dtype dt, int64_t c) {
  lg_tensor *w;
  if (!o->weight) return NULL;
  w = opt_tensor(L, o->weight, dt, "weight");
  if (w->ndim != 1 || w->size[0] != c) {
    const char *s = lgL_pushshape(L, w->ndim, w->size);
    lgL_argerror(L, ARG_OPTS, lua_pushfstring(L, "weight has shape %s, expected [%d] (one per "
                                                 "class)", s, (int)c));
  }
  return lgL_data(w);
}

/* ---- outputs ---------------------------------------------------------- */

/* The reduced loss as a Lua number, rounded to the logits' dtype as torch
 * returns a tensor of that dtype. */
static void push_loss(lua_State *L, lg_dtype dt, double v) {
  lua_pushnumber(L, (lua_Number)(dt == LG_F32 ? (double)(float)v : v));
}

/* The end of every loss: move temporaries into out and grad, then return
 * (grad, loss) or the loss, where the loss is the per-sample tensor at
 * lossidx or else the reduced number. Temporaries may stay on the stack:
 * the results are pushed again on top. */
static int push_results(lua_State *L, lg_dtype dt, lg_tensor *losses, lg_tensor *lw,
                        lg_tensor *grad, lg_tensor *gw, int want_grad, int gradidx,
                        int lossidx, double loss) {
  if (lw) lgL_finish(L, losses, lw);
  if (gw && gw != grad) {
    lg_array a, b;
    lgL_array(grad, &a);
    lgL_array(gw, &b);
    lg_copy(&a, &b);
  }
  if (want_grad) lua_pushvalue(L, gradidx);
  if (lossidx) lua_pushvalue(L, lossidx);
  else push_loss(L, dt, loss);
  return want_grad ? 2 : 1;
}

/* ---- targets ---------------------------------------------------------- */

/* The rank of the target at ARG_Y: a number is 0-d, a table's rank comes
 * from its first entry ({} is 1-d, as lg.tensor{} is). */
static int target_rank(lua_State *L) {
  lg_tensor *t = lgL_test(L, ARG_Y);
  int r = 0;
  if (t) return t->ndim;
  if (lua_type(L, ARG_Y) == LUA_TNUMBER) return 0;
  if (!lua_istable(L, ARG_Y))
    lgL_typeerror(L, ARG_Y, "class index, table or " LG_TENSOR_MT);
  lua_pushvalue(L, ARG_Y);
  while (lua_istable(L, -1) && r <= LG_MAXDIM) {
    r++;
    if (lgC_rawlen(L, -1) == 0) break;
    lua_rawgeti(L, -1, 1);
    lua_remove(L, -2);
  }
  lua_pop(L, 1);
  return r;
}

/* One class index v (1-based) of sample i -> 0-based, -1 when ignored. */
static int64_t class_index(lua_State *L, const char *fn_single, double v, int64_t i,
                           int64_t c, const loss_opts *o) {
  int bad_int = !(v == floor(v)) || isinf(v);
  if (!bad_int && o->has_ignore && v == o->ignore) return -1;
  if (bad_int || v < 1 || v > (double)c) {
    /* Formatted only here: doing it per target cost more than the loss. */
    char num[40], at[48];
    number_text(num, sizeof num, v);
    if (fn_single) at[0] = '\0';
    else snprintf(at, sizeof at, " at sample %lld", (long long)(i + 1));
    if (bad_int)
      lgL_argerror(L, ARG_Y, lua_pushfstring(L, "target %s%s is not an integer", num, at));
    lgL_argerror(L, ARG_Y, lua_pushfstring(L, "target %s out of range for %d classes%s", num,
                                            (int)c, at));
  }
  return (int64_t)v - 1;
}

/* Class-index targets for n samples into a scratch array (pushed). */
static int64_t *index_targets(lua_State *L, int single, int64_t n, int64_t c, const loss_opts *o) {
  int64_t *t = (int64_t *)lgL_scratch(L, (uint64_t)(n > 0 ? n : 0), sizeof(int64_t));
  lg_tensor *y = lgL_test(L, ARG_Y);
  const char *s1 = single ? "" : NULL;
  int64_t i, len;
  if (single && y == NULL) {   /* a number */
    t[0] = class_index(L, s1, (double)lua_tonumber(L, ARG_Y), 0, c, o);
    return t;
  }
  if (y) lgL_check(L, ARG_Y);
  len = y ? (single ? 1 : y->size[0]) : (int64_t)lgC_rawlen(L, ARG_Y);
  if (len != n)
    lgL_argerror(L, ARG_Y, lua_pushfstring(L, "target has %d %s, expected %d (one per sample)",
                                            (int)len, len == 1 ? "entry" : "entries", (int)n));
  for (i = 0; i < n; i++) {
    double v;
    if (y) {
      v = lg_get(y->dtype, lgL_data(y), single ? 0 : i * y->stride[0]);
    } else {
      lua_rawgeti(L, ARG_Y, (int)(i + 1));
      if (lua_type(L, -1) != LUA_TNUMBER)
        lgL_argerror(L, ARG_Y, lua_pushfstring(L, "target at sample %d is a %s, expected a class "
                                                "index", (int)(i + 1), luaL_typename(L, -1)));
      v = (double)lua_tonumber(L, -1);
      lua_pop(L, 1);
    }
    t[i] = class_index(L, s1, v, i, c, o);
  }
  return t;
}

/* Probability targets: the logits' dtype and shape, contiguous, at ARG_Y. */
static lg_tensor *prob_targets(lua_State *L, const lg_tensor *z) {
  lg_tensor *y = lgL_checkin(L, ARG_Y, (int)z->dtype);
  if (y->ndim != z->ndim || (z->ndim && memcmp(y->size, z->size, (size_t)z->ndim * sizeof(int64_t)))) {
    const char *a = lgL_pushshape(L, y->ndim, y->size);
    const char *b = lgL_pushshape(L, z->ndim, z->size);
    lgL_argerror(L, ARG_Y, lua_pushfstring(L, "target has shape %s, expected the logits' shape %s", a, b));
  }
  return lgL_contiguous(L, ARG_Y);
}

static void bad_target_rank(lua_State *L, const lg_tensor *z, int rank, int probs_ok) {
  const char *zs = lgL_pushshape(L, z->ndim, z->size);
  const char *idx = z->ndim == 1 ? "a class index"
                                 : lua_pushfstring(L, "class indices of shape [%d]", (int)z->size[0]);
  if (probs_ok)
    lgL_argerror(L, ARG_Y, lua_pushfstring(L, "target is %d-d, expected %s or probabilities of "
                                            "shape %s", rank, idx, zs));
  lgL_argerror(L, ARG_Y, lua_pushfstring(L, "target is %d-d, expected %s", rank, idx));
}

/* Logits (or log-probabilities) at ARG_Z: 1-d [C] or 2-d [N][C], contiguous. */
static lg_tensor *check_logits(lua_State *L) {
  lg_tensor *z = lgL_checkin(L, ARG_Z, -1);
  if (z->ndim != 1 && z->ndim != 2)
    lgL_argerror(L, ARG_Z, lua_pushfstring(L, "1-d [C] or 2-d [N, C] tensor expected, got %d-d",
                                            z->ndim));
  return lgL_contiguous(L, ARG_Z);
}

static int kernel_error(lua_State *L, int st, size_t bad) {
  if (st == LG_ERANGE)
    return lgL_argerror(L, ARG_Y, lua_pushfstring(L, "target out of range at sample %d", (int)bad + 1));
  if (st == LG_ENOMEM) return lgL_nomem(L, "its scratch space");
  return lgL_argerror(L, ARG_OPTS, "invalid option value");
}

/* ---- cross_entropy and nll_loss ---------------------------------------- */

/* A large class-target cross-entropy runs on the state's threads in the
 * kernel's blocks of rows (lg_cross_entropy_blocks), each block's sums in
 * its own slot, so the loss is the same for every thread count. */
typedef struct ce_job {
  const lg_ce_plan *plan;
  size_t rows;   /* per block */
  double (*sums)[2];
} ce_job;

static void ce_blocks(void *ctx, size_t lo, size_t hi) {
  const ce_job *j = (const ce_job *)ctx;
  size_t b;
  for (b = lo; b < hi; b++) {
    size_t r0 = b * j->rows, r1 = j->plan->n - r0 < j->rows ? j->plan->n : r0 + j->rows;
    lg_cross_entropy_rows(j->plan, r0, r1, j->sums[b]);
  }
}

/* lg_cross_entropy_f32/f64 over n * c >= LG_POOL_MIN_WORK logits, in blocks.
 * Call after the last allocation (lgL_pool). */
static int ce_split(lua_State *L, lg_dtype dt, size_t n, size_t c, const void *z,
                    const int64_t *target, const void *weight, int64_t ign, double eps,
                    lg_reduction red, void *losses, double *loss, void *grad, size_t *bad) {
  lg_ce_plan plan;
  double sums[LG_CE_BLOCKS][2];
  ce_job j;
  size_t rows, nb;
  int st = lg_cross_entropy_plan(&plan, dt, n, c, z, target, weight, ign, eps, red, losses, grad,
                                 bad);
  if (st != LG_OK) return st;
  nb = lg_cross_entropy_blocks(n, c, &rows);
  j.plan = &plan;
  j.rows = rows;
  j.sums = sums;
  lg_pool_for(lgL_pool(L, n * c), nb, rows * c, 1, ce_blocks, &j);
  *loss = lg_cross_entropy_blocks_loss(&plan, nb, (const double (*)[2])sums);
  return LG_OK;
}

/* cross_entropy / nll_loss, with or without the gradient. nll: z holds
 * log-probabilities and only class-index targets are taken. */
static int class_loss(lua_State *L, int nll, int want_grad) {
  loss_opts o;
  lg_tensor *z, *yp = NULL, *grad = NULL, *gw = NULL, *losses = NULL, *lw = NULL;
  const void *weight;
  const int64_t *target = NULL;
  int64_t n, c, nsize[1];
  int rank, single, st, lossidx = 0, gradidx = 0;
  double loss = 0;
  size_t bad = 0;
  lua_settop(L, ARG_OUT);
  parse_opts(L, nll ? OPT_REDUCTION | OPT_WEIGHT | OPT_IGNORE
                    : OPT_REDUCTION | OPT_WEIGHT | OPT_IGNORE | OPT_SMOOTHING, &o);
  z = check_logits(L);
  single = z->ndim == 1;
  n = single ? 1 : z->size[0];
  c = z->size[z->ndim - 1];
  nsize[0] = n;
  weight = class_weight(L, &o, z->dtype, c);
  rank = target_rank(L);
  if (rank == z->ndim - 1) {
    target = index_targets(L, single, n, c, &o);
  } else if (rank == z->ndim && !nll) {
    if (o.has_ignore && o.ignore >= 1)
      lgL_argerror(L, ARG_OPTS, "ignore_index is not supported with probability targets");
    yp = prob_targets(L, z);
  } else {
    bad_target_rank(L, z, rank, !nll);
  }
  /* Outputs, in the order they are returned. */
  if (want_grad) {
    grad = lgL_out(L, ARG_OUT, z->dtype, z->ndim, z->size);
    gradidx = lua_gettop(L);
    gw = lgL_dest(L, grad, lgL_clash(grad, z, 1) || (yp && lgL_clash(grad, yp, 0)) ||
                       (o.weight && lgL_clash(grad, lgL_test(L, o.weight), 0)));
  }
  if (o.red == LG_REDUCTION_NONE) {
    if (want_grad) losses = lgL_new(L, z->dtype, single ? 0 : 1, nsize);
    else losses = lgL_out(L, ARG_OUT, z->dtype, single ? 0 : 1, nsize);
    lossidx = lua_gettop(L);
    lw = lgL_dest(L, losses, lgL_clash(losses, z, 0) || (yp && lgL_clash(losses, yp, 0)) ||
                         (o.weight && lgL_clash(losses, lgL_test(L, o.weight), 0)));
  } else if (!want_grad && !lua_isnil(L, ARG_OUT)) {
    return lgL_argerror(L, ARG_OUT, "out holds per-sample losses: it needs reduction 'none'");
  }
  {
    void *g, *ls;
    lgL_recheck(L);   /* after the last allocation: every input still open */
    g = gw ? lgL_data(gw) : NULL;
    ls = lw ? lgL_data(lw) : NULL;
    int64_t ign = o.has_ignore ? -1 : LG_NO_IGNORE;
    const void *zd = lgL_data(z);
    size_t un = (size_t)n, uc = (size_t)c;
    if (z->dtype == LG_F64) {
      if (nll)
        st = lg_nll_loss_f64(un, uc, (const double *)zd, target, (const double *)weight, ign,
                             o.red, (double *)ls, &loss, (double *)g, &bad);
      else if (yp)
        st = lg_cross_entropy_prob_f64(un, uc, (const double *)zd, (const double *)lgL_data(yp),
                                       (const double *)weight, o.eps, o.red, (double *)ls, &loss,
                                       (double *)g);
      else if (un * uc >= LG_POOL_MIN_WORK)
        st = ce_split(L, LG_F64, un, uc, zd, target, weight, ign, o.eps, o.red, ls, &loss, g, &bad);
      else
        st = lg_cross_entropy_f64(un, uc, (const double *)zd, target, (const double *)weight, ign,
                                  o.eps, o.red, (double *)ls, &loss, (double *)g, &bad);
    } else {
      if (nll)
        st = lg_nll_loss_f32(un, uc, (const float *)zd, target, (const float *)weight, ign,
                             o.red, (float *)ls, &loss, (float *)g, &bad);
      else if (yp)
        st = lg_cross_entropy_prob_f32(un, uc, (const float *)zd, (const float *)lgL_data(yp),
                                       (const float *)weight, o.eps, o.red, (float *)ls, &loss,
                                       (float *)g);
      else if (un * uc >= LG_POOL_MIN_WORK)
        st = ce_split(L, LG_F32, un, uc, zd, target, weight, ign, o.eps, o.red, ls, &loss, g, &bad);
      else
        st = lg_cross_entropy_f32(un, uc, (const float *)zd, target, (const float *)weight, ign,
                                  o.eps, o.red, (float *)ls, &loss, (float *)g, &bad);
    }
  }
  if (st != LG_OK) return kernel_error(L, st, bad);
  return push_results(L, z->dtype, losses, lw, grad, gw, want_grad, gradidx, lossidx, loss);
}

static int l_cross_entropy(lua_State *L) { return class_loss(L, 0, 0); }
static int l_cross_entropy_grad(lua_State *L) { return class_loss(L, 0, 1); }
static int l_nll_loss(lua_State *L) { return class_loss(L, 1, 0); }
static int l_nll_loss_grad(lua_State *L) { return class_loss(L, 1, 1); }

/* ---- binary cross-entropy with logits ---------------------------------- */

/* opts.NAME broadcast to z's shape, as a contiguous tensor (pushed). */
static const void *bce_weight(lua_State *L, int idx, const lg_tensor *z, const char *name) {
  lg_tensor *w, *full;
  int nd;
  int64_t size[LG_MAXDIM];
  lg_array a, e, f;
  if (!idx) return NULL;
  w = opt_tensor(L, idx, z->dtype, name);
  if (lg_broadcast_shape(w->ndim, w->size, z->ndim, z->size, &nd, size) != LG_OK ||
      nd != z->ndim || (nd && memcmp(size, z->size, (size_t)nd * sizeof(int64_t)))) {
    const char *ws = lgL_pushshape(L, w->ndim, w->size);
    const char *zs = lgL_pushshape(L, z->ndim, z->size);
    lgL_argerror(L, ARG_OPTS, lua_pushfstring(L, "%s of shape %s does not broadcast to the "
                                                 "logits' shape %s", name, ws, zs));
  }
  if (w->ndim == z->ndim && !memcmp(w->size, z->size, (size_t)nd * sizeof(int64_t)))
    return lgL_data(w);   /* already the logits' shape, contiguous */
  full = lgL_new(L, z->dtype, z->ndim, z->size);
  lgL_recheck(L);
  lgL_array(w, &a);
  lg_expand(&a, z->ndim, z->size, &e);
  lgL_array(full, &f);
  lg_copy(&f, &e);
  return lgL_data(full);
}

static int bce(lua_State *L, int want_grad) {
  loss_opts o;
  lg_tensor *z, *y, *grad = NULL, *gw = NULL, *losses = NULL, *lw = NULL;
  const void *w, *pw;
  int st, gradidx = 0, lossidx = 0;
  double loss = 0;
  size_t cnt;
  lua_settop(L, ARG_OUT);
  parse_opts(L, OPT_REDUCTION | OPT_WEIGHT | OPT_POS_WEIGHT, &o);
  z = lgL_checkin(L, ARG_Z, -1);
  z = lgL_contiguous(L, ARG_Z);
  y = prob_targets(L, z);
  w = bce_weight(L, o.weight, z, "weight");
  pw = bce_weight(L, o.pos_weight, z, "pos_weight");
  cnt = (size_t)lgL_numel(z);
  if (want_grad) {
    grad = lgL_out(L, ARG_OUT, z->dtype, z->ndim, z->size);
    gradidx = lua_gettop(L);
    gw = lgL_dest(L, grad, lgL_clash(grad, z, 1) || lgL_clash(grad, y, 0) ||
                       (o.weight && lgL_clash(grad, lgL_test(L, o.weight), 0)) ||
                       (o.pos_weight && lgL_clash(grad, lgL_test(L, o.pos_weight), 0)));
  }
  if (o.red == LG_REDUCTION_NONE) {
    if (want_grad) losses = lgL_new(L, z->dtype, z->ndim, z->size);
    else losses = lgL_out(L, ARG_OUT, z->dtype, z->ndim, z->size);
    lossidx = lua_gettop(L);
    lw = lgL_dest(L, losses, lgL_clash(losses, z, 0) || lgL_clash(losses, y, 0) ||
                         (o.weight && lgL_clash(losses, lgL_test(L, o.weight), 0)) ||
                         (o.pos_weight && lgL_clash(losses, lgL_test(L, o.pos_weight), 0)));
  } else if (!want_grad && !lua_isnil(L, ARG_OUT)) {
    return lgL_argerror(L, ARG_OUT, "out holds per-element losses: it needs reduction 'none'");
  }
  /* Everything is the logits' shape by now: one row of cnt elements. */
  {
    void *g, *ls;
    lgL_recheck(L);   /* after the last allocation: every input still open */
    g = gw ? lgL_data(gw) : NULL;
    ls = lw ? lgL_data(lw) : NULL;
    if (z->dtype == LG_F64)
      st = lg_bce_with_logits_f64(1, cnt, (const double *)lgL_data(z), (const double *)lgL_data(y),
                                  (const double *)w, 0, 1, (const double *)pw, 0, 1, o.red,
                                  (double *)ls, &loss, (double *)g);
    else
      st = lg_bce_with_logits_f32(1, cnt, (const float *)lgL_data(z), (const float *)lgL_data(y),
                                  (const float *)w, 0, 1, (const float *)pw, 0, 1, o.red,
                                  (float *)ls, &loss, (float *)g);
  }
  if (st != LG_OK) return kernel_error(L, st, 0);
  return push_results(L, z->dtype, losses, lw, grad, gw, want_grad, gradidx, lossidx, loss);
}

static int l_bce(lua_State *L) { return bce(L, 0); }
static int l_bce_grad(lua_State *L) { return bce(L, 1); }

static const luaL_Reg funcs[] = {
  {"cross_entropy", l_cross_entropy}, {"cross_entropy_grad", l_cross_entropy_grad},
  {"nll_loss", l_nll_loss}, {"nll_loss_grad", l_nll_loss_grad},
  {"binary_cross_entropy_with_logits", l_bce},
  {"binary_cross_entropy_with_logits_grad", l_bce_grad}, {NULL, NULL}
};

void lgL_open_loss(lua_State *L, int mod, int meth) {
  /* losses read better as lg.cross_entropy(z, y): no methods */
  lgL_register(L, mod, funcs, meth, NULL);
}
