/* vfast.h - fast float32 kernels with run-time CPU dispatch (no Lua).
 *
 * The same source (vfast_body.h, on 16-lane vectors from vmath.h) is
 * compiled three times: for AVX-512, for AVX2, and for the baseline ISA
 * (SSE2 on x86-64; whatever the compiler vectorises elsewhere). The level
 * is picked once at load time with __builtin_cpu_supports, so the default
 * build (plain -O2, no -march) gets the fast paths. All levels give
 * bit-identical results (vmath.h explains why).
 * Arrays are contiguous; y may equal x (and dx may equal dy or x). */
#ifndef LG_KERNELS_VFAST_H
#define LG_KERNELS_VFAST_H

#include <stddef.h>
#include "../lg_common.h"

/* Elementwise ops of lg_vact_f32. The _D ops are derivatives:
 * dx = dy * f'(x), dy == NULL meaning 1 (activation.h's backward rule). */
enum {
  LG_VA_SIGMOID,    /* 1 / (1 + exp(-x)) */
  LG_VA_SILU,       /* x sigmoid(x) */
  LG_VA_TANH,
  LG_VA_ELU,        /* x > 0 ? x : a expm1(x) */
  LG_VA_GELU_TANH,  /* x sigmoid(2 sqrt(2/pi) (x + 0.044715 x^3)) */
  LG_VA_SIGMOID_D,  /* dy e / (1 + e)^2, e = exp(-|x|) */
  LG_VA_TANH_D,     /* dy 4e / (1 + e)^2, e = exp(-2|x|) */
  LG_VA_COUNT
};

/* y = op(x) (or dx = dy * op'(x)); a is the op's parameter (elu: alpha). */
LG_INTERNAL void lg_vact_f32(int op, size_t n, float *y, const float *x, const float *dy,
                             float a);

/* Row kernels over rows rows of n contiguous elements:
 *   LG_VS_SOFTMAX      y = exp(x - m) / sum exp(x - m)      (y: rows * n)
 *   LG_VS_LOG_SOFTMAX  y = x - (m + log sum exp(x - m))     (y: rows * n)
 *   LG_VS_LOGSUMEXP    y = m + log sum exp(x - m)           (y: rows)
 * with the NaN/inf rules of softmax.h. Sums are accumulated in double. */
enum { LG_VS_SOFTMAX, LG_VS_LOG_SOFTMAX, LG_VS_LOGSUMEXP };
LG_INTERNAL void lg_vsoftmax_f32(int op, size_t rows, size_t n, float *y, const float *x);

/* Fused exp-sum for one row: returns sum_j exp(x_j - m) in double and,
 * when e is not NULL, stores e_j = exp(x_j - m) (e may equal x).
 * m must be finite. */
LG_INTERNAL double lg_vexpsum_f32(size_t n, float *e, const float *x, float m);

/* max of x[0..n-1] (n >= 1); NaN if any element is NaN. */
LG_INTERNAL float lg_vmax_f32(size_t n, const float *x);

/* Dispatch levels. lg_simd_set_level clamps to what the CPU supports and
 * returns the level now in use; tests and the bench use it to compare the
 * levels (LG_SIMD_AUTO restores the best one). */
enum { LG_SIMD_PORTABLE = 0, LG_SIMD_AVX2 = 1, LG_SIMD_AVX512 = 2, LG_SIMD_AUTO = -1 };
LG_INTERNAL int lg_simd_level(void);
LG_INTERNAL int lg_simd_best(void);
LG_INTERNAL int lg_simd_set_level(int level);
LG_INTERNAL const char *lg_simd_name(int level);

#endif
