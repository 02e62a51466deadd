/* flatten, squeeze, unsqueeze: the same data under another shape (views,
 * no copy, like reshape); each has its own shape rule so errors name it.
 * VJP of all three: reshape(g, x.shape). Nothing is saved.
 */
#include "ops/array.h"

#define START i[0] /* flatten: first merged dim; squeeze/unsqueeze: axis */
#define END i[1]   /* flatten: last merged dim (inclusive)              */
#define ALL i[2]   /* squeeze: drop every extent-1 dim                   */

static tg_status flatten_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    const tg_tensor *x = n->in[0];
    int nd = x->ndim ? x->ndim : 1; /* a 0-d tensor flattens to [1] */
    int64_t s = n->attr.START, e = n->attr.END;
    char sb[TG_SHAPE_BUF];
    if (!tg__norm_axis(&s, nd) || !tg__norm_axis(&e, nd) || s > e)
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "cannot flatten dims %lld..%lld of %s; hint: "
                           "start <= end, both in [-%d, %d)",
                           (long long)n->attr.START, (long long)n->attr.END,
                           tg__fmt_shape(sb, x->ndim, x->shape), nd, nd);
    if (x->ndim == 0) {
        out->ndim = 1;
        out->shape[0] = 1;
        return TG_OK;
    }
    out->ndim = 0;
    for (int i = 0; i < s; i++) out->shape[out->ndim++] = x->shape[i];
    int64_t m;
    if (!tg__numel((int)(e - s + 1), x->shape + s, &m))
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "dims %lld..%lld of %s merge into an extent that "
                           "is too large (more than 2^59); hint: flatten "
                           "fewer dims",
                           (long long)n->attr.START, (long long)n->attr.END,
                           tg__fmt_shape(sb, x->ndim, x->shape));
    out->shape[out->ndim++] = m;
    for (int i = (int)e + 1; i < x->ndim; i++)
        out->shape[out->ndim++] = x->shape[i];
    return TG_OK;
}

static tg_status squeeze_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    const tg_tensor *x = n->in[0];
    int64_t a = n->attr.START;
    if (!n->attr.ALL) {
        tg_status st = tg__axis_rule(g, n, x, &a);
        if (st != TG_OK) return st;
    }
    out->ndim = 0;
    for (int i = 0; i < x->ndim; i++) {
        bool drop = x->shape[i] == 1 && (n->attr.ALL || i == a);
        if (!drop) out->shape[out->ndim++] = x->shape[i];
    }
    return TG_OK;
}

static tg_status unsqueeze_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    const tg_tensor *x = n->in[0];
    int64_t a = n->attr.START;
    char sb[TG_SHAPE_BUF];
    if (x->ndim >= TG_MAX_DIMS || !tg__norm_axis(&a, x->ndim + 1))
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "cannot insert an axis at %lld into %s; hint: the "
                           "axis lies in [-%d, %d] and tensors have at most "
                           "%d dims",
                           (long long)n->attr.START,
                           tg__fmt_shape(sb, x->ndim, x->shape), x->ndim + 1,
                           x->ndim, TG_MAX_DIMS);
    out->ndim = x->ndim + 1;
    for (int i = 0, k = 0; i < out->ndim; i++)
        out->shape[i] = i == a ? 1 : x->shape[k++];
    return TG_OK;
}

static tg_status view_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    n->out->data = n->in[0]->data;
    return TG_OK;
}

static void view_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                     tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_reshape(gy, n->in[0]->ndim, n->in[0]->shape);
}

TG_BUILTIN_OP(flatten,
    .n_inputs = 1,
    .flags = TG_OPF_VIEW | TG_OPF_ANY_DTYPE,
    .attrs = {{"start", TG_ATTR_INT}, {"end", TG_ATTR_INT, -1}},
    .shape = flatten_shape,
    .forward = view_fwd,
    .vjp = view_vjp,
    .cases = "flatten(x, start=1, end=-1) * x2 | x=2x3x4 x2=2x12; "
        "flatten(x, start=0, end=1) | x=2x3x4");
TG_BUILTIN_OP(squeeze,
    .n_inputs = 1,
    .flags = TG_OPF_VIEW | TG_OPF_ANY_DTYPE,
    .attrs = {{"axis", TG_ATTR_INT, 0, true}},
    .shape = squeeze_shape,
    .forward = view_fwd,
    .vjp = view_vjp,
    .cases = "squeeze(x, axis=1) * y | x=3x1x4 y=3x4; squeeze_all(x) | x=1x3x1");
TG_BUILTIN_OP(unsqueeze,
    .n_inputs = 1,
    .flags = TG_OPF_VIEW | TG_OPF_ANY_DTYPE,
    .attrs = {{"axis", TG_ATTR_INT, 0, true}},
    .shape = unsqueeze_shape,
    .forward = view_fwd,
    .vjp = view_vjp,
    .cases = "unsqueeze(x, axis=1) * y | x=3x4 y=3x2x4; unsqueeze(x, axis=-1) | x=3");

tg_tensor *tg_flatten(tg_tensor *x, int start, int end)
{
    tg_attrs a = {0};
    a.START = start;
    a.END = end;
    return tg__apply1(TG_OP_flatten, x, &a);
}

tg_tensor *tg_squeeze(tg_tensor *x, int axis)
{
    tg_attrs a = {0};
    a.START = axis;
    return tg__apply1(TG_OP_squeeze, x, &a);
}

tg_tensor *tg_squeeze_all(tg_tensor *x)
{
    tg_attrs a = {0};
    a.ALL = 1;
    return tg__apply1(TG_OP_squeeze, x, &a);
}

tg_tensor *tg_unsqueeze(tg_tensor *x, int axis)
{
    tg_attrs a = {0};
    a.START = axis;
    return tg__apply1(TG_OP_unsqueeze, x, &a);
}
