/* abs, sqrt, rsqrt, square, reciprocal.
 * VJPs:  abs: g sign(x) (sign(0) = 0, so abs'(0) = 0 as in PyTorch)
 *        sqrt: g / (2 y)            rsqrt: -g y / (2 x)
 *        square: 2 g x              reciprocal: -g y^2
 * abs, sqrt, square and reciprocal are single IEEE operations (correctly
 * rounded); rsqrt for f32 is computed in double and rounded once. */
#include "ops/ew.h"

#define ABS_VF(I, v, p0, p1, p2) TG_ABSF(I, v)
#define ABS_VD(I, v, p0, p1, p2) TG_ABSD(I, v)
/* sign(x) in {-1, 0, 1}, NaN stays NaN (so abs' carries NaN through). */
#define SIGN_VF(I, v, p0, p1, p2)                                           \
    TG_BLENDF(I, TG_CMPF(I, v, gt, TG_ZEROF(I)), TG_SET1F(I, 1.0f),         \
              TG_BLENDF(I, TG_CMPF(I, v, lt, TG_ZEROF(I)),                  \
                        TG_SET1F(I, -1.0f), v))
#define SIGN_VD(I, v, p0, p1, p2)                                           \
    TG_BLENDD(I, TG_CMPD(I, v, gt, TG_ZEROD(I)), TG_SET1D(I, 1.0),          \
              TG_BLENDD(I, TG_CMPD(I, v, lt, TG_ZEROD(I)),                  \
                        TG_SET1D(I, -1.0), v))
#define SQRT_VF(I, v, p0, p1, p2) TG_SQRTF(I, v)
#define SQRT_VD(I, v, p0, p1, p2) TG_SQRTD(I, v)
#define RSQRT_VD(I, v, p0, p1, p2) TG_DIVD(I, TG_SET1D(I, 1.0), TG_SQRTD(I, v))
#define SQUARE_VF(I, v, p0, p1, p2) TG_MULF(I, v, v)
#define SQUARE_VD(I, v, p0, p1, p2) TG_MULD(I, v, v)
#define RECIP_VF(I, v, p0, p1, p2) TG_DIVF(I, TG_SET1F(I, 1.0f), v)
#define RECIP_VD(I, v, p0, p1, p2) TG_DIVD(I, TG_SET1D(I, 1.0), v)

TG_SIMD_MAP(abs, ABS_VF, ABS_VD)
TG_SIMD_MAP(sign, SIGN_VF, SIGN_VD)
TG_SIMD_MAP(sqrt, SQRT_VF, SQRT_VD)
TG_SIMD_MAP_WIDE(rsqrt, RSQRT_VD)
TG_SIMD_MAP(square, SQUARE_VF, SQUARE_VD)
TG_SIMD_MAP(reciprocal, RECIP_VF, RECIP_VD)
TG_VEC_MAP0(abs)
TG_VEC_MAP0(sqrt)
TG_VEC_MAP0(rsqrt)
TG_VEC_MAP0(square)
TG_VEC_MAP0(reciprocal)

static void abs_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                    tg_tensor **gx)
{
    (void)need;
    tg_tensor *s = tg__ew_map_const(g, n, n->in[0], sign_k32, sign_k64, 0, 0, 0);
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
    return tg__ew_map_run(n, abs_k32, abs_k64, 0, 0, 0);
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
    return tg__ew_map_run(n, sqrt_k32, sqrt_k64, 0, 0, 0);
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
    return tg__ew_map_run(n, rsqrt_k32, rsqrt_k64, 0, 0, 0);
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
    return tg__ew_map_run(n, square_k32, square_k64, 0, 0, 0);
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
    return tg__ew_map_run(n, reciprocal_k32, reciprocal_k64, 0, 0, 0);
}
TG_BUILTIN_OP(reciprocal,
    .n_inputs = 1,
    .forward = reciprocal_fwd,
    .vjp = reciprocal_vjp,
    .cases = "reciprocal(x*x + 0.5) | x=3x4; reciprocal(x - 2) | x=5");
tg_tensor *tg_reciprocal(tg_tensor *x) { return tg__apply1(TG_OP_reciprocal, x, NULL); }
