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
 * the time of a memset of the same bytes.
 * vecmat: y[N] = x[K] W[K,N] + beta y, W's rows ldw apart (a batch-1
 * linear layer's forward product). Columns in panels of up to 16
 * vectors, each panel's sums held in registers while W's rows stream
 * past once, with a prefetch two rows ahead: the product is a single
 * read of W, so its time is the time to read W (docs/benchmarks.md,
 * "Batch 1: matrix-vector products through the kernel set", has the
 * comparison with oneDNN's matrix-vector code). Each y[j] is summed over
 * k in order.
 * matvec: y[M] = W[M,K] x[K] + beta y, W's rows ldw apart (the input
 * gradient of that layer): four rows at a time, each a dot product in
 * two vector sums (alternate vectors of the row: eight independent
 * chains of multiply-adds), whose lanes are added pairwise at the end,
 * tail in order.
 * For both, beta == 0 means y is only written. */
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

static inline void vecmat_ref_f32(int64_t K, int64_t N, float *y, const float *x,
                                  const float *W, int64_t ldw, float beta)
{
    for (int64_t j = 0; j < N; j++) {
        float s = 0;
        for (int64_t k = 0; k < K; k++) s += x[k] * W[k * ldw + j];
        y[j] = beta == 0 ? s : beta * y[j] + s;
    }
}
static inline void vecmat_ref_f64(int64_t K, int64_t N, double *y, const double *x,
                                  const double *W, int64_t ldw, double beta)
{
    for (int64_t j = 0; j < N; j++) {
        double s = 0;
        for (int64_t k = 0; k < K; k++) s += x[k] * W[k * ldw + j];
        y[j] = beta == 0 ? s : beta * y[j] + s;
    }
}
static inline void matvec_ref_f32(int64_t M, int64_t K, float *y, const float *W,
                                  int64_t ldw, const float *x, float beta)
{
    for (int64_t i = 0; i < M; i++) {
        float s = 0;
        for (int64_t k = 0; k < K; k++) s += W[i * ldw + k] * x[k];
        y[i] = beta == 0 ? s : beta * y[i] + s;
    }
}
static inline void matvec_ref_f64(int64_t M, int64_t K, double *y, const double *W,
                                  int64_t ldw, const double *x, double beta)
{
    for (int64_t i = 0; i < M; i++) {
        double s = 0;
        for (int64_t k = 0; k < K; k++) s += W[i * ldw + k] * x[k];
        y[i] = beta == 0 ? s : beta * y[i] + s;
    }
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
/* vecmat's panel of NV vectors at columns [0, NV vectors) of y and W:
 * the sums stay in registers over all K rows (the loops have constant
 * bounds and unroll); the panel's part of the row two ahead is
 * prefetched (prefetches do not fault past the end of W). */
#define VECMAT_PANEL(T, V, NL, NAME, NV)                                      \
    static inline void NAME(int64_t K, T *y, const T *x, const T *W,          \
                            int64_t ldw, T beta)                              \
    {                                                                         \
        V a[NV];                                                              \
        _Pragma("GCC unroll 16")                                              \
        for (int q = 0; q < NV; q++) a[q] = V##_zero();                       \
        for (int64_t k = 0; k < K; k++) {                                     \
            const T *w = W + k * ldw;                                         \
            V xv = V##_set1(x[k]);                                            \
            _Pragma("GCC unroll 16")                                          \
            for (int o = 0; o < NV * NL; o += 64 / (int)sizeof(T))            \
                __builtin_prefetch(w + 2 * ldw + o, 0, 3);                    \
            _Pragma("GCC unroll 16")                                          \
            for (int q = 0; q < NV; q++)                                      \
                a[q] = V##_fma(xv, V##_load(w + q * NL), a[q]);               \
        }                                                                     \
        if (beta == 0) {                                                      \
            _Pragma("GCC unroll 16")                                          \
            for (int q = 0; q < NV; q++) V##_store(y + q * NL, a[q]);         \
        } else {                                                              \
            V b = V##_set1(beta);                                             \
            _Pragma("GCC unroll 16")                                          \
            for (int q = 0; q < NV; q++)                                      \
                V##_store(y + q * NL, V##_fma(b, V##_load(y + q * NL), a[q])); \
        }                                                                     \
    }
VECMAT_PANEL(float, vf, TG_NF, vecmat16_f32, 16)
VECMAT_PANEL(float, vf, TG_NF, vecmat4_f32, 4)
VECMAT_PANEL(float, vf, TG_NF, vecmat1_f32, 1)
VECMAT_PANEL(double, vd, TG_ND, vecmat16_f64, 16)
VECMAT_PANEL(double, vd, TG_ND, vecmat4_f64, 4)
VECMAT_PANEL(double, vd, TG_ND, vecmat1_f64, 1)
#undef VECMAT_PANEL

/* the last r < one vector of columns: the sums in a small array, rows
 * in order (a column-by-column loop would stride through W once per
 * column; the 10 outputs of the benchmark MLP's last layer are all tail
 * in AVX-512) */
#define VECMAT_TAIL(T, NL, NAME)                                              \
    static inline void NAME(int64_t K, int64_t r, T *y, const T *x,           \
                            const T *W, int64_t ldw, T beta)                  \
    {                                                                         \
        T s[NL] = {0};                                                        \
        for (int64_t k = 0; k < K; k++)                                       \
            for (int64_t j = 0; j < r; j++) s[j] += x[k] * W[k * ldw + j];    \
        for (int64_t j = 0; j < r; j++)                                       \
            y[j] = beta == 0 ? s[j] : beta * y[j] + s[j];                     \
    }
VECMAT_TAIL(float, TG_NF, vecmat_tail_f32)
VECMAT_TAIL(double, TG_ND, vecmat_tail_f64)
#undef VECMAT_TAIL

/* panels of 16 vectors, then of 4 and of 1, then the last columns */
static void k_vecmat_f32(int64_t K, int64_t N, float *y, const float *x,
                         const float *W, int64_t ldw, float beta)
{
    int64_t j = 0;
    for (; j + 16 * TG_NF <= N; j += 16 * TG_NF) vecmat16_f32(K, y + j, x, W + j, ldw, beta);
    for (; j + 4 * TG_NF <= N; j += 4 * TG_NF) vecmat4_f32(K, y + j, x, W + j, ldw, beta);
    for (; j + TG_NF <= N; j += TG_NF) vecmat1_f32(K, y + j, x, W + j, ldw, beta);
    if (j < N) vecmat_tail_f32(K, N - j, y + j, x, W + j, ldw, beta);
}
static void k_vecmat_f64(int64_t K, int64_t N, double *y, const double *x,
                         const double *W, int64_t ldw, double beta)
{
    int64_t j = 0;
    for (; j + 16 * TG_ND <= N; j += 16 * TG_ND) vecmat16_f64(K, y + j, x, W + j, ldw, beta);
    for (; j + 4 * TG_ND <= N; j += 4 * TG_ND) vecmat4_f64(K, y + j, x, W + j, ldw, beta);
    for (; j + TG_ND <= N; j += TG_ND) vecmat1_f64(K, y + j, x, W + j, ldw, beta);
    if (j < N) vecmat_tail_f64(K, N - j, y + j, x, W + j, ldw, beta);
}

/* the lanes of v added pairwise */
static inline float lanesum_f32(vf v)
{
    float t[TG_NF];
    vf_store(t, v);
    for (int h = TG_NF / 2; h > 0; h /= 2)
        for (int l = 0; l < h; l++) t[l] += t[l + h];
    return t[0];
}
static inline double lanesum_f64(vd v)
{
    double t[TG_ND];
    vd_store(t, v);
    for (int h = TG_ND / 2; h > 0; h /= 2)
        for (int l = 0; l < h; l++) t[l] += t[l + h];
    return t[0];
}

/* four rows at a time: four dot products, lanes then tail (above) */
#define MATVEC(T, V, NL, NAME, REF, LANESUM)                                  \
    static void NAME(int64_t M, int64_t K, T *y, const T *W, int64_t ldw,     \
                     const T *x, T beta)                                      \
    {                                                                         \
        int64_t i = 0;                                                        \
        for (; i + 4 <= M; i += 4) {                                          \
            const T *w0 = W + i * ldw, *w1 = w0 + ldw, *w2 = w1 + ldw,        \
                    *w3 = w2 + ldw;                                           \
            V a0 = V##_zero(), a1 = a0, a2 = a0, a3 = a0;                     \
            V b0 = a0, b1 = a0, b2 = a0, b3 = a0;                             \
            int64_t k = 0;                                                    \
            for (; k + 2 * NL <= K; k += 2 * NL) {                            \
                V xv = V##_load(x + k), xu = V##_load(x + k + NL);            \
                a0 = V##_fma(V##_load(w0 + k), xv, a0);                       \
                a1 = V##_fma(V##_load(w1 + k), xv, a1);                       \
                a2 = V##_fma(V##_load(w2 + k), xv, a2);                       \
                a3 = V##_fma(V##_load(w3 + k), xv, a3);                       \
                b0 = V##_fma(V##_load(w0 + k + NL), xu, b0);                  \
                b1 = V##_fma(V##_load(w1 + k + NL), xu, b1);                  \
                b2 = V##_fma(V##_load(w2 + k + NL), xu, b2);                  \
                b3 = V##_fma(V##_load(w3 + k + NL), xu, b3);                  \
            }                                                                 \
            if (k + NL <= K) {                                                \
                V xv = V##_load(x + k);                                       \
                a0 = V##_fma(V##_load(w0 + k), xv, a0);                       \
                a1 = V##_fma(V##_load(w1 + k), xv, a1);                       \
                a2 = V##_fma(V##_load(w2 + k), xv, a2);                       \
                a3 = V##_fma(V##_load(w3 + k), xv, a3);                       \
                k += NL;                                                      \
            }                                                                 \
            a0 = V##_add(a0, b0), a1 = V##_add(a1, b1);                       \
            a2 = V##_add(a2, b2), a3 = V##_add(a3, b3);                       \
            T s[4] = {LANESUM(a0), LANESUM(a1), LANESUM(a2), LANESUM(a3)};    \
            for (; k < K; k++) {                                              \
                s[0] += w0[k] * x[k];                                         \
                s[1] += w1[k] * x[k];                                         \
                s[2] += w2[k] * x[k];                                         \
                s[3] += w3[k] * x[k];                                         \
            }                                                                 \
            for (int r = 0; r < 4; r++)                                       \
                y[i + r] = beta == 0 ? s[r] : beta * y[i + r] + s[r];         \
        }                                                                     \
        if (i < M) REF(M - i, K, y + i, W + i * ldw, ldw, x, beta);           \
    }
MATVEC(float, vf, TG_NF, k_matvec_f32, matvec_ref_f32, lanesum_f32)
MATVEC(double, vd, TG_ND, k_matvec_f64, matvec_ref_f64, lanesum_f64)
#undef MATVEC
#endif

#endif
