/* The functions of the expression language. Every op is one, named and
 * described by its descriptor (inputs, attributes as keywords, index
 * inputs), so adding an op adds its function; the few rows written here
 * are C API functions that are compositions of ops, not ops, and a
 * name PyTorch users type (swish). */
#include "expr.h"
#include "internal.h"

#include <math.h>
#include <pthread.h>

typedef const tg__kw_val KW;

/* ------------------------------------------------------- compositions */

static tg_tensor *w_sum_all(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt, (void)k;
    return tg_sum_all(t[0]);
}
static tg_tensor *w_mean_all(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt, (void)k;
    return tg_mean_all(t[0]);
}
static tg_tensor *w_squeeze_all(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt, (void)k;
    return tg_squeeze_all(t[0]);
}
static tg_tensor *w_transpose(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_transpose(t[0], (int)k[0].num, (int)k[1].num);
}
static tg_tensor *w_matmul_t(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_matmul_t(t[0], t[1], k[0].num != 0, k[1].num != 0);
}
/* Aliases that PyTorch users type: swish is silu. */
static tg_tensor *w_swish(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt, (void)k;
    return tg_silu(t[0]);
}
static tg_tensor *w_layer_norm_n(tg_tensor *const *t, int nt, KW *k)
{
    return tg_layer_norm_n(t[0], (int)k[0].num, nt > 1 ? t[1] : NULL,
                           nt > 2 ? t[2] : NULL, k[1].num);
}
/* interpolate(x, size=[h, w] | scale=s, linear=0|1, align_corners=0|1)
 * and dropout2d(x, p): compositions of ops (tapegrad/ops_conv.h) */
static tg_tensor *w_interpolate(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    tg_interp_opts o = {.scale_factor = {k[1].num, k[1].num},
                        .mode = k[2].num != 0 ? TG_INTERP_LINEAR
                                              : TG_INTERP_NEAREST,
                        .align_corners = k[3].num != 0};
    if (k[0].given && k[0].n > 0) {
        o.size[0] = k[0].list[0];
        o.size[1] = k[0].n > 1 ? k[0].list[1] : k[0].list[0];
    }
    return tg_interpolate(t[0], &o);
}
static tg_tensor *w_dropout2d(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_dropout2d(t[0], k[0].num);
}

static const tg__kw_spec kw_none[TG_EXPR_MAX_KW] = {{0}};
static const tg__kw_spec kw_interpolate[TG_EXPR_MAX_KW] = {
    {"size", TG_ATTR_SHAPE, 0, false}, {"scale", TG_ATTR_REAL, 0, false},
    {"linear", TG_ATTR_BOOL, 0, false},
    {"align_corners", TG_ATTR_BOOL, 0, false}};
static const tg__kw_spec kw_dropout2d[TG_EXPR_MAX_KW] = {
    {"p", TG_ATTR_REAL, 0.5, false}};
static const tg__kw_spec kw_transpose[TG_EXPR_MAX_KW] = {
    {"a", TG_ATTR_INT, -2, false}, {"b", TG_ATTR_INT, -1, false}};
static const tg__kw_spec kw_matmul_t[TG_EXPR_MAX_KW] = {
    {"trans_a", TG_ATTR_BOOL, 0, false}, {"trans_b", TG_ATTR_BOOL, 0, false}};
static const tg__kw_spec kw_layer_norm_n[TG_EXPR_MAX_KW] = {
    {"naxes", TG_ATTR_INT, 1, false}, {"eps", TG_ATTR_REAL, 1e-5, false}};

static const tg__expr_func compositions[] = {
    {.name = "sum_all", .min_t = 1, .max_t = 1, .kw = kw_none,
     .call = w_sum_all},
    {.name = "mean_all", .min_t = 1, .max_t = 1, .kw = kw_none,
     .call = w_mean_all},
    {.name = "squeeze_all", .min_t = 1, .max_t = 1, .kw = kw_none,
     .call = w_squeeze_all},
    {.name = "transpose", .min_t = 1, .max_t = 1, .kw = kw_transpose,
     .call = w_transpose},
    {.name = "matmul_t", .min_t = 2, .max_t = 2, .kw = kw_matmul_t,
     .call = w_matmul_t},
    {.name = "layer_norm_n", .min_t = 1, .max_t = 3, .kw = kw_layer_norm_n,
     .call = w_layer_norm_n},
    {.name = "swish", .min_t = 1, .max_t = 1, .kw = kw_none, .call = w_swish},
    {.name = "interpolate", .min_t = 1, .max_t = 1, .kw = kw_interpolate,
     .call = w_interpolate},
    {.name = "dropout2d", .min_t = 1, .max_t = 1, .kw = kw_dropout2d,
     .call = w_dropout2d},
};
#define N_COMPOSITIONS ((int)(sizeof compositions / sizeof compositions[0]))

/* ----------------------------------------------------------------- rows */

/* Rows: the built-in ops (table order), the compositions, then the ops
 * registered so far. Op rows are filled from their descriptors once,
 * under the lock; a filled row never changes. */
#define MAX_ROWS (TG_OP_COUNT + N_COMPOSITIONS + 256)
static tg__expr_func rows[MAX_ROWS];
static int n_rows; /* guarded by rows_lock */
static pthread_mutex_t rows_lock = PTHREAD_MUTEX_INITIALIZER;

static void op_row(tg__expr_func *f, const tg_op *op)
{
    int max = op->max_inputs > op->n_inputs ? op->max_inputs : op->n_inputs;
    f->name = op->name;
    f->min_t = op->n_inputs;
    f->max_t = max < TG_EXPR_MAX_ARGS ? max : TG_EXPR_MAX_ARGS;
    f->kw = op->attrs;
    f->op = op;
    f->call = NULL;
    f->index_args = op->index_inputs;
}

int tg__expr_num_funcs(void)
{
    return TG_OP_COUNT + N_COMPOSITIONS + tg__user_op_count();
}

const tg__expr_func *tg__expr_func_at(int i)
{
    if (i < 0 || i >= tg__expr_num_funcs()) return NULL;
    pthread_mutex_lock(&rows_lock);
    while (n_rows <= i) {
        int k = n_rows;
        if (k < TG_OP_COUNT) op_row(&rows[k], tg_ops[k]);
        else if (k < TG_OP_COUNT + N_COMPOSITIONS)
            rows[k] = compositions[k - TG_OP_COUNT];
        else op_row(&rows[k], tg_op_at(k - N_COMPOSITIONS));
        n_rows++;
    }
    pthread_mutex_unlock(&rows_lock);
    return &rows[i];
}

/* Keyword values into the attribute slots (tapegrad/op.h, tg_attr_kind);
 * the parser has checked kinds and ranges. */
tg_tensor *tg__expr_invoke(const tg__expr_func *f, tg_tensor *const *t,
                           int nt, const tg__kw_val *kw)
{
    if (!f->op) return f->call(t, nt, kw);
    tg_attrs a;
    memset(&a, 0, sizeof a);
    for (int k = 0; k < TG_EXPR_MAX_KW && f->kw[k].name; k++) {
        int s = tg__attr_slot(f->op, k);
        if (s < 0) continue;
        switch (f->kw[k].kind) {
        case TG_ATTR_REAL: a.f[s] = kw[k].num; break;
        case TG_ATTR_AXES:
        case TG_ATTR_SHAPE:
            a.nax = kw[k].given || f->kw[k].kind == TG_ATTR_SHAPE ? kw[k].n : 0;
            if (a.nax < 0 || a.nax > TG_MAX_DIMS) a.nax = -1;
            for (int i = 0; i < a.nax; i++) a.ax[i] = kw[k].list[i];
            break;
        default: a.i[s] = tg__to_i64(kw[k].num); break;
        }
    }
    if (f->op->call) return f->op->call(t, nt, &a);
    return tg__apply_op(f->op, t, nt, &a);
}

int tg__expr_find_func(const char *name, size_t len)
{
    int n = tg__expr_num_funcs();
    for (int i = 0; i < n; i++) {
        const char *fn = tg__expr_func_at(i)->name;
        if (strlen(fn) == len && !memcmp(fn, name, len)) return i;
    }
    return -1;
}

/* Damerau-free Levenshtein distance, capped inputs (names are short). */
static int edit_distance(const char *a, size_t la, const char *b, size_t lb)
{
    int row[72];
    if (la > 64 || lb > 64) return 99;
    for (size_t j = 0; j <= lb; j++) row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int up = row[j];
            int best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

void tg__expr_nearest(const char *name, size_t len, char *buf, size_t size,
                      int max)
{
    /* Candidates: distance within a third of the length (at least 1, at
     * most 3), or the name is a prefix/suffix of a function (log_soft ->
     * log_softmax). Closest first, then table order. */
    int lim = (int)(len / 3);
    if (lim < 1) lim = 1;
    if (lim > 3) lim = 3;
    size_t k = 0;
    int shown = 0, nf = tg__expr_num_funcs();
    buf[0] = 0;
    for (int d = 0; d <= lim + 1 && shown < max; d++) {
        for (int i = 0; i < nf && shown < max; i++) {
            const char *fn = tg__expr_func_at(i)->name;
            size_t fl = strlen(fn);
            int dist = edit_distance(name, len, fn, fl);
            bool affix = len >= 3 && fl > len &&
                         (!memcmp(fn, name, len) ||
                          !memcmp(fn + fl - len, name, len));
            int eff = affix && dist > lim ? lim + 1 : dist;
            if (eff != d) continue;
            if (k < size)
                k += (size_t)snprintf(buf + k, size - k, "%s%s",
                                      shown ? ", " : "", fn);
            shown++;
        }
    }
}

