/* simd/ce_avx512.h - cross-entropy over rows of at most 16 classes with
 * AVX-512 intrinsics (16-lane masked rows); included by simd/ce.h at the
 * AVX-512 level only. */

/* Cross-entropy over rows of at most 16 classes (AVX-512), 8 rows at a
 * time: one masked vector per row (fill -inf for the max, 0 for the exp,
 * then e = 0). The 8 maxima and the
 * 8 double sums come out of transposed reduction trees (each step adds
 * two rows' halves in one operation: ~3 operations a row instead of a
 * shuffle tree of 8 per row; the pairs added are those of
 * _mm512_reduce_add_pd, so s has the same bits). Per-row scalars live in
 * double lanes in the order VF_CE_P (row k at lane 2k, row k + 4 at lane
 * 2k + 1, as the trees leave them), so the logs, the divisions and the loss
 * run 8 rows per operation. nr (1..8) rows are real; the others repeat the
 * last one and are not stored. All loads come before the stores (grad may
 * alias z). */
#define VF_CE_P 0, 4, 1, 5, 2, 6, 3, 7
#define VF_UNROLL _Pragma("GCC unroll 8")   /* keeps the 8 rows in registers */
#ifndef VF_CE_H
#define VF_CE_H 2   /* groups of 8 rows per step, side by side (the chains are long) */
#endif
LG_ALWAYS_INLINE __m512 vf_ce_tree1(__m512 a, __m512 b, int hi)
{
  return hi ? _mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(3, 2, 3, 2))
            : _mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(1, 0, 1, 0));
}
LG_ALWAYS_INLINE __m512 vf_ce_tree2(__m512 a, __m512 b, int hi)
{
  return hi ? _mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(3, 1, 3, 1))
            : _mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(2, 0, 2, 0));
}
/* what the loss needs of 8 rows, in lane order; the logs are taken later
 * for many blocks in one loop (vf_ce_loss): inside the block their ~80
 * cycle dependency chain (division, polynomial) held up the next block */
typedef struct {
  __m512d s, dt, wt;   /* sum, z_t - m, w_t */
  __mmask8 k, kr;      /* counted lanes (real, not ignored); real rows, in row order */
} vf_ce_blk;
LG_ALWAYS_INLINE void vf_ce8(size_t nr, size_t n, const float *z, const int64_t *t,
                             const float *w, int64_t ign, double a, float *grad,
                             vf_ce_blk *out)
{
  const __mmask16 kn = (__mmask16)((1u << n) - 1u);
  const __m512i P = _mm512_set_epi64(7, 3, 6, 2, 5, 1, 4, 0);
  __m512 v[VF_CE_H][8], W[4], X0, X1, Y, Z[VF_CE_H], F, G;
  lg_vf lo[VF_CE_H][8];
  __m512d d[8], D[4], S[VF_CE_H], wt[VF_CE_H], ft;
  __m512i tp[VF_CE_H];
  __m256 mc[VF_CE_H], zt[VF_CE_H];
  __mmask8 kig[VF_CE_H], kr[VF_CE_H];
  unsigned kt[VF_CE_H][8];
  size_t q, h;
  VF_UNROLL
  for (h = 0; h < VF_CE_H; h++) {
    VF_UNROLL
    for (q = 0; q < 8; q++)
      v[h][q] = _mm512_mask_loadu_ps(_mm512_set1_ps(-INFINITY), kn,
                                     z + (8 * h + q < nr ? 8 * h + q : nr - 1) * n);
  }
  VF_UNROLL
  for (h = 0; h < VF_CE_H; h++) {
    /* targets in lane order; ignored rows (and the fill rows) read class 0 */
    size_t nh = nr > 8 * h ? nr - 8 * h : 0;
    __mmask8 kval;
    nh = nh < 8 ? nh : 8;
    kr[h] = (__mmask8)((1u << nh) - 1u);
    tp[h] = _mm512_permutexvar_epi64(P, _mm512_maskz_loadu_epi64(kr[h], t + 8 * h));
    kval = _mm512_cmplt_epi64_mask(P, _mm512_set1_epi64((long long)nh));
    kig[h] = _mm512_mask_cmpeq_epi64_mask(kval, tp[h], _mm512_set1_epi64(ign));
    tp[h] = _mm512_mask_mov_epi64(tp[h], kig[h], _mm512_setzero_si512());
    out[h].k = (__mmask8)(kval & ~kig[h]);
    out[h].kr = kr[h];
    VF_UNROLL
    for (q = 0; q < 8; q++) {   /* the lane of the target class in each row */
      int64_t tq = q < nh ? t[8 * h + q] : ign;
      kt[h][q] = tq != ign && (uint64_t)tq < 16 ? 1u << tq : 0u;
    }
    zt[h] = _mm512_i64gather_ps(
        _mm512_add_epi64(_mm512_mullo_epi64(_mm512_min_epi64(_mm512_add_epi64(P, _mm512_set1_epi64(8 * (long long)h)),
                                                             _mm512_set1_epi64((long long)nr - 1)),
                                            _mm512_set1_epi64((long long)n)), tp[h]),
        z, 4);
    wt[h] = w ? _mm512_cvtps_pd(_mm512_i64gather_ps(tp[h], w, 4)) : _mm512_set1_pd(1.0);
  }
  /* maxima: row k at lane 4k, row k + 4 at lane 4k + 2 */
  VF_UNROLL
  for (h = 0; h < VF_CE_H; h++) {
    VF_UNROLL
    for (q = 0; q < 4; q++)
      W[q] = _mm512_max_ps(vf_ce_tree1(v[h][2 * q], v[h][2 * q + 1], 0),
                           vf_ce_tree1(v[h][2 * q], v[h][2 * q + 1], 1));
    X0 = _mm512_max_ps(vf_ce_tree2(W[0], W[1], 0), vf_ce_tree2(W[0], W[1], 1));
    X1 = _mm512_max_ps(vf_ce_tree2(W[2], W[3], 0), vf_ce_tree2(W[2], W[3], 1));
    Y = _mm512_max_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(X0), _mm512_castps_pd(X1))),
                      _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(X0), _mm512_castps_pd(X1))));
    Z[h] = _mm512_max_ps(Y, _mm512_permute_ps(Y, _MM_SHUFFLE(2, 3, 0, 1)));
    VF_UNROLL
    for (q = 0; q < 8; q++) {   /* v becomes x - m (lo: its rounding error), then e */
      lg_vf mq = (lg_vf)_mm512_permutexvar_ps(
          _mm512_set1_epi32(q < 4 ? 4 * (int)q : 4 * (int)q - 14), Z[h]);
      lg_vf dq = (lg_vf)v[h][q] - mq;
      lo[h][q] = v_sub_lo((lg_vf)v[h][q], mq, dq);   /* -1 in the fill lanes */
      v[h][q] = _mm512_maskz_mov_ps(kn, (__m512)dq);  /* their exp: of 0, not -inf (V_ZTAIL) */
    }
  }
  VF_UNROLL
  for (h = 0; h < VF_CE_H; h++) {
    lg_vf *E = (lg_vf *)v[h];
    vf_exp4(E, E + 1, E + 2, E + 3);
    vf_exp4(E + 4, E + 5, E + 6, E + 7);
    VF_UNROLL
    for (q = 0; q < 8; q++)   /* e of the exact z - m */
      E[q] = E[q] + E[q] * lo[h][q];
  }
  /* sums: row k at lane 2k, row k + 4 at lane 2k + 1 */
  VF_UNROLL
  for (h = 0; h < VF_CE_H; h++) {
    VF_UNROLL
    for (q = 0; q < 8; q++)
      d[q] = (__m512d)(v_lo_d((lg_vf)v[h][q]) + v_hi_d((lg_vf)v[h][q]));
    VF_UNROLL
    for (q = 0; q < 4; q++)
      D[q] = _mm512_add_pd(_mm512_shuffle_f64x2(d[2 * q], d[2 * q + 1], _MM_SHUFFLE(3, 2, 3, 2)),
                           _mm512_shuffle_f64x2(d[2 * q], d[2 * q + 1], _MM_SHUFFLE(1, 0, 1, 0)));
    D[0] = _mm512_add_pd(_mm512_shuffle_f64x2(D[0], D[1], _MM_SHUFFLE(3, 1, 3, 1)),
                         _mm512_shuffle_f64x2(D[0], D[1], _MM_SHUFFLE(2, 0, 2, 0)));
    D[2] = _mm512_add_pd(_mm512_shuffle_f64x2(D[2], D[3], _MM_SHUFFLE(3, 1, 3, 1)),
                         _mm512_shuffle_f64x2(D[2], D[3], _MM_SHUFFLE(2, 0, 2, 0)));
    S[h] = _mm512_add_pd(_mm512_unpackhi_pd(D[0], D[2]), _mm512_unpacklo_pd(D[0], D[2]));
    mc[h] = _mm512_castps512_ps256(_mm512_permutexvar_ps(
        _mm512_set_epi32(14, 12, 10, 8, 6, 4, 2, 0, 14, 12, 10, 8, 6, 4, 2, 0), Z[h]));
    out[h].s = S[h];
    out[h].dt = _mm512_sub_pd(_mm512_cvtps_pd(zt[h]), _mm512_cvtps_pd(mc[h]));
    out[h].wt = wt[h];
  }
  if (!grad)
    return;
  VF_UNROLL
  for (h = 0; h < VF_CE_H; h++) {
    /* f = a w_t / s (ignored: 0 / s); g_t = a (e_t / s w_t - w_t), e_t from
     * the same float z_t - m as the row's lane t */
    __m512 et = (__m512)v_exp_neg((lg_vf)_mm512_zextps256_ps512(_mm256_sub_ps(zt[h], mc[h])));
    __m512d gt = _mm512_mul_pd(_mm512_div_pd(_mm512_cvtps_pd(_mm512_castps512_ps256(et)), S[h]),
                               wt[h]);
    __asm__("" : "+v"(gt));   /* rounded, as loss.c's scalar form: no FMA contraction */
    gt = _mm512_mul_pd(_mm512_set1_pd(a), _mm512_sub_pd(gt, wt[h]));
    ft = _mm512_mask_div_pd(_mm512_div_pd(_mm512_mul_pd(_mm512_set1_pd(a), wt[h]), S[h]), kig[h],
                            _mm512_setzero_pd(), S[h]);
    F = _mm512_castps256_ps512(_mm512_cvtpd_ps(ft));
    G = _mm512_castps256_ps512(_mm512_cvtpd_ps(gt));
    VF_UNROLL
    for (q = 0; q < 8; q++) {
      __m512i pos = _mm512_set1_epi32(q < 4 ? 2 * (int)q : 2 * (int)q - 7);
      __m512 g = _mm512_mul_ps(v[h][q], _mm512_permutexvar_ps(pos, F));
      g = _mm512_mask_permutexvar_ps(g, (__mmask16)kt[h][q], pos, G);
      if (8 * h + q < nr)
        _mm512_mask_storeu_ps(grad + (8 * h + q) * n, kn, g);
    }
  }
}

/* nll = -(w_t ((z_t - m) - log s)) of nb blocks: into acc, and losses */
LG_ALWAYS_INLINE void vf_ce_loss(const vf_ce_blk *b, size_t nb, float *losses, __m512d *acc)
{
  size_t i;
  for (i = 0; i < nb; i++) {
    __m512d ls = (__m512d)vf_logd((lg_vd)b[i].s);
    __m512d nll = _mm512_mul_pd(b[i].wt, _mm512_sub_pd(b[i].dt, ls));
    nll = _mm512_maskz_xor_pd(b[i].k, nll, _mm512_set1_pd(-0.0));   /* -(...) */
    *acc = _mm512_add_pd(*acc, nll);
    if (losses)
      _mm256_mask_storeu_ps(losses + 8 * i, b[i].kr,
                            _mm256_permutexvar_ps(_mm256_set_epi32(7, 5, 3, 1, 6, 4, 2, 0),
                                                  _mm512_cvtpd_ps(nll)));
  }
}

#define VF_CE_NB 32   /* blocks of 8 rows between two loss loops */
static VF_TGT int VF_NAME(vce)(size_t rows, size_t n, const float *z, const int64_t *t,
                               const float *w, int64_t ign, double a, float *losses,
                               float *grad, double *nll_sum)
{
  vf_ce_blk b[VF_CE_NB];
  __m512d acc = _mm512_setzero_pd();
  const size_t R = 8 * VF_CE_H;
  size_t r = 0, r0, nb;
  if (n == 0 || n > 16)
    return 0;
  while (r < rows) {
    r0 = r;
    for (nb = 0; nb + VF_CE_H <= VF_CE_NB && r + R <= rows; nb += VF_CE_H, r += R)
      vf_ce8(R, n, z + r * n, t + r, w, ign, a, grad ? grad + r * n : NULL, &b[nb]);
    if (nb + VF_CE_H <= VF_CE_NB && r < rows) {
      vf_ce8(rows - r, n, z + r * n, t + r, w, ign, a, grad ? grad + r * n : NULL, &b[nb]);
      nb += VF_CE_H;
      r = rows;
    }
    vf_ce_loss(b, nb, losses ? losses + r0 : NULL, &acc);
  }
  *nll_sum += _mm512_reduce_add_pd(acc);
  return 1;
}
#undef VF_CE_NB
#undef VF_CE_H
#undef VF_CE_P
#undef VF_UNROLL
