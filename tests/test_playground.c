/* The playground's engine side, natively: the entry points the page calls
 * (playground/pg.c) and the WebAssembly build's blocked matmul
 * (ops/gemm_wasm.c, compiled here under other names), against direct
 * references. The page itself runs in tests/playground/browser_test.py. */
#include "playground/pg.h"
#include "tt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* the WebAssembly build's SLEEF stand-in: SSE2 code, so it runs here too */
#include "playground/wasm/include/sleef.h"

#define tg__gemm_f32 blocked_gemm_f32
#define tg__gemm_f64 blocked_gemm_f64
#include "ops/gemm_wasm.c"
#undef tg__gemm_f32
#undef tg__gemm_f64

/* ------------------------------------------------------------- matmul */

static double ref_at(bool t, const double *X, int64_t ld, int64_t r, int64_t c)
{
    return t ? X[c * ld + r] : X[r * ld + c];
}

/* every transpose pair, beta 0 (C full of NaN: must not be read), 1 and
 * 0.5, shapes around the blocking (KB 128, NB 64, tiles of 4 rows by 2
 * vectors), one-column products (the transposed path), the page's shapes
 * and empty ones; in f64 against the sum in double, and in f32 bitwise
 * against the sum the contract names: beta C, then each product added in
 * increasing k, a multiply and an add each */
static void test_blocked_gemm(void)
{
    static const int64_t shapes[][3] = {
        {1, 1, 1},    {3, 5, 7},   {33, 65, 31}, {7, 130, 70}, {64, 64, 64},
        {2, 3, 0},    {0, 4, 3},   {4, 0, 3},    {1, 70, 40},  {200, 1, 8},
        {8, 1, 200},  {5, 1, 3},   {3, 5, 300},  {1, 1, 300},  {9, 67, 129},
        {200, 8, 2},  {2, 8, 200}, {6, 3, 5},    {13, 9, 1}};
    static const double betas[] = {0, 1, 0.5};
    int bad = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++)
                for (size_t bi = 0; bi < 3; bi++) {
                    int64_t M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
                    int64_t lda = ta ? M : K, ldb = tb ? K : N;
                    size_t na = (size_t)(M * K) + 1, nb = (size_t)(K * N) + 1,
                           nc = (size_t)(M * N) + 1;
                    double *A = malloc(sizeof *A * na), *B = malloc(sizeof *B * nb);
                    double *C = malloc(sizeof *C * nc), *R = malloc(sizeof *R * nc);
                    float *Af = malloc(sizeof *Af * na), *Bf = malloc(sizeof *Bf * nb);
                    float *Cf = malloc(sizeof *Cf * nc);
                    for (size_t i = 0; i < na; i++) Af[i] = (float)(A[i] = sin(1.0 + (double)i));
                    for (size_t i = 0; i < nb; i++) Bf[i] = (float)(B[i] = cos(2.0 + 0.7 * (double)i));
                    double beta = betas[bi];
                    for (int64_t i = 0; i < M * N; i++) {
                        double c0 = beta == 0 ? NAN : 0.25 * (double)(i % 7);
                        C[i] = c0;
                        Cf[i] = (float)c0;
                        double acc = 0;
                        int64_t r = i / N, c = i % N;
                        for (int64_t k = 0; k < K; k++)
                            acc += ref_at(ta, A, lda, r, k) * ref_at(tb, B, ldb, k, c);
                        R[i] = acc + (beta == 0 ? 0 : beta * c0);
                    }
                    float *Rf = malloc(sizeof *Rf * nc);
                    for (int64_t i = 0; i < M * N; i++) {
                        int64_t r = i / N, c = i % N;
                        float acc = beta == 0 ? 0.0f : (float)beta * Cf[i];
                        for (int64_t k = 0; k < K; k++) {
                            float p = (ta ? Af[k * lda + r] : Af[r * lda + k]) *
                                      (tb ? Bf[c * ldb + k] : Bf[k * ldb + c]);
                            acc = acc + p;
                        }
                        Rf[i] = acc;
                    }
                    blocked_gemm_f64(ta, tb, M, N, K, A, lda, B, ldb, beta, C);
                    blocked_gemm_f32(ta, tb, M, N, K, Af, lda, Bf, ldb, (float)beta, Cf);
                    for (int64_t i = 0; i < M * N; i++) {
                        if (!(fabs(C[i] - R[i]) <= 1e-12 * (1 + fabs(R[i]))) ||
                            !(fabs(Cf[i] - R[i]) <= 1e-4 * (1 + fabs(R[i]))) ||
                            memcmp(&Cf[i], &Rf[i], sizeof(float))) {
                            if (bad++ < 5)
                                printf("  [%lld,%lld,%lld] ta %d tb %d beta %g elem %lld: "
                                       "%g %g want %g\n", (long long)M, (long long)N,
                                       (long long)K, ta, tb, beta, (long long)i, C[i],
                                       (double)Cf[i], R[i]);
                        }
                    }
                    free(A), free(B), free(C), free(R), free(Af), free(Bf), free(Cf);
                    free(Rf);
                }
    TT_CHECK(bad == 0);
}

/* ------------------------------------------- the wasm build's f32 math */

static int64_t ulps(float a, float b)
{
    if (isnan(a) || isnan(b)) return isnan(a) && isnan(b) ? 0 : INT64_MAX;
    if (a == b) return 0;
    int32_t ia, ib;
    memcpy(&ia, &a, 4), memcpy(&ib, &b, 4);
    int64_t oa = ia < 0 ? (int64_t)INT32_MIN - ia : ia; /* monotonic order */
    int64_t ob = ib < 0 ? (int64_t)INT32_MIN - ib : ib;
    return oa > ob ? oa - ob : ob - oa;
}

/* exp, expm1 and tanh of the stand-in against the C library in double
 * rounded once to float, over every 97th float in [-100, 100] (about 23
 * million), and at the edges: 0, -0, overflow, underflow, infinities,
 * NaN. Error budget: 2 ulp (SLEEF's u10 promises 1; the page only
 * trains with them, and the native build keeps SLEEF). */
static void test_wasm_math(void)
{
    int64_t worst[3] = {0, 0, 0};
    float at[3] = {0, 0, 0};
    uint32_t lo, hi;
    float fl = -100.0f, fh = 100.0f;
    memcpy(&lo, &fl, 4), memcpy(&hi, &fh, 4);
    float buf[4];
    int nb = 0;
    static const float edge[] = {0.0f, -0.0f, 88.7f, 88.8f, -87.0f, -104.5f, 1e-30f, -1e-30f,
                                 0.4999f, 0.5001f, 0.6249f, 0.6251f, -0.6251f, 9.0f, -20.0f,
                                 INFINITY, -INFINITY, NAN};
    size_t ne = sizeof edge / sizeof edge[0];
    for (uint64_t k = 0;; k++) {
        float x;
        if (k < ne) x = edge[k];
        else {
            /* positive floats up to 100, then negative ones down to -100 */
            uint64_t step = (k - ne) * 97;
            if (step <= hi) { uint32_t b = (uint32_t)step; memcpy(&x, &b, 4); }
            else if (step - hi - 1 <= lo - 0x80000000u) {
                uint32_t b = 0x80000000u + (uint32_t)(step - hi - 1);
                memcpy(&x, &b, 4);
            } else break;
        }
        buf[nb++] = x;
        if (nb < 4) continue;
        nb = 0;
        float y[3][4];
        _mm_storeu_ps(y[0], Sleef_expf4_u10sse2(_mm_loadu_ps(buf)));
        _mm_storeu_ps(y[1], Sleef_expm1f4_u10sse2(_mm_loadu_ps(buf)));
        _mm_storeu_ps(y[2], Sleef_tanhf4_u10sse2(_mm_loadu_ps(buf)));
        for (int i = 0; i < 4; i++) {
            float want[3] = {(float)exp((double)buf[i]), (float)expm1((double)buf[i]),
                             (float)tanh((double)buf[i])};
            for (int f = 0; f < 3; f++) {
                int64_t u = ulps(y[f][i], want[f]);
                /* below the normal range exp may flush or round the
                 * subnormal result: an absolute error under 2^-126 */
                if (f == 0 && fabsf(want[f]) < 1.2e-38f && fabsf(y[f][i] - want[f]) < 1.2e-38f)
                    u = 0;
                if (u > worst[f]) worst[f] = u, at[f] = buf[i];
            }
        }
    }
    printf("  wasm f32 math, worst ulp: exp %lld (at %.9g), expm1 %lld (at %.9g), "
           "tanh %lld (at %.9g)\n", (long long)worst[0], (double)at[0],
           (long long)worst[1], (double)at[1], (long long)worst[2], (double)at[2]);
    TT_CHECK(worst[0] <= 2);
    TT_CHECK(worst[1] <= 2);
    TT_CHECK(worst[2] <= 2);
}

/* ----------------------------------------------------------- the page */

/* n points of XOR on [-5, 5]^2 away from the axes, label x*y > 0 */
static void xor_data(int n, double *xy, double *lab)
{
    tg_rng r;
    tg_rng_seed(&r, 7);
    for (int i = 0; i < n; i++) {
        double x = tg_rng_uniform(&r) * 10 - 5, y = tg_rng_uniform(&r) * 10 - 5;
        x += x > 0 ? 0.3 : -0.3;
        y += y > 0 ? 0.3 : -0.3;
        xy[2 * i] = x, xy[2 * i + 1] = y;
        lab[i] = x * y > 0;
    }
}

static void test_build_errors(void)
{
    static const struct { const char *spec, *msg; } cases[] = {
        {"layers=8;colour=red", "pg_build: unknown key 'colour'"},
        {"act=nope", "pg_build: unknown activation 'nope'"},
        {"act=softmax", "pg_build: softmax mixes the units"},
        {"layers=8,0", "pg_build: layer width 0 outside 1..32"},
        {"layers=1,1,1,1,1,1,1,1,1", "pg_build: more than 8 hidden layers"},
        {"features=0", "pg_build: features mask 0 selects no feature"},
        {"features=128", "pg_build: features mask 128 selects no feature"},
        {"lr=-1", "pg_build: need lr >= 0"},
        {"dropout=1", "pg_build: need lr >= 0, l2 >= 0, dropout in [0,1)"},
        {"batch=2x", "pg_build: bad value '2x' for batch"},
        {"init=glorot", "pg_build: unknown init 'glorot'"},
        {"optim=lbfgs", "pg_build: unknown optimizer 'lbfgs'"},
        {"layers", "pg_build: 'layers' is not key=value"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int r = pg_build(cases[i].spec);
        TT_CHECK(r == -1);
        TT_CONTAINS(pg_error(), cases[i].msg);
    }
    /* no network, no data: calls report instead of crashing */
    TT_CHECK(pg_build("layers=4") == 0);
    TT_CHECK(pg_set_data(3, 4, NULL, NULL) == -1);
    TT_CONTAINS(pg_error(), "pg_set_data: need 0 <= ntrain <= n");
    double xy[4] = {0, 0, 1, 1}, lab[2] = {0, 2};
    TT_CHECK(pg_set_data(2, 1, xy, lab) == -1);
    TT_CONTAINS(pg_error(), "label 1 is 2; labels are 0 or 1");
    TT_CHECK(pg_grid(1, 6) == NULL);
    TT_CONTAINS(pg_error(), "pg_grid: res 1 outside 2..400");
}

static void test_train_xor(void)
{
    enum { N = 400, NTRAIN = 200 };
    static double xy[2 * N], lab[N];
    xor_data(N, xy, lab);
    TT_CHECK(pg_build("features=3;layers=8,8;act=tanh;optim=adam;lr=0.03;batch=10;seed=1") == 0);
    TT_CHECK(pg_set_data(N, NTRAIN, xy, lab) == 0);
    TT_CHECK(pg_num_layers() == 3);
    TT_CHECK(pg_width(0) == 2 && pg_width(1) == 8 && pg_width(2) == 8 && pg_width(3) == 1);
    double *e = pg_eval();
    TT_CHECK(e != NULL);
    double before = e[0];
    double loss = pg_train(1500);
    TT_CHECK(isfinite(loss));
    e = pg_eval();
    printf("  xor: loss %.4f -> %.4f, accuracy train %.3f test %.3f after %g steps\n",
           before, e[0], e[2], e[3], e[4]);
    TT_CHECK(e[0] < before / 4);
    TT_CHECK(e[2] >= 0.95 && e[3] >= 0.95);
    TT_CHECK(e[4] == 1500 && pg_steps() == 1500);
    double *gn = pg_grad_norms();
    TT_CHECK(gn[0] > 0 && gn[1] > 0 && gn[2] > 0);

    /* the grid: probabilities, then 16 hidden maps; the corner (-6, 6)
     * is off-diagonal in XOR (label 0), the corner (6, 6) on it */
    float *g = pg_grid(11, 6);
    TT_CHECK(g != NULL);
    int bad = 0;
    for (int i = 0; i < 121; i++) bad += !(g[i] >= 0 && g[i] <= 1);
    for (int i = 121; i < 121 * 17; i++) bad += !(g[i] >= -1 && g[i] <= 1); /* tanh */
    TT_CHECK(bad == 0);
    TT_CHECK(g[0] < 0.5f && g[10] > 0.5f);

    /* pg_eval's training accuracy, recounted from a forward pass of the
     * same weights built here with the public API */
    tg_graph *h = tg_graph_new();
    float x[NTRAIN * 2];
    for (int i = 0; i < NTRAIN * 2; i++) x[i] = (float)xy[i];
    tg_tensor *a = tg_input(h, TG_F32, TG_SHAPE(NTRAIN, 2), x);
    for (int l = 0; l < 3; l++) {
        tg_tensor *W = tg_input(h, TG_F32, TG_SHAPE(pg_width(l), pg_width(l + 1)), pg_weight(l));
        tg_tensor *b = tg_input(h, TG_F32, TG_SHAPE(pg_width(l + 1)), pg_bias(l));
        a = tg_linear(a, W, b);
        if (l < 2) a = tg_tanh(a);
    }
    TT_CHECK(tg_graph_error(h) == NULL);
    int right = 0;
    for (int i = 0; i < NTRAIN; i++) right += (tg_f32(a)[i] > 0) == (lab[i] > 0.5);
    TT_CHECK(fabs((double)right / NTRAIN - e[2]) < 1e-12);
    tg_graph_free(h);
}

/* The tape's JSON: the loss node, the engine's backward order (loss
 * first), values and gradients; the check of the same network passes. */
static void test_graph_and_check(void)
{
    enum { N = 40 };
    static double xy[2 * N], lab[N];
    xor_data(N, xy, lab);
    TT_CHECK(pg_build("features=3;layers=3;act=tanh;seed=2") == 0);
    TT_CHECK(pg_set_data(N, 30, xy, lab) == 0);
    pg_train(20);
    const char *j = pg_graph_json(2);
    TT_CHECK(j != NULL);
    /* x, W1, b1, linear, tanh, W2, b2, linear, t, bce: the loss is #9 and
     * the backward pass visits 9, 7, 4, 3 */
    TT_CHECK(strncmp(j, "{\"loss\":9,\"rows\":2,", 19) == 0);
    TT_CHECK(strstr(j, "\"backward\":[9,7,4,3]}") != NULL);
    TT_CHECK(strstr(j, "{\"id\":3,\"kind\":\"op\",\"op\":\"linear\",\"name\":null,\"in\":[0,1,2],"
                        "\"shape\":[2,3]") != NULL);
    TT_CHECK(strstr(j, "\"op\":\"bce_with_logits\"") != NULL);
    TT_CHECK(strstr(j, "{\"id\":0,\"kind\":\"input\",\"op\":null,\"name\":\"x\"") != NULL);
    TT_CHECK(pg_graph_json(31) == NULL);
    TT_CONTAINS(pg_error(), "pg_graph: rows 31 outside 1..30");

    const char *c = pg_gradcheck(4);
    TT_CHECK(c != NULL);
    TT_CHECK(strncmp(c, "{\"pass\":true", 12) == 0);
    TT_CHECK(strstr(c, "\"name\":\"W1\",\"shape\":[2,3],\"pass\":true") != NULL);
    TT_CHECK(strstr(c, "\"name\":\"b2\",\"shape\":[1],\"pass\":true") != NULL);

    /* batch norm and relu: the check differentiates the training-mode
     * function (batch statistics) and steps off relu's kink */
    TT_CHECK(pg_build("features=31;layers=4,4;act=relu;bn=1;seed=5") == 0);
    TT_CHECK(pg_set_data(N, 30, xy, lab) == 0);
    pg_train(30);
    c = pg_gradcheck(8);
    TT_CHECK(c != NULL && strncmp(c, "{\"pass\":true", 12) == 0);
    TT_CHECK(strstr(c, "\"name\":\"gamma1\"") != NULL);
    TT_CHECK(pg_bn(0, 3) != NULL && pg_bn(2, 0) == NULL);
}

TT_RUN(TT(test_blocked_gemm), TT(test_wasm_math), TT(test_build_errors), TT(test_train_xor),
       TT(test_graph_and_check))
