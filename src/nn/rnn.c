/* Recurrent layers: RNN (tanh, relu), LSTM and GRU cells and multi-layer,
 * optionally bidirectional networks over sequences. Compositions of public
 * ops (matmul_t, slice, sigmoid, tanh, mul, add, concat) with no backward
 * of their own; tapegrad/nn_seq.h has the equations and PyTorch's names.
 *
 * Legend: T time steps, B batch, I input features, H hidden units, G gate
 * blocks (1 RNN, 4 LSTM, 3 GRU), L layers, D directions.
 *
 * Time-major internally: the input is cut into T tensors [B, I] once, each
 * layer turns a list of T inputs into a list of T outputs, and only the
 * final output is joined (concat, whose gradient is a cheap split). */
#include "src/nn/nn_internal.h"

#include <math.h>
#include <stdio.h>

typedef enum mode { M_TANH, M_RELU, M_LSTM, M_GRU } mode;

static const char *const mode_names[] = {"rnn", "rnn", "lstm", "gru"};

typedef struct rnn_data {
    mode m;
    bool cell;           /* one step (nn.LSTMCell…) rather than a network */
    int L, D;
    int64_t I, H;
    tg_dtype dt;
    bool batch_first;
    double dropout;
    /* per (layer, direction) k = layer * D + dir: w[4k..4k+3] = weight_ih,
     * weight_hh, bias_ih, bias_hh (biases NULL without bias) */
    tg_tensor **w;
} rnn_data;

static int gates(mode m) { return m == M_LSTM ? 4 : m == M_GRU ? 3 : 1; }

static void rnn_data_free(void *p)
{
    rnn_data *d = p;
    if (d) tg__free(d->w);
    tg__free(d);
}

static tg_tensor *rnn_layer_forward(tg_layer *l, tg_tensor *x);
static tg_tensor *cell_layer_forward(tg_layer *l, tg_tensor *x);

static const tg__layer_impl impl_rnn = {"rnn", rnn_layer_forward, rnn_data_free};
static const tg__layer_impl impl_lstm = {"lstm", rnn_layer_forward, rnn_data_free};
static const tg__layer_impl impl_gru = {"gru", rnn_layer_forward, rnn_data_free};
static const tg__layer_impl impl_rnn_cell = {"rnn_cell", cell_layer_forward,
                                             rnn_data_free};
static const tg__layer_impl impl_lstm_cell = {"lstm_cell", cell_layer_forward,
                                              rnn_data_free};
static const tg__layer_impl impl_gru_cell = {"gru_cell", cell_layer_forward,
                                             rnn_data_free};

static const tg__layer_impl *impl_of(mode m, bool cell)
{
    if (cell)
        return m == M_LSTM ? &impl_lstm_cell : m == M_GRU ? &impl_gru_cell
                                                          : &impl_rnn_cell;
    return m == M_LSTM ? &impl_lstm : m == M_GRU ? &impl_gru : &impl_rnn;
}

static rnn_data *data_of(const tg_layer *l, bool cell)
{
    for (int m = M_TANH; m <= M_GRU; m++) {
        rnn_data *d = tg__layer_ext_data(l, impl_of((mode)m, cell));
        if (d) return d;
    }
    return NULL;
}

/* ------------------------------------------------------------ building */

#define RNN_DIM_MAX (INT64_C(1) << 28)

static bool parse_nonlinearity(tg_graph *g, const char *s, mode *m,
                               const char *who)
{
    if (!s || !strcmp(s, "tanh")) *m = M_TANH;
    else if (!strcmp(s, "relu")) *m = M_RELU;
    else {
        tg__nn_fail(g, TG_ERR_ARG, "%s: unknown nonlinearity \"%s\"; hint: "
                                   "\"tanh\" or \"relu\" (nn.RNN's choices)",
                    who, s);
        return false;
    }
    return true;
}

static tg_layer *build(tg_graph *g, tg_dtype dt, mode m, bool cell,
                       int64_t I, int64_t H, const tg_rnn_opts *o,
                       bool bias, const char *name, const char *who)
{
    tg_rnn_opts def = {0};
    if (!o) o = &def;
    if (!g) {
        tg__set_last_error(TG_ERR_ARG, "%s: graph is NULL", who);
        return NULL;
    }
    const char *bad = NULL;
    if (I < 1 || H < 1 || I > RNN_DIM_MAX || H > RNN_DIM_MAX)
        bad = "input_size and hidden_size must lie in [1, 2^28]";
    else if (dt != TG_F32 && dt != TG_F64)
        bad = "dtype must be f32 or f64";
    else if (o->num_layers < 0 || o->num_layers > 1024)
        bad = "num_layers must lie in [0, 1024] (0 means 1)";
    else if (!(o->dropout >= 0 && o->dropout < 1))
        bad = "dropout must lie in [0, 1)";
    if (bad) {
        tg__nn_fail(g, TG_ERR_ARG,
                    "%s: %s (input_size %lld, hidden_size %lld, num_layers "
                    "%d, dropout %g)",
                    who, bad, (long long)I, (long long)H, o->num_layers,
                    o->dropout);
        return NULL;
    }
    rnn_data *d = tg__calloc(sizeof *d);
    tg_layer *l = d ? tg__layer_ext_new(g, impl_of(m, cell), name, who) : NULL;
    if (!l) {
        if (d) tg__free(d);
        else tg__nn_fail(g, TG_ERR_OOM, "%s: out of memory", who);
        return NULL;
    }
    tg__layer_ext_set_data(l, d);
    d->m = m;
    d->cell = cell;
    d->L = cell ? 1 : (o->num_layers ? o->num_layers : 1);
    d->D = !cell && o->bidirectional ? 2 : 1;
    d->I = I;
    d->H = H;
    d->dt = dt;
    d->batch_first = o->batch_first;
    d->dropout = o->dropout;
    int nk = d->L * d->D;
    d->w = tg__calloc(sizeof(tg_tensor *) * 4 * (size_t)nk);
    if (!d->w) {
        tg__nn_fail(g, TG_ERR_OOM, "%s: out of memory", who);
        return tg__layer_ext_done(l, who);
    }
    /* PyTorch's order: per layer, per direction, weight_ih, weight_hh,
     * bias_ih, bias_hh. */
    int64_t GH = gates(m) * H;
    double a = 1 / sqrt((double)H);
    for (int k = 0; k < nk && tg_graph_status(g) == TG_OK; k++) {
        int layer = k / d->D, dir = k % d->D;
        char sfx[48];
        if (cell) sfx[0] = 0;
        else snprintf(sfx, sizeof sfx, "_l%d%s", layer, dir ? "_reverse" : "");
        int64_t in = layer == 0 ? I : d->D * H;
        const char *what[4] = {"weight_ih", "weight_hh", "bias_ih", "bias_hh"};
        int64_t shp[4][2] = {{GH, in}, {GH, H}, {GH, 0}, {GH, 0}};
        for (int j = 0; j < (bias ? 4 : 2); j++) {
            char nm[96];
            snprintf(nm, sizeof nm, "%s%s", what[j], sfx);
            tg_tensor *p = tg__layer_ext_param(l, dt, j < 2 ? 2 : 1, shp[j], nm);
            if (!p) break;
            tg_init_uniform(p, NULL, -a, a);
            d->w[4 * k + j] = p;
        }
    }
    return tg__layer_ext_done(l, who);
}

tg_layer *tg_nn_rnn(tg_graph *g, tg_dtype dt, int64_t input_size,
                    int64_t hidden_size, const tg_rnn_opts *o,
                    const char *name)
{
    mode m = M_TANH;
    if (g && !parse_nonlinearity(g, o ? o->nonlinearity : NULL, &m, "tg_nn_rnn"))
        return NULL;
    return build(g, dt, m, false, input_size, hidden_size, o,
                 !(o && o->no_bias), name, "tg_nn_rnn");
}

tg_layer *tg_nn_lstm(tg_graph *g, tg_dtype dt, int64_t input_size,
                     int64_t hidden_size, const tg_rnn_opts *o,
                     const char *name)
{
    return build(g, dt, M_LSTM, false, input_size, hidden_size, o,
                 !(o && o->no_bias), name, "tg_nn_lstm");
}

tg_layer *tg_nn_gru(tg_graph *g, tg_dtype dt, int64_t input_size,
                    int64_t hidden_size, const tg_rnn_opts *o,
                    const char *name)
{
    return build(g, dt, M_GRU, false, input_size, hidden_size, o,
                 !(o && o->no_bias), name, "tg_nn_gru");
}

tg_layer *tg_nn_rnn_cell(tg_graph *g, tg_dtype dt, int64_t input_size,
                         int64_t hidden_size, bool bias,
                         const char *nonlinearity, const char *name)
{
    mode m = M_TANH;
    if (g && !parse_nonlinearity(g, nonlinearity, &m, "tg_nn_rnn_cell"))
        return NULL;
    return build(g, dt, m, true, input_size, hidden_size, NULL, bias, name,
                 "tg_nn_rnn_cell");
}

tg_layer *tg_nn_lstm_cell(tg_graph *g, tg_dtype dt, int64_t input_size,
                          int64_t hidden_size, bool bias, const char *name)
{
    return build(g, dt, M_LSTM, true, input_size, hidden_size, NULL, bias,
                 name, "tg_nn_lstm_cell");
}

tg_layer *tg_nn_gru_cell(tg_graph *g, tg_dtype dt, int64_t input_size,
                         int64_t hidden_size, bool bias, const char *name)
{
    return build(g, dt, M_GRU, true, input_size, hidden_size, NULL, bias,
                 name, "tg_nn_gru_cell");
}

/* ---------------------------------------------------------------- steps */

static tg_tensor *cols(tg_tensor *t, int64_t k, int64_t H)
{
    return tg_slice(t, -1, k * H, (k + 1) * H, 1);
}

/* One step of a (layer, direction). gi = x W_ih^T + b_ih, plus b_hh for
 * RNN and LSTM (GRU keeps b_hh apart: it sits inside r (.)); h, c [B, H]. */
static tg_tensor *step(const rnn_data *d, tg_tensor *gi, tg_tensor *h,
                       tg_tensor *c, tg_tensor *whh, tg_tensor *bhh,
                       tg_tensor **c_next)
{
    int64_t H = d->H;
    tg_tensor *gh = tg_matmul_t(h, whh, false, true);
    switch (d->m) {
    case M_TANH: return tg_tanh(tg_add(gi, gh));
    case M_RELU: return tg_relu(tg_add(gi, gh));
    case M_LSTM: {
        tg_tensor *a = tg_add(gi, gh);
        tg_tensor *i = tg_sigmoid(cols(a, 0, H));
        tg_tensor *f = tg_sigmoid(cols(a, 1, H));
        tg_tensor *gg = tg_tanh(cols(a, 2, H));
        tg_tensor *o = tg_sigmoid(cols(a, 3, H));
        tg_tensor *cn = tg_add(tg_mul(f, c), tg_mul(i, gg));
        *c_next = cn;
        return tg_mul(o, tg_tanh(cn));
    }
    case M_GRU: {
        if (bhh) gh = tg_add(gh, bhh);
        tg_tensor *r = tg_sigmoid(tg_add(cols(gi, 0, H), cols(gh, 0, H)));
        tg_tensor *z = tg_sigmoid(tg_add(cols(gi, 1, H), cols(gh, 1, H)));
        tg_tensor *n = tg_tanh(tg_add(cols(gi, 2, H), tg_mul(r, cols(gh, 2, H))));
        /* (1 - z) n + z h, as ATen evaluates it: n + z (h - n) */
        return tg_add(n, tg_mul(z, tg_sub(h, n)));
    }
    }
    return h;
}

/* x W_ih^T + b_ih (+ b_hh where the step wants it folded in). */
static tg_tensor *in_proj(tg_tensor *x, tg_tensor *wih, tg_tensor *bias)
{
    tg_tensor *p = tg_matmul_t(x, wih, false, true);
    return bias ? tg_add(p, bias) : p;
}

static tg_tensor *fold_bias(const rnn_data *d, tg_tensor *bih, tg_tensor *bhh)
{
    if (!bih) return NULL;
    return d->m == M_GRU ? bih : tg_add(bih, bhh);
}

/* ------------------------------------------------------------- checking */

static char *shp(char *buf, const tg_tensor *t)
{
    return tg__fmt_shape(buf, t->ndim, t->shape);
}

static bool poisoned(const tg_tensor *t)
{
    return t && (t->flags & TG_TF_POISON);
}

/* A state argument (h0, c0, a cell's h or c) must be [lead..., B, H]
 * with the batch axis absent when unbatched. */
static bool state_ok(tg_graph *g, const tg_tensor *s, const char *what,
                     int64_t lead, bool batched, int64_t B, int64_t H,
                     tg_dtype dt, const char *who, const char *lname)
{
    if (!s) return true;
    char sb[TG_SHAPE_BUF], want[TG_SHAPE_BUF];
    int64_t w[3];
    int n = 0;
    if (lead >= 0) w[n++] = lead;
    if (batched) w[n++] = B;
    w[n++] = H;
    bool ok = s->ndim == n && s->dtype == dt;
    for (int i = 0; ok && i < n; i++) ok = s->shape[i] == w[i];
    if (!ok) {
        tg__fail(g, TG_ERR_SHAPE,
                 "%s (%s): %s %s %s does not fit: want %s %s; hint: %s",
                 who, lname, what, shp(sb, s), tg_dtype_name(s->dtype),
                 tg__fmt_shape(want, n, w), tg_dtype_name(dt),
                 lead >= 0 ? "[num_layers * directions, batch, hidden], "
                             "without the batch axis for an unbatched input"
                           : "[batch, hidden], or [hidden] for an unbatched "
                             "input");
        return false;
    }
    return true;
}

/* The graph of the first non-NULL tensor. */
static tg_graph *graph_of(tg_tensor *const *ts, int n)
{
    for (int i = 0; i < n; i++)
        if (ts[i] && ts[i]->graph) return ts[i]->graph;
    return NULL;
}

static tg_tensor *fail_out(tg_graph *g, tg_tensor **a, tg_tensor **b)
{
    if (a) *a = g ? &g->poison : NULL;
    if (b) *b = g ? &g->poison : NULL;
    return g ? &g->poison : NULL;
}

/* Cut x along axis into n pieces of extent 1, reshaped to `ndim, shape`.
 * The backward pass adds each piece's gradient into x's accumulator in
 * place (tg__slice_add_into), so n slices cost n pieces' worth of work in
 * both directions. */
static void split(tg_tensor *x, int axis, int64_t n, int ndim,
                  const int64_t *shape, tg_tensor **out)
{
    for (int64_t t = 0; t < n; t++)
        out[t] = tg_reshape(tg_slice(x, axis, t, t + 1, 1), ndim, shape);
}

/* ------------------------------------------------------------- networks */

static tg_tensor *rnn_run(tg_layer *l, rnn_data *d, tg_tensor *x,
                          tg_tensor *h0, tg_tensor *c0, tg_tensor **h_n,
                          tg_tensor **c_n)
{
    const char *who = "tg_rnn_forward", *ln = tg_layer_name(l);
    tg_graph *g = x->graph;
    char sb[TG_SHAPE_BUF];
    if (x->ndim != 2 && x->ndim != 3) {
        tg__fail(g, TG_ERR_SHAPE,
                 "%s (%s): input %s must be 3-D [T, B, %lld] (%s) or 2-D "
                 "[T, %lld] (unbatched)",
                 who, ln, shp(sb, x), (long long)d->I,
                 d->batch_first ? "[B, T, I] with batch_first" : "time-major",
                 (long long)d->I);
        return fail_out(g, h_n, c_n);
    }
    bool batched = x->ndim == 3;
    int64_t T = batched && d->batch_first ? x->shape[1] : x->shape[0];
    int64_t B = !batched ? 1 : d->batch_first ? x->shape[0] : x->shape[1];
    if (x->shape[x->ndim - 1] != d->I || x->dtype != d->dt || T < 1) {
        tg__fail(g, TG_ERR_SHAPE,
                 "%s (%s): input %s %s does not fit a layer of input_size "
                 "%lld (%s)%s",
                 who, ln, shp(sb, x), tg_dtype_name(x->dtype),
                 (long long)d->I, tg_dtype_name(d->dt),
                 T < 1 ? "; hint: the sequence needs at least one step" : "");
        return fail_out(g, h_n, c_n);
    }
    if (c0 && d->m != M_LSTM) {
        tg__fail(g, TG_ERR_ARG,
                 "%s (%s): c0 is given but a %s layer has no cell state; "
                 "hint: pass NULL",
                 who, ln, mode_names[d->m]);
        return fail_out(g, h_n, c_n);
    }
    int nk = d->L * d->D;
    if (!state_ok(g, h0, "h0", nk, batched, B, d->H, d->dt, who, ln) ||
        !state_ok(g, c0, "c0", nk, batched, B, d->H, d->dt, who, ln))
        return fail_out(g, h_n, c_n);
    if (T > INT32_MAX / 4) {
        tg__fail(g, TG_ERR_SHAPE, "%s (%s): %lld time steps are too many",
                 who, ln, (long long)T);
        return fail_out(g, h_n, c_n);
    }

    int64_t H = d->H;
    /* working lists: xs (inputs of the current layer), ys (its outputs,
     * D per step), finals (the last state of each (layer, direction)) */
    size_t nt = (size_t)T;
    tg_tensor **xs = tg__arena_alloc(&g->arena, sizeof(tg_tensor *) * nt);
    tg_tensor **ys = tg__arena_alloc(&g->arena, sizeof(tg_tensor *) * nt * 2);
    tg_tensor **fin_h = tg__arena_alloc(&g->arena, sizeof(tg_tensor *) * (size_t)nk);
    tg_tensor **fin_c = tg__arena_alloc(&g->arena, sizeof(tg_tensor *) * (size_t)nk);
    if (!xs || !ys || !fin_h || !fin_c) {
        tg__fail(g, TG_ERR_OOM, "%s (%s): out of memory", who, ln);
        return fail_out(g, h_n, c_n);
    }
    tg_tensor *x3 = batched ? x : tg_reshape(x, 3, (int64_t[]){T, 1, d->I});
    split(x3, batched && d->batch_first ? 1 : 0, T, 2,
          (int64_t[]){B, d->I}, xs);
    tg_tensor *zero = NULL;
    tg_tensor *h03 = h0 && !batched ? tg_reshape(h0, 3, (int64_t[]){nk, 1, H}) : h0;
    tg_tensor *c03 = c0 && !batched ? tg_reshape(c0, 3, (int64_t[]){nk, 1, H}) : c0;
    tg_tensor **h0s = NULL, **c0s = NULL;
    if (h03 || c03) {
        h0s = tg__arena_alloc(&g->arena, sizeof(tg_tensor *) * (size_t)nk);
        c0s = tg__arena_alloc(&g->arena, sizeof(tg_tensor *) * (size_t)nk);
        if (!h0s || !c0s) {
            tg__fail(g, TG_ERR_OOM, "%s (%s): out of memory", who, ln);
            return fail_out(g, h_n, c_n);
        }
        for (int k = 0; k < nk; k++) h0s[k] = c0s[k] = NULL;
        if (h03) split(h03, 0, nk, 2, (int64_t[]){B, H}, h0s);
        if (c03) split(c03, 0, nk, 2, (int64_t[]){B, H}, c0s);
    }
    bool training = tg_is_training(g);
    for (int layer = 0; layer < d->L && g->status == TG_OK; layer++) {
        for (int dir = 0; dir < d->D; dir++) {
            int k = layer * d->D + dir;
            tg_tensor **w = d->w + 4 * k;
            tg_tensor *bias = fold_bias(d, w[2], w[3]);
            tg_tensor *h = h0s && h0s[k] ? h0s[k] : NULL;
            tg_tensor *c = c0s && c0s[k] ? c0s[k] : NULL;
            if (!h || (d->m == M_LSTM && !c)) {
                if (!zero) zero = tg_full(g, d->dt, 2, (int64_t[]){B, H}, 0);
                if (!h) h = zero;
                if (!c) c = zero;
            }
            for (int64_t s = 0; s < T; s++) {
                int64_t t = dir ? T - 1 - s : s;
                tg_tensor *gi = in_proj(xs[t], w[0], bias);
                tg_tensor *cn = NULL;
                h = step(d, gi, h, c, w[1], w[3], &cn);
                c = cn;
                ys[2 * t + dir] = h;
            }
            fin_h[k] = h;
            fin_c[k] = c;
        }
        /* the next layer's inputs (or the output) */
        bool last = layer + 1 == d->L;
        for (int64_t t = 0; t < T; t++) {
            tg_tensor *y = d->D == 2 ? tg_concat(ys + 2 * t, 2, 1) : ys[2 * t];
            if (!last && d->dropout > 0 && training) y = tg_dropout(y, d->dropout);
            xs[t] = y;
        }
    }
    /* output: [T, B, D H] time-major, [B, T, D H] batch-first */
    int64_t DH = d->D * H;
    bool bf = batched && d->batch_first;
    for (int64_t t = 0; t < T; t++)
        xs[t] = tg_reshape(xs[t], 3, bf ? (int64_t[]){B, 1, DH}
                                        : (int64_t[]){1, B, DH});
    tg_tensor *out = T == 1 ? xs[0] : tg_concat(xs, (int)T, bf ? 1 : 0);
    if (!batched) out = tg_reshape(out, 2, (int64_t[]){T, DH});
    int64_t sshape[3] = {1, B, H};
    for (int k = 0; k < nk; k++) {
        fin_h[k] = tg_reshape(fin_h[k], 3, sshape);
        if (d->m == M_LSTM) fin_c[k] = tg_reshape(fin_c[k], 3, sshape);
    }
    if (h_n) {
        *h_n = nk == 1 ? fin_h[0] : tg_concat(fin_h, nk, 0);
        if (!batched) *h_n = tg_reshape(*h_n, 2, (int64_t[]){nk, H});
    }
    if (c_n) {
        if (d->m != M_LSTM) *c_n = NULL;
        else {
            *c_n = nk == 1 ? fin_c[0] : tg_concat(fin_c, nk, 0);
            if (!batched) *c_n = tg_reshape(*c_n, 2, (int64_t[]){nk, H});
        }
    }
    if (g->status != TG_OK) return fail_out(g, h_n, c_n);
    return out;
}

tg_tensor *tg_rnn_forward(tg_layer *l, tg_tensor *x, tg_tensor *h0,
                          tg_tensor *c0, tg_tensor **h_n, tg_tensor **c_n)
{
    const char *who = "tg_rnn_forward";
    tg_tensor *all[3] = {x, h0, c0};
    tg_graph *g = graph_of(all, 3);
    if (tg__stale(x) || tg__stale(h0) || tg__stale(c0)) {
        tg__stale_fail(who, tg__stale(x) ? x : tg__stale(h0) ? h0 : c0);
        return fail_out(NULL, h_n, c_n);
    }
    if (!g) {
        tg__set_last_error(TG_ERR_ARG, "%s: input is NULL", who);
        return fail_out(NULL, h_n, c_n);
    }
    if (g->status != TG_OK || poisoned(x) || poisoned(h0) || poisoned(c0))
        return fail_out(g, h_n, c_n);
    rnn_data *d = data_of(l, false);
    if (!x || !d) {
        tg__fail(g, TG_ERR_ARG,
                 "%s: %s; hint: make the layer with tg_nn_rnn, tg_nn_lstm or "
                 "tg_nn_gru (cells step with tg_cell_forward)",
                 who, !x ? "input x is NULL"
                         : !l ? "layer is NULL"
                              : "the layer is not a recurrent network");
        return fail_out(g, h_n, c_n);
    }
    for (int i = 1; i < 3; i++)
        if (all[i] && all[i]->graph != x->graph) {
            tg__fail(g, TG_ERR_ARG, "%s (%s): %s lives on another graph than "
                                    "x", who, tg_layer_name(l),
                     i == 1 ? "h0" : "c0");
            return fail_out(g, h_n, c_n);
        }
    return rnn_run(l, d, x, h0, c0, h_n, c_n);
}

static tg_tensor *rnn_layer_forward(tg_layer *l, tg_tensor *x)
{
    return tg_rnn_forward(l, x, NULL, NULL, NULL, NULL);
}

/* ---------------------------------------------------------------- cells */

tg_tensor *tg_cell_forward(tg_layer *l, tg_tensor *x, tg_tensor *h,
                           tg_tensor *c, tg_tensor **c_next)
{
    const char *who = "tg_cell_forward";
    tg_tensor *all[3] = {x, h, c};
    tg_graph *g = graph_of(all, 3);
    if (tg__stale(x) || tg__stale(h) || tg__stale(c)) {
        tg__stale_fail(who, tg__stale(x) ? x : tg__stale(h) ? h : c);
        return fail_out(NULL, c_next, NULL);
    }
    if (!g) {
        tg__set_last_error(TG_ERR_ARG, "%s: input is NULL", who);
        return fail_out(NULL, c_next, NULL);
    }
    if (g->status != TG_OK || poisoned(x) || poisoned(h) || poisoned(c))
        return fail_out(g, c_next, NULL);
    rnn_data *d = data_of(l, true);
    if (!x || !d) {
        tg__fail(g, TG_ERR_ARG,
                 "%s: %s; hint: make the cell with tg_nn_rnn_cell, "
                 "tg_nn_lstm_cell or tg_nn_gru_cell",
                 who, !x ? "input x is NULL"
                         : !l ? "cell is NULL" : "the layer is not a cell");
        return fail_out(g, c_next, NULL);
    }
    const char *ln = tg_layer_name(l);
    char sb[TG_SHAPE_BUF];
    if ((x->ndim != 1 && x->ndim != 2) || x->shape[x->ndim - 1] != d->I ||
        x->dtype != d->dt) {
        tg__fail(g, TG_ERR_SHAPE,
                 "%s (%s): input %s %s does not fit: want [B, %lld] or "
                 "[%lld] %s",
                 who, ln, shp(sb, x), tg_dtype_name(x->dtype),
                 (long long)d->I, (long long)d->I, tg_dtype_name(d->dt));
        return fail_out(g, c_next, NULL);
    }
    if (c && d->m != M_LSTM) {
        tg__fail(g, TG_ERR_ARG,
                 "%s (%s): c is given but a %s cell has no cell state; hint: "
                 "pass NULL",
                 who, ln, mode_names[d->m]);
        return fail_out(g, c_next, NULL);
    }
    bool batched = x->ndim == 2;
    int64_t B = batched ? x->shape[0] : 1, H = d->H;
    if (!state_ok(g, h, "h", -1, batched, B, H, d->dt, who, ln) ||
        !state_ok(g, c, "c", -1, batched, B, H, d->dt, who, ln))
        return fail_out(g, c_next, NULL);
    for (int i = 1; i < 3; i++)
        if (all[i] && all[i]->graph != x->graph) {
            tg__fail(g, TG_ERR_ARG, "%s (%s): %s lives on another graph than "
                                    "x", who, ln, i == 1 ? "h" : "c");
            return fail_out(g, c_next, NULL);
        }
    int64_t bh[2] = {B, H};
    tg_tensor *x2 = batched ? x : tg_reshape(x, 2, (int64_t[]){1, d->I});
    tg_tensor *zero = (!h || (d->m == M_LSTM && !c)) ? tg_full(g, d->dt, 2, bh, 0)
                                                     : NULL;
    h = h ? (batched ? h : tg_reshape(h, 2, bh)) : zero;
    c = c ? (batched ? c : tg_reshape(c, 2, bh)) : zero;
    tg_tensor *cn = NULL;
    tg_tensor *hn = step(d, in_proj(x2, d->w[0], fold_bias(d, d->w[2], d->w[3])),
                         h, c, d->w[1], d->w[3], &cn);
    if (!batched) {
        hn = tg_reshape(hn, 1, &H);
        if (cn) cn = tg_reshape(cn, 1, &H);
    }
    if (g->status != TG_OK) return fail_out(g, c_next, NULL);
    if (c_next) *c_next = cn;
    return hn;
}

static tg_tensor *cell_layer_forward(tg_layer *l, tg_tensor *x)
{
    return tg_cell_forward(l, x, NULL, NULL, NULL);
}
