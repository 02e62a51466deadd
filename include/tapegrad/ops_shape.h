/* tapegrad/ops_shape.h — shape, views, copies and indexing (conventions:
 * ops_math.h). reshape, flatten, squeeze and unsqueeze are views (no
 * copy); the others copy. Index tensors hold integers stored in f32/f64
 * and get no gradient. */
#ifndef TAPEGRAD_OPS_SHAPE_H
#define TAPEGRAD_OPS_SHAPE_H

#include "tapegrad/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ shape */
/* Same data, new shape (numel must match; one -1 is inferred). No copy. */
tg_tensor *tg_reshape(tg_tensor *x, int ndim, const int64_t *shape);
/* x broadcast (NumPy rules) to shape; materialised. */
tg_tensor *tg_expand(tg_tensor *x, int ndim, const int64_t *shape);
/* flatten(x, start, end): dims start..end (inclusive) merged into one.
 * A 0-d x becomes [1]. */
tg_tensor *tg_flatten(tg_tensor *x, int start, int end);
/* squeeze(x, axis): drop `axis` if its extent is 1, else x unchanged
 * (PyTorch). squeeze_all drops every extent-1 axis. */
tg_tensor *tg_squeeze(tg_tensor *x, int axis);
tg_tensor *tg_squeeze_all(tg_tensor *x);
/* unsqueeze(x, axis): a new extent-1 axis at `axis` in [-ndim-1, ndim]. */
tg_tensor *tg_unsqueeze(tg_tensor *x, int axis);
/* transpose(x, a, b): axes a and b swapped (materialised copy). */
tg_tensor *tg_transpose(tg_tensor *x, int a, int b);
/* permute(x, perm): y.shape[i] = x.shape[perm[i]]; perm is a permutation
 * of 0..ndim-1 (negative entries count from the end). Copy. */
tg_tensor *tg_permute(tg_tensor *x, int ndim, const int64_t *perm);
/* concat(xs, n, axis): the n tensors joined along `axis`; other extents
 * must match. n >= 1; xs is read, not kept. */
tg_tensor *tg_concat(tg_tensor *const *xs, int n, int axis);

/* --------------------------------------------------------------- indexing */
/* slice(x, axis, start, stop, step) = x[..., start:stop:step, ...] with
 * Python rules: negative start/stop count from the end, out-of-range
 * bounds clamp, step > 0. Use INT64_MAX for "to the end". Copy. */
tg_tensor *tg_slice(tg_tensor *x, int axis, int64_t start, int64_t stop,
                    int64_t step);
/* index_select(x, axis, idx): the slices x[..., idx[k], ...] along axis,
 * idx of any shape: y.shape = x.shape[:axis] + idx.shape +
 * x.shape[axis+1:] (numpy.take). Embedding lookup: index_select(E, 0,
 * tokens). idx holds integers in [0, x.shape[axis]) stored in f32/f64;
 * anything else is an error. idx gets no gradient. */
tg_tensor *tg_index_select(tg_tensor *x, int axis, tg_tensor *idx);
/* gather(x, axis, idx): y[i][j][k] = x[i][idx[i][j][k]][k] for axis 1
 * (torch.gather): idx has x's ndim, y has idx's shape, and idx's extents
 * do not exceed x's off the axis. Picks class scores: gather(logits, 1,
 * labels as [N,1]). */
tg_tensor *tg_gather(tg_tensor *x, int axis, tg_tensor *idx);

/* ------------------------------------------------- fused backward ops */
/* slice_backward(g, ndim, shape, axis, start, step): zeros of `shape`
 * with g written at start, start+step, ... along axis (start already
 * normalised to [0, shape[axis]]). */
tg_tensor *tg_slice_backward(tg_tensor *g, int ndim, const int64_t *shape,
                             int axis, int64_t start, int64_t step);
/* index_add(g, ndim, shape, axis, idx): zeros of `shape` with the slices
 * of g added at idx along axis (the VJP of index_select). */
tg_tensor *tg_index_add(tg_tensor *g, int ndim, const int64_t *shape,
                        int axis, tg_tensor *idx);
/* scatter_add(g, ndim, shape, axis, idx): zeros of `shape`, then
 * z[i][idx[i][j][k]][k] += g[i][j][k] for axis 1 (the VJP of gather). */
tg_tensor *tg_scatter_add(tg_tensor *g, int ndim, const int64_t *shape,
                          int axis, tg_tensor *idx);

/* flip(x, dims): x reversed along each axis of dims[0..ndims) (negative
 * axes count from the end; a repeated axis fails). Gradient: flip(g). */
tg_tensor *tg_flip(tg_tensor *x, int ndims, const int64_t *dims);
/* cumsum(x, dim): y_k = sum_{j <= k} x_j along dim (f32 accumulates in
 * double). Gradient: the sums of g from the end, flip(cumsum(flip(g))). */
tg_tensor *tg_cumsum(tg_tensor *x, int dim);

#ifdef __cplusplus
}
#endif
#endif
