/* minimal.c - the smallest lgrad host: Lua computes into the host's buffer. */
#include <math.h>
#include <stdio.h>

#include "lauxlib.h"
#include "lualib.h"
#include "lgrad.h"

#ifndef LGRAD_LUA_DIR
#define LGRAD_LUA_DIR "./lua"   /* lgrad/init.lua of a source checkout */
#endif

static float x[2][3] = {{-1, 0, 1}, {2, -3, 40}}, y[2][3];

/* Runs under lua_pcall, so any error comes back as a message. */
static int run(lua_State *L) {
  static const int64_t shape[2] = {2, 3};
  /* Where lgrad's Lua files are (not needed after `luarocks install lgrad`
   * into the system tree: Lua's default package.path covers it). */
  if (luaL_dostring(L, "package.path = '" LGRAD_LUA_DIR "/?.lua;" LGRAD_LUA_DIR
                       "/?/init.lua;' .. package.path") != 0) lua_error(L);
  luaL_requiref(L, "lgrad", lgrad_open, 1);    /* also the global `lgrad` */
  lgrad_wrap(L, x, LGRAD_FLOAT32, 2, shape, NULL, NULL, NULL);   /* no copy */
  lua_setglobal(L, "x");
  lgrad_wrap(L, y, LGRAD_FLOAT32, 2, shape, NULL, NULL, NULL);
  lua_setglobal(L, "y");
  if (luaL_dostring(L, "y:copy(lgrad.sigmoid(x))  print(y)") != 0) lua_error(L);
  return 0;
}

int main(void) {
  lua_State *L = luaL_newstate();
  int i, j, ok;
  luaL_openlibs(L);
  lua_pushcfunction(L, run);
  ok = lua_pcall(L, 0, 0, 0) == 0;
  if (!ok) fprintf(stderr, "error: %s\n", lua_tostring(L, -1));
  lua_close(L);   /* no release callbacks given: the buffers were ours all along */
  for (i = 0; i < 2; i++)
    for (j = 0; j < 3; j++)
      if (fabs(y[i][j] - 1 / (1 + exp(-(double)x[i][j]))) > 1e-6) ok = 0;
  printf("minimal host: %s\n", ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
