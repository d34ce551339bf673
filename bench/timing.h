/* bench/timing.h - the clock and the sort order both benches use. */
#ifndef LG_BENCH_TIMING_H
#define LG_BENCH_TIMING_H

#include <time.h>

/* Monotonic time in nanoseconds. */
static double now(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

/* qsort order for doubles (medians). */
static int cmpd(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

#endif
