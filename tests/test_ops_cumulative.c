/* flip and cumsum: values against hand-derived tables (f32 and f64),
 * gradients by hand, empty and 0-d tensors, errors. Central differences
 * to second order are their cases in `tapegrad check --all-ops`. */
#include <math.h>
#include <tapegrad/tapegrad.h>

#include "tt.h"

static void flip_values(void)
{
    for (int dt = 0; dt < 2; dt++) {
        tg_graph *g = tg_graph_new();
        tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(2, 3), (double[]){1, 2, 3, 4, 5, 6});
        if (dt) x = tg_cast(x, TG_F32);
        tg_tensor *a = tg_flip(x, 1, (int64_t[]){-1});
        tg_tensor *b = tg_flip(x, 2, (int64_t[]){0, 1});
        tg_tensor *c = tg_flip(x, 1, (int64_t[]){0});
        static const double wa[] = {3, 2, 1, 6, 5, 4}, wb[] = {6, 5, 4, 3, 2, 1},
                            wc[] = {4, 5, 6, 1, 2, 3};
        for (int i = 0; i < 6; i++) {
            TT_NEAR(tg_get(a, i), wa[i], 0);
            TT_NEAR(tg_get(b, i), wb[i], 0);
            TT_NEAR(tg_get(c, i), wc[i], 0);
        }
        TT_CHECK(tg_graph_error(g) == NULL);
        tg_graph_free(g);
    }
    /* gradient: d sum(w * flip(x)) / dx = flip(w) */
    tg_graph *g = tg_graph_new();
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(4), (double[]){0, 0, 0, 0});
    tg_set_requires_grad(x, true);
    tg_tensor *w = tg_input(g, TG_F64, TG_SHAPE(4), (double[]){1, 10, 100, 1000});
    TT_CHECK(tg_backward(g, tg_sum_all(tg_mul(w, tg_flip(x, 1, (int64_t[]){0})))) == TG_OK);
    static const double gw[] = {1000, 100, 10, 1};
    for (int i = 0; i < 4; i++) TT_NEAR(tg_get(x->grad, i), gw[i], 0);
    /* empty, 0-d, no dims */
    tg_tensor *e = tg_flip(tg_input(g, TG_F64, TG_SHAPE(0, 3), NULL), 1, (int64_t[]){1});
    TT_CHECK(e->numel == 0 && e->shape[1] == 3);
    tg_tensor *s = tg_flip(tg_scalar(g, TG_F64, 2.5), 1, (int64_t[]){0});
    TT_CHECK(s->ndim == 0 && tg_get(s, 0) == 2.5);
    TT_CHECK(tg_get(tg_flip(w, 0, NULL), 3) == 1000);
    TT_CHECK(tg_graph_error(g) == NULL);
    tg_graph_free(g);
}

static void cumsum_values(void)
{
    for (int dt = 0; dt < 2; dt++) {
        tg_graph *g = tg_graph_new();
        tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(2, 3), (double[]){1, 2, 3, 4, 5, 6});
        if (dt) x = tg_cast(x, TG_F32);
        tg_tensor *a = tg_cumsum(x, 1), *b = tg_cumsum(x, 0), *c = tg_cumsum(x, -2);
        static const double wa[] = {1, 3, 6, 4, 9, 15}, wb[] = {1, 2, 3, 5, 7, 9};
        for (int i = 0; i < 6; i++) {
            TT_NEAR(tg_get(a, i), wa[i], 0);
            TT_NEAR(tg_get(b, i), wb[i], 0);
            TT_NEAR(tg_get(c, i), wb[i], 0);
        }
        tg_graph_free(g);
    }
    /* f32 accumulates in double: 1 + 1e-8 * 1000 terms */
    tg_graph *g = tg_graph_new();
    float v[1001];
    v[0] = 1;
    for (int i = 1; i < 1001; i++) v[i] = 1e-8f;
    tg_tensor *f = tg_cumsum(tg_input(g, TG_F32, TG_SHAPE(1001), v), 0);
    TT_NEAR(tg_get(f, 1000), (double)(float)(1.0 + 1000 * (double)1e-8f), 0);
    /* gradient: d sum(w * cumsum(x)) / dx_j = sum_{k >= j} w_k */
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(4), (double[]){0.5, -1, 2, 3});
    tg_set_requires_grad(x, true);
    tg_tensor *w = tg_input(g, TG_F64, TG_SHAPE(4), (double[]){1, 10, 100, 1000});
    TT_CHECK(tg_backward(g, tg_sum_all(tg_mul(w, tg_cumsum(x, 0)))) == TG_OK);
    static const double gw[] = {1111, 1110, 1100, 1000};
    for (int i = 0; i < 4; i++) TT_NEAR(tg_get(x->grad, i), gw[i], 0);
    tg_tensor *e = tg_cumsum(tg_input(g, TG_F64, TG_SHAPE(3, 0), NULL), 1);
    TT_CHECK(e->numel == 0 && e->shape[0] == 3);
    tg_tensor *s = tg_cumsum(tg_scalar(g, TG_F64, -4), 0);
    TT_CHECK(s->ndim == 0 && tg_get(s, 0) == -4);
    TT_CHECK(tg_graph_error(g) == NULL);
    tg_graph_free(g);
}

static void errors(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(2, 3), NULL);
    tg_cumsum(x, 2);
    TT_CONTAINS(tg_graph_error(g), "tg_cumsum: axis 2 out of range for shape [2,3]");
    tg_graph_free(g);
    g = tg_graph_new();
    x = tg_input(g, TG_F64, TG_SHAPE(2, 3), NULL);
    tg_flip(x, 2, (int64_t[]){1, -1});
    TT_CONTAINS(tg_graph_error(g), "tg_flip: dim 1 appears twice in dims for shape [2,3]");
    tg_graph_free(g);
    g = tg_graph_new();
    x = tg_input(g, TG_F64, TG_SHAPE(2, 3), NULL);
    tg_tensor *p = tg_flip(x, 1, (int64_t[]){-3});
    TT_CONTAINS(tg_graph_error(g), "tg_flip: dim -3 out of range for shape [2,3]");
    TT_CHECK(tg_cumsum(p, 0) == p);
    tg_graph_free(g);
}

TT_RUN(TT(flip_values), TT(cumsum_values), TT(errors))
