/* Layers and blocks: compositions of public ops with no backward of their
 * own. A layer holds its parameters (persistent tg_param leaves on its
 * graph) and its children; composite blocks own their children. Each layer
 * keeps two flattened lists built at construction — trainable parameters
 * (for optimizers and freezing) and all state (parameters plus buffers
 * such as batch-norm running statistics, for saving) — so asking for them
 * in a training loop costs nothing. */
#include "src/nn/nn_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

typedef enum kind {
    K_LINEAR,
    K_ACT,
    K_SEQ,
    K_RESIDUAL,
    K_PRELN,
    K_POSTLN,
    K_LAYERNORM,
    K_BATCHNORM,
    K_DROPOUT,
    K_MAXOUT,
    K_FN,
    K_CONV1D,
    K_CONV2D,
    K_CONVT1D,
    K_CONVT2D,
    K_MAXPOOL1D,
    K_MAXPOOL2D,
    K_AVGPOOL1D,
    K_AVGPOOL2D,
    K_ADAPTIVE1D,
    K_ADAPTIVE2D,
    K_UPSAMPLE,
    K_FLATTEN,
    K_BATCHNORM2D,
    K_DROPOUT2D,
    K_EXT,
    K_EMBEDDING,
    K_USER,
    K_COUNT
} kind;

static const char *const kind_names[] = {
    "linear",           "activation",          "sequential",
    "residual",         "preln",               "postln",
    "layernorm",        "batchnorm",           "dropout",
    "maxout",           "fn",                  "conv1d",
    "conv2d",           "conv_transpose1d",    "conv_transpose2d",
    "max_pool1d",       "max_pool2d",          "avg_pool1d",
    "avg_pool2d",       "adaptive_avg_pool1d", "adaptive_avg_pool2d",
    "upsample",         "flatten",             "batchnorm2d",
    "dropout2d",        "ext",                 "embedding",
    "user"};
_Static_assert(sizeof kind_names / sizeof *kind_names == K_COUNT,
               "one name per layer kind");

struct tg_layer {
    kind kind;
    tg_graph *g;
    char *name;
    tg_tensor *w, *b;         /* weight/bias; LN and BN: scale/shift      */
    tg_tensor *rmean, *rvar;  /* batch norm running statistics (buffers)  */
    tg_act_fn act;
    double p, eps, momentum;
    int64_t k;                /* maxout group size                        */
    tg_tensor *(*fn)(tg_tensor *, void *);
    void *ud;
    tg__bn_fn bn_fn;          /* batch norm: NULL is tg_batch_norm        */
    tg_conv_opts conv;        /* convolutions: options as given          */
    tg_pool_opts pool;        /* windowed pools                           */
    tg_interp_opts interp;    /* upsample                                 */
    int64_t out_size[2];      /* adaptive pools                           */
    tg_layer **child;
    int n_child;
    tg_tensor **params;       /* trainable, depth-first, own ones first   */
    int n_params;
    tg_tensor **state;        /* params, then buffers                     */
    int n_state;
    int depth;                /* 1 for a leaf, 1 + the deepest child      */
    /* K_EXT (layers of other src/nn files, nn_internal.h): their forward
     * and data, and own parameters beyond w and b, in creation order. */
    const tg__layer_impl *impl;
    void *impl_data;
    tg_tensor **xp;
    int n_xp;
    int64_t cap_xp, cap_child; /* K_EXT, K_USER: room in xp[], child[] */
    bool adopted;             /* a child of another layer: lists frozen   */
    int64_t pad;              /* embedding: padding row, or -1            */
    /* K_USER: what tg_layer_new was given, and what was registered since
     * (own trainable parameters and own buffers, in registration order) */
    char *user_kind;
    tg_layer_def def;
    tg_tensor **reg_p, **reg_b;
    int n_reg_p, n_reg_b;
    int64_t cap_reg_p, cap_reg_b;
};

/* ------------------------------------------------------------ activations */

tg_tensor *tg_identity(tg_tensor *x) { return x; }

/* The activations are the ops marked TG_ACT in ops/ops.def, each applied
 * with its declared default attributes (PyTorch's: leaky_relu 0.01,
 * softplus 1 and 20, softmax over the last axis, ...). The list generates
 * one small function per activation and the table below. */
#define TG_OP(name, file)
#define TG_ACT(name, file)                                                 \
    static tg_tensor *act_##name(tg_tensor *x)                             \
    {                                                                      \
        return tg_apply(&tg_op_##name, &x, 1, NULL);                       \
    }
#include "ops/ops.def"
#undef TG_ACT

static const struct {
    const char *name;
    tg_act_fn fn;
} act_table[] = {
    {"identity", tg_identity},
    {"none", tg_identity},
#define TG_ACT(name, file) {#name, act_##name},
#include "ops/ops.def"
#undef TG_ACT
    {"swish", act_silu}, /* PyTorch's other name of silu */
};
#undef TG_OP

tg_act_fn tg_activation(const char *name)
{
    if (!name || !*name) return tg_identity;
    for (size_t i = 0; i < sizeof act_table / sizeof act_table[0]; i++)
        if (!strcmp(act_table[i].name, name)) return act_table[i].fn;
    return NULL;
}

const char *tg_activation_names(void)
{
#define TG_OP(name, file)
#define TG_ACT(name, file) " " #name
    return "identity none"
#include "ops/ops.def"
           " swish";
#undef TG_OP
#undef TG_ACT
}

/* ---------------------------------------------------------------- helpers */

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = tg__malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static tg_layer *layer_new(tg_graph *g, kind k, const char *name,
                           const char *who)
{
    tg_layer *l = tg__calloc(sizeof *l);
    char auto_name[64];
    if (!name) {
        /* A name unique on the graph and stable across runs that build
         * the same model: the kind and the graph's parameter count. */
        snprintf(auto_name, sizeof auto_name, "%s@%d", kind_names[k],
                 g ? tg_graph_num_params(g) : 0);
        name = auto_name;
    }
    char *nm = l ? dup_str(name) : NULL;
    if (!nm) {
        tg__free(l);
        tg__nn_fail(g, TG_ERR_OOM, "%s: out of memory", who);
        return NULL;
    }
    l->kind = k;
    l->g = g;
    l->name = nm;
    l->depth = 1;
    return l;
}

void tg_layer_free(tg_layer *l)
{
    if (!l) return;
    for (int i = 0; i < l->n_child; i++) tg_layer_free(l->child[i]);
    if (l->impl && l->impl->free_data) l->impl->free_data(l->impl_data);
    tg__free(l->xp);
    if (l->kind == K_USER && l->def.free_data) l->def.free_data(l->def.data);
    tg__free(l->child);
    tg__free(l->params);
    tg__free(l->state);
    tg__free(l->reg_p);
    tg__free(l->reg_b);
    tg__free(l->user_kind);
    tg__free(l->name);
    tg__free(l);
}

/* A parameter "<layer>.<what>" of the given shape. */
static tg_tensor *make_param(tg_layer *l, tg_dtype dt, int ndim,
                             const int64_t *shape, const char *what)
{
    char nm[512];
    snprintf(nm, sizeof nm, "%s.%s", l->name, what);
    return tg_param(l->g, dt, ndim, shape, nm);
}

/* Build the flattened lists: own trainable tensors, then each child's;
 * state adds own buffers after own parameters. A user layer rebuilds them
 * after each registration (freeing the previous ones). */
static bool finish(tg_layer *l, const char *who)
{
    tg_tensor *own[2] = {l->w, l->b}, *buf[2] = {l->rmean, l->rvar};
    int np = l->n_xp + l->n_reg_p, ns;
    for (int i = 0; i < 2; i++) np += own[i] != NULL;
    ns = np + l->n_reg_b;
    for (int i = 0; i < 2; i++) ns += buf[i] != NULL;
    for (int c = 0; c < l->n_child; c++) {
        np += l->child[c]->n_params;
        ns += l->child[c]->n_state;
    }
    tg_tensor **params = tg__malloc(sizeof(tg_tensor *) * (size_t)(np ? np : 1));
    tg_tensor **state = tg__malloc(sizeof(tg_tensor *) * (size_t)(ns ? ns : 1));
    if (!params || !state) {
        tg__free(params);
        tg__free(state);
        tg__nn_fail(l->g, TG_ERR_OOM, "%s: out of memory", who);
        return false;
    }
    tg__free(l->params);
    tg__free(l->state);
    l->params = params;
    l->state = state;
    l->n_params = l->n_state = 0;
    for (int i = 0; i < 2; i++)
        if (own[i]) l->params[l->n_params++] = l->state[l->n_state++] = own[i];
    for (int i = 0; i < l->n_xp; i++)
        l->params[l->n_params++] = l->state[l->n_state++] = l->xp[i];
    for (int i = 0; i < l->n_reg_p; i++)
        l->params[l->n_params++] = l->state[l->n_state++] = l->reg_p[i];
    for (int i = 0; i < 2; i++)
        if (buf[i]) l->state[l->n_state++] = buf[i];
    for (int i = 0; i < l->n_reg_b; i++) l->state[l->n_state++] = l->reg_b[i];
    for (int c = 0; c < l->n_child; c++) {
        const tg_layer *ch = l->child[c];
        for (int i = 0; i < ch->n_params; i++) l->params[l->n_params++] = ch->params[i];
        for (int i = 0; i < ch->n_state; i++) l->state[l->n_state++] = ch->state[i];
    }
    return true;
}

/* Common exit of constructors: the layer, or NULL after freeing it when
 * the graph recorded an error on the way (a failed tg_param). */
static tg_layer *done(tg_layer *l, const char *who)
{
    if (l && l->g && tg_graph_status(l->g) != TG_OK) {
        tg_layer_free(l);
        return NULL;
    }
    if (l && !finish(l, who)) {
        tg_layer_free(l);
        return NULL;
    }
    return l;
}

static tg_status init_linear(tg_tensor *w, tg_tensor *b, tg_init init)
{
    tg_status st = tg_init_apply(w, init, NULL);
    if (st != TG_OK || !b) return st;
    if (init == TG_INIT_DEFAULT) {
        /* nn.Linear: the bias shares the weight's bound 1/sqrt(fan_in) */
        int64_t fi;
        tg_init_fans(w, &fi, NULL);
        double a = fi > 0 ? 1 / sqrt((double)fi) : 0;
        return tg_init_uniform(b, NULL, -a, a);
    }
    return tg_init_zeros(b);
}

static bool check_dims(tg_graph *g, const char *who, int64_t a, int64_t b)
{
    if (!g) {
        tg__set_last_error(TG_ERR_ARG, "%s: graph is NULL", who);
        return false;
    }
    if (a < 1 || b < 1) {
        tg__nn_fail(g, TG_ERR_ARG, "%s: sizes %lld and %lld must be >= 1", who,
                    (long long)a, (long long)b);
        return false;
    }
    return true;
}

/* ----------------------------------------------------------------- layers */

tg_layer *tg_nn_linear(tg_graph *g, tg_dtype dt, int64_t in, int64_t out,
                       bool bias, tg_init init, const char *name)
{
    const char *who = "tg_nn_linear";
    if (!check_dims(g, who, in, out)) return NULL;
    tg_layer *l = layer_new(g, K_LINEAR, name, who);
    if (!l) return NULL;
    l->w = make_param(l, dt, 2, (int64_t[]){in, out}, "weight");
    if (l->w && bias) l->b = make_param(l, dt, 1, &out, "bias");
    if (l->w && (!bias || l->b)) init_linear(l->w, l->b, init);
    return done(l, who);
}

tg_layer *tg_nn_maxout(tg_graph *g, tg_dtype dt, int64_t in, int64_t out,
                       int64_t k, tg_init init, const char *name)
{
    const char *who = "tg_nn_maxout";
    if (!check_dims(g, who, in, out)) return NULL;
    if (k < 1) {
        tg__nn_fail(g, TG_ERR_ARG, "%s: pieces k = %lld must be >= 1", who,
                    (long long)k);
        return NULL;
    }
    int64_t wide;
    if (__builtin_mul_overflow(out, k, &wide) || k > INT32_MAX) {
        tg__nn_fail(g, TG_ERR_ARG,
                    "%s: out * k = %lld * %lld features is too many; hint: "
                    "k lies in [1, %d] and the layer's width out * k must "
                    "fit a tensor",
                    who, (long long)out, (long long)k, INT32_MAX);
        return NULL;
    }
    tg_layer *l = layer_new(g, K_MAXOUT, name, who);
    if (!l) return NULL;
    l->k = k;
    l->w = make_param(l, dt, 2, (int64_t[]){in, wide}, "weight");
    if (l->w) l->b = make_param(l, dt, 1, &wide, "bias");
    if (l->b) init_linear(l->w, l->b, init);
    return done(l, who);
}

tg_layer *tg_nn_activation(tg_graph *g, tg_act_fn f)
{
    const char *who = "tg_nn_activation";
    if (!g || !f) {
        tg__nn_fail(g, TG_ERR_ARG, "%s: graph or function is NULL", who);
        return NULL;
    }
    tg_layer *l = layer_new(g, K_ACT, NULL, who);
    if (l) l->act = f;
    return done(l, who);
}

tg_layer *tg_nn_activation_named(tg_graph *g, const char *name)
{
    tg_act_fn f = tg_activation(name);
    if (!f) {
        tg__nn_fail(g, TG_ERR_ARG,
                    "tg_nn_activation_named: unknown activation \"%s\"; "
                    "hint: one of %s",
                    name, tg_activation_names());
        return NULL;
    }
    return tg_nn_activation(g, f);
}

tg_layer *tg_nn_fn(tg_graph *g, tg_tensor *(*fn)(tg_tensor *x, void *ud),
                   void *ud, const char *name)
{
    const char *who = "tg_nn_fn";
    if (!g || !fn) {
        tg__nn_fail(g, TG_ERR_ARG, "%s: graph or function is NULL", who);
        return NULL;
    }
    tg_layer *l = layer_new(g, K_FN, name, who);
    if (l) {
        l->fn = fn;
        l->ud = ud;
    }
    return done(l, who);
}

tg_layer *tg_nn_dropout(tg_graph *g, double p)
{
    const char *who = "tg_nn_dropout";
    if (!g) {
        tg__set_last_error(TG_ERR_ARG, "%s: graph is NULL", who);
        return NULL;
    }
    if (!(p >= 0 && p < 1)) {
        tg__nn_fail(g, TG_ERR_ARG, "%s: p = %g outside [0, 1)", who, p);
        return NULL;
    }
    tg_layer *l = layer_new(g, K_DROPOUT, NULL, who);
    if (l) l->p = p;
    return done(l, who);
}

tg_layer *tg_nn_layernorm(tg_graph *g, tg_dtype dt, int64_t dim, double eps,
                          const char *name)
{
    const char *who = "tg_nn_layernorm";
    if (!check_dims(g, who, dim, 1)) return NULL;
    tg_layer *l = layer_new(g, K_LAYERNORM, name, who);
    if (!l) return NULL;
    l->eps = eps > 0 ? eps : 1e-5;
    l->w = make_param(l, dt, 1, &dim, "weight");
    if (l->w) l->b = make_param(l, dt, 1, &dim, "bias");
    if (l->b) {
        tg_init_constant(l->w, 1.0);
        tg_init_zeros(l->b);
    }
    return done(l, who);
}

static tg_layer *batchnorm_layer(tg_graph *g, tg_dtype dt, int64_t channels,
                                 double momentum, double eps, const char *name,
                                 kind k, const char *who)
{
    if (!check_dims(g, who, channels, 1)) return NULL;
    if (!(momentum >= 0 && momentum <= 1)) {
        tg__nn_fail(g, TG_ERR_ARG, "%s: momentum %g outside [0, 1]", who,
                    momentum);
        return NULL;
    }
    tg_layer *l = layer_new(g, k, name, who);
    if (!l) return NULL;
    l->eps = eps > 0 ? eps : 1e-5;
    l->momentum = momentum;
    l->w = make_param(l, dt, 1, &channels, "weight");
    if (l->w) l->b = make_param(l, dt, 1, &channels, "bias");
    if (l->b) l->rmean = make_param(l, dt, 1, &channels, "running_mean");
    if (l->rmean) l->rvar = make_param(l, dt, 1, &channels, "running_var");
    if (l->rvar) {
        /* buffers: updated by the op in training, never by an optimizer */
        tg_set_requires_grad(l->rmean, false);
        tg_set_requires_grad(l->rvar, false);
        tg_init_constant(l->w, 1.0);
        tg_init_zeros(l->b);
        tg_init_zeros(l->rmean);
        tg_init_constant(l->rvar, 1.0);
    }
    return done(l, who);
}

tg_layer *tg_nn_batchnorm(tg_graph *g, tg_dtype dt, int64_t channels,
                          double momentum, double eps, const char *name)
{
    return batchnorm_layer(g, dt, channels, momentum, eps, name, K_BATCHNORM,
                           "tg_nn_batchnorm");
}

/* --------------------------------------------- convolution and pooling */

/* Options a convolution layer can refuse before it sees an input: the
 * rest (sizes that leave no output, a kernel larger than the padded
 * input) depend on the input and are the op's to report. */
static bool conv_opts_ok(tg_graph *g, const char *who, const tg_conv_opts *o,
                         bool transposed)
{
    if (!o) return true;
    const char *bad = NULL;
    for (int k = 0; k < 2; k++)
        if (o->stride[k] < 0 || o->padding[k] < 0 || o->dilation[k] < 0 ||
            o->output_padding[k] < 0 || o->groups < 0)
            bad = "stride, padding, dilation, output_padding and groups "
                  "must be >= 0 (0 means the default)";
    if (bad)
        ;
    else if (o->padding_mode < TG_PAD_EXPLICIT || o->padding_mode > TG_PAD_VALID)
        bad = "padding_mode must be TG_PAD_EXPLICIT, TG_PAD_SAME or "
              "TG_PAD_VALID";
    else if (o->padding_mode == TG_PAD_SAME && transposed)
        bad = "padding \"same\" is for convolutions, not transposed ones "
              "(as PyTorch); hint: give padding (k - 1) / 2 per side";
    else if (o->padding_mode == TG_PAD_SAME &&
             ((o->stride[0] > 1) || (o->stride[1] > 1)))
        bad = "padding \"same\" needs stride 1 (as PyTorch)";
    else if (!transposed && (o->output_padding[0] || o->output_padding[1]))
        bad = "output_padding is for transposed convolutions only";
    if (!bad && transposed)
        for (int k = 0; k < 2; k++) {
            int64_t s = o->stride[k] ? o->stride[k] : 1;
            int64_t d = o->dilation[k] ? o->dilation[k] : 1;
            if (o->output_padding[k] >= s && o->output_padding[k] >= d)
                bad = "output_padding must be smaller than the stride or "
                      "the dilation";
        }
    if (!bad) return true;
    tg__nn_fail(g, TG_ERR_ARG,
                "%s: %s (stride %lld, %lld; padding %lld, %lld; dilation "
                "%lld, %lld; output_padding %lld, %lld; groups %lld)",
                who, bad, (long long)o->stride[0], (long long)o->stride[1],
                (long long)o->padding[0], (long long)o->padding[1],
                (long long)o->dilation[0], (long long)o->dilation[1],
                (long long)o->output_padding[0],
                (long long)o->output_padding[1], (long long)o->groups);
    return false;
}

/* Largest channel count or kernel size a layer accepts (as the ops). */
#define LAYER_DIM_MAX (INT64_C(1) << 30)

static tg_layer *conv_layer(tg_graph *g, kind k, tg_dtype dt, int64_t in,
                            int64_t out, int64_t kh, int64_t kw,
                            const tg_conv_opts *o, bool bias, tg_init init,
                            const char *name, const char *who)
{
    bool transposed = k == K_CONVT1D || k == K_CONVT2D;
    int rank = k == K_CONV2D || k == K_CONVT2D ? 2 : 1;
    if (!check_dims(g, who, in, out)) return NULL;
    if (kh < 1 || kw < 1 || kh > LAYER_DIM_MAX || kw > LAYER_DIM_MAX ||
        in > LAYER_DIM_MAX || out > LAYER_DIM_MAX) {
        if (rank == 2)
            tg__nn_fail(g, TG_ERR_ARG,
                        "%s: kernel %lld x %lld must be >= 1 (and channels "
                        "and kernel at most 2^30)",
                        who, (long long)kh, (long long)kw);
        else
            tg__nn_fail(g, TG_ERR_ARG,
                        "%s: kernel %lld must be >= 1 (and channels and "
                        "kernel at most 2^30)",
                        who, (long long)kw);
        return NULL;
    }
    if (!conv_opts_ok(g, who, o, transposed)) return NULL;
    int64_t groups = o && o->groups ? o->groups : 1;
    if (in % groups || out % groups) {
        tg__nn_fail(g, TG_ERR_ARG,
                    "%s: groups = %lld must divide the input channels %lld "
                    "and the output channels %lld",
                    who, (long long)groups, (long long)in, (long long)out);
        return NULL;
    }
    tg_layer *l = layer_new(g, k, name, who);
    if (!l) return NULL;
    if (o) l->conv = *o;
    /* PyTorch's layouts: conv [out, in / G, k...], transposed [in, out /
     * G, k...]; fans are dim 1 and dim 0 times the receptive field. */
    int64_t d0 = transposed ? in : out, d1 = transposed ? out / groups : in / groups;
    int64_t shape[4] = {d0, d1, kh, kw};
    if (rank == 1) shape[2] = kw;
    l->w = make_param(l, dt, rank + 2, shape, "weight");
    if (l->w && bias) l->b = make_param(l, dt, 1, &out, "bias");
    if (l->w && (!bias || l->b)) {
        int64_t rf = rank == 2 ? kh * kw : kw;
        int64_t fan_in = d1 * rf, fan_out = d0 * rf;
        tg_status st = tg_init_apply_fans(l->w, init, NULL, fan_in, fan_out);
        if (st == TG_OK && l->b) {
            if (init == TG_INIT_DEFAULT) {
                double a = 1 / sqrt((double)fan_in);
                tg_init_uniform(l->b, NULL, -a, a);
            } else {
                tg_init_zeros(l->b);
            }
        }
    }
    return done(l, who);
}

tg_layer *tg_nn_conv2d(tg_graph *g, tg_dtype dt, int64_t in, int64_t out,
                       int64_t kh, int64_t kw, const tg_conv_opts *o,
                       bool bias, tg_init init, const char *name)
{
    return conv_layer(g, K_CONV2D, dt, in, out, kh, kw, o, bias, init, name,
                      "tg_nn_conv2d");
}

tg_layer *tg_nn_conv1d(tg_graph *g, tg_dtype dt, int64_t in, int64_t out,
                       int64_t k, const tg_conv_opts *o, bool bias,
                       tg_init init, const char *name)
{
    return conv_layer(g, K_CONV1D, dt, in, out, 1, k, o, bias, init, name,
                      "tg_nn_conv1d");
}

tg_layer *tg_nn_conv_transpose2d(tg_graph *g, tg_dtype dt, int64_t in,
                                 int64_t out, int64_t kh, int64_t kw,
                                 const tg_conv_opts *o, bool bias,
                                 tg_init init, const char *name)
{
    return conv_layer(g, K_CONVT2D, dt, in, out, kh, kw, o, bias, init, name,
                      "tg_nn_conv_transpose2d");
}

tg_layer *tg_nn_conv_transpose1d(tg_graph *g, tg_dtype dt, int64_t in,
                                 int64_t out, int64_t k,
                                 const tg_conv_opts *o, bool bias,
                                 tg_init init, const char *name)
{
    return conv_layer(g, K_CONVT1D, dt, in, out, 1, k, o, bias, init, name,
                      "tg_nn_conv_transpose1d");
}

/* A layer with no parameters of its own: just the graph check. */
static tg_layer *plain_layer(tg_graph *g, kind k, const char *who)
{
    if (!g) {
        tg__set_last_error(TG_ERR_ARG, "%s: graph is NULL", who);
        return NULL;
    }
    return layer_new(g, k, NULL, who);
}

static tg_layer *pool_layer(tg_graph *g, kind k, const tg_pool_opts *o,
                            const char *who)
{
    if (!g) {
        tg__set_last_error(TG_ERR_ARG, "%s: graph is NULL", who);
        return NULL;
    }
    bool two = k == K_MAXPOOL2D || k == K_AVGPOOL2D;
    bool neg = false;
    for (int i = 0; o && i < 2; i++)
        neg |= o->kernel[i] < 0 || o->stride[i] < 0 || o->padding[i] < 0 ||
               o->dilation[i] < 0;
    if (!o || o->kernel[0] < 1 || (two && o->kernel[1] < 1) || neg) {
        if (two)
            tg__nn_fail(g, TG_ERR_ARG,
                        "%s: kernel (%lld, %lld) must be >= 1 and stride, "
                        "padding and dilation >= 0; hint: set "
                        "tg_pool_opts.kernel",
                        who, o ? (long long)o->kernel[0] : 0LL,
                        o ? (long long)o->kernel[1] : 0LL);
        else
            tg__nn_fail(g, TG_ERR_ARG,
                        "%s: kernel %lld must be >= 1 and stride, padding "
                        "and dilation >= 0; hint: set tg_pool_opts.kernel",
                        who, o ? (long long)o->kernel[0] : 0LL);
        return NULL;
    }
    tg_layer *l = layer_new(g, k, NULL, who);
    if (l) l->pool = *o;
    return done(l, who);
}

tg_layer *tg_nn_max_pool2d(tg_graph *g, const tg_pool_opts *o)
{
    return pool_layer(g, K_MAXPOOL2D, o, "tg_nn_max_pool2d");
}
tg_layer *tg_nn_max_pool1d(tg_graph *g, const tg_pool_opts *o)
{
    return pool_layer(g, K_MAXPOOL1D, o, "tg_nn_max_pool1d");
}
tg_layer *tg_nn_avg_pool2d(tg_graph *g, const tg_pool_opts *o)
{
    return pool_layer(g, K_AVGPOOL2D, o, "tg_nn_avg_pool2d");
}
tg_layer *tg_nn_avg_pool1d(tg_graph *g, const tg_pool_opts *o)
{
    return pool_layer(g, K_AVGPOOL1D, o, "tg_nn_avg_pool1d");
}

static tg_layer *adaptive_layer(tg_graph *g, kind k, int64_t h, int64_t w,
                                const char *who)
{
    if (!check_dims(g, who, h, w)) return NULL;
    tg_layer *l = layer_new(g, k, NULL, who);
    if (l) l->out_size[0] = h, l->out_size[1] = w;
    return done(l, who);
}

tg_layer *tg_nn_adaptive_avg_pool2d(tg_graph *g, int64_t out_h, int64_t out_w)
{
    return adaptive_layer(g, K_ADAPTIVE2D, out_h, out_w,
                          "tg_nn_adaptive_avg_pool2d");
}
tg_layer *tg_nn_adaptive_avg_pool1d(tg_graph *g, int64_t out_len)
{
    return adaptive_layer(g, K_ADAPTIVE1D, out_len, 1,
                          "tg_nn_adaptive_avg_pool1d");
}

tg_layer *tg_nn_upsample(tg_graph *g, const tg_interp_opts *o)
{
    const char *who = "tg_nn_upsample";
    if (g && !o) {
        tg__nn_fail(g, TG_ERR_ARG, "%s: options are NULL; hint: give a size "
                                   "or a scale_factor per spatial axis",
                    who);
        return NULL;
    }
    tg_layer *l = plain_layer(g, K_UPSAMPLE, who);
    if (l) l->interp = *o;
    return done(l, who);
}

tg_layer *tg_nn_flatten(tg_graph *g)
{
    const char *who = "tg_nn_flatten";
    return done(plain_layer(g, K_FLATTEN, who), who);
}

tg_layer *tg_nn_dropout2d(tg_graph *g, double p)
{
    const char *who = "tg_nn_dropout2d";
    if (g && !(p >= 0 && p < 1)) {
        tg__nn_fail(g, TG_ERR_ARG, "%s: p = %g outside [0, 1)", who, p);
        return NULL;
    }
    tg_layer *l = plain_layer(g, K_DROPOUT2D, who);
    if (l) l->p = p;
    return done(l, who);
}

tg_layer *tg_nn_batchnorm2d(tg_graph *g, tg_dtype dt, int64_t channels,
                            double momentum, double eps, const char *name)
{
    tg_layer *l = batchnorm_layer(g, dt, channels, momentum, eps, name,
                                  K_BATCHNORM2D, "tg_nn_batchnorm2d");
    return l;
}

/* ------------------------------------------------------------- composites */

/* Adopt children (ownership passes even on failure: a NULL child, from a
 * failed constructor, fails the composite and frees the others). */
static tg_layer *composite(tg_graph *g, kind k, const char *name, int n,
                           tg_layer *const *kids, const char *who)
{
    bool ok = g != NULL && n >= 1 && kids != NULL;
    for (int i = 0; ok && i < n; i++) ok = kids[i] != NULL;
    for (int i = 0; ok && i < n; i++)
        if (kids[i]->g != g) {
            tg__nn_fail(g, TG_ERR_ARG, "%s: layer %d (%s) lives on another "
                                       "graph",
                        who, i, kids[i]->name);
            ok = false;
        }
    /* Forward passes and tg_layer_free recurse once per level of nesting:
     * the limit keeps that far from any thread's stack. */
    int depth = 0;
    for (int i = 0; ok && i < n; i++)
        if (kids[i]->depth > depth) depth = kids[i]->depth;
    if (ok && depth + 1 > TG_NN_MAX_DEPTH) {
        tg__nn_fail(g, TG_ERR_ARG,
                    "%s: nesting depth %d exceeds the limit of %d "
                    "(TG_NN_MAX_DEPTH); hint: chain blocks side by side with "
                    "tg_nn_sequential instead of nesting each in the next",
                    who, depth + 1, TG_NN_MAX_DEPTH);
        ok = false;
    }
    tg_layer *l = ok ? layer_new(g, k, name, who) : NULL;
    if (l) {
        l->child = tg__malloc(sizeof(tg_layer *) * (size_t)n);
        if (!l->child) {
            tg__nn_fail(g, TG_ERR_OOM, "%s: out of memory", who);
            tg_layer_free(l);
            l = NULL;
        }
    }
    if (!l) {
        if (g && n >= 1 && kids && tg_graph_status(g) == TG_OK)
            tg__nn_fail(g, TG_ERR_ARG, "%s: a sub-layer is NULL (did its "
                                       "constructor fail?)",
                        who);
        else if (!g)
            tg__set_last_error(TG_ERR_ARG, "%s: graph or layers are NULL", who);
        for (int i = 0; kids && i < n; i++) tg_layer_free(kids[i]);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        l->child[i] = kids[i];
        kids[i]->adopted = true;
    }
    l->n_child = n;
    l->depth = depth + 1;
    return l;
}

static tg_graph *graph_of(const tg_layer *l) { return l ? l->g : NULL; }

tg_layer *tg_nn_sequential(tg_graph *g, int n, tg_layer *const *layers,
                           const char *name)
{
    const char *who = "tg_nn_sequential";
    return done(composite(g, K_SEQ, name, n, layers, who), who);
}

tg_layer *tg_nn_residual(tg_layer *f, const char *name)
{
    const char *who = "tg_nn_residual";
    return done(composite(graph_of(f), K_RESIDUAL, name, 1, &f, who), who);
}

/* x + F(LN(x)) and LN(x + F(x)): the block owns F and a layer norm of
 * width dim named "<name>.ln". */
static tg_layer *ln_block(tg_graph *g, tg_dtype dt, int64_t dim, tg_layer *f,
                          kind k, const char *name, const char *who)
{
    if (!f || !g) {
        tg_layer_free(f);
        tg__nn_fail(g, TG_ERR_ARG, "%s: graph or sub-layer is NULL", who);
        return NULL;
    }
    char auto_name[64], lnn[512];
    if (!name) {
        snprintf(auto_name, sizeof auto_name, "%s@%d", kind_names[k],
                 tg_graph_num_params(g));
        name = auto_name;
    }
    snprintf(lnn, sizeof lnn, "%s.ln", name);
    tg_layer *ln = tg_nn_layernorm(g, dt, dim, 1e-5, lnn);
    tg_layer *kids[2] = {f, ln};
    return done(composite(g, k, name, 2, kids, who), who);
}

tg_layer *tg_nn_preln(tg_graph *g, tg_dtype dt, int64_t dim, tg_layer *f,
                      const char *name)
{
    return ln_block(g, dt, dim, f, K_PRELN, name, "tg_nn_preln");
}

tg_layer *tg_nn_postln(tg_graph *g, tg_dtype dt, int64_t dim, tg_layer *f,
                       const char *name)
{
    return ln_block(g, dt, dim, f, K_POSTLN, name, "tg_nn_postln");
}

tg_layer *tg_nn_mlp_fn(tg_graph *g, tg_dtype dt, int n, const int64_t *sizes,
                       tg_act_fn hidden, tg_act_fn output, tg_init init,
                       const char *name)
{
    const char *who = "tg_nn_mlp";
    if (!g) {
        tg__set_last_error(TG_ERR_ARG, "%s: graph is NULL", who);
        return NULL;
    }
    if (n < 2 || !sizes || n > 4096) {
        tg__nn_fail(g, TG_ERR_ARG, "%s: needs 2 to 4096 sizes (input, hidden..., "
                                   "output), got %d",
                    who, n);
        return NULL;
    }
    char auto_name[64], nm[512];
    if (!name) {
        snprintf(auto_name, sizeof auto_name, "mlp@%d", tg_graph_num_params(g));
        name = auto_name;
    }
    int nl = 0, cap = 2 * (n - 1);
    tg_layer **kids = tg__calloc(sizeof(tg_layer *) * (size_t)cap);
    if (!kids) {
        tg__nn_fail(g, TG_ERR_OOM, "%s: out of memory", who);
        return NULL;
    }
    for (int i = 0; i + 1 < n; i++) {
        snprintf(nm, sizeof nm, "%s.fc%d", name, i);
        tg_act_fn a = i + 2 < n ? hidden : output;
        /* GLU halves its last axis: the layer before it gives twice the
         * width, so sizes[] stay the widths between the blocks */
        int64_t width = sizes[i + 1];
        if (a == act_glu) {
            if (width < 0 || width > INT64_MAX / 2) width = -1;
            else width *= 2;
        }
        kids[nl++] = tg_nn_linear(g, dt, sizes[i], width, true, init, nm);
        if (a && a != tg_identity) kids[nl++] = tg_nn_activation(g, a);
    }
    tg_layer *l = composite(g, K_SEQ, name, nl, kids, who);
    tg__free(kids);
    return done(l, who);
}

tg_layer *tg_nn_mlp(tg_graph *g, tg_dtype dt, int n, const int64_t *sizes,
                    const char *hidden, const char *output, tg_init init,
                    const char *name)
{
    tg_act_fn h = tg_activation(hidden), o = tg_activation(output);
    if (!h || !o) {
        tg__nn_fail(g, TG_ERR_ARG,
                    "tg_nn_mlp: unknown activation \"%s\"; hint: one of %s",
                    h ? output : hidden, tg_activation_names());
        return NULL;
    }
    return tg_nn_mlp_fn(g, dt, n, sizes, h, o, init, name);
}

/* ------------------------------------------- layers of other nn files */

tg_layer *tg__layer_ext_new(tg_graph *g, const tg__layer_impl *impl,
                            const char *name, const char *who)
{
    if (!g) {
        tg__set_last_error(TG_ERR_ARG, "%s: graph is NULL", who);
        return NULL;
    }
    char auto_name[64];
    if (!name) { /* as layer_new, with the implementation's kind */
        snprintf(auto_name, sizeof auto_name, "%s@%d", impl->kind,
                 tg_graph_num_params(g));
        name = auto_name;
    }
    tg_layer *l = layer_new(g, K_EXT, name, who);
    if (l) l->impl = impl;
    return l;
}

tg_tensor *tg__layer_ext_param(tg_layer *l, tg_dtype dt, int ndim,
                               const int64_t *shape, const char *what)
{
    if (!tg__reserve((void **)&l->xp, &l->cap_xp, l->n_xp + 1,
                     sizeof(tg_tensor *))) {
        tg__nn_fail(l->g, TG_ERR_OOM, "%s: out of memory", l->name);
        return NULL;
    }
    tg_tensor *p = make_param(l, dt, ndim, shape, what);
    if (p) l->xp[l->n_xp++] = p;
    return p;
}

bool tg__layer_ext_adopt(tg_layer *l, tg_layer *child, const char *who)
{
    if (!child) {
        if (tg_graph_status(l->g) == TG_OK)
            tg__nn_fail(l->g, TG_ERR_ARG, "%s: a sub-layer is NULL (did its "
                                          "constructor fail?)", who);
        return false;
    }
    if (!tg__reserve((void **)&l->child, &l->cap_child, l->n_child + 1,
                     sizeof(tg_layer *))) {
        tg_layer_free(child);
        tg__nn_fail(l->g, TG_ERR_OOM, "%s: out of memory", who);
        return false;
    }
    l->child[l->n_child++] = child;
    child->adopted = true;
    if (child->depth + 1 > l->depth) l->depth = child->depth + 1;
    return true;
}

tg_layer *tg__layer_ext_done(tg_layer *l, const char *who)
{
    return done(l, who);
}

void tg__layer_ext_set_data(tg_layer *l, void *data) { l->impl_data = data; }

void *tg__layer_ext_data(const tg_layer *l, const tg__layer_impl *impl)
{
    return l && l->kind == K_EXT && l->impl == impl ? l->impl_data : NULL;
}

tg_graph *tg__layer_graph(const tg_layer *l) { return l ? l->g : NULL; }

/* -------------------------------------------------------------- embedding */

tg_layer *tg_nn_embedding(tg_graph *g, tg_dtype dt, int64_t num, int64_t dim,
                          int64_t padding_idx, tg_init init, const char *name)
{
    const char *who = "tg_nn_embedding";
    if (!check_dims(g, who, num, dim)) return NULL;
    if (padding_idx != TG_NN_NO_PADDING &&
        (padding_idx < -num || padding_idx >= num)) {
        tg__nn_fail(g, TG_ERR_ARG,
                    "%s: padding_idx %lld outside [-%lld, %lld) for %lld "
                    "embeddings; hint: TG_NN_NO_PADDING for none",
                    who, (long long)padding_idx, (long long)num,
                    (long long)num, (long long)num);
        return NULL;
    }
    tg_layer *l = layer_new(g, K_EMBEDDING, name, who);
    if (!l) return NULL;
    /* PyTorch: a negative padding_idx counts from the end */
    l->pad = padding_idx == TG_NN_NO_PADDING ? -1
             : padding_idx < 0              ? padding_idx + num
                                            : padding_idx;
    l->w = make_param(l, dt, 2, (int64_t[]){num, dim}, "weight");
    if (l->w) {
        /* nn.Embedding: N(0, 1); the fans as PyTorch reads a [num, dim]
         * weight (fan_in = dim, fan_out = num) for the others */
        tg_status st = init == TG_INIT_DEFAULT
                           ? tg_init_normal(l->w, NULL, 0.0, 1.0)
                           : tg_init_apply_fans(l->w, init, NULL, dim, num);
        if (st == TG_OK && l->pad >= 0) {
            size_t es = tg_dtype_size(dt);
            memset((char *)l->w->data + (size_t)(l->pad * dim) * es, 0,
                   (size_t)dim * es);
        }
    }
    return done(l, who);
}

/* y = W[idx] (index_select along rows). The padding row gets no gradient:
 * where the batch holds padding_idx the output is where(keep, y,
 * detach(y)), keep = idx != padding_idx, so those positions send nothing
 * back to W (y's values are W's either way, as in PyTorch, where the
 * padding row is only zero until someone writes it). A batch without the
 * padding index records the lookup alone. */
static tg_tensor *embedding_forward(tg_layer *l, tg_tensor *idx)
{
    const char *who = "tg_nn_embedding";
    tg_graph *g = idx->graph;
    if (!g || (idx->flags & TG_TF_POISON)) return tg_index_select(l->w, 0, idx);
    if (tg__stale(idx)) {
        tg__stale_fail(who, idx);
        return &g->poison;
    }
    if (g != l->g) {
        tg__fail(g, TG_ERR_ARG, "%s (%s): the indices live on another graph "
                                "than the layer",
                 who, l->name);
        return &g->poison;
    }
    char sb[TG_SHAPE_BUF];
    if (idx->dtype != TG_I64) {
        tg__fail(g, TG_ERR_DTYPE,
                 "%s (%s): indices %s are %s; hint: embeddings take i64 "
                 "indices (tg_cast(idx, TG_I64))",
                 who, l->name, tg__fmt_shape(sb, idx->ndim, idx->shape),
                 tg_dtype_name(idx->dtype));
        return &g->poison;
    }
    if (idx->ndim >= TG_MAX_DIMS) {
        tg__fail(g, TG_ERR_SHAPE,
                 "%s (%s): indices %s have %d dims; the output adds one "
                 "and tensors have at most %d",
                 who, l->name, tg__fmt_shape(sb, idx->ndim, idx->shape),
                 idx->ndim, TG_MAX_DIMS);
        return &g->poison;
    }
    const int64_t *iv = idx->data, num = l->w->shape[0];
    bool has_pad = false;
    for (int64_t k = 0; k < idx->numel; k++) {
        if (iv[k] < 0 || iv[k] >= num) {
            tg__fail(g, TG_ERR_ARG,
                     "%s (%s): index %lld at position %lld of %s is outside "
                     "[0, %lld); hint: the layer holds %lld embeddings",
                     who, l->name, (long long)iv[k], (long long)k,
                     tg__fmt_shape(sb, idx->ndim, idx->shape), (long long)num,
                     (long long)num);
            return &g->poison;
        }
        has_pad |= iv[k] == l->pad;
    }
    tg_tensor *y = tg_index_select(l->w, 0, idx);
    if (!has_pad || !tg_requires_grad(y)) return y;
    int64_t ks[TG_MAX_DIMS];
    for (int d = 0; d < idx->ndim; d++) ks[d] = idx->shape[d];
    ks[idx->ndim] = 1;
    tg_tensor *keep = tg_input(g, TG_BOOL, idx->ndim + 1, ks, NULL);
    if (keep->flags & TG_TF_POISON) return keep;
    bool *kv = keep->data;
    for (int64_t k = 0; k < idx->numel; k++) kv[k] = iv[k] != l->pad;
    return tg_where(keep, y, tg_detach(y));
}

/* ---------------------------------------------------- user-defined layers */

tg_layer *tg_layer_new(tg_graph *g, const tg_layer_def *def, const char *name)
{
    const char *who = "tg_layer_new";
    const char *why = NULL;
    if (!g)
        why = "graph is NULL";
    else if (!def)
        why = "definition is NULL; hint: fill a tg_layer_def with at least a "
              "forward function";
    else if (!def->forward && !def->forward_n)
        why = "the definition has no forward function; hint: set "
              "tg_layer_def.forward (one input, one output) or forward_n";
    else if (def->kind && (!*def->kind || strlen(def->kind) > 63))
        why = "the kind must be 1 to 63 bytes";
    if (why) {
        tg__nn_fail(g, TG_ERR_ARG, "%s: %s (kind \"%s\")", who, why,
                    def && def->kind ? def->kind : "user");
        if (def && def->free_data) def->free_data(def->data);
        return NULL;
    }
    const char *kind = def->kind ? def->kind : "user";
    char auto_name[96];
    if (!name) {
        snprintf(auto_name, sizeof auto_name, "%s@%d", kind,
                 tg_graph_num_params(g));
        name = auto_name;
    }
    tg_layer *l = layer_new(g, K_USER, name, who);
    char *k = l ? dup_str(kind) : NULL;
    if (!k) {
        if (l) tg__nn_fail(g, TG_ERR_OOM, "%s: out of memory", who);
        tg_layer_free(l);
        if (def->free_data) def->free_data(def->data);
        return NULL;
    }
    l->user_kind = k;
    l->def = *def;
    /* the copy points at the layer's own string, not the caller's */
    l->def.kind = l->user_kind;
    if (!finish(l, who)) {
        tg_layer_free(l);
        return NULL;
    }
    return l;
}

/* The layer's registration may go ahead: a user layer without a parent,
 * a new name among its state tensors. Reports on the graph otherwise. */
static bool may_register(tg_layer *l, const char *what, const char *who)
{
    if (!l) {
        tg__set_last_error(TG_ERR_ARG, "%s: layer is NULL", who);
        return false;
    }
    if (l->kind != K_USER) {
        tg__nn_fail(l->g, TG_ERR_ARG,
                    "%s: layer %s is a built-in %s layer; hint: only layers "
                    "made with tg_layer_new take registrations",
                    who, l->name, kind_names[l->kind]);
        return false;
    }
    if (l->adopted) {
        tg__nn_fail(l->g, TG_ERR_STATE,
                    "%s: layer %s (%s) already belongs to another layer, "
                    "which copied its lists; hint: register everything "
                    "before adding the layer to a composite",
                    who, l->name, l->user_kind);
        return false;
    }
    if (what && (!*what || strlen(what) > 400)) {
        tg__nn_fail(l->g, TG_ERR_ARG,
                    "%s: layer %s (%s): the tensor name must be 1 to 400 "
                    "bytes",
                    who, l->name, l->user_kind);
        return false;
    }
    return tg_graph_status(l->g) == TG_OK;
}

static bool name_taken(const tg_layer *l, const char *full)
{
    for (int i = 0; i < l->n_state; i++)
        if (l->state[i]->name && !strcmp(l->state[i]->name, full)) return true;
    return false;
}

static tg_tensor *register_tensor(tg_layer *l, const char *what, tg_dtype dt,
                                  int ndim, const int64_t *shape, tg_init init,
                                  bool buffer, const char *who)
{
    if (!may_register(l, what, who)) return NULL;
    if (!what) {
        tg__nn_fail(l->g, TG_ERR_ARG,
                    "%s: layer %s (%s): the tensor name is NULL; hint: "
                    "\"weight\", \"bias\"...",
                    who, l->name, l->user_kind);
        return NULL;
    }
    char full[512];
    snprintf(full, sizeof full, "%s.%s", l->name, what);
    if (name_taken(l, full)) {
        tg__nn_fail(l->g, TG_ERR_ARG,
                    "%s: layer %s (%s) already holds a tensor named \"%s\"; "
                    "hint: names identify tensors in saved files, so they "
                    "must be unique",
                    who, l->name, l->user_kind, full);
        return NULL;
    }
    tg_tensor ***arr = buffer ? &l->reg_b : &l->reg_p;
    int *n = buffer ? &l->n_reg_b : &l->n_reg_p;
    int64_t *cap = buffer ? &l->cap_reg_b : &l->cap_reg_p;
    if (*n >= 1 << 20 || !tg__reserve((void **)arr, cap, *n + 1, sizeof **arr)) {
        tg__nn_fail(l->g, TG_ERR_OOM, "%s: out of memory (layer %s holds %d "
                                      "tensors)", who, l->name, *n);
        return NULL;
    }
    /* tg_param checks dtype and shape and reports on the graph */
    tg_tensor *t = make_param(l, dt, ndim, shape, what);
    if (!t) return NULL;
    if (buffer) tg_set_requires_grad(t, false);
    if (tg_init_apply(t, init, NULL) != TG_OK) return NULL;
    (*arr)[(*n)++] = t;
    if (!finish(l, who)) {
        (*n)--; /* the tensor stays on the graph, unlisted */
        return NULL;
    }
    return t;
}

tg_tensor *tg_layer_add_param(tg_layer *l, const char *what, tg_dtype dt,
                              int ndim, const int64_t *shape, tg_init init)
{
    return register_tensor(l, what, dt, ndim, shape, init, false,
                           "tg_layer_add_param");
}

tg_tensor *tg_layer_add_buffer(tg_layer *l, const char *what, tg_dtype dt,
                               int ndim, const int64_t *shape, tg_init init)
{
    return register_tensor(l, what, dt, ndim, shape, init, true,
                           "tg_layer_add_buffer");
}

tg_status tg_layer_add_child(tg_layer *l, tg_layer *child)
{
    const char *who = "tg_layer_add_child";
    tg_status st = TG_OK;
    if (!l || !child) {
        st = tg__nn_fail(l ? l->g : child ? child->g : NULL, TG_ERR_ARG,
                         "%s: %s is NULL%s", who, l ? "the child" : "the layer",
                         l ? "; hint: did its constructor fail?" : "");
    } else if (!may_register(l, NULL, who)) {
        st = tg_graph_status(l->g) != TG_OK ? tg_graph_status(l->g)
             : l->kind != K_USER           ? TG_ERR_ARG
                                           : TG_ERR_STATE;
    } else if (child == l || child->adopted || child->g != l->g) {
        st = tg__nn_fail(l->g, TG_ERR_ARG,
                         "%s: layer %s (%s) cannot adopt %s (%s): %s", who,
                         l->name, l->user_kind, child->name,
                         tg_layer_kind(child),
                         child == l          ? "a layer cannot contain itself"
                         : child->adopted ? "it already has a parent"
                                          : "it lives on another graph");
        child = child == l ? NULL : child; /* never free l here */
    } else if (child->depth + 1 > TG_NN_MAX_DEPTH) {
        st = tg__nn_fail(l->g, TG_ERR_ARG,
                         "%s: nesting depth %d exceeds the limit of %d "
                         "(TG_NN_MAX_DEPTH)",
                         who, child->depth + 1, TG_NN_MAX_DEPTH);
    } else {
        for (int i = 0; i < child->n_state && st == TG_OK; i++)
            if (child->state[i]->name && name_taken(l, child->state[i]->name))
                st = tg__nn_fail(l->g, TG_ERR_ARG,
                                 "%s: layer %s (%s) already holds a tensor "
                                 "named \"%s\", which child %s also has; "
                                 "hint: name the child \"%s.<part>\"",
                                 who, l->name, l->user_kind,
                                 child->state[i]->name, child->name, l->name);
    }
    if (st == TG_OK && (l->n_child >= 1 << 20 ||
                        !tg__reserve((void **)&l->child, &l->cap_child,
                                     l->n_child + 1, sizeof *l->child)))
        st = tg__nn_fail(l->g, TG_ERR_OOM, "%s: out of memory", who);
    if (st != TG_OK) {
        if (child && !child->adopted) tg_layer_free(child);
        return st;
    }
    l->child[l->n_child++] = child;
    child->adopted = true;
    if (child->depth + 1 > l->depth) l->depth = child->depth + 1;
    if (!finish(l, who)) {
        l->n_child--;
        tg_layer_free(child);
        return TG_ERR_OOM;
    }
    return TG_OK;
}

void *tg_layer_data(const tg_layer *l)
{
    return l && l->kind == K_USER ? l->def.data : NULL;
}

tg_graph *tg_layer_graph(const tg_layer *l) { return l ? l->g : NULL; }

/* A user layer's one-in, one-out forward (forward, else forward_n). */
static tg_tensor *user_forward(tg_layer *l, tg_tensor *x)
{
    tg_tensor *y = NULL;
    if (l->def.forward) {
        y = l->def.forward(l, x);
    } else if (l->def.forward_n(l, 1, &x, 1, &y) != TG_OK && x->graph) {
        if (tg_graph_status(x->graph) == TG_OK)
            tg__fail(x->graph, TG_ERR_ARG,
                     "tg_layer_forward: layer %s (%s): its forward_n "
                     "failed without saying why",
                     l->name, l->user_kind);
        return &x->graph->poison;
    }
    if (!y && x->graph) {
        tg__fail(x->graph, TG_ERR_ARG,
                 "tg_layer_forward: layer %s (%s): its forward function "
                 "returned NULL; hint: return the output tensor",
                 l->name, l->user_kind);
        return &x->graph->poison;
    }
    return y;
}

tg_status tg_layer_forward_n(tg_layer *l, int n_in, tg_tensor *const *in,
                             int n_out, tg_tensor **out)
{
    const char *who = "tg_layer_forward_n";
    tg_graph *g = NULL;
    for (int i = 0; in && i < n_in && !g; i++)
        if (in[i]) g = in[i]->graph;
    tg_tensor *poison = g ? &g->poison : NULL;
    tg_status st = TG_OK;
    if (!l || n_in < 1 || n_out < 1 || !in || !out || n_in > 1024 ||
        n_out > 1024) {
        st = tg__nn_fail(g, TG_ERR_ARG,
                         "%s: layer, inputs or outputs are NULL, or counts "
                         "%d in, %d out are outside 1..1024",
                         who, n_in, n_out);
    } else {
        for (int i = 0; i < n_in && st == TG_OK; i++) {
            if (!in[i])
                st = tg__nn_fail(g, TG_ERR_ARG, "%s: layer %s: input %d is NULL",
                                 who, l->name, i);
            else if (tg__stale(in[i]))
                st = tg__stale_fail(who, in[i]);
        }
    }
    if (st == TG_OK) {
        if (l->kind == K_USER && l->def.forward_n) {
            for (int i = 0; i < n_out; i++) out[i] = NULL;
            st = l->def.forward_n(l, n_in, in, n_out, out);
            for (int i = 0; i < n_out && st == TG_OK; i++)
                if (!out[i])
                    st = tg__nn_fail(g, TG_ERR_ARG,
                                     "%s: layer %s (%s) left output %d of %d "
                                     "unset; hint: forward_n must write "
                                     "out[0..n_out-1]",
                                     who, l->name, l->user_kind, i, n_out);
            if (st != TG_OK && g && tg_graph_status(g) == TG_OK)
                tg__fail(g, st, "%s: layer %s (%s): forward_n failed (%s)",
                         who, l->name, l->user_kind, tg_status_str(st));
        } else if (n_in == 1 && n_out == 1) {
            out[0] = tg_layer_forward(l, in[0]);
            if (g && tg_graph_status(g) != TG_OK) st = tg_graph_status(g);
        } else {
            st = tg__nn_fail(g, TG_ERR_ARG,
                             "%s: layer %s (%s) takes one input and gives one "
                             "output, not %d and %d; hint: a user layer "
                             "with several needs tg_layer_def.forward_n",
                             who, l->name, tg_layer_kind(l), n_in, n_out);
        }
    }
    if (st == TG_OK && g && tg_graph_status(g) != TG_OK) st = tg_graph_status(g);
    if (st != TG_OK && out)
        for (int i = 0; i < n_out && i < 1024; i++) out[i] = poison;
    return st;
}

/* ---------------------------------------------------------------- forward */

tg_tensor *tg_layer_forward(tg_layer *l, tg_tensor *x)
{
    if (!l || !x) {
        if (x && x->graph) {
            tg__fail(x->graph, TG_ERR_ARG, "tg_layer_forward: layer is NULL");
            return &x->graph->poison;
        }
        tg__set_last_error(TG_ERR_ARG, "tg_layer_forward: layer or input is "
                                       "NULL");
        return NULL;
    }
    switch (l->kind) {
    case K_LINEAR: return tg_linear(x, l->w, l->b);
    case K_MAXOUT: return tg_maxout(tg_linear(x, l->w, l->b), l->k);
    case K_ACT: return l->act(x);
    case K_FN: return l->fn(x, l->ud);
    case K_DROPOUT: return tg_dropout(x, l->p);
    case K_LAYERNORM: return tg_layer_norm(x, l->w, l->b, l->eps);
    case K_BATCHNORM:
        return (l->bn_fn ? l->bn_fn : tg_batch_norm)(x, l->w, l->b, l->rmean,
                                                     l->rvar, l->momentum,
                                                     l->eps);
    case K_SEQ:
        for (int i = 0; i < l->n_child; i++) x = tg_layer_forward(l->child[i], x);
        return x;
    case K_RESIDUAL: return tg_add(x, tg_layer_forward(l->child[0], x));
    case K_PRELN:
        return tg_add(x, tg_layer_forward(l->child[0],
                                          tg_layer_forward(l->child[1], x)));
    case K_POSTLN:
        return tg_layer_forward(l->child[1],
                                tg_add(x, tg_layer_forward(l->child[0], x)));
    case K_CONV1D: return tg_conv1d(x, l->w, l->b, &l->conv);
    case K_CONV2D: return tg_conv2d(x, l->w, l->b, &l->conv);
    case K_CONVT1D: return tg_conv_transpose1d(x, l->w, l->b, &l->conv);
    case K_CONVT2D: return tg_conv_transpose2d(x, l->w, l->b, &l->conv);
    case K_MAXPOOL1D: return tg_max_pool1d(x, &l->pool);
    case K_MAXPOOL2D: return tg_max_pool2d(x, &l->pool);
    case K_AVGPOOL1D: return tg_avg_pool1d(x, &l->pool);
    case K_AVGPOOL2D: return tg_avg_pool2d(x, &l->pool);
    case K_ADAPTIVE1D: return tg_adaptive_avg_pool1d(x, l->out_size[0]);
    case K_ADAPTIVE2D:
        return tg_adaptive_avg_pool2d(x, l->out_size[0], l->out_size[1]);
    case K_UPSAMPLE: return tg_interpolate(x, &l->interp);
    case K_FLATTEN:
        if (x->ndim < 2 && x->graph && !(x->flags & TG_TF_POISON)) {
            char sb[TG_SHAPE_BUF];
            tg__fail(x->graph, TG_ERR_SHAPE,
                     "tg_nn_flatten: input %s has no axis 1 to flatten from; "
                     "hint: the layer keeps axis 0 (the batch)",
                     tg__fmt_shape(sb, x->ndim, x->shape));
            return &x->graph->poison;
        }
        return x->ndim == 2 ? x : tg_flatten(x, 1, -1);
    case K_BATCHNORM2D:
        if (x->ndim != 4 && x->graph && !(x->flags & TG_TF_POISON)) {
            char sb[TG_SHAPE_BUF];
            tg__fail(x->graph, TG_ERR_SHAPE,
                     "tg_nn_batchnorm2d (%s): input must be 4-D [N, C, H, W], "
                     "got %s; hint: tg_nn_batchnorm takes any [N, C, ...]",
                     l->name, tg__fmt_shape(sb, x->ndim, x->shape));
            return &x->graph->poison;
        }
        return (l->bn_fn ? l->bn_fn : tg_batch_norm)(x, l->w, l->b, l->rmean,
                                                     l->rvar, l->momentum,
                                                     l->eps);
    case K_DROPOUT2D: return tg_dropout2d(x, l->p);
    case K_EXT: return l->impl->forward(l, x);
    case K_EMBEDDING: return embedding_forward(l, x);
    case K_USER: return user_forward(l, x);
    case K_COUNT: break;
    }
    return x;
}

/* ------------------------------------------------------------- inspection */

const char *tg_layer_name(const tg_layer *l) { return l ? l->name : NULL; }
const char *tg_layer_kind(const tg_layer *l)
{
    if (!l) return NULL;
    if (l->kind == K_EXT) return l->impl->kind;
    return l->kind == K_USER ? l->user_kind : kind_names[l->kind];
}
int tg_layer_num_params(const tg_layer *l) { return l ? l->n_params : 0; }
tg_tensor *const *tg_layer_params(const tg_layer *l)
{
    return l ? l->params : NULL;
}
int tg_layer_num_state(const tg_layer *l) { return l ? l->n_state : 0; }
tg_tensor *const *tg_layer_state(const tg_layer *l)
{
    return l ? l->state : NULL;
}
int64_t tg_layer_num_elements(const tg_layer *l, bool trainable_only)
{
    if (!l) return 0;
    int64_t n = 0;
    for (int i = 0; i < l->n_params; i++)
        if (!trainable_only || (l->params[i]->flags & TG_TF_REQUIRES_GRAD))
            n += l->params[i]->numel;
    return n;
}

/* snprintf into a growing listing that counts what it could not hold */
typedef struct listing {
    char *buf;
    size_t size, len;
} listing;

static void put(listing *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void put(listing *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = o->len < o->size ? o->size - o->len : 0;
    int k = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
    va_end(ap);
    if (k > 0) o->len += (size_t)k;
}

static bool is_buffer(const tg_layer *l, const tg_tensor *t)
{
    if (t == l->rmean || t == l->rvar) return true;
    for (int i = 0; i < l->n_reg_b; i++)
        if (l->reg_b[i] == t) return true;
    return false;
}

/* A layer's own tensors are its state minus its children's. */
static void describe(const tg_layer *l, int depth, listing *o)
{
    put(o, "%*s%s (%s)\n", 2 * depth, "", l->name, tg_layer_kind(l));
    int own = l->n_state;
    for (int c = 0; c < l->n_child; c++) own -= l->child[c]->n_state;
    for (int i = 0; i < own; i++) {
        const tg_tensor *t = l->state[i];
        char sb[TG_SHAPE_BUF];
        put(o, "%*s%s %s %s %lld %s\n", 2 * depth + 2, "",
            t->name ? t->name : "(unnamed)", tg_dtype_name(t->dtype),
            tg__fmt_shape(sb, t->ndim, t->shape), (long long)t->numel,
            is_buffer(l, t)                        ? "buffer"
            : (t->flags & TG_TF_REQUIRES_GRAD) ? "trainable"
                                               : "frozen");
    }
    for (int c = 0; c < l->n_child; c++) describe(l->child[c], depth + 1, o);
}

size_t tg_layer_describe(const tg_layer *l, char *buf, size_t size)
{
    if (!l || (!buf && size > 0)) {
        tg__set_last_error(TG_ERR_ARG, "tg_layer_describe: %s is NULL%s",
                           l ? "the buffer" : "the layer",
                           l ? "; hint: pass size 0 to ask for the length" : "");
        return 0;
    }
    listing o = {buf, size, 0};
    describe(l, 0, &o);
    int64_t nb = 0;
    for (int i = 0; i < l->n_state; i++) {
        bool listed = false;
        for (int j = 0; j < l->n_params && !listed; j++)
            listed = l->params[j] == l->state[i];
        if (!listed) nb += l->state[i]->numel;
    }
    put(&o,
        "%d parameters, %lld elements (%lld trainable), %lld in buffers\n",
        l->n_params, (long long)tg_layer_num_elements(l, false),
        (long long)tg_layer_num_elements(l, true), (long long)nb);
    if (size) buf[o.len < size ? o.len : size - 1] = 0;
    return o.len;
}

int tg__layer_set_batchnorm_fn(tg_layer *l, tg__bn_fn fn)
{
    if (!l) return 0;
    int n = 0;
    if (l->kind == K_BATCHNORM || l->kind == K_BATCHNORM2D) {
        l->bn_fn = fn;
        n++;
    }
    for (int i = 0; i < l->n_child; i++)
        n += tg__layer_set_batchnorm_fn(l->child[i], fn);
    return n;
}

int tg_layer_num_children(const tg_layer *l) { return l ? l->n_child : 0; }
tg_layer *tg_layer_child(const tg_layer *l, int i)
{
    return (l && i >= 0 && i < l->n_child) ? l->child[i] : NULL;
}

tg_tensor *tg_layer_find(const tg_layer *l, const char *name)
{
    if (!l || !name) return NULL;
    for (int i = 0; i < l->n_state; i++)
        if (l->state[i]->name && !strcmp(l->state[i]->name, name))
            return l->state[i];
    return NULL;
}

tg_status tg_layer_set_trainable(tg_layer *l, bool on)
{
    if (!l)
        return tg__set_last_error(TG_ERR_ARG,
                                  "tg_layer_set_trainable: layer is NULL");
    for (int i = 0; i < l->n_params; i++) {
        tg_status st = tg_set_requires_grad(l->params[i], on);
        if (st != TG_OK) return st;
    }
    return TG_OK;
}

/* ----------------------------------------------------- losses and metrics */

tg_tensor *tg_nn_weight_decay(const tg_layer *l, double lambda)
{
    /* Matrices only: biases and normalisation scales are conventionally
     * not decayed. */
    if (!l) {
        tg__set_last_error(TG_ERR_ARG, "tg_nn_weight_decay: layer is NULL");
        return NULL;
    }
    tg_tensor *ws[64], *sum = NULL;
    int n = 0;
    for (int i = 0; i <= l->n_params; i++) {
        bool last = i == l->n_params;
        if (!last) {
            tg_tensor *p = l->params[i];
            if (p->ndim >= 2 && (p->flags & TG_TF_REQUIRES_GRAD)) ws[n++] = p;
        }
        if (n && (n == 64 || last)) { /* one penalty node per 64 matrices */
            tg_tensor *part = tg_l2_penalty(ws, n, lambda);
            sum = sum ? tg_add(sum, part) : part;
            n = 0;
        }
    }
    if (sum) return sum;
    tg_dtype dt = l->n_params ? l->params[0]->dtype : TG_F32;
    return tg_scalar(l->g, dt, 0.0);
}

double tg_accuracy(const tg_tensor *logits, const tg_tensor *labels)
{
    if (tg__stale(logits) || tg__stale(labels)) {
        tg__stale_fail("tg_accuracy", tg__stale(logits) ? logits : labels);
        return NAN;
    }
    if (!logits || !labels || logits->ndim < 1 || (logits->flags & TG_TF_POISON) ||
        (labels->flags & TG_TF_POISON))
        return NAN;
    int64_t C = logits->shape[logits->ndim - 1];
    int64_t N = C ? logits->numel / C : 0;
    if (N == 0 || labels->numel != N) return NAN;
    int64_t right = 0;
    for (int64_t i = 0; i < N; i++) {
        int64_t best = 0;
        double bv = tg_get(logits, i * C);
        for (int64_t c = 1; c < C; c++) {
            double v = tg_get(logits, i * C + c);
            if (v > bv) { /* first maximum wins, like argmax */
                bv = v;
                best = c;
            }
        }
        right += (double)best == tg_get(labels, i);
    }
    return (double)right / (double)N;
}
