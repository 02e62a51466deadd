/* sum over axes, and the engine's broadcast pair sum_to / expand.
 * VJPs: sum: expand(reshape(g, keepdim shape), x.shape)
 *       sum_to: expand(g, x.shape)        expand: sum_to(g, x.shape)
 */
#include "ops/array.h"
#include "ops/elementwise.h"

#include <stdio.h>

#define KEEPDIM i[0] /* sum: keep reduced axes with extent 1 */
/* sum_to, expand: ax[0..nax-1] is the target shape; nax == -1 marks an
 * ndim outside 0..TG_MAX_DIMS (or a NULL shape), REQ_NDIM keeps it. */
#define REQ_NDIM i[1]
/* sum: ax[0..nax-1] are the reduced axes (normalised, sorted); nax == 0
 * reduces everything. sum_to / expand: ax[0..nax-1] is the target shape. */

/* The axes rule and keepdim shape are shared with the other reductions
 * (ops/array_common.c): axes are normalised, sorted and checked there. */
static tg_status sum_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    return tg__axes_rule(g, n, out, n->attr.KEEPDIM);
}

static tg_status sum_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    tg_tensor view = *n->out; /* same data, keepdim shape */
    view.ndim = n->in[0]->ndim;
    tg__keep_shape(n, view.shape);
    tg__reduce_sum_to(&view, n->in[0]);
    return TG_OK;
}

static void sum_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                    tg_tensor **gx)
{
    (void)g, (void)need;
    const tg_tensor *x = n->in[0];
    int64_t ks[TG_MAX_DIMS];
    tg__keep_shape(n, ks);
    gx[0] = tg_expand(tg_reshape(gy, x->ndim, ks), x->ndim, x->shape);
}

/* target (ax) must broadcast to `big`'s shape exactly. */
static tg_status broadcast_pair_shape(tg_graph *g, tg_node *n,
                                      const tg_tensor *small_to_big_src,
                                      bool target_is_big, tg_tensor *out)
{
    const tg_tensor *x = small_to_big_src;
    int nt = n->attr.nax;
    const int64_t *t = n->attr.ax;
    int nb;
    int64_t bs[TG_MAX_DIMS];
    int bad;
    char s1[TG_SHAPE_BUF], s2[TG_SHAPE_BUF];
    const int64_t *small = target_is_big ? x->shape : t;
    int nsmall = target_is_big ? x->ndim : nt;
    const int64_t *big = target_is_big ? t : x->shape;
    int nbig = target_is_big ? nt : x->ndim;
    if (nt < 0 || nt > TG_MAX_DIMS)
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "target ndim %lld outside 0..%d (or the shape is "
                           "NULL) for %s",
                           (long long)n->attr.REQ_NDIM, TG_MAX_DIMS,
                           tg__fmt_shape(s1, x->ndim, x->shape));
    bool ok = nsmall <= nbig &&
              tg__broadcast_shape(nsmall, small, nbig, big, &nb, bs, &bad);
    for (int i = 0; ok && i < nb; i++) ok = bs[i] == big[i];
    for (int i = 0; ok && i < nt; i++) ok = t[i] >= 0;
    if (!ok)
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "%s does not broadcast to %s; hint: dims must "
                           "match or be 1, aligned from the right",
                           tg__fmt_shape(s1, nsmall, small),
                           tg__fmt_shape(s2, nbig, big));
    out->ndim = nt;
    for (int i = 0; i < nt; i++) out->shape[i] = t[i];
    return TG_OK;
}

static tg_status sum_to_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    return broadcast_pair_shape(g, n, n->in[0], false, out);
}
static tg_status expand_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    return broadcast_pair_shape(g, n, n->in[0], true, out);
}

static tg_status sum_to_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    tg__reduce_sum_to(n->out, n->in[0]);
    return TG_OK;
}
static tg_status expand_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    tg__broadcast_copy(n->out, n->in[0]);
    return TG_OK;
}
static void sum_to_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                       const bool *need, tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_expand(gy, n->in[0]->ndim, n->in[0]->shape);
}
static void expand_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                       const bool *need, tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_sum_to(gy, n->in[0]->ndim, n->in[0]->shape);
}

TG_BUILTIN_OP(sum,
    .n_inputs = 1,
    .attrs = {{"axis", TG_ATTR_AXES}, {"keepdim", TG_ATTR_BOOL}},
    .shape = sum_shape,
    .forward = sum_fwd,
    .vjp = sum_vjp,
    .cases = "sum(x) | x=3x4; sum(x, axis=1) | x=3x4; "
        "sum(x, axis=0, keepdim=1) | x=2x3x4; sum(x, axis=-1) | x=2x3x4");
TG_BUILTIN_OP(sum_to,
    .n_inputs = 1,
    .attrs = {{"shape", TG_ATTR_SHAPE, 0, true}},
    .shape = sum_to_shape,
    .forward = sum_to_fwd,
    .vjp = sum_to_vjp,
    .cases = "sum_to(x, shape=[1,4]) | x=3x4; sum_to(x, shape=[4]) | "
        "x=2x3x4; sum_to(x, shape=[2,1,1]) | x=2x3x4");
TG_BUILTIN_OP(expand,
    .n_inputs = 1,
    .attrs = {{"shape", TG_ATTR_SHAPE, 0, true}},
    .shape = expand_shape,
    .forward = expand_fwd,
    .vjp = expand_vjp,
    .cases = "expand(x, shape=[3,4]) | x=1x4; expand(x, shape=[2,3,4]) | "
        "x=3x1; expand(x, shape=[2,2]) | x=scalar");

static tg_tensor *shape_op(int op, tg_tensor *x, int ndim,
                           const int64_t *shape)
{
    tg_attrs a = {0};
    a.REQ_NDIM = ndim;
    if (ndim < 0 || ndim > TG_MAX_DIMS || (ndim > 0 && !shape)) {
        a.nax = -1; /* rejected by the shape rule with a message */
    } else {
        a.nax = ndim;
        for (int i = 0; i < ndim; i++) a.ax[i] = shape[i];
    }
    return tg__apply1(op, x, &a);
}

tg_tensor *tg_sum(tg_tensor *x, int naxes, const int64_t *axes, bool keepdim)
{
    tg_attrs a = {0};
    a.KEEPDIM = keepdim;
    tg__set_axes(&a, naxes, axes);
    return tg__apply1(TG_OP_sum, x, &a);
}

tg_tensor *tg_sum_all(tg_tensor *x) { return tg_sum(x, 0, NULL, false); }

tg_tensor *tg_sum_to(tg_tensor *x, int ndim, const int64_t *shape)
{
    return shape_op(TG_OP_sum_to, x, ndim, shape);
}

tg_tensor *tg__sum_to(tg_tensor *x, int ndim, const int64_t *shape)
{
    return tg_sum_to(x, ndim, shape);
}

tg_tensor *tg_expand(tg_tensor *x, int ndim, const int64_t *shape)
{
    return shape_op(TG_OP_expand, x, ndim, shape);
}
