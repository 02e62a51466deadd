/* cnn: a convolutional network on Fashion-MNIST, and what it learned.
 *
 * The network is LeCun-style: two stages of 3x3 convolution, batch norm,
 * ReLU and 2x2 max pooling, then a small classifier:
 *     [1, 28, 28] -> conv 3x3 (W) -> BN -> ReLU -> max pool 2 -> [W, 14, 14]
 *                 -> conv 3x3 (2W) -> BN -> ReLU -> max pool 2 -> [2W, 7, 7]
 *                 -> flatten -> dropout -> linear 98 W -> 128 -> ReLU
 *                 -> dropout -> linear 10
 * with W = 16 (--width; --long: 24), PyTorch's default initialisation,
 * trained by AdamW (lr 2e-3 with a cosine decay to 0, decoupled weight
 * decay 0.05 on the convolution and linear weights, batches of 128) on
 * the softmax cross-entropy, 6 epochs (--long: 15). The training images
 * are not augmented by default; with --long they are shifted by up to
 * 1 pixel, drawn anew for every batch from the graph's seeded RNG
 * (tg_images_augment; --flip mirrors half of them too). Dropout is 0.1
 * in both.
 * Per epoch it prints the training loss and accuracy, the
 * test accuracy and the time. Then it trains the 784-256-256-10 MLP of
 * `demo fashion` (its recipe: SGD with momentum, 10 epochs) on the same
 * images, and compares the two.
 *
 * Writes OUT/cnn_curves.svg (loss and accuracy per epoch),
 * OUT/cnn_filters.svg (the first layer's 3x3 filters),
 * OUT/cnn_features.svg (one test image and its feature maps after each
 * stage), OUT/cnn_confusion.svg, and the numbers behind them as TSV. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tapegrad/tapegrad.h>

#include "demo_common.h"
#include "demos.h"

enum { CLASSES = DEMO_FASHION_CLASSES };

/* What --long changes (an option given on the command line wins). Why
 * these values: see tg_demo_cnn. */
#define LONG_EPOCHS 15
#define LONG_WIDTH 24
#define LONG_SHIFT 1
#define LONG_DROPOUT 0.1
#define TEXT_(x) #x
#define TEXT(x) TEXT_(x)

/* [N, 28, 28] as [N, 1, 28, 28] (one channel) or [N, 784]. */
static void as_images(tg_array *a)
{
    int64_t n = a->shape[0];
    a->ndim = 4;
    a->shape[0] = n, a->shape[1] = 1, a->shape[2] = 28, a->shape[3] = 28;
}
static void as_rows(tg_array *a)
{
    int64_t n = a->shape[0];
    a->ndim = 2;
    a->shape[0] = n, a->shape[1] = 784;
}

static tg_layer *make_cnn(tg_graph *g, int64_t w, double dropout)
{
    tg_conv_opts pad1 = {.padding = {1, 1}};
    tg_pool_opts pool2 = {.kernel = {2, 2}};
    tg_layer *k[] = {
        tg_nn_conv2d(g, TG_F32, 1, w, 3, 3, &pad1, true, TG_INIT_DEFAULT,
                     "conv1"),
        tg_nn_batchnorm2d(g, TG_F32, w, 0.1, 1e-5, "bn1"),
        tg_nn_activation_named(g, "relu"),
        tg_nn_max_pool2d(g, &pool2),
        tg_nn_conv2d(g, TG_F32, w, 2 * w, 3, 3, &pad1, true,
                     TG_INIT_DEFAULT, "conv2"),
        tg_nn_batchnorm2d(g, TG_F32, 2 * w, 0.1, 1e-5, "bn2"),
        tg_nn_activation_named(g, "relu"),
        tg_nn_max_pool2d(g, &pool2),
        tg_nn_flatten(g),
        tg_nn_dropout(g, dropout),
        tg_nn_linear(g, TG_F32, 2 * w * 49, 128, true, TG_INIT_DEFAULT,
                     "fc1"),
        tg_nn_activation_named(g, "relu"),
        tg_nn_dropout(g, dropout),
        tg_nn_linear(g, TG_F32, 128, CLASSES, true, TG_INIT_DEFAULT, "fc2"),
    };
    return tg_nn_sequential(g, (int)(sizeof k / sizeof *k), k, "cnn");
}

/* Class predicted for every row of X, in eval mode, nothing recorded.
 * Returns the fraction right, or -1 on an error. */
static double predict(tg_graph *g, tg_layer *net, const tg_array *X,
                      const tg_array *Y, int *pred)
{
    tg_batch_opts bo = {.batch_size = 500};
    tg_batcher *b = tg_batcher_new(X, Y, &bo);
    if (!b) return -1;
    bool grad = tg_set_grad_enabled(g, false);
    bool train = tg_set_training(g, false);
    int64_t row = 0, right = 0;
    tg_tensor *x, *y;
    for (int64_t n; (n = tg_batcher_next(b, g, TG_F32, &x, &y)) > 0;) {
        tg_tensor *logits = tg_layer_forward(net, x);
        if (tg_graph_error(g)) break;
        const float *p = tg_f32(logits);
        for (int64_t i = 0; i < n; i++, row++) {
            int best = 0;
            for (int k = 1; k < CLASSES; k++)
                if (p[i * CLASSES + k] > p[i * CLASSES + best]) best = k;
            pred[row] = best;
            right += best == (int)Y->data[row];
        }
        tg_graph_reset(g);
    }
    tg_set_grad_enabled(g, grad);
    tg_set_training(g, train);
    tg_batcher_free(b);
    return row == X->shape[0] ? (double)right / (double)row : -1;
}

typedef struct epoch_log {
    double loss, train_acc, test_acc, secs;
} epoch_log;

/* Train `net` for `epochs` epochs with optimizer `opt` and a cosine
 * schedule from lr to 0; per epoch the averages over its batches and the
 * test accuracy go to log[]. Prints a row per epoch when `say`. Returns
 * the epochs completed, or -1 on an error or divergence (reported). */
static int train(const demo_ctx *c, tg_graph *g, tg_layer *net,
                 tg_optim *opt, double lr, int epochs, const tg_array *X,
                 const tg_array *Y, const tg_array *Xt, const tg_array *Yt,
                 const tg_augment_opts *aug, int *pred, epoch_log *log,
                 bool say, const char *what)
{
    tg_batch_opts bo = {.batch_size = 128, .shuffle = true,
                        .seed = (uint64_t)c->seed};
    tg_batcher *b = tg_batcher_new(X, Y, &bo);
    if (!b) {
        fprintf(stderr, "tapegrad demo %s: %s\n", c->name, tg_last_error());
        return -1;
    }
    int64_t nb = tg_batcher_num_batches(b);
    tg_lr_schedule lrs = {.kind = TG_LR_COSINE, .base_lr = lr,
                          .total = epochs * nb};
    int done = 0;
    for (int ep = 1; ep <= epochs; ep++) {
        char label[48];
        snprintf(label, sizeof label, "%s epoch %d/%d", what, ep, epochs);
        demo_progress bar;
        demo_progress_start(&bar, label, nb);
        double t0 = demo_now(), loss_sum = 0, right = 0;
        int64_t seen = 0, step = 0;
        tg_tensor *x, *y;
        for (int64_t n; (n = tg_batcher_next(b, g, TG_F32, &x, &y)) > 0;) {
            /* a failure here is sticky on g: backward reports it */
            if (aug) tg_images_augment(x, tg_graph_rng(g), aug, NULL);
            tg_tensor *logits = tg_layer_forward(net, x);
            tg_tensor *loss = tg_cross_entropy(logits, y);
            if (tg_backward(g, loss) != TG_OK) {
                demo_progress_end(&bar);
                tg_batcher_free(b);
                demo_fail(c, g);
                return -1;
            }
            double l = tg_item(loss);
            if (!isfinite(l)) {
                char why[128], where[64];
                demo_progress_end(&bar);
                snprintf(where, sizeof where, "in epoch %d, batch %lld", ep,
                         (long long)step + 1);
                printf("\n  %s training %s; no result is reported from "
                       "it (try a smaller --lr)\n",
                       what, demo_diverged_text(why, sizeof why, where, l));
                tg_batcher_free(b);
                return -1;
            }
            loss_sum += l * (double)n;
            right += tg_accuracy(logits, y) * (double)n;
            seen += n;
            tg_optim_set_lr(opt, tg_lr_at(&lrs, tg_optim_steps(opt)));
            tg_optim_step_zero_grad(opt);
            tg_graph_reset(g);
            char note[32];
            snprintf(note, sizeof note, "loss %.4f", loss_sum / (double)seen);
            demo_progress_update(&bar, ++step, note);
        }
        demo_progress_end(&bar);
        double secs = demo_now() - t0;
        double acc = predict(g, net, Xt, Yt, pred);
        if (acc < 0) {
            tg_batcher_free(b);
            demo_fail(c, g);
            return -1;
        }
        log[ep - 1] = (epoch_log){loss_sum / (double)seen,
                                  right / (double)seen, acc, secs};
        done = ep;
        if (say) {
            printf("  %5d  %10.4f  %8.2f%%  %7.2f%%  %6.1fs\n", ep,
                   log[ep - 1].loss, 100 * log[ep - 1].train_acc, 100 * acc,
                   secs);
            fflush(stdout);
        }
    }
    tg_batcher_free(b);
    return done;
}

/* ------------------------------------------------------------ pictures */

static void curves_figure(const demo_ctx *c, double mlp_acc)
{
    FILE *gp = demo_gnuplot_script(c, "cnn_curves", 1100, 420);
    if (!gp) return;
    fprintf(gp, "set multiplot layout 1,2 title 'Fashion-MNIST, CNN'\n"
                "set xlabel 'epoch'\nset key bottom right\n"
                "set title 'training loss (cross-entropy)'\n"
                "plot 'cnn_epochs.tsv' using 1:2 with linespoints lw 2 pt 7 "
                "lc rgb '#2c6db4' title 'train'\n"
                "set title 'accuracy'\nset format y '%%.0f%%%%'\n"
                "plot 'cnn_epochs.tsv' using 1:(100*$3) with linespoints "
                "lw 2 pt 7 lc rgb '#2c6db4' title 'train', \\\n"
                "     '' using 1:(100*$4) with linespoints lw 2 pt 7 "
                "lc rgb '#c0392b' title 'test', \\\n"
                "     %.4f with lines dt 2 lw 2 lc rgb '#555555' "
                "title 'MLP of demo fashion (test)'\n"
                "unset multiplot\n",
            100 * mlp_acc);
    demo_plot(c, "cnn_curves", gp);
}

/* Planes laid out in a grid for gnuplot's `with image`, which needs one
 * regular grid: plane k at column k % cols, row k / cols, a gap of one
 * pixel between planes; one (x, y, value) row per pixel, a blank line
 * after each scan line, NaN in the gaps (not drawn). */
static void write_planes(FILE *f, const float *v, int64_t n, int64_t h,
                         int64_t w, int cols)
{
    int64_t gc = n < cols ? n : cols, gr = (n + cols - 1) / cols;
    int64_t X = gc * (w + 1) - 1, Y = gr * (h + 1) - 1;
    for (int64_t y = 0; y < Y; y++) {
        for (int64_t x = 0; x < X; x++) {
            int64_t i = y % (h + 1), j = x % (w + 1);
            int64_t k = (y / (h + 1)) * cols + x / (w + 1);
            if (i == h || j == w || k >= n)
                fprintf(f, "%lld\t%lld\tNaN\n", (long long)x, (long long)y);
            else
                fprintf(f, "%lld\t%lld\t%.6g\n", (long long)x,
                        (long long)y, v[(k * h + i) * w + j]);
        }
        fprintf(f, "\n");
    }
}

static void filters_figure(const demo_ctx *c, const tg_tensor *w)
{
    int64_t n = w->shape[0];
    FILE *f = demo_open(c, "cnn_filters.tsv");
    if (!f) return;
    fprintf(f, "# x\ty\tweight (filter k at column k %% 8, row k / 8; NaN "
               "between filters)\n");
    write_planes(f, tg_f32((tg_tensor *)w), n, 3, 3, 8);
    fclose(f);
    FILE *gp = demo_gnuplot_script(c, "cnn_filters", 900, 80 + 110 *
                                                               (int)((n + 7) / 8));
    if (!gp) return;
    fprintf(gp, "set title 'first layer: the %lld learned 3x3 filters "
                "(blue < 0 < red)'\n"
                "unset xtics\nunset ytics\nunset border\nunset key\n"
                "set size ratio -1\nset yrange [*:*] reverse\n"
                "set palette defined (-1 '#2166ac', 0 'white', 1 '#b2182b')\n"
                "stats 'cnn_filters.tsv' using 3 nooutput\n"
                "m = abs(STATS_min) > abs(STATS_max) ? abs(STATS_min) : "
                "abs(STATS_max)\nset cbrange [-m:m]\n"
                "plot 'cnn_filters.tsv' using 1:2:3 with image\n",
            (long long)n);
    demo_plot(c, "cnn_filters", gp);
}

/* One test image, then its maps after the first stage (ReLU of batch
 * norm of conv1, before pooling) and after the second stage's pooling. */
static bool features_figure(const demo_ctx *c, tg_graph *g, tg_layer *net,
                            const tg_array *Xt, const tg_array *Yt,
                            int64_t row, const int *pred)
{
    bool grad = tg_set_grad_enabled(g, false);
    bool train = tg_set_training(g, false);
    tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(1, 1, 28, 28),
                            Xt->data + row * 784);
    tg_tensor *h = x, *stage1 = NULL, *stage2 = NULL;
    for (int i = 0; i < tg_layer_num_children(net); i++) {
        h = tg_layer_forward(tg_layer_child(net, i), h);
        if (i == 2) stage1 = h; /* after the first ReLU */
        if (i == 7) stage2 = h; /* after the second pooling */
    }
    bool ok = tg_graph_error(g) == NULL && stage1 && stage2;
    FILE *f = ok ? demo_open(c, "cnn_features.tsv") : NULL;
    if (f) {
        fprintf(f, "# x\ty\tvalue; index 0: the image, 1: stage 1 maps "
                   "[%lld,28,28], 2: stage 2 maps [%lld,7,7]\n",
                (long long)stage1->shape[1], (long long)stage2->shape[1]);
        write_planes(f, tg_f32(x), 1, 28, 28, 1);
        fprintf(f, "\n\n");
        write_planes(f, tg_f32(stage1), stage1->shape[1], 28, 28, 4);
        fprintf(f, "\n\n");
        write_planes(f, tg_f32(stage2), stage2->shape[1], 7, 7, 8);
        fclose(f);
        FILE *gp = demo_gnuplot_script(c, "cnn_features", 1200, 900);
        if (gp) {
            fprintf(gp, "set multiplot layout 1,3 title 'test image %lld "
                        "(%s, predicted %s) through the network'\n"
                        "unset xtics\nunset ytics\nunset border\nunset key\n"
                        "unset colorbox\nset size ratio -1\n"
                        "set yrange [*:*] reverse\n"
                        "set palette grey\n"
                        "set title 'input'\n"
                        "plot 'cnn_features.tsv' index 0 using 1:2:3 with "
                        "image\n"
                        "set palette defined (0 'black', 1 '#fdae61', 2 "
                        "'white')\n"
                        "set title 'stage 1: conv, BN, ReLU (%lld maps)'\n"
                        "plot 'cnn_features.tsv' index 1 using 1:2:3 with "
                        "image\n"
                        "set title 'stage 2: after pooling (%lld maps)'\n"
                        "plot 'cnn_features.tsv' index 2 using 1:2:3 with "
                        "image\n"
                        "unset multiplot\n",
                    (long long)row, demo_fashion_class[(int)Yt->data[row]],
                    demo_fashion_class[pred[row]], (long long)stage1->shape[1],
                    (long long)stage2->shape[1]);
            demo_plot(c, "cnn_features", gp);
        }
    }
    tg_graph_reset(g);
    tg_set_grad_enabled(g, grad);
    tg_set_training(g, train);
    return ok;
}

static void confusion_figure(const demo_ctx *c, int64_t max)
{
    FILE *gp = demo_gnuplot_script(c, "cnn_confusion", 860, 800);
    if (!gp) return;
    double dark = exp(0.6 * log((double)max + 1)) - 1;
    fprintf(gp, "set title 'CNN: test set confusion matrix (counts)'\n"
                "unset grid\nset size ratio -1\n"
                "set xrange [-0.5:9.5]\nset yrange [9.5:-0.5]\n"
                "set xlabel 'predicted'\nset ylabel 'true class'\n"
                "set palette defined (0 'white', 1 '#9ecae1', 2 '#08519c')\n"
                "set logscale cb\nset cbrange [1:%lld]\nunset colorbox\n"
                "set style fill solid 1.0 noborder\n"
                "set xtics rotate by 45 right scale 0 (",
            (long long)max + 1);
    for (int k = 0; k < CLASSES; k++)
        fprintf(gp, "%s'%s' %d", k ? ", " : "", demo_fashion_class[k], k);
    fprintf(gp, ")\nset ytics scale 0 (");
    for (int k = 0; k < CLASSES; k++)
        fprintf(gp, "%s'%s' %d", k ? ", " : "", demo_fashion_class[k], k);
    fprintf(gp, ")\ndark = %.6g\n"
                "plot 'cnn_confusion.tsv' matrix using 1:2:(0.5):(0.5):"
                "($3+1) with boxxyerror fc palette, \\\n"
                "     '' matrix using 1:2:($3 >= dark ? sprintf('%%d', $3) : "
                "'') with labels font ',11' tc rgb 'white', \\\n"
                "     '' matrix using 1:2:($3 < dark ? sprintf('%%d', $3) : "
                "'') with labels font ',11' tc rgb 'black'\n",
            dark);
    demo_plot(c, "cnn_confusion", gp);
}

/* ---------------------------------------------------------------- main */

int tg_demo_cnn(int argc, char **argv)
{
    /* The default recipe trains in a few minutes, with light
     * regularisation (dropout 0.1, weight decay) and no augmentation:
     * six epochs are too few for it to pay off (with shifts of 2 px,
     * flips and dropout 0.25 the test accuracy after six epochs was
     * 89.79%, with flips and dropout 0.1 91.41%). --long trains a wider
     * network for longer, which shifts of 1 px keep from overfitting
     * (without augmentation the test accuracy stopped rising after
     * epoch 8 of 15). Shifts of 2 px with flips and dropout 0.25 were
     * too much: that run underfit, 90.6% right on its training batches
     * and 91.88% on the test set after 15 epochs. Flips are left out:
     * of three lighter recipes trained side by side, shifts of 1 px
     * alone led at epoch 5 (docs/demos.md). */
    int epochs = 6, width = 16, shift = 0;
    double lr = 2e-3, dropout = 0.1, wd = 0.05;
    int mlp_epochs = 10;
    bool longer = false, no_mlp = false, flip = false, no_flip = false;
    const char *data = DEMO_FASHION_DIR;
    const demo_opt opts[] = {
        {"epochs", DEMO_INT, &epochs, "training epochs (default 6; "
                                          "--long: " TEXT(LONG_EPOCHS) ")",
         1, 1000, false},
        {"long", DEMO_FLAG, &longer, "train a wider network (--width "
                                     TEXT(LONG_WIDTH) ") for longer ("
                                     TEXT(LONG_EPOCHS) " epochs) on "
                                     "augmented images (--shift "
                                     TEXT(LONG_SHIFT) " --dropout "
                                     TEXT(LONG_DROPOUT) ")", 0, 0, false},
        {"lr", DEMO_REAL, &lr, "AdamW's learning rate (default 0.002, "
                                   "cosine decay to 0)", 0, 10, true},
        {"width", DEMO_INT, &width, "channels of the first convolution "
                                        "(the second has twice as many; "
                                        "default 16, --long "
                                        TEXT(LONG_WIDTH) ")", 1, 256,
         false},
        {"dropout", DEMO_REAL, &dropout, "dropout before each linear "
                                             "layer (default 0.1; --long: "
                                             TEXT(LONG_DROPOUT) ")", 0,
         0.95, false},
        {"weight-decay", DEMO_REAL, &wd, "AdamW's decoupled weight "
                                             "decay of the conv and linear "
                                             "weights (default 0.05)", 0, 10,
         false},
        {"shift", DEMO_INT, &shift, "shift training images by up to "
                                        "this many pixels (default 0: "
                                        "none; --long: " TEXT(LONG_SHIFT)
                                        ")", 0, 8, false},
        {"flip", DEMO_FLAG, &flip, "mirror half the training images "
                                   "left-right", 0, 0,
         false},
        {"no-flip", DEMO_FLAG, &no_flip, "do not mirror training images",
         0, 0, false},
        {"mlp-epochs", DEMO_INT, &mlp_epochs, "epochs of the MLP it is "
                                              "compared with (default 10)",
         1, 1000, false},
        {"no-mlp", DEMO_FLAG, &no_mlp, "skip the MLP comparison", 0, 0,
         false},
        {"data", DEMO_TEXT, &data, "Fashion-MNIST directory (default "
                                   DEMO_FASHION_DIR ")", 0, 0, false},
    };
    demo_ctx c;
    if (!demo_begin(&c, argc, argv,
                    "Train a small convolutional network on Fashion-MNIST, "
                    "draw its filters,\nfeature maps and confusion matrix, "
                    "and compare it with the MLP of demo fashion.\n--fast: "
                    "one epoch on 6000 images (two for the MLP).",
                    opts, (int)(sizeof opts / sizeof *opts)))
        return c.exit_code;
    if (longer && !demo_given(&c, "epochs")) epochs = LONG_EPOCHS;
    if (longer && !demo_given(&c, "width")) width = LONG_WIDTH;
    if (longer && !demo_given(&c, "shift")) shift = LONG_SHIFT;
    if (longer && !demo_given(&c, "dropout")) dropout = LONG_DROPOUT;
    if (no_flip) flip = false;

    tg_array Xtr = {0}, Ytr = {0}, Xte = {0}, Yte = {0};
    tg_array *arr[4] = {&Xtr, &Ytr, &Xte, &Yte};
    tg_graph *g = NULL, *gm = NULL;
    tg_layer *net = NULL, *mlp = NULL;
    tg_optim *opt = NULL, *mopt = NULL;
    int *pred = NULL, *mpred = NULL;
    epoch_log *log = NULL, *mlog = NULL;
    tg_tensor **decayed = NULL, **kept = NULL;
    int rc = 1;
    if (!demo_fashion_load(&c, data, &Xtr, &Ytr, &Xte, &Yte)) goto done;
    if (c.fast) {
        demo_keep_rows(&Xtr, 6000);
        demo_keep_rows(&Ytr, 6000);
        demo_keep_rows(&Xte, 2000);
        demo_keep_rows(&Yte, 2000);
        if (!demo_given(&c, "epochs")) epochs = 1;
        if (!demo_given(&c, "mlp-epochs")) mlp_epochs = 2;
    }
    /* pixels standardised with the training set's mean and std (the
     * test set gets the same transform); the background, 0 before, is
     * then -mu/sd, and the pixels a shift moves in get that value */
    double mu, sd;
    tg_array_mean_std(&Xtr, &mu, &sd);
    tg_array_scale(&Xtr, 1 / sd, -mu / sd);
    tg_array_scale(&Xte, 1 / sd, -mu / sd);
    int64_t n_test = Xte.shape[0];
    as_images(&Xtr);
    as_images(&Xte);
    tg_augment_opts aug = {.max_shift = shift, .hflip = flip,
                           .fill = -mu / sd};
    bool augment = aug.max_shift > 0 || aug.hflip;

    g = tg_graph_new();
    if (!g) goto fail;
    tg_rng_seed(tg_graph_rng(g), (uint64_t)c.seed);
    net = make_cnn(g, width, dropout);
    if (!net) goto fail;
    /* AdamW; the decay applies to the convolution and linear weights
     * only, not to biases and batch norm's scales and shifts (a common
     * practice: decaying those pulls the normalisation toward zero
     * without curbing the capacity that overfits) */
    int np = tg_layer_num_params(net), nd = 0, nk = 0;
    decayed = malloc(sizeof *decayed * (size_t)np);
    kept = malloc(sizeof *kept * (size_t)np);
    if (!decayed || !kept) goto fail;
    for (int i = 0; i < np; i++) {
        tg_tensor *p = tg_layer_params(net)[i];
        if (p->ndim >= 2) decayed[nd++] = p;
        else kept[nk++] = p;
    }
    tg_optim_config oc = tg_optim_defaults(TG_OPTIM_ADAMW);
    oc.lr = lr;
    oc.weight_decay = wd;
    opt = tg_optim_new(&oc, nd, decayed);
    if (opt && nk &&
        tg_optim_add_group(opt, nk, kept,
                           &(tg_optim_group){.lr = lr, .weight_decay = 0}) < 0)
        goto fail;
    pred = malloc(sizeof *pred * (size_t)n_test);
    mpred = malloc(sizeof *mpred * (size_t)n_test);
    log = calloc((size_t)epochs, sizeof *log);
    mlog = calloc((size_t)mlp_epochs, sizeof *mlog);
    if (!opt || !pred || !mpred || !log || !mlog) goto fail;
    int64_t n_weights = 0;
    for (int i = 0; i < np; i++) n_weights += tg_layer_params(net)[i]->numel;

    /* what the augmentation does, in words */
    char augtext[160] = "none";
    if (augment) {
        size_t k = 0;
        if (aug.max_shift > 0)
            k += (size_t)snprintf(augtext, sizeof augtext,
                                  "shifts by up to %d px (pad and crop)%s",
                                  aug.max_shift, aug.hflip ? ", " : "");
        if (aug.hflip)
            snprintf(augtext + k, sizeof augtext - k,
                     "left-right flips of half of them");
    }
    printf("cnn: Fashion-MNIST from %s\n"
           "  %lld training and %lld test images of 28x28 pixels, 10 "
           "classes%s\n"
           "  model: conv 3x3 1->%d, BN, ReLU, max pool 2 | conv 3x3 "
           "%d->%d, BN, ReLU, max pool 2 |\n"
           "         dropout %g, linear %d->128, ReLU, dropout %g, linear "
           "128->10\n"
           "         (%lld weights, PyTorch's default init)\n"
           "  training: AdamW, lr %g (cosine decay to 0), weight decay %g "
           "on the conv and linear\n  weights, batch 128, %d epoch%s, "
           "softmax cross-entropy; pixels standardised with the\n  "
           "training set's mean and std; f32, %d thread%s\n",
           data, (long long)Xtr.shape[0], (long long)n_test,
           c.fast ? " (a subset)" : "", width, width, 2 * width,
           dropout, 2 * width * 49, dropout, (long long)n_weights,
           lr, wd, epochs, epochs > 1 ? "s" : "", tg_get_num_threads(),
           tg_get_num_threads() > 1 ? "s" : "");
    if (augment)
        printf("  augmentation of the training images (drawn per batch from "
               "seed %d):\n    %s\n\n",
               c.seed, augtext);
    else
        printf("  augmentation of the training images: none (--long: "
               "shifts of up to %d px)\n\n", LONG_SHIFT);
    printf("  train columns: averages over the epoch's batches, taken while "
           "the weights were\n  changing; test: the network at the end of "
           "the epoch\n\n"
           "  epoch  train loss  train acc  test acc     time\n");
    int done_ep = train(&c, g, net, opt, lr, epochs, &Xtr, &Ytr, &Xte, &Yte,
                        augment ? &aug : NULL, pred, log, true, "cnn");
    if (done_ep < 0) goto done;
    double acc = log[epochs - 1].test_acc, total = 0;
    for (int e = 0; e < epochs; e++) total += log[e].secs;
    FILE *f = demo_open(&c, "cnn_epochs.tsv");
    if (!f) goto done;
    fprintf(f, "# epoch\ttrain loss\ttrain acc\ttest acc\tseconds\n");
    for (int e = 0; e < epochs; e++)
        fprintf(f, "%d\t%.6f\t%.6f\t%.6f\t%.3f\n", e + 1, log[e].loss,
                log[e].train_acc, log[e].test_acc, log[e].secs);
    fclose(f);
    printf("\n  final test accuracy: %.2f%% (%lld of %lld), training time "
           "%.1f s\n\n",
           100 * acc, (long long)llround(acc * (double)n_test),
           (long long)n_test, total);

    /* ---- confusion matrix */
    int64_t conf[CLASSES][CLASSES] = {{0}};
    for (int64_t i = 0; i < n_test; i++) conf[(int)Yte.data[i]][pred[i]]++;
    printf("  confusion matrix of the test set (rows: true class, columns: "
           "predicted)\n  %12s", "");
    for (int k = 0; k < CLASSES; k++) printf(" %5.5s", demo_fashion_class[k]);
    printf("   right\n");
    int worst = 0;
    double worst_rate = 2;
    for (int t = 0; t < CLASSES; t++) {
        int64_t row = 0;
        printf("  %-12s", demo_fashion_class[t]);
        for (int p = 0; p < CLASSES; p++) {
            printf(" %5lld", (long long)conf[t][p]);
            row += conf[t][p];
        }
        double r = row ? (double)conf[t][t] / (double)row : 0;
        if (row && r < worst_rate) worst_rate = r, worst = t;
        printf("  %5.1f%%\n", 100 * r);
    }
    int bt = 0, bp = 1;
    for (int t = 0; t < CLASSES; t++)
        for (int p = 0; p < CLASSES; p++)
            if (t != p && conf[t][p] > conf[bt][bp]) bt = t, bp = p;
    printf("  hardest class: %s (%.1f%% right); most common mistake: %s "
           "taken for %s (%lld times)\n\n",
           demo_fashion_class[worst], 100 * worst_rate, demo_fashion_class[bt], demo_fashion_class[bp],
           (long long)conf[bt][bp]);
    int64_t cmax = 0;
    f = demo_open(&c, "cnn_confusion.tsv");
    if (f) {
        for (int t = 0; t < CLASSES; t++)
            for (int p = 0; p < CLASSES; p++) {
                fprintf(f, "%lld%c", (long long)conf[t][p],
                        p == CLASSES - 1 ? '\n' : ' ');
                if (conf[t][p] > cmax) cmax = conf[t][p];
            }
        fclose(f);
    }

    /* ---- what the first layer learned, and one image through it */
    tg_tensor *w1 = tg_layer_find(net, "conv1.weight");
    /* the first test image the network gets right */
    int64_t shown = 0;
    while (shown + 1 < n_test && pred[shown] != (int)Yte.data[shown]) shown++;
    if (!features_figure(&c, g, net, &Xte, &Yte, shown, pred)) goto fail;
    printf("  feature maps of test image %lld (%s) written for each stage\n\n",
           (long long)shown, demo_fashion_class[(int)Yte.data[shown]]);

    /* ---- the MLP of demo fashion on the same images */
    double mlp_acc = NAN;
    if (!no_mlp) {
        as_rows(&Xtr);
        as_rows(&Xte);
        gm = tg_graph_new();
        if (!gm) goto fail;
        tg_rng_seed(tg_graph_rng(gm), (uint64_t)c.seed);
        mlp = tg_nn_mlp(gm, TG_F32, 4, (int64_t[]){784, 256, 256, 10},
                        "relu", NULL, TG_INIT_HE_NORMAL, "mlp");
        tg_optim_config mc = tg_optim_defaults(TG_OPTIM_MOMENTUM);
        mc.lr = 0.05;
        mc.momentum = 0.9;
        mopt = mlp ? tg_optim_new(&mc, tg_layer_num_params(mlp),
                                  tg_layer_params(mlp))
                   : NULL;
        if (!mopt) goto fail;
        printf("  the MLP of demo fashion (784-256-256-10, SGD momentum 0.9, "
               "lr 0.05 cosine, %d epochs)\n  on the same images:\n",
               mlp_epochs);
        if (train(&c, gm, mlp, mopt, 0.05, mlp_epochs, &Xtr, &Ytr, &Xte,
                  &Yte, NULL, mpred, mlog, false, "mlp") < 0)
            goto done;
        mlp_acc = mlog[mlp_epochs - 1].test_acc;
        double mt = 0;
        for (int e = 0; e < mlp_epochs; e++) mt += mlog[e].secs;
        int64_t cnn_wrong = 0, mlp_wrong = 0, both = 0;
        for (int64_t i = 0; i < n_test; i++) {
            bool a = pred[i] != (int)Yte.data[i];
            bool b = mpred[i] != (int)Yte.data[i];
            cnn_wrong += a, mlp_wrong += b, both += a && b;
        }
        int64_t mw = 0;
        for (int i = 0; i < tg_layer_num_params(mlp); i++)
            mw += tg_layer_params(mlp)[i]->numel;
        printf("  MLP test accuracy %.2f%% after %d epochs (%.1f s, %lld "
               "weights)\n",
               100 * mlp_acc, mlp_epochs, mt, (long long)mw);
        double diff = 100 * (acc - mlp_acc);
        printf("  the CNN is %.2f points %s than the MLP with %.1fx %s "
               "weights: it gets %lld test\n  images wrong against the "
               "MLP's %lld (%lld of them wrong for both)\n\n",
               fabs(diff), diff >= 0 ? "better" : "worse",
               n_weights < mw ? (double)mw / (double)n_weights
                              : (double)n_weights / (double)mw,
               n_weights < mw ? "fewer" : "more", (long long)cnn_wrong,
               (long long)mlp_wrong, (long long)both);
    }
    curves_figure(&c, isnan(mlp_acc) ? 0 : mlp_acc);
    filters_figure(&c, w1);
    confusion_figure(&c, cmax);
    rc = 0;
    goto done;

fail:
    rc = demo_fail(&c, gm ? gm : g);
done:
    free(decayed);
    free(kept);
    free(pred);
    free(mpred);
    free(log);
    free(mlog);
    tg_optim_free(opt);
    tg_optim_free(mopt);
    tg_layer_free(net);
    tg_layer_free(mlp);
    tg_graph_free(g);
    tg_graph_free(gm);
    for (int k = 0; k < 4; k++) tg_array_free(arr[k]);
    return rc;
}
