/* GELU, exact and tanh-approximated, and their fused backward kernels.
 *   gelu(x)                = x Phi(x) = x/2 erfc(-x / sqrt 2)
 *   gelu_backward(g, x)    = g (Phi(x) + x phi(x)),  phi(x) = e^(-x^2/2) / sqrt(2 pi)
 *   gelu_tanh(x)           = x/2 (1 + tanh u) = x sigmoid(2u),
 *                            u = sqrt(2/pi) (x + 0.044715 x^3)
 *   gelu_tanh_backward(g, x) = g s (1 + 2 x u' (1 - s)),  s = sigmoid(2u),
 *                            u' = sqrt(2/pi) (1 + 3 * 0.044715 x^2)
 * erfc (not 1 + erf) and sigmoid(2u) (not 1 + tanh u) keep full relative
 * precision for x << 0, where the naive forms cancel to 0. Both
 * derivatives have a root near x = -0.75 where a naive float formula
 * would lose every digit: f32 gelu and gelu_backward on AVX2/AVX-512 are
 * built to keep it in float (below, "f32 gelu and gelu_backward in f32
 * arithmetic"), and so is f32 gelu_tanh (below); gelu_tanh_backward, and
 * every f32 kernel on SSE2, evaluate in double and round once.
 * Limits: gelu(-Inf) = gelu_tanh(-Inf) = -0 (not -Inf * 0 = NaN), and
 * the derivatives are 0 at -Inf and 1 at +Inf.
 * VJPs:  gelu: gelu_backward(g, x)      gelu_tanh: gelu_tanh_backward(g, x)
 *        gelu_backward: dg = gelu_backward(h, x),
 *                       dx = h g phi(x) (2 - x^2)
 *        gelu_tanh_backward: dg = gelu_tanh_backward(h, x),
 *                       dx = h g d2(x) (composite of sigmoid ops).
 * Kernels: ops/kern_gelu.h. */
#include "ops/ew.h"
#include "ops/kern_gelu.h" /* the constants */

static void gelu_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                     tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_gelu_backward(gy, n->in[0]);
}
/* d/dx (Phi + x phi) = 2 phi - x^2 phi = phi (2 - x^2) */
static void gelu_backward_vjp(tg_graph *g, tg_node *n, tg_tensor *h,
                              const bool *need, tg_tensor **gx)
{
    (void)g;
    tg_tensor *gin = n->in[0], *x = n->in[1];
    if (need[0]) gx[0] = tg_gelu_backward(h, x);
    if (need[1]) {
        tg_tensor *x2 = tg_square(x);
        tg_tensor *phi = tg_mul_scalar(tg_exp(tg_mul_scalar(x2, -0.5)), tg_gelu_inv_sqrt_2pi);
        tg_tensor *k = tg_add_scalar(tg_neg(x2), 2.0);
        gx[1] = tg_mul(tg_mul(h, gin), tg_mul(phi, k));
    }
}
static void gelu_tanh_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                          const bool *need, tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_gelu_tanh_backward(gy, n->in[0]);
}
/* With s = sigmoid(2u), s' = 2u' s (1 - s) and f' = s + x s' :
 * f'' = 2 s' + x s'',  s'' = 2u'' s(1-s) + 2u' s' (1 - 2s),
 * u' = a (1 + 3c x^2), u'' = 6 a c x. */
static void gelu_tanh_backward_vjp(tg_graph *g, tg_node *n, tg_tensor *h,
                                   const bool *need, tg_tensor **gx)
{
    (void)g;
    tg_tensor *gin = n->in[0], *x = n->in[1];
    if (need[0]) gx[0] = tg_gelu_tanh_backward(h, x);
    if (!need[1]) return;
    const double a = tg_gelu_sqrt_2_over_pi, c = tg_gelu_c;
    tg_tensor *x2 = tg_square(x);
    tg_tensor *du = tg_mul_scalar(tg_add_scalar(tg_mul_scalar(x2, 3 * c), 1.0), a);
    tg_tensor *u2 = tg_mul_scalar(tg_mul(x, tg_add_scalar(tg_mul_scalar(x2, c), 1.0)), 2 * a);
    tg_tensor *s = tg_sigmoid(u2);
    tg_tensor *ss = tg_sigmoid_backward(tg_scalar(x->graph, x->dtype, 1.0), s); /* s(1-s) */
    tg_tensor *ds = tg_mul_scalar(tg_mul(du, ss), 2.0);                          /* s' */
    tg_tensor *dds = tg_add(tg_mul_scalar(tg_mul(x, ss), 12 * a * c),
                            tg_mul(tg_mul_scalar(tg_mul(du, ds), 2.0),
                                   tg_add_scalar(tg_mul_scalar(s, -2.0), 1.0)));
    tg_tensor *f2 = tg_add(tg_mul_scalar(ds, 2.0), tg_mul(x, dds));
    gx[1] = tg_mul(tg_mul(h, gin), f2);
}

static tg_status gelu_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_gelu, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(gelu,
    .n_inputs = 1,
    .forward = gelu_fwd,
    .vjp = gelu_vjp,
    .cases = "gelu(x) | x=3x4; gelu(3*x) | x=7");
tg_tensor *tg_gelu(tg_tensor *x) { return tg__apply1(TG_OP_gelu, x, NULL); }

static tg_status gelu_tanh_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_gelu_tanh, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(gelu_tanh,
    .n_inputs = 1,
    .forward = gelu_tanh_fwd,
    .vjp = gelu_tanh_vjp,
    .cases = "gelu_tanh(x) | x=3x4; gelu_tanh(3*x) | x=7");
tg_tensor *tg_gelu_tanh(tg_tensor *x) { return tg__apply1(TG_OP_gelu_tanh, x, NULL); }

static tg_status gelu_backward_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_binary_run(n, TG_KB_gelu_backward, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(gelu_backward,
    .n_inputs = 2,
    .shape = tg_shape_broadcast,
    .forward = gelu_backward_fwd,
    .vjp = gelu_backward_vjp,
    .cases = "gelu_backward(g, x) | g=3x4 x=3x4; "
        "gelu_backward(g, 3*x) | g=4 x=3x4");
tg_tensor *tg_gelu_backward(tg_tensor *a, tg_tensor *b)
{
    return tg__apply2(TG_OP_gelu_backward, a, b, NULL);
}

static tg_status gelu_tanh_backward_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_binary_run(n, TG_KB_gelu_tanh_backward, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(gelu_tanh_backward,
    .n_inputs = 2,
    .shape = tg_shape_broadcast,
    .forward = gelu_tanh_backward_fwd,
    .vjp = gelu_tanh_backward_vjp,
    .cases = "gelu_tanh_backward(g, x) | g=3x4 x=3x4; "
        "gelu_tanh_backward(g, 3*x) | g=3x1 x=1x4");
tg_tensor *tg_gelu_tanh_backward(tg_tensor *a, tg_tensor *b)
{
    return tg__apply2(TG_OP_gelu_tanh_backward, a, b, NULL);
}
