/* vfast.c - run-time dispatch of the fast float32 kernels (vfast.h).
 * vfast_body.h is compiled once per level; a table of pointers is filled
 * at load time from __builtin_cpu_supports. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"   /* see vmath.h */
#endif
#include <math.h>
#include <string.h>

#include "vfast.h"
#include "vmath.h"

typedef struct vf_level {
  void (*act)(int, size_t, float *, const float *, const float *, float);
  void (*softmax)(int, size_t, size_t, float *, const float *);
  double (*expsum)(size_t, float *, const float *, float);
  float (*max)(size_t, const float *);
} vf_level;

#define VF_TGT
#define VF_NAME(f) f##_portable
#include "vfast_body.h"
#undef VF_TGT
#undef VF_NAME

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define LG_X86 1
#define VF_TGT __attribute__((target("avx2,fma")))
#define VF_NAME(f) f##_avx2
#include "vfast_body.h"
#undef VF_TGT
#undef VF_NAME
#define VF_TGT __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw")))
#define VF_NAME(f) f##_avx512
#include "vfast_body.h"
#undef VF_TGT
#undef VF_NAME
#endif

static const vf_level levels[] = {
  { vact_portable, vsoftmax_portable, vexpsum_portable, vmax_portable },
#ifdef LG_X86
  { vact_avx2, vsoftmax_avx2, vexpsum_avx2, vmax_avx2 },
  { vact_avx512, vsoftmax_avx512, vexpsum_avx512, vmax_avx512 },
#endif
};

static int best = -1;          /* set on first use (or at load time) */
static const vf_level *cur = &levels[0];
static int cur_level = 0;

static int detect(void)
{
#ifdef LG_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw"))
    return LG_SIMD_AVX512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return LG_SIMD_AVX2;
#endif
  return LG_SIMD_PORTABLE;
}

#if defined(__GNUC__)
/* Pick the level before any thread can call a kernel. */
__attribute__((constructor)) static void vf_init(void)
{
  lg_simd_set_level(LG_SIMD_AUTO);
}
#endif

int lg_simd_best(void)
{
  if (best < 0) best = detect();
  return best;
}

int lg_simd_set_level(int level)
{
  int b = lg_simd_best();
  if (level < 0 || level > b) level = b;
  cur_level = level;
  cur = &levels[level];
  return level;
}

int lg_simd_level(void) { return cur_level; }

const char *lg_simd_name(int level)
{
  switch (level) {
  case LG_SIMD_AVX512: return "avx512";
  case LG_SIMD_AVX2: return "avx2";
  default: return "portable";
  }
}

void lg_vact_f32(int op, size_t n, float *y, const float *x, const float *dy, float a)
{
  cur->act(op, n, y, x, dy, a);
}

void lg_vsoftmax_f32(int op, size_t rows, size_t n, float *y, const float *x)
{
  cur->softmax(op, rows, n, y, x);
}

double lg_vexpsum_f32(size_t n, float *e, const float *x, float m)
{
  return cur->expsum(n, e, x, m);
}

float lg_vmax_f32(size_t n, const float *x)
{
  return cur->max(n, x);
}
