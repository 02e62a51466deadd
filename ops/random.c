/* Sampling from the graph's RNG (tg_graph_rng: xoshiro256**, seeded by
 * tg_rng_seed, so the same seed gives the same draws on every machine).
 *
 *   bernoulli(p)                      y ~ Bernoulli(p) elementwise, 0/1 in
 *                                     p's dtype; p in [0, 1]
 *   multinomial(w; num_samples,       i64 category indices drawn with
 *               replacement)          probability w / sum(w) per row of
 *                                     w ([C] or [N, C])
 *   normal(mean, std)                 y ~ N(mean, std^2), broadcasting
 *   uniform(x; low, high)             U[low, high) in x's shape and dtype
 *                                     (x's values unused: Tensor.uniform_)
 *   randint(x; low, high)             i64 uniform in [low, high), x's shape
 * Draws are made in row-major order of the output, one uniform per element
 * (two per normal pair: Box-Muller), so a fixed seed fixes every value.
 * normal(mean, std) is differentiable with the draws held fixed (the
 * reparameterisation gradient: dmean = g, dstd = g eps, eps the saved
 * standard normal draws); PyTorch returns zero gradients there, which a
 * gradient check refutes (the sample moves with mean). The others are not
 * differentiable (piecewise constant in their inputs), as in PyTorch.
 * multinomial without replacement removes each category once drawn; once
 * only zero-weight categories remain they follow in index order (as
 * PyTorch does); num_samples <= C then.
 */
#include "ops/array.h"

#include <math.h>
#include <stdio.h>

#define NUM i[0]  /* multinomial: samples per row */
#define REPL i[1] /* multinomial: with replacement */
#define LOW f[0]  /* uniform */
#define HIGH f[1]
#define ILOW i[0] /* randint */
#define IHIGH i[1]

static tg_status float_in(tg_graph *g, tg_node *n, int i, const char *what)
{
    const tg_tensor *t = n->in[i];
    if (tg_dtype_is_float(t->dtype)) return TG_OK;
    char sb[TG_SHAPE_BUF];
    return tg__op_fail(g, n, TG_ERR_DTYPE,
                       "%s (input %d) is %s %s; hint: it holds real numbers: "
                       "tg_cast(t, TG_F32) or tg_cast(t, TG_F64)",
                       what, i + 1, tg__dtname(t->dtype),
                       tg__fmt_shape(sb, t->ndim, t->shape));
}

static inline void put(tg_tensor *y, int64_t i, double v)
{
    if (y->dtype == TG_F32) ((float *)y->data)[i] = (float)v;
    else ((double *)y->data)[i] = v;
}

/* ----------------------------------------------------------- bernoulli */

static tg_status bern_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    const tg_tensor *p = n->in[0];
    for (int64_t i = 0; i < p->numel; i++) {
        double v = tg_get(p, i);
        if (!(v >= 0 && v <= 1))
            return tg__op_fail(g, n, TG_ERR_ARG,
                               "p[%lld] = %g is not a probability; hint: p "
                               "lies in [0, 1] (tg_sigmoid maps logits "
                               "there)",
                               (long long)i, v);
    }
    return tg_shape_same(g, n, out);
}

static tg_status bern_fwd(tg_graph *g, tg_node *n)
{
    const tg_tensor *p = n->in[0];
    for (int64_t i = 0; i < p->numel; i++)
        put(n->out, i, tg_rng_uniform(&g->rng) < tg_get(p, i) ? 1.0 : 0.0);
    return TG_OK;
}

/* --------------------------------------------------------- multinomial */

static tg_status multi_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    const tg_tensor *w = n->in[0];
    char sb[TG_SHAPE_BUF];
    if (w->ndim != 1 && w->ndim != 2)
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "weights must be [C] or [N, C], got %s",
                           tg__fmt_shape(sb, w->ndim, w->shape));
    int64_t C = w->shape[w->ndim - 1], N = w->ndim == 2 ? w->shape[0] : 1;
    int64_t k = n->attr.NUM;
    if (k < 0 || (!n->attr.REPL && k > C) || (k > 0 && C == 0))
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "num_samples = %lld does not fit %lld categories "
                           "(replacement=%d); hint: without replacement at "
                           "most C samples are drawn",
                           (long long)k, (long long)C, (int)n->attr.REPL);
    for (int64_t r = 0; r < N && C > 0; r++) {
        double s = 0;
        for (int64_t c = 0; c < C; c++) {
            double v = tg_get(w, r * C + c);
            if (!(v >= 0) || isinf(v))
                return tg__op_fail(g, n, TG_ERR_ARG,
                                   "weight [%lld] = %g is negative, infinite "
                                   "or NaN; hint: weights are finite and >= 0 "
                                   "(probabilities, or softmax of logits)",
                                   (long long)(r * C + c), v);
            s += v;
        }
        if (s <= 0 && k > 0 && C > 0)
            return tg__op_fail(g, n, TG_ERR_ARG,
                               "row %lld of the weights %s sums to 0; hint: "
                               "at least one category needs a weight > 0",
                               (long long)r,
                               tg__fmt_shape(sb, w->ndim, w->shape));
    }
    out->dtype = TG_I64;
    out->ndim = w->ndim;
    if (w->ndim == 2) out->shape[0] = N;
    out->shape[w->ndim - 1] = k;
    return TG_OK;
}

static tg_status multi_fwd(tg_graph *g, tg_node *n)
{
    const tg_tensor *w = n->in[0];
    int64_t C = w->shape[w->ndim - 1], N = w->ndim == 2 ? w->shape[0] : 1;
    int64_t k = n->attr.NUM, *y = n->out->data;
    if (n->out->numel == 0) return TG_OK;
    double *left = tg__scratch(g, n, sizeof(double) * (size_t)(C ? C : 1));
    if (!left) return TG_ERR_OOM;
    for (int64_t r = 0; r < N; r++) {
        double total = 0;
        for (int64_t c = 0; c < C; c++) total += left[c] = tg_get(w, r * C + c);
        bool *taken = NULL;
        for (int64_t s = 0; s < k; s++) {
            int64_t pick = -1;
            if (total > 0) {
                /* inverse CDF over what is left; rounding can leave u past
                 * the last positive weight: then take that one */
                double u = tg_rng_uniform(&g->rng) * total, acc = 0;
                for (int64_t c = 0; c < C && pick < 0; c++) {
                    acc += left[c];
                    if (left[c] > 0 && u < acc) pick = c;
                }
                for (int64_t c = C - 1; pick < 0 && c >= 0; c--)
                    if (left[c] > 0) pick = c;
            } else { /* only zero weights left: index order */
                if (!taken) {
                    taken = tg__scratch(g, n, (size_t)C);
                    if (!taken) return TG_ERR_OOM;
                    for (int64_t c = 0; c < C; c++) taken[c] = false;
                    for (int64_t j = 0; j < s; j++) taken[y[r * k + j]] = true;
                }
                for (int64_t c = 0; c < C && pick < 0; c++)
                    if (!taken[c]) pick = c;
            }
            y[r * k + s] = pick;
            if (!n->attr.REPL) {
                total -= left[pick];
                left[pick] = 0;
                if (taken) taken[pick] = true;
                if (total < 0) total = 0;
            }
        }
    }
    return TG_OK;
}

/* -------------------------------------------------------------- normal */

static tg_status normal_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    tg_status st = tg_shape_broadcast(g, n, out);
    if (st != TG_OK) return st;
    const tg_tensor *s = n->in[1];
    for (int64_t i = 0; i < s->numel; i++) {
        double v = tg_get(s, i);
        if (!(v >= 0) || isinf(v))
            return tg__op_fail(g, n, TG_ERR_ARG,
                               "std[%lld] = %g; hint: a standard deviation "
                               "is finite and >= 0",
                               (long long)i, v);
    }
    return TG_OK;
}

/* What normal keeps for backward: the standard normal draws. */
typedef struct normal_saved {
    tg_tensor *eps; /* the output's shape and dtype: y = mean + std * eps */
} normal_saved;

static tg_status normal_fwd(tg_graph *g, tg_node *n)
{
    const tg_tensor *m = n->in[0], *s = n->in[1];
    tg_tensor *y = n->out;
    normal_saved *sv = tg__scratch(g, n, sizeof *sv);
    tg_tensor *e = sv ? tg__const_tensor(g, y->dtype, y->ndim, y->shape,
                                         "tg_normal")
                      : NULL;
    if (!e) return TG_ERR_OOM;
    sv->eps = e;
    n->ctx = sv;
    tg_bcast p;
    tg__bcast_plan(&p, y, m, s);
    int64_t i = 0;
    for (int64_t r = 0; r < p.rows; r++) {
        int64_t om, os;
        tg__bcast_offsets(&p, r, &om, &os);
        for (int64_t j = 0; j < p.inner; j++, i++) {
            double z = tg_rng_normal(&g->rng);
            put(e, i, z);
            put(y, i, tg_get(m, om + j * p.step[0]) +
                          tg_get(s, os + j * p.step[1]) * tg_get(e, i));
        }
    }
    return TG_OK;
}

/* The pathwise derivative with the draws held fixed (what a gradient
 * check measures): dmean = g, dstd = g eps. */
static void normal_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                       const bool *need, tg_tensor **gx)
{
    (void)g;
    const normal_saved *sv = n->ctx;
    if (need[0]) gx[0] = gy;
    if (need[1]) gx[1] = tg_mul(gy, sv->eps);
}

/* ----------------------------------------------------- uniform, randint */

static tg_status uniform_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    double lo = n->attr.LOW, hi = n->attr.HIGH;
    if (!(lo <= hi) || isinf(lo) || isinf(hi))
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "low = %g, high = %g; hint: finite, low <= high",
                           lo, hi);
    tg_status st = float_in(g, n, 0, "the template");
    if (st != TG_OK) return st;
    return tg_shape_same(g, n, out);
}

static tg_status uniform_fwd(tg_graph *g, tg_node *n)
{
    double lo = n->attr.LOW, w = n->attr.HIGH - n->attr.LOW;
    for (int64_t i = 0; i < n->out->numel; i++) {
        double v = lo + w * tg_rng_uniform(&g->rng);
        /* f32 rounding may reach high: draw within [low, high) */
        if (n->out->dtype == TG_F32 && w > 0 && (float)v >= (float)n->attr.HIGH)
            v = nextafterf((float)n->attr.HIGH, -INFINITY);
        put(n->out, i, v);
    }
    return TG_OK;
}

static tg_status randint_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    int64_t lo = n->attr.ILOW, hi = n->attr.IHIGH;
    if (!(lo < hi))
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "low = %lld, high = %lld; hint: the range [low, "
                           "high) must not be empty",
                           (long long)lo, (long long)hi);
    out->dtype = TG_I64;
    return tg_shape_same(g, n, out);
}

/* Uniform integer in [0, span) without modulo bias (rejection). */
static uint64_t below(tg_rng *r, uint64_t span)
{
    uint64_t lim = UINT64_MAX - UINT64_MAX % span;
    for (;;) {
        uint64_t v = tg_rng_next(r);
        if (v < lim) return v % span;
    }
}

static tg_status randint_fwd(tg_graph *g, tg_node *n)
{
    uint64_t span = (uint64_t)n->attr.IHIGH - (uint64_t)n->attr.ILOW;
    int64_t *y = n->out->data;
    for (int64_t i = 0; i < n->out->numel; i++)
        y[i] = (int64_t)((uint64_t)n->attr.ILOW + below(&g->rng, span));
    return TG_OK;
}

/* ---------------------------------------------------------- descriptors */

/* Sampling is piecewise constant in the inputs (the RNG is reseeded for
 * every evaluation of a check), so the cases check that no gradient leaks
 * through a sample and that the sample picks the right elements. */
TG_BUILTIN_OP(bernoulli,
    .n_inputs = 1,
    .flags = TG_OPF_RANDOM,
    .shape = bern_shape,
    .forward = bern_fwd,
    .cases = "x * bernoulli(p) | x=3x4 p=3x4:0.5; "
        "x * bernoulli(sigmoid(y)) | x=5 y=5");
TG_BUILTIN_OP(multinomial,
    .n_inputs = 1,
    .flags = TG_OPF_RANDOM,
    .attrs = {{"num_samples", TG_ATTR_I64, 1, true},
              {"replacement", TG_ATTR_BOOL, 0}},
    .shape = multi_shape,
    .forward = multi_fwd,
    .cases = "gather(x, multinomial(p, num_samples=3, replacement=1), "
        "axis=1) | x=2x4 p=2x4:1,2,3,4,4,3,2,1; "
        "index_select(x, multinomial(softmax(x, axis=0), num_samples=3), "
        "axis=0) | x=5");
TG_BUILTIN_OP(normal,
    .n_inputs = 2,
    .flags = TG_OPF_RANDOM,
    .shape = normal_shape,
    .forward = normal_fwd,
    .vjp = normal_vjp,
    .cases = "x * normal(m, s) | x=3x4 m=4 s=3x1:0.5; "
        "normal(m * m, s) | m=2x3 s=scalar:0.7");
TG_BUILTIN_OP(uniform,
    .n_inputs = 1,
    .flags = TG_OPF_RANDOM,
    .attrs = {{"low", TG_ATTR_REAL, 0}, {"high", TG_ATTR_REAL, 1}},
    .shape = uniform_shape,
    .forward = uniform_fwd,
    .cases = "x * uniform(x, low=-2, high=3) | x=3x4");
TG_BUILTIN_OP(randint,
    .n_inputs = 1,
    .flags = TG_OPF_RANDOM | TG_OPF_ANY_DTYPE,
    .attrs = {{"low", TG_ATTR_I64, 0}, {"high", TG_ATTR_I64, 0, true}},
    .shape = randint_shape,
    .forward = randint_fwd,
    .cases = "gather(x, randint(t, low=0, high=4), axis=1) | x=3x4 t=3x2");

tg_tensor *tg_bernoulli(tg_tensor *p)
{
    return tg__apply1(TG_OP_bernoulli, p, NULL);
}

tg_tensor *tg_multinomial(tg_tensor *w, int64_t num_samples, bool replacement)
{
    tg_attrs a = {0};
    a.NUM = num_samples;
    a.REPL = replacement;
    return tg__apply1(TG_OP_multinomial, w, &a);
}

tg_tensor *tg_normal(tg_tensor *mean, tg_tensor *std)
{
    return tg__apply2(TG_OP_normal, mean, std, NULL);
}

tg_tensor *tg_uniform_like(tg_tensor *x, double low, double high)
{
    tg_attrs a = {0};
    a.LOW = low;
    a.HIGH = high;
    return tg__apply1(TG_OP_uniform, x, &a);
}

tg_tensor *tg_randint_like(tg_tensor *x, int64_t low, int64_t high)
{
    tg_attrs a = {0};
    a.ILOW = low;
    a.IHIGH = high;
    return tg__apply1(TG_OP_randint, x, &a);
}

/* ------------------------------------------------------- leaf samplers */

/* A graph-owned constant of dtype/shape, or NULL (poison returned). */
static tg_tensor *sample_leaf(tg_graph *g, const char *who, tg_dtype dt,
                              int ndim, const int64_t *shape)
{
    if (!g) {
        tg__set_last_error(TG_ERR_ARG, "%s: graph is NULL", who);
        return NULL;
    }
    if (g->status != TG_OK) return &g->poison;
    tg_tensor *t = tg__const_tensor(g, dt, ndim, shape, who);
    return t ? t : &g->poison;
}

tg_tensor *tg_rand_uniform(tg_graph *g, tg_dtype dt, int ndim,
                           const int64_t *shape, double low, double high)
{
    const char *who = "tg_rand_uniform";
    if (g && g->status == TG_OK &&
        (!(low <= high) || isinf(low) || isinf(high) ||
         !tg_dtype_is_float(dt))) {
        tg__fail(g, TG_ERR_ARG,
                 "%s: dtype %s, low = %g, high = %g; hint: f32 or f64, "
                 "finite, low <= high",
                 who, tg_dtype_name(dt), low, high);
        return &g->poison;
    }
    tg_tensor *t = sample_leaf(g, who, dt, ndim, shape);
    if (!t || (t->flags & TG_TF_POISON)) return t;
    for (int64_t i = 0; i < t->numel; i++) {
        double v = low + (high - low) * tg_rng_uniform(&g->rng);
        if (dt == TG_F32 && high > low && (float)v >= (float)high)
            v = nextafterf((float)high, -INFINITY);
        put(t, i, v);
    }
    return t;
}

tg_tensor *tg_rand_normal(tg_graph *g, tg_dtype dt, int ndim,
                          const int64_t *shape, double mean, double std)
{
    const char *who = "tg_rand_normal";
    if (g && g->status == TG_OK &&
        (!(std >= 0) || isinf(std) || !isfinite(mean) ||
         !tg_dtype_is_float(dt))) {
        tg__fail(g, TG_ERR_ARG,
                 "%s: dtype %s, mean = %g, std = %g; hint: f32 or f64, "
                 "finite, std >= 0",
                 who, tg_dtype_name(dt), mean, std);
        return &g->poison;
    }
    tg_tensor *t = sample_leaf(g, who, dt, ndim, shape);
    if (!t || (t->flags & TG_TF_POISON)) return t;
    for (int64_t i = 0; i < t->numel; i++)
        put(t, i, mean + std * tg_rng_normal(&g->rng));
    return t;
}

tg_tensor *tg_randint(tg_graph *g, int64_t low, int64_t high, int ndim,
                      const int64_t *shape)
{
    const char *who = "tg_randint";
    if (g && g->status == TG_OK && !(low < high)) {
        tg__fail(g, TG_ERR_ARG,
                 "%s: low = %lld, high = %lld; hint: the range [low, high) "
                 "must not be empty",
                 who, (long long)low, (long long)high);
        return &g->poison;
    }
    tg_tensor *t = sample_leaf(g, who, TG_I64, ndim, shape);
    if (!t || (t->flags & TG_TF_POISON)) return t;
    uint64_t span = (uint64_t)high - (uint64_t)low;
    for (int64_t i = 0; i < t->numel; i++)
        ((int64_t *)t->data)[i] = (int64_t)((uint64_t)low + below(&g->rng, span));
    return t;
}

tg_tensor *tg_randperm(tg_graph *g, int64_t n)
{
    const char *who = "tg_randperm";
    if (g && g->status == TG_OK && n < 0) {
        tg__fail(g, TG_ERR_ARG, "%s: n = %lld; hint: n >= 0", who,
                 (long long)n);
        return &g->poison;
    }
    tg_tensor *t = sample_leaf(g, who, TG_I64, 1, &n);
    if (!t || (t->flags & TG_TF_POISON)) return t;
    int64_t *p = t->data;
    /* Fisher-Yates, from the end */
    for (int64_t i = 0; i < n; i++) p[i] = i;
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)below(&g->rng, (uint64_t)i + 1);
        int64_t s = p[i];
        p[i] = p[j];
        p[j] = s;
    }
    return t;
}
