/* interpolate and dropout2d: compositions of primitive ops (no backward
 * of their own).
 *
 * interpolate over the trailing 1 (NCL) or 2 (NCHW) axes, as PyTorch's
 * F.interpolate, one axis at a time (both modes are separable):
 *   nearest:  y[d] = x[min(floor(d s), in - 1)]
 *   linear:   y[d] = (1 - l) x[i0] + l x[i1], src = s (d + 0.5) - 0.5
 *             clamped at 0 (align_corners off) or src = d (in - 1) /
 *             (out - 1) (on), i0 = floor(src), i1 = min(i0 + 1, in - 1),
 *             l = src - i0
 * where s = in / out for a given size and 1 / scale_factor for a given
 * scale factor (PyTorch's recompute_scale_factor off). Each axis is
 * index_select at constant indices (VJP index_add), times constant
 * weights, so gradients of any order follow.
 *
 * dropout2d: whole channels zeroed, y = x m with m [N, C, 1, ...] drawn
 * by dropout (kept channels scaled by 1 / (1 - p)); the identity in eval.
 */
#include <math.h>

#include "ops/array.h"
#include "tapegrad/ops_conv.h"

/* Set the sticky error and give the graph's poison tensor. */
#define FAIL(g, st, ...) (tg__fail(g, st, __VA_ARGS__), &(g)->poison)

/* A graph constant of n values of dtype dt from double values. */
static tg_tensor *const_of(tg_graph *g, tg_dtype dt, int nd,
                           const int64_t *shape, const double *v, int64_t n)
{
    tg_tensor *t = tg__const_tensor(g, dt, nd, shape, "tg_interpolate");
    if (!t) return &g->poison;
    for (int64_t i = 0; i < n; i++) {
        if (dt == TG_F32) ((float *)t->data)[i] = (float)v[i];
        else ((double *)t->data)[i] = v[i];
    }
    return t;
}

/* Resample axis `axis` of x from in to out elements. */
static tg_tensor *resample(tg_graph *g, tg_tensor *x, int axis, int64_t out,
                           double scale, const tg_interp_opts *o)
{
    int64_t in = x->shape[axis];
    double *i0 = tg__malloc((size_t)out * 3 * sizeof(double));
    if (!i0) {
        tg__fail(g, TG_ERR_OOM, "tg_interpolate: out of memory");
        return &g->poison;
    }
    double *i1 = i0 + out, *l = i1 + out;
    for (int64_t d = 0; d < out; d++) {
        if (o->mode == TG_INTERP_NEAREST) {
            int64_t s = (int64_t)floor((double)d * scale);
            i0[d] = (double)(s < in - 1 ? s : in - 1);
            continue;
        }
        double src;
        if (o->align_corners)
            src = out > 1 ? (double)d * (double)(in - 1) / (double)(out - 1)
                          : 0.0;
        else {
            src = scale * ((double)d + 0.5) - 0.5;
            if (src < 0) src = 0;
        }
        int64_t a = (int64_t)src;
        if (a > in - 1) a = in - 1;
        i0[d] = (double)a;
        i1[d] = (double)(a < in - 1 ? a + 1 : a);
        l[d] = src - (double)a;
    }
    int64_t n1[1] = {out};
    tg_tensor *y;
    if (o->mode == TG_INTERP_NEAREST) {
        y = tg_index_select(x, axis, const_of(g, x->dtype, 1, n1, i0, out));
    } else {
        /* weights broadcast along the axes after `axis` */
        int64_t ws[TG_MAX_DIMS];
        int wn = x->ndim - axis;
        ws[0] = out;
        for (int k = 1; k < wn; k++) ws[k] = 1;
        double *l0 = tg__malloc((size_t)out * sizeof(double));
        if (!l0) {
            tg__free(i0);
            tg__fail(g, TG_ERR_OOM, "tg_interpolate: out of memory");
            return &g->poison;
        }
        for (int64_t d = 0; d < out; d++) l0[d] = 1.0 - l[d];
        tg_tensor *a = tg_index_select(x, axis,
                                       const_of(g, x->dtype, 1, n1, i0, out));
        tg_tensor *b = tg_index_select(x, axis,
                                       const_of(g, x->dtype, 1, n1, i1, out));
        tg_tensor *wa = const_of(g, x->dtype, wn, ws, l0, out);
        tg_tensor *wb = const_of(g, x->dtype, wn, ws, l, out);
        y = tg_add(tg_mul(a, wa), tg_mul(b, wb));
        tg__free(l0);
    }
    tg__free(i0);
    return y;
}

tg_tensor *tg_interpolate(tg_tensor *x, const tg_interp_opts *o)
{
    if (!x || !x->graph) {
        tg__set_last_error(TG_ERR_ARG, "tg_interpolate: x is NULL");
        return NULL;
    }
    tg_graph *g = x->graph;
    if (g->status != TG_OK || (x->flags & TG_TF_POISON)) return &g->poison;
    char s[TG_SHAPE_BUF];
    tg__fmt_shape(s, x->ndim, x->shape);
    if (!o) return FAIL(g, TG_ERR_ARG, "tg_interpolate: x %s: options are "
                        "NULL; hint: give a size or a scale factor", s);
    if (x->ndim != 3 && x->ndim != 4)
        return FAIL(g, TG_ERR_SHAPE, "tg_interpolate: x %s must be [N, C, L] "
                    "or [N, C, H, W]", s);
    if (o->mode != TG_INTERP_NEAREST && o->mode != TG_INTERP_LINEAR)
        return FAIL(g, TG_ERR_ARG, "tg_interpolate: x %s: mode must be "
                    "TG_INTERP_NEAREST or TG_INTERP_LINEAR", s);
    if (o->mode == TG_INTERP_NEAREST && o->align_corners)
        return FAIL(g, TG_ERR_ARG, "tg_interpolate: x %s: align_corners "
                    "applies to linear modes only (as PyTorch)", s);
    int na = x->ndim - 2;
    tg_tensor *y = x;
    for (int k = 0; k < na; k++) {
        int axis = 2 + k;
        int64_t in = x->shape[axis], out;
        double scale;
        if (o->size[k] > 0x1p30)
            return FAIL(g, TG_ERR_ARG, "tg_interpolate: x %s: size[%d] = "
                        "%lld is more than 2^30", s, k,
                        (long long)o->size[k]);
        if (o->size[k] > 0) {
            out = o->size[k];
            scale = (double)in / (double)out;
        } else if (o->scale_factor[k] > 0 && isfinite(o->scale_factor[k])) {
            double d = floor((double)in * o->scale_factor[k]);
            if (d > 0x1p30)
                return FAIL(g, TG_ERR_ARG, "tg_interpolate: x %s: the "
                            "output along spatial axis %d would be %g "
                            "long (at most 2^30)", s, k, d);
            out = (int64_t)d;
            scale = 1.0 / o->scale_factor[k];
        } else {
            return FAIL(g, TG_ERR_ARG, "tg_interpolate: x %s: give size[k] > "
                        "0 or a finite scale_factor[k] > 0 for every "
                        "spatial axis (axis %d has neither)", s, k);
        }
        if (out < 1 || in < 1)
            return FAIL(g, TG_ERR_SHAPE, "tg_interpolate: x %s: the output "
                        "would be empty along spatial axis %d; hint: "
                        "in * scale_factor must be >= 1", s, k);
        if (out == in && o->mode == TG_INTERP_NEAREST && o->size[k] > 0)
            continue; /* the identity */
        y = resample(g, y, axis, out, scale, o);
    }
    return y;
}

tg_tensor *tg_dropout2d(tg_tensor *x, double p)
{
    if (!x || !x->graph) {
        tg__set_last_error(TG_ERR_ARG, "tg_dropout2d: x is NULL");
        return NULL;
    }
    tg_graph *g = x->graph;
    if (g->status != TG_OK || (x->flags & TG_TF_POISON)) return &g->poison;
    char s[TG_SHAPE_BUF];
    tg__fmt_shape(s, x->ndim, x->shape);
    if (!(p >= 0 && p < 1))
        return FAIL(g, TG_ERR_ARG, "tg_dropout2d: x %s: p must lie in [0, "
                    "1), got %g", s, p);
    if (x->ndim < 2)
        return FAIL(g, TG_ERR_SHAPE, "tg_dropout2d: x %s must be [N, C, "
                    "...]", s);
    if (!tg_is_training(g) || p == 0) return x;
    int64_t ms[TG_MAX_DIMS];
    ms[0] = x->shape[0], ms[1] = x->shape[1];
    for (int k = 2; k < x->ndim; k++) ms[k] = 1;
    tg_tensor *m = tg_dropout(tg_full(g, x->dtype, x->ndim, ms, 1.0), p);
    return tg_mul(x, m);
}
