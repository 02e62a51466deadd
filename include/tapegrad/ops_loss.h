/* tapegrad/ops_loss.h — losses and penalties (conventions: ops_math.h).
 * The two-argument forms (tg_cross_entropy, tg_nll, tg_mse, ...) return a
 * 0-d tensor with PyTorch's default mean reduction; the others take a
 * tg_reduction (none: the per-element or per-sample losses; sum; mean).
 * Labels hold class indices, i64 (or whole numbers in f32/f64), and get
 * no gradient; nor do class weights. docs/ops-array.md ("Losses") has
 * PyTorch's conventions these follow.
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

/* How a loss reduces its per-element (per-sample) values; the numbers are
 * PyTorch's and the expression language's keyword values
 * (reduction=none|mean|sum|batchmean). */
typedef enum tg_reduction {
    TG_REDUCTION_NONE = 0,      /* the losses themselves                 */
    TG_REDUCTION_MEAN = 1,      /* their mean (weighted, see each loss)  */
    TG_REDUCTION_SUM = 2,       /* their sum                             */
    TG_REDUCTION_BATCHMEAN = 3, /* kl_div only: sum / N (input.shape[0]) */
} tg_reduction;

/* cross_entropy(logits [N,C], labels [N]) = mean_i (logsumexp(logits_i) -
 * logits_i[labels_i]); fused log_softmax + nll with the stable gradient
 * (softmax - onehot) / N. labels in [0, C). */
tg_tensor *tg_cross_entropy(tg_tensor *logits, tg_tensor *labels);
/* nll(logp [N,C], labels [N]) = -mean_i logp_i[labels_i]. */
tg_tensor *tg_nll(tg_tensor *logp, tg_tensor *labels);
/* cross_entropy with PyTorch's options. target: [N] class indices (i64 or
 * whole numbers) or [N,C] class probabilities (f32/f64, differentiable).
 * weight: NULL or [C] per-class weights (not differentiated).
 * Indices: r_i = -(1-eps) w[l_i] lp_i[l_i] - eps/C sum_c w_c lp_ic with
 * lp = log_softmax(logits, 1), r_i = 0 where l_i == ignore_index; mean =
 * sum_i r_i / sum_{i kept} w[l_i] (NaN when every label is ignored).
 * Probabilities: r_i = -sum_c w_c t'_ic lp_ic, t' = (1-eps) t + eps/C,
 * mean = sum_i r_i / N; ignore_index has no effect. none: r [N].
 * eps = label_smoothing in [0, 1]; PyTorch's defaults are ignore_index
 * -100, label_smoothing 0, TG_REDUCTION_MEAN (then this is
 * tg_cross_entropy, the fused op). Fails (sticky error naming
 * tg_cross_entropy) on shapes, labels out of range, eps outside [0, 1]. */
tg_tensor *tg_cross_entropy_ex(tg_tensor *logits, tg_tensor *target,
                               tg_tensor *weight, int64_t ignore_index,
                               double label_smoothing, tg_reduction reduction);
/* Both (and tg_cross_entropy, tg_nll) also take PyTorch's
 * [N, C, d1, ..., dk] logits with [N, d1, ..., dk] labels (or
 * probabilities of the logits' shape): the loss over the N d1..dk
 * positions, none giving [N, d1, ..., dk]; and [C] logits with a 0-d
 * label (none: 0-d). */
/* nll with PyTorch's options: r_i = -w[l_i] logp_i[l_i], 0 where l_i ==
 * ignore_index; mean = sum_i r_i / sum_{i kept} w[l_i]; none: r [N].
 * weight NULL or [C]. tg_nll(lp, l) = tg_nll_ex(lp, l, NULL, -100, mean). */
tg_tensor *tg_nll_ex(tg_tensor *logp, tg_tensor *labels, tg_tensor *weight,
                     int64_t ignore_index, tg_reduction reduction);

/* Elementwise losses over the broadcast shape of their inputs (PyTorch
 * warns when the shapes differ; tapegrad broadcasts quietly). With d = a -
 * b, reduced by `reduction` (mean over every element):
 * l1_loss: |d|; gradient sign(d) (0 at d = 0, as PyTorch). */
tg_tensor *tg_l1_loss(tg_tensor *a, tg_tensor *b, tg_reduction reduction);
/* smooth_l1_loss: |d| < beta ? d^2 / (2 beta) : |d| - beta/2, beta >= 0
 * (PyTorch default 1; beta = 0 is l1_loss). */
tg_tensor *tg_smooth_l1_loss(tg_tensor *a, tg_tensor *b, double beta,
                             tg_reduction reduction);
/* huber_loss: |d| < delta ? d^2 / 2 : delta (|d| - delta/2), delta > 0
 * (default 1); delta * smooth_l1_loss with beta = delta. */
tg_tensor *tg_huber_loss(tg_tensor *a, tg_tensor *b, double delta,
                         tg_reduction reduction);
/* kl_div(input, target): input holds log-probabilities; pointwise
 * t (log t - input) (0 where t = 0), or with log_target e^t (t - input).
 * TG_REDUCTION_BATCHMEAN divides the sum by input.shape[0] (the true KL
 * divergence per sample); mean divides by every element, as PyTorch.
 * Both inputs are differentiable; the target's gradient log t + 1 - input
 * is -Inf at t = 0. */
tg_tensor *tg_kl_div(tg_tensor *input, tg_tensor *target,
                     tg_reduction reduction, bool log_target);
/* binary_cross_entropy(p, t, weight) = -w (t log p + (1 - t) log(1 - p))
 * on probabilities p in [0, 1] (outside: error); each log clamped at -100
 * as PyTorch, so p = 0 or 1 gives a finite loss. weight NULL or
 * broadcasting (not differentiated). dp = w (p - t) / max(p (1 - p),
 * 1e-12); t is differentiable too. */
tg_tensor *tg_binary_cross_entropy(tg_tensor *p, tg_tensor *t,
                                   tg_tensor *weight, tg_reduction reduction);
/* margin_ranking_loss(x1, x2, y) = max(0, -y (x1 - x2) + margin), y
 * holding 1 (x1 should rank higher) or -1; y gets no gradient. At the
 * kink (-y (x1 - x2) + margin = 0) the gradient is the linear side's, as
 * PyTorch. */
tg_tensor *tg_margin_ranking_loss(tg_tensor *x1, tg_tensor *x2, tg_tensor *y,
                                  double margin, tg_reduction reduction);

/* Embedding losses, compositions of ops as PyTorch computes them; y holds
 * labels 1 or -1 (f32, f64 or i64; no gradient), reduction none, mean or
 * sum. At a hinge's kink the gradient is 0.
 * cosine_embedding_loss(x1, x2, y): x1, x2 [N, D] (or [D]), y [N] (or
 * 0-d); c = <x1, x2> / sqrt((|x1|^2 + 1e-12) (|x2|^2 + 1e-12)) along D;
 * r = 1 - c where y = 1, max(0, c - margin) where y = -1, 0 for other
 * labels. PyTorch's margin default is 0. */
tg_tensor *tg_cosine_embedding_loss(tg_tensor *x1, tg_tensor *x2,
                                    tg_tensor *y, double margin,
                                    tg_reduction reduction);
/* hinge_embedding_loss(x, y), broadcasting: r = x where y != -1, plus
 * max(0, margin - x) where y != 1 (y = 1: x; y = -1: the hinge). PyTorch's
 * margin default is 1. */
tg_tensor *tg_hinge_embedding_loss(tg_tensor *x, tg_tensor *y, double margin,
                                   tg_reduction reduction);
/* triplet_margin_loss(a, pos, neg): [N, D] (or [D]) each; d(u, v) = |u -
 * v + eps|_p along D (torch.pairwise_distance); r = max(0, d(a, pos) -
 * d(a, neg) + margin); swap replaces d(a, neg) by min(d(a, neg), d(pos,
 * neg)). PyTorch's defaults: margin 1, p 2, eps 1e-6, swap false. */
tg_tensor *tg_triplet_margin_loss(tg_tensor *anchor, tg_tensor *positive,
                                  tg_tensor *negative, double margin,
                                  double p, double eps, bool swap,
                                  tg_reduction reduction);

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
