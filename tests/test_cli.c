/* The expression language and the `tapegrad check | grad | dot` commands,
 * driven in-process through tg_cli_run: exact error texts, exit codes,
 * JSON read back with a strict reader and compared with hand-derived
 * gradients, DOT structure, allocation failures in the parser. */
#include <ctype.h>
#include <stdlib.h>

#include "src/cli/cli.h"
#include "src/expr.h"
#include "tt.h"

/* ---------------------------------------------------- running commands */

typedef struct run_result {
    int rc;
    char *out, *err;
} run_result;

static run_result run_v(int argc, char **argv)
{
    run_result r;
    size_t no, ne;
    FILE *o = open_memstream(&r.out, &no), *e = open_memstream(&r.err, &ne);
    tg_cli_env env = tg_cli_default_env();
    r.rc = tg_cli_run(argc, argv, o, e, &env);
    fclose(o);
    fclose(e);
    return r;
}

#define RUN(...)                                                            \
    run_v((int)(sizeof((char *[]){__VA_ARGS__}) / sizeof(char *)),          \
          (char *[]){__VA_ARGS__})

static void run_free(run_result *r)
{
    free(r->out);
    free(r->err);
}

/* ---------------------------------------------- a strict JSON reader */

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jkind;
typedef struct jv {
    jkind k;
    double num;
    bool b;
    char *str;
    int n;
    struct jv *items;
    char **keys;
} jv;

static void jfree(jv *v)
{
    if (!v) return;
    free(v->str);
    for (int i = 0; i < v->n; i++) {
        jfree(&v->items[i]);
        if (v->keys) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
}

static void ws(const char **p)
{
    while (**p == ' ' || **p == '\n' || **p == '\t' || **p == '\r') (*p)++;
}

static bool jparse(const char **p, jv *v, int depth);

static bool jstring(const char **p, char **out)
{
    if (**p != '"') return false;
    (*p)++;
    size_t cap = 16, n = 0;
    char *s = malloc(cap);
    while (**p != '"') {
        unsigned char c = (unsigned char)**p;
        if (!c || c < 0x20) {
            free(s);
            return false;
        }
        if (c == '\\') {
            (*p)++;
            char e = **p;
            if (e == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (!isxdigit((unsigned char)(*p)[i])) {
                        free(s);
                        return false;
                    }
                c = '?';
                *p += 4;
            } else if (strchr("\"\\/bfnrt", e) && e) {
                c = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'b' ? '\b'
                    : e == 'f' ? '\f' : e == 'r' ? '\r' : (unsigned char)e;
            } else {
                free(s);
                return false;
            }
        }
        if (n + 2 > cap) s = realloc(s, cap *= 2);
        s[n++] = (char)c;
        (*p)++;
    }
    (*p)++;
    s[n] = 0;
    *out = s;
    return true;
}

static bool jnumber(const char **p, double *v)
{
    const char *s = *p;
    if (*s == '-') s++;
    if (*s == '0') s++;
    else if (*s >= '1' && *s <= '9')
        while (isdigit((unsigned char)*s)) s++;
    else return false;
    if (*s == '.') {
        s++;
        if (!isdigit((unsigned char)*s)) return false;
        while (isdigit((unsigned char)*s)) s++;
    }
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-') s++;
        if (!isdigit((unsigned char)*s)) return false;
        while (isdigit((unsigned char)*s)) s++;
    }
    char *end;
    *v = strtod(*p, &end);
    if (end != s) return false;
    *p = s;
    return true;
}

static bool jparse(const char **p, jv *v, int depth)
{
    memset(v, 0, sizeof *v);
    if (depth > 64) return false;
    ws(p);
    if (**p == '{' || **p == '[') {
        bool obj = **p == '{';
        char close = obj ? '}' : ']';
        v->k = obj ? J_OBJ : J_ARR;
        (*p)++;
        ws(p);
        if (**p == close) {
            (*p)++;
            return true;
        }
        for (;;) {
            v->items = realloc(v->items, sizeof *v->items * (size_t)(v->n + 1));
            if (obj) v->keys = realloc(v->keys, sizeof *v->keys * (size_t)(v->n + 1));
            if (obj) {
                ws(p);
                if (!jstring(p, &v->keys[v->n])) return false;
                ws(p);
                if (**p != ':') {
                    free(v->keys[v->n]);
                    return false;
                }
                (*p)++;
            }
            if (!jparse(p, &v->items[v->n], depth + 1)) {
                if (obj) free(v->keys[v->n]);
                jfree(&v->items[v->n]);
                return false;
            }
            v->n++;
            ws(p);
            if (**p == ',') {
                (*p)++;
                continue;
            }
            if (**p == close) {
                (*p)++;
                return true;
            }
            return false;
        }
    }
    if (**p == '"') {
        v->k = J_STR;
        return jstring(p, &v->str);
    }
    if (!strncmp(*p, "true", 4) || !strncmp(*p, "false", 5)) {
        v->k = J_BOOL;
        v->b = **p == 't';
        *p += v->b ? 4 : 5;
        return true;
    }
    if (!strncmp(*p, "null", 4)) {
        v->k = J_NULL;
        *p += 4;
        return true;
    }
    v->k = J_NUM;
    return jnumber(p, &v->num);
}

/* Parse a whole document (one value, then only whitespace). */
static bool json_doc(const char *text, jv *v)
{
    const char *p = text;
    if (!jparse(&p, v, 0)) {
        jfree(v);
        memset(v, 0, sizeof *v);
        return false;
    }
    ws(&p);
    if (*p) {
        jfree(v);
        memset(v, 0, sizeof *v);
        return false;
    }
    return true;
}

static jv *jget(jv *o, const char *key)
{
    if (!o || o->k != J_OBJ) return NULL;
    for (int i = 0; i < o->n; i++)
        if (!strcmp(o->keys[i], key)) return &o->items[i];
    return NULL;
}

static jv *jat(jv *a, int i)
{
    return (a && a->k == J_ARR && i >= 0 && i < a->n) ? &a->items[i] : NULL;
}

static double jnum(jv *v) { return (v && v->k == J_NUM) ? v->num : NAN; }

static void json_reader_self_test(void)
{
    jv v;
    TT_CHECK(json_doc("{\"a\": [1, -2.5e3, true, null, \"x\\n\"]}", &v));
    TT_NEAR(jnum(jat(jget(&v, "a"), 1)), -2500, 0);
    jfree(&v);
    TT_CHECK(!json_doc("{\"a\": [1, 2,]}", &v));
    TT_CHECK(!json_doc("{\"a\": NaN}", &v));
    TT_CHECK(!json_doc("[01]", &v));
    TT_CHECK(!json_doc("[1] x", &v));
}

/* ------------------------------------------------- the expression parser */

/* Evaluate src with scalar inputs x, y (f64) and return the value. */
static double eval_scalar(const char *src, double x, double y)
{
    tg_expr *e;
    tg__expr_err err;
    if (tg__expr_parse(src, &e, &err) != TG_OK) {
        fprintf(stderr, "parse of '%s' failed: %s\n", src, err.msg);
        return NAN;
    }
    tg_graph *g = tg_graph_new();
    tg_tensor *in[2] = {tg_scalar(g, TG_F64, x), tg_scalar(g, TG_F64, y)};
    const char *names[2] = {"x", "y"};
    tg_tensor *r = tg__expr_eval(e, g, TG_F64, 2, names, in, &err);
    double v = r ? tg_item(r) : NAN;
    if (!r) fprintf(stderr, "eval of '%s' failed: %s\n", src, err.msg);
    tg_graph_free(g);
    tg__expr_free(e);
    return v;
}

static void precedence(void)
{
    TT_NEAR(eval_scalar("-x**2", 3, 0), -9, 0);
    TT_NEAR(eval_scalar("2**-1", 0, 0), 0.5, 0);
    TT_NEAR(eval_scalar("x - 3 - 1", 10, 0), 6, 0);
    TT_NEAR(eval_scalar("2*3+4*x", 1, 0), 10, 0);
    TT_NEAR(eval_scalar("(x+1)*(x-1)/x", 2, 0), 1.5, 0);
    TT_NEAR(eval_scalar("x ** 3", 2, 0), 8, 0);
    TT_NEAR(eval_scalar("x ** 0.5", 4, 0), 2, 1e-15);
    TT_NEAR(eval_scalar("x ** y", 2, 3), 8, 1e-15);
    TT_NEAR(eval_scalar("2 ** 3 ** 2", 0, 0), 512, 0); /* right-assoc */
    TT_NEAR(eval_scalar("1e-1 + .5 + 2.", 0, 0), 2.6, 1e-15);
    TT_NEAR(eval_scalar("x / y / 2", 8, 2), 2, 0);
    TT_NEAR(eval_scalar("--x", 5, 0), 5, 0);
    TT_NEAR(eval_scalar("+x - -y", 5, 2), 7, 0);
    TT_NEAR(eval_scalar("add_scalar(x, s=-2.5) * mul_scalar(y, s=2)", 1, 3),
            -9, 0);
    TT_NEAR(eval_scalar("tanh(x)", 0.5, 0), tanhl(0.5L), 1e-15);
    TT_NEAR(eval_scalar("x ** 0 + x ** -2", 2, 0), 1.25, 0);
}

/* The variables of an expression, and index-only arguments. */
static void variables(void)
{
    tg_expr *e;
    TT_CHECK(tg__expr_parse("a * tanh(b) + a @ c", &e, NULL) == TG_OK);
    TT_CHECK(tg__expr_num_vars(e) == 3);
    TT_STREQ(tg__expr_var(e, 0), "a");
    TT_STREQ(tg__expr_var(e, 1), "b");
    TT_STREQ(tg__expr_var(e, 2), "c");
    TT_CHECK(tg__expr_var(e, 3) == NULL);
    tg__expr_free(e);
    TT_CHECK(tg__expr_parse("cross_entropy(x, l) + nll(x, l)", &e, NULL) == TG_OK);
    TT_CHECK(tg__expr_var_differentiable(e, 0));
    TT_CHECK(!tg__expr_var_differentiable(e, 1));
    tg__expr_free(e);
    TT_CHECK(tg__expr_parse("cross_entropy(x, l) * l", &e, NULL) == TG_OK);
    TT_CHECK(tg__expr_var_differentiable(e, 1));
    tg__expr_free(e);
}

/* The printed parse error for src. */
static char *parse_error_text(const char *src)
{
    tg_expr *e = NULL;
    tg__expr_err err;
    char *buf = NULL;
    size_t n;
    FILE *f = open_memstream(&buf, &n);
    if (tg__expr_parse(src, &e, &err) != TG_OK) tg__expr_print_error(f, src, &err);
    fclose(f);
    tg__expr_free(e);
    return buf;
}

#define PARSE_ERR(src, want)                                                \
    do {                                                                    \
        char *t_ = parse_error_text(src);                                   \
        TT_STREQ(t_, want);                                                 \
        free(t_);                                                           \
    } while (0)

static void parse_errors(void)
{
    PARSE_ERR("tnah(x) + y",
              "tapegrad: parse error at column 1: unknown function 'tnah'\n"
              "  tnah(x) + y\n"
              "  ^~~~\n"
              "hint: did you mean tanh, tan?\n");
    PARSE_ERR("tanh(x",
              "tapegrad: parse error at column 7: expected ',' or ')' in the "
              "call of tanh, found the end of the expression\n"
              "  tanh(x\n"
              "        ^\n");
    PARSE_ERR("x + * y",
              "tapegrad: parse error at column 5: expected a number, a name "
              "or '(', found '*'\n"
              "  x + * y\n"
              "      ^\n");
    PARSE_ERR("sum(x, axes=1)",
              "tapegrad: parse error at column 8: sum has no keyword 'axes'\n"
              "  sum(x, axes=1)\n"
              "         ^~~~\n"
              "hint: sum takes: axis, keepdim\n");
    PARSE_ERR("leaky_relu(x, 0.1)",
              "tapegrad: parse error at column 15: leaky_relu takes 1 tensor "
              "argument\n"
              "  leaky_relu(x, 0.1)\n"
              "                ^~~\n"
              "hint: attributes are keywords, e.g. leaky_relu(..., alpha=...); "
              "leaky_relu takes: alpha\n");
    PARSE_ERR("x y",
              "tapegrad: parse error at column 3: unexpected name 'y'\n"
              "  x y\n"
              "    ^\n"
              "hint: an operator is missing between the two operands\n");
    PARSE_ERR("(x + 1))",
              "tapegrad: parse error at column 8: unexpected ')'\n"
              "  (x + 1))\n"
              "         ^\n"
              "hint: this ')' has no matching '('\n");
    PARSE_ERR("", "tapegrad: parse error at column 1: the expression is empty\n"
                  "  \n"
                  "  ^\n"
                  "hint: write an expression such as 'tanh(x) * y'\n");
    PARSE_ERR("maxout(x)",
              "tapegrad: parse error at column 1: maxout needs the keyword k\n"
              "  maxout(x)\n"
              "  ^~~~~~~~~\n");
    PARSE_ERR("sum(x, keepdim=2)",
              "tapegrad: parse error at column 16: sum: keyword keepdim is 0 "
              "or 1, got 2\n"
              "  sum(x, keepdim=2)\n"
              "                 ^\n");
    PARSE_ERR("cast(x, dtype=f16)",
              "tapegrad: parse error at column 15: cast: keyword dtype wants "
              "f32, f64, i64 or bool, found name 'f16'\n"
              "  cast(x, dtype=f16)\n"
              "                ^~~\n"
              "hint: write dtype=f32, f64, i64 or bool\n");
    PARSE_ERR("x $ 2",
              "tapegrad: parse error at column 3: unexpected '$'\n"
              "  x $ 2\n"
              "    ^\n");
    PARSE_ERR("sum(x, axis=1, axis=0)",
              "tapegrad: parse error at column 16: keyword axis given twice\n"
              "  sum(x, axis=1, axis=0)\n"
              "                 ^~~~\n");
    PARSE_ERR("tanh()",
              "tapegrad: parse error at column 1: tanh takes 1 tensor "
              "argument, got 0\n"
              "  tanh()\n"
              "  ^~~~~~\n");
    /* the nearest names of a misspelt function */
    char *t = parse_error_text("softmx(x)");
    TT_CONTAINS(t, "hint: did you mean softmax");
    free(t);
    t = parse_error_text("log_soft(x)");
    TT_CONTAINS(t, "log_softmax");
    free(t);
}

static void parse_limits(void)
{
    /* 300 nested parentheses and a 2000-term chain fail cleanly */
    char deep[700];
    memset(deep, '(', 300);
    deep[300] = 'x';
    memset(deep + 301, ')', 300);
    deep[601] = 0;
    char *t = parse_error_text(deep);
    TT_CONTAINS(t, "nested too deeply (more than 200 levels)");
    free(t);
    char *chain = malloc(4 * 2000 + 2);
    TT_CHECK(chain != NULL);
    if (!chain) return;
    size_t k = 0;
    for (int i = 0; i < 2000; i++) {
        if (i) chain[k++] = '+';
        chain[k++] = 'x';
    }
    chain[k] = 0;
    t = parse_error_text(chain);
    TT_CONTAINS(t, "expression is too deep (more than 1000 levels)");
    TT_CONTAINS(t, "...");
    free(t);
    free(chain);
    /* a name of 70 characters */
    char longname[80];
    memset(longname, 'a', 70);
    longname[70] = 0;
    t = parse_error_text(longname);
    TT_CONTAINS(t, "name is too long (at most 63 characters)");
    free(t);
}

/* Allocation failures while parsing: TG_ERR_OOM, nothing leaks. */
static int fail_at = -1, n_allocs, live;
static void *failing_alloc(size_t size, size_t align, void *ud)
{
    (void)ud;
    if (n_allocs++ == fail_at) return NULL;
    size_t rounded = (size + align - 1) & ~(align - 1);
    void *p = aligned_alloc(align, rounded ? rounded : align);
    if (p) live++;
    return p;
}
static void counting_free(void *p, void *ud)
{
    (void)ud;
    if (p) live--;
    free(p);
}

static void parse_oom(void)
{
    int bad = 0;
    const char *src = "sum(tanh(a) * b + c @ d, axis=1) ** 2 - layer_norm(e)";
    for (fail_at = 0; fail_at < 200; fail_at++) {
        n_allocs = 0;
        live = 0;
        tg_set_allocator(failing_alloc, counting_free, NULL);
        tg_expr *e = NULL;
        tg__expr_err err;
        tg_status st = tg__expr_parse(src, &e, &err);
        tg__expr_free(e);
        tg_set_allocator(NULL, NULL, NULL);
        if (live) bad++;
        if (n_allocs <= fail_at) {
            TT_CHECK(st == TG_OK);
            break;
        }
        if (st != TG_ERR_OOM) bad++;
    }
    TT_CHECK(bad == 0);
    TT_CHECK(fail_at < 200);
}

/* ---------------------------------------------------------- check */

static void check_passes(void)
{
    run_result r = RUN("check", "tanh(x) * y", "x=3x4", "y=4");
    TT_CHECK(r.rc == 0);
    TT_CONTAINS(r.out, "check d sum(w * (tanh(x) * y)), w random (|w| in "
                       "[0.5, 1.5])");
    TT_CONTAINS(r.out, "\nx            [3,4]  ");
    TT_CONTAINS(r.out, "\ny            [4]  ");
    TT_CONTAINS(r.out, "backward twice gives the same result: yes");
    TT_CONTAINS(r.out, "zero upstream gradient gives zero gradients: yes");
    TT_CONTAINS(r.out, "\nPASS\n");
    TT_STREQ(r.err, "");
    run_free(&r);
    /* broadcasting, numbers, matmul, powers, keywords */
    r = RUN("check", "sum(a @ b + 3, axis=1, keepdim=1) ** 2 / (c * c + 1)",
            "a=2x3", "b=3x4", "c=2x1", "--seed", "7");
    TT_CHECK(r.rc == 0);
    run_free(&r);
    /* the helpers that are not ops of their own */
    r = RUN("check",
            "sum_all(x) * mean_all(x) + sum(matmul_t(a, b, trans_b=1)) + "
            "sum(layer_norm_n(c, naxes=2) * c) + sum(squeeze_all(d) * d)",
            "x=3", "a=2x3", "b=4x3", "c=2x3x4", "d=1x3");
    TT_CHECK(r.rc == 0);
    run_free(&r);
    r = RUN("check", "2 + 3");
    TT_CHECK(r.rc == 0);
    run_free(&r);
    r = RUN("check", "-x * x + x ** 3", "x=scalar:0.3");
    TT_CHECK(r.rc == 0);
    TT_CONTAINS(r.out, "[]");
    run_free(&r);
}

/* relu at 0: analytic 0, central difference 0.5: a failure at a kink,
 * named as such; the kink margin moves the sample and it passes. */
static void check_kink(void)
{
    run_result r = RUN("check", "relu(x)", "x=3:0.5,0,-0.5", "--sum-only");
    TT_CHECK(r.rc == 1);
    TT_CONTAINS(r.out, "check d sum(relu(x))   eps");
    TT_CONTAINS(r.out, "(1)          0              0.5            FAIL (at a kink");
    TT_CONTAINS(r.out, "sits at a non-differentiable point");
    run_free(&r);
    r = RUN("check", "relu(x)", "x=3:0.5,0,-0.5", "--kink-margin", "1e-3");
    TT_CHECK(r.rc == 0);
    TT_CONTAINS(r.out, "moved 1 sample point away from kinks");
    run_free(&r);
}

static void check_options(void)
{
    run_result r = RUN("check", "sigmoid(x) * x", "x=3x4", "--fast");
    TT_CHECK(r.rc == 0);
    TT_CONTAINS(r.out, "projection");
    run_free(&r);
    /* large inputs switch to the fast mode by themselves */
    r = RUN("check", "x * x", "x=80x80");
    TT_CHECK(r.rc == 0);
    TT_CONTAINS(r.out, "(fast: one random projection per input)");
    run_free(&r);
    r = RUN("check", "tanh(x) * y", "x=3", "y=3", "--gradgrad");
    TT_CHECK(r.rc == 0);
    TT_CONTAINS(r.out, "second derivatives (gradgrad):");
    TT_CONTAINS(r.out, "grad_output");
    run_free(&r);
    r = RUN("check", "relu(x) * y", "x=3", "y=3", "--gradgrad");
    TT_CONTAINS(r.out, "second derivatives: skipped");
    run_free(&r);
    r = RUN("check", "tanh(x)", "x=3", "--dtype", "f32");
    TT_CHECK(r.rc == 0);
    TT_CONTAINS(r.out, "f32 run vs f64: output differs by");
    run_free(&r);
    r = RUN("check", "x * x", "x=3:1,2,3", "--eps=1e-4", "--atol", "0",
            "--rtol", "1e-8");
    TT_CHECK(r.rc == 0);
    TT_CONTAINS(r.out, "eps 0.0001  atol 0  rtol 1e-08");
    run_free(&r);
    /* label inputs are not differentiated (nor perturbed) */
    r = RUN("check", "cross_entropy(x, l)", "x=3x4", "l=3:0,3,1");
    TT_CHECK(r.rc == 0);
    TT_CONTAINS(r.out, "not checked (no grad)");
    run_free(&r);
    r = RUN("check", "x * t", "x=3", "t=3", "--no-grad", "t");
    TT_CHECK(r.rc == 0);
    TT_CONTAINS(r.out, "\nt            [3]            -");
    run_free(&r);
    r = RUN("check", "--help");
    TT_CHECK(r.rc == 0);
    TT_CONTAINS(r.out, "check --all-ops");
    run_free(&r);
}

static void check_json(void)
{
    run_result r = RUN("check", "tanh(x) * y", "x=2x2", "y=2", "--json");
    TT_CHECK(r.rc == 0);
    jv v;
    TT_CHECK(json_doc(r.out, &v));
    TT_CHECK(jget(&v, "pass") && jget(&v, "pass")->b);
    TT_STREQ(jget(&v, "expr") ? jget(&v, "expr")->str : NULL, "tanh(x) * y");
    jv *in = jget(&v, "inputs");
    TT_CHECK(in && in->n == 2);
    TT_STREQ(jget(jat(in, 0), "name") ? jget(jat(in, 0), "name")->str : NULL, "x");
    TT_CHECK(jnum(jget(jat(in, 0), "max_abs_err")) < 1e-8);
    TT_CHECK(jat(jget(jat(in, 1), "worst"), 0) != NULL);
    TT_CHECK(jget(&v, "gradgrad") && jget(&v, "gradgrad")->k == J_NULL);
    jfree(&v);
    run_free(&r);
    r = RUN("check", "relu(x)", "x=2:0,1", "--json", "--gradgrad");
    TT_CHECK(r.rc == 1);
    TT_CHECK(json_doc(r.out, &v));
    TT_CHECK(jget(&v, "pass") && !jget(&v, "pass")->b);
    TT_CHECK(jget(jat(jget(&v, "inputs"), 0), "at_kink")->b);
    TT_NEAR(jnum(jat(jget(jat(jget(&v, "inputs"), 0), "worst"), 0)), 0, 0);
    TT_STREQ(jget(&v, "gradgrad")->str, "skipped");
    jfree(&v);
    run_free(&r);
}

/* Usage errors: one line on stderr, exit 2. */
#define USAGE(want, ...)                                                    \
    do {                                                                    \
        run_result r_ = RUN(__VA_ARGS__);                                   \
        TT_CHECK(r_.rc == 2);                                               \
        TT_STREQ(r_.err, want);                                             \
        TT_STREQ(r_.out, "");                                               \
        run_free(&r_);                                                      \
    } while (0)

static void usage_errors(void)
{
    USAGE("tapegrad check: unknown input 'z' in the expression (inputs given: "
          "x); hint: add z=SHAPE\n",
          "check", "x + z", "x=3");
    USAGE("tapegrad grad: unknown input 'x' in the expression (inputs given: "
          "none); hint: add x=SHAPE\n",
          "grad", "x * 2", "--json");
    USAGE("tapegrad check: input 'x' has no shape; write x=SHAPE (e.g. x=3x4 "
          "or x=scalar)\n",
          "check", "x * 2", "x");
    USAGE("tapegrad check: input 'x' has no shape; write x=SHAPE (e.g. x=3x4 "
          "or x=scalar)\n",
          "check", "x * 2", "x=");
    USAGE("tapegrad check: input 'x': bad shape '3y4': write dims joined by x "
          "(4x3) or 'scalar'\n",
          "check", "x * 2", "x=3y4");
    USAGE("tapegrad check: input 'x': bad shape '3x': it ends with 'x'\n",
          "check", "x * 2", "x=3x");
    USAGE("tapegrad check: input 'x' has shape [2,2] (4 elements) but 3 "
          "values were given\n",
          "check", "x * 2", "x=2x2:1,2,3");
    USAGE("tapegrad check: input 'x': bad value 'a,3' (values are numbers "
          "separated by commas)\n",
          "check", "x * 2", "x=3:1,a,3");
    USAGE("tapegrad check: input 'x' is given twice\n", "check", "x * 2",
          "x=3", "x=4");
    USAGE("tapegrad check: bad input name '2x' (letters, digits and _, not "
          "starting with a digit, at most 63)\n",
          "check", "x", "2x=3");
    USAGE("tapegrad check: tg_add: shapes [3] and [4] do not broadcast (dim "
          "-1: 3 vs 4); hint: dims must match or be 1, aligned from the right "
          "(in 'a + b' at column 3)\n",
          "check", "a + b", "a=3", "b=4");
    USAGE("tapegrad grad: tg_matmul: inner dimensions differ: [2,3] @ [2,3] "
          "(3 vs 2) (in 'a @ b' at column 3)\n",
          "grad", "a @ b", "a=2x3", "b=2x3");
    USAGE("tapegrad check: unknown option '--bogus' (tapegrad check --help "
          "lists them)\n",
          "check", "x", "x=3", "--bogus");
    USAGE("tapegrad check: --eps wants a number > 0, not '-1'\n", "check", "x",
          "x=3", "--eps", "-1");
    USAGE("tapegrad check: --dtype is f64 or f32, not 'f16'\n", "check", "x",
          "x=3", "--dtype", "f16");
    USAGE("tapegrad check: --seed needs a value\n", "check", "x", "x=3",
          "--seed");
    USAGE("tapegrad check: no expression given (tapegrad check EXPR "
          "NAME=SHAPE...)\n",
          "check");
    USAGE("tapegrad: unknown command 'chekc'\n", "chekc", "x");
    USAGE("tapegrad check: input 'x' has too many elements (at most "
          "16777216)\n",
          "check", "x", "x=100000x100000");
    USAGE("tapegrad grad: -o belongs to tapegrad dot\n", "grad", "x", "x=3",
          "-o", "f.dot");
    /* a parse error goes through the caret printer */
    run_result r = RUN("check", "tanh(x", "x=3");
    TT_CHECK(r.rc == 2);
    TT_CONTAINS(r.err, "  tanh(x\n        ^\n");
    run_free(&r);
    /* an expression may start with a minus sign */
    r = RUN("grad", "-x", "x=2:1,2");
    TT_CHECK(r.rc == 0);
    TT_STREQ(r.out, "-x = f64 [2]: -1 -2\nd sum / d x [2]: -1 -1\n");
    run_free(&r);
}

/* ----------------------------------------------------------- grad */

static void grad_json_values(void)
{
    /* y = x @ w + b, x [2,3], w [3,2], b [2]. d sum(y):
     * dx[i][k] = sum_j w[k][j], dw[k][j] = sum_i x[i][k], db[j] = 2. */
    run_result r = RUN("grad", "x @ w + b", "x=2x3:0.1,0.2,0.3,-1,2,0.5",
                       "w=3x2:1,2,3,4,5,6.25", "b=2:0.5,-0.5", "--json");
    TT_CHECK(r.rc == 0);
    jv v;
    TT_CHECK(json_doc(r.out, &v));
    TT_STREQ(jget(&v, "expr")->str, "x @ w + b");
    TT_STREQ(jget(&v, "dtype")->str, "f64");
    jv *out = jget(&v, "output");
    TT_CHECK(jget(out, "shape")->n == 2);
    TT_NEAR(jnum(jat(jget(out, "shape"), 0)), 2, 0);
    double xv[6] = {0.1, 0.2, 0.3, -1, 2, 0.5}, wv[6] = {1, 2, 3, 4, 5, 6.25};
    double bv[2] = {0.5, -0.5};
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            long double s = bv[j];
            for (int k = 0; k < 3; k++) s += (long double)xv[i * 3 + k] * wv[k * 2 + j];
            TT_NEAR(jnum(jat(jget(out, "data"), i * 2 + j)), (double)s, 1e-15);
        }
    jv *in = jget(&v, "inputs");
    TT_CHECK(in && in->n == 3 && !strcmp(in->keys[0], "x") &&
             !strcmp(in->keys[2], "b"));
    jv *x = jget(in, "x"), *w = jget(in, "w"), *b = jget(in, "b");
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 3; k++)
            TT_NEAR(jnum(jat(jget(x, "grad"), i * 3 + k)), wv[k * 2] + wv[k * 2 + 1], 0);
    for (int k = 0; k < 3; k++)
        for (int j = 0; j < 2; j++)
            TT_NEAR(jnum(jat(jget(w, "grad"), k * 2 + j)), xv[k] + xv[3 + k], 1e-15);
    TT_NEAR(jnum(jat(jget(b, "grad"), 0)), 2, 0);
    TT_NEAR(jnum(jat(jget(b, "grad"), 1)), 2, 0);
    /* data round-trips bit for bit (%.17g) */
    for (int k = 0; k < 6; k++) TT_CHECK(jnum(jat(jget(x, "data"), k)) == xv[k]);
    jfree(&v);
    run_free(&r);
}

/* i64 and bool inputs: typed on the command line, printed as JSON
 * integers and booleans, never differentiated; an integer output has no
 * gradient at all. */
static void grad_json_integers(void)
{
    run_result r = RUN("grad", "index_select(x, i, axis=0) * 2", "x=3x2:1,2,3,4,5,6",
                       "i=i64:4:2,0,2,1", "--json");
    TT_CHECK(r.rc == 0);
    jv v;
    TT_CHECK(json_doc(r.out, &v));
    jv *out = jget(&v, "output"), *in = jget(&v, "inputs");
    double want[8] = {10, 12, 2, 4, 10, 12, 6, 8};
    for (int k = 0; k < 8; k++) TT_NEAR(jnum(jat(jget(out, "data"), k)), want[k], 0);
    jv *i = jget(in, "i"), *x = jget(in, "x");
    TT_STREQ(jget(i, "dtype")->str, "i64");
    TT_CHECK(jget(i, "grad")->k == J_NULL);
    TT_NEAR(jnum(jat(jget(i, "data"), 0)), 2, 0);
    double wg[6] = {2, 2, 2, 2, 4, 4}; /* row 2 taken twice, row 1 once */
    for (int k = 0; k < 6; k++) TT_NEAR(jnum(jat(jget(x, "grad"), k)), wg[k], 0);
    jfree(&v);
    run_free(&r);
    r = RUN("grad", "i", "i=i64:2:5,-7", "--json");
    TT_CHECK(strstr(r.out, "\"data\": [5, -7]") != NULL);
    run_free(&r);
    r = RUN("grad", "gt(x, m)", "x=3:1,-1,0.5", "m=bool:3:1,0,1", "--json");
    TT_CHECK(r.rc == 0 && json_doc(r.out, &v));
    TT_STREQ(jget(&v, "dtype")->str, "bool");
    out = jget(&v, "output");
    TT_CHECK(jat(jget(out, "data"), 0)->k == J_BOOL &&
             !jat(jget(out, "data"), 0)->b && jat(jget(out, "data"), 1)->b == false);
    TT_CHECK(jat(jget(out, "data"), 2)->b == false);
    TT_CHECK(jget(jget(jget(&v, "inputs"), "x"), "grad")->k == J_NULL);
    jfree(&v);
    run_free(&r);
    /* text output and the check command */
    r = RUN("grad", "argmax(x, axis=1)", "x=2x3:1,5,2,9,0,9");
    TT_STREQ(r.out, "argmax(x, axis=1) = i64 [2]: 1 0\n"
                    "d sum / d x [2,3]: none\n");
    run_free(&r);
    r = RUN("check", "gather(x, i, axis=1)", "x=3x4", "i=i64:3x1:3,0,2");
    TT_CHECK(r.rc == 0);
    run_free(&r);
    USAGE("tapegrad check: input 'i' is i64 and needs values (i=i64:SHAPE:V,"
          "V,...); hint: indices and labels must be in range, so they are "
          "not drawn at random\n",
          "check", "index_select(x, i)", "x=3", "i=i64:2");
    USAGE("tapegrad check: input 'i': value 1.5 is not an integer (i64, below "
          "2^53 in magnitude)\n",
          "check", "index_select(x, i)", "x=3", "i=i64:2:0,1.5");
    USAGE("tapegrad check: input 'm': value 2 is not 0 or 1 (bool)\n",
          "check", "where(m, x, 0)", "x=3", "m=bool:3:0,1,2");
}

/* x * y + tanh(x): dx = y + 1 - tanh(x)^2, dy = x (libm long double). */
static void grad_json_tanh(void)
{
    run_result r = RUN("grad", "x * y + tanh(x)", "x=3:0.5,-1.25,3",
                       "y=3:3,4,-0.1", "--json");
    TT_CHECK(r.rc == 0);
    jv v;
    TT_CHECK(json_doc(r.out, &v));
    double xv[3] = {0.5, -1.25, 3}, yv[3] = {3, 4, -0.1};
    jv *in = jget(&v, "inputs");
    for (int k = 0; k < 3; k++) {
        long double t = tanhl(xv[k]);
        TT_NEAR(jnum(jat(jget(jget(&v, "output"), "data"), k)),
                (double)(xv[k] * (long double)yv[k] + t), 4e-16);
        TT_NEAR(jnum(jat(jget(jget(in, "x"), "grad"), k)),
                (double)(yv[k] + 1 - t * t), 4e-16);
        TT_NEAR(jnum(jat(jget(jget(in, "y"), "grad"), k)), xv[k], 0);
    }
    jfree(&v);
    run_free(&r);
    /* f32: 9 significant digits round-trip the float values */
    r = RUN("grad", "x * x", "x=2:0.1,3", "--json", "--dtype", "f32");
    TT_CHECK(r.rc == 0);
    TT_CHECK(json_doc(r.out, &v));
    TT_STREQ(jget(&v, "dtype")->str, "f32");
    jv *d = jget(jget(jget(&v, "inputs"), "x"), "data");
    TT_CHECK((float)jnum(jat(d, 0)) == 0.1f);
    TT_NEAR(jnum(jat(jget(jget(jget(&v, "inputs"), "x"), "grad"), 0)),
            2 * (double)0.1f, 1e-7);
    jfree(&v);
    run_free(&r);
    /* a scalar output, a scalar input, random values from the seed */
    r = RUN("grad", "sum(x) * s", "x=2x2", "s=scalar:2", "--json", "--seed", "3");
    TT_CHECK(r.rc == 0);
    TT_CHECK(json_doc(r.out, &v));
    TT_CHECK(jget(jget(&v, "output"), "shape")->n == 0);
    jv *xd = jget(jget(jget(&v, "inputs"), "x"), "data");
    double sum = 0;
    for (int k = 0; k < 4; k++) {
        double e = jnum(jat(xd, k));
        TT_CHECK(e >= -1 && e < 1);
        sum += e;
    }
    TT_NEAR(jnum(jat(jget(jget(jget(&v, "inputs"), "s"), "grad"), 0)), sum, 1e-15);
    TT_NEAR(jnum(jat(jget(jget(jget(&v, "inputs"), "x"), "grad"), 3)), 2, 0);
    jfree(&v);
    run_free(&r);
    /* NaN, Infinity and -Infinity are told apart (strings: JSON has no
     * such numbers); finite values stay numbers */
    r = RUN("grad", "log(x) * y", "x=4:0,1,-1,0", "y=4:1,1,1,-1", "--json");
    TT_CHECK(r.rc == 0);
    TT_CHECK(json_doc(r.out, &v));
    jv *od = jget(jget(&v, "output"), "data");
    const char *want[4] = {"-Infinity", NULL, "NaN", "Infinity"};
    for (int k = 0; k < 4; k++) {
        jv *e = jat(od, k);
        TT_CHECK(e != NULL);
        if (!e) continue;
        if (want[k]) {
            TT_CHECK(e->k == J_STR);
            TT_STREQ(e->k == J_STR ? e->str : NULL, want[k]);
        } else {
            TT_CHECK(e->k == J_NUM && e->num == 0);
        }
    }
    /* d/dx log(x) * y = y / x: Infinity at x = 0, -Infinity for y = -1 */
    jv *xg = jget(jget(jget(&v, "inputs"), "x"), "grad");
    TT_STREQ(jat(xg, 0) && jat(xg, 0)->k == J_STR ? jat(xg, 0)->str : NULL,
             "Infinity");
    TT_STREQ(jat(xg, 3) && jat(xg, 3)->k == J_STR ? jat(xg, 3)->str : NULL,
             "-Infinity");
    TT_CHECK(jnum(jat(xg, 1)) == 1);
    jfree(&v);
    run_free(&r);
}

/* Every subcommand's JSON starts with the schema version and its name. */
static void json_schema_version(void)
{
    struct {
        const char *cmd;
        run_result r;
    } runs[] = {
        {"check", RUN("check", "tanh(x)", "x=3", "--json")},
        {"check", RUN("check", "tanh(x)", "x=3", "--forward", "--json")},
        {"grad", RUN("grad", "x * x", "x=2:1,2", "--json")},
        {"jvp", RUN("jvp", "x * x", "x=2:1,2", "--json")},
        {"jacobian", RUN("jacobian", "x * x", "x=2:1,2", "--json")},
        {"hessian", RUN("hessian", "sum(x * x * x)", "x=2:1,2", "--json")},
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        jv v;
        TT_CHECK(runs[i].r.rc == 0);
        TT_CHECK(json_doc(runs[i].r.out, &v));
        TT_CHECK(v.k == J_OBJ && v.n > 2);
        TT_STREQ(v.k == J_OBJ && v.n ? v.keys[0] : NULL, "schema_version");
        TT_CHECK(jnum(jget(&v, "schema_version")) == 1);
        jv *c = jget(&v, "command");
        TT_STREQ(c && c->k == J_STR ? c->str : NULL, runs[i].cmd);
        jfree(&v);
        run_free(&runs[i].r);
    }
}

/* ------------------------------------------------------------ all-ops */

#include "src/internal.h"

static void all_ops(void)
{
    run_result r = RUN("check", "--all-ops");
    TT_CHECK(r.rc == 0);
    for (int op = 0; op < TG_OP_COUNT; op++) {
        char want[80];
        snprintf(want, sizeof want, "\n%s ", tg_ops[op]->name);
        char *hay = r.out - 1; /* the first line has no newline before it */
        bool found = !strncmp(r.out, want + 1, strlen(want + 1)) || strstr(hay + 1, want);
        if (!found) fprintf(stderr, "op %s missing from --all-ops\n", tg_ops[op]->name);
        TT_CHECK(found);
    }
    /* the compositions (stack, lerp, ...) have rows of their own */
    static const char *const comps[] = {
        "stack", "split", "chunk", "unbind", "roll", "tril", "triu",
        "diagonal", "diag_embed", "repeat", "repeat_interleave", "lerp",
        "cosine_similarity", "normalize", "transpose", "matmul_t",
        "layer_norm_n", "interpolate", "dropout2d", "sum_all"};
    for (size_t k = 0; k < sizeof comps / sizeof comps[0]; k++) {
        char want[80];
        snprintf(want, sizeof want, "\n%s (composition) ", comps[k]);
        char *at = strstr(r.out, want);
        if (!at) fprintf(stderr, "%s missing from --all-ops\n", comps[k]);
        const char *st = at ? at + strlen(want) : "";
        while (*st == ' ') st++;
        TT_CHECK(at && !strncmp(st, "ok ", 3));
    }
    char tail[100];
    snprintf(tail, sizeof tail, "%d ops: ", TG_OP_COUNT);
    TT_CONTAINS(r.out, tail);
    TT_CONTAINS(r.out, " 0 failed; ");
    TT_CONTAINS(r.out, " compositions: ");
    TT_CONTAINS(r.out, " 0 failed (f64, seed 0)\n");
    run_free(&r);
    r = RUN("check", "--all-ops", "--json");
    TT_CHECK(r.rc == 0);
    jv v;
    TT_CHECK(json_doc(r.out, &v));
    TT_CHECK(jget(&v, "ops") && jget(&v, "ops")->n == TG_OP_COUNT);
    TT_CHECK(jget(&v, "pass")->b);
    TT_STREQ(jget(jat(jget(&v, "ops"), 0), "op")->str, tg_ops[0]->name);
    jv *cv = jget(&v, "compositions");
    TT_CHECK(cv && cv->n >= 20 && jnum(jget(&v, "compositions_failed")) == 0);
    for (int k = 0; cv && k < cv->n; k++) {
        TT_STREQ(jget(jat(cv, k), "status")->str, "ok");
        TT_CHECK(jnum(jget(jat(cv, k), "cases")) >= 1);
    }
    jfree(&v);
    run_free(&r);
    r = RUN("check", "--all-ops", "x");
    TT_CHECK(r.rc == 2);
    run_free(&r);
}

/* ------------------------------------------------- creation functions */

/* The output of `grad EXPR INPUTS --json` as numbers; NULL on failure. */
static int grad_out(const char *expr, const char *in, const char *dt,
                    double *out, int max, int64_t *shape, int *nd)
{
    char *a[] = {"grad", (char *)expr, (char *)in, "--json", "--dtype",
                 (char *)(dt ? dt : "f64")};
    run_result r = run_v(6, a);
    int n = -1;
    jv v;
    if (r.rc == 0 && json_doc(r.out, &v)) {
        jv *o = jget(&v, "output"), *d = jget(o, "data"), *sh = jget(o, "shape");
        *nd = sh->n;
        for (int i = 0; i < sh->n; i++) shape[i] = (int64_t)jnum(jat(sh, i));
        n = d->n;
        for (int i = 0; i < n && i < max; i++) out[i] = jnum(jat(d, i));
        jfree(&v);
    } else {
        fprintf(stderr, "%s: rc %d\n%s%s", expr, r.rc, r.out, r.err);
    }
    run_free(&r);
    return n;
}

/* arange, linspace, eye, zeros, ones, full in expressions: PyTorch's
 * positional order and keywords, the evaluation dtype by default, values
 * against hand-derived tables, gradients through the other operand. */
static void creation_functions(void)
{
    double o[64];
    int64_t sh[8];
    int nd;
    /* arange(end), arange(start, end, step), negative step, f32 */
    TT_CHECK(grad_out("arange(4) + 0 * x", "x=scalar", NULL, o, 64, sh, &nd) == 4);
    for (int i = 0; i < 4; i++) TT_CHECK(o[i] == i);
    TT_CHECK(grad_out("arange(1, 2, 0.25) * x", "x=scalar:2", NULL, o, 64, sh, &nd) == 4);
    for (int i = 0; i < 4; i++) TT_CHECK(o[i] == 2 * (1 + 0.25 * i));
    TT_CHECK(grad_out("arange(start=3, end=-1, step=-1.5) + x", "x=scalar:0",
                      NULL, o, 64, sh, &nd) == 3);
    TT_CHECK(o[0] == 3 && o[1] == 1.5 && o[2] == 0);
    TT_CHECK(grad_out("arange(0, 0.3, 0.1) + x", "x=1:0", "f32", o, 64, sh, &nd) == 3);
    /* f32 values print with 9 digits: round-trip through float */
    TT_CHECK((float)o[1] == 0.1f && (float)o[2] == (float)(2 * 0.1));
    /* linspace: both ends exact, the middle from the nearer end */
    TT_CHECK(grad_out("linspace(-1, 1, 5) + x", "x=scalar:0", NULL, o, 64, sh, &nd) == 5);
    TT_CHECK(o[0] == -1 && o[1] == -0.5 && o[2] == 0 && o[3] == 0.5 && o[4] == 1);
    TT_CHECK(grad_out("linspace(0, 1, steps=1) + x", "x=scalar:0", NULL, o, 64, sh, &nd) == 1 && o[0] == 0);
    /* eye(n), eye(n, m) */
    TT_CHECK(grad_out("eye(2, 3) * x", "x=2x3:1,2,3,4,5,6", NULL, o, 64, sh, &nd) == 6);
    TT_CHECK(nd == 2 && sh[0] == 2 && sh[1] == 3);
    static const double e23[6] = {1, 0, 0, 0, 5, 0};
    for (int i = 0; i < 6; i++) TT_CHECK(o[i] == e23[i]);
    TT_CHECK(grad_out("x @ eye(3)", "x=2x3:1,2,3,4,5,6", NULL, o, 64, sh, &nd) == 6);
    for (int i = 0; i < 6; i++) TT_CHECK(o[i] == i + 1);
    /* zeros(2, 3), zeros([2, 3]), zeros(size=...), shape=..., 0-d, empty */
    TT_CHECK(grad_out("zeros(2, 3) + x", "x=3:1,2,3", NULL, o, 64, sh, &nd) == 6);
    TT_CHECK(nd == 2 && o[4] == 2);
    TT_CHECK(grad_out("ones([2, 1]) * x", "x=3:1,2,3", NULL, o, 64, sh, &nd) == 6);
    TT_CHECK(sh[0] == 2 && sh[1] == 3 && o[5] == 3);
    TT_CHECK(grad_out("ones(size=[]) + x", "x=scalar:2", NULL, o, 64, sh, &nd) == 1);
    TT_CHECK(nd == 0 && o[0] == 3);
    TT_CHECK(grad_out("zeros(shape=[0, 3]) + x", "x=3", NULL, o, 64, sh, &nd) == 0);
    TT_CHECK(nd == 2 && sh[0] == 0 && sh[1] == 3);
    /* full(size, fill_value), dtype keyword */
    TT_CHECK(grad_out("full([2], 1.5) * x", "x=2:2,4", NULL, o, 64, sh, &nd) == 2);
    TT_CHECK(o[0] == 3 && o[1] == 6);
    run_result r = RUN("grad", "arange(3, dtype=i64)", "--json");
    TT_CHECK(r.rc == 0);
    TT_CONTAINS(r.out, "\"dtype\": \"i64\"");
    TT_CONTAINS(r.out, "[0, 1, 2]");
    run_free(&r);
    r = RUN("grad", "full(size=[2], fill_value=7, dtype=i64)", "--json");
    TT_CHECK(r.rc == 0);
    TT_CONTAINS(r.out, "[7, 7]");
    run_free(&r);
    /* the gradient flows to the other operand: d sum(x * arange(3)) / dx */
    r = RUN("grad", "x * arange(3)", "x=3:5,5,5", "--json");
    jv v;
    TT_CHECK(r.rc == 0 && json_doc(r.out, &v));
    jv *gx = jget(jget(jget(&v, "inputs"), "x"), "grad");
    for (int i = 0; i < 3; i++) TT_CHECK(jnum(jat(gx, i)) == i);
    jfree(&v);
    run_free(&r);
    r = RUN("check", "sum(x * linspace(0, 1, 4)) * eye(2)", "x=4");
    TT_CHECK(r.rc == 0);
    run_free(&r);

    /* errors name the function, the values and a hint */
    r = RUN("grad", "arange(0, 3, 0) + x", "x=scalar");
    TT_CHECK(r.rc != 0);
    TT_CONTAINS(r.err, "tg_arange: start 0, end 3, step 0; hint:");
    run_free(&r);
    r = RUN("grad", "arange(step=2) + x", "x=scalar");
    TT_CONTAINS(r.err, "tg_arange: no end; hint:");
    run_free(&r);
    r = RUN("grad", "zeros(2, -1) + x", "x=scalar");
    TT_CONTAINS(r.err, "tg_zeros: size [2,-1] has a negative extent; hint:");
    run_free(&r);
    r = RUN("grad", "ones() + x", "x=scalar");
    TT_CONTAINS(r.err, "tg_ones: no size; hint: ones(2, 3)");
    run_free(&r);
    r = RUN("grad", "zeros(2, size=[3]) + x", "x=scalar");
    TT_CONTAINS(r.err, "keyword size given twice");
    run_free(&r);
    r = RUN("grad", "zeros(size=[2], shape=[2]) + x", "x=scalar");
    TT_CONTAINS(r.err, "tg_zeros: both size and shape given");
    run_free(&r);
    r = RUN("grad", "eye(2, 3, 4)", "x=scalar");
    TT_CONTAINS(r.err, "eye takes at most 2 positional numbers");
    run_free(&r);
    r = RUN("grad", "eye(x)", "x=scalar");
    TT_CONTAINS(r.err, "eye: keyword n wants an integer, found name 'x'");
    run_free(&r);
    r = RUN("grad", "linspace(0, 1)", "x=scalar");
    TT_CONTAINS(r.err, "linspace needs the keyword steps");
    run_free(&r);
    r = RUN("grad", "linspace(0, 1, -2) + x", "x=scalar");
    TT_CONTAINS(r.err, "tg_linspace: steps -2; hint:");
    run_free(&r);
    r = RUN("grad", "eye(3, dtype=bool) + x", "x=scalar");
    TT_CONTAINS(r.err, "tg_eye: dtype");
    run_free(&r);
}

/* ---------------------------------------------------------------- dot */

static void dot_output(void)
{
    run_result r = RUN("dot", "tanh(x) * y + 1", "x=2:0.5,-0.5", "y=2:2,3");
    TT_CHECK(r.rc == 0);
    TT_CHECK(!strncmp(r.out, "digraph tapegrad {\n", 19));
    TT_CONTAINS(r.out, "label=\"tanh(x) * y + 1\";");
    TT_CONTAINS(r.out, "t0 [label=\"x (input)\\nf64 [2]\\nvalue [0.5, -0.5]\\n"
                       "grad [1.573, 2.359]\", shape=ellipse, style=filled");
    TT_CONTAINS(r.out, "[label=\"tanh\\nf64 [2]\\nvalue [0.4621, -0.4621]\\n"
                       "grad [2, 3]\", shape=box");
    TT_CONTAINS(r.out, "[label=\"const\\nf64 []\\nvalue 1\", shape=ellipse, "
                       "style=dashed");
    TT_CONTAINS(r.out, "t0 -> t1;\n");
    TT_CONTAINS(r.out, "peripheries=2");
    TT_CHECK(strlen(r.out) > 2 && !strcmp(r.out + strlen(r.out) - 2, "}\n"));
    run_free(&r);
    /* large tensors: shapes only */
    r = RUN("dot", "x @ x", "x=5x5", "--max-values", "4");
    TT_CHECK(r.rc == 0);
    TT_CONTAINS(r.out, "matmul\\nf64 [5,5]\"");
    TT_CONTAINS(r.out, "[label=\"1\"]");
    run_free(&r);
}

/* The library call with a parameter, a title needing escapes and no
 * loss: leaves show their ->grad after tg_backward. */
static void dot_library(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *w = tg_param(g, TG_F64, TG_SHAPE(2), "w\"1");
    tg_f64(w)[0] = 1;
    tg_f64(w)[1] = -2;
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(2), (double[]){3, 4});
    tg_tensor *loss = tg_sum_all(tg_mul(w, x));
    TT_CHECK(tg_backward(g, loss) == TG_OK);
    char *buf = NULL;
    size_t n;
    FILE *f = open_memstream(&buf, &n);
    tg_dot_opts o = tg_dot_defaults();
    o.title = "a \"title\"";
    o.left_to_right = true;
    TT_CHECK(tg_graph_write_dot(g, f, &o) == TG_OK);
    fclose(f);
    TT_CONTAINS(buf, "rankdir=LR;");
    TT_CONTAINS(buf, "label=\"a \\\"title\\\"\";");
    TT_CONTAINS(buf, "t0 [label=\"w\\\"1 (param)\\nf64 [2]\\nvalue [1, -2]\\n"
                     "grad [3, 4]\", shape=doubleoctagon");
    TT_CONTAINS(buf, "[label=\"input\\nf64 [2]\\nvalue [3, 4]\", shape=ellipse]");
    TT_CONTAINS(buf, "[label=\"sum\\nf64 []\\nvalue -5\"");
    free(buf);
    TT_CHECK(tg_graph_write_dot(NULL, stdout, NULL) == TG_ERR_ARG);
    TT_STREQ(tg_last_error(), "tg_graph_write_dot: graph is NULL");
    TT_CHECK(tg_graph_save_dot(g, "/nonexistent-dir/x.dot", NULL) == TG_ERR_IO);
    TT_CONTAINS(tg_last_error(), "tg_graph_save_dot: cannot create "
                                 "\"/nonexistent-dir/x.dot.tmp.");
    TT_CONTAINS(tg_last_error(), "No such file or directory");
    tg_graph_free(g);
}

/* Allocation failures while drawing: TG_ERR_OOM with a message, never a
 * crash; the sanitizer build checks that nothing leaks. */
static void dot_oom(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(3), (double[]){1, 2, 3});
    tg_set_requires_grad(x, true);
    tg_tensor *y = tg_tanh(tg_mul(x, x));
    tg_dot_opts o = tg_dot_defaults();
    o.loss = y;
    FILE *devnull = fopen("/dev/null", "w");
    int bad = 0;
    for (fail_at = 0; fail_at < 100; fail_at++) {
        n_allocs = 0;
        tg_set_allocator(failing_alloc, counting_free, NULL);
        tg_status st = tg_graph_write_dot(g, devnull, &o);
        tg_set_allocator(NULL, NULL, NULL);
        if (n_allocs <= fail_at) {
            TT_CHECK(st == TG_OK);
            break;
        }
        if (st != TG_ERR_OOM) bad++;
        else if (!strstr(tg_last_error(), "out of memory")) bad++;
        tg_graph_reset(g);
        x = tg_input(g, TG_F64, TG_SHAPE(3), (double[]){1, 2, 3});
        tg_set_requires_grad(x, true);
        o.loss = y = tg_tanh(tg_mul(x, x));
    }
    TT_CHECK(bad == 0);
    TT_CHECK(fail_at < 100);
    fclose(devnull);
    tg_graph_free(g);
}


/* ------------------------------------------ what a student runs into */

/* softmax's outputs sum to 1 whatever z is, so d sum(softmax(z)) = 0 and
 * a sum-only check passes whatever the VJP does. The default weights the
 * outputs at random: the analytic gradient it compares is far from 0.
 * --sum-only keeps the plain sum and warns that the check is vacuous. */
static void check_weights_outputs(void)
{
    run_result r = RUN("check", "softmax(z)", "z=2x3", "--json");
    TT_CHECK(r.rc == 0);
    jv v;
    TT_CHECK(json_doc(r.out, &v));
    TT_CHECK(jget(&v, "sum_only") && !jget(&v, "sum_only")->b);
    jv *row = jat(jget(&v, "inputs"), 0);
    TT_CHECK(row && fabs(jnum(jget(row, "analytic"))) > 1e-3);
    TT_CHECK(fabs(jnum(jget(row, "analytic")) - jnum(jget(row, "numeric"))) <
             1e-6);
    jfree(&v);
    TT_STREQ(r.err, "");
    run_free(&r);
    /* A gradient that is exactly 0 in every build: d sum(z - z + w) / dz
     * is 1 - 1 (sum(softmax(z)) gives 0 only up to rounding, which
     * depends on the compiler's contraction and summation order). */
    r = RUN("check", "z - z + w", "z=2x3", "w=2x3", "--sum-only");
    TT_CHECK(r.rc == 0);
    TT_CONTAINS(r.err, "warning: the gradient with respect to 'z' is exactly "
                       "0 at every");
    TT_CONTAINS(r.err, "drop --sum-only");
    TT_CHECK(strstr(r.err, "respect to 'w'") == NULL);
    run_free(&r);
    r = RUN("check", "batch_norm(x, g, b)", "x=4x3", "g=3", "b=3");
    TT_CHECK(r.rc == 0);
    TT_CHECK(strstr(r.err, "warning") == NULL);
    run_free(&r);
}

/* sqrt at 0: the derivative is infinite there; the check says so instead
 * of blaming backward for differing from itself (inf - inf). */
static void check_infinite_derivative(void)
{
    run_result r = RUN("check", "sqrt(x)", "x=scalar:0");
    TT_CHECK(r.rc == 1);
    TT_CONTAINS(r.out, "infinite at element 0 (where the input is 0)");
    TT_CONTAINS(r.out, "not differentiable there");
    TT_CHECK(strstr(r.out, "not reentrant") == NULL);
    TT_CONTAINS(r.out, "backward twice gives the same result: yes");
    run_free(&r);
}

/* w=0.5 is the scalar 0.5; w=3 stays the shape [3]. */
static void scalar_shorthand(void)
{
    run_result r = RUN("grad", "x * w", "x=2:1,2", "w=0.5", "--json");
    TT_CHECK(r.rc == 0);
    jv v;
    TT_CHECK(json_doc(r.out, &v));
    jv *w = jget(jget(&v, "inputs"), "w");
    TT_CHECK(w && jget(w, "shape")->n == 0);
    TT_NEAR(jnum(jat(jget(w, "data"), 0)), 0.5, 0);
    TT_NEAR(jnum(jat(jget(w, "grad"), 0)), 3, 0); /* 1 + 2 */
    TT_NEAR(jnum(jat(jget(jget(&v, "output"), "data"), 1)), 1, 0);
    jfree(&v);
    run_free(&r);
    r = RUN("grad", "x * w", "x=2:1,2", "w=-1e-1", "--json");
    TT_CHECK(r.rc == 0);
    TT_CONTAINS(r.out, "\"w\": {\"shape\": []");
    run_free(&r);
    r = RUN("grad", "sum(w)", "w=3", "--json");
    TT_CHECK(r.rc == 0);
    TT_CONTAINS(r.out, "\"w\": {\"shape\": [3]");
    run_free(&r);
}

/* x^2 is a parse error that names **. */
static void caret_power_hint(void)
{
    run_result r = RUN("check", "x^2", "x=3");
    TT_CHECK(r.rc == 2);
    TT_CONTAINS(r.err, "x ** 2");
    run_free(&r);
}

/* hardtanh (clamp to [-1, 1], gradient 0 at the bounds) and swish (silu). */
static void alias_names(void)
{
    run_result r = RUN("grad", "hardtanh(x)", "x=4:-2,-0.5,0.25,3", "--json");
    TT_CHECK(r.rc == 0);
    jv v;
    TT_CHECK(json_doc(r.out, &v));
    jv *x = jget(jget(&v, "inputs"), "x");
    static const double y[4] = {-1, -0.5, 0.25, 1}, d[4] = {0, 1, 1, 0};
    for (int i = 0; i < 4; i++) {
        TT_NEAR(jnum(jat(jget(jget(&v, "output"), "data"), i)), y[i], 0);
        TT_NEAR(jnum(jat(jget(x, "grad"), i)), d[i], 0);
    }
    jfree(&v);
    run_free(&r);
    r = RUN("grad", "hardtanh(x, min_val=0, max_val=2)", "x=2:-1,3",
            "--json");
    TT_CHECK(r.rc == 0);
    TT_CONTAINS(r.out, "\"output\": {\"shape\": [2], \"data\": [0, 2]}");
    run_free(&r);
    /* swish(x) = x sigmoid(x); its derivative s (1 + x (1 - s)) */
    r = RUN("grad", "swish(x)", "x=scalar:0.75", "--json");
    TT_CHECK(r.rc == 0);
    TT_CHECK(json_doc(r.out, &v));
    long double s = 1 / (1 + expl(-0.75L));
    TT_NEAR(jnum(jat(jget(jget(&v, "output"), "data"), 0)),
            (double)(0.75L * s), 1e-15);
    TT_NEAR(jnum(jat(jget(jget(jget(&v, "inputs"), "x"), "grad"), 0)),
            (double)(s * (1 + 0.75L * (1 - s))), 1e-15);
    jfree(&v);
    run_free(&r);
    r = RUN("check", "swish(x) + hardtanh(x * 2)", "x=5");
    TT_CHECK(r.rc == 0);
    run_free(&r);
}

/* dot: labels are leaves without a gradient, no "-0", and -o FILE.svg
 * gets a picture (Graphviz) or a refusal, never DOT text. */
static void dot_student(void)
{
    run_result r = RUN("dot", "cross_entropy(z, t)", "z=2x3", "t=2:0,2");
    TT_CHECK(r.rc == 0);
    const char *t = strstr(r.out, "[label=\"t (input)");
    TT_CHECK(t != NULL);
    if (t) {
        const char *eol = strchr(t, '\n');
        TT_CHECK(eol && !memmem(t, (size_t)(eol - t), "grad", 4));
        TT_CHECK(eol && !memmem(t, (size_t)(eol - t), "filled", 6));
    }
    TT_CONTAINS(r.out, "[label=\"z (input)\\nf64 [2,3]\\nvalue");
    run_free(&r);
    r = RUN("dot", "x * 0", "x=2:-1,1");
    TT_CHECK(r.rc == 0);
    TT_CONTAINS(r.out, "value [0, 0]");
    TT_CHECK(strstr(r.out, "-0") == NULL);
    run_free(&r);

    char svg[] = "cli-dot-test.svg";
    remove(svg);
    bool have_dot = system("dot -V >/dev/null 2>&1") == 0;
    r = RUN("dot", "tanh(x)", "x=2", "-o", svg);
    FILE *f = fopen(svg, "r");
    if (have_dot) {
        TT_CHECK(r.rc == 0);
        char head[512] = {0};
        TT_CHECK(f && fread(head, 1, sizeof head - 1, f) > 0);
        TT_CONTAINS(head, "<svg");
    } else {
        TT_CHECK(r.rc == 2);
        TT_CONTAINS(r.err, "Graphviz");
        TT_CHECK(f == NULL);
    }
    if (f) fclose(f);
    run_free(&r);
    remove(svg);
    setenv("TAPEGRAD_DOT", "none", 1);
    r = RUN("dot", "tanh(x)", "x=2", "-o", svg);
    unsetenv("TAPEGRAD_DOT");
    TT_CHECK(r.rc == 2);
    TT_CONTAINS(r.err, "cannot draw cli-dot-test.svg");
    TT_CONTAINS(r.err, "-o FILE.dot");
    f = fopen(svg, "r");
    TT_CHECK(f == NULL);
    if (f) fclose(f);
    run_free(&r);
    setenv("TAPEGRAD_DOT", "/nonexistent/dot", 1);
    r = RUN("dot", "tanh(x)", "x=2", "-o", svg);
    unsetenv("TAPEGRAD_DOT");
    TT_CHECK(r.rc == 2);
    TT_CONTAINS(r.err, "not installed (Debian package graphviz)");
    run_free(&r);
    remove(svg);
}

/* A name given to a result labels its node: "net_h (add)". */
static void dot_node_names(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(2), (double[]){1, -2});
    tg_set_requires_grad(x, true);
    tg_tensor *h = tg_add(x, x);
    h->name = "net_h";
    tg_tensor *y = tg_sum_all(tg_tanh(h));
    char *buf = NULL;
    size_t n;
    FILE *f = open_memstream(&buf, &n);
    tg_dot_opts o = tg_dot_defaults();
    o.loss = y;
    TT_CHECK(tg_graph_write_dot(g, f, &o) == TG_OK);
    fclose(f);
    TT_CONTAINS(buf, "[label=\"net_h (add)\\nf64 [2]\\nvalue [2, -4]");
    TT_CONTAINS(buf, "[label=\"tanh\\nf64 [2]");
    free(buf);
    tg_graph_free(g);
}

/* jacobian, hessian and jvp against hand-derived values (the same data
 * in torch.autograd.functional gives these numbers too; docs/gradcheck.md). */
static void derivative_commands(void)
{
    /* y = x @ W, x [2], W [2,3]: dy_j/dx_k = W[k][j], dy_j/dW[k][l] =
     * [j == l] x_k; both modes agree. */
    const char *modes[2] = {"reverse", "forward"};
    for (int m = 0; m < 2; m++) {
        run_result r = RUN("jacobian", "x @ W", "x=2:1,2",
                           "W=2x3:1,2,3,4,5,6.5", "--mode", (char *)modes[m],
                           "--json");
        TT_CHECK(r.rc == 0);
        jv v;
        TT_CHECK(json_doc(r.out, &v));
        TT_STREQ(jget(&v, "mode")->str, modes[m]);
        TT_NEAR(jnum(jget(&v, "passes")), m == 0 ? 3 : 1 + 2 + 6, 0);
        jv *jac = jget(&v, "jacobian");
        jv *jx = jget(jac, "x"), *jw = jget(jac, "W");
        double W[6] = {1, 2, 3, 4, 5, 6.5}, x[2] = {1, 2};
        TT_CHECK(jget(jx, "shape")->n == 2 && jget(jw, "shape")->n == 3);
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 2; k++) {
                TT_NEAR(jnum(jat(jget(jx, "data"), j * 2 + k)), W[k * 3 + j], 0);
                for (int l = 0; l < 3; l++)
                    TT_NEAR(jnum(jat(jget(jw, "data"), (j * 2 + k) * 3 + l)),
                            j == l ? x[k] : 0, 0);
            }
        jfree(&v);
        run_free(&r);
    }
    /* f = sum(x^3 y): d2f/dx2 = diag(6 x y), d2f/dxdy = diag(3 x^2),
     * d2f/dy2 = 0. */
    run_result r = RUN("hessian", "sum(x**3 * y)", "x=2:1,2", "y=2:3,4",
                       "--json");
    TT_CHECK(r.rc == 0);
    jv v;
    TT_CHECK(json_doc(r.out, &v));
    jv *h = jget(&v, "hessian");
    jv *hxx = jget(jget(h, "x"), "x"), *hxy = jget(jget(h, "x"), "y"),
       *hyx = jget(jget(h, "y"), "x"), *hyy = jget(jget(h, "y"), "y");
    double want_xx[4] = {18, 0, 0, 48}, want_xy[4] = {3, 0, 0, 12};
    for (int k = 0; k < 4; k++) {
        TT_NEAR(jnum(jat(jget(hxx, "data"), k)), want_xx[k], 1e-15);
        TT_NEAR(jnum(jat(jget(hxy, "data"), k)), want_xy[k], 1e-15);
        TT_NEAR(jnum(jat(jget(hyx, "data"), k)), want_xy[k], 1e-15);
        TT_NEAR(jnum(jat(jget(hyy, "data"), k)), 0, 0);
    }
    jfree(&v);
    run_free(&r);
    /* d(x y) = y dx + x dy along dx = (1, 0), dy = (0.5, 0.5) */
    r = RUN("jvp", "x*y", "x=2:1,2", "y=2:3,4", "--tangent", "x=1,0",
            "--tangent", "y=0.5");
    TT_CHECK(r.rc == 0);
    TT_CONTAINS(r.out, "jvp [2]: 3.5 1\n");
    run_free(&r);
    /* errors: a Hessian of a non-scalar, a tangent of the wrong size or
     * for no input, a bad mode */
    r = RUN("hessian", "x**3", "x=2");
    TT_CHECK(r.rc == 2);
    TT_CONTAINS(r.err, "tg_hessian: f has shape [2], not one element");
    run_free(&r);
    r = RUN("jvp", "x*2", "x=3", "--tangent", "x=1,2");
    TT_CHECK(r.rc == 2);
    TT_CONTAINS(r.err, "--tangent x has 2 values but x has 3 elements");
    run_free(&r);
    r = RUN("jvp", "x*2", "x=3", "--tangent", "z=1");
    TT_CHECK(r.rc == 2);
    TT_CONTAINS(r.err, "--tangent 'z=1' names no input");
    run_free(&r);
    r = RUN("jacobian", "x*2", "x=3", "--mode", "sideways");
    TT_CHECK(r.rc == 2);
    TT_CONTAINS(r.err, "--mode is auto, reverse or forward");
    run_free(&r);
}

/* A deliberately wrong user op, registered so expressions can call it:
 * y = scale x², whose VJP forgets the factor 2. */
static tg_status badsq_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    const tg_tensor *x = tg_node_input(n, 0);
    tg_tensor *y = tg_node_output(n);
    double s = tg_node_real(n, "scale");
    for (int64_t i = 0; i < y->numel; i++) {
        double v = tg_get(x, i);
        if (tg_f64(y)) tg_f64(y)[i] = s * v * v;
        else tg_f32(y)[i] = (float)(s * v * v);
    }
    return TG_OK;
}

static void badsq_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                      const bool *need, tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_mul(gy, tg_mul_scalar(tg_node_input(n, 0),
                                     tg_node_real(n, "scale")));
}

static TG_OP_DEFINE(badsq, .n_inputs = 1, .forward = badsq_fwd,
                    .vjp = badsq_vjp,
                    .attrs = {{.name = "scale", .kind = TG_ATTR_REAL,
                               .def = 1}});

static void check_locate_forward(void)
{
    TT_CHECK(tg_op_register(&badsq) == TG_OK);
    /* the table names the op, its input shape and attributes */
    run_result r = RUN("check", "tanh(badsq(a @ b, scale=2))", "a=3x4",
                       "b=4x2");
    TT_CHECK(r.rc == 1);
    TT_CONTAINS(r.out, "faulty op: node #1 badsq([3,2]; scale=2): its VJP of "
                       "input 1 is ");
    run_free(&r);
    r = RUN("check", "tanh(badsq(a @ b, scale=2))", "a=3x4", "b=4x2",
            "--json");
    TT_CHECK(r.rc == 1);
    jv v;
    TT_CHECK(json_doc(r.out, &v));
    jv *cu = jget(&v, "culprit");
    TT_STREQ(jget(cu, "kind") ? jget(cu, "kind")->str : NULL, "vjp");
    TT_STREQ(jget(cu, "op") ? jget(cu, "op")->str : NULL, "badsq");
    TT_NEAR(jnum(jget(cu, "node")), 1, 0);
    TT_NEAR(jnum(jget(cu, "input")), 0, 0);
    TT_STREQ(jget(cu, "attrs") ? jget(cu, "attrs")->str : NULL, "scale=2");
    jv *sh = jat(jget(cu, "input_shapes"), 0);
    TT_CHECK(sh && sh->n == 2);
    TT_NEAR(jnum(jat(sh, 0)), 3, 0);
    TT_NEAR(jnum(jat(sh, 1)), 2, 0);
    TT_CHECK(jget(cu, "worst") && jget(cu, "worst")->n == 2);
    double an = jnum(jget(cu, "analytic")), nu = jnum(jget(cu, "numeric"));
    TT_CHECK(fabs(an) > 0.01);
    TT_NEAR(nu, 2 * an, 1e-6);
    TT_CHECK(jget(&v, "forward") && jget(&v, "forward")->k == J_NULL);
    jfree(&v);
    run_free(&r);

    /* a passing check does not search */
    r = RUN("check", "tanh(x) * y", "x=2x2", "y=2", "--json", "--forward");
    TT_CHECK(r.rc == 0);
    TT_CHECK(json_doc(r.out, &v));
    TT_CHECK(jget(&v, "culprit") && jget(&v, "culprit")->k == J_NULL);
    jv *fw = jget(&v, "forward");
    TT_CHECK(fw && jget(fw, "pass") && jget(fw, "pass")->b);
    jv *rows = jget(fw, "inputs");
    TT_CHECK(rows && rows->n == 2);
    for (int i = 0; i < 2; i++) {
        jv *row = jat(rows, i);
        TT_CHECK(jget(row, "pass") && jget(row, "pass")->b);
        TT_CHECK(jnum(jget(row, "max_abs_err")) < 1e-8);
        /* rows index the output, [2,2] */
        TT_CHECK(jget(row, "shape") && jget(row, "shape")->n == 2);
    }
    jfree(&v);
    run_free(&r);

    /* --forward on the wrong op: the JVP is half the difference */
    r = RUN("check", "badsq(x)", "x=4:0.5,-1,2,0.25", "--forward");
    TT_CHECK(r.rc == 1);
    TT_CONTAINS(r.out, "forward mode (JVP along a random tangent of each "
                       "input, compared over the output):\n");
    TT_CONTAINS(r.out, "faulty op: node #0 badsq([4]; scale=1)");
    run_free(&r);

    /* the f32 audit: one row per node and input, worst first */
    r = RUN("check", "exp(x * 3)", "x=4:0.1,-0.7,0.33,1.9", "--dtype", "f32",
            "--audit", "--json");
    TT_CHECK(r.rc == 0);
    TT_CHECK(json_doc(r.out, &v));
    jv *au = jget(&v, "audit");
    /* mul (3 is a constant), exp, and the input x */
    TT_CHECK(au && jget(au, "rows") && jget(au, "rows")->n == 3);
    TT_NEAR(jnum(jget(au, "rows_total")), 3, 0);
    for (int i = 0; au && i + 1 < jget(au, "rows")->n; i++) {
        jv *a0 = jat(jget(au, "rows"), i), *a1 = jat(jget(au, "rows"), i + 1);
        TT_CHECK(fmax(jnum(jget(a0, "value_err")), jnum(jget(a0, "grad_err"))) >=
                 fmax(jnum(jget(a1, "value_err")), jnum(jget(a1, "grad_err"))));
        TT_CHECK(jnum(jget(a0, "value_err")) < 1e-6);
    }
    TT_CHECK(jnum(jget(au, "output_err")) > 0 &&
             jnum(jget(au, "output_err")) < 1e-6);
    jfree(&v);
    run_free(&r);
    r = RUN("check", "exp(x)", "x=4", "--audit");
    TT_CHECK(r.rc == 2);
    TT_STREQ(r.err, "tapegrad check: --audit compares an f32 run with an f64 "
                    "one; add --dtype f32\n");
    run_free(&r);

    /* a NaN: the first node that makes one, and the input value there */
    r = RUN("check", "tanh(log(x) * y)", "x=3:0.5,0,2", "y=3");
    TT_CHECK(r.rc == 1);
    TT_CONTAINS(r.out, "first non-finite value: node #0 log([3]): the output "
                       "holds -Inf at (1) from finite inputs (input 1 = 0)\n");
    run_free(&r);
}

TT_RUN(TT(json_reader_self_test), TT(precedence), TT(variables),
       TT(parse_errors), TT(parse_limits), TT(parse_oom), TT(check_passes),
       TT(check_kink), TT(check_options), TT(check_json), TT(usage_errors),
       TT(grad_json_values), TT(grad_json_integers), TT(grad_json_tanh),
       TT(all_ops), TT(creation_functions), TT(dot_output),
       TT(dot_library), TT(dot_oom), TT(check_weights_outputs),
       TT(check_infinite_derivative), TT(scalar_shorthand),
       TT(caret_power_hint), TT(alias_names), TT(dot_student),
       TT(dot_node_names), TT(derivative_commands),
       TT(check_locate_forward), TT(json_schema_version))
