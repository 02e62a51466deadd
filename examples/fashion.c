/* fashion: a real classifier, end to end.
 *
 * Fashion-MNIST (Xiao, Rasul & Vollgraf, 2017): 28x28 grey images of ten
 * kinds of clothing, 60000 for training and 10000 for testing, read from
 * the Debian package dataset-fashion-mnist. The network is the classic
 * multi-layer perceptron
 *     784 -> 256 -> 256 -> 10,  ReLU, He initialisation,
 * trained by mini-batch SGD with momentum 0.9 (lr 0.05 with a cosine
 * decay, batches of 128) on the softmax cross-entropy. Per epoch the demo
 * prints the training loss and accuracy, the test accuracy and the time;
 * then the confusion matrix of the test set; then it saves the model,
 * loads it into a fresh network and checks that the loaded network
 * answers exactly the same. Last, pictures of images: test images with
 * the network's answers, the mistakes it was surest of, and the first
 * layer's weights with their change since initialisation.
 *
 * Writes OUT/fashion_curves.svg, OUT/fashion_confusion.svg,
 * fashion_samples.png, fashion_mistakes.png, fashion_weights.png, the
 * numbers as TSV (per epoch, the loss of every step, every test image's
 * prediction), and the model as OUT/fashion-mlp.tgw.
 *
 * --dist (under mpirun, in a build with MPI) trains data-parallel
 * (tapegrad/dist.h): each process takes its slice of every batch of 128,
 * the gradients are averaged across processes, and the run is the
 * single-process run up to rounding: same global batches, same seed,
 * same losses. Rank 0 prints and writes the files. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tapegrad/tapegrad.h>

#include "demo_common.h"
#include "demos.h"
#ifdef TG_HAVE_MPI
#include <tapegrad/dist.h>
#endif

enum { CLASSES = DEMO_FASHION_CLASSES };
#define CLASS demo_fashion_class

/* Class predicted for each row of X (pred[i]) and, when conf is not
 * NULL, its softmax probability (conf[i]), in eval mode with nothing
 * recorded. Returns the fraction that matches Y, or -1 on an error. */
static double predict(tg_graph *g, tg_layer *net, tg_dtype dt,
                      const tg_array *X, const tg_array *Y, int *pred,
                      double *conf)
{
    tg_batch_opts bo = {.batch_size = 1000}; /* in order, no shuffling */
    tg_batcher *b = tg_batcher_new(X, Y, &bo);
    if (!b) return -1;
    bool grad = tg_set_grad_enabled(g, false);
    bool train = tg_set_training(g, false);
    int64_t row = 0, right = 0;
    tg_tensor *x, *y;
    for (int64_t n; (n = tg_batcher_next(b, g, dt, &x, &y)) > 0;) {
        tg_tensor *logits = tg_layer_forward(net, x);
        if (tg_graph_error(g)) break;
        for (int64_t i = 0; i < n; i++, row++) {
            int best = 0;
            for (int k = 1; k < CLASSES; k++)
                if (tg_get(logits, i * CLASSES + k) >
                    tg_get(logits, i * CLASSES + best))
                    best = k;
            pred[row] = best;
            right += best == (int)Y->data[row];
            if (conf) { /* softmax of the winner: 1 / sum exp(z_k - z_max) */
                double top = tg_get(logits, i * CLASSES + best), z = 0;
                for (int k = 0; k < CLASSES; k++)
                    z += exp(tg_get(logits, i * CLASSES + k) - top);
                conf[row] = 1 / z;
            }
        }
        tg_graph_reset(g);
    }
    tg_set_grad_enabled(g, grad);
    tg_set_training(g, train);
    tg_batcher_free(b);
    return row == X->shape[0] ? (double)right / (double)row : -1;
}

static tg_layer *make_net(tg_graph *g, tg_dtype dt)
{
    return tg_nn_mlp(g, dt, 4, (int64_t[]){784, 256, 256, 10}, "relu",
                     NULL, TG_INIT_HE_NORMAL, "mlp");
}

static void curves_figure(const demo_ctx *c)
{
    FILE *gp = demo_gnuplot_script(c, "fashion_curves", 1100, 420);
    if (!gp) return;
    fprintf(gp, "set multiplot layout 1,2 title 'Fashion-MNIST, 784-256-256-"
                "10 ReLU MLP'\n"
                "set xlabel 'epoch'\nset key bottom right\n"
                "set title 'training loss (cross-entropy)'\n"
                "plot 'fashion_epochs.tsv' using 1:2 with linespoints lw 2 "
                "pt 7 lc rgb '#2c6db4' title 'train'\n"
                "set title 'accuracy'\nset format y '%%.0f%%%%'\n"
                "plot 'fashion_epochs.tsv' using 1:(100*$3) with linespoints "
                "lw 2 pt 7 lc rgb '#2c6db4' title 'train', \\\n"
                "     '' using 1:(100*$4) with linespoints lw 2 pt 7 "
                "lc rgb '#c0392b' title 'test'\n"
                "unset multiplot\n");
    demo_plot(c, "fashion_curves", gp);
}

/* The confusion matrix as vector cells: one filled square per (true,
 * predicted) pair, coloured on a log scale, with its count written on it
 * (white on the dark cells, black on the light ones), so it stays sharp
 * at any zoom. `max` is the largest count. */
static void confusion_figure(const demo_ctx *c, int64_t max)
{
    FILE *gp = demo_gnuplot_script(c, "fashion_confusion", 860, 800);
    if (!gp) return;
    /* the palette's dark half starts at 60% of log(max + 1) */
    double dark = exp(0.6 * log((double)max + 1)) - 1;
    fprintf(gp, "set title 'Test set confusion matrix (counts)'\n"
                "unset grid\nset size ratio -1\n"
                "set xrange [-0.5:9.5]\nset yrange [9.5:-0.5]\n"
                "set xlabel 'predicted'\nset ylabel 'true class'\n"
                "set palette defined (0 'white', 1 '#9ecae1', 2 '#08519c')\n"
                "set logscale cb\nset cbrange [1:%lld]\nunset colorbox\n"
                "set style fill solid 1.0 noborder\n"
                "set xtics rotate by 45 right scale 0 (",
            (long long)max + 1);
    for (int k = 0; k < CLASSES; k++)
        fprintf(gp, "%s'%s' %d", k ? ", " : "", CLASS[k], k);
    fprintf(gp, ")\nset ytics scale 0 (");
    for (int k = 0; k < CLASSES; k++)
        fprintf(gp, "%s'%s' %d", k ? ", " : "", CLASS[k], k);
    fprintf(gp, ")\nset datafile separator whitespace\n"
                "dark = %.6g\n"
                "plot 'fashion_confusion.tsv' matrix using 1:2:(0.5):(0.5):"
                "($3+1) with boxxyerror fc palette, \\\n"
                "     '' matrix using 1:2:($3 >= dark ? sprintf('%%d', $3) : "
                "'') with labels font ',11' tc rgb 'white', \\\n"
                "     '' matrix using 1:2:($3 < dark ? sprintf('%%d', $3) : "
                "'') with labels font ',11' tc rgb 'black'\n",
            dark);
    demo_plot(c, "fashion_confusion", gp);
}


/* Tiles of 28x28 images for gnuplot's `matrix with image`: `n` images,
 * `cols` to a row, each tile with `top` rows of gap above it (for its
 * label) and 2 columns of gap to its right, the gaps holding `gap`. */
enum { SIDE = 28, GAP_X = 2 };

static bool write_tiles(const demo_ctx *c, const char *file,
                        const float *const *img, const double *scale,
                        const double *shift, int n, int cols, int top,
                        double gap)
{
    FILE *f = demo_open(c, file);
    if (!f) return false;
    int rows = (n + cols - 1) / cols, tw = SIDE + GAP_X, th = SIDE + top;
    for (int y = 0; y < rows * th; y++) {
        for (int x = 0; x < cols * tw; x++) {
            int k = (y / th) * cols + x / tw, py = y % th - top,
                px = x % tw;
            double v = gap;
            if (k < n && py >= 0 && px < SIDE)
                v = img[k][py * SIDE + px] * scale[k] + shift[k];
            fprintf(f, "%s%.4g", x ? "\t" : "", v);
        }
        fprintf(f, "\n");
    }
    fclose(f);
    return true;
}

/* A grid of test images with a label above each: `line1` in colour
 * `color`, `line2` in grey under it. Pixels in ink: 0 white, 255 black. */
static void image_grid_figure(const demo_ctx *c, const char *name,
                              const char *title, int n, int cols,
                              const char (*line1)[40],
                              const char (*line2)[40],
                              const bool *right)
{
    int rows = (n + cols - 1) / cols, top = 14;
    FILE *gp = demo_gnuplot_script_as(c, name, 130 * cols, 150 * rows + 60,
                                      true);
    if (!gp) return;
    fprintf(gp, "set title \"%s\"\nunset grid\nunset key\nunset tics\n"
                "unset border\nunset colorbox\nset size ratio -1\n"
                "set lmargin 1\nset rmargin 1\nset bmargin 1\n"
                "set xrange [-0.5:%d]\nset yrange [%d:-0.5]\n"
                "set palette defined (-60 '#dde5f0', -1 '#dde5f0', 0 'white', "
                "255 'black')\nset cbrange [-60:255]\n",
            title, cols * (SIDE + GAP_X) - GAP_X, rows * (SIDE + top));
    for (int k = 0; k < n; k++) {
        double x = (k % cols) * (SIDE + GAP_X) + SIDE / 2.0 - 0.5;
        double y = (k / cols) * (SIDE + top);
        fprintf(gp, "set label \"%s\" at %g,%g center front font ',10' "
                    "tc rgb '%s'\n",
                line1[k], x, y + 4.0, right[k] ? "#1a7f37" : "#c0392b");
        if (line2[k][0])
            fprintf(gp, "set label \"%s\" at %g,%g center front font ',9' "
                        "tc rgb '#555555'\n",
                    line2[k], x, y + 10.5);
    }
    fprintf(gp, "plot '%s.tsv' matrix with image\n", name);
    demo_plot_as(c, name, gp, true);
}

enum { N_SAMPLES = 32, N_MISTAKES = 16, N_UNITS = 64 };

/* Sample predictions, the most confident mistakes and the first layer's
 * weights, as pictures and sentences. X is standardised: x * sd + mu
 * gives the pixels back. */
static void image_figures(const demo_ctx *c, const tg_array *X,
                          const tg_array *Y, const int *pred,
                          const double *conf, double mu, double sd,
                          tg_layer *net, const float *w_init)
{
    int64_t n = X->shape[0];
    const float *img[N_UNITS];
    double scale[N_UNITS], shift[N_UNITS];
    static char l1[N_UNITS][40], l2[N_UNITS][40];
    bool right[N_UNITS];

    /* ---- the first test images, as they come */
    int ns = n < N_SAMPLES ? (int)n : N_SAMPLES, ok = 0;
    for (int k = 0; k < ns; k++) {
        int t = (int)Y->data[k];
        img[k] = X->data + (int64_t)k * SIDE * SIDE;
        scale[k] = sd;
        shift[k] = mu;
        right[k] = pred[k] == t;
        ok += right[k];
        snprintf(l1[k], sizeof l1[k], "%s", CLASS[pred[k]]);
        if (right[k]) l2[k][0] = 0;
        else snprintf(l2[k], sizeof l2[k], "(true: %s)", CLASS[t]);
    }
    printf("  the first %d test images: %d predicted right (%s wrong ones "
           "in red, with the\n  true class)\n",
           ns, ok, ok == ns ? "no" : "the");
    if (write_tiles(c, "fashion_samples.tsv", img, scale, shift, ns, 8, 14,
                    -60))
        image_grid_figure(c, "fashion_samples",
                          "The first test images and the network's answers",
                          ns, 8, l1, l2, right);

    /* ---- the mistakes it was surest of */
    int top[N_MISTAKES], nm = 0;
    int64_t wrong = 0, sure = 0;
    for (int64_t i = 0; i < n; i++) {
        if (pred[i] == (int)Y->data[i]) continue;
        wrong++;
        sure += conf[i] > 0.99;
        /* insertion into the top list, most confident first */
        int at = nm < N_MISTAKES ? nm++ : N_MISTAKES;
        while (at > 0 && conf[top[at - 1]] < conf[i]) {
            if (at < N_MISTAKES) top[at] = top[at - 1];
            at--;
        }
        if (at < N_MISTAKES) top[at] = (int)i;
    }
    if (nm == 0) {
        printf("  no test image was misclassified: no mistakes to show\n");
    } else {
        printf("  the most confident mistakes (the probability the network "
               "gave its wrong answer):\n");
        for (int k = 0; k < nm; k++) {
            int i = top[k], t = (int)Y->data[i];
            if (k < 5)
                printf("    %7.3f%%  test image %5d: %s taken for %s\n",
                       100 * conf[i], i, CLASS[t], CLASS[pred[i]]);
            img[k] = X->data + (int64_t)i * SIDE * SIDE;
            scale[k] = sd;
            shift[k] = mu;
            right[k] = false;
            snprintf(l1[k], sizeof l1[k], "%s %.2f%%", CLASS[pred[i]],
                     100 * conf[i]);
            snprintf(l2[k], sizeof l2[k], "(true: %s)", CLASS[t]);
        }
        printf("  %lld of the %lld mistakes were made with more than 99%% "
               "confidence.\n",
               (long long)sure, (long long)wrong);
        if (write_tiles(c, "fashion_mistakes.tsv", img, scale, shift, nm, 8,
                        14, -60))
            image_grid_figure(c, "fashion_mistakes",
                              "The most confident mistakes: the answer, its "
                              "probability, the truth",
                              nm, 8, l1, l2, right);
    }

    /* ---- what the first layer looks for: column j of W [784, 256] is
     * unit j's weights, one per pixel. An MLP's first layer keeps much of
     * its random start, so the change since initialisation is drawn
     * under the weights: that part is what training put there. */
    tg_tensor *W = tg_layer_find(net, "mlp.fc0.weight");
    if (!W || !w_init) return;
    static float wimg[N_UNITS][SIDE * SIDE];
    double ss_w = 0, ss_d = 0;
    for (int64_t i = 0; i < W->numel; i++) {
        double w = tg_get(W, i);
        ss_w += w * w;
        ss_d += (w - w_init[i]) * (w - w_init[i]);
    }
    for (int j = 0; j < N_UNITS; j++) {
        int unit = j % (N_UNITS / 2);
        bool change = j >= N_UNITS / 2;
        double most = 0;
        for (int p = 0; p < SIDE * SIDE; p++) {
            int64_t at = (int64_t)p * 256 + unit;
            wimg[j][p] = (float)(tg_get(W, at) - (change ? w_init[at] : 0));
            most = fmax(most, fabs(wimg[j][p]));
        }
        img[j] = wimg[j];
        scale[j] = most > 0 ? 1 / most : 1; /* each tile to [-1, 1] */
        shift[j] = 0;
    }
    double rms_w = sqrt(ss_w / (double)W->numel),
           rms_d = sqrt(ss_d / (double)W->numel);
    printf("  the first layer's weights, units 1-%d as 28x28 images, and "
           "their change since\n  initialisation (red positive, blue "
           "negative, each image scaled to its largest\n  value). Training "
           "moved them by rms %.3g against their rms %.3g (%.0f%%)%s\n",
           N_UNITS / 2, rms_d, rms_w, 100 * rms_d / rms_w,
           rms_d < 0.5 * rms_w ? ":\n  the weights still look like their "
                                 "random start, the change shows the shapes."
                               : ".");
    if (!write_tiles(c, "fashion_weights.tsv", img, scale, shift, N_UNITS,
                     8, 2, -1.5))
        return;
    FILE *gp = demo_gnuplot_script_as(c, "fashion_weights", 820, 900, true);
    if (!gp) return;
    fprintf(gp, "set title \"The first layer's weights of units 1-%d (top "
                "half) and their change\\nsince initialisation (bottom "
                "half): training moved them by %.0f%% of their size\"\n"
                "unset grid\nunset key\nunset tics\n"
                "unset border\nunset colorbox\nset size ratio -1\n"
                "set lmargin 1\nset rmargin 1\nset bmargin 1\n"
                "set xrange [-0.5:%d]\nset yrange [%d:-0.5]\n"
                "set palette defined (-1.5 '#dddddd', -1.01 '#dddddd', "
                "-1 '#2c6db4', 0 'white', 1 '#c0392b')\n"
                "set cbrange [-1.5:1]\n"
                "plot 'fashion_weights.tsv' matrix with image\n",
            N_UNITS / 2, 100 * rms_d / rms_w, 8 * (SIDE + GAP_X) - GAP_X,
            8 * (SIDE + 2));
    demo_plot_as(c, "fashion_weights", gp, true);
}

int tg_demo_fashion(int argc, char **argv)
{
    int epochs = 10;
    double lr = 0.05;
    const char *data = DEMO_FASHION_DIR;
    bool dist = false, f64 = false;
    int rows = 0;
    const demo_opt opts[] = {
        {"epochs", DEMO_INT, &epochs, "training epochs (default 10)", 1,
         1000, false},
        {"lr", DEMO_REAL, &lr, "learning rate (default 0.05)", 0, 100, true},
        {"data", DEMO_TEXT, &data,
         "Fashion-MNIST directory (default "
         "/usr/share/datasets/fashion-mnist)",
         0, 0, false},
        {"f64", DEMO_FLAG, &f64, "train in double precision", 0, 0, false},
        {"rows", DEMO_INT, &rows,
         "train on the first N training images only (default 0: all)", 0,
         1e9, false},
        {"dist", DEMO_FLAG, &dist,
         "data-parallel over the processes of mpirun (a build with MPI)", 0,
         0, false},
    };
    demo_ctx c;
    if (!demo_begin(&c, argc, argv,
                    "Train a 784-256-256-10 ReLU MLP on Fashion-MNIST, show "
                    "the confusion matrix,\nsave the model and load it "
                    "back. --fast: two epochs on 6000 images.",
                    opts, 6))
        return c.exit_code;
    tg_dtype dt = f64 ? TG_F64 : TG_F32;
    int rank = 0, size = 1;
    if (dist) {
#ifdef TG_HAVE_MPI
        if (tg_dist_init(NULL, NULL) != TG_OK) {
            fprintf(stderr, "tapegrad demo fashion: %s\n", tg_last_error());
            return 1;
        }
        rank = tg_dist_rank();
        size = tg_dist_size();
        /* processes sharing a machine share its cores */
        const char *local = getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
        if (!getenv("OMP_NUM_THREADS") && local && atoi(local) > 1) {
            int per = tg_get_num_threads() / atoi(local);
            tg_set_num_threads(per > 1 ? per : 1);
        }
#else
        fprintf(stderr, "tapegrad demo fashion: --dist needs tapegrad built "
                        "with MPI (install libopenmpi-dev, then meson setup "
                        "-Dmpi=enabled)\n");
        return 2;
#endif
    }
    /* rank 0 speaks and writes; the others train quietly */
    bool lead = rank == 0;
    if (!lead && !freopen("/dev/null", "w", stdout)) return 1;

    tg_array Xtr = {0}, Ytr = {0}, Xte = {0}, Yte = {0};
    tg_graph *g = NULL, *g2 = NULL;
    tg_layer *net = NULL, *net2 = NULL;
    tg_optim *opt = NULL;
    tg_batcher *batches = NULL;
    int *pred = NULL, *pred2 = NULL;
    double *prob = NULL;
    float *w_init = NULL; /* the first layer's weights before training */
    int rc = 1;
#ifdef TG_HAVE_MPI
    tg_ddp *ddp = NULL;
#endif
    if (!demo_fashion_load(&c, data, &Xtr, &Ytr, &Xte, &Yte)) goto done;
    if (c.fast) {
        demo_keep_rows(&Xtr, 6000);
        demo_keep_rows(&Ytr, 6000);
        demo_keep_rows(&Xte, 2000);
        demo_keep_rows(&Yte, 2000);
        if (!demo_given(&c, "epochs")) epochs = 2;
    }
    if (rows > 0) {
        demo_keep_rows(&Xtr, rows);
        demo_keep_rows(&Ytr, rows);
    }
    /* [N, 28, 28] bytes -> [N, 784], standardised with the training set's
     * mean and standard deviation (the test set gets the same transform:
     * it must not peek at its own statistics) */
    tg_array_reshape_rows(&Xtr);
    tg_array_reshape_rows(&Xte);
    double mu, sd;
    tg_array_mean_std(&Xtr, &mu, &sd);
    tg_array_scale(&Xtr, 1 / sd, -mu / sd);
    tg_array_scale(&Xte, 1 / sd, -mu / sd);
    int64_t n_test = Xte.shape[0];

    g = tg_graph_new();
    if (!g) goto fail;
    tg_rng_seed(tg_graph_rng(g), (uint64_t)c.seed);
    net = make_net(g, dt);
#ifdef TG_HAVE_MPI
    /* every rank starts from rank 0's weights */
    ddp = net && dist ? tg_ddp_new(g, tg_layer_num_params(net),
                                   tg_layer_params(net), NULL)
                      : NULL;
    if (dist && !ddp) goto fail;
#endif
    tg_optim_config oc = tg_optim_defaults(TG_OPTIM_MOMENTUM);
    oc.lr = lr;
    oc.momentum = 0.9;
    opt = net ? tg_optim_new(&oc, tg_layer_num_params(net),
                             tg_layer_params(net))
              : NULL;
    /* with --dist, this process's slice of each batch of 128 */
    tg_batch_opts bo = {.batch_size = 128, .shuffle = true,
                        .seed = (uint64_t)c.seed, .shard_count = size,
                        .shard_index = rank};
    batches = opt ? tg_batcher_new(&Xtr, &Ytr, &bo) : NULL;
    /* lr 0.05 decays to 0 along a cosine over the whole run: large steps
     * early, small ones at the end, so the last epoch settles instead of
     * jittering by half a percent */
    tg_lr_schedule lrs = {.kind = TG_LR_COSINE, .base_lr = lr,
                          .total = batches ? epochs *
                                                 tg_batcher_num_batches(batches)
                                           : 0};
    pred = malloc(sizeof *pred * (size_t)n_test);
    pred2 = malloc(sizeof *pred2 * (size_t)n_test);
    prob = malloc(sizeof *prob * (size_t)n_test);
    tg_tensor *w0 = net ? tg_layer_find(net, "mlp.fc0.weight") : NULL;
    w_init = w0 ? malloc(sizeof *w_init * (size_t)w0->numel) : NULL;
    for (int64_t i = 0; w_init && i < w0->numel; i++)
        w_init[i] = (float)tg_get(w0, i);
    if (!batches || !pred || !pred2 || !prob) goto fail;

    printf("fashion: Fashion-MNIST from %s\n"
           "  %lld training and %lld test images of 28x28 pixels, 10 "
           "classes%s\n"
           "  model: 784 -> 256 -> 256 -> 10, ReLU, He init (%d "
           "parameter tensors)\n"
           "  training: SGD, momentum 0.9, lr %g (cosine decay to 0), batch "
           "128, %d epoch%s,\n  softmax cross-entropy; pixels standardised "
           "with the training set's mean and std; %s\n",
           data, (long long)Xtr.shape[0], (long long)n_test,
           c.fast || rows ? " (a subset)" : "", tg_layer_num_params(net), lr,
           epochs, epochs > 1 ? "s" : "", f64 ? "f64" : "f32");
    if (dist)
        printf("  data-parallel on %d processes: each takes its slice of "
               "every batch of 128\n  (about %d rows), gradients averaged "
               "across processes every step\n",
               size, 128 / size);
    printf("\n");

    FILE *log = lead ? demo_open(&c, "fashion_epochs.tsv") : NULL;
    FILE *steps = lead ? demo_open(&c, "fashion_steps.tsv") : NULL;
    if (lead && (!log || !steps)) {
        if (log) fclose(log);
        if (steps) fclose(steps);
        goto done;
    }
    /* non-lead ranks write their rows nowhere */
    if (!lead) log = fopen("/dev/null", "w"), steps = fopen("/dev/null", "w");
    if (!log || !steps) goto fail;
    fprintf(steps, "# step\tloss of the (global) batch\n");
    bool all_same = true;
    /* The train columns are what the batches scored while the weights were
     * still moving (free: no second pass over 60000 images); the test
     * column is the network at the end of the epoch. So after epoch 1 the
     * train figure can lie below the test figure. */
    fprintf(log, "# epoch\ttrain loss (epoch average)\ttrain acc (epoch "
                 "average)\ttest acc\tseconds\n");
    printf("  train columns: averages over the epoch's batches, taken while "
           "the weights were\n  changing; test: the network at the end of "
           "the epoch\n\n");
    printf("  epoch  train loss  train acc  test acc   time\n");
    double test_acc = 0, total_time = 0;
    int diverged_epoch = 0;
    int64_t diverged_step = 0;
    double diverged_loss = 0;
    int epochs_done = 0;
    for (int ep = 1; ep <= epochs && !diverged_epoch; ep++) {
        char label[32];
        snprintf(label, sizeof label, "epoch %d/%d", ep, epochs);
        demo_progress bar;
        demo_progress_start(&bar, label, tg_batcher_num_batches(batches));
        bar.tty = bar.tty && lead;
        double t0 = demo_now(), loss_sum = 0, right = 0;
        int64_t seen = 0, step = 0;
        tg_tensor *x, *y;
        for (int64_t n; (n = tg_batcher_next(batches, g, dt, &x, &y)) > 0;) {
            tg_tensor *logits = tg_layer_forward(net, x);
            tg_tensor *loss = tg_cross_entropy(logits, y);
            /* this process's part of the global batch's mean loss */
            int64_t global = tg_batcher_global_rows(batches);
            double share = (double)n / (double)global;
            tg_status st;
#ifdef TG_HAVE_MPI
            if (dist) {
                tg_ddp_set_weight(ddp, share);
                st = tg_ddp_backward(ddp, loss);
            } else
#endif
                st = tg_backward(g, loss);
            /* the global batch's loss and right answers (every rank sees
             * the same sums, so all stop together on a divergence) */
            double sums[2] = {tg_item(loss) * share,
                              tg_accuracy(logits, y) * (double)n};
#ifdef TG_HAVE_MPI
            if (st == TG_OK && dist && tg_dist_sum(sums, 2) != TG_OK) {
                fprintf(stderr, "tapegrad demo fashion: %s\n",
                        tg_last_error());
                st = TG_ERR_COMM;
            }
#endif
            if (st != TG_OK) {
                demo_progress_end(&bar);
                fclose(log);
                fclose(steps);
                goto fail;
            }
            if (!isfinite(sums[0])) {
                /* NaN/Inf: every later number would be noise */
                diverged_epoch = ep;
                diverged_step = step + 1;
                diverged_loss = sums[0];
                tg_graph_reset(g);
                break;
            }
            tg_optim_set_lr(opt, tg_lr_at(&lrs, tg_optim_steps(opt)));
            tg_optim_step(opt);
            tg_optim_zero_grad(opt);
            fprintf(steps, "%lld\t%.17g\n", (long long)tg_optim_steps(opt),
                    sums[0]);
            loss_sum += sums[0] * (double)global;
            right += round(sums[1]);
            seen += global;
            tg_graph_reset(g);
            char note[32];
            snprintf(note, sizeof note, "loss %.4f", loss_sum / (double)seen);
            demo_progress_update(&bar, ++step, note);
        }
        demo_progress_end(&bar);
        if (diverged_epoch) break;
        epochs_done = ep;
        double secs = demo_now() - t0;
        total_time += secs;
#ifdef TG_HAVE_MPI
        bool same = true;
        if (dist && tg_dist_same(tg_layer_num_params(net),
                                 tg_layer_params(net), &same) != TG_OK) {
            fprintf(stderr, "tapegrad demo fashion: %s\n", tg_last_error());
            fclose(log);
            fclose(steps);
            goto done;
        }
        all_same = all_same && same;
#endif
        /* the test set on rank 0 only: every rank holds the same model */
        test_acc = lead ? predict(g, net, dt, &Xte, &Yte, pred, prob) : 0;
        if (test_acc < 0) {
            fclose(log);
            fclose(steps);
            goto fail;
        }
        printf("  %5d  %10.4f  %8.2f%%  %7.2f%%  %5.1fs\n", ep,
               loss_sum / (double)seen, 100 * right / (double)seen,
               100 * test_acc, secs);
        fflush(stdout);
        fprintf(log, "%d\t%.6f\t%.6f\t%.6f\t%.3f\n", ep,
                loss_sum / (double)seen, right / (double)seen, test_acc, secs);
    }
    fclose(log);
    fclose(steps);
#ifdef TG_HAVE_MPI
    if (dist && !diverged_epoch) {
        tg_ddp_stats ds = tg_ddp_get_stats(ddp);
        printf("\n  data-parallel: %lld steps on %d processes; each step "
               "averaged %lld bytes of\n  gradients in %lld bucket%s, %.0f%% "
               "of them sent while backward was still running;\n  backward "
               "%.2f ms per step, then %.2f ms waiting for the exchange "
               "(rank 0)\n  parameters identical on every process after "
               "every epoch: %s\n",
               (long long)ds.steps, size, (long long)ds.bytes,
               (long long)ds.buckets, ds.buckets == 1 ? "" : "s",
               100 * ds.started_early, 1e3 * ds.backward_s / (double)ds.steps,
               1e3 * ds.wait_s / (double)ds.steps, all_same ? "yes" : "NO");
    }
#endif
    if (diverged_epoch) {
        char why[128], where[64];
        snprintf(where, sizeof where, "in epoch %d, batch %lld",
                 diverged_epoch, (long long)diverged_step);
        printf("\n  Training %s\n  (lr %g is too large for this network: "
               "try a smaller --lr, such as the\n  default 0.05). No "
               "accuracy, confusion matrix or model is reported from it.\n\n",
               demo_diverged_text(why, sizeof why, where, diverged_loss), lr);
        if (epochs_done > 0 && lead) curves_figure(&c);
        else
            printf("  no training curves drawn: no epoch completed\n");
        rc = 1;
        goto done;
    }
    printf("\n  final test accuracy: %.2f%% (%lld of %lld), training time "
           "%.1f s\n\n",
           100 * test_acc, (long long)llround(test_acc * (double)n_test),
           (long long)n_test, total_time);

    if (!lead) { /* rank 0 saves (every rank takes part) and shows the rest */
        rc = all_same ? 0 : 1;
#ifdef TG_HAVE_MPI
        char p1[4096];
        demo_path(&c, "fashion-mlp.tgw", p1, sizeof p1);
        if (tg_dist_save(p1, tg_layer_num_state(net), tg_layer_state(net),
                         NULL) != TG_OK)
            rc = 1;
#endif
        goto done;
    }
    /* ---- confusion matrix: rows are the true class, columns the guess */
    int64_t conf[CLASSES][CLASSES] = {{0}};
    for (int64_t i = 0; i < n_test; i++) conf[(int)Yte.data[i]][pred[i]]++;
    printf("  confusion matrix of the test set (rows: true class, columns: "
           "predicted)\n  %12s", "");
    for (int k = 0; k < CLASSES; k++) printf(" %5.5s", CLASS[k]);
    printf("   right\n");
    for (int t = 0; t < CLASSES; t++) {
        int64_t row = 0;
        printf("  %-12s", CLASS[t]);
        for (int p = 0; p < CLASSES; p++) {
            printf(" %5lld", (long long)conf[t][p]);
            row += conf[t][p];
        }
        printf("  %5.1f%%\n", row ? 100.0 * (double)conf[t][t] / (double)row
                                  : 0.0);
    }
    int bt = 0, bp = 1;
    for (int t = 0; t < CLASSES; t++)
        for (int p = 0; p < CLASSES; p++)
            if (t != p && conf[t][p] > conf[bt][bp]) bt = t, bp = p;
    printf("  most common mistake: %s taken for %s (%lld times)\n\n",
           CLASS[bt], CLASS[bp], (long long)conf[bt][bp]);
    FILE *f = demo_open(&c, "fashion_confusion.tsv");
    if (f) {
        for (int t = 0; t < CLASSES; t++)
            for (int p = 0; p < CLASSES; p++)
                fprintf(f, "%lld%c", (long long)conf[t][p],
                        p == CLASSES - 1 ? '\n' : ' ');
        fclose(f);
    }

    /* ---- save, then load into a fresh network with other weights */
    char path[4096];
    demo_path(&c, "fashion-mlp.tgw", path, sizeof path);
    tg_status saved =
#ifdef TG_HAVE_MPI
        dist ? tg_dist_save(path, tg_layer_num_state(net),
                            tg_layer_state(net), NULL) :
#endif
             tg_save(path, tg_layer_num_state(net), tg_layer_state(net), NULL);
    if (saved != TG_OK) {
        fprintf(stderr, "tapegrad demo fashion: %s\n", tg_last_error());
        goto done;
    }
    printf("  saved the model to %s (%s)\n", path,
           dist ? "tg_dist_save: rank 0 writes" : "tg_save");
    g2 = tg_graph_new();
    if (!g2) goto fail;
    tg_rng_seed(tg_graph_rng(g2), (uint64_t)c.seed + 12345);
    net2 = make_net(g2, dt);
    if (!net2) goto fail;
    double before = predict(g2, net2, dt, &Xte, &Yte, pred2, NULL);
    if (tg_load(path, tg_layer_num_state(net2), tg_layer_state(net2),
                NULL) != TG_OK) {
        fprintf(stderr, "tapegrad demo fashion: %s\n", tg_last_error());
        goto done;
    }
    double after = predict(g2, net2, dt, &Xte, &Yte, pred2, NULL);
    int64_t same = 0;
    for (int64_t i = 0; i < n_test; i++) same += pred[i] == pred2[i];
    printf("  a fresh network: test accuracy %.2f%% before loading, %.2f%% "
           "after (tg_load);\n  its answers match the trained network's on "
           "%lld of %lld test images.\n\n",
           100 * before, 100 * after, (long long)same, (long long)n_test);

    curves_figure(&c);
    int64_t max = 0;
    for (int t = 0; t < CLASSES; t++)
        for (int p = 0; p < CLASSES; p++)
            if (conf[t][p] > max) max = conf[t][p];
    confusion_figure(&c, max);
    image_figures(&c, &Xte, &Yte, pred, prob, mu, sd, net, w_init);
    f = demo_open(&c, "fashion_predictions.tsv");
    if (f) {
        fprintf(f, "# test image\ttrue class\tpredicted\tits "
                   "probability\n");
        for (int64_t i = 0; i < n_test; i++)
            fprintf(f, "%lld\t%d\t%d\t%.6f\n", (long long)i,
                    (int)Yte.data[i], pred[i], prob[i]);
        fclose(f);
    }
    rc = same == n_test && after == test_acc && all_same ? 0 : 1;
    goto done;

fail:
    rc = demo_fail(&c, g2 ? g2 : g);
done:
#ifdef TG_HAVE_MPI
    tg_ddp_free(ddp);
    /* after a failure the others are not coming: exit without it, and
     * mpirun stops them */
    if (dist && rc == 0 && tg_dist_finalize() != TG_OK) rc = 1;
#endif
    free(pred);
    free(pred2);
    free(prob);
    free(w_init);
    tg_batcher_free(batches);
    tg_optim_free(opt);
    tg_layer_free(net);
    tg_layer_free(net2);
    tg_graph_free(g);
    tg_graph_free(g2);
    tg_array_free(&Xtr);
    tg_array_free(&Ytr);
    tg_array_free(&Xte);
    tg_array_free(&Yte);
    return rc;
}
