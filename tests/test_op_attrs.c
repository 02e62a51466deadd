/* The attribute contract of the built-in ops (docs/adding-an-op.md, step
 * 2): an op reads from its node's tg_attrs the slots of the attributes
 * its descriptor declares and, after them, only values it derives itself.
 * An op that declares no attributes reads no slot its shape rule did not
 * write, whatever the slots hold when it is recorded (the engine leaves
 * them as they were).
 *
 * How it is checked: every gradient-check case of the expression
 * language's function table (every op's descriptor cases, and the
 * compositions') is built in f64 and differentiated twice with the
 * backward passes recorded, so the ops that only VJPs record are on the
 * tape too. Each recorded node of a built-in op is then recorded again,
 * in a graph of its own, on copies of its inputs: once with the
 * attributes it was recorded with (which must reproduce its output), once
 * with every slot the op neither declares nor lists in extras[] below
 * overwritten with poison (plausible values, so that a read gives wrong
 * numbers or a refusal rather than a crash); for an op that declares no
 * attributes that is every slot. The outputs and the input gradients of
 * the VJP (seeded with fixed values) must agree bit for bit. Every op of
 * tg_ops[] must have been met this way at least once, so a new op without
 * cases that no VJP records fails here too. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/expr.h"
#include "src/internal.h"
#include "tt.h"

#define MAX_IN 16
#define POISON_INT 3
#define POISON_AX 5
#define POISON_REAL 0.375

/* Ops that declare attributes and also keep values of their own in
 * slots they do not declare (docs/adding-an-op.md, "Attributes get names,
 * once"): filled by their C functions from arguments the declared
 * attributes cannot carry, zero meaning "derive it from the declared
 * attributes" or "absent". Each use is listed here, so that it is a
 * choice made in the open: the geometry of convolutions and pools per
 * axis in ax[] (and a convolution's per-axis output padding or kernel
 * size in f[]), avg_pool's count_include_pad = false in f[0], the
 * optional-input flags of the normalizations in i[1] and squeeze_all's
 * flag in i[2]. Every other undeclared slot of every op is poisoned; an
 * op that declares no attributes may have no entry. */
typedef struct extra {
    const char *op;
    bool ax;            /* ax[] and nax                                   */
    unsigned i, f;      /* bit k: i[k], f[k]                              */
} extra;

static const extra extras[] = {
    {"conv1d", true, 0, 0xf},           {"conv2d", true, 0, 0xf},
    {"conv_transpose1d", true, 0, 0xf}, {"conv_transpose2d", true, 0, 0xf},
    {"conv1d_weight", true, 0, 0xf},    {"conv2d_weight", true, 0, 0xf},
    {"max_pool1d", true, 0, 0},         {"max_pool2d", true, 0, 0},
    {"avg_pool1d", true, 0, 0x1},       {"avg_pool2d", true, 0, 0x1},
    {"adaptive_avg_pool1d", true, 0, 0}, {"adaptive_avg_pool2d", true, 0, 0},
    {"layer_norm", false, 0x2, 0},      {"batch_norm", false, 0x2, 0},
    {"squeeze", false, 0x4, 0},
};

static const extra *extra_of(const tg_op *op)
{
    for (size_t k = 0; k < sizeof extras / sizeof extras[0]; k++)
        if (!strcmp(op->name, extras[k].op)) return &extras[k];
    return NULL;
}

static int builtin_index(const tg_op *op)
{
    for (int i = 0; i < TG_OP_COUNT; i++)
        if (tg_ops[i] == op) return i;
    return -1;
}

/* Which slots the op's declared attributes occupy. */
typedef struct declared {
    bool list;
    bool i[4], f[4];
    int n;
} declared;

static declared declared_slots(const tg_op *op)
{
    declared d = {0};
    for (int k = 0; k < TG_OP_MAX_ATTRS && op->attrs[k].name; k++) {
        tg_attr_kind kind = op->attrs[k].kind;
        int s = tg__attr_slot(op, k);
        d.n++;
        if (kind == TG_ATTR_AXES || kind == TG_ATTR_SHAPE) d.list = true;
        else if (s >= 0 && kind == TG_ATTR_REAL) d.f[s] = true;
        else if (s >= 0) d.i[s] = true;
    }
    return d;
}

/* a with every slot the op neither declares nor lists in extras[]
 * poisoned. */
static tg_attrs poisoned(const tg_op *op, const tg_attrs *a)
{
    declared d = declared_slots(op);
    const extra *x = extra_of(op);
    tg_attrs p = *a;
    if (!d.list && !(x && x->ax)) {
        for (int k = 0; k < TG_MAX_DIMS; k++) p.ax[k] = POISON_AX;
        p.nax = 3;
    }
    for (int k = 0; k < 4; k++) {
        if (!d.i[k] && !(x && (x->i >> k & 1))) p.i[k] = POISON_INT;
        if (!d.f[k] && !(x && (x->f >> k & 1))) p.f[k] = POISON_REAL;
    }
    return p;
}

typedef struct outcome {
    bool ok;          /* recorded without error                           */
    char err[256];
    tg_dtype dt;
    int ndim;
    int64_t shape[TG_MAX_DIMS];
    int64_t nbytes;   /* of the output; then the gradients, concatenated */
    unsigned char *bytes;
    int64_t total;
} outcome;

static void outcome_free(outcome *o) { free(o->bytes); }

static void append(outcome *o, const tg_tensor *t)
{
    int64_t nb = t->numel * (int64_t)tg_dtype_size(t->dtype);
    unsigned char *b = realloc(o->bytes, (size_t)(o->total + nb + 1));
    if (!b) return;
    o->bytes = b;
    if (nb) memcpy(b + o->total, t->data, (size_t)nb);
    o->total += nb;
}

/* Record n's op on copies of n's inputs with attributes a, then its VJP
 * (recording off) for every float input, seeded with fixed values. */
static outcome replay(const tg_node *n, const tg_attrs *a)
{
    outcome o = {0};
    tg_graph *g = tg_graph_new();
    if (!g) return o;
    tg_tensor *in[MAX_IN], *fl[MAX_IN];
    int nf = 0;
    for (int i = 0; i < n->n_in; i++) {
        const tg_tensor *t = n->in[i];
        in[i] = tg_input(g, t->dtype, t->ndim, t->shape, t->data);
        if (tg_dtype_is_float(t->dtype) && tg_requires_grad(t)) {
            tg_set_requires_grad(in[i], true);
            fl[nf++] = in[i];
        }
    }
    tg_tensor *y = tg_apply(n->op, in, n->n_in, a);
    const char *e = tg_graph_error(g);
    if (!y || e) {
        snprintf(o.err, sizeof o.err, "%s", e ? e : "NULL output");
        tg_graph_free(g);
        return o;
    }
    o.ok = true;
    o.dt = y->dtype;
    o.ndim = y->ndim;
    memcpy(o.shape, y->shape, sizeof o.shape);
    append(&o, y);
    o.nbytes = o.total;
    if (nf > 0 && tg_requires_grad(y) && tg_dtype_is_float(y->dtype)) {
        tg_tensor *s = tg_full(g, y->dtype, y->ndim, y->shape, 0);
        for (int64_t k = 0; k < s->numel; k++) {
            double v = 0.5 + 0.25 * sin((double)k + 1);
            if (s->dtype == TG_F32) ((float *)s->data)[k] = (float)v;
            else ((double *)s->data)[k] = v;
        }
        tg_tensor *gr[MAX_IN];
        if (tg_grad(g, &y, 1, &s, fl, nf, false, gr) != TG_OK) {
            e = tg_graph_error(g);
            snprintf(o.err, sizeof o.err, "backward: %s", e ? e : "failed");
            o.ok = false;
        } else {
            for (int i = 0; i < nf; i++) append(&o, gr[i]);
        }
    }
    tg_graph_free(g);
    return o;
}

static bool same(const outcome *a, const outcome *b)
{
    if (a->ok != b->ok) return false;
    if (!a->ok) return true;
    return a->dt == b->dt && a->ndim == b->ndim &&
           !memcmp(a->shape, b->shape, sizeof(int64_t) * (size_t)a->ndim) &&
           a->total == b->total && a->nbytes == b->nbytes &&
           (a->total == 0 || !memcmp(a->bytes, b->bytes, (size_t)a->total));
}

/* ------------------------------------------------------ case building */

static bool parse_dims(const char *s, size_t n, int *nd, int64_t *shape)
{
    *nd = 0;
    if (n == 6 && !memcmp(s, "scalar", 6)) return true;
    size_t i = 0;
    while (i < n) {
        char *end;
        long long v = strtoll(s + i, &end, 10);
        if (end == s + i || *nd == TG_MAX_DIMS) return false;
        shape[(*nd)++] = v;
        i = (size_t)(end - s);
        if (i < n && s[i] != 'x') return false;
        i++;
    }
    return *nd > 0;
}

typedef struct meet {
    int met[TG_OP_COUNT];     /* nodes checked per op */
    int failed[TG_OP_COUNT];  /* of them, nodes whose results differed */
    int cases, nodes;
} meet;

/* Build one case "EXPR | NAME=SHAPE[:v,...] ... [| ...]", differentiate
 * it twice, and check every recorded node of a built-in op. */
static void run_case(meet *m, const char *cs, size_t len)
{
    char buf[1024];
    if (len >= sizeof buf) return;
    memcpy(buf, cs, len);
    buf[len] = 0;
    char *bar = strchr(buf, '|');
    if (!bar) return;
    *bar = 0;
    char *specs = bar + 1, *bar2 = strchr(specs, '|');
    if (bar2) *bar2 = 0;
    tg_expr *ex = NULL;
    tg__expr_err err;
    if (tg__expr_parse(buf, &ex, &err) != TG_OK) {
        fprintf(stderr, "case '%s' does not parse: %s\n", buf, err.msg);
        TT_CHECK(!"every case parses");
        return;
    }
    tg_graph *g = tg_graph_new();
    const char *names[MAX_IN];
    tg_tensor *leaves[MAX_IN], *fl[MAX_IN];
    int nl = 0, nf = 0;
    unsigned seed = 1;
    for (char *tok = strtok(specs, " \t"); tok && nl < MAX_IN;
         tok = strtok(NULL, " \t")) {
        char *eq = strchr(tok, '=');
        if (!eq) continue;
        *eq = 0;
        char *sh = eq + 1;
        tg_dtype dt = TG_F64;
        if (!strncmp(sh, "i64:", 4)) dt = TG_I64, sh += 4;
        else if (!strncmp(sh, "bool:", 5)) dt = TG_BOOL, sh += 5;
        char *colon = strchr(sh, ':');
        int nd;
        int64_t shape[TG_MAX_DIMS];
        if (!parse_dims(sh, colon ? (size_t)(colon - sh) : strlen(sh), &nd,
                        shape))
            continue;
        int64_t numel = 1;
        for (int k = 0; k < nd; k++) numel *= shape[k];
        double *v = calloc((size_t)(numel ? numel : 1), sizeof *v);
        if (colon) {
            char *p = colon + 1;
            for (int64_t k = 0; k < numel && *p; k++) {
                v[k] = strtod(p, &p);
                if (*p == ',') p++;
            }
        } else {
            for (int64_t k = 0; k < numel; k++) {
                seed = seed * 1103515245u + 12345u;
                v[k] = 2.0 * ((seed >> 8) & 0xffff) / 65535.0 - 1.0;
                if (dt == TG_BOOL) v[k] = v[k] > 0;
            }
        }
        names[nl] = tok;
        leaves[nl] = tg_full(g, dt, nd, shape, 0);
        for (int64_t k = 0; k < numel; k++) {
            if (dt == TG_I64) ((int64_t *)leaves[nl]->data)[k] = (int64_t)v[k];
            else if (dt == TG_BOOL) ((bool *)leaves[nl]->data)[k] = v[k] != 0;
            else ((double *)leaves[nl]->data)[k] = v[k];
        }
        free(v);
        int vi = -1;
        for (int k = 0; k < tg__expr_num_vars(ex); k++)
            if (!strcmp(tg__expr_var(ex, k), tok)) vi = k;
        if (dt == TG_F64 && vi >= 0 && tg__expr_var_differentiable(ex, vi)) {
            tg_set_requires_grad(leaves[nl], true);
            fl[nf++] = leaves[nl];
        }
        nl++;
    }
    tg_tensor *y = tg__expr_eval(ex, g, TG_F64, nl, names, leaves, NULL);
    if (y && !tg_graph_error(g) && nf > 0 && tg_requires_grad(y)) {
        tg_tensor *s = tg_full(g, TG_F64, y->ndim, y->shape, 1.0);
        tg_tensor *gr[MAX_IN], *gg[MAX_IN];
        if (tg_grad(g, &y, 1, &s, fl, nf, true, gr) == TG_OK) {
            tg_tensor *sum = NULL;
            for (int i = 0; i < nf; i++) {
                if (!tg_requires_grad(gr[i])) continue;
                tg_tensor *t = tg_sum_all(tg_mul(gr[i], gr[i]));
                sum = sum ? tg_add(sum, t) : t;
            }
            if (sum) tg_grad(g, &sum, 1, NULL, fl, nf, true, gg);
        }
    }
    if (tg_graph_error(g)) {
        fprintf(stderr, "case '%s': %s\n", buf, tg_graph_error(g));
        TT_CHECK(!"every case builds and differentiates twice");
    }
    m->cases++;
    for (const tg_node *n = g->tape; n; n = n->prev) {
        int k = builtin_index(n->op);
        if (k < 0 || (n->op->flags & TG_OPF_RANDOM) || n->n_in > MAX_IN)
            continue;
        /* the recorded attributes hold what the shape rule derived: the
         * reference records with them, the poisoned run without */
        outcome ref = replay(n, &n->attr);
        tg_attrs pa = poisoned(n->op, &n->attr);
        outcome poi = replay(n, &pa);
        m->met[k]++;
        m->nodes++;
        const tg_tensor *o = n->out;
        int64_t ob = o->numel * (int64_t)tg_dtype_size(o->dtype);
        if (!ref.ok || ref.nbytes != ob ||
            (ref.nbytes && memcmp(ref.bytes, o->data, (size_t)ref.nbytes))) {
            fprintf(stderr, "%s (case '%s'): recorded again, %s\n",
                    n->op->name, buf,
                    ref.ok ? "its output differs from the node's" : ref.err);
            m->failed[k]++;
        } else if (!same(&ref, &poi)) {
            if (!m->failed[k])
                fprintf(stderr,
                        "%s reads an attribute slot it does not declare "
                        "(case '%s'): with the undeclared slots poisoned "
                        "%s\n",
                        n->op->name, buf,
                        poi.ok ? "the output or the gradients differ"
                               : poi.err);
            m->failed[k]++;
        }
        outcome_free(&ref);
        outcome_free(&poi);
    }
    tg_graph_free(g);
    tg__expr_free(ex);
}

static void each_case(meet *m, const char *list)
{
    const char *p = list;
    while (p && *p) {
        const char *e = strchr(p, ';');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        while (len && (*p == ' ' || *p == '\n')) p++, len--;
        if (len) run_case(m, p, len);
        p = e ? e + 1 : NULL;
    }
}

/* ---------------------------------------------------------------- cases */

static void undeclared_slots_are_not_read(void)
{
    meet *m = calloc(1, sizeof *m);
    for (int i = 0; i < tg__expr_num_funcs(); i++) {
        const tg__expr_func *f = tg__expr_func_at(i);
        each_case(m, f->op ? f->op->cases : f->cases);
    }
    printf("%d cases, %d nodes recorded again\n", m->cases, m->nodes);
    TT_CHECK(m->cases > 200);
    /* extras[] names built-in ops that declare attributes */
    for (size_t k = 0; k < sizeof extras / sizeof extras[0]; k++) {
        const tg_op *op = tg_op_find(extras[k].op);
        TT_CHECK(op && builtin_index(op) >= 0 && op->attrs[0].name);
    }
    int unmet = 0, bad = 0;
    for (int k = 0; k < TG_OP_COUNT; k++) {
        if (m->failed[k]) {
            bad++;
            fprintf(stderr, "  %s: %d of %d nodes differ\n", tg_ops[k]->name,
                    m->failed[k], m->met[k]);
        }
        if (!m->met[k] && !(tg_ops[k]->flags & TG_OPF_RANDOM)) {
            unmet++;
            fprintf(stderr, "  %s: not recorded by any case\n",
                    tg_ops[k]->name);
        }
    }
    TT_CHECK(bad == 0);
    TT_CHECK(unmet == 0);
    free(m);
}

/* The poison is seen: an op that reads a slot it does not declare is
 * caught. A copy of tanh's descriptor that reads f[0] as a scale. */
static tg_status scaled_tanh_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    const tg_tensor *x = n->in[0];
    for (int64_t k = 0; k < x->numel; k++)
        tg_f64(n->out)[k] = n->attr.f[0] * tanh(tg_f64((tg_tensor *)x)[k]);
    return TG_OK;
}

static void poison_is_seen(void)
{
    static const tg_op reads_f0 = {.name = "reads_f0",
                                   .n_inputs = 1,
                                   .forward = scaled_tanh_fwd};
    tg_graph *g = tg_graph_new();
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(3), (double[]){1, 2, 3});
    tg_attrs a = {0};
    a.f[0] = 2;
    tg_tensor *y = tg_apply(&reads_f0, &x, 1, &a);
    TT_CHECK(y && y->node);
    tg_set_requires_grad(x, true);
    y = tg_apply(&reads_f0, &x, 1, &a);
    TT_CHECK(y->node != NULL);
    outcome ref = replay(y->node, &y->node->attr);
    tg_attrs pa = poisoned(&reads_f0, &y->node->attr);
    outcome poi = replay(y->node, &pa);
    TT_CHECK(ref.ok && poi.ok);
    TT_NEAR(((double *)ref.bytes)[0], 2 * tanh(1.0), 1e-15);
    TT_NEAR(((double *)poi.bytes)[0], POISON_REAL * tanh(1.0), 1e-15);
    TT_CHECK(!same(&ref, &poi));
    outcome_free(&ref);
    outcome_free(&poi);
    tg_graph_free(g);
}

/* The helpers VJPs record take their parent's attributes as declared
 * ones: through tg_apply, with the values checked. */
static void helpers_take_declared_attributes(void)
{
    tg_graph *g = tg_graph_new();
    /* layer_norm_rstd over the last 2 dims of [2, 2, 2], eps 0.5 */
    double xv[8] = {1, 2, 3, 4, -1, 0, 1, 6};
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(2, 2, 2), xv);
    tg_attrs a = tg_attrs_defaults(&tg_op_layer_norm_rstd);
    TT_CHECK(a.i[0] == 1 && a.f[0] == 1e-5);
    a.i[0] = 2, a.f[0] = 0.5;
    tg_tensor *r = tg_apply(&tg_op_layer_norm_rstd, &x, 1, &a);
    TT_CHECK(r->ndim == 3 && r->shape[0] == 2 && r->numel == 2);
    TT_NEAR(tg_f64(r)[0], 1 / sqrt(1.25 + 0.5), 1e-15);  /* var 1.25 */
    TT_NEAR(tg_f64(r)[1], 1 / sqrt(7.25 + 0.5), 1e-15);  /* var 7.25 */
    /* batch_norm_rstd: per channel of [2, 2] */
    tg_tensor *x2 = tg_input(g, TG_F64, TG_SHAPE(2, 2), xv);
    a = tg_attrs_defaults(&tg_op_batch_norm_rstd);
    a.f[0] = 0.25;
    r = tg_apply(&tg_op_batch_norm_rstd, &x2, 1, &a);
    TT_NEAR(tg_f64(r)[0], 1 / sqrt(1 + 0.25), 1e-15);    /* 1, 3 */
    TT_NEAR(tg_f64(r)[1], 1 / sqrt(1 + 0.25), 1e-15);    /* 2, 4 */
    TT_CHECK(!tg_graph_error(g));

    /* avg_pool_backward: 1-D kernel 2 stride 2 over 4, gradient [1,1,2] */
    double gv[2] = {2, 6};
    tg_tensor *gy = tg_input(g, TG_F64, TG_SHAPE(1, 1, 2), gv);
    a = tg_attrs_defaults(&tg_op_avg_pool_backward);
    int64_t geo[8] = {1, 2, 1, 2, 0, 0, 1, 4};
    memcpy(a.ax, geo, sizeof geo);
    a.nax = 8;
    tg_tensor *dx = tg_apply(&tg_op_avg_pool_backward, &gy, 1, &a);
    TT_CHECK(dx->numel == 4);
    for (int k = 0; k < 4; k++) TT_NEAR(tg_f64(dx)[k], k < 2 ? 1 : 3, 0);
    char buf[128];
    tg_node_attrs_str(tg_tensor_node(dx), false, buf, sizeof buf);
    TT_STREQ(buf, "geometry=[1,2,1,2,0,0,1,4]");
    TT_CHECK(!tg_graph_error(g));
    tg_graph_free(g);

    /* its errors: the geometry's length, a gradient of another size */
    g = tg_graph_new();
    gy = tg_input(g, TG_F64, TG_SHAPE(1, 1, 2), gv);
    a = tg_attrs_defaults(&tg_op_avg_pool_backward);
    tg_apply(&tg_op_avg_pool_backward, &gy, 1, &a);
    TT_STREQ(tg_graph_error(g),
             "tg_avg_pool_backward: geometry must hold 8 values (kernel, "
             "stride, padding, input size; each H then W, H = 1 for 1-D), "
             "got 0");
    tg_graph_free(g);
    g = tg_graph_new();
    gy = tg_input(g, TG_F64, TG_SHAPE(1, 1, 2), gv);
    geo[7] = 6; /* 3 windows, not 2 */
    memcpy(a.ax, geo, sizeof geo);
    a.nax = 8;
    tg_apply(&tg_op_avg_pool_backward, &gy, 1, &a);
    TT_STREQ(tg_graph_error(g),
             "tg_avg_pool_backward: the gradient [1,1,2] is not the pool's "
             "output size 1 x 3 for input 1 x 6; hint: check the geometry "
             "and ceil_mode");
    tg_graph_free(g);
}

TT_RUN(TT(poison_is_seen), TT(helpers_take_declared_attributes),
       TT(undeclared_slots_are_not_read))
