/* vsoftmax_avx2.h - the softmax family over short rows (1 <= n <= 16) at
 * the AVX2 level (included by level_avx2.c after simd/body.h, whose
 * vsoftmax calls it through VF_SOFTMAX_SHORT).
 *
 * Why: the generic short-row path (vsoftmax_short) finds each row's max,
 * subtracts it and sums the exps with scalar loops, and log_softmax and
 * logsumexp call libm's log once per row: at 10 classes that is most of
 * the time. AVX-512 has one masked vector per row for softmax (row1);
 * here a row is one or two 8-lane vectors (the second masked, filled with
 * -inf so its exps are 0): the max by a shuffle tree left in every lane,
 * the exp of x - m as v_exp_neg (vmath_avx2.h's a2_exp_neg at this
 * level; softmax adds the rounding of x - m back, as every other path does), the sum in double, and the logs of four rows
 * at a time on double lanes (vf_logd, ~1 ulp of double). log_softmax is
 * ((double)x - m) - log s rounded once, as elsewhere. Rows whose max is
 * NaN or +-inf follow vf_special_row. y may alias x (softmax,
 * log_softmax): a row is read whole before it is written. */
#ifndef LG_KERNELS_VSOFTMAX_AVX2_H
#define LG_KERNELS_VSOFTMAX_AVX2_H

/* 8 floats at p, lanes not in mask m read as -inf; safe: the 8 floats at
 * p may all be read (AMD's vmaskmovps is slow: a plain load and a blend
 * wherever the row is not the array's end) */
LG_ALWAYS_INLINE __m256 a2s_ld(const float *p, __m256i m, int full, int safe)
{
  if (full) return _mm256_loadu_ps(p);
  return _mm256_blendv_ps(_mm256_set1_ps(-INFINITY),
                          safe ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, m), (__m256)m);
}
/* the first k lanes of v to p (k = 8: all): 16-, 8- and 4-byte stores, not
 * vmaskmovps (microcoded on AMD, ~10x slower) */
LG_ALWAYS_INLINE void a2s_st(float *p, unsigned k, __m256 v)
{
  __m128 h = _mm256_castps256_ps128(v);
  if (k == 8) {
    _mm256_storeu_ps(p, v);
    return;
  }
  if (k & 4) {
    _mm_storeu_ps(p, h);
    p += 4;
    h = _mm256_extractf128_ps(v, 1);
  }
  if (k & 2) {
    _mm_storel_pi((__m64 *)(void *)p, h);
    p += 2;
    h = _mm_movehl_ps(h, h);
  }
  if (k & 1) _mm_store_ss(p, h);
}
/* max of the 8 lanes, in every lane */
LG_ALWAYS_INLINE __m256 a2s_hmax(__m256 v)
{
  v = _mm256_max_ps(v, _mm256_permute2f128_ps(v, v, 1));
  v = _mm256_max_ps(v, _mm256_shuffle_ps(v, v, 0x4e));
  return _mm256_max_ps(v, _mm256_shuffle_ps(v, v, 0xb1));
}
/* (float)(((double)v - m) - ls) lane by lane */
LG_ALWAYS_INLINE __m256 a2s_logsm(__m256 v, __m256d md, __m256d lsd)
{
  __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(v));
  __m256d hi = _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));
  lo = _mm256_sub_pd(_mm256_sub_pd(lo, md), lsd);
  hi = _mm256_sub_pd(_mm256_sub_pd(hi, md), lsd);
  return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm256_cvtpd_ps(lo)), _mm256_cvtpd_ps(hi), 1);
}

/* A2S_G rows side by side (one row is a ~100-cycle chain of max tree,
 * exp, sum tree, division or log; the core overlaps too little of the
 * next row with it; 8 measured a little faster than 4): rows x ..
 * x + A2S_G n, all 8-float reads in bounds. Every four rows' double sums
 * come out of one transposed add tree, their divisions and logs take one
 * double-lane operation. Returns 0, having
 * written nothing, if a row's max is NaN or +-inf (the caller then takes
 * the rows one by one). */
#ifndef A2S_G
#define A2S_G 8   /* rows side by side */
#endif
#define A2S_Q _Pragma("GCC unroll 8") for (q = 0; q < A2S_G; q++)
LG_ALWAYS_INLINE int a2s_group(int op, size_t n, float *y, const float *x, __m256i m0,
                                __m256i m1, int two, int full0, int full1, unsigned k0,
                                unsigned k1)
{
  __m256 v0[A2S_G], v1[A2S_G], M[A2S_G], e0[A2S_G], e1[A2S_G], bad = _mm256_setzero_ps();
  __m256d sd[A2S_G], S[A2S_G / 4], t01, t23;
  /* log_softmax and logsumexp need only the sums: rows of 9 or 10 put
   * their tails of four rows into one exp (mp: the lanes that are real) */
  const int pack = op != LG_VS_SOFTMAX && two && k1 <= 2;
  const __m256i mp = k1 == 2 ? _mm256_set1_epi32(-1) : _mm256_setr_epi32(-1, 0, -1, 0, -1, 0, -1, 0);
  int q, h;
  A2S_Q {
    v0[q] = a2s_ld(x + q * n, m0, full0, 1);
    v1[q] = two ? a2s_ld(x + q * n + 8, m1, full1, 1) : _mm256_set1_ps(-INFINITY);
    M[q] = a2s_hmax(_mm256_max_ps(v0[q], v1[q]));
    /* NaN anywhere, or a max of +-inf: d - d is not 0 */
    bad = _mm256_or_ps(bad, _mm256_cmp_ps(v0[q], v0[q], _CMP_UNORD_Q));
    bad = _mm256_or_ps(bad, _mm256_cmp_ps(v1[q], v1[q], _CMP_UNORD_Q));
    bad = _mm256_or_ps(bad, _mm256_cmp_ps(_mm256_sub_ps(M[q], M[q]), _mm256_setzero_ps(),
                                          _CMP_NEQ_UQ));
  }
  if (_mm256_movemask_ps(bad)) return 0;
  A2S_Q {
    __m256 d = _mm256_sub_ps(v0[q], M[q]);
    if (!full0) d = _mm256_and_ps(d, (__m256)m0);   /* past the row: d = 0, e = 0 */
    e0[q] = (__m256)v_exp_neg((lg_vf)d);
    if (op == LG_VS_SOFTMAX)   /* exp of the exact x - m */
      e0[q] = _mm256_fmadd_ps(e0[q], (__m256)v_sub_lo((lg_vf)v0[q], (lg_vf)M[q], (lg_vf)d), e0[q]);
    if (!full0) e0[q] = _mm256_and_ps(e0[q], (__m256)m0);
    sd[q] = _mm256_add_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(e0[q])),
                          _mm256_cvtps_pd(_mm256_extractf128_ps(e0[q], 1)));
    if (two && !pack) {
      d = _mm256_sub_ps(v1[q], M[q]);
      if (!full1) d = _mm256_and_ps(d, (__m256)m1);
      e1[q] = (__m256)v_exp_neg((lg_vf)d);
      if (op == LG_VS_SOFTMAX)
        e1[q] = _mm256_fmadd_ps(e1[q], (__m256)v_sub_lo((lg_vf)v1[q], (lg_vf)M[q], (lg_vf)d), e1[q]);
      if (!full1) e1[q] = _mm256_and_ps(e1[q], (__m256)m1);
      sd[q] = _mm256_add_pd(sd[q], _mm256_add_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(e1[q])),
                                                 _mm256_cvtps_pd(_mm256_extractf128_ps(e1[q], 1))));
    } else
      e1[q] = _mm256_setzero_ps();
  }
  /* [s0, s1, s2, s3] per four rows: each row's partial sums added pairwise */
  for (h = 0; h < A2S_G / 4; h++) {
    t01 = _mm256_hadd_pd(sd[4 * h], sd[4 * h + 1]);   /* s0a+s0b, s1a+s1b, s0c+s0d, s1c+s1d */
    t23 = _mm256_hadd_pd(sd[4 * h + 2], sd[4 * h + 3]);
    S[h] = _mm256_add_pd(_mm256_permute2f128_pd(t01, t23, 0x20),
                         _mm256_permute2f128_pd(t01, t23, 0x31));
    if (pack) {   /* the 1-2 lanes past 8 of four rows, as one vector */
      const __m256 *V = v1 + 4 * h, *Mh = M + 4 * h;
      __m256 T = (__m256)_mm256_permute2f128_pd(
          _mm256_unpacklo_pd((__m256d)V[0], (__m256d)V[1]),
          _mm256_unpacklo_pd((__m256d)V[2], (__m256d)V[3]), 0x20);   /* r0 r0 r1 r1 r2 r2 r3 r3 */
      __m256 Mt = (__m256)_mm256_permute2f128_pd(
          _mm256_unpacklo_pd((__m256d)Mh[0], (__m256d)Mh[1]),
          _mm256_unpacklo_pd((__m256d)Mh[2], (__m256d)Mh[3]), 0x20);
      __m256 d = _mm256_and_ps(_mm256_sub_ps(T, Mt), (__m256)mp), et;
      __m256d tl, th;
      et = _mm256_and_ps((__m256)v_exp_neg((lg_vf)d), (__m256)mp);
      tl = _mm256_cvtps_pd(_mm256_castps256_ps128(et));   /* r0 r0 r1 r1 */
      th = _mm256_cvtps_pd(_mm256_extractf128_ps(et, 1));   /* r2 r2 r3 r3 */
      S[h] = _mm256_add_pd(S[h], _mm256_permute4x64_pd(_mm256_hadd_pd(tl, th), 0xd8));
    }
  }
  if (op == LG_VS_SOFTMAX) {
    __m256 inv[A2S_G / 4];
    for (h = 0; h < A2S_G / 4; h++)
      inv[h] = _mm256_castps128_ps256(_mm256_cvtpd_ps(_mm256_div_pd(_mm256_set1_pd(1.0), S[h])));
    A2S_Q {
      const __m256 f = _mm256_permutevar8x32_ps(inv[q / 4], _mm256_set1_epi32(q % 4));
      a2s_st(y + q * n, k0, _mm256_mul_ps(e0[q], f));
      if (two) a2s_st(y + q * n + 8, k1, _mm256_mul_ps(e1[q], f));
    }
    return 1;
  }
  for (h = 0; h < A2S_G / 4; h++) {
    /* the four maxima [m0, m1, m2, m3] in double */
    const __m256 *Mh = M + 4 * h;
    __m128 m01 = _mm256_castps256_ps128(_mm256_unpacklo_ps(Mh[0], Mh[1]));
    __m128 m23 = _mm256_castps256_ps128(_mm256_unpacklo_ps(Mh[2], Mh[3]));
    __m256d md = _mm256_cvtps_pd(_mm_movelh_ps(m01, m23)), ls = (__m256d)vf_logd((lg_vd)S[h]);
    if (op == LG_VS_LOGSUMEXP) {
      _mm_storeu_ps(y + 4 * h, _mm256_cvtpd_ps(_mm256_add_pd(md, ls)));
      continue;
    }
    _Pragma("GCC unroll 4") for (q = 0; q < 4; q++) {
      const int r = 4 * h + q;
      const __m256d mq = _mm256_cvtps_pd(_mm256_castps256_ps128(M[r]));
      const __m256d lq = (__m256d)_mm256_permutevar8x32_ps(   /* lane q of ls, broadcast */
          (__m256)ls, _mm256_add_epi32(_mm256_set1_epi32(2 * q), _mm256_setr_epi32(0, 1, 0, 1, 0, 1, 0, 1)));
      a2s_st(y + r * n, k0, a2s_logsm(v0[r], mq, lq));
      if (two) a2s_st(y + r * n + 8, k1, a2s_logsm(v1[r], mq, lq));
    }
  }
  return 1;
}
#undef A2S_Q

/* Rows rb..re-1 of rows, one at a time (four per log call): the rows the
 * groups leave (the last ones, and a group with a NaN or +-inf max) */
LG_ALWAYS_INLINE void a2s_rows(int op, size_t rows, size_t rb, size_t re, size_t n, float *y,
                               const float *x, __m256i m0, __m256i m1, int two, int full0,
                               int full1, unsigned k0, unsigned k1)
{
  size_t r0;
  for (r0 = rb; r0 < re; r0 += 4) {
    const size_t nr = re - r0 < 4 ? re - r0 : 4;
    double s[4] __attribute__((aligned(32))) = { 1.0, 1.0, 1.0, 1.0 }, ls[4] __attribute__((aligned(32)));
    float mr[4];
    int q, special = 0;
    for (q = 0; q < (int)nr; q++) {
      const float *xr = x + (r0 + q) * n;
      const int safe = (r0 + q) * n + 16 <= rows * n;
      __m256 v0 = a2s_ld(xr, m0, full0, safe);
      __m256 v1 = two ? a2s_ld(xr + 8, m1, full1, safe) : _mm256_set1_ps(-INFINITY);
      __m256 M = a2s_hmax(_mm256_max_ps(v0, v1)), e0, e1, d0, d1;
      __m256d sd;
      float m = _mm256_cvtss_f32(M);
      if (_mm256_movemask_ps(_mm256_or_ps(_mm256_cmp_ps(v0, v0, _CMP_UNORD_Q),
                                          _mm256_cmp_ps(v1, v1, _CMP_UNORD_Q))))
        m = NAN;
      mr[q] = m;
      if (!(m - m == 0.0f)) {   /* NaN, +inf, or all -inf */
        special |= 1 << q;
        if (op != LG_VS_LOGSUMEXP) {
          size_t j;
          for (j = 0; j < n; j++) y[(r0 + q) * n + j] = NAN;
        }
        continue;
      }
      /* the lanes past the row: d = 0 and e = 0 (an exp of -inf would
       * make subnormals, which cost a microcode assist each) */
      d0 = _mm256_sub_ps(v0, M);
      if (!full0) d0 = _mm256_and_ps(d0, (__m256)m0);
      e0 = (__m256)v_exp_neg((lg_vf)d0);
      if (op == LG_VS_SOFTMAX)   /* exp of the exact x - m */
        e0 = _mm256_fmadd_ps(e0, (__m256)v_sub_lo((lg_vf)v0, (lg_vf)M, (lg_vf)d0), e0);
      if (!full0) e0 = _mm256_and_ps(e0, (__m256)m0);
      sd = _mm256_add_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(e0)),
                         _mm256_cvtps_pd(_mm256_extractf128_ps(e0, 1)));
      if (two) {
        d1 = _mm256_sub_ps(v1, M);
        if (!full1) d1 = _mm256_and_ps(d1, (__m256)m1);
        e1 = (__m256)v_exp_neg((lg_vf)d1);
        if (op == LG_VS_SOFTMAX)
          e1 = _mm256_fmadd_ps(e1, (__m256)v_sub_lo((lg_vf)v1, (lg_vf)M, (lg_vf)d1), e1);
        if (!full1) e1 = _mm256_and_ps(e1, (__m256)m1);
        sd = _mm256_add_pd(sd, _mm256_add_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(e1)),
                                             _mm256_cvtps_pd(_mm256_extractf128_ps(e1, 1))));
      } else
        e1 = _mm256_setzero_ps();
      s[q] = vf_hsum4(sd);
      if (op == LG_VS_SOFTMAX) {
        const __m256 inv = _mm256_set1_ps((float)(1.0 / s[q]));
        float *yr = y + (r0 + q) * n;
        a2s_st(yr, k0, _mm256_mul_ps(e0, inv));
        if (two) a2s_st(yr + 8, k1, _mm256_mul_ps(e1, inv));
      }
    }
    if (op == LG_VS_SOFTMAX) continue;
    _mm256_store_pd(ls, (__m256d)vf_logd((lg_vd)_mm256_load_pd(s)));
    for (q = 0; q < (int)nr; q++) {
      if (special >> q & 1) {
        if (op == LG_VS_LOGSUMEXP) y[r0 + q] = mr[q];
        continue;
      }
      if (op == LG_VS_LOGSUMEXP)
        y[r0 + q] = (float)((double)mr[q] + ls[q]);
      else {
        const float *xr = x + (r0 + q) * n;
        float *yr = y + (r0 + q) * n;
        const __m256d md = _mm256_set1_pd((double)mr[q]), lsd = _mm256_set1_pd(ls[q]);
        const int safe = (r0 + q) * n + 16 <= rows * n;
        a2s_st(yr, k0, a2s_logsm(a2s_ld(xr, m0, full0, safe), md, lsd));
        if (two) a2s_st(yr + 8, k1, a2s_logsm(a2s_ld(xr + 8, m1, full1, safe), md, lsd));
      }
    }
  }
}

static VF_TGT int a2_softmax_short(int op, size_t rows, size_t n, float *y, const float *x)
{
  const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const int two = n > 8, full0 = n >= 8, full1 = n == 16;
  const __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n < 8 ? n : 8)), iota);
  const __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(two ? n - 8 : 0)), iota);
  const unsigned k0 = n < 8 ? (unsigned)n : 8, k1 = two ? (unsigned)n - 8 : 0;
  size_t r0;
  if (n == 0 || n > 16) return 0;
  for (r0 = 0; r0 + A2S_G <= rows && (r0 + A2S_G - 1) * n + 16 <= rows * n; r0 += A2S_G)
    if (!a2s_group(op, n, y + (op == LG_VS_LOGSUMEXP ? r0 : r0 * n), x + r0 * n, m0, m1, two,
                   full0, full1, k0, k1))   /* a NaN or +-inf max: these rows one by one */
      a2s_rows(op, rows, r0, r0 + A2S_G, n, y, x, m0, m1, two, full0, full1, k0, k1);
  a2s_rows(op, rows, r0, rows, n, y, x, m0, m1, two, full0, full1, k0, k1);
  return 1;
}

#endif
