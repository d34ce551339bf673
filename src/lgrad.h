/* lgrad.h - the C API of lgrad for programs that embed Lua.
 *
 * A host program opens lgrad into its lua_State, hands its own float
 * buffers to Lua scripts as tensors (without copying) and reads results
 * back. The kernels, callable without any Lua, are in lgrad_kernels.h
 * (included here). README.md, "Embedding", has a complete example.
 *
 * Linking: link the host with lgrad's shared object (lgrad/core.so, e.g.
 * `cc host.c -I<dir of lgrad.h> /path/to/lgrad/core.so -llua5.4 -lm`) or
 * compile lgrad's src/ files into the host. Only luaopen_lgrad_core and the
 * lgrad_ names below are exported from the shared object.
 *
 * Errors: the functions taking a lua_State raise Lua errors (bad
 * arguments, out of memory) like the lua_ and luaL_ functions do; call them
 * from a lua_CFunction or under lua_pcall.
 *
 * Threads: lgrad keeps no global mutable state (the random generator and
 * every table it needs live in each lua_State's registry), so several
 * threads may each use their own lua_State with lgrad at once. One
 * lua_State must still be used by one thread at a time, as Lua requires. */
#ifndef LGRAD_H
#define LGRAD_H

#include "lua.h"
#include "lgrad_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A tensor userdata on a Lua stack. Opaque; the pointer stays valid as long
 * as the userdata is alive (keep it on the stack or referenced from Lua). */
typedef struct lgrad_Tensor lgrad_Tensor;

/* Called exactly once with (ud, data) when lgrad is done with a wrapped
 * buffer. It runs inside Lua's collector or close: it must not call Lua on
 * that state nor raise an error; freeing memory is what it is for. */
typedef void (*lgrad_Release)(void *ud, void *data);

/* ---- opening -------------------------------------------------------------
 * The lua_CFunction that loads lgrad, for
 *     luaL_requiref(L, "lgrad", lgrad_open, 1);   // global `lgrad` too
 * It registers the C part linked into the host as package.preload
 * ["lgrad.core"] (so no lgrad/core.so is looked up on package.cpath), then
 * runs the Lua part, lgrad/init.lua, found on package.path like `require`
 * does, and returns the module table. Lua's default package.path already
 * covers a system-wide `luarocks install lgrad` (/usr/local/share/lua/5.4);
 * for another place the host prepends it first, e.g.
 *     package.path = "/opt/app/lua/?.lua;/opt/app/lua/?/init.lua;" .. package.path
 * Needs the package library (luaL_openlibs). If lgrad/init.lua is not
 * found the error lists the places tried. A host that wants no Lua files
 * can open the C part alone (every function written in C, no printing):
 *     luaL_requiref(L, "lgrad.core", luaopen_lgrad_core, 0); */
LGRAD_API int lgrad_open(lua_State *L);
LGRAD_API int luaopen_lgrad_core(lua_State *L);

/* ---- making tensors ------------------------------------------------------ */

/* Push a new contiguous tensor of dtype LGRAD_FLOAT32 or LGRAD_FLOAT64 and
 * the given shape (ndim sizes >= 0, 0 <= ndim <= LGRAD_MAXDIM; ndim 0 is a
 * scalar), filled with zeros. lgrad owns its memory. */
LGRAD_API lgrad_Tensor *lgrad_newtensor(lua_State *L, int dtype, int ndim, const int64_t *shape);

/* Push a tensor over the host's buffer `data`, without copying: reads and
 * writes from Lua go straight to that memory.
 *   strides  in elements, one per dim, each >= 0; NULL for contiguous
 *            row-major. Element (i1, ..., in) is data[sum(i_k * strides[k])].
 *   release  NULL, or called exactly once as release(ud, data) when the
 *            tensor is closed (t:close(), <close>, lgrad_close) or, failing
 *            that, collected after it and all its views are unreachable, at
 *            lua_close(L) at the latest.
 * Ownership: the host keeps owning the buffer; lgrad never frees it. The
 * buffer must stay valid (and at least as large as the strides reach)
 * until release is called; with release == NULL, until the host has closed
 * the tensor with lgrad_close or has called lua_close(L). After the close,
 * Lua code still holding the tensor or a view of it gets "tensor is closed"
 * errors, never the freed memory. If lgrad_wrap raises an error (bad
 * arguments, out of memory), no tensor exists and release is not called.
 * Two tensors wrapping overlapping memory are not known to share storage:
 * do not pass them as input and `out` of one call. */
LGRAD_API lgrad_Tensor *lgrad_wrap(lua_State *L, void *data, int dtype, int ndim,
                                   const int64_t *shape, const int64_t *strides,
                                   lgrad_Release release, void *ud);

/* Close the tensor at idx now: a tensor owning its storage frees it (for a
 * wrapped buffer: calls release), a view just stops working. Idempotent. */
LGRAD_API void lgrad_close(lua_State *L, int idx);

/* ---- reading tensors ----------------------------------------------------- */

/* The tensor at idx, or NULL if the value there is not an lgrad tensor.
 * Use these two rather than luaL_testudata(L, idx, "lgrad.Tensor"): small
 * tensors and views carry a second metatable, one without __gc. */
LGRAD_API lgrad_Tensor *lgrad_totensor(lua_State *L, int idx);
/* The tensor argument arg of a lua_CFunction, or an error in Lua's words
 * ("bad argument #1 to 'f' (lgrad.Tensor expected, got nil)"); also an
 * error if it is closed. */
LGRAD_API lgrad_Tensor *lgrad_checktensor(lua_State *L, int arg);

/* The element at index (0, ..., 0); NULL once the tensor is closed. With the
 * strides this reaches every element; views start inside their owner's
 * buffer. */
LGRAD_API void *lgrad_data(const lgrad_Tensor *t);
LGRAD_API int lgrad_dtype(const lgrad_Tensor *t);      /* LGRAD_FLOAT32 or _FLOAT64 */
LGRAD_API int lgrad_ndim(const lgrad_Tensor *t);
/* ndim sizes / strides (in elements; 0 for a broadcast dim). The arrays
 * belong to the tensor: valid while it is alive, changed by nothing. */
LGRAD_API const int64_t *lgrad_shape(const lgrad_Tensor *t);
LGRAD_API const int64_t *lgrad_strides(const lgrad_Tensor *t);
LGRAD_API int64_t lgrad_numel(const lgrad_Tensor *t);
/* 1 if the elements are contiguous row-major (so data[0 .. numel-1]). */
LGRAD_API int lgrad_iscontiguous(const lgrad_Tensor *t);

#ifdef __cplusplus
}
#endif

#endif
