/* vmath.h - float32 math on GCC/clang vectors of LG_VW lanes.
 *
 * Private to the level_*.c files: each defines LG_VW (16 for AVX-512, 8
 * for AVX2, 4 for NEON and the portable SSE2 baseline), optionally V_MIN/V_MAX
 * (min/max intrinsics) and other V_ hooks, then includes this file; every function is forced
 * inline into the target-specific kernels of simd/body.h, so each level
 * works on vectors of its own register width.
 *
 * The AVX2, AVX-512 and NEON files let GCC contract a*b+c into FMA, the
 * portable one does not, so levels may differ by an ulp or two (each stays within
 * the bounds that test/act_ulp and test/ulp_all check per level). No
 * -ffast-math: NaN and +-inf are handled by explicit selects.
 *
 * Accuracy over all float32 inputs (test/ulp_all.c, vs double libm):
 * see docs/speed.md. */
#ifndef LG_KERNELS_VMATH_H
#define LG_KERNELS_VMATH_H

#include <stdint.h>
#include <string.h>
#include "kernels/kutil.h"

#ifndef LG_VW
#error "define LG_VW (4, 8 or 16) before including vmath.h"
#endif

/* These helpers are always inlined, so the by-value vector ABI never
 * matters; GCC warns about it anyway. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

/* Lane-wise conversion between vector types: GCC 9+ and clang have a
 * builtin; GCC 8 (Raspberry Pi OS Buster, Debian Buster) gets the same
 * C conversion lane by lane. LG_NO_CONVERTVECTOR forces the fallback, so
 * that it is tested (make test-flags). */
#if !defined(LG_NO_CONVERTVECTOR) && (defined(__clang__) || __GNUC__ >= 9)
#define V_CVT(v, T) __builtin_convertvector(v, T)
#else
#define V_CVT(v, T) __extension__({                                  \
    __typeof__(v) v_cvt_a = (v);                                     \
    T v_cvt_r;                                                       \
    int v_cvt_k;                                                     \
    for (v_cvt_k = 0; v_cvt_k < (int)(sizeof v_cvt_r / sizeof v_cvt_r[0]); v_cvt_k++) \
      v_cvt_r[v_cvt_k] = v_cvt_a[v_cvt_k];                           \
    v_cvt_r;                                                         \
  })
#endif

typedef float lg_vf __attribute__((vector_size(LG_VW * 4)));
typedef int32_t lg_vi __attribute__((vector_size(LG_VW * 4)));
typedef uint32_t lg_vu __attribute__((vector_size(LG_VW * 4)));   /* bits that may wrap */
typedef float lg_vfh __attribute__((vector_size(LG_VW * 2)));   /* half a vector */
typedef int32_t lg_vih __attribute__((vector_size(LG_VW * 2)));
typedef double lg_vd __attribute__((vector_size(LG_VW * 4)));   /* LG_VW/2 doubles */
typedef int64_t lg_vl __attribute__((vector_size(LG_VW * 4)));

LG_ALWAYS_INLINE lg_vf v_ld(const float *p) { lg_vf v; memcpy(&v, p, sizeof v); return v; }
LG_ALWAYS_INLINE void v_st(float *p, lg_vf v) { memcpy(p, &v, sizeof v); }
LG_ALWAYS_INLINE lg_vf v_set(float a) { lg_vf v = { 0 }; return v + a; }

/* m ? a : b, lane by lane (m is 0 or -1 per lane, as comparisons give) */
LG_ALWAYS_INLINE lg_vf v_sel(lg_vi m, lg_vf a, lg_vf b)
{
  return (lg_vf)((m & (lg_vi)a) | (~m & (lg_vi)b));
}
/* min(c, x) and max(c, x) for a constant c: NaN x gives x (as x86's
 * minps/maxps with x second, which level_avx*.c plug in). */
#ifndef V_MIN
#define V_MIN(c, x) v_sel(((x) != (x)) | ((x) < (c)), (x), (c))
#define V_MAX(c, x) v_sel(((x) != (x)) | ((x) > (c)), (x), (c))
#define V_MAX_GENERIC 1
#endif
LG_ALWAYS_INLINE lg_vf v_abs(lg_vf x) { return (lg_vf)((lg_vi)x & 0x7fffffff); }
/* |x| with the sign of s */
LG_ALWAYS_INLINE lg_vf v_copysign(lg_vf x, lg_vf s)
{
  return (lg_vf)(((lg_vi)x & 0x7fffffff) | ((lg_vi)s & (int32_t)0x80000000));
}

/* The two halves of a vector widened to double (for sums in double), and
 * two double halves rounded back into one float vector. */
#ifdef V_LO_D   /* the level's intrinsics (level_*.c): no trip through memory */
LG_ALWAYS_INLINE lg_vd v_lo_d(lg_vf v) { return V_LO_D(v); }
LG_ALWAYS_INLINE lg_vd v_hi_d(lg_vf v) { return V_HI_D(v); }
LG_ALWAYS_INLINE lg_vf v_pack_d(lg_vd lo, lg_vd hi) { return V_PACK_D(lo, hi); }
#else
LG_ALWAYS_INLINE lg_vd v_lo_d(lg_vf v)
{
  lg_vfh h;
  memcpy(&h, &v, sizeof h);
  return V_CVT(h, lg_vd);
}
LG_ALWAYS_INLINE lg_vd v_hi_d(lg_vf v)
{
  lg_vfh h;
  memcpy(&h, (const char *)&v + sizeof h, sizeof h);
  return V_CVT(h, lg_vd);
}
LG_ALWAYS_INLINE lg_vf v_pack_d(lg_vd lo, lg_vd hi)
{
  lg_vfh h[2];
  lg_vf v;
  h[0] = V_CVT(lo, lg_vfh);
  h[1] = V_CVT(hi, lg_vfh);
  memcpy(&v, h, sizeof v);
  return v;
}
#endif

#ifdef V_TAB8   /* the level picks lanes of an 8-entry table by t's low bits */
/* 2^(j/8) rounded to float, and the rest (2^(j/8) - hi, rounded), twice
 * over, so a 16-lane permute (which reads 4 index bits) sees j mod 8 */
static const float lg_exp8_tab[2][16] __attribute__((aligned(64), unused)) = {
  { 1.0f, 1.090507746e+00f, 1.189207077e+00f, 1.296839595e+00f,
    1.414213538e+00f, 1.542210817e+00f, 1.681792855e+00f, 1.834008098e+00f,
    1.0f, 1.090507746e+00f, 1.189207077e+00f, 1.296839595e+00f,
    1.414213538e+00f, 1.542210817e+00f, 1.681792855e+00f, 1.834008098e+00f },
  { 0.0f, -1.307753994e-08f, 3.797635273e-08f, -4.018999533e-08f,
    2.420323497e-08f, 8.070904833e-09f, -2.475532668e-08f, -1.123927795e-08f,
    0.0f, -1.307753994e-08f, 3.797635273e-08f, -4.018999533e-08f,
    2.420323497e-08f, 8.070904833e-09f, -2.475532668e-08f, -1.123927795e-08f }
};
/* m << 23 for 2^m = 2^floor(k/8), from t = 1.5 * 2^23 + k (k's low 3 bits
 * picked the table entry): in unsigned lanes, as t's bits shifted left
 * wrap past an int */
LG_ALWAYS_INLINE lg_vi v_exp8_bits(lg_vf t) { return (lg_vi)(((lg_vu)t & ~7u) << 20); }
#endif

/* The exp building blocks, written once: every float exp below (and
 * rows.h's four-wide one) is v_exp_red, then 1 + r + r^2 v_exp_poly(r).
 * v_exp_red: x = n ln2 + r, |r| <= ln2/2, ln2 in two parts (the high one
 * has 9 bits, so n * 0.693359375 is exact); t = x/ln2 + 1.5 * 2^23 holds
 * n in its low mantissa bits (x in [-150, 89]). */
#define V_EXP_C0 1.9875691500e-4f   /* Cephes' expf coefficients, r^5 .. r^0 of P */
#define V_EXP_C1 1.3981999507e-3f
#define V_EXP_C2 8.3334519073e-3f
#define V_EXP_C3 4.1665795894e-2f
#define V_EXP_C4 1.6666665459e-1f
#define V_EXP_C5 5.0000001201e-1f
#define V_EXP_L2E 1.44269504088896341f
#define V_EXP_RND 12582912.0f       /* 1.5 * 2^23 */
#define V_EXP_LN2_HI 0.693359375f
#define V_EXP_LN2_LO -2.12194440e-4f
LG_ALWAYS_INLINE lg_vf v_exp_red(lg_vf xc, lg_vf *t, lg_vf *n)
{
  *t = xc * V_EXP_L2E + V_EXP_RND;
  *n = *t - V_EXP_RND;
  return (xc - *n * V_EXP_LN2_HI) - *n * V_EXP_LN2_LO;
}
/* P(r), with exp(r) = 1 + r + r^2 P(r) on |r| <= ln2/2 (a minimax fit) */
LG_ALWAYS_INLINE lg_vf v_exp_poly(lg_vf r)
{
  lg_vf p = v_set(V_EXP_C0);
  p = p * r + V_EXP_C1;
  p = p * r + V_EXP_C2;
  p = p * r + V_EXP_C3;
  p = p * r + V_EXP_C4;
  return p * r + V_EXP_C5;
}

/* exp(x). Range reduction x = n ln2 + r, |r| <= ln2/2, with ln2 split in
 * two (the high part has 9 bits, so n * LN2_HI is exact); exp(r) by a
 * degree-7 polynomial (Cephes' expf coefficients, a minimax fit); 2^n
 * applied as two exact power-of-two factors s1 s2 so that n in [-216, 128]
 * reaches the subnormals and overflow without a special case. x is clamped
 * to [-150, 89] first (exp(89) overflows to inf); below -150, s2 = 0 makes
 * exp exactly 0 (and -inf * 0 = NaN for x exp(x)); NaN passes through. */
/* exp(x) = p s1 s2: p = exp(r) in [0.7, 1.5], s1 and s2 powers of two.
 * x * exp(x) as ((x p) s1) s2 rounds once even when exp(x) alone would be
 * subnormal (silu, gelu). */
LG_ALWAYS_INLINE lg_vf v_exp_parts(lg_vf x, lg_vf *s1, lg_vf *s2)
{
  lg_vf xc, t, n, r, r2, p;
  lg_vi ni, h;
  xc = V_MIN(v_set(89.0f), V_MAX(v_set(-150.0f), x));   /* NaN stays NaN */
  xc = v_sel(x != x, v_set(0.0f), xc);
  r = v_exp_red(xc, &t, &n);
  r2 = r * r;
  p = v_exp_poly(r);
  p = p * r2 + r + 1.0f;
  ni = V_CVT(n, lg_vi);
  h = ni >> 1;
  *s1 = (lg_vf)((h + 127) << 23);
  *s2 = (lg_vf)((ni - h + 127) << 23);
  *s2 = v_sel(x < -150.0f, v_set(0.0f), *s2);   /* exp = 0 exactly; -inf * 0 = NaN */
  return v_sel(x != x, x, p);
}

LG_ALWAYS_INLINE lg_vf v_exp(lg_vf x)
{
  lg_vf s1, s2, p = v_exp_parts(x, &s1, &s2);
  return p * s1 * s2;
}

/* exp(x) for x <= 0 or -inf (softmax's x - max; sigmoid's and tanh's
 * exp(-|x|)): v_exp without the NaN and overflow selects. Below -104
 * exp(x) rounds to 0 in float, so x is clamped there; n is read from t's
 * low mantissa bits. A NaN x gives NaN: it passes the clamp (V_MAX keeps
 * NaN) into the polynomial, and NaN times any scale is NaN. */
LG_ALWAYS_INLINE lg_vf v_exp_neg(lg_vf x)
{
  lg_vf xc = V_MAX(v_set(-104.0f), x), t, n, r, r2, p;
  lg_vi ni, h;
  r = v_exp_red(xc, &t, &n);
  r2 = r * r;
  p = v_exp_poly(r);
  p = p * r2 + r + 1.0f;
#ifdef V_SCALEF   /* p 2^n rounded once (AVX-512's vscalefps) */
  (void)ni; (void)h;
  return V_SCALEF_SMALL(p, n);
#else
  ni = (lg_vi)t - 0x4B400000;                     /* n in [-150, 0] */
  h = ni >> 1;
  return p * (lg_vf)((h + 127) << 23) * (lg_vf)((ni - h + 127) << 23);
#endif
}

/* Softmax's x - m rounds to float before the exp, and exp magnifies that
 * error by |x - m|: 28 ulp at x - m = -65. TwoSum gives the rounding
 * error lo of d = x - m (x - m = d + lo exactly), and exp(d + lo) =
 * exp(d) (1 + lo) to far below an ulp (|lo| <= 6e-6 where exp(d) is not
 * 0), so e + e lo is exp of the exact difference. A NaN lo (d = -inf) must
 * not reach e + e lo; where d <= -104 exp(d) = 0 and a finite lo changes
 * nothing. No multiplications: FMA contraction cannot change it. */
LG_ALWAYS_INLINE lg_vf v_sub_lo(lg_vf x, lg_vf m, lg_vf d)
{
  lg_vf bb = d - x, lo = (x - (d - bb)) - (m + bb);
#ifdef V_MAX_GENERIC
  return v_sel(lo == lo, lo, v_set(-1.0f));
#else
  /* maxps(lo, -1): -1 for a NaN lo (then exp(d) = 0: e + e lo stays 0),
   * lo elsewhere (|lo| <= 2^-18 wherever exp(d) != 0): one operation */
  return V_MAX(lo, v_set(-1.0f));
#endif
}

/* sqrt per lane: the ISA's correctly rounded instruction where there is
 * one (V_SQRT), else sqrtf lane by lane (the same result). */
LG_ALWAYS_INLINE lg_vf v_sqrt(lg_vf x)
{
#ifdef V_SQRT
  return V_SQRT(x);
#else
  float a[LG_VW];
  int k;
  memcpy(a, &x, sizeof a);
  for (k = 0; k < LG_VW; k++) a[k] = sqrtf(a[k]);
  memcpy(&x, a, sizeof a);
  return x;
#endif
}

/* -|x| (one OR) */
LG_ALWAYS_INLINE lg_vf v_negabs(lg_vf x) { return (lg_vf)((lg_vi)x | (int32_t)0x80000000); }

/* exp(xc) = p 2^n for xc in [-150, 0] (the caller clamps): the reduction
 * and the degree-6 polynomial, a minimax fit of exp on [-ln2/2, ln2/2]
 * with relative error 3.1e-9 (0.05 ulp). *t keeps n in its low bits. */
LG_ALWAYS_INLINE lg_vf v_expf_parts(lg_vf xc, lg_vf *t, lg_vf *n)
{
  lg_vf r, p;
  *t = xc * 1.44269504088896341f + 12582912.0f;   /* 1.5 * 2^23 + n */
  *n = *t - 12582912.0f;
  r = xc - *n * 0.693359375f;
  r = r - *n * -2.12194440e-4f;
  p = v_set(1.381461275741458e-3f);
  p = p * r + 8.368710055947304e-3f;
  p = p * r + 4.166838899254799e-2f;
  p = p * r + 1.666652113199234e-1f;
  p = p * r + 4.999999403953552e-1f;
  return p * (r * r) + r + 1.0f;
}

/* exp(x) for x <= 0 in the activations (sigmoid, tanh, their backwards,
 * softplus, log_sigmoid): v_exp_neg with the degree-6 polynomial above,
 * one FMA fewer. NaN passes through as in v_exp_neg. */
LG_ALWAYS_INLINE lg_vf v_exp_negf(lg_vf x)
{
  lg_vf t, n, p = v_expf_parts(V_MAX(v_set(-104.0f), x), &t, &n);
#ifdef V_SCALEF
  (void)t;
  return V_SCALEF_SMALL(p, n);
#else
  lg_vi ni = (lg_vi)t - 0x4B400000, h = ni >> 1;   /* n in [-150, 0] */
  (void)n;
  return p * (lg_vf)((h + 127) << 23) * (lg_vf)((ni - h + 127) << 23);
#endif
}

/* p 2^n where the result is a normal float, n in t's low bits as
 * v_expf_parts leaves it (vscalefps, or one exact factor) */
#ifdef V_SCALEF
#define v_scale2_normal(p, t) V_SCALEF((p), (t) - 12582912.0f)
#else
#define v_scale2_normal(p, t) ((p) * (lg_vf)(((lg_vu)(t) - 0x4B400000u + 127u) << 23))
#endif

/* exp(x) for x in [-87, 0], where the result is a normal float: v_exp_negf
 * without its guards for the subnormals (the same bits) */
LG_ALWAYS_INLINE lg_vf v_exp_negf_normal(lg_vf x)
{
  lg_vf t, n, p = v_expf_parts(x, &t, &n);
  (void)n;
  return v_scale2_normal(p, t);
}

/* expm1(x) for x <= 0 (elu's negative side): the reduction of v_exp; for
 * n == 0 (|x| <= ln2/2) the polynomial's r + r^2 q(r) is used directly, so
 * small x keep their relative accuracy; otherwise (2^n - 1) + 2^n (e^r - 1),
 * where 2^n - 1 is exact. Below -17.4 (n <= -25) the result is -1 + tiny. */
LG_ALWAYS_INLINE lg_vf v_expm1_neg(lg_vf x)
{
  lg_vf xc, t, n, r, r2, p, s, u;
  lg_vi ni;
  xc = V_MIN(v_set(0.0f), V_MAX(v_set(-30.0f), x));   /* x > 0: not used */
  xc = v_sel(x != x, v_set(0.0f), xc);   /* x > 0: not used */
  r = v_exp_red(xc, &t, &n);
  r2 = r * r;
  p = v_exp_poly(r);
  u = p * r2 + r;                       /* e^r - 1 */
  ni = V_CVT(n, lg_vi);
  s = (lg_vf)((ni + 127) << 23);        /* n in [-44, 0]: a normal float */
  return v_sel(x != x, x, (s - 1.0f) + s * u);
}

/* sigmoid(x) = e / (1 + e) for x < 0, 1 / (1 + e) for x >= 0, e = exp(-|x|):
 * no overflow and no 1 - small. Past |x| = 87, 1 + e = 1: the result is e
 * or 1, and the division gets e = 0, which gives the same bits without
 * reading a subnormal (an assist per vector on Intel). */
LG_ALWAYS_INLINE lg_vf v_sigmoid(lg_vf x)
{
  lg_vf e = v_exp_negf(v_negabs(x));
  lg_vi tiny = v_abs(x) > 87.0f, neg = x < 0.0f;
  lg_vf ef = v_sel(tiny, v_set(0.0f), e);
  return v_sel(tiny & neg, e, v_sel(neg, ef, v_set(1.0f)) / (1.0f + ef));
}

/* p 2^n for an integer-valued n in [-217, 0] (vscalefps, or two exact
 * power-of-two factors): rounds once even when the result is subnormal */
LG_ALWAYS_INLINE lg_vf v_scale2(lg_vf p, lg_vf n)
{
#ifdef V_SCALEF
  return V_SCALEF_SMALL(p, n);
#else
  lg_vi ni = V_CVT(n, lg_vi), h = ni >> 1;
  return p * (lg_vf)((h + 127) << 23) * (lg_vf)((ni - h + 127) << 23);
#endif
}

/* silu(x) = x sigmoid(x), as one division: x / (1 + e) for x >= 0 and
 * (x p / (1 + e)) 2^n for x < 0, e = exp(-|x|) = p 2^n by v_exp_negf's
 * polynomial, the reduction clamped at -150 (silu(-108) is still a
 * subnormal) and 2^n applied last, so results round once; below -150
 * p = 0 exactly, so silu(-inf) = -inf * 0 = NaN as in PyTorch. */
LG_ALWAYS_INLINE lg_vf v_silu(lg_vf x)
{
  lg_vf t, n, q, p = v_expf_parts(V_MAX(v_set(-150.0f), v_negabs(x)), &t, &n);
  lg_vi neg = x < 0.0f;
  (void)t;
  p = v_sel(x < -150.0f, v_set(0.0f), p);
  q = v_sel(neg, x * p, x) / (1.0f + v_scale2(p, n));
  return v_sel(neg, v_scale2(q, n), q);
}

/* mish(x) = x tanh(softplus(x)) = x e (e + 2) / (e (e + 2) + 2), e = exp(x):
 * tanh(log(1 + e)) with no log, tanh or cancellation. e = p 2^n by
 * v_expf_parts at x clamped to [-150, 20]; past 20 the ratio rounds to 1
 * (mish = x, and x e (e + 2) would overflow). For x < 0 the quotient is
 * (x p (e + 2) / (e (e + 2) + 2)) 2^n, 2^n applied last so subnormal
 * results round once, and e itself taken as p 2^max(n, -125), a normal
 * float: below that it only adds to 2, where it vanishes. Below -150 p = 0,
 * so mish(-inf) = -inf * 0 = NaN as in PyTorch. */
LG_ALWAYS_INLINE lg_vf v_mish(lg_vf x)
{
  lg_vf t, n, e, q, p = v_expf_parts(V_MIN(v_set(20.0f), V_MAX(v_set(-150.0f), x)), &t, &n);
  lg_vi neg = x < 0.0f, ni = (lg_vi)t - 0x4B400000, lo = ni < -125;   /* n in [-217, 29] */
  ni = (ni & ~lo) | (-125 & lo);                                       /* max(n, -125) */
  p = v_sel(x < -150.0f, v_set(0.0f), p);
  e = p * (lg_vf)(((lg_vu)ni + 127u) << 23);
  q = (x * v_sel(neg, p, e)) * (e + 2.0f) / (e * (e + 2.0f) + 2.0f);
  q = v_sel(neg, v_scale2(q, v_sel(neg, n, v_set(0.0f))), q);
  return v_sel(x > 20.0f, x, q);
}

#ifdef V_ANY_NLT
/* sigmoid and silu for a level with a cheap any-lane test: a vector whose
 * lanes all have |x| < 87 has no exp near the subnormals, so it skips the
 * guards of v_sigmoid and v_silu (the e = 0 selects, the clamps, the
 * subnormal-safe scaling) and gives the same bits; other vectors (NaN
 * included) take the guarded forms. */
LG_ALWAYS_INLINE lg_vf v_sigmoid_fast(lg_vf x)
{
  lg_vf e;
  if (__builtin_expect(V_ANY_NLT(v_abs(x), 87.0f), 0)) return v_sigmoid(x);
  e = v_exp_negf_normal(v_negabs(x));
  return v_sel(x < 0.0f, e, v_set(1.0f)) / (1.0f + e);
}

LG_ALWAYS_INLINE lg_vf v_silu_fast(lg_vf x)
{
  lg_vf t, n, p, q;
  lg_vi neg = x < 0.0f;
  if (__builtin_expect(V_ANY_NLT(v_abs(x), 87.0f), 0)) return v_silu(x);
  p = v_expf_parts(v_negabs(x), &t, &n);
  q = v_sel(neg, x * p, x) / (1.0f + v_scale2_normal(p, t));
  return v_sel(neg, v_scale2_normal(q, t), q);
}
#endif

/* sigmoid'(x) = e / (1 + e)^2, e = exp(-|x|) */
LG_ALWAYS_INLINE lg_vf v_sigmoid_d(lg_vf x)
{
  lg_vf e = v_exp_negf(v_negabs(x));
  return e / (1.0f + e * (2.0f + e));   /* (1 + e)^2, one rounding with FMA */
}

/* tanh(x): an odd polynomial for |x| < 0.625 (Cephes' tanhf fit), else
 * sign(x) (1 - 2e / (1 + e)), e = exp(-2|x|) <= 0.29: 1 - small rounds
 * once, so tanh(9) is 1 - 2^-24 as in double, not 1; e underflows to 0
 * for large |x|, giving +-1. */
LG_ALWAYS_INLINE lg_vf v_tanh(lg_vf x)
{
  lg_vf a = v_abs(x), z = x * x, p, e, big;
  p = v_set(-5.70498872745e-3f);
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  p = p * z * x + x;
  e = v_exp_negf_normal(-2.0f * V_MIN(v_set(20.0f), a));   /* tanh = +-1 from 9.1 */
  big = v_copysign(1.0f - 2.0f * e / (1.0f + e), x);
  return v_sel(a < 0.625f, p, big);
}

/* tanh'(x) = 4e / (1 + e)^2, e = exp(-2|x|) (no 1 - tanh^2 cancellation) */
LG_ALWAYS_INLINE lg_vf v_tanh_d(lg_vf x)
{
  lg_vf e = v_exp_negf(-2.0f * v_abs(x));
  return 4.0f * e / (1.0f + e * (2.0f + e));
}

/* exp(w) = p s1 s2 (as v_exp_parts) for a vector of doubles given as two
 * halves: the range reduction w = n ln2 + r is done in double, so a w that
 * carries more than float precision (gelu's 2u) keeps it; exp(r) by
 * v_exp's polynomial. */
LG_ALWAYS_INLINE lg_vd v_seld(lg_vl m, lg_vd a, lg_vd b)
{
  return (lg_vd)((m & (lg_vl)a) | (~m & (lg_vl)b));
}

/* one half of v_exp_d's reduction: r and n, both in double */
LG_ALWAYS_INLINE lg_vd v_reduce_d(lg_vd w, lg_vd *n)
{
  const lg_vd z = { 0 };
  lg_vd c = v_seld(w < -150.0, z - 150.0, w), t;
  c = v_seld(c > 89.0, z + 89.0, c);
  c = v_seld(w != w, z, c);
  t = c * 1.4426950408889634 + 6755399441055744.0;   /* 1.5 * 2^52 */
  *n = t - 6755399441055744.0;
  return c - *n * 0.69314718055994531;
}

/* the halves go back into one float vector through v_pack_d (r rounded
 * to float; n is a small integer, exact) */
LG_ALWAYS_INLINE lg_vf v_exp_d(lg_vd w0, lg_vd w1, lg_vf *ps1, lg_vf *ps2)
{
  lg_vd n0, n1, r0 = v_reduce_d(w0, &n0), r1 = v_reduce_d(w1, &n1);
  lg_vf r = v_pack_d(r0, r1), r2, p, s1, s2, wf;
  lg_vi ni = V_CVT(v_pack_d(n0, n1), lg_vi), h;
  r2 = r * r;
  p = v_exp_poly(r);
  p = p * r2 + r + 1.0f;
  h = ni >> 1;
  s1 = (lg_vf)((h + 127) << 23);
  s2 = (lg_vf)((ni - h + 127) << 23);
  wf = v_pack_d(w0, w1);
  *ps1 = s1;
  *ps2 = v_sel(wf < -150.0f, v_set(0.0f), s2);
  return v_sel(wf != wf, wf, p);
}

/* gelu "tanh": x sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3), with 2u
 * in double (its rounding error would grow with |u| through exp). */
LG_ALWAYS_INLINE lg_vf v_gelu_tanh(lg_vf x)
{
  lg_vd a = v_lo_d(x), b = v_hi_d(x), ua, ub;
  lg_vf e, p, s1, s2;
  ua = 1.5957691216057308 * (a + 0.044715 * a * a * a);
  ub = 1.5957691216057308 * (b + 0.044715 * b * b * b);
  ua = (lg_vd)((lg_vl)ua | (int64_t)0x8000000000000000LL);   /* -|2u| */
  ub = (lg_vd)((lg_vl)ub | (int64_t)0x8000000000000000LL);
  p = v_exp_d(ua, ub, &s1, &s2);
  e = p * s1 * s2;
  return v_sel(x < 0.0f, x * p * s1 * s2, x) / (1.0f + e);
}

/* log1p(u) for u in [0, 1] (softplus's log1p(exp(-|x|))). w = 1 + u is
 * split as 2^k m, m in [sqrt(1/2), sqrt(2)), k in {0, 1}; with f = m - 1
 * (exact), s = f / (2 + f), log(m) = f - (f^2/2 - s (f^2/2 + R(s^2)))
 * (fdlibm's form; R a degree-4 fit of 2 atanh(s)/s - 2, |s| < 0.172), and
 * c = (u - (w - 1)) / w restores what rounding w lost (all of u when u is
 * tiny). NaN passes through. */
LG_ALWAYS_INLINE lg_vf v_log1p01(lg_vf u)
{
  lg_vf w = 1.0f + u, c = (u - (w - 1.0f)) / w, m, f, s, z, R, hf, k;
  lg_vi big = w > 1.41421356f;
  m = v_sel(big, w * 0.5f, w);
  k = v_sel(big, v_set(1.0f), v_set(0.0f));
  f = m - 1.0f;
  s = f / (2.0f + f);
  z = s * s;
  R = z * (0.66666662693f + z * (0.40000972152f + z * (0.28498786688f + z * 0.24279078841f)));
  hf = 0.5f * f * f;
  return k * 0.693359375f + ((f - (hf - s * (hf + R))) + (c + k * -2.12194440e-4f));
}

/* log(x) for every float (tensor math): x = 2^k m, m in [sqrt(1/2),
 * sqrt(2)) by integer arithmetic on the bits (subnormals scaled by 2^23
 * first), then log1p01's form for log(m) with f = m - 1 exact, and k ln2
 * in two parts. x < 0 and NaN give NaN, 0 gives -inf, +inf gives +inf. */
LG_ALWAYS_INLINE lg_vf v_log(lg_vf x)
{
  lg_vi sub = x < 1.17549435e-38f, ix, k;
  lg_vf xs = v_sel(sub, x * 8388608.0f, x), m, f, s, z, R, hf, kf, r;
  ix = (lg_vi)((lg_vu)xs + (0x3f800000u - 0x3f3504f3u));   /* wraps for NaN (unsigned) */
  k = (ix >> 23) - 0x7f - (sub & 23);
  m = (lg_vf)((ix & 0x007fffff) + 0x3f3504f3);
  f = m - 1.0f;
  s = f / (2.0f + f);
  z = s * s;
  R = z * (0.66666662693f + z * (0.40000972152f + z * (0.28498786688f + z * 0.24279078841f)));
  hf = 0.5f * f * f;
  kf = V_CVT(k, lg_vf);
  r = kf * 0.693359375f + ((f - (hf - s * (hf + R))) + kf * -2.12194440e-4f);
  r = v_sel(x == 0.0f, v_set(-INFINITY), r);
  r = v_sel(x == INFINITY, x, r);
  return v_sel((x < 0.0f) | (x != x), v_set(NAN), r);
}

/* softplus (beta 1): x > t ? x : max(x, 0) + log1p(exp(-|x|)) */
LG_ALWAYS_INLINE lg_vf v_softplus(lg_vf x, float t)
{
  lg_vf r = V_MAX(v_set(0.0f), x) + v_log1p01(v_exp_negf(v_negabs(x)));
  return v_sel(x > t, x, v_sel(x != x, x, r));
}

/* log_sigmoid: min(x, 0) - log1p(exp(-|x|)) */
LG_ALWAYS_INLINE lg_vf v_log_sigmoid(lg_vf x)
{
  lg_vf r = V_MIN(v_set(0.0f), x) - v_log1p01(v_exp_negf(v_negabs(x)));
  return v_sel(x != x, x, r);
}

#include "simd/vgelu_erf.h"

/* dy * d, but 0 where d == 0 and dy is not NaN (PyTorch's masked backward) */
LG_ALWAYS_INLINE lg_vf v_grad_mul(lg_vf dy, lg_vf d)
{
  lg_vi m = (d == 0.0f) & (dy == dy);
  return (lg_vf)(~m & (lg_vi)(dy * d));   /* one product (v_sel made GCC compute two) */
}

/* q 2^n for an integer-valued n in [-292, 3] (or NaN, read as 0: q is NaN
 * there too) and |q| below the overflow
 * threshold: one rounding (vscalefps), or three power-of-two factors,
 * 2^a twice (a = floor(21 n / 64) in [-96, 0]) then 2^(n - 2a) (n - 2a in
 * [-101, 3]), each a normal float; the last factor exceeds 1 only for
 * n = -1 or n > 0, so the partial products stay above the result (no
 * overflow either), and only a subnormal result rounds more than once
 * (by at most an ulp of 2^-149). */
LG_ALWAYS_INLINE lg_vf v_scale_wide(lg_vf q, lg_vf n)
{
#ifdef V_SCALEF
  return V_SCALEF(q, n);
#else
  lg_vi ni = V_CVT(v_sel(n == n, n, v_set(0.0f)), lg_vi), a, big = ni < -126;
  lg_vf fa, fr;
  int k, any = 0;
  for (k = 0; k < LG_VW; k++) any |= big[k];
  if (!any)   /* the usual case: 2^n is a normal float, one exact factor */
    return q * (lg_vf)((ni + 127) << 23);
  a = (ni * 21) >> 6;
  fa = (lg_vf)((a + 127) << 23);
  fr = (lg_vf)((ni - 2 * a + 127) << 23);
  return q * fa * fa * fr;
#endif
}

/* dy f'(x) for f' = C e / (1 + e)^K, e = exp(w) = p 2^n, w <= 0 (sigmoid':
 * w = -|x|, C = 1, K = 2; tanh': w = -2|x|, C = 4, K = 2; sigmoid(x):
 * w = -|x|, K = 1, C = 1 for x < 0 and 1/e for x >= 0), as
 * (dy (p/2) / (1 + e)^K) 2^(n + log2 2C): the product is formed before the
 * scaling, so a large dy times a derivative far below the float range
 * (sigmoid'(100) = 3.7e-44 is subnormal) still rounds once. p/2 <= 0.71
 * keeps the first product below dy. w is clamped at -200 (below it dy f'
 * < 2^-149 for every float dy); NaN passes through. */
LG_ALWAYS_INLINE lg_vf v_dyexp(lg_vf g, lg_vf w, int K, lg_vf lc, lg_vi one)
{
  lg_vf t, n, p = v_expf_parts(V_MAX(v_set(-200.0f), w), &t, &n), e, d;
  (void)t;
  e = v_scale2(p, V_MAX(v_set(-150.0f), n));   /* below 2^-149: 1 + e = 1 anyway */
  d = K == 2 ? 1.0f + e * (2.0f + e) : 1.0f + e;
  /* one: lanes of 1 / (1 + e) (sigmoid, x >= 0): (g/2 / d) 2 */
  p = v_sel(one, v_set(1.0f), p);
  n = v_sel(one, v_set(0.0f), n);
  return v_scale_wide(g * (0.5f * p) / d, n + lc);
}
/* dy sigmoid(x) (softplus', log_sigmoid'); sigmoid(-inf) = 0 exactly, so
 * there grad_mul's rule gives 0 for any dy but NaN */
LG_ALWAYS_INLINE lg_vf v_dy_sigmoid(lg_vf g, lg_vf x)
{
  lg_vf r = v_dyexp(g, v_negabs(x), 1, v_set(1.0f), x >= 0.0f);
  return v_sel((x == -INFINITY) & (g == g), v_set(0.0f), r);
}
/* dy sigmoid'(x) and dy tanh'(x): derivative 0 only at x = +-inf */
LG_ALWAYS_INLINE lg_vf v_dy_sigmoid_d(lg_vf g, lg_vf x)
{
  const lg_vi no = { 0 };
  lg_vf r = v_dyexp(g, v_negabs(x), 2, v_set(1.0f), no);
  return v_sel((v_abs(x) == INFINITY) & (g == g), v_set(0.0f), r);
}
LG_ALWAYS_INLINE lg_vf v_dy_tanh_d(lg_vf g, lg_vf x)
{
  const lg_vi no = { 0 };
  lg_vf r = v_dyexp(g, -2.0f * v_abs(x), 2, v_set(3.0f), no);
  return v_sel((v_abs(x) == INFINITY) & (g == g), v_set(0.0f), r);
}

#endif
