/* tapegrad/ops_compare.h — comparisons, masks, selection and ordering
 * (conventions: ops_math.h; dtypes: core.h).
 *
 * Comparisons and logical ops return bool tensors (TG_BOOL), which never
 * require grad; where and masked_fill take such a mask and pass
 * gradients to the values they select.
 *
 * Example — mean of the non-padding positions of a row, and a loss that
 * ignores them:
 *
 *   tg_tensor *pad = tg_eq(tokens, tg_scalar(g, TG_I64, 0));   // bool
 *   tg_tensor *s = tg_masked_fill(scores, pad, -INFINITY);     // attention
 *   tg_tensor *p = tg_softmax(s, -1);
 *
 * The NaN trap: where(c, a, b) sends gradient 0 to the untaken branch,
 * but the ops that built that branch still multiply by their own local
 * derivative, and 0 * Inf = NaN. where(x > 0, log(x), 0) has a NaN
 * gradient wherever x = 0; where(x > 0, log(where(x > 0, x, 1)), 0)
 * does not. docs/ops-array.md has the details.
 */
#ifndef TAPEGRAD_OPS_COMPARE_H
#define TAPEGRAD_OPS_COMPARE_H

#include "tapegrad/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Elementwise comparisons with NumPy broadcasting, bool results. Inputs
 * of any dtypes (mixed allowed): two i64 compare exactly, anything else
 * as doubles. NaN compares false (ne: true), as IEEE and PyTorch. */
tg_tensor *tg_eq(tg_tensor *a, tg_tensor *b); /* a == b */
tg_tensor *tg_ne(tg_tensor *a, tg_tensor *b); /* a != b */
tg_tensor *tg_lt(tg_tensor *a, tg_tensor *b); /* a <  b */
tg_tensor *tg_le(tg_tensor *a, tg_tensor *b); /* a <= b */
tg_tensor *tg_gt(tg_tensor *a, tg_tensor *b); /* a >  b */
tg_tensor *tg_ge(tg_tensor *a, tg_tensor *b); /* a >= b */

/* Logical ops, any dtype, nonzero (and NaN) is true; bool results. */
tg_tensor *tg_logical_and(tg_tensor *a, tg_tensor *b);
tg_tensor *tg_logical_or(tg_tensor *a, tg_tensor *b);
tg_tensor *tg_logical_xor(tg_tensor *a, tg_tensor *b);
tg_tensor *tg_logical_not(tg_tensor *x);

/* Classification, bool results; i64 and bool are always finite. */
tg_tensor *tg_isnan(tg_tensor *x);
tg_tensor *tg_isinf(tg_tensor *x);
tg_tensor *tg_isfinite(tg_tensor *x);

/* any/all over axes (naxes 0: every axis), keepdim as tg_sum; any dtype,
 * nonzero is true. Over no elements any is false and all is true. */
tg_tensor *tg_any(tg_tensor *x, int naxes, const int64_t *axes, bool keepdim);
tg_tensor *tg_all(tg_tensor *x, int naxes, const int64_t *axes, bool keepdim);

/* where(cond, a, b) = cond ? a : b elementwise, broadcasting all three;
 * cond bool, a and b both f32 or both f64. Gradient: g where cond to a,
 * g where !cond to b (0 elsewhere). */
tg_tensor *tg_where(tg_tensor *cond, tg_tensor *a, tg_tensor *b);

/* masked_fill(x, mask, value) = mask ? value : x; mask bool, broadcast to
 * x's shape (the output has x's shape). Gradient: g where !mask. */
tg_tensor *tg_masked_fill(tg_tensor *x, tg_tensor *mask, double value);

/* ------------------------------------------------------------ ordering
 * Conventions (PyTorch's): argmax/argmin ties go to the first
 * occurrence; sort and argsort are stable (equal values keep their order,
 * descending too); NaN counts as larger than every number, and is both
 * the max and the min (argmax and argmin return the first NaN); topk
 * breaks ties in stable-sort order (PyTorch leaves it unspecified);
 * cummax/cummin ties go to the latest occurrence and a NaN, once seen,
 * stays (index of the latest NaN). Indices are i64. Values ops
 * (sort, topk, cummax, cummin) pass the gradient back to the element each
 * value came from (scatter_add by the indices); *indices, when not NULL,
 * receives the i64 indices (graph-owned). */

/* argmax/argmin along *axis (axis NULL: of the flattened tensor, 0-d
 * result, or all-ones shape with keepdim). Any dtype. TG_ERR_SHAPE when
 * the reduced extent is 0. */
tg_tensor *tg_argmax(tg_tensor *x, const int *axis, bool keepdim);
tg_tensor *tg_argmin(tg_tensor *x, const int *axis, bool keepdim);

/* sort(x, axis, descending): x's values in order along axis (default -1
 * in the expression language). */
tg_tensor *tg_sort(tg_tensor *x, int axis, bool descending,
                   tg_tensor **indices);
/* argsort(x, axis, descending): the i64 positions that sort x (stable);
 * any dtype. */
tg_tensor *tg_argsort(tg_tensor *x, int axis, bool descending);
/* topk(x, k, axis, largest): the k largest (largest = false: smallest)
 * values along axis, sorted; 0 <= k <= extent (k = 1 for a 0-d x). */
tg_tensor *tg_topk(tg_tensor *x, int64_t k, int axis, bool largest,
                   tg_tensor **indices);
/* cummax/cummin(x, axis): y[.., i, ..] = max/min of x[.., 0..i, ..]. */
tg_tensor *tg_cummax(tg_tensor *x, int axis, tg_tensor **indices);
tg_tensor *tg_cummin(tg_tensor *x, int axis, tg_tensor **indices);

#ifdef __cplusplus
}
#endif
#endif
