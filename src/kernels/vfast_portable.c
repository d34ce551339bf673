/* vfast_portable.c - the fast float32 kernels for the baseline ISA
 * (SSE2 on x86-64): 4-lane vectors, no FMA contraction (-std=c99). */
#include <math.h>
#include <string.h>

#include "vfast.h"

#define LG_VW 4
#if defined(__SSE__) && defined(__GNUC__)
#include <xmmintrin.h>
/* the constant first: a NaN x (the second operand) is returned */
#define V_MIN(c, x) ((lg_vf)_mm_min_ps((__m128)(c), (__m128)(x)))
#define V_MAX(c, x) ((lg_vf)_mm_max_ps((__m128)(c), (__m128)(x)))
#endif
#include "vmath.h"

#define VF_TGT
#define VF_NAME(f) f##_portable
#include "vfast_body.h"
