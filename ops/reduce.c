/* Reductions over any set of axes (all when none are given), with keepdim.
 *
 *   mean(x)       y = sum(x) / c                      (c = elements per group)
 *   max(x)        y = max x   (NaN propagates)
 *   min(x)        y = min x
 *   var(x)        y = sum((x - mean)^2) / (c - u)     (u = 1 when unbiased)
 *   logsumexp(x)  y = m + log sum exp(x - m), m = max x
 * VJPs, with gk = g reshaped to the keepdim shape (broadcasts against x):
 *   mean:       expand(gk, x.shape) / c
 *   max, min:   gk * M, M = [x == y] / (number of tied extrema) — a
 *               constant: the gradient is split evenly among ties (amax
 *               semantics); M is piecewise constant, so grad-of-grad is
 *               exact away from ties
 *   var:        gk * 2 (x - mean(x)) / (c - u)
 *   std:        gk (x - mean(x)) / ((c - u) y)   (std = sqrt(var))
 *   logsumexp:  mul_exp(gk, x - yk)   (= gk softmax over the axes)
 * Nothing is saved: y is n->out and M is rebuilt from x and y on demand.
 */
#include "ops/array.h"
#include "ops/ew.h"

#include <math.h>

#define KEEPDIM i[0]  /* keep reduced axes as extent 1 */
#define UNBIASED i[1] /* var: divide by c - 1 */

static tg_status reduce_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    return tg__axes_rule(g, n, out, n->attr.KEEPDIM);
}

/* max and min have no identity: an empty group is an error (PyTorch). */
static tg_status extremum_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    tg_status st = tg__axes_rule(g, n, out, n->attr.KEEPDIM);
    if (st != TG_OK) return st;
    int64_t cnt;
    if (!tg__numel(out->ndim, out->shape, &cnt)) {
        char sb[TG_SHAPE_BUF];
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "output shape %s has too many elements; hint: "
                           "reduce over more axes",
                           tg__fmt_shape(sb, out->ndim, out->shape));
    }
    if (cnt > 0 && tg__reduce_count(n) == 0) {
        char sb[TG_SHAPE_BUF];
        const tg_tensor *x = n->in[0];
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "cannot reduce empty groups of %s; hint: max and "
                           "min have no value for zero elements",
                           tg__fmt_shape(sb, x->ndim, x->shape));
    }
    return TG_OK;
}

/* Plan walking x in runs against its keepdim-shaped result (operand 0). */
static void reduce_plan(tg_bcast *p, const tg_node *n, tg_tensor *keep)
{
    const tg_tensor *x = n->in[0];
    memset(keep, 0, sizeof *keep);
    keep->ndim = x->ndim;
    tg__keep_shape(n, keep->shape);
    tg__numel(keep->ndim, keep->shape, &keep->numel);
    tg__bcast_plan(p, x, keep, NULL);
}

/* acc[o] = combine over the group of o; acc starts at `init`. The run
 * walk: step 0 reduces a whole run into acc[oa], step 1 folds the run
 * elementwise into acc[oa..]. */
#define FOLD(T, acc, init, COMBINE)                                         \
    {                                                                       \
        const T *xv = x->data;                                              \
        for (int64_t o = 0; o < keep.numel; o++) acc[o] = init;             \
        for (int64_t r = 0; r < p.rows; r++) {                              \
            int64_t oa, ob;                                                 \
            tg__bcast_offsets(&p, r, &oa, &ob);                             \
            const T *src = xv + r * p.inner;                                \
            if (p.step[0]) {                                                \
                for (int64_t j = 0; j < p.inner; j++)                       \
                    COMBINE(acc[oa + j], src[j], oa + j);                   \
            } else {                                                        \
                for (int64_t j = 0; j < p.inner; j++)                       \
                    COMBINE(acc[oa], src[j], oa);                           \
            }                                                               \
        }                                                                   \
    }

#define C_MAX(a, v, o) if ((v) > (a) || (v) != (v)) (a) = (v)
#define C_MIN(a, v, o) if ((v) < (a) || (v) != (v)) (a) = (v)
#define C_ADD(a, v, o) (a) += (double)(v)
#define C_SQDEV(a, v, o)                                                    \
    {                                                                       \
        double d_ = (double)(v) - mean[o];                                  \
        (a) += d_ * d_;                                                     \
    }
#define C_EXPDEV(a, v, o)                                                   \
    if (isfinite(m[o])) (a) += exp((double)(v) - (double)m[o])

/* ---------------------------------------------------------------- mean */

static tg_status mean_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    tg_tensor view = *n->out; /* same data, keepdim shape */
    view.ndim = n->in[0]->ndim;
    tg__keep_shape(n, view.shape);
    tg__reduce_sum_to(&view, n->in[0]);
    double s = 1.0 / (double)tg__reduce_count(n); /* c = 0: NaN */
    int64_t len = n->out->numel;
    if (n->out->dtype == TG_F32) {
        float *y = n->out->data;
        for (int64_t i = 0; i < len; i++) y[i] = (float)(y[i] * s);
    } else {
        double *y = n->out->data;
        for (int64_t i = 0; i < len; i++) y[i] *= s;
    }
    return TG_OK;
}

static tg_tensor *keep_view(const tg_node *n, tg_tensor *t)
{
    int64_t ks[TG_MAX_DIMS];
    tg__keep_shape(n, ks);
    return tg_reshape(t, n->in[0]->ndim, ks);
}

static void mean_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                     const bool *need, tg_tensor **gx)
{
    (void)g, (void)need;
    const tg_tensor *x = n->in[0];
    gx[0] = tg_mul_scalar(tg_expand(keep_view(n, gy), x->ndim, x->shape),
                          1.0 / (double)tg__reduce_count(n));
}

/* ------------------------------------------------------------ max, min */

static tg_status extremum_fwd(tg_graph *g, tg_node *n, bool is_max)
{
    (void)g;
    const tg_tensor *x = n->in[0];
    tg_bcast p;
    tg_tensor keep;
    reduce_plan(&p, n, &keep);
    if (x->dtype == TG_F32) {
        float *acc = n->out->data;
        if (is_max) FOLD(float, acc, -INFINITY, C_MAX)
        else FOLD(float, acc, INFINITY, C_MIN)
    } else {
        double *acc = n->out->data;
        if (is_max) FOLD(double, acc, -INFINITY, C_MAX)
        else FOLD(double, acc, INFINITY, C_MIN)
    }
    return TG_OK;
}

static tg_status max_fwd(tg_graph *g, tg_node *n)
{
    return extremum_fwd(g, n, true);
}
static tg_status min_fwd(tg_graph *g, tg_node *n)
{
    return extremum_fwd(g, n, false);
}

/* M = [x == y] / ties, built in x's shape (NaN counts as equal to NaN);
 * with AB, [|x| == y] (norm's p = ±inf). */
#define TIE_MASK(T, AB)                                                     \
    {                                                                       \
        const T *xv = x->data, *yv = y->data;                               \
        T *mv = M->data;                                                    \
        double *cnt = tg__scratch(g, n, sizeof(double) * (size_t)keep.numel); \
        if (!cnt) return &g->poison;                                        \
        for (int64_t pass = 0; pass < 2; pass++) {                          \
            if (pass == 0)                                                  \
                for (int64_t o = 0; o < keep.numel; o++) cnt[o] = 0;        \
            for (int64_t r = 0; r < p.rows; r++) {                          \
                int64_t oa, ob;                                             \
                tg__bcast_offsets(&p, r, &oa, &ob);                         \
                for (int64_t j = 0; j < p.inner; j++) {                     \
                    int64_t o = oa + j * p.step[0], i = r * p.inner + j;    \
                    T xi_ = (AB) ? (T)fabs((double)xv[i]) : xv[i];          \
                    bool hit = xi_ == yv[o] ||                              \
                               (xi_ != xi_ && yv[o] != yv[o]);              \
                    if (pass == 0) cnt[o] += hit;                           \
                    else mv[i] = hit ? (T)(1.0 / cnt[o]) : (T)0;            \
                }                                                           \
            }                                                               \
        }                                                                   \
    }

static tg_tensor *tie_mask(tg_graph *g, tg_node *n, bool ab)
{
    const tg_tensor *x = n->in[0], *y = n->out;
    tg_tensor *M = tg__const_tensor(g, x->dtype, x->ndim, x->shape,
                                    ab ? "tg_norm"
                                    : n->op == &tg_op_max ? "tg_max" : "tg_min");
    if (!M) return &g->poison;
    tg_bcast p;
    tg_tensor keep;
    reduce_plan(&p, n, &keep);
    if (x->dtype == TG_F32) TIE_MASK(float, ab) else TIE_MASK(double, ab)
    return M;
}

static void extremum_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                         const bool *need, tg_tensor **gx)
{
    (void)need;
    gx[0] = tg_mul(keep_view(n, gy), tie_mask(g, n, false));
}

/* ----------------------------------------------------------------- var */

static tg_status var_fwd(tg_graph *g, tg_node *n)
{
    const tg_tensor *x = n->in[0];
    tg_bcast p;
    tg_tensor keep;
    reduce_plan(&p, n, &keep);
    double *mean = tg__scratch(g, n, sizeof(double) * (size_t)keep.numel);
    double *ss = tg__scratch(g, n, sizeof(double) * (size_t)keep.numel);
    if (!mean || !ss) return g->status;
    double c = (double)tg__reduce_count(n);
    if (x->dtype == TG_F32) {
        FOLD(float, mean, 0.0, C_ADD)
        for (int64_t o = 0; o < keep.numel; o++) mean[o] /= c;
        FOLD(float, ss, 0.0, C_SQDEV)
    } else {
        FOLD(double, mean, 0.0, C_ADD)
        for (int64_t o = 0; o < keep.numel; o++) mean[o] /= c;
        FOLD(double, ss, 0.0, C_SQDEV)
    }
    double den = c - (n->attr.UNBIASED ? 1.0 : 0.0);
    for (int64_t o = 0; o < keep.numel; o++) {
        /* no element: NaN for both divisors, as the empty mean (the
         * unbiased 0 / -1 would give -0) */
        double v = c == 0 ? NAN : ss[o] / den;
        if (x->dtype == TG_F32) ((float *)n->out->data)[o] = (float)v;
        else ((double *)n->out->data)[o] = v;
    }
    return TG_OK;
}

static void var_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                    tg_tensor **gx)
{
    (void)g, (void)need;
    tg_tensor *x = n->in[0];
    double den = (double)tg__reduce_count(n) - (n->attr.UNBIASED ? 1.0 : 0.0);
    tg_tensor *mu = tg_mean(x, n->attr.nax, n->attr.ax, true);
    gx[0] = tg_mul(tg_sub(x, mu), tg_mul_scalar(keep_view(n, gy), 2.0 / den));
}

/* ----------------------------------------------------------------- std */

/* std = sqrt(var); VJP gk (x - mean) / ((c - u) std), NaN where std = 0
 * (0/0, as PyTorch) */
static tg_status std_fwd(tg_graph *g, tg_node *n)
{
    tg_status st = var_fwd(g, n);
    if (st != TG_OK) return st;
    int64_t len = n->out->numel;
    if (n->out->dtype == TG_F32) {
        float *y = n->out->data;
        for (int64_t i = 0; i < len; i++) y[i] = sqrtf(y[i]);
    } else {
        double *y = n->out->data;
        for (int64_t i = 0; i < len; i++) y[i] = sqrt(y[i]);
    }
    return TG_OK;
}

static void std_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                    tg_tensor **gx)
{
    (void)g, (void)need;
    tg_tensor *x = n->in[0];
    double den = (double)tg__reduce_count(n) - (n->attr.UNBIASED ? 1.0 : 0.0);
    tg_tensor *mu = tg_mean(x, n->attr.nax, n->attr.ax, true);
    tg_tensor *s = keep_view(n, tg_div(gy, n->out));
    gx[0] = tg_mul(tg_sub(x, mu), tg_mul_scalar(s, 1.0 / den));
}

/* ---------------------------------------------------------------- norm */

/* norm(x, p) over the axes (torch.linalg.vector_norm's ord):
 *   p = 2: sqrt(sum x^2); 1: sum |x|; inf: max |x|; -inf: min |x|;
 *   0: the number of nonzeros; else (sum |x|^p)^(1/p).
 * Accumulated in double; an empty group gives 0 (-inf: +inf).
 * VJPs (gk = g in the keepdim shape, yk = y likewise), PyTorch's:
 *   p = 2:      gk x / yk, 0 where yk = 0
 *   p = 1:      gk sign(x)
 *   p = ±inf:   gk sign(x) [|x| == yk] / ties (split evenly, as max)
 *   p = 0:      0
 *   else:       gk sign(x) |x|^(p-1) / yk^(p-1), 0 where yk = 0 */
#define P f[0]
#define C_ABS(a, v, o) (a) += fabs((double)(v))
#define C_SQ(a, v, o) (a) += (double)(v) * (double)(v)
#define C_NZ(a, v, o) (a) += (v) != 0
#define C_POW(a, v, o) (a) += pow(fabs((double)(v)), pw)
#define C_AMAX(a, v, o) if (fabs((double)(v)) > (a) || (v) != (v)) (a) = fabs((double)(v))
#define C_AMIN(a, v, o) if (fabs((double)(v)) < (a) || (v) != (v)) (a) = fabs((double)(v))

static tg_status norm_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    if (isnan(n->attr.P))
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "p must be a number or +-inf (got nan); hint: "
                           "p=2 is the Euclidean norm");
    return tg__axes_rule(g, n, out, n->attr.KEEPDIM);
}

static tg_status norm_fwd(tg_graph *g, tg_node *n)
{
    const tg_tensor *x = n->in[0];
    tg_bcast p;
    tg_tensor keep;
    reduce_plan(&p, n, &keep);
    double *acc = tg__scratch(g, n, sizeof(double) * (size_t)keep.numel);
    if (!acc) return g->status;
    double pw = n->attr.P;
    bool f32 = x->dtype == TG_F32;
#define NORM_FOLD(T)                                                        \
    if (pw == 2) FOLD(T, acc, 0.0, C_SQ)                                    \
    else if (pw == 1) FOLD(T, acc, 0.0, C_ABS)                              \
    else if (pw == INFINITY) FOLD(T, acc, 0.0, C_AMAX)                      \
    else if (pw == -INFINITY) FOLD(T, acc, INFINITY, C_AMIN)                \
    else if (pw == 0) FOLD(T, acc, 0.0, C_NZ)                               \
    else FOLD(T, acc, 0.0, C_POW)
    if (f32) NORM_FOLD(float) else NORM_FOLD(double)
#undef NORM_FOLD
    for (int64_t o = 0; o < keep.numel; o++) {
        double v = acc[o];
        if (pw == 2) v = sqrt(v);
        else if (pw != 1 && pw != 0 && !isinf(pw)) v = pow(v, 1.0 / pw);
        if (f32) ((float *)n->out->data)[o] = (float)v;
        else ((double *)n->out->data)[o] = v;
    }
    return TG_OK;
}

/* gk / yk^e with 0 where yk = 0 (z = [yk == 0], a constant: norms are
 * >= 0, so nonpos is the zero test) */
static tg_tensor *scale_by_norm(tg_graph *g, tg_node *n, tg_tensor *gk,
                                tg_tensor *yk, double e)
{
    tg_tensor *z = tg__ew_map_const(g, n, yk, TG_KM_nonpos, (tg_kp){0, 0, 0});
    tg_tensor *d = tg_add(yk, z);
    if (e != 1) d = tg_pow_scalar(d, e);
    return tg_mul(tg_div(gk, d), tg_add_scalar(tg_neg(z), 1.0));
}

static void norm_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                     tg_tensor **gx)
{
    (void)need;
    tg_tensor *x = n->in[0];
    double pw = n->attr.P;
    tg_tensor *gk = keep_view(n, gy);
    if (pw == 0) {
        gx[0] = tg_full(g, x->dtype, x->ndim, x->shape, 0.0);
    } else if (pw == 1) {
        gx[0] = tg_mul(gk, tg_sign(x));
    } else if (isinf(pw)) {
        gx[0] = tg_mul(tg_mul(gk, tg_sign(x)), tie_mask(g, n, true));
    } else if (pw == 2) {
        gx[0] = tg_mul(x, scale_by_norm(g, n, gk, keep_view(n, n->out), 1));
    } else {
        tg_tensor *xs = tg_mul(tg_sign(x), tg_pow_scalar(tg_abs(x), pw - 1));
        gx[0] = tg_mul(xs, scale_by_norm(g, n, gk, keep_view(n, n->out), pw - 1));
    }
}
#undef P

/* ----------------------------------------------------------- logsumexp */

static tg_status lse_fwd(tg_graph *g, tg_node *n)
{
    const tg_tensor *x = n->in[0];
    tg_bcast p;
    tg_tensor keep;
    reduce_plan(&p, n, &keep);
    double *s = tg__scratch(g, n, sizeof(double) * (size_t)keep.numel);
    if (!s) return g->status;
    if (x->dtype == TG_F32) {
        float *m = tg__scratch(g, n, sizeof(float) * (size_t)keep.numel);
        if (!m) return g->status;
        FOLD(float, m, -INFINITY, C_MAX)
        FOLD(float, s, 0.0, C_EXPDEV)
        float *y = n->out->data;
        for (int64_t o = 0; o < keep.numel; o++)
            y[o] = isfinite(m[o]) ? (float)(m[o] + log(s[o])) : m[o];
    } else {
        double *m = tg__scratch(g, n, sizeof(double) * (size_t)keep.numel);
        if (!m) return g->status;
        FOLD(double, m, -INFINITY, C_MAX)
        FOLD(double, s, 0.0, C_EXPDEV)
        double *y = n->out->data;
        for (int64_t o = 0; o < keep.numel; o++)
            y[o] = isfinite(m[o]) ? m[o] + log(s[o]) : m[o];
    }
    return TG_OK;
}

static void lse_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                    tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_mul_exp(keep_view(n, gy),
                       tg_sub(n->in[0], keep_view(n, n->out)));
}

/* ---------------------------------------------------------- descriptors */

#define RED_CASES(op)                                                       \
    #op "(x) | x=3x4; " #op "(x, axis=1) | x=3x4; " #op                     \
        "(x, axis=0, keepdim=1) | x=2x3x4; " #op "(x, axis=-1) | x=2x3x4"

TG_BUILTIN_OP(mean,
    .n_inputs = 1,
    .attrs = {{"axis", TG_ATTR_AXES}, {"keepdim", TG_ATTR_BOOL}},
    .shape = reduce_shape,
    .forward = mean_fwd,
    .vjp = mean_vjp,
    .cases = RED_CASES(mean));
TG_BUILTIN_OP(max,
    .n_inputs = 1,
    .flags = TG_OPF_NONSMOOTH,
    .attrs = {{"axis", TG_ATTR_AXES}, {"keepdim", TG_ATTR_BOOL}},
    .shape = extremum_shape,
    .forward = max_fwd,
    .vjp = extremum_vjp,
    .cases = RED_CASES(max));
TG_BUILTIN_OP(min,
    .n_inputs = 1,
    .flags = TG_OPF_NONSMOOTH,
    .attrs = {{"axis", TG_ATTR_AXES}, {"keepdim", TG_ATTR_BOOL}},
    .shape = extremum_shape,
    .forward = min_fwd,
    .vjp = extremum_vjp,
    .cases = RED_CASES(min));
TG_BUILTIN_OP(var,
    .n_inputs = 1,
    .attrs = {{"axis", TG_ATTR_AXES},
              {"keepdim", TG_ATTR_BOOL},
              {"unbiased", TG_ATTR_BOOL, 1}},
    .shape = reduce_shape,
    .forward = var_fwd,
    .vjp = var_vjp,
    .cases = "var(x) | x=3x4; var(x, axis=1, unbiased=1) | x=3x4; "
        "var(x, axis=0, keepdim=1, unbiased=0) | x=4x3x2");
TG_BUILTIN_OP(std,
    .n_inputs = 1,
    .attrs = {{"axis", TG_ATTR_AXES},
              {"keepdim", TG_ATTR_BOOL},
              {"unbiased", TG_ATTR_BOOL, 1}},
    .shape = reduce_shape,
    .forward = std_fwd,
    .vjp = std_vjp,
    .cases = "std(x) | x=3x4; std(x, axis=1, unbiased=1) | x=3x4; "
        "std(x, axis=0, keepdim=1, unbiased=0) | x=4x3x2");
TG_BUILTIN_OP(norm,
    .n_inputs = 1,
    .flags = TG_OPF_NONSMOOTH,
    .attrs = {{"p", TG_ATTR_REAL, 2},
              {"axis", TG_ATTR_AXES},
              {"keepdim", TG_ATTR_BOOL}},
    .shape = norm_shape,
    .forward = norm_fwd,
    .vjp = norm_vjp,
    .cases = "norm(x) | x=3x4; norm(x, axis=1) | x=3x4; "
        "norm(x, p=1, axis=0, keepdim=1) | x=2x3x4; "
        "norm(x, p=inf, axis=-1) | x=2x3x4; norm(x, p=3, axis=1) | x=3x4; "
        "norm(x, p=1.5) | x=5; norm(x, p=0, axis=0) | x=3x2");
TG_BUILTIN_OP(logsumexp,
    .n_inputs = 1,
    .attrs = {{"axis", TG_ATTR_AXES}, {"keepdim", TG_ATTR_BOOL}},
    .shape = reduce_shape,
    .forward = lse_fwd,
    .vjp = lse_vjp,
    .cases = RED_CASES(logsumexp));

static tg_tensor *reduce(int op, tg_tensor *x, int naxes, const int64_t *axes,
                         bool keepdim, bool unbiased)
{
    tg_attrs a = {0};
    tg__set_axes(&a, naxes, axes);
    a.KEEPDIM = keepdim;
    a.UNBIASED = unbiased;
    return tg__apply1(op, x, &a);
}

tg_tensor *tg_mean(tg_tensor *x, int naxes, const int64_t *axes, bool keepdim)
{
    return reduce(TG_OP_mean, x, naxes, axes, keepdim, false);
}
tg_tensor *tg_mean_all(tg_tensor *x) { return tg_mean(x, 0, NULL, false); }
tg_tensor *tg_max(tg_tensor *x, int naxes, const int64_t *axes, bool keepdim)
{
    return reduce(TG_OP_max, x, naxes, axes, keepdim, false);
}
tg_tensor *tg_min(tg_tensor *x, int naxes, const int64_t *axes, bool keepdim)
{
    return reduce(TG_OP_min, x, naxes, axes, keepdim, false);
}
tg_tensor *tg_var(tg_tensor *x, int naxes, const int64_t *axes, bool unbiased,
                  bool keepdim)
{
    return reduce(TG_OP_var, x, naxes, axes, keepdim, unbiased);
}
tg_tensor *tg_std(tg_tensor *x, int naxes, const int64_t *axes, bool unbiased,
                  bool keepdim)
{
    return reduce(TG_OP_std, x, naxes, axes, keepdim, unbiased);
}
tg_tensor *tg_norm(tg_tensor *x, double p, int naxes, const int64_t *axes,
                   bool keepdim)
{
    tg_attrs a = {0};
    tg__set_axes(&a, naxes, axes);
    a.f[0] = p;
    a.KEEPDIM = keepdim;
    return tg__apply1(TG_OP_norm, x, &a);
}
tg_tensor *tg_logsumexp(tg_tensor *x, int naxes, const int64_t *axes,
                        bool keepdim)
{
    return reduce(TG_OP_logsumexp, x, naxes, axes, keepdim, false);
}
