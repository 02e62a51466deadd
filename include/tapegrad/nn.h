/* tapegrad/nn.h — layers, blocks, initializers, losses, optimizers, schedules.
 *
 * Everything here is built from the public ops: a layer's forward pass is a
 * chain of primitive nodes on its graph, so backward needs nothing of its
 * own. Optimizers are the exception by design: an update is a plain loop
 * over parameter data (no graph ops, no allocation per step).
 *
 * Conventions
 *   - A model lives on its graph: layers create their weights with
 *     tg_param, so weights persist across tg_graph_reset and are freed by
 *     tg_graph_free. The tg_layer structs themselves are caller-owned
 *     (free with tg_layer_free); freeing a layer never frees parameters.
 *   - Linear weights are stored [in, out] as tg_linear wants them
 *     (y = x W + b; PyTorch keeps the transpose). Initializer fans follow
 *     that layout (tg_init_fans).
 *   - Randomness (initializers, dropout masks) comes from tg_rng streams;
 *     seed the graph's with tg_rng_seed(tg_graph_rng(g), seed) before
 *     building a model and the weights are the same on every machine.
 *   - Errors: functions taking a graph or a graph tensor report on the
 *     graph's sticky error (tg_graph_error); functions with no graph
 *     (tg_optim_new, tg_clip_grad_norm…) report through tg_last_error().
 *
 * Worked example — one SGD-with-momentum step on a 784-256-10 MLP
 *
 *   tg_graph *g = tg_graph_new();
 *   tg_rng_seed(tg_graph_rng(g), 42);
 *   tg_layer *net = tg_nn_mlp(g, TG_F32, 3, (int64_t[]){784, 256, 10},
 *                             "relu", NULL, TG_INIT_HE_NORMAL, "mlp");
 *   if (!net) fprintf(stderr, "%s\n", tg_graph_error(g));
 *   tg_optim_config oc = tg_optim_defaults(TG_OPTIM_MOMENTUM);
 *   oc.lr = 0.05;
 *   tg_optim *opt = tg_optim_new(&oc, tg_layer_num_params(net),
 *                                tg_layer_params(net));
 *   // per step: x [B,784] and integer labels y [B] (see tapegrad/io.h)
 *   tg_tensor *loss = tg_cross_entropy(tg_layer_forward(net, x), y);
 *   if (tg_backward(g, loss) == TG_OK) tg_optim_step(opt);
 *   tg_optim_zero_grad(opt);
 *   tg_graph_reset(g);
 *   // at the end
 *   tg_optim_free(opt);
 *   tg_layer_free(net);
 *   tg_graph_free(g);
 */
#ifndef TAPEGRAD_NN_H
#define TAPEGRAD_NN_H

#include "tapegrad/core.h"
#include "tapegrad/ops_conv.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ----------------------------------------------------------- initializers
 *
 * Each fills a leaf's data in place (parameters or inputs, f32 or f64),
 * drawing from `r`, or from the graph's RNG when r is NULL. They return
 * TG_OK, or TG_ERR_ARG (NULL tensor, bad bounds), TG_ERR_STATE (an op
 * output, which backward may still read) or TG_ERR_SHAPE (a zero fan);
 * the message goes to the graph's sticky error. */

/* fan_in, fan_out of a weight: ndim < 2: both = numel; else for
 * [k..., in, out] fan_in = in * prod(k), fan_out = out * prod(k). */
void tg_init_fans(const tg_tensor *t, int64_t *fan_in, int64_t *fan_out);

tg_status tg_init_zeros(tg_tensor *t);                     /* w = 0        */
tg_status tg_init_constant(tg_tensor *t, double v);        /* w = v        */
/* w ~ U(lo, hi); needs finite lo <= hi. */
tg_status tg_init_uniform(tg_tensor *t, tg_rng *r, double lo, double hi);
/* w ~ N(mean, std^2); needs std >= 0. */
tg_status tg_init_normal(tg_tensor *t, tg_rng *r, double mean, double std);
/* Glorot: w ~ U(±sqrt(6 / (fan_in + fan_out))). */
tg_status tg_init_xavier_uniform(tg_tensor *t, tg_rng *r);
/* Glorot: w ~ N(0, 2 / (fan_in + fan_out)). */
tg_status tg_init_xavier_normal(tg_tensor *t, tg_rng *r);
/* He/Kaiming: w ~ N(0, 2 / fan_in) (ReLU networks). */
tg_status tg_init_he_normal(tg_tensor *t, tg_rng *r);
/* He/Kaiming: w ~ U(±sqrt(6 / fan_in)). */
tg_status tg_init_he_uniform(tg_tensor *t, tg_rng *r);
/* LeCun: w ~ N(0, 1 / fan_in) (SELU networks). */
tg_status tg_init_lecun_normal(tg_tensor *t, tg_rng *r);

/* Initializer choice for layer constructors. */
typedef enum tg_init {
    TG_INIT_DEFAULT = 0,  /* PyTorch nn.Linear: W, b ~ U(±1/sqrt(fan_in)) */
    TG_INIT_ZEROS,
    TG_INIT_XAVIER_UNIFORM,
    TG_INIT_XAVIER_NORMAL,
    TG_INIT_HE_NORMAL,
    TG_INIT_HE_UNIFORM,
    TG_INIT_LECUN_NORMAL,
    TG_INIT_ONES,         /* w = 1 (normalisation scales)                */
    TG_INIT_NORMAL,       /* w ~ N(0, 1) (PyTorch's nn.Embedding)        */
} tg_init;

/* Apply initializer `kind` to t (TG_INIT_DEFAULT: U(±1/sqrt(fan_in))).
 * Failure as above; an unknown kind is TG_ERR_ARG. */
tg_status tg_init_apply(tg_tensor *t, tg_init kind, tg_rng *r);
/* The same with the fans given, for layouts tg_init_fans does not read:
 * a convolution weight [O, C / groups, k...] has fan_in = C / groups *
 * prod(k) and fan_out = O * prod(k) (PyTorch's fans: dims 1 and 0 times
 * the receptive field). */
tg_status tg_init_apply_fans(tg_tensor *t, tg_init kind, tg_rng *r,
                             int64_t fan_in, int64_t fan_out);

/* ------------------------------------------------------------ activations */

/* An activation: a public op of one tensor (tg_relu, tg_gelu, tg_tanh…). */
typedef tg_tensor *(*tg_act_fn)(tg_tensor *x);

/* identity(x) = x (no node is recorded). */
tg_tensor *tg_identity(tg_tensor *x);

/* The op for an activation name, with PyTorch's default attributes for
 * the parameterised ones: identity/none (or NULL/""), relu, leaky_relu
 * (0.01), rrelu (1/8, 1/3), elu (1), selu, celu (1), gelu, gelu_tanh,
 * silu/swish, sigmoid, tanh, softplus (1, 20), logsigmoid, hardshrink
 * (0.5), softmax and log_softmax (last axis). NULL for an unknown name. */
tg_act_fn tg_activation(const char *name);
/* The accepted names, space-separated (static string). */
const char *tg_activation_names(void);

/* ---------------------------------------------------------------- layers
 *
 * Constructors create the layer's parameters on g (tg_param, named
 * "<name>.weight", "<name>.bias"…; a NULL name becomes "<kind>@<n>" with n
 * the graph's parameter count, unique and stable for a given build order)
 * and initialise them from the graph's RNG. They return a caller-owned
 * layer (free with tg_layer_free), or NULL with the graph's sticky error
 * set (TG_ERR_ARG for a bad size or name, TG_ERR_OOM). Composite
 * constructors take ownership of the layers passed in, also when they
 * fail; a NULL sub-layer (a constructor that failed) makes them fail, so
 * constructors nest without checks in between.
 *
 * Nesting depth (a leaf layer is 1, a composite 1 + its deepest child) is
 * at most TG_NN_MAX_DEPTH: forward passes recurse once per level, and a
 * deeper composite is refused with TG_ERR_ARG ("nesting depth 1001
 * exceeds the limit of 1000"). Deep networks chain blocks side by side
 * (a sequential of 10,000 residual blocks has depth 3). */

#define TG_NN_MAX_DEPTH 1000

typedef struct tg_layer tg_layer;

/* Embedding lookup (nn.Embedding): y = W[idx], W "<name>.weight"
 * [num, dim] (PyTorch's layout), idx an i64 tensor of any shape with
 * values in [0, num), y of shape idx.shape + [dim]. TG_INIT_DEFAULT is
 * PyTorch's N(0, 1); other initializers read fan_in = dim, fan_out = num.
 * padding_idx (negative counts from the end; TG_NN_NO_PADDING for none)
 * names a row that starts at zero and never receives a gradient, so an
 * optimizer step changes it only through weight decay. An index out of
 * range or a non-i64 index tensor fails in the forward pass with the
 * layer's name. */
#define TG_NN_NO_PADDING INT64_MIN
tg_layer *tg_nn_embedding(tg_graph *g, tg_dtype dt, int64_t num, int64_t dim,
                          int64_t padding_idx, tg_init init, const char *name);
/* y = x W + b; W [in, out] initialised by `init`, b [out] (zeros, or
 * U(±1/sqrt(in)) for TG_INIT_DEFAULT) unless bias is false. */
tg_layer *tg_nn_linear(tg_graph *g, tg_dtype dt, int64_t in, int64_t out,
                       bool bias, tg_init init, const char *name);
/* y = maxout(x W + b, k): `out` units, each the max of k linear pieces
 * (Goodfellow et al. 2013); W [in, out k], b [out k]. */
tg_layer *tg_nn_maxout(tg_graph *g, tg_dtype dt, int64_t in, int64_t out,
                       int64_t k, tg_init init, const char *name);
/* y = f(x) for an activation op; by name: see tg_activation. */
tg_layer *tg_nn_activation(tg_graph *g, tg_act_fn f);
tg_layer *tg_nn_activation_named(tg_graph *g, const char *name);
/* y = fn(x, ud): any composition of ops as a layer (no parameters of its
 * own; ud is borrowed). */
tg_layer *tg_nn_fn(tg_graph *g, tg_tensor *(*fn)(tg_tensor *x, void *ud),
                   void *ud, const char *name);
/* y = dropout(x, p) in training mode, x in eval mode (tg_set_training). */
tg_layer *tg_nn_dropout(tg_graph *g, double p);
/* y = layer_norm(x, w, b, eps) over the last dim (width dim); w = 1,
 * b = 0 initially; eps <= 0 means 1e-5. */
tg_layer *tg_nn_layernorm(tg_graph *g, tg_dtype dt, int64_t dim, double eps,
                          const char *name);
/* y = batch_norm(x, w, b, running_mean, running_var, momentum, eps) over
 * axis 1 of [N, C, ...]: batch statistics in training mode (updating the
 * running buffers), running statistics in eval mode. w = 1, b = 0,
 * running_mean = 0, running_var = 1 initially; momentum in [0, 1]
 * (PyTorch: 0.1); eps <= 0 means 1e-5. The running buffers are state
 * (saved, see tg_layer_state) but not parameters. */
tg_layer *tg_nn_batchnorm(tg_graph *g, tg_dtype dt, int64_t channels,
                          double momentum, double eps, const char *name);

/* Convolution layers (NCHW; tapegrad/ops_conv.h for the ops and the
 * options). Parameters as PyTorch's nn.Conv2d / nn.ConvTranspose2d names
 * and shapes them: conv "<name>.weight" [out, in / groups, kh, kw],
 * transposed [in, out / groups, kh, kw], "<name>.bias" [out] unless bias
 * is false. Fans as PyTorch: fan_in = weight dim 1 * kh kw (in / groups
 * for a convolution, out / groups for a transposed one), fan_out = weight
 * dim 0 * kh kw. TG_INIT_DEFAULT is PyTorch's default, W and b ~ U(±1 /
 * sqrt(fan_in)); other initializers use the fans and zero the bias. The
 * options are copied (NULL: stride 1, no padding); groups must divide in
 * and out; a negative option, "same" padding with a stride, or
 * output_padding on a (non-transposed) convolution fail here (TG_ERR_ARG),
 * the rest when the layer first sees an input. */
tg_layer *tg_nn_conv2d(tg_graph *g, tg_dtype dt, int64_t in, int64_t out,
                       int64_t kh, int64_t kw, const tg_conv_opts *o,
                       bool bias, tg_init init, const char *name);
tg_layer *tg_nn_conv1d(tg_graph *g, tg_dtype dt, int64_t in, int64_t out,
                       int64_t k, const tg_conv_opts *o, bool bias,
                       tg_init init, const char *name);
tg_layer *tg_nn_conv_transpose2d(tg_graph *g, tg_dtype dt, int64_t in,
                                 int64_t out, int64_t kh, int64_t kw,
                                 const tg_conv_opts *o, bool bias,
                                 tg_init init, const char *name);
tg_layer *tg_nn_conv_transpose1d(tg_graph *g, tg_dtype dt, int64_t in,
                                 int64_t out, int64_t k,
                                 const tg_conv_opts *o, bool bias,
                                 tg_init init, const char *name);
/* Pooling layers (no parameters; options copied, the kernel required). */
tg_layer *tg_nn_max_pool2d(tg_graph *g, const tg_pool_opts *o);
tg_layer *tg_nn_max_pool1d(tg_graph *g, const tg_pool_opts *o);
tg_layer *tg_nn_avg_pool2d(tg_graph *g, const tg_pool_opts *o);
tg_layer *tg_nn_avg_pool1d(tg_graph *g, const tg_pool_opts *o);
/* adaptive_avg_pool2d(x, out_h, out_w); (1, 1) is global average pooling.
 * The 1-D form reads out_h only. */
tg_layer *tg_nn_adaptive_avg_pool2d(tg_graph *g, int64_t out_h, int64_t out_w);
tg_layer *tg_nn_adaptive_avg_pool1d(tg_graph *g, int64_t out_len);
/* y = interpolate(x, o) (nn.Upsample): size or scale factor, nearest or
 * (bi)linear. */
tg_layer *tg_nn_upsample(tg_graph *g, const tg_interp_opts *o);
/* y = x flattened from axis 1: [N, d1, d2...] -> [N, d1 d2...]
 * (nn.Flatten's defaults). */
tg_layer *tg_nn_flatten(tg_graph *g);
/* tg_nn_batchnorm that accepts 4-D [N, C, H, W] inputs only
 * (nn.BatchNorm2d): statistics per channel over N, H and W. */
tg_layer *tg_nn_batchnorm2d(tg_graph *g, tg_dtype dt, int64_t channels,
                            double momentum, double eps, const char *name);
/* y = dropout2d(x, p) in training mode (whole channels), x in eval. */
tg_layer *tg_nn_dropout2d(tg_graph *g, double p);

/* y = layers[n-1](... layers[0](x)). Takes ownership of the n layers. */
tg_layer *tg_nn_sequential(tg_graph *g, int n, tg_layer *const *layers,
                           const char *name);
/* An MLP sizes[0] -> sizes[1] -> ... -> sizes[n-1]: n-1 linear layers
 * named "<name>.fc<i>", `hidden` after each but the last, `output` after
 * the last (NULL: none). Activations by name (tg_activation; NULL or ""
 * for none) or as functions. n >= 2. With glu, which halves the last
 * axis, the linear layer before it has 2 * sizes[i + 1] outputs, so the
 * block's output is still sizes[i + 1] wide (a gated linear unit). */
tg_layer *tg_nn_mlp(tg_graph *g, tg_dtype dt, int n, const int64_t *sizes,
                    const char *hidden, const char *output, tg_init init,
                    const char *name);
tg_layer *tg_nn_mlp_fn(tg_graph *g, tg_dtype dt, int n, const int64_t *sizes,
                       tg_act_fn hidden, tg_act_fn output, tg_init init,
                       const char *name);
/* Residual block y = x + f(x) (f must keep x's shape). Owns f. */
tg_layer *tg_nn_residual(tg_layer *f, const char *name);
/* Pre-LayerNorm block y = x + f(LN(x)); LN is a layer norm of width dim
 * named "<name>.ln" (Xiong et al. 2020). Owns f. */
tg_layer *tg_nn_preln(tg_graph *g, tg_dtype dt, int64_t dim, tg_layer *f,
                      const char *name);
/* Post-LayerNorm block y = LN(x + f(x)) (the original Transformer). */
tg_layer *tg_nn_postln(tg_graph *g, tg_dtype dt, int64_t dim, tg_layer *f,
                       const char *name);

/* Record the layer's forward pass on x's graph and return the output
 * (graph-owned). Errors propagate as the poison tensor like any op. */
tg_tensor *tg_layer_forward(tg_layer *l, tg_tensor *x);
/* Free the layer and its sub-layers; parameters stay on the graph. */
void tg_layer_free(tg_layer *l);

/* Trainable parameters of the layer and all its sub-layers, depth first
 * (a layer's own before its children's): the list to hand to an
 * optimizer. Borrowed until tg_layer_free; frozen parameters stay listed
 * (optimizers skip them). */
int tg_layer_num_params(const tg_layer *l);
tg_tensor *const *tg_layer_params(const tg_layer *l);
/* Parameters plus buffers (batch-norm running statistics): the list to
 * hand to tg_save / tg_load. Borrowed until tg_layer_free. */
int tg_layer_num_state(const tg_layer *l);
tg_tensor *const *tg_layer_state(const tg_layer *l);
/* The state tensor with this full name ("mlp.fc0.bias"), or NULL. */
tg_tensor *tg_layer_find(const tg_layer *l, const char *name);
/* Sub-layers (a sequential's or MLP's layers in order; a residual's f; a
 * pre/post-LN block's f then its layer norm). Borrowed. */
int tg_layer_num_children(const tg_layer *l);
tg_layer *tg_layer_child(const tg_layer *l, int i);
const char *tg_layer_name(const tg_layer *l); /* borrowed */
/* "linear", "conv2d", "max_pool2d", "preln"…: the constructor's name
 * without tg_nn_. */
const char *tg_layer_kind(const tg_layer *l);

/* Freeze (false) or unfreeze (true) every parameter of the layer and its
 * sub-layers: frozen parameters get no gradient, and backward skips the
 * part of the graph that only leads to them. Unfreeze in stages by
 * calling it on children. TG_ERR_ARG for NULL. */
tg_status tg_layer_set_trainable(tg_layer *l, bool on);

/* Number of scalars in the layer's parameters (with its sub-layers'):
 * every listed parameter, or only those that currently require grad
 * (PyTorch: sum(p.numel() for p in m.parameters() [if p.requires_grad])).
 * Buffers are not counted. 0 for NULL. */
int64_t tg_layer_num_elements(const tg_layer *l, bool trainable_only);
/* A listing of the layer tree: one line per layer ("name (kind)"), its own
 * tensors indented under it ("name dtype [shape] numel trainable|frozen|
 * buffer"), and a total line. Written into buf like snprintf (always
 * terminated when size > 0); returns the length the whole listing needs,
 * or 0 with tg_last_error() for a NULL layer or a NULL buf with size > 0. */
size_t tg_layer_describe(const tg_layer *l, char *buf, size_t size);

/* ------------------------------------------------- user-defined layers
 *
 * A block written by a user (its own LSTM or attention cell) becomes a
 * layer like the built-in ones: tg_layer_new makes an empty layer of the
 * user's kind, tg_layer_add_param / tg_layer_add_buffer create its tensors
 * on the graph (named "<layer name>.<what>", initialised, listed by
 * tg_layer_params / tg_layer_state, frozen by tg_layer_set_trainable,
 * counted and saved like built-in layers' parameters), and
 * tg_layer_add_child adopts sub-layers (built-in or user-defined). The
 * forward function records ops on the input's graph; tg_layer_forward and
 * composites (sequential, residual, pre-LN...) call it like any layer.
 *
 *   typedef struct { tg_tensor *w, *b; } cell;   // the user's data
 *   static tg_tensor *cell_fwd(tg_layer *self, tg_tensor *x) {
 *       cell *c = tg_layer_data(self);
 *       return tg_tanh(tg_linear(x, c->w, c->b));
 *   }
 *   cell *c = calloc(1, sizeof *c);
 *   tg_layer_def def = {.kind = "cell", .forward = cell_fwd, .data = c,
 *                       .free_data = free};
 *   tg_layer *l = tg_layer_new(g, &def, "cell");
 *   c->w = tg_layer_add_param(l, "weight", TG_F32, 2, (int64_t[]){4, 8},
 *                             TG_INIT_XAVIER_UNIFORM);
 *   c->b = tg_layer_add_param(l, "bias", TG_F32, 1, (int64_t[]){8},
 *                             TG_INIT_ZEROS);
 *
 * Registration is open until the layer becomes a child of another layer
 * (a composite constructor or tg_layer_add_child): the parent copies the
 * lists then, so later registrations are refused (TG_ERR_STATE). */

/* y = forward(self, x): one input, one output. */
typedef tg_tensor *(*tg_layer_fn)(tg_layer *self, tg_tensor *x);
/* Several inputs and outputs (a recurrent cell: x, h, c in; h, c out):
 * write out[0..n_out-1] (tensors on the inputs' graph) and return TG_OK,
 * or an error status (the graph's sticky error should say why). */
typedef tg_status (*tg_layer_fn_n)(tg_layer *self, int n_in,
                                   tg_tensor *const *in, int n_out,
                                   tg_tensor **out);

typedef struct tg_layer_def {
    const char *kind;      /* the layer's kind for tg_layer_kind (copied);
                              1 to 63 bytes, "user" when NULL            */
    tg_layer_fn forward;   /* tg_layer_forward; may be NULL if forward_n */
    tg_layer_fn_n forward_n; /* tg_layer_forward_n; may be NULL           */
    void *data;            /* the user's data: tg_layer_data(self)        */
    void (*free_data)(void *data); /* called once by tg_layer_free, or by
                              tg_layer_new when it fails; NULL: borrowed */
} tg_layer_def;

/* An empty layer of a user-defined kind on g (def is copied; a NULL name
 * becomes "<kind>@<n>" as for built-in layers). NULL with the graph's
 * error (TG_ERR_ARG: no forward function, bad kind; TG_ERR_OOM); the
 * data is then freed through free_data. */
tg_layer *tg_layer_new(tg_graph *g, const tg_layer_def *def, const char *name);
/* A trainable parameter "<layer name>.<what>" of the given dtype (f32 or
 * f64) and shape, initialised by `init` from the graph's RNG (fans as
 * tg_init_fans: a weight is [in, out] as tg_linear wants it). It persists
 * on the graph like any tg_param; the layer lists it after those
 * registered before it and before its children's. NULL with the graph's
 * error: a NULL or user-less layer (TG_ERR_ARG: only tg_layer_new's
 * layers take registrations), an empty or duplicate name (TG_ERR_ARG), a
 * layer that already has a parent (TG_ERR_STATE), a bad shape or dtype. */
tg_tensor *tg_layer_add_param(tg_layer *l, const char *what, tg_dtype dt,
                              int ndim, const int64_t *shape, tg_init init);
/* A buffer "<layer name>.<what>": state that is saved and loaded but gets
 * no gradient and no optimizer update (running statistics, a step count).
 * Failure as tg_layer_add_param. */
tg_tensor *tg_layer_add_buffer(tg_layer *l, const char *what, tg_dtype dt,
                               int ndim, const int64_t *shape, tg_init init);
/* Adopt `child` as the next sub-layer of l (tg_layer_child order; its
 * parameters follow l's own in the lists). l takes ownership of child,
 * also when this fails (the child is then freed). TG_ERR_ARG: NULL, a
 * layer on another graph, a built-in l, a child that already has a
 * parent, a tensor name the layer already holds, the depth limit;
 * TG_ERR_STATE: l itself has a parent. */
tg_status tg_layer_add_child(tg_layer *l, tg_layer *child);
/* The data given to tg_layer_new (NULL for built-in layers). */
void *tg_layer_data(const tg_layer *l);
/* The graph the layer's parameters live on (NULL for NULL). */
tg_graph *tg_layer_graph(const tg_layer *l);
/* Forward with several inputs and outputs: a user layer's forward_n, or
 * forward (and every built-in layer) when n_in = n_out = 1. Outputs are
 * graph-owned; on failure every out[i] is the poison tensor (or NULL when
 * there is no graph to take it from) and the status is returned
 * (TG_ERR_ARG for NULL arguments or counts the layer does not take). */
tg_status tg_layer_forward_n(tg_layer *l, int n_in, tg_tensor *const *in,
                             int n_out, tg_tensor **out);

/* ------------------------------------------------------- losses, metrics
 *
 * The losses are ops (tapegrad/ops_loss.h): tg_mse, tg_cross_entropy,
 * tg_nll, tg_bce_with_logits, and tg_l2_penalty(ws, n, lambda) =
 * lambda/2 sum ||w||^2 over any chosen tensors. */

/* lambda/2 sum ||W||^2 over the layer's trainable matrices (parameters
 * with 2 or more dims: weights, not biases or norm scales), 0-d on the
 * layer's graph; add it to the loss. NULL for a NULL layer. */
tg_tensor *tg_nn_weight_decay(const tg_layer *l, double lambda);

/* Fraction of rows whose arg max over the last axis of logits equals the
 * label (class indices as values, one per row); the first maximum wins
 * ties. A plain computation, no node. NaN when the shapes disagree. */
double tg_accuracy(const tg_tensor *logits, const tg_tensor *labels);

/* ------------------------------------------------------------- optimizers
 *
 * An optimizer updates a fixed list of parameters from their ->grad
 * buffers. State (momentum, moments) is allocated once, in tg_optim_new;
 * tg_optim_step allocates nothing and records no graph nodes. A step
 * leaves alone (no decay, no momentum, no moment update, no step count)
 * every parameter that is frozen (requires_grad off) or received no
 * gradient since its gradient was last zeroed (tg_tensor_has_grad false:
 * PyTorch's grad = None; a parameter starts that way). Gradients are not
 * cleared by a step: call tg_optim_zero_grad (or tg_zero_grad) before the
 * next backward, as in PyTorch. Parameters come in groups, each with its
 * own learning rate and weight decay (tg_optim_add_group); the other
 * settings are shared.
 *
 * Clearing to none (cfg.set_to_none, PyTorch's zero_grad(set_to_none=
 * True)): tg_optim_zero_grad and tg_optim_step_zero_grad then store no
 * zeros. Each parameter's gradient becomes absent: ->grad reads NULL and
 * tg_tensor_has_grad is false until the next tg_backward that reaches the
 * parameter, which gives ->grad its buffer back (the same memory: nothing
 * is allocated or freed) holding exactly that pass's gradient. Parameters
 * the pass does not reach, or all of them when it fails, stay absent.
 * Steps and clipping skip absent gradients; tg_zero_grad and
 * tg_tensor_zero_grad give the buffer back as zeros. Training gives the
 * same results bit for bit as with zeros stored; the difference is one
 * pass of stores over every gradient per step (docs/nn.md). */

typedef enum tg_optim_kind {
    TG_OPTIM_SGD = 0,  /* w -= lr g                                        */
    TG_OPTIM_MOMENTUM, /* m = beta m - lr g; w += m                        */
    TG_OPTIM_NESTEROV, /* m = beta m - lr g; w += beta m - lr g            */
    TG_OPTIM_ADAM,     /* bias-corrected moments, w -= lr m^/(sqrt(v^)+eps) */
    TG_OPTIM_ADAMW,    /* w -= lr wd w, then ADAM (decoupled decay)        */
    TG_OPTIM_RMSPROP,  /* v = a v + (1-a) g^2; w -= lr g / (sqrt(v) + eps) */
} tg_optim_kind;

typedef struct tg_optim_config {
    tg_optim_kind kind;
    double lr;           /* learning rate, >= 0                            */
    double momentum;     /* MOMENTUM, NESTEROV: beta; RMSPROP: 0 = none    */
    double beta1, beta2; /* ADAM, ADAMW: moment decay rates in [0, 1)      */
    double alpha;        /* RMSPROP: square-average decay in [0, 1)        */
    double eps;          /* ADAM, ADAMW, RMSPROP: > 0, outside the sqrt    */
    double weight_decay; /* L2: g += wd w before the rule; ADAMW: decoupled */
    bool set_to_none;    /* zero_grad makes gradients absent (->grad NULL)
                          * instead of storing zeros; default false        */
} tg_optim_config;

typedef struct tg_optim tg_optim;

/* torch.optim's defaults for `kind` (lr 0.01; ADAM/ADAMW lr 1e-3, betas
 * 0.9/0.999, eps 1e-8; ADAMW weight_decay 0.01; RMSPROP alpha 0.99;
 * MOMENTUM/NESTEROV momentum 0.9). */
tg_optim_config tg_optim_defaults(tg_optim_kind kind);
/* Static name of a kind ("adam"); "unknown" when out of range. */
const char *tg_optim_kind_name(tg_optim_kind kind);

/* An optimizer over params[0..n-1] (parameters from tg_param; the list is
 * copied, each entry at most once). Returns a caller-owned optimizer (free
 * with tg_optim_free; it may outlive the graph but must not be stepped
 * after it), or NULL with tg_last_error() on a bad config (TG_ERR_ARG
 * naming the field), a non-parameter entry, or allocation failure. */
tg_optim *tg_optim_new(const tg_optim_config *cfg, int n,
                       tg_tensor *const *params);
void tg_optim_free(tg_optim *o); /* NULL is a no-op */

/* One update of every trainable parameter that has a gradient
 * (tg_tensor_has_grad) from its ->grad. Returns TG_OK (TG_ERR_ARG for a
 * NULL optimizer). Adam and AdamW correct their bias with each
 * parameter's own update count, as torch.optim does. */
tg_status tg_optim_step(tg_optim *o);
/* Zero the gradients of this optimizer's parameters (frozen ones too), or
 * with cfg.set_to_none make them absent (->grad NULL, nothing stored). */
void tg_optim_zero_grad(tg_optim *o);
/* tg_optim_step then tg_optim_zero_grad, in one pass over memory: each
 * gradient is zeroed as the update reads it (frozen parameters' too), so
 * the results are those of the two calls, bit for bit. For the usual loop
 * (backward, step, zero_grad); at batch 1 the separate zeroing pass was
 * about a tenth of an MLP step. With cfg.set_to_none: the step, then every
 * gradient absent, with no stores over the gradients at all. Returns as
 * tg_optim_step does. */
tg_status tg_optim_step_zero_grad(tg_optim *o);
/* The learning rate used by the next step: set gives it to every group
 * (ignoring lr < 0 or NaN), get reads group 0's. */
void tg_optim_set_lr(tg_optim *o, double lr);
double tg_optim_get_lr(const tg_optim *o);

/* A parameter group's own settings (torch.optim's param_groups). */
typedef struct tg_optim_group {
    double lr;           /* >= 0, finite */
    double weight_decay; /* >= 0, finite; the kind decides how it applies */
} tg_optim_group;

/* Add params[0..n-1] to the optimizer as a new group (state allocated
 * now, each parameter's update count starting at 0) with `settings`, or
 * group 0's settings when NULL; torch's add_param_group. Group 0 holds the
 * parameters given to tg_optim_new, with its lr and weight_decay. Returns
 * the new group's index, or -1 with tg_last_error() (TG_ERR_ARG: NULL
 * optimizer, a non-parameter, a parameter listed twice or already in the
 * optimizer, bad settings; TG_ERR_OOM, the optimizer then unchanged). */
int tg_optim_add_group(tg_optim *o, int n, tg_tensor *const *params,
                       const tg_optim_group *settings);
int tg_optim_num_groups(const tg_optim *o); /* 0 for NULL */
/* A group's settings; {NaN, NaN} and tg_last_error() for a bad group. */
tg_optim_group tg_optim_get_group(const tg_optim *o, int group);
/* Change a group's settings (a schedule per group). TG_ERR_ARG for a bad
 * group or settings. */
tg_status tg_optim_set_group(tg_optim *o, int group,
                             const tg_optim_group *settings);
/* The group holding parameter p, or -1. */
int tg_optim_param_group(const tg_optim *o, const tg_tensor *p);
/* Steps taken so far (Adam's t for bias correction); restored by load. */
int64_t tg_optim_steps(const tg_optim *o);
tg_optim_config tg_optim_get_config(const tg_optim *o);

/* Clip gradients by global norm (torch.nn.utils.clip_grad_norm_): with
 * N = sqrt(sum of squares of every trainable parameter's grad), multiply
 * all of them by max_norm / (N + 1e-6) when that is below 1. Writes N
 * (before clipping) to *total_norm when non-NULL. A parameter whose
 * gradient is absent (cleared to none) is skipped, as torch skips None.
 * TG_ERR_ARG for max_norm <= 0 or an entry without a gradient buffer
 * that is not such a parameter (tg_last_error). */
tg_status tg_clip_grad_norm(int n, tg_tensor *const *params, double max_norm,
                            double *total_norm);
/* Clip gradients by value (torch.nn.utils.clip_grad_value_): every
 * gradient element of each trainable parameter clamped to [-clip, clip]
 * (NaN stays NaN); gradients known to be zero and absent ones are left
 * alone. For a layer: tg_clip_grad_value(tg_layer_num_params(l),
 * tg_layer_params(l), clip). TG_ERR_ARG for clip < 0 or NaN or an entry
 * without a gradient buffer that is not a parameter cleared to none
 * (tg_last_error). */
tg_status tg_clip_grad_value(int n, tg_tensor *const *params, double clip);

/* ----------------------------------------------- learning-rate schedules */

typedef enum tg_lr_kind {
    TG_LR_CONSTANT = 0, /* base_lr                                         */
    TG_LR_STEP,         /* base_lr * gamma^floor(t / step_size)            */
    TG_LR_COSINE,       /* min + (base - min) (1 + cos(pi t / T)) / 2      */
} tg_lr_kind;

/* A schedule is plain data. `warmup` steps ramp linearly to base_lr
 * (step k < warmup uses base_lr (k+1)/warmup); the decay then runs with
 * t = step - warmup; for COSINE, T = total - warmup and lr stays min_lr
 * from step `total` on. */
typedef struct tg_lr_schedule {
    tg_lr_kind kind;
    double base_lr;
    int64_t warmup;    /* 0: none                                          */
    int64_t step_size; /* STEP: steps per decay (<= 0: no decay)           */
    double gamma;      /* STEP: decay factor                               */
    int64_t total;     /* COSINE: step at which min_lr is reached          */
    double min_lr;     /* COSINE: floor                                    */
} tg_lr_schedule;

/* Learning rate at 0-based `step` (use with tg_optim_set_lr before each
 * step). NaN for a NULL schedule or step < 0. */
double tg_lr_at(const tg_lr_schedule *s, int64_t step);

#ifdef __cplusplus
}
#endif
#endif
