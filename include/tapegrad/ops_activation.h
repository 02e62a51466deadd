/* tapegrad/ops_activation.h — activation functions, softmax, and the fused
 * backward kernels of the activations (conventions: ops_math.h).
 * rrelu, which draws from the graph's RNG, is in ops_random.h. */
#ifndef TAPEGRAD_OPS_ACTIVATION_H
#define TAPEGRAD_OPS_ACTIVATION_H

#include "tapegrad/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ activations */

/* sigmoid(x) = 1 / (1 + e^-x), evaluated without overflow for x << 0 as
 * e^x / (1 + e^x). f32: one SLEEF exp pass in f32 (measured <= 2 ulp);
 * VJP: one sigmoid_backward pass on the saved output. */
tg_tensor *tg_sigmoid(tg_tensor *x);
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

/* softmax(x, axis) = exp(x - m) / sum exp(x - m) along axis (m = max). */
tg_tensor *tg_softmax(tg_tensor *x, int axis);
/* log_softmax(x, axis) = x - m - log sum exp(x - m) along axis. */
tg_tensor *tg_log_softmax(tg_tensor *x, int axis);

/* ------------------------------------------------- fused backward kernels
 * One pass each instead of a chain of ops; each is an op with its own VJP,
 * so second derivatives work through them. g is the upstream gradient;
 * g and the other input broadcast with NumPy rules. Their values match the
 * composite expressions in the comments to within rounding. */

/* tanh_backward(g, y) = g (1 - y^2), y = tanh(x). */
tg_tensor *tg_tanh_backward(tg_tensor *g, tg_tensor *y);
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
/* softmax_backward(g, y, axis) = y (g - sum(g y)), y = softmax(x). */
tg_tensor *tg_softmax_backward(tg_tensor *g, tg_tensor *y, int axis);
/* log_softmax_backward(g, y, axis) = g - exp(y) sum(g). */
tg_tensor *tg_log_softmax_backward(tg_tensor *g, tg_tensor *y, int axis);

/* ---------------------------------------------------- more activations
 * PyTorch's formulas, defaults and conventions at the kinks; NaN passes
 * through. Gradients in docs/vjp-math.md. */
/* hardtanh(x, min_val, max_val) = min(max(x, min_val), max_val) (PyTorch:
 * -1, 1); gradient g strictly inside (min_val, max_val), 0 at the bounds.
 * Fails (TG_ERR_ARG) unless min_val <= max_val. */
tg_tensor *tg_hardtanh(tg_tensor *x, double min_val, double max_val);
tg_tensor *tg_relu6(tg_tensor *x);       /* hardtanh(x, 0, 6)            */
tg_tensor *tg_hardsigmoid(tg_tensor *x); /* min(max(x + 3, 0), 6) / 6    */
tg_tensor *tg_hardswish(tg_tensor *x);   /* x hardsigmoid(x)             */
tg_tensor *tg_mish(tg_tensor *x);        /* x tanh(softplus(x))          */
tg_tensor *tg_softsign(tg_tensor *x);    /* x / (1 + |x|)                */
tg_tensor *tg_tanhshrink(tg_tensor *x);  /* x - tanh x                   */
/* softshrink(x, lambd) = x > l ? x - l : x < -l ? x + l : 0 (PyTorch:
 * lambd = 0.5); fails unless lambd >= 0. */
tg_tensor *tg_softshrink(tg_tensor *x, double lambd);
/* threshold(x, threshold, value) = x <= threshold ? value : x; gradient
 * g where x > threshold. Fails if threshold is NaN. */
tg_tensor *tg_threshold(tg_tensor *x, double threshold, double value);
/* glu(x, dim) = a sigmoid(b), a and b the first and second half of x
 * along dim (even size; PyTorch's default dim -1); the result has half
 * the extent there. */
tg_tensor *tg_glu(tg_tensor *x, int dim);

#ifdef __cplusplus
}
#endif
#endif
