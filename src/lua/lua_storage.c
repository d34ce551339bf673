/* lua_storage.c - a tensor's memory: inline, allocated or a host's
 * buffer; its bytes counted per lua_State so the collector runs often
 * enough for them in every mode; freed blocks kept for reuse; views that
 * keep their owner alive. */
#include <string.h>

#include "lua/lg_lua.h"

/* Elements up to this many bytes live inside the tensor's own userdata. */
#define LG_INLINE_MAX 512

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
  size_t nbytes = t->own.nbytes, bs = nbytes + LG_ALIGN_SLACK - 1;
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
    const char *name = lgL_running_name(L, &self);
    luaL_error(L, "%s: not enough memory for a %s %s tensor", name ? name : "lgrad",
               lgL_pushshape(L, ndim, size), lgL_dtypename(t->dtype));
  }
  t->own.kind = LG_ST_ALLOC;
  t->own.block = block;
  t->own.blocksize = bs;
  t->own.data = (char *)(((uintptr_t)block + (LG_ALIGN_SLACK - 1)) & ~(uintptr_t)(LG_ALIGN_SLACK - 1));
  t->st = &t->own;   /* from here its finalizer frees it, whatever fails */
  lgL_charge(L, &t->own, nbytes);
  pace(L, m, 0, nbytes);
}

void *lgL_scratch(lua_State *L, uint64_t count, size_t esize) {
  if (count > SIZE_MAX / esize) {
    int self;
    const char *name = lgL_running_name(L, &self);
    char num[32];
    snprintf(num, sizeof num, "%.0f", (double)count);
    luaL_error(L, "%s: tensor too large (scratch of %s elements)", name ? name : "lgrad", num);
  }
  return lua_newuserdata(L, (size_t)(count > 0 ? count : 1) * esize);
}

/* Push a new tensor of the given geometry with freshly allocated storage.
 * The userdata is made safe (no storage) before anything can fail. */
lg_tensor *lgL_new(lua_State *L, lg_dtype dt, int ndim, const int64_t *size) {
  size_t nbytes = 0, inl;
  lg_tensor *t;
  if (ndim > LG_MAXDIM) luaL_error(L, "tensor with more than %d dims", LG_MAXDIM);
  if (lg_tensor_nbytes(dt, ndim, size, &nbytes) != LG_OK) {
    int self;
    const char *name = lgL_running_name(L, &self);
    luaL_error(L, "%s: tensor too large (%s %s)", name ? name : "lgrad",
               lgL_pushshape(L, ndim, size), lgL_dtypename(dt));
  }
  inl = nbytes <= LG_INLINE_MAX ? nbytes : 0;
  t = (lg_tensor *)lgC_newudata(L, sizeof(lg_tensor) + inl);
  lg_tensor_init(t, dt, ndim, size, nbytes);
  lgL_setmeta(L, nbytes > LG_INLINE_MAX);
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
  lg_tensor_view(v, src);
  lgL_setmeta(L, 0);
  /* Keep the storage's owner (not an intermediate view) alive. */
  if (src->st == &src->own) lua_pushvalue(L, idx);
  else lgC_pushowner(L, idx);
  lgC_setowner(L, -2);
  return v;
}

/* Close t: its own storage goes back (to the block cache when reuse, that
 * is, when the collector frees it); a view just forgets the owner's. */
void lgL_release(lua_State *L, lg_tensor *t, int reuse) {
  if (t->st == &t->own) release_storage(L, &t->own, reuse);
  t->st = NULL;
}

void lgL_open_storage(lua_State *L) { extmem_init(L); }
