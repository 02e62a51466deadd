/* Row kernels of the softmax family (ops/softmax.c, ops/loss.c) and the
 * outer product of ops/gemm.c: scalar references (`_ref`) and, in the
 * kernel units, their vector versions (`k_*`, the entries of the kernel units).
 *
 * row_max: max over one contiguous row. row_expsum: sum of exp(x - m),
 * storing each term in y unless y is NULL; vector lanes hold partial sums,
 * the lanes and the tail are added in double, and the tail is padded to
 * one more vector (rows are often shorter than a vector: 10 classes), so
 * every element gets SLEEF's vector exp (1.0 ulp). Callers parallelise
 * over rows; these run on one thread.
 * outer: C[M,N] = a b^T + beta C (a: M values, b: N values); with
 * beta == 0, C may hold garbage and is never read. It is a pure store
 * stream (the weight gradient of a batch-1 linear layer), and the
 * baseline build's compiler-vectorized loop issued 16-byte stores, twice
 * the time of a memset of the same bytes. */
#ifndef TAPEGRAD_KERN_ROWS_H
#define TAPEGRAD_KERN_ROWS_H

#include <math.h>
#include <stdint.h>
#include <string.h>

static inline float row_max_ref_f32(int64_t n, const float *x)
{
    float m = -INFINITY;
    for (int64_t i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
    return m;
}
static inline double row_max_ref_f64(int64_t n, const double *x)
{
    double m = -INFINITY;
    for (int64_t i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
    return m;
}
static inline double row_expsum_ref_f32(int64_t n, float *y, const float *x, float m)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++) {
        float e = expf(x[i] - m);
        if (y) y[i] = e;
        s += e;
    }
    return s;
}
static inline double row_expsum_ref_f64(int64_t n, double *y, const double *x, double m)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++) {
        double e = exp(x[i] - m);
        if (y) y[i] = e;
        s += e;
    }
    return s;
}
static inline void outer_ref_f32(int64_t M, int64_t N, const float *a,
                                 const float *b, float beta, float *C)
{
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++)
            C[i * N + j] = beta == 0 ? a[i] * b[j] : beta * C[i * N + j] + a[i] * b[j];
}
static inline void outer_ref_f64(int64_t M, int64_t N, const double *a,
                                 const double *b, double beta, double *C)
{
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++)
            C[i * N + j] = beta == 0 ? a[i] * b[j] : beta * C[i * N + j] + a[i] * b[j];
}

#ifdef TG_SIMD_LEVEL
static float k_row_max_f32(int64_t n, const float *restrict x)
{
    float m = -INFINITY;
    int64_t i = 0;
    if (n >= TG_NF) {
        vf vm = vf_load(x);
        for (i = TG_NF; i + TG_NF <= n; i += TG_NF) vm = vf_max(vm, vf_load(x + i));
        float t[TG_NF];
        vf_store(t, vm);
        for (int k = 0; k < TG_NF; k++) m = t[k] > m ? t[k] : m;
    }
    for (; i < n; i++) m = x[i] > m ? x[i] : m;
    return m;
}
static double k_row_max_f64(int64_t n, const double *restrict x)
{
    double m = -INFINITY;
    int64_t i = 0;
    if (n >= TG_ND) {
        vd vm = vd_load(x);
        for (i = TG_ND; i + TG_ND <= n; i += TG_ND) vm = vd_max(vm, vd_load(x + i));
        double t[TG_ND];
        vd_store(t, vm);
        for (int k = 0; k < TG_ND; k++) m = t[k] > m ? t[k] : m;
    }
    for (; i < n; i++) m = x[i] > m ? x[i] : m;
    return m;
}
static double k_row_expsum_f32(int64_t n, float *restrict y, const float *restrict x, float m)
{
    vf vm = vf_set1(m), acc = vf_zero();
    int64_t i = 0;
    for (; i + TG_NF <= n; i += TG_NF) {
        vf e = vf_exp(vf_sub(vf_load(x + i), vm));
        if (y) vf_store(y + i, e);
        acc = vf_add(acc, e);
    }
    float t[TG_NF];
    vf_store(t, acc);
    double s = 0;
    for (int k = 0; k < TG_NF; k++) s += t[k];
    if (i < n) { /* the tail as one padded vector: scalar exp is slow */
        int64_t r = n - i;
        for (int k = 0; k < TG_NF; k++) t[k] = k < r ? x[i + k] : m;
        vf_store(t, vf_exp(vf_sub(vf_load(t), vm)));
        for (int64_t k = 0; k < r; k++) {
            if (y) y[i + k] = t[k];
            s += t[k];
        }
    }
    return s;
}
static double k_row_expsum_f64(int64_t n, double *restrict y, const double *restrict x, double m)
{
    vd vm = vd_set1(m), acc = vd_zero();
    int64_t i = 0;
    for (; i + TG_ND <= n; i += TG_ND) {
        vd e = vd_exp(vd_sub(vd_load(x + i), vm));
        if (y) vd_store(y + i, e);
        acc = vd_add(acc, e);
    }
    double t[TG_ND];
    vd_store(t, acc);
    double s = 0;
    for (int k = 0; k < TG_ND; k++) s += t[k];
    if (i < n) {
        int64_t r = n - i;
        for (int k = 0; k < TG_ND; k++) t[k] = k < r ? x[i + k] : m;
        vd_store(t, vd_exp(vd_sub(vd_load(t), vm)));
        for (int64_t k = 0; k < r; k++) {
            if (y) y[i + k] = t[k];
            s += t[k];
        }
    }
    return s;
}
static void k_outer_f32(int64_t M, int64_t N, const float *a, const float *b,
                          float beta, float *C)
{
    for (int64_t i = 0; i < M; i++) {
        const float ai = a[i];
        float *restrict c = C + i * N;
        vf av = vf_set1(ai);
        int64_t j = 0;
        if (beta == 0) {
            for (; j + TG_NF <= N; j += TG_NF) vf_store(c + j, vf_mul(av, vf_load(b + j)));
            for (; j < N; j++) c[j] = ai * b[j];
        } else {
            vf bv = vf_set1(beta);
            for (; j + TG_NF <= N; j += TG_NF)
                vf_store(c + j, vf_add(vf_mul(bv, vf_load(c + j)), vf_mul(av, vf_load(b + j))));
            for (; j < N; j++) c[j] = beta * c[j] + ai * b[j];
        }
    }
}
static void k_outer_f64(int64_t M, int64_t N, const double *a, const double *b,
                          double beta, double *C)
{
    for (int64_t i = 0; i < M; i++) {
        const double ai = a[i];
        double *restrict c = C + i * N;
        vd av = vd_set1(ai);
        int64_t j = 0;
        if (beta == 0) {
            for (; j + TG_ND <= N; j += TG_ND) vd_store(c + j, vd_mul(av, vd_load(b + j)));
            for (; j < N; j++) c[j] = ai * b[j];
        } else {
            vd bv = vd_set1(beta);
            for (; j + TG_ND <= N; j += TG_ND)
                vd_store(c + j, vd_add(vd_mul(bv, vd_load(c + j)), vd_mul(av, vd_load(b + j))));
            for (; j < N; j++) c[j] = beta * c[j] + ai * b[j];
        }
    }
}
#endif

#endif
