/* i64 and bool dtypes, comparisons and masks, ordering: values against
 * hand-derived tables and naive reference loops, PyTorch's conventions at
 * ties and NaN, gradients (by hand and by central differences in f64),
 * broadcasting, empty and 0-d tensors, error messages by text. */
#include "array_util.h"

static tg_tensor *i64s(tg_graph *g, int nd, const int64_t *sh,
                       const int64_t *v)
{
    return tg_input(g, TG_I64, nd, sh, v);
}
#define I64(g, v, ...) i64s(g, TG_SHAPE(__VA_ARGS__), v)

static tg_tensor *bools(tg_graph *g, int nd, const int64_t *sh,
                        const bool *v)
{
    return tg_input(g, TG_BOOL, nd, sh, v);
}
#define BOOLS(g, v, ...) bools(g, TG_SHAPE(__VA_ARGS__), v)

/* ------------------------------------------------------------- dtypes */

static void dtype_basics(void)
{
    TT_CHECK(tg_dtype_size(TG_F32) == 4 && tg_dtype_size(TG_F64) == 8);
    TT_CHECK(tg_dtype_size(TG_I64) == 8 && tg_dtype_size(TG_BOOL) == 1);
    TT_CHECK(tg_dtype_size((tg_dtype)9) == 0);
    TT_STREQ(tg_dtype_name(TG_I64), "i64");
    TT_STREQ(tg_dtype_name(TG_BOOL), "bool");
    TT_STREQ(tg_dtype_name((tg_dtype)9), "?");
    TT_CHECK(tg_dtype_is_float(TG_F32) && !tg_dtype_is_float(TG_I64));

    tg_graph *g = tg_graph_new();
    tg_tensor *a = tg_full(g, TG_I64, TG_SHAPE(3), -2.7);
    TT_CHECK(tg_i64(a) && tg_i64(a)[2] == -2 && !tg_f64(a) && !tg_bool(a));
    TT_NEAR(tg_get(a, 1), -2, 0);
    tg_tensor *b = tg_full(g, TG_BOOL, TG_SHAPE(2), 0.5);
    TT_CHECK(tg_bool(b) && tg_bool(b)[0] && tg_bool(b)[1]);
    TT_NEAR(tg_get(b, 0), 1, 0);
    tg_tensor *nan = tg_full(g, TG_I64, 0, NULL, NAN);
    TT_CHECK(tg_i64(nan)[0] == 0);
    tg_tensor *big = tg_full(g, TG_I64, 0, NULL, 1e300);
    TT_CHECK(tg_i64(big)[0] == INT64_MAX);

    /* never requires grad */
    TT_CHECK(tg_set_requires_grad(a, true) == TG_ERR_DTYPE);
    TT_STREQ(tg_graph_error(g),
             "tg_set_requires_grad: i64 tensor cannot require grad; hint: "
             "only f32 and f64 tensors have gradients (tg_cast it first)");
    TT_CHECK(!tg_requires_grad(a));
    TT_CHECK(tg_set_requires_grad(a, false) == TG_OK); /* freezing is fine */
    tg_graph_reset(g);
    TT_CHECK(tg_param(g, TG_BOOL, TG_SHAPE(2), "m") == NULL);
    TT_STREQ(tg_graph_error(g),
             "tg_param: m: a parameter is f32 or f64, not bool; hint: keep "
             "integer or boolean data in tg_input or tg_constant");
    tg_graph_reset(g);
    TT_CHECK(tg_input(g, (tg_dtype)7, TG_SHAPE(2), NULL) == tg_input(g, TG_F32, 0, NULL, NULL));
    TT_CONTAINS(tg_graph_error(g), "tg_input: unknown dtype 7");

    /* float ops reject i64 and bool with a hint; index inputs take i64 */
    tg_graph_reset(g);
    tg_tensor *i = I64(g, ((int64_t[]){1, 2}), 2);
    tg_tanh(i);
    TT_STREQ(tg_graph_error(g),
             "tg_tanh: input 1 is i64 [2]; hint: this op computes with f32 "
             "or f64: tg_cast(t, TG_F32) or tg_cast(t, TG_F64)");
    tg_graph_reset(g);
    tg_tensor *x = tg_full(g, TG_F32, TG_SHAPE(2), 1);
    tg_add(x, BOOLS(g, ((bool[]){1, 0}), 2));
    TT_STREQ(tg_graph_error(g),
             "tg_add: input 2 is bool [2]; hint: this op computes with f32 "
             "or f64: tg_cast(t, TG_F32) or tg_cast(t, TG_F64)");
    tg_graph_reset(g);
    x = tg_full(g, TG_F32, TG_SHAPE(3, 2), 1);
    tg_index_select(x, 0, BOOLS(g, ((bool[]){1, 0}), 2));
    TT_STREQ(tg_graph_error(g),
             "tg_index_select: input 2 is bool [2]; hint: indices and "
             "labels are i64 (or whole numbers in f32/f64): tg_cast(t, "
             "TG_I64)");
    tg_graph_free(g);
}

/* cast between every pair: a table worked by hand (C's conversions
 * except where the convention differs: NaN and overflow to i64). */
static void cast_table(void)
{
    tg_graph *g = tg_graph_new();
    double src[6] = {-2.75, -0.5, 0, 0.5, 3.99, NAN};
    tg_tensor *x = INC(g, TG_F64, src, 6);
    tg_tensor *i = tg_cast(x, TG_I64);
    int64_t want_i[6] = {-2, 0, 0, 0, 3, 0};
    for (int k = 0; k < 6; k++) TT_CHECK(tg_i64(i)[k] == want_i[k]);
    tg_tensor *b = tg_cast(x, TG_BOOL);
    bool want_b[6] = {1, 1, 0, 1, 1, 1}; /* NaN is true */
    for (int k = 0; k < 6; k++) TT_CHECK(tg_bool(b)[k] == want_b[k]);
    tg_tensor *bf = tg_cast(b, TG_F32), *bi = tg_cast(b, TG_I64);
    for (int k = 0; k < 6; k++) {
        TT_NEAR(tg_f32(bf)[k], want_b[k], 0);
        TT_CHECK(tg_i64(bi)[k] == want_b[k]);
    }
    tg_tensor *ib = tg_cast(i, TG_BOOL);
    for (int k = 0; k < 6; k++) TT_CHECK(tg_bool(ib)[k] == (want_i[k] != 0));
    int64_t big[2] = {(int64_t)1 << 53, ((int64_t)1 << 24) + 1};
    tg_tensor *bg = I64(g, big, 2);
    TT_NEAR(tg_f64(tg_cast(bg, TG_F64))[0], 9007199254740992.0, 0);
    TT_NEAR(tg_f32(tg_cast(bg, TG_F32))[1], 16777216.0, 0); /* rounds */
    float f[2] = {3e19f, -3e19f};
    tg_tensor *ff = tg_input(g, TG_F32, TG_SHAPE(2), f);
    tg_tensor *fi = tg_cast(ff, TG_I64);
    TT_CHECK(tg_i64(fi)[0] == INT64_MAX && tg_i64(fi)[1] == INT64_MIN);
    /* same dtype copies; no gradient through an integer cast */
    TT_CHECK(tg_i64(tg_cast(i, TG_I64))[4] == 3);
    tg_tensor *w = IN64(g, src, 5);
    tg_tensor *y = tg_cast(tg_cast(w, TG_I64), TG_F64);
    TT_CHECK(!tg_requires_grad(y) && !tg_requires_grad(tg_cast(w, TG_I64)));
    TT_CHECK(tg_requires_grad(tg_cast(w, TG_F32)));
    tg_cast(x, (tg_dtype)5);
    TT_STREQ(tg_graph_error(g),
             "tg_cast: unknown dtype 5; hint: TG_F32, TG_F64, TG_I64 or "
             "TG_BOOL");
    tg_graph_free(g);
}

/* i64 indices give the same values and gradients as whole numbers in f64
 * (kept for existing programs), in index_select, gather, scatter_add,
 * index_add, cross_entropy and nll. */
static void i64_indices(void)
{
    for (int d = 0; d < 2; d++) {
        tg_dtype dt = d ? TG_F64 : TG_F32;
        tg_graph *g = tg_graph_new();
        double xv[12], lf[3] = {2, 0, 3};
        int64_t li[3] = {2, 0, 3};
        for (int k = 0; k < 12; k++) xv[k] = sin(k + 1.0);
        tg_tensor *x1 = ta_in(g, dt, TG_SHAPE(3, 4), xv, true);
        tg_tensor *x2 = ta_in(g, dt, TG_SHAPE(3, 4), xv, true);
        tg_tensor *lI = I64(g, li, 3), *lF = INC(g, dt, lf, 3);
        tg_tensor *ys[2], *xs[2] = {x1, x2}, *ls[2] = {lI, lF};
        for (int k = 0; k < 2; k++) {
            tg_tensor *a = tg_index_select(xs[k], 1, ls[k]);
            tg_tensor *b = tg_gather(xs[k], 1, tg_reshape(ls[k], TG_SHAPE(3, 1)));
            tg_tensor *c = tg_cross_entropy(xs[k], ls[k]);
            tg_tensor *e = tg_nll(tg_log_softmax(xs[k], 1), ls[k]);
            ys[k] = tg_add(tg_add(tg_sum_all(tg_mul(a, a)), tg_sum_all(b)),
                           tg_add(c, tg_mul_scalar(e, 0.5)));
        }
        TT_CHECK(tg_graph_error(g) == NULL);
        TT_NEAR(tg_item(ys[0]), tg_item(ys[1]), 0);
        TT_CHECK(tg_backward(g, tg_add(ys[0], ys[1])) == TG_OK);
        for (int k = 0; k < 12; k++)
            TT_NEAR(tg_get(x1->grad, k), tg_get(x2->grad, k), 0);
        /* a hand-derived value: gather picks x[0,2], x[1,0], x[2,3] */
        tg_tensor *gsum = tg_sum_all(tg_gather(x1, 1, tg_reshape(lI, TG_SHAPE(3, 1))));
        TT_NEAR(tg_item(gsum), xv[2] + xv[4] + xv[11], d ? 1e-15 : 1e-6);
        /* scatter_add / index_add with i64 */
        double gv[3] = {1, 2, 4};
        tg_tensor *z = tg_index_add(INC(g, dt, gv, 3), TG_SHAPE(4), 0,
                                    I64(g, ((int64_t[]){3, 3, 0}), 3));
        double wz[4] = {4, 0, 0, 3};
        for (int k = 0; k < 4; k++) TT_NEAR(tg_get(z, k), wz[k], 0);
        /* out of range, with the i64 value in the message */
        tg_index_select(x1, 0, I64(g, ((int64_t[]){0, -1}), 2));
        TT_STREQ(tg_graph_error(g),
                 "tg_index_select: index[1] = -1 is out of range for axis 0 "
                 "of [3,4]; hint: it must lie in [0, 3)");
        tg_graph_free(g);
    }
}

/* Data movement takes every dtype: reshape and the views, permute,
 * concat, slice. */
static void i64_bool_movement(void)
{
    tg_graph *g = tg_graph_new();
    int64_t v[6] = {0, 1, 2, 3, 4, 5};
    tg_tensor *x = I64(g, v, 2, 3);
    tg_tensor *t = tg_permute(x, TG_SHAPE(1, 0));
    int64_t wt[6] = {0, 3, 1, 4, 2, 5};
    for (int k = 0; k < 6; k++) TT_CHECK(tg_i64(t)[k] == wt[k]);
    tg_tensor *r = tg_reshape(x, TG_SHAPE(3, 2));
    TT_CHECK(r->dtype == TG_I64 && r->shape[0] == 3 && tg_i64(r)[5] == 5);
    tg_tensor *s = tg_slice(x, 1, 1, 3, 1);
    TT_CHECK(s->numel == 4 && tg_i64(s)[0] == 1 && tg_i64(s)[3] == 5);
    bool bv[4] = {1, 0, 0, 1};
    tg_tensor *b = BOOLS(g, bv, 2, 2);
    tg_tensor *bt = tg_permute(b, TG_SHAPE(1, 0));
    TT_CHECK(tg_bool(bt)[1] == 0 && tg_bool(bt)[3] == 1);
    tg_tensor *parts[2] = {b, tg_unsqueeze(tg_squeeze(tg_slice(b, 0, 0, 1, 1), 0), 0)};
    tg_tensor *c = tg_concat(parts, 2, 0);
    TT_CHECK(c->dtype == TG_BOOL && c->shape[0] == 3 && tg_bool(c)[4] &&
             !tg_bool(c)[5]);
    TT_CHECK(tg_graph_error(g) == NULL);
    tg_graph_free(g);
}

/* --------------------------------------------------------- comparisons */

static void comparisons(void)
{
    tg_graph *g = tg_graph_new();
    double av[6] = {1, 2, 3, NAN, 5, -1}, bv[3] = {1, NAN, 4};
    for (int d = 0; d < 2; d++) {
        tg_dtype dt = d ? TG_F64 : TG_F32;
        tg_tensor *a = INC(g, dt, av, 2, 3), *b = INC(g, dt, bv, 3);
        /* a[i,j] vs b[j] by hand; NaN compares false, ne true */
        bool eq[6] = {1, 0, 0, 0, 0, 0}, ne[6] = {0, 1, 1, 1, 1, 1};
        bool lt[6] = {0, 0, 1, 0, 0, 1}, le[6] = {1, 0, 1, 0, 0, 1};
        bool gt[6] = {0, 0, 0, 0, 0, 0}, ge[6] = {1, 0, 0, 0, 0, 0};
        tg_tensor *r[6] = {tg_eq(a, b), tg_ne(a, b), tg_lt(a, b),
                           tg_le(a, b), tg_gt(a, b), tg_ge(a, b)};
        bool *w[6] = {eq, ne, lt, le, gt, ge};
        for (int o = 0; o < 6; o++) {
            TT_CHECK(r[o]->dtype == TG_BOOL && r[o]->ndim == 2 &&
                     r[o]->shape[1] == 3 && !tg_requires_grad(r[o]));
            for (int k = 0; k < 6; k++) TT_CHECK(tg_bool(r[o])[k] == w[o][k]);
        }
        /* 5 > 4 at [1,1]? b[1] is NaN: false; [1,2]: -1 vs 4 */
        TT_CHECK(!tg_bool(r[4])[4]);
    }
    /* i64 compare exactly beyond 2^53; mixed dtypes as doubles */
    int64_t p[2] = {((int64_t)1 << 53) + 1, 7}, q[2] = {(int64_t)1 << 53, 7};
    tg_tensor *P = I64(g, p, 2), *Q = I64(g, q, 2);
    tg_tensor *e = tg_eq(P, Q), *gt = tg_gt(P, Q);
    TT_CHECK(!tg_bool(e)[0] && tg_bool(e)[1] && tg_bool(gt)[0]);
    tg_tensor *m = tg_lt(Q, tg_scalar(g, TG_F64, 7.5));
    TT_CHECK(!tg_bool(m)[0] && tg_bool(m)[1]);
    /* 0-d and empty */
    tg_tensor *s = tg_ge(tg_scalar(g, TG_F32, 2), tg_scalar(g, TG_F32, 2));
    TT_CHECK(s->ndim == 0 && tg_bool(s)[0]);
    tg_tensor *E = tg_lt(tg_full(g, TG_F64, TG_SHAPE(0, 3), 1),
                         tg_full(g, TG_F64, TG_SHAPE(3), 2));
    TT_CHECK(E->numel == 0 && E->shape[0] == 0 && E->shape[1] == 3);
    /* logical ops: nonzero is true, NaN too */
    double lv[4] = {0, 2, NAN, 0};
    tg_tensor *L = INC(g, TG_F64, lv, 4);
    bool lb[4] = {1, 1, 0, 0};
    tg_tensor *B = BOOLS(g, lb, 4);
    tg_tensor *an = tg_logical_and(L, B), *orr = tg_logical_or(L, B),
              *xo = tg_logical_xor(L, B), *no = tg_logical_not(L);
    bool wa[4] = {0, 1, 0, 0}, wo[4] = {1, 1, 1, 0}, wx[4] = {1, 0, 1, 0},
         wn[4] = {1, 0, 0, 1};
    for (int k = 0; k < 4; k++) {
        TT_CHECK(tg_bool(an)[k] == wa[k]);
        TT_CHECK(tg_bool(orr)[k] == wo[k]);
        TT_CHECK(tg_bool(xo)[k] == wx[k]);
        TT_CHECK(tg_bool(no)[k] == wn[k]);
    }
    /* classification */
    double cv[5] = {1, NAN, INFINITY, -INFINITY, -0.0};
    tg_tensor *C = INC(g, TG_F32, cv, 5);
    tg_tensor *in = tg_isnan(C), *ii = tg_isinf(C), *fi = tg_isfinite(C);
    bool wi[5] = {0, 1, 0, 0, 0}, wf[5] = {0, 0, 1, 1, 0};
    for (int k = 0; k < 5; k++) {
        TT_CHECK(tg_bool(in)[k] == wi[k]);
        TT_CHECK(tg_bool(ii)[k] == wf[k]);
        TT_CHECK(tg_bool(fi)[k] == (!wi[k] && !wf[k]));
    }
    TT_CHECK(tg_bool(tg_isfinite(P))[0] && !tg_bool(tg_isnan(P))[1]);
    /* shape errors name both shapes */
    tg_lt(tg_full(g, TG_F32, TG_SHAPE(2, 3), 0), tg_full(g, TG_F32, TG_SHAPE(2), 0));
    TT_STREQ(tg_graph_error(g),
             "tg_lt: shapes [2,3], [2] do not broadcast; hint: aligned from "
             "the right, each dim must match or be 1");
    tg_graph_free(g);
}

static void any_all(void)
{
    tg_graph *g = tg_graph_new();
    double v[6] = {0, 0, 1, 0, 2, 3}; /* [[0,0,1],[0,2,3]] */
    tg_tensor *x = INC(g, TG_F64, v, 2, 3);
    tg_tensor *a1 = tg_any(x, 1, (int64_t[]){1}, false);
    tg_tensor *l1 = tg_all(x, 1, (int64_t[]){1}, true);
    tg_tensor *a0 = tg_any(x, 1, (int64_t[]){0}, false);
    tg_tensor *l0 = tg_all(x, 1, (int64_t[]){-2}, false);
    TT_CHECK(a1->dtype == TG_BOOL && a1->ndim == 1 && a1->shape[0] == 2);
    TT_CHECK(tg_bool(a1)[0] && tg_bool(a1)[1]);
    TT_CHECK(l1->ndim == 2 && l1->shape[1] == 1 && !tg_bool(l1)[0] &&
             !tg_bool(l1)[1]);
    bool wa0[3] = {0, 1, 1}, wl0[3] = {0, 0, 1};
    for (int k = 0; k < 3; k++) {
        TT_CHECK(tg_bool(a0)[k] == wa0[k]);
        TT_CHECK(tg_bool(l0)[k] == wl0[k]);
    }
    TT_CHECK(tg_bool(tg_any(x, 0, NULL, false))[0]);
    TT_CHECK(!tg_bool(tg_all(x, 0, NULL, false))[0]);
    /* empty: any false, all true; over an empty axis, per row */
    tg_tensor *e = tg_full(g, TG_I64, TG_SHAPE(2, 0), 1);
    tg_tensor *ea = tg_any(e, 1, (int64_t[]){1}, false);
    tg_tensor *el = tg_all(e, 1, (int64_t[]){1}, false);
    TT_CHECK(ea->numel == 2 && !tg_bool(ea)[0] && !tg_bool(ea)[1]);
    TT_CHECK(el->numel == 2 && tg_bool(el)[0] && tg_bool(el)[1]);
    /* 0-d */
    TT_CHECK(!tg_bool(tg_all(tg_scalar(g, TG_F32, 0), 0, NULL, false))[0]);
    tg_any(x, 1, (int64_t[]){2}, false);
    TT_STREQ(tg_graph_error(g),
             "tg_any: axis 2 out of range for shape [2,3]; hint: axes lie in "
             "[-2, 2)");
    tg_graph_free(g);
}

/* --------------------------------------------------- where, masked_fill */

static tg_tensor *where_fn(tg_graph *g, tg_tensor *const *in, int n, void *ud)
{
    (void)g, (void)n, (void)ud;
    tg_tensor *c = tg_gt(in[0], in[1]);
    return tg_where(c, tg_mul(in[0], in[0]), tg_sin(in[1]));
}

static void where_values_grads(void)
{
    for (int d = 0; d < 2; d++) {
        tg_dtype dt = d ? TG_F64 : TG_F32;
        tg_graph *g = tg_graph_new();
        bool cv[3] = {1, 0, 1};
        double av[2] = {10, 20}, bv[3] = {-1, -2, -3};
        tg_tensor *c = BOOLS(g, cv, 3);
        tg_tensor *a = ta_in(g, dt, TG_SHAPE(2, 1), av, true);
        tg_tensor *b = ta_in(g, dt, TG_SHAPE(3), bv, true);
        tg_tensor *y = tg_where(c, a, b);
        TT_CHECK(y->dtype == dt && y->ndim == 2 && y->shape[0] == 2 &&
                 y->shape[1] == 3);
        double want[6] = {10, -2, 10, 20, -2, 20};
        for (int k = 0; k < 6; k++) TT_NEAR(tg_get(y, k), want[k], 0);
        TT_CHECK(tg_backward(g, tg_sum_all(y)) == TG_OK);
        /* a[i] is taken twice per row, b[1] twice (once per row) */
        TT_NEAR(tg_get(a->grad, 0), 2, 0);
        TT_NEAR(tg_get(a->grad, 1), 2, 0);
        TT_NEAR(tg_get(b->grad, 0), 0, 0);
        TT_NEAR(tg_get(b->grad, 1), 2, 0);
        TT_NEAR(tg_get(b->grad, 2), 0, 0);
        /* masked_fill: value where the mask holds, gradient elsewhere */
        tg_tensor *x = ta_in(g, dt, TG_SHAPE(2, 3), want, true);
        tg_tensor *m = tg_masked_fill(x, c, -7.5);
        double wm[6] = {-7.5, -2, -7.5, -7.5, -2, -7.5};
        for (int k = 0; k < 6; k++) TT_NEAR(tg_get(m, k), wm[k], 0);
        TT_CHECK(tg_backward(g, tg_sum_all(tg_mul(m, m))) == TG_OK);
        for (int k = 0; k < 6; k++)
            TT_NEAR(tg_get(x->grad, k), cv[k % 3] ? 0 : 2 * want[k], 0);
        /* errors */
        tg_graph_reset(g);
        tg_tensor *f = tg_full(g, dt, TG_SHAPE(3), 1);
        tg_where(f, f, f);
        TT_STREQ(tg_graph_error(g),
                 d ? "tg_where: the mask (input 1) is f64 [3], not bool; "
                     "hint: build it with a comparison (gt, eq, ...) or "
                     "tg_cast(m, TG_BOOL)"
                   : "tg_where: the mask (input 1) is f32 [3], not bool; "
                     "hint: build it with a comparison (gt, eq, ...) or "
                     "tg_cast(m, TG_BOOL)");
        tg_graph_reset(g);
        f = tg_full(g, dt, TG_SHAPE(3), 1);
        tg_where(tg_gt(f, f), f, tg_full(g, d ? TG_F32 : TG_F64, TG_SHAPE(3), 1));
        TT_CONTAINS(tg_graph_error(g), "tg_where: input 2 is");
        tg_graph_reset(g);
        f = tg_full(g, dt, TG_SHAPE(3), 1);
        tg_masked_fill(f, tg_full(g, TG_BOOL, TG_SHAPE(2, 3), 1), 0);
        TT_STREQ(tg_graph_error(g),
                 "tg_masked_fill: mask [2,3] does not broadcast to the "
                 "input's shape [3]; hint: the output keeps the input's "
                 "shape (use where to broadcast both)");
        tg_graph_reset(g);
        f = tg_full(g, dt, TG_SHAPE(3), 1);
        tg_where(tg_full(g, TG_BOOL, TG_SHAPE(2), 1), f, f);
        TT_STREQ(tg_graph_error(g),
                 "tg_where: shapes [2], [3], [3] do not broadcast; hint: "
                 "aligned from the right, each dim must match or be 1");
        /* empty and 0-d */
        tg_graph_reset(g);
        tg_tensor *z = tg_where(tg_full(g, TG_BOOL, 0, NULL, 0),
                                tg_scalar(g, dt, 1), tg_scalar(g, dt, 2));
        TT_CHECK(z->ndim == 0);
        TT_NEAR(tg_item(z), 2, 0);
        z = tg_where(tg_full(g, TG_BOOL, TG_SHAPE(0), 0), tg_scalar(g, dt, 1),
                     tg_full(g, dt, TG_SHAPE(4, 1), 2));
        TT_CHECK(z->ndim == 2 && z->shape[0] == 4 && z->shape[1] == 0);
        tg_graph_free(g);
    }
    /* f64 gradient check with second derivatives, broadcasting */
    P p = {0};
    tg_check_arg a[2] = {ARG("x", 3, 1), ARG("y", 4)};
    ta_check("where", where_fn, &p, 2, a, true);
}

/* The NaN trap of docs/ops-array.md: where(x > 0, log(x), 0) at x = 0
 * has a NaN gradient (log's VJP sends 0 / 0 there); masking the input
 * keeps it finite. Anomaly mode names the op whose gradient holds it. */
/* The element of a (right-aligned, broadcast) tensor of shape sh[nd] at
 * the 4-d output index ix: a naive reference for the walk's offsets. */
static int64_t bcast_at(int nd, const int64_t *sh, const int64_t *ix)
{
    int64_t off = 0;
    for (int d = 0; d < nd; d++) {
        int64_t i = sh[d] == 1 ? 0 : ix[4 - nd + d];
        off = off * sh[d] + i;
    }
    return off;
}

/* masked_fill, where and a comparison over [B, H, S, S]-like outputs with
 * the broadcast patterns of attention (a causal [S, S] mask, a padding
 * mask [B, 1, 1, S], per-head [H, 1, 1], a column, a scalar), which the
 * walk merges into rows of different lengths and steps, against the
 * element-by-element reference. */
static void masks_broadcast_rows(void)
{
    const int64_t O[4] = {3, 2, 5, 7};
    struct {
        int nd;
        int64_t sh[4];
    } pats[] = {{2, {5, 7}},       {4, {3, 1, 1, 7}}, {3, {2, 1, 1}},
                {4, {3, 2, 5, 1}}, {0, {0}},          {4, {3, 2, 5, 7}},
                {1, {7}},          {4, {1, 2, 1, 7}}};
    int np = (int)(sizeof pats / sizeof pats[0]);
    int64_t N = O[0] * O[1] * O[2] * O[3];
    double *xv = malloc(sizeof(double) * (size_t)N);
    bool *mv = malloc((size_t)N);
    double *av = malloc(sizeof(double) * (size_t)N);
    for (int64_t i = 0; i < N; i++) {
        xv[i] = (double)(i % 13) - 6.5;
        av[i] = (double)(i % 11) * 0.25;
        mv[i] = (i * 7 + i / 5) % 3 == 0;
    }
    for (int d = 0; d < 2; d++) {
        tg_dtype dt = d ? TG_F64 : TG_F32;
        for (int p = 0; p < np; p++) {
            tg_graph *g = tg_graph_new();
            int nd = pats[p].nd;
            const int64_t *sh = pats[p].sh;
            tg_tensor *x = ta_in(g, dt, 4, O, xv, false);
            tg_tensor *m = tg_input(g, TG_BOOL, nd, sh, mv);
            tg_tensor *a = ta_in(g, dt, nd, sh, av, false);
            tg_tensor *mf = tg_masked_fill(x, m, -3.25);
            tg_tensor *wh = tg_where(m, a, x);
            tg_tensor *lt = tg_lt(x, a);
            TT_CHECK(tg_graph_error(g) == NULL);
            int bad = 0;
            int64_t ix[4], k = 0;
            for (ix[0] = 0; ix[0] < O[0]; ix[0]++)
                for (ix[1] = 0; ix[1] < O[1]; ix[1]++)
                    for (ix[2] = 0; ix[2] < O[2]; ix[2]++)
                        for (ix[3] = 0; ix[3] < O[3]; ix[3]++, k++) {
                            int64_t b = bcast_at(nd, sh, ix);
                            double xk = tg_get(x, k), ab = tg_get(a, b);
                            bad += tg_get(mf, k) != (mv[b] ? -3.25 : xk);
                            bad += tg_get(wh, k) != (mv[b] ? ab : xk);
                            bad += ((const bool *)lt->data)[k] != (xk < ab);
                        }
            TT_CHECK(bad == 0);
            tg_graph_free(g);
        }
    }
    free(xv);
    free(mv);
    free(av);
}

static void where_nan_trap(void)
{
    tg_graph *g = tg_graph_new();
    double xv[3] = {0, 1, 2};
    tg_tensor *x = IN64(g, xv, 3);
    tg_tensor *z = tg_scalar(g, TG_F64, 0);
    tg_tensor *pos = tg_gt(x, z);
    tg_tensor *bad = tg_where(pos, tg_log(x), z);
    TT_NEAR(tg_get(bad, 0), 0, 0); /* the value is fine */
    TT_CHECK(tg_backward(g, tg_sum_all(bad)) == TG_OK);
    TT_CHECK(isnan(tg_get(x->grad, 0)));
    TT_NEAR(tg_get(x->grad, 1), 1, 0);
    tg_tensor_zero_grad(x);
    tg_tensor *safe_x = tg_where(pos, x, tg_scalar(g, TG_F64, 1));
    tg_tensor *good = tg_where(pos, tg_log(safe_x), z);
    TT_CHECK(tg_backward(g, tg_sum_all(good)) == TG_OK);
    TT_NEAR(tg_get(x->grad, 0), 0, 0);
    TT_NEAR(tg_get(x->grad, 1), 1, 0);
    TT_NEAR(tg_get(x->grad, 2), 0.5, 0);
    tg_graph_reset(g);
    tg_set_anomaly(g, true);
    x = IN64(g, xv, 3);
    z = tg_scalar(g, TG_F64, 0);
    bad = tg_where(tg_gt(x, z), tg_log(x), z);
    /* log(0) = -Inf in the forward already: anomaly mode stops there */
    TT_CHECK(tg_graph_status(g) == TG_ERR_NUMERIC);
    TT_CONTAINS(tg_graph_error(g), "tg_log: anomaly: the output holds Inf");
    tg_graph_free(g);
}

/* ------------------------------------------------------------ ordering */

static void argmax_argmin(void)
{
    tg_graph *g = tg_graph_new();
    /* [[1,3,3,2],[5,NaN,0,NaN],[-1,-1,-2,-2]] */
    double v[12] = {1, 3, 3, 2, 5, NAN, 0, NAN, -1, -1, -2, -2};
    for (int d = 0; d < 2; d++) {
        tg_tensor *x = INC(g, d ? TG_F64 : TG_F32, v, 3, 4);
        int ax = 1;
        tg_tensor *mx = tg_argmax(x, &ax, false), *mn = tg_argmin(x, &ax, true);
        TT_CHECK(mx->dtype == TG_I64 && mx->ndim == 1 && mx->shape[0] == 3);
        TT_CHECK(mn->ndim == 2 && mn->shape[1] == 1);
        int64_t wmx[3] = {1, 1, 0}, wmn[3] = {0, 1, 2}; /* first tie, NaN */
        for (int k = 0; k < 3; k++) {
            TT_CHECK(tg_i64(mx)[k] == wmx[k]);
            TT_CHECK(tg_i64(mn)[k] == wmn[k]);
        }
        ax = 0;
        tg_tensor *m0 = tg_argmax(x, &ax, false);
        int64_t w0[4] = {1, 1, 0, 1};
        for (int k = 0; k < 4; k++) TT_CHECK(tg_i64(m0)[k] == w0[k]);
        tg_tensor *flat = tg_argmin(x, NULL, false);
        TT_CHECK(flat->ndim == 0 && tg_i64(flat)[0] == 5);
        tg_tensor *fk = tg_argmax(x, NULL, true);
        TT_CHECK(fk->ndim == 2 && fk->shape[0] == 1 && tg_i64(fk)[0] == 5);
    }
    /* i64 input, 0-d input, empty rows */
    tg_tensor *iv = I64(g, ((int64_t[]){4, 9, 9, -3}), 4);
    TT_CHECK(tg_i64(tg_argmax(iv, NULL, false))[0] == 1);
    TT_CHECK(tg_i64(tg_argmin(tg_scalar(g, TG_F32, 3), NULL, false))[0] == 0);
    int ax = 0;
    tg_tensor *e = tg_argmax(tg_full(g, TG_F32, TG_SHAPE(3, 0), 1), &ax, false);
    TT_CHECK(e->numel == 0 && e->ndim == 1);
    ax = 1;
    tg_argmax(tg_full(g, TG_F32, TG_SHAPE(3, 0), 1), &ax, false);
    TT_STREQ(tg_graph_error(g),
             "tg_argmax: the axis of shape [3,0] reduces an empty dimension; "
             "hint: there is no position to return (give an axis whose "
             "extent is not 0)");
    tg_graph_free(g);
}

/* Reference: the stable rank of element k in its lane, counted naively. */
static int64_t stable_rank(const double *v, int64_t n, int64_t k, bool desc)
{
    int64_t r = 0;
    for (int64_t j = 0; j < n; j++) {
        double a = v[j], b = v[k];
        bool nj = isnan(a), nk = isnan(b);
        bool before = desc ? (nj && !nk) || (!nj && !nk && a > b)
                           : (!nj && nk) || (!nj && !nk && a < b);
        bool tie = (nj && nk) || (!nj && !nk && a == b);
        if (before || (tie && j < k)) r++;
    }
    return r;
}

static void sort_argsort(void)
{
    tg_graph *g = tg_graph_new();
    double v[6] = {1, 3, 3, 2, NAN, 3};
    tg_tensor *x = INC(g, TG_F64, v, 6);
    tg_tensor *idx;
    tg_tensor *s = tg_sort(x, 0, false, &idx);
    /* PyTorch: values [1,2,3,3,3,nan], indices [0,3,1,2,5,4] */
    int64_t wi[6] = {0, 3, 1, 2, 5, 4}, wd[6] = {4, 1, 2, 5, 3, 0};
    for (int k = 0; k < 6; k++) {
        TT_CHECK(tg_i64(idx)[k] == wi[k]);
        TT_NEAR(tg_get(s, k), v[wi[k]], 0);
    }
    tg_tensor *sd = tg_sort(x, -1, true, &idx);
    for (int k = 0; k < 6; k++) {
        TT_CHECK(tg_i64(idx)[k] == wd[k]);
        TT_NEAR(tg_get(sd, k), v[wd[k]], 0);
    }
    tg_tensor *as = tg_argsort(x, 0, true);
    for (int k = 0; k < 6; k++) TT_CHECK(tg_i64(as)[k] == wd[k]);
    /* random lanes with many ties, both dtypes, axis 0 of [7,3]: against
     * the naive stable rank */
    double r[21];
    for (int k = 0; k < 21; k++) r[k] = (double)((k * 7919) % 5) - 2;
    for (int d = 0; d < 2; d++)
        for (int desc = 0; desc < 2; desc++) {
            tg_tensor *R = INC(g, d ? TG_F64 : TG_F32, r, 7, 3);
            tg_tensor *ri;
            tg_tensor *rs = tg_sort(R, 0, desc, &ri);
            for (int j = 0; j < 3; j++) {
                double lane[7];
                for (int k = 0; k < 7; k++) lane[k] = r[k * 3 + j];
                for (int k = 0; k < 7; k++) {
                    int64_t rk = stable_rank(lane, 7, k, desc);
                    TT_CHECK(tg_i64(ri)[rk * 3 + j] == k);
                    TT_NEAR(tg_get(rs, rk * 3 + j), lane[k], 0);
                }
            }
        }
    /* gradient: each value's gradient returns to where it came from */
    double gvv[4] = {0.3, -1, 2, 0.5};
    tg_tensor *gx = IN64(g, gvv, 4);
    tg_tensor *w = INC(g, TG_F64, ((double[]){1, 10, 100, 1000}), 4);
    TT_CHECK(tg_backward(g, tg_sum_all(tg_mul(tg_sort(gx, 0, false, NULL), w))) == TG_OK);
    /* sorted order: -1 (k=1), 0.3 (k=0), 0.5 (k=3), 2 (k=2) */
    double wg[4] = {10, 1, 1000, 100};
    for (int k = 0; k < 4; k++) TT_NEAR(tg_get(gx->grad, k), wg[k], 0);
    /* grad mode off: indices still come back, the output needs no grad */
    bool was = tg_set_grad_enabled(g, false);
    tg_tensor *off = tg_sort(gx, 0, true, &idx);
    TT_CHECK(idx && tg_i64(idx)[0] == 2 && !tg_requires_grad(off));
    tg_set_grad_enabled(g, was);
    /* 0-d and empty */
    tg_tensor *z = tg_sort(tg_scalar(g, TG_F32, 4), -1, false, &idx);
    TT_CHECK(z->ndim == 0 && tg_item(z) == 4 && tg_i64(idx)[0] == 0);
    tg_tensor *e = tg_sort(tg_full(g, TG_F64, TG_SHAPE(2, 0), 1), 1, false, &idx);
    TT_CHECK(e->numel == 0 && idx->numel == 0);
    tg_sort(x, 1, false, NULL);
    TT_STREQ(tg_graph_error(g),
             "tg_sort: axis 1 out of range for shape [6]; hint: axes lie in "
             "[-1, 1)");
    tg_graph_free(g);
}

static void topk_values(void)
{
    tg_graph *g = tg_graph_new();
    double v[10] = {1, 3, 3, 2, 3, /* */ 1, NAN, 3, 2, 3};
    for (int d = 0; d < 2; d++) {
        tg_tensor *x = INC(g, d ? TG_F64 : TG_F32, v, 2, 5);
        tg_tensor *idx;
        tg_tensor *t = tg_topk(x, 2, -1, true, &idx);
        TT_CHECK(t->ndim == 2 && t->shape[1] == 2 && idx->shape[1] == 2);
        /* stable order among ties; NaN is the largest */
        int64_t wi[4] = {1, 2, 1, 2};
        for (int k = 0; k < 4; k++) TT_CHECK(tg_i64(idx)[k] == wi[k]);
        TT_NEAR(tg_get(t, 0), 3, 0);
        TT_CHECK(isnan(tg_get(t, 2)));
        tg_tensor *s = tg_topk(x, 3, 1, false, &idx);
        int64_t ws[6] = {0, 3, 1, 0, 3, 2};
        for (int k = 0; k < 6; k++) TT_CHECK(tg_i64(idx)[k] == ws[k]);
        TT_NEAR(tg_get(s, 4), 2, 0);
        tg_tensor *z = tg_topk(x, 0, 0, true, NULL);
        TT_CHECK(z->shape[0] == 0 && z->shape[1] == 5);
    }
    /* gradient through the picked elements only */
    double gv[5] = {0.1, 0.9, -0.4, 0.6, 0.2};
    tg_tensor *x = IN64(g, gv, 5);
    TT_CHECK(tg_backward(g, tg_sum_all(tg_square(tg_topk(x, 2, 0, true, NULL)))) == TG_OK);
    double wg[5] = {0, 1.8, 0, 1.2, 0};
    for (int k = 0; k < 5; k++) TT_NEAR(tg_get(x->grad, k), wg[k], 1e-15);
    tg_topk(x, 6, 0, true, NULL);
    TT_STREQ(tg_graph_error(g),
             "tg_topk: k = 6 is out of range for axis 0 of [5]; hint: k lies "
             "in [0, 5]");
    tg_graph_free(g);
}

static void cummax_cummin(void)
{
    tg_graph *g = tg_graph_new();
    double v[6] = {1, 3, 2, 3, 1, 4};
    for (int d = 0; d < 2; d++) {
        tg_tensor *x = INC(g, d ? TG_F64 : TG_F32, v, 6);
        tg_tensor *i1, *i2;
        tg_tensor *mx = tg_cummax(x, 0, &i1), *mn = tg_cummin(x, -1, &i2);
        /* PyTorch: cummax [1,3,3,3,3,4] / [0,1,1,3,3,5];
         * cummin [1,1,1,1,1,1] / [0,0,0,0,4,4] (latest tie) */
        double wmx[6] = {1, 3, 3, 3, 3, 4};
        int64_t wix[6] = {0, 1, 1, 3, 3, 5}, win[6] = {0, 0, 0, 0, 4, 4};
        for (int k = 0; k < 6; k++) {
            TT_NEAR(tg_get(mx, k), wmx[k], 0);
            TT_NEAR(tg_get(mn, k), 1, 0);
            TT_CHECK(tg_i64(i1)[k] == wix[k]);
            TT_CHECK(tg_i64(i2)[k] == win[k]);
        }
        double nv[4] = {1, NAN, 2, NAN};
        tg_tensor *n = tg_cummax(INC(g, d ? TG_F64 : TG_F32, nv, 4), 0, &i1);
        TT_NEAR(tg_get(n, 0), 1, 0);
        TT_CHECK(isnan(tg_get(n, 2)) && tg_i64(i1)[2] == 1 && tg_i64(i1)[3] == 3);
    }
    /* 2-D along axis 1, gradient to the running argmax */
    double m[6] = {0.5, 0.2, 0.7, -1, 0.3, 0.1};
    tg_tensor *x = IN64(g, m, 2, 3);
    TT_CHECK(tg_backward(g, tg_sum_all(tg_cummax(x, 1, NULL))) == TG_OK);
    double wg[6] = {2, 0, 1, 1, 2, 0};
    for (int k = 0; k < 6; k++) TT_NEAR(tg_get(x->grad, k), wg[k], 0);
    tg_tensor *e = tg_cummin(tg_full(g, TG_F32, TG_SHAPE(0, 3), 1), 1, NULL);
    TT_CHECK(e->numel == 0);
    tg_cummax(x, 2, NULL);
    TT_STREQ(tg_graph_error(g),
             "tg_cummax: axis 2 out of range for shape [2,3]; hint: axes lie "
             "in [-2, 2)");
    tg_graph_free(g);
}

static tg_tensor *order_fn(tg_graph *g, tg_tensor *const *in, int n, void *ud)
{
    (void)g, (void)n;
    const P *p = ud;
    tg_tensor *x = in[0];
    switch (p->i[0]) {
    case 0: return tg_mul(tg_sort(x, 1, true, NULL), in[1]);
    case 1: return tg_mul(tg_topk(tg_tanh(x), 2, 0, false, NULL), in[1]);
    default: return tg_mul(tg_cummin(tg_sin(x), 0, NULL), in[1]);
    }
}

static void order_gradcheck(void)
{
    for (int k = 0; k < 3; k++) {
        P p = {0};
        p.i[0] = k;
        tg_check_arg a[2] = {ARG("x", 4, 3), k == 1 ? ARG("w", 2, 1) : ARG("w", 3)};
        /* non-smooth ops: the checker skips second derivatives */
        ta_check(k == 0 ? "sort" : k == 1 ? "topk" : "cummin", order_fn, &p,
                 2, a, false);
    }
}

/* -------------------------------------------------------------- random */

/* Statistics over many draws, each bound 5 standard errors wide (a fixed
 * seed makes the outcome fixed; the bounds say the stream is sane). */
static void sampling_stats(void)
{
    tg_graph *g = tg_graph_new();
    tg_rng_seed(tg_graph_rng(g), 42);
    enum { N = 20000 };
    /* bernoulli: mean p, values 0/1 in p's dtype */
    tg_tensor *p = tg_full(g, TG_F32, TG_SHAPE(N), 0.3);
    tg_tensor *b = tg_bernoulli(p);
    double s = 0;
    bool binary = true;
    for (int i = 0; i < N; i++) {
        s += tg_f32(b)[i];
        binary &= tg_f32(b)[i] == 0 || tg_f32(b)[i] == 1;
    }
    TT_CHECK(binary && b->dtype == TG_F32 && !tg_requires_grad(b));
    TT_NEAR(s / N, 0.3, 5 * sqrt(0.21 / N));
    /* normal: mean and std, broadcasting mean [2,1] against std [N/2] */
    double mv[2] = {-1, 4};
    tg_tensor *nm = INC(g, TG_F64, mv, 2, 1);
    tg_tensor *ns = tg_full(g, TG_F64, TG_SHAPE(N / 2), 2);
    tg_tensor *y = tg_normal(nm, ns);
    TT_CHECK(y->ndim == 2 && y->shape[0] == 2 && y->shape[1] == N / 2);
    for (int r = 0; r < 2; r++) {
        double m = 0, v = 0;
        for (int i = 0; i < N / 2; i++) m += tg_f64(y)[r * (N / 2) + i];
        m /= N / 2;
        for (int i = 0; i < N / 2; i++) {
            double d = tg_f64(y)[r * (N / 2) + i] - m;
            v += d * d;
        }
        TT_NEAR(m, mv[r], 5 * 2 / sqrt(N / 2));
        TT_NEAR(sqrt(v / (N / 2)), 2, 0.05);
    }
    /* uniform in [low, high), mean in the middle */
    tg_tensor *u = tg_uniform_like(tg_full(g, TG_F32, TG_SHAPE(N), 0), -2, 3);
    double mu = 0, lo = 1e9, hi = -1e9;
    for (int i = 0; i < N; i++) {
        double v = tg_f32(u)[i];
        mu += v;
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    TT_CHECK(lo >= -2 && hi < 3 && lo < -1.99 && hi > 2.99);
    TT_NEAR(mu / N, 0.5, 5 * 5 / sqrt(12.0 * N));
    /* randint: every value of [low, high) about equally often */
    tg_tensor *ri = tg_randint_like(I64(g, ((int64_t[]){0}), 1), -3, 3);
    TT_CHECK(ri->dtype == TG_I64 && ri->numel == 1 && tg_i64(ri)[0] >= -3 &&
             tg_i64(ri)[0] < 3);
    tg_tensor *rk = tg_randint(g, -3, 3, TG_SHAPE(N));
    int cnt[6] = {0};
    bool inr = true;
    for (int i = 0; i < N; i++) {
        int64_t v = tg_i64(rk)[i];
        inr &= v >= -3 && v < 3;
        if (v >= -3 && v < 3) cnt[v + 3]++;
    }
    TT_CHECK(inr);
    for (int k = 0; k < 6; k++)
        TT_NEAR(cnt[k] / (double)N, 1 / 6.0, 5 * sqrt(5 / 36.0 / N));
    /* multinomial with replacement: frequencies follow the weights */
    double wv[4] = {1, 0, 3, 4};
    tg_tensor *w = INC(g, TG_F64, wv, 4);
    tg_tensor *m = tg_multinomial(w, N, true);
    TT_CHECK(m->dtype == TG_I64 && m->ndim == 1 && m->shape[0] == N);
    int mc[4] = {0};
    for (int i = 0; i < N; i++) mc[tg_i64(m)[i]]++;
    TT_CHECK(mc[1] == 0);
    for (int k = 0; k < 4; k++)
        TT_NEAR(mc[k] / (double)N, wv[k] / 8,
                5 * sqrt(wv[k] / 8 * (1 - wv[k] / 8) / N) + 1e-12);
    /* without replacement: distinct; the zero-weight category comes last */
    double w2[8] = {1, 0, 3, 4, 0, 0, 5, 1};
    tg_tensor *m2 = tg_multinomial(INC(g, TG_F64, w2, 2, 4), 4, false);
    TT_CHECK(m2->ndim == 2 && m2->shape[0] == 2 && m2->shape[1] == 4);
    TT_CHECK(tg_i64(m2)[3] == 1); /* row 0: 0, 2, 3 in some order, then 1 */
    for (int r = 0; r < 2; r++) {
        int seen = 0;
        for (int k = 0; k < 4; k++) seen |= 1 << tg_i64(m2)[r * 4 + k];
        TT_CHECK(seen == 15);
    }
    /* the first draw of row 1 is 2 or 3 (weights 5 and 1) */
    int64_t f1 = tg_i64(m2)[4];
    TT_CHECK(f1 == 2 || f1 == 3);
    /* randperm: a permutation, and the same seed gives the same one */
    tg_rng_seed(tg_graph_rng(g), 7);
    tg_tensor *pa = tg_randperm(g, 50);
    tg_rng_seed(tg_graph_rng(g), 7);
    tg_tensor *pb = tg_randperm(g, 50);
    uint64_t seen = 0;
    bool same = true;
    for (int i = 0; i < 50; i++) {
        seen |= (uint64_t)1 << tg_i64(pa)[i];
        same &= tg_i64(pa)[i] == tg_i64(pb)[i];
    }
    TT_CHECK(seen == ((uint64_t)1 << 50) - 1 && same);
    TT_CHECK(tg_randperm(g, 0)->numel == 0);
    TT_CHECK(tg_graph_error(g) == NULL);
    tg_graph_free(g);
}

static tg_tensor *normal_fn(tg_graph *g, tg_tensor *const *in, int n, void *ud)
{
    (void)g, (void)n, (void)ud;
    return tg_mul(tg_normal(tg_sin(in[0]), tg_square(in[1])), in[0]);
}

/* normal's reparameterisation gradient: by hand (dmean = g, dstd = g eps
 * with eps = (y - mean) / std) and by central differences with second
 * derivatives (the checker reseeds the graph's RNG for every
 * evaluation). */
static void normal_gradient(void)
{
    tg_graph *g = tg_graph_new();
    double mv[3] = {0.5, -1, 2}, sv[3] = {1, 0.5, 2};
    tg_tensor *m = IN64(g, mv, 3), *s = IN64(g, sv, 3);
    tg_tensor *y = tg_normal(m, s);
    TT_CHECK(tg_requires_grad(y));
    TT_CHECK(tg_backward(g, tg_sum_all(y)) == TG_OK);
    for (int k = 0; k < 3; k++) {
        TT_NEAR(tg_get(m->grad, k), 1, 0);
        TT_NEAR(tg_get(s->grad, k), (tg_get(y, k) - mv[k]) / sv[k], 1e-14);
    }
    tg_graph_free(g);
    P p = {0};
    tg_check_arg a[2] = {ARG("m", 2, 3), ARG("s", 3)};
    ta_check("normal", normal_fn, &p, 2, a, true);
}

static void sampling_errors(void)
{
    tg_graph *g = tg_graph_new();
    double bad[3] = {0.5, 1.5, 0};
    tg_bernoulli(INC(g, TG_F64, bad, 3));
    TT_STREQ(tg_graph_error(g),
             "tg_bernoulli: p[1] = 1.5 is not a probability; hint: p lies in "
             "[0, 1] (tg_sigmoid maps logits there)");
    tg_graph_reset(g);
    tg_multinomial(tg_full(g, TG_F64, TG_SHAPE(3), 1), 4, false);
    TT_STREQ(tg_graph_error(g),
             "tg_multinomial: num_samples = 4 does not fit 3 categories "
             "(replacement=0); hint: without replacement at most C samples "
             "are drawn");
    tg_graph_reset(g);
    tg_multinomial(tg_full(g, TG_F64, TG_SHAPE(2, 3), 0), 1, true);
    TT_STREQ(tg_graph_error(g),
             "tg_multinomial: row 0 of the weights [2,3] sums to 0; hint: at "
             "least one category needs a weight > 0");
    tg_graph_reset(g);
    tg_multinomial(INC(g, TG_F64, ((double[]){1, -1}), 2), 1, true);
    TT_CONTAINS(tg_graph_error(g), "weight [1] = -1 is negative");
    tg_graph_reset(g);
    tg_multinomial(tg_full(g, TG_F64, TG_SHAPE(1, 1, 3), 1), 1, true);
    TT_STREQ(tg_graph_error(g),
             "tg_multinomial: weights must be [C] or [N, C], got [1,1,3]");
    tg_graph_reset(g);
    tg_normal(tg_full(g, TG_F32, TG_SHAPE(2), 0), tg_full(g, TG_F32, TG_SHAPE(2), -1));
    TT_STREQ(tg_graph_error(g),
             "tg_normal: std[0] = -1; hint: a standard deviation is finite "
             "and >= 0");
    tg_graph_reset(g);
    tg_randint_like(tg_full(g, TG_F32, TG_SHAPE(2), 0), 3, 3);
    TT_STREQ(tg_graph_error(g),
             "tg_randint: low = 3, high = 3; hint: the range [low, high) must "
             "not be empty");
    tg_graph_reset(g);
    tg_uniform_like(tg_full(g, TG_I64, TG_SHAPE(2), 0), 0, 1);
    TT_STREQ(tg_graph_error(g),
             "tg_uniform: input 1 is i64 [2]; hint: this op computes with f32 "
             "or f64: tg_cast(t, TG_F32) or tg_cast(t, TG_F64)");
    tg_graph_reset(g);
    TT_CHECK(tg_randperm(g, -1) != NULL);
    TT_STREQ(tg_graph_error(g), "tg_randperm: n = -1; hint: n >= 0");
    tg_graph_reset(g);
    tg_rand_uniform(g, TG_BOOL, TG_SHAPE(2), 0, 1);
    TT_CONTAINS(tg_graph_error(g), "tg_rand_uniform: dtype bool");
    TT_CHECK(tg_rand_normal(NULL, TG_F32, TG_SHAPE(2), 0, 1) == NULL);
    TT_STREQ(tg_last_error(), "tg_rand_normal: graph is NULL");
    tg_graph_free(g);
}

TT_RUN(TT(dtype_basics), TT(cast_table), TT(i64_indices),
       TT(i64_bool_movement), TT(comparisons),
       TT(any_all), TT(where_values_grads), TT(masks_broadcast_rows),
       TT(where_nan_trap),
       TT(argmax_argmin), TT(sort_argsort), TT(topk_values),
       TT(cummax_cummin), TT(order_gradcheck), TT(sampling_stats),
       TT(normal_gradient), TT(sampling_errors))
