/* ulp_all.c - worst error of the vector float32 functions over ALL 2^32
 * float inputs, at every dispatch level, against double libm.
 *   make -C test ulp-all        (2 threads; a few minutes)
 * The error of a result f for the true value r (libm in double, which is
 * far more accurate than float) is |f - r| in units of the float spacing
 * at r (2^-149 for subnormals). NaN must give NaN, and a result must be
 * +-inf exactly when r rounds to +-inf. Functions: exp (all x), exp for
 * x <= 0 (softmax's), expm1 for x <= 0 (elu), sigmoid, tanh, silu,
 * gelu(tanh), log1p on [0, 1], softplus, log_sigmoid, gelu (erf), log, selu,
 * celu (alpha 2), mish, softsign. Prints the worst ulp
 * and where it occurs. Optional arguments: the index of one function (-1:
 * all), and a stride S: only every S-th bit pattern (a sample, for slow
 * machines and emulators: qemu-user). LG_SIMD=name runs that level only. */
#define _POSIX_C_SOURCE 200809L
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/simd/simd.h"

#define CHUNK 65536
#define NTHREADS 2

/* neg_only: 0 all inputs, 1 x <= 0, 2 x in [0, 1] */
typedef struct fn {
  const char *name; int op; double a; int neg_only; double (*ref)(double);
  double b;   /* the op's second parameter (selu's scale - 1) */
} fn;

static double r_exp(double x) { return exp(x); }
static double r_expm1(double x) { return expm1(x); }
static double r_sigmoid(double x)
{
  double e = exp(-fabs(x));
  return x >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
}
static double r_tanh(double x) { return tanh(x); }
static double r_gelu(double x) { return 0.5 * x * erfc(-x * 0.70710678118654752440); }
static double r_log1p(double x) { return log1p(x); }
static double r_log(double x) { return log(x); }
static double r_softplus(double x) { return x > 20 ? x : (x > 0 ? x : 0) + log1p(exp(-fabs(x))); }
static double r_log_sigmoid(double x) { return (x < 0 ? x : 0) - log1p(exp(-fabs(x))); }
static double r_silu(double x) { return x * r_sigmoid(x); }
#define SELU_A 1.6732632423543772848170429916717
#define SELU_S 1.0507009873554804934193349852946
static double r_selu(double x) { return SELU_S * (x > 0 ? x : SELU_A * expm1(x)); }
static double r_celu2(double x) { return x > 0 ? x : 2.0 * expm1(x / 2.0); }
static double r_mish(double x) { return x * tanh(log1p(exp(x))); }
static double r_softsign(double x) { return x / (1.0 + fabs(x)); }
static double r_gelu_tanh(double x)
{
  return x * r_sigmoid(2.0 * 0.79788456080286535588 * (x + 0.044715 * x * x * x));
}

static const fn fns[] = {
  { "exp", LG_VA_EXP, 0, 0, r_exp, 0 },
  { "exp (x <= 0)", LG_VA_EXP_NEG, 0, 1, r_exp, 0 },
  { "expm1 (x <= 0)", LG_VA_ELU, 1.0, 1, r_expm1, 0 },
  { "sigmoid", LG_VA_SIGMOID, 0, 0, r_sigmoid, 0 },
  { "tanh", LG_VA_TANH, 0, 0, r_tanh, 0 },
  { "silu", LG_VA_SILU, 0, 0, r_silu, 0 },
  { "gelu(tanh)", LG_VA_GELU_TANH, 0, 0, r_gelu_tanh, 0 },
  { "log1p [0, 1]", LG_VA_LOG1P01, 0, 2, r_log1p, 0 },
  { "softplus", LG_VA_SOFTPLUS, 20.0, 0, r_softplus, 0 },
  { "log_sigmoid", LG_VA_LOG_SIGMOID, 0, 0, r_log_sigmoid, 0 },
  { "gelu (erf)", LG_VA_GELU, 0, 0, r_gelu, 0 },
  { "log (tensor math)", LG_VA_LOG, 0, 0, r_log, 0 },
  { "selu", LG_VA_SELU, (double)(float)(SELU_S * SELU_A), 0, r_selu,
    (double)(float)(SELU_S - 1) },
  { "celu (alpha 2)", LG_VA_CELU, 2.0, 0, r_celu2, 0 },
  { "mish", LG_VA_MISH, 0, 0, r_mish, 0 },
  { "softsign", LG_VA_SOFTSIGN, 0, 0, r_softsign, 0 },
};

static double ulp_err(float f, double r)
{
  double a = fabs(r), unit;
  int e;
  if (r != r) return f != f ? 0 : INFINITY;
  if (f != f) return INFINITY;
  if (a > FLT_MAX) {   /* r rounds to inf when beyond FLT_MAX + half an ulp */
    double lim = (double)FLT_MAX + ldexp(1.0, 103);
    if (a >= lim) return f == (r > 0 ? INFINITY : -INFINITY) ? 0 : INFINITY;
  }
  if (isinf(f)) return INFINITY;
  if (a < ldexp(1.0, -126)) unit = ldexp(1.0, -149);
  else {
    frexp(a, &e);
    unit = ldexp(1.0, e - 24);
  }
  return fabs((double)f - r) / unit;
}

#define MAXLV 3
typedef struct job { const fn *f; int lv0, nlv; uint64_t lo, hi, step; double worst[MAXLV]; float at[MAXLV]; } job;

/* the levels' kernels, called directly (the settable level is global) */
static const lg_vf_level *lvtab(int lv)
{
#ifdef LG_SIMD_X86
  if (lv == LG_SIMD_AVX512) return &lg_vf_level_avx512;
  if (lv == LG_SIMD_AVX2) return &lg_vf_level_avx2;
#elif defined(LG_SIMD_ARM)
  if (lv == LG_SIMD_NEON) return &lg_vf_level_neon;
#endif
  (void)lv;
  return &lg_vf_level_portable;
}

static void *run(void *arg)
{
  job *j = arg;
  float *x = malloc(CHUNK * sizeof *x), *y = malloc(MAXLV * CHUNK * sizeof *y);
  uint64_t b;
  size_t i, n;
  int lv;
  if (!x || !y) exit(2);
  for (lv = 0; lv < MAXLV; lv++) {
    j->worst[lv] = 0;
    j->at[lv] = 0;
  }
  for (b = j->lo; b < j->hi; b += CHUNK * j->step) {
    for (n = 0, i = 0; i < CHUNK && b + i * j->step < j->hi; i++) {
      uint32_t u = (uint32_t)(b + i * j->step);
      float v;
      memcpy(&v, &u, 4);
      if (j->f->neg_only == 1 && !(v <= 0.0f)) continue;   /* x <= 0 (and -inf) */
      if (j->f->neg_only == 2 && !(v >= 0.0f && v <= 1.0f)) continue;   /* [0, 1] */
      x[n++] = v;
    }
    for (lv = j->lv0; lv < j->nlv; lv++)
      lvtab(lv)->act(j->f->op, n, y + lv * CHUNK, x, NULL, j->f->a, j->f->b);
    for (i = 0; i < n; i++) {
      double r = j->f->ref((double)x[i]);   /* once for all levels */
      for (lv = j->lv0; lv < j->nlv; lv++) {
        double e = ulp_err(y[lv * CHUNK + i], r);
        if (e > j->worst[lv]) {
          j->worst[lv] = e;
          j->at[lv] = x[i];
        }
      }
    }
  }
  free(x);
  free(y);
  return NULL;
}

int main(int argc, char **argv)
{
  int best = lg_simd_best(), lv, lv0 = 0, only = argc > 1 ? atoi(argv[1]) : -1;
  long st = argc > 2 ? atol(argv[2]) : 1;
  uint64_t step = st > 1 ? (uint64_t)st : 1;
  const char *e = getenv("LG_SIMD");
  size_t k;
  for (lv = best; e && *e && lv >= 0; lv--)
    if (strcmp(e, lg_simd_name(lv)) == 0) lv0 = best = lv;
  if (step > 1)
    printf("worst error in ulps over one float32 bit pattern in %lu (NaN/inf rules checked)\n",
           (unsigned long)step);
  else
    printf("worst error in ulps over all float32 inputs (NaN/inf rules checked)\n");
  printf("%-16s", "function");
  for (lv = lv0; lv <= best; lv++) printf(" %24s", lg_simd_name(lv));
  printf("\n");
  for (k = 0; k < sizeof fns / sizeof *fns; k++) {
    if (only >= 0 && (size_t)only != k) continue;
    {
      pthread_t th[NTHREADS];
      job jobs[NTHREADS];
      int t;
      printf("%-16s", fns[k].name);
      fflush(stdout);
      for (t = 0; t < NTHREADS; t++) {
        jobs[t].f = &fns[k];
        jobs[t].lv0 = lv0;
        jobs[t].nlv = best + 1;
        jobs[t].step = step;
        jobs[t].lo = ((uint64_t)1 << 32) / NTHREADS * t;
        jobs[t].hi = ((uint64_t)1 << 32) / NTHREADS * (t + 1);
        pthread_create(&th[t], NULL, run, &jobs[t]);
      }
      for (t = 0; t < NTHREADS; t++) pthread_join(th[t], NULL);
      for (lv = lv0; lv <= best; lv++) {
        double w = 0;
        float at = 0;
        for (t = 0; t < NTHREADS; t++)
          if (jobs[t].worst[lv] > w) { w = jobs[t].worst[lv]; at = jobs[t].at[lv]; }
        printf("  %7.3f at %-13.9g", w, at);
      }
      printf("\n");
      fflush(stdout);
    }
  }
  return 0;
}
