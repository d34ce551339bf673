/* activation.h - elementwise activations and their derivatives (no Lua).
 *
 * Every activation has four kernels: forward and backward, float32 and
 * float64. All of them work on contiguous arrays of n elements; y may equal
 * x, and dx may equal dy or x (in-place use). float32 kernels compute in
 * double and round once, except the piecewise-linear ones (relu,
 * leaky_relu, hardtanh, relu6, hardsigmoid, hardswish, heaviside), which
 * use PyTorch's float formulas and give its bits (hardswish' excepted:
 * double, rounded once).
 *
 * Semantics follow torch.nn.functional (PyTorch 1.13), with these rules
 * (README.md, "Activations", lists every function):
 *   - NaN in gives NaN out, forward and backward, for every function
 *     (PyTorch gives 0 for heaviside(NaN) and a finite gradient for some
 *     piecewise functions at NaN; we do not).
 *   - backward: dx = dy * f'(x), except that a zero f'(x) gives 0 even when
 *     dy is +-inf (as PyTorch's masked backward of relu and friends does);
 *     a NaN dy still gives NaN.
 *   - +-inf inputs give PyTorch's answers, even where those are NaN
 *     (e.g. silu(-inf), gelu'(+inf), softsign(+-inf)).
 */
#ifndef LG_ACTIVATION_H
#define LG_ACTIVATION_H

#include <stddef.h>
#include "lg_common.h"

/* Parameter values for one call. p holds the numeric parameters in the
 * order of the activation's params[] (missing ones are ignored); mode is
 * the choice index of a choice parameter (gelu: 0 = "none", 1 = "tanh"). */
typedef struct lg_act_params { double p[2]; int mode; } lg_act_params;

/* Forward: y[i] = f(x[i]). p may be NULL: the defaults apply. */
typedef void (*lg_act_f32_fn)(size_t n, float *y, const float *x, const lg_act_params *p);
typedef void (*lg_act_f64_fn)(size_t n, double *y, const double *x, const lg_act_params *p);
/* Backward: dx[i] = dy[i] * f'(x[i]); dy == NULL means dy = 1 (the plain
 * derivative). p may be NULL: the defaults apply. */
typedef void (*lg_actb_f32_fn)(size_t n, float *dx, const float *dy, const float *x,
                               const lg_act_params *p);
typedef void (*lg_actb_f64_fn)(size_t n, double *dx, const double *dy, const double *x,
                               const lg_act_params *p);

typedef struct lg_act_param {
  const char *name;     /* PyTorch's keyword: "negative_slope", "alpha", "beta", "threshold",
                           "min_val", "max_val", "approximate" */
  double def;           /* default value; for a choice parameter, the default choice index */
  const char *choices;  /* NULL for numbers; else the allowed strings, each ended by '\0',
                           the list ended by an empty string ("none\0tanh\0");
                           the index of the matching string is lg_act_params.mode */
} lg_act_param;

typedef struct lg_activation {
  const char *name;     /* the Lua name, e.g. "leaky_relu" */
  int nparams;          /* 0..2 */
  lg_act_param params[2];
  lg_act_f32_fn f32;
  lg_act_f64_fn f64;
  lg_actb_f32_fn b32;
  lg_actb_f64_fn b64;
} lg_activation;

/* Every activation, in API.md's order; the last entry has name NULL. */
LG_INTERNAL extern const lg_activation lg_activations[];

/* The activation called name, or NULL if there is none. */
LG_INTERNAL const lg_activation *lg_activation_find(const char *name);

/* LG_OK, or LG_EVALUE for parameter values PyTorch rejects: celu with
 * alpha == 0, and a mode that is not a valid choice index. PyTorch accepts
 * everything else (hardtanh with min_val > max_val, softplus with beta == 0,
 * NaN parameters), and so do we. */
LG_INTERNAL int lg_activation_check(const lg_activation *a, const lg_act_params *p);
/* Why lg_activation_check refused p, in PyTorch's words where it has them
 * ("alpha cannot be 0 for celu"), or NULL when it did not. */
LG_INTERNAL const char *lg_activation_refusal(const lg_activation *a, const lg_act_params *p);

/* A caller that splits one call over threads must start every part at a
 * multiple of this many elements, so each part computes what one call
 * would: 1024 (whole vector blocks), or LG_VF_NT_MIN where a float32
 * forward streams its output (relu; simd.h). */
LG_INTERNAL size_t lg_activation_align(const lg_activation *a, int f64, int backward, size_t n);

/* sigmoid and tanh again, their backward taken from the saved OUTPUT y
 * (PyTorch's aten::sigmoid_backward(grad_output, output) and
 * aten::tanh_backward): b32/b64 give dx = dy (1 - y) y and dx = dy (1 - y y)
 * (dy NULL: 1). float32 does PyTorch 1.13's float operations in its order,
 * so the bits are PyTorch's: (dy (1 - y)) y, and dy r with r = 1 - y y
 * rounded once (PyTorch's build fuses it into one FMA; 1 - y y in double,
 * rounded to float, is the same for every float y). float64 in double,
 * unfused. Plain IEEE products: no zero-derivative rule (inf * 0 is NaN).
 * f32 and f64 are NULL; the entries are "sigmoid" and "tanh", then NULL. */
LG_INTERNAL extern const lg_activation lg_activations_from_output[];

#if defined(LG_SIMD_TESTABLE)
/* Test programs only (tools/): a's scalar float32 kernels, which the
 * table's fast paths replace; the piecewise-linear fast paths must equal
 * them bit for bit. */
LG_INTERNAL void lg_activation_scalar32(const lg_activation *a, lg_act_f32_fn *f,
                                        lg_actb_f32_fn *b);
/* The scalar float32 backward of an entry of lg_activations_from_output
 * (the vector path must equal it bit for bit). */
LG_INTERNAL lg_actb_f32_fn lg_from_output_scalar32(const lg_activation *a);
#endif

#endif
