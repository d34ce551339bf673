/* lg_common.h - types shared by the kernels and the binding.
 * Plain C99: nothing here may include lua.h, so every kernel can be built
 * and tested without an interpreter. */
#ifndef LG_COMMON_H
#define LG_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* Element types. The numeric values are part of the C API (lgrad.h). */
typedef enum lg_dtype { LG_F32 = 0, LG_F64 = 1 } lg_dtype;

#define LG_MAXDIM 8

/* Kernel status codes: kernels never longjmp; the binding turns a
 * non-zero status into a Lua error naming the argument at fault. */
enum {
  LG_OK = 0,
  LG_ERANGE = 1,   /* an index (e.g. a class target) is out of range */
  LG_ENOMEM = 2,   /* a temporary could not be allocated */
  LG_EVALUE = 3    /* a value is not acceptable (e.g. non-integral target) */
};

#if defined(__GNUC__)
#define LG_INTERNAL __attribute__((visibility("hidden")))
#else
#define LG_INTERNAL
#endif

#endif
