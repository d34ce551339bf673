/* bench/ktorch.c - lgrad's float32 kernels as a tiny shared library for
 * bench/torch_levels.py, which loads it with ctypes and times it beside
 * PyTorch in the same process, on the same buffers, interleaved (no Lua).
 * Only these entry points are exported. */
#include <string.h>

#include "kernels/activation.h"
#include "kernels/softmax.h"
#include "simd/simd.h"

#define KT_API __attribute__((visibility("default")))

KT_API int kt_set_level(int level);
KT_API int kt_act(const char *name, int mode, size_t n, float *y, const float *x);
KT_API void kt_softmax(int op, size_t rows, size_t n, float *y, const float *x);

/* returns the level now in use (clamped to the machine's best) */
int kt_set_level(int level) { return lg_simd_set_level(level); }

/* y = act(x) with the activation's default parameters (mode: gelu's
 * approximate, 1 = tanh); -1 if there is no such activation */
int kt_act(const char *name, int mode, size_t n, float *y, const float *x)
{
  const lg_activation *A = lg_activation_find(name);
  lg_act_params P;
  if (!A) return -1;
  P.p[0] = A->nparams > 0 ? A->params[0].def : 0.0;
  P.p[1] = A->nparams > 1 ? A->params[1].def : 0.0;
  P.mode = mode;
  A->f32(n, y, x, &P);
  return 0;
}

/* op 0 softmax, 1 log_softmax, 2 logsumexp (y: rows floats) over the last dim */
void kt_softmax(int op, size_t rows, size_t n, float *y, const float *x)
{
  if (op == 0) lg_softmax_f32(rows, n, 1, y, x);
  else if (op == 1) lg_log_softmax_f32(rows, n, 1, y, x);
  else lg_logsumexp_f32(rows, n, 1, y, x);
}
