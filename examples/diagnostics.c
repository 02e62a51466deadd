/* diagnostics: looking inside a deep network while it trains.
 *
 * The checks an experienced practitioner runs on a new network, shown on
 * a deep tanh MLP, 32 -> 100 x 5 -> 10, trained by plain SGD (lr 0.02,
 * batches of 32) on a 10-class task (32-dimensional Gaussian points
 * labelled by a random teacher network), three ways:
 *   bad init     W ~ N(0, 1): pre-activations of standard deviation ~10,
 *                so most tanh units sit on their flat tails;
 *   good init    W ~ N(0, (5/3)^2 / fan_in) (Kaiming's rule with tanh's
 *                gain 5/3), the output layer scaled by 0.1 so the first
 *                predictions are not confidently wrong;
 *   batch norm   the good init, with a batch-norm layer between every
 *                linear layer (no bias) and its tanh.
 * For each, at initialisation: the histogram of every hidden layer's tanh
 * outputs t with the fraction saturated (|t| > 0.97, where tanh' = 1 - t^2
 * < 0.06 lets almost no gradient through), and the histogram of the
 * gradient dL/dt that reaches it (tg_grad on the hidden tensors). During
 * training: each weight matrix's update:data ratio, log10(std(lr g) /
 * std(W)), every step, against the 1e-3 rule of thumb (updates of about a
 * thousandth of the weights: much less and the layer barely learns, much
 * more and it thrashes).
 *
 * Writes OUT/diagnostics.svg and the numbers as TSV. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tapegrad/tapegrad.h>

#include "demo_common.h"
#include "demos.h"

enum { IN = 32, W = 100, L = 5, CLASSES = 10, BATCH = 32, N_TRAIN = 4096,
       N_TEST = 1024, N_CFG = 3, BINS = 50, N_MAT = L + 1 };
static const char *CFG_NAME[N_CFG] = {"bad init", "good init", "batch norm"};
static const char *CFG_FILE[N_CFG] = {"bad", "good", "bn"};
static const double SATURATED = 0.97;

/* Labels from a random teacher, tanh(x A) B, argmax over the classes. */
static void make_data(float *X, float *Y, int rows, tg_rng *r)
{
    static double A[IN * 64], B[64 * CLASSES];
    static bool ready;
    if (!ready) {
        tg_rng t;
        tg_rng_seed(&t, 4242);
        for (int i = 0; i < IN * 64; i++) A[i] = tg_rng_normal(&t) / 3;
        for (int i = 0; i < 64 * CLASSES; i++) B[i] = tg_rng_normal(&t);
        ready = true;
    }
    for (int i = 0; i < rows; i++) {
        double h[64], best = -INFINITY;
        for (int j = 0; j < IN; j++) X[i * IN + j] = (float)tg_rng_normal(r);
        for (int u = 0; u < 64; u++) {
            double s = 0;
            for (int j = 0; j < IN; j++) s += X[i * IN + j] * A[j * 64 + u];
            h[u] = tanh(s);
        }
        for (int c = 0; c < CLASSES; c++) {
            double s = 0;
            for (int u = 0; u < 64; u++) s += h[u] * B[u * CLASSES + c];
            if (s > best) best = s, Y[i] = (float)c;
        }
    }
}

typedef struct net {
    tg_graph *g;
    tg_layer *lin[N_MAT], *bn[L];
    tg_tensor *w[N_MAT]; /* the weight matrices, [in, out] */
} net;

static void net_free(net *n)
{
    for (int l = 0; l < N_MAT; l++) tg_layer_free(n->lin[l]);
    for (int l = 0; l < L; l++) tg_layer_free(n->bn[l]);
    tg_graph_free(n->g);
    memset(n, 0, sizeof *n);
}

static bool net_init(net *n, int cfg, uint64_t seed)
{
    memset(n, 0, sizeof *n);
    n->g = tg_graph_new();
    if (!n->g) return false;
    tg_rng r;
    tg_rng_seed(&r, seed); /* the same draws for the three networks */
    for (int l = 0; l < N_MAT; l++) {
        char name[16];
        snprintf(name, sizeof name, "fc%d", l);
        int64_t in = l ? W : IN, out = l < L ? W : CLASSES;
        /* batch norm's own shift replaces the bias */
        n->lin[l] = tg_nn_linear(n->g, TG_F32, in, out, !(cfg == 2 && l < L),
                                 TG_INIT_DEFAULT, name);
        char full[32];
        snprintf(full, sizeof full, "fc%d.weight", l);
        n->w[l] = n->lin[l] ? tg_layer_find(n->lin[l], full) : NULL;
        if (!n->w[l]) return false;
        double std = cfg == 0 ? 1 : 5.0 / 3 / sqrt((double)in);
        if (cfg > 0 && l == L) std *= 0.1;
        demo_fill_normal(n->w[l], &r, std);
        snprintf(full, sizeof full, "fc%d.bias", l);
        tg_tensor *b = tg_layer_find(n->lin[l], full);
        if (b) demo_fill_normal(b, &r, cfg == 0 ? 1 : 0.01);
        if (cfg == 2 && l < L) {
            snprintf(name, sizeof name, "bn%d", l);
            n->bn[l] = tg_nn_batchnorm(n->g, TG_F32, W, 0.1, 1e-5, name);
            if (!n->bn[l]) return false;
        }
    }
    return true;
}

/* Forward pass; h[l] gets hidden layer l's tanh output. */
static tg_tensor *forward(net *n, tg_tensor *x, tg_tensor **h)
{
    for (int l = 0; l < L; l++) {
        x = tg_layer_forward(n->lin[l], x);
        if (n->bn[l]) x = tg_layer_forward(n->bn[l], x);
        x = h[l] = tg_tanh(x);
    }
    return tg_layer_forward(n->lin[L], x);
}

static double std_of(const float *v, int64_t n, double *mean)
{
    double s = 0, ss = 0;
    for (int64_t i = 0; i < n; i++) s += v[i];
    double m = s / (double)n;
    for (int64_t i = 0; i < n; i++) ss += (v[i] - m) * (v[i] - m);
    if (mean) *mean = m;
    return sqrt(ss / (double)n);
}

/* What one configuration showed. */
typedef struct stats {
    double t_mean[L], t_std[L], sat[L];   /* tanh outputs at init      */
    double g_mean[L], g_std[L];           /* dL/dt at init             */
    int t_hist[L][BINS], g_hist[L][BINS]; /* their histograms          */
    double g_range;                       /* gradient bins: +-g_range  */
    double loss0, loss_end, test_acc;     /* loss at init, at the end  */
    double ratio_end[N_MAT];              /* mean log10 ratio, last 10% */
    int diverged_at;
} stats;

/* One run; ratio[s * N_MAT + l] is log10(update:data) of matrix l at
 * step s (NaN when a weight or gradient is not finite), loss[s] the batch
 * loss. */
static bool run(const demo_ctx *c, int cfg, const float *X, const float *Y,
                const float *Xt, const float *Yt, double lr, int steps,
                double *ratio, double *loss, stats *st)
{
    net n;
    if (!net_init(&n, cfg, (uint64_t)c->seed + 1)) {
        demo_fail(c, n.g);
        net_free(&n);
        return false;
    }
    tg_graph *g = n.g;
    tg_rng r;
    tg_rng_seed(&r, (uint64_t)c->seed + 2); /* the same batches for all */
    static float xb[BATCH * IN], yb[BATCH];
    bool ok = true;
    st->diverged_at = 0;
    for (int s = 0; s < steps && ok; s++) {
        for (int i = 0; i < BATCH; i++) {
            int k = (int)(tg_rng_uniform(&r) * N_TRAIN);
            if (k >= N_TRAIN) k = N_TRAIN - 1;
            memcpy(xb + i * IN, X + k * IN, sizeof(float) * IN);
            yb[i] = Y[k];
        }
        tg_tensor *h[L];
        tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(BATCH, IN), xb);
        tg_tensor *y = tg_input(g, TG_F32, TG_SHAPE(BATCH), yb);
        tg_tensor *out = forward(&n, x, h);
        tg_tensor *lt = tg_cross_entropy(out, y);
        double l = tg_item(lt);
        loss[s] = isfinite(l) ? l : NAN;
        if (s == 0) st->loss0 = l;
        if (s == 0 && !tg_graph_error(g)) {
            /* the gradient reaching each hidden layer's output */
            tg_tensor *gh[L];
            if (tg_grad(g, &lt, 1, NULL, h, L, false, gh) != TG_OK) {
                ok = false;
                break;
            }
            double gmax = 0;
            for (int k = 0; k < L; k++) {
                const float *t = tg_f32(h[k]), *gt = tg_f32(gh[k]);
                int64_t m = h[k]->numel, sat = 0;
                st->t_std[k] = std_of(t, m, &st->t_mean[k]);
                st->g_std[k] = std_of(gt, m, &st->g_mean[k]);
                gmax = fmax(gmax, st->g_std[k]);
                for (int64_t i = 0; i < m; i++) {
                    sat += fabsf(t[i]) > SATURATED;
                    int b = (int)floor((t[i] + 1) / 2 * BINS);
                    st->t_hist[k][b < 0 ? 0 : b >= BINS ? BINS - 1 : b]++;
                }
                st->sat[k] = (double)sat / (double)m;
            }
            /* one gradient range for all layers: they are compared */
            st->g_range = gmax > 0 ? 4 * gmax : 1;
            for (int k = 0; k < L; k++) {
                const float *gt = tg_f32(gh[k]);
                for (int64_t i = 0; i < h[k]->numel; i++) {
                    int b = (int)floor((gt[i] / st->g_range + 1) / 2 * BINS);
                    if (b >= 0 && b < BINS) st->g_hist[k][b]++;
                }
            }
        }
        if (tg_backward(g, lt) != TG_OK) {
            demo_fail(c, g);
            ok = false;
            break;
        }
        if (!isfinite(l)) {
            st->diverged_at = s + 1;
            for (; s < steps; s++) {
                loss[s] = NAN;
                for (int k = 0; k < N_MAT; k++) ratio[s * N_MAT + k] = NAN;
            }
            break;
        }
        for (int k = 0; k < N_MAT; k++) {
            double sw = std_of(tg_f32(n.w[k]), n.w[k]->numel, NULL);
            double sg = std_of(tg_f32(n.w[k]->grad), n.w[k]->numel, NULL);
            double v = log10(lr * sg / sw);
            ratio[s * N_MAT + k] = isfinite(v) ? v : NAN;
        }
        demo_sgd_step(g, lr);
        tg_graph_reset(g);
    }
    tg_graph_reset(g);
    if (ok) {
        /* the last tenth of training, averaged in log space */
        int from = steps - steps / 10;
        for (int k = 0; k < N_MAT; k++) {
            double s = 0;
            int cnt = 0;
            for (int i = from; i < steps; i++)
                if (isfinite(ratio[i * N_MAT + k]))
                    s += ratio[i * N_MAT + k], cnt++;
            st->ratio_end[k] = cnt ? s / cnt : NAN;
        }
        /* the end: the whole test set in eval mode */
        st->loss_end = st->test_acc = NAN;
        if (!st->diverged_at) {
            bool gr = tg_set_grad_enabled(g, false);
            bool tr = tg_set_training(g, false);
            tg_tensor *h[L];
            tg_tensor *out = forward(
                &n, tg_input(g, TG_F32, TG_SHAPE(N_TEST, IN), Xt), h);
            tg_tensor *y = tg_input(g, TG_F32, TG_SHAPE(N_TEST), Yt);
            double l = tg_item(tg_cross_entropy(out, y));
            st->test_acc = tg_accuracy(out, y);
            st->loss_end = isfinite(l) && !tg_graph_error(g) ? l : NAN;
            tg_graph_reset(g);
            tg_set_training(g, tr);
            tg_set_grad_enabled(g, gr);
        }
    }
    net_free(&n);
    return ok;
}

static void figure(const demo_ctx *c, int steps)
{
    FILE *gp = demo_gnuplot_script(c, "diagnostics", 1500, 1250);
    if (!gp) return;
    static const char *col[N_MAT] = {"#1f77b4", "#ff7f0e", "#2ca02c",
                                     "#d62728", "#9467bd", "#555555"};
    fprintf(gp, "set multiplot layout 3,3 title 'A 32-100x5-10 tanh MLP: "
                "activations and gradients at initialisation, update:data "
                "ratio while training'\n"
                "set key top right font ',9'\n");
    for (int cf = 0; cf < N_CFG; cf++) {
        fprintf(gp, "set title '%s: tanh outputs (%% saturated)'\n"
                    "set xlabel 't'\nset ylabel 'density'\n"
                    "set xrange [-1:1]\nset yrange [0:*]\nplot ",
                CFG_NAME[cf]);
        for (int l = 0; l < L; l++)
            fprintf(gp, "%s'diagnostics_act_%s.tsv' using 1:%d with lines "
                        "lw 2 lc rgb '%s' title columnhead(%d)",
                    l ? ", \\\n     " : "", CFG_FILE[cf], 2 + l, col[l],
                    2 + l);
        fprintf(gp, "\nset title '%s: gradient dL/dt at each layer'\n"
                    "set xlabel 'dL/dt'\nset xrange [*:*]\nplot ",
                CFG_NAME[cf]);
        for (int l = 0; l < L; l++)
            fprintf(gp, "%s'diagnostics_grad_%s.tsv' using 1:%d with lines "
                        "lw 2 lc rgb '%s' title columnhead(%d)",
                    l ? ", \\\n     " : "", CFG_FILE[cf], 2 + l, col[l],
                    2 + l);
        fprintf(gp, "\nset title '%s: update:data ratio'\n"
                    "set xlabel 'SGD step'\nset ylabel 'log10(std(lr g) / "
                    "std(W))'\nset xrange [0:%d]\nset yrange [-7:0]\nplot ",
                CFG_NAME[cf], steps);
        for (int l = 0; l < N_MAT; l++)
            fprintf(gp, "%s'diagnostics_ratio.tsv' every %d using 1:%d with "
                        "lines lw 1 lc rgb '%s' title '%s'",
                    l ? ", \\\n     " : "", steps > 400 ? steps / 200 : 1,
                    2 + cf * N_MAT + l, col[l],
                    l < L ? (const char *[]){"W1", "W2", "W3", "W4",
                                             "W5"}[l]
                          : "W out");
        fprintf(gp, ", \\\n     -3 with lines lw 2 dt 2 lc rgb 'black' "
                    "title '1e-3'\n");
    }
    fprintf(gp, "unset multiplot\n");
    demo_plot(c, "diagnostics", gp);
}

static bool write_files(const demo_ctx *c, const stats *st,
                        const double *ratio, const double *loss, int steps)
{
    for (int cf = 0; cf < N_CFG; cf++) {
        char name[64];
        snprintf(name, sizeof name, "diagnostics_act_%s.tsv", CFG_FILE[cf]);
        FILE *f = demo_open(c, name);
        if (!f) return false;
        /* density: count / (values * bin width) */
        fprintf(f, "t");
        for (int l = 0; l < L; l++)
            fprintf(f, "\t\"layer %d: %.0f%%\"", l + 1, 100 * st[cf].sat[l]);
        fprintf(f, "\n");
        for (int b = 0; b < BINS; b++) {
            fprintf(f, "%.4f", -1 + (b + 0.5) * 2.0 / BINS);
            for (int l = 0; l < L; l++)
                fprintf(f, "\t%.6g", st[cf].t_hist[l][b] /
                                         (double)(BATCH * W) / (2.0 / BINS));
            fprintf(f, "\n");
        }
        fclose(f);
        snprintf(name, sizeof name, "diagnostics_grad_%s.tsv", CFG_FILE[cf]);
        f = demo_open(c, name);
        if (!f) return false;
        fprintf(f, "dL/dt");
        for (int l = 0; l < L; l++)
            fprintf(f, "\t\"layer %d: std %.2g\"", l + 1, st[cf].g_std[l]);
        fprintf(f, "\n");
        double width = 2 * st[cf].g_range / BINS;
        for (int b = 0; b < BINS; b++) {
            fprintf(f, "%.6g", -st[cf].g_range + (b + 0.5) * width);
            for (int l = 0; l < L; l++)
                fprintf(f, "\t%.6g",
                        st[cf].g_hist[l][b] / (double)(BATCH * W) / width);
            fprintf(f, "\n");
        }
        fclose(f);
    }
    FILE *f = demo_open(c, "diagnostics_ratio.tsv");
    if (!f) return false;
    fprintf(f, "# step");
    for (int cf = 0; cf < N_CFG; cf++)
        for (int l = 0; l < N_MAT; l++)
            fprintf(f, "\t%s W%d", CFG_FILE[cf], l + 1);
    for (int cf = 0; cf < N_CFG; cf++) fprintf(f, "\t%s loss", CFG_FILE[cf]);
    fprintf(f, "\n");
    for (int s = 0; s < steps; s++) {
        fprintf(f, "%d", s);
        for (int cf = 0; cf < N_CFG; cf++)
            for (int l = 0; l < N_MAT; l++)
                fprintf(f, "\t%.4f",
                        ratio[((size_t)cf * steps + s) * N_MAT + l]);
        for (int cf = 0; cf < N_CFG; cf++)
            fprintf(f, "\t%.5f", loss[(size_t)cf * steps + s]);
        fprintf(f, "\n");
    }
    fclose(f);
    return true;
}

int tg_demo_diagnostics(int argc, char **argv)
{
    int steps = 1000;
    double lr = 0.02;
    const demo_opt opts[] = {
        {"steps", DEMO_INT, &steps, "SGD steps per network (default 1000)",
         10, 100000, false},
        {"lr", DEMO_REAL, &lr, "learning rate (default 0.02)", 0, 100, true},
    };
    demo_ctx c;
    if (!demo_begin(&c, argc, argv,
                    "A deep tanh MLP with bad init, good init and batch "
                    "norm: per-layer histograms\nof activations (with % "
                    "saturated) and gradients, and the update:data ratio "
                    "over\ntraining against the 1e-3 guide.",
                    opts, 2))
        return c.exit_code;
    if (c.fast && !demo_given(&c, "steps")) steps = 200;
    tg_set_num_threads(1); /* 100-wide layers: one thread is fastest */

    static float X[N_TRAIN * IN], Y[N_TRAIN], Xt[N_TEST * IN], Yt[N_TEST];
    tg_rng r;
    tg_rng_seed(&r, (uint64_t)c.seed);
    make_data(X, Y, N_TRAIN, &r);
    make_data(Xt, Yt, N_TEST, &r);

    double *ratio = malloc(sizeof *ratio * (size_t)N_CFG * (size_t)steps *
                           N_MAT);
    double *loss = malloc(sizeof *loss * (size_t)N_CFG * (size_t)steps);
    static stats st[N_CFG];
    if (!ratio || !loss) {
        free(ratio);
        free(loss);
        fprintf(stderr, "tapegrad demo diagnostics: out of memory\n");
        return 1;
    }
    printf("diagnostics: a %d -> %d x %d -> %d tanh MLP on a %d-class task "
           "(%d training\npoints, %d test points), plain SGD, lr %g, batches "
           "of %d, %d steps.\nThree initialisations:\n"
           "  bad init    W ~ N(0, 1)\n"
           "  good init   W ~ N(0, (5/3)^2 / fan_in), output layer x 0.1\n"
           "  batch norm  good init, batch norm before every tanh\n\n",
           IN, W, L, CLASSES, CLASSES, N_TRAIN, N_TEST, lr, BATCH, steps);
    for (int cf = 0; cf < N_CFG; cf++) {
        memset(&st[cf], 0, sizeof st[cf]);
        if (!run(&c, cf, X, Y, Xt, Yt, lr, steps,
                 ratio + (size_t)cf * steps * N_MAT, loss + (size_t)cf * steps,
                 &st[cf])) {
            free(ratio);
            free(loss);
            return 1;
        }
    }

    printf("  At initialisation (the first batch): hidden layer l's tanh "
           "outputs t and the\n  gradient dL/dt reaching them\n\n"
           "  %-11s %5s  %9s %10s  %12s\n",
           "", "layer", "std of t", "saturated", "std of dL/dt");
    for (int cf = 0; cf < N_CFG; cf++)
        for (int l = 0; l < L; l++)
            printf("  %-11s %5d  %9.3f %9.1f%%  %12.3g\n",
                   l ? "" : CFG_NAME[cf], l + 1, st[cf].t_std[l],
                   100 * st[cf].sat[l], st[cf].g_std[l]);
    printf("\n  Update:data ratio log10(std(lr g) / std(W)), mean of the "
           "last %d steps:\n\n  %-11s",
           steps / 10, "");
    for (int l = 0; l < N_MAT; l++)
        printf(l < L ? "     W%d" : "  W out", l + 1);
    printf("\n");
    for (int cf = 0; cf < N_CFG; cf++) {
        printf("  %-11s", CFG_NAME[cf]);
        for (int l = 0; l < N_MAT; l++)
            if (isfinite(st[cf].ratio_end[l]))
                printf("  %5.2f", st[cf].ratio_end[l]);
            else
                printf("  %5s", "-");
        printf("\n");
    }
    printf("\n  %-11s %12s %12s %9s\n", "", "loss at init", "test loss",
           "test acc");
    for (int cf = 0; cf < N_CFG; cf++) {
        printf("  %-11s %12.4f ", CFG_NAME[cf], st[cf].loss0);
        if (st[cf].diverged_at)
            printf("%12s %9s\n", "diverged", "-");
        else
            printf("%12.4f %8.1f%%\n", st[cf].loss_end,
                   100 * st[cf].test_acc);
    }
    printf("  (chance: loss ln 10 = %.4f, accuracy 10%%)\n\n", log(10.0));

    /* ---- the sentences, from the tables */
    for (int cf = 0; cf < N_CFG; cf++) {
        const stats *s = &st[cf];
        double most = 0, g_lo = INFINITY, g_hi = 0;
        int at = 0;
        for (int l = 0; l < L; l++) {
            if (s->sat[l] > most) most = s->sat[l], at = l + 1;
            g_lo = fmin(g_lo, s->g_std[l]);
            g_hi = fmax(g_hi, s->g_std[l]);
        }
        printf("  %s: %.*f%% of layer %d's tanh outputs saturated at "
               "initialisation%s\n",
               CFG_NAME[cf], most < 0.1 ? 1 : 0, 100 * most, at,
               most > 0.5 ? ": most\n    units pass almost no gradient."
                          : ".");
        double spread = g_lo > 0 ? g_hi / g_lo : INFINITY;
        printf("    The gradient's std differs by a factor %.3g between "
               "layers (%s).\n",
               spread, spread < 2 ? "even" : spread < 10 ? "uneven"
                                                        : "far apart");
        double lo = INFINITY, hi = -INFINITY;
        int l_lo = 0, l_hi = 0;
        for (int l = 0; l < N_MAT; l++) {
            double v = s->ratio_end[l];
            if (!isfinite(v)) continue;
            if (v < lo) lo = v, l_lo = l;
            if (v > hi) hi = v, l_hi = l;
        }
        if (s->diverged_at)
            printf("    It diverged at step %d (the loss became NaN or "
                   "Inf): try a smaller --lr.\n",
                   s->diverged_at);
        else if (isfinite(lo)) {
            char a[8], b[8];
            snprintf(a, sizeof a, l_lo < L ? "W%d" : "W out", l_lo + 1);
            snprintf(b, sizeof b, l_hi < L ? "W%d" : "W out", l_hi + 1);
            int near = 0, above = 0, below = 0;
            for (int l = 0; l < N_MAT; l++) {
                double v = s->ratio_end[l];
                if (!isfinite(v)) continue;
                if (v < -3.5) below++;
                else if (v > -2.5) above++;
                else near++;
            }
            printf("    Update:data at the end: 10^%.2f (%s) to 10^%.2f "
                   "(%s); %d of %d matrices\n    within half a decade of "
                   "1e-3",
                   lo, a, hi, b, near, near + above + below);
            if (above) printf(", %d above", above);
            if (below) printf(", %d below", below);
            printf(".\n");
        }
    }
    /* which network learnt most */
    int best = -1;
    for (int cf = 0; cf < N_CFG; cf++)
        if (!st[cf].diverged_at && isfinite(st[cf].loss_end) &&
            (best < 0 || st[cf].loss_end < st[best].loss_end))
            best = cf;
    if (best >= 0) {
        printf("  After %d steps the lowest test loss is %s's\n  (", steps,
               CFG_NAME[best]);
        for (int cf = 0; cf < N_CFG; cf++) {
            printf("%s%s ", cf ? ", " : "", CFG_NAME[cf]);
            if (st[cf].diverged_at) printf("diverged");
            else printf("%.4f", st[cf].loss_end);
        }
        printf(").\n");
        if (st[best].loss_end >= log(10.0))
            printf("  None of them got below chance (ln 10 = %.4f) in %d "
                   "steps.\n",
                   log(10.0), steps);
    }
    printf("\n");

    bool ok = write_files(&c, st, ratio, loss, steps);
    free(ratio);
    free(loss);
    if (!ok) return 1;
    figure(&c, steps);
    int rc = 0;
    for (int cf = 0; cf < N_CFG; cf++)
        if (st[cf].diverged_at) rc = 1;
    return rc;
}
