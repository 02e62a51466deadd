/* tapegrad/op.h — defining an op, and reading a recorded graph.
 *
 * Every op of the library is one `tg_op` descriptor in this public form,
 * and a program defines its own ops with the same struct: they record on
 * the tape and work with tg_backward, tg_grad (create_graph, grad of grad,
 * Hessian-vector products through the VJP), tg_gradcheck, DOT pictures,
 * anomaly mode and error messages exactly like the built-in ones. A user
 * op needs no registration to be applied and differentiated; register it
 * (tg_op_register) to make it callable by name in the expression language.
 * docs/custom-ops.md is the guide; examples/custom_op.c a complete op.
 *
 * Example — f(x) = x³, f'(x) = 3x², the VJP written with tapegrad ops so
 * that second derivatives work too:
 *
 *   static tg_status cube_fwd(tg_graph *g, tg_node *n)
 *   {
 *       const tg_tensor *x = tg_node_input(n, 0);
 *       tg_tensor *y = tg_node_output(n);
 *       for (int64_t i = 0; i < y->numel; i++) {
 *           double v = tg_get(x, i);
 *           if (tg_f64(y)) tg_f64(y)[i] = v * v * v;
 *           else tg_f32(y)[i] = (float)(v * v * v);
 *       }
 *       return TG_OK;
 *   }
 *   static void cube_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
 *                        const bool *need, tg_tensor **gx)
 *   {
 *       tg_tensor *x = tg_node_input(n, 0);
 *       gx[0] = tg_mul(gy, tg_mul_scalar(tg_square(x), 3));
 *   }
 *   TG_OP_DEFINE(cube, .n_inputs = 1, .forward = cube_fwd,
 *                .vjp = cube_vjp, .cases = "cube(x) | x=3x4");
 *   ...
 *   tg_tensor *y = tg_apply(&cube, &x, 1, NULL);
 */
#ifndef TAPEGRAD_OP_H
#define TAPEGRAD_OP_H

#include "tapegrad/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ attributes */

/* The kind of an attribute, and where its value lives in tg_attrs: the
 * k-th REAL attribute an op declares is f[k]; the k-th INT, I64, BOOL or
 * DTYPE attribute is i[k]; the one AXES or SHAPE attribute is ax[0..nax-1]. */
typedef enum tg_attr_kind {
    TG_ATTR_REAL,  /* double (alpha=0.1)                                   */
    TG_ATTR_INT,   /* integer within C int range (axis=1)                  */
    TG_ATTR_I64,   /* 64-bit integer (slice start/stop)                    */
    TG_ATTR_BOOL,  /* 0 or 1 (keepdim=1)                                   */
    TG_ATTR_DTYPE, /* a tg_dtype (dtype=f32, f64, i64 or bool)             */
    TG_ATTR_AXES,  /* a list of axes; absent = all axes (nax = 0)          */
    TG_ATTR_SHAPE, /* a list of extents (shape=[2,-1])                     */
} tg_attr_kind;

/* One attribute, described once: the expression language takes its
 * keyword from it, DOT and tg_node_attrs_str its label, and tg_apply with
 * NULL attributes its default. */
typedef struct tg_attr_def {
    const char *name;
    tg_attr_kind kind;
    double def;    /* default of a scalar attribute (I64: clamped)      */
    bool required; /* no sensible default: the expression must give it */
} tg_attr_def;

#define TG_OP_MAX_ATTRS 6

/* The attribute values of one node (see tg_attr_kind for the slots). An
 * op reads the slots of the attributes it declares; it may use the slots
 * after them only for values it derives itself (written by its shape
 * rule, or by its own C function with zero meaning "absent"). An op that
 * declares no attributes reads no slot its shape rule did not write. */
typedef struct tg_attrs {
    int64_t ax[TG_MAX_DIMS]; /* the AXES or SHAPE attribute               */
    int nax;                 /* its length                                */
    int64_t i[4];            /* integer-like attributes, in order          */
    double f[4];             /* real attributes, in order                  */
} tg_attrs;

/* ------------------------------------------------------------------ ops */

/* Op flags. */
enum {
    TG_OPF_VIEW = 1u << 0,        /* forward sets out->data to an input's  */
    TG_OPF_MIXED_DTYPE = 1u << 1, /* inputs may differ in dtype            */
    TG_OPF_NONSMOOTH = 1u << 2,   /* kinks: skip second-derivative checks  */
    TG_OPF_RANDOM = 1u << 3,      /* forward draws from the graph's RNG    */
    TG_OPF_ANY_DTYPE = 1u << 4,   /* inputs may be i64 or bool too (the
                                     forward dispatches on every dtype);
                                     without it only index_inputs may be
                                     i64 and every other input must be
                                     f32 or f64                          */
};

/* An op. Only `name`, `n_inputs` and `forward` are required; fields left
 * out read as zero/NULL. The struct must outlive every graph that records
 * the op (a static const, normally via TG_OP_DEFINE). */
typedef struct tg_op {
    const char *name;    /* the name in messages, DOT and expressions     */
    const char *prefix;  /* prepended to name in error messages ("tg_" for
                            the built-ins, whose C functions are tg_NAME) */
    int n_inputs;        /* tensor inputs (the minimum when max_inputs)   */
    int max_inputs;      /* > n_inputs: optional trailing inputs          */
    uint32_t flags;      /* TG_OPF_*                                       */
    unsigned index_inputs; /* bit i: input i holds indices or labels
                              (never differentiated nor perturbed); it
                              may be i64, or f32/f64 holding whole
                              numbers                                     */
    tg_attr_def attrs[TG_OP_MAX_ATTRS]; /* up to the first NULL name      */

    /* Shape rule: set out->ndim and out->shape[] (out->dtype is preset to
     * input 0's and may be changed; an i64 or bool output never requires
     * grad) or report with tg_node_fail and return
     * its status. Runs before anything is allocated. NULL: the output has
     * input 0's shape (tg_shape_same). */
    tg_status (*shape)(tg_graph *g, tg_node *n, tg_tensor *out);
    /* Compute the output (allocated with the shape chosen, f32 or f64)
     * from the inputs. Return TG_OK, or report with tg_node_fail. */
    tg_status (*forward)(tg_graph *g, tg_node *n);
    /* The VJP: write gx[i] = dL/d input i for each i with need[i], using
     * tapegrad ops only (so it is itself recorded under create_graph and
     * second derivatives work). gx[i] may have the broadcast (output)
     * shape: the engine sums it back to the input's shape and accumulates
     * fan-in. Leave gx[i] NULL for no gradient. (Internal detail a VJP may
     * ignore: with recording off, gx[i] may arrive pointing at a zeroed
     * tensor of the input's shape, offered as the destination of its
     * gradient; overwriting gx[i] is always correct.) NULL: the op is not
     * differentiable (its output never requires grad). */
    void (*vjp)(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                tg_tensor **gx);
    /* Gradient-check cases for `tapegrad check --all-ops`, ';'-separated,
     * each "EXPR | NAME=SHAPE ... [| eps=E atol=A rtol=R]" in the
     * expression language (docs/gradcheck.md). */
    const char *cases;
    /* How the expression language calls the op when its C function does
     * more than pack attributes (optional inputs, defaults that depend on
     * the inputs). NULL: tg_apply. */
    tg_tensor *(*call)(tg_tensor *const *in, int n_in, const tg_attrs *a);
} tg_op;

/* Define `const tg_op IDENT` whose name is "IDENT", so the two cannot
 * drift: TG_OP_DEFINE(huber, .n_inputs = 2, .forward = ..., ...). */
#define TG_OP_DEFINE(ident, ...)                                           \
    const tg_op ident = {.name = #ident, __VA_ARGS__}

/* Run op on n_in inputs and record it (when grad mode is on and an input
 * requires grad, the output requires grad). attrs NULL: the declared
 * defaults. Returns a graph-owned output, or the graph's poison tensor and
 * the sticky error ("NAME: takes 2 inputs, got 1"); NULL when every input
 * is NULL (tg_last_error says why). */
tg_tensor *tg_apply(const tg_op *op, tg_tensor *const *in, int n_in,
                    const tg_attrs *attrs);

/* The declared defaults of op's attributes (unused slots zero). */
tg_attrs tg_attrs_defaults(const tg_op *op);

/* Shape rules for the common cases: the shape of input 0, and the NumPy
 * broadcast of inputs 0 and 1 (reports "shapes do not broadcast"). */
tg_status tg_shape_same(tg_graph *g, tg_node *n, tg_tensor *out);
tg_status tg_shape_broadcast(tg_graph *g, tg_node *n, tg_tensor *out);

/* Make op callable by name in the expression language (tapegrad check,
 * the CLI functions) and listed by tg_op_count/tg_op_at after the
 * built-ins. Thread-safe; registering the same op twice is a no-op.
 * TG_ERR_ARG for a NULL op, a name that is not an identifier or already
 * taken by another op; TG_ERR_OOM past 256 registered ops. */
tg_status tg_op_register(const tg_op *op);

/* Every op: the built-ins in table order, then registered ones. */
int tg_op_count(void);
const tg_op *tg_op_at(int i);               /* NULL when out of range */
const tg_op *tg_op_find(const char *name);  /* NULL when unknown      */

/* --------------------------------------------------------------- nodes */

/* A node is opaque outside the engine; these read it (borrowed until the
 * graph's next reset). In an op's callbacks `n` is the node being run. */
const tg_op *tg_node_op(const tg_node *n);
int tg_node_num_inputs(const tg_node *n);
tg_tensor *tg_node_input(const tg_node *n, int i); /* NULL: out of range */
tg_tensor *tg_node_output(const tg_node *n);
/* Position in recording order since the last reset (0-based). */
int64_t tg_node_index(const tg_node *n);
const tg_attrs *tg_node_attrs(const tg_node *n);
/* An attribute by its declared name: REAL as double, integer kinds as
 * int64_t; NaN / 0 when the op declares no such attribute. */
double tg_node_real(const tg_node *n, const char *name);
int64_t tg_node_int(const tg_node *n, const char *name);
/* A list attribute: its length, *list pointing at the values (-1 if none). */
int tg_node_list(const tg_node *n, const char *name, const int64_t **list);

/* The declared attributes as text, "alpha=0.1, axis=[1]": all of them,
 * or (all false) those that differ from their defaults, as DOT shows
 * them. "" when none. Returns the length snprintf would write. */
int tg_node_attrs_str(const tg_node *n, bool all, char *buf, size_t size);

/* Saved values: a forward that computes something the VJP needs and that
 * is neither an input nor the output (a mask, 1/std) saves it under a
 * name. tg_node_save_new returns a new graph-owned constant of the given
 * dtype and shape to fill; NULL + sticky error when out of memory.
 * tg_node_saved finds it again (NULL when absent). Saved tensors are
 * constants: the VJP uses them in tapegrad ops like any tensor. */
tg_tensor *tg_node_save_new(tg_graph *g, tg_node *n, const char *name,
                            tg_dtype dt, int ndim, const int64_t *shape);
tg_tensor *tg_node_saved(const tg_node *n, const char *name);

/* Report an error of the op: sets the graph's sticky error to
 * "<prefix><name>: <message>" and returns st (first error wins). */
tg_status tg_node_fail(tg_graph *g, const tg_node *n, tg_status st,
                       const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* --------------------------------------------------------- introspection */

/* The recorded nodes in recording order: writes up to cap of them into
 * nodes (may be NULL when cap is 0) and returns how many there are. */
int64_t tg_graph_nodes(const tg_graph *g, const tg_node **nodes, int64_t cap);

/* The node that produced t, or NULL for a leaf (or t NULL or stale). */
const tg_node *tg_tensor_node(const tg_tensor *t);
/* The graph t belongs to (NULL for NULL or stale). A stale tensor (from
 * before the last tg_graph_reset) is TG_ERR_STATE in all three. */
tg_graph *tg_tensor_graph(const tg_tensor *t);

typedef enum tg_tensor_kind {
    TG_KIND_OUTPUT,   /* an op's output (tg_tensor_node is non-NULL) */
    TG_KIND_PARAM,    /* tg_param                                    */
    TG_KIND_INPUT,    /* tg_input, or an input of tg_grad            */
    TG_KIND_CONSTANT, /* tg_constant, tg_full, tg_scalar, tg_detach  */
    TG_KIND_POISON,   /* the poison tensor of an error               */
    TG_KIND_STALE,    /* created before the last tg_graph_reset      */
} tg_tensor_kind;
tg_tensor_kind tg_tensor_kind_of(const tg_tensor *t);

#ifdef __cplusplus
}
#endif
#endif
