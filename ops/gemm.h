/* The engine's matrix product, shared by ops that multiply matrices
 * (matmul, linear, ...): C[M,N] = op(A) op(B) + beta C, row-major, with
 * op(X) = X^T when the flag is set; lda, ldb are the stored row lengths
 * (as CBLAS takes them, ldc = N). Degenerate shapes avoid gemm's operand
 * packing: M == 1 or N == 1 run as gemv, K == 1 as a direct outer product
 * (with beta == 0, C is written without being read). Defined in
 * ops/matmul.c. */
#ifndef TAPEGRAD_GEMM_H
#define TAPEGRAD_GEMM_H

#include <stdbool.h>
#include <stdint.h>

void tg__gemm_f32(bool ta, bool tb, int64_t M, int64_t N, int64_t K,
                  const float *A, int64_t lda, const float *B, int64_t ldb,
                  float beta, float *C);
void tg__gemm_f64(bool ta, bool tb, int64_t M, int64_t N, int64_t K,
                  const double *A, int64_t lda, const double *B, int64_t ldb,
                  double beta, double *C);

#endif
