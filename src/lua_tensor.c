/* lua_tensor.c - the tensor userdata: storage, creation, conversion from
 * and to Lua tables, element access, views and closing. */
#include <math.h>
#include <string.h>

#include "lg_lua.h"

/* Elements up to this many bytes live inside the tensor's own userdata. */
#define LG_INLINE_MAX 512

/* ---- argument errors --------------------------------------------------- */

#define LG_NAMES "lgrad.names"

void lgL_register_names(lua_State *L, int idx) {
  int method;
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  /* Names in the methods table get a ':' mark: a frame without a name
   * (5.1/LuaJIT metamethods and tail calls) then still knows that arg 1
   * is self. On 5.2+ a function also in the module loses the mark. */
  luaL_getmetatable(L, LG_TENSOR_MT);
  lua_getfield(L, -1, "__methods");
  method = lua_rawequal(L, -1, idx);
  lua_pop(L, 2);
  lua_getfield(L, LUA_REGISTRYINDEX, LG_NAMES);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, LG_NAMES);
  }
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    if (lua_type(L, -2) == LUA_TSTRING && lua_iscfunction(L, -1)) {
      if (method) lua_pushfstring(L, ":%s", lua_tostring(L, -2));
      else lua_pushvalue(L, -2);
      lua_rawset(L, -4);   /* names[function] = name */
    } else {
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);
}

/* The lgrad name of the running C function, or NULL: the call site's name
 * if it has one, else the one lgL_register_names recorded. *self is set
 * when arg 1 is self (a method call), and the ':' mark is dropped. */
static const char *running_name(lua_State *L, int *self) {
  lua_Debug ar;
  const char *name;
  *self = 0;
  if (!lua_getstack(L, 0, &ar)) return NULL;
  lua_getinfo(L, "nf", &ar);
  if (ar.namewhat && strcmp(ar.namewhat, "method") == 0) *self = 1;
  name = ar.name;
  if (name == NULL) {
    lua_getfield(L, LUA_REGISTRYINDEX, LG_NAMES);
    if (lua_istable(L, -1)) {
      lua_pushvalue(L, -2);
      lua_rawget(L, -2);
      name = lua_tostring(L, -1);   /* kept alive by the names table */
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
    if (name && name[0] == ':') {
      name++;
      *self = 1;
    }
  }
  lua_pop(L, 1);   /* the function "f" pushed */
  /* 5.2/5.3 name metamethods "__add", 5.4 "add"; 5.1 looked it up above. */
  if (name && name[0] == '_' && name[1] == '_') name += 2;
  return name;
}

int lgL_argerror(lua_State *L, int arg, const char *msg) {
  lua_Debug ar;
  int self;
  const char *name;
  if (!lua_getstack(L, 0, &ar)) return luaL_error(L, "bad argument #%d (%s)", arg, msg);
  name = running_name(L, &self);
  if (self && --arg == 0) return luaL_error(L, "calling '%s' on bad self (%s)", name ? name : "?", msg);
  return luaL_error(L, "bad argument #%d to '%s' (%s)", arg, name ? name : "?", msg);
}

int lgL_nomem(lua_State *L, const char *what) {
  int self;
  const char *name = running_name(L, &self);
  return luaL_error(L, "%s: not enough memory for %s", name ? name : "lgrad", what);
}

int lgL_typeerror(lua_State *L, int arg, const char *expected) {
  const char *got;
  if (lgC_getmetafield(L, arg, "__name") == LUA_TSTRING) got = lua_tostring(L, -1);
  else got = lua_isnone(L, arg) ? "no value" : luaL_typename(L, arg);
  return lgL_argerror(L, arg, lua_pushfstring(L, "%s expected, got %s", expected, got));
}

double lgL_checknumber(lua_State *L, int arg) {
  if (lua_type(L, arg) != LUA_TNUMBER) lgL_typeerror(L, arg, "number");
  return (double)lua_tonumber(L, arg);
}

double lgL_optnumber(lua_State *L, int arg, double def) {
  return lua_isnoneornil(L, arg) ? def : lgL_checknumber(L, arg);
}

void lgL_checkany(lua_State *L, int arg) {
  if (lua_isnone(L, arg)) lgL_argerror(L, arg, "value expected");
}

/* Tensors have one of two metatables with the same fields: "gc" (the
 * registry's LG_TENSOR_MT, with __gc) for tensors that own memory outside
 * their userdata, and "plain" (no __gc) for inline storage and views. A
 * small result that needs no finalizer is about a third cheaper to create
 * and collect. Both are found by address key, without hashing a string;
 * both give the gc one to getmetatable() (__metatable). */
static const char mt_keys[2] = { 0, 0 };
#define MT_GC ((const void *)&mt_keys[0])
#define MT_PLAIN ((const void *)&mt_keys[1])

void lgL_setmeta(lua_State *L, int gc) {
  lgC_rawgetp(L, LUA_REGISTRYINDEX, gc ? MT_GC : MT_PLAIN);
  lua_setmetatable(L, -2);
}

/* 1 when the table on the stack top is one of the two metatables. */
static int is_tensor_mt(lua_State *L) {
  int r;
  lgC_rawgetp(L, LUA_REGISTRYINDEX, MT_PLAIN);
  r = lua_rawequal(L, -1, -2);
  lua_pop(L, 1);
  if (!r) {
    lgC_rawgetp(L, LUA_REGISTRYINDEX, MT_GC);
    r = lua_rawequal(L, -1, -2);
    lua_pop(L, 1);
  }
  return r;
}

lg_tensor *lgL_testreg(lua_State *L, int idx) {
  lg_tensor *t = NULL;
  void *p = lua_touserdata(L, idx);
  if (p && lua_type(L, idx) == LUA_TUSERDATA && lua_getmetatable(L, idx)) {
    if (is_tensor_mt(L)) t = (lg_tensor *)p;
    lua_pop(L, 1);
  }
  return t;
}

/* The binding's functions carry both metatables as upvalues 1 and 2
 * (lgL_pushfunc): comparing with them skips the registry lookups, a third
 * of a small call's cost. Any other running C function falls back to them. */
lg_tensor *lgL_test(lua_State *L, int idx) {
  lg_tensor *t = NULL;
  void *p = lua_touserdata(L, idx);
  if (p && lua_type(L, idx) == LUA_TUSERDATA && lua_getmetatable(L, idx)) {
    if (lua_rawequal(L, -1, lua_upvalueindex(1)) || lua_rawequal(L, -1, lua_upvalueindex(2)) ||
        is_tensor_mt(L))
      t = (lg_tensor *)p;
    lua_pop(L, 1);
  }
  return t;
}

void lgL_pushfunc(lua_State *L, lua_CFunction f, int nup) {
  lgC_rawgetp(L, LUA_REGISTRYINDEX, MT_PLAIN);
  lgC_rawgetp(L, LUA_REGISTRYINDEX, MT_GC);
  if (nup > 0) {   /* the caller's upvalues go after the metatables */
    lua_insert(L, -2 - nup);
    lua_insert(L, -2 - nup);
  }
  lua_pushcclosure(L, f, 2 + nup);
}

void lgL_init_metatables(lua_State *L) {
  lgC_newmetatable(L, LG_TENSOR_MT);   /* with __name on every version */
  lua_pushvalue(L, -1);
  lgC_rawsetp(L, LUA_REGISTRYINDEX, MT_GC);
  lua_newtable(L);
  lgC_rawsetp(L, LUA_REGISTRYINDEX, MT_PLAIN);
}

void lgL_sync_metatables(lua_State *L) {
  lgC_rawgetp(L, LUA_REGISTRYINDEX, MT_GC);
  lgC_rawgetp(L, LUA_REGISTRYINDEX, MT_PLAIN);
  lua_pushvalue(L, -2);
  lua_setfield(L, -3, "__metatable");
  lua_pushnil(L);
  while (lua_next(L, -3)) {        /* plain[k] = gc[k], except __gc */
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, -4);
  }
  lua_pushnil(L);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 2);
}

lg_tensor *lgL_check(lua_State *L, int arg) {
  lg_tensor *t = lgL_test(L, arg);
  if (t == NULL) lgL_typeerror(L, arg, LG_TENSOR_MT);
  if (t->st == NULL || t->st->data == NULL) lgL_argerror(L, arg, "tensor is closed");
  return t;
}

const char *lgL_dtypename(lg_dtype dt) { return dt == LG_F64 ? "float64" : "float32"; }

lg_dtype lgL_optdtype(lua_State *L, int arg, lg_dtype def) {
  const char *s;
  if (lua_isnoneornil(L, arg)) return def;
  if (lua_type(L, arg) != LUA_TSTRING) lgL_typeerror(L, arg, "dtype name");
  s = lua_tostring(L, arg);
  if (strcmp(s, "float32") == 0) return LG_F32;
  if (strcmp(s, "float64") == 0) return LG_F64;
  lgL_argerror(L, arg, lua_pushfstring(L, "invalid dtype '%s' (float32 or float64)", s));
  return def;
}

const char *lgL_pushshape(lua_State *L, int ndim, const int64_t *size) {
  luaL_Buffer b;
  int i;
  luaL_buffinit(L, &b);
  luaL_addchar(&b, '[');
  for (i = 0; i < ndim; i++) {
    char num[32];
    snprintf(num, sizeof num, i ? ", %lld" : "%lld", (long long)size[i]);
    luaL_addstring(&b, num);
  }
  luaL_addchar(&b, ']');
  luaL_pushresult(&b);
  return lua_tostring(L, -1);
}

void lgL_array(const lg_tensor *t, lg_array *a) {
  a->data = lgL_data(t);
  a->dtype = t->dtype;
  a->ndim = t->ndim;
  memcpy(a->size, t->size, sizeof a->size);
  memcpy(a->stride, t->stride, sizeof a->stride);
}

int64_t lgL_numel(const lg_tensor *t) {
  int64_t n = 1;
  int i;
  for (i = 0; i < t->ndim; i++) n *= t->size[i];
  return n;
}

int lgL_iscontiguous(const lg_tensor *t) {
  return lg_contiguous_layout(t->ndim, t->size, t->stride);
}

int lgL_sharestorage(const lg_tensor *a, const lg_tensor *b) { return a->st == b->st; }

/* ---- storage ---------------------------------------------------------- */

/* Bytes of tensor storage a state holds outside its Lua heap. No Lua
 * collector counts them: an incremental one is paced by the steps
 * lgL_charge gives it, but a 5.4 generational one starts a major
 * collection only when the Lua heap grows, which big tensors barely make
 * it do, so tensors that lived through two minor collections would pile
 * up until memory ran out. Hence also a full collection each time the
 * bytes held have doubled since the last one (at least LG_GC_FLOOR more),
 * in every mode and version: the collector's own pause rule applied to
 * memory it cannot see. */
/* The state also keeps a few blocks its collector freed for tensors of
 * the same size to reuse. An incremental collector frees garbage in
 * batches, and glibc hands a heap top of more than twice the largest block
 * back to the system, so a loop of temporaries faulted every page of every
 * new tensor in afresh (5x slower in incremental mode). close() frees
 * directly: the user asked for the memory back. */
#define LG_CACHE_N 8
#define LG_CACHE_MAX ((size_t)32 << 20)     /* bytes kept */
#define LG_CACHE_BLOCK ((size_t)16 << 20)   /* largest block kept */

typedef struct lg_extmem {
  size_t live;    /* bytes charged and not yet released */
  size_t limit;   /* collect fully before live would pass this */
  int closed;     /* lua_close flushed the cache: keep nothing more */
  int n;          /* blocks in the cache */
  size_t cached;  /* their bytes */
  void *block[LG_CACHE_N];
  size_t size[LG_CACHE_N];
} lg_extmem;

#define LG_GC_FLOOR ((size_t)64 << 20)
static const char extmem_key = 0;

/* A cached block of exactly bs bytes, or NULL. */
static void *cache_take(lg_extmem *m, size_t bs) {
  int i;
  for (i = m->n - 1; i >= 0; i--) {
    if (m->size[i] == bs) {
      void *p = m->block[i];
      m->n--;
      m->block[i] = m->block[m->n];
      m->size[i] = m->size[m->n];
      m->cached -= bs;
      return p;
    }
  }
  return NULL;
}

/* Keep block p of bs bytes if there is room; 1 if kept. */
static int cache_put(lg_extmem *m, void *p, size_t bs) {
  if (m->closed || bs > LG_CACHE_BLOCK || m->n == LG_CACHE_N || bs > LG_CACHE_MAX - m->cached)
    return 0;
  m->block[m->n] = p;
  m->size[m->n] = bs;
  m->n++;
  m->cached += bs;
  return 1;
}

static void cache_flush(lua_State *L, lg_extmem *m) {
  while (m->n > 0) {
    m->n--;
    lgC_free(L, m->block[m->n], m->size[m->n]);
  }
  m->cached = 0;
}

static int extmem_gc(lua_State *L) {   /* at lua_close */
  lg_extmem *m = (lg_extmem *)lua_touserdata(L, 1);
  cache_flush(L, m);
  m->closed = 1;
  return 0;
}

static lg_extmem *extmem(lua_State *L) {
  lg_extmem *m;
  lgC_rawgetp(L, LUA_REGISTRYINDEX, &extmem_key);
  m = (lg_extmem *)lua_touserdata(L, -1);
  lua_pop(L, 1);
  return m;
}

static void extmem_init(lua_State *L) {
  lg_extmem *m;
  if (extmem(L)) return;   /* the module opened again in this state */
  m = (lg_extmem *)lgC_newudata(L, sizeof *m);
  memset(m, 0, sizeof *m);
  m->limit = LG_GC_FLOOR;
  lua_newtable(L);
  lua_pushcfunction(L, extmem_gc);
  lua_setfield(L, -2, "__gc");
  lua_setmetatable(L, -2);
  lgC_rawsetp(L, LUA_REGISTRYINDEX, &extmem_key);
}

static int gc_running(lua_State *L) {
#ifdef LUA_GCISRUNNING   /* 5.2+ and LuaJIT 2.1 */
  return lua_gc(L, LUA_GCISRUNNING, 0);
#else
  (void)L;
  return 1;
#endif
}

static void full_collect(lua_State *L, lg_extmem *m) {
  size_t floor;
  lua_gc(L, LUA_GCCOLLECT, 0);   /* finalizers lower m->live */
  floor = m->live < LG_GC_FLOOR ? LG_GC_FLOOR : m->live;
  m->limit = m->live + floor;
}

/* Collect for extra bytes about to be held (0: already counted) and a new
 * block of nbytes: fully past the limit, else an incremental step. */
static void pace(lua_State *L, lg_extmem *m, size_t extra, size_t nbytes) {
  size_t kb = nbytes >> 10;
  if (m == NULL || !gc_running(L)) return;
  if (m->live > m->limit || extra > m->limit - m->live) full_collect(L, m);
  else if (kb > 0) lua_gc(L, LUA_GCSTEP, kb > 0x7fffffff ? 0x7fffffff : (int)kb);
}

void lgL_pace(lua_State *L, size_t nbytes) { pace(L, extmem(L), nbytes, nbytes); }

void lgL_charge(lua_State *L, lg_storage *st, size_t nbytes) {
  lg_extmem *m = extmem(L);
  if (m == NULL || nbytes == 0) return;
  m->live += nbytes;
  st->acct = m;
}

/* Give a tensor's storage back: to the cache when the collector frees it
 * (reuse), to the allocator when closed or when the cache is full. */
static void release_storage(lua_State *L, lg_storage *s, int reuse) {
  if (s->data == NULL) return;
  if (s->kind == LG_ST_ALLOC) {
    if (!(reuse && s->acct && cache_put(s->acct, s->block, s->blocksize)))
      lgC_free(L, s->block, s->blocksize);
  } else if (s->kind == LG_ST_HOST && s->release) {
    s->release(s->release_ud, s->data);
  }
  if (s->acct) s->acct->live -= s->nbytes;
  s->acct = NULL;
  s->data = NULL;
}

/* The storage block of a new tensor (64-byte aligned for vector loads),
 * after a full collection and a second try if the first fails. Charged
 * once the block is the tensor's: charging first would free the blocks it
 * collects before this one is taken, and glibc would hand their pages back
 * to the system only to fault them in again (6x slower loops). */
static void alloc_block(lua_State *L, lg_tensor *t, int ndim, const int64_t *size) {
  size_t nbytes = t->own.nbytes, bs = nbytes + 63;
  lg_extmem *m = extmem(L);
  void *block = m ? cache_take(m, bs) : NULL;
  if (block == NULL) block = lgC_alloc(L, bs);
  if (block == NULL && m) {
    cache_flush(L, m);
    if (gc_running(L)) full_collect(L, m);
    cache_flush(L, m);
    block = lgC_alloc(L, bs);
  }
  if (block == NULL) {
    int self;
    const char *name = running_name(L, &self);
    luaL_error(L, "%s: not enough memory for a %s %s tensor", name ? name : "lgrad",
               lgL_pushshape(L, ndim, size), lgL_dtypename(t->dtype));
  }
  t->own.kind = LG_ST_ALLOC;
  t->own.block = block;
  t->own.blocksize = bs;
  t->own.data = (char *)(((uintptr_t)block + 63) & ~(uintptr_t)63);
  t->st = &t->own;   /* from here its finalizer frees it, whatever fails */
  lgL_charge(L, &t->own, nbytes);
  pace(L, m, 0, nbytes);
}

void *lgL_scratch(lua_State *L, uint64_t count, size_t esize) {
  if (count > SIZE_MAX / esize) {
    int self;
    const char *name = running_name(L, &self);
    char num[32];
    snprintf(num, sizeof num, "%.0f", (double)count);
    luaL_error(L, "%s: tensor too large (scratch of %s elements)", name ? name : "lgrad", num);
  }
  return lua_newuserdata(L, (size_t)(count > 0 ? count : 1) * esize);
}

/* Push a new tensor of the given geometry with freshly allocated storage.
 * The userdata is made safe (no storage) before anything can fail. */
lg_tensor *lgL_new(lua_State *L, lg_dtype dt, int ndim, const int64_t *size) {
  int64_t n;
  size_t nbytes, inl, esize = lg_dtype_size(dt);
  lg_tensor *t;
  if (ndim > LG_MAXDIM) luaL_error(L, "tensor with more than %d dims", LG_MAXDIM);
  /* Bytes must fit a size_t with room for the alignment (32-bit hosts). */
  if (lg_numel(ndim, size, &n) != LG_OK || (uint64_t)n > (SIZE_MAX - 64) / esize) {
    int self;
    const char *name = running_name(L, &self);
    luaL_error(L, "%s: tensor too large (%s %s)", name ? name : "lgrad",
               lgL_pushshape(L, ndim, size), lgL_dtypename(dt));
  }
  nbytes = (size_t)n * esize;
  inl = nbytes <= LG_INLINE_MAX ? nbytes : 0;
  t = (lg_tensor *)lgC_newudata(L, sizeof(lg_tensor) + inl);
  memset(t, 0, sizeof *t);
  lgL_setmeta(L, nbytes > LG_INLINE_MAX);
  t->dtype = dt;
  t->ndim = ndim;
  if (ndim > 0) memcpy(t->size, size, (size_t)ndim * sizeof(int64_t));
  lg_contiguous_strides(ndim, t->size, t->stride);
  t->own.nbytes = nbytes;
  if (nbytes <= LG_INLINE_MAX) {
    t->own.kind = LG_ST_INLINE;
    t->own.data = (char *)(t + 1);
  } else {
    alloc_block(L, t, ndim, size);
  }
  t->st = &t->own;
  return t;
}

lg_tensor *lgL_view(lua_State *L, int idx) {
  lg_tensor *src = lgL_check(L, idx), *v;
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  v = (lg_tensor *)lgC_newudata(L, sizeof(lg_tensor));
  memcpy(v, src, sizeof *v);
  memset(&v->own, 0, sizeof v->own);
  lgL_setmeta(L, 0);
  /* Keep the storage's owner (not an intermediate view) alive. */
  if (src->st == &src->own) lua_pushvalue(L, idx);
  else lgC_pushowner(L, idx);
  lgC_setowner(L, -2);
  return v;
}

static int t_close(lua_State *L) {
  lg_tensor *t = lgL_test(L, 1);
  if (t == NULL) return lgL_typeerror(L, 1, LG_TENSOR_MT);
  if (t->st == &t->own) release_storage(L, &t->own, 0);
  t->st = NULL;
  return 0;
}

/* ---- arguments -------------------------------------------------------- */

lg_tensor *lgL_out(lua_State *L, int arg, lg_dtype dt, int ndim, const int64_t *size) {
  if (arg <= 0 || lua_isnoneornil(L, arg)) return lgL_new(L, dt, ndim, size);
  return lgL_outcheck(L, arg, lgL_check(L, arg), dt, ndim, size);
}

lg_tensor *lgL_outcheck(lua_State *L, int arg, lg_tensor *o, lg_dtype dt, int ndim,
                        const int64_t *size) {
  if (o->dtype != dt)
    lgL_argerror(L, arg, lua_pushfstring(L, "out has dtype %s, expected %s",
                                          lgL_dtypename(o->dtype), lgL_dtypename(dt)));
  if (o->ndim != ndim || (ndim && memcmp(o->size, size, (size_t)ndim * sizeof(int64_t)))) {
    const char *want = lgL_pushshape(L, ndim, size);
    const char *got = lgL_pushshape(L, o->ndim, o->size);
    lgL_argerror(L, arg, lua_pushfstring(L, "out has shape %s, expected %s", got, want));
  }
  lua_pushvalue(L, arg);
  return o;
}

void lgL_recheck(lua_State *L) {
  int i, top = lua_gettop(L);
  for (i = 1; i <= top; i++) lgL_alive(L, i, lgL_test(L, i));
}

int lgL_clash(const lg_tensor *out, const lg_tensor *in, int exact_ok) {
  if (in == NULL || !lgL_sharestorage(out, in)) return 0;
  return !(exact_ok && lgL_data(out) == lgL_data(in) && lgL_iscontiguous(out));
}

lg_tensor *lgL_dest(lua_State *L, lg_tensor *out, int clash) {
  if (!clash && lgL_iscontiguous(out)) return out;
  return lgL_new(L, out->dtype, out->ndim, out->size);
}

void lgL_finish(lua_State *L, lg_tensor *out, lg_tensor *w) {
  lg_array o, s;
  if (w == out) return;
  lgL_array(out, &o);
  lgL_array(w, &s);
  lg_copy(&o, &s);
  lua_pop(L, 1);
}

void lgL_register(lua_State *L, int mod, const luaL_Reg *funcs, int meth,
                  const luaL_Reg *methods) {
  const luaL_Reg *r;
  for (r = funcs; r && r->name; r++) {
    lgL_pushfunc(L, r->func, 0);
    lua_setfield(L, mod, r->name);
  }
  for (r = methods; r && r->name; r++) {
    /* On 5.2+ the module's closure when it is the same function: as light
     * functions they were one value, which lgL_register_names relies on to
     * drop the method mark. 5.1 and LuaJIT made a value per push anyway. */
#if LUA_VERSION_NUM >= 502
    lua_getfield(L, mod, r->name);
    if (lua_tocfunction(L, -1) != r->func) {
      lua_pop(L, 1);
      lgL_pushfunc(L, r->func, 0);
    }
#else
    lgL_pushfunc(L, r->func, 0);
#endif
    lua_setfield(L, meth, r->name);
  }
}

lg_tensor *lgL_copynew(lua_State *L, int idx, lg_dtype dt) {
  lg_tensor *t = lgL_check(L, idx), *c;
  lg_array a, b;
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  c = lgL_new(L, dt, t->ndim, t->size);
  t = lgL_check(L, idx);   /* the allocation may have run a finalizer that closed it */
  lgL_array(t, &a);
  lgL_array(c, &b);
  lg_copy(&b, &a);
  return c;
}

lg_tensor *lgL_contiguous(lua_State *L, int arg) {
  lg_tensor *t = lgL_check(L, arg);
  if (lgL_iscontiguous(t)) return t;
  return lgL_copyinto(L, arg, t);
}

lg_tensor *lgL_copyinto(lua_State *L, int arg, lg_tensor *t) {
  lg_tensor *c;
  if (lgL_iscontiguous(t)) return t;
  arg = arg < 0 ? lua_gettop(L) + arg + 1 : arg;
  c = lgL_copynew(L, arg, t->dtype);
  lua_replace(L, arg);
  return c;
}

int lgL_checkdim(lua_State *L, int arg, const lg_tensor *t, int def) {
  int ok;
  int64_t d;
  int n = t->ndim > 0 ? t->ndim : 1;   /* a 0-d tensor accepts dim 1 / -1 */
  if (lua_isnoneornil(L, arg)) d = def;
  else {
    d = lgC_tointeger(L, arg, &ok);
    if (!ok) lgL_argerror(L, arg, lua_pushfstring(L, "dim must be an integer, got %s",
                                                   lua_type(L, arg) == LUA_TNUMBER
                                                       ? lua_tostring(L, arg)
                                                       : luaL_typename(L, arg)));
  }
  if (d == 0 || d > n || d < -n)
    lgL_argerror(L, arg, lua_pushfstring(L, "dim %d out of range for a %d-d tensor",
                                          (int)(d > 999999 ? 999999 : d < -999999 ? -999999 : d),
                                          t->ndim));
  return (int)(d > 0 ? d - 1 : n + d);
}

void lgL_layout(const lg_tensor *t, int d, size_t *outer, size_t *n, size_t *inner) {
  int k;
  *outer = 1; *n = 1; *inner = 1;
  if (t->ndim == 0) return;
  for (k = 0; k < d; k++) *outer *= (size_t)t->size[k];
  *n = (size_t)t->size[d];
  for (k = d + 1; k < t->ndim; k++) *inner *= (size_t)t->size[k];
}

int lgL_reducedshape(const lg_tensor *t, int d, int keepdim, int64_t *size) {
  int k, nd = 0;
  for (k = 0; k < t->ndim; k++) {
    if (k != d) size[nd++] = t->size[k];
    else if (keepdim) size[nd++] = 1;
  }
  return nd;
}

/* One size from the argument list: a non-negative integer. */
static int64_t check_size(lua_State *L, int arg, int idx) {
  int ok;
  int64_t v = lgC_tointeger(L, idx, &ok);
  if (!ok || v < 0) {
    if (lua_type(L, idx) == LUA_TNUMBER)
      lgL_argerror(L, arg, lua_pushfstring(L, "size must be a non-negative integer, got %s",
                                            lua_tostring(L, idx)));
    lgL_argerror(L, arg, lua_pushfstring(L, "size must be a non-negative integer, got %s",
                                          luaL_typename(L, idx)));
  }
  return v;
}

/* A shape given as sizes d1, d2, ... or as one table {d1, d2, ...},
 * starting at arg; returns the index of the first argument after it. */
static int check_shape(lua_State *L, int arg, int *ndim, int64_t *size) {
  int n = 0;
  if (lua_istable(L, arg)) {
    size_t len = lgC_rawlen(L, arg), i;
    if (len > LG_MAXDIM)
      lgL_argerror(L, arg, lua_pushfstring(L, "more than %d dims", LG_MAXDIM));
    for (i = 1; i <= len; i++) {
      lua_rawgeti(L, arg, (int)i);
      size[n++] = check_size(L, arg, -1);
      lua_pop(L, 1);
    }
    arg++;
  } else {
    while (lua_type(L, arg) == LUA_TNUMBER) {
      if (n == LG_MAXDIM) lgL_argerror(L, arg, lua_pushfstring(L, "more than %d dims", LG_MAXDIM));
      size[n++] = check_size(L, arg, arg);
      arg++;
    }
  }
  {
    int64_t total;
    if (lg_numel(n, size, &total) != LG_OK) lgL_argerror(L, 1, "tensor too large");
  }
  *ndim = n;
  return arg;
}

/* ---- tables to tensors -------------------------------------------------- */

static void fill_from_table(lua_State *L, int arg, int depth, const lg_tensor *t,
                            char **p) {
  size_t i, n = (size_t)t->size[depth], len = lgC_rawlen(L, -1);
  size_t es = lg_dtype_size(t->dtype);
  if (len != n)
    lgL_argerror(L, arg, lua_pushfstring(L, "ragged nested table: %d elements at depth %d, "
                                             "expected %d", (int)len, depth + 1, (int)n));
  luaL_checkstack(L, 2, "nested table");
  for (i = 1; i <= n; i++) {
    lua_rawgeti(L, -1, (int)i);
    if (depth + 1 < t->ndim) {
      if (!lua_istable(L, -1))
        lgL_argerror(L, arg, lua_pushfstring(L, "ragged nested table: %s at depth %d, "
                                                 "expected a table", luaL_typename(L, -1),
                                              depth + 1));
      fill_from_table(L, arg, depth + 1, t, p);
    } else {
      if (lua_type(L, -1) != LUA_TNUMBER)
        lgL_argerror(L, arg, lua_pushfstring(L, "number expected in nested table, got %s",
                                              luaL_typename(L, -1)));
      lg_set(t->dtype, *p, 0, (double)lua_tonumber(L, -1));
      *p += es;
    }
    lua_pop(L, 1);
  }
}

/* Push a tensor built from the number or (nested) table at arg. */
static lg_tensor *from_lua(lua_State *L, int arg, lg_dtype dt) {
  int ndim = 0;
  int64_t size[LG_MAXDIM];
  lg_tensor *t;
  char *p;
  if (lua_type(L, arg) == LUA_TNUMBER) {
    t = lgL_new(L, dt, 0, size);
    lg_set(dt, lgL_data(t), 0, (double)lua_tonumber(L, arg));
    return t;
  }
  if (!lua_istable(L, arg))
    lgL_argerror(L, arg, lua_pushfstring(L, "%s, number or table expected, got %s",
                                          LG_TENSOR_MT, luaL_typename(L, arg)));
  /* The shape comes from the first element at each depth; fill checks
   * that every other element agrees. */
  lua_pushvalue(L, arg);
  while (lua_istable(L, -1)) {
    size_t len = lgC_rawlen(L, -1);
    /* lgrad.autograd's traced values are tables too; read as data they
     * would be empty. They reach here through a function saved before
     * lg.grad patched lg (local f = lg.NAME). */
    if (lgC_getmetafield(L, -1, "__lgrad_traced") != LUA_TNIL)
      lgL_argerror(L, arg, "a tensor traced by lg.grad, given to a function saved before lg.grad "
                           "ran: call it as lg.NAME inside the function being differentiated");
    if (ndim == LG_MAXDIM)
      lgL_argerror(L, arg, lua_pushfstring(L, "table nested deeper than %d levels", LG_MAXDIM));
    size[ndim++] = (int64_t)len;
    if (len == 0) break;
    lua_rawgeti(L, -1, 1);
    lua_remove(L, -2);
  }
  lua_pop(L, 1);
  t = lgL_new(L, dt, ndim, size);
  p = (char *)lgL_data(t);
  lua_pushvalue(L, arg);
  if (lgL_numel(t) > 0 || ndim > 1) fill_from_table(L, arg, 0, t, &p);
  lua_pop(L, 1);
  return t;
}

lg_tensor *lgL_checkin(lua_State *L, int arg, int dt) {
  lg_tensor *t = lgL_test(L, arg);
  arg = arg < 0 ? lua_gettop(L) + arg + 1 : arg;
  if (t != NULL) {
    lgL_alive(L, arg, t);
    if (dt >= 0 && (int)t->dtype != dt)
      lgL_argerror(L, arg, lua_pushfstring(L, "dtype mismatch: expected %s, got %s",
                                            lgL_dtypename((lg_dtype)dt), lgL_dtypename(t->dtype)));
    return t;
  }
  t = from_lua(L, arg, dt < 0 ? LG_F32 : (lg_dtype)dt);
  lua_replace(L, arg);
  return t;
}

/* ---- constructors ----------------------------------------------------- */

static int l_tensor(lua_State *L) {
  lg_dtype dt = lgL_optdtype(L, 2, LG_F32);
  lg_tensor *src = lgL_test(L, 1);
  if (src) {   /* lg.tensor(t) copies, like torch.tensor */
    lgL_copynew(L, 1, lua_isnoneornil(L, 2) ? src->dtype : dt);
    return 1;
  }
  from_lua(L, 1, dt);
  return 1;
}

static int fill_new(lua_State *L, double v, int use_v) {
  int ndim;
  int64_t size[LG_MAXDIM];
  int next = check_shape(L, 1, &ndim, size);
  lg_dtype dt = lgL_optdtype(L, next, LG_F32);
  lg_tensor *t;
  lg_array a;
  if (!lua_isnoneornil(L, next + 1))
    lgL_argerror(L, next + 1, "too many arguments");
  t = lgL_new(L, dt, ndim, size);
  lgL_array(t, &a);
  if (use_v) lg_fill(&a, v);
  return 1;
}

static int l_zeros(lua_State *L) { return fill_new(L, 0, 1); }
static int l_ones(lua_State *L) { return fill_new(L, 1, 1); }
static int l_empty(lua_State *L) { return fill_new(L, 0, 0); }

static int l_full(lua_State *L) {
  int ndim;
  int64_t size[LG_MAXDIM];
  lg_tensor *t;
  lg_array a;
  double v;
  int next;
  if (!lua_istable(L, 1) && lua_type(L, 1) != LUA_TNUMBER)
    lgL_argerror(L, 1, lua_pushfstring(L, "shape table expected, got %s", luaL_typename(L, 1)));
  if (lua_istable(L, 1)) next = check_shape(L, 1, &ndim, size);
  else { ndim = 1; size[0] = check_size(L, 1, 1); next = 2; }
  v = (double)lgL_checknumber(L, next);
  t = lgL_new(L, lgL_optdtype(L, next + 1, LG_F32), ndim, size);
  lgL_array(t, &a);
  lg_fill(&a, v);
  return 1;
}

static int l_eye(lua_State *L) {
  int64_t size[2], i;
  lg_dtype dt;
  lg_tensor *t;
  lg_array a;
  int darg = 2;
  size[0] = check_size(L, 1, 1);
  size[1] = size[0];
  if (lua_type(L, 2) == LUA_TNUMBER) { size[1] = check_size(L, 2, 2); darg = 3; }
  dt = lgL_optdtype(L, darg, LG_F32);
  {
    int64_t n;
    if (lg_numel(2, size, &n) != LG_OK) lgL_argerror(L, 1, "tensor too large");
  }
  t = lgL_new(L, dt, 2, size);
  lgL_array(t, &a);
  lg_fill(&a, 0);
  for (i = 0; i < size[0] && i < size[1]; i++) lg_set(dt, a.data, i * size[1] + i, 1);
  return 1;
}

/* range(a, b [, step [, dtype]]): inclusive, like `for i = a, b, step`. */
static int l_range(lua_State *L) {
  double a = (double)lgL_checknumber(L, 1), b = (double)lgL_checknumber(L, 2);
  double step = (double)lgL_optnumber(L, 3, 1), count;
  lg_dtype dt = lgL_optdtype(L, 4, LG_F32);
  int64_t n, i;
  lg_tensor *t;
  if (!(step != 0) || isnan(step))
    lgL_argerror(L, 3, "step must be a non-zero number");
  if (!isfinite(a) || !isfinite(b) || !isfinite(step))
    lgL_argerror(L, isfinite(a) ? (isfinite(b) ? 3 : 2) : 1, "bounds and step must be finite");
  if ((b - a) * step < 0)
    lgL_argerror(L, 3, "step has the wrong sign for these bounds");
  /* A little slack so 0, 1, 0.1 keeps its last point despite rounding. */
  count = floor((b - a) / step + 1e-9) + 1;
  if (!(count <= (double)LG_MAXNUMEL)) lgL_argerror(L, 3, "tensor too large");
  n = (int64_t)count;
  t = lgL_new(L, dt, 1, &n);
  for (i = 0; i < n; i++) lg_set(dt, lgL_data(t), i, a + (double)i * step);
  return 1;
}

/* linspace(a, b, n): both ends exact; the halves step from their end. */
static int l_linspace(lua_State *L) {
  double a = (double)lgL_checknumber(L, 1), b = (double)lgL_checknumber(L, 2), step;
  int64_t n = check_size(L, 3, 3), i;
  lg_dtype dt = lgL_optdtype(L, 4, LG_F32);
  lg_tensor *t;
  void *d;
  if (n > LG_MAXNUMEL) lgL_argerror(L, 3, "tensor too large");
  t = lgL_new(L, dt, 1, &n);
  d = lgL_data(t);
  step = n > 1 ? (b - a) / (double)(n - 1) : 0;
  for (i = 0; i < n; i++)
    lg_set(dt, d, i, (i < n / 2 || n == 1) ? a + step * (double)i : b - step * (double)(n - 1 - i));
  return 1;
}

lg_rng *lgL_rng(lua_State *L) {
  lg_rng *r;
  lua_getfield(L, LUA_REGISTRYINDEX, "lgrad.rng");
  r = (lg_rng *)lua_touserdata(L, -1);
  lua_pop(L, 1);
  if (r == NULL) {   /* first use in this state: the documented default seed */
    r = (lg_rng *)lgC_newudata(L, sizeof(lg_rng));
    lg_rng_seed(r, 0);
    lua_setfield(L, LUA_REGISTRYINDEX, "lgrad.rng");
  }
  return r;
}

static int l_seed(lua_State *L) {
  int ok;
  int64_t s = lgC_tointeger(L, 1, &ok);
  if (!ok) lgL_argerror(L, 1, "integer seed expected");
  lg_rng_seed(lgL_rng(L), (uint64_t)s);
  return 0;
}

static int random_new(lua_State *L, int normal) {
  int ndim;
  int64_t size[LG_MAXDIM];
  int next = check_shape(L, 1, &ndim, size);
  lg_dtype dt = lgL_optdtype(L, next, LG_F32);
  lg_rng *r = lgL_rng(L);
  lg_tensor *t = lgL_new(L, dt, ndim, size);
  size_t n = (size_t)lgL_numel(t);
  if (normal) lg_rng_normal(r, dt, lgL_data(t), n);
  else lg_rng_uniform(r, dt, lgL_data(t), n);
  return 1;
}

static int l_rand(lua_State *L) { return random_new(L, 0); }
static int l_randn(lua_State *L) { return random_new(L, 1); }

/* ---- inspection ------------------------------------------------------- */

static int t_shape(lua_State *L) {
  lg_tensor *t = lgL_check(L, 1);
  int i;
  lua_createtable(L, t->ndim, 0);
  for (i = 0; i < t->ndim; i++) {
    lgC_pushint64(L, t->size[i]);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

static int t_size(lua_State *L) {
  lg_tensor *t = lgL_check(L, 1);
  if (lua_isnoneornil(L, 2)) return t_shape(L);
  if (t->ndim == 0) lgL_argerror(L, 2, "a 0-d tensor has no dims");
  lgC_pushint64(L, t->size[lgL_checkdim(L, 2, t, 1)]);
  return 1;
}

static int t_dim(lua_State *L) { lua_pushinteger(L, lgL_check(L, 1)->ndim); return 1; }
static int t_numel(lua_State *L) { lgC_pushint64(L, lgL_numel(lgL_check(L, 1))); return 1; }
static int t_dtype(lua_State *L) { lua_pushstring(L, lgL_dtypename(lgL_check(L, 1)->dtype)); return 1; }
static int t_stride(lua_State *L) {
  lg_tensor *t = lgL_check(L, 1);
  int i;
  lua_createtable(L, t->ndim, 0);
  for (i = 0; i < t->ndim; i++) {
    lgC_pushint64(L, t->stride[i]);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}
static int t_is_contiguous(lua_State *L) { lua_pushboolean(L, lgL_iscontiguous(lgL_check(L, 1))); return 1; }
static int t_is_closed(lua_State *L) {
  lg_tensor *t = lgL_test(L, 1);
  if (t == NULL) return lgL_typeerror(L, 1, LG_TENSOR_MT);
  lua_pushboolean(L, t->st == NULL || t->st->data == NULL);
  return 1;
}

static int t_len(lua_State *L) {
  lg_tensor *t = lgL_check(L, 1);
  if (t->ndim == 0) return luaL_error(L, "length of a 0-d tensor");
  lgC_pushint64(L, t->size[0]);
  return 1;
}

/* An index argument (1-based, negative from the end) for a dim of size n. */
static int64_t check_index(lua_State *L, int arg, int idx, int64_t n) {
  int ok;
  int64_t i = lgC_tointeger(L, idx, &ok);
  if (!ok)
    lgL_argerror(L, arg, lua_pushfstring(L, "integer index expected, got %s",
                                          lua_type(L, idx) == LUA_TNUMBER ? lua_tostring(L, idx)
                                                                          : luaL_typename(L, idx)));
  if (i < 0) i += n + 1;
  if (i < 1 || i > n)
    lgL_argerror(L, arg, lua_pushfstring(L, "index %s out of range for a dim of size %d",
                                          lua_tostring(L, idx), (int)n));
  return i - 1;
}

/* Push the view of row i (0-based) of the tensor t at stack index 1. */
static lg_tensor *push_row(lua_State *L, const lg_tensor *t, int64_t i) {
  lg_tensor *v = lgL_view(L, 1);
  v->offset += i * t->stride[0];
  v->ndim--;
  memmove(v->size, v->size + 1, (size_t)v->ndim * sizeof(int64_t));
  memmove(v->stride, v->stride + 1, (size_t)v->ndim * sizeof(int64_t));
  return v;
}

/* t[i]: a number for a 1-d tensor, a view of row i otherwise; string keys
 * look up methods. */
static int t_index(lua_State *L) {
  lg_tensor *t;
  int64_t i;
  if (lua_type(L, 2) != LUA_TNUMBER) {
    /* __index called directly on a non-tensor has no metatable to read */
    if (lgL_test(L, 1) == NULL) return lgL_typeerror(L, 1, LG_TENSOR_MT);
    lua_pushvalue(L, 2);
    lua_rawget(L, lua_upvalueindex(1));   /* the methods table */
    return 1;
  }
  t = lgL_check(L, 1);
  if (t->ndim == 0) lgL_argerror(L, 2, "cannot index a 0-d tensor");
  i = check_index(L, 2, 2, t->size[0]);
  if (t->ndim == 1) {
    lua_pushnumber(L, (lua_Number)lg_get(t->dtype, lgL_data(t), i * t->stride[0]));
  } else {
    push_row(L, t, i);
  }
  return 1;
}

/* Copy a number, table or tensor (broadcast to dst's shape) into dst. */
static void assign(lua_State *L, int arg, lg_tensor *dst) {
  lg_array d, s, e;
  lg_tensor *src, *tmp;
  if (lua_type(L, arg) == LUA_TNUMBER) {
    lgL_array(dst, &d);
    lg_fill(&d, (double)lua_tonumber(L, arg));
    return;
  }
  src = lgL_checkin(L, arg, lgL_test(L, arg) ? -1 : (int)dst->dtype);
  {
    int nd;
    int64_t sz[LG_MAXDIM];
    if (src->ndim > dst->ndim ||
        lg_broadcast_shape(dst->ndim, dst->size, src->ndim, src->size, &nd, sz) != LG_OK ||
        memcmp(sz, dst->size, (size_t)nd * sizeof(int64_t)) != 0) {
      const char *a = lgL_pushshape(L, src->ndim, src->size);
      const char *b = lgL_pushshape(L, dst->ndim, dst->size);
      lgL_argerror(L, arg, lua_pushfstring(L, "shape %s cannot be broadcast to %s", a, b));
    }
  }
  /* copy through a temporary if they overlap */
  tmp = lgL_sharestorage(src, dst) ? lgL_new(L, src->dtype, dst->ndim, dst->size) : NULL;
  lgL_recheck(L);   /* after the allocation: both still open */
  lgL_array(src, &s);
  lgL_array(dst, &d);
  lg_expand(&s, d.ndim, d.size, &e);
  if (tmp) {
    lg_array ta;
    lgL_array(tmp, &ta);
    lg_copy(&ta, &e);
    lg_copy(&d, &ta);
    lua_pop(L, 1);
  } else {
    lg_copy(&d, &e);
  }
}

static int t_newindex(lua_State *L) {
  lg_tensor *t = lgL_check(L, 1);
  int64_t i;
  if (lua_type(L, 2) != LUA_TNUMBER)
    lgL_argerror(L, 2, lua_pushfstring(L, "integer index expected, got %s", luaL_typename(L, 2)));
  if (t->ndim == 0) lgL_argerror(L, 2, "cannot index a 0-d tensor");
  i = check_index(L, 2, 2, t->size[0]);
  if (t->ndim == 1) {
    lg_set(t->dtype, lgL_data(t), i * t->stride[0], (double)lgL_checknumber(L, 3));
  } else {
    assign(L, 3, push_row(L, t, i));
  }
  return 0;
}

/* Flat element offset of the indices at args 2 .. ndim+1. */
static int64_t element_offset(lua_State *L, const lg_tensor *t) {
  int64_t off = 0;
  int k, given = lua_gettop(L) - 1;
  if (given < t->ndim)
    lgL_argerror(L, given + 2, lua_pushfstring(L, "%d indices expected for a %d-d tensor, got %d",
                                                t->ndim, t->ndim, given));
  for (k = 0; k < t->ndim; k++) off += check_index(L, k + 2, k + 2, t->size[k]) * t->stride[k];
  return off;
}

static int t_get(lua_State *L) {
  lg_tensor *t = lgL_check(L, 1);
  if (lua_gettop(L) - 1 > t->ndim)
    lgL_argerror(L, t->ndim + 2, lua_pushfstring(L, "%d indices expected for a %d-d tensor, got %d",
                                                  t->ndim, t->ndim, lua_gettop(L) - 1));
  lua_pushnumber(L, (lua_Number)lg_get(t->dtype, lgL_data(t), element_offset(L, t)));
  return 1;
}

static int t_set(lua_State *L) {
  lg_tensor *t = lgL_check(L, 1);
  int top = lua_gettop(L);
  double v;
  int64_t off;
  if (top != t->ndim + 2)
    lgL_argerror(L, top < t->ndim + 2 ? top + 1 : t->ndim + 3,
                  lua_pushfstring(L, "%d indices and a value expected for a %d-d tensor",
                                  t->ndim, t->ndim));
  v = (double)lgL_checknumber(L, top);
  lua_settop(L, top - 1);
  off = element_offset(L, t);
  lg_set(t->dtype, lgL_data(t), off, v);
  lua_settop(L, 1);
  return 1;
}

static void push_table(lua_State *L, const lg_tensor *t, int depth, const char *p) {
  int64_t i, n = t->size[depth];
  int64_t step = t->stride[depth] * (int64_t)lg_dtype_size(t->dtype);
  luaL_checkstack(L, 3, "totable");
  lua_createtable(L, n > 0x7fffffff ? 0x7fffffff : (int)n, 0);
  /* The table may have run a finalizer that closed t: p is valid only
   * while the storage is open. */
  if (t->st == NULL || t->st->data == NULL) luaL_error(L, "tensor closed during totable");
  for (i = 0; i < n; i++) {
    if (depth + 1 < t->ndim) push_table(L, t, depth + 1, p + i * step);
    else lua_pushnumber(L, (lua_Number)lg_get(t->dtype, p + i * step, 0));
    lua_rawseti(L, -2, (int)(i + 1));
  }
}

static int t_totable(lua_State *L) {
  lg_tensor *t = lgL_check(L, 1);
  if (t->ndim == 0) lua_pushnumber(L, (lua_Number)lg_get(t->dtype, lgL_data(t), 0));
  else push_table(L, t, 0, (const char *)lgL_data(t));
  return 1;
}

static int t_item(lua_State *L) {
  lg_tensor *t = lgL_check(L, 1);
  if (lgL_numel(t) != 1)
    lgL_argerror(L, 1, lua_pushfstring(L, "item of a tensor with %d elements", (int)lgL_numel(t)));
  /* the one element: every index is 0, whatever the strides */
  lua_pushnumber(L, (lua_Number)lg_get(t->dtype, lgL_data(t), 0));
  return 1;
}

/* ---- views and copies ------------------------------------------------- */

/* reshape/view sizes: numbers or one table; one -1 is inferred. */
static void check_newshape(lua_State *L, const lg_tensor *t, int *ndim, int64_t *size) {
  int n = 0, infer = -1, k, arg = 2, top = lua_gettop(L), tab = lua_istable(L, 2);
  int64_t known = 1, total = lgL_numel(t), cnt = tab ? (int64_t)lgC_rawlen(L, 2) : top - 1;
  if (cnt > LG_MAXDIM) lgL_argerror(L, 2, lua_pushfstring(L, "more than %d dims", LG_MAXDIM));
  for (k = 0; k < cnt; k++) {
    int ok, idx = tab ? -1 : arg + k;
    int64_t v;
    if (tab) lua_rawgeti(L, 2, k + 1);
    v = lgC_tointeger(L, idx, &ok);
    if (tab) lua_pop(L, 1);
    if (!ok || v < -1)
      lgL_argerror(L, tab ? 2 : arg + k, "size must be a non-negative integer or -1");
    if (v == -1) {
      if (infer >= 0) lgL_argerror(L, tab ? 2 : arg + k, "only one size can be -1");
      infer = n;
    } else {
      if (v != 0 && known > LG_MAXNUMEL / v) lgL_argerror(L, tab ? 2 : arg + k, "tensor too large");
      known *= v;
    }
    size[n++] = v;
  }
  if (infer >= 0) {
    if (known == 0 || total % known != 0)
      lgL_argerror(L, 2, lua_pushfstring(L, "cannot infer size -1 for %d elements", (int)total));
    size[infer] = total / known;
    known = total;
  }
  /* A zero size hides the others from `known`: bound them like lgL_new
   * does, or the strides of [0, 2^62, 2^62] overflow. */
  if (lg_numel(n, size, &known) != LG_OK) lgL_argerror(L, 2, "tensor too large");
  if (known != total) {
    const char *s = lgL_pushshape(L, n, size);
    lgL_argerror(L, 2, lua_pushfstring(L, "shape %s is invalid for %d elements", s, (int)total));
  }
  *ndim = n;
}

static int reshape_impl(lua_State *L, int must_view) {
  lg_tensor *t = lgL_check(L, 1), *r;
  int ndim;
  int64_t size[LG_MAXDIM];
  check_newshape(L, t, &ndim, size);
  if (!lgL_iscontiguous(t)) {
    if (must_view)
      lgL_argerror(L, 1, "view needs a contiguous tensor (use reshape, which copies)");
    lgL_contiguous(L, 1);
  }
  r = lgL_view(L, 1);
  r->ndim = ndim;
  memcpy(r->size, size, sizeof size);
  lg_contiguous_strides(ndim, r->size, r->stride);
  return 1;
}

static int t_reshape(lua_State *L) { return reshape_impl(L, 0); }
static int t_viewm(lua_State *L) { return reshape_impl(L, 1); }

static int t_transpose(lua_State *L) {
  lg_tensor *t = lgL_check(L, 1), *v;
  int a, b;
  int64_t tmp;
  if (t->ndim == 0) lgL_argerror(L, 1, "cannot transpose a 0-d tensor");
  a = lgL_checkdim(L, 2, t, 1);
  b = lgL_checkdim(L, 3, t, 2 <= t->ndim ? 2 : 1);
  if (lua_isnoneornil(L, 2)) lgL_argerror(L, 2, "dim expected");
  if (lua_isnoneornil(L, 3)) lgL_argerror(L, 3, "dim expected");
  v = lgL_view(L, 1);
  tmp = v->size[a]; v->size[a] = v->size[b]; v->size[b] = tmp;
  tmp = v->stride[a]; v->stride[a] = v->stride[b]; v->stride[b] = tmp;
  return 1;
}

static int t_t(lua_State *L) {
  lg_tensor *t = lgL_check(L, 1), *v;
  int64_t tmp;
  if (t->ndim > 2) lgL_argerror(L, 1, lua_pushfstring(L, "t() expects a tensor with <= 2 dims, got %d", t->ndim));
  v = lgL_view(L, 1);
  if (v->ndim == 2) {
    tmp = v->size[0]; v->size[0] = v->size[1]; v->size[1] = tmp;
    tmp = v->stride[0]; v->stride[0] = v->stride[1]; v->stride[1] = tmp;
  }
  return 1;
}

static int copy_new(lua_State *L, lg_dtype dt) {
  lgL_copynew(L, 1, dt);
  return 1;
}

static int t_contiguous(lua_State *L) {
  lg_tensor *t = lgL_check(L, 1);
  if (lgL_iscontiguous(t)) { lua_settop(L, 1); return 1; }
  return copy_new(L, t->dtype);
}

static int t_clone(lua_State *L) { return copy_new(L, lgL_check(L, 1)->dtype); }

static int t_astype(lua_State *L) {
  lgL_check(L, 1);
  lgL_checkany(L, 2);
  return copy_new(L, lgL_optdtype(L, 2, LG_F32));
}

static int t_fill(lua_State *L) {
  lg_tensor *t = lgL_check(L, 1);
  lg_array a;
  double v = (double)lgL_checknumber(L, 2);
  lgL_array(t, &a);
  lg_fill(&a, v);
  lua_settop(L, 1);
  return 1;
}

/* t:copy(src): src (tensor, table or number) broadcast into t; an explicit
 * copy may change dtype. */
static int t_copy(lua_State *L) {
  lg_tensor *t = lgL_check(L, 1);
  lgL_checkany(L, 2);
  assign(L, 2, t);
  lua_settop(L, 1);
  return 1;
}

static int t_gc(lua_State *L) {
  /* Checked: __gc can be called directly on any userdata (an io file...). */
  lg_tensor *t = lgL_test(L, 1);
  if (t && t->st == &t->own) release_storage(L, &t->own, 1);
  if (t) t->st = NULL;
  return 0;
}

static const luaL_Reg funcs[] = {
  {"tensor", l_tensor}, {"zeros", l_zeros}, {"ones", l_ones}, {"empty", l_empty},
  {"full", l_full}, {"eye", l_eye}, {"range", l_range}, {"linspace", l_linspace},
  {"seed", l_seed}, {"rand", l_rand}, {"randn", l_randn}, {NULL, NULL}
};

static const luaL_Reg methods[] = {
  {"shape", t_shape}, {"size", t_size}, {"dim", t_dim}, {"numel", t_numel},
  {"dtype", t_dtype}, {"stride", t_stride}, {"is_contiguous", t_is_contiguous},
  {"is_closed", t_is_closed}, {"get", t_get}, {"set", t_set}, {"totable", t_totable},
  {"item", t_item}, {"reshape", t_reshape}, {"view", t_viewm}, {"transpose", t_transpose},
  {"t", t_t}, {"contiguous", t_contiguous}, {"clone", t_clone}, {"astype", t_astype},
  {"fill", t_fill}, {"copy", t_copy}, {"close", t_close}, {NULL, NULL}
};

void lgL_open_tensor(lua_State *L, int mod, int meth) {
  extmem_init(L);
  lgL_register(L, mod, funcs, meth, methods);
  luaL_getmetatable(L, LG_TENSOR_MT);
  lua_pushvalue(L, meth);
  lua_pushcclosure(L, t_index, 1);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, t_newindex);
  lua_setfield(L, -2, "__newindex");
  lua_pushcfunction(L, t_len);
  lua_setfield(L, -2, "__len");
  lua_pushcfunction(L, t_gc);
  lua_setfield(L, -2, "__gc");
#if LGC_HAS_CLOSE
  lua_pushcfunction(L, t_close);
  lua_setfield(L, -2, "__close");
#endif
  lua_pop(L, 1);
}
