/* The ELU family and its fused backward kernel.
 *   elu(x, alpha)  = x > 0 ? x : alpha (e^x - 1)                alpha >= 0
 *   selu(x)        = SCALE (x > 0 ? x : A (e^x - 1))
 *   celu(x, alpha) = x > 0 ? x : alpha (e^(x/alpha) - 1)        alpha > 0
 *   elu_backward(g, x, alpha, scale, input_scale)
 *                  = x > 0 ? g scale : g scale alpha input_scale e^(x is)
 * The negative branch uses expm1, so it keeps full precision near 0; f32
 * is evaluated in double and rounded once (a product of the SELU
 * constants in float would already cost half an ulp).
 * Kink at 0 as PyTorch: the negative-branch slope (alpha for elu, SCALE A
 * for selu, 1 for celu).
 * VJPs:  elu/selu/celu: elu_backward(g, x, alpha, scale, input_scale)
 *        elu_backward: dg = elu_backward(h, x, ...),
 *                      dx = h g scale alpha is^2 e^(x is) where x <= 0
 *                         = elu_backward(h g, x, ...) * is * [x <= 0]. */
#include "ops/ew.h"

#include <stdio.h>

#define ALPHA f[0]
#define SCALE f[1]  /* elu_backward */
#define ISCALE f[2] /* elu_backward: input scale */

#define SELU_SCALE 1.0507009873554804934193349852946
#define SELU_ALPHA 1.6732632423543772848170429916717

/* scale * (x > 0 ? x : alpha * expm1(x * is)); for celu, x / alpha is a
 * division (not x * (1/alpha)) to match the definition exactly. */
#define ELU_HELPERS(I)                                                      \
    TG_TARGET_##I static inline TG_VD(I) elud_##I(TG_VD(I) x, double al,    \
                                                  double sc, double div)    \
    {                                                                       \
        TG_VD(I) z = TG_DIVD(I, x, TG_SET1D(I, div));                       \
        TG_VD(I) neg = TG_MULD(I, TG_SET1D(I, al),                          \
                               TG_SLEEF_D(I, expm1, u10)(z));               \
        TG_VD(I) r = TG_BLENDD(I, TG_CMPD(I, x, gt, TG_ZEROD(I)), x, neg);  \
        return sc == 1.0 ? r : TG_MULD(I, TG_SET1D(I, sc), r);              \
    }                                                                       \
    TG_TARGET_##I static inline TG_VD(I) elu_bwd_##I(TG_VD(I) g,            \
                                                     TG_VD(I) x, double c,  \
                                                     double sc, double is)  \
    {                                                                       \
        TG_VD(I) e = TG_SLEEF_D(I, exp, u10)(TG_MULD(I, x, TG_SET1D(I, is))); \
        TG_VD(I) d = TG_BLENDD(I, TG_CMPD(I, x, gt, TG_ZEROD(I)),           \
                               TG_SET1D(I, sc),                             \
                               TG_MULD(I, TG_SET1D(I, c), e));              \
        return TG_MULD(I, g, d);                                            \
    }                                                                       \
    /* 1 where x <= 0 (or NaN), else 0 */                                   \
    TG_TARGET_##I static inline TG_VD(I) nonpos_##I(TG_VD(I) x)             \
    {                                                                       \
        return TG_BLENDD(I, TG_CMPD(I, x, gt, TG_ZEROD(I)), TG_ZEROD(I),    \
                         TG_SET1D(I, 1.0));                                 \
    }
TG_EW_FOR_ISAS(ELU_HELPERS)

#define ELU_VD(I, v, al, p1, p2) elud_##I(v, al, 1.0, 1.0)
#define SELU_VD(I, v, p0, p1, p2) elud_##I(v, SELU_ALPHA, SELU_SCALE, 1.0)
#define CELU_VD(I, v, al, p1, p2) elud_##I(v, al, 1.0, al)
#define ELU_BW_VD(I, g, x, c, sc, is) elu_bwd_##I(g, x, c, sc, is)
#define NONPOS_VD(I, v, p0, p1, p2) nonpos_##I(v)
TG_SIMD_MAP_WIDE(elu, ELU_VD)
TG_SIMD_MAP_WIDE(selu, SELU_VD)
TG_SIMD_MAP_WIDE(celu, CELU_VD)
TG_SIMD_MAP_WIDE(nonpos, NONPOS_VD)
TG_SIMD_BIN_WIDE(elu_backward, ELU_BW_VD)
TG_VEC_MAP1(elu)
TG_VEC_MAP0(selu)
TG_VEC_MAP1(celu)

/* c = scale * alpha * input_scale, the slope factor of the negative side */
void tg_vec_elu_backward_f32(int64_t n, float *y, const float *g, int64_t sg,
                             const float *x, int64_t sx, double alpha,
                             double scale, double input_scale)
{
    elu_backward_b32[tg__isa()](n, y, g, sg, x, sx,
                                scale * alpha * input_scale, scale,
                                input_scale);
}
void tg_vec_elu_backward_f64(int64_t n, double *y, const double *g,
                             int64_t sg, const double *x, int64_t sx,
                             double alpha, double scale, double input_scale)
{
    elu_backward_b64[tg__isa()](n, y, g, sg, x, sx,
                                scale * alpha * input_scale, scale,
                                input_scale);
}

static tg_status elu_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    double al = n->attr.ALPHA;
    tg_status st = tg__ew_need_finite(g, n, "alpha", al);
    if (st != TG_OK) return st;
    if (al < 0)
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "alpha must be >= 0 (got %g); hint: the negative "
                           "side saturates at -alpha",
                           al);
    return tg_shape_same(g, n, out);
}
static tg_status celu_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    double al = n->attr.ALPHA;
    tg_status st = tg__ew_need_finite(g, n, "alpha", al);
    if (st != TG_OK) return st;
    if (!(al > 0))
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "alpha must be > 0 (got %g); hint: celu divides "
                           "x by alpha",
                           al);
    return tg_shape_same(g, n, out);
}
static tg_status elu_bw_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    tg_status st = tg__ew_need_finite(g, n, "alpha", n->attr.ALPHA);
    if (st == TG_OK) st = tg__ew_need_finite(g, n, "scale", n->attr.SCALE);
    if (st == TG_OK)
        st = tg__ew_need_finite(g, n, "input_scale", n->attr.ISCALE);
    if (st != TG_OK) return st;
    return tg_shape_broadcast(g, n, out);
}

static tg_status elu_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, elu_k32, elu_k64, n->attr.ALPHA, 0, 0);
}
static tg_status selu_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, selu_k32, selu_k64, 0, 0, 0);
}
static tg_status celu_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, celu_k32, celu_k64, n->attr.ALPHA, 0, 0);
}
static tg_status elu_bw_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    const tg_attrs *a = &n->attr;
    return tg__ew_binary_run(n, elu_backward_b32, elu_backward_b64,
                             a->SCALE * a->ALPHA * a->ISCALE, a->SCALE,
                             a->ISCALE);
}

static void elu_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                    tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_elu_backward(gy, n->in[0], n->attr.ALPHA, 1.0, 1.0);
}
static void selu_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                     tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_elu_backward(gy, n->in[0], SELU_ALPHA, SELU_SCALE, 1.0);
}
static void celu_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                     tg_tensor **gx)
{
    (void)g, (void)need;
    double al = n->attr.ALPHA;
    gx[0] = tg_elu_backward(gy, n->in[0], al, 1.0, 1.0 / al);
}
/* d/dx of g c e^(x is) on x <= 0 is g c is e^(x is): the same kernel on
 * (h g) times is, masked to the negative side (the mask is constant). */
static void elu_bw_vjp(tg_graph *g, tg_node *n, tg_tensor *h,
                       const bool *need, tg_tensor **gx)
{
    const tg_attrs *a = &n->attr;
    tg_tensor *gin = n->in[0], *x = n->in[1];
    if (need[0]) gx[0] = tg_elu_backward(h, x, a->ALPHA, a->SCALE, a->ISCALE);
    if (need[1]) {
        tg_tensor *m = tg__ew_map_const(g, n, x, nonpos_k32, nonpos_k64, 0, 0, 0);
        tg_tensor *d = tg_elu_backward(tg_mul(h, gin), x, a->ALPHA, a->SCALE,
                                       a->ISCALE);
        gx[1] = tg_mul(tg_mul_scalar(d, a->ISCALE), m);
    }
}

TG_BUILTIN_OP(elu,
    .n_inputs = 1,
    .attrs = {{"alpha", TG_ATTR_REAL, 1}},
    .shape = elu_shape,
    .forward = elu_fwd,
    .vjp = elu_vjp,
    .cases = "elu(x, alpha=1) | x=3x4; elu(3*x, alpha=0.7) | x=7");
TG_BUILTIN_OP(selu,
    .n_inputs = 1,
    .forward = selu_fwd,
    .vjp = selu_vjp,
    .cases = "selu(x) | x=3x4; selu(3*x) | x=7");
TG_BUILTIN_OP(celu,
    .n_inputs = 1,
    .attrs = {{"alpha", TG_ATTR_REAL, 1}},
    .shape = celu_shape,
    .forward = celu_fwd,
    .vjp = celu_vjp,
    .cases = "celu(x, alpha=1) | x=3x4; celu(3*x, alpha=0.5) | x=7");
TG_BUILTIN_OP(elu_backward,
    .n_inputs = 2,
    .attrs = {{"alpha", TG_ATTR_REAL, 1},
              {"scale", TG_ATTR_REAL, 1},
              {"input_scale", TG_ATTR_REAL, 1}},
    .shape = elu_bw_shape,
    .forward = elu_bw_fwd,
    .vjp = elu_bw_vjp,
    .cases = "elu_backward(g, x, alpha=1.5, scale=1, input_scale=1) | g=3x4 x=3x4; "
        "elu_backward(g, x, alpha=2, scale=1.2, input_scale=0.5) | g=4 x=3x4");

tg_tensor *tg_elu(tg_tensor *x, double alpha)
{
    tg_attrs a = {0};
    a.ALPHA = alpha;
    return tg__apply1(TG_OP_elu, x, &a);
}
tg_tensor *tg_selu(tg_tensor *x) { return tg__apply1(TG_OP_selu, x, NULL); }
tg_tensor *tg_celu(tg_tensor *x, double alpha)
{
    tg_attrs a = {0};
    a.ALPHA = alpha;
    return tg__apply1(TG_OP_celu, x, &a);
}
tg_tensor *tg_elu_backward(tg_tensor *g, tg_tensor *x, double alpha,
                           double scale, double input_scale)
{
    tg_attrs a = {0};
    a.ALPHA = alpha;
    a.SCALE = scale;
    a.ISCALE = input_scale;
    return tg__apply2(TG_OP_elu_backward, g, x, &a);
}
