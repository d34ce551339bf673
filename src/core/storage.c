/* storage.c - the geometry of tensors and views (storage.h). */
#include <string.h>

#include "core/storage.h"

int lg_tensor_host_nbytes(lg_dtype dt, int ndim, const int64_t *size, const int64_t *strides,
                          size_t *nbytes, int *bad) {
  int64_t extent = 1;   /* elements from the first to one past the last */
  int k, empty = 0;
  *bad = -1;
  for (k = 0; k < ndim; k++) if (size[k] == 0) empty = 1;
  if (strides != NULL) {
    for (k = 0; k < ndim; k++) {
      /* bounded so that no offset computation can overflow */
      if (strides[k] < 0 || strides[k] > LG_MAXNUMEL) {
        *bad = k;
        return LG_ERANGE;
      }
      if (!empty && strides[k] > 0) {
        if (size[k] - 1 > LG_MAXNUMEL / strides[k]) return LG_ERANGE;
        extent += (size[k] - 1) * strides[k];
      }
    }
  } else if (!empty) {
    lg_numel(ndim, size, &extent);
  }
  if (!empty && (uint64_t)extent >= SIZE_MAX / lg_dtype_size(dt)) return LG_ERANGE;
  *nbytes = empty ? 0 : (size_t)extent * lg_dtype_size(dt);
  return LG_OK;
}

void lg_tensor_init_host(lg_tensor *t, void *data, lg_dtype dt, int ndim, const int64_t *size,
                         const int64_t *strides, size_t nbytes, lg_release_fn release,
                         void *ud) {
  lg_tensor_init(t, dt, ndim, size, nbytes);
  if (strides != NULL && ndim > 0) memcpy(t->stride, strides, (size_t)ndim * sizeof(int64_t));
  t->own.kind = LG_ST_HOST;
  t->own.data = (char *)data;
  t->own.release = release;
  t->own.release_ud = ud;
  t->st = &t->own;
}

void lg_tensor_view(lg_tensor *v, const lg_tensor *src) {
  memcpy(v, src, sizeof *v);
  memset(&v->own, 0, sizeof v->own);
}
