/* Plumbing shared by the demos; see demo_common.h. */
#include "demo_common.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

/* ------------------------------------------------------------- options */

/* "10..20000" for integers, "> 0 and <= 100" or "0..1" for numbers. */
static void range_text(const demo_opt *o, char *buf, size_t size)
{
    if (o->kind == DEMO_INT)
        snprintf(buf, size, "%.0f..%.0f", o->lo, o->hi);
    else if (o->lo_open)
        snprintf(buf, size, "> %g and <= %g", o->lo, o->hi);
    else
        snprintf(buf, size, "%g..%g", o->lo, o->hi);
}

static void print_usage(FILE *f, const char *name, const char *about,
                        const demo_opt *opts, int n_opts)
{
    fprintf(f, "usage: tapegrad demo %s [options]\n%s\noptions:\n", name,
            about);
    fprintf(f, "  --out DIR      where pictures and data go "
               "(default tapegrad-demo-out)\n"
               "  --fast         a small, quick run (what the tests use)\n"
               "  --seed N       random seed, 0..2147483647 (default 0)\n");
    for (int i = 0; i < n_opts; i++) {
        char left[40], range[64] = "";
        snprintf(left, sizeof left, "--%s%s", opts[i].name,
                 opts[i].kind == DEMO_FLAG   ? ""
                 : opts[i].kind == DEMO_TEXT ? " TEXT"
                                             : " N");
        if (opts[i].kind == DEMO_INT || opts[i].kind == DEMO_REAL) {
            char r[48];
            range_text(&opts[i], r, sizeof r);
            snprintf(range, sizeof range, " [%s]", r);
        }
        fprintf(f, "  %-14s %s%s\n", left, opts[i].help, range);
    }
}

/* mkdir -p */
static bool make_dirs(const char *path)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf) { /* errno tells the caller why */
        errno = n ? ENAMETOOLONG : ENOENT;
        return false;
    }
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != 0) continue;
        char keep = buf[i];
        buf[i] = 0;
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) return false;
        buf[i] = keep;
    }
    struct stat st;
    if (stat(path, &st) != 0) return false;
    if (!S_ISDIR(st.st_mode)) errno = ENOTDIR;
    return S_ISDIR(st.st_mode);
}

/* The value of option o from text v: 1 when parsed and in range, 0 when
 * it is not a number of the option's kind, -1 when it is one but outside
 * the range (or not finite). */
static int parse_value(const demo_opt *o, const char *v)
{
    char *end;
    switch (o->kind) {
    case DEMO_INT: {
        errno = 0;
        long long x = strtoll(v, &end, 10);
        if (*v == 0 || *end != 0) return 0;
        if (errno == ERANGE || (double)x < o->lo || (double)x > o->hi)
            return -1;
        *(int *)o->ptr = (int)x;
        return 1;
    }
    case DEMO_REAL: {
        double x = strtod(v, &end);
        if (*v == 0 || *end != 0) return 0;
        /* nan compares false with everything: refused by !(x >= lo) */
        if (!isfinite(x) || !(o->lo_open ? x > o->lo : x >= o->lo) ||
            !(x <= o->hi))
            return -1;
        *(double *)o->ptr = x;
        return 1;
    }
    case DEMO_TEXT:
        *(const char **)o->ptr = v;
        return 1;
    case DEMO_FLAG:
        break;
    }
    return 0;
}

bool demo_given(const demo_ctx *c, const char *name)
{
    for (int i = 1; i < c->argc; i++)
        if (c->argv[i][0] == '-' && c->argv[i][1] == '-' &&
            !strcmp(c->argv[i] + 2, name))
            return true;
    return false;
}

const char *demo_diverged_text(char *buf, size_t size, const char *where,
                               double loss)
{
    snprintf(buf, size, "diverged %s: the loss became %s", where,
             isnan(loss) ? "nan" : loss > 0 ? "+inf" : "-inf");
    return buf;
}

bool demo_begin(demo_ctx *c, int argc, char **argv, const char *about,
                const demo_opt *opts, int n_opts)
{
    c->name = argv[0];
    c->out = "tapegrad-demo-out";
    c->fast = false;
    c->seed = 0;
    c->exit_code = 0;
    c->argc = argc;
    c->argv = argv;
    const demo_opt common[] = {
        {"out", DEMO_TEXT, &c->out, NULL, 0, 0, false},
        {"fast", DEMO_FLAG, &c->fast, NULL, 0, 0, false},
        {"seed", DEMO_INT, &c->seed, NULL, 0, 2147483647.0, false},
    };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            print_usage(stdout, c->name, about, opts, n_opts);
            return false;
        }
        const demo_opt *o = NULL;
        if (a[0] == '-' && a[1] == '-') {
            for (int k = 0; k < 3 && !o; k++)
                if (!strcmp(a + 2, common[k].name)) o = &common[k];
            for (int k = 0; k < n_opts && !o; k++)
                if (!strcmp(a + 2, opts[k].name)) o = &opts[k];
        }
        if (!o) {
            fprintf(stderr, "tapegrad demo %s: unknown option '%s'\n", c->name,
                    a);
            print_usage(stderr, c->name, about, opts, n_opts);
            c->exit_code = 2;
            return false;
        }
        if (o->kind == DEMO_FLAG) {
            *(bool *)o->ptr = true;
            continue;
        }
        int got = i + 1 < argc ? parse_value(o, argv[i + 1]) : 0;
        if (got < 0 || (got == 0 && i + 1 < argc && o->kind != DEMO_TEXT)) {
            char range[64];
            range_text(o, range, sizeof range);
            fprintf(stderr, "tapegrad demo %s: --%s must be %s %s (got "
                            "%s)\n",
                    c->name, o->name,
                    o->kind == DEMO_INT ? "an integer in"
                    : o->lo_open        ? "a number"
                                        : "a number in",
                    range, argv[i + 1]);
            c->exit_code = 2;
            return false;
        }
        if (got == 0) {
            fprintf(stderr, "tapegrad demo %s: --%s needs a%s value\n",
                    c->name, o->name,
                    o->kind == DEMO_INT    ? "n integer"
                    : o->kind == DEMO_REAL ? " numeric"
                                           : "");
            c->exit_code = 2;
            return false;
        }
        i++;
    }
    if (!make_dirs(c->out)) {
        fprintf(stderr, "tapegrad demo %s: cannot create the output "
                        "directory '%s': %s\n",
                c->name, c->out, strerror(errno));
        c->exit_code = 1;
        return false;
    }
    return true;
}

const char *demo_path(const demo_ctx *c, const char *file, char *buf,
                      size_t size)
{
    snprintf(buf, size, "%s/%s", c->out, file);
    return buf;
}

FILE *demo_open(const demo_ctx *c, const char *file)
{
    char path[4096];
    demo_path(c, file, path, sizeof path);
    FILE *f = fopen(path, "w");
    if (!f)
        fprintf(stderr, "tapegrad demo %s: cannot write %s: %s\n", c->name,
                path, strerror(errno));
    return f;
}

/* ------------------------------------------------------------- pictures */

FILE *demo_gnuplot_script(const demo_ctx *c, const char *name, int width,
                          int height)
{
    return demo_gnuplot_script_as(c, name, width, height, false);
}

FILE *demo_gnuplot_script_as(const demo_ctx *c, const char *name, int width,
                             int height, bool png)
{
    char file[256];
    snprintf(file, sizeof file, "%s.gp", name);
    FILE *f = demo_open(c, file);
    if (!f) return NULL;
    fprintf(f,
            "# Written by `tapegrad demo %s`. Run it in this directory:\n"
            "#   gnuplot %s.gp\n",
            c->name, name);
    if (png) /* cairo draws every data pixel as a sharp square */
        fprintf(f, "set terminal pngcairo size %d,%d enhanced font "
                   "'Helvetica,11' background rgb 'white'\n"
                   "set output '%s.png'\n",
                width, height, name);
    else
        fprintf(f, "set terminal svg size %d,%d dynamic enhanced font "
                   "'Helvetica,13' background rgb 'white'\n"
                   "set output '%s.svg'\n",
                width, height, name);
    fprintf(f, "set datafile separator '\\t'\n"
               "set grid lc rgb '#dddddd'\n"
               "set key noautotitle\n"
               "set datafile missing 'nan'\n");
    return f;
}

/* Run argv[0] with argv inside `dir`, its output discarded; true when it
 * exits with status 0 (false when it is not installed). */
static bool run_tool(const char *dir, char *const argv[])
{
    pid_t pid = fork();
    if (pid < 0) return false;
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) {
            dup2(null, 1);
            dup2(null, 2);
        }
        if (chdir(dir) != 0) _exit(126);
        execvp(argv[0], argv);
        _exit(127); /* not installed */
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) return false;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* The program named by environment variable `var`, else `fallback`;
 * NULL when the variable says "none". */
static const char *tool(const char *var, const char *fallback)
{
    const char *p = getenv(var);
    if (!p || !*p) return fallback;
    return strcmp(p, "none") ? p : NULL;
}

bool demo_plot(const demo_ctx *c, const char *name, FILE *script)
{
    return demo_plot_as(c, name, script, false);
}

bool demo_plot_as(const demo_ctx *c, const char *name, FILE *script,
                  bool png)
{
    if (!script) return false;
    bool ok = fclose(script) == 0;
    char gp[256], pic[256];
    snprintf(gp, sizeof gp, "%s.gp", name);
    snprintf(pic, sizeof pic, "%s.%s", name, png ? "png" : "svg");
    const char *prog = tool("TAPEGRAD_GNUPLOT", "gnuplot");
    if (ok && prog) {
        char pic_path[4096];
        demo_path(c, pic, pic_path, sizeof pic_path);
        remove(pic_path); /* so a failed run cannot leave an old picture */
        char *argv[] = {(char *)prog, gp, NULL};
        struct stat st;
        if (run_tool(c->out, argv) && stat(pic_path, &st) == 0 &&
            st.st_size > 0) {
            printf("  picture: %s\n", pic_path);
            return true;
        }
    }
    printf("  picture not drawn (%s): data and script in %s/, draw it with "
           "`cd %s && gnuplot %s`\n",
           prog ? "gnuplot missing or failed; Debian package gnuplot-nox"
                : "TAPEGRAD_GNUPLOT=none",
           c->out, c->out, gp);
    return false;
}

bool demo_dot(const demo_ctx *c, tg_graph *g, const char *name,
              const tg_dot_opts *opts)
{
    char dot[256], svg[256], path[4096];
    snprintf(dot, sizeof dot, "%s.dot", name);
    snprintf(svg, sizeof svg, "%s.svg", name);
    demo_path(c, dot, path, sizeof path);
    if (tg_graph_save_dot(g, path, opts) != TG_OK) {
        fprintf(stderr, "tapegrad demo %s: %s\n", c->name, tg_last_error());
        return false;
    }
    const char *prog = tool("TAPEGRAD_DOT", "dot");
    if (prog) {
        char svg_path[4096];
        demo_path(c, svg, svg_path, sizeof svg_path);
        remove(svg_path);
        char *argv[] = {(char *)prog, "-Tsvg", dot, "-o", svg, NULL};
        if (run_tool(c->out, argv)) {
            printf("  graph picture: %s\n", svg_path);
            return true;
        }
    }
    printf("  graph written to %s (Graphviz missing; Debian package "
           "graphviz: `dot -Tsvg %s -o %s`)\n",
           path, dot, svg);
    return false;
}

/* ------------------------------------------------------ progress & time */

double demo_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void demo_progress_start(demo_progress *p, const char *label, int64_t total)
{
    p->label = label;
    p->total = total > 0 ? total : 1;
    p->t0 = demo_now();
    p->last_draw = 0;
    p->tty = isatty(2);
}

void demo_progress_update(demo_progress *p, int64_t done, const char *note)
{
    if (!p->tty) return;
    double now = demo_now();
    if (done < p->total && now - p->last_draw < 0.05) return;
    p->last_draw = now;
    enum { WIDTH = 30 };
    int fill = (int)(WIDTH * done / p->total);
    char bar[WIDTH + 1];
    for (int i = 0; i < WIDTH; i++) bar[i] = i < fill ? '#' : '.';
    bar[WIDTH] = 0;
    double el = now - p->t0;
    double eta = done > 0 ? el * (double)(p->total - done) / (double)done : 0;
    fprintf(stderr, "\r  %-10s [%s] %3d%%  %5.1fs  eta %5.1fs  %s\033[K",
            p->label, bar, (int)(100 * done / p->total), el, eta,
            note ? note : "");
    fflush(stderr);
}

void demo_progress_end(demo_progress *p)
{
    if (p->tty) fprintf(stderr, "\r\033[K");
}

/* --------------------------------------------------------------- helpers */

void demo_print_padded(const char *text, int width)
{
    int cols = 0;
    for (const char *p = text; *p; p++) cols += (*p & 0xC0) != 0x80;
    printf("%s%*s", text, width > cols ? width - cols : 0, "");
}

int demo_fail(const demo_ctx *c, const tg_graph *g)
{
    const char *msg = g ? tg_graph_error(g) : NULL;
    fprintf(stderr, "tapegrad demo %s: %s\n", c->name,
            msg ? msg : tg_last_error());
    return 1;
}

static void fill(tg_tensor *p, tg_rng *r, double scale, bool normal)
{
    for (int64_t i = 0; i < p->numel; i++) {
        double v = normal ? scale * tg_rng_normal(r)
                          : scale * (2 * tg_rng_uniform(r) - 1);
        if (p->dtype == TG_F32) tg_f32(p)[i] = (float)v;
        else tg_f64(p)[i] = v;
    }
}

void demo_fill_normal(tg_tensor *p, tg_rng *r, double std)
{
    fill(p, r, std, true);
}

void demo_fill_uniform(tg_tensor *p, tg_rng *r, double bound)
{
    fill(p, r, bound, false);
}

void demo_sgd_step(tg_graph *g, double lr)
{
    for (int k = 0; k < tg_graph_num_params(g); k++) {
        tg_tensor *p = tg_graph_param(g, k);
        if (!tg_requires_grad(p)) continue;
        if (p->dtype == TG_F32) {
            float *w = tg_f32(p), *gw = tg_f32(p->grad);
            for (int64_t i = 0; i < p->numel; i++) w[i] -= (float)lr * gw[i];
        } else {
            double *w = tg_f64(p), *gw = tg_f64(p->grad);
            for (int64_t i = 0; i < p->numel; i++) w[i] -= lr * gw[i];
        }
    }
    tg_zero_grad(g);
}

/* ---------------------------------------------------------- Fashion-MNIST */

const char *const demo_fashion_class[DEMO_FASHION_CLASSES] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

bool demo_fashion_load(const demo_ctx *c, const char *dir, tg_array *Xtr,
                       tg_array *Ytr, tg_array *Xte, tg_array *Yte)
{
    const char *file[4] = {"train-images-idx3-ubyte.gz",
                           "train-labels-idx1-ubyte.gz",
                           "t10k-images-idx3-ubyte.gz",
                           "t10k-labels-idx1-ubyte.gz"};
    tg_array *out[4] = {Xtr, Ytr, Xte, Yte};
    for (int k = 0; k < 4; k++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, file[k]);
        FILE *f = fopen(path, "rb");
        if (!f) {
            fprintf(stderr,
                    "tapegrad demo %s: Fashion-MNIST not found: %s is "
                    "missing.\n  Install the Debian package "
                    "dataset-fashion-mnist (apt-get install "
                    "dataset-fashion-mnist),\n  or pass --data DIR, a "
                    "directory holding the four *-ubyte.gz files.\n",
                    c->name, path);
            return false;
        }
        fclose(f);
        if (tg_idx_load(path, out[k]) != TG_OK) {
            fprintf(stderr, "tapegrad demo %s: %s\n", c->name,
                    tg_last_error());
            return false;
        }
    }
    return true;
}

void demo_keep_rows(tg_array *a, int64_t n)
{
    tg_array b;
    if (n >= a->shape[0] || tg_array_rows(a, 0, n, &b) != TG_OK) return;
    tg_array_free(a);
    *a = b;
}
