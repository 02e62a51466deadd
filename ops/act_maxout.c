/* maxout(x, k): max over consecutive groups of k features on the last
 * axis (Goodfellow et al. 2013).
 *
 * Legend: x is [R..., F], F = M k; y is [R..., M];
 *   y[r, j] = max_{i < k} x[r, j k + i].
 * The forward saves the arg max of each group (the first index on ties; a
 * NaN wins its group, so NaN propagates). VJP: g routed to the arg max,
 *   dx = reshape(reshape(g, [R..., M, 1]) * onehot, x.shape),
 * onehot a constant [R..., M, k] built from the saved indices: linear in
 * g, so second derivatives flow through mul and reshape. */
#include "ops/ew.h"

#include <stdio.h>

#define K_ATTR i[0]

typedef struct maxout_ctx {
    int32_t *argmax; /* one index in [0, k) per output element */
} maxout_ctx;

static tg_status maxout_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    const tg_tensor *x = n->in[0];
    int64_t k = n->attr.K_ATTR;
    char sb[TG_SHAPE_BUF];
    if (x->ndim < 1)
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "x is a scalar; hint: maxout groups the last axis");
    if (k < 1 || k > INT32_MAX)
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "k must lie in [1, %d] (got %lld); hint: k is the "
                           "number of pieces per output feature",
                           INT32_MAX, (long long)k);
    int64_t F = x->shape[x->ndim - 1];
    if (F % k != 0)
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "last dim %lld of %s is not divisible by k = %lld; "
                           "hint: k must divide the feature count",
                           (long long)F, tg__fmt_shape(sb, x->ndim, x->shape),
                           (long long)k);
    out->ndim = x->ndim;
    for (int i = 0; i < x->ndim; i++) out->shape[i] = x->shape[i];
    out->shape[x->ndim - 1] = F / k;
    return TG_OK;
}

/* y[o] = max over group o of k elements, argmax[o] its index (the first
 * NaN wins and ends the scan, as torch.max) */
static void maxout_rows_f32(int64_t m, int64_t k, float *y, int32_t *argmax,
                            const float *x)
{
    TG_PAR_FOR(tg__par_worth((double)m * k), o, m, {
        const float *grp = x + o * k;
        float best = grp[0];
        int32_t bi = 0;
        for (int32_t i = 1; i < (int32_t)k && best == best; i++)
            if (grp[i] > best || grp[i] != grp[i]) {
                best = grp[i];
                bi = i;
            }
        y[o] = best;
        argmax[o] = bi;
    });
}
static void maxout_rows_f64(int64_t m, int64_t k, double *y, int32_t *argmax,
                            const double *x)
{
    TG_PAR_FOR(tg__par_worth((double)m * k), o, m, {
        const double *grp = x + o * k;
        double best = grp[0];
        int32_t bi = 0;
        for (int32_t i = 1; i < (int32_t)k && best == best; i++)
            if (grp[i] > best || grp[i] != grp[i]) {
                best = grp[i];
                bi = i;
            }
        y[o] = best;
        argmax[o] = bi;
    });
}

static tg_status maxout_fwd(tg_graph *g, tg_node *n)
{
    const tg_tensor *x = n->in[0];
    int64_t k = n->attr.K_ATTR, m = n->out->numel;
    maxout_ctx *c = tg__arena_alloc(&g->arena, sizeof *c);
    int32_t *idx = c ? tg__arena_alloc(&g->arena, sizeof *idx * (size_t)(m ? m : 1)) : NULL;
    if (!idx)
        return tg__op_fail(g, n, TG_ERR_OOM, "out of memory saving the arg max");
    c->argmax = idx;
    n->ctx = c;
    if (x->dtype == TG_F32) maxout_rows_f32(m, k, n->out->data, c->argmax, x->data);
    else maxout_rows_f64(m, k, n->out->data, c->argmax, x->data);
    return TG_OK;
}

static void maxout_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                       const bool *need, tg_tensor **gx)
{
    (void)need;
    tg_tensor *x = n->in[0];
    const maxout_ctx *c = n->ctx;
    int64_t k = n->attr.K_ATTR, m = n->out->numel;
    int64_t gshape[TG_MAX_DIMS + 1];
    for (int i = 0; i < n->out->ndim; i++) gshape[i] = n->out->shape[i];
    gshape[n->out->ndim] = 1;
    int64_t oshape[TG_MAX_DIMS + 1];
    for (int i = 0; i < n->out->ndim; i++) oshape[i] = n->out->shape[i];
    oshape[n->out->ndim] = k;
    /* An extra trailing axis may exceed TG_MAX_DIMS for 8-d inputs: then
     * flatten the leading dims, which broadcasting does not need. */
    int nd = n->out->ndim + 1;
    if (nd > TG_MAX_DIMS) {
        gshape[0] = m, gshape[1] = 1;
        oshape[0] = m, oshape[1] = k;
        nd = 2;
    }
    tg_tensor *onehot = tg__new_tensor(g, x->dtype, nd, oshape, "tg_maxout");
    if (!onehot) return;
    onehot->flags = TG_TF_CONSTANT;
    if (x->dtype == TG_F32) {
        float *o = onehot->data;
        memset(o, 0, sizeof *o * (size_t)(m * k));
        for (int64_t j = 0; j < m; j++) o[j * k + c->argmax[j]] = 1;
    } else {
        double *o = onehot->data;
        memset(o, 0, sizeof *o * (size_t)(m * k));
        for (int64_t j = 0; j < m; j++) o[j * k + c->argmax[j]] = 1;
    }
    tg_tensor *gr = tg_reshape(gy, nd, gshape);
    gx[0] = tg_reshape(tg_mul(gr, onehot), x->ndim, x->shape);
}

TG_BUILTIN_OP(maxout,
    .n_inputs = 1,
    .flags = TG_OPF_NONSMOOTH,
    .attrs = {{"k", TG_ATTR_INT, 0, true}},
    .shape = maxout_shape,
    .forward = maxout_fwd,
    .vjp = maxout_vjp,
    .cases = "maxout(x, k=2) | x=3x4; maxout(x, k=3) | x=2x2x6; maxout(x, k=1) | x=5");

tg_tensor *tg_maxout(tg_tensor *x, int64_t k)
{
    tg_attrs a = {0};
    a.K_ATTR = k;
    return tg__apply1(TG_OP_maxout, x, &a);
}
