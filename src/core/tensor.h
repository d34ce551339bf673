/* tensor.h - strided arrays and the elementwise, reduction and matrix
 * kernels the tensor type is built from. No Lua here: the binding
 * (lua_*.c) owns memory and argument checking and calls these. */
#ifndef LG_TENSOR_H
#define LG_TENSOR_H

#include "lg_common.h"

/* A strided view of memory: element (i1..in) lives at
 * data + sum(i_k * stride[k]) elements. Strides may be 0 (broadcast). */
typedef struct lg_array {
  void *data;
  lg_dtype dtype;
  int ndim;
  int64_t size[LG_MAXDIM];
  int64_t stride[LG_MAXDIM];
} lg_array;

/* Largest element count we agree to allocate: keeps every byte count and
 * every index product far from overflow (2^48 elements = 2 PB). */
#define LG_MAXNUMEL ((int64_t)1 << 48)

LG_INTERNAL size_t lg_dtype_size(lg_dtype dt);
/* Product of sizes into *n; LG_ERANGE if it would exceed LG_MAXNUMEL. */
LG_INTERNAL int lg_numel(int ndim, const int64_t *size, int64_t *n);
LG_INTERNAL void lg_contiguous_strides(int ndim, const int64_t *size, int64_t *stride);
LG_INTERNAL int lg_is_contiguous(const lg_array *a);
LG_INTERNAL int lg_contiguous_layout(int ndim, const int64_t *size, const int64_t *stride);
/* NumPy broadcasting of two shapes; LG_EVALUE if they are incompatible. */
LG_INTERNAL int lg_broadcast_shape(int na, const int64_t *sa, int nb,
                                   const int64_t *sb, int *nout, int64_t *sout);
/* View a with the (broadcast-compatible) shape of rank ndim: new leading
 * dims and expanded size-1 dims get stride 0. */
LG_INTERNAL void lg_expand(const lg_array *a, int ndim, const int64_t *size, lg_array *out);

enum lg_binop { LG_ADD, LG_SUB, LG_MUL, LG_DIV, LG_GT, LG_LT, LG_GE, LG_LE, LG_EQ, LG_NE,
                LG_MAXIMUM, LG_MINIMUM, LG_BPOW };   /* LG_BPOW: a ^ b */
enum lg_unop { LG_NEG, LG_EXP, LG_LOG, LG_ABS, LG_SQRT, LG_POW };

/* out = a OP b elementwise; a and b already expanded to out's shape, all
 * one dtype. out may alias a or b exactly (same data and strides). */
LG_INTERNAL void lg_binary(int op, lg_array *out, const lg_array *a, const lg_array *b);
/* out = cond != 0 ? a : b; all expanded to out's shape, cond of either
 * dtype, a and b of out's. out may alias a or b exactly. */
LG_INTERNAL void lg_where(lg_array *out, const lg_array *cond, const lg_array *a, const lg_array *b);
/* out = OP(a) (p is the exponent for LG_POW); same dtype, same shape. */
LG_INTERNAL void lg_unary(int op, double p, lg_array *out, const lg_array *a);
/* out = a with dtype conversion; a expanded to out's shape. Overlapping
 * storage other than exact aliasing is the caller's problem. */
LG_INTERNAL void lg_copy(lg_array *out, const lg_array *a);
LG_INTERNAL void lg_fill(lg_array *out, double v);

/* Reductions over the middle dim of a contiguous [outer][n][inner] block.
 * Sums accumulate in double. NaN propagates through max/min like PyTorch;
 * ties keep the first index. idx (may be NULL) gets 0-based positions. */
enum lg_redop { LG_SUM, LG_MEAN, LG_MAX, LG_MIN };
LG_INTERNAL void lg_reduce(int op, lg_dtype dt, size_t outer, size_t n, size_t inner,
                           const void *x, void *y, int64_t *idx);

/* C[m][n] = A[m][k] * B[k][n] for contiguous row-major inputs; dot products
 * accumulate in double. Returns LG_ENOMEM if a scratch copy fails. */
LG_INTERNAL int lg_matmul(lg_dtype dt, size_t m, size_t k, size_t n,
                          const void *a, const void *b, void *c);

/* The dot product of n elements of a and b (strides sa, sb in elements)
 * as a number of dtype dt, as sum() gives it: float32 products are exact
 * in double and summed there, then rounded to float32 once; float64
 * products and sums are compensated (the FMA gives each product's
 * rounding error), good to about an ulp. */
LG_INTERNAL double lg_dot(lg_dtype dt, int64_t n, const void *a, int64_t sa, const void *b,
                          int64_t sb);

/* 1 if |a - b| <= atol + rtol * |b| everywhere (NaN never close); a and b
 * expanded to one shape, same dtype. */
LG_INTERNAL int lg_allclose(const lg_array *a, const lg_array *b, double rtol, double atol);
/* 1 if every element compares equal. */
LG_INTERNAL int lg_all_equal(const lg_array *a, const lg_array *b);

/* Read/write one element at a flat element offset from data. */
LG_INTERNAL double lg_get(lg_dtype dt, const void *data, int64_t off);
LG_INTERNAL void lg_set(lg_dtype dt, void *data, int64_t off, double v);

#endif
