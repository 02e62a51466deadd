/* Every public op, reached through its public C wrapper as listed in the
 * expression language's function table (src/expr_funcs.c: one row per
 * public op with its tensor count and keyword attributes, so ops added
 * later are covered without touching this file), applied to a catalogue
 * of awkward inputs: scalars, 0-size dims, 8
 * dims, shape mismatches, mixed dtypes, NaN/Inf/huge values, zeroed and
 * hostile attributes, anomaly mode on and off; then backward, and second
 * order through tg_grad(create_graph). For each call the contract is
 * checked: either a well-formed result or the poison tensor with a sticky
 * error that names an op; backward gives every leaf a gradient of its own
 * shape or reports; after tg_graph_reset the graph computes correctly
 * again. Run under ASan/UBSan in CI this is the memory-safety sweep of the
 * op table; the fuzz harness (tests/fuzz/fuzz_ops.c) explores beyond it. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <tapegrad/tapegrad.h>

#include "hardening.h"
#include "hardening_kw.h" /* tg__expr_funcs and hostile keyword values */
#include "tt.h"

typedef struct shp {
    int nd;
    int64_t d[TG_MAX_DIMS];
} shp;

static const shp catalogue[] = {
    {0, {0}},       {1, {1}},       {1, {3}},          {1, {0}},
    {2, {2, 3}},    {2, {3, 1}},    {2, {1, 3}},       {2, {2, 0}},
    {3, {2, 3, 4}}, {2, {4, 3}},    {3, {2, 1, 3}},    {2, {3, 3}},
    {8, {1, 1, 1, 1, 1, 1, 2, 3}},
};
#define N_CAT ((int)(sizeof catalogue / sizeof catalogue[0]))

typedef enum { V_NORMAL, V_NONFINITE, V_INDEX, V_HUGE } values;

static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static double rnd(void) /* deterministic, in [0, 1) */
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) * 0x1.0p-53;
}

static tg_tensor *make_input(tg_graph *g, tg_dtype dt, const shp *s, values v,
                             bool rg)
{
    tg_tensor *t = tg_input(g, dt, s->nd, s->d, NULL);
    if (tg_graph_status(g) != TG_OK) return t;
    for (int64_t i = 0; i < t->numel; i++) {
        double x;
        switch (v) {
        case V_NONFINITE: {
            static const double sp[] = {NAN, INFINITY, -INFINITY, 0.0, -0.0,
                                        1e-310, 1.0};
            x = sp[i % 7];
            break;
        }
        case V_INDEX: x = (double)(int)(rnd() * 5) - 1; break; /* -1..3 */
        case V_HUGE: x = (i % 2 ? -1 : 1) * 1e308 * rnd(); break;
        default: x = 4 * rnd() - 2;
        }
        if (dt == TG_F32) tg_f32(t)[i] = (float)x;
        else tg_f64(t)[i] = x;
    }
    if (rg) tg_set_requires_grad(t, true);
    return t;
}

static long n_calls, n_ok, n_err, n_bw_ok, n_bw_err, n_second;

/* A per-graph budget well below the machine's: the creation functions
 * (zeros, eye, linspace) build what hostile keywords ask for, and an
 * eye(1, 2^31) must be refused here rather than filled on a big host. */
#define HD_GRAPH_BUDGET (INT64_C(1) << 30)

static bool msg_names_op(const char *m)
{
    return m && !strncmp(m, "tg_", 3) && strchr(m, ':');
}

/* Call function f on inputs with keywords, check the contract,
 * backpropagate (to second order when asked). */
static void exercise(tg_graph *g, const tg__expr_func *f, tg_tensor **in,
                     int n_in, const tg__kw_val *kw, bool second_order)
{
    n_calls++;
    tg_tensor *y = tg__expr_invoke_on(f, g, TG_F64, in, n_in, kw);
    if (!y) {
        fprintf(stderr, "%s returned NULL\n", f->name);
        TT_CHECK(false);
        return;
    }
    if (getenv("HD_TRACE"))
        fprintf(stderr, "T %ld %s %d %s\n", n_calls, f->name, n_in,
                tg_graph_error(g) ? tg_graph_error(g) : "ok");
    if (tg_graph_status(g) != TG_OK) {
        n_err++;
        const char *m = tg_graph_error(g);
        if (!msg_names_op(m)) {
            fprintf(stderr, "%s: error without an op name: %s\n", f->name,
                    m ? m : "(null)");
            TT_CHECK(false);
        }
        if (tg_f64(y) || tg_f32(y) || tg_i64(y) || tg_bool(y)) {
            /* must be the poison tensor */
            fprintf(stderr, "%s: error but a live result\n", f->name);
            TT_CHECK(false);
        }
        return;
    }
    n_ok++;
    bool shape_ok = y->ndim >= 0 && y->ndim <= TG_MAX_DIMS &&
                    (unsigned)y->dtype < TG_DTYPE_COUNT;
    int64_t numel = 1;
    bool zero = false; /* a 0 extent: the others' product need not fit */
    for (int i = 0; shape_ok && i < y->ndim; i++) {
        shape_ok = y->shape[i] >= 0;
        zero |= y->shape[i] == 0;
        if (!zero && __builtin_mul_overflow(numel, y->shape[i], &numel))
            shape_ok = false;
    }
    if (zero) numel = 0;
    if (!shape_ok || numel != y->numel || (numel && !y->data)) {
        fprintf(stderr, "%s: malformed output\n", f->name);
        TT_CHECK(false);
        return;
    }
    /* touch every output element: ASan flags a short buffer */
    volatile double sink = 0;
    for (int64_t i = 0; i < y->numel; i++) sink += tg_get(y, i);
    (void)sink;
    if (!tg_requires_grad(y)) return;

    tg_tensor *loss = tg_sum_all(y);
    if (loss->dtype != TG_F64) loss = tg_cast(loss, TG_F64);
    if (!second_order) {
        tg_status st = tg_backward(g, loss);
        if (st != TG_OK) {
            n_bw_err++;
            if (!msg_names_op(tg_graph_error(g))) {
                fprintf(stderr, "%s backward: %s\n", f->name,
                        tg_graph_error(g) ? tg_graph_error(g) : "(null)");
                TT_CHECK(false);
            }
            return;
        }
        n_bw_ok++;
        for (int i = 0; i < n_in; i++) {
            tg_tensor *t = in[i];
            if (!tg_requires_grad(t) || !t->grad) continue;
            bool same = t->grad->ndim == t->ndim && t->grad->dtype == t->dtype;
            for (int k = 0; same && k < t->ndim; k++)
                same = t->grad->shape[k] == t->shape[k];
            if (!same) {
                fprintf(stderr, "%s: gradient %d has the wrong shape\n",
                        f->name, i + 1);
                TT_CHECK(false);
            }
        }
        return;
    }
    /* second order: differentiate sum of the first-order gradients */
    tg_tensor *targets[8], *grads[8];
    int nt = 0;
    for (int i = 0; i < n_in && nt < 8; i++)
        if (tg_requires_grad(in[i])) targets[nt++] = in[i];
    if (nt == 0) return;
    if (tg_grad(g, &loss, 1, NULL, targets, nt, true, grads) != TG_OK) {
        TT_CHECK(msg_names_op(tg_graph_error(g)));
        return;
    }
    tg_tensor *s2 = NULL;
    for (int k = 0; k < nt; k++) {
        tg_tensor *gk = tg_sum_all(grads[k]);
        if (gk->dtype != TG_F64) gk = tg_cast(gk, TG_F64);
        s2 = s2 ? tg_add(s2, gk) : gk;
    }
    if (!tg_requires_grad(s2)) return; /* gradient constant in the inputs */
    n_second++;
    if (tg_backward(g, s2) != TG_OK)
        TT_CHECK(msg_names_op(tg_graph_error(g)));
}

/* After whatever happened, a reset makes the graph compute correctly. */
static void check_usable(tg_graph *g)
{
    tg_graph_reset(g);
    double xv[2] = {0.5, -2};
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(2), xv);
    tg_set_requires_grad(x, true);
    tg_tensor *l = tg_sum_all(tg_mul(x, x));
    if (tg_backward(g, l) != TG_OK || tg_item(l) != 4.25 ||
        tg_get(x->grad, 1) != -4) {
        fprintf(stderr, "graph unusable after reset: %s\n",
                tg_graph_error(g) ? tg_graph_error(g) : "wrong values");
        TT_CHECK(false);
    }
    tg_graph_reset(g);
}

static int arities(const tg__expr_func *f, int *out)
{
    int n = 0;
    for (int k = f->min_t; k <= f->max_t && k <= f->min_t + 2; k++)
        out[n++] = k;
    if (f->max_t > f->min_t + 2 && f->max_t <= 8) out[n++] = f->max_t;
    return n;
}

static void default_kws(const tg__expr_func *f, tg__kw_val *kw)
{
    for (int j = 0; j < hd_n_kw(f); j++) hd_kw_variant(&f->kw[j], 0, &kw[j]);
}

static values value_class(const tg__expr_func *f, int i, values v)
{
    return (f->index_args >> i) & 1 ? V_INDEX : v;
}

/* Phase 1: every function, every arity, every combination of catalogue
 * shapes for up to two tensors (sampled beyond), default keywords, f64. */
static void all_ops_all_shapes(void)
{
    tg_graph *g = tg_graph_new();
    tg_graph_set_memory_limit(g, HD_GRAPH_BUDGET);
    for (int fi = 0; fi < tg__expr_num_funcs(); fi++) {
        const tg__expr_func *f = tg__expr_func_at(fi);
        int ar[4], nar = arities(f, ar);
        tg__kw_val kw[TG_EXPR_MAX_KW];
        default_kws(f, kw);
        for (int a = 0; a < nar; a++) {
            int n_in = ar[a];
            int combos = n_in == 0 ? 1 : n_in == 1 ? N_CAT
                         : n_in == 2 ? N_CAT * N_CAT : 150;
            for (int c = 0; c < combos; c++) {
                tg_tensor *in[TG_EXPR_MAX_ARGS];
                for (int i = 0; i < n_in; i++) {
                    int k = n_in == 1 ? c
                            : n_in == 2 ? (i == 0 ? c / N_CAT : c % N_CAT)
                                        : (int)(rnd() * N_CAT);
                    in[i] = make_input(g, TG_F64, &catalogue[k],
                                       value_class(f, i, V_NORMAL),
                                       !((f->index_args >> i) & 1));
                }
                exercise(g, f, in, n_in, kw, false);
                tg_graph_reset(g);
            }
        }
        check_usable(g);
    }
    tg_graph_free(g);
    printf("  %ld calls: %ld ok, %ld errors; backward %ld ok, %ld errors\n",
           n_calls, n_ok, n_err, n_bw_ok, n_bw_err);
    TT_CHECK(n_ok > 0 && n_err > 0 && n_bw_ok > 0);
}

/* Phase 2: shapes that fit most ops ([2,3] and friends), each keyword set
 * to each value of its kind, both dtypes and a dtype mix, every value
 * class, anomaly off and on, and second order. */
static void all_ops_keywords_values(void)
{
    static const int fit[][3] = {{4, 4, 4}, {4, 1, 2}, {4, 2, 2}, {8, 8, 2},
                                 {0, 0, 0}, {11, 11, 11}, {7, 7, 7},
                                 {12, 12, 5}, {4, 9, 2}};
    enum { N_FIT = sizeof fit / sizeof fit[0] };
    tg_graph *g = tg_graph_new();
    tg_graph_set_memory_limit(g, HD_GRAPH_BUDGET);
    long before = n_calls;
    for (int fi = 0; fi < tg__expr_num_funcs(); fi++) {
        const tg__expr_func *f = tg__expr_func_at(fi);
        int ar[4], nar = arities(f, ar), nk = hd_n_kw(f);
        for (int a = 0; a < nar; a++)
            for (int fs = 0; fs < N_FIT; fs++)
                for (int j = -1; j < nk; j++)
                    for (int kv = 1; kv < 20; kv++) {
                        tg__kw_val kw[TG_EXPR_MAX_KW];
                        default_kws(f, kw);
                        if (j >= 0 && !hd_kw_variant(&f->kw[j], kv, &kw[j]))
                            break;
                        if (j < 0 && kv > 1) break;
                        /* default keywords: every value class and mode;
                         * a keyword variant: one of them, drawn */
                        int combos = j < 0 ? 16 : 1;
                        for (int c = 0; c < combos; c++) {
                                int r = j < 0 ? c : (int)(rnd() * 16);
                                int v = r / 4, mode = r % 4;
                                int n_in = ar[a];
                                tg_set_anomaly(g, mode & 1);
                                tg_tensor *in[TG_EXPR_MAX_ARGS];
                                for (int i = 0; i < n_in; i++) {
                                    tg_dtype dt = (mode == 2 && i == 1) ? TG_F32
                                                  : mode == 3 ? TG_F32
                                                              : TG_F64;
                                    bool idx = (f->index_args >> i) & 1;
                                    in[i] = make_input(
                                        g, dt, &catalogue[fit[fs][i % 3]],
                                        value_class(f, i, (values)v), !idx);
                                }
                                exercise(g, f, in, n_in, kw, mode == 1);
                                tg_graph_reset(g);
                            }
                    }
        tg_set_anomaly(g, false);
        check_usable(g);
    }
    tg_graph_free(g);
    printf("  %ld calls, %ld second-order passes\n", n_calls - before,
           n_second);
    TT_CHECK(n_second > 0);
}

/* Phase 4: empty tensors whose other extents are huge ([0, 2^40, 2^40],
 * [2^32, 0]): the element count is 0 but products of the other extents
 * do not fit in 64 bits. Every function, every pair of these shapes and
 * small ones, default keywords: a well-formed (empty or small) result or
 * an error, never an overflow (UBSan halts on one in CI), a division by
 * zero or a hang over a huge extent. */
static void all_ops_huge_empty(void)
{
    enum { H = 1LL << 40, W = 1LL << 32 };
    static const shp huge[] = {
        {3, {0, H, H}}, {3, {H, 0, H}}, {3, {H, H, 0}}, {2, {0, W}},
        {2, {W, 0}},    {1, {0}},       {2, {2, 3}},    {0, {0}},
        {8, {H, H, H, H, H, H, H, 0}},  {2, {0, INT64_MAX / 16}},
        {3, {H, 1, 0}}, {4, {1, H, 1, 0}},
    };
    enum { N_H = sizeof huge / sizeof huge[0] };
    /* some results are real and large ([2^32, 0] @ [0] is [2^32]): the
     * hook refuses them as out of memory (sanitizers abort on such a
     * request instead of returning NULL) */
    hd_alloc ha;
    hd_install(&ha, 0, false, (size_t)1 << 26);
    tg_graph *g = tg_graph_new(); /* the hook caps it (no budget) */
    long before = n_calls, err_before = n_err;
    for (int fi = 0; fi < tg__expr_num_funcs(); fi++) {
        const tg__expr_func *f = tg__expr_func_at(fi);
        int ar[4], nar = arities(f, ar);
        tg__kw_val kw[TG_EXPR_MAX_KW];
        default_kws(f, kw);
        for (int a = 0; a < nar; a++) {
            int n_in = ar[a];
            int combos = n_in == 0 ? 1 : n_in == 1 ? N_H
                         : n_in == 2 ? N_H * N_H : 120;
            for (int c = 0; c < combos; c++) {
                tg_tensor *in[TG_EXPR_MAX_ARGS];
                for (int i = 0; i < n_in; i++) {
                    int k = n_in == 1 ? c
                            : n_in == 2 ? (i == 0 ? c / N_H : c % N_H)
                                        : (int)(rnd() * N_H);
                    in[i] = make_input(g, TG_F64, &huge[k],
                                       value_class(f, i, V_NORMAL),
                                       !((f->index_args >> i) & 1));
                }
                exercise(g, f, in, n_in, kw, false);
                tg_graph_reset(g);
            }
        }
        check_usable(g);
    }
    tg_graph_free(g);
    hd_uninstall();
    TT_CHECK(ha.live == 0 && ha.failed > 0);
    printf("  %ld calls, %ld errors\n", n_calls - before, n_err - err_before);
    TT_CHECK(n_calls - before > 1000 && n_err - err_before > 0);
}

/* TG_HD_SHARD=K/N: this run takes the functions whose table index is K
 * modulo N (the meson suite runs the long phase as N tests; unset: all) */
static bool in_shard(int fi)
{
    const char *s = getenv("TG_HD_SHARD");
    int k, n;
    if (!s || sscanf(s, "%d/%d", &k, &n) != 2 || n < 1) return true;
    return fi % n == k;
}

/* Phase 3: each function with every allocation from the Nth on failing:
 * OOM is reported, nothing leaks, the graph recovers. */
static void all_ops_oom(void)
{
    hd_alloc ha;
    long oom = 0;
    int threads = tg_get_num_threads();
    tg_set_num_threads(1); /* the point is the allocation sequence */
    for (int fi = 0; fi < tg__expr_num_funcs(); fi++) {
        if (!in_shard(fi)) continue;
        const tg__expr_func *f = tg__expr_func_at(fi);
        tg__kw_val kw[TG_EXPR_MAX_KW];
        default_kws(f, kw);
        long total = 0;
        for (long n = 0; n == 0 || n <= total; n++) {
            hd_install(&ha, n, true, 0);
            tg_graph *g = tg_graph_new();
            if (g) {
                /* a big input so the op's output needs chunks of its own */
                tg_tensor *in[TG_EXPR_MAX_ARGS];
                for (int i = 0; i < f->min_t; i++)
                    in[i] = make_input(g, TG_F64,
                                       &(shp){2, {i == 0 ? 24000 : 1, 4}},
                                       value_class(f, i, V_NORMAL),
                                       !((f->index_args >> i) & 1));
                exercise(g, f, in, f->min_t, kw, false);
                if (tg_graph_status(g) == TG_ERR_OOM) oom++;
                ha.fail_at = 0;
                check_usable(g);
            }
            tg_graph_free(g);
            if (n == 0) total = ha.n_allocs;
            if (ha.live) {
                fprintf(stderr, "%s: %ld blocks leaked (fail at %ld)\n",
                        f->name, ha.live, n);
                TT_CHECK(false);
            }
        }
    }
    hd_uninstall();
    tg_set_num_threads(threads);
    TT_CHECK(oom > 0);
}

TT_RUN(TT(all_ops_all_shapes), TT(all_ops_keywords_values),
       TT(all_ops_huge_empty), TT(all_ops_oom))
