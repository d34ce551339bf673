/* level_neon.c - the fast float32 kernels for AArch64 Advanced SIMD
 * (NEON): 4-lane vectors (one q register), a*b+c contracted to FMA, and
 * the intrinsics below where GNU vectors alone would be slower or differ.
 * Advanced SIMD is part of every AArch64 CPU, so this is the best level
 * there (dispatch.c) and needs no target attribute or run-time check. */
#include <math.h>
#include <string.h>

#include "simd/simd.h"

#ifdef LG_SIMD_ARM
#if defined(__clang__)
#pragma clang fp contract(fast)
#else
#pragma GCC optimize("fp-contract=fast")
#endif
#include <arm_neon.h>

#define LG_VW 4
/* min(c, x) and max(c, x) as x86's minps/maxps: the second operand unless
 * the first is strictly smaller (larger), so a NaN in either gives the
 * second (vmath.h's v_sub_lo relies on max(NaN, -1) = -1). FMIN/FMAX
 * would return NaN for a NaN first operand, so: a compare and a select. */
#define V_MIN(c, x) ((lg_vf)vbslq_f32(vcltq_f32((float32x4_t)(c), (float32x4_t)(x)), \
    (float32x4_t)(c), (float32x4_t)(x)))
#define V_MAX(c, x) ((lg_vf)vbslq_f32(vcgtq_f32((float32x4_t)(c), (float32x4_t)(x)), \
    (float32x4_t)(c), (float32x4_t)(x)))
#define V_SQRT(x) ((lg_vf)vsqrtq_f32((float32x4_t)(x)))   /* FSQRT: IEEE */
/* 1 - y y with one rounding (FMLS) */
#define V_ONE_MINUS_SQ(y) ((lg_vf)vfmsq_f32(vdupq_n_f32(1.0f), (float32x4_t)(y), (float32x4_t)(y)))
/* float halves to and from double (FCVTL, FCVTL2, FCVTN, FCVTN2) */
#define V_LO_D(v) ((lg_vd)vcvt_f64_f32(vget_low_f32((float32x4_t)(v))))
#define V_HI_D(v) ((lg_vd)vcvt_high_f64_f32((float32x4_t)(v)))
#define V_PACK_D(lo, hi) ((lg_vf)vcvt_high_f32_f64(vcvt_f32_f64((float64x2_t)(lo)), (float64x2_t)(hi)))
/* t[k] per lane from a 16-float table (gelu's coefficients, vmath.h): one
 * TBL over the table's 64 bytes, lane k's bytes 4k .. 4k+3 (k in [0, 15];
 * a larger index reads 0, never outside the table) */
static inline __attribute__((always_inline)) float32x4_t neon_tab16(const float *t, int32x4_t k)
{
  uint8x16x4_t tb;
  uint32x4_t b = vmlaq_n_u32(vdupq_n_u32(0x03020100u), vreinterpretq_u32_s32(k), 0x04040404u);
  tb.val[0] = vreinterpretq_u8_f32(vld1q_f32(t));
  tb.val[1] = vreinterpretq_u8_f32(vld1q_f32(t + 4));
  tb.val[2] = vreinterpretq_u8_f32(vld1q_f32(t + 8));
  tb.val[3] = vreinterpretq_u8_f32(vld1q_f32(t + 12));
  return vreinterpretq_f32_u8(vqtbl4q_u8(tb, vreinterpretq_u8_u32(b)));
}
#define V_TAB16(t, k) ((lg_vf)neon_tab16((t), (int32x4_t)(k)))
#define V_HSUM_D(v) vaddvq_f64((float64x2_t)(v))
#include "simd/vmath.h"

#define VF_TGT
#define VF_NAME(f) f##_neon
#include "simd/body.h"
#else
typedef int lg_vfast_neon_unused;   /* not an AArch64 compiler: nothing here */
#endif
