/* simd/reduce.h - max and sum of a float32 array at one SIMD level (the
 * softmax rows use the max helpers too). Included by simd/body.h. */

/* Max of x[i..n-1] into the accumulators m and nan (tail padded with x[0]). */
LG_ALWAYS_INLINE void vf_maxacc(const float *x, size_t i, size_t n, lg_vf *m, lg_vi *nan)
{
  for (; i + LG_VW <= n; i += LG_VW) {
    lg_vf v = v_ld(x + i);
    *nan |= v != v;
    *m = V_MAX(*m, v);
  }
  if (i < n) {
#ifdef V_LDTAIL
    lg_vf v = V_LDTAIL(x + i, (unsigned)(n - i), x[0]);
#else
    float b[LG_VW];
    lg_vf v;
    int k;
    for (k = 0; k < LG_VW; k++) b[k] = i + k < n ? x[i + k] : x[0];
    v = v_ld(b);
#endif
    *nan |= v != v;
    *m = V_MAX(*m, v);
  }
}

LG_ALWAYS_INLINE float vf_maxred(lg_vf m, lg_vi nan)
{
  float r = m[0];
  int k, anynan = 0;
  for (k = 0; k < LG_VW; k++) {
    r = m[k] > r ? m[k] : r;
    anynan |= nan[k];
  }
  return anynan ? (float)NAN : r;
}

/* max of x[0..n-1]; NaN if any is NaN. Four independent max chains (one
 * chain is bound by the compare-select latency, ~8 cycles a vector); NaN
 * is tracked apart, so the max itself may ignore it. */
static VF_TGT float VF_NAME(vmax)(size_t n, const float *x)
{
  lg_vf m0 = v_set(x[0]), m1 = m0, m2 = m0, m3 = m0;
  lg_vi nan = { 0 };
  size_t i = 0;
  float r;
  int anynan = 0;
  if (n < 2 * LG_VW) {   /* short rows (cross-entropy over few classes): scalar */
    r = x[0];
    for (i = 0; i < n; i++) {
      r = x[i] > r ? x[i] : r;
      anynan |= x[i] != x[i];
    }
    return anynan ? (float)NAN : r;
  }
  for (; i + 4 * LG_VW <= n; i += 4 * LG_VW) {
    lg_vf v0 = v_ld(x + i), v1 = v_ld(x + i + LG_VW);
    lg_vf v2 = v_ld(x + i + 2 * LG_VW), v3 = v_ld(x + i + 3 * LG_VW);
    nan |= (v0 != v0) | (v1 != v1) | (v2 != v2) | (v3 != v3);
    m0 = V_MAX(m0, v0);
    m1 = V_MAX(m1, v1);
    m2 = V_MAX(m2, v2);
    m3 = V_MAX(m3, v3);
  }
  vf_maxacc(x, i, n, &m0, &nan);
  return vf_maxred(V_MAX(V_MAX(m0, m1), V_MAX(m2, m3)), nan);
}

/* Sum in double: each float vector widened into two double vectors, four
 * independent accumulators (one chain would wait on the add latency). */
static VF_TGT double VF_NAME(vsum)(size_t n, const float *x)
{
  lg_vd s0 = { 0 }, s1 = { 0 }, s2 = { 0 }, s3 = { 0 };
  double lanes[LG_VW / 2], r = 0.0;
  size_t i = 0, k;
  for (; i + 2 * LG_VW <= n; i += 2 * LG_VW) {
    lg_vf v0 = v_ld(x + i), v1 = v_ld(x + i + LG_VW);
    s0 += v_lo_d(v0);
    s1 += v_hi_d(v0);
    s2 += v_lo_d(v1);
    s3 += v_hi_d(v1);
  }
  s0 = (s0 + s1) + (s2 + s3);
  memcpy(lanes, &s0, sizeof lanes);
  for (k = 0; k < LG_VW / 2; k++) r += lanes[k];
  for (; i < n; i++) r += (double)x[i];
  return r;
}

#undef VF_LOOP
