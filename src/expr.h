/* The expression language of the `tapegrad` command (engine-private).
 *
 *   expr    := sum
 *   sum     := product (('+' | '-') product)*
 *   product := unary (('*' | '/' | '@') unary)*
 *   unary   := ('-' | '+') unary | power
 *   power   := primary ('**' unary)?          right-associative
 *   primary := NUMBER | NAME | NAME '(' args ')' | '(' expr ')'
 *   args    := [arg (',' arg)*]
 *   arg     := NAME '=' kwvalue | expr
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

#include "internal.h"

/* ------------------------------------------------------ function table */

typedef enum tg__kw_kind {
    TG_KW_INT,   /* integer within C int range (axis=1, a=0)  */
    TG_KW_I64,   /* 64-bit integer (slice start/stop/step)    */
    TG_KW_BOOL,  /* 0/1 (keepdim=1, trans_a=1)                */
    TG_KW_REAL,  /* real (alpha=0.1, s=2.5, p=0.5)            */
    TG_KW_AXES,  /* an int or a list; absent = all axes       */
    TG_KW_SHAPE, /* a list of ints (shape=[2,-1]); an int ok  */
    TG_KW_DTYPE, /* f32 or f64                                */
} tg__kw_kind;

typedef struct tg__kw_spec {
    const char *name;
    tg__kw_kind kind;
    double def;    /* default of a scalar keyword                */
    bool required; /* must be given (no sensible default)        */
} tg__kw_spec;

#define TG_EXPR_MAX_KW 6
#define TG_EXPR_MAX_ARGS 16

/* A keyword's value as the wrapper sees it. */
typedef struct tg__kw_val {
    bool given;
    double num;                  /* scalar kinds; dtype: TG_F32/TG_F64 */
    int n;                       /* list kinds: element count          */
    int64_t list[TG_MAX_DIMS];
} tg__kw_val;

typedef tg_tensor *(*tg__expr_call)(tg_tensor *const *t, int nt,
                                    const tg__kw_val *kw);

typedef struct tg__expr_func {
    const char *name;  /* C API name without tg_ */
    int min_t, max_t;  /* positional tensor count */
    tg__kw_spec kw[TG_EXPR_MAX_KW];
    tg__expr_call call;
    unsigned index_args; /* bit i: tensor argument i holds indices or
                            labels (never differentiated)            */
} tg__expr_func;

extern const tg__expr_func tg__expr_funcs[];
extern const int tg__expr_n_funcs;

/* Index of the function `name` (len bytes), or -1. */
int tg__expr_find_func(const char *name, size_t len);

/* Up to `max` known function names closest to `name` (edit distance),
 * comma-separated into buf; empty when nothing is close. */
void tg__expr_nearest(const char *name, size_t len, char *buf, size_t size,
                      int max);

/* Built-in gradient-check cases for ops whose descriptor has none (the
 * engine's internal helpers). NULL when there are none. */
const char *tg__expr_builtin_cases(const char *op_name);

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
