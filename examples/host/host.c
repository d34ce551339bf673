/* host.c - a C program that embeds Lua 5.4 and lgrad.
 *
 * Part 1: the host wraps its own buffers (logits, and room for the
 * probabilities and the gradient) as lgrad tensors without copying, runs a
 * Lua script that computes the softmax and the cross-entropy gradient into
 * them, and checks the numbers in C against a double-precision reference.
 * Part 2: the same math through the kernels directly, no Lua at all.
 * Exit status 0 when every check passes. `make host` builds and runs it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lauxlib.h"
#include "lualib.h"
#include "lgrad.h"

#ifndef LGRAD_LUA_DIR
#define LGRAD_LUA_DIR "./lua"   /* where lgrad/init.lua lives */
#endif

enum { N = 4, C = 5 };

static const float logits[N][C] = {
  {1.0f, 2.0f, 3.0f, 4.0f, 5.0f},
  {-1e4f, 0.0f, 1e4f, 3.5f, -2.0f},
  {0.25f, 0.25f, 0.25f, 0.25f, 0.25f},
  {-88.0f, 88.0f, 0.0f, -0.0f, 1e-40f}
};
static const int target[N] = {4, 2, 0, 1};   /* 0-based classes */

static int failures = 0;

static void check(int ok, const char *what) {
  if (!ok) {
    failures++;
    fprintf(stderr, "FAIL: %s\n", what);
  }
}

static int close_enough(double got, double want) {
  return fabs(got - want) <= 1e-6 + 1e-5 * fabs(want);
}

/* The reference in double: p = softmax(z) per row, the mean cross-entropy
 * and its gradient (p - onehot(target)) / N. */
static double reference(double p[N][C], double g[N][C]) {
  double loss = 0;
  int i, j;
  for (i = 0; i < N; i++) {
    double m = logits[i][0], s = 0;
    for (j = 1; j < C; j++) if (logits[i][j] > m) m = logits[i][j];
    for (j = 0; j < C; j++) s += exp((double)logits[i][j] - m);
    for (j = 0; j < C; j++) {
      p[i][j] = exp((double)logits[i][j] - m) / s;
      g[i][j] = (p[i][j] - (j == target[i])) / N;
    }
    loss -= ((double)logits[i][target[i]] - m - log(s)) / N;
  }
  return loss;
}

static void check_matrix(const char *what, const float got[N][C], const double want[N][C]) {
  int i, j, ok = 1;
  for (i = 0; i < N; i++)
    for (j = 0; j < C; j++)
      if (!close_enough(got[i][j], want[i][j])) {
        if (ok) fprintf(stderr, "%s[%d][%d] = %.9g, want %.9g\n", what, i, j, got[i][j], want[i][j]);
        ok = 0;
      }
  check(ok, what);
}

/* The script: a function of the wrapped tensors. With lg.softmax and
 * lg.cross_entropy_grad it writes straight into the host's buffers (their
 * `out` argument); without them (older lgrad) it computes the same
 * formulas from tensor arithmetic and copies the results in. */
static const char *script =
  "local lg = require 'lgrad'\n"
  "return function(z, target, probs, grad)\n"
  "  local loss\n"
  "  if lg.softmax then lg.softmax(z, nil, probs)\n"
  "  else\n"
  "    local e = (z - z:max(2, true)):exp()\n"
  "    probs:copy(e / e:sum(2, true))\n"
  "  end\n"
  "  if lg.cross_entropy_grad then\n"
  "    local g\n"
  "    g, loss = lg.cross_entropy_grad(z, target, nil, grad)\n"
  "    assert(rawequal(g, grad), 'out is returned')\n"
  "  else\n"
  "    local n, c = z:size(1), z:size(2)\n"
  "    grad:copy((probs - lg.one_hot(target, c)) / n)\n"
  "    loss = 0\n"
  "    for i = 1, n do loss = loss - math.log(probs:get(i, target[i])) / n end\n"
  "  end\n"
  "  check_tensor(probs)\n"
  "  kept = probs[1]  -- a view that outlives the host's close\n"
  "  return loss\n"
  "end\n";

/* A host function for scripts: checks its argument is an open float32
 * tensor of the host's shape and returns its number of elements. */
static int check_tensor(lua_State *L) {
  lgrad_Tensor *t = lgrad_checktensor(L, 1);
  const int64_t *shape = lgrad_shape(t);
  luaL_argcheck(L, lgrad_dtype(t) == LGRAD_FLOAT32, 1, "float32 expected");
  luaL_argcheck(L, lgrad_ndim(t) == 2 && shape[0] == N && shape[1] == C, 1, "N x C expected");
  lua_pushinteger(L, (lua_Integer)lgrad_numel(t));
  return 1;
}

static void count_release(void *ud, void *data);

/* lgrad_wrap with a negative stride: must raise an error. */
static int bad_wrap(lua_State *L) {
  static float buf[6];
  static const int64_t shape[2] = {2, 3}, strides[2] = {3, -1};
  lgrad_wrap(L, buf, LGRAD_FLOAT32, 2, shape, strides, count_release, lua_touserdata(L, 1));
  return 1;
}

static int released = 0;
static void count_release(void *ud, void *data) {
  (void)data;
  released++;
  *(int *)ud += 1;
}

/* Release for a buffer handed over to lgrad: frees it. */
static void free_buffer(void *ud, void *data) {
  released++;
  *(int *)ud += 1;
  free(data);
}

static void part_lua(void) {
  static float z[N][C], probs[N][C], grad[N][C];
  static const int64_t shape[2] = {N, C};
  double p_ref[N][C], g_ref[N][C], loss_ref = reference(p_ref, g_ref), loss;
  int i, probs_releases = 0;
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  memcpy(z, logits, sizeof z);

  /* Tell Lua where the Lua part of lgrad is, then open it as `lgrad`. */
  lua_getglobal(L, "package");
  lua_pushstring(L, LGRAD_LUA_DIR "/?.lua;" LGRAD_LUA_DIR "/?/init.lua;");
  lua_getfield(L, -2, "path");
  lua_concat(L, 2);
  lua_setfield(L, -2, "path");
  lua_pop(L, 1);
  luaL_requiref(L, "lgrad", lgrad_open, 1);
  lua_pop(L, 1);
  lua_register(L, "check_tensor", check_tensor);

  if (luaL_dostring(L, script) != 0) {   /* leaves the function */
    fprintf(stderr, "script: %s\n", lua_tostring(L, -1));
    exit(1);
  }
  lgrad_wrap(L, z, LGRAD_FLOAT32, 2, shape, NULL, NULL, NULL);
  lua_createtable(L, N, 0);              /* targets, 1-based in Lua */
  for (i = 0; i < N; i++) {
    lua_pushinteger(L, target[i] + 1);
    lua_rawseti(L, -2, i + 1);
  }
  lgrad_wrap(L, probs, LGRAD_FLOAT32, 2, shape, NULL, count_release, &probs_releases);
  lgrad_wrap(L, grad, LGRAD_FLOAT32, 2, shape, NULL, NULL, NULL);
  lua_pushvalue(L, -1);                  /* keep grad on the stack after the call */
  lua_insert(L, 1);
  lua_pushvalue(L, -2);                  /* and probs */
  lua_insert(L, 1);
  if (lua_pcall(L, 4, 1, 0) != 0) {
    fprintf(stderr, "script: %s\n", lua_tostring(L, -1));
    exit(1);
  }
  loss = lua_tonumber(L, -1);
  lua_pop(L, 1);                         /* stack: probs, grad */

  check_matrix("softmax written by Lua into the host buffer", (const float(*)[C])probs, p_ref);
  check_matrix("gradient written by Lua into the host buffer", (const float(*)[C])grad, g_ref);
  check(close_enough(loss, loss_ref), "loss returned by the script");
  check(memcmp(z, logits, sizeof z) == 0, "logits left untouched");

  /* The tensor's data pointer is the host's own buffer. */
  check(lgrad_data(lgrad_totensor(L, 1)) == (void *)probs, "probs tensor uses the host buffer");

  /* A strided wrap: the transpose of the logits, no copy. */
  {
    static const int64_t tshape[2] = {C, N}, tstrides[2] = {1, C};
    lgrad_Tensor *t = lgrad_wrap(L, z, LGRAD_FLOAT32, 2, tshape, tstrides, NULL, NULL);
    check(lgrad_strides(t)[0] == 1 && lgrad_strides(t)[1] == C && !lgrad_iscontiguous(t),
          "strides of a wrapped transpose");
    lua_setglobal(L, "zt");
    if (luaL_dostring(L, "return zt:get(3, 2) == zt:t():get(2, 3) and zt:get(3, 2)") != 0 ||
        lua_tonumber(L, -1) != logits[1][2])
      check(0, "strided wrap reads the host's element");
    lua_pop(L, 1);
  }

  /* Closing the host tensor calls release once, now; the view the
   * script kept then fails cleanly instead of reading freed memory. */
  lgrad_close(L, 1);
  check(probs_releases == 1, "release called once at close");
  check(lgrad_data(lgrad_totensor(L, 1)) == NULL, "closed tensor has no data");
  lgrad_close(L, 1);
  check(probs_releases == 1, "closing twice releases once");
  check(luaL_dostring(L, "return kept:sum()") != 0 &&
            strstr(lua_tostring(L, -1), "closed") != NULL,
        "a view of a closed host tensor raises an error");
  lua_settop(L, 0);

  /* A buffer whose ownership passes to lgrad: freed by release when the
   * collector (or lua_close) is done with it. */
  {
    static const int64_t n1[1] = {1000};
    double *buf = malloc(1000 * sizeof *buf);
    int freed = 0;
    if (buf == NULL) exit(1);
    for (i = 0; i < 1000; i++) buf[i] = i;
    lgrad_wrap(L, buf, LGRAD_FLOAT64, 1, n1, NULL, free_buffer, &freed);
    lua_setglobal(L, "big");
    check(luaL_dostring(L, "return big:sum()") == 0 && lua_tonumber(L, -1) == 999 * 1000 / 2,
          "wrapped float64 buffer sums");
    lua_settop(L, 0);
    check(freed == 0, "reachable host tensor not released");
    lua_pushnil(L);
    lua_setglobal(L, "big");
    lua_gc(L, LUA_GCCOLLECT, 0);
    check(freed == 1, "collected host tensor released once");
  }

  /* A tensor made by lgrad, filled in C, read in Lua. */
  {
    static const int64_t s[2] = {2, 3};
    lgrad_Tensor *t = lgrad_newtensor(L, LGRAD_FLOAT64, 2, s);
    double *d = lgrad_data(t);
    check(lgrad_numel(t) == 6 && d[5] == 0, "new tensor is zeroed");
    for (i = 0; i < 6; i++) d[i] = i + 1;
    lua_setglobal(L, "m");
    check(luaL_dostring(L, "return m:sum(2):get(2)") == 0 && lua_tonumber(L, -1) == 15,
          "new tensor filled in C, read in Lua");
    lua_settop(L, 0);
  }

  /* Errors are Lua errors, catchable by the host. */
  {
    lua_pushcfunction(L, check_tensor);
    lua_pushnumber(L, 1);
    check(lua_pcall(L, 1, 0, 0) != 0 &&
              strstr(lua_tostring(L, -1), "lgrad.Tensor expected, got number") != NULL,
          "lgrad_checktensor error message");
    lua_settop(L, 0);
  }
  /* A wrap that fails takes nothing: release is not called. */
  {
    int rel = 0;
    lua_pushcfunction(L, bad_wrap);
    lua_pushlightuserdata(L, &rel);
    check(lua_pcall(L, 1, 0, 0) != 0 && strstr(lua_tostring(L, -1), "stride 2") != NULL &&
              rel == 0,
          "lgrad_wrap rejects a negative stride without releasing");
    lua_settop(L, 0);
  }
  lua_close(L);
  check(probs_releases == 1, "lua_close does not release again");

  /* Without the Lua files on package.path, lgrad_open says where it looked. */
  L = luaL_newstate();
  luaL_openlibs(L);
  lua_getglobal(L, "package");
  lua_pushliteral(L, "/nonexistent/?.lua");
  lua_setfield(L, -2, "path");
  lua_pop(L, 1);
  lua_pushcfunction(L, lgrad_open);
  check(lua_pcall(L, 0, 1, 0) != 0 &&
            strstr(lua_tostring(L, -1), "no file '/nonexistent/lgrad.lua'") != NULL,
        "lgrad_open reports the places tried");
  lua_close(L);
  printf("part 1 (Lua script on host buffers): loss %.6f, %d release calls\n", loss, released);
}

static void part_kernels(void) {
  float p[N][C], g[N][C], losses[N];
  double p_ref[N][C], g_ref[N][C], loss_ref = reference(p_ref, g_ref), loss = 0;
  int64_t t[N];
  size_t bad = 0;
  int i;
  for (i = 0; i < N; i++) t[i] = target[i];

  lgrad_softmax_f32(N, C, 1, &p[0][0], &logits[0][0]);
  check_matrix("lgrad_softmax_f32", (const float(*)[C])p, p_ref);
  check(lgrad_cross_entropy_f32(N, C, &logits[0][0], t, NULL, LGRAD_NO_IGNORE, 0.0,
                                LGRAD_REDUCTION_MEAN, losses, &loss, &g[0][0], NULL) == LGRAD_OK,
        "lgrad_cross_entropy_f32 status");
  check_matrix("lgrad_cross_entropy_f32 gradient", (const float(*)[C])g, g_ref);
  check(close_enough(loss, loss_ref), "lgrad_cross_entropy_f32 loss");

  t[2] = C;   /* out of range: an error, nothing written */
  g[0][0] = 42;
  check(lgrad_cross_entropy_f32(N, C, &logits[0][0], t, NULL, LGRAD_NO_IGNORE, 0.0,
                                LGRAD_REDUCTION_MEAN, NULL, &loss, &g[0][0], &bad) == LGRAD_ERANGE &&
            bad == 2 && g[0][0] == 42,
        "lgrad_cross_entropy_f32 reports the bad target");

  /* Activations by name: leaky_relu with slope 0.2, its derivative. */
  {
    static const float x[6] = {-2.0f, -0.5f, 0.0f, 0.5f, 3.0f, -1e30f};
    float y[6], d[6];
    lgrad_act_params prm;
    int k, ok = 1;
    check(lgrad_activation_defaults("leaky_relu", &prm) == LGRAD_OK && prm.p[0] == 0.01,
          "leaky_relu default slope");
    prm.p[0] = 0.2;
    check(lgrad_activation_f32("leaky_relu", 6, y, x, &prm) == LGRAD_OK &&
              lgrad_activation_backward_f32("leaky_relu", 6, d, NULL, x, &prm) == LGRAD_OK,
          "lgrad_activation_f32 status");
    for (k = 0; k < 6; k++) {
      double want = x[k] > 0 ? x[k] : 0.2 * x[k], dwant = x[k] > 0 ? 1 : 0.2;
      if (!close_enough(y[k], want) || !close_enough(d[k], dwant)) ok = 0;
    }
    check(ok, "leaky_relu and its derivative");
    check(lgrad_activation_f32("no_such", 6, y, x, NULL) == LGRAD_EVALUE,
          "unknown activation name");
    for (k = 0; lgrad_activation_name(k); k++) {}
    check(k >= 18 && strcmp(lgrad_activation_name(0), "sigmoid") == 0, "activation names");
  }
  printf("part 2 (kernels without Lua): loss %.6f\n", loss);
}

int main(void) {
  part_lua();
  part_kernels();
  if (failures) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("host example: all checks passed\n");
  return 0;
}
