/* pool.c - the edges of lg.set_num_threads a host can reach, each of
 * which once went wrong:
 *   1. workers compute in the caller's floating-point environment: a host
 *      that changes the rounding mode after the pool started gets the
 *      same bits from 2 threads as from 1;
 *   2. a child made by fork() has no workers: its large calls run on its
 *      one thread, and lua_close in the child returns (it used to wait
 *      on threads the child does not have, and crash);
 *   3. a finalizer that asks for threads during lua_close, after lgrad's
 *      pool is gone, starts none (they used to outlive the state).
 * Exits 0 when all hold. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <fenv.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lauxlib.h"
#include "lualib.h"
#include "lgrad.h"

#ifndef LGRAD_LUA_DIR
#define LGRAD_LUA_DIR "./lua"
#endif

static lua_State *new_state(void) {
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  lua_getglobal(L, "package");
  lua_pushstring(L, LGRAD_LUA_DIR "/?.lua;" LGRAD_LUA_DIR "/?/init.lua;");
  lua_getfield(L, -2, "path");
  lua_concat(L, 2);
  lua_setfield(L, -2, "path");
  lua_pop(L, 1);
  luaL_requiref(L, "lg", lgrad_open, 1);
  lua_pop(L, 1);
  return L;
}

static int run(lua_State *L, const char *code) {
  if (luaL_dostring(L, code) == LUA_OK) return 1;
  fprintf(stderr, "pool: %s\n", lua_tostring(L, -1));
  return 0;
}

/* Threads of this process (Linux); -1 when /proc is not there. */
static int process_threads(void) {
  int n = 0;
  struct dirent *e;
  DIR *d = opendir("/proc/self/task");
  if (d == NULL) return -1;
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n;
}

static int rounding_mode(void) {
  lua_State *L = new_state();
  int ok;
  /* a + b with a, b such that most sums are inexact: rounding shows */
  ok = run(L, "a = lg.linspace(1, 2, 300000) b = lg.linspace(3e-8, 7e-8, 300000)"
              " nearest = a + b  lg.set_num_threads(2)");
  fesetround(FE_UPWARD);   /* after the workers started */
  /* several calls, so the worker surely takes chunks of some */
  ok = ok && run(L, "local twos = {} for i = 1, 20 do twos[i] = a + b end"
                    " lg.set_num_threads(1)  one = a + b"
                    " for i = 1, 20 do assert(lg.equal(one, twos[i]), '2 threads differ from 1') end"
                    " if lg.equal(one, nearest) then"   /* valgrind ignores fesetround */
                    "   print('pool: the rounding mode does not show here; its check is moot') end");
  fesetround(FE_TONEAREST);
  lua_close(L);
  return ok;
}

static int forked_child(void) {
  lua_State *L = new_state();
  pid_t pid;
  int status = 1;
  if (!run(L, "lg.set_num_threads(4) x = lg.randn(1000, 300) p1 = lg.softmax(x)")) return 0;
  pid = fork();
  if (pid == 0) {   /* the child: same state, no workers */
    int ok = run(L, "assert(lg.equal(lg.softmax(x), p1))");
    lua_close(L);
    _exit(ok ? 0 : 3);
  }
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return 0;
  lua_close(L);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "pool: forked child ended with status %d\n", status);
    return 0;
  }
  return 1;
}

static int finalizer_at_close(void) {
  int base = process_threads(), i;
  for (i = 0; i < 3; i++) {
    lua_State *L = new_state();
    /* made first, so finalized after the pool's own __gc at lua_close */
    if (!run(L, "setmetatable({}, {__gc = function() lg.set_num_threads(4) end})"
                " lg.set_num_threads(2)")) return 0;
    lua_close(L);
  }
  if (base >= 0 && process_threads() != base) {
    fprintf(stderr, "pool: %d threads left after lua_close (was %d)\n", process_threads(), base);
    return 0;
  }
  return 1;
}

int main(void) {
  int ok = 1;
  ok &= rounding_mode();
  ok &= forked_child();
  ok &= finalizer_at_close();
  puts(ok ? "pool: caller's rounding, fork and close-time finalizers all hold"
          : "pool: FAILED");
  return ok ? 0 : 1;
}
