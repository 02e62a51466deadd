/* tapegrad/ops_reduce.h — reductions (conventions: ops_math.h).
 *
 * Reduce over `naxes` axes (naxes == 0: all axes); keepdim keeps reduced
 * axes with extent 1. f32 sums accumulate in f64; mean sums as tg_sum
 * does; var and logsumexp accumulate in f64. */
#ifndef TAPEGRAD_OPS_REDUCE_H
#define TAPEGRAD_OPS_REDUCE_H

#include "tapegrad/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* sum(x) over the axes. */
tg_tensor *tg_sum(tg_tensor *x, int naxes, const int64_t *axes, bool keepdim);
tg_tensor *tg_sum_all(tg_tensor *x); /* sum of all elements, 0-d */
/* Sum x down to shape, the reverse of tg_expand (shape must broadcast to
 * x's shape). */
tg_tensor *tg_sum_to(tg_tensor *x, int ndim, const int64_t *shape);

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

/* std(x) = sqrt(var(x)), same arguments (torch.std: unbiased by default
 * in the expression language). Gradient (x - mean) g / ((count -
 * unbiased) std): NaN where std = 0, as PyTorch. */
tg_tensor *tg_std(tg_tensor *x, int naxes, const int64_t *axes,
                  bool unbiased, bool keepdim);

/* norm(x, p) over the axes, torch.linalg.vector_norm: p = 2 Euclidean,
 * 1 sum |x|, INFINITY max |x|, -INFINITY min |x|, 0 the count of nonzeros,
 * else (sum |x|^p)^(1/p). Accumulates in double; an empty group gives 0.
 * Gradients as PyTorch: 0 where the norm is 0 (p = 2 and general p), split
 * evenly among ties (p = ±inf), 0 for p = 0. Fails on p = NaN. */
tg_tensor *tg_norm(tg_tensor *x, double p, int naxes, const int64_t *axes,
                   bool keepdim);

/* logsumexp(x) = m + log sum exp(x - m), m = max x (stable; all -Inf
 * gives -Inf, any +Inf gives +Inf). */
tg_tensor *tg_logsumexp(tg_tensor *x, int naxes, const int64_t *axes,
                        bool keepdim);

/* prod(x, axis, keepdim): the product over *axis (NULL: over all
 * elements, a 0-d result). Accumulates in double. Gradient g times the
 * product of the other elements (no division: right with zeros). */
tg_tensor *tg_prod(tg_tensor *x, const int *axis, bool keepdim);
/* prod_others(x, dim): z_k = prod_{i != k} x_i along dim (prefix and
 * suffix products; 1 for a line of one element). prod's gradient. */
tg_tensor *tg_prod_others(tg_tensor *x, int dim);
/* cumprod(x, dim): y_j = prod_{i <= j} x_i. Gradient right with zeros in
 * x (then computed in O(n^2) per line; without zeros revcumsum(g y) / x). */
tg_tensor *tg_cumprod(tg_tensor *x, int dim);
/* logcumsumexp(x, dim): y_j = log sum_{i <= j} e^{x_i}, stable. Gradient
 * e^{x_i - y_n} revcumsum(g e^{y_n - y}) (y_n the line's last value): exact
 * while the line's y spans less than the exponent range (~700 in f64,
 * ~85 in f32). */
tg_tensor *tg_logcumsumexp(tg_tensor *x, int dim);
/* cosine_similarity(x1, x2, dim, eps) = sum(x1 x2) / (max(|x1|, eps)
 * max(|x2|, eps)) along dim (PyTorch's default dim 1, eps 1e-8). A
 * composition of ops; broadcasting as mul. */
tg_tensor *tg_cosine_similarity(tg_tensor *x1, tg_tensor *x2, int dim,
                                double eps);
/* normalize(x, p, dim, eps) = x / max(|x|_p, eps) along dim (PyTorch's
 * defaults p 2, dim 1, eps 1e-12). A composition of norm, clamp, div. */
tg_tensor *tg_normalize(tg_tensor *x, double p, int dim, double eps);

#ifdef __cplusplus
}
#endif
#endif
