/* vfast_body.h - the dispatched kernels; included by vfast.c once per
 * level with VF_TGT (a target attribute) and VF_NAME (a suffixer). */

/* Runs EXPR (on lg_vf v = x[i..], g = dy[i..] or 1) over n elements; the
 * tail goes through a padded buffer so every lane computes. */
#define VF_LOOP(EXPR)                                                        \
  do {                                                                       \
    size_t i_ = 0;                                                           \
    for (; i_ + LG_VW <= n; i_ += LG_VW) {                                   \
      lg_vf v = v_ld(x + i_), g = dy ? v_ld(dy + i_) : one;                  \
      (void)g;                                                               \
      v_st(y + i_, EXPR);                                                    \
    }                                                                        \
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
    }                                                                        \
  } while (0)

static VF_TGT void VF_NAME(vact)(int op, size_t n, float *y, const float *x,
                                 const float *dy, float a)
{
  const lg_vf one = v_set(1.0f);
  switch (op) {
  case LG_VA_SIGMOID: VF_LOOP(v_sigmoid(v)); break;
  case LG_VA_SILU: VF_LOOP(v_silu(v)); break;
  case LG_VA_TANH: VF_LOOP(v_tanh(v)); break;
  case LG_VA_ELU: VF_LOOP(v_sel(v > 0.0f, v, a * v_expm1_neg(v))); break;
  case LG_VA_GELU_TANH: VF_LOOP(v_gelu_tanh(v)); break;
  case LG_VA_SIGMOID_D: VF_LOOP(v_grad_mul(g, v_sigmoid_d(v))); break;
  case LG_VA_TANH_D: VF_LOOP(v_grad_mul(g, v_tanh_d(v))); break;
  default: break;
  }
}

static VF_TGT float VF_NAME(vmax)(size_t n, const float *x)
{
  lg_vf m = v_set(x[0]);
  lg_vi nan = { 0 };
  size_t i = 0;
  float r;
  int k;
  for (; i + LG_VW <= n; i += LG_VW) {
    lg_vf v = v_ld(x + i);
    nan |= v != v;
    m = v_sel(v > m, v, m);
  }
  if (i < n) {
    float b[LG_VW];
    lg_vf v;
    for (k = 0; k < LG_VW; k++) b[k] = x[0];
    memcpy(b, x + i, (n - i) * sizeof(float));
    v = v_ld(b);
    nan |= v != v;
    m = v_sel(v > m, v, m);
  }
  r = m[0];
  for (k = 1; k < LG_VW; k++) {
    r = m[k] > r ? m[k] : r;
    if (nan[k] | nan[0]) r = (float)NAN;
  }
  return nan[0] ? (float)NAN : r;
}

static VF_TGT double VF_NAME(vexpsum)(size_t n, float *e, const float *x, float m)
{
  lg_vd8 s0 = { 0 }, s1 = { 0 };
  const lg_vf mv = v_set(m);
  size_t i = 0;
  double s;
  int k;
  for (; i + LG_VW <= n; i += LG_VW) {
    lg_vf v = v_exp(v_ld(x + i) - mv);
    if (e) v_st(e + i, v);
    s0 += v_lo_d(v);
    s1 += v_hi_d(v);
  }
  if (i < n) {
    float b[LG_VW];
    lg_vf v;
    for (k = 0; k < LG_VW; k++) b[k] = -INFINITY;   /* exp(-inf) = 0: adds nothing */
    memcpy(b, x + i, (n - i) * sizeof(float));
    v = v_exp(v_ld(b) - mv);
    if (e) {
      v_st(b, v);
      memcpy(e + i, b, (n - i) * sizeof(float));
    }
    s0 += v_lo_d(v);
    s1 += v_hi_d(v);
  }
  s0 += s1;
  s = 0.0;
  for (k = 0; k < 8; k++) s += s0[k];
  return s;
}

static VF_TGT void VF_NAME(vsoftmax)(int op, size_t rows, size_t n, float *y, const float *x)
{
  size_t r, i;
  for (r = 0; r < rows; r++) {
    const float *xr = x + r * n;
    float *yr = op == LG_VS_LOGSUMEXP ? y + r : y + r * n;
    float m;
    double s;
    if (n == 0) {
      if (op == LG_VS_LOGSUMEXP) *yr = -INFINITY;
      continue;
    }
    m = VF_NAME(vmax)(n, xr);
    if (!(m - m == 0.0f)) {
      /* NaN, +inf or an all -inf row: softmax and log_softmax give NaN;
       * logsumexp gives the max itself (NaN, +inf, or -inf = log 0). */
      if (op == LG_VS_LOGSUMEXP) *yr = m;
      else for (i = 0; i < n; i++) yr[i] = NAN;
      continue;
    }
    s = VF_NAME(vexpsum)(n, op == LG_VS_SOFTMAX ? yr : NULL, xr, m);
    if (op == LG_VS_SOFTMAX) {
      const float inv = (float)(1.0 / s);
      i = 0;
      for (; i + LG_VW <= n; i += LG_VW) v_st(yr + i, v_ld(yr + i) * inv);
      for (; i < n; i++) yr[i] *= inv;
    } else if (op == LG_VS_LOGSUMEXP) {
      *yr = (float)((double)m + log(s));
    } else {
      /* y = x - (m + log s), in double and rounded once */
      const double c = (double)m + log(s);
      i = 0;
      for (; i + LG_VW <= n; i += LG_VW) {
        lg_vf v = v_ld(xr + i);
        lg_vf8 h[2];
        h[0] = __builtin_convertvector(v_lo_d(v) - c, lg_vf8);
        h[1] = __builtin_convertvector(v_hi_d(v) - c, lg_vf8);
        memcpy(&v, h, sizeof v);
        v_st(yr + i, v);
      }
      for (; i < n; i++) yr[i] = (float)((double)xr[i] - c);
    }
  }
}

#undef VF_LOOP
