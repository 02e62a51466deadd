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
        if (step < 10) first += l / 10;
        if (step >= 110) last += l / 10;
        TT_CHECK(tg_backward(g, loss) == TG_OK || step > 0);
        tg_optim_step_zero_grad(opt);
        tg_graph_reset(g);
    }
    if (!(last < 0.2 * first))
        fprintf(stderr, "  loss %g -> %g\n", first, last);
    TT_CHECK(first > 1.0 && last < 0.2 * first);
    tg_optim_free(opt);
    tg_layer_free(net);
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
             "tg_nn_conv2d: sizes 0 and 3 must be >= 1");
    tg_graph_free(g);
}

int main(int argc, char **argv)
{
    static const tt_entry cases[] = {
        TT(t_structure), TT(t_layer_is_op), TT(t_init_fans),
        TT(t_save_load_freeze), TT(t_learns), TT(t_errors),
    };
    return tt_main(cases, (int)(sizeof cases / sizeof *cases), argc, argv);
}
