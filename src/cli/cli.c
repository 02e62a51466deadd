/* `tapegrad check | grad | dot`: argument handling, input tensors from
 * NAME=SHAPE[:VALUES], the gradient-check table and JSON, the op registry
 * sweep (--all-ops), and DOT output. The contract (syntax, JSON, exit
 * codes) is in DESIGN.md, "The tapegrad command"; docs/gradcheck.md has
 * the details chosen here. */
#include "cli.h"

#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <time.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "src/expr.h"

enum { EXIT_PASS = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

#define MAX_INPUTS TG_CHECK_MAX_INPUTS
#define NAME_MAX_LEN 64
#define FAST_AUTO 4096 /* differentiated elements above which check is fast */

tg_cli_env tg_cli_default_env(void)
{
    tg_cli_env e = {true, true, (int64_t)1 << 24};
    return e;
}

void tg_cli_usage(FILE *f)
{
    fprintf(f,
            "  check EXPR NAME=SHAPE... [--dtype f64|f32] [--eps E] [--atol A]\n"
            "        [--rtol R] [--seed N] [--json] [--fast|--full] [--gradgrad]\n"
            "        [--kink-margin M] [--nondet-tol T] [--no-grad NAME] [--sum-only]\n"
            "        [--forward] [--audit (with --dtype f32)]\n"
            "                        compare the gradient of sum(w * EXPR), w random\n"
            "                        output weights (sum(EXPR) with --sum-only), with\n"
            "                        central differences (--forward: JVPs too); on a\n"
            "                        failure name the faulty op; exit 0 pass, 1 fail,\n"
            "                        2 bad usage\n"
            "  check --all-ops [--json] [--gradgrad] [--seed N]\n"
            "                        check every registered op on its cases\n"
            "  check --lib FILE.so:SYMBOL --n N [--x V,V,...] [check options]\n"
            "  check --exec 'COMMAND' --n N [--x V,V,...] [--timeout S]\n"
            "                        check a gradient computed by other code: a C\n"
            "                        function double f(const double *x, double\n"
            "                        *grad, size_t n, void *ud) in a shared library,\n"
            "                        or a program reading x on stdin and printing f\n"
            "                        and its gradient (docs/gradcheck.md)\n"
            "  grad EXPR NAME=SHAPE... [--dtype f64|f32] [--seed N] [--json]\n"
            "                        values and gradients of sum(EXPR)\n"
            "  dot EXPR NAME=SHAPE... [--dtype f64|f32] [--seed N] [-o FILE]\n"
            "        (-o FILE.svg, .png or .pdf: drawn by Graphviz)\n"
            "        [--max-values N]  Graphviz DOT of the graph with values and\n"
            "                        gradients\n"
            "  jvp EXPR NAME=SHAPE... [--tangent NAME=V,V,...] [--json]\n"
            "                        EXPR and its Jacobian-vector product along\n"
            "                        the tangents (default: uniform in [-1, 1]\n"
            "                        from --seed + 1)\n"
            "  jacobian EXPR NAME=SHAPE... [--mode auto|reverse|forward] [--json]\n"
            "                        d EXPR / d NAME for every input, shape\n"
            "                        EXPR's shape + NAME's shape\n"
            "  hessian EXPR NAME=SHAPE... [--json]\n"
            "                        second derivatives of a one-element EXPR,\n"
            "                        one block per pair of inputs\n"
            "SHAPE is dims joined by x (4x3) or 'scalar'; values may follow a\n"
            "colon: x=2x2:1,2,3,4 (one value fills the tensor). i64: or bool:\n"
            "before the shape makes an integer or boolean input, never\n"
            "differentiated: i=i64:3:2,0,1 (i64 inputs need values; bool\n"
            "ones default to fair coin flips). A number that\n"
            "is not a shape is a scalar: w=0.5 is w=scalar:0.5 (w=3 is the\n"
            "shape [3]; write w=scalar:3). Other inputs are uniform in [-1, 1]\n"
            "from --seed (default 0).\n");
}

/* ------------------------------------------------------------ inputs */

typedef struct cli_input {
    char name[NAME_MAX_LEN];
    int ndim;
    int64_t shape[TG_MAX_DIMS];
    int64_t numel;
    double *data; /* hook-allocated, numel values */
    tg_dtype dt;  /* TG_I64 or TG_BOOL as asked; TG_F64: follow --dtype */
    bool given;   /* values came from the command line */
    bool no_grad;
} cli_input;

typedef struct cli {
    FILE *out, *err;
    const tg_cli_env *env;
    const char *cmd;
    const char *expr_src;
    tg_expr *expr;
    cli_input in[MAX_INPUTS];
    int n_in;
    tg_dtype dt;
    tg_check_opts o;
    bool json, fast, full, all_ops;
    bool sum_only; /* check: d sum(EXPR) instead of d sum(w * EXPR) */
    bool audit;    /* check --dtype f32 --audit: rounding per node      */
    bool leaves_follow_no_grad; /* dot: no_grad inputs do not require grad */
    const char *out_path;
    int max_values;
    const char *no_grad[MAX_INPUTS];
    int n_no_grad;
    /* jacobian: --mode; jvp: --tangent NAME=VALUES */
    tg_jac_mode jac_mode;
    const char *tangent[MAX_INPUTS];
    int n_tangent;
    /* check --lib FILE:SYMBOL | --exec CMD, --n N, --x V,V,...,
     * --timeout S: a gradient computed by other code */
    const char *lib, *exec_cmd, *x_vals;
    uint64_t raw_n;
    double timeout;
    /* --all-ops: ops without cases that still need a covering case
     * (wants_cover[i] for op i of tg_op_at) */
    bool *wants_cover;
    int n_ops, uncovered;
} cli;

static int usage_error(cli *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int usage_error(cli *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(c->err, "tapegrad %s: ", c->cmd);
    vfprintf(c->err, fmt, ap);
    fputc('\n', c->err);
    va_end(ap);
    return EXIT_USAGE;
}

static bool is_ident(const char *s, size_t n)
{
    if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_')) return false;
    for (size_t i = 1; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_')) return false;
    return true;
}

/* "4x3", "scalar", "7". Writes a one-line reason into msg on failure. */
static bool parse_shape(const char *s, size_t n, int *ndim, int64_t *shape,
                        char *msg, size_t size)
{
    if (n == 6 && !memcmp(s, "scalar", 6)) {
        *ndim = 0;
        return true;
    }
    int nd = 0;
    size_t i = 0;
    if (n == 0) {
        snprintf(msg, size, "the shape is empty");
        return false;
    }
    while (i <= n) {
        size_t j = i;
        int64_t v = 0;
        while (j < n && isdigit((unsigned char)s[j])) {
            if (v > 1000000000) {
                snprintf(msg, size, "dimension %d is too large", nd + 1);
                return false;
            }
            v = v * 10 + (s[j] - '0');
            j++;
        }
        if (j == i || (j < n && s[j] != 'x')) {
            snprintf(msg, size,
                     "bad shape '%.*s': write dims joined by x (4x3) or "
                     "'scalar'",
                     (int)(n > 60 ? 60 : n), s);
            return false;
        }
        if (nd == TG_MAX_DIMS) {
            snprintf(msg, size, "shape '%.*s' has more than %d dims",
                     (int)(n > 60 ? 60 : n), s, TG_MAX_DIMS);
            return false;
        }
        shape[nd++] = v;
        if (j == n) break;
        i = j + 1;
        if (i == n) {
            snprintf(msg, size, "bad shape '%.*s': it ends with 'x'",
                     (int)(n > 60 ? 60 : n), s);
            return false;
        }
    }
    *ndim = nd;
    return true;
}

/* NAME=SHAPE[:v1,v2,...] */
static int parse_input(cli *c, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq) {
        if (is_ident(arg, strlen(arg)))
            return usage_error(c, "input '%s' has no shape; write %s=SHAPE "
                                  "(e.g. %s=3x4 or %s=scalar)",
                               arg, arg, arg, arg);
        return usage_error(c, "unexpected argument '%.80s' (inputs are "
                              "NAME=SHAPE)",
                           arg);
    }
    size_t nl = (size_t)(eq - arg);
    if (!is_ident(arg, nl) || nl >= NAME_MAX_LEN)
        return usage_error(c, "bad input name '%.*s' (letters, digits and _, "
                              "not starting with a digit, at most %d)",
                           (int)(nl > 80 ? 80 : nl), arg, NAME_MAX_LEN - 1);
    if (c->n_in == MAX_INPUTS)
        return usage_error(c, "too many inputs (at most %d)", MAX_INPUTS);
    for (int i = 0; i < c->n_in; i++)
        if (strlen(c->in[i].name) == nl && !memcmp(c->in[i].name, arg, nl))
            return usage_error(c, "input '%.*s' is given twice", (int)nl, arg);
    cli_input *in = &c->in[c->n_in];
    memset(in, 0, sizeof *in);
    memcpy(in->name, arg, nl);
    in->name[nl] = 0;
    const char *sh = eq + 1;
    in->dt = TG_F64;
    if (!strncmp(sh, "i64:", 4)) in->dt = TG_I64, sh += 4;
    else if (!strncmp(sh, "bool:", 5)) in->dt = TG_BOOL, sh += 5;
    in->no_grad = in->dt != TG_F64;
    const char *colon = strchr(sh, ':');
    size_t sl = colon ? (size_t)(colon - sh) : strlen(sh);
    char msg[200];
    if (sl == 0)
        return usage_error(c, "input '%s' has no shape; write %s=SHAPE (e.g. "
                              "%s=3x4 or %s=scalar)",
                           in->name, in->name, in->name, in->name);
    /* w=0.5 (a number that is not a shape) means w=scalar:0.5; w=3 stays
     * the shape [3], as the design writes shapes. */
    char *num_end;
    double num = colon || in->dt != TG_F64 ? 0 : strtod(sh, &num_end);
    bool is_number = !colon && in->dt == TG_F64 && num_end != sh &&
                     *num_end == 0 &&
                     isfinite(num) && strspn(sh, "0123456789") != sl;
    if (is_number) {
        in->ndim = 0;
    } else if (!parse_shape(sh, sl, &in->ndim, in->shape, msg, sizeof msg)) {
        return usage_error(c, "input '%s': %s", in->name, msg);
    }
    if (!tg__numel(in->ndim, in->shape, &in->numel) ||
        in->numel > c->env->max_numel)
        return usage_error(c, "input '%s' has too many elements (at most "
                              "%lld)",
                           in->name, (long long)c->env->max_numel);
    in->data = tg__malloc(sizeof(double) * (size_t)(in->numel ? in->numel : 1));
    if (!in->data) return usage_error(c, "out of memory");
    c->n_in++;
    if (is_number) {
        in->data[0] = num;
        in->given = true;
        return EXIT_PASS;
    }
    if (!colon) {
        if (in->dt == TG_I64)
            return usage_error(c, "input '%s' is i64 and needs values "
                                  "(%s=i64:SHAPE:V,V,...); hint: indices "
                                  "and labels must be in range, so they "
                                  "are not drawn at random",
                               in->name, in->name);
        return EXIT_PASS;
    }
    /* values */
    const char *p = colon + 1;
    int64_t k = 0;
    while (*p) {
        char *end;
        errno = 0;
        double v = strtod(p, &end);
        if (end == p)
            return usage_error(c, "input '%s': bad value '%.40s' (values are "
                                  "numbers separated by commas)",
                               in->name, p);
        if (in->dt != TG_F64 &&
            !(in->dt == TG_BOOL ? v == 0 || v == 1
                                : v == floor(v) && fabs(v) < 9007199254740992.0))
            return usage_error(c, "input '%s': value %.40s is not %s",
                               in->name, p,
                               in->dt == TG_BOOL ? "0 or 1 (bool)"
                                                 : "an integer (i64, below "
                                                   "2^53 in magnitude)");
        if (k < in->numel) in->data[k] = v;
        k++;
        p = end;
        while (*p == ' ') p++;
        if (*p == ',') {
            p++;
            if (!*p)
                return usage_error(c, "input '%s': a value is missing after "
                                      "the last comma",
                                   in->name);
        } else if (*p) {
            return usage_error(c, "input '%s': bad value '%.40s' (values are "
                                  "numbers separated by commas)",
                               in->name, p);
        }
    }
    if (k == 1 && in->numel != 1) {
        for (int64_t i = 1; i < in->numel; i++) in->data[i] = in->data[0];
    } else if (k != in->numel) {
        char sb[TG_SHAPE_BUF];
        return usage_error(c, "input '%s' has shape %s (%lld elements) but "
                              "%lld values were given",
                           in->name, tg__fmt_shape(sb, in->ndim, in->shape),
                           (long long)in->numel, (long long)k);
    }
    in->given = true;
    return EXIT_PASS;
}

static void free_inputs(cli *c)
{
    for (int i = 0; i < c->n_in; i++) tg__free(c->in[i].data);
    c->n_in = 0;
}

/* Uniform [-1, 1) from the seed, in command-line order, for inputs
 * without values. */
static void fill_random(cli *c)
{
    tg_rng r;
    tg_rng_seed(&r, c->o.seed);
    for (int i = 0; i < c->n_in; i++) {
        if (c->in[i].given) continue;
        bool coin = c->in[i].dt == TG_BOOL;
        for (int64_t k = 0; k < c->in[i].numel; k++) {
            double u = tg_rng_uniform(&r);
            c->in[i].data[k] = coin ? (u < 0.5) : 2 * u - 1;
        }
    }
}

/* ----------------------------------------------------------- options */

static bool parse_double(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return end != s && !*end && errno == 0 && isfinite(*v);
}

static bool parse_u64(const char *s, uint64_t *v)
{
    if (!isdigit((unsigned char)*s)) return false;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    *v = (uint64_t)x;
    return !*end && errno == 0;
}

/* Value of option `name` either from "--name=V" or the next argument. */
static const char *opt_value(cli *c, int argc, char **argv, int *i,
                             const char *name, int *rc)
{
    const char *a = argv[*i];
    size_t nl = strlen(name);
    if (a[nl] == '=') return a + nl + 1;
    if (*i + 1 >= argc) {
        *rc = usage_error(c, "%s needs a value", name);
        return NULL;
    }
    return argv[++*i];
}

static bool opt_is(const char *a, const char *name)
{
    size_t nl = strlen(name);
    return !strncmp(a, name, nl) && (a[nl] == 0 || a[nl] == '=');
}

static int parse_args(cli *c, int argc, char **argv)
{
    int rc = EXIT_PASS;
    bool no_more_opts = false;
    for (int i = 1; i < argc && rc == EXIT_PASS; i++) {
        const char *a = argv[i];
        const char *v = NULL;
        double d;
        if (!no_more_opts && !strcmp(a, "--")) {
            no_more_opts = true;
        } else if (!no_more_opts && a[0] == '-' && a[1] == '-') {
            if (opt_is(a, "--json")) c->json = true;
            else if (opt_is(a, "--fast")) c->fast = true, c->full = false;
            else if (opt_is(a, "--full")) c->full = true, c->fast = false;
            else if (opt_is(a, "--gradgrad")) c->o.gradgrad = true;
            else if (opt_is(a, "--forward")) c->o.forward = true;
            else if (opt_is(a, "--audit")) c->audit = true;
            else if (opt_is(a, "--sum-only")) c->sum_only = true;
            else if (opt_is(a, "--all-ops")) c->all_ops = true;
            else if (opt_is(a, "--dtype")) {
                if (!(v = opt_value(c, argc, argv, &i, "--dtype", &rc))) break;
                if (!strcmp(v, "f64")) c->dt = TG_F64;
                else if (!strcmp(v, "f32")) c->dt = TG_F32;
                else rc = usage_error(c, "--dtype is f64 or f32, not '%.40s'", v);
            } else if (opt_is(a, "--eps")) {
                if (!(v = opt_value(c, argc, argv, &i, "--eps", &rc))) break;
                if (!parse_double(v, &d) || d <= 0)
                    rc = usage_error(c, "--eps wants a number > 0, not '%.40s'", v);
                c->o.eps = d;
            } else if (opt_is(a, "--atol") || opt_is(a, "--rtol") ||
                       opt_is(a, "--kink-margin") || opt_is(a, "--nondet-tol")) {
                const char *nm = opt_is(a, "--atol")   ? "--atol"
                                 : opt_is(a, "--rtol") ? "--rtol"
                                 : opt_is(a, "--kink-margin") ? "--kink-margin"
                                                              : "--nondet-tol";
                if (!(v = opt_value(c, argc, argv, &i, nm, &rc))) break;
                if (!parse_double(v, &d) || d < 0) {
                    rc = usage_error(c, "%s wants a number >= 0, not '%.40s'",
                                     nm, v);
                    break;
                }
                if (nm[2] == 'a') c->o.atol = d;
                else if (nm[2] == 'r') c->o.rtol = d;
                else if (nm[2] == 'k') c->o.kink_margin = d;
                else c->o.nondet_tol = d;
            } else if (opt_is(a, "--seed")) {
                if (!(v = opt_value(c, argc, argv, &i, "--seed", &rc))) break;
                if (!parse_u64(v, &c->o.seed))
                    rc = usage_error(c, "--seed wants an integer >= 0, not "
                                        "'%.40s'",
                                     v);
            } else if (opt_is(a, "--max-values")) {
                if (!(v = opt_value(c, argc, argv, &i, "--max-values", &rc)))
                    break;
                uint64_t m;
                if (!parse_u64(v, &m) || m > 1000000)
                    rc = usage_error(c, "--max-values wants an integer in "
                                        "0..1000000, not '%.40s'",
                                     v);
                c->max_values = (int)m;
            } else if (opt_is(a, "--no-grad")) {
                if (!(v = opt_value(c, argc, argv, &i, "--no-grad", &rc))) break;
                if (c->n_no_grad == MAX_INPUTS)
                    rc = usage_error(c, "too many --no-grad names");
                else c->no_grad[c->n_no_grad++] = v;
            } else if (opt_is(a, "--mode")) {
                if (!(v = opt_value(c, argc, argv, &i, "--mode", &rc))) break;
                if (!strcmp(v, "auto")) c->jac_mode = TG_JAC_AUTO;
                else if (!strcmp(v, "reverse")) c->jac_mode = TG_JAC_REVERSE;
                else if (!strcmp(v, "forward")) c->jac_mode = TG_JAC_FORWARD;
                else rc = usage_error(c, "--mode is auto, reverse or forward, "
                                         "not '%.40s'", v);
            } else if (opt_is(a, "--tangent")) {
                if (!(v = opt_value(c, argc, argv, &i, "--tangent", &rc))) break;
                if (c->n_tangent == MAX_INPUTS)
                    rc = usage_error(c, "too many --tangent options");
                else c->tangent[c->n_tangent++] = v;
            } else if (opt_is(a, "--lib")) {
                if (!(v = opt_value(c, argc, argv, &i, "--lib", &rc))) break;
                c->lib = v;
            } else if (opt_is(a, "--exec")) {
                if (!(v = opt_value(c, argc, argv, &i, "--exec", &rc))) break;
                c->exec_cmd = v;
            } else if (opt_is(a, "--x")) {
                if (!(v = opt_value(c, argc, argv, &i, "--x", &rc))) break;
                c->x_vals = v;
            } else if (opt_is(a, "--n")) {
                if (!(v = opt_value(c, argc, argv, &i, "--n", &rc))) break;
                if (!parse_u64(v, &c->raw_n) || c->raw_n < 1 ||
                    c->raw_n > (uint64_t)c->env->max_numel)
                    rc = usage_error(c, "--n wants an integer in 1..%lld, not "
                                        "'%.40s'",
                                     (long long)c->env->max_numel, v);
            } else if (opt_is(a, "--timeout")) {
                if (!(v = opt_value(c, argc, argv, &i, "--timeout", &rc)))
                    break;
                if (!parse_double(v, &d) || d <= 0)
                    rc = usage_error(c, "--timeout wants seconds > 0, not "
                                        "'%.40s'",
                                     v);
                c->timeout = d;
            } else if (opt_is(a, "--help")) {
                return -1;
            } else {
                rc = usage_error(c, "unknown option '%.40s' (tapegrad %s "
                                    "--help lists them)",
                                 a, c->cmd);
            }
        } else if (!no_more_opts && !strcmp(a, "-o")) {
            if (i + 1 >= argc) rc = usage_error(c, "-o needs a file name");
            else c->out_path = argv[++i];
        } else if (!no_more_opts && !strcmp(a, "-h")) {
            return -1;
        } else if (!c->expr_src && !c->all_ops) {
            c->expr_src = a; /* may start with '-' (-x * y) */
        } else {
            rc = parse_input(c, a);
        }
    }
    return rc;
}

/* -------------------------------------------------------- evaluation */

typedef struct fn_ud {
    const tg_expr *e;
    const char *names[MAX_INPUTS];
    tg_dtype dts[MAX_INPUTS]; /* TG_I64/TG_BOOL inputs: cast to it */
    int n;
} fn_ud;

/* The checker hands every input over as f64; integer and boolean ones
 * (never perturbed, their values exact in f64) are cast back. */
static tg_tensor *expr_fn(tg_graph *g, tg_tensor *const *in, int n, void *ud)
{
    fn_ud *u = ud;
    tg_tensor *v[MAX_INPUTS];
    for (int i = 0; i < n && i < MAX_INPUTS; i++)
        v[i] = u->dts[i] == TG_F64 ? in[i] : tg_cast(in[i], u->dts[i]);
    return tg__expr_eval(u->e, g, TG_F64, n, u->names, v, NULL);
}

/* The same in the inputs' dtype (the f32 audit records it twice). */
static tg_tensor *expr_fn_dt(tg_graph *g, tg_tensor *const *in, int n,
                             void *ud)
{
    fn_ud *u = ud;
    tg_dtype dt = n > 0 ? in[0]->dtype : TG_F64;
    return tg__expr_eval(u->e, g, dt, n, u->names, in, NULL);
}

/* Check that the expression's names are inputs and mark index inputs. */
static int bind_inputs(cli *c, fn_ud *u)
{
    u->e = c->expr;
    u->n = c->n_in;
    for (int i = 0; i < c->n_in; i++) {
        u->names[i] = c->in[i].name;
        u->dts[i] = c->in[i].dt;
    }
    for (int v = 0; v < tg__expr_num_vars(c->expr); v++) {
        const char *nm = tg__expr_var(c->expr, v);
        int found = -1;
        for (int i = 0; i < c->n_in; i++)
            if (!strcmp(c->in[i].name, nm)) found = i;
        if (found < 0) {
            char list[400];
            size_t k = 0;
            list[0] = 0;
            for (int i = 0; i < c->n_in && k < sizeof list; i++)
                k += (size_t)snprintf(list + k, sizeof list - k, "%s%s",
                                      i ? ", " : "", c->in[i].name);
            return usage_error(c, "unknown input '%s' in the expression "
                                  "(inputs given: %s); hint: add %s=SHAPE",
                               nm, c->n_in ? list : "none", nm);
        }
        if (!tg__expr_var_differentiable(c->expr, v)) c->in[found].no_grad = true;
    }
    for (int k = 0; k < c->n_no_grad; k++) {
        int found = -1;
        for (int i = 0; i < c->n_in; i++)
            if (!strcmp(c->in[i].name, c->no_grad[k])) found = i;
        if (found < 0)
            return usage_error(c, "--no-grad names '%.40s', which is not an "
                                  "input",
                               c->no_grad[k]);
        c->in[found].no_grad = true;
    }
    return EXIT_PASS;
}

static int parse_expr(cli *c)
{
    if (!c->expr_src)
        return usage_error(c, "no expression given (tapegrad %s EXPR "
                              "NAME=SHAPE...)",
                           c->cmd);
    tg__expr_err e;
    if (tg__expr_parse(c->expr_src, &c->expr, &e) != TG_OK) {
        tg__expr_print_error(c->err, c->expr_src, &e);
        return EXIT_USAGE;
    }
    return EXIT_PASS;
}

/* Leaves for the inputs on g in dtype dt (values converted), optionally
 * requiring grad. */
static bool make_leaves(cli *c, tg_graph *g, tg_dtype dt, bool rg,
                        tg_tensor **t)
{
    for (int i = 0; i < c->n_in; i++) {
        cli_input *in = &c->in[i];
        if (in->dt != TG_F64) {
            t[i] = tg_input(g, in->dt, in->ndim, in->shape, NULL);
            int64_t *iv = tg_i64(t[i]);
            bool *bv = tg_bool(t[i]);
            for (int64_t k = 0; k < in->numel; k++) {
                if (iv) iv[k] = (int64_t)in->data[k];
                if (bv) bv[k] = in->data[k] != 0;
            }
            if (tg_graph_status(g) != TG_OK) return false;
            t[i]->name = in->name;
            continue; /* never requires grad */
        } else if (dt == TG_F64) {
            t[i] = tg_input(g, TG_F64, in->ndim, in->shape, in->data);
        } else {
            t[i] = tg_input(g, TG_F32, in->ndim, in->shape, NULL);
            float *f = tg_f32(t[i]);
            if (f)
                for (int64_t k = 0; k < in->numel; k++) f[k] = (float)in->data[k];
        }
        if (tg_graph_status(g) != TG_OK) return false;
        t[i]->name = in->name;
        if (rg && !(c->leaves_follow_no_grad && in->no_grad))
            tg_set_requires_grad(t[i], true);
    }
    return true;
}

/* Build EXPR on g in dtype dt. On failure prints one line and returns
 * NULL. */
static tg_tensor *build(cli *c, tg_graph *g, tg_dtype dt, bool rg,
                        tg_tensor **leaves)
{
    if (!make_leaves(c, g, dt, rg, leaves)) {
        usage_error(c, "%s", tg_graph_error(g));
        return NULL;
    }
    const char *names[MAX_INPUTS];
    for (int i = 0; i < c->n_in; i++) names[i] = c->in[i].name;
    tg__expr_err e;
    tg_tensor *y = tg__expr_eval(c->expr, g, dt, c->n_in, names, leaves, &e);
    if (!y) {
        if (e.pos >= 0)
            usage_error(c, "%s (in '%.*s' at column %d)", e.msg,
                        e.len > 60 ? 60 : e.len, c->expr_src + e.pos,
                        e.col + 1);
        else usage_error(c, "%s", e.msg);
    }
    return y;
}

/* -------------------------------------------------------------- JSON */

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') fprintf(f, "\\%c", ch);
        else if (ch == '\n') fputs("\\n", f);
        else if (ch == '\t') fputs("\\t", f);
        else if (ch < 0x20 || ch >= 0x7f) fprintf(f, "\\u%04x", ch);
        else fputc(ch, f);
    }
    fputc('"', f);
}

/* Version of the JSON the subcommands print (docs/gradcheck.md, "The JSON
 * schema"). Adding a key keeps it; removing, renaming or changing the type
 * of one raises it. */
#define CLI_JSON_SCHEMA 1

/* Opens a subcommand's top-level object with its schema version and the
 * command's name; the caller goes on with its first key. */
static void json_open(FILE *f, const char *cmd)
{
    fprintf(f, "{\"schema_version\": %d, \"command\": \"%s\", ",
            CLI_JSON_SCHEMA, cmd);
}

/* Round-trip digits: %.17g for f64, %.9g for f32. JSON has no NaN or
 * Infinity, so those are the strings "NaN", "Infinity" and "-Infinity"
 * (null is kept for "no value", as the gradient of an integer input). */
static void json_num(FILE *f, double v, tg_dtype dt)
{
    if (isnan(v)) fputs("\"NaN\"", f);
    else if (isinf(v)) fputs(v > 0 ? "\"Infinity\"" : "\"-Infinity\"", f);
    else if (dt == TG_BOOL) fputs(v != 0 ? "true" : "false", f);
    else if (dt == TG_I64) fprintf(f, "%.0f", v);
    else fprintf(f, dt == TG_F32 ? "%.9g" : "%.17g", v);
}

/* One element as text: integers exactly, bools as true/false. */
static void text_num(FILE *f, const tg_tensor *t, int64_t k)
{
    if (t->dtype == TG_I64)
        fprintf(f, " %lld", (long long)tg_i64(t)[k]);
    else if (t->dtype == TG_BOOL)
        fputs(tg_bool(t)[k] ? " true" : " false", f);
    else
        fprintf(f, " %.*g", t->dtype == TG_F32 ? 9 : 17, tg_get(t, k));
}

static void json_shape(FILE *f, int ndim, const int64_t *shape)
{
    fputc('[', f);
    for (int d = 0; d < ndim; d++)
        fprintf(f, "%s%lld", d ? ", " : "", (long long)shape[d]);
    fputc(']', f);
}

static void json_data(FILE *f, const tg_tensor *t, tg_dtype dt)
{
    if (!tg_dtype_is_float(t->dtype) || !tg_dtype_is_float(dt)) dt = t->dtype;
    fputc('[', f);
    for (int64_t k = 0; k < t->numel; k++) {
        if (k) fputs(", ", f);
        if (t->dtype == TG_I64) fprintf(f, "%lld", (long long)tg_i64(t)[k]);
        else json_num(f, tg_get(t, k), dt);
    }
    fputc(']', f);
}

static void json_index(FILE *f, const tg_check_input_report *ir)
{
    if (ir->worst < 0) {
        fputs("null", f);
        return;
    }
    int64_t flat = ir->worst, idx[TG_MAX_DIMS];
    for (int d = ir->ndim - 1; d >= 0; d--) {
        int64_t e = ir->shape[d] > 0 ? ir->shape[d] : 1;
        idx[d] = flat % e;
        flat /= e;
    }
    json_shape(f, ir->ndim, idx);
}

static void json_flat_index(FILE *f, int ndim, const int64_t *shape,
                            int64_t flat)
{
    if (flat < 0) {
        fputs("null", f);
        return;
    }
    int64_t idx[TG_MAX_DIMS];
    for (int d = ndim - 1; d >= 0; d--) {
        int64_t e = shape[d] > 0 ? shape[d] : 1;
        idx[d] = flat % e;
        flat /= e;
    }
    json_shape(f, ndim, idx);
}

/* The faulty op of a failed check (docs/gradcheck.md, "Finding the
 * faulty op"); null when the search did not run. */
static void json_culprit(FILE *f, const tg_check_culprit *cu)
{
    if (!cu->searched) {
        fputs("null", f);
        return;
    }
    fprintf(f, "{\"kind\": \"%s\"", tg_culprit_kind_str(cu->kind));
    if (cu->kind != TG_CULPRIT_NONE) {
        fputs(", \"op\": ", f);
        json_str(f, cu->op);
        fprintf(f, ", \"node\": %lld, \"input_shapes\": [",
                (long long)cu->node);
        for (int j = 0; j < cu->n_in && j < TG_CULPRIT_MAX_IN; j++) {
            fputs(j ? ", " : "", f);
            json_shape(f, cu->in_ndim[j], cu->in_shape[j]);
        }
        fputs("], \"attrs\": ", f);
        json_str(f, cu->attrs);
        fputs(", \"input\": ", f);
        if (cu->input >= 0) fprintf(f, "%d", cu->input);
        else fputs("null", f);
        fputs(", \"worst\": ", f);
        json_flat_index(f, cu->worst_ndim, cu->worst_shape, cu->worst);
        fprintf(f, ", \"worst_flat\": %lld, \"analytic\": ",
                (long long)cu->worst);
        json_num(f, cu->analytic, TG_F64);
        fputs(", \"numeric\": ", f);
        json_num(f, cu->numeric, TG_F64);
        fputs(", \"text\": ", f);
        json_str(f, cu->text);
    }
    fputc('}', f);
}

static void json_rows(FILE *f, const tg_check_input_report *rows, int n)
{
    fputc('[', f);
    for (int i = 0; i < n; i++) {
        const tg_check_input_report *ir = &rows[i];
        fprintf(f, "%s{\"name\": ", i ? ", " : "");
        json_str(f, ir->name ? ir->name : "");
        fputs(", \"shape\": ", f);
        json_shape(f, ir->ndim, ir->shape);
        fprintf(f, ", \"checked\": %s", ir->checked ? "true" : "false");
        if (ir->checked) {
            fprintf(f, ", \"pass\": %s, \"max_abs_err\": ",
                    ir->pass ? "true" : "false");
            json_num(f, ir->max_abs_err, TG_F64);
            fputs(", \"max_rel_err\": ", f);
            json_num(f, ir->max_rel_err, TG_F64);
            fputs(", \"worst\": ", f);
            json_index(f, ir);
            fprintf(f, ", \"worst_flat\": %lld, \"analytic\": ",
                    (long long)ir->worst);
            json_num(f, ir->analytic, TG_F64);
            fputs(", \"numeric\": ", f);
            json_num(f, ir->numeric, TG_F64);
            fprintf(f, ", \"at_kink\": %s", ir->at_kink ? "true" : "false");
        }
        fputc('}', f);
    }
    fputc(']', f);
}

/* ------------------------------------------------------------- check */

static tg_check_arg to_arg(const cli_input *in)
{
    tg_check_arg a;
    memset(&a, 0, sizeof a);
    a.name = in->name;
    a.ndim = in->ndim;
    for (int d = 0; d < in->ndim; d++) a.shape[d] = in->shape[d];
    a.data = in->data;
    a.no_grad = in->no_grad;
    return a;
}

/* f32 run of the expression against the f64 run: the largest absolute
 * difference of the output and of the input gradients. */
static int f32_compare(cli *c, double *dout, double *dgrad)
{
    tg_graph *g = tg_graph_new();
    if (!g) return usage_error(c, "out of memory");
    tg_tensor *l32[MAX_INPUTS], *l64[MAX_INPUTS], *g32[MAX_INPUTS],
        *g64[MAX_INPUTS];
    int rc = EXIT_USAGE;
    tg_tensor *y32 = build(c, g, TG_F32, true, l32);
    tg_tensor *y64 = y32 ? build(c, g, TG_F64, true, l64) : NULL;
    if (!y32 || !y64) goto out;
    *dout = 0;
    for (int64_t k = 0; k < y32->numel && k < y64->numel; k++) {
        double d = fabs(tg_get(y32, k) - tg_get(y64, k));
        if (!(d <= *dout)) *dout = d;
    }
    *dgrad = 0;
    if (c->n_in > 0) {
        tg_tensor *s32 = tg_full(g, TG_F32, y32->ndim, y32->shape, 1.0);
        tg_tensor *s64 = tg_full(g, TG_F64, y64->ndim, y64->shape, 1.0);
        if (tg_grad(g, &y32, 1, &s32, l32, c->n_in, false, g32) != TG_OK ||
            tg_grad(g, &y64, 1, &s64, l64, c->n_in, false, g64) != TG_OK) {
            usage_error(c, "%s", tg_graph_error(g));
            goto out;
        }
        for (int i = 0; i < c->n_in; i++)
            for (int64_t k = 0; k < g32[i]->numel; k++) {
                double d = fabs(tg_get(g32[i], k) - tg_get(g64[i], k));
                if (!(d <= *dgrad)) *dgrad = d;
            }
    }
    rc = EXIT_PASS;
out:
    tg_graph_free(g);
    return rc;
}

/* Warn about every input whose analytic gradient is exactly 0 at every
 * element: a check of it passes whatever backward computes. Seeds with
 * ones under --sum-only (the check's own seed then), else with random
 * weights of magnitude 0.5..1.5 like the check's. */
static int warn_zero_grads(cli *c)
{
    tg_graph *g = tg_graph_new();
    if (!g) return usage_error(c, "out of memory");
    int rc = EXIT_USAGE;
    tg_tensor *l[MAX_INPUTS], *want[MAX_INPUTS], *gr[MAX_INPUTS];
    int idx[MAX_INPUTS], m = 0;
    tg_tensor *y = build(c, g, TG_F64, true, l);
    if (!y) goto out; /* build printed why */
    for (int i = 0; i < c->n_in; i++)
        if (!c->in[i].no_grad) idx[m] = i, want[m++] = l[i];
    if (!m) {
        rc = EXIT_PASS;
        goto out;
    }
    tg_tensor *seed = tg_full(g, TG_F64, y->ndim, y->shape, 1.0);
    if (tg_graph_error(g)) {
        usage_error(c, "%s", tg_graph_error(g));
        goto out;
    }
    if (!c->sum_only) {
        tg_rng r;
        tg_rng_seed(&r, c->o.seed ^ 0x9e3779b97f4a7c15ull);
        double *w = tg_f64(seed);
        for (int64_t k = 0; k < seed->numel; k++)
            w[k] = (tg_rng_uniform(&r) < 0.5 ? -1 : 1) *
                   (0.5 + tg_rng_uniform(&r));
    }
    if (tg_grad(g, &y, 1, &seed, want, m, false, gr) != TG_OK) {
        usage_error(c, "%s", tg_graph_error(g) ? tg_graph_error(g)
                                               : tg_last_error());
        goto out;
    }
    for (int j = 0; j < m; j++) {
        const double *d = tg_f64(gr[j]);
        bool zero = gr[j]->numel > 0;
        for (int64_t k = 0; k < gr[j]->numel && zero; k++) zero = d[k] == 0;
        if (!zero) continue;
        fprintf(c->err,
                "tapegrad check: warning: the gradient with respect to '%s' "
                "is exactly 0 at every\n  element, so this check cannot tell "
                "a right backward from a wrong one.\n  %s\n",
                c->in[idx[j]].name,
                c->sum_only
                    ? "sum(EXPR) may not depend on it (softmax and the "
                      "normalisations sum to a\n  constant): drop --sum-only "
                      "to weight the outputs at random."
                    : "The expression is flat in it at these values (floor, "
                      "sign, a comparison,\n  a clamp's flat part?): try "
                      "other --seed values or given values.");
    }
    rc = EXIT_PASS;
out:
    tg_graph_free(g);
    return rc;
}

static int check_one(cli *c)
{
    int rc = parse_expr(c);
    fn_ud u;
    if (rc == EXIT_PASS) rc = bind_inputs(c, &u);
    if (rc != EXIT_PASS) return rc;
    for (int i = 0; i < c->n_in; i++) {
        bool used = false;
        for (int v = 0; v < tg__expr_num_vars(c->expr); v++)
            if (!strcmp(tg__expr_var(c->expr, v), c->in[i].name)) used = true;
        if (!used)
            fprintf(c->err, "tapegrad check: note: input '%s' is not used by "
                            "the expression\n",
                    c->in[i].name);
    }
    fill_random(c);

    /* Build once in the asked dtype so shape errors are usage errors. */
    double dout = 0, dgrad = 0;
    if (c->dt == TG_F32) {
        rc = f32_compare(c, &dout, &dgrad);
        if (rc != EXIT_PASS) return rc;
    } else {
        tg_graph *g = tg_graph_new();
        if (!g) return usage_error(c, "out of memory");
        tg_tensor *l[MAX_INPUTS];
        tg_tensor *y = build(c, g, TG_F64, true, l);
        tg_graph_free(g);
        if (!y) return EXIT_USAGE;
    }

    tg_check_arg args[MAX_INPUTS];
    int64_t total = 0;
    for (int i = 0; i < c->n_in; i++) {
        args[i] = to_arg(&c->in[i]);
        if (!c->in[i].no_grad) total += c->in[i].numel;
    }
    tg_check_opts o = c->o;
    /* Random output weights by default, as tg_gradcheck: with plain
     * sum(EXPR), softmax or batch_norm pass whatever their VJP does (the
     * sum is constant, its gradient 0). --sum-only keeps the sum. */
    o.sum_only = c->sum_only;
    rc = warn_zero_grads(c);
    if (rc != EXIT_PASS) return rc;
    o.fast = c->fast || (!c->full && total > FAST_AUTO);
    tg_check_report r;
    tg_status st = tg_gradcheck(expr_fn, &u, c->n_in, args, &o, &r);
    if (st != TG_OK && st != TG_ERR_NUMERIC)
        return usage_error(c, "%s", r.message[0] ? r.message : tg_last_error());
    tg_audit_report *au = NULL;
    if (c->audit) {
        if (c->dt != TG_F32)
            return usage_error(c, "--audit compares an f32 run with an f64 "
                                  "one; add --dtype f32");
        au = tg__malloc(sizeof *au);
        if (!au) return usage_error(c, "out of memory");
        if (tg_check_audit(expr_fn_dt, &u, c->n_in, args, &o, au) != TG_OK) {
            rc = usage_error(c, "%s", au->message);
            tg__free(au);
            return rc;
        }
    }

    if (c->json) {
        FILE *f = c->out;
        json_open(f, c->cmd);
        fputs("\"expr\": ", f);
        json_str(f, c->expr_src);
        fprintf(f, ", \"dtype\": \"%s\", \"checked_in\": \"f64\", \"pass\": %s",
                c->dt == TG_F32 ? "f32" : "f64", r.pass ? "true" : "false");
        fputs(", \"eps\": ", f);
        json_num(f, o.eps, TG_F64);
        fputs(", \"atol\": ", f);
        json_num(f, o.atol, TG_F64);
        fputs(", \"rtol\": ", f);
        json_num(f, o.rtol, TG_F64);
        fprintf(f, ", \"seed\": %llu, \"fast\": %s, \"sum_only\": %s, "
                   "\"inputs\": ",
                (unsigned long long)o.seed, o.fast ? "true" : "false",
                o.sum_only ? "true" : "false");
        json_rows(f, r.in, r.n_inputs);
        fprintf(f, ", \"deterministic\": %s, \"zero_seed_ok\": %s",
                r.deterministic ? "true" : "false",
                r.zero_seed_ok ? "true" : "false");
        fputs(", \"gradgrad\": ", f);
        if (!o.gradgrad) fputs("null", f);
        else if (r.gradgrad_skipped) fputs("\"skipped\"", f);
        else {
            fprintf(f, "{\"pass\": %s, \"inputs\": ",
                    r.gradgrad_pass ? "true" : "false");
            json_rows(f, r.gradgrad, r.n_gradgrad);
            fputc('}', f);
        }
        fputs(", \"forward\": ", f);
        if (!o.forward) fputs("null", f);
        else {
            fprintf(f, "{\"pass\": %s, \"inputs\": ",
                    r.forward_pass ? "true" : "false");
            json_rows(f, r.forward, r.n_forward);
            fputc('}', f);
        }
        fputs(", \"culprit\": ", f);
        json_culprit(f, &r.culprit);
        if (c->dt == TG_F32) {
            fputs(", \"f32_vs_f64\": {\"output\": ", f);
            json_num(f, dout, TG_F64);
            fputs(", \"grad\": ", f);
            json_num(f, dgrad, TG_F64);
            fputc('}', f);
        }
        if (au) {
            fputs(", \"audit\": {\"output_err\": ", f);
            json_num(f, au->output_err, TG_F64);
            fprintf(f, ", \"rows_total\": %lld, \"rows\": [",
                    (long long)au->n_rows_total);
            for (int i = 0; i < au->n_rows; i++) {
                const tg_audit_row *w = &au->rows[i];
                fprintf(f, "%s{\"node\": ", i ? ", " : "");
                if (w->node >= 0) fprintf(f, "%lld", (long long)w->node);
                else fputs("null", f);
                fputs(", \"op\": ", f);
                json_str(f, w->op);
                fputs(", \"shape\": ", f);
                json_shape(f, w->ndim, w->shape);
                fputs(", \"value_err\": ", f);
                json_num(f, w->value_err, TG_F64);
                fputs(", \"grad_err\": ", f);
                json_num(f, w->grad_err, TG_F64);
                fputc('}', f);
            }
            fputs("]}", f);
        }
        fprintf(f, ", \"kinks_moved\": %d, \"message\": ", r.kinks_moved);
        json_str(f, r.message);
        fputs("}\n", f);
    } else {
        fprintf(c->out, "check d sum(%s%s%s)%s   eps %g  atol %g  rtol %g  "
                        "seed %llu%s\n",
                o.sum_only ? "" : "w * (", c->expr_src, o.sum_only ? "" : ")",
                o.sum_only ? "" : ", w random (|w| in [0.5, 1.5])", o.eps,
                o.atol, o.rtol,
                (unsigned long long)o.seed,
                o.fast ? "  (fast: one random projection per input)" : "");
        if (c->dt == TG_F32)
            fprintf(c->out, "f32 run vs f64: output differs by %.3g, "
                            "gradients by %.3g (max abs); the check "
                            "below runs in f64\n",
                    dout, dgrad);
        tg_check_report_print(&r, c->out);
        if (au) tg_audit_report_print(au, c->out);
    }
    tg__free(au);
    return r.pass ? EXIT_PASS : EXIT_FAIL;
}

/* ------------------------------------------- check --lib | --exec */

/* A program speaking the line protocol (docs/gradcheck.md): per
 * evaluation tapegrad writes one line with the n values of x, the program
 * answers one line with f and the n gradient values. */
typedef struct exec_fn {
    const char *cmd;
    pid_t pid;
    int to, from;      /* the program's stdin and stdout                  */
    double timeout;    /* seconds per answer                              */
    int64_t requests;
    char *buf;         /* bytes read and not yet consumed                 */
    size_t len, cap;
    char *wbuf;        /* one request line                                */
    size_t wcap;
    char err[600];     /* set once: every later call returns NaN          */
} exec_fn;

static void exec_fail(exec_fn *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void exec_fail(exec_fn *e, const char *fmt, ...)
{
    if (e->err[0]) return;
    int k = snprintf(e->err, sizeof e->err, "--exec '%.80s': request %lld: ",
                     e->cmd, (long long)e->requests);
    va_list ap;
    va_start(ap, fmt);
    if (k > 0 && (size_t)k < sizeof e->err)
        vsnprintf(e->err + k, sizeof e->err - (size_t)k, fmt, ap);
    va_end(ap);
}

static const char *exec_error(void *ud)
{
    exec_fn *e = ud;
    return e->err[0] ? e->err : NULL;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static bool write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* One line from the program into e->buf (NUL-terminated at the newline);
 * returns its length, or -1 after exec_fail. */
static ssize_t exec_read_line(exec_fn *e)
{
    double deadline = now_s() + e->timeout;
    for (;;) {
        char *nl = e->len ? memchr(e->buf, '\n', e->len) : NULL;
        if (nl) {
            *nl = 0;
            return nl - e->buf;
        }
        if (e->len + 4096 + 1 > e->cap) {
            size_t cap = e->cap ? 2 * e->cap : 65536;
            if (cap > ((size_t)1 << 30)) {
                exec_fail(e, "an answer line longer than 1 GiB");
                return -1;
            }
            char *nb = tg__malloc(cap);
            if (!nb) {
                exec_fail(e, "out of memory reading the answer");
                return -1;
            }
            if (e->len) memcpy(nb, e->buf, e->len);
            tg__free(e->buf);
            e->buf = nb;
            e->cap = cap;
        }
        double left = deadline - now_s();
        struct pollfd p = {.fd = e->from, .events = POLLIN};
        int pr = left > 0 ? poll(&p, 1, (int)(left * 1000) + 1) : 0;
        if (pr < 0 && errno == EINTR) continue;
        if (pr == 0) {
            exec_fail(e, "no answer within %g s; hint: print f and the "
                         "gradient on one line and flush stdout "
                         "(print(..., flush=True) in Python), or raise "
                         "--timeout",
                      e->timeout);
            return -1;
        }
        ssize_t r = read(e->from, e->buf + e->len, e->cap - e->len - 1);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            /* its output closed: give it a second to finish exiting so
             * the message can carry its status */
            int ws = 0;
            pid_t w = 0;
            for (double until = now_s() + 1;
                 (w = waitpid(e->pid, &ws, WNOHANG)) == 0 && now_s() < until;)
                nanosleep(&(struct timespec){0, 2000000}, NULL);
            if (w == e->pid) {
                e->pid = -1;
                if (WIFEXITED(ws))
                    exec_fail(e, "the program exited with status %d without "
                                 "answering; hint: it must read lines until "
                                 "end of input (its stderr is above)",
                              WEXITSTATUS(ws));
                else
                    exec_fail(e, "the program was killed by signal %d",
                              WIFSIGNALED(ws) ? WTERMSIG(ws) : 0);
            } else {
                exec_fail(e, "the program closed its output without "
                             "answering");
            }
            return -1;
        }
        e->len += (size_t)r;
    }
}

static double exec_call(const double *x, double *grad, size_t n, void *ud)
{
    exec_fn *e = ud;
    if (e->err[0]) return NAN;
    e->requests++;
    size_t need = n * 26 + 2;
    if (need > e->wcap) {
        tg__free(e->wbuf);
        e->wbuf = tg__malloc(need);
        e->wcap = e->wbuf ? need : 0;
        if (!e->wbuf) {
            exec_fail(e, "out of memory writing x");
            return NAN;
        }
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += (size_t)snprintf(e->wbuf + k, need - k, "%s%.17g", i ? " " : "",
                              x[i]);
    e->wbuf[k++] = '\n';
    if (!write_all(e->to, e->wbuf, k)) {
        exec_fail(e, "the program stopped reading its input (%s); hint: it "
                     "must read one line of x per answer",
                  strerror(errno));
        return NAN;
    }
    ssize_t len = exec_read_line(e);
    if (len < 0) return NAN;
    /* f, then n gradient values, separated by blanks (or commas) */
    char *p = e->buf, *end;
    double f = 0;
    size_t got = 0;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == ',' || *p == '\r') p++;
        if (!*p) break;
        double v = strtod(p, &end);
        if (end == p) {
            exec_fail(e, "'%.30s' in the answer is not a number; hint: print "
                         "only f and the gradient values",
                      p);
            return NAN;
        }
        if (got == 0) f = v;
        else if (got <= n) grad[got - 1] = v;
        got++;
        p = end;
    }
    size_t consumed = (size_t)len + 1;
    memmove(e->buf, e->buf + consumed, e->len - consumed);
    e->len -= consumed;
    if (got != n + 1) {
        exec_fail(e, "the answer has %zu numbers, expected %zu (f and the %zu "
                     "gradient values); hint: check --n against the size "
                     "of x the program uses",
                  got, n + 1, n);
        return NAN;
    }
    return f;
}

static int exec_start(cli *c, exec_fn *e)
{
    int in[2], out[2];
    if (pipe(in) != 0) return usage_error(c, "cannot run '%.80s': %s",
                                          e->cmd, strerror(errno));
    if (pipe(out) != 0) {
        close(in[0]);
        close(in[1]);
        return usage_error(c, "cannot run '%.80s': %s", e->cmd,
                           strerror(errno));
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(in[0]), close(in[1]), close(out[0]), close(out[1]);
        return usage_error(c, "cannot run '%.80s': %s", e->cmd,
                           strerror(errno));
    }
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[0]), close(in[1]), close(out[0]), close(out[1]);
        execl("/bin/sh", "sh", "-c", e->cmd, (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    e->pid = pid;
    e->to = in[1];
    e->from = out[0];
    return EXIT_PASS;
}

/* Close the program's input and wait for it to exit (2 s, then kill the
 * process we started). */
static void exec_stop(exec_fn *e)
{
    if (e->to >= 0) close(e->to);
    if (e->from >= 0) close(e->from);
    e->to = e->from = -1;
    if (e->pid > 0) {
        int ws;
        double until = now_s() + 2;
        while (waitpid(e->pid, &ws, WNOHANG) == 0) {
            if (now_s() > until) {
                kill(e->pid, SIGKILL);
                waitpid(e->pid, &ws, 0);
                break;
            }
            struct timespec t = {0, 5000000};
            nanosleep(&t, NULL);
        }
        e->pid = -1;
    }
    tg__free(e->buf);
    tg__free(e->wbuf);
    e->buf = e->wbuf = NULL;
}

/* What a student reads the relative error as (the usual rule of thumb for
 * central differences in double precision). */
static const char *rel_guidance(double rel, bool kink)
{
    if (kink)
        return "the worst element sits at a kink: compare elsewhere (--seed, "
               "--kink-margin) before believing it";
    if (!(rel < 1e-2))
        return "above 1e-2: the gradient is wrong";
    if (rel >= 1e-4)
        return "1e-4 to 1e-2: suspicious; right only if the function has "
               "kinks or is badly scaled";
    if (rel >= 1e-7)
        return "1e-7 to 1e-4: acceptable for functions with kinks, "
               "suspicious for smooth ones";
    return "below 1e-7: the gradient is right";
}

static int check_any(cli *c)
{
    if (!c->env->allow_files)
        return usage_error(c, "--lib and --exec are disabled here");
    if (c->lib && c->exec_cmd)
        return usage_error(c, "give --lib or --exec, not both");
    if (c->expr_src || c->n_in)
        return usage_error(c, "%s takes no expression or inputs; the function "
                              "has one input x of --n values",
                           c->lib ? "--lib" : "--exec");
    if (!c->raw_n)
        return usage_error(c, "%s needs --n N, the number of values in x",
                           c->lib ? "--lib" : "--exec");
    size_t n = (size_t)c->raw_n;
    double *x = NULL;
    if (c->x_vals) {
        x = tg__malloc(n * sizeof(double));
        if (!x) return usage_error(c, "out of memory");
        size_t k = 0;
        const char *p = c->x_vals;
        while (*p) {
            char *end;
            double v = strtod(p, &end);
            if (end == p || (*end && *end != ',')) {
                tg__free(x);
                return usage_error(c, "--x: bad value '%.40s' (numbers "
                                      "separated by commas)",
                                   p);
            }
            if (k < n) x[k] = v;
            k++;
            p = *end ? end + 1 : end;
        }
        if (k == 1)
            for (size_t i = 1; i < n; i++) x[i] = x[0];
        else if (k != n) {
            tg__free(x);
            return usage_error(c, "--x has %zu values but --n is %zu", k, n);
        }
    }

    tg_check_opts o = c->o;
    o.fast = c->fast || (!c->full && n > FAST_AUTO);
    tg_check_report r;
    tg_status st;
    void *dl = NULL;
    exec_fn e;
    memset(&e, 0, sizeof e);
    e.to = e.from = -1;
    int rc = EXIT_PASS;
    if (c->lib) {
        /* FILE:SYMBOL, split at the last colon */
        const char *colon = strrchr(c->lib, ':');
        if (!colon || colon == c->lib || !colon[1]) {
            tg__free(x);
            return usage_error(c, "--lib wants FILE.so:SYMBOL, not '%.80s'",
                               c->lib);
        }
        char path[4096];
        snprintf(path, sizeof path, "%.*s", (int)(colon - c->lib), c->lib);
        dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!dl) {
            tg__free(x);
            return usage_error(c, "--lib: cannot load '%s': %s; hint: build "
                                  "it with cc -shared -fPIC, and write ./ "
                                  "before a file in this directory",
                               path, dlerror());
        }
        dlerror();
        void *sym = dlsym(dl, colon + 1);
        if (!sym) {
            const char *de = dlerror();
            rc = usage_error(c, "--lib: '%s' has no symbol '%s' (%s); hint: "
                                "the function must be exported, not static",
                             path, colon + 1, de ? de : "it is NULL");
            dlclose(dl);
            tg__free(x);
            return rc;
        }
        tg_raw_fn f;
        memcpy(&f, &sym, sizeof f); /* object pointer to function pointer */
        st = tg__gradcheck_raw(f, NULL, n, x, "x", &o, NULL, &r);
    } else {
        e.cmd = c->exec_cmd;
        e.timeout = c->timeout > 0 ? c->timeout : 60;
        rc = exec_start(c, &e);
        if (rc != EXIT_PASS) {
            tg__free(x);
            return rc;
        }
        void (*old_pipe)(int) = signal(SIGPIPE, SIG_IGN);
        st = tg__gradcheck_raw(exec_call, &e, n, x, "x", &o, exec_error, &r);
        exec_stop(&e);
        signal(SIGPIPE, old_pipe);
    }
    tg__free(x);
    if (st != TG_OK && st != TG_ERR_NUMERIC) {
        if (dl) dlclose(dl);
        if (e.err[0]) return usage_error(c, "%s", e.err);
        return usage_error(c, "%s", r.message[0] ? r.message : tg_last_error());
    }
    const tg_check_input_report *ir = &r.in[0];
    /* the rule of thumb reads |a - n| / max(|a|, |n|) at the worst element
     * (max_rel_err floors the denominator at atol instead) */
    double den = fmax(fabs(ir->analytic), fabs(ir->numeric));
    double rel = fabs(ir->analytic - ir->numeric);
    rel = rel == 0 ? 0 : den > 0 ? rel / den : INFINITY;
    if (isnan(rel)) rel = INFINITY;
    const char *what = c->lib ? "lib" : "exec";
    const char *src = c->lib ? c->lib : c->exec_cmd;
    if (c->json) {
        FILE *f = c->out;
        json_open(f, c->cmd);
        fprintf(f, "\"%s\": ", what);
        json_str(f, src);
        fprintf(f, ", \"n\": %zu, \"x\": \"%s\", \"pass\": %s", n,
                c->x_vals ? "given" : "uniform", r.pass ? "true" : "false");
        fputs(", \"eps\": ", f);
        json_num(f, o.eps, TG_F64);
        fputs(", \"atol\": ", f);
        json_num(f, o.atol, TG_F64);
        fputs(", \"rtol\": ", f);
        json_num(f, o.rtol, TG_F64);
        fprintf(f, ", \"seed\": %llu, \"fast\": %s, \"inputs\": ",
                (unsigned long long)o.seed, o.fast ? "true" : "false");
        json_rows(f, r.in, 1);
        fprintf(f, ", \"deterministic\": %s, \"kinks_moved\": %d, "
                   "\"worst_rel_err\": ",
                r.deterministic ? "true" : "false", r.kinks_moved);
        json_num(f, rel, TG_F64);
        fputs(", \"guidance_text\": ", f);
        json_str(f, rel_guidance(rel, !ir->pass && ir->at_kink));
        fputs(", \"message\": ", f);
        json_str(f, r.message);
        fputs("}\n", f);
    } else {
        fprintf(c->out, "check the gradient of %s '%s' at n = %zu (%s)   eps %g  "
                        "atol %g  rtol %g%s\n",
                c->lib ? "the function" : "the program", src, n,
                c->x_vals ? "x given" : "x uniform in [-1, 1] from --seed",
                o.eps, o.atol, o.rtol,
                o.fast ? "  (fast: one random projection)" : "");
        tg_check_report_print(&r, c->out);
        fprintf(c->out, "relative error at the worst element, |a - n| / "
                        "max(|a|, |n|) = %.3g: %s\n",
                rel, rel_guidance(rel, !ir->pass && ir->at_kink));
    }
    if (dl) dlclose(dl);
    return r.pass ? EXIT_PASS : EXIT_FAIL;
}

/* ----------------------------------------------------------- all-ops */

typedef struct case_result {
    bool ok;
    bool skipped; /* a random-shape variant that does not apply */
    double max_abs;
    char msg[1400];
} case_result;

static void trim(const char **s, const char **e)
{
    while (*s < *e && isspace((unsigned char)**s)) (*s)++;
    while (*e > *s && isspace((unsigned char)(*e)[-1])) (*e)--;
}

/* The next non-blank case of a ';'-separated list at *p, trimmed into
 * [*s, *t); *p moves past it. False when the list is used up. */
static bool next_case(const char **p, const char **s, const char **t)
{
    while (**p) {
        const char *e = strchr(*p, ';');
        if (!e) e = *p + strlen(*p);
        *s = *p;
        *t = e;
        *p = *e ? e + 1 : e;
        trim(s, t);
        if (*t > *s) return true;
    }
    return false;
}

/* Mark every op recorded while building the case and differentiating it
 * twice (both backward passes recorded), for "covered by" reporting. */
static void record_coverage(cli *c, fn_ud *u, const char *op_name,
                            const char **covered_by)
{
    tg_graph *g = tg_graph_new();
    if (!g) return;
    tg_tensor *l[MAX_INPUTS], *gr[MAX_INPUTS];
    if (make_leaves(c, g, TG_F64, true, l)) {
        tg_tensor *y = tg__expr_eval(u->e, g, TG_F64, c->n_in, u->names, l, NULL);
        /* Only f32/f64 inputs have gradients (i64 and bool ones none). */
        tg_tensor *fl[MAX_INPUTS];
        int nf = 0;
        for (int i = 0; i < c->n_in; i++)
            if (tg_dtype_is_float(l[i]->dtype)) fl[nf++] = l[i];
        if (y && nf > 0 && tg_dtype_is_float(y->dtype)) {
            tg_tensor *s = tg_full(g, TG_F64, y->ndim, y->shape, 1.0);
            /* Record the backward pass, then the backward of the
             * backward: helper ops may appear only at second order. */
            if (tg_grad(g, &y, 1, &s, fl, nf, true, gr) == TG_OK) {
                tg_tensor *sum = NULL;
                for (int i = 0; i < nf; i++) {
                    tg_tensor *t = tg_sum_all(tg_mul(gr[i], gr[i]));
                    sum = sum ? tg_add(sum, t) : t;
                }
                tg_tensor *gg[MAX_INPUTS];
                if (tg_requires_grad(sum))
                    tg_grad(g, &sum, 1, NULL, fl, nf, true, gg);
            }
        }
    }
    /* Walk the recorded nodes; the op list is short, so the op's index
     * is found by a scan. */
    int64_t nn = tg_graph_nodes(g, NULL, 0);
    const tg_node **nodes = tg__malloc(sizeof *nodes * (size_t)(nn ? nn : 1));
    if (nodes) tg_graph_nodes(g, nodes, nn);
    for (int64_t i = 0; nodes && i < nn; i++) {
        const tg_op *op = tg_node_op(nodes[i]);
        int k = 0;
        while (k < c->n_ops && tg_op_at(k) != op) k++;
        if (k < c->n_ops && !covered_by[k]) {
            covered_by[k] = op_name;
            if (c->wants_cover[k]) c->uncovered--;
        }
    }
    tg__free(nodes);
    tg_graph_free(g);
}

/* Give every input of a parsed case a random shape: one shape R (0 to 3
 * dims of extent 1 to 4) for elementwise ops, and for broadcasting binary
 * ops independent variants of R (leading dims dropped, dims set to 1).
 * False when the case does not allow it (values given in the case). */
static bool random_shapes(cli *c, tg_rng *rng, bool broadcast, char *ins,
                          size_t size)
{
    for (int i = 0; i < c->n_in; i++)
        if (c->in[i].given) return false;
    if (c->n_in == 0) return false;
    int nd = (int)(tg_rng_next(rng) % 4);
    int64_t R[3];
    for (int d = 0; d < nd; d++) R[d] = 1 + (int64_t)(tg_rng_next(rng) % 4);
    size_t k = 0;
    ins[0] = 0;
    for (int i = 0; i < c->n_in; i++) {
        cli_input *in = &c->in[i];
        int ndi = nd;
        if (broadcast && nd > 0) ndi = nd - (int)(tg_rng_next(rng) % (uint64_t)(nd + 1));
        in->ndim = ndi;
        in->numel = 1;
        for (int d = 0; d < ndi; d++) {
            int64_t e = R[nd - ndi + d];
            if (broadcast && tg_rng_next(rng) % 3 == 0) e = 1;
            in->shape[d] = e;
            in->numel *= e;
        }
        tg__free(in->data);
        in->data = tg__malloc(sizeof(double) * (size_t)in->numel);
        if (!in->data) return false;
        char sb[TG_SHAPE_BUF];
        tg__fmt_shape(sb, in->ndim, in->shape);
        if (k < size)
            k += (size_t)snprintf(ins + k, size - k, "%s%s=%s", i ? " " : "",
                                  in->name, sb);
    }
    return true;
}

static void run_case(cli *c, const char *op_name, const char *cs,
                     const char *ce, bool gradgrad, const char **covered_by,
                     tg_rng *shape_rng, bool broadcast, case_result *res)
{
    res->ok = false;
    res->skipped = false;
    res->max_abs = 0;
    res->msg[0] = 0;
    const char *bar = memchr(cs, '|', (size_t)(ce - cs));
    if (!bar) {
        snprintf(res->msg, sizeof res->msg, "malformed case (no '|')");
        return;
    }
    const char *bar2 = memchr(bar + 1, '|', (size_t)(ce - bar - 1));
    const char *es = cs, *ee = bar;
    trim(&es, &ee);
    char expr[512], ins[512], opts[256];
    snprintf(expr, sizeof expr, "%.*s", (int)(ee - es), es);
    const char *is = bar + 1, *ie = bar2 ? bar2 : ce;
    trim(&is, &ie);
    snprintf(ins, sizeof ins, "%.*s", (int)(ie - is), is);
    opts[0] = 0;
    if (bar2) {
        const char *os = bar2 + 1, *oe = ce;
        trim(&os, &oe);
        snprintf(opts, sizeof opts, "%.*s", (int)(oe - os), os);
    }

    tg_check_opts o = tg_check_defaults();
    o.seed = c->o.seed;
    o.sum_only = false; /* random projection: softmax-like ops really tested */
    o.gradgrad = gradgrad;
    for (char *tok = strtok(opts, " \t"); tok; tok = strtok(NULL, " \t")) {
        char *eq = strchr(tok, '=');
        double v;
        if (!eq || !parse_double(eq + 1, &v)) {
            snprintf(res->msg, sizeof res->msg, "bad case option '%s'", tok);
            return;
        }
        *eq = 0;
        if (!strcmp(tok, "eps")) o.eps = v;
        else if (!strcmp(tok, "atol")) o.atol = v;
        else if (!strcmp(tok, "rtol")) o.rtol = v;
        else if (!strcmp(tok, "nondet_tol")) o.nondet_tol = v;
        else if (!strcmp(tok, "kink_margin")) o.kink_margin = v;
        else {
            snprintf(res->msg, sizeof res->msg, "unknown case option '%s'", tok);
            return;
        }
    }

    /* Parse the case with the command's own code paths, errors captured. */
    char errbuf[1024] = {0};
    FILE *ef = fmemopen(errbuf, sizeof errbuf - 1, "w");
    if (!ef) {
        snprintf(res->msg, sizeof res->msg, "cannot capture messages");
        return;
    }
    FILE *saved_err = c->err;
    c->err = ef;
    c->n_in = 0;
    c->expr = NULL;
    c->expr_src = expr;
    c->n_no_grad = 0;
    int rc = EXIT_PASS;
    char tokbuf[512];
    memcpy(tokbuf, ins, sizeof tokbuf);
    for (char *tok = strtok(tokbuf, " \t"); tok && rc == EXIT_PASS;
         tok = strtok(NULL, " \t"))
        rc = parse_input(c, tok);
    fn_ud u;
    if (rc == EXIT_PASS && shape_rng &&
        !random_shapes(c, shape_rng, broadcast, ins, sizeof ins))
        res->skipped = true;
    if (rc == EXIT_PASS) rc = parse_expr(c);
    if (rc == EXIT_PASS) rc = bind_inputs(c, &u);
    tg_check_report r;
    memset(&r, 0, sizeof r);
    tg_status st = TG_OK;
    if (rc == EXIT_PASS && !res->skipped) {
        fill_random(c);
        tg_check_arg args[MAX_INPUTS];
        for (int i = 0; i < c->n_in; i++) args[i] = to_arg(&c->in[i]);
        st = tg_gradcheck(expr_fn, &u, c->n_in, args, &o, &r);
        if (c->uncovered > 0) record_coverage(c, &u, op_name, covered_by);
    }
    fclose(ef);
    c->err = saved_err;
    /* one line: the first line of any captured message */
    char *nl = strchr(errbuf, '\n');
    if (nl) *nl = 0;
    if (res->skipped) {
        res->ok = true;
    } else if (rc != EXIT_PASS) {
        snprintf(res->msg, sizeof res->msg, "`%.250s | %.250s`: %.600s", expr, ins, errbuf);
    } else if (st != TG_OK && st != TG_ERR_NUMERIC) {
        snprintf(res->msg, sizeof res->msg, "`%.250s | %.250s`: %.600s", expr, ins,
                 r.message);
    } else {
        for (int i = 0; i < r.n_inputs; i++)
            if (r.in[i].checked && r.in[i].max_abs_err > res->max_abs)
                res->max_abs = r.in[i].max_abs_err;
        res->ok = r.pass;
        if (!r.pass) {
            /* Name the failing input and its worst element. */
            const tg_check_input_report *bad = NULL;
            for (int i = 0; i < r.n_inputs && !bad; i++)
                if (r.in[i].checked && !r.in[i].pass) bad = &r.in[i];
            if (bad) {
                char wi[TG_SHAPE_BUF];
                tg_check_format_index(wi, sizeof wi, bad);
                snprintf(res->msg, sizeof res->msg,
                         "`%.250s | %.250s`: input %s at %s: analytic %.6g vs "
                         "numeric %.6g%s",
                         expr, ins, bad->name, wi, bad->analytic, bad->numeric,
                         bad->at_kink ? " (at a kink)" : "");
            } else {
                snprintf(res->msg, sizeof res->msg, "`%.250s | %.250s`: %.600s", expr, ins,
                         r.message);
            }
        }
    }
    tg__expr_free(c->expr);
    c->expr = NULL;
    free_inputs(c);
}

static int all_ops(cli *c)
{
    if (!c->env->allow_all_ops)
        return usage_error(c, "--all-ops is disabled here");
    if (c->expr_src || c->n_in)
        return usage_error(c, "--all-ops takes no expression or inputs");
    /* Every op the library knows (built-in, then registered), its rows
     * from its descriptor: the cases, the flags, the shape rule. */
    int n_ops = tg_op_count();
    typedef struct op_row {
        int n_cases, n_random, n_fail;
        double max_abs;
        case_result first_fail;
    } op_row;
    /* Then the compositions with cases (expression functions that are
     * not ops: stack, split, lerp, ...), one row each after the ops. */
    int n_funcs = tg__expr_num_funcs(), n_comp = 0;
    for (int fi = 0; fi < n_funcs; fi++)
        if (!tg__expr_func_at(fi)->op && tg__expr_func_at(fi)->cases) n_comp++;
    op_row *rows = tg__calloc(sizeof *rows * (size_t)(n_ops + n_comp + 1));
    const tg__expr_func **comp = tg__calloc(sizeof *comp * (size_t)(n_comp + 1));
    const char **covered_by = tg__calloc(sizeof *covered_by * (size_t)n_ops);
    c->wants_cover = tg__calloc(sizeof *c->wants_cover * (size_t)n_ops);
    c->n_ops = n_ops;
    case_result *res = tg__malloc(sizeof *res);
    if (!rows || !res || !covered_by || !c->wants_cover || !comp) {
        tg__free(comp);
        tg__free(rows);
        tg__free(res);
        tg__free(covered_by);
        tg__free(c->wants_cover);
        c->wants_cover = NULL;
        return usage_error(c, "out of memory");
    }
    /* Coverage is recorded (an extra build per case) only while some op
     * without cases of its own has not been seen yet. */
    for (int op = 0; op < n_ops; op++)
        if (!tg_op_at(op)->cases) {
            c->wants_cover[op] = true;
            c->uncovered++;
        }
    for (int op = 0; op < n_ops; op++) {
        const tg_op *d = tg_op_at(op);
        const char *cases = d->cases;
        if (!cases) continue;
        bool gg = c->o.gradgrad && !(d->flags & TG_OPF_NONSMOOTH);
        /* Elementwise and broadcasting binary ops accept any shapes: each
         * of their cases runs again with random ones. */
        bool elementwise = !d->shape || d->shape == tg_shape_same;
        bool broadcast = d->shape == tg_shape_broadcast;
        tg_rng srng;
        tg_rng_seed(&srng, c->o.seed * 1000003u + (uint64_t)op);
        for (int pass = 0; pass < ((elementwise || broadcast) ? 2 : 1); pass++) {
            const char *s, *t;
            for (const char *p = cases; next_case(&p, &s, &t);) {
                run_case(c, d->name, s, t, gg, covered_by,
                         pass ? &srng : NULL, broadcast, res);
                if (!res->skipped) {
                    if (pass) rows[op].n_random++;
                    else rows[op].n_cases++;
                }
                if (res->max_abs > rows[op].max_abs)
                    rows[op].max_abs = res->max_abs;
                if (!res->ok && rows[op].n_fail++ == 0)
                    rows[op].first_fail = *res;
            }
        }
    }
    /* the compositions: their cases, f64, second order when asked */
    for (int fi = 0, k = 0; fi < n_funcs; fi++) {
        const tg__expr_func *f = tg__expr_func_at(fi);
        if (f->op || !f->cases) continue;
        comp[k] = f;
        op_row *w = &rows[n_ops + k++];
        const char *s, *t;
        for (const char *p = f->cases; next_case(&p, &s, &t);) {
            run_case(c, f->name, s, t, c->o.gradgrad, covered_by, NULL,
                     false, res);
            w->n_cases++;
            if (res->max_abs > w->max_abs) w->max_abs = res->max_abs;
            if (!res->ok && w->n_fail++ == 0) w->first_fail = *res;
        }
    }
    int n_ok = 0, n_fail = 0, n_cov = 0, c_ok = 0, c_fail = 0;
    if (c->json) {
        json_open(c->out, c->cmd);
        fputs("\"ops\": [", c->out);
    }
    for (int op = 0; op < n_ops; op++) {
        const op_row *w = &rows[op];
        const char *name = tg_op_at(op)->name;
        const char *cov = w->n_cases ? NULL : covered_by[op];
        bool ok = w->n_cases ? w->n_fail == 0 : cov != NULL;
        if (ok && cov) n_cov++;
        else if (ok) n_ok++;
        else n_fail++;
        if (c->json) {
            fprintf(c->out, "%s\n  {\"op\": ", op ? "," : "");
            json_str(c->out, name);
            fprintf(c->out, ", \"status\": \"%s\", \"cases\": %d, "
                            "\"random_shape_cases\": %d, \"failed\": %d, "
                            "\"max_abs_err\": ",
                    ok ? (cov ? "covered" : "ok") : "fail", w->n_cases,
                    w->n_random, w->n_fail);
            json_num(c->out, w->max_abs, TG_F64);
            fputs(", \"covered_by\": ", c->out);
            if (cov) json_str(c->out, cov);
            else fputs("null", c->out);
            fputs(", \"message\": ", c->out);
            json_str(c->out, w->n_fail ? w->first_fail.msg
                             : (!w->n_cases && !cov) ? "no gradient-check cases"
                                                     : "");
            fputc('}', c->out);
            continue;
        }
        char counts[64];
        if (w->n_random)
            snprintf(counts, sizeof counts, "%2d case%s + %d random-shape", w->n_cases,
                     w->n_cases == 1 ? " " : "s", w->n_random);
        else
            snprintf(counts, sizeof counts, "%2d case%s", w->n_cases,
                     w->n_cases == 1 ? " " : "s");
        if (w->n_cases && !w->n_fail)
            fprintf(c->out, "%-26s ok    %-28s max abs err %.1e\n", name,
                    counts, w->max_abs);
        else if (w->n_cases)
            fprintf(c->out, "%-26s FAIL  %d of %d case%s: %s\n", name, w->n_fail,
                    w->n_cases + w->n_random,
                    w->n_cases + w->n_random == 1 ? "" : "s", w->first_fail.msg);
        else if (cov)
            fprintf(c->out, "%-26s ok    covered by %s (no cases of its own)\n",
                    name, cov);
        else
            fprintf(c->out, "%-26s FAIL  no gradient-check cases and not "
                            "covered by another op's case\n",
                    name);
    }
    if (c->json) fputs("\n], \"compositions\": [", c->out);
    for (int k = 0; k < n_comp; k++) {
        const op_row *w = &rows[n_ops + k];
        bool ok = w->n_fail == 0;
        if (ok) c_ok++;
        else c_fail++;
        if (c->json) {
            fprintf(c->out, "%s\n  {\"function\": ", k ? "," : "");
            json_str(c->out, comp[k]->name);
            fprintf(c->out, ", \"status\": \"%s\", \"cases\": %d, "
                            "\"failed\": %d, \"max_abs_err\": ",
                    ok ? "ok" : "fail", w->n_cases, w->n_fail);
            json_num(c->out, w->max_abs, TG_F64);
            fputs(", \"message\": ", c->out);
            json_str(c->out, w->n_fail ? w->first_fail.msg : "");
            fputc('}', c->out);
            continue;
        }
        char name[64];
        snprintf(name, sizeof name, "%s (composition)", comp[k]->name);
        if (ok)
            fprintf(c->out, "%-26s ok    %2d case%s%-21s max abs err %.1e\n",
                    name, w->n_cases, w->n_cases == 1 ? " " : "s", "",
                    w->max_abs);
        else
            fprintf(c->out, "%-26s FAIL  %d of %d case%s: %s\n", name,
                    w->n_fail, w->n_cases, w->n_cases == 1 ? "" : "s",
                    w->first_fail.msg);
    }
    if (c->json)
        fprintf(c->out, "\n], \"ops_total\": %d, \"passed\": %d, \"covered\": "
                        "%d, \"failed\": %d, \"compositions_total\": %d, "
                        "\"compositions_passed\": %d, \"compositions_failed\": "
                        "%d, \"pass\": %s}\n",
                n_ops, n_ok, n_cov, n_fail, n_comp, c_ok, c_fail,
                n_fail || c_fail ? "false" : "true");
    else
        fprintf(c->out, "%d ops: %d passed, %d covered by other ops' cases, "
                        "%d failed; %d compositions: %d passed, %d failed "
                        "(f64, seed %llu%s)\n",
                n_ops, n_ok, n_cov, n_fail, n_comp, c_ok, c_fail,
                (unsigned long long)c->o.seed,
                c->o.gradgrad ? ", with gradgrad" : "");
    tg__free(comp);
    tg__free(rows);
    tg__free(res);
    tg__free(covered_by);
    tg__free(c->wants_cover);
    c->wants_cover = NULL;
    return n_fail || c_fail ? EXIT_FAIL : EXIT_PASS;
}

/* -------------------------------------------------------------- grad */

static int grad_cmd(cli *c)
{
    int rc = parse_expr(c);
    fn_ud u;
    if (rc == EXIT_PASS) rc = bind_inputs(c, &u);
    if (rc != EXIT_PASS) return rc;
    fill_random(c);
    tg_graph *g = tg_graph_new();
    if (!g) return usage_error(c, "out of memory");
    tg_tensor *l[MAX_INPUTS], *gr[MAX_INPUTS];
    tg_tensor *y = build(c, g, c->dt, true, l);
    if (!y) {
        tg_graph_free(g);
        return EXIT_USAGE;
    }
    /* Gradients of the float inputs when the output is float; an i64 or
     * bool input or output has none (JSON null), as in PyTorch. */
    bool yf = tg_dtype_is_float(y->dtype);
    tg_tensor *fl[MAX_INPUTS];
    int nf = 0;
    for (int i = 0; i < c->n_in; i++) {
        gr[i] = NULL;
        if (yf && tg_dtype_is_float(l[i]->dtype)) fl[nf++] = l[i];
    }
    if (nf > 0) {
        tg_tensor *fg[MAX_INPUTS];
        tg_tensor *s = tg_full(g, y->dtype, y->ndim, y->shape, 1.0);
        if (tg_grad(g, &y, 1, &s, fl, nf, false, fg) != TG_OK) {
            usage_error(c, "%s", tg_graph_error(g));
            tg_graph_free(g);
            return EXIT_USAGE;
        }
        for (int i = 0, k = 0; i < c->n_in; i++)
            if (yf && tg_dtype_is_float(l[i]->dtype)) gr[i] = fg[k++];
    }
    FILE *f = c->out;
    tg_dtype dt = y->dtype;
    if (c->json) {
        json_open(f, c->cmd);
        fputs("\"expr\": ", f);
        json_str(f, c->expr_src);
        fprintf(f, ", \"dtype\": \"%s\", \"output\": {\"shape\": ",
                tg_dtype_name(dt));
        json_shape(f, y->ndim, y->shape);
        fputs(", \"data\": ", f);
        json_data(f, y, dt);
        fputs("}, \"inputs\": {", f);
        for (int i = 0; i < c->n_in; i++) {
            fputs(i ? ", " : "", f);
            json_str(f, c->in[i].name);
            fputs(": {\"shape\": ", f);
            json_shape(f, l[i]->ndim, l[i]->shape);
            if (!tg_dtype_is_float(l[i]->dtype))
                fprintf(f, ", \"dtype\": \"%s\"",
                        tg_dtype_name(l[i]->dtype));
            fputs(", \"data\": ", f);
            json_data(f, l[i], dt);
            fputs(", \"grad\": ", f);
            if (gr[i]) json_data(f, gr[i], dt);
            else fputs("null", f);
            fputc('}', f);
        }
        fputs("}}\n", f);
    } else {
        char sb[TG_SHAPE_BUF];
        fprintf(f, "%s = %s %s:", c->expr_src, tg_dtype_name(dt),
                tg__fmt_shape(sb, y->ndim, y->shape));
        for (int64_t k = 0; k < y->numel; k++) text_num(f, y, k);
        fputc('\n', f);
        for (int i = 0; i < c->n_in; i++) {
            fprintf(f, "d sum / d %s %s:", c->in[i].name,
                    tg__fmt_shape(sb, l[i]->ndim, l[i]->shape));
            if (!gr[i]) fputs(" none", f);
            for (int64_t k = 0; gr[i] && k < gr[i]->numel; k++)
                text_num(f, gr[i], k);
            fputc('\n', f);
        }
    }
    tg_graph_free(g);
    return EXIT_PASS;
}

/* ------------------------------------------- jvp, jacobian, hessian */

/* Tangent values for input i of jvp: --tangent NAME=V,V,... (one value
 * fills the tensor), else uniform in [-1, 1] from the seed + 1. */
static int tangent_values(cli *c, int i, tg_tensor *t)
{
    const cli_input *in = &c->in[i];
    size_t nl = strlen(in->name);
    for (int k = 0; k < c->n_tangent; k++) {
        const char *spec = c->tangent[k];
        if (strncmp(spec, in->name, nl) || spec[nl] != '=') continue;
        const char *p = spec + nl + 1;
        int64_t n = 0;
        while (*p) {
            char *end;
            double v = strtod(p, &end);
            if (end == p || (*end && *end != ','))
                return usage_error(c, "--tangent %s: bad value '%.40s' "
                                      "(numbers separated by commas)",
                                   in->name, p);
            if (n < t->numel) {
                if (t->dtype == TG_F64) tg_f64(t)[n] = v;
                else tg_f32(t)[n] = (float)v;
            }
            n++;
            p = *end ? end + 1 : end;
        }
        if (n == 1)
            for (int64_t j = 1; j < t->numel; j++) {
                if (t->dtype == TG_F64) tg_f64(t)[j] = tg_f64(t)[0];
                else tg_f32(t)[j] = tg_f32(t)[0];
            }
        else if (n != t->numel)
            return usage_error(c, "--tangent %s has %lld values but %s has "
                                  "%lld elements",
                               in->name, (long long)n, in->name,
                               (long long)t->numel);
        return EXIT_PASS;
    }
    tg_rng r;
    tg_rng_seed(&r, c->o.seed + 1 + (uint64_t)i * 0x9E3779B97F4A7C15u);
    for (int64_t j = 0; j < t->numel; j++) {
        double v = 2 * tg_rng_uniform(&r) - 1;
        if (t->dtype == TG_F64) tg_f64(t)[j] = v;
        else tg_f32(t)[j] = (float)v;
    }
    return EXIT_PASS;
}

static void print_tensor(cli *c, const char *label, const tg_tensor *t)
{
    char sb[TG_SHAPE_BUF];
    fprintf(c->out, "%s %s:", label, tg__fmt_shape(sb, t->ndim, t->shape));
    for (int64_t k = 0; k < t->numel; k++) text_num(c->out, t, k);
    fputc('\n', c->out);
}

static void json_tensor(FILE *f, const tg_tensor *t)
{
    fputs("{\"shape\": ", f);
    json_shape(f, t->ndim, t->shape);
    fputs(", \"data\": ", f);
    json_data(f, t, t->dtype);
    fputc('}', f);
}

/* kind: 'v' jvp, 'j' jacobian, 'h' hessian */
static int deriv_cmd(cli *c, char kind)
{
    int rc = parse_expr(c);
    fn_ud u;
    if (rc == EXIT_PASS) rc = bind_inputs(c, &u);
    if (rc != EXIT_PASS) return rc;
    if (c->n_in < 1)
        return usage_error(c, "tapegrad %s needs at least one input "
                              "(NAME=SHAPE)",
                           c->cmd);
    for (int k = 0; k < c->n_tangent && kind == 'v'; k++) {
        bool known = false;
        for (int i = 0; i < c->n_in; i++) {
            size_t nl = strlen(c->in[i].name);
            known |= !strncmp(c->tangent[k], c->in[i].name, nl) &&
                     c->tangent[k][nl] == '=';
        }
        if (!known)
            return usage_error(c, "--tangent '%.40s' names no input "
                                  "(write --tangent NAME=V,V,...)",
                               c->tangent[k]);
    }
    if (kind != 'v' && c->n_tangent)
        return usage_error(c, "--tangent belongs to tapegrad jvp");
    fill_random(c);
    tg_graph *g = tg_graph_new();
    if (!g) return usage_error(c, "out of memory");
    tg_tensor *l[MAX_INPUTS], *res[MAX_INPUTS * MAX_INPUTS], *tan[MAX_INPUTS];
    tg_tensor *y = build(c, g, c->dt, true, l), *jv = NULL;
    int64_t passes = 0;
    if (!y) {
        tg_graph_free(g);
        return EXIT_USAGE;
    }
    tg_status st = TG_OK;
    if (kind == 'v') {
        for (int i = 0; i < c->n_in && rc == EXIT_PASS; i++) {
            tan[i] = tg_input(g, l[i]->dtype, l[i]->ndim, l[i]->shape, NULL);
            rc = tangent_values(c, i, tan[i]);
        }
        if (rc == EXIT_PASS)
            st = tg_jvp(g, &y, 1, l, c->n_in, tan, false, &jv);
    } else if (kind == 'j') {
        st = tg_jacobian(g, y, l, c->n_in, c->jac_mode, res, &passes);
    } else {
        st = tg_hessian(g, y, l, c->n_in, res);
    }
    if (rc == EXIT_PASS && st != TG_OK) {
        usage_error(c, "%s", tg_graph_error(g));
        rc = EXIT_USAGE;
    }
    if (rc != EXIT_PASS) {
        tg_graph_free(g);
        return rc;
    }
    FILE *f = c->out;
    const char *dts = tg_dtype_name(y->dtype);
    int64_t n_all = 0;
    for (int i = 0; i < c->n_in; i++) n_all += l[i]->numel;
    tg_jac_mode jm = c->jac_mode != TG_JAC_AUTO ? c->jac_mode
                     : y->numel <= n_all        ? TG_JAC_REVERSE
                                                : TG_JAC_FORWARD;
    const char *mode = jm == TG_JAC_FORWARD ? "forward" : "reverse";
    if (c->json) {
        json_open(f, c->cmd);
        fputs("\"expr\": ", f);
        json_str(f, c->expr_src);
        fprintf(f, ", \"dtype\": \"%s\", \"output\": ", dts);
        json_tensor(f, y);
        fputs(", \"inputs\": {", f);
        for (int i = 0; i < c->n_in; i++) {
            fputs(i ? ", " : "", f);
            json_str(f, c->in[i].name);
            fputs(": ", f);
            json_tensor(f, l[i]);
        }
        fputc('}', f);
        if (kind == 'v') {
            fputs(", \"tangents\": {", f);
            for (int i = 0; i < c->n_in; i++) {
                fputs(i ? ", " : "", f);
                json_str(f, c->in[i].name);
                fputs(": ", f);
                json_tensor(f, tan[i]);
            }
            fputs("}, \"jvp\": ", f);
            json_tensor(f, jv);
        } else if (kind == 'j') {
            fprintf(f, ", \"mode\": \"%s\", \"passes\": %lld, "
                       "\"jacobian\": {", mode, (long long)passes);
            for (int i = 0; i < c->n_in; i++) {
                fputs(i ? ", " : "", f);
                json_str(f, c->in[i].name);
                fputs(": ", f);
                json_tensor(f, res[i]);
            }
            fputc('}', f);
        } else {
            fputs(", \"hessian\": {", f);
            for (int i = 0; i < c->n_in; i++) {
                fputs(i ? ", " : "", f);
                json_str(f, c->in[i].name);
                fputs(": {", f);
                for (int j = 0; j < c->n_in; j++) {
                    fputs(j ? ", " : "", f);
                    json_str(f, c->in[j].name);
                    fputs(": ", f);
                    json_tensor(f, res[i * c->n_in + j]);
                }
                fputc('}', f);
            }
            fputc('}', f);
        }
        fputs("}\n", f);
    } else {
        char lab[3 * NAME_MAX_LEN + 32];
        print_tensor(c, c->expr_src, y);
        if (kind == 'v') {
            for (int i = 0; i < c->n_in; i++) {
                snprintf(lab, sizeof lab, "tangent %s", c->in[i].name);
                print_tensor(c, lab, tan[i]);
            }
            print_tensor(c, "jvp", jv);
        } else if (kind == 'j') {
            fprintf(f, "(%s mode, %lld reverse passes)\n", mode,
                    (long long)passes);
            for (int i = 0; i < c->n_in; i++) {
                snprintf(lab, sizeof lab, "d EXPR / d %s", c->in[i].name);
                print_tensor(c, lab, res[i]);
            }
        } else {
            for (int i = 0; i < c->n_in; i++)
                for (int j = 0; j < c->n_in; j++) {
                    snprintf(lab, sizeof lab, "d2 EXPR / d %s d %s",
                             c->in[i].name, c->in[j].name);
                    print_tensor(c, lab, res[i * c->n_in + j]);
                }
        }
    }
    tg_graph_free(g);
    return EXIT_PASS;
}

/* --------------------------------------------------------------- dot */

/* The format Graphviz should render for an output path by its extension
 * (svg, png, pdf), or NULL for DOT text (.dot, .gv, anything else). */
static const char *render_format(const char *path)
{
    static const char *const fmts[] = {"svg", "png", "pdf"};
    const char *dot = strrchr(path, '.');
    if (!dot || strchr(dot, '/')) return NULL;
    for (size_t k = 0; k < sizeof fmts / sizeof fmts[0]; k++)
        if (!strcasecmp(dot + 1, fmts[k])) return fmts[k];
    return NULL;
}

/* Pipe the DOT text of g into Graphviz (`dot -TFMT -o path`; the program
 * is TAPEGRAD_DOT when set). Returns EXIT_PASS, or a usage error naming
 * why the picture was not drawn: a DOT text file named .svg would only
 * confuse whoever opens it. */
static int render_dot(cli *c, tg_graph *g, const tg_dot_opts *o,
                      const char *fmt)
{
    const char *prog = getenv("TAPEGRAD_DOT");
    if (!prog || !*prog) prog = "dot";
    if (!strcmp(prog, "none"))
        return usage_error(c, "cannot draw %s: Graphviz is switched off "
                              "(TAPEGRAD_DOT=none); write the DOT text with "
                              "-o FILE.dot instead",
                           c->out_path);
    int fd[2];
    if (pipe(fd) != 0)
        return usage_error(c, "cannot run Graphviz: %s", strerror(errno));
    char tflag[16];
    snprintf(tflag, sizeof tflag, "-T%s", fmt);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fd[0]);
        close(fd[1]);
        return usage_error(c, "cannot run Graphviz: %s", strerror(errno));
    }
    if (pid == 0) {
        dup2(fd[0], 0);
        close(fd[0]);
        close(fd[1]);
        char *argv[] = {(char *)prog, tflag, "-o", (char *)c->out_path, NULL};
        execvp(prog, argv);
        _exit(127);
    }
    close(fd[0]);
    /* a Graphviz that exits early must not kill us with SIGPIPE */
    void (*old_pipe)(int) = signal(SIGPIPE, SIG_IGN);
    FILE *f = fdopen(fd[1], "w");
    tg_status st = f ? tg_graph_write_dot(g, f, o) : TG_ERR_IO;
    if (f) fclose(f);
    else close(fd[1]);
    signal(SIGPIPE, old_pipe);
    int ws = 0;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
    }
    if (st != TG_OK && st != TG_ERR_IO)
        return usage_error(c, "%s", tg_last_error());
    if (WIFEXITED(ws) && WEXITSTATUS(ws) == 127)
        return usage_error(c, "cannot draw %s: Graphviz's '%s' program is "
                              "not installed (Debian package graphviz); "
                              "write the DOT text with -o FILE.dot instead",
                           c->out_path, prog);
    if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0 || st != TG_OK)
        return usage_error(c, "Graphviz failed to draw %s (%s -%s)",
                           c->out_path, prog, tflag + 1);
    return EXIT_PASS;
}

static int dot_cmd(cli *c)
{
    int rc = parse_expr(c);
    fn_ud u;
    if (rc == EXIT_PASS) rc = bind_inputs(c, &u);
    if (rc != EXIT_PASS) return rc;
    if (c->out_path && !c->env->allow_files)
        return usage_error(c, "-o is disabled here");
    fill_random(c);
    tg_graph *g = tg_graph_new();
    if (!g) return usage_error(c, "out of memory");
    tg_tensor *l[MAX_INPUTS];
    /* labels and indices (and --no-grad inputs) are drawn as what they
     * are: leaves without a gradient */
    c->leaves_follow_no_grad = true;
    tg_tensor *y = build(c, g, c->dt, true, l);
    if (!y) {
        tg_graph_free(g);
        return EXIT_USAGE;
    }
    tg_dot_opts o = tg_dot_defaults();
    o.loss = y;
    o.title = c->expr_src;
    if (c->max_values >= 0) o.max_values = c->max_values;
    const char *fmt = c->out_path ? render_format(c->out_path) : NULL;
    if (fmt) {
        rc = render_dot(c, g, &o, fmt);
        tg_graph_free(g);
        return rc;
    }
    tg_status st = c->out_path ? tg_graph_save_dot(g, c->out_path, &o)
                               : tg_graph_write_dot(g, c->out, &o);
    tg_graph_free(g);
    if (st != TG_OK) return usage_error(c, "%s", tg_last_error());
    return EXIT_PASS;
}

/* -------------------------------------------------------------- entry */

static void cmd_help(FILE *f, const char *cmd)
{
    fprintf(f, "usage: tapegrad %s ...\n", cmd);
    tg_cli_usage(f);
}

int tg_cli_run(int argc, char **argv, FILE *out, FILE *err,
               const tg_cli_env *env)
{
    tg_cli_env defenv = tg_cli_default_env();
    if (!env) env = &defenv;
    if (argc < 1 || !argv || !argv[0]) {
        fprintf(err, "tapegrad: no command\n");
        return EXIT_USAGE;
    }
    cli c;
    memset(&c, 0, sizeof c);
    c.out = out;
    c.err = err;
    c.env = env;
    c.cmd = argv[0];
    c.dt = TG_F64;
    c.o = tg_check_defaults();
    c.max_values = -1;
    if (!strcmp(c.cmd, "help") || !strcmp(c.cmd, "--help")) {
        fprintf(out, "usage: tapegrad COMMAND [ARGS]\ncommands:\n");
        tg_cli_usage(out);
        return EXIT_PASS;
    }
    bool is_check = !strcmp(c.cmd, "check"), is_grad = !strcmp(c.cmd, "grad"),
         is_dot = !strcmp(c.cmd, "dot");
    char deriv = !strcmp(c.cmd, "jvp")        ? 'v'
                 : !strcmp(c.cmd, "jacobian") ? 'j'
                 : !strcmp(c.cmd, "hessian")  ? 'h'
                                              : 0;
    if (!is_check && !is_grad && !is_dot && !deriv) {
        fprintf(err, "tapegrad: unknown command '%.40s'\n", c.cmd);
        return EXIT_USAGE;
    }
    int rc = parse_args(&c, argc, argv);
    if (rc < 0) {
        cmd_help(out, c.cmd);
        free_inputs(&c);
        return EXIT_PASS;
    }
    if (rc == EXIT_PASS && c.all_ops && !is_check)
        rc = usage_error(&c, "--all-ops belongs to tapegrad check");
    if (rc == EXIT_PASS && c.out_path && !is_dot)
        rc = usage_error(&c, "-o belongs to tapegrad dot");
    if (rc == EXIT_PASS) {
        if (is_check && (c.lib || c.exec_cmd)) rc = check_any(&c);
        else if (c.lib || c.exec_cmd || c.raw_n || c.x_vals)
            rc = usage_error(&c, "%s belongs to tapegrad check --lib or "
                                 "--exec",
                             c.lib ? "--lib" : c.exec_cmd ? "--exec"
                                   : c.raw_n ? "--n" : "--x");
        else if (is_check && c.all_ops) rc = all_ops(&c);
        else if (is_check) rc = check_one(&c);
        else if (is_grad) rc = grad_cmd(&c);
        else if (deriv) rc = deriv_cmd(&c, deriv);
        else rc = dot_cmd(&c);
    }
    tg__expr_free(c.expr);
    free_inputs(&c);
    fflush(out);
    return rc;
}
