/* tapegrad/ops_random.h — ops that draw from the graph's RNG
 * (tg_graph_rng): dropout and rrelu (random in training mode only), and
 * sampling (conventions: ops_math.h). The same seed (tg_rng_seed on
 * tg_graph_rng(g)) gives the same draws on every machine; draws are made
 * in row-major order of the result. */
#ifndef TAPEGRAD_OPS_RANDOM_H
#define TAPEGRAD_OPS_RANDOM_H

#include "tapegrad/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* dropout(x, p): in training, y = x * m / (1 - p) with m ~ Bernoulli(1-p)
 * drawn from tg_graph_rng(g), one draw per element in order; in eval (or
 * p == 0) y is x itself. p in [0, 1). */
tg_tensor *tg_dropout(tg_tensor *x, double p);

/* rrelu(x, lower, upper) = x >= 0 ? x : r x. Training mode: r drawn per
 * element from U(lower, upper) with the graph's RNG and kept for
 * backward; eval mode: r = (lower + upper) / 2. Needs lower <= upper,
 * both finite (PyTorch's defaults: 1/8, 1/3). At 0: slope r. */
tg_tensor *tg_rrelu(tg_tensor *x, double lower, double upper);

/* ------------------------------------------------------------ sampling
 * Samples of bernoulli, multinomial, uniform and randint are not
 * differentiable (piecewise constant in their inputs); normal is, with
 * its draws held fixed (below). */

/* bernoulli(p): 1 with probability p, else 0, in p's dtype; every p in
 * [0, 1] (TG_ERR_ARG names the first that is not). */
tg_tensor *tg_bernoulli(tg_tensor *p);

/* multinomial(w, num_samples, replacement): i64 category indices, [k]
 * for w [C] or [N, k] for w [N, C], drawn with probability proportional
 * to w (finite, >= 0, a positive sum per row). Without replacement a
 * category is drawn at most once (k <= C); when only zero-weight
 * categories are left they follow in index order. */
tg_tensor *tg_multinomial(tg_tensor *w, int64_t num_samples,
                          bool replacement);

/* normal(mean, std) = mean + std * eps, eps ~ N(0, 1) elementwise,
 * broadcasting; std finite and >= 0. Gradient (reparameterisation, eps
 * kept from the forward): dmean = g, dstd = g eps. PyTorch's
 * torch.normal(mean, std) passes no gradient; this one does, as the same
 * expression written out would. */
tg_tensor *tg_normal(tg_tensor *mean, tg_tensor *std);

/* uniform(x, low, high): U[low, high) in x's shape and f32/f64 dtype
 * (x's values are not read; PyTorch's x.uniform_(low, high)). The
 * expression language calls it uniform(x, low=, high=). */
tg_tensor *tg_uniform_like(tg_tensor *x, double low, double high);

/* randint(x, low, high): i64 uniform in [low, high) in x's shape (any
 * dtype; PyTorch's randint_like). Expression: randint(x, low=, high=). */
tg_tensor *tg_randint_like(tg_tensor *x, int64_t low, int64_t high);

/* Samples as new graph-owned constants (no input tensor needed), from
 * the graph's RNG. On a bad argument: the poison tensor and the sticky
 * error. */
tg_tensor *tg_rand_uniform(tg_graph *g, tg_dtype dt, int ndim,
                           const int64_t *shape, double low, double high);
tg_tensor *tg_rand_normal(tg_graph *g, tg_dtype dt, int ndim,
                          const int64_t *shape, double mean, double std);
/* i64 uniform in [low, high). */
tg_tensor *tg_randint(tg_graph *g, int64_t low, int64_t high, int ndim,
                      const int64_t *shape);
/* A uniformly random permutation of 0..n-1 (i64 [n]; Fisher-Yates). */
tg_tensor *tg_randperm(tg_graph *g, int64_t n);

#ifdef __cplusplus
}
#endif
#endif
