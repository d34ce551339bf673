/* rng.h - the seeded generator behind lg.rand / lg.randn.
 * xoshiro256** (Blackman and Vigna) seeded through splitmix64. Uniforms use
 * integer arithmetic only and normals only +,-,*,/ and sqrt with a log of
 * our own, so one seed gives the same numbers on every IEEE platform. */
#ifndef LG_RNG_H
#define LG_RNG_H

#include "lg_common.h"

typedef struct lg_rng { uint64_t s[4]; } lg_rng;

LG_INTERNAL void lg_rng_seed(lg_rng *r, uint64_t seed);
LG_INTERNAL uint64_t lg_rng_next(lg_rng *r);
/* n uniforms in [0, 1) / n standard normals into a float32 or float64 array. */
LG_INTERNAL void lg_rng_uniform(lg_rng *r, lg_dtype dt, void *out, size_t n);
LG_INTERNAL void lg_rng_normal(lg_rng *r, lg_dtype dt, void *out, size_t n);

#endif
