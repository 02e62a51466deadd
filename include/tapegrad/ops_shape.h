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

/* ------------------------------------------- padding, movement, creation
 * pad is an op (with its adjoint pad_backward); the others below are
 * compositions of ops (their gradients come from the ops they use) or
 * creation functions (constants). docs/ops-array.md has PyTorch's
 * conventions and which is which. Failures: a sticky error naming the
 * function, the shapes and a hint, and the poison tensor (NULL and
 * tg_last_error for a NULL tensor or graph); the functions returning a
 * count return -1. */

typedef enum tg_padding_mode {
    TG_PADDING_CONSTANT = 0,  /* the value                                     */
    TG_PADDING_REFLECT = 1,   /* mirrored, the edge not repeated:
                             [3 2 | 1 2 3 | 2 1]; pad < extent            */
    TG_PADDING_REPLICATE = 2, /* the edge repeated: [1 1 | 1 2 3 | 3 3]        */
    TG_PADDING_CIRCULAR = 3,  /* wrapped: [2 3 | 1 2 3 | 1 2]; pad <= extent   */
} tg_padding_mode;
/* pad(x, pad[0..npad), mode, value): torch.nn.functional.pad. pad holds
 * (left, right) pairs from the last dim backwards: {1, 2} pads the last
 * dim with 1 before and 2 after; {1, 1, 2, 2} also the one before it.
 * A negative pad crops, as PyTorch: {-1, 2} drops the first element and
 * appends two; extent + left + right must be >= 0. Reflect and replicate
 * mirror or repeat the edges of the whole input; circular wraps around
 * the elements the crops keep ({-1, 2} of [1 2 3 4 5] is [2 3 4 5 2 3]).
 * value is used by constant only.
 * Gradient: pad_backward(g) (the padded positions add into the elements
 * they copied). */
tg_tensor *tg_pad(tg_tensor *x, int npad, const int64_t *pad, tg_padding_mode mode,
                  double value);
/* pad_backward(g, pad, mode): the transpose of pad (x's shape is g's
 * minus the pads); its own gradient is pad(h, ..., value 0). */
tg_tensor *tg_pad_backward(tg_tensor *g, int npad, const int64_t *pad,
                           tg_padding_mode mode);

/* stack(xs, n, dim): the n tensors (one shape) joined along a new dim
 * (-ndim-1 <= dim <= ndim). */
tg_tensor *tg_stack(tg_tensor *const *xs, int n, int dim);
/* split(x, split_size, dim, out, max_out): pieces of split_size along dim
 * (the last may be smaller) into out; returns how many (ceil(len /
 * split_size); an empty dim gives one empty piece), -1 on failure
 * (out[] then holds the poison tensor). */
int tg_split(tg_tensor *x, int64_t split_size, int dim, tg_tensor **out,
             int max_out);
/* split_sizes(x, n, sizes, dim, out): n pieces of the given extents,
 * which must add up to x.shape[dim]. Returns n or -1. */
int tg_split_sizes(tg_tensor *x, int n, const int64_t *sizes, int dim,
                   tg_tensor **out);
/* chunk(x, chunks, dim, out): torch.chunk: pieces of ceil(len / chunks),
 * so there may be fewer than chunks (len 7, chunks 4: 2, 2, 2, 1; len 6,
 * chunks 4: 2, 2, 2). out has room for chunks. Returns the count or -1. */
int tg_chunk(tg_tensor *x, int chunks, int dim, tg_tensor **out);
/* unbind(x, dim, out, max_out): the x.shape[dim] slices with dim
 * removed. Returns their count or -1. */
int tg_unbind(tg_tensor *x, int dim, tg_tensor **out, int max_out);
/* roll(x, n, shifts, dims): elements shifted by shifts[k] along dims[k]
 * (wrapping around; negative shifts go the other way); dims NULL: one
 * shift of the flattened tensor, shape kept. */
tg_tensor *tg_roll(tg_tensor *x, int n, const int64_t *shifts,
                   const int64_t *dims);
/* tril(x, k) / triu(x, k): the last two dims' lower (j - i <= k) / upper
 * (j - i >= k) triangle, zeros elsewhere (also where x is NaN or Inf). */
tg_tensor *tg_tril(tg_tensor *x, int64_t diagonal);
tg_tensor *tg_triu(tg_tensor *x, int64_t diagonal);
/* diagonal(x, offset, dim1, dim2): the diagonal x[.., i, i + offset, ..]
 * of dims dim1, dim2, appended as the last dim (the others keep their
 * order); offset > 0 above the main diagonal. A copy (PyTorch: a view). */
tg_tensor *tg_diagonal(tg_tensor *x, int64_t offset, int dim1, int dim2);
/* diag_embed(x, offset, dim1, dim2): x's last dim placed on the diagonal
 * (offset) of new matrices of size n + |offset| in dims dim1, dim2 of the
 * result (PyTorch's defaults -2, -1). */
tg_tensor *tg_diag_embed(tg_tensor *x, int64_t offset, int dim1, int dim2);
/* repeat(x, n, repeats): torch.Tensor.repeat: tiled repeats[d] times along
 * each dim; n >= ndim (extra repeats add leading dims). */
tg_tensor *tg_repeat(tg_tensor *x, int n, const int64_t *repeats);
/* repeat_interleave(x, repeats, dim): each slice along *dim repeated
 * repeats times in place ([1 2] -> [1 1 2 2]); dim NULL: of the flattened
 * x. _t: repeats a 1-D tensor, one count per slice (or one for all). */
tg_tensor *tg_repeat_interleave(tg_tensor *x, int64_t repeats, const int *dim);
tg_tensor *tg_repeat_interleave_t(tg_tensor *x, tg_tensor *repeats,
                                  const int *dim);

/* one_hot(labels, num_classes): i64 [..., C] with 1 at each label (i64
 * or whole numbers in [0, C)); num_classes -1: the largest label + 1.
 * A constant. */
tg_tensor *tg_one_hot(tg_tensor *labels, int64_t num_classes);
/* Constants (graph-owned, no gradient), dt f32, f64 or i64:
 * arange: start, start + step, ... < end (ceil((end - start) / step)
 * values; i64 wants whole start and step). linspace: steps values from
 * start to end inclusive (the second half computed from end, as PyTorch,
 * so the last is end exactly). eye: n x m identity. zeros/ones: of shape.
 * *_like: x's shape and dtype. */
tg_tensor *tg_arange(tg_graph *g, tg_dtype dt, double start, double end,
                     double step);
tg_tensor *tg_linspace(tg_graph *g, tg_dtype dt, double start, double end,
                       int64_t steps);
tg_tensor *tg_eye(tg_graph *g, tg_dtype dt, int64_t n, int64_t m);
tg_tensor *tg_zeros(tg_graph *g, tg_dtype dt, int ndim, const int64_t *shape);
tg_tensor *tg_ones(tg_graph *g, tg_dtype dt, int ndim, const int64_t *shape);
tg_tensor *tg_zeros_like(tg_tensor *x);
tg_tensor *tg_ones_like(tg_tensor *x);
tg_tensor *tg_full_like(tg_tensor *x, double value);

#ifdef __cplusplus
}
#endif
#endif
