/* Numeric gradient checking (tg_gradcheck).
 *
 * The function under test is rebuilt on one private f64 graph for every
 * evaluation (reset in O(1) between them). The scalar compared is
 *     L(x) = sum_k w_k f(x)_k
 * with w a fixed random vector (w = 1 with sum_only); the analytic side is
 * tg_grad of f with seed w (one VJP), the numeric side central differences
 * of L with L summed in long double. Beyond values, as PyTorch's gradcheck
 * does, it checks that two backward runs agree (nondeterminism), that a
 * zero seed gives zero gradients, and optionally second derivatives:
 *     S(x, w) = sum_i <r_i, dL/dx_i>
 * is differentiated analytically (tg_grad with create_graph) and
 * numerically, with respect to x and to the seed w (PyTorch's
 * gradgradcheck also differentiates through grad_outputs).
 */
#include "internal.h"

#include <float.h>
#include <math.h>
#include <stdio.h>

#define MAXV (TG_CHECK_MAX_INPUTS + 1) /* inputs plus the seed w */

tg_check_opts tg_check_defaults(void)
{
    tg_check_opts o = {0};
    o.eps = 1e-6;
    o.atol = 1e-5;
    o.rtol = 1e-3;
    o.nondet_tol = 0.0;
    o.seed = 0;
    o.sum_only = false;
    o.fast = false;
    o.gradgrad = false;
    o.kink_margin = 0.0;
    o.forward = false;
    o.locate = 0;
    return o;
}

typedef struct ck {
    tg_check_fn f;
    void *ud;
    int n;
    const tg_check_arg *args;
    tg_check_opts o;
    tg_check_report *r;
    tg_graph *g;
    double *x[TG_CHECK_MAX_INPUTS]; /* current input values (perturbed)  */
    int64_t numel[TG_CHECK_MAX_INPUTS];
    double *w;                      /* output seed, numel wn             */
    int64_t wn;
    int out_ndim;
    int64_t out_shape[TG_MAX_DIMS];
    double *r_gg[TG_CHECK_MAX_INPUTS]; /* gradgrad projection of dL/dx_i */
    const char *nonsmooth;          /* first op flagged NONSMOOTH, or NULL */
} ck;

/* --------------------------------------------------------------- helpers */

static void set_msg(ck *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_msg(ck *c, const char *fmt, ...)
{
    if (c->r->message[0]) return; /* the first reason wins */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->r->message, sizeof c->r->message, fmt, ap);
    va_end(ap);
}

/* Record an error of the build itself (not a mismatch) and return it. */
static tg_status build_error(ck *c, tg_status st, const char *what)
{
    const char *e = tg_graph_error(c->g);
    if (st == TG_OK) st = TG_ERR_STATE;
    if (!e || !*e) e = tg_last_error();
    snprintf(c->r->message, sizeof c->r->message, "tg_gradcheck: %s: %s",
             what, e && *e ? e : tg_status_str(st));
    tg__set_last_error(st, "%s", c->r->message);
    return st;
}

static double *dup_zero(int64_t n)
{
    return tg__calloc((size_t)(n ? n : 1) * sizeof(double));
}

static void fill_uniform(tg_rng *rng, double *v, int64_t n, double lo,
                         double hi)
{
    for (int64_t i = 0; i < n; i++)
        v[i] = lo + (hi - lo) * tg_rng_uniform(rng);
}

/* Projection weights: random sign, magnitude in [0.5, 1.5], so every
 * output element carries a weight well away from zero. */
static void fill_weights(tg_rng *rng, double *v, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        double m = 0.5 + tg_rng_uniform(rng);
        v[i] = (tg_rng_next(rng) >> 63) ? -m : m;
    }
}

/* Build f on a fresh step of the private graph. ins[] receives the leaf
 * tensors; *out the f64 output. Grad mode as asked; the graph RNG is
 * reseeded so random ops draw the same values in every evaluation. */
static tg_status build(ck *c, bool grad, tg_tensor **ins, tg_tensor **out)
{
    tg_graph *g = c->g;
    tg_graph_reset(g);
    tg_set_grad_enabled(g, grad);
    tg_rng_seed(tg_graph_rng(g), c->o.seed);
    for (int i = 0; i < c->n; i++) {
        const tg_check_arg *a = &c->args[i];
        ins[i] = tg_input(g, TG_F64, a->ndim, a->shape, c->x[i]);
        if (grad && !a->no_grad) tg_set_requires_grad(ins[i], true);
        if (a->name && !(ins[i]->flags & TG_TF_POISON)) ins[i]->name = a->name;
    }
    if (tg_graph_status(g) != TG_OK) return tg_graph_status(g);
    tg_tensor *y = c->f(g, ins, c->n, c->ud);
    if (tg_graph_status(g) != TG_OK) return tg_graph_status(g);
    if (!y || (y->flags & TG_TF_POISON))
        return tg__fail(g, TG_ERR_ARG,
                        "the function returned %s without setting a graph "
                        "error",
                        y ? "the poison tensor" : "NULL");
    if (y->graph != g)
        return tg__fail(g, TG_ERR_ARG,
                        "the function returned a tensor of another graph");
    if (y->dtype != TG_F64) y = tg_cast(y, TG_F64);
    if (tg_graph_status(g) != TG_OK) return tg_graph_status(g);
    *out = y;
    return TG_OK;
}

/* L = sum_k w_k y_k in long double. */
static double weighted_sum(const ck *c, const tg_tensor *y)
{
    const double *yv = y->data;
    long double s = 0;
    for (int64_t k = 0; k < y->numel; k++) s += (long double)c->w[k] * yv[k];
    return (double)s;
}

static bool same_out_shape(const ck *c, const tg_tensor *y)
{
    if (y->ndim != c->out_ndim) return false;
    for (int i = 0; i < y->ndim; i++)
        if (y->shape[i] != c->out_shape[i]) return false;
    return true;
}

static tg_status shape_changed(ck *c)
{
    tg__fail(c->g, TG_ERR_SHAPE,
             "the output shape changed between evaluations; hint: the "
             "function must not depend on input values for its shape");
    return build_error(c, TG_ERR_SHAPE, "evaluating the function");
}

/* Seed tensor w on the graph (an input; requires grad when asked). */
static tg_tensor *seed_tensor(ck *c, bool rg)
{
    tg_tensor *s = tg_input(c->g, TG_F64, c->out_ndim, c->out_shape, c->w);
    if (rg) tg_set_requires_grad(s, true);
    return s;
}

/* Indices of inputs that are differentiated. */
static int grad_inputs(const ck *c, int *idx)
{
    int k = 0;
    for (int i = 0; i < c->n; i++)
        if (!c->args[i].no_grad) idx[k++] = i;
    return k;
}

/* First-order objective L(x) or second-order S(x, w). */
typedef enum { OBJ_L, OBJ_S } objective;

static tg_status eval_obj(ck *c, objective ob, double *val)
{
    tg_tensor *ins[TG_CHECK_MAX_INPUTS], *y = NULL;
    tg_status st = build(c, ob == OBJ_S, ins, &y);
    if (st != TG_OK) return build_error(c, st, "evaluating the function");
    if (!same_out_shape(c, y)) return shape_changed(c);
    if (ob == OBJ_L) {
        *val = weighted_sum(c, y);
        return TG_OK;
    }
    int idx[TG_CHECK_MAX_INPUTS];
    int m = grad_inputs(c, idx);
    tg_tensor *t[TG_CHECK_MAX_INPUTS], *gr[TG_CHECK_MAX_INPUTS];
    for (int j = 0; j < m; j++) t[j] = ins[idx[j]];
    tg_tensor *s = seed_tensor(c, false);
    st = tg_grad(c->g, &y, 1, &s, t, m, false, gr);
    if (st != TG_OK) return build_error(c, st, "gradgrad: backward");
    long double acc = 0;
    for (int j = 0; j < m; j++) {
        const double *gv = gr[j]->data;
        for (int64_t k = 0; k < gr[j]->numel; k++)
            acc += (long double)c->r_gg[idx[j]][k] * gv[k];
    }
    *val = (double)acc;
    return TG_OK;
}

/* Central difference of the objective along direction u of variable v
 * (u NULL: the unit vector of element `elem`). */
static tg_status central(ck *c, objective ob, double *v, int64_t nv,
                         int64_t elem, const double *u, double h, double *d)
{
    double lp = 0, lm = 0;
    tg_status st;
    if (u) {
        double *save = tg__malloc((size_t)nv * sizeof(double));
        if (!save) {
            snprintf(c->r->message, sizeof c->r->message,
                     "tg_gradcheck: out of memory");
            return tg__set_last_error(TG_ERR_OOM, "%s", c->r->message);
        }
        memcpy(save, v, (size_t)nv * sizeof(double));
        for (int64_t k = 0; k < nv; k++) v[k] = save[k] + h * u[k];
        st = eval_obj(c, ob, &lp);
        if (st == TG_OK) {
            for (int64_t k = 0; k < nv; k++) v[k] = save[k] - h * u[k];
            st = eval_obj(c, ob, &lm);
        }
        memcpy(v, save, (size_t)nv * sizeof(double));
        tg__free(save);
    } else {
        double x0 = v[elem];
        v[elem] = x0 + h;
        st = eval_obj(c, ob, &lp);
        if (st == TG_OK) {
            v[elem] = x0 - h;
            st = eval_obj(c, ob, &lm);
        }
        v[elem] = x0;
    }
    if (st != TG_OK) return st;
    *d = (lp - lm) / (2 * h);
    return TG_OK;
}

/* One-sided slopes of the objective at element `elem` over step h. A
 * difference between them well beyond curvature marks a kink within h. */
static tg_status one_sided(ck *c, objective ob, double *v, int64_t elem,
                           double h, double *sm, double *sp)
{
    double x0 = v[elem], l0 = 0, lp = 0, lm = 0;
    tg_status st = eval_obj(c, ob, &l0);
    if (st == TG_OK) {
        v[elem] = x0 + h;
        st = eval_obj(c, ob, &lp);
    }
    if (st == TG_OK) {
        v[elem] = x0 - h;
        st = eval_obj(c, ob, &lm);
    }
    v[elem] = x0;
    if (st != TG_OK) return st;
    *sp = (lp - l0) / h;
    *sm = (l0 - lm) / h;
    return TG_OK;
}

static double tol_of(const ck *c, double numeric)
{
    return c->o.atol + c->o.rtol * fabs(numeric);
}

/* How badly a pair violates the tolerance (> 1 fails; NaN = +Inf). */
static double violation(const ck *c, double a, double nu)
{
    double e = fabs(a - nu);
    if (isnan(e)) return INFINITY;
    double t = tol_of(c, nu);
    return t > 0 ? e / t : (e > 0 ? INFINITY : 0);
}

static double rel_err(const ck *c, double a, double nu)
{
    double e = fabs(a - nu);
    if (e == 0) return 0;
    double den = fmax(fabs(nu), c->o.atol > 0 ? c->o.atol : DBL_MIN);
    return e / den;
}

static void init_input_report(tg_check_input_report *ir, const char *name,
                              int ndim, const int64_t *shape)
{
    memset(ir, 0, sizeof *ir);
    ir->name = name;
    ir->ndim = ndim;
    for (int d = 0; d < ndim; d++) ir->shape[d] = shape[d];
    ir->worst = -1;
    ir->pass = true;
}

/* The worst element so far: the failing one with the largest absolute
 * error; when none fails, the one with the largest absolute error. */
typedef struct worst_track {
    bool fails;
    double e;
} worst_track;

static void track(const ck *c, tg_check_input_report *ir, worst_track *w,
                  int64_t k, double a, double nu)
{
    double e = fabs(a - nu), re = rel_err(c, a, nu);
    if (isnan(e)) e = re = INFINITY;
    if (e > ir->max_abs_err) ir->max_abs_err = e;
    if (re > ir->max_rel_err) ir->max_rel_err = re;
    bool fails = violation(c, a, nu) > 1.0;
    if ((fails && !w->fails) || (fails == w->fails && e > w->e)) {
        w->fails = fails;
        w->e = e;
        ir->worst = k;
        ir->analytic = a;
        ir->numeric = nu;
    }
}

/* Full element-by-element comparison of `analytic` with central
 * differences of the objective with respect to variable v. */
static tg_status full_compare(ck *c, objective ob, double *v, int64_t nv,
                              const double *analytic,
                              tg_check_input_report *ir)
{
    worst_track w = {false, -1};
    ir->max_abs_err = ir->max_rel_err = 0;
    ir->worst = -1;
    ir->pass = true;
    for (int64_t k = 0; k < nv; k++) {
        double nu;
        tg_status st = central(c, ob, v, nv, k, NULL, c->o.eps, &nu);
        if (st != TG_OK) return st;
        track(c, ir, &w, k, analytic[k], nu);
    }
    bool worst_fails = w.fails;
    ir->pass = !worst_fails;
    ir->at_kink = false;
    if (!ir->pass && ir->worst >= 0) {
        /* At a kink within eps the central difference blends the two
         * one-sided slopes: their gap is twice the error it causes. A
         * wrong VJP on a smooth function leaves them equal. */
        double sm = 0, sp = 0;
        tg_status st = one_sided(c, ob, v, ir->worst, c->o.eps, &sm, &sp);
        if (st != TG_OK) return st;
        double gap = fabs(sp - sm);
        ir->at_kink = gap > tol_of(c, ir->numeric) &&
                      gap >= 0.5 * fabs(ir->analytic - ir->numeric);
    }
    return TG_OK;
}

/* Fast mode: one random direction u (unit norm) per variable; compares
 * <analytic, u> with the directional central difference. */
static tg_status fast_compare(ck *c, objective ob, double *v, int64_t nv,
                              const double *analytic, tg_rng *rng,
                              tg_check_input_report *ir, bool *ok)
{
    double *u = tg__malloc((size_t)(nv ? nv : 1) * sizeof(double));
    if (!u) {
        snprintf(c->r->message, sizeof c->r->message,
                 "tg_gradcheck: out of memory");
        return tg__set_last_error(TG_ERR_OOM, "%s", c->r->message);
    }
    long double nrm = 0;
    for (int64_t k = 0; k < nv; k++) {
        u[k] = 2 * tg_rng_uniform(rng) - 1;
        nrm += (long double)u[k] * u[k];
    }
    double s = nrm > 0 ? (double)(1.0L / sqrtl(nrm)) : 1;
    long double a = 0;
    for (int64_t k = 0; k < nv; k++) {
        u[k] *= s;
        a += (long double)analytic[k] * u[k];
    }
    double nu = 0;
    tg_status st = central(c, ob, v, nv, 0, u, c->o.eps, &nu);
    tg__free(u);
    if (st != TG_OK) return st;
    ir->analytic = (double)a;
    ir->numeric = nu;
    ir->max_abs_err = fabs((double)a - nu);
    ir->max_rel_err = rel_err(c, (double)a, nu);
    ir->worst = -1;
    *ok = violation(c, (double)a, nu) <= 1.0;
    ir->pass = *ok;
    return TG_OK;
}

static tg_status compare(ck *c, objective ob, double *v, int64_t nv,
                         const double *analytic, tg_rng *rng,
                         tg_check_input_report *ir)
{
    ir->checked = true;
    if (c->o.fast) {
        bool ok = false;
        tg_status st = fast_compare(c, ob, v, nv, analytic, rng, ir, &ok);
        if (st != TG_OK || ok) return st;
        /* The projection disagreed: the full check names the element. */
    }
    return full_compare(c, ob, v, nv, analytic, ir);
}

/* --------------------------------------------------------------- kinks */

/* Move each input element whose one-sided slopes over kink_margin differ
 * (a relu/abs kink or a max tie within the margin) to a nearby point where
 * they agree. Smooth functions with strong curvature may move a point
 * needlessly; that is harmless because the check stays valid anywhere. */
static tg_status avoid_kinks(ck *c, int *moved)
{
    double m = c->o.kink_margin;
    *moved = 0;
    static const double steps[] = {3, -3, 6, -6, 12, -12};
    for (int pass = 0; pass < 2; pass++) {
        int moved_now = 0;
        for (int i = 0; i < c->n; i++) {
            if (c->args[i].no_grad) continue;
            double *v = c->x[i];
            for (int64_t k = 0; k < c->numel[i]; k++) {
                double x0 = v[k], sm = 0, sp = 0;
                tg_status st = one_sided(c, OBJ_L, v, k, m, &sm, &sp);
                if (st != TG_OK) return st;
                double lim = c->o.atol + c->o.rtol * fmax(fabs(sm), fabs(sp));
                if (!(fabs(sp - sm) > lim)) continue;
                bool found = false;
                for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
                    v[k] = x0 + steps[s] * m;
                    st = one_sided(c, OBJ_L, v, k, m, &sm, &sp);
                    if (st != TG_OK) return st;
                    lim = c->o.atol + c->o.rtol * fmax(fabs(sm), fabs(sp));
                    if (fabs(sp - sm) <= lim) {
                        found = true;
                        break;
                    }
                }
                if (!found) v[k] = x0;
                else moved_now++;
            }
        }
        *moved += moved_now;
        if (!moved_now) break;
    }
    return TG_OK;
}

/* --------------------------------------------------------------- checks */

static const char *first_nonsmooth(const tg_graph *g)
{
    for (const tg_node *n = g->tape; n; n = n->prev)
        if (n->op->flags & TG_OPF_NONSMOOTH) return n->op->name;
    return NULL;
}

/* Analytic first-order gradients: ga[i] (caller frees) for inputs that are
 * differentiated; also the determinism and zero-seed checks. */
static tg_status first_order(ck *c, double **ga)
{
    tg_tensor *ins[TG_CHECK_MAX_INPUTS], *y = NULL;
    tg_status st = build(c, true, ins, &y);
    if (st != TG_OK) return build_error(c, st, "building the function");
    if (!same_out_shape(c, y)) return shape_changed(c);
    c->nonsmooth = first_nonsmooth(c->g);
    int idx[TG_CHECK_MAX_INPUTS];
    int m = grad_inputs(c, idx);
    if (m == 0) return TG_OK;
    tg_tensor *t[TG_CHECK_MAX_INPUTS], *gr[TG_CHECK_MAX_INPUTS],
        *gr2[TG_CHECK_MAX_INPUTS];
    for (int j = 0; j < m; j++) t[j] = ins[idx[j]];
    tg_tensor *s = seed_tensor(c, false);
    st = tg_grad(c->g, &y, 1, &s, t, m, false, gr);
    if (st != TG_OK) return build_error(c, st, "backward");
    for (int j = 0; j < m; j++) {
        int i = idx[j];
        if (gr[j]->numel != c->numel[i] || gr[j]->dtype != TG_F64) {
            char s1[TG_SHAPE_BUF], s2[TG_SHAPE_BUF];
            tg__fail(c->g, TG_ERR_SHAPE,
                     "the gradient of input %d has shape %s, the input %s",
                     i + 1, tg__fmt_shape(s1, gr[j]->ndim, gr[j]->shape),
                     tg__fmt_shape(s2, c->args[i].ndim, c->args[i].shape));
            return build_error(c, TG_ERR_SHAPE, "backward");
        }
        ga[i] = dup_zero(c->numel[i]);
        if (!ga[i]) {
            tg__fail(c->g, TG_ERR_OOM, "out of memory");
            return build_error(c, TG_ERR_OOM, "copying gradients");
        }
        memcpy(ga[i], gr[j]->data, (size_t)c->numel[i] * sizeof(double));
        /* An infinite derivative (sqrt at 0, log at 0) is a property of f
         * at that point, not a fault of backward: say so before any
         * comparison that it would spoil. */
        for (int64_t k = 0; k < c->numel[i]; k++)
            if (isinf(ga[i][k])) {
                const char *nm = c->args[i].name;
                set_msg(c, "the derivative with respect to input %d%s%s%s is "
                           "infinite at element %lld (where the input is "
                           "%.6g): the function is not differentiable "
                           "there; choose input values away from it",
                        i + 1, nm ? " (" : "", nm ? nm : "", nm ? ")" : "",
                        (long long)k, c->x[i][k]);
                break;
            }
    }

    /* Backward once more on the same tape: must reproduce the result. */
    st = tg_grad(c->g, &y, 1, &s, t, m, false, gr2);
    if (st != TG_OK) return build_error(c, st, "second backward");
    double dmax = 0;
    for (int j = 0; j < m; j++) {
        const double *b = gr2[j]->data;
        for (int64_t k = 0; k < c->numel[idx[j]]; k++) {
            /* the same value twice (an infinity included) is a repeat */
            double d = b[k] == ga[idx[j]][k] ? 0 : fabs(b[k] - ga[idx[j]][k]);
            if (isnan(d) && !(isnan(b[k]) && isnan(ga[idx[j]][k])))
                d = INFINITY;
            if (d > dmax) dmax = d;
        }
    }
    c->r->deterministic = dmax <= c->o.nondet_tol;
    if (!c->r->deterministic)
        set_msg(c, "backward is not reentrant: two runs differ by up to %.3g "
                   "(nondet_tol %.3g)",
                dmax, c->o.nondet_tol);

    /* A zero upstream gradient must give exactly zero input gradients. */
    tg_tensor *z = tg_full(c->g, TG_F64, c->out_ndim, c->out_shape, 0.0);
    st = tg_grad(c->g, &y, 1, &z, t, m, false, gr2);
    if (st != TG_OK) return build_error(c, st, "backward with a zero seed");
    c->r->zero_seed_ok = true;
    for (int j = 0; j < m && c->r->zero_seed_ok; j++) {
        const double *b = gr2[j]->data;
        for (int64_t k = 0; k < gr2[j]->numel; k++)
            if (b[k] != 0) {
                c->r->zero_seed_ok = false;
                set_msg(c, "a zero upstream gradient gave %.3g at element "
                           "%lld of input %d's gradient",
                        b[k], (long long)k, idx[j] + 1);
                break;
            }
    }
    return TG_OK;
}

/* Analytic second order: dS/dx_i and dS/dw, with S = sum_i <r_i, J_i^T w>. */
static tg_status second_order(ck *c, double **hx, double *hw)
{
    tg_tensor *ins[TG_CHECK_MAX_INPUTS], *y = NULL;
    tg_status st = build(c, true, ins, &y);
    if (st != TG_OK) return build_error(c, st, "gradgrad: building");
    int idx[TG_CHECK_MAX_INPUTS];
    int m = grad_inputs(c, idx);
    tg_tensor *t[MAXV], *gr[MAXV], *h[MAXV];
    for (int j = 0; j < m; j++) t[j] = ins[idx[j]];
    tg_tensor *s = seed_tensor(c, true);
    st = tg_grad(c->g, &y, 1, &s, t, m, true, gr);
    if (st != TG_OK) return build_error(c, st, "gradgrad: backward");
    tg_tensor *S = NULL;
    for (int j = 0; j < m; j++) {
        tg_tensor *r = tg_constant(c->g, TG_F64, gr[j]->ndim, gr[j]->shape,
                                   c->r_gg[idx[j]]);
        tg_tensor *term = tg_sum_all(tg_mul(gr[j], r));
        S = S ? tg_add(S, term) : term;
    }
    if (tg_graph_status(c->g) != TG_OK)
        return build_error(c, tg_graph_status(c->g), "gradgrad: projecting");
    t[m] = s;
    st = tg_grad(c->g, &S, 1, NULL, t, m + 1, false, h);
    if (st != TG_OK) return build_error(c, st, "gradgrad: double backward");
    for (int j = 0; j < m; j++) {
        hx[idx[j]] = dup_zero(c->numel[idx[j]]);
        if (!hx[idx[j]]) {
            tg__fail(c->g, TG_ERR_OOM, "out of memory");
            return build_error(c, TG_ERR_OOM, "gradgrad");
        }
        memcpy(hx[idx[j]], h[j]->data,
               (size_t)c->numel[idx[j]] * sizeof(double));
    }
    memcpy(hw, h[m]->data, (size_t)c->wn * sizeof(double));
    return TG_OK;
}

/* --------------------------------------------------------- forward mode */

static tg_status ck_oom(ck *c, const char *what)
{
    snprintf(c->r->message, sizeof c->r->message,
             "tg_gradcheck: out of memory allocating %s", what);
    return tg__set_last_error(TG_ERR_OOM, "%s", c->r->message);
}

/* f(x) at the current inputs into out (c->wn values). */
static tg_status eval_out(ck *c, double *out)
{
    tg_tensor *ins[TG_CHECK_MAX_INPUTS], *y = NULL;
    tg_status st = build(c, false, ins, &y);
    if (st != TG_OK) return build_error(c, st, "evaluating the function");
    if (!same_out_shape(c, y)) return shape_changed(c);
    memcpy(out, y->data, (size_t)c->wn * sizeof(double));
    return TG_OK;
}

/* J_i v (tg_jvp) for a random tangent v of input i against the
 * directional central difference (f(x + eps v) - f(x - eps v)) / 2 eps,
 * element by element over the output. The dual of the reverse check,
 * which compares J^T w element by element over the input. */
static tg_status forward_row(ck *c, int i, tg_rng *rng,
                             tg_check_input_report *ir)
{
    int64_t nv = c->numel[i], wn = c->wn;
    size_t bv = (size_t)(nv ? nv : 1) * sizeof(double);
    size_t bw = (size_t)(wn ? wn : 1) * sizeof(double);
    double *v = tg__malloc(bv), *save = tg__malloc(bv), *ja = tg__malloc(bw),
           *yp = tg__malloc(bw), *ym = tg__malloc(bw), *y0 = tg__malloc(bw);
    tg_status st = TG_OK;
    if (!v || !save || !ja || !yp || !ym || !y0) {
        st = ck_oom(c, "forward-mode buffers");
        goto out;
    }
    fill_uniform(rng, v, nv, -1, 1);
    {
        tg_tensor *ins[TG_CHECK_MAX_INPUTS], *y = NULL, *jv = NULL;
        st = build(c, true, ins, &y);
        if (st != TG_OK) {
            st = build_error(c, st, "forward mode: building the function");
            goto out;
        }
        if (!same_out_shape(c, y)) {
            st = shape_changed(c);
            goto out;
        }
        tg_tensor *vt = tg_input(c->g, TG_F64, c->args[i].ndim,
                                 c->args[i].shape, v);
        st = tg_jvp(c->g, &y, 1, &ins[i], 1, &vt, false, &jv);
        if (st != TG_OK) {
            st = build_error(c, st, "forward mode: tg_jvp");
            goto out;
        }
        memcpy(ja, jv->data, (size_t)wn * sizeof(double));
    }
    double *x = c->x[i], h = c->o.eps;
    memcpy(save, x, (size_t)nv * sizeof(double));
    for (int64_t k = 0; k < nv; k++) x[k] = save[k] + h * v[k];
    st = eval_out(c, yp);
    if (st == TG_OK) {
        for (int64_t k = 0; k < nv; k++) x[k] = save[k] - h * v[k];
        st = eval_out(c, ym);
    }
    memcpy(x, save, (size_t)nv * sizeof(double));
    if (st == TG_OK) st = eval_out(c, y0);
    if (st != TG_OK) goto out;

    init_input_report(ir, c->args[i].name, c->out_ndim, c->out_shape);
    ir->checked = true;
    worst_track w = {false, -1};
    for (int64_t k = 0; k < wn; k++)
        track(c, ir, &w, k, ja[k], (yp[k] - ym[k]) / (2 * h));
    ir->pass = !w.fails;
    if (!ir->pass && ir->worst >= 0) {
        /* the kink test of the reverse check, along v at that output */
        int64_t k = ir->worst;
        double gap = fabs((yp[k] - y0[k]) / h - (y0[k] - ym[k]) / h);
        ir->at_kink = gap > tol_of(c, ir->numeric) &&
                      gap >= 0.5 * fabs(ir->analytic - ir->numeric);
    }
out:
    tg__free(v);
    tg__free(save);
    tg__free(ja);
    tg__free(yp);
    tg__free(ym);
    tg__free(y0);
    return st;
}

/* ---------------------------------------------------------- the faulty op */

/* One recorded op applied again to given inputs: the function of the
 * local check. */
typedef struct node_call {
    const tg_op *op;
    const tg_attrs *attrs;
} node_call;

static tg_tensor *node_fn(tg_graph *g, tg_tensor *const *in, int n, void *ud)
{
    (void)g;
    const node_call *u = ud;
    return tg_apply(u->op, in, n, u->attrs);
}

static void culprit_node(tg_check_culprit *cu, const tg_node *n,
                         tg_culprit_kind kind)
{
    cu->searched = true;
    cu->kind = kind;
    snprintf(cu->op, sizeof cu->op, "%s", n->op->name);
    cu->node = n->seq;
    cu->n_in = n->n_in;
    for (int j = 0; j < n->n_in && j < TG_CULPRIT_MAX_IN; j++) {
        cu->in_ndim[j] = n->in[j]->ndim;
        memcpy(cu->in_shape[j], n->in[j]->shape,
               sizeof(int64_t) * (size_t)n->in[j]->ndim);
    }
    tg_node_attrs_str(n, true, cu->attrs, sizeof cu->attrs);
}

static void culprit_worst(tg_check_culprit *cu, int ndim,
                          const int64_t *shape, int64_t flat)
{
    cu->worst = flat;
    cu->worst_ndim = ndim;
    memcpy(cu->worst_shape, shape, sizeof(int64_t) * (size_t)ndim);
}

/* "node #3 mul([3,4], [3,4]; alpha=0.1)" */
static size_t culprit_head(const tg_check_culprit *cu, char *buf, size_t size)
{
    size_t k = (size_t)snprintf(buf, size, "node #%lld %s(", (long long)cu->node,
                                cu->op);
    for (int j = 0; j < cu->n_in && j < TG_CULPRIT_MAX_IN && k < size; j++) {
        char sb[TG_SHAPE_BUF];
        k += (size_t)snprintf(buf + k, size - k, "%s%s", j ? ", " : "",
                              tg__fmt_shape(sb, cu->in_ndim[j],
                                            cu->in_shape[j]));
    }
    if (k < size && cu->n_in > TG_CULPRIT_MAX_IN)
        k += (size_t)snprintf(buf + k, size - k, ", ...");
    if (k < size)
        k += (size_t)snprintf(buf + k, size - k, "%s%s)",
                              cu->attrs[0] ? "; " : "", cu->attrs);
    return k < size ? k : size - 1;
}

/* The culprit's one line, cut at the buffer's end (the head alone may
 * fill most of it). */
static void culprit_text(tg_check_culprit *cu, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void culprit_text(tg_check_culprit *cu, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cu->text, sizeof cu->text, fmt, ap);
    va_end(ap);
}

static void fmt_index(char *buf, size_t size, int ndim, const int64_t *shape,
                      int64_t flat);

/* The flat index into input `in` of output element `flat` when `in`
 * broadcasts to the output's shape; -1 otherwise. */
static int64_t broadcast_index(const tg_tensor *in, const tg_tensor *out,
                               int64_t flat)
{
    if (in->ndim > out->ndim) return -1;
    int off = out->ndim - in->ndim;
    for (int d = 0; d < in->ndim; d++)
        if (in->shape[d] != out->shape[off + d] && in->shape[d] != 1)
            return -1;
    int64_t idx = 0, stride = 1;
    for (int d = out->ndim - 1; d >= 0; d--) {
        int64_t e = out->shape[d] > 0 ? out->shape[d] : 1;
        int64_t id = flat % e;
        flat /= e;
        int di = d - off;
        if (di < 0) continue;
        if (in->shape[di] != 1) idx += id * stride;
        stride *= in->shape[di];
    }
    return idx;
}

/* The first node (recording order) of the path to y whose output holds
 * NaN/Inf while all its inputs are finite. */
static bool locate_nonfinite_out(ck *c, const tg_node *const *nodes,
                                 int64_t nn, const bool *anc)
{
    tg_check_culprit *cu = &c->r->culprit;
    for (int64_t s = 0; s < nn; s++) {
        const tg_node *n = nodes[s];
        if (!anc[s]) continue;
        int64_t bad = tg__first_nonfinite(n->out);
        if (bad < 0) continue;
        bool inputs_finite = true;
        for (int j = 0; j < n->n_in; j++)
            if (tg__first_nonfinite(n->in[j]) >= 0) inputs_finite = false;
        if (!inputs_finite) continue;
        culprit_node(cu, n, TG_CULPRIT_NONFINITE_OUT);
        culprit_worst(cu, n->out->ndim, n->out->shape, bad);
        cu->analytic = tg_get(n->out, bad);
        cu->numeric = NAN;
        /* Elementwise (broadcasting) ops: the inputs' values at that
         * element; the input blamed is the one that is 0 there (log, /,
         * pow at 0) when exactly one is, or the only input. */
        char vals[200] = "", ib[TG_SHAPE_BUF];
        size_t k = 0;
        int zeros = 0, zero_at = -1;
        for (int j = 0; j < n->n_in; j++) {
            int64_t bi = broadcast_index(n->in[j], n->out, bad);
            if (bi < 0) {
                k = 0;
                vals[0] = 0;
                zeros = -1;
                break;
            }
            double v = tg_get(n->in[j], bi);
            if (v == 0) zeros++, zero_at = j;
            if (k < sizeof vals)
                k += (size_t)snprintf(vals + k, sizeof vals - k,
                                      "%sinput %d = %.6g", j ? ", " : "",
                                      j + 1, v);
        }
        cu->input = n->n_in == 1 ? 0 : zeros == 1 ? zero_at : -1;
        if (cu->input >= 0 && zeros >= 0) {
            int64_t bi = broadcast_index(n->in[cu->input], n->out, bad);
            cu->numeric = tg_get(n->in[cu->input], bi);
        }
        char head[300];
        culprit_head(cu, head, sizeof head);
        fmt_index(ib, sizeof ib, n->out->ndim, n->out->shape, bad);
        double v = cu->analytic;
        culprit_text(cu,
                 "%s: the output holds %s at %s from finite inputs%s%s%s",
                 head, isnan(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf", ib,
                 vals[0] ? " (" : "", vals, vals[0] ? ")" : "");
        return true;
    }
    return false;
}

/* The first VJP of the backward pass (reverse recording order) that
 * turns a finite upstream gradient into NaN/Inf. The upstream gradients
 * come from one tg_grad with respect to every node output; each
 * suspect's VJP is then run alone on a copy of its inputs. */
static tg_status locate_nonfinite_grad(ck *c, tg_tensor *y, tg_tensor **ins,
                                       const tg_node *const *nodes,
                                       int64_t nn, const bool *anc,
                                       bool *found)
{
    *found = false;
    tg_graph *g = c->g;
    int64_t m = 0;
    size_t cap = (size_t)(nn + TG_CHECK_MAX_INPUTS);
    tg_tensor **tg = tg__arena_alloc(&g->arena, sizeof *tg * cap);
    tg_tensor **gr = tg__arena_alloc(&g->arena, sizeof *gr * cap);
    int64_t *at = tg__arena_alloc(&g->arena, sizeof *at * cap);
    if (!tg || !gr || !at) return ck_oom(c, "the search for the faulty op");
    for (int64_t s = 0; s < nn; s++)
        if (anc[s] && (nodes[s]->out->flags & TG_TF_REQUIRES_GRAD)) {
            at[m] = s;
            tg[m++] = nodes[s]->out;
        }
    if (m == 0) return TG_OK;
    /* the inputs' gradients too: the last VJP may be the one */
    int64_t mt = m;
    for (int i = 0; i < c->n; i++)
        if (!c->args[i].no_grad) tg[mt++] = ins[i];
    tg_tensor *sd = seed_tensor(c, false);
    if (tg_grad(g, &y, 1, &sd, tg, (int)mt, false, gr) != TG_OK)
        return g->status == TG_ERR_OOM
                   ? build_error(c, TG_ERR_OOM, "searching the faulty op")
                   : TG_OK; /* already reported by the checks */
    bool any = false;
    for (int64_t j = 0; j < mt && !any; j++)
        any = tg__first_nonfinite(gr[j]) >= 0;
    if (!any) return TG_OK;
    for (int64_t j = m - 1; j >= 0; j--) {
        const tg_node *n = nodes[at[j]];
        if (tg__first_nonfinite(gr[j]) >= 0 || !n->op->vjp) continue;
        tg_graph *g2 = tg_graph_new();
        if (!g2) return ck_oom(c, "the search for the faulty op");
        tg_tensor *l[TG_CHECK_MAX_INPUTS], *want[TG_CHECK_MAX_INPUTS],
            *gx[TG_CHECK_MAX_INPUTS];
        int wi[TG_CHECK_MAX_INPUTS], nw = 0;
        bool ok = n->n_in <= TG_CHECK_MAX_INPUTS;
        for (int i = 0; ok && i < n->n_in; i++) {
            const tg_tensor *t = n->in[i];
            l[i] = tg_input(g2, t->dtype, t->ndim, t->shape, t->data);
            if ((t->flags & TG_TF_REQUIRES_GRAD) &&
                !(n->op->index_inputs & (1u << i))) {
                tg_set_requires_grad(l[i], true);
                wi[nw] = i;
                want[nw++] = l[i];
            }
        }
        tg_tensor *o2 = ok ? tg_apply(n->op, l, n->n_in, &n->attr) : NULL;
        tg_tensor *s2 = ok ? tg_input(g2, gr[j]->dtype, gr[j]->ndim,
                                      gr[j]->shape, gr[j]->data)
                           : NULL;
        if (ok && nw > 0 && tg_graph_status(g2) == TG_OK &&
            o2->dtype == s2->dtype && tg_grad(g2, &o2, 1, &s2, want, nw,
                                              false, gx) == TG_OK) {
            for (int q = 0; q < nw && !*found; q++) {
                int64_t bad = tg__first_nonfinite(gx[q]);
                if (bad < 0) continue;
                const tg_tensor *in = n->in[wi[q]];
                tg_check_culprit *cu = &c->r->culprit;
                culprit_node(cu, n, TG_CULPRIT_NONFINITE_GRAD);
                cu->input = wi[q];
                cu->analytic = tg_get(gx[q], bad);
                int64_t bi = gx[q]->numel == in->numel
                                 ? bad
                                 : broadcast_index(in, gx[q], bad);
                cu->numeric = bi >= 0 ? tg_get(in, bi) : NAN;
                culprit_worst(cu, gx[q]->ndim, gx[q]->shape, bad);
                char head[300], ib[TG_SHAPE_BUF];
                culprit_head(cu, head, sizeof head);
                fmt_index(ib, sizeof ib, gx[q]->ndim, gx[q]->shape, bad);
                double v = cu->analytic;
                culprit_text(cu,
                         "%s: its VJP gives %s in the gradient of input %d "
                         "at %s (where the input is %.6g) from a finite "
                         "upstream gradient",
                         head, isnan(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf",
                         wi[q] + 1, ib, cu->numeric);
                *found = true;
            }
        }
        bool oom = tg_graph_status(g2) == TG_ERR_OOM;
        tg_graph_free(g2);
        if (oom) return ck_oom(c, "the search for the faulty op");
        if (*found) return TG_OK;
    }
    return TG_OK;
}

/* The first node (recording order) whose own VJP fails a gradient check
 * on its recorded inputs: tg_gradcheck of that op alone, with the
 * caller's tolerances. A failure only at a kink is remembered and
 * reported when no node fails elsewhere. */
static tg_status locate_vjp(ck *c, const tg_node *const *nodes, int64_t nn,
                            const bool *anc)
{
    tg_check_culprit kink;
    memset(&kink, 0, sizeof kink);
    tg_check_report *lr = tg__malloc(sizeof *lr);
    if (!lr) return ck_oom(c, "the search for the faulty op");
    for (int64_t s = 0; s < nn; s++) {
        const tg_node *n = nodes[s];
        if (!anc[s] || !(n->out->flags & TG_TF_REQUIRES_GRAD) ||
            !n->op->vjp || n->n_in > TG_CHECK_MAX_INPUTS ||
            n->out->dtype != TG_F64)
            continue;
        tg_check_arg a[TG_CHECK_MAX_INPUTS];
        bool ok = true, any = false;
        int64_t total = 0;
        char names[TG_CHECK_MAX_INPUTS][20]; /* "input " and any int */
        for (int j = 0; j < n->n_in; j++) {
            const tg_tensor *t = n->in[j];
            if (t->dtype != TG_F64) ok = false;
            memset(&a[j], 0, sizeof a[j]);
            snprintf(names[j], sizeof names[j], "input %d", j + 1);
            a[j].name = names[j];
            a[j].ndim = t->ndim;
            memcpy(a[j].shape, t->shape, sizeof(int64_t) * (size_t)t->ndim);
            a[j].data = t->data;
            a[j].no_grad = !(t->flags & TG_TF_REQUIRES_GRAD) ||
                           (n->op->index_inputs & (1u << j));
            if (!a[j].no_grad) {
                any = true;
                total += t->numel;
            }
        }
        if (!ok || !any) continue;
        node_call u = {n->op, &n->attr};
        tg_check_opts o = tg_check_defaults();
        o.eps = c->o.eps;
        o.atol = c->o.atol;
        o.rtol = c->o.rtol;
        o.seed = c->o.seed;
        o.fast = total > 4096;
        o.locate = -1;
        tg_status st = tg_gradcheck(node_fn, &u, n->n_in, a, &o, lr);
        if (st == TG_ERR_OOM) {
            tg__free(lr);
            return ck_oom(c, "the search for the faulty op");
        }
        if (st != TG_ERR_NUMERIC) continue; /* passes, or cannot be rerun */
        const tg_check_input_report *bad = NULL;
        int bj = -1;
        for (int j = 0; j < n->n_in && !bad; j++)
            if (lr->in[j].checked && !lr->in[j].pass) bad = &lr->in[j], bj = j;
        if (!bad) continue; /* reentrancy or zero seed: reported already */
        tg_check_culprit cu;
        memset(&cu, 0, sizeof cu);
        culprit_node(&cu, n, bad->at_kink ? TG_CULPRIT_KINK : TG_CULPRIT_VJP);
        cu.input = bj;
        cu.analytic = bad->analytic;
        cu.numeric = bad->numeric;
        culprit_worst(&cu, bad->ndim, bad->shape, bad->worst);
        char head[300], ib[TG_SHAPE_BUF];
        culprit_head(&cu, head, sizeof head);
        fmt_index(ib, sizeof ib, bad->ndim, bad->shape, bad->worst);
        culprit_text(&cu,
                 "%s: %s of input %d is %.6g at %s, its local central "
                 "difference %.6g%s",
                 head, bad->at_kink ? "the gradient" : "its VJP", bj + 1,
                 bad->analytic, ib, bad->numeric,
                 bad->at_kink ? " (a kink: the one-sided slopes differ)" : "");
        if (!bad->at_kink) {
            c->r->culprit = cu;
            tg__free(lr);
            return TG_OK;
        }
        if (kink.kind == TG_CULPRIT_NONE) kink = cu;
    }
    tg__free(lr);
    if (kink.kind != TG_CULPRIT_NONE) c->r->culprit = kink;
    return TG_OK;
}

/* Search the faulty op on a fresh recording of f at the check's point. */
static tg_status locate(ck *c)
{
    tg_tensor *ins[TG_CHECK_MAX_INPUTS], *y = NULL;
    tg_status st = build(c, true, ins, &y);
    if (st != TG_OK) return build_error(c, st, "searching the faulty op");
    tg_graph *g = c->g;
    int64_t nn = g->n_nodes;
    if (nn == 0) return TG_OK;
    const tg_node **nodes = tg__malloc(sizeof *nodes * (size_t)nn);
    bool *anc = tg__calloc(sizeof *anc * (size_t)nn);
    if (!nodes || !anc) {
        tg__free(nodes);
        tg__free(anc);
        return ck_oom(c, "the search for the faulty op");
    }
    int64_t k = nn;
    for (const tg_node *n = g->tape; n && k > 0; n = n->prev)
        nodes[--k] = n;
    /* the path: nodes the output depends on */
    if (y->node && y->node->seq < nn) anc[y->node->seq] = true;
    for (int64_t s = nn - 1; s >= 0; s--) {
        if (!anc[s]) continue;
        const tg_node *n = nodes[s];
        for (int j = 0; j < n->n_in; j++)
            if (n->in[j]->node && n->in[j]->node->seq < nn)
                anc[n->in[j]->node->seq] = true;
    }
    c->r->culprit.searched = true;
    bool found = locate_nonfinite_out(c, nodes, nn, anc);
    if (!found)
        st = locate_nonfinite_grad(c, y, ins, nodes, nn, anc, &found);
    if (st == TG_OK && !found) st = locate_vjp(c, nodes, nn, anc);
    tg__free(nodes);
    tg__free(anc);
    return st;
}

static tg_status validate(tg_check_fn f, int n, const tg_check_arg *in,
                          const tg_check_opts *o, int64_t *numel)
{
    if (!f)
        return tg__set_last_error(TG_ERR_ARG, "tg_gradcheck: the function is "
                                              "NULL");
    if (n < 0 || n > TG_CHECK_MAX_INPUTS || (n > 0 && !in))
        return tg__set_last_error(TG_ERR_ARG,
                                  "tg_gradcheck: %d inputs (allowed 0..%d, "
                                  "and the array must not be NULL)",
                                  n, TG_CHECK_MAX_INPUTS);
    if (!(o->eps > 0) || !isfinite(o->eps) || !(o->atol >= 0) ||
        !(o->rtol >= 0) || !(o->nondet_tol >= 0) || !(o->kink_margin >= 0))
        return tg__set_last_error(TG_ERR_ARG,
                                  "tg_gradcheck: bad options (eps %g must be "
                                  "> 0; atol %g, rtol %g, nondet_tol %g, "
                                  "kink_margin %g must be >= 0)",
                                  o->eps, o->atol, o->rtol, o->nondet_tol,
                                  o->kink_margin);
    for (int i = 0; i < n; i++) {
        if (in[i].ndim < 0 || in[i].ndim > TG_MAX_DIMS)
            return tg__set_last_error(TG_ERR_ARG,
                                      "tg_gradcheck: input %d has ndim %d "
                                      "(allowed 0..%d)",
                                      i + 1, in[i].ndim, TG_MAX_DIMS);
        if (!tg__numel(in[i].ndim, in[i].shape, &numel[i])) {
            char sb[TG_SHAPE_BUF];
            return tg__set_last_error(TG_ERR_SHAPE,
                                      "tg_gradcheck: input %d has a bad "
                                      "shape %s",
                                      i + 1,
                                      tg__fmt_shape(sb, in[i].ndim,
                                                    in[i].shape));
        }
    }
    return TG_OK;
}

static tg_status run_check(ck *c)
{
    tg_check_report *r = c->r;
    tg_rng rng;
    tg_rng_seed(&rng, c->o.seed);
    for (int i = 0; i < c->n; i++) {
        c->x[i] = dup_zero(c->numel[i]);
        if (!c->x[i]) goto oom;
        if (c->args[i].data)
            memcpy(c->x[i], c->args[i].data,
                   (size_t)c->numel[i] * sizeof(double));
        else
            fill_uniform(&rng, c->x[i], c->numel[i], -1, 1);
    }

    /* A first build fixes the output shape and the seed w. */
    {
        tg_tensor *ins[TG_CHECK_MAX_INPUTS], *y = NULL;
        tg_status st = build(c, false, ins, &y);
        if (st != TG_OK) return build_error(c, st, "building the function");
        c->out_ndim = y->ndim;
        for (int d = 0; d < y->ndim; d++) c->out_shape[d] = y->shape[d];
        c->wn = y->numel;
        c->w = dup_zero(c->wn);
        if (!c->w) goto oom;
        if (c->o.sum_only)
            for (int64_t k = 0; k < c->wn; k++) c->w[k] = 1;
        else
            fill_weights(&rng, c->w, c->wn);
    }

    int moved = 0;
    if (c->o.kink_margin > 0) {
        tg_status st = avoid_kinks(c, &moved);
        if (st != TG_OK) return st;
    }

    double *ga[TG_CHECK_MAX_INPUTS] = {0};
    tg_status st = first_order(c, ga);
    for (int i = 0; i < c->n && st == TG_OK; i++) {
        const tg_check_arg *a = &c->args[i];
        tg_check_input_report *ir = &r->in[i];
        init_input_report(ir, a->name, a->ndim, a->shape);
        if (a->no_grad) continue;
        st = compare(c, OBJ_L, c->x[i], c->numel[i], ga[i], &rng, ir);
        if (st == TG_OK && !ir->pass)
            set_msg(c, "input %d%s%s%s: analytic %.6g vs numeric %.6g at "
                       "element %lld%s",
                    i + 1, a->name ? " (" : "", a->name ? a->name : "",
                    a->name ? ")" : "", ir->analytic, ir->numeric,
                    (long long)ir->worst,
                    ir->at_kink ? " (at a non-differentiable point; hint: "
                                  "set kink_margin)"
                                : "");
    }
    for (int i = 0; i < c->n; i++) tg__free(ga[i]);
    if (st != TG_OK) return st;

    bool values_ok = true;
    for (int i = 0; i < c->n; i++)
        if (r->in[i].checked && !r->in[i].pass) values_ok = false;

    r->forward_pass = true;
    if (c->o.forward) {
        r->n_forward = c->n;
        for (int i = 0; i < c->n; i++) {
            const tg_check_arg *a = &c->args[i];
            tg_check_input_report *ir = &r->forward[i];
            init_input_report(ir, a->name, c->out_ndim, c->out_shape);
            if (a->no_grad) continue;
            st = forward_row(c, i, &rng, ir);
            if (st != TG_OK) return st;
            if (ir->pass) continue;
            r->forward_pass = false;
            set_msg(c, "forward: input %d%s%s%s: JVP %.6g vs numeric %.6g at "
                       "output element %lld%s",
                    i + 1, a->name ? " (" : "", a->name ? a->name : "",
                    a->name ? ")" : "", ir->analytic, ir->numeric,
                    (long long)ir->worst,
                    ir->at_kink ? " (at a non-differentiable point; hint: "
                                  "set kink_margin)"
                                : "");
        }
    }
    if (c->o.locate > 0 ||
        (c->o.locate == 0 && (!values_ok || !r->forward_pass))) {
        st = locate(c);
        if (st != TG_OK) return st;
    }

    r->gradgrad_pass = true;
    if (c->o.gradgrad && c->nonsmooth) {
        r->gradgrad_skipped = true;
    } else if (c->o.gradgrad) {
        int idx[TG_CHECK_MAX_INPUTS];
        int m = grad_inputs(c, idx);
        for (int j = 0; j < m; j++) {
            c->r_gg[idx[j]] = dup_zero(c->numel[idx[j]]);
            if (!c->r_gg[idx[j]]) goto oom;
            fill_weights(&rng, c->r_gg[idx[j]], c->numel[idx[j]]);
        }
        double *hx[TG_CHECK_MAX_INPUTS] = {0};
        double *hw = dup_zero(c->wn);
        if (!hw) goto oom;
        st = second_order(c, hx, hw);
        r->n_gradgrad = c->n + 1;
        for (int i = 0; i <= c->n && st == TG_OK; i++) {
            tg_check_input_report *ir = &r->gradgrad[i];
            if (i == c->n) {
                init_input_report(ir, "grad_output", c->out_ndim,
                                  c->out_shape);
                st = compare(c, OBJ_S, c->w, c->wn, hw, &rng, ir);
            } else {
                const tg_check_arg *a = &c->args[i];
                init_input_report(ir, a->name, a->ndim, a->shape);
                if (a->no_grad) continue;
                st = compare(c, OBJ_S, c->x[i], c->numel[i], hx[i], &rng, ir);
            }
            if (st == TG_OK && !ir->pass) {
                r->gradgrad_pass = false;
                set_msg(c, "gradgrad: %s%d%s%s%s: analytic %.6g vs numeric "
                           "%.6g at element %lld",
                        i == c->n ? "grad_output" : "input ",
                        i == c->n ? 0 : i + 1, ir->name ? " (" : "",
                        ir->name ? ir->name : "", ir->name ? ")" : "",
                        ir->analytic, ir->numeric, (long long)ir->worst);
            }
        }
        for (int i = 0; i < c->n; i++) tg__free(hx[i]);
        tg__free(hw);
        if (st != TG_OK) return st;
    }
    r->pass = values_ok && r->deterministic && r->zero_seed_ok &&
              r->gradgrad_pass && r->forward_pass;
    r->kinks_moved = moved;
    return r->pass ? TG_OK : TG_ERR_NUMERIC;

oom:
    snprintf(r->message, sizeof r->message,
             "tg_gradcheck: out of memory allocating check buffers");
    return tg__set_last_error(TG_ERR_OOM, "%s", r->message);
}

tg_status tg_gradcheck(tg_check_fn f, void *ud, int n_inputs,
                       const tg_check_arg *inputs, const tg_check_opts *opts,
                       tg_check_report *report)
{
    tg_check_report local;
    tg_check_report *r = report ? report : &local;
    memset(r, 0, sizeof *r);
    r->n_inputs = n_inputs > 0 && n_inputs <= TG_CHECK_MAX_INPUTS ? n_inputs
                                                                  : 0;
    for (int i = 0; i < TG_CHECK_MAX_INPUTS; i++) r->in[i].worst = -1;
    /* Vacuously true until a check says otherwise (no differentiated
     * input: nothing to compare). */
    r->gradgrad_pass = true;
    r->deterministic = true;
    r->zero_seed_ok = true;
    r->forward_pass = true;
    r->culprit.node = -1;
    r->culprit.input = -1;
    r->culprit.worst = -1;

    ck c;
    memset(&c, 0, sizeof c);
    c.o = opts ? *opts : tg_check_defaults();
    c.r = r;
    tg_status st = validate(f, n_inputs, inputs, &c.o, c.numel);
    if (st != TG_OK) {
        r->deterministic = r->zero_seed_ok = false;
        snprintf(r->message, sizeof r->message, "%s", tg_last_error());
        return st;
    }
    c.f = f;
    c.ud = ud;
    c.n = n_inputs;
    c.args = inputs;
    for (int i = 0; i < n_inputs; i++) {
        const tg_check_arg *a = &inputs[i];
        init_input_report(&r->in[i], a->name, a->ndim, a->shape);
    }
    c.g = tg_graph_new();
    if (!c.g) {
        snprintf(r->message, sizeof r->message, "tg_gradcheck: %s",
                 tg_last_error());
        return tg__set_last_error(TG_ERR_OOM, "%s", r->message);
    }
    st = run_check(&c);
    tg_graph_free(c.g);
    for (int i = 0; i < TG_CHECK_MAX_INPUTS; i++) {
        tg__free(c.x[i]);
        tg__free(c.r_gg[i]);
    }
    tg__free(c.w);
    if (st != TG_OK && st != TG_ERR_NUMERIC) r->pass = false;
    if (st == TG_ERR_NUMERIC && !r->message[0])
        snprintf(r->message, sizeof r->message, "gradient mismatch");
    return st;
}

/* ------------------------------------------------------------- printing */

/* Flat index -> "(i,j,k)" for the shape. */
static void fmt_index(char *buf, size_t size, int ndim, const int64_t *shape,
                      int64_t flat)
{
    if (flat < 0) {
        snprintf(buf, size, "-");
        return;
    }
    int64_t idx[TG_MAX_DIMS];
    for (int d = ndim - 1; d >= 0; d--) {
        int64_t e = shape[d] > 0 ? shape[d] : 1;
        idx[d] = flat % e;
        flat /= e;
    }
    size_t k = (size_t)snprintf(buf, size, "(");
    for (int d = 0; d < ndim && k < size; d++)
        k += (size_t)snprintf(buf + k, size - k, "%s%lld", d ? "," : "",
                              (long long)idx[d]);
    if (k < size) snprintf(buf + k, size - k, ")");
}

void tg_check_format_index(char *buf, size_t size,
                           const tg_check_input_report *ir)
{
    if (!buf || size == 0) return;
    if (!ir || ir->ndim < 0 || ir->ndim > TG_MAX_DIMS) {
        snprintf(buf, size, "-");
        return;
    }
    fmt_index(buf, size, ir->ndim, ir->shape, ir->worst);
}

static void print_rows(FILE *f, const tg_check_input_report *rows, int n)
{
    fprintf(f, "%-12s %-14s %-12s %-12s %-12s %-14s %-14s %s\n", "input",
            "shape", "max abs err", "max rel err", "worst", "analytic",
            "numeric", "result");
    for (int i = 0; i < n; i++) {
        const tg_check_input_report *ir = &rows[i];
        char nm[32], sb[TG_SHAPE_BUF], wi[TG_SHAPE_BUF];
        if (ir->name) snprintf(nm, sizeof nm, "%s", ir->name);
        else snprintf(nm, sizeof nm, "#%d", i + 1);
        tg__fmt_shape(sb, ir->ndim, ir->shape);
        if (!ir->checked) {
            fprintf(f, "%-12s %-14s %-12s %-12s %-12s %-14s %-14s %s\n", nm, sb,
                    "-", "-", "-", "-", "-", "not checked (no grad)");
            continue;
        }
        if (ir->worst >= 0) fmt_index(wi, sizeof wi, ir->ndim, ir->shape,
                                      ir->worst);
        else snprintf(wi, sizeof wi, "projection");
        fprintf(f, "%-12s %-14s %-12.3e %-12.3e %-12s %-14.7g %-14.7g %s%s\n",
                nm, sb, ir->max_abs_err, ir->max_rel_err, wi, ir->analytic,
                ir->numeric, ir->pass ? "ok" : "FAIL",
                !ir->pass && ir->at_kink
                    ? " (at a kink: the one-sided slopes differ)"
                    : "");
    }
}

const char *tg_culprit_kind_str(tg_culprit_kind k)
{
    switch (k) {
    case TG_CULPRIT_VJP: return "vjp";
    case TG_CULPRIT_NONFINITE_OUT: return "nonfinite_output";
    case TG_CULPRIT_NONFINITE_GRAD: return "nonfinite_grad";
    case TG_CULPRIT_KINK: return "kink";
    default: return "none";
    }
}

void tg_check_report_print(const tg_check_report *r, void *file)
{
    FILE *f = file ? file : stdout;
    if (!r) return;
    print_rows(f, r->in, r->n_inputs);
    fprintf(f, "backward twice gives the same result: %s\n",
            r->deterministic ? "yes" : "NO");
    fprintf(f, "zero upstream gradient gives zero gradients: %s\n",
            r->zero_seed_ok ? "yes" : "NO");
    if (r->gradgrad_skipped)
        fprintf(f, "second derivatives: skipped (the graph has a "
                   "non-smooth op)\n");
    else if (r->n_gradgrad > 0) {
        fprintf(f, "second derivatives (gradgrad):\n");
        print_rows(f, r->gradgrad, r->n_gradgrad);
    }
    if (r->n_forward > 0) {
        fprintf(f, "forward mode (JVP along a random tangent of each input, "
                   "compared over the output):\n");
        print_rows(f, r->forward, r->n_forward);
    }
    const tg_check_culprit *cu = &r->culprit;
    if (cu->kind == TG_CULPRIT_VJP)
        fprintf(f, "faulty op: %s\n", cu->text);
    else if (cu->kind == TG_CULPRIT_NONFINITE_OUT)
        fprintf(f, "first non-finite value: %s\n", cu->text);
    else if (cu->kind == TG_CULPRIT_NONFINITE_GRAD)
        fprintf(f, "first non-finite gradient: %s\n", cu->text);
    else if (cu->kind == TG_CULPRIT_KINK)
        fprintf(f, "no wrong VJP found; at a kink: %s\n", cu->text);
    else if (cu->searched && !r->pass)
        fprintf(f, "faulty op: none found (every op's VJP passes a check of "
                   "its own at these values: the mismatch builds up across "
                   "ops; try a larger --eps or --rtol)\n");
    if (r->kinks_moved)
        fprintf(f, "moved %d sample point%s away from kinks\n", r->kinks_moved,
                r->kinks_moved == 1 ? "" : "s");
    for (int i = 0; i < r->n_inputs; i++)
        if (r->in[i].checked && !r->in[i].pass && r->in[i].at_kink) {
            fprintf(f, "note: the worst element of %s sits at a "
                       "non-differentiable point (relu/abs at 0, a max tie); "
                       "the central difference averages the two one-sided "
                       "slopes there. Move the sample (kink margin) or the "
                       "expression away from the kink.\n",
                    r->in[i].name ? r->in[i].name : "an input");
            break;
        }
    fprintf(f, "%s%s%s\n", r->pass ? "PASS" : "FAIL",
            r->message[0] ? ": " : "", r->message);
}
