/* regularization: L2 weight decay and dropout on a training set too small
 * for the network.
 *
 * A 16 -> 128 -> 128 -> 4 ReLU MLP has 19 thousand parameters; it sees
 * only 128 training points of a 4-class task (Gaussian points labelled by
 * a random teacher network) and is tested on 2048 others. Without help it
 * memorises the training set: its training loss goes to 0 while its test
 * loss climbs. Four runs from the same initial weights, full-batch SGD
 * with momentum 0.9:
 *   none           the plain loss
 *   weight decay   g += λ w before each step (L2: the loss + λ/2 ||w||²)
 *   dropout        each hidden unit zeroed with probability p in training,
 *                  the survivors scaled by 1/(1-p); all units in eval mode
 *   both
 * Train and test losses are measured in eval mode every 10 steps. At the
 * end the demo reports each run's test accuracy, the gap between train and
 * test loss, and the size of the first layer's weights (their histogram
 * is drawn).
 *
 * Writes OUT/regularization.svg and the curves as TSV. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tapegrad/tapegrad.h>

#include "demo_common.h"
#include "demos.h"

enum { IN = 16, H = 128, CLASSES = 4, N_TRAIN = 128, N_TEST = 2048,
       N_RUN = 4, N_BINS = 41 };
static const char *RUN_NAME[N_RUN] = {"none", "weight decay", "dropout",
                                      "both"};

static void make_data(float *X, float *Y, int rows, tg_rng *r)
{
    static double A[IN * 32], B[32 * CLASSES];
    static bool ready;
    if (!ready) {
        tg_rng t;
        tg_rng_seed(&t, 777);
        for (int i = 0; i < IN * 32; i++) A[i] = tg_rng_normal(&t) / 2;
        for (int i = 0; i < 32 * CLASSES; i++) B[i] = tg_rng_normal(&t);
        ready = true;
    }
    for (int i = 0; i < rows; i++) {
        double h[32], best = -INFINITY;
        for (int j = 0; j < IN; j++) X[i * IN + j] = (float)tg_rng_normal(r);
        for (int u = 0; u < 32; u++) {
            double s = 0;
            for (int j = 0; j < IN; j++) s += X[i * IN + j] * A[j * 32 + u];
            h[u] = tanh(s);
        }
        for (int c = 0; c < CLASSES; c++) {
            double s = 0;
            for (int u = 0; u < 32; u++) s += h[u] * B[u * CLASSES + c];
            if (s > best) best = s, Y[i] = (float)c;
        }
    }
}

typedef struct run {
    double *train, *test; /* eval-mode losses every 10 steps */
    double test_acc, rms; /* at the end; rms of the first layer's W */
    int diverged_at;
    float *w0;            /* the first layer's weights at the end */
} run;

static double eval(tg_graph *g, tg_layer *net, const float *X, const float *Y,
                   int rows, double *acc)
{
    bool grad = tg_set_grad_enabled(g, false);
    bool tr = tg_set_training(g, false);
    tg_tensor *out = tg_layer_forward(net, tg_input(g, TG_F32,
                                                    TG_SHAPE(rows, IN), X));
    tg_tensor *y = tg_input(g, TG_F32, TG_SHAPE(rows), Y);
    double l = tg_item(tg_cross_entropy(out, y));
    if (acc) *acc = tg_accuracy(out, y);
    if (tg_graph_error(g)) l = NAN;
    tg_graph_reset(g);
    tg_set_training(g, tr);
    tg_set_grad_enabled(g, grad);
    return isfinite(l) ? l : NAN;
}

static bool train(const demo_ctx *c, int kind, double lr, double wd,
                  double p, int steps, const float *X, const float *Y,
                  const float *Xt, const float *Yt, run *r)
{
    tg_graph *g = tg_graph_new();
    if (!g) return demo_fail(c, NULL), false;
    tg_rng_seed(tg_graph_rng(g), (uint64_t)c->seed); /* same init for all */
    bool drop = kind == 2 || kind == 3, decay = kind == 1 || kind == 3;
    tg_layer *ls[7];
    int k = 0;
    ls[k++] = tg_nn_linear(g, TG_F32, IN, H, true, TG_INIT_HE_NORMAL, "fc0");
    ls[k++] = tg_nn_activation_named(g, "relu");
    if (drop) ls[k++] = tg_nn_dropout(g, p);
    ls[k++] = tg_nn_linear(g, TG_F32, H, H, true, TG_INIT_HE_NORMAL, "fc1");
    ls[k++] = tg_nn_activation_named(g, "relu");
    if (drop) ls[k++] = tg_nn_dropout(g, p);
    ls[k++] = tg_nn_linear(g, TG_F32, H, CLASSES, true, TG_INIT_HE_NORMAL,
                           "out");
    tg_layer *net = tg_nn_sequential(g, k, ls, "mlp");
    tg_optim_config oc = tg_optim_defaults(TG_OPTIM_MOMENTUM);
    oc.lr = lr;
    oc.momentum = 0.9;
    oc.weight_decay = decay ? wd : 0;
    tg_optim *opt = net ? tg_optim_new(&oc, tg_layer_num_params(net),
                                       tg_layer_params(net))
                        : NULL;
    if (!opt) {
        demo_fail(c, g);
        tg_layer_free(net);
        tg_graph_free(g);
        return false;
    }
    bool ok = true;
    r->diverged_at = 0;
    for (int s = 0; s <= steps && ok; s++) {
        if (s % 10 == 0) {
            r->train[s / 10] = r->diverged_at ? NAN
                                              : eval(g, net, X, Y, N_TRAIN,
                                                     NULL);
            r->test[s / 10] = r->diverged_at ? NAN
                                             : eval(g, net, Xt, Yt, N_TEST,
                                                    NULL);
        }
        if (s == steps || r->diverged_at) continue;
        tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(N_TRAIN, IN), X);
        tg_tensor *y = tg_input(g, TG_F32, TG_SHAPE(N_TRAIN), Y);
        tg_tensor *loss = tg_cross_entropy(tg_layer_forward(net, x), y);
        if (tg_backward(g, loss) != TG_OK) {
            demo_fail(c, g);
            ok = false;
        } else if (!isfinite(tg_item(loss))) {
            r->diverged_at = s + 1;
        } else {
            tg_optim_step(opt);
        }
        tg_optim_zero_grad(opt);
        tg_graph_reset(g);
    }
    if (ok) {
        double acc = NAN;
        double l = r->diverged_at ? NAN : eval(g, net, Xt, Yt, N_TEST, &acc);
        r->test_acc = isfinite(l) ? acc : NAN;
        tg_tensor *W = tg_layer_find(net, "fc0.weight");
        double ss = 0;
        for (int i = 0; W && i < IN * H; i++) {
            r->w0[i] = tg_f32(W)[i];
            ss += (double)r->w0[i] * r->w0[i];
        }
        r->rms = W ? sqrt(ss / (IN * H)) : NAN;
    }
    tg_optim_free(opt);
    tg_layer_free(net);
    tg_graph_free(g);
    return ok;
}

int tg_demo_regularization(int argc, char **argv)
{
    int steps = 1000;
    double lr = 0.02, wd = 0.01, p = 0.5;
    const demo_opt opts[] = {
        {"steps", DEMO_INT, &steps, "full-batch SGD steps (default 1000)", 10,
         20000, false},
        {"lr", DEMO_REAL, &lr, "learning rate, momentum 0.9 (default 0.02)",
         0, 10, true},
        {"wd", DEMO_REAL, &wd, "weight decay λ (default 0.01)", 0, 10, true},
        {"p", DEMO_REAL, &p, "dropout probability (default 0.5)", 0, 0.95,
         true},
    };
    demo_ctx c;
    if (!demo_begin(&c, argc, argv,
                    "Weight decay and dropout on a small training set: "
                    "train vs test curves\nand the first layer's weights, "
                    "with and without.",
                    opts, 4))
        return c.exit_code;
    if (c.fast && !demo_given(&c, "steps")) steps = 300;
    int n_log = steps / 10 + 1;
    tg_set_num_threads(1);

    static float X[N_TRAIN * IN], Y[N_TRAIN], Xt[N_TEST * IN], Yt[N_TEST];
    tg_rng rng;
    tg_rng_seed(&rng, (uint64_t)c.seed + 5);
    make_data(X, Y, N_TRAIN, &rng);
    make_data(Xt, Yt, N_TEST, &rng);

    printf("regularization: a 16 -> 128 -> 128 -> 4 ReLU MLP (%d parameters) "
           "on %d training\npoints, tested on %d; full-batch SGD, momentum "
           "0.9, lr %g, %d steps; weight\ndecay λ = %g, dropout p = %g. "
           "Losses in eval mode (no dropout).\n\n",
           IN * H + H + H * H + H + H * CLASSES + CLASSES, N_TRAIN, N_TEST,
           lr, steps, wd, p);
    static run runs[N_RUN];
    double *store = calloc((size_t)N_RUN * 2 * (size_t)n_log, sizeof *store);
    float *wstore = calloc((size_t)N_RUN * IN * H, sizeof *wstore);
    if (!store || !wstore) {
        free(store);
        free(wstore);
        fprintf(stderr, "tapegrad demo regularization: out of memory\n");
        return 1;
    }
    for (int k = 0; k < N_RUN; k++) {
        runs[k].train = store + (size_t)(2 * k) * n_log;
        runs[k].test = store + (size_t)(2 * k + 1) * n_log;
        runs[k].w0 = wstore + (size_t)k * IN * H;
        if (!train(&c, k, lr, wd, p, steps, X, Y, Xt, Yt, &runs[k])) {
            free(store);
            free(wstore);
            return 1;
        }
    }

    printf("  %-13s %10s %10s %8s %9s %10s  %s\n", "run", "train loss",
           "test loss", "gap", "test acc", "best test", "rms of W1");
    int best = -1;
    for (int k = 0; k < N_RUN; k++) {
        const run *r = &runs[k];
        printf("  %-13s ", RUN_NAME[k]);
        if (r->diverged_at) {
            printf("%10s\n", "diverged");
            continue;
        }
        double lo = INFINITY;
        for (int i = 0; i < n_log; i++) lo = fmin(lo, r->test[i]);
        printf("%10.4f %10.4f %8.4f %8.1f%% %10.4f  %.4f\n",
               r->train[n_log - 1], r->test[n_log - 1],
               r->test[n_log - 1] - r->train[n_log - 1], 100 * r->test_acc,
               lo, r->rms);
        if (best < 0 || r->test[n_log - 1] < runs[best].test[n_log - 1])
            best = k;
    }
    printf("  (gap = test loss − train loss; best test: the lowest test loss "
           "along the way)\n\n");
    /* the sentences, from the table */
    const run *none = &runs[0];
    if (best >= 0)
        printf("  Lowest final test loss: %s (%.4f; none: %.4f).\n",
               RUN_NAME[best], runs[best].test[n_log - 1],
               none->test[n_log - 1]);
    if (!none->diverged_at) {
        double lo = INFINITY;
        int at = 0;
        for (int i = 0; i < n_log; i++)
            if (none->test[i] < lo) lo = none->test[i], at = i * 10;
        if (none->test[n_log - 1] > lo * 1.05)
            printf("  Without regularization the test loss was lowest at "
                   "step %d (%.4f) and rose to\n  %.4f while the training "
                   "loss fell to %.4f: the network memorised.\n",
                   at, lo, none->test[n_log - 1], none->train[n_log - 1]);
        else
            printf("  Without regularization the test loss did not rise in "
                   "%d steps (%.4f at the\n  end, lowest %.4f).\n",
                   steps, none->test[n_log - 1], lo);
    }
    for (int k = 1; k < N_RUN; k++)
        if (!runs[k].diverged_at && !none->diverged_at)
            printf("  %s: rms of the first layer's weights %.4f against "
                   "%.4f without, gap %.4f against %.4f.\n",
                   RUN_NAME[k], runs[k].rms, none->rms,
                   runs[k].test[n_log - 1] - runs[k].train[n_log - 1],
                   none->test[n_log - 1] - none->train[n_log - 1]);
    for (int k = 0; k < N_RUN; k++)
        if (runs[k].diverged_at)
            printf("  %s diverged at step %d (the loss became NaN or Inf): "
                   "try a smaller --lr.\n",
                   RUN_NAME[k], runs[k].diverged_at);
    printf("\n");

    /* ---- files */
    FILE *f = demo_open(&c, "regularization_loss.tsv");
    FILE *fh = demo_open(&c, "regularization_weights.tsv");
    if (f) {
        fprintf(f, "# step");
        for (int k = 0; k < N_RUN; k++)
            fprintf(f, "\t%s train\t%s test", RUN_NAME[k], RUN_NAME[k]);
        fprintf(f, "\n");
        for (int i = 0; i < n_log; i++) {
            fprintf(f, "%d", 10 * i);
            for (int k = 0; k < N_RUN; k++)
                fprintf(f, "\t%.6g\t%.6g", runs[k].train[i], runs[k].test[i]);
            fprintf(f, "\n");
        }
        fclose(f);
    }
    if (fh) {
        /* histogram of the first layer's weights, bins over [-1, 1] */
        fprintf(fh, "# bin centre");
        for (int k = 0; k < N_RUN; k++) fprintf(fh, "\t%s", RUN_NAME[k]);
        fprintf(fh, "\n");
        int count[N_RUN][N_BINS] = {{0}};
        for (int k = 0; k < N_RUN; k++)
            for (int i = 0; i < IN * H; i++) {
                int b = (int)floor((runs[k].w0[i] + 1) / 2 * N_BINS);
                if (b >= 0 && b < N_BINS) count[k][b]++;
            }
        for (int b = 0; b < N_BINS; b++) {
            fprintf(fh, "%.4f", -1 + (b + 0.5) * 2.0 / N_BINS);
            for (int k = 0; k < N_RUN; k++) fprintf(fh, "\t%d", count[k][b]);
            fprintf(fh, "\n");
        }
        fclose(fh);
    }
    free(store);
    free(wstore);
    if (!f || !fh) return 1;
    FILE *gp = demo_gnuplot_script(&c, "regularization", 1400, 520);
    if (gp) {
        static const char *col[N_RUN] = {"#555555", "#2c6db4", "#e08214",
                                         "#1b9e77"};
        fprintf(gp, "set multiplot layout 1,2 title 'A 19k-parameter MLP on "
                    "128 training points'\n"
                    "set title 'cross-entropy: train (dashed), test (solid)'\n"
                    "set xlabel 'SGD step'\nset ylabel 'loss'\n"
                    "set logscale y\nset key top right font ',10'\nplot ");
        for (int k = 0; k < N_RUN; k++)
            fprintf(gp,
                    "%s'regularization_loss.tsv' using 1:%d with lines lw 2 "
                    "dt 2 lc rgb '%s' notitle, \\\n"
                    "     '' using 1:%d with lines lw 2 lc rgb '%s' "
                    "title '%s'",
                    k ? ", \\\n     " : "", 2 + 2 * k, col[k], 3 + 2 * k,
                    col[k], RUN_NAME[k]);
        fprintf(gp, "\nunset logscale y\nset title \"first layer's weights "
                    "at the end\"\nset xlabel 'weight'\nset ylabel 'count'\n"
                    "plot ");
        for (int k = 0; k < N_RUN; k++)
            fprintf(gp,
                    "%s'regularization_weights.tsv' using 1:%d with steps "
                    "lw 2 lc rgb '%s' title '%s'",
                    k ? ", \\\n     " : "", 2 + k, col[k], RUN_NAME[k]);
        fprintf(gp, "\nunset multiplot\n");
        demo_plot(&c, "regularization", gp);
    }
    return 0;
}
