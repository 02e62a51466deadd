/* trace: one training step of a 2-3-1 sigmoid network, printed node by
 * node, so the chain rule the engine applies can be checked by hand.
 *
 *   net_h = x W1 + b1      a_h = σ(net_h)          (3 hidden units)
 *   net_o = a_h W2 + b2    a_o = σ(net_o)          (1 output)
 *   E     = ½ (a_o − t)²
 *
 * The generalized delta rule (Rumelhart, Hinton & Williams, 1986) names
 * δ = ∂E/∂net for each unit and gives, with g = σ and g'(net) = a (1 − a):
 *   δ_o      = g'(net_o) (a_o − t)
 *   δ_h[j]   = g'(net_h[j]) Σ_k W2[j][k] δ_o[k]
 *   ∂E/∂W[i][j] = a_i δ_j,    ∂E/∂b[j] = δ_j
 * The demo asks the engine for ∂E/∂net_o and ∂E/∂net_h (tg_grad takes any
 * tensor of the tape, not only leaves), prints them next to the rule's
 * values, then takes the step w ← w − η ∂E/∂w.
 *
 * Everything is f64 so the two columns agree to the last digit or so.
 * OUT/trace.tsv holds every number at full precision (the tests redo the
 * arithmetic from it); OUT/trace_graph.svg draws the tape with each
 * node's value and gradient. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <tapegrad/tapegrad.h>

#include "demo_common.h"
#include "demos.h"

enum { NI = 2, NH = 3, NO = 1 };

/* Round numbers a student can redo by hand; --random draws others. */
static const double X0[NI] = {1.0, 0.5}, T0 = 1.0;
static const double W1_0[NI * NH] = {0.15, -0.25, 0.40, /* from x0 */
                                     0.30, 0.20, -0.35}; /* from x1 */
static const double B1_0[NH] = {0.10, -0.10, 0.05};
static const double W2_0[NH * NO] = {0.45, -0.30, 0.60};
static const double B2_0[NO] = {0.20};

static double sig_prime(double a) { return a * (1 - a); }

/* One backward quantity: the engine's value, the delta rule's, and their
 * difference; `key` is its name in trace.tsv. */
static void row(FILE *tsv, const char *label, const char *key, double engine,
                double rule)
{
    printf("    ");
    demo_print_padded(label, 14);
    printf("%+.12f   %+.12f   %.1e\n", engine, rule, fabs(engine - rule));
    fprintf(tsv, "%s\t%.17g\t%.17g\n", key, engine, rule);
}

static void value(FILE *tsv, const char *name, double v)
{
    fprintf(tsv, "%s\t%.17g\n", name, v);
}

int tg_demo_trace(int argc, char **argv)
{
    double lr = 0.5;
    bool random = false;
    const demo_opt opts[] = {
        {"lr", DEMO_REAL, &lr, "learning rate η (default 0.5)", 0, 1000,
         true},
        {"random", DEMO_FLAG, &random,
         "random weights from --seed instead of the round ones", 0, 0,
         false},
    };
    demo_ctx c;
    if (!demo_begin(&c, argc, argv,
                    "One training step of a 2-3-1 sigmoid network, node by "
                    "node, with the\ndelta rule beside the engine's "
                    "numbers. Writes OUT/trace.tsv.",
                    opts, 2))
        return c.exit_code;

    tg_graph *g = tg_graph_new();
    if (!g) return demo_fail(&c, NULL);
    tg_tensor *W1 = tg_param(g, TG_F64, TG_SHAPE(NI, NH), "W1");
    tg_tensor *b1 = tg_param(g, TG_F64, TG_SHAPE(NH), "b1");
    tg_tensor *W2 = tg_param(g, TG_F64, TG_SHAPE(NH, NO), "W2");
    tg_tensor *b2 = tg_param(g, TG_F64, TG_SHAPE(NO), "b2");
    if (tg_graph_error(g)) return demo_fail(&c, g);
    double xv[NI], tv = T0;
    memcpy(xv, X0, sizeof xv);
    memcpy(tg_f64(W1), W1_0, sizeof W1_0);
    memcpy(tg_f64(b1), B1_0, sizeof B1_0);
    memcpy(tg_f64(W2), W2_0, sizeof W2_0);
    memcpy(tg_f64(b2), B2_0, sizeof B2_0);
    if (random) {
        tg_rng r;
        tg_rng_seed(&r, (uint64_t)c.seed);
        demo_fill_uniform(W1, &r, 1);
        demo_fill_uniform(b1, &r, 1);
        demo_fill_uniform(W2, &r, 1);
        demo_fill_uniform(b2, &r, 1);
        for (int i = 0; i < NI; i++) xv[i] = 2 * tg_rng_uniform(&r) - 1;
        tv = tg_rng_uniform(&r);
    }

    FILE *tsv = demo_open(&c, "trace.tsv");
    if (!tsv) {
        tg_graph_free(g);
        return 1;
    }
    fprintf(tsv, "# name\tengine\tdelta rule (inputs: name\tvalue)\n");
    value(tsv, "lr", lr);
    value(tsv, "t", tv);
    for (int i = 0; i < NI; i++) {
        char nm[32];
        snprintf(nm, sizeof nm, "x[%d]", i);
        value(tsv, nm, xv[i]);
    }
    for (int k = 0; k < tg_graph_num_params(g); k++) {
        tg_tensor *p = tg_graph_param(g, k);
        for (int64_t i = 0; i < p->numel; i++) {
            char nm[32];
            snprintf(nm, sizeof nm, "%s[%lld]", p->name, (long long)i);
            value(tsv, nm, tg_get(p, i));
        }
    }

    printf("trace: one gradient-descent step of a 2-3-1 sigmoid network\n\n");
    printf("  x = (%g, %g)   target t = %g   learning rate η = %g\n", xv[0],
           xv[1], tv, lr);
    printf("  W1 (2x3) = [%+.3f %+.3f %+.3f; %+.3f %+.3f %+.3f]   "
           "b1 = [%+.3f %+.3f %+.3f]\n",
           tg_f64(W1)[0], tg_f64(W1)[1], tg_f64(W1)[2], tg_f64(W1)[3],
           tg_f64(W1)[4], tg_f64(W1)[5], tg_f64(b1)[0], tg_f64(b1)[1],
           tg_f64(b1)[2]);
    printf("  W2 (3x1) = [%+.3f; %+.3f; %+.3f]   b2 = [%+.3f]\n\n",
           tg_f64(W2)[0], tg_f64(W2)[1], tg_f64(W2)[2], tg_f64(b2)[0]);

    /* ---- forward: each line below records one node (or two) on the tape */
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(1, NI), xv);
    tg_tensor *t = tg_input(g, TG_F64, TG_SHAPE(1, NO), &tv);
    tg_tensor *net_h = tg_add(tg_matmul(x, W1), b1);
    tg_tensor *a_h = tg_sigmoid(net_h);
    tg_tensor *net_o = tg_add(tg_matmul(a_h, W2), b2);
    tg_tensor *a_o = tg_sigmoid(net_o);
    tg_tensor *d = tg_sub(a_o, t);
    tg_tensor *E = tg_mul_scalar(tg_sum_all(tg_mul(d, d)), 0.5);
    if (tg_graph_error(g)) return demo_fail(&c, g);
    /* the names the printout uses, so the graph picture says them too */
    x->name = "x";
    t->name = "t";
    net_h->name = "net_h";
    a_h->name = "a_h";
    net_o->name = "net_o";
    a_o->name = "a_o";
    d->name = "a_o − t";
    E->name = "E";

    printf("FORWARD, in the order the tape records it (%lld nodes)\n",
           (long long)tg_graph_num_nodes(g));
    const double *nh = tg_f64(net_h), *ah = tg_f64(a_h);
    for (int j = 0; j < NH; j++)
        printf("  net_h[%d] = x0 W1[0][%d] + x1 W1[1][%d] + b1[%d] = %+.6f"
               "    a_h[%d] = σ(net_h[%d]) = %.6f\n",
               j, j, j, j, nh[j], j, j, ah[j]);
    double no = tg_item(net_o), ao = tg_item(a_o);
    printf("  net_o    = Σ_j a_h[j] W2[j] + b2            = %+.6f"
           "    a_o    = σ(net_o)    = %.6f\n",
           no, ao);
    printf("  E        = ½ (a_o − t)²                      = %.6f\n\n",
           tg_item(E));
    value(tsv, "E", tg_item(E));

    /* ---- backward: one call; the engine walks the tape in reverse */
    tg_tensor *want[6] = {net_o, net_h, W2, b2, W1, b1};
    tg_tensor *grad[6];
    if (tg_grad(g, &E, 1, NULL, want, 6, false, grad) != TG_OK)
        return demo_fail(&c, g);
    const double *dO = tg_f64(grad[0]), *dH = tg_f64(grad[1]);
    const double *gW2 = tg_f64(grad[2]), *gb2 = tg_f64(grad[3]);
    const double *gW1 = tg_f64(grad[4]), *gb1 = tg_f64(grad[5]);

    printf("BACKWARD, in reverse: δ = ∂E/∂net from the engine, and from the "
           "delta rule\n");
    printf("    %-14s%-18s%-18s|diff|\n", "", "engine", "delta rule");
    char label[64], key[64];
    double delta_o = sig_prime(ao) * (ao - tv);
    printf("  δ_o = g'(net_o)(a_o − t) = a_o(1 − a_o)(a_o − t)\n");
    row(tsv, "δ_o", "delta_o", dO[0], delta_o);
    printf("  δ_h[j] = g'(net_h[j]) W2[j] δ_o = a_h[j](1 − a_h[j]) W2[j] δ_o\n");
    double delta_h[NH];
    for (int j = 0; j < NH; j++) {
        delta_h[j] = sig_prime(ah[j]) * tg_f64(W2)[j] * delta_o;
        snprintf(label, sizeof label, "δ_h[%d]", j);
        snprintf(key, sizeof key, "delta_h[%d]", j);
        row(tsv, label, key, dH[j], delta_h[j]);
    }
    printf("  ∂E/∂W2[j] = a_h[j] δ_o,   ∂E/∂b2 = δ_o\n");
    for (int j = 0; j < NH; j++) {
        snprintf(label, sizeof label, "∂E/∂W2[%d]", j);
        snprintf(key, sizeof key, "dE/dW2[%d]", j);
        row(tsv, label, key, gW2[j], ah[j] * delta_o);
    }
    row(tsv, "∂E/∂b2", "dE/db2", gb2[0], delta_o);
    printf("  ∂E/∂W1[i][j] = x_i δ_h[j],   ∂E/∂b1[j] = δ_h[j]\n");
    for (int i = 0; i < NI; i++)
        for (int j = 0; j < NH; j++) {
            snprintf(label, sizeof label, "∂E/∂W1[%d][%d]", i, j);
            snprintf(key, sizeof key, "dE/dW1[%d][%d]", i, j);
            row(tsv, label, key, gW1[i * NH + j], xv[i] * delta_h[j]);
        }
    for (int j = 0; j < NH; j++) {
        snprintf(label, sizeof label, "∂E/∂b1[%d]", j);
        snprintf(key, sizeof key, "dE/db1[%d]", j);
        row(tsv, label, key, gb1[j], delta_h[j]);
    }

    /* The same tape as a picture: every node with its value and ∂E/∂node
     * (rendered by Graphviz when installed). */
    printf("\n");
    tg_dot_opts dot = tg_dot_defaults();
    dot.loss = E;
    dot.title = "one step of a 2-3-1 network: value and dE/d(node) per node";
    demo_dot(&c, g, "trace_graph", &dot);

    /* ---- the update w ← w − η ∂E/∂w, then the same input again */
    printf("\nUPDATE  w ← w − η ∂E/∂w\n");
    tg_tensor *params[4] = {W2, b2, W1, b1};
    for (int k = 0; k < 4; k++) {
        tg_tensor *p = params[k];
        double *w = tg_f64(p);
        const double *gw = tg_f64(grad[k + 2]);
        for (int64_t i = 0; i < p->numel; i++) {
            double old = w[i];
            w[i] -= lr * gw[i];
            if (p->ndim == 2)
                snprintf(label, sizeof label, "%s[%lld][%lld]", p->name,
                         (long long)(i / p->shape[1]),
                         (long long)(i % p->shape[1]));
            else
                snprintf(label, sizeof label, "%s[%lld]", p->name,
                         (long long)i);
            printf("    %-10s %+.6f − %g × %+.6f = %+.6f\n", label, old, lr,
                   gw[i], w[i]);
            snprintf(key, sizeof key, "new %s[%lld]", p->name, (long long)i);
            value(tsv, key, w[i]);
        }
    }
    double e_before = tg_item(E);
    tg_graph_reset(g); /* drops the tape; the parameters stay */
    x = tg_input(g, TG_F64, TG_SHAPE(1, NI), xv);
    tg_tensor *y = tg_sigmoid(tg_add(
        tg_matmul(tg_sigmoid(tg_add(tg_matmul(x, W1), b1)), W2), b2));
    if (tg_graph_error(g)) return demo_fail(&c, g);
    double e_after = 0.5 * (tg_item(y) - tv) * (tg_item(y) - tv);
    value(tsv, "E after", e_after);
    /* η > 0 is a step against the gradient; whether E fell is measured,
     * not assumed: a step too long for the curvature here overshoots. */
    printf("\n  E before the step %.6f, after %.6f (%+.3e): %s.\n", e_before,
           e_after, e_after - e_before,
           e_after < e_before   ? "the step went downhill"
           : e_after > e_before ? "the step overshot: E rose, η is too "
                                  "large here (try a smaller --lr)"
                                : "E did not change at double precision "
                                  "(η is too small to move it)");
    fclose(tsv);
    char path[4096];
    printf("  every number at full precision: %s\n",
           demo_path(&c, "trace.tsv", path, sizeof path));
    tg_graph_free(g);
    return e_after < e_before ? 0 : 1;
}
