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
} tg_init;

/* Apply initializer `kind` to t (TG_INIT_DEFAULT: U(±1/sqrt(fan_in))).
 * Failure as above; an unknown kind is TG_ERR_ARG. */
tg_status tg_init_apply(tg_tensor *t, tg_init kind, tg_rng *r);

/* ------------------------------------------------------------- optimizers
 *
 * An optimizer updates a fixed list of parameters from their ->grad
 * buffers. State (momentum, moments) is allocated once, in tg_optim_new;
 * tg_optim_step allocates nothing and records no graph nodes. Parameters
 * whose requires_grad is off (frozen) are skipped: no decay, no momentum.
 * Gradients are not cleared by a step: call tg_optim_zero_grad (or
 * tg_zero_grad) before the next backward, as in PyTorch. */

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

/* One update of every trainable parameter from its ->grad. Returns TG_OK
 * (TG_ERR_ARG for a NULL optimizer). */
tg_status tg_optim_step(tg_optim *o);
/* Zero the gradients of this optimizer's parameters. */
void tg_optim_zero_grad(tg_optim *o);
/* The learning rate used by the next step; set ignores lr < 0 or NaN. */
void tg_optim_set_lr(tg_optim *o, double lr);
double tg_optim_get_lr(const tg_optim *o);
/* Steps taken so far (Adam's t for bias correction); restored by load. */
int64_t tg_optim_steps(const tg_optim *o);
tg_optim_config tg_optim_get_config(const tg_optim *o);

/* Clip gradients by global norm (torch.nn.utils.clip_grad_norm_): with
 * N = sqrt(sum of squares of every trainable parameter's grad), multiply
 * all of them by max_norm / (N + 1e-6) when that is below 1. Writes N
 * (before clipping) to *total_norm when non-NULL. TG_ERR_ARG for
 * max_norm <= 0 or an entry without a gradient buffer (tg_last_error). */
tg_status tg_clip_grad_norm(int n, tg_tensor *const *params, double max_norm,
                            double *total_norm);

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
