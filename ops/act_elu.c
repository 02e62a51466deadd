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
#include "ops/kern_act.h" /* the SELU constants */

#include <stdio.h>

#define ALPHA f[0]
#define SCALE f[1]  /* elu_backward */
#define ISCALE f[2] /* elu_backward: input scale */

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
    return tg__ew_map_run(n, TG_KM_elu, (tg_kp){n->attr.ALPHA, 0, 0});
}
static tg_status selu_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_selu, (tg_kp){0, 0, 0});
}
static tg_status celu_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_celu, (tg_kp){n->attr.ALPHA, 0, 0});
}
static tg_status elu_bw_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    const tg_attrs *a = &n->attr;
    return tg__ew_binary_run(n, TG_KB_elu_backward,
                             (tg_kp){a->SCALE * a->ALPHA * a->ISCALE, a->SCALE, a->ISCALE});
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
    gx[0] = tg_elu_backward(gy, n->in[0], tg_selu_alpha, tg_selu_scale, 1.0);
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
        tg_tensor *m = tg__ew_map_const(g, n, x, TG_KM_nonpos, (tg_kp){0, 0, 0});
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
