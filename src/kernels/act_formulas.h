/* act_formulas.h - the activations as scalar formulas: NAME_fw (the
 * value) and NAME_d (the derivative) in double, and the piecewise-linear
 * ones in float (NAME_fw32, NAME_d32) with PyTorch's float operations;
 * their defaults and constants. Included by activation.c only, which
 * turns them into array kernels and the table. */
#ifndef LG_KERNELS_ACT_FORMULAS_H
#define LG_KERNELS_ACT_FORMULAS_H

#include <math.h>

/* Defaults, shared by the table and by the kernels called with p == NULL. */
#define LEAKY_SLOPE 0.01
#define ELU_ALPHA 1.0
#define CELU_ALPHA 1.0
#define SOFTPLUS_BETA 1.0
#define SOFTPLUS_THRESHOLD 20.0
#define HARDTANH_MIN (-1.0)
#define HARDTANH_MAX 1.0

/* SELU's constants (Klambauer et al. 2017), as PyTorch uses them. */
#define SELU_ALPHA 1.6732632423543772848170429916717
#define SELU_SCALE 1.0507009873554804934193349852946

#define SQRT1_2 0.70710678118654752440084436210484903    /* 1/sqrt(2) */
#define INV_SQRT_2PI 0.39894228040143267793994605993438  /* 1/sqrt(2 pi) */
#define SQRT_2_PI 0.79788456080286535587989211986876     /* sqrt(2/pi) */
#define GELU_KAPPA 0.044715

#define GELU_NONE 0
#define GELU_TANH 1

/* v, or x itself when x is NaN: keeps NaN flowing through piecewise forms. */
static double nan_or(double x, double v)
{
  return x != x ? x : v;
}

/* 1 / (1 + exp(-x)) without overflow; exp(-|x|) is exact enough on both sides. */
static double sigm(double x)
{
  double e = exp(-fabs(x));
  return x >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
}

/* sigmoid'(x) = sigmoid(x) sigmoid(-x) = e / (1 + e)^2, e = exp(-|x|):
 * no 1 - sigmoid(x), so tiny values keep their relative accuracy. */
static double sigm_d(double x)
{
  double e = exp(-fabs(x));
  return e / ((1.0 + e) * (1.0 + e));
}

/* log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)), never overflowing. */
static double softplus1(double x)
{
  return (x > 0 ? x : 0.0) + log1p(exp(-fabs(x)));
}

/* --- smooth activations ------------------------------------------------ */

/* sigmoid(x) = 1 / (1 + exp(-x)); sigmoid' = sigmoid(x) (1 - sigmoid(x)) */
static double sigmoid_fw(double x, const lg_act_params *P) { (void)P; return sigm(x); }
static double sigmoid_d(double x, const lg_act_params *P) { (void)P; return sigm_d(x); }

/* tanh; tanh'(x) = 1 - tanh^2 = 4e / (1 + e)^2, e = exp(-2|x|) (no cancellation) */
static double tanh_fw(double x, const lg_act_params *P) { (void)P; return tanh(x); }
static double tanh_d(double x, const lg_act_params *P)
{
  double e = exp(-2.0 * fabs(x));
  (void)P;
  return 4.0 * e / ((1.0 + e) * (1.0 + e));
}

/* elu(x) = x if x > 0 else alpha (exp(x) - 1); elu' = 1 if x > 0 else alpha exp(x)
 * (so elu'(0) = alpha, PyTorch's choice) */
static double elu_fw(double x, const lg_act_params *P)
{
  return x > 0 ? x : P->p[0] * expm1(x);
}
static double elu_d(double x, const lg_act_params *P)
{
  return x > 0 ? 1.0 : P->p[0] * exp(x);
}

/* selu(x) = scale * elu(x, alpha) with the fixed SELU constants; selu'(0) = scale alpha */
static double selu_fw(double x, const lg_act_params *P)
{
  (void)P;
  return SELU_SCALE * (x > 0 ? x : SELU_ALPHA * expm1(x));
}
static double selu_d(double x, const lg_act_params *P)
{
  (void)P;
  return x > 0 ? SELU_SCALE : SELU_SCALE * SELU_ALPHA * exp(x);
}

/* celu(x) = x if x > 0 else alpha (exp(x / alpha) - 1); celu' = 1 if x > 0 else
 * exp(x / alpha) (so celu'(0) = 1). alpha == 0 is refused by lg_activation_check. */
static double celu_fw(double x, const lg_act_params *P)
{
  return x > 0 ? x : P->p[0] * expm1(x / P->p[0]);
}
static double celu_d(double x, const lg_act_params *P)
{
  return x > 0 ? 1.0 : exp(x / P->p[0]);
}

/* gelu "none": x Phi(x) = x/2 erfc(-x/sqrt 2) (erfc: no 1 + erf cancellation);
 * gelu' = Phi(x) + x phi(x). At +-inf the x * 0 gives NaN, as in PyTorch.
 * gelu "tanh": x/2 (1 + tanh(u)) = x sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3);
 * gelu' = s + 2 x s (1 - s) u', s = sigmoid(2u), u' = sqrt(2/pi) (1 + 3 0.044715 x^2).
 * x s (1 - s) x x is multiplied left to right so that a huge finite x gives
 * 0 * x * x = 0 instead of 0 * inf. */
static double gelu_fw(double x, const lg_act_params *P)
{
  if (P->mode == GELU_TANH) {
    double u = SQRT_2_PI * (x + GELU_KAPPA * x * x * x);
    return x * sigm(2.0 * u);
  }
  return 0.5 * x * erfc(-x * SQRT1_2);
}
static double gelu_d(double x, const lg_act_params *P)
{
  if (P->mode == GELU_TANH) {
    double u = SQRT_2_PI * (x + GELU_KAPPA * x * x * x);
    double xs = x * sigm_d(2.0 * u);
    return sigm(2.0 * u) + 2.0 * SQRT_2_PI * (xs + 3.0 * GELU_KAPPA * xs * x * x);
  }
  return 0.5 * erfc(-x * SQRT1_2) + x * INV_SQRT_2PI * exp(-0.5 * x * x);
}

/* silu(x) = x sigmoid(x); silu' = sigmoid(x) + x sigmoid(x) sigmoid(-x) */
static double silu_fw(double x, const lg_act_params *P) { (void)P; return x * sigm(x); }
static double silu_d(double x, const lg_act_params *P)
{
  (void)P;
  return sigm(x) + x * sigm_d(x);
}

/* mish(x) = x tanh(softplus(x)); mish' = t + x sigmoid(x) sech^2(sp), t = tanh(sp),
 * sech^2(sp) = 4w / (1 + w)^2 with w = exp(-2 sp) <= 1 (sp >= 0). */
static double mish_fw(double x, const lg_act_params *P)
{
  (void)P;
  return x * tanh(softplus1(x));
}
static double mish_d(double x, const lg_act_params *P)
{
  double sp = softplus1(x), w = exp(-2.0 * sp);
  (void)P;
  return tanh(sp) + x * sigm(x) * (4.0 * w / ((1.0 + w) * (1.0 + w)));
}

/* softplus(x) = x if beta x > threshold else log(1 + exp(beta x)) / beta
 * (PyTorch's rule, threshold test strict); softplus' = 1 or sigmoid(beta x).
 * The log form is evaluated without overflow even for a large threshold. */
static double softplus_fw(double x, const lg_act_params *P)
{
  double bx = P->p[0] * x;
  return bx > P->p[1] ? x : softplus1(bx) / P->p[0];
}
static double softplus_d(double x, const lg_act_params *P)
{
  double bx = P->p[0] * x;
  return bx > P->p[1] ? 1.0 : sigm(bx);
}

/* softsign(x) = x / (1 + |x|); softsign' = 1 / (1 + |x|)^2. PyTorch builds both
 * from x / (|x| + 1), which is NaN at +-inf; we return that NaN on purpose. */
static double softsign_fw(double x, const lg_act_params *P)
{
  (void)P;
  return x / (1.0 + fabs(x));
}
static double softsign_d(double x, const lg_act_params *P)
{
  double r = 1.0 / (1.0 + fabs(x));
  (void)P;
  return isinf(x) ? NAN : r * r;
}

/* log_sigmoid(x) = min(x, 0) - log1p(exp(-|x|)); log_sigmoid' = sigmoid(-x) */
static double log_sigmoid_fw(double x, const lg_act_params *P)
{
  (void)P;
  return (x < 0 ? x : 0.0) - log1p(exp(-fabs(x)));
}
static double log_sigmoid_d(double x, const lg_act_params *P) { (void)P; return sigm(-x); }

/* --- piecewise-linear activations ---------------------------------------
 * Each keeps NaN (the comparisons are false for NaN, so the branch that
 * returns x, or nan_or, passes it on). Derivatives take PyTorch's value at
 * the kinks. */

/* relu(x) = max(0, x) (relu(-0) = -0, as PyTorch); relu' = 1 if x > 0 else 0 */
static double relu_fw(double x, const lg_act_params *P) { (void)P; return x < 0 ? 0.0 : x; }
static double relu_d(double x, const lg_act_params *P)
{
  (void)P;
  return x > 0 ? 1.0 : nan_or(x, 0.0);
}

/* leaky_relu(x) = x if x > 0 else slope x; leaky_relu' = 1 if x > 0 else slope */
static double leaky_relu_fw(double x, const lg_act_params *P)
{
  return x > 0 ? x : x * P->p[0];
}
static double leaky_relu_d(double x, const lg_act_params *P)
{
  return x > 0 ? 1.0 : nan_or(x, P->p[0]);
}

/* hardtanh(x) = min(max(x, min_val), max_val), in that order, so that
 * min_val > max_val gives max_val everywhere (as torch.clamp); a NaN bound
 * gives NaN (as torch.clamp). hardtanh' = 0 if x <= min_val or x >= max_val
 * else 1 (0 at both bounds). */
static double hardtanh_fw(double x, const lg_act_params *P)
{
  double lo = P->p[0], hi = P->p[1], t;
  t = x < lo ? lo : x;
  t = t > hi ? hi : t;
  return lo != lo || hi != hi ? lo + hi : t;
}
static double hardtanh_d(double x, const lg_act_params *P)
{
  return x <= P->p[0] || x >= P->p[1] ? 0.0 : nan_or(x, 1.0);
}

/* relu6(x) = hardtanh(x, 0, 6); relu6'(0) = relu6'(6) = 0 */
static double relu6_fw(double x, const lg_act_params *P)
{
  (void)P;
  return x < 0 ? 0.0 : (x > 6.0 ? 6.0 : x);
}
static double relu6_d(double x, const lg_act_params *P)
{
  (void)P;
  return x <= 0 || x >= 6.0 ? 0.0 : nan_or(x, 1.0);
}

/* hardsigmoid(x) = relu6(x + 3) / 6; hardsigmoid' = 1/6 on (-3, 3), else 0
 * (0 at +-3). PyTorch's float64 backward uses the float 1/6; we use the double. */
static double hardsigmoid_fw(double x, const lg_act_params *P)
{
  (void)P;
  return relu6_fw(x + 3.0, P) / 6.0;
}
static double hardsigmoid_d(double x, const lg_act_params *P)
{
  (void)P;
  return x > -3.0 && x < 3.0 ? 1.0 / 6.0 : nan_or(x, 0.0);
}

/* hardswish(x) = x relu6(x + 3) / 6 (NaN at -inf, from -inf * 0, as PyTorch);
 * hardswish' = 0 if x < -3, (2x + 3)/6 if -3 <= x <= 3, 1 if x > 3
 * (so -1/2 at -3 and 3/2 at 3, PyTorch's choice; 2x + 3 rather than
 * x/3 + 1/2 keeps the zero at -1.5 free of cancellation). */
static double hardswish_fw(double x, const lg_act_params *P)
{
  return x * relu6_fw(x + 3.0, P) / 6.0;
}
static double hardswish_d(double x, const lg_act_params *P)
{
  (void)P;
  if (x < -3.0) return 0.0;
  return x <= 3.0 ? (2.0 * x + 3.0) / 6.0 : nan_or(x, 1.0);
}

/* heaviside(x) = 1 if x > 0 else 0 (0 at 0; NaN at NaN, where torch.heaviside
 * gives 0); heaviside' = 0 everywhere (PyTorch has no derivative). */
static double heaviside_fw(double x, const lg_act_params *P)
{
  (void)P;
  return x > 0 ? 1.0 : nan_or(x, 0.0);
}
static double heaviside_d(double x, const lg_act_params *P)
{
  (void)P;
  return nan_or(x, 0.0);
}

/* float32 forms: PyTorch's float arithmetic (parameters rounded to float,
 * x * c / 6 left to right, the float 1/6), with the comparisons and the
 * NaN rule of the double forms above; the vector loops (simd/act.h)
 * compute the same operations and give the same bits. hardswish' keeps the
 * double form (see above), rounded once. */
static float nan_orf(float x, float v) { return x != x ? x : v; }
static float clampf6(float t) { t = t < 0.0f ? 0.0f : t; return t > 6.0f ? 6.0f : t; }
static float relu_fw32(float x, float s, float b) { (void)s; (void)b; return x < 0.0f ? 0.0f : x; }
static float relu_d32(float x, float s, float b)
{
  (void)s; (void)b;
  return x > 0.0f ? 1.0f : nan_orf(x, 0.0f);
}
static float leaky_relu_fw32(float x, float s, float b) { (void)b; return x > 0.0f ? x : x * s; }
static float leaky_relu_d32(float x, float s, float b)
{
  (void)b;
  return x > 0.0f ? 1.0f : nan_orf(x, s);
}
static float hardtanh_fw32(float x, float lo, float hi)
{
  float t = x < lo ? lo : x;
  t = t > hi ? hi : t;
  return lo != lo || hi != hi ? lo + hi : t;
}
static float hardtanh_d32(float x, float lo, float hi)
{
  return x <= lo || x >= hi ? 0.0f : nan_orf(x, 1.0f);
}
static float relu6_fw32(float x, float a, float b) { (void)a; (void)b; return clampf6(x); }
static float relu6_d32(float x, float a, float b)
{
  (void)a; (void)b;
  return x <= 0.0f || x >= 6.0f ? 0.0f : nan_orf(x, 1.0f);
}
static float hardsigmoid_fw32(float x, float a, float b)
{
  (void)a; (void)b;
  return clampf6(x + 3.0f) / 6.0f;
}
static float hardsigmoid_d32(float x, float a, float b)
{
  (void)a; (void)b;
  return x > -3.0f && x < 3.0f ? 1.0f / 6.0f : nan_orf(x, 0.0f);
}
/* x * 6 overflows for x > FLT_MAX / 6, where PyTorch gives inf: x instead */
static float hardswish_fw32(float x, float a, float b)
{
  float y = x * clampf6(x + 3.0f) / 6.0f;
  (void)a; (void)b;
  return y == INFINITY ? x : y;
}
static float heaviside_fw32(float x, float a, float b)
{
  (void)a; (void)b;
  return x > 0.0f ? 1.0f : nan_orf(x, 0.0f);
}
static float heaviside_d32(float x, float a, float b)
{
  (void)a; (void)b;
  return nan_orf(x, 0.0f);
}

#endif
