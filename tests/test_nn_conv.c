/* Convolution and pooling layers: shapes through a small CNN, the layers
 * computing what the ops compute, initialisers with the convolution's
 * fans, parameter listing, save/load, freezing, and a tiny CNN that
 * learns a task a linear model of its pooled output could not. */
#include <stdlib.h>
#include <unistd.h>
#include <tapegrad/tapegrad.h>

#include "tt.h"

static tg_layer *small_cnn(tg_graph *g, tg_init init)
{
    tg_layer *k[9] = {
        tg_nn_conv2d(g, TG_F32, 1, 4, 3, 3,
                     &(tg_conv_opts){.padding_mode = TG_PAD_SAME}, true, init,
                     "c1"),
        tg_nn_batchnorm2d(g, TG_F32, 4, 0.1, 0, "bn1"),
        tg_nn_activation_named(g, "relu"),
        tg_nn_max_pool2d(g, &(tg_pool_opts){.kernel = {2, 2}}),
        tg_nn_conv2d(g, TG_F32, 4, 8, 3, 3,
                     &(tg_conv_opts){.stride = {2, 2}, .padding = {1, 1}},
                     true, init, "c2"),
        tg_nn_activation_named(g, "relu"),
        tg_nn_adaptive_avg_pool2d(g, 1, 1),
        tg_nn_flatten(g),
        tg_nn_linear(g, TG_F32, 8, 3, true, init, "fc"),
    };
    return tg_nn_sequential(g, 9, k, "cnn");
}

static void t_structure(void)
{
    tg_graph *g = tg_graph_new();
    tg_layer *net = small_cnn(g, TG_INIT_DEFAULT);
    TT_CHECK(net != NULL);
    TT_CHECK(tg_layer_num_params(net) == 8);
    TT_CHECK(tg_layer_num_state(net) == 10);
    tg_tensor *w = tg_layer_find(net, "c2.weight");
    TT_CHECK(w && w->ndim == 4 && w->shape[0] == 8 && w->shape[1] == 4 &&
             w->shape[2] == 3 && w->shape[3] == 3);
    TT_STREQ(tg_layer_kind(tg_layer_child(net, 0)), "conv2d");
    TT_STREQ(tg_layer_kind(tg_layer_child(net, 3)), "max_pool2d");
    tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(2, 1, 8, 8), NULL);
    tg_tensor *y = tg_layer_forward(net, x);
    TT_CHECK(tg_graph_error(g) == NULL);
    TT_CHECK(y->ndim == 2 && y->shape[0] == 2 && y->shape[1] == 3);
    tg_layer_free(net);
    tg_graph_free(g);
}

/* The layer computes the op with its own parameters and options. */
static void t_layer_is_op(void)
{
    tg_graph *g = tg_graph_new();
    tg_conv_opts o = {.stride = {2, 1}, .padding = {1, 2}, .groups = 2};
    tg_layer *c = tg_nn_conv2d(g, TG_F64, 4, 6, 3, 2, &o, true,
                               TG_INIT_DEFAULT, "c");
    tg_layer *t = tg_nn_conv_transpose2d(g, TG_F64, 6, 4, 2, 2,
                                         &(tg_conv_opts){.stride = {2, 2}},
                                         false, TG_INIT_HE_UNIFORM, "t");
    TT_CHECK(tg_layer_find(t, "t.weight")->shape[0] == 6 &&
             tg_layer_find(t, "t.weight")->shape[1] == 4);
    double xv[4 * 5 * 5];
    for (int i = 0; i < 100; i++) xv[i] = sin(i * 0.7);
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(1, 4, 5, 5), xv);
    tg_tensor *y = tg_layer_forward(c, x);
    tg_tensor *r = tg_conv2d(x, tg_layer_find(c, "c.weight"),
                             tg_layer_find(c, "c.bias"), &o);
    TT_CHECK(y->numel == r->numel && y->numel == 6 * 3 * 8);
    for (int64_t i = 0; i < y->numel; i++) TT_CHECK(tg_get(y, i) == tg_get(r, i));
    tg_tensor *z = tg_layer_forward(t, y);
    TT_CHECK(z->shape[1] == 4 && z->shape[2] == 6 && z->shape[3] == 16);
    TT_CHECK(tg_graph_error(g) == NULL);
    tg_layer_free(c);
    tg_layer_free(t);
    tg_graph_free(g);
}

static void moments(const tg_tensor *t, double *mean, double *sd, double *amax)
{
    double s = 0, s2 = 0, m = 0;
    for (int64_t i = 0; i < t->numel; i++) {
        double v = tg_get(t, i);
        s += v, s2 += v * v;
        if (fabs(v) > m) m = fabs(v);
    }
    *mean = s / t->numel;
    *sd = sqrt(s2 / t->numel - *mean * *mean);
    *amax = m;
}

/* fan_in = 32 * 3 * 3 = 288, fan_out = 64 * 9 = 576. */
static void t_init_fans(void)
{
    tg_graph *g = tg_graph_new();
    tg_rng_seed(tg_graph_rng(g), 3);
    double mean, sd, amax;
    tg_layer *he = tg_nn_conv2d(g, TG_F64, 32, 64, 3, 3, NULL, true,
                                TG_INIT_HE_NORMAL, "he");
    moments(tg_layer_find(he, "he.weight"), &mean, &sd, &amax);
    TT_NEAR(sd, sqrt(2.0 / 288), 0.03 * sqrt(2.0 / 288) / 1); /* 18432 draws */
    TT_CHECK(fabs(mean) < 0.005);
    moments(tg_layer_find(he, "he.bias"), &mean, &sd, &amax);
    TT_CHECK(amax == 0);
    tg_layer *dflt = tg_nn_conv2d(g, TG_F64, 32, 64, 3, 3, NULL, true,
                                  TG_INIT_DEFAULT, "d");
    moments(tg_layer_find(dflt, "d.weight"), &mean, &sd, &amax);
    double a = 1 / sqrt(288.0);
    TT_CHECK(amax <= a && amax > 0.99 * a);
    TT_NEAR(sd, a / sqrt(3.0), 0.03 * a);
    moments(tg_layer_find(dflt, "d.bias"), &mean, &sd, &amax);
    TT_CHECK(amax <= a && amax > 0.5 * a);
    tg_layer *xv = tg_nn_conv2d(g, TG_F64, 32, 64, 3, 3, NULL, false,
                                TG_INIT_XAVIER_UNIFORM, "x");
    moments(tg_layer_find(xv, "x.weight"), &mean, &sd, &amax);
    double b = sqrt(6.0 / (288 + 576));
    TT_CHECK(amax <= b && amax > 0.99 * b);
    tg_layer_free(he);
    tg_layer_free(dflt);
    tg_layer_free(xv);
    tg_graph_free(g);
}

static void t_save_load_freeze(void)
{
    char path[] = "/tmp/tg_nn_conv_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    tg_graph *g = tg_graph_new();
    tg_rng_seed(tg_graph_rng(g), 5);
    tg_layer *a = small_cnn(g, TG_INIT_HE_NORMAL);
    float xv[2 * 64];
    for (int i = 0; i < 128; i++) xv[i] = (float)cos(i * 0.37);
    tg_layer_forward(a, tg_input(g, TG_F32, TG_SHAPE(2, 1, 8, 8), xv));
    TT_CHECK(tg_save(path, tg_layer_num_state(a), tg_layer_state(a), NULL) ==
             TG_OK);
    tg_graph *g2 = tg_graph_new();
    tg_layer *b = small_cnn(g2, TG_INIT_ZEROS);
    TT_CHECK(tg_load(path, tg_layer_num_state(b), tg_layer_state(b), NULL) ==
             TG_OK);
    tg_set_training(g, false);
    tg_set_training(g2, false);
    tg_tensor *ya = tg_layer_forward(a, tg_input(g, TG_F32, TG_SHAPE(2, 1, 8, 8), xv));
    tg_tensor *yb = tg_layer_forward(b, tg_input(g2, TG_F32, TG_SHAPE(2, 1, 8, 8), xv));
    for (int i = 0; i < 6; i++) TT_CHECK(tg_get(ya, i) == tg_get(yb, i));
    unlink(path);

    /* freeze the convolutions: only the classifier gets a gradient */
    tg_set_training(g, true);
    TT_CHECK(tg_layer_set_trainable(tg_layer_child(a, 0), false) == TG_OK);
    TT_CHECK(tg_layer_set_trainable(tg_layer_child(a, 4), false) == TG_OK);
    tg_zero_grad(g);
    tg_tensor *y = tg_layer_forward(a, tg_input(g, TG_F32, TG_SHAPE(2, 1, 8, 8), xv));
    TT_CHECK(tg_backward(g, tg_sum(tg_mul(y, y), 0, NULL, false)) == TG_OK);
    tg_tensor *c1 = tg_layer_find(a, "c1.weight"), *fc = tg_layer_find(a, "fc.weight");
    double s1 = 0, s2 = 0;
    for (int64_t i = 0; i < c1->numel; i++) s1 += fabs(tg_get(c1->grad, i));
    for (int64_t i = 0; i < fc->numel; i++) s2 += fabs(tg_get(fc->grad, i));
    TT_CHECK(s1 == 0 && s2 > 0);
    tg_layer_free(a);
    tg_layer_free(b);
    tg_graph_free(g);
    tg_graph_free(g2);
}

/* 8x8 images, one bright 2x2 blob; label = which quadrant holds it. A
 * convolution, pooling and a linear layer learn it with Adam. */
static void t_learns(void)
{
    tg_graph *g = tg_graph_new();
    tg_rng_seed(tg_graph_rng(g), 11);
    tg_layer *k[6] = {
        tg_nn_conv2d(g, TG_F32, 1, 6, 3, 3, &(tg_conv_opts){.padding = {1, 1}},
                     true, TG_INIT_HE_NORMAL, "c"),
        tg_nn_activation_named(g, "relu"),
        tg_nn_max_pool2d(g, &(tg_pool_opts){.kernel = {4, 4}}),
        tg_nn_flatten(g),
        tg_nn_linear(g, TG_F32, 24, 4, true, TG_INIT_DEFAULT, "fc"),
        tg_nn_activation_named(g, "identity"),
    };
    tg_layer *net = tg_nn_sequential(g, 6, k, "net");
    tg_optim_config cfg = tg_optim_defaults(TG_OPTIM_ADAM);
    cfg.lr = 0.02;
    tg_optim *opt = tg_optim_new(&cfg, tg_layer_num_params(net),
                                 tg_layer_params(net));
    enum { B = 32 };
    static float xs[B * 64], ys[B];
    unsigned s = 1;
    double first = 0, last = 0;
    for (int step = 0; step < 120; step++) {
        memset(xs, 0, sizeof xs);
        for (int b = 0; b < B; b++) {
            s = s * 1103515245u + 12345u;
            int q = (s >> 16) % 4, r = (s >> 8) % 3, c = (s >> 12) % 3;
            int r0 = (q / 2) * 4 + r, c0 = (q % 2) * 4 + c;
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < 2; j++)
                    xs[b * 64 + (r0 + i) * 8 + c0 + j] = 1;
            ys[b] = (float)q;
        }
        tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(B, 1, 8, 8), xs);
        tg_tensor *lbl = tg_input(g, TG_F32, TG_SHAPE(B), ys);
        tg_tensor *loss = tg_cross_entropy(tg_layer_forward(net, x), lbl);
        double l = tg_get(loss, 0);
        if (step == 0) first = l;
        if (step >= 110) last += l / 10;
        TT_CHECK(tg_backward(g, loss) == TG_OK || step > 0);
        tg_optim_step_zero_grad(opt);
        tg_graph_reset(g);
    }
    /* chance is ln 4 = 1.39 */
    if (!(first > 1.0 && last < 0.05))
        fprintf(stderr, "  loss %g -> %g\n", first, last);
    TT_CHECK(first > 1.0 && last < 0.05);
    tg_optim_free(opt);
    tg_layer_free(net);
    tg_graph_free(g);
}

/* The 1-D and transposed layers, pools, upsampling, flatten, dropout2d:
 * PyTorch's weight layouts and default bounds, and each layer computing
 * its op. */
static void t_other_layers(void)
{
    tg_graph *g = tg_graph_new();
    tg_rng_seed(tg_graph_rng(g), 9);
    tg_conv_opts o1 = {.padding = {1}};
    tg_layer *c1 = tg_nn_conv1d(g, TG_F64, 3, 4, 3, &o1, true,
                                TG_INIT_DEFAULT, "c1");
    tg_tensor *w1 = tg_layer_find(c1, "c1.weight");
    TT_CHECK(w1 && w1->ndim == 3 && w1->shape[0] == 4 && w1->shape[1] == 3 &&
             w1->shape[2] == 3);
    TT_CHECK(tg_layer_params(c1)[0] == w1 &&
             tg_layer_params(c1)[1] == tg_layer_find(c1, "c1.bias"));
    /* transposed: weight [in, out / groups, k], fan_in = out / groups * k
     * (PyTorch reads dim 1) = 1 * 2, bound 1 / sqrt(2) */
    tg_layer *t1 = tg_nn_conv_transpose1d(
        g, TG_F64, 4, 2, 2, &(tg_conv_opts){.stride = {2}, .groups = 2},
        true, TG_INIT_DEFAULT, "t1");
    tg_tensor *wt = tg_layer_find(t1, "t1.weight");
    TT_CHECK(wt && wt->shape[0] == 4 && wt->shape[1] == 1 && wt->shape[2] == 2);
    double m = 0;
    for (int64_t i = 0; i < wt->numel; i++) m = fmax(m, fabs(tg_get(wt, i)));
    TT_CHECK(m <= 1 / sqrt(2.0) && m > 0);
    /* in 6, out 4, 2x2: fan_in 4 * 4 = 16, bound 1/4 over 96 draws */
    tg_layer *t2 = tg_nn_conv_transpose2d(g, TG_F64, 6, 4, 2, 2, NULL, true,
                                          TG_INIT_DEFAULT, "t2");
    tg_tensor *w2 = tg_layer_find(t2, "t2.weight"), *b2 = tg_layer_find(t2, "t2.bias");
    m = 0;
    for (int64_t i = 0; i < w2->numel; i++) m = fmax(m, fabs(tg_get(w2, i)));
    TT_CHECK(w2->numel == 96 && m <= 0.25 && m > 0.2);
    for (int64_t i = 0; i < 4; i++) TT_CHECK(fabs(tg_get(b2, i)) <= 0.25);

    double xv[2 * 3 * 6];
    for (int i = 0; i < 36; i++) xv[i] = cos(0.3 * i);
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(2, 3, 6), xv);
    tg_tensor *y = tg_layer_forward(c1, x);
    tg_tensor *r = tg_conv1d(x, w1, tg_layer_find(c1, "c1.bias"), &o1);
    TT_CHECK(y->ndim == 3 && y->shape[1] == 4 && y->shape[2] == 6);
    for (int64_t i = 0; i < r->numel; i++) TT_CHECK(tg_get(y, i) == tg_get(r, i));
    tg_tensor *z = tg_layer_forward(t1, y);
    TT_CHECK(z->ndim == 3 && z->shape[1] == 2 && z->shape[2] == 12);

    tg_pool_opts po = {.kernel = {3, 2}, .stride = {2, 2}, .padding = {1, 0}};
    tg_layer *mp = tg_nn_max_pool2d(g, &po), *ap = tg_nn_avg_pool2d(g, &po);
    tg_layer *ad = tg_nn_adaptive_avg_pool1d(g, 2);
    tg_layer *up = tg_nn_upsample(g, &(tg_interp_opts){.scale_factor = {2, 3}});
    tg_layer *fl = tg_nn_flatten(g), *dr = tg_nn_dropout2d(g, 0.5);
    TT_STREQ(tg_layer_kind(ap), "avg_pool2d");
    TT_STREQ(tg_layer_kind(up), "upsample");
    TT_CHECK(tg_layer_num_params(mp) == 0 && tg_layer_num_state(fl) == 0);
    tg_tensor *x4 = tg_input(g, TG_F64, TG_SHAPE(2, 2, 3, 3), xv);
    tg_tensor *a = tg_layer_forward(mp, x4), *ar = tg_max_pool2d(x4, &po);
    tg_tensor *b = tg_layer_forward(ap, x4), *br = tg_avg_pool2d(x4, &po);
    TT_CHECK(a->numel == ar->numel && b->numel == br->numel && a->numel == 8);
    for (int64_t i = 0; i < a->numel; i++)
        TT_CHECK(tg_get(a, i) == tg_get(ar, i) && tg_get(b, i) == tg_get(br, i));
    tg_tensor *c = tg_layer_forward(ad, x);
    TT_CHECK(c->shape[2] == 2);
    TT_NEAR(tg_get(c, 0), (xv[0] + xv[1] + xv[2]) / 3, 1e-15);
    tg_tensor *u = tg_layer_forward(up, x4);
    TT_CHECK(u->shape[2] == 6 && u->shape[3] == 9);
    TT_CHECK(tg_get(u, 9 * 1 + 2) == xv[0]); /* nearest: row 1 col 2 <- (0, 0) */
    tg_tensor *f = tg_layer_forward(fl, x4);
    TT_CHECK(f->ndim == 2 && f->shape[0] == 2 && f->shape[1] == 18);
    tg_tensor *d = tg_layer_forward(dr, x4);
    for (int64_t i = 0; i < d->numel; i++) {
        double v = tg_get(d, i);
        TT_CHECK(v == 0 || fabs(v - 2 * xv[i]) < 1e-15);
        TT_CHECK((v == 0) == (tg_get(d, i - i % 9) == 0)); /* whole planes */
    }
    tg_set_training(g, false);
    TT_CHECK(tg_layer_forward(dr, x4) == x4);
    TT_CHECK(tg_graph_error(g) == NULL);
    tg_layer *all[] = {c1, t1, t2, mp, ap, ad, up, fl, dr};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) tg_layer_free(all[i]);
    tg_graph_free(g);
}

static void t_errors(void)
{
    tg_graph *g = tg_graph_new();
    TT_CHECK(tg_nn_conv2d(g, TG_F32, 6, 4, 3, 3,
                          &(tg_conv_opts){.groups = 4}, true,
                          TG_INIT_DEFAULT, "c") == NULL);
    TT_STREQ(tg_graph_error(g),
             "tg_nn_conv2d: groups = 4 must divide the input channels 6 and "
             "the output channels 4");
    tg_graph_free(g);
    g = tg_graph_new();
    TT_CHECK(tg_nn_conv2d(g, TG_F32, 6, 4, 0, 3, NULL, true, TG_INIT_DEFAULT,
                          "c") == NULL);
    TT_STREQ(tg_graph_error(g),
             "tg_nn_conv2d: kernel 0 x 3 must be >= 1 (and channels and "
             "kernel at most 2^30)");
    tg_graph_free(g);
    g = tg_graph_new();
    TT_CHECK(tg_nn_conv2d(g, TG_F32, 2, 2, 3, 3,
                          &(tg_conv_opts){.output_padding = {1, 0}}, true,
                          TG_INIT_DEFAULT, "c") == NULL);
    TT_STREQ(tg_graph_error(g),
             "tg_nn_conv2d: output_padding is for transposed convolutions "
             "only (stride 0, 0; padding 0, 0; dilation 0, 0; "
             "output_padding 1, 0; groups 0)");
    tg_graph_free(g);
    g = tg_graph_new();
    TT_CHECK(tg_nn_conv_transpose2d(g, TG_F32, 2, 2, 3, 3,
                                    &(tg_conv_opts){.stride = {2, 2},
                                                    .output_padding = {2, 0}},
                                    true, TG_INIT_DEFAULT, "t") == NULL);
    TT_STREQ(tg_graph_error(g),
             "tg_nn_conv_transpose2d: output_padding must be smaller than "
             "the stride or the dilation (stride 2, 2; padding 0, 0; "
             "dilation 0, 0; output_padding 2, 0; groups 0)");
    tg_graph_free(g);
    g = tg_graph_new();
    TT_CHECK(tg_nn_conv1d(g, TG_F32, 2, 2, 3,
                          &(tg_conv_opts){.stride = {2},
                                          .padding_mode = TG_PAD_SAME},
                          true, TG_INIT_DEFAULT, "c") == NULL);
    TT_STREQ(tg_graph_error(g),
             "tg_nn_conv1d: padding \"same\" needs stride 1 (as PyTorch) "
             "(stride 2, 0; padding 0, 0; dilation 0, 0; output_padding 0, "
             "0; groups 0)");
    tg_graph_free(g);
    g = tg_graph_new();
    TT_CHECK(tg_nn_max_pool2d(g, NULL) == NULL);
    TT_STREQ(tg_graph_error(g),
             "tg_nn_max_pool2d: kernel (0, 0) must be >= 1 and stride, "
             "padding and dilation >= 0; hint: set tg_pool_opts.kernel");
    tg_graph_free(g);
    g = tg_graph_new();
    tg_layer *bn = tg_nn_batchnorm2d(g, TG_F32, 3, 0.1, 0, "bn");
    tg_tensor *x3 = tg_input(g, TG_F32, TG_SHAPE(2, 3, 5), NULL);
    tg_tensor *py = tg_layer_forward(bn, x3);
    TT_CHECK(py == tg_add(x3, NULL)); /* the graph's poison tensor */
    TT_STREQ(tg_graph_error(g),
             "tg_nn_batchnorm2d (bn): input must be 4-D [N, C, H, W], got "
             "[2,3,5]; hint: tg_nn_batchnorm takes any [N, C, ...]");
    tg_layer_free(bn);
    tg_graph_free(g);
    g = tg_graph_new();
    tg_layer *fl = tg_nn_flatten(g);
    tg_layer_forward(fl, tg_input(g, TG_F32, TG_SHAPE(7), NULL));
    TT_STREQ(tg_graph_error(g),
             "tg_nn_flatten: input [7] has no axis 1 to flatten from; hint: "
             "the layer keeps axis 0 (the batch)");
    tg_layer_free(fl);
    tg_graph_free(g);
}

int main(int argc, char **argv)
{
    static const tt_entry cases[] = {
        TT(t_structure), TT(t_layer_is_op), TT(t_init_fans),
        TT(t_save_load_freeze), TT(t_learns), TT(t_other_layers),
        TT(t_errors),
    };
    return tt_main(cases, (int)(sizeof cases / sizeof *cases), argc, argv);
}
