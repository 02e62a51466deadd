/* The generic reverse pass. The only place that seeds, orders the sub-DAG,
 * decides which inputs need a gradient, reduces broadcast gradients back
 * to their input's shape and accumulates fan-in. Ops supply VJPs only. */
#include "internal.h"

#include <math.h>
#include <stdio.h>

void tg__anomaly_check_grad(tg_graph *g, const tg_node *n,
                            const tg_tensor *gx, int i);

enum { /* tg_tensor.bw_flags, valid while bw_stamp == current pass id */
    BW_TARGET = 1u << 0,   /* tg_grad asked for this tensor's gradient */
    BW_OWNED = 1u << 1,    /* bw_acc is a private buffer: add in place  */
    BW_LEAF_SEEN = 1u << 2, /* already on the pass's leaf list          */
    BW_FRESH_GRAD = 1u << 3, /* ->grad was made by this pass: copy, not add */
    BW_DIRECT = 1u << 4,     /* bw_acc is the leaf's own ->grad, written by
                              * a VJP into the zeros it held               */
    BW_READY_LISTED = 1u << 5 /* on the gradient-ready hook's list        */
};

typedef struct frame {
    tg_node *node;
    int next; /* next input to visit */
} frame;

static void touch(tg_tensor *t, uint32_t id)
{
    if (t->bw_stamp != id) {
        t->bw_stamp = id;
        t->bw_flags = 0;
        t->bw_acc = NULL;
    }
}

/* acc(t) += gx. Without create_graph the sum is formed in place once the
 * accumulator is a private buffer; the first contribution is only
 * referenced (it may alias another tensor's gradient, so never written). */
static inline __attribute__((always_inline)) bool
accumulate(tg_graph *g, tg_tensor *t, tg_tensor *gx, uint32_t id,
           bool create_graph)
{
    touch(t, id);
    if (!t->bw_acc) {
        t->bw_acc = gx;
        return true;
    }
    if (!create_graph && (t->bw_flags & BW_OWNED)) {
        tg_tensor *acc = t->bw_acc;
        if (acc->numel == 1 && gx->numel == 1 && acc->dtype == gx->dtype) {
            /* one element (the fan-in of 0-d graphs): no kernel call */
            if (acc->dtype == TG_F32)
                *(float *)acc->data += *(const float *)gx->data;
            else
                *(double *)acc->data += *(const double *)gx->data;
            return false;
        }
        tg__accumulate(acc, gx);
        return false;
    }
    t->bw_acc = tg_add(t->bw_acc, gx);
    if (!create_graph) t->bw_flags |= BW_OWNED;
    (void)g;
    return false;
}

/* Absent gradients. A parameter cleared to none keeps its buffer out of
 * sight; the next tg_backward that reaches it offers that buffer to the
 * VJP as a destination like a zeroed ->grad (values undefined until
 * written: it is only ever written whole) and puts it back in ->grad at
 * delivery, so the clear and the restore allocate nothing. */
void tg__grad_clear(tg_tensor *t)
{
    if (!t || !(t->flags & TG_TF_PARAM)) return;
    if (t->grad) {
        t->grad_kept = t->grad;
        t->grad = NULL;
    }
    t->flags |= TG_TF_GRAD_ZERO;
}

tg_tensor *tg__grad_restore(tg_tensor *t)
{
    tg_tensor *k = t ? tg__grad_kept(t) : NULL;
    if (k) {
        t->grad = k;
        t->grad_kept = NULL;
    }
    return t ? t->grad : NULL;
}

/* The buffer that receives a leaf's gradient: ->grad, or the kept buffer
 * of a parameter whose gradient is absent. */
static inline tg_tensor *grad_buffer(const tg_tensor *t)
{
    return t->grad ? t->grad : tg__grad_kept(t);
}

/* Whether the engine may offer input i of n its gradient buffer as the
 * destination of its gradient: a leaf holding no gradient (a zeroed
 * ->grad, or an absent one) whose buffer is current (a parameter's, or an
 * input's of this epoch), with no contribution yet in this pass, and not
 * also an earlier input of the same node (two slots of one node must not
 * write one buffer). */
static bool may_write_grad(const tg_graph *g, const tg_node *n, int i,
                           uint32_t id)
{
    const tg_tensor *t = n->in[i];
    if (t->node || !(t->flags & TG_TF_GRAD_ZERO)) return false;
    /* first: a shared parameter fails here at every use but its first */
    if (t->bw_stamp == id && t->bw_acc) return false;
    const tg_tensor *b = grad_buffer(t);
    if (!b) return false;
    if (!(b->flags & TG_TF_PERSISTENT) && b->epoch != g->epoch)
        return false;
    for (int j = 0; j < i; j++)
        if (n->in[j] == t) return false;
    return true;
}

static inline bool same_shape(const tg_tensor *a, const tg_tensor *b)
{
    if (a->ndim != b->ndim) return false;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return false;
    return true;
}

static bool wants_grad(const tg_tensor *t, uint32_t id, bool to_leaves)
{
    if (!(t->flags & TG_TF_REQUIRES_GRAD)) return false;
    if (t->bw_stamp == id && (t->bw_flags & BW_TARGET)) return true;
    if (!t->node) return to_leaves;
    return t->node->need == id;
}

/* The pass id wrapped around: stamps written 2^32 passes ago could equal
 * a new id and pass for this pass's (a parameter marked "already listed"
 * would get no gradient). Clear every stamp a pass can reach: persistent
 * tensors, the recorded nodes with their inputs and outputs, and the
 * tensors this call names. */
static void clear_stamps(tg_graph *g, tg_tensor *const *outs, int n_out,
                         tg_tensor *const *targets, int n_targets)
{
    for (int64_t i = 0; i < g->n_params; i++) g->params[i]->bw_stamp = 0;
    for (tg_node *n = g->tape; n; n = n->prev) {
        n->mark = n->need = 0;
        n->out->bw_stamp = 0;
        for (int i = 0; i < n->n_in; i++) n->in[i]->bw_stamp = 0;
    }
    for (int k = 0; k < n_out; k++) outs[k]->bw_stamp = 0;
    for (int i = 0; i < n_targets; i++) targets[i]->bw_stamp = 0;
}

/* Grow a scratch array only when full: the capacity test is inlined, the
 * call happens a few times per graph size. */
#define RESERVE(buf, cap, n, sz) ((n) <= (cap) || tg__reserve(&(buf), &(cap), (n), (sz)))

/* Post-order DFS from the outputs over tensors that require grad, with an
 * explicit stack: a chain of a million nodes must not touch the C stack.
 * A node is emitted after all its inputs, so whether it leads to a wanted
 * gradient (n->need) is settled at emission: no second sweep over the
 * tape, which on large graphs is a second pass through memory. */
static tg_status order_subdag(tg_graph *g, tg_tensor *const *outs, int n_out,
                              uint32_t id, bool to_leaves, int64_t *n_order,
                              int64_t *n_leaves)
{
    int64_t sp = 0, no = 0, nl = 0;
    for (int k = 0; k < n_out; k++) {
        tg_tensor *o = outs[k];
        if (!(o->flags & TG_TF_REQUIRES_GRAD)) continue;
        if (!o->node) {
            touch(o, id);
            if (!(o->bw_flags & BW_LEAF_SEEN)) {
                if (!RESERVE(g->bw_leaves, g->bw_leaves_cap, nl + 1,
                             sizeof(tg_tensor *)))
                    goto oom;
                o->bw_flags |= BW_LEAF_SEEN;
                ((tg_tensor **)g->bw_leaves)[nl++] = o;
            }
            continue;
        }
        if (o->node->mark == id) continue;
        if (!RESERVE(g->bw_stack, g->bw_stack_cap, sp + 1, sizeof(frame)))
            goto oom;
        o->node->mark = id;
        ((frame *)g->bw_stack)[sp++] = (frame){o->node, 0};
        while (sp > 0) {
            frame *f = &((frame *)g->bw_stack)[sp - 1];
            tg_node *n = f->node;
            if (f->next < n->n_in) {
                tg_tensor *t = n->in[f->next++];
                if (!(t->flags & TG_TF_REQUIRES_GRAD)) continue;
                if (t->node) {
                    if (t->node->mark == id) continue;
                    if (!RESERVE(g->bw_stack, g->bw_stack_cap, sp + 1,
                                 sizeof(frame)))
                        goto oom;
                    t->node->mark = id;
                    ((frame *)g->bw_stack)[sp++] = (frame){t->node, 0};
                } else {
                    touch(t, id);
                    if (t->bw_flags & BW_LEAF_SEEN) continue;
                    if (!RESERVE(g->bw_leaves, g->bw_leaves_cap, nl + 1,
                                 sizeof(tg_tensor *)))
                        goto oom;
                    t->bw_flags |= BW_LEAF_SEEN;
                    ((tg_tensor **)g->bw_leaves)[nl++] = t;
                }
            } else {
                if (!RESERVE(g->bw_order, g->bw_order_cap, no + 1,
                             sizeof(tg_node *)))
                    goto oom;
                for (int i = 0; i < n->n_in; i++)
                    if (wants_grad(n->in[i], id, to_leaves)) {
                        n->need = id;
                        break;
                    }
                ((tg_node **)g->bw_order)[no++] = n;
                sp--;
            }
        }
    }
    *n_order = no;
    *n_leaves = nl;
    return TG_OK;
oom:
    return tg__fail(g, TG_ERR_OOM,
                    "tg_backward: out of memory ordering the graph (%lld "
                    "nodes so far)",
                    (long long)no);
}

/* The nodes the search found, put in recording order: every pass then
 * calls the VJPs in the same order, the tape's, so a fan-in's terms are
 * added in the same order and tg_grad's gradient equals tg_backward's bit
 * for bit, with or without the hook. The search marked them (->mark);
 * they all sit on the tape at or below the newest output's node. */
static void tape_order(tg_node **order, int64_t n_order,
                       tg_tensor *const *outs, int n_out, uint32_t id)
{
    tg_node *n = NULL;
    for (int k = 0; k < n_out; k++) {
        tg_node *o = outs[k]->node;
        if (o && o->mark == id && (!n || o->seq > n->seq)) n = o;
    }
    for (int64_t k = n_order; k > 0; n = n->prev)
        if (n->mark == id) order[--k] = n;
}

/* For the gradient-ready hook: each leaf that will receive a gradient,
 * with the position in `order` of the last node to contribute to it (the
 * walk runs from the end of `order` down, so that is the smallest such
 * position; -1 for an output that is itself a leaf). The list comes out
 * sorted by position, so the walk pops leaves off its end as they become
 * final. */
typedef struct ready_entry {
    int64_t k;
    tg_tensor *t;
} ready_entry;

static tg_status order_ready(tg_graph *g, tg_tensor *const *outs, int n_out,
                             tg_node *const *order, int64_t n_order,
                             uint32_t id, int64_t *n_ready)
{
    int64_t nr = 0;
    for (int64_t k = -1; k < n_order; k++) {
        tg_tensor *const *in = k < 0 ? outs : order[k]->in;
        int n_in = k < 0 ? n_out : order[k]->n_in;
        if (k >= 0 && order[k]->need != id) continue;
        for (int i = 0; i < n_in; i++) {
            tg_tensor *t = in[i];
            if (t->node || !(t->flags & TG_TF_REQUIRES_GRAD)) continue;
            touch(t, id);
            if (t->bw_flags & BW_READY_LISTED) continue;
            if (!RESERVE(g->bw_ready, g->bw_ready_cap, nr + 1,
                         sizeof(ready_entry)))
                return tg__fail(g, TG_ERR_OOM,
                                "tg_backward: out of memory listing the "
                                "leaves for the gradient-ready hook");
            t->bw_flags |= BW_READY_LISTED;
            ((ready_entry *)g->bw_ready)[nr++] = (ready_entry){k, t};
        }
    }
    *n_ready = nr;
    return TG_OK;
}

/* Report to the hook every listed leaf whose last contributor sits above
 * position `k` of the order (all of them for k = INT64_MIN). */
static void fire_ready(tg_graph *g, int64_t k, int64_t *n_ready)
{
    ready_entry *r = g->bw_ready;
    while (*n_ready > 0 && r[*n_ready - 1].k > k) {
        tg_tensor *t = r[--*n_ready].t;
        if (t->bw_acc) g->grad_ready_fn(t, t->bw_acc, g->grad_ready_ud);
    }
}

static tg_status check_outputs(tg_graph *g, const char *who,
                               tg_tensor *const *outs, int n_out,
                               tg_tensor *const *seeds)
{
    char s1[TG_SHAPE_BUF], s2[TG_SHAPE_BUF];
    for (int k = 0; k < n_out; k++) {
        tg_tensor *o = outs[k];
        if (!o)
            return tg__fail(g, TG_ERR_ARG, "%s: output %d is NULL", who, k + 1);
        if (o->graph != g)
            return tg__fail(g, TG_ERR_ARG,
                            "%s: output %d belongs to a different graph", who,
                            k + 1);
        if (o->flags & TG_TF_POISON)
            return g->status != TG_OK
                       ? g->status
                       : tg__fail(g, TG_ERR_STATE,
                                  "%s: output %d is the poison tensor of an "
                                  "earlier error",
                                  who, k + 1);
        if (!(o->flags & TG_TF_PERSISTENT) && o->epoch != g->epoch)
            return tg__fail(g, TG_ERR_STATE,
                            "%s: output %d is stale (created before the last "
                            "tg_graph_reset)",
                            who, k + 1);
        tg_tensor *s = seeds ? seeds[k] : NULL;
        if (s) {
            if (s->graph != g || (s->flags & TG_TF_POISON))
                return tg__fail(g, TG_ERR_ARG,
                                "%s: seed %d is poison or from another graph",
                                who, k + 1);
            if (!(s->flags & TG_TF_PERSISTENT) && s->epoch != g->epoch)
                return tg__fail(g, TG_ERR_STATE,
                                "%s: seed %d is stale (created before the "
                                "last tg_graph_reset)",
                                who, k + 1);
            if (!tg__same_shape(s, o) || s->dtype != o->dtype)
                return tg__fail(g, TG_ERR_SHAPE,
                                "%s: seed %d has shape %s %s but output is %s "
                                "%s; hint: the seed must match the output",
                                who, k + 1,
                                tg__fmt_shape(s1, s->ndim, s->shape),
                                tg_dtype_name(s->dtype),
                                tg__fmt_shape(s2, o->ndim, o->shape),
                                tg_dtype_name(o->dtype));
        } else if (o->numel != 1) {
            return tg__fail(g, TG_ERR_SHAPE,
                            "%s: output %d has shape %s, not one element; "
                            "hint: reduce it (tg_sum_all) or pass a seed "
                            "(tg_backward_seed)",
                            who, k + 1, tg__fmt_shape(s1, o->ndim, o->shape));
        }
    }
    return TG_OK;
}

/* The state of one reverse pass, shared by its steps. */
typedef struct pass {
    tg_graph *g;
    const char *who;             /* the public function, for messages      */
    tg_tensor *const *outs;      /* outputs and their seeds (NULL = ones)  */
    tg_tensor *const *seeds;
    int n_out;
    tg_tensor *const *targets;   /* tg_grad's inputs; NULL: every leaf     */
    int n_targets;
    bool create_graph;
    uint32_t id;                 /* this pass's stamp                      */
    tg_node **order;             /* the sub-DAG, inputs before users       */
    int64_t n_order, n_leaves, n_ready;
    /* tg_backward without the hook walks the tape instead of an order:
     * from the newest output's node back along ->prev, each node taken
     * once its output holds a gradient, until no node that received one
     * is left (`pending`); the leaves are listed as they receive theirs. */
    bool tape;
    tg_node *start;              /* the walk's first node                   */
    int64_t pending;             /* nodes given a gradient, not yet walked */
    bool hook;                   /* report final leaf gradients            */
    bool anomaly;                /* the graph's anomaly mode, off meanwhile */
} pass;

/* Step 1: the arguments. Outputs, seeds and targets must be live tensors
 * of this graph; with no targets something must require grad. */
static tg_status validate(pass *p)
{
    tg_graph *g = p->g;
    if (g->status != TG_OK) return g->status;
    if (p->n_out < 1 || !p->outs)
        return tg__fail(g, TG_ERR_ARG, "%s: no outputs given", p->who);
    tg_status st = check_outputs(g, p->who, p->outs, p->n_out, p->seeds);
    if (st != TG_OK) return st;
    for (int i = 0; i < p->n_targets; i++) {
        tg_tensor *t = p->targets[i];
        if (!t || t->graph != g || (t->flags & TG_TF_POISON))
            return tg__fail(g, TG_ERR_ARG,
                            "%s: input %d is NULL, poison or from another "
                            "graph",
                            p->who, i + 1);
        if (!(t->flags & TG_TF_PERSISTENT) && t->epoch != g->epoch)
            return tg__fail(g, TG_ERR_STATE,
                            "%s: input %d is stale (created before the last "
                            "tg_graph_reset)",
                            p->who, i + 1);
    }
    if (!p->targets) {
        bool any = false;
        for (int k = 0; k < p->n_out; k++)
            any |= (p->outs[k]->flags & TG_TF_REQUIRES_GRAD) != 0;
        if (!any)
            return tg__fail(g, TG_ERR_STATE,
                            "%s: the output does not require grad (no "
                            "parameter or input with requires_grad reaches "
                            "it); hint: was it built with grad mode off?",
                            p->who);
    }
    return TG_OK;
}

/* Step 2: a fresh pass id, the targets marked, the sub-DAG ordered and,
 * for the gradient-ready hook, the leaves listed by when they become
 * final. */
static tg_status order(pass *p)
{
    tg_graph *g = p->g;
    p->id = ++g->bw_id;
    if (p->id == 0) { /* 0 means "never visited" */
        clear_stamps(g, p->outs, p->n_out, p->targets, p->n_targets);
        p->id = ++g->bw_id;
    }
    for (int i = 0; i < p->n_targets; i++) {
        touch(p->targets[i], p->id);
        p->targets[i]->bw_flags |= BW_TARGET;
    }
    /* Without targets or hook no order is needed: the tape is one already
     * (every input is recorded before its users), and without targets
     * every tensor that requires grad leads to a leaf that does, so which
     * nodes to differentiate is known from the gradients as they arrive.
     * The order's pass over the sub-DAG, a second pass through memory on
     * large graphs, is saved. */
    p->tape = !p->targets && !g->grad_ready_fn;
    if (p->tape) {
        p->start = NULL;
        for (int k = 0; k < p->n_out; k++) {
            tg_node *n = p->outs[k]->node;
            if (n && (p->outs[k]->flags & TG_TF_REQUIRES_GRAD) &&
                (!p->start || n->seq > p->start->seq))
                p->start = n;
        }
        p->n_order = p->n_leaves = p->pending = 0;
        p->hook = false;
        return TG_OK;
    }
    tg_status st = order_subdag(g, p->outs, p->n_out, p->id, !p->targets,
                                &p->n_order, &p->n_leaves);
    if (st != TG_OK) return st;
    p->order = g->bw_order;
    tape_order(p->order, p->n_order, p->outs, p->n_out, p->id);
    /* The hook sees gradients that will be delivered to ->grad, so only
     * tg_backward's passes (no targets, nothing recorded) report. */
    p->hook = g->grad_ready_fn && !p->targets && !p->create_graph;
    if (p->hook)
        return order_ready(g, p->outs, p->n_out, p->order, p->n_order, p->id,
                           &p->n_ready);
    return TG_OK;
}

/* The tape walk's list of leaves given a gradient; the caller reserved
 * room. */
static inline void list_leaf(tg_graph *g, int64_t *nl, tg_tensor *t)
{
    ((tg_tensor **)g->bw_leaves)[(*nl)++] = t;
}

/* Room for `want` entries in the tape walk's leaf list; false, with the
 * pass failed, when there is none. */
static bool leaf_room(const pass *p, int64_t want)
{
    tg_graph *g = p->g;
    if (RESERVE(g->bw_leaves, g->bw_leaves_cap, want, sizeof(tg_tensor *)))
        return true;
    tg__fail(g, TG_ERR_OOM, "%s: out of memory listing the leaves", p->who);
    return false;
}

/* Step 3: each output's gradient starts as its seed (ones when none). */
static void seed(pass *p)
{
    tg_graph *g = p->g;
    if (p->tape && !leaf_room(p, p->n_out)) return;
    for (int k = 0; k < p->n_out && g->status == TG_OK; k++) {
        tg_tensor *o = p->outs[k];
        if (!(o->flags & TG_TF_REQUIRES_GRAD) && !(o->bw_stamp == p->id))
            continue;
        tg_tensor *s = p->seeds ? p->seeds[k] : NULL;
        if (s && p->anomaly) {
            int64_t bad = tg__first_nonfinite(s);
            if (bad >= 0) {
                tg__fail(g, TG_ERR_NUMERIC,
                         "%s: anomaly: seed %d holds %s at flat index %lld",
                         p->who, k + 1, isnan(tg_get(s, bad)) ? "NaN" : "Inf",
                         (long long)bad);
                return;
            }
        }
        if (!s) s = tg_full(g, o->dtype, o->ndim, o->shape, 1.0);
        if (g->status != TG_OK) return;
        if (accumulate(g, o, s, p->id, p->create_graph) && p->tape) {
            if (o->node) p->pending++;
            else list_leaf(g, &p->n_leaves, o);
        }
    }
}

/* Step 4: the nodes in reverse order, each op's VJP called for the inputs
 * that need a gradient, each result reduced to its input's shape and
 * accumulated (fan-in).
 *
 * Destinations: leaves whose ->grad is known to be zero (TG_TF_GRAD_ZERO)
 * are offered their ->grad as the destination of their first contribution
 * when the pass delivers (tg_backward) without recording. An op that
 * supports it (linear's weight and bias gradients) writes there directly,
 * and the arena copy and the addition into ->grad disappear; every other
 * op ignores the offer. docs/architecture.md has what it saves. */
static void walk(pass *p)
{
    tg_graph *g = p->g;
    uint32_t id = p->id;
    bool to_leaves = !p->targets;
    bool direct_ok = !p->targets && !p->create_graph;
    /* the pass's settings in locals: the VJP calls would make the compiler
     * read them again from *p at every node */
    const bool hook = p->hook, anomaly = p->anomaly;
    const bool create_graph = p->create_graph;
    tg_node *const *order = p->order;
    const bool tape = p->tape;
    tg_node *next = p->start;
    int64_t pending = p->pending, nl = p->n_leaves;
    bool small_need[8];
    tg_tensor *small_gx[8];
    for (int64_t k = p->n_order - 1; g->status == TG_OK; k--) {
        tg_node *n;
        if (tape) {
            if (pending == 0 || !next) break;
            n = next;
            next = n->prev;
        } else {
            if (k < 0) break;
            n = order[k];
            if (hook) fire_ready(g, k, &p->n_ready);
            if (n->need != id) continue;
        }
        tg_tensor *gy = n->out->bw_stamp == id ? n->out->bw_acc : NULL;
        if (!gy) continue;
        pending--; /* (counted in the tape walk only) */
        bool *need = small_need;
        tg_tensor **gx = small_gx;
        if (n->n_in > 8) {
            need = tg__arena_alloc(&g->arena, sizeof *need * (size_t)n->n_in);
            gx = tg__arena_alloc(&g->arena, sizeof *gx * (size_t)n->n_in);
            if (!need || !gx) {
                tg__fail(g, TG_ERR_OOM, "%s: out of memory", p->who);
                break;
            }
        }
        bool any = false;
        uint64_t offered = 0; /* bit i: gx[i] arrives as a destination */
        /* in locals: the stores to need[] (bool, which may alias
         * anything) would make the compiler read them again */
        const int n_in = n->n_in;
        tg_tensor *const *ins = n->in;
        for (int i = 0; i < n_in; i++) {
            tg_tensor *in = ins[i];
            const bool w = tape ? (in->flags & TG_TF_REQUIRES_GRAD) != 0
                                : wants_grad(in, id, to_leaves);
            need[i] = w;
            any |= w;
            gx[i] = NULL;
            if (direct_ok && w && i < 64 && may_write_grad(g, n, i, id)) {
                gx[i] = grad_buffer(in);
                offered |= (uint64_t)1 << i;
            }
        }
        if (!any) continue;
        /* room for every input on the leaf list before the VJP can write
         * a leaf's buffer: a written buffer not on the list could not be
         * restored if the pass fails */
        if (tape && offered && !leaf_room(p, nl + n_in)) break;
        /* a slice of a tensor whose gradient already has a private
         * accumulator adds into its rows there (see tg__slice_add_into) */
        if (n->op == &tg_op_slice && !create_graph && !anomaly &&
            need[0] && n->in[0]->bw_stamp == id && n->in[0]->bw_acc &&
            (n->in[0]->bw_flags & BW_OWNED) &&
            tg__slice_add_into(n, gy, n->in[0]->bw_acc))
            continue;
        /* a matrix b whose gradient already has a private accumulator
         * (a weight shared by many products) gets this product's part
         * added there by the gemm itself (see tg__matmul_add_into_b) */
        if (n->op == &tg_op_matmul && !create_graph && !anomaly && need[1] &&
            n->in[1]->bw_stamp == id && n->in[1]->bw_acc &&
            (n->in[1]->bw_flags & BW_OWNED) &&
            tg__matmul_add_into_b(n, gy, n->in[1]->bw_acc)) {
            need[1] = false;
            gx[1] = NULL;
            offered &= ~(uint64_t)2;
            if (!need[0]) continue;
        }
        g->vjp_checked = n->builtin;
        n->op->vjp(g, n, gy, need, gx);
        g->vjp_checked = false;
        /* Every input is looked at even after a failure (of the VJP, or
         * of an earlier input's gradient): a buffer the VJP wrote in place
         * must be flagged, or the failed pass could not give it its zeros
         * back (undo_direct). Nothing else is done once the pass failed. */
        for (int i = 0; i < n_in; i++) {
            if (!need[i] || !gx[i]) continue;
            tg_tensor *in = ins[i];
            tg_tensor *d = gx[i];
            if (((offered >> i) & 1) && d == grad_buffer(in)) {
                /* written in place: the first contribution, so the total */
                if (tape) {
                    touch(in, id);
                    list_leaf(g, &nl, in);
                }
                in->bw_acc = d;
                in->bw_flags |= BW_OWNED | BW_DIRECT;
                if (anomaly && g->status == TG_OK)
                    tg__anomaly_check_grad(g, n, d, i);
                continue;
            }
            if (g->status != TG_OK) continue;
            if (!same_shape(d, in)) d = tg__sum_to(d, in->ndim, in->shape);
            if (anomaly && g->status == TG_OK)
                tg__anomaly_check_grad(g, n, d, i);
            if (g->status != TG_OK) continue;
            if (accumulate(g, in, d, id, create_graph) && tape) {
                if (in->node) {
                    pending++;
                } else if (!leaf_room(p, nl + 1)) {
                    /* the pass fails: nothing is delivered, and this
                     * leaf's buffer was not written */
                    continue;
                } else {
                    list_leaf(g, &nl, in);
                }
            }
            /* finite parts can still overflow when summed */
            if (anomaly && in->bw_acc != d && g->status == TG_OK)
                tg__anomaly_check_grad(g, n, in->bw_acc, i);
        }
    }
    p->n_leaves = nl;
    if (hook && g->status == TG_OK) fire_ready(g, INT64_MIN, &p->n_ready);
}

static size_t grad_bytes(const tg_tensor *t)
{
    return (size_t)t->numel * (t->dtype == TG_F64 ? 8 : 4);
}

/* Step 5 (tg_backward): the totals into each leaf's ->grad. Parameters
 * own a persistent buffer; per-step inputs get a graph-owned one on first
 * use. Every buffer is in place before the first addition, so a failed
 * allocation leaves all ->grad as they were: a failed backward never
 * delivers part of a gradient. */
static void deliver(pass *p)
{
    tg_graph *g = p->g;
    tg_tensor **leaves = g->bw_leaves;
    bool m = g->grad_enabled;
    g->grad_enabled = false;
    for (int64_t k = 0; k < p->n_leaves && g->status == TG_OK; k++) {
        tg_tensor *t = leaves[k];
        if (!t->bw_acc || tg__grad_kept(t)) continue;
        if (!t->grad || (!(t->grad->flags & TG_TF_PERSISTENT) &&
                         t->grad->epoch != g->epoch)) {
            tg_tensor *gr = tg__new_tensor(g, t->dtype, t->ndim, t->shape,
                                           p->who);
            if (!gr) break;
            gr->flags = TG_TF_CONSTANT;
            t->grad = gr;
            t->bw_flags |= BW_FRESH_GRAD;
        }
    }
    /* A buffer made above holds nothing yet: the gradient is copied in
     * rather than added to zeros written first. If making a later one
     * failed, the new ones read as zeros, as they always have. */
    for (int64_t k = 0; k < p->n_leaves && g->status != TG_OK; k++) {
        tg_tensor *t = leaves[k];
        if (t->bw_acc && (t->bw_flags & BW_FRESH_GRAD))
            memset(t->grad->data, 0, grad_bytes(t));
    }
    /* A buffer known to hold zeros is copied into too; one written in
     * place by a VJP already holds the total. An absent gradient gets its
     * kept buffer back here, once nothing can fail any more (flagged
     * TG_TF_GRAD_ZERO: written whole, never added to). */
    for (int64_t k = 0; k < p->n_leaves && g->status == TG_OK; k++) {
        tg_tensor *t = leaves[k];
        if (!t->bw_acc) continue;
        tg__grad_restore(t);
        if (t->bw_flags & BW_DIRECT)
            ;
        else if (t->bw_flags & BW_FRESH_GRAD || t->flags & TG_TF_GRAD_ZERO)
            memcpy(t->grad->data, t->bw_acc->data, grad_bytes(t));
        else
            tg__accumulate(t->grad, t->bw_acc);
        t->flags &= ~(uint32_t)TG_TF_GRAD_ZERO;
    }
    g->grad_enabled = m;
}

/* A failed tg_backward delivers nothing: buffers written in place held
 * zeros before it (that is why they were offered) and get them back; a
 * kept buffer of an absent gradient (never put back: that happens only
 * in a delivery that succeeds) stays out of sight, the gradient absent.
 * Leaves not in the list were never offered. */
static void undo_direct(pass *p)
{
    tg_tensor **leaves = p->g->bw_leaves;
    for (int64_t k = 0; k < p->n_leaves; k++) {
        tg_tensor *t = leaves[k];
        if (t->bw_stamp == p->id && (t->bw_flags & BW_DIRECT) && t->grad)
            memset(t->grad->data, 0, grad_bytes(t));
    }
}

/* Step 5 (tg_grad): the totals returned as tensors, zeros for a target
 * the outputs do not depend on. */
static void collect(pass *p, tg_tensor **grads)
{
    for (int i = 0; i < p->n_targets; i++) {
        tg_tensor *t = p->targets[i];
        tg_tensor *acc = t->bw_stamp == p->id ? t->bw_acc : NULL;
        grads[i] = acc ? acc
                       : tg_full(p->g, t->dtype, t->ndim, t->shape, 0.0);
    }
}

/* One reverse pass: validate, order, seed, walk, then deliver into ->grad
 * (tg_backward, `targets` NULL: every leaf that requires grad) or collect
 * the gradients of `targets` (tg_grad). */
static tg_status run(tg_graph *g, const char *who, tg_tensor *const *outs,
                     int n_out, tg_tensor *const *seeds,
                     tg_tensor *const *targets, int n_targets,
                     bool create_graph, tg_tensor **grads)
{
    if (!g) return tg__set_last_error(TG_ERR_ARG, "%s: graph is NULL", who);
    pass p = {.g = g, .who = who, .outs = outs, .seeds = seeds,
              .n_out = n_out, .targets = targets, .n_targets = n_targets,
              .create_graph = create_graph};
    tg_status st = validate(&p);
    if (st == TG_OK) st = order(&p);
    if (st != TG_OK) return st;

    /* The thread count is adopted here for the whole pass: the ops of the
     * built-in VJPs skip the test (tg__apply1, tg__apply2), a request made
     * by another thread meanwhile is taken up by this one's next op after
     * the pass. */
    tg__sync_threads();
    bool saved_mode = g->grad_enabled;
    g->grad_enabled = create_graph;
    /* a pass run from inside a VJP (none of the built-in ones does)
     * starts, and leaves that VJP, unchecked */
    g->vjp_checked = false;
    /* Anomaly mode checks each op's input gradients as a whole after its
     * VJP (and the seeds before the walk), so a report names the node being
     * differentiated and its forward position. Ops run inside a VJP would
     * otherwise report themselves as unnumbered forward ops. */
    p.anomaly = g->anomaly;
    g->anomaly = false;
    seed(&p);
    if (g->status == TG_OK) walk(&p);
    g->anomaly = p.anomaly;

    if (!targets) {
        if (g->status == TG_OK) deliver(&p);
        if (g->status != TG_OK) undo_direct(&p);
    } else if (g->status == TG_OK) {
        collect(&p, grads);
    }
    g->grad_enabled = saved_mode;
    return g->status;
}

tg_status tg_backward(tg_graph *g, tg_tensor *loss)
{
    return run(g, "tg_backward", &loss, 1, NULL, NULL, 0, false, NULL);
}

tg_status tg_backward_seed(tg_graph *g, tg_tensor *out, tg_tensor *seed)
{
    if (!seed)
        return g ? tg__fail(g, TG_ERR_ARG, "tg_backward_seed: seed is NULL; "
                                           "hint: use tg_backward for a "
                                           "scalar loss")
                 : TG_ERR_ARG;
    return run(g, "tg_backward_seed", &out, 1, &seed, NULL, 0, false, NULL);
}

tg_status tg_grad(tg_graph *g, tg_tensor *const *outputs, int n_out,
                  tg_tensor *const *seeds, tg_tensor *const *inputs, int n_in,
                  bool create_graph, tg_tensor **grads)
{
    if (g && (!inputs || !grads || n_in < 1))
        return tg__fail(g, TG_ERR_ARG,
                        "tg_grad: inputs/grads are NULL or n_in < 1");
    if (grads)
        for (int i = 0; i < n_in; i++) grads[i] = g ? &g->poison : NULL;
    return run(g, "tg_grad", outputs, n_out, seeds, inputs, n_in,
               create_graph, grads);
}
