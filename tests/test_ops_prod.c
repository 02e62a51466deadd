/* prod, prod_others, cumprod, logcumsumexp (values and gradients, with
 * zeros in the input), glu, lerp, cosine_similarity, normalize: against
 * long-double loops and hand-derived values in f64 and f32, second order
 * at zeros, empty and 0-d inputs, errors. Central differences (to second
 * order) are the ops' cases in `tapegrad check --all-ops`. */
#include <math.h>
#include <tapegrad/tapegrad.h>

#include "tt.h"
#include "tt_tensor.h"

typedef long double LD;

/* one line with zeros, and one without */
enum { L = 5 };
static const double X[2][L] = {{0.5, 0, 2, -1.5, 0}, {1.2, -0.7, 2, 0.9, -1.1}};
static const double G[L] = {1, -2, 0.5, 3, 1.5};

static void prod_cumprod(void)
{
    for (int line = 0; line < 2; line++)
        for (int dt = 0; dt < 2; dt++) {
            tg_dtype T = dt ? TG_F32 : TG_F64;
            double tol = dt ? 3e-6 : 1e-14;
            const double *x = X[line];
            tg_graph *g = tg_graph_new();
            tg_tensor *t = tt_in(g, TG_SHAPE(L), x, T, true);
            /* prod: value and gradient prod_{i != k} x_i */
            LD p = 1;
            for (int i = 0; i < L; i++) p *= x[i];
            tg_tensor *y = tg_prod(t, NULL, false);
            TT_NEAR(tg_item(y), p, tol);
            TT_CHECK(tg_backward(g, y) == TG_OK);
            for (int k = 0; k < L; k++) {
                LD o = 1;
                for (int i = 0; i < L; i++)
                    if (i != k) o *= x[i];
                TT_NEAR(tg_get(t->grad, k), o, tol);
            }
            /* cumprod with weights g: dx_i = sum_{j >= i} g_j prod_{l <= j,
             * l != i} x_l */
            tg_tensor_zero_grad(t);
            tg_tensor *w = tt_in(g, TG_SHAPE(L), G, T, false);
            tg_tensor *c = tg_cumprod(t, 0);
            LD run = 1;
            for (int j = 0; j < L; j++) {
                run *= x[j];
                TT_NEAR(tg_get(c, j), run, tol);
            }
            TT_CHECK(tg_backward(g, tg_sum_all(tg_mul(w, c))) == TG_OK);
            for (int i = 0; i < L; i++) {
                LD s = 0;
                for (int j = i; j < L; j++) {
                    LD q = 1;
                    for (int l = 0; l <= j; l++)
                        if (l != i) q *= x[l];
                    s += G[j] * q;
                }
                TT_NEAR(tg_get(t->grad, i), s, tol);
            }
            TT_CHECK(tg_graph_error(g) == NULL);
            tg_graph_free(g);
        }
    /* along an axis, keepdim; 2 x 3 */
    tg_graph *g = tg_graph_new();
    tg_tensor *m = tt_in(g, TG_SHAPE(2, 3), (double[]){1, 2, 3, 0, 5, 6}, TG_F64, true);
    int ax = 1;
    tg_tensor *p = tg_prod(m, &ax, true);
    TT_CHECK(p->ndim == 2 && p->shape[1] == 1);
    TT_NEAR(tg_get(p, 0), 6, 0);
    TT_NEAR(tg_get(p, 1), 0, 0);
    TT_CHECK(tg_backward(g, tg_sum_all(p)) == TG_OK);
    static const double gm[6] = {6, 3, 2, 30, 0, 0};
    for (int i = 0; i < 6; i++) TT_NEAR(tg_get(m->grad, i), gm[i], 0);
    /* cumprod along dim 0 of [2,3] */
    tg_tensor *c0 = tg_cumprod(m, 0);
    static const double wc[6] = {1, 2, 3, 0, 10, 18};
    for (int i = 0; i < 6; i++) TT_NEAR(tg_get(c0, i), wc[i], 0);
    /* empty and 0-d */
    tg_tensor *e = tg_input(g, TG_F64, TG_SHAPE(0, 3), NULL);
    TT_NEAR(tg_item(tg_prod(e, NULL, false)), 1, 0);
    TT_CHECK(tg_cumprod(e, 1)->numel == 0);
    tg_tensor *s = tg_scalar(g, TG_F64, -2.5);
    TT_NEAR(tg_item(tg_cumprod(s, 0)), -2.5, 0);
    TT_CHECK(tg_graph_error(g) == NULL);
    tg_graph_free(g);
}

/* Second order at zeros: the Hessian of prod(x) is prod_{i != k, m} x_i
 * off the diagonal, 0 on it; of sum(w cumprod(x)) likewise per prefix. */
static void second_order(void)
{
    for (int line = 0; line < 2; line++) {
        const double *x = X[line];
        tg_graph *g = tg_graph_new();
        tg_tensor *t = tt_in(g, TG_SHAPE(L), x, TG_F64, true);
        tg_tensor *w = tt_in(g, TG_SHAPE(L), G, TG_F64, false);
        tg_tensor *f[2] = {tg_prod(t, NULL, false),
                           tg_sum_all(tg_mul(w, tg_cumprod(t, 0)))};
        for (int which = 0; which < 2; which++)
            for (int m = 0; m < L; m++) {
                double e[L] = {0};
                e[m] = 1;
                tg_tensor *v = tg_input(g, TG_F64, TG_SHAPE(L), e), *hv;
                TT_CHECK(tg_hvp(g, f[which], &t, 1, &v, false, &hv) == TG_OK);
                for (int k = 0; k < L; k++) {
                    LD want = 0;
                    int lo = k > m ? k : m;
                    for (int j = which ? lo : L - 1; k != m && j < L; j++) {
                        LD q = 1;
                        for (int l = 0; l <= j; l++)
                            if (l != k && l != m) q *= x[l];
                        want += (which ? G[j] : 1) * q;
                    }
                    TT_NEAR(tg_get(hv, k), want, 1e-13);
                }
            }
        TT_CHECK(tg_graph_error(g) == NULL);
        tg_graph_free(g);
    }
}

static void logcumsumexp_values(void)
{
    static const double xs[L] = {0.3, -40, 2.5, 700, -1};
    for (int dt = 0; dt < 2; dt++) {
        tg_dtype T = dt ? TG_F32 : TG_F64;
        double tol = dt ? 3e-6 : 1e-14;
        /* f32 cannot hold e^700 ratios: a line within its range */
        double x[L];
        for (int i = 0; i < L; i++) x[i] = dt ? xs[i] / 20 : xs[i];
        tg_graph *g = tg_graph_new();
        tg_tensor *t = tt_in(g, TG_SHAPE(1, L), x, T, true);
        tg_tensor *w = tt_in(g, TG_SHAPE(1, L), G, T, false);
        tg_tensor *y = tg_logcumsumexp(t, 1);
        LD yv[L];
        for (int j = 0; j < L; j++) {
            LD m = -INFINITY, s = 0;
            for (int i = 0; i <= j; i++) m = fmaxl(m, x[i]);
            for (int i = 0; i <= j; i++) s += expl(x[i] - m);
            yv[j] = m + logl(s);
            TT_NEAR(tg_get(y, j), yv[j], tol);
        }
        TT_CHECK(tg_backward(g, tg_sum_all(tg_mul(w, y))) == TG_OK);
        for (int i = 0; i < L; i++) {
            LD s = 0;
            for (int j = i; j < L; j++) s += G[j] * expl(x[i] - yv[j]);
            TT_NEAR(tg_get(t->grad, i), s, tol);
        }
        TT_CHECK(tg_graph_error(g) == NULL);
        tg_graph_free(g);
    }
}

static void glu_lerp_cos_norm(void)
{
    for (int dt = 0; dt < 2; dt++) {
        tg_dtype T = dt ? TG_F32 : TG_F64;
        double tol = dt ? 3e-7 : 1e-15;
        tg_graph *g = tg_graph_new();
        static const double xv[8] = {1, -2, 0.5, 3, 0.2, -1, 4, 0};
        tg_tensor *x = tt_in(g, TG_SHAPE(2, 4), xv, T, true);
        tg_tensor *y = tg_glu(x, -1); /* [2, 2]: a = cols 0-1, b = cols 2-3 */
        TT_CHECK(y->ndim == 2 && y->shape[1] == 2);
        for (int r = 0; r < 2; r++)
            for (int k = 0; k < 2; k++) {
                LD a = xv[r * 4 + k], b = xv[r * 4 + 2 + k];
                TT_NEAR(tg_get(y, r * 2 + k), a / (1 + expl(-b)), tol);
            }
        TT_CHECK(tg_backward(g, tg_sum_all(y)) == TG_OK);
        for (int r = 0; r < 2; r++)
            for (int k = 0; k < 2; k++) {
                LD a = xv[r * 4 + k], b = xv[r * 4 + 2 + k], s = 1 / (1 + expl(-b));
                TT_NEAR(tg_get(x->grad, r * 4 + k), s, tol);
                TT_NEAR(tg_get(x->grad, r * 4 + 2 + k), a * s * (1 - s), tol);
            }
        /* lerp broadcasting a [2,4], b [4], w [2,1] */
        tg_tensor *b = tt_in(g, TG_SHAPE(4), (double[]){1, 1, 2, 2}, T, false);
        tg_tensor *wt = tt_in(g, TG_SHAPE(2, 1), (double[]){0.25, 1}, T, false);
        tg_tensor *l = tg_lerp(x, b, wt);
        for (int i = 0; i < 8; i++) {
            LD a = xv[i], bb = (i % 4) < 2 ? 1 : 2, w = i < 4 ? 0.25 : 1;
            TT_NEAR(tg_get(l, i), a + w * (bb - a), tol);
        }
        TT_NEAR(tg_get(tg_lerp_scalar(x, b, 0.5), 3), 2.5, tol);
        /* cosine similarity of rows; a zero row gives 0, not NaN */
        tg_tensor *u = tt_in(g, TG_SHAPE(2, 2), (double[]){3, 4, 0, 0}, T, false);
        tg_tensor *v = tt_in(g, TG_SHAPE(2, 2), (double[]){4, 3, 1, 1}, T, false);
        tg_tensor *cs = tg_cosine_similarity(u, v, 1, 1e-8);
        TT_NEAR(tg_get(cs, 0), 24.0 / 25, tol);
        TT_NEAR(tg_get(cs, 1), 0, 0);
        tg_tensor *nr = tg_normalize(u, 2, 1, 1e-12);
        TT_NEAR(tg_get(nr, 0), 0.6, tol);
        TT_NEAR(tg_get(nr, 1), 0.8, tol);
        TT_NEAR(tg_get(nr, 2), 0, 0);
        TT_NEAR(tg_get(tg_normalize(u, 1, 1, 1e-12), 1), 4.0 / 7, tol);
        TT_CHECK(tg_graph_error(g) == NULL);
        tg_graph_free(g);
    }
    /* normalize's gradient: (I - n n^T) g / |x| for p = 2 */
    tg_graph *g = tg_graph_new();
    tg_tensor *x = tt_in(g, TG_SHAPE(1, 2), (double[]){3, 4}, TG_F64, true);
    tg_tensor *w = tt_in(g, TG_SHAPE(1, 2), (double[]){1, 0}, TG_F64, false);
    TT_CHECK(tg_backward(g, tg_sum_all(tg_mul(w, tg_normalize(x, 2, 1, 1e-12)))) == TG_OK);
    TT_NEAR(tg_get(x->grad, 0), (1 - 0.36) / 5, 1e-15);
    TT_NEAR(tg_get(x->grad, 1), -0.48 / 5, 1e-15);
    TT_CHECK(tg_graph_error(g) == NULL);
    tg_graph_free(g);
}

static void errors(void)
{
    static const char *want[] = {
        "tg_glu: dim 1 of x [2,3] has odd size 3; hint: glu splits it into two "
        "equal halves",
        "tg_cumprod: axis 2 out of range for shape [2,3]",
        "tg_normalize: eps -1; hint: eps >= 0 (PyTorch's default 1e-12)",
    };
    for (int k = 0; k < 3; k++) {
        tg_graph *g = tg_graph_new();
        tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(2, 3), NULL);
        if (k == 0) tg_glu(x, 1);
        if (k == 1) tg_cumprod(x, 2);
        if (k == 2) tg_normalize(x, 2, 1, -1);
        TT_CONTAINS(tg_graph_error(g), want[k]);
        tg_graph_free(g);
    }
    TT_CHECK(tg_lerp(NULL, NULL, NULL) == NULL);
    TT_CHECK(tg_activation("glu") != NULL);
}

TT_RUN(TT(prod_cumprod), TT(second_order), TT(logcumsumexp_values), TT(glu_lerp_cos_norm),
       TT(errors))
