/* sin, cos, erf (SLEEF u10; sin and cos keep 1 ulp over the whole float
 * range thanks to SLEEF's Payne-Hanek reduction).
 * VJPs:  sin: g cos x     cos: -g sin x     erf: g 2/sqrt(pi) e^(-x^2) */
#include "ops/ew.h"

static void sin_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                    tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_mul(gy, tg_cos(n->in[0]));
}
static void cos_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                    tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_neg(tg_mul(gy, tg_sin(n->in[0])));
}
static void erf_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                    tg_tensor **gx)
{
    (void)g, (void)need;
    const double two_over_sqrt_pi = 1.1283791670955125739;
    tg_tensor *d = tg_exp(tg_neg(tg_square(n->in[0])));
    gx[0] = tg_mul(gy, tg_mul_scalar(d, two_over_sqrt_pi));
}

static tg_status sin_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_sin, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(sin,
    .n_inputs = 1,
    .forward = sin_fwd,
    .vjp = sin_vjp,
    .cases = "sin(x) | x=3x4; sin(4*x) | x=7");
tg_tensor *tg_sin(tg_tensor *x) { return tg__apply1(TG_OP_sin, x, NULL); }

static tg_status cos_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_cos, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(cos,
    .n_inputs = 1,
    .forward = cos_fwd,
    .vjp = cos_vjp,
    .cases = "cos(x) | x=3x4; cos(4*x) | x=7");
tg_tensor *tg_cos(tg_tensor *x) { return tg__apply1(TG_OP_cos, x, NULL); }

static tg_status erf_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_erf, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(erf,
    .n_inputs = 1,
    .forward = erf_fwd,
    .vjp = erf_vjp,
    .cases = "erf(x) | x=3x4; erf(2*x) | x=7");
tg_tensor *tg_erf(tg_tensor *x) { return tg__apply1(TG_OP_erf, x, NULL); }
