/* tg_gradcheck: known-good functions pass, wrong gradients fail at the
 * right element with the right values, extra checks (determinism, zero
 * seed, gradgrad, fast mode, kinks), argument errors. */
#include <stdlib.h>
#include <tapegrad/tapegrad.h>

#include "tt.h"

static tg_check_arg arg(const char *name, int ndim, const int64_t *shape,
                        const double *data)
{
    tg_check_arg a = {0};
    a.name = name;
    a.ndim = ndim;
    for (int i = 0; i < ndim; i++) a.shape[i] = shape[i];
    a.data = data;
    return a;
}

/* f(a, b) = tanh(a @ b + a_row_sum) — matmul, broadcasting, tanh. */
static tg_tensor *fn_mlpish(tg_graph *g, tg_tensor *const *in, int n, void *ud)
{
    (void)g, (void)n, (void)ud;
    tg_tensor *ab = tg_matmul(in[0], in[1]);
    tg_tensor *rs = tg_sum(in[0], 1, (int64_t[]){1}, true); /* [3,1] */
    return tg_tanh(tg_add(ab, rs));
}

static void good_passes(void)
{
    tg_check_arg a[2] = {arg("a", TG_SHAPE(3, 4), NULL),
                         arg("b", TG_SHAPE(4, 2), NULL)};
    tg_check_report r;
    tg_check_opts o = tg_check_defaults();
    TT_CHECK(tg_gradcheck(fn_mlpish, NULL, 2, a, &o, &r) == TG_OK);
    TT_CHECK(r.pass && r.deterministic && r.zero_seed_ok && r.gradgrad_pass);
    TT_CHECK(r.n_inputs == 2);
    TT_CHECK(r.in[0].checked && r.in[0].pass && r.in[1].pass);
    TT_CHECK(r.in[0].ndim == 2 && r.in[0].shape[0] == 3 &&
             r.in[0].shape[1] == 4);
    TT_CHECK(r.in[0].max_abs_err < 1e-7 && r.in[1].max_abs_err < 1e-7);
    TT_CHECK(r.in[0].worst >= 0 && r.in[0].worst < 12);
    TT_STREQ(r.message, "");
    /* sum_only and NULL opts / NULL report also work */
    o.sum_only = true;
    TT_CHECK(tg_gradcheck(fn_mlpish, NULL, 2, a, &o, NULL) == TG_OK);
    TT_CHECK(tg_gradcheck(fn_mlpish, NULL, 2, a, NULL, NULL) == TG_OK);
}

/* f(x) = x * detach(x): the analytic gradient is x (the detached factor is
 * a constant), the true derivative of x^2 is 2x. With x chosen so that
 * element 2 has the largest |x|, the worst element is 2, analytic = w2*x2
 * and numeric = 2*w2*x2. sum_only makes w = 1. */
static tg_tensor *fn_detached(tg_graph *g, tg_tensor *const *in, int n,
                              void *ud)
{
    (void)g, (void)n, (void)ud;
    return tg_mul(in[0], tg_detach(in[0]));
}

static void wrong_gradient_fails(void)
{
    double xv[4] = {0.1, -0.3, 0.9, 0.2};
    tg_check_arg a = arg("x", TG_SHAPE(4), xv);
    tg_check_opts o = tg_check_defaults();
    o.sum_only = true;
    tg_check_report r;
    TT_CHECK(tg_gradcheck(fn_detached, NULL, 1, &a, &o, &r) == TG_ERR_NUMERIC);
    TT_CHECK(!r.pass && !r.in[0].pass && r.in[0].checked);
    TT_CHECK(r.in[0].worst == 2);
    TT_NEAR(r.in[0].analytic, 0.9, 1e-12);
    TT_NEAR(r.in[0].numeric, 1.8, 1e-7);
    TT_NEAR(r.in[0].max_abs_err, 0.9, 1e-7);
    TT_NEAR(r.in[0].max_rel_err, 0.5, 1e-7);
    TT_CHECK(!r.in[0].at_kink);
    TT_CHECK(r.deterministic && r.zero_seed_ok);
    TT_STREQ(r.message, "input 1 (x): analytic 0.9 vs numeric 1.8 at "
                        "element 2");
    char buf[32];
    tg_check_format_index(buf, sizeof buf, &r.in[0]);
    TT_STREQ(buf, "(2)");
}

/* Two inputs, only the second has a wrong term; 2-d index reporting.
 * f(a, b) = a*b + b*detach(b): dL/da = b (right), analytic dL/db = a + b,
 * true 2b + a. Worst element of b: largest |b| at flat 4 = (1,1). */
static tg_tensor *fn_two(tg_graph *g, tg_tensor *const *in, int n, void *ud)
{
    (void)g, (void)n, (void)ud;
    return tg_add(tg_mul(in[0], in[1]), tg_mul(in[1], tg_detach(in[1])));
}

static void wrong_second_input(void)
{
    double av[6] = {0.5, -0.2, 0.3, 0.1, 0.7, -0.6};
    double bv[6] = {0.2, 0.1, -0.3, 0.25, -0.95, 0.4};
    tg_check_arg a[2] = {arg("a", TG_SHAPE(2, 3), av),
                         arg("b", TG_SHAPE(2, 3), bv)};
    tg_check_opts o = tg_check_defaults();
    o.sum_only = true;
    tg_check_report r;
    TT_CHECK(tg_gradcheck(fn_two, NULL, 2, a, &o, &r) == TG_ERR_NUMERIC);
    TT_CHECK(r.in[0].pass);
    TT_CHECK(!r.in[1].pass);
    TT_CHECK(r.in[1].worst == 4);
    TT_NEAR(r.in[1].analytic, 0.7 - 0.95, 1e-12);
    TT_NEAR(r.in[1].numeric, 0.7 - 2 * 0.95, 1e-7);
    char buf[32];
    tg_check_format_index(buf, sizeof buf, &r.in[1]);
    TT_STREQ(buf, "(1,1)");
}

/* With random weights w the failing element is still the largest |x_k w_k|;
 * check the report is consistent with w = analytic/x. */
static void wrong_weighted(void)
{
    double xv[5] = {0.3, -0.4, 0.5, -0.6, 0.7};
    tg_check_arg a = arg("x", TG_SHAPE(5), xv);
    tg_check_report r;
    TT_CHECK(tg_gradcheck(fn_detached, NULL, 1, &a, NULL, &r) ==
             TG_ERR_NUMERIC);
    int64_t k = r.in[0].worst;
    TT_CHECK(k >= 0 && k < 5);
    if (k >= 0 && k < 5) {
        double w = r.in[0].analytic / xv[k];
        TT_CHECK(fabs(w) >= 0.5 && fabs(w) <= 1.5);
        TT_NEAR(r.in[0].numeric, 2 * w * xv[k], 1e-7);
    }
}

/* no_grad inputs are passed but not differentiated. */
static tg_tensor *fn_scale(tg_graph *g, tg_tensor *const *in, int n, void *ud)
{
    (void)g, (void)n, (void)ud;
    return tg_mul(tg_tanh(in[0]), in[1]);
}

static void no_grad_input(void)
{
    tg_check_arg a[2] = {arg("x", TG_SHAPE(3), NULL),
                         arg("t", TG_SHAPE(3), NULL)};
    a[1].no_grad = true;
    tg_check_report r;
    TT_CHECK(tg_gradcheck(fn_scale, NULL, 2, a, NULL, &r) == TG_OK);
    TT_CHECK(r.in[0].checked && !r.in[1].checked && r.in[1].worst == -1);
    /* nothing differentiated at all: a vacuous pass */
    a[0].no_grad = true;
    TT_CHECK(tg_gradcheck(fn_scale, NULL, 2, a, NULL, &r) == TG_OK);
    TT_CHECK(r.pass && r.deterministic && r.zero_seed_ok && !r.in[0].checked);
}

/* Fast mode: passes on a good function; on a wrong one falls back to the
 * full check and names the worst element. */
static void fast_mode(void)
{
    tg_check_arg a[2] = {arg("a", TG_SHAPE(3, 4), NULL),
                         arg("b", TG_SHAPE(4, 2), NULL)};
    tg_check_opts o = tg_check_defaults();
    o.fast = true;
    tg_check_report r;
    TT_CHECK(tg_gradcheck(fn_mlpish, NULL, 2, a, &o, &r) == TG_OK);
    TT_CHECK(r.in[0].worst == -1 && r.in[0].max_abs_err < 1e-7);
    TT_CHECK(r.in[0].analytic != 0);
    double xv[4] = {0.1, -0.3, 0.9, 0.2};
    tg_check_arg b = arg("x", TG_SHAPE(4), xv);
    o.sum_only = true;
    TT_CHECK(tg_gradcheck(fn_detached, NULL, 1, &b, &o, &r) == TG_ERR_NUMERIC);
    TT_CHECK(r.in[0].worst == 2);
    TT_NEAR(r.in[0].numeric, 1.8, 1e-7);
}

/* Second derivatives of a smooth function pass. */
static void gradgrad(void)
{
    tg_check_arg a[2] = {arg("a", TG_SHAPE(3, 4), NULL),
                         arg("b", TG_SHAPE(4, 2), NULL)};
    tg_check_opts o = tg_check_defaults();
    o.gradgrad = true;
    tg_check_report r;
    TT_CHECK(tg_gradcheck(fn_mlpish, NULL, 2, a, &o, &r) == TG_OK);
    TT_CHECK(r.gradgrad_pass && !r.gradgrad_skipped && r.n_gradgrad == 3);
    TT_CHECK(r.gradgrad[2].checked && r.gradgrad[2].pass);
    TT_STREQ(r.gradgrad[2].name, "grad_output");
    TT_CHECK(r.gradgrad[2].ndim == 2 && r.gradgrad[2].shape[1] == 2);
}

/* f(x) = x*detach(x) - detach(x)^2/2 equals x^2/2 with the right first
 * derivative c = x, but the gradient c is a constant of the tape: the
 * double backward misses d(dL/dx)/dx = w. S = sum r w c, analytic
 * dS/dx = 0, numeric r*w. With sum_only (w = 1) the numeric value at the
 * worst element is r_k, a weight in [0.5, 1.5] in magnitude. */
static tg_tensor *fn_grad_const(tg_graph *g, tg_tensor *const *in, int n,
                                void *ud)
{
    (void)g, (void)n, (void)ud;
    tg_tensor *c = tg_detach(in[0]);
    return tg_sub(tg_mul(in[0], c), tg_mul_scalar(tg_mul(c, c), 0.5));
}

static void gradgrad_wrong(void)
{
    double xv[3] = {0.2, -0.7, 0.4};
    tg_check_arg a = arg("x", TG_SHAPE(3), xv);
    tg_check_opts o = tg_check_defaults();
    o.sum_only = true;
    tg_check_report r;
    TT_CHECK(tg_gradcheck(fn_grad_const, NULL, 1, &a, &o, &r) == TG_OK);
    o.gradgrad = true;
    TT_CHECK(tg_gradcheck(fn_grad_const, NULL, 1, &a, &o, &r) ==
             TG_ERR_NUMERIC);
    TT_CHECK(r.in[0].pass && !r.gradgrad_pass && !r.pass);
    TT_CHECK(!r.gradgrad[0].pass && r.gradgrad[0].worst >= 0);
    TT_NEAR(r.gradgrad[0].analytic, 0, 0);
    TT_CHECK(fabs(r.gradgrad[0].numeric) >= 0.5 &&
             fabs(r.gradgrad[0].numeric) <= 1.5);
    TT_CHECK(fabs(r.gradgrad[0].numeric) == r.gradgrad[0].max_abs_err ||
             fabs(fabs(r.gradgrad[0].numeric) - r.gradgrad[0].max_abs_err) <
                 1e-7);
    /* dS/dw = r*c is right */
    TT_CHECK(r.gradgrad[1].pass);
    TT_CONTAINS(r.message, "gradgrad: input 1 (x): analytic 0 vs numeric");
}

/* tanh_backward is a fused VJP: its own gradient must be right too. */
static tg_tensor *fn_tanh_twice(tg_graph *g, tg_tensor *const *in, int n,
                                void *ud)
{
    (void)g, (void)n, (void)ud;
    return tg_tanh(tg_tanh(tg_mul(in[0], in[0])));
}

static void gradgrad_tanh(void)
{
    tg_check_arg a = arg("x", TG_SHAPE(5), NULL);
    tg_check_opts o = tg_check_defaults();
    o.gradgrad = true;
    o.seed = 7;
    tg_check_report r;
    TT_CHECK(tg_gradcheck(fn_tanh_twice, NULL, 1, &a, &o, &r) == TG_OK);
    TT_CHECK(r.gradgrad[0].pass && r.gradgrad[0].max_abs_err < 1e-6);
}

/* Backward is run twice on one tape; the engine is deterministic, so the
 * flag holds even with a zero tolerance. */
static void determinism_flag(void)
{
    tg_check_arg a = arg("x", TG_SHAPE(3), NULL);
    tg_check_report r;
    TT_CHECK(tg_gradcheck(fn_tanh_twice, NULL, 1, &a, NULL, &r) == TG_OK);
    TT_CHECK(r.deterministic && r.zero_seed_ok);
}

/* |x| style kink: x*x*sign... built from available ops: sqrt is not core,
 * so use a piecewise function through a data-dependent detach: f(x) = x*c
 * where c = +1 for x >= 0 and -1 otherwise, computed inside the function
 * (so it is |x| with the right gradient sign(x)); at x = 0 exactly the
 * central difference gives 0, the analytic +1. */
static tg_tensor *fn_abs(tg_graph *g, tg_tensor *const *in, int n, void *ud)
{
    (void)n, (void)ud;
    tg_tensor *x = in[0];
    double s[8];
    for (int64_t k = 0; k < x->numel && k < 8; k++)
        s[k] = tg_get(x, k) >= 0 ? 1.0 : -1.0;
    tg_tensor *c = tg_constant(g, TG_F64, x->ndim, x->shape, s);
    return tg_mul(x, c);
}

static void kink_reported_and_avoided(void)
{
    double xv[4] = {0.4, 0.0, -0.5, 0.3};
    tg_check_arg a = arg("x", TG_SHAPE(4), xv);
    tg_check_opts o = tg_check_defaults();
    o.sum_only = true;
    tg_check_report r;
    TT_CHECK(tg_gradcheck(fn_abs, NULL, 1, &a, &o, &r) == TG_ERR_NUMERIC);
    TT_CHECK(r.in[0].worst == 1);
    TT_CHECK(r.in[0].at_kink);
    TT_NEAR(r.in[0].analytic, 1.0, 0);
    TT_NEAR(r.in[0].numeric, 0.0, 1e-9);
    TT_CONTAINS(r.message, "non-differentiable point");
    o.kink_margin = 1e-3;
    TT_CHECK(tg_gradcheck(fn_abs, NULL, 1, &a, &o, &r) == TG_OK);
    TT_CHECK(r.kinks_moved == 1);
}

/* Errors: a build error comes back with its message; bad arguments. */
static tg_tensor *fn_bad_shapes(tg_graph *g, tg_tensor *const *in, int n,
                                void *ud)
{
    (void)g, (void)n, (void)ud;
    return tg_add(in[0], in[1]);
}

static tg_tensor *fn_null(tg_graph *g, tg_tensor *const *in, int n, void *ud)
{
    (void)g, (void)in, (void)n, (void)ud;
    return NULL;
}

static void errors(void)
{
    tg_check_arg a[2] = {arg("a", TG_SHAPE(3), NULL),
                         arg("b", TG_SHAPE(4), NULL)};
    tg_check_report r;
    TT_CHECK(tg_gradcheck(fn_bad_shapes, NULL, 2, a, NULL, &r) ==
             TG_ERR_SHAPE);
    TT_CHECK(!r.pass);
    TT_CONTAINS(r.message, "tg_gradcheck: building the function: tg_add:");
    TT_CONTAINS(tg_last_error(), "tg_gradcheck: building the function");
    TT_CHECK(tg_gradcheck(fn_null, NULL, 1, a, NULL, &r) == TG_ERR_ARG);
    TT_STREQ(r.message, "tg_gradcheck: building the function: the function "
                        "returned NULL without setting a graph error");
    TT_CHECK(tg_gradcheck(NULL, NULL, 1, a, NULL, &r) == TG_ERR_ARG);
    TT_STREQ(r.message, "tg_gradcheck: the function is NULL");
    TT_CHECK(tg_gradcheck(fn_null, NULL, 17, a, NULL, &r) == TG_ERR_ARG);
    tg_check_opts o = tg_check_defaults();
    o.eps = 0;
    TT_CHECK(tg_gradcheck(fn_mlpish, NULL, 2, a, &o, &r) == TG_ERR_ARG);
    TT_CONTAINS(r.message, "bad options (eps 0 must be > 0");
    tg_check_arg bad = arg("x", TG_SHAPE(2), NULL);
    bad.shape[0] = -3;
    TT_CHECK(tg_gradcheck(fn_tanh_twice, NULL, 1, &bad, NULL, &r) ==
             TG_ERR_SHAPE);
}

/* The printed table names inputs, shapes and the verdict. */
static void printing(void)
{
    double xv[4] = {0.1, -0.3, 0.9, 0.2};
    tg_check_arg a = arg("x", TG_SHAPE(2, 2), xv);
    tg_check_opts o = tg_check_defaults();
    o.sum_only = true;
    tg_check_report r;
    tg_gradcheck(fn_detached, NULL, 1, &a, &o, &r);
    char buf[4096] = {0};
    FILE *f = fmemopen(buf, sizeof buf - 1, "w");
    tg_check_report_print(&r, f);
    fclose(f);
    TT_CONTAINS(buf, "input");
    TT_CONTAINS(buf, "[2,2]");
    TT_CONTAINS(buf, "(1,0)");
    TT_CONTAINS(buf, "FAIL");
    TT_CONTAINS(buf, "backward twice gives the same result: yes");
}

/* Allocation failures inside the check report TG_ERR_OOM, never crash,
 * and leak nothing. */
/* ------------------------------------------------- finding the faulty op */

/* A deliberately wrong user op: y = scale x², whose VJP forgets the 2. */
static tg_status badsq_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    const tg_tensor *x = tg_node_input(n, 0);
    tg_tensor *y = tg_node_output(n);
    double s = tg_node_real(n, "scale");
    for (int64_t i = 0; i < y->numel; i++) {
        double v = tg_get(x, i);
        if (tg_f64(y)) tg_f64(y)[i] = s * v * v;
        else tg_f32(y)[i] = (float)(s * v * v);
    }
    return TG_OK;
}

static void badsq_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                      const bool *need, tg_tensor **gx)
{
    (void)g, (void)need;
    tg_tensor *x = tg_node_input(n, 0);
    gx[0] = tg_mul(gy, tg_mul_scalar(x, tg_node_real(n, "scale")));
}

static TG_OP_DEFINE(badsq, .n_inputs = 1, .forward = badsq_fwd,
                    .vjp = badsq_vjp,
                    .attrs = {{.name = "scale", .kind = TG_ATTR_REAL,
                               .def = 1}});

static tg_tensor *apply_badsq(tg_tensor *x, double scale)
{
    tg_attrs a = tg_attrs_defaults(&badsq);
    a.f[0] = scale;
    return tg_apply(&badsq, &x, 1, &a);
}

/* tanh(sum(badsq(a @ b, scale=2), axis=1) + 1): the matmul (node 0) is
 * right, badsq (node 1) wrong, sum and tanh downstream right. */
static tg_tensor *fn_badsq(tg_graph *g, tg_tensor *const *in, int n, void *ud)
{
    (void)g, (void)n, (void)ud;
    tg_tensor *h = apply_badsq(tg_matmul(in[0], in[1]), 2);
    return tg_tanh(tg_add_scalar(tg_sum(h, 1, (int64_t[]){1}, false), 1));
}

static void locate_wrong_user_op(void)
{
    tg_check_arg a[2] = {arg("a", TG_SHAPE(3, 4), NULL),
                         arg("b", TG_SHAPE(4, 2), NULL)};
    tg_check_report r;
    TT_CHECK(tg_gradcheck(fn_badsq, NULL, 2, a, NULL, &r) == TG_ERR_NUMERIC);
    TT_CHECK(!r.in[0].pass && !r.in[1].pass);
    const tg_check_culprit *cu = &r.culprit;
    TT_CHECK(cu->searched);
    TT_CHECK(cu->kind == TG_CULPRIT_VJP);
    TT_STREQ(cu->op, "badsq");
    TT_CHECK(cu->node == 1);
    TT_CHECK(cu->n_in == 1 && cu->in_ndim[0] == 2 && cu->in_shape[0][0] == 3 &&
             cu->in_shape[0][1] == 2);
    TT_STREQ(cu->attrs, "scale=2");
    TT_CHECK(cu->input == 0);
    TT_CHECK(cu->worst >= 0 && cu->worst < 6);
    TT_CHECK(cu->worst_ndim == 2 && cu->worst_shape[1] == 2);
    /* the VJP gives w scale x, the local difference 2 w scale x */
    TT_CHECK(fabs(cu->analytic) > 0.01);
    TT_NEAR(cu->numeric, 2 * cu->analytic, 1e-6);
    TT_CONTAINS(cu->text, "node #1 badsq([3,2]; scale=2): its VJP of input 1 is ");
    TT_STREQ(tg_culprit_kind_str(cu->kind), "vjp");

    /* the printed report names it */
    char buf[8192] = {0};
    FILE *f = fmemopen(buf, sizeof buf - 1, "w");
    tg_check_report_print(&r, f);
    fclose(f);
    TT_CONTAINS(buf, "faulty op: node #1 badsq([3,2]; scale=2)");

    /* locate = -1: not searched */
    tg_check_opts o = tg_check_defaults();
    o.locate = -1;
    TT_CHECK(tg_gradcheck(fn_badsq, NULL, 2, a, &o, &r) == TG_ERR_NUMERIC);
    TT_CHECK(!r.culprit.searched && r.culprit.kind == TG_CULPRIT_NONE &&
             r.culprit.node == -1);

    /* locate = 1 on a right function: searched, every op passes */
    o.locate = 1;
    TT_CHECK(tg_gradcheck(fn_mlpish, NULL, 2, a, &o, &r) == TG_OK);
    TT_CHECK(r.culprit.searched && r.culprit.kind == TG_CULPRIT_NONE);
}

/* A composition of many built-in ops, right: the search blames none. */
static tg_tensor *fn_many(tg_graph *g, tg_tensor *const *in, int n, void *ud)
{
    (void)g, (void)n, (void)ud;
    tg_tensor *h = tg_layer_norm(tg_matmul(in[0], in[1]), NULL, NULL, 1e-5);
    tg_tensor *s = tg_softmax(tg_mul(h, tg_sigmoid(h)), -1);
    tg_tensor *m = tg_mean(tg_exp(tg_sub(s, in[2])), 0, (int64_t[]){0}, true);
    return tg_div(tg_log(tg_add_scalar(tg_square(m), 1)), tg_add_scalar(m, 3));
}

static void locate_none_in_right_ops(void)
{
    tg_check_arg a[3] = {arg("a", TG_SHAPE(3, 4), NULL),
                         arg("b", TG_SHAPE(4, 5), NULL),
                         arg("c", TG_SHAPE(5), NULL)};
    tg_check_opts o = tg_check_defaults();
    o.locate = 1;
    tg_check_report r;
    TT_CHECK(tg_gradcheck(fn_many, NULL, 3, a, &o, &r) == TG_OK);
    TT_CHECK(r.culprit.searched);
    TT_CHECK(r.culprit.kind == TG_CULPRIT_NONE);
    TT_STREQ(r.culprit.text, "");
}

static tg_tensor *fn_log_mul(tg_graph *g, tg_tensor *const *in, int n,
                             void *ud)
{
    (void)g, (void)n, (void)ud;
    return tg_tanh(tg_mul(tg_log(in[0]), in[1]));
}

static tg_tensor *fn_sqrt_mul(tg_graph *g, tg_tensor *const *in, int n,
                              void *ud)
{
    (void)g, (void)n, (void)ud;
    return tg_mul(tg_sqrt(in[0]), in[1]);
}

static void locate_nonfinite(void)
{
    /* log(0) = -inf in the forward pass: node 0, element 1 */
    double xv[3] = {0.5, 0, 2}, yv[3] = {1, 2, 3};
    tg_check_arg a[2] = {arg("x", TG_SHAPE(3), xv), arg("y", TG_SHAPE(3), yv)};
    tg_check_report r;
    TT_CHECK(tg_gradcheck(fn_log_mul, NULL, 2, a, NULL, &r) == TG_ERR_NUMERIC);
    const tg_check_culprit *cu = &r.culprit;
    TT_CHECK(cu->kind == TG_CULPRIT_NONFINITE_OUT);
    TT_STREQ(cu->op, "log");
    TT_CHECK(cu->node == 0 && cu->input == 0 && cu->worst == 1);
    TT_CHECK(isinf(cu->analytic) && cu->analytic < 0);
    TT_CHECK(cu->numeric == 0);
    TT_CONTAINS(cu->text, "node #0 log([3]): the output holds -Inf at (1) "
                          "from finite inputs (input 1 = 0)");

    /* sqrt'(0) = inf in the backward pass, from a finite upstream y */
    TT_CHECK(tg_gradcheck(fn_sqrt_mul, NULL, 2, a, NULL, &r) == TG_ERR_NUMERIC);
    TT_CHECK(cu->kind == TG_CULPRIT_NONFINITE_GRAD);
    TT_STREQ(cu->op, "sqrt");
    TT_CHECK(cu->node == 0 && cu->input == 0 && cu->worst == 1);
    TT_CHECK(isinf(cu->analytic) && cu->analytic > 0);
    TT_CHECK(cu->numeric == 0);
    TT_CONTAINS(cu->text, "its VJP gives +Inf in the gradient of input 1 at "
                          "(1) (where the input is 0)");
}

static tg_tensor *fn_relu(tg_graph *g, tg_tensor *const *in, int n, void *ud)
{
    (void)g, (void)n, (void)ud;
    return tg_mul_scalar(tg_relu(in[0]), 3);
}

static void locate_kink(void)
{
    double xv[3] = {0.5, 0, -0.3};
    tg_check_arg a = arg("x", TG_SHAPE(3), xv);
    tg_check_report r;
    TT_CHECK(tg_gradcheck(fn_relu, NULL, 1, &a, NULL, &r) == TG_ERR_NUMERIC);
    TT_CHECK(r.in[0].at_kink && r.in[0].worst == 1);
    TT_CHECK(r.culprit.kind == TG_CULPRIT_KINK);
    TT_STREQ(r.culprit.op, "relu");
    TT_CHECK(r.culprit.node == 0 && r.culprit.worst == 1);
}

/* ------------------------------------------------------- forward mode */

static tg_tensor *fn_badsq_only(tg_graph *g, tg_tensor *const *in, int n,
                                void *ud)
{
    (void)g, (void)n, (void)ud;
    return apply_badsq(in[0], 1);
}

static void forward_mode(void)
{
    tg_check_arg a[2] = {arg("a", TG_SHAPE(3, 4), NULL),
                         arg("b", TG_SHAPE(4, 2), NULL)};
    tg_check_opts o = tg_check_defaults();
    o.forward = true;
    tg_check_report r;
    TT_CHECK(tg_gradcheck(fn_mlpish, NULL, 2, a, &o, &r) == TG_OK);
    TT_CHECK(r.forward_pass && r.n_forward == 2);
    for (int i = 0; i < 2; i++) {
        TT_CHECK(r.forward[i].checked && r.forward[i].pass);
        /* rows index the output [3,2] */
        TT_CHECK(r.forward[i].ndim == 2 && r.forward[i].shape[0] == 3 &&
                 r.forward[i].shape[1] == 2);
        TT_CHECK(r.forward[i].worst >= 0 && r.forward[i].worst < 6);
        TT_CHECK(r.forward[i].max_abs_err < 1e-8);
        TT_CHECK(fabs(r.forward[i].numeric) > 1e-3);
    }
    TT_STREQ(r.forward[0].name, "a");
    TT_CHECK(!r.culprit.searched);

    /* the wrong op's JVP is half the directional difference everywhere */
    double xv[4] = {0.5, -1, 2, 0.25};
    tg_check_arg x = arg("x", TG_SHAPE(4), xv);
    TT_CHECK(tg_gradcheck(fn_badsq_only, NULL, 1, &x, &o, &r) ==
             TG_ERR_NUMERIC);
    TT_CHECK(!r.forward_pass && !r.forward[0].pass && !r.forward[0].at_kink);
    TT_CHECK(r.forward[0].worst >= 0 && r.forward[0].worst < 4);
    TT_NEAR(r.forward[0].numeric, 2 * r.forward[0].analytic, 1e-6);
    TT_CHECK(r.culprit.kind == TG_CULPRIT_VJP);
    TT_STREQ(r.culprit.op, "badsq");
}

/* ------------------------------------------------ anyone's gradient */

/* f(x) = sum_k (k+1) x_k^3, grad 3 (k+1) x_k^2; ud non-NULL: the bug of
 * writing 3 x_k^2 at k = 2 (a forgotten factor). */
static double raw_cubic(const double *x, double *grad, size_t n, void *ud)
{
    double f = 0;
    for (size_t k = 0; k < n; k++) {
        f += (double)(k + 1) * x[k] * x[k] * x[k];
        grad[k] = 3.0 * (double)(k + 1) * x[k] * x[k];
    }
    if (ud && n > 2) grad[2] = 3.0 * x[2] * x[2];
    return f;
}

static double raw_abs(const double *x, double *grad, size_t n, void *ud)
{
    (void)ud;
    double f = 0;
    for (size_t k = 0; k < n; k++) {
        f += fabs(x[k]);
        grad[k] = x[k] >= 0 ? 1 : -1; /* at 0, the right slope */
    }
    return f;
}

static int raw_calls;
static double raw_stateful(const double *x, double *grad, size_t n, void *ud)
{
    (void)ud;
    raw_calls++;
    for (size_t k = 0; k < n; k++) grad[k] = 1 + (k == 1 ? 1e-3 * raw_calls : 0);
    double f = 0;
    for (size_t k = 0; k < n; k++) f += x[k];
    return f;
}

static double raw_hole(const double *x, double *grad, size_t n, void *ud)
{
    (void)ud;
    double f = 0;
    for (size_t k = 0; k < n; k++) {
        f += x[k];
        if (k != 3) grad[k] = 1;
    }
    return f;
}

static void raw_function(void)
{
    double x[5] = {0.5, -1, 0.75, 2, -0.25};
    tg_check_report r;
    TT_CHECK(tg_gradcheck_raw(raw_cubic, NULL, 5, x, NULL, &r) == TG_OK);
    TT_CHECK(r.pass && r.n_inputs == 1 && r.in[0].checked);
    TT_STREQ(r.in[0].name, "x");
    TT_CHECK(r.in[0].ndim == 1 && r.in[0].shape[0] == 5);
    int64_t k = r.in[0].worst;
    TT_CHECK(k >= 0 && k < 5);
    TT_NEAR(r.in[0].analytic, 3.0 * (double)(k + 1) * x[k] * x[k], 1e-15);
    TT_CHECK(r.in[0].max_abs_err < 1e-8);

    /* the wrong element is found, with both values */
    int bug = 1;
    TT_CHECK(tg_gradcheck_raw(raw_cubic, &bug, 5, x, NULL, &r) ==
             TG_ERR_NUMERIC);
    TT_CHECK(!r.pass && !r.in[0].pass && r.in[0].worst == 2);
    TT_NEAR(r.in[0].analytic, 3 * 0.75 * 0.75, 1e-15);
    TT_NEAR(r.in[0].numeric, 9 * 0.75 * 0.75, 1e-7);
    TT_CHECK(!r.in[0].at_kink);
    TT_STREQ(r.message, "input 1 (x): analytic 1.6875 vs numeric 5.0625 at "
                        "element 2");

    /* random x from the seed: still right */
    TT_CHECK(tg_gradcheck_raw(raw_cubic, NULL, 40, NULL, NULL, &r) == TG_OK);

    /* |x| at 0: a kink, said so */
    double xa[3] = {0.5, 0, -2};
    TT_CHECK(tg_gradcheck_raw(raw_abs, NULL, 3, xa, NULL, &r) ==
             TG_ERR_NUMERIC);
    TT_CHECK(r.in[0].worst == 1 && r.in[0].at_kink);
    TT_NEAR(r.in[0].numeric, 0, 1e-9);
    tg_check_opts o = tg_check_defaults();
    o.kink_margin = 1e-3;
    TT_CHECK(tg_gradcheck_raw(raw_abs, NULL, 3, xa, &o, &r) == TG_OK);
    TT_CHECK(r.kinks_moved == 1);

    /* state between calls, an element left unwritten */
    raw_calls = 0;
    TT_CHECK(tg_gradcheck_raw(raw_stateful, NULL, 3, x, NULL, &r) ==
             TG_ERR_NUMERIC);
    TT_CHECK(!r.deterministic);
    TT_CONTAINS(r.message, "two calls at the same x wrote ");
    TT_CONTAINS(r.message, "to grad[1]; hint: the function must set every "
                           "element of grad");
    TT_CHECK(tg_gradcheck_raw(raw_hole, NULL, 5, x, NULL, &r) ==
             TG_ERR_NUMERIC);
    TT_CHECK(r.in[0].worst == 3 && isnan(r.in[0].analytic));
    TT_STREQ(r.message, "grad[3] is NaN after a call: the function did not "
                        "write it, or computed NaN there");

    /* argument errors name the function and hint */
    TT_CHECK(tg_gradcheck_raw(NULL, NULL, 5, x, NULL, &r) == TG_ERR_ARG);
    TT_STREQ(r.message, "tg_gradcheck_raw: the function is NULL (n = 5); "
                        "hint: pass the function and the number of its "
                        "inputs, n >= 1");
    TT_CHECK(tg_gradcheck_raw(raw_cubic, NULL, 0, x, NULL, &r) == TG_ERR_ARG);
    TT_CONTAINS(tg_last_error(), "tg_gradcheck_raw: n is out of range (n = 0)");
}

/* ------------------------------------------------------- f32 audit */

static tg_tensor *fn_audit(tg_graph *g, tg_tensor *const *in, int n, void *ud)
{
    (void)g, (void)n, (void)ud;
    /* node 0 mul_scalar, node 1 exp, node 2 sum */
    return tg_sum_all(tg_exp(tg_mul_scalar(in[0], 3)));
}

static tg_tensor *fn_branchy(tg_graph *g, tg_tensor *const *in, int n,
                             void *ud)
{
    (void)g, (void)n, (void)ud;
    return in[0]->dtype == TG_F32 ? tg_tanh(in[0]) : tg_sin(in[0]);
}

static void audit(void)
{
    double xv[4] = {0.1, -0.7, 0.33, 1.9};
    tg_check_arg a = arg("x", TG_SHAPE(4), xv);
    tg_audit_report *r = malloc(sizeof *r);
    TT_CHECK(tg_check_audit(fn_audit, NULL, 1, &a, NULL, r) == TG_OK);
    TT_CHECK(r->n_rows == 4 && r->n_rows_total == 4);
    TT_STREQ(r->message, "");
    /* worst first */
    for (int i = 1; i < r->n_rows; i++)
        TT_CHECK(fmax(r->rows[i - 1].value_err, r->rows[i - 1].grad_err) >=
                 fmax(r->rows[i].value_err, r->rows[i].grad_err));
    /* the input row: x rounded to f32, against x */
    double want_in = 0;
    for (int k = 0; k < 4; k++)
        want_in = fmax(want_in, fabs((double)(float)xv[k] - xv[k]));
    want_in /= 1.9;
    bool seen[4] = {false};
    for (int i = 0; i < r->n_rows; i++) {
        const tg_audit_row *w = &r->rows[i];
        if (w->node == -1) {
            seen[0] = true;
            TT_STREQ(w->op, "input x");
            TT_NEAR(w->value_err, want_in, 1e-12);
            TT_CHECK(w->grad_err > 0 && w->grad_err < 1e-6);
        } else {
            TT_CHECK(w->node >= 0 && w->node < 3);
            if (w->node >= 0 && w->node < 3) seen[1 + w->node] = true;
            /* every op rounds within a few f32 ulps here */
            TT_CHECK(w->value_err < 1e-6);
        }
    }
    TT_CHECK(seen[0] && seen[1] && seen[2] && seen[3]);
    for (int i = 0; i < r->n_rows; i++)
        if (r->rows[i].node == 2) {
            TT_STREQ(r->rows[i].op, "sum");
            TT_CHECK(r->rows[i].ndim == 0);
            TT_NEAR(r->rows[i].value_err, r->output_err, 0);
        }
    TT_CHECK(r->output_err > 0 && r->output_err < 1e-6);

    /* the two recordings must match */
    TT_CHECK(tg_check_audit(fn_branchy, NULL, 1, &a, NULL, r) ==
             TG_ERR_STATE);
    TT_STREQ(r->message, "tg_check_audit: node #0 is tanh in f32 but sin in "
                         "f64; hint: build with the inputs' dtype and no "
                         "branches on it");
    TT_CHECK(tg_check_audit(NULL, NULL, 1, &a, NULL, r) == TG_ERR_ARG);
    TT_CONTAINS(r->message, "tg_check_audit: the function is NULL");
    free(r);
}

static int fail_at = -1, n_allocs, live;
static void *failing_alloc(size_t size, size_t align, void *ud)
{
    (void)ud;
    if (n_allocs++ == fail_at) return NULL;
    size_t rounded = (size + align - 1) & ~(align - 1);
    void *p = aligned_alloc(align, rounded ? rounded : align);
    if (p) live++;
    return p;
}
static void counting_free(void *p, void *ud)
{
    (void)ud;
    if (p) live--;
    free(p);
}

static void oom(void)
{
    tg_check_arg a[2] = {arg("a", TG_SHAPE(3, 4), NULL),
                         arg("b", TG_SHAPE(4, 2), NULL)};
    tg_check_opts o = tg_check_defaults();
    o.gradgrad = true;
    int bad = 0;
    for (fail_at = 0; fail_at < 400; fail_at++) {
        n_allocs = 0;
        live = 0;
        tg_set_allocator(failing_alloc, counting_free, NULL);
        tg_check_report r;
        tg_status st = tg_gradcheck(fn_mlpish, NULL, 2, a, &o, &r);
        tg_set_allocator(NULL, NULL, NULL);
        if (live != 0) bad++;
        if (n_allocs <= fail_at) {
            TT_CHECK(st == TG_OK);
            break;
        }
        if (st != TG_ERR_OOM) bad++;
    }
    TT_CHECK(bad == 0);
    TT_CHECK(fail_at < 400);
}

/* The forward check and the search for the faulty op report every
 * failed allocation too, and leak nothing. */
static void oom_locate_forward(void)
{
    tg_check_arg a[2] = {arg("a", TG_SHAPE(3, 4), NULL),
                         arg("b", TG_SHAPE(4, 2), NULL)};
    tg_check_opts o = tg_check_defaults();
    o.forward = true;
    o.locate = 1;
    int bad = 0;
    for (fail_at = 0; fail_at < 20000; fail_at++) {
        n_allocs = 0;
        live = 0;
        tg_set_allocator(failing_alloc, counting_free, NULL);
        tg_check_report r;
        tg_status st = tg_gradcheck(fn_badsq, NULL, 2, a, &o, &r);
        tg_set_allocator(NULL, NULL, NULL);
        if (live != 0) bad++;
        if (n_allocs <= fail_at) {
            TT_CHECK(st == TG_ERR_NUMERIC);
            TT_CHECK(r.culprit.kind == TG_CULPRIT_VJP);
            break;
        }
        if (st != TG_ERR_OOM) bad++;
    }
    TT_CHECK(bad == 0);
    TT_CHECK(fail_at < 20000);
}

TT_RUN(TT(good_passes), TT(wrong_gradient_fails), TT(wrong_second_input),
       TT(wrong_weighted), TT(no_grad_input), TT(fast_mode), TT(gradgrad), TT(gradgrad_wrong),
       TT(gradgrad_tanh), TT(determinism_flag),
       TT(kink_reported_and_avoided), TT(errors), TT(printing), TT(oom),
       TT(locate_wrong_user_op), TT(locate_none_in_right_ops),
       TT(locate_nonfinite), TT(locate_kink), TT(forward_mode),
       TT(oom_locate_forward), TT(raw_function),
       TT(audit))
