/* The expression language of the `tapegrad` command (engine-private).
 *
 *   expr    := sum
 *   sum     := product (('+' | '-') product)*
 *   product := unary (('*' | '/' | '@') unary)*
 *   unary   := ('-' | '+') unary | power
 *   power   := primary ('**' unary)?          right-associative
 *   primary := NUMBER | NAME | NAME '(' args ')' | '(' expr ')'
 *   args    := [arg (',' arg)*]
 *   arg     := NAME '=' kwvalue | expr     (a creation function's
 *                                            positional args: kwvalue)
 *   kwvalue := ['-'] NUMBER | NAME | ('[' | '(') [kwvalue (',' kwvalue)*] (']' | ')')
 *
 * So -x**2 is -(x**2) and 2**-1 is 0.5, as in Python. Calls name ops by
 * their C API name without tg_; tensors are positional, attributes are
 * keywords (axis=1, keepdim=1, alpha=0.1, shape=[2,-1], dtype=f32). A
 * number becomes a 0-d constant of the evaluation dtype, so `x + 3` is an
 * add with broadcasting.
 */
#ifndef TAPEGRAD_EXPR_H
#define TAPEGRAD_EXPR_H

#include <stdio.h>

#include "util.h"

/* ------------------------------------------------------ function table */

/* The functions an expression can call: every op (built-in ops from their
 * descriptors, then user ops registered with tg_op_register), plus a few
 * C API functions that are compositions of ops (sum_all, transpose, …).
 * An op's keywords are its declared attributes. */
typedef tg_attr_def tg__kw_spec;

#define TG_EXPR_MAX_KW TG_OP_MAX_ATTRS
#define TG_EXPR_MAX_ARGS 16

/* A keyword's value as the call sees it. */
typedef struct tg__kw_val {
    bool given;
    double num;                  /* scalar kinds; dtype: TG_F32/TG_F64 */
    int n;                       /* list kinds: element count          */
    int64_t list[TG_MAX_DIMS];
} tg__kw_val;

typedef tg_tensor *(*tg__expr_call)(tg_tensor *const *t, int nt,
                                    const tg__kw_val *kw);
/* A function with no tensor argument (arange, zeros, eye, ...): it builds
 * a constant on g; dt is the evaluation dtype, the default when the call
 * gives no dtype keyword. */
typedef tg_tensor *(*tg__expr_make)(tg_graph *g, tg_dtype dt,
                                    const tg__kw_val *kw);

typedef struct tg__expr_func {
    const char *name;  /* C API name without tg_ */
    int min_t, max_t;  /* positional tensor count */
    const tg__kw_spec *kw; /* TG_EXPR_MAX_KW entries, up to a NULL name */
    const tg_op *op;   /* an op: called through op->call or tg_apply    */
    tg__expr_call call;/* otherwise a composition (op NULL)             */
    unsigned index_args; /* bit i: tensor argument i holds indices or
                            labels (never differentiated)            */
    tg__expr_make make;  /* a creation function (min_t = max_t = 0):
                            positional arguments are numbers that fill
                            the first n_pos keywords in order          */
    int n_pos;
    bool shape_varargs;  /* zeros(2, 3): positional ints form the shape */
    const char *cases;   /* a composition's gradient-check cases, in the
                            form of tg_op.cases (`check --all-ops`)    */
} tg__expr_func;

/* Functions 0 .. tg__expr_num_funcs()-1 (the count grows when ops are
 * registered; an index stays valid). NULL when out of range. */
int tg__expr_num_funcs(void);
const tg__expr_func *tg__expr_func_at(int i);

/* Call function f with nt tensors and its keyword values kw[] (as many as
 * f->kw declares). NULL or the poison tensor on error. A creation
 * function (f->make) needs the graph: tg__expr_invoke_on passes it with
 * the default dtype; tg__expr_invoke takes the graph of t[0] (NULL when
 * there is no tensor and no graph). */
tg_tensor *tg__expr_invoke(const tg__expr_func *f, tg_tensor *const *t,
                           int nt, const tg__kw_val *kw);
tg_tensor *tg__expr_invoke_on(const tg__expr_func *f, tg_graph *g,
                              tg_dtype dt, tg_tensor *const *t, int nt,
                              const tg__kw_val *kw);

/* Index of the function `name` (len bytes), or -1. */
int tg__expr_find_func(const char *name, size_t len);

/* Up to `max` known function names closest to `name` (edit distance),
 * comma-separated into buf; empty when nothing is close. */
void tg__expr_nearest(const char *name, size_t len, char *buf, size_t size,
                      int max);

/* ------------------------------------------------------------- parsing */

typedef struct tg_expr tg_expr;

/* Where and why parsing or evaluation failed. pos/len: byte span in the
 * source (pos -1 when the error has no place in the expression). */
typedef struct tg__expr_err {
    tg_status st;
    int pos, len;
    int col; /* evaluation errors: the operator or call at fault (0-based) */
    char msg[512];
    char hint[512];
} tg__expr_err;

/* Parse `src` (NUL-terminated). On success *out is caller-owned (free with
 * tg__expr_free). On failure *out is NULL and err says why. */
tg_status tg__expr_parse(const char *src, tg_expr **out, tg__expr_err *err);
void tg__expr_free(tg_expr *e);
const char *tg__expr_source(const tg_expr *e);

/* Distinct input names the expression reads, in order of first use. The
 * pointer is borrowed from e (NUL-terminated copies). */
int tg__expr_num_vars(const tg_expr *e);
const char *tg__expr_var(const tg_expr *e, int i);

/* False when variable i is only used as indices or labels (arguments the
 * ops never differentiate), so a gradient check must not perturb it. */
bool tg__expr_var_differentiable(const tg_expr *e, int i);

/* Build the expression on g. names[i] is bound to vals[i]; every variable
 * must be bound. Numbers become 0-d constants of dtype dt. Returns the
 * output, or NULL with err filled; the graph's sticky error is then set
 * too (the op's own message, or err's). */
tg_tensor *tg__expr_eval(const tg_expr *e, tg_graph *g, tg_dtype dt,
                         int n, const char *const *names,
                         tg_tensor *const *vals, tg__expr_err *err);

/* "parse error at column C: MSG" / the source / a caret line / the hint. */
void tg__expr_print_error(FILE *f, const char *src, const tg__expr_err *err);

#endif
