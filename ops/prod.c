/* Products and the cumulative ops that need care at zeros, glu, and the
 * compositions lerp, cosine_similarity, normalize.
 *
 *   prod(x; axis, keepdim)   y = prod of x over one axis or all of them
 *                            VJP g * prod_others(x): no division, so a
 *                            zero in x gives the right gradient
 *   prod_others(x; dim)      z_k = prod_{i != k} x_i along dim (prefix and
 *                            suffix products, O(n))
 *                            VJP gx_m = sum_{k != m} h_k prod_{i != k,m} x_i,
 *                            built as prod_others of the [n, n] rows
 *                            R[k, i] = (i == k ? 1 : x_i) (O(n^2), second
 *                            order only)
 *   cumprod(x; dim)          y_j = prod_{i <= j} x_i
 *                            VJP without zeros: revcumsum(g y) / x; with a
 *                            zero in x: gx_i = sum_{j >= i} g_j
 *                            prod_{l <= j, l != i} x_l from prod_others of
 *                            the [n, n] rows M[j, i] = (i <= j ? x_i : 1)
 *   logcumsumexp(x; dim)     y_j = log sum_{i <= j} e^{x_i} (running
 *                            logaddexp, stable)
 *                            VJP gx_i = sum_{j >= i} g_j e^{x_i - y_j}
 *                            = e^{x_i - y_n} revcumsum(g e^{y_n - y}), y_n
 *                            the last (largest) y of the line
 *   glu(x; dim)              a * sigmoid(b), a and b the halves along dim
 *                            VJP concat(g s, sigmoid_backward(g a, s))
 * Compositions: lerp(a, b, w) = a + w (b - a);
 * cosine_similarity(x1, x2; dim, eps) = sum(x1 x2) / (max(|x1|, eps)
 * max(|x2|, eps)); normalize(x; p, dim, eps) = x / max(|x|_p, eps). */
#include "ops/array.h"

#include <math.h>
#include <stdio.h>

#define KEEPDIM i[0] /* prod */
#define DIM i[0]     /* prod_others, cumprod, logcumsumexp, glu */

/* ------------------------------------------------------------------ prod */

static tg_status prod_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    if (n->attr.nax > 1) {
        char sb[TG_SHAPE_BUF];
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "%d axes for x %s; hint: one axis, or none for "
                           "the product of all elements (as torch.prod)",
                           n->attr.nax,
                           tg__fmt_shape(sb, n->in[0]->ndim, n->in[0]->shape));
    }
    return tg__axes_rule(g, n, out, n->attr.KEEPDIM != 0);
}

static tg_status prod_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    const tg_tensor *x = n->in[0];
    tg_tensor *y = n->out;
    if (n->attr.nax == 0) {
        double p = 1;
        for (int64_t i = 0; i < x->numel; i++) p *= tg_get(x, i);
        if (y->dtype == TG_F32) *(float *)y->data = (float)p;
        else *(double *)y->data = p;
        return TG_OK;
    }
    if (y->numel == 0) return TG_OK;
    tg_axis3 s = tg__axis3(x, (int)n->attr.ax[0]);
    for (int64_t o = 0; o < s.outer; o++)
        for (int64_t j = 0; j < s.inner; j++) {
            double p = 1;
            for (int64_t k = 0; k < s.len; k++)
                p *= tg_get(x, (o * s.len + k) * s.inner + j);
            int64_t r = o * s.inner + j;
            if (y->dtype == TG_F32) ((float *)y->data)[r] = (float)p;
            else ((double *)y->data)[r] = p;
        }
    return TG_OK;
}

static void prod_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                     tg_tensor **gx)
{
    (void)g, (void)need;
    tg_tensor *x = n->in[0];
    if (n->attr.nax == 0) {
        int64_t fl = x->numel;
        tg_tensor *po = tg_prod_others(tg_reshape(x, 1, &fl), 0);
        gx[0] = tg_mul(tg_reshape(po, x->ndim, x->shape), gy);
        return;
    }
    int64_t ks[TG_MAX_DIMS];
    tg__keep_shape(n, ks);
    gx[0] = tg_mul(tg_prod_others(x, (int)n->attr.ax[0]),
                   tg_reshape(gy, x->ndim, ks));
}

/* ----------------------------------------------------------- prod_others */

static tg_status dim_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    tg_status st = tg__axis_rule(g, n, n->in[0], &n->attr.DIM);
    if (st != TG_OK) return st;
    return tg_shape_same(g, n, out);
}

/* Each line along dim: call f(len, x line, y line, stride). */
#define LINES(...)                                                          \
    {                                                                       \
        const tg_tensor *x = n->in[0];                                      \
        tg_tensor *y = n->out;                                              \
        if (x->numel == 0) return TG_OK;                                    \
        tg_axis3 s = tg__axis3(x, (int)n->attr.DIM);                        \
        for (int64_t o = 0; o < s.outer; o++)                               \
            for (int64_t j = 0; j < s.inner; j++) {                         \
                int64_t base = o * s.len * s.inner + j, st = s.inner,       \
                        len = s.len;                                        \
                __VA_ARGS__;                                                \
            }                                                               \
    }

static void put(tg_tensor *t, int64_t i, double v)
{
    if (t->dtype == TG_F32) ((float *)t->data)[i] = (float)v;
    else ((double *)t->data)[i] = v;
}

static tg_status po_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    LINES({
        double p = 1; /* prefix products into y, then times the suffix */
        for (int64_t k = 0; k < len; k++) {
            put(y, base + k * st, p);
            p *= tg_get(x, base + k * st);
        }
        p = 1;
        for (int64_t k = len - 1; k >= 0; k--) {
            put(y, base + k * st, tg_get(y, base + k * st) * p);
            p *= tg_get(x, base + k * st);
        }
    })
    return TG_OK;
}

/* [n, n] eye (or tril when lower) as a bool mask shaped to sit at dims
 * (d, d+1) of a tensor with nd + 1 dims. */
static tg_tensor *pair_mask(tg_graph *g, int64_t len, int d, int nd,
                            bool lower, const char *who)
{
    int64_t s[TG_MAX_DIMS];
    int m = 0;
    s[m++] = len;
    s[m++] = len;
    for (int k = d + 1; k < nd; k++) s[m++] = 1;
    tg_tensor *e = tg__const_tensor(g, TG_BOOL, m, s, who);
    if (!e) return &g->poison;
    bool *v = e->data;
    for (int64_t a = 0; a < len; a++)
        for (int64_t b = 0; b < len; b++) v[a * len + b] = lower ? b <= a : a == b;
    return e;
}

/* x with a new axis at d expanded to len: [.., len(new), len, ..] */
static tg_tensor *rows_of(tg_tensor *x, int d)
{
    int64_t s[TG_MAX_DIMS];
    int nd = x->ndim + 1;
    for (int k = 0, j = 0; k < nd; k++) s[k] = k == d ? x->shape[d] : x->shape[j++];
    return tg_expand(tg_unsqueeze(x, d), nd, s);
}

/* x as [outer, len, inner] around dim d (so the [n, n] forms below need
 * at most 4 dims whatever x's rank) */
static tg_tensor *as3(tg_tensor *x, int d)
{
    tg_axis3 s = tg__axis3(x, d);
    int64_t sh[3] = {s.outer, s.len, s.inner};
    return tg_reshape(x, 3, sh);
}

static void po_vjp(tg_graph *g, tg_node *n, tg_tensor *h, const bool *need,
                   tg_tensor **gx)
{
    (void)need;
    tg_tensor *x = n->in[0];
    int d = (int)n->attr.DIM;
    tg_tensor *x3 = as3(x, d), *h3 = as3(h, d);
    int64_t len = x3->shape[1], ax = 1;
    tg_tensor *E = pair_mask(g, len, 1, 3, false, "tg_prod_others");
    tg_tensor *one = tg_scalar(g, x->dtype, 1), *zero = tg_scalar(g, x->dtype, 0);
    tg_tensor *R = tg_where(E, one, rows_of(x3, 1));            /* R[k, i] */
    tg_tensor *P = tg_where(E, zero, tg_prod_others(R, 2));     /* [k, m] */
    tg_tensor *r = tg_sum(tg_mul(tg_unsqueeze(h3, 2), P), 1, &ax, false);
    gx[0] = tg_reshape(r, x->ndim, x->shape);
}

/* --------------------------------------------------------------- cumprod */

static tg_status cumprod_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    LINES({
        double p = 1;
        for (int64_t k = 0; k < len; k++) {
            p *= tg_get(x, base + k * st);
            put(y, base + k * st, p);
        }
    })
    return TG_OK;
}

static void cumprod_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                        const bool *need, tg_tensor **gx)
{
    (void)need;
    tg_tensor *x = n->in[0], *y = n->out;
    int64_t d = n->attr.DIM;
    bool zero = false;
    for (int64_t i = 0; i < x->numel && !zero; i++) zero = tg_get(x, i) == 0;
    if (!zero || x->ndim == 0) {
        /* sum_{j >= i} g_j y_j / x_i */
        if (x->ndim == 0) {
            gx[0] = gy;
            return;
        }
        tg_tensor *r = tg_flip(tg_cumsum(tg_flip(tg_mul(gy, y), 1, &d), (int)d),
                               1, &d);
        gx[0] = tg_div(r, x);
        return;
    }
    tg_tensor *x3 = as3(x, (int)d), *g3 = as3(gy, (int)d);
    int64_t len = x3->shape[1], ax = 1;
    tg_tensor *T = pair_mask(g, len, 1, 3, true, "tg_cumprod");
    tg_tensor *one = tg_scalar(g, x->dtype, 1), *zr = tg_scalar(g, x->dtype, 0);
    tg_tensor *M = tg_where(T, rows_of(x3, 1), one);            /* M[j, i] */
    tg_tensor *P = tg_where(T, tg_prod_others(M, 2), zr);
    tg_tensor *r = tg_sum(tg_mul(tg_unsqueeze(g3, 2), P), 1, &ax, false);
    gx[0] = tg_reshape(r, x->ndim, x->shape);
}

/* ---------------------------------------------------------- logcumsumexp */

static tg_status lcse_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    LINES({
        double acc = -INFINITY;
        for (int64_t k = 0; k < len; k++) {
            double v = tg_get(x, base + k * st);
            double hi = acc > v ? acc : v, lo = acc > v ? v : acc;
            /* logaddexp; -inf + -inf stays -inf */
            acc = hi == -INFINITY ? -INFINITY : hi + log1p(exp(lo - hi));
            put(y, base + k * st, acc);
        }
    })
    return TG_OK;
}

static void lcse_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                     tg_tensor **gx)
{
    (void)g, (void)need;
    tg_tensor *x = n->in[0], *y = n->out;
    int64_t d = n->attr.DIM;
    if (x->ndim == 0) {
        gx[0] = gy; /* y = x */
        return;
    }
    int64_t len = x->shape[d];
    tg_tensor *yl = tg_slice(y, (int)d, len - 1, len, 1); /* y_n per line */
    tg_tensor *w = tg_mul(gy, tg_exp(tg_sub(yl, y)));
    tg_tensor *r = tg_flip(tg_cumsum(tg_flip(w, 1, &d), (int)d), 1, &d);
    gx[0] = tg_mul(tg_exp(tg_sub(x, yl)), r);
}

/* ------------------------------------------------------------------- glu */

static tg_status glu_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    const tg_tensor *x = n->in[0];
    char sb[TG_SHAPE_BUF];
    if (x->ndim == 0)
        return tg__op_fail(g, n, TG_ERR_SHAPE, "x is 0-d; hint: glu halves "
                           "a dim");
    tg_status st = tg__axis_rule(g, n, x, &n->attr.DIM);
    if (st != TG_OK) return st;
    if (x->shape[n->attr.DIM] % 2)
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "dim %lld of x %s has odd size %lld; hint: glu "
                           "splits it into two equal halves",
                           (long long)n->attr.DIM,
                           tg__fmt_shape(sb, x->ndim, x->shape),
                           (long long)x->shape[n->attr.DIM]);
    out->ndim = x->ndim;
    memcpy(out->shape, x->shape, sizeof(int64_t) * (size_t)x->ndim);
    out->shape[n->attr.DIM] /= 2;
    return TG_OK;
}

static tg_status glu_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    const tg_tensor *x = n->in[0];
    tg_tensor *y = n->out;
    if (y->numel == 0) return TG_OK;
    tg_axis3 s = tg__axis3(y, (int)n->attr.DIM); /* half the length */
    for (int64_t o = 0; o < s.outer; o++)
        for (int64_t k = 0; k < s.len; k++)
            for (int64_t j = 0; j < s.inner; j++) {
                int64_t xa = (o * 2 * s.len + k) * s.inner + j;
                int64_t xb = xa + s.len * s.inner;
                double a = tg_get(x, xa), b = tg_get(x, xb);
                put(y, (o * s.len + k) * s.inner + j, a / (1 + exp(-b)));
            }
    return TG_OK;
}

static void glu_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                    tg_tensor **gx)
{
    (void)g, (void)need;
    tg_tensor *x = n->in[0];
    int d = (int)n->attr.DIM;
    int64_t h = x->shape[d] / 2;
    tg_tensor *a = tg_slice(x, d, 0, h, 1), *b = tg_slice(x, d, h, 2 * h, 1);
    tg_tensor *s = tg_sigmoid(b);
    tg_tensor *p[2] = {tg_mul(gy, s), tg_sigmoid_backward(tg_mul(gy, a), s)};
    gx[0] = tg_concat(p, 2, d);
}

/* ---------------------------------------------------------- descriptors */

TG_BUILTIN_OP(prod,
    .n_inputs = 1,
    .attrs = {{"axis", TG_ATTR_AXES}, {"keepdim", TG_ATTR_BOOL}},
    .shape = prod_shape,
    .forward = prod_fwd,
    .vjp = prod_vjp,
    .cases = "prod(x) | x=3x2; prod(x, axis=1) | x=3x4; "
        "prod(x, axis=0, keepdim=1) | x=2x3x2; "
        "prod(x, axis=1) | x=3x3:0.5,0,2,0,0,3,1.5,-1,0.5; "
        "prod(x) | x=4:0.7,0,-2,1.5");
TG_BUILTIN_OP(prod_others,
    .n_inputs = 1,
    .attrs = {{"dim", TG_ATTR_INT, 0, .required = true}},
    .shape = dim_shape,
    .forward = po_fwd,
    .vjp = po_vjp,
    .cases = "prod_others(x, dim=1) | x=3x4; prod_others(x, dim=0) | x=3x2x2; "
        "prod_others(x, dim=0) | x=4:0,1.5,0,-0.5");
TG_BUILTIN_OP(cumprod,
    .n_inputs = 1,
    .attrs = {{"dim", TG_ATTR_INT, 0, .required = true}},
    .shape = dim_shape,
    .forward = cumprod_fwd,
    .vjp = cumprod_vjp,
    .cases = "cumprod(x, dim=1) | x=3x4; cumprod(x, dim=0) * x | x=3x2x2; "
        "cumprod(x, dim=-1) | x=2x4:0.5,0,2,-1.5,1,0,0,3; "
        "cumprod(x, dim=0) | x=scalar");
TG_BUILTIN_OP(logcumsumexp,
    .n_inputs = 1,
    .attrs = {{"dim", TG_ATTR_INT, 0, .required = true}},
    .shape = dim_shape,
    .forward = lcse_fwd,
    .vjp = lcse_vjp,
    .cases = "logcumsumexp(3*x, dim=1) * x | x=3x4; logcumsumexp(x, dim=0) | "
        "x=3x2x2; logcumsumexp(x, dim=0) * x | x=scalar");
TG_BUILTIN_OP(glu,
    .n_inputs = 1,
    .attrs = {{"dim", TG_ATTR_INT, -1}},
    .shape = glu_shape,
    .forward = glu_fwd,
    .vjp = glu_vjp,
    .cases = "glu(2*x) | x=3x4; glu(x, dim=0) | x=4x3; glu(x, dim=1) | x=2x6x2");

tg_tensor *tg_prod(tg_tensor *x, const int *axis, bool keepdim)
{
    tg_attrs a = {0};
    a.KEEPDIM = keepdim;
    if (axis) {
        a.nax = 1;
        a.ax[0] = *axis;
    }
    return tg__apply1(TG_OP_prod, x, &a);
}

static tg_tensor *dim_op(int op, tg_tensor *x, int dim)
{
    tg_attrs a = {0};
    a.DIM = dim;
    return tg__apply1(op, x, &a);
}

tg_tensor *tg_prod_others(tg_tensor *x, int dim)
{
    return dim_op(TG_OP_prod_others, x, dim);
}
tg_tensor *tg_cumprod(tg_tensor *x, int dim)
{
    return dim_op(TG_OP_cumprod, x, dim);
}
tg_tensor *tg_logcumsumexp(tg_tensor *x, int dim)
{
    return dim_op(TG_OP_logcumsumexp, x, dim);
}
tg_tensor *tg_glu(tg_tensor *x, int dim)
{
    return dim_op(TG_OP_glu, x, dim);
}

/* ---------------------------------------------------------- compositions */

tg_tensor *tg_lerp(tg_tensor *a, tg_tensor *b, tg_tensor *w)
{
    if (!a || !b || !w) {
        tg__set_last_error(TG_ERR_ARG, "tg_lerp: %s is NULL",
                           !a ? "a" : !b ? "b" : "w");
        return NULL;
    }
    return tg_add(a, tg_mul(w, tg_sub(b, a)));
}

tg_tensor *tg_lerp_scalar(tg_tensor *a, tg_tensor *b, double w)
{
    if (!a || !b) {
        tg__set_last_error(TG_ERR_ARG, "tg_lerp_scalar: %s is NULL",
                           !a ? "a" : "b");
        return NULL;
    }
    return tg_add(a, tg_mul_scalar(tg_sub(b, a), w));
}

tg_tensor *tg_normalize(tg_tensor *x, double p, int dim, double eps)
{
    if (!x) {
        tg__set_last_error(TG_ERR_ARG, "tg_normalize: x is NULL");
        return NULL;
    }
    tg_graph *g = x->graph;
    if (!tg__stale(x) && g->status == TG_OK && !(x->flags & TG_TF_POISON) &&
        !(eps >= 0)) {
        tg__fail(g, TG_ERR_ARG, "tg_normalize: eps %g; hint: eps >= 0 (PyTorch's "
                 "default 1e-12)", eps);
        return &g->poison;
    }
    int64_t d = dim;
    tg_tensor *nr = tg_norm(x, p, 1, &d, true);
    return tg_div(x, tg_clamp(nr, eps, INFINITY));
}

tg_tensor *tg_cosine_similarity(tg_tensor *x1, tg_tensor *x2, int dim,
                                double eps)
{
    if (!x1 || !x2) {
        tg__set_last_error(TG_ERR_ARG, "tg_cosine_similarity: %s is NULL",
                           !x1 ? "x1" : "x2");
        return NULL;
    }
    tg_graph *g = x1->graph;
    if (!tg__stale(x1) && g->status == TG_OK && !(x1->flags & TG_TF_POISON) &&
        !(eps >= 0)) {
        tg__fail(g, TG_ERR_ARG, "tg_cosine_similarity: eps %g; hint: eps >= 0 "
                 "(PyTorch's default 1e-8)", eps);
        return &g->poison;
    }
    /* dim counts in the broadcast shape (PyTorch) */
    int nb, bad;
    int64_t bs[TG_MAX_DIMS];
    if (!tg__stale(x1) && !tg__stale(x2) && !tg__same_shape(x1, x2) &&
        tg__broadcast_shape(x1->ndim, x1->shape, x2->ndim, x2->shape, &nb, bs,
                            &bad)) {
        x1 = tg_expand(x1, nb, bs);
        x2 = tg_expand(x2, nb, bs);
    }
    int64_t d = dim;
    tg_tensor *n1 = tg_clamp(tg_norm(x1, 2, 1, &d, false), eps, INFINITY);
    tg_tensor *n2 = tg_clamp(tg_norm(x2, 2, 1, &d, false), eps, INFINITY);
    return tg_div(tg_sum(tg_mul(x1, x2), 1, &d, false), tg_mul(n1, n2));
}
