/* tapegrad/check.h — numeric gradient checking and DOT pictures.
 *
 * tg_gradcheck rebuilds your function in f64 on a private graph, perturbs
 * each input element by ±eps and compares central differences with the
 * analytic gradient from tg_grad. The scalar differentiated is
 * L = sum(w * f(x)) with w drawn from opts.seed (w = 1 when opts.sum_only),
 * so outputs whose plain sum is constant (softmax) are still tested.
 * As PyTorch's gradcheck, it also checks that backward run twice on one
 * tape agrees (within nondet_tol) and that a zero seed gives zero
 * gradients; opts.gradgrad differentiates S = sum_i <r_i, dL/dx_i> once
 * more (w.r.t. the inputs and the seed w), skipped when the graph holds a
 * non-smooth op. opts.fast compares one random projection per input and
 * falls back to the full check when it disagrees. The graph's RNG is
 * reseeded before every evaluation, so dropout-like ops are checkable.
 * docs/gradcheck.md has the details.
 *
 * Example:
 *
 *   static tg_tensor *f(tg_graph *g, tg_tensor *const *in, int n, void *u)
 *   {
 *       return tg_tanh(tg_matmul(in[0], in[1]));
 *   }
 *   tg_check_arg a[2] = {{.name = "a", .ndim = 2, .shape = {3, 4}},
 *                        {.name = "b", .ndim = 2, .shape = {4, 2}}};
 *   tg_check_report r;
 *   if (tg_gradcheck(f, NULL, 2, a, NULL, &r) != TG_OK)
 *       tg_check_report_print(&r, stderr);   // worst element, both values
 */
#ifndef TAPEGRAD_CHECK_H
#define TAPEGRAD_CHECK_H

#include "tapegrad/core.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TG_CHECK_MAX_INPUTS 16

/* Builds the output from inputs (f64 tensors on g, in the order given).
 * Return any tensor of g; return the poison tensor or NULL on error. */
typedef tg_tensor *(*tg_check_fn)(tg_graph *g, tg_tensor *const *inputs,
                                  int n_inputs, void *ud);

/* One input of the function under test. */
typedef struct tg_check_arg {
    const char *name;              /* label in the report; may be NULL      */
    int ndim;
    int64_t shape[TG_MAX_DIMS];
    const double *data;            /* numel values, or NULL: uniform [-1,1] */
    bool no_grad;                  /* not differentiated (labels, indices)  */
} tg_check_arg;

typedef struct tg_check_opts {
    double eps;         /* central-difference step (default 1e-6)            */
    double atol, rtol;  /* pass if |a-n| <= atol + rtol |n| (1e-5, 1e-3)     */
    double nondet_tol;  /* allowed difference of two backward runs (0)      */
    uint64_t seed;      /* random inputs and projection weights (0)          */
    bool sum_only;      /* differentiate sum(f) instead of sum(w f)          */
    bool fast;          /* compare one projection v^T J u; full on failure   */
    bool gradgrad;      /* also check second derivatives                     */
    double kink_margin; /* > 0: keep samples this far from kinks (0)         */
    /* Added after the fields above (source-compatible extension): */
    bool forward;       /* also check JVPs (tg_jvp) against finite
                           differences, one random tangent per input     */
    int locate;         /* find the faulty op: 0 when a check fails (the
                           default), 1 always, -1 never                  */
} tg_check_opts;

/* Defaults as listed above (PyTorch's gradcheck tolerances). */
tg_check_opts tg_check_defaults(void);

typedef struct tg_check_input_report {
    const char *name;
    int ndim;
    int64_t shape[TG_MAX_DIMS];
    bool checked;          /* false for no_grad inputs                       */
    bool pass;
    double max_abs_err, max_rel_err; /* rel: |a-n| / max(|n|, atol)      */
    int64_t worst;         /* flat index of the worst element: the failing
                              one with the largest |a-n|, else the largest
                              |a-n|; -1: none, or fast mode passed (then
                              analytic/numeric hold the projections)      */
    double analytic, numeric; /* values at `worst`                          */
    bool at_kink;          /* the worst element sits at a non-smooth point   */
} tg_check_input_report;

/* The op a failed check blames (tg_check_report.culprit). */
typedef enum tg_culprit_kind {
    TG_CULPRIT_NONE = 0,      /* not searched, or no op is at fault alone  */
    TG_CULPRIT_VJP,           /* its VJP disagrees with its own local
                                 finite differences                       */
    TG_CULPRIT_NONFINITE_OUT, /* first node whose output holds NaN/Inf
                                 while its inputs are finite              */
    TG_CULPRIT_NONFINITE_GRAD,/* first node of the backward pass whose VJP
                                 gives NaN/Inf from a finite upstream
                                 gradient                                 */
    TG_CULPRIT_KINK,          /* no wrong VJP; this op's check fails only
                                 at a non-differentiable point            */
} tg_culprit_kind;

#define TG_CULPRIT_MAX_IN 8

typedef struct tg_check_culprit {
    bool searched;           /* the search ran (kind NONE: nothing found) */
    tg_culprit_kind kind;
    char op[48];             /* op name ("matmul", a user op's name)       */
    int64_t node;            /* recording index (tg_node_index), -1: none  */
    int n_in;                /* the node's inputs (first TG_CULPRIT_MAX_IN
                                have their shapes below)                   */
    int in_ndim[TG_CULPRIT_MAX_IN];
    int64_t in_shape[TG_CULPRIT_MAX_IN][TG_MAX_DIMS];
    char attrs[160];         /* every declared attribute, "axis=1, ..."   */
    int input;               /* the node's input (0-based) whose gradient is
                                wrong or non-finite / that made the output
                                non-finite; -1: not one input              */
    /* The worst element. VJP, KINK: flat index into that input, its VJP
     * (analytic) and local central difference (numeric). NONFINITE_OUT:
     * flat index into the output, the bad value (analytic) and the
     * input's value there (numeric; NaN when no elementwise match).
     * NONFINITE_GRAD: flat index into the input's gradient, the bad value
     * (analytic) and the input's value there (numeric). */
    int64_t worst;
    int worst_ndim;          /* shape that `worst` indexes                 */
    int64_t worst_shape[TG_MAX_DIMS];
    double analytic, numeric;
    char text[400];          /* one line: "node #3 mul([3,4], [3,4]): ..." */
} tg_check_culprit;

typedef struct tg_check_report {
    bool pass;                     /* everything below passed               */
    bool deterministic;            /* two backward runs agreed              */
    bool zero_seed_ok;             /* zero upstream gradient -> zero grads  */
    bool gradgrad_pass;            /* true when not requested               */
    int n_inputs;
    tg_check_input_report in[TG_CHECK_MAX_INPUTS];
    char message[512];             /* why it failed, or ""                  */
    /* Added after the fields above (source-compatible extension): */
    bool gradgrad_skipped;         /* gradgrad asked, but the graph holds a
                                      non-smooth op (relu, abs, max…)       */
    int n_gradgrad;                /* rows in gradgrad[] (0: not run)        */
    /* Second-order rows: S = sum_i <r_i, dL/dx_i> differentiated w.r.t.
     * each input, then w.r.t. the output seed ("grad_output") last. */
    tg_check_input_report gradgrad[TG_CHECK_MAX_INPUTS + 1];
    int kinks_moved;               /* samples moved away from kinks         */
    /* Forward mode (opts.forward): per differentiated input i, J_i v_i
     * from tg_jvp with a random tangent v_i (uniform in [-1, 1]) against
     * (f(x + eps v) - f(x - eps v)) / 2 eps, element by element over the
     * OUTPUT: shape and worst refer to the output. */
    bool forward_pass;             /* true when not requested               */
    int n_forward;                 /* rows in forward[] (0: not run)        */
    tg_check_input_report forward[TG_CHECK_MAX_INPUTS];
    /* The faulty op (opts.locate), searched when a first-order or forward
     * check fails: first a node whose output turns finite inputs into
     * NaN/Inf, then the first VJP of the backward pass that does so, then
     * the first node, in recording order, whose own VJP fails a check on
     * its recorded inputs (a local tg_gradcheck of that one op). */
    tg_check_culprit culprit;
} tg_check_report;

/* Run the check. Returns TG_OK when every check passed, TG_ERR_NUMERIC when
 * a gradient mismatched (details in *report), or the error that building
 * the function raised (message in report->message and tg_last_error()).
 * opts and report may be NULL. Never aborts. */
tg_status tg_gradcheck(tg_check_fn f, void *ud, int n_inputs,
                       const tg_check_arg *inputs, const tg_check_opts *opts,
                       tg_check_report *report);

/* ------------------------------------------- anyone's gradient (raw) */

/* A function that computes its own gradient, with no tapegrad graph:
 * returns f(x) and writes grad[k] = df/dx[k] for k < n (every element:
 * grad arrives filled with NaN, so an element left unwritten fails). */
typedef double (*tg_raw_fn)(const double *x, double *grad, size_t n,
                            void *ud);

/* Check f's gradient at x (n values; NULL: uniform in [-1, 1] from
 * opts.seed) against central differences of f, with the report of
 * tg_gradcheck: one row, named "x", shape [n], whose analytic values are
 * the gradient f wrote and numeric ones the differences (worst index,
 * kink test, tolerances, fast mode as opts say; gradgrad, forward and
 * locate do not apply). `deterministic` here means two calls at the same
 * x return the same value and gradient bit for bit. Returns TG_OK,
 * TG_ERR_NUMERIC (details in *report), TG_ERR_ARG (f NULL, n 0), or
 * TG_ERR_OOM. Calls f 2n + 4 times or so (2 per element, more near a
 * failing element); f must not keep state between calls. */
tg_status tg_gradcheck_raw(tg_raw_fn f, void *ud, size_t n, const double *x,
                           const tg_check_opts *opts,
                           tg_check_report *report);

/* ------------------------------------------------------------ f32 audit */

#define TG_AUDIT_MAX_ROWS 64

/* One node (or input) of the audit: the relative rounding error of its
 * f32 value and of the f32 gradient reaching it, norm-wise:
 * max_k |t32_k - t64_k| / max_k |t64_k|. grad_err is NaN where no
 * gradient flows. */
typedef struct tg_audit_row {
    char op[48];           /* op name, or "input NAME"                   */
    int64_t node;          /* recording index; -1 - i for input i        */
    int ndim;
    int64_t shape[TG_MAX_DIMS];
    double value_err, grad_err;
} tg_audit_row;

typedef struct tg_audit_report {
    int n_rows;            /* rows kept: the worst TG_AUDIT_MAX_ROWS     */
    int64_t n_rows_total;  /* nodes + inputs                             */
    tg_audit_row rows[TG_AUDIT_MAX_ROWS]; /* worst first, by the larger
                                             of value_err and grad_err */
    double output_err;     /* the function's output                      */
    char message[512];     /* why it failed, or ""                       */
} tg_audit_report;

/* Record f twice on the same data (inputs' data, or uniform [-1, 1] from
 * opts.seed), once with f32 inputs and once with f64 ones (f must build
 * in its inputs' dtype and record the same ops either way), and
 * differentiate sum(w f) (w as tg_gradcheck draws it; w = 1 with
 * opts.sum_only) with respect to every node output. Fills *report, rows
 * sorted worst first: which op loses precision, and whether an f32
 * mismatch is rounding. Returns TG_OK, TG_ERR_STATE (the two recordings
 * differ), the error of building f, TG_ERR_ARG or TG_ERR_OOM; the message
 * is in report->message and tg_last_error(). */
tg_status tg_check_audit(tg_check_fn f, void *ud, int n_inputs,
                         const tg_check_arg *inputs, const tg_check_opts *opts,
                         tg_audit_report *report);
void tg_audit_report_print(const tg_audit_report *r, void *file);

/* "vjp", "nonfinite_output", "nonfinite_grad", "kink" or "none". */
const char *tg_culprit_kind_str(tg_culprit_kind k);

/* Print a human-readable table of the report to `f` (a FILE *). */
void tg_check_report_print(const tg_check_report *r, void *file);

/* Writes the worst element's index of `ir` as "(i,j)" ("-" when none or
 * ir is NULL). A NULL buf or size 0 writes nothing. */
void tg_check_format_index(char *buf, size_t size,
                           const tg_check_input_report *ir);

/* ------------------------------------------------------ Graphviz DOT */

/* Draw the graph recorded since the last reset for `dot -Tsvg`. One box
 * per op output (op name, shape, values, gradient), inputs as ellipses,
 * constants dashed, parameters as double octagons; edges run from an
 * operand to its consumer, numbered when the op takes several. */
typedef struct tg_dot_opts {
    tg_tensor *loss;    /* non-NULL: label each tensor with d sum(loss) / d
                           tensor (computed here with tg_grad; nothing is
                           recorded and leaves' ->grad are untouched).
                           NULL: leaves show their ->grad when they have
                           one. */
    int max_values;     /* print values and gradients of tensors with at
                           most this many elements (0: never)           */
    const char *title;  /* graph label, or NULL                        */
    bool left_to_right; /* rankdir=LR instead of top to bottom         */
} tg_dot_opts;

/* loss NULL, max_values 12, no title, top to bottom. */
tg_dot_opts tg_dot_defaults(void);

/* Write the DOT text to `file` (a FILE *); opts NULL = defaults. Returns
 * TG_OK, the graph's sticky error, TG_ERR_ARG (NULL graph or file), the
 * error of computing the gradients, TG_ERR_OOM, or TG_ERR_IO when writing
 * failed. The message is in tg_last_error(). Never aborts. */
tg_status tg_graph_write_dot(tg_graph *g, void *file, const tg_dot_opts *opts);
/* Same into the file at `path`, written to a temporary file beside it and
 * renamed over it when complete: on any failure (the graph's own error
 * included) whatever was at path is left untouched. Only a regular file is
 * replaced; a symbolic link, device, FIFO or directory at path is
 * TG_ERR_IO with nothing written. An existing file keeps its permission
 * bits. */
tg_status tg_graph_save_dot(tg_graph *g, const char *path,
                            const tg_dot_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
