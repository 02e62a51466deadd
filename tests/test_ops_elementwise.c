/* Elementwise math and activations: gradient checks (first and second
 * order, f64), values against long-double references and hand-derived
 * math (f32 and f64), kink conventions, fused backward kernels against
 * their composites, randomness of rrelu, attribute errors. */
#include <stdlib.h>
#include <tapegrad/tapegrad.h>

#include "tt.h"

/* ------------------------------------------------------------ helpers */

static tg_tensor *in64(tg_graph *g, int nd, const int64_t *sh, const double *v,
                       bool rg)
{
    tg_tensor *t = tg_input(g, TG_F64, nd, sh, v);
    if (rg) tg_set_requires_grad(t, true);
    return t;
}

/* d(sum(f(x)))/dx for a 1-D f64 x, into out[n]; returns the status. */
static tg_status grad1(tg_tensor *(*f)(tg_tensor *, const double *),
                       const double *p, const double *xv, int n, double *out,
                       double *yout)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *x = in64(g, TG_SHAPE(n), xv, true);
    tg_tensor *y = f(x, p);
    tg_status st = tg_backward(g, tg_sum_all(y));
    for (int i = 0; i < n && st == TG_OK; i++) {
        out[i] = tg_get(x->grad, i);
        if (yout) yout[i] = tg_get(y, i);
    }
    tg_graph_free(g);
    return st;
}

/* ------------------------------------------------ gradient-check table */

typedef enum {
    K_EXP, K_LOG, K_LOG1P, K_EXPM1, K_ABS, K_SQRT, K_RSQRT, K_SQUARE,
    K_RECIP, K_SIN, K_COS, K_ERF, K_SIGMOID, K_CLAMP, K_POW, K_POWS,
    K_MAXIMUM, K_MINIMUM, K_RELU, K_LRELU, K_PRELU, K_RRELU_EVAL,
    K_RRELU_TRAIN, K_ELU, K_SELU, K_CELU, K_GELU, K_GELU_TANH, K_SILU,
    K_SOFTPLUS, K_HARDSHRINK, K_LOGSIG, K_MAXOUT, K_SIG_BW, K_RELU_BW,
    K_LRELU_BW, K_GELU_BW, K_GELU_TANH_BW, K_SILU_BW, K_LOGSIG_BW,
    K_SOFTPLUS_BW, K_ELU_BW
} kind;

typedef struct gcase {
    const char *name;
    kind k;
    double p[3];
    int nin;
    int nd[2];
    int64_t sh[2][4];
    bool smooth; /* also check second derivatives */
} gcase;

static tg_tensor *build(tg_graph *g, tg_tensor *const *in, int n, void *ud)
{
    (void)n;
    const gcase *c = ud;
    const double *p = c->p;
    tg_tensor *x = in[0], *b = n > 1 ? in[1] : NULL;
    /* shifted copies for domain-limited ops: values in [0.5, 1.5] */
    tg_tensor *xp = tg_add_scalar(tg_square(x), 0.5);
    switch (c->k) {
    case K_EXP: return tg_exp(tg_mul_scalar(x, 2));
    case K_LOG: return tg_log(xp);
    case K_LOG1P: return tg_log1p(tg_mul_scalar(x, 0.9));
    case K_EXPM1: return tg_expm1(tg_mul_scalar(x, 3));
    case K_ABS: return tg_abs(x);
    case K_SQRT: return tg_sqrt(xp);
    case K_RSQRT: return tg_rsqrt(xp);
    case K_SQUARE: return tg_square(x);
    case K_RECIP: return tg_reciprocal(tg_add_scalar(x, 2.5));
    case K_SIN: return tg_sin(tg_mul_scalar(x, 4));
    case K_COS: return tg_cos(tg_mul_scalar(x, 4));
    case K_ERF: return tg_erf(tg_mul_scalar(x, 2));
    case K_SIGMOID: return tg_sigmoid(tg_mul_scalar(x, 5));
    case K_CLAMP: return tg_clamp(x, p[0], p[1]);
    case K_POW: return tg_pow(tg_add_scalar(tg_square(x), 0.5), tg_mul_scalar(b, 2));
    case K_POWS: return tg_pow_scalar(xp, p[0]);
    case K_MAXIMUM: return tg_maximum(x, b);
    case K_MINIMUM: return tg_minimum(x, b);
    case K_RELU: return tg_relu(x);
    case K_LRELU: return tg_leaky_relu(x, p[0]);
    case K_PRELU: return tg_prelu(x, b);
    case K_RRELU_EVAL:
        tg_set_training(g, false);
        return tg_rrelu(x, p[0], p[1]);
    case K_RRELU_TRAIN:
        /* same slopes on every rebuild: reseed before drawing */
        tg_rng_seed(tg_graph_rng(g), 7);
        return tg_rrelu(x, p[0], p[1]);
    case K_ELU: return tg_elu(tg_mul_scalar(x, 3), p[0]);
    case K_SELU: return tg_selu(tg_mul_scalar(x, 3));
    case K_CELU: return tg_celu(tg_mul_scalar(x, 3), p[0]);
    case K_GELU: return tg_gelu(tg_mul_scalar(x, 3));
    case K_GELU_TANH: return tg_gelu_tanh(tg_mul_scalar(x, 3));
    case K_SILU: return tg_silu(tg_mul_scalar(x, 4));
    case K_SOFTPLUS: return tg_softplus(tg_mul_scalar(x, 4), p[0], p[1]);
    case K_HARDSHRINK: return tg_hardshrink(x, p[0]);
    case K_LOGSIG: return tg_logsigmoid(tg_mul_scalar(x, 6));
    case K_MAXOUT: return tg_maxout(x, (int64_t)p[0]);
    case K_SIG_BW: return tg_sigmoid_backward(x, tg_sigmoid(tg_mul_scalar(b, 3)));
    case K_RELU_BW: return tg_relu_backward(x, b);
    case K_LRELU_BW: return tg_leaky_relu_backward(x, b, p[0]);
    case K_GELU_BW: return tg_gelu_backward(x, tg_mul_scalar(b, 3));
    case K_GELU_TANH_BW: return tg_gelu_tanh_backward(x, tg_mul_scalar(b, 3));
    case K_SILU_BW: return tg_silu_backward(x, tg_mul_scalar(b, 3));
    case K_LOGSIG_BW: return tg_logsigmoid_backward(x, tg_mul_scalar(b, 4));
    case K_SOFTPLUS_BW:
        return tg_softplus_backward(x, tg_mul_scalar(b, 3), p[0], p[1]);
    case K_ELU_BW: return tg_elu_backward(x, tg_mul_scalar(b, 2), p[0], p[1], p[2]);
    }
    return NULL;
}

#define U(name, k, smooth, ...) {name, k, {__VA_ARGS__}, 1, {2}, {{3, 4}}, smooth}
#define B(name, k, smooth, d0, d1, ...)                                     \
    {name, k, {__VA_ARGS__}, 2, {sizeof((int64_t[])d0) / 8, sizeof((int64_t[])d1) / 8}, {d0, d1}, smooth}
#define S(...) __VA_ARGS__

static const gcase gcases[] = {
    U("exp", K_EXP, true, 0), U("log", K_LOG, true, 0),
    U("log1p", K_LOG1P, true, 0), U("expm1", K_EXPM1, true, 0),
    U("abs", K_ABS, false, 0), U("sqrt", K_SQRT, true, 0),
    U("rsqrt", K_RSQRT, true, 0), U("square", K_SQUARE, true, 0),
    U("reciprocal", K_RECIP, true, 0), U("sin", K_SIN, true, 0),
    U("cos", K_COS, true, 0), U("erf", K_ERF, true, 0),
    U("sigmoid", K_SIGMOID, true, 0),
    U("clamp", K_CLAMP, false, -0.4, 0.3),
    U("clamp one-sided", K_CLAMP, false, -0.2, INFINITY),
    B("pow same", K_POW, true, S({3, 4}), S({3, 4}), 0),
    B("pow bcast", K_POW, true, S({3, 1}), S({1, 4}), 0),
    B("pow rank", K_POW, true, S({2, 3, 4}), S({4}), 0),
    U("pow_scalar 2.5", K_POWS, true, 2.5), U("pow_scalar -1.5", K_POWS, true, -1.5),
    U("pow_scalar 3", K_POWS, true, 3), U("pow_scalar 0", K_POWS, true, 0),
    U("pow_scalar 1", K_POWS, true, 1),
    B("maximum same", K_MAXIMUM, false, S({3, 4}), S({3, 4}), 0),
    B("maximum bcast", K_MAXIMUM, false, S({3, 1}), S({1, 4}), 0),
    B("minimum rank", K_MINIMUM, false, S({2, 3, 4}), S({4}), 0),
    B("minimum scalar", K_MINIMUM, false, S({1}), S({2, 3}), 0),
    U("relu", K_RELU, false, 0), U("leaky_relu", K_LRELU, false, 0.1),
    U("leaky_relu negative slope", K_LRELU, false, -0.5),
    B("prelu per channel", K_PRELU, false, S({2, 3, 4}), S({3}), 0),
    B("prelu one value", K_PRELU, false, S({5, 2}), S({1}), 0),
    B("prelu 1-d", K_PRELU, false, S({7}), S({1}), 0),
    U("rrelu eval", K_RRELU_EVAL, false, 0.1, 0.3),
    U("rrelu train", K_RRELU_TRAIN, false, 0.1, 0.3),
    U("elu", K_ELU, true, 1.0), U("elu alpha 0.7", K_ELU, true, 0.7),
    U("selu", K_SELU, true, 0), U("celu 0.5", K_CELU, true, 0.5),
    U("gelu", K_GELU, true, 0), U("gelu_tanh", K_GELU_TANH, true, 0),
    U("silu", K_SILU, true, 0),
    U("softplus", K_SOFTPLUS, true, 1, 20),
    U("softplus beta 2", K_SOFTPLUS, true, 2, 20),
    U("softplus low threshold", K_SOFTPLUS, false, 1, 1.5),
    U("hardshrink", K_HARDSHRINK, false, 0.5),
    U("logsigmoid", K_LOGSIG, true, 0),
    {"maxout k=2", K_MAXOUT, {2}, 1, {2}, {{3, 4}}, false},
    {"maxout k=3 3-d", K_MAXOUT, {3}, 1, {3}, {{2, 2, 6}}, false},
    B("sigmoid_backward", K_SIG_BW, true, S({3, 4}), S({3, 4}), 0),
    B("sigmoid_backward bcast", K_SIG_BW, true, S({3, 4}), S({4}), 0),
    B("relu_backward", K_RELU_BW, false, S({3, 4}), S({3, 4}), 0),
    B("leaky_relu_backward", K_LRELU_BW, false, S({4}), S({3, 4}), 0.2),
    B("gelu_backward", K_GELU_BW, true, S({3, 4}), S({3, 4}), 0),
    B("gelu_backward bcast", K_GELU_BW, true, S({3, 1}), S({1, 4}), 0),
    B("gelu_tanh_backward", K_GELU_TANH_BW, true, S({3, 4}), S({3, 4}), 0),
    B("silu_backward", K_SILU_BW, true, S({3, 4}), S({3, 4}), 0),
    B("logsigmoid_backward", K_LOGSIG_BW, true, S({3, 4}), S({4}), 0),
    B("softplus_backward", K_SOFTPLUS_BW, true, S({3, 4}), S({3, 4}), 1.5, 20),
    B("elu_backward elu", K_ELU_BW, true, S({3, 4}), S({3, 4}), 1.5, 1, 1),
    B("elu_backward selu", K_ELU_BW, true, S({3, 4}), S({3, 4}),
      1.6732632423543772, 1.0507009873554805, 1),
    B("elu_backward celu", K_ELU_BW, true, S({3, 1}), S({4}), 0.5, 1, 2),
};

static void gradcheck_all(void)
{
    int n = (int)(sizeof gcases / sizeof gcases[0]);
    for (int i = 0; i < n; i++) {
        const gcase *c = &gcases[i];
        tg_check_arg args[2] = {0};
        for (int j = 0; j < c->nin; j++) {
            args[j].name = j ? "b" : "x";
            args[j].ndim = c->nd[j];
            for (int d = 0; d < c->nd[j]; d++) args[j].shape[d] = c->sh[j][d];
        }
        tg_check_opts o = tg_check_defaults();
        o.gradgrad = c->smooth;
        o.seed = (uint64_t)i + 1;
        if (!c->smooth) o.kink_margin = 1e-4;
        tg_check_report r;
        tg_status st = tg_gradcheck(build, (void *)c, c->nin, args, &o, &r);
        if (st != TG_OK || !r.pass || (c->smooth && !r.gradgrad_pass))
            fprintf(stderr, "gradcheck %s: %s\n", c->name, r.message);
        TT_CHECK(st == TG_OK);
        TT_CHECK(r.pass);
        if (c->smooth) TT_CHECK(r.gradgrad_pass && !r.gradgrad_skipped);
    }
}

/* ------------------------------------------------- values vs references */

typedef struct vref {
    const char *name;
    tg_tensor *(*op)(tg_tensor *);
    long double (*ref)(long double);
} vref;

static long double r_sigmoid(long double x) { return 1.0L / (1.0L + expl(-x)); }
static long double r_relu(long double x) { return x > 0 ? x : 0; }
static long double r_gelu(long double x) { return 0.5L * x * erfcl(-x / sqrtl(2.0L)); }
/* x/2 (1 + tanh u) written as x / (1 + e^(-2u)) so the reference itself
 * does not cancel for x << 0 */
static long double r_gelu_tanh(long double x)
{
    long double u = sqrtl(2.0L / 3.14159265358979323846264338327950288L) *
                    (x + 0.044715L * x * x * x);
    return x / (1.0L + expl(-2.0L * u));
}
static long double r_silu(long double x) { return x / (1.0L + expl(-x)); }
static long double r_logsig(long double x) { return -log1pl(expl(-x)); }
static long double r_selu(long double x)
{
    return 1.0507009873554804934193349852946L *
           (x > 0 ? x : 1.6732632423543772848170429916717L * expm1l(x));
}
static long double r_square(long double x) { return x * x; }
static long double r_recip(long double x) { return 1.0L / x; }
static long double r_rsqrt(long double x) { return 1.0L / sqrtl(x); }

static const vref vrefs[] = {
    {"exp", tg_exp, expl},           {"log", tg_log, logl},
    {"log1p", tg_log1p, log1pl},     {"expm1", tg_expm1, expm1l},
    {"abs", tg_abs, fabsl},          {"sqrt", tg_sqrt, sqrtl},
    {"rsqrt", tg_rsqrt, r_rsqrt},    {"square", tg_square, r_square},
    {"reciprocal", tg_reciprocal, r_recip},
    {"sin", tg_sin, sinl},           {"cos", tg_cos, cosl},
    {"erf", tg_erf, erfl},           {"sigmoid", tg_sigmoid, r_sigmoid},
    {"relu", tg_relu, r_relu},       {"gelu", tg_gelu, r_gelu},
    {"gelu_tanh", tg_gelu_tanh, r_gelu_tanh},
    {"silu", tg_silu, r_silu},       {"logsigmoid", tg_logsigmoid, r_logsig},
    {"selu", tg_selu, r_selu},
};

/* Relative error against the reference, in units of the dtype's epsilon
 * (a loose ulp measure; test_accuracy measures true ulps). */
static void values_vs_libm(void)
{
    double xs[] = {-30, -7.5, -3, -1.25, -0.5, -1e-3, 1e-4, 0.3, 0.75, 1,
                   2.5, 6, 12, 40};
    int n = (int)(sizeof xs / sizeof xs[0]);
    for (unsigned k = 0; k < sizeof vrefs / sizeof vrefs[0]; k++) {
        for (int dt = 0; dt < 2; dt++) {
            tg_graph *g = tg_graph_new();
            double v[32];
            float f[32];
            bool pos = !strcmp(vrefs[k].name, "log") ||
                       !strcmp(vrefs[k].name, "sqrt") ||
                       !strcmp(vrefs[k].name, "rsqrt");
            for (int i = 0; i < n; i++) {
                v[i] = pos ? fabs(xs[i]) : xs[i];
                f[i] = (float)v[i];
            }
            tg_tensor *x = dt ? tg_input(g, TG_F64, TG_SHAPE(n), v)
                              : tg_input(g, TG_F32, TG_SHAPE(n), f);
            tg_tensor *y = vrefs[k].op(x);
            TT_CHECK(y->dtype == (dt ? TG_F64 : TG_F32));
            double eps0 = dt ? 0x1p-52 : 0x1p-23;
            for (int i = 0; i < n; i++) {
                long double xi = dt ? (long double)v[i] : (long double)f[i];
                /* f64 gelu: the rounding of x / sqrt 2 moves erfc by a
                 * relative 2 z^2 ulps (documented bound) */
                double eps = eps0;
                if (dt && !strcmp(vrefs[k].name, "gelu"))
                    eps = eps0 * (1 + (double)(xi * xi));
                long double want = vrefs[k].ref(xi);
                double got = tg_get(y, i);
                if (isnan(got) && isnan((double)want)) {
                    tt_pass++;
                    continue;
                }
                long double scale = fabsl(want) > 1e-300L ? fabsl(want) : 1e-300L;
                double rel = (double)(fabsl((long double)got - want) / scale);
                if (!(rel <= 4 * eps)) {
                    fprintf(stderr, "%s %s x=%.9g: got %.17g want %.17Lg\n",
                            vrefs[k].name, dt ? "f64" : "f32", (double)xi,
                            got, want);
                    if (fabsl(want) < 1e-37L && !dt) continue; /* f32 subnormal */
                }
                TT_CHECK(rel <= 4 * eps || (fabsl(want) < 1e-37L && !dt));
            }
            tg_graph_free(g);
        }
    }
}

/* Ops with attributes, hand-derived values. */
static void values_with_attributes(void)
{
    tg_graph *g = tg_graph_new();
    double xv[6] = {-2, -0.5, 0, 0.25, 0.5, 3};
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(6), xv);
    tg_tensor *c = tg_clamp(x, -0.5, 0.4);
    double cw[6] = {-0.5, -0.5, 0, 0.25, 0.4, 0.4};
    tg_tensor *l = tg_leaky_relu(x, 0.1);
    double lw[6] = {-0.2, -0.05, 0, 0.25, 0.5, 3};
    tg_tensor *h = tg_hardshrink(x, 0.5);
    double hw[6] = {-2, 0, 0, 0, 0, 3}; /* ±lambda maps to 0 */
    tg_tensor *e = tg_elu(x, 2.0);
    tg_tensor *ce = tg_celu(x, 0.5);
    tg_tensor *sp = tg_softplus(x, 2.0, 1.0);
    tg_tensor *ps = tg_pow_scalar(x, 3);
    tg_tensor *mx = tg_maximum(x, tg_scalar(g, TG_F64, 0.25));
    tg_tensor *mn = tg_minimum(x, tg_scalar(g, TG_F64, 0.25));
    for (int i = 0; i < 6; i++) {
        double v = xv[i];
        TT_NEAR(tg_get(c, i), cw[i], 0);
        TT_NEAR(tg_get(l, i), lw[i], 0);
        TT_NEAR(tg_get(h, i), hw[i], 0);
        TT_NEAR(tg_get(e, i), v > 0 ? v : 2 * expm1(v), 1e-15);
        TT_NEAR(tg_get(ce, i), v > 0 ? v : 0.5 * expm1(v / 0.5), 1e-15);
        /* linear branch where 2x > 1 */
        TT_NEAR(tg_get(sp, i), 2 * v > 1 ? v : log1p(exp(2 * v)) / 2, 1e-15);
        TT_NEAR(tg_get(ps, i), v * v * v, 1e-15);
        TT_NEAR(tg_get(mx, i), v > 0.25 ? v : 0.25, 0);
        TT_NEAR(tg_get(mn, i), v < 0.25 ? v : 0.25, 0);
    }
    /* pow with broadcasting: [2,1] ** [3] */
    double av[2] = {2, 9}, bv[3] = {0.5, 2, -1};
    tg_tensor *p = tg_pow(tg_input(g, TG_F64, TG_SHAPE(2, 1), av),
                          tg_input(g, TG_F64, TG_SHAPE(3), bv));
    TT_CHECK(p->ndim == 2 && p->shape[0] == 2 && p->shape[1] == 3);
    TT_NEAR(tg_get(p, 0), sqrt(2.0), 1e-15);
    TT_NEAR(tg_get(p, 4), 81, 1e-15);
    TT_NEAR(tg_get(p, 5), 1.0 / 9, 1e-15);
    /* f32 with attributes: the attribute is rounded to float */
    float fv[3] = {-1.5f, 0.0f, 2.0f};
    tg_tensor *xf = tg_input(g, TG_F32, TG_SHAPE(3), fv);
    tg_tensor *lf = tg_leaky_relu(xf, 0.1);
    TT_CHECK(tg_f32(lf)[0] == -1.5f * 0.1f);
    tg_tensor *cf = tg_clamp(xf, -1, 1);
    TT_CHECK(tg_f32(cf)[0] == -1.0f && tg_f32(cf)[2] == 1.0f);
    TT_CHECK(tg_graph_error(g) == NULL);
    tg_graph_free(g);
}

/* NaN and infinity behaviour. */
static void special_values(void)
{
    tg_graph *g = tg_graph_new();
    double xv[3] = {NAN, INFINITY, -INFINITY};
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(3), xv);
    tg_tensor *(*nan_prop[])(tg_tensor *) = {tg_relu, tg_abs, tg_sigmoid,
                                            tg_gelu, tg_silu, tg_exp,
                                            tg_logsigmoid, tg_selu};
    for (unsigned k = 0; k < sizeof nan_prop / sizeof nan_prop[0]; k++)
        TT_CHECK(isnan(tg_get(nan_prop[k](x), 0)));
    TT_CHECK(isnan(tg_get(tg_clamp(x, -1, 1), 0)));
    TT_CHECK(isnan(tg_get(tg_leaky_relu(x, 0.2), 0)));
    TT_CHECK(isnan(tg_get(tg_hardshrink(x, 0.5), 0)));
    TT_CHECK(isnan(tg_get(tg_maximum(x, tg_scalar(g, TG_F64, 0)), 0)));
    TT_CHECK(isnan(tg_get(tg_minimum(tg_scalar(g, TG_F64, 0), x), 0)));
    /* limits at ±Inf */
    TT_NEAR(tg_get(tg_sigmoid(x), 1), 1, 0);
    TT_NEAR(tg_get(tg_sigmoid(x), 2), 0, 0);
    TT_CHECK(tg_get(tg_gelu(x), 1) == INFINITY);
    TT_NEAR(tg_get(tg_gelu(x), 2), 0, 0);
    TT_NEAR(tg_get(tg_gelu_tanh(x), 2), 0, 0);
    TT_NEAR(tg_get(tg_silu(x), 2), 0, 0);
    TT_CHECK(tg_get(tg_logsigmoid(x), 2) == -INFINITY);
    TT_NEAR(tg_get(tg_logsigmoid(x), 1), 0, 0);
    TT_NEAR(tg_get(tg_elu(x, 1.5), 2), -1.5, 0);
    TT_CHECK(tg_get(tg_softplus(x, 1, 20), 1) == INFINITY);
    TT_NEAR(tg_get(tg_softplus(x, 1, 20), 2), 0, 0);
    tg_tensor *one = tg_full(g, TG_F64, TG_SHAPE(3), 1.0);
    TT_NEAR(tg_get(tg_gelu_backward(one, x), 1), 1, 0);
    TT_NEAR(tg_get(tg_gelu_backward(one, x), 2), 0, 0);
    TT_NEAR(tg_get(tg_silu_backward(one, x), 1), 1, 0);
    TT_NEAR(tg_get(tg_silu_backward(one, x), 2), 0, 0);
    TT_NEAR(tg_get(tg_gelu_tanh_backward(one, x), 1), 1, 0);
    /* logsigmoid stays finite and exact-ish far out */
    double big[2] = {-200, 200};
    tg_tensor *xb = tg_input(g, TG_F64, TG_SHAPE(2), big);
    TT_NEAR(tg_get(tg_logsigmoid(xb), 0), -200, 1e-15);
    TT_NEAR(tg_get(tg_logsigmoid(xb), 1), -exp(-200.0), 1e-15);
    TT_CHECK(tg_graph_error(g) == NULL);
    tg_graph_free(g);
}

/* ------------------------------------------------------------- kinks */

static tg_tensor *f_relu(tg_tensor *x, const double *p) { (void)p; return tg_relu(x); }
static tg_tensor *f_abs(tg_tensor *x, const double *p) { (void)p; return tg_abs(x); }
static tg_tensor *f_lrelu(tg_tensor *x, const double *p) { return tg_leaky_relu(x, p[0]); }
static tg_tensor *f_clamp(tg_tensor *x, const double *p) { return tg_clamp(x, p[0], p[1]); }
static tg_tensor *f_hs(tg_tensor *x, const double *p) { return tg_hardshrink(x, p[0]); }
static tg_tensor *f_elu(tg_tensor *x, const double *p) { return tg_elu(x, p[0]); }
static tg_tensor *f_selu(tg_tensor *x, const double *p) { (void)p; return tg_selu(x); }
static tg_tensor *f_celu(tg_tensor *x, const double *p) { return tg_celu(x, p[0]); }
static tg_tensor *f_softplus(tg_tensor *x, const double *p) { return tg_softplus(x, p[0], p[1]); }
static tg_tensor *f_rrelu_eval(tg_tensor *x, const double *p)
{
    tg_set_training(x->graph, false);
    return tg_rrelu(x, p[0], p[1]);
}

static void kinks(void)
{
    double d[5], y[5];
    double x0[5] = {-1, -0.0, 0, 0.5, 2};
    TT_CHECK(grad1(f_relu, NULL, x0, 5, d, y) == TG_OK);
    TT_NEAR(d[1], 0, 0); /* relu'(0) = 0 (PyTorch) */
    TT_NEAR(d[2], 0, 0);
    TT_NEAR(d[3], 1, 0);
    TT_CHECK(grad1(f_abs, NULL, x0, 5, d, y) == TG_OK);
    TT_NEAR(d[0], -1, 0);
    TT_NEAR(d[2], 0, 0); /* abs'(0) = 0 */
    double al[1] = {0.2};
    TT_CHECK(grad1(f_lrelu, al, x0, 5, d, y) == TG_OK);
    TT_NEAR(d[2], 0.2, 0); /* leaky_relu'(0) = alpha */
    TT_NEAR(d[4], 1, 0);
    double rr[2] = {0.1, 0.3};
    TT_CHECK(grad1(f_rrelu_eval, rr, x0, 5, d, y) == TG_OK);
    TT_NEAR(d[2], 0.2, 1e-16); /* eval: mean slope, also at 0 */
    TT_NEAR(y[0], -0.2, 1e-16);
    /* clamp: boundaries pass the gradient */
    double xc[5] = {-1, -0.5, 0, 0.5, 1};
    double cl[2] = {-0.5, 0.5};
    TT_CHECK(grad1(f_clamp, cl, xc, 5, d, y) == TG_OK);
    double cw[5] = {0, 1, 1, 1, 0};
    for (int i = 0; i < 5; i++) TT_NEAR(d[i], cw[i], 0);
    double cl2[2] = {0.25, 0.25}; /* min == max is allowed */
    TT_CHECK(grad1(f_clamp, cl2, xc, 5, d, y) == TG_OK);
    TT_NEAR(y[0], 0.25, 0);
    /* hardshrink: at ±lambda output 0 and gradient 0 */
    double la[1] = {0.5};
    TT_CHECK(grad1(f_hs, la, xc, 5, d, y) == TG_OK);
    double hw[5] = {1, 0, 0, 0, 1};
    for (int i = 0; i < 5; i++) TT_NEAR(d[i], hw[i], 0);
    TT_NEAR(y[1], 0, 0);
    TT_NEAR(y[3], 0, 0);
    /* elu family at 0: the negative-branch slope */
    double ea[1] = {2.0};
    TT_CHECK(grad1(f_elu, ea, x0, 5, d, y) == TG_OK);
    TT_NEAR(d[2], 2.0, 1e-15);
    TT_CHECK(grad1(f_selu, NULL, x0, 5, d, y) == TG_OK);
    TT_NEAR(d[2], 1.0507009873554805 * 1.6732632423543772, 1e-15);
    TT_NEAR(d[3], 1.0507009873554805, 1e-15);
    double ca[1] = {0.5};
    TT_CHECK(grad1(f_celu, ca, x0, 5, d, y) == TG_OK);
    TT_NEAR(d[2], 1.0, 1e-15);
    TT_NEAR(d[0], exp(-1 / 0.5), 1e-15);
    /* softplus at the threshold: sigmoid branch; above: 1 */
    double xs[3] = {1.0, 1.0 + 1e-9, 0.2};
    double sp[2] = {2.0, 2.0}; /* beta x > 2 is linear */
    TT_CHECK(grad1(f_softplus, sp, xs, 3, d, y) == TG_OK);
    TT_NEAR(d[0], 1 / (1 + exp(-2.0)), 1e-15);
    TT_NEAR(d[1], 1, 0);
    TT_NEAR(y[1], 1.0 + 1e-9, 0);
    TT_NEAR(y[0], log1p(exp(2.0)) / 2, 1e-15);
}

/* maximum/minimum ties split the gradient evenly. */
static void ties(void)
{
    tg_graph *g = tg_graph_new();
    double av[3] = {1, 2, 3}, bv[3] = {1, 5, 0};
    tg_tensor *a = in64(g, TG_SHAPE(3), av, true);
    tg_tensor *b = in64(g, TG_SHAPE(3), bv, true);
    TT_CHECK(tg_backward(g, tg_sum_all(tg_maximum(a, b))) == TG_OK);
    double wa[3] = {0.5, 0, 1}, wb[3] = {0.5, 1, 0};
    for (int i = 0; i < 3; i++) {
        TT_NEAR(tg_get(a->grad, i), wa[i], 0);
        TT_NEAR(tg_get(b->grad, i), wb[i], 0);
    }
    tg_graph_reset(g);
    a = in64(g, TG_SHAPE(3), av, true);
    tg_tensor *s = in64(g, 0, NULL, (double[]){2}, true); /* broadcast */
    TT_CHECK(tg_backward(g, tg_sum_all(tg_minimum(a, s))) == TG_OK);
    /* min(1,2)=a, min(2,2) tie, min(3,2)=s */
    TT_NEAR(tg_get(a->grad, 0), 1, 0);
    TT_NEAR(tg_get(a->grad, 1), 0.5, 0);
    TT_NEAR(tg_get(a->grad, 2), 0, 0);
    TT_NEAR(tg_item(s->grad), 1.5, 0);
    tg_graph_free(g);
}

/* maxout: values, the first arg max gets the gradient on ties. */
static void maxout_values(void)
{
    tg_graph *g = tg_graph_new();
    double xv[12] = {1, 5, 2, /**/ 7, 7, 0, /**/ -1, -3, -2, /**/ 4, 9, 9};
    tg_tensor *x = in64(g, TG_SHAPE(2, 6), xv, true);
    tg_tensor *y = tg_maxout(x, 3);
    TT_CHECK(y->ndim == 2 && y->shape[0] == 2 && y->shape[1] == 2);
    double yw[4] = {5, 7, -1, 9};
    for (int i = 0; i < 4; i++) TT_NEAR(tg_get(y, i), yw[i], 0);
    double sv[4] = {1, 2, 3, 4};
    tg_tensor *seed = tg_input(g, TG_F64, TG_SHAPE(2, 2), sv);
    TT_CHECK(tg_backward_seed(g, y, seed) == TG_OK);
    double gw[12] = {0, 1, 0, 2, 0, 0, 3, 0, 0, 0, 4, 0};
    for (int i = 0; i < 12; i++) TT_NEAR(tg_get(x->grad, i), gw[i], 0);
    /* NaN wins its group */
    tg_graph_reset(g);
    tg_tensor *yn = tg_maxout(tg_input(g, TG_F32, TG_SHAPE(4), (float[]){1, NAN, 3, 2}), 2);
    TT_CHECK(isnan(tg_get(yn, 0)));
    TT_NEAR(tg_get(yn, 1), 3, 0);
    tg_graph_free(g);
}

/* prelu: per-channel slopes and the gradient of alpha by hand. */
static void prelu_values(void)
{
    tg_graph *g = tg_graph_new();
    double xv[8] = {-1, 2, -3, 4, /**/ 0, -2, 1, -1}; /* [2,2,2] */
    double av[2] = {0.1, 0.5};
    tg_tensor *x = in64(g, TG_SHAPE(2, 2, 2), xv, true);
    tg_tensor *a = in64(g, TG_SHAPE(2), av, true);
    tg_tensor *y = tg_prelu(x, a);
    double yw[8] = {-0.1, 2, -1.5, 4, 0, -0.2, 1, -0.5};
    for (int i = 0; i < 8; i++) TT_NEAR(tg_get(y, i), yw[i], 1e-16);
    TT_CHECK(tg_backward(g, tg_sum_all(y)) == TG_OK);
    /* dx: 1 where x > 0 else alpha_c (x = 0 takes alpha_c, PyTorch) */
    double gw[8] = {0.1, 1, 0.5, 1, 0.1, 0.1, 1, 0.5};
    for (int i = 0; i < 8; i++) TT_NEAR(tg_get(x->grad, i), gw[i], 1e-16);
    /* dalpha_c = sum of x over x <= 0 in channel c */
    TT_NEAR(tg_get(a->grad, 0), -1 + 0 - 2, 1e-15);
    TT_NEAR(tg_get(a->grad, 1), -3 - 1, 1e-15);
    tg_graph_free(g);
}

/* rrelu: seeded draws reproduce, slopes lie in [lower, upper], backward
 * uses the drawn slopes, eval uses the mean. */
static void rrelu_random(void)
{
    tg_graph *g = tg_graph_new();
    enum { N = 1000 };
    static double xv[N];
    for (int i = 0; i < N; i++) xv[i] = (i % 2 ? 1.0 : -1.0) * (1 + i % 7);
    double got[2][N];
    for (int rep = 0; rep < 2; rep++) {
        tg_rng_seed(tg_graph_rng(g), 123);
        tg_tensor *x = in64(g, TG_SHAPE(N), xv, true);
        tg_tensor *y = tg_rrelu(x, 0.125, 1.0 / 3);
        TT_CHECK(tg_backward(g, tg_sum_all(y)) == TG_OK);
        bool in_range = true, grad_ok = true;
        double smin = 1, smax = 0;
        for (int i = 0; i < N; i++) {
            got[rep][i] = tg_get(y, i);
            double s = got[rep][i] / xv[i];
            if (xv[i] > 0) {
                in_range &= s == 1;
                grad_ok &= tg_get(x->grad, i) == 1;
            } else {
                in_range &= s >= 0.125 && s <= 1.0 / 3;
                grad_ok &= fabs(tg_get(x->grad, i) - s) < 1e-15;
                smin = fmin(smin, s);
                smax = fmax(smax, s);
            }
        }
        TT_CHECK(in_range);
        TT_CHECK(grad_ok);
        TT_CHECK(smin < 0.14 && smax > 0.32); /* actually spread out */
        tg_graph_reset(g);
    }
    TT_CHECK(!memcmp(got[0], got[1], sizeof got[0]));
    tg_set_training(g, false);
    tg_tensor *ye = tg_rrelu(tg_input(g, TG_F64, TG_SHAPE(2), (double[]){-4, 4}), 0.1, 0.3);
    TT_NEAR(tg_get(ye, 0), -0.8, 1e-15);
    TT_NEAR(tg_get(ye, 1), 4, 0);
    tg_graph_free(g);
}

/* --------------------------------------- fused backward vs composites */

static double max_rel_diff(const tg_tensor *a, const tg_tensor *b)
{
    double m = 0;
    for (int64_t i = 0; i < a->numel; i++) {
        double x = tg_get(a, i), y = tg_get(b, i);
        double d = fabs(x - y) / fmax(fabs(y), 1e-300);
        if (fabs(x - y) > 1e-300 && d > m) m = d;
    }
    return m;
}

static void fused_vs_composite(void)
{
    enum { N = 401 };
    double xv[N], gv[N];
    for (int i = 0; i < N; i++) {
        xv[i] = -10 + 20.0 * i / (N - 1);
        gv[i] = 0.5 + 0.25 * sin(i);
    }
    for (int dt = 0; dt < 2; dt++) {
        tg_dtype t = dt ? TG_F64 : TG_F32;
        double tol = dt ? 1e-12 : 2e-6;
        float xf[N], gf[N];
        for (int i = 0; i < N; i++) xf[i] = (float)xv[i], gf[i] = (float)gv[i];
        tg_graph *g = tg_graph_new();
        tg_tensor *x = dt ? tg_input(g, t, TG_SHAPE(N), xv) : tg_input(g, t, TG_SHAPE(N), xf);
        tg_tensor *gr = dt ? tg_input(g, t, TG_SHAPE(N), gv) : tg_input(g, t, TG_SHAPE(N), gf);
        /* sigmoid_backward(g, y) = g y (1 - y) */
        tg_tensor *y = tg_sigmoid(x);
        tg_tensor *comp = tg_mul(tg_mul(gr, y), tg_add_scalar(tg_neg(y), 1));
        TT_CHECK(max_rel_diff(tg_sigmoid_backward(gr, y), comp) < tol);
        /* relu_backward(g, x) = g (x > 0) = g * relu(x) / x away from 0 */
        tg_tensor *rb = tg_relu_backward(gr, x);
        bool ok = true;
        for (int i = 0; i < N; i++)
            ok &= tg_get(rb, i) == (xv[i] > 0 ? tg_get(gr, i) : 0);
        TT_CHECK(ok);
        /* leaky: g (x > 0 ? 1 : a) */
        tg_tensor *lb = tg_leaky_relu_backward(gr, x, 0.1);
        tg_tensor *lc = tg_add(tg_relu_backward(gr, x),
                               tg_mul_scalar(tg_sub(gr, tg_relu_backward(gr, x)), 0.1));
        TT_CHECK(max_rel_diff(lb, lc) < tol);
        /* gelu_backward = g (Phi(x) + x phi(x)) with erf and exp ops (x > -5
         * where 1 + erf does not cancel) */
        tg_tensor *phi = tg_mul_scalar(tg_exp(tg_mul_scalar(tg_square(x), -0.5)),
                                       0.39894228040143267794);
        tg_tensor *Phi = tg_mul_scalar(tg_add_scalar(tg_erf(tg_mul_scalar(x, 0.70710678118654752440)), 1), 0.5);
        tg_tensor *gc = tg_mul(gr, tg_add(Phi, tg_mul(x, phi)));
        tg_tensor *gb = tg_gelu_backward(gr, x);
        double m = 0;
        for (int i = 0; i < N; i++)
            if (xv[i] > (dt ? -5 : -2.5) && fabs(xv[i] + 0.7518) > 0.05)
                m = fmax(m, fabs(tg_get(gb, i) - tg_get(gc, i)) / fabs(tg_get(gc, i)));
        TT_CHECK(m < tol * 10);
        /* silu_backward = g s (1 + x (1 - s)) */
        tg_tensor *s = tg_sigmoid(x);
        tg_tensor *sc = tg_mul(tg_mul(gr, s), tg_add_scalar(tg_mul(x, tg_add_scalar(tg_neg(s), 1)), 1));
        tg_tensor *sb = tg_silu_backward(gr, x);
        m = 0;
        for (int i = 0; i < N; i++)
            if (fabs(xv[i] + 1.2785) > 0.05)
                m = fmax(m, fabs(tg_get(sb, i) - tg_get(sc, i)) / fabs(tg_get(sc, i)));
        TT_CHECK(m < tol * 10);
        /* logsigmoid_backward = g sigmoid(-x) */
        TT_CHECK(max_rel_diff(tg_logsigmoid_backward(gr, x), tg_mul(gr, tg_sigmoid(tg_neg(x)))) < tol);
        /* softplus_backward = g sigmoid(beta x) below the threshold */
        tg_tensor *spb = tg_softplus_backward(gr, x, 1.5, 100);
        TT_CHECK(max_rel_diff(spb, tg_mul(gr, tg_sigmoid(tg_mul_scalar(x, 1.5)))) < tol);
        /* elu_backward = g (x > 0 ? 1 : alpha e^x), by hand in double */
        tg_tensor *eb = tg_elu_backward(gr, x, 1.5, 1, 1);
        m = 0;
        for (int i = 0; i < N; i++) {
            double xi = tg_get(x, i), gi = tg_get(gr, i);
            double want = xi > 0 ? gi : gi * 1.5 * exp(xi);
            m = fmax(m, fabs(tg_get(eb, i) - want) / fabs(want));
        }
        TT_CHECK(m < tol);
        /* gelu_tanh_backward vs the tanh form PyTorch uses:
         * 0.5 (1 + t) + 0.5 x (1 - t^2) u', t = tanh(u) */
        const double a = 0.79788456080286535588, c = 0.044715;
        tg_tensor *x2 = tg_square(x);
        tg_tensor *u = tg_mul_scalar(tg_mul(x, tg_add_scalar(tg_mul_scalar(x2, c), 1)), a);
        tg_tensor *th = tg_tanh(u);
        tg_tensor *du = tg_mul_scalar(tg_add_scalar(tg_mul_scalar(x2, 3 * c), 1), a);
        tg_tensor *d = tg_add(tg_mul_scalar(tg_add_scalar(th, 1), 0.5),
                              tg_mul(tg_mul_scalar(x, 0.5),
                                     tg_mul(tg_add_scalar(tg_neg(tg_square(th)), 1), du)));
        tg_tensor *gtb = tg_gelu_tanh_backward(gr, x);
        tg_tensor *gtc = tg_mul(gr, d);
        m = 0;
        for (int i = 0; i < N; i++)
            if (xv[i] > (dt ? -4 : -2) && fabs(xv[i] + 0.7518) > 0.05)
                m = fmax(m, fabs(tg_get(gtb, i) - tg_get(gtc, i)) / fabs(tg_get(gtc, i)));
        TT_CHECK(m < tol * 10);
        TT_CHECK(tg_graph_error(g) == NULL);
        tg_graph_free(g);
    }
}

/* The fused kernels are ops with their own VJPs: grad of grad of gelu
 * equals the hand-derived second derivative phi(x) (2 - x^2). */
static void second_derivatives_by_hand(void)
{
    tg_graph *g = tg_graph_new();
    double xv[4] = {-2, -0.3, 0.4, 1.7};
    tg_tensor *x = in64(g, TG_SHAPE(4), xv, true);
    struct {
        tg_tensor *(*f)(tg_tensor *);
        const char *name;
    } fs[] = {{tg_gelu, "gelu"}, {tg_sigmoid, "sigmoid"}, {tg_silu, "silu"},
              {tg_logsigmoid, "logsigmoid"}};
    for (int k = 0; k < 4; k++) {
        tg_tensor *y = tg_sum_all(fs[k].f(x));
        tg_tensor *d1, *d2;
        TT_CHECK(tg_grad(g, &y, 1, NULL, &x, 1, true, &d1) == TG_OK);
        tg_tensor *s1 = tg_sum_all(d1);
        TT_CHECK(tg_grad(g, &s1, 1, NULL, &x, 1, false, &d2) == TG_OK);
        for (int i = 0; i < 4; i++) {
            double v = xv[i], want;
            double s = 1 / (1 + exp(-v));
            double phi = exp(-v * v / 2) / sqrt(2 * M_PI);
            switch (k) {
            case 0: want = phi * (2 - v * v); break;
            case 1: want = s * (1 - s) * (1 - 2 * s); break;
            case 2: want = s * (1 - s) * (2 + v * (1 - 2 * s)); break;
            default: want = -s * (1 - s); break;
            }
            TT_NEAR(tg_get(d2, i), want, 1e-14);
        }
    }
    tg_graph_free(g);
}

/* f32 gradients agree with f64 ones (the f32 path is exercised end to end). */
static void f32_backward(void)
{
    enum { N = 37 };
    float xf[N];
    double xd[N];
    for (int i = 0; i < N; i++) xd[i] = xf[i] = (float)(-3 + 6.0 * i / (N - 1) + 0.013);
    tg_tensor *(*ops[])(tg_tensor *) = {tg_gelu, tg_gelu_tanh, tg_silu, tg_sigmoid,
                                        tg_logsigmoid, tg_relu, tg_exp, tg_sin,
                                        tg_selu, tg_erf, tg_abs, tg_square};
    for (unsigned k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        tg_graph *g = tg_graph_new();
        tg_tensor *a = tg_input(g, TG_F32, TG_SHAPE(N), xf);
        tg_tensor *b = tg_input(g, TG_F64, TG_SHAPE(N), xd);
        tg_set_requires_grad(a, true);
        tg_set_requires_grad(b, true);
        TT_CHECK(tg_backward(g, tg_sum_all(ops[k](a))) == TG_OK);
        TT_CHECK(tg_backward(g, tg_sum_all(ops[k](b))) == TG_OK);
        TT_CHECK(a->grad->dtype == TG_F32);
        double m = 0;
        for (int i = 0; i < N; i++)
            m = fmax(m, fabs(tg_get(a->grad, i) - tg_get(b->grad, i)) /
                            fmax(1e-3, fabs(tg_get(b->grad, i))));
        TT_CHECK(m < 1e-5);
        tg_graph_free(g);
    }
}

/* Padded tails and threading: every element gets the same instructions,
 * so results do not depend on the length of the call or the thread split. */
static void position_independent(void)
{
    enum { N = 100003 }; /* above TG_PAR_MIN, odd */
    float *x = malloc(sizeof(float) * N);
    for (int i = 0; i < N; i++) x[i] = (float)((i * 2654435761u) % 20001) * 1e-3f - 10;
    /* some lanes beyond |x| = 87, where the sigmoid family's AVX2 and silu
     * kernels hand the whole vector to a slower body: their neighbours
     * must come out the same */
    for (int i = 5; i < N; i += 41) x[i] = (i / 41) % 3 ? (float)(i % 40) - 108 : 90.5f;
    x[777 + 13] = -INFINITY, x[777 + 50] = INFINITY, x[N - 2] = -88.5f;
    tg_tensor *(*ops[])(tg_tensor *) = {tg_gelu, tg_sigmoid, tg_exp, tg_silu, tg_relu};
    for (unsigned k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        tg_graph *g = tg_graph_new();
        tg_tensor *big = ops[k](tg_input(g, TG_F32, TG_SHAPE(N), x));
        bool same = true;
        int idx[6] = {0, 1, 15, 16, N - 2, N - 1};
        for (int j = 0; j < 6; j++) {
            tg_tensor *one = ops[k](tg_input(g, TG_F32, TG_SHAPE(1), &x[idx[j]]));
            same &= tg_f32(one)[0] == tg_f32(big)[idx[j]];
        }
        /* a middle slice of odd length lands on different lanes */
        tg_tensor *mid = ops[k](tg_input(g, TG_F32, TG_SHAPE(101), x + 777));
        for (int i = 0; i < 101; i++) same &= tg_f32(mid)[i] == tg_f32(big)[777 + i];
        TT_CHECK(same);
        tg_graph_free(g);
    }
    /* tanh_backward: runs of fewer than 4 elements take a scalar path */
    tg_graph *g = tg_graph_new();
    float *gv = malloc(sizeof(float) * N);
    for (int i = 0; i < N; i++) {
        x[i] = (float)((i * 2654435761u) % 20001) * 1e-4f - 1;
        gv[i] = (float)((i * 40503u) % 997) * 0.01f - 5;
    }
    x[3] = 0.5f, x[4] = -0.4999999f, x[6] = 3e20f, x[7] = -INFINITY;
    for (int dt = 0; dt < 2; dt++) {
        tg_dtype d = dt ? TG_F64 : TG_F32;
        tg_tensor *xt = tg_input(g, TG_F32, TG_SHAPE(N), x);
        tg_tensor *gt = tg_input(g, TG_F32, TG_SHAPE(N), gv);
        if (dt) xt = tg_cast(xt, d), gt = tg_cast(gt, d);
        tg_tensor *big = tg_tanh_backward(gt, xt);
        bool same = true;
        for (int i = 0; i < 40; i++) {
            tg_tensor *yi = tg_input(g, TG_F32, TG_SHAPE(1), &x[i]);
            tg_tensor *gi = tg_input(g, TG_F32, TG_SHAPE(1), &gv[i]);
            if (dt) yi = tg_cast(yi, d), gi = tg_cast(gi, d);
            tg_tensor *one = tg_tanh_backward(gi, yi);
            tg_tensor *zero_d = tg_tanh_backward(tg_reshape(gi, 0, NULL),
                                                 tg_reshape(yi, 0, NULL));
            same &= tg_get(one, 0) == tg_get(big, i);
            same &= tg_get(zero_d, 0) == tg_get(big, i);
        }
        TT_CHECK(same);
    }
    TT_CHECK(tg_graph_error(g) == NULL);
    tg_graph_free(g);
    free(gv);
    free(x);
}

/* ------------------------------------------------------------- errors */

static void errors(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(4, 10), NULL);
    TT_CHECK(tg_clamp(x, 2, 1) == tg_clamp(x, 0, 1)); /* poison after error */
    TT_STREQ(tg_graph_error(g), "tg_clamp: min 2 > max 1; hint: pass the lower bound first");
    tg_graph_reset(g);
    x = tg_input(g, TG_F64, TG_SHAPE(4, 10), NULL);
    tg_clamp(x, NAN, 1);
    TT_STREQ(tg_graph_error(g), "tg_clamp: bounds must not be NaN (min nan, max 1); "
                                "hint: use -INFINITY or INFINITY for an open side");
    tg_graph_reset(g);
    x = tg_input(g, TG_F64, TG_SHAPE(4, 10), NULL);
    tg_maxout(x, 3);
    TT_STREQ(tg_graph_error(g), "tg_maxout: last dim 10 of [4,10] is not divisible by "
                                "k = 3; hint: k must divide the feature count");
    TT_CHECK(tg_graph_status(g) == TG_ERR_SHAPE);
    tg_graph_reset(g);
    x = tg_input(g, TG_F64, TG_SHAPE(4, 10), NULL);
    tg_maxout(x, 0);
    TT_STREQ(tg_graph_error(g), "tg_maxout: k must lie in [1, 2147483647] "
                                "(got 0); hint: k is the number of pieces "
                                "per output feature");
    tg_graph_reset(g);
    x = tg_input(g, TG_F64, TG_SHAPE(2, 3, 5), NULL);
    tg_prelu(x, tg_input(g, TG_F64, TG_SHAPE(4), NULL));
    TT_STREQ(tg_graph_error(g), "tg_prelu: alpha has shape [4] but x [2,3,5] has 3 "
                                "channels (dim 1); hint: alpha needs 1 value or one "
                                "per channel");
    tg_graph_reset(g);
    x = tg_input(g, TG_F64, TG_SHAPE(5), NULL);
    tg_prelu(x, tg_input(g, TG_F64, TG_SHAPE(5), NULL));
    TT_STREQ(tg_graph_error(g), "tg_prelu: alpha has shape [5] but x [5] has no channel "
                                "axis (fewer than 2 dims); hint: alpha needs 1 value");
    tg_graph_reset(g);
    x = tg_input(g, TG_F64, TG_SHAPE(3), NULL);
    tg_rrelu(x, 0.5, 0.25);
    TT_STREQ(tg_graph_error(g), "tg_rrelu: lower 0.5 > upper 0.25; hint: the slope is "
                                "drawn from U(lower, upper)");
    TT_CHECK(tg_graph_status(g) == TG_ERR_ARG);
    tg_graph_reset(g);
    x = tg_input(g, TG_F64, TG_SHAPE(3), NULL);
    tg_elu(x, -1);
    TT_STREQ(tg_graph_error(g), "tg_elu: alpha must be >= 0 (got -1); hint: the negative "
                                "side saturates at -alpha");
    tg_graph_reset(g);
    x = tg_input(g, TG_F64, TG_SHAPE(3), NULL);
    tg_celu(x, 0);
    TT_STREQ(tg_graph_error(g), "tg_celu: alpha must be > 0 (got 0); hint: celu divides x by alpha");
    tg_graph_reset(g);
    x = tg_input(g, TG_F64, TG_SHAPE(3), NULL);
    tg_softplus(x, -1, 20);
    TT_STREQ(tg_graph_error(g), "tg_softplus: beta must be > 0 (got -1); hint: softplus "
                                "divides by beta");
    tg_graph_reset(g);
    x = tg_input(g, TG_F64, TG_SHAPE(3), NULL);
    tg_hardshrink(x, -0.5);
    TT_STREQ(tg_graph_error(g), "tg_hardshrink: lambda must be >= 0 (got -0.5)");
    tg_graph_reset(g);
    x = tg_input(g, TG_F64, TG_SHAPE(3), NULL);
    tg_leaky_relu(x, INFINITY);
    TT_STREQ(tg_graph_error(g), "tg_leaky_relu: alpha must be finite (got inf)");
    tg_graph_reset(g);
    /* broadcasting errors of the binary ops */
    x = tg_input(g, TG_F64, TG_SHAPE(3, 4), NULL);
    tg_maximum(x, tg_input(g, TG_F64, TG_SHAPE(5), NULL));
    TT_STREQ(tg_graph_error(g), "tg_maximum: shapes [3,4] and [5] do not broadcast (dim "
                                "-1: 4 vs 5); hint: dims must match or be 1, aligned "
                                "from the right");
    tg_graph_reset(g);
    x = tg_input(g, TG_F64, TG_SHAPE(3, 4), NULL);
    tg_gelu_backward(tg_input(g, TG_F32, TG_SHAPE(3, 4), NULL), x);
    TT_STREQ(tg_graph_error(g), "tg_gelu_backward: dtypes differ: input 1 is f32, input 2 "
                                "is f64; hint: convert with tg_cast");
    tg_graph_reset(g);
    x = tg_input(g, TG_F64, TG_SHAPE(3, 4), NULL);
    tg_pow(x, tg_input(g, TG_F64, TG_SHAPE(2, 4), NULL));
    TT_CONTAINS(tg_graph_error(g), "tg_pow: shapes [3,4] and [2,4] do not broadcast");
    tg_graph_free(g);
}

/* Errors never abort and poison propagates through every op here. */
static void poison_propagates(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(3), NULL);
    tg_tensor *p = tg_clamp(x, 1, 0);
    tg_tensor *(*ops[])(tg_tensor *) = {tg_gelu, tg_relu, tg_sigmoid, tg_exp,
                                        tg_abs, tg_logsigmoid, tg_selu};
    for (unsigned k = 0; k < sizeof ops / sizeof ops[0]; k++) TT_CHECK(ops[k](p) == p);
    TT_CHECK(tg_maximum(p, x) == p);
    TT_CONTAINS(tg_graph_error(g), "tg_clamp: min 1 > max 0");
    tg_graph_free(g);
}

TT_RUN(TT(gradcheck_all), TT(values_vs_libm), TT(values_with_attributes),
       TT(special_values), TT(kinks), TT(ties), TT(maxout_values),
       TT(prelu_values), TT(rrelu_random), TT(fused_vs_composite),
       TT(second_derivatives_by_hand), TT(f32_backward),
       TT(position_independent), TT(errors), TT(poison_propagates))
