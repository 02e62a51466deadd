/* relu, leaky_relu and their fused backward kernels.
 *   relu(x)                    = x < 0 ? 0 : x   (NaN passes through)
 *   leaky_relu(x, alpha)       = x > 0 ? x : alpha x
 *   relu_backward(g, x)        = x > 0 ? g : 0
 *   leaky_relu_backward(g, x)  = x > 0 ? g : alpha g
 * Kinks as PyTorch: relu'(0) = 0, leaky_relu'(0) = alpha.
 * VJPs:  relu: relu_backward(g, x)     leaky_relu: leaky_relu_backward(g, x)
 *        the backward kernels are linear in g, piecewise constant in x:
 *        d/dg = the same kernel applied to the incoming gradient, d/dx = 0.
 * All exact (one rounding at most: alpha x). Each is one pass. */
#include "ops/ew.h"

#include <stdio.h>

#define ALPHA f[0]

#define RELU_VF(I, v, p0, p1, p2)                                           \
    TG_BLENDF(I, TG_CMPF(I, v, lt, TG_ZEROF(I)), TG_ZEROF(I), v)
#define RELU_VD(I, v, p0, p1, p2)                                           \
    TG_BLENDD(I, TG_CMPD(I, v, lt, TG_ZEROD(I)), TG_ZEROD(I), v)
#define LRELU_VF(I, v, al, p1, p2)                                          \
    TG_BLENDF(I, TG_CMPF(I, v, gt, TG_ZEROF(I)), v,                         \
              TG_MULF(I, v, TG_SET1F(I, (float)(al))))
#define LRELU_VD(I, v, al, p1, p2)                                          \
    TG_BLENDD(I, TG_CMPD(I, v, gt, TG_ZEROD(I)), v,                         \
              TG_MULD(I, v, TG_SET1D(I, al)))
TG_SIMD_MAP(relu, RELU_VF, RELU_VD)
TG_SIMD_MAP(leaky_relu, LRELU_VF, LRELU_VD)
TG_VEC_MAP0(relu)
TG_VEC_MAP1(leaky_relu)

/* binary (g, x) */
#define RELU_BW_VF(I, g, x, p0, p1, p2)                                     \
    TG_BLENDF(I, TG_CMPF(I, x, gt, TG_ZEROF(I)), g, TG_ZEROF(I))
#define RELU_BW_VD(I, g, x, p0, p1, p2)                                     \
    TG_BLENDD(I, TG_CMPD(I, x, gt, TG_ZEROD(I)), g, TG_ZEROD(I))
#define LRELU_BW_VF(I, g, x, al, p1, p2)                                    \
    TG_BLENDF(I, TG_CMPF(I, x, gt, TG_ZEROF(I)), g,                         \
              TG_MULF(I, g, TG_SET1F(I, (float)(al))))
#define LRELU_BW_VD(I, g, x, al, p1, p2)                                    \
    TG_BLENDD(I, TG_CMPD(I, x, gt, TG_ZEROD(I)), g,                         \
              TG_MULD(I, g, TG_SET1D(I, al)))
TG_SIMD_BIN(relu_backward, RELU_BW_VF, RELU_BW_VD)
TG_SIMD_BIN(leaky_relu_backward, LRELU_BW_VF, LRELU_BW_VD)
TG_VEC_BIN0(relu_backward)

void tg_vec_leaky_relu_backward_f32(int64_t n, float *y, const float *g,
                                    int64_t sg, const float *x, int64_t sx,
                                    double alpha)
{
    leaky_relu_backward_b32[tg__isa()](n, y, g, sg, x, sx, alpha, 0, 0);
}
void tg_vec_leaky_relu_backward_f64(int64_t n, double *y, const double *g,
                                    int64_t sg, const double *x, int64_t sx,
                                    double alpha)
{
    leaky_relu_backward_b64[tg__isa()](n, y, g, sg, x, sx, alpha, 0, 0);
}

static tg_status alpha_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    tg_status st = tg__ew_need_finite(g, n, "alpha", n->attr.ALPHA);
    if (st != TG_OK) return st;
    return n->n_in == 1 ? tg_shape_same(g, n, out)
                        : tg_shape_broadcast(g, n, out);
}

static void relu_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                     tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_relu_backward(gy, n->in[0]);
}

static tg_status relu_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, relu_k32, relu_k64, 0, 0, 0);
}
TG_BUILTIN_OP(relu,
    .n_inputs = 1,
    .flags = TG_OPF_NONSMOOTH,
    .forward = relu_fwd,
    .vjp = relu_vjp,
    .cases = "relu(x) | x=3x4; relu(x - 0.3) | x=2x5");
tg_tensor *tg_relu(tg_tensor *x) { return tg__apply1(TG_OP_relu, x, NULL); }

static void relu_backward_vjp(tg_graph *g, tg_node *n, tg_tensor *h,
                              const bool *need, tg_tensor **gx)
{
    (void)g;
    if (need[0]) gx[0] = tg_relu_backward(h, n->in[1]);
}

static tg_status relu_backward_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_binary_run(n, relu_backward_b32, relu_backward_b64, 0, 0, 0);
}
TG_BUILTIN_OP(relu_backward,
    .n_inputs = 2,
    .flags = TG_OPF_NONSMOOTH,
    .shape = tg_shape_broadcast,
    .forward = relu_backward_fwd,
    .vjp = relu_backward_vjp,
    .cases = "relu_backward(g, x) | g=3x4 x=3x4; relu_backward(g, x) | "
        "g=3x4 x=4");
tg_tensor *tg_relu_backward(tg_tensor *a, tg_tensor *b)
{
    return tg__apply2(TG_OP_relu_backward, a, b, NULL);
}

static tg_status leaky_relu_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, leaky_relu_k32, leaky_relu_k64, n->attr.ALPHA,
                          0, 0);
}
static void leaky_relu_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                           const bool *need, tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_leaky_relu_backward(gy, n->in[0], n->attr.ALPHA);
}
TG_BUILTIN_OP(leaky_relu,
    .n_inputs = 1,
    .flags = TG_OPF_NONSMOOTH,
    .attrs = {{"alpha", TG_ATTR_REAL, 0.01}},
    .shape = alpha_shape,
    .forward = leaky_relu_fwd,
    .vjp = leaky_relu_vjp,
    .cases = "leaky_relu(x, alpha=0.1) | x=3x4; leaky_relu(x, alpha=-0.5) | x=7");

static tg_status leaky_relu_bw_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_binary_run(n, leaky_relu_backward_b32,
                             leaky_relu_backward_b64, n->attr.ALPHA, 0, 0);
}
static void leaky_relu_bw_vjp(tg_graph *g, tg_node *n, tg_tensor *h,
                              const bool *need, tg_tensor **gx)
{
    (void)g;
    if (need[0]) gx[0] = tg_leaky_relu_backward(h, n->in[1], n->attr.ALPHA);
}
TG_BUILTIN_OP(leaky_relu_backward,
    .n_inputs = 2,
    .flags = TG_OPF_NONSMOOTH,
    .attrs = {{"alpha", TG_ATTR_REAL, 0.01}},
    .shape = alpha_shape,
    .forward = leaky_relu_bw_fwd,
    .vjp = leaky_relu_bw_vjp,
    .cases = "leaky_relu_backward(g, x, alpha=0.2) | g=3x4 x=3x4; "
        "leaky_relu_backward(g, x, alpha=0.2) | g=4 x=3x4");

tg_tensor *tg_leaky_relu(tg_tensor *x, double alpha)
{
    tg_attrs a = {0};
    a.ALPHA = alpha;
    return tg__apply1(TG_OP_leaky_relu, x, &a);
}
tg_tensor *tg_leaky_relu_backward(tg_tensor *g, tg_tensor *x, double alpha)
{
    tg_attrs a = {0};
    a.ALPHA = alpha;
    return tg__apply2(TG_OP_leaky_relu_backward, g, x, &a);
}
