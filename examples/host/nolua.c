/* nolua.c - lgrad's kernels in a program with no Lua at all: compiled
 * from lgrad_kernels.c, kernels/ and simd/ (docs/embedding.md). Checks a
 * softmax, a cross-entropy and its gradient p - y against the formulas in
 * double, and exits 1 on a mismatch. */
#include <math.h>
#include <stdio.h>

#include "lgrad_kernels.h"

static int bad;

static void check(const char *what, double got, double want, double tol) {
  if (!(fabs(got - want) <= tol)) {
    printf("nolua: %s = %.9g, expected %.9g\n", what, got, want);
    bad = 1;
  }
}

int main(void) {
  const float z[2][3] = {{1.0f, 2.0f, 3.0f}, {-50.0f, 0.0f, 50.0f}};
  const int64_t target[2] = {2, 0};
  float p[2][3], grad[2][3];
  double loss, e[3], s;
  size_t badrow = 0;
  int i, j;
  lgrad_softmax_f32(2, 3, 1, &p[0][0], &z[0][0]);
  if (lgrad_cross_entropy_f32(2, 3, &z[0][0], target, NULL, LGRAD_NO_IGNORE, 0.0,
                              LGRAD_REDUCTION_MEAN, NULL, &loss, &grad[0][0], &badrow) != LGRAD_OK) {
    printf("nolua: cross_entropy failed\n");
    return 1;
  }
  for (i = 0; i < 2; i++) {
    double m = z[i][2];   /* each row's max */
    for (s = 0, j = 0; j < 3; j++) s += e[j] = exp(z[i][j] - m);
    for (j = 0; j < 3; j++) {
      check("softmax", p[i][j], e[j] / s, 1e-7 * (e[j] / s) + 1e-45);
      /* (p - y) / N for the mean */
      check("grad", grad[i][j], (e[j] / s - (j == target[i])) / 2, 1e-7);
    }
  }
  /* mean of -log p_target: row 0 log(1 + e^-1 + e^-2), row 1 100 + log(1 + e^-50 + e^-100) */
  check("loss", loss, (log(1 + exp(-1.0) + exp(-2.0)) + 100 + log1p(exp(-50.0) + exp(-100.0))) / 2,
        1e-6);
  if (!bad) printf("nolua: softmax, cross-entropy and its gradient without Lua: ok\n");
  return bad;
}
