/* dropout: y = x m, m_i = [u_i >= p] / (1 - p), u_i uniform in [0, 1)
 * drawn from the graph's RNG, one draw per element in row-major order
 * (same seed, same mask). Inverted scaling keeps E[y] = x, so eval mode is
 * the identity and tg_dropout returns x itself there (and for p == 0).
 * VJP: dx = g m. Saved: the scaled mask m, a constant tensor (ctx) —
 * it cannot be recomputed because the RNG has moved on.
 */
#include "ops/array.h"

#define P f[0] /* drop probability in [0, 1) */

typedef struct dropout_ctx {
    tg_tensor *mask; /* 0 or 1/(1-p) per element, x's shape and dtype */
} dropout_ctx;

static tg_status dropout_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    double p = n->attr.P;
    if (!(p >= 0 && p < 1))
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "p must lie in [0, 1), got %g; hint: p is the "
                           "probability of dropping an element",
                           p);
    return tg_shape_same(g, n, out);
}

static tg_status dropout_fwd(tg_graph *g, tg_node *n)
{
    const tg_tensor *x = n->in[0];
    dropout_ctx *c = tg__scratch(g, n, sizeof *c);
    if (!c) return g->status;
    c->mask = tg__const_tensor(g, x->dtype, x->ndim, x->shape, "tg_dropout");
    if (!c->mask) return g->status;
    n->ctx = c;
    double p = n->attr.P, keep = 1.0 / (1.0 - p);
    /* u >= p with u = k 2^-53: compare the 53-bit integers directly. */
    uint64_t thr = (uint64_t)(p * 0x1.0p53);
    if ((double)thr < p * 0x1.0p53) thr++; /* ceil: u >= p <=> k >= thr */
    tg_rng *rng = tg_graph_rng(g);
    int64_t len = x->numel;
    if (x->dtype == TG_F32) {
        float *m = c->mask->data, *y = n->out->data;
        const float *xv = x->data;
        float kf = (float)keep;
        for (int64_t i = 0; i < len; i++)
            m[i] = (tg_rng_next(rng) >> 11) >= thr ? kf : 0.0f;
        for (int64_t i = 0; i < len; i++) y[i] = xv[i] * m[i];
    } else {
        double *m = c->mask->data, *y = n->out->data;
        const double *xv = x->data;
        for (int64_t i = 0; i < len; i++)
            m[i] = (tg_rng_next(rng) >> 11) >= thr ? keep : 0.0;
        for (int64_t i = 0; i < len; i++) y[i] = xv[i] * m[i];
    }
    return TG_OK;
}

static void dropout_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                        const bool *need, tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_mul(gy, ((dropout_ctx *)n->ctx)->mask);
}

/* The gradient checker reseeds the graph RNG before every evaluation, so
 * each forward draws the same mask and central differences apply. */
/* The expression language calls the C function: in eval mode (or with
 * p = 0) it returns x itself, recording nothing. */
static tg_tensor *dropout_call(tg_tensor *const *in, int n_in,
                               const tg_attrs *a)
{
    (void)n_in;
    return tg_dropout(in[0], a->P);
}

TG_BUILTIN_OP(dropout,
    .n_inputs = 1,
    .flags = TG_OPF_RANDOM,
    .attrs = {{"p", TG_ATTR_REAL, 0.5}},
    .shape = dropout_shape,
    .forward = dropout_fwd,
    .vjp = dropout_vjp,
    .call = dropout_call,
    .cases = "dropout(x, p=0.3) | x=4x5; dropout(x * x, p=0.5) | x=7");

tg_tensor *tg_dropout(tg_tensor *x, double p)
{
    tg_attrs a = {0};
    a.P = p;
    bool identity = x && x->graph && p >= 0 && p < 1 &&
                    (!tg_is_training(x->graph) || p == 0);
    if (identity && !(x->flags & TG_TF_POISON) && x->graph->status == TG_OK)
        return x;
    return tg__apply1(TG_OP_dropout, x, &a);
}
