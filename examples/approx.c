/* approx: universal approximation, seen happening.
 *
 * One hidden layer of tanh units can approximate any continuous function
 * on an interval as closely as we like, given enough units (Cybenko 1989;
 * Hornik 1991). Each unit contributes one smooth step a tanh(w x + b), and
 * the output adds them up: with 1 unit the fit of sin(x) on [-π, π] is a
 * single S-curve, with 3 it bends where sin bends, with 10 or 50 it lies
 * on top of the target.
 *
 * "Enough units" can be a lot, though. The second part gives two networks
 * the same number of parameters — one hidden layer of 80 units (241
 * parameters) against four hidden layers of 8 (also 241) — and asks both
 * to fit sin(x) and a wigglier target, sin(x) + sin(4x)/2 + sin(9x)/4.
 * Composing layers lets a network reuse its bends, which one wide layer
 * cannot.
 *
 * Every fit is full-batch Adam on the mean squared error over 256 points,
 * its learning rate decayed from --lr (0.01) to 0 along a cosine. With a
 * fixed rate Adam's loss is spiky near a minimum (a step overshoots and
 * recovers), so "the loss after the last step" would be a matter of luck:
 * one seed's 50-unit fit would end above its 10-unit fit. The decay lets
 * every fit settle, and the figure reported is the MSE of the final
 * weights — the same weights the curves are drawn from. Wide layers can
 * represent the wiggly target too; what the comparison shows is how far
 * each gets with the same parameters, initialisation rule and training
 * budget. Every sentence after the tables is derived from these figures.
 *
 * Writes OUT/approx.svg and the curves as TSV. */
#include <math.h>
#include <stdio.h>
#include <tapegrad/tapegrad.h>

#include "demo_common.h"
#include "demos.h"

enum { N = 256, N_PLOT = 401, N_WIDTHS = 4 };
static const double PI = 3.14159265358979323846;
static const int WIDTHS[N_WIDTHS] = {1, 3, 10, 50};

static double target_sin(double x) { return sin(x); }
static double target_wiggly(double x)
{
    return sin(x) + 0.5 * sin(4 * x) + 0.25 * sin(9 * x);
}

/* A trained fit: its final loss, its loss every 10 steps, and its output
 * on the plotting grid. diverged_at: the step at which the loss became
 * NaN or Inf (0 if it never did); its final_loss is then NaN. */
typedef struct fit {
    double final_loss;
    int diverged_at;
    double loss[1 + 20000 / 10];
    double y[N_PLOT];
    int params;
} fit;

/* Train an MLP of the given layer sizes (tanh hidden units, linear
 * output) on f; false (with the graph's error printed) on failure. */
static bool train(const demo_ctx *c, int n_sizes, const int64_t *sizes,
                  double (*f)(double), int steps, double lr, fit *out,
                  demo_progress *bar, int64_t *done)
{
    tg_graph *g = tg_graph_new();
    if (!g) return demo_fail(c, NULL), false;
    tg_rng_seed(tg_graph_rng(g), (uint64_t)c->seed);
    tg_layer *net = tg_nn_mlp(g, TG_F32, n_sizes, sizes, "tanh", NULL,
                              TG_INIT_XAVIER_NORMAL, NULL);
    tg_optim_config oc = tg_optim_defaults(TG_OPTIM_ADAM);
    oc.lr = lr;
    tg_lr_schedule lrs = {.kind = TG_LR_COSINE, .base_lr = lr,
                          .total = steps};
    tg_optim *opt = net ? tg_optim_new(&oc, tg_layer_num_params(net),
                                       tg_layer_params(net))
                        : NULL;
    bool ok = opt != NULL;
    if (!ok) demo_fail(c, net ? NULL : g);

    float xs[N], ts[N];
    for (int i = 0; i < N; i++) {
        xs[i] = (float)(-PI + 2 * PI * i / (N - 1));
        ts[i] = (float)f(xs[i]);
    }
    out->params = 0;
    out->diverged_at = 0;
    for (int k = 0; ok && k < tg_layer_num_params(net); k++)
        out->params += (int)tg_layer_params(net)[k]->numel;
    for (int s = 0; ok && s <= steps; s++) {
        tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(N, 1), xs);
        tg_tensor *t = tg_input(g, TG_F32, TG_SHAPE(N, 1), ts);
        tg_tensor *loss = tg_mse(tg_layer_forward(net, x), t);
        if (tg_backward(g, loss) != TG_OK) {
            ok = false;
            demo_fail(c, g);
            break;
        }
        double e = tg_item(loss);
        if (!isfinite(e) && !out->diverged_at) out->diverged_at = s + 1;
        if (out->diverged_at) e = NAN; /* nothing after it is a result */
        if (s % 10 == 0) out->loss[s / 10] = e;
        out->final_loss = e;
        tg_optim_set_lr(opt, tg_lr_at(&lrs, s));
        if (s < steps && !out->diverged_at)
            tg_optim_step(opt); /* the last pass only measures */
        tg_optim_zero_grad(opt);
        tg_graph_reset(g);
        demo_progress_update(bar, ++*done, NULL);
    }
    if (ok) {
        float xp[N_PLOT];
        for (int i = 0; i < N_PLOT; i++)
            xp[i] = (float)(-PI + 2 * PI * i / (N_PLOT - 1));
        tg_set_grad_enabled(g, false);
        tg_tensor *y = tg_layer_forward(
            net, tg_input(g, TG_F32, TG_SHAPE(N_PLOT, 1), xp));
        for (int i = 0; i < N_PLOT; i++) out->y[i] = tg_get(y, i);
        ok = !tg_graph_error(g);
    }
    tg_optim_free(opt);
    tg_layer_free(net);
    tg_graph_free(g);
    return ok;
}

static void write_figure(const demo_ctx *c)
{
    FILE *gp = demo_gnuplot_script(c, "approx", 1200, 900);
    if (!gp) return;
    static const char *color[4] = {"#2c6db4", "#e08214", "#1b9e77",
                                   "#c0392b"};
    fprintf(gp, "set multiplot layout 2,2 title 'Universal approximation "
                "with tanh units'\n"
                "set xrange [-pi:pi]\nset key top left font ',10'\n"
                "set xtics ('-π' -pi, '-π/2' -pi/2, '0' 0, 'π/2' pi/2, "
                "'π' pi)\n"
                "set title 'one hidden layer, growing width: fits of sin(x)'\n"
                "plot 'approx_width.tsv' using 1:2 with lines lw 6 "
                "lc rgb '#dddddd' title 'sin(x)'");
    for (int k = 0; k < N_WIDTHS; k++)
        fprintf(gp, ", \\\n     '' using 1:%d with lines lw 2 lc rgb '%s' "
                    "title '%d unit%s'",
                3 + k, color[k], WIDTHS[k], WIDTHS[k] > 1 ? "s" : "");
    fprintf(gp, "\nset title 'training loss (mean squared error)'\n"
                "set xtics auto\nset xrange [*:*]\nset logscale y\n"
                "set format y '10^{%%L}'\nset xlabel 'Adam step'\n"
                "set key top right\nplot ");
    for (int k = 0; k < N_WIDTHS; k++)
        fprintf(gp, "%s'approx_width_loss.tsv' using 1:%d with lines lw 2 "
                    "lc rgb '%s' title '%d unit%s'",
                k ? ", \\\n     " : "", 2 + k, color[k], WIDTHS[k],
                WIDTHS[k] > 1 ? "s" : "");
    fprintf(gp, "\nunset logscale y\nset format y '%%g'\nunset xlabel\n"
                "set xrange [-pi:pi]\n"
                "set xtics ('-π' -pi, '-π/2' -pi/2, '0' 0, 'π/2' pi/2, "
                "'π' pi)\nset key top left\n"
                "set title 'same parameter count: 1x80 vs 4x8, wiggly "
                "target'\n"
                "plot 'approx_depth.tsv' using 1:3 with lines lw 6 "
                "lc rgb '#dddddd' title 'sin x + sin 4x / 2 + sin 9x / 4', "
                "\\\n     '' using 1:6 with lines lw 2 lc rgb '#2c6db4' "
                "title 'shallow: 1 layer of 80', \\\n"
                "     '' using 1:7 with lines lw 2 lc rgb '#c0392b' "
                "title 'deep: 4 layers of 8'\n"
                "set title 'training loss, wiggly target'\n"
                "set xtics auto\nset xrange [*:*]\nset logscale y\n"
                "set format y '10^{%%L}'\nset xlabel 'Adam step'\n"
                "set key top right\n"
                "plot 'approx_depth_loss.tsv' using 1:4 with lines lw 2 "
                "lc rgb '#2c6db4' title 'shallow 1x80', \\\n"
                "     '' using 1:5 with lines lw 2 lc rgb '#c0392b' "
                "title 'deep 4x8'\n"
                "unset multiplot\n");
    demo_plot(c, "approx", gp);
}

/* "1.234e-05", or "diverged" (a NaN is never printed as a result). */
static const char *mse_text(const fit *f, char *buf, size_t size)
{
    if (f->diverged_at)
        snprintf(buf, size, "diverged");
    else
        snprintf(buf, size, "%.3e", f->final_loss);
    return buf;
}

static bool write_files_and_figure(const demo_ctx *cp, int steps,
                                   const fit *width_fit, const fit *depth_fit);

int tg_demo_approx(int argc, char **argv)
{
    int steps = 3000;
    double lr = 0.01;
    const demo_opt opts[] = {
        {"steps", DEMO_INT, &steps, "Adam steps per fit (default 3000)", 10,
         20000, false},
        {"lr", DEMO_REAL, &lr,
         "Adam's learning rate, decayed to 0 along a cosine (default 0.01)",
         0, 10, true},
    };
    demo_ctx c;
    if (!demo_begin(&c, argc, argv,
                    "One hidden layer fits sin(x) as it widens (1, 3, 10, 50 "
                    "units); a deep narrow\nnetwork against a shallow wide "
                    "one with the same parameter count.",
                    opts, 2))
        return c.exit_code;
    if (c.fast && !demo_given(&c, "steps")) steps = 1500;
    static fit width_fit[N_WIDTHS], depth_fit[4];

    printf("approx: fitting curves on [-π, π] with tanh networks (full-batch "
           "Adam, lr %g decayed\nto 0 along a cosine, %d steps, mean squared "
           "error on %d points)\n\n",
           lr, steps, N);

    /* Eight fits: four widths on sin(x), then shallow and deep on two
     * targets. */
    static const int64_t SHALLOW[3] = {1, 80, 1};
    static const int64_t DEEP[6] = {1, 8, 8, 8, 8, 1};
    double (*targets[2])(double) = {target_sin, target_wiggly};
    demo_progress bar;
    int64_t done = 0;
    demo_progress_start(&bar, "training", 8 * (int64_t)(steps + 1));
    bool ok = true;
    for (int k = 0; ok && k < N_WIDTHS; k++) {
        int64_t sizes[3] = {1, WIDTHS[k], 1};
        ok = train(&c, 3, sizes, target_sin, steps, lr, &width_fit[k], &bar,
                   &done);
    }
    for (int t = 0; ok && t < 2; t++)
        ok = train(&c, 3, SHALLOW, targets[t], steps, lr, &depth_fit[2 * t],
                   &bar, &done) &&
             train(&c, 6, DEEP, targets[t], steps, lr,
                   &depth_fit[2 * t + 1], &bar, &done);
    demo_progress_end(&bar);
    if (!ok) return 1;

    printf("One hidden layer, growing width: y = Σ_j a_j tanh(w_j x + b_j) "
           "+ c, target sin(x)\n");
    printf("  %6s  %10s  %12s\n", "units", "parameters", "final MSE");
    char cell[64];
    for (int k = 0; k < N_WIDTHS; k++)
        printf("  %6d  %10d  %12s\n", WIDTHS[k], width_fit[k].params,
               mse_text(&width_fit[k], cell, sizeof cell));

    printf("\nSame parameter count, shallow and wide against deep and "
           "narrow:\n");
    printf("  %-27s  %-14s  %10s  %12s\n", "target", "network", "parameters",
           "final MSE");
    const char *tname[2] = {"sin x", "sin x + sin 4x/2 + sin 9x/4"};
    for (int t = 0; t < 2; t++) {
        printf("  %-27s  %-14s  %10d  %12s\n", tname[t], "1 layer of 80",
               depth_fit[2 * t].params,
               mse_text(&depth_fit[2 * t], cell, sizeof cell));
        printf("  %-27s  %-14s  %10d  %12s\n", "", "4 layers of 8",
               depth_fit[2 * t + 1].params,
               mse_text(&depth_fit[2 * t + 1], cell, sizeof cell));
    }
    printf("\n");

    /* ---- what the figures say, in words derived from them */
    int n_div = 0;
    for (int k = 0; k < N_WIDTHS; k++) n_div += width_fit[k].diverged_at > 0;
    for (int k = 0; k < 4; k++) n_div += depth_fit[k].diverged_at > 0;
    if (n_div) {
        printf("  %d of the 8 fits diverged (the loss became NaN or Inf); "
               "no comparison is drawn\n  from them. Try a smaller --lr.\n\n",
               n_div);
        write_files_and_figure(&c, steps, width_fit, depth_fit);
        return 1;
    }
    int worse = -1; /* the first width that ended above a narrower one */
    for (int k = 1; k < N_WIDTHS && worse < 0; k++)
        for (int j = 0; j < k; j++)
            if (width_fit[k].final_loss >= width_fit[j].final_loss) {
                worse = k;
                printf("  Wider was not always better in this run: %d units "
                       "ended at MSE %.3g,\n  not below %d unit%s' %.3g. "
                       "(More units can represent more; whether training\n"
                       "  finds it within %d steps is another matter.)\n",
                       WIDTHS[k], width_fit[k].final_loss, WIDTHS[j],
                       WIDTHS[j] > 1 ? "s" : "", width_fit[j].final_loss,
                       steps);
                break;
            }
    if (worse < 0)
        printf("  Every added unit lowered the error: MSE %.3g with 1 unit, "
               "%.3g with 3,\n  %.3g with 10 and %.3g with 50.\n",
               width_fit[0].final_loss, width_fit[1].final_loss,
               width_fit[2].final_loss, width_fit[3].final_loss);
    double ratio = depth_fit[2].final_loss / depth_fit[3].final_loss;
    printf("  On the wiggly target the deep network's error is %.3g times "
           "%s the shallow one's,\n  with the same %d parameters.\n\n",
           ratio >= 1 ? ratio : 1 / ratio, ratio >= 1 ? "below" : "above",
           depth_fit[3].params);
    return write_files_and_figure(&c, steps, width_fit, depth_fit) ? 0 : 1;
}

static bool write_files_and_figure(const demo_ctx *cp, int steps,
                                   const fit *width_fit, const fit *depth_fit)
{
    const demo_ctx c = *cp;
    int n_log = steps / 10 + 1;
    /* ---- files */
    FILE *f = demo_open(&c, "approx_width.tsv");
    FILE *fl = demo_open(&c, "approx_width_loss.tsv");
    FILE *fd = demo_open(&c, "approx_depth.tsv");
    FILE *fdl = demo_open(&c, "approx_depth_loss.tsv");
    if (!f || !fl || !fd || !fdl) {
        if (f) fclose(f);
        if (fl) fclose(fl);
        if (fd) fclose(fd);
        if (fdl) fclose(fdl);
        return false;
    }
    fprintf(f, "# x\tsin x\t1 unit\t3 units\t10 units\t50 units\n");
    fprintf(fd, "# x\tsin x\twiggly\tsin: 1x80\tsin: 4x8\twiggly: 1x80\t"
                "wiggly: 4x8\n");
    for (int i = 0; i < N_PLOT; i++) {
        double x = -PI + 2 * PI * i / (N_PLOT - 1);
        fprintf(f, "%.6f\t%.6f", x, sin(x));
        for (int k = 0; k < N_WIDTHS; k++) fprintf(f, "\t%.6f", width_fit[k].y[i]);
        fprintf(f, "\n");
        fprintf(fd, "%.6f\t%.6f\t%.6f", x, sin(x), target_wiggly(x));
        for (int k = 0; k < 4; k++) fprintf(fd, "\t%.6f", depth_fit[k].y[i]);
        fprintf(fd, "\n");
    }
    fprintf(fl, "# step\t1 unit\t3 units\t10 units\t50 units\n");
    fprintf(fdl, "# step\tsin: 1x80\tsin: 4x8\twiggly: 1x80\twiggly: 4x8\n");
    for (int s = 0; s < n_log; s++) {
        fprintf(fl, "%d", 10 * s);
        for (int k = 0; k < N_WIDTHS; k++)
            fprintf(fl, "\t%.6g", width_fit[k].loss[s]);
        fprintf(fl, "\n");
        fprintf(fdl, "%d", 10 * s);
        for (int k = 0; k < 4; k++) fprintf(fdl, "\t%.6g", depth_fit[k].loss[s]);
        fprintf(fdl, "\n");
    }
    fclose(f);
    fclose(fl);
    fclose(fd);
    fclose(fdl);
    write_figure(&c);
    return true;
}
