/* tapegrad/ops_random.h — ops that draw from the graph's RNG
 * (tg_graph_rng) in training mode and are deterministic in eval mode
 * (conventions: ops_math.h). */
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

#ifdef __cplusplus
}
#endif
#endif
