/* bench/kernels.c - time the float32 kernels directly (no Lua).
 * Usage: bench_kernels [torch.txt]   (torch.txt: lines "op shape ns", from
 * bench/compare_torch.py; missing rows print "-").
 * Each row: median over REPS runs of the ns per element, GB/s (bytes read
 * + written), ratio to a (1-thread) memcpy of the same bytes measured in
 * this run, the PyTorch figure and torch/lgrad (> 1: lgrad faster). Rows
 * with threads > 1 split the call over a pool (src/core/pool.h) as the binding
 * does after lg.set_num_threads(n); PyTorch then runs with as many. */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels/activation.h"
#include "kernels/softmax.h"
#include "kernels/loss.h"
#include "simd/simd.h"
#include "core/pool.h"
#include "timing.h"

#define REPS 15


static char tnames[64][48];
static double tns[64];
static int nt;

static double torch_ns(const char *key)
{
  int i;
  for (i = 0; i < nt; i++) if (strcmp(tnames[i], key) == 0) return tns[i];
  return -1;
}

static float *X, *Y, *G;
static void *xb, *yb, *gb;   /* the blocks behind X, Y, G */
static int64_t *T;
static const lg_activation *A;
static lg_act_params P;
static size_t R, C;   /* rows, cols */

enum { K_COPY, K_ACT, K_ACTB, K_SOFTMAX, K_LOGSOFTMAX, K_LSE, K_CE };

/* Rows with THREADS > 1 run through POOL, split as the binding splits
 * them (lua_act.c, lua_softmax.c, lua_loss.c). */
static int THREADS = 1;
static lg_pool *POOL;
static lg_ce_plan PLAN;
static double SUMS[256][2];
static size_t CE_ROWS;

static void act_chunk(void *ctx, size_t lo, size_t hi)
{
  (void)ctx;
  A->f32(hi - lo, Y + lo, X + lo, &P);
}

static void smx_chunk(void *ctx, size_t lo, size_t hi)
{
  (void)ctx;
  lg_softmax_f32(hi - lo, C, 1, Y + lo * C, X + lo * C);
}

static void ce_chunk(void *ctx, size_t lo, size_t hi)
{
  size_t b;
  (void)ctx;
  for (b = lo; b < hi; b++)
    lg_cross_entropy_rows(&PLAN, b * CE_ROWS, R - b * CE_ROWS < CE_ROWS ? R : (b + 1) * CE_ROWS,
                          SUMS[b]);
}

static void run_pool(int k)
{
  size_t nb, b;
  double tot[2] = {0, 0};
  switch (k) {
  case K_ACT:
    lg_pool_for(POOL, R * C, 1, R * C >= LG_VF_NT_MIN ? LG_VF_NT_MIN : 1024, act_chunk, NULL);
    break;
  case K_SOFTMAX:
    lg_pool_for(POOL, R, C, R * C >= LG_VF_NT_MIN ? (LG_VF_NT_MIN + C - 1) / C : 1, smx_chunk,
                NULL);
    break;
  case K_CE:
    lg_cross_entropy_plan(&PLAN, LG_F32, R, C, X, T, NULL, LG_NO_IGNORE, 0.0, LG_REDUCTION_MEAN,
                          NULL, Y, NULL);
    CE_ROWS = (LG_POOL_MIN_WORK / 2 + C - 1) / C;
    if (CE_ROWS < (R + 255) / 256) CE_ROWS = (R + 255) / 256;
    nb = (R + CE_ROWS - 1) / CE_ROWS;
    lg_pool_for(POOL, nb, CE_ROWS * C, 1, ce_chunk, NULL);
    for (b = 0; b < nb; b++) tot[0] += SUMS[b][0];
    (void)lg_cross_entropy_loss(&PLAN, tot);
    break;
  default: abort();
  }
}

static void run(int k)
{
  double loss;
  if (POOL && k != K_COPY) {
    run_pool(k);
    return;
  }
  switch (k) {
  case K_COPY: memcpy(Y, X, R * C * sizeof(float)); break;
  case K_ACT: A->f32(R * C, Y, X, &P); break;
  case K_ACTB: A->b32(R * C, Y, G, X, &P); break;
  case K_SOFTMAX: lg_softmax_f32(R, C, 1, Y, X); break;
  case K_LOGSOFTMAX: lg_log_softmax_f32(R, C, 1, Y, X); break;
  case K_LSE: lg_logsumexp_f32(R, C, 1, Y, X); break;
  default:
    lg_cross_entropy_f32(R, C, X, T, NULL, LG_NO_IGNORE, 0.0, LG_REDUCTION_MEAN, NULL, &loss, Y,
                         NULL);
  }
}

/* median ns per call */
static double timeit(int k)
{
  double t[REPS];
  int r, inner = R * C < 100000 ? (int)(2000000 / (R * C) + 1) : 1, i;
  run(k);
  for (r = 0; r < REPS; r++) {
    double t0 = now();
    for (i = 0; i < inner; i++) run(k);
    t[r] = (now() - t0) / inner;
  }
  qsort(t, REPS, sizeof t[0], cmpd);
  return t[REPS / 2];
}

static void row(const char *label, const char *act, int gelu_tanh, int k, size_t rows,
                size_t cols, double bytes_per_el)
{
  char shape[32], key[80], tlabel[32];
  double ns, cp, tn, n = (double)rows * cols;
  size_t i, ln = strlen(label);
  R = rows;
  C = cols;
  for (i = 0; i < rows * cols; i++) {
    X[i] = (float)((double)rand() / RAND_MAX * 16 - 8);
    G[i] = (float)((double)rand() / RAND_MAX * 2 - 1);
  }
  for (i = 0; i < rows; i++) T[i] = rand() % (int)cols;
  if (act && strcmp(act, "sigmoid_y") == 0) {
    A = &lg_activations_from_output[0];   /* X holds y */
  } else if (act && strcmp(act, "tanh_y") == 0) {
    A = &lg_activations_from_output[1];
  } else if (act) {
    A = lg_activation_find(act);
    P.p[0] = A->params[0].def;
    P.p[1] = A->params[1].def;
    P.mode = gelu_tanh;
  }
  ns = timeit(k) / n;
  cp = timeit(K_COPY) / n;   /* memcpy moves 8 bytes per element */
  if (rows == 1) snprintf(shape, sizeof shape, "%g", (double)cols);
  else snprintf(shape, sizeof shape, "[%zu,%zu]", rows, cols);
  /* NAME_y (from the saved output) pairs with torch's NAME row, which is
   * aten's backward from the output too */
  snprintf(tlabel, sizeof tlabel, "%.*s", (int)(ln > 2 && strcmp(label + ln - 2, "_y") == 0
                                                ? ln - 2 : ln), label);
  if (THREADS > 1) snprintf(key, sizeof key, "%s@%d %s", tlabel, THREADS, shape);
  else snprintf(key, sizeof key, "%s %s", tlabel, shape);
  tn = torch_ns(key);
  printf("%-22s %-13s %7d %9.3f %8.1f %8.2f", label, shape, THREADS, ns, bytes_per_el / ns,
         ns / (cp * bytes_per_el / 8));
  if (tn > 0) printf(" %9.3f %7.2fx\n", tn, tn / ns);
  else printf(" %9s %8s\n", "-", "-");
}

int main(int argc, char **argv)
{
  size_t big = 16000000;
  FILE *f;
  int lv;
  if (argc > 1 && (f = fopen(argv[1], "r")) != NULL) {
    char a[24], b[24];
    double v;
    while (nt < 64 && fscanf(f, "%23s %23s %lf", a, b, &v) == 3) {
      snprintf(tnames[nt], sizeof tnames[nt], "%s %s", a, b);
      tns[nt++] = v;
    }
    fclose(f);
  }
  /* 64-byte aligned, as lgrad's tensors (lua_storage.c) and PyTorch's are:
   * malloc's large blocks sit 16 bytes past a page, which would split every
   * 64-byte vector access across two cache lines */
  xb = malloc(big * sizeof(float) + 64);
  yb = malloc(big * sizeof(float) + 64);
  gb = malloc(big * sizeof(float) + 64);
  T = malloc(65536 * sizeof(int64_t));
  if (!xb || !yb || !gb || !T) return 1;
  X = (float *)(((uintptr_t)xb + 63) & ~(uintptr_t)63);
  Y = (float *)(((uintptr_t)yb + 63) & ~(uintptr_t)63);
  G = (float *)(((uintptr_t)gb + 63) & ~(uintptr_t)63);
  lv = lg_simd_level();   /* the best, or what LGRAD_SIMD asks for (as lgrad itself) */
  printf("lgrad kernels, float32, SIMD level %s (best here: %s; LGRAD_SIMD=%s); median of %d "
         "runs\n", lg_simd_name(lv), lg_simd_name(lg_simd_best()),
         getenv("LGRAD_SIMD") ? getenv("LGRAD_SIMD") : "", REPS);
  printf("%-22s %-13s %7s %9s %8s %8s %9s %8s\n", "op", "shape", "threads", "ns/elem", "GB/s",
         "x memcpy", "torch ns", "speedup");
  row("memcpy", NULL, 0, K_COPY, 1, 1000000, 8);
  row("relu", "relu", 0, K_ACT, 1, 1000000, 8);
  row("relu", "relu", 0, K_ACT, 1, big, 8);
  row("relu_backward", "relu", 0, K_ACTB, 1, 1000000, 12);
  row("leaky_relu", "leaky_relu", 0, K_ACT, 1, 1000000, 8);
  row("hardswish", "hardswish", 0, K_ACT, 1, 1000000, 8);
  row("sigmoid", "sigmoid", 0, K_ACT, 1, 1000000, 8);
  row("silu", "silu", 0, K_ACT, 1, 1000000, 8);
  row("tanh", "tanh", 0, K_ACT, 1, 1000000, 8);
  row("gelu", "gelu", 0, K_ACT, 1, 1000000, 8);
  row("gelu_tanh", "gelu", 1, K_ACT, 1, 1000000, 8);
  row("softplus", "softplus", 0, K_ACT, 1, 1000000, 8);
  row("elu", "elu", 0, K_ACT, 1, 1000000, 8);
  row("log_sigmoid", "log_sigmoid", 0, K_ACT, 1, 1000000, 8);
  row("sigmoid", "sigmoid", 0, K_ACT, 1, big, 8);
  row("sigmoid_backward", "sigmoid", 0, K_ACTB, 1, 1000000, 12);
  row("tanh_backward", "tanh", 0, K_ACTB, 1, 1000000, 12);
  row("sigmoid_backward_y", "sigmoid_y", 0, K_ACTB, 1, 1000000, 12);
  row("tanh_backward_y", "tanh_y", 0, K_ACTB, 1, 1000000, 12);
  row("softmax", NULL, 0, K_SOFTMAX, 4096, 1000, 8);
  row("log_softmax", NULL, 0, K_LOGSOFTMAX, 4096, 1000, 8);
  row("softmax", NULL, 0, K_SOFTMAX, 65536, 10, 8);
  row("logsumexp", NULL, 0, K_LSE, 4096, 1000, 4);
  row("cross_entropy_fb", NULL, 0, K_CE, 4096, 1000, 8);
  row("cross_entropy_fb", NULL, 0, K_CE, 65536, 10, 8);
  row("softmax", NULL, 0, K_SOFTMAX, 1, 3, 8);
  /* on 2 threads: the large rows (memory-bound here: 16+ MB each way), then
   * rows that fit the caches */
  THREADS = 2;
  POOL = lg_pool_new(THREADS);
  if (POOL) {
    row("relu", "relu", 0, K_ACT, 1, big, 8);
    row("sigmoid", "sigmoid", 0, K_ACT, 1, big, 8);
    row("softmax", NULL, 0, K_SOFTMAX, 4096, 1000, 8);
    row("cross_entropy_fb", NULL, 0, K_CE, 4096, 1000, 8);
    row("sigmoid", "sigmoid", 0, K_ACT, 1, 1000000, 8);
    row("gelu", "gelu", 0, K_ACT, 1, 1000000, 8);
    row("softmax", NULL, 0, K_SOFTMAX, 65536, 10, 8);
    row("cross_entropy_fb", NULL, 0, K_CE, 65536, 10, 8);
    lg_pool_free(POOL);
    POOL = NULL;
  }
  THREADS = 1;
  if (lv > 0) {
    int top = lv;
    printf("\nsame rows at lower dispatch levels (ns/elem):\n");
    for (lv = top - 1; lv >= 0; lv--) {
      lg_simd_set_level(lv);
      printf("[%s]\n", lg_simd_name(lv));
      row("relu", "relu", 0, K_ACT, 1, 1000000, 8);
      row("sigmoid", "sigmoid", 0, K_ACT, 1, 1000000, 8);
      row("tanh", "tanh", 0, K_ACT, 1, 1000000, 8);
      row("gelu_tanh", "gelu", 1, K_ACT, 1, 1000000, 8);
      row("gelu", "gelu", 0, K_ACT, 1, 1000000, 8);
      row("softplus", "softplus", 0, K_ACT, 1, 1000000, 8);
      row("sigmoid_backward", "sigmoid", 0, K_ACTB, 1, 1000000, 12);
      row("sigmoid_backward_y", "sigmoid_y", 0, K_ACTB, 1, 1000000, 12);
      row("tanh_backward_y", "tanh_y", 0, K_ACTB, 1, 1000000, 12);
      row("softmax", NULL, 0, K_SOFTMAX, 4096, 1000, 8);
      row("log_softmax", NULL, 0, K_LOGSOFTMAX, 4096, 1000, 8);
      row("softmax", NULL, 0, K_SOFTMAX, 65536, 10, 8);
      row("cross_entropy_fb", NULL, 0, K_CE, 4096, 1000, 8);
    }
    lg_simd_set_level(top);
  }
  free(xb); free(yb); free(gb); free(T);
  return 0;
}
