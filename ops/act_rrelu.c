/* rrelu(x, lower, upper) — randomized leaky ReLU (Xu et al. 2015), as
 * torch.nn.functional.rrelu:
 *   training: y = x > 0 ? x : r x with r ~ U(lower, upper) drawn from the
 *             graph's RNG (tg_graph_rng) for each element x <= 0, in
 *             row-major order (PyTorch draws for x <= 0 too);
 *   eval:     y = leaky_relu(x, (lower + upper) / 2).
 * The slope tensor (1 or r per element) is saved for backward. Training mode is read at forward time and kept
 * in the node, so backward matches the forward that ran.
 * VJPs: training: g * slope (slope a saved constant); eval:
 * leaky_relu_backward(g, x, mean). Kink at 0: slope r (training) or the
 * mean slope (eval). */
#include "ops/ew.h"

#include <stdio.h>

#define LOWER f[0]
#define UPPER f[1]
#define TRAINING i[0] /* set by the forward: 1 when training mode was on */

typedef struct rrelu_ctx {
    tg_tensor *slope; /* 1 where x > 0, the drawn r where x <= 0 */
} rrelu_ctx;

static tg_status rrelu_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    double lo = n->attr.LOWER, hi = n->attr.UPPER;
    tg_status st = tg__ew_need_finite(g, n, "lower", lo);
    if (st == TG_OK) st = tg__ew_need_finite(g, n, "upper", hi);
    if (st != TG_OK) return st;
    if (lo > hi)
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "lower %g > upper %g; hint: the slope is drawn "
                           "from U(lower, upper)",
                           lo, hi);
    return tg_shape_same(g, n, out);
}

/* slopes s = 1 for x > 0, else drawn from U(lo, hi) in order; y = x s */
static void draw_f32(int64_t n, float *y, float *s, const float *x, double lo,
                     double hi, tg_rng *r)
{
    for (int64_t i = 0; i < n; i++) {
        float si = 1;
        if (!(x[i] > 0)) si = (float)(lo + (hi - lo) * tg_rng_uniform(r));
        s[i] = si;
        y[i] = x[i] * si;
    }
}
static void draw_f64(int64_t n, double *y, double *s, const double *x,
                     double lo, double hi, tg_rng *r)
{
    for (int64_t i = 0; i < n; i++) {
        double si = 1;
        if (!(x[i] > 0)) si = lo + (hi - lo) * tg_rng_uniform(r);
        s[i] = si;
        y[i] = x[i] * si;
    }
}

static tg_status rrelu_fwd(tg_graph *g, tg_node *n)
{
    double lo = n->attr.LOWER, hi = n->attr.UPPER;
    tg_tensor *x = n->in[0];
    n->attr.TRAINING = tg_is_training(g);
    if (!n->attr.TRAINING) {
        double mean = 0.5 * (lo + hi);
        if (x->dtype == TG_F32) tg_vec_leaky_relu_f32(x->numel, n->out->data, x->data, mean);
        else tg_vec_leaky_relu_f64(x->numel, n->out->data, x->data, mean);
        return TG_OK;
    }
    rrelu_ctx *c = tg__arena_alloc(&g->arena, sizeof *c);
    if (!c) return tg__op_fail(g, n, TG_ERR_OOM, "out of memory saving the slopes");
    c->slope = tg__ew_saved_like(g, n, x);
    if (!c->slope) return g->status;
    n->ctx = c;
    tg_rng *r = tg_graph_rng(g);
    /* One sequential stream: the same seed gives the same slopes whatever
     * the thread count. */
    if (x->dtype == TG_F32)
        draw_f32(x->numel, n->out->data, c->slope->data, x->data, lo, hi, r);
    else
        draw_f64(x->numel, n->out->data, c->slope->data, x->data, lo, hi, r);
    return TG_OK;
}

static void rrelu_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                      tg_tensor **gx)
{
    (void)g, (void)need;
    if (n->attr.TRAINING) {
        rrelu_ctx *c = n->ctx;
        gx[0] = tg_mul(gy, c->slope);
    } else {
        gx[0] = tg_leaky_relu_backward(gy, n->in[0],
                                       0.5 * (n->attr.LOWER + n->attr.UPPER));
    }
}

TG_BUILTIN_OP(rrelu,
    .n_inputs = 1,
    .flags = TG_OPF_NONSMOOTH | TG_OPF_RANDOM,
    .attrs = {{"lower", TG_ATTR_REAL, 1.0 / 8},
              {"upper", TG_ATTR_REAL, 1.0 / 3}},
    .shape = rrelu_shape,
    .forward = rrelu_fwd,
    .vjp = rrelu_vjp,
    .cases = "rrelu(x, lower=0.125, upper=0.3333) | x=3x4; "
        "rrelu(x, lower=0.2, upper=0.2) | x=7");

tg_tensor *tg_rrelu(tg_tensor *x, double lower, double upper)
{
    tg_attrs a = {0};
    a.LOWER = lower;
    a.UPPER = upper;
    return tg__apply1(TG_OP_rrelu, x, &a);
}
