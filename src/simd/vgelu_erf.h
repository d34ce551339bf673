/* vgelu_erf.h - gelu (erf) on vectors, included by vmath.h: the double-lane
 * form (portable level, clang), the float form with its tables (GCC's
 * AVX2 and AVX-512, NEON), and the fast float form for vectors whose lanes
 * all have |x| < 8 (the levels with an exact FMS and an 8-entry permute). */
#ifndef LG_KERNELS_VGELU_ERF_H
#define LG_KERNELS_VGELU_ERF_H

/* gelu (erf) = x/2 erfc(-x/sqrt 2) at the portable level (the float
 * form below needs FMA-speed Horner and a per-lane table lookup), all on
 * double lanes (one half of the float vector at a time). With a = |x|/sqrt 2, erfc(a) = t exp(w),
 * t = 1/(1 + a/2), w = -a^2 + P(t), P Numerical Recipes' Chebyshev fit
 * (relative error < 1.2e-7 for every a >= 0); in double the rounding of
 * w (it reaches -200) costs nothing, so no float-precision juggling.
 * exp(w) = 2^n exp(r), r = w - n ln2, by v_exp_negf's degree-6 fit (in
 * double its 3.1e-9 holds). h = erfc(a)/2; gelu = x h for x < 0 and
 * x (1 - h) for x >= 0, each rounded to float once (so subnormal
 * results round once). |x| is clamped to 20; beyond it h = 0 exactly,
 * so gelu(-inf) = -inf * 0 = NaN as in PyTorch and gelu(inf) = inf. */
LG_ALWAYS_INLINE lg_vd v_gelu_erf_d(lg_vd x)
{
  const lg_vd z = { 0 };
  lg_vd ax = (lg_vd)((lg_vl)x & (int64_t)0x7fffffffffffffffLL), d, t, P, w, tt, n, r, p, h;
  lg_vl dead = ax > 20.0;
  ax = v_seld(dead, z + 20.0, ax);
  d = 1.0 + 0.35355339059327377 * ax;
#ifdef V_RCPD   /* 1/d to 2^-14, one Newton step: 2^-28, plenty for t */
  t = V_RCPD(d);
  t = t + t * (1.0 - d * t);
#else
  t = 1.0 / d;
#endif
  P = 0.17087277 * t - 0.82215223;
  P = P * t + 1.48851587;
  P = P * t - 1.13520398;
  P = P * t + 0.27886807;
  P = P * t - 0.18628806;
  P = P * t + 0.09678418;
  P = P * t + 0.37409196;
  P = P * t + 1.00002368;
  P = P * t - 1.26551223;
  w = P - 0.5 * ax * ax;                      /* in [-201, -1.27] */
  tt = w * 1.4426950408889634 + 6755399441055744.0;   /* 1.5 * 2^52 + n */
  n = tt - 6755399441055744.0;
  r = w - n * 0.69314718055994531;
  p = 1.381461275741458e-3 * r + 8.368710055947304e-3;
  p = p * r + 4.166838899254799e-2;
  p = p * r + 1.666652113199234e-1;
  p = p * r + 4.999999403953552e-1;
  p = p * (r * r) + r + 1.0;
  /* 2^n, n in [-291, -1], from tt's low bits: a normal double */
  h = (0.5 * t * p) * (lg_vd)(((lg_vl)tt - (int64_t)0x4338000000000000LL + 1023) << 52);
  h = v_seld(dead, z, h);
  return x * v_seld(x < 0.0, h, 1.0 - h);
}
#if defined(V_TAB16) || (LG_VW >= 8 && defined(__GNUC__) && !defined(__clang__))
/* gelu (erf) on float lanes (AVX2, AVX-512, and NEON through its V_TAB16
 * hook, a 16-entry lookup from a table in memory). With a = |x| (clamped to
 * 15.5), h = Phi(-a) = exp(-a^2/2) S(a), S(a) = Phi(-a) exp(a^2/2) the
 * scaled Mills ratio, smooth and in (0.06, 0.5]: no cancellation anywhere.
 * S is a degree-7 polynomial in u = a - k - 0.5 on [k, k+1), k = (int)a,
 * its coefficients picked per lane from 16-entry tables (one permute per
 * coefficient; 1 ulp relative in float). Interval 15 is all zero: there
 * h = 0, so gelu(-inf) = -inf * 0 = NaN as in PyTorch (gelu(-14.4) already
 * rounds to 0). exp(-a^2/2) keeps a^2 exactly: a = ah + al with ah's
 * significand cut to 12 bits, so ah^2 and the parts of
 * lo = 2 ah al + al^2 are exact, and lo/2 goes into the reduced argument
 * r (Cody-Waite, ln2 in two parts); exp(r) by v_exp_negf's polynomial.
 * gelu = x h for x < 0, with 2^n applied last so subnormal results round
 * once, and x - a h = x (1 - h) for x >= 0 (a h = 0 for x = +inf). */
static const float lg_gelu_S[8][16] __attribute__((aligned(64))) = {
  { 0.349618822f, 0.20578067f, 0.14133133f, 0.106345154f, 0.084803395f, 0.0703426972f, 0.0600156747f, 0.0522930957f, 0.0463100448f, 0.04154329f, 0.037658859f, 0.0344340578f, 0.0317149274f, 0.0293917321f, 0.0273842253f, 0.0f },
  { -0.224132881f, -0.0902712792f, -0.045613952f, -0.0267342422f, -0.0173270162f, -0.0120574636f, -0.00884039048f, -0.00674405182f, -0.00530691398f, -0.00428103982f, -0.00352426386f, -0.00295060663f, -0.00250571081f, -0.00215390348f, -0.00187101518f, 0.0f },
  { 0.118777484f, 0.0351869799f, 0.013648239f, 0.00638765423f, 0.00341591076f, 0.00201332313f, 0.00127656804f, 0.000856353494f, 0.000600636122f, 0.000436705974f, 0.000327044138f, 0.000251041289f, 0.000196770416f, 0.000157017843f, 0.000127252933f, 0.0f },
  { -0.0549145229f, -0.0124969818f, -0.00383112952f, -0.0014591536f, -0.000651806651f, -0.00032806219f, -0.000180899573f, -0.000107133579f, -6.71690286e-05f, -4.4110926e-05f, -3.0100151e-05f, -2.12105842e-05f, -1.5360185e-05f, -1.13874939e-05f, -8.61585522e-06f, 0.0f },
  { 0.0228039324f, 0.00410819286f, 0.00101734139f, 0.000320111809f, 0.000120686484f, 5.22431001e-05f, 2.51795555e-05f, 1.32127007e-05f, 7.42476595e-06f, 4.41301427e-06f, 2.74812419e-06f, 1.77988636e-06f, 1.19202173e-06f, 8.21667754e-07f, 5.80756534e-07f, 0.0f },
  { -0.0086986199f, -0.00126603118f, -0.00025738866f, -6.77170538e-05f, -2.17345423e-05f, -8.14238319e-06f, -3.44559817e-06f, -1.60732668e-06f, -8.11563666e-07f, -4.37395471e-07f, -2.48939045e-07f, -1.48362744e-07f, -9.19746128e-08f, -5.8991219e-08f, -3.89745161e-08f, 0.0f },
  { 0.00324443681f, 0.000382221566f, 6.39927894e-05f, 1.41216851e-05f, 3.86922511e-06f, 1.25723284e-06f, 4.67924224e-07f, 1.94310644e-07f, 8.82468072e-08f, 4.31627463e-08f, 2.24662351e-08f, 1.23272539e-08f, 7.07695236e-09f, 4.22498481e-09f, 2.6099809e-09f, 0.0f },
  { -0.00105746812f, -0.000104770123f, -1.4825273e-05f, -2.79368214e-06f, -6.61663023e-07f, -1.88142465e-07f, -6.1986313e-08f, -2.30234267e-08f, -9.43885237e-09f, -4.20119228e-09f, -2.00419792e-09f, -1.01425424e-09f, -5.3996263e-10f, -3.00393987e-10f, -1.73748099e-10f, 0.0f }
};
/* lo8 (a constant): every lane's k is below 8, so at 8 lanes one
 * single-source permute does (the AVX2 level checks that per vector) */
LG_ALWAYS_INLINE lg_vf v_gelu_tab(int j, lg_vi k, int lo8)
{
  lg_vf t0, t1;
#if defined(V_TAB16)   /* the level's table lookup */
  (void)t0; (void)t1; (void)lo8;
  return V_TAB16(lg_gelu_S[j], k);
#elif LG_VW == 16
  memcpy(&t0, lg_gelu_S[j], sizeof t0);
  (void)t1; (void)lo8;
  return __builtin_shuffle(t0, k);
#else
  memcpy(&t0, lg_gelu_S[j], sizeof t0);
  if (lo8) return __builtin_shuffle(t0, k);
  memcpy(&t1, lg_gelu_S[j] + LG_VW, sizeof t1);
  return __builtin_shuffle(t0, t1, k);
#endif
}
LG_ALWAYS_INLINE lg_vf v_gelu_erf_k(lg_vf x, lg_vf a, lg_vi k, int lo8)
{
  lg_vf ah, al, lo, w, t, n, r, p, u, S, y;
  u = a - (V_CVT(k, lg_vf) + 0.5f);
  S = v_gelu_tab(7, k, lo8);
  S = S * u + v_gelu_tab(6, k, lo8);
  S = S * u + v_gelu_tab(5, k, lo8);
  S = S * u + v_gelu_tab(4, k, lo8);
  S = S * u + v_gelu_tab(3, k, lo8);
  S = S * u + v_gelu_tab(2, k, lo8);
  S = S * u + v_gelu_tab(1, k, lo8);
  S = S * u + v_gelu_tab(0, k, lo8);
  ah = (lg_vf)((lg_vi)a & (int32_t)0xfffff000);
  al = a - ah;
  lo = (2.0f * ah) * al + al * al;
  w = -0.5f * (ah * ah);                          /* exact, >= -120.2 */
  t = (w - 0.5f * lo) * 1.44269504088896341f + 12582912.0f;
  n = t - 12582912.0f;
  r = w - n * 0.693359375f;                       /* exact */
  r = r - 0.5f * lo;
  r = r - n * -2.12194440e-4f;
  p = v_set(1.381461275741458e-3f);
  p = p * r + 8.368710055947304e-3f;
  p = p * r + 4.166838899254799e-2f;
  p = p * r + 1.666652113199234e-1f;
  p = p * r + 4.999999403953552e-1f;
  p = p * (r * r) + r + 1.0f;
  y = v_scale2(v_sel(x < 0.0f, x, v_set(1.0f)) * (p * S), n);
  return v_sel(x < 0.0f, y, x - a * y);
}
LG_ALWAYS_INLINE lg_vf v_gelu_erf(lg_vf x)
{
  lg_vf a = V_MIN(v_set(15.5f), v_abs(x));
  lg_vi k = V_CVT(a, lg_vi);   /* shuffle takes k mod 16 (NaN: any k) */
  return v_gelu_erf_k(x, a, k, 0);
}
#ifdef V_TAB8
#define V_GELU_ERF8 1
/* The same h for vectors whose lanes all have |x| < 8 (and none is NaN),
 * with a cheaper exp(-a^2/2): a^2/2 = hi + lo exactly by one FMA
 * (lo = (a/2) a - hi), -a^2/2 = k ln2/8 + r (hi + k ln2/8 exact, ln2/8 in
 * two parts), 2^(k/8) from lg_exp8_tab and 2^floor(k/8) added to the
 * exponent bits: exp(-32) and every x h here are normal floats, so the
 * two-factor scaling goes; S takes one permute per coefficient (k < 8).
 * ~25 operations fewer a vector than the form above, which other vectors
 * (some |x| >= 8, inf or NaN) take unchanged. */
LG_ALWAYS_INLINE lg_vf v_gelu_erf8(lg_vf x)
{
  lg_vf a = v_abs(x), u, S, ha, hi, lo, t, k, r, q, th, tl, e, xh;
  lg_vi ki = V_CVT(a, lg_vi);   /* 0..7 where used */
  if (__builtin_expect(V_ANY_NLT(a, 8.0f), 0))    /* |x| >= 8, NaN */
    return v_gelu_erf(x);
#ifdef V_FRAC   /* a - k exactly, one operation */
  u = V_FRAC(a) - 0.5f;
#else
  u = a - (V_CVT(ki, lg_vf) + 0.5f);
#endif
  S = v_gelu_tab(7, ki, 1);
  S = S * u + v_gelu_tab(6, ki, 1);
  S = S * u + v_gelu_tab(5, ki, 1);
  S = S * u + v_gelu_tab(4, ki, 1);
  S = S * u + v_gelu_tab(3, ki, 1);
  S = S * u + v_gelu_tab(2, ki, 1);
  S = S * u + v_gelu_tab(1, ki, 1);
  S = S * u + v_gelu_tab(0, ki, 1);
  ha = 0.5f * a;
  hi = ha * a;                                     /* a^2/2 = hi + lo exactly */
  lo = V_FMS(ha, a, hi);
  t = hi * -11.541560173f + 12582912.0f;           /* -8/ln2; 1.5 * 2^23 + k */
  k = t - 12582912.0f;
  r = V_FMS(k, v_set(-8.6639404297e-02f), hi);     /* -hi - k ln2/8 (its hi part): exact */
  r = r - lo;
  r = r - k * 3.9932729123e-06f;
  q = v_set(4.166861996e-02f);
  q = q * r + 1.666783988e-01f;
  q = q * r + 0.5f;
  q = q * (r * r) + r;                             /* exp(r) - 1 */
  th = V_TAB8(lg_exp8_tab[0], t);
  tl = V_TAB8(lg_exp8_tab[1], t);
  e = (lg_vf)((lg_vu)(th + (th * q + tl)) + (lg_vu)v_exp8_bits(t));   /* exp(-a^2/2) */
  xh = x * (e * S);                                /* x Phi(-|x|) */
  return V_SEL_NEG(x, xh, x - xh);
}
#endif
#else   /* portable level (and clang): the double-lane form above */
LG_ALWAYS_INLINE lg_vf v_gelu_erf(lg_vf x)
{
  return v_pack_d(v_gelu_erf_d(v_lo_d(x)), v_gelu_erf_d(v_hi_d(x)));
}
#endif

#endif
