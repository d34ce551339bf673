/* vfast_body.h - the dispatched kernels; included once by each of
 * vfast_avx512.c, vfast_avx2.c and vfast_portable.c after vmath.h, with
 * VF_TGT (a target attribute) and VF_NAME (a suffixer). */

/* Runs EXPR (on lg_vf v = x[i..], g = dy[i..] or 1) over n elements; the
 * tail is a masked load/store (AVX-512) or goes through a padded buffer,
 * so every lane computes. */
#define VF_LOOP(EXPR)                                                        \
  do {                                                                       \
    size_t i_ = 0;                                                           \
    for (; i_ + LG_VW <= n; i_ += LG_VW) {                                   \
      lg_vf v = v_ld(x + i_), g = dy ? v_ld(dy + i_) : one;                  \
      (void)g;                                                               \
      v_st(y + i_, EXPR);                                                    \
    }                                                                        \
    VF_TAIL(EXPR);                                                           \
  } while (0)
#ifdef V_LDTAIL
#define VF_TAIL(EXPR)                                                        \
    if (i_ < n) {                                                            \
      const unsigned k_ = (unsigned)(n - i_);                                \
      lg_vf v = V_LDTAIL(x + i_, k_, 0.0f), g = dy ? V_LDTAIL(dy + i_, k_, 0.0f) : one; \
      (void)g;                                                               \
      V_STTAIL(y + i_, k_, EXPR);                                            \
    }
#else
#define VF_TAIL(EXPR)                                                        \
    if (i_ < n) {                                                            \
      float bx_[LG_VW] = { 0 }, bg_[LG_VW] = { 0 };                          \
      lg_vf v, g;                                                            \
      memcpy(bx_, x + i_, (n - i_) * sizeof(float));                         \
      if (dy) memcpy(bg_, dy + i_, (n - i_) * sizeof(float));                \
      v = v_ld(bx_);                                                         \
      g = dy ? v_ld(bg_) : one;                                              \
      (void)g;                                                               \
      v_st(bx_, EXPR);                                                       \
      memcpy(y + i_, bx_, (n - i_) * sizeof(float));                         \
    }
#endif

/* --- piecewise-linear functions ------------------------------------------
 * In float, with PyTorch's float formulas and activation.c's float32
 * scalar forms (same comparisons and operations, parameters rounded to
 * float), so the results are bit-identical to both; NaN stays NaN through
 * the selects. A few operations per element: the loops run at memory
 * speed. Each takes x, g (dy or 1) and the parameters as floats. */
LG_ALWAYS_INLINE lg_vf f_nan_or(lg_vf x, lg_vf v) { return v_sel(x != x, x, v); }
/* relu's backward: dy where x > 0, else 0, NaN where x or dy is (x + dy):
 * grad_mul(dy, relu'(x)) in fewer operations */
LG_ALWAYS_INLINE lg_vf f_relu_bw(lg_vf x, lg_vf g)
{
  return v_sel((x != x) | (g != g), x + g, v_sel(x > 0.0f, g, v_set(0.0f)));
}
/* leaky_relu: x > 0 ? x : x s; ' = 1 or s */
LG_ALWAYS_INLINE lg_vf f_leaky(lg_vf x, lg_vf g, float s, float b)
{
  (void)g; (void)b;
  return v_sel(x > 0.0f, x, x * s);
}
LG_ALWAYS_INLINE lg_vf f_leaky_d(lg_vf x, lg_vf g, float s, float b)
{
  (void)b;
  return v_grad_mul(g, v_sel(x > 0.0f, v_set(1.0f), f_nan_or(x, v_set(s))));
}
/* hardtanh: min(max(x, lo), hi) in that order (relu6: lo 0, hi 6) */
LG_ALWAYS_INLINE lg_vf f_clamp(lg_vf x, float lo, float hi)
{
  lg_vf t = v_sel(x < lo, v_set(lo), x);
  return v_sel(t > hi, v_set(hi), t);
}
LG_ALWAYS_INLINE lg_vf f_htanh(lg_vf x, lg_vf g, float lo, float hi)
{
  (void)g;
  return f_clamp(x, lo, hi);
}
LG_ALWAYS_INLINE lg_vf f_htanh_d(lg_vf x, lg_vf g, float lo, float hi)
{
  return v_grad_mul(g, v_sel((x <= lo) | (x >= hi), v_set(0.0f), f_nan_or(x, v_set(1.0f))));
}
/* hardsigmoid: relu6(x + 3) / 6; ' = 1/6 (the float) on (-3, 3) */
LG_ALWAYS_INLINE lg_vf f_hsig(lg_vf x, lg_vf g, float a, float b)
{
  (void)g; (void)a; (void)b;
  return f_clamp(x + 3.0f, 0.0f, 6.0f) / 6.0f;
}
LG_ALWAYS_INLINE lg_vf f_hsig_d(lg_vf x, lg_vf g, float a, float b)
{
  (void)a; (void)b;
  return v_grad_mul(g, v_sel((x > -3.0f) & (x < 3.0f), v_set(1.0f / 6.0f), f_nan_or(x, v_set(0.0f))));
}
/* hardswish: x relu6(x + 3) / 6, multiplied left to right; x where x 6
 * overflows */
LG_ALWAYS_INLINE lg_vf f_hswish(lg_vf x, lg_vf g, float a, float b)
{
  lg_vf y = x * f_clamp(x + 3.0f, 0.0f, 6.0f) / 6.0f;
  (void)g; (void)a; (void)b;
  return v_sel(y == (float)INFINITY, x, y);
}
/* heaviside: x > 0 ? 1 : 0 (NaN stays); ' = 0 */
LG_ALWAYS_INLINE lg_vf f_heavi(lg_vf x, lg_vf g, float a, float b)
{
  (void)g; (void)a; (void)b;
  return v_sel(x > 0.0f, v_set(1.0f), f_nan_or(x, v_set(0.0f)));
}
LG_ALWAYS_INLINE lg_vf f_heavi_d(lg_vf x, lg_vf g, float a, float b)
{
  (void)a; (void)b;
  return v_grad_mul(g, f_nan_or(x, v_set(0.0f)));
}
/* hardswish' = 0, (2x + 3)/6, 1: on double lanes, rounded once (the
 * accurate form; PyTorch's float x/3 + 1/2 cancels near x = -1.5) */
LG_ALWAYS_INLINE lg_vd d_set(double a) { lg_vd v = { 0 }; return v + a; }
LG_ALWAYS_INLINE lg_vd d_hswish_d(lg_vd x, lg_vd g, double a, double b)
{
  lg_vd d = v_seld(x <= 3.0, (2.0 * x + 3.0) / 6.0, v_seld(x != x, x, d_set(1.0)));
  (void)a; (void)b;
  d = v_seld(x < -3.0, d_set(0.0), d);
  /* dy * d, but 0 where d == 0 and dy is not NaN (grad_mul) */
  return v_seld((d == 0.0) & (g == g), d_set(0.0), g * d);
}
/* Outputs of at least VF_NT_MIN floats (8 MB, beyond what this core's
 * caches keep) are written with non-temporal stores where the level has
 * them: the line is not read before it is written, which saves a third of
 * the memory traffic of a streaming op. vf_nt_head gives how many leading
 * elements to store plainly until y is vector-aligned. */
#define VF_NT_MIN ((size_t)1 << 21)
LG_ALWAYS_INLINE size_t vf_nt_head(const float *y, size_t n)
{
  size_t k = (size_t)(((uintptr_t)0 - (uintptr_t)y) % (LG_VW * sizeof(float))) / sizeof(float);
  return k < n ? k : n;
}

/* tanh's backward from its output: dy (1 - y y), 1 - y y rounded once: an
 * FMA where the level has one (V_ONE_MINUS_SQ), else in double lanes, which
 * give the same float for every y (y y is exact in double) */
LG_ALWAYS_INLINE lg_vf f_tanh_y(lg_vf y, lg_vf g)
{
#ifdef V_ONE_MINUS_SQ
  /* + 0: an exact zero is +0 on hardware, but valgrind's FMA emulation
   * gives -0 for |y| = 1; adding +0 changes nothing else */
  return g * (V_ONE_MINUS_SQ(y) + 0.0f);
#else
  lg_vd lo = v_lo_d(y), hi = v_hi_d(y);
  return g * v_pack_d(1.0 - lo * lo, 1.0 - hi * hi);
#endif
}

#define V_DD(F, v, g) v_pack_d(F(v_lo_d(v), v_lo_d(g), a, b), F(v_hi_d(v), v_hi_d(g), a, b))
#define V_FF(F, v, g) F(v, g, af, bf)

/* the forward sigmoid (a level may have a faster one; the derivatives keep
 * v_sigmoid so dy = 1 and dy = NULL give the same bits) */
#ifndef VF_SIGMOID
#define VF_SIGMOID(x) v_sigmoid(x)
#endif
static VF_TGT void VF_NAME(vact)(int op, size_t n, float *y, const float *x,
                                 const float *dy, double a, double b)
{
  const lg_vf one = v_set(1.0f);
  const float af = (float)a, bf = (float)b;
  switch (op) {
  case LG_VA_SIGMOID: VF_LOOP(VF_SIGMOID(v)); break;
  case LG_VA_SILU: VF_LOOP(v_silu(v)); break;
  case LG_VA_TANH: VF_LOOP(v_tanh(v)); break;
  case LG_VA_ELU: VF_LOOP(v_sel(v > 0.0f, v, af * v_expm1_neg(v))); break;
  case LG_VA_GELU_TANH: VF_LOOP(v_gelu_tanh(v)); break;
  case LG_VA_SIGMOID_D: VF_LOOP(dy ? v_dy_sigmoid_d(g, v) : v_sigmoid_d(v)); break;
  case LG_VA_TANH_D: VF_LOOP(dy ? v_dy_tanh_d(g, v) : v_tanh_d(v)); break;
  /* relu in float: its result is x or 0, exact */
  case LG_VA_RELU:
#ifdef V_STREAM
    if (n >= VF_NT_MIN && !dy) {
      size_t i = 0, h = vf_nt_head(y, n);
      for (; i < h; i++) y[i] = x[i] < 0.0f ? 0.0f : x[i];
      for (; i + LG_VW <= n; i += LG_VW) {
        lg_vf v = v_ld(x + i);
        V_STREAM(y + i, v_sel(v < 0.0f, v_set(0.0f), v));
      }
      for (; i < n; i++) y[i] = x[i] < 0.0f ? 0.0f : x[i];
      V_SFENCE();
      break;
    }
#endif
    VF_LOOP(v_sel(v < 0.0f, v_set(0.0f), v)); break;
  case LG_VA_RELU_D:
    if (dy) {   /* the backward pass: its own loop, no per-vector dy test */
      size_t i_ = 0;
      for (; i_ + LG_VW <= n; i_ += LG_VW) v_st(y + i_, f_relu_bw(v_ld(x + i_), v_ld(dy + i_)));
      VF_TAIL(f_relu_bw(v, g));
      break;
    }
    VF_LOOP(v_sel(v > 0.0f, one, f_nan_or(v, v_set(0.0f)))); break;
  case LG_VA_LEAKY: VF_LOOP(V_FF(f_leaky, v, g)); break;
  case LG_VA_LEAKY_D: VF_LOOP(V_FF(f_leaky_d, v, g)); break;
  case LG_VA_HARDTANH: VF_LOOP(V_FF(f_htanh, v, g)); break;
  case LG_VA_HARDTANH_D: VF_LOOP(V_FF(f_htanh_d, v, g)); break;
  case LG_VA_HARDSIGMOID: VF_LOOP(V_FF(f_hsig, v, g)); break;
  case LG_VA_HARDSIGMOID_D: VF_LOOP(V_FF(f_hsig_d, v, g)); break;
  case LG_VA_HARDSWISH: VF_LOOP(V_FF(f_hswish, v, g)); break;
  case LG_VA_HARDSWISH_D: VF_LOOP(V_DD(d_hswish_d, v, g)); break;
  case LG_VA_HEAVISIDE: VF_LOOP(V_FF(f_heavi, v, g)); break;
  case LG_VA_HEAVISIDE_D: VF_LOOP(V_FF(f_heavi_d, v, g)); break;
  case LG_VA_GELU: VF_LOOP(v_gelu_erf(v)); break;
  case LG_VA_SOFTPLUS: VF_LOOP(v_softplus(v, af)); break;
  case LG_VA_SOFTPLUS_D:
    VF_LOOP(dy ? v_sel(v > af, v_grad_mul(g, one), v_dy_sigmoid(g, v))
               : v_sel(v > af, one, v_sigmoid(v))); break;
  case LG_VA_LOG_SIGMOID: VF_LOOP(v_log_sigmoid(v)); break;
  case LG_VA_LOG_SIGMOID_D:
    VF_LOOP(dy ? v_dy_sigmoid(g, -v) : v_sigmoid(-v)); break;
  case LG_VA_SIGMOID_Y: VF_LOOP((g * (one - v)) * v); break;
  case LG_VA_TANH_Y: VF_LOOP(f_tanh_y(v, g)); break;
  case LG_VA_LOG1P01: VF_LOOP(v_log1p01(v)); break;
  case LG_VA_EXP: VF_LOOP(v_exp(v)); break;
  case LG_VA_EXP_NEG: VF_LOOP(v_exp_neg(v)); break;
  case LG_VA_SQRT: VF_LOOP(v_sqrt(v)); break;
  case LG_VA_LOG: VF_LOOP(v_log(v)); break;
  case LG_VA_SCALE_NT:
#ifdef V_STREAM
    {
      size_t i = 0, h = vf_nt_head(y, n);
      for (; i < h; i++) y[i] = x[i] * af;
      for (; i + LG_VW <= n; i += LG_VW) V_STREAM(y + i, v_ld(x + i) * af);
      for (; i < n; i++) y[i] = x[i] * af;
      V_SFENCE();
      break;
    }
#endif
    VF_LOOP(v * af); break;
  default: break;
  }
}

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
 * order for each (results bit-identical; keep the two in step), issued
 * step by step across the four. Written one after another, each exp is a
 * ~15-deep dependency chain that fills the scheduler; interleaved, four
 * chains advance together (16% faster at AVX-512). */
LG_ALWAYS_INLINE void vf_exp4(lg_vf *o0, lg_vf *o1, lg_vf *o2, lg_vf *o3)
{
  lg_vf x0 = *o0, x1 = *o1, x2 = *o2, x3 = *o3;
  lg_vf t0, t1, t2, t3, n0, n1, n2, n3, r0, r1, r2, r3, s0, s1, s2, s3, p0, p1, p2, p3;
  const lg_vf c104 = v_set(-104.0f), c0 = v_set(1.9875691500e-4f);
  x0 = V_MAX(c104, x0); x1 = V_MAX(c104, x1);
  x2 = V_MAX(c104, x2); x3 = V_MAX(c104, x3);
  t0 = x0 * 1.44269504088896341f + 12582912.0f; t1 = x1 * 1.44269504088896341f + 12582912.0f;
  t2 = x2 * 1.44269504088896341f + 12582912.0f; t3 = x3 * 1.44269504088896341f + 12582912.0f;
  n0 = t0 - 12582912.0f; n1 = t1 - 12582912.0f;
  n2 = t2 - 12582912.0f; n3 = t3 - 12582912.0f;
  r0 = x0 - n0 * 0.693359375f; r1 = x1 - n1 * 0.693359375f;
  r2 = x2 - n2 * 0.693359375f; r3 = x3 - n3 * 0.693359375f;
  r0 = r0 - n0 * -2.12194440e-4f; r1 = r1 - n1 * -2.12194440e-4f;
  r2 = r2 - n2 * -2.12194440e-4f; r3 = r3 - n3 * -2.12194440e-4f;
  s0 = r0 * r0; s1 = r1 * r1;
  s2 = r2 * r2; s3 = r3 * r3;
  p0 = c0 * r0 + 1.3981999507e-3f; p1 = c0 * r1 + 1.3981999507e-3f;
  p2 = c0 * r2 + 1.3981999507e-3f; p3 = c0 * r3 + 1.3981999507e-3f;
  p0 = p0 * r0 + 8.3334519073e-3f; p1 = p1 * r1 + 8.3334519073e-3f;
  p2 = p2 * r2 + 8.3334519073e-3f; p3 = p3 * r3 + 8.3334519073e-3f;
  p0 = p0 * r0 + 4.1665795894e-2f; p1 = p1 * r1 + 4.1665795894e-2f;
  p2 = p2 * r2 + 4.1665795894e-2f; p3 = p3 * r3 + 4.1665795894e-2f;
  p0 = p0 * r0 + 1.6666665459e-1f; p1 = p1 * r1 + 1.6666665459e-1f;
  p2 = p2 * r2 + 1.6666665459e-1f; p3 = p3 * r3 + 1.6666665459e-1f;
  p0 = p0 * r0 + 5.0000001201e-1f; p1 = p1 * r1 + 5.0000001201e-1f;
  p2 = p2 * r2 + 5.0000001201e-1f; p3 = p3 * r3 + 5.0000001201e-1f;
  p0 = p0 * s0 + r0 + 1.0f; p1 = p1 * s1 + r1 + 1.0f;
  p2 = p2 * s2 + r2 + 1.0f; p3 = p3 * s3 + r3 + 1.0f;
#ifdef V_SCALEF
  *o0 = V_SCALEF(p0, n0); *o1 = V_SCALEF(p1, n1);
  *o2 = V_SCALEF(p2, n2); *o3 = V_SCALEF(p3, n3);
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
    vf_exp4(&v0, &v1, &v2, &v3);
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
  if (i < n) {   /* exp(-inf) = 0: the fill adds nothing */
    lg_vf xv = V_LDTAIL(x + i, (unsigned)(n - i), -INFINITY), d = xv - mv, v = v_exp_neg(d);
    if (e) {
      v = v + v * v_sub_lo(xv, mv, d);
      V_STTAIL(e + i, (unsigned)(n - i), v);
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
 * previous row's gradient q (vfast.h) when q != NULL. */
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
      const float *xc = x + r0 * n;   /* the chunk's rows are contiguous */
      for (i = 0; i + LG_VW <= len; i += LG_VW) {
        lg_vf d = v_ld(buf + i), v = v_exp_neg(d);
        v_st(buf + i, v + v * v_sub_lo(v_ld(xc + i), v_ld(mb + i), d));
      }
      for (; i < len; i += LG_VW) {   /* the last partial vector: x from a copy */
        float xt[LG_VW] = { 0 };
        lg_vf d = v_ld(buf + i), v = v_exp_neg(d);
        memcpy(xt, xc + i, (len - i) * sizeof(float));
        v_st(buf + i, v + v * v_sub_lo(v_ld(xt), v_ld(mb + i), d));
      }
    } else
      for (i = 0; i < len; i += LG_VW) v_st(buf + i, v_exp_neg(v_ld(buf + i)));
    for (r = 0; r < nr; r++) {
      const float *e = buf + r * n, *xr = x + (r0 + r) * n;
      float m = mrow[r], *yr = op == LG_VS_LOGSUMEXP ? y + r0 + r : y + (r0 + r) * n;
      double s0 = 0.0, s1 = 0.0, s;
      if (!(m - m == 0.0f)) {
        vf_special_row(op, n, yr, m);
        continue;
      }
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
        const double ls = log(s);   /* (x - m) - ls: x - m is exact in double */
        for (j = 0; j < n; j++) yr[j] = (float)(((double)xr[j] - m) - ls);
      }
    }
  }
}

#if defined(V_LDTAIL) && LG_VW == 16
/* Rows of at most 16 (AVX-512): one masked vector per row (the fill -inf
 * gives e = 0), its max and double sum by shuffle trees, instead of the
 * chunked path's scalar loops. One row is a long dependency chain (max
 * tree, exp, sum tree, division), so four rows go side by side. */
LG_ALWAYS_INLINE float vf_row1_max(lg_vf v)
{
  float m = _mm512_reduce_max_ps((__m512)v);
  return _mm512_cmp_ps_mask((__m512)v, (__m512)v, _CMP_UNORD_Q) ? (float)NAN : m;
}
LG_ALWAYS_INLINE void vf_row1_out(unsigned k, float *yr, lg_vf v, float m)
{
  lg_vf d = v - m, e = v_exp_neg(d);
  double s;
  e = e + e * v_sub_lo(v, v_set(m), d);
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
  kd = __builtin_convertvector(k, lg_vd);
  r = kd * 6.93147180369123816490e-01 + ((f - u * (f - r)) + kd * 1.90821492927058770002e-10);
  return v_seld(s != s, s, r);
}

#if defined(V_LDTAIL) && LG_VW == 16
/* Cross-entropy over rows of at most 16 classes (AVX-512), 8 rows at a
 * time: one masked vector per row (fill -inf: e = 0). The 8 maxima and the
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
      lo[h][q] = v_sub_lo((lg_vf)v[h][q], mq, dq);
      v[h][q] = (__m512)dq;
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
    for (i = 0; i + LG_VW <= len; i += LG_VW) {   /* e: exp of the exact z - m (v_sub_lo) */
      lg_vf d = v_ld(buf + i), v = v_exp_neg(d);
      v_st(buf + i, v + v * v_sub_lo(v_ld(zc + i), v_ld(mb + i), d));
    }
    for (; i < len; i += LG_VW) {   /* the last partial vector: z from a copy */
      float zt[LG_VW] = { 0 };
      lg_vf d = v_ld(buf + i), v = v_exp_neg(d);
      memcpy(zt, zc + i, (len - i) * sizeof(float));
      v_st(buf + i, v + v * v_sub_lo(v_ld(zt), v_ld(mb + i), d));
    }
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

#define VF_NT_ROW 4096   /* rows up to this long stream their output (buf on the stack) */
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
  float buf[2][VF_NT_ROW];
  nt = n <= VF_NT_ROW && rows * n >= VF_NT_MIN && op != LG_VS_LOGSUMEXP;
#endif
#if defined(V_LDTAIL) && LG_VW == 16
  if (n > 0 && n <= LG_VW && op == LG_VS_SOFTMAX) {   /* the others call log per row */
    VF_NAME(vsoftmax_row1)(rows, n, y, x);
    return;
  }
#endif
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
#undef VF_TAIL
#undef VF_SHORT
#undef VF_CHUNK
#undef VF_NT_ROW
#undef VF_NT_MIN
#undef V_DD
#undef V_FF

LG_INTERNAL const lg_vf_level VF_NAME(lg_vf_level) = {
  VF_NAME(vact), VF_NAME(vsoftmax), VF_NAME(vexpsum), VF_NAME(vmax), VF_NAME(vpendout),
  VF_NAME(vsum),
  VF_NAME(vce)
};
