/* Array family, forward values and behaviour: references in long double
 * or by hand, f32 and f64, fused ops against their composites, ties,
 * dropout statistics, batch-norm running statistics, error messages. */
#include "array_util.h"

/* ------------------------------------------------------------- linear */

static void linear_values(void)
{
    double xv[6] = {1, -2, 0.5, 3, 0.25, -1};
    double Wv[6] = {0.5, -1, 2, 0.25, -0.75, 1.5};
    double bv[2] = {0.1, -0.2};
    for (int d = 0; d < 2; d++) {
        tg_dtype dt = d ? TG_F64 : TG_F32;
        tg_graph *g = tg_graph_new();
        tg_tensor *x = ta_in(g, dt, TG_SHAPE(2, 3), xv, true);
        tg_tensor *W = ta_in(g, dt, TG_SHAPE(3, 2), Wv, true);
        tg_tensor *b = ta_in(g, dt, TG_SHAPE(2), bv, true);
        tg_tensor *y = tg_linear(x, W, b);
        TT_CHECK(y->ndim == 2 && y->shape[0] == 2 && y->shape[1] == 2);
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++) {
                long double s = bv[j];
                for (int k = 0; k < 3; k++)
                    s += (long double)xv[i * 3 + k] * Wv[k * 2 + j];
                TT_NEAR(tg_get(y, i * 2 + j), (double)s, d ? 1e-15 : 1e-6);
            }
        /* L = sum(y): dx = 1 W^T, dW = x^T 1, db = N */
        TT_CHECK(tg_backward(g, tg_sum_all(y)) == TG_OK);
        for (int i = 0; i < 2; i++)
            for (int k = 0; k < 3; k++)
                TT_NEAR(tg_get(x->grad, i * 3 + k), Wv[k * 2] + Wv[k * 2 + 1],
                        1e-6);
        for (int k = 0; k < 3; k++)
            for (int j = 0; j < 2; j++)
                TT_NEAR(tg_get(W->grad, k * 2 + j), xv[k] + xv[3 + k], 1e-6);
        TT_NEAR(tg_get(b->grad, 0), 2, 0);
        TT_NEAR(tg_get(b->grad, 1), 2, 0);
        /* no bias, and a 1-D x gives a 1-D result */
        tg_tensor *v = ta_in(g, dt, TG_SHAPE(3), xv, false);
        tg_tensor *y1 = tg_linear(v, W, NULL);
        TT_CHECK(y1->ndim == 1 && y1->shape[0] == 2);
        TT_NEAR(tg_get(y1, 1), xv[0] * Wv[1] + xv[1] * Wv[3] + xv[2] * Wv[5],
                1e-6);
        tg_graph_free(g);
    }
}

static void linear_batched(void)
{
    /* [2,3,4] @ [4,5] + b equals the matmul + add composite. */
    double xv[24], Wv[20], bv[5];
    ta_fill(xv, 24, 1);
    ta_fill(Wv, 20, 2);
    ta_fill(bv, 5, 3);
    tg_graph *g = tg_graph_new();
    tg_tensor *x = IN64(g, xv, 2, 3, 4);
    tg_tensor *W = IN64(g, Wv, 4, 5);
    tg_tensor *b = IN64(g, bv, 5);
    tg_tensor *y = tg_linear(x, W, b);
    tg_tensor *r = tg_add(tg_matmul(x, W), b);
    TT_CHECK(y->ndim == 3 && y->shape[2] == 5);
    for (int i = 0; i < 30; i++) TT_NEAR(tg_get(y, i), tg_get(r, i), 1e-15);
    tg_tensor *gs[3], *gr[3], *ins[3] = {x, W, b};
    tg_tensor *ly = tg_sum_all(tg_mul(y, y)), *lr = tg_sum_all(tg_mul(r, r));
    TT_CHECK(tg_grad(g, &ly, 1, NULL, ins, 3, false, gs) == TG_OK);
    TT_CHECK(tg_grad(g, &lr, 1, NULL, ins, 3, false, gr) == TG_OK);
    for (int k = 0; k < 3; k++)
        for (int64_t i = 0; i < gs[k]->numel; i++)
            TT_NEAR(tg_get(gs[k], i), tg_get(gr[k], i), 1e-13);
    tg_graph_free(g);
}

/* The shapes the product dispatch treats without gemm (M == 1 and N == 1:
 * gemv; K == 1: the outer-product kernel, written with beta 0 for dW and
 * accumulating onto the bias with beta 1 in the forward pass), with widths
 * that leave vector tails (45 = 2*16 + 13), against long double: y, and
 * the gradients of L = sum(y * c) for a fixed c, dx = c W^T, dW = x^T c,
 * db = sum_i c. */
static void linear_vector_shapes(void)
{
    const int64_t shapes[4][2 + 1] = {{1, 37, 45}, {5, 1, 45}, {3, 37, 1},
                                      {1, 1, 3}}; /* M, K, N */
    for (int d = 0; d < 2; d++)
        for (int s = 0; s < 4; s++) {
            tg_dtype dt = d ? TG_F64 : TG_F32;
            int64_t M = shapes[s][0], K = shapes[s][1], N = shapes[s][2];
            double xv[5 * 37], Wv[37 * 45], bv[45], cv[5 * 45];
            ta_fill(xv, M * K, 11 + s);
            ta_fill(Wv, K * N, 12 + s);
            ta_fill(bv, N, 13 + s);
            ta_fill(cv, M * N, 14 + s);
            tg_graph *g = tg_graph_new();
            tg_tensor *x = ta_in(g, dt, TG_SHAPE(M, K), xv, true);
            tg_tensor *W = ta_in(g, dt, TG_SHAPE(K, N), Wv, true);
            tg_tensor *b = ta_in(g, dt, TG_SHAPE(N), bv, true);
            tg_tensor *c = ta_in(g, dt, TG_SHAPE(M, N), cv, false);
            tg_tensor *y = tg_linear(x, W, b);
            double tol = d ? 1e-13 : 2e-5;
            for (int64_t i = 0; i < M; i++)
                for (int64_t j = 0; j < N; j++) {
                    long double r = bv[j];
                    for (int64_t k = 0; k < K; k++)
                        r += (long double)xv[i * K + k] * Wv[k * N + j];
                    TT_NEAR(tg_get(y, i * N + j), (double)r, tol);
                }
            TT_CHECK(tg_backward(g, tg_sum_all(tg_mul(y, c))) == TG_OK);
            for (int64_t i = 0; i < M; i++)
                for (int64_t k = 0; k < K; k++) {
                    long double r = 0;
                    for (int64_t j = 0; j < N; j++)
                        r += (long double)cv[i * N + j] * Wv[k * N + j];
                    TT_NEAR(tg_get(x->grad, i * K + k), (double)r, tol);
                }
            for (int64_t k = 0; k < K; k++)
                for (int64_t j = 0; j < N; j++) {
                    long double r = 0;
                    for (int64_t i = 0; i < M; i++)
                        r += (long double)xv[i * K + k] * cv[i * N + j];
                    TT_NEAR(tg_get(W->grad, k * N + j), (double)r, tol);
                }
            for (int64_t j = 0; j < N; j++) {
                long double r = 0;
                for (int64_t i = 0; i < M; i++) r += cv[i * N + j];
                TT_NEAR(tg_get(b->grad, j), (double)r, tol);
            }
            tg_graph_free(g);
        }
}

static void linear_errors(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(4, 3), NULL);
    tg_tensor *W = tg_input(g, TG_F32, TG_SHAPE(4, 5), NULL);
    tg_linear(x, W, NULL);
    TT_STREQ(tg_graph_error(g),
             "tg_linear: x [4,3] does not end in W's input size: W is [4,5]; "
             "hint: x is [..., in] and W is [in, out]");
    tg_graph_reset(g);
    x = tg_input(g, TG_F32, TG_SHAPE(4, 3), NULL);
    W = tg_input(g, TG_F32, TG_SHAPE(3, 5), NULL);
    tg_tensor *b = tg_input(g, TG_F32, TG_SHAPE(4), NULL);
    tg_linear(x, W, b);
    TT_STREQ(tg_graph_error(g), "tg_linear: bias [4] does not match W [3,5]; "
                                "hint: b is [out]");
    tg_graph_reset(g);
    x = tg_input(g, TG_F32, TG_SHAPE(4, 3), NULL);
    W = tg_input(g, TG_F32, TG_SHAPE(3), NULL);
    tg_linear(x, W, NULL);
    TT_STREQ(tg_graph_error(g), "tg_linear: W must be 2-D [in, out], got [3]");
    tg_graph_free(g);
}

/* ------------------------------------------------------------- matmul */

/* matmul with 1-D operands (torch.matmul's rules): a's and b's shapes, the
 * transpose flags, the expected result shape. */
typedef struct mm_case {
    int na;
    int64_t sa[4];
    int nb;
    int64_t sb[4];
    bool ta, tb;
    int ny;
    int64_t sy[4];
} mm_case;

static const mm_case mm_cases[] = {
    {1, {5}, 1, {5}, 0, 0, 0, {0}},                 /* dot product: 0-d  */
    {1, {3}, 2, {3, 4}, 0, 0, 1, {4}},              /* row @ matrix      */
    {2, {4, 3}, 1, {3}, 0, 0, 1, {4}},              /* matrix @ column   */
    {1, {3}, 3, {2, 3, 4}, 0, 0, 2, {2, 4}},        /* vector @ batch    */
    {3, {2, 5, 3}, 1, {3}, 0, 0, 2, {2, 5}},        /* batch @ vector    */
    {4, {2, 1, 4, 3}, 1, {3}, 0, 0, 3, {2, 1, 4}},
    {1, {1}, 2, {1, 6}, 0, 0, 1, {6}},              /* K = 1             */
    {1, {3}, 2, {4, 3}, 1, 1, 1, {4}},              /* a's flag ignored  */
    {2, {3, 4}, 1, {3}, 1, 1, 1, {4}},              /* a^T @ v, b's too  */
    {1, {3}, 3, {2, 4, 3}, 0, 1, 2, {2, 4}},        /* v @ b^T batched   */
    {3, {2, 3, 5}, 1, {3}, 1, 0, 2, {2, 5}},        /* a^T batched @ v   */
};

/* Reference: y2[batch..., M, N] = op(A) op(B) in long double with a 1-D a
 * as [1,K] and a 1-D b as [K,1]; y has y2's layout (the dropped dims are
 * 1). Batch index r is unravelled over the broadcast batch shape and
 * ravelled into each operand's own batch dims (extent 1 = broadcast). */
static void mm_ref(const mm_case *c, const double *a, const double *b,
                   long double *y)
{
    bool va = c->na == 1, vb = c->nb == 1;
    bool ta = !va && c->ta, tb = !vb && c->tb;
    int nba = va ? 0 : c->na - 2, nbb = vb ? 0 : c->nb - 2;
    int64_t M = va ? 1 : c->sa[c->na - (ta ? 1 : 2)];
    int64_t K = c->sa[c->na - (ta ? 2 : 1)];
    int64_t N = vb ? 1 : c->sb[c->nb - (tb ? 2 : 1)];
    int nbt = nba > nbb ? nba : nbb;
    int64_t bs[4], batch = 1;
    for (int i = 0; i < nbt; i++) {
        int ia = i - (nbt - nba), ib = i - (nbt - nbb);
        int64_t ea = ia >= 0 ? c->sa[ia] : 1, eb = ib >= 0 ? c->sb[ib] : 1;
        bs[i] = ea > eb ? ea : eb;
        batch *= bs[i];
    }
    for (int64_t r = 0; r < batch; r++) {
        int64_t idx[4], rr = r, oa = 0, ob = 0;
        for (int i = nbt - 1; i >= 0; i--) {
            idx[i] = rr % bs[i];
            rr /= bs[i];
        }
        for (int i = 0; i < nba; i++)
            oa = oa * c->sa[i] + (c->sa[i] == 1 ? 0 : idx[i + nbt - nba]);
        for (int i = 0; i < nbb; i++)
            ob = ob * c->sb[i] + (c->sb[i] == 1 ? 0 : idx[i + nbt - nbb]);
        const double *A = a + oa * M * K, *B = b + ob * K * N;
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) {
                long double s = 0;
                for (int64_t k = 0; k < K; k++)
                    s += (long double)(ta ? A[k * M + i] : A[i * K + k]) *
                         (tb ? B[j * K + k] : B[k * N + j]);
                y[(r * M + i) * N + j] = s;
            }
    }
}

static int64_t mm_numel(int n, const int64_t *s)
{
    int64_t e = 1;
    for (int i = 0; i < n; i++) e *= s[i];
    return e;
}

static void matmul_vector_values(void)
{
    for (size_t ci = 0; ci < sizeof mm_cases / sizeof *mm_cases; ci++) {
        const mm_case *c = &mm_cases[ci];
        double av[64], bv[64];
        long double ref[64];
        int64_t nae = mm_numel(c->na, c->sa), nbe = mm_numel(c->nb, c->sb);
        ta_fill(av, nae, 100 + ci);
        ta_fill(bv, nbe, 200 + ci);
        mm_ref(c, av, bv, ref);
        for (int d = 0; d < 2; d++) {
            tg_dtype dt = d ? TG_F64 : TG_F32;
            tg_graph *g = tg_graph_new();
            tg_tensor *a = ta_in(g, dt, c->na, c->sa, av, true);
            tg_tensor *b = ta_in(g, dt, c->nb, c->sb, bv, true);
            tg_tensor *y = tg_matmul_t(a, b, c->ta, c->tb);
            if (tg_graph_error(g))
                fprintf(stderr, "  case %zu: %s\n", ci, tg_graph_error(g));
            TT_CHECK(tg_graph_status(g) == TG_OK);
            TT_CHECK(y->ndim == c->ny && y->dtype == dt);
            for (int i = 0; i < c->ny && i < y->ndim; i++)
                TT_CHECK(y->shape[i] == c->sy[i]);
            TT_CHECK(y->numel == mm_numel(c->ny, c->sy));
            for (int64_t i = 0; i < y->numel; i++)
                TT_NEAR(tg_get(y, i), (double)ref[i], d ? 1e-15 : 1e-6);
            /* the gradients come back in the operands' own shapes */
            TT_CHECK(tg_backward(g, tg_sum_all(y)) == TG_OK);
            TT_CHECK(a->grad && ta_same_shape(a->grad, a));
            TT_CHECK(b->grad && ta_same_shape(b->grad, b));
            if (c->na == 1 && c->nb == 1) /* d(a.b)/da = b, d/db = a */
                for (int64_t k = 0; k < nae; k++) {
                    TT_NEAR(tg_get(a->grad, k), bv[k], d ? 0 : 1e-7);
                    TT_NEAR(tg_get(b->grad, k), av[k], d ? 0 : 1e-7);
                }
            tg_graph_free(g);
        }
    }
    /* tg_matmul equals tg_matmul_t without flags, and a vector on either
     * side of a matrix equals the [1,K] / [K,1] matrix product */
    double av[12], bv[12];
    ta_fill(av, 12, 7);
    ta_fill(bv, 12, 8);
    tg_graph *g = tg_graph_new();
    tg_tensor *v = ta_in(g, TG_F64, TG_SHAPE(3), av, false);
    tg_tensor *m = ta_in(g, TG_F64, TG_SHAPE(3, 4), bv, false);
    tg_tensor *y1 = tg_matmul(v, m);
    tg_tensor *y2 = tg_matmul(tg_reshape(v, TG_SHAPE(1, 3)), m);
    TT_CHECK(y1->ndim == 1 && y2->ndim == 2 && y1->numel == y2->numel);
    for (int j = 0; j < 4; j++) TT_NEAR(tg_get(y1, j), tg_get(y2, j), 0);
    tg_tensor *w = ta_in(g, TG_F64, TG_SHAPE(4), av, false);
    tg_tensor *y3 = tg_matmul(m, w);
    tg_tensor *y4 = tg_matmul(m, tg_reshape(w, TG_SHAPE(4, 1)));
    TT_CHECK(y3->ndim == 1 && y3->shape[0] == 3 && y4->numel == 3);
    for (int i = 0; i < 3; i++) TT_NEAR(tg_get(y3, i), tg_get(y4, i), 0);
    tg_graph_free(g);
}

static tg_tensor *fn_mm(tg_graph *g, tg_tensor *const *in, int n, void *ud)
{
    (void)g, (void)n;
    const mm_case *c = ud;
    /* tanh makes the second derivative depend on both operands */
    return tg_tanh(tg_matmul_t(in[0], in[1], c->ta, c->tb));
}

static void matmul_vector_grads(void)
{
    for (size_t ci = 0; ci < sizeof mm_cases / sizeof *mm_cases; ci++) {
        const mm_case *c = &mm_cases[ci];
        tg_check_arg a[2] = {ta_arg("a", c->na, c->sa, NULL, false),
                             ta_arg("b", c->nb, c->sb, NULL, false)};
        char label[32];
        snprintf(label, sizeof label, "matmul case %zu", ci);
        ta_check(label, fn_mm, (const P *)(const void *)c, 2, a, true);
    }
}

static void matmul_vector_errors(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *v3 = tg_input(g, TG_F64, TG_SHAPE(3), NULL);
    tg_tensor *v4 = tg_input(g, TG_F64, TG_SHAPE(4), NULL);
    tg_matmul(v3, v4);
    TT_CHECK(tg_graph_status(g) == TG_ERR_SHAPE);
    TT_STREQ(tg_graph_error(g),
             "tg_matmul: inner dimensions differ: [3] @ [4] (3 vs 4)");
    tg_graph_reset(g);
    v3 = tg_input(g, TG_F64, TG_SHAPE(3), NULL);
    tg_tensor *m = tg_input(g, TG_F64, TG_SHAPE(2, 4), NULL);
    tg_matmul(m, v3);
    TT_STREQ(tg_graph_error(g),
             "tg_matmul: inner dimensions differ: [2,4] @ [3] (4 vs 3)");
    tg_graph_reset(g);
    v3 = tg_input(g, TG_F64, TG_SHAPE(3), NULL);
    tg_tensor *p = tg_input(g, TG_F64, TG_SHAPE(5, 2, 4), NULL);
    tg_matmul(v3, p);
    TT_STREQ(tg_graph_error(g),
             "tg_matmul: inner dimensions differ: [3] @ [5,2,4] (3 vs 2)");
    tg_graph_reset(g);
    /* a vector's flag is ignored, so no ^T on it; b's [2,4]^T is [4,2] */
    v3 = tg_input(g, TG_F64, TG_SHAPE(3), NULL);
    m = tg_input(g, TG_F64, TG_SHAPE(2, 4), NULL);
    tg_matmul_t(v3, m, true, true);
    TT_STREQ(tg_graph_error(g),
             "tg_matmul: inner dimensions differ: [3] @ [2,4]^T (3 vs 4)");
    tg_graph_reset(g);
    /* 0-d operands stay an error, on either side */
    tg_tensor *s = tg_input(g, TG_F64, 0, NULL, NULL);
    v3 = tg_input(g, TG_F64, TG_SHAPE(3), NULL);
    tg_tensor *r = tg_matmul(s, v3);
    TT_CHECK(tg_graph_status(g) == TG_ERR_SHAPE);
    TT_STREQ(tg_graph_error(g),
             "tg_matmul: needs at least 1 dim on both sides: [] @ [3]; "
             "hint: scale by a 0-d tensor with mul (*)");
    TT_CHECK(r == tg_add(r, r)); /* the poison tensor */
    tg_graph_reset(g);
    s = tg_input(g, TG_F64, 0, NULL, NULL);
    m = tg_input(g, TG_F64, TG_SHAPE(2, 4), NULL);
    tg_matmul_t(m, s, true, false);
    TT_STREQ(tg_graph_error(g),
             "tg_matmul: needs at least 1 dim on both sides: [2,4] @ []; "
             "hint: scale by a 0-d tensor with mul (*)");
    tg_graph_free(g);
}

/* ------------------------------------------------------------ softmax */

/* Reference softmax / log_softmax of x [R, C] along the last axis. */
static void ref_softmax(const double *x, int R, int C, long double *p,
                        long double *lp)
{
    for (int r = 0; r < R; r++) {
        long double m = x[r * C];
        for (int c = 1; c < C; c++) m = fmaxl(m, x[r * C + c]);
        long double s = 0;
        for (int c = 0; c < C; c++) s += expl(x[r * C + c] - m);
        for (int c = 0; c < C; c++) {
            lp[r * C + c] = x[r * C + c] - m - logl(s);
            p[r * C + c] = expl(lp[r * C + c]);
        }
    }
}

static void softmax_values(void)
{
    enum { R = 5, C = 37 }; /* odd width: vector body and scalar tail */
    double xv[R * C];
    long double p[R * C], lp[R * C];
    ta_fill(xv, R * C, 11);
    for (int i = 0; i < R * C; i++) xv[i] *= 6;
    ref_softmax(xv, R, C, p, lp);
    for (int d = 0; d < 2; d++) {
        tg_dtype dt = d ? TG_F64 : TG_F32;
        double tol = d ? 1e-14 : 3e-6;
        tg_graph *g = tg_graph_new();
        tg_tensor *x = ta_in(g, dt, TG_SHAPE(R, C), xv, false);
        tg_tensor *y = tg_softmax(x, -1), *ly = tg_log_softmax(x, 1);
        for (int i = 0; i < R * C; i++) {
            TT_NEAR(tg_get(y, i), (double)p[i], tol);
            TT_NEAR(tg_get(ly, i), (double)lp[i], tol);
        }
        /* axis 0 of the transpose is the same numbers */
        double xt[C * R];
        for (int r = 0; r < R; r++)
            for (int c = 0; c < C; c++) xt[c * R + r] = xv[r * C + c];
        tg_tensor *t = ta_in(g, dt, TG_SHAPE(C, R), xt, false);
        tg_tensor *yt = tg_softmax(t, 0), *lyt = tg_log_softmax(t, -2);
        for (int r = 0; r < R; r++)
            for (int c = 0; c < C; c++) {
                TT_NEAR(tg_get(yt, c * R + r), (double)p[r * C + c], tol);
                TT_NEAR(tg_get(lyt, c * R + r), (double)lp[r * C + c], tol);
            }
        TT_CHECK(tg_graph_error(g) == NULL);
        tg_graph_free(g);
    }
}

static void softmax_stable(void)
{
    /* exp(1000) overflows; the max shift keeps everything finite. */
    double xv[3] = {1000, 1001, 999}, nv[3] = {-1000, -1001, -999};
    long double s = 1 + expl(1) + expl(-1);
    tg_graph *g = tg_graph_new();
    for (int d = 0; d < 2; d++) {
        tg_dtype dt = d ? TG_F64 : TG_F32;
        tg_tensor *y = tg_softmax(ta_in(g, dt, TG_SHAPE(3), xv, false), 0);
        tg_tensor *l = tg_log_softmax(ta_in(g, dt, TG_SHAPE(3), nv, false), 0);
        TT_NEAR(tg_get(y, 1), (double)(expl(1) / s), 1e-6);
        TT_NEAR(tg_get(l, 1), (double)(-1 - logl(s)), 1e-6);
        tg_tensor *lse = tg_logsumexp(ta_in(g, dt, TG_SHAPE(3), xv, false),
                                      0, NULL, false);
        TT_NEAR(tg_item(lse), (double)(1000 + logl(s)), 1e-6);
    }
    TT_CHECK(tg_graph_error(g) == NULL);
    tg_graph_free(g);
}

/* log_softmax = x - logsumexp(x) and softmax = mul_exp(1, log_softmax),
 * values and gradients (fused VJPs against composites). */
static void softmax_composites(void)
{
    double xv[24], wv[24];
    ta_fill(xv, 24, 5);
    ta_fill(wv, 24, 6);
    tg_graph *g = tg_graph_new();
    tg_tensor *x = IN64(g, xv, 2, 3, 4);
    tg_tensor *w = INC(g, TG_F64, wv, 2, 3, 4);
    int64_t ax = 1;
    tg_tensor *fused = tg_log_softmax(x, 1);
    tg_tensor *comp = tg_sub(x, tg_logsumexp(x, 1, &ax, true));
    tg_tensor *sf = tg_softmax(x, 1);
    tg_tensor *sc = tg_mul_exp(tg_scalar(g, TG_F64, 1), comp);
    for (int i = 0; i < 24; i++) {
        TT_NEAR(tg_get(fused, i), tg_get(comp, i), 1e-15);
        TT_NEAR(tg_get(sf, i), tg_get(sc, i), 1e-15);
    }
    tg_tensor *outs[4] = {tg_sum_all(tg_mul(fused, w)),
                          tg_sum_all(tg_mul(comp, w)),
                          tg_sum_all(tg_mul(sf, w)), tg_sum_all(tg_mul(sc, w))};
    tg_tensor *gr[4];
    for (int k = 0; k < 4; k++)
        TT_CHECK(tg_grad(g, &outs[k], 1, NULL, &x, 1, false, &gr[k]) == TG_OK);
    for (int i = 0; i < 24; i++) {
        TT_NEAR(tg_get(gr[0], i), tg_get(gr[1], i), 1e-14);
        TT_NEAR(tg_get(gr[2], i), tg_get(gr[3], i), 1e-14);
    }
    tg_graph_free(g);
}

static void softmax_errors(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(3, 4), NULL);
    tg_softmax(x, 2);
    TT_STREQ(tg_graph_error(g), "tg_softmax: axis 2 out of range for shape "
                                "[3,4]; hint: axes lie in [-2, 2)");
    tg_graph_reset(g);
    x = tg_input(g, TG_F64, TG_SHAPE(3, 4), NULL);
    tg_tensor *y = tg_input(g, TG_F64, TG_SHAPE(4, 3), NULL);
    tg_softmax_backward(x, y, -1);
    TT_STREQ(tg_graph_error(g),
             "tg_softmax_backward: gradient [3,4] and output [4,3] differ in "
             "shape; hint: both have the forward output's shape");
    tg_graph_free(g);
}

/* ------------------------------------------------------ cross entropy */

static void cross_entropy_values(void)
{
    enum { N = 6, C = 11 };
    double xv[N * C], lv[N] = {0, 10, 3, 3, 7, 1};
    long double p[N * C], lp[N * C];
    ta_fill(xv, N * C, 21);
    for (int i = 0; i < N * C; i++) xv[i] *= 5;
    ref_softmax(xv, N, C, p, lp);
    long double want = 0;
    for (int i = 0; i < N; i++) want -= lp[i * C + (int)lv[i]];
    want /= N;
    for (int d = 0; d < 2; d++) {
        tg_dtype dt = d ? TG_F64 : TG_F32;
        double tol = d ? 1e-14 : 2e-6;
        tg_graph *g = tg_graph_new();
        tg_tensor *x = ta_in(g, dt, TG_SHAPE(N, C), xv, true);
        /* labels may be stored in the other dtype */
        tg_tensor *l = INC(g, d ? TG_F32 : TG_F64, lv, N);
        tg_tensor *loss = tg_cross_entropy(x, l);
        TT_CHECK(loss->ndim == 0);
        TT_NEAR(tg_item(loss), (double)want, tol);
        TT_CHECK(tg_backward(g, tg_mul_scalar(loss, 3)) == TG_OK);
        for (int i = 0; i < N; i++)
            for (int c = 0; c < C; c++) {
                long double gw = (p[i * C + c] - (c == (int)lv[i])) * 3 / N;
                TT_NEAR(tg_get(x->grad, i * C + c), (double)gw, tol);
            }
        /* the composite nll(log_softmax) agrees */
        tg_tensor *comp = tg_nll(tg_log_softmax(x, 1), l);
        TT_NEAR(tg_item(comp), (double)want, tol);
        TT_CHECK(tg_graph_error(g) == NULL);
        tg_graph_free(g);
    }
}

static void cross_entropy_stable(void)
{
    /* logits far apart: log-softmax stays finite and the loss exact */
    double xv[4] = {500, -500, 0, 1e4}, lv[2] = {1, 0};
    tg_graph *g = tg_graph_new();
    tg_tensor *x = IN64(g, xv, 2, 2);
    tg_tensor *l = INC(g, TG_F64, lv, 2);
    tg_tensor *loss = tg_cross_entropy(x, l);
    /* row 0: lse = 500, picks -500 -> 1000; row 1: lse = 1e4, picks 0 */
    TT_NEAR(tg_item(loss), (1000 + 1e4) / 2, 1e-12);
    TT_CHECK(tg_backward(g, loss) == TG_OK);
    TT_NEAR(tg_get(x->grad, 0), 0.5, 1e-15);
    TT_NEAR(tg_get(x->grad, 1), -0.5, 1e-15);
    TT_NEAR(tg_get(x->grad, 2), -0.5, 1e-15);
    TT_NEAR(tg_get(x->grad, 3), 0.5, 1e-15);
    tg_graph_free(g);
}

static void cross_entropy_errors(void)
{
    tg_graph *g = tg_graph_new();
    double bad1[3] = {0, 7, 1}, bad2[3] = {0.5, 1, 1}, bad3[3] = {0, -1, 2};
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(3, 4), NULL);
    tg_cross_entropy(x, INC(g, TG_F32, bad1, 3));
    TT_STREQ(tg_graph_error(g),
             "tg_cross_entropy: labels[1] = 7 is out of range for 4 classes; "
             "hint: it must lie in [0, 4)");
    tg_graph_reset(g);
    x = tg_input(g, TG_F64, TG_SHAPE(3, 4), NULL);
    tg_cross_entropy(x, INC(g, TG_F64, bad2, 3));
    TT_STREQ(tg_graph_error(g),
             "tg_cross_entropy: labels[0] = 0.5 is not an integer; hint: "
             "indices are i64 (or whole numbers in f32/f64)");
    tg_graph_reset(g);
    x = tg_input(g, TG_F64, TG_SHAPE(3, 4), NULL);
    tg_nll(x, INC(g, TG_F64, bad3, 3));
    TT_STREQ(tg_graph_error(g),
             "tg_nll: labels[1] = -1 is out of range for 4 classes; hint: it "
             "must lie in [0, 4)");
    tg_graph_reset(g);
    x = tg_input(g, TG_F64, TG_SHAPE(3, 4), NULL);
    tg_cross_entropy(x, INC(g, TG_F64, bad1, 2));
    TT_STREQ(tg_graph_error(g),
             "tg_cross_entropy: labels [2] do not match logits [3,4]; hint: "
             "labels are [N] class indices");
    tg_graph_reset(g);
    /* [C] logits take a 0-d label; a float [3] is read as probabilities */
    x = tg_input(g, TG_F64, TG_SHAPE(12), NULL);
    tg_cross_entropy(x, INC(g, TG_F64, bad1, 3));
    TT_STREQ(tg_graph_error(g),
             "tg_cross_entropy: probability targets [3] do not match logits "
             "[12]; hint: logits [N, C, d1, ..., dk] takes [N, d1, ..., dk] "
             "class indices or probabilities of its own shape; [C] takes a "
             "0-d index");
    tg_graph_free(g);
}

/* ------------------------------------------------------- other losses */

static void loss_values(void)
{
    double av[6] = {1, -2, 0.5, 3, 0.25, -1}, bv[3] = {0.5, 1, -1};
    double tv[6] = {1, 0, 0.3, 1, 0, 0.7};
    tg_graph *g = tg_graph_new();
    for (int d = 0; d < 2; d++) {
        tg_dtype dt = d ? TG_F64 : TG_F32;
        double tol = d ? 1e-15 : 1e-6;
        tg_tensor *a = ta_in(g, dt, TG_SHAPE(2, 3), av, false);
        tg_tensor *b = ta_in(g, dt, TG_SHAPE(3), bv, false);
        long double s = 0;
        for (int i = 0; i < 6; i++) {
            long double e = av[i] - bv[i % 3];
            s += e * e;
        }
        TT_NEAR(tg_item(tg_mse(a, b)), (double)(s / 6), tol);
        tg_tensor *t = ta_in(g, dt, TG_SHAPE(2, 3), tv, false);
        long double bce = 0;
        for (int i = 0; i < 6; i++) {
            long double x = av[i], sg = 1 / (1 + expl(-x));
            bce -= tv[i] * logl(sg) + (1 - tv[i]) * logl(1 - sg);
        }
        TT_NEAR(tg_item(tg_bce_with_logits(a, t)), (double)(bce / 6), tol);
        tg_tensor *ws[2] = {a, b};
        long double l2 = 0;
        for (int i = 0; i < 6; i++) l2 += (long double)av[i] * av[i];
        for (int i = 0; i < 3; i++) l2 += (long double)bv[i] * bv[i];
        TT_NEAR(tg_item(tg_l2_penalty(ws, 2, 0.01)), (double)(0.005 * l2), tol);
    }
    /* bce is finite far out on both sides */
    double big[2] = {800, -800}, tb[2] = {0, 1};
    tg_tensor *x = ta_in(g, TG_F64, TG_SHAPE(2), big, false);
    tg_tensor *t = ta_in(g, TG_F64, TG_SHAPE(2), tb, false);
    TT_NEAR(tg_item(tg_bce_with_logits(x, t)), 800, 1e-15);
    /* l2 gradient is lambda w (weight_decay semantics) */
    tg_tensor *w = IN64(g, av, 6);
    TT_CHECK(tg_backward(g, tg_l2_penalty(&w, 1, 0.1)) == TG_OK);
    for (int i = 0; i < 6; i++) TT_NEAR(tg_get(w->grad, i), 0.1 * av[i], 1e-16);
    TT_CHECK(tg_graph_error(g) == NULL);
    tg_graph_reset(g);
    tg_bce_with_logits(tg_input(g, TG_F64, TG_SHAPE(2, 3), NULL),
                       tg_input(g, TG_F64, TG_SHAPE(3), NULL));
    TT_STREQ(tg_graph_error(g),
             "tg_bce_with_logits: logits [2,3] and targets [3] differ in "
             "shape; hint: one target per logit");
    tg_graph_reset(g);
    tg_mse(tg_input(g, TG_F64, TG_SHAPE(2, 3), NULL),
           tg_input(g, TG_F64, TG_SHAPE(2), NULL));
    TT_CONTAINS(tg_graph_error(g), "tg_mse: shapes [2,3] and [2] do not broadcast");
    tg_graph_free(g);
}

/* --------------------------------------------------------- reductions */

static void mean_values(void)
{
    double xv[24];
    ta_fill(xv, 24, 31);
    tg_graph *g = tg_graph_new();
    for (int d = 0; d < 2; d++) {
        tg_dtype dt = d ? TG_F64 : TG_F32;
        double tol = d ? 1e-15 : 1e-6;
        tg_tensor *x = ta_in(g, dt, TG_SHAPE(2, 3, 4), xv, true);
        tg_tensor *m = tg_mean(x, 2, (int64_t[]){0, -1}, false);
        TT_CHECK(m->ndim == 1 && m->shape[0] == 3);
        for (int j = 0; j < 3; j++) {
            long double s = 0;
            for (int i = 0; i < 2; i++)
                for (int k = 0; k < 4; k++) s += xv[i * 12 + j * 4 + k];
            TT_NEAR(tg_get(m, j), (double)(s / 8), tol);
        }
        tg_tensor *mk = tg_mean(x, 1, (int64_t[]){1}, true);
        TT_CHECK(mk->ndim == 3 && mk->shape[1] == 1 && mk->shape[2] == 4);
        long double all = 0;
        for (int i = 0; i < 24; i++) all += xv[i];
        TT_NEAR(tg_item(tg_mean_all(x)), (double)(all / 24), tol);
        TT_CHECK(tg_backward(g, tg_sum_all(m)) == TG_OK);
        for (int i = 0; i < 24; i++) TT_NEAR(tg_get(x->grad, i), 0.125, 0);
    }
    tg_graph_reset(g);
    tg_mean(tg_input(g, TG_F64, TG_SHAPE(2, 3), NULL), 2, (int64_t[]){1, -1},
            false);
    TT_STREQ(tg_graph_error(g), "tg_mean: axis -1 given twice for shape [2,3]");
    tg_graph_free(g);
}

/* max/min: ties split the gradient evenly (amax semantics). */
static void extremum_ties(void)
{
    double xv[8] = {1, 3, 3, 2, /* row 1 */ -1, -1, -1, -1};
    tg_graph *g = tg_graph_new();
    for (int d = 0; d < 2; d++) {
        tg_dtype dt = d ? TG_F64 : TG_F32;
        tg_tensor *x = ta_in(g, dt, TG_SHAPE(2, 4), xv, true);
        tg_tensor *m = tg_max(x, 1, (int64_t[]){1}, false);
        TT_NEAR(tg_get(m, 0), 3, 0);
        TT_NEAR(tg_get(m, 1), -1, 0);
        TT_CHECK(tg_backward(g, tg_sum_all(m)) == TG_OK);
        double want[8] = {0, 0.5, 0.5, 0, 0.25, 0.25, 0.25, 0.25};
        for (int i = 0; i < 8; i++) TT_NEAR(tg_get(x->grad, i), want[i], 0);
        tg_tensor *x2 = ta_in(g, dt, TG_SHAPE(2, 4), xv, true);
        tg_tensor *mn = tg_min(x2, 0, NULL, true);
        TT_CHECK(mn->ndim == 2 && mn->shape[0] == 1 && mn->shape[1] == 1);
        TT_NEAR(tg_item(mn), -1, 0);
        TT_CHECK(tg_backward(g, tg_mul_scalar(tg_sum_all(mn), 2)) == TG_OK);
        for (int i = 0; i < 8; i++)
            TT_NEAR(tg_get(x2->grad, i), i >= 4 ? 0.5 : 0, 0);
        /* over axis 0: column-wise ties */
        tg_tensor *c = tg_max(x, 1, (int64_t[]){0}, false);
        for (int j = 0; j < 4; j++) TT_NEAR(tg_get(c, j), xv[j], 0);
    }
    /* NaN propagates */
    double nv[3] = {1, NAN, 2};
    tg_tensor *y = ta_in(g, TG_F64, TG_SHAPE(3), nv, false);
    TT_CHECK(isnan(tg_item(tg_max(y, 0, NULL, false))));
    TT_CHECK(isnan(tg_item(tg_min(y, 0, NULL, false))));
    TT_CHECK(tg_graph_error(g) == NULL);
    /* empty groups have no max */
    tg_max(tg_input(g, TG_F64, TG_SHAPE(0, 3), NULL), 1, (int64_t[]){0}, false);
    TT_STREQ(tg_graph_error(g), "tg_max: cannot reduce empty groups of [0,3]; "
                                "hint: max and min have no value for zero "
                                "elements");
    tg_graph_reset(g);
    /* ... but an empty result is fine */
    tg_tensor *e = tg_min(tg_input(g, TG_F64, TG_SHAPE(0, 3), NULL), 1,
                          (int64_t[]){1}, false);
    TT_CHECK(e->ndim == 1 && e->shape[0] == 0 && tg_graph_error(g) == NULL);
    tg_graph_free(g);
}

static void var_lse_values(void)
{
    double xv[12];
    ta_fill(xv, 12, 41);
    tg_graph *g = tg_graph_new();
    for (int d = 0; d < 2; d++) {
        tg_dtype dt = d ? TG_F64 : TG_F32;
        double tol = d ? 1e-14 : 2e-6;
        tg_tensor *x = ta_in(g, dt, TG_SHAPE(3, 4), xv, false);
        tg_tensor *vu = tg_var(x, 1, (int64_t[]){1}, true, false);
        tg_tensor *vb = tg_var(x, 1, (int64_t[]){1}, false, true);
        tg_tensor *ls = tg_logsumexp(x, 1, (int64_t[]){0}, false);
        for (int r = 0; r < 3; r++) {
            long double m = 0, s = 0;
            for (int k = 0; k < 4; k++) m += xv[r * 4 + k];
            m /= 4;
            for (int k = 0; k < 4; k++)
                s += (xv[r * 4 + k] - m) * (xv[r * 4 + k] - m);
            TT_NEAR(tg_get(vu, r), (double)(s / 3), tol);
            TT_NEAR(tg_get(vb, r), (double)(s / 4), tol);
        }
        for (int c = 0; c < 4; c++) {
            long double s = 0;
            for (int r = 0; r < 3; r++) s += expl(xv[r * 4 + c]);
            TT_NEAR(tg_get(ls, c), (double)logl(s), tol);
        }
    }
    /* logsumexp of all -Inf is -Inf; a +Inf gives +Inf */
    double ninf[2] = {-INFINITY, -INFINITY}, pinf[2] = {1, INFINITY};
    TT_CHECK(tg_item(tg_logsumexp(ta_in(g, TG_F64, TG_SHAPE(2), ninf, false),
                                  0, NULL, false)) == -INFINITY);
    TT_CHECK(tg_item(tg_logsumexp(ta_in(g, TG_F64, TG_SHAPE(2), pinf, false),
                                  0, NULL, false)) == INFINITY);
    /* unbiased variance of one element is 0/0 */
    TT_CHECK(isnan(tg_item(tg_var(ta_in(g, TG_F64, TG_SHAPE(1), xv, false), 0,
                                  NULL, true, false))));
    tg_graph_reset(g);
    tg_var(tg_input(g, TG_F64, TG_SHAPE(2, 3), NULL), 1, (int64_t[]){3}, true,
           false);
    TT_STREQ(tg_graph_error(g), "tg_var: axis 3 out of range for shape [2,3]; "
                                "hint: axes lie in [-2, 2)");
    tg_graph_free(g);
}

/* ---------------------------------------------------------- layer norm */

static void layer_norm_values(void)
{
    enum { R = 4, D = 19 };
    double xv[R * D], wv[D], bv[D], gv[R * D];
    ta_fill(xv, R * D, 51);
    ta_fill(wv, D, 52);
    ta_fill(bv, D, 53);
    ta_fill(gv, R * D, 54);
    for (int i = 0; i < R * D; i++) xv[i] = 3 * xv[i] + 2;
    const double eps = 1e-5;
    long double xh[R * D], rs[R], wantdx[R * D];
    for (int r = 0; r < R; r++) {
        long double m = 0, v = 0;
        for (int k = 0; k < D; k++) m += xv[r * D + k];
        m /= D;
        for (int k = 0; k < D; k++)
            v += (xv[r * D + k] - m) * (xv[r * D + k] - m);
        v /= D;
        rs[r] = 1 / sqrtl(v + eps);
        for (int k = 0; k < D; k++) xh[r * D + k] = (xv[r * D + k] - m) * rs[r];
        /* dx = r (u - mean u - xh mean(u xh)), u = g w */
        long double mu = 0, mux = 0;
        for (int k = 0; k < D; k++) {
            long double u = gv[r * D + k] * wv[k];
            mu += u;
            mux += u * xh[r * D + k];
        }
        mu /= D;
        mux /= D;
        for (int k = 0; k < D; k++)
            wantdx[r * D + k] =
                rs[r] * (gv[r * D + k] * wv[k] - mu - xh[r * D + k] * mux);
    }
    for (int d = 0; d < 2; d++) {
        tg_dtype dt = d ? TG_F64 : TG_F32;
        double tol = d ? 1e-13 : 2e-5;
        tg_graph *g = tg_graph_new();
        tg_tensor *x = ta_in(g, dt, TG_SHAPE(R, D), xv, true);
        tg_tensor *w = ta_in(g, dt, TG_SHAPE(D), wv, true);
        tg_tensor *b = ta_in(g, dt, TG_SHAPE(D), bv, true);
        tg_tensor *y = tg_layer_norm(x, w, b, eps);
        for (int r = 0; r < R; r++)
            for (int k = 0; k < D; k++)
                TT_NEAR(tg_get(y, r * D + k),
                        (double)(xh[r * D + k] * wv[k] + bv[k]), tol);
        tg_tensor *seed = ta_in(g, dt, TG_SHAPE(R, D), gv, false);
        TT_CHECK(tg_backward_seed(g, y, seed) == TG_OK);
        for (int i = 0; i < R * D; i++)
            TT_NEAR(tg_get(x->grad, i), (double)wantdx[i], tol * 10);
        for (int k = 0; k < D; k++) {
            long double dw = 0, db = 0;
            for (int r = 0; r < R; r++) {
                dw += gv[r * D + k] * xh[r * D + k];
                db += gv[r * D + k];
            }
            TT_NEAR(tg_get(w->grad, k), (double)dw, tol * 10);
            TT_NEAR(tg_get(b->grad, k), (double)db, tol * 10);
        }
        /* no affine: the normalised rows have mean 0, biased var 1 - eps */
        tg_tensor *z = tg_layer_norm(x, NULL, NULL, 0);
        for (int r = 0; r < R; r++) {
            long double m = 0, v = 0;
            for (int k = 0; k < D; k++) m += tg_get(z, r * D + k);
            for (int k = 0; k < D; k++)
                v += (long double)tg_get(z, r * D + k) * tg_get(z, r * D + k);
            TT_NEAR((double)(m / D), 0, tol);
            TT_NEAR((double)(v / D), 1, tol * 10);
        }
        TT_CHECK(tg_graph_error(g) == NULL);
        tg_graph_free(g);
    }
}

/* The fused one-pass backward (unrecorded passes) against the op path
 * (layer_norm_backward, g * layer_norm(x), g) that recorded passes use,
 * with and without affine, small and threaded sizes, f32 and f64. */
static void layer_norm_fused_backward(void)
{
    const int64_t shapes[2][2] = {{5, 7}, {300, 128}}; /* 2nd: > TG_PAR_MIN */
    for (int d = 0; d < 2; d++)
        for (int s = 0; s < 2; s++)
            for (int aff = 0; aff < 4; aff++) {
                tg_dtype dt = d ? TG_F64 : TG_F32;
                int64_t M = shapes[s][0], D = shapes[s][1];
                double *xv = malloc(sizeof(double) * (size_t)(M * D));
                double *gv = malloc(sizeof(double) * (size_t)(M * D));
                double wv[128], bv[128];
                ta_fill(xv, M * D, 81 + s);
                ta_fill(gv, M * D, 82 + s);
                ta_fill(wv, D, 83);
                ta_fill(bv, D, 84);
                tg_graph *g = tg_graph_new();
                tg_tensor *x = ta_in(g, dt, TG_SHAPE(M, D), xv, true);
                tg_tensor *w = (aff & 1) ? ta_in(g, dt, TG_SHAPE(D), wv, true) : NULL;
                tg_tensor *b = (aff & 2) ? ta_in(g, dt, TG_SHAPE(D), bv, true) : NULL;
                tg_tensor *seed = ta_in(g, dt, TG_SHAPE(M, D), gv, false);
                tg_tensor *y = tg_layer_norm(x, w, b, 1e-5);
                tg_tensor *ins[3] = {x, w ? w : b, b};
                int ni = 1 + (w != NULL) + (b != NULL);
                if (!w) ins[1] = b;
                tg_tensor *fast[3], *slow[3];
                TT_CHECK(tg_grad(g, &y, 1, &seed, ins, ni, false, fast) == TG_OK);
                TT_CHECK(tg_grad(g, &y, 1, &seed, ins, ni, true, slow) == TG_OK);
                double tol = d ? 1e-12 : 2e-5;
                for (int k = 0; k < ni; k++) {
                    TT_CHECK(ta_same_shape(fast[k], slow[k]));
                    double worst = 0;
                    for (int64_t i = 0; i < fast[k]->numel; i++) {
                        double a = tg_get(fast[k], i), c = tg_get(slow[k], i);
                        double e = fabs(a - c) / (1 + fabs(c));
                        if (!(e <= worst)) worst = e;
                    }
                    TT_NEAR(worst, 0, tol);
                }
                tg_graph_free(g);
                free(xv);
                free(gv);
            }
}

/* Over two trailing dims equals over their flattening. */
static void layer_norm_two_axes(void)
{
    double xv[24], wv[12];
    ta_fill(xv, 24, 61);
    ta_fill(wv, 12, 62);
    tg_graph *g = tg_graph_new();
    tg_tensor *x = IN64(g, xv, 2, 3, 4), *w = IN64(g, wv, 3, 4);
    tg_tensor *y = tg_layer_norm(x, w, NULL, 1e-5);
    tg_tensor *x2 = IN64(g, xv, 2, 12), *w2 = IN64(g, wv, 12);
    tg_tensor *y2 = tg_layer_norm(x2, w2, NULL, 1e-5);
    for (int i = 0; i < 24; i++) TT_NEAR(tg_get(y, i), tg_get(y2, i), 1e-15);
    tg_tensor *y3 = tg_layer_norm_n(x, 2, NULL, NULL, 1e-5);
    tg_tensor *y4 = tg_layer_norm_n(x2, 1, NULL, NULL, 1e-5);
    for (int i = 0; i < 24; i++) TT_NEAR(tg_get(y3, i), tg_get(y4, i), 1e-15);
    TT_CHECK(tg_graph_error(g) == NULL);
    tg_graph_free(g);
}

static void layer_norm_errors(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(3, 5), NULL);
    tg_tensor *w = tg_input(g, TG_F32, TG_SHAPE(4), NULL);
    tg_layer_norm(x, w, NULL, 1e-5);
    TT_STREQ(tg_graph_error(g), "tg_layer_norm: weight [4] does not match x "
                                "[3,5]; hint: it must be [5]");
    tg_graph_reset(g);
    x = tg_input(g, TG_F32, TG_SHAPE(3, 5), NULL);
    tg_layer_norm_n(x, 3, NULL, NULL, 1e-5);
    TT_STREQ(tg_graph_error(g), "tg_layer_norm: cannot normalise the last 3 "
                                "dims of [3,5]; hint: 1 <= naxes <= ndim");
    tg_graph_reset(g);
    x = tg_input(g, TG_F32, TG_SHAPE(3, 5), NULL);
    tg_layer_norm(x, NULL, NULL, -1);
    TT_STREQ(tg_graph_error(g), "tg_layer_norm: eps must be >= 0, got -1; "
                                "hint: PyTorch uses 1e-5");
    tg_graph_free(g);
}

/* ---------------------------------------------------------- batch norm */

/* Two training steps: running stats by hand (momentum 0.1, unbiased
 * variance), then eval with them. */
static void batch_norm_running(void)
{
    double x1[8] = {1, 2, 3, 4, 5, 6, 7, 8};    /* [4,2] */
    double x2[8] = {0, -2, 2, 2, 4, 6, -6, 10}; /* [4,2] */
    for (int d = 0; d < 2; d++) {
        tg_dtype dt = d ? TG_F64 : TG_F32;
        double tol = d ? 1e-15 : 1e-6;
        tg_graph *g = tg_graph_new();
        tg_tensor *rm = tg_param(g, dt, TG_SHAPE(2), "running_mean");
        tg_tensor *rv = tg_param(g, dt, TG_SHAPE(2), "running_var");
        tg_set_requires_grad(rm, false);
        tg_set_requires_grad(rv, false);
        for (int c = 0; c < 2; c++) { /* PyTorch's initial values */
            if (d) tg_f64(rv)[c] = 1;
            else tg_f32(rv)[c] = 1;
        }
        long double m[2] = {0, 0}, v[2] = {1, 1};
        const double *xs[2] = {x1, x2};
        for (int step = 0; step < 2; step++) {
            tg_tensor *x = ta_in(g, dt, TG_SHAPE(4, 2), xs[step], true);
            tg_tensor *y = tg_batch_norm(x, NULL, NULL, rm, rv, 0.1, 1e-5);
            for (int c = 0; c < 2; c++) {
                long double mu = 0, ss = 0;
                for (int i = 0; i < 4; i++) mu += xs[step][i * 2 + c];
                mu /= 4;
                for (int i = 0; i < 4; i++)
                    ss += (xs[step][i * 2 + c] - mu) * (xs[step][i * 2 + c] - mu);
                for (int i = 0; i < 4; i++)
                    TT_NEAR(tg_get(y, i * 2 + c),
                            (double)((xs[step][i * 2 + c] - mu) /
                                     sqrtl(ss / 4 + 1e-5L)),
                            tol * 10);
                m[c] = 0.9L * m[c] + 0.1L * mu;
                v[c] = 0.9L * v[c] + 0.1L * ss / 3;
                TT_NEAR(tg_get(rm, c), (double)m[c], tol);
                TT_NEAR(tg_get(rv, c), (double)v[c], tol);
            }
            TT_CHECK(tg_backward(g, tg_sum_all(tg_mul(y, y))) == TG_OK);
            tg_graph_reset(g);
        }
        /* eval: (x - m) / sqrt(v + eps) * w + b with the stored buffers */
        double wv[2] = {2, -1}, bv[2] = {0.5, 0.25};
        tg_set_training(g, false);
        tg_tensor *x = ta_in(g, dt, TG_SHAPE(4, 2), x1, true);
        tg_tensor *w = ta_in(g, dt, TG_SHAPE(2), wv, true);
        tg_tensor *b = ta_in(g, dt, TG_SHAPE(2), bv, true);
        tg_tensor *y = tg_batch_norm(x, w, b, rm, rv, 0.1, 1e-5);
        for (int i = 0; i < 4; i++)
            for (int c = 0; c < 2; c++)
                TT_NEAR(tg_get(y, i * 2 + c),
                        (double)((x1[i * 2 + c] - m[c]) / sqrtl(v[c] + 1e-5L) *
                                     wv[c] +
                                 bv[c]),
                        tol * 10);
        TT_CHECK(tg_backward(g, tg_sum_all(y)) == TG_OK);
        for (int c = 0; c < 2; c++)
            TT_NEAR(tg_get(x->grad, c), (double)(wv[c] / sqrtl(v[c] + 1e-5L)),
                    tol * 10);
        /* eval leaves the buffers alone */
        TT_NEAR(tg_get(rm, 0), (double)m[0], tol);
        tg_graph_free(g);
    }
}

/* The normalizations recorded through tg_apply, whose optional-input
 * flags stay zero: the inputs after x are w, b (and the running buffers),
 * as the C functions take them, and layer_norm's naxes defaults to w's
 * rank. Outputs, gradients and buffers must equal the C functions' bit
 * for bit. */
static bool same_bits(const tg_tensor *a, const tg_tensor *b)
{
    return a && b && a->dtype == b->dtype && a->numel == b->numel &&
           !memcmp(a->data, b->data,
                   (size_t)a->numel * (a->dtype == TG_F32 ? 4 : 8));
}

/* The two recordings y[0] (tg_apply) and y[1] (the C function) of one
 * graph: equal outputs, and equal gradients after a backward pass of
 * sum(y x) through each; b may be NULL. */
static void same_recordings(tg_graph *g, tg_tensor *const *y,
                            tg_tensor *const *x, tg_tensor *const *w,
                            tg_tensor *const *b)
{
    TT_CHECK(tg_graph_error(g) == NULL);
    TT_CHECK(same_bits(y[0], y[1]));
    for (int k = 0; k < 2; k++)
        TT_CHECK(tg_backward(g, tg_sum_all(tg_mul(y[k], x[k]))) == TG_OK);
    TT_CHECK(same_bits(x[0]->grad, x[1]->grad));
    TT_CHECK(same_bits(w[0]->grad, w[1]->grad));
    if (b) TT_CHECK(same_bits(b[0]->grad, b[1]->grad));
}

static void norm_through_apply(void)
{
    double xv[24], wv[12], bv[12], rmv[3] = {0.5, -1, 2}, rvv[3] = {1, 2, 3};
    ta_fill(xv, 24, 61);
    ta_fill(wv, 12, 62);
    ta_fill(bv, 12, 63);
    const tg_op *ln = tg_op_find("layer_norm"), *bn = tg_op_find("batch_norm");
    TT_CHECK(ln && bn);
    for (int d = 0; d < 2; d++) {
        tg_dtype dt = d ? TG_F64 : TG_F32;
        /* layer norm over the last axis, then the last two (naxes from w) */
        for (int c = 0; c < 3; c++) {
            tg_graph *g = tg_graph_new();
            int64_t xs[3] = {2, 3, 4}, ps[2] = {3, 4};
            int xn = c == 2 ? 3 : 2, pn = c == 2 ? 2 : 1;
            if (c < 2) xs[0] = 6, xs[1] = 4, ps[0] = 4;
            tg_tensor *x[2], *w[2], *b[2], *y[2];
            for (int k = 0; k < 2; k++) {
                x[k] = ta_in(g, dt, xn, xs, xv, true);
                w[k] = ta_in(g, dt, pn, ps, wv, true);
                b[k] = ta_in(g, dt, pn, ps, bv, true);
            }
            bool hb = c != 1; /* case 1: w only */
            tg_tensor *in[3] = {x[0], w[0], b[0]};
            y[0] = tg_apply(ln, in, hb ? 3 : 2, NULL);
            y[1] = tg_layer_norm(x[1], w[1], hb ? b[1] : NULL, 1e-5);
            same_recordings(g, y, x, w, hb ? b : NULL);
            tg_graph_free(g);
        }
        /* batch norm on [8, 3]: w and b, then w, b and running buffers */
        for (int c = 0; c < 2; c++) {
            tg_graph *g = tg_graph_new();
            tg_tensor *x[2], *w[2], *b[2], *rm[2], *rv[2], *y[2];
            for (int k = 0; k < 2; k++) {
                x[k] = ta_in(g, dt, TG_SHAPE(8, 3), xv, true);
                w[k] = ta_in(g, dt, TG_SHAPE(3), wv, true);
                b[k] = ta_in(g, dt, TG_SHAPE(3), bv, true);
                rm[k] = ta_in(g, dt, TG_SHAPE(3), rmv, false);
                rv[k] = ta_in(g, dt, TG_SHAPE(3), rvv, false);
            }
            tg_tensor *in[5] = {x[0], w[0], b[0], rm[0], rv[0]};
            y[0] = tg_apply(bn, in, c ? 5 : 3, NULL);
            y[1] = tg_batch_norm(x[1], w[1], b[1], c ? rm[1] : NULL,
                                 c ? rv[1] : NULL, 0.1, 1e-5);
            same_recordings(g, y, x, w, b);
            TT_CHECK(same_bits(rm[0], rm[1]) && same_bits(rv[0], rv[1]));
            if (c) TT_CHECK(tg_get(rm[0], 0) != rmv[0]); /* updated */
            tg_graph_free(g);
        }
        /* one running buffer alone is refused */
        tg_graph *g = tg_graph_new();
        tg_tensor *in[4] = {ta_in(g, dt, TG_SHAPE(8, 3), xv, true),
                            ta_in(g, dt, TG_SHAPE(3), wv, true),
                            ta_in(g, dt, TG_SHAPE(3), bv, true),
                            ta_in(g, dt, TG_SHAPE(3), rmv, false)};
        tg_apply(bn, in, 4, NULL);
        TT_CHECK(tg_graph_status(g) == TG_ERR_ARG);
        TT_STREQ(tg_graph_error(g),
                 "tg_batch_norm: got 4 inputs (x, w, b and one running "
                 "buffer); hint: pass both running_mean and running_var, or "
                 "neither");
        tg_graph_free(g);
    }
}

/* Batch norm's fused backward (the pass is not recorded: dx, dw and db in
 * one kernel from the saved statistics) against the recorded composite
 * (create_graph) and against the formulas in long double:
 *   db = sum g, dw = sum g xh, dx = r (g w - mean(g w) - xh mean(g w xh))
 * over the batch and spatial axes of each channel. Odd sizes, 2-D, with
 * and without affine and running buffers, f32 and f64, and one size above
 * TG_PAR_MIN for the threaded loop. */
static double bn_as(tg_dtype dt, double v)
{
    return dt == TG_F32 ? (double)(float)v : v; /* the value as stored */
}

static void batch_norm_fused_backward(void)
{
    const int64_t shapes[3][4] = {{3, 5, 7, 3}, {6, 3, 1, 1}, {40, 4, 41, 43}};
    const int nds[3] = {4, 2, 4};
    for (int d = 0; d < 2; d++)
        for (int s = 0; s < 3; s++)
            for (int aff = 0; aff < 8; aff++) {
                if (s == 2 && aff != 3) continue; /* the large size once */
                tg_dtype dt = d ? TG_F64 : TG_F32;
                int64_t N = shapes[s][0], C = shapes[s][1];
                int64_t S = shapes[s][2] * shapes[s][3], n = N * C * S;
                int nd = nds[s];
                double *xv = malloc(sizeof(double) * (size_t)n);
                double *gv = malloc(sizeof(double) * (size_t)n);
                double wv[5], bv[5], zero[5] = {0}, one[5] = {1, 1, 1, 1, 1};
                ta_fill(xv, n, 91 + s);
                ta_fill(gv, n, 92 + s);
                for (int64_t i = 0; i < n; i++) xv[i] = 3 * xv[i] + 0.5;
                ta_fill(wv, C, 93);
                ta_fill(bv, C, 94);
                tg_graph *g = tg_graph_new();
                tg_tensor *x = ta_in(g, dt, nd, shapes[s], xv, true);
                tg_tensor *w = (aff & 1) ? ta_in(g, dt, TG_SHAPE(C), wv, true) : NULL;
                tg_tensor *b = (aff & 2) ? ta_in(g, dt, TG_SHAPE(C), bv, true) : NULL;
                tg_tensor *rm = (aff & 4) ? ta_in(g, dt, TG_SHAPE(C), zero, false) : NULL;
                tg_tensor *rv = (aff & 4) ? ta_in(g, dt, TG_SHAPE(C), one, false) : NULL;
                tg_tensor *seed = ta_in(g, dt, nd, shapes[s], gv, false);
                tg_tensor *y = tg_batch_norm(x, w, b, rm, rv, 0.1, 1e-5);
                tg_tensor *ins[3] = {x, w ? w : b, b};
                int ni = 1 + (w != NULL) + (b != NULL);
                tg_tensor *fast[3], *slow[3];
                TT_CHECK(tg_grad(g, &y, 1, &seed, ins, ni, false, fast) == TG_OK);
                TT_CHECK(tg_grad(g, &y, 1, &seed, ins, ni, true, slow) == TG_OK);
                /* long double reference, per channel (y as well: the
                 * statistics of long rows are merged row by row) */
                long double *rdx = malloc(sizeof(long double) * (size_t)n);
                long double rdw[5], rdb[5];
                long double D = (long double)(N * S);
                for (int64_t c = 0; c < C; c++) {
                    long double mu = 0, ss = 0, sg = 0, sgx = 0;
                    long double wc = w ? (long double)bn_as(dt, wv[c]) : 1;
                    for (int64_t k = 0; k < N; k++)
                        for (int64_t j = 0; j < S; j++)
                            mu += (long double)bn_as(dt, xv[(k * C + c) * S + j]);
                    mu /= D;
                    for (int64_t k = 0; k < N; k++)
                        for (int64_t j = 0; j < S; j++) {
                            long double e = (long double)bn_as(dt, xv[(k * C + c) * S + j]) - mu;
                            ss += e * e;
                        }
                    long double r = 1 / sqrtl(ss / D + 1e-5L);
                    for (int64_t k = 0; k < N; k++)
                        for (int64_t j = 0; j < S; j++) {
                            int64_t i = (k * C + c) * S + j;
                            long double xh = ((long double)bn_as(dt, xv[i]) - mu) * r;
                            long double gg = bn_as(dt, gv[i]);
                            sg += gg;
                            sgx += gg * xh;
                        }
                    rdb[c] = sg, rdw[c] = sgx;
                    double ytol = d ? 1e-13 : 2e-6, yworst = 0;
                    for (int64_t k = 0; k < N; k++)
                        for (int64_t j = 0; j < S; j++) {
                            int64_t i = (k * C + c) * S + j;
                            long double want = ((long double)bn_as(dt, xv[i]) - mu) * r *
                                                   (w ? (long double)bn_as(dt, wv[c]) : 1) +
                                               (b ? (long double)bn_as(dt, bv[c]) : 0);
                            double e = (double)fabsl((long double)tg_get(y, i) - want);
                            if (!(e <= yworst)) yworst = e;
                        }
                    TT_NEAR(yworst, 0, ytol);
                    for (int64_t k = 0; k < N; k++)
                        for (int64_t j = 0; j < S; j++) {
                            int64_t i = (k * C + c) * S + j;
                            long double xh = ((long double)bn_as(dt, xv[i]) - mu) * r;
                            rdx[i] = r * wc * ((long double)bn_as(dt, gv[i]) -
                                               sg / D - xh * sgx / D);
                        }
                }
                double tol = d ? 1e-11 : 3e-5;
                for (int k = 0; k < ni; k++) {
                    TT_CHECK(ta_same_shape(fast[k], slow[k]));
                    TT_CHECK(ta_same_shape(fast[k], ins[k]));
                    double worst = 0, wref = 0;
                    for (int64_t i = 0; i < fast[k]->numel; i++) {
                        double a = tg_get(fast[k], i), c = tg_get(slow[k], i);
                        long double want = k == 0 ? rdx[i]
                                           : (k == 1 && w) ? rdw[i]
                                                           : rdb[i];
                        double e = fabs(a - c) / (1 + fabs(c));
                        double er = (double)(fabsl((long double)a - want) /
                                             (1 + fabsl(want)));
                        if (!(e <= worst)) worst = e;
                        if (!(er <= wref)) wref = er;
                    }
                    TT_NEAR(worst, 0, tol);
                    TT_NEAR(wref, 0, tol);
                }
                TT_CHECK(tg_graph_error(g) == NULL);
                tg_graph_free(g);
                free(rdx);
                free(xv);
                free(gv);
            }
}

/* 4-D: per channel over N, H, W; affine weight and bias. */
static void batch_norm_4d(void)
{
    enum { N = 2, C = 3, S = 4 };
    double xv[N * C * S], wv[C] = {1.5, -0.5, 2}, bv[C] = {0, 1, -1};
    ta_fill(xv, N * C * S, 71);
    tg_graph *g = tg_graph_new();
    tg_tensor *x = IN64(g, xv, N, C, 2, 2);
    tg_tensor *y = tg_batch_norm(x, IN64(g, wv, C), IN64(g, bv, C), NULL,
                                 NULL, 0.1, 1e-5);
    for (int c = 0; c < C; c++) {
        long double mu = 0, ss = 0;
        for (int n = 0; n < N; n++)
            for (int s = 0; s < S; s++) mu += xv[(n * C + c) * S + s];
        mu /= N * S;
        for (int n = 0; n < N; n++)
            for (int s = 0; s < S; s++) {
                long double e = xv[(n * C + c) * S + s] - mu;
                ss += e * e;
            }
        long double r = 1 / sqrtl(ss / (N * S) + 1e-5L);
        for (int n = 0; n < N; n++)
            for (int s = 0; s < S; s++) {
                int i = (n * C + c) * S + s;
                TT_NEAR(tg_get(y, i), (double)((xv[i] - mu) * r * wv[c] + bv[c]),
                        1e-14);
            }
    }
    TT_CHECK(tg_graph_error(g) == NULL);
    tg_graph_free(g);
}

static void batch_norm_errors(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(1, 3), NULL);
    tg_batch_norm(x, NULL, NULL, NULL, NULL, 0.1, 1e-5);
    TT_STREQ(tg_graph_error(g),
             "tg_batch_norm: expected more than 1 value per channel when "
             "training, got x [1,3]; hint: use a larger batch or eval mode");
    tg_graph_reset(g);
    x = tg_input(g, TG_F64, TG_SHAPE(4, 3), NULL);
    tg_batch_norm(x, tg_input(g, TG_F64, TG_SHAPE(4), NULL), NULL, NULL, NULL,
                  0.1, 1e-5);
    TT_STREQ(tg_graph_error(g),
             "tg_batch_norm: weight [4] does not match 3 channels of x [4,3]; "
             "hint: it must be [C]");
    tg_graph_reset(g);
    x = tg_input(g, TG_F64, TG_SHAPE(4, 3), NULL);
    tg_tensor *rm = tg_input(g, TG_F64, TG_SHAPE(3), NULL);
    tg_batch_norm(x, NULL, NULL, rm, NULL, 0.1, 1e-5);
    TT_STREQ(tg_graph_error(g),
             "tg_batch_norm: give both running buffers or neither "
             "(running_mean is set, running_var is NULL)");
    tg_graph_reset(g);
    x = tg_input(g, TG_F64, TG_SHAPE(4, 3), NULL);
    rm = tg_input(g, TG_F64, TG_SHAPE(2), NULL);
    tg_batch_norm(x, NULL, NULL, rm, rm, 0.1, 1e-5);
    TT_STREQ(tg_graph_error(g), "tg_batch_norm: running mean [2] does not "
                                "match 3 channels of x [4,3]");
    tg_graph_reset(g);
    x = tg_input(g, TG_F64, TG_SHAPE(4, 3), NULL);
    rm = tg_input(g, TG_F64, TG_SHAPE(3), NULL);
    tg_batch_norm(x, NULL, NULL, rm, rm, 1.5, 1e-5);
    TT_STREQ(tg_graph_error(g), "tg_batch_norm: momentum must lie in [0, 1], "
                                "got 1.5; hint: PyTorch uses 0.1");
    tg_graph_free(g);
}

/* ------------------------------------------------------------- dropout */

static void dropout_behaviour(void)
{
    const int64_t n = 1 << 20;
    const double p = 0.3;
    tg_graph *g = tg_graph_new();
    for (int d = 0; d < 2; d++) {
        tg_dtype dt = d ? TG_F64 : TG_F32;
        tg_tensor *x = tg_full(g, dt, 1, &n, 2.0);
        tg_set_requires_grad(x, true);
        tg_rng_seed(tg_graph_rng(g), 1234);
        tg_tensor *y = tg_dropout(x, p);
        TT_CHECK(y != x);
        int64_t kept = 0;
        bool exact = true;
        double scaled = 2.0 / (1 - p);
        if (dt == TG_F32) scaled = (float)2.0 * (float)(1 / (1 - p));
        for (int64_t i = 0; i < n; i++) {
            double v = tg_get(y, i);
            if (v != 0) kept++;
            if (v != 0 && v != scaled) exact = false;
        }
        TT_CHECK(exact);
        /* binomial: sd = sqrt(n p (1-p)) ~ 469; allow 5 sd */
        double want = (double)n * (1 - p);
        TT_CHECK(fabs((double)kept - want) < 5 * sqrt(n * p * (1 - p)));
        /* gradient: the same mask, scaled */
        TT_CHECK(tg_backward(g, tg_sum_all(y)) == TG_OK);
        bool gm = true;
        for (int64_t i = 0; i < n && gm; i++)
            gm = tg_get(x->grad, i) == (tg_get(y, i) != 0 ? scaled / 2 : 0);
        TT_CHECK(gm);
        /* same seed, same mask */
        tg_rng_seed(tg_graph_rng(g), 1234);
        tg_tensor *y2 = tg_dropout(x, p);
        bool same = true;
        for (int64_t i = 0; i < n && same; i++)
            same = tg_get(y2, i) == tg_get(y, i);
        TT_CHECK(same);
        /* another draw differs */
        tg_tensor *y3 = tg_dropout(x, p);
        int64_t diff = 0;
        for (int64_t i = 0; i < n; i++) diff += tg_get(y3, i) != tg_get(y, i);
        TT_CHECK(diff > n / 4);
        /* eval, and p = 0: the identity (x itself) */
        tg_set_training(g, false);
        TT_CHECK(tg_dropout(x, p) == x);
        tg_set_training(g, true);
        TT_CHECK(tg_dropout(x, 0) == x);
        tg_graph_reset(g);
    }
    tg_dropout(tg_input(g, TG_F32, TG_SHAPE(3), NULL), 1.0);
    TT_STREQ(tg_graph_error(g), "tg_dropout: p must lie in [0, 1), got 1; "
                                "hint: p is the probability of dropping an "
                                "element");
    tg_graph_reset(g);
    tg_set_training(g, false); /* checked in eval too */
    tg_dropout(tg_input(g, TG_F32, TG_SHAPE(3), NULL), -0.5);
    TT_CONTAINS(tg_graph_error(g), "tg_dropout: p must lie in [0, 1), got -0.5");
    tg_graph_free(g);
}

TT_RUN(TT(linear_values), TT(linear_batched), TT(linear_vector_shapes),
       TT(linear_errors), TT(matmul_vector_values),
       TT(matmul_vector_grads), TT(matmul_vector_errors),
       TT(softmax_values), TT(softmax_stable), TT(softmax_composites),
       TT(softmax_errors), TT(cross_entropy_values),
       TT(cross_entropy_stable), TT(cross_entropy_errors), TT(loss_values),
       TT(mean_values), TT(extremum_ties), TT(var_lse_values),
       TT(layer_norm_values), TT(layer_norm_fused_backward),
       TT(layer_norm_two_axes),
       TT(layer_norm_errors), TT(batch_norm_running), TT(batch_norm_4d),
       TT(batch_norm_fused_backward),
       TT(batch_norm_errors), TT(dropout_behaviour),
       TT(norm_through_apply))
