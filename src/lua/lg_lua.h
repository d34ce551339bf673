/* lg_lua.h - the binding's internal API: the tensor userdata, argument
 * checking and result pushing shared by every lua_*.c file. */
#ifndef LG_LUA_H
#define LG_LUA_H

#include "lua/compat.h"
#include "core/rng.h"
#include "core/storage.h"

#define LG_TENSOR_MT "lgrad.Tensor"

/* lg_storage and lg_tensor: core/storage.h. */

/* Argument errors in luaL_argerror's words, but a function called without
 * a name at the call site (pcall(lg.zeros, ...)) is still named by its
 * lgrad name ('zeros', not 'lgrad.core.zeros'). */
LG_INTERNAL int lgL_argerror(lua_State *L, int arg, const char *msg);
LG_INTERNAL int lgL_typeerror(lua_State *L, int arg, const char *expected);
/* "NAME: not enough memory for WHAT", naming the running lgrad function. */
LG_INTERNAL int lgL_nomem(lua_State *L, const char *what);
/* The lgrad name of the running C function, or NULL; *self is set when
 * arg 1 is self (a method call). */
LG_INTERNAL const char *lgL_running_name(lua_State *L, int *self);
LG_INTERNAL double lgL_checknumber(lua_State *L, int arg);
LG_INTERNAL double lgL_optnumber(lua_State *L, int arg, double def);
LG_INTERNAL void lgL_checkany(lua_State *L, int arg);
/* Record the lgrad name of every function in the table at idx. */
LG_INTERNAL void lgL_register_names(lua_State *L, int idx);

/* Set the tensor metatable on the userdata on the stack top: the one with
 * __gc when gc (the tensor owns allocated or host memory), else the plain one. */
LG_INTERNAL void lgL_setmeta(lua_State *L, int gc);
/* luaopen: create both metatables; after fields are added to the gc one
 * (LG_TENSOR_MT), copy them to the plain one. */
LG_INTERNAL void lgL_init_metatables(lua_State *L);
LG_INTERNAL void lgL_sync_metatables(lua_State *L);
/* The tensor at idx or NULL (no check that it is open). lgL_test is for
 * the binding's functions (made by lgL_pushfunc or lgL_register); the
 * public C API, which may run outside any C function, uses lgL_testreg. */
LG_INTERNAL lg_tensor *lgL_test(lua_State *L, int idx);
LG_INTERNAL lg_tensor *lgL_testreg(lua_State *L, int idx);
/* Push f as a closure with the tensor metatables as upvalues 1 and 2 (for
 * lgL_test), then the nup values on the stack top as upvalues 3.. */
LG_INTERNAL void lgL_pushfunc(lua_State *L, lua_CFunction f, int nup);
/* A tensor argument that is open, or a Lua error naming arg. */
LG_INTERNAL lg_tensor *lgL_check(lua_State *L, int arg);
/* A tensor argument, or a number / (nested) table converted in place on
 * the stack. dt < 0 converts to float32; otherwise a tensor argument must
 * have dtype dt and a converted one gets it. */
LG_INTERNAL lg_tensor *lgL_checkin(lua_State *L, int arg, int dt);
/* Memory outside the Lua heap that a tensor's finalizer frees (allocated
 * blocks, host buffers with a release) is counted so that the collector
 * runs often enough for it in every mode: lgL_pace before nbytes more are
 * held (may collect, and so run finalizers or raise), lgL_charge once the
 * storage st holds them (never fails). */
LG_INTERNAL void lgL_pace(lua_State *L, size_t nbytes);
LG_INTERNAL void lgL_charge(lua_State *L, lg_storage *st, size_t nbytes);
/* Push a new contiguous tensor (elements uninitialised). */
LG_INTERNAL lg_tensor *lgL_new(lua_State *L, lg_dtype dt, int ndim, const int64_t *size);
/* Push a scratch userdata of count elements of esize bytes (at least one),
 * freed by the collector so an error cannot leak it; the byte count is
 * checked against SIZE_MAX (32-bit hosts): "NAME: tensor too large". */
LG_INTERNAL void *lgL_scratch(lua_State *L, uint64_t count, size_t esize);
/* Push a view sharing the storage of the tensor at idx (geometry copied;
 * the caller adjusts it). */
LG_INTERNAL lg_tensor *lgL_view(lua_State *L, int idx);
/* The optional `out` argument: absent/nil (or arg 0) pushes a new tensor; otherwise it
 * must match dtype and shape exactly and is pushed again. */
LG_INTERNAL lg_tensor *lgL_out(lua_State *L, int arg, lg_dtype dt, int ndim,
                               const int64_t *size);
/* The same for an out argument o already checked to be the tensor at arg. */
LG_INTERNAL lg_tensor *lgL_outcheck(lua_State *L, int arg, lg_tensor *o, lg_dtype dt, int ndim,
                                    const int64_t *size);
/* Writing results into out: lgL_clash says whether writing out could
 * corrupt a read of in (shared storage, and not the very same contiguous
 * elements when exact_ok, which elementwise kernels allow); lgL_dest gives
 * where a kernel writes (out, or a contiguous temporary pushed on top when
 * out is not contiguous or clashes); lgL_finish copies a temporary into out
 * and pops it. */
LG_INTERNAL int lgL_clash(const lg_tensor *out, const lg_tensor *in, int exact_ok);
LG_INTERNAL lg_tensor *lgL_dest(lua_State *L, lg_tensor *out, int clash);
LG_INTERNAL void lgL_finish(lua_State *L, lg_tensor *out, lg_tensor *w);
/* Add funcs to the module table and methods to the methods table (either may be NULL). */
LG_INTERNAL void lgL_register(lua_State *L, int mod, const luaL_Reg *funcs, int meth,
                              const luaL_Reg *methods);
/* Any allocation may run the collector and so a Lua finalizer that closes
 * a tensor this call is using. Bindings therefore take data pointers and
 * arrays only after their last allocation, and call lgL_recheck(L) there:
 * it raises "tensor is closed" for any tensor on the stack that was. */
LG_INTERNAL void lgL_recheck(lua_State *L);
/* The same for one tensor (NULL allowed) the caller holds: cheaper on hot paths. */
static inline void lgL_alive(lua_State *L, int arg, const lg_tensor *t) {
  if (t && (t->st == NULL || t->st->data == NULL)) lgL_argerror(L, arg, "tensor is closed");
}
/* Push a new contiguous copy, converted to dtype dt, of the tensor at idx. */
LG_INTERNAL lg_tensor *lgL_copynew(lua_State *L, int idx, lg_dtype dt);
/* The tensor at arg, replaced on the stack by a contiguous copy if needed;
 * lgL_copyinto does it for t, already checked to be the tensor at arg. */
LG_INTERNAL lg_tensor *lgL_contiguous(lua_State *L, int arg);
LG_INTERNAL lg_tensor *lgL_copyinto(lua_State *L, int arg, lg_tensor *t);
/* A 1-based or negative dim argument (default def when absent) -> 0-based. */
LG_INTERNAL int lgL_checkdim(lua_State *L, int arg, const lg_tensor *t, int def);
/* A reduction over dim d of t: the contiguous [outer][n][inner] view of it,
 * and the result's shape (d dropped, or kept with size 1). */
LG_INTERNAL void lgL_layout(const lg_tensor *t, int d, size_t *outer, size_t *n, size_t *inner);
LG_INTERNAL int lgL_reducedshape(const lg_tensor *t, int d, int keepdim, int64_t *size);
/* Optional dtype name argument. */
LG_INTERNAL lg_dtype lgL_optdtype(lua_State *L, int arg, lg_dtype def);
LG_INTERNAL const char *lgL_dtypename(lg_dtype dt);
/* Push "[2, 3]". */
LG_INTERNAL const char *lgL_pushshape(lua_State *L, int ndim, const int64_t *size);
LG_INTERNAL void lgL_array(const lg_tensor *t, lg_array *a);
LG_INTERNAL int64_t lgL_numel(const lg_tensor *t);
LG_INTERNAL int lgL_iscontiguous(const lg_tensor *t);
/* 1 when a and b share storage (writes to one may show in the other). */
LG_INTERNAL int lgL_sharestorage(const lg_tensor *a, const lg_tensor *b);
LG_INTERNAL lg_rng *lgL_rng(lua_State *L);

static inline void *lgL_data(const lg_tensor *t) {
  return t->st->data + t->offset * (int64_t)lg_dtype_size(t->dtype);
}

/* Each area adds its functions to the module table (index mod) and its
 * methods to the tensor methods table (index meth). */
LG_INTERNAL void lgL_open_tensor(lua_State *L, int mod, int meth);
/* lua_storage.c: close t's storage (reuse: the collector frees it, so the
 * block may be kept for the next tensor); the per-state accounting, made
 * once by lgL_open_storage (from lgL_open_tensor). */
LG_INTERNAL void lgL_release(lua_State *L, lg_tensor *t, int reuse);
LG_INTERNAL void lgL_open_storage(lua_State *L);
LG_INTERNAL void lgL_open_ops(lua_State *L, int mod, int meth);
LG_INTERNAL void lgL_open_act(lua_State *L, int mod, int meth);
LG_INTERNAL void lgL_open_softmax(lua_State *L, int mod, int meth);
LG_INTERNAL void lgL_open_loss(lua_State *L, int mod, int meth);
LG_INTERNAL void lgL_open_threads(lua_State *L, int mod, int meth);
LG_INTERNAL void lgL_open_npy(lua_State *L, int mod, int meth);

/* The state's worker pool (lua_threads.c) for a job of work elements:
 * NULL (run inline) when work is small or set_num_threads left 1. Call
 * it after the last allocation, as lgL_recheck: a finalizer may change
 * the pool. */
struct lg_pool;
LG_INTERNAL struct lg_pool *lgL_pool(lua_State *L, size_t work);

#endif
