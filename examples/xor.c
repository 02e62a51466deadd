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
#include <math.h>
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

/* Both models' outputs on a grid over [-0.5, 1.5]^2, for the picture;
 * the panel titles say what the run found. */
static void write_grid(const demo_ctx *c, model *p, model *n,
                       const char *title_p, const char *title_n)
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
            "set title '%s'\n"
            "plot 'xor_grid.tsv' using 1:2:3 with image, \\\n"
            "     pts using 1:2:3 with points pt 7 ps 3 lc palette, \\\n"
            "     pts using 1:2 with points pt 6 ps 3 lc rgb 'black'\n"
            "set title '%s'\nset colorbox\n"
            "plot 'xor_grid.tsv' using 1:2:4 with image, \\\n"
            "     pts using 1:2:3 with points pt 7 ps 3 lc palette, \\\n"
            "     pts using 1:2 with points pt 6 ps 3 lc rgb 'black'\n"
            "unset multiplot\n",
            title_p, title_n);
    demo_plot(c, "xor_boundary", gp);
}

/* Train m for `steps` steps; loss[s] gets E after step s. Returns false
 * (with the graph's error set) if a step failed. A loss that becomes NaN
 * or Inf stops the run: *diverged_at gets that step (1-based, 0 when the
 * run stayed finite) and the rest of loss[] is NaN. */
static bool train(model *m, int steps, double lr, float *loss,
                  int *diverged_at)
{
    *diverged_at = 0;
    for (int s = 0; s < steps; s++) {
        double e = *diverged_at ? NAN : train_step(m, lr);
        if (e < 0) return false;
        if (!isfinite(e) && !*diverged_at) *diverged_at = s + 1;
        loss[s] = (float)e;
    }
    return true;
}

/* Still falling at the end, or flat? Flat: E moved by less than 1% over
 * the last tenth of the run. */
static bool flat_at_end(const float *loss, int steps)
{
    double a = loss[steps - 1 - steps / 10], b = loss[steps - 1];
    return fabs(a - b) <= 0.01 * fmax(b, 1e-6);
}

/* "0.731" — with as many more digits as it takes for the printed number
 * to fall on the same side of 0.5 as y, so the class beside it never
 * contradicts it ("0.500 -> 1" for y = 0.50004 reads wrong; it prints
 * 0.50004). */
static const char *fmt_output(char *buf, size_t size, double y)
{
    for (int digits = 3; digits <= 12; digits++) {
        snprintf(buf, size, "%.*f", digits, y);
        double shown = strtod(buf, NULL);
        if ((shown > 0.5) == (y > 0.5) && (shown == 0.5) == (y == 0.5))
            return buf;
    }
    snprintf(buf, size, "%.17g", y);
    return buf;
}

static void free_all(model *p, model *n, float *lp, float *ln)
{
    tg_graph_free(p->g);
    tg_graph_free(n->g);
    free(lp);
    free(ln);
}

/* One model's outcome in words, for the console and the pictures. */
typedef struct outcome {
    int right;        /* of the 4 points                        */
    int diverged_at;  /* step at which E became NaN/Inf, or 0   */
    bool flat;        /* E no longer moving at the end          */
    double E;         /* E after the last step                  */
} outcome;

/* "XOR solved (4/4 right)", "stuck in a local minimum (2/4 right)",
 * "still learning when the steps ran out (3/4 right)", "diverged". */
static const char *verdict(const outcome *o, char *buf, size_t size)
{
    if (o->diverged_at)
        snprintf(buf, size, "diverged at step %d (E became nan)",
                 o->diverged_at);
    else if (o->right == 4)
        snprintf(buf, size, "XOR solved (4/4 right, E = %.2g)", o->E);
    else if (o->flat)
        snprintf(buf, size, "stuck in a local minimum (%d/4 right, E = %.3f)",
                 o->right, o->E);
    else
        snprintf(buf, size,
                 "still learning when the steps ran out (%d/4 right, E = "
                 "%.3f)",
                 o->right, o->E);
    return buf;
}

int tg_demo_xor(int argc, char **argv)
{
    int steps = 3000, attempts = 10;
    double lr = 2.0;
    const demo_opt opts[] = {
        {"steps", DEMO_INT, &steps, "gradient steps per model (default 3000)",
         10, 1000000, false},
        {"lr", DEMO_REAL, &lr, "learning rate (default 2)", 0, 1000, true},
        {"attempts", DEMO_INT, &attempts,
         "fresh starts allowed for the 2-2-1 network (default 10)", 1, 100,
         false},
    };
    demo_ctx c;
    if (!demo_begin(&c, argc, argv,
                    "A single-layer perceptron fails on XOR; a 2-2-1 network "
                    "solves it.",
                    opts, 3))
        return c.exit_code;
    if (c.fast && !demo_given(&c, "steps")) steps = 2000;

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
    outcome op = {0}, on = {0};
    char text[160];
    if (!model_init(&p, 0, (uint64_t)c.seed) ||
        !train(&p, steps, lr, lp, &op.diverged_at)) {
        int rc = demo_fail(&c, p.g);
        free_all(&p, &n, lp, ln);
        return rc;
    }
    double yp[4];
    predict4(&p, yp);
    op.right = correct4(yp);
    op.E = lp[steps - 1];
    op.flat = !op.diverged_at && flat_at_end(lp, steps);
    if (op.diverged_at)
        printf("The perceptron %s.\n\n", verdict(&op, text, sizeof text));
    else
        printf("The perceptron: E = %.4f after step 1, %.4f after step %d "
               "(%d/4 right).\n",
               lp[0], lp[steps - 1], steps, op.right);
    /* The lowest E a perceptron can reach on XOR is 0.25, at w = 0, b = 0:
     * the logits of the four points satisfy z00 + z11 = z01 + z10, so the
     * two 0-targets cannot both sit below the two 1-targets. */
    if (op.diverged_at)
        ;
    else if (op.flat && fabs(op.E - 0.25) < 0.005)
        printf("  It has flattened at 0.25, the cost of answering 0.5 for "
               "every input:\n  no line does better, however long it "
               "trains.\n\n");
    else if (op.flat)
        printf("  It has flattened at E = %.4f; 0.25 is the lowest any line "
               "can reach on XOR.\n\n",
               op.E);
    else
        printf("  It is still falling toward 0.25, the lowest any line can "
               "reach on XOR\n  (the cost of answering 0.5 for every "
               "input).\n\n");

    /* Gradient descent can also stall for the 2-2-1 network: from some
     * starting weights it settles in a local minimum (typically E near
     * 0.125, with two points answered 0.5). A fresh random start is the
     * classic remedy; each attempt uses the next seed. */
    int attempt = 0;
    double yn[4];
    for (;;) {
        uint64_t seed = (uint64_t)c.seed + (uint64_t)attempt;
        if (!model_init(&n, 2, seed) ||
            !train(&n, steps, lr, ln, &on.diverged_at)) {
            int rc = demo_fail(&c, n.g);
            free_all(&p, &n, lp, ln);
            return rc;
        }
        predict4(&n, yn);
        on.right = on.diverged_at ? 0 : correct4(yn);
        on.E = ln[steps - 1];
        on.flat = !on.diverged_at && flat_at_end(ln, steps);
        attempt++;
        printf("The 2-2-1 network (start %d, seed %llu): ", attempt,
               (unsigned long long)seed);
        if (on.diverged_at)
            printf("E = %.4f after step 1, then it %s.", ln[0],
                   verdict(&on, text, sizeof text));
        else
            printf("E = %.4f after step 1, %.6f after step %d:\n  %s.",
                   ln[0], ln[steps - 1], steps,
                   verdict(&on, text, sizeof text));
        if (on.right == 4 || attempt == attempts) {
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

    if (op.diverged_at || on.diverged_at) {
        /* outputs of a diverged model are not results */
        printf("\nNo truth table: a model diverged (try a smaller --lr).\n");
    } else {
        printf("\nTruth table after training (class = output > 0.5)\n"
               "  x1 x2 | target | perceptron          | 2-2-1 network\n");
        for (int i = 0; i < 4; i++) {
            char a[32], b[32];
            printf("   %g  %g |   %g    | %-8s -> %d %-5s | %s -> %d %s\n",
                   X[2 * i], X[2 * i + 1], T[i], fmt_output(a, sizeof a, yp[i]),
                   yp[i] > 0.5,
                   (yp[i] > 0.5) == (T[i] > 0.5) ? "ok" : "WRONG",
                   fmt_output(b, sizeof b, yn[i]), yn[i] > 0.5,
                   (yn[i] > 0.5) == (T[i] > 0.5) ? "ok" : "WRONG");
        }
        printf("  correct:              %d/4 (%3d%%)            %d/4 (%3d%%)"
               "\n\n",
               op.right, 25 * op.right, on.right, 25 * on.right);
    }

    char title_p[192], title_n[192], vp[160], vn[160];
    if (op.diverged_at)
        snprintf(vp, sizeof vp, "%s", verdict(&op, text, sizeof text));
    else
        snprintf(vp, sizeof vp, "E = %.3f, %d/4 right", op.E, op.right);
    verdict(&on, vn, sizeof vn);
    snprintf(title_p, sizeof title_p, "single-layer perceptron: %s", vp);
    snprintf(title_n, sizeof title_n, "2-2-1 network: %s", vn);
    FILE *gp = demo_gnuplot_script(&c, "xor_loss", 800, 450);
    if (gp) {
        fprintf(gp,
                "set title 'XOR: mean squared error during training'\n"
                "set xlabel 'gradient step'\nset ylabel 'E'\n"
                "set logscale y\nset key top right noenhanced\n"
                "set datafile missing 'nan'\n"
                "plot 'xor_loss.tsv' using 1:2 with lines lw 2 "
                "title '%s', \\\n"
                "     '' using 1:3 with lines lw 2 title '%s'\n",
                title_p, title_n);
        demo_plot(&c, "xor_loss", gp);
    }
    if (!op.diverged_at && !on.diverged_at)
        write_grid(&c, &p, &n, title_p, title_n);

    /* The trained network's tape for the four inputs, with every node's
     * value and d E / d node, drawn by Graphviz. */
    tg_tensor *x = tg_input(n.g, TG_F32, TG_SHAPE(4, 2), X);
    tg_tensor *d = tg_sub(model_forward(&n, x),
                          tg_input(n.g, TG_F32, TG_SHAPE(4, 1), T));
    tg_dot_opts dot = tg_dot_defaults();
    dot.loss = tg_mul_scalar(tg_sum_all(tg_mul(d, d)), 0.25);
    dot.title = on.right == 4
                    ? "the trained 2-2-1 network on the four XOR inputs"
                    : "the 2-2-1 network (not solved) on the four XOR inputs";
    demo_dot(&c, n.g, "xor_graph", &dot);
    free_all(&p, &n, lp, ln);
    return on.right == 4 ? 0 : 1;
}
