/* Losses, each reducing to a 0-d mean (PyTorch's default reduction).
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

/* ------------------------------------------------------ label checks */

/* x [N,C] with labels [N] (any dtype), validated. */
static tg_status class_shape(tg_graph *g, tg_node *n, const tg_tensor *x,
                             const tg_tensor *l, const char *xname)
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
    char desc[64];
    snprintf(desc, sizeof desc, "%lld classes", (long long)x->shape[1]);
    return tg__check_indices(g, n, l, x->shape[1], "labels", desc);
}

/* --------------------------------------------------------- cross_entropy */

static tg_status ce_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    out->ndim = 0;
    return class_shape(g, n, n->in[0], n->in[1], "logits");
}

#define CE_FWD(T, SFX)                                                      \
    static double ce_fwd_##SFX(int64_t N, int64_t C, const T *x,            \
                               const tg_tensor *l)                          \
    {                                                                       \
        double total = 0;                                                   \
        bool par = N * C > TG_PAR_MIN;                                      \
        _Pragma("omp parallel for reduction(+ : total) if (par)")           \
        for (int64_t i = 0; i < N; i++) {                                   \
            const T *xr = x + i * C;                                        \
            T m = tg__row_max_##SFX(C, xr);                                 \
            double s = tg__row_expsum_##SFX(C, NULL, xr, m);                \
            total += (double)m + log(s) - (double)xr[tg__index_at(l, i)];   \
        }                                                                   \
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
    static void ce_bw_##SFX(int64_t N, int64_t C, T *z, T gv, const T *x,   \
                            const tg_tensor *l)                             \
    {                                                                       \
        T gn = (T)(gv / (double)N);                                         \
        _Pragma("omp parallel for if (N * C > TG_PAR_MIN)")                 \
        for (int64_t i = 0; i < N; i++) {                                   \
            const T *xr = x + i * C;                                        \
            T *zr = z + i * C;                                              \
            T m = tg__row_max_##SFX(C, xr);                                 \
            T sc = (T)(gn / tg__row_expsum_##SFX(C, zr, xr, m));            \
            _Pragma("omp simd")                                             \
            for (int64_t k = 0; k < C; k++) zr[k] *= sc;                    \
            zr[tg__index_at(l, i)] -= gn;                                   \
        }                                                                   \
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

static tg_status nll_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    out->ndim = 0;
    return class_shape(g, n, n->in[0], n->in[1], "logp");
}

static tg_status nll_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    const tg_tensor *x = n->in[0], *l = n->in[1];
    int64_t N = x->shape[0], C = x->shape[1];
    double s = 0;
    for (int64_t i = 0; i < N; i++) s += tg_get(x, i * C + tg__index_at(l, i));
    double v = -s / (double)N;
    if (x->dtype == TG_F32) *(float *)n->out->data = (float)v;
    else *(double *)n->out->data = v;
    return TG_OK;
}

static void nll_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                    tg_tensor **gx)
{
    const tg_tensor *x = n->in[0];
    if (need[0])
        gx[0] = tg_mul(onehot(g, x, n->in[1], -1.0 / (double)x->shape[0],
                              "tg_nll"),
                       gy);
}

/* ------------------------------------------------------------------ mse */

#define MSE_SUM(T)                                                          \
    {                                                                       \
        const T *av = a->data, *bv = b->data;                               \
        _Pragma("omp parallel for reduction(+ : s) if (cnt > TG_PAR_MIN)")  \
        for (int64_t r = 0; r < p.rows; r++) {                              \
            int64_t oa, ob;                                                 \
            tg__bcast_offsets(&p, r, &oa, &ob);                             \
            double rs = 0;                                                  \
            for (int64_t j = 0; j < p.inner; j++) {                         \
                double d = (double)av[oa + j * p.step[0]] -                 \
                           (double)bv[ob + j * p.step[1]];                  \
                rs += d * d;                                                \
            }                                                               \
            s += rs;                                                        \
        }                                                                   \
    }

static tg_status mse_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    tg_status st = tg_shape_broadcast(g, n, out); /* broadcast check */
    if (st != TG_OK) return st;
    int64_t cnt;
    tg__numel(out->ndim, out->shape, &cnt);
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
        _Pragma("omp parallel for reduction(+ : s) if (cnt > TG_PAR_MIN)")  \
        for (int64_t i = 0; i < cnt; i++) {                                 \
            double a = xv[i];                                               \
            s += (a > 0 ? a : 0) - a * (double)tv[i] + log1p(exp(-fabs(a))); \
        }                                                                   \
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
TG_BUILTIN_OP(cross_entropy,
    .n_inputs = 2,
    .flags = TG_OPF_MIXED_DTYPE,
    .index_inputs = 1u << 1,
    .shape = ce_shape,
    .forward = ce_fwd,
    .vjp = ce_vjp,
    .cases = "cross_entropy(x, l) | x=3x4 l=3:0,3,1; "
        "cross_entropy(2*x, l) | x=5x2 l=5:1,0,0,1,1");
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
    .flags = TG_OPF_MIXED_DTYPE,
    .index_inputs = 1u << 1,
    .shape = nll_shape,
    .forward = nll_fwd,
    .vjp = nll_vjp,
    .cases = "nll(log_softmax(x, axis=1), l) | x=3x4 l=3:0,3,1; nll(x, l) | x=2x5 "
        "l=2:4,2");
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

tg_tensor *tg_cross_entropy(tg_tensor *logits, tg_tensor *labels)
{
    return tg__apply2(TG_OP_cross_entropy, logits, labels, NULL);
}

tg_tensor *tg_cross_entropy_backward(tg_tensor *g, tg_tensor *logits,
                                     tg_tensor *labels)
{
    tg_tensor *in[3] = {g, logits, labels};
    return tg__apply(TG_OP_cross_entropy_backward, in, 3, NULL);
}

tg_tensor *tg_nll(tg_tensor *logp, tg_tensor *labels)
{
    return tg__apply2(TG_OP_nll, logp, labels, NULL);
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
