/* The x86 vocabulary of the kernels (ops/simd.h) for the WebAssembly build.
 *
 * Emscripten's own <immintrin.h> implements the SSE family on
 * WebAssembly SIMD128 (-msimd128 -msse4.1 -mavx for _mm_cmp_ps), so the
 * engine's SSE2 kernels run as 128-bit wasm vectors. The AVX2 and AVX-512
 * kernels are compiled too (every op instantiates all three) but never
 * run: tg__isa() picks SSE2 because __builtin_cpu_supports is 0 here
 * (playground/wasm/compat.h). For them the 256- and 512-bit names below
 * are spelled on the 128-bit types only so that those bodies compile;
 * their lane counts do not match the types, which is why they must stay
 * unselected. */
#ifndef TAPEGRAD_WASM_IMMINTRIN_H
#define TAPEGRAD_WASM_IMMINTRIN_H
#include_next <immintrin.h>

typedef __m128 __m256;
typedef __m128d __m256d;
typedef __m128i __m256i;
typedef __m128 __m512;
typedef __m128d __m512d;
typedef __m128i __m512i;
typedef unsigned short __mmask16;
typedef unsigned char __mmask8;

#define TG__W_FMA_PS(a, b, c) _mm_add_ps(_mm_mul_ps(a, b), c)
#define TG__W_FMA_PD(a, b, c) _mm_add_pd(_mm_mul_pd(a, b), c)
#define TG__W_FNMA_PS(a, b, c) _mm_sub_ps(c, _mm_mul_ps(a, b))
#define TG__W_FNMA_PD(a, b, c) _mm_sub_pd(c, _mm_mul_pd(a, b))

/* 256 */
#define _mm256_add_epi32 _mm_add_epi32
#define _mm256_add_pd _mm_add_pd
#define _mm256_add_ps _mm_add_ps
#define _mm256_and_ps _mm_and_ps
#define _mm256_and_pd _mm_and_pd
#define _mm256_andnot_pd _mm_andnot_pd
#define _mm256_andnot_ps _mm_andnot_ps
#define _mm256_blendv_pd _mm_blendv_pd
#define _mm256_blendv_ps _mm_blendv_ps
#define _mm256_castpd_ps _mm_castpd_ps
#define _mm256_castps_pd _mm_castps_pd
#define _mm256_castps_si256 _mm_castps_si128
#define _mm256_castsi256_ps _mm_castsi128_ps
#define _mm256_castps128_ps256(a) (a)
#define _mm256_castps256_ps128(a) (a)
#define _mm256_cmp_pd _mm_cmp_pd
#define _mm256_cmp_ps _mm_cmp_ps
#define _mm256_cvtpd_ps _mm_cvtpd_ps
#define _mm256_cvtps_epi32 _mm_cvtps_epi32
#define _mm256_cvtps_pd _mm_cvtps_pd
#define _mm256_div_pd _mm_div_pd
#define _mm256_div_ps _mm_div_ps
#define _mm256_extractf128_ps(a, i) ((void)(i), (a))
#define _mm256_fmadd_pd TG__W_FMA_PD
#define _mm256_fmadd_ps TG__W_FMA_PS
#define _mm256_fmsub_pd(a, b, c) _mm_sub_pd(_mm_mul_pd(a, b), c)
#define _mm256_fnmadd_pd TG__W_FNMA_PD
#define _mm256_fnmadd_ps TG__W_FNMA_PS
#define _mm256_insertf128_ps(a, b, i) ((void)(b), (void)(i), (a))
#define _mm256_loadu_pd _mm_loadu_pd
#define _mm256_loadu_ps _mm_loadu_ps
#define _mm256_max_pd _mm_max_pd
#define _mm256_max_ps _mm_max_ps
#define _mm256_min_pd _mm_min_pd
#define _mm256_min_ps _mm_min_ps
#define _mm256_movemask_ps _mm_movemask_ps
#define _mm256_movemask_pd _mm_movemask_pd
#define _mm256_mul_pd _mm_mul_pd
#define _mm256_mul_ps _mm_mul_ps
#define _mm256_or_ps _mm_or_ps
#define _mm256_or_pd _mm_or_pd
#define _mm256_rcp_ps _mm_rcp_ps
#define _mm256_set1_epi32 _mm_set1_epi32
#define _mm256_set1_pd _mm_set1_pd
#define _mm256_set1_ps _mm_set1_ps
#define _mm256_setzero_pd _mm_setzero_pd
#define _mm256_setzero_ps _mm_setzero_ps
#define _mm256_slli_epi32 _mm_slli_epi32
#define _mm256_sqrt_pd _mm_sqrt_pd
#define _mm256_sqrt_ps _mm_sqrt_ps
#define _mm256_storeu_pd _mm_storeu_pd
#define _mm256_storeu_ps _mm_storeu_ps
#define _mm256_stream_pd _mm_storeu_pd
#define _mm256_stream_ps _mm_storeu_ps
#define _mm256_sub_pd _mm_sub_pd
#define _mm256_sub_ps _mm_sub_ps
#define _mm256_xor_pd _mm_xor_pd
#define _mm256_xor_ps _mm_xor_ps

#define _mm256_fmsub_ps(a, b, c) _mm_sub_ps(_mm_mul_ps(a, b), c)
#define _mm256_sub_epi32 _mm_sub_epi32
#define _mm256_srli_epi32 _mm_srli_epi32
#define _mm256_permutevar8x32_ps(a, idx) ((void)(idx), (a))
#define _mm256_min_epi32 _mm_min_epi32
#define _mm256_max_epi32 _mm_max_epi32
#define _mm256_load_ps _mm_load_ps
#define _mm256_load_pd _mm_load_pd
#define _mm256_cmpgt_epi32 _mm_cmpgt_epi32
#define _mm512_range_ps(a, b, i) ((void)(b), (void)(i), (a))
#define _mm512_fmsub_ps(a, b, c) _mm_sub_ps(_mm_mul_ps(a, b), c)
#define _mm512_sub_epi32 _mm_sub_epi32
#define _mm512_srli_epi32 _mm_srli_epi32
#define _mm512_slli_epi32 _mm_slli_epi32
#define _mm512_min_epi32 _mm_min_epi32
#define _mm512_max_epi32 _mm_max_epi32
#define _mm512_load_ps _mm_load_ps
#define _mm512_load_pd _mm_load_pd
#define _mm512_permutexvar_ps(idx, a) ((void)(idx), (a))
#define _mm512_and_ps _mm_and_ps
#define _mm512_or_ps _mm_or_ps

/* 512 */
#define _mm512_abs_pd(v) _mm_andnot_pd(_mm_set1_pd(-0.0), v)
#define _mm512_abs_ps(v) _mm_andnot_ps(_mm_set1_ps(-0.0f), v)
#define _mm512_add_epi32 _mm_add_epi32
#define _mm512_add_pd _mm_add_pd
#define _mm512_add_ps _mm_add_ps
#define _mm512_and_si512 _mm_and_si128
#define _mm512_andnot_ps _mm_andnot_ps
#define _mm512_andnot_pd _mm_andnot_pd
#define _mm512_or_si512 _mm_or_si128
#define _mm512_xor_si512 _mm_xor_si128
#define _mm512_castpd256_pd512(a) (a)
#define _mm512_castps512_ps256(a) (a)
#define _mm512_castpd_ps _mm_castpd_ps
#define _mm512_castps_pd _mm_castps_pd
#define _mm512_castpd_si512 _mm_castpd_si128
#define _mm512_castps_si512 _mm_castps_si128
#define _mm512_castsi512_pd _mm_castsi128_pd
#define _mm512_castsi512_ps _mm_castsi128_ps
#define _mm512_cmp_pd_mask(a, b, p) ((__mmask8)_mm_movemask_pd(_mm_cmp_pd(a, b, p)))
#define _mm512_cmp_ps_mask(a, b, p) ((__mmask16)_mm_movemask_ps(_mm_cmp_ps(a, b, p)))
#define _mm512_cvtpd_ps _mm_cvtpd_ps
#define _mm512_cvtps_pd _mm_cvtps_pd
#define _mm512_cvtps_epi32 _mm_cvtps_epi32
#define _mm512_div_pd _mm_div_pd
#define _mm512_div_ps _mm_div_ps
#define _mm512_extractf64x4_pd(a, i) ((void)(i), (a))
#define _mm512_insertf64x4(a, b, i) ((void)(b), (void)(i), (a))
#define _mm512_fixupimm_ps(a, b, c, i) ((void)(b), (void)(c), (void)(i), (a))
#define _mm512_scalef_ps(a, b) _mm_mul_ps(a, b)
#define _mm512_fmadd_pd TG__W_FMA_PD
#define _mm512_fmadd_ps TG__W_FMA_PS
#define _mm512_fmsub_pd(a, b, c) _mm_sub_pd(_mm_mul_pd(a, b), c)
#define _mm512_fnmadd_pd TG__W_FNMA_PD
#define _mm512_fnmadd_ps TG__W_FNMA_PS
#define _mm512_loadu_pd _mm_loadu_pd
#define _mm512_loadu_ps _mm_loadu_ps
#define _mm512_mask_blend_pd(m, a, b) ((void)(m), (void)(a), (b))
#define _mm512_mask_blend_ps(m, a, b) ((void)(m), (void)(a), (b))
#define _mm512_max_pd _mm_max_pd
#define _mm512_max_ps _mm_max_ps
#define _mm512_min_pd _mm_min_pd
#define _mm512_min_ps _mm_min_ps
#define _mm512_mul_pd _mm_mul_pd
#define _mm512_mul_ps _mm_mul_ps
#define _mm512_rcp14_ps _mm_rcp_ps
#define _mm512_set1_epi32 _mm_set1_epi32
#define _mm512_set1_pd _mm_set1_pd
#define _mm512_set1_ps _mm_set1_ps
#define _mm512_setzero_pd _mm_setzero_pd
#define _mm512_setzero_ps _mm_setzero_ps
#define _mm512_sqrt_pd _mm_sqrt_pd
#define _mm512_sqrt_ps _mm_sqrt_ps
#define _mm512_storeu_pd _mm_storeu_pd
#define _mm512_storeu_ps _mm_storeu_ps
#define _mm512_stream_pd _mm_storeu_pd
#define _mm512_stream_ps _mm_storeu_ps
#define _mm512_sub_pd _mm_sub_pd
#define _mm512_sub_ps _mm_sub_ps
#define _mm512_xor_pd _mm_xor_pd
#define _mm512_xor_ps _mm_xor_ps
#endif
