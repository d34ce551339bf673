/* lgrad_kernels.c - the stable lgrad_ names of the kernels (lgrad_kernels.h).
 * Thin wrappers: the internal lg_ kernels stay hidden and free to change,
 * these names and signatures do not. No Lua here. */
#include "lg_common.h"   /* first: LGRAD_BUILDING, for LGRAD_API */
#include "lgrad_kernels.h"
#include "kernels/activation.h"
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

/* ---- activations ---------------------------------------------------------- */

/* The activation and its parameters in the kernels' form, checked; NULL
 * for an unknown name or rejected parameters. */
static const lg_activation *act_setup(const char *name, const lgrad_act_params *params,
                                      lg_act_params *p) {
  const lg_activation *a = name ? lg_activation_find(name) : NULL;
  if (a == NULL) return NULL;
  if (params == NULL) return a;   /* the kernels apply the defaults */
  p->p[0] = params->p[0];
  p->p[1] = params->p[1];
  p->mode = params->mode;
  return lg_activation_check(a, p) == LG_OK ? a : NULL;
}

#define LGRAD_ACT(T, sfx, fw, bw)                                                            \
  int lgrad_activation_##sfx(const char *name, size_t n, T *y, const T *x,                   \
                             const lgrad_act_params *params) {                               \
    lg_act_params p;                                                                         \
    const lg_activation *a = act_setup(name, params, &p);                                    \
    if (a == NULL) return LGRAD_EVALUE;                                                      \
    a->fw(n, y, x, params ? &p : NULL);                                                      \
    return LGRAD_OK;                                                                         \
  }                                                                                          \
  int lgrad_activation_backward_##sfx(const char *name, size_t n, T *dx, const T *dy,        \
                                      const T *x, const lgrad_act_params *params) {          \
    lg_act_params p;                                                                         \
    const lg_activation *a = act_setup(name, params, &p);                                    \
    if (a == NULL) return LGRAD_EVALUE;                                                      \
    a->bw(n, dx, dy, x, params ? &p : NULL);                                                 \
    return LGRAD_OK;                                                                         \
  }

LGRAD_ACT(float, f32, f32, b32)
LGRAD_ACT(double, f64, f64, b64)

int lgrad_activation_defaults(const char *name, lgrad_act_params *params) {
  const lg_activation *a = name ? lg_activation_find(name) : NULL;
  int k;
  if (a == NULL) return LGRAD_EVALUE;
  params->p[0] = params->p[1] = 0;
  params->mode = 0;
  for (k = 0; k < a->nparams; k++) {
    if (a->params[k].choices) params->mode = (int)a->params[k].def;
    else params->p[k] = a->params[k].def;
  }
  return LGRAD_OK;
}

const char *lgrad_activation_name(int i) {
  int k;
  if (i < 0) return NULL;
  for (k = 0; k < i; k++)   /* the table ends with a NULL name */
    if (lg_activations[k].name == NULL) return NULL;
  return lg_activations[i].name;
}
