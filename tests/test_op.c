/* The public op definition (tapegrad/op.h) from the outside: ops defined
 * here with TG_OP_DEFINE record, backpropagate, differentiate twice,
 * pass tg_gradcheck, report errors and anomalies under their own names,
 * save values for their VJP, show their attributes in DOT and, once
 * registered, are callable by name from `tapegrad check`; the graph is
 * walked node by node with the introspection API; registration from
 * several threads at once. Uses the public headers only (plus the
 * command's in-process entry point). */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <tapegrad/tapegrad.h>

#include "src/cli/cli.h"
#include "tt.h"

/* --------------------------------------------- cube(x, scale) = s x³ */

static tg_status cube_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    const tg_tensor *x = tg_node_input(n, 0);
    tg_tensor *y = tg_node_output(n);
    double s = tg_node_real(n, "scale");
    for (int64_t i = 0; i < y->numel; i++) {
        double v = tg_get(x, i);
        if (tg_f64(y)) tg_f64(y)[i] = s * v * v * v;
        else tg_f32(y)[i] = (float)(s * v * v * v);
    }
    return TG_OK;
}

/* d/dx s x³ = 3 s x², from tapegrad ops: differentiable again. */
static void cube_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                     tg_tensor **gx)
{
    (void)g, (void)need;
    tg_tensor *x = tg_node_input(n, 0);
    gx[0] = tg_mul(gy, tg_mul_scalar(tg_square(x), 3 * tg_node_real(n, "scale")));
}

static TG_OP_DEFINE(cube,
    .n_inputs = 1,
    .attrs = {{"scale", TG_ATTR_REAL, 1}, {"tag", TG_ATTR_INT, 7}},
    .forward = cube_fwd,
    .vjp = cube_vjp,
    .cases = "cube(x) | x=3x4; cube(x, scale=-2) | x=5");

static tg_tensor *cube1(tg_tensor *x, double scale)
{
    tg_attrs a = tg_attrs_defaults(&cube);
    a.f[0] = scale; /* the first REAL attribute */
    return tg_apply(&cube, &x, 1, &a);
}

static void values_and_backward(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(3), (double[]){-1, 0.5, 2});
    tg_set_requires_grad(x, true);
    tg_tensor *y = tg_apply(&cube, &x, 1, NULL); /* defaults: scale 1 */
    TT_NEAR(tg_get(y, 0), -1, 0);
    TT_NEAR(tg_get(y, 2), 8, 0);
    TT_CHECK(tg_requires_grad(y));
    TT_CHECK(tg_backward(g, tg_sum_all(cube1(x, 2))) == TG_OK);
    TT_NEAR(tg_get(x->grad, 0), 6, 0);    /* 6 x² */
    TT_NEAR(tg_get(x->grad, 1), 1.5, 0);
    TT_NEAR(tg_get(x->grad, 2), 24, 0);

    /* f32 runs the same forward */
    tg_tensor *xf = tg_input(g, TG_F32, TG_SHAPE(2), (float[]){1.5f, -3});
    tg_tensor *yf = cube1(xf, 1);
    TT_CHECK(yf->dtype == TG_F32);
    TT_NEAR(tg_get(yf, 0), 3.375, 0);
    TT_NEAR(tg_get(yf, 1), -27, 0);

    /* grad mode off: computes, records nothing */
    int64_t before = tg_graph_num_nodes(g);
    tg_set_grad_enabled(g, false);
    TT_NEAR(tg_get(cube1(x, 1), 2), 8, 0);
    tg_set_grad_enabled(g, true);
    TT_CHECK(tg_graph_num_nodes(g) == before);
    tg_graph_free(g);
}

static void second_order(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(3), (double[]){-1, 0.5, 2});
    tg_set_requires_grad(x, true);
    tg_tensor *y = tg_sum_all(cube1(x, 1)), *dx, *ddx;
    TT_CHECK(tg_grad(g, &y, 1, NULL, &x, 1, true, &dx) == TG_OK);
    TT_NEAR(tg_get(dx, 1), 0.75, 0);         /* 3 x² */
    TT_CHECK(tg_requires_grad(dx));
    tg_tensor *s = tg_sum_all(dx);
    TT_CHECK(tg_grad(g, &s, 1, NULL, &x, 1, false, &ddx) == TG_OK);
    TT_NEAR(tg_get(ddx, 0), -6, 0);          /* 6 x */
    TT_NEAR(tg_get(ddx, 2), 12, 0);
    /* Hessian-vector product H v = 6 x v (diagonal Hessian) */
    tg_tensor *v = tg_input(g, TG_F64, TG_SHAPE(3), (double[]){1, 2, -1});
    tg_tensor *gv = tg_sum_all(tg_mul(dx, v)), *hv;
    TT_CHECK(tg_grad(g, &gv, 1, NULL, &x, 1, false, &hv) == TG_OK);
    TT_NEAR(tg_get(hv, 1), 6 * 0.5 * 2, 1e-15);
    TT_NEAR(tg_get(hv, 2), 6 * 2 * -1, 1e-15);
    tg_graph_free(g);
}

static tg_tensor *f_cube(tg_graph *g, tg_tensor *const *in, int n, void *u)
{
    (void)g, (void)n, (void)u;
    return cube1(tg_add(in[0], in[1]), 0.5); /* broadcasting inside */
}

static void gradcheck_both_orders(void)
{
    tg_check_arg a[2] = {{.name = "a", .ndim = 2, .shape = {3, 4}},
                         {.name = "b", .ndim = 1, .shape = {4}}};
    tg_check_opts o = tg_check_defaults();
    o.gradgrad = true;
    tg_check_report r;
    TT_CHECK(tg_gradcheck(f_cube, NULL, 2, a, &o, &r) == TG_OK);
    TT_CHECK(r.pass && r.gradgrad_pass && r.n_gradgrad == 3);
    TT_CHECK(r.in[0].max_abs_err < 1e-8 && r.in[1].max_abs_err < 1e-8);
}

/* ------------------------------------ errors, anomaly mode, saved values */

/* log of the input, no domain check: NaN for x < 0 (for anomaly mode). */
static tg_status rawlog_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    const tg_tensor *x = tg_node_input(n, 0);
    tg_tensor *y = tg_node_output(n);
    for (int64_t i = 0; i < y->numel; i++) tg_f64(y)[i] = log(tg_get(x, i));
    return TG_OK;
}
static TG_OP_DEFINE(rawlog, .n_inputs = 1, .forward = rawlog_fwd);

/* The same with its VJP g / x: Inf at x = 0, for anomaly mode in backward. */
static void rawlog_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                       const bool *need, tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_div(gy, tg_node_input(n, 0));
}
static TG_OP_DEFINE(rawlog_d, .n_inputs = 1, .forward = rawlog_fwd,
                    .vjp = rawlog_vjp);

static void errors_name_the_op(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(2), (double[]){1, -1});
    tg_tensor *in[2] = {x, x};
    tg_tensor *y = tg_apply(&cube, in, 2, NULL);
    TT_CHECK(tg_tensor_kind_of(y) == TG_KIND_POISON);
    TT_STREQ(tg_graph_error(g), "cube: takes 1 input, got 2");
    tg_graph_reset(g);

    x = tg_input(g, TG_F64, TG_SHAPE(2), (double[]){1, -1});
    tg_set_anomaly(g, true);
    tg_apply(&rawlog, &x, 1, NULL);
    TT_STREQ(tg_graph_error(g),
             "rawlog: anomaly: the output holds NaN at flat index 1 (node #0 "
             "in forward order; inputs [2])");
    tg_set_anomaly(g, false);
    tg_graph_reset(g);

    /* anomaly mode checks the gradients the VJP returns, naming the op */
    x = tg_input(g, TG_F64, TG_SHAPE(2), (double[]){1, 0});
    tg_set_requires_grad(x, true);
    tg_tensor *l = tg_sum_all(tg_apply(&rawlog_d, &x, 1, NULL)); /* -inf */
    tg_set_anomaly(g, true);
    TT_CHECK(tg_backward(g, l) == TG_ERR_NUMERIC);
    TT_STREQ(tg_graph_error(g),
             "rawlog_d: anomaly: the gradient of input 1 holds Inf at flat "
             "index 1 (node #0 in forward order; inputs [2])");
    tg_set_anomaly(g, false);
    tg_graph_reset(g);

    /* not differentiable (no VJP): the output does not require grad */
    x = tg_input(g, TG_F64, TG_SHAPE(2), (double[]){1, 2});
    tg_set_requires_grad(x, true);
    TT_CHECK(!tg_requires_grad(tg_apply(&rawlog, &x, 1, NULL)));

    TT_CHECK(tg_apply(NULL, &x, 1, NULL) == NULL);
    TT_CONTAINS(tg_last_error(), "tg_apply: the op is NULL");
    tg_tensor *none = NULL;
    TT_CHECK(tg_apply(&cube, &none, 1, NULL) == NULL);
    TT_STREQ(tg_last_error(), "cube: every input is NULL");
    tg_graph_free(g);
}

/* A user's VJP that multiplies by `alien`: its ops are checked like any
 * call, also in a walk that has just run built-in VJPs (whose ops skip
 * the per-input tests, src/internal.h) and also on a copy of a built-in
 * descriptor, so a tensor of another graph or of an earlier step is
 * reported under the op's name. */
static tg_tensor *alien;
static tg_status ident_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    const tg_tensor *x = tg_node_input(n, 0);
    tg_tensor *y = tg_node_output(n);
    for (int64_t i = 0; i < y->numel; i++) tg_f64(y)[i] = tg_get(x, i);
    return TG_OK;
}
static void alien_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                      const bool *need, tg_tensor **gx)
{
    (void)g, (void)n, (void)need;
    gx[0] = tg_mul(gy, alien);
}
static TG_OP_DEFINE(alien_grad, .n_inputs = 1, .forward = ident_fwd,
                    .vjp = alien_vjp);

/* l = sum(tanh(alien_grad(x) * x)): the walk runs sum's, tanh's and
 * mul's VJPs before alien_grad's */
static tg_tensor *alien_loss(tg_graph *g, tg_tensor **x)
{
    *x = tg_input(g, TG_F64, TG_SHAPE(2), (double[]){0.5, -1});
    tg_set_requires_grad(*x, true);
    return tg_sum_all(tg_tanh(tg_mul(tg_apply(&alien_grad, x, 1, NULL), *x)));
}

static void user_vjp_inputs_checked(void)
{
    tg_graph *g = tg_graph_new(), *h = tg_graph_new();
    tg_tensor *x;
    alien = tg_scalar(h, TG_F64, 2);
    TT_CHECK(tg_backward(g, alien_loss(g, &x)) == TG_ERR_ARG);
    TT_STREQ(tg_graph_error(g), "tg_mul: input 2 belongs to a different "
                                "graph; hint: tensors of one op must share a "
                                "graph");
    tg_graph_reset(g);

    /* the same VJP on a copy of a built-in descriptor: still a user's */
    tg_op neg2 = *tg_op_find("neg");
    neg2.vjp = alien_vjp;
    x = tg_input(g, TG_F64, TG_SHAPE(2), (double[]){0.5, -1});
    tg_set_requires_grad(x, true);
    tg_tensor *l = tg_sum_all(tg_tanh(tg_mul(tg_apply(&neg2, &x, 1, NULL), x)));
    TT_NEAR(tg_item(l), tanh(-0.25) + tanh(-1.0), 1e-15);
    TT_CHECK(tg_backward(g, l) == TG_ERR_ARG);
    TT_CONTAINS(tg_graph_error(g), "tg_mul: input 2 belongs to a different graph");
    tg_graph_reset(g);

    alien = tg_scalar(g, TG_F64, 2);
    tg_graph_reset(g);
    TT_CHECK(tg_backward(g, alien_loss(g, &x)) == TG_ERR_STATE);
    TT_CONTAINS(tg_graph_error(g), "tg_mul: input 2 is stale");
    tg_graph_reset(g);

    /* a tensor of this step: d/dx = (1 - t^2)(2 x + x), t = tanh(x^2),
     * the VJP's factor 2 for the path through alien_grad */
    alien = tg_scalar(g, TG_F64, 2);
    TT_CHECK(tg_backward(g, alien_loss(g, &x)) == TG_OK);
    for (int i = 0; i < 2; i++) {
        double v = tg_get(x, i), t = tanh(v * v);
        TT_NEAR(tg_get(x->grad, i), 3 * v * (1 - t * t), 1e-15);
    }
    tg_graph_reset(g);

    /* after a pass whose last VJP is a built-in one, the caller's own
     * calls are checked again */
    x = tg_input(g, TG_F64, TG_SHAPE(2), (double[]){0.5, -1});
    tg_set_requires_grad(x, true);
    TT_CHECK(tg_backward(g, tg_sum_all(tg_tanh(x))) == TG_OK);
    TT_CHECK(tg_tensor_kind_of(tg_mul(x, tg_scalar(h, TG_F64, 2))) ==
             TG_KIND_POISON);
    TT_CONTAINS(tg_graph_error(g), "tg_mul: input 2 belongs to a different graph");
    tg_graph_free(h);
    tg_graph_free(g);
}

/* mask_relu(x) = x [x > 0], the mask saved by the forward under a name
 * and read back by the VJP (piecewise constant: a constant is right). */
static tg_status mrelu_fwd(tg_graph *g, tg_node *n)
{
    const tg_tensor *x = tg_node_input(n, 0);
    tg_tensor *y = tg_node_output(n);
    tg_tensor *m = tg_node_save_new(g, n, "mask", x->dtype, x->ndim, x->shape);
    if (!m) return tg_graph_status(g);
    for (int64_t i = 0; i < y->numel; i++) {
        double v = tg_get(x, i), k = v > 0;
        if (tg_f64(y)) tg_f64(y)[i] = v * k, tg_f64(m)[i] = k;
        else tg_f32(y)[i] = (float)(v * k), tg_f32(m)[i] = (float)k;
    }
    return TG_OK;
}
static void mrelu_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                      tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_mul(gy, tg_node_saved(n, "mask"));
}
static TG_OP_DEFINE(mask_relu, .n_inputs = 1, .flags = TG_OPF_NONSMOOTH,
                    .forward = mrelu_fwd, .vjp = mrelu_vjp);

static void saved_values(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(4), (double[]){-1, 2, 0, 3});
    tg_set_requires_grad(x, true);
    tg_tensor *y = tg_apply(&mask_relu, &x, 1, NULL);
    TT_CHECK(tg_backward(g, tg_sum_all(tg_mul(y, y))) == TG_OK);
    double want[4] = {0, 4, 0, 6};
    for (int i = 0; i < 4; i++) TT_NEAR(tg_get(x->grad, i), want[i], 0);
    const tg_node *n = tg_tensor_node(y);
    tg_tensor *m = tg_node_saved(n, "mask");
    TT_CHECK(m && tg_get(m, 1) == 1 && tg_get(m, 2) == 0);
    TT_CHECK(tg_tensor_kind_of(m) == TG_KIND_CONSTANT);
    TT_CHECK(tg_node_saved(n, "other") == NULL);
    /* built-in nodes keep their own context: nothing to find */
    TT_CHECK(tg_node_saved(tg_tensor_node(tg_relu(x)), "mask") == NULL);
    tg_graph_free(g);
}

/* ------------------------------------------------------- introspection */

static void walk_the_graph(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *w = tg_param(g, TG_F64, TG_SHAPE(2), "w");
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(2), (double[]){1, 2});
    tg_tensor *h = tg_leaky_relu(tg_mul(x, w), 0.2);
    tg_tensor *c = cube1(h, 3);
    tg_tensor *s = tg_sum(c, 1, (int64_t[]){0}, true);
    const tg_node *nodes[8];
    TT_CHECK(tg_graph_nodes(g, nodes, 8) == 4);
    TT_CHECK(tg_graph_nodes(g, NULL, 0) == 4);
    const char *names[4] = {"mul", "leaky_relu", "cube", "sum"};
    for (int i = 0; i < 4; i++) {
        TT_STREQ(tg_node_op(nodes[i])->name, names[i]);
        TT_CHECK(tg_node_index(nodes[i]) == i);
    }
    TT_CHECK(tg_node_num_inputs(nodes[0]) == 2);
    TT_CHECK(tg_node_input(nodes[0], 0) == x && tg_node_input(nodes[0], 1) == w);
    TT_CHECK(tg_node_input(nodes[0], 2) == NULL);
    TT_CHECK(tg_node_output(nodes[2]) == c && tg_tensor_node(c) == nodes[2]);
    TT_CHECK(tg_tensor_node(x) == NULL && tg_tensor_graph(x) == g);
    TT_CHECK(tg_tensor_kind_of(w) == TG_KIND_PARAM);
    TT_CHECK(tg_tensor_kind_of(x) == TG_KIND_INPUT);
    TT_CHECK(tg_tensor_kind_of(h) == TG_KIND_OUTPUT);
    TT_CHECK(tg_tensor_kind_of(tg_scalar(g, TG_F64, 1)) == TG_KIND_CONSTANT);
    /* a shorter array receives the first nodes */
    const tg_node *first = tg_tensor_node(tg_node_input(tg_tensor_node(h), 0));
    TT_CHECK(tg_graph_nodes(g, nodes, 1) == 4 && nodes[0] == first);

    /* attributes by name and as text */
    TT_NEAR(tg_node_real(nodes[1], "alpha"), 0.2, 0);
    TT_CHECK(isnan(tg_node_real(nodes[1], "beta")));
    TT_NEAR(tg_node_real(nodes[2], "scale"), 3, 0);
    TT_CHECK(tg_node_int(nodes[2], "tag") == 7);
    TT_CHECK(tg_node_int(nodes[3], "keepdim") == 1);
    const int64_t *ax;
    TT_CHECK(tg_node_list(nodes[3], "axis", &ax) == 1 && ax[0] == 0);
    TT_CHECK(tg_node_list(nodes[3], "keepdim", &ax) == -1);
    char buf[128];
    tg_node_attrs_str(nodes[2], true, buf, sizeof buf);
    TT_STREQ(buf, "scale=3, tag=7");
    tg_node_attrs_str(nodes[2], false, buf, sizeof buf);
    TT_STREQ(buf, "scale=3");
    tg_node_attrs_str(nodes[3], false, buf, sizeof buf);
    TT_STREQ(buf, "axis=[0], keepdim=1");
    TT_CHECK(tg_node_attrs_str(nodes[0], true, buf, sizeof buf) == 0);
    TT_CHECK(tg_node_attrs_str(nodes[3], true, buf, 5) == 19);
    TT_STREQ(buf, "axis");

    /* DOT draws the user op like any other, with its attributes */
    char *dot = NULL;
    size_t len;
    FILE *f = open_memstream(&dot, &len);
    TT_CHECK(tg_graph_write_dot(g, f, NULL) == TG_OK);
    fclose(f);
    TT_CONTAINS(dot, "[label=\"cube\\nscale=3\\nf64 [2]");
    TT_CONTAINS(dot, "[label=\"leaky_relu\\nalpha=0.2\\nf64 [2]");
    free(dot);
    (void)s;
    tg_graph_free(g);
}

static void op_list(void)
{
    int n = tg_op_count();
    TT_CHECK(n >= 80);
    TT_CHECK(tg_op_at(-1) == NULL && tg_op_at(n) == NULL);
    const tg_op *mm = tg_op_find("matmul");
    TT_CHECK(mm && !strcmp(mm->name, "matmul") && !strcmp(mm->prefix, "tg_"));
    TT_CHECK(mm->n_inputs == 2 && mm->cases != NULL);
    TT_STREQ(mm->attrs[0].name, "trans_a");
    const tg_op *lr = tg_op_find("leaky_relu");
    TT_CHECK(lr && lr->attrs[0].kind == TG_ATTR_REAL && lr->attrs[0].def == 0.01);
    TT_CHECK(tg_op_find("no_such_op") == NULL);
    /* every built-in has a name, a forward and a unique name */
    for (int i = 0; i < n; i++) {
        const tg_op *op = tg_op_at(i);
        TT_CHECK(op->name && op->forward && tg_op_find(op->name) == op);
    }
}

/* ---------------------------------------------------------- registration */

static void registered_ops_in_expressions(void)
{
    TT_CHECK(tg_op_register(&cube) == TG_OK);
    TT_CHECK(tg_op_register(&cube) == TG_OK); /* again: no-op */
    int n = tg_op_count();
    TT_CHECK(tg_op_at(n - 1) == &cube && tg_op_find("cube") == &cube);

    /* `tapegrad check` calls it by name, keywords from its attributes */
    char *out = NULL, *err = NULL;
    size_t lo, le;
    FILE *o = open_memstream(&out, &lo), *e = open_memstream(&err, &le);
    tg_cli_env env = tg_cli_default_env();
    char *argv[] = {"check", "cube(x, scale=-2) + x", "x=3x4"};
    TT_CHECK(tg_cli_run(3, argv, o, e, &env) == 0);
    char *argv2[] = {"check", "cube(x, scal=2)", "x=3"};
    TT_CHECK(tg_cli_run(3, argv2, o, e, &env) == 2);
    fclose(o);
    fclose(e);
    TT_CONTAINS(out, "PASS");
    TT_CONTAINS(err, "scal");
    free(out);
    free(err);

    static TG_OP_DEFINE(matmul, .n_inputs = 2, .forward = cube_fwd);
    TT_CHECK(tg_op_register(&matmul) == TG_ERR_ARG);
    TT_CONTAINS(tg_last_error(), "the name 'matmul' is taken by another op");
    static const tg_op bad = {.name = "9lives", .n_inputs = 1,
                              .forward = cube_fwd};
    TT_CHECK(tg_op_register(&bad) == TG_ERR_ARG);
    TT_CHECK(tg_op_register(NULL) == TG_ERR_ARG);
    TT_CHECK(tg_op_count() == n);
}

enum { THREADS = 4, PER_THREAD = 12 };
static tg_op thread_ops[THREADS][PER_THREAD];
static char thread_names[THREADS][PER_THREAD][16];

static void *register_many(void *arg)
{
    int t = (int)(intptr_t)arg, ok = 0;
    for (int i = 0; i < PER_THREAD; i++) {
        ok += tg_op_register(&thread_ops[t][i]) == TG_OK;
        ok += tg_op_find(thread_names[t][i]) == &thread_ops[t][i];
        tg_op_count(); /* readers run beside writers */
    }
    return (void *)(intptr_t)ok;
}

static void register_from_threads(void)
{
    int before = tg_op_count();
    for (int t = 0; t < THREADS; t++)
        for (int i = 0; i < PER_THREAD; i++) {
            snprintf(thread_names[t][i], 16, "op_%d_%d", t, i);
            thread_ops[t][i] = (tg_op){.name = thread_names[t][i],
                                       .n_inputs = 1, .forward = cube_fwd};
        }
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++)
        pthread_create(&th[t], NULL, register_many, (void *)(intptr_t)t);
    int ok = 0;
    for (int t = 0; t < THREADS; t++) {
        void *r;
        pthread_join(th[t], &r);
        ok += (int)(intptr_t)r;
    }
    TT_CHECK(ok == 2 * THREADS * PER_THREAD);
    TT_CHECK(tg_op_count() == before + THREADS * PER_THREAD);
    for (int t = 0; t < THREADS; t++)
        for (int i = 0; i < PER_THREAD; i++)
            TT_CHECK(tg_op_find(thread_names[t][i]) == &thread_ops[t][i]);
}

TT_RUN(TT(values_and_backward), TT(second_order), TT(gradcheck_both_orders),
       TT(errors_name_the_op), TT(user_vjp_inputs_checked), TT(saved_values), TT(walk_the_graph),
       TT(op_list), TT(registered_ops_in_expressions),
       TT(register_from_threads))
