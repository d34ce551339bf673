/* npy.h - the byte work of .npy files (no Lua): element bytes copied with
 * an optional byte swap. The header is text and parsed in Lua. */
#ifndef LG_NPY_H
#define LG_NPY_H

#include <stddef.h>

#include "lg_common.h"

/* 1 on a little-endian machine. */
LG_INTERNAL int lg_little_endian(void);
/* n elements of elsize (4 or 8) bytes from src to dst, each byte-reversed
 * when swap; dst and src do not overlap. */
LG_INTERNAL void lg_copy_swapped(void *dst, const void *src, size_t n, size_t elsize, int swap);

#endif
