/* softmax and log_softmax over one axis, their fused backward ops, and
 * mul_exp, the elementwise piece their higher-order VJPs are built from.
 *
 *   softmax:               y = exp(x - m) / sum exp(x - m)   (m = max x)
 *   log_softmax:           y = x - m - log sum exp(x - m)
 *   softmax_backward:      z = y (g - sum(g y))          (VJP of softmax)
 *   log_softmax_backward:  z = g - exp(y) sum(g)         (VJP of log_softmax)
 *   mul_exp:               z = a exp(b), broadcasting
 * Sums run over the axis. VJPs (h is the incoming gradient):
 *   softmax:      softmax_backward(g, y)
 *   log_softmax:  log_softmax_backward(g, y)
 *   softmax_backward(g, y):      dg = softmax_backward(h, y)  (symmetric J)
 *                                dy = h (g - sum(g y)) - g sum(h y)
 *   log_softmax_backward(g, y):  dg = h - sum(mul_exp(h, y))
 *                                dy = -mul_exp(h sum(g), y)
 *   mul_exp(a, b):               da = mul_exp(h, b),  db = h z
 * Nothing is saved beyond the output: every VJP reads y = n->out.
 */
#include "ops/array.h"

#include <math.h>
#include <omp.h>

#define AXIS i[0] /* the softmax axis (normalised by the shape rule) */

/* ------------------------------------------------------------ row math */

/* Each kernel handles `rows` contiguous rows of `len` elements. */
#define SOFTMAX_ROWS(T, SFX)                                                \
    static void softmax_row_##SFX(int64_t r, int64_t len, T *y, const T *x) \
    {                                                                       \
        const T *xr = x + r * len;                                          \
        T *yr = y + r * len;                                                \
        T m = tg__row_max_##SFX(len, xr);                                   \
        T inv = (T)(1.0 / tg__row_expsum_##SFX(len, yr, xr, m));            \
        _Pragma("omp simd")                                                 \
        for (int64_t k = 0; k < len; k++) yr[k] *= inv;                     \
    }                                                                       \
    static void softmax_rows_##SFX(int64_t rows, int64_t len, T *y,         \
                                   const T *x)                              \
    {                                                                       \
        TG_PAR_FOR(rows > 1 && tg__par_worth((double)rows * len), r, rows,  \
                   softmax_row_##SFX(r, len, y, x));                        \
    }

#define LOG_SOFTMAX_ROWS(T, SFX)                                            \
    static void log_softmax_row_##SFX(int64_t r, int64_t len, T *y,         \
                                      const T *x)                           \
    {                                                                       \
        const T *xr = x + r * len;                                          \
        T *yr = y + r * len;                                                \
        T m = tg__row_max_##SFX(len, xr);                                   \
        /* (x - m) - log s: exact shift first, as x - (m + log s)           \
         * would round at the magnitude of m */                             \
        T ls = (T)log(tg__row_expsum_##SFX(len, NULL, xr, m));              \
        _Pragma("omp simd")                                                 \
        for (int64_t k = 0; k < len; k++) yr[k] = (xr[k] - m) - ls;         \
    }                                                                       \
    static void log_softmax_rows_##SFX(int64_t rows, int64_t len,           \
                                       T *y, const T *x)                    \
    {                                                                       \
        TG_PAR_FOR(rows > 1 && tg__par_worth((double)rows * len), r, rows,  \
                   log_softmax_row_##SFX(r, len, y, x));                    \
    }

#define SOFTMAX_BW_ROWS(T, SFX)                                             \
    static void softmax_bw_row_##SFX(int64_t r, int64_t len, T *z,          \
                                     const T *gy, const T *y)               \
    {                                                                       \
        const T *gr = gy + r * len, *yr = y + r * len;                      \
        T *zr = z + r * len;                                                \
        T s = 0;                                                            \
        _Pragma("omp simd reduction(+ : s)")                                \
        for (int64_t k = 0; k < len; k++) s += gr[k] * yr[k];               \
        _Pragma("omp simd")                                                 \
        for (int64_t k = 0; k < len; k++) zr[k] = yr[k] * (gr[k] - s);      \
    }                                                                       \
    static void softmax_bw_rows_##SFX(int64_t rows, int64_t len,            \
                                      T *z, const T *gy, const T *y)        \
    {                                                                       \
        TG_PAR_FOR(rows > 1 && tg__par_worth((double)rows * len), r, rows,  \
                   softmax_bw_row_##SFX(r, len, z, gy, y));                 \
    }

#define LOG_SOFTMAX_BW_ROWS(T, SFX)                                         \
    static void log_softmax_bw_row_##SFX(int64_t r, int64_t len,            \
                                         T *z, const T *gy, const T *y)     \
    {                                                                       \
        const T *gr = gy + r * len, *yr = y + r * len;                      \
        T *zr = z + r * len;                                                \
        T s = 0;                                                            \
        _Pragma("omp simd reduction(+ : s)")                                \
        for (int64_t k = 0; k < len; k++) s += gr[k];                       \
        tg__row_expsum_##SFX(len, zr, yr, 0); /* z = exp(y) */              \
        _Pragma("omp simd")                                                 \
        for (int64_t k = 0; k < len; k++) zr[k] = gr[k] - zr[k] * s;        \
    }                                                                       \
    static void log_softmax_bw_rows_##SFX(int64_t rows, int64_t len,        \
                                          T *z, const T *gy, const T *y)    \
    {                                                                       \
        TG_PAR_FOR(rows > 1 && tg__par_worth((double)rows * len), r, rows,  \
                   log_softmax_bw_row_##SFX(r, len, z, gy, y));             \
    }

SOFTMAX_ROWS(float, f32)
SOFTMAX_ROWS(double, f64)
LOG_SOFTMAX_ROWS(float, f32)
LOG_SOFTMAX_ROWS(double, f64)
SOFTMAX_BW_ROWS(float, f32)
SOFTMAX_BW_ROWS(double, f64)
LOG_SOFTMAX_BW_ROWS(float, f32)
LOG_SOFTMAX_BW_ROWS(double, f64)

/* ------------------------------------------------------ shape, driver */

static tg_status softmax_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    tg_status st = tg__axis_rule(g, n, n->in[0], &n->attr.AXIS);
    if (st != TG_OK) return st;
    return tg_shape_same(g, n, out);
}

/* (g, y) of one shape and dtype. */
static tg_status softmax_bw_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    const tg_tensor *a = n->in[0], *b = n->in[1];
    if (!tg__same_shape(a, b)) {
        char s1[TG_SHAPE_BUF], s2[TG_SHAPE_BUF];
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "gradient %s and output %s differ in shape; "
                           "hint: both have the forward output's shape",
                           tg__fmt_shape(s1, a->ndim, a->shape),
                           tg__fmt_shape(s2, b->ndim, b->shape));
    }
    return softmax_shape(g, n, out);
}

typedef void (*rows1_f32)(int64_t, int64_t, float *, const float *);
typedef void (*rows1_f64)(int64_t, int64_t, double *, const double *);
typedef void (*rows2_f32)(int64_t, int64_t, float *, const float *,
                          const float *);
typedef void (*rows2_f64)(int64_t, int64_t, double *, const double *,
                          const double *);

/* Run a row kernel along the node's axis: directly when the axis is the
 * innermost one, else through row-major copies (tg__to_rows). */
static tg_status run_rows(tg_graph *g, tg_node *n, rows1_f32 k1f,
                          rows1_f64 k1d, rows2_f32 k2f, rows2_f64 k2d)
{
    tg_tensor *y = n->out;
    if (y->numel == 0) return TG_OK;
    tg_axis3 s = tg__axis3(n->in[0], (int)n->attr.AXIS);
    int64_t rows = s.outer * s.inner;
    size_t es = tg__dsize(y->dtype), bytes = (size_t)y->numel * es;
    const void *a = n->in[0]->data, *b = n->n_in > 1 ? n->in[1]->data : NULL;
    void *out = y->data;
    if (s.inner != 1) {
        void *ta = tg__scratch(g, n, bytes);
        void *tb = b ? tg__scratch(g, n, bytes) : NULL;
        void *to = tg__scratch(g, n, bytes);
        if (!ta || !to || (b && !tb)) return g->status;
        tg__to_rows(ta, a, s, es);
        if (b) tg__to_rows(tb, b, s, es);
        a = ta, b = tb, out = to;
    }
    if (y->dtype == TG_F32) {
        if (k1f) k1f(rows, s.len, out, a);
        else k2f(rows, s.len, out, a, b);
    } else {
        if (k1d) k1d(rows, s.len, out, a);
        else k2d(rows, s.len, out, a, b);
    }
    if (s.inner != 1) tg__from_rows(y->data, out, s, es);
    return TG_OK;
}

static tg_status softmax_fwd(tg_graph *g, tg_node *n)
{
    return run_rows(g, n, softmax_rows_f32, softmax_rows_f64, NULL, NULL);
}
static tg_status log_softmax_fwd(tg_graph *g, tg_node *n)
{
    return run_rows(g, n, log_softmax_rows_f32, log_softmax_rows_f64, NULL,
                    NULL);
}
static tg_status softmax_bw_fwd(tg_graph *g, tg_node *n)
{
    return run_rows(g, n, NULL, NULL, softmax_bw_rows_f32,
                    softmax_bw_rows_f64);
}
static tg_status log_softmax_bw_fwd(tg_graph *g, tg_node *n)
{
    return run_rows(g, n, NULL, NULL, log_softmax_bw_rows_f32,
                    log_softmax_bw_rows_f64);
}

/* ---------------------------------------------------------------- VJPs */

static tg_tensor *axis_sum(tg_tensor *t, int64_t axis)
{
    if (t->ndim == 0) return t;
    return tg_sum(t, 1, &axis, true);
}

static void softmax_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                        const bool *need, tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_softmax_backward(gy, n->out, (int)n->attr.AXIS);
}

static void log_softmax_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                            const bool *need, tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_log_softmax_backward(gy, n->out, (int)n->attr.AXIS);
}

static void softmax_bw_vjp(tg_graph *g, tg_node *n, tg_tensor *h,
                           const bool *need, tg_tensor **gx)
{
    (void)g;
    tg_tensor *gin = n->in[0], *y = n->in[1];
    int64_t ax = n->attr.AXIS;
    if (need[0]) gx[0] = tg_softmax_backward(h, y, (int)ax);
    if (need[1]) {
        tg_tensor *s = axis_sum(tg_mul(gin, y), ax);
        tg_tensor *t = axis_sum(tg_mul(h, y), ax);
        gx[1] = tg_sub(tg_mul(h, tg_sub(gin, s)), tg_mul(gin, t));
    }
}

static void log_softmax_bw_vjp(tg_graph *g, tg_node *n, tg_tensor *h,
                               const bool *need, tg_tensor **gx)
{
    (void)g;
    tg_tensor *gin = n->in[0], *y = n->in[1];
    int64_t ax = n->attr.AXIS;
    if (need[0]) gx[0] = tg_sub(h, axis_sum(tg_mul_exp(h, y), ax));
    if (need[1])
        gx[1] = tg_neg(tg_mul_exp(tg_mul(h, axis_sum(gin, ax)), y));
}

/* -------------------------------------------------------------- mul_exp */

static inline float mul_exp_op_f32(float a, float b) { return a * expf(b); }
static inline double mul_exp_op_f64(double a, double b) { return a * exp(b); }
static void mul_exp_f32(int64_t n, float *y, const float *a, int64_t sa,
                        const float *b, int64_t sb)
{
    tg__bin_loop_f32(n, y, a, sa, b, sb, mul_exp_op_f32);
}
static void mul_exp_f64(int64_t n, double *y, const double *a, int64_t sa,
                        const double *b, int64_t sb)
{
    tg__bin_loop_f64(n, y, a, sa, b, sb, mul_exp_op_f64);
}

static tg_status mul_exp_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__binary_run(n, mul_exp_f32, mul_exp_f64);
}

static void mul_exp_vjp(tg_graph *g, tg_node *n, tg_tensor *h,
                        const bool *need, tg_tensor **gx)
{
    (void)g;
    if (need[0]) gx[0] = tg_mul_exp(h, n->in[1]);
    if (need[1]) gx[1] = tg_mul(h, n->out);
}

/* ---------------------------------------------------------- descriptors */

TG_BUILTIN_OP(softmax,
    .n_inputs = 1,
    .attrs = {{"axis", TG_ATTR_INT, -1}},
    .shape = softmax_shape,
    .forward = softmax_fwd,
    .vjp = softmax_vjp,
    .cases = "softmax(x, axis=-1) | x=3x5; softmax(x, axis=0) | x=4x3; "
        "softmax(x, axis=1) | x=2x3x4; softmax(3*x, axis=-1) | x=6");
TG_BUILTIN_OP(log_softmax,
    .n_inputs = 1,
    .attrs = {{"axis", TG_ATTR_INT, -1}},
    .shape = softmax_shape,
    .forward = log_softmax_fwd,
    .vjp = log_softmax_vjp,
    .cases = "log_softmax(x, axis=-1) | x=3x5; log_softmax(x, axis=0) | x=4x3; "
        "log_softmax(x, axis=1) | x=2x3x4");
TG_BUILTIN_OP(softmax_backward,
    .n_inputs = 2,
    .attrs = {{"axis", TG_ATTR_INT, -1}},
    .shape = softmax_bw_shape,
    .forward = softmax_bw_fwd,
    .vjp = softmax_bw_vjp,
    .cases = "softmax_backward(g, softmax(x, axis=-1), axis=-1) | g=3x4 x=3x4; "
        "softmax_backward(g, softmax(x, axis=0), axis=0) | g=3x4 x=3x4");
TG_BUILTIN_OP(log_softmax_backward,
    .n_inputs = 2,
    .attrs = {{"axis", TG_ATTR_INT, -1}},
    .shape = softmax_bw_shape,
    .forward = log_softmax_bw_fwd,
    .vjp = log_softmax_bw_vjp,
    .cases = "log_softmax_backward(g, log_softmax(x, axis=-1), axis=-1) | g=3x4 "
        "x=3x4; log_softmax_backward(g, y, axis=1) | g=2x3x2 y=2x3x2");
TG_BUILTIN_OP(mul_exp,
    .n_inputs = 2,
    .shape = tg_shape_broadcast,
    .forward = mul_exp_fwd,
    .vjp = mul_exp_vjp,
    .cases = "mul_exp(a, b) | a=3x4 b=3x4; mul_exp(a, b) | a=3x1 b=1x4; "
        "mul_exp(a, b) | a=scalar b=2x3");

static tg_tensor *axis_op(int op, tg_tensor *x, tg_tensor *y, int axis)
{
    tg_attrs a = {0};
    a.AXIS = axis;
    return y ? tg__apply2(op, x, y, &a) : tg__apply1(op, x, &a);
}

tg_tensor *tg_softmax(tg_tensor *x, int axis)
{
    return axis_op(TG_OP_softmax, x, NULL, axis);
}
tg_tensor *tg_log_softmax(tg_tensor *x, int axis)
{
    return axis_op(TG_OP_log_softmax, x, NULL, axis);
}
tg_tensor *tg_softmax_backward(tg_tensor *g, tg_tensor *y, int axis)
{
    return axis_op(TG_OP_softmax_backward, g, y, axis);
}
tg_tensor *tg_log_softmax_backward(tg_tensor *g, tg_tensor *y, int axis)
{
    return axis_op(TG_OP_log_softmax_backward, g, y, axis);
}
tg_tensor *tg_mul_exp(tg_tensor *a, tg_tensor *b)
{
    return tg__apply2(TG_OP_mul_exp, a, b, NULL);
}
