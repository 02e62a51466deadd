/* Row kernels of the softmax family: max and sum of exp(x - m) over one
 * contiguous row, SLEEF vector exp (1.0 ulp) per ISA; the tail is padded to
 * one more vector (rows are often shorter than a vector: 10 classes).
 * Callers parallelise over rows; these run on one thread. */
#include "ops/array.h"
#include "ops/simd.h"

#include <math.h>

#define ROWMAX(NAME, I, T, VT, NL, LOAD, MAX)                               \
    TG_TARGET_##I static T NAME##_##I(int64_t n, const T *restrict x)       \
    {                                                                       \
        T m = -INFINITY;                                                    \
        int64_t i = 0;                                                      \
        if (n >= NL) {                                                      \
            VT vm = LOAD(I, x);                                             \
            for (i = NL; i + NL <= n; i += NL)                              \
                vm = MAX(I, vm, LOAD(I, x + i));                            \
            T t[NL];                                                        \
            memcpy(t, &vm, sizeof t);                                       \
            for (int k = 0; k < NL; k++) m = t[k] > m ? t[k] : m;           \
        }                                                                   \
        for (; i < n; i++) m = x[i] > m ? x[i] : m;                         \
        return m;                                                           \
    }

/* Sum exp(x - m), optionally storing each term in y. Vector lanes hold
 * partial sums; the lanes and the tail are added in double. */
#define ROWEXP(NAME, I, T, VT, NL, LOAD, STORE, SET1, SUB, ADD, VEXP)       \
    TG_TARGET_##I static double NAME##_##I(int64_t n, T *restrict y,        \
                                           const T *restrict x, T m)        \
    {                                                                       \
        VT vm = SET1(I, m), acc = SET1(I, 0);                               \
        int64_t i = 0;                                                      \
        for (; i + NL <= n; i += NL) {                                      \
            VT e = VEXP(SUB(I, LOAD(I, x + i), vm));                        \
            if (y) STORE(I, y + i, e);                                      \
            acc = ADD(I, acc, e);                                           \
        }                                                                   \
        T t[NL];                                                            \
        memcpy(t, &acc, sizeof t);                                          \
        double s = 0;                                                       \
        for (int k = 0; k < NL; k++) s += t[k];                             \
        if (i < n) { /* the tail as one padded vector: scalar exp is slow */ \
            int64_t r = n - i;                                              \
            for (int k = 0; k < NL; k++) t[k] = k < r ? x[i + k] : m;       \
            VT e = VEXP(SUB(I, LOAD(I, t), vm));                            \
            memcpy(t, &e, sizeof t);                                        \
            for (int64_t k = 0; k < r; k++) {                               \
                if (y) y[i + k] = t[k];                                     \
                s += t[k];                                                  \
            }                                                               \
        }                                                                   \
        return s;                                                           \
    }

#define VEXPF_sse2(v) TG_SLEEF_F(sse2, exp, u10)(v)
#define VEXPF_avx2(v) TG_SLEEF_F(avx2, exp, u10)(v)
#define VEXPF_avx512(v) TG_SLEEF_F(avx512, exp, u10)(v)
#define VEXPD_sse2(v) TG_SLEEF_D(sse2, exp, u10)(v)
#define VEXPD_avx2(v) TG_SLEEF_D(avx2, exp, u10)(v)
#define VEXPD_avx512(v) TG_SLEEF_D(avx512, exp, u10)(v)

#define INSTANTIATE(I)                                                      \
    ROWMAX(rmaxf, I, float, TG_VF(I), TG_NF(I), TG_LOADF, TG_MAXF)          \
    ROWMAX(rmaxd, I, double, TG_VD(I), TG_ND(I), TG_LOADD, TG_MAXD)         \
    ROWEXP(rexpf, I, float, TG_VF(I), TG_NF(I), TG_LOADF, TG_STOREF,        \
           TG_SET1F, TG_SUBF, TG_ADDF, VEXPF_##I)                           \
    ROWEXP(rexpd, I, double, TG_VD(I), TG_ND(I), TG_LOADD, TG_STORED,       \
           TG_SET1D, TG_SUBD, TG_ADDD, VEXPD_##I)

INSTANTIATE(sse2)
INSTANTIATE(avx2)
INSTANTIATE(avx512)

float tg__row_max_f32(int64_t n, const float *x)
{
    static float (*const k[3])(int64_t, const float *) = {
        rmaxf_sse2, rmaxf_avx2, rmaxf_avx512};
    return k[tg__isa()](n, x);
}

double tg__row_max_f64(int64_t n, const double *x)
{
    static double (*const k[3])(int64_t, const double *) = {
        rmaxd_sse2, rmaxd_avx2, rmaxd_avx512};
    return k[tg__isa()](n, x);
}

double tg__row_expsum_f32(int64_t n, float *y, const float *x, float m)
{
    static double (*const k[3])(int64_t, float *, const float *, float) = {
        rexpf_sse2, rexpf_avx2, rexpf_avx512};
    return k[tg__isa()](n, y, x, m);
}

double tg__row_expsum_f64(int64_t n, double *y, const double *x, double m)
{
    static double (*const k[3])(int64_t, double *, const double *, double) = {
        rexpd_sse2, rexpd_avx2, rexpd_avx512};
    return k[tg__isa()](n, y, x, m);
}
