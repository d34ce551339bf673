/* rng.c - xoshiro256** with reproducible uniforms and normals. */
#include <math.h>

#include "core/rng.h"

/* The normals must not depend on whether the compiler fuses a*b+c. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

void lg_rng_seed(lg_rng *r, uint64_t seed) {
  int i;
  for (i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}

uint64_t lg_rng_next(lg_rng *r) {
  uint64_t *s = r->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

void lg_rng_uniform(lg_rng *r, lg_dtype dt, void *out, size_t n) {
  size_t i;
  /* Top 24 or 53 bits scaled by a power of two: exact, never 1.0. */
  if (dt == LG_F64)
    for (i = 0; i < n; i++) ((double *)out)[i] = (double)(lg_rng_next(r) >> 11) * 0x1p-53;
  else
    for (i = 0; i < n; i++) ((float *)out)[i] = (float)(lg_rng_next(r) >> 40) * 0x1p-24f;
}

/* log(x) for x > 0 from basic operations only (libm's log may differ in the
 * last bit between platforms): x = m * 2^e with m in [sqrt(1/2), sqrt(2)),
 * log(m) = 2 atanh(s), s = (m - 1) / (m + 1), |s| < 0.172, so eleven terms
 * of the odd series reach double precision. */
static double det_log(double x) {
  int e;
  double m = frexp(x, &e), s, s2, term, sum;
  int k;
  if (m < 0.70710678118654752440) { m *= 2; e--; }
  s = (m - 1) / (m + 1);
  s2 = s * s;
  term = s;
  sum = 0;
  for (k = 1; k <= 23; k += 2) { sum += term / k; term *= s2; }
  /* ln 2 split so e * LN2_HI is exact. */
  return (double)e * 6.93147180369123816490e-01 + ((double)e * 1.90821492927058770002e-10 + 2 * sum);
}

void lg_rng_normal(lg_rng *r, lg_dtype dt, void *out, size_t n) {
  size_t i = 0;
  /* Marsaglia's polar method: two normals per accepted point. */
  while (i < n) {
    double u, v, q, f;
    do {
      u = (double)(lg_rng_next(r) >> 11) * 0x1p-52 - 1;
      v = (double)(lg_rng_next(r) >> 11) * 0x1p-52 - 1;
      q = u * u + v * v;
    } while (q >= 1 || q == 0);
    f = sqrt(-2 * det_log(q) / q);
    if (dt == LG_F64) {
      ((double *)out)[i++] = u * f;
      if (i < n) ((double *)out)[i++] = v * f;
    } else {
      ((float *)out)[i++] = (float)(u * f);
      if (i < n) ((float *)out)[i++] = (float)(v * f);
    }
  }
}
