/* hardshrink(x, lambda) = |x| > lambda ? x : 0, lambda >= 0.
 * As PyTorch, x = ±lambda maps to 0 with gradient 0; NaN passes through.
 * VJP: g [|x| > lambda], a constant mask (piecewise constant). */
#include "ops/ew.h"

#include <stdio.h>

#define LAMBDA f[0]

static tg_status hardshrink_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    double la = n->attr.LAMBDA;
    if (!(la >= 0))
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "lambda must be >= 0 (got %g)", la);
    return tg_shape_same(g, n, out);
}
static tg_status hardshrink_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_hardshrink, (tg_kp){n->attr.LAMBDA, 0, 0});
}
static void hardshrink_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                           const bool *need, tg_tensor **gx)
{
    (void)need;
    tg_tensor *m = tg__ew_map_const(g, n, n->in[0], TG_KM_hardshrink_mask,
                                    (tg_kp){n->attr.LAMBDA, 0, 0});
    gx[0] = tg_mul(gy, m);
}
TG_BUILTIN_OP(hardshrink,
    .n_inputs = 1,
    .flags = TG_OPF_NONSMOOTH,
    .attrs = {{"lambda", TG_ATTR_REAL, 0.5}},
    .shape = hardshrink_shape,
    .forward = hardshrink_fwd,
    .vjp = hardshrink_vjp,
    .cases = "hardshrink(x, lambda=0.5) | x=3x4; hardshrink(2*x, lambda=0.3) | x=7");

tg_tensor *tg_hardshrink(tg_tensor *x, double lambda)
{
    tg_attrs a = {0};
    a.LAMBDA = lambda;
    return tg__apply1(TG_OP_hardshrink, x, &a);
}
