/* The second set of elementwise math and the activations of
 * ops/act_more.c: values against long-double libm and hand-derived tables
 * (f32 and f64), gradients against hand-derived derivatives and PyTorch's
 * conventions at the kinks, broadcasting, empty and 0-d tensors, errors.
 * Central-difference gradient checks (first and second order) are the
 * ops' cases in `tapegrad check --all-ops` (tests/test_gradcheck.c). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <tapegrad/tapegrad.h>

#include "tt.h"

enum { NX = 14 };
/* inputs in the domain of every unary op below (acosh: x >= 1 is taken
 * from 1 + |x|; asin, acos, atanh: x / 4) */
static const double xs[NX] = {-3.25, -2.0, -1.0, -0.75, -0.5, -1e-3, 0.0,
                              1e-7,  0.25, 0.5,  1.0,   1.5,  2.5,  3.75};

typedef struct ucase {
    const char *name;
    tg_tensor *(*op)(tg_tensor *);
    long double (*ref)(long double);
    long double (*dref)(long double); /* derivative */
    double scale, shift;             /* the op sees x * scale + shift */
    double ulp32, rel64;
} ucase;

static long double d_tan(long double x) { long double t = tanl(x); return 1 + t * t; }
static long double d_asin(long double x) { return 1 / sqrtl(1 - x * x); }
static long double d_acos(long double x) { return -1 / sqrtl(1 - x * x); }
static long double d_atan(long double x) { return 1 / (1 + x * x); }
static long double d_asinh(long double x) { return 1 / sqrtl(x * x + 1); }
static long double d_acosh(long double x) { return 1 / sqrtl(x * x - 1); }
static long double d_atanh(long double x) { return 1 / (1 - x * x); }
static long double d_log2(long double x) { return 1 / (x * logl(2.0L)); }
static long double d_log10(long double x) { return 1 / (x * logl(10.0L)); }
static long double d_exp2(long double x) { return exp2l(x) * logl(2.0L); }
static long double zero(long double x) { (void)x; return 0; }
static long double one(long double x) { (void)x; return 1; }
static long double r_frac(long double x) { return x - truncl(x); }
static long double r_sign(long double x) { return x > 0 ? 1 : x < 0 ? -1 : x; }
static long double r_round(long double x) { return rintl(x); }

static const ucase ucases[] = {
    {"tan", tg_tan, tanl, d_tan, 0.4, 0, 2, 4e-16},
    {"asin", tg_asin, asinl, d_asin, 0.25, 0, 2, 4e-16},
    {"acos", tg_acos, acosl, d_acos, 0.25, 0, 2, 4e-16},
    {"atan", tg_atan, atanl, d_atan, 1, 0, 2, 4e-16},
    {"sinh", tg_sinh, sinhl, coshl, 1, 0, 2, 4e-16},
    {"cosh", tg_cosh, coshl, sinhl, 1, 0, 2, 4e-16},
    {"asinh", tg_asinh, asinhl, d_asinh, 1, 0, 2, 4e-16},
    {"acosh", tg_acosh, acoshl, d_acosh, 1, 4.5, 2, 4e-16},
    {"atanh", tg_atanh, atanhl, d_atanh, 0.25, 0, 2, 4e-16},
    {"log2", tg_log2, log2l, d_log2, 1, 4, 2, 4e-16},
    {"log10", tg_log10, log10l, d_log10, 1, 4, 2, 4e-16},
    {"exp2", tg_exp2, exp2l, d_exp2, 1, 0, 2, 4e-16},
    {"floor", tg_floor, floorl, zero, 1, 0, 0, 0},
    {"ceil", tg_ceil, ceill, zero, 1, 0, 0, 0},
    {"round", tg_round, r_round, zero, 1, 0, 0, 0},
    {"trunc", tg_trunc, truncl, zero, 1, 0, 0, 0},
    {"sign", tg_sign, r_sign, zero, 1, 0, 0, 0},
    {"frac", tg_frac, r_frac, one, 1, 0, 0, 0},
};
enum { NU = (int)(sizeof ucases / sizeof ucases[0]) };

static double ulps32(long double ref, float got)
{
    if (isnan(got) || isnan((double)ref)) return isnan(got) && isnan((double)ref) ? 0 : INFINITY;
    if ((long double)got == ref) return 0;
    int e;
    frexpl(ref, &e);
    long double ulp = ldexpl(1.0L, (e - 24 > -149 ? e - 24 : -149));
    return (double)(fabsl((long double)got - ref) / ulp);
}

/* values in f32 and f64, and the f64 gradient of sum(f(x)) */
static void unary_values(void)
{
    for (int c = 0; c < NU; c++) {
        const ucase *u = &ucases[c];
        double x64[NX];
        float x32[NX];
        for (int i = 0; i < NX; i++) {
            x64[i] = xs[i] * u->scale + u->shift;
            x32[i] = (float)x64[i];
        }
        tg_graph *g = tg_graph_new();
        tg_tensor *a = tg_input(g, TG_F64, TG_SHAPE(NX), x64);
        tg_set_requires_grad(a, true);
        tg_tensor *b = tg_input(g, TG_F32, TG_SHAPE(NX), x32);
        tg_tensor *y = u->op(a), *y32 = u->op(b);
        TT_CHECK(tg_backward(g, tg_sum_all(y)) == TG_OK);
        int bad = 0;
        for (int i = 0; i < NX; i++) {
            long double r = u->ref(x64[i]), r32 = u->ref(x32[i]);
            double got = tg_get(y, i), e64 = fabs(got - (double)r);
            if (e64 > u->rel64 * fabsl(r) && !(got == (double)r)) bad++;
            if (ulps32(r32, (float)tg_get(y32, i)) > u->ulp32) bad++;
            long double d = u->dref(x64[i]);
            if (fabs(tg_get(a->grad, i) - (double)d) > 1e-14 * (1 + fabsl(d))) bad++;
            if (bad) {
                fprintf(stderr, "%s at x = %.17g: f64 %.17g vs %.17Lg, f32 %.9g, grad %.17g vs %.17Lg\n",
                        u->name, x64[i], got, r, tg_get(y32, i), tg_get(a->grad, i), d);
                break;
            }
        }
        TT_CHECK(bad == 0);
        tg_graph_free(g);
    }
}

/* hand-derived: the conventions */
static void conventions(void)
{
    tg_graph *g = tg_graph_new();
    static const double v[] = {2.5, -2.5, 0.5, -0.5, 1.5, -0.0, 3.7, -3.7};
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(8), v);
    static const double rnd[] = {2, -2, 0, -0.0, 2, -0.0, 4, -4};
    static const double fl[] = {2, -3, 0, -1, 1, -0.0, 3, -4};
    static const double ce[] = {3, -2, 1, -0.0, 2, -0.0, 4, -3};
    static const double tr[] = {2, -2, 0, -0.0, 1, -0.0, 3, -3};
    static const double sg[] = {1, -1, 1, -1, 1, -0.0, 1, -1};
    tg_tensor *r = tg_round(x), *f = tg_floor(x), *c = tg_ceil(x),
              *t = tg_trunc(x), *s = tg_sign(x), *fr = tg_frac(x);
    for (int i = 0; i < 8; i++) {
        TT_NEAR(tg_get(r, i), rnd[i], 0); /* ties to even */
        TT_CHECK(signbit(tg_get(r, i)) == signbit(rnd[i]));
        TT_NEAR(tg_get(f, i), fl[i], 0);
        TT_NEAR(tg_get(c, i), ce[i], 0);
        TT_CHECK(signbit(tg_get(c, i)) == signbit(ce[i]));
        TT_NEAR(tg_get(t, i), tr[i], 0);
        TT_NEAR(tg_get(s, i), sg[i], 0);
        TT_CHECK(signbit(tg_get(s, i)) == signbit(sg[i]));
        TT_NEAR(tg_get(fr, i), v[i] - tr[i], 1e-15);
    }
    /* frac(inf) = NaN, sign(NaN) = NaN, floor(inf) = inf */
    double sp[] = {INFINITY, NAN};
    tg_tensor *z = tg_input(g, TG_F64, TG_SHAPE(2), sp);
    TT_CHECK(isnan(tg_get(tg_frac(z), 0)));
    TT_CHECK(isnan(tg_get(tg_sign(z), 1)));
    TT_CHECK(tg_get(tg_floor(z), 0) == INFINITY);
    /* the gradient of the rounding ops is 0 even for an infinite upstream
     * gradient (zeros, not 0 * g) */
    tg_tensor *xx = tg_input(g, TG_F64, TG_SHAPE(2), (double[]){0.5, 1.5});
    tg_set_requires_grad(xx, true);
    tg_tensor *seed = tg_input(g, TG_F64, TG_SHAPE(2), (double[]){INFINITY, 1});
    TT_CHECK(tg_backward_seed(g, tg_floor(xx), seed) == TG_OK);
    TT_NEAR(tg_get(xx->grad, 0), 0, 0);
    TT_NEAR(tg_get(xx->grad, 1), 0, 0);
    tg_graph_free(g);
}

/* binary ops: values against libm (f64 and f32), gradients by hand,
 * broadcasting [3,1] with [1,4] */
typedef struct bcase {
    const char *name;
    tg_tensor *(*op)(tg_tensor *, tg_tensor *);
    long double (*ref)(long double, long double);
    double ulp32;
} bcase;
static long double r_atan2(long double a, long double b) { return atan2l(a, b); }
static long double r_hypot(long double a, long double b) { return hypotl(a, b); }
static long double r_fmod(long double a, long double b) { return fmodl(a, b); }
static long double r_rem(long double a, long double b)
{
    long double m = fmodl(a, b);
    return m != 0 && ((m < 0) != (b < 0)) ? m + b : m;
}
static long double r_lae(long double a, long double b) { return logl(expl(a) + expl(b)); }
static const bcase bcases[] = {
    {"atan2", tg_atan2, r_atan2, 2},     {"hypot", tg_hypot, r_hypot, 1},
    {"fmod", tg_fmod, r_fmod, 0},        {"remainder", tg_remainder, r_rem, 0},
    {"logaddexp", tg_logaddexp, r_lae, 3},
};

static void binary_values(void)
{
    static const double av[3] = {-7.25, 0.5, 5.0}, bv[4] = {-2.0, 0.75, 3.0, -0.3};
    for (unsigned c = 0; c < sizeof bcases / sizeof bcases[0]; c++) {
        const bcase *k = &bcases[c];
        tg_graph *g = tg_graph_new();
        tg_tensor *a = tg_input(g, TG_F64, TG_SHAPE(3, 1), av);
        tg_tensor *b = tg_input(g, TG_F64, TG_SHAPE(1, 4), bv);
        tg_set_requires_grad(a, true);
        tg_set_requires_grad(b, true);
        tg_tensor *y = k->op(a, b);
        tg_tensor *y32 = k->op(tg_cast(a, TG_F32), tg_cast(b, TG_F32));
        TT_CHECK(y->ndim == 2 && y->shape[0] == 3 && y->shape[1] == 4);
        TT_CHECK(tg_backward(g, tg_sum_all(y)) == TG_OK);
        double ga[3] = {0}, gb[4] = {0};
        int bad = 0;
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 4; j++) {
                long double A = av[i], B = bv[j], r = k->ref(A, B);
                double got = tg_get(y, i * 4 + j);
                if (fabs(got - (double)r) > 4e-16 * fabsl(r)) bad++;
                if (ulps32(k->ref((float)A, (float)B), (float)tg_get(y32, i * 4 + j)) > k->ulp32) bad++;
                /* hand-derived partials */
                long double da, db;
                if (k->ref == r_atan2) da = B / (A * A + B * B), db = -A / (A * A + B * B);
                else if (k->ref == r_hypot) da = A / r, db = B / r;
                else if (k->ref == r_fmod) da = 1, db = -truncl(A / B);
                else if (k->ref == r_rem) da = 1, db = -floorl(A / B);
                else da = 1 / (1 + expl(B - A)), db = 1 / (1 + expl(A - B));
                ga[i] += (double)da;
                gb[j] += (double)db;
                if (bad) {
                    fprintf(stderr, "%s(%g, %g) = %.17g vs %.17Lg (f32 %.9g)\n", k->name,
                            av[i], bv[j], got, r, tg_get(y32, i * 4 + j));
                    bad = 0;
                    TT_CHECK(0);
                }
            }
        for (int i = 0; i < 3; i++) TT_NEAR(tg_get(a->grad, i), ga[i], 1e-14);
        for (int j = 0; j < 4; j++) TT_NEAR(tg_get(b->grad, j), gb[j], 1e-14);
        tg_graph_free(g);
    }
    /* specials: remainder takes b's sign, fmod a's; -0 stays; logaddexp of
     * equal infinities; hypot of an infinity and a NaN is inf */
    tg_graph *g = tg_graph_new();
    tg_tensor *a = tg_input(g, TG_F64, TG_SHAPE(4), (double[]){-3, 3, -0.0, 5});
    tg_tensor *b = tg_input(g, TG_F64, TG_SHAPE(4), (double[]){2, -2, 2, 0});
    tg_tensor *r = tg_remainder(a, b), *f = tg_fmod(a, b);
    static const double rr[] = {1, -1, -0.0}, ff[] = {-1, 1, -0.0};
    for (int i = 0; i < 3; i++) {
        TT_NEAR(tg_get(r, i), rr[i], 0);
        TT_NEAR(tg_get(f, i), ff[i], 0);
    }
    TT_CHECK(signbit(tg_get(r, 2)) && signbit(tg_get(f, 2)));
    TT_CHECK(isnan(tg_get(r, 3)) && isnan(tg_get(f, 3)));
    tg_tensor *inf = tg_input(g, TG_F64, TG_SHAPE(2), (double[]){-INFINITY, INFINITY});
    tg_tensor *l = tg_logaddexp(inf, inf);
    TT_CHECK(tg_get(l, 0) == -INFINITY && tg_get(l, 1) == INFINITY);
    tg_tensor *big = tg_input(g, TG_F64, TG_SHAPE(1), (double[]){1000});
    TT_NEAR(tg_get(tg_logaddexp(big, big), 0), 1000 + log(2.0), 1e-12);
    TT_NEAR(tg_get(tg_hypot(big, big), 0), 1000 * sqrt(2.0), 1e-12);
    tg_graph_free(g);
}

/* activations: PyTorch's values and gradients at and around the kinks
 * (the tables are derived by hand from the definitions) */
static void activations(void)
{
    static const double v[] = {-4, -3, -1, -0.25, 0, 0.25, 1, 3, 6, 7};
    enum { N = 10 };
    typedef struct {
        const char *name;
        double y[N], d[N];
    } row;
    static const row rows[] = {
        {"hardtanh", {-1, -1, -1, -0.25, 0, 0.25, 1, 1, 1, 1},
                     {0, 0, 0, 1, 1, 1, 0, 0, 0, 0}},
        {"relu6", {0, 0, 0, 0, 0, 0.25, 1, 3, 6, 6},
                  {0, 0, 0, 0, 0, 1, 1, 1, 0, 0}},
        {"hardsigmoid", {0, 0, 1.0 / 3, 2.75 / 6, 0.5, 3.25 / 6, 4.0 / 6, 1, 1, 1},
                        {0, 0, 1.0 / 6, 1.0 / 6, 1.0 / 6, 1.0 / 6, 1.0 / 6, 0, 0, 0}},
        {"hardswish", {0, 0, -1.0 / 3, -0.25 * 2.75 / 6, 0, 0.25 * 3.25 / 6, 4.0 / 6, 3, 6, 7},
                      {0, -0.5, 1.0 / 6, 0.5 - 0.25 / 3, 0.5, 0.5 + 0.25 / 3, 5.0 / 6, 1.5, 1, 1}},
        {"softsign", {-0.8, -0.75, -0.5, -0.2, 0, 0.2, 0.5, 0.75, 6.0 / 7, 0.875},
                     {1.0 / 25, 1.0 / 16, 0.25, 1 / 1.5625, 1, 1 / 1.5625, 0.25, 1.0 / 16, 1.0 / 49, 1.0 / 64}},
        {"softshrink", {-3.5, -2.5, -0.5, 0, 0, 0, 0.5, 2.5, 5.5, 6.5},
                       {1, 1, 1, 0, 0, 0, 1, 1, 1, 1}},
        {"threshold", {-9, -9, -9, -9, -9, -9, -9, 3, 6, 7},
                      {0, 0, 0, 0, 0, 0, 0, 1, 1, 1}},
    };
    for (unsigned c = 0; c < sizeof rows / sizeof rows[0]; c++) {
        for (int dt = 0; dt < 2; dt++) {
            tg_graph *g = tg_graph_new();
            float vf[N];
            for (int i = 0; i < N; i++) vf[i] = (float)v[i];
            tg_tensor *x = dt ? tg_input(g, TG_F32, TG_SHAPE(N), vf)
                              : tg_input(g, TG_F64, TG_SHAPE(N), v);
            tg_set_requires_grad(x, true);
            tg_tensor *y;
            switch (c) {
            case 0: y = tg_hardtanh(x, -1, 1); break;
            case 1: y = tg_relu6(x); break;
            case 2: y = tg_hardsigmoid(x); break;
            case 3: y = tg_hardswish(x); break;
            case 4: y = tg_softsign(x); break;
            case 5: y = tg_softshrink(x, 0.5); break;
            default: y = tg_threshold(x, 1, -9); break;
            }
            TT_CHECK(tg_backward(g, tg_sum_all(y)) == TG_OK);
            double tol = dt ? 1e-7 : 1e-15;
            for (int i = 0; i < N; i++) {
                if (fabs(tg_get(y, i) - rows[c].y[i]) > tol ||
                    fabs(tg_get(x->grad, i) - rows[c].d[i]) > tol) {
                    fprintf(stderr, "%s(%g) %s: %.17g (want %.17g), grad %.17g (want %.17g)\n",
                            rows[c].name, v[i], dt ? "f32" : "f64", tg_get(y, i), rows[c].y[i],
                            tg_get(x->grad, i), rows[c].d[i]);
                    TT_CHECK(0);
                }
            }
            tg_graph_free(g);
        }
    }
    /* mish and tanhshrink against long double, with their derivatives */
    tg_graph *g = tg_graph_new();
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(N), v);
    tg_set_requires_grad(x, true);
    tg_tensor *m = tg_mish(x), *t = tg_tanhshrink(x);
    TT_CHECK(tg_backward(g, tg_sum_all(tg_add(m, t))) == TG_OK);
    for (int i = 0; i < N; i++) {
        long double X = v[i], sp = log1pl(expl(X)), th = tanhl(sp);
        long double sg = 1 / (1 + expl(-X));
        TT_NEAR(tg_get(m, i), (double)(X * th), 1e-15 * (1 + fabsl(X)));
        TT_NEAR(tg_get(t, i), (double)(X - tanhl(X)), 1e-15);
        long double d = th + X * sg * (1 - th * th) + tanhl(X) * tanhl(X);
        TT_NEAR(tg_get(x->grad, i), (double)d, 1e-14);
    }
    /* NaN passes through every activation */
    tg_tensor *nan = tg_input(g, TG_F32, TG_SHAPE(1), (float[]){NAN});
    tg_tensor *outs[] = {tg_hardtanh(nan, -1, 1), tg_relu6(nan), tg_hardsigmoid(nan),
                         tg_hardswish(nan), tg_mish(nan), tg_softsign(nan),
                         tg_tanhshrink(nan), tg_softshrink(nan, 0.5),
                         tg_threshold(nan, 0, 1)};
    for (unsigned k = 0; k < sizeof outs / sizeof outs[0]; k++) TT_CHECK(isnan(tg_get(outs[k], 0)));
    tg_graph_free(g);
}

/* empty and 0-d tensors, and the layer builders' names */
static void shapes(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *e = tg_input(g, TG_F64, TG_SHAPE(0, 3), NULL);
    tg_tensor *s = tg_scalar(g, TG_F64, 0.5);
    for (int c = 0; c < NU; c++) {
        tg_tensor *y = ucases[c].op(e);
        TT_CHECK(y->ndim == 2 && y->numel == 0);
        tg_tensor *z = ucases[c].op(s);
        TT_CHECK(z->ndim == 0 && z->numel == 1);
    }
    tg_tensor *be = tg_atan2(e, tg_input(g, TG_F64, TG_SHAPE(3), NULL));
    TT_CHECK(be->ndim == 2 && be->shape[0] == 0 && be->shape[1] == 3);
    tg_tensor *bs = tg_hypot(s, s);
    TT_CHECK(bs->ndim == 0);
    TT_NEAR(tg_get(bs, 0), sqrt(0.5), 1e-16);
    TT_CHECK(tg_graph_error(g) == NULL);
    static const char *acts[] = {"hardtanh", "relu6", "hardsigmoid", "hardswish", "mish",
                                 "softsign", "tanhshrink", "softshrink"};
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(2), (double[]){-2, 0.75});
    for (unsigned k = 0; k < sizeof acts / sizeof acts[0]; k++) {
        tg_act_fn f = tg_activation(acts[k]);
        TT_CHECK(f != NULL);
        if (f) TT_CHECK(f(x)->numel == 2);
    }
    /* the defaults: hardtanh(-1, 1), softshrink(0.5) */
    TT_NEAR(tg_get(tg_activation("hardtanh")(x), 0), -1, 0);
    TT_NEAR(tg_get(tg_activation("softshrink")(x), 1), 0.25, 0);
    tg_graph_free(g);
}

/* std and norm against long-double sums; PyTorch's conventions at zero */
static void reductions(void)
{
    static const double v[6] = {1.5, -2.0, 0.25, 3.0, -0.5, 0.0}; /* [2,3] */
    tg_graph *g = tg_graph_new();
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(2, 3), v);
    tg_set_requires_grad(x, true);
    int64_t ax1[] = {1};
    tg_tensor *s = tg_std(x, 1, ax1, true, false);
    tg_tensor *n2 = tg_norm(x, 2, 1, ax1, false), *n1 = tg_norm(x, 1, 0, NULL, false);
    tg_tensor *ni = tg_norm(x, INFINITY, 1, ax1, true), *n0 = tg_norm(x, 0, 0, NULL, false);
    tg_tensor *n3 = tg_norm(x, 3, 1, ax1, false), *nm = tg_norm(x, -INFINITY, 0, NULL, false);
    TT_CHECK(ni->ndim == 2 && ni->shape[1] == 1);
    for (int r = 0; r < 2; r++) {
        const double *q = v + 3 * r;
        long double m = ((long double)q[0] + q[1] + q[2]) / 3, ss = 0, s2 = 0, s3 = 0, mx = 0;
        for (int j = 0; j < 3; j++) {
            ss += (q[j] - m) * (q[j] - m);
            s2 += (long double)q[j] * q[j];
            s3 += powl(fabsl(q[j]), 3);
            if (fabs(q[j]) > mx) mx = fabs(q[j]);
        }
        TT_NEAR(tg_get(s, r), (double)sqrtl(ss / 2), 1e-15);
        TT_NEAR(tg_get(n2, r), (double)sqrtl(s2), 1e-15);
        TT_NEAR(tg_get(n3, r), (double)powl(s3, 1.0L / 3), 1e-15);
        TT_NEAR(tg_get(ni, r), (double)mx, 0);
    }
    TT_NEAR(tg_get(n1, 0), 7.25, 0);
    TT_NEAR(tg_get(n0, 0), 5, 0);
    TT_NEAR(tg_get(nm, 0), 0, 0);
    /* gradient of the inf-norm: sign(x) at the max of |x| in each row; of
     * norm 2 over all: x / |x| */
    TT_CHECK(tg_backward(g, tg_sum_all(ni)) == TG_OK);
    static const double gi[6] = {0, -1, 0, 1, 0, 0};
    for (int i = 0; i < 6; i++) TT_NEAR(tg_get(x->grad, i), gi[i], 0);
    tg_graph_free(g);

    /* zero vector: norm 2 and norm 3 gradients are 0 (PyTorch), std's NaN */
    g = tg_graph_new();
    x = tg_input(g, TG_F64, TG_SHAPE(3), (double[]){0, 0, 0});
    tg_set_requires_grad(x, true);
    TT_CHECK(tg_backward(g, tg_add(tg_norm(x, 2, 0, NULL, false), tg_norm(x, 3, 0, NULL, false))) == TG_OK);
    for (int i = 0; i < 3; i++) TT_NEAR(tg_get(x->grad, i), 0, 0);
    tg_tensor *c = tg_input(g, TG_F64, TG_SHAPE(2), (double[]){2, 2});
    tg_set_requires_grad(c, true);
    TT_NEAR(tg_get(tg_std(c, 0, NULL, true, false), 0), 0, 0);
    TT_CHECK(tg_backward(g, tg_std(c, 0, NULL, true, false)) == TG_OK);
    TT_CHECK(isnan(tg_get(c->grad, 0)));
    /* ties in the inf-norm share the gradient */
    tg_tensor *t = tg_input(g, TG_F64, TG_SHAPE(3), (double[]){-2, 2, 1});
    tg_set_requires_grad(t, true);
    TT_CHECK(tg_backward(g, tg_norm(t, INFINITY, 0, NULL, false)) == TG_OK);
    TT_NEAR(tg_get(t->grad, 0), -0.5, 0);
    TT_NEAR(tg_get(t->grad, 1), 0.5, 0);
    TT_NEAR(tg_get(t->grad, 2), 0, 0);
    /* f32, empty and 0-d */
    tg_tensor *f = tg_input(g, TG_F32, TG_SHAPE(2), (float[]){3, 4});
    TT_NEAR(tg_get(tg_norm(f, 2, 0, NULL, false), 0), 5, 0);
    TT_NEAR(tg_get(tg_std(f, 0, NULL, false, false), 0), 0.5, 0);
    tg_tensor *e = tg_input(g, TG_F64, TG_SHAPE(0, 2), NULL);
    tg_tensor *ne = tg_norm(e, 2, 1, (int64_t[]){0}, false);
    TT_CHECK(ne->numel == 2 && tg_get(ne, 0) == 0);
    tg_tensor *z = tg_scalar(g, TG_F64, -3);
    TT_NEAR(tg_get(tg_norm(z, 2, 0, NULL, false), 0), 3, 0);
    TT_CHECK(tg_graph_error(g) == NULL);
    tg_norm(x, NAN, 0, NULL, false);
    TT_CONTAINS(tg_graph_error(g), "tg_norm: p must be a number or +-inf (got nan)");
    tg_graph_free(g);
    g = tg_graph_new();
    tg_std(tg_input(g, TG_F64, TG_SHAPE(2, 3), NULL), 1, (int64_t[]){2}, true, false);
    TT_CONTAINS(tg_graph_error(g), "tg_std");
    TT_CONTAINS(tg_graph_error(g), "[2,3]");
    tg_graph_free(g);
}

static void errors(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(3, 4), NULL);
    tg_atan2(x, tg_input(g, TG_F64, TG_SHAPE(2, 4), NULL));
    TT_CONTAINS(tg_graph_error(g), "tg_atan2: shapes [3,4] and [2,4] do not broadcast");
    tg_graph_free(g);

    g = tg_graph_new();
    x = tg_input(g, TG_F64, TG_SHAPE(3), NULL);
    tg_tensor *p = tg_hardtanh(x, 1, -1);
    TT_CONTAINS(tg_graph_error(g), "tg_hardtanh: min_val must be <= max_val (got min_val=1, max_val=-1)");
    TT_CHECK(tg_tan(p) == p); /* poison passes through */
    tg_graph_free(g);

    g = tg_graph_new();
    x = tg_input(g, TG_F64, TG_SHAPE(3), NULL);
    tg_softshrink(x, -0.5);
    TT_CONTAINS(tg_graph_error(g), "tg_softshrink: lambd must be >= 0 (got -0.5)");
    tg_graph_free(g);

    g = tg_graph_new();
    x = tg_input(g, TG_F64, TG_SHAPE(3), NULL);
    tg_threshold(x, NAN, 0);
    TT_CONTAINS(tg_graph_error(g), "tg_threshold: threshold must be a number");
    tg_graph_free(g);

    g = tg_graph_new();
    tg_fmod(tg_input(g, TG_F64, TG_SHAPE(2), NULL), tg_input(g, TG_F32, TG_SHAPE(2), NULL));
    TT_CONTAINS(tg_graph_error(g), "tg_fmod");
    tg_graph_free(g);
}

TT_RUN(TT(unary_values), TT(conventions), TT(binary_values), TT(activations),
       TT(shapes), TT(reductions), TT(errors))
