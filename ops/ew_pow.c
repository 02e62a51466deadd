/* pow(a, b) with broadcasting and pow_scalar(x, p) (SLEEF pow, 1 ulp).
 * VJPs:  pow:  da = g b a^(b-1),  db = g y log a
 *        pow_scalar: dx = g p x^(p-1); p = 0 has no gradient (y is 1),
 *        p = 1 passes g through.
 * IEEE/C99 pow special cases hold (pow(x, 0) = 1 even for NaN x,
 * pow(-8, 1/3) = NaN, pow(-2, 3) = -8). */
#include "ops/ew.h"

#define P_ATTR f[0] /* pow_scalar: the exponent p */

static void pow_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                    tg_tensor **gx)
{
    (void)g;
    tg_tensor *a = n->in[0], *b = n->in[1];
    if (need[0]) gx[0] = tg_mul(gy, tg_mul(b, tg_pow(a, tg_add_scalar(b, -1.0))));
    if (need[1]) gx[1] = tg_mul(gy, tg_mul(n->out, tg_log(a)));
}

static tg_status pow_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_binary_run(n, TG_KB_pow, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(pow,
    .n_inputs = 2,
    .shape = tg_shape_broadcast,
    .forward = pow_fwd,
    .vjp = pow_vjp,
    .cases = "pow(a*a + 0.5, b) | a=3x4 b=3x4; pow(a*a + 0.5, b) | a=3x1 "
        "b=1x4; pow(a + 2, b * 3) | a=2x3x4 b=4; pow(a*a + 1, b) | "
        "a=scalar b=2x3");
tg_tensor *tg_pow(tg_tensor *a, tg_tensor *b)
{
    return tg__apply2(TG_OP_pow, a, b, NULL);
}

static tg_status pow_scalar_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_pow_scalar, (tg_kp){n->attr.P_ATTR, 0, 0});
}

static void pow_scalar_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                           const bool *need, tg_tensor **gx)
{
    (void)g, (void)need;
    double p = n->attr.P_ATTR;
    if (p == 0) return; /* constant output: zero gradient */
    if (p == 1) {
        gx[0] = gy;
        return;
    }
    gx[0] = tg_mul(gy, tg_mul_scalar(tg_pow_scalar(n->in[0], p - 1), p));
}

static tg_status pow_scalar_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    if (isnan(n->attr.P_ATTR))
        return tg__op_fail(g, n, TG_ERR_ARG, "exponent p is NaN");
    return tg_shape_same(g, n, out);
}

TG_BUILTIN_OP(pow_scalar,
    .n_inputs = 1,
    .attrs = {{"p", TG_ATTR_REAL, 0, true}},
    .shape = pow_scalar_shape,
    .forward = pow_scalar_fwd,
    .vjp = pow_scalar_vjp,
    .cases = "pow_scalar(x*x + 0.5, p=2.5) | x=3x4; pow_scalar(x, p=3) | x=7; "
        "pow_scalar(x + 2, p=-1.5) | x=5");

tg_tensor *tg_pow_scalar(tg_tensor *x, double p)
{
    tg_attrs a = {0};
    a.P_ATTR = p;
    return tg__apply1(TG_OP_pow_scalar, x, &a);
}
