/* pad (four modes) and its adjoint, the shape compositions (stack, split,
 * chunk, unbind, roll, tril, triu, diagonal, diag_embed, repeat,
 * repeat_interleave) and the creation functions (one_hot, arange,
 * linspace, eye, zeros, ones and the _like forms): values against hand-derived tables
 * in f32 and f64, gradients by hand, empty and 0-d inputs, errors by
 * their text. pad's central differences to second order are its cases
 * in `tapegrad check --all-ops`. */
#include <math.h>
#include <tapegrad/tapegrad.h>

#include "tt.h"

static tg_tensor *seq(tg_graph *g, tg_dtype dt, int nd, const int64_t *s,
                      bool rg)
{
    tg_tensor *t = tg_input(g, dt, nd, s, NULL);
    for (int64_t i = 0; i < t->numel; i++) {
        if (dt == TG_F32) tg_f32(t)[i] = (float)(i + 1);
        else tg_f64(t)[i] = (double)(i + 1);
    }
    if (rg) tg_set_requires_grad(t, true);
    return t;
}

static void expect(tg_tensor *y, int nd, const int64_t *s, const double *v)
{
    TT_CHECK(y->ndim == nd);
    for (int d = 0; d < nd && d < y->ndim; d++) TT_CHECK(y->shape[d] == s[d]);
    if (y->ndim != nd) return;
    for (int64_t i = 0; i < y->numel; i++) TT_NEAR(tg_get(y, i), v[i], 0);
}

static void pad_values(void)
{
    for (int dt = 0; dt < 2; dt++) {
        tg_dtype T = dt ? TG_F32 : TG_F64;
        tg_graph *g = tg_graph_new();
        tg_tensor *x = seq(g, T, TG_SHAPE(3), false); /* 1 2 3 */
        int64_t p2[2] = {2, 2};
        expect(tg_pad(x, 2, p2, TG_PADDING_CONSTANT, -1), TG_SHAPE(7),
               (double[]){-1, -1, 1, 2, 3, -1, -1});
        expect(tg_pad(x, 2, p2, TG_PADDING_REFLECT, 0), TG_SHAPE(7),
               (double[]){3, 2, 1, 2, 3, 2, 1});
        expect(tg_pad(x, 2, p2, TG_PADDING_REPLICATE, 0), TG_SHAPE(7),
               (double[]){1, 1, 1, 2, 3, 3, 3});
        expect(tg_pad(x, 2, p2, TG_PADDING_CIRCULAR, 0), TG_SHAPE(7),
               (double[]){2, 3, 1, 2, 3, 1, 2});
        /* two dims: the pair for the last dim comes first */
        tg_tensor *m = seq(g, T, TG_SHAPE(2, 2), false); /* [[1 2] [3 4]] */
        expect(tg_pad(m, 4, (int64_t[]){1, 0, 0, 1}, TG_PADDING_REPLICATE, 0),
               TG_SHAPE(3, 3), (double[]){1, 1, 2, 3, 3, 4, 3, 3, 4});
        expect(tg_pad(m, 4, (int64_t[]){0, 1, 1, 0}, TG_PADDING_CONSTANT, 0),
               TG_SHAPE(3, 3), (double[]){0, 0, 0, 1, 2, 0, 3, 4, 0});
        TT_CHECK(tg_graph_error(g) == NULL);
        tg_graph_free(g);
    }
    /* gradient: each input element gets the sum of the weights of the
     * positions that copy it; reflect [w0..w6] on [1 2 3] pads 2,2:
     * positions read 3 2 1 2 3 2 1 */
    tg_graph *g = tg_graph_new();
    tg_tensor *x = seq(g, TG_F64, TG_SHAPE(3), true);
    tg_tensor *w = tg_input(g, TG_F64, TG_SHAPE(7),
                            (double[]){1, 10, 100, 1000, 1e4, 1e5, 1e6});
    int64_t p2[2] = {2, 2};
    TT_CHECK(tg_backward(g, tg_sum_all(tg_mul(w, tg_pad(x, 2, p2, TG_PADDING_REFLECT, 0)))) ==
             TG_OK);
    expect(x->grad, TG_SHAPE(3), (double[]){100 + 1e6, 10 + 1000 + 1e5, 1 + 1e4});
    tg_tensor_zero_grad(x);
    TT_CHECK(tg_backward(g, tg_sum_all(tg_mul(w, tg_pad(x, 2, p2, TG_PADDING_CIRCULAR, 0)))) ==
             TG_OK);
    /* positions read 2 3 1 2 3 1 2 */
    expect(x->grad, TG_SHAPE(3), (double[]){100 + 1e5, 1 + 1000 + 1e6, 10 + 1e4});
    /* empty with a huge extent, 0-d without pads */
    tg_tensor *e = tg_input(g, TG_F64, TG_SHAPE(0, INT64_C(1) << 40), NULL);
    tg_tensor *pe = tg_pad(e, 2, (int64_t[]){1, 1}, TG_PADDING_REFLECT, 0);
    TT_CHECK(pe->numel == 0 && pe->shape[1] == (INT64_C(1) << 40) + 2);
    tg_tensor *s = tg_pad(tg_scalar(g, TG_F64, 4), 0, NULL, TG_PADDING_CONSTANT, 0);
    TT_CHECK(s->ndim == 0 && tg_item(s) == 4);
    TT_CHECK(tg_graph_error(g) == NULL);
    tg_graph_free(g);
}

static void stack_split(void)
{
    for (int dt = 0; dt < 2; dt++) {
        tg_dtype T = dt ? TG_F32 : TG_F64;
        tg_graph *g = tg_graph_new();
        tg_tensor *a = seq(g, T, TG_SHAPE(2), true), *b = seq(g, T, TG_SHAPE(2), true);
        tg_tensor *ab[2] = {a, tg_mul_scalar(b, 10)};
        expect(tg_stack(ab, 2, 0), TG_SHAPE(2, 2), (double[]){1, 2, 10, 20});
        expect(tg_stack(ab, 2, -1), TG_SHAPE(2, 2), (double[]){1, 10, 2, 20});
        tg_tensor *x = seq(g, T, TG_SHAPE(7, 2), false), *out[8];
        TT_CHECK(tg_split(x, 3, 0, out, 8) == 3);
        expect(out[2], TG_SHAPE(1, 2), (double[]){13, 14});
        expect(out[1], TG_SHAPE(3, 2), (double[]){7, 8, 9, 10, 11, 12});
        TT_CHECK(tg_chunk(x, 4, 0, out) == 4); /* 2 2 2 1 */
        TT_CHECK(out[3]->shape[0] == 1 && out[0]->shape[0] == 2);
        tg_tensor *x6 = seq(g, T, TG_SHAPE(6), false);
        TT_CHECK(tg_chunk(x6, 4, 0, out) == 3); /* 2 2 2: fewer than 4 */
        expect(out[2], TG_SHAPE(2), (double[]){5, 6});
        TT_CHECK(tg_split_sizes(x6, 3, (int64_t[]){1, 0, 5}, 0, out) == 3);
        TT_CHECK(out[1]->numel == 0);
        expect(out[2], TG_SHAPE(5), (double[]){2, 3, 4, 5, 6});
        TT_CHECK(tg_unbind(x, 1, out, 8) == 2);
        expect(out[1], TG_SHAPE(7), (double[]){2, 4, 6, 8, 10, 12, 14});
        TT_CHECK(tg_graph_error(g) == NULL);
        tg_graph_free(g);
    }
    /* gradients: stack routes each slice back; split pieces too */
    tg_graph *g = tg_graph_new();
    tg_tensor *a = seq(g, TG_F64, TG_SHAPE(2), true), *b = seq(g, TG_F64, TG_SHAPE(2), true);
    tg_tensor *ab[2] = {a, b};
    tg_tensor *w = tg_input(g, TG_F64, TG_SHAPE(2, 2), (double[]){1, 2, 3, 4});
    TT_CHECK(tg_backward(g, tg_sum_all(tg_mul(w, tg_stack(ab, 2, 1)))) == TG_OK);
    expect(a->grad, TG_SHAPE(2), (double[]){1, 3});
    expect(b->grad, TG_SHAPE(2), (double[]){2, 4});
    tg_tensor *x = seq(g, TG_F64, TG_SHAPE(5), true), *out[3];
    TT_CHECK(tg_split(x, 2, 0, out, 3) == 3);
    TT_CHECK(tg_backward(g, tg_add(tg_sum_all(out[0]), tg_mul_scalar(tg_sum_all(out[2]), 7))) ==
             TG_OK);
    expect(x->grad, TG_SHAPE(5), (double[]){1, 1, 0, 0, 7});
    /* an empty dim: one empty piece */
    tg_tensor *e = tg_input(g, TG_F64, TG_SHAPE(0, 3), NULL);
    TT_CHECK(tg_split(e, 2, 0, out, 3) == 1 && out[0]->shape[0] == 0);
    TT_CHECK(tg_graph_error(g) == NULL);
    tg_graph_free(g);
}

static void roll_tri_diag(void)
{
    for (int dt = 0; dt < 2; dt++) {
        tg_dtype T = dt ? TG_F32 : TG_F64;
        tg_graph *g = tg_graph_new();
        tg_tensor *x = seq(g, T, TG_SHAPE(2, 3), false); /* [[1 2 3] [4 5 6]] */
        expect(tg_roll(x, 1, (int64_t[]){1}, (int64_t[]){1}), TG_SHAPE(2, 3),
               (double[]){3, 1, 2, 6, 4, 5});
        expect(tg_roll(x, 2, (int64_t[]){-1, 1}, (int64_t[]){1, 0}), TG_SHAPE(2, 3),
               (double[]){5, 6, 4, 2, 3, 1});
        expect(tg_roll(x, 1, (int64_t[]){2}, NULL), TG_SHAPE(2, 3),
               (double[]){5, 6, 1, 2, 3, 4});
        tg_tensor *m = seq(g, T, TG_SHAPE(3, 3), false);
        expect(tg_tril(m, 0), TG_SHAPE(3, 3), (double[]){1, 0, 0, 4, 5, 0, 7, 8, 9});
        expect(tg_triu(m, 1), TG_SHAPE(3, 3), (double[]){0, 2, 3, 0, 0, 6, 0, 0, 0});
        expect(tg_tril(m, -1), TG_SHAPE(3, 3), (double[]){0, 0, 0, 4, 0, 0, 7, 8, 0});
        expect(tg_diagonal(m, 0, 0, 1), TG_SHAPE(3), (double[]){1, 5, 9});
        expect(tg_diagonal(m, 1, 0, 1), TG_SHAPE(2), (double[]){2, 6});
        expect(tg_diagonal(m, -2, 1, 0), TG_SHAPE(1), (double[]){3});
        expect(tg_diagonal(x, 0, -2, -1), TG_SHAPE(2), (double[]){1, 5});
        tg_tensor *v = seq(g, T, TG_SHAPE(2), false);
        expect(tg_diag_embed(v, 0, -2, -1), TG_SHAPE(2, 2), (double[]){1, 0, 0, 2});
        expect(tg_diag_embed(v, 1, -2, -1), TG_SHAPE(3, 3),
               (double[]){0, 1, 0, 0, 0, 2, 0, 0, 0});
        expect(tg_diag_embed(v, -1, -2, -1), TG_SHAPE(3, 3),
               (double[]){0, 0, 0, 1, 0, 0, 0, 2, 0});
        /* batch dim placed between: x [2,3] rows on diagonals of dims 0, 2 */
        tg_tensor *de = tg_diag_embed(x, 0, 0, 2);
        TT_CHECK(de->ndim == 3 && de->shape[0] == 3 && de->shape[1] == 2 &&
                 de->shape[2] == 3);
        TT_NEAR(tg_get(de, 1 * 6 + 1 * 3 + 1), 5, 0); /* [1][1][1] = x[1][1] */
        TT_NEAR(tg_get(de, 2 * 6 + 0 * 3 + 2), 3, 0);
        TT_NEAR(tg_get(de, 2 * 6 + 0 * 3 + 1), 0, 0);
        TT_CHECK(tg_graph_error(g) == NULL);
        tg_graph_free(g);
    }
    /* tril: a NaN above the diagonal gives 0, and no NaN gradient */
    tg_graph *g = tg_graph_new();
    tg_tensor *m = tg_input(g, TG_F64, TG_SHAPE(2, 2), (double[]){1, NAN, 3, 4});
    tg_set_requires_grad(m, true);
    tg_tensor *t = tg_tril(m, 0);
    TT_NEAR(tg_get(t, 1), 0, 0);
    TT_CHECK(tg_backward(g, tg_sum_all(t)) == TG_OK);
    expect(m->grad, TG_SHAPE(2, 2), (double[]){1, 0, 1, 1});
    /* diagonal's gradient lands on the diagonal; roll's rolls back */
    tg_tensor *x = seq(g, TG_F64, TG_SHAPE(2, 3), true);
    tg_tensor *w = tg_input(g, TG_F64, TG_SHAPE(2), (double[]){10, 20});
    TT_CHECK(tg_backward(g, tg_sum_all(tg_mul(w, tg_diagonal(x, 1, 0, 1)))) == TG_OK);
    expect(x->grad, TG_SHAPE(2, 3), (double[]){0, 10, 0, 0, 0, 20});
    tg_tensor_zero_grad(x);
    tg_tensor *w6 = tg_input(g, TG_F64, TG_SHAPE(2, 3), (double[]){1, 2, 3, 4, 5, 6});
    TT_CHECK(tg_backward(g, tg_sum_all(tg_mul(w6, tg_roll(x, 1, (int64_t[]){1},
                                                         (int64_t[]){1})))) == TG_OK);
    expect(x->grad, TG_SHAPE(2, 3), (double[]){2, 3, 1, 5, 6, 4});
    /* diag_embed's gradient is the diagonal of g */
    tg_tensor *v = seq(g, TG_F64, TG_SHAPE(2), true);
    tg_tensor *w9 = seq(g, TG_F64, TG_SHAPE(3, 3), false);
    TT_CHECK(tg_backward(g, tg_sum_all(tg_mul(w9, tg_diag_embed(v, 1, -2, -1)))) == TG_OK);
    expect(v->grad, TG_SHAPE(2), (double[]){2, 6});
    /* empty with huge extents */
    tg_tensor *e = tg_input(g, TG_F64, TG_SHAPE(0, INT64_C(1) << 40, INT64_C(1) << 40), NULL);
    TT_CHECK(tg_tril(e, 0)->numel == 0);
    tg_tensor *dg = tg_diagonal(e, 0, 1, 2);
    TT_CHECK(dg->ndim == 2 && dg->shape[0] == 0 && dg->shape[1] == (INT64_C(1) << 40));
    TT_CHECK(tg_roll(e, 1, (int64_t[]){3}, (int64_t[]){1})->numel == 0);
    TT_CHECK(tg_graph_error(g) == NULL);
    tg_graph_free(g);
}

static void repeats(void)
{
    for (int dt = 0; dt < 2; dt++) {
        tg_dtype T = dt ? TG_F32 : TG_F64;
        tg_graph *g = tg_graph_new();
        tg_tensor *x = seq(g, T, TG_SHAPE(2), false);
        expect(tg_repeat(x, 2, (int64_t[]){2, 3}), TG_SHAPE(2, 6),
               (double[]){1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2});
        expect(tg_repeat_interleave(x, 3, NULL), TG_SHAPE(6), (double[]){1, 1, 1, 2, 2, 2});
        tg_tensor *m = seq(g, T, TG_SHAPE(2, 2), false);
        int d1 = 1, d0 = 0;
        expect(tg_repeat_interleave(m, 2, &d1), TG_SHAPE(2, 4),
               (double[]){1, 1, 2, 2, 3, 3, 4, 4});
        tg_tensor *r = tg_input(g, TG_I64, TG_SHAPE(2), (int64_t[]){0, 3});
        expect(tg_repeat_interleave_t(m, r, &d0), TG_SHAPE(3, 2),
               (double[]){3, 4, 3, 4, 3, 4});
        TT_CHECK(tg_graph_error(g) == NULL);
        tg_graph_free(g);
    }
    tg_graph *g = tg_graph_new();
    tg_tensor *x = seq(g, TG_F64, TG_SHAPE(2), true);
    tg_tensor *w = seq(g, TG_F64, TG_SHAPE(2, 4), false);
    TT_CHECK(tg_backward(g, tg_sum_all(tg_mul(w, tg_repeat(x, 2, (int64_t[]){2, 2})))) == TG_OK);
    /* x0 at columns 0, 2 of both rows: 1 + 3 + 5 + 7 */
    expect(x->grad, TG_SHAPE(2), (double[]){16, 20});
    tg_tensor_zero_grad(x);
    tg_tensor *w4 = seq(g, TG_F64, TG_SHAPE(4), false);
    TT_CHECK(tg_backward(g, tg_sum_all(tg_mul(w4, tg_repeat_interleave(x, 2, NULL)))) == TG_OK);
    expect(x->grad, TG_SHAPE(2), (double[]){3, 7});
    tg_tensor *e = tg_input(g, TG_F64, TG_SHAPE(0, INT64_C(1) << 40), NULL);
    tg_tensor *re = tg_repeat(e, 2, (int64_t[]){3, 2});
    TT_CHECK(re->numel == 0 && re->shape[1] == (INT64_C(1) << 41));
    int d1 = 1;
    TT_CHECK(tg_repeat_interleave(e, 2, &d1)->shape[1] == (INT64_C(1) << 41));
    TT_CHECK(tg_graph_error(g) == NULL);
    tg_graph_free(g);
}

static void creation(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *l = tg_input(g, TG_I64, TG_SHAPE(3), (int64_t[]){2, 0, 1});
    tg_tensor *oh = tg_one_hot(l, -1);
    TT_CHECK(oh->dtype == TG_I64);
    expect(oh, TG_SHAPE(3, 3), (double[]){0, 0, 1, 1, 0, 0, 0, 1, 0});
    expect(tg_one_hot(l, 4), TG_SHAPE(3, 4), (double[]){0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0});
    expect(tg_arange(g, TG_F64, 0, 1, 0.25), TG_SHAPE(4), (double[]){0, 0.25, 0.5, 0.75});
    expect(tg_arange(g, TG_I64, 5, 0, -2), TG_SHAPE(3), (double[]){5, 3, 1});
    TT_CHECK(tg_arange(g, TG_F32, 2, 2, 1)->numel == 0);
    expect(tg_linspace(g, TG_F64, -1, 1, 5), TG_SHAPE(5), (double[]){-1, -0.5, 0, 0.5, 1});
    tg_tensor *ls = tg_linspace(g, TG_F32, 0, 1, 7); /* last exactly 1 */
    TT_NEAR(tg_get(ls, 6), 1, 0);
    TT_NEAR(tg_get(ls, 1), (double)(float)(1.0 / 6), 0);
    expect(tg_linspace(g, TG_F64, 3, 9, 1), TG_SHAPE(1), (double[]){3});
    expect(tg_eye(g, TG_F64, 2, 3), TG_SHAPE(2, 3), (double[]){1, 0, 0, 0, 1, 0});
    tg_tensor *x = seq(g, TG_F32, TG_SHAPE(2, 2), false);
    tg_tensor *o = tg_ones_like(x), *z = tg_zeros_like(x), *f = tg_full_like(x, 2.5);
    TT_CHECK(o->dtype == TG_F32 && z->dtype == TG_F32);
    expect(o, TG_SHAPE(2, 2), (double[]){1, 1, 1, 1});
    expect(z, TG_SHAPE(2, 2), (double[]){0, 0, 0, 0});
    expect(f, TG_SHAPE(2, 2), (double[]){2.5, 2.5, 2.5, 2.5});
    expect(tg_ones(g, TG_I64, TG_SHAPE(2)), TG_SHAPE(2), (double[]){1, 1});
    TT_CHECK(tg_zeros(g, TG_F64, 0, NULL)->ndim == 0);
    TT_CHECK(tg_graph_error(g) == NULL);
    tg_graph_free(g);
}

/* Negative pads crop (PyTorch). On [0 1 2 3 4] the tables are
 * torch.nn.functional.pad's outputs (PyTorch 1.13), by hand: reflect and
 * replicate read j = o - l of the whole input, circular wraps around the
 * elements the crops keep. */
static void pad_negative(void)
{
    static const struct {
        int mode;
        int64_t l, r;
        int n;
        double v[8];
    } tab[] = {
        {TG_PADDING_CONSTANT, -1, 2, 6, {1, 2, 3, 4, 9, 9}},
        {TG_PADDING_CONSTANT, 2, -3, 4, {9, 9, 0, 1}},
        {TG_PADDING_CONSTANT, -5, 0, 0, {0}},
        {TG_PADDING_CONSTANT, -2, -1, 2, {2, 3}},
        {TG_PADDING_REFLECT, -1, 2, 6, {1, 2, 3, 4, 3, 2}},
        {TG_PADDING_REFLECT, 2, -1, 6, {2, 1, 0, 1, 2, 3}},
        {TG_PADDING_REFLECT, -4, 3, 4, {4, 3, 2, 1}},
        {TG_PADDING_REFLECT, 3, -4, 4, {3, 2, 1, 0}},
        {TG_PADDING_REPLICATE, -1, 2, 6, {1, 2, 3, 4, 4, 4}},
        {TG_PADDING_REPLICATE, 2, -1, 6, {0, 0, 0, 1, 2, 3}},
        {TG_PADDING_REPLICATE, 3, -4, 4, {0, 0, 0, 0}},
        {TG_PADDING_CIRCULAR, -1, 2, 6, {1, 2, 3, 4, 1, 2}},
        {TG_PADDING_CIRCULAR, 2, -1, 6, {2, 3, 0, 1, 2, 3}},
        {TG_PADDING_CIRCULAR, -2, -1, 2, {2, 3}},
        {TG_PADDING_CIRCULAR, 2, -3, 4, {0, 1, 0, 1}},
    };
    for (int dt = 0; dt < 2; dt++)
        for (size_t k = 0; k < sizeof tab / sizeof tab[0]; k++) {
            tg_graph *g = tg_graph_new();
            tg_tensor *x = tg_arange(g, dt ? TG_F32 : TG_F64, 0, 5, 1);
            expect(tg_pad(x, 2, (int64_t[]){tab[k].l, tab[k].r},
                          (tg_padding_mode)tab[k].mode, 9),
                   TG_SHAPE(tab[k].n), tab[k].v);
            TT_CHECK(tg_graph_error(g) == NULL);
            tg_graph_free(g);
        }
    /* two dims: crop rows, pad columns */
    tg_graph *g = tg_graph_new();
    tg_tensor *m = seq(g, TG_F64, TG_SHAPE(3, 2), true); /* [[1 2][3 4][5 6]] */
    tg_tensor *y = tg_pad(m, 4, (int64_t[]){1, -1, -1, 0}, TG_PADDING_CONSTANT, 0);
    expect(y, TG_SHAPE(2, 2), (double[]){0, 3, 0, 5});
    /* gradient: the cropped elements get 0, the others their weights */
    tg_tensor *w = tg_input(g, TG_F64, TG_SHAPE(2, 2), (double[]){1, 10, 100, 1000});
    TT_CHECK(tg_backward(g, tg_sum_all(tg_mul(w, y))) == TG_OK);
    expect(m->grad, TG_SHAPE(3, 2), (double[]){0, 0, 10, 0, 1000, 0});
    /* circular (-1, 2) on [1..5] reads 2 3 4 5 2 3: element 2 gets w0 + w4 */
    tg_tensor *x = seq(g, TG_F64, TG_SHAPE(5), true);
    tg_tensor *w6 = tg_input(g, TG_F64, TG_SHAPE(6),
                             (double[]){1, 10, 100, 1000, 1e4, 1e5});
    TT_CHECK(tg_backward(g, tg_sum_all(tg_mul(w6, tg_pad(x, 2, (int64_t[]){-1, 2},
                                                      TG_PADDING_CIRCULAR, 0)))) == TG_OK);
    expect(x->grad, TG_SHAPE(5), (double[]){0, 1 + 1e4, 10 + 1e5, 100, 1000});
    /* the adjoint with negative pads: x's shape is g's minus the pads */
    tg_tensor *h = seq(g, TG_F64, TG_SHAPE(6), false);
    tg_tensor *hb = tg_pad_backward(h, 2, (int64_t[]){-1, 2}, TG_PADDING_CIRCULAR);
    expect(hb, TG_SHAPE(5), (double[]){0, 1 + 5, 2 + 6, 3, 4});
    /* empty: an extent cropped to 0, and 0 + 1 - 1 */
    tg_tensor *e = tg_pad(seq(g, TG_F64, TG_SHAPE(2, 0), false), 2,
                          (int64_t[]){1, -1}, TG_PADDING_CONSTANT, 0);
    TT_CHECK(e->ndim == 2 && e->shape[1] == 0 && e->numel == 0);
    TT_CHECK(tg_graph_error(g) == NULL);
    tg_graph_free(g);

    static const struct {
        int mode;
        int64_t l, r;
        const char *msg;
    } bad[] = {
        {TG_PADDING_CONSTANT, -4, -2,
         "tg_pad: pad (-4, -2) of dim 0 crops more than its extent 5 in x "
         "[5]; hint: negative pads crop, and extent + left + right must be "
         ">= 0"},
        {TG_PADDING_CIRCULAR, 3, -3,
         "tg_pad: circular pad (3, -3) of dim 0 exceeds the 2 elements kept "
         "of x [5]; hint: at most one period on each side"},
        {TG_PADDING_REFLECT, -1, 5,
         "tg_pad: reflect pad (-1, 5) of dim 0 must be smaller than its "
         "extent in x [5]; hint: replicate or constant take any pad"},
        {TG_PADDING_CONSTANT, INT64_MIN / 2, 1,
         "tg_pad: pad (-4611686018427387904, 1) of dim 0 is too large for "
         "x [5]; hint: pads within +-2^59"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        g = tg_graph_new();
        tg_pad(seq(g, TG_F64, TG_SHAPE(5), false), 2,
               (int64_t[]){bad[k].l, bad[k].r}, (tg_padding_mode)bad[k].mode, 0);
        TT_STREQ(tg_graph_error(g), bad[k].msg);
        tg_graph_free(g);
    }
    g = tg_graph_new();
    tg_pad_backward(seq(g, TG_F64, TG_SHAPE(3), false), 2, (int64_t[]){-1, 5},
                    TG_PADDING_CONSTANT);
    TT_STREQ(tg_graph_error(g), "tg_pad_backward: pad (-1, 5) of dim 0 does not "
                                "fit g [3]; hint: g has the padded shape");
    tg_graph_free(g);
}

static void errors(void)
{
    static const char *want[] = {
        "tg_pad: reflect pad (3, 0) of dim 0 must be smaller than its extent in "
        "x [3]; hint: replicate or constant take any pad",
        "tg_pad: pad has 3 entries for x [3]; hint: an even number, two (left, "
        "right) per dim from the last, at most 2",
        "tg_pad: mode 7 is not constant (0), reflect (1), replicate (2) or "
        "circular (3); hint: mode=reflect in an expression, TG_PADDING_REFLECT in C",
        "tg_stack: xs[1] [2] differs from xs[0] [3]; hint: stack takes tensors "
        "of one shape (concat joins along an existing dim)",
        "tg_split: x [3] cut into 1 along dim 0 gives 3 pieces, out has room for 2",
        "tg_split_sizes: sizes add up to 2, not 3, the extent of dim 0 of x [3]; "
        "hint: sizes sum to the extent",
        "tg_tril: x [3] has fewer than 2 dims; hint: it works on the last two",
        "tg_one_hot: labels[1] = 5 is out of range for 3 classes; hint: it must "
        "lie in [0, 3)",
        "tg_arange: start 0, end 1 and step -1 disagree in sign; hint: step > 0 "
        "needs end >= start",
        "tg_roll: dim 2 out of range for shape [3]; hint: dims lie in [-1, 1)",
    };
    for (int k = 0; k < (int)(sizeof want / sizeof want[0]); k++) {
        tg_graph *g = tg_graph_new();
        tg_tensor *x = seq(g, TG_F64, TG_SHAPE(3), false), *out[2];
        switch (k) {
        case 0: tg_pad(x, 2, (int64_t[]){3, 0}, TG_PADDING_REFLECT, 0); break;
        case 1: tg_pad(x, 3, (int64_t[]){1, 1, 1}, TG_PADDING_CONSTANT, 0); break;
        case 2: tg_pad(x, 2, (int64_t[]){1, 1}, (tg_padding_mode)7, 0); break;
        case 3: {
            tg_tensor *xs[2] = {x, seq(g, TG_F64, TG_SHAPE(2), false)};
            tg_stack(xs, 2, 0);
            break;
        }
        case 4: TT_CHECK(tg_split(x, 1, 0, out, 2) == -1); break;
        case 5: TT_CHECK(tg_split_sizes(x, 2, (int64_t[]){1, 1}, 0, out) == -1); break;
        case 6: tg_tril(x, 0); break;
        case 7: tg_one_hot(tg_input(g, TG_I64, TG_SHAPE(2), (int64_t[]){0, 5}), 3); break;
        case 8: tg_arange(g, TG_F64, 0, 1, -1); break;
        case 9: tg_roll(x, 1, (int64_t[]){1}, (int64_t[]){2}); break;
        }
        TT_STREQ(tg_graph_error(g), want[k]);
        tg_graph_free(g);
    }
    TT_CHECK(tg_stack(NULL, 2, 0) == NULL);
    TT_CHECK(tg_arange(NULL, TG_F64, 0, 1, 1) == NULL);
}

TT_RUN(TT(pad_values), TT(pad_negative), TT(stack_split), TT(roll_tri_diag), TT(repeats), TT(creation),
       TT(errors))
