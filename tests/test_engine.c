/* Core engine: hand-derived gradients, modes, errors, memory. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <tapegrad/tapegrad.h>

#include "tt.h"

static tg_tensor *in64(tg_graph *g, int nd, const int64_t *sh, const double *v,
                       bool rg)
{
    tg_tensor *t = tg_input(g, TG_F64, nd, sh, v);
    if (rg) tg_set_requires_grad(t, true);
    return t;
}

/* y = x*x + x (x used twice, a diamond): dy/dx = 2x + 1 */
static void diamond(void)
{
    tg_graph *g = tg_graph_new();
    double xv[3] = {-1.5, 0.0, 2.0};
    tg_tensor *x = in64(g, TG_SHAPE(3), xv, true);
    tg_tensor *y = tg_sum_all(tg_add(tg_mul(x, x), x));
    TT_CHECK(tg_backward(g, y) == TG_OK);
    for (int i = 0; i < 3; i++) TT_NEAR(tg_get(x->grad, i), 2 * xv[i] + 1, 1e-15);
    TT_NEAR(tg_item(y), (2.25 - 1.5) + 0 + (4 + 2), 1e-15);
    tg_graph_free(g);
}

/* z = a*b + a*c + b*c, fan-in into each leaf from two products. */
static void fan_in(void)
{
    tg_graph *g = tg_graph_new();
    double av = 2, bv = 3, cv = 5;
    tg_tensor *a = in64(g, 0, NULL, &av, true);
    tg_tensor *b = in64(g, 0, NULL, &bv, true);
    tg_tensor *c = in64(g, 0, NULL, &cv, true);
    tg_tensor *z = tg_add(tg_add(tg_mul(a, b), tg_mul(a, c)), tg_mul(b, c));
    TT_CHECK(tg_backward(g, z) == TG_OK);
    TT_NEAR(tg_item(a->grad), bv + cv, 0);
    TT_NEAR(tg_item(b->grad), av + cv, 0);
    TT_NEAR(tg_item(c->grad), av + bv, 0);
    tg_graph_free(g);
}

/* [3,1] * [1,4] -> [3,4]; L = sum(u * v): dL/du_i = sum_j v_j, dL/dv_j = sum_i u_i */
static void broadcast_grads(void)
{
    tg_graph *g = tg_graph_new();
    double uv[3] = {1, 2, 3}, vv[4] = {0.5, -1, 2, 4};
    tg_tensor *u = in64(g, TG_SHAPE(3, 1), uv, true);
    tg_tensor *v = in64(g, TG_SHAPE(1, 4), vv, true);
    tg_tensor *p = tg_mul(u, v);
    TT_CHECK(p->ndim == 2 && p->shape[0] == 3 && p->shape[1] == 4);
    TT_NEAR(tg_get(p, 2 * 4 + 3), 3 * 4.0, 0);
    TT_CHECK(tg_backward(g, tg_sum_all(p)) == TG_OK);
    TT_CHECK(u->grad->ndim == 2 && u->grad->shape[0] == 3 && u->grad->shape[1] == 1);
    for (int i = 0; i < 3; i++) TT_NEAR(tg_get(u->grad, i), 5.5, 0);
    for (int j = 0; j < 4; j++) TT_NEAR(tg_get(v->grad, j), 6.0, 0);
    tg_graph_free(g);
}

/* Non-scalar output with an explicit seed s: y = 3x, dx = 3 s. */
static void explicit_seed(void)
{
    tg_graph *g = tg_graph_new();
    double xv[2] = {1, 2}, sv[2] = {10, -4};
    tg_tensor *x = in64(g, TG_SHAPE(2), xv, true);
    tg_tensor *y = tg_mul_scalar(x, 3);
    TT_CHECK(tg_backward(g, y) == TG_ERR_SHAPE);
    TT_CONTAINS(tg_graph_error(g), "tg_backward: output 1 has shape [2], not one element");
    tg_graph_reset(g);
    x = in64(g, TG_SHAPE(2), xv, true);
    y = tg_mul_scalar(x, 3);
    tg_tensor *s = tg_input(g, TG_F64, TG_SHAPE(2), sv);
    TT_CHECK(tg_backward_seed(g, y, s) == TG_OK);
    TT_NEAR(tg_get(x->grad, 0), 30, 0);
    TT_NEAR(tg_get(x->grad, 1), -12, 0);
    tg_graph_free(g);
}

/* Gradients accumulate over two backward calls until tg_zero_grad. */
static void accumulation(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *w = tg_param(g, TG_F64, TG_SHAPE(2), "w");
    tg_f64(w)[0] = 1.5;
    tg_f64(w)[1] = -2;
    for (int k = 0; k < 2; k++) {
        tg_tensor *l = tg_sum_all(tg_mul(w, w)); /* dl/dw = 2w */
        TT_CHECK(tg_backward(g, l) == TG_OK);
        tg_graph_reset(g);
    }
    TT_NEAR(tg_get(w->grad, 0), 6.0, 0);
    TT_NEAR(tg_get(w->grad, 1), -8.0, 0);
    tg_zero_grad(g);
    TT_NEAR(tg_get(w->grad, 0), 0.0, 0);
    tg_graph_free(g);
}

/* A frozen parameter gets no gradient; the other one does. */
static void frozen_param(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *a = tg_param(g, TG_F64, 0, NULL, "a");
    tg_tensor *b = tg_param(g, TG_F64, 0, NULL, "b");
    tg_f64(a)[0] = 2;
    tg_f64(b)[0] = 7;
    TT_CHECK(tg_set_requires_grad(a, false) == TG_OK);
    TT_CHECK(!tg_requires_grad(a));
    TT_CHECK(tg_backward(g, tg_mul(a, b)) == TG_OK);
    TT_NEAR(tg_item(a->grad), 0, 0);
    TT_NEAR(tg_item(b->grad), 2, 0);
    /* all frozen: nothing to differentiate is an error, not a crash */
    tg_set_requires_grad(b, false);
    tg_tensor *y = tg_mul(a, b);
    TT_CHECK(!tg_requires_grad(y));
    TT_CHECK(tg_backward(g, y) == TG_ERR_STATE);
    TT_CONTAINS(tg_graph_error(g), "does not require grad");
    /* an op output is not a leaf */
    tg_graph_reset(g);
    tg_set_requires_grad(b, true);
    TT_CHECK(tg_set_requires_grad(tg_mul(a, b), false) == TG_ERR_STATE);
    tg_graph_free(g);
}

static void no_grad_mode(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *w = tg_param(g, TG_F64, 0, NULL, "w");
    tg_f64(w)[0] = 3;
    bool prev = tg_set_grad_enabled(g, false);
    TT_CHECK(prev);
    tg_tensor *y = tg_mul(w, w);
    TT_NEAR(tg_item(y), 9, 0);
    TT_CHECK(!tg_requires_grad(y));
    TT_CHECK(tg_graph_num_nodes(g) == 0);
    tg_set_grad_enabled(g, true);
    tg_tensor *d = tg_detach(w);
    tg_tensor *z = tg_mul(d, w); /* only the right factor carries grad */
    TT_CHECK(tg_backward(g, z) == TG_OK);
    TT_NEAR(tg_item(w->grad), 3, 0);
    tg_graph_free(g);
}

/* d/dx x^3 = 3x^2; d2/dx2 = 6x, via tg_grad with create_graph. */
static void grad_of_grad(void)
{
    tg_graph *g = tg_graph_new();
    double xv = 1.7;
    tg_tensor *x = in64(g, 0, NULL, &xv, true);
    tg_tensor *y = tg_mul(tg_mul(x, x), x);
    tg_tensor *d1, *d2;
    TT_CHECK(tg_grad(g, &y, 1, NULL, &x, 1, true, &d1) == TG_OK);
    TT_NEAR(tg_item(d1), 3 * xv * xv, 1e-15);
    TT_CHECK(tg_requires_grad(d1));
    TT_CHECK(tg_grad(g, &d1, 1, NULL, &x, 1, true, &d2) == TG_OK);
    TT_NEAR(tg_item(d2), 6 * xv, 1e-15);
    tg_tensor *d3;
    TT_CHECK(tg_grad(g, &d2, 1, NULL, &x, 1, false, &d3) == TG_OK);
    TT_NEAR(tg_item(d3), 6, 1e-15);
    TT_CHECK(x->grad == NULL); /* tg_grad leaves ->grad alone */
    /* tanh: second derivative -2 tanh(x) (1 - tanh^2 x) */
    tg_tensor *t = tg_tanh(x);
    TT_CHECK(tg_grad(g, &t, 1, NULL, &x, 1, true, &d1) == TG_OK);
    TT_CHECK(tg_grad(g, &d1, 1, NULL, &x, 1, false, &d2) == TG_OK);
    double th = tanh(xv);
    TT_NEAR(tg_item(d1), 1 - th * th, 1e-15);
    TT_NEAR(tg_item(d2), -2 * th * (1 - th * th), 1e-14);
    tg_graph_free(g);
}

/* f(x) = sum(tanh(A x)) for x [3,1]; Hessian-vector product H v computed as
 * grad(<grad f, v>, x) against the closed form
 * H = A^T diag(-2 t (1 - t^2)) A with t = tanh(A x). */
static void hessian_vector(void)
{
    tg_graph *g = tg_graph_new();
    double Av[6] = {0.3, -0.7, 1.1, 0.5, 0.2, -0.4};
    double xv[3] = {0.4, -0.9, 0.25}, vv[3] = {1.0, 0.5, -2.0};
    tg_tensor *A = tg_input(g, TG_F64, TG_SHAPE(2, 3), Av);
    tg_tensor *x = in64(g, TG_SHAPE(3, 1), xv, true);
    tg_tensor *v = tg_input(g, TG_F64, TG_SHAPE(3, 1), vv);
    tg_tensor *f = tg_sum_all(tg_tanh(tg_matmul(A, x)));
    tg_tensor *gf, *hv;
    TT_CHECK(tg_grad(g, &f, 1, NULL, &x, 1, true, &gf) == TG_OK);
    tg_tensor *gv = tg_sum_all(tg_mul(gf, v));
    TT_CHECK(tg_grad(g, &gv, 1, NULL, &x, 1, false, &hv) == TG_OK);
    double d[2];
    for (int i = 0; i < 2; i++) {
        double z = 0;
        for (int j = 0; j < 3; j++) z += Av[i * 3 + j] * xv[j];
        double t = tanh(z);
        d[i] = -2 * t * (1 - t * t);
    }
    for (int k = 0; k < 3; k++) {
        double want = 0;
        for (int i = 0; i < 2; i++) {
            double av = 0;
            for (int j = 0; j < 3; j++) av += Av[i * 3 + j] * vv[j];
            want += Av[i * 3 + k] * d[i] * av;
        }
        TT_NEAR(tg_get(hv, k), want, 1e-14);
    }
    tg_graph_free(g);
}

/* Matmul gradients by hand: L = sum(A @ B); dA = 1 B^T, dB = A^T 1. */
static void matmul_grads(void)
{
    tg_graph *g = tg_graph_new();
    double av[6] = {1, 2, 3, 4, 5, 6}, bv[6] = {1, -1, 2, 0.5, 3, 0};
    tg_tensor *a = in64(g, TG_SHAPE(2, 3), av, true);
    tg_tensor *b = in64(g, TG_SHAPE(3, 2), bv, true);
    tg_tensor *c = tg_matmul(a, b);
    TT_NEAR(tg_get(c, 0), 1 * 1 + 2 * 2 + 3 * 3, 0);
    TT_NEAR(tg_get(c, 3), 4 * -1 + 5 * 0.5 + 6 * 0, 0);
    TT_CHECK(tg_backward(g, tg_sum_all(c)) == TG_OK);
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 3; k++)
            TT_NEAR(tg_get(a->grad, i * 3 + k), bv[k * 2] + bv[k * 2 + 1], 0);
    for (int k = 0; k < 3; k++)
        for (int j = 0; j < 2; j++)
            TT_NEAR(tg_get(b->grad, k * 2 + j), av[k] + av[3 + k], 0);
    tg_graph_free(g);
}

static void error_messages(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *a = tg_input(g, TG_F32, TG_SHAPE(128, 784), NULL);
    tg_tensor *b = tg_input(g, TG_F32, TG_SHAPE(256, 10), NULL);
    tg_tensor *c = tg_matmul(a, b);
    TT_CHECK(tg_graph_status(g) == TG_ERR_SHAPE);
    TT_STREQ(tg_graph_error(g),
             "tg_matmul: inner dimensions differ: [128,784] @ [256,10] (784 vs 256)");
    /* poison propagates without computing or replacing the first error */
    tg_tensor *d = tg_tanh(tg_add(c, a));
    TT_CHECK(d == c);
    TT_CHECK(tg_backward(g, tg_sum_all(d)) == TG_ERR_SHAPE);
    TT_STREQ(tg_graph_error(g),
             "tg_matmul: inner dimensions differ: [128,784] @ [256,10] (784 vs 256)");
    tg_graph_reset(g);
    TT_CHECK(tg_graph_error(g) == NULL);

    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(3, 4), NULL);
    tg_tensor *y = tg_input(g, TG_F64, TG_SHAPE(5), NULL);
    tg_add(x, y);
    TT_STREQ(tg_graph_error(g),
             "tg_add: shapes [3,4] and [5] do not broadcast (dim -1: 4 vs 5); "
             "hint: dims must match or be 1, aligned from the right");
    tg_graph_reset(g);
    x = tg_input(g, TG_F64, TG_SHAPE(3, 4), NULL);
    tg_tensor *x32 = tg_input(g, TG_F32, TG_SHAPE(3, 4), NULL);
    tg_mul(x, x32);
    TT_STREQ(tg_graph_error(g), "tg_mul: dtypes differ: input 1 is f64, input 2 "
                                "is f32; hint: convert with tg_cast");
    tg_graph_reset(g);
    x = tg_input(g, TG_F64, TG_SHAPE(3, 4), NULL);
    tg_sum(x, 1, (int64_t[]){2}, false);
    TT_STREQ(tg_graph_error(g), "tg_sum: axis 2 out of range for shape [3,4]; "
                                "hint: axes lie in [-2, 2)");
    tg_graph_reset(g);
    x = tg_input(g, TG_F64, TG_SHAPE(3, 4), NULL);
    tg_reshape(x, TG_SHAPE(5, -1));
    TT_STREQ(tg_graph_error(g), "tg_reshape: cannot infer -1 in [5,-1] from "
                                "[3,4] (12 elements)");
    tg_graph_reset(g);
    /* NULL input and stale tensors */
    x = tg_input(g, TG_F64, TG_SHAPE(2), NULL);
    TT_CHECK(tg_add(x, NULL) == tg_add(x, x)); /* both poison after the error */
    TT_STREQ(tg_graph_error(g), "tg_add: input 2 is NULL");
    tg_graph_reset(g);
    /* Detection is best-effort: it holds until the arena reuses the stale
     * tensor's memory (here, nothing is allocated after the reset). */
    tg_neg(x);
    TT_CONTAINS(tg_graph_error(g), "tg_neg: input 1 is stale");
    tg_graph_reset(g);
    /* overflow of the element count */
    tg_input(g, TG_F32, TG_SHAPE(INT64_C(1) << 40, INT64_C(1) << 40), NULL);
    TT_CHECK(tg_graph_status(g) == TG_ERR_SHAPE);
    TT_CONTAINS(tg_graph_error(g), "element count overflows");
    TT_CHECK(tg_add(NULL, NULL) == NULL);
    TT_CONTAINS(tg_last_error(), "tg_add: every input is NULL");
    tg_graph_free(g);
}

/* Small-tensor paths of the engine: every shape shortcut of the binary
 * shape rule and driver, against hand-computed values, next to the cases
 * that must still take the general broadcast. */
static void small_op_paths(void)
{
    tg_graph *g = tg_graph_new();
    double av[6] = {1, 2, 3, 4, 5, 6}, bv[6] = {0.5, -1, 2, 8, -4, 0.25};
    double s = 3, one = -2;
    tg_tensor *a = tg_input(g, TG_F64, TG_SHAPE(2, 3), av);
    tg_tensor *b = tg_input(g, TG_F64, TG_SHAPE(2, 3), bv);
    tg_tensor *sc = tg_input(g, TG_F64, 0, NULL, &s);
    tg_tensor *o11 = tg_input(g, TG_F64, TG_SHAPE(1, 1), &one);
    tg_tensor *o111 = tg_input(g, TG_F64, TG_SHAPE(1, 1, 1), &one);

    tg_tensor *y = tg_add(a, b); /* same shape */
    TT_CHECK(y->ndim == 2 && y->shape[0] == 2 && y->shape[1] == 3 && y->numel == 6);
    for (int i = 0; i < 6; i++) TT_NEAR(tg_get(y, i), av[i] + bv[i], 0);
    y = tg_mul(a, sc); /* 0-d operand */
    TT_CHECK(y->ndim == 2 && y->numel == 6);
    for (int i = 0; i < 6; i++) TT_NEAR(tg_get(y, i), av[i] * 3, 0);
    y = tg_sub(o11, a); /* [1,1] on the left, no more dims than the other */
    TT_CHECK(y->ndim == 2 && y->shape[0] == 2 && y->shape[1] == 3);
    for (int i = 0; i < 6; i++) TT_NEAR(tg_get(y, i), -2 - av[i], 0);
    y = tg_div(a, o111); /* one element but more dims: result gains a dim */
    TT_CHECK(y->ndim == 3 && y->shape[0] == 1 && y->shape[1] == 2 &&
             y->shape[2] == 3 && y->numel == 6);
    for (int i = 0; i < 6; i++) TT_NEAR(tg_get(y, i), av[i] / -2, 0);
    y = tg_mul(sc, sc); /* 0-d with 0-d */
    TT_CHECK(y->ndim == 0 && y->numel == 1);
    TT_NEAR(tg_item(y), 9, 0);
    tg_tensor *col = tg_input(g, TG_F64, TG_SHAPE(2, 1), (double[]){10, 20});
    y = tg_add(col, tg_input(g, TG_F64, TG_SHAPE(3), (double[]){1, 2, 3}));
    TT_CHECK(y->ndim == 2 && y->shape[0] == 2 && y->shape[1] == 3);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            TT_NEAR(tg_get(y, i * 3 + j), 10.0 * (i + 1) + (j + 1), 0);
    y = tg_add(tg_input(g, TG_F64, TG_SHAPE(0, 3), NULL), o11); /* empty */
    TT_CHECK(y->ndim == 2 && y->shape[0] == 0 && y->shape[1] == 3 && y->numel == 0);
    /* A rule that starts from the broadcast rule and then changes the
     * shape (mse reduces to 0-d) gets its element count from the final
     * shape. */
    y = tg_mse(a, b);
    TT_CHECK(y->ndim == 0 && y->numel == 1);
    double want = 0;
    for (int i = 0; i < 6; i++) want += (av[i] - bv[i]) * (av[i] - bv[i]);
    TT_NEAR(tg_item(y), want / 6, 1e-15);
    TT_CHECK(tg_graph_error(g) == NULL);

    /* Above the threading threshold the general driver runs; f32 too. */
    enum { N = 40000 };
    float *xv = malloc(sizeof(float) * N);
    for (int i = 0; i < N; i++) xv[i] = (float)(i % 97) - 48;
    tg_tensor *big = tg_input(g, TG_F32, TG_SHAPE(200, N / 200), xv);
    tg_tensor *half = tg_scalar(g, TG_F32, 0.5);
    tg_tensor *rowv = tg_input(g, TG_F32, TG_SHAPE(200, 1), NULL);
    for (int i = 0; i < 200; i++) tg_f32(rowv)[i] = (float)i;
    tg_tensor *y1 = tg_mul(big, half), *y2 = tg_add(big, rowv);
    TT_CHECK(y2->ndim == 2 && y2->shape[0] == 200 && y2->shape[1] == N / 200);
    int bad1 = 0, bad2 = 0;
    for (int i = 0; i < N; i++) {
        bad1 += tg_f32(y1)[i] != xv[i] * 0.5f;
        bad2 += tg_f32(y2)[i] != xv[i] + (float)(i / (N / 200));
    }
    TT_CHECK(bad1 == 0 && bad2 == 0);
    free(xv);
    tg_graph_free(g);
}

/* With grad mode off an op is computed but not recorded; its values,
 * attributes and anomaly reports are those of a recorded op. */
static void no_grad_values(void)
{
    tg_graph *g = tg_graph_new();
    double xv[3] = {-1, 0.5, 2};
    tg_tensor *x = in64(g, TG_SHAPE(3), xv, true);
    tg_set_grad_enabled(g, false);
    tg_tensor *y = tg_add_scalar(tg_mul_scalar(tg_mul(x, x), -1.5), 0.25);
    TT_CHECK(!tg_requires_grad(y) && tg_graph_num_nodes(g) == 0);
    for (int i = 0; i < 3; i++) TT_NEAR(tg_get(y, i), -1.5 * xv[i] * xv[i] + 0.25, 0);
    tg_set_anomaly(g, true);
    tg_div(x, tg_scalar(g, TG_F64, 0));
    TT_CHECK(tg_graph_status(g) == TG_ERR_NUMERIC);
    TT_STREQ(tg_graph_error(g),
             "tg_div: anomaly: the output holds Inf at flat index 0 (node #0 "
             "in forward order; inputs [3], [])");
    tg_graph_reset(g);
    tg_set_grad_enabled(g, true);
    x = in64(g, TG_SHAPE(3), xv, true);
    y = tg_mul(x, x);
    tg_div(y, tg_scalar(g, TG_F64, 0));
    TT_STREQ(tg_graph_error(g),
             "tg_div: anomaly: the output holds Inf at flat index 0 (node #1 "
             "in forward order; inputs [3], [])");
    tg_graph_free(g);
}

/* The benchmark's chain x <- tanh(x w + b) in f64, backpropagated by the
 * engine and by hand (reverse sweep in long double over the saved x). */
static void scalar_chain(void)
{
    enum { L = 60 };
    tg_graph *g = tg_graph_new();
    tg_tensor *w = tg_param(g, TG_F64, 0, NULL, "w");
    tg_tensor *b = tg_param(g, TG_F64, 0, NULL, "b");
    tg_f64(w)[0] = 0.9;
    tg_f64(b)[0] = 0.1;
    long double xs[L + 1];
    xs[0] = 0.5L;
    for (int step = 0; step < 3; step++) { /* reset between steps */
        tg_zero_grad(g);
        tg_tensor *x = tg_scalar(g, TG_F64, 0.5);
        for (int i = 0; i < L; i++) x = tg_tanh(tg_add(tg_mul(x, w), b));
        TT_CHECK(tg_graph_num_nodes(g) == 3 * L);
        TT_CHECK(tg_backward(g, x) == TG_OK);
        for (int i = 0; i < L; i++) xs[i + 1] = tanhl(xs[i] * 0.9L + 0.1L);
        long double gx = 1, gw = 0, gb = 0;
        for (int i = L - 1; i >= 0; i--) {
            long double gz = gx * (1 - xs[i + 1] * xs[i + 1]);
            gw += gz * xs[i];
            gb += gz;
            gx = gz * 0.9L;
        }
        TT_NEAR(tg_item(x), (double)xs[L], 1e-14);
        TT_NEAR(tg_item(w->grad), (double)gw, 1e-13);
        TT_NEAR(tg_item(b->grad), (double)gb, 1e-13);
        tg_graph_reset(g);
    }
    tg_graph_free(g);
}

/* Element-count limits: every partial product of the dims must stay at or
 * below INT64_MAX / 16; a zero dim before a huge one is fine. */
static void numel_limits(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *t = tg_input(g, TG_F32, TG_SHAPE(0, INT64_MAX), NULL);
    TT_CHECK(tg_graph_error(g) == NULL && t->numel == 0);
    tg_input(g, TG_F32, TG_SHAPE(INT64_MAX, 0), NULL);
    TT_STREQ(tg_graph_error(g),
             "tg_input: shape [9223372036854775807,0] has a negative dim or "
             "too many elements (element count overflows)");
    tg_graph_reset(g);
    tg_input(g, TG_F32, TG_SHAPE(INT64_C(1) << 29, INT64_C(1) << 30), NULL);
    TT_CONTAINS(tg_graph_error(g), "element count overflows");
    tg_graph_reset(g);
    tg_input(g, TG_F32, TG_SHAPE(3, -1), NULL);
    TT_CONTAINS(tg_graph_error(g), "element count overflows");
    tg_graph_free(g);
}

/* 1,000,000 chained nodes: ordering and the reverse walk use no recursion. */
static void deep_chain(void)
{
    tg_graph *g = tg_graph_new();
    double xv = 0.5;
    tg_tensor *x = in64(g, 0, NULL, &xv, true);
    tg_tensor *y = x;
    const int n = 1000000;
    for (int i = 0; i < n; i++) y = tg_add_scalar(y, 1e-6);
    TT_CHECK(tg_graph_num_nodes(g) == n);
    TT_CHECK(tg_backward(g, y) == TG_OK);
    TT_NEAR(tg_item(x->grad), 1.0, 0);
    TT_NEAR(tg_item(y), 0.5 + 1.0, 1e-9);
    tg_graph_free(g);
}

/* Steady training loop: no allocation after the first step. */
static void no_malloc_steady_loop(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *W = tg_param(g, TG_F32, TG_SHAPE(16, 8), "W");
    tg_tensor *b = tg_param(g, TG_F32, TG_SHAPE(8), "b");
    for (int i = 0; i < 128; i++) tg_f32(W)[i] = (float)((i % 7) - 3) * 0.1f;
    float xv[32 * 16];
    for (int i = 0; i < 32 * 16; i++) xv[i] = (float)((i * 37) % 11) * 0.1f - 0.5f;
    uint64_t after_first = 0;
    for (int step = 0; step < 5; step++) {
        tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(32, 16), xv);
        tg_tensor *h = tg_tanh(tg_add(tg_matmul(x, W), b));
        tg_tensor *l = tg_sum_all(tg_mul(h, h));
        TT_CHECK(tg_backward(g, l) == TG_OK);
        tg_zero_grad(g);
        tg_graph_reset(g);
        if (step == 0) after_first = tg_alloc_count();
    }
    TT_CHECK(tg_alloc_count() == after_first);
    tg_graph_free(g);
}

/* Fail the Nth allocation of a small training step for every N it reaches:
 * each run reports TG_ERR_OOM (never crashes) and frees everything. */
static long fail_at, n_allocs, live;
static void *failing_alloc(size_t size, size_t align, void *ud)
{
    (void)ud;
    if (++n_allocs == fail_at) return NULL;
    size_t r = (size + align - 1) & ~(align - 1);
    void *p = aligned_alloc(align, r);
    if (p) live++;
    if (p) memset(p, 0xA5, r); /* no reliance on fresh pages being zero */
    return p;
}
static void failing_free(void *p, void *ud)
{
    (void)ud;
    if (p) live--;
    free(p);
}

static tg_status small_step(void)
{
    tg_graph *g = tg_graph_new();
    if (!g) return TG_ERR_OOM;
    tg_tensor *W = tg_param(g, TG_F64, TG_SHAPE(4, 3), "W");
    tg_tensor *b = tg_param(g, TG_F64, TG_SHAPE(3), "b");
    tg_status st = tg_graph_status(g);
    if (st == TG_OK) {
        double xv[8] = {1, 2, 3, 4, 5, 6, 7, 8};
        tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(2, 4), xv);
        tg_tensor *y = tg_tanh(tg_add(tg_matmul(x, W), b));
        st = tg_backward(g, tg_sum_all(tg_mul(y, y)));
    }
    if (st == TG_OK) { /* the graph stays usable after an error + reset */
        tg_graph_reset(g);
        tg_tensor *y = tg_sum_all(tg_mul(W, W));
        st = tg_backward(g, y);
    }
    tg_graph_free(g);
    return st;
}

static void allocation_failures(void)
{
    tg_set_allocator(failing_alloc, failing_free, NULL);
    fail_at = -1;
    n_allocs = live = 0;
    TT_CHECK(small_step() == TG_OK);
    long total = n_allocs;
    TT_CHECK(total > 5);
    int oom = 0;
    for (long k = 1; k <= total; k++) {
        fail_at = k;
        n_allocs = live = 0;
        tg_status st = small_step();
        if (st == TG_ERR_OOM) oom++;
        if (live != 0) fprintf(stderr, "leak with failure at %ld\n", k);
        TT_CHECK(live == 0);
    }
    TT_CHECK(oom == total); /* every allocation point reports OOM */
    tg_set_allocator(NULL, NULL, NULL);
}

/* Per-step input leaves get a graph-owned ->grad on their first backward
 * (the gradient is copied in), later backward calls in the step add to
 * it. When making one of those buffers fails, every ->grad made by the
 * failed call reads as zeros and nothing is delivered. */
static void input_leaf_grads(void)
{
    tg_graph *g = tg_graph_new();
    double av[3] = {1, -2, 0.5}, bv[3] = {3, 0.25, -1};
    tg_tensor *a = in64(g, TG_SHAPE(3), av, true);
    tg_tensor *b = in64(g, TG_SHAPE(3), bv, true);
    for (int k = 1; k <= 2; k++) { /* d/da sum(a*a*b) = 2ab, d/db = a^2 */
        TT_CHECK(tg_backward(g, tg_sum_all(tg_mul(tg_mul(a, a), b))) == TG_OK);
        for (int i = 0; i < 3; i++) {
            TT_NEAR(tg_get(a->grad, i), k * 2 * av[i] * bv[i], 0);
            TT_NEAR(tg_get(b->grad, i), k * av[i] * av[i], 0);
        }
    }
    tg_graph_free(g);

    /* Inputs of 2^18 doubles: each new grad buffer takes arena chunks of
     * its own, so allocation failures land between the two. */
    enum { N = 1 << 18 };
    double *v = malloc(sizeof(double) * N);
    for (int i = 0; i < N; i++) v[i] = (double)(i % 7) - 3;
    tg_set_allocator(failing_alloc, failing_free, NULL);
    int ok = 0, oom = 0, bad = 0;
    for (long k = 1; k < 60 && !ok; k++) {
        fail_at = k;
        n_allocs = live = 0;
        g = tg_graph_new();
        if (!g) continue;
        a = in64(g, TG_SHAPE(N), v, true);
        b = in64(g, TG_SHAPE(N), v, true);
        tg_status st = tg_backward(g, tg_sum_all(tg_mul(a, b)));
        if (st == TG_OK) {
            ok = 1;
            for (int i = 0; i < N; i++)
                bad += tg_get(a->grad, i) != v[i] || tg_get(b->grad, i) != v[i];
        } else if (st == TG_ERR_OOM) {
            oom++;
            const tg_tensor *gs[2] = {a->grad, b->grad};
            for (int j = 0; j < 2; j++)
                for (int i = 0; gs[j] && i < N; i++) bad += tg_get(gs[j], i) != 0;
        }
        tg_graph_free(g);
        TT_CHECK(live == 0);
    }
    tg_set_allocator(NULL, NULL, NULL);
    TT_CHECK(ok && oom > 3 && bad == 0);
    free(v);
}

/* ------------------------------------------------ gradient delivery paths
 *
 * After a zero_grad, backward writes a parameter's first contribution into
 * its ->grad instead of adding it to the zeros (linear writes its weight
 * and bias gradients there directly). These tests hold that path to the
 * general one (fresh parameters, never zeroed, take the addition) and to
 * gradients derived by hand in long double: L = sum(y^2)/2, so dL/dy = y,
 * dW = x^T y and db = the row sums of y. */

static double fillv(int64_t i, double s) { return sin(0.7 * (double)i + s); }

static void set_all(tg_tensor *t, double s)
{
    for (int64_t i = 0; i < t->numel; i++) {
        if (t->dtype == TG_F32) tg_f32(t)[i] = (float)fillv(i, s);
        else tg_f64(t)[i] = fillv(i, s);
    }
}

/* dW [K,N], db [N] of L = sum((x W + b)^2)/2, x [M,K], from the values the
 * tensors hold (so f32 inputs are used as stored). */
static void ref_linear(const tg_tensor *x, const tg_tensor *W,
                       const tg_tensor *b, int64_t M, long double *dW,
                       long double *db)
{
    int64_t K = W->shape[0], N = W->shape[1];
    for (int64_t i = 0; i < K * N; i++) dW[i] = 0;
    for (int64_t j = 0; j < N; j++) db[j] = 0;
    for (int64_t r = 0; r < M; r++)
        for (int64_t j = 0; j < N; j++) {
            long double y = b ? tg_get(b, j) : 0;
            for (int64_t k = 0; k < K; k++)
                y += (long double)tg_get(x, r * K + k) * tg_get(W, k * N + j);
            for (int64_t k = 0; k < K; k++) dW[k * N + j] += tg_get(x, r * K + k) * y;
            db[j] += y;
        }
}

static tg_status linear_loss_backward(tg_graph *g, tg_tensor *W, tg_tensor *b,
                                      tg_dtype dt, int64_t M, bool vec)
{
    int64_t K = W->shape[0];
    tg_tensor *x = vec ? tg_input(g, dt, TG_SHAPE(K), NULL)
                       : tg_input(g, dt, TG_SHAPE(M, K), NULL);
    set_all(x, 2.0);
    tg_tensor *y = tg_linear(x, W, b);
    return tg_backward(g, tg_mul_scalar(tg_sum_all(tg_mul(y, y)), 0.5));
}

static bool same_values(const tg_tensor *a, const double *ref)
{
    for (int64_t i = 0; i < a->numel; i++)
        if (tg_get(a, i) != ref[i]) return false;
    return true;
}

static bool all_zero(const tg_tensor *t)
{
    for (int64_t i = 0; i < t->numel; i++)
        if (tg_get(t, i) != 0) return false;
    return true;
}

static void direct_linear_case(tg_dtype dt, int64_t M, bool bias, bool vec)
{
    int64_t K = 5, N = 7;
    double tol = dt == TG_F32 ? 2e-6 : 1e-14;
    tg_graph *g = tg_graph_new();
    tg_tensor *W = tg_param(g, dt, TG_SHAPE(K, N), "W");
    tg_tensor *b = bias ? tg_param(g, dt, TG_SHAPE(N), "b") : NULL;
    set_all(W, 0.3);
    if (b) set_all(b, 1.1);
    tg_tensor *x = vec ? tg_input(g, dt, TG_SHAPE(K), NULL)
                       : tg_input(g, dt, TG_SHAPE(M, K), NULL);
    set_all(x, 2.0);
    long double rW[35], rb[7];
    ref_linear(x, W, b, M, rW, rb);

    /* the general path: never zeroed, so added into the calloc'd buffer */
    TT_CHECK(linear_loss_backward(g, W, b, dt, M, vec) == TG_OK);
    double gW[35], gb[7];
    for (int64_t i = 0; i < K * N; i++) {
        gW[i] = tg_get(W->grad, i);
        TT_NEAR(gW[i], (double)rW[i], tol);
    }
    for (int64_t j = 0; b && j < N; j++) {
        gb[j] = tg_get(b->grad, j);
        TT_NEAR(gb[j], (double)rb[j], tol);
    }
    tg_graph_reset(g);

    /* zeroed, then the direct path: the same values, bit for bit */
    tg_zero_grad(g);
    TT_CHECK(all_zero(W->grad) && (!b || all_zero(b->grad)));
    TT_CHECK(linear_loss_backward(g, W, b, dt, M, vec) == TG_OK);
    TT_CHECK(same_values(W->grad, gW));
    TT_CHECK(!b || same_values(b->grad, gb));
    tg_graph_reset(g);

    /* no zero_grad in between: the second call adds */
    TT_CHECK(linear_loss_backward(g, W, b, dt, M, vec) == TG_OK);
    double g2W[35], g2b[7];
    for (int64_t i = 0; i < K * N; i++) g2W[i] = 2 * gW[i];
    for (int64_t j = 0; j < N; j++) g2b[j] = 2 * gb[j];
    TT_CHECK(same_values(W->grad, g2W));
    TT_CHECK(!b || same_values(b->grad, g2b));
    /* and backward twice on one recorded graph adds too */
    tg_graph_reset(g);
    tg_tensor_zero_grad(W);
    if (b) tg_tensor_zero_grad(b);
    x = vec ? tg_input(g, dt, TG_SHAPE(K), NULL)
            : tg_input(g, dt, TG_SHAPE(M, K), NULL);
    set_all(x, 2.0);
    tg_tensor *y = tg_linear(x, W, b);
    tg_tensor *l = tg_mul_scalar(tg_sum_all(tg_mul(y, y)), 0.5);
    TT_CHECK(tg_backward(g, l) == TG_OK);
    TT_CHECK(tg_backward(g, l) == TG_OK);
    TT_CHECK(same_values(W->grad, g2W));
    TT_CHECK(!b || same_values(b->grad, g2b));
    tg_zero_grad(g);
    TT_CHECK(all_zero(W->grad) && (!b || all_zero(b->grad)));
    tg_graph_free(g);
}

static void direct_grad_linear(void)
{
    for (int d = 0; d < 2; d++) {
        tg_dtype dt = d ? TG_F64 : TG_F32;
        direct_linear_case(dt, 1, true, false);  /* batch 1: outer product */
        direct_linear_case(dt, 4, true, false);  /* batch 4: gemm          */
        direct_linear_case(dt, 3, false, false); /* no bias                */
        direct_linear_case(dt, 1, true, true);   /* x a vector [K]         */
        direct_linear_case(dt, 0, true, false);  /* no rows: zero gradients */
    }
}

/* One W in two linear nodes (shared weights), in a product with itself
 * (a leaf in two slots of one node), and next to an op that does not
 * write in place (mul), in both orders on the tape; frozen parameters.
 * With h = x W + b, y = h W + b, L = sum(y^2)/2 + c sum(W^2):
 *   gy = y, gh = gy W^T,
 *   dW = h^T gy + x^T gh + 2 c W,  db = colsum(gy) + colsum(gh). */
static void direct_grad_shared(void)
{
    for (int d = 0; d < 2; d++) {
        tg_dtype dt = d ? TG_F64 : TG_F32;
        double tol = d ? 1e-13 : 2e-5;
        enum { M = 2, K = 3 };
        const double c = 0.25;
        for (int order = 0; order < 2; order++) {
            tg_graph *g = tg_graph_new();
            tg_tensor *W = tg_param(g, dt, TG_SHAPE(K, K), "W");
            tg_tensor *b = tg_param(g, dt, TG_SHAPE(K), "b");
            set_all(W, 0.4);
            set_all(b, -0.2);
            long double xv[M][K], h[M][K], y[M][K], gh[M][K];
            long double w[K][K], bv[K], dW[K][K] = {{0}}, db[K] = {0};
            tg_tensor *x = tg_input(g, dt, TG_SHAPE(M, K), NULL);
            set_all(x, 1.0);
            for (int i = 0; i < K; i++) {
                bv[i] = tg_get(b, i);
                for (int j = 0; j < K; j++) w[i][j] = tg_get(W, i * K + j);
            }
            for (int r = 0; r < M; r++)
                for (int j = 0; j < K; j++) xv[r][j] = tg_get(x, r * K + j);
            for (int r = 0; r < M; r++)
                for (int j = 0; j < K; j++) {
                    h[r][j] = bv[j];
                    for (int k = 0; k < K; k++) h[r][j] += xv[r][k] * w[k][j];
                }
            for (int r = 0; r < M; r++)
                for (int j = 0; j < K; j++) {
                    y[r][j] = bv[j];
                    for (int k = 0; k < K; k++) y[r][j] += h[r][k] * w[k][j];
                }
            for (int r = 0; r < M; r++)
                for (int k = 0; k < K; k++) {
                    gh[r][k] = 0;
                    for (int j = 0; j < K; j++) gh[r][k] += y[r][j] * w[k][j];
                }
            for (int k = 0; k < K; k++)
                for (int j = 0; j < K; j++) {
                    dW[k][j] = 2 * c * w[k][j];
                    for (int r = 0; r < M; r++)
                        dW[k][j] += h[r][k] * y[r][j] + xv[r][k] * gh[r][j];
                }
            for (int j = 0; j < K; j++)
                for (int r = 0; r < M; r++) db[j] += y[r][j] + gh[r][j];

            tg_zero_grad(g);
            for (int rep = 1; rep <= 2; rep++) { /* second one adds */
                tg_tensor *reg = tg_mul_scalar(tg_sum_all(tg_mul(W, W)), c);
                tg_tensor *hh = tg_linear(x, W, b);
                tg_tensor *yy = tg_linear(hh, W, b);
                tg_tensor *l = tg_mul_scalar(tg_sum_all(tg_mul(yy, yy)), 0.5);
                l = order ? tg_add(reg, l) : tg_add(l, reg);
                TT_CHECK(tg_backward(g, l) == TG_OK);
                for (int k = 0; k < K; k++)
                    for (int j = 0; j < K; j++)
                        TT_NEAR(tg_get(W->grad, k * K + j),
                                rep * (double)dW[k][j], tol);
                for (int j = 0; j < K; j++)
                    TT_NEAR(tg_get(b->grad, j), rep * (double)db[j], tol);
            }

            /* W in both slots of one node: Y = W W, L = sum(Y^2)/2,
             * dW = Y W^T + W^T Y. Frozen b keeps zeros. */
            tg_graph_reset(g);
            tg_zero_grad(g);
            TT_CHECK(tg_set_requires_grad(b, false) == TG_OK);
            tg_tensor *Y = tg_linear(W, W, b);
            TT_CHECK(tg_backward(g, tg_mul_scalar(tg_sum_all(tg_mul(Y, Y)),
                                                  0.5)) == TG_OK);
            long double yy[K][K];
            for (int i = 0; i < K; i++)
                for (int j = 0; j < K; j++) {
                    yy[i][j] = bv[j];
                    for (int k = 0; k < K; k++) yy[i][j] += w[i][k] * w[k][j];
                }
            for (int i = 0; i < K; i++)
                for (int j = 0; j < K; j++) {
                    long double s = 0;
                    for (int k = 0; k < K; k++)
                        s += yy[i][k] * w[j][k] + w[k][i] * yy[k][j];
                    TT_NEAR(tg_get(W->grad, i * K + j), (double)s, tol);
                }
            TT_CHECK(all_zero(b->grad));
            tg_graph_free(g);
        }
    }
}

/* What zero_grad promises a user who reads and writes ->grad: it reads as
 * zeros; values written there by hand before the next backward are
 * replaced by that backward's gradient, not added to (for a parameter the
 * backward reaches; one it does not reach keeps them); tg_grad leaves
 * ->grad alone. */
static void zero_grad_contract(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *W = tg_param(g, TG_F64, TG_SHAPE(2, 2), "W");
    tg_tensor *u = tg_param(g, TG_F64, TG_SHAPE(2), "u");
    tg_tensor *v = tg_param(g, TG_F64, TG_SHAPE(2), "v");
    set_all(W, 0.5);
    set_all(u, 1.5);
    double xv[2] = {1, -2};
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(1, 2), xv);
    /* L = sum(x W) + sum(u*u): dW[k][j] = x[k], du = 2u */
    TT_CHECK(tg_backward(g, tg_add(tg_sum_all(tg_linear(x, W, NULL)),
                                   tg_sum_all(tg_mul(u, u)))) == TG_OK);
    tg_zero_grad(g);
    TT_CHECK(all_zero(W->grad) && all_zero(u->grad) && all_zero(v->grad));
    for (int i = 0; i < 4; i++) tg_f64(W->grad)[i] = 100;
    for (int i = 0; i < 2; i++) tg_f64(u->grad)[i] = 100;
    tg_f64(v->grad)[0] = 7;
    tg_graph_reset(g);
    x = tg_input(g, TG_F64, TG_SHAPE(1, 2), xv);
    tg_tensor *grads[1];
    tg_tensor *l = tg_add(tg_sum_all(tg_linear(x, W, NULL)),
                          tg_sum_all(tg_mul(u, u)));
    TT_CHECK(tg_grad(g, &l, 1, NULL, &W, 1, false, grads) == TG_OK);
    TT_NEAR(tg_get(grads[0], 2), -2, 0);
    TT_NEAR(tg_get(W->grad, 0), 100, 0); /* tg_grad: ->grad untouched */
    TT_CHECK(tg_backward(g, l) == TG_OK);
    for (int k = 0; k < 2; k++)
        for (int j = 0; j < 2; j++) TT_NEAR(tg_get(W->grad, k * 2 + j), xv[k], 0);
    for (int i = 0; i < 2; i++) TT_NEAR(tg_get(u->grad, i), 2 * tg_get(u, i), 0);
    TT_NEAR(tg_get(v->grad, 0), 7, 0); /* not reached: kept */
    /* with no zero_grad since, hand-written values are added to */
    tg_f64(u->grad)[0] += 1;
    TT_CHECK(tg_backward(g, l) == TG_OK);
    TT_NEAR(tg_get(u->grad, 0), 4 * tg_get(u, 0) + 1, 1e-15);
    tg_graph_free(g);
}

/* A backward that fails after writing a gradient in place delivers
 * nothing: the buffer holds its zeros again. Anomaly mode stops the pass
 * at sqrt's gradient (infinite at 0), which runs after linear's. */
static void direct_grad_failure(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *W = tg_param(g, TG_F64, TG_SHAPE(2, 3), "W");
    tg_tensor *p = tg_param(g, TG_F64, TG_SHAPE(1, 2), "p");
    set_all(W, 0.1);
    tg_f64(p)[0] = 0; /* sqrt'(0) = inf */
    tg_f64(p)[1] = 4;
    tg_zero_grad(g);
    tg_set_anomaly(g, true);
    tg_tensor *y = tg_linear(tg_sqrt(p), W, NULL);
    TT_CHECK(tg_backward(g, tg_sum_all(y)) == TG_ERR_NUMERIC);
    TT_CONTAINS(tg_graph_error(g), "sqrt");
    TT_CHECK(all_zero(W->grad) && all_zero(p->grad));
    /* still known zero: the next pass writes in place and is right */
    tg_graph_reset(g);
    tg_set_anomaly(g, false);
    tg_f64(p)[0] = 1;
    y = tg_linear(tg_sqrt(p), W, NULL);
    TT_CHECK(tg_backward(g, tg_sum_all(y)) == TG_OK);
    for (int j = 0; j < 3; j++) {
        TT_NEAR(tg_get(W->grad, j), 1, 0);     /* sqrt(1) */
        TT_NEAR(tg_get(W->grad, 3 + j), 2, 0); /* sqrt(4) */
    }
    /* dL/dp_k = (sum_j W[k][j]) / (2 sqrt(p_k)) */
    for (int k = 0; k < 2; k++) {
        double s = 0;
        for (int j = 0; j < 3; j++) s += tg_get(W, k * 3 + j);
        TT_NEAR(tg_get(p->grad, k), s / (2 * sqrt(tg_get(p, k))), 1e-15);
    }
    tg_graph_free(g);
}

/* The same when the failure comes from another input of the node whose
 * VJP wrote in place: linear writes W's gradient into W->grad, then the
 * engine finds x's gradient infinite (1e300 * 1e10 * 2). Every input
 * written in place gets its zeros back, whichever input fails. */
static void direct_grad_failure_same_node(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *W = tg_param(g, TG_F64, TG_SHAPE(3, 2), "W");
    tg_tensor *b = tg_param(g, TG_F64, TG_SHAPE(2), "b");
    tg_tensor *x = tg_param(g, TG_F64, TG_SHAPE(1, 3), "x");
    for (int i = 0; i < 6; i++) tg_f64(W)[i] = 1e10;
    for (int i = 0; i < 2; i++) tg_f64(b)[i] = 0.5;
    for (int i = 0; i < 3; i++) tg_f64(x)[i] = 1e-10;
    tg_zero_grad(g);
    tg_set_anomaly(g, true);
    tg_tensor *y = tg_linear(x, W, b); /* 3.5 each: finite */
    TT_CHECK(tg_graph_status(g) == TG_OK);
    TT_CHECK(tg_backward(g, tg_sum_all(tg_mul_scalar(y, 1e300))) ==
             TG_ERR_NUMERIC);
    TT_CONTAINS(tg_graph_error(g), "gradient of input 1");
    TT_CHECK(all_zero(W->grad) && all_zero(b->grad) && all_zero(x->grad));
    /* known zero still: a pass that succeeds delivers the whole gradient */
    tg_graph_reset(g);
    tg_set_anomaly(g, false);
    y = tg_linear(x, W, b);
    TT_CHECK(tg_backward(g, tg_sum_all(tg_mul_scalar(y, 2))) == TG_OK);
    for (int j = 0; j < 6; j++) TT_NEAR(tg_get(W->grad, j), 2e-10, 1e-25);
    for (int j = 0; j < 2; j++) TT_NEAR(tg_get(b->grad, j), 2, 0);
    for (int j = 0; j < 3; j++) TT_NEAR(tg_get(x->grad, j), 4e10, 1e-5);
    tg_graph_free(g);
}

static void rng_reproducible(void)
{
    tg_rng a, b;
    tg_rng_seed(&a, 42);
    tg_rng_seed(&b, 42);
    for (int i = 0; i < 100; i++) TT_CHECK(tg_rng_next(&a) == tg_rng_next(&b));
    double s = 0, s2 = 0;
    for (int i = 0; i < 100000; i++) {
        double z = tg_rng_normal(&a);
        s += z;
        s2 += z * z;
    }
    TT_NEAR(s / 100000, 0.0, 0.02);
    TT_NEAR(s2 / 100000, 1.0, 0.02);
    double u = tg_rng_uniform(&a);
    TT_CHECK(u >= 0 && u < 1);
}

/* tg_backward(loss) on a graph that holds no error, and how much it grew
 * the graph's arena. */
static int64_t backward_growth(tg_graph *g, tg_tensor *loss)
{
    TT_CHECK(tg_graph_status(g) == TG_OK);
    int64_t before = tg_graph_memory_used(g);
    TT_CHECK(tg_backward(g, loss) == TG_OK);
    return tg_graph_memory_used(g) - before;
}

/* Gradients of many slices of one tensor (unbind over T rows, and strided
 * slices) are added into the tensor's accumulator in place: the values
 * match the recorded (create_graph) path, and the backward pass holds a
 * few tensors of x's size (18x x here, the small per-slice gradients
 * included), not one per slice (306x before the in-place addition). */
static void slice_grads_in_place(void)
{
    enum { T = 256, W = 64 };
    for (int dt = 0; dt < 2; dt++) {
        tg_dtype type = dt ? TG_F32 : TG_F64;
        tg_graph *g = tg_graph_new();
        tg_tensor *x = tg_zeros(g, type, TG_SHAPE(T, W));
        for (int64_t i = 0; i < x->numel; i++) {
            double v = sin(0.37 * (double)i);
            if (dt) tg_f32(x)[i] = (float)v;
            else tg_f64(x)[i] = v;
        }
        tg_set_requires_grad(x, true);
        tg_tensor *rows[T];
        TT_CHECK(tg_unbind(x, 0, rows, T) == T);
        tg_tensor *loss = tg_sum_all(tg_mul(x, x));
        for (int k = 0; k < T; k++)
            loss = tg_add(loss, tg_sum_all(tg_mul_scalar(rows[k], k + 1)));
        /* rows 1, 4, 7, ... once more, and columns 0, 2, 4, ... */
        loss = tg_add(loss, tg_sum_all(tg_slice(x, 0, 1, T, 3)));
        loss = tg_add(loss, tg_sum_all(tg_mul_scalar(tg_slice(x, 1, 0, W, 2), 0.5)));
        /* and a block of columns, as an LSTM's gates are cut (step 1 along
         * the last axis: one run per row) */
        loss = tg_add(loss, tg_sum_all(tg_mul_scalar(tg_slice(x, 1, 16, 48, 1), 0.25)));
        int64_t grew = backward_growth(g, loss);
        int64_t xbytes = x->numel * (dt ? 4 : 8);
        printf("  %s: backward through %d slices grew the arena by %lld bytes "
               "(x is %lld)\n", dt ? "f32" : "f64", T + 3, (long long)grew,
               (long long)xbytes);
        TT_CHECK(grew <= 32 * xbytes);
        /* d/dx = 2x + (row + 1) + [row % 3 == 1] + 0.5 [col even]
         *        + 0.25 [16 <= col < 48] */
        for (int r = 0; r < T; r++)
            for (int c = 0; c < W; c++) {
                int64_t i = (int64_t)r * W + c;
                double want = 2 * tg_get(x, i) + (r + 1) + (r % 3 == 1) +
                              0.5 * (c % 2 == 0) + 0.25 * (c >= 16 && c < 48);
                TT_NEAR(tg_get(x->grad, i), want, (dt ? 1e-5 : 1e-14) * fabs(want));
            }
        /* the recorded path (VJP of every slice) gives the same numbers */
        tg_tensor *gr = NULL;
        TT_CHECK(tg_grad(g, &loss, 1, NULL, &x, 1, true, &gr) == TG_OK && gr);
        for (int64_t i = 0; i < x->numel; i++)
            TT_CHECK(tg_get(gr, i) == tg_get(x->grad, i));
        tg_graph_free(g);
    }
}

/* A weight shared by many products (an RNN's W_hh over time steps):
 * after its gradient's first contribution, each product adds its part
 * into the accumulator with gemm's beta = 1 (tg__matmul_add_into_b), for
 * every pair of transpose flags. The totals match the recorded
 * (create_graph) path to rounding, and the backward pass makes no tensor
 * of W's size per product. */
static void matmul_grads_in_place(void)
{
    enum { T = 64, B = 8, I = 128, O = 96 };
    for (int dt = 0; dt < 2; dt++) {
        tg_dtype type = dt ? TG_F32 : TG_F64;
        tg_graph *g = tg_graph_new();
        tg_tensor *W = tg_param(g, type, TG_SHAPE(I, O), "W");
        tg_tensor *V = tg_param(g, type, TG_SHAPE(O, I), "V"); /* W^T-shaped */
        for (int64_t i = 0; i < W->numel; i++) {
            double w = 0.1 * sin(0.71 * (double)i), v = 0.1 * cos(0.53 * (double)i);
            if (dt) tg_f32(W)[i] = (float)w, tg_f32(V)[i] = (float)v;
            else tg_f64(W)[i] = w, tg_f64(V)[i] = v;
        }
        tg_tensor *loss = NULL;
        for (int t = 0; t < T; t++) {
            bool ta = t & 1, tb = (t >> 1) & 1;
            int64_t sh[2] = {ta ? I : B, ta ? B : I};
            tg_tensor *x = tg_input(g, type, 2, sh, NULL);
            for (int64_t i = 0; i < x->numel; i++) {
                double v = cos(0.29 * (double)(i + 97 * t));
                if (dt) tg_f32(x)[i] = (float)v;
                else tg_f64(x)[i] = v;
            }
            tg_tensor *y = tg_matmul_t(x, tb ? V : W, ta, tb); /* [B, O] */
            tg_tensor *l = tg_sum_all(tg_tanh(tg_mul_scalar(y, 1 + 0.01 * t)));
            loss = loss ? tg_add(loss, l) : l;
        }
        int64_t grew = backward_growth(g, loss);
        int64_t wbytes = W->numel * (dt ? 4 : 8);
        printf("  %s: backward through %d products with two shared weights "
               "grew the arena by %lld bytes (each weight is %lld)\n",
               dt ? "f32" : "f64", T, (long long)grew, (long long)wbytes);
        TT_CHECK(grew <= 24 * wbytes);
        tg_tensor *want[2] = {NULL, NULL}, *ps[2] = {W, V};
        TT_CHECK(tg_grad(g, &loss, 1, NULL, ps, 2, true, want) == TG_OK);
        double tol = dt ? 2e-5 : 1e-13;
        for (int k = 0; k < 2; k++) {
            TT_CHECK(want[k] != NULL);
            double worst = 0, scale = 0;
            for (int64_t i = 0; i < ps[k]->numel; i++) {
                double a = tg_get(ps[k]->grad, i), b = tg_get(want[k], i);
                worst = fmax(worst, fabs(a - b));
                scale = fmax(scale, fabs(b));
            }
            TT_CHECK(scale > 0.1 && worst <= tol * scale);
        }
        tg_graph_free(g);
    }
}

/* An identity op that counts its VJP calls. */
static int n_counted_vjp;
static tg_status counted_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    const tg_tensor *x = tg_node_input(n, 0);
    tg_tensor *y = tg_node_output(n);
    memcpy(y->data, x->data, (size_t)x->numel * sizeof(double));
    return TG_OK;
}
static void counted_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                        const bool *need, tg_tensor **gx)
{
    (void)g, (void)n, (void)need;
    n_counted_vjp++;
    gx[0] = gy;
}
static const tg_op counted_op = {.name = "counted", .n_inputs = 1,
                                 .forward = counted_fwd, .vjp = counted_vjp};
static tg_tensor *counted(tg_tensor *x)
{
    return tg_apply(&counted_op, &x, 1, NULL);
}

/* tg_backward walks the recorded nodes from the output's back: nodes
 * recorded after the output, or beside it and not reached from it, are
 * never differentiated, and a loop of backward calls without a reset (the
 * gradient of each sample added up) gives every call its own sum. */
static void backward_walks_the_tape(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *w = tg_param(g, TG_F64, 0, NULL, "w");
    tg_f64(w)[0] = 3;
    n_counted_vjp = 0;
    tg_tensor *side = counted(w);                  /* not reached        */
    tg_tensor *l1 = tg_mul(counted(w), counted(w)); /* dl1/dw = 2w       */
    tg_tensor *l2 = tg_mul_scalar(counted(l1), 5); /* recorded after l1  */
    TT_CHECK(side && l2 && tg_graph_status(g) == TG_OK);
    TT_CHECK(tg_backward(g, l1) == TG_OK);
    TT_CHECK(n_counted_vjp == 2);
    TT_NEAR(tg_item(w->grad), 6, 0);
    TT_CHECK(tg_backward(g, l2) == TG_OK); /* adds 5 * 2w */
    TT_CHECK(n_counted_vjp == 5);
    TT_NEAR(tg_item(w->grad), 36, 0);
    /* a parameter frozen after recording gets nothing, the other its own */
    tg_tensor *v = tg_param(g, TG_F64, 0, NULL, "v");
    tg_f64(v)[0] = -2;
    tg_zero_grad(g);
    tg_tensor *l3 = tg_mul(counted(tg_mul(w, w)), v);
    TT_CHECK(tg_set_requires_grad(w, false) == TG_OK);
    TT_CHECK(tg_backward(g, l3) == TG_OK);
    TT_NEAR(tg_item(w->grad), 0, 0);
    TT_NEAR(tg_item(v->grad), 9, 0);
    TT_CHECK(tg_set_requires_grad(w, true) == TG_OK);
    tg_graph_reset(g);
    /* 200 samples, one backward each, no reset in between */
    tg_zero_grad(g);
    double want = 0;
    for (int k = 0; k < 200; k++) {
        double xv = 0.01 * k - 0.7;
        tg_tensor *x = tg_input(g, TG_F64, 0, NULL, &xv);
        TT_CHECK(tg_backward(g, tg_mul(tg_mul(w, w), x)) == TG_OK);
        want += 2 * 3 * xv;
    }
    TT_NEAR(tg_item(w->grad), want, 1e-12);
    /* an output that is a leaf: its own gradient, ones */
    tg_zero_grad(g);
    TT_CHECK(tg_backward(g, w) == TG_OK);
    TT_NEAR(tg_item(w->grad), 1, 0);
    tg_graph_free(g);
}

/* Fan-in terms are added in one order by every pass, the reverse of the
 * recording order (latest first, as PyTorch's engine runs the nodes), so
 * tg_grad, tg_backward and tg_backward with the gradient-ready hook agree
 * bit for bit. In f32, 1 + -1e8 rounds to -1e8: the latest term first
 * gives ((1 + -1e8) + 1e8) = 0, the order of a search from the output
 * (the second input of the last add first) 1. */
static int n_ready_calls;
static void count_ready(tg_tensor *t, const tg_tensor *grad, void *ud)
{
    (void)t, (void)grad, (void)ud;
    n_ready_calls++;
}
static void fan_in_order(void)
{
    for (int hook = 0; hook < 2; hook++) {
        tg_graph *g = tg_graph_new();
        tg_tensor *x = tg_param(g, TG_F32, 0, NULL, "x");
        tg_f32(x)[0] = 1;
        tg_tensor *p1 = tg_mul_scalar(x, 1e8);
        tg_tensor *p2 = tg_mul_scalar(x, -1e8);
        tg_tensor *p3 = tg_mul_scalar(x, 1);
        tg_tensor *s = tg_add(p3, p1);
        tg_tensor *loss = tg_add(s, p2);
        tg_tensor *gr = NULL;
        TT_CHECK(tg_grad(g, &loss, 1, NULL, &x, 1, false, &gr) == TG_OK);
        n_ready_calls = 0;
        if (hook) tg_set_grad_ready_hook(g, count_ready, NULL);
        TT_CHECK(tg_backward(g, loss) == TG_OK);
        TT_CHECK(n_ready_calls == hook);
        TT_CHECK(tg_item(gr) == 0.0);
        TT_CHECK(tg_item(x->grad) == 0.0);
        tg_graph_free(g);
    }
}

TT_RUN(TT(diamond), TT(fan_in), TT(broadcast_grads), TT(explicit_seed),
       TT(accumulation), TT(frozen_param), TT(no_grad_mode), TT(grad_of_grad),
       TT(hessian_vector), TT(matmul_grads), TT(error_messages),
       TT(deep_chain), TT(no_malloc_steady_loop), TT(allocation_failures),
       TT(rng_reproducible), TT(small_op_paths), TT(no_grad_values),
       TT(scalar_chain), TT(numel_limits), TT(input_leaf_grads),
       TT(direct_grad_linear), TT(direct_grad_shared), TT(zero_grad_contract),
       TT(direct_grad_failure), TT(slice_grads_in_place), TT(matmul_grads_in_place),
       TT(backward_walks_the_tape), TT(fan_in_order),
       TT(direct_grad_failure_same_node))
