/* simd/body.h - one SIMD level's kernels and their table (lg_vf_level);
 * included once by each of level_avx512.c, level_avx2.c and
 * level_portable.c after vmath.h, with VF_TGT (a target attribute) and
 * VF_NAME (a suffixer). One file per kernel family: */
#include "simd/act.h"      /* elementwise: lg_vact_f32 */
#include "simd/reduce.h"   /* lg_vmax_f32, lg_vsum_f32 */
#include "simd/rows.h"     /* lg_vsoftmax_f32, lg_vexpsum_f32, lg_vpendout_f32 */
#include "simd/ce.h"       /* lg_vce_f32 */

#undef VF_SHORT
#undef VF_CHUNK
#undef V_DD
#undef V_FF

LG_INTERNAL const lg_vf_level VF_NAME(lg_vf_level) = {
  VF_NAME(vact), VF_NAME(vsoftmax), VF_NAME(vexpsum), VF_NAME(vmax), VF_NAME(vpendout),
  VF_NAME(vsum),
  VF_NAME(vce)
};
