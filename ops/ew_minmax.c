/* maximum(a, b), minimum(a, b) with broadcasting; NaN in either operand
 * gives NaN (PyTorch), which the plain max/min instructions do not do on
 * their own: they return the second operand when one is NaN, so a NaN `a`
 * is selected explicitly.
 * VJP: da = g w, db = g (1 - w) with w = 1 where a wins, 0 where b wins
 * and 1/2 on ties (PyTorch splits the gradient of a tie evenly). w is
 * piecewise constant: a constant of the backward graph. */
#include "ops/ew.h"

static void split(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                  tg_tensor **gx, tg_bin_kernel weight)
{
    tg_tensor *w = tg__ew_binary_const(g, n, weight, (tg_kp){0, 0, 0});
    tg_tensor *ga = tg_mul(gy, w);
    if (need[0]) gx[0] = ga;
    if (need[1]) gx[1] = tg_sub(gy, ga);
}

static void maximum_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                        const bool *need, tg_tensor **gx)
{
    split(g, n, gy, need, gx, TG_KB_wmax);
}
static void minimum_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                        const bool *need, tg_tensor **gx)
{
    split(g, n, gy, need, gx, TG_KB_wmin);
}

#define MM_CASES(op)                                                        \
    #op "(a, b) | a=3x4 b=3x4; " #op "(a, b) | a=3x1 b=1x4; " #op           \
        "(a, b) | a=2x3x4 b=4; " #op "(a, b) | a=scalar b=2x3"

static tg_status maximum_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_binary_run(n, TG_KB_maximum, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(maximum,
    .n_inputs = 2,
    .flags = TG_OPF_NONSMOOTH,
    .shape = tg_shape_broadcast,
    .forward = maximum_fwd,
    .vjp = maximum_vjp,
    .cases = MM_CASES(maximum));
tg_tensor *tg_maximum(tg_tensor *a, tg_tensor *b)
{
    return tg__apply2(TG_OP_maximum, a, b, NULL);
}

static tg_status minimum_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_binary_run(n, TG_KB_minimum, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(minimum,
    .n_inputs = 2,
    .flags = TG_OPF_NONSMOOTH,
    .shape = tg_shape_broadcast,
    .forward = minimum_fwd,
    .vjp = minimum_vjp,
    .cases = MM_CASES(minimum));
tg_tensor *tg_minimum(tg_tensor *a, tg_tensor *b)
{
    return tg__apply2(TG_OP_minimum, a, b, NULL);
}
