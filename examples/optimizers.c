/* optimizers: six update rules on three 2-D landscapes, step by step.
 *
 * Each landscape f(x, y) is recorded on the tape with tapegrad ops, so the
 * gradient every optimizer follows comes from tg_backward; the update is
 * tg_optim_step. The rules (nn.h spells each out):
 *   SGD        w -= lr g
 *   momentum   m = β m - lr g;  w += m                     (heavy ball)
 *   Nesterov   m = β m - lr g;  w += β m - lr g            (look-ahead)
 *   RMSprop    v = α v + (1-α) g²;  w -= lr g / (√v + ε)   (per-coordinate)
 *   Adam       bias-corrected moments m, v;  w -= lr m / (√v + ε)
 *   AdamW      w -= lr λ w, then Adam                      (decoupled decay)
 * and the landscapes:
 *   Rosenbrock  (1 - x)² + 100 (y - x²)²        a curved, narrow valley,
 *               minimum 0 at (1, 1), start (-1.2, 1)
 *   Beale       (1.5 - x + xy)² + (2.25 - x + xy²)² + (2.625 - x + xy³)²,
 *               flat plateaus and steep walls, minimum 0 at (3, 0.5),
 *               start (1, 1)
 *   saddle      x² - y² + y⁴/4: a saddle point at (0, 0), minima -1 at
 *               (0, ±√2), start (1, 0.001), almost on the ridge
 * Every optimizer gets a learning rate suited to the landscape (below;
 * --lr-scale multiplies them all). A run "reaches" the minimum at the
 * first step with f - f* < 1e-3; a run whose f or position becomes NaN,
 * Inf or larger than 1e6 has diverged and stops there.
 *
 * Writes OUT/optimizers.svg (paths on contour plots, and f - f* against
 * the step) and the paths as TSV. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tapegrad/tapegrad.h>

#include "demo_common.h"
#include "demos.h"

enum { N_OPT = 6, N_FN = 3, MAX_STEPS = 100000 };

static const char *OPT_NAME[N_OPT] = {"SGD",     "momentum", "Nesterov",
                                      "RMSprop", "Adam",     "AdamW"};
static const tg_optim_kind OPT_KIND[N_OPT] = {
    TG_OPTIM_SGD,     TG_OPTIM_MOMENTUM, TG_OPTIM_NESTEROV,
    TG_OPTIM_RMSPROP, TG_OPTIM_ADAM,     TG_OPTIM_ADAMW};
static const char *OPT_COLOR[N_OPT] = {"#555555", "#2c6db4", "#1b9e77",
                                       "#e08214", "#c0392b", "#7b3294"};

typedef struct landscape {
    const char *name, *formula;
    double x0, y0;         /* start                              */
    double xmin, ymin, fmin; /* a minimum (the one the plots mark) */
    double lr[N_OPT];      /* per optimizer, before --lr-scale   */
    double box[4];         /* plot range x0 x1 y0 y1             */
} landscape;

static const landscape FN[N_FN] = {
    {"Rosenbrock", "(1 - x)^2 + 100 (y - x^2)^2", -1.2, 1, 1, 1, 0,
     {1e-3, 1e-3, 1e-3, 1e-2, 5e-2, 5e-2}, {-2, 2, -1, 3}},
    {"Beale", "(1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
     1, 1, 3, 0.5, 0,
     {1e-2, 1e-2, 1e-2, 1e-2, 5e-2, 5e-2}, {-0.5, 4, -1.5, 2}},
    {"saddle", "x^2 - y^2 + y^4/4", 1, 0.001, 0, 1.41421356237309515, -1,
     {5e-2, 5e-2, 5e-2, 1e-2, 5e-2, 5e-2}, {-1.5, 1.5, -2, 2}},
};

/* f(x, y) on the tape (any dtype; the demo uses f64). */
static tg_tensor *f_tape(int fn, tg_tensor *x, tg_tensor *y)
{
    switch (fn) {
    case 0: { /* (1 - x)^2 + 100 (y - x^2)^2 */
        tg_tensor *a = tg_add_scalar(tg_neg(x), 1);
        tg_tensor *b = tg_sub(y, tg_square(x));
        return tg_add(tg_square(a), tg_mul_scalar(tg_square(b), 100));
    }
    case 1: { /* Σ_k (c_k - x + x y^k)^2, c = 1.5, 2.25, 2.625 */
        static const double c[3] = {1.5, 2.25, 2.625};
        tg_tensor *sum = NULL, *yk = y;
        for (int k = 0; k < 3; k++) {
            tg_tensor *t = tg_add_scalar(tg_sub(tg_mul(x, yk), x), c[k]);
            sum = sum ? tg_add(sum, tg_square(t)) : tg_square(t);
            if (k < 2) yk = tg_mul(yk, y);
        }
        return sum;
    }
    default: { /* x^2 - y^2 + y^4 / 4 */
        tg_tensor *y2 = tg_square(y);
        return tg_add(tg_sub(tg_square(x), y2),
                      tg_mul_scalar(tg_square(y2), 0.25));
    }
    }
}

/* The same f in plain C, for the contour grid. */
static double f_plain(int fn, double x, double y)
{
    switch (fn) {
    case 0: return (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x);
    case 1: {
        double a = 1.5 - x + x * y, b = 2.25 - x + x * y * y,
               c = 2.625 - x + x * y * y * y;
        return a * a + b * b + c * c;
    }
    default: return x * x - y * y + y * y * y * y / 4;
    }
}

/* One optimizer on one landscape: the path (steps + 1 points, NaN after a
 * divergence), f after each step, when it reached f - f* < 1e-3. */
typedef struct run {
    double *px, *py, *f;
    int reached;     /* first step with f - f* < 1e-3, or -1           */
    int diverged_at; /* step at which it left the finite world, or 0    */
} run;

static bool run_one(const demo_ctx *c, int fn, int o, int steps,
                    double lr_scale, run *r)
{
    tg_graph *g = tg_graph_new();
    if (!g) return demo_fail(c, NULL), false;
    tg_tensor *x = tg_param(g, TG_F64, 0, NULL, "x");
    tg_tensor *y = tg_param(g, TG_F64, 0, NULL, "y");
    if (tg_graph_error(g)) {
        demo_fail(c, g);
        tg_graph_free(g);
        return false;
    }
    tg_f64(x)[0] = FN[fn].x0;
    tg_f64(y)[0] = FN[fn].y0;
    tg_optim_config oc = tg_optim_defaults(OPT_KIND[o]);
    oc.lr = FN[fn].lr[o] * lr_scale;
    if (OPT_KIND[o] == TG_OPTIM_MOMENTUM || OPT_KIND[o] == TG_OPTIM_NESTEROV)
        oc.momentum = 0.9;
    if (OPT_KIND[o] == TG_OPTIM_ADAMW) oc.weight_decay = 0.1;
    tg_tensor *params[2] = {x, y};
    tg_optim *opt = tg_optim_new(&oc, 2, params);
    if (!opt) {
        fprintf(stderr, "tapegrad demo %s: %s\n", c->name, tg_last_error());
        tg_graph_free(g);
        return false;
    }
    r->reached = -1;
    r->diverged_at = 0;
    bool ok = true;
    for (int s = 0; s <= steps; s++) {
        double xv = tg_f64(x)[0], yv = tg_f64(y)[0];
        r->px[s] = xv;
        r->py[s] = yv;
        if (r->diverged_at) {
            r->f[s] = NAN;
            continue;
        }
        tg_tensor *f = f_tape(fn, x, y);
        if (tg_backward(g, f) != TG_OK) {
            ok = false;
            demo_fail(c, g);
            break;
        }
        double fv = tg_item(f);
        tg_graph_reset(g);
        if (!isfinite(fv) || !(fabs(xv) < 1e6 && fabs(yv) < 1e6)) {
            r->diverged_at = s;
            r->px[s] = r->py[s] = r->f[s] = NAN;
            continue;
        }
        r->f[s] = fv;
        if (r->reached < 0 && fv - FN[fn].fmin < 1e-3) r->reached = s;
        if (s < steps) tg_optim_step(opt);
        tg_optim_zero_grad(opt);
    }
    tg_optim_free(opt);
    tg_graph_free(g);
    return ok;
}

static void write_figure(const demo_ctx *c, int steps)
{
    FILE *gp = demo_gnuplot_script(c, "optimizers", 1500, 950);
    if (!gp) return;
    /* whitespace: the contour table gnuplot writes is space-separated */
    fprintf(gp, "set datafile separator whitespace\n");
    fprintf(gp, "set multiplot layout 2,3 title 'Six optimizers on three "
                "landscapes: paths (top), f - f* per step (bottom)'\n"
                "set key below horizontal maxrows 2 font ',10' samplen 2\n");
    for (int fn = 0; fn < N_FN; fn++) {
        const landscape *L = &FN[fn];
        /* contour lines of log10(f - f* + 0.01) from the grid file */
        fprintf(gp,
                "set title \"%s:\\n%s\" noenhanced\n"
                "set xrange [%g:%g]\nset yrange [%g:%g]\n"
                "set xlabel 'x'\nset ylabel 'y'\n"
                "set contour base\nset cntrparam levels incremental "
                "-2,0.5,6\nunset surface\nset view map\n"
                "set table $C%d\n"
                "splot 'optimizers_grid_%d.tsv' using 1:2:3 with lines "
                "notitle\nunset table\nunset contour\n"
                "plot $C%d using 1:2 with lines lc rgb '#cccccc' notitle",
                L->name, L->formula, L->box[0], L->box[1], L->box[2],
                L->box[3], fn, fn, fn);
        for (int o = 0; o < N_OPT; o++)
            fprintf(gp,
                    ", \\\n     'optimizers_path_%d.tsv' using %d:%d with "
                    "lines lw 2 lc rgb '%s' title '%s'",
                    fn, 2 + 2 * o, 3 + 2 * o, OPT_COLOR[o], OPT_NAME[o]);
        fprintf(gp, ", \\\n     '-' using 1:2 with points pt 3 ps 2 "
                    "lc rgb 'black' title 'minimum', \\\n"
                    "     '-' using 1:2 with points pt 7 ps 1.2 "
                    "lc rgb 'black' title 'start'\n"
                    "%.17g\t%.17g\ne\n%.17g\t%.17g\ne\n",
                L->xmin, L->ymin, L->x0, L->y0);
    }
    fprintf(gp, "set logscale y\nset format y '10^{%%L}'\n"
                "set xrange [0:%d]\nset yrange [1e-8:*]\n"
                "set xlabel 'step'\nset ylabel 'f - f*'\n",
            steps);
    for (int fn = 0; fn < N_FN; fn++) {
        fprintf(gp, "set title '%s: f - f* (missing = diverged)'\nplot ",
                FN[fn].name);
        for (int o = 0; o < N_OPT; o++)
            fprintf(gp,
                    "%s'optimizers_path_%d.tsv' using 1:($%d - (%.17g)) "
                    "with lines lw 2 lc rgb '%s' title '%s'",
                    o ? ", \\\n     " : "", fn, 2 + 2 * N_OPT + o,
                    FN[fn].fmin, OPT_COLOR[o], OPT_NAME[o]);
        fprintf(gp, "\n");
    }
    fprintf(gp, "unset multiplot\n");
    demo_plot(c, "optimizers", gp);
}

int tg_demo_optimizers(int argc, char **argv)
{
    int steps = 2000;
    double lr_scale = 1;
    const demo_opt opts[] = {
        {"steps", DEMO_INT, &steps, "steps per optimizer (default 2000)", 10,
         MAX_STEPS, false},
        {"lr-scale", DEMO_REAL, &lr_scale,
         "multiplies every learning rate (default 1)", 0, 1000, true},
    };
    demo_ctx c;
    if (!demo_begin(&c, argc, argv,
                    "SGD, momentum, Nesterov, RMSprop, Adam and AdamW on "
                    "Rosenbrock's valley, Beale's\nfunction and a saddle: "
                    "their paths on contour plots and f against the step.",
                    opts, 2))
        return c.exit_code;
    if (c.fast && !demo_given(&c, "steps")) steps = 300;

    printf("optimizers: six update rules on three landscapes, %d steps "
           "each, gradients from\ntg_backward, updates from tg_optim_step "
           "(momentum β = 0.9; RMSprop α = 0.99;\nAdam β = (0.9, 0.999); "
           "AdamW weight decay 0.1). A run may come within 1e-3 of f* and "
           "leave again:\nthe last column is the first time, the third "
           "where it ended.\n\n",
           steps);
    static run runs[N_FN][N_OPT];
    double *store = calloc((size_t)N_FN * N_OPT * 3 * (size_t)(steps + 1),
                           sizeof *store);
    if (!store) {
        fprintf(stderr, "tapegrad demo optimizers: out of memory\n");
        return 1;
    }
    int rc = 0;
    for (int fn = 0; fn < N_FN && !rc; fn++)
        for (int o = 0; o < N_OPT && !rc; o++) {
            run *r = &runs[fn][o];
            double *base = store + ((size_t)(fn * N_OPT + o) * 3) *
                                       (size_t)(steps + 1);
            r->px = base;
            r->py = base + (steps + 1);
            r->f = base + 2 * (steps + 1);
            if (!run_one(&c, fn, o, steps, lr_scale, r)) rc = 1;
        }
    if (rc) {
        free(store);
        return rc;
    }

    for (int fn = 0; fn < N_FN; fn++) {
        const landscape *L = &FN[fn];
        printf("%s, f = %s, start (%g, %g), f* = %g at (%g, %.4g)\n", L->name,
               L->formula, L->x0, L->y0, L->fmin, L->xmin, L->ymin);
        printf("  %-9s %8s  %12s  %-24s %s\n", "optimizer", "lr",
               "final f - f*", "final (x, y)", "first f - f* < 1e-3");
        for (int o = 0; o < N_OPT; o++) {
            const run *r = &runs[fn][o];
            printf("  %-9s %8.2g  ", OPT_NAME[o], L->lr[o] * lr_scale);
            if (r->diverged_at) {
                printf("%12s  %-24s %s\n", "diverged", "",
                       "no (diverged)");
                continue;
            }
            char pos[64], when[32];
            snprintf(pos, sizeof pos, "(%.4f, %.4f)", r->px[steps],
                     r->py[steps]);
            if (r->reached >= 0)
                snprintf(when, sizeof when, "step %d", r->reached);
            else
                snprintf(when, sizeof when, "no");
            printf("%12.3e  %-24s %s\n", r->f[steps] - L->fmin, pos, when);
        }
        /* the verdict, from the table above */
        int best = -1, n_div = 0, n_miss = 0;
        char missed[128] = "", diverged[128] = "";
        for (int o = 0; o < N_OPT; o++) {
            const run *r = &runs[fn][o];
            if (r->diverged_at) {
                n_div++;
                snprintf(diverged + strlen(diverged),
                         sizeof diverged - strlen(diverged), "%s%s",
                         n_div > 1 ? ", " : "", OPT_NAME[o]);
            } else if (r->reached < 0) {
                n_miss++;
                snprintf(missed + strlen(missed),
                         sizeof missed - strlen(missed), "%s%s",
                         n_miss > 1 ? ", " : "", OPT_NAME[o]);
            } else if (best < 0 || r->reached < runs[fn][best].reached) {
                best = o;
            }
        }
        if (best >= 0)
            printf("  First within 1e-3 of the minimum: %s, at step %d.\n",
                   OPT_NAME[best], runs[fn][best].reached);
        else
            printf("  None came within 1e-3 of the minimum in %d steps.\n",
                   steps);
        if (n_miss && best >= 0)
            printf("  Not within 1e-3 after %d steps: %s.\n", steps, missed);
        if (n_div)
            printf("  Diverged (f or the position became NaN, Inf or "
                   "> 1e6): %s.\n",
                   diverged);
        printf("\n");
    }

    /* ---- files: the paths, then the contour grids */
    for (int fn = 0; fn < N_FN; fn++) {
        char name[64];
        snprintf(name, sizeof name, "optimizers_path_%d.tsv", fn);
        FILE *f = demo_open(&c, name);
        if (!f) {
            free(store);
            return 1;
        }
        fprintf(f, "# step");
        for (int o = 0; o < N_OPT; o++)
            fprintf(f, "\t%s x\t%s y", OPT_NAME[o], OPT_NAME[o]);
        for (int o = 0; o < N_OPT; o++) fprintf(f, "\t%s f", OPT_NAME[o]);
        fprintf(f, "\n");
        for (int s = 0; s <= steps; s++) {
            fprintf(f, "%d", s);
            for (int o = 0; o < N_OPT; o++)
                fprintf(f, "\t%.17g\t%.17g", runs[fn][o].px[s],
                        runs[fn][o].py[s]);
            for (int o = 0; o < N_OPT; o++)
                fprintf(f, "\t%.17g", runs[fn][o].f[s]);
            fprintf(f, "\n");
        }
        fclose(f);
        snprintf(name, sizeof name, "optimizers_grid_%d.tsv", fn);
        f = demo_open(&c, name);
        if (!f) {
            free(store);
            return 1;
        }
        enum { G = 121 };
        const double *b = FN[fn].box;
        fprintf(f, "# x\ty\tlog10(f - f* + 0.01)\n");
        for (int i = 0; i < G; i++) {
            for (int j = 0; j < G; j++) {
                double x = b[0] + (b[1] - b[0]) * i / (G - 1);
                double y = b[2] + (b[3] - b[2]) * j / (G - 1);
                fprintf(f, "%.6g\t%.6g\t%.6g\n", x, y,
                        log10(f_plain(fn, x, y) - FN[fn].fmin + 0.01));
            }
            fprintf(f, "\n");
        }
        fclose(f);
    }
    write_figure(&c, steps);
    free(store);
    return 0;
}
