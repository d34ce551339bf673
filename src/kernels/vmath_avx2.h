/* vmath_avx2.h - faster forms of vmath.h's activations for the AVX2 level
 * (included by vfast_avx2.c only, after vmath.h).
 *
 * Why AVX2 needs its own: an AVX2 vector holds 8 floats, half of AVX-512's
 * 16, and AVX-512's exp applies 2^n with one vscalefps where AVX2 needs
 * seven integer operations and two multiplies. On a core that runs 256-
 * and 512-bit operations at the same rate, that made AVX2 2-2.5x slower
 * per element. Here exp(x), x <= 0, is 2^(k/8) exp(r), |r| <= ln2/16:
 * 2^(k/8) from an 8-entry table (one vpermps, a hi and a lo part), exp(r)
 * - 1 by a degree-4 polynomial, and 2^floor(k/8) added to the exponent
 * bits (exact while the result is a normal float). That is 7 FMA-unit
 * operations instead of 12, and more accurate (relative error ~0.5 ulp
 * against ~1 ulp).
 * A vector with any lane outside the fast range (|x| > 87, NaN, inf)
 * takes vmath.h's generic form for the whole vector (one compare and a
 * branch per vector, never taken for ordinary data), so subnormal results,
 * NaN and +-inf stay exactly as they were. */
#ifndef LG_KERNELS_VMATH_AVX2_H
#define LG_KERNELS_VMATH_AVX2_H

static const float a2_exp_tab[2][8] __attribute__((aligned(32))) = {
  /* 2^(j/8) rounded to float, and the rest (2^(j/8) - hi, rounded) */
  { 1.0f, 1.090507746e+00f, 1.189207077e+00f, 1.296839595e+00f,
    1.414213538e+00f, 1.542210817e+00f, 1.681792855e+00f, 1.834008098e+00f },
  { 0.0f, -1.307753994e-08f, 3.797635273e-08f, -4.018999533e-08f,
    2.420323497e-08f, 8.070904833e-09f, -2.475532668e-08f, -1.123927795e-08f }
};

/* Some lane is NaN or has |x| > 87 (as integers: -|x|'s bits, signed,
 * grow with |x|; a NaN's are above every number's). */
LG_ALWAYS_INLINE int a2_special(lg_vf x)
{
  __m256i b = _mm256_or_si256((__m256i)x, _mm256_set1_epi32((int)0x80000000));
  return !_mm256_testz_si256(_mm256_cmpgt_epi32(b, _mm256_set1_epi32((int)0xc2ae0000)),
                             _mm256_set1_epi32(-1));   /* 0xc2ae0000 = -87.0f */
}

/* exp(x) = (T (1 + q)) 2^m, x in [-88, 0] (or a little above 0): returns
 * the unscaled part u = T + (T q + T_lo) in [0.95, 1.92] and in *sc the
 * bits m << 23 to add to u's (a2_scale), with m = floor(k / 8). */
LG_ALWAYS_INLINE lg_vf a2_exp_u(lg_vf x, lg_vi *sc, lg_vf *rq)
{
  lg_vf t, k, r, q, th, tl;
  t = x * 11.541560173f + 12582912.0f;            /* 8/ln2; 1.5 * 2^23 + k */
  k = t - 12582912.0f;
  r = x - k * 8.6639404297e-02f;                   /* ln2/8, 13 bits: exact */
  r = r - k * 3.9932729123e-06f;
  q = v_set(4.166861996e-02f);
  q = q * r + 1.666783988e-01f;
  q = q * r + 0.5f;
  q = q * (r * r) + r;                             /* exp(r) - 1 */
  th = (lg_vf)_mm256_permutevar8x32_ps(_mm256_load_ps(a2_exp_tab[0]), (__m256i)t);
  tl = (lg_vf)_mm256_permutevar8x32_ps(_mm256_load_ps(a2_exp_tab[1]), (__m256i)t);
  *sc = ((lg_vi)t & ~7) << 20;                     /* (k >> 3) << 23 */
  if (rq) *rq = q;
  return th + (th * q + tl);
}
/* u 2^m for a normal result (bits added) */
LG_ALWAYS_INLINE lg_vf a2_scale(lg_vf u, lg_vi sc) { return (lg_vf)((lg_vi)u + sc); }
/* m ? a : b by the sign bits of m (x < 0 and -0 alike) */
LG_ALWAYS_INLINE lg_vf a2_sel_neg(lg_vf m, lg_vf a, lg_vf b)
{
  return (lg_vf)_mm256_blendv_ps((__m256)b, (__m256)a, (__m256)m);
}

/* sigmoid: as v_sigmoid, e / (1 + e) for x < 0, 1 / (1 + e) else (at
 * x = -0 both are 1/2) */
LG_ALWAYS_INLINE lg_vf a2_sigmoid(lg_vf x)
{
  lg_vi sc;
  lg_vf e;
  if (__builtin_expect(a2_special(x), 0)) return v_sigmoid(x);
  e = a2_exp_u(v_negabs(x), &sc, NULL);
  e = a2_scale(e, sc);
  return a2_sel_neg(x, e, v_set(1.0f)) / (1.0f + e);
}

/* silu: x e / (1 + e) for x < 0, x / (1 + e) else; |x| <= 87 keeps x e
 * normal, so it rounds once as v_silu's (x p / (1 + e)) 2^n does */
LG_ALWAYS_INLINE lg_vf a2_silu(lg_vf x)
{
  lg_vi sc;
  lg_vf e;
  if (__builtin_expect(a2_special(x), 0)) return v_silu(x);
  e = a2_exp_u(v_negabs(x), &sc, NULL);
  e = a2_scale(e, sc);
  return (x * a2_sel_neg(x, e, v_set(1.0f))) / (1.0f + e);
}

/* elu's expm1(x), x <= 0: (2^m T - 1) + 2^m (T q + T_lo), the first term
 * one FMA (exact product, one rounding), and for |x| < ln2/16 (k = 0:
 * T = 1, m = 0) exactly q, so small x keep their relative accuracy.
 * x is clamped at -30 (expm1 is -1 there in float); NaN passes the clamp
 * and gives NaN; lanes x > 0 are not used (the caller selects x). */
LG_ALWAYS_INLINE lg_vf a2_expm1_neg(lg_vf x)
{
  lg_vf xc = V_MAX(v_set(-30.0f), x), t, k, r1, r, q, th, tl, s;
  t = xc * 11.541560173f + 12582912.0f;
  k = t - 12582912.0f;
  r1 = xc - k * 8.6639404297e-02f;
  r = r1 - k * 3.9932729123e-06f;
  q = v_set(4.166861996e-02f);
  q = q * r + 1.666783988e-01f;
  q = q * r + 0.5f;
  q = q * (r * r) + r;
  th = (lg_vf)_mm256_permutevar8x32_ps(_mm256_load_ps(a2_exp_tab[0]), (__m256i)t);
  tl = (lg_vf)_mm256_permutevar8x32_ps(_mm256_load_ps(a2_exp_tab[1]), (__m256i)t);
  /* T (q + dr) + T_lo, dr the rounding error of r (r1 - r is exact): for
   * x in (-0.65, -0.04) the result is smaller than 2^m T r and would
   * inherit it whole (1.35 ulp instead of 0.9) */
  tl = th * ((r1 - r) - k * 3.9932729123e-06f) + tl;
  s = (lg_vf)((((lg_vi)t & ~7) << 20) + 0x3f800000);   /* 2^m, m in [-44, 0] */
  return (s * th - 1.0f) + s * (th * q + tl);
}

/* gelu (erf), vmath.h's float form: where every lane has |x| < 8 (k < 8;
 * a NaN's k is 0 mod 16) its 16-entry coefficient tables need one vpermps
 * per coefficient instead of two and a blend */
#if defined(__GNUC__) && !defined(__clang__)   /* vmath.h's float form is GCC's only */
#define A2_GELU_ERF 1
LG_ALWAYS_INLINE lg_vf a2_gelu_erf(lg_vf x)
{
  lg_vf a = V_MIN(v_set(15.5f), v_abs(x));
  lg_vi k = __builtin_convertvector(a, lg_vi);
  if (_mm256_testz_si256((__m256i)k, _mm256_set1_epi32(8)))
    return v_gelu_erf_k(x, a, k, 1);
  return v_gelu_erf_k(x, a, k, 0);
}
#endif

#endif
