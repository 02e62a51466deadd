/* xor: why hidden layers exist.
 *
 * XOR is not linearly separable: no line puts (0,1) and (1,0) on one side
 * and (0,0) and (1,1) on the other. So a single-layer perceptron
 *     y = σ(x w + b)
 * trained on mean squared error stalls at E = 0.25, the loss of answering
 * 0.5 everywhere, however long it trains. One hidden layer of two tanh
 * units,
 *     y = σ(tanh(x W1 + b1) W2 + b2)            (a 2-2-1 network)
 * bends the plane so one line suffices there, and XOR is solved.
 *
 * Each model lives in its own graph; per step the forward pass records
 * the tape, tg_backward fills every parameter's ->grad, a plain gradient
 * step follows, and tg_graph_reset drops the tape (the parameters stay).
 *
 * Writes OUT/xor_loss.svg (both loss curves), OUT/xor_boundary.svg (each
 * model's output over the plane with the four points) and
 * OUT/xor_graph.svg (the trained network's graph with values and
 * gradients). */
#include <stdio.h>
#include <stdlib.h>
#include <tapegrad/tapegrad.h>

#include "demo_common.h"
#include "demos.h"

static const float X[4 * 2] = {0, 0, 0, 1, 1, 0, 1, 1};
static const float T[4] = {0, 1, 1, 0};

/* hidden == 0: the perceptron (W1 is 2x1); hidden > 0: 2-hidden-1. */
typedef struct model {
    tg_graph *g;
    int hidden;
    tg_tensor *W1, *b1, *W2, *b2;
} model;

static bool model_init(model *m, int hidden, uint64_t seed)
{
    m->g = tg_graph_new();
    m->hidden = hidden;
    if (!m->g) return false;
    int h = hidden ? hidden : 1;
    m->W1 = tg_param(m->g, TG_F32, TG_SHAPE(2, h), "W1");
    m->b1 = tg_param(m->g, TG_F32, TG_SHAPE(h), "b1");
    if (hidden) {
        m->W2 = tg_param(m->g, TG_F32, TG_SHAPE(h, 1), "W2");
        m->b2 = tg_param(m->g, TG_F32, TG_SHAPE(1), "b2");
    }
    if (tg_graph_error(m->g)) return false;
    /* Random weights and biases break the symmetry between hidden units
     * (identical units would stay identical forever). */
    tg_rng r;
    tg_rng_seed(&r, seed);
    demo_fill_uniform(m->W1, &r, 1.0);
    demo_fill_uniform(m->b1, &r, 1.0);
    if (hidden) demo_fill_uniform(m->W2, &r, 1.0);
    return true;
}

/* x: [n, 2] -> y: [n, 1] in (0, 1) */
static tg_tensor *model_forward(const model *m, tg_tensor *x)
{
    tg_tensor *z = tg_add(tg_matmul(x, m->W1), m->b1);
    if (!m->hidden) return tg_sigmoid(z);
    tg_tensor *h = tg_tanh(z);
    return tg_sigmoid(tg_add(tg_matmul(h, m->W2), m->b2));
}

/* One full-batch gradient-descent step on E = mean (y − t)²; returns E. */
static double train_step(model *m, double lr)
{
    tg_graph *g = m->g;
    tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(4, 2), X);
    tg_tensor *t = tg_input(g, TG_F32, TG_SHAPE(4, 1), T);
    tg_tensor *d = tg_sub(model_forward(m, x), t);
    tg_tensor *E = tg_mul_scalar(tg_sum_all(tg_mul(d, d)), 0.25);
    if (tg_backward(g, E) != TG_OK) return -1;
    double e = tg_item(E);
    demo_sgd_step(g, lr);
    tg_graph_reset(g);
    return e;
}

/* The model's outputs on the four XOR inputs (grad mode off: nothing is
 * recorded). */
static void predict4(model *m, double y[4])
{
    tg_set_grad_enabled(m->g, false);
    tg_tensor *out = model_forward(m, tg_input(m->g, TG_F32,
                                               TG_SHAPE(4, 2), X));
    for (int i = 0; i < 4; i++) y[i] = tg_get(out, i);
    tg_graph_reset(m->g);
    tg_set_grad_enabled(m->g, true);
}

static int correct4(const double y[4])
{
    int n = 0;
    for (int i = 0; i < 4; i++) n += (y[i] > 0.5) == (T[i] > 0.5);
    return n;
}

/* Both models' outputs on a grid over [-0.5, 1.5]^2, for the picture. */
static void write_grid(const demo_ctx *c, model *p, model *n)
{
    enum { N = 101 };
    static float pts[N * N * 2];
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            pts[2 * (i * N + j)] = -0.5f + 2.0f * (float)j / (N - 1);
            pts[2 * (i * N + j) + 1] = -0.5f + 2.0f * (float)i / (N - 1);
        }
    FILE *f = demo_open(c, "xor_grid.tsv");
    if (!f) return;
    model *ms[2] = {p, n};
    const tg_tensor *y[2];
    for (int k = 0; k < 2; k++) {
        tg_set_grad_enabled(ms[k]->g, false);
        y[k] = model_forward(ms[k], tg_input(ms[k]->g, TG_F32,
                                             TG_SHAPE(N * N, 2), pts));
    }
    fprintf(f, "# x1\tx2\tperceptron\t2-2-1 network\n");
    for (int i = 0; i < N * N; i++) {
        fprintf(f, "%g\t%g\t%.4f\t%.4f\n", pts[2 * i], pts[2 * i + 1],
                tg_get(y[0], i), tg_get(y[1], i));
        if ((i + 1) % N == 0) fprintf(f, "\n"); /* gnuplot: next scan line */
    }
    fclose(f);
    for (int k = 0; k < 2; k++) {
        tg_graph_reset(ms[k]->g);
        tg_set_grad_enabled(ms[k]->g, true);
    }
    f = demo_open(c, "xor_points.tsv");
    if (!f) return;
    fprintf(f, "# x1\tx2\ttarget\n");
    for (int i = 0; i < 4; i++)
        fprintf(f, "%g\t%g\t%g\n", X[2 * i], X[2 * i + 1], T[i]);
    fclose(f);

    FILE *gp = demo_gnuplot_script(c, "xor_boundary", 1000, 460);
    if (!gp) return;
    fprintf(gp,
            "set multiplot layout 1,2 title 'Output over the plane "
            "(white band: y = 0.5, the decision boundary)'\n"
            "set palette defined (0 '#2c6db4', 0.5 'white', 1 '#c0392b')\n"
            "set cbrange [0:1]\nset size ratio -1\n"
            "set xrange [-0.5:1.5]\nset yrange [-0.5:1.5]\n"
            "set xlabel 'x_1'\nset ylabel 'x_2'\nunset colorbox\n"
            "pts = 'xor_points.tsv'\n"
            "set title 'single-layer perceptron: stuck near 0.5'\n"
            "plot 'xor_grid.tsv' using 1:2:3 with image, \\\n"
            "     pts using 1:2:3 with points pt 7 ps 3 lc palette, \\\n"
            "     pts using 1:2 with points pt 6 ps 3 lc rgb 'black'\n"
            "set title '2-2-1 network: XOR solved'\nset colorbox\n"
            "plot 'xor_grid.tsv' using 1:2:4 with image, \\\n"
            "     pts using 1:2:3 with points pt 7 ps 3 lc palette, \\\n"
            "     pts using 1:2 with points pt 6 ps 3 lc rgb 'black'\n"
            "unset multiplot\n");
    demo_plot(c, "xor_boundary", gp);
}

/* Train m for `steps` steps; loss[s] gets E after step s. Returns false
 * (with the graph's error set) if a step failed. */
static bool train(model *m, int steps, double lr, float *loss)
{
    for (int s = 0; s < steps; s++) {
        double e = train_step(m, lr);
        if (e < 0) return false;
        loss[s] = (float)e;
    }
    return true;
}

static void free_all(model *p, model *n, float *lp, float *ln)
{
    tg_graph_free(p->g);
    tg_graph_free(n->g);
    free(lp);
    free(ln);
}

int tg_demo_xor(int argc, char **argv)
{
    int steps = 3000, attempts = 10;
    double lr = 2.0;
    const demo_opt opts[] = {
        {"steps", DEMO_INT, &steps, "gradient steps per model (default 3000)"},
        {"lr", DEMO_REAL, &lr, "learning rate (default 2)"},
        {"attempts", DEMO_INT, &attempts,
         "fresh starts allowed for the 2-2-1 network (default 10)"},
    };
    demo_ctx c;
    if (!demo_begin(&c, argc, argv,
                    "A single-layer perceptron fails on XOR; a 2-2-1 network "
                    "solves it.",
                    opts, 3))
        return c.exit_code;
    if (c.fast && steps > 2000) steps = 2000;
    if (steps < 10 || attempts < 1) {
        fprintf(stderr, "tapegrad demo xor: --steps must be >= 10 and "
                        "--attempts >= 1\n");
        return 2;
    }

    printf("xor: can a network compute exclusive-or?\n\n"
           "  x1 x2 | x1 XOR x2\n"
           "   0  0 |  0\n   0  1 |  1\n   1  0 |  1\n   1  1 |  0\n\n"
           "Two models, trained by full-batch gradient descent on the mean "
           "squared error\nE = mean (y − t)² (lr %g, %d steps each):\n"
           "  perceptron     y = σ(x w + b)                       3 "
           "parameters\n"
           "  2-2-1 network  y = σ(tanh(x W1 + b1) W2 + b2)       9 "
           "parameters\n\n",
           lr, steps);

    /* the loss after every step, for the plot */
    float *lp = malloc(sizeof *lp * (size_t)steps);
    float *ln = malloc(sizeof *ln * (size_t)steps);
    model p = {0}, n = {0};
    if (!lp || !ln) {
        fprintf(stderr, "tapegrad demo xor: out of memory\n");
        free(lp);
        free(ln);
        return 1;
    }
    if (!model_init(&p, 0, (uint64_t)c.seed) || !train(&p, steps, lr, lp)) {
        int rc = demo_fail(&c, p.g);
        free_all(&p, &n, lp, ln);
        return rc;
    }
    printf("The perceptron: E = %.4f after step 1, %.4f after step %d.\n"
           "  It has flattened at 0.25, the cost of answering 0.5 for every "
           "input:\n  no line does better, however long it trains.\n\n",
           lp[0], lp[steps - 1], steps);

    /* Gradient descent can also stall for the 2-2-1 network: from some
     * starting weights it settles in a local minimum (typically E near
     * 0.125, with one hidden unit stuck). A fresh random start is the
     * classic remedy; each attempt uses the next seed. */
    int attempt = 0;
    double yn[4];
    for (;;) {
        uint64_t seed = (uint64_t)c.seed + (uint64_t)attempt;
        if (!model_init(&n, 2, seed) || !train(&n, steps, lr, ln)) {
            int rc = demo_fail(&c, n.g);
            free_all(&p, &n, lp, ln);
            return rc;
        }
        predict4(&n, yn);
        attempt++;
        printf("The 2-2-1 network (start %d, seed %llu): E = %.4f after step "
               "1, %.6f after step %d",
               attempt, (unsigned long long)seed, ln[0], ln[steps - 1], steps);
        if (correct4(yn) == 4) {
            printf(": solved.\n\n");
            break;
        }
        printf(":\n  stuck in a local minimum (%d/4 right).", correct4(yn));
        if (attempt == attempts) {
            printf("\n\n");
            break;
        }
        printf(" Starting again from new random weights.\n");
        tg_graph_free(n.g);
    }

    FILE *log = demo_open(&c, "xor_loss.tsv");
    if (log) {
        fprintf(log, "# step\tperceptron E\t2-2-1 network E\n");
        for (int s = 0; s < steps; s++)
            fprintf(log, "%d\t%.6g\t%.6g\n", s + 1, lp[s], ln[s]);
        fclose(log);
    }
    printf("  %6s  %-14s %-14s\n", "step", "perceptron E", "2-2-1 network E");
    for (int s = 1; s <= steps; s++)
        if (s == 1 || s % (steps / 10) == 0)
            printf("  %6d  %-14.6f %-14.6f\n", s, lp[s - 1], ln[s - 1]);

    double yp[4];
    predict4(&p, yp);
    printf("\nTruth table after training (class = output > 0.5)\n"
           "  x1 x2 | target | perceptron       | 2-2-1 network\n");
    for (int i = 0; i < 4; i++)
        printf("   %g  %g |   %g    | %.3f -> %d %-5s | %.3f -> %d %s\n",
               X[2 * i], X[2 * i + 1], T[i], yp[i], yp[i] > 0.5,
               (yp[i] > 0.5) == (T[i] > 0.5) ? "ok" : "WRONG", yn[i],
               yn[i] > 0.5, (yn[i] > 0.5) == (T[i] > 0.5) ? "ok" : "WRONG");
    int cp = correct4(yp), cn = correct4(yn);
    printf("  correct:              %d/4 (%3d%%)         %d/4 (%3d%%)\n\n", cp,
           25 * cp, cn, 25 * cn);

    FILE *gp = demo_gnuplot_script(&c, "xor_loss", 800, 450);
    if (gp) {
        fprintf(gp,
                "set title 'XOR: mean squared error during training'\n"
                "set xlabel 'gradient step'\nset ylabel 'E'\n"
                "set logscale y\nset key top right\n"
                "plot 'xor_loss.tsv' using 1:2 with lines lw 2 "
                "title 'perceptron (stalls at 0.25)', \\\n"
                "     '' using 1:3 with lines lw 2 title '2-2-1 network'\n");
        demo_plot(&c, "xor_loss", gp);
    }
    write_grid(&c, &p, &n);

    /* The trained network's tape for the four inputs, with every node's
     * value and d E / d node, drawn by Graphviz. */
    tg_tensor *x = tg_input(n.g, TG_F32, TG_SHAPE(4, 2), X);
    tg_tensor *d = tg_sub(model_forward(&n, x),
                          tg_input(n.g, TG_F32, TG_SHAPE(4, 1), T));
    tg_dot_opts dot = tg_dot_defaults();
    dot.loss = tg_mul_scalar(tg_sum_all(tg_mul(d, d)), 0.25);
    dot.title = "the trained 2-2-1 network on the four XOR inputs";
    demo_dot(&c, n.g, "xor_graph", &dot);
    free_all(&p, &n, lp, ln);
    return cn == 4 ? 0 : 1;
}
