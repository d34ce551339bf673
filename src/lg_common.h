/* lg_common.h - types shared by the kernels and the binding.
 * Plain C99: nothing here may include lua.h, so every kernel can be built
 * and tested without an interpreter. */
#ifndef LG_COMMON_H
#define LG_COMMON_H

#include <float.h>
#include <stddef.h>
#include <stdint.h>

/* The same numbers whatever the build's flags. LuaRocks compiles with
 * -O2 -fPIC and no -std, and in that (GNU) mode GCC, like clang and Apple
 * clang everywhere, contracts a*b+c into one FMA where the CPU has one
 * (aarch64, s390x, x86 with -march): different bits. So contraction is off
 * in every file that includes this; the AVX2 and AVX-512 kernels turn it
 * back on for themselves (their results are checked at that level). */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

/* float and double arithmetic must round to float and double: the float32
 * kernels' round-to-integer trick and the seeded normals depend on it.
 * 32-bit x86's x87 keeps excess precision (FLT_EVAL_METHOD 2); s390x's
 * GCC in ISO modes computes float in double (1). 16 (GCC's GNU mode on a
 * CPU with AVX512-FP16) and 32 only widen types narrower than float. */
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD != 0 && FLT_EVAL_METHOD != 16 && \
    FLT_EVAL_METHOD != 32
#error "lgrad needs FLT_EVAL_METHOD == 0 (float math in float): on 32-bit x86 build with -msse2 -mfpmath=sse, on s390x (ISO modes) with -fexcess-precision=fast"
#endif

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

/* Internal names stay out of the shared object's exports: hidden on ELF
 * and Mach-O; on Windows a DLL exports only what is marked dllexport
 * (LGRAD_API, when LGRAD_BUILDING: lgrad's own files), so nothing here. */
#if defined(__GNUC__) && !defined(_WIN32) && !defined(__CYGWIN__)
#define LG_INTERNAL __attribute__((visibility("hidden")))
#else
#define LG_INTERNAL
#endif
#define LGRAD_BUILDING 1

#endif
