/* relu, leaky_relu and their fused backward kernels.
 *   relu(x)                    = x < 0 ? 0 : x   (NaN passes through)
 *   leaky_relu(x, alpha)       = x > 0 ? x : alpha x
 *   relu_backward(g, x)        = x > 0 ? g : 0
 *   leaky_relu_backward(g, x)  = x > 0 ? g : alpha g
 * Kinks as PyTorch: relu'(0) = 0, leaky_relu'(0) = alpha.
 * VJPs:  relu: relu_backward(g, x)     leaky_relu: leaky_relu_backward(g, x)
 *        the backward kernels are linear in g, piecewise constant in x:
 *        d/dg = the same kernel applied to the incoming gradient, d/dx = 0.
 * All exact (one rounding at most: alpha x). Each is one pass.
 * Kernels: ops/kern_math.h. */
#include "ops/ew.h"

#include <stdio.h>

#define ALPHA f[0]

static tg_status alpha_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    tg_status st = tg__ew_need_finite(g, n, "alpha", n->attr.ALPHA);
    if (st != TG_OK) return st;
    return n->n_in == 1 ? tg_shape_same(g, n, out)
                        : tg_shape_broadcast(g, n, out);
}

static void relu_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                     tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_relu_backward(gy, n->in[0]);
}

static tg_status relu_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_relu, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(relu,
    .n_inputs = 1,
    .flags = TG_OPF_NONSMOOTH,
    .forward = relu_fwd,
    .vjp = relu_vjp,
    .cases = "relu(x) | x=3x4; relu(x - 0.3) | x=2x5");
tg_tensor *tg_relu(tg_tensor *x) { return tg__apply1(TG_OP_relu, x, NULL); }

static void relu_backward_vjp(tg_graph *g, tg_node *n, tg_tensor *h,
                              const bool *need, tg_tensor **gx)
{
    (void)g;
    if (need[0]) gx[0] = tg_relu_backward(h, n->in[1]);
}

static tg_status relu_backward_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_binary_run(n, TG_KB_relu_backward, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(relu_backward,
    .n_inputs = 2,
    .flags = TG_OPF_NONSMOOTH,
    .shape = tg_shape_broadcast,
    .forward = relu_backward_fwd,
    .vjp = relu_backward_vjp,
    .cases = "relu_backward(g, x) | g=3x4 x=3x4; relu_backward(g, x) | "
        "g=3x4 x=4");
tg_tensor *tg_relu_backward(tg_tensor *a, tg_tensor *b)
{
    return tg__apply2(TG_OP_relu_backward, a, b, NULL);
}

static tg_status leaky_relu_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_leaky_relu, (tg_kp){n->attr.ALPHA, 0, 0});
}
static void leaky_relu_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                           const bool *need, tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_leaky_relu_backward(gy, n->in[0], n->attr.ALPHA);
}
TG_BUILTIN_OP(leaky_relu,
    .n_inputs = 1,
    .flags = TG_OPF_NONSMOOTH,
    .attrs = {{"alpha", TG_ATTR_REAL, 0.01}},
    .shape = alpha_shape,
    .forward = leaky_relu_fwd,
    .vjp = leaky_relu_vjp,
    .cases = "leaky_relu(x, alpha=0.1) | x=3x4; leaky_relu(x, alpha=-0.5) | x=7");

static tg_status leaky_relu_bw_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_binary_run(n, TG_KB_leaky_relu_backward,
                             (tg_kp){n->attr.ALPHA, 0, 0});
}
static void leaky_relu_bw_vjp(tg_graph *g, tg_node *n, tg_tensor *h,
                              const bool *need, tg_tensor **gx)
{
    (void)g;
    if (need[0]) gx[0] = tg_leaky_relu_backward(h, n->in[1], n->attr.ALPHA);
}
TG_BUILTIN_OP(leaky_relu_backward,
    .n_inputs = 2,
    .flags = TG_OPF_NONSMOOTH,
    .attrs = {{"alpha", TG_ATTR_REAL, 0.01}},
    .shape = alpha_shape,
    .forward = leaky_relu_bw_fwd,
    .vjp = leaky_relu_bw_vjp,
    .cases = "leaky_relu_backward(g, x, alpha=0.2) | g=3x4 x=3x4; "
        "leaky_relu_backward(g, x, alpha=0.2) | g=4 x=3x4");

tg_tensor *tg_leaky_relu(tg_tensor *x, double alpha)
{
    tg_attrs a = {0};
    a.ALPHA = alpha;
    return tg__apply1(TG_OP_leaky_relu, x, &a);
}
tg_tensor *tg_leaky_relu_backward(tg_tensor *g, tg_tensor *x, double alpha)
{
    tg_attrs a = {0};
    a.ALPHA = alpha;
    return tg__apply2(TG_OP_leaky_relu_backward, g, x, &a);
}
