/* vanishing: why deep networks need the right activation, initialisation
 * and architecture.
 *
 * Backprop multiplies, layer after layer, by W^T and by the activation's
 * derivative: δ_{l-1} = g'(net_{l-1}) ⊙ (W_l^T δ_l). When those factors
 * are below 1 on average the gradient shrinks geometrically on its way
 * down (vanishing: sigmoid's g' is at most 1/4); above 1 it grows
 * (exploding: N(0,1) weights in a wide layer). Three fixes are compared:
 *   - initialisation that keeps the variance of activations and gradients
 *     constant across layers: Xavier/Glorot, Var w = 2 / (fan_in +
 *     fan_out), for tanh; He/Kaiming, Var w = 2 / fan_in, for ReLU;
 *   - residual connections, h_l = h_{l-1} + f(h_{l-1}): the identity path
 *     carries the gradient past every layer unchanged;
 *   - pre-LayerNorm residual blocks, h_l = h_{l-1} + f(LN(h_{l-1})): the
 *     branch input is normalised, so the sum cannot blow up.
 *
 * Every combination of 5 activations x 3 initialisations x 3
 * architectures builds a 20-layer, 64-wide network on the same regression
 * task (targets standardised: loss 1 = predicting the mean), measures
 * ||∂L/∂W_l|| for every layer at initialisation, then trains it with SGD
 * and momentum. ReLU networks also report their dead units: units whose
 * output is 0 for every training example, which therefore never get a
 * gradient again.
 *
 * Writes OUT/vanishing.svg (the story in one figure), OUT/vanishing_all.svg
 * (all 45 networks), and the numbers in OUT/vanishing_*.tsv. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <tapegrad/tapegrad.h>

#include "demo_common.h"
#include "demos.h"

/* IN = WIDTH makes every hidden weight matrix 64x64, so their gradient
 * norms compare like with like. N_LOG examples give the logged loss. */
enum { DEPTH = 20, WIDTH = 64, IN = 64, N_TRAIN = 2048, N_LOG = 512,
       BATCH = 128 };

typedef enum { SIGMOID, TANH, RELU, LEAKY, GELU, N_ACT } act_kind;
typedef enum { INIT_NORMAL, INIT_XAVIER, INIT_HE, N_INIT } init_kind;
typedef enum { PLAIN, RESIDUAL, PRE_LN, N_ARCH } arch_kind;

static const char *ACT_NAME[N_ACT] = {"sigmoid", "tanh", "relu",
                                      "leaky_relu", "gelu"};
static const char *INIT_NAME[N_INIT] = {"N(0,1)", "Xavier", "He"};
static const char *ARCH_NAME[N_ARCH] = {"plain", "residual", "pre-LN"};

/* One network: W[0] maps the input to the width, W[1..DEPTH-1] are the
 * hidden layers, W[DEPTH] reads out one number. W is stored [in, out] as
 * tg_linear expects. */
typedef struct net {
    tg_graph *g;
    act_kind act;
    arch_kind arch;
    tg_tensor *W[DEPTH + 1], *b[DEPTH + 1];
} net;

static tg_tensor *activate(act_kind a, tg_tensor *x)
{
    switch (a) {
    case SIGMOID: return tg_sigmoid(x);
    case TANH: return tg_tanh(x);
    case RELU: return tg_relu(x);
    case LEAKY: return tg_leaky_relu(x, 0.01);
    case GELU: return tg_gelu(x);
    default: return NULL;
    }
}

static bool net_init(net *n, act_kind act, init_kind init, arch_kind arch,
                     uint64_t seed)
{
    n->g = tg_graph_new();
    n->act = act;
    n->arch = arch;
    if (!n->g) return false;
    tg_rng r;
    tg_rng_seed(&r, seed); /* the same stream for every network */
    for (int l = 0; l <= DEPTH; l++) {
        int64_t in = l == 0 ? IN : WIDTH, out = l == DEPTH ? 1 : WIDTH;
        n->W[l] = tg_param(n->g, TG_F32, TG_SHAPE(in, out), NULL);
        n->b[l] = tg_param(n->g, TG_F32, TG_SHAPE(out), NULL); /* zeros */
        if (tg_graph_error(n->g)) return false;
        tg_status st = init == INIT_NORMAL ? tg_init_normal(n->W[l], &r, 0, 1)
                       : init == INIT_XAVIER ? tg_init_xavier_normal(n->W[l], &r)
                                             : tg_init_he_normal(n->W[l], &r);
        if (st != TG_OK) return false;
    }
    return true;
}

/* x [B, IN] -> prediction [B, 1]. If not NULL, nets[l] receives layer
 * l's pre-activation net_l = in W_l + b_l and acts[l] its activation
 * g(net_l) (for the deltas and for counting dead units). */
static tg_tensor *net_forward(const net *n, tg_tensor *x, tg_tensor **nets,
                              tg_tensor **acts)
{
    tg_tensor *h = x;
    for (int l = 0; l < DEPTH; l++) {
        tg_tensor *in = n->arch == PRE_LN && l > 0
                            ? tg_layer_norm(h, NULL, NULL, 1e-5)
                            : h;
        tg_tensor *z = tg_linear(in, n->W[l], n->b[l]);
        tg_tensor *f = activate(n->act, z);
        if (nets) nets[l] = z;
        if (acts) acts[l] = f;
        h = n->arch == PLAIN || l == 0 ? f : tg_add(h, f);
    }
    if (n->arch == PRE_LN) h = tg_layer_norm(h, NULL, NULL, 1e-5);
    return tg_linear(h, n->W[DEPTH], n->b[DEPTH]);
}

/* The task: y = sin(1.5 x·u) + (x·v)^2 / 2 for random unit u, v,
 * standardised to mean 0 and variance 1. */
static void make_data(float *X, float *Y, uint64_t seed)
{
    tg_rng r;
    tg_rng_seed(&r, seed + 1000);
    double u[IN], v[IN], nu = 0, nv = 0;
    for (int j = 0; j < IN; j++) {
        u[j] = tg_rng_normal(&r);
        v[j] = tg_rng_normal(&r);
        nu += u[j] * u[j];
        nv += v[j] * v[j];
    }
    double mean = 0, var = 0;
    for (int i = 0; i < N_TRAIN; i++) {
        double pu = 0, pv = 0;
        for (int j = 0; j < IN; j++) {
            X[i * IN + j] = (float)tg_rng_normal(&r);
            pu += X[i * IN + j] * u[j] / sqrt(nu);
            pv += X[i * IN + j] * v[j] / sqrt(nv);
        }
        Y[i] = (float)(sin(1.5 * pu) + 0.5 * pv * pv);
        mean += Y[i];
    }
    mean /= N_TRAIN;
    for (int i = 0; i < N_TRAIN; i++) var += (Y[i] - mean) * (Y[i] - mean);
    double sd = sqrt(var / N_TRAIN);
    for (int i = 0; i < N_TRAIN; i++) Y[i] = (float)((Y[i] - mean) / sd);
}

static double frob(const tg_tensor *t)
{
    double s = 0;
    for (int64_t i = 0; i < t->numel; i++) s += tg_get(t, i) * tg_get(t, i);
    return sqrt(s);
}

/* Results of one network. */
typedef struct result {
    double gnorm[DEPTH]; /* ||dL/dW_l|| at initialisation, l = 1..DEPTH */
    double dnorm[DEPTH]; /* ||dL/dnet_l||, the deltas, at initialisation */
    double *loss;        /* full-data loss at each logged step           */
    double dead0, dead1; /* dead-unit fraction at start and end (ReLU)   */
} result;

/* Loss on the first `rows` examples; dead (if not NULL) gets the fraction
 * of hidden units that are 0 for every one of them. Nothing is recorded. */
static double evaluate(net *n, const float *X, const float *Y, int rows,
                       double *dead)
{
    tg_graph *g = n->g;
    bool was = tg_set_grad_enabled(g, false);
    tg_tensor *acts[DEPTH];
    tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(rows, IN), X);
    tg_tensor *y = tg_input(g, TG_F32, TG_SHAPE(rows, 1), Y);
    double loss = tg_item(tg_mse(net_forward(n, x, NULL, acts), y));
    if (dead && !tg_graph_error(g)) {
        int64_t n_dead = 0;
        for (int l = 0; l < DEPTH; l++)
            for (int j = 0; j < WIDTH; j++) {
                bool alive = false;
                const float *a = tg_f32(acts[l]);
                for (int i = 0; i < rows && !alive; i++)
                    alive = a[(int64_t)i * WIDTH + j] != 0;
                n_dead += !alive;
            }
        *dead = (double)n_dead / (DEPTH * WIDTH);
    }
    if (tg_graph_error(g)) loss = NAN;
    tg_graph_reset(g);
    tg_set_grad_enabled(g, was);
    return isfinite(loss) ? loss : NAN;
}

/* Gradient norms at initialisation and dead units on the first `rows`
 * examples, then `steps` SGD-with-momentum steps on mini-batches, logging
 * the loss every `every` steps. An exploding network is a result, not an
 * error: once its loss overflows, its remaining numbers are NaN. */
static void run_net(net *n, const float *X, const float *Y, int rows,
                    int steps, int every, double lr, result *res,
                    uint64_t seed)
{
    tg_graph *g = n->g;
    tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(rows, IN), X);
    tg_tensor *y = tg_input(g, TG_F32, TG_SHAPE(rows, 1), Y);
    tg_tensor *want[2 * DEPTH], *grad[2 * DEPTH];
    tg_tensor *loss = tg_mse(net_forward(n, x, want + DEPTH, NULL), y);
    for (int l = 0; l < DEPTH; l++) want[l] = n->W[l];
    tg_status st = tg_grad(g, &loss, 1, NULL, want, 2 * DEPTH, false, grad);
    for (int l = 0; l < DEPTH; l++) {
        res->gnorm[l] = st == TG_OK ? frob(grad[l]) : NAN;
        res->dnorm[l] = st == TG_OK ? frob(grad[DEPTH + l]) : NAN;
    }
    tg_graph_reset(g);

    if (n->act == RELU) evaluate(n, X, Y, rows, &res->dead0);
    int log_rows = rows < N_LOG ? rows : N_LOG;
    res->loss[0] = evaluate(n, X, Y, log_rows, NULL);
    tg_optim_config oc = tg_optim_defaults(TG_OPTIM_MOMENTUM);
    oc.lr = lr;
    tg_tensor *params[2 * DEPTH + 2];
    for (int l = 0; l <= DEPTH; l++) {
        params[2 * l] = n->W[l];
        params[2 * l + 1] = n->b[l];
    }
    tg_optim *opt = tg_optim_new(&oc, 2 * DEPTH + 2, params);
    tg_rng r;
    tg_rng_seed(&r, seed + 7);
    static float xb[BATCH * IN], yb[BATCH];
    if (!opt) fprintf(stderr, "tapegrad demo vanishing: %s\n", tg_last_error());
    bool diverged = !opt || !isfinite(res->loss[0]);
    for (int s = 1; s <= steps; s++) {
        if (!diverged) {
            for (int i = 0; i < BATCH; i++) {
                int k = (int)(tg_rng_uniform(&r) * N_TRAIN);
                memcpy(xb + i * IN, X + k * IN, sizeof(float) * IN);
                yb[i] = Y[k];
            }
            tg_tensor *xt = tg_input(g, TG_F32, TG_SHAPE(BATCH, IN), xb);
            tg_tensor *yt = tg_input(g, TG_F32, TG_SHAPE(BATCH, 1), yb);
            tg_tensor *batch_loss = tg_mse(net_forward(n, xt, NULL, NULL), yt);
            if (tg_backward(g, batch_loss) == TG_OK &&
                isfinite(tg_item(batch_loss)))
                tg_optim_step(opt);
            else
                diverged = true;
            tg_optim_zero_grad(opt);
            tg_graph_reset(g);
        }
        if (s % every == 0)
            res->loss[s / every] =
                diverged ? NAN : evaluate(n, X, Y, log_rows, NULL);
    }
    /* a diverged network's units are not dead or alive but NaN: no count */
    res->dead1 = NAN;
    if (n->act == RELU && !diverged) evaluate(n, X, Y, rows, &res->dead1);
    tg_optim_free(opt);
}

/* Column of configuration (arch, act, init) in the TSV files (1 = layer
 * or step). */
static int column(int arch, int act, int init)
{
    return 2 + (arch * N_ACT + act) * N_INIT + init;
}

static void print_cell(double v)
{
    if (!isfinite(v)) printf("  %8s", "overflow");
    else printf("  %8.1e", v);
}

static double delta_at(const result *r, int row) { return r->dnorm[row]; }
static double gradw_at(const result *r, int row) { return r->gnorm[row]; }
static double loss_at(const result *r, int row) { return r->loss[row]; }

/* A TSV with one row per layer (or logged step) and one column per
 * network, in column() order. */
static bool write_columns(const demo_ctx *c, const char *file,
                          const char *first, const result *res, int rows,
                          int x0, int dx, double (*at)(const result *, int))
{
    FILE *f = demo_open(c, file);
    if (!f) return false;
    fprintf(f, "# %s", first);
    for (int ar = 0; ar < N_ARCH; ar++)
        for (int a = 0; a < N_ACT; a++)
            for (int in = 0; in < N_INIT; in++)
                fprintf(f, "\t%s/%s/%s", ARCH_NAME[ar], ACT_NAME[a],
                        INIT_NAME[in]);
    fprintf(f, "\n");
    for (int i = 0; i < rows; i++) {
        fprintf(f, "%d", x0 + i * dx);
        for (int k = 0; k < N_ARCH * N_ACT * N_INIT; k++) {
            double v = at(&res[k], i);
            if (isfinite(v)) fprintf(f, "\t%.6g", v);
            else fprintf(f, "\tnan"); /* overflowed */
        }
        fprintf(f, "\n");
    }
    fclose(f);
    return true;
}

static const char *LINE_COLOR[N_ACT] = {"#2c6db4", "#e08214", "#c0392b",
                                        "#7b3294", "#1b9e77"};
/* leaky_relu dashed: it lies on top of relu almost everywhere */
static const int DASH[N_ACT] = {1, 1, 1, 2, 1};

/* The legend entry of activation a in the panel (arch, init): its name,
 * plus what hides its curve when something does — overflow (no finite
 * value to draw) or lying on an earlier activation's curve within 15%
 * at every layer (a sliver on a log axis spanning many decades). Drawn curves get decreasing widths too, so one that
 * lies on another still shows as a thin line inside a thick one. */
static void legend(const result *res, int arch, int init, int a, char *buf,
                   size_t size)
{
    const result *r = &res[column(arch, a, init) - 2];
    int finite = 0;
    for (int l = 0; l < DEPTH; l++) finite += isfinite(r->dnorm[l]) != 0;
    if (finite == 0) {
        snprintf(buf, size, "%s (overflow: not drawn)", ACT_NAME[a]);
        return;
    }
    for (int b = 0; b < a; b++) {
        const result *q = &res[column(arch, b, init) - 2];
        bool same = true;
        for (int l = 0; l < DEPTH && same; l++)
            same = isfinite(q->dnorm[l]) == isfinite(r->dnorm[l]) &&
                   (!isfinite(r->dnorm[l]) ||
                    fabs(q->dnorm[l] - r->dnorm[l]) <=
                        0.15 * fabs(r->dnorm[l]));
        if (same) {
            snprintf(buf, size, "%s (on top of %s)", ACT_NAME[a],
                     ACT_NAME[b]);
            return;
        }
    }
    snprintf(buf, size, "%s%s", ACT_NAME[a],
             finite < DEPTH ? " (partly overflow)" : "");
}

/* Point type per activation, so overlapping curves stay distinguishable */
static const int POINT[N_ACT] = {7, 5, 9, 11, 13};

/* The story in one figure: gradient norm per layer for plain networks
 * under each initialisation, residual and pre-LN networks with He
 * initialisation, and the training loss of six telling networks. */
static void story_figure(const demo_ctx *c, const result *res)
{
    FILE *gp = demo_gnuplot_script(c, "vanishing", 1500, 1000);
    if (!gp) return;
    fprintf(gp,
            "set datafile missing 'nan'\n"
            "set multiplot layout 2,3 title \"Gradient norm per layer at "
            "initialisation, ||dL/dnet_l|| (20 layers, width 64), and "
            "training loss\" noenhanced\n"
            "set logscale y\nset format y '10^{%%L}'\n"
            "set xlabel 'layer (1 = input side, 20 = output side)' offset 0,0.5\n"
            "set ylabel '||dL/dnet_l||' noenhanced\nset xrange [1:20]\n"
            "set key below horizontal maxrows 2 font ',10' noenhanced "
            "samplen 2\n");
    struct { int arch, init; const char *title; } panel[5] = {
        {PLAIN, INIT_NORMAL, "plain, N(0,1) init: explode or saturate"},
        {PLAIN, INIT_XAVIER, "plain, Xavier init"},
        {PLAIN, INIT_HE, "plain, He init"},
        {RESIDUAL, INIT_HE, "residual, He init"},
        {PRE_LN, INIT_HE, "pre-LN residual, He init"},
    };
    for (int p = 0; p < 5; p++) {
        fprintf(gp, "set title '%s' noenhanced\nplot ", panel[p].title);
        for (int a = 0; a < N_ACT; a++) {
            char key[96];
            legend(res, panel[p].arch, panel[p].init, a, key, sizeof key);
            fprintf(gp,
                    "%s'vanishing_delta.tsv' using 1:%d with linespoints "
                    "pt %d ps 0.7 lw %g dt %d lc rgb '%s' title '%s'",
                    a ? ", \\\n     " : "",
                    column(panel[p].arch, a, panel[p].init), POINT[a],
                    5.0 - 0.9 * a, DASH[a], LINE_COLOR[a], key);
        }
        fprintf(gp, "\n");
    }
    struct { int arch, act, init; const char *color; } curve[6] = {
        {PLAIN, SIGMOID, INIT_XAVIER, "#2c6db4"},
        {PLAIN, RELU, INIT_NORMAL, "#999999"},
        {PLAIN, RELU, INIT_XAVIER, "#e08214"},
        {PLAIN, RELU, INIT_HE, "#c0392b"},
        {RESIDUAL, SIGMOID, INIT_XAVIER, "#7b3294"},
        {PRE_LN, RELU, INIT_HE, "#1b9e77"},
    };
    fprintf(gp, "set title 'training loss (off the chart or missing = diverged)'\n"
                "set xlabel 'SGD step'\nset ylabel 'loss (1 = predict the "
                "mean)'\nset autoscale x\nset yrange [0.005:20]\n"
                "set key below maxrows 3\nplot ");
    for (int k = 0; k < 6; k++)
        fprintf(gp,
                "%s'vanishing_loss.tsv' using 1:%d with lines lw 2 "
                "lc rgb '%s' title '%s %s %s'",
                k ? ", \\\n     " : "",
                column(curve[k].arch, curve[k].act, curve[k].init),
                curve[k].color, ARCH_NAME[curve[k].arch],
                ACT_NAME[curve[k].act], INIT_NAME[curve[k].init]);
    fprintf(gp, "\nunset multiplot\n");
    demo_plot(c, "vanishing", gp);
}

/* Every network: gradient norms (top 3x3) and losses in a second file. */
static void all_figure(const demo_ctx *c, const result *res)
{
    FILE *gp = demo_gnuplot_script(c, "vanishing_all", 1500, 1300);
    if (!gp) return;
    fprintf(gp, "set datafile missing 'nan'\n"
                "set multiplot layout 3,3 title \"||dL/dnet_l|| per layer "
                "at initialisation, every network\" noenhanced\n"
                "set logscale y\nset format y '10^{%%L}'\nset xrange [1:20]\n"
                "set xlabel 'layer (1 = input side)' offset 0,0.5\n"
                "set ylabel '||dL/dnet_l||' noenhanced\n"
                "set key below horizontal maxrows 2 font ',9' noenhanced "
                "samplen 2\n");
    for (int ar = 0; ar < N_ARCH; ar++)
        for (int in = 0; in < N_INIT; in++) {
            fprintf(gp, "set title '%s, %s init' noenhanced\nplot ",
                    ARCH_NAME[ar], INIT_NAME[in]);
            for (int a = 0; a < N_ACT; a++) {
                char key[96];
                legend(res, ar, in, a, key, sizeof key);
                fprintf(gp,
                        "%s'vanishing_delta.tsv' using 1:%d with linespoints "
                        "pt %d ps 0.5 lw %g dt %d lc rgb '%s' title '%s'",
                        a ? ", " : "", column(ar, a, in), POINT[a],
                        4.0 - 0.7 * a, DASH[a], LINE_COLOR[a], key);
            }
            fprintf(gp, "\n");
        }
    fprintf(gp, "unset multiplot\n");
    demo_plot(c, "vanishing_all", gp);
}

int tg_demo_vanishing(int argc, char **argv)
{
    int steps = 300;
    double lr = 0.01;
    const demo_opt opts[] = {
        {"steps", DEMO_INT, &steps, "SGD steps per network (default 300)",
         5, 100000, false},
        {"lr", DEMO_REAL, &lr, "learning rate, momentum 0.9 (default 0.01)",
         0, 100, true},
    };
    demo_ctx c;
    if (!demo_begin(&c, argc, argv,
                    "Gradient norm per layer and training loss of 20-layer "
                    "networks: 5 activations x\n3 initialisations x plain, "
                    "residual and pre-LN.",
                    opts, 2))
        return c.exit_code;
    /* --fast: 5 steps, and everything measured on 256 examples instead of
     * 2048 */
    int rows = c.fast ? 256 : N_TRAIN;
    if (c.fast && !demo_given(&c, "steps")) steps = 5;
    int every = steps >= 100 ? 10 : 5;
    if (steps < every) steps = every;
    int n_log = steps / every + 1;

    /* 64-wide layers are too small for threads to pay off: one thread
     * runs them fastest, and is not slowed down by a busy machine. */
    tg_set_num_threads(1);
    static float X[N_TRAIN * IN], Y[N_TRAIN];
    make_data(X, Y, (uint64_t)c.seed);
    enum { N_NETS = N_ARCH * N_ACT * N_INIT };
    static result res[N_NETS];
    static double loss_store[N_NETS][1 + 100000 / 5];

    printf("vanishing: 20 layers of width 64, 5 activations x 3 "
           "initialisations x 3 architectures\n(%d networks), each trained "
           "%d SGD steps (lr %g, momentum 0.9, batch %d).\n\n",
           N_NETS, steps, lr, BATCH);
    demo_progress bar;
    demo_progress_start(&bar, "networks", N_NETS);
    for (int ar = 0; ar < N_ARCH; ar++)
        for (int a = 0; a < N_ACT; a++)
            for (int in = 0; in < N_INIT; in++) {
                int k = column(ar, a, in) - 2;
                net n = {0};
                res[k].loss = loss_store[k];
                if (!net_init(&n, (act_kind)a, (init_kind)in, (arch_kind)ar,
                              (uint64_t)c.seed)) {
                    demo_progress_end(&bar);
                    int rc = demo_fail(&c, n.g);
                    tg_graph_free(n.g);
                    return rc;
                }
                run_net(&n, X, Y, rows, steps, every, lr, &res[k],
                        (uint64_t)c.seed);
                tg_graph_free(n.g);
                char note[64];
                snprintf(note, sizeof note, "%s %s %s", ARCH_NAME[ar],
                         ACT_NAME[a], INIT_NAME[in]);
                demo_progress_update(&bar, k + 1, note);
            }
    demo_progress_end(&bar);

    /* ---- the table */
    printf("  ||δ_l|| = ||∂L/∂net_l||, the error signal reaching layer l "
           "(the δ of the delta rule),\n  at initialisation for layers 1 "
           "(input side), 10 and 20 (output side); ||∂L/∂W_1||;\n  the "
           "loss before and after training; dead ReLU units (before -> "
           "after).\n\n");
    printf("  %-8s %-10s %-6s  %8s  %8s  %8s  %9s  %8s  %8s  %s\n", "arch",
           "activation", "init", "||δ_1||", "||δ_10||", "||δ_20||",
           "||∂L/∂W_1||", "loss 0", "loss end", "dead ReLU");
    for (int ar = 0; ar < N_ARCH; ar++) {
        for (int a = 0; a < N_ACT; a++)
            for (int in = 0; in < N_INIT; in++) {
                const result *r = &res[column(ar, a, in) - 2];
                printf("  %-8s %-10s %-6s", ARCH_NAME[ar], ACT_NAME[a],
                       INIT_NAME[in]);
                print_cell(r->dnorm[0]);
                print_cell(r->dnorm[9]);
                print_cell(r->dnorm[DEPTH - 1]);
                printf(" ");
                print_cell(r->gnorm[0]);
                print_cell(r->loss[0]);
                if (!isfinite(r->loss[n_log - 1])) printf("  %8s", "diverged");
                else print_cell(r->loss[n_log - 1]);
                if (a == RELU && isfinite(r->dead1))
                    printf("  %4.1f%% -> %4.1f%%", 100 * r->dead0,
                           100 * r->dead1);
                else if (a == RELU)
                    printf("  %4.1f%% -> (diverged)", 100 * r->dead0);
                printf("\n");
            }
        printf("\n");
    }
    const result *sx = &res[column(PLAIN, SIGMOID, INIT_XAVIER) - 2];
    const result *rh = &res[column(PLAIN, RELU, INIT_HE) - 2];
    const result *rn = &res[column(PLAIN, RELU, INIT_NORMAL) - 2];
    const result *sr = &res[column(RESIDUAL, SIGMOID, INIT_XAVIER) - 2];
    const result *rr = &res[column(RESIDUAL, RELU, INIT_HE) - 2];
    const result *pl = &res[column(PRE_LN, RELU, INIT_HE) - 2];
    printf("What to read from it (\"overflow\": beyond f32's range; "
           "\"diverged\": the loss became\nInf or NaN during training). "
           "Every sentence below is drawn from this run's numbers:\n");
    /* vanishing */
    double ratio = sx->dnorm[DEPTH - 1] / sx->dnorm[0];
    if (isfinite(ratio) && ratio > 100)
        printf("  - vanishing: in the plain sigmoid + Xavier network ||δ_1|| "
               "= %.1e, %.0e times\n    below ||δ_20|| = %.1e: each layer "
               "multiplies δ by σ'(net) <= 1/4.",
               sx->dnorm[0], ratio, sx->dnorm[DEPTH - 1]);
    else
        printf("  - in the plain sigmoid + Xavier network ||δ_1|| = %.1e and "
               "||δ_20|| = %.1e:\n    no vanishing in this run.",
               sx->dnorm[0], sx->dnorm[DEPTH - 1]);
    double sx_end = sx->loss[n_log - 1];
    if (!isfinite(sx_end))
        printf(" Its training %s.\n", "diverged");
    else if (sx_end > 0.9)
        printf(" Its loss\n    stays near 1 (%.2f after training): the lower "
               "layers do not learn.\n",
               sx_end);
    else
        printf(" Its loss\n    falls to %.2f all the same: the top layers, "
               "which do get a gradient, learn.\n",
               sx_end);
    /* exploding */
    double grow = rn->dnorm[0] / rn->dnorm[DEPTH - 1];
    if (isfinite(grow) && grow > 100)
        printf("  - exploding: with N(0,1) weights a 64-wide ReLU layer "
               "multiplies the signal by about\n    sqrt(64/2) = 5.7: "
               "||δ_1|| = %.1e, ||δ_20|| = %.1e, %.0e times larger.\n",
               rn->dnorm[0], rn->dnorm[DEPTH - 1], grow);
    else if (!isfinite(rn->dnorm[0]))
        printf("  - exploding: with N(0,1) weights a 64-wide ReLU layer "
               "multiplies the signal by about\n    sqrt(64/2) = 5.7, and "
               "||δ_1|| overflowed f32.\n");
    else
        printf("  - with N(0,1) weights: ||δ_1|| = %.1e, ||δ_20|| = %.1e.\n",
               rn->dnorm[0], rn->dnorm[DEPTH - 1]);
    double lo = INFINITY, hi = 0;
    for (int l = 0; l < DEPTH; l++) {
        lo = fmin(lo, rh->dnorm[l]);
        hi = fmax(hi, rh->dnorm[l]);
    }
    printf("  - %s: ReLU + He (Var w = 2/fan_in) keeps ||δ_l|| between\n    "
           "%.1e and %.1e over all 20 layers (a factor %.1f).\n",
           hi < 10 * lo ? "the fix by initialisation" : "initialisation",
           lo, hi, hi / lo);
    /* residual: whether SGD survives depends on --lr and --steps */
    double rr_end = rr->loss[n_log - 1];
    printf("  - residual connections carry δ past every layer: "
           "sigmoid + Xavier gets\n    ||δ_1|| = %.1e. Each block adds to "
           "the sum, so the forward pass grows\n    (ReLU + He: loss %.2g "
           "at initialisation); ",
           sr->dnorm[0], rr->loss[0]);
    if (!isfinite(rr_end))
        printf("SGD at lr %g diverges.\n", lr);
    else if (rr_end < rr->loss[0])
        printf("at lr %g SGD trains it all the same,\n    to loss %.3g "
               "after %d steps.\n",
               lr, rr_end, steps);
    else
        printf("at lr %g SGD does not lower it\n    (%.3g after %d "
               "steps).\n",
               lr, rr_end, steps);
    /* pre-LN */
    double pl_end = pl->loss[n_log - 1];
    printf("  - pre-LN blocks normalise each branch input, so the sum stays "
           "bounded and δ\n    flows: ReLU + He ");
    if (!isfinite(pl_end))
        printf("starts at loss %.3f, and training diverged at lr %g.\n",
               pl->loss[0], lr);
    else
        printf("goes from loss %.3f to %.4f.\n", pl->loss[0], pl_end);
    /* dead units: a dead unit gets no gradient of its own, but the layers
     * below it keep learning, which can bring its input back above 0 */
    printf("  - dead ReLU units (0 for every training example, so no "
           "gradient flows through them):\n    %.1f%% of the plain ReLU + "
           "He network at initialisation, %.1f%% after training",
           100 * rh->dead0, 100 * rh->dead1);
    if (!isfinite(rh->dead1) || !isfinite(rh->loss[n_log - 1]))
        printf(" (its training diverged).\n");
    else if (rh->dead1 < rh->dead0)
        printf(":\n    some came back, because the layers below them "
               "learned and moved their inputs.\n");
    else if (rh->dead1 > rh->dead0)
        printf(":\n    training killed more than it revived.\n");
    else
        printf(": unchanged.\n");
    double ln_dead = 0;
    for (int in = 0; in < N_INIT; in++)
        ln_dead = fmax(ln_dead, res[column(PRE_LN, RELU, in) - 2].dead0);
    if (ln_dead == 0)
        printf("    None with pre-LN at initialisation: its normalised inputs "
               "straddle 0.\n\n");
    else
        printf("    With pre-LN, up to %.1f%% at initialisation.\n\n",
               100 * ln_dead);

    /* ---- the files */
    bool ok = write_columns(&c, "vanishing_delta.tsv", "layer", res, DEPTH,
                            1, 1, delta_at) &&
              write_columns(&c, "vanishing_gradnorm.tsv", "layer", res,
                            DEPTH, 1, 1, gradw_at) &&
              write_columns(&c, "vanishing_loss.tsv", "step", res, n_log, 0,
                            every, loss_at);
    if (!ok) return 1;
    FILE *f = demo_open(&c, "vanishing_dead_relu.tsv");
    if (f) {
        fprintf(f, "# arch\tinit\tdead before\tdead after\n");
        for (int ar = 0; ar < N_ARCH; ar++)
            for (int in = 0; in < N_INIT; in++) {
                const result *r = &res[column(ar, RELU, in) - 2];
                fprintf(f, "%s\t%s\t%.4f\t%.4f\n", ARCH_NAME[ar],
                        INIT_NAME[in], r->dead0, r->dead1);
            }
        fclose(f);
    }
    story_figure(&c, res);
    all_figure(&c, res);
    return 0;
}
