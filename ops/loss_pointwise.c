/* Elementwise losses with a reduction: l1_loss, smooth_l1_loss,
 * huber_loss, kl_div, binary_cross_entropy, margin_ranking_loss.
 *
 * Each computes a per-element loss r over the NumPy broadcast shape of its
 * inputs and reduces it (tg_reduction: none keeps r; sum; mean divides by
 * the element count; batchmean, kl_div only, by input.shape[0]).
 * With d = a - b, s = the reduction's scale of g (g itself for none,
 * g / count for mean, g for sum), the VJPs are
 *   l1_loss:        r = |d|                      da = s sign(d), db = -da
 *   smooth_l1_loss: r = |d|<beta ? d^2/(2 beta) : |d| - beta/2
 *                                                da = s clamp(d/beta, -1, 1)
 *   huber_loss:     r = |d|<delta ? d^2/2 : delta (|d| - delta/2)
 *                                                da = s clamp(d, -delta, delta)
 *   kl_div(x, t):   r = t log t - t x            dx = -s t,
 *                                                dt = s (log t + 1 - x)
 *     log_target:   r = e^t (t - x)              dx = -s e^t,
 *                                                dt = s e^t (t - x + 1)
 *   binary_cross_entropy(p, t, w):
 *                   r = -w (t L(p) + (1-t) L(1-p)), L = max(log, -100)
 *                   dp = s w (p - t) / max(p (1-p), 1e-12)
 *                   dt = s w (L(1-p) - L(p))
 *   margin_ranking_loss(x1, x2, y):
 *                   r = max(0, -y (x1 - x2) + margin)
 *                   dx1 = -s y m, dx2 = s y m, m = [-y (x1 - x2) + margin
 *                   >= 0] (a constant; at the kink the linear side, as
 *                   PyTorch's clamp_min)
 * Every derivative is an expression of ops, so second derivatives work
 * where they exist (clamp, sign and the mask are piecewise constant).
 * Labels-like inputs (bce's weight, margin's y) are index inputs: never
 * differentiated, any float dtype or i64. The forward sums in double. */
#include "ops/array.h"

#include <math.h>
#include <stdio.h>
#include <stdarg.h>

#define RED i[0]     /* tg_reduction, every op here */
#define LOGT i[1]    /* kl_div: log_target */
#define PARAM f[0]   /* beta, delta, margin */
#define HAS_W i[1]   /* binary_cross_entropy: a weight is given (derived) */
#define DIVISOR f[3] /* derived by the shape rule: mean's divisor */

typedef double (*pw_fn)(const double *v, const tg_attrs *a);

/* The broadcast shape of all inputs; false (and the two offending shapes
 * in *ia, *ib) when they do not broadcast. */
static bool pw_bshape(const tg_node *n, int *nd, int64_t *shape, int *ia,
                      int *ib)
{
    *nd = n->in[0]->ndim;
    memcpy(shape, n->in[0]->shape, sizeof(int64_t) * (size_t)*nd);
    for (int k = 1; k < n->n_in; k++) {
        int bad, m;
        int64_t s[TG_MAX_DIMS];
        const tg_tensor *t = n->in[k];
        if (!tg__broadcast_shape(*nd, shape, t->ndim, t->shape, &m, s,
                                 &bad)) {
            *ia = 0;
            *ib = k;
            return false;
        }
        *nd = m;
        memcpy(shape, s, sizeof(int64_t) * (size_t)m);
    }
    return true;
}

static tg_status pw_shape(tg_graph *g, tg_node *n, tg_tensor *out,
                          bool batchmean)
{
    int64_t red = n->attr.RED;
    if (!(red >= 0 && red <= (batchmean ? 3 : 2)))
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "reduction %lld is not none (0), mean (1) or sum "
                           "(2)%s; hint: reduction=mean in an expression, "
                           "TG_REDUCTION_MEAN in C",
                           (long long)red, batchmean ? " or batchmean (3)" : "");
    if (n->in[1]->dtype != n->in[0]->dtype) /* the weight/y may differ */
        return tg__op_fail(g, n, TG_ERR_DTYPE,
                           "dtypes differ: input 1 is %s, input 2 is %s; "
                           "hint: convert with tg_cast",
                           tg__dtname(n->in[0]->dtype),
                           tg__dtname(n->in[1]->dtype));
    int nd, ia = 0, ib = 0;
    int64_t shape[TG_MAX_DIMS];
    if (!pw_bshape(n, &nd, shape, &ia, &ib)) {
        char s1[TG_SHAPE_BUF], s2[TG_SHAPE_BUF];
        const tg_tensor *a = n->in[ia], *b = n->in[ib];
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "shapes %s (input %d) and %s (input %d) do not "
                           "broadcast; hint: the losses are elementwise, "
                           "give the inputs one shape",
                           tg__fmt_shape(s1, a->ndim, a->shape), ia + 1,
                           tg__fmt_shape(s2, b->ndim, b->shape), ib + 1);
    }
    int64_t cnt = tg__extent(nd, shape);
    n->attr.DIVISOR = red == 3 ? (n->in[0]->ndim > 0 ? (double)n->in[0]->shape[0] : 1.0)
                               : (double)cnt;
    if (red == 0) {
        out->ndim = nd;
        memcpy(out->shape, shape, sizeof(int64_t) * (size_t)nd);
    } else {
        out->ndim = 0;
    }
    return TG_OK;
}

static void put(tg_tensor *t, int64_t i, double v)
{
    if (t->dtype == TG_F32) ((float *)t->data)[i] = (float)v;
    else ((double *)t->data)[i] = v;
}

static tg_status pw_forward(tg_node *n, pw_fn f)
{
    int nd, ia, ib;
    int64_t shape[TG_MAX_DIMS];
    pw_bshape(n, &nd, shape, &ia, &ib);
    int64_t cnt = tg__extent(nd, shape), red = n->attr.RED;
    double s = 0;
    if (cnt > 0) { /* strides exist only for non-empty shapes */
        int64_t st[3][TG_MAX_DIMS], off[3] = {0, 0, 0}, idx[TG_MAX_DIMS];
        for (int k = 0; k < n->n_in; k++) {
            const tg_tensor *t = n->in[k];
            int64_t acc = 1;
            for (int d = nd - 1; d >= 0; d--) {
                int td = d - (nd - t->ndim);
                bool real = td >= 0 && t->shape[td] != 1;
                st[k][d] = real ? acc : 0;
                if (td >= 0) acc *= t->shape[td];
            }
        }
        memset(idx, 0, sizeof idx);
        for (int64_t e = 0; e < cnt; e++) {
            double v[3];
            for (int k = 0; k < n->n_in; k++) v[k] = tg_get(n->in[k], off[k]);
            double r = f(v, &n->attr);
            if (red == 0) put(n->out, e, r);
            else s += r;
            for (int d = nd - 1; d >= 0; d--) {
                idx[d]++;
                for (int k = 0; k < n->n_in; k++) off[k] += st[k][d];
                if (idx[d] < shape[d]) break;
                for (int k = 0; k < n->n_in; k++) off[k] -= st[k][d] * shape[d];
                idx[d] = 0;
            }
        }
    }
    if (red == 2) put(n->out, 0, s);
    else if (red != 0) put(n->out, 0, s / n->attr.DIVISOR); /* empty: NaN */
    return TG_OK;
}

/* g scaled by the reduction (the gradient of the reduction itself). */
static tg_tensor *pw_scale(const tg_node *n, tg_tensor *gy)
{
    int64_t red = n->attr.RED;
    if (red == 0 || red == 2) return gy;
    return tg_mul_scalar(gy, 1.0 / n->attr.DIVISOR);
}

/* d (an expression of some inputs) times s, in the full broadcast shape
 * (the engine sums it back to each input's shape). */
static tg_tensor *pw_full(const tg_node *n, tg_tensor *d, tg_tensor *s)
{
    tg_tensor *r = tg_mul(d, s);
    int nd, ia, ib;
    int64_t shape[TG_MAX_DIMS];
    pw_bshape(n, &nd, shape, &ia, &ib);
    if (r->ndim == nd && !memcmp(r->shape, shape, sizeof(int64_t) * (size_t)nd))
        return r;
    return tg_expand(r, nd, shape);
}

/* Gradients of a loss of the difference a - b whose elementwise
 * derivative in a is d: d * g for a, its negation for b. */
static void pw_diff_grads(const tg_node *n, tg_tensor *d, tg_tensor *gy,
                          const bool *need, tg_tensor **gx)
{
    tg_tensor *r = pw_full(n, d, pw_scale(n, gy));
    if (need[0]) gx[0] = r;
    if (need[1]) gx[1] = tg_neg(r);
}

/* an index-like input (weight, y) in the dtype of input 0 */
static tg_tensor *as_float(const tg_node *n, int k)
{
    tg_tensor *t = n->in[k];
    return t->dtype == n->in[0]->dtype ? t : tg_cast(t, n->in[0]->dtype);
}

/* --------------------------------------------------------------- l1_loss */

static double l1_f(const double *v, const tg_attrs *a)
{
    (void)a;
    return fabs(v[0] - v[1]);
}
static tg_status l1_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    return pw_shape(g, n, out, false);
}
static tg_status l1_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return pw_forward(n, l1_f);
}
static void l1_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                   tg_tensor **gx)
{
    (void)g;
    tg_tensor *d = tg_sign(tg_sub(n->in[0], n->in[1]));
    pw_diff_grads(n, d, gy, need, gx);
}

/* -------------------------------------------------------- smooth_l1_loss */

static double sl1_f(const double *v, const tg_attrs *a)
{
    double z = fabs(v[0] - v[1]), b = a->PARAM;
    return z < b ? 0.5 * z * z / b : z - 0.5 * b;
}
static tg_status sl1_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    if (!(n->attr.PARAM >= 0))
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "beta must be >= 0 (got %g); hint: beta = 0 is "
                           "l1_loss, PyTorch's default is 1",
                           n->attr.PARAM);
    return pw_shape(g, n, out, false);
}
static tg_status sl1_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return pw_forward(n, sl1_f);
}
static void sl1_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                    tg_tensor **gx)
{
    (void)g;
    double b = n->attr.PARAM;
    tg_tensor *d = tg_sub(n->in[0], n->in[1]);
    d = b > 0 ? tg_clamp(tg_mul_scalar(d, 1.0 / b), -1, 1) : tg_sign(d);
    pw_diff_grads(n, d, gy, need, gx);
}

/* ------------------------------------------------------------ huber_loss */

static double huber_f(const double *v, const tg_attrs *a)
{
    double z = fabs(v[0] - v[1]), dl = a->PARAM;
    return z < dl ? 0.5 * z * z : dl * (z - 0.5 * dl);
}
static tg_status huber_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    if (!(n->attr.PARAM > 0))
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "delta must be > 0 (got %g); hint: PyTorch's "
                           "default is 1",
                           n->attr.PARAM);
    return pw_shape(g, n, out, false);
}
static tg_status huber_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return pw_forward(n, huber_f);
}
static void huber_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                      tg_tensor **gx)
{
    (void)g;
    double dl = n->attr.PARAM;
    tg_tensor *d = tg_clamp(tg_sub(n->in[0], n->in[1]), -dl, dl);
    pw_diff_grads(n, d, gy, need, gx);
}

/* ---------------------------------------------------------------- kl_div */

static double kl_f(const double *v, const tg_attrs *a)
{
    double x = v[0], t = v[1];
    if (a->LOGT) return exp(t) * (t - x);
    return (t == 0 ? 0.0 : t * log(t)) - t * x; /* xlogy(t, t) - t x */
}
static tg_status kl_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    return pw_shape(g, n, out, true);
}
static tg_status kl_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return pw_forward(n, kl_f);
}
static void kl_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                   tg_tensor **gx)
{
    (void)g;
    tg_tensor *x = n->in[0], *t = n->in[1], *s = pw_scale(n, gy);
    if (n->attr.LOGT) {
        tg_tensor *et = tg_exp(t);
        if (need[0]) gx[0] = pw_full(n, tg_neg(et), s);
        if (need[1])
            gx[1] = pw_full(n, tg_mul(et, tg_add_scalar(tg_sub(t, x), 1)), s);
    } else {
        if (need[0]) gx[0] = pw_full(n, tg_neg(t), s);
        if (need[1])
            gx[1] = pw_full(n, tg_add_scalar(tg_sub(tg_log(t), x), 1), s);
    }
}

/* -------------------------------------------------- binary_cross_entropy */

static double bce_f(const double *v, const tg_attrs *a)
{
    double p = v[0], t = v[1], w = a->HAS_W ? v[2] : 1.0;
    double lp = fmax(log(p), -100.0), lq = fmax(log(1 - p), -100.0);
    return -w * (t * lp + (1 - t) * lq);
}
static tg_status bce_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    n->attr.HAS_W = n->n_in == 3;
    return pw_shape(g, n, out, false);
}
static tg_status bce_fwd(tg_graph *g, tg_node *n)
{
    const tg_tensor *p = n->in[0];
    for (int64_t i = 0; i < p->numel; i++) {
        double v = tg_get(p, i);
        if (!(v >= 0 && v <= 1))
            return tg__op_fail(g, n, TG_ERR_ARG,
                               "input[%lld] = %g is not a probability; "
                               "hint: inputs lie in [0, 1] (apply sigmoid, "
                               "or use bce_with_logits on logits)",
                               (long long)i, v);
    }
    return pw_forward(n, bce_f);
}
static void bce_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                    tg_tensor **gx)
{
    (void)g;
    tg_tensor *p = n->in[0], *t = n->in[1], *s = pw_scale(n, gy);
    if (n->n_in == 3) s = tg_mul(s, as_float(n, 2));
    tg_tensor *q = tg_add_scalar(tg_neg(p), 1); /* 1 - p */
    if (need[0]) {
        tg_tensor *den = tg_clamp(tg_mul(p, q), 1e-12, INFINITY);
        gx[0] = pw_full(n, tg_div(tg_sub(p, t), den), s);
    }
    if (need[1]) {
        tg_tensor *lq = tg_clamp(tg_log(q), -100, INFINITY);
        tg_tensor *lp = tg_clamp(tg_log(p), -100, INFINITY);
        gx[1] = pw_full(n, tg_sub(lq, lp), s);
    }
}

/* --------------------------------------------------- margin_ranking_loss */

static double mr_f(const double *v, const tg_attrs *a)
{
    double z = -v[2] * (v[0] - v[1]) + a->PARAM;
    return z > 0 ? z : 0;
}
static tg_status mr_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    if (!isfinite(n->attr.PARAM))
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "margin must be finite (got %g); hint: PyTorch's "
                           "default is 0",
                           n->attr.PARAM);
    return pw_shape(g, n, out, false);
}
static tg_status mr_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return pw_forward(n, mr_f);
}
static void mr_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                   tg_tensor **gx)
{
    tg_tensor *y = as_float(n, 2);
    tg_dtype dt = n->in[0]->dtype;
    tg_tensor *z = tg_add_scalar(
        tg_neg(tg_mul(y, tg_sub(n->in[0], n->in[1]))), n->attr.PARAM);
    tg_tensor *m = tg_cast(tg_ge(z, tg_scalar(g, dt, 0)), dt); /* constant */
    tg_tensor *r = pw_full(n, tg_mul(y, m), pw_scale(n, gy)); /* s y m */
    if (need[0]) gx[0] = tg_neg(r);
    if (need[1]) gx[1] = r;
}

/* ---------------------------------------------------------- descriptors */

#define RED_ATTR {"reduction", TG_ATTR_INT, 1}

TG_BUILTIN_OP(l1_loss,
    .n_inputs = 2,
    .flags = TG_OPF_NONSMOOTH,
    .attrs = {RED_ATTR},
    .shape = l1_shape,
    .forward = l1_fwd,
    .vjp = l1_vjp,
    .cases = "l1_loss(a, b) | a=3x4 b=3x4; "
        "l1_loss(a, b, reduction=sum) | a=3x1 b=1x4; "
        "l1_loss(a, b, reduction=none) | a=2x3 b=3");
TG_BUILTIN_OP(smooth_l1_loss,
    .n_inputs = 2,
    .flags = TG_OPF_NONSMOOTH,
    .attrs = {{"beta", TG_ATTR_REAL, 1}, RED_ATTR},
    .shape = sl1_shape,
    .forward = sl1_fwd,
    .vjp = sl1_vjp,
    .cases = "smooth_l1_loss(2*a, b, beta=0.5) | a=3x4 b=3x4; "
        "smooth_l1_loss(a, b, beta=0, reduction=none) | a=5 b=scalar; "
        "smooth_l1_loss(a, b, reduction=sum) | a=2x3 b=2x1");
TG_BUILTIN_OP(huber_loss,
    .n_inputs = 2,
    .flags = TG_OPF_NONSMOOTH,
    .attrs = {{"delta", TG_ATTR_REAL, 1}, RED_ATTR},
    .shape = huber_shape,
    .forward = huber_fwd,
    .vjp = huber_vjp,
    .cases = "huber_loss(3*a, b, delta=0.7) | a=3x4 b=1x4; "
        "huber_loss(a, b, reduction=none) | a=5 b=5; "
        "huber_loss(2*a, b, delta=0.5, reduction=sum) | a=2x3 b=2x3");
TG_BUILTIN_OP(kl_div,
    .n_inputs = 2,
    .attrs = {RED_ATTR, {"log_target", TG_ATTR_BOOL, 0}},
    .shape = kl_shape,
    .forward = kl_fwd,
    .vjp = kl_vjp,
    .cases = "kl_div(log_softmax(a, axis=1), softmax(b, axis=1), "
        "reduction=batchmean) | a=3x4 b=3x4; "
        "kl_div(a, b, log_target=1, reduction=none) | a=2x3 b=2x3; "
        "kl_div(a, exp(b)) | a=4 b=4; "
        "kl_div(a, exp(b), reduction=sum) | a=2x3 b=3");
TG_BUILTIN_OP(binary_cross_entropy,
    .n_inputs = 2,
    .max_inputs = 3,
    .flags = TG_OPF_MIXED_DTYPE,
    .index_inputs = 1u << 2,
    .attrs = {RED_ATTR},
    .shape = bce_shape,
    .forward = bce_fwd,
    .vjp = bce_vjp,
    .cases = "binary_cross_entropy(sigmoid(2*a), t) | a=3x4 t=3x4; "
        "binary_cross_entropy(sigmoid(a), sigmoid(t), w, reduction=sum) | "
        "a=3x4 t=3x4 w=4:1,2,0.5,3; "
        "binary_cross_entropy(sigmoid(a), t, reduction=none) | a=2x3 t=3");
TG_BUILTIN_OP(margin_ranking_loss,
    .n_inputs = 3,
    .flags = TG_OPF_NONSMOOTH | TG_OPF_MIXED_DTYPE,
    .index_inputs = 1u << 2,
    .attrs = {{"margin", TG_ATTR_REAL, 0}, RED_ATTR},
    .shape = mr_shape,
    .forward = mr_fwd,
    .vjp = mr_vjp,
    .cases = "margin_ranking_loss(a, b, y, margin=0.1) | a=5 b=5 "
        "y=5:1,-1,1,-1,1; "
        "margin_ranking_loss(a, b, y, reduction=none) | a=3x1 b=4 "
        "y=4:1,1,-1,-1; "
        "margin_ranking_loss(a, b, y, margin=0.2, reduction=sum) | a=4 b=4 "
        "y=4:-1,1,1,-1");

static tg_attrs red_attrs(tg_reduction r, double param)
{
    tg_attrs a = {0};
    a.RED = r;
    a.PARAM = param;
    return a;
}

tg_tensor *tg_l1_loss(tg_tensor *a, tg_tensor *b, tg_reduction reduction)
{
    tg_attrs at = red_attrs(reduction, 0);
    return tg__apply2(TG_OP_l1_loss, a, b, &at);
}

tg_tensor *tg_smooth_l1_loss(tg_tensor *a, tg_tensor *b, double beta,
                             tg_reduction reduction)
{
    tg_attrs at = red_attrs(reduction, beta);
    return tg__apply2(TG_OP_smooth_l1_loss, a, b, &at);
}

tg_tensor *tg_huber_loss(tg_tensor *a, tg_tensor *b, double delta,
                         tg_reduction reduction)
{
    tg_attrs at = red_attrs(reduction, delta);
    return tg__apply2(TG_OP_huber_loss, a, b, &at);
}

tg_tensor *tg_kl_div(tg_tensor *input, tg_tensor *target,
                     tg_reduction reduction, bool log_target)
{
    tg_attrs at = red_attrs(reduction, 0);
    at.LOGT = log_target;
    return tg__apply2(TG_OP_kl_div, input, target, &at);
}

tg_tensor *tg_binary_cross_entropy(tg_tensor *p, tg_tensor *t,
                                   tg_tensor *weight, tg_reduction reduction)
{
    tg_attrs at = red_attrs(reduction, 0);
    tg_tensor *in[3] = {p, t, weight};
    return tg__apply(TG_OP_binary_cross_entropy, in, weight ? 3 : 2, &at);
}

tg_tensor *tg_margin_ranking_loss(tg_tensor *x1, tg_tensor *x2, tg_tensor *y,
                                  double margin, tg_reduction reduction)
{
    tg_attrs at = red_attrs(reduction, margin);
    tg_tensor *in[3] = {x1, x2, y};
    return tg__apply(TG_OP_margin_ranking_loss, in, 3, &at);
}

/* ------------------------------------------- embedding and triplet losses
 * Compositions of ops (no backward of their own), PyTorch's formulas:
 *   cosine_embedding_loss(x1, x2, y): c = <x1, x2> / sqrt((|x1|^2 + 1e-12)
 *     (|x2|^2 + 1e-12)) along the last dim; r = 1 - c where y == 1,
 *     max(0, c - margin) where y == -1, 0 for other labels.
 *   hinge_embedding_loss(x, y): r = x where y != -1, plus max(0, margin -
 *     x) where y != 1 (so y = 1 gives x, y = -1 the hinge).
 *   triplet_margin_loss(a, p, n): d(u, v) = |u - v + eps|_p along the last
 *     dim; r = max(0, d(a, p) - d(a, n) + margin); swap: d(a, n) becomes
 *     min(d(a, n), d(p, n)).
 * The max(0, .) is relu: at the kink the gradient is 0 (PyTorch's
 * clamp_min passes it there; the point has measure zero). */

static tg_tensor *comp_fail(tg_graph *g, tg_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static tg_tensor *comp_fail(tg_graph *g, tg_status st, const char *fmt, ...)
{
    char m[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    tg__fail(g, st, "%s", m);
    return &g->poison;
}

/* Inputs present, live and on one graph; the graph without error. */
static bool comp_enter(const char *who, int n, tg_tensor *const *t,
                       const char *const *names, tg_tensor **ret)
{
    for (int i = 0; i < n; i++)
        if (!t[i]) {
            tg__set_last_error(TG_ERR_ARG, "%s: %s is NULL", who, names[i]);
            *ret = NULL;
            return false;
        }
    for (int i = 0; i < n; i++)
        if (tg__stale(t[i])) {
            tg__stale_fail(who, t[i]);
            *ret = &t[i]->graph->poison;
            return false;
        }
    tg_graph *g = t[0]->graph;
    for (int i = 1; i < n; i++)
        if (t[i]->graph != g) {
            *ret = comp_fail(g, TG_ERR_ARG,
                             "%s: %s belongs to another graph than %s; hint: "
                             "build all inputs on one graph",
                             who, names[i], names[0]);
            return false;
        }
    for (int i = 0; i < n; i++)
        if (g->status != TG_OK || (t[i]->flags & TG_TF_POISON)) {
            *ret = &g->poison;
            return false;
        }
    return true;
}

static bool bcast_ok(const tg_tensor *a, const tg_tensor *b)
{
    for (int k = 1; k <= a->ndim && k <= b->ndim; k++) {
        int64_t x = a->shape[a->ndim - k], y = b->shape[b->ndim - k];
        if (x != y && x != 1 && y != 1) return false;
    }
    return true;
}

static tg_tensor *reduce_loss(tg_tensor *r, tg_reduction red)
{
    if (red == TG_REDUCTION_SUM) return tg_sum_all(r);
    if (red == TG_REDUCTION_MEAN) return tg_mean_all(r);
    return r;
}

static bool red_ok(tg_graph *g, const char *who, tg_reduction red,
                   tg_tensor **ret)
{
    if (red == TG_REDUCTION_NONE || red == TG_REDUCTION_MEAN ||
        red == TG_REDUCTION_SUM)
        return true;
    *ret = comp_fail(g, TG_ERR_ARG,
                     "%s: reduction %d is not none (0), mean (1) or sum (2); "
                     "hint: reduction=mean in an expression, "
                     "TG_REDUCTION_MEAN in C",
                     who, (int)red);
    return false;
}

/* The labels y: f32, f64 or i64; compared with +-1 in their own dtype. */
static tg_tensor *label_is(tg_tensor *y, double v, bool equal)
{
    tg_tensor *c = tg_full(y->graph, y->dtype, 0, NULL, v);
    return equal ? tg_eq(y, c) : tg_ne(y, c);
}

tg_tensor *tg_cosine_embedding_loss(tg_tensor *x1, tg_tensor *x2,
                                    tg_tensor *y, double margin,
                                    tg_reduction reduction)
{
    const char *who = "tg_cosine_embedding_loss";
    tg_tensor *r, *in[3] = {x1, x2, y};
    static const char *const names[3] = {"x1", "x2", "y"};
    if (!comp_enter(who, 3, in, names, &r)) return r;
    tg_graph *g = x1->graph;
    if (!red_ok(g, who, reduction, &r)) return r;
    char s1[TG_SHAPE_BUF], s2[TG_SHAPE_BUF], s3[TG_SHAPE_BUF];
    tg__fmt_shape(s1, x1->ndim, x1->shape);
    tg__fmt_shape(s2, x2->ndim, x2->shape);
    tg__fmt_shape(s3, y->ndim, y->shape);
    int64_t n = x1->ndim == 2 ? (x1->shape[0] == 1 ? x2->shape[0] : x1->shape[0]) : 1;
    if (x1->ndim < 1 || x1->ndim > 2 || x2->ndim != x1->ndim ||
        y->ndim != x1->ndim - 1 || !bcast_ok(x1, x2) ||
        (y->ndim == 1 && y->shape[0] != n))
        return comp_fail(g, TG_ERR_SHAPE,
                         "%s: x1 %s, x2 %s, y %s; hint: x1 and x2 [N, D] "
                         "(or [D]) of one shape, y [N] (or 0-d)",
                         who, s1, s2, s3);
    if (!tg_dtype_is_float(x1->dtype) || x2->dtype != x1->dtype ||
        y->dtype == TG_BOOL)
        return comp_fail(g, TG_ERR_DTYPE,
                         "%s: x1 %s, x2 %s, y %s; hint: x1 and x2 of one "
                         "float dtype, y f32, f64 or i64 labels (1 or -1)",
                         who, tg_dtype_name(x1->dtype), tg_dtype_name(x2->dtype),
                         tg_dtype_name(y->dtype));
    int64_t ax = x1->ndim - 1;
    tg_tensor *dot = tg_sum(tg_mul(x1, x2), 1, &ax, false);
    tg_tensor *m1 = tg_add_scalar(tg_sum(tg_mul(x1, x1), 1, &ax, false), 1e-12);
    tg_tensor *m2 = tg_add_scalar(tg_sum(tg_mul(x2, x2), 1, &ax, false), 1e-12);
    tg_tensor *cos = tg_div(dot, tg_sqrt(tg_mul(m1, m2)));
    tg_tensor *zero = tg_full(g, x1->dtype, 0, NULL, 0);
    tg_tensor *pos = tg_where(label_is(y, 1, true),
                              tg_add_scalar(tg_neg(cos), 1), zero);
    tg_tensor *neg = tg_where(label_is(y, -1, true),
                              tg_relu(tg_add_scalar(cos, -margin)), zero);
    return reduce_loss(tg_add(pos, neg), reduction);
}

tg_tensor *tg_hinge_embedding_loss(tg_tensor *x, tg_tensor *y, double margin,
                                   tg_reduction reduction)
{
    const char *who = "tg_hinge_embedding_loss";
    tg_tensor *r, *in[2] = {x, y};
    static const char *const names[2] = {"x", "y"};
    if (!comp_enter(who, 2, in, names, &r)) return r;
    tg_graph *g = x->graph;
    if (!red_ok(g, who, reduction, &r)) return r;
    char s1[TG_SHAPE_BUF], s2[TG_SHAPE_BUF];
    if (!bcast_ok(x, y))
        return comp_fail(g, TG_ERR_SHAPE,
                         "%s: x %s and y %s do not broadcast; hint: y holds "
                         "one label (1 or -1) per element of x",
                         who, tg__fmt_shape(s1, x->ndim, x->shape),
                         tg__fmt_shape(s2, y->ndim, y->shape));
    if (!tg_dtype_is_float(x->dtype) || y->dtype == TG_BOOL)
        return comp_fail(g, TG_ERR_DTYPE,
                         "%s: x %s, y %s; hint: x f32 or f64, y f32, f64 or "
                         "i64 labels (1 or -1)",
                         who, tg_dtype_name(x->dtype), tg_dtype_name(y->dtype));
    tg_tensor *zero = tg_full(g, x->dtype, 0, NULL, 0);
    tg_tensor *hinge = tg_where(label_is(y, 1, false),
                                tg_relu(tg_add_scalar(tg_neg(x), margin)), zero);
    tg_tensor *self = tg_where(label_is(y, -1, false), x, zero);
    return reduce_loss(tg_add(hinge, self), reduction);
}

tg_tensor *tg_triplet_margin_loss(tg_tensor *anchor, tg_tensor *positive,
                                  tg_tensor *negative, double margin,
                                  double p, double eps, bool swap,
                                  tg_reduction reduction)
{
    const char *who = "tg_triplet_margin_loss";
    tg_tensor *r, *in[3] = {anchor, positive, negative};
    static const char *const names[3] = {"anchor", "positive", "negative"};
    if (!comp_enter(who, 3, in, names, &r)) return r;
    tg_graph *g = anchor->graph;
    if (!red_ok(g, who, reduction, &r)) return r;
    char s1[TG_SHAPE_BUF], s2[TG_SHAPE_BUF], s3[TG_SHAPE_BUF];
    if (anchor->ndim < 1 || anchor->ndim > 2 || positive->ndim != anchor->ndim ||
        negative->ndim != anchor->ndim || !bcast_ok(anchor, positive) ||
        !bcast_ok(anchor, negative) || !bcast_ok(positive, negative))
        return comp_fail(g, TG_ERR_SHAPE,
                         "%s: anchor %s, positive %s, negative %s; hint: "
                         "three [N, D] (or [D]) tensors of one shape",
                         who, tg__fmt_shape(s1, anchor->ndim, anchor->shape),
                         tg__fmt_shape(s2, positive->ndim, positive->shape),
                         tg__fmt_shape(s3, negative->ndim, negative->shape));
    if (!tg_dtype_is_float(anchor->dtype) || positive->dtype != anchor->dtype ||
        negative->dtype != anchor->dtype)
        return comp_fail(g, TG_ERR_DTYPE,
                         "%s: anchor %s, positive %s, negative %s; hint: one "
                         "float dtype",
                         who, tg_dtype_name(anchor->dtype),
                         tg_dtype_name(positive->dtype),
                         tg_dtype_name(negative->dtype));
    if (!(p > 0) || !isfinite(eps))
        return comp_fail(g, TG_ERR_ARG,
                         "%s: p = %g, eps = %g; hint: p > 0 (2 is Euclidean), "
                         "eps finite (PyTorch's 1e-6)",
                         who, p, eps);
    int64_t ax = anchor->ndim - 1;
    tg_tensor *d_ap = tg_norm(tg_add_scalar(tg_sub(anchor, positive), eps), p,
                              1, &ax, false);
    tg_tensor *d_an = tg_norm(tg_add_scalar(tg_sub(anchor, negative), eps), p,
                              1, &ax, false);
    if (swap)
        d_an = tg_minimum(d_an, tg_norm(tg_add_scalar(tg_sub(positive, negative),
                                                      eps),
                                        p, 1, &ax, false));
    return reduce_loss(tg_relu(tg_add_scalar(tg_sub(d_ap, d_an), margin)),
                       reduction);
}
