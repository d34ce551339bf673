/* wrapgc.c - host buffers handed to lgrad with a release callback count
 * toward collecting like lgrad's own tensors: a Lua loop that wraps and
 * drops 4 MB malloc'd buffers (no collectgarbage call) stays bounded in
 * incremental and generational mode, and every buffer is released exactly
 * once by lua_close. Exits 0 when both hold. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lauxlib.h"
#include "lualib.h"
#include "lgrad.h"

#ifndef LGRAD_LUA_DIR
#define LGRAD_LUA_DIR "./lua"
#endif

#define N_FLOATS (1 << 20)   /* 4 MB a buffer */

static long wrapped, released, live, peak;

static void release(void *ud, void *data) {
  (void)ud;
  free(data);
  released++;
  live--;
}

/* host_tensor(): a zero-filled float32 tensor over a fresh malloc'd buffer. */
static int host_tensor(lua_State *L) {
  int64_t n = N_FLOATS;
  float *buf = (float *)calloc((size_t)n, sizeof(float));
  if (buf == NULL) return luaL_error(L, "host_tensor: out of memory");
  lgrad_wrap(L, buf, LGRAD_FLOAT32, 1, &n, NULL, release, NULL);
  wrapped++;
  if (++live > peak) peak = live;
  return 1;
}

static int run_mode(int gen) {
  lua_State *L = luaL_newstate();
  const char *loop = "for i = 1, 2000 do local t = host_tensor(); t[1] = i end";
  int ok;
  luaL_openlibs(L);
  lua_getglobal(L, "package");
  lua_pushstring(L, LGRAD_LUA_DIR "/?.lua;" LGRAD_LUA_DIR "/?/init.lua");
  lua_setfield(L, -2, "path");
  lua_pop(L, 1);
  luaL_requiref(L, "lg", lgrad_open, 1);
  lua_pop(L, 1);
  lua_gc(L, gen ? LUA_GCGEN : LUA_GCINC, 0, 0);
  lua_register(L, "host_tensor", host_tensor);
  wrapped = released = live = peak = 0;
  ok = luaL_dostring(L, loop) == LUA_OK;
  if (!ok) fprintf(stderr, "wrapgc: %s\n", lua_tostring(L, -1));
  lua_close(L);
  printf("wrapgc: %s mode: %ld buffers wrapped, at most %ld (%ld MB) alive, %ld released\n",
         gen ? "generational" : "incremental", wrapped, peak, peak * 4, released);
  /* 2000 buffers are 8 GB; the collector must keep well under 200 MB. */
  return ok && released == wrapped && peak * 4 < 200;
}

int main(void) {
  int ok = run_mode(0);
  ok = run_mode(1) && ok;
  return ok ? 0 : 1;
}
