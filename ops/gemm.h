/* The engine's matrix product, shared by ops that multiply matrices
 * (matmul, linear, ...): C[M,N] = op(A) op(B) + beta C, row-major, with
 * op(X) = X^T when the flag is set; lda, ldb are the stored row lengths
 * (as CBLAS takes them, ldc = N); K >= 1 (callers handle the empty sum).
 * The one place that picks the library: f32 through oneDNN's dnnl_sgemm
 * in builds that have it, else OpenBLAS; f64 through OpenBLAS.
 * Degenerate shapes avoid the libraries' gemm: M == 1 or N == 1 run as
 * the kernel set's matrix-vector products on the calling thread (the
 * library's threaded gemv only beyond TG_GEMV_CHUNK_MAX elements with a
 * team), K == 1 as a direct outer product (with beta == 0, C is written
 * without being read). Defined in ops/gemm.c; a build without
 * BLAS (WebAssembly) supplies these two functions from another file. */
#ifndef TAPEGRAD_GEMM_H
#define TAPEGRAD_GEMM_H

#include <stdbool.h>
#include <stdint.h>

/* Threading policy (ops/gemm.c), in multiply-adds M*N*K: OpenBLAS 0.3.21
 * runs a gemm of at most TG_GEMM_BLAS_SERIAL on the calling thread (and
 * so does the dispatch with oneDNN); a larger one (TG_GEMM_SPLIT_MIN and
 * up), with more than one thread, is split across the OpenMP team here by
 * rows (or columns) of C. */
#define TG_GEMM_BLAS_SERIAL 262144
#define TG_GEMM_SPLIT_MIN (TG_GEMM_BLAS_SERIAL + 1)
/* With oneDNN making f32 products at about twice OpenBLAS's rate, a split
 * pays later: waking a sleeping worker costs about 25 us of wall time
 * (passive wait policy, measured on a gemv here), and a product of 2^22
 * multiply-adds takes about 50 us on one core at oneDNN's 170 GFLOP/s, so
 * below it the half the worker would take is no larger than its wake-up.
 * The batch-16 MLP's products (at most 3.2 M) stay serial, the batch-64
 * and batch-128 ones (8.4 M and up) are split. */
#define TG_SGEMM_SPLIT_MIN ((int64_t)1 << 22)
/* Blocks a split f32 product through oneDNN is cut into, at most. */
#define TG_GEMM_POOL_CHUNKS_MAX 64
/* Matrix-vector products of up to TG_GEMV_CHUNK_MAX matrix elements run
 * on the calling thread at any thread count (ops/gemm.c); OpenBLAS by
 * itself keeps a gemv of up to TG_GEMV_BLAS_SERIAL elements there. */
#define TG_GEMV_BLAS_SERIAL 9215
#define TG_GEMV_CHUNK_MAX (1 << 18)

/* The library that makes f32 products in this process: "onednn" (builds
 * with oneDNN, the default) or "openblas" (builds without it, or with
 * TG_SGEMM=openblas in the environment). f64 always goes to OpenBLAS. */
const char *tg__gemm_f32_library(void);

void tg__gemm_f32(bool ta, bool tb, int64_t M, int64_t N, int64_t K,
                  const float *A, int64_t lda, const float *B, int64_t ldb,
                  float beta, float *C);
void tg__gemm_f64(bool ta, bool tb, int64_t M, int64_t N, int64_t K,
                  const double *A, int64_t lda, const double *B, int64_t ldb,
                  double beta, double *C);

#endif
