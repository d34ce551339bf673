/* simd/act.h - the elementwise float32 kernel of one SIMD level: every
 * activation, its derivative and the building blocks (lg_vact_f32's ops,
 * simd.h), one switch over the op. Included by simd/body.h. */

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
/* Streaming stores (LG_VF_NT_MIN, simd.h): vf_nt_head gives how many
 * leading elements to store plainly until y is vector-aligned. */
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

/* the forward sigmoid and silu (a level may have faster ones; the
 * derivatives keep v_sigmoid so dy = 1 and dy = NULL give the same bits) */
#ifndef VF_SIGMOID
#define VF_SIGMOID(x) v_sigmoid(x)
#endif
#ifndef VF_SILU
#define VF_SILU(x) v_silu(x)
#endif
static VF_TGT void VF_NAME(vact)(int op, size_t n, float *y, const float *x,
                                 const float *dy, double a, double b)
{
  const lg_vf one = v_set(1.0f);
  const float af = (float)a, bf = (float)b;
  switch (op) {
  case LG_VA_SIGMOID: VF_LOOP(VF_SIGMOID(v)); break;
  case LG_VA_SILU: VF_LOOP(VF_SILU(v)); break;
  case LG_VA_TANH: VF_LOOP(v_tanh(v)); break;
  case LG_VA_ELU: VF_LOOP(v_sel(v > 0.0f, v, af * v_expm1_neg(v))); break;
  case LG_VA_SELU: VF_LOOP(v_sel(v > 0.0f, v + bf * v, af * v_expm1_neg(v))); break;
  case LG_VA_CELU: VF_LOOP(v_sel(v > 0.0f, v, af * v_expm1_neg(v / af))); break;
  case LG_VA_MISH: VF_LOOP(v_mish(v)); break;
  case LG_VA_SOFTSIGN: VF_LOOP(v / (1.0f + v_abs(v))); break;
  case LG_VA_GELU_TANH: VF_LOOP(v_gelu_tanh(v)); break;
  case LG_VA_SIGMOID_D: VF_LOOP(dy ? v_dy_sigmoid_d(g, v) : v_sigmoid_d(v)); break;
  case LG_VA_TANH_D: VF_LOOP(dy ? v_dy_tanh_d(g, v) : v_tanh_d(v)); break;
  /* relu in float: its result is x or 0, exact */
  case LG_VA_RELU:
#ifdef V_STREAM
    if (n >= LG_VF_NT_MIN && !dy) {
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
