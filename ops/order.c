/* Ordering: argmax, argmin, sort, argsort, topk, cummax, cummin.
 *
 * Legend: along `axis` x is [outer, len, inner]; a lane is one
 * (outer, inner) pair, len elements apart by `inner`.
 *   argmax/argmin(x; axis, keepdim)  i64 position of the largest/smallest
 *                                    element (axis absent: of the
 *                                    flattened x, a 0-d result)
 *   sort(x; axis, descending)        values in order (indices: argsort)
 *   argsort(x; axis, descending)     i64 positions that sort each lane
 *   topk(x; k, axis, largest)        the k largest (smallest) values of
 *                                    each lane, in order
 *   cummax/cummin(x; axis)           running max/min along the axis
 * Conventions (PyTorch's): ties in argmax/argmin go to the first
 * occurrence; sort and argsort are stable (equal elements keep their
 * order, in descending order too); NaN sorts as larger than everything
 * and is the max and the min (argmax and argmin both find the first NaN);
 * topk takes tied elements in stable-sort order (PyTorch leaves that
 * choice unspecified); cummax/cummin ties go to the last occurrence, and
 * once a NaN is seen the value stays NaN with the index of the latest NaN.
 * argmax, argmin and argsort take any dtype (i64 compared as doubles).
 *
 * VJPs: sort, topk, cummax and cummin move values; each saves the i64
 * index of the source of every output element (a named constant in
 * n->ctx) and sends the gradient back with
 *   dx = scatter_add(g, x.shape, axis, idx)
 * whose own VJP is gather, so second derivatives work. The indices are
 * piecewise constant in x, so they enter as constants.
 */
#include "ops/array.h"

#include <math.h>
#include <stdio.h>

/* Slots. argmax/argmin: the AXES list (at most one axis) and KEEPDIM;
 * sort/argsort: AXIS, DESC; topk: K, AXIS, LARGEST; cummax/cummin: AXIS. */
#define KEEPDIM i[0]
#define AXIS i[0]
#define DESC i[1]
#define K i[0]
#define TK_AXIS i[1]
#define LARGEST i[2]

/* What sort, topk, cummax and cummin keep for backward. */
typedef struct order_saved {
    tg_tensor *idx; /* i64, the output's shape: source position along axis */
} order_saved;

static inline double key(const tg_tensor *t, int64_t i)
{
    switch (t->dtype) {
    case TG_F32: return ((const float *)t->data)[i];
    case TG_F64: return ((const double *)t->data)[i];
    case TG_I64: return (double)((const int64_t *)t->data)[i];
    default: return ((const bool *)t->data)[i];
    }
}

/* a strictly before b: ascending with NaN last, descending with NaN
 * first (NaN is the largest value). */
static inline bool before(double a, double b, bool desc)
{
    if (desc) return !isnan(b) && (isnan(a) || a > b);
    return !isnan(a) && (isnan(b) || a < b);
}

/* Stable merge sort of positions p[0..n) by keys v[p[i]]; tmp n long. */
static void msort(int64_t *p, int64_t *tmp, int64_t n, const double *v,
                  bool desc)
{
    for (int64_t w = 1; w < n; w *= 2) {
        for (int64_t lo = 0; lo < n; lo += 2 * w) {
            int64_t mid = lo + w < n ? lo + w : n;
            int64_t hi = lo + 2 * w < n ? lo + 2 * w : n;
            int64_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = before(v[p[j]], v[p[i]], desc) ? p[j++] : p[i++];
            while (i < mid) tmp[k++] = p[i++];
            while (j < hi) tmp[k++] = p[j++];
        }
        memcpy(p, tmp, sizeof *p * (size_t)n);
    }
}

/* ------------------------------------------------------ argmax/argmin */

static tg_status argext_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    const tg_tensor *x = n->in[0];
    char sb[TG_SHAPE_BUF];
    if (n->attr.nax > 1)
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "takes one axis or none, got %d; hint: flatten "
                           "the axes first (tg_reshape)",
                           n->attr.nax);
    tg_status st = tg__axes_rule(g, n, out, n->attr.KEEPDIM != 0);
    if (st != TG_OK) return st;
    int64_t cnt = tg__reduce_count(n);
    int64_t outer = 0;
    if (!tg__numel(out->ndim, out->shape, &outer)) outer = 1; /* not empty */
    if (cnt == 0 && outer > 0)
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "%s of shape %s reduces an empty dimension; hint: "
                           "there is no position to return (give an axis "
                           "whose extent is not 0)",
                           n->attr.nax ? "the axis" : "the whole tensor",
                           tg__fmt_shape(sb, x->ndim, x->shape));
    out->dtype = TG_I64;
    return TG_OK;
}

static tg_status argext_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    const tg_tensor *x = n->in[0];
    int64_t *y = n->out->data;
    bool mx = n->op == &tg_op_argmax;
    if (n->out->numel == 0) return TG_OK; /* the lanes' extents may be huge */
    tg_axis3 s = {1, x->numel, 1};
    if (n->attr.nax == 1) s = tg__axis3(x, (int)n->attr.ax[0]);
    for (int64_t o = 0; o < s.outer; o++)
        for (int64_t j = 0; j < s.inner; j++) {
            int64_t base = o * s.len * s.inner + j, best = 0;
            double bv = s.len ? key(x, base) : 0;
            for (int64_t k = 1; k < s.len && !isnan(bv); k++) {
                double v = key(x, base + k * s.inner);
                if (isnan(v) || (mx ? v > bv : v < bv)) bv = v, best = k;
            }
            y[o * s.inner + j] = best;
        }
    return TG_OK;
}

/* ------------------------------------------------------ sort, argsort */

/* Scratch for one lane: keys, positions, merge buffer. */
typedef struct lane_buf {
    double *v;
    int64_t *p, *tmp;
} lane_buf;

static bool lane_alloc(tg_graph *g, const tg_node *n, lane_buf *b,
                       int64_t len)
{
    size_t m = (size_t)(len ? len : 1);
    b->v = tg__scratch(g, n, sizeof(double) * m);
    b->p = b->v ? tg__scratch(g, n, sizeof(int64_t) * m) : NULL;
    b->tmp = b->p ? tg__scratch(g, n, sizeof(int64_t) * m) : NULL;
    return b->tmp != NULL;
}

/* Sort every lane of x; the first `keep` positions of each lane go to
 * idx (i64, [outer, keep, inner]) and, when vals is set, their values. */
static tg_status sort_lanes(tg_graph *g, const tg_node *n, const tg_tensor *x,
                            int axis, bool desc, int64_t keep, int64_t *idx,
                            void *vals)
{
    if (x->numel == 0) return TG_OK; /* outer * inner may not even fit */
    tg_axis3 s = tg__axis3(x, axis);
    lane_buf b;
    if (!lane_alloc(g, n, &b, s.len)) return TG_ERR_OOM;
    for (int64_t o = 0; o < s.outer; o++)
        for (int64_t j = 0; j < s.inner; j++) {
            int64_t base = o * s.len * s.inner + j;
            for (int64_t k = 0; k < s.len; k++) {
                b.v[k] = key(x, base + k * s.inner);
                b.p[k] = k;
            }
            msort(b.p, b.tmp, s.len, b.v, desc);
            for (int64_t k = 0; k < keep; k++) {
                int64_t at = (o * keep + k) * s.inner + j;
                idx[at] = b.p[k];
                if (vals && x->dtype == TG_F32)
                    ((float *)vals)[at] = (float)b.v[b.p[k]];
                else if (vals)
                    ((double *)vals)[at] = b.v[b.p[k]];
            }
        }
    return TG_OK;
}

static tg_status sort_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    tg_status st = tg__axis_rule(g, n, n->in[0], &n->attr.AXIS);
    if (st != TG_OK) return st;
    if (n->op == &tg_op_argsort) out->dtype = TG_I64;
    return tg_shape_same(g, n, out);
}

/* A new i64 constant of out's shape in n->ctx for backward. */
static int64_t *save_idx(tg_graph *g, tg_node *n)
{
    tg_tensor *y = n->out;
    order_saved *sv = tg__scratch(g, n, sizeof *sv);
    char who[48]; /* messages name the C function, as tg__op_fail does */
    snprintf(who, sizeof who, "tg_%s", n->op->name);
    tg_tensor *t = sv ? tg__const_tensor(g, TG_I64, y->ndim, y->shape, who)
                      : NULL;
    if (!t) return NULL;
    sv->idx = t;
    n->ctx = sv;
    return t->data;
}

static tg_status sort_fwd(tg_graph *g, tg_node *n)
{
    const tg_tensor *x = n->in[0];
    bool desc = n->attr.DESC != 0;
    int axis = x->ndim ? (int)n->attr.AXIS : 0;
    if (n->op == &tg_op_argsort) {
        int64_t *y = n->out->data;
        if (x->ndim == 0) return (*y = 0), TG_OK;
        return sort_lanes(g, n, x, axis, desc, x->shape[axis], y, NULL);
    }
    int64_t *idx = save_idx(g, n);
    if (!idx) return TG_ERR_OOM;
    if (x->ndim == 0) {
        *idx = 0;
        memcpy(n->out->data, x->data, tg__dsize(x->dtype));
        return TG_OK;
    }
    return sort_lanes(g, n, x, axis, desc, x->shape[axis], idx,
                      n->out->data);
}

/* dx = scatter_add(g, x.shape, axis, idx); a 0-d x is its own sort. */
static void order_vjp_axis(tg_graph *g, tg_node *n, tg_tensor *gy,
                           const bool *need, tg_tensor **gx, int axis)
{
    (void)g;
    const tg_tensor *x = n->in[0];
    const order_saved *sv = n->ctx;
    if (!need[0]) return;
    if (x->ndim == 0) gx[0] = gy;
    else gx[0] = tg_scatter_add(gy, x->ndim, x->shape, axis, sv->idx);
}

static void sort_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                     const bool *need, tg_tensor **gx)
{
    order_vjp_axis(g, n, gy, need, gx, (int)n->attr.AXIS);
}

/* ---------------------------------------------------------------- topk */

static tg_status topk_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    const tg_tensor *x = n->in[0];
    char sb[TG_SHAPE_BUF];
    tg_status st = tg__axis_rule(g, n, x, &n->attr.TK_AXIS);
    if (st != TG_OK) return st;
    int64_t len = x->ndim ? x->shape[n->attr.TK_AXIS] : 1;
    int64_t k = n->attr.K;
    if (k < 0 || k > len || (x->ndim == 0 && k != 1))
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "k = %lld is out of range for axis %lld of %s; "
                           "hint: k lies in [0, %lld]%s",
                           (long long)k, (long long)n->attr.TK_AXIS,
                           tg__fmt_shape(sb, x->ndim, x->shape),
                           (long long)len,
                           x->ndim == 0 ? " and is 1 for a 0-d tensor" : "");
    st = tg_shape_same(g, n, out);
    if (x->ndim) out->shape[n->attr.TK_AXIS] = k;
    return st;
}

static tg_status topk_fwd(tg_graph *g, tg_node *n)
{
    const tg_tensor *x = n->in[0];
    int64_t *idx = save_idx(g, n);
    if (!idx) return TG_ERR_OOM;
    if (x->ndim == 0) {
        *idx = 0;
        memcpy(n->out->data, x->data, tg__dsize(x->dtype));
        return TG_OK;
    }
    return sort_lanes(g, n, x, (int)n->attr.TK_AXIS, n->attr.LARGEST != 0,
                      n->attr.K, idx, n->out->data);
}

static void topk_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                     const bool *need, tg_tensor **gx)
{
    order_vjp_axis(g, n, gy, need, gx, (int)n->attr.TK_AXIS);
}

/* ------------------------------------------------------- cummax/cummin */

static tg_status cum_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    tg_status st = tg__axis_rule(g, n, n->in[0], &n->attr.AXIS);
    if (st != TG_OK) return st;
    return tg_shape_same(g, n, out);
}

#define CUM(T)                                                              \
    {                                                                       \
        const T *xv = x->data;                                              \
        T *yv = n->out->data;                                               \
        for (int64_t o = 0; o < s.outer; o++)                               \
            for (int64_t j = 0; j < s.inner; j++) {                         \
                int64_t base = o * s.len * s.inner + j, bi = 0;             \
                T bv = 0;                                                   \
                for (int64_t k = 0; k < s.len; k++) {                       \
                    int64_t at = base + k * s.inner;                        \
                    T v = xv[at];                                           \
                    if (k == 0 || isnan(v) ||                               \
                        (!isnan(bv) && (mx ? v >= bv : v <= bv)))           \
                        bv = v, bi = k;                                     \
                    yv[at] = bv;                                            \
                    idx[at] = bi;                                           \
                }                                                           \
            }                                                               \
    }

static tg_status cum_fwd(tg_graph *g, tg_node *n)
{
    const tg_tensor *x = n->in[0];
    int64_t *idx = save_idx(g, n);
    if (!idx) return TG_ERR_OOM;
    bool mx = n->op == &tg_op_cummax;
    if (x->numel == 0) return TG_OK;
    tg_axis3 s = tg__axis3(x, x->ndim ? (int)n->attr.AXIS : 0);
    if (x->dtype == TG_F32) CUM(float) else CUM(double)
    return TG_OK;
}

static void cum_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                    tg_tensor **gx)
{
    order_vjp_axis(g, n, gy, need, gx, (int)n->attr.AXIS);
}

/* ---------------------------------------------------------- descriptors */

TG_BUILTIN_OP(argmax,
    .n_inputs = 1,
    .flags = TG_OPF_ANY_DTYPE,
    .attrs = {{"axis", TG_ATTR_AXES}, {"keepdim", TG_ATTR_BOOL, 0}},
    .shape = argext_shape,
    .forward = argext_fwd,
    .cases = "gather(x, argmax(x, axis=1, keepdim=1), axis=1) | x=3x4; "
        "x * cast(argmax(x), dtype=f64) | x=5");
TG_BUILTIN_OP(argmin,
    .n_inputs = 1,
    .flags = TG_OPF_ANY_DTYPE,
    .attrs = {{"axis", TG_ATTR_AXES}, {"keepdim", TG_ATTR_BOOL, 0}},
    .shape = argext_shape,
    .forward = argext_fwd,
    .cases = "gather(x, argmin(x, axis=0, keepdim=1), axis=0) | x=3x4; "
        "x * cast(argmin(x), dtype=f64) | x=5");
TG_BUILTIN_OP(sort,
    .n_inputs = 1,
    .flags = TG_OPF_NONSMOOTH,
    .attrs = {{"axis", TG_ATTR_INT, -1}, {"descending", TG_ATTR_BOOL, 0}},
    .shape = sort_shape,
    .forward = sort_fwd,
    .vjp = sort_vjp,
    .cases = "sort(x) * y | x=3x5 y=5; "
        "sort(x * x, axis=0, descending=1) * y | x=4x3 y=4x1; "
        "sort(x) * x | x=scalar");
TG_BUILTIN_OP(argsort,
    .n_inputs = 1,
    .flags = TG_OPF_ANY_DTYPE,
    .attrs = {{"axis", TG_ATTR_INT, -1}, {"descending", TG_ATTR_BOOL, 0}},
    .shape = sort_shape,
    .forward = sort_fwd,
    .cases = "gather(x, argsort(x, axis=1, descending=1), axis=1) * y | "
        "x=3x4 y=4");
TG_BUILTIN_OP(topk,
    .n_inputs = 1,
    .flags = TG_OPF_NONSMOOTH,
    .attrs = {{"k", TG_ATTR_I64, 1, true},
              {"axis", TG_ATTR_INT, -1},
              {"largest", TG_ATTR_BOOL, 1}},
    .shape = topk_shape,
    .forward = topk_fwd,
    .vjp = topk_vjp,
    .cases = "topk(x, k=2) * y | x=3x5 y=2; "
        "topk(x * x, k=3, axis=0, largest=0) * y | x=4x2 y=3x1");
TG_BUILTIN_OP(cummax,
    .n_inputs = 1,
    .flags = TG_OPF_NONSMOOTH,
    .attrs = {{"axis", TG_ATTR_INT, 0, true}},
    .shape = cum_shape,
    .forward = cum_fwd,
    .vjp = cum_vjp,
    .cases = "cummax(x, axis=1) * y | x=3x5 y=5; cummax(x, axis=0) | x=6");
TG_BUILTIN_OP(cummin,
    .n_inputs = 1,
    .flags = TG_OPF_NONSMOOTH,
    .attrs = {{"axis", TG_ATTR_INT, 0, true}},
    .shape = cum_shape,
    .forward = cum_fwd,
    .vjp = cum_vjp,
    .cases = "cummin(x, axis=0) * y | x=4x3 y=4x1; cummin(x * x, axis=-1) | "
        "x=2x5");

static tg_tensor *argext(int op, tg_tensor *x, const int *axis, bool keepdim)
{
    tg_attrs a = {0};
    if (axis) {
        a.nax = 1;
        a.ax[0] = *axis;
    }
    a.KEEPDIM = keepdim;
    return tg__apply1(op, x, &a);
}

tg_tensor *tg_argmax(tg_tensor *x, const int *axis, bool keepdim)
{
    return argext(TG_OP_argmax, x, axis, keepdim);
}

tg_tensor *tg_argmin(tg_tensor *x, const int *axis, bool keepdim)
{
    return argext(TG_OP_argmin, x, axis, keepdim);
}

/* The indices of a values op: from its node's saved constant. Grad mode
 * off records no node, so the op then runs recorded for this one call
 * and its output is cut from the tape's gradient flow, as grad mode off
 * asks. */
static tg_tensor *with_indices(int op, tg_tensor *x, const tg_attrs *a,
                               tg_tensor **indices)
{
    if (!indices) return tg__apply1(op, x, a);
    *indices = NULL;
    tg_graph *g = x ? x->graph : NULL;
    bool was = g && tg_set_grad_enabled(g, true);
    tg_tensor *y = tg__apply1(op, x, a);
    if (g) tg_set_grad_enabled(g, was);
    if (!y || (y->flags & TG_TF_POISON) || !y->node) return y;
    if (!was) y->flags &= ~(uint32_t)TG_TF_REQUIRES_GRAD;
    *indices = ((const order_saved *)y->node->ctx)->idx;
    return y;
}

tg_tensor *tg_sort(tg_tensor *x, int axis, bool descending,
                   tg_tensor **indices)
{
    tg_attrs a = {0};
    a.AXIS = axis;
    a.DESC = descending;
    return with_indices(TG_OP_sort, x, &a, indices);
}

tg_tensor *tg_argsort(tg_tensor *x, int axis, bool descending)
{
    tg_attrs a = {0};
    a.AXIS = axis;
    a.DESC = descending;
    return tg__apply1(TG_OP_argsort, x, &a);
}

tg_tensor *tg_topk(tg_tensor *x, int64_t k, int axis, bool largest,
                   tg_tensor **indices)
{
    tg_attrs a = {0};
    a.K = k;
    a.TK_AXIS = axis;
    a.LARGEST = largest;
    return with_indices(TG_OP_topk, x, &a, indices);
}

tg_tensor *tg_cummax(tg_tensor *x, int axis, tg_tensor **indices)
{
    tg_attrs a = {0};
    a.AXIS = axis;
    return with_indices(TG_OP_cummax, x, &a, indices);
}

tg_tensor *tg_cummin(tg_tensor *x, int axis, tg_tensor **indices)
{
    tg_attrs a = {0};
    a.AXIS = axis;
    return with_indices(TG_OP_cummin, x, &a, indices);
}
