/* Engine-private declarations shared by src/ and ops/. Not installed. */
#ifndef TAPEGRAD_INTERNAL_H
#define TAPEGRAD_INTERNAL_H

#include "tapegrad/tapegrad.h"
#include "util.h"

#include <assert.h>
#include <omp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <string.h>

#define TG_ALIGN 64
#define TG_ERRMSG_SIZE 1024

/* ---------------------------------------------------------------- memory */


typedef struct tg__arena_chunk {
    struct tg__arena_chunk *next;
    size_t cap, used;
    unsigned char *mem; /* TG_ALIGN-aligned, cap bytes */
} tg__arena_chunk;

/* Tensor headers of per-step tensors live apart from the chunks, in a
 * ring of segments that tg_graph_reset does not rewind: a header is
 * handed out again only when the cursor comes round to it, and only if it
 * was made two or more resets ago. So a tensor from before a reset keeps
 * its header (and its epoch) at least through the next step, and any
 * stale tensor's header is a header, never element data: the epoch check
 * in every public function is reliable whatever the arena did with the
 * data. The ring grows (at a reset, or when it runs into headers of this
 * or the previous step) to at least twice a step's headers and
 * TG_HDR_MIN slots. */
typedef struct tg_hdr_seg {
    struct tg_hdr_seg *next; /* circular                                  */
    tg_tensor *hw;           /* slots below hw have been handed out once  */
    tg_tensor *end;
    tg_tensor slot[];
} tg_hdr_seg;

#define TG_HDR_MIN 512

/* Bump allocator of chained chunks. Reset rewinds to the first chunk; chunks
 * are reused in order, so a step that repeats the previous step's sequence
 * of allocations never calls the hook. Chunks and header segments count
 * against `limit` (the graph's memory budget). */
typedef struct tg_arena {
    tg__arena_chunk *head, *cur;
    tg_hdr_seg *hseg;   /* segment of the ring holding the cursor         */
    tg_tensor *hpos;    /* the cursor: next slot to hand out              */
    int64_t h_slots;    /* slots in the ring                              */
    int64_t h_used;     /* headers handed out since the last reset        */
    size_t held;        /* bytes of chunks and segments                   */
    size_t limit;       /* the budget for `held`                          */
    bool over;          /* an allocation was refused by the budget        */
    size_t over_req;    /* the size of that request                       */
} tg_arena;

void *tg__arena_alloc(tg_arena *a, size_t size); /* TG_ALIGN-aligned or NULL */
void tg__arena_reset(tg_arena *a);
void tg__arena_free(tg_arena *a);
tg_tensor *tg__hdr_alloc_slow(tg_arena *a, uint32_t epoch);

/* A tensor header from the ring (contents undefined) or NULL. */
static inline __attribute__((always_inline)) tg_tensor *
tg__hdr_alloc(tg_arena *a, uint32_t epoch)
{
    tg_hdr_seg *s = a->hseg;
    tg_tensor *p = a->hpos;
    if (s && p < s->end) {
        if (p >= s->hw) s->hw = p + 1;
        else if ((uint32_t)(epoch - p->epoch) < 2) return tg__hdr_alloc_slow(a, epoch);
        a->hpos = p + 1;
        a->h_used++;
        return p;
    }
    return tg__hdr_alloc_slow(a, epoch);
}

/* ------------------------------------------------------------------ ops */

/* A node of the tape. The fields the backward pass walks come first, in
 * one cache line; the attributes, read by few ops, last. Outside the
 * engine (user ops, the command line) a node is read through the
 * accessors of tapegrad/op.h. */
struct tg_node {
    const tg_op *op;       /* its descriptor                             */
    int n_in;
    bool builtin;          /* recorded through tg_ops[] (tg__apply*), so
                              its VJP is the library's (a copy of a
                              built-in descriptor, applied with tg_apply,
                              is not)                                    */
    tg_tensor **in;        /* n_in inputs (arena)                        */
    tg_tensor *out;
    tg_node *prev;         /* previous node on the tape                  */
    uint32_t mark;         /* backward pass id: visited                  */
    uint32_t need;         /* backward pass id: leads to a wanted grad   */
    int64_t seq;           /* recording order, 0-based since last reset  */
    void *ctx;             /* op-specific saved values (named struct);
                              user ops: the tg_node_save_new list        */
    tg_attrs attr;
};

/* A built-in op's descriptor: `tg_op_<id>`, named "id", its error messages
 * prefixed "tg_" (the C function's name). Listed in ops/ops.def. */
#define TG_BUILTIN_OP(id, ...)                                             \
    const tg_op tg_op_##id = {.name = #id, .prefix = "tg_", __VA_ARGS__}

/* max_inputs of ops taking a list of tensors (concat, l2_penalty). */
#define TG_OP_MANY (1 << 20)

#define TG_OP(name, file) TG_OP_##name,
#define TG_ACT(name, file) TG_OP_##name,
typedef enum tg_op_id {
#include "ops/ops.def"
    TG_OP_COUNT
} tg_op_id;
#undef TG_OP
#undef TG_ACT

#define TG_OP(name, file) extern const tg_op tg_op_##name;
#define TG_ACT(name, file) extern const tg_op tg_op_##name;
#include "ops/ops.def"
#undef TG_OP
#undef TG_ACT

extern const tg_op *const tg_ops[TG_OP_COUNT];

/* Registered user ops (src/op.c); index TG_OP_COUNT + k in tg_op_at. */
int tg__user_op_count(void);
/* Slot of op's attribute k in tg_attrs (f[] for REAL, i[] for the integer
 * kinds, 0 for the list); -1 past the four slots. */
int tg__attr_slot(const tg_op *op, int k);
/* acc += the gradient of slice node n for its output gradient gy, in
 * place (ops/slice.c); false when it does not apply. */
bool tg__slice_add_into(const tg_node *n, const tg_tensor *gy, tg_tensor *acc);
/* acc += the gradient of matmul node n's second input, both inputs
 * matrices, by one gemm that adds into acc (ops/matmul.c); false when it
 * does not apply. */
bool tg__matmul_add_into_b(const tg_node *n, const tg_tensor *gy,
                           tg_tensor *acc);
/* double -> int64_t without undefined behaviour: NaN 0, saturating. */
int64_t tg__to_i64(double v);

/* Record and run op `op` on inputs. Derives the graph from the inputs,
 * validates them, computes the shape, allocates the output, runs the
 * forward kernel and records the node. Returns the output, or the graph's
 * poison tensor (NULL when no input names a graph) on error. */
tg_tensor *tg__apply(int op, tg_tensor *const *in, int n_in,
                     const tg_attrs *attr);
/* The same for any descriptor (tg_apply minus the defaults). */
tg_tensor *tg__apply_op(const tg_op *d, tg_tensor *const *in, int n_in,
                        const tg_attrs *attr);
tg_tensor *tg__apply1(int op, tg_tensor *a, const tg_attrs *attr);
tg_tensor *tg__apply2(int op, tg_tensor *a, tg_tensor *b,
                      const tg_attrs *attr);

/* ---------------------------------------------------------------- graph */

enum { /* tg_tensor.flags */
    TG_TF_REQUIRES_GRAD = 1u << 0,
    TG_TF_PARAM = 1u << 1,
    TG_TF_CONSTANT = 1u << 2,
    TG_TF_POISON = 1u << 3,
    TG_TF_PERSISTENT = 1u << 4,
    TG_TF_INPUT = 1u << 5,
    /* A leaf holds no gradient: its ->grad is known to hold zeros (set by
     * the zero_grad functions), or, for a parameter cleared to none, ->grad
     * is NULL and the buffer waits in ->grad_kept. Cleared whenever
     * backward delivers into it. Backward then writes the first
     * contribution instead of adding it to the zeros. */
    TG_TF_GRAD_ZERO = 1u << 6,
};

/* Absent gradients (set_to_none, src/backward.c). ->grad_kept means
 * something on parameters only: other headers are recycled arena slots
 * whose field is never initialised. */
static inline tg_tensor *tg__grad_kept(const tg_tensor *t)
{
    return (t->flags & TG_TF_PARAM) ? t->grad_kept : NULL;
}
/* Make a parameter's gradient absent: ->grad NULL (tg_tensor_has_grad
 * false, optimizers and clipping skip it), the buffer kept for the next
 * backward, which writes into it without allocating. No-op otherwise. */
void tg__grad_clear(tg_tensor *t);
/* Put a kept buffer back in ->grad (its values undefined: the caller
 * writes all of them) and return ->grad, NULL when there is none. */
tg_tensor *tg__grad_restore(tg_tensor *t);

struct tg_graph {
    tg_arena arena;
    tg_node *tape;        /* last recorded node; ->prev walks back */
    int64_t n_nodes;
    uint32_t epoch;       /* bumped by reset */
    uint32_t bw_id;       /* bumped per backward pass */
    bool grad_enabled, training, anomaly;
    /* A built-in VJP (of a node whose ->builtin is set) is running in the
     * backward walk. Its ops' inputs are
     * the node's inputs and output, checked when it was recorded, and
     * gradients the pass made, in this graph and this epoch (a reset
     * cannot happen inside the walk), so the one- and two-input entry
     * points skip the per-input graph, poison and stale tests, and the
     * thread-count test (the pass made it once); the graph's error, arity
     * and dtype tests stay. */
    bool vjp_checked;
    tg_status status;
    char errmsg[TG_ERRMSG_SIZE];
    tg_tensor poison;
    double poison_data;
    tg_rng rng;
    /* parameters (persistent) */
    tg_tensor **params;
    int64_t n_params, cap_params;
    /* backward scratch, grown through the hook and kept across resets */
    void *bw_stack; int64_t bw_stack_cap;
    void *bw_order; int64_t bw_order_cap;
    void *bw_leaves; int64_t bw_leaves_cap;
    void *bw_ready; int64_t bw_ready_cap;
    /* tg_set_grad_ready_hook */
    tg_grad_ready_fn grad_ready_fn;
    void *grad_ready_ud;
};

/* tg_dtype_size and tg_dtype_is_float for the engine: the public ones
 * are exported functions, which code compiled for the shared library
 * cannot inline (they could be interposed), and the per-op path calls
 * them several times an op (28 instructions a node of the scalar chain,
 * and the registers spilled around the calls). */
static inline size_t tg__dtype_size(tg_dtype dt)
{
    switch (dt) {
    case TG_F32: return 4;
    case TG_F64: return 8;
    case TG_I64: return 8;
    case TG_BOOL: return 1;
    }
    return 0;
}
static inline bool tg__is_float(tg_dtype dt)
{
    return dt == TG_F32 || dt == TG_F64;
}

/* A per-step tensor from before the last tg_graph_reset. Its header is
 * intact (see tg_hdr_seg), so reading these fields is safe. */
static inline bool tg__stale(const tg_tensor *t)
{
    return t && !(t->flags & TG_TF_PERSISTENT) && t->graph &&
           t->epoch != t->graph->epoch;
}
/* Report a stale tensor passed to `who` (TG_ERR_STATE, sticky on its
 * graph and in tg_last_error) and return TG_ERR_STATE. */
tg_status tg__stale_fail(const char *who, const tg_tensor *t);

/* Set the sticky error (first error wins) and return `st`. The message is
 * printf-formatted; prefix it with the op ("tg_add: …"). */
tg_status tg__fail(tg_graph *g, tg_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A TG_ERR_ARG from a function that returns a tensor: on a graph, its
 * sticky error (first error wins) and the graph's poison tensor; without
 * one, tg_last_error and NULL. */
tg_tensor *tg__arg_fail_tensor(tg_graph *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Same, prefixed with "tg_<op name>: ". */
tg_status tg__op_fail(tg_graph *g, const tg_node *n, tg_status st,
                      const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A new graph-owned tensor of dtype/shape with uninitialised data (not a
 * recorded op: a leaf). NULL + sticky error on failure. */
tg_tensor *tg__new_tensor(tg_graph *g, tg_dtype dt, int ndim,
                          const int64_t *shape, const char *who);

/* ---------------------------------------------------------------- shapes */

/* Normalise axis in [-ndim, ndim) to [0, ndim); false if out of range. */
bool tg__norm_axis(int64_t *axis, int ndim);

/* NumPy broadcast of two shapes into out; false (and *bad_dim set to the
 * offending dim counted from the right, 1-based) if they do not broadcast. */
bool tg__broadcast_shape(int na, const int64_t *sa, int nb, const int64_t *sb,
                         int *nout, int64_t *out, int *bad_dim);

/* Iteration plan for out = f(a, b) with broadcasting: dims are collapsed
 * and the output is walked as `rows` runs of `inner` elements; in each run
 * operand k advances by step[k] (0 or 1) per element and starts at
 * offset(k, row). */
typedef struct tg_bcast {
    int nd;                     /* collapsed outer dims                 */
    int64_t dim[TG_MAX_DIMS];   /* collapsed outer extents              */
    int64_t str[2][TG_MAX_DIMS];/* element strides of a, b per outer dim */
    int64_t inner;              /* run length                            */
    int64_t step[2];            /* 0 or 1                                */
    int64_t rows;
} tg_bcast;
void tg__bcast_plan(tg_bcast *p, const tg_tensor *out, const tg_tensor *a,
                    const tg_tensor *b);
/* Offsets of operand 0 and 1 at the start of run `row`. */
void tg__bcast_offsets(const tg_bcast *p, int64_t row, int64_t *oa,
                       int64_t *ob);

/* ------------------------------------------------------- kernels (core) */

/* Threads: an elementwise kernel, reduction or row loop over n elements
 * stays on the calling thread while n <= TG_PAR_MIN, and is split into
 * chunks across the OpenMP team above it. This is the one work threshold
 * of the kernels (the matrix products have theirs in ops/gemm.h, the
 * optimizer's step in src/nn/optim.c). Default TG_PAR_MIN_DEFAULT; the
 * environment variable TG_PAR_MIN (a non-negative integer, read once when
 * the library loads) replaces it, which the tests use to reach the
 * threaded paths with small tensors. Why 2^18: with the passive wait
 * policy a parallel region wakes a sleeping worker, 12-20 us on the 2-core
 * VM (docs/architecture.md, "Kernels and threads"), and a streaming kernel
 * moves about 0.1-0.2 ns per f32 element on one core; splitting saves half
 * of the serial time, which pays for the wake-up only from about 2^18
 * elements (relu or add: 25-50 us serial). At the previous 32,768 every
 * activation of a batch-128 MLP woke the worker for 2-3 us of work. */
#define TG_PAR_MIN_DEFAULT ((int64_t)1 << 18)
extern int64_t tg__par_min;
#define TG_PAR_MIN tg__par_min

/* Whether a loop over `work` elements is split across the OpenMP team:
 * above TG_PAR_MIN and with more than one thread. Otherwise it is plain
 * code on the calling thread, never a region with a false `if` clause:
 * such a region still builds a team of one, about 1.3 us of CPU each
 * (docs/benchmarks.md, "The OpenMP wait policy"), which a small step
 * would pay in every row-wise op. */
static inline bool tg__par_worth(double work)
{
    return work > (double)TG_PAR_MIN && omp_get_max_threads() > 1;
}

/* for (int64_t VAR = 0; VAR < N; VAR++) BODY, as one `omp parallel for`
 * when PAR holds and as a plain loop otherwise. Every iteration runs the
 * same code either way, so the result does not depend on the path.
 * TG_PAR_FOR_SUM adds BODY's contributions to the double S (a
 * `reduction(+ : S)`): the plain loop sums in index order, as a team of
 * one did. Keep pragmas out of BODY (call a row function instead): GCC
 * misplaces a _Pragma that travels in a macro argument. */
#define TG__PRAGMA(x) _Pragma(#x)
#define TG_PAR_FOR(PAR, VAR, N, ...)                                        \
    do {                                                                    \
        int64_t tg_n_ = (N);                                                \
        if (PAR) {                                                          \
            _Pragma("omp parallel for")                                     \
            for (int64_t VAR = 0; VAR < tg_n_; VAR++) { __VA_ARGS__; }      \
        } else {                                                            \
            for (int64_t VAR = 0; VAR < tg_n_; VAR++) { __VA_ARGS__; }      \
        }                                                                   \
    } while (0)
#define TG_PAR_FOR_SUM(PAR, S, VAR, N, ...)                                 \
    do {                                                                    \
        int64_t tg_n_ = (N);                                                \
        if (PAR) {                                                          \
            TG__PRAGMA(omp parallel for reduction(+ : S))                   \
            for (int64_t VAR = 0; VAR < tg_n_; VAR++) { __VA_ARGS__; }      \
        } else {                                                            \
            for (int64_t VAR = 0; VAR < tg_n_; VAR++) { __VA_ARGS__; }      \
        }                                                                   \
    } while (0)

/* The worker pool (src/pool.c): fn(ctx, i) for every i in [0, n), on the
 * calling thread and up to nt - 1 workers; returns when all are done.
 * Chunks are claimed one at a time, the calling thread takes them too and
 * waits only for chunks a worker has started, so a split never waits for
 * a worker to be woken or scheduled. Chunk i is offered first to
 * participant i % P (0 the calling thread, then the workers), so repeated
 * splits of the same data land on the same threads. n <=
 * TG_POOL_CHUNKS_MAX (more runs serially).
 * Inside fn the calling thread's OpenMP count reads 1 and tg__pool_team
 * says 1, so what fn calls stays single-threaded. tg__pool_team: the
 * threads a split may use, the engine's thread count (1 inside an OpenMP
 * region or a chunk). */
#define TG_POOL_CHUNKS_MAX 4096
/* How many f32 products have been split on the pool (ops/gemm.c), ever:
 * the optimizer splits its step the same way when products were split
 * since its last step (src/nn/optim.c). */
extern _Atomic unsigned long tg__gemm_pool_splits;
typedef void (*tg_pool_fn)(void *ctx, int64_t i);
void tg__pool_run(int nt, int64_t n, tg_pool_fn fn, void *ctx);
int tg__pool_team(void);

/* Adopt the thread count of the latest tg_set_num_threads in the calling
 * thread (OpenMP keeps the count per thread); cheap when nothing changed.
 * Called on entry to the engine (tg__apply). */
extern _Atomic unsigned tg__threads_gen;
extern _Thread_local unsigned tg__threads_seen;
void tg__sync_threads_slow(void);
static inline void tg__sync_threads(void)
{
    if (atomic_load_explicit(&tg__threads_gen, memory_order_relaxed) !=
        tg__threads_seen)
        tg__sync_threads_slow();
}

/* y[i] += x[i] (used by the engine for in-place accumulation). */
void tg__accumulate(tg_tensor *y, const tg_tensor *x);
/* Sum x over the axes where out has extent 1 and x does not, plus x's
 * leading extra dims (out is x reduced to a broadcast-compatible shape). */
void tg__reduce_sum_to(tg_tensor *out, const tg_tensor *x);
/* Copy x broadcast to out's shape. */
void tg__broadcast_copy(tg_tensor *out, const tg_tensor *x);
/* NaN/Inf scan: index of the first non-finite element, or -1. */
int64_t tg__first_nonfinite(const tg_tensor *t);

/* Internal ops the engine uses (declared here, defined in ops/). */
tg_tensor *tg__sum_to(tg_tensor *x, int ndim, const int64_t *shape);

#endif
