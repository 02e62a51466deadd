/* trace: one training step of a small network, printed node by node, so
 * the chain rule the engine applies can be checked by hand — with the
 * round textbook numbers below, or with a teacher's own weights, inputs
 * and targets, so students can check homework numbers.
 *
 *   net_h = x W1 + b1      a_h = g(net_h)        (hidden units, g: sigmoid,
 *                                                 tanh or relu)
 *   net_o = a_h W2 + b2    a_o = σ(net_o)        (sigmoid outputs), or
 *                          a_o = softmax(net_o)  (softmax outputs)
 *   E     = mean over the batch of ½ Σ_k (a_o,k − t_k)²   (sigmoid), or
 *           mean over the batch of −Σ_k t_k log a_o,k     (softmax)
 *
 * The generalized delta rule (Rumelhart, Hinton & Williams, 1986) names
 * δ = ∂E/∂net for each unit of each example. With B examples E is their
 * mean, so every δ carries a factor 1/B:
 *   δ_o = (1/B) σ'(net_o) (a_o − t)        sigmoid outputs, σ' = a (1 − a)
 *   δ_o = (1/B) (a_o − t)                  softmax + cross-entropy
 *   δ_h[j] = g'(net_h[j]) Σ_k W2[j][k] δ_o[k]
 *   ∂E/∂W[i][j] = Σ_b a_i δ_j,    ∂E/∂b[j] = Σ_b δ_j
 * so a weight's gradient is the average of the B per-example gradients.
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
#include <stdlib.h>
#include <string.h>
#include <tapegrad/tapegrad.h>

#include "demo_common.h"
#include "demos.h"

enum { MAX_B = 16, MAX_U = 16 }; /* examples, units per layer */

/* Round numbers a student can redo by hand (a 2-3-1 network); --random
 * draws others, and every one can be given on the command line. */
static const double X0[2] = {1.0, 0.5}, T0 = 1.0;
static const double W1_0[2 * 3] = {0.15, -0.25, 0.40, /* from x0 */
                                   0.30, 0.20, -0.35}; /* from x1 */
static const double B1_0[3] = {0.10, -0.10, 0.05};
static const double W2_0[3] = {0.45, -0.30, 0.60};
static const double B2_0[1] = {0.20};

typedef enum { ACT_SIGMOID, ACT_TANH, ACT_RELU } act_kind;

/* A list of numbers from the command line: rows separated by ';',
 * numbers by ','. */
typedef struct list {
    bool given;
    int rows, cols, n;
    double v[MAX_B * MAX_U];
} list;

/* Parse `text` into l; false with a message naming the option. */
static bool parse_list(const char *opt, const char *text, list *l)
{
    l->given = text != NULL;
    l->rows = l->cols = l->n = 0;
    if (!text) return true;
    const char *p = text;
    int col = 0;
    for (;;) {
        char *end;
        double v = strtod(p, &end);
        if (end == p || !isfinite(v)) {
            fprintf(stderr,
                    "tapegrad demo trace: --%s: '%.20s' is not a finite "
                    "number (write numbers\n  separated by commas, rows of "
                    "a batch by semicolons: --x \"1,0.5;0,1\")\n",
                    opt, p);
            return false;
        }
        if (l->n == MAX_B * MAX_U) {
            fprintf(stderr, "tapegrad demo trace: --%s: at most %d numbers\n",
                    opt, MAX_B * MAX_U);
            return false;
        }
        l->v[l->n++] = v;
        col++;
        p = end;
        while (*p == ' ') p++;
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p == ';' || *p == 0) {
            if (l->rows > 0 && col != l->cols) {
                fprintf(stderr,
                        "tapegrad demo trace: --%s: row %d has %d numbers, "
                        "row 1 has %d\n",
                        opt, l->rows + 1, col, l->cols);
                return false;
            }
            l->cols = col;
            l->rows++;
            col = 0;
            if (*p == 0) return true;
            p++;
            continue;
        }
        fprintf(stderr, "tapegrad demo trace: --%s: unexpected '%c' after a "
                        "number\n",
                opt, *p);
        return false;
    }
}

/* g'(net) from the activation a = g(net) (and net, for relu) */
static double act_prime(act_kind k, double net, double a)
{
    switch (k) {
    case ACT_SIGMOID: return a * (1 - a);
    case ACT_TANH: return 1 - a * a;
    default: return net > 0 ? 1 : 0; /* relu; 0 at the kink, as the engine */
    }
}

static const char *ACT_PRIME_TEXT[3] = {"a_h[j](1 − a_h[j])",
                                        "(1 − a_h[j]²)",
                                        "[net_h[j] > 0]"};
static const char *ACT_NAME[3] = {"σ", "tanh", "relu"};

/* One backward quantity: the engine's value, the delta rule's, and their
 * difference; `key` is its name in trace.tsv. */
static void row(FILE *tsv, const char *label, const char *key, double engine,
                double rule)
{
    printf("    ");
    demo_print_padded(label, 16);
    printf("%+.12f   %+.12f   %.1e\n", engine, rule, fabs(engine - rule));
    fprintf(tsv, "%s\t%.17g\t%.17g\n", key, engine, rule);
}

static void value(FILE *tsv, const char *name, double v)
{
    fprintf(tsv, "%s\t%.17g\n", name, v);
}

/* A parameter from the command line (exactly `n` numbers), else the round
 * value when the network has the textbook shape, else U(−1, 1). */
static bool fill_param(tg_tensor *p, const char *opt, const list *l,
                       const double *round, bool use_round, tg_rng *r)
{
    if (l->given) {
        if (l->n != p->numel) {
            fprintf(stderr,
                    "tapegrad demo trace: --%s has %d numbers; this network "
                    "needs %lld (%s)\n",
                    opt, l->n, (long long)p->numel,
                    p->ndim == 2 ? "rows of inputs x units, row-major"
                                 : "one per unit");
            return false;
        }
        memcpy(tg_f64(p), l->v, sizeof(double) * (size_t)p->numel);
    } else if (use_round) {
        memcpy(tg_f64(p), round, sizeof(double) * (size_t)p->numel);
    } else {
        demo_fill_uniform(p, r, 1);
    }
    return true;
}

/* The forward pass for a batch x [B, NI]; returns E and sets the named
 * intermediates (for the printout). */
typedef struct fwd {
    tg_tensor *net_h, *a_h, *net_o, *a_o, *E;
} fwd;

static fwd forward(tg_graph *g, act_kind act, bool softmax, tg_tensor *x,
                   tg_tensor *t, tg_tensor *W1, tg_tensor *b1, tg_tensor *W2,
                   tg_tensor *b2, int B)
{
    (void)g; /* the graph the inputs live on, for the reader */
    fwd f;
    f.net_h = tg_add(tg_matmul(x, W1), b1);
    f.a_h = act == ACT_SIGMOID ? tg_sigmoid(f.net_h)
            : act == ACT_TANH  ? tg_tanh(f.net_h)
                               : tg_relu(f.net_h);
    f.net_o = tg_add(tg_matmul(f.a_h, W2), b2);
    if (softmax) {
        f.a_o = tg_softmax(f.net_o, -1);
        f.E = tg_mul_scalar(
            tg_sum_all(tg_mul(t, tg_log_softmax(f.net_o, -1))), -1.0 / B);
    } else {
        f.a_o = tg_sigmoid(f.net_o);
        tg_tensor *d = tg_sub(f.a_o, t);
        f.E = tg_mul_scalar(tg_sum_all(tg_mul(d, d)), 0.5 / B);
    }
    return f;
}

int tg_demo_trace(int argc, char **argv)
{
    double lr = 0.5;
    bool random = false;
    const char *sx = NULL, *st = NULL, *sW1 = NULL, *sb1 = NULL, *sW2 = NULL,
               *sb2 = NULL, *sact = "sigmoid", *sout = "sigmoid";
    const demo_opt opts[] = {
        {"lr", DEMO_REAL, &lr, "learning rate η (default 0.5)", 0, 1000,
         true},
        {"random", DEMO_FLAG, &random,
         "random weights and input from --seed instead of the round ones", 0,
         0, false},
        {"x", DEMO_TEXT, &sx,
         "inputs, rows of a batch split by ';' (default \"1,0.5\")", 0, 0,
         false},
        {"t", DEMO_TEXT, &st,
         "targets, one row per input row (default 1; softmax: one-hot or "
         "probability rows)",
         0, 0, false},
        {"W1", DEMO_TEXT, &sW1, "hidden weights, inputs x units, row-major",
         0, 0, false},
        {"b1", DEMO_TEXT, &sb1, "hidden biases (their count sets the units)",
         0, 0, false},
        {"W2", DEMO_TEXT, &sW2, "output weights, hidden units x outputs", 0,
         0, false},
        {"b2", DEMO_TEXT, &sb2, "output biases (their count sets the outputs)",
         0, 0, false},
        {"act", DEMO_TEXT, &sact, "hidden units: sigmoid, tanh or relu", 0, 0,
         false},
        {"output", DEMO_TEXT, &sout,
         "sigmoid (squared error) or softmax (cross-entropy)", 0, 0, false},
    };
    demo_ctx c;
    if (!demo_begin(&c, argc, argv,
                    "One training step of a small network, node by node, "
                    "with the delta rule beside\nthe engine's numbers; "
                    "your own weights, inputs and targets with --x, --t,\n"
                    "--W1, --b1, --W2, --b2 (a batch: rows split by ';'). "
                    "Writes OUT/trace.tsv.",
                    opts, (int)(sizeof opts / sizeof opts[0])))
        return c.exit_code;

    act_kind act;
    if (!strcmp(sact, "sigmoid")) act = ACT_SIGMOID;
    else if (!strcmp(sact, "tanh")) act = ACT_TANH;
    else if (!strcmp(sact, "relu")) act = ACT_RELU;
    else {
        fprintf(stderr, "tapegrad demo trace: --act is sigmoid, tanh or "
                        "relu, not '%s'\n",
                sact);
        return 2;
    }
    bool softmax;
    if (!strcmp(sout, "sigmoid")) softmax = false;
    else if (!strcmp(sout, "softmax")) softmax = true;
    else {
        fprintf(stderr, "tapegrad demo trace: --output is sigmoid or "
                        "softmax, not '%s'\n",
                sout);
        return 2;
    }
    static list lx, lt, lW1, lb1, lW2, lb2;
    if (!parse_list("x", sx, &lx) || !parse_list("t", st, &lt) ||
        !parse_list("W1", sW1, &lW1) || !parse_list("b1", sb1, &lb1) ||
        !parse_list("W2", sW2, &lW2) || !parse_list("b2", sb2, &lb2))
        return 2;

    /* The sizes: from what was given, else the textbook 2-3-1. */
    int B = lx.given ? lx.rows : 1, NI = lx.given ? lx.cols : 2;
    int NH = lb1.given ? lb1.n : lW1.given && lW1.n % NI == 0 ? lW1.n / NI
                                                              : 3;
    int NO = lb2.given ? lb2.n : lt.given ? lt.cols
             : lW2.given && lW2.n % NH == 0 ? lW2.n / NH
                                            : 1;
    if (B > MAX_B || NI > MAX_U || NH > MAX_U || NO > MAX_U) {
        fprintf(stderr, "tapegrad demo trace: at most %d examples and %d "
                        "units per layer\n",
                MAX_B, MAX_U);
        return 2;
    }
    if (softmax && NO < 2) {
        fprintf(stderr, "tapegrad demo trace: softmax needs at least 2 "
                        "outputs: give --t rows of one-hot targets (or --b2, "
                        "one bias per class)\n");
        return 2;
    }
    if (softmax && !lt.given) {
        fprintf(stderr, "tapegrad demo trace: --output softmax needs --t: "
                        "one row per example, one-hot or probabilities\n");
        return 2;
    }
    if (lt.given && (lt.rows != B || lt.cols != NO)) {
        fprintf(stderr,
                "tapegrad demo trace: --t has %d row(s) of %d; the batch "
                "needs %d row(s) of %d (one per example, one per output)\n",
                lt.rows, lt.cols, B, NO);
        return 2;
    }
    bool textbook = !random && NI == 2 && NH == 3 && NO == 1;

    tg_graph *g = tg_graph_new();
    if (!g) return demo_fail(&c, NULL);
    tg_tensor *W1 = tg_param(g, TG_F64, TG_SHAPE(NI, NH), "W1");
    tg_tensor *b1 = tg_param(g, TG_F64, TG_SHAPE(NH), "b1");
    tg_tensor *W2 = tg_param(g, TG_F64, TG_SHAPE(NH, NO), "W2");
    tg_tensor *b2 = tg_param(g, TG_F64, TG_SHAPE(NO), "b2");
    if (tg_graph_error(g)) {
        int rc = demo_fail(&c, g);
        tg_graph_free(g);
        return rc;
    }
    tg_rng r;
    tg_rng_seed(&r, (uint64_t)c.seed);
    static double xv[MAX_B * MAX_U], tv[MAX_B * MAX_U];
    if (!fill_param(W1, "W1", &lW1, W1_0, textbook, &r) ||
        !fill_param(b1, "b1", &lb1, B1_0, textbook, &r) ||
        !fill_param(W2, "W2", &lW2, W2_0, textbook, &r) ||
        !fill_param(b2, "b2", &lb2, B2_0, textbook, &r)) {
        tg_graph_free(g);
        return 2;
    }
    for (int i = 0; i < B * NI; i++)
        xv[i] = lx.given ? lx.v[i]
                : random ? 2 * tg_rng_uniform(&r) - 1
                         : X0[i];
    for (int i = 0; i < B * NO; i++)
        tv[i] = lt.given ? lt.v[i] : random ? tg_rng_uniform(&r) : T0;

    FILE *tsv = demo_open(&c, "trace.tsv");
    if (!tsv) {
        tg_graph_free(g);
        return 1;
    }
    char key[64], label[64];
    fprintf(tsv, "# name\tengine\tdelta rule (inputs: name\tvalue)\n");
    value(tsv, "lr", lr);
    value(tsv, "B", B);
    for (int b = 0; b < B; b++) {
        for (int i = 0; i < NI; i++) {
            snprintf(key, sizeof key, "x[%d][%d]", b, i);
            value(tsv, key, xv[b * NI + i]);
        }
        for (int k = 0; k < NO; k++) {
            snprintf(key, sizeof key, "t[%d][%d]", b, k);
            value(tsv, key, tv[b * NO + k]);
        }
    }
    for (int k = 0; k < tg_graph_num_params(g); k++) {
        tg_tensor *p = tg_graph_param(g, k);
        for (int64_t i = 0; i < p->numel; i++) {
            snprintf(key, sizeof key, "%s[%lld]", p->name, (long long)i);
            value(tsv, key, tg_get(p, i));
        }
    }

    printf("trace: one gradient-descent step of a %d-%d-%d network, %s "
           "hidden units, %s\n\n",
           NI, NH, NO, sact,
           softmax ? "softmax outputs and cross-entropy"
                   : "sigmoid outputs and squared error");
    bool all_given = lW1.given && lb1.given && lW2.given && lb2.given;
    printf("  batch of %d example%s, learning rate η = %g%s\n", B,
           B > 1 ? "s" : "", lr,
           textbook    ? " (the round textbook numbers)"
           : all_given ? ""
                       : " (weights not given: uniform in [-1, 1] from "
                         "--seed)");
    for (int b = 0; b < B; b++) {
        printf("  x[%d] = (", b);
        for (int i = 0; i < NI; i++) printf("%s%g", i ? ", " : "", xv[b * NI + i]);
        printf(")   t[%d] = (", b);
        for (int k = 0; k < NO; k++) printf("%s%g", k ? ", " : "", tv[b * NO + k]);
        printf(")\n");
    }
    tg_tensor *ps[4] = {W1, b1, W2, b2};
    for (int k = 0; k < 4; k++) {
        tg_tensor *p = ps[k];
        printf("  %s (%s) = [", p->name,
               p->ndim == 2 ? (k ? "hidden x outputs" : "inputs x hidden")
                            : "per unit");
        for (int64_t i = 0; i < p->numel; i++) {
            bool new_row = p->ndim == 2 && i > 0 && i % p->shape[1] == 0;
            printf("%s%+.3f", i == 0 ? "" : new_row ? "; " : " ", tg_get(p, i));
        }
        printf("]\n");
    }
    printf("\n");

    /* ---- forward: each line below records one node (or two) on the tape */
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(B, NI), xv);
    tg_tensor *t = tg_input(g, TG_F64, TG_SHAPE(B, NO), tv);
    fwd f = forward(g, act, softmax, x, t, W1, b1, W2, b2, B);
    if (tg_graph_error(g)) {
        int rc = demo_fail(&c, g);
        fclose(tsv);
        tg_graph_free(g);
        return rc;
    }
    /* the names the printout uses, so the graph picture says them too */
    x->name = "x";
    t->name = "t";
    f.net_h->name = "net_h";
    f.a_h->name = "a_h";
    f.net_o->name = "net_o";
    f.a_o->name = "a_o";
    f.E->name = "E";

    printf("FORWARD, in the order the tape records it (%lld nodes)\n",
           (long long)tg_graph_num_nodes(g));
    const double *nh = tg_f64(f.net_h), *ah = tg_f64(f.a_h);
    const double *no = tg_f64(f.net_o), *ao = tg_f64(f.a_o);
    for (int b = 0; b < B; b++) {
        if (B > 1) printf(" example %d\n", b);
        for (int j = 0; j < NH; j++)
            printf("  net_h[%d] = Σ_i x_i W1[i][%d] + b1[%d] = %+.6f"
                   "    a_h[%d] = %s(net_h[%d]) = %+.6f\n",
                   j, j, j, nh[b * NH + j], j, ACT_NAME[act], j,
                   ah[b * NH + j]);
        for (int k = 0; k < NO; k++)
            printf("  net_o[%d] = Σ_j a_h[j] W2[j][%d] + b2[%d] = %+.6f"
                   "    a_o[%d] = %s = %.6f\n",
                   k, k, k, no[b * NO + k], k,
                   softmax ? "softmax(net_o)_k" : "σ(net_o)", ao[b * NO + k]);
    }
    double e_before = tg_item(f.E);
    printf("  E = %s = %.6f\n\n",
           softmax ? "−(1/B) Σ_b Σ_k t_k log a_o,k"
                   : "(1/B) Σ_b ½ Σ_k (a_o,k − t_k)²",
           e_before);
    value(tsv, "E", e_before);

    /* ---- backward: one call; the engine walks the tape in reverse */
    tg_tensor *want[6] = {f.net_o, f.net_h, W2, b2, W1, b1};
    tg_tensor *grad[6];
    if (tg_grad(g, &f.E, 1, NULL, want, 6, false, grad) != TG_OK) {
        int rc = demo_fail(&c, g);
        fclose(tsv);
        tg_graph_free(g);
        return rc;
    }
    const double *dO = tg_f64(grad[0]), *dH = tg_f64(grad[1]);
    const double *gW2 = tg_f64(grad[2]), *gb2 = tg_f64(grad[3]);
    const double *gW1 = tg_f64(grad[4]), *gb1 = tg_f64(grad[5]);
    const double *w1 = tg_f64(W1), *w2 = tg_f64(W2);

    printf("BACKWARD, in reverse: δ = ∂E/∂net from the engine, and from the "
           "delta rule\n");
    printf("    %-16s%-18s%-18s|diff|\n", "", "engine", "delta rule");
    static double d_o[MAX_B * MAX_U], d_h[MAX_B * MAX_U];
    if (softmax)
        printf("  δ_o[k] = (1/B)(a_o[k] − t[k])        (softmax + "
               "cross-entropy)\n");
    else
        printf("  δ_o[k] = (1/B) a_o[k](1 − a_o[k])(a_o[k] − t[k])\n");
    for (int b = 0; b < B; b++)
        for (int k = 0; k < NO; k++) {
            int i = b * NO + k;
            d_o[i] = (softmax ? 1 : ao[i] * (1 - ao[i])) * (ao[i] - tv[i]) / B;
            if (B > 1) snprintf(label, sizeof label, "δ_o[%d] ex %d", k, b);
            else snprintf(label, sizeof label, "δ_o[%d]", k);
            snprintf(key, sizeof key, "delta_o[%d][%d]", b, k);
            row(tsv, label, key, dO[i], d_o[i]);
        }
    printf("  δ_h[j] = g'(net_h[j]) Σ_k W2[j][k] δ_o[k],  g' = %s\n",
           ACT_PRIME_TEXT[act]);
    for (int b = 0; b < B; b++)
        for (int j = 0; j < NH; j++) {
            int i = b * NH + j;
            double s = 0;
            for (int k = 0; k < NO; k++) s += w2[j * NO + k] * d_o[b * NO + k];
            d_h[i] = act_prime(act, nh[i], ah[i]) * s;
            if (B > 1) snprintf(label, sizeof label, "δ_h[%d] ex %d", j, b);
            else snprintf(label, sizeof label, "δ_h[%d]", j);
            snprintf(key, sizeof key, "delta_h[%d][%d]", b, j);
            row(tsv, label, key, dH[i], d_h[i]);
        }
    printf("  ∂E/∂W2[j][k] = Σ_b a_h[j] δ_o[k],   ∂E/∂b2[k] = Σ_b δ_o[k]%s\n",
           B > 1 ? "   (the mean of the per-example gradients: each δ "
                   "carries 1/B)"
                 : "");
    for (int j = 0; j < NH; j++)
        for (int k = 0; k < NO; k++) {
            double s = 0;
            for (int b = 0; b < B; b++) s += ah[b * NH + j] * d_o[b * NO + k];
            snprintf(label, sizeof label, "∂E/∂W2[%d][%d]", j, k);
            snprintf(key, sizeof key, "dE/dW2[%d][%d]", j, k);
            row(tsv, label, key, gW2[j * NO + k], s);
        }
    for (int k = 0; k < NO; k++) {
        double s = 0;
        for (int b = 0; b < B; b++) s += d_o[b * NO + k];
        snprintf(label, sizeof label, "∂E/∂b2[%d]", k);
        snprintf(key, sizeof key, "dE/db2[%d]", k);
        row(tsv, label, key, gb2[k], s);
    }
    printf("  ∂E/∂W1[i][j] = Σ_b x_i δ_h[j],   ∂E/∂b1[j] = Σ_b δ_h[j]\n");
    for (int i = 0; i < NI; i++)
        for (int j = 0; j < NH; j++) {
            double s = 0;
            for (int b = 0; b < B; b++) s += xv[b * NI + i] * d_h[b * NH + j];
            snprintf(label, sizeof label, "∂E/∂W1[%d][%d]", i, j);
            snprintf(key, sizeof key, "dE/dW1[%d][%d]", i, j);
            row(tsv, label, key, gW1[i * NH + j], s);
        }
    for (int j = 0; j < NH; j++) {
        double s = 0;
        for (int b = 0; b < B; b++) s += d_h[b * NH + j];
        snprintf(label, sizeof label, "∂E/∂b1[%d]", j);
        snprintf(key, sizeof key, "dE/db1[%d]", j);
        row(tsv, label, key, gb1[j], s);
    }
    (void)w1;

    /* The same tape as a picture: every node with its value and ∂E/∂node
     * (rendered by Graphviz when installed). */
    printf("\n");
    tg_dot_opts dot = tg_dot_defaults();
    dot.loss = f.E;
    dot.title = "one training step: value and dE/d(node) per node";
    demo_dot(&c, g, "trace_graph", &dot);

    /* ---- the update w ← w − η ∂E/∂w, then the same batch again */
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
    tg_graph_reset(g); /* drops the tape; the parameters stay */
    x = tg_input(g, TG_F64, TG_SHAPE(B, NI), xv);
    t = tg_input(g, TG_F64, TG_SHAPE(B, NO), tv);
    double e_after = tg_item(forward(g, act, softmax, x, t, W1, b1, W2, b2,
                                     B).E);
    if (tg_graph_error(g)) {
        int rc = demo_fail(&c, g);
        fclose(tsv);
        tg_graph_free(g);
        return rc;
    }
    value(tsv, "E after", e_after);
    /* η > 0 is a step against the gradient; whether E fell is measured,
     * not assumed: a step too long for the curvature here overshoots. */
    printf("\n  E before the step %.6f, after %.6f (%+.3e): %s.\n", e_before,
           e_after, e_after - e_before,
           !isfinite(e_after)   ? "the step diverged: E is no longer finite"
           : e_after < e_before ? "the step went downhill"
           : e_after > e_before ? "the step overshot: E rose, η is too "
                                  "large here (try a smaller --lr)"
                                : "E did not change at double precision "
                                  "(η is too small to move it, or the "
                                  "gradient is 0)");
    fclose(tsv);
    char path[4096];
    printf("  every number at full precision: %s\n",
           demo_path(&c, "trace.tsv", path, sizeof path));
    tg_graph_free(g);
    return e_after < e_before ? 0 : 1;
}
