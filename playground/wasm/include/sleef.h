/* The SLEEF vector functions the kernels call, for the WebAssembly build:
 * the SSE2 entry points (4 floats, 2 doubles: WebAssembly SIMD128 vectors)
 * evaluate each lane with the C library's function of the same name
 * (musl's, correctly rounded or within 1 ulp like SLEEF's u10 variants).
 * The AVX2 and AVX-512 names resolve to the same functions; those kernels
 * are compiled but never selected (see immintrin.h here). */
#ifndef TAPEGRAD_WASM_SLEEF_H
#define TAPEGRAD_WASM_SLEEF_H
#include <immintrin.h>
#include <math.h>

#define TG__SLEEF1(fn, acc)                                                  \
    static inline __m128 Sleef_##fn##f4_##acc##sse2(__m128 v)                \
    {                                                                        \
        float x[4];                                                          \
        _mm_storeu_ps(x, v);                                                 \
        for (int i = 0; i < 4; i++) x[i] = fn##f(x[i]);                      \
        return _mm_loadu_ps(x);                                              \
    }                                                                        \
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

TG__SLEEF1(exp, u10)
TG__SLEEF1(log, u10)
TG__SLEEF1(log1p, u10)
TG__SLEEF1(expm1, u10)
TG__SLEEF1(sin, u10)
TG__SLEEF1(cos, u10)
TG__SLEEF1(tan, u10)
TG__SLEEF1(erf, u10)
TG__SLEEF1(erfc, u15)
TG__SLEEF1(tanh, u10)
TG__SLEEF1(sinh, u10)
TG__SLEEF1(cosh, u10)
TG__SLEEF1(exp2, u10)
TG__SLEEF1(log2, u10)
TG__SLEEF1(cbrt, u10)
TG__SLEEF1(atan, u10)
TG__SLEEF1(asin, u10)
TG__SLEEF1(acos, u10)
TG__SLEEF2(pow, u10)
TG__SLEEF2(atan2, u10)
TG__SLEEF2(fmod, )

/* the wider names: same functions (never selected, see above) */
#define Sleef_expf8_u10avx2 Sleef_expf4_u10sse2
#define Sleef_expd4_u10avx2 Sleef_expd2_u10sse2
#define Sleef_expf16_u10avx512f Sleef_expf4_u10sse2
#define Sleef_expd8_u10avx512f Sleef_expd2_u10sse2
#define Sleef_logf8_u10avx2 Sleef_logf4_u10sse2
#define Sleef_logd4_u10avx2 Sleef_logd2_u10sse2
#define Sleef_logf16_u10avx512f Sleef_logf4_u10sse2
#define Sleef_logd8_u10avx512f Sleef_logd2_u10sse2
#define Sleef_log1pf8_u10avx2 Sleef_log1pf4_u10sse2
#define Sleef_log1pd4_u10avx2 Sleef_log1pd2_u10sse2
#define Sleef_log1pf16_u10avx512f Sleef_log1pf4_u10sse2
#define Sleef_log1pd8_u10avx512f Sleef_log1pd2_u10sse2
#define Sleef_expm1f8_u10avx2 Sleef_expm1f4_u10sse2
#define Sleef_expm1d4_u10avx2 Sleef_expm1d2_u10sse2
#define Sleef_expm1f16_u10avx512f Sleef_expm1f4_u10sse2
#define Sleef_expm1d8_u10avx512f Sleef_expm1d2_u10sse2
#define Sleef_sinf8_u10avx2 Sleef_sinf4_u10sse2
#define Sleef_sind4_u10avx2 Sleef_sind2_u10sse2
#define Sleef_sinf16_u10avx512f Sleef_sinf4_u10sse2
#define Sleef_sind8_u10avx512f Sleef_sind2_u10sse2
#define Sleef_cosf8_u10avx2 Sleef_cosf4_u10sse2
#define Sleef_cosd4_u10avx2 Sleef_cosd2_u10sse2
#define Sleef_cosf16_u10avx512f Sleef_cosf4_u10sse2
#define Sleef_cosd8_u10avx512f Sleef_cosd2_u10sse2
#define Sleef_tanf8_u10avx2 Sleef_tanf4_u10sse2
#define Sleef_tand4_u10avx2 Sleef_tand2_u10sse2
#define Sleef_tanf16_u10avx512f Sleef_tanf4_u10sse2
#define Sleef_tand8_u10avx512f Sleef_tand2_u10sse2
#define Sleef_erff8_u10avx2 Sleef_erff4_u10sse2
#define Sleef_erfd4_u10avx2 Sleef_erfd2_u10sse2
#define Sleef_erff16_u10avx512f Sleef_erff4_u10sse2
#define Sleef_erfd8_u10avx512f Sleef_erfd2_u10sse2
#define Sleef_erfcf8_u15avx2 Sleef_erfcf4_u15sse2
#define Sleef_erfcd4_u15avx2 Sleef_erfcd2_u15sse2
#define Sleef_erfcf16_u15avx512f Sleef_erfcf4_u15sse2
#define Sleef_erfcd8_u15avx512f Sleef_erfcd2_u15sse2
#define Sleef_tanhf8_u10avx2 Sleef_tanhf4_u10sse2
#define Sleef_tanhd4_u10avx2 Sleef_tanhd2_u10sse2
#define Sleef_tanhf16_u10avx512f Sleef_tanhf4_u10sse2
#define Sleef_tanhd8_u10avx512f Sleef_tanhd2_u10sse2
#define Sleef_sinhf8_u10avx2 Sleef_sinhf4_u10sse2
#define Sleef_sinhd4_u10avx2 Sleef_sinhd2_u10sse2
#define Sleef_sinhf16_u10avx512f Sleef_sinhf4_u10sse2
#define Sleef_sinhd8_u10avx512f Sleef_sinhd2_u10sse2
#define Sleef_coshf8_u10avx2 Sleef_coshf4_u10sse2
#define Sleef_coshd4_u10avx2 Sleef_coshd2_u10sse2
#define Sleef_coshf16_u10avx512f Sleef_coshf4_u10sse2
#define Sleef_coshd8_u10avx512f Sleef_coshd2_u10sse2
#define Sleef_exp2f8_u10avx2 Sleef_exp2f4_u10sse2
#define Sleef_exp2d4_u10avx2 Sleef_exp2d2_u10sse2
#define Sleef_exp2f16_u10avx512f Sleef_exp2f4_u10sse2
#define Sleef_exp2d8_u10avx512f Sleef_exp2d2_u10sse2
#define Sleef_log2f8_u10avx2 Sleef_log2f4_u10sse2
#define Sleef_log2d4_u10avx2 Sleef_log2d2_u10sse2
#define Sleef_log2f16_u10avx512f Sleef_log2f4_u10sse2
#define Sleef_log2d8_u10avx512f Sleef_log2d2_u10sse2
#define Sleef_cbrtf8_u10avx2 Sleef_cbrtf4_u10sse2
#define Sleef_cbrtd4_u10avx2 Sleef_cbrtd2_u10sse2
#define Sleef_cbrtf16_u10avx512f Sleef_cbrtf4_u10sse2
#define Sleef_cbrtd8_u10avx512f Sleef_cbrtd2_u10sse2
#define Sleef_atanf8_u10avx2 Sleef_atanf4_u10sse2
#define Sleef_atand4_u10avx2 Sleef_atand2_u10sse2
#define Sleef_atanf16_u10avx512f Sleef_atanf4_u10sse2
#define Sleef_atand8_u10avx512f Sleef_atand2_u10sse2
#define Sleef_asinf8_u10avx2 Sleef_asinf4_u10sse2
#define Sleef_asind4_u10avx2 Sleef_asind2_u10sse2
#define Sleef_asinf16_u10avx512f Sleef_asinf4_u10sse2
#define Sleef_asind8_u10avx512f Sleef_asind2_u10sse2
#define Sleef_acosf8_u10avx2 Sleef_acosf4_u10sse2
#define Sleef_acosd4_u10avx2 Sleef_acosd2_u10sse2
#define Sleef_acosf16_u10avx512f Sleef_acosf4_u10sse2
#define Sleef_acosd8_u10avx512f Sleef_acosd2_u10sse2
#define Sleef_powf8_u10avx2 Sleef_powf4_u10sse2
#define Sleef_powd4_u10avx2 Sleef_powd2_u10sse2
#define Sleef_powf16_u10avx512f Sleef_powf4_u10sse2
#define Sleef_powd8_u10avx512f Sleef_powd2_u10sse2
#define Sleef_atan2f8_u10avx2 Sleef_atan2f4_u10sse2
#define Sleef_atan2d4_u10avx2 Sleef_atan2d2_u10sse2
#define Sleef_atan2f16_u10avx512f Sleef_atan2f4_u10sse2
#define Sleef_atan2d8_u10avx512f Sleef_atan2d2_u10sse2
#define Sleef_fmodf8_avx2 Sleef_fmodf4_sse2
#define Sleef_fmodd4_avx2 Sleef_fmodd2_sse2
#define Sleef_fmodf16_avx512f Sleef_fmodf4_sse2
#define Sleef_fmodd8_avx512f Sleef_fmodd2_sse2
#endif
