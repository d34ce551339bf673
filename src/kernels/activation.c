/* activation.c - elementwise activations and their derivatives.
 *
 * Each activation is two scalar functions in double, NAME_fw (the value)
 * and NAME_d (the derivative), in act_formulas.h; LG_ACT_KERNELS turns
 * them into the four array kernels. float32 goes through double and is rounded once, which
 * keeps every float32 result within about half an ulp, except for the
 * piecewise-linear ones, which compute float32 in float with PyTorch's
 * formulas (NAME_fw32/NAME_d32; bit-identical to PyTorch). The scalar forms
 * are chosen to stay accurate over the whole range (no 1 - sigmoid, no
 * 1 + erf for negative x, no overflowing exp) and to give PyTorch's
 * answers at +-inf and at the kinks; see docs/manual.md, "Activations". */
#include <float.h>
#include <math.h>
#include <string.h>

#include "kernels/activation.h"
#include "simd/simd.h"
#include "kernels/act_formulas.h"   /* NAME_fw, NAME_d: the formulas */

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
 * hand-written exp/expm1/tanh (simd/, dispatched by CPU feature). They
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

/* selu's constants as floats: scale, and scale alpha rounded once */
static void selu_v32(size_t n, float *y, const float *x, const lg_act_params *p)
{
  (void)p;
  lg_vact_f32(LG_VA_SELU, n, y, x, NULL, (double)(float)(SELU_SCALE * SELU_ALPHA),
              (double)(float)(SELU_SCALE - 1));
}
/* celu: the float path for a positive float alpha (x / alpha then stays
 * within an ulp); others keep the double formula */
static void celu_v32(size_t n, float *y, const float *x, const lg_act_params *p)
{
  double a = p ? p->p[0] : CELU_ALPHA;
  if (a > 0 && (double)(float)a == a && (float)a <= FLT_MAX)
    lg_vact_f32(LG_VA_CELU, n, y, x, NULL, a, 0.0);
  else
    celu_f32(n, y, x, p);
}
V32(mish, LG_VA_MISH)
V32(softsign, LG_VA_SOFTSIGN)

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
/* the same bits on vectors (simd/simd.h); dy NULL stays the scalar form's 1 */
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
  { "selu", 0, { NOPARAM, NOPARAM }, selu_v32, selu_f64, selu_b32, selu_b64 },
  { "celu", 1, { NUM("alpha", CELU_ALPHA), NOPARAM }, celu_v32, celu_f64, celu_b32, celu_b64 },
  { "gelu", 1, { { "approximate", GELU_NONE, "none\0tanh\0" }, NOPARAM },
    gelu_v32, gelu_f64, gelu_b32, gelu_b64 },
  { "silu", 0, { NOPARAM, NOPARAM }, silu_v32, silu_f64, silu_b32, silu_b64 },
  { "mish", 0, { NOPARAM, NOPARAM }, mish_v32, mish_f64, mish_b32, mish_b64 },
  { "softplus", 2, { NUM("beta", SOFTPLUS_BETA), NUM("threshold", SOFTPLUS_THRESHOLD) },
    VKERNELS(softplus) },
  { "softsign", 0, { NOPARAM, NOPARAM }, softsign_v32, softsign_f64, softsign_b32, softsign_b64 },
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
  if (lg_activation_refusal(a, p) != NULL) return LG_EVALUE;
  return LG_OK;
}

LG_INTERNAL const char *lg_activation_refusal(const lg_activation *a, const lg_act_params *p)
{
  /* PyTorch: "ZeroDivisionError: alpha cannot be 0 for CELU" */
  if (a != NULL && p != NULL && a->f32 == celu_v32 && p->p[0] == 0)
    return "alpha cannot be 0 for celu";
  return NULL;
}

LG_INTERNAL size_t lg_activation_align(const lg_activation *a, int f64, int backward, size_t n)
{
  if (!f64 && !backward && a->f32 == relu_v32 && n >= LG_VF_NT_MIN) return LG_VF_NT_MIN;
  return 1024;
}
