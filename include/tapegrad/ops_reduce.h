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

#ifdef __cplusplus
}
#endif
#endif
