/* tanh and its fused backward.
 *   tanh:            y = tanh x (SLEEF, 1.0-ulp variant)
 *   tanh_backward:   z = g (1 - y^2), the VJP of tanh from its output y
 * VJPs: tanh: tanh_backward(g, y).
 *       tanh_backward(g, y): dg = h (1 - y^2) = tanh_backward(h, y);
 *                            dy = -2 h g y.
 */
#include "ops/elementwise.h"
#include "ops/kernels.h"
#include "ops/simd.h"

#include <math.h>

#define TANH_VF(I, v) TG_SLEEF_F(I, tanh, u10)(v)
#define TANH_VD(I, v) TG_SLEEF_D(I, tanh, u10)(v)
TG_SIMD_UNARY(tanh, TANH_VF, Sleef_tanhf_u10, TANH_VD, Sleef_tanh_u10)

#define TANH_BW(g, y) ((g) * (1 - (y) * (y)))
TG_BINARY_KERNELS(tanh_bw, TANH_BW)

static tg_status tanh_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__unary_run(n, tg_vec_tanh_f32, tg_vec_tanh_f64);
}

static void tanh_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                     tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_tanh_backward(gy, n->out);
}

static tg_status tanh_bw_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__binary_run(n, tanh_bw_f32, tanh_bw_f64);
}

static void tanh_bw_vjp(tg_graph *g, tg_node *n, tg_tensor *h,
                        const bool *need, tg_tensor **gx)
{
    (void)g;
    tg_tensor *gin = n->in[0], *y = n->in[1];
    if (need[0]) gx[0] = tg_tanh_backward(h, y);
    if (need[1]) gx[1] = tg_mul_scalar(tg_mul(tg_mul(h, gin), y), -2.0);
}

const tg_op_desc tg_op_tanh = {"tanh", 1, 1, 0, tg__same_shape_rule, tanh_fwd,
                               tanh_vjp, "tanh(x) | x=3x4; tanh(3*x) | x=7"};
const tg_op_desc tg_op_tanh_backward = {
    "tanh_backward", 2, 2, 0, tg__binary_shape, tanh_bw_fwd, tanh_bw_vjp,
    "tanh_backward(g, y) | g=3x4 y=3x4; tanh_backward(g, y) | g=3x4 y=4"};

tg_tensor *tg_tanh(tg_tensor *x) { return tg__apply1(TG_OP_tanh, x, NULL); }
tg_tensor *tg_tanh_backward(tg_tensor *g, tg_tensor *y)
{
    return tg__apply2(TG_OP_tanh_backward, g, y, NULL);
}
