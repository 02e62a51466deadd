/* tapegrad — reverse-mode automatic differentiation in C.
 *
 * OVERVIEW
 *   A graph (tg_graph) is a tape. Every op applied to its tensors runs at
 *   once and records a node: op, inputs, attributes, output. tg_backward
 *   walks the recorded sub-DAG between a loss and the leaves in reverse
 *   topological order and applies each op's vector-Jacobian product (VJP).
 *   Per-step tensors live in the graph's arena and vanish in O(1) at
 *   tg_graph_reset; parameters (tg_param) persist and own their gradients.
 *
 * WORKED EXAMPLE — one gradient-descent step of y = tanh(x W + b)
 *
 *   tg_graph *g = tg_graph_new();
 *   tg_tensor *W = tg_param(g, TG_F32, TG_SHAPE(3, 2), "W");
 *   tg_tensor *b = tg_param(g, TG_F32, TG_SHAPE(2), "b");
 *   // ... fill tg_f32(W), tg_f32(b) (see tapegrad/nn.h for initializers)
 *   for (int step = 0; step < 100; step++) {
 *       float xv[4 * 3] = {...}, tv[4 * 2] = {...};
 *       tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(4, 3), xv);
 *       tg_tensor *t = tg_input(g, TG_F32, TG_SHAPE(4, 2), tv);
 *       tg_tensor *y = tg_tanh(tg_add(tg_matmul(x, W), b)); // b broadcasts
 *       tg_tensor *d = tg_sub(y, t);
 *       tg_tensor *loss = tg_sum_all(tg_mul(d, d));
 *       if (tg_backward(g, loss) != TG_OK) {       // one check per chain
 *           fprintf(stderr, "%s\n", tg_graph_error(g));
 *           break;
 *       }
 *       // W -= 0.1 * dW, b -= 0.1 * db, then clear the gradients
 *       for (int i = 0; i < 6; i++) tg_f32(W)[i] -= 0.1f * tg_f32(W->grad)[i];
 *       for (int i = 0; i < 2; i++) tg_f32(b)[i] -= 0.1f * tg_f32(b->grad)[i];
 *       tg_zero_grad(g);
 *       tg_graph_reset(g);                         // O(1), memory reused
 *   }
 *   tg_graph_free(g);
 *
 * ERRORS
 *   No call aborts on bad input. Ops return a poison tensor and set the
 *   graph's sticky error ("tg_matmul: inner dimensions differ: [128,784] @
 *   [256,10] (784 vs 256)"); later ops pass the poison through, so a chain
 *   is checked once. Functions that return tg_status report directly.
 *
 * HEADERS
 *   core.h             tensors, graph, leaves, backward, modes, errors, RNG
 *   ops_math.h         elementwise math: arithmetic, powers, exp/log,
 *                      trigonometry, clamp, cast (and the op conventions)
 *   ops_activation.h   activations, softmax, their fused backward kernels
 *   ops_reduce.h       sum, mean, max, min, var, logsumexp
 *   ops_linalg.h       matmul, linear
 *   ops_shape.h        reshape, views, permute, concat, slice, indexing
 *   ops_loss.h         cross entropy, nll, mse, bce, l2 penalty
 *   ops_norm.h         layer norm, batch norm
 *   ops_random.h       dropout, rrelu
 *   ops_compare.h      comparisons, logical ops, where, masked_fill,
 *                      argmax, sort, topk, cummax (bool and i64 results)
 *   check.h            numeric gradient checking, DOT pictures
 *   functional.h       JVP, VJP, Hessian-vector products, Jacobians,
 *                      Hessians
 *   op.h               defining ops (built-in and your own), reading a
 *                      recorded graph node by node
 *   nn.h               layers, blocks, initializers, optimizers
 *   nn_seq.h           recurrent layers (RNN, LSTM, GRU), attention,
 *                      transformer blocks, positional embeddings
 *   io.h               data readers, mini-batches, save/load
 */
#ifndef TAPEGRAD_TAPEGRAD_H
#define TAPEGRAD_TAPEGRAD_H

#include "tapegrad/core.h"
#include "tapegrad/ops_math.h"
#include "tapegrad/ops_activation.h"
#include "tapegrad/ops_reduce.h"
#include "tapegrad/ops_linalg.h"
#include "tapegrad/ops_shape.h"
#include "tapegrad/ops_loss.h"
#include "tapegrad/ops_norm.h"
#include "tapegrad/ops_random.h"
#include "tapegrad/ops_compare.h"
#include "tapegrad/ops_conv.h"
#include "tapegrad/check.h"
#include "tapegrad/functional.h"
#include "tapegrad/op.h"
#include "tapegrad/nn.h"
#include "tapegrad/nn_seq.h"
#include "tapegrad/io.h"

#endif
