/* tapegrad/ops_elementwise.h — elementwise math, binary extras, activations
 * and their fused backward kernels.
 *
 * Every op here follows the rules of <tapegrad/ops.h>: tensors of one
 * graph in, a graph-owned tensor out (borrowed until tg_graph_reset); on a
 * bad shape, dtype or attribute the result is the graph's poison tensor
 * and the sticky error names the op, the shapes and the bad value (for
 * example "tg_clamp: min 2 > max 1; hint: pass the lower bound first").
 * Binary ops broadcast with NumPy rules.
 *
 * Conventions used below
 *   - Kinks follow PyTorch: the derivative used at a non-smooth point is
 *     written next to each op ("at 0: 0").
 *   - Accuracy is measured against long-double libm on a sweep that
 *     includes subnormals, huge values, ±Inf and NaN, on every instruction
 *     set (SSE2, AVX2, AVX-512); docs/ops-elementwise.md has the table.
 *     "exact" means correctly rounded. Every f32 result is within 2 ulp.
 *     On AVX2 and AVX-512, sigmoid, silu, tanh, gelu, gelu_tanh and
 *     gelu_backward run in single precision (within 1.6 ulp); the other
 *     f32 composites (softplus, elu family, the other fused backward
 *     kernels, and all of them on SSE2) are evaluated in double and
 *     rounded once. f64 results are within a few ulp of the SLEEF
 *     1.0-ulp functions they are built from.
 *   - Real attributes (alpha, min, beta…) are doubles; f32 kernels use
 *     them rounded to float where they multiply or compare an element.
 *   - NaN inputs give NaN outputs (relu, clamp, maximum… propagate NaN).
 *
 * WORKED EXAMPLE — a GELU MLP layer and its gradient
 *
 *   tg_tensor *h = tg_gelu(tg_add(tg_matmul(x, W), b));
 *   tg_tensor *loss = tg_sum_all(tg_square(tg_sub(h, target)));
 *   tg_backward(g, loss);          // gelu's VJP is one gelu_backward pass
 */
#ifndef TAPEGRAD_OPS_ELEMENTWISE_H
#define TAPEGRAD_OPS_ELEMENTWISE_H

#include "tapegrad/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------- binary (broadcasting) */

/* pow(a, b) = a^b (SLEEF pow, 1 ulp). da = g b a^(b-1), db = g y log a.
 * Unlike PyTorch, no special case at a = 0: da is NaN where a = b = 0 and
 * db is NaN where a = 0 (0 * -Inf); shift such points away or use
 * tg_pow_scalar. */
tg_tensor *tg_pow(tg_tensor *a, tg_tensor *b);
/* maximum(a, b) = max(a, b), NaN if either is NaN. Exact. Ties split the
 * gradient: each side gets g/2 where a == b (PyTorch's rule). */
tg_tensor *tg_maximum(tg_tensor *a, tg_tensor *b);
/* minimum(a, b) = min(a, b), NaN if either is NaN. Exact. Ties: g/2 each. */
tg_tensor *tg_minimum(tg_tensor *a, tg_tensor *b);

/* ------------------------------------------------------------ with scalar */

/* pow_scalar(x, p) = x^p (SLEEF pow, 1 ulp). dx = g p x^(p-1); p = 0
 * gives a zero gradient everywhere (also at x = 0). */
tg_tensor *tg_pow_scalar(tg_tensor *x, double p);

/* ------------------------------------------------------------ unary math */

tg_tensor *tg_abs(tg_tensor *x);        /* |x|, exact; at 0: 0           */
tg_tensor *tg_exp(tg_tensor *x);        /* e^x, 1 ulp                    */
tg_tensor *tg_log(tg_tensor *x);        /* ln x, 1 ulp; ln 0 = -Inf      */
tg_tensor *tg_log1p(tg_tensor *x);      /* ln(1 + x), 1 ulp              */
tg_tensor *tg_expm1(tg_tensor *x);      /* e^x - 1, 1 ulp                */
tg_tensor *tg_sqrt(tg_tensor *x);       /* sqrt x, exact                 */
tg_tensor *tg_rsqrt(tg_tensor *x);      /* 1 / sqrt x, 1 ulp; ±0 -> ±Inf */
tg_tensor *tg_square(tg_tensor *x);     /* x^2, exact                    */
tg_tensor *tg_reciprocal(tg_tensor *x); /* 1 / x, exact                  */
tg_tensor *tg_sin(tg_tensor *x);        /* sin x, 1 ulp over all floats  */
tg_tensor *tg_cos(tg_tensor *x);        /* cos x, 1 ulp over all floats  */
tg_tensor *tg_erf(tg_tensor *x);        /* erf x, 1 ulp                  */
/* sigmoid(x) = 1 / (1 + e^-x), evaluated without overflow for x << 0 as
 * e^x / (1 + e^x). f32: one SLEEF exp pass in f32 (measured <= 2 ulp);
 * VJP: one sigmoid_backward pass on the saved output. */
tg_tensor *tg_sigmoid(tg_tensor *x);
/* clamp(x, min, max) = min(max(x, min), max). min <= max required (either
 * may be ±Inf for a one-sided clamp; NaN bounds are rejected). Exact.
 * Gradient g where min <= x <= max (boundaries included, as PyTorch),
 * else 0. */
tg_tensor *tg_clamp(tg_tensor *x, double min, double max);

/* ------------------------------------------------------------ activations */

/* relu(x) = max(x, 0). Exact. At 0: gradient 0 (PyTorch). */
tg_tensor *tg_relu(tg_tensor *x);
/* leaky_relu(x, alpha) = x > 0 ? x : alpha x (alpha finite; PyTorch's
 * default is 0.01). Exact product. At 0: slope alpha (PyTorch). */
tg_tensor *tg_leaky_relu(tg_tensor *x, double alpha);
/* prelu(x, alpha) = x > 0 ? x : alpha_c x with a learned alpha holding one
 * value (any shape with one element) or one value per channel (shape [C],
 * C = x.shape[1], x at least 2-D), as torch.nn.PReLU. At 0: slope alpha_c.
 * Gradients reach both x and alpha. */
tg_tensor *tg_prelu(tg_tensor *x, tg_tensor *alpha);
/* rrelu(x, lower, upper) = x >= 0 ? x : r x. Training mode: r drawn per
 * element from U(lower, upper) with the graph's RNG (tg_graph_rng) and
 * kept for backward; eval mode: r = (lower + upper) / 2. Needs lower <=
 * upper, both finite (PyTorch's defaults: 1/8, 1/3). At 0: slope r. */
tg_tensor *tg_rrelu(tg_tensor *x, double lower, double upper);
/* elu(x, alpha) = x > 0 ? x : alpha (e^x - 1), alpha >= 0 (default 1).
 * At 0: slope alpha (PyTorch). */
tg_tensor *tg_elu(tg_tensor *x, double alpha);
/* selu(x) = scale * elu(x, a), scale = 1.0507009873554805,
 * a = 1.6732632423543772 (Klambauer et al. 2017). At 0: slope scale * a. */
tg_tensor *tg_selu(tg_tensor *x);
/* celu(x, alpha) = x > 0 ? x : alpha (e^(x/alpha) - 1), alpha > 0
 * (default 1). C1: slope 1 at 0. */
tg_tensor *tg_celu(tg_tensor *x, double alpha);
/* gelu(x) = x Phi(x) = x/2 (1 + erf(x / sqrt 2)), the exact GELU,
 * evaluated as x/2 erfc(-x / sqrt 2) so x << 0 keeps full precision. */
tg_tensor *tg_gelu(tg_tensor *x);
/* gelu_tanh(x) = x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), PyTorch's
 * approximate='tanh', evaluated as x sigmoid(2u) for precision at x << 0. */
tg_tensor *tg_gelu_tanh(tg_tensor *x);
/* silu(x) = x sigmoid(x) (also called swish). */
tg_tensor *tg_silu(tg_tensor *x);
/* softplus(x, beta, threshold) = log(1 + e^(beta x)) / beta, and x itself
 * where beta x > threshold (PyTorch's linear branch; defaults 1, 20).
 * beta > 0, threshold not NaN. Gradient: sigmoid(beta x), 1 on the linear
 * branch; at beta x == threshold the sigmoid branch is used. */
tg_tensor *tg_softplus(tg_tensor *x, double beta, double threshold);
/* hardshrink(x, lambda) = |x| > lambda ? x : 0, lambda >= 0 (default
 * 0.5). At x = ±lambda: output 0, gradient 0 (PyTorch). */
tg_tensor *tg_hardshrink(tg_tensor *x, double lambda);
/* logsigmoid(x) = log sigmoid(x) = min(x, 0) - log1p(e^-|x|), finite for
 * every finite x (no log(0) at x << 0, no cancellation at x >> 0). */
tg_tensor *tg_logsigmoid(tg_tensor *x);
/* maxout(x, k): the last axis F is split into F/k consecutive groups of k
 * features, y[..., j] = max(x[..., j*k .. j*k+k-1]); shape [..., F/k].
 * k >= 1 must divide F. The gradient goes to the arg max of each group
 * (the first one on ties); NaN in a group makes its output NaN. */
tg_tensor *tg_maxout(tg_tensor *x, int64_t k);

/* ------------------------------------------------- fused backward kernels
 * One pass each instead of a chain of ops; each is an op with its own VJP,
 * so second derivatives work through them. g is the upstream gradient;
 * g and the other input broadcast with NumPy rules. Their values match the
 * composite expressions in the comments to within rounding. */

/* sigmoid_backward(g, y) = g y (1 - y), y = sigmoid(x). */
tg_tensor *tg_sigmoid_backward(tg_tensor *g, tg_tensor *y);
/* relu_backward(g, x) = x > 0 ? g : 0. */
tg_tensor *tg_relu_backward(tg_tensor *g, tg_tensor *x);
/* leaky_relu_backward(g, x, alpha) = x > 0 ? g : alpha g. */
tg_tensor *tg_leaky_relu_backward(tg_tensor *g, tg_tensor *x, double alpha);
/* gelu_backward(g, x) = g (Phi(x) + x phi(x)), phi the normal density. */
tg_tensor *tg_gelu_backward(tg_tensor *g, tg_tensor *x);
/* gelu_tanh_backward(g, x) = g d/dx gelu_tanh(x)
 *   = g s (1 + 2 x u' (1 - s)), s = sigmoid(2u), u' = sqrt(2/pi)(1 + 3c x^2). */
tg_tensor *tg_gelu_tanh_backward(tg_tensor *g, tg_tensor *x);
/* silu_backward(g, x) = g s (1 + x (1 - s)), s = sigmoid(x). */
tg_tensor *tg_silu_backward(tg_tensor *g, tg_tensor *x);
/* logsigmoid_backward(g, x) = g sigmoid(-x). */
tg_tensor *tg_logsigmoid_backward(tg_tensor *g, tg_tensor *x);
/* softplus_backward(g, x, beta, threshold)
 *   = beta x > threshold ? g : g sigmoid(beta x). */
tg_tensor *tg_softplus_backward(tg_tensor *g, tg_tensor *x, double beta,
                                double threshold);
/* elu_backward(g, x, alpha, scale, input_scale)
 *   = x > 0 ? g scale : g scale alpha input_scale e^(x input_scale),
 * the derivative of scale * (x > 0 ? x : alpha (e^(x input_scale) - 1)):
 * elu is (alpha, 1, 1), selu (a, scale, 1), celu (alpha, 1, 1/alpha). */
tg_tensor *tg_elu_backward(tg_tensor *g, tg_tensor *x, double alpha,
                           double scale, double input_scale);

#ifdef __cplusplus
}
#endif
#endif
