/* pool.c - the worker threads of pool.h. A job is cut into more chunks
 * than threads, and the caller and the workers take chunks in turn until
 * none is left: a worker that wakes late (a condvar wake-up costs tens of
 * microseconds, more on a busy machine) then only leaves the caller more
 * chunks, never an idle wait. Who runs a chunk never changes its result.
 * Everything shared is read and written under one mutex (helgrind checks
 * it); a worker that has just finished spins briefly on that mutex before
 * sleeping, because kernel calls come in bursts. */
#define _POSIX_C_SOURCE 200809L
#include <fenv.h>
#include <pthread.h>
#include <sched.h>
#if !defined(_WIN32)
#include <signal.h>   /* Windows has no per-thread signal masks */
#endif
#include <stdlib.h>
#include <unistd.h>

#include "pool.h"

/* Spin rounds (lock, look, unlock, yield) before sleeping: some tens of
 * microseconds on an idle core. */
#define SPIN 100
/* Chunks per thread, each at least a quarter of LG_POOL_MIN_WORK. */
#define CHUNKS_PER_THREAD 8

typedef struct worker {
  struct lg_pool *p;
} worker;

struct lg_pool {
  pthread_mutex_t mu;
  pthread_cond_t wake;    /* a new job or stop */
  pthread_cond_t done;    /* every chunk of the job finished */
  int nthreads, started, stop, busy;
  unsigned long gen;      /* job number */
  lg_pool_fn fn;          /* the job */
  void *ctx;
  size_t n, align;
  int k;                  /* its chunks */
  int next;               /* the next chunk to hand out */
  int finished;           /* chunks done */
  fenv_t env;             /* the caller's rounding and flush-to-zero modes */
  pid_t pid;              /* the process whose threads these are */
  pthread_t tid[LG_POOL_MAX];
  worker w[LG_POOL_MAX];
};

/* One spin round between looks, mutex released: yield the core, so a
 * spinning worker never holds up the caller or another job sharing it on
 * a busy machine (on an idle one the call returns at once). */
static void relax(void) { sched_yield(); }

/* Start of chunk i of k over n items, rounded up to a multiple of align. */
static size_t bound(size_t n, int k, int i, size_t align) {
  size_t per = n / (size_t)k, rem = n % (size_t)k, b;
  size_t ui = (size_t)i;
  b = ui * per + (ui < rem ? ui : rem);
  if (align > 1) b = (b + align - 1) / align * align;
  return b < n ? b : n;
}

/* With mu held: run chunks of the current job until none is left. */
static void take_chunks(lg_pool *p) {
  while (p->next < p->k) {
    int i = p->next++;
    lg_pool_fn fn = p->fn;
    void *ctx = p->ctx;
    size_t lo = bound(p->n, p->k, i, p->align), hi = bound(p->n, p->k, i + 1, p->align);
    pthread_mutex_unlock(&p->mu);
    if (lo < hi) fn(ctx, lo, hi);
    pthread_mutex_lock(&p->mu);
    if (++p->finished == p->k) pthread_cond_signal(&p->done);
  }
}

static void *work(void *arg) {
  lg_pool *p = ((worker *)arg)->p;
  unsigned long seen = 0;
  int i;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    for (i = 0; i < SPIN && p->gen == seen && !p->stop; i++) {
      pthread_mutex_unlock(&p->mu);
      relax();
      pthread_mutex_lock(&p->mu);
    }
    while (p->gen == seen && !p->stop) pthread_cond_wait(&p->wake, &p->mu);
    if (p->stop) break;
    seen = p->gen;
    fesetenv(&p->env);   /* as the caller computes: same results */
    take_chunks(p);
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

lg_pool *lg_pool_new(int nthreads) {
  lg_pool *p;
#if !defined(_WIN32)
  sigset_t all, old;
#endif
  int i, ok = 1;
  if (nthreads < 2 || nthreads > LG_POOL_MAX) return NULL;
  p = (lg_pool *)calloc(1, sizeof *p);
  if (p == NULL) return NULL;
  if (pthread_mutex_init(&p->mu, NULL) != 0) {
    free(p);
    return NULL;
  }
  if (pthread_cond_init(&p->wake, NULL) != 0) {
    pthread_mutex_destroy(&p->mu);
    free(p);
    return NULL;
  }
  if (pthread_cond_init(&p->done, NULL) != 0) {
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->mu);
    free(p);
    return NULL;
  }
  p->nthreads = nthreads;
  p->pid = getpid();
  /* Workers take no signals: the host's handlers stay on its own threads. */
#if !defined(_WIN32)
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
#endif
  for (i = 1; i < nthreads && ok; i++) {
    p->w[i].p = p;
    ok = pthread_create(&p->tid[i], NULL, work, &p->w[i]) == 0;
    if (ok) p->started = i;
  }
#if !defined(_WIN32)
  pthread_sigmask(SIG_SETMASK, &old, NULL);
#endif
  if (!ok) {
    lg_pool_free(p);
    return NULL;
  }
  return p;
}

void lg_pool_free(lg_pool *p) {
  int i;
  if (p == NULL) return;
  if (getpid() != p->pid) {
    /* A forked child has no workers, and the mutex may have been held at
     * the fork: touch neither. */
    free(p);
    return;
  }
  pthread_mutex_lock(&p->mu);
  p->stop = 1;
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->mu);
  for (i = 1; i <= p->started; i++) pthread_join(p->tid[i], NULL);
  pthread_cond_destroy(&p->done);
  pthread_cond_destroy(&p->wake);
  pthread_mutex_destroy(&p->mu);
  free(p);
}

int lg_pool_threads(const lg_pool *p) { return p ? p->nthreads : 1; }

int lg_pool_chunks(const lg_pool *p, size_t n, size_t cost) {
  size_t total = n * cost, k;
  if (p == NULL || p->nthreads < 2 || cost == 0 || total / cost != n ||
      total < LG_POOL_MIN_WORK)
    return 1;
  k = total / (LG_POOL_MIN_WORK / 4);
  if (k > (size_t)p->nthreads * CHUNKS_PER_THREAD) k = (size_t)p->nthreads * CHUNKS_PER_THREAD;
  if (k > n) k = n;
  return (int)k;
}

void lg_pool_for(lg_pool *p, size_t n, size_t cost, size_t align, lg_pool_fn fn, void *ctx) {
  int k = lg_pool_chunks(p, n, cost), i;
  if (k >= 2 && getpid() != p->pid) k = 1;   /* a forked child: no workers */
  if (k < 2) {
    if (n > 0) fn(ctx, 0, n);
    return;
  }
  pthread_mutex_lock(&p->mu);
  if (p->busy) {   /* never from one lua_State; be safe anyway */
    pthread_mutex_unlock(&p->mu);
    fn(ctx, 0, n);
    return;
  }
  p->busy = 1;
  p->fn = fn;
  p->ctx = ctx;
  p->n = n;
  p->align = align ? align : 1;
  p->k = k;
  p->next = 0;
  p->finished = 0;
  fegetenv(&p->env);
  p->gen++;
  pthread_cond_broadcast(&p->wake);
  take_chunks(p);
  /* the last chunks may still run on workers */
  for (i = 0; i < SPIN && p->finished < k; i++) {
    pthread_mutex_unlock(&p->mu);
    relax();
    pthread_mutex_lock(&p->mu);
  }
  while (p->finished < k) pthread_cond_wait(&p->done, &p->mu);
  p->busy = 0;
  pthread_mutex_unlock(&p->mu);
}
