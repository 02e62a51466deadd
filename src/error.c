/* Status strings, the sticky graph error and the thread-local last error. */
#include "internal.h"

#include <stdio.h>

static const char *const status_names[TG_STATUS_COUNT] = {
    [TG_OK] = "TG_OK",
    [TG_ERR_SHAPE] = "TG_ERR_SHAPE",
    [TG_ERR_ARG] = "TG_ERR_ARG",
    [TG_ERR_DTYPE] = "TG_ERR_DTYPE",
    [TG_ERR_OOM] = "TG_ERR_OOM",
    [TG_ERR_STATE] = "TG_ERR_STATE",
    [TG_ERR_NUMERIC] = "TG_ERR_NUMERIC",
    [TG_ERR_IO] = "TG_ERR_IO",
    [TG_ERR_FORMAT] = "TG_ERR_FORMAT",
    [TG_ERR_COMM] = "TG_ERR_COMM",
};

const char *tg_status_str(tg_status s)
{
    if ((unsigned)s >= TG_STATUS_COUNT) return "TG_ERR_UNKNOWN";
    return status_names[s];
}

static _Thread_local char last_error[TG_ERRMSG_SIZE];

const char *tg_last_error(void) { return last_error; }

tg_status tg__set_last_error(tg_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return st;
}

static tg_status vfail(tg_graph *g, tg_status st, const char *prefix,
                       const char *fmt, va_list ap)
{
    if (!g) return st;
    if (g->status != TG_OK) return g->status; /* first error wins */
    g->status = st;
    int k = snprintf(g->errmsg, sizeof g->errmsg, "%s", prefix);
    if (k < 0) k = 0;
    if ((size_t)k < sizeof g->errmsg)
        vsnprintf(g->errmsg + k, sizeof g->errmsg - (size_t)k, fmt, ap);
    /* Memory refused by the budget rather than by the allocator: say so,
     * and name the usual cause. */
    if (st == TG_ERR_OOM && g->arena.over) {
        size_t n = strlen(g->errmsg);
        if (g->arena.over_req > g->arena.limit)
            snprintf(g->errmsg + n, sizeof g->errmsg - n,
                     " (%zu bytes, more than the graph's memory budget of %zu "
                     "bytes; hint: raise it with tg_graph_set_memory_limit)",
                     g->arena.over_req, g->arena.limit);
        else
            snprintf(g->errmsg + n, sizeof g->errmsg - n,
                     " (the graph's memory budget of %zu bytes is used up: "
                     "%zu held; hint: call tg_graph_reset once per step, or "
                     "raise the budget with tg_graph_set_memory_limit)",
                     g->arena.limit, g->arena.held);
    }
    /* Mirror into the thread-local slot so callers holding only a status
     * code can still read the message. */
    snprintf(last_error, sizeof last_error, "%s", g->errmsg);
    return st;
}

tg_status tg__fail(tg_graph *g, tg_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tg_status r = vfail(g, st, "", fmt, ap);
    va_end(ap);
    return r;
}

tg_tensor *tg__arg_fail_tensor(tg_graph *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (!g) {
        char m[400];
        vsnprintf(m, sizeof m, fmt, ap);
        va_end(ap);
        tg__set_last_error(TG_ERR_ARG, "%s", m);
        return NULL;
    }
    vfail(g, TG_ERR_ARG, "", fmt, ap);
    va_end(ap);
    return &g->poison;
}

tg_status tg__op_fail(tg_graph *g, const tg_node *n, tg_status st,
                      const char *fmt, ...)
{
    char prefix[96];
    snprintf(prefix, sizeof prefix, "%s%s: ",
             n->op->prefix ? n->op->prefix : "", n->op->name);
    va_list ap;
    va_start(ap, fmt);
    tg_status r = vfail(g, st, prefix, fmt, ap);
    va_end(ap);
    return r;
}

tg_status tg_node_fail(tg_graph *g, const tg_node *n, tg_status st,
                       const char *fmt, ...)
{
    if (!n) return st;
    char prefix[96];
    snprintf(prefix, sizeof prefix, "%s%s: ",
             n->op->prefix ? n->op->prefix : "", n->op->name);
    va_list ap;
    va_start(ap, fmt);
    tg_status r = vfail(g, st, prefix, fmt, ap);
    va_end(ap);
    return r;
}

const char *tg_graph_error(const tg_graph *g)
{
    if (!g) return "graph is NULL";
    return g->status == TG_OK ? NULL : g->errmsg;
}

tg_status tg_graph_status(const tg_graph *g)
{
    return g ? g->status : TG_ERR_ARG;
}

tg_status tg__stale_fail(const char *who, const tg_tensor *t)
{
    const char *fmt = "%s: the tensor is stale (created before the last "
                      "tg_graph_reset); hint: rebuild per-step tensors after "
                      "each reset";
    if (t && t->graph) tg__fail(t->graph, TG_ERR_STATE, fmt, who);
    return tg__set_last_error(TG_ERR_STATE, fmt, who);
}
