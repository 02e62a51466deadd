/* Helpers shared by the array family: constants for VJPs, axis sets,
 * [outer, len, inner] views, index validation. */
#include "ops/array.h"

#include <math.h>
#include <stdio.h>

tg_tensor *tg__const_tensor(tg_graph *g, tg_dtype dt, int ndim,
                            const int64_t *shape, const char *who)
{
    tg_tensor *t = tg__new_tensor(g, dt, ndim, shape, who);
    if (t) t->flags = TG_TF_CONSTANT;
    return t;
}

void *tg__scratch(tg_graph *g, const tg_node *n, size_t bytes)
{
    void *p = tg__arena_alloc(&g->arena, bytes ? bytes : 1);
    if (!p)
        tg__op_fail(g, n, TG_ERR_OOM, "out of memory (%zu bytes of scratch)",
                    bytes);
    return p;
}

/* ---------------------------------------------------------- axis sets */

void tg__set_axes(tg_attrs *a, int naxes, const int64_t *axes)
{
    if (naxes < 0 || naxes > TG_MAX_DIMS || (naxes > 0 && !axes)) {
        a->nax = 1;
        a->ax[0] = INT64_MAX; /* reported as out of range */
        return;
    }
    a->nax = naxes;
    for (int i = 0; i < naxes; i++) a->ax[i] = axes[i];
}

tg_status tg__axes_rule(tg_graph *g, tg_node *n, tg_tensor *out,
                        bool keepdim)
{
    const tg_tensor *x = n->in[0];
    bool seen[TG_MAX_DIMS] = {0};
    char sb[TG_SHAPE_BUF];
    /* A 0-d tensor takes axis 0 or -1 (its one element), as in PyTorch;
     * reducing over it keeps the shape []. */
    int nd = x->ndim ? x->ndim : 1;
    for (int k = 0; k < n->attr.nax; k++) {
        int64_t a = n->attr.ax[k];
        if (!tg__norm_axis(&a, nd))
            return tg__op_fail(g, n, TG_ERR_SHAPE,
                               "axis %lld out of range for shape %s; hint: "
                               "axes lie in [-%d, %d)",
                               (long long)n->attr.ax[k],
                               tg__fmt_shape(sb, x->ndim, x->shape), nd, nd);
        if (seen[a])
            return tg__op_fail(g, n, TG_ERR_ARG,
                               "axis %lld given twice for shape %s",
                               (long long)n->attr.ax[k],
                               tg__fmt_shape(sb, x->ndim, x->shape));
        seen[a] = true;
    }
    int m = 0;
    for (int a = 0; a < x->ndim; a++) /* none for a 0-d x: reduce it all */
        if (seen[a]) n->attr.ax[m++] = a;
    n->attr.nax = m;
    out->ndim = 0;
    for (int a = 0; a < x->ndim; a++) {
        bool reduced = m == 0 || seen[a];
        if (!reduced) out->shape[out->ndim++] = x->shape[a];
        else if (keepdim) out->shape[out->ndim++] = 1;
    }
    return TG_OK;
}

void tg__keep_shape(const tg_node *n, int64_t *shape)
{
    const tg_tensor *x = n->in[0];
    for (int i = 0; i < x->ndim; i++)
        shape[i] = n->attr.nax == 0 ? 1 : x->shape[i];
    for (int k = 0; k < n->attr.nax; k++) shape[n->attr.ax[k]] = 1;
}

int64_t tg__reduce_count(const tg_node *n)
{
    const tg_tensor *x = n->in[0];
    if (n->attr.nax == 0) return x->numel;
    int64_t ext[TG_MAX_DIMS];
    for (int k = 0; k < n->attr.nax; k++) ext[k] = x->shape[n->attr.ax[k]];
    return tg__extent(n->attr.nax, ext);
}

tg_axis3 tg__axis3(const tg_tensor *x, int axis)
{
    tg_axis3 s = {1, 1, 1};
    if (x->ndim == 0) return s;
    s.outer = tg__extent(axis, x->shape);
    s.len = x->shape[axis];
    s.inner = tg__extent(x->ndim - axis - 1, x->shape + axis + 1);
    return s;
}

tg_status tg__axis_rule(tg_graph *g, tg_node *n, const tg_tensor *x,
                        int64_t *axis)
{
    int64_t a = *axis;
    int nd = x->ndim ? x->ndim : 1;
    if (!tg__norm_axis(&a, nd)) {
        char sb[TG_SHAPE_BUF];
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "axis %lld out of range for shape %s; hint: axes "
                           "lie in [-%d, %d)",
                           (long long)*axis,
                           tg__fmt_shape(sb, x->ndim, x->shape), nd, nd);
    }
    *axis = a;
    return TG_OK;
}

void tg__to_rows(void *dst, const void *src, tg_axis3 s, size_t es)
{
    unsigned char *d = dst;
    const unsigned char *x = src;
    for (int64_t o = 0; o < s.outer; o++)
        for (int64_t k = 0; k < s.len; k++)
            for (int64_t j = 0; j < s.inner; j++)
                memcpy(d + ((o * s.inner + j) * s.len + k) * es,
                       x + ((o * s.len + k) * s.inner + j) * es, es);
}

void tg__from_rows(void *dst, const void *src, tg_axis3 s, size_t es)
{
    unsigned char *d = dst;
    const unsigned char *x = src;
    for (int64_t o = 0; o < s.outer; o++)
        for (int64_t k = 0; k < s.len; k++)
            for (int64_t j = 0; j < s.inner; j++)
                memcpy(d + ((o * s.len + k) * s.inner + j) * es,
                       x + ((o * s.inner + j) * s.len + k) * es, es);
}

/* ------------------------------------------------------------ indices */

/* Whether every v[i] is a whole number in [0, lim), lim <= 2^31 (exact
 * in the index's type): one pass with no call per element. Values
 * outside the range are replaced by 0 before the integer conversion, so
 * it stays defined; a NaN fails the range test. (GCC 12 reports this
 * loop vectorised under the pragma below but emits it scalar;
 * measured, it takes a quarter of the instructions of the former
 * tg_get walk either way.) */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("no-trapping-math")
#endif
static bool indices_ok_f32(int64_t n, const float *v, float lim)
{
    int bad = 0;
#pragma omp simd reduction(| : bad)
    for (int64_t i = 0; i < n; i++) {
        bool in = (v[i] >= 0) & (v[i] < lim);
        float c = in ? v[i] : 0;
        bad |= !in | (c != (float)(int32_t)c);
    }
    return !bad;
}
static bool indices_ok_f64(int64_t n, const double *v, double lim)
{
    int bad = 0;
#pragma omp simd reduction(| : bad)
    for (int64_t i = 0; i < n; i++) {
        bool in = (v[i] >= 0) & (v[i] < lim);
        double c = in ? v[i] : 0;
        bad |= !in | (c != (double)(int32_t)c);
    }
    return !bad;
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif

/* limit_desc, or "<limit> classes" for NULL: formatted only for a
 * message, as a loss checks its labels at every training step */
static const char *limit_text(const char *limit_desc, int64_t limit,
                              char buf[32])
{
    if (limit_desc) return limit_desc;
    snprintf(buf, 32, "%lld classes", (long long)limit);
    return buf;
}

tg_status tg__check_indices(tg_graph *g, const tg_node *n,
                            const tg_tensor *idx, int64_t limit,
                            const char *what, const char *limit_desc)
{
    char cl[32];
    if (idx->dtype == TG_I64) {
        const int64_t *v = idx->data;
        for (int64_t i = 0; i < idx->numel; i++)
            if (v[i] < 0 || v[i] >= limit)
                return tg__op_fail(g, n, TG_ERR_ARG,
                                   "%s[%lld] = %lld is out of range for %s; "
                                   "hint: it must lie in [0, %lld)",
                                   what, (long long)i, (long long)v[i],
                                   limit_text(limit_desc, limit, cl),
                                   (long long)limit);
        return TG_OK;
    }
    /* the common case first: every index whole and in range, checked in
     * one branch-free pass; only a failure walks the values again to
     * name the first bad one */
    bool all_ok = false;
    if (idx->dtype == TG_F32 && limit <= (INT64_C(1) << 24))
        all_ok = indices_ok_f32(idx->numel, idx->data, (float)limit);
    else if (idx->dtype == TG_F64 && limit <= INT32_MAX)
        all_ok = indices_ok_f64(idx->numel, idx->data, (double)limit);
    if (all_ok) return TG_OK;
    for (int64_t i = 0; i < idx->numel; i++) {
        double v = tg_get(idx, i);
        if (!(v == floor(v)))
            return tg__op_fail(g, n, TG_ERR_ARG,
                               "%s[%lld] = %.17g is not an integer; hint: "
                               "indices are i64 (or whole numbers in "
                               "f32/f64)",
                               what, (long long)i, v);
        if (v < 0 || v >= (double)limit)
            return tg__op_fail(g, n, TG_ERR_ARG,
                               "%s[%lld] = %.17g is out of range for %s; "
                               "hint: it must lie in [0, %lld)",
                               what, (long long)i, v,
                               limit_text(limit_desc, limit, cl),
                               (long long)limit);
    }
    return TG_OK;
}
