/* SIMD vocabulary for elementwise kernels: SLEEF vector math plus a few
 * intrinsics, spelled once per instruction set so a kernel body is written
 * once and instantiated for SSE2 (every x86-64), AVX2+FMA and AVX-512.
 * The instruction set is chosen at run time (tg__isa); TG_ISA=sse2|avx2|
 * avx512 in the environment forces one, which the accuracy tests use to
 * cover every path.
 *
 * A kernel body is a macro of (I, v) where I is the ISA token; inside it,
 * use TG_ADDF(I, a, b), TG_SLEEF_F(I, exp, u10)(v) and so on. */
#ifndef TAPEGRAD_SIMD_H
#define TAPEGRAD_SIMD_H

#include <immintrin.h>
/* sleef.h declares the AVX2 and AVX-512 entry points only when the unit is
 * compiled for those ISAs. This unit is not (it must run on any x86-64 and
 * picks the ISA at run time, each kernel carrying its own target
 * attribute), so the header is read under a temporary target: GCC raises
 * the feature macros itself inside push_options/pop_options; clang, which
 * lacks `#pragma GCC target`, gets them defined by hand around the include. */
#if defined(__clang__)
/* Calls from a target("avx2") kernel into SLEEF's avx2 entry points pass
 * ymm registers on both sides; clang warns because the SLEEF declarations
 * carry no target attribute. The ABI matches, so the warning is off here. */
#pragma clang diagnostic ignored "-Wpsabi"
#if !defined(__AVX__)
#define TG__RAISED_AVX
#define __AVX__ 1
#endif
#if !defined(__AVX2__)
#define TG__RAISED_AVX2
#define __AVX2__ 1
#endif
#if !defined(__AVX512F__)
#define TG__RAISED_AVX512F
#define __AVX512F__ 1
#endif
#include <sleef.h>
#ifdef TG__RAISED_AVX
#undef __AVX__
#endif
#ifdef TG__RAISED_AVX2
#undef __AVX2__
#endif
#ifdef TG__RAISED_AVX512F
#undef __AVX512F__
#endif
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma,avx512f,avx512dq")
#include <sleef.h>
#pragma GCC pop_options
#endif
#include <stdint.h>

typedef enum { TG_ISA_SSE2 = 0, TG_ISA_AVX2 = 1, TG_ISA_AVX512 = 2 } tg_isa;
tg_isa tg__isa(void);
const char *tg__isa_name(tg_isa isa);

#define TG__CAT(a, b) a##b
#define TG__XCAT(a, b) TG__CAT(a, b)
#define TG__CAT3(a, b, c) a##b##c
#define TG__XCAT3(a, b, c) TG__CAT3(a, b, c)
#define TG__CAT4(a, b, c, d) a##b##c##d
#define TG__XCAT4(a, b, c, d) TG__CAT4(a, b, c, d)

#define TG_TARGET_sse2
#define TG_TARGET_avx2 __attribute__((target("avx2,fma")))
#define TG_TARGET_avx512 __attribute__((target("avx512f,avx512dq,avx2,fma")))

/* SLEEF names: Sleef_<fn>f<lanes>_<ulp><isa>, e.g. Sleef_tanhf8_u10avx2. */
#define TG_SFX_sse2 sse2
#define TG_SFX_avx2 avx2
#define TG_SFX_avx512 avx512f
#define TG__SLEEF_NAME_F(I, fn, acc) \
    TG__XCAT4(Sleef_##fn##f, TG_NF_##I, _##acc, TG_SFX_##I)
#define TG__SLEEF_NAME_D(I, fn, acc) \
    TG__XCAT4(Sleef_##fn##d, TG_ND_##I, _##acc, TG_SFX_##I)
#if defined(__clang__)
/* clang rejects a direct call with AVX vector arguments to a function
 * declared without the AVX target, even from an AVX kernel; calling through
 * the function's own pointer type compiles to the same direct call. */
#define TG_SLEEF_F(I, fn, acc) \
    ((TG_VF(I)(*)(TG_VF(I)))TG__SLEEF_NAME_F(I, fn, acc))
#define TG_SLEEF_D(I, fn, acc) \
    ((TG_VD(I)(*)(TG_VD(I)))TG__SLEEF_NAME_D(I, fn, acc))
#define TG_SLEEF_F2(I, fn, acc) \
    ((TG_VF(I)(*)(TG_VF(I), TG_VF(I)))TG__SLEEF_NAME_F(I, fn, acc))
#define TG_SLEEF_D2(I, fn, acc) \
    ((TG_VD(I)(*)(TG_VD(I), TG_VD(I)))TG__SLEEF_NAME_D(I, fn, acc))
#else
#define TG_SLEEF_F(I, fn, acc) TG__SLEEF_NAME_F(I, fn, acc)
#define TG_SLEEF_D(I, fn, acc) TG__SLEEF_NAME_D(I, fn, acc)
#define TG_SLEEF_F2(I, fn, acc) TG__SLEEF_NAME_F(I, fn, acc)
#define TG_SLEEF_D2(I, fn, acc) TG__SLEEF_NAME_D(I, fn, acc)
#endif

/* ---- f32 */
#define TG_VF_sse2 __m128
#define TG_VF_avx2 __m256
#define TG_VF_avx512 __m512
#define TG_NF_sse2 4
#define TG_NF_avx2 8
#define TG_NF_avx512 16
#define TG_VF(I) TG_VF_##I
#define TG_NF(I) TG_NF_##I

#define TG_LOADF(I, p) TG_LOADF_##I(p)
#define TG_LOADF_sse2(p) _mm_loadu_ps(p)
#define TG_LOADF_avx2(p) _mm256_loadu_ps(p)
#define TG_LOADF_avx512(p) _mm512_loadu_ps(p)
#define TG_STOREF(I, p, v) TG_STOREF_##I(p, v)
#define TG_STOREF_sse2(p, v) _mm_storeu_ps(p, v)
#define TG_STOREF_avx2(p, v) _mm256_storeu_ps(p, v)
#define TG_STOREF_avx512(p, v) _mm512_storeu_ps(p, v)
#define TG_SET1F(I, s) TG_SET1F_##I(s)
#define TG_SET1F_sse2(s) _mm_set1_ps(s)
#define TG_SET1F_avx2(s) _mm256_set1_ps(s)
#define TG_SET1F_avx512(s) _mm512_set1_ps(s)
#define TG_ADDF(I, a, b) TG__XCAT3(_mm, TG_W_##I, _add_ps)(a, b)
#define TG_SUBF(I, a, b) TG__XCAT3(_mm, TG_W_##I, _sub_ps)(a, b)
#define TG_MULF(I, a, b) TG__XCAT3(_mm, TG_W_##I, _mul_ps)(a, b)
#define TG_DIVF(I, a, b) TG__XCAT3(_mm, TG_W_##I, _div_ps)(a, b)
#define TG_MAXF(I, a, b) TG__XCAT3(_mm, TG_W_##I, _max_ps)(a, b)
#define TG_MINF(I, a, b) TG__XCAT3(_mm, TG_W_##I, _min_ps)(a, b)
#define TG_W_sse2
#define TG_W_avx2 256
#define TG_W_avx512 512
/* a*b + c (fused where the ISA has FMA) */
#define TG_FMAF(I, a, b, c) TG_FMAF_##I(a, b, c)
#define TG_FMAF_sse2(a, b, c) _mm_add_ps(_mm_mul_ps(a, b), c)
#define TG_FMAF_avx2(a, b, c) _mm256_fmadd_ps(a, b, c)
#define TG_FMAF_avx512(a, b, c) _mm512_fmadd_ps(a, b, c)
/* x > 0 ? a : b, lane-wise (NaN x selects b) */
#define TG_SELPOSF(I, x, a, b) TG_SELPOSF_##I(x, a, b)
#define TG_SELPOSF_sse2(x, a, b)                                          \
    _mm_or_ps(_mm_and_ps(_mm_cmpgt_ps(x, _mm_setzero_ps()), a),          \
              _mm_andnot_ps(_mm_cmpgt_ps(x, _mm_setzero_ps()), b))
#define TG_SELPOSF_avx2(x, a, b) \
    _mm256_blendv_ps(b, a, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GT_OQ))
#define TG_SELPOSF_avx512(x, a, b) \
    _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GT_OQ), b, a)

/* ---- f64 */
#define TG_VD_sse2 __m128d
#define TG_VD_avx2 __m256d
#define TG_VD_avx512 __m512d
#define TG_ND_sse2 2
#define TG_ND_avx2 4
#define TG_ND_avx512 8
#define TG_VD(I) TG_VD_##I
#define TG_ND(I) TG_ND_##I
#define TG_LOADD(I, p) TG_LOADD_##I(p)
#define TG_LOADD_sse2(p) _mm_loadu_pd(p)
#define TG_LOADD_avx2(p) _mm256_loadu_pd(p)
#define TG_LOADD_avx512(p) _mm512_loadu_pd(p)
#define TG_STORED(I, p, v) TG_STORED_##I(p, v)
#define TG_STORED_sse2(p, v) _mm_storeu_pd(p, v)
#define TG_STORED_avx2(p, v) _mm256_storeu_pd(p, v)
#define TG_STORED_avx512(p, v) _mm512_storeu_pd(p, v)
#define TG_SET1D(I, s) TG__XCAT3(_mm, TG_W_##I, _set1_pd)(s)
#define TG_ADDD(I, a, b) TG__XCAT3(_mm, TG_W_##I, _add_pd)(a, b)
#define TG_SUBD(I, a, b) TG__XCAT3(_mm, TG_W_##I, _sub_pd)(a, b)
#define TG_MULD(I, a, b) TG__XCAT3(_mm, TG_W_##I, _mul_pd)(a, b)
#define TG_DIVD(I, a, b) TG__XCAT3(_mm, TG_W_##I, _div_pd)(a, b)
#define TG_MAXD(I, a, b) TG__XCAT3(_mm, TG_W_##I, _max_pd)(a, b)
#define TG_MIND(I, a, b) TG__XCAT3(_mm, TG_W_##I, _min_pd)(a, b)
#define TG_FMAD(I, a, b, c) TG_FMAD_##I(a, b, c)
#define TG_FMAD_sse2(a, b, c) _mm_add_pd(_mm_mul_pd(a, b), c)
#define TG_FMAD_avx2(a, b, c) _mm256_fmadd_pd(a, b, c)
#define TG_FMAD_avx512(a, b, c) _mm512_fmadd_pd(a, b, c)
#define TG_SELPOSD(I, x, a, b) TG_SELPOSD_##I(x, a, b)
#define TG_SELPOSD_sse2(x, a, b)                                          \
    _mm_or_pd(_mm_and_pd(_mm_cmpgt_pd(x, _mm_setzero_pd()), a),          \
              _mm_andnot_pd(_mm_cmpgt_pd(x, _mm_setzero_pd()), b))
#define TG_SELPOSD_avx2(x, a, b) \
    _mm256_blendv_pd(b, a, _mm256_cmp_pd(x, _mm256_setzero_pd(), _CMP_GT_OQ))
#define TG_SELPOSD_avx512(x, a, b) \
    _mm512_mask_blend_pd(_mm512_cmp_pd_mask(x, _mm512_setzero_pd(), _CMP_GT_OQ), b, a)

/* ---- kernel generators */

typedef void (*tg_unary_f32_fn)(int64_t n, float *y, const float *x);
typedef void (*tg_unary_f64_fn)(int64_t n, double *y, const double *x);

/* Split [0,n) across OpenMP threads (above TG_PAR_MIN elements) and run
 * the kernel of the selected ISA on each chunk. */
void tg__par_unary_f32(int64_t n, float *y, const float *x,
                       const tg_unary_f32_fn k[3]);
void tg__par_unary_f64(int64_t n, double *y, const double *x,
                       const tg_unary_f64_fn k[3]);

#define TG__UNARY_F32_ISA(NAME, I, VBODY, SBODY)                             \
    TG_TARGET_##I static void NAME##_f32_##I(int64_t n, float *restrict y,  \
                                             const float *restrict x)       \
    {                                                                        \
        int64_t i = 0;                                                       \
        for (; i + TG_NF(I) <= n; i += TG_NF(I)) {                          \
            TG_VF(I) v = TG_LOADF(I, x + i);                                \
            TG_STOREF(I, y + i, VBODY(I, v));                                \
        }                                                                    \
        for (; i < n; i++) {                                                 \
            float s = x[i];                                                  \
            y[i] = SBODY(s);                                                 \
        }                                                                    \
    }
#define TG__UNARY_F64_ISA(NAME, I, VBODY, SBODY)                             \
    TG_TARGET_##I static void NAME##_f64_##I(int64_t n, double *restrict y, \
                                             const double *restrict x)      \
    {                                                                        \
        int64_t i = 0;                                                       \
        for (; i + TG_ND(I) <= n; i += TG_ND(I)) {                          \
            TG_VD(I) v = TG_LOADD(I, x + i);                                \
            TG_STORED(I, y + i, VBODY(I, v));                                \
        }                                                                    \
        for (; i < n; i++) {                                                 \
            double s = x[i];                                                 \
            y[i] = SBODY(s);                                                 \
        }                                                                    \
    }

/* Defines tg_vec_<NAME>_f32(n, y, x) and tg_vec_<NAME>_f64(n, y, x):
 * VF/VD(I, v) are the vector bodies, SF/SD(s) the scalar tails. */
#define TG_SIMD_UNARY(NAME, VF, SF, VD, SD)                                  \
    TG__UNARY_F32_ISA(NAME, sse2, VF, SF)                                    \
    TG__UNARY_F32_ISA(NAME, avx2, VF, SF)                                    \
    TG__UNARY_F32_ISA(NAME, avx512, VF, SF)                                  \
    TG__UNARY_F64_ISA(NAME, sse2, VD, SD)                                    \
    TG__UNARY_F64_ISA(NAME, avx2, VD, SD)                                    \
    TG__UNARY_F64_ISA(NAME, avx512, VD, SD)                                  \
    void tg_vec_##NAME##_f32(int64_t n, float *y, const float *x)            \
    {                                                                        \
        static const tg_unary_f32_fn k[3] = {NAME##_f32_sse2,                \
                                             NAME##_f32_avx2,                \
                                             NAME##_f32_avx512};             \
        tg__par_unary_f32(n, y, x, k);                                       \
    }                                                                        \
    void tg_vec_##NAME##_f64(int64_t n, double *y, const double *x)          \
    {                                                                        \
        static const tg_unary_f64_fn k[3] = {NAME##_f64_sse2,                \
                                             NAME##_f64_avx2,                \
                                             NAME##_f64_avx512};             \
        tg__par_unary_f64(n, y, x, k);                                       \
    }

#endif
