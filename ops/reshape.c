/* reshape: same data under a new shape (a view; no copy).
 * VJP: reshape(g, x.shape). */
#include "ops/elementwise.h"

/* ax[0..nax-1]: requested shape, at most one -1 (inferred). nax == -1
 * marks a rejected request; REQ_NDIM keeps the caller's ndim for the
 * message. */
#define REQ_NDIM i[0]
static tg_status reshape_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    const tg_tensor *x = n->in[0];
    char s1[TG_SHAPE_BUF], s2[TG_SHAPE_BUF];
    int nd = n->attr.nax;
    if (nd < 0 || nd > TG_MAX_DIMS)
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "ndim %lld outside 0..%d (or shape is NULL)",
                           (long long)n->attr.REQ_NDIM, TG_MAX_DIMS);
    int infer = -1;
    int64_t known = 1;
    for (int i = 0; i < nd; i++) {
        int64_t d = n->attr.ax[i];
        if (d == -1 && infer < 0) {
            infer = i;
            continue;
        }
        if (d < 0 || (d && known > INT64_MAX / 16 / d))
            return tg__op_fail(g, n, TG_ERR_SHAPE,
                               "bad target shape %s for %s; hint: dims are "
                               ">= 0 with at most one -1",
                               tg__fmt_shape(s1, nd, n->attr.ax),
                               tg__fmt_shape(s2, x->ndim, x->shape));
        known *= d;
    }
    out->ndim = nd;
    for (int i = 0; i < nd; i++) out->shape[i] = n->attr.ax[i];
    if (infer >= 0) {
        if (known == 0 || x->numel % known)
            return tg__op_fail(g, n, TG_ERR_SHAPE,
                               "cannot infer -1 in %s from %s (%lld elements)",
                               tg__fmt_shape(s1, nd, n->attr.ax),
                               tg__fmt_shape(s2, x->ndim, x->shape),
                               (long long)x->numel);
        out->shape[infer] = x->numel / known;
        known *= out->shape[infer];
    }
    if (known != x->numel)
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "cannot reshape %s (%lld elements) to %s (%lld)",
                           tg__fmt_shape(s2, x->ndim, x->shape),
                           (long long)x->numel,
                           tg__fmt_shape(s1, nd, out->shape),
                           (long long)known);
    return TG_OK;
}

static tg_status reshape_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    n->out->data = n->in[0]->data;
    return TG_OK;
}

static void reshape_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                        const bool *need, tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_reshape(gy, n->in[0]->ndim, n->in[0]->shape);
}

TG_BUILTIN_OP(reshape,
    .n_inputs = 1,
    .flags = TG_OPF_VIEW | TG_OPF_ANY_DTYPE,
    .attrs = {{"shape", TG_ATTR_SHAPE, 0, true}},
    .shape = reshape_shape,
    .forward = reshape_fwd,
    .vjp = reshape_vjp,
    .cases = "reshape(x, shape=[4,3]) | x=3x4; reshape(x, shape=[-1]) | "
        "x=2x3x2; reshape(tanh(x), shape=[2,1,3]) * x | x=2x3");

tg_tensor *tg_reshape(tg_tensor *x, int ndim, const int64_t *shape)
{
    tg_attrs a = {0};
    a.nax = (ndim < 0 || ndim > TG_MAX_DIMS || (ndim > 0 && !shape)) ? -1
                                                                      : ndim;
    a.REQ_NDIM = ndim;
    for (int i = 0; i < a.nax; i++) a.ax[i] = shape[i];
    return tg__apply1(TG_OP_reshape, x, &a);
}
