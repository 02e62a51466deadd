/* softplus and its fused backward kernel (PyTorch's definition, with the
 * linear branch):
 *   softplus(x, beta, thr)        = beta x > thr ? x
 *                                 : (max(z, 0) + log1p(e^-|z|)) / beta,  z = beta x
 *   softplus_backward(g, x, b, t) = beta x > thr ? g : g sigmoid(beta x)
 * The split form never overflows e^z. f32 is evaluated in double and
 * rounded once (z = beta x is then exact to 2^-53, where a float product
 * would move e^z by |z| half-ulps).
 * VJPs:  softplus: softplus_backward(g, x, beta, thr)
 *        softplus_backward: dg = softplus_backward(h, x, beta, thr),
 *          dx = h g beta s (1 - s) on the sigmoid branch (s = sigmoid(z)),
 *          0 on the linear one (a constant mask). */
#include "ops/ew.h"

#include <stdio.h>

#define BETA f[0]
#define THRESHOLD f[1]

#define SOFTPLUS_HELPERS(I)                                                 \
    TG_TARGET_##I static inline TG_VD(I) softplusd_##I(TG_VD(I) x,          \
                                                       double beta,         \
                                                       double thr)          \
    {                                                                       \
        TG_VD(I) z = TG_MULD(I, x, TG_SET1D(I, beta));                      \
        TG_VD(I) e = TG_SLEEF_D(I, exp, u10)(TG_NEGD(I, TG_ABSD(I, z)));    \
        TG_VD(I) s = TG_ADDD(I, TG_MAXD(I, z, TG_ZEROD(I)),                 \
                             TG_SLEEF_D(I, log1p, u10)(e));                 \
        s = TG_DIVD(I, s, TG_SET1D(I, beta));                               \
        return TG_BLENDD(I, TG_CMPD(I, z, gt, TG_SET1D(I, thr)), x, s);     \
    }                                                                       \
    TG_TARGET_##I static inline TG_VD(I) softplus_bwd_##I(                  \
        TG_VD(I) g, TG_VD(I) x, double beta, double thr)                    \
    {                                                                       \
        TG_VD(I) one = TG_SET1D(I, 1.0);                                    \
        TG_VD(I) z = TG_MULD(I, x, TG_SET1D(I, beta));                      \
        TG_VD(I) e = TG_SLEEF_D(I, exp, u10)(TG_NEGD(I, TG_ABSD(I, z)));    \
        TG_VD(I) s = TG_DIVD(I,                                             \
                             TG_BLENDD(I, TG_CMPD(I, z, ge, TG_ZEROD(I)),   \
                                       one, e),                             \
                             TG_ADDD(I, one, e));                           \
        return TG_MULD(I, g,                                                \
                       TG_BLENDD(I, TG_CMPD(I, z, gt, TG_SET1D(I, thr)),    \
                                 one, s));                                  \
    }                                                                       \
    /* 1 on the sigmoid branch (beta x <= thr or NaN), 0 on the linear */   \
    TG_TARGET_##I static inline TG_VD(I) softplus_mask_##I(                 \
        TG_VD(I) x, double beta, double thr)                                \
    {                                                                       \
        TG_VD(I) z = TG_MULD(I, x, TG_SET1D(I, beta));                      \
        return TG_BLENDD(I, TG_CMPD(I, z, gt, TG_SET1D(I, thr)),            \
                         TG_ZEROD(I), TG_SET1D(I, 1.0));                    \
    }
TG_EW_FOR_ISAS(SOFTPLUS_HELPERS)

#define SOFTPLUS_VD(I, v, b, t, p2) softplusd_##I(v, b, t)
#define SOFTPLUS_BW_VD(I, g, x, b, t, p2) softplus_bwd_##I(g, x, b, t)
#define SOFTPLUS_MASK_VD(I, v, b, t, p2) softplus_mask_##I(v, b, t)
TG_SIMD_MAP_WIDE(softplus, SOFTPLUS_VD)
TG_SIMD_MAP_WIDE(softplus_mask, SOFTPLUS_MASK_VD)
TG_SIMD_BIN_WIDE(softplus_backward, SOFTPLUS_BW_VD)
TG_VEC_MAP2(softplus)

void tg_vec_softplus_backward_f32(int64_t n, float *y, const float *g,
                                  int64_t sg, const float *x, int64_t sx,
                                  double beta, double threshold)
{
    softplus_backward_b32[tg__isa()](n, y, g, sg, x, sx, beta, threshold, 0);
}
void tg_vec_softplus_backward_f64(int64_t n, double *y, const double *g,
                                  int64_t sg, const double *x, int64_t sx,
                                  double beta, double threshold)
{
    softplus_backward_b64[tg__isa()](n, y, g, sg, x, sx, beta, threshold, 0);
}

static tg_status softplus_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    double beta = n->attr.BETA, thr = n->attr.THRESHOLD;
    tg_status st = tg__ew_need_finite(g, n, "beta", beta);
    if (st != TG_OK) return st;
    if (!(beta > 0))
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "beta must be > 0 (got %g); hint: softplus "
                           "divides by beta",
                           beta);
    if (isnan(thr))
        return tg__op_fail(g, n, TG_ERR_ARG, "threshold is NaN");
    return n->n_in == 1 ? tg_shape_same(g, n, out)
                        : tg_shape_broadcast(g, n, out);
}

static tg_status softplus_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, softplus_k32, softplus_k64, n->attr.BETA,
                          n->attr.THRESHOLD, 0);
}
static tg_status softplus_bw_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_binary_run(n, softplus_backward_b32, softplus_backward_b64,
                             n->attr.BETA, n->attr.THRESHOLD, 0);
}

static void softplus_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                         const bool *need, tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_softplus_backward(gy, n->in[0], n->attr.BETA,
                                 n->attr.THRESHOLD);
}
static void softplus_bw_vjp(tg_graph *g, tg_node *n, tg_tensor *h,
                            const bool *need, tg_tensor **gx)
{
    double beta = n->attr.BETA, thr = n->attr.THRESHOLD;
    tg_tensor *gin = n->in[0], *x = n->in[1];
    if (need[0]) gx[0] = tg_softplus_backward(h, x, beta, thr);
    if (need[1]) {
        tg_tensor *m = tg__ew_map_const(g, n, x, softplus_mask_k32,
                                        softplus_mask_k64, beta, thr, 0);
        tg_tensor *s = tg_sigmoid(tg_mul_scalar(x, beta));
        tg_tensor *d = tg_sigmoid_backward(tg_mul(h, gin), s);
        gx[1] = tg_mul(tg_mul_scalar(d, beta), m);
    }
}

TG_BUILTIN_OP(softplus,
    .n_inputs = 1,
    .attrs = {{"beta", TG_ATTR_REAL, 1}, {"threshold", TG_ATTR_REAL, 20}},
    .shape = softplus_shape,
    .forward = softplus_fwd,
    .vjp = softplus_vjp,
    .cases = "softplus(x, beta=1, threshold=20) | x=3x4; "
        "softplus(4*x, beta=2, threshold=20) | x=7");
TG_BUILTIN_OP(softplus_backward,
    .n_inputs = 2,
    .attrs = {{"beta", TG_ATTR_REAL, 1}, {"threshold", TG_ATTR_REAL, 20}},
    .shape = softplus_shape,
    .forward = softplus_bw_fwd,
    .vjp = softplus_bw_vjp,
    .cases = "softplus_backward(g, x, beta=1, threshold=20) | g=3x4 x=3x4; "
        "softplus_backward(g, 3*x, beta=0.5, threshold=20) | g=4 x=3x4");

tg_tensor *tg_softplus(tg_tensor *x, double beta, double threshold)
{
    tg_attrs a = {0};
    a.BETA = beta;
    a.THRESHOLD = threshold;
    return tg__apply1(TG_OP_softplus, x, &a);
}
tg_tensor *tg_softplus_backward(tg_tensor *g, tg_tensor *x, double beta,
                                double threshold)
{
    tg_attrs a = {0};
    a.BETA = beta;
    a.THRESHOLD = threshold;
    return tg__apply2(TG_OP_softplus_backward, g, x, &a);
}
