/* lgrad_kernels.h - lgrad's kernels for C programs, without Lua.
 *
 * Plain C99; includes no Lua header. Link with lgrad's shared object
 * (lgrad/core.so), or compile src/lgrad_kernels.c and the .c files of
 * src/kernels/ and src/simd/ into your program with -Isrc (no Lua needed:
 * docs/embedding.md).
 *
 * Every function works on contiguous, row-major buffers and exists for
 * float32 (_f32) and float64 (_f64). Sums are accumulated in double and
 * float32 results are rounded once. NaN and infinity behave as in PyTorch
 * 1.13's torch.nn.functional; README.md states every formula
 * and corner case. None of these functions allocate Lua memory or keep
 * state between calls, beyond the SIMD level the first call chooses once
 * (atomically; docs/platforms.md, LGRAD_SIMD): any number of threads may
 * call them at once on buffers they do not share for writing.
 *
 * Stable API: names start with lgrad_, and the numeric values of the enums
 * and macros below never change. */
#ifndef LGRAD_KERNELS_H
#define LGRAD_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* Exported from lgrad's shared object (a DLL exports only these). */
#if defined(_WIN32) || defined(__CYGWIN__)
#if defined(LGRAD_BUILDING)
#define LGRAD_API __declspec(dllexport)
#else
#define LGRAD_API
#endif
#elif defined(__GNUC__)
#define LGRAD_API __attribute__((visibility("default")))
#else
#define LGRAD_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Element types (a tensor's dtype). */
enum { LGRAD_FLOAT32 = 0, LGRAD_FLOAT64 = 1 };

/* Most dims a tensor may have. */
#define LGRAD_MAXDIM 8

/* Status codes returned by the functions that can fail. */
enum {
  LGRAD_OK = 0,
  LGRAD_ERANGE = 1,  /* a class target is outside [0, c) (and not ignore_index) */
  LGRAD_ENOMEM = 2,  /* out of memory */
  LGRAD_EVALUE = 3   /* a bad value: unknown reduction or name, label_smoothing not in [0, 1] */
};

/* How a loss over n samples is reduced, as PyTorch's reduction=. */
enum { LGRAD_REDUCTION_NONE = 0, LGRAD_REDUCTION_MEAN = 1, LGRAD_REDUCTION_SUM = 2 };

/* ignore_index meaning "no class is ignored". */
#define LGRAD_NO_IGNORE INT64_MIN

/* ---- softmax family ------------------------------------------------------
 * x is viewed as [outer][n][inner] and the function runs along the middle
 * dim (for a [rows][classes] matrix over classes: outer = rows, n = classes,
 * inner = 1). y has x's shape and may be x itself (in place), except for
 * logsumexp whose y is [outer][inner] and must not overlap x. */

/* y = exp(x - m) / sum_j exp(x_j - m), m = max_j x_j */
LGRAD_API void lgrad_softmax_f32(size_t outer, size_t n, size_t inner, float *y, const float *x);
LGRAD_API void lgrad_softmax_f64(size_t outer, size_t n, size_t inner, double *y, const double *x);
/* y = (x - m) - log(sum_j exp(x_j - m)) */
LGRAD_API void lgrad_log_softmax_f32(size_t outer, size_t n, size_t inner, float *y, const float *x);
LGRAD_API void lgrad_log_softmax_f64(size_t outer, size_t n, size_t inner, double *y, const double *x);
/* y[o][k] = log(sum_j exp(x[o][j][k])), computed stably */
LGRAD_API void lgrad_logsumexp_f32(size_t outer, size_t n, size_t inner, float *y, const float *x);
LGRAD_API void lgrad_logsumexp_f64(size_t outer, size_t n, size_t inner, double *y, const double *x);
/* y = one-hot of argmax_j x_j (first maximum on ties; NaN counts as the maximum) */
LGRAD_API void lgrad_hardmax_f32(size_t outer, size_t n, size_t inner, float *y, const float *x);
LGRAD_API void lgrad_hardmax_f64(size_t outer, size_t n, size_t inner, double *y, const double *x);
/* gx = p * (g - sum_j g_j p_j), p = softmax output, g = dL/dp; gx may be g or p */
LGRAD_API void lgrad_softmax_backward_f32(size_t outer, size_t n, size_t inner,
                                          float *gx, const float *g, const float *p);
LGRAD_API void lgrad_softmax_backward_f64(size_t outer, size_t n, size_t inner,
                                          double *gx, const double *g, const double *p);
/* gx = g - exp(logp) * sum_j g_j, logp = log_softmax output; gx may be g or logp */
LGRAD_API void lgrad_log_softmax_backward_f32(size_t outer, size_t n, size_t inner,
                                              float *gx, const float *g, const float *logp);
LGRAD_API void lgrad_log_softmax_backward_f64(size_t outer, size_t n, size_t inner,
                                              double *gx, const double *g, const double *logp);

/* ---- losses --------------------------------------------------------------
 * Logits z are [n][c] (class dim last). Class targets are n int64_t values,
 * 0-BASED (unlike Lua's 1-based ones). Outputs may each be NULL:
 *   losses  per-sample losses, [n] ([n][c] for BCE), as reduction NONE gives;
 *   loss    the reduced loss (for NONE: the sum of the per-sample losses);
 *   grad    [n][c], dL/dz of *loss; grad may be z itself.
 * weight: c class weights, or NULL for all 1.
 * Returns LGRAD_OK, LGRAD_EVALUE (bad reduction or label_smoothing) or
 * LGRAD_ERANGE (a target outside [0, c) that is not ignore_index; the first
 * such sample's index goes to *bad if bad is not NULL). On error nothing
 * is written. */

/* Cross-entropy with class targets: mean = sum of w[t_i] * nll_i / sum of w[t_i]
 * over the counted samples; with weight == NULL, eps == 0 and MEAN the
 * gradient is (softmax(z) - onehot(t)) / n. */
LGRAD_API int lgrad_cross_entropy_f32(size_t n, size_t c, const float *z, const int64_t *target,
                                      const float *weight, int64_t ignore_index,
                                      double label_smoothing, int reduction, float *losses,
                                      double *loss, float *grad, size_t *bad);
LGRAD_API int lgrad_cross_entropy_f64(size_t n, size_t c, const double *z, const int64_t *target,
                                      const double *weight, int64_t ignore_index,
                                      double label_smoothing, int reduction, double *losses,
                                      double *loss, double *grad, size_t *bad);
/* Cross-entropy with probability targets y ([n][c], one-hot or soft);
 * mean divides by n. */
LGRAD_API int lgrad_cross_entropy_prob_f32(size_t n, size_t c, const float *z, const float *y,
                                           const float *weight, double label_smoothing,
                                           int reduction, float *losses, double *loss,
                                           float *grad);
LGRAD_API int lgrad_cross_entropy_prob_f64(size_t n, size_t c, const double *z, const double *y,
                                           const double *weight, double label_smoothing,
                                           int reduction, double *losses, double *loss,
                                           double *grad);
/* Negative log-likelihood of log-probabilities logp ([n][c]); grad = dL/dlogp. */
LGRAD_API int lgrad_nll_loss_f32(size_t n, size_t c, const float *logp, const int64_t *target,
                                 const float *weight, int64_t ignore_index, int reduction,
                                 float *losses, double *loss, float *grad, size_t *bad);
LGRAD_API int lgrad_nll_loss_f64(size_t n, size_t c, const double *logp, const int64_t *target,
                                 const double *weight, int64_t ignore_index, int reduction,
                                 double *losses, double *loss, double *grad, size_t *bad);
/* Binary cross-entropy with logits, elementwise over [n][c]:
 *   l = w ((1 - y) z + (1 + (pw - 1) y) softplus(-z)); mean divides by n*c.
 * weight / pos_weight (NULL: all 1) are read at element (i, j) as
 * weight[i*w_rs + j*w_cs]: a full [n][c] array has strides (c, 1), per class
 * [c] (0, 1), per sample [n] (1, 0), one scalar (0, 0). */
LGRAD_API int lgrad_bce_with_logits_f32(size_t n, size_t c, const float *z, const float *y,
                                        const float *weight, size_t w_rs, size_t w_cs,
                                        const float *pos_weight, size_t pw_rs, size_t pw_cs,
                                        int reduction, float *losses, double *loss, float *grad);
LGRAD_API int lgrad_bce_with_logits_f64(size_t n, size_t c, const double *z, const double *y,
                                        const double *weight, size_t w_rs, size_t w_cs,
                                        const double *pos_weight, size_t pw_rs, size_t pw_cs,
                                        int reduction, double *losses, double *loss,
                                        double *grad);

/* ---- activations ---------------------------------------------------------
 * Elementwise over n contiguous elements, by name: the names of Lua's
 * lg.activations ("sigmoid", "relu", "leaky_relu", "gelu", ...;
 * lgrad_activation_name lists them). Formulas, kinks and NaN/inf corners:
 * README.md, "Activations".
 * Parameters: NULL means PyTorch's defaults. Otherwise p[k] is the k-th
 * numeric parameter in the order of README.md's activation table (leaky_relu:
 * negative_slope; elu, celu: alpha; softplus: beta, threshold; hardtanh:
 * min_val, max_val) and mode a choice (gelu: 0 = "none", 1 = "tanh");
 * lgrad_activation_defaults fills in the defaults to start from.
 * Returns LGRAD_OK, or LGRAD_EVALUE for an unknown name or parameters
 * PyTorch rejects (celu alpha = 0, a bad mode); nothing is written then. */
typedef struct lgrad_act_params { double p[2]; int mode; } lgrad_act_params;

/* y[i] = f(x[i]); y may be x. */
LGRAD_API int lgrad_activation_f32(const char *name, size_t n, float *y, const float *x,
                                   const lgrad_act_params *params);
LGRAD_API int lgrad_activation_f64(const char *name, size_t n, double *y, const double *x,
                                   const lgrad_act_params *params);
/* dx[i] = dy[i] * f'(x[i]); dy == NULL gives the derivative f'(x[i]).
 * dx may be dy or x. A zero f'(x) gives 0 even for an infinite dy. */
LGRAD_API int lgrad_activation_backward_f32(const char *name, size_t n, float *dx,
                                            const float *dy, const float *x,
                                            const lgrad_act_params *params);
LGRAD_API int lgrad_activation_backward_f64(const char *name, size_t n, double *dx,
                                            const double *dy, const double *x,
                                            const lgrad_act_params *params);
/* The default parameters of the activation called name into *params;
 * LGRAD_EVALUE for an unknown name. */
LGRAD_API int lgrad_activation_defaults(const char *name, lgrad_act_params *params);
/* The name of activation i (0-based), or NULL when i is past the last. */
LGRAD_API const char *lgrad_activation_name(int i);

#ifdef __cplusplus
}
#endif

#endif
