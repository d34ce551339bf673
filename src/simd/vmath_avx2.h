/* vmath_avx2.h - faster forms of vmath.h's activations for the AVX2 level
 * (included by level_avx2.c only, after vmath.h).
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

/* Some lane is NaN or has |x| > 87: -|x| is not >= -87 (an unordered
 * compare, so NaN counts). One vcmpps and a vmovmskps: the integer
 * compare and vptest measured 13-16% slower for sigmoid and silu. */
LG_ALWAYS_INLINE int a2_special(lg_vf x)
{
  return _mm256_movemask_ps(_mm256_cmp_ps((__m256)v_negabs(x), _mm256_set1_ps(-87.0f), _CMP_NGE_UQ));
}

/* exp(x) = (T (1 + q)) 2^m, x in [-88, 0] (or a little above 0): returns
 * the unscaled part u = T + (T q + T_lo) in [0.95, 1.92] and in *sc the
 * bits m << 23 to add to u's (a2_scale), with m = floor(k / 8). */
LG_ALWAYS_INLINE lg_vf a2_exp_uc(lg_vf x, const lg_vf *dx, lg_vi *sc, lg_vf *rq)
{
  lg_vf t, k, r, q, th, tl;
  t = x * 11.541560173f + 12582912.0f;            /* 8/ln2; 1.5 * 2^23 + k */
  k = t - 12582912.0f;
  r = x - k * 8.6639404297e-02f;                   /* ln2/8, 13 bits: exact */
  r = r - k * 3.9932729123e-06f;
  if (dx) r = r + *dx;                             /* exp(x + dx), dx tiny */
  q = v_set(4.166861996e-02f);
  q = q * r + 1.666783988e-01f;
  q = q * r + 0.5f;
  q = q * (r * r) + r;                             /* exp(r) - 1 */
  th = V_TAB8(lg_exp8_tab[0], t);
  tl = V_TAB8(lg_exp8_tab[1], t);
  *sc = v_exp8_bits(t);                            /* (k >> 3) << 23 */
  if (rq) *rq = q;
  return th + (th * q + tl);
}
LG_ALWAYS_INLINE lg_vf a2_exp_u(lg_vf x, lg_vi *sc, lg_vf *rq) { return a2_exp_uc(x, NULL, sc, rq); }
/* u 2^m for a normal result (bits added) */
LG_ALWAYS_INLINE lg_vf a2_scale(lg_vf u, lg_vi sc) { return (lg_vf)((lg_vu)u + (lg_vu)sc); }
/* m ? a : b by the sign bits of m (x < 0 and -0 alike) */
LG_ALWAYS_INLINE lg_vf a2_sel_neg(lg_vf m, lg_vf a, lg_vf b)
{
  return V_SEL_NEG(m, a, b);
}

/* u 2^m where that is below 2^-125 (subnormal, or normal in the lowest
 * binade), rounded once, with no floating-point operation that makes or
 * reads a subnormal: Intel cores take a ~150-cycle microcode assist for
 * each. u 2^(m + 149) is exact (a normal float); rounded to an integer
 * (vcvtps2dq, to nearest even) it is the count of 2^-149 steps, and those
 * integer bits, read as a float, are that value (below 2^24 they are the
 * subnormals and the first normal binade). u > 0, m >= -159. */
/* 2^(m + 149) from sc = m << 23, in unsigned lanes: 276 << 23 does not
 * fit an int */
LG_ALWAYS_INLINE lg_vf a2_pow2_149(lg_vi sc) { return (lg_vf)((lg_vu)sc + (276u << 23)); }
LG_ALWAYS_INLINE lg_vf a2_scale_tiny(lg_vf u, lg_vi sc)
{
  lg_vf s = a2_pow2_149(sc);                        /* 2^(m + 149) */
  return (lg_vf)_mm256_cvtps_epi32((__m256)(u * s));
}

/* exp(x) for x <= 0 (softmax's x - m, cross-entropy's, LG_VA_EXP_NEG): the
 * table form; where a vector has a lane below -87 (a subnormal or 0
 * result) or NaN, those lanes are scaled by a2_scale_tiny (x clamped at
 * -110: 0 below) and NaN passes: the same bits for the same x on every
 * path (one vector at a time, or a2_exp4's four). */
LG_ALWAYS_INLINE lg_vf a2_exp_neg(lg_vf x)
{
  lg_vi sc;
  lg_vf u, e;
  __m256 low = _mm256_cmp_ps((__m256)x, _mm256_set1_ps(-87.0f), _CMP_NGE_UQ);
  if (__builtin_expect(_mm256_movemask_ps(low), 0)) {
    lg_vf xc = V_MAX(v_set(-110.0f), x);
    u = a2_exp_u(xc, &sc, NULL);
    e = a2_sel_neg((lg_vf)low, a2_scale_tiny(u, sc), a2_scale(u, sc));
    return v_sel(x != x, x, e);
  }
  u = a2_exp_u(x, &sc, NULL);
  return a2_scale(u, sc);
}
/* four of them (rows.h's row pass, VF_EXP4) */
LG_ALWAYS_INLINE void a2_exp4(lg_vf *o0, lg_vf *o1, lg_vf *o2, lg_vf *o3)
{
  *o0 = a2_exp_neg(*o0);
  *o1 = a2_exp_neg(*o1);
  *o2 = a2_exp_neg(*o2);
  *o3 = a2_exp_neg(*o3);
}

/* The vectors of sigmoid and silu with a lane |x| > 87, inf or NaN: e =
 * exp(-|x|) where it is normal, as the fast path, and where it is not
 * (|x| > 87; clamped at 110, past which every result is the limit) 1 + e
 * = 1, so y = e (sigmoid, x < 0) or x e (silu) is scaled from u in
 * integer arithmetic (a2_scale_tiny), 1 and x for x > 0: no lane makes
 * or reads a subnormal (the generic forms' products into the subnormals
 * cost an assist each on Intel: sigmoid of inputs in [-100, 100] ran at
 * 5.6 ns/el instead of 0.33). */
LG_ALWAYS_INLINE lg_vf a2_wide_e(lg_vf x, lg_vf *u, lg_vi *sc, lg_vi *tiny)
{
  lg_vf xn = V_MAX(v_set(-110.0f), v_negabs(x));   /* NaN stays NaN */
  *tiny = xn < -87.0f;
  *u = a2_exp_u(xn, sc, NULL);
  return v_sel(*tiny, v_set(0.0f), a2_scale(*u, *sc));
}
LG_ALWAYS_INLINE lg_vf a2_sigmoid_wide(lg_vf x)
{
  lg_vf u, e, y;
  lg_vi sc, tiny;
  e = a2_wide_e(x, &u, &sc, &tiny);
  y = a2_sel_neg(x, e, v_set(1.0f)) / (1.0f + e);
  y = v_sel(tiny & (x < 0.0f), a2_scale_tiny(u, sc), y);
  return v_sel(x != x, x, y);
}
/* silu, x < -87: x e = (x u) 2^m, one rounding into the subnormals by
 * the integer count of 2^-149 below 2^-125, by the exponent bits above;
 * 0 (as -0) below -110, NaN at -inf (-inf * 0, as PyTorch) */
LG_ALWAYS_INLINE lg_vf a2_silu_wide(lg_vf x)
{
  lg_vf u, e, y, v, b, t;
  lg_vi sc, tiny;
  e = a2_wide_e(x, &u, &sc, &tiny);
  y = (x * a2_sel_neg(x, e, v_set(1.0f))) / (1.0f + e);
  v = x * u;
  b = v_abs(v * a2_pow2_149(sc));                   /* |x e| / 2^-149, exact */
  t = (lg_vf)((lg_vi)_mm256_cvtps_epi32((__m256)b) | (int32_t)0x80000000);
  t = v_sel(b < 16777216.0f, t, a2_scale(v, sc));
  t = v_sel(x < -110.0f, v_set(-0.0f), t);
  y = v_sel(tiny & (x < 0.0f), t, y);
  y = v_sel(x == -INFINITY, v_set(NAN), y);
  return v_sel(x != x, x, y);
}

/* sigmoid: as v_sigmoid, e / (1 + e) for x < 0, 1 / (1 + e) else (at
 * x = -0 both are 1/2) */
LG_ALWAYS_INLINE lg_vf a2_sigmoid(lg_vf x)
{
  lg_vi sc;
  lg_vf e;
  if (__builtin_expect(a2_special(x), 0)) return a2_sigmoid_wide(x);
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
  if (__builtin_expect(a2_special(x), 0)) return a2_silu_wide(x);
  e = a2_exp_u(v_negabs(x), &sc, NULL);
  e = a2_scale(e, sc);
  return (x * a2_sel_neg(x, e, v_set(1.0f))) / (1.0f + e);
}

/* v rounded as written: GCC's fp-contract=fast may fuse a product into a
 * later add, which would break the error-free steps that need it rounded */
LG_ALWAYS_INLINE lg_vf a2_rounded(lg_vf v)
{
  __asm__("" : "+x"(v));
  return v;
}

/* gelu (tanh) = x sigmoid(w), w = 2u = c1 x + c3 x^3, for -9.5 <= x <= 1e4
 * (other vectors: vmath.h's form). exp magnifies w's absolute error into
 * the result's relative error, and |w| reaches 76 here, so w is formed in
 * two floats, wh + wl, by error-free products (FMA) and a TwoSum, instead
 * of in double as vmath.h does (that costs two conversions each way and
 * twice the lanes): q = c1 + c3 a^2 = qh + ql, w = -(q a), a = |x|; wl
 * joins the table exp's reduced argument.
 * Positive lanes (y = x / (1 + e)) clamp -wh at -80 and drop wl, where e
 * no longer changes y; negative ones stay above -76.4. */
#define A2_GT_C1 1.5957691216057308                /* 2 sqrt(2/pi) */
#define A2_GT_C3 (A2_GT_C1 * 0.044715)
LG_ALWAYS_INLINE lg_vf a2_gelu_tanh(lg_vf x)
{
  const float c1h = (float)A2_GT_C1, c1l = (float)(A2_GT_C1 - (float)A2_GT_C1);
  const float c3h = (float)A2_GT_C3, c3l = (float)(A2_GT_C3 - (float)A2_GT_C3);
  lg_vf a = v_abs(x), a2, a2l, ph, pl, qh, ql, bb, wh, wl, u, e;
  lg_vi sc;
  __m256 out = _mm256_or_ps(_mm256_cmp_ps((__m256)x, _mm256_set1_ps(-9.5f), _CMP_NGE_UQ),
                            _mm256_cmp_ps((__m256)x, _mm256_set1_ps(1.0e4f), _CMP_NLE_UQ));
  if (__builtin_expect(_mm256_movemask_ps(out), 0)) return v_gelu_tanh(x);
  a2 = a * a;
  a2l = (lg_vf)_mm256_fmsub_ps((__m256)a, (__m256)a, (__m256)a2);
  ph = a2_rounded(c3h * a2);
  pl = (lg_vf)_mm256_fmsub_ps(_mm256_set1_ps(c3h), (__m256)a2, (__m256)ph);
  pl = (lg_vf)_mm256_fmadd_ps(_mm256_set1_ps(c3h), (__m256)a2l, (__m256)pl);
  pl = (lg_vf)_mm256_fmadd_ps(_mm256_set1_ps(c3l), (__m256)a2, (__m256)pl);
  qh = c1h + ph;                                   /* TwoSum: qh + ql = c1h + ph */
  bb = qh - c1h;
  ql = ((c1h - (qh - bb)) + (ph - bb)) + (pl + c1l);
  wh = a2_rounded(qh * a);
  wl = (lg_vf)_mm256_fmsub_ps((__m256)qh, (__m256)a, (__m256)wh);
  wl = (lg_vf)_mm256_fmadd_ps((__m256)ql, (__m256)a, (__m256)wl);
  wl = v_sel(wh > 80.0f, v_set(0.0f), wl);       /* clamped: scaled 1 - wl could wrap */
  wl = -wl;
  u = a2_exp_uc(V_MAX(v_set(-80.0f), -wh), &wl, &sc, NULL);
  e = a2_scale(u, sc);
  return (x * a2_sel_neg(x, e, v_set(1.0f))) / (1.0f + e);
}

/* softplus and log_sigmoid: vmath.h's forms with exp(-|x|) by the table
 * exp (the log1p is the same; vectors with |x| > 87 or NaN: vmath.h's).
 * log1p01's two divisions are not what limits them: a reciprocal estimate
 * for its correction term measured no faster. */
LG_ALWAYS_INLINE lg_vf a2_softplus(lg_vf x, float t)
{
  lg_vi sc;
  lg_vf e, r;
  if (__builtin_expect(a2_special(x), 0)) return v_softplus(x, t);
  e = a2_exp_u(v_negabs(x), &sc, NULL);
  e = a2_scale(e, sc);
  r = V_MAX(v_set(0.0f), x) + v_log1p01(e);
  return v_sel(x > t, x, r);
}
LG_ALWAYS_INLINE lg_vf a2_log_sigmoid(lg_vf x)
{
  lg_vi sc;
  lg_vf e;
  if (__builtin_expect(a2_special(x), 0)) return v_log_sigmoid(x);
  e = a2_exp_u(v_negabs(x), &sc, NULL);
  e = a2_scale(e, sc);
  return V_MIN(v_set(0.0f), x) - v_log1p01(e);
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
  th = V_TAB8(lg_exp8_tab[0], t);
  tl = V_TAB8(lg_exp8_tab[1], t);
  /* T (q + dr) + T_lo, dr the rounding error of r (r1 - r is exact): for
   * x in (-0.65, -0.04) the result is smaller than 2^m T r and would
   * inherit it whole (1.35 ulp instead of 0.9) */
  tl = th * ((r1 - r) - k * 3.9932729123e-06f) + tl;
  s = (lg_vf)((lg_vu)v_exp8_bits(t) + 0x3f800000u);   /* 2^m, m in [-44, 0] where used */
  return (s * th - 1.0f) + s * (th * q + tl);
}

#endif
