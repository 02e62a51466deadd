/* The engine's matrix product for the WebAssembly build (selected by
 * ops/meson.build in place of ops/gemm.c, which calls OpenBLAS): the same
 * contract (ops/gemm.h), C[M,N] = op(A) op(B) + beta C, as a small
 * register-blocked loop. The page's products are small and thin (a batch
 * of 200 rows times layers of 1-32 units; the 100x100 grid is 10000
 * rows), so what counts is keeping each element's running sum in a
 * vector register and the bookkeeping per multiply-add low.
 *
 * Blocking: op(B) is packed a panel of KB x NB at a time into a contiguous
 * buffer whose rows are padded with zeros to whole vectors, so the inner
 * loop reads it the same way whatever the transpose flag. C is computed in
 * tiles of MR rows by two vectors of columns: the tile's sums stay in
 * registers for the panel's k, each step adding op(A)[i,k] (one number,
 * broadcast) times a vector of op(B)'s row k. A product with one column
 * (N == 1: a layer's output unit, its weight gradient) runs as the one-row
 * product C^T = op(B)^T op(A)^T, whose C^T has the same memory layout,
 * so its vectors run along the rows of C instead of padding one column.
 *
 * Rounding: each element is beta C (or 0 when beta == 0) plus the
 * products op(A)[i,k] op(B)[k,j] added one at a time in increasing k, a
 * multiply and an add each (no fused multiply-add): the result depends
 * neither on the blocking nor on the path. With beta == 0, C may hold
 * garbage and is never read.
 *
 * Written with the compilers' vector extension (4 floats or 2 doubles in
 * 16 bytes): SIMD128 under Emscripten with -msimd128; the native test
 * (tests/test_playground.c) compiles the same file with SSE2. */
#include "ops/gemm.h"

#include <stddef.h>
#include <string.h>

#define KB 128 /* rows of op(B) per packed panel */
#define NB 64  /* columns of op(B) per packed panel */
#define MR 4   /* rows of C per tile */

typedef float tg_v4f __attribute__((vector_size(16)));
typedef float tg_v4f_u __attribute__((vector_size(16), aligned(4), may_alias));
typedef double tg_v2d __attribute__((vector_size(16)));
typedef double tg_v2d_u __attribute__((vector_size(16), aligned(8), may_alias));

/* T element, V vector, VU unaligned vector, VL lanes. A tile: rows
 * [i0, i0 + mr) of C by columns [j, j + nv VL) of the packed panel bp
 * (nbp columns per row; columns at or past nb are padding, never stored),
 * over the panel's kb rows; first: the panel at k = 0, where the sums
 * start from beta C. */
#define GEMM_TILE(T, V, VU, VL, NAME)                                          \
    static inline __attribute__((always_inline)) void NAME(                   \
        int mr, int nv, const T *a, ptrdiff_t sr, ptrdiff_t sk,               \
        const T *bp, ptrdiff_t nbp, ptrdiff_t kb, ptrdiff_t j, ptrdiff_t nb,  \
        T *c, ptrdiff_t ldc, bool first, T beta)                              \
    {                                                                         \
        V acc[MR][2];                                                         \
        for (int r = 0; r < mr; r++)                                          \
            for (int v = 0; v < nv; v++) {                                    \
                ptrdiff_t jj = j + v * VL, n = nb - jj;                       \
                const T *cp = c + r * ldc + jj;                               \
                V x = {0};                                                    \
                if (!first || beta != 0) {                                    \
                    if (n >= VL) {                                            \
                        x = *(const VU *)cp;                                  \
                    } else {                                                  \
                        T t[VL] = {0};                                        \
                        for (ptrdiff_t l = 0; l < n; l++) t[l] = cp[l];       \
                        memcpy(&x, t, sizeof x);                              \
                    }                                                         \
                    if (first) x = x * beta;                                  \
                }                                                             \
                acc[r][v] = x;                                                \
            }                                                                 \
        for (ptrdiff_t k = 0; k < kb; k++) {                                  \
            const T *b = bp + k * nbp + j;                                    \
            V b0 = *(const VU *)b, b1 = b0;                                   \
            if (nv > 1) b1 = *(const VU *)(b + VL);                           \
            for (int r = 0; r < mr; r++) {                                    \
                T s = a[r * sr + k * sk];                                     \
                acc[r][0] = acc[r][0] + b0 * s;                               \
                if (nv > 1) acc[r][1] = acc[r][1] + b1 * s;                   \
            }                                                                 \
        }                                                                     \
        for (int r = 0; r < mr; r++)                                          \
            for (int v = 0; v < nv; v++) {                                    \
                ptrdiff_t jj = j + v * VL, n = nb - jj;                       \
                T *cp = c + r * ldc + jj;                                     \
                if (n >= VL) {                                                \
                    *(VU *)cp = acc[r][v];                                    \
                } else {                                                      \
                    T t[VL];                                                  \
                    memcpy(t, &acc[r][v], sizeof t);                          \
                    for (ptrdiff_t l = 0; l < n; l++) cp[l] = t[l];           \
                }                                                             \
            }                                                                 \
    }

/* Rows [i0, i0 + mr) of C against the packed panel: pairs of vectors,
 * then a last single vector where nbp leaves one. mr is a constant at
 * each call, so the tile's loops over rows unroll. */
#define GEMM_ROWS(T, VL, NAME, TILE)                                           \
    static inline __attribute__((always_inline)) void NAME(                   \
        int mr, const T *a, ptrdiff_t sr, ptrdiff_t sk, const T *bp,          \
        ptrdiff_t nbp, ptrdiff_t kb, ptrdiff_t nb, T *c, ptrdiff_t ldc,       \
        bool first, T beta)                                                   \
    {                                                                         \
        ptrdiff_t j = 0;                                                      \
        for (; j + 2 * VL <= nbp; j += 2 * VL)                                \
            TILE(mr, 2, a, sr, sk, bp, nbp, kb, j, nb, c, ldc, first, beta);  \
        if (j < nbp)                                                          \
            TILE(mr, 1, a, sr, sk, bp, nbp, kb, j, nb, c, ldc, first, beta);  \
    }

#define GEMM_SMALL(T, VL, NAME, ROWS)                                          \
    void NAME(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const T *A,  \
              int64_t lda, const T *B, int64_t ldb, T beta, T *C)             \
    {                                                                         \
        if (M <= 0 || N <= 0) return;                                         \
        if (K <= 0) { /* the empty sum (callers normally handle it) */        \
            for (int64_t i = 0; i < M * N; i++)                               \
                C[i] = beta == 0 ? 0 : beta * C[i];                           \
            return;                                                           \
        }                                                                     \
        /* one column whose K numbers are contiguous in B (always when       \
         * tb; when not, ldb == 1): C^T[1,M] = op(B)^T op(A)^T, the row      \
         * being B itself and op(A)^T reached by flipping A's flag */         \
        if (N == 1 && M > 1 && (tb || ldb == 1)) {                            \
            NAME(false, !ta, 1, M, K, B, K, A, lda, beta, C);                 \
            return;                                                           \
        }                                                                     \
        T bp[KB * NB];                                                        \
        /* op(A)[i,k] = a[i sr + k sk] */                                     \
        ptrdiff_t sr = ta ? 1 : (ptrdiff_t)lda, sk = ta ? (ptrdiff_t)lda : 1; \
        for (ptrdiff_t j0 = 0; j0 < N; j0 += NB) {                            \
            ptrdiff_t nb = N - j0 < NB ? N - j0 : NB;                         \
            ptrdiff_t nbp = (nb + VL - 1) / VL * VL;                          \
            for (ptrdiff_t k0 = 0; k0 < K; k0 += KB) {                        \
                ptrdiff_t kb = K - k0 < KB ? K - k0 : KB;                     \
                for (ptrdiff_t k = 0; k < kb; k++) {                          \
                    T *row = bp + k * nbp;                                    \
                    if (tb)                                                   \
                        for (ptrdiff_t j = 0; j < nb; j++)                    \
                            row[j] = B[(j0 + j) * ldb + k0 + k];              \
                    else                                                      \
                        memcpy(row, B + (k0 + k) * ldb + j0,                  \
                               sizeof(T) * (size_t)nb);                       \
                    for (ptrdiff_t j = nb; j < nbp; j++) row[j] = 0;          \
                }                                                             \
                bool first = k0 == 0;                                         \
                ptrdiff_t i0 = 0;                                             \
                for (; i0 + MR <= M; i0 += MR)                                \
                    ROWS(MR, A + i0 * sr + k0 * sk, sr, sk, bp, nbp, kb, nb,  \
                         C + i0 * N + j0, (ptrdiff_t)N, first, beta);         \
                for (; i0 < M; i0++)                                          \
                    ROWS(1, A + i0 * sr + k0 * sk, sr, sk, bp, nbp, kb, nb,   \
                         C + i0 * N + j0, (ptrdiff_t)N, first, beta);         \
            }                                                                 \
        }                                                                     \
    }

GEMM_TILE(float, tg_v4f, tg_v4f_u, 4, tile_f32)
GEMM_TILE(double, tg_v2d, tg_v2d_u, 2, tile_f64)
GEMM_ROWS(float, 4, rows_f32, tile_f32)
GEMM_ROWS(double, 2, rows_f64, tile_f64)
GEMM_SMALL(float, 4, tg__gemm_f32, rows_f32)
GEMM_SMALL(double, 2, tg__gemm_f64, rows_f64)
