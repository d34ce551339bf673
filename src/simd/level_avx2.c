/* level_avx2.c - the fast float32 kernels for AVX2+FMA: 8-lane vectors
 * (one ymm register), a*b+c contracted to FMA, min/max by vminps/vmaxps.
 * Called only when cpuid reports AVX2 and FMA (dispatch.c). */
#include <math.h>
#include <string.h>

#include "simd/simd.h"

#ifdef LG_SIMD_X86
#if defined(__clang__)
#pragma clang fp contract(fast)
#else
#pragma GCC optimize("fp-contract=fast")
#endif
#include <immintrin.h>

#define LG_VW 8
/* the constant first: a NaN x (the second operand) is returned */
#define V_MIN(c, x) ((lg_vf)_mm256_min_ps((__m256)(c), (__m256)(x)))
#define V_MAX(c, x) ((lg_vf)_mm256_max_ps((__m256)(c), (__m256)(x)))
#define V_SQRT(x) ((lg_vf)_mm256_sqrt_ps((__m256)(x)))
/* 1 - y y with one rounding (FMA) */
#define V_ONE_MINUS_SQ(y) ((lg_vf)_mm256_fnmadd_ps((__m256)(y), (__m256)(y), _mm256_set1_ps(1.0f)))
/* float halves to and from double */
#define V_LO_D(v) ((lg_vd)_mm256_cvtps_pd(_mm256_castps256_ps128((__m256)(v))))
#define V_HI_D(v) ((lg_vd)_mm256_cvtps_pd(_mm256_extractf128_ps((__m256)(v), 1)))
#define V_PACK_D(lo, hi) ((lg_vf)_mm256_insertf128_ps( \
    _mm256_castps128_ps256(_mm256_cvtpd_ps((__m256d)(lo))), _mm256_cvtpd_ps((__m256d)(hi)), 1))
/* for vmath.h's table exp and gelu (erf): lanes of an 8-entry table by
 * t's low 3 bits; a b - c rounded once; some lane not below c (or NaN);
 * m ? a : b by m's sign bits (x < 0 and -0 alike) */
#define V_TAB8(tab, t) ((lg_vf)_mm256_permutevar8x32_ps(_mm256_load_ps(tab), (__m256i)(t)))
#define V_FMS(a, b, c) ((lg_vf)_mm256_fmsub_ps((__m256)(a), (__m256)(b), (__m256)(c)))
#define V_ANY_NLT(a, c) _mm256_movemask_ps(_mm256_cmp_ps((__m256)(a), _mm256_set1_ps(c), _CMP_NLT_UQ))
#define V_SEL_NEG(m, a, b) ((lg_vf)_mm256_blendv_ps((__m256)(b), (__m256)(a), (__m256)(m)))
#if defined(__clang__)   /* clang ignores GCC's target pragma: tag every function */
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif
#include "simd/vmath.h"
/* vmath_avx2.h's forms replace vmath.h's in the kernels below (same
 * results within the ulp bounds, NaN/inf handled by the generic form) */
#include "simd/vmath_avx2.h"
#define VF_SIGMOID(x) a2_sigmoid(x)
#define v_silu(x) a2_silu(x)
#define v_gelu_tanh(x) a2_gelu_tanh(x)
#define v_expm1_neg(x) a2_expm1_neg(x)
#define v_softplus(x, t) a2_softplus(x, t)
#define v_log_sigmoid(x) a2_log_sigmoid(x)
#define v_exp_neg(x) a2_exp_neg(x)   /* every use below: the softmax family, cross-entropy */
#define VF_EXP4(a, b, c, d) a2_exp4(a, b, c, d)
#ifdef V_GELU_ERF8
#define v_gelu_erf(x) v_gelu_erf8(x)
#endif
#define V_HSUM_D(v) vf_hsum4((__m256d)(v))
#define V_STREAM(p, v) _mm256_stream_ps((p), (__m256)(v))   /* p 32-byte aligned */
#define V_SFENCE() _mm_sfence()
static inline __attribute__((always_inline)) double vf_hsum4(__m256d v)
{
  __m128d t = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
  return _mm_cvtsd_f64(_mm_add_sd(t, _mm_unpackhi_pd(t, t)));
}

#define VF_TGT __attribute__((target("avx2,fma")))
#define VF_NAME(f) f##_avx2
/* rows of 1..16 (vsoftmax_avx2.h, defined after the body: it uses vf_logd) */
static VF_TGT int a2_softmax_short(int op, size_t rows, size_t n, float *y, const float *x);
#define VF_SOFTMAX_SHORT(op, rows, n, y, x) a2_softmax_short(op, rows, n, y, x)
#include "simd/body.h"
#include "simd/vsoftmax_avx2.h"
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#else
typedef int lg_vfast_avx2_unused;   /* not an x86 compiler: nothing here */
#endif
