/* tapegrad/ops_norm.h — normalization (conventions: ops_math.h). */
#ifndef TAPEGRAD_OPS_NORM_H
#define TAPEGRAD_OPS_NORM_H

#include "tapegrad/core.h"

#ifdef __cplusplus
extern "C" {
#endif

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

/* layer_norm_backward(g, x, w, naxes, eps) = r (u - mean(u) - xh mean(u
 * xh)) with u = g w (g when w is NULL), xh the normalised x and r =
 * 1/sqrt(var + eps) over the last naxes dims: the input gradient of
 * layer_norm, differentiable itself. */
tg_tensor *tg_layer_norm_backward(tg_tensor *g, tg_tensor *x, tg_tensor *w,
                                  int naxes, double eps);

#ifdef __cplusplus
}
#endif
#endif
