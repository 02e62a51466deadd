/* tapegrad/ops_loss.h — losses and penalties (conventions: ops_math.h).
 * Each returns a 0-d tensor with PyTorch's default mean reduction; labels
 * hold class indices, i64 (or whole numbers in f32/f64), and get no
 * gradient.
 *
 * Example — a two-layer classifier's loss:
 *
 *   tg_tensor *h = tg_tanh(tg_linear(x, W1, b1));        // [N,H]
 *   tg_tensor *h2 = tg_dropout(tg_layer_norm(h, g1, be1, 1e-5), 0.1);
 *   tg_tensor *loss = tg_cross_entropy(tg_linear(h2, W2, b2), labels);
 *   if (tg_backward(g, loss) != TG_OK) puts(tg_graph_error(g));
 */
#ifndef TAPEGRAD_OPS_LOSS_H
#define TAPEGRAD_OPS_LOSS_H

#include "tapegrad/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* cross_entropy(logits [N,C], labels [N]) = mean_i (logsumexp(logits_i) -
 * logits_i[labels_i]); fused log_softmax + nll with the stable gradient
 * (softmax - onehot) / N. labels in [0, C). */
tg_tensor *tg_cross_entropy(tg_tensor *logits, tg_tensor *labels);
/* nll(logp [N,C], labels [N]) = -mean_i logp_i[labels_i]. */
tg_tensor *tg_nll(tg_tensor *logp, tg_tensor *labels);
/* mse(a, b) = mean((a - b)^2) over the broadcast shape. */
tg_tensor *tg_mse(tg_tensor *a, tg_tensor *b);
/* bce_with_logits(x, t) = mean(max(x,0) - x t + log1p(exp(-|x|))); x and
 * t have one shape; t is differentiable too. */
tg_tensor *tg_bce_with_logits(tg_tensor *x, tg_tensor *t);
/* l2_penalty(ws, n, lambda) = 0.5 lambda sum_k sum(ws[k]^2). Its
 * gradient lambda w equals SGD's weight_decay = lambda in PyTorch. */
tg_tensor *tg_l2_penalty(tg_tensor *const *ws, int n, double lambda);

/* cross_entropy_backward(g, logits, labels) = g (softmax(logits) -
 * onehot(labels)) / N, g 0-d: the fused VJP, differentiable itself. */
tg_tensor *tg_cross_entropy_backward(tg_tensor *g, tg_tensor *logits,
                                     tg_tensor *labels);

#ifdef __cplusplus
}
#endif
#endif
