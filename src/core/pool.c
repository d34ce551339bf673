/* pool.c - the worker threads of pool.h. A job is cut into more chunks
 * than threads, and the caller and the workers take chunks in turn until
 * none is left: a worker that wakes late (a condvar wake-up costs tens of
 * microseconds, more on a busy machine) then only leaves the caller more
 * chunks, never an idle wait. Who runs a chunk never changes its result.
 * Everything shared is read and written under one mutex (helgrind checks
 * it); a worker that has just finished spins briefly on that mutex before
 * sleeping, because kernel calls come in bursts.
 * Threads are POSIX threads, or on Windows Win32's own (CRITICAL_SECTION,
 * CONDITION_VARIABLE: Vista and later), so the DLL needs no winpthreads. */
#if defined(_WIN32)
#if !defined(_WIN32_WINNT) || _WIN32_WINNT < 0x0600
#undef _WIN32_WINNT
#define _WIN32_WINNT 0x0600   /* condition variables */
#endif
#else
#define _POSIX_C_SOURCE 200809L
#endif
#include <fenv.h>
#include <stdlib.h>

#include "core/pool.h"

#if defined(_WIN32)
#include <windows.h>
#include <process.h>
typedef CRITICAL_SECTION pool_mutex;
typedef CONDITION_VARIABLE pool_cond;
typedef HANDLE pool_thread;
typedef DWORD pid_type;
static int mutex_init(pool_mutex *m) { InitializeCriticalSection(m); return 0; }
static void mutex_destroy(pool_mutex *m) { DeleteCriticalSection(m); }
static void mutex_lock(pool_mutex *m) { EnterCriticalSection(m); }
static void mutex_unlock(pool_mutex *m) { LeaveCriticalSection(m); }
static int cond_init(pool_cond *c) { InitializeConditionVariable(c); return 0; }
static void cond_destroy(pool_cond *c) { (void)c; }   /* nothing to free */
static void cond_wait(pool_cond *c, pool_mutex *m) { SleepConditionVariableCS(c, m, INFINITE); }
static void cond_signal(pool_cond *c) { WakeConditionVariable(c); }
static void cond_broadcast(pool_cond *c) { WakeAllConditionVariable(c); }
static pid_type this_process(void) { return GetCurrentProcessId(); }   /* no fork: fixed */
static void relax(void) { SwitchToThread(); }
#else
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>
typedef pthread_mutex_t pool_mutex;
typedef pthread_cond_t pool_cond;
typedef pthread_t pool_thread;
typedef pid_t pid_type;
static int mutex_init(pool_mutex *m) { return pthread_mutex_init(m, NULL); }
static void mutex_destroy(pool_mutex *m) { pthread_mutex_destroy(m); }
static void mutex_lock(pool_mutex *m) { pthread_mutex_lock(m); }
static void mutex_unlock(pool_mutex *m) { pthread_mutex_unlock(m); }
static int cond_init(pool_cond *c) { return pthread_cond_init(c, NULL); }
static void cond_destroy(pool_cond *c) { pthread_cond_destroy(c); }
static void cond_wait(pool_cond *c, pool_mutex *m) { pthread_cond_wait(c, m); }
static void cond_signal(pool_cond *c) { pthread_cond_signal(c); }
static void cond_broadcast(pool_cond *c) { pthread_cond_broadcast(c); }
static pid_type this_process(void) { return getpid(); }
/* One spin round between looks, mutex released: yield the core, so a
 * spinning worker never holds up the caller or another job sharing it on
 * a busy machine (on an idle one the call returns at once). */
static void relax(void) { sched_yield(); }
#endif

/* Spin rounds (lock, look, unlock, yield) before sleeping: some tens of
 * microseconds on an idle core. */
#define SPIN 100
/* Chunks per thread, each at least a quarter of LG_POOL_MIN_WORK. */
#define CHUNKS_PER_THREAD 8

typedef struct worker {
  struct lg_pool *p;
} worker;

struct lg_pool {
  pool_mutex mu;
  pool_cond wake;         /* a new job or stop */
  pool_cond done;         /* every chunk of the job finished */
  int nthreads, started, stop, busy;
  unsigned long gen;      /* job number */
  lg_pool_fn fn;          /* the job */
  void *ctx;
  size_t n, align;
  int k;                  /* its chunks */
  int next;               /* the next chunk to hand out */
  int finished;           /* chunks done */
  fenv_t env;             /* the caller's rounding and flush-to-zero modes */
  pid_type pid;           /* the process whose threads these are */
  pool_thread tid[LG_POOL_MAX];
  worker w[LG_POOL_MAX];
};

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
    mutex_unlock(&p->mu);
    if (lo < hi) fn(ctx, lo, hi);
    mutex_lock(&p->mu);
    if (++p->finished == p->k) cond_signal(&p->done);
  }
}

static void work(lg_pool *p) {
  unsigned long seen = 0;
  int i;
  mutex_lock(&p->mu);
  for (;;) {
    for (i = 0; i < SPIN && p->gen == seen && !p->stop; i++) {
      mutex_unlock(&p->mu);
      relax();
      mutex_lock(&p->mu);
    }
    while (p->gen == seen && !p->stop) cond_wait(&p->wake, &p->mu);
    if (p->stop) break;
    seen = p->gen;
    fesetenv(&p->env);   /* as the caller computes: same results */
    take_chunks(p);
  }
  mutex_unlock(&p->mu);
}

#if defined(_WIN32)
/* _beginthreadex, not CreateThread: the C runtime is set up per thread */
static unsigned __stdcall thread_main(void *arg) {
  work(((worker *)arg)->p);
  return 0;
}
static int thread_start(pool_thread *t, worker *w) {
  uintptr_t h = _beginthreadex(NULL, 0, thread_main, w, 0, NULL);
  *t = (HANDLE)h;
  return h != 0;
}
static void thread_join(pool_thread t) {
  WaitForSingleObject(t, INFINITE);
  CloseHandle(t);
}
#else
static void *thread_main(void *arg) {
  work(((worker *)arg)->p);
  return NULL;
}
/* Workers take no signals: the host's handlers stay on its own threads. */
static int thread_start(pool_thread *t, worker *w) {
  sigset_t all, old;
  int ok;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  ok = pthread_create(t, NULL, thread_main, w) == 0;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return ok;
}
static void thread_join(pool_thread t) { pthread_join(t, NULL); }
#endif

lg_pool *lg_pool_new(int nthreads) {
  lg_pool *p;
  int i, ok = 1;
  if (nthreads < 2 || nthreads > LG_POOL_MAX) return NULL;
  p = (lg_pool *)calloc(1, sizeof *p);
  if (p == NULL) return NULL;
  if (mutex_init(&p->mu) != 0) {
    free(p);
    return NULL;
  }
  if (cond_init(&p->wake) != 0) {
    mutex_destroy(&p->mu);
    free(p);
    return NULL;
  }
  if (cond_init(&p->done) != 0) {
    cond_destroy(&p->wake);
    mutex_destroy(&p->mu);
    free(p);
    return NULL;
  }
  p->nthreads = nthreads;
  p->pid = this_process();
  for (i = 1; i < nthreads && ok; i++) {
    p->w[i].p = p;
    ok = thread_start(&p->tid[i], &p->w[i]);
    if (ok) p->started = i;
  }
  if (!ok) {
    lg_pool_free(p);
    return NULL;
  }
  return p;
}

void lg_pool_free(lg_pool *p) {
  int i;
  if (p == NULL) return;
  if (this_process() != p->pid) {
    /* A forked child has no workers, and the mutex may have been held at
     * the fork: touch neither. */
    free(p);
    return;
  }
  mutex_lock(&p->mu);
  p->stop = 1;
  cond_broadcast(&p->wake);
  mutex_unlock(&p->mu);
  for (i = 1; i <= p->started; i++) thread_join(p->tid[i]);
  cond_destroy(&p->done);
  cond_destroy(&p->wake);
  mutex_destroy(&p->mu);
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
  if (k >= 2 && this_process() != p->pid) k = 1;   /* a forked child: no workers */
  if (k < 2) {
    if (n > 0) fn(ctx, 0, n);
    return;
  }
  mutex_lock(&p->mu);
  if (p->busy) {   /* never from one lua_State; be safe anyway */
    mutex_unlock(&p->mu);
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
  cond_broadcast(&p->wake);
  take_chunks(p);
  /* the last chunks may still run on workers */
  for (i = 0; i < SPIN && p->finished < k; i++) {
    mutex_unlock(&p->mu);
    relax();
    mutex_lock(&p->mu);
  }
  while (p->finished < k) cond_wait(&p->done, &p->mu);
  p->busy = 0;
  mutex_unlock(&p->mu);
}
