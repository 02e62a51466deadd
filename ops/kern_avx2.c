/* The kernel set for AVX2 with FMA: the vector bodies of ops/kern_*.h
 * compiled with the vocabulary of ops/simd.h for this instruction set
 * (ops/kern_unit.h). Empty in a build without
 * x86 SIMD and in the WebAssembly build. */
#include "ops/kernels.h"

#if TG_HAVE_WIDE_SIMD
#define TG_SIMD_AVX2
#include "ops/simd.h"

#include "ops/kern_unit.h"

const tg_kernel_set tg__kernels_avx2 = {
    .name = "avx2",
#include "ops/kern_table.h"
};

#if defined(__clang__) && TG_SIMD_LEVEL >= 2
#pragma clang attribute pop
#endif
#endif
