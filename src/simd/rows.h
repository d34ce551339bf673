/* simd/rows.h - the softmax family over rows at one SIMD level: softmax,
 * log_softmax and logsumexp (lg_vsoftmax_f32), short rows a chunk at a
 * time, long rows in one pass each that also writes the previous row, and
 * the exp-sum pass the cross-entropy rows share (lg_vexpsum_f32). Included
 * by simd/body.h after reduce.h. */

/* The previous row's output, written during a row's exp pass (below). */
enum { VF_PEND_NONE, VF_PEND_SCALE, VF_PEND_SUB };
typedef struct {
  int op;            /* VF_PEND_* (a row is pending) */
  int nt;            /* non-temporal stores (yp aligned by vf_pend_out's head) */
  const float *src;  /* SCALE: e of that row; SUB: its x */
  float *y;          /* its output */
  float f;           /* SCALE: y = e f */
  double c, ls;      /* SUB: y = (x - c) - ls, in double, rounded once (c = m: x - m
                      * is exact in double, so ties at large m keep log s) */
  size_t pt;         /* y[pt] = pv instead (cross-entropy's target class); */
  float pv;          /* (size_t)-1: none. Stored in the same write as its */
} vf_pend;           /* neighbours: a later store to a streamed line would
                      * read it back from memory and hold up every later store */

LG_ALWAYS_INLINE lg_vf vf_pend_v(int pk, const vf_pend *p, lg_vf v)
{
  if (pk == VF_PEND_SCALE) return v * p->f;
  return v_pack_d((v_lo_d(v) - p->c) - p->ls, (v_hi_d(v) - p->c) - p->ls);
}
LG_ALWAYS_INLINE float vf_pend_s(int pk, const vf_pend *p, float v)
{
  if (pk == VF_PEND_SCALE) return v * p->f;
  return (float)(((double)v - p->c) - p->ls);
}
/* y[j..j+LG_VW) = v, with the patch y[pt] = pv when it falls there */
LG_ALWAYS_INLINE void vf_pend_put(const vf_pend *p, size_t j, lg_vf v)
{
  float *y = p->y + j;
  if (p->pt - j < LG_VW) {
    lg_vi lane;
    int k;
    for (k = 0; k < LG_VW; k++) lane[k] = k;
    v = v_sel(lane == (int32_t)(p->pt - j), v_set(p->pv), v);
  }
#ifdef V_STREAM
  if (p->nt) {
    V_STREAM(y, v);
    return;
  }
#endif
  v_st(y, v);
}
LG_ALWAYS_INLINE float vf_pend_one(int pk, const vf_pend *p, size_t j)
{
  return j == p->pt ? p->pv : vf_pend_s(pk, p, p->src[j]);
}
/* elements [j, n) of a pending output of kind pk (a constant); from j == 0
 * the head up to an aligned y is stored plainly first (nt) */
LG_ALWAYS_INLINE void vf_pend_out(int pk, const vf_pend *p, size_t j, size_t n)
{
  if (p->nt)
    for (; j < n && (uintptr_t)(p->y + j) % (LG_VW * sizeof(float)); j++)
      p->y[j] = vf_pend_one(pk, p, j);
  for (; j + LG_VW <= n; j += LG_VW) vf_pend_put(p, j, vf_pend_v(pk, p, v_ld(p->src + j)));
  for (; j < n; j++) p->y[j] = vf_pend_one(pk, p, j);
}

/* v_exp_neg (vmath.h) of four vectors: the same operations in the same
 * order for each, on vmath.h's V_EXP_ constants (bit-identical), issued
 * step by step across the four. Written one after another, each exp is a
 * ~15-deep dependency chain that fills the scheduler; interleaved, four
 * chains advance together (16% faster at AVX-512). */
LG_ALWAYS_INLINE void vf_exp4(lg_vf *o0, lg_vf *o1, lg_vf *o2, lg_vf *o3)
{
  lg_vf x0 = *o0, x1 = *o1, x2 = *o2, x3 = *o3;
  lg_vf t0, t1, t2, t3, n0, n1, n2, n3, r0, r1, r2, r3, s0, s1, s2, s3, p0, p1, p2, p3;
  const lg_vf c104 = v_set(-104.0f), c0 = v_set(V_EXP_C0);
  x0 = V_MAX(c104, x0); x1 = V_MAX(c104, x1);
  x2 = V_MAX(c104, x2); x3 = V_MAX(c104, x3);
  t0 = x0 * V_EXP_L2E + V_EXP_RND; t1 = x1 * V_EXP_L2E + V_EXP_RND;
  t2 = x2 * V_EXP_L2E + V_EXP_RND; t3 = x3 * V_EXP_L2E + V_EXP_RND;
  n0 = t0 - V_EXP_RND; n1 = t1 - V_EXP_RND;
  n2 = t2 - V_EXP_RND; n3 = t3 - V_EXP_RND;
  r0 = x0 - n0 * V_EXP_LN2_HI; r1 = x1 - n1 * V_EXP_LN2_HI;
  r2 = x2 - n2 * V_EXP_LN2_HI; r3 = x3 - n3 * V_EXP_LN2_HI;
  r0 = r0 - n0 * V_EXP_LN2_LO; r1 = r1 - n1 * V_EXP_LN2_LO;
  r2 = r2 - n2 * V_EXP_LN2_LO; r3 = r3 - n3 * V_EXP_LN2_LO;
  s0 = r0 * r0; s1 = r1 * r1;
  s2 = r2 * r2; s3 = r3 * r3;
  p0 = c0 * r0 + V_EXP_C1; p1 = c0 * r1 + V_EXP_C1;
  p2 = c0 * r2 + V_EXP_C1; p3 = c0 * r3 + V_EXP_C1;
  p0 = p0 * r0 + V_EXP_C2; p1 = p1 * r1 + V_EXP_C2;
  p2 = p2 * r2 + V_EXP_C2; p3 = p3 * r3 + V_EXP_C2;
  p0 = p0 * r0 + V_EXP_C3; p1 = p1 * r1 + V_EXP_C3;
  p2 = p2 * r2 + V_EXP_C3; p3 = p3 * r3 + V_EXP_C3;
  p0 = p0 * r0 + V_EXP_C4; p1 = p1 * r1 + V_EXP_C4;
  p2 = p2 * r2 + V_EXP_C4; p3 = p3 * r3 + V_EXP_C4;
  p0 = p0 * r0 + V_EXP_C5; p1 = p1 * r1 + V_EXP_C5;
  p2 = p2 * r2 + V_EXP_C5; p3 = p3 * r3 + V_EXP_C5;
  p0 = p0 * s0 + r0 + 1.0f; p1 = p1 * s1 + r1 + 1.0f;
  p2 = p2 * s2 + r2 + 1.0f; p3 = p3 * s3 + r3 + 1.0f;
#ifdef V_SCALEF
  *o0 = V_SCALEF_SMALL(p0, n0); *o1 = V_SCALEF_SMALL(p1, n1);
  *o2 = V_SCALEF_SMALL(p2, n2); *o3 = V_SCALEF_SMALL(p3, n3);
#else
#define VF_2N(k) ((lg_vi)t##k - 0x4B400000)   /* n in [-150, 0] */
#define VF_SC(k) (p##k * (lg_vf)(((VF_2N(k) >> 1) + 127) << 23) \
                  * (lg_vf)((VF_2N(k) - (VF_2N(k) >> 1) + 127) << 23))
  *o0 = VF_SC(0); *o1 = VF_SC(1);
  *o2 = VF_SC(2); *o3 = VF_SC(3);
#undef VF_SC
#undef VF_2N
#endif
}

/* One row's pass: returns sum_j exp(x_j - m) in double (m finite), stores
 * e_j when e != NULL. Fused into the same loop, where the exp leaves
 * load and add slots free:
 *   xn != NULL: the next row (n floats); *mn = its max (NaN if any NaN),
 *     so that the next row needs no max pass of its own;
 *   pf != NULL: a later row, prefetched (rows of 4000 bytes cross a page
 *     every row, where the hardware prefetcher stops);
 *   pk (a constant at each call site) != VF_PEND_NONE: the previous
 *     row's output p (scale or subtract), written here rather than in a
 *     pass of its own.
 * Sums: four vectors at a time, their pairwise float sum (two roundings,
 * relative error <= 2^-23 of terms <= 1: log s within ~1.2e-7, absolute)
 * goes to two double sums. */
LG_ALWAYS_INLINE double vf_pass(size_t n, float *e, const float *x, float m,
                                const float *xn, float *mn, const float *pf,
                                int pk, const vf_pend *p)
{
  lg_vd s0 = { 0 }, s1 = { 0 };
  lg_vf M0 = { 0 }, M1 = { 0 }, M2 = { 0 }, M3 = { 0 };
  lg_vi nan = { 0 };
  const lg_vf mv = v_set(m);
  size_t i = 0, j = 0, h = 0;
  double s;
  int k;
  if (xn) M0 = M1 = M2 = M3 = v_set(xn[0]);
  if (pk && p->nt) {   /* the pending row's head, up to an aligned y */
    h = (size_t)(((uintptr_t)0 - (uintptr_t)p->y) % (LG_VW * sizeof(float))) / sizeof(float);
    h = h < n ? h : n;
    for (; j < h; j++) p->y[j] = vf_pend_one(pk, p, j);
  }
  for (; i + 4 * LG_VW <= n; i += 4 * LG_VW) {
    lg_vf x0 = v_ld(x + i), x1 = v_ld(x + i + LG_VW);
    lg_vf x2 = v_ld(x + i + 2 * LG_VW), x3 = v_ld(x + i + 3 * LG_VW), v;
    lg_vf v0 = x0 - mv, v1 = x1 - mv, v2 = x2 - mv, v3 = x3 - mv, l0, l1, l2, l3;
    if (e) {   /* stored e: exp of the exact x - m (v_sub_lo) */
      l0 = v_sub_lo(x0, mv, v0);
      l1 = v_sub_lo(x1, mv, v1);
      l2 = v_sub_lo(x2, mv, v2);
      l3 = v_sub_lo(x3, mv, v3);
    }
#ifdef VF_EXP4   /* a level's own v_exp_neg of four (level_avx2.c) */
    VF_EXP4(&v0, &v1, &v2, &v3);
#else
    vf_exp4(&v0, &v1, &v2, &v3);
#endif
    if (e) {
      v0 = v0 + v0 * l0;
      v1 = v1 + v1 * l1;
      v2 = v2 + v2 * l2;
      v3 = v3 + v3 * l3;
    }
    if (pk && j + 4 * LG_VW <= n) {
      const float *q = p->src + j;
      lg_vf u0 = vf_pend_v(pk, p, v_ld(q)), u1 = vf_pend_v(pk, p, v_ld(q + LG_VW));
      lg_vf u2 = vf_pend_v(pk, p, v_ld(q + 2 * LG_VW));
      lg_vf u3 = vf_pend_v(pk, p, v_ld(q + 3 * LG_VW));
      vf_pend_put(p, j, u0);
      vf_pend_put(p, j + LG_VW, u1);
      vf_pend_put(p, j + 2 * LG_VW, u2);
      vf_pend_put(p, j + 3 * LG_VW, u3);
      j += 4 * LG_VW;
    }
    if (e) {
      v_st(e + i, v0);
      v_st(e + i + LG_VW, v1);
      v_st(e + i + 2 * LG_VW, v2);
      v_st(e + i + 3 * LG_VW, v3);
    }
    if (xn) {
      lg_vf w0 = v_ld(xn + i), w1 = v_ld(xn + i + LG_VW);
      lg_vf w2 = v_ld(xn + i + 2 * LG_VW), w3 = v_ld(xn + i + 3 * LG_VW);
      nan |= (w0 != w0) | (w1 != w1) | (w2 != w2) | (w3 != w3);
      M0 = V_MAX(M0, w0);
      M1 = V_MAX(M1, w1);
      M2 = V_MAX(M2, w2);
      M3 = V_MAX(M3, w3);
    }
    if (pf)
      for (k = 0; k < 4 * LG_VW; k += 16) __builtin_prefetch(pf + i + k);
    v = (v0 + v1) + (v2 + v3);
    s0 += v_lo_d(v);
    s1 += v_hi_d(v);
  }
  if (xn) {
    vf_maxacc(xn, i, n, &M0, &nan);
    *mn = vf_maxred(V_MAX(V_MAX(M0, M1), V_MAX(M2, M3)), nan);
  }
  for (; i + LG_VW <= n; i += LG_VW) {
    lg_vf xv = v_ld(x + i), d = xv - mv, v = v_exp_neg(d);
    if (e) {
      v = v + v * v_sub_lo(xv, mv, d);
      v_st(e + i, v);
    }
    s0 += v_lo_d(v);
    s1 += v_hi_d(v);
  }
#ifdef V_LDTAIL
  if (i < n) {   /* the fill: exp(0), zeroed, adds nothing */
    const unsigned tail = (unsigned)(n - i);
    lg_vf xv = V_LDTAIL(x + i, tail, -INFINITY), d = xv - mv, v = V_ZTAIL(tail, v_exp_neg(V_ZTAIL(tail, d)));
    if (e) {
      v = v + v * v_sub_lo(xv, mv, d);
      V_STTAIL(e + i, tail, v);
    }
    s0 += v_lo_d(v);
    s1 += v_hi_d(v);
  }
#else
  if (i < n) {
    float b[LG_VW];
    lg_vi pad;
    lg_vf v;
    /* the padding is m (exp 0 = 1), then zeroed: an exp(-inf) lane would
     * round to 0 through a subnormal product (v_exp_neg's scaling without
     * vscalefps), an FP assist that cost ~100 ns a row here */
    for (k = 0; k < LG_VW; k++) {
      b[k] = i + k < n ? x[i + k] : m;
      pad[k] = i + k < n ? 0 : -1;
    }
    v = v_sel(pad, v_set(0.0f), v_exp_neg(v_ld(b) - mv));
    if (e) {
      v = v + v * v_sub_lo(v_ld(b), mv, v_ld(b) - mv);
      v_st(b, v);
      for (k = 0; i + k < n; k++) e[i + k] = b[k];
    }
    s0 += v_lo_d(v);
    s1 += v_hi_d(v);
  }
#endif
  if (pk) vf_pend_out(pk, p, j, n);
  s0 += s1;
#ifdef V_HSUM_D   /* the level's shuffle tree: no add chain through memory */
  s = V_HSUM_D(s0);
#else
  s = 0.0;
  for (k = 0; k < LG_VW / 2; k++) s += s0[k];
#endif
  return s;
}

/* The exp-sum entry point (cross-entropy's rows): vf_pass with the
 * previous row's gradient q (simd.h) when q != NULL. */
LG_ALWAYS_INLINE vf_pend vf_pend_of(const lg_vpend *q)
{
  vf_pend p = { VF_PEND_SCALE, 0, NULL, NULL, 0.0f, 0.0, 0.0, (size_t)-1, 0.0f };
  if (q) {
    p.src = q->e;
    p.y = q->y;
    p.f = q->f;
#ifdef V_STREAM
    p.nt = q->nt;
#endif
    p.pt = q->t;
    p.pv = q->gt;
  }
  return p;
}
static VF_TGT double VF_NAME(vexpsum)(size_t n, float *e, const float *x, float m,
                                      const float *xn, float *mn, const float *pf,
                                      const lg_vpend *q)
{
  vf_pend p;
  if (!q) return vf_pass(n, e, x, m, xn, mn, pf, VF_PEND_NONE, NULL);   /* p unused */
  p = vf_pend_of(q);
  return vf_pass(n, e, x, m, xn, mn, pf, VF_PEND_SCALE, &p);
}

/* The last pending row on its own (q may be NULL), then a store fence
 * (non-temporal stores are weakly ordered). */
static VF_TGT void VF_NAME(vpendout)(size_t n, const lg_vpend *q)
{
  const vf_pend p = vf_pend_of(q);
  if (q) vf_pend_out(VF_PEND_SCALE, &p, 0, n);
#ifdef V_STREAM
  V_SFENCE();
#endif
}

/* A row whose max m is NaN, +inf, or -inf (all -inf): softmax and
 * log_softmax give NaN; logsumexp gives m itself (NaN, +inf, or -inf = log 0). */
LG_ALWAYS_INLINE void vf_special_row(int op, size_t n, float *yr, float m)
{
  size_t i;
  if (op == LG_VS_LOGSUMEXP) *yr = m;
  else for (i = 0; i < n; i++) yr[i] = NAN;
}

/* One short row's output from its exps e = exp(x - m), m finite: the sum
 * in double (two chains), then softmax's e / s, logsumexp's m + log s, or
 * log_softmax's (x - m) - log s (x - m is exact in double). */
LG_ALWAYS_INLINE void vf_row_out(int op, size_t n, const float *e, const float *xr, float m,
                                 float *yr)
{
  double s0 = 0.0, s1 = 0.0, s;
  size_t j;
  for (j = 0; j + 1 < n; j += 2) {
    s0 += e[j];
    s1 += e[j + 1];
  }
  if (j < n) s0 += e[j];
  s = s0 + s1;
  if (op == LG_VS_SOFTMAX) {
    const float inv = (float)(1.0 / s);
    for (j = 0; j < n; j++) yr[j] = e[j] * inv;
  } else if (op == LG_VS_LOGSUMEXP) {
    *yr = (float)((double)m + log(s));
  } else {
    const double ls = log(s);
    for (j = 0; j < n; j++) yr[j] = (float)(((double)xr[j] - m) - ls);
  }
}

/* A chunk's exps of the exact x - m: buf holds the rounded x - m and mb
 * the rows' m (both padded to whole vectors with 0), xc the chunk's
 * inputs; buf gets e + e lo (v_sub_lo). The last partial vector reads x
 * from a zero-padded copy. Shared by the short softmax rows and the short
 * cross-entropy rows (ce.h). */
LG_ALWAYS_INLINE void vf_exp_chunk(float *buf, const float *xc, const float *mb, size_t len)
{
  size_t i;
  for (i = 0; i + LG_VW <= len; i += LG_VW) {
    lg_vf d = v_ld(buf + i), v = v_exp_neg(d);
    v_st(buf + i, v + v * v_sub_lo(v_ld(xc + i), v_ld(mb + i), d));
  }
  for (; i < len; i += LG_VW) {
    float xt[LG_VW] = { 0 };
    lg_vf d = v_ld(buf + i), v = v_exp_neg(d);
    memcpy(xt, xc + i, (len - i) * sizeof(float));
    v_st(buf + i, v + v * v_sub_lo(v_ld(xt), v_ld(mb + i), d));
  }
}

/* Short rows (n <= VF_SHORT): a chunk of rows at a time, so that the exp
 * runs on full vectors across row boundaries: per row max and x - m into
 * a buffer (scalar, n is small), one vector exp pass over the chunk, then
 * per row the double sum and the output. */
#define VF_SHORT 64
#define VF_CHUNK 1024
static VF_TGT void VF_NAME(vsoftmax_short)(int op, size_t rows, size_t n, float *y,
                                           const float *x)
{
  float buf[VF_CHUNK + LG_VW], mb[VF_CHUNK + LG_VW], mrow[VF_CHUNK];
  size_t R = VF_CHUNK / n, r0, r, j, i;
  for (r0 = 0; r0 < rows; r0 += R) {
    size_t nr = rows - r0 < R ? rows - r0 : R, len = nr * n;
    for (r = 0; r < nr; r++) {
      const float *xr = x + (r0 + r) * n;
      float m = xr[0], mm;
      int nan = m != m;
      for (j = 1; j < n; j++) {
        m = xr[j] > m ? xr[j] : m;
        nan |= xr[j] != xr[j];
      }
      mrow[r] = nan ? (float)NAN : m;
      mm = m - m == 0.0f ? m : 0.0f;   /* special rows: any finite shift */
      for (j = 0; j < n; j++) buf[r * n + j] = xr[j] - mm;
      if (op == LG_VS_SOFTMAX)   /* e is the output: exp of the exact x - m */
        for (j = 0; j < n; j++) mb[r * n + j] = mm;
    }
    for (i = len; i % LG_VW; i++) buf[i] = mb[i] = 0.0f;
    if (op == LG_VS_SOFTMAX) {
      vf_exp_chunk(buf, x + r0 * n, mb, len);   /* the chunk's rows are contiguous */
    } else
      for (i = 0; i < len; i += LG_VW) v_st(buf + i, v_exp_neg(v_ld(buf + i)));
    for (r = 0; r < nr; r++) {
      const float *e = buf + r * n, *xr = x + (r0 + r) * n;
      float m = mrow[r], *yr = op == LG_VS_LOGSUMEXP ? y + r0 + r : y + (r0 + r) * n;
      if (m - m == 0.0f) vf_row_out(op, n, e, xr, m, yr);
      else vf_special_row(op, n, yr, m);
    }
  }
}

#if defined(V_LDTAIL) && LG_VW == 16
/* Rows of at most 16 (AVX-512): one masked vector per row (the fill -inf
 * for the max, 0 for the exp, then e = 0), its max and double sum by shuffle trees, instead of the
 * chunked path's scalar loops. One row is a long dependency chain (max
 * tree, exp, sum tree, division), so four rows go side by side. */
LG_ALWAYS_INLINE float vf_row1_max(lg_vf v)
{
  float m = _mm512_reduce_max_ps((__m512)v);
  return _mm512_cmp_ps_mask((__m512)v, (__m512)v, _CMP_UNORD_Q) ? (float)NAN : m;
}
LG_ALWAYS_INLINE void vf_row1_out(unsigned k, float *yr, lg_vf v, float m)
{
  lg_vf d = v - m, e = v_exp_neg(V_ZTAIL(k, d));
  double s;
  e = e + e * v_sub_lo(v, v_set(m), d);   /* fill lanes: lo = -1, e = 1 - 1 = 0 */
  s = V_HSUM_D(v_lo_d(e) + v_hi_d(e));
  V_STTAIL(yr, k, e * (float)(1.0 / s));
}
/* softmax only: log_softmax and logsumexp call log() per row, and keep the
 * chunked path, where that call does not spill vector registers */
static VF_TGT void VF_NAME(vsoftmax_row1)(size_t rows, size_t n, float *y, const float *x)
{
  const unsigned k = (unsigned)n;
  const int op = LG_VS_SOFTMAX;
  const size_t ys = n;
  size_t r = 0;
  int q;
  for (; r + 4 <= rows; r += 4) {
    const float *xr = x + r * n;
    lg_vf v[4];
    float m[4];
    for (q = 0; q < 4; q++) {
      v[q] = V_LDTAIL(xr + q * n, k, -INFINITY);
      m[q] = vf_row1_max(v[q]);
    }
    if ((m[0] - m[0]) + (m[1] - m[1]) + (m[2] - m[2]) + (m[3] - m[3]) == 0.0f) {
      for (q = 0; q < 4; q++) vf_row1_out(k, y + (r + q) * ys, v[q], m[q]);
    } else {
      for (q = 0; q < 4; q++) {
        if (m[q] - m[q] == 0.0f) vf_row1_out(k, y + (r + q) * ys, v[q], m[q]);
        else vf_special_row(op, n, y + (r + q) * ys, m[q]);
      }
    }
  }
  for (; r < rows; r++) {
    lg_vf v = V_LDTAIL(x + r * n, k, -INFINITY);
    float m = vf_row1_max(v);
    if (m - m == 0.0f) vf_row1_out(k, y + r * ys, v, m);
    else vf_special_row(op, n, y + r * ys, m);
  }
}
#endif

/* One row of at most LG_VW (a [3] call): vsoftmax_short's operations on
 * one vector, the same bits, without its chunk buffers and loops (which
 * were a fifth of such a call's cost). */
static VF_TGT void VF_NAME(vsoftmax_one)(int op, size_t n, float *y, const float *x)
{
  float b[LG_VW] = { 0 }, xb[LG_VW] = { 0 }, mb[LG_VW] = { 0 }, e[LG_VW];
  float m = x[0], mm;
  int nan = m != m;
  size_t j;
  lg_vf d, v;
  for (j = 1; j < n; j++) {
    m = x[j] > m ? x[j] : m;
    nan |= x[j] != x[j];
  }
  mm = m - m == 0.0f ? m : 0.0f;
  if (nan || !(m - m == 0.0f)) {
    vf_special_row(op, n, y, nan ? (float)NAN : m);
    return;
  }
  for (j = 0; j < n; j++) {
    b[j] = x[j] - mm;
    xb[j] = x[j];
    mb[j] = mm;
  }
  d = v_ld(b);
  v = v_exp_neg(d);
  if (op == LG_VS_SOFTMAX) v = v + v * v_sub_lo(v_ld(xb), v_ld(mb), d);
  v_st(e, v);
  vf_row_out(op, n, e, x, m, y);
}

/* Long rows: the first row's max, then per row one pass (vf_pass) that
 * computes the exp sum, the next row's max and the previous row's output.
 * softmax keeps e in y (or, streaming, in one of two L1 buffers: the
 * previous row's e is read while this row's is written). */
static VF_TGT void VF_NAME(vsoftmax)(int op, size_t rows, size_t n, float *y, const float *x)
{
  size_t r;
  float m;
  vf_pend p = { VF_PEND_NONE, 0, NULL, NULL, 0.0f, 0.0, 0.0, (size_t)-1, 0.0f };
  int nt = 0;
#ifdef V_STREAM
  float buf[2][LG_VF_NT_ROW];   /* on the stack: rows that stream are short */
  nt = n <= LG_VF_NT_ROW && rows * n >= LG_VF_NT_MIN && op != LG_VS_LOGSUMEXP;
#endif
#if defined(V_LDTAIL) && LG_VW == 16
  if (n > 0 && n <= LG_VW && op == LG_VS_SOFTMAX) {   /* the others call log per row */
    VF_NAME(vsoftmax_row1)(rows, n, y, x);
    return;
  }
#endif
#ifdef VF_SOFTMAX_SHORT   /* a short-row kernel (level_avx2.c, and AVX-512 borrows it); 0: not this n */
  if (n > 0 && VF_SOFTMAX_SHORT(op, rows, n, y, x)) return;
#endif
  if (rows == 1 && n > 0 && n <= LG_VW) {
    VF_NAME(vsoftmax_one)(op, n, y, x);
    return;
  }
  if (n > 0 && n <= VF_SHORT) {
    VF_NAME(vsoftmax_short)(op, rows, n, y, x);
    return;
  }
  if (n == 0 || rows == 0) {
    if (op == LG_VS_LOGSUMEXP) for (r = 0; r < rows; r++) y[r] = -INFINITY;
    return;
  }
  m = VF_NAME(vmax)(n, x);
  for (r = 0; r < rows; r++) {
    const float *xr = x + r * n, *xn = r + 1 < rows ? xr + n : NULL;
    const float *pf = r + 2 < rows ? xr + 2 * n : NULL;
    float *yr = op == LG_VS_LOGSUMEXP ? y + r : y + r * n, *e = yr, mn = 0.0f;
    double s;
    if (!(m - m == 0.0f)) {   /* NaN or inf max: the pending row first */
      if (p.op) vf_pend_out(p.op, &p, 0, n);
      p.op = VF_PEND_NONE;
      vf_special_row(op, n, yr, m);
      if (xn) m = VF_NAME(vmax)(n, xn);
      continue;
    }
#ifdef V_STREAM
    if (nt) e = buf[r & 1];
#endif
#define VF_PASS(E, PK) vf_pass(n, E, xr, m, xn, &mn, pf, PK, &p)
    if (op == LG_VS_SOFTMAX)
      s = p.op ? VF_PASS(e, VF_PEND_SCALE) : VF_PASS(e, VF_PEND_NONE);
    else if (op == LG_VS_LOG_SOFTMAX)
      s = p.op ? VF_PASS(NULL, VF_PEND_SUB) : VF_PASS(NULL, VF_PEND_NONE);
    else
      s = VF_PASS(NULL, VF_PEND_NONE);
#undef VF_PASS
    p.src = e;
    p.y = yr;
    p.nt = nt;
    if (op == LG_VS_SOFTMAX) {
      p.op = VF_PEND_SCALE;
      p.f = (float)(1.0 / s);
    } else if (op == LG_VS_LOGSUMEXP) {
      *yr = (float)((double)m + log(s));
    } else {   /* y = (x - m) - log s, in double and rounded once */
      p.op = VF_PEND_SUB;
      p.src = xr;
      p.c = (double)m;
      p.ls = log(s);
    }
    m = mn;
  }
  if (p.op) vf_pend_out(p.op, &p, 0, n);
#ifdef V_STREAM
  if (nt) V_SFENCE();
#endif
}
