/* Fuzz target: random op sequences on random shapes. The input is a small
 * program: leaves of random rank (0-4), extents (0-4, or huge: 2^32, 2^40
 * and 2^59, which only an empty tensor can hold) and values (normal,
 * NaN/Inf/denormal, integral labels, huge), then calls of any public op
 * through the expression language's function table (its C wrapper, with
 * tensor arguments picked from a stack and keyword values from hostile
 * lists), then backward or, second order, tg_grad(create_graph) and a
 * backward through the gradients. Anomaly mode, the dtype and an
 * allocation failure at the Nth request are chosen by the header bytes.
 *
 * Oracles beyond the sanitizers: an error always names an op; a result is
 * well formed; gradients have their leaf's shape; the graph computes
 * correctly after tg_graph_reset; every block is freed (live count). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../hardening.h"
#include "../hardening_kw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CAP ((size_t)16 << 20) /* refuse single requests above 16 MB */
#define STACK 16
#define MAX_STEPS 48

typedef struct reader {
    const uint8_t *p;
    size_t n, i;
} reader;

static unsigned next(reader *r) { return r->i < r->n ? r->p[r->i++] : 0; }
static bool more(const reader *r) { return r->i < r->n; }

static void check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_ops: contract violated: %s\n", what);
        abort();
    }
}

static bool names_op(const char *m) { return m && !strncmp(m, "tg_", 3); }

static tg_tensor *leaf(tg_graph *g, reader *r, tg_dtype dt)
{
    /* huge extents beside a 0 make empty tensors whose other products do
     * not fit in 64 bits ([0, 2^40, 2^40]); without a 0 they are refused
     * (too many elements, or out of memory under FUZZ_CAP) */
    static const int64_t ext[8] = {0, 1, 2, 3, 4, (int64_t)1 << 32,
                                   (int64_t)1 << 40, INT64_MAX / 16};
    int nd = (int)(next(r) % 5);
    int64_t sh[4];
    for (int i = 0; i < nd; i++) sh[i] = ext[next(r) % 8];
    unsigned mode = next(r);
    tg_tensor *t = tg_input(g, dt, nd, sh, NULL);
    if (tg_graph_status(g) != TG_OK) return t;
    for (int64_t i = 0; i < t->numel; i++) {
        double v;
        unsigned b = next(r);
        switch (mode % 4) {
        case 0: v = ((double)b - 128) / 32; break;
        case 1: {
            static const double sp[] = {NAN, INFINITY, -INFINITY, 0, -0.0,
                                        4.9e-324, 1, -1};
            v = sp[b % 8];
            break;
        }
        case 2: v = (double)(b % 6) - 1; break; /* labels, some invalid */
        default: v = ((double)b - 128) * 1e306; break;
        }
        if (dt == TG_F32) tg_f32(t)[i] = (float)v;
        else tg_f64(t)[i] = v;
    }
    if (mode & 4) tg_set_requires_grad(t, true);
    return t;
}

static void well_formed(const tg_tensor *y)
{
    check(y->ndim >= 0 && y->ndim <= TG_MAX_DIMS, "rank");
    int64_t n = 1;
    bool zero = false; /* then the other extents' product need not fit */
    for (int i = 0; i < y->ndim; i++) {
        check(y->shape[i] >= 0, "negative extent");
        zero |= y->shape[i] == 0;
        if (!zero) check(!__builtin_mul_overflow(n, y->shape[i], &n), "extent product");
    }
    if (zero) n = 0;
    check(n == y->numel, "numel");
    check(n == 0 || y->data != NULL, "data");
    volatile double s = 0;
    for (int64_t i = 0; i < y->numel; i++) s += tg_get(y, i);
    (void)s;
}

static void usable_after_reset(tg_graph *g)
{
    tg_graph_reset(g);
    double xv[3] = {1, -2, 0.5};
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(3), xv);
    tg_set_requires_grad(x, true);
    tg_tensor *l = tg_sum_all(tg_mul(x, x));
    check(tg_backward(g, l) == TG_OK, "backward after reset");
    check(tg_item(l) == 5.25 && tg_get(x->grad, 1) == -4, "values after reset");
    tg_graph_reset(g);
}

static void run(tg_graph *g, reader *r, unsigned flags, hd_alloc *ha)
{
    tg_dtype dt = (flags & 1) ? TG_F32 : TG_F64;
    tg_set_anomaly(g, (flags & 2) != 0);
    tg_tensor *stack[STACK];
    int sp = 0;
    for (int step = 0; step < MAX_STEPS && more(r); step++) {
        unsigned b = next(r);
        tg_tensor *y;
        if (b < 48 || sp == 0) {
            y = leaf(g, r, (b & 1) && (flags & 4) ? (tg_dtype)(TG_F32 + TG_F64 - dt) : dt);
        } else {
            const tg__expr_func *f = tg__expr_func_at(next(r) % tg__expr_num_funcs());
            int span = f->max_t - f->min_t + 1;
            int nt = f->min_t + (int)(next(r) % (unsigned)(span < 4 ? span : 4));
            tg_tensor *args[TG_EXPR_MAX_ARGS];
            for (int i = 0; i < nt; i++) args[i] = stack[next(r) % (unsigned)sp];
            tg__kw_val kw[TG_EXPR_MAX_KW];
            for (int j = 0; j < hd_n_kw(f); j++) {
                unsigned v = next(r);
                if (v < 160 || !hd_kw_variant(&f->kw[j], (int)(v % 20) + 1, &kw[j]))
                    hd_kw_variant(&f->kw[j], 0, &kw[j]);
            }
            y = tg__expr_invoke_on(f, g, dt, args, nt, kw);
            check(y != NULL, "NULL result");
        }
        if (tg_graph_status(g) != TG_OK) {
            check(names_op(tg_graph_error(g)), "error without an op name");
            ha->fail_at = 0; /* memory is back: the graph must recover */
            usable_after_reset(g); /* stack tensors are stale now: drop */
            sp = 0;
            continue;
        }
        well_formed(y);
        if (sp < STACK) stack[sp++] = y;
        else stack[next(r) % STACK] = y;
    }
    if (sp == 0) return;
    tg_tensor *out = stack[sp - 1];
    if (!tg_requires_grad(out)) return;
    tg_tensor *loss = tg_sum_all(out);
    if (loss->dtype != TG_F64) loss = tg_cast(loss, TG_F64);
    if (!(flags & 8)) {
        if (tg_backward(g, loss) != TG_OK) {
            check(names_op(tg_graph_error(g)), "backward error without name");
            return;
        }
        for (int i = 0; i < sp; i++) {
            tg_tensor *t = stack[i];
            if (!t->node && tg_requires_grad(t) && t->grad) {
                check(t->grad->ndim == t->ndim && t->grad->dtype == t->dtype,
                      "gradient rank or dtype");
                for (int k = 0; k < t->ndim; k++)
                    check(t->grad->shape[k] == t->shape[k], "gradient shape");
                well_formed(t->grad);
            }
        }
        return;
    }
    /* second order through every leaf on the stack that requires grad */
    tg_tensor *leaves[STACK], *grads[STACK];
    int nl = 0;
    for (int i = 0; i < sp; i++)
        if (!stack[i]->node && tg_requires_grad(stack[i])) leaves[nl++] = stack[i];
    if (nl == 0) return;
    if (tg_grad(g, &loss, 1, NULL, leaves, nl, true, grads) != TG_OK) {
        check(names_op(tg_graph_error(g)), "tg_grad error without name");
        return;
    }
    tg_tensor *s = NULL;
    for (int i = 0; i < nl; i++) {
        well_formed(grads[i]);
        tg_tensor *gi = tg_sum_all(grads[i]);
        if (gi->dtype != TG_F64) gi = tg_cast(gi, TG_F64);
        s = s ? tg_add(s, gi) : gi;
    }
    if (tg_requires_grad(s) && tg_backward(g, s) != TG_OK)
        check(names_op(tg_graph_error(g)), "second-order error without name");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool init;
    if (!init) {
        init = true;
        tg_set_num_threads(1);
    }
    if (size < 2 || size > 2048) return 0;
    reader r = {data, size, 0};
    unsigned flags = next(&r), fail = next(&r);
    /* flags 16: fail allocation number `fail` (and, with 32, every later
     * one) — the library must report TG_ERR_OOM and free everything */
    hd_alloc ha;
    hd_install(&ha, (flags & 16) ? (long)fail + 1 : 0, (flags & 32) != 0,
               FUZZ_CAP);
    tg_graph *g = tg_graph_new();
    tg_graph_set_memory_limit(g, INT64_C(1) << 30); /* hostile zeros(...) */
    if (g) {
        run(g, &r, flags, &ha);
        ha.fail_at = 0;
        usable_after_reset(g);
        tg_graph_free(g);
    }
    check(ha.live == 0, "blocks leaked");
    hd_uninstall();
    return 0;
}
