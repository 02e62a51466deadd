/* Pooling over NCHW (2-D) and NCL (1-D), PyTorch's conventions.
 *
 *   max_pool(x)[n,c,p,q]  = max over the window of x, the window's taps at
 *                           (p sh - ph + i dh, q sw - pw + j dw) inside x
 *   avg_pool(x)[n,c,p,q]  = sum over the window / divisor
 *   adaptive_avg_pool(x)  = mean over rows [floor(p H / P), ceil((p+1) H /
 *                           P)) and the same for columns
 *
 * Output size (PyTorch's pooling_output_shape):
 *   P = floor_or_ceil((H + 2 ph - dh (kh - 1) - 1) / sh) + 1, and with
 *   ceil_mode one less when the last window would start in the right
 *   padding ((P - 1) sh >= H + ph).
 * avg_pool's window is clipped to [-ph, H + ph) first (its size there is
 * the divisor with count_include_pad, PyTorch's default), then to [0, H)
 * (the divisor without).
 *
 * max_pool: the gradient goes to the first maximum of each window in
 * row-major order (a NaN wins, as PyTorch). Saved: the argmax of every
 * output as its index inside the (n, c) plane, a constant tensor; the VJP
 * is scatter_add of g at those indices (and its VJP a gather), so second
 * derivatives work. Indices are stored in x's dtype: exact for planes up
 * to 2^24 elements in f32 (larger planes are refused).
 *
 * avg_pool is linear: its VJP is avg_pool_backward (g / divisor spread
 * over each window), whose VJP is avg_pool again.
 */
#include <math.h>

#include "ops/array.h"
#include "tapegrad/ops_conv.h"

#define KH ax[0]
#define KW ax[1]
#define SH ax[2]
#define SW ax[3]
#define PH ax[4]
#define PW ax[5]
#define DH ax[6]     /* max_pool: dilation */
#define DW ax[7]
#define OTHER_H ax[6] /* avg family: the other side's size (adaptive */
#define OTHER_W ax[7] /* forward: output; backward: input)           */
/* declared (keywords, DOT): i[0] kernel, i[1] stride (0: the kernel),
 * i[2] padding, i[3] ceil_mode, the same on both axes; adaptive pools
 * declare the output size (i[0], i[1]). The geometry above is derived. */
#define CEIL i[3]
#define EXCLUDE_PAD f[0] /* count_include_pad = false (C API only) */
#define ADAPTIVE f[1]
/* avg_pool_backward declares what it reads: the geometry as one list
 * (ax[0..7]: kernel, stride, padding, input size, each H then W),
 * ceil_mode (i[0], to check the gradient's size), exclude_pad and
 * adaptive (f[0], f[1], where the avg pools keep them). */
#define BW_CEIL i[0]
#define BW_GEOMETRY 8

/* Largest kernel, stride, padding, dilation or adaptive size accepted
 * (sizes derived from them then stay far from int64 overflow). */
#define POOL_ATTR_MAX (INT64_C(1) << 30)

typedef struct maxpool_ctx {
    tg_tensor *argmax; /* [N C, P Q]: index in the plane of each output's
                          first maximum (x's dtype) */
} maxpool_ctx;

static int pool_rank(const tg_op *d)
{
    return d == &tg_op_max_pool1d || d == &tg_op_avg_pool1d ||
                   d == &tg_op_adaptive_avg_pool1d
               ? 1
               : 2;
}
static bool is_adaptive(const tg_op *d)
{
    return d == &tg_op_adaptive_avg_pool1d || d == &tg_op_adaptive_avg_pool2d;
}

/* A node applied through tg_apply carries only the declared attributes:
 * derive the geometry from them. */
static tg_status from_declared(tg_graph *g, tg_node *n)
{
    tg_attrs *a = &n->attr;
    for (int k = 0; k < 8; k++)
        if (a->ax[k]) return TG_OK; /* set by a wrapper */
    int r = pool_rank(n->op);
    int nd = is_adaptive(n->op) ? r : 3;
    for (int k = 0; k < nd; k++)
        if (a->i[k] > POOL_ATTR_MAX || a->i[k] < -POOL_ATTR_MAX)
            return tg__op_fail(g, n, TG_ERR_ARG,
                               "%s = %lld is out of range (at most 2^30 in "
                               "magnitude)",
                               n->op->attrs[k].name,
                               (long long)a->i[k]);
    if (is_adaptive(n->op)) {
        a->OTHER_H = r == 2 ? a->i[0] : 1;
        a->OTHER_W = r == 2 ? a->i[1] : a->i[0];
        return TG_OK;
    }
    int64_t k = a->i[0], s = a->i[1] ? a->i[1] : a->i[0], p = a->i[2];
    a->KH = r == 2 ? k : 1, a->KW = k;
    a->SH = r == 2 ? s : 1, a->SW = s;
    a->PH = r == 2 ? p : 0, a->PW = p;
    if (n->op == &tg_op_max_pool1d || n->op == &tg_op_max_pool2d)
        a->DH = a->DW = 1;
    return TG_OK;
}

/* Declared slots from the geometry (the H axis of a 2-D pool). */
static void set_declared(tg_attrs *a, int rank)
{
    bool h = rank == 2;
    a->i[0] = h ? a->KH : a->KW;
    a->i[1] = h ? a->SH : a->SW;
    a->i[2] = h ? a->PH : a->PW;
}

static int64_t sp_h(const tg_tensor *t)
{
    return t->ndim == 4 ? t->shape[2] : 1;
}
static int64_t sp_w(const tg_tensor *t) { return t->shape[t->ndim - 1]; }
/* H * W of a plane, 0 when it cannot fit (only beside a 0 extent: an
 * empty tensor whose other extents are huge). */
static int64_t sp_hw(const tg_tensor *t)
{
    return t->ndim == 4 ? tg__extent(2, t->shape + 2) : sp_w(t);
}

static int64_t pool_out(int64_t H, int64_t k, int64_t s, int64_t p,
                        int64_t d, bool ceil_mode)
{
    int64_t num = H + 2 * p - d * (k - 1) - 1 + (ceil_mode ? s - 1 : 0);
    int64_t o = (num >= 0 ? num / s : -((-num + s - 1) / s)) + 1;
    if (ceil_mode && o > 0 && (o - 1) * s >= H + p) o--;
    return o;
}

static void set_out(tg_tensor *out, const tg_tensor *x, int64_t P, int64_t Q)
{
    out->ndim = x->ndim;
    out->shape[0] = x->shape[0], out->shape[1] = x->shape[1];
    if (x->ndim == 4) out->shape[2] = P, out->shape[3] = Q;
    else out->shape[2] = Q;
}

static tg_status check_rank(tg_graph *g, tg_node *n, const tg_tensor *x,
                            int rank)
{
    char s[TG_SHAPE_BUF];
    if (x->ndim != rank + 2)
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "input must be %d-D %s, got %s", rank + 2,
                           rank == 2 ? "[N, C, H, W]" : "[N, C, L]",
                           tg__fmt_shape(s, x->ndim, x->shape));
    return TG_OK;
}

/* kernel, stride, padding (and dilation) of a windowed pool */
static tg_status check_window(tg_graph *g, tg_node *n, bool dil)
{
    const tg_attrs *a = &n->attr;
    if (a->KH < 1 || a->KW < 1 || a->SH < 1 || a->SW < 1 ||
        (dil && (a->DH < 1 || a->DW < 1)))
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "kernel (%lld, %lld), stride (%lld, %lld)%s must "
                           "be >= 1",
                           (long long)a->KH, (long long)a->KW,
                           (long long)a->SH, (long long)a->SW,
                           dil ? " and dilation" : "");
    for (int k = 0; k < (dil ? 8 : 6); k++)
        if (a->ax[k] > POOL_ATTR_MAX)
            return tg__op_fail(g, n, TG_ERR_ARG,
                               "kernel, stride, padding and dilation must "
                               "be at most 2^30, got %lld",
                               (long long)a->ax[k]);
    if (a->PH < 0 || a->PW < 0 || 2 * a->PH > a->KH || 2 * a->PW > a->KW)
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "padding (%lld, %lld) must be >= 0 and at most "
                           "half the kernel (%lld, %lld)",
                           (long long)a->PH, (long long)a->PW,
                           (long long)a->KH, (long long)a->KW);
    return TG_OK;
}

static tg_status empty_fail(tg_graph *g, tg_node *n, const tg_tensor *x,
                            int64_t P, int64_t Q)
{
    char s[TG_SHAPE_BUF];
    const tg_attrs *a = &n->attr;
    return tg__op_fail(g, n, TG_ERR_SHAPE,
                       "the output would be empty: x %s with kernel (%lld, "
                       "%lld), stride (%lld, %lld), padding (%lld, %lld) "
                       "gives %lld x %lld; hint: the padded input must hold "
                       "one window",
                       tg__fmt_shape(s, x->ndim, x->shape), (long long)a->KH,
                       (long long)a->KW, (long long)a->SH, (long long)a->SW,
                       (long long)a->PH, (long long)a->PW, (long long)P,
                       (long long)Q);
}

/* ------------------------------------------------------------ max pool */

/* The first output index along one axis whose window has no tap inside
 * [0, H) (dilation can step over the whole input: kernel 2, dilation 3,
 * padding 1 on H = 2 taps -1 and 2), or -1 when every window sees x. Such
 * a window has no maximum; PyTorch outputs -inf there and gives it no
 * gradient, and refusing it is the only answer that cannot mislead. */
static int64_t padding_only_window(int64_t H, int64_t P, int64_t k,
                                   int64_t s, int64_t pad, int64_t d)
{
    /* Only a window starting in the left padding can miss x: the output
     * size keeps every start below H (floor: the last tap is at most H +
     * pad - 1 and d (k - 1) >= pad, as pad <= k / 2; ceil_mode drops a
     * window starting at H + pad or later), so at most ceil(pad / s)
     * windows are looked at, never all P of a huge input. */
    for (int64_t p = 0; p < P && p * s < pad; p++) {
        int64_t start = p * s - pad;
        /* the first tap at or after 0 */
        int64_t i = start >= 0 ? 0 : (-start + d - 1) / d;
        if (i >= k || start + i * d >= H) return p;
    }
    return -1;
}

static tg_status maxpool_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    const tg_tensor *x = n->in[0];
    tg_status st;
    if ((st = from_declared(g, n)) ||
        (st = check_rank(g, n, x, pool_rank(n->op))) ||
        (st = check_window(g, n, true)))
        return st;
    const tg_attrs *a = &n->attr;
    int64_t P = pool_out(sp_h(x), a->KH, a->SH, a->PH, a->DH, a->CEIL);
    int64_t Q = pool_out(sp_w(x), a->KW, a->SW, a->PW, a->DW, a->CEIL);
    if (P < 1 || Q < 1) return empty_fail(g, n, x, P, Q);
    int64_t ph = padding_only_window(sp_h(x), P, a->KH, a->SH, a->PH, a->DH);
    int64_t pw = padding_only_window(sp_w(x), Q, a->KW, a->SW, a->PW, a->DW);
    if (ph >= 0 || pw >= 0) {
        char s[TG_SHAPE_BUF];
        bool on_w = ph < 0;
        int64_t k = on_w ? a->KW : a->KH, st = on_w ? a->SW : a->SH;
        int64_t pad = on_w ? a->PW : a->PH, d = on_w ? a->DW : a->DH;
        int64_t at = on_w ? pw : ph;
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "x %s: window %lld along %s (kernel %lld, stride "
                           "%lld, padding %lld, dilation %lld) lies entirely "
                           "in the padding and has no maximum; hint: lower "
                           "the padding or the dilation",
                           tg__fmt_shape(s, x->ndim, x->shape),
                           (long long)at,
                           x->ndim == 3 ? "L" : on_w ? "W" : "H",
                           (long long)k, (long long)st, (long long)pad,
                           (long long)d);
    }
    if (x->dtype == TG_F32 && sp_hw(x) > (1 << 24)) {
        char s[TG_SHAPE_BUF];
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "x %s: f32 planes are limited to 2^24 elements "
                           "(the argmax is kept in f32); hint: use f64",
                           tg__fmt_shape(s, x->ndim, x->shape));
    }
    set_out(out, x, P, Q);
    return TG_OK;
}

#define MAXPOOL(T)                                                          \
    static void maxpool_##T(const tg_attrs *a, int64_t planes, int64_t H,  \
                            int64_t W, int64_t P, int64_t Q, T *y, T *idx, \
                            const T *x)                                    \
    {                                                                      \
        for (int64_t pl = 0; pl < planes; pl++) {                          \
            const T *xp = x + pl * H * W;                                  \
            for (int64_t p = 0; p < P; p++)                                \
                for (int64_t q = 0; q < Q; q++) {                          \
                    T best = -INFINITY;                                    \
                    int64_t at = -1;                                       \
                    for (int64_t i = 0; i < a->KH; i++) {                  \
                        int64_t h = p * a->SH - a->PH + i * a->DH;         \
                        if (h < 0 || h >= H) continue;                     \
                        for (int64_t j = 0; j < a->KW; j++) {              \
                            int64_t w = q * a->SW - a->PW + j * a->DW;     \
                            if (w < 0 || w >= W) continue;                 \
                            T v = xp[h * W + w];                           \
                            if (at < 0 || v > best || isnan(v))            \
                                best = v, at = h * W + w;                  \
                        }                                                  \
                    }                                                      \
                    /* at >= 0: the shape rule refuses windows of     \
                       padding only */                                  \
                    y[(pl * P + p) * Q + q] = best;                        \
                    idx[(pl * P + p) * Q + q] = (T)at;                     \
                }                                                          \
        }                                                                  \
    }
MAXPOOL(float)
MAXPOOL(double)

/* The common 2x2 window at stride 2, no padding, no dilation, every
 * window inside x (floor mode, or ceil mode on even sizes): no bounds
 * checks, and no branches, so that the loop over an output row runs in
 * vector lanes (a branch per tap on unordered data mispredicts about
 * half the time). The update rule is the general loop's, in the same tap
 * order (row-major): a tap replaces the best so far when it is larger or
 * NaN, so the first maximum (and the last NaN) wins exactly as there.
 * The index is built in T: exact, as an f32 plane holds at most 2^24
 * elements (the shape rule) and is_pool22 bounds an f64 one by 2^31. */
#define MAXPOOL22(T)                                                       \
    static void maxpool22_##T(int64_t planes, int64_t H, int64_t W,        \
                              int64_t P, int64_t Q, T *y, T *idx,          \
                              const T *x)                                  \
    {                                                                      \
        _Pragma("omp parallel for if (planes * H * W > TG_PAR_MIN)")       \
        for (int64_t pl = 0; pl < planes; pl++) {                          \
            const T *xp = x + pl * H * W;                                  \
            T *yp = y + pl * P * Q, *ip = idx + pl * P * Q;                \
            const T w = (T)W;                                              \
            for (int64_t p = 0; p < P; p++) {                              \
                const T *r0 = xp + 2 * p * W, *r1 = r0 + W;                \
                const T base = (T)(2 * p * W);                             \
                T *yr = yp + p * Q, *ir = ip + p * Q;                      \
                int nq = (int)Q;                                           \
                _Pragma("omp simd")                                        \
                for (int q = 0; q < nq; q++) {                             \
                    T v0 = r0[2 * q], v1 = r0[2 * q + 1];                  \
                    T v2 = r1[2 * q], v3 = r1[2 * q + 1];                  \
                    T best = v0, off = 0;                                  \
                    bool m = (v1 > best) | (v1 != v1);                     \
                    best = m ? v1 : best, off = m ? (T)1 : off;            \
                    m = (v2 > best) | (v2 != v2);                          \
                    best = m ? v2 : best, off = m ? w : off;               \
                    m = (v3 > best) | (v3 != v3);                          \
                    best = m ? v3 : best, off = m ? w + 1 : off;           \
                    yr[q] = best;                                          \
                    ir[q] = base + (T)(2 * q) + off;                       \
                }                                                          \
            }                                                              \
        }                                                                  \
    }
/* GCC keeps the branches of a floating-point comparison unless it may
 * assume that comparisons raise no trap (it does not look at FP
 * exception flags here, and NaNs keep their meaning: this is not
 * -ffast-math); clang if-converts them as they are. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("no-trapping-math")
#endif
MAXPOOL22(float)
MAXPOOL22(double)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif

static bool is_pool22(const tg_attrs *a, int64_t H, int64_t W, int64_t P,
                      int64_t Q)
{
    return a->KH == 2 && a->KW == 2 && a->SH == 2 && a->SW == 2 &&
           a->PH == 0 && a->PW == 0 && a->DH == 1 && a->DW == 1 &&
           W > 0 && 2 * P <= H && 2 * Q <= W && H <= INT32_MAX / W;
}

static tg_status maxpool_fwd(tg_graph *g, tg_node *n)
{
    const tg_tensor *x = n->in[0];
    tg_tensor *y = n->out;
    int64_t planes = tg__extent(2, x->shape);
    int64_t P = sp_h(y), Q = sp_w(y);
    maxpool_ctx *c = tg__scratch(g, n, sizeof *c);
    if (!c) return g->status;
    c->argmax = tg__const_tensor(g, x->dtype, 2,
                                 (int64_t[]){planes, sp_hw(y)},
                                 "tg_max_pool");
    if (!c->argmax) return g->status;
    n->ctx = c;
    int64_t H = sp_h(x), W = sp_w(x);
    if (is_pool22(&n->attr, H, W, P, Q)) {
        if (x->dtype == TG_F32)
            maxpool22_float(planes, H, W, P, Q, y->data, c->argmax->data,
                            x->data);
        else
            maxpool22_double(planes, H, W, P, Q, y->data, c->argmax->data,
                             x->data);
    } else if (x->dtype == TG_F32)
        maxpool_float(&n->attr, planes, sp_h(x), sp_w(x), P, Q, y->data,
                      c->argmax->data, x->data);
    else
        maxpool_double(&n->attr, planes, sp_h(x), sp_w(x), P, Q, y->data,
                       c->argmax->data, x->data);
    return TG_OK;
}

static void maxpool_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                        const bool *need, tg_tensor **gx)
{
    (void)g, (void)need;
    const tg_tensor *x = n->in[0];
    maxpool_ctx *c = n->ctx;
    int64_t planes = tg__extent(2, x->shape), HW = sp_hw(x);
    tg_tensor *g2 = tg_reshape(gy, TG_SHAPE(planes, sp_hw(gy)));
    tg_tensor *s = tg_scatter_add(g2, TG_SHAPE(planes, HW), 1, c->argmax);
    gx[0] = tg_reshape(s, x->ndim, x->shape);
}

/* ------------------------------------------------------- average pools */

/* Window [lo, hi) of output i along one axis (in -> out), and its size
 * clipped to the padded input (the count_include_pad divisor). */
static void avg_win(const tg_attrs *a, int axis, int64_t i, int64_t in,
                    int64_t out, int64_t *lo, int64_t *hi, int64_t *padded)
{
    if (a->ADAPTIVE) {
        *lo = i * in / out;
        *hi = ((i + 1) * in + out - 1) / out;
        *padded = *hi - *lo;
        return;
    }
    int64_t k = axis ? a->KW : a->KH, s = axis ? a->SW : a->SH;
    int64_t p = axis ? a->PW : a->PH;
    int64_t l = i * s - p, h = l + k;
    if (h > in + p) h = in + p;
    *padded = h - l;
    *lo = l < 0 ? 0 : l;
    *hi = h > in ? in : h;
}

/* forward (adjoint == false): y[p,q] = sum x[window] / divisor
 * backward (adjoint == true): x[window] += y[p,q] / divisor, x zeroed */
#define AVGPOOL(T)                                                         \
    static void avgpool_##T(const tg_attrs *a, bool adjoint,               \
                            int64_t planes, int64_t H, int64_t W,          \
                            int64_t P, int64_t Q, T *x, T *y)              \
    {                                                                      \
        if (planes == 0) return; /* P x Q may be huge, nothing to do */ \
        if (adjoint) memset(x, 0, (size_t)(planes * H * W) * sizeof(T));  \
        for (int64_t p = 0; p < P; p++) {                                  \
            int64_t h0, h1, hp;                                            \
            avg_win(a, 0, p, H, P, &h0, &h1, &hp);                         \
            for (int64_t q = 0; q < Q; q++) {                              \
                int64_t w0, w1, wp;                                        \
                avg_win(a, 1, q, W, Q, &w0, &w1, &wp);                     \
                int64_t cnt = a->EXCLUDE_PAD || a->ADAPTIVE                \
                                  ? (h1 - h0) * (w1 - w0)                  \
                                  : hp * wp;                               \
                T inv = cnt > 0 ? (T)1 / (T)cnt : (T)0;                    \
                for (int64_t pl = 0; pl < planes; pl++) {                  \
                    T *xp = x + pl * H * W, *yp = y + (pl * P + p) * Q + q;  \
                    if (adjoint) {                                         \
                        T v = *yp * inv;                                   \
                        for (int64_t h = h0; h < h1; h++)                  \
                            for (int64_t w = w0; w < w1; w++)              \
                                xp[h * W + w] += v;                        \
                    } else {                                               \
                        T s = 0;                                           \
                        for (int64_t h = h0; h < h1; h++)                  \
                            for (int64_t w = w0; w < w1; w++)              \
                                s += xp[h * W + w];                        \
                        *yp = s * inv;                                     \
                    }                                                      \
                }                                                          \
            }                                                              \
        }                                                                  \
    }
AVGPOOL(float)
AVGPOOL(double)

static tg_status avgpool_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    const tg_tensor *x = n->in[0];
    tg_status st;
    if ((st = from_declared(g, n)) ||
        (st = check_rank(g, n, x, pool_rank(n->op))))
        return st;
    n->attr.ADAPTIVE = is_adaptive(n->op);
    const tg_attrs *a = &n->attr;
    if (sp_h(x) > POOL_ATTR_MAX || sp_w(x) > POOL_ATTR_MAX) {
        char s[TG_SHAPE_BUF];
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "x %s: spatial extents are limited to 2^30; hint: "
                           "the gradient (avg_pool_backward) takes the input "
                           "size as an attribute, which has that bound",
                           tg__fmt_shape(s, x->ndim, x->shape));
    }
    if (a->ADAPTIVE) {
        if (a->OTHER_H < 1 || a->OTHER_W < 1 || a->OTHER_H > POOL_ATTR_MAX ||
            a->OTHER_W > POOL_ATTR_MAX)
            return tg__op_fail(g, n, TG_ERR_ARG,
                               "output size (%lld, %lld) must be >= 1 (and "
                               "at most 2^30)",
                               (long long)a->OTHER_H, (long long)a->OTHER_W);
        char s[TG_SHAPE_BUF];
        if (sp_h(x) < 1 || sp_w(x) < 1)
            return tg__op_fail(g, n, TG_ERR_SHAPE,
                               "x %s has an empty spatial extent; hint: "
                               "every output averages at least one element",
                               tg__fmt_shape(s, x->ndim, x->shape));
        set_out(out, x, a->OTHER_H, a->OTHER_W);
        return TG_OK;
    }
    if ((st = check_window(g, n, false))) return st;
    int64_t P = pool_out(sp_h(x), a->KH, a->SH, a->PH, 1, a->CEIL);
    int64_t Q = pool_out(sp_w(x), a->KW, a->SW, a->PW, 1, a->CEIL);
    if (P < 1 || Q < 1) return empty_fail(g, n, x, P, Q);
    set_out(out, x, P, Q);
    return TG_OK;
}

static tg_status avgpool_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    const tg_tensor *x = n->in[0];
    tg_tensor *y = n->out;
    int64_t planes = tg__extent(2, x->shape);
    if (x->dtype == TG_F32)
        avgpool_float(&n->attr, false, planes, sp_h(x), sp_w(x), sp_h(y),
                      sp_w(y), x->data, y->data);
    else
        avgpool_double(&n->attr, false, planes, sp_h(x), sp_w(x), sp_h(y),
                       sp_w(y), x->data, y->data);
    return TG_OK;
}

/* avg_pool_backward(gy): attrs of the pool with OTHER = the input size */
static tg_status avgbw_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    const tg_tensor *gy = n->in[0];
    const tg_attrs *a = &n->attr;
    char s[TG_SHAPE_BUF];
    tg_status st;
    if (gy->ndim != 3 && gy->ndim != 4)
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "the gradient must be [N, C, L] or [N, C, H, W], "
                           "got %s",
                           tg__fmt_shape(s, gy->ndim, gy->shape));
    if (a->nax != BW_GEOMETRY)
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "geometry must hold %d values (kernel, stride, "
                           "padding, input size; each H then W, H = 1 for "
                           "1-D), got %d",
                           BW_GEOMETRY, a->nax);
    if (!a->ADAPTIVE && (st = check_window(g, n, false))) return st;
    if (a->OTHER_H < 1 || a->OTHER_W < 1 || a->OTHER_H > POOL_ATTR_MAX ||
        a->OTHER_W > POOL_ATTR_MAX || (gy->ndim == 3 && a->OTHER_H != 1))
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "input size (%lld, %lld) must be >= 1 (and at "
                           "most 2^30; 1 x L for 1-D)",
                           (long long)a->OTHER_H, (long long)a->OTHER_W);
    if (!a->ADAPTIVE) {
        /* the windows are clipped to the input either way; a gradient
         * that is not the pool's output size is refused, not spread */
        int64_t P = pool_out(a->OTHER_H, a->KH, a->SH, a->PH, 1, a->BW_CEIL);
        int64_t Q = pool_out(a->OTHER_W, a->KW, a->SW, a->PW, 1, a->BW_CEIL);
        if (sp_h(gy) != P || sp_w(gy) != Q)
            return tg__op_fail(g, n, TG_ERR_SHAPE,
                               "the gradient %s is not the pool's output "
                               "size %lld x %lld for input %lld x %lld; "
                               "hint: check the geometry and ceil_mode",
                               tg__fmt_shape(s, gy->ndim, gy->shape),
                               (long long)P, (long long)Q,
                               (long long)a->OTHER_H, (long long)a->OTHER_W);
    }
    set_out(out, gy, a->OTHER_H, a->OTHER_W);
    return TG_OK;
}

static tg_status avgbw_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    const tg_tensor *gy = n->in[0];
    tg_tensor *x = n->out;
    int64_t planes = tg__extent(2, gy->shape);
    if (x->dtype == TG_F32)
        avgpool_float(&n->attr, true, planes, sp_h(x), sp_w(x), sp_h(gy),
                      sp_w(gy), x->data, (float *)gy->data);
    else
        avgpool_double(&n->attr, true, planes, sp_h(x), sp_w(x), sp_h(gy),
                       sp_w(gy), x->data, (double *)gy->data);
    return TG_OK;
}

static void avgpool_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                        const bool *need, tg_tensor **gx)
{
    (void)g, (void)need;
    const tg_tensor *x = n->in[0];
    const tg_attrs *p = &n->attr;
    tg_attrs a = {0};
    memcpy(a.ax, p->ax, 6 * sizeof a.ax[0]); /* kernel, stride, padding */
    a.OTHER_H = sp_h(x), a.OTHER_W = sp_w(x);
    a.nax = BW_GEOMETRY;
    a.BW_CEIL = p->CEIL;
    a.EXCLUDE_PAD = p->EXCLUDE_PAD, a.ADAPTIVE = p->ADAPTIVE;
    gx[0] = tg__apply1(TG_OP_avg_pool_backward, gy, &a);
}

static void avgbw_vjp(tg_graph *g, tg_node *n, tg_tensor *gg,
                      const bool *need, tg_tensor **gx)
{
    (void)g, (void)need;
    const tg_tensor *gy = n->in[0];
    const tg_attrs *b = &n->attr;
    tg_attrs a = {0};
    int r = gy->ndim - 2;
    bool adaptive = b->ADAPTIVE != 0;
    int op = adaptive ? (r == 2 ? TG_OP_adaptive_avg_pool2d
                                : TG_OP_adaptive_avg_pool1d)
                      : (r == 2 ? TG_OP_avg_pool2d : TG_OP_avg_pool1d);
    memcpy(a.ax, b->ax, 6 * sizeof a.ax[0]); /* kernel, stride, padding */
    a.OTHER_H = sp_h(gy), a.OTHER_W = sp_w(gy);
    a.CEIL = b->BW_CEIL;
    a.EXCLUDE_PAD = b->EXCLUDE_PAD, a.ADAPTIVE = adaptive;
    /* the pool's declared attributes, as its C function sets them */
    if (!adaptive) set_declared(&a, r);
    else if (r == 2) a.i[0] = a.OTHER_H, a.i[1] = a.OTHER_W;
    else a.i[0] = a.OTHER_W;
    gx[0] = tg__apply1(op, gg, &a);
}

/* ---------------------------------------------------------- descriptors */

#define POOL_ATTRS                                                         \
    {{"kernel", TG_ATTR_I64, 0, true}, {"stride", TG_ATTR_I64, 0},           \
     {"padding", TG_ATTR_I64, 0}, {"ceil_mode", TG_ATTR_BOOL, 0}}

TG_BUILTIN_OP(max_pool1d,
    .n_inputs = 1, .flags = TG_OPF_NONSMOOTH, .attrs = POOL_ATTRS,
    .shape = maxpool_shape, .forward = maxpool_fwd, .vjp = maxpool_vjp,
    .cases = "max_pool1d(x, kernel=3, stride=2, padding=1) | x=2x3x7");
TG_BUILTIN_OP(max_pool2d,
    .n_inputs = 1, .flags = TG_OPF_NONSMOOTH, .attrs = POOL_ATTRS,
    .shape = maxpool_shape, .forward = maxpool_fwd, .vjp = maxpool_vjp,
    .cases = "max_pool2d(x, kernel=2) | x=2x3x4x6; max_pool2d(x, kernel=3, "
             "stride=2, padding=1, ceil_mode=1) | x=1x2x7x5");
TG_BUILTIN_OP(avg_pool1d,
    .n_inputs = 1, .attrs = POOL_ATTRS,
    .shape = avgpool_shape, .forward = avgpool_fwd, .vjp = avgpool_vjp,
    .cases = "avg_pool1d(x, kernel=3, stride=2, padding=1) | x=2x3x8");
TG_BUILTIN_OP(avg_pool2d,
    .n_inputs = 1, .attrs = POOL_ATTRS,
    .shape = avgpool_shape, .forward = avgpool_fwd, .vjp = avgpool_vjp,
    .cases = "avg_pool2d(x, kernel=3, stride=2, padding=1, ceil_mode=1) | "
             "x=2x2x6x7");
TG_BUILTIN_OP(adaptive_avg_pool1d,
    .n_inputs = 1, .attrs = {{"size", TG_ATTR_I64, 0, true}},
    .shape = avgpool_shape, .forward = avgpool_fwd, .vjp = avgpool_vjp,
    .cases = "adaptive_avg_pool1d(x, size=3) | x=2x3x7");
TG_BUILTIN_OP(adaptive_avg_pool2d,
    .n_inputs = 1,
    .attrs = {{"h", TG_ATTR_I64, 0, true}, {"w", TG_ATTR_I64, 0, true}},
    .shape = avgpool_shape, .forward = avgpool_fwd, .vjp = avgpool_vjp,
    .cases = "adaptive_avg_pool2d(x, h=3, w=2) | x=2x2x5x7; "
             "adaptive_avg_pool2d(x, h=1, w=1) | x=2x3x4x4");
/* the avg pools' VJP */
TG_BUILTIN_OP(avg_pool_backward,
    .n_inputs = 1,
    .attrs = {{"geometry", TG_ATTR_SHAPE, 0, true},
              {"ceil_mode", TG_ATTR_BOOL, 0},
              {"exclude_pad", TG_ATTR_REAL, 0},
              {"adaptive", TG_ATTR_REAL, 0}},
    .shape = avgbw_shape, .forward = avgbw_fwd, .vjp = avgbw_vjp,
    .cases = "avg_pool_backward(g, geometry=[1, 3, 1, 2, 0, 1, 1, 8]) | "
             "g=2x3x4; avg_pool_backward(g, geometry=[2, 3, 2, 1, 1, 1, 5, "
             "4], exclude_pad=1) | g=1x2x3x4; avg_pool_backward(g, "
             "geometry=[2, 2, 2, 2, 0, 0, 5, 5], ceil_mode=1) | g=1x1x3x3; "
             "avg_pool_backward(g, geometry=[0, 0, 0, 0, 0, 0, 3, 5], "
             "adaptive=1) | g=2x1x2x3");

/* ------------------------------------------------------------ wrappers */

static int64_t dflt(int64_t v, int64_t d) { return v ? v : d; }

/* 1-D options live in index 0; the H axis of a 1-D pool is a unit one. */
static tg_attrs pool_attrs(int rank, const tg_pool_opts *o)
{
    tg_attrs a = {0};
    tg_pool_opts z = {0};
    if (!o) o = &z;
    int h = 0, w = rank == 2 ? 1 : 0;
    a.KH = rank == 2 ? o->kernel[h] : 1;
    a.KW = o->kernel[w];
    a.SH = rank == 2 ? dflt(o->stride[h], a.KH) : 1;
    a.SW = dflt(o->stride[w], a.KW);
    a.PH = rank == 2 ? o->padding[h] : 0;
    a.PW = o->padding[w];
    a.CEIL = o->ceil_mode;
    a.EXCLUDE_PAD = o->exclude_pad;
    set_declared(&a, rank);
    return a;
}

tg_tensor *tg_max_pool2d(tg_tensor *x, const tg_pool_opts *o)
{
    tg_attrs a = pool_attrs(2, o);
    a.DH = o ? dflt(o->dilation[0], 1) : 1;
    a.DW = o ? dflt(o->dilation[1], 1) : 1;
    return tg__apply1(TG_OP_max_pool2d, x, &a);
}

tg_tensor *tg_max_pool1d(tg_tensor *x, const tg_pool_opts *o)
{
    tg_attrs a = pool_attrs(1, o);
    a.DH = 1;
    a.DW = o ? dflt(o->dilation[0], 1) : 1;
    return tg__apply1(TG_OP_max_pool1d, x, &a);
}

tg_tensor *tg_avg_pool2d(tg_tensor *x, const tg_pool_opts *o)
{
    tg_attrs a = pool_attrs(2, o);
    return tg__apply1(TG_OP_avg_pool2d, x, &a);
}

tg_tensor *tg_avg_pool1d(tg_tensor *x, const tg_pool_opts *o)
{
    tg_attrs a = pool_attrs(1, o);
    return tg__apply1(TG_OP_avg_pool1d, x, &a);
}

tg_tensor *tg_adaptive_avg_pool2d(tg_tensor *x, int64_t out_h, int64_t out_w)
{
    tg_attrs a = {0};
    a.ADAPTIVE = 1;
    a.OTHER_H = out_h, a.OTHER_W = out_w;
    a.i[0] = out_h, a.i[1] = out_w;
    return tg__apply1(TG_OP_adaptive_avg_pool2d, x, &a);
}

tg_tensor *tg_adaptive_avg_pool1d(tg_tensor *x, int64_t out_len)
{
    tg_attrs a = {0};
    a.ADAPTIVE = 1;
    a.OTHER_H = 1, a.OTHER_W = out_len;
    a.i[0] = out_len;
    return tg__apply1(TG_OP_adaptive_avg_pool1d, x, &a);
}
