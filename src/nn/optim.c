/* Optimizers, gradient clipping and learning-rate schedules.
 *
 * Updates are plain loops over parameter data, not graph ops: a step
 * records nothing and allocates nothing (state buffers are allocated once
 * in tg_optim_new through the allocation hook). Each method is one SIMD
 * loop per instruction set, chosen at run time; a step is one OpenMP region
 * over all parameters once they are large enough (see for_each_span).
 * Frozen parameters (requires_grad off) are skipped entirely, so neither
 * weight decay nor momentum moves them.
 *
 * The update rules, with g the gradient (plus wd * w for classical L2
 * weight decay) and t the 1-based step:
 *   SGD       w -= lr g
 *   MOMENTUM  m = beta m - lr g;  w += m              (Sutskever et al. 2013)
 *   NESTEROV  m = beta m - lr g;  w += beta m - lr g  (look-ahead form)
 *   ADAM      m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2
 *             w -= (lr / (1-b1^t)) m / (sqrt(v) / sqrt(1-b2^t) + eps)
 *                                                      (Kingma & Ba 2015)
 *   ADAMW     w -= lr wd w, then ADAM without L2     (Loshchilov & Hutter 2019)
 *   RMSPROP   v = a v + (1-a) g^2;  w -= lr g / (sqrt(v) + eps), or with
 *             momentum mu: m = mu m + g / (sqrt(v) + eps);  w -= lr m
 * ADAM and RMSPROP place eps outside the square root, as PyTorch does, so
 * results match torch.optim to rounding. */
#include "src/nn/nn_internal.h"

#include "ops/kernels.h"
#include "src/nn/optim_kern.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>

/* Parameter groups: each has its own learning rate and weight decay; the
 * other settings are the optimizer's. cfg.lr and cfg.weight_decay are
 * group 0's. Arrays indexed by parameter grow when groups are added
 * (capacity cap); a step allocates nothing. */
struct tg_optim {
    tg_optim_config cfg;
    int n;
    int64_t cap, cap_groups;
    tg_tensor **params;
    void **state[2]; /* state[k][i]: slot k of parameter i, or NULL */
    int *group;      /* group of parameter i */
    int64_t *steps;  /* updates parameter i received (Adam's t) */
    int n_groups;
    tg_optim_group *groups;
    tg_optim_args *gargs; /* per group, filled by each step */
    int64_t t;       /* completed steps */
    /* tg__gemm_pool_splits at the last step and zeroing (for_each_span) */
    unsigned long splits_seen, zero_splits_seen;
};

static const char *const kind_names[] = {"sgd",  "momentum", "nesterov",
                                         "adam", "adamw",    "rmsprop"};

const char *tg_optim_kind_name(tg_optim_kind k)
{
    if ((unsigned)k >= sizeof kind_names / sizeof kind_names[0]) return "unknown";
    return kind_names[k];
}

tg_optim_config tg_optim_defaults(tg_optim_kind kind)
{
    /* torch.optim defaults, except SGD's lr (torch has none) and the
     * momentum methods' beta, which default to the common 0.9. */
    tg_optim_config c = {0};
    c.kind = kind;
    c.lr = 0.01;
    c.beta1 = 0.9;
    c.beta2 = 0.999;
    c.eps = 1e-8;
    c.alpha = 0.99;
    switch (kind) {
    case TG_OPTIM_MOMENTUM:
    case TG_OPTIM_NESTEROV: c.momentum = 0.9; break;
    case TG_OPTIM_ADAM: c.lr = 1e-3; break;
    case TG_OPTIM_ADAMW: c.lr = 1e-3; c.weight_decay = 0.01; break;
    default: break;
    }
    return c;
}

static bool uses_slot(const tg_optim_config *c, int k)
{
    switch (c->kind) {
    case TG_OPTIM_MOMENTUM:
    case TG_OPTIM_NESTEROV: return k == 0;
    case TG_OPTIM_ADAM:
    case TG_OPTIM_ADAMW: return true;
    case TG_OPTIM_RMSPROP: return k == 1 || c->momentum != 0;
    default: return false;
    }
}

static bool in_unit(double x) { return x >= 0 && x < 1; }

static tg_status check_config(const tg_optim_config *c)
{
    const char *who = "tg_optim_new";
    if ((unsigned)c->kind > TG_OPTIM_RMSPROP)
        return tg__set_last_error(TG_ERR_ARG, "%s: unknown optimizer kind %d",
                                  who, (int)c->kind);
    const char *k = tg_optim_kind_name(c->kind);
    if (!(c->lr >= 0) || !isfinite(c->lr))
        return tg__set_last_error(TG_ERR_ARG,
                                  "%s: %s learning rate %g must be finite and "
                                  ">= 0",
                                  who, k, c->lr);
    if (!(c->weight_decay >= 0) || !isfinite(c->weight_decay))
        return tg__set_last_error(TG_ERR_ARG,
                                  "%s: %s weight_decay %g must be finite and "
                                  ">= 0",
                                  who, k, c->weight_decay);
    bool mom = c->kind == TG_OPTIM_MOMENTUM || c->kind == TG_OPTIM_NESTEROV ||
               c->kind == TG_OPTIM_RMSPROP;
    if (mom && !in_unit(c->momentum))
        return tg__set_last_error(TG_ERR_ARG,
                                  "%s: %s momentum %g outside [0, 1)", who, k,
                                  c->momentum);
    bool adam = c->kind == TG_OPTIM_ADAM || c->kind == TG_OPTIM_ADAMW;
    if (adam && (!in_unit(c->beta1) || !in_unit(c->beta2)))
        return tg__set_last_error(TG_ERR_ARG,
                                  "%s: %s betas (%g, %g) must lie in [0, 1)",
                                  who, k, c->beta1, c->beta2);
    if (c->kind == TG_OPTIM_RMSPROP && !in_unit(c->alpha))
        return tg__set_last_error(TG_ERR_ARG,
                                  "%s: rmsprop alpha %g outside [0, 1)", who,
                                  c->alpha);
    if ((adam || c->kind == TG_OPTIM_RMSPROP) &&
        (!(c->eps > 0) || !isfinite(c->eps)))
        return tg__set_last_error(TG_ERR_ARG,
                                  "%s: %s eps %g must be finite and > 0", who,
                                  k, c->eps);
    return TG_OK;
}

static size_t dsize(tg_dtype dt) { return dt == TG_F64 ? 8 : 4; }

/* The entries may join optimizer o (NULL: a new one): parameters with a
 * gradient buffer, not stale, listed once, not in o already. */
static bool params_ok(const tg_optim *o, int n, tg_tensor *const *params,
                      const char *who)
{
    if (n < 0 || (n > 0 && !params) || n > (1 << 28)) {
        tg__set_last_error(TG_ERR_ARG, "%s: %d parameters but the list is NULL "
                                       "(or the count is out of range)",
                           who, n);
        return false;
    }
    for (int i = 0; i < n; i++) {
        const tg_tensor *p = params[i];
        if (tg__stale(p)) {
            tg__stale_fail(who, p);
            return false;
        }
        if (!p || !(p->flags & TG_TF_PARAM) ||
            (!p->grad && !tg__grad_kept(p))) {
            tg__set_last_error(TG_ERR_ARG,
                               "%s: entry %d (%s) is not a parameter; hint: "
                               "create trainable tensors with tg_param",
                               who, i, p && p->name ? p->name : "unnamed");
            return false;
        }
        for (int j = 0; j < i; j++)
            if (params[j] == p) {
                tg__set_last_error(TG_ERR_ARG,
                                   "%s: parameter %s is listed twice (entries "
                                   "%d and %d); it would be updated twice",
                                   who, p->name ? p->name : "unnamed", j, i);
                return false;
            }
        for (int j = 0; o && j < o->n; j++)
            if (o->params[j] == p) {
                tg__set_last_error(TG_ERR_ARG,
                                   "%s: parameter %s (entry %d) is already in "
                                   "the optimizer (group %d); it would be "
                                   "updated twice",
                                   who, p->name ? p->name : "unnamed", i,
                                   o->group[j]);
                return false;
            }
    }
    return true;
}

static tg_status check_group(const tg_optim_group *gs, const char *who)
{
    if (!(gs->lr >= 0) || !isfinite(gs->lr) || !(gs->weight_decay >= 0) ||
        !isfinite(gs->weight_decay))
        return tg__set_last_error(TG_ERR_ARG,
                                  "%s: learning rate %g and weight_decay %g "
                                  "must be finite and >= 0",
                                  who, gs->lr, gs->weight_decay);
    return TG_OK;
}

/* Room for n parameters and g groups in every array (through the hook;
 * the optimizer is unchanged when this fails, apart from capacity). */
static bool reserve(tg_optim *o, int64_t n, int64_t g)
{
    int64_t c = o->cap, c0 = c, c1 = c, c2 = c, c3 = c, cg = o->cap_groups,
            cg2 = o->cap_groups;
    bool ok = tg__reserve((void **)&o->params, &c, n, sizeof *o->params) &&
              tg__reserve((void **)&o->state[0], &c0, n, sizeof(void *)) &&
              tg__reserve((void **)&o->state[1], &c1, n, sizeof(void *)) &&
              tg__reserve((void **)&o->group, &c2, n, sizeof *o->group) &&
              tg__reserve((void **)&o->steps, &c3, n, sizeof *o->steps) &&
              tg__reserve((void **)&o->groups, &cg, g, sizeof *o->groups) &&
              tg__reserve((void **)&o->gargs, &cg2, g, sizeof *o->gargs);
    /* every array grew to the same capacity (tg__reserve doubles from 64) */
    if (ok) {
        o->cap = c;
        o->cap_groups = cg;
    }
    return ok;
}

/* Append params as group `grp` with fresh state; all or nothing. */
static bool append(tg_optim *o, int n, tg_tensor *const *params, int grp)
{
    if (!reserve(o, (int64_t)o->n + n, (int64_t)grp + 1)) return false;
    for (int i = 0; i < n; i++) {
        int at = o->n + i;
        o->params[at] = params[i];
        o->group[at] = grp;
        o->steps[at] = 0;
        o->state[0][at] = o->state[1][at] = NULL;
        for (int k = 0; k < 2; k++) {
            if (!uses_slot(&o->cfg, k)) continue;
            o->state[k][at] =
                tg__calloc((size_t)params[i]->numel * dsize(params[i]->dtype));
            if (!o->state[k][at]) {
                for (int j = 0; j <= i; j++)
                    for (int q = 0; q < 2; q++) {
                        tg__free(o->state[q][o->n + j]);
                        o->state[q][o->n + j] = NULL;
                    }
                return false;
            }
        }
    }
    o->n += n;
    return true;
}

tg_optim *tg_optim_new(const tg_optim_config *cfg, int n,
                       tg_tensor *const *params)
{
    const char *who = "tg_optim_new";
    if (!cfg) {
        tg__set_last_error(TG_ERR_ARG, "%s: config is NULL; hint: start from "
                                       "tg_optim_defaults(kind)", who);
        return NULL;
    }
    if (!params_ok(NULL, n, params, who)) return NULL;
    if (check_config(cfg) != TG_OK) return NULL;
    tg_optim *o = tg__calloc(sizeof *o);
    if (!o) goto oom;
    o->cfg = *cfg;
    if (!reserve(o, n ? n : 1, 1)) goto oom;
    o->n_groups = 1;
    o->groups[0] = (tg_optim_group){cfg->lr, cfg->weight_decay};
    if (!append(o, n, params, 0)) goto oom;
    return o;
oom:
    tg_optim_free(o);
    tg__set_last_error(TG_ERR_OOM, "%s: out of memory allocating %s state for "
                                   "%d parameters",
                       who, tg_optim_kind_name(cfg->kind), n);
    return NULL;
}

int tg_optim_add_group(tg_optim *o, int n, tg_tensor *const *params,
                       const tg_optim_group *settings)
{
    const char *who = "tg_optim_add_group";
    if (!o) {
        tg__set_last_error(TG_ERR_ARG, "%s: optimizer is NULL", who);
        return -1;
    }
    tg_optim_group gs = settings ? *settings : o->groups[0];
    if (!params_ok(o, n, params, who) || check_group(&gs, who) != TG_OK)
        return -1;
    if (o->n_groups >= (1 << 20) || (int64_t)o->n + n > INT32_MAX) {
        tg__set_last_error(TG_ERR_ARG, "%s: too many groups or parameters "
                                       "(%d groups, %d parameters)",
                           who, o->n_groups, o->n);
        return -1;
    }
    if (!append(o, n, params, o->n_groups)) {
        tg__set_last_error(TG_ERR_OOM, "%s: out of memory allocating %s state "
                                       "for %d parameters; the optimizer is "
                                       "unchanged",
                           who, tg_optim_kind_name(o->cfg.kind), n);
        return -1;
    }
    o->groups[o->n_groups] = gs;
    return o->n_groups++;
}

int tg_optim_num_groups(const tg_optim *o) { return o ? o->n_groups : 0; }

tg_optim_group tg_optim_get_group(const tg_optim *o, int group)
{
    if (!o || group < 0 || group >= o->n_groups) {
        tg__set_last_error(TG_ERR_ARG, "tg_optim_get_group: %s (group %d of "
                                       "%d)",
                           o ? "no such group" : "optimizer is NULL", group,
                           o ? o->n_groups : 0);
        return (tg_optim_group){NAN, NAN};
    }
    return o->groups[group];
}

tg_status tg_optim_set_group(tg_optim *o, int group,
                             const tg_optim_group *settings)
{
    const char *who = "tg_optim_set_group";
    if (!o || !settings || group < 0 || group >= o->n_groups)
        return tg__set_last_error(TG_ERR_ARG, "%s: %s (group %d of %d)", who,
                                  !o ? "optimizer is NULL"
                                  : !settings ? "settings are NULL"
                                              : "no such group",
                                  group, o ? o->n_groups : 0);
    tg_status st = check_group(settings, who);
    if (st != TG_OK) return st;
    o->groups[group] = *settings;
    if (group == 0) {
        o->cfg.lr = settings->lr;
        o->cfg.weight_decay = settings->weight_decay;
    }
    return TG_OK;
}

int tg_optim_param_group(const tg_optim *o, const tg_tensor *p)
{
    for (int i = 0; o && p && i < o->n; i++)
        if (o->params[i] == p) return o->group[i];
    return -1;
}

void tg_optim_free(tg_optim *o)
{
    if (!o) return;
    for (int k = 0; k < 2; k++) {
        if (o->state[k])
            for (int i = 0; i < o->n; i++) tg__free(o->state[k][i]);
        tg__free(o->state[k]);
    }
    tg__free(o->params);
    tg__free(o->group);
    tg__free(o->steps);
    tg__free(o->groups);
    tg__free(o->gargs);
    tg__free(o);
}

/* Every group's rate (one group: the optimizer's). */
void tg_optim_set_lr(tg_optim *o, double lr)
{
    if (!o || !(lr >= 0) || !isfinite(lr)) return;
    o->cfg.lr = lr;
    for (int k = 0; k < o->n_groups; k++) o->groups[k].lr = lr;
}
double tg_optim_get_lr(const tg_optim *o) { return o ? o->cfg.lr : NAN; }
int64_t tg_optim_steps(const tg_optim *o) { return o ? o->t : 0; }
tg_optim_config tg_optim_get_config(const tg_optim *o)
{
    tg_optim_config c = {0};
    return o ? o->cfg : c;
}

/* ------------------------------------------------------------- kernels */

/* Every update is a kernel over [lo, hi) of one parameter: the update
 * rules are src/nn/optim_kern.h, one vector version per instruction set
 * in the kernel set (ops/kernels.h), chosen at run time like the
 * elementwise kernels: the baseline build targets plain x86-64, so
 * compiler-vectorized loops would stop at SSE2, and loops with sqrtf are
 * not vectorized at all under the default errno semantics. */
typedef tg_optim_args kargs;
typedef tg_optim_fn opt_kernel;

/* Threads. A step is memory-bound (3 to 7 streams over every parameter),
 * and on the 2-core VM of docs/benchmarks.md moving a cache line between
 * the cores costs more than streaming it: a split pays only where it
 * keeps each part of a parameter on the core that uses it anyway. The
 * matrix products of a layer whose weight is [in, out] are split on the
 * worker pool so that each thread keeps the same rows of the weight in
 * the forward product, the weight gradient and the input gradient
 * (ops/gemm.c); so when products were split since the last step
 * (tg__gemm_pool_splits moved), the step is split the same way:
 * participant t of the pool updates rows tg__chunk(rows, nt, t, 16) of
 * every 2-D parameter with at least 32 rows (the products' own cut) and a
 * contiguous 1/nt of every other one. The whole step is one job (a job per parameter paid a
 * wake-up 6 to 96 times per step when the workers slept). Otherwise, or
 * below OPT_PAR_MIN elements in all, it runs on the calling thread: the
 * products were not split, so the weights live in the caller's caches,
 * and a split would move half of them to the other core and back for
 * the next forward (a batch-1 step reads every weight once). */
#define OPT_PAR_MIN (1 << 16)
#define ZERO_PAR_MIN (1 << 16)

/* f over [lo, hi) of parameter p (index i). */
typedef void (*span_fn)(tg_tensor *p, int i, int64_t lo, int64_t hi,
                        void *ud);

/* A parameter a step updates: trainable, and its gradient received
 * something since it was last zeroed or cleared (TG_TF_GRAD_ZERO clear,
 * which an absent gradient never is; ->grad tested too, for safety). One
 * that backward did not reach is left alone, as PyTorch does for grad =
 * None: no weight decay, no momentum, no Adam step. */
static bool updated(const tg_tensor *p)
{
    return (p->flags & (TG_TF_REQUIRES_GRAD | TG_TF_GRAD_ZERO)) ==
               TG_TF_REQUIRES_GRAD &&
           p->grad;
}
static bool trainable(const tg_tensor *p)
{
    return (p->flags & TG_TF_REQUIRES_GRAD) != 0;
}

typedef struct span_job {
    tg_tensor *const *ps;
    int n, nt;
    span_fn f;
    void *ud;
    bool (*use)(const tg_tensor *);
} span_job;

/* Participant t's share of every parameter (see Threads above). */
static void span_chunk(void *ctx, int64_t t)
{
    const span_job *j = ctx;
    for (int i = 0; i < j->n; i++) {
        tg_tensor *p = j->ps[i];
        if (!j->use(p)) continue;
        int64_t lo, hi;
        if (p->ndim == 2 && p->shape[0] >= 32) {
            int64_t cols = p->shape[1];
            tg__chunk(p->shape[0], j->nt, (int)t, 16, &lo, &hi);
            lo *= cols, hi *= cols;
        } else {
            tg__chunk(p->numel, j->nt, (int)t, 64, &lo, &hi);
        }
        if (lo < hi) j->f(p, i, lo, hi, j->ud);
    }
}

/* Call f over every parameter that `use` accepts: split as above when
 * the products were split since the optimizer's last look (*seen) and
 * the total exceeds par_min, else whole on the calling thread. */
static void for_each_span(tg_tensor *const *ps, int n, span_fn f, void *ud,
                          int64_t par_min, bool (*use)(const tg_tensor *),
                          unsigned long *seen)
{
    int64_t total = 0;
    for (int i = 0; i < n; i++)
        if (use(ps[i])) total += ps[i]->numel;
    unsigned long splits = atomic_load_explicit(&tg__gemm_pool_splits,
                                                memory_order_relaxed);
    bool split = splits != *seen;
    *seen = splits;
    int nt = split && total > par_min ? tg__pool_team() : 1;
    if (nt == 1) {
        for (int i = 0; i < n; i++)
            if (use(ps[i])) f(ps[i], i, 0, ps[i]->numel, ud);
        return;
    }
    span_job j = {ps, n, nt, f, ud, use};
    tg__pool_run(nt, nt, span_chunk, &j);
}

typedef struct step_ctx {
    opt_kernel k[2]; /* f32, f64 */
    bool adam;
    const tg_optim *o;
} step_ctx;

static void step_span(tg_tensor *p, int i, int64_t lo, int64_t hi, void *ud)
{
    const step_ctx *c = ud;
    const tg_optim *o = c->o;
    kargs a = o->gargs[o->group[i]];
    if (c->adam) {
        /* bias correction with the parameter's own step count, as
         * PyTorch's per-parameter state['step'] */
        double t = (double)o->steps[i];
        a.ss = a.lr / (1.0 - pow(a.b1, t));
        a.rbc2 = 1.0 / sqrt(1.0 - pow(a.b2, t));
    }
    a.w = p->data;
    a.g = p->grad->data;
    a.m = c->o->state[0][i];
    a.v = c->o->state[1][i];
    c->k[p->dtype == TG_F64](lo, hi, &a);
}

static void zero_span(tg_tensor *p, int i, int64_t lo, int64_t hi, void *ud)
{
    (void)i, (void)ud;
    size_t es = p->dtype == TG_F64 ? 8 : 4;
    if (p->grad && p->grad->data)
        memset((char *)p->grad->data + (size_t)lo * es, 0,
               (size_t)(hi - lo) * es);
}

/* Marks every parameter's ->grad as known to hold zeros (after they were
 * all zeroed), as tg_tensor_zero_grad does: the next backward writes into
 * them instead of adding (TG_TF_GRAD_ZERO). */
static void mark_zero(tg_optim *o)
{
    for (int i = 0; i < o->n; i++) o->params[i]->flags |= TG_TF_GRAD_ZERO;
}

/* With set_to_none every gradient (frozen parameters' too, as torch's
 * zero_grad(set_to_none=True) sets every listed parameter's grad to None)
 * becomes absent: no memory is touched but the headers. */
static void clear_to_none(tg_optim *o)
{
    for (int i = 0; i < o->n; i++) tg__grad_clear(o->params[i]);
}

/* Frozen parameters' gradients are zeroed too (as tg_tensor_zero_grad
 * would), on the calling thread; the trainable ones share one parallel
 * region like a step. An absent gradient gets its buffer back, zeroed
 * (tg_tensor_zero_grad), when the optimizer no longer clears to none. */
void tg_optim_zero_grad(tg_optim *o)
{
    if (!o) return;
    if (o->cfg.set_to_none) {
        clear_to_none(o);
        return;
    }
    for (int i = 0; i < o->n; i++)
        if (!o->params[i]->grad) tg_tensor_zero_grad(o->params[i]);
    for (int i = 0; i < o->n; i++)
        if (!(o->params[i]->flags & TG_TF_REQUIRES_GRAD))
            tg_tensor_zero_grad(o->params[i]);
    for_each_span(o->params, o->n, zero_span, NULL, ZERO_PAR_MIN, trainable,
                  &o->zero_splits_seen);
    mark_zero(o);
}

/* One update; with zero_g the kernels also store zeros over each gradient
 * once they have read it: zeroing in the pass that reads the gradient
 * costs a store to a cache line already loaded, where tg_optim_zero_grad
 * is a second pass over every gradient. */
static tg_status step(tg_optim *o, bool zero_g)
{
    const tg_optim_config *cf = &o->cfg;
    o->t++;
    bool adam = cf->kind == TG_OPTIM_ADAM || cf->kind == TG_OPTIM_ADAMW;
    for (int k = 0; k < o->n_groups; k++) {
        double lr = o->groups[k].lr, wd = o->groups[k].weight_decay;
        kargs a = {.lr = lr, .wd = wd, .beta = cf->momentum, .decay = 1,
                   .b1 = cf->beta1, .b2 = cf->beta2, .eps = cf->eps,
                   .alpha = cf->alpha, .nesterov = cf->kind == TG_OPTIM_NESTEROV,
                   .zero_g = zero_g};
        if (cf->kind == TG_OPTIM_ADAMW) {
            a.decay = 1.0 - lr * wd;
            a.wd = 0;
        }
        o->gargs[k] = a;
    }
    for (int i = 0; i < o->n; i++)
        if (updated(o->params[i])) o->steps[i]++;
    int method = TG_OPT_SGD;
    switch (cf->kind) {
    case TG_OPTIM_SGD: method = TG_OPT_SGD; break;
    case TG_OPTIM_MOMENTUM:
    case TG_OPTIM_NESTEROV: method = TG_OPT_MOMENTUM; break;
    case TG_OPTIM_ADAM:
    case TG_OPTIM_ADAMW: method = TG_OPT_ADAM; break;
    case TG_OPTIM_RMSPROP: method = TG_OPT_RMSPROP; break;
    }
    const tg_kernel_set *ks = tg__kernels();
    step_ctx c = {{ks->optim_f32[method], ks->optim_f64[method]}, adam, o};
    for_each_span(o->params, o->n, step_span, &c, OPT_PAR_MIN, updated,
                  &o->splits_seen);
    return TG_OK;
}

tg_status tg_optim_step(tg_optim *o)
{
    if (!o) return tg__set_last_error(TG_ERR_ARG, "tg_optim_step: optimizer is NULL");
    return step(o, false);
}

tg_status tg_optim_step_zero_grad(tg_optim *o)
{
    if (!o)
        return tg__set_last_error(TG_ERR_ARG, "tg_optim_step_zero_grad: "
                                              "optimizer is NULL");
    if (o->cfg.set_to_none) {
        step(o, false);
        clear_to_none(o);
        return TG_OK;
    }
    for (int i = 0; i < o->n; i++)
        if (!(o->params[i]->flags & TG_TF_REQUIRES_GRAD) ||
            !o->params[i]->grad)
            tg_tensor_zero_grad(o->params[i]);
    step(o, true);
    mark_zero(o);
    return TG_OK;
}

/* ------------------------------------------------------ state for save */

int tg__optim_num_params(const tg_optim *o) { return o->n; }
tg_tensor *tg__optim_param(const tg_optim *o, int i) { return o->params[i]; }
void *tg__optim_state(const tg_optim *o, int i, int k)
{
    return o->state[k][i];
}
const char *tg__optim_state_name(const tg_optim *o, int k)
{
    if (!uses_slot(&o->cfg, k)) return NULL;
    return k == 0 ? "m" : "v";
}
int64_t *tg__optim_step_ptr(tg_optim *o) { return &o->t; }
tg_status tg__optim_config_ok(const tg_optim_config *c)
{
    return check_config(c);
}
void tg__optim_set_config(tg_optim *o, const tg_optim_config *c)
{
    tg_optim_kind k = o->cfg.kind;
    o->cfg = *c;
    o->cfg.kind = k;
    o->groups[0] = (tg_optim_group){c->lr, c->weight_decay};
}
int tg__optim_group_of(const tg_optim *o, int i) { return o->group[i]; }
int64_t *tg__optim_param_steps(tg_optim *o) { return o->steps; }
void tg__optim_set_group_raw(tg_optim *o, int k, double lr, double wd)
{
    o->groups[k] = (tg_optim_group){lr, wd};
    if (k == 0) {
        o->cfg.lr = lr;
        o->cfg.weight_decay = wd;
    }
}

/* ------------------------------------------------------------ clipping */

tg_status tg_clip_grad_norm(int n, tg_tensor *const *params, double max_norm,
                            double *total_norm)
{
    const char *who = "tg_clip_grad_norm";
    if (total_norm) *total_norm = NAN;
    if (n < 0 || (n > 0 && !params))
        return tg__set_last_error(TG_ERR_ARG, "%s: %d parameters but the list "
                                              "is NULL", who, n);
    if (!(max_norm > 0))
        return tg__set_last_error(TG_ERR_ARG,
                                  "%s: max_norm %g must be > 0", who, max_norm);
    for (int i = 0; i < n; i++) {
        if (tg__stale(params[i])) return tg__stale_fail(who, params[i]);
        if (!params[i] || (!params[i]->grad && !tg__grad_kept(params[i])))
            return tg__set_last_error(TG_ERR_ARG,
                                      "%s: entry %d has no gradient buffer; "
                                      "hint: pass parameters (tg_param)",
                                      who, i);
    }
    /* Squares summed in double: f32 gradients of a large model would lose
     * the small terms otherwise. */
    double ss = 0;
    for (int i = 0; i < n; i++) {
        const tg_tensor *p = params[i];
        /* frozen, or absent (cleared to none): torch skips grad None */
        if (!(p->flags & TG_TF_REQUIRES_GRAD) || !p->grad) continue;
        int64_t m = p->grad->numel;
        double s = 0;
        bool par = m > TG_PAR_MIN;
        if (p->grad->dtype == TG_F32) {
            const float *gv = p->grad->data;
            if (par) {
#pragma omp parallel for reduction(+ : s)
                for (int64_t j = 0; j < m; j++) s += (double)gv[j] * gv[j];
            } else {
                for (int64_t j = 0; j < m; j++) s += (double)gv[j] * gv[j];
            }
        } else {
            const double *gv = p->grad->data;
            if (par) {
#pragma omp parallel for reduction(+ : s)
                for (int64_t j = 0; j < m; j++) s += gv[j] * gv[j];
            } else {
                for (int64_t j = 0; j < m; j++) s += gv[j] * gv[j];
            }
        }
        ss += s;
    }
    double norm = sqrt(ss);
    if (total_norm) *total_norm = norm;
    /* torch.nn.utils.clip_grad_norm_: scale by max_norm / (norm + 1e-6)
     * when that is below 1. A non-finite norm leaves gradients alone. */
    double scale = max_norm / (norm + 1e-6);
    if (!(scale < 1.0)) return TG_OK;
    for (int i = 0; i < n; i++) {
        tg_tensor *p = params[i];
        if (!(p->flags & TG_TF_REQUIRES_GRAD) || !p->grad) continue;
        int64_t m = p->grad->numel;
        bool par = m > TG_PAR_MIN;
        if (p->grad->dtype == TG_F32) {
            float *gv = p->grad->data, s = (float)scale;
            if (par) {
#pragma omp parallel for
                for (int64_t j = 0; j < m; j++) gv[j] *= s;
            } else {
                for (int64_t j = 0; j < m; j++) gv[j] *= s;
            }
        } else {
            double *gv = p->grad->data;
            if (par) {
#pragma omp parallel for
                for (int64_t j = 0; j < m; j++) gv[j] *= scale;
            } else {
                for (int64_t j = 0; j < m; j++) gv[j] *= scale;
            }
        }
    }
    return TG_OK;
}

/* torch.nn.utils.clip_grad_value_: every gradient element of the
 * trainable parameters clamped to [-clip, clip]; NaN stays NaN. */
tg_status tg_clip_grad_value(int n, tg_tensor *const *params, double clip)
{
    const char *who = "tg_clip_grad_value";
    if (n < 0 || (n > 0 && !params))
        return tg__set_last_error(TG_ERR_ARG, "%s: %d parameters but the list "
                                              "is NULL", who, n);
    if (!(clip >= 0))
        return tg__set_last_error(TG_ERR_ARG,
                                  "%s: clip value %g must be >= 0; hint: the "
                                  "gradients are clamped to [-clip, clip]",
                                  who, clip);
    for (int i = 0; i < n; i++) {
        if (tg__stale(params[i])) return tg__stale_fail(who, params[i]);
        if (!params[i] || (!params[i]->grad && !tg__grad_kept(params[i])))
            return tg__set_last_error(TG_ERR_ARG,
                                      "%s: entry %d has no gradient buffer; "
                                      "hint: pass parameters (tg_param)",
                                      who, i);
    }
    for (int i = 0; i < n; i++) {
        tg_tensor *p = params[i];
        /* a gradient known to be zero stays zero, an absent one absent */
        if (!updated(p)) continue;
        int64_t m = p->grad->numel;
        if (p->grad->dtype == TG_F32) {
            float *gv = p->grad->data, hi = (float)clip, lo = -hi;
            for (int64_t j = 0; j < m; j++)
                gv[j] = gv[j] > hi ? hi : gv[j] < lo ? lo : gv[j];
        } else {
            double *gv = p->grad->data;
            for (int64_t j = 0; j < m; j++)
                gv[j] = gv[j] > clip ? clip : gv[j] < -clip ? -clip : gv[j];
        }
    }
    return TG_OK;
}

/* ----------------------------------------------------------- schedules */

double tg_lr_at(const tg_lr_schedule *s, int64_t step)
{
    if (!s || step < 0) return NAN;
    double base = s->base_lr;
    /* Linear warmup: step k of w uses base (k+1)/w, reaching base at the
     * last warmup step; the decay schedule then starts from its step 0. */
    if (step < s->warmup) return base * (double)(step + 1) / (double)s->warmup;
    int64_t t = step - (s->warmup > 0 ? s->warmup : 0);
    switch (s->kind) {
    case TG_LR_CONSTANT: return base;
    case TG_LR_STEP:
        if (s->step_size <= 0) return base;
        return base * pow(s->gamma, (double)(t / s->step_size));
    case TG_LR_COSINE: {
        /* Loshchilov & Hutter (2017) without restarts: from base at t = 0
         * to min_lr at t = total - warmup, constant after. */
        int64_t span;
        if (__builtin_sub_overflow(s->total, s->warmup > 0 ? s->warmup : 0,
                                   &span) ||
            span <= 0 || t >= span)
            return s->min_lr; /* a total below the warmup: no decay */
        double c = 0.5 * (1.0 + cos(3.14159265358979323846 * (double)t /
                                    (double)span));
        return s->min_lr + (base - s->min_lr) * c;
    }
    }
    return NAN;
}
