/* nn layers and blocks: values against hand computation in long double,
 * parameter gradients against central differences, parameter lists and
 * names, freezing, train/eval behaviour, state save/load, allocation-free
 * steady training. */
#include <stdlib.h>
#include <tapegrad/tapegrad.h>
#include <unistd.h>

#include "hardening.h"
#include "tt.h"

static void fill(tg_tensor *t, double a, double b)
{
    /* deterministic, non-symmetric values a*sin(b*i + 1) */
    for (int64_t i = 0; i < t->numel; i++) {
        double v = a * sin(b * (double)i + 1);
        if (t->dtype == TG_F32) tg_f32(t)[i] = (float)v;
        else tg_f64(t)[i] = v;
    }
}

/* --------------------------------------------------------------- values */

static void linear_values(void)
{
    tg_graph *g = tg_graph_new();
    tg_layer *l = tg_nn_linear(g, TG_F64, 3, 2, true, TG_INIT_ZEROS, "fc");
    TT_CHECK(l != NULL);
    tg_tensor *W = tg_layer_find(l, "fc.weight"), *b = tg_layer_find(l, "fc.bias");
    TT_CHECK(W && b && W->shape[0] == 3 && W->shape[1] == 2 && b->shape[0] == 2);
    /* W = [[1,2],[3,4],[5,6]], b = [0.5,-1], x = [[1,0,-1],[2,1,0]] */
    for (int i = 0; i < 6; i++) tg_f64(W)[i] = i + 1;
    tg_f64(b)[0] = 0.5;
    tg_f64(b)[1] = -1;
    double xv[6] = {1, 0, -1, 2, 1, 0};
    tg_tensor *y = tg_layer_forward(l, tg_input(g, TG_F64, TG_SHAPE(2, 3), xv));
    TT_CHECK(y->ndim == 2 && y->shape[0] == 2 && y->shape[1] == 2);
    TT_NEAR(tg_get(y, 0), 1 - 5 + 0.5, 0);
    TT_NEAR(tg_get(y, 1), 2 - 6 - 1, 0);
    TT_NEAR(tg_get(y, 2), 2 + 3 + 0.5, 0);
    TT_NEAR(tg_get(y, 3), 4 + 4 - 1, 0);
    TT_STREQ(tg_layer_kind(l), "linear");
    tg_layer_free(l);
    tg_graph_free(g);
}

/* pre-LN, post-LN and plain residual blocks around one linear layer with
 * known weights, against the formulas evaluated in long double. */
static void block_values(void)
{
    enum { N = 2, D = 4 };
    tg_graph *g = tg_graph_new();
    double xv[N * D] = {0.3, -1.2, 2.0, 0.7, 1.5, 1.1, -0.4, 0.0};
    long double Wv[D * D];
    for (int i = 0; i < D * D; i++) Wv[i] = 0.25L * sinl(i + 1.0L);
    for (int kind = 0; kind < 3; kind++) {
        char nm[32];
        snprintf(nm, sizeof nm, "blk%d", kind);
        char fnm[32];
        snprintf(fnm, sizeof fnm, "blk%d.f", kind);
        tg_layer *f = tg_nn_linear(g, TG_F64, D, D, false, TG_INIT_ZEROS, fnm);
        tg_tensor *W = tg_layer_params(f)[0];
        for (int i = 0; i < D * D; i++) tg_f64(W)[i] = (double)Wv[i];
        tg_layer *blk = kind == 0 ? tg_nn_residual(f, nm)
                        : kind == 1 ? tg_nn_preln(g, TG_F64, D, f, nm)
                                    : tg_nn_postln(g, TG_F64, D, f, nm);
        TT_CHECK(blk != NULL);
        if (!blk) continue;
        /* LN parameters: scale 1.5, shift 0.25 to exercise them */
        if (kind) {
            tg_tensor *s = tg_layer_find(blk, kind == 1 ? "blk1.ln.weight" : "blk2.ln.weight");
            tg_tensor *sh = tg_layer_find(blk, kind == 1 ? "blk1.ln.bias" : "blk2.ln.bias");
            TT_CHECK(s && sh);
            tg_init_constant(s, 1.5);
            tg_init_constant(sh, 0.25);
        }
        tg_tensor *y = tg_layer_forward(blk, tg_input(g, TG_F64, TG_SHAPE(N, D), xv));
        TT_CHECK(tg_graph_error(g) == NULL);
        for (int r = 0; r < N; r++) {
            long double x[D], u[D], fx[D], out[D];
            for (int j = 0; j < D; j++) x[j] = xv[r * D + j];
            /* u = LN(x) for pre-LN, x otherwise */
            long double m = 0, v = 0;
            for (int j = 0; j < D; j++) m += x[j];
            m /= D;
            for (int j = 0; j < D; j++) v += (x[j] - m) * (x[j] - m);
            v /= D;
            for (int j = 0; j < D; j++)
                u[j] = kind == 1 ? (x[j] - m) / sqrtl(v + 1e-5L) * 1.5L + 0.25L : x[j];
            for (int j = 0; j < D; j++) {
                fx[j] = 0;
                for (int i = 0; i < D; i++) fx[j] += u[i] * Wv[i * D + j];
                out[j] = x[j] + fx[j];
            }
            if (kind == 2) { /* LN(x + f(x)) */
                long double m2 = 0, v2 = 0;
                for (int j = 0; j < D; j++) m2 += out[j];
                m2 /= D;
                for (int j = 0; j < D; j++) v2 += (out[j] - m2) * (out[j] - m2);
                v2 /= D;
                for (int j = 0; j < D; j++)
                    out[j] = (out[j] - m2) / sqrtl(v2 + 1e-5L) * 1.5L + 0.25L;
            }
            for (int j = 0; j < D; j++) TT_NEAR(tg_get(y, r * D + j), (double)out[j], 1e-13);
        }
        tg_graph_reset(g);
        tg_layer_free(blk);
    }
    tg_graph_free(g);
}

static void maxout_values(void)
{
    tg_graph *g = tg_graph_new();
    tg_layer *l = tg_nn_maxout(g, TG_F64, 2, 2, 3, TG_INIT_ZEROS, "mx");
    tg_tensor *W = tg_layer_find(l, "mx.weight"), *b = tg_layer_find(l, "mx.bias");
    TT_CHECK(W->shape[0] == 2 && W->shape[1] == 6 && b->shape[0] == 6);
    /* pieces for x = [1, 2]: z_k = W[0,k] + 2 W[1,k] + b_k */
    double Wv[12] = {1, -1, 0, 2, 0, 0, /* row 0 */ 0, 1, 0.5, -1, 1, 3};
    double bv[6] = {0, 0, 0, 0, 1, -7};
    memcpy(tg_f64(W), Wv, sizeof Wv);
    memcpy(tg_f64(b), bv, sizeof bv);
    double xv[2] = {1, 2};
    tg_tensor *y = tg_layer_forward(l, tg_input(g, TG_F64, TG_SHAPE(1, 2), xv));
    /* z = [1, 1, 1, 0, 3, -1] -> max of [1,1,1] = 1, max of [0,3,-1] = 3 */
    TT_CHECK(y->shape[1] == 2);
    TT_NEAR(tg_get(y, 0), 1, 0);
    TT_NEAR(tg_get(y, 1), 3, 0);
    tg_layer_free(l);
    tg_graph_free(g);
}

/* ------------------------------------------------------------ gradients */

/* Parameter gradients of a small pre-LN block (with a GELU MLP inside)
 * against central differences of the loss. */
static double block_loss(tg_graph *g, tg_layer *net, const double *xv)
{
    tg_graph_reset(g);
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(3, 4), xv);
    tg_tensor *y = tg_layer_forward(net, x);
    tg_tensor *t = tg_full(g, TG_F64, TG_SHAPE(3, 4), 0.3);
    return tg_item(tg_mse(y, t));
}

static void block_param_grads(void)
{
    tg_graph *g = tg_graph_new();
    tg_rng_seed(tg_graph_rng(g), 5);
    tg_layer *ff = tg_nn_mlp(g, TG_F64, 3, (int64_t[]){4, 6, 4}, "gelu", NULL,
                             TG_INIT_XAVIER_NORMAL, "ff");
    tg_layer *blocks[2] = {tg_nn_preln(g, TG_F64, 4, ff, "b0"),
                           tg_nn_postln(g, TG_F64, 4,
                                        tg_nn_mlp(g, TG_F64, 2, (int64_t[]){4, 4},
                                                  NULL, "tanh",
                                                  TG_INIT_DEFAULT, "ff2"),
                                        "b1")};
    tg_layer *net = tg_nn_sequential(g, 2, blocks, "net");
    TT_CHECK(net != NULL);
    /* perturb LN parameters away from 1/0 */
    for (int i = 0; i < tg_layer_num_params(net); i++) {
        tg_tensor *p = tg_layer_params(net)[i];
        if (strstr(p->name, ".ln.")) fill(p, 0.3, 0.7);
    }
    double xv[12];
    for (int i = 0; i < 12; i++) xv[i] = sin(1.3 * i) * 1.5;
    tg_zero_grad(g);
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(3, 4), xv);
    tg_tensor *loss = tg_mse(tg_layer_forward(net, x),
                             tg_full(g, TG_F64, TG_SHAPE(3, 4), 0.3));
    TT_CHECK(tg_backward(g, loss) == TG_OK);
    double worst = 0;
    int checked = 0;
    for (int i = 0; i < tg_layer_num_params(net); i++) {
        tg_tensor *p = tg_layer_params(net)[i];
        for (int64_t k = 0; k < p->numel; k++) {
            double *w = tg_f64(p) + k, keep = *w, h = 1e-6;
            *w = keep + h;
            double lp = block_loss(g, net, xv);
            *w = keep - h;
            double lm = block_loss(g, net, xv);
            *w = keep;
            double num = (lp - lm) / (2 * h), ana = tg_get(p->grad, k);
            double err = fabs(num - ana) / (1e-6 + fabs(num));
            if (fabs(num - ana) > 1e-8 && err > worst) worst = err;
            checked++;
        }
    }
    TT_CHECK(checked == 4 * 6 + 6 + 6 * 4 + 4 + 4 + 4 + 16 + 4 + 4 + 4);
    TT_CHECK(worst < 1e-5);
    tg_layer_free(net);
    tg_graph_free(g);
}

/* The input gradient of a residual block via tg_gradcheck (the block is
 * rebuilt on the checker's graph with fixed weights). */
static tg_tensor *resid_fn(tg_graph *g, tg_tensor *const *in, int n, void *ud)
{
    (void)n, (void)ud;
    tg_rng r;
    tg_rng_seed(&r, 11);
    tg_layer *f = tg_nn_mlp(g, TG_F64, 3, (int64_t[]){5, 7, 5}, "silu", NULL,
                            TG_INIT_HE_NORMAL, "f");
    for (int i = 0; f && i < tg_layer_num_params(f); i++)
        tg_init_normal(tg_layer_params(f)[i], &r, 0, 0.5);
    tg_layer *blk = tg_nn_preln(g, TG_F64, 5, f, "blk");
    tg_tensor *y = tg_layer_forward(blk, in[0]);
    tg_layer_free(blk);
    return y;
}

static void block_gradcheck(void)
{
    tg_check_arg a = {.name = "x", .ndim = 2, .shape = {3, 5}};
    tg_check_report rep;
    tg_status st = tg_gradcheck(resid_fn, NULL, 1, &a, NULL, &rep);
    TT_CHECK(st == TG_OK);
    if (st != TG_OK) tg_check_report_print(&rep, stderr);
}

/* ------------------------------------------------------ names and lists */

static void mlp_structure(void)
{
    tg_graph *g = tg_graph_new();
    tg_layer *m = tg_nn_mlp(g, TG_F32, 4, (int64_t[]){10, 8, 6, 3}, "relu",
                            "log_softmax", TG_INIT_HE_NORMAL, "net");
    TT_CHECK(m != NULL);
    /* linear, relu, linear, relu, linear, log_softmax */
    TT_CHECK(tg_layer_num_children(m) == 6);
    TT_STREQ(tg_layer_kind(tg_layer_child(m, 1)), "activation");
    TT_CHECK(tg_layer_num_params(m) == 6 && tg_layer_num_state(m) == 6);
    const char *names[6] = {"net.fc0.weight", "net.fc0.bias", "net.fc1.weight",
                            "net.fc1.bias",   "net.fc2.weight", "net.fc2.bias"};
    for (int i = 0; i < 6; i++) TT_STREQ(tg_layer_params(m)[i]->name, names[i]);
    TT_CHECK(tg_layer_params(m)[2]->shape[0] == 8 && tg_layer_params(m)[2]->shape[1] == 6);
    /* He init: biases zero, weights non-zero */
    TT_CHECK(tg_get(tg_layer_params(m)[1], 0) == 0);
    TT_CHECK(tg_get(tg_layer_params(m)[0], 0) != 0);
    /* log_softmax rows sum to 1 in probability */
    tg_tensor *x = tg_full(g, TG_F32, TG_SHAPE(2, 10), 0.5);
    tg_tensor *y = tg_layer_forward(m, x);
    double s = 0;
    for (int c = 0; c < 3; c++) s += exp(tg_get(y, c));
    TT_NEAR(s, 1, 1e-6);

    /* automatic names: kind@param-count */
    tg_layer *a = tg_nn_linear(g, TG_F32, 2, 2, true, TG_INIT_DEFAULT, NULL);
    TT_STREQ(tg_layer_name(a), "linear@6");
    TT_STREQ(tg_layer_params(a)[0]->name, "linear@6.weight");
    /* default init: |w|, |b| <= 1/sqrt(2) */
    for (int i = 0; i < 2; i++)
        for (int64_t k = 0; k < tg_layer_params(a)[i]->numel; k++)
            TT_CHECK(fabs(tg_get(tg_layer_params(a)[i], k)) <= 1 / sqrt(2.0));
    tg_layer_free(a);
    tg_layer_free(m);

    /* by function, and by a bad name */
    m = tg_nn_mlp_fn(g, TG_F32, 2, (int64_t[]){3, 3}, tg_relu, tg_sigmoid,
                     TG_INIT_DEFAULT, "f");
    TT_CHECK(m && tg_layer_num_children(m) == 2);
    tg_layer_free(m);
    /* by name: each applies its op with PyTorch's default attributes */
    {
        static const struct {
            const char *name;
            tg_tensor *(*ref)(tg_tensor *);
        } acts[] = {{"gelu", tg_gelu}, {"tanh", tg_tanh}, {"swish", tg_silu},
                    {"silu", tg_silu}, {"identity", tg_identity}};
        tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(2, 3),
                                (double[]){-2, -0.5, 0, 0.25, 1, 3});
        for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++) {
            tg_tensor *y = tg_activation(acts[i].name)(x), *r = acts[i].ref(x);
            for (int k = 0; k < 6; k++) TT_NEAR(tg_get(y, k), tg_get(r, k), 0);
        }
        tg_tensor *y = tg_activation("leaky_relu")(x);
        TT_NEAR(tg_get(y, 0), -0.02, 1e-15);
        y = tg_activation("softplus")(x);
        TT_NEAR(tg_get(y, 5), log1p(exp(3.0)), 1e-15);
        y = tg_activation("hardshrink")(x);
        TT_NEAR(tg_get(y, 1), 0, 0);
        TT_NEAR(tg_get(y, 4), 1, 0);
        y = tg_activation("softmax")(x); /* over the last axis */
        TT_NEAR(tg_get(y, 0) + tg_get(y, 1) + tg_get(y, 2), 1, 1e-15);
        tg_graph_reset(g);
    }
    TT_CHECK(tg_activation(NULL) == tg_identity);
    TT_CHECK(tg_activation("bogus") == NULL);
    m = tg_nn_mlp(g, TG_F32, 3, (int64_t[]){3, 3, 3}, "relu7", NULL,
                  TG_INIT_DEFAULT, "bad");
    TT_CHECK(m == NULL);
    TT_STREQ(tg_graph_error(g),
             "tg_nn_mlp: unknown activation \"relu7\"; hint: one of identity "
             "none tanh sigmoid logsigmoid silu relu leaky_relu rrelu elu "
             "selu celu gelu gelu_tanh softplus hardshrink softmax "
             "log_softmax hardtanh relu6 hardsigmoid hardswish mish softsign "
             "tanhshrink softshrink glu swish");
    tg_graph_reset(g);
    /* a failed inner constructor fails the block, which frees the rest */
    tg_layer *r = tg_nn_residual(tg_nn_linear(g, TG_F32, 0, 3, true,
                                              TG_INIT_DEFAULT, "z"), "r");
    TT_CHECK(r == NULL);
    TT_STREQ(tg_graph_error(g), "tg_nn_linear: sizes 0 and 3 must be >= 1");
    tg_graph_reset(g);
    tg_layer *kids[2] = {tg_nn_activation(g, tg_relu), NULL};
    TT_CHECK(tg_nn_sequential(g, 2, kids, "s") == NULL);
    TT_CONTAINS(tg_graph_error(g), "a sub-layer is NULL");
    tg_graph_free(g);
}

/* --------------------------------------------------------- train / eval */

/* GLU halves the last axis, so the MLP gives the linear layer before it
 * twice the width: sizes stay the widths between blocks. Values against
 * the formula in long double. */
static void mlp_glu(void)
{
    tg_graph *g = tg_graph_new();
    tg_layer *m = tg_nn_mlp(g, TG_F64, 3, (int64_t[]){4, 3, 2}, "glu", "glu",
                            TG_INIT_DEFAULT, "gm");
    TT_CHECK(m != NULL && tg_graph_status(g) == TG_OK);
    tg_tensor *W0 = tg_layer_find(m, "gm.fc0.weight"), *b0 = tg_layer_find(m, "gm.fc0.bias");
    tg_tensor *W1 = tg_layer_find(m, "gm.fc1.weight"), *b1 = tg_layer_find(m, "gm.fc1.bias");
    TT_CHECK(W0 && W0->shape[0] == 4 && W0->shape[1] == 6 && b0->shape[0] == 6);
    TT_CHECK(W1 && W1->shape[0] == 3 && W1->shape[1] == 4 && b1->shape[0] == 4);
    fill(W0, 0.7, 0.9);
    fill(b0, 0.2, 1.7);
    fill(W1, -0.8, 0.4);
    fill(b1, 0.3, 2.3);
    tg_tensor *x = tg_zeros(g, TG_F64, TG_SHAPE(2, 4));
    fill(x, 1.1, 0.6);
    tg_tensor *y = tg_layer_forward(m, x);
    TT_CHECK(tg_graph_status(g) == TG_OK && y->ndim == 2 && y->shape[0] == 2 &&
             y->shape[1] == 2);
    for (int r = 0; r < 2; r++) {
        long double h[6], a[3], o[4];
        for (int j = 0; j < 6; j++) {
            h[j] = tg_get(b0, j);
            for (int i = 0; i < 4; i++)
                h[j] += (long double)tg_get(x, r * 4 + i) * tg_get(W0, i * 6 + j);
        }
        for (int j = 0; j < 3; j++) a[j] = h[j] / (1 + expl(-h[j + 3]));
        for (int j = 0; j < 4; j++) {
            o[j] = tg_get(b1, j);
            for (int i = 0; i < 3; i++) o[j] += a[i] * tg_get(W1, i * 4 + j);
        }
        for (int j = 0; j < 2; j++)
            TT_NEAR(tg_get(y, r * 2 + j), (double)(o[j] / (1 + expl(-o[j + 2]))), 1e-14);
    }
    tg_layer_free(m);
    tg_graph_free(g);
}

static void train_eval_modes(void)
{
    tg_graph *g = tg_graph_new();
    tg_rng_seed(tg_graph_rng(g), 3);
    tg_layer *d = tg_nn_dropout(g, 0.5);
    tg_tensor *x = tg_full(g, TG_F32, TG_SHAPE(1000), 1.0);
    tg_tensor *y = tg_layer_forward(d, x);
    int zeros = 0, twos = 0;
    for (int i = 0; i < 1000; i++) {
        zeros += tg_get(y, i) == 0;
        twos += tg_get(y, i) == 2;
    }
    TT_CHECK(zeros + twos == 1000 && zeros > 400 && zeros < 600);
    tg_set_training(g, false);
    y = tg_layer_forward(d, x);
    for (int i = 0; i < 1000; i++) TT_CHECK(tg_get(y, i) == 1);
    tg_layer_free(d);

    /* rrelu by name: random slopes in training, the mean slope in eval */
    tg_layer *rr = tg_nn_activation_named(g, "rrelu");
    tg_tensor *neg = tg_full(g, TG_F64, TG_SHAPE(4), -3.0);
    y = tg_layer_forward(rr, neg);
    for (int i = 0; i < 4; i++) TT_NEAR(tg_get(y, i), -3 * (1.0 / 8 + 1.0 / 3) / 2, 1e-15);
    tg_set_training(g, true);
    y = tg_layer_forward(rr, neg);
    bool varied = false;
    for (int i = 0; i < 4; i++) {
        double s = tg_get(y, i) / -3;
        TT_CHECK(s >= 1.0 / 8 && s <= 1.0 / 3);
        if (fabs(s - (1.0 / 8 + 1.0 / 3) / 2) > 1e-6) varied = true;
    }
    TT_CHECK(varied);
    tg_layer_free(rr);

    /* batch norm: batch statistics and buffer update in training, running
     * statistics in eval */
    tg_graph_reset(g);
    tg_layer *bn = tg_nn_batchnorm(g, TG_F64, 2, 0.1, 1e-5, "bn");
    TT_CHECK(tg_layer_num_params(bn) == 2 && tg_layer_num_state(bn) == 4);
    TT_STREQ(tg_layer_state(bn)[2]->name, "bn.running_mean");
    TT_CHECK(!tg_requires_grad(tg_layer_state(bn)[3]));
    double xv[6] = {1, 10, 3, 20, 5, 30}; /* channel means 3 and 20 */
    y = tg_layer_forward(bn, tg_input(g, TG_F64, TG_SHAPE(3, 2), xv));
    /* channel 0: (1-3)/sqrt(8/3 + eps) */
    TT_NEAR(tg_get(y, 0), -2 / sqrt(8.0 / 3 + 1e-5), 1e-12);
    tg_tensor *rm = tg_layer_find(bn, "bn.running_mean");
    tg_tensor *rv = tg_layer_find(bn, "bn.running_var");
    TT_NEAR(tg_get(rm, 0), 0.3, 1e-15);
    TT_NEAR(tg_get(rm, 1), 2.0, 1e-15);
    TT_NEAR(tg_get(rv, 0), 0.9 + 0.1 * 4, 1e-15); /* unbiased var 8/2 */
    tg_set_training(g, false);
    y = tg_layer_forward(bn, tg_input(g, TG_F64, TG_SHAPE(3, 2), xv));
    TT_NEAR(tg_get(y, 0), (1 - 0.3) / sqrt(1.3 + 1e-5), 1e-12);
    tg_layer_free(bn);
    tg_graph_free(g);
}

/* ------------------------------------------------------------- freezing */

static void freeze_stages(void)
{
    tg_graph *g = tg_graph_new();
    tg_rng_seed(tg_graph_rng(g), 1);
    tg_layer *body = tg_nn_mlp(g, TG_F32, 3, (int64_t[]){4, 8, 8}, "relu", "relu",
                               TG_INIT_HE_NORMAL, "body");
    tg_layer *head = tg_nn_linear(g, TG_F32, 8, 2, true, TG_INIT_HE_NORMAL, "head");
    tg_layer *parts[2] = {body, head};
    tg_layer *net = tg_nn_sequential(g, 2, parts, "net");
    tg_optim_config oc = tg_optim_defaults(TG_OPTIM_MOMENTUM);
    oc.lr = 0.1;
    tg_optim *o = tg_optim_new(&oc, tg_layer_num_params(net), tg_layer_params(net));
    float snap[4][64];
    tg_tensor *const *ps = tg_layer_params(net);
    TT_CHECK(tg_layer_num_params(net) == 6);
    float xv[16 * 4], tv[16];
    for (int i = 0; i < 64; i++) xv[i] = (float)sin(0.37 * i);
    for (int i = 0; i < 16; i++) tv[i] = (float)(i % 2);
    for (int stage = 0; stage < 3; stage++) {
        /* stage 0: head only; 1: + body.fc1; 2: everything */
        if (stage == 0) tg_layer_set_trainable(body, false);
        if (stage == 1) tg_layer_set_trainable(tg_layer_child(body, 2), true);
        if (stage == 2) tg_layer_set_trainable(net, true);
        for (int i = 0; i < 4; i++) memcpy(snap[i], ps[i]->data, sizeof(float) * (size_t)ps[i]->numel);
        for (int step = 0; step < 3; step++) {
            tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(16, 4), xv);
            tg_tensor *t = tg_input(g, TG_F32, TG_SHAPE(16), tv);
            tg_tensor *loss = tg_cross_entropy(tg_layer_forward(net, x), t);
            TT_CHECK(tg_backward(g, loss) == TG_OK);
            /* frozen parameters receive no gradient, trainable ones do */
            for (int i = 0; i < 4; i++) {
                bool any = false;
                for (int64_t k = 0; k < ps[i]->numel; k++)
                    any |= tg_get(ps[i]->grad, k) != 0;
                TT_CHECK(any == tg_requires_grad(ps[i]));
            }
            tg_optim_step(o);
            tg_optim_zero_grad(o);
            tg_graph_reset(g);
        }
        bool fc0 = memcmp(snap[0], ps[0]->data, sizeof(float) * 32) != 0;
        bool fc1 = memcmp(snap[2], ps[2]->data, sizeof(float) * 64) != 0;
        TT_CHECK(fc0 == (stage == 2));
        TT_CHECK(fc1 == (stage >= 1));
    }
    tg_optim_free(o);
    tg_layer_free(net);
    tg_graph_free(g);
}

/* ---------------------------------------------------- state and memory */

static void layer_save_load(void)
{
    char path[] = "/dev/shm/tg_layers_XXXXXX", alt[] = "/tmp/tg_layers_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        memcpy(path, alt, sizeof alt);
        fd = mkstemp(path);
    }
    close(fd);
    tg_graph *g = tg_graph_new();
    tg_rng_seed(tg_graph_rng(g), 9);
    tg_layer *kids[3] = {tg_nn_linear(g, TG_F32, 3, 4, true, TG_INIT_HE_NORMAL, "fc"),
                         tg_nn_batchnorm(g, TG_F32, 4, 0.1, 0, "bn"),
                         tg_nn_activation_named(g, "relu")};
    tg_layer *a = tg_nn_sequential(g, 3, kids, "m");
    float xv[6] = {1, 2, 3, -1, 0, 4};
    tg_layer_forward(a, tg_input(g, TG_F32, TG_SHAPE(2, 3), xv)); /* moves BN buffers */
    TT_CHECK(tg_get(tg_layer_find(a, "bn.running_mean"), 0) != 0);
    TT_CHECK(tg_save(path, tg_layer_num_state(a), tg_layer_state(a), NULL) == TG_OK);

    tg_graph *g2 = tg_graph_new();
    tg_layer *k2[3] = {tg_nn_linear(g2, TG_F32, 3, 4, true, TG_INIT_ZEROS, "fc"),
                       tg_nn_batchnorm(g2, TG_F32, 4, 0.1, 0, "bn"),
                       tg_nn_activation_named(g2, "relu")};
    tg_layer *b = tg_nn_sequential(g2, 3, k2, "m");
    TT_CHECK(tg_load(path, tg_layer_num_state(b), tg_layer_state(b), NULL) == TG_OK);
    for (int i = 0; i < tg_layer_num_state(a); i++) {
        tg_tensor *p = tg_layer_state(a)[i], *q = tg_layer_state(b)[i];
        TT_CHECK(!memcmp(p->data, q->data, sizeof(float) * (size_t)p->numel));
    }
    tg_set_training(g, false);
    tg_set_training(g2, false);
    tg_tensor *ya = tg_layer_forward(a, tg_input(g, TG_F32, TG_SHAPE(2, 3), xv));
    tg_tensor *yb = tg_layer_forward(b, tg_input(g2, TG_F32, TG_SHAPE(2, 3), xv));
    for (int i = 0; i < 8; i++) TT_CHECK(tg_get(ya, i) == tg_get(yb, i));
    unlink(path);
    tg_layer_free(a);
    tg_layer_free(b);
    tg_graph_free(g);
    tg_graph_free(g2);
}

/* After the first step, a training loop of forward, backward, clipping,
 * an optimizer step and a reset allocates nothing. */
static void steady_state_allocation(void)
{
    tg_graph *g = tg_graph_new();
    tg_layer *blk = tg_nn_preln(g, TG_F32, 16,
                                tg_nn_mlp(g, TG_F32, 3, (int64_t[]){16, 32, 16},
                                          "gelu", NULL, TG_INIT_HE_NORMAL, "ff"),
                                "blk");
    tg_layer *kids[3] = {tg_nn_linear(g, TG_F32, 8, 16, true, TG_INIT_HE_NORMAL, "in"),
                         blk, tg_nn_linear(g, TG_F32, 16, 4, true, TG_INIT_HE_NORMAL, "out")};
    tg_layer *net = tg_nn_sequential(g, 3, kids, "net");
    tg_optim_config oc = tg_optim_defaults(TG_OPTIM_ADAM);
    tg_optim *o = tg_optim_new(&oc, tg_layer_num_params(net), tg_layer_params(net));
    float xv[32 * 8], tv[32];
    for (int i = 0; i < 256; i++) xv[i] = (float)cos(0.1 * i);
    for (int i = 0; i < 32; i++) tv[i] = (float)(i % 4);
    uint64_t after_first = 0;
    double first = 0, last = 0;
    for (int step = 0; step < 30; step++) {
        tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(32, 8), xv);
        tg_tensor *t = tg_input(g, TG_F32, TG_SHAPE(32), tv);
        tg_tensor *loss = tg_add(tg_cross_entropy(tg_layer_forward(net, x), t),
                                 tg_nn_weight_decay(net, 1e-4));
        TT_CHECK(tg_backward(g, loss) == TG_OK);
        if (step == 0) first = tg_item(loss);
        last = tg_item(loss);
        tg_clip_grad_norm(tg_layer_num_params(net), tg_layer_params(net), 5.0, NULL);
        tg_optim_step(o);
        tg_optim_zero_grad(o);
        tg_graph_reset(g);
        if (step == 1) after_first = tg_alloc_count();
    }
    TT_CHECK(tg_alloc_count() == after_first);
    TT_CHECK(last < 0.5 * first); /* it learns the 32 points */
    tg_optim_free(o);
    tg_layer_free(net);
    tg_graph_free(g);
}

/* Every allocation failure while building a model is reported as
 * TG_ERR_OOM on the graph and leaks nothing (the ASan build checks). */
static hd_alloc oom; /* tests/hardening.h: fails the Nth allocation on */

static void build_oom(void)
{
    bool built = false;
    int failures = 0;
    for (long k = 1; k <= 400 && !built; k++) {
        tg_graph *g = tg_graph_new();
        hd_install(&oom, k, true, 0);
        tg_layer *kids[4] = {
            tg_nn_linear(g, TG_F32, 4, 8, true, TG_INIT_HE_NORMAL, "in"),
            tg_nn_preln(g, TG_F32, 8,
                        tg_nn_mlp(g, TG_F32, 3, (int64_t[]){8, 8, 8}, "gelu",
                                  NULL, TG_INIT_DEFAULT, "ff"),
                        "blk"),
            tg_nn_batchnorm(g, TG_F32, 8, 0.1, 0, "bn"),
            tg_nn_maxout(g, TG_F32, 8, 2, 2, TG_INIT_DEFAULT, "mx")};
        tg_layer *net = tg_nn_sequential(g, 4, kids, "net");
        hd_uninstall();
        if (net) {
            built = true;
            TT_CHECK(tg_graph_error(g) == NULL);
            TT_CHECK(tg_layer_num_params(net) == 2 + 4 + 2 + 2 + 2);
            tg_layer_free(net);
        } else {
            failures++;
            TT_CHECK(tg_graph_status(g) == TG_ERR_OOM);
        }
        tg_graph_free(g);
    }
    TT_CHECK(built && failures > 20);
}

static void accuracy_metric(void)
{
    tg_graph *g = tg_graph_new();
    float lv[8] = {0.1f, 0.9f, 0.5f, 0.2f, /* row 2 */ 3, 3, -1, 0};
    tg_tensor *l = tg_input(g, TG_F32, TG_SHAPE(2, 4), lv);
    float y1[2] = {1, 0}, y2[2] = {1, 1};
    TT_NEAR(tg_accuracy(l, tg_input(g, TG_F32, TG_SHAPE(2), y1)), 1.0, 0);
    TT_NEAR(tg_accuracy(l, tg_input(g, TG_F32, TG_SHAPE(2), y2)), 0.5, 0);
    TT_CHECK(isnan(tg_accuracy(l, tg_input(g, TG_F32, TG_SHAPE(3), NULL))));
    tg_graph_free(g);
}

TT_RUN(TT(linear_values), TT(block_values), TT(maxout_values),
       TT(block_param_grads), TT(block_gradcheck), TT(mlp_structure), TT(mlp_glu),
       TT(train_eval_modes), TT(freeze_stages), TT(layer_save_load),
       TT(steady_state_allocation), TT(build_oom), TT(accuracy_metric))
