/* concat, slice and slice_backward: block copies along one axis.
 *
 * Legend: along `axis` a tensor is [outer, len, inner].
 *   concat(x_1..x_k, axis)           y = [x_1 | x_2 | ... | x_k]
 *   slice(x, axis, start, stop, step) y = x[..., start:stop:step, ...]
 *   slice_backward(g, shape, axis, start, step)
 *                                    z = zeros(shape); z[..., start::step
 *                                        (len g), ...] = g
 * VJPs (all linear):
 *   concat:          dx_i = slice(g, axis, off_i, off_i + len_i, 1)
 *   slice:           slice_backward(g, x.shape, axis, start, step)
 *   slice_backward:  slice(h, axis, start, start + len*step, step)
 * Nothing is saved. slice follows Python: negative bounds count from the
 * end, out-of-range bounds clamp, an empty range gives extent 0.
 */
#include "ops/array.h"

#define AXIS i[0]
#define START i[1] /* slice: start, normalised by the shape rule */
#define STOP i[3]  /* slice: stop (as given)                      */
#define STEP i[2]  /* slice, slice_backward: step > 0             */
/* slice_backward: ax[0..nax-1] is the output shape, START its start;
 * nax == -1 marks an ndim outside 0..TG_MAX_DIMS (or a NULL shape), the
 * STOP slot keeps it for the message. */
#define REQ_NDIM i[3]

/* ---------------------------------------------------------------- concat */

static tg_status concat_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    const tg_tensor *x0 = n->in[0];
    char s1[TG_SHAPE_BUF], s2[TG_SHAPE_BUF];
    if (x0->ndim == 0)
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "cannot concatenate 0-d tensors; hint: reshape "
                           "them to [1]");
    int64_t a = n->attr.AXIS;
    tg_status st = tg__axis_rule(g, n, x0, &a);
    if (st != TG_OK) return st;
    n->attr.AXIS = a;
    int64_t total = 0;
    for (int k = 0; k < n->n_in; k++) {
        const tg_tensor *x = n->in[k];
        int bad = x->ndim != x0->ndim ? -1 : -2;
        for (int d = 0; bad == -2 && d < x0->ndim; d++)
            if (d != a && x->shape[d] != x0->shape[d]) bad = d;
        if (bad != -2)
            return tg__op_fail(g, n, TG_ERR_SHAPE,
                               "input %d %s does not match input 1 %s; hint: "
                               "all extents but axis %lld must agree",
                               k + 1, tg__fmt_shape(s1, x->ndim, x->shape),
                               tg__fmt_shape(s2, x0->ndim, x0->shape),
                               (long long)a);
        if (__builtin_add_overflow(total, x->shape[a], &total))
            return tg__op_fail(g, n, TG_ERR_SHAPE,
                               "the extents along axis %lld add up to more "
                               "than 2^63 (input %d %s)",
                               (long long)a, k + 1,
                               tg__fmt_shape(s1, x->ndim, x->shape));
    }
    out->ndim = x0->ndim;
    memcpy(out->shape, x0->shape, sizeof out->shape);
    out->shape[a] = total;
    return TG_OK;
}

static tg_status concat_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    tg_tensor *y = n->out;
    int a = (int)n->attr.AXIS;
    if (y->numel == 0) return TG_OK; /* outer may be huge, rows empty */
    tg_axis3 s = tg__axis3(y, a);
    size_t es = tg__dsize(y->dtype);
    char *dst = y->data;
    int64_t row = s.len * s.inner; /* elements of y per outer index */
    int64_t off = 0;
    for (int k = 0; k < n->n_in; k++) {
        const tg_tensor *x = n->in[k];
        int64_t blk = x->shape[a] * s.inner;
        const char *src = x->data;
        for (int64_t o = 0; o < s.outer; o++)
            memcpy(dst + (size_t)(o * row + off) * es,
                   src + (size_t)(o * blk) * es, (size_t)blk * es);
        off += blk;
    }
    return TG_OK;
}

static void concat_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                       const bool *need, tg_tensor **gx)
{
    (void)g;
    int a = (int)n->attr.AXIS;
    int64_t off = 0;
    for (int k = 0; k < n->n_in; k++) {
        int64_t len = n->in[k]->shape[a];
        if (need[k]) gx[k] = tg_slice(gy, a, off, off + len, 1);
        off += len;
    }
}

/* ----------------------------------------------------------------- slice */

/* Python's slice.indices for step > 0: (start, length). */
static void py_range(int64_t n, int64_t start, int64_t stop, int64_t step,
                     int64_t *s0, int64_t *len)
{
    if (start < 0) start = start + n < 0 ? 0 : start + n;
    if (start > n) start = n;
    if (stop < 0) stop = stop + n < 0 ? 0 : stop + n;
    if (stop > n) stop = n;
    *s0 = start;
    *len = stop > start ? (stop - start - 1) / step + 1 : 0;
}

static tg_status slice_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    const tg_tensor *x = n->in[0];
    char sb[TG_SHAPE_BUF];
    if (x->ndim == 0)
        return tg__op_fail(g, n, TG_ERR_SHAPE, "cannot slice a 0-d tensor");
    int64_t a = n->attr.AXIS;
    tg_status st = tg__axis_rule(g, n, x, &a);
    if (st != TG_OK) return st;
    if (n->attr.STEP <= 0)
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "step must be > 0, got %lld (slicing %s along axis "
                           "%lld); hint: to reverse an axis, index_select "
                           "it with descending indices",
                           (long long)n->attr.STEP,
                           tg__fmt_shape(sb, x->ndim, x->shape), (long long)a);
    int64_t s0, len;
    py_range(x->shape[a], n->attr.START, n->attr.STOP, n->attr.STEP, &s0,
             &len);
    n->attr.AXIS = a;
    n->attr.START = s0;
    out->ndim = x->ndim;
    memcpy(out->shape, x->shape, sizeof out->shape);
    out->shape[a] = len;
    return TG_OK;
}

/* Copy the strided rows: dst[o, k, :] <-> src[o, start + k step, :].
 * With step 1 the len rows of one outer index are one run on both sides,
 * copied at once: a slice along the last axis (inner = 1) would otherwise
 * make one call per element. */
static void strided_copy(char *big, char *small, tg_axis3 bs, int64_t len,
                         int64_t start, int64_t step, size_t es, bool to_small)
{
    size_t blk = (size_t)bs.inner * es;
    if (len == 0 || blk == 0) return; /* bs.outer may be huge then */
    if (step == 1) {
        size_t run = blk * (size_t)len;
        for (int64_t o = 0; o < bs.outer; o++) {
            char *b = big + (size_t)((o * bs.len + start) * bs.inner) * es;
            char *s = small + (size_t)o * run;
            if (to_small) memcpy(s, b, run);
            else memcpy(b, s, run);
        }
        return;
    }
    for (int64_t o = 0; o < bs.outer; o++)
        for (int64_t k = 0; k < len; k++) {
            int64_t row = o * bs.len + start + k * step;
            char *b = big + (size_t)(row * bs.inner) * es;
            char *s = small + (size_t)((o * len + k) * bs.inner) * es;
            if (to_small) memcpy(s, b, blk);
            else memcpy(b, s, blk);
        }
}

static tg_status slice_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    const tg_tensor *x = n->in[0];
    int a = (int)n->attr.AXIS;
    strided_copy(x->data, n->out->data, tg__axis3(x, a), n->out->shape[a],
                 n->attr.START, n->attr.STEP, tg__dsize(x->dtype), true);
    return TG_OK;
}

/* acc += the gradient of slice node n for output gradient gy, in place:
 * only the sliced rows of acc (x's shape, contiguous) change. The backward
 * pass uses it instead of the VJP when it records nothing and x's
 * accumulator is its own buffer, so the gradients of n slices of one
 * tensor (unbind, split, chunk, a loop over time steps) cost n slices'
 * worth of additions rather than n tensors of x's full size. False, and
 * acc untouched, when it does not apply. */
/* acc[big, big + count) += gy[small, small + count) */
static void add_block(tg_tensor *acc, const tg_tensor *gy, int64_t big,
                      int64_t small, int64_t count)
{
    if (gy->dtype == TG_F32) {
        float *d = (float *)acc->data + big;
        const float *src = (const float *)gy->data + small;
        for (int64_t i = 0; i < count; i++) d[i] += src[i];
    } else {
        double *d = (double *)acc->data + big;
        const double *src = (const double *)gy->data + small;
        for (int64_t i = 0; i < count; i++) d[i] += src[i];
    }
}

bool tg__slice_add_into(const tg_node *n, const tg_tensor *gy, tg_tensor *acc)
{
    const tg_tensor *x = n->in[0];
    if (n->op != &tg_op_slice || acc->dtype != gy->dtype ||
        (gy->dtype != TG_F32 && gy->dtype != TG_F64) || acc->ndim != x->ndim ||
        gy->ndim != x->ndim)
        return false;
    for (int d = 0; d < x->ndim; d++)
        if (acc->shape[d] != x->shape[d]) return false;
    int a = (int)n->attr.AXIS;
    tg_axis3 bs = tg__axis3(x, a);
    int64_t len = gy->shape[a], s0 = n->attr.START, step = n->attr.STEP;
    if (len == 0 || bs.inner == 0) return true; /* bs.outer may be huge */
    for (int64_t o = 0; o < bs.outer; o++) {
        if (step == 1) { /* the len rows are one run on both sides */
            add_block(acc, gy, (o * bs.len + s0) * bs.inner,
                      o * len * bs.inner, len * bs.inner);
            continue;
        }
        for (int64_t k = 0; k < len; k++)
            add_block(acc, gy, (o * bs.len + s0 + k * step) * bs.inner,
                      (o * len + k) * bs.inner, bs.inner);
    }
    return true;
}

static void slice_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                      const bool *need, tg_tensor **gx)
{
    (void)g, (void)need;
    const tg_tensor *x = n->in[0];
    gx[0] = tg_slice_backward(gy, x->ndim, x->shape, (int)n->attr.AXIS,
                              n->attr.START, n->attr.STEP);
}

static tg_status slice_bw_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    const tg_tensor *gy = n->in[0];
    char s1[TG_SHAPE_BUF], s2[TG_SHAPE_BUF];
    int nd = n->attr.nax;
    int64_t a = n->attr.AXIS, s0 = n->attr.START, step = n->attr.STEP;
    if (nd < 0)
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "ndim %lld outside 0..%d (or the shape is NULL) "
                           "for gradient %s",
                           (long long)n->attr.REQ_NDIM, TG_MAX_DIMS,
                           tg__fmt_shape(s1, gy->ndim, gy->shape));
    bool ok = nd == gy->ndim && nd > 0 && tg__norm_axis(&a, nd) && step > 0;
    for (int d = 0; ok && d < nd; d++)
        ok = n->attr.ax[d] >= 0 && (d == a || gy->shape[d] == n->attr.ax[d]);
    if (ok) {
        /* the last row s0 + (len-1) step must lie below ax[a], written
         * without forming that sum: it need not fit in 64 bits */
        int64_t len = gy->shape[a], ext = n->attr.ax[a];
        ok = s0 >= 0 && (len == 0 ? s0 <= ext
                                  : s0 < ext &&
                                        len - 1 <= (ext - 1 - s0) / step);
    }
    if (!ok)
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "gradient %s is not a slice of %s along axis %lld "
                           "from %lld step %lld",
                           tg__fmt_shape(s1, gy->ndim, gy->shape),
                           tg__fmt_shape(s2, nd, n->attr.ax),
                           (long long)n->attr.AXIS, (long long)s0,
                           (long long)step);
    n->attr.AXIS = a;
    out->ndim = nd;
    for (int d = 0; d < nd; d++) out->shape[d] = n->attr.ax[d];
    return TG_OK;
}

static tg_status slice_bw_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    tg_tensor *z = n->out;
    int a = (int)n->attr.AXIS;
    size_t es = tg__dsize(z->dtype);
    memset(z->data, 0, (size_t)z->numel * es);
    strided_copy(z->data, n->in[0]->data, tg__axis3(z, a), n->in[0]->shape[a],
                 n->attr.START, n->attr.STEP, es, false);
    return TG_OK;
}

static void slice_bw_vjp(tg_graph *g, tg_node *n, tg_tensor *h,
                         const bool *need, tg_tensor **gx)
{
    (void)g, (void)need;
    int a = (int)n->attr.AXIS;
    int64_t s0 = n->attr.START, step = n->attr.STEP;
    int64_t len = n->in[0]->shape[a];
    gx[0] = tg_slice(h, a, s0, len ? s0 + (len - 1) * step + 1 : s0, step);
}

/* ---------------------------------------------------------- descriptors */

TG_BUILTIN_OP(concat,
    .n_inputs = 1,
    .flags = TG_OPF_ANY_DTYPE,
    .max_inputs = TG_OP_MANY,
    .attrs = {{"axis", TG_ATTR_INT}},
    .shape = concat_shape,
    .forward = concat_fwd,
    .vjp = concat_vjp,
    .cases = "concat(a, b, axis=0) | a=2x3 b=4x3; concat(a, b, c, axis=1) | a=2x1x2 "
        "b=2x3x2 c=2x2x2; concat(a, b, axis=-1) | a=3 b=2");
TG_BUILTIN_OP(slice,
    .n_inputs = 1,
    .flags = TG_OPF_ANY_DTYPE,
    /* stop's default 2^63 reads as INT64_MAX (I64 defaults saturate):
     * to the end, as tg_slice documents */
    .attrs = {{"axis", TG_ATTR_INT},
              {"start", TG_ATTR_I64},
              {"step", TG_ATTR_I64, 1},
              {"stop", TG_ATTR_I64, 0x1p63}},
    .shape = slice_shape,
    .forward = slice_fwd,
    .vjp = slice_vjp,
    .cases = "slice(x, axis=1, start=1, stop=4, step=2) | x=3x5; "
        "slice(x, axis=0, start=-3, stop=100, step=1) | x=4x2; "
        "slice(x, axis=-1, start=0, stop=-1, step=3) | x=2x2x7");
TG_BUILTIN_OP(slice_backward,
    .n_inputs = 1,
    .attrs = {{"shape", TG_ATTR_SHAPE, 0, true},
              {"axis", TG_ATTR_INT},
              {"start", TG_ATTR_I64},
              {"step", TG_ATTR_I64, 1}},
    .shape = slice_bw_shape,
    .forward = slice_bw_fwd,
    .vjp = slice_bw_vjp,
    .cases = "slice_backward(g, shape=[3,5], axis=1, start=1, step=2) | g=3x2");

tg_tensor *tg_concat(tg_tensor *const *xs, int n, int axis)
{
    tg_attrs a = {0};
    a.AXIS = axis;
    return tg__apply(TG_OP_concat, xs, xs ? n : 0, &a);
}

tg_tensor *tg_slice(tg_tensor *x, int axis, int64_t start, int64_t stop,
                    int64_t step)
{
    tg_attrs a = {0};
    a.AXIS = axis;
    a.START = start;
    a.STOP = stop;
    a.STEP = step;
    return tg__apply1(TG_OP_slice, x, &a);
}

tg_tensor *tg_slice_backward(tg_tensor *g, int ndim, const int64_t *shape,
                             int axis, int64_t start, int64_t step)
{
    tg_attrs a = {0};
    a.REQ_NDIM = ndim;
    if (ndim < 0 || ndim > TG_MAX_DIMS || (ndim > 0 && !shape)) {
        a.nax = -1; /* reported by the shape rule */
    } else {
        a.nax = ndim;
        for (int i = 0; i < ndim; i++) a.ax[i] = shape[i];
    }
    a.AXIS = axis;
    a.START = start;
    a.STEP = step;
    return tg__apply1(TG_OP_slice_backward, g, &a);
}
