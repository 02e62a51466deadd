/* The graph (tape): lifetime, leaves, parameters, modes and tg__apply, the
 * single path by which every op validates, allocates, computes and records. */
#include "internal.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>

/* The default memory budget of a graph: half the physical memory (1 GiB
 * at least), or 8 GiB where the system does not say. A caller who
 * installed an allocation hook has a memory policy of their own (the hook
 * can refuse): no default budget then. */
bool tg__custom_allocator(void); /* src/memory.c */
static size_t default_budget(void)
{
    if (tg__custom_allocator()) return SIZE_MAX;
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || psize <= 0) return (size_t)8 << 30;
    uint64_t half = (uint64_t)pages * (uint64_t)psize / 2;
    if (half < ((uint64_t)1 << 30)) half = (uint64_t)1 << 30;
    return half > SIZE_MAX ? SIZE_MAX : (size_t)half;
}

tg_graph *tg_graph_new(void)
{
    tg_graph *g = tg__calloc(sizeof *g);
    if (!g) {
        tg__set_last_error(TG_ERR_OOM, "tg_graph_new: out of memory "
                                       "(allocating the graph)");
        return NULL;
    }
    g->grad_enabled = true;
    g->training = true;
    g->epoch = 1;
    g->arena.limit = default_budget();
    g->poison_data = NAN;
    g->poison.dtype = TG_F64;
    g->poison.numel = 1;
    g->poison.data = &g->poison_data;
    g->poison.graph = g;
    g->poison.flags = TG_TF_POISON | TG_TF_PERSISTENT;
    g->poison.name = "poison";
    tg_rng_seed(&g->rng, 0);
    return g;
}

static void free_param(tg_tensor *p)
{
    if (!p) return;
    tg__grad_restore(p); /* an absent gradient's buffer is freed too */
    if (p->grad) {
        tg__free(p->grad->data);
        tg__free(p->grad);
    }
    tg__free((void *)p->name);
    tg__free(p->data);
    tg__free(p);
}

void tg_graph_free(tg_graph *g)
{
    if (!g) return;
    for (int64_t i = 0; i < g->n_params; i++) free_param(g->params[i]);
    tg__free(g->params);
    tg__free(g->bw_stack);
    tg__free(g->bw_order);
    tg__free(g->bw_leaves);
    tg__free(g->bw_ready);
    tg__arena_free(&g->arena);
    tg__free(g);
}

void tg_graph_reset(tg_graph *g)
{
    if (!g) return;
    tg__arena_reset(&g->arena);
    g->tape = NULL;
    g->n_nodes = 0;
    g->epoch++;
    g->status = TG_OK;
    g->errmsg[0] = 0;
}

int64_t tg_graph_num_nodes(const tg_graph *g) { return g ? g->n_nodes : 0; }

tg_status tg_graph_set_memory_limit(tg_graph *g, int64_t bytes)
{
    if (!g)
        return tg__set_last_error(TG_ERR_ARG,
                                  "tg_graph_set_memory_limit: graph is NULL");
    if (bytes < 0)
        return tg__set_last_error(TG_ERR_ARG,
                                  "tg_graph_set_memory_limit: %lld bytes is "
                                  "negative; hint: 0 restores the default "
                                  "(half the physical memory)",
                                  (long long)bytes);
    g->arena.limit = bytes == 0 ? default_budget()
                     : (uint64_t)bytes > SIZE_MAX ? SIZE_MAX
                                                  : (size_t)bytes;
    return TG_OK;
}

int64_t tg_graph_memory_limit(const tg_graph *g)
{
    return g ? (int64_t)(g->arena.limit > INT64_MAX ? INT64_MAX
                                                    : g->arena.limit)
             : 0;
}

int64_t tg_graph_memory_used(const tg_graph *g)
{
    return g ? (int64_t)g->arena.held : 0;
}

/* Mode accessors accept NULL (answer false / do nothing) so a caller that
 * skipped a failed tg_graph_new does not crash here. */
bool tg_set_grad_enabled(tg_graph *g, bool on)
{
    if (!g) return false;
    bool old = g->grad_enabled;
    g->grad_enabled = on;
    return old;
}
bool tg_is_grad_enabled(const tg_graph *g) { return g && g->grad_enabled; }
bool tg_set_training(tg_graph *g, bool on)
{
    if (!g) return false;
    bool old = g->training;
    g->training = on;
    return old;
}
bool tg_is_training(const tg_graph *g) { return g && g->training; }
void tg_set_grad_ready_hook(tg_graph *g, tg_grad_ready_fn fn, void *ud)
{
    if (!g) return;
    g->grad_ready_fn = fn;
    g->grad_ready_ud = fn ? ud : NULL;
}

bool tg_set_anomaly(tg_graph *g, bool on)
{
    if (!g) return false;
    bool old = g->anomaly;
    g->anomaly = on;
    return old;
}
tg_rng *tg_graph_rng(tg_graph *g) { return g ? &g->rng : NULL; }

/* ---------------------------------------------------------------- leaves */

size_t tg_dtype_size(tg_dtype dt) { return tg__dtype_size(dt); }

const char *tg_dtype_name(tg_dtype dt)
{
    switch (dt) {
    case TG_F32: return "f32";
    case TG_F64: return "f64";
    case TG_I64: return "i64";
    case TG_BOOL: return "bool";
    }
    return "?";
}

bool tg_dtype_is_float(tg_dtype dt) { return tg__is_float(dt); }

static size_t dtype_size(tg_dtype dt) { return tg__dtype_size(dt); }

static bool check_leaf_args(tg_graph *g, const char *who, tg_dtype dt,
                            int ndim, const int64_t *shape, int64_t *numel)
{
    char sb[TG_SHAPE_BUF];
    if ((unsigned)dt >= TG_DTYPE_COUNT) {
        tg__fail(g, TG_ERR_ARG,
                 "%s: unknown dtype %d (use TG_F32, TG_F64, TG_I64 or "
                 "TG_BOOL)",
                 who, (int)dt);
        return false;
    }
    if (ndim < 0 || ndim > TG_MAX_DIMS || (ndim > 0 && !shape)) {
        tg__fail(g, TG_ERR_ARG,
                 "%s: ndim %d outside 0..%d or shape is NULL", who, ndim,
                 TG_MAX_DIMS);
        return false;
    }
    if (!tg__numel(ndim, shape, numel)) {
        tg__fail(g, TG_ERR_SHAPE,
                 "%s: shape %s has a negative dim or too many elements "
                 "(element count overflows)",
                 who, tg__fmt_shape(sb, ndim, shape));
        return false;
    }
    return true;
}

tg_tensor *tg__new_tensor(tg_graph *g, tg_dtype dt, int ndim,
                          const int64_t *shape, const char *who)
{
    int64_t numel;
    if (!check_leaf_args(g, who, dt, ndim, shape, &numel)) return NULL;
    tg_tensor *t = tg__hdr_alloc(&g->arena, g->epoch);
    void *data = t ? tg__arena_alloc(&g->arena,
                                     (size_t)numel * dtype_size(dt))
                   : NULL;
    if (!data) {
        char sb[TG_SHAPE_BUF];
        tg__fail(g, TG_ERR_OOM, "%s: out of memory allocating %s %s", who,
                 tg_dtype_name(dt),
                 tg__fmt_shape(sb, ndim, shape));
        return NULL;
    }
    memset(t, 0, sizeof *t);
    t->dtype = dt;
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++) t->shape[i] = shape[i];
    t->numel = numel;
    t->data = data;
    t->graph = g;
    t->epoch = g->epoch;
    return t;
}

static tg_tensor *make_leaf(tg_graph *g, const char *who, tg_dtype dt,
                            int ndim, const int64_t *shape, const void *data,
                            uint32_t flags)
{
    if (!g) {
        tg__set_last_error(TG_ERR_ARG, "%s: graph is NULL", who);
        return NULL;
    }
    if (g->status != TG_OK) return &g->poison;
    tg_tensor *t = tg__new_tensor(g, dt, ndim, shape, who);
    if (!t) return &g->poison;
    size_t bytes = (size_t)t->numel * dtype_size(dt);
    if (data) memcpy(t->data, data, bytes);
    else memset(t->data, 0, bytes);
    t->flags = flags;
    return t;
}

tg_tensor *tg_input(tg_graph *g, tg_dtype dt, int ndim, const int64_t *shape,
                    const void *data)
{
    return make_leaf(g, "tg_input", dt, ndim, shape, data, TG_TF_INPUT);
}

tg_tensor *tg_constant(tg_graph *g, tg_dtype dt, int ndim,
                       const int64_t *shape, const void *data)
{
    return make_leaf(g, "tg_constant", dt, ndim, shape, data,
                     TG_TF_CONSTANT);
}

tg_tensor *tg_full(tg_graph *g, tg_dtype dt, int ndim, const int64_t *shape,
                   double v)
{
    tg_tensor *t = make_leaf(g, "tg_full", dt, ndim, shape, NULL,
                             TG_TF_CONSTANT);
    if (!t || (t->flags & TG_TF_POISON)) return t;
    if (dt == TG_F32)
        for (int64_t i = 0; i < t->numel; i++) ((float *)t->data)[i] = (float)v;
    else if (dt == TG_F64)
        for (int64_t i = 0; i < t->numel; i++) ((double *)t->data)[i] = v;
    else if (dt == TG_I64)
        for (int64_t i = 0; i < t->numel; i++)
            ((int64_t *)t->data)[i] = tg__to_i64(v);
    else
        memset(t->data, v != 0, (size_t)t->numel);
    return t;
}

tg_tensor *tg_scalar(tg_graph *g, tg_dtype dt, double v)
{
    return tg_full(g, dt, 0, NULL, v);
}

tg_tensor *tg_param(tg_graph *g, tg_dtype dt, int ndim, const int64_t *shape,
                    const char *name)
{
    if (!g) {
        tg__set_last_error(TG_ERR_ARG, "tg_param: graph is NULL");
        return NULL;
    }
    int64_t numel;
    if (g->status != TG_OK) return NULL;
    if (!check_leaf_args(g, "tg_param", dt, ndim, shape, &numel)) return NULL;
    if (!tg_dtype_is_float(dt)) {
        tg__fail(g, TG_ERR_DTYPE,
                 "tg_param: %s: a parameter is f32 or f64, not %s; hint: "
                 "keep integer or boolean data in tg_input or tg_constant",
                 name ? name : "parameter", tg_dtype_name(dt));
        return NULL;
    }
    size_t bytes = (size_t)numel * dtype_size(dt);
    tg_tensor *p = tg__calloc(sizeof *p);
    tg_tensor *gr = p ? tg__calloc(sizeof *gr) : NULL;
    void *d = gr ? tg__calloc(bytes) : NULL;
    void *gd = d ? tg__calloc(bytes) : NULL;
    char *nm = NULL;
    bool ok = gd && tg__reserve((void **)&g->params, &g->cap_params,
                                g->n_params + 1, sizeof(tg_tensor *));
    if (ok && name) {
        size_t len = strlen(name) + 1;
        nm = tg__malloc(len);
        if (nm) memcpy(nm, name, len);
        else ok = false;
    }
    if (!ok) {
        tg__free(gd);
        tg__free(d);
        tg__free(gr);
        tg__free(p);
        char sb[TG_SHAPE_BUF];
        tg__fail(g, TG_ERR_OOM, "tg_param: out of memory allocating %s %s",
                 name ? name : "parameter", tg__fmt_shape(sb, ndim, shape));
        return NULL;
    }
    p->dtype = gr->dtype = dt;
    p->ndim = gr->ndim = ndim;
    for (int i = 0; i < ndim; i++) p->shape[i] = gr->shape[i] = shape[i];
    p->numel = gr->numel = numel;
    p->data = d;
    gr->data = gd;
    p->grad = gr;
    p->name = nm;
    p->graph = gr->graph = g;
    /* the gradient buffer starts as zeros, and holds no gradient yet */
    p->flags = TG_TF_PARAM | TG_TF_PERSISTENT | TG_TF_REQUIRES_GRAD |
               TG_TF_GRAD_ZERO;
    gr->flags = TG_TF_PERSISTENT | TG_TF_CONSTANT;
    g->params[g->n_params++] = p;
    return p;
}

int tg_graph_num_params(const tg_graph *g) { return g ? (int)g->n_params : 0; }

tg_tensor *tg_graph_param(const tg_graph *g, int i)
{
    if (!g || i < 0 || i >= g->n_params) return NULL;
    return g->params[i];
}

tg_status tg_set_requires_grad(tg_tensor *t, bool on)
{
    if (!t) return tg__set_last_error(TG_ERR_ARG,
                                      "tg_set_requires_grad: tensor is NULL");
    if (tg__stale(t)) return tg__stale_fail("tg_set_requires_grad", t);
    if (t->flags & TG_TF_POISON)
        return t->graph->status != TG_OK
                   ? t->graph->status
                   : tg__fail(t->graph, TG_ERR_STATE,
                              "tg_set_requires_grad: tensor is the poison "
                              "tensor of an earlier error");
    if (t->node)
        return tg__fail(t->graph, TG_ERR_STATE,
                        "tg_set_requires_grad: tensor is the output of "
                        "tg_%s, not a leaf; hint: use tg_detach to cut it "
                        "from the graph",
                        t->node->op->name);
    if (on && !tg_dtype_is_float(t->dtype))
        return tg__fail(t->graph, TG_ERR_DTYPE,
                        "tg_set_requires_grad: %s tensor%s%s cannot require "
                        "grad; hint: only f32 and f64 tensors have gradients "
                        "(tg_cast it first)",
                        tg_dtype_name(t->dtype), t->name ? " " : "",
                        t->name ? t->name : "");
    if (on) t->flags |= TG_TF_REQUIRES_GRAD;
    else t->flags &= ~(uint32_t)TG_TF_REQUIRES_GRAD;
    return TG_OK;
}

bool tg_requires_grad(const tg_tensor *t)
{
    if (tg__stale(t)) {
        tg__stale_fail("tg_requires_grad", t);
        return false;
    }
    return t && (t->flags & TG_TF_REQUIRES_GRAD);
}

tg_tensor *tg_detach(tg_tensor *x)
{
    if (!x) return NULL;
    tg_graph *g = x->graph;
    if (g->status != TG_OK || (x->flags & TG_TF_POISON)) return &g->poison;
    if (tg__stale(x)) {
        tg__stale_fail("tg_detach", x);
        return &g->poison;
    }
    tg_tensor *t = tg__hdr_alloc(&g->arena, g->epoch);
    if (!t) {
        tg__fail(g, TG_ERR_OOM, "tg_detach: out of memory");
        return &g->poison;
    }
    *t = *x;
    t->grad = NULL;
    t->node = NULL;
    t->name = x->name;
    t->flags = TG_TF_CONSTANT;
    t->epoch = g->epoch;
    t->bw_stamp = 0;
    t->bw_acc = NULL;
    return t;
}

/* Besides zeroing, mark the buffer as known to hold zeros, so that the
 * next backward writes its first contribution there instead of adding it
 * (see TG_TF_GRAD_ZERO). */
void tg_tensor_zero_grad(tg_tensor *t)
{
    if (tg__stale(t)) {
        tg__stale_fail("tg_tensor_zero_grad", t);
        return;
    }
    /* an absent gradient (cleared to none) gets its buffer back, zeroed */
    if (t && !(t->flags & TG_TF_POISON)) tg__grad_restore(t);
    if (t && t->grad && t->grad->data && !(t->flags & TG_TF_POISON)) {
        memset(t->grad->data, 0,
               (size_t)t->grad->numel * dtype_size(t->grad->dtype));
        t->flags |= TG_TF_GRAD_ZERO;
    }
}

bool tg_tensor_has_grad(const tg_tensor *t)
{
    return t && !tg__stale(t) && t->grad && !(t->flags & TG_TF_GRAD_ZERO);
}

tg_status tg_tensor_grad_written(tg_tensor *t)
{
    const char *who = "tg_tensor_grad_written";
    if (tg__stale(t)) return tg__stale_fail(who, t);
    if (t && !t->grad && tg__grad_kept(t))
        return tg__set_last_error(TG_ERR_ARG,
                                  "%s: %s has no gradient buffer: its "
                                  "gradient was cleared to none; hint: "
                                  "tg_tensor_zero_grad gives the buffer back "
                                  "(as zeros) to write into",
                                  who, t->name ? t->name : "the parameter");
    if (!t || !t->grad || (t->flags & TG_TF_POISON))
        return tg__set_last_error(TG_ERR_ARG,
                                  "%s: %s has no gradient buffer; hint: "
                                  "parameters (tg_param) have one, inputs "
                                  "after a backward that reached them",
                                  who, t ? (t->name ? t->name : "the tensor")
                                         : "NULL");
    t->flags &= ~(uint32_t)TG_TF_GRAD_ZERO;
    return TG_OK;
}

void tg_zero_grad(tg_graph *g)
{
    if (!g) return;
    for (int64_t i = 0; i < g->n_params; i++) tg_tensor_zero_grad(g->params[i]);
}

/* ------------------------------------------------------- tensor access */

/* Accessors answer a stale tensor with NULL or NaN and TG_ERR_STATE: its
 * data may belong to a newer tensor by now. */
int64_t *tg_i64(const tg_tensor *t)
{
    if (tg__stale(t)) {
        tg__stale_fail("tg_i64", t);
        return NULL;
    }
    return (t && t->dtype == TG_I64 && !(t->flags & TG_TF_POISON))
               ? (int64_t *)t->data : NULL;
}
bool *tg_bool(const tg_tensor *t)
{
    if (tg__stale(t)) {
        tg__stale_fail("tg_bool", t);
        return NULL;
    }
    return (t && t->dtype == TG_BOOL && !(t->flags & TG_TF_POISON))
               ? (bool *)t->data : NULL;
}
float *tg_f32(const tg_tensor *t)
{
    if (tg__stale(t)) {
        tg__stale_fail("tg_f32", t);
        return NULL;
    }
    return (t && t->dtype == TG_F32 && !(t->flags & TG_TF_POISON))
               ? (float *)t->data : NULL;
}
double *tg_f64(const tg_tensor *t)
{
    if (tg__stale(t)) {
        tg__stale_fail("tg_f64", t);
        return NULL;
    }
    return (t && t->dtype == TG_F64 && !(t->flags & TG_TF_POISON))
               ? (double *)t->data : NULL;
}

double tg_get(const tg_tensor *t, int64_t i)
{
    if (tg__stale(t)) {
        tg__stale_fail("tg_get", t);
        return NAN;
    }
    if (!t || !t->data || i < 0 || i >= t->numel) return NAN;
    switch (t->dtype) {
    case TG_F32: return (double)((const float *)t->data)[i];
    case TG_F64: return ((const double *)t->data)[i];
    case TG_I64: return (double)((const int64_t *)t->data)[i];
    case TG_BOOL: return ((const bool *)t->data)[i] ? 1.0 : 0.0;
    }
    return NAN;
}

double tg_item(const tg_tensor *t)
{
    if (tg__stale(t)) {
        tg__stale_fail("tg_item", t);
        return NAN;
    }
    return (t && t->numel == 1) ? tg_get(t, 0) : NAN;
}

/* ----------------------------------------------------------------- apply */

static tg_status check_input(tg_graph *g, const tg_node *n, int i,
                             const tg_tensor *t)
{
    if (!t)
        return tg__op_fail(g, n, TG_ERR_ARG, "input %d is NULL", i + 1);
    if (t->graph != g)
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "input %d belongs to a different graph; hint: "
                           "tensors of one op must share a graph",
                           i + 1);
    /* The poison tensor reaches an op only after a reset cleared the
     * error it stood for; it must not turn back into data. */
    if (t->flags & TG_TF_POISON)
        return tg__op_fail(g, n, TG_ERR_STATE,
                           "input %d is the poison tensor of an earlier "
                           "error; hint: check tg_graph_error before "
                           "tg_graph_reset",
                           i + 1);
    if (!(t->flags & TG_TF_PERSISTENT) && t->epoch != g->epoch)
        return tg__op_fail(g, n, TG_ERR_STATE,
                           "input %d is stale (created before the last "
                           "tg_graph_reset); hint: rebuild per-step tensors "
                           "after each reset",
                           i + 1);
    return TG_OK;
}

static void anomaly_check(tg_graph *g, const tg_node *n, const tg_tensor *t,
                          const char *what)
{
    int64_t bad = tg__first_nonfinite(t);
    if (bad < 0) return;
    char sb[TG_SHAPE_BUF], ins[600];
    size_t k = 0;
    ins[0] = 0;
    for (int i = 0; i < n->n_in && k < sizeof ins - TG_SHAPE_BUF - 4; i++)
        k += (size_t)snprintf(ins + k, sizeof ins - k, "%s%s", i ? ", " : "",
                              tg__fmt_shape(sb, n->in[i]->ndim,
                                            n->in[i]->shape));
    double v = tg_get(t, bad);
    tg__op_fail(g, n, TG_ERR_NUMERIC,
                "anomaly: %s holds %s at flat index %lld (node #%lld in "
                "forward order; inputs %s)",
                what, isnan(v) ? "NaN" : "Inf", (long long)bad,
                (long long)n->seq, ins);
}

void tg__anomaly_check_grad(tg_graph *g, const tg_node *n,
                            const tg_tensor *gx, int i);
void tg__anomaly_check_grad(tg_graph *g, const tg_node *n,
                            const tg_tensor *gx, int i)
{
    char what[64];
    snprintf(what, sizeof what, "the gradient of input %d", i + 1);
    anomaly_check(g, n, gx, what);
}

/* Bump allocation from the arena's current chunk, inlined for the
 * per-node records; tg__arena_alloc handles moving to the next chunk. */
static inline __attribute__((always_inline)) void *arena_bump(tg_arena *a,
                                                              size_t size)
{
    size = size ? (size + TG_ALIGN - 1) & ~(size_t)(TG_ALIGN - 1) : TG_ALIGN;
    tg__arena_chunk *c = a->cur;
    if (c && c->cap - c->used >= size) {
        void *p = c->mem + c->used;
        c->used += size;
        return p;
    }
    return tg__arena_alloc(a, size);
}

/* A recorded op: node and input array in one arena block; the output's
 * header comes from the header ring (tg__hdr_alloc), its data follows in
 * a second, 64-byte aligned block. */
typedef struct node_record {
    tg_node node;
    tg_tensor *in[];
} node_record;

/* Cleared in explicit 16-byte stores: compilers turn a memset of these
 * structs (even of 32 bytes, on a branch they guess cold) into `rep stos`,
 * whose start-up cost exceeded the rest of a 0-d op's bookkeeping. */
typedef uint64_t zero16 __attribute__((vector_size(16), aligned(8), may_alias));

static inline void zero_attrs(tg_attrs *a)
{
    const zero16 z = {0, 0};
    zero16 *v = (zero16 *)a;
    v[0] = z, v[1] = z, v[2] = z, v[3] = z; /* ax        */
    v[4] = z;                               /* nax, i[0] */
    v[5] = z, v[6] = z;                     /* i[1..3], f[0] */
    v[7] = z;                               /* f[1..2]   */
    a->f[3] = 0;
}
_Static_assert(sizeof(tg_attrs) == 136 &&
                   offsetof(tg_attrs, f) + 4 * sizeof(double) == 136,
               "zero_attrs clears 8 x 16 bytes and f[3]");

/* Fields next to each other that init_output clears with one 16-byte
 * store on 64-bit targets (field by field elsewhere, e.g. WebAssembly's
 * 32-bit pointers). */
#define TG_PAIRED(T, a, b, off) (offsetof(T, b) == offsetof(T, a) + (off))
#define OUTPUT_PAIRS                                                        \
    (TG_PAIRED(tg_tensor, numel, data, 8) &&                                \
     TG_PAIRED(tg_tensor, grad, name, 8) &&                                 \
     TG_PAIRED(tg_tensor, bw_stamp, bw_acc, 8) &&                           \
     TG_PAIRED(tg_tensor, bw_stamp, bw_flags, 4) &&                         \
     sizeof(void *) == 8)

static inline void init_output(tg_tensor *out, tg_dtype dt, tg_graph *g)
{
    const zero16 z = {0, 0};
    zero16 *sh = (zero16 *)out->shape;
    out->dtype = dt;
    out->ndim = 0;
    sh[0] = z, sh[1] = z, sh[2] = z, sh[3] = z;
    if (OUTPUT_PAIRS) {
        *(zero16 *)&out->numel = z;    /* numel, data                 */
        *(zero16 *)&out->grad = z;     /* grad, name                  */
        *(zero16 *)&out->bw_stamp = z; /* bw_stamp, bw_flags, bw_acc  */
    } else {
        out->numel = 0;
        out->data = NULL;
        out->grad = NULL;
        out->name = NULL;
        out->bw_stamp = 0;
        out->bw_flags = 0;
        out->bw_acc = NULL;
    }
    out->graph = g;
    out->node = NULL;
    out->flags = 0;
    out->epoch = g->epoch;
}
_Static_assert(TG_MAX_DIMS == 8, "init_output clears 8 dims");

/* The input whose shape the op's shape rule gives the output, where that
 * is plain without calling it: the rule "like input 0" (no rule), and
 * tg_shape_broadcast's own shortcuts (equal dims, or one operand a single
 * element with no more dims; see ops/elementwise.c), which cover nearly
 * every elementwise op. The element count is then the input's, counted
 * when it was made. NULL: call the rule. */
static inline const tg_tensor *shape_source(const tg_op *d,
                                            tg_tensor *const *in, int n_in)
{
    if (!d->shape) return in[0];
    if (d->shape != tg_shape_broadcast || n_in < 2) return NULL;
    const tg_tensor *a = in[0], *b = in[1];
    if (a->ndim == b->ndim) {
        int i = 0;
        while (i < a->ndim && a->shape[i] == b->shape[i]) i++;
        if (i == a->ndim) return a;
    }
    if (b->numel == 1 && b->ndim <= a->ndim) return a;
    if (a->numel == 1 && a->ndim <= b->ndim) return b;
    return NULL;
}

/* Outputs of at most this many bytes (a 0-d tensor, a few elements) keep
 * their data in the first bytes of the block that holds the node, which
 * starts TG_ALIGN-aligned: one allocation and one cache line less per
 * small op, and 64 of the 448 bytes a recorded 0-d op took. Kernels write
 * exactly numel elements (vector tails go through stack buffers), so the
 * node that follows is safe. Without recording there is no node block and
 * the data takes a bump of its own. */
#define INLINE_DATA 16

/* Everything after validation: allocate, infer the shape, compute, record.
 * With grad mode off nothing is recorded, so the node lives on the stack
 * for the length of the call and only the output header is allocated:
 * half the arena traffic of a VJP's ops in a plain backward pass. Every
 * field is written explicitly (no memset of the block), which on 0-d
 * graphs was a tenth of the cost of an op. Inlined into the one- and
 * two-input entry points, where the input count is a constant. */
static inline __attribute__((always_inline)) tg_tensor *
run_op(tg_graph *g, const tg_op *d, tg_tensor *const *in,
       int n_in, const tg_attrs *attr, bool needs, bool builtin)
{
    tg_node local;
    tg_node *n;
    tg_tensor *out;
    unsigned char *blk;
    bool rec = g->grad_enabled;
    if (rec) {
        blk = arena_bump(&g->arena, INLINE_DATA + sizeof(node_record) +
                                        sizeof(tg_tensor *) * (size_t)n_in);
        node_record *r = blk ? (node_record *)(blk + INLINE_DATA) : NULL;
        n = r ? &r->node : &local;
        n->in = r ? r->in : (tg_tensor **)in;
        out = r ? tg__hdr_alloc(&g->arena, g->epoch) : NULL;
        if (r)
            for (int i = 0; i < n_in; i++) r->in[i] = in[i];
    } else {
        n = &local;
        n->in = (tg_tensor **)in;
        blk = NULL; /* the data of small outputs goes to a bump of its own */
        out = tg__hdr_alloc(&g->arena, g->epoch);
    }
    n->op = d;
    n->n_in = n_in;
    n->builtin = builtin;
    if (!out) {
        tg__op_fail(g, n, TG_ERR_OOM, "out of memory recording the node");
        return &g->poison;
    }
    n->out = out;
    n->ctx = NULL;
    if (TG_PAIRED(tg_node, prev, mark, 8) &&
        TG_PAIRED(tg_node, prev, need, 12)) {
        *(zero16 *)&n->prev = (zero16){0, 0}; /* prev, mark, need */
    } else {
        n->prev = NULL;
        n->mark = n->need = 0;
    }
    n->seq = g->n_nodes;
    /* An op that declares no attributes reads no slot its shape rule did
     * not write (tests/test_op_attrs.c holds every built-in op to it), so
     * its slots are left as the block had them. */
    if (attr) n->attr = *attr;
    else if (d->attrs[0].name) zero_attrs(&n->attr);
    init_output(out, in[0]->dtype, g);

    const tg_tensor *like = shape_source(d, in, n_in);
    if (like) {
        out->ndim = like->ndim;
        for (int i = 0; i < like->ndim; i++) out->shape[i] = like->shape[i];
        out->numel = like->numel;
    } else if ((d->shape ? d->shape(g, n, out) : tg_shape_same(g, n, out)) !=
               TG_OK) {
        return &g->poison;
    } else if (!(out->ndim == 0
                     ? (out->numel = 1)
                     : tg__numel(out->ndim, out->shape, &out->numel))) {
        char sb[TG_SHAPE_BUF];
        tg__op_fail(g, n, TG_ERR_SHAPE,
                    "output shape %s has too many elements",
                    tg__fmt_shape(sb, out->ndim, out->shape));
        return &g->poison;
    }
    if (!(d->flags & TG_OPF_VIEW)) {
        size_t bytes = (size_t)out->numel * dtype_size(out->dtype);
        out->data = bytes <= INLINE_DATA && blk ? blk
                                                : arena_bump(&g->arena, bytes);
        if (!out->data) {
            char sb[TG_SHAPE_BUF];
            tg__op_fail(g, n, TG_ERR_OOM,
                        "out of memory allocating the output %s",
                        tg__fmt_shape(sb, out->ndim, out->shape));
            return &g->poison;
        }
    }

    if (d->forward(g, n) != TG_OK) return &g->poison;

    if (rec) {
        if (needs && d->vjp && tg__is_float(out->dtype))
            out->flags |= TG_TF_REQUIRES_GRAD;
        out->node = n;
        n->prev = g->tape;
        g->tape = n;
        g->n_nodes++;
    }
    if (g->anomaly) {
        anomaly_check(g, n, out, "the output");
        if (g->status != TG_OK) return &g->poison;
    }
    return out;
}

/* builtin: d is tg_ops[k], reached through an index (tg__apply) */
static tg_tensor *apply_op(const tg_op *d, tg_tensor *const *in, int n_in,
                           const tg_attrs *attr, bool builtin)
{
    tg_graph *g = NULL;
    for (int i = 0; i < n_in && !g; i++)
        if (in[i]) g = in[i]->graph;
    if (!g) {
        tg__set_last_error(TG_ERR_ARG, "%s%s: every input is NULL",
                           d->prefix ? d->prefix : "", d->name);
        return NULL;
    }
    if (g->status != TG_OK) return &g->poison;
    tg__sync_threads();

    /* Inputs are validated before anything is allocated: a stale input's
     * memory is intact only until the arena hands it out again. Messages
     * name the op (and read its inputs) through a stand-in node; only
     * those fields are set, zeroing the whole node cost more than the
     * checks on small graphs. */
    tg_node tmp;
    tmp.op = d;
    tmp.n_in = n_in;
    tmp.in = (tg_tensor **)in;
    int max_in = d->max_inputs > d->n_inputs ? d->max_inputs : d->n_inputs;
    if (n_in < d->n_inputs || n_in > max_in) {
        if (max_in == d->n_inputs)
            tg__op_fail(g, &tmp, TG_ERR_ARG, "takes %d input%s, got %d",
                        d->n_inputs, d->n_inputs == 1 ? "" : "s", n_in);
        else
            tg__op_fail(g, &tmp, TG_ERR_ARG, "takes %d to %d inputs, got %d",
                        d->n_inputs, max_in, n_in);
        return &g->poison;
    }
    bool needs = false;
    for (int i = 0; i < n_in; i++) {
        if (check_input(g, &tmp, i, in[i]) != TG_OK) return &g->poison;
        needs |= (in[i]->flags & TG_TF_REQUIRES_GRAD) != 0;
    }
    if (!(d->flags & TG_OPF_ANY_DTYPE))
        for (int i = 0; i < n_in; i++) {
            tg_dtype dt = in[i]->dtype;
            bool index = i < 32 && (d->index_inputs >> i & 1u);
            if (tg__is_float(dt) || (index && dt == TG_I64)) continue;
            char sb[TG_SHAPE_BUF];
            tg__op_fail(g, &tmp, TG_ERR_DTYPE,
                        "input %d is %s %s; hint: %s", i + 1,
                        tg_dtype_name(dt),
                        tg__fmt_shape(sb, in[i]->ndim, in[i]->shape),
                        index ? "indices and labels are i64 (or whole "
                                "numbers in f32/f64): tg_cast(t, TG_I64)"
                              : "this op computes with f32 or f64: "
                                "tg_cast(t, TG_F32) or tg_cast(t, TG_F64)");
            return &g->poison;
        }
    if (!(d->flags & TG_OPF_MIXED_DTYPE))
        for (int i = 1; i < n_in; i++)
            if (in[i]->dtype != in[0]->dtype) {
                tg__op_fail(g, &tmp, TG_ERR_DTYPE,
                            "dtypes differ: input 1 is %s, input %d is %s; "
                            "hint: convert with tg_cast",
                            tg_dtype_name(in[0]->dtype), i + 1,
                            tg_dtype_name(in[i]->dtype));
                return &g->poison;
            }
    return run_op(g, d, in, n_in, attr, needs, builtin);
}

tg_tensor *tg__apply_op(const tg_op *d, tg_tensor *const *in, int n_in,
                        const tg_attrs *attr)
{
    return apply_op(d, in, n_in, attr, false);
}

tg_tensor *tg__apply(int op, tg_tensor *const *in, int n_in,
                     const tg_attrs *attr)
{
    return apply_op(tg_ops[op], in, n_in, attr, true);
}

tg_tensor *tg_apply(const tg_op *op, tg_tensor *const *in, int n_in,
                    const tg_attrs *attrs)
{
    if (!op || !op->name || !op->forward) {
        tg__set_last_error(TG_ERR_ARG, "tg_apply: the op %s",
                           !op ? "is NULL" : !op->name ? "has no name"
                                                       : "has no forward");
        return NULL;
    }
    if (n_in < 0 || (n_in > 0 && !in)) {
        tg__set_last_error(TG_ERR_ARG, "tg_apply: %s: %d inputs at %p",
                           op->name, n_in, (const void *)in);
        return NULL;
    }
    tg_attrs def;
    if (!attrs) {
        def = tg_attrs_defaults(op);
        attrs = &def;
    }
    return tg__apply_op(op, in, n_in, attrs);
}

/* The checks check_input makes, folded into one test for the one- and
 * two-input entry points. Anything unusual (NULL, another graph, poison,
 * stale, an errored graph, a dtype mix, a wrong arity) takes tg__apply,
 * which checks again in its order and reports. */
static inline bool input_ok(const tg_graph *g, const tg_tensor *t)
{
    return t->graph == g && !(t->flags & TG_TF_POISON) &&
           ((t->flags & TG_TF_PERSISTENT) || t->epoch == g->epoch);
}

tg_tensor *tg__apply1(int op, tg_tensor *a, const tg_attrs *attr)
{
    const tg_op *d = tg_ops[op];
    tg_graph *g = a ? a->graph : NULL;
    if (g && g->status == TG_OK && (g->vjp_checked || input_ok(g, a)) &&
        d->n_inputs == 1 &&
        (tg__is_float(a->dtype) || (d->flags & TG_OPF_ANY_DTYPE))) {
        if (!g->vjp_checked) tg__sync_threads(); /* the pass synced */
        return run_op(g, d, &a, 1, attr,
                      (a->flags & TG_TF_REQUIRES_GRAD) != 0, true);
    }
    return tg__apply(op, &a, 1, attr);
}

tg_tensor *tg__apply2(int op, tg_tensor *a, tg_tensor *b,
                      const tg_attrs *attr)
{
    const tg_op *d = tg_ops[op];
    tg_tensor *in[2] = {a, b};
    tg_graph *g = a && b ? a->graph : NULL;
    if (g && g->status == TG_OK &&
        (g->vjp_checked || (input_ok(g, a) && input_ok(g, b))) &&
        (d->n_inputs == 2 || (d->n_inputs < 2 && d->max_inputs >= 2)) &&
        (a->dtype == b->dtype || (d->flags & TG_OPF_MIXED_DTYPE)) &&
        ((tg__is_float(a->dtype) && tg__is_float(b->dtype)) ||
         (d->flags & TG_OPF_ANY_DTYPE))) {
        if (!g->vjp_checked) tg__sync_threads(); /* the pass synced */
        return run_op(g, d, in, 2, attr,
                      ((a->flags | b->flags) & TG_TF_REQUIRES_GRAD) != 0,
                      true);
    }
    return tg__apply(op, in, 2, attr);
}
