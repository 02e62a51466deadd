/* tapegrad/ops_array.h — reductions, linear algebra, shape, probability,
 * losses, normalization, dropout.
 *
 * Conventions (as in ops.h): every op takes tensors of one graph and
 * returns a graph-owned tensor, borrowed until tg_graph_reset. On any
 * error (bad shape, axis, attribute, index; dtype mix; NULL input;
 * allocation) it returns the graph's poison tensor and sets the sticky
 * error, whose message names the op and the shapes ("tg_concat: ...").
 * Given the poison tensor, or on an errored graph, an op returns the
 * poison tensor without computing. Axes may be negative (counted from the
 * end). Inputs share a dtype except index/label tensors, which hold
 * integer values in either f32 or f64 and are never differentiated.
 *
 * Every differentiable op has a VJP written with tapegrad ops, so grad of
 * grad works (tg_grad with create_graph); the fused *_backward ops below
 * are ops in their own right with their own VJPs. docs/ops-array.md gives
 * each op's math, VJP, saved values and behaviour at ties and kinks.
 *
 * Example — a two-layer classifier's loss:
 *
 *   tg_tensor *h = tg_tanh(tg_linear(x, W1, b1));        // [N,H]
 *   tg_tensor *h2 = tg_dropout(tg_layer_norm(h, g1, be1, 1e-5), 0.1);
 *   tg_tensor *loss = tg_cross_entropy(tg_linear(h2, W2, b2), labels);
 *   if (tg_backward(g, loss) != TG_OK) puts(tg_graph_error(g));
 */
#ifndef TAPEGRAD_OPS_ARRAY_H
#define TAPEGRAD_OPS_ARRAY_H

#include "tapegrad/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ reductions */
/* Reduce over `naxes` axes (naxes == 0: all axes); keepdim keeps reduced
 * axes with extent 1. mean sums as tg_sum does; var and logsumexp
 * accumulate in f64. */

/* mean(x) = sum(x) / count; an empty reduction gives NaN. */
tg_tensor *tg_mean(tg_tensor *x, int naxes, const int64_t *axes,
                   bool keepdim);
tg_tensor *tg_mean_all(tg_tensor *x); /* mean of all elements, 0-d */

/* max(x), min(x). NaN propagates. Ties: the gradient is split evenly
 * among the tied elements (like torch.amax/amin). An empty group (a
 * reduced extent of 0 with a non-empty result) is an error. */
tg_tensor *tg_max(tg_tensor *x, int naxes, const int64_t *axes,
                  bool keepdim);
tg_tensor *tg_min(tg_tensor *x, int naxes, const int64_t *axes,
                  bool keepdim);

/* var(x) = sum((x - mean)^2) / (count - unbiased); unbiased divides by
 * count - 1 (Bessel). count - unbiased == 0 gives NaN (0/0) or Inf. */
tg_tensor *tg_var(tg_tensor *x, int naxes, const int64_t *axes,
                  bool unbiased, bool keepdim);

/* logsumexp(x) = m + log sum exp(x - m), m = max x (stable; all -Inf
 * gives -Inf, any +Inf gives +Inf). */
tg_tensor *tg_logsumexp(tg_tensor *x, int naxes, const int64_t *axes,
                        bool keepdim);

/* -------------------------------------------------------- linear algebra */

/* linear(x, W, b) = x @ W + b, fused. x: [..., in] (or [in]); W: [in, out]
 * — stored input-major so that x @ W needs no transpose (PyTorch's
 * nn.Linear stores the transpose, [out, in]); b: [out] or NULL. Result:
 * [..., out] ([out] for a 1-D x). */
tg_tensor *tg_linear(tg_tensor *x, tg_tensor *W, tg_tensor *b);

/* transpose(x, a, b): axes a and b swapped (materialised copy). */
tg_tensor *tg_transpose(tg_tensor *x, int a, int b);
/* permute(x, perm): y.shape[i] = x.shape[perm[i]]; perm is a permutation
 * of 0..ndim-1 (negative entries count from the end). Copy. */
tg_tensor *tg_permute(tg_tensor *x, int ndim, const int64_t *perm);

/* ----------------------------------------------------------------- shape */
/* flatten, squeeze and unsqueeze are views: no copy, like tg_reshape. */

/* flatten(x, start, end): dims start..end (inclusive) merged into one.
 * A 0-d x becomes [1]. */
tg_tensor *tg_flatten(tg_tensor *x, int start, int end);
/* squeeze(x, axis): drop `axis` if its extent is 1, else x unchanged
 * (PyTorch). squeeze_all drops every extent-1 axis. */
tg_tensor *tg_squeeze(tg_tensor *x, int axis);
tg_tensor *tg_squeeze_all(tg_tensor *x);
/* unsqueeze(x, axis): a new extent-1 axis at `axis` in [-ndim-1, ndim]. */
tg_tensor *tg_unsqueeze(tg_tensor *x, int axis);

/* concat(xs, n, axis): the n tensors joined along `axis`; other extents
 * must match. n >= 1; xs is read, not kept. */
tg_tensor *tg_concat(tg_tensor *const *xs, int n, int axis);

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

/* ---------------------------------------------- probability and losses */

/* softmax(x, axis) = exp(x - m) / sum exp(x - m) along axis (m = max). */
tg_tensor *tg_softmax(tg_tensor *x, int axis);
/* log_softmax(x, axis) = x - m - log sum exp(x - m) along axis. */
tg_tensor *tg_log_softmax(tg_tensor *x, int axis);

/* cross_entropy(logits [N,C], labels [N]) = mean_i (logsumexp(logits_i) -
 * logits_i[labels_i]), 0-d; fused log_softmax + nll with the stable
 * gradient (softmax - onehot) / N. Mean reduction (PyTorch's default).
 * labels hold class indices in [0, C) as f32/f64 values. */
tg_tensor *tg_cross_entropy(tg_tensor *logits, tg_tensor *labels);
/* nll(logp [N,C], labels [N]) = -mean_i logp_i[labels_i], 0-d. */
tg_tensor *tg_nll(tg_tensor *logp, tg_tensor *labels);
/* mse(a, b) = mean((a - b)^2) over the broadcast shape, 0-d. */
tg_tensor *tg_mse(tg_tensor *a, tg_tensor *b);
/* bce_with_logits(x, t) = mean(max(x,0) - x t + log1p(exp(-|x|))), 0-d;
 * x and t have one shape; t is differentiable too. */
tg_tensor *tg_bce_with_logits(tg_tensor *x, tg_tensor *t);
/* l2_penalty(ws, n, lambda) = 0.5 lambda sum_k sum(ws[k]^2), 0-d. Its
 * gradient lambda w equals SGD's weight_decay = lambda in PyTorch. */
tg_tensor *tg_l2_penalty(tg_tensor *const *ws, int n, double lambda);

/* ------------------------------------------ normalization, regularization */

/* layer_norm(x, w, b, eps) = (x - mean) / sqrt(var + eps) * w + b over
 * the trailing dims that w (or b) spans — the last dim when both are
 * NULL; biased variance. w, b: that trailing shape, or NULL (no scale /
 * no shift). PyTorch's default eps is 1e-5. */
tg_tensor *tg_layer_norm(tg_tensor *x, tg_tensor *w, tg_tensor *b,
                         double eps);
/* Same over the last `naxes` dims (w, b NULL or of that trailing shape). */
tg_tensor *tg_layer_norm_n(tg_tensor *x, int naxes, tg_tensor *w,
                           tg_tensor *b, double eps);

/* batch_norm: x [N, C, ...] normalised per channel (axis 1) over N and
 * the trailing dims. Training (tg_is_training) or no running buffers:
 * batch statistics with biased variance; running_mean / running_var ([C],
 * same dtype, or both NULL) are then updated in place:
 *   r = (1 - momentum) r + momentum s, with the unbiased batch variance
 * (PyTorch; momentum 0.1 there). Eval with buffers: (x - running_mean) /
 * sqrt(running_var + eps). w, b: [C] or NULL. The buffers are persistent
 * tensors you own (tg_param with requires_grad off works); they get no
 * gradient. Training needs more than one value per channel. */
tg_tensor *tg_batch_norm(tg_tensor *x, tg_tensor *w, tg_tensor *b,
                         tg_tensor *running_mean, tg_tensor *running_var,
                         double momentum, double eps);

/* dropout(x, p): in training, y = x * m / (1 - p) with m ~ Bernoulli(1-p)
 * drawn from tg_graph_rng(g), one draw per element in order; in eval (or
 * p == 0) y is x itself. p in [0, 1). */
tg_tensor *tg_dropout(tg_tensor *x, double p);

/* ------------------------------------------------- fused backward ops */
/* The VJPs of the ops above; differentiable themselves. */

/* softmax_backward(g, y, axis) = y (g - sum(g y)), y = softmax(x). */
tg_tensor *tg_softmax_backward(tg_tensor *g, tg_tensor *y, int axis);
/* log_softmax_backward(g, y, axis) = g - exp(y) sum(g). */
tg_tensor *tg_log_softmax_backward(tg_tensor *g, tg_tensor *y, int axis);
/* mul_exp(a, b) = a exp(b), broadcasting. */
tg_tensor *tg_mul_exp(tg_tensor *a, tg_tensor *b);
/* cross_entropy_backward(g, logits, labels) = g (softmax(logits) -
 * onehot(labels)) / N, g 0-d. */
tg_tensor *tg_cross_entropy_backward(tg_tensor *g, tg_tensor *logits,
                                     tg_tensor *labels);
/* layer_norm_backward(g, x, w, naxes, eps) = r (u - mean(u) - xh mean(u
 * xh)) with u = g w (g when w is NULL), xh the normalised x and r =
 * 1/sqrt(var + eps) over the last naxes dims: the input gradient of
 * layer_norm. */
tg_tensor *tg_layer_norm_backward(tg_tensor *g, tg_tensor *x, tg_tensor *w,
                                  int naxes, double eps);
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

#ifdef __cplusplus
}
#endif
#endif
