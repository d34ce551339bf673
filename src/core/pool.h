/* pool.h - a few worker threads that split one kernel call (plain C99 +
 * pthreads, no Lua). The binding keeps one pool per lua_State (see
 * lua_threads.c); the kernels know nothing of it and get contiguous ranges.
 *
 * lg_pool_for(p, n, cost, align, fn, ctx) runs fn(ctx, lo, hi) over the
 * items [0, n) split into consecutive chunks (up to 8 per thread), which
 * the caller and the workers take in turn, and returns when all are done.
 * The chunks depend only on (n, cost, align, thread count); which thread
 * runs one does not matter to fn, so results do not either. A job of fewer
 * than LG_POOL_MIN_WORK elements (n * cost, cost = elements per item),
 * a NULL pool or a pool of one thread runs fn(ctx, 0, n) on the caller with
 * no synchronization at all. fn must not fail: it runs on a worker. */
#ifndef LG_POOL_H
#define LG_POOL_H

#include "lg_common.h"

#define LG_POOL_MAX 64                  /* threads, the caller included */
#define LG_POOL_MIN_WORK ((size_t)1 << 16)

typedef struct lg_pool lg_pool;
typedef void (*lg_pool_fn)(void *ctx, size_t lo, size_t hi);

/* nthreads in 2..LG_POOL_MAX: nthreads - 1 workers start now. NULL when
 * out of memory or a thread could not start (nothing is left running). */
LG_INTERNAL lg_pool *lg_pool_new(int nthreads);
/* Stops and joins the workers, frees p (NULL allowed). */
LG_INTERNAL void lg_pool_free(lg_pool *p);
/* Threads the caller included; 1 for NULL. */
LG_INTERNAL int lg_pool_threads(const lg_pool *p);
/* How many chunks lg_pool_for would use (1: inline). */
LG_INTERNAL int lg_pool_chunks(const lg_pool *p, size_t n, size_t cost);
/* Boundaries are multiples of align items (except n), so a kernel whose
 * result for an element depends on its position in a vector block sees
 * the same blocks as one call over [0, n) would. */
LG_INTERNAL void lg_pool_for(lg_pool *p, size_t n, size_t cost, size_t align,
                             lg_pool_fn fn, void *ctx);

#endif
