/* exp, log, log1p, expm1 (SLEEF u10: at most 1.0 ulp in both dtypes).
 * VJPs:  exp: g y        log: g / x
 *        log1p: g / (1 + x)      expm1: g (y + 1)
 * All four are smooth on their domains; log(0) = -Inf, log(x<0) = NaN. */
#include "ops/ew.h"

#define EXP_VF(I, v, p0, p1, p2) TG_SLEEF_F(I, exp, u10)(v)
#define EXP_VD(I, v, p0, p1, p2) TG_SLEEF_D(I, exp, u10)(v)
#define LOG_VF(I, v, p0, p1, p2) TG_SLEEF_F(I, log, u10)(v)
#define LOG_VD(I, v, p0, p1, p2) TG_SLEEF_D(I, log, u10)(v)
/* SLEEF's log1p overflows internally near the top of the range (it
 * returns Inf for x = FLT_MAX); there log1p(x) = log(x) to the last bit. */
#define LOG1P_VF(I, v, p0, p1, p2)                                          \
    TG_BLENDF(I, TG_CMPF(I, v, gt, TG_SET1F(I, 1e30f)),                     \
              TG_SLEEF_F(I, log, u10)(v), TG_SLEEF_F(I, log1p, u10)(v))
#define LOG1P_VD(I, v, p0, p1, p2)                                          \
    TG_BLENDD(I, TG_CMPD(I, v, gt, TG_SET1D(I, 1e300)),                     \
              TG_SLEEF_D(I, log, u10)(v), TG_SLEEF_D(I, log1p, u10)(v))
#define EXPM1_VF(I, v, p0, p1, p2) TG_SLEEF_F(I, expm1, u10)(v)
#define EXPM1_VD(I, v, p0, p1, p2) TG_SLEEF_D(I, expm1, u10)(v)
TG_SIMD_MAP(exp, EXP_VF, EXP_VD)
TG_SIMD_MAP(log, LOG_VF, LOG_VD)
TG_SIMD_MAP(log1p, LOG1P_VF, LOG1P_VD)
TG_SIMD_MAP(expm1, EXPM1_VF, EXPM1_VD)
TG_VEC_MAP0(exp)
TG_VEC_MAP0(log)
TG_VEC_MAP0(log1p)
TG_VEC_MAP0(expm1)

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
    return tg__ew_map_run(n, exp_k32, exp_k64, 0, 0, 0);
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
    return tg__ew_map_run(n, log_k32, log_k64, 0, 0, 0);
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
    return tg__ew_map_run(n, log1p_k32, log1p_k64, 0, 0, 0);
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
    return tg__ew_map_run(n, expm1_k32, expm1_k64, 0, 0, 0);
}
TG_BUILTIN_OP(expm1,
    .n_inputs = 1,
    .forward = expm1_fwd,
    .vjp = expm1_vjp,
    .cases = "expm1(x) | x=3x4; expm1(3*x) | x=5");
tg_tensor *tg_expm1(tg_tensor *x) { return tg__apply1(TG_OP_expm1, x, NULL); }
