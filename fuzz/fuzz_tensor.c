/* fuzz_tensor.c - libFuzzer harness for the shape arithmetic and strided
 * loops of src/core/tensor.c. The input bytes choose shapes (0..4 dims of size
 * 0..4), strides (contiguous, permuted, 0 = broadcast, padded), values
 * (ordinary and extreme) and an operation; every result is checked against
 * a naive per-element reference. Buffers are sized exactly to the largest
 * offset a view can reach, so ASan sees any read or write past it.
 * Also feeds raw 64-bit sizes to lg_numel and checks it against 128-bit
 * arithmetic. Build and run: make -C fuzz run. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tensor.h"

typedef struct { const uint8_t *p; size_t n; } src_t;

static unsigned take(src_t *s) {
  unsigned v;
  if (s->n == 0) return 0;
  v = s->p[0];
  s->p++;
  s->n--;
  return v;
}

static uint64_t take64(src_t *s) {
  uint64_t v = 0;
  int i;
  for (i = 0; i < 8; i++) v = v << 8 | take(s);
  return v;
}

static double take_value(src_t *s) {
  static const double special[] = {0.0, -0.0, 1.0, -1.0, 1e-45, -1e-45, 5e-324, 88.0, -88.0,
                                    1e4, -1e4, 3.4e38, -3.4e38, 1e308, NAN, INFINITY, -INFINITY};
  unsigned k = take(s);
  if (k < 200) return ((double)k - 100.0) / 8.0;
  return special[k % (sizeof special / sizeof special[0])];
}

#define die(...) (fprintf(stderr, __VA_ARGS__), fputc('\n', stderr), abort())

/* ---- lg_numel against 128-bit arithmetic ----------------------------- */

static void check_numel(src_t *s) {
  int64_t size[LG_MAXDIM], n = -7;
  int nd = (int)(take(s) % (LG_MAXDIM + 1)), i, neg = 0, zero = 0, st;
  unsigned __int128 p = 1;
  int big = 0;
  for (i = 0; i < nd; i++) {
    unsigned k = take(s) % 4;
    /* mostly small, sometimes any 64-bit pattern, sometimes a power of 2 */
    size[i] = k == 0 ? (int64_t)take64(s) : k == 1 ? (int64_t)1 << (take(s) % 63)
                                                  : (int64_t)(take(s) % 8);
    if (size[i] < 0) neg = 1;
    else if (size[i] == 0) zero = 1;
    else {
      p *= (unsigned __int128)size[i];
      if (p > (unsigned __int128)LG_MAXNUMEL) { big = 1; p = (unsigned __int128)LG_MAXNUMEL + 1; }
    }
  }
  st = lg_numel(nd, size, &n);
  if (neg || big) {
    if (st != LG_ERANGE) die("lg_numel accepted a negative or too large shape");
    return;
  }
  if (st != LG_OK) die("lg_numel rejected a valid shape");
  if (n != (zero ? 0 : (int64_t)p)) die("lg_numel: %lld", (long long)n);
  {
    int64_t stride[LG_MAXDIM];
    lg_contiguous_strides(nd, size, stride);   /* must not overflow (UBSan) */
  }
}

/* ---- random arrays ------------------------------------------------- */

typedef struct {
  lg_array a;
  void *buf;      /* exactly `span` elements */
  int64_t span;
} arr_t;

/* Largest offset + 1 a view reaches (0 when it has no elements). */
static int64_t span_of(const lg_array *a) {
  int64_t hi = 0;
  int i;
  for (i = 0; i < a->ndim; i++) {
    if (a->size[i] == 0) return 0;
    hi += (a->size[i] - 1) * a->stride[i];
  }
  return hi + 1;
}

/* A view of the given shape with random strides over an exact buffer. */
static void make_array(src_t *s, arr_t *x, lg_dtype dt, int nd, const int64_t *size) {
  int i, perm[LG_MAXDIM];
  int64_t st = 1;
  unsigned mode = take(s) % 4;
  x->a.dtype = dt;
  x->a.ndim = nd;
  for (i = 0; i < nd; i++) { x->a.size[i] = size[i]; perm[i] = nd - 1 - i; }
  if (mode == 1 && nd >= 2) {   /* a permuted (transposed) layout */
    int j = (int)(take(s) % (unsigned)nd), k = (int)(take(s) % (unsigned)nd), t = perm[j];
    perm[j] = perm[k];
    perm[k] = t;
  }
  for (i = 0; i < nd; i++) {
    int d = perm[i];
    x->a.stride[d] = st;
    st *= (size[d] > 0 ? size[d] : 1) + (mode == 2 ? (int64_t)(take(s) % 3) : 0);
  }
  if (mode == 3)   /* some broadcast (stride 0) dims */
    for (i = 0; i < nd; i++)
      if (take(s) & 1) x->a.stride[i] = 0;
  x->span = span_of(&x->a);
  x->buf = malloc((size_t)(x->span ? x->span : 1) * lg_dtype_size(dt));
  x->a.data = x->buf;
  for (i = 0; i < x->span; i++) lg_set(dt, x->buf, i, take_value(s));
}

static void rand_shape(src_t *s, int *nd, int64_t *size) {
  int i;
  *nd = (int)(take(s) % 5);
  for (i = 0; i < *nd; i++) size[i] = (int64_t)(take(s) % 5);
}

/* Element at multi-index idx of the n-d index space of a. */
static int64_t offset_of(const lg_array *a, const int64_t *idx) {
  int64_t off = 0;
  int i;
  for (i = 0; i < a->ndim; i++) off += idx[i] * a->stride[i];
  return off;
}

static int next_index(int nd, const int64_t *size, int64_t *idx) {
  int d;
  for (d = nd - 1; d >= 0; d--) {
    if (++idx[d] < size[d]) return 1;
    idx[d] = 0;
  }
  return 0;
}

static int64_t numel_of(int nd, const int64_t *size) {
  int64_t n = 1;
  int i;
  for (i = 0; i < nd; i++) n *= size[i];
  return n;
}

static int same(double got, double want, lg_dtype dt) {
  if (want != want) return got != got;
  if (dt == LG_F32) want = (double)(float)want;
  if (got == want) return 1;
  return fabs(got - want) <= 1e-12 * fabs(want) + (dt == LG_F32 ? 1e-6 * fabs(want) : 0);
}

static double ref_bin(int op, double a, double b, lg_dtype dt) {
  if (dt == LG_F32) {
    float x = (float)a, y = (float)b;
    switch (op) {
      case LG_ADD: return (double)(x + y);
      case LG_SUB: return (double)(x - y);
      case LG_MUL: return (double)(x * y);
      default: return (double)(x / y);
    }
  }
  switch (op) {
    case LG_ADD: return a + b;
    case LG_SUB: return a - b;
    case LG_MUL: return a * b;
    default: return a / b;
  }
}

/* ---- elementwise ops over broadcast shapes -------------------------- */

static void check_elementwise(src_t *s) {
  lg_dtype dt = (take(s) & 1) ? LG_F64 : LG_F32;
  int na, nb, no, i;
  int64_t sa[LG_MAXDIM], sb[LG_MAXDIM], so[LG_MAXDIM], idx[LG_MAXDIM];
  arr_t A, B, O;
  lg_array ea, eb;
  unsigned what = take(s) % 4;
  int op = (int)(take(s) % 4);
  rand_shape(s, &na, sa);
  rand_shape(s, &nb, sb);
  /* Make them broadcast-compatible most of the time. */
  for (i = 0; i < na && i < nb; i++)
    if (take(s) % 4) sb[nb - 1 - i] = (take(s) & 1) ? 1 : sa[na - 1 - i];
  if (lg_broadcast_shape(na, sa, nb, sb, &no, so) != LG_OK) {
    for (i = 0; i < na && i < nb; i++) {
      int64_t x = sa[na - 1 - i], y = sb[nb - 1 - i];
      if (x != y && x != 1 && y != 1) return;   /* rightly rejected */
    }
    die("lg_broadcast_shape rejected compatible shapes");
  }
  for (i = 0; i < no; i++) {   /* reference broadcast rule */
    int ia = na - no + i, ib = nb - no + i;
    int64_t x = ia >= 0 ? sa[ia] : 1, y = ib >= 0 ? sb[ib] : 1;
    if (so[i] != (x == 1 ? y : x)) die("broadcast size");
  }
  make_array(s, &A, dt, na, sa);
  make_array(s, &B, (what == 2 && (take(s) & 1)) ? (lg_dtype)(1 - dt) : dt, nb, sb);
  make_array(s, &O, dt, no, so);
  lg_expand(&A.a, no, so, &ea);
  lg_expand(&B.a, no, so, &eb);
  /* The output must not alias itself: give it a fresh contiguous layout
   * unless its strides are one-to-one. */
  if (O.a.ndim) {
    int64_t st = 1;
    free(O.buf);
    for (i = no - 1; i >= 0; i--) { O.a.stride[i] = st; st *= so[i] > 0 ? so[i] : 1; }
    O.span = span_of(&O.a);
    O.buf = calloc((size_t)(O.span ? O.span : 1), lg_dtype_size(dt));
    O.a.data = O.buf;
  }
  if (what == 0 || what == 3) {
    lg_binary(op, &O.a, &ea, &eb);
  } else if (what == 1) {
    lg_unary(op == 0 ? LG_NEG : op == 1 ? LG_EXP : op == 2 ? LG_ABS : LG_POW, 2.0, &O.a, &ea);
  } else {
    lg_copy(&O.a, &eb);
  }
  memset(idx, 0, sizeof idx);
  if (numel_of(no, so) > 0) do {
    double x = lg_get(dt, A.buf, offset_of(&ea, idx));
    double y = lg_get(B.a.dtype, B.buf, offset_of(&eb, idx));
    double got = lg_get(dt, O.buf, offset_of(&O.a, idx)), want;
    if (what == 0 || what == 3) want = ref_bin(op, x, y, dt);
    else if (what == 1) want = op == 0 ? -x : op == 1 ? exp(x) : op == 2 ? fabs(x) : pow(x, 2.0);
    else want = y;
    if (!same(got, want, dt)) die("elementwise %u op %d: got %g want %g", what, op, got, want);
  } while (next_index(no, so, idx));
  if (numel_of(no, so) > 0) {
    int eq = lg_all_equal(&O.a, &O.a);   /* NaN != NaN */
    (void)eq;
    (void)lg_allclose(&ea, &ea, 1e-5, 1e-8);
  }
  {
    int c = lg_is_contiguous(&A.a);
    int64_t st = 1, ok = 1;
    /* PyTorch: an empty tensor is contiguous whatever its strides */
    for (i = na - 1; i >= 0; i--) {
      if (sa[i] != 1 && A.a.stride[i] != st) ok = 0;
      st *= sa[i];
    }
    if (numel_of(na, sa) == 0) ok = 1;
    if (c != (int)ok) die("lg_is_contiguous");
  }
  free(A.buf);
  free(B.buf);
  free(O.buf);
}

/* ---- reductions and matmul on exact contiguous buffers ------------- */

static void check_reduce(src_t *s) {
  lg_dtype dt = (take(s) & 1) ? LG_F64 : LG_F32;
  size_t outer = take(s) % 5, n = take(s) % 5, inner = take(s) % 5, o, j, i;
  int op = (int)(take(s) % 4);
  size_t es = lg_dtype_size(dt), ny = outer * inner;
  void *x, *y;
  int64_t *idx;
  if (n == 0 && (op == LG_MAX || op == LG_MIN)) n = 1;   /* the binding rejects it */
  x = malloc((outer * n * inner ? outer * n * inner : 1) * es);
  y = malloc((ny ? ny : 1) * es);
  idx = (int64_t *)malloc((ny ? ny : 1) * sizeof(int64_t));
  for (i = 0; i < outer * n * inner; i++) lg_set(dt, x, (int64_t)i, take_value(s));
  lg_reduce(op, dt, outer, n, inner, x, y, idx);
  for (o = 0; o < outer; o++)
    for (j = 0; j < inner; j++) {
      double acc = (op == LG_SUM || op == LG_MEAN) ? 0 : lg_get(dt, x, (int64_t)(o * n * inner + j));
      /* sums: lgrad's compensated ones are nearer the exact sum than the
       * naive acc; accl is it in long double, accn by Neumaier's method
       * (exact for these few terms unless they overflow) */
      long double accl = 0;
      double accn = 0, comp = 0;
      int64_t at = 0;
      int nan = 0;
      for (i = 0; i < n; i++) {
        double v = lg_get(dt, x, (int64_t)((o * n + i) * inner + j));
        accl += v;
        {
          double t = accn + v;
          comp += fabs(accn) >= fabs(v) ? (accn - t) + v : (v - t) + accn;
          accn = t;
        }
        if (op == LG_SUM || op == LG_MEAN) acc += v;
        else if (!nan && (v != v || (op == LG_MAX ? v > acc : v < acc))) {
          acc = v; at = (int64_t)i; nan = v != v;
        }
      }
      accn += comp;
      if (op == LG_MEAN) {
        acc /= (double)n;
        accl /= (long double)n;
        accn /= (double)n;
      }
      {
        double got = lg_get(dt, y, (int64_t)(o * inner + j));
        int sum = op == LG_SUM || op == LG_MEAN;
        if (!same(got, acc, dt) && !(sum && (same(got, (double)accl, dt) || same(got, accn, dt))))
          die("reduce %d", op);
      }
      if ((op == LG_MAX || op == LG_MIN) && idx[o * inner + j] != at) die("reduce index");
    }
  free(x);
  free(y);
  free(idx);
}

static void check_matmul(src_t *s) {
  lg_dtype dt = (take(s) & 1) ? LG_F64 : LG_F32;
  size_t m = take(s) % 6, k = take(s) % 6, n = take(s) % 6, i, j, l, es = lg_dtype_size(dt);
  void *a = malloc((m * k ? m * k : 1) * es), *b = malloc((k * n ? k * n : 1) * es);
  void *c = malloc((m * n ? m * n : 1) * es);
  for (i = 0; i < m * k; i++) lg_set(dt, a, (int64_t)i, take_value(s));
  for (i = 0; i < k * n; i++) lg_set(dt, b, (int64_t)i, take_value(s));
  if (lg_matmul(dt, m, k, n, a, b, c) != LG_OK) die("matmul failed");
  for (i = 0; i < m; i++)
    for (j = 0; j < n; j++) {
      double acc = 0;
      for (l = 0; l < k; l++)
        acc += lg_get(dt, a, (int64_t)(i * k + l)) * lg_get(dt, b, (int64_t)(l * n + j));
      if (!same(lg_get(dt, c, (int64_t)(i * n + j)), acc, dt)) die("matmul value");
    }
  free(a);
  free(b);
  free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  src_t s;
  s.p = data;
  s.n = size;
  switch (take(&s) % 4) {
    case 0: check_numel(&s); break;
    case 1: check_elementwise(&s); break;
    case 2: check_reduce(&s); break;
    default: check_matmul(&s); break;
  }
  return 0;
}
