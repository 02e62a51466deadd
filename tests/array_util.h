/* Shared helpers of the array-family tests: tensors from literals,
 * gradient-check plumbing, references in long double. */
#ifndef TAPEGRAD_TEST_ARRAY_UTIL_H
#define TAPEGRAD_TEST_ARRAY_UTIL_H

#include <stdlib.h>
#include <tapegrad/tapegrad.h>

#include "tt.h"

/* Attribute bundle handed to check callbacks through `ud`. */
typedef struct P {
    int axis, axis2;
    int naxes;
    int64_t axes[TG_MAX_DIMS];
    bool keepdim, flag, has_w, has_b;
    double f, eps;
    int64_t i[4];
} P;

static inline tg_check_arg ta_arg(const char *name, int ndim,
                                  const int64_t *shape, const double *data,
                                  bool no_grad)
{
    tg_check_arg a = {0};
    a.name = name;
    a.ndim = ndim;
    for (int i = 0; i < ndim; i++) a.shape[i] = shape[i];
    a.data = data;
    a.no_grad = no_grad;
    return a;
}
#define ARG(name, ...) ta_arg(name, TG_SHAPE(__VA_ARGS__), NULL, false)
#define ARGV(name, data, ...) ta_arg(name, TG_SHAPE(__VA_ARGS__), data, false)
#define ARGI(name, data, ...) ta_arg(name, TG_SHAPE(__VA_ARGS__), data, true)
#define ARG0(name) ta_arg(name, 0, NULL, NULL, false)

/* Gradient check (f64) with second derivatives when gg; prints the
 * report's reason on failure. */
static inline void ta_check(const char *label, tg_check_fn f, const P *p,
                            int n, const tg_check_arg *a, bool gg)
{
    tg_check_opts o = tg_check_defaults();
    o.gradgrad = gg;
    tg_check_report r;
    memset(&r, 0, sizeof r);
    tg_status st = tg_gradcheck(f, (void *)p, n, a, &o, &r);
    if (st != TG_OK) fprintf(stderr, "  gradcheck %s: %s\n", label, r.message);
    TT_CHECK(st == TG_OK);
    if (gg) {
        if (r.gradgrad_skipped)
            fprintf(stderr, "  gradcheck %s: gradgrad skipped\n", label);
        TT_CHECK(r.n_gradgrad > 0 && !r.gradgrad_skipped);
    }
}

static inline tg_tensor *ta_in(tg_graph *g, tg_dtype dt, int nd,
                               const int64_t *sh, const double *v, bool rg)
{
    tg_tensor *t = tg_input(g, dt, nd, sh, NULL);
    if (t && tg_f64(t))
        for (int64_t i = 0; i < t->numel; i++) tg_f64(t)[i] = v[i];
    else if (t && tg_f32(t))
        for (int64_t i = 0; i < t->numel; i++) tg_f32(t)[i] = (float)v[i];
    if (rg) tg_set_requires_grad(t, true);
    return t;
}
#define IN64(g, v, ...) ta_in(g, TG_F64, TG_SHAPE(__VA_ARGS__), v, true)
#define IN32(g, v, ...) ta_in(g, TG_F32, TG_SHAPE(__VA_ARGS__), v, true)
#define INC(g, dt, v, ...) ta_in(g, dt, TG_SHAPE(__VA_ARGS__), v, false)

static inline bool ta_same_shape(const tg_tensor *a, const tg_tensor *b)
{
    if (a->ndim != b->ndim) return false;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return false;
    return true;
}

/* Deterministic pseudo-random fill in [-1, 1). */
static inline void ta_fill(double *v, int64_t n, uint64_t seed)
{
    tg_rng r;
    tg_rng_seed(&r, seed);
    for (int64_t i = 0; i < n; i++) v[i] = 2 * tg_rng_uniform(&r) - 1;
}

#endif
