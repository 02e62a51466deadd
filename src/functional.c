/* Derivatives beyond the gradient, built on the one reverse pass
 * (tg_grad). A JVP is the transpose of a VJP: with a dummy cotangent u
 * that requires grad, the recorded reverse pass gives J^T u as a function
 * of u, linear in it, and a second reverse pass of <J^T u, v> with
 * respect to u gives J v. Every op's VJP is written with tapegrad ops, so
 * this needs no per-op forward rule. */
#include "internal.h"

#include <stdio.h>


static void put(tg_tensor *t, int64_t i, double v)
{
    if (t->dtype == TG_F64)
        ((double *)t->data)[i] = v;
    else
        ((float *)t->data)[i] = (float)v;
}

static void poison_all(tg_graph *g, tg_tensor **res, int n)
{
    if (res)
        for (int i = 0; i < n; i++) res[i] = g ? &g->poison : NULL;
}

/* Tensors passed in must be live tensors of g. */
static tg_status check_list(tg_graph *g, const char *who, const char *what,
                            tg_tensor *const *ts, int n)
{
    if (!ts || n < 1)
        return tg__fail(g, TG_ERR_ARG, "%s: no %s given (n = %d)", who, what,
                        n);
    for (int i = 0; i < n; i++) {
        tg_tensor *t = ts[i];
        if (!t || t->graph != g || (t->flags & TG_TF_POISON))
            return tg__fail(g, TG_ERR_ARG,
                            "%s: %s %d is NULL, poison or from another graph",
                            who, what, i + 1);
        if (!(t->flags & TG_TF_PERSISTENT) && t->epoch != g->epoch)
            return tg__fail(g, TG_ERR_STATE,
                            "%s: %s %d is stale (created before the last "
                            "tg_graph_reset)",
                            who, what, i + 1);
    }
    return TG_OK;
}

/* vs[i] must have the shape and dtype of like[i]. */
static tg_status check_like(tg_graph *g, const char *who, const char *what,
                            const char *of, tg_tensor *const *vs,
                            tg_tensor *const *like, int n)
{
    tg_status st = check_list(g, who, what, vs, n);
    if (st != TG_OK) return st;
    char s1[TG_SHAPE_BUF], s2[TG_SHAPE_BUF];
    for (int i = 0; i < n; i++)
        if (!tg__same_shape(vs[i], like[i]) || vs[i]->dtype != like[i]->dtype)
            return tg__fail(g, TG_ERR_SHAPE,
                            "%s: %s %d is %s %s but %s %d is %s %s; hint: "
                            "give one %s per %s, of its shape and dtype",
                            who, what, i + 1,
                            tg__fmt_shape(s1, vs[i]->ndim, vs[i]->shape),
                            tg_dtype_name(vs[i]->dtype), of, i + 1,
                            tg__fmt_shape(s2, like[i]->ndim, like[i]->shape),
                            tg_dtype_name(like[i]->dtype), what,
                            of);
    return TG_OK;
}

tg_status tg_vjp(tg_graph *g, tg_tensor *const *outputs, int n_out,
                 tg_tensor *const *cotangents, tg_tensor *const *inputs,
                 int n_in, bool create_graph, tg_tensor **grads)
{
    if (!g) return tg__set_last_error(TG_ERR_ARG, "tg_vjp: graph is NULL");
    poison_all(g, grads, n_in);
    if (g->status != TG_OK) return g->status;
    tg_status st = check_list(g, "tg_vjp", "output", outputs, n_out);
    if (st == TG_OK)
        st = check_like(g, "tg_vjp", "cotangent", "output", cotangents,
                        outputs, n_out);
    if (st != TG_OK) return st;
    return tg_grad(g, outputs, n_out, cotangents, inputs, n_in, create_graph,
                   grads);
}

/* The recorded reverse pass of sum_k <u_k, outputs[k]> with fresh zero
 * cotangents u_k that require grad: gx[i] = J_i^T u as tensors that
 * depend on u. */
static tg_status transposed(tg_graph *g, const char *who,
                            tg_tensor *const *outputs, int n_out,
                            tg_tensor *const *inputs, int n_in,
                            tg_tensor **u, tg_tensor **gx)
{
    for (int k = 0; k < n_out; k++) {
        u[k] = tg_input(g, outputs[k]->dtype, outputs[k]->ndim,
                        outputs[k]->shape, NULL);
        if (g->status != TG_OK) return g->status;
        tg_set_requires_grad(u[k], true);
    }
    tg_status st = tg_grad(g, outputs, n_out, u, inputs, n_in, true, gx);
    if (st != TG_OK) return st;
    (void)who;
    return TG_OK;
}

/* Scratch arrays of pointers from the arena (freed by the reset). */
static tg_tensor **ptrs(tg_graph *g, const char *who, int n)
{
    tg_tensor **p = tg__arena_alloc(&g->arena, sizeof *p * (size_t)n);
    if (!p) tg__fail(g, TG_ERR_OOM, "%s: out of memory", who);
    return p;
}

tg_status tg_jvp(tg_graph *g, tg_tensor *const *outputs, int n_out,
                 tg_tensor *const *inputs, int n_in,
                 tg_tensor *const *tangents, bool create_graph,
                 tg_tensor **out_tangents)
{
    const char *who = "tg_jvp";
    if (!g) return tg__set_last_error(TG_ERR_ARG, "tg_jvp: graph is NULL");
    poison_all(g, out_tangents, n_out);
    if (g->status != TG_OK) return g->status;
    if (!out_tangents)
        return tg__fail(g, TG_ERR_ARG, "tg_jvp: out_tangents is NULL");
    tg_status st = check_list(g, who, "output", outputs, n_out);
    if (st == TG_OK) st = check_list(g, who, "input", inputs, n_in);
    if (st == TG_OK)
        st = check_like(g, who, "tangent", "input", tangents, inputs, n_in);
    if (st != TG_OK) return st;
    tg_tensor **u = ptrs(g, who, n_out), **gx = ptrs(g, who, n_in);
    if (!u || !gx) return g->status;
    st = transposed(g, who, outputs, n_out, inputs, n_in, u, gx);
    if (st != TG_OK) return st;
    st = tg_grad(g, gx, n_in, tangents, u, n_out, create_graph, out_tangents);
    if (st != TG_OK) poison_all(g, out_tangents, n_out);
    return st;
}

tg_status tg_hvp(tg_graph *g, tg_tensor *f, tg_tensor *const *inputs,
                 int n_in, tg_tensor *const *v, bool create_graph,
                 tg_tensor **hv)
{
    const char *who = "tg_hvp";
    if (!g) return tg__set_last_error(TG_ERR_ARG, "tg_hvp: graph is NULL");
    poison_all(g, hv, n_in);
    if (g->status != TG_OK) return g->status;
    if (!hv) return tg__fail(g, TG_ERR_ARG, "tg_hvp: hv is NULL");
    tg_status st = check_list(g, who, "function", &f, 1);
    if (st == TG_OK) st = check_list(g, who, "input", inputs, n_in);
    if (st == TG_OK)
        st = check_like(g, who, "vector", "input", v, inputs, n_in);
    if (st != TG_OK) return st;
    char s[TG_SHAPE_BUF];
    if (f->numel != 1)
        return tg__fail(g, TG_ERR_SHAPE,
                        "tg_hvp: f has shape %s, not one element; hint: "
                        "reduce it (tg_sum_all)",
                        tg__fmt_shape(s, f->ndim, f->shape));
    tg_tensor **gr = ptrs(g, who, n_in);
    if (!gr) return g->status;
    st = tg_grad(g, &f, 1, NULL, inputs, n_in, true, gr);
    if (st == TG_OK) st = tg_grad(g, gr, n_in, v, inputs, n_in, create_graph, hv);
    if (st != TG_OK) poison_all(g, hv, n_in);
    return st;
}

/* A zero constant of shape a.shape + b.shape (dtype dt) for a Jacobian or
 * Hessian block. */
static tg_tensor *block(tg_graph *g, const char *who, tg_dtype dt,
                        const tg_tensor *a, const tg_tensor *b)
{
    char s1[TG_SHAPE_BUF], s2[TG_SHAPE_BUF];
    if (a->ndim + b->ndim > TG_MAX_DIMS) {
        tg__fail(g, TG_ERR_SHAPE,
                 "%s: a block of shape %s + %s has %d dims, more than %d",
                 who, tg__fmt_shape(s1, a->ndim, a->shape),
                 tg__fmt_shape(s2, b->ndim, b->shape), a->ndim + b->ndim,
                 TG_MAX_DIMS);
        return NULL;
    }
    int64_t shape[TG_MAX_DIMS];
    memcpy(shape, a->shape, sizeof(int64_t) * (size_t)a->ndim);
    memcpy(shape + a->ndim, b->shape, sizeof(int64_t) * (size_t)b->ndim);
    tg_tensor *t = tg_constant(g, dt, a->ndim + b->ndim, shape, NULL);
    return g->status == TG_OK ? t : NULL;
}

/* A zero tensor like t, to hold one-hot seeds. */
static tg_tensor *zeros_like(tg_graph *g, const tg_tensor *t)
{
    tg_tensor *z = tg_constant(g, t->dtype, t->ndim, t->shape, NULL);
    return g->status == TG_OK ? z : NULL;
}

tg_status tg_jacobian(tg_graph *g, tg_tensor *output, tg_tensor *const *inputs,
                      int n_in, tg_jac_mode mode, tg_tensor **jac,
                      int64_t *passes_used)
{
    const char *who = "tg_jacobian";
    if (!g)
        return tg__set_last_error(TG_ERR_ARG, "tg_jacobian: graph is NULL");
    poison_all(g, jac, n_in);
    if (passes_used) *passes_used = 0;
    if (g->status != TG_OK) return g->status;
    if (!jac) return tg__fail(g, TG_ERR_ARG, "tg_jacobian: jac is NULL");
    if (mode != TG_JAC_AUTO && mode != TG_JAC_REVERSE &&
        mode != TG_JAC_FORWARD)
        return tg__fail(g, TG_ERR_ARG,
                        "tg_jacobian: mode %d is not TG_JAC_AUTO, "
                        "TG_JAC_REVERSE or TG_JAC_FORWARD",
                        (int)mode);
    tg_status st = check_list(g, who, "output", &output, 1);
    if (st == TG_OK) st = check_list(g, who, "input", inputs, n_in);
    if (st != TG_OK) return st;
    int64_t m = output->numel, n = 0;
    for (int i = 0; i < n_in; i++) n += inputs[i]->numel;
    if (mode == TG_JAC_AUTO) mode = m <= n ? TG_JAC_REVERSE : TG_JAC_FORWARD;

    tg_tensor **res = ptrs(g, who, n_in), **col = ptrs(g, who, n_in);
    if (!res || !col) return g->status;
    for (int i = 0; i < n_in; i++)
        if (!(res[i] = block(g, who, output->dtype, output, inputs[i])))
            return g->status;
    int64_t passes = 0;
    if (mode == TG_JAC_REVERSE) {
        /* row r: the gradient of output[r] */
        tg_tensor *e = zeros_like(g, output);
        if (!e) return g->status;
        for (int64_t r = 0; r < m && st == TG_OK; r++) {
            put(e, r, 1.0);
            st = tg_grad(g, &output, 1, &e, inputs, n_in, false, col);
            passes++;
            for (int i = 0; i < n_in && st == TG_OK; i++) {
                int64_t ni = inputs[i]->numel;
                for (int64_t c = 0; c < ni; c++)
                    put(res[i], r * ni + c, tg_get(col[i], c));
            }
            put(e, r, 0.0);
        }
    } else {
        /* column (i, c): the JVP along input i's element c */
        tg_tensor *u, **gx = ptrs(g, who, n_in);
        if (!gx) return g->status;
        st = transposed(g, who, &output, 1, inputs, n_in, &u, gx);
        passes++;
        for (int i = 0; i < n_in && st == TG_OK; i++) {
            int64_t ni = inputs[i]->numel;
            tg_tensor *e = zeros_like(g, inputs[i]), *d;
            if (!e) return g->status;
            for (int64_t c = 0; c < ni && st == TG_OK; c++) {
                put(e, c, 1.0);
                st = tg_grad(g, &gx[i], 1, &e, &u, 1, false, &d);
                passes++;
                for (int64_t r = 0; r < m && st == TG_OK; r++)
                    put(res[i], r * ni + c, tg_get(d, r));
                put(e, c, 0.0);
            }
        }
    }
    if (st != TG_OK) return st;
    memcpy(jac, res, sizeof *jac * (size_t)n_in);
    if (passes_used) *passes_used = passes;
    return TG_OK;
}

tg_status tg_hessian(tg_graph *g, tg_tensor *f, tg_tensor *const *inputs,
                     int n_in, tg_tensor **hess)
{
    const char *who = "tg_hessian";
    if (!g)
        return tg__set_last_error(TG_ERR_ARG, "tg_hessian: graph is NULL");
    if (n_in > 0 && n_in <= 4096) poison_all(g, hess, n_in * n_in);
    if (g->status != TG_OK) return g->status;
    if (!hess) return tg__fail(g, TG_ERR_ARG, "tg_hessian: hess is NULL");
    tg_status st = check_list(g, who, "function", &f, 1);
    if (st == TG_OK) st = check_list(g, who, "input", inputs, n_in);
    if (st != TG_OK) return st;
    if (n_in > 4096)
        return tg__fail(g, TG_ERR_ARG,
                        "tg_hessian: %d inputs give %lld blocks; at most "
                        "4096 inputs",
                        n_in, (long long)n_in * n_in);
    char s[TG_SHAPE_BUF];
    if (f->numel != 1)
        return tg__fail(g, TG_ERR_SHAPE,
                        "tg_hessian: f has shape %s, not one element; hint: "
                        "reduce it (tg_sum_all)",
                        tg__fmt_shape(s, f->ndim, f->shape));
    int nb = n_in * n_in;
    tg_tensor **res = ptrs(g, who, nb), **gr = ptrs(g, who, n_in),
              **row = ptrs(g, who, n_in);
    if (!res || !gr || !row) return g->status;
    for (int i = 0; i < n_in; i++)
        for (int j = 0; j < n_in; j++)
            if (!(res[i * n_in + j] =
                      block(g, who, f->dtype, inputs[i], inputs[j])))
                return g->status;
    st = tg_grad(g, &f, 1, NULL, inputs, n_in, true, gr);
    for (int i = 0; i < n_in && st == TG_OK; i++) {
        int64_t ni = inputs[i]->numel;
        tg_tensor *e = zeros_like(g, inputs[i]);
        if (!e) return g->status;
        for (int64_t a = 0; a < ni && st == TG_OK; a++) {
            put(e, a, 1.0);
            st = tg_grad(g, &gr[i], 1, &e, inputs, n_in, false, row);
            for (int j = 0; j < n_in && st == TG_OK; j++) {
                int64_t nj = inputs[j]->numel;
                for (int64_t b = 0; b < nj; b++)
                    put(res[i * n_in + j], a * nj + b, tg_get(row[j], b));
            }
            put(e, a, 0.0);
        }
    }
    if (st != TG_OK) return st;
    memcpy(hess, res, sizeof *hess * (size_t)nb);
    return TG_OK;
}
