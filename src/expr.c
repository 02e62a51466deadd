/* The expression language: a recursive-descent parser into a flat node
 * pool and an evaluator that records the expression on a graph. The
 * grammar is in expr.h. Every allocation goes through the hook; every
 * input, however malformed, ends in an error with a position (the parser
 * is fuzzed). */
#include "expr.h"
#include "internal.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>

#define MAX_DEPTH 200    /* nesting of parentheses and calls       */
#define MAX_TREE 1000    /* depth of the tree (a+a+...+a chains)   */
#define MAX_NAME 64
#define MAX_SRC (1 << 20)

enum { /* node kinds */
    N_NUM,
    N_VAR,
    N_NEG,
    N_BIN,
    N_CALL,
};

typedef struct xnode {
    int kind;
    int op;          /* N_BIN: '+', '-', '*', '/', '@', 'P' (**); N_CALL: function */
    int pos, len;    /* source span of the node (for error carets)     */
    int opos;        /* the operator or function name (error columns)  */
    int depth;       /* height of the subtree                          */
    double num;      /* N_NUM                                          */
    int var;         /* N_VAR: index into vars                         */
    int lhs, rhs;    /* N_NEG: lhs; N_BIN: both                        */
    int args, nargs; /* N_CALL: tensor argument node ids in argv[args..] */
    int kw;          /* N_CALL: kw values at kws[kw .. kw+TG_EXPR_MAX_KW) */
} xnode;

struct tg_expr {
    char *src;
    xnode *nodes;
    int64_t n_nodes, cap_nodes;
    int *argv;
    int64_t n_argv, cap_argv;
    tg__kw_val *kws;
    int64_t n_kws, cap_kws;
    char **vars;
    int64_t n_vars, cap_vars;
    int root;
};

/* ---------------------------------------------------------------- lexer */

enum { T_END, T_NUM, T_NAME, T_OP, T_POW, T_BAD };

typedef struct parser {
    tg_expr *e;
    const char *s;
    int pos;            /* scan position                         */
    int tk, tpos, tlen; /* current token                         */
    double tnum;
    int depth;
    tg__expr_err *err;
    bool failed;
} parser;

static tg_status fail_at(parser *p, int pos, int len, tg_status st,
                         const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static tg_status fail_at(parser *p, int pos, int len, tg_status st,
                         const char *hint, const char *fmt, ...)
{
    if (p->failed) return p->err->st;
    p->failed = true;
    p->err->st = st;
    p->err->pos = pos;
    p->err->len = len > 0 ? len : 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err->msg, sizeof p->err->msg, fmt, ap);
    va_end(ap);
    snprintf(p->err->hint, sizeof p->err->hint, "%s", hint ? hint : "");
    return st;
}

static bool name_start(int c) { return isalpha(c) || c == '_'; }
static bool name_char(int c) { return isalnum(c) || c == '_'; }

static void next(parser *p)
{
    const char *s = p->s;
    while (s[p->pos] == ' ' || s[p->pos] == '\t' || s[p->pos] == '\n' ||
           s[p->pos] == '\r')
        p->pos++;
    int i = p->pos;
    p->tpos = i;
    unsigned char c = (unsigned char)s[i];
    if (!c) {
        p->tk = T_END;
        p->tlen = 1;
        return;
    }
    if (isdigit(c) || (c == '.' && isdigit((unsigned char)s[i + 1]))) {
        int j = i;
        while (isdigit((unsigned char)s[j])) j++;
        if (s[j] == '.') {
            j++;
            while (isdigit((unsigned char)s[j])) j++;
        }
        if (s[j] == 'e' || s[j] == 'E') {
            int k = j + 1;
            if (s[k] == '+' || s[k] == '-') k++;
            if (isdigit((unsigned char)s[k])) {
                while (isdigit((unsigned char)s[k])) k++;
                j = k;
            }
        }
        p->tk = T_NUM;
        p->tlen = j - i;
        char buf[80];
        if (p->tlen >= (int)sizeof buf) {
            fail_at(p, i, p->tlen, TG_ERR_FORMAT, NULL, "number is too long");
            p->tk = T_BAD;
            return;
        }
        memcpy(buf, s + i, (size_t)p->tlen);
        buf[p->tlen] = 0;
        p->tnum = strtod(buf, NULL);
        p->pos = j;
        return;
    }
    if (name_start(c)) {
        int j = i;
        while (name_char((unsigned char)s[j])) j++;
        p->tk = T_NAME;
        p->tlen = j - i;
        p->pos = j;
        if (p->tlen >= MAX_NAME) {
            fail_at(p, i, p->tlen, TG_ERR_FORMAT, NULL,
                    "name is too long (at most %d characters)", MAX_NAME - 1);
            p->tk = T_BAD;
        }
        return;
    }
    if (c == '*' && s[i + 1] == '*') {
        p->tk = T_POW;
        p->tlen = 2;
        p->pos = i + 2;
        return;
    }
    if (strchr("+-*/@()[],=", c)) {
        p->tk = T_OP;
        p->tlen = 1;
        p->pos = i + 1;
        return;
    }
    p->tk = T_BAD;
    p->tlen = 1;
    p->pos = i + 1;
}

static bool is_op(const parser *p, char c)
{
    return p->tk == T_OP && p->s[p->tpos] == c;
}

static const char *token_desc(const parser *p, char *buf, size_t size)
{
    switch (p->tk) {
    case T_END: return "the end of the expression";
    case T_NUM: snprintf(buf, size, "number '%.*s'", p->tlen > 40 ? 40 : p->tlen,
                         p->s + p->tpos);
        return buf;
    case T_NAME: snprintf(buf, size, "name '%.*s'", p->tlen > 40 ? 40 : p->tlen,
                          p->s + p->tpos);
        return buf;
    case T_POW: return "'**'";
    default: {
        unsigned char c = (unsigned char)p->s[p->tpos];
        if (isprint(c)) snprintf(buf, size, "'%c'", c);
        else snprintf(buf, size, "byte 0x%02x", c);
        return buf;
    }
    }
}

/* ---------------------------------------------------------------- nodes */

static int new_node(parser *p, int kind, int pos, int len)
{
    tg_expr *e = p->e;
    if (e->n_nodes >= INT32_MAX / 2 ||
        !tg__reserve((void **)&e->nodes, &e->cap_nodes, e->n_nodes + 1,
                     sizeof(xnode))) {
        fail_at(p, pos, len, TG_ERR_OOM, NULL,
                "out of memory building the expression");
        return -1;
    }
    xnode *n = &e->nodes[e->n_nodes];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->pos = pos;
    n->len = len;
    n->opos = pos;
    n->depth = 1;
    n->lhs = n->rhs = -1;
    return (int)e->n_nodes++;
}

static xnode *node(const parser *p, int i) { return &p->e->nodes[i]; }

/* Span covering nodes a and b. */
static void join_span(parser *p, int id, int a, int b)
{
    int s = node(p, a)->pos, t = node(p, b)->pos + node(p, b)->len;
    if (node(p, id)->pos < s) s = node(p, id)->pos;
    node(p, id)->pos = s;
    node(p, id)->len = t - s;
}

static bool set_depth(parser *p, int id, int a, int b)
{
    int d = node(p, a)->depth;
    if (b >= 0 && node(p, b)->depth > d) d = node(p, b)->depth;
    node(p, id)->depth = d + 1;
    if (d + 1 > MAX_TREE) {
        fail_at(p, node(p, id)->pos, node(p, id)->len, TG_ERR_FORMAT,
                "split it into smaller expressions",
                "expression is too deep (more than %d levels)", MAX_TREE);
        return false;
    }
    return true;
}

static int intern_var(parser *p, const char *name, int len)
{
    tg_expr *e = p->e;
    for (int64_t i = 0; i < e->n_vars; i++)
        if ((int)strlen(e->vars[i]) == len && !memcmp(e->vars[i], name, (size_t)len))
            return (int)i;
    char *c = tg__malloc((size_t)len + 1);
    if (!c || !tg__reserve((void **)&e->vars, &e->cap_vars, e->n_vars + 1,
                           sizeof(char *))) {
        tg__free(c);
        fail_at(p, p->tpos, len, TG_ERR_OOM, NULL,
                "out of memory building the expression");
        return -1;
    }
    memcpy(c, name, (size_t)len);
    c[len] = 0;
    e->vars[e->n_vars] = c;
    return (int)e->n_vars++;
}

/* --------------------------------------------------------------- parser */

static int parse_sum(parser *p);
static int parse_unary(parser *p);

/* A keyword scalar: [-]NUMBER or [-]inf (norm's p=inf). */
static bool kw_number(parser *p, double *v, int *pos, int *len)
{
    int s = p->tpos;
    double sign = 1;
    if (is_op(p, '-')) {
        sign = -1;
        next(p);
    } else if (is_op(p, '+')) {
        next(p);
    }
    bool inf = p->tk == T_NAME && p->tlen == 3 && !memcmp(p->s + p->tpos, "inf", 3);
    if (p->tk != T_NUM && !inf) return false;
    *v = sign * (inf ? INFINITY : p->tnum);
    *pos = s;
    *len = p->tpos + p->tlen - s;
    next(p);
    return true;
}

static bool kw_int(parser *p, const char *fname, const char *kname,
                   int64_t *out)
{
    double v;
    int pos, len;
    int s = p->tpos, sl = p->tlen;
    if (!kw_number(p, &v, &pos, &len)) {
        char tb[80];
        fail_at(p, s, sl, TG_ERR_FORMAT, NULL,
                "%s: keyword %s wants an integer, found %s", fname, kname,
                token_desc(p, tb, sizeof tb));
        return false;
    }
    if (v != floor(v) || fabs(v) > 1e15) {
        fail_at(p, pos, len, TG_ERR_FORMAT, NULL,
                "%s: keyword %s wants an integer, got %g", fname, kname, v);
        return false;
    }
    *out = (int64_t)v;
    return true;
}

/* Integer keywords that PyTorch spells as strings: reduction=mean (the
 * tg_reduction values) and pad's mode=reflect (tg_padding_mode). */
static bool kw_named_int(const parser *p, const char *kname, int64_t *v)
{
    static const struct {
        const char *kw, *name;
        int64_t v;
    } names[] = {{"reduction", "none", 0},     {"reduction", "mean", 1},
                 {"reduction", "sum", 2},      {"reduction", "batchmean", 3},
                 {"mode", "constant", 0},      {"mode", "reflect", 1},
                 {"mode", "replicate", 2},     {"mode", "circular", 3}};
    const char *t = p->s + p->tpos;
    size_t n = (size_t)p->tlen;
    for (size_t j = 0; j < sizeof names / sizeof names[0]; j++)
        if (!strcmp(kname, names[j].kw) && strlen(names[j].name) == n &&
            !memcmp(t, names[j].name, n)) {
            *v = names[j].v;
            return true;
        }
    return false;
}

static bool parse_kw_value(parser *p, const tg__expr_func *f,
                           const tg__kw_spec *k, tg__kw_val *out)
{
    int s = p->tpos, sl = p->tlen;
    char tb[80];
    out->given = true;
    switch (k->kind) {
    case TG_ATTR_REAL: {
        int pos, len;
        if (!kw_number(p, &out->num, &pos, &len)) {
            fail_at(p, s, sl, TG_ERR_FORMAT, NULL,
                    "%s: keyword %s wants a number, found %s", f->name,
                    k->name, token_desc(p, tb, sizeof tb));
            return false;
        }
        return true;
    }
    case TG_ATTR_BOOL:
        if (p->tk == T_NAME && ((p->tlen == 4 && !memcmp(p->s + p->tpos, "true", 4)) ||
                                (p->tlen == 4 && !memcmp(p->s + p->tpos, "True", 4)))) {
            out->num = 1;
            next(p);
            return true;
        }
        if (p->tk == T_NAME && ((p->tlen == 5 && !memcmp(p->s + p->tpos, "false", 5)) ||
                                (p->tlen == 5 && !memcmp(p->s + p->tpos, "False", 5)))) {
            out->num = 0;
            next(p);
            return true;
        }
        __attribute__((fallthrough)); /* 0 or 1 */
    case TG_ATTR_INT:
    case TG_ATTR_I64: {
        int64_t v;
        if (p->tk == T_NAME && kw_named_int(p, k->name, &v)) {
            out->num = (double)v;
            next(p);
            return true;
        }
        if (!kw_int(p, f->name, k->name, &v)) return false;
        /* INT keywords land in a C int parameter (an axis); a value outside
         * its range must not wrap into a valid axis. */
        if (k->kind == TG_ATTR_INT && (v < INT_MIN || v > INT_MAX)) {
            fail_at(p, s, p->tpos - s, TG_ERR_FORMAT, NULL,
                    "%s: keyword %s = %lld is out of range (at most %d in "
                    "magnitude)",
                    f->name, k->name, (long long)v, INT_MAX);
            return false;
        }
        if (k->kind == TG_ATTR_BOOL && v != 0 && v != 1) {
            fail_at(p, s, p->tpos - s, TG_ERR_FORMAT, NULL,
                    "%s: keyword %s is 0 or 1, got %lld", f->name, k->name,
                    (long long)v);
            return false;
        }
        out->num = (double)v;
        return true;
    }
    case TG_ATTR_DTYPE:
        if (p->tk == T_NAME) {
            static const struct {
                const char *name;
                tg_dtype dt;
            } names[] = {{"f32", TG_F32},     {"float32", TG_F32},
                         {"f64", TG_F64},     {"float64", TG_F64},
                         {"i64", TG_I64},     {"int64", TG_I64},
                         {"long", TG_I64},    {"bool", TG_BOOL}};
            const char *t = p->s + p->tpos;
            size_t n = (size_t)p->tlen;
            for (size_t j = 0; j < sizeof names / sizeof names[0]; j++)
                if (strlen(names[j].name) == n && !memcmp(t, names[j].name, n)) {
                    out->num = names[j].dt;
                    next(p);
                    return true;
                }
        }
        fail_at(p, s, sl, TG_ERR_FORMAT,
                "write dtype=f32, f64, i64 or bool",
                "%s: keyword %s wants f32, f64, i64 or bool, found %s",
                f->name, k->name, token_desc(p, tb, sizeof tb));
        return false;
    case TG_ATTR_AXES:
    case TG_ATTR_SHAPE: {
        char close = 0;
        if (is_op(p, '[')) close = ']';
        else if (is_op(p, '(')) close = ')';
        if (!close) { /* a single int */
            if (!kw_int(p, f->name, k->name, &out->list[0])) return false;
            out->n = 1;
            return true;
        }
        next(p);
        out->n = 0;
        while (!is_op(p, close)) {
            if (out->n == TG_MAX_DIMS) {
                fail_at(p, p->tpos, p->tlen, TG_ERR_FORMAT, NULL,
                        "%s: keyword %s has more than %d entries", f->name,
                        k->name, TG_MAX_DIMS);
                return false;
            }
            if (!kw_int(p, f->name, k->name, &out->list[out->n])) return false;
            out->n++;
            if (is_op(p, ',')) next(p);
            else if (!is_op(p, close)) {
                fail_at(p, p->tpos, p->tlen, TG_ERR_FORMAT, NULL,
                        "expected ',' or '%c' in the list of %s, found %s",
                        close, k->name, token_desc(p, tb, sizeof tb));
                return false;
            }
        }
        next(p);
        return true;
    }
    }
    return false;
}

/* Is the current NAME token followed by a single '=' (a keyword)? */
static bool at_keyword(const parser *p)
{
    if (p->tk != T_NAME) return false;
    int i = p->tpos + p->tlen;
    while (p->s[i] == ' ' || p->s[i] == '\t') i++;
    return p->s[i] == '=';
}

static void kw_list(const tg__expr_func *f, char *buf, size_t size)
{
    size_t k = 0;
    buf[0] = 0;
    for (int i = 0; i < TG_EXPR_MAX_KW && f->kw[i].name && k < size; i++)
        k += (size_t)snprintf(buf + k, size - k, "%s%s", i ? ", " : "",
                              f->kw[i].name);
}

static int parse_call(parser *p, int fi, int npos, int nlen)
{
    const tg__expr_func *f = tg__expr_func_at(fi);
    tg_expr *e = p->e;
    int id = new_node(p, N_CALL, npos, nlen);
    if (id < 0) return -1;
    node(p, id)->op = fi;
    int64_t kwbase = e->n_kws;
    if (!tg__reserve((void **)&e->kws, &e->cap_kws, kwbase + TG_EXPR_MAX_KW,
                     sizeof(tg__kw_val))) {
        fail_at(p, npos, nlen, TG_ERR_OOM, NULL, "out of memory");
        return -1;
    }
    memset(&e->kws[kwbase], 0, sizeof(tg__kw_val) * TG_EXPR_MAX_KW);
    e->n_kws += TG_EXPR_MAX_KW;
    node(p, id)->kw = (int)kwbase;

    int args[TG_EXPR_MAX_ARGS];
    int nargs = 0, npos_args = 0;
    next(p); /* '(' */
    if (++p->depth > MAX_DEPTH) {
        fail_at(p, npos, nlen, TG_ERR_FORMAT, NULL,
                "expression is nested too deeply (more than %d levels)",
                MAX_DEPTH);
        return -1;
    }
    while (!is_op(p, ')')) {
        if (at_keyword(p)) {
            const char *kn = p->s + p->tpos;
            int kl = p->tlen, kp = p->tpos;
            int ki = -1;
            for (int i = 0; i < TG_EXPR_MAX_KW && f->kw[i].name; i++)
                if ((int)strlen(f->kw[i].name) == kl &&
                    !memcmp(f->kw[i].name, kn, (size_t)kl))
                    ki = i;
            if (ki < 0) {
                char kb[200], hint[300];
                kw_list(f, kb, sizeof kb);
                if (kb[0]) snprintf(hint, sizeof hint, "%s takes: %s", f->name, kb);
                else snprintf(hint, sizeof hint, "%s takes no keywords", f->name);
                fail_at(p, kp, kl, TG_ERR_FORMAT, hint,
                        "%s has no keyword '%.*s'", f->name, kl, kn);
                return -1;
            }
            if (e->kws[kwbase + ki].given) {
                fail_at(p, kp, kl, TG_ERR_FORMAT, NULL,
                        "keyword %s given twice", f->kw[ki].name);
                return -1;
            }
            next(p); /* name */
            next(p); /* '=' */
            tg__kw_val v = {0};
            if (!parse_kw_value(p, f, &f->kw[ki], &v)) return -1;
            p->e->kws[kwbase + ki] = v;
        } else if (f->make) {
            /* a creation function: positional numbers (or a list) fill
             * its first keywords; zeros(2, 3) collects a shape */
            int ap = p->tpos;
            int slot = f->shape_varargs && npos_args > 0 ? 0 : npos_args;
            if (slot >= f->n_pos) {
                char kb[200], hint[300];
                kw_list(f, kb, sizeof kb);
                snprintf(hint, sizeof hint, "%s takes: %s", f->name, kb);
                fail_at(p, ap, p->tlen, TG_ERR_FORMAT, hint,
                        "%s takes at most %d positional number%s", f->name,
                        f->n_pos, f->n_pos == 1 ? "" : "s");
                return -1;
            }
            tg__kw_val *v = &e->kws[kwbase + slot];
            if (v->given && !(slot == 0 && npos_args > 0)) {
                fail_at(p, ap, p->tlen, TG_ERR_FORMAT, NULL,
                        "keyword %s given twice", f->kw[slot].name);
                return -1;
            }
            if (slot == 0 && npos_args > 0) { /* zeros(2, 3, ...) */
                if (v->n != npos_args || is_op(p, '[') || is_op(p, '(')) {
                    fail_at(p, ap, p->tlen, TG_ERR_FORMAT, NULL,
                            "%s: write the size as numbers, zeros(2, 3), or "
                            "as one list, zeros([2, 3])",
                            f->name);
                    return -1;
                }
                if (v->n == TG_MAX_DIMS) {
                    fail_at(p, ap, p->tlen, TG_ERR_FORMAT, NULL,
                            "%s: more than %d dims", f->name, TG_MAX_DIMS);
                    return -1;
                }
                tg__kw_val one = {0};
                if (!parse_kw_value(p, f, &f->kw[0], &one)) return -1;
                v->list[v->n++] = one.list[0];
            } else {
                if (!parse_kw_value(p, f, &f->kw[slot], v)) return -1;
            }
            npos_args++;
        } else {
            int ap = p->tpos;
            int a = parse_sum(p);
            if (a < 0) return -1;
            if (nargs == f->max_t) {
                char hint[400], kb[160];
                kw_list(f, kb, sizeof kb);
                if (kb[0])
                    snprintf(hint, sizeof hint,
                             "attributes are keywords, e.g. %s(..., %s=...); "
                             "%s takes: %s",
                             f->name, f->kw[0].name, f->name, kb);
                else hint[0] = 0;
                fail_at(p, ap, node(p, a)->pos + node(p, a)->len - ap,
                        TG_ERR_FORMAT, hint[0] ? hint : NULL,
                        "%s takes %s%d tensor argument%s", f->name,
                        f->min_t == f->max_t ? "" : "at most ", f->max_t,
                        f->max_t == 1 ? "" : "s");
                return -1;
            }
            args[nargs++] = a;
            if (node(p, a)->depth + 1 > node(p, id)->depth)
                node(p, id)->depth = node(p, a)->depth + 1;
        }
        if (is_op(p, ',')) {
            next(p);
            continue;
        }
        if (!is_op(p, ')')) {
            char tb[80];
            fail_at(p, p->tpos, p->tlen, TG_ERR_FORMAT, NULL,
                    "expected ',' or ')' in the call of %s, found %s",
                    f->name, token_desc(p, tb, sizeof tb));
            return -1;
        }
    }
    int close = p->tpos;
    next(p); /* ')' */
    p->depth--;
    node(p, id)->len = close + 1 - npos;
    if (nargs < f->min_t) {
        fail_at(p, npos, close + 1 - npos, TG_ERR_FORMAT, NULL,
                "%s takes %s%d tensor argument%s, got %d", f->name,
                f->min_t == f->max_t ? "" : "at least ", f->min_t,
                f->min_t == 1 ? "" : "s", nargs);
        return -1;
    }
    for (int i = 0; i < TG_EXPR_MAX_KW && f->kw[i].name; i++) {
        tg__kw_val *v = &e->kws[kwbase + i];
        if (v->given) continue;
        if (f->kw[i].required) {
            fail_at(p, npos, close + 1 - npos, TG_ERR_FORMAT, NULL,
                    "%s needs the keyword %s", f->name, f->kw[i].name);
            return -1;
        }
        v->num = f->kw[i].def;
    }
    if (!tg__reserve((void **)&e->argv, &e->cap_argv, e->n_argv + nargs + 1,
                     sizeof(int))) {
        fail_at(p, npos, nlen, TG_ERR_OOM, NULL, "out of memory");
        return -1;
    }
    node(p, id)->args = (int)e->n_argv;
    node(p, id)->nargs = nargs;
    for (int i = 0; i < nargs; i++) e->argv[e->n_argv++] = args[i];
    if (node(p, id)->depth > MAX_TREE) {
        fail_at(p, npos, nlen, TG_ERR_FORMAT, NULL,
                "expression is too deep (more than %d levels)", MAX_TREE);
        return -1;
    }
    return id;
}

static int parse_primary(parser *p)
{
    char tb[80];
    if (p->tk == T_NUM) {
        int id = new_node(p, N_NUM, p->tpos, p->tlen);
        if (id < 0) return -1;
        node(p, id)->num = p->tnum;
        next(p);
        return id;
    }
    if (p->tk == T_NAME) {
        int npos = p->tpos, nlen = p->tlen;
        const char *name = p->s + npos;
        next(p);
        if (is_op(p, '(')) {
            int fi = tg__expr_find_func(name, (size_t)nlen);
            if (fi < 0) {
                char near[300], hint[400];
                tg__expr_nearest(name, (size_t)nlen, near, sizeof near, 3);
                if (near[0]) snprintf(hint, sizeof hint, "did you mean %s?", near);
                else snprintf(hint, sizeof hint,
                              "functions are tapegrad's op names without "
                              "tg_ (tapegrad check --all-ops lists them)");
                fail_at(p, npos, nlen, TG_ERR_FORMAT, hint,
                        "unknown function '%.*s'", nlen, name);
                return -1;
            }
            return parse_call(p, fi, npos, nlen);
        }
        int v = intern_var(p, name, nlen);
        if (v < 0) return -1;
        int id = new_node(p, N_VAR, npos, nlen);
        if (id < 0) return -1;
        node(p, id)->var = v;
        return id;
    }
    if (is_op(p, '(')) {
        int open = p->tpos;
        if (++p->depth > MAX_DEPTH) {
            fail_at(p, open, 1, TG_ERR_FORMAT, NULL,
                    "expression is nested too deeply (more than %d levels)",
                    MAX_DEPTH);
            return -1;
        }
        next(p);
        int id = parse_sum(p);
        if (id < 0) return -1;
        if (!is_op(p, ')')) {
            fail_at(p, p->tpos, p->tlen, TG_ERR_FORMAT,
                    "the '(' opened here is not closed",
                    "expected ')', found %s", token_desc(p, tb, sizeof tb));
            /* Point at the unclosed parenthesis in the hint's column. */
            return -1;
        }
        p->depth--;
        int close = p->tpos;
        next(p);
        node(p, id)->pos = open;
        node(p, id)->len = close + 1 - open;
        return id;
    }
    if (p->tk == T_BAD && p->failed) return -1;
    fail_at(p, p->tpos, p->tlen, TG_ERR_FORMAT,
            p->tk == T_END ? "the expression ends too early" : NULL,
            "expected a number, a name or '(', found %s",
            token_desc(p, tb, sizeof tb));
    return -1;
}

static int parse_power(parser *p)
{
    int a = parse_primary(p);
    if (a < 0) return -1;
    if (p->tk != T_POW) return a;
    int op_pos = p->tpos;
    next(p);
    if (++p->depth > MAX_DEPTH) {
        fail_at(p, op_pos, 2, TG_ERR_FORMAT, NULL,
                "expression is nested too deeply (more than %d levels)",
                MAX_DEPTH);
        return -1;
    }
    int b = parse_unary(p);
    p->depth--;
    if (b < 0) return -1;
    int id = new_node(p, N_BIN, op_pos, 2);
    if (id < 0) return -1;
    node(p, id)->op = 'P';
    node(p, id)->lhs = a;
    node(p, id)->rhs = b;
    join_span(p, id, a, b);
    if (!set_depth(p, id, a, b)) return -1;
    return id;
}

static int parse_unary(parser *p)
{
    if (is_op(p, '-') || is_op(p, '+')) {
        char c = p->s[p->tpos];
        int pos = p->tpos;
        next(p);
        if (++p->depth > MAX_DEPTH) {
            fail_at(p, pos, 1, TG_ERR_FORMAT, NULL,
                    "expression is nested too deeply (more than %d levels)",
                    MAX_DEPTH);
            return -1;
        }
        int a = parse_unary(p);
        p->depth--;
        if (a < 0) return -1;
        if (c == '+') return a;
        if (node(p, a)->kind == N_NUM) { /* fold: -3 is a number */
            node(p, a)->num = -node(p, a)->num;
            node(p, a)->len += node(p, a)->pos - pos;
            node(p, a)->pos = pos;
            return a;
        }
        int id = new_node(p, N_NEG, pos, 1);
        if (id < 0) return -1;
        node(p, id)->lhs = a;
        join_span(p, id, id, a);
        if (!set_depth(p, id, a, -1)) return -1;
        return id;
    }
    return parse_power(p);
}

static int parse_product(parser *p)
{
    int a = parse_unary(p);
    while (a >= 0 && (is_op(p, '*') || is_op(p, '/') || is_op(p, '@'))) {
        char op = p->s[p->tpos];
        int pos = p->tpos;
        next(p);
        int b = parse_unary(p);
        if (b < 0) return -1;
        int id = new_node(p, N_BIN, pos, 1);
        if (id < 0) return -1;
        node(p, id)->op = op;
        node(p, id)->lhs = a;
        node(p, id)->rhs = b;
        join_span(p, id, a, b);
        if (!set_depth(p, id, a, b)) return -1;
        a = id;
    }
    return a;
}

static int parse_sum(parser *p)
{
    int a = parse_product(p);
    while (a >= 0 && (is_op(p, '+') || is_op(p, '-'))) {
        char op = p->s[p->tpos];
        int pos = p->tpos;
        next(p);
        int b = parse_product(p);
        if (b < 0) return -1;
        int id = new_node(p, N_BIN, pos, 1);
        if (id < 0) return -1;
        node(p, id)->op = op;
        node(p, id)->lhs = a;
        node(p, id)->rhs = b;
        join_span(p, id, a, b);
        if (!set_depth(p, id, a, b)) return -1;
        a = id;
    }
    return a;
}

void tg__expr_free(tg_expr *e)
{
    if (!e) return;
    for (int64_t i = 0; i < e->n_vars; i++) tg__free(e->vars[i]);
    tg__free(e->vars);
    tg__free(e->nodes);
    tg__free(e->argv);
    tg__free(e->kws);
    tg__free(e->src);
    tg__free(e);
}

tg_status tg__expr_parse(const char *src, tg_expr **out, tg__expr_err *err)
{
    tg__expr_err local;
    if (!err) err = &local;
    memset(err, 0, sizeof *err);
    err->pos = -1;
    if (out) *out = NULL;
    if (!src || !out) {
        err->st = TG_ERR_ARG;
        snprintf(err->msg, sizeof err->msg, "no expression given");
        return TG_ERR_ARG;
    }
    size_t len = strlen(src);
    if (len > MAX_SRC) {
        err->st = TG_ERR_FORMAT;
        snprintf(err->msg, sizeof err->msg,
                 "expression is too long (%zu bytes, at most %d)", len,
                 MAX_SRC);
        return TG_ERR_FORMAT;
    }
    tg_expr *e = tg__calloc(sizeof *e);
    char *copy = e ? tg__malloc(len + 1) : NULL;
    if (!copy) {
        tg__free(e);
        err->st = TG_ERR_OOM;
        snprintf(err->msg, sizeof err->msg, "out of memory parsing the "
                                            "expression");
        return TG_ERR_OOM;
    }
    memcpy(copy, src, len + 1);
    e->src = copy;
    parser p = {.e = e, .s = copy, .err = err};
    next(&p);
    int root = -1;
    if (p.tk == T_END && !p.failed) {
        fail_at(&p, 0, 1, TG_ERR_FORMAT, "write an expression such as "
                                         "'tanh(x) * y'",
                "the expression is empty");
    } else if (!p.failed) {
        root = parse_sum(&p);
        if (root >= 0 && p.tk != T_END) {
            char tb[80];
            const char *hint = NULL;
            if (is_op(&p, ')')) hint = "this ')' has no matching '('";
            else if (p.tk == T_NAME || p.tk == T_NUM || is_op(&p, '('))
                hint = "an operator is missing between the two operands";
            else if (p.tk == T_BAD && p.s[p.tpos] == '^')
                hint = "a power is written with **, as in x ** 2 ('^' is "
                       "not an operator here)";
            fail_at(&p, p.tpos, p.tlen, TG_ERR_FORMAT, hint,
                    "unexpected %s", token_desc(&p, tb, sizeof tb));
        }
    }
    if (p.failed || root < 0) {
        if (!p.failed)
            fail_at(&p, p.tpos, p.tlen, TG_ERR_FORMAT, NULL, "parse error");
        tg__expr_free(e);
        return err->st;
    }
    e->root = root;
    *out = e;
    return TG_OK;
}

const char *tg__expr_source(const tg_expr *e) { return e ? e->src : ""; }
int tg__expr_num_vars(const tg_expr *e) { return e ? (int)e->n_vars : 0; }
const char *tg__expr_var(const tg_expr *e, int i)
{
    return (e && i >= 0 && i < e->n_vars) ? e->vars[i] : NULL;
}

bool tg__expr_var_differentiable(const tg_expr *e, int v)
{
    if (!e || v < 0 || v >= e->n_vars) return false;
    int64_t uses = 0, index_uses = 0;
    for (int64_t i = 0; i < e->n_nodes; i++) {
        const xnode *n = &e->nodes[i];
        if (n->kind == N_VAR && n->var == v) uses++;
        if (n->kind != N_CALL) continue;
        unsigned mask = tg__expr_func_at(n->op)->index_args;
        for (int a = 0; a < n->nargs && a < 32; a++) {
            const xnode *an = &e->nodes[e->argv[n->args + a]];
            if ((mask >> a & 1u) && an->kind == N_VAR && an->var == v)
                index_uses++;
        }
    }
    return uses > index_uses;
}

/* ------------------------------------------------------------ evaluation */

typedef struct evalctx {
    const tg_expr *e;
    tg_graph *g;
    tg_dtype dt;
    tg_tensor **bound; /* per variable */
    tg__expr_err *err;
} evalctx;

static tg_tensor *eval_fail(evalctx *c, const xnode *n, tg_status st,
                            const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static tg_tensor *eval_fail(evalctx *c, const xnode *n, tg_status st,
                            const char *fmt, ...)
{
    if (c->err->st != TG_OK) return NULL;
    c->err->st = st;
    c->err->pos = n->pos;
    c->err->len = n->len > 0 ? n->len : 1;
    c->err->col = n->opos;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err->msg, sizeof c->err->msg, fmt, ap);
    va_end(ap);
    return NULL;
}

/* After an op: turn a graph error into an evaluation error at node n. */
static tg_tensor *checked(evalctx *c, const xnode *n, tg_tensor *t)
{
    tg_status st = tg_graph_status(c->g);
    if (st == TG_OK && t && !(t->flags & TG_TF_POISON)) return t;
    if (st == TG_OK) st = TG_ERR_STATE;
    const char *m = tg_graph_error(c->g);
    return eval_fail(c, n, st, "%s", m ? m : tg_status_str(st));
}

static tg_tensor *eval_node(evalctx *c, int id);

/* x ** p for a literal p: exact repeated products for small integers
 * (so x ** 2 has the derivative 2x exactly), the pow ops otherwise. */
static tg_tensor *int_power(evalctx *c, const xnode *n, tg_tensor *x,
                            long k)
{
    tg_tensor *r = NULL, *b = x;
    long m = k < 0 ? -k : k;
    /* x ** 0 is 1 for every x, inf and NaN included (x * 0 + 1 is not) */
    if (m == 0) return checked(c, n, tg_pow_scalar(x, 0.0));
    while (m) {
        if (m & 1) r = r ? tg_mul(r, b) : b;
        m >>= 1;
        if (m) b = tg_mul(b, b);
    }
    if (k < 0) r = tg_div(tg_scalar(c->g, c->dt, 1.0), r);
    return checked(c, n, r);
}

static tg_tensor *call_named(evalctx *c, const xnode *n, const char *name,
                             tg_tensor *const *t, int nt, const char *kname,
                             double kv)
{
    int fi = tg__expr_find_func(name, strlen(name));
    if (fi < 0) return NULL;
    const tg__expr_func *f = tg__expr_func_at(fi);
    if (nt < f->min_t || nt > f->max_t) return NULL;
    tg__kw_val kw[TG_EXPR_MAX_KW];
    memset(kw, 0, sizeof kw);
    for (int i = 0; i < TG_EXPR_MAX_KW && f->kw[i].name; i++) {
        kw[i].num = f->kw[i].def;
        if (kname && !strcmp(f->kw[i].name, kname)) {
            kw[i].given = true;
            kw[i].num = kv;
        } else if (f->kw[i].required) {
            return NULL;
        }
    }
    return checked(c, n, tg__expr_invoke(f, t, nt, kw));
}

static tg_tensor *eval_pow(evalctx *c, const xnode *n)
{
    const xnode *en = &c->e->nodes[n->rhs];
    tg_tensor *a = eval_node(c, n->lhs);
    if (!a) return NULL;
    if (en->kind == N_NUM) {
        double pw = en->num;
        if (pw == floor(pw) && fabs(pw) <= 64) return int_power(c, n, a, (long)pw);
        tg_tensor *r;
        static const char *const kn[] = {"p", "s", "exponent"};
        for (size_t i = 0; i < sizeof kn / sizeof kn[0]; i++) {
            r = call_named(c, n, "pow_scalar", &a, 1, kn[i], pw);
            if (r || c->err->st != TG_OK) return r;
        }
        if (pw == 0.5) {
            r = call_named(c, n, "sqrt", &a, 1, NULL, 0);
            if (r || c->err->st != TG_OK) return r;
        }
    }
    tg_tensor *b = eval_node(c, n->rhs);
    if (!b) return NULL;
    tg_tensor *ab[2] = {a, b};
    tg_tensor *r = call_named(c, n, "pow", ab, 2, NULL, 0);
    if (r || c->err->st != TG_OK) return r;
    /* a ** b = exp(b log a) for a > 0 */
    tg_tensor *la = call_named(c, n, "log", &a, 1, NULL, 0);
    if (!la) {
        if (c->err->st != TG_OK) return NULL;
        return eval_fail(c, n, TG_ERR_ARG,
                         "'**' with this exponent needs the pow op, which "
                         "is not available");
    }
    tg_tensor *prod = checked(c, n, tg_mul(b, la));
    if (!prod) return NULL;
    return call_named(c, n, "exp", &prod, 1, NULL, 0);
}

static tg_tensor *eval_node(evalctx *c, int id)
{
    const xnode *n = &c->e->nodes[id];
    switch (n->kind) {
    case N_NUM: return checked(c, n, tg_scalar(c->g, c->dt, n->num));
    case N_VAR: {
        tg_tensor *t = c->bound[n->var];
        if (!t)
            return eval_fail(c, n, TG_ERR_ARG, "unknown input '%s'",
                             c->e->vars[n->var]);
        return t;
    }
    case N_NEG: {
        tg_tensor *a = eval_node(c, n->lhs);
        return a ? checked(c, n, tg_neg(a)) : NULL;
    }
    case N_BIN: {
        if (n->op == 'P') return eval_pow(c, n);
        tg_tensor *a = eval_node(c, n->lhs);
        if (!a) return NULL;
        tg_tensor *b = eval_node(c, n->rhs);
        if (!b) return NULL;
        switch (n->op) {
        case '+': return checked(c, n, tg_add(a, b));
        case '-': return checked(c, n, tg_sub(a, b));
        case '*': return checked(c, n, tg_mul(a, b));
        case '/': return checked(c, n, tg_div(a, b));
        case '@': return checked(c, n, tg_matmul(a, b));
        }
        return eval_fail(c, n, TG_ERR_STATE, "bad operator");
    }
    case N_CALL: {
        const tg__expr_func *f = tg__expr_func_at(n->op);
        tg_tensor *t[TG_EXPR_MAX_ARGS];
        for (int i = 0; i < n->nargs; i++) {
            t[i] = eval_node(c, c->e->argv[n->args + i]);
            if (!t[i]) return NULL;
        }
        return checked(c, n, tg__expr_invoke_on(f, c->g, c->dt, t, n->nargs,
                                                &c->e->kws[n->kw]));
    }
    }
    return eval_fail(c, n, TG_ERR_STATE, "bad node");
}

tg_tensor *tg__expr_eval(const tg_expr *e, tg_graph *g, tg_dtype dt, int n,
                         const char *const *names, tg_tensor *const *vals,
                         tg__expr_err *err)
{
    tg__expr_err local;
    if (!err) err = &local;
    memset(err, 0, sizeof *err);
    err->pos = -1;
    if (!e || !g) {
        err->st = TG_ERR_ARG;
        snprintf(err->msg, sizeof err->msg, "no expression or graph");
        return NULL;
    }
    tg_tensor *small[16];
    tg_tensor **bound = small;
    if (e->n_vars > 16) {
        bound = tg__malloc(sizeof *bound * (size_t)e->n_vars);
        if (!bound) {
            err->st = TG_ERR_OOM;
            snprintf(err->msg, sizeof err->msg, "out of memory");
            return NULL;
        }
    }
    for (int64_t v = 0; v < e->n_vars; v++) {
        bound[v] = NULL;
        for (int i = 0; i < n; i++)
            if (names[i] && !strcmp(names[i], e->vars[v])) bound[v] = vals[i];
    }
    evalctx c = {e, g, dt, bound, err};
    tg_tensor *r = tg_graph_status(g) != TG_OK
                       ? eval_fail(&c, &e->nodes[e->root], tg_graph_status(g),
                                   "%s", tg_graph_error(g))
                       : eval_node(&c, e->root);
    if (bound != small) tg__free(bound);
    if (!r && tg_graph_status(g) == TG_OK)
        tg__fail(g, err->st ? err->st : TG_ERR_STATE, "%s", err->msg);
    return r;
}

/* ------------------------------------------------------------- printing */

void tg__expr_print_error(FILE *f, const char *src, const tg__expr_err *err)
{
    if (err->pos < 0 || !src) {
        fprintf(f, "tapegrad: %s\n", err->msg);
        if (err->hint[0]) fprintf(f, "hint: %s\n", err->hint);
        return;
    }
    size_t n = strlen(src);
    size_t pos = (size_t)err->pos <= n ? (size_t)err->pos : n;
    fprintf(f, "tapegrad: parse error at column %zu: %s\n", pos + 1, err->msg);
    /* Show the source on one line: control characters as spaces so the
     * caret stays under its column. Long sources are windowed. */
    size_t from = 0, to = n;
    if (n > 100) {
        from = pos > 50 ? pos - 50 : 0;
        to = from + 100 < n ? from + 100 : n;
    }
    fputs("  ", f);
    if (from) fputs("...", f);
    for (size_t i = from; i < to; i++) {
        unsigned char ch = (unsigned char)src[i];
        fputc(isprint(ch) ? ch : ' ', f);
    }
    if (to < n) fputs("...", f);
    fputs("\n  ", f);
    if (from) fputs("   ", f);
    for (size_t i = from; i < pos; i++) fputc(' ', f);
    fputc('^', f);
    size_t len = err->len > 1 ? (size_t)err->len : 1;
    for (size_t i = 1; i < len && pos + i < to; i++) fputc('~', f);
    fputc('\n', f);
    if (err->hint[0]) fprintf(f, "hint: %s\n", err->hint);
}
