/* tapegrad/ops_linalg.h — matrix products (conventions: ops_math.h). */
#ifndef TAPEGRAD_OPS_LINALG_H
#define TAPEGRAD_OPS_LINALG_H

#include "tapegrad/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* a @ b through CBLAS gemm. a: [..., M, K], b: [..., K, N] -> [..., M, N];
 * batch dims broadcast. 1-D operands as torch.matmul: [K] @ [K] is 0-d,
 * [K] @ [..., K, N] is [..., N], [..., M, K] @ [K] is [..., M]. 0-d operands
 * are a TG_ERR_SHAPE error. */
tg_tensor *tg_matmul(tg_tensor *a, tg_tensor *b);
/* op(a) @ op(b) where op transposes the last two dims when the flag is
 * set; no transpose is materialised. The flag of a 1-D operand is ignored
 * (a vector is its own transpose). */
tg_tensor *tg_matmul_t(tg_tensor *a, tg_tensor *b, bool trans_a, bool trans_b);

/* linear(x, W, b) = x @ W + b, fused. x: [..., in] (or [in]); W: [in, out]
 * — stored input-major so that x @ W needs no transpose (PyTorch's
 * nn.Linear stores the transpose, [out, in]); b: [out] or NULL. Result:
 * [..., out] ([out] for a 1-D x). */
tg_tensor *tg_linear(tg_tensor *x, tg_tensor *W, tg_tensor *b);

#ifdef __cplusplus
}
#endif
#endif
