/* simd_env.h - let a check program run at a forced dispatch level:
 * LG_SIMD=portable|avx2|avx512|neon (a level this build or CPU lacks, or
 * unset: the best). The program must compile the src/simd/ files with
 * -DLG_SIMD_TESTABLE. Prints the level in use. */
#ifndef LG_TOOLS_SIMD_ENV_H
#define LG_TOOLS_SIMD_ENV_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../src/simd/simd.h"

static int lg_simd_from_env(void)
{
  const char *e = getenv("LG_SIMD");
  int lv = LG_SIMD_AUTO, k;
  for (k = lg_simd_best(); e && k >= 0; k--)   /* the names of this build's ranks */
    if (strcmp(e, lg_simd_name(k)) == 0) lv = k;
  lv = lg_simd_set_level(lv);
  printf("dispatch level: %s\n", lg_simd_name(lv));
  return lv;
}
#endif
