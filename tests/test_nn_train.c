/* nn acceptance, small and fast: real learning on Fashion-MNIST.
 *
 * Both cases train on the first 8000 images of the installed test file
 * (t10k, 10000 images: small to load) and measure on its last 2000, which
 * are never trained on. The full-size runs are examples/train_fashion.c
 * and examples/train_residual.c (results in docs/nn.md). */
#include <stdlib.h>
#include <tapegrad/tapegrad.h>
#include <unistd.h>

#include "tt.h"

#define IMAGES "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
#define LABELS "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz"

static tg_array Xtr, Ytr, Xho, Yho; /* training part, held-out part */

static bool load_data(void)
{
    if (Xtr.data) return true;
    if (access(IMAGES, R_OK) != 0) {
        printf("  (skipped: %s not installed)\n", IMAGES);
        return false;
    }
    tg_array X, Y;
    TT_CHECK(tg_idx_load(IMAGES, &X) == TG_OK);
    TT_CHECK(tg_idx_load(LABELS, &Y) == TG_OK);
    tg_array_reshape_rows(&X);
    /* as examples/train_fashion: standardized with the training part's
     * statistics */
    double mu, sd;
    tg_array rows;
    TT_CHECK(tg_array_rows(&X, 0, 8000, &rows) == TG_OK);
    tg_array_mean_std(&rows, &mu, &sd);
    tg_array_free(&rows);
    tg_array_scale(&X, 1 / sd, -mu / sd);
    TT_CHECK(tg_array_rows(&X, 0, 8000, &Xtr) == TG_OK);
    TT_CHECK(tg_array_rows(&Y, 0, 8000, &Ytr) == TG_OK);
    TT_CHECK(tg_array_rows(&X, 8000, 2000, &Xho) == TG_OK);
    TT_CHECK(tg_array_rows(&Y, 8000, 2000, &Yho) == TG_OK);
    tg_array_free(&X);
    tg_array_free(&Y);
    return Xtr.data != NULL;
}

static double held_out_accuracy(tg_graph *g, tg_layer *net)
{
    bool grad = tg_set_grad_enabled(g, false), train = tg_set_training(g, false);
    tg_batch_opts bo = {.batch_size = 500};
    tg_batcher *b = tg_batcher_new(&Xho, &Yho, &bo);
    double right = 0;
    tg_tensor *x, *y;
    for (int64_t n; (n = tg_batcher_next(b, g, TG_F32, &x, &y)) > 0;) {
        right += tg_accuracy(tg_layer_forward(net, x), y) * (double)n;
        tg_graph_reset(g);
    }
    tg_batcher_free(b);
    tg_set_grad_enabled(g, grad);
    tg_set_training(g, train);
    return right / 2000.0;
}

/* Mean training loss of the last epoch. */
static double train(tg_graph *g, tg_layer *net, tg_optim *o, int epochs,
                    uint64_t seed)
{
    tg_batch_opts bo = {.batch_size = 128, .shuffle = true, .seed = seed};
    tg_batcher *b = tg_batcher_new(&Xtr, &Ytr, &bo);
    double sum = 0;
    int64_t seen = 0;
    for (int ep = 0; ep < epochs; ep++) {
        sum = 0;
        seen = 0;
        tg_tensor *x, *y;
        for (int64_t n; (n = tg_batcher_next(b, g, TG_F32, &x, &y)) > 0;) {
            tg_tensor *loss = tg_cross_entropy(tg_layer_forward(net, x), y);
            if (tg_backward(g, loss) != TG_OK) {
                TT_STREQ(tg_graph_error(g), "");
                tg_batcher_free(b);
                return NAN;
            }
            tg_optim_step(o);
            tg_optim_zero_grad(o);
            sum += tg_item(loss) * (double)n;
            seen += n;
            tg_graph_reset(g);
        }
    }
    tg_batcher_free(b);
    return sum / (double)seen;
}

/* The acceptance MLP (784-256-256-10, ReLU, He, SGD momentum 0.9, lr
 * 0.05, batch 128), two epochs on 8000 images. Chance is 10%; two epochs
 * of this net reach about 80% on held-out images, so 75% is a bar only
 * real learning clears. */
static void mlp_fashion(void)
{
    if (!load_data()) return;
    tg_graph *g = tg_graph_new();
    tg_rng_seed(tg_graph_rng(g), 1);
    tg_layer *net = tg_nn_mlp(g, TG_F32, 4, (int64_t[]){784, 256, 256, 10},
                              "relu", NULL, TG_INIT_HE_NORMAL, "mlp");
    tg_optim_config oc = tg_optim_defaults(TG_OPTIM_MOMENTUM);
    oc.lr = 0.05;
    oc.momentum = 0.9;
    tg_optim *o = tg_optim_new(&oc, tg_layer_num_params(net), tg_layer_params(net));
    double before = held_out_accuracy(g, net);
    double loss = train(g, net, o, 2, 1);
    double acc = held_out_accuracy(g, net);
    printf("  mlp: held-out accuracy %.4f before, %.4f after; last-epoch loss "
           "%.4f\n",
           before, acc, loss);
    TT_CHECK(before < 0.3);
    TT_CHECK(acc >= 0.75);
    TT_CHECK(loss < 0.7);
    tg_optim_free(o);
    tg_layer_free(net);
    tg_graph_free(g);
}

/* 16 blocks of width 64 with and without the skip connection, Adam, two
 * epochs: the residual network must reach a clearly lower loss. */
static tg_layer *deep(tg_graph *g, bool residual)
{
    enum { BLOCKS = 16, W = 64 };
    tg_layer *parts[BLOCKS + 3];
    int n = 0;
    parts[n++] = tg_nn_linear(g, TG_F32, 784, W, true, TG_INIT_DEFAULT, "embed");
    for (int i = 0; i < BLOCKS; i++) {
        char nm[32], fn[40], ln[40];
        snprintf(nm, sizeof nm, "b%d", i);
        snprintf(fn, sizeof fn, "b%d.ff", i);
        snprintf(ln, sizeof ln, "b%d.ln", i);
        tg_layer *f = tg_nn_mlp(g, TG_F32, 3, (int64_t[]){W, W, W}, "gelu", NULL,
                                TG_INIT_DEFAULT, fn);
        if (residual) {
            parts[n++] = tg_nn_preln(g, TG_F32, W, f, nm);
        } else {
            tg_layer *seq[2] = {tg_nn_layernorm(g, TG_F32, W, 1e-5, ln), f};
            parts[n++] = tg_nn_sequential(g, 2, seq, nm);
        }
    }
    parts[n++] = tg_nn_layernorm(g, TG_F32, W, 1e-5, "final_ln");
    parts[n++] = tg_nn_linear(g, TG_F32, W, 10, true, TG_INIT_DEFAULT, "head");
    return tg_nn_sequential(g, n, parts, "net");
}

static void residual_vs_plain(void)
{
    if (!load_data()) return;
    double loss[2], acc[2];
    for (int k = 0; k < 2; k++) {
        tg_graph *g = tg_graph_new();
        tg_rng_seed(tg_graph_rng(g), 2);
        tg_layer *net = deep(g, k == 0);
        TT_CHECK(net != NULL);
        TT_CHECK(tg_layer_num_params(net) == 2 + 16 * 6 + 2 + 2);
        tg_optim_config oc = tg_optim_defaults(TG_OPTIM_ADAM);
        tg_optim *o = tg_optim_new(&oc, tg_layer_num_params(net),
                                   tg_layer_params(net));
        loss[k] = train(g, net, o, 2, 2);
        acc[k] = held_out_accuracy(g, net);
        tg_optim_free(o);
        tg_layer_free(net);
        tg_graph_free(g);
    }
    printf("  16 blocks: residual loss %.4f acc %.4f; plain loss %.4f acc "
           "%.4f\n",
           loss[0], acc[0], loss[1], acc[1]);
    TT_CHECK(loss[0] < 0.75 * loss[1]);
    TT_CHECK(acc[0] > 0.65);
}

static void cleanup(void)
{
    tg_array_free(&Xtr);
    tg_array_free(&Ytr);
    tg_array_free(&Xho);
    tg_array_free(&Yho);
}

TT_RUN(TT(mlp_fashion), TT(residual_vs_plain), TT(cleanup))
