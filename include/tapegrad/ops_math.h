/* tapegrad/ops_math.h — elementwise math: arithmetic with broadcasting,
 * scalar forms, powers, exponentials, logarithms, trigonometry, clamp and
 * dtype conversion.
 *
 * Conventions shared by every ops_*.h header
 *   - Every op takes tensors of one graph and returns a graph-owned tensor
 *     (borrowed until tg_graph_reset).
 *   - On any error (shape, axis, attribute, dtype mix, NULL input,
 *     allocation) it returns the graph's poison tensor and sets the sticky
 *     error, whose message names the op, the shapes and the bad value
 *     ("tg_clamp: min 2 > max 1; hint: pass the lower bound first"). Given
 *     the poison tensor, or on an errored graph, an op returns the poison
 *     tensor without computing, so a chain is checked once.
 *   - Binary ops broadcast with NumPy rules. Inputs share a dtype
 *     (tg_cast converts), except index/label tensors.
 *   - Axes may be negative (counted from the end).
 *   - Every differentiable op has a VJP written with tapegrad ops, so grad
 *     of grad works (tg_grad with create_graph); the fused *_backward ops
 *     are ops in their own right with their own VJPs.
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
 *   docs/vjp-math.md gives each op's VJP; docs/ops-elementwise.md and
 *   docs/ops-array.md its behaviour at ties and kinks.
 *
 * The headers by kind: ops_math.h (this), ops_activation.h,
 * ops_reduce.h, ops_linalg.h, ops_shape.h, ops_loss.h, ops_norm.h,
 * ops_random.h.
 *
 * WORKED EXAMPLE — a GELU MLP layer and its gradient
 *
 *   tg_tensor *h = tg_gelu(tg_add(tg_matmul(x, W), b));   // b broadcasts
 *   tg_tensor *loss = tg_sum_all(tg_square(tg_sub(h, target)));
 *   tg_backward(g, loss);          // gelu's VJP is one gelu_backward pass
 */
#ifndef TAPEGRAD_OPS_MATH_H
#define TAPEGRAD_OPS_MATH_H

#include "tapegrad/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------- binary (broadcast) */
tg_tensor *tg_add(tg_tensor *a, tg_tensor *b);  /* a + b */
tg_tensor *tg_sub(tg_tensor *a, tg_tensor *b);  /* a - b */
tg_tensor *tg_mul(tg_tensor *a, tg_tensor *b);  /* a * b */
tg_tensor *tg_div(tg_tensor *a, tg_tensor *b);  /* a / b (IEEE: x/0 = ±Inf) */
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
/* mul_exp(a, b) = a exp(b), broadcasting (a fused backward helper). */
tg_tensor *tg_mul_exp(tg_tensor *a, tg_tensor *b);

/* ------------------------------------------------------------ with scalar */
tg_tensor *tg_neg(tg_tensor *x);                  /* -x     */
tg_tensor *tg_add_scalar(tg_tensor *x, double s); /* x + s  */
tg_tensor *tg_mul_scalar(tg_tensor *x, double s); /* x * s  */
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
tg_tensor *tg_tanh(tg_tensor *x);       /* tanh x, SLEEF 1.0 ulp         */
tg_tensor *tg_erf(tg_tensor *x);        /* erf x, 1 ulp                  */
/* clamp(x, min, max) = min(max(x, min), max). min <= max required (either
 * may be ±Inf for a one-sided clamp; NaN bounds are rejected, and so is
 * min = -Inf with max = +Inf, no bound at all, as torch.clamp). Exact.
 * Gradient g where min <= x <= max (boundaries included, as PyTorch),
 * else 0. */
tg_tensor *tg_clamp(tg_tensor *x, double min, double max);

/* ------------------------------------------------ more unary math (SLEEF)
 * 1 ulp (SLEEF u10) unless noted; NaN passes through; outside the domain
 * (asin/acos/atanh of |x| > 1, acosh of x < 1, log2/log10 of x < 0) NaN,
 * at its edge ±Inf. Gradients as docs/vjp-math.md. */
tg_tensor *tg_tan(tg_tensor *x);   /* tan x                                */
tg_tensor *tg_asin(tg_tensor *x);  /* arcsin x in [-pi/2, pi/2]            */
tg_tensor *tg_acos(tg_tensor *x);  /* arccos x in [0, pi]                  */
tg_tensor *tg_atan(tg_tensor *x);  /* arctan x in (-pi/2, pi/2)            */
tg_tensor *tg_sinh(tg_tensor *x);  /* sinh x                               */
tg_tensor *tg_cosh(tg_tensor *x);  /* cosh x                               */
tg_tensor *tg_asinh(tg_tensor *x); /* arsinh x                             */
tg_tensor *tg_acosh(tg_tensor *x); /* arcosh x, x >= 1                     */
tg_tensor *tg_atanh(tg_tensor *x); /* artanh x, |x| < 1                    */
tg_tensor *tg_log2(tg_tensor *x);  /* log2 x                               */
tg_tensor *tg_log10(tg_tensor *x); /* log10 x                              */
tg_tensor *tg_exp2(tg_tensor *x);  /* 2^x                                  */
/* Rounding, exact. Their gradient is 0 everywhere (a tensor of zeros, also
 * at the jumps, as PyTorch); frac's is g. */
tg_tensor *tg_floor(tg_tensor *x); /* largest integer <= x                 */
tg_tensor *tg_ceil(tg_tensor *x);  /* smallest integer >= x                */
tg_tensor *tg_round(tg_tensor *x); /* nearest integer, ties to even        */
tg_tensor *tg_trunc(tg_tensor *x); /* integer part, toward 0               */
tg_tensor *tg_sign(tg_tensor *x);  /* -1, 0, 1 (-0 and NaN pass through)   */
tg_tensor *tg_frac(tg_tensor *x);  /* x - trunc(x); frac(±Inf) = NaN       */

/* --------------------------------------------- more binary math (SLEEF)
 * NumPy broadcasting; a failure sets the sticky error naming the op and
 * both shapes. */
/* atan2(a, b): the angle of the point (b, a) in [-pi, pi], 1 ulp; the
 * gradient at a = b = 0 is NaN (0/0), as PyTorch. */
tg_tensor *tg_atan2(tg_tensor *a, tg_tensor *b);
/* hypot(a, b) = sqrt(a^2 + b^2) without overflow, 0.5 ulp; gradient NaN
 * at a = b = 0, as PyTorch. */
tg_tensor *tg_hypot(tg_tensor *a, tg_tensor *b);
/* fmod(a, b) = a - trunc(a / b) b, sign of a (C fmod); exact. fmod(a, 0)
 * = NaN. Gradient: g to a, -g trunc(a / b) to b. */
tg_tensor *tg_fmod(tg_tensor *a, tg_tensor *b);
/* remainder(a, b) = a - floor(a / b) b, sign of b (Python's %, as
 * torch.remainder); exact. Gradient: g to a, -g floor(a / b) to b. */
tg_tensor *tg_remainder(tg_tensor *a, tg_tensor *b);
/* logaddexp(a, b) = log(e^a + e^b), without overflow; logaddexp(-Inf,
 * -Inf) = -Inf. Gradient: g sigmoid(a - b) to a, g sigmoid(b - a) to b. */
tg_tensor *tg_logaddexp(tg_tensor *a, tg_tensor *b);
/* lerp(a, b, w) = a + w (b - a), broadcasting all three (w a tensor);
 * lerp_scalar with a number w. Compositions of ops (every input gets its
 * gradient). */
tg_tensor *tg_lerp(tg_tensor *a, tg_tensor *b, tg_tensor *w);
tg_tensor *tg_lerp_scalar(tg_tensor *a, tg_tensor *b, double w);

/* ------------------------------------------------------------------ dtype */
/* x converted to dtype (gradient converts back). */
tg_tensor *tg_cast(tg_tensor *x, tg_dtype dt);

#ifdef __cplusplus
}
#endif
#endif
