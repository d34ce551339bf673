/* simd_env.h - let a check program run at a forced dispatch level:
 * LG_SIMD=portable|avx2|avx512 (clamped to what the CPU has; unset = the
 * best). The program must compile src/kernels/vfast*.c with
 * -DLG_SIMD_TESTABLE. Prints the level in use. */
#ifndef LG_TOOLS_SIMD_ENV_H
#define LG_TOOLS_SIMD_ENV_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../src/kernels/vfast.h"

static int lg_simd_from_env(void)
{
  const char *e = getenv("LG_SIMD");
  int lv = LG_SIMD_AUTO;
  if (e && strcmp(e, "portable") == 0) lv = LG_SIMD_PORTABLE;
  else if (e && strcmp(e, "avx2") == 0) lv = LG_SIMD_AVX2;
  lv = lg_simd_set_level(lv);
  printf("dispatch level: %s\n", lg_simd_name(lv));
  return lv;
}
#endif
