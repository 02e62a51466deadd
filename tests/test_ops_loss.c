/* Losses with PyTorch's options: cross_entropy (weights, ignore_index,
 * label_smoothing, probability targets, reduction), nll, l1, smooth_l1,
 * huber, kl_div, binary_cross_entropy, margin_ranking. Values and
 * gradients against long-double loops written from the definitions (f64
 * and f32), broadcasting, empty and 0-d inputs, errors by their text.
 * Central differences (and second order) are the ops' cases in `tapegrad
 * check --all-ops`. */
#include <math.h>
#include <string.h>
#include <tapegrad/tapegrad.h>

#include "tt.h"
#include "tt_tensor.h"

typedef long double LD;

/* ------------------------------------------------- cross_entropy and nll */

enum { N = 5, C = 3 };
static const double X[N * C] = {0.3, -1.2, 2.0,  1.5, 0.1, -0.4, -2.0, 0.7,
                                0.2, 0.0,  0.9, -0.3, 1.1, 1.1,  -1.0};
static const int64_t L[N] = {2, 0, -100, 1, 0};
static const double W[C] = {0.5, 2.0, 1.5};

/* The reference: per-row losses r[N], the reduced value, and dL/dx for
 * the given reduction (g = 1 for sum/mean, g_i = 1 for none). */
static LD ref_ce(const double *x, const int64_t *l, const double *w,
                 int64_t ign, LD eps, int red, LD *r, LD *dx)
{
    LD den = 0, tot = 0, W_ = 0;
    for (int c = 0; c < C; c++) W_ += w ? w[c] : 1;
    for (int i = 0; i < N; i++) {
        LD m = -INFINITY, s = 0;
        for (int c = 0; c < C; c++) m = fmaxl(m, x[i * C + c]);
        for (int c = 0; c < C; c++) s += expl(x[i * C + c] - m);
        LD lse = m + logl(s);
        r[i] = 0;
        for (int c = 0; c < C; c++) dx[i * C + c] = 0;
        if (l[i] == ign) continue;
        LD wt = w ? w[l[i]] : 1;
        den += wt;
        r[i] = (1 - eps) * wt * (lse - x[i * C + l[i]]);
        for (int c = 0; c < C; c++) {
            LD wc = w ? w[c] : 1, p = expl(x[i * C + c] - lse);
            r[i] += eps / C * wc * (lse - x[i * C + c]);
            dx[i * C + c] = (1 - eps) * wt * (p - (c == l[i])) +
                            eps / C * (W_ * p - wc);
        }
        tot += r[i];
    }
    if (red == 1)
        for (int k = 0; k < N * C; k++) dx[k] /= den;
    return red == 1 ? tot / den : tot;
}

static void ce_values(void)
{
    static const struct {
        bool weight;
        double eps;
        int red;
    } cfg[] = {{false, 0, 1}, {true, 0, 1},   {true, 0.2, 1}, {false, 0.1, 2},
               {true, 0.3, 0}, {false, 0, 0}, {true, 0, 2}};
    for (size_t k = 0; k < sizeof cfg / sizeof cfg[0]; k++)
        for (int dt = 0; dt < 2; dt++) {
            tg_dtype T = dt ? TG_F32 : TG_F64;
            double tol = dt ? 2e-6 : 1e-13;
            tg_graph *g = tg_graph_new();
            tg_tensor *x = tt_in(g, TG_SHAPE(N, C), X, T, true);
            tg_tensor *l = tg_input(g, TG_I64, TG_SHAPE(N), L);
            tg_tensor *w = cfg[k].weight ? tt_in(g, TG_SHAPE(C), W, T, false)
                                         : NULL;
            tg_tensor *y = tg_cross_entropy_ex(x, l, w, -100, cfg[k].eps,
                                               (tg_reduction)cfg[k].red);
            LD r[N], dx[N * C];
            LD want = ref_ce(X, L, cfg[k].weight ? W : NULL, -100, cfg[k].eps,
                             cfg[k].red, r, dx);
            if (cfg[k].red == 0) {
                TT_CHECK(y->ndim == 1 && y->shape[0] == N);
                for (int i = 0; i < N; i++) TT_NEAR(tg_get(y, i), r[i], tol);
                TT_CHECK(tg_backward_seed(g, y, tg_full(g, T, TG_SHAPE(N), 1)) ==
                         TG_OK);
            } else {
                TT_CHECK(y->ndim == 0);
                TT_NEAR(tg_item(y), want, tol);
                TT_CHECK(tg_backward(g, y) == TG_OK);
            }
            for (int i = 0; i < N * C; i++) TT_NEAR(tg_get(x->grad, i), dx[i], tol);
            TT_CHECK(tg_graph_error(g) == NULL);
            tg_graph_free(g);
        }
}

/* nll alone: the weighted mean divides by the kept weights; every label
 * ignored gives NaN (0/0), the sum 0. */
static void nll_values(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *x = tt_in(g, TG_SHAPE(N, C), X, TG_F64, true);
    tg_tensor *l = tg_input(g, TG_I64, TG_SHAPE(N), L);
    tg_tensor *w = tt_in(g, TG_SHAPE(C), W, TG_F64, false);
    tg_tensor *y = tg_nll_ex(x, l, w, -100, TG_REDUCTION_MEAN);
    LD s = 0, den = 0;
    for (int i = 0; i < N; i++)
        if (L[i] != -100) {
            s -= (LD)W[L[i]] * X[i * C + L[i]];
            den += W[L[i]];
        }
    TT_NEAR(tg_item(y), s / den, 1e-15);
    TT_CHECK(tg_backward(g, y) == TG_OK);
    for (int i = 0; i < N; i++)
        for (int c = 0; c < C; c++)
            TT_NEAR(tg_get(x->grad, i * C + c),
                    L[i] == c ? -(LD)W[c] / den : 0, 1e-15);
    /* ignore_index = 0 as a label value, f64 labels */
    tg_tensor *lf = tg_input(g, TG_F64, TG_SHAPE(N), (double[]){2, 0, 1, 1, 0});
    y = tg_nll_ex(x, lf, NULL, 0, TG_REDUCTION_NONE);
    static const double wn[N] = {-2.0, 0, -0.7, -0.9, 0};
    for (int i = 0; i < N; i++) TT_NEAR(tg_get(y, i), wn[i], 1e-15);
    tg_tensor *all = tg_input(g, TG_I64, TG_SHAPE(2), (int64_t[]){-1, -1});
    tg_tensor *x2 = tg_input(g, TG_F64, TG_SHAPE(2, C), X);
    TT_CHECK(isnan(tg_item(tg_nll_ex(x2, all, NULL, -1, TG_REDUCTION_MEAN))));
    TT_CHECK(tg_item(tg_nll_ex(x2, all, NULL, -1, TG_REDUCTION_SUM)) == 0);
    TT_CHECK(tg_graph_error(g) == NULL);
    tg_graph_free(g);
}

/* Probability targets: one-hot rows equal the index form; soft rows
 * against the reference with weights and smoothing; the targets get a
 * gradient -w_c lp_ic (1 - eps) / N. */
static void ce_probabilities(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *x = tt_in(g, TG_SHAPE(N, C), X, TG_F64, true);
    double oh[N * C] = {0};
    int64_t li[N] = {2, 0, 1, 1, 0};
    for (int i = 0; i < N; i++) oh[i * C + li[i]] = 1;
    tg_tensor *t = tg_input(g, TG_F64, TG_SHAPE(N, C), oh);
    tg_tensor *l = tg_input(g, TG_I64, TG_SHAPE(N), li);
    tg_tensor *w = tt_in(g, TG_SHAPE(C), W, TG_F64, false);
    TT_NEAR(tg_item(tg_cross_entropy_ex(x, t, NULL, -100, 0, TG_REDUCTION_MEAN)),
            tg_item(tg_cross_entropy(x, l)), 1e-15);
    /* soft targets */
    double tv[N * C];
    for (int i = 0; i < N * C; i++) tv[i] = 0.1 + 0.05 * (i % 4);
    tg_tensor *ts = tt_in(g, TG_SHAPE(N, C), tv, TG_F64, true);
    double eps = 0.25;
    tg_tensor *y = tg_cross_entropy_ex(x, ts, w, -100, eps, TG_REDUCTION_MEAN);
    LD tot = 0, dt[N * C], dx[N * C];
    for (int i = 0; i < N; i++) {
        LD m = -INFINITY, s = 0, st = 0;
        for (int c = 0; c < C; c++) m = fmaxl(m, X[i * C + c]);
        for (int c = 0; c < C; c++) s += expl(X[i * C + c] - m);
        LD lse = m + logl(s);
        for (int c = 0; c < C; c++) {
            LD tp = (1 - eps) * tv[i * C + c] + eps / C;
            tot -= W[c] * tp * (X[i * C + c] - lse);
            dt[i * C + c] = -(1 - eps) * W[c] * (X[i * C + c] - lse) / N;
            st += W[c] * tp;
        }
        for (int c = 0; c < C; c++) {
            LD tp = (1 - eps) * tv[i * C + c] + eps / C;
            dx[i * C + c] = (expl(X[i * C + c] - lse) * st - W[c] * tp) / N;
        }
    }
    TT_NEAR(tg_item(y), tot / N, 1e-14);
    TT_CHECK(tg_backward(g, y) == TG_OK);
    for (int i = 0; i < N * C; i++) {
        TT_NEAR(tg_get(ts->grad, i), dt[i], 1e-14);
        TT_NEAR(tg_get(x->grad, i), dx[i], 1e-14);
    }
    TT_CHECK(tg_graph_error(g) == NULL);
    tg_graph_free(g);
}

/* ----------------------------------------------------- elementwise losses */

enum { R = 2, K = 3 };
static const double A[R * K] = {0.3, -1.7, 2.5, 0.05, 1.0, -0.6};
static const double B[K] = {0.5, -0.2, 0.4}; /* broadcast over rows */

typedef LD (*ref_fn)(LD a, LD b, LD *da, LD *db);
static LD P; /* the loss's parameter (beta, delta) */
static LD r_l1(LD a, LD b, LD *da, LD *db)
{
    LD d = a - b;
    *da = d > 0 ? 1 : d < 0 ? -1 : 0;
    *db = -*da;
    return fabsl(d);
}
static LD r_sl1(LD a, LD b, LD *da, LD *db)
{
    LD d = a - b, z = fabsl(d);
    *da = z < P ? d / P : (d > 0 ? 1 : -1);
    *db = -*da;
    return z < P ? d * d / (2 * P) : z - P / 2;
}
static LD r_huber(LD a, LD b, LD *da, LD *db)
{
    LD d = a - b, z = fabsl(d);
    *da = z < P ? d : (d > 0 ? P : -P);
    *db = -*da;
    return z < P ? d * d / 2 : P * (z - P / 2);
}
static LD r_kl(LD x, LD t, LD *dx, LD *dt) /* t = exp(b) */
{
    LD e = expl(t);
    *dx = -e;
    *dt = (logl(e) + 1 - x) * e; /* chain through t = exp(b) */
    return e * (logl(e) - x);
}
static LD r_bce(LD a, LD t, LD *da, LD *dt) /* p = sigmoid(a) */
{
    LD p = 1 / (1 + expl(-a));
    *da = (p - t) / (p * (1 - p)) * p * (1 - p);
    *dt = logl(1 - p) - logl(p);
    return -(t * logl(p) + (1 - t) * logl(1 - p));
}

static tg_tensor *apply(int which, tg_tensor *a, tg_tensor *b, tg_reduction r)
{
    switch (which) {
    case 0: return tg_l1_loss(a, b, r);
    case 1: return tg_smooth_l1_loss(a, b, (double)P, r);
    case 2: return tg_huber_loss(a, b, (double)P, r);
    case 3: return tg_kl_div(a, tg_exp(b), r, false);
    default: return tg_binary_cross_entropy(tg_sigmoid(a), b, NULL, r);
    }
}

static void pointwise_values(void)
{
    static const ref_fn refs[] = {r_l1, r_sl1, r_huber, r_kl, r_bce};
    static const double params[] = {0, 0.8, 0.8, 0, 0};
    for (int which = 0; which < 5; which++)
        for (int red = 0; red < 3; red++)
            for (int dt = 0; dt < 2; dt++) {
                P = params[which];
                tg_dtype T = dt ? TG_F32 : TG_F64;
                double tol = dt ? 3e-6 : 1e-13;
                tg_graph *g = tg_graph_new();
                tg_tensor *a = tt_in(g, TG_SHAPE(R, K), A, T, true);
                tg_tensor *b = tt_in(g, TG_SHAPE(K), B, T, true);
                tg_tensor *y = apply(which, a, b, (tg_reduction)red);
                LD tot = 0, v[R * K], da[R * K], db[K] = {0};
                for (int i = 0; i < R * K; i++) {
                    LD ga, gb;
                    v[i] = refs[which](A[i], B[i % K], &ga, &gb);
                    tot += v[i];
                    LD sc = red == 1 ? 1.0L / (R * K) : 1;
                    da[i] = ga * sc;
                    db[i % K] += gb * sc;
                }
                if (red == 0) {
                    TT_CHECK(y->ndim == 2 && y->shape[0] == R && y->shape[1] == K);
                    for (int i = 0; i < R * K; i++) TT_NEAR(tg_get(y, i), v[i], tol);
                    TT_CHECK(tg_backward_seed(g, y, tg_full(g, T, TG_SHAPE(R, K), 1)) ==
                             TG_OK);
                } else {
                    TT_CHECK(y->ndim == 0);
                    TT_NEAR(tg_item(y), red == 1 ? tot / (R * K) : tot, tol);
                    TT_CHECK(tg_backward(g, y) == TG_OK);
                }
                for (int i = 0; i < R * K; i++) TT_NEAR(tg_get(a->grad, i), da[i], tol);
                for (int i = 0; i < K; i++) TT_NEAR(tg_get(b->grad, i), db[i], tol);
                TT_CHECK(tg_graph_error(g) == NULL);
                tg_graph_free(g);
            }
}

/* kl_div's batchmean and log_target; bce's weight and clamped logs;
 * margin_ranking with y = ±1 and a margin. */
static void pointwise_options(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(R, K), A);
    tg_tensor *t = tg_input(g, TG_F64, TG_SHAPE(R, K), (double[]){0.2, 0, 0.5, 0.1, 0.7, 0.3});
    LD s = 0, sl = 0;
    for (int i = 0; i < R * K; i++) {
        LD tv = tg_get(t, i);
        s += (tv > 0 ? tv * logl(tv) : 0) - tv * A[i];
        sl += expl(tv) * (tv - A[i]);
    }
    TT_NEAR(tg_item(tg_kl_div(x, t, TG_REDUCTION_BATCHMEAN, false)), s / R, 1e-15);
    TT_NEAR(tg_item(tg_kl_div(x, t, TG_REDUCTION_MEAN, true)), sl / (R * K), 1e-15);
    /* bce at p = 0 and 1: the logs clamp at -100 */
    tg_tensor *p = tg_input(g, TG_F64, TG_SHAPE(4), (double[]){0, 1, 0.25, 0.5});
    tg_tensor *tt = tg_input(g, TG_F64, TG_SHAPE(4), (double[]){1, 1, 0, 0.5});
    tg_tensor *w = tg_input(g, TG_F64, TG_SHAPE(4), (double[]){2, 1, 3, 0.5});
    tg_tensor *y = tg_binary_cross_entropy(p, tt, w, TG_REDUCTION_NONE);
    static const double wb[4] = {200, 0, 0, 0};
    TT_NEAR(tg_get(y, 0), wb[0], 0);
    TT_NEAR(tg_get(y, 1), 0, 0);
    TT_NEAR(tg_get(y, 2), -3 * (double)logl(0.75L), 1e-15);
    TT_NEAR(tg_get(y, 3), 0.5 * (double)logl(2.0L), 1e-15);
    /* margin ranking */
    tg_tensor *x1 = tg_input(g, TG_F64, TG_SHAPE(4), (double[]){0.5, 0.1, -1, 2});
    tg_tensor *x2 = tg_input(g, TG_F64, TG_SHAPE(4), (double[]){0.2, 0.4, 1, 2});
    tg_set_requires_grad(x1, true);
    tg_set_requires_grad(x2, true);
    tg_tensor *yy = tg_input(g, TG_I64, TG_SHAPE(4), (int64_t[]){1, 1, -1, -1});
    y = tg_margin_ranking_loss(x1, x2, yy, 0.1, TG_REDUCTION_SUM);
    /* max(0, -y (x1 - x2) + 0.1): 0, 0.4, 0, 0.1 */
    TT_NEAR(tg_item(y), 0.5, 1e-15);
    TT_CHECK(tg_backward(g, y) == TG_OK);
    static const double g1[4] = {0, -1, 0, 1};
    for (int i = 0; i < 4; i++) {
        TT_NEAR(tg_get(x1->grad, i), g1[i], 0);
        TT_NEAR(tg_get(x2->grad, i), -g1[i], 0);
    }
    /* at the kink (-y (x1 - x2) + margin = 0) the linear side's gradient,
     * as PyTorch's clamp_min */
    tg_tensor *k1 = tg_input(g, TG_F64, TG_SHAPE(1), (double[]){0.5});
    tg_set_requires_grad(k1, true);
    tg_tensor *k2 = tg_input(g, TG_F64, TG_SHAPE(1), (double[]){0.5});
    tg_tensor *ky = tg_input(g, TG_F64, TG_SHAPE(1), (double[]){1});
    y = tg_margin_ranking_loss(k1, k2, ky, 0, TG_REDUCTION_SUM);
    TT_CHECK(tg_item(y) == 0);
    TT_CHECK(tg_backward(g, y) == TG_OK);
    TT_NEAR(tg_get(k1->grad, 0), -1, 0);
    TT_CHECK(tg_graph_error(g) == NULL);
    tg_graph_free(g);
}

/* Second order: the Hessian of huber in a is 1 inside the quadratic zone
 * and 0 outside; of cross_entropy with smoothing, the softmax Jacobian
 * scaled by (1-eps) w_t + eps W / C per row (checked by its trace). */
static void second_order(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *a = tg_input(g, TG_F64, TG_SHAPE(3), (double[]){0.2, 3, -0.5});
    tg_set_requires_grad(a, true);
    tg_tensor *b = tg_scalar(g, TG_F64, 0);
    tg_tensor *y = tg_huber_loss(a, b, 1, TG_REDUCTION_SUM);
    tg_tensor *ga, *hv;
    TT_CHECK(tg_grad(g, &y, 1, NULL, &a, 1, true, &ga) == TG_OK);
    TT_NEAR(tg_get(ga, 0), 0.2, 1e-15);
    TT_NEAR(tg_get(ga, 1), 1, 0);
    tg_tensor *v = tg_full(g, TG_F64, TG_SHAPE(3), 1);
    TT_CHECK(tg_hvp(g, y, &a, 1, &v, false, &hv) == TG_OK);
    TT_NEAR(tg_get(hv, 0), 1, 0);
    TT_NEAR(tg_get(hv, 1), 0, 0);
    TT_NEAR(tg_get(hv, 2), 1, 0);
    /* cross_entropy, one row, weights and smoothing, sum: H = k (diag(p)
     * - p p^T), k = (1-eps) w_t + eps W / C */
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(1, C), X);
    tg_set_requires_grad(x, true);
    tg_tensor *l = tg_input(g, TG_I64, TG_SHAPE(1), (int64_t[]){1});
    tg_tensor *w = tg_input(g, TG_F64, TG_SHAPE(C), W);
    double eps = 0.2;
    tg_tensor *f = tg_cross_entropy_ex(x, l, w, -100, eps, TG_REDUCTION_SUM);
    tg_tensor *e0 = tg_input(g, TG_F64, TG_SHAPE(1, C), (double[]){1, 0, 0});
    TT_CHECK(tg_hvp(g, f, &x, 1, &e0, false, &hv) == TG_OK);
    LD m = X[0], s = 0, p[C];
    for (int c = 0; c < C; c++) m = fmaxl(m, X[c]);
    for (int c = 0; c < C; c++) s += expl(X[c] - m);
    for (int c = 0; c < C; c++) p[c] = expl(X[c] - m) / s;
    LD k = (1 - eps) * W[1] + eps * (W[0] + W[1] + W[2]) / C;
    for (int c = 0; c < C; c++)
        TT_NEAR(tg_get(hv, c), k * ((c == 0) * p[0] - p[0] * p[c]), 1e-14);
    TT_CHECK(tg_graph_error(g) == NULL);
    tg_graph_free(g);
}

/* Empty and 0-d: the mean of nothing is NaN, the sum 0, none keeps the
 * empty shape; a 0-d pair gives a 0-d loss. */
static void empty_scalar(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *e = tg_input(g, TG_F64, TG_SHAPE(0, 3), NULL);
    tg_tensor *f = tg_input(g, TG_F64, TG_SHAPE(3), (double[]){1, 2, 3});
    TT_CHECK(isnan(tg_item(tg_l1_loss(e, f, TG_REDUCTION_MEAN))));
    TT_CHECK(tg_item(tg_huber_loss(e, f, 1, TG_REDUCTION_SUM)) == 0);
    tg_tensor *n = tg_smooth_l1_loss(e, f, 1, TG_REDUCTION_NONE);
    TT_CHECK(n->ndim == 2 && n->shape[0] == 0 && n->shape[1] == 3);
    tg_tensor *x0 = tg_input(g, TG_F64, TG_SHAPE(0, 4), NULL);
    tg_tensor *l0 = tg_input(g, TG_I64, TG_SHAPE(0), NULL);
    TT_CHECK(tg_item(tg_cross_entropy_ex(x0, l0, NULL, -100, 0.1, TG_REDUCTION_SUM)) == 0);
    TT_CHECK(tg_cross_entropy_ex(x0, l0, NULL, -100, 0, TG_REDUCTION_NONE)->shape[0] == 0);
    tg_tensor *s1 = tg_scalar(g, TG_F64, 2), *s2 = tg_scalar(g, TG_F64, -1);
    tg_tensor *y = tg_l1_loss(s1, s2, TG_REDUCTION_NONE);
    TT_CHECK(y->ndim == 0 && tg_item(y) == 3);
    TT_NEAR(tg_item(tg_huber_loss(s1, s2, 2, TG_REDUCTION_MEAN)), 4, 0);
    TT_CHECK(tg_graph_error(g) == NULL);
    tg_graph_free(g);
}

static void errors(void)
{
    struct {
        int which;
        const char *want;
    } cases[] = {
        {0, "tg_l1_loss: reduction 5 is not none (0), mean (1) or sum (2); "
            "hint: reduction=mean in an expression, TG_REDUCTION_MEAN in C"},
        {1, "tg_huber_loss: delta must be > 0 (got 0); hint: PyTorch's default is 1"},
        {2, "tg_smooth_l1_loss: beta must be >= 0 (got -1); hint: beta = 0 is "
            "l1_loss, PyTorch's default is 1"},
        {3, "tg_l1_loss: shapes [2,3] (input 1) and [2] (input 2) do not "
            "broadcast; hint: the losses are elementwise, give the inputs one shape"},
        {4, "tg_binary_cross_entropy: input[1] = 1.5 is not a probability; hint: "
            "inputs lie in [0, 1] (apply sigmoid, or use bce_with_logits on logits)"},
        {5, "tg_cross_entropy: label_smoothing 1.5 is outside [0, 1]; hint: 0.1 "
            "is usual, 0 turns it off"},
        {6, "tg_cross_entropy: weight [2] does not match logits [2,3]; hint: one "
            "weight per class, [C] = [3]"},
        {7, "tg_nll: labels[1] = 3 is out of range for 3 classes; hint: it must "
            "lie in [0, 3)"},
        {8, "tg_cross_entropy: probability targets [2,4] do not match logits "
            "[2,3]; hint: targets are [N] class indices or [N, C] probabilities"},
        {9, "tg_cross_entropy: labels[0] = 9 is out of range for 3 classes; "
            "hint: it must lie in [0, 3)"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        tg_graph *g = tg_graph_new();
        tg_tensor *a = tg_input(g, TG_F64, TG_SHAPE(2, 3), (double[]){.1, .2, .3, .4, .5, .6});
        tg_tensor *b = tg_input(g, TG_F64, TG_SHAPE(2, 3), NULL);
        tg_tensor *l = tg_input(g, TG_I64, TG_SHAPE(2), (int64_t[]){9, 1});
        tg_tensor *r = NULL;
        switch (cases[k].which) {
        case 0: r = tg_l1_loss(a, b, (tg_reduction)5); break;
        case 1: r = tg_huber_loss(a, b, 0, TG_REDUCTION_MEAN); break;
        case 2: r = tg_smooth_l1_loss(a, b, -1, TG_REDUCTION_MEAN); break;
        case 3: r = tg_l1_loss(a, tg_input(g, TG_F64, TG_SHAPE(2), NULL), TG_REDUCTION_MEAN); break;
        case 4:
            r = tg_binary_cross_entropy(tg_input(g, TG_F64, TG_SHAPE(2), (double[]){0.5, 1.5}),
                                        tg_input(g, TG_F64, TG_SHAPE(2), NULL), NULL,
                                        TG_REDUCTION_MEAN);
            break;
        case 5: r = tg_cross_entropy_ex(a, l, NULL, 9, 1.5, TG_REDUCTION_MEAN); break;
        case 6:
            r = tg_cross_entropy_ex(a, l, tg_input(g, TG_F64, TG_SHAPE(2), NULL), 9, 0,
                                    TG_REDUCTION_MEAN);
            break;
        case 7:
            r = tg_nll_ex(a, tg_input(g, TG_I64, TG_SHAPE(2), (int64_t[]){-1, 3}), NULL, -1,
                          TG_REDUCTION_SUM);
            break;
        case 8:
            r = tg_cross_entropy_ex(a, tg_input(g, TG_F64, TG_SHAPE(2, 4), NULL), NULL, -100,
                                    0, TG_REDUCTION_MEAN);
            break;
        case 9: r = tg_cross_entropy_ex(a, l, NULL, -100, 0.1, TG_REDUCTION_MEAN); break;
        }
        TT_STREQ(tg_graph_error(g), cases[k].want);
        TT_CHECK(r != NULL);
        tg_graph_free(g);
    }
    TT_CHECK(tg_cross_entropy_ex(NULL, NULL, NULL, -100, 0, TG_REDUCTION_MEAN) == NULL);
}

/* ------------------------------------- embedding and triplet losses */

enum { EN = 4, ED = 3 };
static const double E1[EN * ED] = {0.3, -1.2, 2.0, 1.5, 0.1, -0.4,
                                   -2.0, 0.7, 0.25, 0.0, 0.0, 0.0};
static const double E2[EN * ED] = {0.5, 0.9, -1.1, 1.4, 0.2, -0.3,
                                   1.0, -0.6, 0.8, 0.7, -0.2, 0.1};
static const double E3[EN * ED] = {-0.2, 0.4, 1.3, 0.6, -1.5, 0.9,
                                   -1.9, 0.5, 0.3, 0.2, 0.2, -0.1};
static const double EY[EN] = {1, -1, -1, 1};

/* The loss per row in long double, PyTorch's formulas (ops_loss.h). */
static LD ref_cos(int i, LD margin, LD y)
{
    LD d = 0, m1 = 1e-12L, m2 = 1e-12L;
    for (int k = 0; k < ED; k++) {
        d += (LD)E1[i * ED + k] * E2[i * ED + k];
        m1 += (LD)E1[i * ED + k] * E1[i * ED + k];
        m2 += (LD)E2[i * ED + k] * E2[i * ED + k];
    }
    LD c = d / sqrtl(m1 * m2);
    return y == 1 ? 1 - c : y == -1 ? (c - margin > 0 ? c - margin : 0) : 0;
}
static LD ref_dist(const double *u, const double *v, int i, LD p, LD eps)
{
    LD s = 0;
    for (int k = 0; k < ED; k++)
        s += powl(fabsl((LD)u[i * ED + k] - v[i * ED + k] + eps), p);
    return powl(s, 1 / p);
}
static LD ref_triplet(int i, LD margin, LD p, LD eps, bool swap)
{
    LD dap = ref_dist(E1, E2, i, p, eps), dan = ref_dist(E1, E3, i, p, eps);
    if (swap) {
        LD dpn = ref_dist(E2, E3, i, p, eps);
        if (dpn < dan) dan = dpn;
    }
    LD r = dap - dan + margin;
    return r > 0 ? r : 0;
}

static void embedding_losses(void)
{
    for (int dt = 0; dt < 2; dt++) {
        tg_dtype T = dt ? TG_F32 : TG_F64;
        double tol = dt ? 2e-6 : 1e-15;
        tg_graph *g = tg_graph_new();
        tg_tensor *x1 = tt_in(g, TG_SHAPE(EN, ED), E1, T, true);
        tg_tensor *x2 = tt_in(g, TG_SHAPE(EN, ED), E2, T, true);
        tg_tensor *x3 = tt_in(g, TG_SHAPE(EN, ED), E3, T, true);
        tg_tensor *y = tt_in(g, TG_SHAPE(EN), EY, T, false);
        tg_tensor *yi = tg_input(g, TG_I64, TG_SHAPE(EN), (int64_t[]){1, -1, -1, 1});
        /* cosine: margins 0 and 0.2, none/sum/mean; the zero row of x1
         * gives c = 0 through the 1e-12, as PyTorch */
        for (int mi = 0; mi < 2; mi++) {
            double mg = mi ? 0.2 : 0;
            tg_tensor *r = tg_cosine_embedding_loss(x1, x2, mi ? yi : y, mg,
                                                    TG_REDUCTION_NONE);
            TT_CHECK(r->ndim == 1 && r->shape[0] == EN);
            LD sum = 0;
            for (int i = 0; i < EN; i++) {
                LD want = ref_cos(i, mg, EY[i]);
                sum += want;
                TT_NEAR(tg_get(r, i), (double)want, tol);
            }
            TT_NEAR(tg_item(tg_cosine_embedding_loss(x1, x2, y, mg, TG_REDUCTION_SUM)),
                    (double)sum, tol * 4);
            TT_NEAR(tg_item(tg_cosine_embedding_loss(x1, x2, y, mg, TG_REDUCTION_MEAN)),
                    (double)(sum / EN), tol * 4);
        }
        /* hinge: y = 1 gives x, y = -1 max(0, margin - x), a label 0 both */
        tg_tensor *hy = tt_in(g, TG_SHAPE(ED), (double[]){1, -1, 0}, T, false);
        tg_tensor *h = tg_hinge_embedding_loss(x1, hy, 0.5, TG_REDUCTION_NONE);
        TT_CHECK(h->ndim == 2 && h->shape[0] == EN && h->shape[1] == ED);
        LD hs = 0;
        for (int i = 0; i < EN * ED; i++) {
            LD x = (LD)(dt ? (double)(float)E1[i] : E1[i]);
            int lab = i % ED == 0 ? 1 : i % ED == 1 ? -1 : 0;
            LD hinge = 0.5L - x > 0 ? 0.5L - x : 0;
            LD want = lab == 1 ? x : lab == -1 ? hinge : x + hinge;
            hs += want;
            TT_NEAR(tg_get(h, i), (double)want, tol);
        }
        TT_NEAR(tg_item(tg_hinge_embedding_loss(x1, hy, 0.5, TG_REDUCTION_MEAN)),
                (double)(hs / (EN * ED)), tol * 4);
        /* triplet: p = 2 and p = 1.5, swap, margins */
        static const struct { double m, p; bool swap; } tc[] = {
            {1, 2, false}, {0.3, 1.5, true}, {2, 2, true}};
        for (size_t c = 0; c < sizeof tc / sizeof tc[0]; c++) {
            tg_tensor *r = tg_triplet_margin_loss(x1, x2, x3, tc[c].m, tc[c].p, 1e-6,
                                                  tc[c].swap, TG_REDUCTION_NONE);
            LD sum = 0;
            for (int i = 0; i < EN; i++) {
                LD want = ref_triplet(i, tc[c].m, tc[c].p, 1e-6L, tc[c].swap);
                sum += want;
                TT_NEAR(tg_get(r, i), (double)want, dt ? 1e-5 : 1e-14);
            }
            TT_NEAR(tg_item(tg_triplet_margin_loss(x1, x2, x3, tc[c].m, tc[c].p, 1e-6,
                                                   tc[c].swap, TG_REDUCTION_SUM)),
                    (double)sum, dt ? 4e-5 : 1e-14);
        }
        /* gradients flow to the inputs, not to the labels */
        TT_CHECK(tg_backward(g, tg_cosine_embedding_loss(x1, x2, y, 0,
                                                         TG_REDUCTION_MEAN)) == TG_OK);
        TT_CHECK(x1->grad && x2->grad && !tg_requires_grad(y));
        TT_CHECK(tg_graph_error(g) == NULL);
        tg_graph_free(g);
    }
    /* f64 gradient checks by central differences (x1 without E1's zero
     * row, where the cosine's 1e-12 makes the slope 1e6; no sample within
     * 0.05 of a hinge) */
    tg_graph *g = tg_graph_new();
    /* parameters: they outlive the resets between evaluations */
    tg_tensor *x1 = tg_param(g, TG_F64, TG_SHAPE(EN, ED), "x1");
    tg_tensor *x2 = tg_param(g, TG_F64, TG_SHAPE(EN, ED), "x2");
    tg_tensor *x3 = tg_param(g, TG_F64, TG_SHAPE(EN, ED), "x3");
    tg_tensor *y = tg_param(g, TG_F64, TG_SHAPE(EN), "y");
    tg_set_requires_grad(y, false);
    memcpy(tg_f64(x1), E3, sizeof E3);
    memcpy(tg_f64(x2), E2, sizeof E2);
    memcpy(tg_f64(x3), E1, sizeof E1);
    memcpy(tg_f64(y), EY, sizeof EY);
    for (int which = 0; which < 3; which++) {
        LD h = 1e-6L;
        for (int t = 0; t < 2; t++) {
            tg_tensor *v = t ? x2 : x1;
            for (int i = 0; i < EN * ED; i++) {
                tg_graph_reset(g);
                tg_tensor_zero_grad(v);
                tg_tensor *l = which == 0 ? tg_cosine_embedding_loss(x1, x2, y, -0.3, TG_REDUCTION_SUM)
                             : which == 1 ? tg_hinge_embedding_loss(x1, x2, 0.45, TG_REDUCTION_SUM)
                                          : tg_triplet_margin_loss(x1, x2, x3, 1.5, 2, 1e-6, true,
                                                                   TG_REDUCTION_SUM);
                if (which == 1 && t == 1) break; /* the labels: no gradient */
                TT_CHECK(tg_backward(g, l) == TG_OK);
                double an = tg_get(v->grad, i), x0 = tg_f64(v)[i], f[2];
                for (int s2 = 0; s2 < 2; s2++) {
                    tg_f64(v)[i] = x0 + (s2 ? -1 : 1) * (double)h;
                    tg_graph_reset(g);
                    f[s2] = tg_item(which == 0 ? tg_cosine_embedding_loss(x1, x2, y, -0.3, TG_REDUCTION_SUM)
                                    : which == 1 ? tg_hinge_embedding_loss(x1, x2, 0.45, TG_REDUCTION_SUM)
                                                 : tg_triplet_margin_loss(x1, x2, x3, 1.5, 2, 1e-6, true,
                                                                          TG_REDUCTION_SUM));
                }
                tg_f64(v)[i] = x0;
                TT_NEAR(an, (f[0] - f[1]) / (2 * (double)h), 1e-7);
            }
        }
    }
    tg_graph_free(g);

    /* empty batches and 0-d labels */
    g = tg_graph_new();
    tg_tensor *e = tg_input(g, TG_F64, TG_SHAPE(0, 3), NULL);
    tg_tensor *ey = tg_input(g, TG_F64, TG_SHAPE(0), NULL);
    TT_CHECK(isnan(tg_item(tg_cosine_embedding_loss(e, e, ey, 0, TG_REDUCTION_MEAN))));
    TT_CHECK(tg_item(tg_triplet_margin_loss(e, e, e, 1, 2, 1e-6, false, TG_REDUCTION_SUM)) == 0);
    TT_CHECK(tg_hinge_embedding_loss(ey, ey, 1, TG_REDUCTION_NONE)->shape[0] == 0);
    tg_tensor *v1 = tg_input(g, TG_F64, TG_SHAPE(2), (double[]){1, 0});
    tg_tensor *v2 = tg_input(g, TG_F64, TG_SHAPE(2), (double[]){0, 2});
    tg_tensor *r = tg_cosine_embedding_loss(v1, v2, tg_scalar(g, TG_F64, 1), 0,
                                            TG_REDUCTION_NONE);
    TT_CHECK(r->ndim == 0 && tg_item(r) == 1); /* orthogonal: 1 - 0 */
    tg_tensor *hs = tg_hinge_embedding_loss(tg_scalar(g, TG_F64, 0.25),
                                            tg_scalar(g, TG_F64, -1), 1, TG_REDUCTION_NONE);
    TT_CHECK(hs->ndim == 0 && tg_item(hs) == 0.75);
    TT_CHECK(tg_graph_error(g) == NULL);
    tg_graph_free(g);

    /* errors name the function, the shapes or dtypes and a hint */
    static const char *want[] = {
        "tg_cosine_embedding_loss: x1 [4,3], x2 [4,3], y [3]; hint: x1 and x2 "
        "[N, D] (or [D]) of one shape, y [N] (or 0-d)",
        "tg_cosine_embedding_loss: x1 f64, x2 f64, y bool; hint: x1 and x2 of "
        "one float dtype, y f32, f64 or i64 labels (1 or -1)",
        "tg_hinge_embedding_loss: x [4,3] and y [2] do not broadcast; hint: y "
        "holds one label (1 or -1) per element of x",
        "tg_triplet_margin_loss: anchor [4,3], positive [4,3], negative [3]; "
        "hint: three [N, D] (or [D]) tensors of one shape",
        "tg_triplet_margin_loss: p = 0, eps = 1e-06; hint: p > 0 (2 is "
        "Euclidean), eps finite (PyTorch's 1e-6)",
        "tg_hinge_embedding_loss: reduction 3 is not none (0), mean (1) or sum "
        "(2); hint: reduction=mean in an expression, TG_REDUCTION_MEAN in C",
    };
    for (int k = 0; k < 6; k++) {
        g = tg_graph_new();
        tg_tensor *a = tt_in(g, TG_SHAPE(EN, ED), E1, TG_F64, true);
        tg_tensor *b3 = tt_in(g, TG_SHAPE(3), E1, TG_F64, false);
        tg_tensor *r2 = NULL;
        switch (k) {
        case 0: r2 = tg_cosine_embedding_loss(a, a, b3, 0, TG_REDUCTION_MEAN); break;
        case 1:
            r2 = tg_cosine_embedding_loss(a, a, tg_input(g, TG_BOOL, TG_SHAPE(EN), NULL), 0,
                                          TG_REDUCTION_MEAN);
            break;
        case 2:
            r2 = tg_hinge_embedding_loss(a, tt_in(g, TG_SHAPE(2), E1, TG_F64, false), 1,
                                         TG_REDUCTION_MEAN);
            break;
        case 3: r2 = tg_triplet_margin_loss(a, a, b3, 1, 2, 1e-6, false, TG_REDUCTION_MEAN); break;
        case 4: r2 = tg_triplet_margin_loss(a, a, a, 1, 0, 1e-6, false, TG_REDUCTION_MEAN); break;
        case 5: r2 = tg_hinge_embedding_loss(a, a, 1, TG_REDUCTION_BATCHMEAN); break;
        }
        TT_STREQ(tg_graph_error(g), want[k]);
        TT_CHECK(r2 != NULL);
        tg_graph_free(g);
    }
    TT_CHECK(tg_cosine_embedding_loss(NULL, NULL, NULL, 0, TG_REDUCTION_MEAN) == NULL);
    TT_CONTAINS(tg_last_error(), "tg_cosine_embedding_loss: x1 is NULL");
}


/* --------------------------- (N, C, d1, ..., dk) cross_entropy and nll */

enum { QN = 2, QC = 3, QD1 = 2, QD2 = 2, QM = QN * QD1 * QD2 };
/* x[n][c][i][j] */
static double qx(int n, int c, int i, int j)
{
    return sin(1.3 * n + 0.7 * c + 0.31 * i - 0.53 * j + 0.2) * (1 + c);
}
static const int64_t QL[QM] = {0, 2, 1, 1, 2, 0, 1, 2}; /* [n][i][j] */
static const double QW[QC] = {0.5, 2.0, 1.5};
static bool q_unweighted; /* the reference without QW (all weights 1) */
#define QWT(c) (q_unweighted ? 1.0 : QW[c])

/* The loss at each position in long double (PyTorch's definition), the
 * sum of the kept weights in *den. prob: targets t = softmax over c of
 * x scaled by 0.5 and shifted. */
static void ref_ce_nd(LD eps, int64_t ignore, bool nll_only, bool prob,
                      LD *r, LD *den)
{
    *den = 0;
    for (int n = 0; n < QN; n++)
        for (int i = 0; i < QD1; i++)
            for (int j = 0; j < QD2; j++) {
                int m = (n * QD1 + i) * QD2 + j;
                LD mx = -INFINITY, s = 0, lp[QC], t[QC], ts = 0;
                for (int c = 0; c < QC; c++) mx = fmaxl(mx, qx(n, c, i, j));
                for (int c = 0; c < QC; c++) s += expl(qx(n, c, i, j) - mx);
                for (int c = 0; c < QC; c++)
                    lp[c] = nll_only ? (LD)qx(n, c, i, j)
                                     : qx(n, c, i, j) - mx - logl(s);
                for (int c = 0; c < QC; c++) ts += t[c] = expl(0.5L * qx(n, c, j, i));
                if (prob) {
                    LD v = 0;
                    for (int c = 0; c < QC; c++)
                        v -= QWT(c) * ((1 - eps) * t[c] / ts + eps / QC) * lp[c];
                    r[m] = v;
                    continue;
                }
                int64_t l = QL[m];
                if (l == ignore) {
                    r[m] = 0;
                    continue;
                }
                LD sm = 0;
                for (int c = 0; c < QC; c++) sm -= QWT(c) * lp[c];
                r[m] = -(1 - eps) * QWT(l) * lp[l] + eps / QC * sm;
                *den += QWT(l);
            }
}

static void ce_nd(void)
{
    for (int dt = 0; dt < 2; dt++) {
        tg_dtype T = dt ? TG_F32 : TG_F64;
        double tol = dt ? 3e-6 : 1e-14;
        tg_graph *g = tg_graph_new();
        double xv[QN * QC * QD1 * QD2], tv[QN * QC * QD1 * QD2];
        for (int n = 0; n < QN; n++)
            for (int c = 0; c < QC; c++)
                for (int i = 0; i < QD1; i++)
                    for (int j = 0; j < QD2; j++) {
                        int k = ((n * QC + c) * QD1 + i) * QD2 + j;
                        xv[k] = dt ? (double)(float)qx(n, c, i, j) : qx(n, c, i, j);
                        LD ts = 0;
                        for (int c2 = 0; c2 < QC; c2++) ts += expl(0.5L * qx(n, c2, j, i));
                        tv[k] = (double)(expl(0.5L * qx(n, c, j, i)) / ts);
                    }
        tg_tensor *x = tt_in(g, TG_SHAPE(QN, QC, QD1, QD2), xv, T, true);
        tg_tensor *l = tg_input(g, TG_I64, TG_SHAPE(QN, QD1, QD2), QL);
        tg_tensor *w = tt_in(g, TG_SHAPE(QC), QW, T, false);
        tg_tensor *tp = tt_in(g, TG_SHAPE(QN, QC, QD1, QD2), tv, T, false);
        static const struct { double eps; int64_t ign; int kind; } cs[] = {
            {0, -100, 0}, {0.1, 1, 0}, {0, 2, 1}, {0.2, -100, 2}};
        for (size_t k = 0; k < sizeof cs / sizeof cs[0]; k++) {
            LD r[QM], den, sum = 0;
            ref_ce_nd(cs[k].eps, cs[k].ign, cs[k].kind == 1, cs[k].kind == 2, r, &den);
            for (int m = 0; m < QM; m++) sum += r[m];
            for (int red = 0; red < 3; red++) {
                tg_tensor *y =
                    cs[k].kind == 1 ? tg_nll_ex(x, l, w, cs[k].ign, (tg_reduction)red)
                    : cs[k].kind == 2 ? tg_cross_entropy_ex(x, tp, w, cs[k].ign, cs[k].eps,
                                                            (tg_reduction)red)
                                      : tg_cross_entropy_ex(x, l, w, cs[k].ign, cs[k].eps,
                                                            (tg_reduction)red);
                if (red == TG_REDUCTION_NONE) {
                    TT_CHECK(y->ndim == 3 && y->shape[0] == QN && y->shape[1] == QD1 &&
                             y->shape[2] == QD2);
                    for (int m = 0; m < QM && y->ndim == 3; m++)
                        TT_NEAR(tg_get(y, m), (double)r[m], tol);
                } else {
                    LD want = red == TG_REDUCTION_SUM ? sum
                              : sum / (cs[k].kind == 2 ? (LD)QM : den);
                    TT_CHECK(y->ndim == 0);
                    TT_NEAR(tg_item(y), (double)want, tol * 8);
                }
            }
        }
        /* the defaults: tg_cross_entropy and tg_nll take [N, C, d...] too */
        {
            LD r[QM], den, sum = 0;
            q_unweighted = true;
            ref_ce_nd(0, -100, false, false, r, &den);
            q_unweighted = false;
            (void)den;
            for (int m = 0; m < QM; m++) sum += r[m];
            TT_NEAR(tg_item(tg_cross_entropy(x, l)), (double)(sum / QM), tol * 8);
            TT_CHECK(tg_backward(g, tg_cross_entropy(x, l)) == TG_OK);
            TT_CHECK(x->grad && x->grad->ndim == 4);
        }
        /* one sample: x [C], a 0-d label */
        tg_tensor *x1 = tt_in(g, TG_SHAPE(QC), (double[]){0.2, -1, 0.7}, T, false);
        tg_tensor *l1 = tg_input(g, TG_I64, 0, NULL, (int64_t[]){2});
        LD lse = logl(expl(0.2L) + expl(-1.0L) + expl(0.7L));
        tg_tensor *y1 = tg_cross_entropy_ex(x1, l1, NULL, -100, 0, TG_REDUCTION_NONE);
        TT_CHECK(y1->ndim == 0);
        TT_NEAR(tg_item(y1), (double)(lse - (LD)(dt ? (double)0.7f : 0.7)), tol);
        TT_NEAR(tg_item(tg_nll_ex(x1, l1, NULL, -100, TG_REDUCTION_SUM)),
                dt ? -(double)0.7f : -0.7, tol);
        /* empty: N = 0, and an extent 0 among the d's */
        tg_tensor *e = tg_input(g, T, TG_SHAPE(2, QC, 0), NULL);
        tg_tensor *el = tg_input(g, TG_I64, TG_SHAPE(2, 0), NULL);
        TT_CHECK(tg_cross_entropy_ex(e, el, NULL, -100, 0, TG_REDUCTION_NONE)->shape[1] == 0);
        TT_CHECK(tg_item(tg_nll_ex(e, el, NULL, -100, TG_REDUCTION_SUM)) == 0);
        TT_CHECK(isnan(tg_item(tg_cross_entropy(e, el))));
        TT_CHECK(tg_graph_error(g) == NULL);
        tg_graph_free(g);
    }
    /* errors name the shapes */
    static const char *want[] = {
        "tg_cross_entropy: labels [2,2] do not match logits [2,3,2,2]; hint: "
        "logits [N, C, d1, ..., dk] takes [N, d1, ..., dk] class indices or "
        "probabilities of its own shape; [C] takes a 0-d index",
        "tg_nll: labels [2,2,3] do not match logp [2,3,2,2]; hint: logp [N, C, "
        "d1, ..., dk] takes [N, d1, ..., dk] class indices or probabilities "
        "of its own shape; [C] takes a 0-d index",
        "tg_cross_entropy: probability targets [2,3,2,1] do not match logits "
        "[2,3,2,2]; hint: logits [N, C, d1, ..., dk] takes [N, d1, ..., dk] "
        "class indices or probabilities of its own shape; [C] takes a 0-d index",
    };
    /* empty logits whose positions N d1 do not fit in 64 bits (the count
     * was a signed overflow under UBSan) */
    {
        tg_graph *g = tg_graph_new();
        int64_t H = INT64_C(1) << 40;
        tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(H, 0, H), NULL);
        tg_cross_entropy_ex(x, x, NULL, -100, 0, TG_REDUCTION_NONE);
        TT_STREQ(tg_graph_error(g),
                 "tg_cross_entropy: the positions of logits [1099511627776,0,"
                 "1099511627776] are too many to count; hint: N d1 ... dk "
                 "must fit in 64 bits");
        tg_graph_free(g);
    }
    for (int k = 0; k < 3; k++) {
        tg_graph *g = tg_graph_new();
        tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(2, 3, 2, 2), NULL);
        switch (k) {
        case 0: tg_cross_entropy(x, tg_input(g, TG_I64, TG_SHAPE(2, 2), NULL)); break;
        case 1:
            tg_nll_ex(x, tg_input(g, TG_I64, TG_SHAPE(2, 2, 3), NULL), NULL, -100,
                      TG_REDUCTION_MEAN);
            break;
        case 2:
            tg_cross_entropy_ex(x, tg_input(g, TG_F64, TG_SHAPE(2, 3, 2, 1), NULL), NULL,
                                -100, 0, TG_REDUCTION_MEAN);
            break;
        }
        TT_STREQ(tg_graph_error(g), want[k]);
        tg_graph_free(g);
    }
}

TT_RUN(TT(ce_values), TT(nll_values), TT(ce_probabilities), TT(pointwise_values),
       TT(pointwise_options), TT(second_order), TT(empty_scalar), TT(errors),
       TT(embedding_losses), TT(ce_nd))
