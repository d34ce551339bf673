/* lgrad_kernels.c - the stable lgrad_ names of the kernels (lgrad_kernels.h).
 * Thin wrappers: the internal lg_ kernels stay hidden and free to change,
 * these names and signatures do not. No Lua here. */
#include "lgrad_kernels.h"
#include "kernels/loss.h"
#include "kernels/softmax.h"

/* The public numbers must equal the internal ones (a negative array size
 * stops the build if they ever drift apart). */
typedef char lgrad_same_f32[LGRAD_FLOAT32 == (int)LG_F32 ? 1 : -1];
typedef char lgrad_same_f64[LGRAD_FLOAT64 == (int)LG_F64 ? 1 : -1];
typedef char lgrad_same_maxdim[LGRAD_MAXDIM == (int)LG_MAXDIM ? 1 : -1];
typedef char lgrad_same_status[LGRAD_OK == (int)LG_OK && LGRAD_ERANGE == (int)LG_ERANGE &&
                               LGRAD_ENOMEM == (int)LG_ENOMEM && LGRAD_EVALUE == (int)LG_EVALUE ? 1 : -1];
typedef char lgrad_same_red[LGRAD_REDUCTION_NONE == (int)LG_REDUCTION_NONE &&
                            LGRAD_REDUCTION_MEAN == (int)LG_REDUCTION_MEAN &&
                            LGRAD_REDUCTION_SUM == (int)LG_REDUCTION_SUM ? 1 : -1];
typedef char lgrad_same_ignore[LGRAD_NO_IGNORE == LG_NO_IGNORE ? 1 : -1];

/* One wrapper per softmax-family kernel and dtype. */
#define LGRAD_SMX(name, T, sfx)                                                     \
  void lgrad_##name##_##sfx(size_t outer, size_t n, size_t inner, T *y, const T *x) { \
    lg_##name##_##sfx(outer, n, inner, y, x);                                       \
  }
#define LGRAD_SMXB(name, T, sfx)                                                   \
  void lgrad_##name##_##sfx(size_t outer, size_t n, size_t inner, T *gx, const T *g, \
                            const T *p) {                                          \
    lg_##name##_##sfx(outer, n, inner, gx, g, p);                                  \
  }

LGRAD_SMX(softmax, float, f32)
LGRAD_SMX(softmax, double, f64)
LGRAD_SMX(log_softmax, float, f32)
LGRAD_SMX(log_softmax, double, f64)
LGRAD_SMX(logsumexp, float, f32)
LGRAD_SMX(logsumexp, double, f64)
LGRAD_SMX(hardmax, float, f32)
LGRAD_SMX(hardmax, double, f64)
LGRAD_SMXB(softmax_backward, float, f32)
LGRAD_SMXB(softmax_backward, double, f64)
LGRAD_SMXB(log_softmax_backward, float, f32)
LGRAD_SMXB(log_softmax_backward, double, f64)

#define LGRAD_CE(T, sfx)                                                                    \
  int lgrad_cross_entropy_##sfx(size_t n, size_t c, const T *z, const int64_t *target,      \
                                const T *weight, int64_t ignore_index, double label_smoothing, \
                                int reduction, T *losses, double *loss, T *grad, size_t *bad) { \
    return lg_cross_entropy_##sfx(n, c, z, target, weight, ignore_index, label_smoothing,   \
                                  (lg_reduction)reduction, losses, loss, grad, bad);         \
  }                                                                                         \
  int lgrad_cross_entropy_prob_##sfx(size_t n, size_t c, const T *z, const T *y,             \
                                     const T *weight, double label_smoothing, int reduction, \
                                     T *losses, double *loss, T *grad) {                     \
    return lg_cross_entropy_prob_##sfx(n, c, z, y, weight, label_smoothing,                 \
                                       (lg_reduction)reduction, losses, loss, grad);         \
  }                                                                                         \
  int lgrad_nll_loss_##sfx(size_t n, size_t c, const T *logp, const int64_t *target,         \
                           const T *weight, int64_t ignore_index, int reduction, T *losses,  \
                           double *loss, T *grad, size_t *bad) {                             \
    return lg_nll_loss_##sfx(n, c, logp, target, weight, ignore_index,                      \
                             (lg_reduction)reduction, losses, loss, grad, bad);              \
  }                                                                                         \
  int lgrad_bce_with_logits_##sfx(size_t n, size_t c, const T *z, const T *y, const T *weight, \
                                  size_t w_rs, size_t w_cs, const T *pos_weight,            \
                                  size_t pw_rs, size_t pw_cs, int reduction, T *losses,     \
                                  double *loss, T *grad) {                                  \
    return lg_bce_with_logits_##sfx(n, c, z, y, weight, w_rs, w_cs, pos_weight, pw_rs,      \
                                    pw_cs, (lg_reduction)reduction, losses, loss, grad);     \
  }

LGRAD_CE(float, f32)
LGRAD_CE(double, f64)
