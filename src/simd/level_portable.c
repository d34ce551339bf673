/* level_portable.c - the fast float32 kernels for the baseline ISA
 * (SSE2 on x86-64): 4-lane vectors, no FMA contraction (-std=c99). */
#include <math.h>
#include <string.h>

#include "simd/simd.h"

#define LG_VW 4
#if defined(__SSE2__) && defined(__GNUC__)
#include <emmintrin.h>
/* the constant first: a NaN x (the second operand) is returned */
#define V_MIN(c, x) ((lg_vf)_mm_min_ps((__m128)(c), (__m128)(x)))
#define V_MAX(c, x) ((lg_vf)_mm_max_ps((__m128)(c), (__m128)(x)))
#define V_SQRT(x) ((lg_vf)_mm_sqrt_ps((__m128)(x)))
/* any lane with !(a < c), NaN included (one movmskps) */
#define V_ANY_NLT(a, c) _mm_movemask_ps(_mm_cmpnlt_ps((__m128)(a), _mm_set1_ps(c)))
/* float halves to and from double */
#define V_LO_D(v) ((lg_vd)_mm_cvtps_pd((__m128)(v)))
#define V_HI_D(v) ((lg_vd)_mm_cvtps_pd(_mm_movehl_ps((__m128)(v), (__m128)(v))))
#define V_PACK_D(lo, hi) ((lg_vf)_mm_movelh_ps(_mm_cvtpd_ps((__m128d)(lo)), _mm_cvtpd_ps((__m128d)(hi))))
#endif
#include "simd/vmath.h"
#ifdef V_ANY_NLT
#define VF_SIGMOID(x) v_sigmoid_fast(x)
#define VF_SILU(x) v_silu_fast(x)
#endif

#define VF_TGT
#define VF_NAME(f) f##_portable
#include "simd/body.h"
