/* loss.h - classification losses and their gradients (plain C99, no Lua).
 *
 * Shapes: logits z (or log-probabilities) are [n][c] contiguous, class dim
 * last; one sample is n = 1. Class-index targets are n int64_t values,
 * 0-based (the binding converts from Lua's 1-based). Probability targets are
 * [n][c] of the logits' dtype.
 *
 * Outputs (each may be NULL when not wanted):
 *   losses  per-sample losses ([n]; [n][c] for BCE), as reduction "none"
 *           returns them (ignored samples get 0);
 *   loss    the reduced loss in double: "mean"/"sum" as PyTorch; for "none"
 *           the sum of the per-sample losses, whose gradient grad is;
 *   grad    [n][c], dL/dz of that loss. grad may alias z.
 *
 * Status: LG_OK; LG_EVALUE for an unknown reduction or label_smoothing not
 * in [0, 1]; LG_ERANGE for a class target outside [0, c) that is not the
 * ignore_index, with the first such sample's 0-based index stored in *bad
 * (if bad is not NULL). Arguments are checked before anything is written,
 * so on error every output is untouched. Sums are accumulated in double.
 * All formulas and PyTorch corner cases: README.md, "Losses". */
#ifndef LG_KERNELS_LOSS_H
#define LG_KERNELS_LOSS_H

#include "lg_common.h"

typedef enum lg_reduction {
  LG_REDUCTION_NONE = 0,
  LG_REDUCTION_MEAN = 1,
  LG_REDUCTION_SUM = 2
} lg_reduction;

/* ignore_index value meaning "no class is ignored" (PyTorch's default -100
 * can never match a valid class, so it maps to this). Any other value v
 * makes samples whose target == v count for nothing, as in PyTorch. */
#define LG_NO_IGNORE INT64_MIN

/* Cross-entropy with class-index targets t_i, class weights w (NULL: all 1),
 * label smoothing eps, in one fused pass per row (max, exp-sum, gradient):
 *   logp = z - m - log(sum exp(z - m))
 *   nll_i    = -w[t_i] logp[t_i]
 *   smooth_i = -sum_c w_c logp_c               (only when eps > 0)
 *   loss_i   = (1 - eps) nll_i + (eps / c) smooth_i   (0 if ignored)
 *   mean: ((1-eps) sum nll + (eps/c) sum smooth) / W,
 *         W = sum of w[t_i] over non-ignored samples (W = 0: NaN)
 *   grad_ij = a (p_ij S_i - q_ij),  q_ij = (1-eps) w[t_i] [j == t_i] + (eps/c) w_j,
 *         S_i = sum_j q_ij, a = 1/W for mean, else 1; ignored rows: 0. */
LG_INTERNAL int lg_cross_entropy_f32(size_t n, size_t c, const float *z,
                                     const int64_t *target, const float *weight,
                                     int64_t ignore_index, double label_smoothing,
                                     lg_reduction reduction, float *losses,
                                     double *loss, float *grad, size_t *bad);
LG_INTERNAL int lg_cross_entropy_f64(size_t n, size_t c, const double *z,
                                     const int64_t *target, const double *weight,
                                     int64_t ignore_index, double label_smoothing,
                                     lg_reduction reduction, double *losses,
                                     double *loss, double *grad, size_t *bad);

/* The same cross-entropy split by rows, for a caller that runs parts at
 * once (the binding's threads). lg_cross_entropy_plan checks the arguments
 * as lg_cross_entropy_f32/f64 does (same status, nothing written on error)
 * and fills *plan for the whole batch (its W, so a part's gradient is
 * scaled as one call's). lg_cross_entropy_rows then computes the losses
 * and grad rows [lo, hi) of the batch, and those rows' nll and smoothing
 * sums into sums[0..1]; lg_cross_entropy_loss reduces sums added up over
 * the parts. plan + rows(0, n) + loss is exactly lg_cross_entropy_*. */
typedef struct lg_ce_plan {
  size_t n, c;
  const void *z, *weight;
  const int64_t *target;
  int64_t ignore_index;
  double eps;
  lg_reduction red;
  void *losses, *grad;
  double W, wall, a;
  int f64;
} lg_ce_plan;
LG_INTERNAL int lg_cross_entropy_plan(lg_ce_plan *plan, lg_dtype dt, size_t n, size_t c,
                                      const void *z, const int64_t *target, const void *weight,
                                      int64_t ignore_index, double label_smoothing,
                                      lg_reduction reduction, void *losses, void *grad,
                                      size_t *bad);
LG_INTERNAL void lg_cross_entropy_rows(const lg_ce_plan *plan, size_t lo, size_t hi,
                                       double sums[2]);
LG_INTERNAL double lg_cross_entropy_loss(const lg_ce_plan *plan, const double sums[2]);

/* The parts of a threaded call: blocks of *rows rows fixed by (n, c)
 * alone, at most LG_CE_BLOCKS of them (the count is returned), each about
 * half a thread pool's minimum of work. Block b is rows [b rows, (b + 1)
 * rows), clipped to n, through lg_cross_entropy_rows into its own sums[b]; adding
 * the blocks' sums in block order (lg_cross_entropy_blocks_loss) makes the
 * loss the same whatever the thread count. */
#define LG_CE_BLOCKS 256
LG_INTERNAL size_t lg_cross_entropy_blocks(size_t n, size_t c, size_t *rows);
LG_INTERNAL double lg_cross_entropy_blocks_loss(const lg_ce_plan *plan, size_t nb,
                                                const double (*sums)[2]);

/* Cross-entropy with probability targets y ([n][c], one-hot or soft):
 *   y' = (1 - eps) y + eps / c,  q_ij = w_j y'_ij,  S_i = sum_j q_ij
 *   loss_i = -sum_j q_ij logp_ij;  mean divides the sum by n (n*c = 0: NaN)
 *   grad_ij = a (p_ij S_i - q_ij), a = 1/n for mean, else 1.
 * PyTorch rejects an ignore_index >= 0 with probability targets; that check
 * is the binding's (there is no ignore_index here). */
LG_INTERNAL int lg_cross_entropy_prob_f32(size_t n, size_t c, const float *z,
                                          const float *target, const float *weight,
                                          double label_smoothing, lg_reduction reduction,
                                          float *losses, double *loss, float *grad);
LG_INTERNAL int lg_cross_entropy_prob_f64(size_t n, size_t c, const double *z,
                                          const double *target, const double *weight,
                                          double label_smoothing, lg_reduction reduction,
                                          double *losses, double *loss, double *grad);

/* Negative log-likelihood of log-probabilities logp ([n][c]):
 *   loss_i = -w[t_i] logp[i][t_i] (0 if ignored); mean divides by W as above
 *   grad[i][j] = -a w[t_i] [j == t_i]  (dL/dlogp). */
LG_INTERNAL int lg_nll_loss_f32(size_t n, size_t c, const float *logp,
                                const int64_t *target, const float *weight,
                                int64_t ignore_index, lg_reduction reduction,
                                float *losses, double *loss, float *grad, size_t *bad);
LG_INTERNAL int lg_nll_loss_f64(size_t n, size_t c, const double *logp,
                                const int64_t *target, const double *weight,
                                int64_t ignore_index, lg_reduction reduction,
                                double *losses, double *loss, double *grad, size_t *bad);

/* Binary cross-entropy with logits, elementwise over [n][c]:
 *   lw = 1 + (pw - 1) y            (lw = 1 without pos_weight)
 *   l  = w ((1 - y) z + lw softplus(-z)),  softplus(-z) = max(-z,0) + log1p(exp(-|z|))
 *   dl/dz = w ((pw y + 1 - y) sigmoid(z) - pw y)   (= w (sigmoid(z) - y) without pw)
 *   mean divides by n*c (n*c = 0: NaN).
 * weight and pos_weight broadcast by strides in elements: element (i, j) is
 * weight[i*w_rs + j*w_cs]. Full [n][c]: (c, 1); per class [c]: (0, 1);
 * per sample [n]: (1, 0); one scalar: (0, 0). NULL means all 1. */
LG_INTERNAL int lg_bce_with_logits_f32(size_t n, size_t c, const float *z, const float *y,
                                       const float *weight, size_t w_rs, size_t w_cs,
                                       const float *pos_weight, size_t pw_rs, size_t pw_cs,
                                       lg_reduction reduction, float *losses,
                                       double *loss, float *grad);
LG_INTERNAL int lg_bce_with_logits_f64(size_t n, size_t c, const double *z, const double *y,
                                       const double *weight, size_t w_rs, size_t w_cs,
                                       const double *pos_weight, size_t pw_rs, size_t pw_cs,
                                       lg_reduction reduction, double *losses,
                                       double *loss, double *grad);

#endif
