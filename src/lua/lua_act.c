/* lua_act.c - lg.NAME(x, params... [, out]), lg.NAME_backward(dy, x,
 * params... [, out]), lg.derivative(name, x, params... [, out]) and
 * lg.activations, for every activation in kernels/activation.c; and
 * lg.sigmoid_backward_from_output(dy, y [, out]) and
 * lg.tanh_backward_from_output(dy, y [, out]), PyTorch's form from the saved
 * output (the same argument rules, y in place of x). */
#include <string.h>

#include "kernels/activation.h"
#include "lua/lg_lua.h"
#include "core/pool.h"

/* API.md's short names, accepted in the keyword form next to PyTorch's. */
static const struct { const char *act, *alias, *name; } aliases[] = {
  { "leaky_relu", "slope", "negative_slope" },
  { "hardtanh", "min", "min_val" },
  { "hardtanh", "max", "max_val" },
};
#define NALIASES (sizeof aliases / sizeof aliases[0])

/* The alias of parameter q of activation a, or NULL. */
static const char *alias_of(const lg_activation *a, const lg_act_param *q) {
  size_t i;
  for (i = 0; i < NALIASES; i++)
    if (strcmp(aliases[i].act, a->name) == 0 && strcmp(aliases[i].name, q->name) == 0)
      return aliases[i].alias;
  return NULL;
}

/* Is key a keyword (PyTorch's name or API.md's alias) of activation a? */
static int is_keyword(const lg_activation *a, const char *key) {
  int k;
  for (k = 0; k < a->nparams; k++) {
    const char *al = alias_of(a, &a->params[k]);
    if (strcmp(key, a->params[k].name) == 0 || (al && strcmp(key, al) == 0)) return 1;
  }
  return 0;
}

/* Push the keyword value of parameter q from the options table at t (nil
 * when absent) and return the name it was given under; giving both names
 * of one parameter is an error. */
static const char *push_keyword(lua_State *L, const lg_activation *a, const lg_act_param *q,
                                int t) {
  const char *al = alias_of(a, q);
  lua_getfield(L, t, q->name);
  if (al == NULL) return q->name;
  lua_getfield(L, t, al);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
  } else if (lua_isnil(L, -2)) {
    lua_remove(L, -2);
    return al;
  } else {
    lgL_argerror(L, t, lua_pushfstring(L, "%s and %s name the same parameter; give one",
                                       al, q->name));
  }
  return q->name;
}

/* The type of the value at idx for messages: a userdata by its __name
 * (as lgL_typeerror does), so a tensor reads "lgrad.Tensor". */
static const char *type_name(lua_State *L, int idx) {
  if (lgC_getmetafield(L, idx, "__name") == LUA_TSTRING) return lua_tostring(L, -1);
  return luaL_typename(L, idx);
}

/* Parameters start at arg `first`; a trailing tensor is `out`. They may be
 * positional or one keyword table ({negative_slope = 0.2}, or API.md's
 * {slope = 0.2}). Returns the out argument's index, or 0 when there is none. */
static int check_params(lua_State *L, const lg_activation *a, int first, lg_act_params *p) {
  int top = lua_gettop(L), outarg = 0, k, kw;
  while (top >= first && lua_isnil(L, top)) top--;
  if (top >= first && lgL_test(L, top)) outarg = top--;
  p->p[0] = p->p[1] = 0;
  p->mode = 0;
  kw = top == first && lua_istable(L, first);
  if (kw) {
    /* Keyword form: unknown keys are errors, so typos do not pass silently. */
    lua_pushnil(L);
    while (lua_next(L, first)) {
      lua_pop(L, 1);
      if (lua_type(L, -1) != LUA_TSTRING)
        lgL_argerror(L, first, lua_pushfstring(L, "option names must be strings, got %s",
                                               luaL_typename(L, -1)));
      if (!is_keyword(a, lua_tostring(L, -1)))
        lgL_argerror(L, first, lua_pushfstring(L, "unknown option '%s' for %s",
                                               lua_tostring(L, -1), a->name));
    }
  } else if (top - first + 1 > a->nparams) {
    lgL_argerror(L, first + a->nparams,
                 lua_pushfstring(L, "%s takes %d parameter%s", a->name, a->nparams,
                                 a->nparams == 1 ? "" : "s"));
  }
  for (k = 0; k < a->nparams; k++) {
    const lg_act_param *q = &a->params[k];
    int arg = first + k, idx = arg;
    const char *pname = q->name;
    if (kw) {
      pname = push_keyword(L, a, q, first);
      idx = lua_gettop(L);
      arg = first;
    }
    if ((!kw && idx > top) || lua_isnoneornil(L, idx)) {
      if (q->choices) p->mode = (int)q->def;
      else p->p[k] = q->def;
    } else if (q->choices) {
      const char *s, *c;
      int i = 0, found = -1;
      /* Test the type first: lua_tostring would turn a number into a string. */
      if (lua_type(L, idx) != LUA_TSTRING)
        lgL_argerror(L, arg, lua_pushfstring(L, "%s must be a string, got %s", pname,
                                             type_name(L, idx)));
      s = lua_tostring(L, idx);
      for (c = q->choices; *c; c += strlen(c) + 1, i++)
        if (strcmp(c, s) == 0) found = i;
      if (found < 0)
        lgL_argerror(L, arg, lua_pushfstring(L, "invalid %s '%s'", pname, s));
      p->mode = found;
    } else {
      if (lua_type(L, idx) != LUA_TNUMBER)
        lgL_argerror(L, arg, lua_pushfstring(L, "%s must be a number, got %s", pname,
                                             type_name(L, idx)));
      p->p[k] = (double)lua_tonumber(L, idx);
    }
    if (kw) lua_pop(L, 1);
  }
  if (lg_activation_check(a, p) != LG_OK) {
    /* The one value PyTorch refuses (choices were checked above). */
    const char *why = lg_activation_refusal(a, p);
    if (why != NULL) lgL_argerror(L, first, why);
    lgL_argerror(L, first, lua_pushfstring(L, "invalid parameters for %s", a->name));
  }
  return outarg;
}

/* One activation call over elements, as pool chunks. */
typedef struct act_job {
  const lg_activation *a;
  const lg_act_params *p;
  int backward, f64;
  void *y;
  const void *dy, *x;
} act_job;

static void act_range(void *ctx, size_t lo, size_t hi) {
  const act_job *j = (const act_job *)ctx;
  size_t n = hi - lo;
  if (j->f64) {
    double *y = (double *)j->y + lo;
    const double *x = (const double *)j->x + lo, *dy = j->dy ? (const double *)j->dy + lo : NULL;
    if (j->backward) j->a->b64(n, y, dy, x, j->p);
    else j->a->f64(n, y, x, j->p);
  } else {
    float *y = (float *)j->y + lo;
    const float *x = (const float *)j->x + lo, *dy = j->dy ? (const float *)j->dy + lo : NULL;
    if (j->backward) j->a->b32(n, y, dy, x, j->p);
    else j->a->f32(n, y, x, j->p);
  }
}

/* Run f (forward) or b (backward; dy NULL means dy = 1) from contiguous inputs
 * into out: directly when out is contiguous and does not partly overlap
 * an input, else through a temporary. Leaves out on the stack top. Large
 * calls split across the state's threads by element ranges, on the
 * kernel's boundaries (lg_activation_align). */
static void run(lua_State *L, const lg_activation *a, const lg_act_params *p, int xarg,
                lg_tensor *x, int backward, int dyarg, lg_tensor *dy, int outarg) {
  lg_tensor *o = lgL_out(L, outarg, x->dtype, x->ndim, x->size);
  lg_tensor *dst = lgL_dest(L, o, lgL_clash(o, x, 1) || lgL_clash(o, dy, 1));
  size_t n = (size_t)lgL_numel(x);
  struct lg_pool *pool;
  act_job j;
  /* the allocations may have run a finalizer that closed x, dy or out */
  lgL_alive(L, xarg, x);
  lgL_alive(L, dyarg, dy);
  lgL_alive(L, outarg, o);
  j.a = a;
  j.p = p;
  j.backward = backward;
  j.f64 = x->dtype == LG_F64;
  j.y = lgL_data(dst);
  j.dy = dy ? lgL_data(dy) : NULL;
  j.x = lgL_data(x);
  pool = lgL_pool(L, n);   /* NULL: one thread, no parts to align */
  lg_pool_for(pool, n, 1, pool ? lg_activation_align(a, j.f64, backward, n) : 1, act_range, &j);
  lgL_finish(L, o, dst);
}

static const lg_activation *upvalue_act(lua_State *L) {
  return (const lg_activation *)lua_touserdata(L, lua_upvalueindex(3));
}

/* lg.NAME(x, params... [, out]) */
static int act_forward(lua_State *L) {
  const lg_activation *a = upvalue_act(L);
  lg_act_params p;
  int outarg = check_params(L, a, 2, &p);
  lg_tensor *x = lgL_copyinto(L, 1, lgL_checkin(L, 1, -1));
  run(L, a, &p, 1, x, 0, 0, NULL, outarg);
  return 1;
}

/* The derivative times dy; dy NULL gives the plain derivative. */
static int backward_at(lua_State *L, const lg_activation *a, int dyarg, int xarg) {
  lg_act_params p;
  int outarg = check_params(L, a, xarg + 1, &p);
  lg_tensor *x, *dy = NULL;
  int dt = -1;
  /* A table x takes the dtype of a tensor grad_output (the first tensor argument). */
  if (dyarg && !lgL_test(L, xarg) && lgL_test(L, dyarg)) dt = (int)lgL_test(L, dyarg)->dtype;
  lgL_checkin(L, xarg, dt);
  x = lgL_contiguous(L, xarg);
  if (dyarg) {
    lgL_checkin(L, dyarg, (int)x->dtype);
    dy = lgL_contiguous(L, dyarg);
    x = lgL_check(L, xarg);
    if (dy->ndim != x->ndim || memcmp(dy->size, x->size, (size_t)x->ndim * sizeof(int64_t))) {
      const char *g = lgL_pushshape(L, dy->ndim, dy->size);
      const char *e = lgL_pushshape(L, x->ndim, x->size);
      lgL_argerror(L, dyarg, lua_pushfstring(L, "grad_output has shape %s, expected %s", g, e));
    }
  }
  run(L, a, &p, xarg, x, 1, dyarg, dy, outarg);
  return 1;
}

/* lg.NAME_backward(grad_output, x, params... [, out]) */
static int act_backward(lua_State *L) { return backward_at(L, upvalue_act(L), 1, 2); }

/* lg.derivative(name, x, params... [, out]) */
static int l_derivative(lua_State *L) {
  const char *name;
  const lg_activation *a;
  if (lua_type(L, 1) != LUA_TSTRING) return lgL_typeerror(L, 1, "activation name");
  name = lua_tostring(L, 1);
  a = lg_activation_find(name);
  if (a == NULL)
    return lgL_argerror(L, 1, lua_pushfstring(L, "unknown activation '%s'", name));
  return backward_at(L, a, 0, 2);
}

void lgL_open_act(lua_State *L, int mod, int meth) {
  const lg_activation *a;
  int i = 1;
  lua_newtable(L);   /* lg.activations: every name, in the contract's order */
  for (a = lg_activations; a->name; a++) {
    lua_pushstring(L, a->name);
    lua_rawseti(L, -2, i++);
    lua_pushlightuserdata(L, (void *)(uintptr_t)a);
    lgL_pushfunc(L, act_forward, 1);
    lua_setfield(L, mod, a->name);
    /* t:sigmoid() as well, as its own closure: a frame without a name
     * (LuaJIT tail calls) then still counts self out of arg numbers. */
    lua_pushlightuserdata(L, (void *)(uintptr_t)a);
    lgL_pushfunc(L, act_forward, 1);
    lua_setfield(L, meth, a->name);
    lua_pushfstring(L, "%s_backward", a->name);
    lua_pushlightuserdata(L, (void *)(uintptr_t)a);
    lgL_pushfunc(L, act_backward, 1);
    lua_settable(L, mod);
  }
  lua_setfield(L, mod, "activations");
  for (a = lg_activations_from_output; a->name; a++) {
    lua_pushfstring(L, "%s_backward_from_output", a->name);
    lua_pushlightuserdata(L, (void *)(uintptr_t)a);
    lgL_pushfunc(L, act_backward, 1);
    lua_settable(L, mod);
  }
  lgL_pushfunc(L, l_derivative, 0);
  lua_setfield(L, mod, "derivative");
}
