/* dispatch.c - the choice of the fast float32 kernels (simd.h).
 *
 * The level comes from cpuid, and xgetbv for the OS's part: it must save
 * the ymm (and for AVX-512 the opmask and zmm) state, or the registers
 * would be lost at a context switch. LGRAD_SIMD may ask for a lower one.
 * The choice is made once, on the first call (through the starters
 * below), and stored in lg_vf_cur: threads racing there compute the same
 * table and only the first store counts (a compare-and-swap), so only one
 * of them prints the warning.
 * Nothing here needs glibc, ifunc or a dynamic linker: macOS, musl,
 * Windows and static links get the same levels. On AArch64 the best is
 * neon, known at compile time (Advanced SIMD is part of the architecture:
 * Linux, macOS and Windows alike); other targets, or a compiler without
 * GNU vectors, have only the portable level. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simd/simd.h"

/* The starters: choose, then call the chosen level's kernel. */
static void start_act(int op, size_t n, float *y, const float *x, const float *dy, double a,
                      double b)
{
  lg_vf_choose()->act(op, n, y, x, dy, a, b);
}
static void start_softmax(int op, size_t rows, size_t n, float *y, const float *x)
{
  lg_vf_choose()->softmax(op, rows, n, y, x);
}
static double start_expsum(size_t n, float *e, const float *x, float m, const float *xn,
                           float *mn, const float *pf, const lg_vpend *prev)
{
  return lg_vf_choose()->expsum(n, e, x, m, xn, mn, pf, prev);
}
static float start_max(size_t n, const float *x) { return lg_vf_choose()->max(n, x); }
static void start_pendout(size_t n, const lg_vpend *prev) { lg_vf_choose()->pendout(n, prev); }
static double start_sum(size_t n, const float *x) { return lg_vf_choose()->sum(n, x); }
static int start_ce(size_t rows, size_t n, const float *z, const int64_t *t, const float *w,
                    int64_t ignore, double a, float *losses, float *grad, double *nll_sum)
{
  return lg_vf_choose()->ce(rows, n, z, t, w, ignore, a, losses, grad, nll_sum);
}
static const lg_vf_level starters = {
  start_act, start_softmax, start_expsum, start_max, start_pendout, start_sum, start_ce
};

const lg_vf_level *lg_vf_cur = &starters;

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
#elif defined(LG_SIMD_ARM)
static int detect(void) { return LG_SIMD_NEON; }
#else
static int detect(void) { return LG_SIMD_PORTABLE; }
#endif

/* the highest rank this build has tables for */
#if defined(LG_SIMD_X86)
#define LG_SIMD_TOP LG_SIMD_AVX512
#elif defined(LG_SIMD_ARM)
#define LG_SIMD_TOP LG_SIMD_NEON
#else
#define LG_SIMD_TOP LG_SIMD_PORTABLE
#endif

static const lg_vf_level *level_table(int level)
{
#if defined(LG_SIMD_X86)
  if (level == LG_SIMD_AVX512) return &lg_vf_level_avx512;
  if (level == LG_SIMD_AVX2) return &lg_vf_level_avx2;
#elif defined(LG_SIMD_ARM)
  if (level == LG_SIMD_NEON) return &lg_vf_level_neon;
#endif
  (void)level;
  return &lg_vf_level_portable;
}

int lg_simd_best(void) { return detect(); }

const char *lg_simd_name(int level)
{
  switch (level) {
#if defined(LG_SIMD_ARM)
  case LG_SIMD_NEON: return "neon";
#else
  case LG_SIMD_AVX512: return "avx512";
  case LG_SIMD_AVX2: return "avx2";
#endif
  default: return "portable";
  }
}

/* Every level's name on any architecture: LGRAD_SIMD=neon on x86 (or avx2
 * on AArch64) is a level this machine lacks, not a misspelling. */
static int is_level_name(const char *e)
{
  static const char *const names[] = { "portable", "avx2", "avx512", "neon" };
  size_t i;
  for (i = 0; i < sizeof names / sizeof *names; i++)
    if (strcmp(e, names[i]) == 0) return 1;
  return 0;
}

/* Stores t unless a level is chosen already; returns the table in use and
 * whether this call stored it. */
static const lg_vf_level *publish(const lg_vf_level *t, int *stored)
{
#if defined(__GNUC__)
  const lg_vf_level *expected = &starters;
  *stored = __atomic_compare_exchange_n(&lg_vf_cur, &expected, t, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE);
  return *stored ? t : expected;
#else
  /* no atomics: a pointer store is whole on every target lgrad builds for;
   * a race may print the warning twice, nothing worse */
  *stored = lg_vf_cur == &starters;
  if (*stored) lg_vf_cur = t;
  return lg_vf_cur;
#endif
}

const lg_vf_level *lg_vf_choose(void)
{
  const char *e = getenv("LGRAD_SIMD");
  int best = detect(), lv = best, want = -1, stored;
  const lg_vf_level *t;
  if (e != NULL && *e != '\0') {
    for (want = LG_SIMD_TOP; want >= 0; want--)
      if (strcmp(e, lg_simd_name(want)) == 0) break;
    if (want >= 0 && want <= best) lv = want;
  }
  t = publish(level_table(lv), &stored);
  if (stored && e != NULL && *e != '\0' && lv != want)
    fprintf(stderr, "lgrad: LGRAD_SIMD=%s %s; using %s\n", e,
            want < 0 && !is_level_name(e) ? "is not portable, avx2, avx512 or neon"
                                          : "is not supported by this machine",
            lg_simd_name(lv));
  return t;
}

int lg_simd_level(void)
{
  const lg_vf_level *t = lg_vf_table();
  int lv;
  if (t == &starters) t = lg_vf_choose();
  for (lv = detect(); lv > 0; lv--)   /* the tables up to the best are distinct */
    if (t == level_table(lv)) break;
  return lv;
}

int lg_simd_set_level(int level)
{
  int b = detect();
  const lg_vf_level *t = level_table(level < 0 || level > b ? b : level);
#if defined(__GNUC__)
  __atomic_store_n(&lg_vf_cur, t, __ATOMIC_RELEASE);
#else
  lg_vf_cur = t;
#endif
  return lg_simd_level();
}
