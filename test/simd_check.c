/* simd_check.c - every dispatch level against the double reference and
 * against the portable level, on random and extreme inputs (no Lua).
 *   make check-simd
 * For each fast float32 op (vfast.h) and each level the CPU has:
 *   - NaN where the reference (activation.c's float64 kernel, or softmax in
 *     long double) is NaN, the same infinities, and every finite value
 *     within 1e-6 abs + 1e-5 rel of it (the accuracy contract);
 *   - at most MAXULP ulps, or 2^-23 absolute, from the portable level's
 *     answer (the absolute clause is for log_softmax at a row's max, where
 *     -log(s), s = 1 + tiny, keeps only the absolute accuracy of s).
 * Exit status 1 on any failure. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/kernels/activation.h"
#include "../src/simd/simd.h"

#define MAXULP 8.0
#define N 200000

static int failures;

static double ulps(float a, float b)
{
  int32_t ia, ib;
  if (a == b || (a != a && b != b)) return 0;
  if (a != a || b != b || isinf(a) || isinf(b)) return 1e30;
  memcpy(&ia, &a, 4);
  memcpy(&ib, &b, 4);
  if (ia < 0) ia = (int32_t)0x80000000 - ia;
  if (ib < 0) ib = (int32_t)0x80000000 - ib;
  return fabs((double)ia - (double)ib);
}

/* one result: against the reference and against portable */
static void check(const char *what, int lv, size_t i, float x, float got, double ref,
                  float port, double *worst)
{
  double u = ulps(got, port);
  int ok;
  if (ref != ref) ok = got != got;
  else if (isinf(ref)) ok = (double)got == ref;
  else ok = fabs((double)got - ref) <= 1e-6 + 1e-5 * fabs(ref);
  if (u > *worst && u <= MAXULP) *worst = u;
  if (!ok || (u > MAXULP && fabs((double)got - (double)port) > 0x1p-23)) {
    if (failures++ < 20)
      printf("FAIL %s [%s] #%zu x=%.9g got %.9g ref %.17g portable %.9g (%.0f ulp)\n", what,
             lg_simd_name(lv), i, x, got, ref, port, u);
  }
}

static float *make_inputs(size_t *n)
{
  static const float ext[] = { 0.0f, -0.0f, 1e-45f, -1e-45f, 1e-40f, -1e-40f, 1.17549435e-38f,
    1e-30f, -1e-30f, 1e-7f, -1e-7f, 0.5f, -0.5f, 1, -1, 3, -3, 6, -6, 0.625f, -0.625f, 9, -9,
    17, -17, 30, -30, 87.5f, -87.5f, 88, -88, 88.8f, -88.8f, 89, -89, 103, -103, 104, -104,
    150, -150, 1e4f, -1e4f, 1e30f, -1e30f, 3.4e38f, -3.4e38f, INFINITY, -INFINITY, NAN };
  size_t k = sizeof ext / sizeof *ext, i;
  float *x = malloc((N + k) * sizeof *x);
  if (!x) exit(2);
  memcpy(x, ext, sizeof ext);
  srand(7);
  for (i = k; i < N + k; i++) {
    double u = (double)rand() / RAND_MAX;
    switch (i % 4) {
    case 0: x[i] = (float)(u * 40 - 20); break;
    case 1: x[i] = (float)(u * 240 - 120); break;
    case 2: x[i] = (float)((u * 2 - 1) * 1e-3); break;
    default: x[i] = (float)(u * 8 - 4); break;
    }
  }
  *n = N + k;
  return x;
}

static const struct { const char *name; int gelu_tanh; } acts[] = {
  { "sigmoid", 0 }, { "tanh", 0 }, { "silu", 0 }, { "elu", 0 }, { "gelu", 1 }, { "relu", 0 },
  { "leaky_relu", 0 }, { "hardtanh", 0 }, { "relu6", 0 }, { "hardsigmoid", 0 },
  { "hardswish", 0 }, { "heaviside", 0 }, { "softplus", 0 }, { "log_sigmoid", 0 }
};

int main(void)
{
  size_t n, i, a, r;
  float *x = make_inputs(&n), *dy = malloc(n * sizeof(float));
  float *y = malloc(n * sizeof(float)), *yp = malloc(n * sizeof(float));
  double *xd = malloc(n * sizeof(double)), *dyd = malloc(n * sizeof(double));
  double *yd = malloc(n * sizeof(double));
  int best = lg_simd_best(), lv;
  if (!dy || !y || !yp || !xd || !dyd || !yd) return 2;
  for (i = 0; i < n; i++) {
    dy[i] = (float)((double)rand() / RAND_MAX * 4 - 2);
    xd[i] = x[i];
    dyd[i] = dy[i];
  }
  printf("levels: portable..%s; worst ulp distance from portable per op\n(up to %g; larger ones must be within 2^-23 absolute):\n", lg_simd_name(best), MAXULP);
  for (a = 0; a < sizeof acts / sizeof *acts; a++) {
    const lg_activation *A = lg_activation_find(acts[a].name);
    lg_act_params P;
    int bwd;
    P.p[0] = A->params[0].def;
    P.p[1] = A->params[1].def;
    P.mode = acts[a].gelu_tanh;
    for (bwd = 0; bwd < 2; bwd++) {
      char what[48];
      snprintf(what, sizeof what, "%s%s%s", acts[a].name, acts[a].gelu_tanh ? "(tanh)" : "",
               bwd ? "_backward" : "");
      if (bwd) A->b64(n, yd, dyd, xd, &P);
      else A->f64(n, yd, xd, &P);
      printf("  %-22s", what);
      for (lv = 0; lv <= best; lv++) {
        double worst = 0;
        lg_simd_set_level(lv);
        if (bwd) A->b32(n, y, dy, x, &P);
        else A->f32(n, y, x, &P);
        if (lv == 0) memcpy(yp, y, n * sizeof(float));
        for (i = 0; i < n; i++) check(what, lv, i, x[i], y[i], yd[i], yp[i], &worst);
        printf(" %s %-4g", lg_simd_name(lv), worst);
      }
      printf("\n");
    }
  }
  /* backward from the saved output (LG_VA_SIGMOID_Y, LG_VA_TANH_Y): PyTorch's
   * float bits, so every level must equal the scalar form exactly; y runs
   * over the inputs (outputs in [-1, 1] and beyond, +-inf, NaN) */
  {
    const lg_activation *A;
    for (A = lg_activations_from_output; A->name; A++) {
      lg_actb_f32_fn ref = lg_from_output_scalar32(A);
      size_t diff = 0;
      char what[48];
      snprintf(what, sizeof what, "%s_backward_from_output", A->name);
      ref(n, yp, dy, x, NULL);
      printf("  %-22s", what);
      for (lv = 0; lv <= best; lv++) {
        lg_simd_set_level(lv);
        A->b32(n, y, dy, x, NULL);
        for (i = 0; i < n; i++)
          if (memcmp(&y[i], &yp[i], sizeof(float)) && !(y[i] != y[i] && yp[i] != yp[i])) {
            if (diff++ < 5)
              printf("\nFAIL %s [%s] y=%.9g dy=%.9g: %.9g, scalar %.9g", what,
                     lg_simd_name(lv), x[i], dy[i], y[i], yp[i]);
            failures++;
          }
        printf(" %s %s", lg_simd_name(lv), diff ? "DIFFERS" : "same");
      }
      printf("\n");
    }
  }
  /* the row pass's exp (rows.h's vf_exp4, four vectors interleaved)
   * must stay bit-identical to v_exp_neg (LG_VA_EXP_NEG), whose accuracy
   * test/ulp_all measures: both on x = -|input| (and the inputs' NaN) */
  {
    float *xs = malloc(n * sizeof(float)), *e = malloc(n * sizeof(float));
    size_t diff = 0;
    if (!xs || !e) return 2;
    for (i = 0; i < n; i++) xs[i] = x[i] != x[i] ? x[i] : -fabsf(x[i]);
    printf("  %-22s", "row-pass exp");
    for (lv = 0; lv <= best; lv++) {
      lg_simd_set_level(lv);
      lg_vexpsum_f32(n, e, xs, 0.0f, NULL, NULL, NULL, NULL);
      lg_vact_f32(LG_VA_EXP_NEG, n, y, xs, NULL, 0.0, 0.0);
      for (i = 0; i < n; i++)
        if (memcmp(&e[i], &y[i], sizeof(float)) && !(e[i] != e[i] && y[i] != y[i])) {
          if (diff++ < 5)
            printf("\nFAIL row-pass exp [%s] x=%.9g: %.9g, v_exp_neg %.9g", lg_simd_name(lv),
                   xs[i], e[i], y[i]);
          failures++;
        }
      printf(" %s %s", lg_simd_name(lv), diff ? "DIFFERS" : "same");
    }
    printf("\n");
    free(xs);
    free(e);
  }
  /* softmax family over rows of several lengths (short and long paths) */
  {
    static const size_t lens[] = { 1, 3, 10, 17, 64, 65, 1000 };
    static const char *const names[] = { "softmax", "log_softmax", "logsumexp" };
    int op;
    for (op = 0; op < 3; op++)
      for (r = 0; r < sizeof lens / sizeof *lens; r++) {
        size_t len = lens[r], rows = 3000 / len + 3, tot = rows * len, j;
        char what[48];
        float *xs = malloc(tot * sizeof(float));
        if (!xs) return 2;
        for (i = 0; i < tot; i++) xs[i] = x[(i * 7919) % n];
        for (i = 0; i < rows; i++)   /* keep most rows finite so the values are tested */
          if (i % 5) for (j = 0; j < len; j++) {
            float v = xs[i * len + j];
            if (!(v - v == 0) || fabsf(v) > 1e4f) xs[i * len + j] = (float)j - 5.0f;
          }
        for (i = 0; i < rows; i++) {   /* reference in long double */
          const float *xr = xs + i * len;
          long double m = xr[0], s = 0;
          int nan = 0;
          for (j = 0; j < len; j++) { if (xr[j] > m) m = xr[j]; nan |= xr[j] != xr[j]; }
          if (nan) m = NAN;
          for (j = 0; j < len; j++) s += expl((long double)xr[j] - m);
          for (j = 0; j < len; j++) {
            long double v;
            if (!(m - m == 0)) v = op == 2 ? m : NAN;
            else if (op == 0) v = expl((long double)xr[j] - m) / s;
            else if (op == 1) v = (long double)xr[j] - m - logl(s);
            else v = m + logl(s);
            yd[i * len + j] = (double)v;
          }
        }
        snprintf(what, sizeof what, "%s[n=%zu]", names[op], len);
        printf("  %-22s", what);
        for (lv = 0; lv <= best; lv++) {
          double worst = 0;
          lg_simd_set_level(lv);
          lg_vsoftmax_f32(op, rows, len, y, xs);
          if (lv == 0) memcpy(yp, y, tot * sizeof(float));
          for (i = 0; i < rows; i++)
            for (j = 0; j < (op == 2 ? 1 : len); j++) {
              size_t k = op == 2 ? i : i * len + j;
              check(what, lv, k, xs[i * len + j], y[k], yd[i * len + j], yp[k], &worst);
            }
          printf(" %s %-4g", lg_simd_name(lv), worst);
        }
        printf("\n");
        free(xs);
      }
  }
  lg_simd_set_level(LG_SIMD_AUTO);
  printf("%s: %d failure(s)\n", failures ? "FAILED" : "ok", failures);
  free(x); free(dy); free(y); free(yp); free(xd); free(dyd); free(yd);
  return failures != 0;
}
