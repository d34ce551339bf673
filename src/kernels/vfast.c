/* vfast.c - run-time choice of the fast float32 kernels (vfast.h).
 *
 * The level comes from cpuid (+ xgetbv: the OS must save the ymm/zmm
 * state). In the shared library each entry point is a GNU ifunc: the
 * dynamic linker calls the resolver once at load and patches the call
 * target, so no global variable is written afterwards and lua_States in
 * different threads share nothing. Without ifunc (not glibc, not x86) the
 * portable level is used. Test programs built with -DLG_SIMD_TESTABLE get
 * a settable level instead (one global; not for the module). */
#include <math.h>
#include <string.h>

#include "vfast.h"

#if defined(LG_SIMD_X86)
#include <cpuid.h>

static unsigned long long xgetbv0(void)
{
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return ((unsigned long long)hi << 32) | lo;
}

static int detect(void)
{
  unsigned a, b, c, d;
  unsigned long long xcr0;
  const unsigned avx512 = (1u << 16) | (1u << 17) | (1u << 30) | (1u << 31); /* F DQ BW VL */
  if (!__get_cpuid(1, &a, &b, &c, &d)) return LG_SIMD_PORTABLE;
  /* OSXSAVE, AVX, FMA */
  if (!(c & (1u << 27)) || !(c & (1u << 28)) || !(c & (1u << 12))) return LG_SIMD_PORTABLE;
  xcr0 = xgetbv0();
  if ((xcr0 & 6) != 6) return LG_SIMD_PORTABLE;   /* xmm and ymm state */
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(b & (1u << 5))) return LG_SIMD_PORTABLE;
  if ((b & avx512) == avx512 && (xcr0 & 0xe6) == 0xe6)   /* + opmask, zmm state */
    return LG_SIMD_AVX512;
  return LG_SIMD_AVX2;
}
#else
static int detect(void) { return LG_SIMD_PORTABLE; }
#endif

#if defined(__GNUC__)
__attribute__((unused))   /* not by the portable-only build */
#endif
static const lg_vf_level *level_table(int level)
{
#if defined(LG_SIMD_X86)
  if (level == LG_SIMD_AVX512) return &lg_vf_level_avx512;
  if (level == LG_SIMD_AVX2) return &lg_vf_level_avx2;
#endif
  (void)level;
  return &lg_vf_level_portable;
}

int lg_simd_best(void) { return detect(); }

const char *lg_simd_name(int level)
{
  switch (level) {
  case LG_SIMD_AVX512: return "avx512";
  case LG_SIMD_AVX2: return "avx2";
  default: return "portable";
  }
}

typedef void (*vact_fn)(int, size_t, float *, const float *, const float *, double, double);
typedef void (*vsoftmax_fn)(int, size_t, size_t, float *, const float *);
typedef double (*vexpsum_fn)(size_t, float *, const float *, float, const float *, float *,
                             const float *, const lg_vpend *);
typedef void (*vpendout_fn)(size_t, const lg_vpend *);
typedef float (*vmax_fn)(size_t, const float *);
typedef double (*vsum_fn)(size_t, const float *);
typedef int (*vce_fn)(size_t, size_t, const float *, const int64_t *, const float *, int64_t,
                      double, float *, float *, double *);

#if defined(LG_SIMD_TESTABLE)

static int cur_level = -1;

static const lg_vf_level *cur(void)
{
  if (cur_level < 0) cur_level = detect();
  return level_table(cur_level);
}

int lg_simd_set_level(int level)
{
  int b = detect();
  cur_level = level < 0 || level > b ? b : level;
  return cur_level;
}

int lg_simd_level(void) { (void)cur(); return cur_level; }

void lg_vact_f32(int op, size_t n, float *y, const float *x, const float *dy, double a,
                 double b)
{
  cur()->act(op, n, y, x, dy, a, b);
}
void lg_vsoftmax_f32(int op, size_t rows, size_t n, float *y, const float *x)
{
  cur()->softmax(op, rows, n, y, x);
}
double lg_vexpsum_f32(size_t n, float *e, const float *x, float m, const float *xn, float *mn,
                      const float *pf, const lg_vpend *prev)
{
  return cur()->expsum(n, e, x, m, xn, mn, pf, prev);
}
void lg_vpendout_f32(size_t n, const lg_vpend *prev)
{
  cur()->pendout(n, prev);
}
float lg_vmax_f32(size_t n, const float *x) { return cur()->max(n, x); }
double lg_vsum_f32(size_t n, const float *x) { return cur()->sum(n, x); }
int lg_vce_f32(size_t rows, size_t n, const float *z, const int64_t *t, const float *w,
               int64_t ignore, double a, float *losses, float *grad, double *nll_sum)
{
  return cur()->ce(rows, n, z, t, w, ignore, a, losses, grad, nll_sum);
}

#elif defined(LG_SIMD_X86) && defined(__linux__) && defined(__GLIBC__) && defined(__PIC__)

int lg_simd_set_level(int level) { (void)level; return detect(); }
int lg_simd_level(void) { return detect(); }

/* ifunc resolvers: run once by the dynamic linker, before any call
 * (`used`: clang does not count the ifunc attribute as a use) */
#define LG_RESOLVER static __attribute__((used))
LG_RESOLVER vact_fn resolve_vact(void) { return level_table(detect())->act; }
LG_RESOLVER vsoftmax_fn resolve_vsoftmax(void) { return level_table(detect())->softmax; }
LG_RESOLVER vexpsum_fn resolve_vexpsum(void) { return level_table(detect())->expsum; }
LG_RESOLVER vmax_fn resolve_vmax(void) { return level_table(detect())->max; }
LG_RESOLVER vpendout_fn resolve_vpendout(void) { return level_table(detect())->pendout; }
LG_RESOLVER vsum_fn resolve_vsum(void) { return level_table(detect())->sum; }
LG_RESOLVER vce_fn resolve_vce(void) { return level_table(detect())->ce; }

void lg_vact_f32(int op, size_t n, float *y, const float *x, const float *dy, double a,
                 double b) __attribute__((ifunc("resolve_vact")));
void lg_vsoftmax_f32(int op, size_t rows, size_t n, float *y, const float *x)
    __attribute__((ifunc("resolve_vsoftmax")));
double lg_vexpsum_f32(size_t n, float *e, const float *x, float m, const float *xn, float *mn,
                      const float *pf, const lg_vpend *prev)
    __attribute__((ifunc("resolve_vexpsum")));
void lg_vpendout_f32(size_t n, const lg_vpend *prev)
    __attribute__((ifunc("resolve_vpendout")));
float lg_vmax_f32(size_t n, const float *x) __attribute__((ifunc("resolve_vmax")));
double lg_vsum_f32(size_t n, const float *x) __attribute__((ifunc("resolve_vsum")));
int lg_vce_f32(size_t rows, size_t n, const float *z, const int64_t *t, const float *w,
               int64_t ignore, double a, float *losses, float *grad, double *nll_sum)
    __attribute__((ifunc("resolve_vce")));

#else   /* no ifunc: the portable level, no state */

int lg_simd_set_level(int level) { (void)level; return LG_SIMD_PORTABLE; }
int lg_simd_level(void) { return LG_SIMD_PORTABLE; }

void lg_vact_f32(int op, size_t n, float *y, const float *x, const float *dy, double a,
                 double b)
{
  lg_vf_level_portable.act(op, n, y, x, dy, a, b);
}
void lg_vsoftmax_f32(int op, size_t rows, size_t n, float *y, const float *x)
{
  lg_vf_level_portable.softmax(op, rows, n, y, x);
}
double lg_vexpsum_f32(size_t n, float *e, const float *x, float m, const float *xn, float *mn,
                      const float *pf, const lg_vpend *prev)
{
  return lg_vf_level_portable.expsum(n, e, x, m, xn, mn, pf, prev);
}
void lg_vpendout_f32(size_t n, const lg_vpend *prev)
{
  lg_vf_level_portable.pendout(n, prev);
}
float lg_vmax_f32(size_t n, const float *x) { return lg_vf_level_portable.max(n, x); }
double lg_vsum_f32(size_t n, const float *x) { return lg_vf_level_portable.sum(n, x); }
int lg_vce_f32(size_t rows, size_t n, const float *z, const int64_t *t, const float *w,
               int64_t ignore, double a, float *losses, float *grad, double *nll_sum)
{
  return lg_vf_level_portable.ce(rows, n, z, t, w, ignore, a, losses, grad, nll_sum);
}

#endif
