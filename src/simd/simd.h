/* simd.h - fast float32 kernels with run-time CPU dispatch (no Lua).
 *
 * The same source (simd/body.h on vmath.h's vectors) is compiled once
 * per level, each at its own register width: on x86, level_avx512.c (16
 * lanes, FMA) and level_avx2.c (8 lanes, AVX2+FMA); on AArch64,
 * level_neon.c (4 lanes, Advanced SIMD with FMA); everywhere,
 * level_portable.c (4 lanes, the baseline ISA: SSE2 on x86-64, whatever
 * the compiler vectorises elsewhere). Each file defines one table of its
 * kernels (lg_vf_level, below); dispatch.c chooses one table once, by CPU
 * feature (cpuid + xgetbv; on AArch64 NEON is always there) or by the
 * environment variable LGRAD_SIMD, and every lg_v*_f32 entry
 * point is one indirect call through it: the same levels on every OS and
 * libc (no ifunc), from the default build (plain -O2, no -march).
 * Arrays are contiguous; y may equal x (and dx may equal dy or x). */
#ifndef LG_KERNELS_VFAST_H
#define LG_KERNELS_VFAST_H

#include <stddef.h>
#include <stdint.h>
#include "lg_common.h"

/* Dispatch levels. They are ranks within one architecture, 0 (portable)
 * up to the best: x86 has avx2 (1) and avx512 (2), AArch64 has neon (1),
 * so lg_simd_name says which level a rank is on this build; test programs
 * loop over 0 .. lg_simd_best(). lg_simd_best is what the CPU (and the OS,
 * through xgetbv) supports. The level in use is chosen on the first kernel
 * call (or lg_simd_level): the best, or the one
 * LGRAD_SIMD=portable|avx2|avx512|neon names; a level the machine lacks
 * (neon on x86, avx2 on AArch64 included), or another word, gives the
 * best and one warning on stderr. Test programs (tools/, bench/) may
 * switch levels with lg_simd_set_level (clamped to the best; LG_SIMD_AUTO
 * = the best; returns the level now in use); the module never does. */
enum { LG_SIMD_PORTABLE = 0, LG_SIMD_AVX2 = 1, LG_SIMD_AVX512 = 2, LG_SIMD_NEON = 1,
       LG_SIMD_AUTO = -1 };
LG_INTERNAL int lg_simd_level(void);
LG_INTERNAL int lg_simd_best(void);
LG_INTERNAL int lg_simd_set_level(int level);
LG_INTERNAL const char *lg_simd_name(int level);

typedef struct lg_vpend lg_vpend;   /* below */

/* One level's kernels (defined by simd/body.h in each level_*.c). */
typedef struct lg_vf_level {
  void (*act)(int, size_t, float *, const float *, const float *, double, double);
  void (*softmax)(int, size_t, size_t, float *, const float *);
  double (*expsum)(size_t, float *, const float *, float, const float *, float *,
                   const float *, const lg_vpend *);
  float (*max)(size_t, const float *);
  void (*pendout)(size_t, const lg_vpend *);
  double (*sum)(size_t, const float *);
  int (*ce)(size_t, size_t, const float *, const int64_t *, const float *, int64_t, double,
            float *, float *, double *);
} lg_vf_level;
LG_INTERNAL extern const lg_vf_level lg_vf_level_portable;
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define LG_SIMD_X86 1
LG_INTERNAL extern const lg_vf_level lg_vf_level_avx2;
LG_INTERNAL extern const lg_vf_level lg_vf_level_avx512;
#endif
/* AArch64 little-endian with GNU vectors (GCC, clang, Apple clang):
 * Advanced SIMD is mandatory there, so no run-time check */
#if defined(__GNUC__) && defined(__aarch64__) && (defined(__ARM_NEON) || defined(__ARM_NEON__)) \
    && !defined(__ARM_BIG_ENDIAN)
#define LG_SIMD_ARM 1
LG_INTERNAL extern const lg_vf_level lg_vf_level_neon;
#endif

/* The table in use: the module's one writable global. It starts at a
 * table of starters, each of which chooses the level (lg_vf_choose) and
 * then calls that level's kernel, so no call tests whether the choice is
 * made. It changes once in effect: the first thread to choose stores the
 * table (lua_States in threads may load lgrad at the same moment; all
 * would store the same one), and every table is constant, so a reader
 * sees the starters or the chosen table, never anything else. */
LG_INTERNAL extern const lg_vf_level *lg_vf_cur;
LG_INTERNAL const lg_vf_level *lg_vf_choose(void);

/* always_inline: a file with its own #pragma GCC optimize (tensor.c) would
 * otherwise get out-of-line copies of these, GCC not inlining across
 * different optimize settings. */
#if defined(__GNUC__)
#define LG_VF_INLINE static inline __attribute__((always_inline))
#else
#define LG_VF_INLINE static inline
#endif

LG_VF_INLINE const lg_vf_level *lg_vf_table(void)
{
#if defined(__GNUC__)
  return __atomic_load_n(&lg_vf_cur, __ATOMIC_ACQUIRE);
#else
  return *(const lg_vf_level *const volatile *)&lg_vf_cur;
#endif
}

/* Streaming: outputs of at least LG_VF_NT_MIN floats (8 MB, more than
 * the caches keep) are written with non-temporal stores where the level
 * has them (the line is not read before it is written: a third less memory
 * traffic). That is float32 relu, softmax and log_softmax over rows of at
 * most LG_VF_NT_ROW, and cross-entropy's gradient (loss.c). A caller that
 * splits such a call over threads keeps each part that long, through the
 * kernels' own lg_activation_align and lg_softmax_align. */
#define LG_VF_NT_MIN ((size_t)1 << 21)
#define LG_VF_NT_ROW 4096

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
  /* piecewise-linear ones, bit-identical to activation.c's scalar forms */
  LG_VA_RELU, LG_VA_RELU_D,
  LG_VA_LEAKY, LG_VA_LEAKY_D,             /* a: negative_slope */
  LG_VA_HARDTANH, LG_VA_HARDTANH_D,       /* a, b: min_val, max_val (not NaN) */
  LG_VA_HARDSIGMOID, LG_VA_HARDSIGMOID_D,
  LG_VA_HARDSWISH, LG_VA_HARDSWISH_D,
  LG_VA_HEAVISIDE, LG_VA_HEAVISIDE_D,
  LG_VA_GELU,       /* x/2 erfc(-x/sqrt 2) */
  LG_VA_SOFTPLUS,   /* beta 1, a = threshold (a float value) */
  LG_VA_SOFTPLUS_D, /* dy (x > a ? 1 : sigmoid(x)) */
  LG_VA_LOG_SIGMOID,    /* min(x, 0) - log1p(exp(-|x|)) */
  LG_VA_LOG_SIGMOID_D,  /* dy sigmoid(-x) */
  LG_VA_SELU,       /* x > 0 ? x + b x : a expm1(x) (a = scale alpha, b = scale - 1:
                       * x + b x rounds like scale x and overflows only where it does) */
  LG_VA_CELU,       /* x > 0 ? x : a expm1(x / a), a > 0 a float value */
  LG_VA_MISH,       /* x tanh(softplus(x)) */
  LG_VA_SOFTSIGN,   /* x / (1 + |x|) */
  /* backward from the saved output y (x holds y), PyTorch's float bits:
   * dy may not be NULL */
  LG_VA_SIGMOID_Y,  /* (dy (1 - y)) y */
  LG_VA_TANH_Y,     /* dy r, r = 1 - y y rounded once (as one FMA) */
  /* the bare building blocks, for test/ulp_all.c */
  LG_VA_EXP,        /* exp(x) */
  LG_VA_EXP_NEG,    /* exp(x) for x <= 0 (softmax's exp; NaN not allowed) */
  LG_VA_LOG1P01,    /* log1p(x) for x in [0, 1] */
  LG_VA_SCALE_NT,   /* x * (float)a, non-temporal stores where the level has them
                     * (outputs that will not be read soon: cross-entropy's grad) */
  LG_VA_SQRT,       /* sqrt(x), IEEE (correctly rounded), for tensor math */
  LG_VA_LOG,        /* log(x), every float (tensor math) */
  LG_VA_COUNT
};

/* y = op(x) (or dx = dy * op'(x)); a, b are the op's parameters (elu:
 * alpha, which must be a float value). */
LG_VF_INLINE void lg_vact_f32(int op, size_t n, float *y, const float *x, const float *dy,
                              double a, double b)
{
  lg_vf_table()->act(op, n, y, x, dy, a, b);
}

/* Row kernels over rows rows of n contiguous elements:
 *   LG_VS_SOFTMAX      y = exp(x - m) / sum exp(x - m)      (y: rows * n)
 *   LG_VS_LOG_SOFTMAX  y = (x - m) - log sum exp(x - m)     (y: rows * n)
 *   LG_VS_LOGSUMEXP    y = m + log sum exp(x - m)           (y: rows)
 * with the NaN/inf rules of softmax.h. Sums are accumulated in double. */
enum { LG_VS_SOFTMAX, LG_VS_LOG_SOFTMAX, LG_VS_LOGSUMEXP };
LG_VF_INLINE void lg_vsoftmax_f32(int op, size_t rows, size_t n, float *y, const float *x)
{
  lg_vf_table()->softmax(op, rows, n, y, x);
}

/* A row whose output is still to be written: y_j = e_j * f, except
 * y_t = gt (t = (size_t)-1: none); nt: with non-temporal stores. */
struct lg_vpend {
  const float *e;
  float *y;
  float f;
  int nt;
  size_t t;
  float gt;
};

/* One row of a row pipeline (cross-entropy): returns sum_j exp(x_j - m)
 * in double (m finite) and, when e is not NULL, stores e_j = exp(x_j - m)
 * (e may equal x). In the same pass, when not NULL: xn is the next row (n
 * floats) and *mn gets its max (as lg_vmax_f32); pf is a later row, which
 * is prefetched; prev, the previous row's output, is written. */
LG_VF_INLINE double lg_vexpsum_f32(size_t n, float *e, const float *x, float m,
                                   const float *xn, float *mn, const float *pf,
                                   const lg_vpend *prev)
{
  return lg_vf_table()->expsum(n, e, x, m, xn, mn, pf, prev);
}

/* Writes prev (n elements; may be NULL), then a store fence: the end of
 * such a pipeline. */
LG_VF_INLINE void lg_vpendout_f32(size_t n, const lg_vpend *prev)
{
  lg_vf_table()->pendout(n, prev);
}

/* Cross-entropy over short rows (class targets, no label smoothing):
 * rows rows of n classes (row i at z + i n), targets t (checked: in
 * [0, n) unless == ignore), class weights w (NULL: 1), a = 1/W for mean
 * (else 1). Per row, as loss.c's ce_index (NaN or +-inf rows included):
 *   ls = log sum exp(z - m), nll = -(w_t ((z_t - m) - ls)) (0 if ignored),
 *   losses[i] = nll (if losses), *nll_sum += nll (summed in lanes);
 *   grad (if not NULL) = e (a w_t / s), except grad_t = a (e_t / s w_t - w_t);
 *   ignored rows: e (0 / s) (0, or NaN for a NaN sum).
 * grad may alias z. Returns 0, having done nothing, when the level has no
 * kernel for this n (the caller then takes its per-row path), else 1. */
LG_VF_INLINE int lg_vce_f32(size_t rows, size_t n, const float *z, const int64_t *t,
                            const float *w, int64_t ignore, double a, float *losses,
                            float *grad, double *nll_sum)
{
  return lg_vf_table()->ce(rows, n, z, t, w, ignore, a, losses, grad, nll_sum);
}

/* max of x[0..n-1] (n >= 1); NaN if any element is NaN. */
LG_VF_INLINE float lg_vmax_f32(size_t n, const float *x)
{
  return lg_vf_table()->max(n, x);
}

/* sum of x[0..n-1] in double (the float lanes widened; the order of the
 * additions depends on the level). */
LG_VF_INLINE double lg_vsum_f32(size_t n, const float *x)
{
  return lg_vf_table()->sum(n, x);
}


#endif
