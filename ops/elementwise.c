/* Drivers shared by elementwise ops (see elementwise.h). */
#include "ops/elementwise.h"

#include <omp.h>
#include <stdio.h>

/* Same dims, or one operand a single element that adds no dims: the
 * output takes the other operand's shape as it is. These cover most
 * elementwise calls and skip the broadcast walk. (Only the shape: rules
 * of other ops call this one and then change the shape, so tg__apply
 * counts the elements afterwards.) */
static inline void copy_shape_of(tg_tensor *out, const tg_tensor *t)
{
    out->ndim = t->ndim;
    for (int i = 0; i < t->ndim; i++) out->shape[i] = t->shape[i];
}

/* The two public shape rules check their arguments: user ops call them
 * from their own shape functions. */
static tg_status rule_args(const char *who, const tg_node *n,
                           const tg_tensor *out, int n_in)
{
    if (!n || !out || n->n_in < n_in || !n->in)
        return tg__set_last_error(TG_ERR_ARG,
                                  "%s: node or output is NULL, or the node "
                                  "has fewer than %d inputs",
                                  who, n_in);
    return TG_OK;
}

tg_status tg_shape_broadcast(tg_graph *g, tg_node *n, tg_tensor *out)
{
    if (__builtin_expect(rule_args("tg_shape_broadcast", n, out, 2) != TG_OK, 0))
        return TG_ERR_ARG;
    const tg_tensor *a = n->in[0], *b = n->in[1];
    if (a->ndim == b->ndim) {
        int i = 0;
        while (i < a->ndim && a->shape[i] == b->shape[i]) i++;
        if (i == a->ndim) {
            copy_shape_of(out, a);
            return TG_OK;
        }
    }
    if (b->numel == 1 && b->ndim <= a->ndim) {
        copy_shape_of(out, a);
        return TG_OK;
    }
    if (a->numel == 1 && a->ndim <= b->ndim) {
        copy_shape_of(out, b);
        return TG_OK;
    }
    int bad;
    if (!tg__broadcast_shape(a->ndim, a->shape, b->ndim, b->shape, &out->ndim,
                             out->shape, &bad)) {
        char s1[TG_SHAPE_BUF], s2[TG_SHAPE_BUF];
        int64_t da = a->shape[a->ndim - bad], db = b->shape[b->ndim - bad];
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "shapes %s and %s do not broadcast (dim -%d: "
                           "%lld vs %lld); hint: dims must match or be 1, "
                           "aligned from the right",
                           tg__fmt_shape(s1, a->ndim, a->shape),
                           tg__fmt_shape(s2, b->ndim, b->shape), bad,
                           (long long)da, (long long)db);
    }
    return TG_OK;
}

tg_status tg_shape_same(tg_graph *g, tg_node *n, tg_tensor *out)
{
    (void)g;
    if (__builtin_expect(rule_args("tg_shape_same", n, out, 1) != TG_OK, 0))
        return TG_ERR_ARG;
    copy_shape_of(out, n->in[0]);
    return TG_OK;
}

/* One run of the call: n elements of y from a (stride sa) and b (sb). */
static inline void run1(const tg_bin_call *c, bool f64, int64_t n, void *y,
                        const void *a, int64_t sa, const void *b, int64_t sb)
{
    if (!f64) {
        if (c->pf32) c->pf32(n, y, a, sa, b, sb, c->p);
        else c->f32(n, y, a, sa, b, sb);
    } else {
        if (c->pf64) c->pf64(n, y, a, sa, b, sb, c->p);
        else c->f64(n, y, a, sa, b, sb);
    }
}

/* Small tensors never enter an OpenMP region: even with a false `if`
 * clause, libgomp sets up a team and makes a futex call (about 3 us here,
 * more than the whole op on a few thousand elements). */
static void run_plan(const tg_bin_call *c, const tg_node *n, tg_tensor *out,
                     const tg_bcast *p)
{
    bool f64 = out->dtype == TG_F64;
    size_t es = f64 ? sizeof(double) : sizeof(float);
    char *y = out->data;
    const char *a = n->in[0]->data, *b = n->in[1]->data;
    if (p->rows == 1) {
        int64_t len = p->inner, s0 = p->step[0], s1 = p->step[1];
        if (len <= TG_PAR_MIN || omp_get_max_threads() == 1) {
            run1(c, f64, len, y, a, s0, b, s1);
            return;
        }
#pragma omp parallel
        {
            int64_t lo, hi;
            tg__chunk(len, omp_get_num_threads(), omp_get_thread_num(), 64, &lo, &hi);
            if (lo < hi)
                run1(c, f64, hi - lo, y + lo * es, a + lo * s0 * es, s0,
                     b + lo * s1 * es, s1);
        }
        return;
    }
    if (out->numel <= TG_PAR_MIN) {
        for (int64_t r = 0; r < p->rows; r++) {
            int64_t oa, ob;
            tg__bcast_offsets(p, r, &oa, &ob);
            run1(c, f64, p->inner, y + r * p->inner * es, a + oa * es,
                 p->step[0], b + ob * es, p->step[1]);
        }
        return;
    }
#pragma omp parallel for
    for (int64_t r = 0; r < p->rows; r++) {
        int64_t oa, ob;
        tg__bcast_offsets(p, r, &oa, &ob);
        run1(c, f64, p->inner, y + r * p->inner * es, a + oa * es, p->step[0],
             b + ob * es, p->step[1]);
    }
}

/* The general case, out of line so the small-tensor path below keeps a
 * short prologue. */
static __attribute__((noinline)) void binary_run_general(const tg_node *n,
                                                         tg_tensor *out,
                                                         const tg_bin_call *c)
{
    int64_t na = n->in[0]->numel, nb = n->in[1]->numel, no = out->numel;
    tg_bcast p;
    if ((na == no || na == 1) && (nb == no || nb == 1)) {
        /* Each operand has the output's shape (up to leading 1s) or is a
         * single element: one contiguous run and no plan to build. */
        p.nd = 0;
        p.rows = 1;
        p.inner = no;
        p.step[0] = na == no;
        p.step[1] = nb == no;
    } else {
        tg__bcast_plan(&p, out, n->in[0], n->in[1]);
    }
    run_plan(c, n, out, &p);
}

void tg__binary_run_call(const tg_node *n, tg_tensor *out, const tg_bin_call *c)
{
    const tg_tensor *x0 = n->in[0], *x1 = n->in[1];
    int64_t na = x0->numel, nb = x1->numel, no = out->numel;
    if (no == 0) return;
    if (no <= TG_PAR_MIN && (na == no || na == 1) && (nb == no || nb == 1)) {
        /* Small and unbroadcast along any dim (the general path would make
         * one run of it): straight to the kernel, no threads. */
        run1(c, out->dtype == TG_F64, no, out->data, x0->data, na == no,
             x1->data, nb == no);
        return;
    }
    binary_run_general(n, out, c);
}

