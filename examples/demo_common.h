/* Plumbing shared by the teaching demos, so each demo file can stay about
 * the network it shows: command-line options, the output directory, a
 * progress bar, timers, and pictures through gnuplot.
 *
 * Pictures: a demo writes its data as TSV files plus a gnuplot script
 * (NAME.gp) into the output directory, then calls demo_plot. When gnuplot
 * is installed it renders NAME.svg right there; when it is not, the data
 * and the script stay behind and `cd OUT && gnuplot NAME.gp` draws the
 * picture later. TAPEGRAD_GNUPLOT names the gnuplot program to run
 * ("none" skips plotting). Graph pictures go the same way through
 * Graphviz (demo_dot).
 *
 * Everything here is plain C over the public API; nothing reaches into
 * the engine. */
#ifndef TAPEGRAD_DEMO_COMMON_H
#define TAPEGRAD_DEMO_COMMON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <tapegrad/tapegrad.h>

/* ------------------------------------------------------------- options */

typedef enum { DEMO_FLAG, DEMO_INT, DEMO_REAL, DEMO_TEXT } demo_opt_kind;

/* One option of a demo: `--name VALUE` (or `--name` for a flag). ptr is
 * a bool *, int *, double * or const char ** by kind; it holds the
 * default on entry.
 *
 * Every number is checked the same way: it must parse completely, be
 * finite (nan and inf are refused) and lie in [lo, hi] — (lo, hi] when
 * lo_open, for a learning rate that must be positive. A value outside
 * gets "tapegrad demo NAME: --OPT must be in RANGE (got VALUE)" and exit
 * status 2. */
typedef struct demo_opt {
    const char *name; /* without the leading dashes */
    demo_opt_kind kind;
    void *ptr;
    const char *help;
    double lo, hi;    /* the accepted range (DEMO_INT and DEMO_REAL) */
    bool lo_open;     /* lo itself is refused                       */
} demo_opt;

/* What every demo accepts, filled in by demo_begin. */
typedef struct demo_ctx {
    const char *name;  /* the demo's name, for messages          */
    const char *out;   /* --out DIR (default tapegrad-demo-out)   */
    bool fast;         /* --fast: a small run, for tests          */
    int seed;          /* --seed N (default 0)                    */
    int exit_code;     /* set when demo_begin returns false        */
    int argc;          /* the command line, for demo_given          */
    char **argv;
} demo_ctx;

/* Parse argv (argv[0] is the demo name) into the common options and the
 * demo's own `opts`, then create the output directory. Returns false when
 * the demo should stop at once with c->exit_code: 0 after --help, 2 on a
 * bad option, 1 when the directory cannot be made. */
bool demo_begin(demo_ctx *c, int argc, char **argv, const char *about,
                const demo_opt *opts, int n_opts);

/* True when the command line set --name (so --fast leaves it alone). */
bool demo_given(const demo_ctx *c, const char *name);

/* Open OUT/file for writing; prints why and returns NULL on failure. */
FILE *demo_open(const demo_ctx *c, const char *file);

/* Writes OUT/file into buf (for messages); returns buf. */
const char *demo_path(const demo_ctx *c, const char *file, char *buf,
                      size_t size);

/* ------------------------------------------------------------- pictures */

/* Open OUT/name.gp and write the lines every script starts with: an SVG
 * terminal of width x height pixels writing name.svg, tab-separated data
 * files, and a white background. The demo adds its own plot commands and
 * passes the FILE to demo_plot, which closes it. */
FILE *demo_gnuplot_script(const demo_ctx *c, const char *name, int width,
                          int height);

/* Close the script and render it (see the top of this file). Prints the
 * file that was written. Returns true when the SVG exists afterwards. */
bool demo_plot(const demo_ctx *c, const char *name, FILE *script);

/* The same for a PNG picture (name.png, gnuplot's pngcairo terminal):
 * for images, whose pixels an SVG would carry as an embedded bitmap that
 * viewers blur when they scale it. png = false is the SVG pair above. */
FILE *demo_gnuplot_script_as(const demo_ctx *c, const char *name, int width,
                             int height, bool png);
bool demo_plot_as(const demo_ctx *c, const char *name, FILE *script,
                  bool png);

/* Write the graph g recorded since its last reset to OUT/name.dot
 * (tg_graph_save_dot with opts, NULL for defaults) and, when Graphviz is
 * installed, render OUT/name.svg with `dot -Tsvg` (TAPEGRAD_DOT names
 * the program; "none" skips it). Returns true when the SVG was drawn. */
bool demo_dot(const demo_ctx *c, tg_graph *g, const char *name,
              const tg_dot_opts *opts);

/* ------------------------------------------------------ progress & time */

/* A one-line progress bar on stderr, drawn only when stderr is a
 * terminal (logs and tests see nothing). */
typedef struct demo_progress {
    const char *label;
    int64_t total;
    double t0, last_draw;
    bool tty;
} demo_progress;

void demo_progress_start(demo_progress *p, const char *label, int64_t total);
/* Redraws at most ~20 times a second; `note` (may be NULL) is shown at the
 * end of the bar, e.g. "loss 0.412". */
void demo_progress_update(demo_progress *p, int64_t done, const char *note);
/* Erases the bar so the next printf starts on a clean line. */
void demo_progress_end(demo_progress *p);

/* Seconds on a monotonic clock. */
double demo_now(void);

/* --------------------------------------------------------------- helpers */

/* printf("%-*s") for UTF-8 text: pads to `width` terminal columns, with
 * σ, δ, ∂ and friends counted as one column each. */
void demo_print_padded(const char *text, int width);

/* Print the graph's sticky error as "tapegrad demo NAME: message" and
 * return 1, for `return demo_fail(c, g);` after a failed check. */
int demo_fail(const demo_ctx *c, const tg_graph *g);

/* Fill a parameter (f32 or f64) with N(0, std^2) or U(-bound, bound)
 * draws from r. */
void demo_fill_normal(tg_tensor *p, tg_rng *r, double std);
void demo_fill_uniform(tg_tensor *p, tg_rng *r, double bound);

/* A run whose loss became NaN or Inf has diverged: the demos say so in
 * one sentence built here ("diverged at step 12: the loss became nan"),
 * and print no result computed from it. buf gets the sentence. */
const char *demo_diverged_text(char *buf, size_t size, const char *where,
                               double loss);

/* ---------------------------------------------------------- Fashion-MNIST */

enum { DEMO_FASHION_CLASSES = 10 };
/* The ten class names, in label order. */
extern const char *const demo_fashion_class[DEMO_FASHION_CLASSES];
/* The default directory: the Debian package dataset-fashion-mnist. */
#define DEMO_FASHION_DIR "/usr/share/datasets/fashion-mnist"

/* Read the four files of Fashion-MNIST from dir: images as [N, 28, 28]
 * bytes (0..255), labels as [N] class indices. False, with the reason and
 * the package to install printed, when one is missing or malformed (the
 * arrays are then freed by the caller as usual). */
bool demo_fashion_load(const demo_ctx *c, const char *dir, tg_array *Xtr,
                       tg_array *Ytr, tg_array *Xte, tg_array *Yte);

/* Keep the first n rows of a (nothing when it has no more than n). */
void demo_keep_rows(tg_array *a, int64_t n);

/* Plain gradient descent on every parameter of g: p -= lr * p.grad, then
 * zero the gradients. */
void demo_sgd_step(tg_graph *g, double lr);

#endif
