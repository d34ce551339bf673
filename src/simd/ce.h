/* simd/ce.h - cross-entropy over short rows (at most 16 classes) at one
 * SIMD level (lg_vce_f32): AVX-512 has its own kernel (ce_avx512.h), the
 * others share the chunked one below. Included by simd/body.h after
 * rows.h. */

/* log(s) on double lanes, s positive, normal and finite (cross-entropy's
 * row sums, in [1, n]); NaN gives NaN. s = 2^k (1 + f), 1 + f in
 * [sqrt(1/2), sqrt 2) (the exponent is split off at sqrt(1/2)'s bits, so
 * no compare is needed); log(1 + f) = 2 atanh(u), u = f / (2 + f), |u| <
 * 0.172: 2u + u R(u^2), R's odd-series terms to u^18 (the next one is
 * < 2^-55 relative), written f - u (f - R) (2u = f - u f) so that the
 * division's rounding only reaches the small term; ln2 in two parts (k
 * ln2_hi exact). About 1 ulp of double. */
LG_ALWAYS_INLINE lg_vd vf_logd(lg_vd s)
{
  const int64_t off = 0x3fe6a09e667f3bcdLL;   /* sqrt(1/2) */
  lg_vl b = (lg_vl)s, k = (b - off) >> 52;
  lg_vd f = (lg_vd)(b - (k << 52)) - 1.0, u = f / (f + 2.0), w = u * u, r, kd;
  r = w * (2.0 / 19) + 2.0 / 17;
  r = r * w + 2.0 / 15;
  r = r * w + 2.0 / 13;
  r = r * w + 2.0 / 11;
  r = r * w + 2.0 / 9;
  r = r * w + 2.0 / 7;
  r = r * w + 2.0 / 5;
  r = r * w + 2.0 / 3;
  r = r * w;
  kd = V_CVT(k, lg_vd);
  r = kd * 6.93147180369123816490e-01 + ((f - u * (f - r)) + kd * 1.90821492927058770002e-10);
  return v_seld(s != s, s, r);
}

#if defined(V_LDTAIL) && LG_VW == 16
#include "simd/ce_avx512.h"
#else
/* Cross-entropy over rows of at most 16 classes (AVX2, portable): chunks
 * of rows as vsoftmax_short (per-row max and x - m into a buffer, one vector
 * exp pass over the chunk across row boundaries), then per row the double
 * sum and the gradient, and the chunk's logs in double lanes (vf_logd)
 * instead of a libm call per row. Special rows (NaN, +-inf max) get s =
 * NaN, hence NaN loss and gradient, as the per-row path gives. */
#define VF_CE_R 128   /* rows per chunk (at most; and <= VF_CE_BUF floats) */
#define VF_CE_BUF 1024
static VF_TGT int VF_NAME(vce)(size_t rows, size_t n, const float *z, const int64_t *t,
                               const float *w, int64_t ign, double a, float *losses,
                               float *grad, double *nll_sum)
{
  float buf[VF_CE_BUF + LG_VW], mb[VF_CE_BUF + LG_VW], mrow[VF_CE_R];
  double sv[VF_CE_R + LG_VW], dtv[VF_CE_R + LG_VW], wtv[VF_CE_R + LG_VW], acc = 0.0;
  size_t R, r0, r, j, i;
  if (n == 0 || n > 16)
    return 0;
  R = VF_CE_BUF / n < VF_CE_R ? VF_CE_BUF / n : VF_CE_R;
  for (r0 = 0; r0 < rows; r0 += R) {
    size_t nr = rows - r0 < R ? rows - r0 : R, len = nr * n;
    const float *zc = z + r0 * n;
    for (r = 0; r < nr; r++) {
      const float *xr = zc + r * n;
      float m = xr[0], mm;
      int nan = m != m;
      for (j = 1; j < n; j++) {
        m = xr[j] > m ? xr[j] : m;
        nan |= xr[j] != xr[j];
      }
      mrow[r] = nan ? (float)NAN : m;
      mm = !nan && m - m == 0.0f ? m : 0.0f;   /* special rows: any finite shift */
      for (j = 0; j < n; j++) {
        buf[r * n + j] = xr[j] - mm;
        mb[r * n + j] = mm;
      }
    }
    for (i = len; i % LG_VW; i++) buf[i] = mb[i] = 0.0f;
    vf_exp_chunk(buf, zc, mb, len);   /* e: exp of the exact z - m */
    for (r = 0; r < nr; r++) {
      const float *e = buf + r * n;
      const int64_t tr = t[r0 + r];
      const int ig = tr == ign;   /* ign == LG_NO_IGNORE matches no valid target */
      const size_t tc = ig ? 0 : (size_t)tr;
      double s0 = 0.0, s1 = 0.0, s, wt = w ? (double)w[tc] : 1.0;
      for (j = 0; j + 1 < n; j += 2) {
        s0 += e[j];
        s1 += e[j + 1];
      }
      if (j < n) s0 += e[j];
      s = mrow[r] - mrow[r] == 0.0f ? s0 + s1 : (double)NAN;
      sv[r] = s;
      dtv[r] = (double)zc[r * n + tc] - (double)mrow[r];   /* before grad (may alias z) */
      wtv[r] = ig ? 0.0 : wt;
      if (grad) {   /* as loss.c: e (a w_t / s), g_t = a (e_t / s w_t - w_t); ignored e (0 / s) */
        float *g = grad + (r0 + r) * n, f = (float)(ig ? 0.0 / s : a * wt / s);
        float gt = (float)(a * ((double)e[tc] / s * wt - wt));
        for (j = 0; j < n; j++) g[j] = e[j] * f;
        if (!ig) g[tc] = gt;
      }
    }
    for (r = nr; r % (LG_VW / 2); r++) {   /* lanes past the chunk: log 1 = 0 */
      sv[r] = 1.0;
      dtv[r] = wtv[r] = 0.0;
    }
    for (r = 0; r < nr; r += LG_VW / 2) {
      lg_vd S, D, Wt;
      memcpy(&S, sv + r, sizeof S);
      memcpy(&D, dtv + r, sizeof D);
      memcpy(&Wt, wtv + r, sizeof Wt);
      D = -(Wt * (D - vf_logd(S)));
      memcpy(sv + r, &D, sizeof D);
    }
    for (r = 0; r < nr; r++) {
      const int ig = t[r0 + r] == ign;
      if (!ig) acc += sv[r];
      if (losses) losses[r0 + r] = ig ? 0.0f : (float)sv[r];
    }
  }
  *nll_sum += acc;
  return 1;
}
#undef VF_CE_R
#undef VF_CE_BUF
#endif
