/* Integer indexing: index_select / index_add and gather / scatter_add.
 * Index tensors hold whole numbers in f32 or f64 (the engine's only
 * dtypes), are validated (integral, in range) before any work, and get no
 * gradient.
 *
 * Legend: along `axis` x is [outer, n, inner]; K = numel(idx).
 *   index_select(x, axis, idx)   y[o, k, :] = x[o, idx[k], :]
 *                                (y.shape = x.shape[:axis] + idx.shape +
 *                                x.shape[axis+1:], numpy.take)
 *   index_add(g, shape, axis, idx)   z = zeros(shape); z[o, idx[k], :] +=
 *                                    g[o, k, :]
 *   gather(x, axis, idx)         y[p] = x[p with p[axis] = idx[p]]
 *                                (idx.ndim = x.ndim, y.shape = idx.shape)
 *   scatter_add(g, shape, axis, idx) z = zeros(shape); z[p with p[axis] =
 *                                    idx[p]] += g[p]
 * VJPs (all linear in the float input):
 *   index_select -> index_add(g, x.shape, axis, idx)
 *   index_add    -> index_select(h, axis, idx)
 *   gather       -> scatter_add(g, x.shape, axis, idx)
 *   scatter_add  -> gather(h, axis, idx)
 * Repeated indices accumulate in the *_add ops. Nothing is saved.
 */
#include "ops/array.h"

#include <stdio.h>

#define AXIS i[0]
/* index_add, scatter_add: ax[0..nax-1] is the output shape. */

static tg_status check_idx(tg_graph *g, tg_node *n, const tg_tensor *idx,
                           int ndim, const int64_t *shape, int64_t a)
{
    char sb[TG_SHAPE_BUF], desc[TG_SHAPE_BUF + 40];
    snprintf(desc, sizeof desc, "axis %lld of %s", (long long)a,
             tg__fmt_shape(sb, ndim, shape));
    return tg__check_indices(g, n, idx, shape[a], "index", desc);
}

/* The indexed tensor's shape: x (forward ops) or the attribute (adds). */
static int src_shape(const tg_node *n, const int64_t **shape)
{
    bool add = n->op == &tg_op_index_add || n->op == &tg_op_scatter_add;
    *shape = add ? n->attr.ax : n->in[0]->shape;
    return add ? n->attr.nax : n->in[0]->ndim;
}

/* ------------------------------------------------- index_select / add */

/* y.shape = shape[:a] + idx.shape + shape[a+1:] */
static bool take_shape(int nd, const int64_t *shape, int64_t a,
                       const tg_tensor *idx, int *ond, int64_t *os)
{
    if (nd - 1 + idx->ndim > TG_MAX_DIMS) return false;
    int k = 0;
    for (int d = 0; d < a; d++) os[k++] = shape[d];
    for (int d = 0; d < idx->ndim; d++) os[k++] = idx->shape[d];
    for (int d = (int)a + 1; d < nd; d++) os[k++] = shape[d];
    *ond = k;
    return true;
}

static tg_status take_rule(tg_graph *g, tg_node *n, tg_tensor *out)
{
    const int64_t *shape;
    int nd = src_shape(n, &shape);
    const tg_tensor *v = n->in[0], *idx = n->in[1];
    char s1[TG_SHAPE_BUF], s2[TG_SHAPE_BUF], s3[TG_SHAPE_BUF],
        s4[TG_SHAPE_BUF];
    bool add = n->op == &tg_op_index_add;
    if (nd < 1 || nd > TG_MAX_DIMS)
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "cannot index a %d-d tensor; hint: it needs at "
                           "least one axis",
                           nd < 0 ? 0 : nd);
    int64_t a = n->attr.AXIS;
    if (!tg__norm_axis(&a, nd))
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "axis %lld out of range for shape %s; hint: axes "
                           "lie in [-%d, %d)",
                           (long long)n->attr.AXIS,
                           tg__fmt_shape(s1, nd, shape), nd, nd);
    n->attr.AXIS = a;
    int tnd;
    int64_t ts[TG_MAX_DIMS];
    if (!take_shape(nd, shape, a, idx, &tnd, ts))
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "indexing %s with %s gives more than %d dims",
                           tg__fmt_shape(s1, nd, shape),
                           tg__fmt_shape(s2, idx->ndim, idx->shape),
                           TG_MAX_DIMS);
    if (add) {
        bool ok = tnd == v->ndim;
        for (int d = 0; ok && d < tnd; d++) ok = ts[d] == v->shape[d];
        for (int d = 0; ok && d < nd; d++) ok = shape[d] >= 0;
        if (!ok)
            return tg__op_fail(g, n, TG_ERR_SHAPE,
                               "gradient %s does not match %s indexed by %s "
                               "along axis %lld (want %s)",
                               tg__fmt_shape(s1, v->ndim, v->shape),
                               tg__fmt_shape(s2, nd, shape),
                               tg__fmt_shape(s3, idx->ndim, idx->shape),
                               (long long)a, tg__fmt_shape(s4, tnd, ts));
    }
    tg_status st = check_idx(g, n, idx, nd, shape, a);
    if (st != TG_OK) return st;
    if (add) {
        out->ndim = nd;
        for (int d = 0; d < nd; d++) out->shape[d] = shape[d];
    } else {
        out->ndim = tnd;
        memcpy(out->shape, ts, sizeof ts);
    }
    out->dtype = v->dtype;
    return TG_OK;
}

/* Move [outer, K, inner] blocks between the big ([outer, n, inner]) and
 * the taken ([outer, K, inner]) layouts; add accumulates into big. */
#define TAKE(T)                                                             \
    {                                                                       \
        T *bv = big, *tv = taken;                                           \
        for (int64_t o = 0; o < s.outer; o++)                               \
            for (int64_t k = 0; k < K; k++) {                               \
                T *b = bv + (o * s.len + tg__index_at(idx, k)) * s.inner;   \
                T *t = tv + (o * K + k) * s.inner;                          \
                if (add)                                                    \
                    for (int64_t j = 0; j < s.inner; j++) b[j] += t[j];     \
                else                                                        \
                    memcpy(t, b, sizeof(T) * (size_t)s.inner);              \
            }                                                               \
    }

static void take(void *big, void *taken, tg_axis3 s, const tg_tensor *idx,
                 tg_dtype dt, bool add)
{
    int64_t K = idx->numel;
    if (K == 0 || s.inner == 0) return; /* s.outer may be huge then */
    if (dt == TG_F32) TAKE(float) else TAKE(double)
}

static tg_status index_select_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    const tg_tensor *x = n->in[0];
    take(x->data, n->out->data, tg__axis3(x, (int)n->attr.AXIS), n->in[1],
         x->dtype, false);
    return TG_OK;
}

static tg_status index_add_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    tg_tensor *z = n->out;
    memset(z->data, 0, (size_t)z->numel * tg__dsize(z->dtype));
    take(z->data, n->in[0]->data, tg__axis3(z, (int)n->attr.AXIS), n->in[1],
         z->dtype, true);
    return TG_OK;
}

static void index_select_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                             const bool *need, tg_tensor **gx)
{
    (void)g;
    const tg_tensor *x = n->in[0];
    if (need[0])
        gx[0] = tg_index_add(gy, x->ndim, x->shape, (int)n->attr.AXIS,
                             n->in[1]);
}

static void index_add_vjp(tg_graph *g, tg_node *n, tg_tensor *h,
                          const bool *need, tg_tensor **gx)
{
    (void)g;
    if (need[0]) gx[0] = tg_index_select(h, (int)n->attr.AXIS, n->in[1]);
}

/* ------------------------------------------------- gather / scatter_add */

static tg_status gather_rule(tg_graph *g, tg_node *n, tg_tensor *out)
{
    const int64_t *shape;
    int nd = src_shape(n, &shape);
    const tg_tensor *v = n->in[0], *idx = n->in[1];
    char s1[TG_SHAPE_BUF], s2[TG_SHAPE_BUF];
    bool add = n->op == &tg_op_scatter_add;
    if (nd < 1 || nd > TG_MAX_DIMS)
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "cannot index a %d-d tensor; hint: it needs at "
                           "least one axis",
                           nd < 0 ? 0 : nd);
    int64_t a = n->attr.AXIS;
    if (!tg__norm_axis(&a, nd))
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "axis %lld out of range for shape %s; hint: axes "
                           "lie in [-%d, %d)",
                           (long long)n->attr.AXIS,
                           tg__fmt_shape(s1, nd, shape), nd, nd);
    n->attr.AXIS = a;
    bool ok = idx->ndim == nd;
    for (int d = 0; ok && d < nd; d++)
        ok = shape[d] >= 0 && (d == a || idx->shape[d] <= shape[d]);
    if (!ok)
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "index %s does not fit %s; hint: same number of "
                           "dims, and no larger than it off axis %lld",
                           tg__fmt_shape(s1, idx->ndim, idx->shape),
                           tg__fmt_shape(s2, nd, shape), (long long)a);
    if (add && !tg__same_shape(v, idx))
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "gradient %s and index %s differ in shape",
                           tg__fmt_shape(s1, v->ndim, v->shape),
                           tg__fmt_shape(s2, idx->ndim, idx->shape));
    tg_status st = check_idx(g, n, idx, nd, shape, a);
    if (st != TG_OK) return st;
    out->ndim = nd;
    for (int d = 0; d < nd; d++) out->shape[d] = add ? shape[d] : idx->shape[d];
    out->dtype = v->dtype;
    return TG_OK;
}

/* For each element p of idx: big[off(p)] <-> small[p], with off(p) the
 * row-major offset in `big` of p with p[axis] replaced by idx[p]. */
#define GATHER(T)                                                           \
    {                                                                       \
        T *bv = big, *sv = small;                                           \
        for (int64_t i = 0; i < idx->numel; i++) {                          \
            int64_t rem = i, off = 0;                                       \
            for (int d = nd - 1; d >= 0; d--) {                             \
                int64_t c = rem % idx->shape[d];                            \
                rem /= idx->shape[d];                                       \
                off += (d == a ? tg__index_at(idx, i) : c) * str[d];        \
            }                                                               \
            if (add) bv[off] += sv[i];                                      \
            else sv[i] = bv[off];                                           \
        }                                                                   \
    }

/* Along the last axis (max pooling's gradient, per-row labels): each row
 * of idx indexes one row of `big`, so the row's offset is worked out once
 * and the inner loop reads the indices in their own type. */
#define GATHER_LAST(T, I)                                                   \
    {                                                                       \
        T *bv = big, *sv = small;                                           \
        const I *iv = idx->data;                                            \
        for (int64_t r = 0; r < rows; r++) {                                \
            int64_t rem = r, off = 0;                                       \
            for (int d = nd - 2; d >= 0; d--) {                             \
                off += (rem % idx->shape[d]) * str[d];                      \
                rem /= idx->shape[d];                                       \
            }                                                               \
            T *br = bv + off, *sr = sv + r * K;                             \
            const I *ir = iv + r * K;                                       \
            if (add)                                                        \
                for (int64_t k = 0; k < K; k++) br[(int64_t)ir[k]] += sr[k]; \
            else                                                            \
                for (int64_t k = 0; k < K; k++) sr[k] = br[(int64_t)ir[k]]; \
        }                                                                   \
    }

static void gather_run(void *big, const int64_t *bshape, void *small,
                       const tg_tensor *idx, int a, tg_dtype dt, bool add)
{
    int nd = idx->ndim;
    int64_t str[TG_MAX_DIMS];
    for (int d = 0; d < nd; d++)
        str[d] = tg__extent(nd - 1 - d, bshape + d + 1);
    int64_t K = idx->shape[nd - 1];
    if (a == nd - 1 && K > 0) {
        int64_t rows = idx->numel / K;
        if (dt == TG_F32 && idx->dtype == TG_F32) GATHER_LAST(float, float)
        else if (dt == TG_F32 && idx->dtype == TG_F64) GATHER_LAST(float, double)
        else if (dt == TG_F32) GATHER_LAST(float, int64_t)
        else if (idx->dtype == TG_F32) GATHER_LAST(double, float)
        else if (idx->dtype == TG_F64) GATHER_LAST(double, double)
        else GATHER_LAST(double, int64_t)
        return;
    }
    if (dt == TG_F32) GATHER(float) else GATHER(double)
}

static tg_status gather_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    const tg_tensor *x = n->in[0];
    gather_run(x->data, x->shape, n->out->data, n->in[1], (int)n->attr.AXIS,
               x->dtype, false);
    return TG_OK;
}

static tg_status scatter_add_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    tg_tensor *z = n->out;
    memset(z->data, 0, (size_t)z->numel * tg__dsize(z->dtype));
    gather_run(z->data, z->shape, n->in[0]->data, n->in[1], (int)n->attr.AXIS,
               z->dtype, true);
    return TG_OK;
}

static void gather_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                       const bool *need, tg_tensor **gx)
{
    (void)g;
    const tg_tensor *x = n->in[0];
    if (need[0])
        gx[0] = tg_scatter_add(gy, x->ndim, x->shape, (int)n->attr.AXIS,
                               n->in[1]);
}

static void scatter_add_vjp(tg_graph *g, tg_node *n, tg_tensor *h,
                            const bool *need, tg_tensor **gx)
{
    (void)g;
    if (need[0]) gx[0] = tg_gather(h, (int)n->attr.AXIS, n->in[1]);
}

/* ---------------------------------------------------------- descriptors */

/* Index inputs carry values in the cases; the CLI must not perturb them. */
TG_BUILTIN_OP(index_select,
    .n_inputs = 2,
    .flags = TG_OPF_MIXED_DTYPE,
    .index_inputs = 1u << 1,
    .attrs = {{"axis", TG_ATTR_INT}},
    .shape = take_rule,
    .forward = index_select_fwd,
    .vjp = index_select_vjp,
    .cases = "index_select(x, i, axis=0) | x=5x3 i=4:4,0,2,0; "
        "index_select(x, i, axis=1) | x=2x4x3 i=2x2:3,1,1,0");
TG_BUILTIN_OP(index_add,
    .n_inputs = 2,
    .flags = TG_OPF_MIXED_DTYPE,
    .index_inputs = 1u << 1,
    .attrs = {{"shape", TG_ATTR_SHAPE, 0, true}, {"axis", TG_ATTR_INT}},
    .shape = take_rule,
    .forward = index_add_fwd,
    .vjp = index_add_vjp,
    .cases = "index_add(g, i, shape=[5,3], axis=0) | g=4x3 i=4:4,0,2,0");
TG_BUILTIN_OP(gather,
    .n_inputs = 2,
    .flags = TG_OPF_MIXED_DTYPE,
    .index_inputs = 1u << 1,
    .attrs = {{"axis", TG_ATTR_INT}},
    .shape = gather_rule,
    .forward = gather_fwd,
    .vjp = gather_vjp,
    .cases = "gather(x, i, axis=1) | x=3x4 i=3x1:3,0,2; "
        "gather(x, i, axis=0) | x=3x4 i=2x4:0,1,2,2,1,0,0,1");
TG_BUILTIN_OP(scatter_add,
    .n_inputs = 2,
    .flags = TG_OPF_MIXED_DTYPE,
    .index_inputs = 1u << 1,
    .attrs = {{"shape", TG_ATTR_SHAPE, 0, true}, {"axis", TG_ATTR_INT}},
    .shape = gather_rule,
    .forward = scatter_add_fwd,
    .vjp = scatter_add_vjp,
    .cases = "scatter_add(g, i, shape=[3,4], axis=1) | g=3x2 i=3x2:3,3,0,1,2,0");

tg_tensor *tg_index_select(tg_tensor *x, int axis, tg_tensor *idx)
{
    tg_attrs a = {0};
    a.AXIS = axis;
    return tg__apply2(TG_OP_index_select, x, idx, &a);
}

tg_tensor *tg_gather(tg_tensor *x, int axis, tg_tensor *idx)
{
    tg_attrs a = {0};
    a.AXIS = axis;
    return tg__apply2(TG_OP_gather, x, idx, &a);
}

static tg_tensor *add_op(int op, tg_tensor *g, int ndim, const int64_t *shape,
                         int axis, tg_tensor *idx)
{
    tg_attrs a = {0};
    if (ndim < 0 || ndim > TG_MAX_DIMS || (ndim > 0 && !shape)) {
        a.nax = -1; /* reported by the shape rule */
    } else {
        a.nax = ndim;
        for (int i = 0; i < ndim; i++) a.ax[i] = shape[i];
    }
    a.AXIS = axis;
    return tg__apply2(op, g, idx, &a);
}

tg_tensor *tg_index_add(tg_tensor *g, int ndim, const int64_t *shape,
                        int axis, tg_tensor *idx)
{
    return add_op(TG_OP_index_add, g, ndim, shape, axis, idx);
}

tg_tensor *tg_scatter_add(tg_tensor *g, int ndim, const int64_t *shape,
                          int axis, tg_tensor *idx)
{
    return add_op(TG_OP_scatter_add, g, ndim, shape, axis, idx);
}
