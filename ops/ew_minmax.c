/* maximum(a, b), minimum(a, b) with broadcasting; NaN in either operand
 * gives NaN (PyTorch), which the plain max/min instructions do not do on
 * their own: they return the second operand when one is NaN, so a NaN `a`
 * is selected explicitly.
 * VJP: da = g w, db = g (1 - w) with w = 1 where a wins, 0 where b wins
 * and 1/2 on ties (PyTorch splits the gradient of a tie evenly). w is
 * piecewise constant: a constant of the backward graph. */
#include "ops/ew.h"

#define MAX_VF(I, a, b, p0, p1, p2)                                         \
    TG_BLENDF(I, TG_CMPF(I, a, unord, a), a, TG_MAXF(I, a, b))
#define MAX_VD(I, a, b, p0, p1, p2)                                         \
    TG_BLENDD(I, TG_CMPD(I, a, unord, a), a, TG_MAXD(I, a, b))
#define MIN_VF(I, a, b, p0, p1, p2)                                         \
    TG_BLENDF(I, TG_CMPF(I, a, unord, a), a, TG_MINF(I, a, b))
#define MIN_VD(I, a, b, p0, p1, p2)                                         \
    TG_BLENDD(I, TG_CMPD(I, a, unord, a), a, TG_MIND(I, a, b))
TG_SIMD_BIN(maximum, MAX_VF, MAX_VD)
TG_SIMD_BIN(minimum, MIN_VF, MIN_VD)
TG_VEC_BIN0(maximum)
TG_VEC_BIN0(minimum)

/* weight of a: 1 if a OP b, 1/2 if a == b, else 0 */
#define WEIGHT_VF(I, a, b, OP)                                              \
    TG_BLENDF(I, TG_CMPF(I, a, OP, b), TG_SET1F(I, 1.0f),                   \
              TG_BLENDF(I, TG_CMPF(I, a, eq, b), TG_SET1F(I, 0.5f),         \
                        TG_ZEROF(I)))
#define WEIGHT_VD(I, a, b, OP)                                              \
    TG_BLENDD(I, TG_CMPD(I, a, OP, b), TG_SET1D(I, 1.0),                    \
              TG_BLENDD(I, TG_CMPD(I, a, eq, b), TG_SET1D(I, 0.5),          \
                        TG_ZEROD(I)))
#define WMAX_VF(I, a, b, p0, p1, p2) WEIGHT_VF(I, a, b, gt)
#define WMAX_VD(I, a, b, p0, p1, p2) WEIGHT_VD(I, a, b, gt)
#define WMIN_VF(I, a, b, p0, p1, p2) WEIGHT_VF(I, a, b, lt)
#define WMIN_VD(I, a, b, p0, p1, p2) WEIGHT_VD(I, a, b, lt)
TG_SIMD_BIN(wmax, WMAX_VF, WMAX_VD)
TG_SIMD_BIN(wmin, WMIN_VF, WMIN_VD)

static void split(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                  tg_tensor **gx, const tg_bin2_f32_fn *kf,
                  const tg_bin2_f64_fn *kd)
{
    tg_tensor *w = tg__ew_binary_const(g, n, kf, kd, 0, 0, 0);
    tg_tensor *ga = tg_mul(gy, w);
    if (need[0]) gx[0] = ga;
    if (need[1]) gx[1] = tg_sub(gy, ga);
}

static void maximum_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                        const bool *need, tg_tensor **gx)
{
    split(g, n, gy, need, gx, wmax_b32, wmax_b64);
}
static void minimum_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                        const bool *need, tg_tensor **gx)
{
    split(g, n, gy, need, gx, wmin_b32, wmin_b64);
}

#define MM_CASES(op)                                                        \
    #op "(a, b) | a=3x4 b=3x4; " #op "(a, b) | a=3x1 b=1x4; " #op           \
        "(a, b) | a=2x3x4 b=4; " #op "(a, b) | a=scalar b=2x3"

static tg_status maximum_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_binary_run(n, maximum_b32, maximum_b64, 0, 0, 0);
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
    return tg__ew_binary_run(n, minimum_b32, minimum_b64, 0, 0, 0);
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
