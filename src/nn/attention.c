/* Attention layers: multi-head attention (self and cross, causal, padding
 * and general masks), the transformer encoder block with its layer norm
 * after, before, inside or absent, and positional embeddings. All are
 * compositions of public ops (matmul_t, permute, softmax, masked_fill,
 * layer_norm…) with no backward of their own; tapegrad/nn_seq.h has the
 * equations and PyTorch's names.
 *
 * Legend: B batch, T query positions, S key positions, E embedding width,
 * h heads, d = E / h features per head, F feed-forward width.
 *
 * Internally everything is batch-first, [B, T, E]: a time-major input is
 * permuted once on the way in and once on the way out. */
#include "src/nn/nn_internal.h"

#include <math.h>
#include <stdio.h>

#define ATTN_DIM_MAX (INT64_C(1) << 28)

static char *shp(char *buf, const tg_tensor *t)
{
    return tg__fmt_shape(buf, t->ndim, t->shape);
}

static bool poisoned(const tg_tensor *t)
{
    return t && (t->flags & TG_TF_POISON);
}

/* [out, in] weight U(±1/sqrt(in)): nn.Linear's default. */
static void init_torch_linear(tg_tensor *w, tg_tensor *b, int64_t in)
{
    double a = 1 / sqrt((double)in);
    if (w) tg_init_uniform(w, NULL, -a, a);
    if (b) tg_init_uniform(b, NULL, -a, a);
}

/* x W^T + b with W [out, in] (PyTorch's layout). */
static tg_tensor *lin(tg_tensor *x, tg_tensor *w, tg_tensor *b)
{
    tg_tensor *y = tg_matmul_t(x, w, false, true);
    return b ? tg_add(y, b) : y;
}

/* ------------------------------------------------------------------ mha */

typedef struct mha_data {
    int64_t E, h, kdim, vdim;
    tg_dtype dt;
    bool batch_first;
    double dropout;
    tg_tensor *in_w, *in_b;        /* packed [3E, E], [3E] (bias may be NULL) */
    tg_tensor *q_w, *k_w, *v_w;    /* separate when kdim or vdim != E       */
    tg_tensor *out_w, *out_b;
} mha_data;

static void plain_free(void *p) { tg__free(p); }

static tg_tensor *mha_layer_forward(tg_layer *l, tg_tensor *x);
static const tg__layer_impl impl_mha = {"mha", mha_layer_forward, plain_free};

tg_layer *tg_nn_mha(tg_graph *g, tg_dtype dt, int64_t E, int64_t heads,
                    const tg_mha_opts *o, const char *name)
{
    const char *who = "tg_nn_mha";
    tg_mha_opts def = {0};
    if (!o) o = &def;
    if (!g) {
        tg__set_last_error(TG_ERR_ARG, "%s: graph is NULL", who);
        return NULL;
    }
    int64_t kd = o->kdim ? o->kdim : E, vd = o->vdim ? o->vdim : E;
    const char *bad = NULL;
    if (E < 1 || heads < 1 || E > ATTN_DIM_MAX || kd < 1 || vd < 1 ||
        kd > ATTN_DIM_MAX || vd > ATTN_DIM_MAX)
        bad = "embed_dim, num_heads, kdim and vdim must lie in [1, 2^28] "
              "(kdim, vdim 0: embed_dim)";
    else if (E % heads)
        bad = "embed_dim must be divisible by num_heads";
    else if (dt != TG_F32 && dt != TG_F64)
        bad = "dtype must be f32 or f64";
    else if (!(o->dropout >= 0 && o->dropout < 1))
        bad = "dropout must lie in [0, 1)";
    if (bad) {
        tg__nn_fail(g, TG_ERR_ARG,
                    "%s: %s (embed_dim %lld, num_heads %lld, kdim %lld, vdim "
                    "%lld, dropout %g)",
                    who, bad, (long long)E, (long long)heads,
                    (long long)o->kdim, (long long)o->vdim, o->dropout);
        return NULL;
    }
    mha_data *d = tg__calloc(sizeof *d);
    tg_layer *l = d ? tg__layer_ext_new(g, &impl_mha, name, who) : NULL;
    if (!l) {
        if (d) tg__free(d);
        else tg__nn_fail(g, TG_ERR_OOM, "%s: out of memory", who);
        return NULL;
    }
    tg__layer_ext_set_data(l, d);
    *d = (mha_data){.E = E, .h = heads, .kdim = kd, .vdim = vd, .dt = dt,
                    .batch_first = o->batch_first, .dropout = o->dropout};
    bool packed = kd == E && vd == E;
    /* PyTorch's order: in_proj_weight (or q, k, v), in_proj_bias,
     * out_proj.weight, out_proj.bias */
    if (packed) {
        d->in_w = tg__layer_ext_param(l, dt, 2, (int64_t[]){3 * E, E},
                                      "in_proj_weight");
        if (d->in_w)
            tg_init_apply_fans(d->in_w, TG_INIT_XAVIER_UNIFORM, NULL, E, 3 * E);
    } else {
        d->q_w = tg__layer_ext_param(l, dt, 2, (int64_t[]){E, E}, "q_proj_weight");
        if (d->q_w)
            d->k_w = tg__layer_ext_param(l, dt, 2, (int64_t[]){E, kd},
                                         "k_proj_weight");
        if (d->k_w)
            d->v_w = tg__layer_ext_param(l, dt, 2, (int64_t[]){E, vd},
                                         "v_proj_weight");
        if (d->v_w) {
            tg_init_apply_fans(d->q_w, TG_INIT_XAVIER_UNIFORM, NULL, E, E);
            tg_init_apply_fans(d->k_w, TG_INIT_XAVIER_UNIFORM, NULL, kd, E);
            tg_init_apply_fans(d->v_w, TG_INIT_XAVIER_UNIFORM, NULL, vd, E);
        }
    }
    if (tg_graph_status(g) == TG_OK && !o->no_bias)
        d->in_b = tg__layer_ext_param(l, dt, 1, (int64_t[]){3 * E}, "in_proj_bias");
    if (tg_graph_status(g) == TG_OK)
        d->out_w = tg__layer_ext_param(l, dt, 2, (int64_t[]){E, E},
                                       "out_proj.weight");
    if (tg_graph_status(g) == TG_OK && !o->no_bias)
        d->out_b = tg__layer_ext_param(l, dt, 1, &E, "out_proj.bias");
    if (tg_graph_status(g) == TG_OK) {
        init_torch_linear(d->out_w, NULL, E);
        if (d->out_b) tg_init_zeros(d->out_b);
        if (d->in_b) tg_init_zeros(d->in_b);
    }
    return tg__layer_ext_done(l, who);
}

/* Bring a [T, B, F] (time-major), [B, T, F] or unbatched [T, F] argument
 * to [B, T, F]. */
static tg_tensor *to_bf(const mha_data *d, tg_tensor *x)
{
    if (x->ndim == 2) return tg_unsqueeze(x, 0);
    return d->batch_first ? x : tg_transpose(x, 0, 1);
}

/* [B, n, E] -> [B, h, n, d] */
static tg_tensor *heads_split(tg_tensor *x, int64_t h)
{
    int64_t B = x->shape[0], n = x->shape[1], E = x->shape[2];
    tg_tensor *r = tg_reshape(x, 4, (int64_t[]){B, n, h, E / h});
    return tg_permute(r, 4, (int64_t[]){0, 2, 1, 3});
}

static bool mask_shape_ok(const tg_tensor *m, int nd, const int64_t *want)
{
    if (m->ndim != nd) return false;
    for (int i = 0; i < nd; i++)
        if (m->shape[i] != want[i]) return false;
    return true;
}

static tg_tensor *causal_mask(tg_graph *g, int64_t T, int64_t S)
{
    tg_tensor *c = tg_constant(g, TG_BOOL, 2, (int64_t[]){T, S}, NULL);
    if (c->flags & TG_TF_POISON) return c;
    bool *p = tg_bool(c);
    for (int64_t i = 0; i < T; i++)
        for (int64_t j = 0; j < S; j++) p[i * S + j] = j > i;
    return c;
}

static tg_tensor *mha_core(tg_layer *l, mha_data *d, tg_tensor *q,
                           tg_tensor *k, tg_tensor *v, const tg_attn_mask *m,
                           tg_tensor **weights)
{
    const char *who = "tg_mha_forward", *ln = tg_layer_name(l);
    tg_graph *g = q->graph;
    char s1[TG_SHAPE_BUF], s2[TG_SHAPE_BUF], s3[TG_SHAPE_BUF];
    int nd = q->ndim;
    bool ok = (nd == 2 || nd == 3) && k->ndim == nd && v->ndim == nd &&
              q->dtype == d->dt && k->dtype == d->dt && v->dtype == d->dt &&
              q->shape[nd - 1] == d->E && k->shape[nd - 1] == d->kdim &&
              v->shape[nd - 1] == d->vdim;
    int ta = nd == 3 && d->batch_first ? 1 : 0; /* the sequence axis */
    int ba = nd == 3 ? 1 - ta : -1;
    if (ok) ok = k->shape[ta] == v->shape[ta];
    if (ok && nd == 3) ok = q->shape[ba] == k->shape[ba] && k->shape[ba] == v->shape[ba];
    if (ok) ok = q->shape[ta] >= 1 && k->shape[ta] >= 1;
    if (!ok) {
        tg__fail(g, TG_ERR_SHAPE,
                 "%s (%s): query %s, key %s, value %s (%s) do not fit: want "
                 "%s with E = %lld, kdim %lld, vdim %lld, %s; hint: keys and "
                 "values share the sequence length S >= 1, all three the "
                 "batch",
                 who, ln, shp(s1, q), shp(s2, k), shp(s3, v),
                 tg_dtype_name(q->dtype),
                 d->batch_first ? "[B, T, E], [B, S, kdim], [B, S, vdim]"
                                : "[T, B, E], [S, B, kdim], [S, B, vdim]",
                 (long long)d->E, (long long)d->kdim, (long long)d->vdim,
                 tg_dtype_name(d->dt));
        return &g->poison;
    }
    int64_t B = nd == 3 ? q->shape[ba] : 1, T = q->shape[ta], S = k->shape[ta];
    int64_t E = d->E, h = d->h, hd = E / h;

    /* the combined mask, true = not allowed, broadcastable to [B, h, T, S] */
    tg_tensor *mask = NULL, *additive = NULL;
    if (m && m->attn_mask) {
        tg_tensor *a = m->attn_mask;
        bool is_bool = a->dtype == TG_BOOL;
        if (a->graph != g || (!is_bool && a->dtype != d->dt) ||
            !(mask_shape_ok(a, 2, (int64_t[]){T, S}) ||
              mask_shape_ok(a, 3, (int64_t[]){B * h, T, S}) ||
              mask_shape_ok(a, 4, (int64_t[]){B, h, T, S}))) {
            tg__fail(g, TG_ERR_SHAPE,
                     "%s (%s): attn_mask %s %s does not fit: want bool (or "
                     "%s) [T, S] = [%lld, %lld], [B num_heads, T, S] or [B, "
                     "num_heads, T, S] on the query's graph",
                     who, ln, shp(s1, a), tg_dtype_name(a->dtype),
                     tg_dtype_name(d->dt), (long long)T, (long long)S);
            return &g->poison;
        }
        if (a->ndim == 3) a = tg_reshape(a, 4, (int64_t[]){B, h, T, S});
        if (is_bool) mask = a;
        else additive = a;
    }
    if (m && m->key_padding_mask) {
        tg_tensor *kp = m->key_padding_mask;
        bool fits = kp->graph == g && kp->dtype == TG_BOOL &&
                    (nd == 3 ? mask_shape_ok(kp, 2, (int64_t[]){B, S})
                             : mask_shape_ok(kp, 1, &S));
        if (!fits) {
            tg__fail(g, TG_ERR_SHAPE,
                     "%s (%s): key_padding_mask %s %s does not fit: want bool "
                     "[B, S] = [%lld, %lld] ([S] unbatched), true at padding",
                     who, ln, shp(s1, kp), tg_dtype_name(kp->dtype),
                     (long long)B, (long long)S);
            return &g->poison;
        }
        kp = tg_reshape(kp, 4, (int64_t[]){B, 1, 1, S});
        mask = mask ? tg_logical_or(mask, kp) : kp;
    }
    if (m && m->causal) {
        tg_tensor *c = causal_mask(g, T, S);
        mask = mask ? tg_logical_or(mask, c) : c;
    }

    tg_tensor *qb = to_bf(d, q), *kb = to_bf(d, k), *vb = to_bf(d, v);
    tg_tensor *Q, *K, *V;
    if (d->in_w && q == k && k == v) {
        /* self-attention: one product for Q, K and V, then one copy that
         * puts the three and the heads in front: [3, B, h, T, d] */
        tg_tensor *qkv = lin(qb, d->in_w, d->in_b);
        qkv = tg_reshape(qkv, 5, (int64_t[]){B, T, 3, h, hd});
        qkv = tg_permute(qkv, 5, (int64_t[]){2, 0, 3, 1, 4});
        int64_t hs[4] = {B, h, T, hd};
        Q = tg_reshape(tg_slice(qkv, 0, 0, 1, 1), 4, hs);
        K = tg_reshape(tg_slice(qkv, 0, 1, 2, 1), 4, hs);
        V = tg_reshape(tg_slice(qkv, 0, 2, 3, 1), 4, hs);
    } else {
        tg_tensor *wq = d->q_w, *wk = d->k_w, *wv = d->v_w;
        if (d->in_w) {
            wq = tg_slice(d->in_w, 0, 0, E, 1);
            wk = tg_slice(d->in_w, 0, E, 2 * E, 1);
            wv = tg_slice(d->in_w, 0, 2 * E, 3 * E, 1);
        }
        tg_tensor *bq = NULL, *bk = NULL, *bv = NULL;
        if (d->in_b) {
            bq = tg_slice(d->in_b, 0, 0, E, 1);
            bk = tg_slice(d->in_b, 0, E, 2 * E, 1);
            bv = tg_slice(d->in_b, 0, 2 * E, 3 * E, 1);
        }
        Q = heads_split(lin(qb, wq, bq), h);
        K = heads_split(lin(kb, wk, bk), h);
        V = heads_split(lin(vb, wv, bv), h);
    }
    /* scale the queries, not the [T, S] scores (PyTorch does the same) */
    Q = tg_mul_scalar(Q, 1 / sqrt((double)hd));
    tg_tensor *sc = tg_matmul_t(Q, K, false, true); /* [B, h, T, S] */
    if (additive) sc = tg_add(sc, additive);
    if (mask) sc = tg_masked_fill(sc, mask, -INFINITY);
    tg_tensor *P = tg_softmax(sc, -1);
    if (weights) *weights = nd == 3 ? P : tg_reshape(P, 3, (int64_t[]){h, T, S});
    if (d->dropout > 0 && tg_is_training(g)) P = tg_dropout(P, d->dropout);
    tg_tensor *O = tg_matmul(P, V); /* [B, h, T, d] */
    O = tg_reshape(tg_permute(O, 4, (int64_t[]){0, 2, 1, 3}), 3,
                   (int64_t[]){B, T, E});
    tg_tensor *y = lin(O, d->out_w, d->out_b);
    if (nd == 2) return tg_reshape(y, 2, (int64_t[]){T, E});
    return d->batch_first ? y : tg_transpose(y, 0, 1);
}

static tg_graph *graph_of(tg_tensor *const *ts, int n)
{
    for (int i = 0; i < n; i++)
        if (ts[i] && ts[i]->graph) return ts[i]->graph;
    return NULL;
}

tg_tensor *tg_mha_forward(tg_layer *l, tg_tensor *q, tg_tensor *k,
                          tg_tensor *v, const tg_attn_mask *m,
                          tg_tensor **weights)
{
    const char *who = "tg_mha_forward";
    tg_tensor *all[5] = {q, k, v, m ? m->attn_mask : NULL,
                         m ? m->key_padding_mask : NULL};
    tg_graph *g = graph_of(all, 5);
    if (weights) *weights = g ? &g->poison : NULL;
    for (int i = 0; i < 5; i++)
        if (tg__stale(all[i])) {
            tg__stale_fail(who, all[i]);
            return NULL;
        }
    if (!g) {
        tg__set_last_error(TG_ERR_ARG, "%s: query is NULL", who);
        return NULL;
    }
    for (int i = 0; i < 5; i++)
        if (poisoned(all[i])) return &g->poison;
    if (g->status != TG_OK) return &g->poison;
    mha_data *d = tg__layer_ext_data(l, &impl_mha);
    if (!d || !q || !k || !v || q->graph != g || k->graph != g ||
        v->graph != g) {
        tg__fail(g, TG_ERR_ARG,
                 "%s: %s; hint: make the layer with tg_nn_mha and pass q, k "
                 "and v of one graph (q for all three in self-attention)",
                 who, !l ? "layer is NULL" : !d ? "the layer is not attention"
                                              : "query, key or value is NULL "
                                                "or on another graph");
        return &g->poison;
    }
    return mha_core(l, d, q, k, v, m, weights);
}

static tg_tensor *mha_layer_forward(tg_layer *l, tg_tensor *x)
{
    return tg_mha_forward(l, x, x, x, NULL, NULL);
}

/* ---------------------------------------------------- transformer block */

typedef struct block_data {
    tg_ln_place norm;
    bool causal;
    double dropout;
    tg_act_fn act;
    tg_layer *sa, *n1, *n2;      /* children (n1, n2 NULL for TG_LN_NONE) */
    tg_tensor *w1, *b1, *w2, *b2;
} block_data;

static tg_tensor *block_layer_forward(tg_layer *l, tg_tensor *x);
static const tg__layer_impl impl_block = {"transformer_block",
                                          block_layer_forward, plain_free};

tg_layer *tg_nn_transformer_block(tg_graph *g, tg_dtype dt, int64_t E,
                                  int64_t nhead, const tg_block_opts *o,
                                  const char *name)
{
    const char *who = "tg_nn_transformer_block";
    tg_block_opts def = {0};
    if (!o) o = &def;
    if (!g) {
        tg__set_last_error(TG_ERR_ARG, "%s: graph is NULL", who);
        return NULL;
    }
    int64_t F = o->dim_ff ? o->dim_ff : 4 * E;
    tg_act_fn act = tg_activation(o->activation ? o->activation : "relu");
    const char *bad = NULL;
    if (E < 1 || E > ATTN_DIM_MAX || F < 1 || F > ATTN_DIM_MAX)
        bad = "d_model and dim_ff must lie in [1, 2^28] (dim_ff 0: 4 d_model)";
    else if (o->norm < TG_LN_POST || o->norm > TG_LN_NONE)
        bad = "norm must be TG_LN_POST, TG_LN_PRE, TG_LN_INTRA or TG_LN_NONE";
    else if (!act)
        bad = "unknown activation (tg_activation_names() lists them)";
    else if (!(o->dropout >= 0 && o->dropout < 1))
        bad = "dropout must lie in [0, 1)";
    if (bad) {
        tg__nn_fail(g, TG_ERR_ARG,
                    "%s: %s (d_model %lld, nhead %lld, dim_ff %lld, norm %d, "
                    "activation \"%s\", dropout %g)",
                    who, bad, (long long)E, (long long)nhead,
                    (long long)o->dim_ff, (int)o->norm,
                    o->activation ? o->activation : "relu", o->dropout);
        return NULL;
    }
    char auto_name[64], sub[512];
    if (!name) {
        snprintf(auto_name, sizeof auto_name, "transformer_block@%d",
                 tg_graph_num_params(g));
        name = auto_name;
    }
    block_data *d = tg__calloc(sizeof *d);
    tg_layer *l = d ? tg__layer_ext_new(g, &impl_block, name, who) : NULL;
    if (!l) {
        if (d) tg__free(d);
        else tg__nn_fail(g, TG_ERR_OOM, "%s: out of memory", who);
        return NULL;
    }
    tg__layer_ext_set_data(l, d);
    d->norm = o->norm;
    d->causal = o->causal;
    d->dropout = o->dropout;
    d->act = act;
    /* PyTorch's order: self_attn, linear1, linear2, norm1, norm2 (own
     * parameters are listed before the children's: linear1, linear2, then
     * self_attn, norm1, norm2) */
    d->w1 = tg__layer_ext_param(l, dt, 2, (int64_t[]){F, E}, "linear1.weight");
    if (d->w1) d->b1 = tg__layer_ext_param(l, dt, 1, &F, "linear1.bias");
    if (d->b1) d->w2 = tg__layer_ext_param(l, dt, 2, (int64_t[]){E, F}, "linear2.weight");
    if (d->w2) d->b2 = tg__layer_ext_param(l, dt, 1, &E, "linear2.bias");
    if (!d->b2) return tg__layer_ext_done(l, who);
    init_torch_linear(d->w1, d->b1, E);
    init_torch_linear(d->w2, d->b2, F);
    tg_mha_opts mo = {.batch_first = o->batch_first, .dropout = o->dropout};
    snprintf(sub, sizeof sub, "%s.self_attn", name);
    d->sa = tg_nn_mha(g, dt, E, nhead, &mo, sub);
    if (!tg__layer_ext_adopt(l, d->sa, who)) return tg__layer_ext_done(l, who);
    if (o->norm != TG_LN_NONE) {
        double eps = o->eps > 0 ? o->eps : 1e-5;
        snprintf(sub, sizeof sub, "%s.norm1", name);
        d->n1 = tg_nn_layernorm(g, dt, E, eps, sub);
        if (!tg__layer_ext_adopt(l, d->n1, who)) return tg__layer_ext_done(l, who);
        snprintf(sub, sizeof sub, "%s.norm2", name);
        d->n2 = tg_nn_layernorm(g, dt, E, eps, sub);
        if (!tg__layer_ext_adopt(l, d->n2, who)) return tg__layer_ext_done(l, who);
    }
    return tg__layer_ext_done(l, who);
}

static tg_tensor *drop(tg_tensor *x, double p)
{
    return p > 0 && tg_is_training(x->graph) ? tg_dropout(x, p) : x;
}

/* The two sublayers; SA gets the block's masks. */
static tg_tensor *sublayer(const block_data *d, int which, tg_tensor *x,
                           const tg_attn_mask *m)
{
    if (which == 0) return drop(tg_mha_forward(d->sa, x, x, x, m, NULL), d->dropout);
    tg_tensor *hid = drop(d->act(lin(x, d->w1, d->b1)), d->dropout);
    return drop(lin(hid, d->w2, d->b2), d->dropout);
}

tg_tensor *tg_transformer_block_forward(tg_layer *l, tg_tensor *x,
                                        const tg_attn_mask *m)
{
    const char *who = "tg_transformer_block_forward";
    tg_graph *g = x ? x->graph : NULL;
    if (tg__stale(x)) {
        tg__stale_fail(who, x);
        return NULL;
    }
    if (!g) {
        tg__set_last_error(TG_ERR_ARG, "%s: input is NULL", who);
        return NULL;
    }
    if (poisoned(x) || g->status != TG_OK) return &g->poison;
    block_data *d = tg__layer_ext_data(l, &impl_block);
    if (!d) {
        tg__fail(g, TG_ERR_ARG,
                 "%s: %s; hint: make it with tg_nn_transformer_block", who,
                 l ? "the layer is not a transformer block" : "layer is NULL");
        return &g->poison;
    }
    tg_attn_mask mm = {0};
    if (m) mm = *m;
    mm.causal = mm.causal || d->causal;
    for (int s = 0; s < 2; s++) {
        tg_layer *n = s ? d->n2 : d->n1;
        switch (d->norm) {
        case TG_LN_POST:
            x = tg_layer_forward(n, tg_add(x, sublayer(d, s, x, &mm)));
            break;
        case TG_LN_PRE:
            x = tg_add(x, sublayer(d, s, tg_layer_forward(n, x), &mm));
            break;
        case TG_LN_INTRA:
            x = tg_add(x, tg_layer_forward(n, sublayer(d, s, x, &mm)));
            break;
        case TG_LN_NONE: x = tg_add(x, sublayer(d, s, x, &mm)); break;
        }
    }
    return x;
}

static tg_tensor *block_layer_forward(tg_layer *l, tg_tensor *x)
{
    return tg_transformer_block_forward(l, x, NULL);
}

/* ------------------------------------------------ positional embeddings */

typedef struct pos_data {
    int64_t max_len, dim;
    tg_dtype dt;
    tg_tensor *w; /* learned: [max_len, dim]; sinusoidal: NULL */
    double *table; /* sinusoidal: [max_len, dim] */
} pos_data;

static void pos_free(void *p)
{
    pos_data *d = p;
    if (d) tg__free(d->table);
    tg__free(d);
}

static tg_tensor *pos_layer_forward(tg_layer *l, tg_tensor *x);
static const tg__layer_impl impl_pos = {"pos_embedding", pos_layer_forward,
                                        pos_free};
static const tg__layer_impl impl_sin = {"sinusoidal_pos", pos_layer_forward,
                                        pos_free};

static tg_layer *pos_layer(tg_graph *g, tg_dtype dt, int64_t max_len,
                           int64_t dim, const char *name, bool learned,
                           const char *who)
{
    if (!g) {
        tg__set_last_error(TG_ERR_ARG, "%s: graph is NULL", who);
        return NULL;
    }
    if (max_len < 1 || dim < 1 || max_len > ATTN_DIM_MAX || dim > ATTN_DIM_MAX ||
        max_len * dim > (INT64_C(1) << 31) || (dt != TG_F32 && dt != TG_F64)) {
        tg__nn_fail(g, TG_ERR_ARG,
                    "%s: max_len %lld and dim %lld must be >= 1 with at most "
                    "2^31 entries in all, dtype %s f32 or f64",
                    who, (long long)max_len, (long long)dim, tg_dtype_name(dt));
        return NULL;
    }
    pos_data *d = tg__calloc(sizeof *d);
    tg_layer *l = d ? tg__layer_ext_new(g, learned ? &impl_pos : &impl_sin,
                                        name, who)
                    : NULL;
    if (!l) {
        if (d) tg__free(d);
        else tg__nn_fail(g, TG_ERR_OOM, "%s: out of memory", who);
        return NULL;
    }
    tg__layer_ext_set_data(l, d);
    d->max_len = max_len;
    d->dim = dim;
    d->dt = dt;
    if (learned) {
        d->w = tg__layer_ext_param(l, dt, 2, (int64_t[]){max_len, dim}, "weight");
        if (d->w) tg_init_normal(d->w, NULL, 0, 1);
    } else {
        d->table = tg__malloc(sizeof(double) * (size_t)(max_len * dim));
        if (!d->table) {
            tg__nn_fail(g, TG_ERR_OOM, "%s: out of memory", who);
            return tg__layer_ext_done(l, who);
        }
        for (int64_t p = 0; p < max_len; p++)
            for (int64_t j = 0; j < dim; j++) {
                /* columns 2i and 2i+1 share the frequency 10000^(-2i/E) */
                double w = pow(10000.0, -(double)(j - j % 2) / (double)dim);
                d->table[p * dim + j] = j % 2 ? cos((double)p * w)
                                              : sin((double)p * w);
            }
    }
    return tg__layer_ext_done(l, who);
}

tg_layer *tg_nn_pos_embedding(tg_graph *g, tg_dtype dt, int64_t max_len,
                              int64_t dim, const char *name)
{
    return pos_layer(g, dt, max_len, dim, name, true, "tg_nn_pos_embedding");
}

tg_layer *tg_nn_sinusoidal_pos(tg_graph *g, tg_dtype dt, int64_t max_len,
                               int64_t dim)
{
    return pos_layer(g, dt, max_len, dim, NULL, false, "tg_nn_sinusoidal_pos");
}

static tg_tensor *pos_layer_forward(tg_layer *l, tg_tensor *x)
{
    pos_data *d = tg__layer_ext_data(l, &impl_pos);
    if (!d) d = tg__layer_ext_data(l, &impl_sin);
    tg_graph *g = x->graph;
    if (poisoned(x) || g->status != TG_OK) return &g->poison;
    char sb[TG_SHAPE_BUF];
    if (x->ndim < 2 || x->shape[x->ndim - 1] != d->dim ||
        x->shape[x->ndim - 2] > d->max_len || x->dtype != d->dt) {
        tg__fail(g, TG_ERR_SHAPE,
                 "%s (%s): input %s %s does not fit: want [..., T, %lld] %s "
                 "with T <= max_len %lld; hint: positions run along the "
                 "second-to-last axis (batch-first)",
                 tg_layer_kind(l), tg_layer_name(l), shp(sb, x),
                 tg_dtype_name(x->dtype), (long long)d->dim,
                 tg_dtype_name(d->dt), (long long)d->max_len);
        return &g->poison;
    }
    int64_t T = x->shape[x->ndim - 2];
    if (d->w) return tg_add(x, tg_slice(d->w, 0, 0, T, 1));
    tg_tensor *p = tg_constant(g, d->dt, 2, (int64_t[]){T, d->dim}, NULL);
    if (poisoned(p)) return p;
    for (int64_t i = 0; i < T * d->dim; i++) {
        if (d->dt == TG_F64) tg_f64(p)[i] = d->table[i];
        else tg_f32(p)[i] = (float)d->table[i];
    }
    return tg_add(x, p);
}
