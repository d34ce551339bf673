/* threads.c - several threads, each with its own lua_State, using lgrad at
 * once. lgrad keeps no global mutable state, so every thread must get
 * exactly the numbers a lone thread gets: each seeds its state's random
 * generator once, then, run after run, draws a matrix into a host buffer,
 * takes its softmax in Lua and checks it against the C kernel. The drawn
 * sequence must equal, bit for bit, the one the main thread drew alone
 * before the threads started (each state also runs large calls on its own
 * 2-thread pool, lg.set_num_threads); a generator shared between states would
 * interleave the threads' draws and break it (checked: it does).
 * Exit status 0 when every check passes. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lauxlib.h"
#include "lualib.h"
#include "lgrad.h"

#ifndef LGRAD_LUA_DIR
#define LGRAD_LUA_DIR "./lua"
#endif

enum { NTHREADS = 8, ITERS = 25, SEEDS = NTHREADS / 2, R = 16, C = 10 };

static const int64_t shape[2] = {R, C};
/* Written by main before the threads start, only read afterwards. */
static double reference[SEEDS][ITERS][R][C];
static pthread_barrier_t start;

/* The script: draw with the seed into x, softmax into p. */
static const char *script =
  "local lg = require 'lgrad'\n"
  "return function(seed, x, p)\n"
  "  if seed then lg.seed(seed) end\n"
  "  if lg.set_num_threads then   -- each state its own pool: 2 threads for large calls\n"
  "    lg.set_num_threads(2)\n"
  "    local big = lg.linspace(-8, 8, 70000, 'float64')\n"
  "    assert(math.abs(lg.sigmoid(big):sum() - 35000) < 1e-6)\n"
  "    assert(math.abs(lg.softmax(big:view(350, 200)):sum() - 350) < 1e-9)\n"
  "  end\n"
  "  x:copy(lg.randn(x:size(1), x:size(2), 'float64'))\n"
  "  if lg.softmax then p:copy(lg.softmax(x))\n"
  "  else\n"
  "    local e = (x - x:max(2, true)):exp()\n"
  "    p:copy(e / e:sum(2, true))\n"
  "  end\n"
  "  local t = lg.tensor({{1, -2}, {3, 4}})   -- fresh tensors, collected later\n"
  "  if lg.relu then assert(lg.relu(t):sum() == 8) end\n"
  "  return t:abs():sum()   -- 10\n"
  "end\n";

static void count_release(void *ud, void *data) {
  (void)data;
  *(int *)ud += 1;
}

/* A state with lgrad open and the script's function stored as global f. */
static lua_State *new_state(void) {
  lua_State *L = luaL_newstate();
  if (L == NULL) return NULL;
  luaL_openlibs(L);
  lua_getglobal(L, "package");
  lua_pushstring(L, LGRAD_LUA_DIR "/?.lua;" LGRAD_LUA_DIR "/?/init.lua;");
  lua_getfield(L, -2, "path");
  lua_concat(L, 2);
  lua_setfield(L, -2, "path");
  lua_pop(L, 1);
  luaL_requiref(L, "lgrad", lgrad_open, 0);
  lua_pop(L, 1);
  if (luaL_dostring(L, script) != 0) {
    fprintf(stderr, "script: %s\n", lua_tostring(L, -1));
    lua_close(L);
    return NULL;
  }
  lua_setglobal(L, "f");
  return L;
}

/* f(seed, x, p) on host buffers (seed < 0: nil, go on drawing); 0 on success. releases counts the
 * release calls of the two wrapped buffers. */
static int run(lua_State *L, int seed, double x[R][C], double p[R][C], int *releases) {
  lua_getglobal(L, "f");
  if (seed >= 0) lua_pushinteger(L, seed);
  else lua_pushnil(L);
  lgrad_wrap(L, &x[0][0], LGRAD_FLOAT64, 2, shape, NULL, count_release, releases);
  lgrad_wrap(L, &p[0][0], LGRAD_FLOAT64, 2, shape, NULL, count_release, releases);
  lua_pushvalue(L, -2);
  lua_insert(L, 1);
  lua_pushvalue(L, -1);
  lua_insert(L, 1);          /* stack: p, x, f, seed, x, p */
  if (lua_pcall(L, 3, 1, 0) != 0) {
    fprintf(stderr, "f: %s\n", lua_tostring(L, -1));
    lua_settop(L, 0);
    return 1;
  }
  if (lua_tonumber(L, -1) != 10) return 1;
  lgrad_close(L, 1);         /* the host takes its buffers back now */
  lgrad_close(L, 2);
  lua_settop(L, 0);
  return 0;
}

typedef struct job { int id, failures, releases; } job;

static void *worker(void *arg) {
  job *j = (job *)arg;
  lua_State *L = new_state();
  int it;
  int seed = j->id % SEEDS;
  pthread_barrier_wait(&start);   /* all threads at once */
  if (L == NULL) { j->failures++; return NULL; }
  for (it = 0; it < ITERS; it++) {
    double x[R][C], p[R][C], q[R][C];
    int r, c;
    if (run(L, it == 0 ? seed : -1, x, p, &j->releases) != 0) { j->failures++; continue; }
    if (memcmp(x, reference[seed][it], sizeof x) != 0) j->failures++;
    lgrad_softmax_f64(R, C, 1, &q[0][0], &x[0][0]);
    for (r = 0; r < R; r++)
      for (c = 0; c < C; c++)
        if (!(fabs(p[r][c] - q[r][c]) <= 1e-12)) { j->failures++; r = R; break; }
    if (it % 5 == 0) lua_gc(L, LUA_GCCOLLECT, 0);
    sched_yield();   /* let the others in between runs */
  }
  lua_close(L);
  if (j->releases != 2 * ITERS) j->failures++;
  return NULL;
}

int main(void) {
  pthread_t th[NTHREADS];
  job jobs[NTHREADS];
  int i, failures = 0, releases = 0;
  lua_State *L = new_state();
  if (L == NULL) return 1;
  for (i = 0; i < SEEDS * ITERS; i++) {
    double p[R][C];
    if (run(L, i % ITERS == 0 ? i / ITERS : -1, reference[i / ITERS][i % ITERS], p, &releases))
      return 1;
  }
  lua_close(L);
  pthread_barrier_init(&start, NULL, NTHREADS);
  for (i = 0; i < NTHREADS; i++) {
    jobs[i].id = i;
    jobs[i].failures = jobs[i].releases = 0;
    if (pthread_create(&th[i], NULL, worker, &jobs[i]) != 0) return 1;
  }
  for (i = 0; i < NTHREADS; i++) {
    pthread_join(th[i], NULL);
    if (jobs[i].failures) fprintf(stderr, "thread %d: %d failures\n", i, jobs[i].failures);
    failures += jobs[i].failures;
  }
  pthread_barrier_destroy(&start);
  if (failures) return 1;
  printf("threads: %d lua_States in %d threads x %d runs agree with one thread\n",
         NTHREADS, NTHREADS, ITERS);
  return 0;
}
