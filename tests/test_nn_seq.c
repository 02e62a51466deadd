/* Sequence layers: RNN/LSTM/GRU cells and networks, multi-head attention,
 * transformer blocks and positional embeddings. Values against the cell
 * and attention equations evaluated here in long double with plain loops
 * (no tapegrad op involved), gradients against central differences in
 * f64, parameter names and shapes as PyTorch's, shapes and error cases. */
#include <stdlib.h>
#include <tapegrad/tapegrad.h>

#include "tt.h"

static void fill(tg_tensor *t, double a, double b)
{
    for (int64_t i = 0; i < t->numel; i++) {
        double v = a * sin(b * (double)i + 1);
        if (t->dtype == TG_F32) tg_f32(t)[i] = (float)v;
        else tg_f64(t)[i] = v;
    }
}

static void fill_arr(double *v, int64_t n, double a, double b)
{
    for (int64_t i = 0; i < n; i++) v[i] = a * sin(b * (double)i + 0.3);
}

static long double sigm(long double x) { return 1 / (1 + expl(-x)); }

/* ------------------------------------------------ recurrent reference */

enum { R_TANH, R_RELU, R_LSTM, R_GRU };
static const int n_gates[] = {1, 1, 4, 3};

/* One cell step for one batch row, the equations of nn_seq.h written out.
 * w: weight_ih [G H, I], weight_hh [G H, H], biases [G H] or NULL. */
static void ref_cell(int m, int64_t I, int64_t H, const double *wih,
                     const double *whh, const double *bih, const double *bhh,
                     const long double *x, const long double *h,
                     const long double *c, long double *hn, long double *cn)
{
    int G = n_gates[m];
    long double gi[4 * 64], gh[4 * 64];
    for (int64_t r = 0; r < G * H; r++) {
        long double a = bih ? bih[r] : 0, b = bhh ? bhh[r] : 0;
        for (int64_t i = 0; i < I; i++) a += (long double)wih[r * I + i] * x[i];
        for (int64_t k = 0; k < H; k++) b += (long double)whh[r * H + k] * h[k];
        gi[r] = a;
        gh[r] = b;
    }
    for (int64_t j = 0; j < H; j++) {
        if (m == R_TANH) hn[j] = tanhl(gi[j] + gh[j]);
        else if (m == R_RELU) hn[j] = gi[j] + gh[j] > 0 ? gi[j] + gh[j] : 0;
        else if (m == R_LSTM) {
            long double ig = sigm(gi[j] + gh[j]);
            long double fg = sigm(gi[H + j] + gh[H + j]);
            long double gg = tanhl(gi[2 * H + j] + gh[2 * H + j]);
            long double og = sigm(gi[3 * H + j] + gh[3 * H + j]);
            cn[j] = fg * c[j] + ig * gg;
            hn[j] = og * tanhl(cn[j]);
        } else {
            long double r = sigm(gi[j] + gh[j]);
            long double z = sigm(gi[H + j] + gh[H + j]);
            long double n = tanhl(gi[2 * H + j] + r * gh[2 * H + j]);
            hn[j] = (1 - z) * n + z * h[j];
        }
    }
}

typedef struct rcfg {
    int m, L, D;
    int64_t I, H, T, B;
    bool batch_first, bias, unbatched, with_h0;
} rcfg;

static tg_layer *make_net(tg_graph *g, const rcfg *c, const char *name)
{
    tg_rnn_opts o = {.num_layers = c->L, .batch_first = c->batch_first,
                     .bidirectional = c->D == 2, .no_bias = !c->bias,
                     .nonlinearity = c->m == R_RELU ? "relu" : "tanh"};
    if (c->m == R_LSTM) return tg_nn_lstm(g, TG_F64, c->I, c->H, &o, name);
    if (c->m == R_GRU) return tg_nn_gru(g, TG_F64, c->I, c->H, &o, name);
    return tg_nn_rnn(g, TG_F64, c->I, c->H, &o, name);
}

static const double *param(const tg_layer *l, const char *what, int layer,
                           int dir)
{
    char nm[128];
    snprintf(nm, sizeof nm, "%s.%s_l%d%s", tg_layer_name(l), what, layer,
             dir ? "_reverse" : "");
    tg_tensor *p = tg_layer_find(l, nm);
    return p ? tg_f64(p) : NULL;
}

/* The network by the definition: layer by layer, direction by direction,
 * step by step. x, h0, c0 in the layer's layout; out [T][B][D H] and
 * hn, cn [L D][B][H] time-major. */
static void ref_net(const tg_layer *l, const rcfg *c, const double *x,
                    const double *h0, const double *c0, long double *out,
                    long double *hn, long double *cn)
{
    int64_t T = c->T, B = c->B, H = c->H, D = c->D;
    int64_t maxw = c->I > D * H ? c->I : D * H;
    long double *in = calloc((size_t)(T * B * maxw), sizeof *in);
    long double *nx = calloc((size_t)(T * B * D * H), sizeof *nx);
    int64_t w = c->I;
    for (int64_t t = 0; t < T; t++)
        for (int64_t b = 0; b < B; b++)
            for (int64_t i = 0; i < w; i++) {
                int64_t src = c->batch_first && !c->unbatched
                                  ? (b * T + t) * w + i
                                  : (t * B + b) * w + i;
                in[(t * B + b) * maxw + i] = x[src];
            }
    for (int layer = 0; layer < c->L; layer++) {
        for (int dir = 0; dir < D; dir++) {
            int64_t k = layer * D + dir;
            const double *wih = param(l, "weight_ih", layer, dir),
                         *whh = param(l, "weight_hh", layer, dir),
                         *bih = param(l, "bias_ih", layer, dir),
                         *bhh = param(l, "bias_hh", layer, dir);
            for (int64_t b = 0; b < B; b++) {
                long double h[64], cc[64], h2[64], c2[64];
                for (int64_t j = 0; j < H; j++) {
                    h[j] = h0 ? h0[(k * B + b) * H + j] : 0;
                    cc[j] = c0 ? c0[(k * B + b) * H + j] : 0;
                }
                for (int64_t s = 0; s < T; s++) {
                    int64_t t = dir ? T - 1 - s : s;
                    ref_cell(c->m, w, H, wih, whh, bih, bhh,
                             in + (t * B + b) * maxw, h, cc, h2, c2);
                    for (int64_t j = 0; j < H; j++) {
                        h[j] = h2[j];
                        if (c->m == R_LSTM) cc[j] = c2[j];
                        nx[(t * B + b) * D * H + dir * H + j] = h2[j];
                    }
                }
                for (int64_t j = 0; j < H; j++) {
                    hn[(k * B + b) * H + j] = h[j];
                    if (cn) cn[(k * B + b) * H + j] = cc[j];
                }
            }
        }
        w = D * H;
        for (int64_t r = 0; r < T * B; r++)
            for (int64_t i = 0; i < w; i++) in[r * maxw + i] = nx[r * w + i];
    }
    for (int64_t i = 0; i < T * B * D * H; i++) out[i] = nx[i];
    free(in);
    free(nx);
}

static int64_t x_shape(const rcfg *c, int64_t *s)
{
    if (c->unbatched) {
        s[0] = c->T, s[1] = c->I;
        return 2;
    }
    s[0] = c->batch_first ? c->B : c->T;
    s[1] = c->batch_first ? c->T : c->B;
    s[2] = c->I;
    return 3;
}

static int64_t state_shape(const rcfg *c, int64_t *s)
{
    s[0] = c->L * c->D;
    if (c->unbatched) {
        s[1] = c->H;
        return 2;
    }
    s[1] = c->B, s[2] = c->H;
    return 3;
}

static void rnn_values_case(const rcfg *c)
{
    tg_graph *g = tg_graph_new();
    tg_rng_seed(tg_graph_rng(g), 7 + (uint64_t)c->m);
    tg_layer *l = make_net(g, c, "net");
    TT_CHECK(l != NULL);
    if (!l) {
        fprintf(stderr, "%s\n", tg_graph_error(g));
        tg_graph_free(g);
        return;
    }
    int64_t xs[3], ss[3];
    int xn = (int)x_shape(c, xs), sn = (int)state_shape(c, ss);
    int64_t nxv = c->T * c->B * c->I, ns = c->L * c->D * c->B * c->H;
    double *xv = malloc(sizeof(double) * (size_t)nxv);
    double *h0v = malloc(sizeof(double) * (size_t)ns);
    double *c0v = malloc(sizeof(double) * (size_t)ns);
    fill_arr(xv, nxv, 1.3, 0.77);
    fill_arr(h0v, ns, 0.6, 1.9);
    fill_arr(c0v, ns, 0.8, 0.41);
    tg_tensor *x = tg_input(g, TG_F64, xn, xs, xv);
    tg_tensor *h0 = c->with_h0 ? tg_input(g, TG_F64, sn, ss, h0v) : NULL;
    tg_tensor *c0 = c->with_h0 && c->m == R_LSTM ? tg_input(g, TG_F64, sn, ss, c0v)
                                                 : NULL;
    tg_tensor *hn = NULL, *cn = NULL;
    tg_tensor *y = tg_rnn_forward(l, x, h0, c0, &hn, &cn);
    TT_CHECK(tg_graph_status(g) == TG_OK);
    if (tg_graph_status(g) != TG_OK) fprintf(stderr, "%s\n", tg_graph_error(g));
    int64_t DH = c->D * c->H;
    long double *ro = malloc(sizeof(long double) * (size_t)(c->T * c->B * DH));
    long double *rh = malloc(sizeof(long double) * (size_t)ns);
    long double *rc = malloc(sizeof(long double) * (size_t)ns);
    ref_net(l, c, xv, c->with_h0 ? h0v : NULL,
            c->with_h0 && c->m == R_LSTM ? c0v : NULL, ro, rh,
            c->m == R_LSTM ? rc : NULL);
    /* shapes */
    if (c->unbatched) {
        TT_CHECK(y->ndim == 2 && y->shape[0] == c->T && y->shape[1] == DH);
        TT_CHECK(hn->ndim == 2 && hn->shape[0] == c->L * c->D);
    } else {
        TT_CHECK(y->ndim == 3 && y->shape[2] == DH);
        TT_CHECK(y->shape[0] == (c->batch_first ? c->B : c->T));
        TT_CHECK(hn->ndim == 3 && hn->shape[1] == c->B && hn->shape[2] == c->H);
    }
    TT_CHECK((cn != NULL) == (c->m == R_LSTM));
    double worst = 0;
    for (int64_t t = 0; t < c->T; t++)
        for (int64_t b = 0; b < c->B; b++)
            for (int64_t j = 0; j < DH; j++) {
                int64_t at = c->batch_first && !c->unbatched ? (b * c->T + t) * DH + j
                                                             : (t * c->B + b) * DH + j;
                double e = fabs(tg_get(y, at) - (double)ro[(t * c->B + b) * DH + j]);
                if (e > worst) worst = e;
            }
    for (int64_t i = 0; i < ns; i++) {
        double e = fabs(tg_get(hn, i) - (double)rh[i]);
        if (e > worst) worst = e;
        if (cn) {
            e = fabs(tg_get(cn, i) - (double)rc[i]);
            if (e > worst) worst = e;
        }
    }
    TT_CHECK(worst < 1e-13);
    if (worst >= 1e-13)
        fprintf(stderr, "  mode %d L%d D%d bf%d worst %.3g\n", c->m, c->L, c->D,
                c->batch_first, worst);
    free(xv), free(h0v), free(c0v), free(ro), free(rh), free(rc);
    tg_layer_free(l);
    tg_graph_free(g);
}

static void rnn_values(void)
{
    for (int m = R_TANH; m <= R_GRU; m++) {
        rcfg c = {.m = m, .L = 2, .D = 2, .I = 3, .H = 4, .T = 5, .B = 2,
                  .bias = true, .with_h0 = true};
        rnn_values_case(&c);
        c.batch_first = true;
        c.with_h0 = false;
        rnn_values_case(&c);
        c = (rcfg){.m = m, .L = 1, .D = 1, .I = 2, .H = 3, .T = 4, .B = 1,
                   .bias = false, .unbatched = true, .with_h0 = true};
        rnn_values_case(&c);
        c = (rcfg){.m = m, .L = 3, .D = 1, .I = 5, .H = 2, .T = 1, .B = 3,
                   .bias = true, .with_h0 = true};
        rnn_values_case(&c);
    }
}

/* Cells against the same reference step. */
static void cell_values(void)
{
    for (int m = R_TANH; m <= R_GRU; m++) {
        tg_graph *g = tg_graph_new();
        tg_rng_seed(tg_graph_rng(g), 3);
        enum { I = 3, H = 4, B = 2 };
        tg_layer *l = m == R_LSTM ? tg_nn_lstm_cell(g, TG_F64, I, H, true, "c")
                    : m == R_GRU  ? tg_nn_gru_cell(g, TG_F64, I, H, true, "c")
                                  : tg_nn_rnn_cell(g, TG_F64, I, H, true,
                                                   m == R_RELU ? "relu" : NULL,
                                                   "c");
        TT_CHECK(l != NULL);
        static const char *kinds[] = {"rnn_cell", "rnn_cell", "lstm_cell",
                                      "gru_cell"};
        TT_STREQ(tg_layer_kind(l), kinds[m]);
        TT_CHECK(tg_layer_num_params(l) == 4);
        tg_tensor *wih = tg_layer_find(l, "c.weight_ih");
        TT_CHECK(wih && wih->shape[0] == n_gates[m] * H && wih->shape[1] == I);
        double xv[B * I], hv[B * H], cv[B * H];
        fill_arr(xv, B * I, 1.1, 0.9);
        fill_arr(hv, B * H, 0.7, 1.3);
        fill_arr(cv, B * H, 0.5, 2.1);
        tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(B, I), xv);
        tg_tensor *h = tg_input(g, TG_F64, TG_SHAPE(B, H), hv);
        tg_tensor *c = m == R_LSTM ? tg_input(g, TG_F64, TG_SHAPE(B, H), cv) : NULL;
        tg_tensor *cn = NULL;
        tg_tensor *hn = tg_cell_forward(l, x, h, c, &cn);
        TT_CHECK(tg_graph_status(g) == TG_OK);
        const double *w[4];
        const char *nm[4] = {"c.weight_ih", "c.weight_hh", "c.bias_ih", "c.bias_hh"};
        for (int k = 0; k < 4; k++) w[k] = tg_f64(tg_layer_find(l, nm[k]));
        double worst = 0;
        for (int b = 0; b < B; b++) {
            long double xl[I], hl[H], cl[H], ho[H], co[H];
            for (int i = 0; i < I; i++) xl[i] = xv[b * I + i];
            for (int j = 0; j < H; j++) hl[j] = hv[b * H + j], cl[j] = cv[b * H + j];
            ref_cell(m, I, H, w[0], w[1], w[2], w[3], xl, hl, cl, ho, co);
            for (int j = 0; j < H; j++) {
                worst = fmax(worst, fabs(tg_get(hn, b * H + j) - (double)ho[j]));
                if (m == R_LSTM)
                    worst = fmax(worst, fabs(tg_get(cn, b * H + j) - (double)co[j]));
            }
        }
        TT_CHECK(worst < 1e-14);
        /* unbatched, zero state through tg_layer_forward */
        tg_tensor *y = tg_layer_forward(l, tg_input(g, TG_F64, TG_SHAPE(I), xv));
        TT_CHECK(y->ndim == 1 && y->shape[0] == H);
        long double xl[I], z[H] = {0}, ho[H], co[H];
        for (int i = 0; i < I; i++) xl[i] = xv[i];
        ref_cell(m, I, H, w[0], w[1], w[2], w[3], xl, z, z, ho, co);
        for (int j = 0; j < H; j++) TT_NEAR(tg_get(y, j), (double)ho[j], 1e-14);
        tg_layer_free(l);
        tg_graph_free(g);
    }
}

/* ---------------------------------------------------- recurrent grads */

typedef struct gctx {
    tg_graph *g;
    tg_layer *l;
    const rcfg *c;
    double *xv, *h0v, *c0v, *wy, *wh;
} gctx;

/* L = sum(wy * output) + sum(wh * h_n) (+ sum(wh * c_n)) */
static tg_tensor *gloss(gctx *k, tg_tensor **x, tg_tensor **h0, tg_tensor **c0)
{
    const rcfg *c = k->c;
    int64_t xs[3], ss[3];
    int xn = (int)x_shape(c, xs), sn = (int)state_shape(c, ss);
    *x = tg_input(k->g, TG_F64, xn, xs, k->xv);
    *h0 = tg_input(k->g, TG_F64, sn, ss, k->h0v);
    *c0 = c->m == R_LSTM ? tg_input(k->g, TG_F64, sn, ss, k->c0v) : NULL;
    tg_tensor *hn, *cn;
    tg_tensor *y = tg_rnn_forward(k->l, *x, *h0, *c0, &hn, &cn);
    tg_tensor *wy = tg_constant(k->g, TG_F64, y->ndim, y->shape, k->wy);
    tg_tensor *wh = tg_constant(k->g, TG_F64, hn->ndim, hn->shape, k->wh);
    tg_tensor *L = tg_add(tg_sum_all(tg_mul(y, wy)), tg_sum_all(tg_mul(hn, wh)));
    if (cn) L = tg_add(L, tg_sum_all(tg_mul(tg_square(cn), wh)));
    return L;
}

static double gloss_val(gctx *k)
{
    tg_graph_reset(k->g);
    tg_tensor *x, *h0, *c0;
    return tg_item(gloss(k, &x, &h0, &c0));
}

/* Worst relative error of the analytic gradient of every element of buf
 * (a parameter's data or an input's values) against central differences. */
static double num_check(gctx *k, double *buf, const double *ana, int64_t n)
{
    double worst = 0;
    for (int64_t i = 0; i < n; i++) {
        double keep = buf[i], h = 1e-6;
        buf[i] = keep + h;
        double lp = gloss_val(k);
        buf[i] = keep - h;
        double lm = gloss_val(k);
        buf[i] = keep;
        double num = (lp - lm) / (2 * h);
        double err = fabs(num - ana[i]) / (1e-6 + fabs(num));
        if (fabs(num - ana[i]) > 1e-8 && err > worst) worst = err;
    }
    return worst;
}

static void rnn_grads_case(const rcfg *c)
{
    tg_graph *g = tg_graph_new();
    tg_rng_seed(tg_graph_rng(g), 11);
    tg_layer *l = make_net(g, c, "n");
    TT_CHECK(l != NULL);
    int64_t ns = c->L * c->D * c->B * c->H, nx = c->T * c->B * c->I;
    int64_t ny = c->T * c->B * c->D * c->H;
    double xv[256], h0v[256], c0v[256], wy[256], wh[256];
    fill_arr(xv, nx, 1.2, 0.61);
    fill_arr(h0v, ns, 0.5, 1.7);
    fill_arr(c0v, ns, 0.9, 0.33);
    fill_arr(wy, ny, 1.0, 2.3);
    fill_arr(wh, ns, 0.8, 1.1);
    gctx k = {g, l, c, xv, h0v, c0v, wy, wh};
    tg_tensor *x, *h0, *c0, *L;
    tg_zero_grad(g);
    {
        int64_t xs[3], ss[3];
        int xn = (int)x_shape(c, xs), sn = (int)state_shape(c, ss);
        x = tg_input(g, TG_F64, xn, xs, xv);
        h0 = tg_input(g, TG_F64, sn, ss, h0v);
        c0 = c->m == R_LSTM ? tg_input(g, TG_F64, sn, ss, c0v) : NULL;
        tg_set_requires_grad(x, true);
        tg_set_requires_grad(h0, true);
        if (c0) tg_set_requires_grad(c0, true);
        tg_tensor *hn, *cn;
        tg_tensor *y = tg_rnn_forward(l, x, h0, c0, &hn, &cn);
        tg_tensor *wyt = tg_constant(g, TG_F64, y->ndim, y->shape, wy);
        tg_tensor *wht = tg_constant(g, TG_F64, hn->ndim, hn->shape, wh);
        L = tg_add(tg_sum_all(tg_mul(y, wyt)), tg_sum_all(tg_mul(hn, wht)));
        if (cn) L = tg_add(L, tg_sum_all(tg_mul(tg_square(cn), wht)));
    }
    TT_CHECK(tg_backward(g, L) == TG_OK);
    double gx[256], gh[256], gc[256];
    for (int64_t i = 0; i < nx; i++) gx[i] = tg_get(x->grad, i);
    for (int64_t i = 0; i < ns; i++) gh[i] = tg_get(h0->grad, i);
    if (c0)
        for (int64_t i = 0; i < ns; i++) gc[i] = tg_get(c0->grad, i);
    double worst = 0;
    int checked = 0;
    for (int i = 0; i < tg_layer_num_params(l); i++) {
        tg_tensor *p = tg_layer_params(l)[i];
        double *ana = malloc(sizeof(double) * (size_t)p->numel);
        for (int64_t e = 0; e < p->numel; e++) ana[e] = tg_get(p->grad, e);
        worst = fmax(worst, num_check(&k, tg_f64(p), ana, p->numel));
        checked += (int)p->numel;
        free(ana);
    }
    worst = fmax(worst, num_check(&k, xv, gx, nx));
    worst = fmax(worst, num_check(&k, h0v, gh, ns));
    if (c->m == R_LSTM) worst = fmax(worst, num_check(&k, c0v, gc, ns));
    int G = n_gates[c->m];
    int64_t per_dir_l0 = G * c->H * (c->I + c->H + 2), per_dir = G * c->H * (c->D * c->H + c->H + 2);
    TT_CHECK(checked == c->D * (per_dir_l0 + (c->L - 1) * per_dir));
    TT_CHECK(worst < 1e-6);
    if (worst >= 1e-6) fprintf(stderr, "  mode %d worst %.3g\n", c->m, worst);
    tg_layer_free(l);
    tg_graph_free(g);
}

static void rnn_grads(void)
{
    for (int m = R_TANH; m <= R_GRU; m++) {
        rcfg c = {.m = m, .L = 2, .D = 2, .I = 2, .H = 3, .T = 3, .B = 2,
                  .bias = true, .batch_first = m % 2 == 1};
        rnn_grads_case(&c);
    }
}

/* ------------------------------------------------ structure and errors */

static void rnn_structure(void)
{
    tg_graph *g = tg_graph_new();
    tg_rnn_opts o = {.num_layers = 2, .bidirectional = true};
    tg_layer *l = tg_nn_lstm(g, TG_F32, 10, 20, &o, "lstm");
    TT_CHECK(l != NULL);
    TT_STREQ(tg_layer_kind(l), "lstm");
    TT_CHECK(tg_layer_num_params(l) == 16);
    /* PyTorch's order and shapes */
    static const char *names[] = {
        "lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0",
        "lstm.bias_hh_l0", "lstm.weight_ih_l0_reverse",
        "lstm.weight_hh_l0_reverse", "lstm.bias_ih_l0_reverse",
        "lstm.bias_hh_l0_reverse", "lstm.weight_ih_l1"};
    for (int i = 0; i < 9; i++) TT_STREQ(tg_layer_params(l)[i]->name, names[i]);
    tg_tensor *w = tg_layer_find(l, "lstm.weight_ih_l1_reverse");
    TT_CHECK(w && w->ndim == 2 && w->shape[0] == 80 && w->shape[1] == 40);
    /* U(±1/sqrt(H)) */
    double mx = 0;
    for (int64_t i = 0; i < w->numel; i++) mx = fmax(mx, fabs(tg_get(w, i)));
    TT_CHECK(mx <= 1 / sqrt(20.0) && mx > 0.8 / sqrt(20.0));
    /* time-major output [T, B, 2H], states [4, B, H] */
    tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(7, 3, 10), NULL);
    fill(x, 1, 0.3);
    tg_tensor *hn, *cn;
    tg_tensor *y = tg_rnn_forward(l, x, NULL, NULL, &hn, &cn);
    TT_CHECK(y->ndim == 3 && y->shape[0] == 7 && y->shape[1] == 3 && y->shape[2] == 40);
    TT_CHECK(hn->shape[0] == 4 && hn->shape[1] == 3 && hn->shape[2] == 20);
    TT_CHECK(cn->shape[0] == 4);
    /* the reverse direction's final state is its output at t = 0 */
    TT_NEAR(tg_get(hn, 3 * 60 + 0 + 5), tg_get(y, 0 * 120 + 0 + 20 + 5), 0);
    /* and the forward direction's is its output at t = T - 1 */
    TT_NEAR(tg_get(hn, 2 * 60 + 20 + 7), tg_get(y, 6 * 120 + 40 + 7), 0);
    /* no bias, GRU */
    tg_rnn_opts nb = {.no_bias = true};
    tg_layer *gr = tg_nn_gru(g, TG_F32, 4, 5, &nb, NULL);
    TT_CHECK(gr && tg_layer_num_params(gr) == 2);
    TT_CHECK(gr && tg_layer_params(gr)[0]->shape[0] == 15);
    /* the output feeds a loss and every parameter gets a gradient */
    tg_tensor *loss = tg_mean_all(tg_square(y));
    TT_CHECK(tg_backward(g, loss) == TG_OK);
    int nz = 0;
    for (int i = 0; i < 16; i++) nz += tg_get(tg_layer_params(l)[i]->grad, 0) != 0;
    TT_CHECK(nz == 16);
    /* an empty batch: empty outputs and states, a backward with nothing
     * to do; the same for attention */
    tg_graph_reset(g);
    tg_tensor *e = tg_input(g, TG_F32, TG_SHAPE(7, 0, 10), NULL);
    y = tg_rnn_forward(l, e, NULL, NULL, &hn, &cn);
    TT_CHECK(tg_graph_status(g) == TG_OK);
    TT_CHECK(y->ndim == 3 && y->shape[0] == 7 && y->shape[1] == 0 &&
             y->shape[2] == 40);
    TT_CHECK(hn->shape[0] == 4 && hn->shape[1] == 0 && cn->shape[1] == 0);
    TT_CHECK(tg_backward(g, tg_sum_all(y)) == TG_OK);
    tg_layer *att = tg_nn_mha(g, TG_F32, 4, 2, NULL, "att");
    y = tg_layer_forward(att, tg_input(g, TG_F32, TG_SHAPE(3, 0, 4), NULL));
    TT_CHECK(tg_graph_status(g) == TG_OK && y->shape[0] == 3 && y->shape[1] == 0);
    tg_layer_free(att);
    tg_layer_free(gr);
    tg_layer_free(l);
    tg_graph_free(g);
}

static void rnn_errors(void)
{
    tg_graph *g = tg_graph_new();
    tg_rnn_opts bad = {.num_layers = -1};
    TT_CHECK(tg_nn_lstm(g, TG_F32, 3, 4, &bad, "a") == NULL);
    TT_CONTAINS(tg_graph_error(g), "tg_nn_lstm: num_layers");
    tg_graph_free(g);
    g = tg_graph_new();
    TT_CHECK(tg_nn_gru(g, TG_F32, 0, 4, NULL, "a") == NULL);
    TT_CONTAINS(tg_graph_error(g), "tg_nn_gru: input_size and hidden_size");
    tg_graph_free(g);
    g = tg_graph_new();
    tg_rnn_opts nl = {.nonlinearity = "sigmoid"};
    TT_CHECK(tg_nn_rnn(g, TG_F32, 3, 4, &nl, "a") == NULL);
    TT_CONTAINS(tg_graph_error(g), "unknown nonlinearity \"sigmoid\"");
    tg_graph_free(g);
    g = tg_graph_new();
    tg_rnn_opts dr = {.dropout = 1};
    TT_CHECK(tg_nn_rnn(g, TG_F32, 3, 4, &dr, "a") == NULL);
    TT_CONTAINS(tg_graph_error(g), "dropout must lie in [0, 1)");
    tg_graph_free(g);
    TT_CHECK(tg_nn_lstm(NULL, TG_F32, 3, 4, NULL, "a") == NULL);
    TT_CONTAINS(tg_last_error(), "tg_nn_lstm: graph is NULL");

    /* forward: wrong feature count */
    g = tg_graph_new();
    tg_layer *l = tg_nn_lstm(g, TG_F32, 3, 4, NULL, "L");
    tg_tensor *hn = NULL, *cn = NULL;
    tg_tensor *y = tg_rnn_forward(l, tg_input(g, TG_F32, TG_SHAPE(5, 2, 4), NULL),
                                  NULL, NULL, &hn, &cn);
    TT_CHECK(tg_tensor_kind_of(y) == TG_KIND_POISON);
    TT_CHECK(tg_tensor_kind_of(hn) == TG_KIND_POISON);
    TT_CONTAINS(tg_graph_error(g), "tg_rnn_forward (L): input [5,2,4] f32 does "
                                   "not fit a layer of input_size 3");
    tg_graph_reset(g);
    tg_layer_free(l);
    tg_graph_free(g);
    /* wrong h0 */
    g = tg_graph_new();
    l = tg_nn_lstm(g, TG_F32, 3, 4, NULL, "L");
    y = tg_rnn_forward(l, tg_input(g, TG_F32, TG_SHAPE(5, 2, 3), NULL),
                       tg_input(g, TG_F32, TG_SHAPE(1, 3, 4), NULL), NULL,
                       NULL, NULL);
    TT_CHECK(tg_tensor_kind_of(y) == TG_KIND_POISON);
    TT_CONTAINS(tg_graph_error(g), "h0 [1,3,4] f32 does not fit: want [1,2,4] f32");
    tg_layer_free(l);
    tg_graph_free(g);
    /* c0 for a GRU */
    g = tg_graph_new();
    l = tg_nn_gru(g, TG_F32, 3, 4, NULL, "G");
    y = tg_rnn_forward(l, tg_input(g, TG_F32, TG_SHAPE(5, 2, 3), NULL), NULL,
                       tg_input(g, TG_F32, TG_SHAPE(1, 2, 4), NULL), NULL, NULL);
    TT_CONTAINS(tg_graph_error(g), "c0 is given but a gru layer has no cell state");
    tg_layer_free(l);
    tg_graph_free(g);
    /* a cell is not a network, a linear is neither */
    g = tg_graph_new();
    l = tg_nn_gru_cell(g, TG_F32, 3, 4, true, "C");
    y = tg_rnn_forward(l, tg_input(g, TG_F32, TG_SHAPE(5, 2, 3), NULL), NULL,
                       NULL, NULL, NULL);
    TT_CONTAINS(tg_graph_error(g), "the layer is not a recurrent network");
    tg_layer_free(l);
    tg_graph_free(g);
    g = tg_graph_new();
    l = tg_nn_linear(g, TG_F32, 3, 4, true, TG_INIT_DEFAULT, "fc");
    y = tg_cell_forward(l, tg_input(g, TG_F32, TG_SHAPE(2, 3), NULL), NULL,
                        NULL, NULL);
    TT_CONTAINS(tg_graph_error(g), "tg_cell_forward: the layer is not a cell");
    tg_layer_free(l);
    tg_graph_free(g);
    /* dtype mix, and a 4-D input */
    g = tg_graph_new();
    l = tg_nn_rnn(g, TG_F64, 3, 4, NULL, "R");
    y = tg_layer_forward(l, tg_input(g, TG_F32, TG_SHAPE(5, 2, 3), NULL));
    TT_CONTAINS(tg_graph_error(g), "input [5,2,3] f32 does not fit a layer of "
                                   "input_size 3 (f64)");
    tg_graph_reset(g);
    tg_graph_free(g);
    tg_layer_free(l);
    g = tg_graph_new();
    l = tg_nn_rnn(g, TG_F64, 3, 4, NULL, "R");
    y = tg_layer_forward(l, tg_input(g, TG_F64, TG_SHAPE(5, 2, 1, 3), NULL));
    TT_CONTAINS(tg_graph_error(g), "must be 3-D");
    tg_layer_free(l);
    tg_graph_free(g);
    /* NULL arguments */
    TT_CHECK(tg_rnn_forward(NULL, NULL, NULL, NULL, NULL, NULL) == NULL);
    TT_CHECK(tg_cell_forward(NULL, NULL, NULL, NULL, NULL) == NULL);
}

/* Freezing, and save/load through the layer's state list. */
static void rnn_freeze(void)
{
    tg_graph *g = tg_graph_new();
    tg_layer *l = tg_nn_gru(g, TG_F64, 2, 3, NULL, "gru");
    TT_CHECK(tg_layer_set_trainable(l, false) == TG_OK);
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(2, 1, 2), NULL);
    tg_set_requires_grad(x, true);
    fill(x, 1, 1);
    tg_tensor *y = tg_layer_forward(l, x);
    TT_CHECK(tg_backward(g, tg_sum_all(y)) == TG_OK);
    TT_CHECK(x->grad != NULL);
    TT_CHECK(tg_get(tg_layer_params(l)[0]->grad, 0) == 0);
    tg_layer_free(l);
    tg_graph_free(g);
}

/* ---------------------------------------------------- attention reference */

/* Multi-head attention by the definition, batch-first long double arrays:
 * q [B,T,E], k [B,S,Kd], v [B,S,Vd]; wq [E,E], wk [E,Kd], wv [E,Vd] ([out,
 * in]), bq/bk/bv [E] (or NULL), wo [E,E], bo; mask[b][i][j] true = blocked.
 * out [B,T,E], att [B,h,T,S]. */
static void ref_mha(int64_t B, int64_t T, int64_t S, int64_t E, int64_t h,
                    int64_t Kd, int64_t Vd, const long double *q,
                    const long double *k, const long double *v,
                    const double *wq, const double *wk, const double *wv,
                    const double *bq, const double *bk, const double *bv,
                    const double *wo, const double *bo,
                    bool (*blocked)(int64_t b, int64_t hh, int64_t i, int64_t j, void *),
                    void *ud, long double *out, long double *att)
{
    int64_t d = E / h;
    long double *Q = calloc((size_t)(B * T * E), sizeof(long double));
    long double *K = calloc((size_t)(B * S * E), sizeof(long double));
    long double *V = calloc((size_t)(B * S * E), sizeof(long double));
    long double *O = calloc((size_t)(B * T * E), sizeof(long double));
    for (int64_t b = 0; b < B; b++) {
        for (int64_t i = 0; i < T; i++)
            for (int64_t e = 0; e < E; e++) {
                long double a = bq ? bq[e] : 0;
                for (int64_t c = 0; c < E; c++) a += wq[e * E + c] * q[(b * T + i) * E + c];
                Q[(b * T + i) * E + e] = a;
            }
        for (int64_t j = 0; j < S; j++)
            for (int64_t e = 0; e < E; e++) {
                long double a = bk ? bk[e] : 0, c2 = bv ? bv[e] : 0;
                for (int64_t c = 0; c < Kd; c++) a += wk[e * Kd + c] * k[(b * S + j) * Kd + c];
                for (int64_t c = 0; c < Vd; c++) c2 += wv[e * Vd + c] * v[(b * S + j) * Vd + c];
                K[(b * S + j) * E + e] = a;
                V[(b * S + j) * E + e] = c2;
            }
        for (int64_t hh = 0; hh < h; hh++)
            for (int64_t i = 0; i < T; i++) {
                long double sc[64], mx = -INFINITY, sum = 0;
                for (int64_t j = 0; j < S; j++) {
                    long double s = 0;
                    for (int64_t c = 0; c < d; c++)
                        s += Q[(b * T + i) * E + hh * d + c] * K[(b * S + j) * E + hh * d + c];
                    s /= sqrtl((long double)d);
                    if (blocked && blocked(b, hh, i, j, ud)) s = -INFINITY;
                    sc[j] = s;
                    if (s > mx) mx = s;
                }
                for (int64_t j = 0; j < S; j++) sum += sc[j] = expl(sc[j] - mx);
                for (int64_t j = 0; j < S; j++) {
                    long double p = sc[j] / sum;
                    att[((b * h + hh) * T + i) * S + j] = p;
                    for (int64_t c = 0; c < d; c++)
                        O[(b * T + i) * E + hh * d + c] += p * V[(b * S + j) * E + hh * d + c];
                }
            }
        for (int64_t i = 0; i < T; i++)
            for (int64_t e = 0; e < E; e++) {
                long double a = bo ? bo[e] : 0;
                for (int64_t c = 0; c < E; c++) a += wo[e * E + c] * O[(b * T + i) * E + c];
                out[(b * T + i) * E + e] = a;
            }
    }
    free(Q), free(K), free(V), free(O);
}

typedef struct maskctx {
    const bool *pad;   /* [B, S] */
    const bool *am;    /* [T, S] */
    bool causal;
    int64_t T, S;
} maskctx;

static bool blocked_fn(int64_t b, int64_t hh, int64_t i, int64_t j, void *ud)
{
    (void)hh;
    maskctx *m = ud;
    if (m->causal && j > i) return true;
    if (m->pad && m->pad[b * m->S + j]) return true;
    if (m->am && m->am[i * m->S + j]) return true;
    return false;
}

static const double *P64(const tg_layer *l, const char *what)
{
    char nm[128];
    snprintf(nm, sizeof nm, "%s.%s", tg_layer_name(l), what);
    tg_tensor *p = tg_layer_find(l, nm);
    return p ? tg_f64(p) : NULL;
}

static void mha_values(void)
{
    enum { B = 2, T = 4, S = 5, E = 6, h = 2, Kd = 3, Vd = 4 };
    for (int variant = 0; variant < 3; variant++) {
        /* 0: self-attention, causal + padding, batch-first
         * 1: self-attention, bool attn_mask, time-major
         * 2: cross-attention with kdim/vdim, padding, batch-first */
        bool cross = variant == 2, bf = variant != 1;
        tg_graph *g = tg_graph_new();
        tg_rng_seed(tg_graph_rng(g), 21);
        tg_mha_opts o = {.batch_first = bf, .kdim = cross ? Kd : 0,
                         .vdim = cross ? Vd : 0};
        tg_layer *l = tg_nn_mha(g, TG_F64, E, h, &o, "att");
        TT_CHECK(l != NULL);
        TT_STREQ(tg_layer_kind(l), "mha");
        /* biases start at 0 (PyTorch); give them values to test them */
        fill(tg_layer_find(l, "att.in_proj_bias"), 0.3, 1.7);
        fill(tg_layer_find(l, "att.out_proj.bias"), 0.2, 0.9);
        int64_t Tk = cross ? S : T, kd = cross ? Kd : E, vd = cross ? Vd : E;
        long double *q = malloc(sizeof(long double) * B * T * E);
        long double *k = malloc(sizeof(long double) * B * Tk * kd);
        long double *v = malloc(sizeof(long double) * B * Tk * vd);
        double qv[64], kv[64], vv[64];
        fill_arr(qv, B * T * E, 1.0, 0.37);
        fill_arr(kv, B * Tk * kd, 0.9, 0.83);
        fill_arr(vv, B * Tk * vd, 1.1, 1.21);
        if (!cross) /* self-attention: keys and values are the queries */
            for (int i = 0; i < B * T * E; i++) kv[i] = vv[i] = qv[i];
        for (int i = 0; i < B * T * E; i++) q[i] = qv[i];
        for (int i = 0; i < B * Tk * kd; i++) k[i] = kv[i];
        for (int i = 0; i < B * Tk * vd; i++) v[i] = vv[i];
        /* tensors in the layer's layout */
        double tq[B * T * E];
        for (int b = 0; b < B; b++)
            for (int i = 0; i < T; i++)
                for (int e = 0; e < E; e++)
                    tq[bf ? (b * T + i) * E + e : (i * B + b) * E + e] =
                        qv[(b * T + i) * E + e];
        tg_tensor *tq_t = tg_input(g, TG_F64, 3, bf ? (int64_t[]){B, T, E} : (int64_t[]){T, B, E}, tq);
        tg_tensor *tk = cross ? tg_input(g, TG_F64, 3, (int64_t[]){B, S, Kd}, kv) : tq_t;
        tg_tensor *tv = cross ? tg_input(g, TG_F64, 3, (int64_t[]){B, S, Vd}, vv) : tq_t;
        bool pad[B * S] = {0}, am[T * S] = {0};
        pad[0 * Tk + Tk - 1] = true; /* batch 0: the last key is padding */
        pad[1 * Tk + 1] = true;
        am[1 * Tk + 0] = am[2 * Tk + 2] = true;
        maskctx mc = {.T = T, .S = Tk};
        tg_attn_mask m = {0};
        if (variant != 1) {
            mc.pad = pad;
            m.key_padding_mask = tg_input(g, TG_BOOL, TG_SHAPE(B, Tk), pad);
        }
        if (variant == 0) mc.causal = m.causal = true;
        if (variant == 1) {
            mc.am = am;
            m.attn_mask = tg_input(g, TG_BOOL, TG_SHAPE(T, Tk), am);
        }
        tg_tensor *w = NULL;
        tg_tensor *y = tg_mha_forward(l, tq_t, tk, tv, &m, &w);
        TT_CHECK(tg_graph_status(g) == TG_OK);
        if (tg_graph_status(g) != TG_OK) fprintf(stderr, "%s\n", tg_graph_error(g));
        long double *ro = malloc(sizeof(long double) * B * T * E);
        long double *ra = malloc(sizeof(long double) * B * h * T * Tk);
        const double *iw = P64(l, "in_proj_weight"), *ib = P64(l, "in_proj_bias");
        const double *wq = cross ? P64(l, "q_proj_weight") : iw;
        const double *wk = cross ? P64(l, "k_proj_weight") : iw + E * E;
        const double *wv = cross ? P64(l, "v_proj_weight") : iw + 2 * E * E;
        ref_mha(B, T, Tk, E, h, kd, vd, q, k, v, wq, wk, wv, ib, ib + E,
                ib + 2 * E, P64(l, "out_proj.weight"), P64(l, "out_proj.bias"),
                blocked_fn, &mc, ro, ra);
        double worst = 0;
        for (int b = 0; b < B; b++)
            for (int i = 0; i < T; i++)
                for (int e = 0; e < E; e++) {
                    int64_t at = bf ? (b * T + i) * E + e : (i * B + b) * E + e;
                    worst = fmax(worst, fabs(tg_get(y, at) - (double)ro[(b * T + i) * E + e]));
                }
        for (int64_t i = 0; i < B * h * T * Tk; i++)
            worst = fmax(worst, fabs(tg_get(w, i) - (double)ra[i]));
        TT_CHECK(worst < 1e-13);
        if (worst >= 1e-13) fprintf(stderr, "  variant %d worst %.3g\n", variant, worst);
        /* masked weights are exactly 0 */
        if (variant == 0) TT_CHECK(tg_get(w, ((0 * h + 1) * T + 0) * Tk + 2) == 0);
        TT_CHECK(w->ndim == 4 && w->shape[1] == h && w->shape[3] == Tk);
        free(q), free(k), free(v), free(ro), free(ra);
        tg_layer_free(l);
        tg_graph_free(g);
    }
}

/* Gradients of attention w.r.t. every parameter and the query (self) or
 * query, key and value (cross), central differences in f64. */
typedef struct actx {
    tg_graph *g;
    tg_layer *l;
    bool cross;
    double *q, *k, *v, *wy;
} actx;

static tg_tensor *aloss(actx *a, tg_tensor **tq, tg_tensor **tk, tg_tensor **tv,
                        bool rg)
{
    enum { B = 2, T = 3, S = 4, E = 4, Kd = 3 };
    *tq = tg_input(a->g, TG_F64, TG_SHAPE(B, T, E), a->q);
    *tk = a->cross ? tg_input(a->g, TG_F64, TG_SHAPE(B, S, Kd), a->k) : *tq;
    *tv = a->cross ? tg_input(a->g, TG_F64, TG_SHAPE(B, S, E), a->v) : *tq;
    if (rg) {
        tg_set_requires_grad(*tq, true);
        if (a->cross) tg_set_requires_grad(*tk, true), tg_set_requires_grad(*tv, true);
    }
    bool pad[B * S] = {0};
    pad[1 * (a->cross ? S : T) + 0] = true;
    tg_attn_mask m = {.key_padding_mask = tg_input(a->g, TG_BOOL,
                                                   TG_SHAPE(B, a->cross ? S : T), pad),
                      .causal = !a->cross};
    tg_tensor *y = tg_mha_forward(a->l, *tq, *tk, *tv, &m, NULL);
    return tg_sum_all(tg_mul(y, tg_constant(a->g, TG_F64, 3, y->shape, a->wy)));
}

static double aloss_val(void *p)
{
    actx *a = p;
    tg_graph_reset(a->g);
    tg_tensor *q, *k, *v;
    return tg_item(aloss(a, &q, &k, &v, false));
}

static double num_check_fn(double (*f)(void *), void *ctx, double *buf,
                           const double *ana, int64_t n)
{
    double worst = 0;
    for (int64_t i = 0; i < n; i++) {
        double keep = buf[i], h = 1e-6;
        buf[i] = keep + h;
        double lp = f(ctx);
        buf[i] = keep - h;
        double lm = f(ctx);
        buf[i] = keep;
        double num = (lp - lm) / (2 * h);
        double err = fabs(num - ana[i]) / (1e-6 + fabs(num));
        if (fabs(num - ana[i]) > 1e-8 && err > worst) worst = err;
    }
    return worst;
}

static double check_params(double (*f)(void *), void *ctx, const tg_layer *l)
{
    double worst = 0;
    for (int i = 0; i < tg_layer_num_params(l); i++) {
        tg_tensor *p = tg_layer_params(l)[i];
        double *ana = malloc(sizeof(double) * (size_t)p->numel);
        for (int64_t e = 0; e < p->numel; e++) ana[e] = tg_get(p->grad, e);
        worst = fmax(worst, num_check_fn(f, ctx, tg_f64(p), ana, p->numel));
        free(ana);
    }
    return worst;
}

static void mha_grads(void)
{
    for (int cross = 0; cross < 2; cross++) {
        tg_graph *g = tg_graph_new();
        tg_rng_seed(tg_graph_rng(g), 5);
        tg_mha_opts o = {.batch_first = true, .kdim = cross ? 3 : 0};
        tg_layer *l = tg_nn_mha(g, TG_F64, 4, 2, &o, "a");
        fill(tg_layer_find(l, "a.in_proj_bias"), 0.3, 1.7);
        double q[24], k[24], v[32], wy[24];
        fill_arr(q, 24, 1, 0.7);
        fill_arr(k, 24, 1.2, 0.45);
        fill_arr(v, 32, 0.8, 1.3);
        fill_arr(wy, 24, 1, 2.9);
        actx a = {g, l, cross, q, k, v, wy};
        tg_tensor *tq, *tk, *tv;
        tg_zero_grad(g);
        TT_CHECK(tg_backward(g, aloss(&a, &tq, &tk, &tv, true)) == TG_OK);
        double gq[24], gk[24], gv[32];
        for (int i = 0; i < 24; i++) gq[i] = tg_get(tq->grad, i);
        if (cross) {
            for (int i = 0; i < 24; i++) gk[i] = tg_get(tk->grad, i);
            for (int i = 0; i < 32; i++) gv[i] = tg_get(tv->grad, i);
        }
        double worst = check_params(aloss_val, &a, l);
        worst = fmax(worst, num_check_fn(aloss_val, &a, q, gq, 24));
        if (cross) {
            worst = fmax(worst, num_check_fn(aloss_val, &a, k, gk, 24));
            worst = fmax(worst, num_check_fn(aloss_val, &a, v, gv, 32));
        }
        TT_CHECK(worst < 1e-6);
        if (worst >= 1e-6) fprintf(stderr, "  cross %d worst %.3g\n", cross, worst);
        tg_layer_free(l);
        tg_graph_free(g);
    }
}

static void mha_errors(void)
{
    tg_graph *g = tg_graph_new();
    TT_CHECK(tg_nn_mha(g, TG_F32, 6, 4, NULL, "a") == NULL);
    TT_CONTAINS(tg_graph_error(g), "tg_nn_mha: embed_dim must be divisible by "
                                   "num_heads (embed_dim 6, num_heads 4");
    tg_graph_free(g);
    g = tg_graph_new();
    tg_layer *l = tg_nn_mha(g, TG_F32, 8, 2, NULL, "att");
    TT_CHECK(tg_layer_num_params(l) == 4);
    tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(5, 2, 8), NULL);
    tg_tensor *y = tg_mha_forward(l, x, tg_input(g, TG_F32, TG_SHAPE(5, 3, 8), NULL),
                                  x, NULL, NULL);
    TT_CHECK(tg_tensor_kind_of(y) == TG_KIND_POISON);
    TT_CONTAINS(tg_graph_error(g), "tg_mha_forward (att): query [5,2,8], key "
                                   "[5,3,8], value [5,2,8] (f32) do not fit");
    tg_graph_reset(g);
    tg_attn_mask m = {.key_padding_mask = tg_input(g, TG_F32, TG_SHAPE(2, 5), NULL)};
    x = tg_input(g, TG_F32, TG_SHAPE(5, 2, 8), NULL);
    y = tg_mha_forward(l, x, x, x, &m, NULL);
    TT_CONTAINS(tg_graph_error(g), "key_padding_mask [2,5] f32 does not fit: "
                                   "want bool [B, S] = [2, 5]");
    tg_graph_reset(g);
    tg_graph_free(g);
    tg_layer_free(l);
    /* every key masked: NaN, as PyTorch */
    g = tg_graph_new();
    l = tg_nn_mha(g, TG_F64, 2, 1, &(tg_mha_opts){.batch_first = true}, "a");
    bool all[3] = {true, true, true};
    x = tg_input(g, TG_F64, TG_SHAPE(1, 3, 2), NULL);
    fill(x, 1, 1);
    m = (tg_attn_mask){.key_padding_mask = tg_input(g, TG_BOOL, TG_SHAPE(1, 3), all)};
    y = tg_mha_forward(l, x, x, x, &m, NULL);
    TT_CHECK(isnan(tg_get(y, 0)));
    /* time-major self-attention: output [T, B, E]; unbatched [T, E] */
    tg_graph_reset(g);
    y = tg_layer_forward(l, tg_input(g, TG_F64, TG_SHAPE(4, 2), NULL));
    TT_CHECK(y->ndim == 2 && y->shape[0] == 4 && y->shape[1] == 2);
    tg_layer_free(l);
    tg_graph_free(g);
    TT_CHECK(tg_mha_forward(NULL, NULL, NULL, NULL, NULL, NULL) == NULL);
}

/* ------------------------------------------------- transformer blocks */

static void ref_ln(long double *x, int64_t n, int64_t E, const double *w,
                   const double *b)
{
    for (int64_t r = 0; r < n; r++) {
        long double mu = 0, var = 0;
        for (int64_t e = 0; e < E; e++) mu += x[r * E + e];
        mu /= E;
        for (int64_t e = 0; e < E; e++) var += (x[r * E + e] - mu) * (x[r * E + e] - mu);
        var /= E;
        for (int64_t e = 0; e < E; e++)
            x[r * E + e] = (x[r * E + e] - mu) / sqrtl(var + 1e-5L) * w[e] + b[e];
    }
}

/* y = sublayer s of the block on x [B*T, E] (batch-first) */
static void ref_sub(const tg_layer *l, int s, int64_t B, int64_t T, int64_t E,
                    int64_t h, int64_t F, const long double *x, long double *y,
                    bool causal)
{
    char nm[64];
    if (s == 0) {
        snprintf(nm, sizeof nm, "%s.self_attn", tg_layer_name(l));
        tg_layer *sa = tg_layer_child(l, 0);
        const double *iw = P64(sa, "in_proj_weight"), *ib = P64(sa, "in_proj_bias");
        long double *att = malloc(sizeof(long double) * (size_t)(B * h * T * T));
        maskctx mc = {.causal = causal, .T = T, .S = T};
        ref_mha(B, T, T, E, h, E, E, x, x, x, iw, iw + E * E, iw + 2 * E * E, ib,
                ib + E, ib + 2 * E, P64(sa, "out_proj.weight"),
                P64(sa, "out_proj.bias"), blocked_fn, &mc, y, att);
        free(att);
        return;
    }
    const double *w1 = P64(l, "linear1.weight"), *b1 = P64(l, "linear1.bias");
    const double *w2 = P64(l, "linear2.weight"), *b2 = P64(l, "linear2.bias");
    for (int64_t r = 0; r < B * T; r++) {
        long double hid[64];
        for (int64_t f = 0; f < F; f++) {
            long double a = b1[f];
            for (int64_t e = 0; e < E; e++) a += w1[f * E + e] * x[r * E + e];
            hid[f] = a > 0 ? a : 0;
        }
        for (int64_t e = 0; e < E; e++) {
            long double a = b2[e];
            for (int64_t f = 0; f < F; f++) a += w2[e * F + f] * hid[f];
            y[r * E + e] = a;
        }
    }
}

static void ref_block(const tg_layer *l, tg_ln_place norm, int64_t B,
                      int64_t T, int64_t E, int64_t h, int64_t F,
                      long double *x, bool causal)
{
    int64_t n = B * T;
    long double *t = malloc(sizeof(long double) * (size_t)(n * E));
    long double *u = malloc(sizeof(long double) * (size_t)(n * E));
    for (int s = 0; s < 2; s++) {
        const double *lw = P64(l, s ? "norm2.weight" : "norm1.weight");
        const double *lb = P64(l, s ? "norm2.bias" : "norm1.bias");
        memcpy(t, x, sizeof(long double) * (size_t)(n * E));
        if (norm == TG_LN_PRE) ref_ln(t, n, E, lw, lb);
        ref_sub(l, s, B, T, E, h, F, t, u, causal);
        if (norm == TG_LN_INTRA) ref_ln(u, n, E, lw, lb);
        for (int64_t i = 0; i < n * E; i++) x[i] += u[i];
        if (norm == TG_LN_POST) ref_ln(x, n, E, lw, lb);
    }
    free(t), free(u);
}

static void block_values(void)
{
    enum { B = 2, T = 3, E = 4, h = 2, F = 6 };
    for (int norm = TG_LN_POST; norm <= TG_LN_NONE; norm++) {
        tg_graph *g = tg_graph_new();
        tg_rng_seed(tg_graph_rng(g), 31);
        tg_block_opts o = {.norm = (tg_ln_place)norm, .dim_ff = F,
                           .batch_first = true, .causal = norm == TG_LN_PRE};
        tg_layer *l = tg_nn_transformer_block(g, TG_F64, E, h, &o, "blk");
        TT_CHECK(l != NULL);
        TT_STREQ(tg_layer_kind(l), "transformer_block");
        TT_CHECK(tg_layer_num_params(l) == (norm == TG_LN_NONE ? 8 : 12));
        TT_CHECK(tg_layer_find(l, "blk.self_attn.in_proj_weight") != NULL);
        tg_tensor *w1 = tg_layer_find(l, "blk.linear1.weight");
        TT_CHECK(w1 && w1->shape[0] == F && w1->shape[1] == E);
        /* give the norms and attention biases values away from 1 and 0 */
        for (int i = 0; i < tg_layer_num_params(l); i++) {
            tg_tensor *p = tg_layer_params(l)[i];
            if (strstr(p->name, "norm") || strstr(p->name, "bias"))
                fill(p, 0.4, 0.3 + i);
            if (strstr(p->name, "norm") && strstr(p->name, "weight"))
                for (int64_t e = 0; e < p->numel; e++) tg_f64(p)[e] += 1;
        }
        double xv[B * T * E];
        fill_arr(xv, B * T * E, 1.5, 0.53);
        tg_tensor *y = tg_layer_forward(l, tg_input(g, TG_F64, TG_SHAPE(B, T, E), xv));
        TT_CHECK(tg_graph_status(g) == TG_OK);
        long double rx[B * T * E];
        for (int i = 0; i < B * T * E; i++) rx[i] = xv[i];
        ref_block(l, (tg_ln_place)norm, B, T, E, h, F, rx, o.causal);
        double worst = 0;
        for (int i = 0; i < B * T * E; i++)
            worst = fmax(worst, fabs(tg_get(y, i) - (double)rx[i]));
        TT_CHECK(worst < 1e-12);
        if (worst >= 1e-12) fprintf(stderr, "  norm %d worst %.3g\n", norm, worst);
        tg_layer_free(l);
        tg_graph_free(g);
    }
}

typedef struct bctx {
    tg_graph *g;
    tg_layer *l;
    double *x, *wy;
} bctx;

static tg_tensor *bloss(bctx *b, tg_tensor **x, bool rg)
{
    *x = tg_input(b->g, TG_F64, TG_SHAPE(3, 2, 4), b->x); /* time-major */
    if (rg) tg_set_requires_grad(*x, true);
    tg_tensor *y = tg_layer_forward(b->l, *x);
    return tg_sum_all(tg_mul(y, tg_constant(b->g, TG_F64, 3, y->shape, b->wy)));
}

static double bloss_val(void *p)
{
    bctx *b = p;
    tg_graph_reset(b->g);
    tg_tensor *x;
    return tg_item(bloss(b, &x, false));
}

static void block_grads(void)
{
    for (int norm = TG_LN_POST; norm <= TG_LN_INTRA; norm++) {
        tg_graph *g = tg_graph_new();
        tg_rng_seed(tg_graph_rng(g), 8);
        tg_block_opts o = {.norm = (tg_ln_place)norm, .dim_ff = 5,
                           .activation = "gelu", .causal = true};
        tg_layer *l = tg_nn_transformer_block(g, TG_F64, 4, 2, &o, "b");
        for (int i = 0; i < tg_layer_num_params(l); i++) {
            tg_tensor *p = tg_layer_params(l)[i];
            if (strstr(p->name, "norm") || strstr(p->name, "in_proj_bias"))
                fill(p, 0.3, 0.7 + i);
        }
        double xv[24], wy[24];
        fill_arr(xv, 24, 1.2, 0.9);
        fill_arr(wy, 24, 1, 1.7);
        bctx b = {g, l, xv, wy};
        tg_tensor *x;
        tg_zero_grad(g);
        TT_CHECK(tg_backward(g, bloss(&b, &x, true)) == TG_OK);
        double gx[24];
        for (int i = 0; i < 24; i++) gx[i] = tg_get(x->grad, i);
        double worst = check_params(bloss_val, &b, l);
        worst = fmax(worst, num_check_fn(bloss_val, &b, xv, gx, 24));
        TT_CHECK(worst < 1e-6);
        if (worst >= 1e-6) fprintf(stderr, "  norm %d worst %.3g\n", norm, worst);
        tg_layer_free(l);
        tg_graph_free(g);
    }
}

static void block_errors(void)
{
    tg_graph *g = tg_graph_new();
    tg_block_opts o = {.activation = "nope"};
    TT_CHECK(tg_nn_transformer_block(g, TG_F32, 8, 2, &o, "b") == NULL);
    TT_CONTAINS(tg_graph_error(g), "tg_nn_transformer_block: unknown activation");
    tg_graph_free(g);
    g = tg_graph_new();
    TT_CHECK(tg_nn_transformer_block(g, TG_F32, 8, 3, NULL, "b") == NULL);
    TT_CONTAINS(tg_graph_error(g), "tg_nn_mha: embed_dim must be divisible");
    tg_graph_free(g);
    g = tg_graph_new();
    tg_layer *l = tg_nn_transformer_block(g, TG_F32, 8, 2, NULL, "b");
    TT_CHECK(l && tg_layer_num_children(l) == 3);
    tg_tensor *y = tg_layer_forward(l, tg_input(g, TG_F32, TG_SHAPE(3, 2, 7), NULL));
    TT_CHECK(tg_tensor_kind_of(y) == TG_KIND_POISON);
    TT_CONTAINS(tg_graph_error(g), "tg_mha_forward (b.self_attn)");
    tg_layer_free(l);
    tg_graph_free(g);
    TT_CHECK(tg_transformer_block_forward(NULL, NULL, NULL) == NULL);
}

/* ------------------------------------------------ positional embeddings */

static void positional(void)
{
    tg_graph *g = tg_graph_new();
    tg_layer *s = tg_nn_sinusoidal_pos(g, TG_F64, 10, 6);
    TT_CHECK(s && tg_layer_num_params(s) == 0);
    TT_STREQ(tg_layer_kind(s), "sinusoidal_pos");
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(2, 7, 6), NULL);
    tg_tensor *y = tg_layer_forward(s, x);
    TT_CHECK(y->ndim == 3 && y->shape[1] == 7);
    /* P[p, 2i] = sin(p / 10000^(2i/E)), P[p, 2i+1] = cos(...) */
    for (int b = 0; b < 2; b++)
        for (int p = 0; p < 7; p++)
            for (int j = 0; j < 6; j++) {
                long double w = powl(10000.0L, -(long double)(j / 2 * 2) / 6);
                long double want = j % 2 ? cosl(p * w) : sinl(p * w);
                TT_NEAR(tg_get(y, (b * 7 + p) * 6 + j), (double)want, 1e-15);
            }
    y = tg_layer_forward(s, tg_input(g, TG_F64, TG_SHAPE(11, 6), NULL));
    TT_CONTAINS(tg_graph_error(g), "with T <= max_len 10");
    tg_graph_reset(g);
    tg_layer_free(s);
    tg_graph_free(g);

    g = tg_graph_new();
    tg_layer *l = tg_nn_pos_embedding(g, TG_F64, 5, 3, "pos");
    tg_tensor *w = tg_layer_find(l, "pos.weight");
    TT_CHECK(w && w->shape[0] == 5 && w->shape[1] == 3);
    double xv[2 * 4 * 3];
    fill_arr(xv, 24, 1, 0.4);
    x = tg_input(g, TG_F64, TG_SHAPE(2, 4, 3), xv);
    y = tg_layer_forward(l, x);
    for (int b = 0; b < 2; b++)
        for (int i = 0; i < 12; i++)
            TT_NEAR(tg_get(y, b * 12 + i), xv[b * 12 + i] + tg_get(w, i), 0);
    TT_CHECK(tg_backward(g, tg_sum_all(tg_square(y))) == TG_OK);
    /* dL/dw[p] = sum over the batch of 2 y; rows past T get nothing */
    for (int i = 0; i < 12; i++)
        TT_NEAR(tg_get(w->grad, i), 2 * (tg_get(y, i) + tg_get(y, 12 + i)), 1e-14);
    TT_CHECK(tg_get(w->grad, 12) == 0 && tg_get(w->grad, 14) == 0);
    tg_layer_free(l);
    tg_graph_free(g);
}

/* A small causal model learns: regression of the previous step's input
 * from each output (no embedding), through a learned position code, a
 * causal pre-LN block and an LSTM. Forty Adam steps (lr 0.01) must at
 * least halve the loss. */
static void tiny_training(void)
{
    tg_graph *g = tg_graph_new();
    tg_rng_seed(tg_graph_rng(g), 1);
    tg_block_opts bo = {.norm = TG_LN_PRE, .batch_first = true, .causal = true};
    tg_layer *parts[3] = {tg_nn_pos_embedding(g, TG_F32, 8, 8, "pos"),
                          tg_nn_transformer_block(g, TG_F32, 8, 2, &bo, "blk"),
                          NULL};
    tg_rnn_opts ro = {.batch_first = true};
    parts[2] = tg_nn_lstm(g, TG_F32, 8, 8, &ro, "lstm");
    tg_layer *net = tg_nn_sequential(g, 3, parts, "net");
    TT_CHECK(net != NULL);
    tg_optim_config oc = tg_optim_defaults(TG_OPTIM_ADAM);
    oc.lr = 0.01;
    tg_optim *opt = tg_optim_new(&oc, tg_layer_num_params(net), tg_layer_params(net));
    float xv[4 * 8 * 8];
    for (int i = 0; i < 4 * 8 * 8; i++) xv[i] = (float)sin(0.37 * i);
    double first = 0, last = 0;
    for (int step = 0; step < 40; step++) {
        tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(4, 8, 8), xv);
        tg_tensor *y = tg_layer_forward(net, x);
        /* target: the input itself shifted one step (x_{t-1}) */
        tg_tensor *tgt = tg_slice(x, 1, 0, 7, 1);
        tg_tensor *loss = tg_mse(tg_slice(y, 1, 1, 8, 1), tgt);
        TT_CHECK(tg_backward(g, loss) == TG_OK);
        if (step == 0) first = tg_item(loss);
        last = tg_item(loss);
        tg_optim_step(opt);
        tg_optim_zero_grad(opt);
        tg_graph_reset(g);
    }
    TT_CHECK(last < 0.5 * first);
    if (!(last < 0.5 * first)) fprintf(stderr, "  loss %g -> %g\n", first, last);
    tg_optim_free(opt);
    tg_layer_free(net);
    tg_graph_free(g);
}

TT_RUN(TT(rnn_values), TT(cell_values), TT(rnn_grads), TT(rnn_structure),
       TT(rnn_errors), TT(rnn_freeze), TT(mha_values), TT(mha_grads),
       TT(mha_errors), TT(block_values), TT(block_grads), TT(block_errors),
       TT(positional), TT(tiny_training))
