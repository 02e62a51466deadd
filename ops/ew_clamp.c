/* clamp(x, min, max) = min(max(x, min), max).
 * VJP: g where min <= x <= max, else 0 (PyTorch: the boundaries pass the
 * gradient). The mask is piecewise constant, so it is a constant of the
 * backward graph. NaN x gives NaN (max/min with x as the NaN-carrying
 * operand) and a gradient of g (NaN is not outside the range). */
#include "ops/ew.h"

#include <stdio.h>

#define MIN_ATTR f[0]
#define MAX_ATTR f[1]

static tg_status clamp_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    double lo = n->attr.MIN_ATTR, hi = n->attr.MAX_ATTR;
    if (isnan(lo) || isnan(hi))
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "bounds must not be NaN (min %g, max %g); hint: "
                           "use -INFINITY or INFINITY for an open side",
                           lo, hi);
    if (lo == -INFINITY && hi == INFINITY)
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "at least one bound is needed (min -inf, max "
                           "inf); hint: give min, max or both, as "
                           "torch.clamp requires");
    if (lo > hi)
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "min %g > max %g; hint: pass the lower bound "
                           "first",
                           lo, hi);
    return tg_shape_same(g, n, out);
}

static tg_status clamp_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_clamp,
                          (tg_kp){n->attr.MIN_ATTR, n->attr.MAX_ATTR, 0});
}

static void clamp_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                      const bool *need, tg_tensor **gx)
{
    (void)need;
    tg_tensor *m = tg__ew_map_const(g, n, n->in[0], TG_KM_clamp_mask,
                                    (tg_kp){n->attr.MIN_ATTR, n->attr.MAX_ATTR, 0});
    gx[0] = tg_mul(gy, m);
}

TG_BUILTIN_OP(clamp,
    .n_inputs = 1,
    .flags = TG_OPF_NONSMOOTH,
    .attrs = {{"min", TG_ATTR_REAL, -INFINITY},
              {"max", TG_ATTR_REAL, INFINITY}},
    .shape = clamp_shape,
    .forward = clamp_fwd,
    .vjp = clamp_vjp,
    .cases = "clamp(x, min=-0.5, max=0.5) | x=3x4; clamp(2*x, min=-1, max=3) | x=7");

tg_tensor *tg_clamp(tg_tensor *x, double min, double max)
{
    tg_attrs a = {0};
    a.MIN_ATTR = min;
    a.MAX_ATTR = max;
    return tg__apply1(TG_OP_clamp, x, &a);
}
