/* More of PyTorch's activations, with PyTorch's formulas, defaults and
 * conventions at the kinks (kernels in ops/kern_math2.h; NaN passes
 * through every one):
 *
 *   hardtanh(x, min_val=-1, max_val=1) = min(max(x, min_val), max_val)
 *       VJP g [min_val < x < max_val]   (0 at both bounds, as PyTorch;
 *       clamp keeps g at its bounds)
 *   relu6(x) = hardtanh(x, 0, 6)        VJP g [0 < x < 6]
 *   hardsigmoid(x) = min(max(x + 3, 0), 6) / 6
 *       VJP g [-3 < x < 3] / 6
 *   hardswish(x) = x hardsigmoid(x)
 *       VJP g ([-3 <= x <= 3] (x / 3 + 1/2) + [x > 3])   (PyTorch's: -1/2
 *       at x = -3, 3/2 at x = 3)
 *   mish(x) = x tanh(softplus(x))
 *       VJP g (t + x sigmoid(x) (1 - t^2)), t = tanh(softplus(x))
 *   softsign(x) = x / (1 + |x|)        VJP g / (1 + |x|)^2
 *   tanhshrink(x) = x - tanh x         VJP g tanh(x)^2
 *   softshrink(x, lambd=0.5) = x > l ? x - l : x < -l ? x + l : 0
 *       VJP g [|x| > l]
 *   threshold(x, threshold, value) = x <= threshold ? value : x
 *       VJP g [x > threshold]
 *
 * The masks are piecewise constant: constants of the backward graph. */
#include "ops/ew.h"

#define MIN_VAL f[0]
#define MAX_VAL f[1]
#define LAMBD f[0]
#define THRESH f[0]
#define VALUE f[1]

/* ---- hardtanh, relu6 */
static tg_status hardtanh_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    double lo = n->attr.MIN_VAL, hi = n->attr.MAX_VAL;
    if (!(lo <= hi))
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "min_val must be <= max_val (got min_val=%g, "
                           "max_val=%g); swap them",
                           lo, hi);
    return tg_shape_same(g, n, out);
}
static tg_status hardtanh_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_clamp,
                          (tg_kp){n->attr.MIN_VAL, n->attr.MAX_VAL, 0});
}
static void hardtanh_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                         const bool *need, tg_tensor **gx)
{
    (void)need;
    tg_tensor *m = tg__ew_map_const(g, n, n->in[0], TG_KM_hardtanh_mask,
                                    (tg_kp){n->attr.MIN_VAL, n->attr.MAX_VAL, 0});
    gx[0] = tg_mul(gy, m);
}
TG_BUILTIN_OP(hardtanh,
    .n_inputs = 1,
    .flags = TG_OPF_NONSMOOTH,
    .attrs = {{"min_val", TG_ATTR_REAL, -1}, {"max_val", TG_ATTR_REAL, 1}},
    .shape = hardtanh_shape,
    .forward = hardtanh_fwd,
    .vjp = hardtanh_vjp,
    .cases = "hardtanh(2*x) | x=3x4; hardtanh(x, min_val=-0.5, max_val=0.3) | x=7");
tg_tensor *tg_hardtanh(tg_tensor *x, double min_val, double max_val)
{
    tg_attrs a = {0};
    a.MIN_VAL = min_val;
    a.MAX_VAL = max_val;
    return tg__apply1(TG_OP_hardtanh, x, &a);
}

static tg_status relu6_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_clamp, (tg_kp){0, 6, 0});
}
static void relu6_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                      tg_tensor **gx)
{
    (void)need;
    tg_tensor *m = tg__ew_map_const(g, n, n->in[0], TG_KM_hardtanh_mask,
                                    (tg_kp){0, 6, 0});
    gx[0] = tg_mul(gy, m);
}
TG_BUILTIN_OP(relu6,
    .n_inputs = 1,
    .flags = TG_OPF_NONSMOOTH,
    .forward = relu6_fwd,
    .vjp = relu6_vjp,
    .cases = "relu6(8*x) | x=3x4; relu6(x+5.5) | x=7");
tg_tensor *tg_relu6(tg_tensor *x) { return tg__apply1(TG_OP_relu6, x, NULL); }

/* ---- hardsigmoid, hardswish */
static tg_status hardsigmoid_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_hardsigmoid, (tg_kp){0, 0, 0});
}
static void hardsigmoid_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                            const bool *need, tg_tensor **gx)
{
    (void)need;
    tg_tensor *m = tg__ew_map_const(g, n, n->in[0], TG_KM_hardtanh_mask,
                                    (tg_kp){-3, 3, 0});
    gx[0] = tg_mul_scalar(tg_mul(gy, m), 1.0 / 6.0);
}
TG_BUILTIN_OP(hardsigmoid,
    .n_inputs = 1,
    .flags = TG_OPF_NONSMOOTH,
    .forward = hardsigmoid_fwd,
    .vjp = hardsigmoid_vjp,
    .cases = "hardsigmoid(5*x) | x=3x4; hardsigmoid(x) | x=7");
tg_tensor *tg_hardsigmoid(tg_tensor *x)
{
    return tg__apply1(TG_OP_hardsigmoid, x, NULL);
}

static tg_status hardswish_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_hardswish, (tg_kp){0, 0, 0});
}
static void hardswish_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                          const bool *need, tg_tensor **gx)
{
    (void)need;
    tg_tensor *x = n->in[0];
    tg_tensor *mid = tg__ew_map_const(g, n, x, TG_KM_clamp_mask, (tg_kp){-3, 3, 0});
    tg_tensor *hi = tg__ew_map_const(g, n, x, TG_KM_gtmask, (tg_kp){3, 0, 0});
    tg_tensor *slope = tg_add_scalar(tg_mul_scalar(x, 1.0 / 3.0), 0.5);
    gx[0] = tg_mul(gy, tg_add(tg_mul(mid, slope), hi));
}
TG_BUILTIN_OP(hardswish,
    .n_inputs = 1,
    .flags = TG_OPF_NONSMOOTH,
    .forward = hardswish_fwd,
    .vjp = hardswish_vjp,
    .cases = "hardswish(5*x) | x=3x4; hardswish(x) | x=7");
tg_tensor *tg_hardswish(tg_tensor *x) { return tg__apply1(TG_OP_hardswish, x, NULL); }

/* ---- mish, softsign, tanhshrink */
static tg_status mish_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_mish, (tg_kp){0, 0, 0});
}
static void mish_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                     tg_tensor **gx)
{
    (void)g, (void)need;
    tg_tensor *x = n->in[0];
    tg_tensor *t = tg_tanh(tg_softplus(x, 1.0, 20.0));
    tg_tensor *sech2 = tg_add_scalar(tg_neg(tg_square(t)), 1.0);
    gx[0] = tg_mul(gy, tg_add(t, tg_mul(tg_mul(x, tg_sigmoid(x)), sech2)));
}
TG_BUILTIN_OP(mish,
    .n_inputs = 1,
    .forward = mish_fwd,
    .vjp = mish_vjp,
    .cases = "mish(x) | x=3x4; mish(6*x) | x=7");
tg_tensor *tg_mish(tg_tensor *x) { return tg__apply1(TG_OP_mish, x, NULL); }

static tg_status softsign_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_softsign, (tg_kp){0, 0, 0});
}
static void softsign_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                         const bool *need, tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_div(gy, tg_square(tg_add_scalar(tg_abs(n->in[0]), 1.0)));
}
TG_BUILTIN_OP(softsign,
    .n_inputs = 1,
    .forward = softsign_fwd,
    .vjp = softsign_vjp,
    .cases = "softsign(x) | x=3x4; softsign(4*x) | x=7");
tg_tensor *tg_softsign(tg_tensor *x) { return tg__apply1(TG_OP_softsign, x, NULL); }

/* tanh's kernel, then x - tanh x: the difference as PyTorch forms it
 * (cancelling for small |x|, like any direct evaluation) */
static tg_status tanhshrink_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    tg_status s = tg__ew_map_run(n, TG_KM_tanh, (tg_kp){0, 0, 0});
    if (s != TG_OK) return s;
    const tg_tensor *x = n->in[0];
    tg_tensor *y = n->out;
    if (y->dtype == TG_F32) {
        const float *xs = x->data;
        float *ys = y->data;
        for (int64_t i = 0; i < y->numel; i++) ys[i] = xs[i] - ys[i];
    } else {
        const double *xs = x->data;
        double *ys = y->data;
        for (int64_t i = 0; i < y->numel; i++) ys[i] = xs[i] - ys[i];
    }
    return TG_OK;
}
static void tanhshrink_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                           const bool *need, tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_mul(gy, tg_square(tg_tanh(n->in[0])));
}
TG_BUILTIN_OP(tanhshrink,
    .n_inputs = 1,
    .forward = tanhshrink_fwd,
    .vjp = tanhshrink_vjp,
    .cases = "tanhshrink(x) | x=3x4; tanhshrink(3*x) | x=7");
tg_tensor *tg_tanhshrink(tg_tensor *x) { return tg__apply1(TG_OP_tanhshrink, x, NULL); }

/* ---- softshrink, threshold */
static tg_status softshrink_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    double l = n->attr.LAMBD;
    if (!(l >= 0))
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "lambd must be >= 0 (got %g)", l);
    return tg_shape_same(g, n, out);
}
static tg_status softshrink_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_softshrink, (tg_kp){n->attr.LAMBD, 0, 0});
}
static void softshrink_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                           const bool *need, tg_tensor **gx)
{
    (void)need;
    tg_tensor *m = tg__ew_map_const(g, n, n->in[0], TG_KM_hardshrink_mask,
                                    (tg_kp){n->attr.LAMBD, 0, 0});
    gx[0] = tg_mul(gy, m);
}
TG_BUILTIN_OP(softshrink,
    .n_inputs = 1,
    .flags = TG_OPF_NONSMOOTH,
    .attrs = {{"lambd", TG_ATTR_REAL, 0.5}},
    .shape = softshrink_shape,
    .forward = softshrink_fwd,
    .vjp = softshrink_vjp,
    .cases = "softshrink(x) | x=3x4; softshrink(2*x, lambd=0.3) | x=7");
tg_tensor *tg_softshrink(tg_tensor *x, double lambd)
{
    tg_attrs a = {0};
    a.LAMBD = lambd;
    return tg__apply1(TG_OP_softshrink, x, &a);
}

static tg_status threshold_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    double t = n->attr.THRESH;
    if (isnan(t))
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "threshold must be a number (got nan)");
    return tg_shape_same(g, n, out);
}
static tg_status threshold_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_threshold,
                          (tg_kp){n->attr.THRESH, n->attr.VALUE, 0});
}
static void threshold_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                          const bool *need, tg_tensor **gx)
{
    (void)need;
    tg_tensor *m = tg__ew_map_const(g, n, n->in[0], TG_KM_gtmask,
                                    (tg_kp){n->attr.THRESH, 0, 0});
    gx[0] = tg_mul(gy, m);
}
TG_BUILTIN_OP(threshold,
    .n_inputs = 1,
    .flags = TG_OPF_NONSMOOTH,
    .attrs = {{"threshold", TG_ATTR_REAL, 0, .required = true},
              {"value", TG_ATTR_REAL, 0, .required = true}},
    .shape = threshold_shape,
    .forward = threshold_fwd,
    .vjp = threshold_vjp,
    .cases = "threshold(x, threshold=0.1, value=-2) | x=3x4; "
             "threshold(3*x, threshold=-0.5, value=0.25) | x=7");
tg_tensor *tg_threshold(tg_tensor *x, double threshold, double value)
{
    tg_attrs a = {0};
    a.THRESH = threshold;
    a.VALUE = value;
    return tg__apply1(TG_OP_threshold, x, &a);
}
