/* Losses over classes and pairs. cross_entropy's fused op and the other
 * losses of this file reduce to a 0-d mean (PyTorch's default reduction);
 * nll takes class weights, ignore_index and reduction, and
 * tg_cross_entropy_ex composes log_softmax and nll for the options the
 * fused op does not take (weights, ignore_index, label_smoothing,
 * probability targets, reduction sum/none).
 *
 * Legend: N rows (samples), C classes.
 *   cross_entropy(x [N,C], l [N])  L = 1/N sum_i (lse(x_i) - x_i[l_i])
 *   cross_entropy_backward(g, x, l) z = g/N (softmax(x) - onehot(l))
 *   nll(lp [N,C], l [N])           L = -1/N sum_i lp_i[l_i]
 *   mse(a, b)                      L = mean((a - b)^2), broadcasting
 *   bce_with_logits(x, t)          L = mean(max(x,0) - x t + log1p(e^-|x|))
 *   l2_penalty(w_1..w_k; lambda)   L = lambda/2 sum_k sum(w_k^2)
 * VJPs (g = dL/dL_out, 0-d, broadcasting):
 *   cross_entropy:   dx = cross_entropy_backward(g, x, l)
 *   cross_entropy_backward (h [N,C]):
 *                    dg = sum(h (p - onehot)) / N,  p = softmax(x)
 *                    dx = g/N softmax_backward(h, p)
 *   nll:             dlp = g K, K = -onehot/N (a constant)
 *   mse:             da = 2 g (a - b) / n,  db = -da
 *   bce_with_logits: dx = g (sigmoid(x) - t) / n, dt = -g x / n, with
 *                    sigmoid(x) = (1 + tanh(x/2)) / 2 so it stays
 *                    differentiable
 *   l2_penalty:      dw_k = lambda g w_k
 * Labels are never differentiated. Nothing is saved: the fused backward
 * recomputes softmax from x row by row (cheaper than storing [N,C]).
 */
#include "ops/array.h"

#include <math.h>
#include <stdio.h>

#define LAMBDA f[0] /* l2_penalty */
#define COUNT i[0]  /* mse: elements in the mean (set by the shape rule) */
#define IGNORE i[0]    /* nll, cross_entropy: ignore_index */
#define REDUCTION i[1] /* nll, cross_entropy: tg_reduction */
#define SMOOTHING f[0] /* cross_entropy: label_smoothing */

static void put(tg_tensor *t, int64_t i, double v)
{
    if (t->dtype == TG_F32) ((float *)t->data)[i] = (float)v;
    else ((double *)t->data)[i] = v;
}

static tg_status check_reduction(tg_graph *g, const tg_node *n, int64_t r,
                                 bool batchmean)
{
    if (r >= 0 && r <= (batchmean ? 3 : 2)) return TG_OK;
    return tg__op_fail(g, n, TG_ERR_ARG,
                       "reduction %lld is not none (0), mean (1) or sum "
                       "(2)%s; hint: reduction=mean in an expression, "
                       "TG_REDUCTION_MEAN in C",
                       (long long)r, batchmean ? " or batchmean (3)" : "");
}

/* Labels: whole numbers in [0, C), or ignore_index (skipped). */
static tg_status check_labels(tg_graph *g, const tg_node *n,
                              const tg_tensor *l, int64_t C, int64_t ignore)
{
    for (int64_t i = 0; i < l->numel; i++) {
        double v = tg_get(l, i);
        if (l->dtype == TG_I64) {
            int64_t k = ((const int64_t *)l->data)[i];
            if (k == ignore) continue;
            if (k < 0 || k >= C)
                return tg__op_fail(g, n, TG_ERR_ARG,
                                   "labels[%lld] = %lld is out of range for "
                                   "%lld classes; hint: it must lie in [0, "
                                   "%lld)",
                                   (long long)i, (long long)k, (long long)C,
                                   (long long)C);
            continue;
        }
        if (!(v == floor(v)))
            return tg__op_fail(g, n, TG_ERR_ARG,
                               "labels[%lld] = %.17g is not an integer; "
                               "hint: indices are i64 (or whole numbers in "
                               "f32/f64)",
                               (long long)i, v);
        if (v == (double)ignore) continue;
        if (v < 0 || v >= (double)C)
            return tg__op_fail(g, n, TG_ERR_ARG,
                               "labels[%lld] = %.17g is out of range for "
                               "%lld classes; hint: it must lie in [0, %lld)",
                               (long long)i, v, (long long)C, (long long)C);
    }
    return TG_OK;
}

/* weight: [C], one per class. */
static tg_status check_weight(tg_graph *g, const tg_node *n,
                              const tg_tensor *w, const tg_tensor *x,
                              const char *xname)
{
    if (!w || (w->ndim == 1 && w->shape[0] == x->shape[1])) return TG_OK;
    char s1[TG_SHAPE_BUF], s2[TG_SHAPE_BUF];
    return tg__op_fail(g, n, TG_ERR_SHAPE,
                       "weight %s does not match %s %s; hint: one weight "
                       "per class, [C] = [%lld]",
                       tg__fmt_shape(s1, w->ndim, w->shape), xname,
                       tg__fmt_shape(s2, x->ndim, x->shape),
                       (long long)x->shape[1]);
}

/* ------------------------------------------------------ label checks */

/* x [N,C] with labels [N]: the shapes only. */
static tg_status class_shape_2d(tg_graph *g, const tg_node *n,
                                const tg_tensor *x, const tg_tensor *l,
                                const char *xname)
{
    char s1[TG_SHAPE_BUF], s2[TG_SHAPE_BUF];
    if (x->ndim != 2)
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "%s must be 2-D [N, C], got %s", xname,
                           tg__fmt_shape(s1, x->ndim, x->shape));
    if (l->ndim != 1 || l->shape[0] != x->shape[0])
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "labels %s do not match %s %s; hint: labels are "
                           "[N] class indices",
                           tg__fmt_shape(s2, l->ndim, l->shape), xname,
                           tg__fmt_shape(s1, x->ndim, x->shape));
    return TG_OK;
}

/* x [N,C] with labels [N] (any dtype), validated; `ignore` is skipped. */
static tg_status class_shape_ign(tg_graph *g, const tg_node *n,
                                 const tg_tensor *x, const tg_tensor *l,
                                 const char *xname, int64_t ignore)
{
    tg_status st = class_shape_2d(g, n, x, l, xname);
    return st ? st : check_labels(g, n, l, x->shape[1], ignore);
}

static tg_status class_shape(tg_graph *g, tg_node *n, const tg_tensor *x,
                             const tg_tensor *l, const char *xname)
{
    tg_status st = class_shape_2d(g, n, x, l, xname);
    if (st) return st;
    return tg__check_indices(g, n, l, x->shape[1], "labels", NULL);
}

/* --------------------------------------------------------- cross_entropy */

/* The fused op takes the defaults only; tg_cross_entropy_ex (and the
 * expression language, through .call) composes the rest. */
static tg_status ce_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    out->ndim = 0;
    if (n->n_in > 2 || n->attr.SMOOTHING != 0 || n->attr.REDUCTION != 1)
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "the fused op takes no weight, label_smoothing "
                           "or reduction (got %d inputs, label_smoothing "
                           "%g, reduction %lld); hint: call "
                           "tg_cross_entropy_ex",
                           n->n_in, n->attr.SMOOTHING,
                           (long long)n->attr.REDUCTION);
    return class_shape(g, n, n->in[0], n->in[1], "logits");
}

/* Small inputs never enter an OpenMP region: one with a false `if`
 * clause still sets up a team of one (about 1.3 us of CPU here, twice per
 * training step). */
#define CE_FWD(T, SFX)                                                      \
    static double ce_row_##SFX(int64_t i, int64_t C, const T *x,            \
                               const tg_tensor *l)                          \
    {                                                                       \
        const T *xr = x + i * C;                                            \
        T m = tg__row_max_##SFX(C, xr);                                     \
        double s = tg__row_expsum_##SFX(C, NULL, xr, m);                    \
        return (double)m + log(s) - (double)xr[tg__index_at(l, i)];         \
    }                                                                       \
    static double ce_fwd_##SFX(int64_t N, int64_t C, const T *x,            \
                               const tg_tensor *l)                          \
    {                                                                       \
        double total = 0;                                                   \
        if (N * C <= TG_PAR_MIN) {                                          \
            for (int64_t i = 0; i < N; i++) total += ce_row_##SFX(i, C, x, l); \
            return total;                                                   \
        }                                                                   \
        _Pragma("omp parallel for reduction(+ : total)")                    \
        for (int64_t i = 0; i < N; i++) total += ce_row_##SFX(i, C, x, l);  \
        return total;                                                       \
    }
CE_FWD(float, f32)
CE_FWD(double, f64)

static tg_status ce_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    const tg_tensor *x = n->in[0], *l = n->in[1];
    int64_t N = x->shape[0], C = x->shape[1];
    double s = x->dtype == TG_F32 ? ce_fwd_f32(N, C, x->data, l)
                                  : ce_fwd_f64(N, C, x->data, l);
    double v = s / (double)N; /* N == 0: NaN, as in PyTorch */
    if (x->dtype == TG_F32) *(float *)n->out->data = (float)v;
    else *(double *)n->out->data = v;
    return TG_OK;
}

static void ce_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                   tg_tensor **gx)
{
    (void)g;
    if (need[0]) gx[0] = tg_cross_entropy_backward(gy, n->in[0], n->in[1]);
}

/* g (0-d), x [N,C], labels [N] -> [N,C] */
static tg_status ce_bw_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    const tg_tensor *gy = n->in[0], *x = n->in[1];
    char s1[TG_SHAPE_BUF];
    if (gy->numel != 1 || gy->ndim != 0)
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "the upstream gradient must be 0-d, got %s",
                           tg__fmt_shape(s1, gy->ndim, gy->shape));
    if (x->dtype != gy->dtype)
        return tg__op_fail(g, n, TG_ERR_DTYPE,
                           "dtypes differ: gradient is %s, logits are %s; "
                           "hint: convert with tg_cast",
                           tg__dtname(gy->dtype), tg__dtname(x->dtype));
    tg_status st = class_shape(g, n, x, n->in[2], "logits");
    if (st != TG_OK) return st;
    out->ndim = 2;
    out->shape[0] = x->shape[0];
    out->shape[1] = x->shape[1];
    return TG_OK;
}

#define CE_BW(T, SFX)                                                       \
    static void ce_bw_row_##SFX(int64_t i, int64_t C, T *z, T gn,           \
                                const T *x, const tg_tensor *l)             \
    {                                                                       \
        const T *xr = x + i * C;                                            \
        T *zr = z + i * C;                                                  \
        T m = tg__row_max_##SFX(C, xr);                                     \
        T sc = (T)(gn / tg__row_expsum_##SFX(C, zr, xr, m));                \
        _Pragma("omp simd")                                                 \
        for (int64_t k = 0; k < C; k++) zr[k] *= sc;                        \
        zr[tg__index_at(l, i)] -= gn;                                       \
    }                                                                       \
    static void ce_bw_##SFX(int64_t N, int64_t C, T *z, T gv, const T *x,   \
                            const tg_tensor *l)                             \
    {                                                                       \
        T gn = (T)(gv / (double)N);                                         \
        if (N * C <= TG_PAR_MIN) {                                          \
            for (int64_t i = 0; i < N; i++) ce_bw_row_##SFX(i, C, z, gn, x, l); \
            return;                                                         \
        }                                                                   \
        _Pragma("omp parallel for")                                         \
        for (int64_t i = 0; i < N; i++) ce_bw_row_##SFX(i, C, z, gn, x, l); \
    }
CE_BW(float, f32)
CE_BW(double, f64)

static tg_status ce_bw_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    const tg_tensor *x = n->in[1], *l = n->in[2];
    int64_t N = x->shape[0], C = x->shape[1];
    if (x->dtype == TG_F32)
        ce_bw_f32(N, C, n->out->data, *(const float *)n->in[0]->data, x->data,
                  l);
    else
        ce_bw_f64(N, C, n->out->data, *(const double *)n->in[0]->data,
                  x->data, l);
    return TG_OK;
}

/* onehot(labels) * scale as a constant [N,C]. */
static tg_tensor *onehot(tg_graph *g, const tg_tensor *x, const tg_tensor *l,
                         double scale, const char *who)
{
    tg_tensor *k = tg__const_tensor(g, x->dtype, x->ndim, x->shape, who);
    if (!k) return &g->poison;
    int64_t N = x->shape[0], C = x->shape[1];
    memset(k->data, 0, (size_t)k->numel * tg__dsize(k->dtype));
    for (int64_t i = 0; i < N; i++) {
        int64_t j = i * C + tg__index_at(l, i);
        if (k->dtype == TG_F32) ((float *)k->data)[j] = (float)scale;
        else ((double *)k->data)[j] = scale;
    }
    return k;
}

static void ce_bw_vjp(tg_graph *g, tg_node *n, tg_tensor *h,
                      const bool *need, tg_tensor **gx)
{
    tg_tensor *gy = n->in[0], *x = n->in[1], *l = n->in[2];
    double invN = 1.0 / (double)x->shape[0];
    tg_tensor *p = tg_softmax(x, 1);
    if (need[0]) {
        tg_tensor *d = tg_sub(p, onehot(g, x, l, 1.0, "tg_cross_entropy"));
        gx[0] = tg_mul_scalar(tg_sum_all(tg_mul(h, d)), invN);
    }
    if (need[1])
        gx[1] = tg_mul(tg_softmax_backward(h, p, 1), tg_mul_scalar(gy, invN));
}

/* ------------------------------------------------------------------ nll */

/* nll(lp [N,C], l [N], w [C]?; ignore_index, reduction):
 *   r_i = -w[l_i] lp_i[l_i] (0 where l_i == ignore_index)
 *   none: r [N]; sum: sum_i r_i; mean: sum_i r_i / sum_{i kept} w[l_i]
 * (PyTorch: the weighted mean divides by the weights of the kept labels;
 * every label ignored gives 0/0 = NaN). */
static tg_status nll_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    const tg_tensor *x = n->in[0];
    tg_status st = check_reduction(g, n, n->attr.REDUCTION, false);
    if (st == TG_OK)
        st = class_shape_ign(g, n, x, n->in[1], "logp", n->attr.IGNORE);
    if (st == TG_OK)
        st = check_weight(g, n, n->n_in > 2 ? n->in[2] : NULL, x, "logp");
    if (st != TG_OK) return st;
    out->ndim = n->attr.REDUCTION == 0 ? 1 : 0;
    out->shape[0] = x->shape[0];
    return TG_OK;
}

/* sum_{i kept} w[l_i] (the count of kept labels without weights) */
static double nll_den(const tg_node *n)
{
    const tg_tensor *l = n->in[1], *w = n->n_in > 2 ? n->in[2] : NULL;
    double den = 0;
    for (int64_t i = 0; i < l->numel; i++) {
        int64_t t = tg__index_at(l, i);
        if (t != n->attr.IGNORE) den += w ? tg_get(w, t) : 1.0;
    }
    return den;
}

static tg_status nll_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    const tg_tensor *x = n->in[0], *l = n->in[1];
    const tg_tensor *w = n->n_in > 2 ? n->in[2] : NULL;
    int64_t N = x->shape[0], C = x->shape[1], red = n->attr.REDUCTION;
    double s = 0;
    for (int64_t i = 0; i < N; i++) {
        int64_t t = tg__index_at(l, i);
        double r = 0;
        if (t != n->attr.IGNORE)
            r = -(w ? tg_get(w, t) : 1.0) * tg_get(x, i * C + t);
        if (red == 0) put(n->out, i, r);
        s += r;
    }
    if (red == 1) put(n->out, 0, s / nll_den(n));
    else if (red == 2) put(n->out, 0, s);
    return TG_OK;
}

/* -w[l_i] scale at (i, l_i), 0 elsewhere and on ignored rows: a constant
 * [N,C] (the loss is linear in lp). */
static tg_tensor *weighted_onehot(tg_graph *g, const tg_node *n, double scale,
                                  const char *who)
{
    const tg_tensor *x = n->in[0], *l = n->in[1];
    const tg_tensor *w = n->n_in > 2 ? n->in[2] : NULL;
    tg_tensor *k = tg__const_tensor(g, x->dtype, x->ndim, x->shape, who);
    if (!k) return &g->poison;
    int64_t N = x->shape[0], C = x->shape[1];
    if (k->numel > 0) memset(k->data, 0, (size_t)k->numel * tg__dsize(k->dtype));
    for (int64_t i = 0; i < N; i++) {
        int64_t t = tg__index_at(l, i);
        if (t != n->attr.IGNORE)
            put(k, i * C + t, -(w ? tg_get(w, t) : 1.0) * scale);
    }
    return k;
}

static void nll_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                    tg_tensor **gx)
{
    if (!need[0]) return;
    int64_t red = n->attr.REDUCTION;
    double scale = red == 1 ? 1.0 / nll_den(n) : 1.0;
    tg_tensor *k = weighted_onehot(g, n, scale, "tg_nll");
    gx[0] = tg_mul(k, red == 0 ? tg_unsqueeze(gy, 1) : gy);
}

/* ------------------------------------------------------------------ mse */

#define MSE_SUM(T)                                                          \
    {                                                                       \
        const T *av = a->data, *bv = b->data;                               \
        TG_PAR_FOR_SUM(tg__par_worth((double)cnt), s, r, p.rows, {          \
            int64_t oa, ob;                                                 \
            tg__bcast_offsets(&p, r, &oa, &ob);                             \
            double rs = 0;                                                  \
            for (int64_t j = 0; j < p.inner; j++) {                         \
                double d = (double)av[oa + j * p.step[0]] -                 \
                           (double)bv[ob + j * p.step[1]];                  \
                rs += d * d;                                                \
            }                                                               \
            s += rs;                                                        \
        });                                                                 \
    }

static tg_status mse_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    tg_status st = tg_shape_broadcast(g, n, out); /* broadcast check */
    if (st != TG_OK) return st;
    int64_t cnt;
    if (!tg__numel(out->ndim, out->shape, &cnt)) {
        /* the gradient's a - b has this shape: refused as tg_sub does */
        char sb[TG_SHAPE_BUF];
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "the broadcast shape %s has too many elements; "
                           "hint: check which dims of the inputs should "
                           "match",
                           tg__fmt_shape(sb, out->ndim, out->shape));
    }
    n->attr.COUNT = cnt;
    out->ndim = 0;
    return TG_OK;
}

static tg_status mse_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    const tg_tensor *a = n->in[0], *b = n->in[1];
    int64_t cnt = n->attr.COUNT;
    tg_tensor full = {.numel = cnt}; /* the broadcast shape, for the plan */
    int bad;
    tg__broadcast_shape(a->ndim, a->shape, b->ndim, b->shape, &full.ndim,
                        full.shape, &bad);
    tg_bcast p;
    tg__bcast_plan(&p, &full, a, b);
    double s = 0;
    if (a->dtype == TG_F32) MSE_SUM(float) else MSE_SUM(double)
    double v = s / (double)cnt; /* empty: NaN */
    if (a->dtype == TG_F32) *(float *)n->out->data = (float)v;
    else *(double *)n->out->data = v;
    return TG_OK;
}

static void mse_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                    tg_tensor **gx)
{
    (void)g;
    double c = 2.0 / (double)n->attr.COUNT;
    tg_tensor *d = tg_mul(tg_sub(n->in[0], n->in[1]), tg_mul_scalar(gy, c));
    if (need[0]) gx[0] = d;
    if (need[1]) gx[1] = tg_neg(d);
}

/* ------------------------------------------------------ bce_with_logits */

static tg_status bce_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    const tg_tensor *x = n->in[0], *t = n->in[1];
    if (!tg__same_shape(x, t)) {
        char s1[TG_SHAPE_BUF], s2[TG_SHAPE_BUF];
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "logits %s and targets %s differ in shape; hint: "
                           "one target per logit",
                           tg__fmt_shape(s1, x->ndim, x->shape),
                           tg__fmt_shape(s2, t->ndim, t->shape));
    }
    out->ndim = 0;
    return TG_OK;
}

#define BCE_SUM(T)                                                          \
    {                                                                       \
        const T *xv = x->data, *tv = t->data;                               \
        TG_PAR_FOR_SUM(tg__par_worth((double)cnt), s, i, cnt, {             \
            double a = xv[i];                                               \
            s += (a > 0 ? a : 0) - a * (double)tv[i] + log1p(exp(-fabs(a))); \
        });                                                                 \
    }

static tg_status bce_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    const tg_tensor *x = n->in[0], *t = n->in[1];
    int64_t cnt = x->numel;
    double s = 0;
    if (x->dtype == TG_F32) BCE_SUM(float) else BCE_SUM(double)
    double v = s / (double)cnt;
    if (x->dtype == TG_F32) *(float *)n->out->data = (float)v;
    else *(double *)n->out->data = v;
    return TG_OK;
}

static void bce_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                    tg_tensor **gx)
{
    (void)g;
    tg_tensor *x = n->in[0], *t = n->in[1];
    tg_tensor *gn = tg_mul_scalar(gy, 1.0 / (double)x->numel);
    if (need[0]) {
        tg_tensor *sig =
            tg_add_scalar(tg_mul_scalar(tg_tanh(tg_mul_scalar(x, 0.5)), 0.5),
                          0.5);
        gx[0] = tg_mul(tg_sub(sig, t), gn);
    }
    if (need[1]) gx[1] = tg_neg(tg_mul(x, gn));
}

/* ----------------------------------------------------------- l2_penalty */

static tg_status l2_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    (void)g, (void)n;
    out->ndim = 0;
    return TG_OK;
}

static tg_status l2_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    double s = 0;
    for (int k = 0; k < n->n_in; k++) {
        const tg_tensor *w = n->in[k];
        double sk = 0;
        if (w->dtype == TG_F32) {
            const float *v = w->data;
            for (int64_t i = 0; i < w->numel; i++) sk += (double)v[i] * v[i];
        } else {
            const double *v = w->data;
            for (int64_t i = 0; i < w->numel; i++) sk += v[i] * v[i];
        }
        s += sk;
    }
    double v = 0.5 * n->attr.LAMBDA * s;
    if (n->out->dtype == TG_F32) *(float *)n->out->data = (float)v;
    else *(double *)n->out->data = v;
    return TG_OK;
}

static void l2_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                   tg_tensor **gx)
{
    (void)g;
    tg_tensor *c = tg_mul_scalar(gy, n->attr.LAMBDA);
    for (int k = 0; k < n->n_in; k++)
        if (need[k]) gx[k] = tg_mul(n->in[k], c);
}

/* ---------------------------------------------------------- descriptors */

/* Labels in the cases are given values: the CLI differentiates only the
 * float inputs and must leave l alone (no_grad). */
static tg_tensor *ce_call(tg_tensor *const *in, int n_in, const tg_attrs *a)
{
    return tg_cross_entropy_ex(in[0], in[1], n_in > 2 ? in[2] : NULL,
                               a->IGNORE, a->SMOOTHING,
                               (tg_reduction)a->REDUCTION);
}

static tg_tensor *nll_call(tg_tensor *const *in, int n_in, const tg_attrs *a)
{
    return tg_nll_ex(in[0], in[1], n_in > 2 ? in[2] : NULL, a->IGNORE,
                     (tg_reduction)a->REDUCTION);
}

TG_BUILTIN_OP(cross_entropy,
    .n_inputs = 2,
    .max_inputs = 3,
    .flags = TG_OPF_MIXED_DTYPE,
    .index_inputs = 1u << 1 | 1u << 2,
    .attrs = {{"ignore_index", TG_ATTR_I64, -100},
              {"label_smoothing", TG_ATTR_REAL, 0},
              {"reduction", TG_ATTR_INT, 1}},
    .shape = ce_shape,
    .forward = ce_fwd,
    .vjp = ce_vjp,
    .call = ce_call,
    .cases = "cross_entropy(x, l) | x=3x4 l=3:0,3,1; "
        "cross_entropy(2*x, l) | x=5x2 l=5:1,0,0,1,1; "
        "cross_entropy(x, l, w, ignore_index=1, reduction=mean) | x=4x3 "
        "l=4:0,1,2,2 w=3:0.5,2,1.5; "
        "cross_entropy(x, l, label_smoothing=0.2, reduction=sum) | x=3x4 "
        "l=3:0,3,1; "
        "cross_entropy(x, l, w, label_smoothing=0.1, ignore_index=0, "
        "reduction=none) | x=4x3 l=4:0,1,2,1 w=3:0.5,2,1.5; "
        "cross_entropy(x, l, w, label_smoothing=0.3) | x=4x3 l=4:0,1,2,1 "
        "w=3:0.5,2,1.5; "
        "cross_entropy(x, softmax(3*p, axis=1), label_smoothing=0.1) | "
        "x=3x4 p=3x4; "
        "cross_entropy(x, l) | x=2x3x2 l=2x2:0,2,1,1; "
        "cross_entropy(x, l, w, ignore_index=1, label_smoothing=0.1, "
        "reduction=none) | x=2x3x2x2 l=2x2x2:0,2,1,1,2,0,1,2 w=3:0.5,2,1.5; "
        "cross_entropy(x, softmax(p, axis=1), w, reduction=sum) | x=2x3x2 "
        "p=2x3x2 w=3:0.5,2,1.5; "
        "cross_entropy(x, l, reduction=none) | x=4 l=scalar:3");
TG_BUILTIN_OP(cross_entropy_backward,
    .n_inputs = 3,
    .flags = TG_OPF_MIXED_DTYPE,
    .index_inputs = 1u << 2,
    .shape = ce_bw_shape,
    .forward = ce_bw_fwd,
    .vjp = ce_bw_vjp,
    .cases = "cross_entropy_backward(g, x, l) | g=scalar x=3x4 l=3:2,0,3");
TG_BUILTIN_OP(nll,
    .n_inputs = 2,
    .max_inputs = 3,
    .flags = TG_OPF_MIXED_DTYPE,
    .index_inputs = 1u << 1 | 1u << 2,
    .attrs = {{"ignore_index", TG_ATTR_I64, -100},
              {"reduction", TG_ATTR_INT, 1}},
    .shape = nll_shape,
    .forward = nll_fwd,
    .vjp = nll_vjp,
    .call = nll_call,
    .cases = "nll(log_softmax(x, axis=1), l) | x=3x4 l=3:0,3,1; nll(x, l) | x=2x5 "
        "l=2:4,2; nll(x, l, w, ignore_index=3) | x=4x5 l=4:3,0,4,1 "
        "w=5:1,2,0.5,3,0.25; nll(x, l, reduction=none) | x=3x2 l=3:1,1,0; "
        "nll(x, l, w, reduction=sum) | x=3x2 l=3:1,1,0 w=2:2,3; "
        "nll(x, l, w, ignore_index=0) | x=2x3x2 l=2x2:0,2,1,1 w=3:1,2,0.5; "
        "nll(x, l, reduction=none) | x=2x2x3 l=2x3:1,0,1,0,0,1");
TG_BUILTIN_OP(mse,
    .n_inputs = 2,
    .shape = mse_shape,
    .forward = mse_fwd,
    .vjp = mse_vjp,
    .cases = "mse(a, b) | a=3x4 b=3x4; mse(a, b) | a=3x1 b=1x4; mse(a, b) | a=2x3 "
        "b=scalar");
TG_BUILTIN_OP(bce_with_logits,
    .n_inputs = 2,
    .shape = bce_shape,
    .forward = bce_fwd,
    .vjp = bce_vjp,
    .cases = "bce_with_logits(3*x, t) | x=3x4 t=3x4; bce_with_logits(x, t) | x=5 "
        "t=5");
TG_BUILTIN_OP(l2_penalty,
    .n_inputs = 1,
    .max_inputs = TG_OP_MANY,
    .attrs = {{"lambda", TG_ATTR_REAL, 1}},
    .shape = l2_shape,
    .forward = l2_fwd,
    .vjp = l2_vjp,
    .cases = "l2_penalty(w, lambda=0.3) | w=3x4; l2_penalty(w, v, lambda=2) | w=3 "
        "v=2x2");

/* ------------------------------------------ (N, C, d1, ..., dk) inputs

   PyTorch's higher-dimensional form: x [N, C, d1..dk] with labels
   [N, d1..dk] (or probabilities of x's shape) is the 2-D loss over the
   M = N d1..dk positions: the class axis moved last (permute) and the
   rest flattened (reshape), so weights, ignore_index, label smoothing
   and every reduction keep their meaning (mean: over the M positions,
   weighted as in 2-D); none returns [N, d1..dk]. x [C] with a 0-d label
   is one sample (none returns 0-d). Gradients come from permute and
   reshape. */

/* What the flattening does: 0 not needed (2-D), 1 done, -1 failed. */
static int flatten_classes(const char *who, tg_tensor *x, tg_tensor *t,
                           bool prob, tg_tensor **x2, tg_tensor **t2,
                           int *out_nd, int64_t *out_shape)
{
    if (x->ndim == 2) return 0;
    tg_graph *g = x->graph;
    char s1[TG_SHAPE_BUF], s2[TG_SHAPE_BUF];
    int nd = x->ndim;
    bool fits = nd >= 1;
    if (fits && prob) fits = tg__same_shape(x, t);
    else if (fits) {
        fits = t->ndim == (nd == 1 ? 0 : nd - 1);
        if (fits && nd > 1) fits = t->shape[0] == x->shape[0];
        for (int d = 2; fits && d < nd; d++) fits = t->shape[d - 1] == x->shape[d];
    }
    if (!fits) {
        tg__fail(g, TG_ERR_SHAPE,
                 "%s: %s %s do not match %s %s; hint: %s [N, C, d1, ..., dk] "
                 "takes [N, d1, ..., dk] class indices or probabilities of "
                 "its own shape; [C] takes a 0-d index",
                 who, prob ? "probability targets" : "labels",
                 tg__fmt_shape(s1, t->ndim, t->shape),
                 who[3] == 'n' ? "logp" : "logits",
                 tg__fmt_shape(s2, x->ndim, x->shape),
                 who[3] == 'n' ? "logp" : "logits");
        return -1;
    }
    if (nd == 1) { /* one sample */
        *x2 = tg_unsqueeze(x, 0);
        *t2 = prob ? tg_unsqueeze(t, 0) : tg_reshape(t, 1, (int64_t[]){1});
        *out_nd = 0;
        return 1;
    }
    /* [N, C, d1..dk] -> [N, d1..dk, C] -> [M, C] */
    int64_t perm[TG_MAX_DIMS], m = x->shape[0], C = x->shape[1];
    perm[0] = 0;
    for (int d = 2; d < nd; d++) perm[d - 1] = d;
    perm[nd - 1] = 1;
    out_shape[0] = x->shape[0];
    bool empty = m == 0, big = false;
    for (int d = 2; d < nd; d++) {
        out_shape[d - 1] = x->shape[d];
        empty |= x->shape[d] == 0;
    }
    /* an empty x may have positions whose count does not fit ([2^40, 0,
     * 2^40]); a non-empty one cannot (numel = M C fits) */
    for (int d = 2; d < nd && !empty && !big; d++)
        big = __builtin_mul_overflow(m, x->shape[d], &m);
    if (empty) m = 0;
    if (big) {
        tg__fail(g, TG_ERR_SHAPE,
                 "%s: the positions of %s %s are too many to count; hint: "
                 "N d1 ... dk must fit in 64 bits",
                 who, who[3] == 'n' ? "logp" : "logits",
                 tg__fmt_shape(s2, x->ndim, x->shape));
        return -1;
    }
    *out_nd = nd - 1;
    *x2 = tg_reshape(tg_permute(x, nd, perm), 2, (int64_t[]){m, C});
    *t2 = prob ? tg_reshape(tg_permute(t, nd, perm), 2, (int64_t[]){m, C})
               : tg_reshape(t, 1, &m);
    return tg_graph_status(g) == TG_OK ? 1 : -1;
}

/* Inputs a composition may work on: present, live, on one graph, the
 * graph without error, logits of a float dtype. Otherwise the op's own
 * checks report the problem. */
static bool usable(tg_tensor *x, tg_tensor *l, tg_tensor *w)
{
    return x && l && !tg__stale(x) && !tg__stale(l) && (!w || !tg__stale(w)) &&
           l->graph == x->graph && (!w || w->graph == x->graph) &&
           tg_graph_status(x->graph) == TG_OK && tg_dtype_is_float(x->dtype) &&
           !(x->flags & TG_TF_POISON) && !(l->flags & TG_TF_POISON) &&
           (!w || !(w->flags & TG_TF_POISON)) && l->dtype != TG_BOOL;
}

tg_tensor *tg_cross_entropy(tg_tensor *logits, tg_tensor *labels)
{
    if (usable(logits, labels, NULL) && logits->ndim != 2)
        return tg_cross_entropy_ex(logits, labels, NULL, -100, 0,
                                   TG_REDUCTION_MEAN);
    tg_attrs a = {0};
    a.IGNORE = -100;
    a.REDUCTION = TG_REDUCTION_MEAN;
    return tg__apply2(TG_OP_cross_entropy, logits, labels, &a);
}

tg_tensor *tg_cross_entropy_backward(tg_tensor *g, tg_tensor *logits,
                                     tg_tensor *labels)
{
    tg_tensor *in[3] = {g, logits, labels};
    return tg__apply(TG_OP_cross_entropy_backward, in, 3, NULL);
}

tg_tensor *tg_nll(tg_tensor *logp, tg_tensor *labels)
{
    return tg_nll_ex(logp, labels, NULL, -100, TG_REDUCTION_MEAN);
}

tg_tensor *tg_nll_ex(tg_tensor *logp, tg_tensor *labels, tg_tensor *weight,
                     int64_t ignore_index, tg_reduction reduction)
{
    if (usable(logp, labels, weight) && logp->ndim != 2) {
        tg_tensor *x2, *t2;
        int ond = 0;
        int64_t osh[TG_MAX_DIMS];
        if (flatten_classes("tg_nll", logp, labels, false, &x2, &t2, &ond,
                            osh) < 0)
            return &logp->graph->poison;
        tg_tensor *r = tg_nll_ex(x2, t2, weight, ignore_index, reduction);
        return reduction == TG_REDUCTION_NONE ? tg_reshape(r, ond, osh) : r;
    }
    tg_attrs a = {0};
    a.IGNORE = ignore_index;
    a.REDUCTION = reduction;
    tg_tensor *in[3] = {logp, labels, weight};
    return tg__apply(TG_OP_nll, in, weight ? 3 : 2, &a);
}

tg_tensor *tg_mse(tg_tensor *a, tg_tensor *b)
{
    return tg__apply2(TG_OP_mse, a, b, NULL);
}

tg_tensor *tg_bce_with_logits(tg_tensor *x, tg_tensor *t)
{
    return tg__apply2(TG_OP_bce_with_logits, x, t, NULL);
}

tg_tensor *tg_l2_penalty(tg_tensor *const *ws, int n, double lambda)
{
    tg_attrs a = {0};
    a.LAMBDA = lambda;
    return tg__apply(TG_OP_l2_penalty, ws, ws ? n : 0, &a);
}

/* ------------------------------------------------- cross_entropy, all options

   Integer labels: with the defaults (and no label equal to ignore_index)
   the fused op; otherwise, as PyTorch defines it,
     lp = log_softmax(x, 1)
     L  = (1 - eps) nll(lp, l, w, ignore_index, reduction)
          + eps/C reduce(s),   s_i = -sum_c w_c lp_ic (0 on ignored rows)
   where reduce divides by the same sum of kept weights as nll's mean.
   Probability targets t [N,C]: t' = (1 - eps) t + eps/C,
     r_i = -sum_c w_c t'_ic lp_ic, and the mean divides by N (not by the
   weights). Every piece is an op, so gradients of any order follow. */

/* A stand-in node naming the op in messages (as tg_apply's checks do). */
static tg_node ce_node(tg_tensor **in, int n_in)
{
    tg_node n;
    memset(&n, 0, sizeof n);
    n.op = tg_ops[TG_OP_cross_entropy];
    n.n_in = n_in;
    n.in = in;
    return n;
}

/* Float targets with the logits' rank are probabilities; otherwise class
 * indices (i64, or whole numbers in a float tensor). */
static bool ce_prob_target(const tg_tensor *x, const tg_tensor *t)
{
    return tg_dtype_is_float(t->dtype) && t->ndim == x->ndim && x->ndim >= 1;
}

tg_tensor *tg_cross_entropy_ex(tg_tensor *logits, tg_tensor *target,
                               tg_tensor *weight, int64_t ignore_index,
                               double label_smoothing, tg_reduction reduction)
{
    tg_tensor *in[3] = {logits, target, weight};
    int n_in = weight ? 3 : 2;
    /* NULL, stale, foreign, poisoned or wrongly typed inputs: the op's own
     * checks report them (they run before its shape rule). */
    bool ok = logits && target && !tg__stale(logits) && !tg__stale(target) &&
              (!weight || !tg__stale(weight));
    tg_graph *g = ok ? logits->graph : NULL;
    if (ok) ok = g && tg_graph_status(g) == TG_OK && target->graph == g &&
                 (!weight || weight->graph == g) &&
                 tg_dtype_is_float(logits->dtype) &&
                 !(logits->flags & TG_TF_POISON) &&
                 !(target->flags & TG_TF_POISON) &&
                 (!weight || !(weight->flags & TG_TF_POISON)) &&
                 (!weight || weight->dtype != TG_BOOL) &&
                 target->dtype != TG_BOOL;
    if (!ok) {
        tg_attrs d = {0};
        d.IGNORE = -100;
        d.REDUCTION = 1;
        return tg__apply(TG_OP_cross_entropy, in, n_in, &d);
    }
    tg_node n = ce_node(in, n_in);
    double eps = label_smoothing;
    if (check_reduction(g, &n, reduction, false) != TG_OK)
        return &g->poison;
    if (!(eps >= 0 && eps <= 1)) {
        tg__op_fail(g, &n, TG_ERR_ARG,
                    "label_smoothing %g is outside [0, 1]; hint: 0.1 is "
                    "usual, 0 turns it off",
                    eps);
        return &g->poison;
    }
    bool prob = ce_prob_target(logits, target);
    if (logits->ndim != 2) {
        tg_tensor *x2, *t2;
        int ond = 0;
        int64_t osh[TG_MAX_DIMS];
        if (flatten_classes("tg_cross_entropy", logits, target, prob, &x2, &t2,
                            &ond, osh) < 0)
            return &g->poison;
        tg_tensor *r = tg_cross_entropy_ex(x2, t2, weight, ignore_index, eps,
                                           reduction);
        return reduction == TG_REDUCTION_NONE ? tg_reshape(r, ond, osh) : r;
    }
    if (prob && !tg__same_shape(logits, target)) {
        char s1[TG_SHAPE_BUF], s2[TG_SHAPE_BUF];
        tg__op_fail(g, &n, TG_ERR_SHAPE,
                    "probability targets %s do not match logits %s; hint: "
                    "targets are [N] class indices or [N, C] "
                    "probabilities",
                    tg__fmt_shape(s1, target->ndim, target->shape),
                    tg__fmt_shape(s2, logits->ndim, logits->shape));
        return &g->poison;
    }
    if (!prob && class_shape_ign(g, &n, logits, target, "logits",
                                 ignore_index) != TG_OK)
        return &g->poison;
    if (prob && logits->ndim != 2) {
        char s1[TG_SHAPE_BUF];
        tg__op_fail(g, &n, TG_ERR_SHAPE, "logits must be 2-D [N, C], got %s",
                    tg__fmt_shape(s1, logits->ndim, logits->shape));
        return &g->poison;
    }
    if (check_weight(g, &n, weight, logits, "logits") != TG_OK)
        return &g->poison;
    int64_t N = logits->shape[0], C = logits->shape[1];
    bool any_ignored = false;
    if (!prob)
        for (int64_t i = 0; i < N && !any_ignored; i++)
            any_ignored = tg__index_at(target, i) == ignore_index;
    if (!prob && !weight && eps == 0 && reduction == TG_REDUCTION_MEAN &&
        !any_ignored)
        return tg_cross_entropy(logits, target);

    tg_tensor *w = weight;
    if (w && w->dtype != logits->dtype) w = tg_cast(w, logits->dtype);
    tg_tensor *lp = tg_log_softmax(logits, 1);
    int64_t ax1 = 1;
    if (prob) {
        tg_tensor *t = target;
        if (t->dtype != logits->dtype) t = tg_cast(t, logits->dtype);
        if (eps != 0) t = tg_add_scalar(tg_mul_scalar(t, 1 - eps), eps / (double)C);
        tg_tensor *p = tg_mul(lp, t);
        if (w) p = tg_mul(p, w);
        tg_tensor *r = tg_neg(tg_sum(p, 1, &ax1, false)); /* [N] */
        if (reduction == TG_REDUCTION_NONE) return r;
        tg_tensor *s = tg_sum_all(r);
        return reduction == TG_REDUCTION_SUM ? s
                                             : tg_mul_scalar(s, 1.0 / (double)N);
    }
    tg_tensor *nl = tg_nll_ex(lp, target, weight, ignore_index, reduction);
    if (eps == 0) return nl;
    tg_tensor *p = w ? tg_mul(lp, w) : lp;
    tg_tensor *sm = tg_neg(tg_sum(p, 1, &ax1, false)); /* [N] */
    double den = 0;
    tg_tensor *keep = tg__const_tensor(g, logits->dtype, 1, &N,
                                       "tg_cross_entropy");
    if (!keep) return &g->poison;
    for (int64_t i = 0; i < N; i++) {
        int64_t t = tg__index_at(target, i);
        bool k = t != ignore_index;
        put(keep, i, k ? 1.0 : 0.0);
        if (k) den += weight ? tg_get(weight, t) : 1.0;
    }
    if (any_ignored) sm = tg_mul(sm, keep);
    if (reduction != TG_REDUCTION_NONE) {
        sm = tg_sum_all(sm);
        if (reduction == TG_REDUCTION_MEAN) sm = tg_mul_scalar(sm, 1.0 / den);
    }
    return tg_add(tg_mul_scalar(nl, 1 - eps),
                  tg_mul_scalar(sm, eps / (double)C));
}
