/* permute (and transpose, a permutation swapping two axes): a
 * materialised copy with y.shape[i] = x.shape[perm[i]].
 * VJP: permute(g, inverse(perm)). Nothing is saved.
 */
#include "ops/array.h"

#include <stdio.h>

/* ax[0..nax-1]: the permutation (normalised by the shape rule); nax == -1
 * marks an ndim outside 0..TG_MAX_DIMS or a NULL perm, REQ_NDIM keeps it. */
#define REQ_NDIM i[0]

static tg_status permute_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    const tg_tensor *x = n->in[0];
    char s1[TG_SHAPE_BUF], s2[TG_SHAPE_BUF];
    int nd = n->attr.nax;
    bool seen[TG_MAX_DIMS] = {0};
    if (nd < 0)
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "ndim %lld outside 0..%d (or perm is NULL) for "
                           "%s; hint: list each of its %d axes once",
                           (long long)n->attr.REQ_NDIM, TG_MAX_DIMS,
                           tg__fmt_shape(s2, x->ndim, x->shape), x->ndim);
    bool ok = nd == x->ndim;
    for (int i = 0; ok && i < nd; i++) {
        int64_t a = n->attr.ax[i];
        ok = tg__norm_axis(&a, x->ndim) && !seen[a];
        if (ok) seen[a] = true, n->attr.ax[i] = a;
    }
    if (!ok) {
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "%s is not a permutation of the %d axes of %s; "
                           "hint: list each axis once",
                           tg__fmt_shape(s1, nd, n->attr.ax), x->ndim,
                           tg__fmt_shape(s2, x->ndim, x->shape));
    }
    out->ndim = nd;
    for (int i = 0; i < nd; i++) out->shape[i] = x->shape[n->attr.ax[i]];
    return TG_OK;
}

#define PERMUTE_COPY(T)                                                     \
    {                                                                       \
        const T *xv = x->data;                                              \
        T *yv = y->data;                                                    \
        TG_PAR_FOR(tg__par_worth((double)y->numel), r, rows, {              \
            int64_t off = 0, rem = r;                                       \
            for (int d = nd - 2; d >= 0; d--) {                             \
                off += (rem % y->shape[d]) * str[d];                        \
                rem /= y->shape[d];                                         \
            }                                                               \
            T *dst = yv + r * inner;                                        \
            for (int64_t j = 0; j < inner; j++) dst[j] = xv[off + j * last]; \
        });                                                                 \
    }

static tg_status permute_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    const tg_tensor *x = n->in[0];
    tg_tensor *y = n->out;
    int nd = y->ndim;
    if (y->numel == 0) return TG_OK;
    if (nd == 0) {
        memcpy(y->data, x->data, tg__dsize(x->dtype));
        return TG_OK;
    }
    int64_t xs[TG_MAX_DIMS], str[TG_MAX_DIMS];
    xs[x->ndim - 1] = 1;
    for (int d = x->ndim - 2; d >= 0; d--) xs[d] = xs[d + 1] * x->shape[d + 1];
    for (int d = 0; d < nd; d++) str[d] = xs[n->attr.ax[d]];
    int64_t inner = y->shape[nd - 1], last = str[nd - 1];
    int64_t rows = y->numel / inner;
    /* by element size: the op moves i64 and bool tensors too */
    if (y->dtype == TG_F32) PERMUTE_COPY(float)
    else if (y->dtype == TG_F64) PERMUTE_COPY(double)
    else if (y->dtype == TG_I64) PERMUTE_COPY(int64_t)
    else PERMUTE_COPY(bool)
    return TG_OK;
}

static void permute_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                        const bool *need, tg_tensor **gx)
{
    (void)g, (void)need;
    int64_t inv[TG_MAX_DIMS];
    for (int i = 0; i < n->attr.nax; i++) inv[n->attr.ax[i]] = i;
    gx[0] = tg_permute(gy, n->attr.nax, inv);
}

TG_BUILTIN_OP(permute,
    .flags = TG_OPF_ANY_DTYPE,
    .n_inputs = 1,
    .attrs = {{"perm", TG_ATTR_SHAPE, 0, true}},
    .shape = permute_shape,
    .forward = permute_fwd,
    .vjp = permute_vjp,
    .cases = "permute(x, perm=[1,0]) | x=3x4; permute(x, perm=[2,0,1]) | x=2x3x4; "
        "transpose(x, a=0, b=-1) | x=2x3x4; transpose(x, a=1, b=2) | x=2x3x4x2");

tg_tensor *tg_permute(tg_tensor *x, int ndim, const int64_t *perm)
{
    tg_attrs a = {0};
    a.REQ_NDIM = ndim;
    if (ndim < 0 || ndim > TG_MAX_DIMS || (ndim > 0 && !perm)) {
        a.nax = -1; /* reported by the shape rule */
    } else {
        a.nax = ndim;
        for (int i = 0; i < ndim; i++) a.ax[i] = perm[i];
    }
    return tg__apply1(TG_OP_permute, x, &a);
}

tg_tensor *tg_transpose(tg_tensor *x, int a, int b)
{
    if (!x || (x->flags & TG_TF_POISON) || x->graph->status != TG_OK)
        return tg_permute(x, 0, NULL);
    int nd = x->ndim;
    int64_t aa = a, bb = b;
    if (!tg__norm_axis(&aa, nd) || !tg__norm_axis(&bb, nd)) {
        char sb[TG_SHAPE_BUF];
        tg__fail(x->graph, TG_ERR_SHAPE,
                 "tg_transpose: axes %d and %d out of range for shape %s; "
                 "hint: axes lie in [-%d, %d)",
                 a, b, tg__fmt_shape(sb, nd, x->shape), nd, nd);
        return &x->graph->poison;
    }
    int64_t perm[TG_MAX_DIMS];
    for (int i = 0; i < nd; i++) perm[i] = i;
    perm[aa] = bb;
    perm[bb] = aa;
    return tg_permute(x, nd, perm);
}
