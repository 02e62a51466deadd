/* The engine's matrix product C = op(A) op(B) + beta C (see ops/gemm.h):
 * the CBLAS calls, and the direct kernels for the degenerate shapes that
 * gemm handles poorly. Shared by matmul, linear and their VJPs. */
#include "ops/gemm.h"
#include "ops/simd.h"

#include <cblas.h>

/* Outer product C[M,N] = a b^T + beta C (a: M values, b: N values, both
 * contiguous), one kernel per instruction set like the elementwise ones:
 * it is a pure store stream (the weight gradient of a batch-1 linear
 * layer), and the baseline build's compiler-vectorized loop issued 16-byte
 * stores, twice the time of a memset of the same bytes. With beta == 0, C
 * may hold garbage and is never read. */
#define OUTER_ISA(I, S, T, SFX)                                              \
    TG_TARGET_##I static void outer_##SFX##_##I(int64_t M, int64_t N,        \
                                                const T *a, const T *b,      \
                                                T beta, T *C)                \
    {                                                                        \
        for (int64_t i = 0; i < M; i++) {                                    \
            const T ai = a[i];                                               \
            T *restrict c = C + i * N;                                       \
            TG_V##S(I) av = TG_SET1##S(I, ai);                               \
            int64_t j = 0;                                                   \
            if (beta == 0) {                                                 \
                for (; j + TG_N##S(I) <= N; j += TG_N##S(I))                 \
                    TG_STORE##S(I, c + j,                                    \
                                TG_MUL##S(I, av, TG_LOAD##S(I, b + j)));     \
                for (; j < N; j++) c[j] = ai * b[j];                         \
            } else {                                                         \
                TG_V##S(I) bv = TG_SET1##S(I, beta);                         \
                for (; j + TG_N##S(I) <= N; j += TG_N##S(I))                 \
                    TG_STORE##S(I, c + j,                                    \
                                TG_ADD##S(I,                                 \
                                          TG_MUL##S(I, bv,                   \
                                                    TG_LOAD##S(I, c + j)),   \
                                          TG_MUL##S(I, av,                   \
                                                    TG_LOAD##S(I, b + j)))); \
                for (; j < N; j++) c[j] = beta * c[j] + ai * b[j];           \
            }                                                                \
        }                                                                    \
    }
OUTER_ISA(sse2, F, float, f32)
OUTER_ISA(avx2, F, float, f32)
OUTER_ISA(avx512, F, float, f32)
OUTER_ISA(sse2, D, double, f64)
OUTER_ISA(avx2, D, double, f64)
OUTER_ISA(avx512, D, double, f64)

typedef void (*outer_f32_fn)(int64_t, int64_t, const float *, const float *,
                             float, float *);
typedef void (*outer_f64_fn)(int64_t, int64_t, const double *,
                             const double *, double, double *);
static const outer_f32_fn outer_f32[3] = {outer_f32_sse2, outer_f32_avx2,
                                          outer_f32_avx512};
static const outer_f64_fn outer_f64[3] = {outer_f64_sse2, outer_f64_avx2,
                                          outer_f64_avx512};

/* C[M,N] = op(A) op(B) + beta C (row-major, leading dims lda, ldb; see
 * ops/gemm.h). Degenerate shapes skip gemm, which packs whole operands even
 * when one side is a single row or column (measured here, 1 thread: a
 * [1,784] x [784,256] product takes 36 us through sgemm, 7 us through
 * sgemv):
 *   M == 1 or N == 1   a matrix-vector product (gemv);
 *   K == 1             an outer product, written directly (outer_*).
 * In these cases every vector operand is contiguous whatever the
 * transpose flags (its other extent is 1). */
#define GEMM_DISPATCH(T, NAME, GEMM, GEMV, OUTER)                                   \
    void NAME(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const T *A, \
              int64_t lda, const T *B, int64_t ldb, T beta, T *C)           \
    {                                                                        \
        if (M == 1) {                                                        \
            if (tb)                                                          \
                GEMV(CblasRowMajor, CblasNoTrans, (int)N, (int)K, 1, B,      \
                     (int)ldb, A, 1, beta, C, 1);                            \
            else                                                             \
                GEMV(CblasRowMajor, CblasTrans, (int)K, (int)N, 1, B,        \
                     (int)ldb, A, 1, beta, C, 1);                            \
        } else if (N == 1) {                                                 \
            if (ta)                                                          \
                GEMV(CblasRowMajor, CblasTrans, (int)K, (int)M, 1, A,        \
                     (int)lda, B, 1, beta, C, 1);                            \
            else                                                             \
                GEMV(CblasRowMajor, CblasNoTrans, (int)M, (int)K, 1, A,      \
                     (int)lda, B, 1, beta, C, 1);                            \
        } else if (K == 1) {                                                 \
            OUTER[tg__isa()](M, N, A, B, beta, C);                           \
        } else {                                                             \
            GEMM(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,              \
                 tb ? CblasTrans : CblasNoTrans, (int)M, (int)N, (int)K, 1,  \
                 A, (int)lda, B, (int)ldb, beta, C, (int)N);                 \
        }                                                                    \
    }
GEMM_DISPATCH(float, tg__gemm_f32, cblas_sgemm, cblas_sgemv, outer_f32)
GEMM_DISPATCH(double, tg__gemm_f64, cblas_dgemm, cblas_dgemv, outer_f64)
