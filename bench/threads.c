/* bench/threads.c - 1 thread against 2, interleaved: each pair of runs
 * goes back to back, so load from other jobs hits both sides alike. The
 * calls are split exactly as the binding splits them after
 * lg.set_num_threads(2) (lua_act.c, lua_softmax.c, lua_loss.c).
 * Usage: bench_threads [pairs]   (default 21; median and best of each). */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kernels/activation.h"
#include "kernels/loss.h"
#include "kernels/softmax.h"
#include "core/pool.h"
#include "simd/simd.h"
#include "timing.h"

static float *X, *Y;
static int64_t *T;
static size_t R, C, CE_ROWS;
static const lg_activation *A;
static lg_act_params P;
static lg_ce_plan PLAN;
static double SUMS[256][2];


static void act(void *c, size_t lo, size_t hi) { (void)c; A->f32(hi - lo, Y + lo, X + lo, &P); }

static void smx(void *c, size_t lo, size_t hi)
{
  (void)c;
  lg_softmax_f32(hi - lo, C, 1, Y + lo * C, X + lo * C);
}

static void ce(void *c, size_t lo, size_t hi)
{
  size_t b;
  (void)c;
  for (b = lo; b < hi; b++)
    lg_cross_entropy_rows(&PLAN, b * CE_ROWS, R - b * CE_ROWS < CE_ROWS ? R : (b + 1) * CE_ROWS,
                          SUMS[b]);
}

static void run(lg_pool *p, int k)
{
  size_t n = R * C, nb, b;
  double tot[2] = {0, 0};
  if (k == 0) {
    lg_pool_for(p, n, 1, n >= LG_VF_NT_MIN ? LG_VF_NT_MIN : 1024, act, NULL);
  } else if (k == 1) {
    lg_pool_for(p, R, C, n >= LG_VF_NT_MIN ? (LG_VF_NT_MIN + C - 1) / C : 1, smx, NULL);
  } else {
    lg_cross_entropy_plan(&PLAN, LG_F32, R, C, X, T, NULL, LG_NO_IGNORE, 0.0, LG_REDUCTION_MEAN,
                          NULL, Y, NULL);
    CE_ROWS = (LG_POOL_MIN_WORK / 2 + C - 1) / C;
    if (CE_ROWS < (R + 255) / 256) CE_ROWS = (R + 255) / 256;
    nb = (R + CE_ROWS - 1) / CE_ROWS;
    lg_pool_for(p, nb, CE_ROWS * C, 1, ce, NULL);
    for (b = 0; b < nb; b++) tot[0] += SUMS[b][0];
    (void)lg_cross_entropy_loss(&PLAN, tot);
  }
}

static const struct { const char *label, *act; int kind; size_t rows, cols; } rows[] = {
  {"relu", "relu", 0, 1, 16000000},       {"sigmoid", "sigmoid", 0, 1, 16000000},
  {"sigmoid", "sigmoid", 0, 1, 1000000},  {"gelu", "gelu", 0, 1, 1000000},
  {"softmax", NULL, 1, 4096, 1000},       {"softmax", NULL, 1, 1024, 1000},
  {"cross_entropy_fb", NULL, 2, 4096, 1000}, {"cross_entropy_fb", NULL, 2, 1024, 1000},
};

int main(int argc, char **argv)
{
  int pairs = argc > 1 ? atoi(argv[1]) : 21, r;
  size_t i, k, big = 16000000;
  double t1[101], t2[101];
  lg_pool *p = lg_pool_new(2);
  if (pairs < 1 || pairs > 101) pairs = 21;
  X = malloc(big * sizeof(float));
  Y = malloc(big * sizeof(float));
  T = malloc(4096 * sizeof(int64_t));
  if (!X || !Y || !T || !p) return 1;
  for (i = 0; i < big; i++) X[i] = (float)((double)rand() / RAND_MAX * 16 - 8);
  for (i = 0; i < 4096; i++) T[i] = rand() % 1000;
  printf("1 vs 2 threads, float32, %d interleaved pairs (ns/elem)\n", pairs);
  printf("%-18s %-13s %8s %8s %8s %8s %8s %7s\n", "op", "shape", "1t med", "1t best", "2t med",
         "2t best", "speedup", "(best)");
  for (k = 0; k < sizeof rows / sizeof rows[0]; k++) {
    char shape[32];
    double n;
    R = rows[k].rows;
    C = rows[k].cols;
    n = (double)R * C;
    if (rows[k].act) {
      A = lg_activation_find(rows[k].act);
      P.p[0] = A->params[0].def;
      P.p[1] = A->params[1].def;
      P.mode = 0;
    }
    run(NULL, rows[k].kind);
    run(p, rows[k].kind);
    for (r = 0; r < pairs; r++) {
      double t0 = now();
      run(NULL, rows[k].kind);
      t1[r] = now() - t0;
      t0 = now();
      run(p, rows[k].kind);
      t2[r] = now() - t0;
    }
    qsort(t1, (size_t)pairs, sizeof t1[0], cmpd);
    qsort(t2, (size_t)pairs, sizeof t2[0], cmpd);
    if (R == 1) snprintf(shape, sizeof shape, "%g", (double)C);
    else snprintf(shape, sizeof shape, "[%zu,%zu]", R, C);
    printf("%-18s %-13s %8.3f %8.3f %8.3f %8.3f %7.2fx %6.2fx\n", rows[k].label, shape,
           t1[pairs / 2] / n, t1[0] / n, t2[pairs / 2] / n, t2[0] / n, t1[pairs / 2] / t2[pairs / 2],
           t1[0] / t2[0]);
  }
  lg_pool_free(p);
  free(X);
  free(Y);
  free(T);
  return 0;
}
