/* Parameter initializers. Each draws from a tg_rng, so the same seed gives
 * the same weights on every machine; the formulas are those of Glorot &
 * Bengio (2010), He et al. (2015) and LeCun et al. (1998), with fans taken
 * from the shape by tg_init_fans. */
#include "src/nn/nn_internal.h"

#include <math.h>

/* Shared argument check: a writable leaf of known dtype. */
static tg_status check_target(tg_tensor *t, const char *who)
{
    if (!t) return tg__set_last_error(TG_ERR_ARG, "%s: tensor is NULL", who);
    if (tg__stale(t)) return tg__stale_fail(who, t);
    if (t->flags & TG_TF_POISON)
        return t->graph && t->graph->status ? t->graph->status : TG_ERR_STATE;
    if (t->node)
        return tg__nn_fail(t->graph, TG_ERR_STATE,
                           "%s: tensor is the output of tg_%s, not a leaf; "
                           "hint: initialise parameters (tg_param) or inputs",
                           who, t->node->op->name);
    return TG_OK;
}

static tg_rng *pick_rng(tg_tensor *t, tg_rng *r)
{
    return r ? r : tg_graph_rng(t->graph);
}

void tg_init_fans(const tg_tensor *t, int64_t *fan_in, int64_t *fan_out)
{
    int64_t fi = 0, fo = 0;
    if (tg__stale(t)) tg__stale_fail("tg_init_fans", t);
    else if (t) {
        if (t->ndim < 2) {
            fi = fo = t->numel;
        } else {
            /* [k..., in, out]: tg_linear's input-major layout; leading
             * dims form a receptive field that multiplies both fans (the
             * Keras convention for input-major kernels). */
            int64_t rf = 1;
            for (int i = 0; i < t->ndim - 2; i++) rf *= t->shape[i];
            fi = t->shape[t->ndim - 2] * rf;
            fo = t->shape[t->ndim - 1] * rf;
        }
    }
    if (fan_in) *fan_in = fi;
    if (fan_out) *fan_out = fo;
}

tg_status tg_init_constant(tg_tensor *t, double v)
{
    tg_status st = check_target(t, "tg_init_constant");
    if (st != TG_OK) return st;
    if (t->dtype == TG_F32) {
        float *w = t->data, fv = (float)v;
        for (int64_t i = 0; i < t->numel; i++) w[i] = fv;
    } else {
        double *w = t->data;
        for (int64_t i = 0; i < t->numel; i++) w[i] = v;
    }
    return TG_OK;
}

tg_status tg_init_zeros(tg_tensor *t)
{
    tg_status st = check_target(t, "tg_init_zeros");
    if (st != TG_OK) return st;
    return tg_init_constant(t, 0.0);
}

static tg_status fill_uniform(tg_tensor *t, tg_rng *r, double lo, double hi)
{
    double span = hi - lo;
    if (t->dtype == TG_F32) {
        float *w = t->data;
        for (int64_t i = 0; i < t->numel; i++)
            w[i] = (float)(lo + span * tg_rng_uniform(r));
    } else {
        double *w = t->data;
        for (int64_t i = 0; i < t->numel; i++)
            w[i] = lo + span * tg_rng_uniform(r);
    }
    return TG_OK;
}

static tg_status fill_normal(tg_tensor *t, tg_rng *r, double mean, double sd)
{
    if (t->dtype == TG_F32) {
        float *w = t->data;
        for (int64_t i = 0; i < t->numel; i++)
            w[i] = (float)(mean + sd * tg_rng_normal(r));
    } else {
        double *w = t->data;
        for (int64_t i = 0; i < t->numel; i++)
            w[i] = mean + sd * tg_rng_normal(r);
    }
    return TG_OK;
}

tg_status tg_init_uniform(tg_tensor *t, tg_rng *r, double lo, double hi)
{
    tg_status st = check_target(t, "tg_init_uniform");
    if (st != TG_OK) return st;
    if (!(lo <= hi) || !isfinite(lo) || !isfinite(hi))
        return tg__nn_fail(t->graph, TG_ERR_ARG,
                           "tg_init_uniform: bounds [%g, %g) are not finite "
                           "with lo <= hi",
                           lo, hi);
    return fill_uniform(t, pick_rng(t, r), lo, hi);
}

tg_status tg_init_normal(tg_tensor *t, tg_rng *r, double mean, double std)
{
    tg_status st = check_target(t, "tg_init_normal");
    if (st != TG_OK) return st;
    if (!(std >= 0) || !isfinite(std) || !isfinite(mean))
        return tg__nn_fail(t->graph, TG_ERR_ARG,
                           "tg_init_normal: mean %g and std %g must be finite "
                           "with std >= 0",
                           mean, std);
    return fill_normal(t, pick_rng(t, r), mean, std);
}

/* Fan-scaled initializers: `scale` is the variance numerator, `fan` which
 * fan(s) divide it. */
enum { FAN_IN, FAN_AVG };

static tg_status scaled_fans(tg_tensor *t, tg_rng *r, const char *who,
                             double scale, int mode, bool uniform,
                             int64_t fi, int64_t fo)
{
    double fan = mode == FAN_IN ? (double)fi : 0.5 * (double)(fi + fo);
    if (fan <= 0) {
        char sb[TG_SHAPE_BUF];
        return tg__nn_fail(t->graph, TG_ERR_SHAPE,
                           "%s: shape %s has a zero fan; hint: fans come from "
                           "[..., in, out] dims",
                           who, tg__fmt_shape(sb, t->ndim, t->shape));
    }
    /* Var = scale / fan. A uniform U(-a, a) has variance a^2 / 3. */
    double var = scale / fan;
    if (uniform) {
        double a = sqrt(3.0 * var);
        return fill_uniform(t, pick_rng(t, r), -a, a);
    }
    return fill_normal(t, pick_rng(t, r), 0.0, sqrt(var));
}

static tg_status scaled(tg_tensor *t, tg_rng *r, const char *who,
                        double scale, int mode, bool uniform)
{
    tg_status st = check_target(t, who);
    if (st != TG_OK) return st;
    int64_t fi, fo;
    tg_init_fans(t, &fi, &fo);
    return scaled_fans(t, r, who, scale, mode, uniform, fi, fo);
}

/* Glorot: Var = 2 / (fan_in + fan_out) = 1 / fan_avg. */
tg_status tg_init_xavier_uniform(tg_tensor *t, tg_rng *r)
{
    return scaled(t, r, "tg_init_xavier_uniform", 1.0, FAN_AVG, true);
}
tg_status tg_init_xavier_normal(tg_tensor *t, tg_rng *r)
{
    return scaled(t, r, "tg_init_xavier_normal", 1.0, FAN_AVG, false);
}
/* He: Var = 2 / fan_in keeps the second moment through ReLU units. */
tg_status tg_init_he_normal(tg_tensor *t, tg_rng *r)
{
    return scaled(t, r, "tg_init_he_normal", 2.0, FAN_IN, false);
}
tg_status tg_init_he_uniform(tg_tensor *t, tg_rng *r)
{
    return scaled(t, r, "tg_init_he_uniform", 2.0, FAN_IN, true);
}
/* LeCun: Var = 1 / fan_in, the fixed point SELU networks assume. */
tg_status tg_init_lecun_normal(tg_tensor *t, tg_rng *r)
{
    return scaled(t, r, "tg_init_lecun_normal", 1.0, FAN_IN, false);
}

tg_status tg_init_apply_fans(tg_tensor *t, tg_init kind, tg_rng *r,
                             int64_t fan_in, int64_t fan_out)
{
    const char *who = "tg_init_apply";
    tg_status st = check_target(t, who);
    if (st != TG_OK) return st;
    switch (kind) {
    case TG_INIT_ZEROS: return tg_init_zeros(t);
    case TG_INIT_ONES: return tg_init_constant(t, 1.0);
    case TG_INIT_NORMAL: return tg_init_normal(t, r, 0.0, 1.0);
    case TG_INIT_XAVIER_UNIFORM:
        return scaled_fans(t, r, "tg_init_xavier_uniform", 1.0, FAN_AVG, true,
                           fan_in, fan_out);
    case TG_INIT_XAVIER_NORMAL:
        return scaled_fans(t, r, "tg_init_xavier_normal", 1.0, FAN_AVG, false,
                           fan_in, fan_out);
    case TG_INIT_HE_NORMAL:
        return scaled_fans(t, r, "tg_init_he_normal", 2.0, FAN_IN, false,
                           fan_in, fan_out);
    case TG_INIT_HE_UNIFORM:
        return scaled_fans(t, r, "tg_init_he_uniform", 2.0, FAN_IN, true,
                           fan_in, fan_out);
    case TG_INIT_LECUN_NORMAL:
        return scaled_fans(t, r, "tg_init_lecun_normal", 1.0, FAN_IN, false,
                           fan_in, fan_out);
    case TG_INIT_DEFAULT: {
        /* PyTorch's nn.Linear and nn.Conv*d default (kaiming_uniform with
         * a = sqrt(5)): U(-1/sqrt(fan_in), 1/sqrt(fan_in)). */
        double a = fan_in > 0 ? 1.0 / sqrt((double)fan_in) : 0.0;
        return fill_uniform(t, pick_rng(t, r), -a, a);
    }
    }
    return tg__nn_fail(t->graph, TG_ERR_ARG,
                       "tg_init_apply: unknown initializer %d", (int)kind);
}

tg_status tg_init_apply(tg_tensor *t, tg_init kind, tg_rng *r)
{
    int64_t fi, fo;
    tg_init_fans(t, &fi, &fo);
    return tg_init_apply_fans(t, kind, r, fi, fo);
}
