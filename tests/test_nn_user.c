/* User-defined layers (tg_layer_new and the registration functions) and
 * the embedding layer: lists, names, values against hand computation,
 * gradients, several inputs and outputs, error paths, allocation
 * failure. */
#include <stdlib.h>
#include <tapegrad/tapegrad.h>

#include "hardening.h"
#include "tt.h"

static int freed;
static void count_free(void *p)
{
    freed++;
    free(p);
}

/* ------------------------------------------------ a one-in, one-out cell */

typedef struct cell {
    tg_tensor *w, *b, *steps;
    tg_layer *fc;
} cell;

/* y = tanh(x W + b) + fc(x) */
static tg_tensor *cell_fwd(tg_layer *self, tg_tensor *x)
{
    cell *c = tg_layer_data(self);
    return tg_add(tg_tanh(tg_linear(x, c->w, c->b)), tg_layer_forward(c->fc, x));
}

static tg_layer *cell_new(tg_graph *g, const char *name)
{
    cell *c = calloc(1, sizeof *c);
    tg_layer_def def = {.kind = "cell", .forward = cell_fwd, .data = c,
                        .free_data = count_free};
    tg_layer *l = tg_layer_new(g, &def, name);
    if (!l) return NULL;
    c->w = tg_layer_add_param(l, "w", TG_F64, TG_SHAPE(3, 2),
                              TG_INIT_XAVIER_UNIFORM);
    c->steps = tg_layer_add_buffer(l, "steps", TG_F64, 0, NULL, TG_INIT_ZEROS);
    char nm[128];
    snprintf(nm, sizeof nm, "%s.fc", name);
    c->fc = tg_nn_linear(g, TG_F64, 3, 2, false, TG_INIT_ZEROS, nm);
    tg_layer_add_child(l, c->fc);
    /* registered after the child: still listed before the child's */
    c->b = tg_layer_add_param(l, "b", TG_F64, TG_SHAPE(2), TG_INIT_ONES);
    return l;
}

static void user_layer_lists(void)
{
    freed = 0;
    tg_graph *g = tg_graph_new();
    tg_layer *l = cell_new(g, "c");
    TT_CHECK(l && tg_graph_error(g) == NULL);
    if (!l) return;
    cell *c = tg_layer_data(l);
    TT_STREQ(tg_layer_kind(l), "cell");
    TT_STREQ(tg_layer_name(l), "c");
    TT_CHECK(tg_layer_graph(l) == g);
    TT_CHECK(tg_layer_num_children(l) == 1 && tg_layer_child(l, 0) == c->fc);
    /* own parameters in registration order, then the child's */
    TT_CHECK(tg_layer_num_params(l) == 3);
    const char *pn[3] = {"c.w", "c.b", "c.fc.weight"};
    for (int i = 0; i < 3 && i < tg_layer_num_params(l); i++)
        TT_STREQ(tg_layer_params(l)[i]->name, pn[i]);
    /* state: own parameters, own buffers, then the child's */
    TT_CHECK(tg_layer_num_state(l) == 4);
    TT_STREQ(tg_layer_state(l)[2]->name, "c.steps");
    TT_CHECK(tg_layer_find(l, "c.steps") == c->steps);
    TT_CHECK(!tg_requires_grad(c->steps) && tg_requires_grad(c->w));
    TT_CHECK(tg_layer_num_elements(l, false) == 6 + 2 + 6);
    /* initialisers: ones, zeros, Xavier bound sqrt(6 / 5) */
    TT_CHECK(tg_get(c->b, 0) == 1 && tg_get(c->b, 1) == 1);
    bool in_bound = true, nonzero = false;
    for (int i = 0; i < 6; i++) {
        in_bound &= fabs(tg_get(c->w, i)) <= sqrt(6.0 / 5);
        nonzero |= tg_get(c->w, i) != 0;
    }
    TT_CHECK(in_bound && nonzero);

    /* the forward pass against hand computation */
    double wv[6] = {0.5, -1, 0.25, 2, -0.75, 0.1}, fv[6] = {1, 2, 3, 4, 5, 6};
    for (int i = 0; i < 6; i++) {
        tg_f64(c->w)[i] = wv[i];
        tg_f64(tg_layer_find(l, "c.fc.weight"))[i] = fv[i];
    }
    double xv[3] = {0.3, -0.2, 0.9};
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(1, 3), xv);
    tg_tensor *y = tg_layer_forward(l, x);
    for (int j = 0; j < 2; j++) {
        long double a = 1, f = 0;
        for (int k = 0; k < 3; k++) {
            a += (long double)xv[k] * wv[2 * k + j];
            f += (long double)xv[k] * fv[2 * k + j];
        }
        TT_NEAR(tg_get(y, j), (double)(tanhl(a) + f), 1e-15);
    }
    /* gradients reach the registered parameters and the child's */
    TT_CHECK(tg_backward(g, tg_sum_all(y)) == TG_OK);
    for (int j = 0; j < 2; j++) {
        long double a = 1;
        for (int k = 0; k < 3; k++) a += (long double)xv[k] * wv[2 * k + j];
        long double d = 1 - tanhl(a) * tanhl(a);
        TT_NEAR(tg_get(c->b->grad, j), (double)d, 1e-15);
        for (int k = 0; k < 3; k++) {
            TT_NEAR(tg_get(c->w->grad, 2 * k + j), (double)(xv[k] * d), 1e-15);
            TT_NEAR(tg_get(tg_layer_find(l, "c.fc.weight")->grad, 2 * k + j),
                    xv[k], 1e-15);
        }
    }

    /* the listing names every tensor with its shape and role */
    char buf[1024];
    size_t need = tg_layer_describe(l, NULL, 0);
    size_t got = tg_layer_describe(l, buf, sizeof buf);
    TT_CHECK(need == got && got == strlen(buf));
    TT_CONTAINS(buf, "c (cell)\n");
    TT_CONTAINS(buf, "  c.w f64 [3,2] 6 trainable\n");
    TT_CONTAINS(buf, "  c.steps f64 [] 1 buffer\n");
    TT_CONTAINS(buf, "  c.fc (linear)\n    c.fc.weight f64 [3,2] 6 trainable\n");
    TT_CONTAINS(buf, "3 parameters, 14 elements (14 trainable), 1 in buffers");
    char small[8];
    TT_CHECK(tg_layer_describe(l, small, sizeof small) == got);
    TT_CHECK(strlen(small) == 7 && !strncmp(small, buf, 7));

    /* freezing reaches registered parameters, not buffers */
    TT_CHECK(tg_layer_set_trainable(l, false) == TG_OK);
    TT_CHECK(!tg_requires_grad(c->w) && !tg_requires_grad(c->b));
    TT_CHECK(tg_layer_num_elements(l, true) == 0);
    TT_CHECK(tg_layer_set_trainable(tg_layer_child(l, 0), true) == TG_OK);
    TT_CHECK(tg_layer_num_elements(l, true) == 6);
    tg_layer_describe(l, buf, sizeof buf);
    TT_CONTAINS(buf, "  c.w f64 [3,2] 6 frozen\n");
    TT_CHECK(tg_layer_set_trainable(l, true) == TG_OK);
    TT_CHECK(!tg_requires_grad(c->steps));

    /* inside a composite: lists copied, registration closed */
    tg_layer *seq = tg_nn_sequential(g, 1, &l, "s");
    TT_CHECK(seq && tg_layer_num_params(seq) == 3);
    TT_CHECK(tg_layer_add_param(l, "late", TG_F64, TG_SHAPE(2),
                                TG_INIT_ZEROS) == NULL);
    TT_CHECK(tg_graph_status(g) == TG_ERR_STATE);
    TT_CONTAINS(tg_graph_error(g), "tg_layer_add_param: layer c (cell) already "
                                   "belongs to another layer");
    TT_CHECK(freed == 0);
    tg_layer_free(seq);
    TT_CHECK(freed == 1); /* the data, once */
    tg_graph_free(g);
}

/* -------------------------------------------- several inputs and outputs */

/* An LSTM cell of one's own (PyTorch's gate order i, f, g, o):
 *   z = x W + h U + b;  c' = s(f) c + s(i) tanh(g);  h' = s(o) tanh(c') */
typedef struct lstm {
    tg_tensor *W, *U, *b;
    int64_t H;
} lstm;

static tg_status lstm_fwd(tg_layer *self, int n_in, tg_tensor *const *in,
                          int n_out, tg_tensor **out)
{
    lstm *c = tg_layer_data(self);
    if (n_in != 3 || n_out != 2) return TG_ERR_ARG;
    tg_tensor *z = tg_add(tg_linear(in[0], c->W, c->b), tg_matmul(in[1], c->U));
    int64_t H = c->H;
    tg_tensor *i = tg_sigmoid(tg_slice(z, 1, 0, H, 1));
    tg_tensor *f = tg_sigmoid(tg_slice(z, 1, H, 2 * H, 1));
    tg_tensor *gg = tg_tanh(tg_slice(z, 1, 2 * H, 3 * H, 1));
    tg_tensor *o = tg_sigmoid(tg_slice(z, 1, 3 * H, 4 * H, 1));
    out[1] = tg_add(tg_mul(f, in[2]), tg_mul(i, gg));
    out[0] = tg_mul(o, tg_tanh(out[1]));
    return TG_OK;
}

static tg_layer *lstm_new(tg_graph *g, int64_t D, int64_t H)
{
    lstm *c = calloc(1, sizeof *c);
    c->H = H;
    tg_layer_def def = {.kind = "my_lstm", .forward_n = lstm_fwd, .data = c,
                        .free_data = free};
    tg_layer *l = tg_layer_new(g, &def, "lstm");
    if (!l) return NULL;
    c->W = tg_layer_add_param(l, "W", TG_F64, TG_SHAPE(D, 4 * H), TG_INIT_DEFAULT);
    c->U = tg_layer_add_param(l, "U", TG_F64, TG_SHAPE(H, 4 * H), TG_INIT_DEFAULT);
    c->b = tg_layer_add_param(l, "b", TG_F64, TG_SHAPE(4 * H), TG_INIT_DEFAULT);
    return l;
}

static long double sig(long double v) { return 1 / (1 + expl(-v)); }

static void user_layer_forward_n(void)
{
    enum { D = 2, H = 3 };
    tg_graph *g = tg_graph_new();
    tg_rng_seed(tg_graph_rng(g), 7);
    tg_layer *l = lstm_new(g, D, H);
    TT_CHECK(l != NULL);
    if (!l) return;
    lstm *c = tg_layer_data(l);
    double xv[D] = {0.4, -1.1}, hv[H] = {0.2, -0.3, 0.5}, cv[H] = {1, -0.5, 0.25};
    tg_tensor *in[3] = {tg_input(g, TG_F64, TG_SHAPE(1, D), xv),
                        tg_input(g, TG_F64, TG_SHAPE(1, H), hv),
                        tg_input(g, TG_F64, TG_SHAPE(1, H), cv)};
    tg_tensor *out[2] = {NULL, NULL};
    TT_CHECK(tg_layer_forward_n(l, 3, in, 2, out) == TG_OK);
    TT_CHECK(out[0] && out[0]->shape[1] == H && out[1]->shape[1] == H);
    for (int j = 0; j < H; j++) {
        long double z[4];
        for (int q = 0; q < 4; q++) {
            int col = q * H + j;
            z[q] = tg_get(c->b, col);
            for (int k = 0; k < D; k++) z[q] += (long double)xv[k] * tg_get(c->W, k * 4 * H + col);
            for (int k = 0; k < H; k++) z[q] += (long double)hv[k] * tg_get(c->U, k * 4 * H + col);
        }
        long double c1 = sig(z[1]) * cv[j] + sig(z[0]) * tanhl(z[2]);
        TT_NEAR(tg_get(out[1], j), (double)c1, 1e-15);
        TT_NEAR(tg_get(out[0], j), (double)(sig(z[3]) * tanhl(c1)), 1e-15);
    }
    /* the recurrent weight gets a gradient through both outputs */
    TT_CHECK(tg_backward(g, tg_add(tg_sum_all(out[0]), tg_sum_all(out[1]))) == TG_OK);
    double s = 0;
    for (int64_t k = 0; k < c->U->numel; k++) s += fabs(tg_get(c->U->grad, k));
    TT_CHECK(s > 0);

    /* counts it does not take: its own status, outputs poisoned */
    TT_CHECK(tg_layer_forward_n(l, 2, in, 2, out) == TG_ERR_ARG);
    TT_CHECK(out[0] && (tg_graph_status(g) == TG_ERR_ARG));
    TT_CONTAINS(tg_graph_error(g), "tg_layer_forward_n: layer lstm (my_lstm): "
                                   "forward_n failed");
    tg_graph_reset(g);
    /* tg_layer_forward on it: forward_n with one input, refused here */
    tg_tensor *y = tg_layer_forward(l, tg_input(g, TG_F64, TG_SHAPE(1, D), xv));
    TT_CHECK(y != NULL && tg_graph_status(g) == TG_ERR_ARG);
    tg_graph_reset(g);
    /* a built-in layer takes one and one */
    tg_layer *lin = tg_nn_linear(g, TG_F64, 2, 2, true, TG_INIT_DEFAULT, "lin");
    tg_tensor *x1 = tg_input(g, TG_F64, TG_SHAPE(1, 2), xv);
    TT_CHECK(tg_layer_forward_n(lin, 1, &x1, 1, out) == TG_OK);
    TT_CHECK(out[0] && out[0]->shape[1] == 2);
    tg_tensor *two[2] = {x1, x1};
    TT_CHECK(tg_layer_forward_n(lin, 2, two, 1, out) == TG_ERR_ARG);
    TT_CONTAINS(tg_graph_error(g), "layer lin (linear) takes one input and "
                                   "gives one output, not 2 and 1");
    tg_layer_free(lin);
    tg_layer_free(l);
    tg_graph_free(g);
}

/* ---------------------------------------------------------- error paths */

static tg_tensor *returns_null(tg_layer *self, tg_tensor *x)
{
    (void)self, (void)x;
    return NULL;
}

static void user_layer_errors(void)
{
    tg_graph *g = tg_graph_new();
    freed = 0;
    /* no forward function: refused, the data freed */
    tg_layer_def bad = {.kind = "k", .data = malloc(8), .free_data = count_free};
    TT_CHECK(tg_layer_new(g, &bad, "x") == NULL && freed == 1);
    TT_CONTAINS(tg_graph_error(g), "tg_layer_new: the definition has no "
                                   "forward function");
    tg_graph_free(g);

    g = tg_graph_new();
    tg_layer_def d = {.kind = "", .forward = returns_null};
    TT_CHECK(tg_layer_new(g, &d, "x") == NULL);
    TT_CONTAINS(tg_graph_error(g), "kind must be 1 to 63 bytes");
    tg_graph_free(g);

    g = tg_graph_new();
    d.kind = NULL;
    tg_layer *l = tg_layer_new(g, &d, NULL);
    TT_STREQ(tg_layer_kind(l), "user");
    TT_STREQ(tg_layer_name(l), "user@0");
    TT_CHECK(tg_layer_data(l) == NULL);
    /* built-in layers take no registrations */
    tg_layer *lin = tg_nn_linear(g, TG_F32, 2, 2, true, TG_INIT_DEFAULT, "lin");
    TT_CHECK(tg_layer_add_param(lin, "extra", TG_F32, TG_SHAPE(2),
                                TG_INIT_ZEROS) == NULL);
    TT_CONTAINS(tg_graph_error(g), "tg_layer_add_param: layer lin is a built-in "
                                   "linear layer");
    tg_layer_free(lin);
    tg_layer_free(l);
    tg_graph_free(g);

    g = tg_graph_new();
    l = tg_layer_new(g, &d, "u");
    TT_CHECK(tg_layer_add_param(l, "w", TG_F32, TG_SHAPE(2), TG_INIT_ZEROS) != NULL);
    TT_CHECK(tg_layer_add_buffer(l, "w", TG_F32, TG_SHAPE(2), TG_INIT_ZEROS) == NULL);
    TT_CONTAINS(tg_graph_error(g), "layer u (user) already holds a tensor named "
                                   "\"u.w\"");
    tg_layer_free(l);
    tg_graph_free(g);

    g = tg_graph_new();
    l = tg_layer_new(g, &d, "u");
    TT_CHECK(tg_layer_add_param(l, "", TG_F32, TG_SHAPE(2), TG_INIT_ZEROS) == NULL);
    TT_CONTAINS(tg_graph_error(g), "the tensor name must be 1 to 400 bytes");
    tg_layer_free(l);
    tg_graph_free(g);

    g = tg_graph_new();
    l = tg_layer_new(g, &d, "u");
    TT_CHECK(tg_layer_add_param(l, "i", TG_I64, TG_SHAPE(2), TG_INIT_ZEROS) == NULL);
    TT_CHECK(tg_graph_status(g) == TG_ERR_DTYPE);
    tg_layer_free(l);
    tg_graph_free(g);

    /* children: itself, twice, from another graph, a name clash */
    g = tg_graph_new();
    tg_graph *g2 = tg_graph_new();
    l = tg_layer_new(g, &d, "u");
    TT_CHECK(tg_layer_add_child(l, l) == TG_ERR_ARG);
    TT_CONTAINS(tg_graph_error(g), "a layer cannot contain itself");
    tg_layer_free(l);
    tg_graph_free(g);
    g = tg_graph_new();
    l = tg_layer_new(g, &d, "u");
    tg_layer *k = tg_nn_linear(g, TG_F32, 2, 2, true, TG_INIT_DEFAULT, "k");
    TT_CHECK(tg_layer_add_child(l, k) == TG_OK);
    tg_layer *l2 = tg_layer_new(g, &d, "u2");
    TT_CHECK(tg_layer_add_child(l2, k) == TG_ERR_ARG);
    TT_CONTAINS(tg_graph_error(g), "it already has a parent");
    tg_layer_free(l2);
    tg_layer_free(l);
    tg_graph_free(g);
    g = tg_graph_new();
    l = tg_layer_new(g, &d, "u");
    TT_CHECK(tg_layer_add_child(l, tg_nn_linear(g2, TG_F32, 2, 2, true,
                                                TG_INIT_DEFAULT, "o")) == TG_ERR_ARG);
    TT_CONTAINS(tg_graph_error(g), "it lives on another graph");
    tg_layer_free(l);
    tg_graph_free(g);
    g = tg_graph_new();
    l = tg_layer_new(g, &d, "u");
    tg_layer_add_param(l, "weight", TG_F32, TG_SHAPE(2), TG_INIT_ZEROS);
    TT_CHECK(tg_layer_add_child(l, tg_nn_linear(g, TG_F32, 2, 2, true,
                                                TG_INIT_DEFAULT, "u")) == TG_ERR_ARG);
    TT_CONTAINS(tg_graph_error(g), "already holds a tensor named \"u.weight\", "
                                   "which child u also has");
    TT_CHECK(tg_layer_num_children(l) == 0);
    tg_layer_free(l);
    tg_graph_free(g);
    /* a NULL child (a failed constructor) fails the parent's graph */
    g = tg_graph_new();
    l = tg_layer_new(g, &d, "u");
    TT_CHECK(tg_layer_add_child(l, NULL) == TG_ERR_ARG);
    TT_CONTAINS(tg_graph_error(g), "the child is NULL");
    tg_layer_free(l);
    tg_graph_free(g);

    /* a forward function that returns NULL: poison and a message */
    g = tg_graph_new();
    l = tg_layer_new(g, &d, "u");
    tg_tensor *y = tg_layer_forward(l, tg_full(g, TG_F32, TG_SHAPE(2), 1));
    TT_CHECK(y && tg_graph_status(g) == TG_ERR_ARG);
    TT_CONTAINS(tg_graph_error(g), "tg_layer_forward: layer u (user): its "
                                   "forward function returned NULL");
    tg_layer_free(l);
    tg_graph_free(g);
    tg_graph_free(g2);
}

/* Allocation failure at every step of building a user layer with a
 * child: an error, never a crash or a leak (the live count). */
static void user_layer_oom(void)
{
    static hd_alloc a;
    bool built = false;
    int fails = 0;
    for (long k = 1; k <= 200 && !built; k++) {
        freed = 0;
        hd_install(&a, k, true, 0);
        tg_graph *g = tg_graph_new();
        tg_layer *l = g ? cell_new(g, "c") : NULL;
        if (g && tg_graph_error(g) == NULL && l) {
            built = true;
            TT_CHECK(tg_layer_num_params(l) == 3);
        } else if (g) {
            fails++;
            TT_CHECK(tg_graph_status(g) == TG_ERR_OOM);
        }
        tg_layer_free(l);
        tg_graph_free(g);
        hd_uninstall();
        TT_CHECK(a.live == 0);
    }
    TT_CHECK(built && fails > 5);
}

/* ------------------------------------------------------------ embedding */

static void embedding_values(void)
{
    tg_graph *g = tg_graph_new();
    tg_rng_seed(tg_graph_rng(g), 3);
    tg_layer *e = tg_nn_embedding(g, TG_F64, 5, 3, 1, TG_INIT_DEFAULT, "emb");
    TT_CHECK(e != NULL);
    TT_STREQ(tg_layer_kind(e), "embedding");
    tg_tensor *W = tg_layer_find(e, "emb.weight");
    TT_CHECK(W && W->shape[0] == 5 && W->shape[1] == 3);
    for (int j = 0; j < 3; j++) TT_CHECK(tg_get(W, 3 + j) == 0); /* padding row */
    TT_CHECK(tg_get(W, 0) != 0);
    /* the padding row may be written: its value is looked up, it gets no
     * gradient */
    for (int i = 0; i < 15; i++) tg_f64(W)[i] = 0.1 * i - 0.4;
    int64_t iv[6] = {0, 1, 4, 1, 2, 0};
    tg_tensor *idx = tg_input(g, TG_I64, TG_SHAPE(2, 3), iv);
    tg_tensor *y = tg_layer_forward(e, idx);
    TT_CHECK(y->ndim == 3 && y->shape[0] == 2 && y->shape[1] == 3 && y->shape[2] == 3);
    for (int p = 0; p < 6; p++)
        for (int j = 0; j < 3; j++)
            TT_NEAR(tg_get(y, 3 * p + j), 0.1 * (3 * iv[p] + j) - 0.4, 1e-15);
    /* loss = sum(y * c) with c[p][j] = p + 1 + j / 10: row r of dW sums
     * c over the positions holding r; row 1 (padding) gets nothing */
    double cv[18];
    for (int p = 0; p < 6; p++)
        for (int j = 0; j < 3; j++) cv[3 * p + j] = p + 1 + j / 10.0;
    tg_tensor *cc = tg_input(g, TG_F64, TG_SHAPE(2, 3, 3), cv);
    TT_CHECK(tg_backward(g, tg_sum_all(tg_mul(y, cc))) == TG_OK);
    for (int r = 0; r < 5; r++)
        for (int j = 0; j < 3; j++) {
            double want = 0;
            for (int p = 0; p < 6; p++)
                if (iv[p] == r && r != 1) want += cv[3 * p + j];
            TT_NEAR(tg_get(W->grad, 3 * r + j), want, 1e-15);
        }
    tg_layer_free(e);

    /* negative padding_idx counts from the end; none at all */
    tg_graph_reset(g);
    e = tg_nn_embedding(g, TG_F32, 4, 2, -1, TG_INIT_DEFAULT, "e2");
    W = tg_layer_find(e, "e2.weight");
    TT_CHECK(tg_get(W, 6) == 0 && tg_get(W, 7) == 0 && tg_get(W, 0) != 0);
    tg_layer_free(e);
    e = tg_nn_embedding(g, TG_F32, 4, 2, TG_NN_NO_PADDING, TG_INIT_ZEROS, "e3");
    W = tg_layer_find(e, "e3.weight");
    int64_t i3[2] = {3, 3};
    y = tg_layer_forward(e, tg_input(g, TG_I64, TG_SHAPE(2), i3));
    TT_CHECK(tg_backward(g, tg_sum_all(y)) == TG_OK);
    TT_NEAR(tg_get(W->grad, 6), 2, 0); /* row 3 used twice, no padding */
    tg_layer_free(e);

    /* PyTorch's default N(0, 1): 20,000 draws, mean and variance */
    e = tg_nn_embedding(g, TG_F64, 200, 100, TG_NN_NO_PADDING, TG_INIT_DEFAULT,
                        "big");
    W = tg_layer_find(e, "big.weight");
    double s = 0, s2 = 0;
    for (int64_t i = 0; i < W->numel; i++) {
        s += tg_get(W, i);
        s2 += tg_get(W, i) * tg_get(W, i);
    }
    double mean = s / (double)W->numel, var = s2 / (double)W->numel - mean * mean;
    TT_CHECK(fabs(mean) < 0.03 && fabs(var - 1) < 0.05); /* 4 and 5 s.e. */
    tg_layer_free(e);
    tg_graph_free(g);
}

static void embedding_errors(void)
{
    tg_graph *g = tg_graph_new();
    TT_CHECK(tg_nn_embedding(g, TG_F32, 4, 2, 4, TG_INIT_DEFAULT, "e") == NULL);
    TT_CONTAINS(tg_graph_error(g), "tg_nn_embedding: padding_idx 4 outside "
                                   "[-4, 4) for 4 embeddings");
    tg_graph_free(g);
    g = tg_graph_new();
    TT_CHECK(tg_nn_embedding(g, TG_F32, 0, 2, TG_NN_NO_PADDING, TG_INIT_DEFAULT,
                             "e") == NULL);
    TT_CHECK(tg_graph_status(g) == TG_ERR_ARG);
    tg_graph_free(g);

    g = tg_graph_new();
    tg_layer *e = tg_nn_embedding(g, TG_F32, 4, 2, 0, TG_INIT_DEFAULT, "e");
    int64_t bad[3] = {1, 4, 0};
    tg_tensor *y = tg_layer_forward(e, tg_input(g, TG_I64, TG_SHAPE(3), bad));
    TT_CHECK(y && tg_graph_status(g) == TG_ERR_ARG);
    TT_CONTAINS(tg_graph_error(g), "tg_nn_embedding (e): index 4 at position 1 "
                                   "of [3] is outside [0, 4)");
    tg_layer_free(e);
    tg_graph_free(g);
    g = tg_graph_new();
    e = tg_nn_embedding(g, TG_F32, 4, 2, 0, TG_INIT_DEFAULT, "e");
    y = tg_layer_forward(e, tg_full(g, TG_F32, TG_SHAPE(3), 1));
    TT_CHECK(tg_graph_status(g) == TG_ERR_DTYPE);
    TT_CONTAINS(tg_graph_error(g), "indices [3] are f32; hint: embeddings take "
                                   "i64 indices");
    tg_layer_free(e);
    tg_graph_free(g);
}

TT_RUN(TT(user_layer_lists), TT(user_layer_forward_n), TT(user_layer_errors),
       TT(user_layer_oom), TT(embedding_values), TT(embedding_errors))
