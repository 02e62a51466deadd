/* The SLEEF vector functions the kernels call, for the WebAssembly build:
 * the SSE2 entry points (4 floats, 2 doubles: WebAssembly SIMD128
 * vectors). exp, expm1 and tanh in f32 are vector code below; the others
 * evaluate each lane with the C library's function of the same name
 * (musl's, within 1 ulp like SLEEF's u10 variants).
 * Only the SSE2 kernel unit is compiled for WebAssembly (ops/kernels.h),
 * so only the SSE2 names exist here. */
#ifndef TAPEGRAD_WASM_SLEEF_H
#define TAPEGRAD_WASM_SLEEF_H
#include <immintrin.h>
#include <math.h>
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

/* f32 vector functions written with SSE2 intrinsics (WebAssembly SIMD128
 * under Emscripten; they also compile natively, where
 * tests/test_playground.c measures their error against the C library):
 * exp, expm1 and tanh, the transcendental functions of the page's
 * training loop. Constants and polynomials after Cephes (S. Moshier,
 * expf.c, tanhf.c); the rest evaluate each lane with the C library. */
static inline __m128 tg__w_sel(__m128 m, __m128 a, __m128 b)
{
    return _mm_or_ps(_mm_and_ps(m, a), _mm_andnot_ps(m, b));
}

/* x rounded to the nearest integer, ties to even (what _mm_cvtps_epi32
 * does in the default rounding mode), for |x| < 2^31. Emscripten 3.1.6
 * spells _mm_cvtps_epi32 as lrint on each lane, which made it the larger
 * part of an exp; SIMD128 has the rounding and the conversion as single
 * instructions. */
static inline __m128i tg__w_round_epi32(__m128 x)
{
#ifdef __wasm_simd128__
    return (__m128i)wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_nearest((v128_t)x));
#else
    return _mm_cvtps_epi32(x);
#endif
}

/* e^x: x = n ln2 + r, |r| <= ln2/2, e^r by Cephes' degree-7 polynomial,
 * 2^n applied in two halves so that neither leaves the normal range */
static inline __m128 Sleef_expf4_u10sse2(__m128 x)
{
    const __m128 hi = _mm_set1_ps(88.7228394f), lo = _mm_set1_ps(-104.0f);
    __m128 xc = _mm_min_ps(_mm_max_ps(x, lo), hi);
    __m128i n = tg__w_round_epi32(_mm_mul_ps(xc, _mm_set1_ps(1.44269504088896341f)));
    __m128 nf = _mm_cvtepi32_ps(n);
    __m128 r = _mm_sub_ps(xc, _mm_mul_ps(nf, _mm_set1_ps(0.693359375f)));
    r = _mm_sub_ps(r, _mm_mul_ps(nf, _mm_set1_ps(-2.12194440e-4f)));
    __m128 p = _mm_set1_ps(1.9875691500e-4f);
    p = _mm_add_ps(_mm_mul_ps(p, r), _mm_set1_ps(1.3981999507e-3f));
    p = _mm_add_ps(_mm_mul_ps(p, r), _mm_set1_ps(8.3334519073e-3f));
    p = _mm_add_ps(_mm_mul_ps(p, r), _mm_set1_ps(4.1665795894e-2f));
    p = _mm_add_ps(_mm_mul_ps(p, r), _mm_set1_ps(1.6666665459e-1f));
    p = _mm_add_ps(_mm_mul_ps(p, r), _mm_set1_ps(5.0000001201e-1f));
    p = _mm_add_ps(_mm_add_ps(_mm_mul_ps(_mm_mul_ps(p, r), r), r), _mm_set1_ps(1.0f));
    __m128i n1 = _mm_srai_epi32(n, 1), n2 = _mm_sub_epi32(n, n1);
    __m128 s1 = _mm_castsi128_ps(_mm_slli_epi32(_mm_add_epi32(n1, _mm_set1_epi32(127)), 23));
    __m128 s2 = _mm_castsi128_ps(_mm_slli_epi32(_mm_add_epi32(n2, _mm_set1_epi32(127)), 23));
    __m128 y = _mm_mul_ps(_mm_mul_ps(p, s1), s2);
    y = tg__w_sel(_mm_cmpgt_ps(x, hi), _mm_set1_ps(__builtin_inff()), y);
    return tg__w_sel(_mm_cmpunord_ps(x, x), x, y); /* NaN stays NaN */
}

/* e^x - 1: the Taylor series to x^8 where |x| < 0.5 (no cancellation;
 * truncation below 1e-8 relative), e^x - 1 elsewhere */
static inline __m128 Sleef_expm1f4_u10sse2(__m128 x)
{
    __m128 p = _mm_set1_ps(1.0f / 40320);
    p = _mm_add_ps(_mm_mul_ps(p, x), _mm_set1_ps(1.0f / 5040));
    p = _mm_add_ps(_mm_mul_ps(p, x), _mm_set1_ps(1.0f / 720));
    p = _mm_add_ps(_mm_mul_ps(p, x), _mm_set1_ps(1.0f / 120));
    p = _mm_add_ps(_mm_mul_ps(p, x), _mm_set1_ps(1.0f / 24));
    p = _mm_add_ps(_mm_mul_ps(p, x), _mm_set1_ps(1.0f / 6));
    p = _mm_add_ps(_mm_mul_ps(p, x), _mm_set1_ps(0.5f));
    p = _mm_add_ps(_mm_mul_ps(_mm_mul_ps(p, x), x), x);
    __m128 big = _mm_sub_ps(Sleef_expf4_u10sse2(x), _mm_set1_ps(1.0f));
    __m128 small = _mm_cmplt_ps(_mm_andnot_ps(_mm_set1_ps(-0.0f), x), _mm_set1_ps(0.5f));
    return tg__w_sel(small, p, big);
}

/* tanh x: Cephes' odd polynomial where |x| < 0.625, else
 * sign(x) (1 - 2 / (e^{2|x|} + 1)), which is >= 0.55 there (no
 * cancellation) and reaches 1 as e^{2|x|} overflows */
static inline __m128 Sleef_tanhf4_u10sse2(__m128 x)
{
    const __m128 sign = _mm_set1_ps(-0.0f);
    __m128 a = _mm_andnot_ps(sign, x), z = _mm_mul_ps(x, x);
    __m128 p = _mm_set1_ps(-5.70498872745e-3f);
    p = _mm_add_ps(_mm_mul_ps(p, z), _mm_set1_ps(2.06390887954e-2f));
    p = _mm_add_ps(_mm_mul_ps(p, z), _mm_set1_ps(-5.37397155531e-2f));
    p = _mm_add_ps(_mm_mul_ps(p, z), _mm_set1_ps(1.33314422036e-1f));
    p = _mm_add_ps(_mm_mul_ps(p, z), _mm_set1_ps(-3.33332819422e-1f));
    p = _mm_add_ps(_mm_mul_ps(_mm_mul_ps(p, z), x), x);
    __m128 e = Sleef_expf4_u10sse2(_mm_add_ps(a, a));
    __m128 t = _mm_sub_ps(_mm_set1_ps(1.0f),
                          _mm_div_ps(_mm_set1_ps(2.0f), _mm_add_ps(e, _mm_set1_ps(1.0f))));
    t = _mm_or_ps(t, _mm_and_ps(x, sign));
    return tg__w_sel(_mm_cmplt_ps(a, _mm_set1_ps(0.625f)), p, t);
}

#define TG__SLEEF1(fn, acc)                                                  \
    static inline __m128 Sleef_##fn##f4_##acc##sse2(__m128 v)                \
    {                                                                        \
        float x[4];                                                          \
        _mm_storeu_ps(x, v);                                                 \
        for (int i = 0; i < 4; i++) x[i] = fn##f(x[i]);                      \
        return _mm_loadu_ps(x);                                              \
    }                                                                        \
    TG__SLEEF1_D(fn, acc)
#define TG__SLEEF1_D(fn, acc)                                                \
    static inline __m128d Sleef_##fn##d2_##acc##sse2(__m128d v)              \
    {                                                                        \
        double x[2];                                                         \
        _mm_storeu_pd(x, v);                                                 \
        for (int i = 0; i < 2; i++) x[i] = fn(x[i]);                         \
        return _mm_loadu_pd(x);                                              \
    }
#define TG__SLEEF2(fn, acc)                                                  \
    static inline __m128 Sleef_##fn##f4_##acc##sse2(__m128 a, __m128 b)      \
    {                                                                        \
        float x[4], y[4];                                                    \
        _mm_storeu_ps(x, a);                                                 \
        _mm_storeu_ps(y, b);                                                 \
        for (int i = 0; i < 4; i++) x[i] = fn##f(x[i], y[i]);                \
        return _mm_loadu_ps(x);                                              \
    }                                                                        \
    static inline __m128d Sleef_##fn##d2_##acc##sse2(__m128d a, __m128d b)   \
    {                                                                        \
        double x[2], y[2];                                                   \
        _mm_storeu_pd(x, a);                                                 \
        _mm_storeu_pd(y, b);                                                 \
        for (int i = 0; i < 2; i++) x[i] = fn(x[i], y[i]);                   \
        return _mm_loadu_pd(x);                                              \
    }

TG__SLEEF1_D(exp, u10)
TG__SLEEF1(log, u10)
TG__SLEEF1(log1p, u10)
TG__SLEEF1_D(expm1, u10)
TG__SLEEF1(sin, u10)
TG__SLEEF1(cos, u10)
TG__SLEEF1(tan, u10)
TG__SLEEF1(erf, u10)
TG__SLEEF1(erfc, u15)
TG__SLEEF1_D(tanh, u10)
TG__SLEEF1(sinh, u10)
TG__SLEEF1(cosh, u10)
TG__SLEEF1(exp2, u10)
TG__SLEEF1(log2, u10)
TG__SLEEF1(cbrt, u10)
TG__SLEEF1(atan, u10)
TG__SLEEF1(asin, u10)
TG__SLEEF1(acos, u10)
TG__SLEEF1(asinh, u10)
TG__SLEEF1(acosh, u10)
TG__SLEEF1(atanh, u10)
TG__SLEEF1(log10, u10)
TG__SLEEF1(floor, )
TG__SLEEF1(ceil, )
TG__SLEEF1(trunc, )
TG__SLEEF1(rint, )
TG__SLEEF2(pow, u10)
TG__SLEEF2(atan2, u10)
TG__SLEEF2(hypot, u05)
TG__SLEEF2(fmod, )

#endif
