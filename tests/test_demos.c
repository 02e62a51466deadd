/* The teaching demos, run as a user runs them (`tapegrad demo NAME --fast
 * --out DIR`), with assertions on what they print and the files they
 * write. References are recomputed here, independently of the engine.
 *
 * usage: test_demos TAPEGRAD_BINARY [case-filter [TUTORIAL_BINARY
 *                                                TUTORIAL_SOURCE]] */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <tapegrad/tapegrad.h>

#include "tt.h"

static const char *tapegrad = "tapegrad";
static char out_buf[1 << 20];

/* Run `tapegrad demo ARGS` with stderr merged; the output lands in
 * out_buf. Returns the exit status (-1 if it could not run). */
static int run_demo(const char *env, const char *args)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s '%s' demo %s 2>&1", env ? env : "",
             tapegrad, args);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    size_t n = fread(out_buf, 1, sizeof out_buf - 1, p);
    out_buf[n] = 0;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static bool file_exists(const char *dir, const char *name)
{
    char path[1024];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &st) == 0 && st.st_size > 0;
}

static bool have_gnuplot(void)
{
    return system("gnuplot --version >/dev/null 2>&1") == 0;
}

static void clean(const char *dir)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

static char file_buf[1 << 20];

/* DIR/NAME into file_buf; false when it cannot be read. */
static bool read_file(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f) return false;
    size_t n = fread(file_buf, 1, sizeof file_buf - 1, f);
    file_buf[n] = 0;
    fclose(f);
    return true;
}

/* ------------------------------------------------------------------ trace */

/* name -> (engine, rule) from trace.tsv; rule is NaN on input rows. */
typedef struct kv {
    char name[48];
    double a, b;
} kv;
static kv rows[1024];
static int n_rows;

static bool load_tsv(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return false;
    char line[512];
    n_rows = 0;
    while (fgets(line, sizeof line, f) && n_rows < 1024) {
        if (line[0] == '#') continue;
        kv *r = &rows[n_rows];
        char *tab = strchr(line, '\t');
        if (!tab) continue;
        *tab = 0;
        size_t len = strlen(line);
        if (len >= sizeof r->name) continue;
        memcpy(r->name, line, len + 1);
        char *end;
        r->a = strtod(tab + 1, &end);
        r->b = *end == '\t' ? strtod(end + 1, NULL) : NAN;
        n_rows++;
    }
    fclose(f);
    return true;
}

static bool has(const char *fmt, int i, int j)
{
    char name[48];
    snprintf(name, sizeof name, fmt, i, j);
    for (int k = 0; k < n_rows; k++)
        if (!strcmp(rows[k].name, name)) return true;
    return false;
}

static double get(const char *fmt, int i, int j)
{
    char name[48];
    snprintf(name, sizeof name, fmt, i, j);
    for (int k = 0; k < n_rows; k++)
        if (!strcmp(rows[k].name, name)) return rows[k].a;
    fprintf(stderr, "trace.tsv lacks %s\n", name);
    return NAN;
}

static long double sigl(long double z) { return 1.0L / (1.0L + expl(-z)); }

enum { TB = 16, TU = 16 };

/* The forward pass and E of the network in trace.tsv, in long double,
 * from the weights under `prefix` ("" or "new "). */
typedef struct tnet {
    int B, NI, NH, NO, act; /* act: 0 sigmoid, 1 tanh, 2 relu */
    bool softmax;
    long double x[TB][TU], t[TB][TU];
} tnet;

static long double t_forward(const tnet *n, const char *prefix,
                             long double nh[TB][TU], long double ah[TB][TU],
                             long double ao[TB][TU])
{
    char f[64];
    long double E = 0;
    for (int b = 0; b < n->B; b++) {
        for (int j = 0; j < n->NH; j++) {
            snprintf(f, sizeof f, "%sb1[%%d]", prefix);
            long double s = get(f, j, 0);
            snprintf(f, sizeof f, "%sW1[%%d]", prefix);
            for (int i = 0; i < n->NI; i++)
                s += n->x[b][i] * (long double)get(f, i * n->NH + j, 0);
            nh[b][j] = s;
            ah[b][j] = n->act == 0 ? sigl(s) : n->act == 1 ? tanhl(s)
                                                            : (s > 0 ? s : 0);
        }
        long double no[TU], mx = -INFINITY, z = 0;
        for (int k = 0; k < n->NO; k++) {
            snprintf(f, sizeof f, "%sb2[%%d]", prefix);
            long double s = get(f, k, 0);
            snprintf(f, sizeof f, "%sW2[%%d]", prefix);
            for (int j = 0; j < n->NH; j++)
                s += ah[b][j] * (long double)get(f, j * n->NO + k, 0);
            no[k] = s;
            mx = fmaxl(mx, s);
        }
        for (int k = 0; k < n->NO; k++) z += expl(no[k] - mx);
        for (int k = 0; k < n->NO; k++) {
            if (n->softmax) {
                ao[b][k] = expl(no[k] - mx) / z;
                E -= n->t[b][k] * (no[k] - mx - logl(z)) / n->B;
            } else {
                ao[b][k] = sigl(no[k]);
                E += 0.5L * (ao[b][k] - n->t[b][k]) * (ao[b][k] - n->t[b][k]) /
                     n->B;
            }
        }
    }
    return E;
}

/* Every δ, gradient and updated weight of trace.tsv against the delta
 * rule worked out here in long double from the inputs it lists. */
static void trace_check_tsv(const char *path, int act, bool softmax)
{
    TT_CHECK(load_tsv(path));
    static tnet n;
    n.act = act;
    n.softmax = softmax;
    n.B = (int)get("B", 0, 0);
    n.NI = n.NH = n.NO = 0;
    while (has("x[0][%d]", n.NI, 0)) n.NI++;
    while (has("b1[%d]", n.NH, 0)) n.NH++;
    while (has("b2[%d]", n.NO, 0)) n.NO++;
    TT_CHECK(n.B >= 1 && n.B <= TB && n.NI >= 1 && n.NH >= 1 && n.NO >= 1);
    if (!(n.B >= 1 && n.B <= TB && n.NI <= TU && n.NH <= TU && n.NO <= TU))
        return;
    for (int b = 0; b < n.B; b++) {
        for (int i = 0; i < n.NI; i++) n.x[b][i] = get("x[%d][%d]", b, i);
        for (int k = 0; k < n.NO; k++) n.t[b][k] = get("t[%d][%d]", b, k);
    }
    long double lr = get("lr", 0, 0);
    static long double nh[TB][TU], ah[TB][TU], ao[TB][TU], d_o[TB][TU],
        d_h[TB][TU];
    long double E = t_forward(&n, "", nh, ah, ao);
    TT_NEAR(get("E", 0, 0), (double)E, 1e-14);
    int bad = 0;
#define NEAR(got, want)                                                      \
    do {                                                                     \
        double g_ = (got), w_ = (double)(want);                             \
        if (!(fabs(g_ - w_) <= 1e-14 * fmax(1, fabs(w_)))) {                 \
            if (bad++ < 5) fprintf(stderr, "%s:%d: %.17g, want %.17g\n",    \
                                   __func__, __LINE__, g_, w_);              \
        }                                                                    \
    } while (0)
    for (int b = 0; b < n.B; b++)
        for (int k = 0; k < n.NO; k++) {
            long double e = ao[b][k] - n.t[b][k];
            d_o[b][k] = (softmax ? e : ao[b][k] * (1 - ao[b][k]) * e) / n.B;
            NEAR(get("delta_o[%d][%d]", b, k), d_o[b][k]);
        }
    for (int b = 0; b < n.B; b++)
        for (int j = 0; j < n.NH; j++) {
            long double s = 0;
            for (int k = 0; k < n.NO; k++)
                s += (long double)get("W2[%d]", j * n.NO + k, 0) * d_o[b][k];
            long double gp = act == 0   ? ah[b][j] * (1 - ah[b][j])
                             : act == 1 ? 1 - ah[b][j] * ah[b][j]
                                        : (nh[b][j] > 0 ? 1 : 0);
            d_h[b][j] = gp * s;
            NEAR(get("delta_h[%d][%d]", b, j), d_h[b][j]);
        }
    for (int j = 0; j < n.NH; j++)
        for (int k = 0; k < n.NO; k++) {
            long double s = 0;
            for (int b = 0; b < n.B; b++) s += ah[b][j] * d_o[b][k];
            NEAR(get("dE/dW2[%d][%d]", j, k), s);
            NEAR(get("new W2[%d]", j * n.NO + k, 0),
                 get("W2[%d]", j * n.NO + k, 0) - lr * s);
        }
    for (int k = 0; k < n.NO; k++) {
        long double s = 0;
        for (int b = 0; b < n.B; b++) s += d_o[b][k];
        NEAR(get("dE/db2[%d]", k, 0), s);
        NEAR(get("new b2[%d]", k, 0), get("b2[%d]", k, 0) - lr * s);
    }
    for (int i = 0; i < n.NI; i++)
        for (int j = 0; j < n.NH; j++) {
            long double s = 0;
            for (int b = 0; b < n.B; b++) s += n.x[b][i] * d_h[b][j];
            NEAR(get("dE/dW1[%d][%d]", i, j), s);
            NEAR(get("new W1[%d]", i * n.NH + j, 0),
                 get("W1[%d]", i * n.NH + j, 0) - lr * s);
        }
    for (int j = 0; j < n.NH; j++) {
        long double s = 0;
        for (int b = 0; b < n.B; b++) s += d_h[b][j];
        NEAR(get("dE/db1[%d]", j, 0), s);
    }
#undef NEAR
    TT_CHECK(bad == 0);
    long double E2 = t_forward(&n, "new ", nh, ah, ao);
    TT_NEAR(get("E after", 0, 0), (double)E2, 1e-14);
}

/* The engine's ∂E/∂net and ∂E/∂w equal the generalized delta rule, which
 * is recomputed here in long double from the inputs the demo printed. */
static void trace_matches_delta_rule(void)
{
    const char *dir = "demos-out/trace";
    clean(dir);
    char args[256], path[256];
    snprintf(args, sizeof args, "trace --fast --out %s", dir);
    TT_CHECK(run_demo(NULL, args) == 0);
    TT_CONTAINS(out_buf, "FORWARD");
    TT_CONTAINS(out_buf, "BACKWARD");
    TT_CONTAINS(out_buf, "δ_h[j] = g'(net_h[j]) Σ_k W2[j][k] δ_o[k]");
    TT_CONTAINS(out_buf, "the step went downhill");
    snprintf(path, sizeof path, "%s/trace.tsv", dir);
    trace_check_tsv(path, 0, false);
    /* the round textbook numbers */
    TT_NEAR(get("t[%d][%d]", 0, 0), 1.0, 0);
    TT_NEAR(get("W1[%d]", 4, 0), 0.20, 1e-16);
    TT_NEAR(get("lr", 0, 0), 0.5, 0);
    TT_NEAR(get("delta_o[%d][%d]", 0, 0), -0.075120394097, 1e-12);
    TT_CHECK(get("E after", 0, 0) < get("E", 0, 0));
    /* the graph picture names the nodes as the text does */
    TT_CHECK(read_file(dir, "trace_graph.dot"));
    TT_CONTAINS(file_buf, "net_h (add)");
    TT_CONTAINS(file_buf, "a_h (sigmoid)");
}

/* A teacher's own numbers: a batch of three, tanh hidden units, softmax
 * outputs with cross-entropy (δ_o = (a − t)/B), given weights; and a
 * ReLU network with a sigmoid output. */
static void trace_homework(void)
{
    const char *dir = "demos-out/trace-hw";
    clean(dir);
    char args[512], path[256];
    snprintf(args, sizeof args,
             "trace --out %s --act tanh --output softmax --x \"1,0.5;0,1;-1,2\" "
             "--t \"1,0;0,1;0.25,0.75\" --W1 \"0.1,-0.2;0.3,0.4\" "
             "--b1 \"0,0.1\" --W2 \"0.5,-0.5;0.25,0.75\" --b2 \"0.1,-0.1\" "
             "--lr 0.1",
             dir);
    TT_CHECK(run_demo(NULL, args) == 0);
    TT_CONTAINS(out_buf, "a 2-2-2 network, tanh hidden units, softmax "
                         "outputs and cross-entropy");
    TT_CONTAINS(out_buf, "batch of 3 examples, learning rate η = 0.1\n");
    TT_CONTAINS(out_buf, "δ_o[k] = (1/B)(a_o[k] − t[k])");
    TT_CONTAINS(out_buf, "(the mean of the per-example gradients");
    snprintf(path, sizeof path, "%s/trace.tsv", dir);
    trace_check_tsv(path, 1, true);
    TT_NEAR(get("W1[%d]", 2, 0), 0.3, 0); /* given, row-major */
    TT_NEAR(get("t[%d][%d]", 2, 1), 0.75, 0);

    snprintf(args, sizeof args,
             "trace --out %s --act relu --x \"0.5,-1,2\" --t 0 --seed 3 "
             "--b1 \"0.1,-0.1,0.2,0\"",
             dir);
    TT_CHECK(run_demo(NULL, args) == 0);
    TT_CONTAINS(out_buf, "a 3-4-1 network, relu hidden units");
    TT_CONTAINS(out_buf, "(weights not given: uniform in [-1, 1] from --seed)");
    trace_check_tsv(path, 2, false);

    /* what a mistyped homework gets */
    TT_CHECK(run_demo(NULL, "trace --x \"1,2;3\"") == 2);
    TT_CONTAINS(out_buf, "--x: row 2 has 1 numbers, row 1 has 2");
    TT_CHECK(run_demo(NULL, "trace --W1 \"1,2,3\" --b1 \"0,0\"") == 2);
    TT_CONTAINS(out_buf, "--W1 has 3 numbers; this network needs 4");
    TT_CHECK(run_demo(NULL, "trace --output softmax") == 2);
    TT_CONTAINS(out_buf, "softmax needs at least 2 outputs");
    TT_CHECK(run_demo(NULL, "trace --act gelu") == 2);
    TT_CONTAINS(out_buf, "--act is sigmoid, tanh or relu, not 'gelu'");
    TT_CHECK(run_demo(NULL, "trace --x \"1,nan\"") == 2);
    TT_CONTAINS(out_buf, "is not a finite number");
}

/* The step's verdict follows E before and after, and a learning rate
 * that is not a step downhill (0, negative, nan) is refused. */
static void trace_lr(void)
{
    static const char *bad[4] = {"0", "-1", "nan", "inf"};
    for (int k = 0; k < 4; k++) {
        char args[128];
        snprintf(args, sizeof args, "trace --lr %s --out demos-out/trace-lr",
                 bad[k]);
        TT_CHECK(run_demo(NULL, args) == 2);
        char want[128];
        snprintf(want, sizeof want,
                 "tapegrad demo trace: --lr must be a number > 0 and <= 1000 "
                 "(got %s)",
                 bad[k]);
        TT_CONTAINS(out_buf, want);
    }
    TT_CHECK(run_demo(NULL, "trace --lr 1e-300 --out demos-out/trace-lr") ==
             1);
    TT_CONTAINS(out_buf, "E did not change at double precision");
    TT_CHECK(strstr(out_buf, "overshot") == NULL);
    TT_CHECK(strstr(out_buf, "downhill") == NULL);
    TT_CHECK(load_tsv("demos-out/trace-lr/trace.tsv"));
    TT_NEAR(get("E after", 0, 0), get("E", 0, 0), 0);
}

/* -------------------------------------------------------------------- xor */

/* The truth-table row for x1 x2 ends with the network's class and "ok". */
static void xor_truth_table(void)
{
    const char *dir = "demos-out/xor";
    clean(dir);
    char args[256];
    snprintf(args, sizeof args, "xor --fast --out %s", dir);
    TT_CHECK(run_demo(NULL, args) == 0);
    TT_CONTAINS(out_buf, "4/4 (100%)");
    TT_CONTAINS(out_buf, "XOR solved (4/4 right");
    /* the perceptron stalls at 0.25 and gets at most 3 of 4 */
    TT_CONTAINS(out_buf, "after step 2000 (2/4 right).\n  It has flattened "
                         "at 0.25");
    const char *tt = strstr(out_buf, "Truth table");
    TT_CHECK(tt != NULL);
    static const int want[4] = {0, 1, 1, 0};
    static const char *lead[4] = {"   0  0 |", "   0  1 |", "   1  0 |",
                                  "   1  1 |"};
    for (int i = 0; tt && i < 4; i++) {
        const char *row = strstr(tt, lead[i]);
        TT_CHECK(row != NULL);
        if (!row) continue;
        /* "... | 0.010 -> 0 ok" : the last "-> K" is the network's */
        const char *eol = strchr(row, '\n');
        const char *arrow = NULL;
        for (const char *q = row; q < eol; q++)
            if (q[0] == '-' && q[1] == '>') arrow = q;
        TT_CHECK(arrow && arrow[3] - '0' == want[i]);
        double y = arrow ? strtod(arrow - 6, NULL) : NAN;
        TT_CHECK(want[i] ? y > 0.9 : y < 0.1);
    }
    /* the loss log: last perceptron E within 1e-3 of 0.25 */
    char path[256];
    snprintf(path, sizeof path, "%s/xor_loss.tsv", dir);
    FILE *f = fopen(path, "r");
    TT_CHECK(f != NULL);
    double step = 0, ep = 0, en = 0;
    char line[256];
    int rows_seen = 0;
    while (f && fgets(line, sizeof line, f))
        if (line[0] != '#' &&
            sscanf(line, "%lf\t%lf\t%lf", &step, &ep, &en) == 3)
            rows_seen++;
    if (f) fclose(f);
    TT_CHECK(rows_seen == 2000);
    TT_NEAR(ep, 0.25, 1e-3);
    TT_CHECK(en < 0.01);
    TT_CHECK(file_exists(dir, "xor_boundary.gp"));
    TT_CHECK(read_file(dir, "xor_boundary.gp"));
    TT_CONTAINS(file_buf, "set title '2-2-1 network: XOR solved (4/4 right");
    TT_CHECK(file_exists(dir, "xor_grid.tsv"));
    TT_CHECK(file_exists(dir, "xor_graph.dot"));
    if (system("dot -V >/dev/null 2>&1") == 0)
        TT_CHECK(file_exists(dir, "xor_graph.svg"));
    if (have_gnuplot()) {
        TT_CHECK(file_exists(dir, "xor_boundary.svg"));
        TT_CHECK(file_exists(dir, "xor_loss.svg"));
    }
}


/* The network value and class of each "-> K" in a truth-table row: the
 * value printed before it must be on the same side of 0.5 as the class
 * (no "0.500 -> 1"). Returns the number of arrows found. */
static int row_outputs(const char *row, double *y, int *cls)
{
    const char *eol = strchr(row, '\n');
    int n = 0;
    for (const char *q = row; q < eol && n < 2; q++)
        if (q[0] == '-' && q[1] == '>') {
            const char *bar = q;
            while (bar > row && bar[-1] != '|') bar--;
            y[n] = strtod(bar, NULL);
            cls[n] = q[3] - '0';
            n++;
        }
    return n;
}

/* --seed 1 --attempts 1: the 2-2-1 network settles with two points at
 * 0.5 (E = 0.125). The console, both pictures and the exit status must
 * say it was not solved. */
static void xor_stuck_is_not_solved(void)
{
    const char *dir = "demos-out/xor-stuck";
    clean(dir);
    char args[256];
    snprintf(args, sizeof args, "xor --fast --seed 1 --attempts 1 --out %s",
             dir);
    TT_CHECK(run_demo(NULL, args) == 1);
    TT_CONTAINS(out_buf, "stuck in a local minimum (2/4 right, E = 0.125)");
    TT_CHECK(strstr(out_buf, "XOR solved") == NULL);
    TT_CONTAINS(out_buf, "2/4 ( 50%)            2/4 ( 50%)");
    const char *tt = strstr(out_buf, "Truth table");
    TT_CHECK(tt != NULL);
    int near_half = 0, rows = 0;
    for (const char *row = tt; tt && (row = strstr(row, "\n   ")); row++) {
        double y[2];
        int cls[2];
        if (row_outputs(row + 1, y, cls) != 2) continue;
        rows++;
        for (int k = 0; k < 2; k++) TT_CHECK((y[k] > 0.5) == (cls[k] == 1));
        near_half += fabs(y[1] - 0.5) < 0.01;
    }
    TT_CHECK(rows == 4);
    TT_CHECK(near_half == 2); /* E = 0.125: two of four answered 0.5 */
    TT_CHECK(read_file(dir, "xor_boundary.gp"));
    TT_CONTAINS(file_buf, "set title '2-2-1 network: stuck in a local minimum");
    TT_CHECK(strstr(file_buf, "solved") == NULL);
    TT_CHECK(read_file(dir, "xor_loss.gp"));
    TT_CHECK(strstr(file_buf, "solved") == NULL);
    TT_CHECK(read_file(dir, "xor_loss.tsv"));
    const char *last = file_buf + strlen(file_buf) - 2;
    while (last > file_buf && last[-1] != '\n') last--;
    double step, ep, en;
    TT_CHECK(sscanf(last, "%lf\t%lf\t%lf", &step, &ep, &en) == 3);
    TT_NEAR(step, 2000, 0);
    TT_NEAR(en, 0.125, 0.002);
}

/* Without gnuplot and Graphviz the demo still succeeds and leaves the
 * data, the scripts and the DOT file. */
static void without_gnuplot(void)
{
    const char *dir = "demos-out/nognuplot";
    clean(dir);
    char args[256];
    snprintf(args, sizeof args, "xor --fast --out %s", dir);
    TT_CHECK(run_demo("TAPEGRAD_GNUPLOT=none TAPEGRAD_DOT=none", args) == 0);
    TT_CONTAINS(out_buf, "picture not drawn");
    TT_CONTAINS(out_buf, "(Graphviz missing; Debian package graphviz: `dot "
                         "-Tsvg xor_graph.dot -o xor_graph.svg`)");
    TT_CHECK(file_exists(dir, "xor_graph.dot"));
    TT_CHECK(!file_exists(dir, "xor_graph.svg"));
    TT_CHECK(file_exists(dir, "xor_loss.tsv"));
    TT_CHECK(file_exists(dir, "xor_loss.gp"));
    TT_CHECK(!file_exists(dir, "xor_loss.svg"));
}

/* ------------------------------------------------------------ activations */

/* A TSV with a "# a\tb\t..." header: column index of `name`, or -1. */
static int tsv_column(const char *path, const char *name)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    static char line[1 << 16];
    int col = -1;
    if (fgets(line, sizeof line, f) && line[0] == '#') {
        int k = 0;
        for (char *tok = strtok(line + 2, "\t\n"); tok;
             tok = strtok(NULL, "\t\n"), k++)
            if (!strcmp(tok, name)) col = k;
    }
    fclose(f);
    return col;
}

/* Row r (0-based, after the header) of a TSV as numbers; "nan" reads as
 * NaN. Returns the count of fields. */
static int tsv_row(const char *path, int r, double *v, int max)
{
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    static char line[1 << 16];
    int n = 0, i = -1;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') continue;
        if (++i < r) continue;
        char *p = line, *end;
        while (n < max) {
            v[n] = strtod(p, &end);
            if (end == p) break;
            n++;
            p = end;
        }
        break;
    }
    fclose(f);
    return n;
}

static long double phil(long double x) /* standard normal CDF */
{
    return 0.5L * erfcl(-x / sqrtl(2.0L));
}

/* f' from the engine's backward pass against closed forms evaluated here
 * in long double, at every grid point. */
static void activations_derivatives(void)
{
    const char *dir = "demos-out/activations";
    clean(dir);
    char args[256], path[256];
    snprintf(args, sizeof args, "activations --fast --out %s", dir);
    TT_CHECK(run_demo(NULL, args) == 0);
    TT_CONTAINS(out_buf, "Largest disagreement with the difference quotients");
    snprintf(path, sizeof path, "%s/activations.tsv", dir);
    int cs = tsv_column(path, "dsigmoid"), ct = tsv_column(path, "dtanh");
    int cr = tsv_column(path, "drelu"), cg = tsv_column(path, "dgelu");
    int cl = tsv_column(path, "dleaky_relu"), ce = tsv_column(path, "delu");
    int cp = tsv_column(path, "dsoftplus"), cu = tsv_column(path, "dsilu");
    int cgv = tsv_column(path, "gelu");
    TT_CHECK(cs > 0 && ct > 0 && cr > 0 && cg > 0 && cl > 0 && ce > 0 &&
             cp > 0 && cu > 0 && cgv > 0);
    if (cs <= 0 || ct <= 0 || cr <= 0 || cg <= 0 || cl <= 0 || ce <= 0 ||
        cp <= 0 || cu <= 0 || cgv <= 0)
        return;
    static double v[64];
    int rows = 0, bad = 0;
    for (int r = 0;; r++) {
        int n = tsv_row(path, r, v, 64);
        if (n < 33) break;
        rows++;
        long double x = v[0], s = 1 / (1 + expl(-x)), t = tanhl(x);
        long double pdf = expl(-x * x / 2) / sqrtl(2 * 3.14159265358979323846L);
        struct { int col; long double want; } chk[] = {
            {cs, s * (1 - s)},
            {ct, 1 - t * t},
            {cr, x > 0 ? 1 : 0},
            {cl, x > 0 ? 1 : 0.1L},
            {ce, x > 0 ? 1 : expl(x)},
            {cp, s},
            {cu, s * (1 + x * (1 - s))},
            {cg, phil(x) + x * pdf},
            {cgv, x * phil(x)},
        };
        for (size_t k = 0; k < sizeof chk / sizeof chk[0]; k++) {
            double got = v[chk[k].col], want = (double)chk[k].want;
            if (fabs(got - want) > 1e-8 * fmax(1, fabs(want))) {
                if (bad++ < 5)
                    fprintf(stderr, "x = %g, column %d: %.10g, want %.10g\n",
                            v[0], chk[k].col, got, want);
            }
        }
    }
    TT_CHECK(rows == 400);
    TT_CHECK(bad == 0);
    /* |x| and maxout: f' is sign(x), and the slope of the largest of the
     * pieces -x - 0.5, x/4, 1.5x - 1 */
    int ca = tsv_column(path, "dabs"), cm = tsv_column(path, "dmaxout");
    int cmv = tsv_column(path, "maxout");
    TT_CHECK(ca > 0 && cm > 0 && cmv > 0);
    bad = 0;
    for (int r = 0; ca > 0 && cm > 0 && cmv > 0 && r < 400; r++) {
        if (tsv_row(path, r, v, 64) <= cm) break;
        double x = v[0], a[3] = {-1, 0.25, 1.5}, b[3] = {-0.5, 0, -1};
        int best = 0;
        for (int j = 1; j < 3; j++)
            if (a[j] * x + b[j] > a[best] * x + b[best]) best = j;
        bad += v[ca] != (x > 0 ? 1 : -1);
        bad += v[cm] != a[best];
        bad += fabs(v[cmv] - (a[best] * x + b[best])) > 1e-9;
    }
    TT_CHECK(bad == 0);
    /* no panel is cut off at a fixed y range (logsigmoid reaches -4) */
    TT_CHECK(read_file(dir, "activations.gp"));
    TT_CONTAINS(file_buf, "set autoscale y");
    TT_CHECK(strstr(file_buf, "set yrange") == NULL);
    if (have_gnuplot()) TT_CHECK(file_exists(dir, "activations.svg"));
}

/* -------------------------------------------------------------- recurrent */

/* The sentences of `demo recurrent` against the numbers it wrote: each
 * model's ||dL/dh_1|| / ||dL/dh_T|| and its verdict, whether it learns
 * (test MSE below a tenth of 1/6) and the exploding runs. */
static void recurrent_story(void)
{
    const char *dir = "demos-out/recurrent";
    clean(dir);
    char args[256], path[256], want[256];
    snprintf(args, sizeof args, "recurrent --fast --out %s", dir);
    TT_CHECK(run_demo(NULL, args) == 0);
    TT_CONTAINS(out_buf, "recurrent: the adding problem, T = 16 steps");
    snprintf(path, sizeof path, "%s/recurrent_gradnorm.tsv", dir);
    static const char *models[4] = {"rnn", "lstm", "gru", "relu_rnn"};
    static double v[64];
    double ratio[4] = {NAN, NAN, NAN, NAN};
    for (int k = 0; k < 4; k++) {
        char col[32];
        snprintf(col, sizeof col, "%s_init", models[k]);
        int ci = tsv_column(path, col);
        TT_CHECK(ci > 0);
        if (ci <= 0) return;
        double first = NAN, last = NAN;
        int rows = 0;
        for (int r = 0; tsv_row(path, r, v, 64) > ci; r++) {
            TT_NEAR(v[0], r + 1, 0);
            TT_CHECK(v[ci] > 0 && isfinite(v[ci]));
            if (r == 0) first = v[ci];
            last = v[ci];
            rows++;
        }
        TT_CHECK(rows == 16);
        ratio[k] = first / last;
        /* the printed ratio is the one in the file, and so is its verdict */
        const char *verdict = ratio[k] < 1e-2   ? "vanishes on its way to step 1"
                              : ratio[k] > 1e2 ? "explodes on its way to step 1"
                                               : "reaches step 1";
        if (k < 3)
            snprintf(want, sizeof want, "recurrent: %s: at initialisation the "
                     "gradient %s (||dL/dh_1|| / ||dL/dh_T|| = ", models[k],
                     verdict);
        else
            snprintf(want, sizeof want, "the gradient %s (||dL/dh_1|| / "
                     "||dL/dh_T|| = ", verdict);
        const char *at = strstr(out_buf, want);
        TT_CHECK(at != NULL);
        double printed = NAN;
        if (at) sscanf(at + strlen(want), "%lf", &printed);
        TT_NEAR(printed / ratio[k], 1, 5e-3);
        if (k == 3) continue;
        /* after training: the _trained column and its verdict */
        snprintf(col, sizeof col, "%s_trained", models[k]);
        int ct = tsv_column(path, col);
        TT_CHECK(ct > 0);
        if (ct <= 0) continue;
        TT_CHECK(tsv_row(path, 0, v, 64) > ct);
        double t1 = v[ct];
        TT_CHECK(tsv_row(path, 15, v, 64) > ct);
        double tr = t1 / v[ct];
        const char *tv = tr < 1e-2 ? "vanishes on its way to step 1"
                       : tr > 1e2  ? "explodes on its way to step 1"
                                   : "reaches step 1";
        snprintf(want, sizeof want, "), after training it %s (", tv);
        const char *at2 = at ? strstr(at, want) : NULL;
        TT_CHECK(at2 != NULL);
        printed = NAN;
        if (at2) sscanf(at2 + strlen(want), "%lf", &printed);
        TT_NEAR(printed / tr, 1, 5e-3);
    }
    /* large recurrent weights: the gradient reaching step 1 explodes */
    TT_CHECK(ratio[3] > 1e3);
    /* learning verdicts follow the last test MSE of the loss file */
    snprintf(path, sizeof path, "%s/recurrent_loss.tsv", dir);
    int last_row = -1;
    for (int r = 0; tsv_row(path, r, v, 64) == 6; r++) last_row = r;
    TT_CHECK(last_row == 15); /* 150 steps, every 10, and step 0 */
    TT_CHECK(tsv_row(path, last_row, v, 64) == 6);
    TT_NEAR(v[0], 150, 0);
    for (int k = 0; k < 3; k++) {
        bool learns = v[1 + k] < 0.1 / 6;
        snprintf(want, sizeof want, "recurrent: %s: ", models[k]);
        const char *at = strstr(out_buf, want);
        TT_CHECK(at != NULL);
        if (!at) continue;
        const char *nl = strchr(at, '\n');
        char line[512];
        snprintf(line, sizeof line, "%.*s", (int)(nl ? nl - at : 200), at);
        snprintf(want, sizeof want, "; it %s the task (test MSE %.4f, %s a "
                 "tenth", learns ? "learns" : "does not learn", v[1 + k],
                 learns ? "below" : "not below");
        TT_CONTAINS(line, want);
    }
    /* without clipping SGD diverges (the loss column turns nan and the
     * text says at which step); the clipped run stays finite */
    bool nan_seen = false, clip_finite = true;
    double clip_first = NAN, clip_last = NAN;
    for (int r = 0; r <= last_row; r++) {
        tsv_row(path, r, v, 64);
        nan_seen |= isnan(v[4]);
        clip_finite &= isfinite(v[5]);
        if (r == 0) clip_first = v[5];
        clip_last = v[5];
    }
    TT_CHECK(nan_seen);
    TT_CONTAINS(out_buf, "recurrent: exploding, SGD without clipping: "
                         "diverged at step ");
    TT_CHECK(clip_finite);
    snprintf(want, sizeof want, "recurrent: exploding, SGD with clipping to "
             "norm 1: test MSE %.4g after 150 steps", clip_last);
    TT_CONTAINS(out_buf, want);
    /* clipping turned the exploding run into one whose error falls */
    TT_CHECK(clip_last < 0.5 * clip_first);
    if (have_gnuplot()) {
        TT_CHECK(file_exists(dir, "recurrent.svg"));
        TT_CHECK(file_exists(dir, "recurrent_exploding.svg"));
    }
}

/* -------------------------------------------------------------- vanishing */

static void vanishing_story(void)
{
    const char *dir = "demos-out/vanishing";
    clean(dir);
    char args[256], path[256];
    snprintf(args, sizeof args, "vanishing --fast --out %s", dir);
    TT_CHECK(run_demo(NULL, args) == 0);
    TT_CONTAINS(out_buf, "vanishing: in the plain sigmoid + Xavier network");
    snprintf(path, sizeof path, "%s/vanishing_delta.tsv", dir);
    int sig = tsv_column(path, "plain/sigmoid/Xavier");
    int he = tsv_column(path, "plain/relu/He");
    int nrm = tsv_column(path, "plain/relu/N(0,1)");
    int ln = tsv_column(path, "pre-LN/sigmoid/Xavier");
    TT_CHECK(sig > 0 && he > 0 && nrm > 0 && ln > 0);
    if (sig <= 0 || he <= 0 || nrm <= 0 || ln <= 0) return;
    static double v[64];
    double lo = INFINITY, hi = 0, s1 = NAN, h1 = NAN, n1 = NAN, n20 = NAN;
    double ln_lo = INFINITY, ln_hi = 0;
    for (int r = 0; r < 20; r++) {
        TT_CHECK(tsv_row(path, r, v, 64) == 46);
        TT_NEAR(v[0], r + 1, 0);
        lo = fmin(lo, v[he]);
        hi = fmax(hi, v[he]);
        ln_lo = fmin(ln_lo, v[ln]);
        ln_hi = fmax(ln_hi, v[ln]);
        if (r == 0) s1 = v[sig], h1 = v[he], n1 = v[nrm];
        if (r == 19) n20 = v[nrm];
    }
    /* sigmoid's ||δ_1|| is orders of magnitude below ReLU + He's */
    TT_CHECK(s1 < 1e-6 * h1);
    /* ReLU + He stays within one order of magnitude over 20 layers */
    TT_CHECK(hi < 10 * lo);
    /* N(0,1) explodes toward the input */
    TT_CHECK(n1 > 1e6 * n20);
    /* pre-LN: the sigmoid network's δ neither vanishes nor explodes */
    TT_CHECK(ln_hi < 100 * ln_lo);
    /* the same for the weight gradients */
    snprintf(path, sizeof path, "%s/vanishing_gradnorm.tsv", dir);
    TT_CHECK(tsv_row(path, 0, v, 64) == 46);
    TT_CHECK(v[sig] < 1e-6 * v[he]);
    /* dead ReLU fractions are fractions; pre-LN has none at init */
    snprintf(path, sizeof path, "%s/vanishing_dead_relu.tsv", dir);
    FILE *f = fopen(path, "r");
    TT_CHECK(f != NULL);
    char line[256], arch[32], init[32];
    double d0, d1;
    int rows = 0;
    while (f && fgets(line, sizeof line, f)) {
        if (line[0] == '#') continue;
        if (sscanf(line, "%31[^\t]\t%31[^\t]\t%lf\t%lf", arch, init, &d0,
                   &d1) != 4)
            continue;
        rows++;
        TT_CHECK(d0 >= 0 && d0 <= 1);
        if (!strcmp(arch, "pre-LN")) TT_NEAR(d0, 0, 0);
    }
    if (f) fclose(f);
    TT_CHECK(rows == 9);
    if (have_gnuplot()) TT_CHECK(file_exists(dir, "vanishing.svg"));
}


/* The residual sentence follows the run: at lr 0.01 the residual ReLU +
 * He network diverges (its loss column ends in nan); at lr 1e-10 it
 * trains, and the text says that instead. The dead-unit sentence follows
 * the two percentages it prints. */
static void vanishing_text_follows_run(void)
{
    static const char *lrs[2] = {"0.01", "1e-10"};
    for (int k = 0; k < 2; k++) {
        const char *dir = "demos-out/vanishing-text";
        clean(dir);
        char args[256], path[256];
        snprintf(args, sizeof args, "vanishing --fast --lr %s --out %s",
                 lrs[k], dir);
        /* the scripts are what is checked: no need to draw them */
        TT_CHECK(run_demo("TAPEGRAD_GNUPLOT=none", args) == 0);
        snprintf(path, sizeof path, "%s/vanishing_loss.tsv", dir);
        int col = tsv_column(path, "residual/relu/He");
        static double v[64];
        double first = NAN, last = NAN;
        for (int r = 0; col > 0 && tsv_row(path, r, v, 64) == 46; r++) {
            if (r == 0) first = v[col];
            last = v[col];
        }
        TT_CHECK(isfinite(first));
        if (isnan(last)) {
            TT_CONTAINS(out_buf, "SGD at lr 0.01 diverges.");
            TT_CHECK(strstr(out_buf, "trains it all the same") == NULL);
        } else {
            TT_CHECK(last < first);
            TT_CONTAINS(out_buf, "at lr 1e-10 SGD trains it all the same");
            TT_CHECK(strstr(out_buf, "diverges") == NULL);
        }
        TT_CHECK(k == 0 ? isnan(last) : !isnan(last));
        const char *d = strstr(out_buf, "network at initialisation, ");
        TT_CHECK(d != NULL);
        const char *p0 = d;
        while (p0 > out_buf && p0[-1] != '\n') p0--;
        double before = strtod(p0, NULL);
        double after = d ? strtod(d + strlen("network at initialisation, "),
                                  NULL)
                         : NAN;
        if (after < before)
            TT_CONTAINS(out_buf, "some came back");
        else if (after > before)
            TT_CONTAINS(out_buf, "training killed more than it revived");
        else
            TT_CONTAINS(out_buf, "after training: unchanged");
        TT_CHECK(strstr(out_buf, "stay dead") == NULL);
        /* NaN is reported as divergence or overflow, never as a number */
        TT_CHECK(strstr(out_buf, "nan") == NULL);
        TT_CHECK(strstr(out_buf, "inf") == NULL);
        /* every hidden curve is named in its panel's legend */
        TT_CHECK(read_file(dir, "vanishing.gp"));
        TT_CONTAINS(file_buf, "(on top of relu)");
        TT_CHECK(read_file(dir, "vanishing_all.gp"));
        TT_CONTAINS(file_buf, "set xlabel 'layer");
        TT_CONTAINS(file_buf, "set ylabel '||dL/dnet_l||'");
    }
}

/* ----------------------------------------------------------------- approx */

/* The width table: "  units  parameters  final MSE" rows. */
static bool width_row(int units, int *params, double *mse)
{
    char key[64];
    snprintf(key, sizeof key, "\n  %6d  ", units);
    const char *p = strstr(out_buf, key);
    return p && sscanf(p, "%*d %d %lf", params, mse) == 2;
}

/* The sentence about widths must follow the table: "Every added unit
 * lowered the error" exactly when the four MSEs fall, else "Wider was not
 * always better" naming the first pair that does not. The deep/shallow
 * ratio printed is the ratio of the printed errors. */
static void approx_text_follows_table(const double *mse)
{
    static const int widths[4] = {1, 3, 10, 50};
    bool falls = mse[1] < mse[0] && mse[2] < mse[1] && mse[3] < mse[2];
    if (falls) {
        TT_CONTAINS(out_buf, "Every added unit lowered the error");
        TT_CHECK(strstr(out_buf, "Wider was not always better") == NULL);
    } else {
        TT_CHECK(strstr(out_buf, "Every added unit") == NULL);
        int k = -1, j = -1; /* the first wider fit not below a narrower */
        for (int a = 1; a < 4 && k < 0; a++)
            for (int b = 0; b < a; b++)
                if (mse[a] >= mse[b]) {
                    k = a, j = b;
                    break;
                }
        TT_CHECK(k > 0);
        if (k < 0) return;
        char want[160];
        snprintf(want, sizeof want,
                 "Wider was not always better in this run: %d units ended "
                 "at MSE",
                 widths[k]);
        TT_CONTAINS(out_buf, want);
        snprintf(want, sizeof want, "not below %d unit", widths[j]);
        TT_CONTAINS(out_buf, want);
    }
    const char *w = strstr(out_buf, "sin x + sin 4x/2 + sin 9x/4");
    int p1 = 0, p2 = 0;
    double e1 = 0, e2 = 0;
    TT_CHECK(w && sscanf(w, "sin x + sin 4x/2 + sin 9x/4 1 layer of 80 %d "
                            "%lf 4 layers of 8 %d %lf",
                         &p1, &e1, &p2, &e2) == 4);
    TT_CHECK(p1 == 3 * 80 + 1 && p2 == 3 * 8 * 8 + 6 * 8 + 1 && p1 == p2);
    const char *r = strstr(out_buf, "deep network's error is ");
    TT_CHECK(r != NULL);
    if (!r || !(e1 > 0 && e2 > 0)) return;
    double ratio = strtod(r + strlen("deep network's error is "), NULL);
    TT_NEAR(ratio, e1 > e2 ? e1 / e2 : e2 / e1, 0.01 * ratio);
    TT_CONTAINS(r, e1 > e2 ? "times below" : "times above");
}

static void approx_fits(void)
{
    const char *dir = "demos-out/approx";
    clean(dir);
    char args[256], path[256];
    snprintf(args, sizeof args, "approx --fast --out %s", dir);
    TT_CHECK(run_demo(NULL, args) == 0);
    /* one hidden layer of W units has 3W + 1 parameters */
    static const int widths[4] = {1, 3, 10, 50};
    double mse[4] = {0};
    for (int k = 0; k < 4; k++) {
        int params = 0;
        TT_CHECK(width_row(widths[k], &params, &mse[k]));
        TT_CHECK(params == 3 * widths[k] + 1);
    }
    /* a single tanh step cannot follow sin on [-π, π]; 10 or 50 units
     * can */
    TT_CHECK(mse[0] > 0.03);
    TT_CHECK(mse[2] < mse[0] / 100);
    TT_CHECK(mse[3] < 1e-3);
    approx_text_follows_table(mse);
    /* the 50-unit curve lies on sin(x) over the whole plotting grid */
    snprintf(path, sizeof path, "%s/approx_width.tsv", dir);
    static double v[8];
    double worst = 0;
    int rows = 0;
    for (int r = 0; tsv_row(path, r, v, 8) == 6; r++, rows++)
        worst = fmax(worst, fabs(v[5] - sin(v[0])));
    TT_CHECK(rows == 401);
    TT_CHECK(worst < 0.1);
    if (have_gnuplot()) TT_CHECK(file_exists(dir, "approx.svg"));

    /* seed 0 at 3000 steps: 50 units end above 10, and the text says so */
    snprintf(args, sizeof args, "approx --steps 3000 --out %s", dir);
    TT_CHECK(run_demo(NULL, args) == 0);
    for (int k = 0; k < 4; k++) {
        int params = 0;
        TT_CHECK(width_row(widths[k], &params, &mse[k]));
    }
    TT_CHECK(mse[3] > mse[2]);
    approx_text_follows_table(mse);
    TT_CONTAINS(out_buf, "Wider was not always better in this run: 50 units");
}

/* ---------------------------------------------------------------- fashion */

static const char *FASHION_DIR = "/usr/share/datasets/fashion-mnist";
static bool skipped;

/* --fast trains two epochs on 6000 images: well above chance (10%), a
 * confusion matrix that adds up, and a saved model that loads back to
 * the same answers on every test image. */
static bool have_fashion(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/t10k-labels-idx1-ubyte.gz", FASHION_DIR);
    FILE *probe = fopen(path, "rb");
    if (!probe) {
        printf("skipped: %s missing (Debian package dataset-fashion-mnist)\n",
               path);
        skipped = true;
        return false;
    }
    fclose(probe);
    return true;
}

/* The pictures of images and what the demo says about them, against
 * fashion_predictions.tsv and the saved model. */
static const char *FCLASS[10] = {"T-shirt/top", "Trouser", "Pullover",
                                 "Dress",       "Coat",    "Sandal",
                                 "Shirt",       "Sneaker", "Bag",
                                 "Ankle boot"};

static void fashion_images(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/fashion_predictions.tsv", dir);
    FILE *f = fopen(path, "r");
    TT_CHECK(f != NULL);
    if (!f) return;
    static int truth[2000], pred[2000];
    static double conf[2000];
    char line[256];
    int n = 0, right = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') continue;
        int i, t, p;
        double c;
        TT_CHECK(sscanf(line, "%d %d %d %lf", &i, &t, &p, &c) == 4);
        TT_CHECK(i == n && n < 2000);
        if (i != n || n >= 2000) break;
        truth[n] = t, pred[n] = p, conf[n] = c;
        TT_CHECK(c >= 0.1 - 1e-9 && c <= 1); /* the winner of 10 classes */
        right += t == p;
        n++;
    }
    fclose(f);
    TT_CHECK(n == 2000);
    const char *fin = strstr(out_buf, "final test accuracy: ");
    TT_CHECK(fin != NULL);
    if (fin)
        TT_NEAR(strtod(fin + strlen("final test accuracy: "), NULL),
                100.0 * right / 2000, 0.006);
    /* the samples: the first 32 images */
    int first = 0;
    for (int i = 0; i < 32; i++) first += truth[i] == pred[i];
    char want[256];
    snprintf(want, sizeof want, "the first 32 test images: %d predicted "
                                "right", first);
    TT_CONTAINS(out_buf, want);
    /* the most confident mistakes, in order */
    int top[5], wrong = 0, sure = 0;
    for (int k = 0; k < 5; k++) top[k] = -1;
    for (int i = 0; i < 2000; i++) {
        if (truth[i] == pred[i]) continue;
        wrong++;
        sure += conf[i] > 0.99;
        for (int k = 0; k < 5; k++)
            if (top[k] < 0 || conf[i] > conf[top[k]]) {
                memmove(top + k + 1, top + k, sizeof(int) * (size_t)(4 - k));
                top[k] = i;
                break;
            }
    }
    for (int k = 0; k < 5 && top[k] >= 0; k++) {
        snprintf(want, sizeof want, "    %7.3f%%  test image %5d: %s taken "
                                    "for %s\n",
                 100 * conf[top[k]], top[k], FCLASS[truth[top[k]]],
                 FCLASS[pred[top[k]]]);
        TT_CONTAINS(out_buf, want);
    }
    snprintf(want, sizeof want, "%d of the %d mistakes were made with more "
                                "than 99%% confidence.", sure, wrong);
    TT_CONTAINS(out_buf, want);
    /* the sentence about the first layer, from the saved model and the
     * initial weights rebuilt from the same seed */
    tg_graph *g = tg_graph_new();
    tg_rng_seed(tg_graph_rng(g), 0);
    tg_layer *init = tg_nn_mlp(g, TG_F32, 4, (int64_t[]){784, 256, 256, 10},
                               "relu", NULL, TG_INIT_HE_NORMAL, "mlp");
    tg_graph *g2 = tg_graph_new();
    tg_layer *trained = tg_nn_mlp(g2, TG_F32, 4,
                                  (int64_t[]){784, 256, 256, 10}, "relu",
                                  NULL, TG_INIT_HE_NORMAL, "mlp");
    snprintf(path, sizeof path, "%s/fashion-mlp.tgw", dir);
    TT_CHECK(init && trained &&
             tg_load(path, tg_layer_num_state(trained),
                     tg_layer_state(trained), NULL) == TG_OK);
    tg_tensor *W0 = init ? tg_layer_find(init, "mlp.fc0.weight") : NULL;
    tg_tensor *W = trained ? tg_layer_find(trained, "mlp.fc0.weight") : NULL;
    TT_CHECK(W0 && W);
    if (W0 && W) {
        double ss_w = 0, ss_d = 0;
        for (int64_t i = 0; i < W->numel; i++) {
            double w = tg_get(W, i), d = w - tg_get(W0, i);
            ss_w += w * w;
            ss_d += d * d;
        }
        double rw = sqrt(ss_w / (double)W->numel),
               rd = sqrt(ss_d / (double)W->numel);
        const char *m = strstr(out_buf, "Training moved them by rms ");
        TT_CHECK(m != NULL);
        double pd = m ? strtod(m + strlen("Training moved them by rms "), NULL)
                      : 0;
        const char *m2 = m ? strstr(m, "against their rms ") : NULL;
        double pw = m2 ? strtod(m2 + strlen("against their rms "), NULL) : 0;
        TT_NEAR(pd, rd, 0.001 * rd);
        TT_NEAR(pw, rw, 0.001 * rw);
        /* two epochs leave most of the random start in place */
        TT_CHECK(rd < 0.5 * rw);
        TT_CONTAINS(out_buf, "the weights still look like their random "
                             "start, the change shows the shapes.");
    }
    tg_layer_free(init);
    tg_layer_free(trained);
    tg_graph_free(g);
    tg_graph_free(g2);
    /* the weight tiles: 8 x 8 tiles of 28 x 28 (+ gaps), every tile scaled
     * to its largest |value| */
    TT_CHECK(read_file(dir, "fashion_weights.tsv"));
    static double grid[240][240];
    int rows = 0;
    char *q = file_buf;
    while (rows < 240 && *q) {
        for (int x = 0; x < 240; x++) grid[rows][x] = strtod(q, &q);
        while (*q == '\n' || *q == '\t') q++;
        rows++;
    }
    TT_CHECK(rows == 240);
    for (int t = 0; t < 64; t++) {
        double most = 0;
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++)
                most = fmax(most, fabs(grid[(t / 8) * 30 + 2 + y]
                                           [(t % 8) * 30 + x]));
        TT_NEAR(most, 1, 1e-3);
    }
    TT_NEAR(grid[0][0], -1.5, 0); /* the gap */
    if (have_gnuplot()) {
        TT_CHECK(file_exists(dir, "fashion_samples.png"));
        TT_CHECK(file_exists(dir, "fashion_mistakes.png"));
        TT_CHECK(file_exists(dir, "fashion_weights.png"));
    }
    TT_CHECK(read_file(dir, "fashion_samples.gp"));
    TT_CONTAINS(file_buf, "set terminal pngcairo");
}

static void fashion_fast(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/t10k-labels-idx1-ubyte.gz", FASHION_DIR);
    FILE *probe = fopen(path, "rb");
    if (!probe) {
        printf("skipped: %s missing (Debian package dataset-fashion-mnist)\n",
               path);
        skipped = true;
        return;
    }
    fclose(probe);
    const char *dir = "demos-out/fashion";
    clean(dir);
    char args[256];
    snprintf(args, sizeof args, "fashion --fast --out %s", dir);
    TT_CHECK(run_demo(NULL, args) == 0);
    const char *fin = strstr(out_buf, "final test accuracy: ");
    TT_CHECK(fin != NULL);
    double acc = fin ? strtod(fin + strlen("final test accuracy: "), NULL) : 0;
    TT_CHECK(acc > 75 && acc <= 100);
    TT_CONTAINS(out_buf, "its answers match the trained network's on 2000 of "
                         "2000 test images");
    TT_CONTAINS(out_buf, "most common mistake: ");
    /* the confusion matrix counts every test image once; its diagonal is
     * the accuracy */
    snprintf(path, sizeof path, "%s/fashion_confusion.tsv", dir);
    FILE *f = fopen(path, "r");
    TT_CHECK(f != NULL);
    long total = 0, diag = 0, v;
    for (int k = 0; f && k < 100 && fscanf(f, "%ld", &v) == 1; k++) {
        total += v;
        if (k / 10 == k % 10) diag += v;
    }
    if (f) fclose(f);
    TT_CHECK(total == 2000);
    TT_NEAR(100.0 * (double)diag / 2000, acc, 0.006);
    TT_CHECK(file_exists(dir, "fashion-mlp.tgw"));
    /* the train columns say what they are */
    TT_CONTAINS(out_buf, "train columns: averages over the epoch's batches");
    /* the confusion matrix is drawn as cells with their counts, not as a
     * stretched bitmap */
    TT_CHECK(read_file(dir, "fashion_confusion.gp"));
    TT_CONTAINS(file_buf, "with boxxyerror fc palette");
    TT_CONTAINS(file_buf, "with labels");
    TT_CHECK(strstr(file_buf, "with image") == NULL);
    if (have_gnuplot()) {
        TT_CHECK(read_file(dir, "fashion_confusion.svg"));
        TT_CHECK(strstr(file_buf, "<image") == NULL);
        /* one filled cell per (true, predicted) pair */
        int cells = 0;
        for (const char *q = file_buf; (q = strstr(q, "<polygon fill = 'rgb"));
             q++)
            cells++;
        TT_CHECK(cells >= 100);
    }
    snprintf(path, sizeof path, "%s/fashion_epochs.tsv", dir);
    static double row[8];
    TT_CHECK(tsv_row(path, 1, row, 8) == 5); /* the second, last epoch */
    TT_NEAR(row[0], 2, 0);
    TT_NEAR(100 * row[3], acc, 0.006);
    /* sample images, confident mistakes, first-layer weights */
    fashion_images(dir);
    /* a missing data directory is explained, naming the package */
    TT_CHECK(run_demo(NULL, "fashion --fast --data /nonexistent --out "
                            "demos-out/fashion-nodata") == 1);
    TT_CONTAINS(out_buf, "Fashion-MNIST not found: "
                         "/nonexistent/train-images-idx3-ubyte.gz is "
                         "missing.");
    TT_CONTAINS(out_buf, "dataset-fashion-mnist");
}


/* --lr 5 blows up within the first epoch: the demo must say diverged,
 * exit 1, and report no accuracy, no confusion matrix and no mistake. */
static void fashion_diverges(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/t10k-labels-idx1-ubyte.gz", FASHION_DIR);
    FILE *probe = fopen(path, "rb");
    if (!probe) {
        printf("skipped: %s missing\n", path);
        skipped = true;
        return;
    }
    fclose(probe);
    const char *dir = "demos-out/fashion-lr5";
    clean(dir);
    char args[256];
    snprintf(args, sizeof args, "fashion --fast --lr 5 --epochs 1 --out %s",
             dir);
    TT_CHECK(run_demo(NULL, args) == 1);
    TT_CONTAINS(out_buf, "Training diverged in epoch 1, batch ");
    TT_CONTAINS(out_buf, "the loss became nan");
    TT_CHECK(strstr(out_buf, "final test accuracy") == NULL);
    TT_CHECK(strstr(out_buf, "most common mistake") == NULL);
    TT_CHECK(strstr(out_buf, "gnuplot missing") == NULL);
    TT_CHECK(strstr(out_buf, "nan%") == NULL);
    TT_CHECK(!file_exists(dir, "fashion-mlp.tgw"));
}


/* ------------------------------------------------------------------- cnn */

/* The number after `key` in out_buf (NAN when missing). */
static double after(const char *key)
{
    const char *p = strstr(out_buf, key);
    return p ? strtod(p + strlen(key), NULL) : NAN;
}

/* --fast: one epoch on 6000 images, then the MLP for two. The printed
 * accuracy is the confusion matrix's diagonal and the epoch file's last
 * row; the comparison sentence is recomputed from the two accuracies and
 * the error counts from the test set's size. */
static void cnn_fast(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/t10k-labels-idx1-ubyte.gz", FASHION_DIR);
    FILE *probe = fopen(path, "rb");
    if (!probe) {
        printf("skipped: %s missing\n", path);
        skipped = true;
        return;
    }
    fclose(probe);
    const char *dir = "demos-out/cnn";
    clean(dir);
    char args[256];
    /* with the augmentation of --long, so the demo's use of it runs */
    snprintf(args, sizeof args, "cnn --fast --shift 2 --flip --out %s", dir);
    TT_CHECK(run_demo(NULL, args) == 0);
    TT_CONTAINS(out_buf, "model: conv 3x3 1->16, BN, ReLU, max pool 2 | "
                         "conv 3x3 16->32");
    /* the recipe it says it uses: the defaults, --fast changes only the
     * data and the epochs, and the augmentation asked for */
    TT_CONTAINS(out_buf, "dropout 0.1, linear 1568->128, ReLU, dropout "
                         "0.1, linear 128->10");
    TT_CONTAINS(out_buf, "training: AdamW, lr 0.002 (cosine decay to 0), "
                         "weight decay 0.05 on the conv and linear\n  "
                         "weights, batch 128, 1 epoch,");
    TT_CONTAINS(out_buf, "augmentation of the training images (drawn per "
                         "batch from seed 0):\n    shifts by up to 2 px (pad and crop), "
                         "left-right flips of half of them\n");
    double acc = after("final test accuracy: ");
    TT_CHECK(acc > 70 && acc <= 100); /* chance is 10% */
    /* confusion matrix: every test image once, the diagonal is acc */
    snprintf(path, sizeof path, "%s/cnn_confusion.tsv", dir);
    FILE *f = fopen(path, "r");
    TT_CHECK(f != NULL);
    long conf[100] = {0}, total = 0, diag = 0;
    for (int k = 0; f && k < 100 && fscanf(f, "%ld", &conf[k]) == 1; k++) {
        total += conf[k];
        if (k / 10 == k % 10) diag += conf[k];
    }
    if (f) fclose(f);
    TT_CHECK(total == 2000);
    TT_NEAR(100.0 * (double)diag / 2000, acc, 0.006);
    /* the hardest class is the row with the lowest share right */
    int worst = 0;
    double wr = 2;
    for (int t = 0; t < 10; t++) {
        long row = 0;
        for (int p = 0; p < 10; p++) row += conf[t * 10 + p];
        double r = row ? (double)conf[t * 11] / (double)row : 2;
        if (r < wr) wr = r, worst = t;
    }
    static const char *names[10] = {"T-shirt/top", "Trouser", "Pullover",
                                    "Dress", "Coat", "Sandal", "Shirt",
                                    "Sneaker", "Bag", "Ankle boot"};
    char want[128];
    snprintf(want, sizeof want, "hardest class: %s (%.1f%% right)",
             names[worst], 100 * wr);
    TT_CONTAINS(out_buf, want);
    snprintf(path, sizeof path, "%s/cnn_epochs.tsv", dir);
    static double row[8];
    TT_CHECK(tsv_row(path, 0, row, 8) == 5);
    TT_NEAR(row[0], 1, 0);
    TT_NEAR(100 * row[3], acc, 0.006);
    TT_CHECK(row[1] > 0 && row[1] < 2.3); /* below chance's ln 10 */
    /* the MLP comparison, recomputed from the printed accuracies */
    double mlp = after("MLP test accuracy ");
    TT_CHECK(mlp > 50 && mlp <= 100);
    double pts = after("the CNN is ");
    TT_NEAR(pts, fabs(acc - mlp), 0.011);
    TT_CONTAINS(out_buf, acc >= mlp ? "points better than the MLP"
                                    : "points worse than the MLP");
    long cnn_wrong = lround(2000 * (1 - acc / 100));
    long mlp_wrong = lround(2000 * (1 - mlp / 100));
    double gets = after("it gets ");
    double against = after("wrong against the MLP's ");
    TT_NEAR(gets, (double)cnn_wrong, 0);
    TT_NEAR(against, (double)mlp_wrong, 0);
    const char *bp = strstr(out_buf, " of them wrong for both");
    TT_CHECK(bp != NULL);
    if (bp) {
        while (bp > out_buf && bp[-1] != '(') bp--;
        long nb = strtol(bp, NULL, 10);
        /* at least the overlap of the two error sets, at most the smaller */
        TT_CHECK(nb <= (cnn_wrong < mlp_wrong ? cnn_wrong : mlp_wrong));
        TT_CHECK(nb >= cnn_wrong + mlp_wrong - 2000);
    }
    /* the CNN has fewer weights than the MLP: 16*9+16 + 32*16*9+32 + BN
     * 2*(16+32) + 1568*128+128 + 128*10+10, against 269322 */
    long cnn_w = 16 * 9 + 16 + 32 * 16 * 9 + 32 + 2 * (16 + 32) +
                 1568 * 128 + 128 + 1280 + 10;
    snprintf(want, sizeof want, "(%ld weights, PyTorch's default init)",
             cnn_w);
    TT_CONTAINS(out_buf, want);
    snprintf(want, sizeof want, "with %.1fx fewer weights",
             269322.0 / (double)cnn_w);
    TT_CONTAINS(out_buf, want);
    /* the filters: 16 of 3x3, one row per weight */
    snprintf(path, sizeof path, "%s/cnn_filters.tsv", dir);
    f = fopen(path, "r");
    int n_w = 0;
    char line[256];
    while (f && fgets(line, sizeof line, f))
        n_w += line[0] != '#' && line[0] != '\n' && !strstr(line, "NaN");
    if (f) fclose(f);
    TT_CHECK(n_w == 16 * 9);
    /* feature maps: the image (784), 16 maps of 28x28, 32 of 7x7 */
    snprintf(path, sizeof path, "%s/cnn_features.tsv", dir);
    f = fopen(path, "r");
    int n_f = 0;
    while (f && fgets(line, sizeof line, f))
        n_f += line[0] != '#' && line[0] != '\n' && !strstr(line, "NaN");
    if (f) fclose(f);
    TT_CHECK(n_f == 784 + 16 * 784 + 32 * 49);
    TT_CHECK(read_file(dir, "cnn_filters.gp"));
    TT_CONTAINS(file_buf, "with image");
    TT_CHECK(read_file(dir, "cnn_confusion.gp"));
    TT_CONTAINS(file_buf, "with boxxyerror fc palette");
    if (have_gnuplot()) {
        TT_CHECK(file_exists(dir, "cnn_curves.svg"));
        TT_CHECK(file_exists(dir, "cnn_features.svg"));
    }
    /* --long's recipe: the wider network, shifts of 1 px without flips
     * and the same dropout, as the header says (--fast keeps one
     * epoch) */
    snprintf(args, sizeof args, "cnn --fast --long --no-mlp --out %s", dir);
    TT_CHECK(run_demo(NULL, args) == 0);
    TT_CONTAINS(out_buf, "model: conv 3x3 1->24, BN, ReLU, max pool 2 | "
                         "conv 3x3 24->48");
    TT_CONTAINS(out_buf, "dropout 0.1, linear 2352->128, ReLU, dropout "
                         "0.1, linear 128->10");
    long long_w = 24 * 9 + 24 + 48 * 24 * 9 + 48 + 2 * (24 + 48) +
                  2352 * 128 + 128 + 1280 + 10;
    snprintf(want, sizeof want, "(%ld weights, PyTorch's default init)",
             long_w);
    TT_CONTAINS(out_buf, want);
    TT_CONTAINS(out_buf, "augmentation of the training images (drawn per "
                         "batch from seed 0):\n    shifts by up to 1 px "
                         "(pad and crop)\n\n");
    TT_CONTAINS(out_buf, "weights, batch 128, 1 epoch,");
    double long_acc = after("final test accuracy: ");
    TT_CHECK(long_acc > 70 && long_acc <= 100);
    TT_CHECK(strstr(out_buf, "MLP test accuracy") == NULL);
    snprintf(path, sizeof path, "%s/cnn_epochs.tsv", dir);
    TT_CHECK(tsv_row(path, 0, row, 8) == 5);
    TT_NEAR(100 * row[3], long_acc, 0.006);
    /* the recipe's options are checked before any training */
    snprintf(args, sizeof args, "cnn --fast --shift 9 --out %s", dir);
    TT_CHECK(run_demo(NULL, args) == 2);
    TT_CONTAINS(out_buf, "--shift must be an integer in 0..8 (got 9)");
    snprintf(args, sizeof args, "cnn --fast --dropout 1 --out %s", dir);
    TT_CHECK(run_demo(NULL, args) == 2);
    TT_CONTAINS(out_buf, "--dropout must be a number in 0..0.95 (got 1)");
}

/* ------------------------------------------------------------------ unet */

/* Weights of a convolution (or transposed convolution) layer with bias. */
static long conv_weights(long in, long out, long k)
{
    return in * out * k * k + out;
}

/* The U-Net of examples/unet.c at width c, counted here from its layer
 * list: without skips the up-convolutions give 3c and 3c/2 channels. */
static long unet_weights(long c, bool skips)
{
    long u2 = skips ? 2 * c : 3 * c, u1 = skips ? c : 3 * c / 2;
    long d2 = skips ? 4 * c : u2, d1 = skips ? 2 * c : u1;
    return conv_weights(1, c, 3) + conv_weights(c, c, 3) +
           conv_weights(c, 2 * c, 3) + conv_weights(2 * c, 2 * c, 3) +
           conv_weights(2 * c, 4 * c, 3) + conv_weights(4 * c, 4 * c, 3) +
           conv_weights(4 * c, u2, 2) + conv_weights(d2, 2 * c, 3) +
           conv_weights(2 * c, 2 * c, 3) + conv_weights(2 * c, u1, 2) +
           conv_weights(d1, c, 3) + conv_weights(c, c, 3) +
           conv_weights(c, 1, 1);
}

static bool rel_near(double got, double want, double rel)
{
    return fabs(got - want) <= rel * fabs(want);
}

/* --fast: width 4, two epochs of 2000 images, 300 validation images at
 * noise 0.2. The noisy input's error is sigma^2 up to sampling; every
 * printed loss is the last row of the curve file and the mean of the
 * per-image file; each sentence is recomputed from those files; the
 * picture's tiles are the test set's first images (read here) and
 * predictions whose errors are the per-image file's. */
static void unet_fast(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/t10k-images-idx3-ubyte.gz",
             FASHION_DIR);
    FILE *probe = fopen(path, "rb");
    if (!probe) {
        printf("skipped: %s missing\n", path);
        skipped = true;
        return;
    }
    fclose(probe);
    const char *dir = "demos-out/unet";
    clean(dir);
    char args[256];
    snprintf(args, sizeof args, "unet --fast --out %s", dir);
    TT_CHECK(run_demo(NULL, args) == 0);
    const int c = 4, n_val = 300;
    const double sigma = 0.2;
    /* weights, counted independently */
    long ws = unet_weights(c, true), wn = unet_weights(c, false);
    TT_NEAR(after("channels), "), (double)ws, 0);
    TT_NEAR(after("instead, "), (double)wn, 0);
    char want[256];
    snprintf(want, sizeof want, "%ld weights (%.1f%% %s)", wn,
             100.0 * fabs((double)(wn - ws)) / (double)ws,
             wn <= ws ? "fewer" : "more");
    TT_CONTAINS(out_buf, want);
    TT_CHECK(labs(wn - ws) * 50 < ws); /* within 2% of each other */
    /* the per-image errors: noisy input, with skips, without */
    static double err[3][300];
    snprintf(path, sizeof path, "%s/unet_val.tsv", dir);
    double mean[3] = {0, 0, 0};
    long skip_better = 0;
    for (int i = 0; i < n_val; i++) {
        double row[4];
        TT_CHECK(tsv_row(path, i, row, 4) == 4);
        TT_NEAR(row[0], i, 0);
        for (int k = 0; k < 3; k++) {
            err[k][i] = row[k + 1];
            mean[k] += row[k + 1] / n_val;
        }
        skip_better += err[1][i] < err[2][i];
    }
    TT_CHECK(tsv_row(path, n_val, (double[4]){0}, 4) == 0); /* no more */
    /* N(0, sigma^2) noise: the mean squared error of 300 * 784 draws is
     * sigma^2 within a few tenths of a percent (sd sqrt(2 / 235200)) */
    double noisy = after("the noisy input itself: validation MSE ");
    TT_CHECK(rel_near(noisy, sigma * sigma, 0.02));
    TT_CHECK(rel_near(noisy, mean[0], 1e-4));
    /* the curves: the start and four points per epoch; the final
     * validation loss is the per-image file's mean */
    snprintf(path, sizeof path, "%s/unet_curves.tsv", dir);
    static double cv[9][5];
    int n_pts = 0;
    while (n_pts < 9 && tsv_row(path, n_pts, cv[n_pts], 5) == 5) n_pts++;
    TT_CHECK(n_pts == 9);
    TT_NEAR(cv[0][0], 0, 0);
    TT_NEAR(cv[8][0], 2 * (2000 / 32), 0);
    TT_CHECK(isnan(cv[0][1]) && isnan(cv[0][3]));
    double vs = cv[8][2], vn = cv[8][4];
    TT_CHECK(rel_near(vs, mean[1], 1e-5));
    TT_CHECK(rel_near(vn, mean[2], 1e-5));
    const char *p = strstr(out_buf, "with skips      steps");
    TT_CHECK(p != NULL);
    if (p) {
        TT_NEAR(strtod(p + 21, NULL), cv[8][0], 0);
        TT_CHECK(rel_near(strtod(strstr(p, "training MSE ") + 13, NULL),
                          cv[8][1], 1e-3));
        TT_CHECK(rel_near(strtod(strstr(p, "validation MSE ") + 15, NULL),
                          vs, 1e-3));
    }
    p = strstr(out_buf, "without skips   steps");
    TT_CHECK(p != NULL);
    if (p) TT_CHECK(rel_near(strtod(strstr(p, "validation MSE ") + 15, NULL),
                             vn, 1e-3));
    /* the network learned something: both end below where they started,
     * and the one with skips below the noisy input's error */
    TT_CHECK(vs < noisy);
    TT_CHECK(cv[8][2] < cv[0][2] && cv[8][4] < cv[0][4]);
    /* the sentences */
    int lo = vs <= vn ? 0 : 1;
    const char *name[2] = {"with skips", "without skips"};
    double best = lo ? vn : vs, other = lo ? vs : vn;
    snprintf(want, sizeof want, "  %s reached the lower validation MSE: "
                                "%.5f against %.5f, %.2fx lower",
             name[lo], best, other, other / best);
    TT_CONTAINS(out_buf, want);
    long passed = -1;
    for (int i = 0; i < n_pts; i++)
        if (cv[i][lo ? 4 : 2] <= other) {
            passed = lround(cv[i][0]);
            break;
        }
    snprintf(want, sizeof want, "%s was already as good as the other's "
                                "final %.5f after %ld of %ld steps",
             name[lo], other, passed, lround(cv[8][0]));
    TT_CONTAINS(out_buf, want);
    snprintf(want, sizeof want, "with skips the error is lower on %ld of "
                                "the %d validation images",
             skip_better, n_val);
    TT_CONTAINS(out_buf, want);
    for (int k = 0; k < 2; k++) {
        double v = k ? vn : vs;
        snprintf(want, sizeof want, "  %s: %s the noisy input's error",
                 name[k], v < noisy ? "below" : "not below");
        TT_CONTAINS(out_buf, want);
    }
    /* the picture's data: 4 rows of 8 tiles of 28x28 under 9 rows of
     * labels, 2 columns between tiles; row 1 is the test set's first
     * images / 255, the other rows' errors against it are the file's */
    tg_array X = {0};
    snprintf(path, sizeof path, "%s/t10k-images-idx3-ubyte.gz",
             FASHION_DIR);
    TT_CHECK(tg_idx_load(path, &X) == TG_OK);
    snprintf(path, sizeof path, "%s/unet_samples.tsv", dir);
    FILE *f = fopen(path, "r");
    TT_CHECK(f != NULL);
    static float tile[4][8][784];
    int lines = 0, bad = 0;
    static char line[1 << 16];
    while (f && fgets(line, sizeof line, f)) {
        int r = lines / 37, py = lines % 37 - 9;
        char *q = line, *end;
        for (int x = 0; x < 8 * 30 - 2 + 2; x++) {
            double v = strtod(q, &end);
            if (end == q) break;
            q = end;
            int k = x / 30, px = x % 30;
            if (r < 4 && py >= 0 && px < 28 && k < 8)
                tile[r][k][py * 28 + px] = (float)v;
            else
                bad += v != -9;
        }
        lines++;
    }
    if (f) fclose(f);
    TT_CHECK(lines == 4 * 37);
    TT_CHECK(bad == 0);
    double worst = 0;
    for (int k = 0; k < 8 && X.data; k++)
        for (int i = 0; i < 784; i++) {
            double d = fabs(tile[1][k][i] - X.data[k * 784 + i] / 255.0);
            if (d > worst) worst = d;
        }
    TT_CHECK(worst < 1e-6);
    for (int r = 0; r < 4; r++) {
        if (r == 1) continue;
        for (int k = 0; k < 8; k++) {
            double e = 0;
            for (int i = 0; i < 784; i++) {
                double d = (double)tile[r][k][i] - tile[1][k][i];
                e += d * d;
            }
            TT_CHECK(rel_near(e / 784, err[r == 0 ? 0 : r - 1][k], 1e-4));
        }
    }
    tg_array_free(&X);
    TT_CHECK(read_file(dir, "unet_samples.gp"));
    TT_CONTAINS(file_buf, "with image");
    TT_CHECK(read_file(dir, "unet_curves.gp"));
    TT_CONTAINS(file_buf, "the noisy input itself");
    if (have_gnuplot()) {
        TT_CHECK(file_exists(dir, "unet_curves.svg"));
        TT_CHECK(file_exists(dir, "unet_samples.png"));
    }
    /* an odd width has no 3c/2 */
    TT_CHECK(run_demo(NULL, "unet --fast --width 5 --out demos-out/unet5") ==
             2);
    TT_CONTAINS(out_buf, "--width must be even");
}

/* ------------------------------------------------------------- optimizers */

static long double rosen(long double x, long double y)
{
    return (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x);
}
static void rosen_grad(long double x, long double y, long double *gx,
                       long double *gy)
{
    *gx = -2 * (1 - x) - 400 * x * (y - x * x);
    *gy = 200 * (y - x * x);
}

/* Paths against the update rules written out here (SGD, momentum and
 * Adam's first steps on Rosenbrock from the analytic gradient), f along
 * every path against the formula, and the verdict sentences against the
 * table they summarise. */
static void optimizers_paths(void)
{
    const char *dir = "demos-out/optimizers";
    clean(dir);
    char args[256], path[256];
    snprintf(args, sizeof args, "optimizers --fast --out %s", dir);
    TT_CHECK(run_demo(NULL, args) == 0);
    snprintf(path, sizeof path, "%s/optimizers_path_0.tsv", dir);
    static double v[32];
    /* columns: step, (x, y) per optimizer, f per optimizer */
    long double x0 = -1.2L, y0 = 1, gx, gy;
    rosen_grad(x0, y0, &gx, &gy);
    TT_CHECK(tsv_row(path, 0, v, 32) == 19);
    for (int o = 0; o < 6; o++) {
        TT_NEAR(v[1 + 2 * o], -1.2, 0);
        TT_NEAR(v[2 + 2 * o], 1, 0);
    }
    TT_CHECK(tsv_row(path, 1, v, 32) == 19);
    /* SGD, lr 1e-3 */
    TT_NEAR(v[1], (double)(x0 - 1e-3L * gx), 1e-14);
    TT_NEAR(v[2], (double)(y0 - 1e-3L * gy), 1e-14);
    /* Adam's first step is lr * sign(g) (bias-corrected m / sqrt(v)) */
    TT_NEAR(v[9], (double)(x0 + 0.05L), 1e-9);
    TT_NEAR(v[10], (double)(y0 + 0.05L), 1e-9);
    /* momentum, two steps: m1 = -lr g0, m2 = 0.9 m1 - lr g1 */
    long double mx = -1e-3L * gx, my = -1e-3L * gy;
    long double x1 = x0 + mx, y1 = y0 + my;
    rosen_grad(x1, y1, &gx, &gy);
    mx = 0.9L * mx - 1e-3L * gx;
    my = 0.9L * my - 1e-3L * gy;
    TT_CHECK(tsv_row(path, 2, v, 32) == 19);
    TT_NEAR(v[3], (double)(x1 + mx), 1e-13);
    TT_NEAR(v[4], (double)(y1 + my), 1e-13);
    /* f along every path is Rosenbrock's f at the logged point */
    int rows = 0, bad = 0;
    for (int r = 0; tsv_row(path, r, v, 32) == 19; r++, rows++)
        for (int o = 0; o < 6; o++) {
            long double want = rosen(v[1 + 2 * o], v[2 + 2 * o]);
            if (fabsl(v[13 + o] - want) > 1e-12L * fmaxl(1, fabsl(want)))
                bad++;
        }
    TT_CHECK(rows == 301);
    TT_CHECK(bad == 0);

    /* each landscape's verdict names the smallest "step N" of its table */
    const char *p = out_buf;
    for (int fn = 0; fn < 3; fn++) {
        const char *tab = strstr(p, "first f - f* < 1e-3\n");
        TT_CHECK(tab != NULL);
        if (!tab) return;
        int best = -1, n_reached = 0;
        char best_name[16] = "";
        const char *row = strchr(tab, '\n') + 1;
        for (int o = 0; o < 6; o++) {
            char name[16];
            const char *eol = strchr(row, '\n');
            TT_CHECK(sscanf(row, " %15s", name) == 1);
            const char *st = strstr(row, "step ");
            if (st && st < eol) {
                int k = atoi(st + 5);
                n_reached++;
                if (best < 0 || k < best) {
                    best = k;
                    snprintf(best_name, sizeof best_name, "%s", name);
                }
            }
            row = eol + 1;
        }
        char want[96];
        if (n_reached) {
            snprintf(want, sizeof want,
                     "First within 1e-3 of the minimum: %s, at step %d.",
                     best_name, best);
            TT_CONTAINS(row, want);
        } else {
            TT_CONTAINS(row, "None came within 1e-3");
        }
        p = row;
    }
    TT_CHECK(read_file(dir, "optimizers.gp"));
    TT_CONTAINS(file_buf, "set contour base");
    if (have_gnuplot()) TT_CHECK(file_exists(dir, "optimizers.svg"));
}

/* Five times the learning rates: momentum and Nesterov leave Rosenbrock's
 * valley. The table and the sentence say diverged; no NaN is printed. */
static void optimizers_diverge(void)
{
    const char *dir = "demos-out/optimizers-div";
    clean(dir);
    char args[256];
    snprintf(args, sizeof args, "optimizers --fast --lr-scale 5 --out %s",
             dir);
    TT_CHECK(run_demo("TAPEGRAD_GNUPLOT=none", args) == 0);
    TT_CONTAINS(out_buf, "  momentum     0.005      diverged");
    TT_CONTAINS(out_buf, "Diverged (f or the position became NaN, Inf or "
                         "> 1e6): momentum, Nesterov.");
    TT_CHECK(strstr(out_buf, "nan") == NULL);
    TT_CHECK(run_demo(NULL, "optimizers --lr-scale 0") == 2);
    TT_CONTAINS(out_buf, "--lr-scale must be a number > 0");
}


/* -------------------------------------------------------------- batchnorm */

/* The sentences under the table follow the table; the running statistics
 * start at PyTorch's 0 and 1; the largest train/eval logit difference is
 * the one in batchnorm_modes.tsv; a batch of one is refused in train mode
 * with the library's message and works in eval mode. */
static void batchnorm_story(void)
{
    const char *dir = "demos-out/batchnorm";
    clean(dir);
    char args[256], path[256];
    snprintf(args, sizeof args, "batchnorm --fast --out %s", dir);
    TT_CHECK(run_demo(NULL, args) == 0);
    static const char *lr[3] = {"0.003", "0.03", "0.3"};
    double loss[3][2];
    int bn_lower = 0;
    for (int l = 0; l < 3; l++)
        for (int b = 0; b < 2; b++) {
            char key[64];
            snprintf(key, sizeof key, "\n  %-7s  %-12s  ", lr[l],
                     b ? "batch norm" : "plain");
            const char *row = strstr(out_buf, key);
            TT_CHECK(row != NULL);
            loss[l][b] = NAN;
            if (row && strncmp(row + strlen(key), "        diverged", 16))
                loss[l][b] = strtod(row + strlen(key), NULL);
        }
    for (int l = 0; l < 3; l++) {
        bn_lower += isfinite(loss[l][1]) &&
                    (!isfinite(loss[l][0]) || loss[l][1] < loss[l][0]);
        for (int b = 0; b < 2; b++) {
            char want[128];
            snprintf(want, sizeof want,
                     "At lr %s the %s network did not get past chance", lr[l],
                     b ? "batch-norm" : "plain");
            bool chance = isfinite(loss[l][b]) && loss[l][b] > 0.95 * log(4);
            TT_CHECK((strstr(out_buf, want) != NULL) == chance);
        }
    }
    char want[128];
    snprintf(want, sizeof want, "lower at %d of the 3 learning rates",
             bn_lower);
    TT_CONTAINS(out_buf, want);
    TT_CHECK(bn_lower >= 2); /* batch norm helps this deep ReLU MLP */
    TT_CHECK(strstr(out_buf, "nan") == NULL);

    /* running statistics start at 0 and 1 */
    snprintf(path, sizeof path, "%s/batchnorm_running.tsv", dir);
    static double v[32];
    TT_CHECK(tsv_row(path, 0, v, 32) == 17);
    for (int ch = 0; ch < 4; ch++) {
        TT_NEAR(v[1 + ch], 0, 0);
        TT_NEAR(v[5 + ch], 1, 0);
    }
    const char *wm = strstr(out_buf, "|running mean - data mean|: ");
    const char *wv = strstr(out_buf, "|running var - data var|:   ");
    TT_CHECK(wm && wv);
    if (wm && wv) {
        double m = strtod(wm + 28, NULL), var = strtod(wv + 28, NULL) / 100;
        TT_CHECK((strstr(out_buf, "They have converged") != NULL) ==
                 (m < 0.15 && var < 0.15));
    }

    /* train vs eval: the printed largest difference is the TSV's */
    snprintf(path, sizeof path, "%s/batchnorm_modes.tsv", dir);
    double dmax = 0;
    int rows = 0;
    for (int r = 0; tsv_row(path, r, v, 32) == 2; r++, rows++)
        dmax = fmax(dmax, fabs(v[0] - v[1]));
    TT_CHECK(rows == 1024 * 4);
    static const char dkey[] = "largest difference of a logit: ";
    const char *d = strstr(out_buf, dkey);
    TT_CHECK(d != NULL);
    if (d) TT_NEAR(strtod(d + strlen(dkey), NULL), dmax, 0.01 * dmax + 1e-5);
    TT_CHECK(dmax > 0); /* batch statistics are not the running ones */

    /* batch of one */
    TT_CONTAINS(out_buf, "One test point alone, in train mode: refused.");
    TT_CONTAINS(out_buf, "expected more than 1 value per channel when "
                         "training");
    TT_CONTAINS(out_buf, "in eval mode an output does not depend on its "
                         "batch");
    if (have_gnuplot()) TT_CHECK(file_exists(dir, "batchnorm.svg"));
}


/* ---------------------------------------------------------------- regions */

/* The hand-made folding network has exactly 4^L regions on the grid; no
 * random shallow network exceeds the line-arrangement bound; the verdict
 * follows the counts; the picture's data holds the printed counts. */
static void regions_counts(void)
{
    const char *dir = "demos-out/regions";
    clean(dir);
    char args[256], path[256];
    snprintf(args, sizeof args, "regions --fast --out %s", dir);
    TT_CHECK(run_demo(NULL, args) == 0);
    const char *p = strstr(out_buf, "deep, folding by hand: 2 -> 4 x L -> 1");
    int params = 0, fold = 0, W = 0, bound = 0, smax = 0, dmax = 0;
    TT_CHECK(p && sscanf(p, "deep, folding by hand: 2 -> 4 x L -> 1 %d %d",
                         &params, &fold) == 2);
    TT_CHECK(fold == 256); /* --fast: 4 layers, 4^4 squares */
    TT_CHECK(params == 2 * 4 + 4 + 3 * 20 + 5);
    p = strstr(out_buf, "deep, same architecture, random (He)");
    double dmean = 0, smean = 0;
    TT_CHECK(p && sscanf(p, "deep, same architecture, random (He) %*d %lf "
                            "mean, %d most",
                         &dmean, &dmax) == 2);
    p = strstr(out_buf, "shallow, 2 -> ");
    TT_CHECK(p && sscanf(p, "shallow, 2 -> %d -> 1, random (He) %*d %lf "
                            "mean, %d most",
                         &W, &smean, &smax) == 3);
    TT_CHECK(4 * W + 1 <= params && params < 4 * (W + 1) + 1);
    p = strstr(out_buf, "at best");
    TT_CHECK(p && sscanf(p, "at best %*d %d", &bound) == 1);
    TT_CHECK(bound == 1 + W + W * (W - 1) / 2);
    TT_CHECK(smax <= bound);
    TT_CHECK(dmax <= fold);
    if (fold > bound) {
        char want[128];
        snprintf(want, sizeof want, "Folding 4 times gives the deep network "
                                    "256 regions");
        TT_CONTAINS(out_buf, want);
    } else {
        TT_CONTAINS(out_buf, "depth pays only from more layers on");
    }
    TT_CONTAINS(out_buf, dmean < smean ? "fewer than the random shallow"
                                       : "not fewer than the random shallow");
    /* the region map of the folding network has 256 ids */
    snprintf(path, sizeof path, "%s/regions_grid.tsv", dir);
    int max_id = -1, rows = 0;
    FILE *f = fopen(path, "r");
    TT_CHECK(f != NULL);
    char line[256];
    while (f && fgets(line, sizeof line, f)) {
        double x, y, id0;
        if (line[0] == '#' ||
            sscanf(line, "%lf\t%lf\t%lf", &x, &y, &id0) != 3)
            continue; /* the comment, and gnuplot's blank scan-line breaks */
        rows++;
        if (id0 > max_id) max_id = (int)id0;
    }
    if (f) fclose(f);
    TT_CHECK(rows == 256 * 256);
    TT_CHECK(max_id == 255);
    if (have_gnuplot()) TT_CHECK(file_exists(dir, "regions.svg"));
}


/* --------------------------------------------------------- regularization */

/* The sentences follow the table: the lowest final test loss is named, and the
 * unregularized run's "memorised" sentence appears exactly when its test
 * loss ends 5% above its lowest point in the loss file. */
static void regularization_story(void)
{
    const char *dir = "demos-out/regularization";
    clean(dir);
    char args[256], path[256];
    snprintf(args, sizeof args, "regularization --fast --out %s", dir);
    TT_CHECK(run_demo(NULL, args) == 0);
    static const char *name[4] = {"none", "weight decay", "dropout", "both"};
    double test[4], train[4], rms[4];
    for (int k = 0; k < 4; k++) {
        char key[64];
        snprintf(key, sizeof key, "\n  %-13s ", name[k]);
        const char *row = strstr(out_buf, key);
        TT_CHECK(row && sscanf(row + strlen(key), "%lf %lf %*f %*f%% %*f %lf",
                               &train[k], &test[k], &rms[k]) == 3);
    }
    int best = 0;
    for (int k = 1; k < 4; k++)
        if (test[k] < test[best]) best = k;
    char want[128];
    snprintf(want, sizeof want, "Lowest final test loss: %s (", name[best]);
    TT_CONTAINS(out_buf, want);
    /* weight decay shrinks the first layer's weights */
    TT_CHECK(rms[1] < rms[0]);
    /* the loss file: the last row is the table's; "memorised" iff the
     * test loss of "none" ends 5% above its minimum */
    snprintf(path, sizeof path, "%s/regularization_loss.tsv", dir);
    static double v[16];
    double lo = INFINITY, last_test = NAN, last_train = NAN;
    int rows = 0;
    for (int r = 0; tsv_row(path, r, v, 16) == 9; r++, rows++) {
        lo = fmin(lo, v[2]);
        last_train = v[1];
        last_test = v[2];
    }
    TT_CHECK(rows == 31);
    TT_NEAR(last_test, test[0], 1e-4);
    TT_NEAR(last_train, train[0], 1e-4);
    bool memorised = last_test > lo * 1.05;
    TT_CHECK((strstr(out_buf, "the network memorised") != NULL) == memorised);
    TT_CHECK(strstr(out_buf, "nan") == NULL);
    /* each weight histogram counts the 16 x 128 first-layer weights that
     * fall in [-1, 1] */
    snprintf(path, sizeof path, "%s/regularization_weights.tsv", dir);
    double total[4] = {0};
    for (int r = 0; tsv_row(path, r, v, 16) == 5; r++)
        for (int k = 0; k < 4; k++) total[k] += v[1 + k];
    for (int k = 0; k < 4; k++) TT_CHECK(total[k] > 0 && total[k] <= 2048);
    if (have_gnuplot()) TT_CHECK(file_exists(dir, "regularization.svg"));
}

/* --------------------------------------------------------------- tutorial */

static const char *tutorial_exe, *tutorial_src;

/* The program shown in docs/tutorial.md: under 40 lines, it learns the
 * circle, reports its test accuracy and draws its graph. */
static void tutorial_program(void)
{
    TT_CHECK(tutorial_exe && tutorial_src);
    if (!tutorial_exe || !tutorial_src) return;
    FILE *src = fopen(tutorial_src, "r");
    TT_CHECK(src != NULL);
    int lines = 0;
    for (int ch; src && (ch = fgetc(src)) != EOF;) lines += ch == '\n';
    if (src) fclose(src);
    TT_CHECK(lines > 20 && lines < 40);

    const char *dir = "demos-out/tutorial";
    clean(dir);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "mkdir -p %s && cd %s && '%s%s' 2>&1", dir, dir,
             tutorial_exe[0] == '/' ? "" : "../../", tutorial_exe);
    FILE *p = popen(cmd, "r");
    TT_CHECK(p != NULL);
    if (!p) return;
    size_t n = fread(out_buf, 1, sizeof out_buf - 1, p);
    out_buf[n] = 0;
    TT_CHECK(pclose(p) == 0);
    double loss[4] = {0};
    for (int k = 0; k < 4; k++) {
        char key[32];
        snprintf(key, sizeof key, "step %3d  loss ", 50 * (k + 1));
        const char *q = strstr(out_buf, key);
        TT_CHECK(q != NULL);
        loss[k] = q ? strtod(q + strlen(key), NULL) : NAN;
    }
    TT_CHECK(loss[3] < loss[2] && loss[2] < loss[1] && loss[1] < loss[0]);
    TT_CHECK(loss[3] < 0.2);
    const char *acc = strstr(out_buf, "test accuracy ");
    TT_CHECK(acc && strtod(acc + strlen("test accuracy "), NULL) >= 95);
    TT_CHECK(strstr(out_buf, "error:") == NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/mlp.dot", dir);
    FILE *f = fopen(path, "r");
    TT_CHECK(f != NULL);
    static char dot[1 << 16];
    size_t m = f ? fread(dot, 1, sizeof dot - 1, f) : 0;
    dot[m] = 0;
    if (f) fclose(f);
    TT_CONTAINS(dot, "digraph");
    TT_CONTAINS(dot, "mlp.fc0.weight (param)");
    TT_CONTAINS(dot, "cross_entropy");
}

/* -------------------------------------------------------------- layernorm */

static void layernorm_story(void)
{
    const char *dir = "demos-out/layernorm";
    clean(dir);
    TT_CHECK(run_demo(NULL, "layernorm --fast --out demos-out/layernorm") == 0);
    /* gradient norms: depths 2, 6, 12, 24, one row per block */
    char path[512];
    snprintf(path, sizeof path, "%s/layernorm_grad.tsv", dir);
    static const int D[4] = {2, 6, 12, 24};
    double first[4][3], last[4][3];
    int r = 0;
    for (int d = 0; d < 4; d++)
        for (int b = 0; b < D[d]; b++, r++) {
            double v[6];
            TT_CHECK(tsv_row(path, r, v, 6) == 5);
            TT_NEAR(v[0], D[d], 0);
            TT_NEAR(v[1], b + 1, 0);
            for (int k = 0; k < 3; k++) {
                TT_CHECK(v[2 + k] > 0 && isfinite(v[2 + k]));
                if (b == 0) first[d][k] = v[2 + k];
                if (b == D[d] - 1) last[d][k] = v[2 + k];
            }
        }
    double v[8];
    TT_CHECK(tsv_row(path, r, v, 6) == 0);
    /* the table prints first / last per depth and variant */
    for (int d = 0; d < 4; d++) {
        char row[160];
        snprintf(row, sizeof row, "\n%-8d %16.3g %16.3g %16.3g\n", D[d],
                 first[d][0] / last[d][0], first[d][1] / last[d][1],
                 first[d][2] / last[d][2]);
        TT_CONTAINS(out_buf, row);
    }
    char want[512];
    snprintf(want, sizeof want,
             "With 24 blocks, post-LN's gradient at the first block is %.3g "
             "times its gradient at the last; pre-LN's %.3g times; without "
             "norms %.3g times.",
             first[3][0] / last[3][0], first[3][1] / last[3][1],
             first[3][2] / last[3][2]);
    TT_CONTAINS(out_buf, want);
    /* training: 20 logged points of 120 steps, the last one the table's */
    snprintf(path, sizeof path, "%s/layernorm_loss.tsv", dir);
    TT_CHECK(tsv_row(path, 19, v, 8) == 7);
    TT_NEAR(v[0], 120, 0);
    TT_CHECK(tsv_row(path, 20, v, 8) == 0);
    static const char *NAME[3] = {"post-LN", "pre-LN", "no norm"};
    int best = 0;
    for (int k = 0; k < 3; k++) {
        double a = v[1 + 2 * k], b = v[2 + 2 * k];
        char row[160], ta[32], tb[32];
        if (isfinite(a)) snprintf(ta, sizeof ta, "%14.4f", a);
        else snprintf(ta, sizeof ta, "%14s", "diverged");
        if (isfinite(b)) snprintf(tb, sizeof tb, "%14.4f", b);
        else snprintf(tb, sizeof tb, "%14s", "diverged");
        snprintf(row, sizeof row, "%-8s %s %s\n", NAME[k], ta, tb);
        TT_CONTAINS(out_buf, row);
        if (isfinite(a) && isfinite(b)) {
            snprintf(want, sizeof want,
                     "%s: warmup %s the final loss by %.3f (%.4f without, "
                     "%.4f with).",
                     NAME[k], a - b > 0 ? "lowers" : "raises", fabs(a - b), a,
                     b);
            TT_CONTAINS(out_buf, want);
        }
        if (v[1 + 2 * k] < v[1 + 2 * best]) best = k;
    }
    /* pre-LN learns the task at this learning rate (ln 10 = 2.30 is
     * guessing) */
    TT_CHECK(v[3] < 0.5 && v[4] < 0.5);
    snprintf(want, sizeof want, "Without warmup the lowest training loss is "
                                "%s's.", NAME[best]);
    TT_CONTAINS(out_buf, want);
    TT_CHECK(file_exists(dir, "layernorm.gp"));
    if (have_gnuplot()) TT_CHECK(file_exists(dir, "layernorm.svg"));
    TT_CHECK(strstr(out_buf, "-nan") == NULL);
    TT_CHECK(run_demo(NULL, "layernorm --depth 25") == 2);
}

/* ------------------------------------------------------------------ names */

#define WORDS "/usr/share/dict/words"

/* The demo's procedure redone here: the words of a-z only (shorter than
 * 32), shuffled with tg_rng by the same Fisher-Yates walk, the last tenth
 * for validation; add-one bigram counts over the training examples; the
 * validation loss and argmax accuracy in long double. */
static void names_story(void)
{
    FILE *f = fopen(WORDS, "r");
    if (!f) {
        printf("skipped: %s missing (Debian package wamerican)\n", WORDS);
        skipped = true;
        return;
    }
    static char text[4 << 20];
    static char *w[200000];
    long long n = 0, lines = 0, used = 0;
    char line[256];
    while (fgets(line, sizeof line, f) && n < 200000) {
        size_t len = strcspn(line, "\r\n");
        lines++;
        bool ok = len > 0 && len < 32;
        for (size_t i = 0; ok && i < len; i++) ok = line[i] >= 'a' && line[i] <= 'z';
        if (!ok || used + (long long)len + 1 > (long long)sizeof text) continue;
        memcpy(text + used, line, len);
        text[used + (long long)len] = 0;
        w[n++] = text + used;
        used += (long long)len + 1;
    }
    fclose(f);
    tg_rng r;
    tg_rng_seed(&r, 0);
    for (long long i = n - 1; i > 0; i--) {
        long long j = (long long)(tg_rng_uniform(&r) * (double)(i + 1));
        char *t = w[i];
        w[i] = w[j];
        w[j] = t;
    }
    long long ntr = n - n / 10, ch_tr = 0, ch_va = 0;
    static long double cnt[27][27];
    for (int a = 0; a < 27; a++)
        for (int b = 0; b < 27; b++) cnt[a][b] = 1;
    for (long long i = 0; i < n; i++) {
        int prev = 0;
        for (const char *p = w[i];; p++) {
            int c = *p ? *p - 'a' + 1 : 0;
            if (i < ntr) cnt[prev][c] += 1, ch_tr++;
            else ch_va++;
            if (!*p) break;
            prev = c;
        }
    }
    long double loss = 0;
    long long right = 0;
    for (long long i = ntr; i < n; i++) {
        int prev = 0;
        for (const char *p = w[i];; p++) {
            int c = *p ? *p - 'a' + 1 : 0;
            long double s = 0;
            int best = 0;
            for (int b = 0; b < 27; b++) {
                s += cnt[prev][b];
                if (cnt[prev][b] > cnt[prev][best]) best = b;
            }
            loss -= logl(cnt[prev][c] / s);
            right += best == c;
            if (!*p) break;
            prev = c;
        }
    }
    double bigram_val = (double)(loss / ch_va);
    double bigram_acc = (double)right / (double)ch_va;

    const char *dir = "demos-out/names";
    clean(dir);
    TT_CHECK(run_demo(NULL, "names --fast --out demos-out/names") == 0);
    char want[512];
    snprintf(want, sizeof want,
             "%lld words of the letters a-z only (of %lld lines in %s): "
             "%lld for training (%lld characters), %lld for validation "
             "(%lld characters)",
             n, lines, WORDS, ntr, ch_tr, n - ntr, ch_va);
    TT_CONTAINS(out_buf, want);
    /* names.tsv: bigram, mlp, lstm and transformer rows */
    TT_CHECK(read_file(dir, "names.tsv"));
    double v[4][5];
    char nm[4][16];
    const char *row = strchr(file_buf, '\n');
    for (int i = 0; i < 4; i++) {
        TT_CHECK(row && sscanf(row + 1, "%15s %lf %lf %lf %lf %lf", nm[i],
                               &v[i][0], &v[i][1], &v[i][2], &v[i][3],
                               &v[i][4]) == 6);
        row = row ? strchr(row + 1, '\n') : NULL;
    }
    TT_STREQ(nm[0], "bigram");
    TT_STREQ(nm[1], "mlp");
    TT_STREQ(nm[2], "lstm");
    TT_STREQ(nm[3], "transformer");
    /* 150 steps of the sequence models: well below uniform guessing */
    for (int i = 2; i < 4; i++) TT_CHECK(v[i][0] < 2.8 && v[i][1] > 0.15);
    /* LSTM: embedding 27x16, 4 gates of 128 over 16 + 128 inputs with two
     * biases, head 128x27 + 27 */
    TT_NEAR(v[2][4], 27 * 16 + 4 * 128 * (16 + 128 + 2) + 128 * 27 + 27, 0);
    /* transformer: embedding 27x64, positions 33x64, two blocks (in_proj
     * 3E x E + 3E, out_proj E x E + E, two norms 4E, FF 4E x E + 4E and
     * E x 4E + E), final norm 2E, head 64x27 + 27 */
    {
        double E = 64, blk = 3 * E * E + 3 * E + E * E + E + 4 * E +
                             4 * E * E + 4 * E + 4 * E * E + E;
        TT_NEAR(v[3][4], 27 * E + 33 * E + 2 * blk + 2 * E + E * 27 + 27, 0);
    }
    TT_NEAR(v[0][0], bigram_val, 1e-6);
    TT_NEAR(v[0][1], bigram_acc, 1e-6);
    TT_NEAR(v[0][4], 27 * 27, 0);
    TT_NEAR(v[1][4], 27 * 10 + 3 * 10 * 200 + 200 + 200 * 27 + 27, 0);
    /* 1500 Adam steps already beat the counts */
    TT_CHECK(v[1][0] < bigram_val - 0.1);
    TT_CHECK(v[1][1] > bigram_acc);
    /* the sentences come from those figures */
    snprintf(want, sizeof want, "counting pairs brings it to %.2f.",
             v[0][0]);
    TT_CONTAINS(out_buf, want);
    snprintf(want, sizeof want,
             "Seeing 3 characters instead of one lowers the validation loss "
             "from %.2f to %.2f nats per character (by %.2f).",
             v[0][0], v[1][0], v[0][0] - v[1][0]);
    TT_CONTAINS(out_buf, want);
    snprintf(want, sizeof want,
             "The MLP names the next character right %.1f%% of the time "
             "(argmax), the bigram %.1f%%.",
             100 * v[1][1], 100 * v[0][1]);
    TT_CONTAINS(out_buf, want);
    int best = 1;
    for (int i = 2; i < 4; i++)
        if (v[i][0] < v[best][0]) best = i;
    snprintf(want, sizeof want,
             "Reading the whole word so far, the LSTM reaches %.2f and the "
             "transformer %.2f nats per character; the lowest validation "
             "loss is the %s's (%.2f).",
             v[2][0], v[3][0], nm[best], v[best][0]);
    TT_CONTAINS(out_buf, want);
    /* the attention of one word: causal rows of weights that sum to 1,
     * and the sentence's share on the diagonal */
    TT_CHECK(read_file(dir, "names_attention.tsv"));
    char aw[64] = "";
    TT_CHECK(sscanf(file_buf, "# word %63[a-z]", aw) == 1);
    int T = (int)strlen(aw) + 1;
    TT_CHECK(T >= 7 && T <= 13);
    const char *q = strchr(file_buf, '\n');
    double diag = 0;
    for (int i = 0; i < T && q; i++) {
        double sum = 0;
        for (int j = 0; j < T; j++) {
            char *end;
            double a = strtod(q + 1, &end);
            TT_CHECK(end != q + 1);
            TT_CHECK(a >= 0 && a <= 1);
            if (j > i) TT_CHECK(a == 0);
            if (j == i) diag += a;
            sum += a;
            q = end;
        }
        TT_NEAR(sum, 1, 1e-5);
        q = strchr(q, '\n');
    }
    snprintf(want, sizeof want,
             "predicting each letter of '%s', the heads put on average "
             "%.0f%% of their attention on the character just read.",
             aw, 100 * diag / T);
    TT_CONTAINS(out_buf, want);
    /* ten sampled words per model, letters only */
    TT_CHECK(read_file(dir, "names_samples.txt"));
    const char *p = file_buf;
    for (int m = 0; m < 4; m++) {
        TT_CHECK(strncmp(p, nm[m], strlen(nm[m])) == 0 &&
                 p[strlen(nm[m])] == ':');
        p = strchr(p, ':');
        if (p) p++; /* each word follows one space */
        int words = 0;
        while (p && *p && *p != '\n') {
            p++; /* the space before a word */
            size_t len = strspn(p, "abcdefghijklmnopqrstuvwxyz");
            TT_CHECK(len <= 32 && (p[len] == ' ' || p[len] == '\n'));
            words++;
            p += len;
        }
        TT_CHECK(words == 10);
        if (p && *p) p++;
    }
    /* the curve: 20 points, the last one the reported validation loss */
    double cv[3];
    char path[512];
    snprintf(path, sizeof path, "%s/names_curve.tsv", dir);
    TT_CHECK(tsv_row(path, 20, cv, 3) == 3);
    TT_NEAR(cv[0], 1500, 0);
    TT_NEAR(cv[2], v[1][0], 1e-6);
    /* the sequence models' curves end at step 150 */
    snprintf(path, sizeof path, "%s/names_curve_lstm.tsv", dir);
    TT_CHECK(tsv_row(path, 19, cv, 3) == 3);
    TT_NEAR(cv[0], 150, 0);
    TT_CHECK(tsv_row(path, 20, cv, 3) == 0);
    snprintf(path, sizeof path, "%s/names_curve_transformer.tsv", dir);
    TT_CHECK(tsv_row(path, 19, cv, 3) == 3);
    TT_NEAR(cv[0], 150, 0);
    TT_CHECK(file_exists(dir, "names_attention.gp"));
    TT_CHECK(file_exists(dir, "names.gp"));
    if (have_gnuplot()) TT_CHECK(file_exists(dir, "names.svg"));
    /* a missing word list names the package */
    TT_CHECK(run_demo(NULL, "names --fast --words /nonexistent/words "
                            "--out demos-out/names") == 1);
    TT_CONTAINS(out_buf, "tapegrad demo names: cannot read the word list "
                         "/nonexistent/words; it comes with Debian's "
                         "wamerican package");
}

/* --------------------------------------------------------------- transfer */

/* "%.1f" of an accuracy, as the demo prints it */
static double pct1(double acc) { return round(1000 * acc) / 10; }

static void transfer_story(void)
{
    if (!have_fashion()) return;
    const char *dir = "demos-out/transfer";
    clean(dir);
    TT_CHECK(run_demo(NULL, "transfer --fast --out demos-out/transfer") == 0);
    const char *pre = strstr(out_buf, "pretrained: ");
    TT_CHECK(pre != NULL);
    TT_CHECK(pre && strtod(pre + strlen("pretrained: "), NULL) > 80);
    /* the table is transfer.tsv, rounded */
    static const int N[3] = {10, 100, 1000};
    double acc[3][4];
    char path[512];
    snprintf(path, sizeof path, "%s/transfer.tsv", dir);
    for (int i = 0; i < 3; i++) {
        double v[8];
        TT_CHECK(tsv_row(path, i, v, 8) == 5);
        TT_NEAR(v[0], N[i], 0);
        char row[128];
        int len = snprintf(row, sizeof row, "\n  %6d", N[i]);
        for (int k = 0; k < 4; k++) {
            acc[i][k] = v[1 + k];
            TT_CHECK(acc[i][k] > 0.2 && acc[i][k] <= 1); /* chance: 0.2 */
            len += snprintf(row + len, sizeof row - (size_t)len, "  %*.1f%%",
                            (k == 0 ? 9 : k == 1 ? 10 : k == 2 ? 8 : 11) - 1,
                            100 * acc[i][k]);
        }
        TT_CONTAINS(out_buf, row);
    }
    /* more labelled examples help the network trained from scratch */
    TT_CHECK(acc[2][0] > acc[0][0]);
    /* the first sentence: the smallest n, head only against scratch */
    char want[512];
    snprintf(want, sizeof want,
             "With 10 labelled examples (2 per class) the pretrained "
             "features and a new\n  head reach %.1f%%, training from scratch "
             "%.1f%%: %s ahead by %.1f points.",
             pct1(acc[0][1]), pct1(acc[0][0]),
             acc[0][1] >= acc[0][0] ? "transfer" : "scratch",
             100 * fabs(acc[0][1] - acc[0][0]));
    TT_CONTAINS(out_buf, want);
    /* the count of sizes where the best stage beat scratch */
    int ahead = 0, helped = 0;
    for (int i = 0; i < 3; i++) {
        double best = fmax(acc[i][1], fmax(acc[i][2], acc[i][3]));
        ahead += best > acc[i][0];
        helped += acc[i][3] > acc[i][1];
    }
    snprintf(want, sizeof want, "The best transfer stage beat scratch at %d "
                                "of 3 sizes", ahead);
    TT_CONTAINS(out_buf, want);
    snprintf(want, sizeof want, "above the head-only stage at\n  %d of 3 "
                                "sizes", helped);
    TT_CONTAINS(out_buf, want);
    /* the head alone against more data, from the two largest sizes */
    if (acc[2][1] - acc[1][1] < 0.01)
        snprintf(want, sizeof want, "With the features frozen the accuracy "
                                    "levels off: %.1f%% at n = 100",
                 pct1(acc[1][1]));
    else
        snprintf(want, sizeof want, "With the features frozen the accuracy "
                                    "still grows with n: %.1f%% at n = 100",
                 pct1(acc[1][1]));
    TT_CONTAINS(out_buf, want);
    /* freezing is real: the head-only stage left fc0 and fc1 untouched,
     * unfreezing moved them */
    TT_CONTAINS(out_buf, "Frozen means frozen: after the head-only stage "
                         "fc0 and fc1 were exactly the\n  pretrained "
                         "weights in every run; after unfreezing they moved "
                         "by up to ");
    const char *mv = strstr(out_buf, "they moved by up to ");
    TT_CHECK(mv && strtod(mv + strlen("they moved by up to "), NULL) > 0);
    /* the curve: 3 stages of 40 steps logged every 4, from step 0 */
    snprintf(path, sizeof path, "%s/transfer_curve.tsv", dir);
    double v[4];
    TT_CHECK(tsv_row(path, 30, v, 4) == 3);
    TT_NEAR(v[0], 120, 0);
    TT_CHECK(tsv_row(path, 31, v, 4) == 0);
    TT_CHECK(file_exists(dir, "transfer.gp"));
    if (have_gnuplot()) TT_CHECK(file_exists(dir, "transfer.svg"));
    TT_CHECK(strstr(out_buf, "nan") == NULL);
    /* options are checked like every demo's */
    TT_CHECK(run_demo(NULL, "transfer --steps 2") == 2);
    TT_CONTAINS(out_buf, "tapegrad demo transfer: --steps must be an integer "
                         "in 5..100000 (got 2)");
    TT_CHECK(run_demo(NULL, "transfer --lr 0") == 2);
    TT_CONTAINS(out_buf, "--lr must be a number > 0 and <= 10 (got 0)");
    TT_CHECK(run_demo(NULL, "transfer --fast --data /nonexistent --out "
                            "demos-out/transfer-nodata") == 1);
    TT_CONTAINS(out_buf, "dataset-fashion-mnist");
}

/* ------------------------------------------------------------ diagnostics */

/* P(|tanh(z)| > 0.97) for z ~ N(0, s^2) */
static double p_saturated(double s)
{
    return erfc(atanh(0.97) / s / sqrt(2.0));
}

static void diagnostics_story(void)
{
    const char *dir = "demos-out/diagnostics";
    clean(dir);
    TT_CHECK(run_demo(NULL, "diagnostics --fast --out "
                            "demos-out/diagnostics") == 0);
    /* the table at initialisation: 3 networks x 5 layers */
    const char *t = strstr(out_buf, "std of dL/dt\n");
    TT_CHECK(t != NULL);
    double tstd[3][5], sat[3][5], gstd[3][5];
    for (int cf = 0; t && cf < 3; cf++)
        for (int l = 0; l < 5; l++) {
            t = strchr(t, '\n') + 1;
            const char *p = t + 2 + 11; /* past the name column */
            int layer = (int)strtol(p, (char **)&p, 10);
            TT_CHECK(layer == l + 1);
            tstd[cf][l] = strtod(p, (char **)&p);
            sat[cf][l] = strtod(p, (char **)&p) / 100;
            p++; /* '%' */
            gstd[cf][l] = strtod(p, NULL);
            TT_CHECK(tstd[cf][l] > 0 && tstd[cf][l] < 1);
            TT_CHECK(gstd[cf][l] > 0);
        }
    /* layer 1's pre-activations are Gaussian with a known spread, so the
     * saturated fraction has a closed form (3200 values: within 3%):
     * bad: 32 inputs and a bias of N(0, 1) weights, std sqrt(33);
     * good: std 5/3; batch norm: standardised, std 1 */
    TT_NEAR(sat[0][0], p_saturated(sqrt(33.0)), 0.03);
    TT_NEAR(sat[1][0], p_saturated(5.0 / 3), 0.03);
    TT_NEAR(sat[2][0], p_saturated(1.0), 0.02);
    for (int l = 0; l < 5; l++) {
        TT_CHECK(sat[0][l] > 0.5);  /* bad init saturates every layer  */
        TT_CHECK(sat[2][l] < 0.1);  /* batch norm keeps them responsive */
        TT_CHECK(tstd[0][l] > tstd[2][l]);
    }
    /* the sentences follow the table */
    for (int cf = 0; cf < 3; cf++) {
        static const char *name[3] = {"bad init", "good init", "batch norm"};
        double most = 0, lo = INFINITY, hi = 0;
        int at = 0;
        for (int l = 0; l < 5; l++) {
            if (sat[cf][l] > most) most = sat[cf][l], at = l + 1;
            lo = fmin(lo, gstd[cf][l]);
            hi = fmax(hi, gstd[cf][l]);
        }
        char want[256];
        snprintf(want, sizeof want, "  %s: %.*f%% of layer %d's tanh "
                                    "outputs saturated at initialisation%s",
                 name[cf], most < 0.1 ? 1 : 0, 100 * most, at,
                 most > 0.5 ? ": most\n    units pass almost no gradient."
                            : ".\n");
        TT_CONTAINS(out_buf, want);
        snprintf(want, sizeof want, "  %s: ", name[cf]);
        const char *f = strstr(strstr(out_buf, "(chance: "), want);
        f = f ? strstr(f, "differs by a factor ") : NULL;
        TT_CHECK(f != NULL);
        double factor = f ? strtod(f + strlen("differs by a factor "), NULL)
                          : 0;
        TT_NEAR(factor, hi / lo, 0.01 * hi / lo);
    }
    /* bad init's gradients are far apart, the others' even */
    TT_CONTAINS(out_buf, "between layers (far apart)");
    /* update:data: the table is the mean of the last 20 steps of
     * diagnostics_ratio.tsv; the sentence counts what is near 1e-3 */
    char path[512];
    snprintf(path, sizeof path, "%s/diagnostics_ratio.tsv", dir);
    double mean[18] = {0}, v[24];
    for (int s = 180; s < 200; s++) {
        TT_CHECK(tsv_row(path, s, v, 24) == 22);
        TT_NEAR(v[0], s, 0);
        for (int k = 0; k < 18; k++) mean[k] += v[1 + k] / 20;
    }
    TT_CHECK(tsv_row(path, 200, v, 24) == 0);
    const char *u = strstr(out_buf, "W out\n");
    TT_CHECK(u != NULL);
    for (int cf = 0; u && cf < 3; cf++) {
        u = strchr(u, '\n') + 1 + 2 + 11;
        int near = 0;
        for (int k = 0; k < 6; k++) {
            double printed = strtod(u, (char **)&u);
            TT_NEAR(printed, mean[cf * 6 + k], 0.0051);
            near += mean[cf * 6 + k] >= -3.5 && mean[cf * 6 + k] <= -2.5;
        }
        char want[64];
        snprintf(want, sizeof want, "; %d of 6 matrices\n    within half a "
                                    "decade of 1e-3", near);
        const char *n = strstr(out_buf, "(chance: ");
        for (int k = 0; n && k <= cf; k++) n = strstr(n + 1, "Update:data");
        TT_CHECK(n && strstr(n, want) == strchr(n, ';'));
    }
    /* losses: good init starts at chance (small, even logits), bad init
     * far above; the lowest test loss is named */
    const char *lt = strstr(out_buf, "test acc\n");
    double l0[3], lend[3];
    for (int cf = 0; lt && cf < 3; cf++) {
        lt = strchr(lt, '\n') + 1 + 2 + 11;
        l0[cf] = strtod(lt, (char **)&lt);
        lend[cf] = strtod(lt, (char **)&lt);
    }
    TT_NEAR(l0[1], log(10.0), 0.05);
    TT_CHECK(l0[0] > 5);
    int best = 0;
    for (int cf = 1; cf < 3; cf++)
        if (lend[cf] < lend[best]) best = cf;
    static const char *bname[3] = {"bad init", "good init", "batch norm"};
    char want[128];
    snprintf(want, sizeof want, "the lowest test loss is %s's", bname[best]);
    TT_CONTAINS(out_buf, want);
    TT_CHECK(lend[1] < log(10.0) && lend[2] < log(10.0));
    TT_CHECK(strstr(out_buf, "None of them got below chance") == NULL);
    TT_CHECK(strstr(out_buf, "nan") == NULL);
    /* the histograms: densities that integrate to 1 (tanh outputs) and
     * legends carrying the saturated fraction */
    snprintf(path, sizeof path, "%s/diagnostics_act_bn.tsv", dir);
    TT_CHECK(read_file(dir, "diagnostics_act_bn.tsv"));
    TT_CONTAINS(file_buf, "\"layer 1: ");
    double area = 0;
    for (int b = 0; b < 50; b++) {
        TT_CHECK(tsv_row(path, b + 1, v, 8) == 6);
        area += v[1] * 2.0 / 50;
    }
    TT_NEAR(area, 1, 1e-4);
    TT_CHECK(read_file(dir, "diagnostics.gp"));
    TT_CONTAINS(file_buf, "-3 with lines lw 2 dt 2 lc rgb 'black' title "
                          "'1e-3'");
    if (have_gnuplot()) TT_CHECK(file_exists(dir, "diagnostics.svg"));
    /* options */
    TT_CHECK(run_demo(NULL, "diagnostics --lr inf") == 2);
    TT_CONTAINS(out_buf, "tapegrad demo diagnostics: --lr must be a number "
                         "> 0 and <= 100 (got inf)");
    TT_CHECK(run_demo(NULL, "diagnostics --steps 3") == 2);
    TT_CONTAINS(out_buf, "--steps must be an integer in 10..100000 (got 3)");
}

static void usage_errors(void)
{
    TT_CHECK(run_demo(NULL, "xor --no-such-option") == 2);
    TT_CONTAINS(out_buf, "tapegrad demo xor: unknown option '--no-such-option'");
    TT_CHECK(run_demo(NULL, "xor --steps") == 2);
    TT_CONTAINS(out_buf, "--steps needs an integer value");
    TT_CHECK(run_demo(NULL, "xor --steps 1.5") == 2);
    TT_CONTAINS(out_buf, "tapegrad demo xor: --steps must be an integer in "
                         "10..1000000 (got 1.5)");
    TT_CHECK(run_demo(NULL, "vanishing --lr nan") == 2);
    TT_CONTAINS(out_buf, "--lr must be a number > 0 and <= 100 (got nan)");
    TT_CHECK(run_demo(NULL, "approx --steps 5") == 2);
    TT_CONTAINS(out_buf, "--steps must be an integer in 10..20000 (got 5)");
    TT_CHECK(run_demo(NULL, "fashion --epochs 0") == 2);
    TT_CONTAINS(out_buf, "--epochs must be an integer in 1..1000 (got 0)");
    TT_CHECK(run_demo(NULL, "trace --seed -3") == 2);
    TT_CONTAINS(out_buf, "--seed must be an integer in 0..2147483647 (got -3)");
    TT_CHECK(run_demo(NULL, "xor --help") == 0);
    TT_CONTAINS(out_buf, "--lr N         learning rate (default 2) [> 0 and "
                         "<= 1000]");
    TT_CHECK(run_demo(NULL, "trace --help") == 0);
    TT_CONTAINS(out_buf, "--out DIR");
    TT_CHECK(run_demo(NULL, "no-such-demo") == 2);
    TT_CHECK(run_demo(NULL, "--list") == 0);
    TT_CONTAINS(out_buf, "xor");
    TT_CONTAINS(out_buf, "trace");
    /* an empty --out names the reason (it printed "Success") */
    TT_CHECK(run_demo(NULL, "xor --out ''") == 1);
    TT_CONTAINS(out_buf, "cannot create the output directory '': No such "
                         "file or directory");
    /* --steps outside its range, --fast given or not */
    TT_CHECK(run_demo(NULL, "vanishing --fast --steps -3") == 2);
    TT_CONTAINS(out_buf, "--steps must be an integer in 5..100000 (got -3)");
    TT_CHECK(run_demo(NULL, "approx --fast --steps 0") == 2);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_demos TAPEGRAD_BINARY [filter]\n");
        return 2;
    }
    tapegrad = argv[1];
    if (argc > 4) { /* the tutorial case: its program and source file */
        tutorial_exe = argv[3];
        tutorial_src = argv[4];
    }
    if (system("mkdir -p demos-out") != 0) return 1;
    static const tt_entry cases[] = {
        TT(trace_matches_delta_rule),
        TT(trace_lr),
        TT(trace_homework),
        TT(xor_truth_table),
        TT(xor_stuck_is_not_solved),
        TT(activations_derivatives),
        TT(vanishing_story),
        TT(vanishing_text_follows_run),
        TT(recurrent_story),
        TT(approx_fits),
        TT(optimizers_paths),
        TT(optimizers_diverge),
        TT(batchnorm_story),
        TT(regions_counts),
        TT(regularization_story),
        TT(fashion_fast),
        TT(fashion_diverges),
        TT(transfer_story),
        TT(names_story),
        TT(layernorm_story),
        TT(diagnostics_story),
        TT(cnn_fast),
        TT(unet_fast),
        TT(tutorial_program),
        TT(without_gnuplot),
        TT(usage_errors),
    };
    int n = (int)(sizeof cases / sizeof cases[0]), hits = 0;
    for (int i = 0; i < n; i++)
        hits += argc < 3 || strstr(cases[i].name, argv[2]) != NULL;
    if (hits == 0) {
        fprintf(stderr, "test_demos: no case matches '%s'\n", argv[2]);
        return 1;
    }
    int rc = tt_main(cases, n, argc - 1, argv + 1);
    /* 77: meson's "skipped", when the only case run lacked its data */
    return rc == 0 && skipped && hits == 1 ? 77 : rc;
}
