/* smx_check.c - checks the softmax-family and loss kernels without Lua or
 * torch. Three sources of truth:
 *   1. the PyTorch 1.13 outputs recorded in smx_cases.h (tools/torch_ref.py);
 *   2. naive long-double formulas written here independently of the kernels
 *      (for every case without NaN/+inf inputs, and for random sweeps);
 *   3. direct checks of statuses, aliasing and untouched outputs.
 * Both dtypes are checked; the tolerance is 1e-6 absolute + 1e-5 relative,
 * NaN must match NaN and an infinity the same infinity.
 * Build: see the Makefile target smx_check (or the command in its header). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/kernels/loss.h"
#include "../src/kernels/softmax.h"
#include "smx_cases.h"
#include "simd_env.h"

typedef long double ld;

static int failures, checks;

static int close_enough(double got, ld want)
{
  if (isnan(want))
    return isnan(got);
  if (isinf(want))
    return got == (double)want;
  if (!isfinite(got))
    return 0;
  return fabsl((ld)got - want) <= 1e-6L + 1e-5L * fabsl(want);
}

static void expect(const char *name, const char *dt, const char *what, size_t i,
                   double got, ld want)
{
  checks++;
  if (close_enough(got, want))
    return;
  failures++;
  if (failures <= 60)
    printf("FAIL %s [%s] %s[%zu]: got %.17g want %.17Lg\n", name, dt, what, i, got, want);
}

/* ------------------------------------------------------------ naive truth */

/* log p_j by the textbook formula (x_j - mx) - log(sum_k exp(x_k - mx)) in
 * long double; callers guarantee a finite entry in the row. */
static ld naive_logp(size_t n, const ld *x, size_t j)
{
  ld mx = -INFINITY, s = 0.0L;
  size_t k;
  for (k = 0; k < n; k++)
    if (x[k] > mx)
      mx = x[k];
  for (k = 0; k < n; k++)
    s += expl(x[k] - mx);
  return (x[j] - mx) - logl(s);
}

/* p_j = 1 / sum_k exp(x_k - x_j): no max shift; an overflowing term gives
 * the right limit 0. The k == j term is 1 (also for x_j = -inf). */
static ld naive_p(size_t n, const ld *x, size_t j)
{
  ld s = 1.0L;
  size_t k;
  if (x[j] == -INFINITY)
    return 0.0L;
  for (k = 0; k < n; k++)
    if (k != j)
      s += expl(x[k] - x[j]);
  return 1.0L / s;
}

static void naive_family(const smx_case *c, ld *out)
{
  size_t o, k, j, n = c->n, inner = c->inner;
  ld *x = malloc((n + 1) * sizeof *x), *x2 = malloc((n + 1) * sizeof *x2);
  for (o = 0; o < c->outer; o++)
    for (k = 0; k < inner; k++) {
      size_t b = o * n * inner + k;
      ld acc = 0.0L, mx = -INFINITY;
      size_t arg = 0;
      for (j = 0; j < n; j++) {
        x[j] = c->x[b + j * inner];
        x2[j] = c->x2 ? c->x2[b + j * inner] : 0.0L;
      }
      switch (c->kind) {
      case SMX_LOGSUMEXP:
        for (j = 0; j < n; j++)
          if (x[j] > mx)
            mx = x[j];
        for (j = 0; j < n; j++)
          acc += expl(x[j] - mx);
        out[o * inner + k] = n == 0 ? -INFINITY : mx + logl(acc);
        continue;
      case SMX_SOFTMAX_BW:
        for (j = 0; j < n; j++)
          acc += x[j] * x2[j];
        break;
      case SMX_LOG_SOFTMAX_BW:
        for (j = 0; j < n; j++)
          acc += x[j];
        break;
      case SMX_HARDMAX:
        for (j = 1; j < n; j++)
          if (x[j] > x[arg])
            arg = j;
        break;
      }
      for (j = 0; j < n; j++) {
        ld v = 0.0L;
        switch (c->kind) {
        case SMX_SOFTMAX: v = naive_p(n, x, j); break;
        case SMX_LOG_SOFTMAX: v = naive_logp(n, x, j); break;
        case SMX_HARDMAX: v = j == arg; break;
        case SMX_SOFTMAX_BW: v = x2[j] * (x[j] - acc); break;
        case SMX_LOG_SOFTMAX_BW: v = x[j] - expl(x2[j]) * acc; break;
        }
        out[b + j * inner] = v;
      }
    }
  free(x);
  free(x2);
}

/* Losses straight from PyTorch's definitions; gradients by the chain rule
 * through log_softmax: dz_j = gl_j - p_j sum_c gl_c, gl = dL/dlogp. */
static void naive_loss(const smx_case *c, ld *per, ld *loss, ld *grad)
{
  size_t N = c->outer, C = c->n, i, j;
  int mean = c->red == 1;
  ld eps = c->eps, W = 0.0L, sum_nll = 0.0L, sum_sm = 0.0L, total = 0.0L;
  ld *x = malloc((C + 1) * sizeof *x), *lp = malloc((C + 1) * sizeof *lp);
  ld *gl = malloc((C + 1) * sizeof *gl);

#define WC(j) (c->w ? (ld)c->w[j] : 1.0L)
#define IGN(t) (c->ignore != SMX_NO_IGNORE && (t) == c->ignore)
  if (c->kind == SMX_CE || c->kind == SMX_NLL)
    for (i = 0; i < N; i++)
      if (!IGN(c->tgt[i]))
        W += WC(c->tgt[i]);

  for (i = 0; i < N; i++) {
    ld a = 1.0L, s = 0.0L;
    for (j = 0; j < C; j++) {
      x[j] = c->x[i * C + j];
      gl[j] = 0.0L;
    }
    if (c->kind == SMX_BCE) {
      for (j = 0; j < C; j++) {
        ld z = x[j], y = c->tprob[i * C + j];
        ld w = c->w ? (ld)c->w[c->wlen == C ? j : i * C + j] : 1.0L;
        ld pw = c->pw ? (ld)c->pw[j] : 1.0L;
        ld sg = 1.0L / (1.0L + expl(-z));
        ld l = -w * (pw * y * -log1pl(expl(-z)) + (1.0L - y) * -log1pl(expl(z)));
        per[i * C + j] = l;
        total += l;
        grad[i * C + j] = w * (-pw * y * (1.0L - sg) + (1.0L - y) * sg) / (mean ? (ld)(N * C) : 1.0L);
      }
      continue;
    }
    for (j = 0; j < C; j++)
      lp[j] = c->kind == SMX_NLL ? x[j] : naive_logp(C, x, j);
    if (c->kind == SMX_CE_PROB) {
      a = mean ? 1.0L / N : 1.0L;
      per[i] = 0.0L;
      for (j = 0; j < C; j++) {
        ld t = c->tprob[i * C + j];
        if (eps > 0)
          t = t * (1 - eps) + eps / C;
        per[i] -= lp[j] * t * WC(j);
        gl[j] = -a * t * WC(j);
      }
      total += per[i];
    } else {
      int64_t t = c->tgt[i];
      ld nll, sm = 0.0L;
      a = mean ? 1.0L / W : 1.0L;
      if (IGN(t)) {
        per[i] = 0.0L;
        for (j = 0; j < C; j++)
          grad[i * C + j] = 0.0L;
        continue;
      }
      nll = -WC(t) * lp[t];
      sum_nll += nll;
      gl[t] = -a * (1 - eps) * WC(t);
      per[i] = nll;
      if (eps > 0) {
        for (j = 0; j < C; j++) {
          sm -= WC(j) * lp[j];
          gl[j] -= a * eps / C * WC(j);
        }
        sum_sm += sm;
        per[i] = (1 - eps) * nll + eps / C * sm;
      }
      if (c->kind == SMX_NLL) {
        gl[t] = -a * WC(t);
        for (j = 0; j < C; j++)
          grad[i * C + j] = gl[j];
        continue;
      }
    }
    for (j = 0; j < C; j++)
      s += gl[j];
    for (j = 0; j < C; j++)
      grad[i * C + j] = gl[j] - expl(lp[j]) * s;
  }
  if (c->kind == SMX_CE || c->kind == SMX_NLL)
    total = eps > 0 ? (1 - eps) * sum_nll + eps / C * sum_sm : sum_nll;
  if (mean) {
    if (c->kind == SMX_CE || c->kind == SMX_NLL)
      total = eps > 0 ? (1 - eps) * (sum_nll / W) + eps / C * (sum_sm / W) : sum_nll / W;
    else if (c->kind == SMX_CE_PROB)
      total = N * C == 0 ? NAN : total / N;
    else
      total = total / (ld)(N * C);
  }
  *loss = total;
#undef WC
#undef IGN
  free(x);
  free(lp);
  free(gl);
}

/* ------------------------------------------------------------ kernel runs */

static void *conv(const double *src, size_t len, int f64)
{
  size_t i;
  void *dst;
  if (!src)
    return NULL;
  dst = malloc((len + 1) * (f64 ? sizeof(double) : sizeof(float)));
  for (i = 0; i < len; i++) {
    if (f64)
      ((double *)dst)[i] = src[i];
    else
      ((float *)dst)[i] = (float)src[i];
  }
  return dst;
}

static double get(const void *p, size_t i, int f64)
{
  return f64 ? ((const double *)p)[i] : ((const float *)p)[i];
}

/* Runs one case in one dtype; out gets the family output or per-sample
 * losses, grad the gradient. Returns the kernel status. */
static int run_case(const smx_case *c, int f64, double *out, double *loss, double *grad,
                    size_t *bad)
{
  size_t len = c->outer * c->n * c->inner, N = c->outer, C = c->n, i, olen;
  size_t es = f64 ? sizeof(double) : sizeof(float);
  void *x = conv(c->x, len, f64), *x2 = conv(c->x2, len, f64);
  void *tp = conv(c->tprob, len, f64), *w = conv(c->w, c->wlen, f64);
  void *pw = conv(c->pw, C, f64);
  size_t cap = len + c->outer * c->inner + 1;
  void *y = malloc(cap * es), *g = malloc(cap * es);
  int st = LG_OK;
  lg_reduction red = (lg_reduction)c->red;
  size_t wrs = c->wlen == C ? 0 : C;

  olen = c->kind == SMX_LOGSUMEXP ? c->outer * c->inner
       : c->kind == SMX_BCE || c->kind < SMX_CE ? len : N;
#define FAM(fn) (f64 ? fn##_f64(c->outer, c->n, c->inner, y, x) \
                     : fn##_f32(c->outer, c->n, c->inner, y, x))
#define FAMBW(fn) (f64 ? fn##_f64(c->outer, c->n, c->inner, y, x, x2) \
                       : fn##_f32(c->outer, c->n, c->inner, y, x, x2))
  switch (c->kind) {
  case SMX_SOFTMAX: FAM(lg_softmax); break;
  case SMX_LOG_SOFTMAX: FAM(lg_log_softmax); break;
  case SMX_LOGSUMEXP: FAM(lg_logsumexp); break;
  case SMX_HARDMAX: FAM(lg_hardmax); break;
  case SMX_SOFTMAX_BW: FAMBW(lg_softmax_backward); break;
  case SMX_LOG_SOFTMAX_BW: FAMBW(lg_log_softmax_backward); break;
  case SMX_CE:
    st = f64 ? lg_cross_entropy_f64(N, C, x, c->tgt, w, c->ignore, c->eps, red, y, loss, g, bad)
             : lg_cross_entropy_f32(N, C, x, c->tgt, w, c->ignore, c->eps, red, y, loss, g, bad);
    break;
  case SMX_CE_PROB:
    st = f64 ? lg_cross_entropy_prob_f64(N, C, x, tp, w, c->eps, red, y, loss, g)
             : lg_cross_entropy_prob_f32(N, C, x, tp, w, c->eps, red, y, loss, g);
    break;
  case SMX_NLL:
    st = f64 ? lg_nll_loss_f64(N, C, x, c->tgt, w, c->ignore, red, y, loss, g, bad)
             : lg_nll_loss_f32(N, C, x, c->tgt, w, c->ignore, red, y, loss, g, bad);
    break;
  case SMX_BCE:
    st = f64 ? lg_bce_with_logits_f64(N, C, x, tp, w, wrs, 1, pw, 0, 1, red, y, loss, g)
             : lg_bce_with_logits_f32(N, C, x, tp, w, wrs, 1, pw, 0, 1, red, y, loss, g);
    break;
  }
#undef FAM
#undef FAMBW
  for (i = 0; i < olen; i++)
    out[i] = get(y, i, f64);
  if (c->kind >= SMX_CE)
    for (i = 0; i < len; i++)
      grad[i] = get(g, i, f64);
  free(x); free(x2); free(tp); free(w); free(pw); free(y); free(g);
  return st;
}

static void check_case(const smx_case *c)
{
  size_t len = c->outer * c->n * c->inner, i;
  size_t olen = c->kind == SMX_LOGSUMEXP ? c->outer * c->inner
              : c->kind == SMX_BCE || c->kind < SMX_CE ? len : c->outer;
  size_t cap = (len > olen ? len : olen) + 1;
  double *out = malloc(cap * sizeof *out), *grad = malloc(cap * sizeof *grad);
  ld *nout = malloc(cap * sizeof *nout), *ngrad = malloc(cap * sizeof *ngrad);
  ld nloss = 0.0L;
  int f64, loss_kind = c->kind >= SMX_CE;

  if (c->naive) {
    if (loss_kind)
      naive_loss(c, nout, &nloss, ngrad);
    else
      naive_family(c, nout);
  }
  for (f64 = 0; f64 < 2; f64++) {
    const char *dt = f64 ? "f64" : "f32";
    double loss = -12345.0;
    size_t bad = 0;
    int st = run_case(c, f64, out, &loss, grad, &bad);
    checks++;
    if (st != LG_OK) {
      failures++;
      printf("FAIL %s [%s]: status %d\n", c->name, dt, st);
      continue;
    }
    if (c->out)
      for (i = 0; i < olen; i++)
        expect(c->name, dt, "torch out", i, out[i], c->out[i]);
    if (c->naive)
      for (i = 0; i < olen; i++)
        expect(c->name, dt, "naive out", i, out[i], nout[i]);
    if (loss_kind) {
      if (c->out)
        expect(c->name, dt, "torch loss", 0, loss, c->loss);
      if (c->naive)
        expect(c->name, dt, "naive loss", 0, loss, nloss);
      for (i = 0; i < len; i++) {
        if (c->grad)
          expect(c->name, dt, "torch grad", i, grad[i], c->grad[i]);
        if (c->naive)
          expect(c->name, dt, "naive grad", i, grad[i], ngrad[i]);
      }
    }
  }
  free(out); free(grad); free(nout); free(ngrad);
}

/* ------------------------------------------------------------ random sweeps */

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static double urand(void)   /* [0, 1) */
{
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (double)(rng >> 11) / 9007199254740992.0;
}

static double frand(double scale)   /* float32-representable, in [-scale, scale) */
{
  return (double)(float)((2.0 * urand() - 1.0) * scale);
}

static void sweep(void)
{
  static const double scales[] = {1e-40, 1e-3, 1.0, 10.0, 88.0, 1e4};
  static const size_t shapes[][3] = {{3, 7, 1}, {1, 1, 1}, {2, 33, 1}, {2, 5, 3}, {1, 4, 9}};
  size_t si, hi, i, r;
  for (si = 0; si < sizeof scales / sizeof *scales; si++)
    for (hi = 0; hi < sizeof shapes / sizeof *shapes; hi++)
      for (r = 0; r < 3; r++) {
        size_t o = shapes[hi][0], n = shapes[hi][1], in = shapes[hi][2], len = o * n * in;
        double *x = malloc(len * sizeof *x), *g = malloc(len * sizeof *g);
        double *p = malloc(len * sizeof *p);
        int kind;
        for (i = 0; i < len; i++) {
          x[i] = frand(scales[si]);
          g[i] = frand(2.0);
          p[i] = urand();
        }
        if (r == 2 && n > 1)     /* mask: one -inf per column, others finite */
          for (i = 0; i < o * in; i++)
            x[(i / in) * n * in + i % in] = -INFINITY;
        for (kind = SMX_SOFTMAX; kind <= SMX_LOG_SOFTMAX_BW; kind++) {
          smx_case c;
          memset(&c, 0, sizeof c);
          c.name = "sweep/family";
          c.kind = kind;
          c.outer = o; c.n = n; c.inner = in;
          c.x = kind >= SMX_SOFTMAX_BW ? g : x;
          c.x2 = kind == SMX_SOFTMAX_BW ? p : kind == SMX_LOG_SOFTMAX_BW ? x : NULL;
          if (kind == SMX_LOG_SOFTMAX_BW)
            for (i = 0; i < len; i++)
              p[i] = -urand() * 5;   /* a log-probability-like input */
          if (kind == SMX_LOG_SOFTMAX_BW)
            c.x2 = p;
          c.naive = 1;
          check_case(&c);
        }
        free(x); free(g); free(p);
      }
  /* losses: random logits, targets, weights, options */
  for (r = 0; r < 400; r++) {
    size_t N = 1 + (size_t)(urand() * 6), C = 1 + (size_t)(urand() * 9), len = N * C;
    double scale = scales[r % 6], *z = malloc(len * sizeof *z), *tp = malloc(len * sizeof *tp);
    double *w = malloc(len * sizeof *w), *pw = malloc(C * sizeof *pw);
    int64_t *t = malloc(N * sizeof *t);
    smx_case c;
    for (i = 0; i < len; i++) {
      z[i] = frand(scale);
      tp[i] = (double)(float)urand();
      w[i] = (double)(float)(urand() * 2);
    }
    for (i = 0; i < C; i++)
      pw[i] = (double)(float)(urand() * 3);
    for (i = 0; i < N; i++)
      t[i] = (int64_t)(urand() * C);
    memset(&c, 0, sizeof c);
    c.name = "sweep/loss";
    c.kind = SMX_CE + (int)(r % 4);
    c.outer = N; c.n = C; c.inner = 1;
    c.x = z;
    c.tgt = t;
    c.tprob = tp;
    c.red = (int)((r / 4) % 3);
    c.w = (r / 12) % 2 ? w : NULL;
    c.wlen = c.kind == SMX_BCE && (r / 24) % 2 ? len : C;
    c.pw = c.kind == SMX_BCE && (r / 48) % 2 ? pw : NULL;
    c.ignore = (r / 24) % 2 ? t[0] : SMX_NO_IGNORE;
    c.eps = c.kind == SMX_CE || c.kind == SMX_CE_PROB ? (double)(float)(((r / 48) % 3) * 0.15) : 0.0;
    if (c.kind == SMX_NLL)   /* nll wants log-probabilities (any values work) */
      for (i = 0; i < len; i++)
        z[i] = -fabs(z[i]);
    c.naive = 1;
    check_case(&c);
    free(z); free(tp); free(w); free(pw); free(t);
  }
}

/* ------------------------------------------------------------ direct checks */

static void check(int ok, const char *what)
{
  checks++;
  if (!ok) {
    failures++;
    printf("FAIL %s\n", what);
  }
}

static void direct(void)
{
  float z[6] = {1, 2, 3, 4, 5, 6}, g[6], l[2], y[6], ref[6];
  double loss = 7.0, zd[6] = {1, 2, 3, 4, 5, 6}, gd[6];
  int64_t t[2] = {0, 3}, tneg[2] = {-1, 0};
  size_t bad = 99, i;
  int st;

  /* out-of-range target: status, offending sample, nothing written */
  for (i = 0; i < 6; i++)
    g[i] = 42.0f;
  l[0] = l[1] = 42.0f;
  st = lg_cross_entropy_f32(2, 3, z, t, NULL, LG_NO_IGNORE, 0.0, LG_REDUCTION_MEAN, l, &loss,
                            g, &bad);
  check(st == LG_ERANGE && bad == 1, "ce: target 3 of 3 classes -> LG_ERANGE, bad = 1");
  check(g[0] == 42.0f && l[0] == 42.0f && loss == 7.0, "ce: outputs untouched on error");
  st = lg_cross_entropy_f64(2, 3, zd, tneg, NULL, LG_NO_IGNORE, 0.0, LG_REDUCTION_SUM, NULL,
                            &loss, gd, &bad);
  check(st == LG_ERANGE && bad == 0, "ce: negative target -> LG_ERANGE, bad = 0");
  st = lg_nll_loss_f32(2, 3, z, t, NULL, LG_NO_IGNORE, LG_REDUCTION_SUM, NULL, &loss, NULL, &bad);
  check(st == LG_ERANGE && bad == 1, "nll: out of range -> LG_ERANGE");
  st = lg_nll_loss_f32(2, 3, z, t, NULL, 3, LG_REDUCTION_SUM, NULL, &loss, NULL, NULL);
  check(st == LG_OK, "nll: an out-of-range target equal to ignore_index is fine");
  st = lg_cross_entropy_f32(2, 3, z, t, NULL, 3, 0.0, LG_REDUCTION_MEAN, NULL, &loss, NULL, NULL);
  check(st == LG_OK, "ce: bad may be NULL, and ignored out-of-range targets pass");

  /* bad options */
  t[1] = 1;
  check(lg_cross_entropy_f32(2, 3, z, t, NULL, LG_NO_IGNORE, 1.5, LG_REDUCTION_MEAN, NULL,
                             &loss, NULL, NULL) == LG_EVALUE, "ce: eps 1.5 -> LG_EVALUE");
  check(lg_cross_entropy_f32(2, 3, z, t, NULL, LG_NO_IGNORE, NAN, LG_REDUCTION_MEAN, NULL,
                             &loss, NULL, NULL) == LG_EVALUE, "ce: eps NaN -> LG_EVALUE");
  check(lg_cross_entropy_prob_f32(2, 3, z, z, NULL, -0.1, LG_REDUCTION_MEAN, NULL, &loss,
                                  NULL) == LG_EVALUE, "ce_prob: eps -0.1 -> LG_EVALUE");
  check(lg_bce_with_logits_f32(2, 3, z, z, NULL, 0, 0, NULL, 0, 0, (lg_reduction)7, NULL,
                               &loss, NULL) == LG_EVALUE, "bce: reduction 7 -> LG_EVALUE");

  /* aliasing: in-place softmax, grad written over the logits */
  lg_softmax_f32(2, 3, 1, ref, z);
  memcpy(y, z, sizeof y);
  lg_softmax_f32(2, 3, 1, y, y);
  check(memcmp(y, ref, sizeof y) == 0, "softmax: y == x gives the same result");
  lg_cross_entropy_f32(2, 3, z, t, NULL, LG_NO_IGNORE, 0.1, LG_REDUCTION_MEAN, NULL, &loss,
                       ref, NULL);
  memcpy(y, z, sizeof y);
  lg_cross_entropy_f32(2, 3, y, t, NULL, LG_NO_IGNORE, 0.1, LG_REDUCTION_MEAN, NULL, &loss,
                       y, NULL);
  check(memcmp(y, ref, sizeof y) == 0, "ce: grad == z gives the same result");

  /* outer or inner 0: nothing written */
  for (i = 0; i < 6; i++)
    y[i] = 42.0f;
  lg_softmax_f32(0, 3, 1, y, z);
  lg_logsumexp_f32(2, 3, 0, y, z);
  lg_hardmax_f32(2, 0, 1, y, z);
  check(y[0] == 42.0f && y[5] == 42.0f, "empty shapes write nothing");

  /* hardmax: first NaN, else first maximum; -0 ties +0 */
  {
    float a[4] = {1, NAN, 5, NAN}, b[3] = {-0.0f, 0.0f, -1}, o[4];
    lg_hardmax_f32(1, 4, 1, o, a);
    check(o[0] == 0 && o[1] == 1 && o[2] == 0 && o[3] == 0, "hardmax: first NaN wins");
    lg_hardmax_f32(1, 3, 1, o, b);
    check(o[0] == 1 && o[1] == 0, "hardmax: -0 and +0 tie, first wins");
  }
}

static void print_num(double v)
{
  if (isnan(v))
    printf("NAN");
  else if (isinf(v))
    printf(v > 0 ? "INFINITY" : "-INFINITY");
  else
    printf("%.17g", v);
}

/* --print f32|f64: our outputs in torch_ref.py's line format, so
 * tools/cmp_ref.py can compare them with what torch printed. */
static void print_cases(int f64)
{
  size_t i, k, ncase = sizeof smx_cases / sizeof *smx_cases;
  for (i = 0; i < ncase; i++) {
    const smx_case *c = &smx_cases[i];
    size_t len = c->outer * c->n * c->inner, cap = len + c->outer * c->inner + 1;
    size_t olen = c->kind == SMX_LOGSUMEXP ? c->outer * c->inner
                : c->kind == SMX_BCE || c->kind < SMX_CE ? len : c->outer;
    double *out = malloc(cap * sizeof *out), *grad = malloc(cap * sizeof *grad), loss = 0;
    size_t bad;
    run_case(c, f64, out, &loss, grad, &bad);
    printf("%s", c->name);
    if (c->kind >= SMX_CE) {
      printf(" | loss=");
      print_num(loss);
    }
    printf(" | out=");
    for (k = 0; k < olen; k++) {
      printf(k ? " " : "");
      print_num(out[k]);
    }
    if (c->kind >= SMX_CE) {
      printf(" | grad=");
      for (k = 0; k < len; k++) {
        printf(k ? " " : "");
        print_num(grad[k]);
      }
    }
    printf("\n");
    free(out);
    free(grad);
  }
}

#include "smx_ulp.h"

int main(int argc, char **argv)
{
  size_t i, ncase = sizeof smx_cases / sizeof *smx_cases;
  if (argc == 3 && strcmp(argv[1], "--print") == 0) {
    print_cases(strcmp(argv[2], "f64") == 0);
    return 0;
  }
  lg_simd_from_env();
  for (i = 0; i < ncase; i++)
    check_case(&smx_cases[i]);
  sweep();
  direct();
  ulp_sweep();
  printf("smx_check: %zu torch cases, %d checks, %d failures\n", ncase, checks, failures);
  return failures != 0;
}
