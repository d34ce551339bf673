/* vfast_avx512.c - the fast float32 kernels for AVX-512 (F, DQ, VL, BW):
 * 16-lane vectors (one zmm register), a*b+c contracted to FMA, min/max by
 * vminps/vmaxps. Called only when cpuid reports them and the OS saves the
 * zmm state (vfast.c). */
#include <math.h>
#include <string.h>

#include "vfast.h"

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
/* float halves to and from double */
#define V_LO_D(v) ((lg_vd)_mm512_cvtps_pd(_mm512_castps512_ps256((__m512)(v))))
#define V_HI_D(v) ((lg_vd)_mm512_cvtps_pd(_mm256_castpd_ps( \
    _mm512_extractf64x4_pd(_mm512_castps_pd((__m512)(v)), 1))))
#define V_PACK_D(lo, hi) ((lg_vf)_mm512_insertf32x8( \
    _mm512_castps256_ps512(_mm512_cvtpd_ps((__m512d)(lo))), _mm512_cvtpd_ps((__m512d)(hi)), 1))
#if defined(__clang__)   /* clang ignores GCC's target pragma: tag every function */
#pragma clang attribute push(__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl,avx512bw,fma")
#endif
#include "vmath.h"
#define V_HSUM_D(v) _mm512_reduce_add_pd((__m512d)(v))
#define V_STREAM(p, v) _mm512_stream_ps((p), (__m512)(v))   /* p 64-byte aligned */
#define V_SFENCE() _mm_sfence()
/* the first k < 16 lanes from or to p (the others f / untouched): masked
 * lanes are never accessed, so a row's end needs no padded copy */
#define V_LDTAIL(p, k, f) ((lg_vf)_mm512_mask_loadu_ps(_mm512_set1_ps(f), \
    (__mmask16)((1u << (k)) - 1u), (p)))
#define V_STTAIL(p, k, v) _mm512_mask_storeu_ps((p), (__mmask16)((1u << (k)) - 1u), (__m512)(v))

#define VF_TGT __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma")))
#define VF_NAME(f) f##_avx512
#include "vfast_body.h"
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#else
typedef int lg_vfast_avx512_unused;   /* not an x86 compiler: nothing here */
#endif
