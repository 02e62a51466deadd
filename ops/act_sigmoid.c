/* The sigmoid family: sigmoid, logsigmoid, silu and their fused backward
 * kernels.
 *   sigmoid(x)                 = 1 / (1 + e^-x)
 *   sigmoid_backward(g, y)     = g y (1 - y)          (y = sigmoid(x))
 *   logsigmoid(x)              = min(x, 0) - log1p(e^-|x|)
 *   logsigmoid_backward(g, x)  = g sigmoid(-x)
 *   silu(x)                    = x sigmoid(x)
 *   silu_backward(g, x)        = g s (1 + x (1 - s)),  s = sigmoid(x)
 * Limits: silu(-Inf) = -0 and silu'(+Inf) = 1, not NaN.
 * Every formula is evaluated from e = e^-|x| <= 1, which never overflows:
 * sigmoid(x) = 1/(1+e) for x >= 0 and e/(1+e) for x < 0, and
 * sigmoid(-x) is the other one of the pair.
 * Precision: sigmoid in f32 is one f32 exp plus a corrected quotient
 * (inline exp on AVX2/AVX-512, SLEEF's on SSE2; it is on the hot path);
 * the others evaluate f32 in double and round once
 * (silu_backward has a root near x = -1.278 where f32 arithmetic would
 * lose every digit).
 * VJPs:  sigmoid: sigmoid_backward(g, y)
 *        sigmoid_backward(g, y): dg = sigmoid_backward(h, y),
 *                                dy = h g (1 - 2y)
 *        logsigmoid: logsigmoid_backward(g, x)
 *        logsigmoid_backward(g, x): dg = logsigmoid_backward(h, x),
 *                                   dx = -h g s (1 - s)
 *        silu: silu_backward(g, x)
 *        silu_backward(g, x): dg = silu_backward(h, x),
 *                             dx = h g s (1 - s) (2 + x (1 - 2s))
 * Kernels: ops/kern_act.h (f32 on AVX2/AVX-512 through ops/act_fexp.h). */
#include "ops/ew.h"

static void sigmoid_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                        const bool *need, tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_sigmoid_backward(gy, n->out);
}
static void sigmoid_backward_vjp(tg_graph *g, tg_node *n, tg_tensor *h,
                                 const bool *need, tg_tensor **gx)
{
    (void)g;
    tg_tensor *gin = n->in[0], *y = n->in[1];
    if (need[0]) gx[0] = tg_sigmoid_backward(h, y);
    if (need[1])
        gx[1] = tg_mul(tg_mul(h, gin), tg_add_scalar(tg_mul_scalar(y, -2.0), 1.0));
}
static void logsigmoid_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                           const bool *need, tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_logsigmoid_backward(gy, n->in[0]);
}
static void logsigmoid_backward_vjp(tg_graph *g, tg_node *n, tg_tensor *h,
                                    const bool *need, tg_tensor **gx)
{
    (void)g;
    tg_tensor *gin = n->in[0], *x = n->in[1];
    if (need[0]) gx[0] = tg_logsigmoid_backward(h, x);
    if (need[1])
        gx[1] = tg_neg(tg_sigmoid_backward(tg_mul(h, gin), tg_sigmoid(x)));
}
static void silu_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                     tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_silu_backward(gy, n->in[0]);
}
static void silu_backward_vjp(tg_graph *g, tg_node *n, tg_tensor *h,
                              const bool *need, tg_tensor **gx)
{
    (void)g;
    tg_tensor *gin = n->in[0], *x = n->in[1];
    if (need[0]) gx[0] = tg_silu_backward(h, x);
    if (need[1]) {
        tg_tensor *s = tg_sigmoid(x);
        tg_tensor *k = tg_add_scalar(
            tg_mul(x, tg_add_scalar(tg_mul_scalar(s, -2.0), 1.0)), 2.0);
        gx[1] = tg_mul(tg_sigmoid_backward(tg_mul(h, gin), s), k);
    }
}

static tg_status sigmoid_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_sigmoid, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(sigmoid,
    .n_inputs = 1,
    .forward = sigmoid_fwd,
    .vjp = sigmoid_vjp,
    .cases = "sigmoid(x) | x=3x4; sigmoid(6*x) | x=7");
tg_tensor *tg_sigmoid(tg_tensor *x) { return tg__apply1(TG_OP_sigmoid, x, NULL); }

static tg_status sigmoid_backward_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_binary_run(n, TG_KB_sigmoid_backward, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(sigmoid_backward,
    .n_inputs = 2,
    .shape = tg_shape_broadcast,
    .forward = sigmoid_backward_fwd,
    .vjp = sigmoid_backward_vjp,
    .cases = "sigmoid_backward(g, y) | g=3x4 y=3x4; "
        "sigmoid_backward(g, y) | g=3x4 y=4");
tg_tensor *tg_sigmoid_backward(tg_tensor *a, tg_tensor *b)
{
    return tg__apply2(TG_OP_sigmoid_backward, a, b, NULL);
}

static tg_status logsigmoid_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_logsigmoid, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(logsigmoid,
    .n_inputs = 1,
    .forward = logsigmoid_fwd,
    .vjp = logsigmoid_vjp,
    .cases = "logsigmoid(x) | x=3x4; logsigmoid(8*x) | x=7");
tg_tensor *tg_logsigmoid(tg_tensor *x) { return tg__apply1(TG_OP_logsigmoid, x, NULL); }

static tg_status logsigmoid_backward_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_binary_run(n, TG_KB_logsigmoid_backward, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(logsigmoid_backward,
    .n_inputs = 2,
    .shape = tg_shape_broadcast,
    .forward = logsigmoid_backward_fwd,
    .vjp = logsigmoid_backward_vjp,
    .cases = "logsigmoid_backward(g, x) | g=3x4 x=3x4; "
        "logsigmoid_backward(g, x) | g=4 x=3x4");
tg_tensor *tg_logsigmoid_backward(tg_tensor *a, tg_tensor *b)
{
    return tg__apply2(TG_OP_logsigmoid_backward, a, b, NULL);
}

static tg_status silu_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_silu, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(silu,
    .n_inputs = 1,
    .forward = silu_fwd,
    .vjp = silu_vjp,
    .cases = "silu(x) | x=3x4; silu(4*x) | x=7");
tg_tensor *tg_silu(tg_tensor *x) { return tg__apply1(TG_OP_silu, x, NULL); }

static tg_status silu_backward_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_binary_run(n, TG_KB_silu_backward, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(silu_backward,
    .n_inputs = 2,
    .shape = tg_shape_broadcast,
    .forward = silu_backward_fwd,
    .vjp = silu_backward_vjp,
    .cases = "silu_backward(g, x) | g=3x4 x=3x4; "
        "silu_backward(g, 3*x) | g=3x1 x=1x4");
tg_tensor *tg_silu_backward(tg_tensor *a, tg_tensor *b)
{
    return tg__apply2(TG_OP_silu_backward, a, b, NULL);
}
