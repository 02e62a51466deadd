/* The engine's matrix product for the WebAssembly build (selected by
 * ops/meson.build in place of ops/gemm.c, which calls OpenBLAS): the same
 * contract (ops/gemm.h), C[M,N] = op(A) op(B) + beta C, as a plain blocked
 * loop. The page's networks are small (a few thousand multiply-adds per
 * product), so the loop aims at being correct and cache-friendly, not at
 * BLAS speed.
 *
 * Blocking: C is updated a tile of KB rows of op(B) at a time; each tile
 * of op(B) (KB x NB) is copied into a contiguous stack buffer first, so
 * the innermost loop, c[j] += a_ik * bt[k][j], runs over contiguous
 * memory whatever the transpose flags (the compiler turns it into SIMD128
 * with -msimd128). Each element's sum runs over k in increasing order, so
 * the result does not depend on the blocking. With beta == 0, C may hold
 * garbage and is never read. */
#include "ops/gemm.h"

#define KB 32
#define NB 64

#define GEMM_BLOCKED(T, NAME)                                                \
    void NAME(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const T *A, \
              int64_t lda, const T *B, int64_t ldb, T beta, T *C)           \
    {                                                                        \
        for (int64_t i = 0; i < M; i++)                                      \
            for (int64_t j = 0; j < N; j++)                                  \
                C[i * N + j] = beta == 0 ? 0 : beta * C[i * N + j];          \
        T bt[KB * NB];                                                       \
        for (int64_t j0 = 0; j0 < N; j0 += NB) {                             \
            int64_t nb = N - j0 < NB ? N - j0 : NB;                          \
            for (int64_t k0 = 0; k0 < K; k0 += KB) {                         \
                int64_t kb = K - k0 < KB ? K - k0 : KB;                      \
                for (int64_t k = 0; k < kb; k++)                             \
                    for (int64_t j = 0; j < nb; j++)                         \
                        bt[k * NB + j] = tb ? B[(j0 + j) * ldb + k0 + k]     \
                                            : B[(k0 + k) * ldb + j0 + j];    \
                for (int64_t i = 0; i < M; i++) {                            \
                    T *restrict c = C + i * N + j0;                          \
                    for (int64_t k = 0; k < kb; k++) {                       \
                        T a = ta ? A[(k0 + k) * lda + i]                     \
                                 : A[i * lda + k0 + k];                      \
                        const T *restrict b = bt + k * NB;                   \
                        for (int64_t j = 0; j < nb; j++) c[j] += a * b[j];   \
                    }                                                        \
                }                                                            \
            }                                                                \
        }                                                                    \
    }

GEMM_BLOCKED(float, tg__gemm_f32)
GEMM_BLOCKED(double, tg__gemm_f64)
