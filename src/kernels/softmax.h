/* softmax.h - softmax family kernels (plain C99, no Lua).
 *
 * Layout: x is contiguous and viewed as [outer][n][inner]; the softmax runs
 * along the middle dim of size n. inner == 1 (softmax over the last dim) is
 * the fast path; inner > 1 walks each column with stride inner.
 * outer == 0 or inner == 0: nothing is read or written.
 * Every sum is accumulated in double; float32 results are rounded once.
 * y may alias x (and gx may alias g or p) except for logsumexp, whose
 * output has another shape. None of these can fail, so they return void.
 * NaN/inf corners follow PyTorch 1.13 (see README.md, "Softmax family"). */
#ifndef LG_KERNELS_SOFTMAX_H
#define LG_KERNELS_SOFTMAX_H

#include "lg_common.h"

/* y = exp(x - m) / sum_j exp(x_j - m),  m = max_j x_j.
 * A row holding NaN or +inf gives all NaN; a row all -inf gives all NaN. */
LG_INTERNAL void lg_softmax_f32(size_t outer, size_t n, size_t inner, float *y, const float *x);
LG_INTERNAL void lg_softmax_f64(size_t outer, size_t n, size_t inner, double *y, const double *x);

/* y = (x - m) - log(sum_j exp(x_j - m)),  m = max_j x_j (never log(softmax)).
 * Same NaN corners as softmax. */
LG_INTERNAL void lg_log_softmax_f32(size_t outer, size_t n, size_t inner, float *y, const float *x);
LG_INTERNAL void lg_log_softmax_f64(size_t outer, size_t n, size_t inner, double *y, const double *x);

/* y[o][k] = m' + log(sum_j exp(x[o][j][k] - m')),  m' = max_j x (0 if that
 * max is +-inf, as torch.logsumexp does): a row all -inf gives -inf, a row
 * with +inf gives +inf, NaN gives NaN, n == 0 gives -inf.
 * y is [outer][inner] and must not overlap x. */
LG_INTERNAL void lg_logsumexp_f32(size_t outer, size_t n, size_t inner, float *y, const float *x);
LG_INTERNAL void lg_logsumexp_f64(size_t outer, size_t n, size_t inner, double *y, const double *x);

/* y = one-hot of argmax_j x_j: the first maximum on ties, and, like
 * torch.argmax, the first NaN counts as the maximum. Output is 0/1 only. */
LG_INTERNAL void lg_hardmax_f32(size_t outer, size_t n, size_t inner, float *y, const float *x);
LG_INTERNAL void lg_hardmax_f64(size_t outer, size_t n, size_t inner, double *y, const double *x);

/* gx = p * (g - sum_j g_j p_j)   (p = softmax output, g = dL/dp) */
LG_INTERNAL void lg_softmax_backward_f32(size_t outer, size_t n, size_t inner,
                                         float *gx, const float *g, const float *p);
LG_INTERNAL void lg_softmax_backward_f64(size_t outer, size_t n, size_t inner,
                                         double *gx, const double *g, const double *p);

/* gx = g - exp(logp) * sum_j g_j   (logp = log_softmax output, g = dL/dlogp) */
LG_INTERNAL void lg_log_softmax_backward_f32(size_t outer, size_t n, size_t inner,
                                             float *gx, const float *g, const float *logp);
LG_INTERNAL void lg_log_softmax_backward_f64(size_t outer, size_t n, size_t inner,
                                             double *gx, const double *g, const double *logp);

/* A caller that splits a forward call (softmax, log_softmax, hardmax) of
 * dtype dt over [outer][n][inner] into parts of whole outer slices must
 * make each part a multiple of this many slices, so that a float32 call
 * that streams its output (rows of at most LG_VF_NT_ROW, LG_VF_NT_MIN
 * elements in all; simd.h) still streams in every part. */
LG_INTERNAL size_t lg_softmax_align(lg_dtype dt, size_t outer, size_t n, size_t inner);

/* The softmax Jacobians of rows rows of n float64 logits z: J[r][i][j] =
 * p_i [i == j] - p_i p_j, p = softmax(z_r) in double, each entry rounded
 * once to dt; the diagonal is p_i sum_{j != i} p_j, so a dominant class
 * keeps its digits. p and d are scratch of rows * n doubles; d may be z
 * (z is read only before d is written); J (rows * n * n elements of dt)
 * overlaps none of them. */
LG_INTERNAL void lg_softmax_jacobian(lg_dtype dt, size_t rows, size_t n, void *J, double *p,
                                     double *d, const double *z);

#endif
