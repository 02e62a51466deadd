/* Checking a gradient computed by someone else's code (tg_gradcheck_raw):
 * a plain function f(x, grad) that returns its value and writes its own
 * gradient, with no graph of its own.
 *
 * It becomes one op of a private graph: the op's forward calls f and
 * saves the gradient f wrote; its VJP is gy * that gradient. tg_gradcheck
 * then runs on that op with w = 1 (sum_only), so the report's analytic
 * values are f's gradient as written and the numeric ones the central
 * differences of f: the same worst element, kink test, tolerances, fast
 * mode and printing as for graphs. The function's pointer travels in the
 * node's attribute slots (int64, unused by the op's declared attributes),
 * so concurrent checks on several threads do not share state. */
#include "internal.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>

typedef struct raw_ctx {
    tg_raw_fn f;
    void *ud;
    size_t n;
    const char *(*error)(void *ud); /* non-NULL message: f failed (CLI)    */
    int64_t calls;
} raw_ctx;

static raw_ctx *ctx_of(const tg_node *n)
{
    return (raw_ctx *)(uintptr_t)tg_node_attrs(n)->i[0];
}

static tg_status raw_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    (void)g, (void)n;
    out->ndim = 0;
    out->dtype = TG_F64;
    return TG_OK;
}

static tg_status raw_forward(tg_graph *g, tg_node *n)
{
    raw_ctx *c = ctx_of(n);
    const tg_tensor *x = tg_node_input(n, 0);
    tg_tensor *gs = tg_node_save_new(g, n, "grad", TG_F64, 1,
                                     (int64_t[]){(int64_t)c->n});
    if (!gs) return tg_graph_status(g);
    double *gr = tg_f64(gs);
    /* NaN where f leaves an element unwritten: a hole shows as a failure
     * at that index rather than as a plausible zero */
    for (size_t k = 0; k < c->n; k++) gr[k] = NAN;
    double v = c->f(tg_f64(x), gr, c->n, c->ud);
    c->calls++;
    if (c->error) {
        const char *e = c->error(c->ud);
        if (e) return tg_node_fail(g, n, TG_ERR_IO, "%s", e);
    }
    tg_f64(tg_node_output(n))[0] = v;
    return TG_OK;
}

static void raw_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                    tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_mul(gy, tg_node_saved(n, "grad"));
}

/* Not registered: its name appears in messages and DOT only. */
static TG_OP_DEFINE(user_function, .n_inputs = 1, .shape = raw_shape,
                    .forward = raw_forward, .vjp = raw_vjp);

static tg_tensor *raw_fn(tg_graph *g, tg_tensor *const *in, int n_in,
                         void *ud)
{
    (void)g, (void)n_in;
    tg_attrs a = tg_attrs_defaults(&user_function);
    a.i[0] = (int64_t)(uintptr_t)ud;
    return tg_apply(&user_function, in, 1, &a);
}

tg_status tg__gradcheck_raw(tg_raw_fn f, void *ud, size_t n, const double *x,
                            const char *name, const tg_check_opts *opts,
                            const char *(*error)(void *ud),
                            tg_check_report *report)
{
    tg_check_report local;
    tg_check_report *r = report ? report : &local;
    if (!f || n == 0 || n > ((size_t)1 << 40)) {
        memset(r, 0, sizeof *r);
        snprintf(r->message, sizeof r->message,
                 "tg_gradcheck_raw: %s (n = %zu); hint: pass the function "
                 "and the number of its inputs, n >= 1",
                 !f ? "the function is NULL" : "n is out of range", n);
        return tg__set_last_error(TG_ERR_ARG, "%s", r->message);
    }
    raw_ctx c = {f, ud, n, error, 0};
    tg_check_opts o = opts ? *opts : tg_check_defaults();
    o.sum_only = true;  /* the report shows f's gradient as written    */
    o.gradgrad = false; /* the saved gradient is a constant            */
    o.forward = false;  /* J v is <grad, v>: the reverse check has it  */
    o.locate = -1;      /* one op: the report's worst index is the place */
    tg_check_arg a;
    memset(&a, 0, sizeof a);
    a.name = name ? name : "x";
    a.ndim = 1;
    a.shape[0] = (int64_t)n;
    a.data = x;
    tg_status st = tg_gradcheck(raw_fn, &c, 1, &a, &o, r);
    if (st != TG_OK && st != TG_ERR_NUMERIC) return st;

    /* Reentrancy means something else here: the same x twice must give
     * the same value and gradient (state carried between calls, an
     * uninitialised accumulator). */
    double *x0 = tg__malloc(n * sizeof(double)),
           *g1 = tg__malloc(n * sizeof(double)),
           *g2 = tg__malloc(n * sizeof(double));
    if (!x0 || !g1 || !g2) {
        tg__free(x0);
        tg__free(g1);
        tg__free(g2);
        snprintf(r->message, sizeof r->message,
                 "tg_gradcheck_raw: out of memory (n = %zu)", n);
        r->pass = false;
        return tg__set_last_error(TG_ERR_OOM, "%s", r->message);
    }
    if (x) {
        memcpy(x0, x, n * sizeof(double));
    } else {
        /* the point tg_gradcheck drew: the same stream from the seed */
        tg_rng rng;
        tg_rng_seed(&rng, o.seed);
        for (size_t k = 0; k < n; k++) x0[k] = -1 + 2 * tg_rng_uniform(&rng);
    }
    for (size_t k = 0; k < n; k++) g1[k] = g2[k] = NAN;
    double v1 = f(x0, g1, n, ud), v2 = f(x0, g2, n, ud);
    const char *e = error ? error(ud) : NULL;
    if (e) {
        tg__free(x0);
        tg__free(g1);
        tg__free(g2);
        snprintf(r->message, sizeof r->message, "tg_gradcheck_raw: %s", e);
        r->pass = false;
        return tg__set_last_error(TG_ERR_IO, "%s", r->message);
    }
    /* tg_gradcheck's zero-seed test multiplies 0 by the saved gradient:
     * it says nothing about f beyond a NaN in it, reported below. */
    r->zero_seed_ok = true;
    size_t hole = n;
    for (size_t k = 0; k < n && hole == n; k++)
        if (isnan(g1[k])) hole = k;
    if (hole < n)
        snprintf(r->message, sizeof r->message,
                 "grad[%zu] is NaN after a call: the function did not write "
                 "it, or computed NaN there",
                 hole);
    size_t bad = n;
    for (size_t k = 0; k < n && bad == n; k++)
        if (memcmp(&g1[k], &g2[k], sizeof(double))) bad = k;
    bool same_v = !memcmp(&v1, &v2, sizeof v1);
    if (bad < n || !same_v) {
        r->deterministic = false;
        r->pass = false;
        char msg[sizeof r->message];
        if (!same_v)
            snprintf(msg, sizeof msg,
                     "two calls at the same x returned %.17g and %.17g; "
                     "hint: the function must not keep state between calls",
                     v1, v2);
        else
            snprintf(msg, sizeof msg,
                     "two calls at the same x wrote %.17g and %.17g to "
                     "grad[%zu]; hint: the function must set every element "
                     "of grad (not add to it) and keep no state",
                     g1[bad], g2[bad], bad);
        /* the cause of any mismatch above: said first */
        snprintf(r->message, sizeof r->message, "%s", msg);
    }
    r->pass = r->in[0].pass && r->deterministic;
    st = r->pass ? TG_OK : TG_ERR_NUMERIC;
    if (r->pass) r->message[0] = 0;
    tg__free(x0);
    tg__free(g1);
    tg__free(g2);
    return st;
}

tg_status tg_gradcheck_raw(tg_raw_fn f, void *ud, size_t n, const double *x,
                           const tg_check_opts *opts, tg_check_report *report)
{
    return tg__gradcheck_raw(f, ud, n, x, "x", opts, NULL, report);
}
