/* softplus and its fused backward kernel (PyTorch's definition, with the
 * linear branch):
 *   softplus(x, beta, thr)        = beta x > thr ? x
 *                                 : (max(z, 0) + log1p(e^-|z|)) / beta,  z = beta x
 *   softplus_backward(g, x, b, t) = beta x > thr ? g : g sigmoid(beta x)
 * The split form never overflows e^z. f32 is evaluated in double and
 * rounded once (z = beta x is then exact to 2^-53, where a float product
 * would move e^z by |z| half-ulps).
 * VJPs:  softplus: softplus_backward(g, x, beta, thr)
 *        softplus_backward: dg = softplus_backward(h, x, beta, thr),
 *          dx = h g beta s (1 - s) on the sigmoid branch (s = sigmoid(z)),
 *          0 on the linear one (a constant mask). */
#include "ops/ew.h"

#include <stdio.h>

#define BETA f[0]
#define THRESHOLD f[1]

static tg_status softplus_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    double beta = n->attr.BETA, thr = n->attr.THRESHOLD;
    tg_status st = tg__ew_need_finite(g, n, "beta", beta);
    if (st != TG_OK) return st;
    if (!(beta > 0))
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "beta must be > 0 (got %g); hint: softplus "
                           "divides by beta",
                           beta);
    if (isnan(thr))
        return tg__op_fail(g, n, TG_ERR_ARG, "threshold is NaN");
    return n->n_in == 1 ? tg_shape_same(g, n, out)
                        : tg_shape_broadcast(g, n, out);
}

static tg_status softplus_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_softplus,
                          (tg_kp){n->attr.BETA, n->attr.THRESHOLD, 0});
}
static tg_status softplus_bw_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_binary_run(n, TG_KB_softplus_backward,
                             (tg_kp){n->attr.BETA, n->attr.THRESHOLD, 0});
}

static void softplus_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                         const bool *need, tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_softplus_backward(gy, n->in[0], n->attr.BETA,
                                 n->attr.THRESHOLD);
}
static void softplus_bw_vjp(tg_graph *g, tg_node *n, tg_tensor *h,
                            const bool *need, tg_tensor **gx)
{
    double beta = n->attr.BETA, thr = n->attr.THRESHOLD;
    tg_tensor *gin = n->in[0], *x = n->in[1];
    if (need[0]) gx[0] = tg_softplus_backward(h, x, beta, thr);
    if (need[1]) {
        tg_tensor *m = tg__ew_map_const(g, n, x, TG_KM_softplus_mask,
                                        (tg_kp){beta, thr, 0});
        tg_tensor *s = tg_sigmoid(tg_mul_scalar(x, beta));
        tg_tensor *d = tg_sigmoid_backward(tg_mul(h, gin), s);
        gx[1] = tg_mul(tg_mul_scalar(d, beta), m);
    }
}

TG_BUILTIN_OP(softplus,
    .n_inputs = 1,
    .attrs = {{"beta", TG_ATTR_REAL, 1}, {"threshold", TG_ATTR_REAL, 20}},
    .shape = softplus_shape,
    .forward = softplus_fwd,
    .vjp = softplus_vjp,
    .cases = "softplus(x, beta=1, threshold=20) | x=3x4; "
        "softplus(4*x, beta=2, threshold=20) | x=7");
TG_BUILTIN_OP(softplus_backward,
    .n_inputs = 2,
    .attrs = {{"beta", TG_ATTR_REAL, 1}, {"threshold", TG_ATTR_REAL, 20}},
    .shape = softplus_shape,
    .forward = softplus_bw_fwd,
    .vjp = softplus_bw_vjp,
    .cases = "softplus_backward(g, x, beta=1, threshold=20) | g=3x4 x=3x4; "
        "softplus_backward(g, 3*x, beta=0.5, threshold=20) | g=4 x=3x4");

tg_tensor *tg_softplus(tg_tensor *x, double beta, double threshold)
{
    tg_attrs a = {0};
    a.BETA = beta;
    a.THRESHOLD = threshold;
    return tg__apply1(TG_OP_softplus, x, &a);
}
tg_tensor *tg_softplus_backward(tg_tensor *g, tg_tensor *x, double beta,
                                double threshold)
{
    tg_attrs a = {0};
    a.BETA = beta;
    a.THRESHOLD = threshold;
    return tg__apply2(TG_OP_softplus_backward, g, x, &a);
}
