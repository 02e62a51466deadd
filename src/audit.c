/* The f32 audit (tg_check_audit): the function recorded twice on the same
 * data, once with f32 inputs and once with f64, node by node. For every
 * node output the relative rounding error of its value and of the
 * gradient reaching it (the check's weighted scalar L = sum(w f),
 * differentiated with respect to every node output and input):
 *     err(t) = max_k |t32_k - t64_k| / max_k |t64_k|
 * (norm-wise, so elements near zero do not dominate). The f64 run stands
 * in for the exact values: its own rounding is 2^29 times smaller. */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static double rel_inf(const tg_tensor *a, const tg_tensor *b)
{
    double num = 0, den = 0;
    for (int64_t k = 0; k < b->numel; k++) {
        double x = tg_get(a, k), y = tg_get(b, k);
        double d = fabs(x - y);
        if (isnan(d)) d = (isnan(x) && isnan(y)) || x == y ? 0 : INFINITY;
        if (d > num) num = d;
        if (fabs(y) > den) den = fabs(y);
    }
    if (num == 0) return 0;
    return den > 0 ? num / den : INFINITY;
}

typedef struct side {
    tg_graph *g;
    tg_tensor *ins[TG_CHECK_MAX_INPUTS], *y;
    const tg_node **nodes;
    int64_t nn;
    tg_tensor **targets, **grads;
} side;

static tg_status record(side *s, tg_dtype dt, tg_check_fn f, void *ud,
                        int n, const tg_check_arg *args, double *const *x,
                        const int64_t *numel, const double *w)
{
    tg_graph *g = s->g;
    tg_rng_seed(tg_graph_rng(g), 0);
    for (int i = 0; i < n; i++) {
        s->ins[i] = tg_input(g, dt, args[i].ndim, args[i].shape, NULL);
        if (tg_graph_status(g) != TG_OK) return tg_graph_status(g);
        for (int64_t k = 0; k < numel[i]; k++) {
            if (dt == TG_F64) tg_f64(s->ins[i])[k] = x[i][k];
            else tg_f32(s->ins[i])[k] = (float)x[i][k];
        }
        if (!args[i].no_grad) tg_set_requires_grad(s->ins[i], true);
        s->ins[i]->name = args[i].name;
    }
    s->y = f(g, s->ins, n, ud);
    if (tg_graph_status(g) != TG_OK) return tg_graph_status(g);
    if (!s->y || s->y->graph != g)
        return tg__fail(g, TG_ERR_ARG, "tg_check_audit: the function "
                                       "returned NULL or a foreign tensor");
    int64_t nn = g->n_nodes;
    s->nn = nn;
    s->nodes = tg__arena_alloc(&g->arena, sizeof *s->nodes * (size_t)(nn + 1));
    s->targets = tg__arena_alloc(&g->arena,
                                 sizeof *s->targets * (size_t)(nn + n + 1));
    s->grads = tg__arena_alloc(&g->arena,
                               sizeof *s->grads * (size_t)(nn + n + 1));
    if (!s->nodes || !s->targets || !s->grads)
        return tg__fail(g, TG_ERR_OOM, "tg_check_audit: out of memory");
    int64_t k = nn;
    for (const tg_node *nd = g->tape; nd && k > 0; nd = nd->prev)
        s->nodes[--k] = nd;
    (void)w;
    return TG_OK;
}

/* gradients of sum(w y) with respect to every node output that requires
 * grad and to the differentiated inputs; NULL where none */
static tg_status grads_of(side *s, int n, const tg_check_arg *args,
                          const double *w, bool *has)
{
    tg_graph *g = s->g;
    int64_t m = 0;
    for (int64_t j = 0; j < s->nn; j++)
        if (has[j]) s->targets[m++] = s->nodes[j]->out;
    for (int i = 0; i < n; i++)
        if (!args[i].no_grad) s->targets[m++] = s->ins[i];
    if (m == 0 || !tg_requires_grad(s->y)) return TG_OK;
    tg_tensor *seed = tg_input(g, s->y->dtype, s->y->ndim, s->y->shape, NULL);
    if (tg_graph_status(g) != TG_OK) return tg_graph_status(g);
    for (int64_t k = 0; k < seed->numel; k++) {
        if (seed->dtype == TG_F64) tg_f64(seed)[k] = w[k];
        else tg_f32(seed)[k] = (float)w[k];
    }
    return tg_grad(g, &s->y, 1, &seed, s->targets, (int)m, false, s->grads);
}

static int cmp_rows(const void *a, const void *b)
{
    const tg_audit_row *x = a, *y = b;
    double ex = fmax(x->value_err, x->grad_err),
           ey = fmax(y->value_err, y->grad_err);
    if (isnan(ex)) ex = INFINITY;
    if (isnan(ey)) ey = INFINITY;
    return ex < ey ? 1 : ex > ey ? -1 : (x->node > y->node) - (x->node < y->node);
}

tg_status tg_check_audit(tg_check_fn f, void *ud, int n_inputs,
                         const tg_check_arg *inputs, const tg_check_opts *opts,
                         tg_audit_report *rep)
{
    if (!rep)
        return tg__set_last_error(TG_ERR_ARG, "tg_check_audit: the report is "
                                              "NULL");
    memset(rep, 0, sizeof *rep);
    if (!f || n_inputs < 0 || n_inputs > TG_CHECK_MAX_INPUTS ||
        (n_inputs > 0 && !inputs)) {
        snprintf(rep->message, sizeof rep->message,
                 "tg_check_audit: %s (%d inputs, allowed 0..%d); hint: pass "
                 "the function and its inputs as for tg_gradcheck",
                 !f ? "the function is NULL" : "bad inputs", n_inputs,
                 TG_CHECK_MAX_INPUTS);
        return tg__set_last_error(TG_ERR_ARG, "%s", rep->message);
    }
    tg_check_opts o = opts ? *opts : tg_check_defaults();
    int64_t numel[TG_CHECK_MAX_INPUTS];
    double *x[TG_CHECK_MAX_INPUTS] = {0};
    double *w = NULL;
    side s32 = {0}, s64 = {0};
    tg_status st = TG_OK;
    tg_rng rng;
    tg_rng_seed(&rng, o.seed);
    for (int i = 0; i < n_inputs && st == TG_OK; i++) {
        if (inputs[i].ndim < 0 || inputs[i].ndim > TG_MAX_DIMS ||
            !tg__numel(inputs[i].ndim, inputs[i].shape, &numel[i])) {
            snprintf(rep->message, sizeof rep->message,
                     "tg_check_audit: input %d has a bad shape (ndim %d)",
                     i + 1, inputs[i].ndim);
            st = tg__set_last_error(TG_ERR_SHAPE, "%s", rep->message);
            break;
        }
        x[i] = tg__malloc((size_t)(numel[i] ? numel[i] : 1) * sizeof(double));
        if (!x[i]) {
            st = TG_ERR_OOM;
            break;
        }
        for (int64_t k = 0; k < numel[i]; k++)
            x[i][k] = inputs[i].data ? inputs[i].data[k]
                                     : -1 + 2 * tg_rng_uniform(&rng);
    }
    if (st == TG_OK) {
        s32.g = tg_graph_new();
        s64.g = tg_graph_new();
        if (!s32.g || !s64.g) st = TG_ERR_OOM;
    }
    if (st == TG_OK) st = record(&s64, TG_F64, f, ud, n_inputs, inputs, x,
                                 numel, NULL);
    if (st == TG_OK) st = record(&s32, TG_F32, f, ud, n_inputs, inputs, x,
                                 numel, NULL);
    if (st != TG_OK && st != TG_ERR_OOM) {
        const char *e = tg_graph_error(s64.g) ? tg_graph_error(s64.g)
                        : s32.g ? tg_graph_error(s32.g) : NULL;
        snprintf(rep->message, sizeof rep->message,
                 "tg_check_audit: building the function: %s",
                 e ? e : tg_status_str(st));
        tg__set_last_error(st, "%s", rep->message);
        goto out;
    }
    if (st == TG_OK && s32.nn != s64.nn) {
        snprintf(rep->message, sizeof rep->message,
                 "tg_check_audit: the function recorded %lld nodes in f32 "
                 "and %lld in f64; hint: build with the inputs' dtype and "
                 "no branches on it",
                 (long long)s32.nn, (long long)s64.nn);
        st = tg__set_last_error(TG_ERR_STATE, "%s", rep->message);
        goto out;
    }
    for (int64_t j = 0; st == TG_OK && j < s64.nn; j++)
        if (s32.nodes[j]->op != s64.nodes[j]->op ||
            s32.nodes[j]->out->numel != s64.nodes[j]->out->numel) {
            snprintf(rep->message, sizeof rep->message,
                     "tg_check_audit: node #%lld is %s in f32 but %s in f64; "
                     "hint: build with the inputs' dtype and no branches on "
                     "it",
                     (long long)j, s32.nodes[j]->op->name,
                     s64.nodes[j]->op->name);
            st = tg__set_last_error(TG_ERR_STATE, "%s", rep->message);
        }
    if (st != TG_OK) goto out;
    if (s32.y->numel != s64.y->numel) {
        snprintf(rep->message, sizeof rep->message,
                 "tg_check_audit: the outputs differ in size");
        st = tg__set_last_error(TG_ERR_STATE, "%s", rep->message);
        goto out;
    }
    w = tg__malloc((size_t)(s64.y->numel ? s64.y->numel : 1) * sizeof(double));
    bool *has = tg__calloc((size_t)(s64.nn + 1) * sizeof(bool));
    if (!w || !has) {
        tg__free(has);
        st = TG_ERR_OOM;
        goto out;
    }
    for (int64_t k = 0; k < s64.y->numel; k++) {
        double m = 0.5 + tg_rng_uniform(&rng);
        w[k] = o.sum_only ? 1 : (tg_rng_next(&rng) >> 63) ? -m : m;
    }
    for (int64_t j = 0; j < s64.nn; j++)
        has[j] = tg_requires_grad(s64.y) &&
                 (s64.nodes[j]->out->flags & TG_TF_REQUIRES_GRAD) &&
                 (s32.nodes[j]->out->flags & TG_TF_REQUIRES_GRAD);
    st = grads_of(&s64, n_inputs, inputs, w, has);
    if (st == TG_OK) st = grads_of(&s32, n_inputs, inputs, w, has);
    if (st != TG_OK) {
        tg__free(has);
        if (st != TG_ERR_OOM) {
            snprintf(rep->message, sizeof rep->message,
                     "tg_check_audit: backward: %s",
                     tg_graph_error(s64.g) ? tg_graph_error(s64.g)
                                           : tg_graph_error(s32.g));
            tg__set_last_error(st, "%s", rep->message);
        }
        goto out;
    }
    /* all rows, then sorted, then the worst TG_AUDIT_MAX_ROWS kept */
    int64_t total = s64.nn + n_inputs;
    tg_audit_row *rows = tg__calloc((size_t)(total + 1) * sizeof *rows);
    if (!rows) {
        tg__free(has);
        st = TG_ERR_OOM;
        goto out;
    }
    int64_t nr = 0, gi = 0;
    for (int64_t j = 0; j < s64.nn; j++) {
        tg_audit_row *r = &rows[nr++];
        const tg_node *a = s32.nodes[j], *b = s64.nodes[j];
        snprintf(r->op, sizeof r->op, "%s", b->op->name);
        r->node = j;
        r->ndim = b->out->ndim;
        memcpy(r->shape, b->out->shape, sizeof(int64_t) * (size_t)b->out->ndim);
        r->value_err = rel_inf(a->out, b->out);
        r->grad_err = has[j] ? rel_inf(s32.grads[gi], s64.grads[gi]) : NAN;
        if (has[j]) gi++;
    }
    for (int i = 0; i < n_inputs; i++) {
        tg_audit_row *r = &rows[nr++];
        snprintf(r->op, sizeof r->op, "input %s",
                 inputs[i].name ? inputs[i].name : "");
        r->node = -1 - i;
        r->ndim = inputs[i].ndim;
        memcpy(r->shape, inputs[i].shape,
               sizeof(int64_t) * (size_t)inputs[i].ndim);
        r->value_err = rel_inf(s32.ins[i], s64.ins[i]);
        r->grad_err = inputs[i].no_grad || !tg_requires_grad(s64.y)
                          ? NAN
                          : rel_inf(s32.grads[gi], s64.grads[gi]);
        if (!inputs[i].no_grad && tg_requires_grad(s64.y)) gi++;
    }
    qsort(rows, (size_t)nr, sizeof *rows, cmp_rows);
    rep->n_rows_total = nr;
    rep->n_rows = nr < TG_AUDIT_MAX_ROWS ? (int)nr : TG_AUDIT_MAX_ROWS;
    memcpy(rep->rows, rows, sizeof *rows * (size_t)rep->n_rows);
    rep->output_err = rel_inf(s32.y, s64.y);
    tg__free(rows);
    tg__free(has);
out:
    if (st == TG_ERR_OOM) {
        snprintf(rep->message, sizeof rep->message,
                 "tg_check_audit: out of memory");
        tg__set_last_error(TG_ERR_OOM, "%s", rep->message);
    }
    tg_graph_free(s32.g);
    tg_graph_free(s64.g);
    for (int i = 0; i < n_inputs; i++) tg__free(x[i]);
    tg__free(w);
    return st;
}

void tg_audit_report_print(const tg_audit_report *r, void *file)
{
    FILE *f = file ? file : stdout;
    if (!r) return;
    fprintf(f, "f32 against f64 on the same data, relative rounding error "
               "per node (max |f32 - f64| / max |f64|; f32's unit roundoff "
               "is 6e-8), worst first:\n");
    fprintf(f, "%-6s %-22s %-14s %-12s %-12s\n", "node", "op", "shape",
            "value err", "grad err");
    for (int i = 0; i < r->n_rows; i++) {
        const tg_audit_row *w = &r->rows[i];
        char sb[TG_SHAPE_BUF], nb[24], ge[24];
        if (w->node >= 0) snprintf(nb, sizeof nb, "#%lld", (long long)w->node);
        else snprintf(nb, sizeof nb, "-");
        if (isnan(w->grad_err)) snprintf(ge, sizeof ge, "-");
        else snprintf(ge, sizeof ge, "%.3e", w->grad_err);
        fprintf(f, "%-6s %-22s %-14s %-12.3e %-12s\n", nb, w->op,
                tg__fmt_shape(sb, w->ndim, w->shape), w->value_err, ge);
    }
    if (r->n_rows_total > r->n_rows)
        fprintf(f, "(%lld more rows)\n",
                (long long)(r->n_rows_total - r->n_rows));
    fprintf(f, "output: %.3e\n", r->output_err);
}
