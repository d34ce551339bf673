/* vmath.h - float32 math on GCC/clang vectors of LG_VW lanes.
 *
 * Private to the vfast_*.c files: each defines LG_VW (16 for AVX-512, 8
 * for AVX2, 4 for the portable SSE2 baseline), optionally V_MIN/V_MAX
 * (min/max intrinsics), then includes this file; every function is forced
 * inline into the target-specific kernels of vfast_body.h, so each level
 * works on vectors of its own register width.
 *
 * The AVX2 and AVX-512 files let GCC contract a*b+c into FMA, the portable
 * one does not, so levels may differ by an ulp or two (each stays within
 * the bounds that tools/act_ulp and tools/ulp_all check per level). No
 * -ffast-math: NaN and +-inf are handled by explicit selects.
 *
 * Accuracy over all float32 inputs (tools/ulp_all.c, vs double libm):
 * see docs/speed.md. */
#ifndef LG_KERNELS_VMATH_H
#define LG_KERNELS_VMATH_H

#include <stdint.h>
#include <string.h>
#include "kutil.h"

#ifndef LG_VW
#error "define LG_VW (4, 8 or 16) before including vmath.h"
#endif

/* These helpers are always inlined, so the by-value vector ABI never
 * matters; GCC warns about it anyway. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

typedef float lg_vf __attribute__((vector_size(LG_VW * 4)));
typedef int32_t lg_vi __attribute__((vector_size(LG_VW * 4)));
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
 * minps/maxps with x second, which vfast_avx*.c plug in). */
#ifndef V_MIN
#define V_MIN(c, x) v_sel((x) != (x) | (x) < (c), (x), (c))
#define V_MAX(c, x) v_sel((x) != (x) | (x) > (c), (x), (c))
#endif
LG_ALWAYS_INLINE lg_vf v_abs(lg_vf x) { return (lg_vf)((lg_vi)x & 0x7fffffff); }
/* |x| with the sign of s */
LG_ALWAYS_INLINE lg_vf v_copysign(lg_vf x, lg_vf s)
{
  return (lg_vf)(((lg_vi)x & 0x7fffffff) | ((lg_vi)s & (int32_t)0x80000000));
}

/* The two halves of a vector widened to double (for sums in double), and
 * two double halves rounded back into one float vector. */
#ifdef V_LO_D   /* the level's intrinsics (vfast_*.c): no trip through memory */
LG_ALWAYS_INLINE lg_vd v_lo_d(lg_vf v) { return V_LO_D(v); }
LG_ALWAYS_INLINE lg_vd v_hi_d(lg_vf v) { return V_HI_D(v); }
LG_ALWAYS_INLINE lg_vf v_pack_d(lg_vd lo, lg_vd hi) { return V_PACK_D(lo, hi); }
#else
LG_ALWAYS_INLINE lg_vd v_lo_d(lg_vf v)
{
  lg_vfh h;
  memcpy(&h, &v, sizeof h);
  return __builtin_convertvector(h, lg_vd);
}
LG_ALWAYS_INLINE lg_vd v_hi_d(lg_vf v)
{
  lg_vfh h;
  memcpy(&h, (const char *)&v + sizeof h, sizeof h);
  return __builtin_convertvector(h, lg_vd);
}
LG_ALWAYS_INLINE lg_vf v_pack_d(lg_vd lo, lg_vd hi)
{
  lg_vfh h[2];
  lg_vf v;
  h[0] = __builtin_convertvector(lo, lg_vfh);
  h[1] = __builtin_convertvector(hi, lg_vfh);
  memcpy(&v, h, sizeof v);
  return v;
}
#endif

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
  t = xc * 1.44269504088896341f + 12582912.0f;   /* 1.5 * 2^23: rounds to an integer */
  n = t - 12582912.0f;
  r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  r2 = r * r;
  p = v_set(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r2 + r + 1.0f;
  ni = __builtin_convertvector(n, lg_vi);
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
  t = xc * 1.44269504088896341f + 12582912.0f;   /* 1.5 * 2^23 + n */
  n = t - 12582912.0f;
  r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  r2 = r * r;
  p = v_set(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r2 + r + 1.0f;
#ifdef V_SCALEF   /* p 2^n rounded once (AVX-512's vscalefps) */
  (void)ni; (void)h;
  return V_SCALEF(p, n);
#else
  ni = (lg_vi)t - 0x4B400000;                     /* n in [-150, 0] */
  h = ni >> 1;
  return p * (lg_vf)((h + 127) << 23) * (lg_vf)((ni - h + 127) << 23);
#endif
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
  t = xc * 1.44269504088896341f + 12582912.0f;
  n = t - 12582912.0f;
  r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  r2 = r * r;
  p = v_set(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  u = p * r2 + r;                       /* e^r - 1 */
  ni = __builtin_convertvector(n, lg_vi);
  s = (lg_vf)((ni + 127) << 23);        /* n in [-44, 0]: a normal float */
  return v_sel(x != x, x, (s - 1.0f) + s * u);
}

/* sigmoid(x) = e / (1 + e) for x < 0, 1 / (1 + e) for x >= 0, e = exp(-|x|):
 * no overflow and no 1 - small. */
LG_ALWAYS_INLINE lg_vf v_sigmoid(lg_vf x)
{
  lg_vf e = v_exp_neg(-v_abs(x));
  return v_sel(x < 0.0f, e, v_set(1.0f)) / (1.0f + e);
}

/* silu(x) = x sigmoid(x), as one division */
LG_ALWAYS_INLINE lg_vf v_silu(lg_vf x)
{
  lg_vf s1, s2, p = v_exp_parts(-v_abs(x), &s1, &s2), e = p * s1 * s2;
  return v_sel(x < 0.0f, x * p * s1 * s2, x) / (1.0f + e);
}

/* sigmoid'(x) = e / (1 + e)^2, e = exp(-|x|) */
LG_ALWAYS_INLINE lg_vf v_sigmoid_d(lg_vf x)
{
  lg_vf e = v_exp_neg(-v_abs(x)), d = 1.0f + e;
  return e / (d * d);
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
  e = v_exp_neg(-2.0f * a);
  big = v_copysign(1.0f - 2.0f * e / (1.0f + e), x);
  return v_sel(a < 0.625f, p, big);
}

/* tanh'(x) = 4e / (1 + e)^2, e = exp(-2|x|) (no 1 - tanh^2 cancellation) */
LG_ALWAYS_INLINE lg_vf v_tanh_d(lg_vf x)
{
  lg_vf e = v_exp_neg(-2.0f * v_abs(x)), d = 1.0f + e;
  return 4.0f * e / (d * d);
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
  lg_vi ni = __builtin_convertvector(v_pack_d(n0, n1), lg_vi), h;
  r2 = r * r;
  p = v_set(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
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

/* softplus (beta 1): x > t ? x : max(x, 0) + log1p(exp(-|x|)) */
LG_ALWAYS_INLINE lg_vf v_softplus(lg_vf x, float t)
{
  lg_vf r = V_MAX(v_set(0.0f), x) + v_log1p01(v_exp_neg(-v_abs(x)));
  return v_sel(x > t, x, v_sel(x != x, x, r));
}

/* log_sigmoid: min(x, 0) - log1p(exp(-|x|)) */
LG_ALWAYS_INLINE lg_vf v_log_sigmoid(lg_vf x)
{
  lg_vf r = V_MIN(v_set(0.0f), x) - v_log1p01(v_exp_neg(-v_abs(x)));
  return v_sel(x != x, x, r);
}

/* gelu (erf): x/2 erfc(-x/sqrt 2), float lanes but for a few steps. With
 * a = |x|/sqrt 2, erfc(a) = t exp(-a^2 + P(t)), t = 1/(1 + a/2), P
 * Numerical Recipes' Chebyshev fit (relative error < 1.2e-7 for every
 * a >= 0, P in [-1.27, 0]), here re-expanded in powers of t - 1/2;
 * erfc(-a) = 2 - erfc(a). The exponent w = -a^2 + P reaches -200, and a
 * float rounding of it would cost 2^-24 |w| relative through exp, so P's
 * last three steps, a^2 = x^2/2 (exact in double) and the reduction
 * r = w - n ln2 run on double lanes; t, P's upper part and exp(r) are
 * float. 2^n is applied last as two power-of-two factors, so subnormal
 * results round once. |x| < 0.75 uses erf's Taylor series instead (erfc
 * near 1 would cancel). |x| is clamped to 20 (gelu(-20/sqrt 2) is far
 * below float range); gelu(-inf) = -inf * 0 = NaN, as in PyTorch. */
/* the double half (hi: upper or lower lanes) of v_gelu_erf: t refined
 * from the float quotient tf, P's last three Horner steps from A (its
 * upper part, float) and s = t - 1/2, minus x^2/2; returns r = w - n ln2,
 * t and n (n = -1000 marks w < -150, where erfc(a) is 0 in float) */
LG_ALWAYS_INLINE lg_vd v_gelu_erf_w(lg_vf A, lg_vf tf, lg_vd ax, lg_vd *td, lg_vd *n, int hi)
{
  const lg_vd z = { 0 };
  lg_vd w, t, r, s, f = hi ? v_hi_d(tf) : v_lo_d(tf), Ad = hi ? v_hi_d(A) : v_lo_d(A);
  f = f + f * (1.0 - f * (1.0 + 0.35355339059327377 * ax));   /* t, one Newton step */
  *td = f;
  s = f - 0.5;
  w = -0.671794082 + s * (1.34528443 + s * (0.189372402 + s * Ad)) - 0.5 * ax * ax;
  t = w * 1.4426950408889634 + 6755399441055744.0;   /* 1.5 * 2^52 */
  *n = t - 6755399441055744.0;
  r = w - *n * 0.69314718055994531;
  *n = v_seld(w < -150.0, z - 1000.0, *n);
  return r;
}
LG_ALWAYS_INLINE lg_vf v_gelu_erf(lg_vf x)
{
  lg_vf ax = V_MIN(v_set(20.0f), v_abs(x)), t, A, n, r, r2, p, s1, s2, e, u, G, y;
  lg_vd n0, n1, r0, r1, t0, t1;
  lg_vi ni, h, dead;
  t = 1.0f / (1.0f + 0.35355339059327377f * ax);
  u = t - 0.5f;                            /* P in powers of t - 1/2 (better conditioned) */
  A = v_set(0.17087277f);
  A = A * u - 0.053224765f;
  A = A * u - 0.26223812f;
  A = A * u + 0.11370004f;
  A = A * u + 0.278521901f;
  A = A * u - 0.157980353f;
  A = A * u - 0.374999141f;
  r0 = v_gelu_erf_w(A, t, v_lo_d(ax), &t0, &n0, 0);
  r1 = v_gelu_erf_w(A, t, v_hi_d(ax), &t1, &n1, 1);
  r = v_pack_d(r0, r1);
  n = v_pack_d(n0, n1);
  dead = n < -500.0f;
  n = v_sel(dead, v_set(0.0f), n);
  r2 = r * r;
  p = v_set(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r2 + r + 1.0f;
  ni = __builtin_convertvector(n, lg_vi);
  h = ni >> 1;
  s1 = (lg_vf)((h + 127) << 23);
  s2 = (lg_vf)((ni - h + 127) << 23);
  p = v_sel(dead, v_set(0.0f), p);         /* erfc(a) = t p s1 s2 */
  /* x < 0: x/2 t p in double, rounded once before the exact scaling */
  y = v_pack_d(0.5 * v_lo_d(x) * t0 * v_lo_d(p), 0.5 * v_hi_d(x) * t1 * v_hi_d(p));
  e = v_sel(x < 0.0f, (y * s1) * s2, 0.5f * x * (2.0f - t * p * s1 * s2));
  /* |x| < 0.75: x/2 + x^2 G(x^2), G(u) = erf(sqrt(u/2)) / (2 sqrt u) by its
   * Taylor series (next term < 2e-9 relative): no erfc near 1 */
  u = x * x;
  G = v_set(6.6596935163e-07f);
  G = G * u - 9.4446562595e-06f;
  G = G * u + 1.1543468762e-04f;
  G = G * u - 1.1873282155e-03f;
  G = G * u + 9.9735570100e-03f;
  G = G * u - 6.6490380067e-02f;
  G = G * u + 3.9894228040e-01f;
  e = v_sel(ax < 0.75f, 0.5f * x + x * (x * G), e);
  return v_sel(x != x, x, e);
}

/* dy * d, but 0 where d == 0 and dy is not NaN (PyTorch's masked backward) */
LG_ALWAYS_INLINE lg_vf v_grad_mul(lg_vf dy, lg_vf d)
{
  return v_sel((d == 0.0f) & (dy == dy), v_set(0.0f), dy * d);
}

#endif
