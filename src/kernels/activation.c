/* activation.c - elementwise activations and their derivatives.
 *
 * Each activation is two scalar functions in double, NAME_fw (the value)
 * and NAME_d (the derivative); LG_ACT_KERNELS turns them into the four
 * array kernels. float32 goes through double and is rounded once, which
 * keeps every float32 result within about half an ulp, except for the
 * piecewise-linear ones, which compute float32 in float with PyTorch's
 * formulas (NAME_fw32/NAME_d32; bit-identical to PyTorch). The scalar forms
 * are chosen to stay accurate over the whole range (no 1 - sigmoid, no
 * 1 + erf for negative x, no overflowing exp) and to give PyTorch's
 * answers at +-inf and at the kinks; see README.md, "Activations". */
#include <math.h>
#include <string.h>

#include "activation.h"
#include "vfast.h"

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
 * NaN rule of the double forms above; the vector loops (vfast_body.h)
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

/* --- array kernels -------------------------------------------------------- */

/* dy * d, except that a zero derivative gives 0 even for an infinite dy (as
 * PyTorch's masked backward); NaN in dy or d stays NaN. */
static double grad_mul(double dy, double d)
{
  return d == 0 && dy == dy ? 0.0 : dy * d;
}
static float grad_mulf(float dy, float d)
{
  return d == 0.0f && dy == dy ? 0.0f : dy * d;
}

static lg_act_params params_or(const lg_act_params *p, double d0, double d1, int mode)
{
  lg_act_params q;
  if (p) return *p;
  q.p[0] = d0;
  q.p[1] = d1;
  q.mode = mode;
  return q;
}

/* The parameters are copied to a local so the loops need not reload them
 * through a pointer that might alias the output. */
#if defined(__GNUC__)
#define LG_MAYBE_UNUSED __attribute__((unused)) /* float32 ones replaced by fast paths */
#else
#define LG_MAYBE_UNUSED
#endif
/* float32 from the double forms, rounded once */
#define LG_ACT_F32D(NAME, D0, D1, MODE)                                                 \
  LG_MAYBE_UNUSED static void NAME##_f32(size_t n, float *y, const float *x,            \
                                         const lg_act_params *p)                        \
  {                                                                                      \
    const lg_act_params P = params_or(p, D0, D1, MODE);                                  \
    size_t i;                                                                            \
    for (i = 0; i < n; i++) y[i] = (float)NAME##_fw((double)x[i], &P);                   \
  }
#define LG_ACT_B32D(NAME, D0, D1, MODE)                                                 \
  LG_MAYBE_UNUSED static void NAME##_b32(size_t n, float *dx, const float *dy,          \
                                         const float *x, const lg_act_params *p)        \
  {                                                                                      \
    const lg_act_params P = params_or(p, D0, D1, MODE);                                  \
    size_t i;                                                                            \
    if (dy == NULL)                                                                      \
      for (i = 0; i < n; i++) dx[i] = (float)NAME##_d((double)x[i], &P);                 \
    else                                                                                 \
      for (i = 0; i < n; i++)                                                            \
        dx[i] = (float)grad_mul((double)dy[i], NAME##_d((double)x[i], &P));              \
  }
#define LG_ACT_K64(NAME, D0, D1, MODE)                                                  \
  static void NAME##_f64(size_t n, double *y, const double *x, const lg_act_params *p)  \
  {                                                                                      \
    const lg_act_params P = params_or(p, D0, D1, MODE);                                  \
    size_t i;                                                                            \
    for (i = 0; i < n; i++) y[i] = NAME##_fw(x[i], &P);                                  \
  }                                                                                      \
  static void NAME##_b64(size_t n, double *dx, const double *dy, const double *x,       \
                         const lg_act_params *p)                                         \
  {                                                                                      \
    const lg_act_params P = params_or(p, D0, D1, MODE);                                  \
    size_t i;                                                                            \
    if (dy == NULL)                                                                      \
      for (i = 0; i < n; i++) dx[i] = NAME##_d(x[i], &P);                                \
    else                                                                                 \
      for (i = 0; i < n; i++) dx[i] = grad_mul(dy[i], NAME##_d(x[i], &P));               \
  }
#define LG_ACT_KERNELS(NAME, D0, D1, MODE)                                              \
  LG_ACT_F32D(NAME, D0, D1, MODE) LG_ACT_B32D(NAME, D0, D1, MODE) LG_ACT_K64(NAME, D0, D1, MODE)
/* float32 in float (the piecewise-linear ones), parameters rounded to float */
#define LG_ACT_F32F(NAME, D0, D1)                                                       \
  LG_MAYBE_UNUSED static void NAME##_f32(size_t n, float *y, const float *x,            \
                                         const lg_act_params *p)                        \
  {                                                                                      \
    const lg_act_params P = params_or(p, D0, D1, 0);                                     \
    const float a = (float)P.p[0], b = (float)P.p[1];                                    \
    size_t i;                                                                            \
    for (i = 0; i < n; i++) y[i] = NAME##_fw32(x[i], a, b);                              \
  }
#define LG_ACT_B32F(NAME, D0, D1)                                                       \
  LG_MAYBE_UNUSED static void NAME##_b32(size_t n, float *dx, const float *dy,          \
                                         const float *x, const lg_act_params *p)        \
  {                                                                                      \
    const lg_act_params P = params_or(p, D0, D1, 0);                                     \
    const float a = (float)P.p[0], b = (float)P.p[1];                                    \
    size_t i;                                                                            \
    if (dy == NULL)                                                                      \
      for (i = 0; i < n; i++) dx[i] = NAME##_d32(x[i], a, b);                            \
    else                                                                                 \
      for (i = 0; i < n; i++) dx[i] = grad_mulf(dy[i], NAME##_d32(x[i], a, b));          \
  }
#define LG_ACT_PIECEWISE(NAME, D0, D1)                                                  \
  LG_ACT_F32F(NAME, D0, D1) LG_ACT_B32F(NAME, D0, D1) LG_ACT_K64(NAME, D0, D1, 0)

LG_ACT_KERNELS(sigmoid, 0, 0, 0)
LG_ACT_KERNELS(tanh, 0, 0, 0)
LG_ACT_PIECEWISE(relu, 0, 0)
LG_ACT_PIECEWISE(leaky_relu, LEAKY_SLOPE, 0)
LG_ACT_KERNELS(elu, ELU_ALPHA, 0, 0)
LG_ACT_KERNELS(selu, 0, 0, 0)
LG_ACT_KERNELS(celu, CELU_ALPHA, 0, 0)
LG_ACT_KERNELS(gelu, 0, 0, GELU_NONE)
LG_ACT_KERNELS(silu, 0, 0, 0)
LG_ACT_KERNELS(mish, 0, 0, 0)
LG_ACT_KERNELS(softplus, SOFTPLUS_BETA, SOFTPLUS_THRESHOLD, 0)
LG_ACT_KERNELS(softsign, 0, 0, 0)
LG_ACT_PIECEWISE(hardtanh, HARDTANH_MIN, HARDTANH_MAX)
LG_ACT_PIECEWISE(relu6, 0, 0)
LG_ACT_PIECEWISE(hardsigmoid, 0, 0)
LG_ACT_F32F(hardswish, 0, 0)
LG_ACT_B32D(hardswish, 0, 0, 0)
LG_ACT_K64(hardswish, 0, 0, 0)
LG_ACT_KERNELS(log_sigmoid, 0, 0, 0)
LG_ACT_PIECEWISE(heaviside, 0, 0)

/* --- float32 fast paths ----------------------------------------------------
 * The same formulas in float arithmetic on 16-lane vectors, with
 * hand-written exp/expm1/tanh (vfast.c, dispatched by CPU feature). They
 * trade the half-ulp of the double path for a few ulps (docs/speed.md
 * lists the measured worst cases); NaN and +-inf answers are unchanged. */

#define V32(NAME, OP)                                                            \
  static void NAME##_v32(size_t n, float *y, const float *x, const lg_act_params *p) \
  { (void)p; lg_vact_f32(OP, n, y, x, NULL, 0.0, 0.0); }
#define VB32(NAME, OP)                                                           \
  static void NAME##_vb32(size_t n, float *dx, const float *dy, const float *x,  \
                          const lg_act_params *p)                                \
  { (void)p; lg_vact_f32(OP, n, dx, x, dy, 0.0, 0.0); }
V32(sigmoid, LG_VA_SIGMOID)
V32(tanh, LG_VA_TANH)
V32(silu, LG_VA_SILU)
VB32(sigmoid, LG_VA_SIGMOID_D)
VB32(tanh, LG_VA_TANH_D)

/* alpha must be a float for the float path to keep its accuracy */
static void elu_v32(size_t n, float *y, const float *x, const lg_act_params *p)
{
  double a = p ? p->p[0] : ELU_ALPHA;
  if ((double)(float)a == a)
    lg_vact_f32(LG_VA_ELU, n, y, x, NULL, a, 0.0);
  else
    elu_f32(n, y, x, p);
}

static void gelu_v32(size_t n, float *y, const float *x, const lg_act_params *p)
{
  lg_vact_f32(p && p->mode == GELU_TANH ? LG_VA_GELU_TANH : LG_VA_GELU, n, y, x, NULL, 0.0,
              0.0);
}

V32(log_sigmoid, LG_VA_LOG_SIGMOID)
VB32(log_sigmoid, LG_VA_LOG_SIGMOID_D)

/* softplus: the float path for beta 1 and a float threshold (the defaults) */
static int softplus_fast(const lg_act_params *p)
{
  double t = p ? p->p[1] : SOFTPLUS_THRESHOLD;
  return (!p || p->p[0] == 1.0) && (double)(float)t == t;
}
static void softplus_v32(size_t n, float *y, const float *x, const lg_act_params *p)
{
  if (softplus_fast(p))
    lg_vact_f32(LG_VA_SOFTPLUS, n, y, x, NULL, p ? p->p[1] : SOFTPLUS_THRESHOLD, 0.0);
  else
    softplus_f32(n, y, x, p);
}
static void softplus_vb32(size_t n, float *dx, const float *dy, const float *x,
                          const lg_act_params *p)
{
  if (softplus_fast(p))
    lg_vact_f32(LG_VA_SOFTPLUS_D, n, dx, x, dy, p ? p->p[1] : SOFTPLUS_THRESHOLD, 0.0);
  else
    softplus_b32(n, dx, dy, x, p);
}

/* The piecewise-linear ones: vector loops with the same float operations
 * as the float32 forms above (bit-identical results; hardswish' on double
 * lanes as hardswish_d), at memory speed. */
V32(relu, LG_VA_RELU)
VB32(relu, LG_VA_RELU_D)
V32(hardsigmoid, LG_VA_HARDSIGMOID)
VB32(hardsigmoid, LG_VA_HARDSIGMOID_D)
V32(hardswish, LG_VA_HARDSWISH)
VB32(hardswish, LG_VA_HARDSWISH_D)
V32(heaviside, LG_VA_HEAVISIDE)
VB32(heaviside, LG_VA_HEAVISIDE_D)

static void leaky_relu_v32(size_t n, float *y, const float *x, const lg_act_params *p)
{
  lg_vact_f32(LG_VA_LEAKY, n, y, x, NULL, p ? p->p[0] : LEAKY_SLOPE, 0.0);
}
static void leaky_relu_vb32(size_t n, float *dx, const float *dy, const float *x,
                            const lg_act_params *p)
{
  lg_vact_f32(LG_VA_LEAKY_D, n, dx, x, dy, p ? p->p[0] : LEAKY_SLOPE, 0.0);
}
static void relu6_v32(size_t n, float *y, const float *x, const lg_act_params *p)
{
  (void)p;
  lg_vact_f32(LG_VA_HARDTANH, n, y, x, NULL, 0.0, 6.0);
}
static void relu6_vb32(size_t n, float *dx, const float *dy, const float *x,
                       const lg_act_params *p)
{
  (void)p;
  lg_vact_f32(LG_VA_HARDTANH_D, n, dx, x, dy, 0.0, 6.0);
}
/* NaN bounds (the result is NaN everywhere) keep the scalar path */
static void hardtanh_v32(size_t n, float *y, const float *x, const lg_act_params *p)
{
  double lo = p ? p->p[0] : HARDTANH_MIN, hi = p ? p->p[1] : HARDTANH_MAX;
  if (lo == lo && hi == hi) lg_vact_f32(LG_VA_HARDTANH, n, y, x, NULL, lo, hi);
  else hardtanh_f32(n, y, x, p);
}
static void hardtanh_vb32(size_t n, float *dx, const float *dy, const float *x,
                          const lg_act_params *p)
{
  double lo = p ? p->p[0] : HARDTANH_MIN, hi = p ? p->p[1] : HARDTANH_MAX;
  if (lo == lo && hi == hi) lg_vact_f32(LG_VA_HARDTANH_D, n, dx, x, dy, lo, hi);
  else hardtanh_b32(n, dx, dy, x, p);
}

/* --- backward from the saved output (activation.h) ------------------------
 * PyTorch's operations in its order, in float for float32 (no grad_mul
 * rule: these are plain IEEE products). */
static void sigmoid_y_b32(size_t n, float *dx, const float *dy, const float *y,
                          const lg_act_params *p)
{
  size_t i;
  (void)p;
  for (i = 0; i < n; i++) dx[i] = ((dy ? dy[i] : 1.0f) * (1.0f - y[i])) * y[i];
}
/* PyTorch fuses 1 - y y into one FMA; y y is exact in double, so rounding
 * 1 - y y from double gives the same float (checked for all 2^32 y). */
static void tanh_y_b32(size_t n, float *dx, const float *dy, const float *y,
                       const lg_act_params *p)
{
  size_t i;
  (void)p;
  for (i = 0; i < n; i++)
    dx[i] = (dy ? dy[i] : 1.0f) * (float)(1.0 - (double)y[i] * (double)y[i]);
}
static void sigmoid_y_b64(size_t n, double *dx, const double *dy, const double *y,
                          const lg_act_params *p)
{
  size_t i;
  (void)p;
  for (i = 0; i < n; i++) dx[i] = ((dy ? dy[i] : 1.0) * (1.0 - y[i])) * y[i];
}
static void tanh_y_b64(size_t n, double *dx, const double *dy, const double *y,
                       const lg_act_params *p)
{
  size_t i;
  (void)p;
  for (i = 0; i < n; i++) dx[i] = (dy ? dy[i] : 1.0) * (1.0 - y[i] * y[i]);
}
/* the same bits on vectors (vfast.h); dy NULL stays the scalar form's 1 */
static void sigmoid_y_vb32(size_t n, float *dx, const float *dy, const float *y,
                           const lg_act_params *p)
{
  if (dy) lg_vact_f32(LG_VA_SIGMOID_Y, n, dx, y, dy, 0.0, 0.0);
  else sigmoid_y_b32(n, dx, dy, y, p);
}
static void tanh_y_vb32(size_t n, float *dx, const float *dy, const float *y,
                        const lg_act_params *p)
{
  if (dy) lg_vact_f32(LG_VA_TANH_Y, n, dx, y, dy, 0.0, 0.0);
  else tanh_y_b32(n, dx, dy, y, p);
}

/* --- the table ------------------------------------------------------------ */

#define NOPARAM { NULL, 0, NULL }
#define NUM(name, def) { name, def, NULL }
#define KERNELS(NAME) NAME##_f32, NAME##_f64, NAME##_b32, NAME##_b64
#define VKERNELS(NAME) NAME##_v32, NAME##_f64, NAME##_vb32, NAME##_b64

LG_INTERNAL const lg_activation lg_activations[] = {
  { "sigmoid", 0, { NOPARAM, NOPARAM }, sigmoid_v32, sigmoid_f64, sigmoid_vb32, sigmoid_b64 },
  { "tanh", 0, { NOPARAM, NOPARAM }, tanh_v32, tanh_f64, tanh_vb32, tanh_b64 },
  { "relu", 0, { NOPARAM, NOPARAM }, VKERNELS(relu) },
  { "leaky_relu", 1, { NUM("negative_slope", LEAKY_SLOPE), NOPARAM }, VKERNELS(leaky_relu) },
  { "elu", 1, { NUM("alpha", ELU_ALPHA), NOPARAM }, elu_v32, elu_f64, elu_b32, elu_b64 },
  { "selu", 0, { NOPARAM, NOPARAM }, KERNELS(selu) },
  { "celu", 1, { NUM("alpha", CELU_ALPHA), NOPARAM }, KERNELS(celu) },
  { "gelu", 1, { { "approximate", GELU_NONE, "none\0tanh\0" }, NOPARAM },
    gelu_v32, gelu_f64, gelu_b32, gelu_b64 },
  { "silu", 0, { NOPARAM, NOPARAM }, silu_v32, silu_f64, silu_b32, silu_b64 },
  { "mish", 0, { NOPARAM, NOPARAM }, KERNELS(mish) },
  { "softplus", 2, { NUM("beta", SOFTPLUS_BETA), NUM("threshold", SOFTPLUS_THRESHOLD) },
    VKERNELS(softplus) },
  { "softsign", 0, { NOPARAM, NOPARAM }, KERNELS(softsign) },
  { "hardtanh", 2, { NUM("min_val", HARDTANH_MIN), NUM("max_val", HARDTANH_MAX) },
    VKERNELS(hardtanh) },
  { "relu6", 0, { NOPARAM, NOPARAM }, VKERNELS(relu6) },
  { "hardsigmoid", 0, { NOPARAM, NOPARAM }, VKERNELS(hardsigmoid) },
  { "hardswish", 0, { NOPARAM, NOPARAM }, VKERNELS(hardswish) },
  { "log_sigmoid", 0, { NOPARAM, NOPARAM }, VKERNELS(log_sigmoid) },
  { "heaviside", 0, { NOPARAM, NOPARAM }, VKERNELS(heaviside) },
  { NULL, 0, { NOPARAM, NOPARAM }, NULL, NULL, NULL, NULL }
};

LG_INTERNAL const lg_activation lg_activations_from_output[] = {
  { "sigmoid", 0, { NOPARAM, NOPARAM }, NULL, NULL, sigmoid_y_vb32, sigmoid_y_b64 },
  { "tanh", 0, { NOPARAM, NOPARAM }, NULL, NULL, tanh_y_vb32, tanh_y_b64 },
  { NULL, 0, { NOPARAM, NOPARAM }, NULL, NULL, NULL, NULL }
};

#if defined(LG_SIMD_TESTABLE)
/* The scalar float32 kernels, in the table's order: the reference that
 * tools/ hold the vector paths to (bit-identical for the piecewise ones). */
#define SCALAR32(NAME) { NAME##_f32, NAME##_b32 }
static const struct { lg_act_f32_fn f; lg_actb_f32_fn b; } scalar32[] = {
  SCALAR32(sigmoid), SCALAR32(tanh), SCALAR32(relu), SCALAR32(leaky_relu), SCALAR32(elu),
  SCALAR32(selu), SCALAR32(celu), SCALAR32(gelu), SCALAR32(silu), SCALAR32(mish),
  SCALAR32(softplus), SCALAR32(softsign), SCALAR32(hardtanh), SCALAR32(relu6),
  SCALAR32(hardsigmoid), SCALAR32(hardswish), SCALAR32(log_sigmoid), SCALAR32(heaviside)
};
LG_INTERNAL void lg_activation_scalar32(const lg_activation *a, lg_act_f32_fn *f,
                                        lg_actb_f32_fn *b)
{
  size_t i = (size_t)(a - lg_activations);
  *f = scalar32[i].f;
  *b = scalar32[i].b;
}
LG_INTERNAL lg_actb_f32_fn lg_from_output_scalar32(const lg_activation *a)
{
  return a == lg_activations_from_output ? sigmoid_y_b32 : tanh_y_b32;
}
#endif

LG_INTERNAL const lg_activation *lg_activation_find(const char *name)
{
  const lg_activation *a;
  if (name == NULL) return NULL;
  for (a = lg_activations; a->name != NULL; a++)
    if (strcmp(a->name, name) == 0) return a;
  return NULL;
}

/* Number of strings in a choices list ("a\0b\0" -> 2). */
static int count_choices(const char *c)
{
  int k = 0;
  for (; *c != '\0'; c += strlen(c) + 1) k++;
  return k;
}

LG_INTERNAL int lg_activation_check(const lg_activation *a, const lg_act_params *p)
{
  int i;
  if (a == NULL) return LG_EVALUE;
  if (p == NULL) return LG_OK;  /* the defaults, always valid */
  for (i = 0; i < a->nparams; i++)
    if (a->params[i].choices != NULL &&
        (p->mode < 0 || p->mode >= count_choices(a->params[i].choices)))
      return LG_EVALUE;
  /* PyTorch: "ZeroDivisionError: alpha cannot be 0 for CELU" */
  if (a->f32 == celu_f32 && p->p[0] == 0) return LG_EVALUE;
  return LG_OK;
}
