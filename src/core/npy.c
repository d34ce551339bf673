/* npy.c - element bytes for .npy files (see npy.h). */
#include <string.h>

#include "core/npy.h"

int lg_little_endian(void) {
  const unsigned int one = 1;
  unsigned char b;
  memcpy(&b, &one, 1);
  return b == 1;
}

void lg_copy_swapped(void *dst, const void *src, size_t n, size_t elsize, int swap) {
  unsigned char *d = (unsigned char *)dst;
  const unsigned char *s = (const unsigned char *)src;
  size_t i, k;
  if (!swap) {
    memcpy(dst, src, n * elsize);
    return;
  }
  for (i = 0; i < n; i++, d += elsize, s += elsize)
    for (k = 0; k < elsize; k++) d[k] = s[elsize - 1 - k];
}
