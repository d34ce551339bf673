/* loss.c - cross-entropy, nll and BCE-with-logits with fused gradients.
 * As in softmax.c, one body per loss takes a constant f64 flag and is
 * inlined into the _f32/_f64 wrappers. */
#include <math.h>
#include "kernels/loss.h"
#include "kernels/kutil.h"
#include "simd/simd.h"
#include "core/pool.h"   /* LG_POOL_MIN_WORK: the size of a part worth a thread */

static int bad_reduction(lg_reduction r)
{
  return r != LG_REDUCTION_NONE && r != LG_REDUCTION_MEAN && r != LG_REDUCTION_SUM;
}

static int is_ignored(int64_t t, int64_t ignore_index)
{
  return ignore_index != LG_NO_IGNORE && t == ignore_index;
}

/* Checks class targets and sums w[t_i] over the counted samples: the
 * divisor of "mean". Runs before any output is written. */
LG_ALWAYS_INLINE int check_targets(size_t n, size_t c, const int64_t *target,
                                   const void *weight, int64_t ignore_index,
                                   double *wsum, size_t *bad, int f64)
{
  double W = 0.0;
  size_t i;
  for (i = 0; i < n; i++) {
    int64_t t = target[i];
    if (is_ignored(t, ignore_index))
      continue;
    if (t < 0 || (uint64_t)t >= (uint64_t)c) {
      if (bad)
        *bad = i;
      return LG_ERANGE;
    }
    W += weight ? lg_ld(weight, (size_t)t, f64) : 1.0;
  }
  *wsum = W;
  return LG_OK;
}

/* Cross-entropy, class-index targets, in three steps so a caller may
 * split the rows (lg_cross_entropy_plan in loss.h): ce_plan checks and
 * takes the whole batch's W, ce_rows does rows [lo, hi), ce_loss reduces. */
LG_ALWAYS_INLINE int ce_plan(lg_ce_plan *pl, size_t n, size_t c, const void *z,
                             const int64_t *target, const void *weight, int64_t ignore_index,
                             double eps, lg_reduction red, void *losses, void *grad,
                             size_t *bad, int f64)
{
  double W, wall = 0.0;
  size_t j;
  int st;

  if (bad_reduction(red) || !(eps >= 0.0 && eps <= 1.0))
    return LG_EVALUE;
  st = check_targets(n, c, target, weight, ignore_index, &W, bad, f64);
  if (st != LG_OK)
    return st;
  for (j = 0; j < c; j++)
    wall += weight ? lg_ld(weight, j, f64) : 1.0;
  pl->n = n;
  pl->c = c;
  pl->z = z;
  pl->target = target;
  pl->weight = weight;
  pl->ignore_index = ignore_index;
  pl->eps = eps;
  pl->red = red;
  pl->losses = losses;
  pl->grad = grad;
  pl->W = W;
  pl->wall = wall;
  pl->a = red == LG_REDUCTION_MEAN ? 1.0 / W : 1.0;
  pl->f64 = f64;
  return LG_OK;
}

/* Per row: a max pass, an exp-sum pass that leaves e_j = exp(z_j - m) in
 * grad, and a pass that turns e_j into the gradient. z_t is taken during
 * the exp-sum pass so grad may alias z. float32 without smoothing
 * pipelines the rows (lg_vexpsum_f32): row i's exp pass also takes row
 * i+1's max and writes row i-1's gradient, never past this part's rows
 * (another thread may be writing a grad that aliases z there). */
LG_ALWAYS_INLINE void ce_rows(const lg_ce_plan *pl, size_t lo, size_t hi, double *sums, int f64)
{
  size_t n = pl->n, c = pl->c, es = f64 ? sizeof(double) : sizeof(float), i, j;
  const void *z = pl->z, *weight = pl->weight;
  const int64_t *target = pl->target;
  int64_t ignore_index = pl->ignore_index;
  double eps = pl->eps, wall = pl->wall, a = pl->a, nll_sum = 0.0, smooth_sum = 0.0;
  double nll_c = 0.0, smooth_c = 0.0;   /* lg_kadd's compensations */
  double ec = eps / (double)c;
  void *losses = pl->losses, *grad = pl->grad;
  size_t mrow = (size_t)-1;
  int nti, pend = 0;
  /* a large float32 grad (>= 8 MB, the whole batch's): e_j goes to an L1
   * buffer (two: the previous row's is read while this row's is written)
   * and the grad row is written once, with non-temporal stores (no read
   * of the line) */
  float ebuf[2][LG_VF_NT_ROW], mnext = 0.0f;
  lg_vpend prev = { NULL, NULL, 0.0f, 0, 0, 0.0f };
  const int nt = !f64 && eps == 0.0 && grad && c <= LG_VF_NT_ROW && n * c >= LG_VF_NT_MIN;
  const int pipe = c >= 64 || nt;   /* short rows: the pipeline's extra work costs more */

  /* float32 without smoothing, short rows: the level's block kernel (8 rows
   * at a time, simd/ce.h), if it has one for c; then no row is left here */
  if (!f64 && eps == 0.0 && hi > lo &&
      lg_vce_f32(hi - lo, c, (const float *)z + lo * c, target + lo, (const float *)weight,
                 ignore_index, a, losses ? (float *)losses + lo : NULL,
                 grad ? (float *)grad + lo * c : NULL, &nll_sum))
    hi = lo;

  for (i = lo; i < hi; i++) {
    const void *zi = (const char *)z + i * c * es;
    void *gi = grad ? (char *)grad + i * c * es : NULL;
    int64_t t = target[i];
    int ign = is_ignored(t, ignore_index);
    double m, s = 0.0, A = 0.0, dt = 0.0, ls, li = 0.0;

    if (c == 0 || (ign && !gi)) {   /* c == 0 only reaches here ignored */
      if (losses)
        lg_st(losses, i, 0.0, f64);
      continue;
    }
    if (f64) m = lg_rowmax(c, 1, zi, f64);
    else m = mrow == i ? (double)mnext : (double)lg_vmax_f32(c, (const float *)zi);
    nti = nt && !ign && m - m == 0.0;
    if (!f64 && eps == 0.0 && m - m == 0.0) {
      /* float32 fast path (simd/rows.h): exp, store and sum fused; m finite */
      const float *zn = pipe && i + 1 < hi ? (const float *)zi + c : NULL;
      if (!ign) dt = lg_ld(zi, (size_t)t, f64) - m;   /* before grad overwrites z */
      s = lg_vexpsum_f32(c, nti ? ebuf[i & 1] : (float *)gi, (const float *)zi, (float)m,
                         zn, &mnext, zn && i + 2 < hi ? (const float *)zi + 2 * c : NULL,
                         pend ? &prev : NULL);
      mrow = zn ? i + 1 : mrow;
      pend = 0;
    } else {
      if (pend) {   /* the previous row's gradient, before this row's scalar loop */
        lg_vpendout_f32(c, &prev);
        pend = 0;
      }
      for (j = 0; j < c; j++) {
        double zj = lg_ld(zi, j, f64), d = zj - m, e = exp(d);
        if (gi) {   /* the gradient's e: exp of the exact z - m */
          e += e * lg_sub_lo(zj, m, d);
          lg_st(gi, j, e, f64);
        }
        s += e;
        if ((int64_t)j == t)
          dt = d;
        if (eps > 0.0)   /* sum_c w_c (z_c - m); w_c * d keeps torch's 0 * -inf = NaN */
          A += weight ? lg_ld(weight, j, f64) * d : d;
      }
    }
    ls = log(s);

    if (ign) {
      /* torch's backward gives g - p * sum(g) = p * 0 here: 0, or NaN
       * when the row's softmax is NaN */
      for (j = 0; j < c; j++)
        lg_st(gi, j, lg_ld(gi, j, f64) / s * 0.0, f64);
    } else {
      double wt = weight ? lg_ld(weight, (size_t)t, f64) : 1.0;
      double nll = -(wt * (dt - ls)), S = wt;
      li = nll;
      lg_kadd(&nll_sum, &nll_c, nll);
      if (eps > 0.0) {
        double smooth = -(A - wall * ls);
        lg_kadd(&smooth_sum, &smooth_c, smooth);
        li = (1.0 - eps) * nll + ec * smooth;
        S = (1.0 - eps) * wt + ec * wall;
      }
      if (gi && !f64 && eps == 0.0) {
        /* float32, no smoothing: grad = a (p S - [j == t] wt), p = e / s,
         * written during the next row's pass (or after the loop) */
        prev.e = nti ? ebuf[i & 1] : (float *)gi;
        prev.y = (float *)gi;
        prev.f = (float)(a * S / s);
        prev.gt = (float)(a * ((double)prev.e[t] / s * S - wt));
        prev.t = (size_t)t;
        prev.nt = nti;
        pend = 1;
        if (!pipe) {   /* written now (plain stores: nt implies pipe) */
          float *g = prev.y, f = prev.f;
          for (j = 0; j < c; j++)
            g[j] *= f;
          g[t] = prev.gt;
          pend = 0;
        }
      } else if (gi) {
        for (j = 0; j < c; j++) {
          double q = eps > 0.0 ? ec * (weight ? lg_ld(weight, j, f64) : 1.0) : 0.0;
          if ((int64_t)j == t)
            q += (1.0 - eps) * wt;
          lg_st(gi, j, a * (lg_ld(gi, j, f64) / s * S - q), f64);
        }
      }
    }
    if (losses)
      lg_st(losses, i, li, f64);
  }

  if (pend || nt)   /* the last row's gradient, a store fence after streaming */
    lg_vpendout_f32(c, pend ? &prev : NULL);
  sums[0] = lg_kval(nll_sum, nll_c);
  sums[1] = lg_kval(smooth_sum, smooth_c);
}

LG_ALWAYS_INLINE double ce_loss(const lg_ce_plan *pl, const double *sums)
{
  double eps = pl->eps, ec = eps / (double)pl->c, W = pl->W;
  double nll_sum = sums[0], smooth_sum = sums[1];
  double r = eps > 0.0 ? (1.0 - eps) * nll_sum + ec * smooth_sum : nll_sum;
  if (pl->red == LG_REDUCTION_MEAN)
    r = eps > 0.0 ? (1.0 - eps) * (nll_sum / W) + ec * (smooth_sum / W) : nll_sum / W;
  return r;
}

LG_ALWAYS_INLINE int ce_index(size_t n, size_t c, const void *z, const int64_t *target,
                              const void *weight, int64_t ignore_index, double eps,
                              lg_reduction red, void *losses, double *loss, void *grad,
                              size_t *bad, int f64)
{
  lg_ce_plan pl;
  double sums[2];
  int st = ce_plan(&pl, n, c, z, target, weight, ignore_index, eps, red, losses, grad, bad, f64);
  if (st != LG_OK)
    return st;
  ce_rows(&pl, 0, n, sums, f64);
  if (loss)
    *loss = ce_loss(&pl, sums);
  return LG_OK;
}

/* y'_j = (1 - eps) y_j + eps/c (y_j itself when eps == 0), times w_j. */
LG_ALWAYS_INLINE double prob_q(const void *yi, const void *weight, size_t j, double eps,
                               double ec, int f64)
{
  double q = lg_ld(yi, j, f64);
  if (eps > 0.0)
    q = q * (1.0 - eps) + ec;
  return weight ? q * lg_ld(weight, j, f64) : q;
}

/* Cross-entropy, probability targets: loss_i = -sum_j q_j (d_j - ls) with
 * d_j = z_j - m, computed as -(sum q_j d_j - S ls); grad = a (p S - q). */
LG_ALWAYS_INLINE int ce_prob(size_t n, size_t c, const void *z, const void *target,
                             const void *weight, double eps, lg_reduction red,
                             void *losses, double *loss, void *grad, int f64)
{
  size_t es = f64 ? sizeof(double) : sizeof(float), i, j;
  double a, total = 0.0, tc = 0.0, ec = eps / (double)c;

  if (bad_reduction(red) || !(eps >= 0.0 && eps <= 1.0))
    return LG_EVALUE;
  a = red == LG_REDUCTION_MEAN ? 1.0 / (double)n : 1.0;

  for (i = 0; i < n; i++) {
    const void *zi = (const char *)z + i * c * es;
    const void *yi = (const char *)target + i * c * es;
    void *gi = grad ? (char *)grad + i * c * es : NULL;
    double m, s = 0.0, A = 0.0, S = 0.0, li;

    if (c == 0) {
      if (losses)
        lg_st(losses, i, 0.0, f64);
      continue;
    }
    m = lg_rowmax(c, 1, zi, f64);
    for (j = 0; j < c; j++) {
      double d = lg_ld(zi, j, f64) - m, e = exp(d), q = prob_q(yi, weight, j, eps, ec, f64);
      if (gi)
        lg_st(gi, j, e, f64);
      s += e;
      A += q * d;   /* q = 0 at a -inf logit gives NaN, as torch's 0 * -inf */
      S += q;
    }
    li = -(A - S * log(s));
    lg_kadd(&total, &tc, li);
    if (gi)
      for (j = 0; j < c; j++)
        lg_st(gi, j, a * (lg_ld(gi, j, f64) / s * S - prob_q(yi, weight, j, eps, ec, f64)),
              f64);
    if (losses)
      lg_st(losses, i, li, f64);
  }
  total = lg_kval(total, tc);
  if (loss)
    *loss = red == LG_REDUCTION_MEAN ? (n * c == 0 ? NAN : total / (double)n) : total;
  return LG_OK;
}

/* nll: loss_i = -w_t logp_t; grad row is 0 except -a w_t at t. */
LG_ALWAYS_INLINE int nll_body(size_t n, size_t c, const void *logp, const int64_t *target,
                         const void *weight, int64_t ignore_index, lg_reduction red,
                         void *losses, double *loss, void *grad, size_t *bad, int f64)
{
  size_t es = f64 ? sizeof(double) : sizeof(float), i, j;
  double W, a, total = 0.0, tc = 0.0;
  int st;

  if (bad_reduction(red))
    return LG_EVALUE;
  st = check_targets(n, c, target, weight, ignore_index, &W, bad, f64);
  if (st != LG_OK)
    return st;
  a = red == LG_REDUCTION_MEAN ? 1.0 / W : 1.0;
  for (i = 0; i < n; i++) {
    int64_t t = target[i];
    int ign = is_ignored(t, ignore_index);
    double wt = 0.0, li = 0.0;
    if (!ign) {
      wt = weight ? lg_ld(weight, (size_t)t, f64) : 1.0;
      li = -(wt * lg_ld(logp, i * c + (size_t)t, f64));
      lg_kadd(&total, &tc, li);
    }
    if (grad) {
      void *gi = (char *)grad + i * c * es;
      for (j = 0; j < c; j++)
        lg_st(gi, j, 0.0, f64);
      if (!ign)
        lg_st(gi, (size_t)t, wt * -a, f64);   /* torch: w_t * (-(1/W)) */
    }
    if (losses)
      lg_st(losses, i, li, f64);
  }
  total = lg_kval(total, tc);
  if (loss)
    *loss = red == LG_REDUCTION_MEAN ? total / W : total;
  return LG_OK;
}

/* sigmoid(z) and sigmoid(-z) = 1 - sigmoid(z), each without cancellation
 * or overflow (exp of a non-positive argument only). */
static void sigmoid2(double z, double *s, double *sn)
{
  double e = exp(-fabs(z)), big = 1.0 / (1.0 + e), small = e / (1.0 + e);
  *s = z >= 0.0 ? big : small;
  *sn = z >= 0.0 ? small : big;
  if (z != z) *s = *sn = z;
}

LG_ALWAYS_INLINE int bce_body(size_t n, size_t c, const void *z, const void *y,
                         const void *weight, size_t w_rs, size_t w_cs,
                         const void *pw, size_t pw_rs, size_t pw_cs, lg_reduction red,
                         void *losses, double *loss, void *grad, int f64)
{
  size_t i, j, nc = n * c;
  double a, total = 0.0, tc = 0.0;

  if (bad_reduction(red))
    return LG_EVALUE;
  a = red == LG_REDUCTION_MEAN ? 1.0 / (double)nc : 1.0;
  for (i = 0; i < n; i++) {
    for (j = 0; j < c; j++) {
      size_t k = i * c + j;
      double zk = lg_ld(z, k, f64), yk = lg_ld(y, k, f64), l, g;
      double w = weight ? lg_ld(weight, i * w_rs + j * w_cs, f64) : 1.0;
      /* torch's (1 - y) z + (1 + (p - 1) y) softplus(-z) and its gradient
       * (1 + (p - 1) y) sigmoid(z) - p y, rewritten as sums of terms that
       * are >= 0 for y in [0, 1] (softplus(z) - softplus(-z) = z):
       *   l = p y softplus(-z) + (1 - y) softplus(z),
       *   g = (1 - y) sigmoid(z) - p y sigmoid(-z),
       * so y = 0, z << 0 (l = softplus(z) tiny) and y = 1, z >> 0 (g =
       * -sigmoid(-z) tiny) lose nothing to cancellation. */
      double L = log1p(exp(-fabs(zk)));
      double spn = fmax(-zk, 0.0) + L, spp = fmax(zk, 0.0) + L, sg, sgn;
      double p = pw ? lg_ld(pw, i * pw_rs + j * pw_cs, f64) : 1.0, py = p * yk;
      sigmoid2(zk, &sg, &sgn);
      l = py * spn + (1.0 - yk) * spp;
      g = (1.0 - yk) * sg - py * sgn;
      if (zk == -INFINITY)
        l = NAN;   /* torch's exp(-z - max(-z,0)) is exp(inf - inf) there */
      if (weight) {
        l *= w;
        g *= w;
      }
      lg_kadd(&total, &tc, l);
      if (losses)
        lg_st(losses, k, l, f64);
      if (grad)
        lg_st(grad, k, g * a, f64);
    }
  }
  total = lg_kval(total, tc);
  if (loss)
    *loss = red == LG_REDUCTION_MEAN ? total / (double)nc : total;
  return LG_OK;
}

/* ---- dtype wrappers ---- */

int lg_cross_entropy_f32(size_t n, size_t c, const float *z, const int64_t *target,
                         const float *weight, int64_t ignore_index, double label_smoothing,
                         lg_reduction reduction, float *losses, double *loss, float *grad,
                         size_t *bad)
{
  return ce_index(n, c, z, target, weight, ignore_index, label_smoothing, reduction,
                  losses, loss, grad, bad, 0);
}

int lg_cross_entropy_f64(size_t n, size_t c, const double *z, const int64_t *target,
                         const double *weight, int64_t ignore_index, double label_smoothing,
                         lg_reduction reduction, double *losses, double *loss, double *grad,
                         size_t *bad)
{
  return ce_index(n, c, z, target, weight, ignore_index, label_smoothing, reduction,
                  losses, loss, grad, bad, 1);
}

int lg_cross_entropy_plan(lg_ce_plan *plan, lg_dtype dt, size_t n, size_t c, const void *z,
                          const int64_t *target, const void *weight, int64_t ignore_index,
                          double label_smoothing, lg_reduction reduction, void *losses,
                          void *grad, size_t *bad)
{
  if (dt == LG_F64)
    return ce_plan(plan, n, c, z, target, weight, ignore_index, label_smoothing, reduction,
                   losses, grad, bad, 1);
  return ce_plan(plan, n, c, z, target, weight, ignore_index, label_smoothing, reduction,
                 losses, grad, bad, 0);
}

void lg_cross_entropy_rows(const lg_ce_plan *plan, size_t lo, size_t hi, double sums[2])
{
  if (plan->f64)
    ce_rows(plan, lo, hi, sums, 1);
  else
    ce_rows(plan, lo, hi, sums, 0);
}

double lg_cross_entropy_loss(const lg_ce_plan *plan, const double sums[2])
{
  return ce_loss(plan, sums);
}

int lg_cross_entropy_prob_f32(size_t n, size_t c, const float *z, const float *target,
                              const float *weight, double label_smoothing,
                              lg_reduction reduction, float *losses, double *loss,
                              float *grad)
{
  return ce_prob(n, c, z, target, weight, label_smoothing, reduction, losses, loss, grad, 0);
}

int lg_cross_entropy_prob_f64(size_t n, size_t c, const double *z, const double *target,
                              const double *weight, double label_smoothing,
                              lg_reduction reduction, double *losses, double *loss,
                              double *grad)
{
  return ce_prob(n, c, z, target, weight, label_smoothing, reduction, losses, loss, grad, 1);
}

int lg_nll_loss_f32(size_t n, size_t c, const float *logp, const int64_t *target,
                    const float *weight, int64_t ignore_index, lg_reduction reduction,
                    float *losses, double *loss, float *grad, size_t *bad)
{
  return nll_body(n, c, logp, target, weight, ignore_index, reduction, losses, loss, grad, bad, 0);
}

int lg_nll_loss_f64(size_t n, size_t c, const double *logp, const int64_t *target,
                    const double *weight, int64_t ignore_index, lg_reduction reduction,
                    double *losses, double *loss, double *grad, size_t *bad)
{
  return nll_body(n, c, logp, target, weight, ignore_index, reduction, losses, loss, grad, bad, 1);
}

int lg_bce_with_logits_f32(size_t n, size_t c, const float *z, const float *y,
                           const float *weight, size_t w_rs, size_t w_cs,
                           const float *pos_weight, size_t pw_rs, size_t pw_cs,
                           lg_reduction reduction, float *losses, double *loss, float *grad)
{
  return bce_body(n, c, z, y, weight, w_rs, w_cs, pos_weight, pw_rs, pw_cs, reduction, losses,
             loss, grad, 0);
}

int lg_bce_with_logits_f64(size_t n, size_t c, const double *z, const double *y,
                           const double *weight, size_t w_rs, size_t w_cs,
                           const double *pos_weight, size_t pw_rs, size_t pw_cs,
                           lg_reduction reduction, double *losses, double *loss, double *grad)
{
  return bce_body(n, c, z, y, weight, w_rs, w_cs, pos_weight, pw_rs, pw_cs, reduction, losses,
             loss, grad, 1);
}

size_t lg_cross_entropy_blocks(size_t n, size_t c, size_t *rows)
{
  size_t r = c ? (LG_POOL_MIN_WORK / 2 + c - 1) / c : n;
  if (r < (n + LG_CE_BLOCKS - 1) / LG_CE_BLOCKS) r = (n + LG_CE_BLOCKS - 1) / LG_CE_BLOCKS;
  if (r == 0) r = 1;
  *rows = r;
  return (n + r - 1) / r;
}

double lg_cross_entropy_blocks_loss(const lg_ce_plan *plan, size_t nb, const double (*sums)[2])
{
  double tot[2] = { 0.0, 0.0 };
  size_t b;
  for (b = 0; b < nb; b++) {
    tot[0] += sums[b][0];
    tot[1] += sums[b][1];
  }
  return lg_cross_entropy_loss(plan, tot);
}
