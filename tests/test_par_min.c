/* The kernels' serial threshold (TG_PAR_MIN, src/internal.h): the value
 * the environment gives, the default when it gives none or junk, and the
 * same results on one thread, on two with the work split, and on two with
 * the threshold above the work (serial again). meson runs this file three
 * times with a case name as the filter (tests/meson.build). */
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

TT_RUN(TT(env_1000_is_used), TT(default_when_env_is_junk),
       TT(thread_counts_agree))
