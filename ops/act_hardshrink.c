/* hardshrink(x, lambda) = |x| > lambda ? x : 0, lambda >= 0.
 * As PyTorch, x = ±lambda maps to 0 with gradient 0; NaN passes through.
 * VJP: g [|x| > lambda], a constant mask (piecewise constant). */
#include "ops/ew.h"

#include <stdio.h>

#define LAMBDA f[0]

#define HS_VF(I, v, la, p1, p2)                                             \
    TG_BLENDF(I, TG_CMPF(I, TG_ABSF(I, v), le, TG_SET1F(I, (float)(la))),   \
              TG_ZEROF(I), v)
#define HS_VD(I, v, la, p1, p2)                                             \
    TG_BLENDD(I, TG_CMPD(I, TG_ABSD(I, v), le, TG_SET1D(I, la)),            \
              TG_ZEROD(I), v)
#define HS_MASK_VF(I, v, la, p1, p2)                                        \
    TG_BLENDF(I, TG_CMPF(I, TG_ABSF(I, v), le, TG_SET1F(I, (float)(la))),   \
              TG_ZEROF(I), TG_SET1F(I, 1.0f))
#define HS_MASK_VD(I, v, la, p1, p2)                                        \
    TG_BLENDD(I, TG_CMPD(I, TG_ABSD(I, v), le, TG_SET1D(I, la)),            \
              TG_ZEROD(I), TG_SET1D(I, 1.0))
TG_SIMD_MAP(hardshrink, HS_VF, HS_VD)
TG_SIMD_MAP(hardshrink_mask, HS_MASK_VF, HS_MASK_VD)
TG_VEC_MAP1(hardshrink)

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
    return tg__ew_map_run(n, hardshrink_k32, hardshrink_k64, n->attr.LAMBDA,
                          0, 0);
}
static void hardshrink_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                           const bool *need, tg_tensor **gx)
{
    (void)need;
    tg_tensor *m = tg__ew_map_const(g, n, n->in[0], hardshrink_mask_k32,
                                    hardshrink_mask_k64, n->attr.LAMBDA, 0, 0);
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
