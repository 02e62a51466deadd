/* The SIMD vocabulary: the few vector operations the kernel bodies are
 * written with, spelled once per x86 instruction set as static inline
 * functions over the types vf (f32 lanes), vd (f64 lanes), mf/md (lane
 * masks) and, on AVX2 and AVX-512, vi (int32 lanes).
 *
 * It is included only by the kernel units ops/kern_sse2.c, kern_avx2.c and
 * kern_avx512.c, each of which defines TG_SIMD_SSE2, TG_SIMD_AVX2 or
 * TG_SIMD_AVX512 first: the unit is then compiled for that instruction set
 * (a target pragma covers the whole unit, so the rest of the library stays
 * plain x86-64 and the choice is made at run time by tg__isa), and the
 * same kernel bodies (ops/kern_*.h) compile against each vocabulary.
 * TG_SIMD_LEVEL is 1, 2 or 3 for the three sets. */
#ifndef TAPEGRAD_SIMD_H
#define TAPEGRAD_SIMD_H

#if defined(TG_SIMD_SSE2)
#define TG_SIMD_LEVEL 1
#elif defined(TG_SIMD_AVX2)
#define TG_SIMD_LEVEL 2
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC target("avx2,fma")
#endif
#elif defined(TG_SIMD_AVX512)
#define TG_SIMD_LEVEL 3
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512dq,avx2,fma"))), apply_to = function)
#else
#pragma GCC target("avx512f,avx512dq,avx2,fma")
#endif
#else
#error "ops/simd.h: define TG_SIMD_SSE2, TG_SIMD_AVX2 or TG_SIMD_AVX512 first"
#endif

#include <immintrin.h>
#include <stdbool.h>
#include <stdint.h>

/* sleef.h declares the AVX2 and AVX-512 entry points only when the
 * feature macros are set. GCC sets them under the target pragma above;
 * clang's attribute pragma does not, so they are raised by hand around the
 * include (the declarations still get the pragma's target attribute, so
 * vector arguments travel in registers on both sides). */
#if defined(__clang__)
#pragma clang diagnostic ignored "-Wpsabi"
#if TG_SIMD_LEVEL >= 2 && !defined(__AVX2__)
#define TG__RAISED_AVX2
#define __AVX__ 1
#define __AVX2__ 1
#endif
#if TG_SIMD_LEVEL == 3 && !defined(__AVX512F__)
#define TG__RAISED_AVX512F
#define __AVX512F__ 1
#endif
#include <sleef.h>
#ifdef TG__RAISED_AVX2
#undef __AVX__
#undef __AVX2__
#endif
#ifdef TG__RAISED_AVX512F
#undef __AVX512F__
#endif
#else
#include <sleef.h>
#endif

/* ====================================================================
 * SSE2 (every x86-64): 4 floats, 2 doubles, masks are vectors. No FMA:
 * vf_fma and friends round the product and the sum separately.
 * ==================================================================== */
#if TG_SIMD_LEVEL == 1
typedef __m128 vf;
typedef __m128d vd;
typedef __m128 mf;
typedef __m128d md;
enum { TG_NF = 4, TG_ND = 2 };

static inline vf vf_load(const float *p) { return _mm_loadu_ps(p); }
static inline void vf_store(float *p, vf v) { _mm_storeu_ps(p, v); }
static inline void vf_stream(float *p, vf v) { _mm_stream_ps(p, v); }
static inline vf vf_set1(float s) { return _mm_set1_ps(s); }
static inline float vf_first(vf v) { return _mm_cvtss_f32(v); }
static inline vf vf_add(vf a, vf b) { return _mm_add_ps(a, b); }
static inline vf vf_sub(vf a, vf b) { return _mm_sub_ps(a, b); }
static inline vf vf_mul(vf a, vf b) { return _mm_mul_ps(a, b); }
static inline vf vf_div(vf a, vf b) { return _mm_div_ps(a, b); }
static inline vf vf_max(vf a, vf b) { return _mm_max_ps(a, b); }
static inline vf vf_min(vf a, vf b) { return _mm_min_ps(a, b); }
static inline vf vf_sqrt(vf a) { return _mm_sqrt_ps(a); }
static inline vf vf_rcp(vf a) { return _mm_rcp_ps(a); }
static inline vf vf_fma(vf a, vf b, vf c) { return _mm_add_ps(_mm_mul_ps(a, b), c); }
static inline vf vf_fnma(vf a, vf b, vf c) { return _mm_sub_ps(c, _mm_mul_ps(a, b)); }
static inline vf vf_and(vf a, vf b) { return _mm_and_ps(a, b); }
static inline vf vf_or(vf a, vf b) { return _mm_or_ps(a, b); }
static inline vf vf_xor(vf a, vf b) { return _mm_xor_ps(a, b); }
static inline vf vf_abs(vf a) { return _mm_andnot_ps(_mm_set1_ps(-0.0f), a); }
static inline mf vf_lt(vf a, vf b) { return _mm_cmplt_ps(a, b); }
static inline mf vf_le(vf a, vf b) { return _mm_cmple_ps(a, b); }
static inline mf vf_gt(vf a, vf b) { return _mm_cmpgt_ps(a, b); }
static inline mf vf_ge(vf a, vf b) { return _mm_cmpge_ps(a, b); }
static inline mf vf_eq(vf a, vf b) { return _mm_cmpeq_ps(a, b); }
static inline mf vf_unord(vf a, vf b) { return _mm_cmpunord_ps(a, b); }
static inline vf vf_blend(mf m, vf a, vf b) { return _mm_or_ps(_mm_and_ps(m, a), _mm_andnot_ps(m, b)); }
static inline mf mf_or(mf a, mf b) { return _mm_or_ps(a, b); }

static inline vd vd_load(const double *p) { return _mm_loadu_pd(p); }
static inline void vd_store(double *p, vd v) { _mm_storeu_pd(p, v); }
static inline void vd_stream(double *p, vd v) { _mm_stream_pd(p, v); }
static inline vd vd_set1(double s) { return _mm_set1_pd(s); }
static inline vd vd_add(vd a, vd b) { return _mm_add_pd(a, b); }
static inline vd vd_sub(vd a, vd b) { return _mm_sub_pd(a, b); }
static inline vd vd_mul(vd a, vd b) { return _mm_mul_pd(a, b); }
static inline vd vd_div(vd a, vd b) { return _mm_div_pd(a, b); }
static inline vd vd_max(vd a, vd b) { return _mm_max_pd(a, b); }
static inline vd vd_min(vd a, vd b) { return _mm_min_pd(a, b); }
static inline vd vd_sqrt(vd a) { return _mm_sqrt_pd(a); }
static inline vd vd_fma(vd a, vd b, vd c) { return _mm_add_pd(_mm_mul_pd(a, b), c); }
static inline vd vd_fnma(vd a, vd b, vd c) { return _mm_sub_pd(c, _mm_mul_pd(a, b)); }
static inline vd vd_and(vd a, vd b) { return _mm_and_pd(a, b); }
static inline vd vd_xor(vd a, vd b) { return _mm_xor_pd(a, b); }
static inline vd vd_abs(vd a) { return _mm_andnot_pd(_mm_set1_pd(-0.0), a); }
static inline md vd_lt(vd a, vd b) { return _mm_cmplt_pd(a, b); }
static inline md vd_le(vd a, vd b) { return _mm_cmple_pd(a, b); }
static inline md vd_gt(vd a, vd b) { return _mm_cmpgt_pd(a, b); }
static inline md vd_ge(vd a, vd b) { return _mm_cmpge_pd(a, b); }
static inline md vd_eq(vd a, vd b) { return _mm_cmpeq_pd(a, b); }
static inline md vd_unord(vd a, vd b) { return _mm_cmpunord_pd(a, b); }
static inline vd vd_blend(md m, vd a, vd b) { return _mm_or_pd(_mm_and_pd(m, a), _mm_andnot_pd(m, b)); }
static inline md md_or(md a, md b) { return _mm_or_pd(a, b); }

/* the low and high halves of an f32 vector as f64, and back (rounded) */
static inline vd vd_lo(vf v) { return _mm_cvtps_pd(v); }
static inline vd vd_hi(vf v) { return _mm_cvtps_pd(_mm_movehl_ps(v, v)); }
static inline vf vf_of_vd2(vd lo, vd hi) { return _mm_movelh_ps(_mm_cvtpd_ps(lo), _mm_cvtpd_ps(hi)); }

/* SLEEF, 1.0-ulp variants (erfc: 1.5) */
static inline vf vf_exp(vf v) { return Sleef_expf4_u10sse2(v); }
static inline vf vf_log(vf v) { return Sleef_logf4_u10sse2(v); }
static inline vf vf_log1p(vf v) { return Sleef_log1pf4_u10sse2(v); }
static inline vf vf_expm1(vf v) { return Sleef_expm1f4_u10sse2(v); }
static inline vf vf_sin(vf v) { return Sleef_sinf4_u10sse2(v); }
static inline vf vf_cos(vf v) { return Sleef_cosf4_u10sse2(v); }
static inline vf vf_erf(vf v) { return Sleef_erff4_u10sse2(v); }
static inline vf vf_tanh(vf v) { return Sleef_tanhf4_u10sse2(v); }
static inline vf vf_pow(vf a, vf b) { return Sleef_powf4_u10sse2(a, b); }
static inline vd vd_exp(vd v) { return Sleef_expd2_u10sse2(v); }
static inline vd vd_log(vd v) { return Sleef_logd2_u10sse2(v); }
static inline vd vd_log1p(vd v) { return Sleef_log1pd2_u10sse2(v); }
static inline vd vd_expm1(vd v) { return Sleef_expm1d2_u10sse2(v); }
static inline vd vd_sin(vd v) { return Sleef_sind2_u10sse2(v); }
static inline vd vd_cos(vd v) { return Sleef_cosd2_u10sse2(v); }
static inline vd vd_erf(vd v) { return Sleef_erfd2_u10sse2(v); }
static inline vd vd_erfc(vd v) { return Sleef_erfcd2_u15sse2(v); }
static inline vd vd_tanh(vd v) { return Sleef_tanhd2_u10sse2(v); }
static inline vd vd_pow(vd a, vd b) { return Sleef_powd2_u10sse2(a, b); }
/* the rest of the math ops (ops/ew_math2.c, act_more.c) */
static inline vf vf_tan(vf v) { return Sleef_tanf4_u10sse2(v); }
static inline vf vf_asin(vf v) { return Sleef_asinf4_u10sse2(v); }
static inline vf vf_acos(vf v) { return Sleef_acosf4_u10sse2(v); }
static inline vf vf_atan(vf v) { return Sleef_atanf4_u10sse2(v); }
static inline vf vf_sinh(vf v) { return Sleef_sinhf4_u10sse2(v); }
static inline vf vf_cosh(vf v) { return Sleef_coshf4_u10sse2(v); }
static inline vf vf_asinh(vf v) { return Sleef_asinhf4_u10sse2(v); }
static inline vf vf_acosh(vf v) { return Sleef_acoshf4_u10sse2(v); }
static inline vf vf_atanh(vf v) { return Sleef_atanhf4_u10sse2(v); }
static inline vf vf_log2(vf v) { return Sleef_log2f4_u10sse2(v); }
static inline vf vf_log10(vf v) { return Sleef_log10f4_u10sse2(v); }
static inline vf vf_exp2(vf v) { return Sleef_exp2f4_u10sse2(v); }
static inline vf vf_floor(vf v) { return Sleef_floorf4_sse2(v); }
static inline vf vf_ceil(vf v) { return Sleef_ceilf4_sse2(v); }
static inline vf vf_trunc(vf v) { return Sleef_truncf4_sse2(v); }
static inline vf vf_rint(vf v) { return Sleef_rintf4_sse2(v); }
static inline vf vf_atan2(vf a, vf b) { return Sleef_atan2f4_u10sse2(a, b); }
static inline vf vf_hypot(vf a, vf b) { return Sleef_hypotf4_u05sse2(a, b); }
static inline vf vf_fmod(vf a, vf b) { return Sleef_fmodf4_sse2(a, b); }
static inline vd vd_tan(vd v) { return Sleef_tand2_u10sse2(v); }
static inline vd vd_asin(vd v) { return Sleef_asind2_u10sse2(v); }
static inline vd vd_acos(vd v) { return Sleef_acosd2_u10sse2(v); }
static inline vd vd_atan(vd v) { return Sleef_atand2_u10sse2(v); }
static inline vd vd_sinh(vd v) { return Sleef_sinhd2_u10sse2(v); }
static inline vd vd_cosh(vd v) { return Sleef_coshd2_u10sse2(v); }
static inline vd vd_asinh(vd v) { return Sleef_asinhd2_u10sse2(v); }
static inline vd vd_acosh(vd v) { return Sleef_acoshd2_u10sse2(v); }
static inline vd vd_atanh(vd v) { return Sleef_atanhd2_u10sse2(v); }
static inline vd vd_log2(vd v) { return Sleef_log2d2_u10sse2(v); }
static inline vd vd_log10(vd v) { return Sleef_log10d2_u10sse2(v); }
static inline vd vd_exp2(vd v) { return Sleef_exp2d2_u10sse2(v); }
static inline vd vd_floor(vd v) { return Sleef_floord2_sse2(v); }
static inline vd vd_ceil(vd v) { return Sleef_ceild2_sse2(v); }
static inline vd vd_trunc(vd v) { return Sleef_truncd2_sse2(v); }
static inline vd vd_rint(vd v) { return Sleef_rintd2_sse2(v); }
static inline vd vd_atan2(vd a, vd b) { return Sleef_atan2d2_u10sse2(a, b); }
static inline vd vd_hypot(vd a, vd b) { return Sleef_hypotd2_u05sse2(a, b); }
static inline vd vd_fmod(vd a, vd b) { return Sleef_fmodd2_sse2(a, b); }

/* ====================================================================
 * AVX2 + FMA: 8 floats, 4 doubles, masks are vectors.
 * ==================================================================== */
#elif TG_SIMD_LEVEL == 2
typedef __m256 vf;
typedef __m256d vd;
typedef __m256 mf;
typedef __m256d md;
typedef __m256i vi;
enum { TG_NF = 8, TG_ND = 4 };

static inline vf vf_load(const float *p) { return _mm256_loadu_ps(p); }
static inline void vf_store(float *p, vf v) { _mm256_storeu_ps(p, v); }
static inline void vf_stream(float *p, vf v) { _mm256_stream_ps(p, v); }
static inline vf vf_set1(float s) { return _mm256_set1_ps(s); }
static inline float vf_first(vf v) { return _mm256_cvtss_f32(v); }
static inline vf vf_add(vf a, vf b) { return _mm256_add_ps(a, b); }
static inline vf vf_sub(vf a, vf b) { return _mm256_sub_ps(a, b); }
static inline vf vf_mul(vf a, vf b) { return _mm256_mul_ps(a, b); }
static inline vf vf_div(vf a, vf b) { return _mm256_div_ps(a, b); }
static inline vf vf_max(vf a, vf b) { return _mm256_max_ps(a, b); }
static inline vf vf_min(vf a, vf b) { return _mm256_min_ps(a, b); }
static inline vf vf_sqrt(vf a) { return _mm256_sqrt_ps(a); }
static inline vf vf_rcp(vf a) { return _mm256_rcp_ps(a); }
static inline vf vf_fma(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
static inline vf vf_fnma(vf a, vf b, vf c) { return _mm256_fnmadd_ps(a, b, c); }
static inline vf vf_fms(vf a, vf b, vf c) { return _mm256_fmsub_ps(a, b, c); }
static inline vf vf_and(vf a, vf b) { return _mm256_and_ps(a, b); }
static inline vf vf_andnot(vf a, vf b) { return _mm256_andnot_ps(a, b); }
static inline vf vf_or(vf a, vf b) { return _mm256_or_ps(a, b); }
static inline vf vf_xor(vf a, vf b) { return _mm256_xor_ps(a, b); }
static inline vf vf_abs(vf a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
static inline mf vf_lt(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
static inline mf vf_le(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_LE_OQ); }
static inline mf vf_gt(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
static inline mf vf_ge(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_GE_OQ); }
static inline mf vf_eq(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_EQ_OQ); }
static inline mf vf_unord(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_UNORD_Q); }
/* lanes where a >= b is false (a < b, or a NaN) */
static inline mf vf_nge(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_NGE_UQ); }
static inline vf vf_blend(mf m, vf a, vf b) { return _mm256_blendv_ps(b, a, m); }
static inline mf mf_or(mf a, mf b) { return _mm256_or_ps(a, b); }
static inline int mf_bits(mf m) { return _mm256_movemask_ps(m); }

static inline vd vd_load(const double *p) { return _mm256_loadu_pd(p); }
static inline void vd_store(double *p, vd v) { _mm256_storeu_pd(p, v); }
static inline void vd_stream(double *p, vd v) { _mm256_stream_pd(p, v); }
static inline vd vd_set1(double s) { return _mm256_set1_pd(s); }
static inline vd vd_add(vd a, vd b) { return _mm256_add_pd(a, b); }
static inline vd vd_sub(vd a, vd b) { return _mm256_sub_pd(a, b); }
static inline vd vd_mul(vd a, vd b) { return _mm256_mul_pd(a, b); }
static inline vd vd_div(vd a, vd b) { return _mm256_div_pd(a, b); }
static inline vd vd_max(vd a, vd b) { return _mm256_max_pd(a, b); }
static inline vd vd_min(vd a, vd b) { return _mm256_min_pd(a, b); }
static inline vd vd_sqrt(vd a) { return _mm256_sqrt_pd(a); }
static inline vd vd_fma(vd a, vd b, vd c) { return _mm256_fmadd_pd(a, b, c); }
static inline vd vd_fnma(vd a, vd b, vd c) { return _mm256_fnmadd_pd(a, b, c); }
static inline vd vd_and(vd a, vd b) { return _mm256_and_pd(a, b); }
static inline vd vd_xor(vd a, vd b) { return _mm256_xor_pd(a, b); }
static inline vd vd_abs(vd a) { return _mm256_andnot_pd(_mm256_set1_pd(-0.0), a); }
static inline md vd_lt(vd a, vd b) { return _mm256_cmp_pd(a, b, _CMP_LT_OQ); }
static inline md vd_le(vd a, vd b) { return _mm256_cmp_pd(a, b, _CMP_LE_OQ); }
static inline md vd_gt(vd a, vd b) { return _mm256_cmp_pd(a, b, _CMP_GT_OQ); }
static inline md vd_ge(vd a, vd b) { return _mm256_cmp_pd(a, b, _CMP_GE_OQ); }
static inline md vd_eq(vd a, vd b) { return _mm256_cmp_pd(a, b, _CMP_EQ_OQ); }
static inline md vd_unord(vd a, vd b) { return _mm256_cmp_pd(a, b, _CMP_UNORD_Q); }
static inline vd vd_blend(md m, vd a, vd b) { return _mm256_blendv_pd(b, a, m); }
static inline md md_or(md a, md b) { return _mm256_or_pd(a, b); }

static inline vd vd_lo(vf v) { return _mm256_cvtps_pd(_mm256_castps256_ps128(v)); }
static inline vd vd_hi(vf v) { return _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)); }
static inline vf vf_of_vd2(vd lo, vd hi)
{
    return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm256_cvtpd_ps(lo)),
                                _mm256_cvtpd_ps(hi), 1);
}

/* int32 lanes: the bits of a float vector and a few integer operations */
static inline vi vf_bits(vf v) { return _mm256_castps_si256(v); }
static inline vf vf_of_bits(vi v) { return _mm256_castsi256_ps(v); }
static inline vi vi_set1(int s) { return _mm256_set1_epi32(s); }
static inline vi vi_add(vi a, vi b) { return _mm256_add_epi32(a, b); }
static inline vi vi_sub(vi a, vi b) { return _mm256_sub_epi32(a, b); }
static inline vi vi_min(vi a, vi b) { return _mm256_min_epi32(a, b); }
static inline vi vi_srl(vi a, int n) { return _mm256_srli_epi32(a, n); }
static inline vi vi_sll(vi a, int n) { return _mm256_slli_epi32(a, n); }
/* tab[idx] per lane, tab a 64-byte aligned float[16], idx in [0, 15]: two
 * register permutes and a blend */
static inline vf vf_lut16(const float *tab, vi idx)
{
    return _mm256_blendv_ps(_mm256_permutevar8x32_ps(_mm256_load_ps(tab), idx),
                            _mm256_permutevar8x32_ps(_mm256_load_ps(tab + 8), idx),
                            _mm256_castsi256_ps(_mm256_cmpgt_epi32(idx, _mm256_set1_epi32(7))));
}
/* 2^k for integral float lanes k in [-126, 127] */
static inline vf vf_pow2(vf k)
{
    return _mm256_castsi256_ps(_mm256_slli_epi32(
        _mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23));
}
/* v 2^k for integral float lanes k in [-226, 127], rounded once when
 * |v| >= 2^-26: scaled by 2^max(k, -100), exactly, then by the rest, so a
 * result that underflows is rounded once into the subnormal range, as
 * AVX-512's vscalefps does. A NaN k is only allowed with a NaN v. */
static inline vf vf_ldexp(vf v, vf k)
{
    vf k1 = _mm256_max_ps(k, _mm256_set1_ps(-100.0f));
    return _mm256_mul_ps(_mm256_mul_ps(v, vf_pow2(k1)), vf_pow2(_mm256_sub_ps(k, k1)));
}

static inline vf vf_exp(vf v) { return Sleef_expf8_u10avx2(v); }
static inline vf vf_log(vf v) { return Sleef_logf8_u10avx2(v); }
static inline vf vf_log1p(vf v) { return Sleef_log1pf8_u10avx2(v); }
static inline vf vf_expm1(vf v) { return Sleef_expm1f8_u10avx2(v); }
static inline vf vf_sin(vf v) { return Sleef_sinf8_u10avx2(v); }
static inline vf vf_cos(vf v) { return Sleef_cosf8_u10avx2(v); }
static inline vf vf_erf(vf v) { return Sleef_erff8_u10avx2(v); }
static inline vf vf_tanh(vf v) { return Sleef_tanhf8_u10avx2(v); }
static inline vf vf_pow(vf a, vf b) { return Sleef_powf8_u10avx2(a, b); }
static inline vd vd_exp(vd v) { return Sleef_expd4_u10avx2(v); }
static inline vd vd_log(vd v) { return Sleef_logd4_u10avx2(v); }
static inline vd vd_log1p(vd v) { return Sleef_log1pd4_u10avx2(v); }
static inline vd vd_expm1(vd v) { return Sleef_expm1d4_u10avx2(v); }
static inline vd vd_sin(vd v) { return Sleef_sind4_u10avx2(v); }
static inline vd vd_cos(vd v) { return Sleef_cosd4_u10avx2(v); }
static inline vd vd_erf(vd v) { return Sleef_erfd4_u10avx2(v); }
static inline vd vd_erfc(vd v) { return Sleef_erfcd4_u15avx2(v); }
static inline vd vd_tanh(vd v) { return Sleef_tanhd4_u10avx2(v); }
static inline vd vd_pow(vd a, vd b) { return Sleef_powd4_u10avx2(a, b); }
/* the rest of the math ops (ops/ew_math2.c, act_more.c) */
static inline vf vf_tan(vf v) { return Sleef_tanf8_u10avx2(v); }
static inline vf vf_asin(vf v) { return Sleef_asinf8_u10avx2(v); }
static inline vf vf_acos(vf v) { return Sleef_acosf8_u10avx2(v); }
static inline vf vf_atan(vf v) { return Sleef_atanf8_u10avx2(v); }
static inline vf vf_sinh(vf v) { return Sleef_sinhf8_u10avx2(v); }
static inline vf vf_cosh(vf v) { return Sleef_coshf8_u10avx2(v); }
static inline vf vf_asinh(vf v) { return Sleef_asinhf8_u10avx2(v); }
static inline vf vf_acosh(vf v) { return Sleef_acoshf8_u10avx2(v); }
static inline vf vf_atanh(vf v) { return Sleef_atanhf8_u10avx2(v); }
static inline vf vf_log2(vf v) { return Sleef_log2f8_u10avx2(v); }
static inline vf vf_log10(vf v) { return Sleef_log10f8_u10avx2(v); }
static inline vf vf_exp2(vf v) { return Sleef_exp2f8_u10avx2(v); }
static inline vf vf_floor(vf v) { return Sleef_floorf8_avx2(v); }
static inline vf vf_ceil(vf v) { return Sleef_ceilf8_avx2(v); }
static inline vf vf_trunc(vf v) { return Sleef_truncf8_avx2(v); }
static inline vf vf_rint(vf v) { return Sleef_rintf8_avx2(v); }
static inline vf vf_atan2(vf a, vf b) { return Sleef_atan2f8_u10avx2(a, b); }
static inline vf vf_hypot(vf a, vf b) { return Sleef_hypotf8_u05avx2(a, b); }
static inline vf vf_fmod(vf a, vf b) { return Sleef_fmodf8_avx2(a, b); }
static inline vd vd_tan(vd v) { return Sleef_tand4_u10avx2(v); }
static inline vd vd_asin(vd v) { return Sleef_asind4_u10avx2(v); }
static inline vd vd_acos(vd v) { return Sleef_acosd4_u10avx2(v); }
static inline vd vd_atan(vd v) { return Sleef_atand4_u10avx2(v); }
static inline vd vd_sinh(vd v) { return Sleef_sinhd4_u10avx2(v); }
static inline vd vd_cosh(vd v) { return Sleef_coshd4_u10avx2(v); }
static inline vd vd_asinh(vd v) { return Sleef_asinhd4_u10avx2(v); }
static inline vd vd_acosh(vd v) { return Sleef_acoshd4_u10avx2(v); }
static inline vd vd_atanh(vd v) { return Sleef_atanhd4_u10avx2(v); }
static inline vd vd_log2(vd v) { return Sleef_log2d4_u10avx2(v); }
static inline vd vd_log10(vd v) { return Sleef_log10d4_u10avx2(v); }
static inline vd vd_exp2(vd v) { return Sleef_exp2d4_u10avx2(v); }
static inline vd vd_floor(vd v) { return Sleef_floord4_avx2(v); }
static inline vd vd_ceil(vd v) { return Sleef_ceild4_avx2(v); }
static inline vd vd_trunc(vd v) { return Sleef_truncd4_avx2(v); }
static inline vd vd_rint(vd v) { return Sleef_rintd4_avx2(v); }
static inline vd vd_atan2(vd a, vd b) { return Sleef_atan2d4_u10avx2(a, b); }
static inline vd vd_hypot(vd a, vd b) { return Sleef_hypotd4_u05avx2(a, b); }
static inline vd vd_fmod(vd a, vd b) { return Sleef_fmodd4_avx2(a, b); }

/* ====================================================================
 * AVX-512 (F, DQ): 16 floats, 8 doubles, masks are k-registers.
 * ==================================================================== */
#else
typedef __m512 vf;
typedef __m512d vd;
typedef __mmask16 mf;
typedef __mmask8 md;
typedef __m512i vi;
enum { TG_NF = 16, TG_ND = 8 };

static inline vf vf_load(const float *p) { return _mm512_loadu_ps(p); }
static inline void vf_store(float *p, vf v) { _mm512_storeu_ps(p, v); }
static inline void vf_stream(float *p, vf v) { _mm512_stream_ps(p, v); }
static inline vf vf_set1(float s) { return _mm512_set1_ps(s); }
static inline float vf_first(vf v) { return _mm512_cvtss_f32(v); }
static inline vf vf_add(vf a, vf b) { return _mm512_add_ps(a, b); }
static inline vf vf_sub(vf a, vf b) { return _mm512_sub_ps(a, b); }
static inline vf vf_mul(vf a, vf b) { return _mm512_mul_ps(a, b); }
static inline vf vf_div(vf a, vf b) { return _mm512_div_ps(a, b); }
static inline vf vf_max(vf a, vf b) { return _mm512_max_ps(a, b); }
static inline vf vf_min(vf a, vf b) { return _mm512_min_ps(a, b); }
static inline vf vf_sqrt(vf a) { return _mm512_sqrt_ps(a); }
/* 14 bits */
static inline vf vf_rcp(vf a) { return _mm512_rcp14_ps(a); }
static inline vf vf_fma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
static inline vf vf_fnma(vf a, vf b, vf c) { return _mm512_fnmadd_ps(a, b, c); }
static inline vf vf_fms(vf a, vf b, vf c) { return _mm512_fmsub_ps(a, b, c); }
static inline vf vf_and(vf a, vf b)
{
    return _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(a), _mm512_castps_si512(b)));
}
static inline vf vf_andnot(vf a, vf b) { return _mm512_andnot_ps(a, b); }
static inline vf vf_or(vf a, vf b)
{
    return _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(a), _mm512_castps_si512(b)));
}
static inline vf vf_xor(vf a, vf b)
{
    return _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(a), _mm512_castps_si512(b)));
}
static inline vf vf_abs(vf a) { return _mm512_abs_ps(a); }
static inline mf vf_lt(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
static inline mf vf_le(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_LE_OQ); }
static inline mf vf_gt(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
static inline mf vf_ge(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ); }
static inline mf vf_eq(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ); }
static inline mf vf_unord(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_UNORD_Q); }
static inline mf vf_nge(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_NGE_UQ); }
static inline vf vf_blend(mf m, vf a, vf b) { return _mm512_mask_blend_ps(m, b, a); }
static inline mf mf_or(mf a, mf b) { return (mf)(a | b); }
static inline int mf_bits(mf m) { return m; }

static inline vd vd_load(const double *p) { return _mm512_loadu_pd(p); }
static inline void vd_store(double *p, vd v) { _mm512_storeu_pd(p, v); }
static inline void vd_stream(double *p, vd v) { _mm512_stream_pd(p, v); }
static inline vd vd_set1(double s) { return _mm512_set1_pd(s); }
static inline vd vd_add(vd a, vd b) { return _mm512_add_pd(a, b); }
static inline vd vd_sub(vd a, vd b) { return _mm512_sub_pd(a, b); }
static inline vd vd_mul(vd a, vd b) { return _mm512_mul_pd(a, b); }
static inline vd vd_div(vd a, vd b) { return _mm512_div_pd(a, b); }
static inline vd vd_max(vd a, vd b) { return _mm512_max_pd(a, b); }
static inline vd vd_min(vd a, vd b) { return _mm512_min_pd(a, b); }
static inline vd vd_sqrt(vd a) { return _mm512_sqrt_pd(a); }
static inline vd vd_fma(vd a, vd b, vd c) { return _mm512_fmadd_pd(a, b, c); }
static inline vd vd_fnma(vd a, vd b, vd c) { return _mm512_fnmadd_pd(a, b, c); }
static inline vd vd_and(vd a, vd b)
{
    return _mm512_castsi512_pd(_mm512_and_si512(_mm512_castpd_si512(a), _mm512_castpd_si512(b)));
}
static inline vd vd_xor(vd a, vd b)
{
    return _mm512_castsi512_pd(_mm512_xor_si512(_mm512_castpd_si512(a), _mm512_castpd_si512(b)));
}
static inline vd vd_abs(vd a) { return _mm512_abs_pd(a); }
static inline md vd_lt(vd a, vd b) { return _mm512_cmp_pd_mask(a, b, _CMP_LT_OQ); }
static inline md vd_le(vd a, vd b) { return _mm512_cmp_pd_mask(a, b, _CMP_LE_OQ); }
static inline md vd_gt(vd a, vd b) { return _mm512_cmp_pd_mask(a, b, _CMP_GT_OQ); }
static inline md vd_ge(vd a, vd b) { return _mm512_cmp_pd_mask(a, b, _CMP_GE_OQ); }
static inline md vd_eq(vd a, vd b) { return _mm512_cmp_pd_mask(a, b, _CMP_EQ_OQ); }
static inline md vd_unord(vd a, vd b) { return _mm512_cmp_pd_mask(a, b, _CMP_UNORD_Q); }
static inline vd vd_blend(md m, vd a, vd b) { return _mm512_mask_blend_pd(m, b, a); }
static inline md md_or(md a, md b) { return (md)(a | b); }

static inline vd vd_lo(vf v) { return _mm512_cvtps_pd(_mm512_castps512_ps256(v)); }
static inline vd vd_hi(vf v)
{
    return _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
}
static inline vf vf_of_vd2(vd lo, vd hi)
{
    return _mm512_castpd_ps(_mm512_insertf64x4(
        _mm512_castpd256_pd512(_mm256_castps_pd(_mm512_cvtpd_ps(lo))),
        _mm256_castps_pd(_mm512_cvtpd_ps(hi)), 1));
}

static inline vi vf_bits(vf v) { return _mm512_castps_si512(v); }
static inline vf vf_of_bits(vi v) { return _mm512_castsi512_ps(v); }
static inline vi vi_set1(int s) { return _mm512_set1_epi32(s); }
static inline vi vi_add(vi a, vi b) { return _mm512_add_epi32(a, b); }
static inline vi vi_sub(vi a, vi b) { return _mm512_sub_epi32(a, b); }
static inline vi vi_min(vi a, vi b) { return _mm512_min_epi32(a, b); }
static inline vi vi_srl(vi a, int n) { return _mm512_srli_epi32(a, (unsigned)n); }
static inline vi vi_sll(vi a, int n) { return _mm512_slli_epi32(a, (unsigned)n); }
/* one register permute */
static inline vf vf_lut16(const float *tab, vi idx) { return _mm512_permutexvar_ps(idx, _mm512_load_ps(tab)); }
static inline vf vf_pow2(vf k) { return _mm512_scalef_ps(_mm512_set1_ps(1.0f), k); }
static inline vf vf_ldexp(vf v, vf k) { return _mm512_scalef_ps(v, k); }

static inline vf vf_exp(vf v) { return Sleef_expf16_u10avx512f(v); }
static inline vf vf_log(vf v) { return Sleef_logf16_u10avx512f(v); }
static inline vf vf_log1p(vf v) { return Sleef_log1pf16_u10avx512f(v); }
static inline vf vf_expm1(vf v) { return Sleef_expm1f16_u10avx512f(v); }
static inline vf vf_sin(vf v) { return Sleef_sinf16_u10avx512f(v); }
static inline vf vf_cos(vf v) { return Sleef_cosf16_u10avx512f(v); }
static inline vf vf_erf(vf v) { return Sleef_erff16_u10avx512f(v); }
static inline vf vf_tanh(vf v) { return Sleef_tanhf16_u10avx512f(v); }
static inline vf vf_pow(vf a, vf b) { return Sleef_powf16_u10avx512f(a, b); }
static inline vd vd_exp(vd v) { return Sleef_expd8_u10avx512f(v); }
static inline vd vd_log(vd v) { return Sleef_logd8_u10avx512f(v); }
static inline vd vd_log1p(vd v) { return Sleef_log1pd8_u10avx512f(v); }
static inline vd vd_expm1(vd v) { return Sleef_expm1d8_u10avx512f(v); }
static inline vd vd_sin(vd v) { return Sleef_sind8_u10avx512f(v); }
static inline vd vd_cos(vd v) { return Sleef_cosd8_u10avx512f(v); }
static inline vd vd_erf(vd v) { return Sleef_erfd8_u10avx512f(v); }
static inline vd vd_erfc(vd v) { return Sleef_erfcd8_u15avx512f(v); }
static inline vd vd_tanh(vd v) { return Sleef_tanhd8_u10avx512f(v); }
static inline vd vd_pow(vd a, vd b) { return Sleef_powd8_u10avx512f(a, b); }
/* the rest of the math ops (ops/ew_math2.c, act_more.c) */
static inline vf vf_tan(vf v) { return Sleef_tanf16_u10avx512f(v); }
static inline vf vf_asin(vf v) { return Sleef_asinf16_u10avx512f(v); }
static inline vf vf_acos(vf v) { return Sleef_acosf16_u10avx512f(v); }
static inline vf vf_atan(vf v) { return Sleef_atanf16_u10avx512f(v); }
static inline vf vf_sinh(vf v) { return Sleef_sinhf16_u10avx512f(v); }
static inline vf vf_cosh(vf v) { return Sleef_coshf16_u10avx512f(v); }
static inline vf vf_asinh(vf v) { return Sleef_asinhf16_u10avx512f(v); }
static inline vf vf_acosh(vf v) { return Sleef_acoshf16_u10avx512f(v); }
static inline vf vf_atanh(vf v) { return Sleef_atanhf16_u10avx512f(v); }
static inline vf vf_log2(vf v) { return Sleef_log2f16_u10avx512f(v); }
static inline vf vf_log10(vf v) { return Sleef_log10f16_u10avx512f(v); }
static inline vf vf_exp2(vf v) { return Sleef_exp2f16_u10avx512f(v); }
static inline vf vf_floor(vf v) { return Sleef_floorf16_avx512f(v); }
static inline vf vf_ceil(vf v) { return Sleef_ceilf16_avx512f(v); }
static inline vf vf_trunc(vf v) { return Sleef_truncf16_avx512f(v); }
static inline vf vf_rint(vf v) { return Sleef_rintf16_avx512f(v); }
static inline vf vf_atan2(vf a, vf b) { return Sleef_atan2f16_u10avx512f(a, b); }
static inline vf vf_hypot(vf a, vf b) { return Sleef_hypotf16_u05avx512f(a, b); }
static inline vf vf_fmod(vf a, vf b) { return Sleef_fmodf16_avx512f(a, b); }
static inline vd vd_tan(vd v) { return Sleef_tand8_u10avx512f(v); }
static inline vd vd_asin(vd v) { return Sleef_asind8_u10avx512f(v); }
static inline vd vd_acos(vd v) { return Sleef_acosd8_u10avx512f(v); }
static inline vd vd_atan(vd v) { return Sleef_atand8_u10avx512f(v); }
static inline vd vd_sinh(vd v) { return Sleef_sinhd8_u10avx512f(v); }
static inline vd vd_cosh(vd v) { return Sleef_coshd8_u10avx512f(v); }
static inline vd vd_asinh(vd v) { return Sleef_asinhd8_u10avx512f(v); }
static inline vd vd_acosh(vd v) { return Sleef_acoshd8_u10avx512f(v); }
static inline vd vd_atanh(vd v) { return Sleef_atanhd8_u10avx512f(v); }
static inline vd vd_log2(vd v) { return Sleef_log2d8_u10avx512f(v); }
static inline vd vd_log10(vd v) { return Sleef_log10d8_u10avx512f(v); }
static inline vd vd_exp2(vd v) { return Sleef_exp2d8_u10avx512f(v); }
static inline vd vd_floor(vd v) { return Sleef_floord8_avx512f(v); }
static inline vd vd_ceil(vd v) { return Sleef_ceild8_avx512f(v); }
static inline vd vd_trunc(vd v) { return Sleef_truncd8_avx512f(v); }
static inline vd vd_rint(vd v) { return Sleef_rintd8_avx512f(v); }
static inline vd vd_atan2(vd a, vd b) { return Sleef_atan2d8_u10avx512f(a, b); }
static inline vd vd_hypot(vd a, vd b) { return Sleef_hypotd8_u05avx512f(a, b); }
static inline vd vd_fmod(vd a, vd b) { return Sleef_fmodd8_avx512f(a, b); }
#endif

/* ---- written once from the above */
static inline vf vf_zero(void) { return vf_set1(0.0f); }
static inline vd vd_zero(void) { return vd_set1(0.0); }
static inline vf vf_signbit(void) { return vf_set1(-0.0f); }
static inline vd vd_signbit(void) { return vd_set1(-0.0); }
static inline vf vf_neg(vf v) { return vf_xor(v, vf_signbit()); }
static inline vd vd_neg(vd v) { return vd_xor(v, vd_signbit()); }
/* the magnitude of a with the sign of b xor'd in (b's sign bit only) */
static inline vf vf_xorsign(vf a, vf b) { return vf_xor(a, vf_and(b, vf_signbit())); }
/* m ? 1 : 0 per lane */
static inline vf vf_one_if(mf m) { return vf_blend(m, vf_set1(1.0f), vf_zero()); }
static inline vd vd_one_if(md m) { return vd_blend(m, vd_set1(1.0), vd_zero()); }

#endif
