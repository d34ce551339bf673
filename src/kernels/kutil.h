/* kutil.h - private helpers shared by the kernel files (not an API).
 * One function body serves both dtypes: the body takes a constant f64 flag,
 * is forced inline into the _f32 and _f64 wrappers, and the compiler folds
 * the flag away, so there is no macro template and no per-element branch. */
#ifndef LG_KERNELS_KUTIL_H
#define LG_KERNELS_KUTIL_H

#include <math.h>
#include "lg_common.h"

#if defined(__GNUC__)
#define LG_ALWAYS_INLINE static inline __attribute__((always_inline))
#else
#define LG_ALWAYS_INLINE static inline
/* The rounding error of d = x - m (TwoSum: x - m = d + lo exactly), 0
 * where d is not finite; exp(x - m) = exp(d) (1 + lo) far below an ulp
 * (softmax of tiny probabilities; vmath.h's v_sub_lo in float). */
LG_ALWAYS_INLINE double lg_sub_lo(double x, double m, double d)
{
  double bb = d - x, lo = (x - (d - bb)) - (m + bb);
  return d - d == 0.0 ? lo : 0.0;
}

/* Compensated (TwoSum) accumulation for sums of many terms (loss totals,
 * float64 reductions): *s + *c carries the sum to about an ulp whatever
 * the count, where a running sum loses up to n ulps. lg_kval gives the
 * result; once *s is +-inf or NaN, *c is NaN and *s alone is the answer. */
LG_ALWAYS_INLINE void lg_kadd(double *s, double *c, double x)
{
  double t = *s + x, z = t - *s;
  *c += (*s - (t - z)) + (x - z);
  *s = t;
}
LG_ALWAYS_INLINE double lg_kval(double s, double c)
{
  return s - s == 0.0 ? s + c : s;
}

#endif

LG_ALWAYS_INLINE double lg_ld(const void *p, size_t i, int f64)
{
  return f64 ? ((const double *)p)[i] : (double)((const float *)p)[i];
}

LG_ALWAYS_INLINE void lg_st(void *p, size_t i, double v, int f64)
{
  if (f64)
    ((double *)p)[i] = v;
  else
    ((float *)p)[i] = (float)v;
}

/* max of x[0], x[s], ..., x[(n-1)s] (n >= 1); NaN wins, as in torch.amax. */
LG_ALWAYS_INLINE double lg_rowmax(size_t n, size_t s, const void *x, int f64)
{
  double m = lg_ld(x, 0, f64);
  size_t j;
  for (j = 1; j < n; j++) {
    double v = lg_ld(x, j * s, f64);
    if (v > m || v != v)
      m = v;
  }
  return m;
}

/* The rounding error of d = x - m (TwoSum: x - m = d + lo exactly), 0
 * where d is not finite; exp(x - m) = exp(d) (1 + lo) far below an ulp
 * (softmax of tiny probabilities; vmath.h's v_sub_lo in float). */
LG_ALWAYS_INLINE double lg_sub_lo(double x, double m, double d)
{
  double bb = d - x, lo = (x - (d - bb)) - (m + bb);
  return d - d == 0.0 ? lo : 0.0;
}

/* Compensated (TwoSum) accumulation for sums of many terms (loss totals,
 * float64 reductions): *s + *c carries the sum to about an ulp whatever
 * the count, where a running sum loses up to n ulps. lg_kval gives the
 * result; once *s is +-inf or NaN, *c is NaN and *s alone is the answer. */
LG_ALWAYS_INLINE void lg_kadd(double *s, double *c, double x)
{
  double t = *s + x, z = t - *s;
  *c += (*s - (t - z)) + (x - z);
  *s = t;
}
LG_ALWAYS_INLINE double lg_kval(double s, double c)
{
  return s - s == 0.0 ? s + c : s;
}

#endif
