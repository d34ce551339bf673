/* level_avx512.c - the fast float32 kernels for AVX-512 (F, DQ, VL, BW):
 * 16-lane vectors (one zmm register), a*b+c contracted to FMA, min/max by
 * vminps/vmaxps. Called only when cpuid reports them and the OS saves the
 * zmm state (dispatch.c). */
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

#define LG_VW 16
#define V_MIN(c, x) ((lg_vf)_mm512_min_ps((__m512)(c), (__m512)(x)))
#define V_MAX(c, x) ((lg_vf)_mm512_max_ps((__m512)(c), (__m512)(x)))
#define V_SQRT(x) ((lg_vf)_mm512_sqrt_ps((__m512)(x)))
#define V_RCPD(d) ((lg_vd)_mm512_rcp14_pd((__m512d)(d)))   /* 1/d to 2^-14, doubles */
#define V_ONE_MINUS_SQ(y) ((lg_vf)_mm512_fnmadd_ps((__m512)(y), (__m512)(y), _mm512_set1_ps(1.0f)))
#define V_SCALEF(p, n) ((lg_vf)_mm512_scalef_ps((__m512)(p), (__m512)(n)))
/* q 2^n (n integer-valued, >= -217; NaN passes), rounded once as
 * vscalefps rounds it, but with no lane that makes a subnormal: a
 * vscalefps into the subnormals costs a microcode assist on Intel (~150
 * cycles a vector: softmax-family rows whose logits span more than 87 ran
 * 5-8x slower, sigmoid of inputs in [-100, 100] 18x). Where a vector has
 * an n < -125, the lanes whose |q| 2^(n + 149) (exact, normal) is below
 * 2^24 (results below 2^-125) are that count of 2^-149 rounded to an
 * integer (vcvtps2dq, to nearest even), whose bits, with q's sign, read
 * as a float are the result; the other lanes are normal results. */
#define V_SCALEF_SMALL(q, n) __extension__({ \
    __m512 q_ = (__m512)(q), n_ = (__m512)(n), e_; \
    __mmask16 lo_ = _mm512_cmp_ps_mask(n_, _mm512_set1_ps(-125.5f), _CMP_LT_OQ); \
    if (__builtin_expect(lo_ != 0, 0)) { \
      __m512 b_ = _mm512_abs_ps(_mm512_scalef_ps(q_, _mm512_add_ps(n_, _mm512_set1_ps(149.0f)))); \
      __mmask16 ti_ = _mm512_mask_cmp_ps_mask(lo_, b_, _mm512_set1_ps(16777216.0f), _CMP_LT_OQ); \
      __m512i m_ = _mm512_or_si512(_mm512_cvtps_epi32(b_), \
          _mm512_and_si512(_mm512_castps_si512(q_), _mm512_set1_epi32((int)0x80000000))); \
      e_ = _mm512_mask_mov_ps(_mm512_scalef_ps(q_, _mm512_mask_mov_ps(n_, ti_, _mm512_setzero_ps())), \
                              ti_, _mm512_castsi512_ps(m_)); \
    } else \
      e_ = _mm512_scalef_ps(q_, n_); \
    (lg_vf)e_; })
/* float halves to and from double */
#define V_LO_D(v) ((lg_vd)_mm512_cvtps_pd(_mm512_castps512_ps256((__m512)(v))))
#define V_HI_D(v) ((lg_vd)_mm512_cvtps_pd(_mm256_castpd_ps( \
    _mm512_extractf64x4_pd(_mm512_castps_pd((__m512)(v)), 1))))
#define V_PACK_D(lo, hi) ((lg_vf)_mm512_insertf32x8( \
    _mm512_castps256_ps512(_mm512_cvtpd_ps((__m512d)(lo))), _mm512_cvtpd_ps((__m512d)(hi)), 1))
/* for vmath.h's gelu (erf), as level_avx2.c's (lg_exp8_tab holds its 8
 * entries twice, for the permute's 4 index bits) */
#define V_TAB8(tab, t) ((lg_vf)_mm512_permutexvar_ps((__m512i)(t), _mm512_load_ps(tab)))
#define V_FMS(a, b, c) ((lg_vf)_mm512_fmsub_ps((__m512)(a), (__m512)(b), (__m512)(c)))
#define V_ANY_NLT(a, c) (_mm512_cmp_ps_mask((__m512)(a), _mm512_set1_ps(c), _CMP_NLT_UQ) != 0)
#define V_FRAC(a) ((lg_vf)_mm512_reduce_ps((__m512)(a), _MM_FROUND_TO_NEG_INF))   /* a - floor(a) */
#define V_SEL_NEG(m, a, b) ((lg_vf)_mm512_mask_blend_ps(_mm512_movepi32_mask((__m512i)(m)), \
                                                        (__m512)(b), (__m512)(a)))
#if defined(__clang__)   /* clang ignores GCC's target pragma: tag every function */
#pragma clang attribute push(__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl,avx512bw,fma")
#endif
#include "simd/vmath.h"
#define VF_SIGMOID(x) v_sigmoid_fast(x)
#define VF_SILU(x) v_silu_fast(x)
#ifdef V_GELU_ERF8
#define v_gelu_erf(x) v_gelu_erf8(x)
#endif
#define V_HSUM_D(v) _mm512_reduce_add_pd((__m512d)(v))
#define V_STREAM(p, v) _mm512_stream_ps((p), (__m512)(v))   /* p 64-byte aligned */
#define V_SFENCE() _mm_sfence()
/* the first k < 16 lanes from or to p (the others f / untouched): masked
 * lanes are never accessed, so a row's end needs no padded copy */
#define V_LDTAIL(p, k, f) ((lg_vf)_mm512_mask_loadu_ps(_mm512_set1_ps(f), \
    (__mmask16)((1u << (k)) - 1u), (p)))
/* the first k lanes of v, the others 0: a row's fill lanes go into the exp
 * as 0, not -inf, since an exp that underflows through a subnormal costs a
 * microcode assist per vector on Intel cores (10x slower rows of 10) */
#define V_ZTAIL(k, v) ((lg_vf)_mm512_maskz_mov_ps((__mmask16)((1u << (k)) - 1u), (__m512)(v)))
#define V_STTAIL(p, k, v) _mm512_mask_storeu_ps((p), (__mmask16)((1u << (k)) - 1u), (__m512)(v))

#define VF_TGT __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma")))
#define VF_NAME(f) f##_avx512
/* log_softmax and logsumexp over rows of at most 16 go to the AVX2 level's
 * short-row kernel (vsoftmax_avx2.h: eight rows side by side, the logs on
 * double lanes; every AVX-512 CPU has AVX2 and FMA, dispatch.c), 1.9x and
 * 1.3x faster at [65536, 10] than the chunked path here with its libm log
 * per row; softmax keeps its masked one-vector rows (vsoftmax_row1) */
#define VF_SOFTMAX_SHORT(op, rows, n, y, x) \
  ((n) <= 16 && (op) != LG_VS_SOFTMAX ? (lg_vf_level_avx2.softmax((op), (rows), (n), (y), (x)), 1) : 0)
#include "simd/body.h"
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#else
typedef int lg_vfast_avx512_unused;   /* not an x86 compiler: nothing here */
#endif
