/* The functions of the expression language. Every op is one, named and
 * described by its descriptor (inputs, attributes as keywords, index
 * inputs), so adding an op adds its function; the few rows written here
 * are C API functions that are compositions of ops, not ops, and a
 * name PyTorch users type (swish). */
#include "expr.h"
#include "internal.h"

#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

typedef const tg__kw_val KW;

/* A keyword's number as the C parameter it lands in. A C caller of
 * tg__expr_invoke (the op fuzzer, the op sweep) may pass any double;
 * out-of-range values saturate, so the op sees an invalid axis or count
 * and reports it, instead of an undefined conversion. */
static int64_t kw_l(double v) { return tg__to_i64(v); }
static int kw_i(double v)
{
    int64_t x = tg__to_i64(v);
    return x > INT_MAX ? INT_MAX : x < INT_MIN ? INT_MIN : (int)x;
}

/* ------------------------------------------------------- compositions */

static tg_tensor *w_sum_all(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt, (void)k;
    return tg_sum_all(t[0]);
}
static tg_tensor *w_mean_all(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt, (void)k;
    return tg_mean_all(t[0]);
}
static tg_tensor *w_squeeze_all(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt, (void)k;
    return tg_squeeze_all(t[0]);
}
static tg_tensor *w_transpose(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_transpose(t[0], kw_i(k[0].num), kw_i(k[1].num));
}
static tg_tensor *w_matmul_t(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_matmul_t(t[0], t[1], k[0].num != 0, k[1].num != 0);
}
/* Aliases that PyTorch users type: swish is silu. */
static tg_tensor *w_swish(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt, (void)k;
    return tg_silu(t[0]);
}
static tg_tensor *w_layer_norm_n(tg_tensor *const *t, int nt, KW *k)
{
    return tg_layer_norm_n(t[0], kw_i(k[0].num), nt > 1 ? t[1] : NULL,
                           nt > 2 ? t[2] : NULL, k[1].num);
}
/* interpolate(x, size=[h, w] | scale=s, linear=0|1, align_corners=0|1)
 * and dropout2d(x, p): compositions of ops (tapegrad/ops_conv.h) */
static tg_tensor *w_interpolate(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    tg_interp_opts o = {.scale_factor = {k[1].num, k[1].num},
                        .mode = k[2].num != 0 ? TG_INTERP_LINEAR
                                              : TG_INTERP_NEAREST,
                        .align_corners = k[3].num != 0};
    if (k[0].given && k[0].n > 0) {
        o.size[0] = k[0].list[0];
        o.size[1] = k[0].n > 1 ? k[0].list[1] : k[0].list[0];
    }
    return tg_interpolate(t[0], &o);
}
static tg_tensor *w_dropout2d(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_dropout2d(t[0], k[0].num);
}


/* Shape compositions (tapegrad/ops_shape.h). split, chunk and unbind
 * yield several tensors: in an expression, index=k picks piece k (as
 * torch.chunk(x, 3, 1)[k]). */
static tg_tensor *w_stack(tg_tensor *const *t, int nt, KW *k)
{
    return tg_stack(t, nt, kw_i(k[0].num));
}
static tg_tensor *piece(tg_tensor *x, int n, tg_tensor **out, int64_t index,
                        const char *who)
{
    tg_tensor *r;
    if (n < 0 || x->graph->status != TG_OK) r = &x->graph->poison;
    else if (index < 0 || index >= n) {
        tg__fail(x->graph, TG_ERR_ARG,
                 "%s: index %lld, but there are %d pieces; hint: index=0 to "
                 "%d",
                 who, (long long)index, n, n - 1);
        r = &x->graph->poison;
    } else r = out[index];
    tg__free(out);
    return r;
}
static tg_tensor **piece_buf(tg_tensor *x, int64_t n, const char *who)
{
    if (n < 1) n = 1;
    tg_tensor **out = n < (1 << 24) ? tg__malloc(sizeof(tg_tensor *) * (size_t)n)
                                    : NULL;
    if (!out) tg__fail(x->graph, TG_ERR_OOM, "%s: out of memory for %lld pieces",
                       who, (long long)n);
    return out;
}
static tg_tensor *w_split(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    tg_tensor *x = t[0];
    if (!x || tg__stale(x) || x->graph->status != TG_OK)
        return tg_mul_scalar(x, 1); /* reports */
    int64_t ss = kw_l(k[0].num), d = kw_l(k[1].num), len = 1;
    if (tg__norm_axis(&d, x->ndim) && x->ndim > 0) len = x->shape[d];
    int64_t n = ss > 0 ? (len + ss - 1) / ss : 1;
    tg_tensor **out = piece_buf(x, n, "tg_split");
    if (!out) return &x->graph->poison;
    int got = tg_split(x, ss, kw_i(k[1].num), out, (int)(n < 1 ? 1 : n));
    return piece(x, got, out, kw_l(k[2].num), "tg_split");
}
static tg_tensor *w_chunk(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    tg_tensor *x = t[0];
    if (!x || tg__stale(x) || x->graph->status != TG_OK)
        return tg_mul_scalar(x, 1);
    int64_t c = kw_l(k[0].num);
    tg_tensor **out = piece_buf(x, c, "tg_chunk");
    if (!out) return &x->graph->poison;
    int got = tg_chunk(x, c > INT_MAX ? INT_MAX : (int)(c > 0 ? c : 0), kw_i(k[1].num), out);
    return piece(x, got, out, kw_l(k[2].num), "tg_chunk");
}
static tg_tensor *w_unbind(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    tg_tensor *x = t[0];
    if (!x || tg__stale(x) || x->graph->status != TG_OK)
        return tg_mul_scalar(x, 1);
    int64_t d = kw_l(k[0].num), n = 1;
    if (x->ndim > 0 && tg__norm_axis(&d, x->ndim)) n = x->shape[d];
    tg_tensor **out = piece_buf(x, n, "tg_unbind");
    if (!out) return &x->graph->poison;
    int got = tg_unbind(x, kw_i(k[0].num), out, (int)(n < 1 ? 1 : n));
    return piece(x, got, out, kw_l(k[1].num), "tg_unbind");
}
static tg_tensor *w_roll(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    int n = k[0].n;
    tg_tensor *x = t[0];
    if (x && !tg__stale(x) && x->graph->status == TG_OK && k[1].given &&
        k[1].n != n) {
        tg__fail(x->graph, TG_ERR_ARG,
                 "tg_roll: %d shifts and %d dims; hint: one dim per shift",
                 n, k[1].n);
        return &x->graph->poison;
    }
    return tg_roll(x, n, k[0].list, k[1].given ? k[1].list : NULL);
}
static tg_tensor *w_tril(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_tril(t[0], kw_l(k[0].num));
}
static tg_tensor *w_triu(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_triu(t[0], kw_l(k[0].num));
}
static tg_tensor *w_diagonal(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_diagonal(t[0], kw_l(k[0].num), kw_i(k[1].num), kw_i(k[2].num));
}
static tg_tensor *w_diag_embed(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_diag_embed(t[0], kw_l(k[0].num), kw_i(k[1].num),
                         kw_i(k[2].num));
}
static tg_tensor *w_repeat(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_repeat(t[0], k[0].n, k[0].list);
}
static tg_tensor *w_repeat_interleave(tg_tensor *const *t, int nt, KW *k)
{
    int d = kw_i(k[1].num);
    if (nt > 1) return tg_repeat_interleave_t(t[0], t[1], k[1].given ? &d : NULL);
    return tg_repeat_interleave(t[0], kw_l(k[0].num), k[1].given ? &d : NULL);
}
static tg_tensor *w_one_hot(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_one_hot(t[0], kw_l(k[0].num));
}
static tg_tensor *w_zeros_like(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt, (void)k;
    return tg_zeros_like(t[0]);
}
static tg_tensor *w_ones_like(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt, (void)k;
    return tg_ones_like(t[0]);
}
static tg_tensor *w_full_like(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_full_like(t[0], k[0].num);
}
static const tg__kw_spec kw_dim0[TG_EXPR_MAX_KW] = {{"dim", TG_ATTR_INT, 0, false}};
static const tg__kw_spec kw_split[TG_EXPR_MAX_KW] = {
    {"split_size", TG_ATTR_I64, 1, false}, {"dim", TG_ATTR_INT, 0, false},
    {"index", TG_ATTR_I64, 0, false}};
static const tg__kw_spec kw_chunk[TG_EXPR_MAX_KW] = {
    {"chunks", TG_ATTR_INT, 1, false}, {"dim", TG_ATTR_INT, 0, false},
    {"index", TG_ATTR_I64, 0, false}};
static const tg__kw_spec kw_unbind[TG_EXPR_MAX_KW] = {
    {"dim", TG_ATTR_INT, 0, false}, {"index", TG_ATTR_I64, 0, false}};
static const tg__kw_spec kw_roll[TG_EXPR_MAX_KW] = {
    {"shifts", TG_ATTR_SHAPE, 0, true}, {"dims", TG_ATTR_AXES, 0, false}};
static const tg__kw_spec kw_tri[TG_EXPR_MAX_KW] = {
    {"diagonal", TG_ATTR_I64, 0, false}};
static const tg__kw_spec kw_diagonal[TG_EXPR_MAX_KW] = {
    {"offset", TG_ATTR_I64, 0, false}, {"dim1", TG_ATTR_INT, 0, false},
    {"dim2", TG_ATTR_INT, 1, false}};
static const tg__kw_spec kw_diag_embed[TG_EXPR_MAX_KW] = {
    {"offset", TG_ATTR_I64, 0, false}, {"dim1", TG_ATTR_INT, -2, false},
    {"dim2", TG_ATTR_INT, -1, false}};
static const tg__kw_spec kw_repeat[TG_EXPR_MAX_KW] = {
    {"sizes", TG_ATTR_SHAPE, 0, true}};
static const tg__kw_spec kw_repeat_il[TG_EXPR_MAX_KW] = {
    {"repeats", TG_ATTR_I64, 1, false}, {"dim", TG_ATTR_INT, 0, false}};
static const tg__kw_spec kw_one_hot[TG_EXPR_MAX_KW] = {
    {"num_classes", TG_ATTR_I64, -1, false}};
static const tg__kw_spec kw_full_like[TG_EXPR_MAX_KW] = {
    {"fill_value", TG_ATTR_REAL, 0, false}};
static tg_tensor *w_lerp(tg_tensor *const *t, int nt, KW *k)
{
    if (nt > 2) return tg_lerp(t[0], t[1], t[2]);
    return tg_lerp_scalar(t[0], t[1], k[0].num);
}
static tg_tensor *w_cosine_similarity(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_cosine_similarity(t[0], t[1], kw_i(k[0].num), k[1].num);
}
static tg_tensor *w_normalize(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_normalize(t[0], k[0].num, kw_i(k[1].num), k[2].num);
}
static const tg__kw_spec kw_lerp[TG_EXPR_MAX_KW] = {
    {"weight", TG_ATTR_REAL, 0.5, false}};
static const tg__kw_spec kw_cosine[TG_EXPR_MAX_KW] = {
    {"dim", TG_ATTR_INT, 1, false}, {"eps", TG_ATTR_REAL, 1e-8, false}};
static const tg__kw_spec kw_normalize[TG_EXPR_MAX_KW] = {
    {"p", TG_ATTR_REAL, 2, false}, {"dim", TG_ATTR_INT, 1, false},
    {"eps", TG_ATTR_REAL, 1e-12, false}};

/* Creation functions: no tensor argument; numbers in PyTorch's order
 * (arange(end), arange(start, end, step), linspace(start, end, steps),
 * eye(n, m), zeros(2, 3), full([2, 3], 1.5)) or keywords. dtype defaults
 * to the evaluation dtype (--dtype), so zeros(2) + x never mixes dtypes;
 * PyTorch's integer default for arange(5) and full(s, 7) is dtype=i64. */
static tg_dtype kw_dtype(KW *k, tg_dtype dt)
{
    return k->given ? (tg_dtype)(int)k->num : dt;
}
static tg_tensor *m_arange(tg_graph *g, tg_dtype dt, KW *k)
{
    double start = k[0].num, end = k[1].num;
    if (!k[1].given) {
        if (!k[0].given)
            return tg__arg_fail_tensor(g, "tg_arange: no end; hint: arange(end), "
                                "arange(start, end, step) or end=...");
        end = start; /* arange(5) counts 0 .. 4 */
        start = 0;
    }
    return tg_arange(g, kw_dtype(&k[3], dt), start, end, k[2].num);
}
static tg_tensor *m_linspace(tg_graph *g, tg_dtype dt, KW *k)
{
    return tg_linspace(g, kw_dtype(&k[3], dt), k[0].num, k[1].num,
                       kw_l(k[2].num));
}
static tg_tensor *m_eye(tg_graph *g, tg_dtype dt, KW *k)
{
    int64_t n = kw_l(k[0].num);
    return tg_eye(g, kw_dtype(&k[2], dt), n, k[1].given ? kw_l(k[1].num) : n);
}
/* The shape of zeros/ones/full: size=[...] or its alias shape=[...]. */
static const tg__kw_val *make_shape(tg_graph *g, const char *who,
                                    const tg__kw_val *size,
                                    const tg__kw_val *shape)
{
    if (size->given && shape->given) {
        tg__arg_fail_tensor(g, "%s: both size and shape given; hint: one of them",
                  who);
        return NULL;
    }
    const tg__kw_val *s = size->given ? size : shape->given ? shape : NULL;
    if (!s) {
        tg__arg_fail_tensor(g, "%s: no size; hint: %s(2, 3) or %s(size=[2, 3]); "
                     "size=[] is 0-d",
                  who, who + 3, who + 3);
        return NULL;
    }
    if (s->n < 0 || s->n > TG_MAX_DIMS) {
        tg__arg_fail_tensor(g, "%s: %d dims; hint: at most %d", who, s->n,
                  TG_MAX_DIMS);
        return NULL;
    }
    for (int i = 0; i < s->n; i++)
        if (s->list[i] < 0) {
            char sb[TG_SHAPE_BUF];
            tg__arg_fail_tensor(g, "%s: size %s has a negative extent; hint: extents "
                         "are >= 0",
                      who, tg__fmt_shape(sb, s->n, s->list));
            return NULL;
        }
    return s;
}
static tg_tensor *m_full_of(tg_graph *g, tg_dtype dt, const char *who,
                            KW *size, KW *shape, double v)
{
    KW *s = make_shape(g, who, size, shape);
    if (!s) return g ? &g->poison : NULL;
    return tg_full(g, dt, s->n, s->list, v);
}
static tg_tensor *m_zeros(tg_graph *g, tg_dtype dt, KW *k)
{
    return m_full_of(g, kw_dtype(&k[1], dt), "tg_zeros", &k[0], &k[2], 0);
}
static tg_tensor *m_ones(tg_graph *g, tg_dtype dt, KW *k)
{
    return m_full_of(g, kw_dtype(&k[1], dt), "tg_ones", &k[0], &k[2], 1);
}
static tg_tensor *m_full(tg_graph *g, tg_dtype dt, KW *k)
{
    return m_full_of(g, kw_dtype(&k[2], dt), "tg_full", &k[0], &k[3],
                     k[1].num);
}
static const tg__kw_spec kw_arange[TG_EXPR_MAX_KW] = {
    {"start", TG_ATTR_REAL, 0, false}, {"end", TG_ATTR_REAL, 0, false},
    {"step", TG_ATTR_REAL, 1, false}, {"dtype", TG_ATTR_DTYPE, 0, false}};
static const tg__kw_spec kw_linspace[TG_EXPR_MAX_KW] = {
    {"start", TG_ATTR_REAL, 0, true}, {"end", TG_ATTR_REAL, 0, true},
    {"steps", TG_ATTR_I64, 0, true}, {"dtype", TG_ATTR_DTYPE, 0, false}};
static const tg__kw_spec kw_eye[TG_EXPR_MAX_KW] = {
    {"n", TG_ATTR_I64, 0, true}, {"m", TG_ATTR_I64, 0, false},
    {"dtype", TG_ATTR_DTYPE, 0, false}};
static const tg__kw_spec kw_zeros[TG_EXPR_MAX_KW] = {
    {"size", TG_ATTR_SHAPE, 0, false}, {"dtype", TG_ATTR_DTYPE, 0, false},
    {"shape", TG_ATTR_SHAPE, 0, false}};
static const tg__kw_spec kw_full[TG_EXPR_MAX_KW] = {
    {"size", TG_ATTR_SHAPE, 0, false},
    {"fill_value", TG_ATTR_REAL, 0, true},
    {"dtype", TG_ATTR_DTYPE, 0, false}, {"shape", TG_ATTR_SHAPE, 0, false}};

/* Embedding and triplet losses (tapegrad/ops_loss.h), compositions. */
static tg_reduction kw_red(double v)
{
    return (tg_reduction)kw_i(v);
}
static tg_tensor *w_cosine_embedding_loss(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_cosine_embedding_loss(t[0], t[1], t[2], k[0].num,
                                    kw_red(k[1].num));
}
static tg_tensor *w_hinge_embedding_loss(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_hinge_embedding_loss(t[0], t[1], k[0].num, kw_red(k[1].num));
}
static tg_tensor *w_triplet_margin_loss(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_triplet_margin_loss(t[0], t[1], t[2], k[0].num, k[1].num,
                                  k[2].num, k[3].num != 0, kw_red(k[4].num));
}
static const tg__kw_spec kw_cos_emb[TG_EXPR_MAX_KW] = {
    {"margin", TG_ATTR_REAL, 0, false}, {"reduction", TG_ATTR_INT, 1, false}};
static const tg__kw_spec kw_hinge_emb[TG_EXPR_MAX_KW] = {
    {"margin", TG_ATTR_REAL, 1, false}, {"reduction", TG_ATTR_INT, 1, false}};
static const tg__kw_spec kw_triplet[TG_EXPR_MAX_KW] = {
    {"margin", TG_ATTR_REAL, 1, false}, {"p", TG_ATTR_REAL, 2, false},
    {"eps", TG_ATTR_REAL, 1e-6, false}, {"swap", TG_ATTR_BOOL, 0, false},
    {"reduction", TG_ATTR_INT, 1, false}};

static const tg__kw_spec kw_none[TG_EXPR_MAX_KW] = {{0}};
static const tg__kw_spec kw_interpolate[TG_EXPR_MAX_KW] = {
    {"size", TG_ATTR_SHAPE, 0, false}, {"scale", TG_ATTR_REAL, 0, false},
    {"linear", TG_ATTR_BOOL, 0, false},
    {"align_corners", TG_ATTR_BOOL, 0, false}};
static const tg__kw_spec kw_dropout2d[TG_EXPR_MAX_KW] = {
    {"p", TG_ATTR_REAL, 0.5, false}};
static const tg__kw_spec kw_transpose[TG_EXPR_MAX_KW] = {
    {"a", TG_ATTR_INT, -2, false}, {"b", TG_ATTR_INT, -1, false}};
static const tg__kw_spec kw_matmul_t[TG_EXPR_MAX_KW] = {
    {"trans_a", TG_ATTR_BOOL, 0, false}, {"trans_b", TG_ATTR_BOOL, 0, false}};
static const tg__kw_spec kw_layer_norm_n[TG_EXPR_MAX_KW] = {
    {"naxes", TG_ATTR_INT, 1, false}, {"eps", TG_ATTR_REAL, 1e-5, false}};

static const tg__expr_func compositions[] = {
    {.name = "sum_all", .min_t = 1, .max_t = 1, .kw = kw_none,
     .call = w_sum_all, .cases = "sum_all(x * y) | x=3x4 y=4"},
    {.name = "mean_all", .min_t = 1, .max_t = 1, .kw = kw_none,
     .call = w_mean_all, .cases = "mean_all(x * x) | x=2x3x2"},
    {.name = "squeeze_all", .min_t = 1, .max_t = 1, .kw = kw_none,
     .call = w_squeeze_all, .cases = "squeeze_all(x) * y | x=3x1x4 y=3x4"},
    {.name = "transpose", .min_t = 1, .max_t = 1, .kw = kw_transpose,
     .call = w_transpose,
     .cases = "transpose(x, a=0, b=2) * y | x=2x3x4 y=4x3x2; "
              "transpose(x) @ y | x=3x4 y=3x2"},
    {.name = "matmul_t", .min_t = 2, .max_t = 2, .kw = kw_matmul_t,
     .call = w_matmul_t,
     .cases = "matmul_t(a, b, trans_a=1) | a=4x3 b=4x5; "
              "matmul_t(a, b, trans_b=1) | a=3x4 b=5x4"},
    {.name = "layer_norm_n", .min_t = 1, .max_t = 3, .kw = kw_layer_norm_n,
     .call = w_layer_norm_n,
     .cases = "layer_norm_n(x, w, b, naxes=2) | x=2x3x4 w=3x4 b=3x4; "
              "layer_norm_n(x) * y | x=3x5 y=3x5"},
    {.name = "swish", .min_t = 1, .max_t = 1, .kw = kw_none, .call = w_swish,
     .cases = "swish(2 * x) | x=3x4"},
    {.name = "interpolate", .min_t = 1, .max_t = 1, .kw = kw_interpolate,
     .call = w_interpolate,
     .cases = "interpolate(x, size=[4, 6]) * y | x=1x2x2x3 y=1x2x4x6; "
              "interpolate(x, size=[5, 4], linear=1) * y | x=1x1x3x2 "
              "y=1x1x5x4; "
              "interpolate(x, scale=2, linear=1, align_corners=1) * y | "
              "x=2x1x2x3 y=2x1x4x6"},
    {.name = "dropout2d", .min_t = 1, .max_t = 1, .kw = kw_dropout2d,
     .call = w_dropout2d, .cases = "dropout2d(x, p=0.5) * y | x=2x4x3x2 "
                                   "y=2x4x3x2"},
    {.name = "stack", .min_t = 1, .max_t = TG_EXPR_MAX_ARGS, .kw = kw_dim0,
     .call = w_stack,
     .cases = "stack(x, y, z, dim=1) * w | x=2x3 y=2x3 z=2x3 w=2x3x3; "
              "stack(x, y, dim=-1) * w | x=4 y=4 w=4x2"},
    {.name = "split", .min_t = 1, .max_t = 1, .kw = kw_split, .call = w_split,
     .cases = "split(x, split_size=2, dim=1, index=1) * y | x=3x5 y=3x2; "
              "split(x, split_size=2, dim=1, index=2) * y | x=3x5 y=3x1"},
    {.name = "chunk", .min_t = 1, .max_t = 1, .kw = kw_chunk, .call = w_chunk,
     .cases = "chunk(x, chunks=3, dim=0, index=2) * y | x=7x2 y=1x2; "
              "chunk(x, chunks=2, dim=-1, index=0) * y | x=2x3x4 y=2x3x2"},
    {.name = "unbind", .min_t = 1, .max_t = 1, .kw = kw_unbind,
     .call = w_unbind,
     .cases = "unbind(x, dim=1, index=1) * y | x=2x3x4 y=2x4"},
    {.name = "roll", .min_t = 1, .max_t = 1, .kw = kw_roll, .call = w_roll,
     .cases = "roll(x, shifts=[1, -2], dims=[0, 1]) * y | x=3x4 y=3x4; "
              "roll(x, shifts=2) * y | x=2x3 y=2x3"},
    {.name = "tril", .min_t = 1, .max_t = 1, .kw = kw_tri, .call = w_tril,
     .cases = "tril(x, diagonal=-1) * y | x=4x5 y=4x5"},
    {.name = "triu", .min_t = 1, .max_t = 1, .kw = kw_tri, .call = w_triu,
     .cases = "triu(x, diagonal=1) * y | x=2x3x4 y=2x3x4"},
    {.name = "diagonal", .min_t = 1, .max_t = 1, .kw = kw_diagonal,
     .call = w_diagonal,
     .cases = "diagonal(x, offset=1, dim1=0, dim2=2) * y | x=3x2x4 y=2x3; "
              "diagonal(x) * y | x=4x3 y=3"},
    {.name = "diag_embed", .min_t = 1, .max_t = 1, .kw = kw_diag_embed,
     .call = w_diag_embed,
     .cases = "diag_embed(x, offset=-1) * y | x=2x3 y=2x4x4"},
    {.name = "repeat", .min_t = 1, .max_t = 1, .kw = kw_repeat,
     .call = w_repeat,
     .cases = "repeat(x, sizes=[2, 1, 3]) * y | x=2x3 y=2x2x9"},
    {.name = "repeat_interleave", .min_t = 1, .max_t = 2, .kw = kw_repeat_il,
     .call = w_repeat_interleave, .index_args = 1u << 1,
     .cases = "repeat_interleave(x, repeats=2, dim=1) * y | x=2x3 y=2x6; "
              "repeat_interleave(x, r, dim=0) * y | x=3x2 r=i64:3:1,0,2 "
              "y=3x2"},
    {.name = "one_hot", .min_t = 1, .max_t = 1, .kw = kw_one_hot,
     .call = w_one_hot, .index_args = 1u},
    {.name = "zeros_like", .min_t = 1, .max_t = 1, .kw = kw_none,
     .call = w_zeros_like},
    {.name = "ones_like", .min_t = 1, .max_t = 1, .kw = kw_none,
     .call = w_ones_like},
    {.name = "full_like", .min_t = 1, .max_t = 1, .kw = kw_full_like,
     .call = w_full_like},
    {.name = "lerp", .min_t = 2, .max_t = 3, .kw = kw_lerp, .call = w_lerp,
     .cases = "lerp(a, b, w) | a=3x4 b=3x4 w=4; "
              "lerp(a, b, weight=0.3) | a=3x4 b=4"},
    {.name = "cosine_similarity", .min_t = 2, .max_t = 2, .kw = kw_cosine,
     .call = w_cosine_similarity,
     .cases = "cosine_similarity(a, b, dim=1) | a=3x4 b=3x4; "
              "cosine_similarity(a, b, dim=-1) | a=2x3x4 b=4"},
    {.name = "normalize", .min_t = 1, .max_t = 1, .kw = kw_normalize,
     .call = w_normalize,
     .cases = "normalize(x, dim=1) * y | x=3x4 y=3x4; "
              "normalize(x, p=4, dim=0) * y | x=3x4 y=3x4"},
    {.name = "cosine_embedding_loss", .min_t = 3, .max_t = 3,
     .kw = kw_cos_emb, .call = w_cosine_embedding_loss, .index_args = 1u << 2,
     .cases = "cosine_embedding_loss(a, b, y) | a=4x5 b=4x5 y=4:1,-1,1,-1; "
              "cosine_embedding_loss(a, b, y, margin=-0.5, reduction=sum) | "
              "a=3x4 b=1x4 y=3:-1,-1,1; "
              "cosine_embedding_loss(a, b, y, reduction=none) | a=6 b=6 "
              "y=scalar:1"},
    {.name = "hinge_embedding_loss", .min_t = 2, .max_t = 2,
     .kw = kw_hinge_emb, .call = w_hinge_embedding_loss, .index_args = 1u << 1,
     .cases = "hinge_embedding_loss(x, y) | x=2x3 y=2x3:1,-1,1,-1,1,-1; "
              "hinge_embedding_loss(x, y, margin=3, reduction=sum) | x=2x4 "
              "y=4:-1,-1,1,-1"},
    {.name = "triplet_margin_loss", .min_t = 3, .max_t = 3,
     .kw = kw_triplet, .call = w_triplet_margin_loss,
     .cases = "triplet_margin_loss(a, p, n, margin=3) | a=3x4 p=3x4 n=3x4; "
              "triplet_margin_loss(a, p, n, margin=4, p=1.5, swap=1, "
              "reduction=sum) | a=2x5 p=2x5 n=2x5; "
              "triplet_margin_loss(a, p, n, margin=3, reduction=none) | a=4 "
              "p=4 n=4"},
    {.name = "arange", .kw = kw_arange, .make = m_arange, .n_pos = 3},
    {.name = "linspace", .kw = kw_linspace, .make = m_linspace, .n_pos = 3},
    {.name = "eye", .kw = kw_eye, .make = m_eye, .n_pos = 2},
    {.name = "zeros", .kw = kw_zeros, .make = m_zeros, .n_pos = 1,
     .shape_varargs = true},
    {.name = "ones", .kw = kw_zeros, .make = m_ones, .n_pos = 1,
     .shape_varargs = true},
    {.name = "full", .kw = kw_full, .make = m_full, .n_pos = 2},
};
#define N_COMPOSITIONS ((int)(sizeof compositions / sizeof compositions[0]))

/* ----------------------------------------------------------------- rows */

/* Rows: the built-in ops (table order), the compositions, then the ops
 * registered so far. Op rows are filled from their descriptors once,
 * under the lock; a filled row never changes. */
#define MAX_ROWS (TG_OP_COUNT + N_COMPOSITIONS + 256)
static tg__expr_func rows[MAX_ROWS];
static int n_rows; /* guarded by rows_lock */
static pthread_mutex_t rows_lock = PTHREAD_MUTEX_INITIALIZER;

static void op_row(tg__expr_func *f, const tg_op *op)
{
    int max = op->max_inputs > op->n_inputs ? op->max_inputs : op->n_inputs;
    f->name = op->name;
    f->min_t = op->n_inputs;
    f->max_t = max < TG_EXPR_MAX_ARGS ? max : TG_EXPR_MAX_ARGS;
    f->kw = op->attrs;
    f->op = op;
    f->call = NULL;
    f->index_args = op->index_inputs;
}

int tg__expr_num_funcs(void)
{
    return TG_OP_COUNT + N_COMPOSITIONS + tg__user_op_count();
}

const tg__expr_func *tg__expr_func_at(int i)
{
    if (i < 0 || i >= tg__expr_num_funcs()) return NULL;
    pthread_mutex_lock(&rows_lock);
    while (n_rows <= i) {
        int k = n_rows;
        if (k < TG_OP_COUNT) op_row(&rows[k], tg_ops[k]);
        else if (k < TG_OP_COUNT + N_COMPOSITIONS)
            rows[k] = compositions[k - TG_OP_COUNT];
        else op_row(&rows[k], tg_op_at(k - N_COMPOSITIONS));
        n_rows++;
    }
    pthread_mutex_unlock(&rows_lock);
    return &rows[i];
}

/* Keyword values into the attribute slots (tapegrad/op.h, tg_attr_kind);
 * the parser has checked kinds and ranges. */
tg_tensor *tg__expr_invoke(const tg__expr_func *f, tg_tensor *const *t,
                           int nt, const tg__kw_val *kw)
{
    tg_graph *g = nt > 0 && t && t[0] ? t[0]->graph : NULL;
    return tg__expr_invoke_on(f, g, TG_F64, t, nt, kw);
}

tg_tensor *tg__expr_invoke_on(const tg__expr_func *f, tg_graph *g,
                              tg_dtype dt, tg_tensor *const *t, int nt,
                              const tg__kw_val *kw)
{
    if (f->make) {
        if (!g) {
            tg__set_last_error(TG_ERR_ARG, "tg_%s: no graph to build on",
                               f->name);
            return NULL;
        }
        return f->make(g, dt, kw);
    }
    if (!f->op) return f->call(t, nt, kw);
    tg_attrs a;
    memset(&a, 0, sizeof a);
    for (int k = 0; k < TG_EXPR_MAX_KW && f->kw[k].name; k++) {
        int s = tg__attr_slot(f->op, k);
        if (s < 0) continue;
        switch (f->kw[k].kind) {
        case TG_ATTR_REAL: a.f[s] = kw[k].num; break;
        case TG_ATTR_AXES:
        case TG_ATTR_SHAPE:
            a.nax = kw[k].given || f->kw[k].kind == TG_ATTR_SHAPE ? kw[k].n : 0;
            if (a.nax < 0 || a.nax > TG_MAX_DIMS) a.nax = -1;
            for (int i = 0; i < a.nax; i++) a.ax[i] = kw[k].list[i];
            break;
        default: a.i[s] = tg__to_i64(kw[k].num); break;
        }
    }
    if (f->op->call) return f->op->call(t, nt, &a);
    return tg__apply_op(f->op, t, nt, &a);
}

int tg__expr_find_func(const char *name, size_t len)
{
    int n = tg__expr_num_funcs();
    for (int i = 0; i < n; i++) {
        const char *fn = tg__expr_func_at(i)->name;
        if (strlen(fn) == len && !memcmp(fn, name, len)) return i;
    }
    return -1;
}

/* Damerau-free Levenshtein distance, capped inputs (names are short). */
static int edit_distance(const char *a, size_t la, const char *b, size_t lb)
{
    int row[72];
    if (la > 64 || lb > 64) return 99;
    for (size_t j = 0; j <= lb; j++) row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int up = row[j];
            int best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

void tg__expr_nearest(const char *name, size_t len, char *buf, size_t size,
                      int max)
{
    /* Candidates: distance within a third of the length (at least 1, at
     * most 3), or the name is a prefix/suffix of a function (log_soft ->
     * log_softmax). Closest first, then table order. */
    int lim = (int)(len / 3);
    if (lim < 1) lim = 1;
    if (lim > 3) lim = 3;
    size_t k = 0;
    int shown = 0, nf = tg__expr_num_funcs();
    buf[0] = 0;
    for (int d = 0; d <= lim + 1 && shown < max; d++) {
        for (int i = 0; i < nf && shown < max; i++) {
            const char *fn = tg__expr_func_at(i)->name;
            size_t fl = strlen(fn);
            int dist = edit_distance(name, len, fn, fl);
            bool affix = len >= 3 && fl > len &&
                         (!memcmp(fn, name, len) ||
                          !memcmp(fn + fl - len, name, len));
            int eff = affix && dist > lim ? lim + 1 : dist;
            if (eff != d) continue;
            if (k < size)
                k += (size_t)snprintf(buf + k, size - k, "%s%s",
                                      shown ? ", " : "", fn);
            shown++;
        }
    }
}

