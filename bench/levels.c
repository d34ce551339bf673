/* bench/levels.c - the float32 activations at every SIMD level this
 * machine has, side by side in one run (no Lua).
 * Usage: bench_levels [rounds] [op ...]   (default 9 rounds, all ops)
 * Each round times every op at every level in turn (interleaved, so a
 * drift in the machine's speed hits all levels alike); a level's figure
 * in a round is the best of 3 calls, its row the median over the rounds,
 * in ns per element of a 1e6 float32 array (uniform in [-8, 8], out form:
 * y != x). The last columns are the ratios of each level to the next one up
 * (x86: avx2/avx512, portable/avx2; AArch64: portable/neon). */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/activation.h"
#include "simd/simd.h"
#include "timing.h"

#define N 1000000
#define MAXR 64

typedef struct { const char *label, *act; int mode, bw; } op_t;
static const op_t OPS[] = {
  { "relu", "relu", 0, 0 },
  { "sigmoid", "sigmoid", 0, 0 },
  { "silu", "silu", 0, 0 },
  { "tanh", "tanh", 0, 0 },
  { "elu", "elu", 0, 0 },
  { "softplus", "softplus", 0, 0 },
  { "gelu_tanh", "gelu", 1, 0 },
  { "gelu", "gelu", 0, 0 },
  { "log_sigmoid", "log_sigmoid", 0, 0 },
  { "sigmoid_backward", "sigmoid", 0, 1 },
  { "tanh_backward", "tanh", 0, 1 },
  { "sigmoid_backward_y", "sigmoid_y", 0, 1 },
  { "tanh_backward_y", "tanh_y", 0, 1 },
};
#define NOPS (sizeof OPS / sizeof OPS[0])

static float *X, *Y, *G, *S;   /* S: sigmoid/tanh outputs for the _y rows */

static double once(const op_t *o)
{
  const lg_activation *A;
  lg_act_params P;
  double t0;
  const float *x = X;
  if (strcmp(o->act, "sigmoid_y") == 0) A = &lg_activations_from_output[0];
  else if (strcmp(o->act, "tanh_y") == 0) A = &lg_activations_from_output[1];
  else A = lg_activation_find(o->act);
  if (A->nparams == 0 || strcmp(o->act, "sigmoid_y") == 0 || strcmp(o->act, "tanh_y") == 0) {
    P.p[0] = P.p[1] = 0.0;
  } else {
    P.p[0] = A->params[0].def;
    P.p[1] = A->params[1].def;
  }
  P.mode = o->mode;
  if (strcmp(o->act, "sigmoid_y") == 0 || strcmp(o->act, "tanh_y") == 0) x = S;
  t0 = now();
  if (o->bw) A->b32(N, Y, G, x, &P);
  else A->f32(N, Y, x, &P);
  return (now() - t0) / N;
}

int main(int argc, char **argv)
{
  int rounds = argc > 1 ? atoi(argv[1]) : 9, best = lg_simd_best(), r, lv, k;
  size_t i, o;
  static double t[NOPS][3][MAXR];
  void *b[4];
  if (rounds < 1 || rounds > MAXR) rounds = 9;
  for (k = 0; k < 4; k++) {
    b[k] = malloc(N * sizeof(float) + 64);
    if (!b[k]) return 1;
  }
  X = (float *)(((uintptr_t)b[0] + 63) & ~(uintptr_t)63);   /* aligned as lgrad's tensors */
  Y = (float *)(((uintptr_t)b[1] + 63) & ~(uintptr_t)63);
  G = (float *)(((uintptr_t)b[2] + 63) & ~(uintptr_t)63);
  S = (float *)(((uintptr_t)b[3] + 63) & ~(uintptr_t)63);
  srand(1);
  for (i = 0; i < N; i++) {
    X[i] = (float)((double)rand() / RAND_MAX * 16 - 8);
    G[i] = (float)((double)rand() / RAND_MAX * 2 - 1);
    S[i] = (float)((double)rand() / RAND_MAX * 2 - 1);
  }
  printf("float32 activations, 1e6 elements, 1 thread, ns/elem: median over %d interleaved "
         "rounds (best of 3 per round); levels up to %s\n", rounds, lg_simd_name(best));
  for (r = 0; r < rounds; r++)
    for (o = 0; o < NOPS; o++) {
      int use = argc <= 2;
      for (k = 2; k < argc; k++) use |= strcmp(argv[k], OPS[o].label) == 0;
      if (!use) continue;
      for (lv = 0; lv <= best; lv++) {
        double m = 1e30, v;
        lg_simd_set_level(lv);
        for (k = 0; k < 3; k++) if ((v = once(&OPS[o])) < m) m = v;
        t[o][lv][r] = m;
      }
    }
  printf("%-20s", "op");
  for (lv = 0; lv <= best; lv++) printf(" %9s", lg_simd_name(lv));
  for (lv = best; lv > 0; lv--) {
    char h[32];
    snprintf(h, sizeof h, "%s/%s", lg_simd_name(lv - 1), lg_simd_name(lv));
    printf(" %14s", h);
  }
  printf("\n");
  for (o = 0; o < NOPS; o++) {
    double med[3] = { 0, 0, 0 };
    int use = argc <= 2;
    for (k = 2; k < argc; k++) use |= strcmp(argv[k], OPS[o].label) == 0;
    if (!use) continue;
    for (lv = 0; lv <= best; lv++) {
      qsort(t[o][lv], (size_t)rounds, sizeof(double), cmpd);
      med[lv] = t[o][lv][rounds / 2];
    }
    printf("%-20s", OPS[o].label);
    for (lv = 0; lv <= best; lv++) printf(" %9.3f", med[lv]);
    for (lv = best; lv > 0; lv--) printf(" %14.2f", med[lv] > 0 ? med[lv - 1] / med[lv] : 0.0);
    printf("\n");
  }
  lg_simd_set_level(LG_SIMD_AUTO);
  for (k = 0; k < 4; k++) free(b[k]);
  return 0;
}
