/* The gradient-ready hook of the backward pass (tg_set_grad_ready_hook):
 * each leaf reported once, with its final gradient, as soon as it is final,
 * in a repeatable order. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <tapegrad/tapegrad.h>

#include "tt.h"

#define MAX_CALLS 16

typedef struct record {
    int n;
    tg_tensor *leaf[MAX_CALLS];
    double snap[MAX_CALLS][64]; /* the gradient as the hook saw it */
    /* zero_at[i]: whether watch->grad was still all zeros at call i */
    tg_tensor *watch;
    bool zero_at[MAX_CALLS];
} record;

static bool all_zero(const tg_tensor *t)
{
    for (int64_t i = 0; i < t->numel; i++)
        if (tg_get(t, i) != 0) return false;
    return true;
}

static void on_ready(tg_tensor *leaf, const tg_tensor *grad, void *ud)
{
    record *r = ud;
    if (r->n >= MAX_CALLS) return;
    r->leaf[r->n] = leaf;
    TT_CHECK(grad->numel == leaf->numel && grad->dtype == leaf->dtype);
    for (int64_t i = 0; i < grad->numel && i < 64; i++)
        r->snap[r->n][i] = tg_get(grad, i);
    r->zero_at[r->n] = r->watch ? all_zero(r->watch->grad) : false;
    r->n++;
}

static int position(const record *r, const tg_tensor *t)
{
    for (int i = 0; i < r->n; i++)
        if (r->leaf[i] == t) return i;
    return -1;
}

static tg_tensor *param(tg_graph *g, int64_t a, int64_t b, const char *name)
{
    tg_tensor *p = b ? tg_param(g, TG_F64, TG_SHAPE(a, b), name)
                     : tg_param(g, TG_F64, TG_SHAPE(a), name);
    tg_init_uniform(p, NULL, -1, 1);
    return p;
}

/* A three-layer chain: the last layer's parameters are reported first, and
 * while they are, the first layer's gradient has not been computed yet. */
static void chain_order_and_values(void)
{
    tg_graph *g = tg_graph_new();
    tg_rng_seed(tg_graph_rng(g), 3);
    tg_tensor *w1 = param(g, 4, 5, "w1"), *b1 = param(g, 5, 0, "b1");
    tg_tensor *w2 = param(g, 5, 3, "w2"), *b2 = param(g, 3, 0, "b2");
    tg_tensor *w3 = param(g, 3, 2, "w3"), *b3 = param(g, 2, 0, "b3");
    double xv[8];
    for (int i = 0; i < 8; i++) xv[i] = 0.25 * i - 1;
    record r = {.watch = w1};
    tg_set_grad_ready_hook(g, on_ready, &r);
    for (int step = 0; step < 2; step++) {
        r.n = 0;
        tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(2, 4), xv);
        tg_tensor *h = tg_tanh(tg_linear(x, w1, b1));
        h = tg_tanh(tg_linear(h, w2, b2));
        tg_tensor *loss = tg_sum_all(tg_mul(tg_linear(h, w3, b3),
                                            tg_linear(h, w3, b3)));
        TT_CHECK(tg_backward(g, loss) == TG_OK);
        TT_CHECK(r.n == 6);
        tg_tensor *ps[6] = {w1, b1, w2, b2, w3, b3};
        int pos[6];
        for (int k = 0; k < 6; k++) {
            pos[k] = position(&r, ps[k]);
            TT_CHECK(pos[k] >= 0);
            if (pos[k] < 0) continue;
            /* what the hook saw is what ->grad holds after the pass */
            for (int64_t i = 0; i < ps[k]->numel; i++)
                TT_CHECK(r.snap[pos[k]][i] == tg_get(ps[k]->grad, i));
        }
        TT_CHECK(pos[4] < pos[2] && pos[5] < pos[2] && pos[4] < pos[3]);
        TT_CHECK(pos[2] < pos[0] && pos[3] < pos[0] && pos[2] < pos[1]);
        /* reported during the walk, not after it */
        TT_CHECK(r.zero_at[pos[4]] && r.zero_at[pos[2]]);
        TT_CHECK(!all_zero(w1->grad));
        static int first_order[6];
        if (step == 0) memcpy(first_order, pos, sizeof pos);
        else TT_CHECK(!memcmp(first_order, pos, sizeof pos));
        tg_zero_grad(g);
        tg_graph_reset(g);
    }
    tg_graph_free(g);
}

/* A leaf used early and late is reported once, after its earliest use's
 * VJP, with the sum of both contributions; frozen leaves and tg_grad are
 * silent; accumulation: the hook gets this pass's part only. */
static void fan_in_frozen_accumulate(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *w = tg_param(g, TG_F64, TG_SHAPE(2), "w");
    tg_tensor *f = tg_param(g, TG_F64, TG_SHAPE(2), "frozen");
    tg_f64(w)[0] = 0.5, tg_f64(w)[1] = -2;
    tg_f64(f)[0] = 3, tg_f64(f)[1] = 1;
    tg_set_requires_grad(f, false);
    record r = {0};
    tg_set_grad_ready_hook(g, on_ready, &r);
    /* L = sum(tanh(w) * f) + sum(w * w): dL/dw = f (1 - tanh^2 w) + 2 w */
    tg_tensor *l = tg_add(tg_sum_all(tg_mul(tg_tanh(w), f)),
                          tg_sum_all(tg_mul(w, w)));
    TT_CHECK(tg_backward(g, l) == TG_OK);
    TT_CHECK(r.n == 1 && r.leaf[0] == w);
    for (int i = 0; i < 2; i++) {
        double wi = tg_f64(w)[i], t = tanh(wi);
        TT_NEAR(r.snap[0][i], tg_f64(f)[i] * (1 - t * t) + 2 * wi, 1e-15);
    }
    /* a second pass without zeroing: ->grad doubles, the hook sees one */
    r.n = 0;
    TT_CHECK(tg_backward(g, l) == TG_OK);
    TT_CHECK(r.n == 1);
    for (int i = 0; i < 2; i++)
        TT_NEAR(tg_get(w->grad, i), 2 * r.snap[0][i], 1e-15);
    /* tg_grad leaves ->grad alone and says nothing */
    r.n = 0;
    tg_tensor *gw;
    TT_CHECK(tg_grad(g, &l, 1, NULL, &w, 1, false, &gw) == TG_OK);
    TT_CHECK(r.n == 0);
    /* removed: silent */
    tg_set_grad_ready_hook(g, NULL, &r);
    TT_CHECK(tg_backward(g, l) == TG_OK);
    TT_CHECK(r.n == 0);
    tg_graph_free(g);
}

/* A loss that is itself a leaf, and inputs that require grad. */
static void leaf_output_and_inputs(void)
{
    tg_graph *g = tg_graph_new();
    record r = {0};
    tg_set_grad_ready_hook(g, on_ready, &r);
    tg_tensor *p = tg_param(g, TG_F64, TG_SHAPE(), "p");
    TT_CHECK(tg_backward(g, p) == TG_OK);
    TT_CHECK(r.n == 1 && r.leaf[0] == p && r.snap[0][0] == 1);
    r.n = 0;
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(3), (double[]){1, 2, 3});
    tg_set_requires_grad(x, true);
    TT_CHECK(tg_backward(g, tg_sum_all(tg_mul(x, x))) == TG_OK);
    TT_CHECK(r.n == 1 && r.leaf[0] == x);
    for (int i = 0; i < 3; i++) TT_CHECK(r.snap[0][i] == 2 * (i + 1));
    tg_graph_free(g);
}

int main(int argc, char **argv)
{
    static const tt_entry cases[] = {
        TT(chain_order_and_values),
        TT(fan_in_frozen_accumulate),
        TT(leaf_output_and_inputs),
    };
    return tt_main(cases, (int)(sizeof cases / sizeof cases[0]), argc, argv);
}
