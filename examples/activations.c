/* activations: every activation function of the library and its
 * derivative, the derivative computed by the engine's own backward pass.
 *
 * For a grid of points x_i the demo records y = f(x) on the tape and
 * backpropagates L = Σ_i f(x_i). Each term depends on its own x_i only, so
 * ∂L/∂x_i = f'(x_i): one backward pass gives the whole derivative curve.
 * A central difference (f(x+h) − f(x−h)) / 2h checks every point; the grid
 * is offset by half a step so no point sits on a kink (0 for the ReLU
 * family), where the derivative jumps and a difference quotient would
 * straddle the jump.
 *
 * Writes OUT/activations.tsv (x, then f and f' per activation) and
 * OUT/activations.svg (one panel per activation). */
#include <math.h>
#include <stdio.h>
#include <tapegrad/tapegrad.h>

#include "demo_common.h"
#include "demos.h"

/* Each activation as a function of (graph, x); the graph is needed only
 * for prelu's learned slope, here a constant 0.25 (PyTorch's initial
 * value). */
static tg_tensor *f_sigmoid(tg_graph *g, tg_tensor *x) { (void)g; return tg_sigmoid(x); }
static tg_tensor *f_tanh(tg_graph *g, tg_tensor *x) { (void)g; return tg_tanh(x); }
static tg_tensor *f_relu(tg_graph *g, tg_tensor *x) { (void)g; return tg_relu(x); }
static tg_tensor *f_leaky(tg_graph *g, tg_tensor *x) { (void)g; return tg_leaky_relu(x, 0.1); }
static tg_tensor *f_prelu(tg_graph *g, tg_tensor *x)
{
    return tg_prelu(x, tg_full(g, x->dtype, TG_SHAPE(1), 0.25));
}
static tg_tensor *f_rrelu(tg_graph *g, tg_tensor *x) { (void)g; return tg_rrelu(x, 1.0 / 8, 1.0 / 3); }
static tg_tensor *f_elu(tg_graph *g, tg_tensor *x) { (void)g; return tg_elu(x, 1.0); }
static tg_tensor *f_selu(tg_graph *g, tg_tensor *x) { (void)g; return tg_selu(x); }
static tg_tensor *f_celu(tg_graph *g, tg_tensor *x) { (void)g; return tg_celu(x, 0.5); }
static tg_tensor *f_gelu(tg_graph *g, tg_tensor *x) { (void)g; return tg_gelu(x); }
static tg_tensor *f_gelu_tanh(tg_graph *g, tg_tensor *x) { (void)g; return tg_gelu_tanh(x); }
static tg_tensor *f_silu(tg_graph *g, tg_tensor *x) { (void)g; return tg_silu(x); }
static tg_tensor *f_softplus(tg_graph *g, tg_tensor *x) { (void)g; return tg_softplus(x, 1, 20); }
static tg_tensor *f_logsigmoid(tg_graph *g, tg_tensor *x) { (void)g; return tg_logsigmoid(x); }
static tg_tensor *f_hardtanh(tg_graph *g, tg_tensor *x) { (void)g; return tg_clamp(x, -1, 1); }
static tg_tensor *f_hardshrink(tg_graph *g, tg_tensor *x) { (void)g; return tg_hardshrink(x, 0.5); }
static tg_tensor *f_abs(tg_graph *g, tg_tensor *x) { (void)g; return tg_abs(x); }
/* maxout of three linear pieces of x, max(-x - 0.5, x/4, 1.5x - 1)
 * (Goodfellow et al. 2013): x [N] -> pieces [N, 3] -> max over each row.
 * A maxout unit learns its pieces; these are fixed to show the shape: a
 * convex piecewise-linear function whose slope is the active piece's. */
static const double MAXOUT_A[3] = {-1, 0.25, 1.5}, MAXOUT_B[3] = {-0.5, 0, -1};
static tg_tensor *f_maxout(tg_graph *g, tg_tensor *x)
{
    tg_tensor *a = tg_input(g, x->dtype, TG_SHAPE(1, 3), NULL);
    tg_tensor *b = tg_input(g, x->dtype, TG_SHAPE(3), NULL);
    if (tg_graph_error(g)) return tg_reshape(x, 1, (int64_t[]){-1});
    for (int j = 0; j < 3; j++) {
        tg_f64(a)[j] = MAXOUT_A[j];
        tg_f64(b)[j] = MAXOUT_B[j];
    }
    tg_tensor *pieces = tg_add(tg_matmul(tg_reshape(x, 2, (int64_t[]){-1, 1}),
                                         a),
                               b);
    return tg_reshape(tg_maxout(pieces, 3), 1, (int64_t[]){-1});
}

typedef struct activation {
    const char *name;
    const char *formula;
    tg_tensor *(*f)(tg_graph *g, tg_tensor *x);
} activation;

static const activation ACTS[] = {
    {"sigmoid", "1 / (1 + e^-x)", f_sigmoid},
    {"tanh", "(e^x - e^-x) / (e^x + e^-x)", f_tanh},
    {"relu", "max(x, 0)", f_relu},
    {"leaky_relu", "x > 0 ? x : 0.1 x", f_leaky},
    {"prelu", "x > 0 ? x : a x, learned a = 0.25", f_prelu},
    {"rrelu", "x >= 0 ? x : r x, eval r = (1/8 + 1/3) / 2", f_rrelu},
    {"elu", "x > 0 ? x : e^x - 1", f_elu},
    {"selu", "1.0507 (x > 0 ? x : 1.6733 (e^x - 1))", f_selu},
    {"celu", "x > 0 ? x : 0.5 (e^(x/0.5) - 1)", f_celu},
    {"gelu", "x Φ(x)", f_gelu},
    {"gelu_tanh", "x/2 (1 + tanh(√(2/π)(x + 0.044715 x³)))", f_gelu_tanh},
    {"silu", "x σ(x)", f_silu},
    {"softplus", "log(1 + e^x)", f_softplus},
    {"logsigmoid", "log σ(x)", f_logsigmoid},
    {"hardtanh", "clamp(x, -1, 1)", f_hardtanh},
    {"hardshrink", "|x| > 0.5 ? x : 0", f_hardshrink},
    {"abs", "|x|", f_abs},
    {"maxout", "max(-x - 0.5, x/4, 1.5x - 1)", f_maxout},
};
enum { N_ACTS = sizeof ACTS / sizeof ACTS[0] };

enum { N = 400 };          /* grid points on [-4, 4] */
static const double H = 1e-6; /* central-difference step */

/* y = f(x) without recording (grad mode off), for the difference quotient. */
static void eval_no_grad(tg_graph *g, const activation *a, const double *x,
                         double *y)
{
    bool was = tg_set_grad_enabled(g, false);
    tg_tensor *out = a->f(g, tg_input(g, TG_F64, TG_SHAPE(N), x));
    for (int i = 0; i < N; i++) y[i] = tg_get(out, i);
    tg_set_grad_enabled(g, was);
}

int tg_demo_activations(int argc, char **argv)
{
    demo_ctx c;
    if (!demo_begin(&c, argc, argv,
                    "Every activation and its derivative, the derivative "
                    "from the engine's backward pass.",
                    NULL, 0))
        return c.exit_code;

    tg_graph *g = tg_graph_new();
    if (!g) return demo_fail(&c, NULL);
    tg_set_training(g, false); /* rrelu: the deterministic eval slope */

    static double x[N], xp[N], xm[N], fp[N], fm[N];
    static double y[N_ACTS][N], dy[N_ACTS][N];
    for (int i = 0; i < N; i++) {
        x[i] = -4 + 8 * (i + 0.5) / N;
        xp[i] = x[i] + H;
        xm[i] = x[i] - H;
    }

    printf("activations: f(x) and f'(x) on [-4, 4]; f' comes from one "
           "backward pass of\nL = Σ f(x_i), checked against central "
           "differences (h = %g, f64).\n\n",
           H);
    printf("  %-11s %-42s %9s %9s %9s  %s\n", "name", "f(x)", "f'(-1.99)",
           "f'(0.01)", "f'(2.01)", "max |f' - diff|");
    double worst = 0;
    for (int k = 0; k < N_ACTS; k++) {
        const activation *a = &ACTS[k];
        tg_tensor *xt = tg_input(g, TG_F64, TG_SHAPE(N), x);
        tg_set_requires_grad(xt, true);
        tg_tensor *out = a->f(g, xt);
        if (tg_backward(g, tg_sum_all(out)) != TG_OK) {
            int rc = demo_fail(&c, g);
            tg_graph_free(g);
            return rc;
        }
        for (int i = 0; i < N; i++) {
            y[k][i] = tg_get(out, i);
            dy[k][i] = tg_get(xt->grad, i);
        }
        eval_no_grad(g, a, xp, fp);
        eval_no_grad(g, a, xm, fm);
        double err = 0;
        for (int i = 0; i < N; i++) {
            double e = fabs(dy[k][i] - (fp[i] - fm[i]) / (2 * H));
            if (e > err) err = e;
        }
        if (err > worst) worst = err;
        /* grid points 100, 200 and 300 are x = -1.99, 0.01 and 2.01 */
        printf("  %-11s ", a->name);
        demo_print_padded(a->formula, 42);
        printf(" %+9.5f %+9.5f %+9.5f  %.1e\n", dy[k][100], dy[k][200],
               dy[k][300], err);
        tg_graph_reset(g);
    }
    tg_graph_free(g);
    printf("\n  Largest disagreement with the difference quotients: %.1e "
           "(their own\n  truncation and rounding error is about that "
           "size).\n",
           worst);

    FILE *f = demo_open(&c, "activations.tsv");
    if (!f) return 1;
    fprintf(f, "# x");
    for (int k = 0; k < N_ACTS; k++)
        fprintf(f, "\t%s\td%s", ACTS[k].name, ACTS[k].name);
    fprintf(f, "\n");
    for (int i = 0; i < N; i++) {
        fprintf(f, "%.6g", x[i]);
        for (int k = 0; k < N_ACTS; k++)
            fprintf(f, "\t%.10g\t%.10g", y[k][i], dy[k][i]);
        fprintf(f, "\n");
    }
    fclose(f);

    FILE *gp = demo_gnuplot_script(&c, "activations", 1200, 1250);
    if (!gp) return 1;
    /* each panel scales its own y axis, so that no curve is cut off
     * (logsigmoid and hardshrink reach -4 at x = -4) */
    fprintf(gp, "set multiplot layout 5,4 title \"Activations f (solid) "
                "and their derivatives f' from backward (dashed)\"\n"
                "set xrange [-4:4]\nset autoscale y\nset offsets 0,0,0.3,0.3\n"
                "set xtics 2\nunset key\n"
                "set xzeroaxis lc rgb '#999999'\n");
    for (int k = 0; k < N_ACTS; k++)
        fprintf(gp,
                "set title '%s' noenhanced\n"
                "plot 'activations.tsv' using 1:%d with lines lw 2 "
                "lc rgb '#2c6db4' title 'f', \\\n"
                "     '' using 1:%d with lines lw 2 dt 2 lc rgb '#c0392b' "
                "title \"f'\"\n",
                ACTS[k].name, 2 + 2 * k, 3 + 2 * k);
    fprintf(gp, "unset multiplot\n");
    printf("\n");
    demo_plot(&c, "activations", gp);
    return worst < 1e-6 ? 0 : 1;
}
