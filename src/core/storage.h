/* storage.h - what a tensor is, without Lua: a view (dtype, shape,
 * strides, offset) onto a storage (bytes kept inline, in an allocated
 * block, or a host's buffer with its release). The binding puts tensors
 * in userdata and decides when storage is freed; the geometry of new
 * tensors, wrapped buffers and views, with every byte count checked
 * against size_t, is here. */
#ifndef LG_CORE_STORAGE_H
#define LG_CORE_STORAGE_H

#include <string.h>

#include "core/tensor.h"

typedef void (*lg_release_fn)(void *ud, void *data);

enum { LG_ST_INLINE, LG_ST_ALLOC, LG_ST_HOST };

/* Memory a tensor's elements live in. Small tensors keep it inline in
 * their userdata; large ones take a block from the state's allocator so
 * close() can give it back at once; host buffers carry their release. */
typedef struct lg_storage {
  char *data;            /* NULL once released */
  size_t nbytes;
  void *block;           /* LG_ST_ALLOC: the allocator's block */
  size_t blocksize;
  int kind;
  lg_release_fn release; /* LG_ST_HOST: called once with (release_ud, data) */
  void *release_ud;
  struct lg_extmem *acct; /* where nbytes were charged, or NULL (the binding's) */
} lg_storage;

typedef struct lg_tensor {
  lg_storage *st;        /* own storage or the owner's; NULL once closed */
  int64_t offset;        /* in elements */
  lg_dtype dtype;
  int ndim;
  int64_t size[LG_MAXDIM];
  int64_t stride[LG_MAXDIM];
  lg_storage own;        /* used when this tensor owns its storage */
} lg_tensor;

/* Bytes of alignment slack an allocated block has beyond its elements. */
#define LG_ALIGN_SLACK 64

/* A new tensor in two steps, so that a caller can raise its error before
 * it allocates anything: lg_tensor_nbytes checks the geometry and gives the
 * element bytes (LG_ERANGE when ndim is out of 0..LG_MAXDIM or the bytes,
 * with the alignment slack, do not fit a size_t); lg_tensor_init then makes
 * t (zeroed first) contiguous of that geometry, owning no storage yet. */
/* (inline: every tensor a call returns is made by these two) */
static inline int lg_tensor_nbytes(lg_dtype dt, int ndim, const int64_t *size, size_t *nbytes) {
  int64_t n;
  size_t esize = lg_dtype_size(dt);
  if (ndim < 0 || ndim > LG_MAXDIM) return LG_ERANGE;
  /* bytes must fit a size_t with room for the alignment (32-bit hosts) */
  if (lg_numel(ndim, size, &n) != LG_OK || (uint64_t)n > (SIZE_MAX - LG_ALIGN_SLACK) / esize)
    return LG_ERANGE;
  *nbytes = (size_t)n * esize;
  return LG_OK;
}

static inline void lg_tensor_init(lg_tensor *t, lg_dtype dt, int ndim, const int64_t *size, size_t nbytes) {
  memset(t, 0, sizeof *t);
  t->dtype = dt;
  t->ndim = ndim;
  if (ndim > 0) memcpy(t->size, size, (size_t)ndim * sizeof(int64_t));
  lg_contiguous_strides(ndim, t->size, t->stride);
  t->own.nbytes = nbytes;
}

/* The same for a host's buffer with strides (in elements; NULL:
 * contiguous): lg_tensor_host_nbytes gives the bytes from the first element
 * to one past the last (0 when empty), or LG_ERANGE with *bad the 0-based
 * index of a stride outside 0..LG_MAXNUMEL, or -1 when the strides reach
 * past what a size_t counts (the geometry itself is lg_tensor_nbytes'
 * check); lg_tensor_init_host makes t own the buffer (LG_ST_HOST: release,
 * if not NULL, is called once with (ud, data) when it is released). */
LG_INTERNAL int lg_tensor_host_nbytes(lg_dtype dt, int ndim, const int64_t *size,
                                      const int64_t *strides, size_t *nbytes, int *bad);
LG_INTERNAL void lg_tensor_init_host(lg_tensor *t, void *data, lg_dtype dt, int ndim,
                                     const int64_t *size, const int64_t *strides,
                                     size_t nbytes, lg_release_fn release, void *ud);

/* v as a view of src: the same geometry and storage, owning nothing. */
LG_INTERNAL void lg_tensor_view(lg_tensor *v, const lg_tensor *src);

#endif
