/* tanh and its fused backward.
 *   tanh:            y = tanh x
 *   tanh_backward:   z = g (1 - y^2), the VJP of tanh from its output y
 * f32 tanh on AVX2/AVX-512 is evaluated inline from one exponential,
 *   tanh a = -m / (2 + m),  m = expm1(-2a),  a = |x|
 * with e^-2a = 2^k (1 + p) (ops/act_fexp.h); m is carried exactly as a
 * pair built from the exact terms 2^k, 2^k p and -1 (two Fast2Sums), so
 * it keeps its relative accuracy for small a (where m = p) and its low
 * bits near m = -1; 2 + m is kept exactly as a pair too and the quotient
 * is corrected once with its FMA residual. a is held at 9.1, beyond which
 * tanh rounds to 1; the sign is put back last, so tanh(-0) = -0 and NaN
 * passes through. SSE2 and f64 use SLEEF's tanh (1.0-ulp variant).
 * tanh_backward computes 1 - y^2 with an FMA for |y| < 1/2 and as
 * (1 - |y|)(1 + |y|) beyond, where 1 - |y| is exact: 1 - y*y would lose
 * the low bits of y^2 next to |y| = 1 (hundreds of ulps). f32 is
 * evaluated in double and rounded once; runs of fewer than 4 elements
 * go through the scalar body (bitwise the same results). Kernels:
 * ops/kern_act.h.
 * VJPs: tanh: tanh_backward(g, y).
 *       tanh_backward(g, y): dg = h (1 - y^2) = tanh_backward(h, y);
 *                            dy = -2 h g y.
 */
#include "ops/elementwise.h"
#include "ops/ew.h"
#include "ops/kern_act.h"
#include "ops/kernels.h"

#include <math.h>

/* Tiny runs (a 0-d loss, a few elements, short broadcast rows) take the
 * scalar body (ops/kern_act.h) instead of the vector kernel, whose padded
 * tail costs ~170 instructions even for one element. Same operations in
 * the same order (fused where the vector kernel fuses: not on SSE2; C's
 * fma is correctly rounded everywhere), so the result is bitwise the one
 * the vector kernel gives. */
enum { TANH_BW_TINY = 4 };
/* Whether the vector body fuses (every set but SSE2's). tg__isa() keeps
 * its choice for the life of the process, so this one is kept too: it
 * is read once per tiny run, where the call cost a tenth of a 0-d
 * tanh_backward. */
static int tanh_bw_fused_cached = -1;
static inline bool tanh_bw_fused(void)
{
    int v = __atomic_load_n(&tanh_bw_fused_cached, __ATOMIC_RELAXED);
    if (v < 0) {
        v = tg__isa() != TG_ISA_SSE2;
        __atomic_store_n(&tanh_bw_fused_cached, v, __ATOMIC_RELAXED);
    }
    return v;
}
static inline float tanh_bw_one_f32(float g, float y)
{
    return (float)tanh_backward_scalar(g, y, tanh_bw_fused());
}
static inline double tanh_bw_one_f64(double g, double y)
{
    return tanh_backward_scalar(g, y, tanh_bw_fused());
}
void tg_vec_tanh_backward_f32(int64_t n, float *z, const float *g, int64_t sg,
                              const float *y, int64_t sy)
{
    if (n < TANH_BW_TINY) {
        bool fused = tanh_bw_fused();
        for (int64_t i = 0; i < n; i++)
            z[i] = (float)tanh_backward_scalar(g[i * sg], y[i * sy], fused);
        return;
    }
    tg__kernels()->bin[TG_KB_tanh_backward].f32(n, z, g, sg, y, sy, (tg_kp){0, 0, 0});
}
void tg_vec_tanh_backward_f64(int64_t n, double *z, const double *g,
                              int64_t sg, const double *y, int64_t sy)
{
    if (n < TANH_BW_TINY) {
        bool fused = tanh_bw_fused();
        for (int64_t i = 0; i < n; i++)
            z[i] = tanh_backward_scalar(g[i * sg], y[i * sy], fused);
        return;
    }
    tg__kernels()->bin[TG_KB_tanh_backward].f64(n, z, g, sg, y, sy, (tg_kp){0, 0, 0});
}

static tg_status tanh_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    /* one f32 element (a 0-d tanh): the kernel the set runs for it, with
     * no threading decision to make on the way */
    if (n->out->numel == 1 && n->out->dtype == TG_F32) {
        tg__kernels()->map[TG_KM_tanh].f32(1, n->out->data, n->in[0]->data,
                                           (tg_kp){0, 0, 0});
        return TG_OK;
    }
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
    /* one element each (the VJP of a 0-d tanh): the tiny run's scalar
     * body, without the kernel call */
    if (tg__binary_one(n, tanh_bw_one_f32, tanh_bw_one_f64)) return TG_OK;
    return tg__binary_run(n, tg_vec_tanh_backward_f32, tg_vec_tanh_backward_f64);
}

static void tanh_bw_vjp(tg_graph *g, tg_node *n, tg_tensor *h,
                        const bool *need, tg_tensor **gx)
{
    (void)g;
    tg_tensor *gin = n->in[0], *y = n->in[1];
    if (need[0]) gx[0] = tg_tanh_backward(h, y);
    if (need[1]) gx[1] = tg_mul_scalar(tg_mul(tg_mul(h, gin), y), -2.0);
}

TG_BUILTIN_OP(tanh,
    .n_inputs = 1,
    .forward = tanh_fwd,
    .vjp = tanh_vjp,
    .cases = "tanh(x) | x=3x4; tanh(3*x) | x=7");
TG_BUILTIN_OP(tanh_backward,
    .n_inputs = 2,
    .shape = tg_shape_broadcast,
    .forward = tanh_bw_fwd,
    .vjp = tanh_bw_vjp,
    .cases = "tanh_backward(g, y) | g=3x4 y=3x4; tanh_backward(g, y) | g=3x4 y=4");

tg_tensor *tg_tanh(tg_tensor *x) { return tg__apply1(TG_OP_tanh, x, NULL); }
tg_tensor *tg_tanh_backward(tg_tensor *g, tg_tensor *y)
{
    return tg__apply2(TG_OP_tanh_backward, g, y, NULL);
}
