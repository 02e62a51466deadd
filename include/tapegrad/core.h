/* tapegrad/core.h — tensors, the graph (tape), leaves, backward, modes, errors.
 *
 * Included by <tapegrad/tapegrad.h>; see that header for the overview and a
 * worked example. Ownership rules used throughout:
 *   - "graph-owned": lives in the graph's arena until tg_graph_reset or
 *     tg_graph_free, whichever comes first. Never free it yourself.
 *   - "persistent": lives until tg_graph_free (parameters and their grads).
 *   - "caller-owned": yours; the function that frees it is named.
 *
 * Threads: separate graphs may be used from separate threads at the same
 * time (each with its own RNG, arena and error). One graph, its tensors,
 * parameters and optimizer must be used by one thread at a time: nothing
 * inside a graph is locked. Process-wide and safe to read from any thread:
 * the allocation counter (atomic), tg_last_error (per thread), the CPU
 * feature cache. Process-wide and NOT to be changed while other threads
 * run tapegrad: the allocation hook (tg_set_allocator). tg_set_num_threads
 * applies to every thread. docs/reliability.md has the details.
 */
#ifndef TAPEGRAD_CORE_H
#define TAPEGRAD_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- basics */

#define TG_MAX_DIMS 8 /* tensors have 0..TG_MAX_DIMS dimensions */

/* Element types. f32 and f64 carry values and gradients; i64 (indices,
 * labels, counts) and bool (masks, comparison results) never require grad.
 * An op that computes with floats rejects i64 and bool inputs with a hint
 * to tg_cast them; the ops that take indices (index_select, gather,
 * scatter_add, index_add, cross_entropy, nll, embedding) take i64, the
 * comparisons and logical ops produce and take bool, and tg_cast converts
 * between any two dtypes. docs/ops-array.md has the rules. */
typedef enum tg_dtype {
    TG_F32 = 0,
    TG_F64 = 1,
    TG_I64 = 2,  /* int64_t                                 */
    TG_BOOL = 3, /* bool (one byte, 0 or 1)                  */
} tg_dtype;
#define TG_DTYPE_COUNT 4

/* Bytes per element (0 for a value that is no dtype). */
size_t tg_dtype_size(tg_dtype dt);
/* "f32", "f64", "i64", "bool" ("?" for a value that is no dtype). */
const char *tg_dtype_name(tg_dtype dt);
/* f32 or f64: the dtypes that hold gradients. */
bool tg_dtype_is_float(tg_dtype dt);

/* Status codes returned at the API boundary. tg_status_str names each. */
typedef enum tg_status {
    TG_OK = 0,
    TG_ERR_SHAPE,   /* shapes do not fit the op (broadcast, matmul, axis)   */
    TG_ERR_ARG,     /* bad argument or attribute (NULL, p outside [0,1), …) */
    TG_ERR_DTYPE,   /* dtypes mixed or not accepted by the op               */
    TG_ERR_OOM,     /* the allocation hook returned NULL                    */
    TG_ERR_STATE,   /* wrong call for the graph's state (stale tensor, …)  */
    TG_ERR_NUMERIC, /* anomaly mode found NaN or Inf                        */
    TG_ERR_IO,      /* a file could not be opened, read or written          */
    TG_ERR_FORMAT,  /* a file or expression is malformed                    */
    TG_ERR_COMM,    /* another process failed or did not answer in time     */
    TG_STATUS_COUNT
} tg_status;

/* Static string naming a status ("TG_ERR_SHAPE"). Never NULL. */
const char *tg_status_str(tg_status s);

typedef struct tg_graph tg_graph;
typedef struct tg_node tg_node;
typedef struct tg_tensor tg_tensor;

/* A tensor: n-d, contiguous, row-major. The public fields are read-only;
 * write element values through `data` only for leaves you own (inputs,
 * parameters), never for op outputs that backward may still need. */
struct tg_tensor {
    tg_dtype dtype;
    int ndim;                    /* 0 for a scalar                          */
    int64_t shape[TG_MAX_DIMS];  /* shape[0..ndim-1]                         */
    int64_t numel;               /* product of shape (1 for a scalar)        */
    void *data;                  /* numel elements of dtype, 64-byte aligned */
    tg_tensor *grad;             /* leaves: accumulated gradient or NULL     */
    const char *name;            /* optional label (DOT, errors); may be NULL */

    /* engine-private below: do not touch */
    tg_graph *graph;
    tg_node *node;      /* the op that produced it; NULL for a leaf          */
    uint32_t flags;
    uint32_t epoch;     /* graph epoch at creation (stale-use detection)      */
    uint32_t bw_stamp;  /* backward pass id that owns the fields below        */
    uint32_t bw_flags;
    tg_tensor *bw_acc;  /* gradient being accumulated during backward        */
    tg_tensor *grad_kept; /* parameters: the gradient buffer while the
                           * gradient is absent (->grad NULL after a
                           * set_to_none clear); backward puts it back     */
};

/* ------------------------------------------------------ allocation hook */

/* Every byte tapegrad allocates goes through this hook (process-wide).
 * alloc(size, align, ud) returns memory aligned to `align` (a power of two,
 * at most 4096) or NULL; release(p, ud) frees it. Passing NULLs restores the
 * default (aligned_alloc/free). Set it before creating graphs; changing it
 * while memory from the old hook is alive is an error of the caller. */
typedef void *(*tg_alloc_fn)(size_t size, size_t align, void *ud);
typedef void (*tg_free_fn)(void *p, void *ud);
void tg_set_allocator(tg_alloc_fn alloc, tg_free_fn release, void *ud);

/* Number of successful allocations made through the hook so far
 * (process-wide, monotonic). Tests use it to prove a steady loop mallocs
 * nothing. */
uint64_t tg_alloc_count(void);

/* ------------------------------------------------------------- the graph */

/* Create an empty graph. Returns caller-owned graph (free with
 * tg_graph_free) or NULL on allocation failure (tg_last_error() says why).
 * Grad mode starts on, training mode on, anomaly mode off, RNG seeded 0. */
tg_graph *tg_graph_new(void);

/* Free the graph, its arena, its parameters and everything borrowed from
 * it. NULL is a no-op. */
void tg_graph_free(tg_graph *g);

/* Drop every per-step tensor and node in O(1); keep parameters, their
 * gradients, modes and the RNG state. Clears the sticky error. Memory is
 * kept and reused, so a steady training loop does no allocation after its
 * first step. Tensors from before the reset are stale: every function
 * that takes a tensor (ops, tg_item, tg_get, tg_f32/tg_f64, tg_shape_str,
 * backward, initializers, save/load…) answers one with TG_ERR_STATE (and
 * NULL, NaN or a poison tensor), whatever the arena did with its data.
 * Tensor headers are kept apart and handed out again in rotation, never
 * to the step right after their own: a tensor of the previous step is
 * always caught, an older one until its header comes round again (the
 * rotation holds at least 512 headers and two steps' worth). Reading the
 * public fields directly cannot be checked. */
void tg_graph_reset(tg_graph *g);

/* The sticky error: NULL when the graph is healthy, else a message naming
 * the first failing op, its shapes and a hint. Borrowed until the next
 * reset. */
const char *tg_graph_error(const tg_graph *g);
tg_status tg_graph_status(const tg_graph *g);

/* Last error message of the calling thread for functions that have no graph
 * to hold it (tg_graph_new, file loaders…). Never NULL ("" when none). */
const char *tg_last_error(void);

/* Number of nodes recorded since the last reset. */
int64_t tg_graph_num_nodes(const tg_graph *g);

/* Memory budget of the graph's per-step memory (its arena: op outputs,
 * saved values, nodes, tensor headers; parameters are not counted). The
 * arena keeps its memory across resets, so this bounds what one step
 * needs; a loop that never calls tg_graph_reset grows until an op fails
 * with TG_ERR_OOM and a message naming the budget and the likely cause.
 * Default: half the physical memory (at least 1 GiB; 8 GiB where the
 * system does not say); none (INT64_MAX) for a graph created while an
 * allocation hook of the caller's is installed (tg_set_allocator): the
 * hook is the memory policy then. bytes = 0 restores the default;
 * negative is
 * TG_ERR_ARG. A lower budget than the memory held already takes effect
 * for the next growth. tg_graph_memory_used: bytes the arena holds. */
tg_status tg_graph_set_memory_limit(tg_graph *g, int64_t bytes);
int64_t tg_graph_memory_limit(const tg_graph *g);
int64_t tg_graph_memory_used(const tg_graph *g);

/* ----------------------------------------------------------------- modes */

/* Grad mode (default on). Off: ops compute but record nothing and their
 * outputs do not require grad (like torch.no_grad). Returns previous. */
bool tg_set_grad_enabled(tg_graph *g, bool on);
bool tg_is_grad_enabled(const tg_graph *g);

/* Training mode (default on): dropout, batch norm and rrelu read it. */
bool tg_set_training(tg_graph *g, bool on);
bool tg_is_training(const tg_graph *g);

/* Anomaly mode (default off): every op checks its output and every VJP its
 * gradients for NaN/Inf; the first offender becomes the graph error. */
bool tg_set_anomaly(tg_graph *g, bool on);

/* Threads used by kernels (OpenMP) and CBLAS; n <= 0 means all cores.
 * Process-wide: every thread picks the new count up at its next op (a
 * kernel already running keeps its team). Without a call, OMP_NUM_THREADS
 * and OPENBLAS_NUM_THREADS decide. */
void tg_set_num_threads(int n);
int tg_get_num_threads(void);

/* ---------------------------------------------------------------- leaves */

/* A per-step input: a graph-owned leaf holding a copy of `data` (numel
 * elements of dtype, row-major), or zeros when data is NULL. Does not
 * require grad unless tg_set_requires_grad is called. On failure returns
 * the graph's poison tensor and sets the sticky error. */
tg_tensor *tg_input(tg_graph *g, tg_dtype dt, int ndim, const int64_t *shape,
                    const void *data);

/* Like tg_input; reads as a constant in DOT pictures. */
tg_tensor *tg_constant(tg_graph *g, tg_dtype dt, int ndim,
                       const int64_t *shape, const void *data);

/* 0-d constant with value v. */
tg_tensor *tg_scalar(tg_graph *g, tg_dtype dt, double v);

/* Tensor of shape filled with v (graph-owned constant); i64 takes v
 * truncated toward zero (NaN 0, saturating), bool v != 0. */
tg_tensor *tg_full(tg_graph *g, tg_dtype dt, int ndim, const int64_t *shape,
                   double v);

/* A parameter: persistent leaf (survives tg_graph_reset) initialised to
 * zeros, with a persistent zeroed gradient buffer in ->grad. requires_grad
 * is on, so the dtype is f32 or f64 (TG_ERR_DTYPE otherwise). `name` is copied (may be NULL). Returns NULL and sets the sticky
 * error on failure. */
tg_tensor *tg_param(tg_graph *g, tg_dtype dt, int ndim, const int64_t *shape,
                    const char *name);

/* Parameters of the graph in creation order. Borrowed. */
int tg_graph_num_params(const tg_graph *g);
tg_tensor *tg_graph_param(const tg_graph *g, int i);

/* Freeze (false) or unfreeze (true) a leaf. Op outputs derive requires_grad
 * from their inputs; calling this on one is TG_ERR_STATE. An i64 or bool
 * tensor cannot require grad (TG_ERR_DTYPE for on = true). */
tg_status tg_set_requires_grad(tg_tensor *t, bool on);
bool tg_requires_grad(const tg_tensor *t);

/* A leaf sharing x's values (no copy) that does not require grad. */
tg_tensor *tg_detach(tg_tensor *x);

/* ------------------------------------------------------------- backward */

/* Backpropagate from a 0-d `loss`: seeds 1, accumulates d(loss)/d(leaf)
 * into ->grad of every leaf that requires grad (parameters: their
 * persistent buffer; inputs: a graph-owned buffer). Gradients accumulate
 * across calls until tg_zero_grad. A parameter whose gradient is absent
 * (->grad NULL, cleared to none) gets its buffer back holding this pass's
 * gradient; on failure it stays absent. Returns TG_OK or the error (which
 * also becomes the sticky error). */
tg_status tg_backward(tg_graph *g, tg_tensor *loss);

/* Like tg_backward for any output, with an explicit seed of out's shape. */
tg_status tg_backward_seed(tg_graph *g, tg_tensor *out, tg_tensor *seed);

/* Gradients of sum_k <seeds[k], outputs[k]> with respect to inputs[i],
 * returned in grads[i] (graph-owned), like torch.autograd.grad. seeds may
 * be NULL when every output is 0-d (seed 1). Leaves' ->grad are untouched.
 * An input the outputs do not depend on gets a zero tensor. With
 * create_graph the backward pass is recorded, so grads[i] can themselves be
 * differentiated (grad of grad, Hessian-vector products). */
tg_status tg_grad(tg_graph *g, tg_tensor *const *outputs, int n_out,
                  tg_tensor *const *seeds, tg_tensor *const *inputs, int n_in,
                  bool create_graph, tg_tensor **grads);

/* Zero every parameter's gradient (graph-wide), or one tensor's. The
 * gradient then reads as zeros, and the next tg_backward writes it (the
 * first contribution goes straight into ->grad) instead of adding to it.
 * So values written into ->grad->data by hand between a zero_grad and the
 * next tg_backward are replaced by the gradient, not added to, for every
 * leaf that backward reaches; write them after the backward instead.
 * ->grad is written while a backward pass runs: do not use a gradient
 * buffer as an operand of the graph being differentiated. A parameter
 * whose gradient is absent (->grad NULL: cleared to none by an optimizer
 * with set_to_none, tapegrad/nn.h) gets its buffer back, zeroed. */
void tg_zero_grad(tg_graph *g);
void tg_tensor_zero_grad(tg_tensor *t);
/* Whether t's ->grad holds a gradient: something was delivered into it by
 * tg_backward (or declared with tg_tensor_grad_written) since the
 * parameter was created or its gradient last zeroed. PyTorch's
 * `p.grad is not None`; optimizers update only such parameters. false
 * for NULL, a tensor without ->grad (an absent gradient too), a stale
 * tensor. */
bool tg_tensor_has_grad(const tg_tensor *t);
/* Declare that ->grad was written by hand (gradients from tg_grad, from
 * another process...): it now holds a gradient (tg_tensor_has_grad), so
 * an optimizer step updates t and the next tg_backward adds to it.
 * TG_ERR_ARG for NULL or a tensor without ->grad (an absent gradient:
 * tg_tensor_zero_grad first); TG_ERR_STATE for a stale one. */
tg_status tg_tensor_grad_written(tg_tensor *t);

/* Gradient-ready hook (for overlapping work with the backward pass, as
 * data-parallel training does with its gradient exchange; see
 * tapegrad/dist.h). While tg_backward or tg_backward_seed walks the graph,
 * fn(leaf, grad, ud) is called once for each leaf that receives a
 * gradient, as soon as that gradient is final: right after the VJP of the
 * last node that contributes to it. `grad` is this pass's contribution,
 * of the leaf's shape and dtype: borrowed, read-only, valid until
 * tg_graph_reset. ->grad itself is only written when the whole pass has
 * succeeded (it then holds what it held plus `grad`); a pass that fails
 * after some calls delivers nothing. For a given graph the calls come in
 * the same order every time (the reverse of the forward order for a chain
 * of layers). tg_grad does not call it. fn must not record ops on g; fn =
 * NULL removes the hook. One hook per graph: setting replaces. */
typedef void (*tg_grad_ready_fn)(tg_tensor *leaf, const tg_tensor *grad,
                                 void *ud);
void tg_set_grad_ready_hook(tg_graph *g, tg_grad_ready_fn fn, void *ud);

/* ------------------------------------------------------- tensor helpers */

/* Typed views of data (NULL when the dtype differs). */
float *tg_f32(const tg_tensor *t);
double *tg_f64(const tg_tensor *t);
int64_t *tg_i64(const tg_tensor *t);
bool *tg_bool(const tg_tensor *t);

/* Element i (flat, row-major) as double, of any dtype (an i64 beyond 2^53
 * rounds; bool reads 0 or 1); 0-d: i = 0. NaN if out of range. */
double tg_get(const tg_tensor *t, int64_t i);
/* Scalar value of a 1-element tensor (NaN otherwise). */
double tg_item(const tg_tensor *t);

/* Writes "[4,3]" (or "[]") into buf; returns buf. */
char *tg_shape_str(const tg_tensor *t, char *buf, size_t size);

/* Convenience: TG_SHAPE(4,3) expands to `2, (int64_t[]){4,3}`, the ndim and
 * shape arguments of the leaf constructors. Use `0, NULL` for a scalar. */
#define TG_SHAPE(...)                                                  \
    (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)),         \
        (int64_t[]) { __VA_ARGS__ }

/* ------------------------------------------------------------------- RNG */

/* xoshiro256** seeded through splitmix64: same seed, same stream, on every
 * machine. The graph owns one (tg_graph_rng); you may keep your own. A
 * NULL generator sets tg_last_error (TG_ERR_ARG): seeding does nothing,
 * tg_rng_next returns 0, uniform and normal NaN. */
typedef struct tg_rng { uint64_t s[4]; } tg_rng;
void tg_rng_seed(tg_rng *r, uint64_t seed);
uint64_t tg_rng_next(tg_rng *r);
double tg_rng_uniform(tg_rng *r);               /* [0, 1), 53 bits        */
double tg_rng_normal(tg_rng *r);                /* N(0,1), Box-Muller     */
tg_rng *tg_graph_rng(tg_graph *g);              /* borrowed               */

#ifdef __cplusplus
}
#endif
#endif
