/* abs, sqrt, rsqrt, square, reciprocal.
 * VJPs:  abs: g sign(x) (sign(0) = 0, so abs'(0) = 0 as in PyTorch)
 *        sqrt: g / (2 y)            rsqrt: -g y / (2 x)
 *        square: 2 g x              reciprocal: -g y^2
 * abs, sqrt, square and reciprocal are single IEEE operations (correctly
 * rounded); rsqrt for f32 is computed in double and rounded once. */
#include "ops/ew.h"

static void abs_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                    tg_tensor **gx)
{
    (void)need;
    tg_tensor *s = tg__ew_map_const(g, n, n->in[0], TG_KM_sign, (tg_kp){0, 0, 0});
    gx[0] = tg_mul(gy, s);
}
static void sqrt_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                     tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_div(tg_mul_scalar(gy, 0.5), n->out);
}
/* d/dx x^(-1/2) = -y / (2x): stays finite where y^3 would overflow. */
static void rsqrt_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                      tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_mul_scalar(tg_div(tg_mul(gy, n->out), n->in[0]), -0.5);
}
static void square_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                       const bool *need, tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_mul_scalar(tg_mul(gy, n->in[0]), 2.0);
}
static void reciprocal_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                           const bool *need, tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_neg(tg_mul(gy, tg_mul(n->out, n->out)));
}

static tg_status abs_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_abs, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(abs,
    .n_inputs = 1,
    .flags = TG_OPF_NONSMOOTH,
    .forward = abs_fwd,
    .vjp = abs_vjp,
    .cases = "abs(x) | x=3x4; abs(x - 0.5) | x=7");
tg_tensor *tg_abs(tg_tensor *x) { return tg__apply1(TG_OP_abs, x, NULL); }

static tg_status sqrt_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_sqrt, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(sqrt,
    .n_inputs = 1,
    .forward = sqrt_fwd,
    .vjp = sqrt_vjp,
    .cases = "sqrt(x*x + 0.2) | x=3x4");
tg_tensor *tg_sqrt(tg_tensor *x) { return tg__apply1(TG_OP_sqrt, x, NULL); }

static tg_status rsqrt_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_rsqrt, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(rsqrt,
    .n_inputs = 1,
    .forward = rsqrt_fwd,
    .vjp = rsqrt_vjp,
    .cases = "rsqrt(x*x + 0.2) | x=3x4");
tg_tensor *tg_rsqrt(tg_tensor *x) { return tg__apply1(TG_OP_rsqrt, x, NULL); }

static tg_status square_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_square, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(square,
    .n_inputs = 1,
    .forward = square_fwd,
    .vjp = square_vjp,
    .cases = "square(x) | x=3x4; square(x) | x=scalar");
tg_tensor *tg_square(tg_tensor *x) { return tg__apply1(TG_OP_square, x, NULL); }

static tg_status reciprocal_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_reciprocal, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(reciprocal,
    .n_inputs = 1,
    .forward = reciprocal_fwd,
    .vjp = reciprocal_vjp,
    .cases = "reciprocal(x*x + 0.5) | x=3x4; reciprocal(x - 2) | x=5");
tg_tensor *tg_reciprocal(tg_tensor *x) { return tg__apply1(TG_OP_reciprocal, x, NULL); }
