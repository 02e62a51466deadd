/* Helpers shared by the array family (reductions, shape ops, softmax,
 * losses, normalization, dropout). Private to ops/. */
#ifndef TAPEGRAD_OPS_ARRAY_PRIV_H
#define TAPEGRAD_OPS_ARRAY_PRIV_H

#include "ops/elementwise.h"

static inline size_t tg__dsize(tg_dtype dt) { return tg_dtype_size(dt); }
static inline const char *tg__dtname(tg_dtype dt) { return tg_dtype_name(dt); }

/* A graph-owned constant (an unrecorded leaf that never requires grad) of
 * dtype/shape with uninitialised data; VJPs use it for masks and one-hot
 * matrices, which are piecewise constant in the op's inputs. NULL + sticky
 * error on failure. */
tg_tensor *tg__const_tensor(tg_graph *g, tg_dtype dt, int ndim,
                            const int64_t *shape, const char *who);

/* Scratch memory from the graph arena (freed at reset); NULL + sticky error
 * naming the op on failure. */
void *tg__scratch(tg_graph *g, const tg_node *n, size_t bytes);

/* ---------------------------------------------------------- axis sets */

/* Store (naxes, axes) of a public call into a->ax/nax; a bad request is
 * stored so that tg__axes_rule reports it. */
void tg__set_axes(tg_attrs *a, int naxes, const int64_t *axes);
/* Validate, normalise and sort n->attr.ax (nax == 0: every axis) and
 * write the reduced output shape (reduced axes kept as 1 when keepdim). */
tg_status tg__axes_rule(tg_graph *g, tg_node *n, tg_tensor *out,
                        bool keepdim);
/* x's shape with the reduced axes set to 1 (after tg__axes_rule). */
void tg__keep_shape(const tg_node *n, int64_t *shape);
/* Elements per reduced group (product of the reduced extents). */
int64_t tg__reduce_count(const tg_node *n);

/* One axis of x seen as [outer, len, inner] (row-major). A 0-d tensor is
 * one element: [1, 1, 1]. */
typedef struct tg_axis3 {
    int64_t outer, len, inner;
} tg_axis3;
tg_axis3 tg__axis3(const tg_tensor *x, int axis);
/* Normalise a single axis attribute in [-ndim, ndim) (a 0-d tensor takes
 * 0 or -1) or fail naming the shape. */
tg_status tg__axis_rule(tg_graph *g, tg_node *n, const tg_tensor *x,
                        int64_t *axis);

/* Copy [outer, len, inner] data to [outer*inner, len] rows (to_rows) and
 * back (from_rows) so row kernels serve every axis. */
void tg__to_rows(void *dst, const void *src, tg_axis3 s, size_t esize);
void tg__from_rows(void *dst, const void *src, tg_axis3 s, size_t esize);

/* ------------------------------------------------------------ indices */

/* Check that every element of idx (i64, or an f32/f64 tensor holding
 * integer values) is integral and in [0, limit). On failure reports through the op:
 * "<what>[k] = v is not an integer; hint: ..." or "... is out of range
 * for <limit_desc> ..." (limit_desc NULL: "<limit> classes"). */
tg_status tg__check_indices(tg_graph *g, const tg_node *n,
                            const tg_tensor *idx, int64_t limit,
                            const char *what, const char *limit_desc);
/* Element i of an index tensor already validated. */
static inline int64_t tg__index_at(const tg_tensor *t, int64_t i)
{
    return t->dtype == TG_I64   ? ((const int64_t *)t->data)[i]
           : t->dtype == TG_F64 ? (int64_t)((const double *)t->data)[i]
                                : (int64_t)((const float *)t->data)[i];
}

/* ------------------------------------------------------- row kernels */

/* SIMD (SLEEF) row kernels, ISA chosen at run time; x, y contiguous. */
float tg__row_max_f32(int64_t n, const float *x);
double tg__row_max_f64(int64_t n, const double *x);
/* y = exp(x - m) (y may be NULL: nothing stored); returns sum exp(x - m). */
double tg__row_expsum_f32(int64_t n, float *y, const float *x, float m);
double tg__row_expsum_f64(int64_t n, double *y, const double *x, double m);

#endif
