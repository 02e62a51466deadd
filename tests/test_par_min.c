/* The kernels' serial threshold (TG_PAR_MIN, src/internal.h): the value
 * the environment gives, the default when it gives none or junk, and the
 * same results on one thread, on two with the work split, and on two with
 * the threshold above the work (serial again). meson runs this file three
 * times with a case name as the filter (tests/meson.build). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <tapegrad/tapegrad.h>

#include "src/internal.h"
#include "tt.h"

static void env_1000_is_used(void) { TT_CHECK(tg__par_min == 1000); }

static void default_when_env_is_junk(void)
{
    TT_CHECK(TG_PAR_MIN_DEFAULT == 262144);
    TT_CHECK(tg__par_min == 262144);
}

enum { R = 37, C = 40, MAXN = R * C };

typedef struct result {
    float y[MAXN], gx[MAXN], gb[C];
    float loss;
} result;

/* relu, a broadcast add, tanh and the fused cross-entropy over [rows, C]
 * (rows * C elements), then backward: every kernel family the threshold
 * gates in a training step of a small network. */
static void step(int rows, result *out)
{
    tg_graph *g = tg_graph_new();
    TT_CHECK(g != NULL);
    if (!g) return;
    tg_tensor *x = tg_param(g, TG_F32, TG_SHAPE(rows, C), "x");
    tg_tensor *b = tg_param(g, TG_F32, TG_SHAPE(C), "b");
    float lab[R];
    uint64_t s = 12345;
    for (int64_t i = 0; i < x->numel; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        tg_f32(x)[i] = (float)((double)(s >> 11) / 9007199254740992.0) * 4 - 2;
    }
    for (int j = 0; j < C; j++) tg_f32(b)[j] = 0.05f * (float)(j - C / 2);
    for (int i = 0; i < rows; i++) lab[i] = (float)((i * 7) % C);
    tg_tensor *l = tg_input(g, TG_F32, TG_SHAPE(rows), lab);
    tg_tensor *y = tg_tanh(tg_add(tg_relu(x), b));
    tg_tensor *loss = tg_cross_entropy(y, l);
    TT_CHECK(tg_backward(g, loss) == TG_OK);
    TT_CHECK(tg_graph_error(g) == NULL);
    if (!tg_graph_error(g)) {
        memcpy(out->y, y->data, sizeof(float) * (size_t)y->numel);
        memcpy(out->gx, x->grad->data, sizeof(float) * (size_t)x->numel);
        memcpy(out->gb, b->grad->data, sizeof(float) * C);
        out->loss = (float)tg_item(loss);
    }
    tg_graph_free(g);
}

/* Element-wise values and their gradients are computed element by element
 * whatever the split, so they agree bit for bit; the loss and the bias
 * gradient are sums whose order follows the split, and agree to f32
 * rounding (documented in docs/architecture.md). */
static void same(const result *a, const result *b, int n)
{
    TT_CHECK(memcmp(a->y, b->y, sizeof(float) * (size_t)n) == 0);
    TT_CHECK(memcmp(a->gx, b->gx, sizeof(float) * (size_t)n) == 0);
    for (int j = 0; j < C; j++) TT_NEAR(a->gb[j], b->gb[j], 1e-5);
    TT_NEAR(a->loss, b->loss, 1e-6);
}

static void thread_counts_agree(void)
{
    TT_CHECK(tg__par_min == 1000);
    static result one, two, two_serial;
    /* below, at and above the threshold of 1000 elements */
    const int rows[] = {24, 25, 26, R};
    for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++) {
        int n = rows[k] * C;
        tg_set_num_threads(1);
        step(rows[k], &one);
        tg_set_num_threads(2);
        step(rows[k], &two);
        tg__par_min = INT64_MAX; /* two threads configured, nothing split */
        step(rows[k], &two_serial);
        tg__par_min = 1000;
        same(&one, &two, n);
        same(&one, &two_serial, n);
    }
    tg_set_num_threads(1);
}

/* The row-wise ops whose loops run as plain code below the threshold and
 * as one parallel loop above it (TG_PAR_FOR, src/internal.h): softmax and
 * log_softmax, permute, prelu, maxout, layer_norm, batch_norm, and the
 * mse and bce_with_logits sums, forward and backward, in f64. Each
 * output, and the input gradient, is computed row by row (group by
 * group) with the same code on every path, so it agrees bit for bit; the
 * loss, the losses' sums and the parameter gradients (sums over rows, in
 * per-thread parts on two threads) agree to rounding. */
enum { RW_MAXN = 48 * 40 };
typedef struct rows_result {
    double y[7][RW_MAXN], gx[RW_MAXN];
    double gw[40], gb[40], gbw[40], galpha[40], mse, bce, loss;
} rows_result;

static void rowwise(int rows, rows_result *out)
{
    tg_graph *g = tg_graph_new();
    TT_CHECK(g != NULL);
    if (!g) return;
    tg_tensor *x = tg_param(g, TG_F64, TG_SHAPE(rows, C), "x");
    tg_tensor *w = tg_param(g, TG_F64, TG_SHAPE(C), "w");
    tg_tensor *b = tg_param(g, TG_F64, TG_SHAPE(C), "b");
    tg_tensor *bw = tg_param(g, TG_F64, TG_SHAPE(C), "bw");
    tg_tensor *alpha = tg_param(g, TG_F64, TG_SHAPE(C), "alpha");
    tg_tensor *r = tg_param(g, TG_F64, TG_SHAPE(rows, C), "r");
    uint64_t s = 777;
    for (int64_t i = 0; i < x->numel; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        tg_f64(x)[i] = (double)(s >> 11) / 9007199254740992.0 * 4 - 2;
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        tg_f64(r)[i] = (double)(s >> 11) / 9007199254740992.0;
    }
    for (int j = 0; j < C; j++) {
        tg_f64(w)[j] = 1 + 0.01 * j;
        tg_f64(b)[j] = 0.02 * (j - C / 2);
        tg_f64(bw)[j] = 0.5 + 0.03 * j;
        tg_f64(alpha)[j] = 0.01 * (j + 1);
    }
    tg_set_requires_grad(r, false);
    const int64_t perm[2] = {1, 0};
    tg_tensor *y[7] = {
        tg_softmax(x, -1),
        tg_log_softmax(x, -1),
        tg_permute(x, 2, perm),
        tg_prelu(x, alpha),
        tg_maxout(x, 4),
        tg_layer_norm(x, w, b, 1e-5),
        tg_batch_norm(x, bw, NULL, NULL, NULL, 0.1, 1e-5),
    };
    tg_tensor *rt = tg_permute(r, 2, perm), *rm = tg_maxout(r, 4);
    tg_tensor *mse = tg_mse(y[0], r), *bce = tg_bce_with_logits(x, r);
    tg_tensor *loss = tg_add(mse, bce);
    for (int k = 0; k < 7; k++)
        loss = tg_add(loss, tg_sum_all(tg_mul(y[k], k == 2 ? rt
                                                      : k == 4 ? rm : r)));
    TT_CHECK(tg_backward(g, loss) == TG_OK);
    TT_CHECK(tg_graph_error(g) == NULL);
    if (!tg_graph_error(g)) {
        for (int k = 0; k < 7; k++)
            memcpy(out->y[k], y[k]->data, sizeof(double) * (size_t)y[k]->numel);
        memcpy(out->gx, x->grad->data, sizeof(double) * (size_t)x->numel);
        memcpy(out->gw, w->grad->data, sizeof(double) * C);
        memcpy(out->gb, b->grad->data, sizeof(double) * C);
        memcpy(out->gbw, bw->grad->data, sizeof(double) * C);
        memcpy(out->galpha, alpha->grad->data, sizeof(double) * C);
        out->mse = tg_item(mse);
        out->bce = tg_item(bce);
        out->loss = tg_item(loss);
    }
    tg_graph_free(g);
}

static void rows_same(const rows_result *a, const rows_result *b, int n)
{
    for (int k = 0; k < 7; k++) {
        int m = k == 4 ? n / 4 : n;
        TT_CHECK(memcmp(a->y[k], b->y[k], sizeof(double) * (size_t)m) == 0);
    }
    TT_CHECK(memcmp(a->gx, b->gx, sizeof(double) * (size_t)n) == 0);
    for (int j = 0; j < C; j++) {
        TT_NEAR(a->gw[j], b->gw[j], 1e-12 * (1 + fabs(a->gw[j])));
        TT_NEAR(a->gb[j], b->gb[j], 1e-12 * (1 + fabs(a->gb[j])));
        TT_NEAR(a->gbw[j], b->gbw[j], 1e-12 * (1 + fabs(a->gbw[j])));
        TT_NEAR(a->galpha[j], b->galpha[j], 1e-12 * (1 + fabs(a->galpha[j])));
    }
    TT_NEAR(a->mse, b->mse, 1e-13);
    TT_NEAR(a->bce, b->bce, 1e-13);
    TT_NEAR(a->loss, b->loss, 1e-10 * fabs(a->loss));
}

static void rowwise_ops_agree(void)
{
    TT_CHECK(tg__par_min == 1000);
    static rows_result one, two, two_serial;
    /* below, at and above the threshold of 1000 elements */
    const int rows[] = {24, 25, 26, 48};
    for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++) {
        int n = rows[k] * C;
        tg_set_num_threads(1);
        rowwise(rows[k], &one);
        tg_set_num_threads(2);
        rowwise(rows[k], &two);
        tg__par_min = INT64_MAX;
        rowwise(rows[k], &two_serial);
        tg__par_min = 1000;
        rows_same(&one, &two, n);
        rows_same(&one, &two_serial, n);
    }
    tg_set_num_threads(1);
}

TT_RUN(TT(env_1000_is_used), TT(default_when_env_is_junk),
       TT(thread_counts_agree), TT(rowwise_ops_agree))
