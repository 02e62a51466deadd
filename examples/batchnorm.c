/* batchnorm: what batch normalisation changes, measured.
 *
 * The same MLP, 16 -> 64 x 6 -> 4 with ReLU units and PyTorch's default
 * initialisation, is trained twice at each of three learning rates: plain,
 * and with a batch-norm layer between every linear layer and its ReLU
 *     y = γ (x - μ_B) / sqrt(σ²_B + ε) + β      (Ioffe & Szegedy 2015)
 * where μ_B, σ²_B are the mean and variance of the mini-batch, per
 * channel. The task: 4 classes of 16-dimensional points labelled by a
 * random teacher network. Trained by SGD with momentum 0.9, batches of 64.
 *
 * Batch statistics exist only in training. Each batch-norm layer also
 * keeps running estimates, r = (1 - m) r + m s with momentum m = 0.1, and
 * eval mode (tg_set_training(g, false)) normalises with them instead, so
 * an example's output no longer depends on the rest of its batch. The demo
 * follows the running mean and variance of the first layer's channels
 * during training and compares them with the statistics of the data they
 * estimate; compares train-mode and eval-mode outputs; and shows why a
 * batch of one example cannot be normalised in train mode: its mean is
 * itself, so every channel would be β whatever the input, and the library
 * refuses it.
 *
 * Writes OUT/batchnorm.svg and the curves as TSV. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tapegrad/tapegrad.h>

#include "demo_common.h"
#include "demos.h"

enum { IN = 16, WIDTH = 64, DEPTH = 6, CLASSES = 4, N_TRAIN = 2048,
       N_TEST = 1024, BATCH = 64, N_LR = 3, N_TRACK = 4 };
static const double LRS[N_LR] = {0.003, 0.03, 0.3};

typedef struct net {
    tg_graph *g;
    tg_layer *seq;
    tg_layer *bn0; /* the first batch-norm layer (NULL when plain) */
} net;

static bool net_init(net *n, bool bn, uint64_t seed)
{
    memset(n, 0, sizeof *n);
    n->g = tg_graph_new();
    if (!n->g) return false;
    tg_rng_seed(tg_graph_rng(n->g), seed); /* the same weights for both */
    tg_layer *ls[3 * DEPTH + 1];
    int k = 0;
    for (int l = 0; l < DEPTH; l++) {
        char name[32];
        snprintf(name, sizeof name, "fc%d", l);
        ls[k++] = tg_nn_linear(n->g, TG_F32, l ? WIDTH : IN, WIDTH, true,
                               TG_INIT_DEFAULT, name);
        if (bn) {
            snprintf(name, sizeof name, "bn%d", l);
            ls[k++] = tg_nn_batchnorm(n->g, TG_F32, WIDTH, 0.1, 1e-5, name);
            if (l == 0) n->bn0 = ls[k - 1];
        }
        ls[k++] = tg_nn_activation_named(n->g, "relu");
    }
    ls[k++] = tg_nn_linear(n->g, TG_F32, WIDTH, CLASSES, true,
                           TG_INIT_DEFAULT, "out");
    n->seq = tg_nn_sequential(n->g, k, ls, "mlp");
    return n->seq != NULL;
}

static void net_free(net *n)
{
    tg_layer_free(n->seq);
    tg_graph_free(n->g);
}

/* Labels from a random teacher, tanh(x A) B, argmax over 4 classes. */
static void make_data(float *X, float *Y, int rows, tg_rng *r)
{
    static double A[IN * 32], B[32 * CLASSES];
    static bool ready;
    if (!ready) {
        tg_rng t;
        tg_rng_seed(&t, 12345);
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

/* Copy every state tensor (weights and running statistics) to or from
 * buf, so that a train-mode evaluation, which updates the running
 * statistics, leaves the network as it found it. Returns the floats. */
static size_t snapshot(net *n, float *buf, bool restore)
{
    size_t k = 0;
    for (int i = 0; i < tg_layer_num_state(n->seq); i++) {
        tg_tensor *t = tg_layer_state(n->seq)[i];
        float *d = tg_f32(t);
        if (buf && restore) memcpy(d, buf + k, sizeof(float) * (size_t)t->numel);
        else if (buf) memcpy(buf + k, d, sizeof(float) * (size_t)t->numel);
        k += (size_t)t->numel;
    }
    return k;
}

/* Mean cross-entropy and accuracy of n on (X, Y), in train or eval mode,
 * nothing recorded and no running statistic changed; logits (rows x
 * CLASSES) copied out when not NULL. NaN when the network has diverged
 * or the graph refused the batch (*why gets the message then). */
static double evaluate(net *n, const float *X, const float *Y, int rows,
                       bool train_mode, double *acc, float *logits,
                       char *why, size_t why_size)
{
    tg_graph *g = n->g;
    static float saved[1 << 16];
    size_t need = snapshot(n, NULL, false);
    if (need > sizeof saved / sizeof saved[0]) return NAN;
    snapshot(n, saved, false);
    bool grad = tg_set_grad_enabled(g, false);
    bool tr = tg_set_training(g, train_mode);
    tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(rows, IN), X);
    tg_tensor *y = tg_input(g, TG_F32, TG_SHAPE(rows), Y);
    tg_tensor *out = tg_layer_forward(n->seq, x);
    double loss = tg_item(tg_cross_entropy(out, y));
    *acc = tg_accuracy(out, y);
    if (tg_graph_error(g)) {
        if (why) snprintf(why, why_size, "%s", tg_graph_error(g));
        loss = NAN;
    } else if (logits) {
        memcpy(logits, tg_f32(out), sizeof(float) * (size_t)rows * CLASSES);
    }
    tg_graph_reset(g);
    tg_set_training(g, tr);
    tg_set_grad_enabled(g, grad);
    snapshot(n, saved, true);
    return isfinite(loss) ? loss : NAN;
}

/* One training run; loss[k] is the eval-mode loss on the training set
 * after k * every steps; rm/rv track the first batch-norm layer's running
 * mean and variance of channels 0..N_TRACK-1 at the same times. */
typedef struct run {
    double *loss;
    double rm[N_TRACK][1 + 20000 / 10], rv[N_TRACK][1 + 20000 / 10];
    int diverged_at;
    double test_acc;
} run;

static bool train(const demo_ctx *c, net *n, const float *X, const float *Y,
                  const float *Xt, const float *Yt, double lr, int steps,
                  int every, run *r)
{
    tg_graph *g = n->g;
    tg_optim_config oc = tg_optim_defaults(TG_OPTIM_MOMENTUM);
    oc.lr = lr;
    oc.momentum = 0.9;
    tg_optim *opt = tg_optim_new(&oc, tg_layer_num_params(n->seq),
                                 tg_layer_params(n->seq));
    if (!opt) {
        fprintf(stderr, "tapegrad demo %s: %s\n", c->name, tg_last_error());
        return false;
    }
    tg_tensor *rmean = n->bn0 ? tg_layer_find(n->seq, "bn0.running_mean")
                              : NULL;
    tg_tensor *rvar = n->bn0 ? tg_layer_find(n->seq, "bn0.running_var")
                             : NULL;
    tg_rng rng;
    tg_rng_seed(&rng, (uint64_t)c->seed + 99);
    static float xb[BATCH * IN], yb[BATCH];
    double acc;
    r->diverged_at = 0;
    bool ok = true;
    for (int s = 0; s <= steps && ok; s++) {
        if (s % every == 0) {
            int k = s / every;
            r->loss[k] = r->diverged_at
                             ? NAN
                             : evaluate(n, X, Y, N_TRAIN, false, &acc, NULL,
                                        NULL, 0);
            for (int ch = 0; ch < N_TRACK; ch++) {
                r->rm[ch][k] = rmean ? tg_get(rmean, ch) : NAN;
                r->rv[ch][k] = rvar ? tg_get(rvar, ch) : NAN;
            }
        }
        if (s == steps || r->diverged_at) continue;
        for (int i = 0; i < BATCH; i++) {
            int k = (int)(tg_rng_uniform(&rng) * N_TRAIN);
            memcpy(xb + i * IN, X + k * IN, sizeof(float) * IN);
            yb[i] = Y[k];
        }
        tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(BATCH, IN), xb);
        tg_tensor *y = tg_input(g, TG_F32, TG_SHAPE(BATCH), yb);
        tg_tensor *loss = tg_cross_entropy(tg_layer_forward(n->seq, x), y);
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
    r->test_acc = NAN;
    if (ok && !r->diverged_at) {
        double l = evaluate(n, Xt, Yt, N_TEST, false, &acc, NULL, NULL, 0);
        if (isfinite(l)) r->test_acc = acc;
        else r->diverged_at = steps;
    }
    tg_optim_free(opt);
    return ok;
}

static void write_figure(const demo_ctx *c)
{
    FILE *gp = demo_gnuplot_script(c, "batchnorm", 1400, 1000);
    if (!gp) return;
    static const char *color[N_LR] = {"#2c6db4", "#1b9e77", "#c0392b"};
    fprintf(gp, "set multiplot layout 2,2 title 'The same MLP (6 hidden "
                "layers of 64, ReLU) with and without batch norm'\n"
                "set key top right font ',10'\n"
                "set title 'training loss (eval mode, whole training set; "
                "missing = diverged)'\n"
                "set xlabel 'SGD step'\nset ylabel 'cross-entropy'\n"
                "set logscale y\nset yrange [0.01:10]\nplot ");
    for (int l = 0; l < N_LR; l++)
        fprintf(gp,
                "%s'batchnorm_loss.tsv' using 1:%d with lines lw 2 dt 2 "
                "lc rgb '%s' title 'plain, lr %g', \\\n"
                "     '' using 1:%d with lines lw 2 lc rgb '%s' "
                "title 'batch norm, lr %g'",
                l ? ", \\\n     " : "", 2 + 2 * l, color[l], LRS[l],
                3 + 2 * l, color[l], LRS[l]);
    static const char *ch_color[N_TRACK] = {"#2c6db4", "#e08214", "#1b9e77",
                                            "#c0392b"};
    const char *what[2] = {"mean", "variance"};
    fprintf(gp, "\nunset logscale y\nset yrange [*:*]\n");
    for (int k = 0; k < 2; k++) {
        fprintf(gp, "set title 'first batch-norm layer: running %s of "
                    "channels 0-3 (dashed: the data''s, final weights)'\n"
                    "set ylabel 'running %s'\nplot ",
                what[k], what[k]);
        for (int ch = 0; ch < N_TRACK; ch++)
            fprintf(gp,
                    "%s'batchnorm_running.tsv' using 1:%d with lines lw 2 "
                    "lc rgb '%s' title 'channel %d', \\\n"
                    "     '' using 1:%d with lines lw 1 dt 2 lc rgb '%s' "
                    "notitle",
                    ch ? ", \\\n     " : "", 2 + 4 * k + ch, ch_color[ch], ch,
                    10 + 4 * k + ch, ch_color[ch]);
        fprintf(gp, "\n");
    }
    fprintf(gp, "set title 'test logits: train mode (batch statistics) "
                "against eval mode (running)'\n"
                "set xlabel 'eval-mode logit'\nset ylabel 'train-mode "
                "logit'\nset key top left\n"
                "plot 'batchnorm_modes.tsv' using 1:2 with points pt 7 "
                "ps 0.3 lc rgb '#2c6db4' title 'logits', x with lines "
                "lc rgb '#999999' title 'y = x'\n"
                "unset multiplot\n");
    demo_plot(c, "batchnorm", gp);
}

int tg_demo_batchnorm(int argc, char **argv)
{
    int steps = 600;
    const demo_opt opts[] = {
        {"steps", DEMO_INT, &steps, "SGD steps per run (default 600)", 10,
         20000, false},
    };
    demo_ctx c;
    if (!demo_begin(&c, argc, argv,
                    "The same MLP with and without batch norm at three "
                    "learning rates; the running\nstatistics converging; "
                    "train vs eval outputs; why batch 1 fails in train mode.",
                    opts, 1))
        return c.exit_code;
    if (c.fast && !demo_given(&c, "steps")) steps = 150;
    int every = 10, n_log = steps / every + 1;
    tg_set_num_threads(1); /* 64-wide layers: one thread is fastest */

    static float X[N_TRAIN * IN], Y[N_TRAIN], Xt[N_TEST * IN], Yt[N_TEST];
    tg_rng r;
    tg_rng_seed(&r, (uint64_t)c.seed);
    make_data(X, Y, N_TRAIN, &r);
    make_data(Xt, Yt, N_TEST, &r);

    printf("batchnorm: a 16 -> 64 x 6 -> 4 ReLU MLP (PyTorch's default "
           "initialisation) on a\n4-class task, %d training and %d test "
           "points, SGD with momentum 0.9, batch %d,\n%d steps; plain and "
           "with batch norm (momentum 0.1) before every ReLU.\n\n",
           N_TRAIN, N_TEST, BATCH, steps);

    static run runs[N_LR][2];
    static double loss_store[N_LR][2][1 + 20000 / 10];
    net keep = {0}; /* the batch-norm network at the middle lr, kept */
    for (int l = 0; l < N_LR; l++)
        for (int b = 0; b < 2; b++) {
            net n;
            runs[l][b].loss = loss_store[l][b];
            if (!net_init(&n, b == 1, (uint64_t)c.seed)) {
                int rc = demo_fail(&c, n.g);
                net_free(&n);
                net_free(&keep);
                return rc;
            }
            if (!train(&c, &n, X, Y, Xt, Yt, LRS[l], steps, every,
                       &runs[l][b])) {
                net_free(&n);
                net_free(&keep);
                return 1;
            }
            if (l == 1 && b == 1) keep = n;
            else net_free(&n);
        }

    printf("  %-7s  %-12s  %16s  %9s\n", "lr", "network", "final train loss",
           "test acc");
    int bn_better = 0, plain_div = 0, bn_div = 0;
    for (int l = 0; l < N_LR; l++) {
        for (int b = 0; b < 2; b++) {
            const run *q = &runs[l][b];
            printf("  %-7g  %-12s  ", LRS[l], b ? "batch norm" : "plain");
            if (q->diverged_at)
                printf("%16s  %9s\n", "diverged", "-");
            else
                printf("%16.4f  %8.1f%%\n", q->loss[n_log - 1],
                       100 * q->test_acc);
        }
        const run *p = &runs[l][0], *q = &runs[l][1];
        plain_div += p->diverged_at != 0;
        bn_div += q->diverged_at != 0;
        bn_better += !q->diverged_at &&
                     (p->diverged_at || q->loss[n_log - 1] < p->loss[n_log - 1]);
    }
    printf("\n  With batch norm the final training loss is lower at %d of "
           "the %d learning rates.\n",
           bn_better, N_LR);
    /* ln 4: the loss of answering 1/4 for every class, chance level */
    for (int l = 0; l < N_LR; l++)
        for (int b = 0; b < 2; b++) {
            const run *q = &runs[l][b];
            if (!q->diverged_at && q->loss[n_log - 1] > 0.95 * log(4.0))
                printf("  At lr %g the %s network did not get past chance: "
                       "loss %.3f, ln 4 = 1.386.\n",
                       LRS[l], b ? "batch-norm" : "plain",
                       q->loss[n_log - 1]);
        }
    for (int l = 0; l < N_LR; l++) {
        const run *p = &runs[l][0], *q = &runs[l][1];
        if (p->diverged_at && !q->diverged_at)
            printf("  At lr %g the plain network diverged (step %d); with "
                   "batch norm it trained.\n",
                   LRS[l], p->diverged_at);
        else if (q->diverged_at && !p->diverged_at)
            printf("  At lr %g the batch-norm network diverged (step %d); "
                   "the plain one did not.\n",
                   LRS[l], q->diverged_at);
        else if (p->diverged_at && q->diverged_at)
            printf("  At lr %g both diverged.\n", LRS[l]);
    }
    (void)plain_div;
    (void)bn_div;

    /* ---- the running statistics against the data's (lr of the middle
     * run): the first layer's input is x W0 + b0, whose mean and variance
     * over the whole training set the running values estimate */
    const run *mid = &runs[1][1];
    double data_mean[WIDTH], data_var[WIDTH];
    tg_tensor *W0 = tg_layer_find(keep.seq, "fc0.weight");
    tg_tensor *b0 = tg_layer_find(keep.seq, "fc0.bias");
    tg_tensor *rmean = tg_layer_find(keep.seq, "bn0.running_mean");
    tg_tensor *rvar = tg_layer_find(keep.seq, "bn0.running_var");
    if (!W0 || !b0 || !rmean || !rvar) {
        fprintf(stderr, "tapegrad demo batchnorm: layer names changed\n");
        net_free(&keep);
        return 1;
    }
    /* errors in units the noise explains: the mean's in the channel's
     * standard deviations, the variance's relative. Averaging 64-point
     * batch means with momentum 0.1 leaves sqrt(0.1 / 1.9) / 8 = 0.03
     * standard deviations of noise on its own. */
    double worst_m = 0, worst_v = 0;
    for (int ch = 0; ch < WIDTH; ch++) {
        double s = 0, ss = 0;
        for (int i = 0; i < N_TRAIN; i++) {
            double z = tg_get(b0, ch);
            for (int j = 0; j < IN; j++)
                z += (double)X[i * IN + j] * tg_get(W0, j * WIDTH + ch);
            s += z;
            ss += z * z;
        }
        data_mean[ch] = s / N_TRAIN;
        data_var[ch] = (ss - s * s / N_TRAIN) / (N_TRAIN - 1);
        worst_m = fmax(worst_m, fabs(tg_get(rmean, ch) - data_mean[ch]) /
                                    sqrt(data_var[ch]));
        worst_v = fmax(worst_v,
                       fabs(tg_get(rvar, ch) - data_var[ch]) / data_var[ch]);
    }
    printf("\nRunning statistics of the first batch-norm layer (lr %g) "
           "after %d steps, against\nthe mean and variance of its input "
           "over the whole training set:\n"
           "  worst channel's |running mean - data mean|: %.3f of its "
           "standard deviation\n"
           "  worst channel's |running var - data var|:   %.1f%% of its "
           "variance\n",
           LRS[1], steps, worst_m, 100 * worst_v);
    if (worst_m < 0.15 && worst_v < 0.15)
        printf("  They have converged: what is left is about the noise of "
               "averaging 64-point\n  batches with momentum 0.1.\n");
    else
        printf("  They have not converged yet (more steps, or the layers "
               "below still moving).\n");

    /* ---- train mode against eval mode on the test set */
    static float lt[N_TEST * CLASSES], le[N_TEST * CLASSES];
    double acc_t, acc_e;
    double loss_t = evaluate(&keep, Xt, Yt, N_TEST, true, &acc_t, lt, NULL, 0);
    double loss_e = evaluate(&keep, Xt, Yt, N_TEST, false, &acc_e, le, NULL,
                             0);
    double dmax = 0;
    for (int i = 0; i < N_TEST * CLASSES; i++)
        dmax = fmax(dmax, fabs((double)lt[i] - le[i]));
    printf("\nTrain mode against eval mode on the %d test points (one batch):"
           "\n  train mode (this batch's statistics): loss %.4f, accuracy "
           "%.1f%%\n  eval mode (running statistics):       loss %.4f, "
           "accuracy %.1f%%\n  largest difference of a logit: %.3g\n",
           N_TEST, loss_t, 100 * acc_t, loss_e, 100 * acc_e, dmax);

    /* ---- a batch of one */
    char why[512] = "";
    double acc1;
    double l1 = evaluate(&keep, Xt, Yt, 1, true, &acc1, NULL, why,
                         sizeof why);
    printf("\nOne test point alone, in train mode: ");
    if (isnan(l1) && why[0])
        printf("refused.\n  %s\n  Its batch mean is the point itself, so "
               "x - μ_B = 0 in every channel and the\n  output would be β "
               "whatever the input. Eval mode uses the running statistics:\n",
               why);
    else
        printf("loss %.4f (no error: unexpected).\n", l1);
    static float l1e[CLASSES];
    double l1_eval = evaluate(&keep, Xt, Yt, 1, false, &acc1, l1e, NULL, 0);
    double d1 = 0;
    for (int k = 0; k < CLASSES; k++) d1 = fmax(d1, fabs((double)l1e[k] - le[k]));
    if (d1 == 0)
        printf("  one point in eval mode: loss %.4f, logits exactly equal to "
               "its row in the\n  %d-point eval batch: in eval mode an "
               "output does not depend on its batch.\n\n",
               l1_eval, N_TEST);
    else
        printf("  one point in eval mode: loss %.4f, logits within %.2g of "
               "its row in the\n  %d-point eval batch (float rounding: one "
               "row's products are summed in\n  another order): in eval "
               "mode an output does not depend on its batch.\n\n",
               l1_eval, d1, N_TEST);

    /* ---- files */
    FILE *f = demo_open(&c, "batchnorm_loss.tsv");
    FILE *fr = demo_open(&c, "batchnorm_running.tsv");
    FILE *fm = demo_open(&c, "batchnorm_modes.tsv");
    if (f) {
        fprintf(f, "# step");
        for (int l = 0; l < N_LR; l++)
            fprintf(f, "\tplain lr %g\tbatch norm lr %g", LRS[l], LRS[l]);
        fprintf(f, "\n");
        for (int k = 0; k < n_log; k++) {
            fprintf(f, "%d", k * every);
            for (int l = 0; l < N_LR; l++)
                fprintf(f, "\t%.6g\t%.6g", runs[l][0].loss[k],
                        runs[l][1].loss[k]);
            fprintf(f, "\n");
        }
        fclose(f);
    }
    if (fr) {
        fprintf(fr, "# step\tmean 0\tmean 1\tmean 2\tmean 3\tvar 0\tvar 1\t"
                    "var 2\tvar 3\tdata mean 0\tdata mean 1\tdata mean 2\t"
                    "data mean 3\tdata var 0\tdata var 1\tdata var 2\t"
                    "data var 3\n");
        for (int k = 0; k < n_log; k++) {
            fprintf(fr, "%d", k * every);
            for (int ch = 0; ch < N_TRACK; ch++)
                fprintf(fr, "\t%.6g", mid->rm[ch][k]);
            for (int ch = 0; ch < N_TRACK; ch++)
                fprintf(fr, "\t%.6g", mid->rv[ch][k]);
            for (int ch = 0; ch < N_TRACK; ch++)
                fprintf(fr, "\t%.6g", data_mean[ch]);
            for (int ch = 0; ch < N_TRACK; ch++)
                fprintf(fr, "\t%.6g", data_var[ch]);
            fprintf(fr, "\n");
        }
        fclose(fr);
    }
    if (fm) {
        fprintf(fm, "# eval-mode logit\ttrain-mode logit\n");
        for (int i = 0; i < N_TEST * CLASSES; i++)
            fprintf(fm, "%.6g\t%.6g\n", le[i], lt[i]);
        fclose(fm);
    }
    net_free(&keep);
    if (!f || !fr || !fm) return 1;
    write_figure(&c);
    return 0;
}
