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
 * declared without the AVX target, even from an AVX kernel. Calling through
 * a pointer type compiles, but clang then passes the vectors in memory
 * while SLEEF reads registers, so these AVX kernels are built but never
 * selected in clang builds: tg__isa() keeps clang on SSE2, whose vector
 * arguments travel in xmm registers by the x86-64 ABI. */
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


/* ==================================================================
 * Elementwise-family vocabulary (ops/ew_*.c and the activation files).
 * Appended; the macros above are unchanged.
 * ================================================================== */
#include <stdbool.h>

/* ---- lane masks: TG_CMPF(I, a, OP, b) with OP one of lt le gt ge eq neq
 * unord (ordered predicates are false when a lane is NaN; neq and unord
 * are true). SSE2/AVX2 masks are vectors, AVX-512 masks are k-registers;
 * only use them through the macros below. */
#define TG_MF(I) TG_MF_##I
#define TG_MF_sse2 __m128
#define TG_MF_avx2 __m256
#define TG_MF_avx512 __mmask16
#define TG_MD(I) TG_MD_##I
#define TG_MD_sse2 __m128d
#define TG_MD_avx2 __m256d
#define TG_MD_avx512 __mmask8
#define TG__PRED_lt _CMP_LT_OQ
#define TG__PRED_le _CMP_LE_OQ
#define TG__PRED_gt _CMP_GT_OQ
#define TG__PRED_ge _CMP_GE_OQ
#define TG__PRED_eq _CMP_EQ_OQ
#define TG__PRED_neq _CMP_NEQ_UQ
#define TG__PRED_unord _CMP_UNORD_Q
#define TG_CMPF(I, a, OP, b) TG_CMPF_##I(a, b, OP)
#define TG_CMPF_sse2(a, b, OP) TG__CAT3(_mm_cmp, OP, _ps)(a, b)
#define TG_CMPF_avx2(a, b, OP) _mm256_cmp_ps(a, b, TG__PRED_##OP)
#define TG_CMPF_avx512(a, b, OP) _mm512_cmp_ps_mask(a, b, TG__PRED_##OP)
#define TG_CMPD(I, a, OP, b) TG_CMPD_##I(a, b, OP)
#define TG_CMPD_sse2(a, b, OP) TG__CAT3(_mm_cmp, OP, _pd)(a, b)
#define TG_CMPD_avx2(a, b, OP) _mm256_cmp_pd(a, b, TG__PRED_##OP)
#define TG_CMPD_avx512(a, b, OP) _mm512_cmp_pd_mask(a, b, TG__PRED_##OP)
/* m ? a : b, lane-wise */
#define TG_BLENDF(I, m, a, b) TG_BLENDF_##I(m, a, b)
#define TG_BLENDF_sse2(m, a, b)                                             \
    _mm_or_ps(_mm_and_ps(m, a), _mm_andnot_ps(m, b))
#define TG_BLENDF_avx2(m, a, b) _mm256_blendv_ps(b, a, m)
#define TG_BLENDF_avx512(m, a, b) _mm512_mask_blend_ps(m, b, a)
#define TG_BLENDD(I, m, a, b) TG_BLENDD_##I(m, a, b)
#define TG_BLENDD_sse2(m, a, b)                                             \
    _mm_or_pd(_mm_and_pd(m, a), _mm_andnot_pd(m, b))
#define TG_BLENDD_avx2(m, a, b) _mm256_blendv_pd(b, a, m)
#define TG_BLENDD_avx512(m, a, b) _mm512_mask_blend_pd(m, b, a)
/* mask and / or */
#define TG_MANDF(I, m1, m2) TG_MANDF_##I(m1, m2)
#define TG_MANDF_sse2(m1, m2) _mm_and_ps(m1, m2)
#define TG_MANDF_avx2(m1, m2) _mm256_and_ps(m1, m2)
#define TG_MANDF_avx512(m1, m2) ((__mmask16)((m1) & (m2)))
#define TG_MORF(I, m1, m2) TG_MORF_##I(m1, m2)
#define TG_MORF_sse2(m1, m2) _mm_or_ps(m1, m2)
#define TG_MORF_avx2(m1, m2) _mm256_or_ps(m1, m2)
#define TG_MORF_avx512(m1, m2) ((__mmask16)((m1) | (m2)))
#define TG_MANDD(I, m1, m2) TG_MANDD_##I(m1, m2)
#define TG_MANDD_sse2(m1, m2) _mm_and_pd(m1, m2)
#define TG_MANDD_avx2(m1, m2) _mm256_and_pd(m1, m2)
#define TG_MANDD_avx512(m1, m2) ((__mmask8)((m1) & (m2)))
#define TG_MORD(I, m1, m2) TG_MORD_##I(m1, m2)
#define TG_MORD_sse2(m1, m2) _mm_or_pd(m1, m2)
#define TG_MORD_avx2(m1, m2) _mm256_or_pd(m1, m2)
#define TG_MORD_avx512(m1, m2) ((__mmask8)((m1) | (m2)))

/* ---- sign bit: |v|, -v, copysign(mag, sgn), v with the sign of s xor'd */
#define TG_SIGNBITF(I) TG_SET1F(I, -0.0f)
#define TG_SIGNBITD(I) TG_SET1D(I, -0.0)
#define TG_ABSF(I, v) TG_ABSF_##I(v)
#define TG_ABSF_sse2(v) _mm_andnot_ps(_mm_set1_ps(-0.0f), v)
#define TG_ABSF_avx2(v) _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v)
#define TG_ABSF_avx512(v) _mm512_abs_ps(v)
#define TG_ABSD(I, v) TG_ABSD_##I(v)
#define TG_ABSD_sse2(v) _mm_andnot_pd(_mm_set1_pd(-0.0), v)
#define TG_ABSD_avx2(v) _mm256_andnot_pd(_mm256_set1_pd(-0.0), v)
#define TG_ABSD_avx512(v) _mm512_abs_pd(v)
#define TG_NEGF(I, v) TG_XORF(I, v, TG_SIGNBITF(I))
#define TG_NEGD(I, v) TG_XORD(I, v, TG_SIGNBITD(I))
#define TG_XORF(I, a, b) TG_XORF_##I(a, b)
#define TG_XORF_sse2(a, b) _mm_xor_ps(a, b)
#define TG_XORF_avx2(a, b) _mm256_xor_ps(a, b)
#define TG_XORF_avx512(a, b)                                                \
    _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(a), _mm512_castps_si512(b)))
#define TG_XORD(I, a, b) TG_XORD_##I(a, b)
#define TG_XORD_sse2(a, b) _mm_xor_pd(a, b)
#define TG_XORD_avx2(a, b) _mm256_xor_pd(a, b)
#define TG_XORD_avx512(a, b)                                                \
    _mm512_castsi512_pd(_mm512_xor_si512(_mm512_castpd_si512(a), _mm512_castpd_si512(b)))
#define TG_ANDF(I, a, b) TG_ANDF_##I(a, b)
#define TG_ANDF_sse2(a, b) _mm_and_ps(a, b)
#define TG_ANDF_avx2(a, b) _mm256_and_ps(a, b)
#define TG_ANDF_avx512(a, b)                                                \
    _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(a), _mm512_castps_si512(b)))
#define TG_ANDD(I, a, b) TG_ANDD_##I(a, b)
#define TG_ANDD_sse2(a, b) _mm_and_pd(a, b)
#define TG_ANDD_avx2(a, b) _mm256_and_pd(a, b)
#define TG_ANDD_avx512(a, b)                                                \
    _mm512_castsi512_pd(_mm512_and_si512(_mm512_castpd_si512(a), _mm512_castpd_si512(b)))
/* magnitude of m with the sign of s */
#define TG_COPYSIGNF(I, m, s)                                               \
    TG_XORF(I, TG_ABSF(I, m), TG_ANDF(I, s, TG_SIGNBITF(I)))
#define TG_COPYSIGND(I, m, s)                                               \
    TG_XORD(I, TG_ABSD(I, m), TG_ANDD(I, s, TG_SIGNBITD(I)))
#define TG_ZEROF(I) TG_SET1F(I, 0.0f)
#define TG_ZEROD(I) TG_SET1D(I, 0.0)
#define TG_SQRTF(I, v) TG__XCAT3(_mm, TG_W_##I, _sqrt_ps)(v)
#define TG_SQRTD(I, v) TG__XCAT3(_mm, TG_W_##I, _sqrt_pd)(v)
/* c - a*b (fused where the ISA has FMA; SSE2 rounds a*b first, so an
 * exact residual needs an FMA ISA or a Dekker product) */
#define TG_FNMAF(I, a, b, c) TG_FNMAF_##I(a, b, c)
#define TG_FNMAF_sse2(a, b, c) _mm_sub_ps(c, _mm_mul_ps(a, b))
#define TG_FNMAF_avx2(a, b, c) _mm256_fnmadd_ps(a, b, c)
#define TG_FNMAF_avx512(a, b, c) _mm512_fnmadd_ps(a, b, c)
/* reciprocal estimate (>= 11 bits; 14 on AVX-512): for correction terms */
#define TG_RCPF(I, a) TG_RCPF_##I(a)
#define TG_RCPF_sse2(a) _mm_rcp_ps(a)
#define TG_RCPF_avx2(a) _mm256_rcp_ps(a)
#define TG_RCPF_avx512(a) _mm512_rcp14_ps(a)
#define TG_FNMAD(I, a, b, c) TG_FNMAD_##I(a, b, c)
#define TG_FNMAD_sse2(a, b, c) _mm_sub_pd(c, _mm_mul_pd(a, b))
#define TG_FNMAD_avx2(a, b, c) _mm256_fnmadd_pd(a, b, c)
#define TG_FNMAD_avx512(a, b, c) _mm512_fnmadd_pd(a, b, c)
/* a*b - c (fused where the ISA has FMA) */
#define TG_FMSD(I, a, b, c) TG_FMSD_##I(a, b, c)
#define TG_FMSD_sse2(a, b, c) _mm_sub_pd(_mm_mul_pd(a, b), c)
#define TG_FMSD_avx2(a, b, c) _mm256_fmsub_pd(a, b, c)
#define TG_FMSD_avx512(a, b, c) _mm512_fmsub_pd(a, b, c)

/* ---- f32 <-> f64: the low and high halves of an f32 vector as f64
 * vectors, and two f64 vectors rounded back into one f32 vector. Used by
 * kernels that evaluate an f32 op in double precision and round once. */
#define TG_F32LO_D(I, v) TG_F32LO_D_##I(v)
#define TG_F32LO_D_sse2(v) _mm_cvtps_pd(v)
#define TG_F32LO_D_avx2(v) _mm256_cvtps_pd(_mm256_castps256_ps128(v))
#define TG_F32LO_D_avx512(v) _mm512_cvtps_pd(_mm512_castps512_ps256(v))
#define TG_F32HI_D(I, v) TG_F32HI_D_##I(v)
#define TG_F32HI_D_sse2(v) _mm_cvtps_pd(_mm_movehl_ps(v, v))
#define TG_F32HI_D_avx2(v) _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1))
#define TG_F32HI_D_avx512(v)                                                \
    _mm512_cvtps_pd(_mm256_castpd_ps(                                       \
        _mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)))
#define TG_D2_F32(I, lo, hi) TG_D2_F32_##I(lo, hi)
#define TG_D2_F32_sse2(lo, hi) _mm_movelh_ps(_mm_cvtpd_ps(lo), _mm_cvtpd_ps(hi))
#define TG_D2_F32_avx2(lo, hi)                                              \
    _mm256_insertf128_ps(_mm256_castps128_ps256(_mm256_cvtpd_ps(lo)),       \
                         _mm256_cvtpd_ps(hi), 1)
#define TG_D2_F32_avx512(lo, hi)                                            \
    _mm512_castpd_ps(_mm512_insertf64x4(                                    \
        _mm512_castpd256_pd512(_mm256_castps_pd(_mm512_cvtpd_ps(lo))),      \
        _mm256_castps_pd(_mm512_cvtpd_ps(hi)), 1))

/* ---- streaming stores for outputs too large to stay in cache */
#define TG_STREAMF(I, p, v) TG__XCAT3(_mm, TG_W_##I, _stream_ps)(p, v)
#define TG_STREAMD(I, p, v) TG__XCAT3(_mm, TG_W_##I, _stream_pd)(p, v)
/* Outputs of at least this many bytes are written with non-temporal
 * stores: they would evict the cache anyway, and skipping the
 * read-for-ownership saves a third of the memory traffic of a unary op. */
#define TG_STREAM_BYTES (16u << 20)

/* ---- map generators with parameters and a padded tail
 *
 * Body macros: VF(I, v, p0, p1, p2) -> TG_VF(I) for f32 and VD(I, v, p0, p1, p2)
 * -> TG_VD(I) for f64, where p0, p1, p2 are the op's real parameters (double;
 * convert inside the body). Unlike TG_SIMD_UNARY there is no scalar body:
 * the last n % lanes elements are copied into a zero-padded vector and go
 * through the same vector code, so every element gets the same
 * instructions whatever its position, chunk or thread (results are
 * bitwise independent of the split), and each op's math is written once.
 *
 *   TG_SIMD_MAP(NAME, VF, VD)      f32 body in f32, f64 body in f64
 *   TG_SIMD_MAP_WIDE(NAME, VD)     f32 evaluated through the f64 body and
 *                                  rounded once (for composite formulas
 *                                  whose f32 evaluation would lose ulps)
 * Both define `static const tg_map_f32_fn NAME##_k32[3]` and
 * `NAME##_k64[3]`; TG_VEC_MAP0/1/2 then define the public kernels
 * tg_vec_NAME_f32(n, y, x[, a[, b]]) and _f64, threaded above TG_PAR_MIN.
 */
typedef void (*tg_map_f32_fn)(int64_t n, float *y, const float *x,
                              double p0, double p1, double p2);
typedef void (*tg_map_f64_fn)(int64_t n, double *y, const double *x,
                              double p0, double p1, double p2);
void tg__par_map_f32(int64_t n, float *y, const float *x, double p0,
                     double p1, double p2, const tg_map_f32_fn k[3]);
void tg__par_map_f64(int64_t n, double *y, const double *x, double p0,
                     double p1, double p2, const tg_map_f64_fn k[3]);

#define TG__MAP_LOOP(I, T, L, VT, LOAD, STORE, STREAM, EVAL)                \
    int64_t i = 0;                                                          \
    bool nt_ = (uint64_t)n * sizeof(T) >= TG_STREAM_BYTES &&                \
               ((uintptr_t)y % (L * sizeof(T))) == 0;                       \
    if (nt_) {                                                              \
        for (; i + L <= n; i += L) {                                        \
            VT v = LOAD(I, x + i);                                          \
            STREAM(I, y + i, EVAL);                                         \
        }                                                                   \
        _mm_sfence();                                                       \
    } else {                                                                \
        for (; i + L <= n; i += L) {                                        \
            VT v = LOAD(I, x + i);                                          \
            STORE(I, y + i, EVAL);                                          \
        }                                                                   \
    }                                                                       \
    if (i < n) {                                                            \
        T xb_[L], yb_[L];                                                   \
        for (int j = 0; j < L; j++) xb_[j] = i + j < n ? x[i + j] : (T)0;   \
        VT v = LOAD(I, xb_);                                                \
        STORE(I, yb_, EVAL);                                                \
        for (int j = 0; i + j < n; j++) y[i + j] = yb_[j];                  \
    }

#define TG__MAP_F32_ISA(NAME, I, VF)                                        \
    TG_TARGET_##I static void NAME##_f32_##I(int64_t n, float *y,           \
                                             const float *x, double p0,     \
                                             double p1, double p2)          \
    {                                                                       \
        (void)p0, (void)p1, (void)p2;                                       \
        TG__MAP_LOOP(I, float, TG_NF_##I, TG_VF(I), TG_LOADF, TG_STOREF,    \
                     TG_STREAMF, VF(I, v, p0, p1, p2))                      \
    }
#define TG__MAP_F64_ISA(NAME, I, VD)                                        \
    TG_TARGET_##I static void NAME##_f64_##I(int64_t n, double *y,          \
                                             const double *x, double p0,    \
                                             double p1, double p2)          \
    {                                                                       \
        (void)p0, (void)p1, (void)p2;                                       \
        TG__MAP_LOOP(I, double, TG_ND_##I, TG_VD(I), TG_LOADD, TG_STORED,   \
                     TG_STREAMD, VD(I, v, p0, p1, p2))                      \
    }
/* f32 through the f64 body: both halves, rounded once on the way back */
#define TG__WIDEN(I, v, VD, p0, p1, p2)                                     \
    TG_D2_F32(I, VD(I, TG_F32LO_D(I, v), p0, p1, p2),                       \
              VD(I, TG_F32HI_D(I, v), p0, p1, p2))
#define TG__MAP_F32W_ISA(NAME, I, VD)                                       \
    TG_TARGET_##I static void NAME##_f32_##I(int64_t n, float *y,           \
                                             const float *x, double p0,     \
                                             double p1, double p2)          \
    {                                                                       \
        (void)p0, (void)p1, (void)p2;                                       \
        TG__MAP_LOOP(I, float, TG_NF_##I, TG_VF(I), TG_LOADF, TG_STOREF,    \
                     TG_STREAMF, TG__WIDEN(I, v, VD, p0, p1, p2))           \
    }

#define TG__MAP_TABLES(NAME)                                                \
    static const tg_map_f32_fn NAME##_k32[3] = {                            \
        NAME##_f32_sse2, NAME##_f32_avx2, NAME##_f32_avx512};               \
    static const tg_map_f64_fn NAME##_k64[3] = {                            \
        NAME##_f64_sse2, NAME##_f64_avx2, NAME##_f64_avx512};

#define TG_SIMD_MAP(NAME, VF, VD)                                           \
    TG__MAP_F32_ISA(NAME, sse2, VF)                                         \
    TG__MAP_F32_ISA(NAME, avx2, VF)                                         \
    TG__MAP_F32_ISA(NAME, avx512, VF)                                       \
    TG__MAP_F64_ISA(NAME, sse2, VD)                                         \
    TG__MAP_F64_ISA(NAME, avx2, VD)                                         \
    TG__MAP_F64_ISA(NAME, avx512, VD)                                       \
    TG__MAP_TABLES(NAME)
#define TG_SIMD_MAP_WIDE(NAME, VD)                                          \
    TG__MAP_F32W_ISA(NAME, sse2, VD)                                        \
    TG__MAP_F32W_ISA(NAME, avx2, VD)                                        \
    TG__MAP_F32W_ISA(NAME, avx512, VD)                                      \
    TG__MAP_F64_ISA(NAME, sse2, VD)                                         \
    TG__MAP_F64_ISA(NAME, avx2, VD)                                         \
    TG__MAP_F64_ISA(NAME, avx512, VD)                                       \
    TG__MAP_TABLES(NAME)

#define TG_VEC_MAP0(NAME)                                                   \
    void tg_vec_##NAME##_f32(int64_t n, float *y, const float *x)           \
    {                                                                       \
        tg__par_map_f32(n, y, x, 0, 0, 0, NAME##_k32);                      \
    }                                                                       \
    void tg_vec_##NAME##_f64(int64_t n, double *y, const double *x)         \
    {                                                                       \
        tg__par_map_f64(n, y, x, 0, 0, 0, NAME##_k64);                      \
    }
#define TG_VEC_MAP1(NAME)                                                   \
    void tg_vec_##NAME##_f32(int64_t n, float *y, const float *x, double a) \
    {                                                                       \
        tg__par_map_f32(n, y, x, a, 0, 0, NAME##_k32);                      \
    }                                                                       \
    void tg_vec_##NAME##_f64(int64_t n, double *y, const double *x,         \
                             double a)                                      \
    {                                                                       \
        tg__par_map_f64(n, y, x, a, 0, 0, NAME##_k64);                      \
    }
#define TG_VEC_MAP2(NAME)                                                   \
    void tg_vec_##NAME##_f32(int64_t n, float *y, const float *x, double a, \
                             double b)                                      \
    {                                                                       \
        tg__par_map_f32(n, y, x, a, b, 0, NAME##_k32);                      \
    }                                                                       \
    void tg_vec_##NAME##_f64(int64_t n, double *y, const double *x,         \
                             double a, double b)                            \
    {                                                                       \
        tg__par_map_f64(n, y, x, a, b, 0, NAME##_k64);                      \
    }

/* ---- binary generators: y = BODY(a, b) where each operand is either
 * contiguous (stride 1) or one broadcast value (stride 0), the contract
 * of tg__binary_run. Bodies VF(I, a, b, p0, p1, p2) / VD(I, a, b, p0, p1, p2).
 * TG_SIMD_BIN / TG_SIMD_BIN_WIDE mirror the map generators and define
 * NAME##_b32[3], NAME##_b64[3]; TG_VEC_BIN0 defines the public kernels
 * tg_vec_NAME_f32(n, y, a, sa, b, sb) (the tg_bin_f32 signature, not
 * threaded: the driver splits the work). Ops with parameters run them
 * through tg__ew_binary_run (ops/ew_simd.c). */
typedef void (*tg_bin2_f32_fn)(int64_t n, float *y, const float *a,
                               int64_t sa, const float *b, int64_t sb,
                               double p0, double p1, double p2);
typedef void (*tg_bin2_f64_fn)(int64_t n, double *y, const double *a,
                               int64_t sa, const double *b, int64_t sb,
                               double p0, double p1, double p2);

#define TG__BIN_LOOP(I, T, L, VT, LOAD, STORE, STREAM, SET1, EVAL)          \
    int64_t i = 0;                                                          \
    const VT ab_ = SET1(I, a[0]), bb_ = SET1(I, b[0]);                      \
    bool nt_ = (uint64_t)n * sizeof(T) >= TG_STREAM_BYTES &&                \
               ((uintptr_t)y % (L * sizeof(T))) == 0;                       \
    if (nt_) {                                                              \
        for (; i + L <= n; i += L) {                                        \
            VT va = sa ? LOAD(I, a + i) : ab_;                              \
            VT vb = sb ? LOAD(I, b + i) : bb_;                              \
            STREAM(I, y + i, EVAL);                                         \
        }                                                                   \
        _mm_sfence();                                                       \
    } else {                                                                \
        for (; i + L <= n; i += L) {                                        \
            VT va = sa ? LOAD(I, a + i) : ab_;                              \
            VT vb = sb ? LOAD(I, b + i) : bb_;                              \
            STORE(I, y + i, EVAL);                                          \
        }                                                                   \
    }                                                                       \
    if (i < n) {                                                            \
        T ta_[L], tb_[L], yb_[L];                                           \
        for (int j = 0; j < L; j++) {                                       \
            ta_[j] = i + j < n ? a[(i + j) * sa] : (T)0;                    \
            tb_[j] = i + j < n ? b[(i + j) * sb] : (T)0;                    \
        }                                                                   \
        VT va = LOAD(I, ta_), vb = LOAD(I, tb_);                            \
        STORE(I, yb_, EVAL);                                                \
        for (int j = 0; i + j < n; j++) y[i + j] = yb_[j];                  \
    }

#define TG__BIN_F32_ISA(NAME, I, EVAL)                                      \
    TG_TARGET_##I static void NAME##_b32_##I(                               \
        int64_t n, float *y, const float *a, int64_t sa, const float *b,    \
        int64_t sb, double p0, double p1, double p2)                        \
    {                                                                       \
        (void)p0, (void)p1, (void)p2;                                       \
        TG__BIN_LOOP(I, float, TG_NF_##I, TG_VF(I), TG_LOADF, TG_STOREF,    \
                     TG_STREAMF, TG_SET1F, EVAL)                            \
    }
#define TG__BIN_F64_ISA(NAME, I, VD)                                        \
    TG_TARGET_##I static void NAME##_b64_##I(                               \
        int64_t n, double *y, const double *a, int64_t sa, const double *b, \
        int64_t sb, double p0, double p1, double p2)                        \
    {                                                                       \
        (void)p0, (void)p1, (void)p2;                                       \
        TG__BIN_LOOP(I, double, TG_ND_##I, TG_VD(I), TG_LOADD, TG_STORED,   \
                     TG_STREAMD, TG_SET1D, VD(I, va, vb, p0, p1, p2))       \
    }
#define TG__BIN_WIDEN(I, VD)                                                \
    TG_D2_F32(I,                                                            \
              VD(I, TG_F32LO_D(I, va), TG_F32LO_D(I, vb), p0, p1, p2),      \
              VD(I, TG_F32HI_D(I, va), TG_F32HI_D(I, vb), p0, p1, p2))
#define TG__BIN_TABLES(NAME)                                                \
    static const tg_bin2_f32_fn NAME##_b32[3] = {                           \
        NAME##_b32_sse2, NAME##_b32_avx2, NAME##_b32_avx512};               \
    static const tg_bin2_f64_fn NAME##_b64[3] = {                           \
        NAME##_b64_sse2, NAME##_b64_avx2, NAME##_b64_avx512};

#define TG_SIMD_BIN(NAME, VF, VD)                                           \
    TG__BIN_F32_ISA(NAME, sse2, VF(sse2, va, vb, p0, p1, p2))               \
    TG__BIN_F32_ISA(NAME, avx2, VF(avx2, va, vb, p0, p1, p2))               \
    TG__BIN_F32_ISA(NAME, avx512, VF(avx512, va, vb, p0, p1, p2))           \
    TG__BIN_F64_ISA(NAME, sse2, VD)                                         \
    TG__BIN_F64_ISA(NAME, avx2, VD)                                         \
    TG__BIN_F64_ISA(NAME, avx512, VD)                                       \
    TG__BIN_TABLES(NAME)
#define TG_SIMD_BIN_WIDE(NAME, VD)                                          \
    TG__BIN_F32_ISA(NAME, sse2, TG__BIN_WIDEN(sse2, VD))                    \
    TG__BIN_F32_ISA(NAME, avx2, TG__BIN_WIDEN(avx2, VD))                    \
    TG__BIN_F32_ISA(NAME, avx512, TG__BIN_WIDEN(avx512, VD))                \
    TG__BIN_F64_ISA(NAME, sse2, VD)                                         \
    TG__BIN_F64_ISA(NAME, avx2, VD)                                         \
    TG__BIN_F64_ISA(NAME, avx512, VD)                                       \
    TG__BIN_TABLES(NAME)

/* Public binary kernels without parameters, for tg__binary_run. */
#define TG_VEC_BIN0(NAME)                                                   \
    void tg_vec_##NAME##_f32(int64_t n, float *y, const float *a,           \
                             int64_t sa, const float *b, int64_t sb)        \
    {                                                                       \
        NAME##_b32[tg__isa()](n, y, a, sa, b, sb, 0, 0, 0);                 \
    }                                                                       \
    void tg_vec_##NAME##_f64(int64_t n, double *y, const double *a,         \
                             int64_t sa, const double *b, int64_t sb)       \
    {                                                                       \
        NAME##_b64[tg__isa()](n, y, a, sa, b, sb, 0, 0, 0);                 \
    }

/* ==================================================================
 * Lane integers, 8- and 16-entry table lookups and exponent scaling for f32
 * kernels written for the FMA instruction sets (avx2, avx512 only; the
 * SSE2 instantiations of such kernels evaluate in double instead).
 * Appended; the macros above are unchanged.
 * ================================================================== */
#define TG_VI(I) TG_VI_##I
#define TG_VI_avx2 __m256i
#define TG_VI_avx512 __m512i
/* the bits of a float vector as int32 lanes and back */
#define TG_BITSF(I, v) TG_BITSF_##I(v)
#define TG_BITSF_avx2(v) _mm256_castps_si256(v)
#define TG_BITSF_avx512(v) _mm512_castps_si512(v)
#define TG_FROMBITSF(I, v) TG_FROMBITSF_##I(v)
#define TG_FROMBITSF_avx2(v) _mm256_castsi256_ps(v)
#define TG_FROMBITSF_avx512(v) _mm512_castsi512_ps(v)
#define TG_SET1I32(I, s) TG__XCAT3(_mm, TG_W_##I, _set1_epi32)(s)
#define TG_ADDI32(I, a, b) TG__XCAT3(_mm, TG_W_##I, _add_epi32)(a, b)
#define TG_SUBI32(I, a, b) TG__XCAT3(_mm, TG_W_##I, _sub_epi32)(a, b)
#define TG_MINI32(I, a, b) TG__XCAT3(_mm, TG_W_##I, _min_epi32)(a, b)
#define TG_SRLI32(I, a, n) TG__XCAT3(_mm, TG_W_##I, _srli_epi32)(a, n)
#define TG_SLLI32(I, a, n) TG__XCAT3(_mm, TG_W_##I, _slli_epi32)(a, n)
/* a*b - c, fused (an exact product error: fl(a*b) - a*b = -TG_FMSF(a, b, fl(a*b))) */
#define TG_FMSF(I, a, b, c) TG__XCAT3(_mm, TG_W_##I, _fmsub_ps)(a, b, c)
/* tab[idx] per lane: tab is a 32-byte aligned float[8], idx int32 lanes in
 * [0, 7]; one register permute (vpermps) */
#define TG_LUT8F(I, tab, idx) TG_LUT8F_##I(tab, idx)
#define TG_LUT8F_avx2(tab, idx) _mm256_permutevar8x32_ps(_mm256_load_ps(tab), idx)
#define TG_LUT8F_avx512(tab, idx)                                           \
    _mm512_permutexvar_ps(idx, _mm512_castps256_ps512(_mm256_load_ps(tab)))
/* 2^k for integral float lanes k in [-126, 127] */
#define TG_POW2F(I, k) TG_POW2F_##I(k)
#define TG_POW2F_avx2(k)                                                    \
    _mm256_castsi256_ps(_mm256_slli_epi32(                                  \
        _mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23))
#define TG_POW2F_avx512(k) _mm512_scalef_ps(_mm512_set1_ps(1.0f), k)
/* v 2^k for integral float lanes k in [-226, 127], rounded once when
 * |v| >= 2^-26 (AVX2 scales by 2^max(k, -100), exactly, then by the
 * rest; a result that underflows is rounded once, into the subnormal
 * range, as AVX-512's vscalefps does). A NaN k is only allowed with a
 * NaN v (AVX2 would scale by garbage). */
#define TG_LDEXPF(I, v, k) TG_LDEXPF_##I(v, k)
#define TG_LDEXPF_avx2(v, k)                                                \
    _mm256_mul_ps(_mm256_mul_ps(v, TG_POW2F_avx2(_mm256_max_ps(             \
                                       k, _mm256_set1_ps(-100.0f)))),       \
                  TG_POW2F_avx2(_mm256_sub_ps(                              \
                      k, _mm256_max_ps(k, _mm256_set1_ps(-100.0f)))))
#define TG_LDEXPF_avx512(v, k) _mm512_scalef_ps(v, k)
/* tab[idx] per lane for a 64-byte aligned float[16], idx in [0, 15]: one
 * permute on AVX-512, two and a blend on AVX2 */
#define TG_LUT16F(I, tab, idx) TG_LUT16F_##I(tab, idx)
#define TG_LUT16F_avx2(tab, idx)                                            \
    _mm256_blendv_ps(_mm256_permutevar8x32_ps(_mm256_load_ps(tab), idx),    \
                     _mm256_permutevar8x32_ps(_mm256_load_ps((tab) + 8), idx), \
                     _mm256_castsi256_ps(_mm256_cmpgt_epi32(                \
                         idx, _mm256_set1_epi32(7))))
#define TG_LUT16F_avx512(tab, idx) _mm512_permutexvar_ps(idx, _mm512_load_ps(tab))
/* bitwise or (TG_ORF(I, x, TG_SIGNBITF(I)) = -|x|) */
#define TG_ORF(I, a, b) TG_ORF_##I(a, b)
#define TG_ORF_sse2(a, b) _mm_or_ps(a, b)
#define TG_ORF_avx2(a, b) _mm256_or_ps(a, b)
#define TG_ORF_avx512(a, b)                                                 \
    _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(a), _mm512_castps_si512(b)))

#endif
