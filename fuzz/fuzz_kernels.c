/* fuzz_kernels.c - libFuzzer harness for src/kernels/softmax.c and loss.c
 * on random shapes [outer][n][inner] / [n][c] (sizes 0..6, empty included)
 * and random values (ordinary, huge, subnormal, +-inf, NaN). Buffers are
 * exact so ASan sees any access past them; results are checked for the
 * invariants that hold whatever the input: softmax rows of finite inputs
 * sum to 1, hardmax is one-hot, log_softmax <= 0, logsumexp >= max, loss
 * kernels reject out-of-range targets without writing anything. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/loss.h"
#include "kernels/softmax.h"

typedef struct { const uint8_t *p; size_t n; } src_t;

static unsigned take(src_t *s) {
  unsigned v;
  if (s->n == 0) return 0;
  v = s->p[0];
  s->p++;
  s->n--;
  return v;
}

static double take_value(src_t *s) {
  static const double special[] = {0.0, -0.0, 1e-45, 5e-324, 88.0, -88.0, 1e4, -1e4,
                                   3.4e38, -3.4e38, 1e308, -1e308, NAN, INFINITY, -INFINITY};
  unsigned k = take(s);
  if (k < 220) return ((double)k - 110.0) / 4.0;
  return special[k % (sizeof special / sizeof special[0])];
}

#define die(...) (fprintf(stderr, __VA_ARGS__), fputc('\n', stderr), abort())

static double ld(const void *p, size_t i, int f64) {
  return f64 ? ((const double *)p)[i] : (double)((const float *)p)[i];
}

static void *values(src_t *s, size_t n, int f64) {
  size_t i;
  void *p = malloc((n ? n : 1) * (f64 ? sizeof(double) : sizeof(float)));
  for (i = 0; i < n; i++) {
    double v = take_value(s);
    if (f64) ((double *)p)[i] = v;
    else ((float *)p)[i] = (float)v;
  }
  return p;
}

static void check_softmax(src_t *s) {
  int f64 = (int)(take(s) & 1), op = (int)(take(s) % 6);
  size_t outer = take(s) % 5, n = take(s) % 7, inner = take(s) % 4, o, j, k;
  size_t total = outer * n * inner, es = f64 ? sizeof(double) : sizeof(float);
  void *x = values(s, total, f64), *g = values(s, total, f64);
  void *y = malloc((total ? total : 1) * es);
  void *lse = malloc((outer * inner ? outer * inner : 1) * es);
  if (take(s) & 1) memcpy(y, x, total * es);   /* in place: y aliases x */
  switch (op) {
    case 0:
      if (f64) lg_softmax_f64(outer, n, inner, (double *)y, (const double *)x);
      else lg_softmax_f32(outer, n, inner, (float *)y, (const float *)x);
      break;
    case 1:
      if (f64) lg_log_softmax_f64(outer, n, inner, (double *)y, (const double *)x);
      else lg_log_softmax_f32(outer, n, inner, (float *)y, (const float *)x);
      break;
    case 2:
      if (f64) lg_hardmax_f64(outer, n, inner, (double *)y, (const double *)x);
      else lg_hardmax_f32(outer, n, inner, (float *)y, (const float *)x);
      break;
    case 3:
      if (f64) lg_logsumexp_f64(outer, n, inner, (double *)lse, (const double *)x);
      else lg_logsumexp_f32(outer, n, inner, (float *)lse, (const float *)x);
      break;
    case 4:
      if (f64) lg_softmax_backward_f64(outer, n, inner, (double *)y, (const double *)g, (const double *)x);
      else lg_softmax_backward_f32(outer, n, inner, (float *)y, (const float *)g, (const float *)x);
      break;
    default:
      if (f64) lg_log_softmax_backward_f64(outer, n, inner, (double *)y, (const double *)g, (const double *)x);
      else lg_log_softmax_backward_f32(outer, n, inner, (float *)y, (const float *)g, (const float *)x);
      break;
  }
  for (o = 0; o < outer; o++)
    for (k = 0; k < inner; k++) {
      double sum = 0, m = -INFINITY;
      int finite = 1, ones = 0;
      for (j = 0; j < n; j++) {
        size_t at = (o * n + j) * inner + k;
        double v = ld(x, at, f64);
        if (!isfinite(v)) finite = 0;
        if (v > m) m = v;
        if (op == 0) sum += ld(y, at, f64);
        if (op == 1 && !(ld(y, at, f64) <= 1e-6) && finite && !isnan(ld(y, at, f64)))
          die("log_softmax > 0: %g", ld(y, at, f64));
        if (op == 2) {
          double h = ld(y, at, f64);
          if (h != 0 && h != 1) die("hardmax not 0/1");
          ones += h == 1;
        }
      }
      if (op == 0 && finite && n > 0 && fabs(sum - 1) > 1e-5 * (double)n) die("softmax sum %g", sum);
      if (op == 2 && n > 0 && ones != 1) die("hardmax has %d ones", ones);
      if (op == 3 && finite && n > 0 && !(ld(lse, o * inner + k, f64) >= m - 1e-6 * fabs(m)))
        die("logsumexp below max");
      if (op == 3 && n == 0 && ld(lse, o * inner + k, f64) != -INFINITY) die("logsumexp of nothing");
    }
  free(x);
  free(g);
  free(y);
  free(lse);
}

static void check_loss(src_t *s) {
  int f64 = (int)(take(s) & 1), op = (int)(take(s) % 4), st;
  size_t n = take(s) % 6, c = take(s) % 6, i, bad = 12345, es = f64 ? sizeof(double) : sizeof(float);
  lg_reduction red = (lg_reduction)(take(s) % 4);   /* 3 is not a reduction */
  double eps = (take(s) % 5 == 0) ? take_value(s) : (double)(take(s) % 5) / 4.0, loss = -7;
  int64_t *target = (int64_t *)malloc((n ? n : 1) * sizeof(int64_t)), ignore;
  void *z = values(s, n * c, f64), *y = values(s, n * c, f64), *w = NULL;
  /* losses is [n] (CE, NLL) or [n][c] (BCE): room for the larger */
  size_t nl = n * c > n ? n * c : (n ? n : 1);
  void *losses = malloc(nl * es), *grad = malloc((n * c ? n * c : 1) * es);
  unsigned char *before = (unsigned char *)malloc(nl * es);
  int want_bad = 0;
  ignore = (take(s) & 1) ? LG_NO_IGNORE : (int64_t)(take(s) % 8) - 2;
  for (i = 0; i < n; i++) {
    unsigned k = take(s);
    target[i] = k < 200 ? (int64_t)(k % (c ? c : 1)) : (int64_t)(k % 16) - 4;
    if ((target[i] < 0 || target[i] >= (int64_t)c) && target[i] != ignore) want_bad = 1;
  }
  if (take(s) & 1) w = values(s, c, f64);
  memset(losses, 0xAB, nl * es);
  memcpy(before, losses, nl * es);
  switch (op) {
    case 0:
      st = f64 ? lg_cross_entropy_f64(n, c, (const double *)z, target, (const double *)w, ignore, eps,
                                      red, (double *)losses, &loss, (double *)grad, &bad)
               : lg_cross_entropy_f32(n, c, (const float *)z, target, (const float *)w, ignore, eps,
                                      red, (float *)losses, &loss, (float *)grad, &bad);
      break;
    case 1:
      st = f64 ? lg_nll_loss_f64(n, c, (const double *)z, target, (const double *)w, ignore, red,
                                 (double *)losses, &loss, (double *)grad, &bad)
               : lg_nll_loss_f32(n, c, (const float *)z, target, (const float *)w, ignore, red,
                                 (float *)losses, &loss, (float *)grad, &bad);
      eps = 0;
      break;
    case 2:
      want_bad = 0;
      st = f64 ? lg_cross_entropy_prob_f64(n, c, (const double *)z, (const double *)y,
                                           (const double *)w, eps, red, (double *)losses, &loss,
                                           (double *)grad)
               : lg_cross_entropy_prob_f32(n, c, (const float *)z, (const float *)y,
                                           (const float *)w, eps, red, (float *)losses, &loss,
                                           (float *)grad);
      break;
    default: {
      /* weight per class (0, 1) or one scalar (0, 0); pos_weight per class */
      size_t wcs = w && (take(s) & 1) ? 1 : 0;
      void *pw = (take(s) & 1) ? values(s, c, f64) : NULL;
      want_bad = 0;
      eps = 0;
      st = f64 ? lg_bce_with_logits_f64(n, c, (const double *)z, (const double *)y, (const double *)w,
                                        0, wcs, (const double *)pw, 0, 1, red, (double *)losses,
                                        &loss, (double *)grad)
               : lg_bce_with_logits_f32(n, c, (const float *)z, (const float *)y, (const float *)w,
                                        0, wcs, (const float *)pw, 0, 1, red, (float *)losses,
                                        &loss, (float *)grad);
      free(pw);
      break;
    }
  }
  if (red > LG_REDUCTION_SUM || !(eps >= 0 && eps <= 1)) {
    if (st != LG_EVALUE) die("bad reduction / label_smoothing accepted (st %d)", st);
  } else if (want_bad) {
    if (st != LG_ERANGE || bad >= n) die("out-of-range target accepted (st %d)", st);
  } else if (st != LG_OK) {
    die("valid call failed (st %d, op %d)", st, op);
  }
  if (st != LG_OK && memcmp(before, losses, nl * es) != 0)
    die("outputs written on error");
  free(target);
  free(z);
  free(y);
  free(w);
  free(losses);
  free(grad);
  free(before);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  src_t s;
  s.p = data;
  s.n = size;
  if (take(&s) & 1) check_softmax(&s);
  else check_loss(&s);
  return 0;
}
