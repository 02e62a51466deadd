/* Array family, shape ops: permute/transpose, flatten/squeeze/unsqueeze,
 * concat, slice, index_select/index_add, gather/scatter_add — values by
 * index arithmetic, views, Python slice rules, index validation and
 * error messages. */
#include <math.h>
#include <string.h>

#include "array_util.h"

static void permute_values(void)
{
    double xv[24];
    for (int i = 0; i < 24; i++) xv[i] = i;
    for (int d = 0; d < 2; d++) {
        tg_dtype dt = d ? TG_F64 : TG_F32;
        tg_graph *g = tg_graph_new();
        tg_tensor *x = ta_in(g, dt, TG_SHAPE(2, 3, 4), xv, true);
        tg_tensor *y = tg_permute(x, 3, (int64_t[]){2, 0, 1}); /* [4,2,3] */
        TT_CHECK(y->ndim == 3 && y->shape[0] == 4 && y->shape[1] == 2 &&
                 y->shape[2] == 3);
        for (int k = 0; k < 4; k++)
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < 3; j++)
                    TT_NEAR(tg_get(y, (k * 2 + i) * 3 + j), i * 12 + j * 4 + k,
                            0);
        tg_tensor *t = tg_transpose(x, -1, 1); /* [2,4,3] */
        TT_CHECK(t->shape[1] == 4 && t->shape[2] == 3);
        TT_NEAR(tg_get(t, (1 * 4 + 2) * 3 + 1), 1 * 12 + 1 * 4 + 2, 0);
        /* gradient of a weighted sum comes back in x's layout */
        double wv[24];
        for (int i = 0; i < 24; i++) wv[i] = 100 + i;
        tg_tensor *w = ta_in(g, dt, TG_SHAPE(4, 2, 3), wv, false);
        TT_CHECK(tg_backward(g, tg_sum_all(tg_mul(y, w))) == TG_OK);
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
                for (int k = 0; k < 4; k++)
                    TT_NEAR(tg_get(x->grad, i * 12 + j * 4 + k),
                            wv[(k * 2 + i) * 3 + j], 0);
        tg_graph_free(g);
    }
    tg_graph *g = tg_graph_new();
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(3, 4), NULL);
    tg_permute(x, 2, (int64_t[]){0, 0});
    TT_STREQ(tg_graph_error(g), "tg_permute: [0,0] is not a permutation of "
                                "the 2 axes of [3,4]; hint: list each axis "
                                "once");
    tg_graph_reset(g);
    x = tg_input(g, TG_F64, TG_SHAPE(3, 4), NULL);
    tg_transpose(x, 0, 2);
    TT_STREQ(tg_graph_error(g), "tg_transpose: axes 0 and 2 out of range for "
                                "shape [3,4]; hint: axes lie in [-2, 2)");
    tg_graph_free(g);
}

static void views(void)
{
    double xv[24];
    for (int i = 0; i < 24; i++) xv[i] = i;
    tg_graph *g = tg_graph_new();
    tg_tensor *x = IN64(g, xv, 2, 3, 4);
    tg_tensor *f = tg_flatten(x, 1, -1);
    TT_CHECK(f->ndim == 2 && f->shape[0] == 2 && f->shape[1] == 12);
    TT_CHECK(f->data == x->data); /* no copy */
    tg_tensor *f0 = tg_flatten(x, 0, 1);
    TT_CHECK(f0->ndim == 2 && f0->shape[0] == 6 && f0->shape[1] == 4);
    tg_tensor *all = tg_flatten(x, 0, -1);
    TT_CHECK(all->ndim == 1 && all->shape[0] == 24);
    tg_tensor *s0 = tg_flatten(tg_scalar(g, TG_F64, 3), 0, -1);
    TT_CHECK(s0->ndim == 1 && s0->shape[0] == 1 && tg_item(s0) == 3);

    tg_tensor *u = tg_unsqueeze(x, 1);
    TT_CHECK(u->ndim == 4 && u->shape[1] == 1 && u->shape[2] == 3);
    tg_tensor *ue = tg_unsqueeze(x, -1);
    TT_CHECK(ue->ndim == 4 && ue->shape[3] == 1 && ue->shape[2] == 4);
    tg_tensor *sq = tg_squeeze(u, 1);
    TT_CHECK(sq->ndim == 3 && sq->shape[1] == 3 && sq->data == x->data);
    tg_tensor *keep = tg_squeeze(x, 0); /* extent 2: unchanged (PyTorch) */
    TT_CHECK(keep->ndim == 3 && keep->shape[0] == 2);
    tg_tensor *y = tg_reshape(x, TG_SHAPE(1, 2, 1, 12, 1));
    tg_tensor *sa = tg_squeeze_all(y);
    TT_CHECK(sa->ndim == 2 && sa->shape[0] == 2 && sa->shape[1] == 12);
    /* gradients flow back to x's shape */
    tg_tensor *sum3 = tg_add(tg_add(f, sa), tg_flatten(ue, 1, -1));
    TT_CHECK(tg_backward(g, tg_sum_all(sum3)) == TG_OK);
    TT_CHECK(x->grad->ndim == 3);
    for (int i = 0; i < 24; i++) TT_NEAR(tg_get(x->grad, i), 3, 0);
    TT_CHECK(tg_graph_error(g) == NULL);

    tg_graph_reset(g);
    x = tg_input(g, TG_F64, TG_SHAPE(2, 3, 4), NULL);
    tg_flatten(x, 2, 1);
    TT_STREQ(tg_graph_error(g), "tg_flatten: cannot flatten dims 2..1 of "
                                "[2,3,4]; hint: start <= end, both in [-3, 3)");
    tg_graph_reset(g);
    x = tg_input(g, TG_F64, TG_SHAPE(3), NULL);
    tg_unsqueeze(x, 3);
    TT_STREQ(tg_graph_error(g), "tg_unsqueeze: cannot insert an axis at 3 "
                                "into [3]; hint: the axis lies in [-2, 1] and "
                                "tensors have at most 8 dims");
    tg_graph_reset(g);
    x = tg_input(g, TG_F64, TG_SHAPE(3, 1), NULL);
    tg_squeeze(x, -3);
    TT_STREQ(tg_graph_error(g), "tg_squeeze: axis -3 out of range for shape "
                                "[3,1]; hint: axes lie in [-2, 2)");
    tg_graph_free(g);
}

static void concat_values(void)
{
    double av[6] = {1, 2, 3, 4, 5, 6}, bv[4] = {7, 8, 9, 10};
    for (int d = 0; d < 2; d++) {
        tg_dtype dt = d ? TG_F64 : TG_F32;
        tg_graph *g = tg_graph_new();
        tg_tensor *a = ta_in(g, dt, TG_SHAPE(2, 3), av, true);
        tg_tensor *b = ta_in(g, dt, TG_SHAPE(2, 2), bv, true);
        tg_tensor *xs[3] = {a, b, a};
        tg_tensor *y = tg_concat(xs, 3, 1); /* [2, 8] */
        TT_CHECK(y->ndim == 2 && y->shape[0] == 2 && y->shape[1] == 8);
        double want[16] = {1, 2, 3, 7, 8, 1, 2, 3, 4, 5, 6, 9, 10, 4, 5, 6};
        for (int i = 0; i < 16; i++) TT_NEAR(tg_get(y, i), want[i], 0);
        double wv[16];
        for (int i = 0; i < 16; i++) wv[i] = i;
        tg_tensor *w = ta_in(g, dt, TG_SHAPE(2, 8), wv, false);
        TT_CHECK(tg_backward(g, tg_sum_all(tg_mul(y, w))) == TG_OK);
        /* a appears twice: its gradient is the sum of both windows */
        for (int r = 0; r < 2; r++)
            for (int c = 0; c < 3; c++)
                TT_NEAR(tg_get(a->grad, r * 3 + c), wv[r * 8 + c] + wv[r * 8 + 5 + c],
                        0);
        for (int r = 0; r < 2; r++)
            for (int c = 0; c < 2; c++)
                TT_NEAR(tg_get(b->grad, r * 2 + c), wv[r * 8 + 3 + c], 0);
        tg_tensor *ys[2] = {a, a};
        tg_tensor *y0 = tg_concat(ys, 2, 0);
        TT_CHECK(y0->shape[0] == 4 && y0->shape[1] == 3);
        TT_NEAR(tg_get(y0, 7), av[1], 0);
        TT_CHECK(tg_concat(&a, 1, -1)->shape[1] == 3);
        tg_graph_free(g);
    }
    tg_graph *g = tg_graph_new();
    tg_tensor *xs[2] = {tg_input(g, TG_F64, TG_SHAPE(2, 3), NULL),
                        tg_input(g, TG_F64, TG_SHAPE(2, 4), NULL)};
    tg_concat(xs, 2, 0);
    TT_STREQ(tg_graph_error(g), "tg_concat: input 2 [2,4] does not match "
                                "input 1 [2,3]; hint: all extents but axis 0 "
                                "must agree");
    tg_graph_reset(g);
    xs[0] = tg_input(g, TG_F64, TG_SHAPE(2, 3), NULL);
    xs[1] = tg_input(g, TG_F64, TG_SHAPE(6), NULL);
    tg_concat(xs, 2, 0);
    TT_CONTAINS(tg_graph_error(g), "tg_concat: input 2 [6] does not match");
    tg_graph_reset(g);
    xs[0] = tg_input(g, TG_F64, TG_SHAPE(2, 3), NULL);
    xs[1] = tg_input(g, TG_F32, TG_SHAPE(2, 3), NULL);
    tg_concat(xs, 2, 0);
    TT_STREQ(tg_graph_error(g), "tg_concat: dtypes differ: input 1 is f64, "
                                "input 2 is f32; hint: convert with tg_cast");
    tg_graph_reset(g);
    xs[0] = tg_scalar(g, TG_F64, 1);
    tg_concat(xs, 1, 0);
    TT_STREQ(tg_graph_error(g), "tg_concat: cannot concatenate 0-d tensors; "
                                "hint: reshape them to [1]");
    tg_graph_reset(g);
    xs[0] = tg_input(g, TG_F64, TG_SHAPE(2, 3), NULL);
    tg_concat(xs, 1, 2);
    TT_STREQ(tg_graph_error(g), "tg_concat: axis 2 out of range for shape "
                                "[2,3]; hint: axes lie in [-2, 2)");
    tg_graph_free(g);
}

/* Python's range(7)[start:stop:step], computed by Python. */
static const struct {
    int64_t start, stop, step, len, idx[7];
} py[] = {
    {0, 7, 1, 7, {0, 1, 2, 3, 4, 5, 6}}, {1, 4, 2, 2, {1, 3}},
    {-3, 100, 1, 3, {4, 5, 6}},          {-100, -2, 3, 2, {0, 3}},
    {5, 2, 1, 0, {0}},                   {6, 7, 5, 1, {6}},
    {0, -1, 3, 2, {0, 3}},               {3, 3, 1, 0, {0}},
    {-1, 7, 2, 1, {6}},
};

static void slice_values(void)
{
    double xv[21];
    for (int i = 0; i < 21; i++) xv[i] = i;
    for (int d = 0; d < 2; d++) {
        tg_dtype dt = d ? TG_F64 : TG_F32;
        tg_graph *g = tg_graph_new();
        tg_tensor *x = ta_in(g, dt, TG_SHAPE(3, 7), xv, true);
        for (size_t c = 0; c < sizeof py / sizeof py[0]; c++) {
            tg_tensor *y = tg_slice(x, 1, py[c].start, py[c].stop, py[c].step);
            TT_CHECK(y->ndim == 2 && y->shape[0] == 3 && y->shape[1] == py[c].len);
            for (int r = 0; r < 3; r++)
                for (int k = 0; k < py[c].len; k++)
                    TT_NEAR(tg_get(y, r * py[c].len + k), r * 7 + py[c].idx[k], 0);
        }
        /* along axis 0, and the gradient lands on the picked rows */
        tg_tensor *y = tg_slice(x, 0, 0, INT64_MAX, 2); /* rows 0, 2 */
        TT_CHECK(y->shape[0] == 2 && y->shape[1] == 7);
        TT_CHECK(tg_backward(g, tg_sum_all(y)) == TG_OK);
        for (int i = 0; i < 21; i++)
            TT_NEAR(tg_get(x->grad, i), (i / 7) % 2 == 0 ? 1 : 0, 0);
        TT_CHECK(tg_graph_error(g) == NULL);
        tg_graph_free(g);
    }
    tg_graph *g = tg_graph_new();
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(3, 5), NULL);
    tg_slice(x, 1, 0, 5, 0);
    TT_STREQ(tg_graph_error(g), "tg_slice: step must be > 0, got 0 (slicing "
                                "[3,5] along axis 1); hint: to reverse an "
                                "axis, index_select it with descending "
                                "indices");
    tg_graph_reset(g);
    x = tg_input(g, TG_F64, TG_SHAPE(3, 5), NULL);
    tg_slice(x, -3, 0, 5, 1);
    TT_STREQ(tg_graph_error(g), "tg_slice: axis -3 out of range for shape "
                                "[3,5]; hint: axes lie in [-2, 2)");
    tg_graph_reset(g);
    tg_slice_backward(tg_input(g, TG_F64, TG_SHAPE(3, 3), NULL), TG_SHAPE(3, 5),
                      1, 1, 2);
    TT_STREQ(tg_graph_error(g), "tg_slice_backward: gradient [3,3] is not a "
                                "slice of [3,5] along axis 1 from 1 step 2");
    tg_graph_free(g);
}

/* Embedding lookup and class picking, with repeated indices. */
static void index_values(void)
{
    double E[12] = {0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32}; /* [4,3] */
    double tok[6] = {3, 0, 3, 1, 1, 1};                            /* [2,3] */
    for (int d = 0; d < 2; d++) {
        tg_dtype dt = d ? TG_F64 : TG_F32;
        tg_graph *g = tg_graph_new();
        tg_tensor *e = ta_in(g, dt, TG_SHAPE(4, 3), E, true);
        tg_tensor *t = INC(g, d ? TG_F32 : TG_F64, tok, 2, 3);
        tg_tensor *y = tg_index_select(e, 0, t); /* [2,3,3] */
        TT_CHECK(y->ndim == 3 && y->shape[0] == 2 && y->shape[1] == 3 &&
                 y->shape[2] == 3);
        for (int k = 0; k < 6; k++)
            for (int j = 0; j < 3; j++)
                TT_NEAR(tg_get(y, k * 3 + j), E[(int)tok[k] * 3 + j], 0);
        TT_CHECK(tg_backward(g, tg_sum_all(y)) == TG_OK);
        double cnt[4] = {1, 3, 0, 2}; /* occurrences of each row */
        for (int r = 0; r < 4; r++)
            for (int j = 0; j < 3; j++) TT_NEAR(tg_get(e->grad, r * 3 + j), cnt[r], 0);
        /* index_select along axis 1 */
        double cols[2] = {2, 0};
        tg_tensor *c = tg_index_select(e, 1, INC(g, dt, cols, 2));
        TT_CHECK(c->shape[0] == 4 && c->shape[1] == 2);
        TT_NEAR(tg_get(c, 2 * 2 + 0), 22, 0);
        TT_NEAR(tg_get(c, 2 * 2 + 1), 20, 0);

        /* gather picks class scores: -mean(gather) equals nll */
        double lp[8] = {-1, -2, -3, -4, -5, -6, -7, -8}, lab[2] = {2, 1};
        tg_tensor *x = ta_in(g, dt, TG_SHAPE(2, 4), lp, true);
        tg_tensor *pick = tg_gather(x, 1, INC(g, dt, lab, 2, 1));
        TT_CHECK(pick->ndim == 2 && pick->shape[0] == 2 && pick->shape[1] == 1);
        TT_NEAR(tg_get(pick, 0), -3, 0);
        TT_NEAR(tg_get(pick, 1), -6, 0);
        TT_NEAR(tg_item(tg_nll(x, INC(g, dt, lab, 2))), 4.5, 0);
        double gi[6] = {0, 1, 1, 1, 0, 0};
        tg_tensor *x2 = ta_in(g, dt, TG_SHAPE(2, 4), lp, true);
        tg_tensor *gg = tg_gather(x2, 0, INC(g, dt, gi, 2, 3));
        double want[6] = {-1, -6, -7, -5, -2, -3}; /* x2[gi[i][j]][j] */
        for (int i = 0; i < 6; i++) TT_NEAR(tg_get(gg, i), want[i], 0);
        TT_CHECK(tg_backward(g, tg_sum_all(gg)) == TG_OK);
        /* picked: (0,0) (1,1) (1,2) (1,0) (0,1) (0,2), each once */
        double gw[8] = {1, 1, 1, 0, 1, 1, 1, 0};
        for (int i = 0; i < 8; i++) TT_NEAR(tg_get(x2->grad, i), gw[i], 0);
        TT_CHECK(tg_graph_error(g) == NULL);
        tg_graph_free(g);
    }
}

/* gather and scatter_add along the last axis of a 3-D tensor (the loop
 * that walks index rows), with an index smaller than x off the axis and
 * indices in f32, f64 and i64, against the definition written out. */
static void index_last_axis(void)
{
    enum { A = 3, B = 4, L = 5, IA = 2, IB = 3, K = 6 };
    double xv[A * B * L], gv[IA * IB * K], iv[IA * IB * K];
    int64_t i64[IA * IB * K];
    ta_fill(xv, A * B * L, 41);
    ta_fill(gv, IA * IB * K, 42);
    for (int i = 0; i < IA * IB * K; i++) {
        iv[i] = (double)((i * 3 + i / 4) % L);
        i64[i] = (int64_t)iv[i];
    }
    for (int d = 0; d < 2; d++)
        for (int it = 0; it < 3; it++) {
            tg_dtype dt = d ? TG_F64 : TG_F32;
            tg_graph *g = tg_graph_new();
            tg_tensor *x = ta_in(g, dt, TG_SHAPE(A, B, L), xv, false);
            tg_tensor *gg = ta_in(g, dt, TG_SHAPE(IA, IB, K), gv, false);
            tg_tensor *idx =
                it == 2 ? tg_input(g, TG_I64, TG_SHAPE(IA, IB, K), i64)
                        : INC(g, it ? TG_F64 : TG_F32, iv, IA, IB, K);
            tg_tensor *y = tg_gather(x, -1, idx);
            tg_tensor *z = tg_scatter_add(gg, TG_SHAPE(A, B, L), 2, idx);
            TT_CHECK(tg_graph_error(g) == NULL);
            long double want[A * B * L] = {0};
            for (int a = 0; a < IA; a++)
                for (int b = 0; b < IB; b++)
                    for (int k = 0; k < K; k++) {
                        int i = (a * IB + b) * K + k;
                        int at = (a * B + b) * L + (int)iv[i];
                        double xs = d ? xv[at] : (double)(float)xv[at];
                        TT_CHECK(tg_get(y, i) == xs);
                        want[at] += d ? gv[i] : (double)(float)gv[i];
                    }
            for (int i = 0; i < A * B * L; i++)
                TT_NEAR(tg_get(z, i), (double)want[i], d ? 1e-15 : 1e-6);
            tg_graph_free(g);
        }
}

static void index_errors(void)
{
    tg_graph *g = tg_graph_new();
    double bad[3] = {1, 5, 0}, frac[2] = {1, 2.5};
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(5, 3), NULL);
    tg_index_select(x, 0, INC(g, TG_F32, bad, 3));
    TT_STREQ(tg_graph_error(g), "tg_index_select: index[1] = 5 is out of "
                                "range for axis 0 of [5,3]; hint: it must lie "
                                "in [0, 5)");
    tg_graph_reset(g);
    x = tg_input(g, TG_F64, TG_SHAPE(5, 3), NULL);
    tg_gather(x, 1, INC(g, TG_F64, frac, 2, 1));
    TT_STREQ(tg_graph_error(g), "tg_gather: index[1] = 2.5 is not an integer; "
                                "hint: indices are i64 (or whole numbers "
                                "in f32/f64)");
    tg_graph_reset(g);
    x = tg_input(g, TG_F64, TG_SHAPE(5, 3), NULL);
    tg_gather(x, 1, INC(g, TG_F64, frac, 2));
    TT_STREQ(tg_graph_error(g), "tg_gather: index [2] does not fit [5,3]; "
                                "hint: same number of dims, and no larger "
                                "than it off axis 1");
    tg_graph_reset(g);
    x = tg_input(g, TG_F64, TG_SHAPE(5, 3), NULL);
    tg_index_select(x, 2, INC(g, TG_F64, bad, 3));
    TT_STREQ(tg_graph_error(g), "tg_index_select: axis 2 out of range for "
                                "shape [5,3]; hint: axes lie in [-2, 2)");
    tg_graph_reset(g);
    tg_index_add(tg_input(g, TG_F64, TG_SHAPE(2, 3), NULL), TG_SHAPE(5, 3), 0,
                 INC(g, TG_F64, bad, 3));
    TT_STREQ(tg_graph_error(g), "tg_index_add: gradient [2,3] does not match "
                                "[5,3] indexed by [3] along axis 0 (want "
                                "[3,3])");
    /* a bad index deep in a long row (past the first vector lanes), in
     * f32 and f64; -0 is a valid 0 */
    double row[12] = {0, 1, 2, 3, 4, -0.0, 4, 3, 2, 1, 0, 1};
    const double bads[3] = {5, NAN, 1.5};
    const char *want[3] = {"= 5 is out of range for axis 1 of [2,5]",
                           "= nan is not an integer",
                           "= 1.5 is not an integer"};
    for (int d = 0; d < 2; d++)
        for (int k = 0; k < 4; k++) {
            tg_graph_reset(g);
            double r2[12];
            memcpy(r2, row, sizeof row);
            if (k < 3) r2[9] = bads[k];
            x = tg_input(g, TG_F64, TG_SHAPE(2, 5), NULL);
            tg_tensor *y = tg_gather(x, 1, INC(g, d ? TG_F64 : TG_F32, r2, 1, 12));
            if (k == 3) {
                TT_CHECK(tg_graph_error(g) == NULL && y->numel == 12);
                continue;
            }
            const char *e = tg_graph_error(g);
            TT_CHECK(e && strstr(e, "tg_gather: index[9] ") == e &&
                     strstr(e, want[k]) != NULL);
        }
    tg_graph_free(g);
}

TT_RUN(TT(permute_values), TT(views), TT(concat_values), TT(slice_values),
       TT(index_values), TT(index_last_axis), TT(index_errors))
