/* The public face of ops and nodes (tapegrad/op.h): attribute slots and
 * defaults, node accessors, saved values, the registry of user ops and
 * walking a recorded graph. */
#include "internal.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>

/* ------------------------------------------------------------ attributes */

static bool is_list(tg_attr_kind k)
{
    return k == TG_ATTR_AXES || k == TG_ATTR_SHAPE;
}

int tg__attr_slot(const tg_op *op, int k)
{
    int reals = 0, ints = 0;
    for (int j = 0; j < k; j++) {
        tg_attr_kind kj = op->attrs[j].kind;
        if (kj == TG_ATTR_REAL) reals++;
        else if (!is_list(kj)) ints++;
    }
    tg_attr_kind kk = op->attrs[k].kind;
    int s = kk == TG_ATTR_REAL ? reals : is_list(kk) ? 0 : ints;
    return s < 4 ? s : -1;
}

static int attr_index(const tg_op *op, const char *name)
{
    if (!op || !name) return -1;
    for (int k = 0; k < TG_OP_MAX_ATTRS && op->attrs[k].name; k++)
        if (!strcmp(op->attrs[k].name, name)) return k;
    return -1;
}

int64_t tg__to_i64(double v)
{
    if (isnan(v)) return 0;
    if (v >= 9223372036854775807.0) return INT64_MAX;
    if (v <= -9223372036854775808.0) return INT64_MIN;
    return (int64_t)v;
}

tg_attrs tg_attrs_defaults(const tg_op *op)
{
    tg_attrs a;
    memset(&a, 0, sizeof a);
    if (!op) return a;
    for (int k = 0; k < TG_OP_MAX_ATTRS && op->attrs[k].name; k++) {
        const tg_attr_def *d = &op->attrs[k];
        int s = tg__attr_slot(op, k);
        if (s < 0 || is_list(d->kind)) continue; /* lists default empty */
        if (d->kind == TG_ATTR_REAL) a.f[s] = d->def;
        else a.i[s] = tg__to_i64(d->def);
    }
    return a;
}

/* ----------------------------------------------------------------- nodes */

const tg_op *tg_node_op(const tg_node *n) { return n ? n->op : NULL; }
int tg_node_num_inputs(const tg_node *n) { return n ? n->n_in : 0; }
tg_tensor *tg_node_input(const tg_node *n, int i)
{
    return n && i >= 0 && i < n->n_in ? n->in[i] : NULL;
}
tg_tensor *tg_node_output(const tg_node *n) { return n ? n->out : NULL; }
int64_t tg_node_index(const tg_node *n) { return n ? n->seq : -1; }
const tg_attrs *tg_node_attrs(const tg_node *n) { return n ? &n->attr : NULL; }

double tg_node_real(const tg_node *n, const char *name)
{
    int k = attr_index(n ? n->op : NULL, name);
    if (k < 0 || is_list(n->op->attrs[k].kind)) return NAN;
    int s = tg__attr_slot(n->op, k);
    if (s < 0) return NAN;
    return n->op->attrs[k].kind == TG_ATTR_REAL ? n->attr.f[s]
                                                : (double)n->attr.i[s];
}

int64_t tg_node_int(const tg_node *n, const char *name)
{
    int k = attr_index(n ? n->op : NULL, name);
    if (k < 0 || is_list(n->op->attrs[k].kind)) return 0;
    int s = tg__attr_slot(n->op, k);
    if (s < 0) return 0;
    return n->op->attrs[k].kind == TG_ATTR_REAL ? tg__to_i64(n->attr.f[s])
                                                : n->attr.i[s];
}

int tg_node_list(const tg_node *n, const char *name, const int64_t **list)
{
    int k = attr_index(n ? n->op : NULL, name);
    if (k < 0 || !is_list(n->op->attrs[k].kind)) return -1;
    if (list) *list = n->attr.ax;
    return n->attr.nax < 0 ? 0 : n->attr.nax;
}

/* Append to buf (size bytes) at *k, counting what would be written. */
static void put(char *buf, size_t size, size_t *k, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void put(char *buf, size_t size, size_t *k, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t at = *k < size ? *k : size - 1;
    int w = vsnprintf(buf + at, size - at, fmt, ap);
    va_end(ap);
    if (w > 0) *k += (size_t)w;
}

int tg_node_attrs_str(const tg_node *n, bool all, char *buf, size_t size)
{
    char tmp[1];
    if (!buf || size == 0) buf = tmp, size = 1;
    buf[0] = 0;
    if (!n) return 0;
    const tg_op *op = n->op;
    const tg_attrs *a = &n->attr;
    size_t k = 0;
    for (int j = 0; j < TG_OP_MAX_ATTRS && op->attrs[j].name; j++) {
        const tg_attr_def *d = &op->attrs[j];
        int s = tg__attr_slot(op, j);
        if (s < 0) continue;
        bool list = is_list(d->kind);
        if (!all && (list ? d->kind == TG_ATTR_AXES && a->nax == 0
                          : d->kind == TG_ATTR_REAL
                                ? a->f[s] == d->def
                                : a->i[s] == tg__to_i64(d->def)))
            continue; /* the default */
        put(buf, size, &k, "%s%s=", k ? ", " : "", d->name);
        if (d->kind == TG_ATTR_REAL) {
            put(buf, size, &k, "%g", a->f[s]);
        } else if (d->kind == TG_ATTR_DTYPE) {
            put(buf, size, &k, "%s", tg_dtype_name((tg_dtype)a->i[s]));
        } else if (d->kind == TG_ATTR_AXES && a->nax == 0) {
            put(buf, size, &k, "all");
        } else if (is_list(d->kind)) {
            put(buf, size, &k, "[");
            for (int i = 0; i < a->nax && i < TG_MAX_DIMS; i++)
                put(buf, size, &k, "%s%lld", i ? "," : "", (long long)a->ax[i]);
            put(buf, size, &k, "]");
        } else {
            put(buf, size, &k, "%lld", (long long)a->i[s]);
        }
    }
    return (int)k;
}

/* ---------------------------------------------------------- saved values */

/* A user op's saved values: a list in the node's ctx (built-in ops keep
 * named structs there instead, so the list is only read for user ops). */
typedef struct saved_value {
    const char *name; /* the op's string, not copied */
    tg_tensor *t;
    struct saved_value *next;
} saved_value;

static bool is_builtin(const tg_op *op)
{
    for (int i = 0; i < TG_OP_COUNT; i++)
        if (tg_ops[i] == op) return true;
    return false;
}

tg_tensor *tg_node_save_new(tg_graph *g, tg_node *n, const char *name,
                            tg_dtype dt, int ndim, const int64_t *shape)
{
    if (!g || !n || !name) {
        if (g && n)
            tg__op_fail(g, n, TG_ERR_ARG,
                        "tg_node_save_new: the name is NULL");
        return NULL;
    }
    if (is_builtin(n->op)) {
        tg__op_fail(g, n, TG_ERR_STATE,
                    "tg_node_save_new: built-in ops keep their saved values "
                    "in their own context");
        return NULL;
    }
    char who[96];
    snprintf(who, sizeof who, "%s%s: saving '%s'",
             n->op->prefix ? n->op->prefix : "", n->op->name, name);
    tg_tensor *t = tg__new_tensor(g, dt, ndim, shape, who);
    saved_value *s = t ? tg__arena_alloc(&g->arena, sizeof *s) : NULL;
    if (!s) {
        if (t) tg__fail(g, TG_ERR_OOM, "%s: out of memory", who);
        return NULL;
    }
    t->flags = TG_TF_CONSTANT;
    t->name = name;
    s->name = name;
    s->t = t;
    s->next = n->ctx;
    n->ctx = s;
    return t;
}

tg_tensor *tg_node_saved(const tg_node *n, const char *name)
{
    if (!n || !name || is_builtin(n->op)) return NULL;
    for (const saved_value *s = n->ctx; s; s = s->next)
        if (!strcmp(s->name, name)) return s->t;
    return NULL;
}

/* -------------------------------------------------------------- registry */

/* User ops, append-only: an entry below `n_user` never changes, so
 * readers need no lock (the count is published with release order after
 * the entry is written); writers serialise on the mutex. */
#define MAX_USER_OPS 256
static const tg_op *user_ops[MAX_USER_OPS];
static _Atomic int n_user;
static pthread_mutex_t user_lock = PTHREAD_MUTEX_INITIALIZER;

int tg__user_op_count(void)
{
    return atomic_load_explicit(&n_user, memory_order_acquire);
}

int tg_op_count(void) { return TG_OP_COUNT + tg__user_op_count(); }

const tg_op *tg_op_at(int i)
{
    if (i < 0) return NULL;
    if (i < TG_OP_COUNT) return tg_ops[i];
    return i - TG_OP_COUNT < tg__user_op_count() ? user_ops[i - TG_OP_COUNT]
                                                 : NULL;
}

const tg_op *tg_op_find(const char *name)
{
    if (!name) return NULL;
    int n = tg_op_count();
    for (int i = 0; i < n; i++)
        if (!strcmp(tg_op_at(i)->name, name)) return tg_op_at(i);
    return NULL;
}

static bool valid_name(const char *s)
{
    if (!s || !(isalpha((unsigned char)*s) || *s == '_')) return false;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_')) return false;
    return true;
}

tg_status tg_op_register(const tg_op *op)
{
    if (!op)
        return tg__set_last_error(TG_ERR_ARG, "tg_op_register: op is NULL");
    if (!valid_name(op->name))
        return tg__set_last_error(TG_ERR_ARG,
                                  "tg_op_register: name '%s' is not an "
                                  "identifier",
                                  op->name ? op->name : "(null)");
    if (!op->forward || op->n_inputs < 0)
        return tg__set_last_error(TG_ERR_ARG,
                                  "tg_op_register: %s: %s", op->name,
                                  op->forward ? "n_inputs is negative"
                                              : "forward is NULL");
    pthread_mutex_lock(&user_lock);
    tg_status st = TG_OK;
    const tg_op *same = tg_op_find(op->name);
    if (same == op) {
        /* registered already */
    } else if (same) {
        st = tg__set_last_error(TG_ERR_ARG,
                                "tg_op_register: the name '%s' is taken by "
                                "another op; hint: prefix your ops' names",
                                op->name);
    } else if (n_user >= MAX_USER_OPS) {
        st = tg__set_last_error(TG_ERR_OOM,
                                "tg_op_register: %s: %d ops registered "
                                "already (the most there can be)",
                                op->name, MAX_USER_OPS);
    } else {
        int k = atomic_load_explicit(&n_user, memory_order_relaxed);
        user_ops[k] = op;
        atomic_store_explicit(&n_user, k + 1, memory_order_release);
    }
    pthread_mutex_unlock(&user_lock);
    return st;
}

/* ---------------------------------------------------------- introspection */

int64_t tg_graph_nodes(const tg_graph *g, const tg_node **nodes, int64_t cap)
{
    if (!g) return 0;
    int64_t n = g->n_nodes, k = n;
    for (const tg_node *p = g->tape; p && k > 0; p = p->prev) {
        k--;
        if (k < cap && nodes) nodes[k] = p;
    }
    return n;
}

const tg_node *tg_tensor_node(const tg_tensor *t)
{
    if (tg__stale(t)) {
        tg__stale_fail("tg_tensor_node", t);
        return NULL;
    }
    return t ? t->node : NULL;
}

tg_graph *tg_tensor_graph(const tg_tensor *t)
{
    if (tg__stale(t)) {
        tg__stale_fail("tg_tensor_graph", t);
        return NULL;
    }
    return t ? t->graph : NULL;
}

tg_tensor_kind tg_tensor_kind_of(const tg_tensor *t)
{
    if (tg__stale(t)) {
        tg__stale_fail("tg_tensor_kind_of", t);
        return TG_KIND_STALE;
    }
    if (!t || (t->flags & TG_TF_POISON)) return TG_KIND_POISON;
    if (t->node) return TG_KIND_OUTPUT;
    if (t->flags & TG_TF_PARAM) return TG_KIND_PARAM;
    if (t->flags & TG_TF_CONSTANT) return TG_KIND_CONSTANT;
    return TG_KIND_INPUT;
}
