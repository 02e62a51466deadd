/* exp, log, log1p, expm1 (SLEEF u10: at most 1.0 ulp in both dtypes).
 * VJPs:  exp: g y        log: g / x
 *        log1p: g / (1 + x)      expm1: g (y + 1)
 * All four are smooth on their domains; log(0) = -Inf, log(x<0) = NaN.
 * Kernels: ops/kern_math.h. */
#include "ops/ew.h"

static void exp_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                    tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_mul(gy, n->out);
}
static void log_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                    tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_div(gy, n->in[0]);
}
static void log1p_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                      const bool *need, tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_div(gy, tg_add_scalar(n->in[0], 1.0));
}
/* e^x = y + 1 reuses the output; exact enough since y + 1 only rounds
 * where e^x itself is near 1. */
static void expm1_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                      const bool *need, tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_mul(gy, tg_add_scalar(n->out, 1.0));
}

static tg_status exp_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_exp, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(exp,
    .n_inputs = 1,
    .forward = exp_fwd,
    .vjp = exp_vjp,
    .cases = "exp(x) | x=3x4; exp(2*x) | x=7");
tg_tensor *tg_exp(tg_tensor *x) { return tg__apply1(TG_OP_exp, x, NULL); }

static tg_status log_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_log, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(log,
    .n_inputs = 1,
    .forward = log_fwd,
    .vjp = log_vjp,
    .cases = "log(x*x + 0.5) | x=3x4; log(x + 2) | x=7");
tg_tensor *tg_log(tg_tensor *x) { return tg__apply1(TG_OP_log, x, NULL); }

static tg_status log1p_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_log1p, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(log1p,
    .n_inputs = 1,
    .forward = log1p_fwd,
    .vjp = log1p_vjp,
    .cases = "log1p(x * 0.9) | x=3x4; log1p(x*x) | x=5");
tg_tensor *tg_log1p(tg_tensor *x) { return tg__apply1(TG_OP_log1p, x, NULL); }

static tg_status expm1_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_expm1, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(expm1,
    .n_inputs = 1,
    .forward = expm1_fwd,
    .vjp = expm1_vjp,
    .cases = "expm1(x) | x=3x4; expm1(3*x) | x=5");
tg_tensor *tg_expm1(tg_tensor *x) { return tg__apply1(TG_OP_expm1, x, NULL); }
