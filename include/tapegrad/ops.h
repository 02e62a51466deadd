/* tapegrad/ops.h — core ops: arithmetic, sums, shape plumbing, matmul, tanh.
 *
 * Every op takes tensors of one graph and returns a graph-owned tensor
 * (borrowed until tg_graph_reset). On any error (shape, dtype, NULL input,
 * allocation) it returns the graph's poison tensor and sets the sticky
 * error; an op given the poison tensor, or called on an errored graph,
 * returns the poison tensor without computing. Binary ops broadcast with
 * NumPy rules. Inputs must share a dtype (tg_cast converts).
 */
#ifndef TAPEGRAD_OPS_H
#define TAPEGRAD_OPS_H

#include "tapegrad/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------- binary (broadcast) */
tg_tensor *tg_add(tg_tensor *a, tg_tensor *b);  /* a + b */
tg_tensor *tg_sub(tg_tensor *a, tg_tensor *b);  /* a - b */
tg_tensor *tg_mul(tg_tensor *a, tg_tensor *b);  /* a * b */
tg_tensor *tg_div(tg_tensor *a, tg_tensor *b);  /* a / b (IEEE: x/0 = ±Inf) */

/* ----------------------------------------------------------- scalar & unary */
tg_tensor *tg_neg(tg_tensor *x);                  /* -x     */
tg_tensor *tg_add_scalar(tg_tensor *x, double s); /* x + s  */
tg_tensor *tg_mul_scalar(tg_tensor *x, double s); /* x * s  */
tg_tensor *tg_tanh(tg_tensor *x);                 /* tanh x, SLEEF 1.0 ulp */
/* g * (1 - y^2): the fused VJP of tanh given its output y. */
tg_tensor *tg_tanh_backward(tg_tensor *g, tg_tensor *y);

/* ------------------------------------------------------------------- sums */
/* Sum over `naxes` axes (negative counts from the end); naxes == 0 sums
 * everything. keepdim keeps reduced axes with extent 1. f32 sums
 * accumulate in f64. */
tg_tensor *tg_sum(tg_tensor *x, int naxes, const int64_t *axes, bool keepdim);
tg_tensor *tg_sum_all(tg_tensor *x);             /* sum of all elements, 0-d */

/* ------------------------------------------------------------------ shape */
/* Same data, new shape (numel must match; one -1 is inferred). No copy. */
tg_tensor *tg_reshape(tg_tensor *x, int ndim, const int64_t *shape);
/* x broadcast (NumPy rules) to shape; materialised. */
tg_tensor *tg_expand(tg_tensor *x, int ndim, const int64_t *shape);
/* Sum x down to shape, the reverse of tg_expand (shape must broadcast to
 * x's shape). */
tg_tensor *tg_sum_to(tg_tensor *x, int ndim, const int64_t *shape);
/* x converted to dtype (gradient converts back). */
tg_tensor *tg_cast(tg_tensor *x, tg_dtype dt);

/* ----------------------------------------------------------------- matmul */
/* a @ b through CBLAS gemm. a: [..., M, K], b: [..., K, N] -> [..., M, N];
 * batch dims broadcast. 1-D operands as torch.matmul: [K] @ [K] is 0-d,
 * [K] @ [..., K, N] is [..., N], [..., M, K] @ [K] is [..., M]. 0-d operands
 * are a TG_ERR_SHAPE error. */
tg_tensor *tg_matmul(tg_tensor *a, tg_tensor *b);
/* op(a) @ op(b) where op transposes the last two dims when the flag is
 * set; no transpose is materialised. The flag of a 1-D operand is ignored
 * (a vector is its own transpose). */
tg_tensor *tg_matmul_t(tg_tensor *a, tg_tensor *b, bool trans_a, bool trans_b);

#ifdef __cplusplus
}
#endif
#endif
