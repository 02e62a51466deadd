/* Cumulative ops and flip along axes.
 *
 *   flip(x, dims)     y[.., i, ..] = x[.., n-1-i, ..] on each axis of dims
 *                     VJP flip(g, dims)
 *   cumsum(x, dim)    y_k = sum_{j <= k} x_j along dim (accumulated in
 *                     double for f32)
 *                     VJP flip(cumsum(flip(g, dim), dim), dim): the sums
 *                     from the end, g_j reaches every x_k with k <= j
 *
 * Both are linear, so their VJPs are exact to any order. */
#include "ops/array.h"

#include <string.h>

#define DIM i[0] /* cumsum: the axis, normalised by the shape rule */

/* ---------------------------------------------------------------- flip */

/* dims normalised in place; duplicates refused (PyTorch) */
static tg_status flip_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    const tg_tensor *x = n->in[0];
    int nd = x->ndim ? x->ndim : 1;
    bool seen[TG_MAX_DIMS] = {false};
    char sb[TG_SHAPE_BUF];
    if (n->attr.nax < 0 || n->attr.nax > TG_MAX_DIMS)
        return tg__op_fail(g, n, TG_ERR_ARG, "too many dims (at most %d)",
                           TG_MAX_DIMS);
    for (int k = 0; k < n->attr.nax; k++) {
        int64_t a = n->attr.ax[k];
        if (!tg__norm_axis(&a, nd))
            return tg__op_fail(g, n, TG_ERR_SHAPE,
                               "dim %lld out of range for shape %s; hint: "
                               "dims lie in [-%d, %d)",
                               (long long)n->attr.ax[k],
                               tg__fmt_shape(sb, x->ndim, x->shape), nd, nd);
        if (seen[a])
            return tg__op_fail(g, n, TG_ERR_ARG,
                               "dim %lld appears twice in dims for shape %s",
                               (long long)a,
                               tg__fmt_shape(sb, x->ndim, x->shape));
        seen[a] = true;
        n->attr.ax[k] = a;
    }
    return tg_shape_same(g, n, out);
}

/* Walks y in order with x's index moving backward on flipped axes. */
static tg_status flip_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    const tg_tensor *x = n->in[0];
    if (x->numel == 0) return TG_OK; /* strides of [0, huge] would overflow */
    size_t es = tg__dsize(x->dtype);
    int nd = x->ndim;
    bool fl[TG_MAX_DIMS] = {false};
    for (int k = 0; k < n->attr.nax; k++) fl[n->attr.ax[k]] = true;
    int64_t stride[TG_MAX_DIMS], idx[TG_MAX_DIMS] = {0};
    int64_t s = 1;
    for (int d = nd - 1; d >= 0; d--) stride[d] = s, s *= x->shape[d];
    const unsigned char *src = x->data;
    unsigned char *dst = n->out->data;
    for (int64_t i = 0; i < x->numel; i++) {
        int64_t off = 0;
        for (int d = 0; d < nd; d++)
            off += (fl[d] ? x->shape[d] - 1 - idx[d] : idx[d]) * stride[d];
        memcpy(dst + (size_t)i * es, src + (size_t)off * es, es);
        for (int d = nd - 1; d >= 0; d--) {
            if (++idx[d] < x->shape[d]) break;
            idx[d] = 0;
        }
    }
    return TG_OK;
}

static void flip_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                     tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_flip(gy, n->attr.nax, n->attr.ax);
}

TG_BUILTIN_OP(flip,
    .n_inputs = 1,
    .attrs = {{"dims", TG_ATTR_AXES, 0, .required = true}},
    .shape = flip_shape,
    .forward = flip_fwd,
    .vjp = flip_vjp,
    .cases = "flip(x, dims=[0]) * x | x=3x4; flip(x, dims=[-1, 0]) * x | x=2x3x4; "
             "flip(x, dims=[0]) * x | x=5");

tg_tensor *tg_flip(tg_tensor *x, int ndims, const int64_t *dims)
{
    tg_attrs a = {0};
    a.nax = ndims;
    for (int k = 0; k < ndims && k < TG_MAX_DIMS; k++) a.ax[k] = dims[k];
    if (ndims > TG_MAX_DIMS || ndims < 0) a.nax = -1;
    return tg__apply1(TG_OP_flip, x, &a);
}

/* -------------------------------------------------------------- cumsum */

static tg_status cumsum_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    tg_status st = tg__axis_rule(g, n, n->in[0], &n->attr.DIM);
    if (st != TG_OK) return st;
    return tg_shape_same(g, n, out);
}

static tg_status cumsum_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    const tg_tensor *x = n->in[0];
    if (x->numel == 0) return TG_OK; /* no walk over an empty [0, huge] */
    tg_axis3 s = tg__axis3(x, (int)n->attr.DIM);
    for (int64_t o = 0; o < s.outer; o++)
        for (int64_t j = 0; j < s.inner; j++) {
            double acc = 0;
            for (int64_t k = 0; k < s.len; k++) {
                int64_t i = (o * s.len + k) * s.inner + j;
                if (x->dtype == TG_F32) {
                    acc += ((const float *)x->data)[i];
                    ((float *)n->out->data)[i] = (float)acc;
                } else {
                    acc += ((const double *)x->data)[i];
                    ((double *)n->out->data)[i] = acc;
                }
            }
        }
    return TG_OK;
}

static void cumsum_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                       const bool *need, tg_tensor **gx)
{
    (void)g, (void)need;
    int64_t d = n->attr.DIM;
    gx[0] = tg_flip(tg_cumsum(tg_flip(gy, 1, &d), (int)d), 1, &d);
}

TG_BUILTIN_OP(cumsum,
    .n_inputs = 1,
    .attrs = {{"dim", TG_ATTR_INT, 0, .required = true}},
    .shape = cumsum_shape,
    .forward = cumsum_fwd,
    .vjp = cumsum_vjp,
    .cases = "cumsum(x, dim=1) * x | x=3x4; cumsum(x, dim=0) * x | x=2x3x4; "
             "cumsum(x, dim=-1) * x | x=6; cumsum(x, dim=0) * x | x=scalar");

tg_tensor *tg_cumsum(tg_tensor *x, int dim)
{
    tg_attrs a = {0};
    a.DIM = dim;
    return tg__apply1(TG_OP_cumsum, x, &a);
}
