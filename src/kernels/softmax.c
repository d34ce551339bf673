/* softmax.c - softmax family along the middle dim of [outer][n][inner].
 * Each row kernel sees n elements at stride s; the public functions call
 * it with s = 1 for inner == 1 (a contiguous, vectorisable row) and with
 * s = inner per column otherwise. */
#include <math.h>
#include "kernels/softmax.h"
#include "kernels/kutil.h"
#include "simd/simd.h"


/* softmax: m = max; e_j = exp(x_j - m) stored in y; scale by 1/sum e. */
LG_ALWAYS_INLINE void softmax_row(size_t n, size_t s, void *y, const void *x, int f64)
{
  double m = lg_rowmax(n, s, x, f64), sum = 0.0, r;
  size_t j;
  for (j = 0; j < n; j++) {   /* exp of the exact x - m (lg_sub_lo) */
    double xj = lg_ld(x, j * s, f64), d = xj - m, e = exp(d);
    e += e * lg_sub_lo(xj, m, d);
    lg_st(y, j * s, e, f64);
    sum += e;
  }
  r = 1.0 / sum;
  for (j = 0; j < n; j++)
    lg_st(y, j * s, lg_ld(y, j * s, f64) * r, f64);
}

/* log_softmax: (x_j - m) - log(sum exp(x_k - m)); m not adjusted for inf,
 * so a +inf or all -inf row gives NaN, as torch.log_softmax does. */
LG_ALWAYS_INLINE void log_softmax_row(size_t n, size_t s, void *y, const void *x, int f64)
{
  double m = lg_rowmax(n, s, x, f64), sum = 0.0, ls;
  size_t j;
  for (j = 0; j < n; j++)
    sum += exp(lg_ld(x, j * s, f64) - m);
  ls = log(sum);
  for (j = 0; j < n; j++)
    lg_st(y, j * s, (lg_ld(x, j * s, f64) - m) - ls, f64);
}

/* logsumexp: torch replaces an infinite max by 0, hence all -inf -> -inf
 * and any +inf -> +inf instead of NaN. n == 0 gives log(0) = -inf. */
LG_ALWAYS_INLINE double logsumexp_row(size_t n, size_t s, const void *x, int f64)
{
  double m = n ? lg_rowmax(n, s, x, f64) : 0.0, sum = 0.0;
  size_t j;
  if (isinf(m))
    m = 0.0;
  for (j = 0; j < n; j++)
    sum += exp(lg_ld(x, j * s, f64) - m);
  return log(sum) + m;
}

/* hardmax: first argmax, first NaN wins (torch.argmax); then one-hot. */
LG_ALWAYS_INLINE void hardmax_row(size_t n, size_t s, void *y, const void *x, int f64)
{
  double best = lg_ld(x, 0, f64);
  size_t j, arg = 0;
  for (j = 1; j < n && best == best; j++) {
    double v = lg_ld(x, j * s, f64);
    if (v > best || v != v) {
      best = v;
      arg = j;
    }
  }
  for (j = 0; j < n; j++)
    lg_st(y, j * s, j == arg ? 1.0 : 0.0, f64);
}

/* softmax backward: gx = p * (g - sum g*p). */
LG_ALWAYS_INLINE void softmax_bw_row(size_t n, size_t s, void *gx, const void *g,
                                     const void *p, int f64)
{
  double dot = 0.0;
  size_t j;
  for (j = 0; j < n; j++)
    dot += lg_ld(g, j * s, f64) * lg_ld(p, j * s, f64);
  for (j = 0; j < n; j++) {
    double pj = lg_ld(p, j * s, f64);
    lg_st(gx, j * s, pj * (lg_ld(g, j * s, f64) - dot), f64);
  }
}

/* log_softmax backward: gx = g - exp(logp) * sum g. */
LG_ALWAYS_INLINE void log_softmax_bw_row(size_t n, size_t s, void *gx, const void *g,
                                         const void *lp, int f64)
{
  double sg = 0.0;
  size_t j;
  for (j = 0; j < n; j++)
    sg += lg_ld(g, j * s, f64);
  for (j = 0; j < n; j++) {
    double gj = lg_ld(g, j * s, f64);
    lg_st(gx, j * s, gj - exp(lg_ld(lp, j * s, f64)) * sg, f64);
  }
}

/* The loop over [outer][n][inner]. `op` is a compile-time constant in each
 * caller, so after inlining only one row kernel remains in each wrapper. */
enum { OP_SOFTMAX, OP_LOG_SOFTMAX, OP_HARDMAX, OP_SOFTMAX_BW, OP_LOG_SOFTMAX_BW };

LG_ALWAYS_INLINE void row_op(int op, size_t n, size_t s, void *y, const void *a,
                             const void *b, int f64)
{
  switch (op) {
  case OP_SOFTMAX: softmax_row(n, s, y, a, f64); break;
  case OP_LOG_SOFTMAX: log_softmax_row(n, s, y, a, f64); break;
  case OP_HARDMAX: hardmax_row(n, s, y, a, f64); break;
  case OP_SOFTMAX_BW: softmax_bw_row(n, s, y, a, b, f64); break;
  default: log_softmax_bw_row(n, s, y, a, b, f64); break;
  }
}

LG_ALWAYS_INLINE void run(int op, size_t outer, size_t n, size_t inner, void *y,
                          const void *a, const void *b, int f64)
{
  size_t es = f64 ? sizeof(double) : sizeof(float), o, k;
  if (n == 0 || inner == 0)
    return;
  for (o = 0; o < outer; o++) {
    size_t base = o * n * inner;
    if (inner == 1) {
      /* literal stride 1: the fast, contiguous path */
      row_op(op, n, 1, (char *)y + base * es, (const char *)a + base * es,
             b ? (const char *)b + base * es : NULL, f64);
    } else {
      for (k = 0; k < inner; k++)
        row_op(op, n, inner, (char *)y + (base + k) * es,
               (const char *)a + (base + k) * es,
               b ? (const char *)b + (base + k) * es : NULL, f64);
    }
  }
}

/* float32 over the last dim (inner == 1) takes the vector path (simd/rows.h):
 * exp, store and sum fused in one pass, sums still in double. */
void lg_softmax_f32(size_t outer, size_t n, size_t inner, float *y, const float *x)
{
  if (inner == 1) lg_vsoftmax_f32(LG_VS_SOFTMAX, outer, n, y, x);
  else run(OP_SOFTMAX, outer, n, inner, y, x, NULL, 0);
}
void lg_softmax_f64(size_t outer, size_t n, size_t inner, double *y, const double *x)
{ run(OP_SOFTMAX, outer, n, inner, y, x, NULL, 1); }

void lg_log_softmax_f32(size_t outer, size_t n, size_t inner, float *y, const float *x)
{
  if (inner == 1) lg_vsoftmax_f32(LG_VS_LOG_SOFTMAX, outer, n, y, x);
  else run(OP_LOG_SOFTMAX, outer, n, inner, y, x, NULL, 0);
}
void lg_log_softmax_f64(size_t outer, size_t n, size_t inner, double *y, const double *x)
{ run(OP_LOG_SOFTMAX, outer, n, inner, y, x, NULL, 1); }

void lg_hardmax_f32(size_t outer, size_t n, size_t inner, float *y, const float *x)
{ run(OP_HARDMAX, outer, n, inner, y, x, NULL, 0); }
void lg_hardmax_f64(size_t outer, size_t n, size_t inner, double *y, const double *x)
{ run(OP_HARDMAX, outer, n, inner, y, x, NULL, 1); }

void lg_softmax_backward_f32(size_t outer, size_t n, size_t inner,
                             float *gx, const float *g, const float *p)
{ run(OP_SOFTMAX_BW, outer, n, inner, gx, g, p, 0); }
void lg_softmax_backward_f64(size_t outer, size_t n, size_t inner,
                             double *gx, const double *g, const double *p)
{ run(OP_SOFTMAX_BW, outer, n, inner, gx, g, p, 1); }

void lg_log_softmax_backward_f32(size_t outer, size_t n, size_t inner,
                                 float *gx, const float *g, const float *logp)
{ run(OP_LOG_SOFTMAX_BW, outer, n, inner, gx, g, logp, 0); }
void lg_log_softmax_backward_f64(size_t outer, size_t n, size_t inner,
                                 double *gx, const double *g, const double *logp)
{ run(OP_LOG_SOFTMAX_BW, outer, n, inner, gx, g, logp, 1); }

/* logsumexp reduces the n dim away: y is [outer][inner]. */
LG_ALWAYS_INLINE void lse_run(size_t outer, size_t n, size_t inner, void *y,
                              const void *x, int f64)
{
  size_t es = f64 ? sizeof(double) : sizeof(float), o, k;
  for (o = 0; o < outer; o++)
    for (k = 0; k < inner; k++)
      lg_st(y, o * inner + k,
            logsumexp_row(n, inner, (const char *)x + (o * n * inner + k) * es, f64), f64);
}

void lg_logsumexp_f32(size_t outer, size_t n, size_t inner, float *y, const float *x)
{
  if (inner == 1) lg_vsoftmax_f32(LG_VS_LOGSUMEXP, outer, n, y, x);
  else lse_run(outer, n, inner, y, x, 0);
}
void lg_logsumexp_f64(size_t outer, size_t n, size_t inner, double *y, const double *x)
{ lse_run(outer, n, inner, y, x, 1); }

/* d_i = p_i (1 - p_i) with 1 - p_i as the sum of the other p_j: for a
 * dominant class p_i rounds to 1 and 1 - p_i would be 0 (or one ulp of 1),
 * while the other probabilities still hold it to full precision. O(n^2)
 * per row, as the Jacobian it is for. */
static void jacobian_diag(size_t rows, size_t n, double *d, const double *p)
{
  size_t r, i, j;
  for (r = 0; r < rows; r++) {
    const double *pr = p + r * n;
    for (i = 0; i < n; i++) {
      double o = 0.0;
      for (j = 0; j < n; j++)
        if (j != i) o += pr[j];
      d[r * n + i] = pr[i] * o;
    }
  }
}

void lg_softmax_jacobian(lg_dtype dt, size_t rows, size_t n, void *J, double *p, double *d,
                         const double *z)
{
  const int f64 = dt == LG_F64;
  size_t r, i, j;
  lg_softmax_f64(rows, n, 1, p, z);
  jacobian_diag(rows, n, d, p);
  for (r = 0; r < rows; r++) {
    const double *pr = p + r * n;
    for (i = 0; i < n; i++)
      for (j = 0; j < n; j++)
        lg_st(J, (r * n + i) * n + j, i == j ? d[r * n + i] : -(pr[i] * pr[j]), f64);
  }
}

size_t lg_softmax_align(lg_dtype dt, size_t outer, size_t n, size_t inner)
{
  if (dt == LG_F32 && inner == 1 && n > 0 && n <= LG_VF_NT_ROW && outer * n >= LG_VF_NT_MIN)
    return (LG_VF_NT_MIN + n - 1) / n;
  return 1;
}
