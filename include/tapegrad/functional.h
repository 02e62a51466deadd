/* tapegrad/functional.h — derivatives beyond the gradient: vector-Jacobian
 * and Jacobian-vector products, Hessian-vector products, dense Jacobians
 * and Hessians (as torch.autograd.functional).
 *
 * All of them are built on tg_grad: a VJP is one reverse pass; a JVP is
 * the transpose of a VJP (the reverse pass of sum <u, y> is recorded with
 * a dummy cotangent u, and J v = d<J^T u, v>/du is a second reverse pass
 * over that recording), so every op with a VJP has a JVP without a rule of
 * its own. docs/gradcheck.md ("Forward mode") has the choice and its cost.
 *
 * The functions run on tensors already recorded on g (the outputs must
 * depend on the inputs through recorded ops, as for tg_grad). Results are
 * graph-owned (borrowed until tg_graph_reset). With create_graph, the
 * results are themselves differentiable. On failure they return the
 * status, set the sticky error naming the function, the argument and its
 * shape, and set every result to the graph's poison tensor.
 *
 * EXAMPLE — the directional derivative of y = tanh(x W) along v
 *
 *   tg_tensor *y = tg_tanh(tg_matmul(x, W));      // x requires grad
 *   tg_tensor *dy;
 *   tg_jvp(g, &y, 1, &x, 1, &v, false, &dy);       // dy = J_x(y) v
 */
#ifndef TAPEGRAD_FUNCTIONAL_H
#define TAPEGRAD_FUNCTIONAL_H

#include "tapegrad/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* vjp: grads[i] = sum_k J_k,i^T cotangents[k], the gradient of
 * sum_k <cotangents[k], outputs[k]> with respect to inputs[i]. Every
 * output needs a cotangent of its shape and dtype. The same as tg_grad
 * with explicit seeds. */
tg_status tg_vjp(tg_graph *g, tg_tensor *const *outputs, int n_out,
                 tg_tensor *const *cotangents, tg_tensor *const *inputs,
                 int n_in, bool create_graph, tg_tensor **grads);

/* jvp: out_tangents[k] = sum_i J_k,i tangents[i], the change of
 * outputs[k] along the input direction `tangents` (one per input, of its
 * shape and dtype). Inputs must be leaves or tensors that require grad.
 * Cost: two reverse passes, the first one recorded. */
tg_status tg_jvp(tg_graph *g, tg_tensor *const *outputs, int n_out,
                 tg_tensor *const *inputs, int n_in,
                 tg_tensor *const *tangents, bool create_graph,
                 tg_tensor **out_tangents);

/* hvp: hv[i] = sum_j H_ij v[j], H the Hessian of the 0-d f with respect
 * to the inputs (one v per input, of its shape). Two reverse passes. */
tg_status tg_hvp(tg_graph *g, tg_tensor *f, tg_tensor *const *inputs,
                 int n_in, tg_tensor *const *v, bool create_graph,
                 tg_tensor **hv);

typedef enum tg_jac_mode {
    TG_JAC_AUTO = 0, /* reverse when the output has no more elements than
                        the inputs together, forward otherwise */
    TG_JAC_REVERSE,  /* one VJP per output element                       */
    TG_JAC_FORWARD,  /* one JVP per input element                        */
} tg_jac_mode;

/* jacobian: jac[i] = d output / d inputs[i], shape output.shape +
 * inputs[i].shape, dtype of the output. A constant (not differentiable).
 * `mode` picks the passes; *passes_used (may be NULL) reports how many
 * reverse passes it took. */
tg_status tg_jacobian(tg_graph *g, tg_tensor *output, tg_tensor *const *inputs,
                      int n_in, tg_jac_mode mode, tg_tensor **jac,
                      int64_t *passes_used);

/* hessian: hess[i * n_in + j] = d^2 f / d inputs[i] d inputs[j] of the 0-d
 * f, shape inputs[i].shape + inputs[j].shape, dtype of f. A constant. One
 * recorded reverse pass, then one pass per input element. */
tg_status tg_hessian(tg_graph *g, tg_tensor *f, tg_tensor *const *inputs,
                     int n_in, tg_tensor **hess);

#ifdef __cplusplus
}
#endif
#endif
