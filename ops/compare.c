/* Comparisons, masks and selection.
 *
 *   eq ne lt le gt ge (a, b)    bool, broadcasting; any dtypes (two i64
 *                               compare exactly, otherwise as doubles;
 *                               NaN compares false, and ne true)
 *   isnan isinf isfinite (x)    bool; i64 and bool are finite
 *   logical_and logical_or logical_xor (a, b), logical_not (x)
 *                               bool; any dtype, nonzero is true
 *   any all (x; axis, keepdim)  bool reductions; empty: any false, all true
 *   where(c, a, b)              c ? a : b, c bool, broadcasting all three
 *   masked_fill(x, m; value)    m ? value : x, m bool broadcast to x
 * None of the bool ops is differentiable (no VJP: piecewise constant).
 * VJPs (g = dL/dy):
 *   where:        da = where(c, g, 0), db = where(c, 0, g)
 *   masked_fill:  dx = masked_fill(g, m, 0)
 * Both are linear in g, so second derivatives run through where again.
 * The untaken branch gets gradient 0 * (its own local derivative) in the
 * chain rule of whatever produced it, so a NaN or Inf there (log(0),
 * 1/0 in the untaken branch) still poisons the gradient: docs/ops-array.md
 * shows the trap and the safe pattern (mask the input, not the output).
 */
#include "ops/array.h"

#include <math.h>
#include <stdio.h>

#define VALUE f[0]   /* masked_fill */
#define KEEPDIM i[0] /* any, all */

/* ---------------------------------------------- N-ary broadcast walk */

/* Element strides of t right-aligned into the nd dims of oshape, 0 where
 * t is broadcast or missing. */
static void bstrides(int64_t *str, int nd, const int64_t *oshape,
                     const tg_tensor *t)
{
    int64_t s = 1;
    for (int i = nd - 1; i >= 0; i--) {
        int ti = i - (nd - t->ndim);
        if (ti < 0) {
            str[i] = 0;
            continue;
        }
        int64_t d = t->shape[ti];
        str[i] = (d == 1 && oshape[i] != 1) ? 0 : s;
        s *= d;
    }
}

/* Walks the output in row-major order, a row at a time, with the offset
 * of every input kept up to date (an odometer over every dim but the
 * last: no divisions per element). Neighbouring dims that every input
 * steps through as one are merged first, so that a row is as long as it
 * can be: a [S, S] mask over [B, H, S, S] attention scores gives B*H rows
 * of S*S elements in which the mask and the scores both advance by one.
 * Within a row input j advances by step[j] (0 where it is broadcast).
 * The output must not be empty. */
typedef struct walk {
    int nd, k;
    int64_t shape[TG_MAX_DIMS], str[3][TG_MAX_DIMS];
    int64_t idx[TG_MAX_DIMS], off[3];
    int64_t len, step[3]; /* the last (merged) dim: extent, strides */
} walk;

static void walk_init(walk *w, const tg_tensor *out, tg_tensor *const *in,
                      int k)
{
    memset(w, 0, sizeof *w);
    int64_t str[3][TG_MAX_DIMS];
    for (int j = 0; j < k; j++) bstrides(str[j], out->ndim, out->shape, in[j]);
    int nd = 0;
    for (int d = 0; d < out->ndim; d++) {
        int64_t e = out->shape[d];
        if (e == 1) continue; /* steps no input */
        bool merge = nd > 0;
        for (int j = 0; merge && j < k; j++)
            merge = w->str[j][nd - 1] == str[j][d] * e;
        if (merge) {
            w->shape[nd - 1] *= e;
        } else {
            w->shape[nd] = e;
            nd++;
        }
        for (int j = 0; j < k; j++) w->str[j][nd - 1] = str[j][d];
    }
    if (nd == 0) w->shape[nd++] = 1; /* one element: strides stay 0 */
    w->nd = nd;
    w->k = k;
    w->len = w->shape[nd - 1];
    for (int j = 0; j < k; j++) w->step[j] = w->str[j][nd - 1];
}

/* To the start of the next row. */
static inline void walk_next_row(walk *w)
{
    for (int d = w->nd - 2; d >= 0; d--) {
        for (int j = 0; j < w->k; j++) w->off[j] += w->str[j][d];
        if (++w->idx[d] < w->shape[d]) return;
        for (int j = 0; j < w->k; j++)
            w->off[j] -= w->str[j][d] * w->shape[d];
        w->idx[d] = 0;
    }
}

/* Broadcast shape of in[0..k-1] into out, or fail naming all shapes. */
static tg_status bshape(tg_graph *g, tg_node *n, int k, tg_tensor *out)
{
    int nd = n->in[0]->ndim, bad;
    int64_t sh[TG_MAX_DIMS];
    memcpy(sh, n->in[0]->shape, sizeof sh);
    bool ok = true;
    for (int j = 1; j < k && ok; j++)
        ok = tg__broadcast_shape(nd, sh, n->in[j]->ndim, n->in[j]->shape, &nd,
                                 sh, &bad);
    if (!ok) {
        char s[3][TG_SHAPE_BUF];
        for (int j = 0; j < k; j++)
            tg__fmt_shape(s[j], n->in[j]->ndim, n->in[j]->shape);
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "shapes %s%s%s%s%s do not broadcast; hint: "
                           "aligned from the right, each dim must match or "
                           "be 1",
                           s[0], ", ", s[1], k > 2 ? ", " : "",
                           k > 2 ? s[2] : "");
    }
    out->ndim = nd;
    memcpy(out->shape, sh, sizeof sh);
    return TG_OK;
}

/* Element i of t as double (any dtype). */
static inline double val(const tg_tensor *t, int64_t i)
{
    switch (t->dtype) {
    case TG_F32: return ((const float *)t->data)[i];
    case TG_F64: return ((const double *)t->data)[i];
    case TG_I64: return (double)((const int64_t *)t->data)[i];
    default: return ((const bool *)t->data)[i];
    }
}

static inline bool truth(const tg_tensor *t, int64_t i)
{
    switch (t->dtype) {
    case TG_F32: return ((const float *)t->data)[i] != 0;
    case TG_F64: return ((const double *)t->data)[i] != 0;
    case TG_I64: return ((const int64_t *)t->data)[i] != 0;
    default: return ((const bool *)t->data)[i];
    }
}

/* ------------------------------------------------------- comparisons */

enum { C_EQ, C_NE, C_LT, C_LE, C_GT, C_GE, L_AND, L_OR, L_XOR };

static int cmp_kind(const tg_node *n)
{
    const tg_op *o = n->op;
    return o == &tg_op_eq   ? C_EQ
           : o == &tg_op_ne ? C_NE
           : o == &tg_op_lt ? C_LT
           : o == &tg_op_le ? C_LE
           : o == &tg_op_gt ? C_GT
           : o == &tg_op_ge ? C_GE
           : o == &tg_op_logical_and ? L_AND
           : o == &tg_op_logical_or  ? L_OR
                                     : L_XOR;
}

static tg_status bool2_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    out->dtype = TG_BOOL;
    return bshape(g, n, 2, out);
}

#define CMP(x, y)                                                           \
    (kind == C_EQ   ? (x) == (y)                                            \
     : kind == C_NE ? (x) != (y)                                            \
     : kind == C_LT ? (x) < (y)                                             \
     : kind == C_LE ? (x) <= (y)                                            \
     : kind == C_GT ? (x) > (y)                                             \
                    : (x) >= (y))

static tg_status bool2_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    tg_tensor *a = n->in[0], *b = n->in[1], *y = n->out;
    bool *yv = y->data;
    int kind = cmp_kind(n);
    if (y->numel == 0) return TG_OK; /* extents may be huge: no strides */
    walk w;
    walk_init(&w, y, n->in, 2);
    bool ints = a->dtype == TG_I64 && b->dtype == TG_I64;
    for (int64_t o = 0; o < y->numel; o += w.len, walk_next_row(&w))
        for (int64_t i = 0; i < w.len; i++) {
            int64_t oa = w.off[0] + i * w.step[0];
            int64_t ob = w.off[1] + i * w.step[1];
            if (kind >= L_AND) {
                bool p = truth(a, oa), q = truth(b, ob);
                yv[o + i] = kind == L_AND ? p && q
                            : kind == L_OR ? p || q
                                           : p != q;
            } else if (ints) {
                int64_t p = ((const int64_t *)a->data)[oa];
                int64_t q = ((const int64_t *)b->data)[ob];
                yv[o + i] = CMP(p, q);
            } else {
                double p = val(a, oa), q = val(b, ob);
                yv[o + i] = CMP(p, q);
            }
        }
    return TG_OK;
}

/* ---------------------------------------------------- unary bool ops */

static tg_status bool1_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    out->dtype = TG_BOOL;
    return tg_shape_same(g, n, out);
}

static tg_status bool1_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    const tg_tensor *x = n->in[0];
    bool *yv = n->out->data;
    const tg_op *o = n->op;
    bool fl = tg_dtype_is_float(x->dtype);
    for (int64_t i = 0; i < x->numel; i++) {
        if (o == &tg_op_logical_not) {
            yv[i] = !truth(x, i);
            continue;
        }
        double v = fl ? val(x, i) : 0;
        yv[i] = o == &tg_op_isnan   ? isnan(v)
                : o == &tg_op_isinf ? isinf(v)
                                    : isfinite(v);
    }
    return TG_OK;
}

/* ------------------------------------------------------------ any, all */

static tg_status anyall_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    out->dtype = TG_BOOL;
    return tg__axes_rule(g, n, out, n->attr.KEEPDIM != 0);
}

static tg_status anyall_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    const tg_tensor *x = n->in[0];
    tg_tensor *y = n->out;
    bool is_all = n->op == &tg_op_all;
    bool *yv = y->data;
    memset(yv, is_all, (size_t)y->numel);
    if (x->numel == 0) return TG_OK; /* extents may be huge: no strides */
    /* Output offset of every input element: x's strides with the reduced
     * axes' set to 0, in the kept-dims layout. */
    int64_t ks[TG_MAX_DIMS], str[TG_MAX_DIMS];
    tg__keep_shape(n, ks);
    int64_t s = 1;
    for (int d = x->ndim - 1; d >= 0; d--) {
        str[d] = ks[d] == 1 ? 0 : s;
        s *= ks[d];
    }
    int64_t idx[TG_MAX_DIMS] = {0}, off = 0;
    for (int64_t i = 0; i < x->numel; i++) {
        bool t = truth(x, i);
        if (is_all) yv[off] = yv[off] && t;
        else yv[off] = yv[off] || t;
        for (int d = x->ndim - 1; d >= 0; d--) {
            off += str[d];
            if (++idx[d] < x->shape[d]) break;
            off -= str[d] * x->shape[d];
            idx[d] = 0;
        }
    }
    return TG_OK;
}

/* --------------------------------------------------------------- where */

static tg_status float_pair(tg_graph *g, tg_node *n, const tg_tensor *a,
                            const tg_tensor *b, int ia, int ib)
{
    if (!tg_dtype_is_float(a->dtype) || a->dtype != b->dtype)
        return tg__op_fail(g, n, TG_ERR_DTYPE,
                           "input %d is %s and input %d is %s; hint: the "
                           "values are both f32 or both f64 (tg_cast)",
                           ia, tg__dtname(a->dtype), ib, tg__dtname(b->dtype));
    return TG_OK;
}

static tg_status mask_dtype(tg_graph *g, tg_node *n, const tg_tensor *m,
                            int i)
{
    if (m->dtype != TG_BOOL) {
        char sb[TG_SHAPE_BUF];
        return tg__op_fail(g, n, TG_ERR_DTYPE,
                           "the mask (input %d) is %s %s, not bool; hint: "
                           "build it with a comparison (gt, eq, ...) or "
                           "tg_cast(m, TG_BOOL)",
                           i, tg__dtname(m->dtype),
                           tg__fmt_shape(sb, m->ndim, m->shape));
    }
    return TG_OK;
}

static tg_status where_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    tg_status st = mask_dtype(g, n, n->in[0], 1);
    if (st == TG_OK) st = float_pair(g, n, n->in[1], n->in[2], 2, 3);
    if (st != TG_OK) return st;
    out->dtype = n->in[1]->dtype;
    return bshape(g, n, 3, out);
}

/* A row of where: the loop with every input advancing by one (no
 * broadcast within the row) is the common case and vectorizes. */
#define WHERE(T)                                                            \
    {                                                                       \
        const int64_t L = w.len, sc = w.step[0], sa = w.step[1],            \
                      sb = w.step[2];                                       \
        bool unit = sc == 1 && sa == 1 && sb == 1;                          \
        for (int64_t o = 0; o < y->numel; o += L, walk_next_row(&w)) {      \
            const bool *cr = (const bool *)c->data + w.off[0];              \
            const T *ar = (const T *)a->data + w.off[1];                    \
            const T *br = (const T *)b->data + w.off[2];                    \
            T *yr = (T *)y->data + o;                                       \
            if (unit)                                                       \
                for (int64_t i = 0; i < L; i++)                             \
                    yr[i] = cr[i] ? ar[i] : br[i];                          \
            else                                                            \
                for (int64_t i = 0; i < L; i++)                             \
                    yr[i] = cr[i * sc] ? ar[i * sa] : br[i * sb];           \
        }                                                                   \
    }

static tg_status where_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    const tg_tensor *c = n->in[0], *a = n->in[1], *b = n->in[2];
    tg_tensor *y = n->out;
    if (y->numel == 0) return TG_OK;
    walk w;
    walk_init(&w, y, n->in, 3);
    if (y->dtype == TG_F32) WHERE(float) else WHERE(double)
    return TG_OK;
}

static void where_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                      const bool *need, tg_tensor **gx)
{
    tg_tensor *z = tg_scalar(g, gy->dtype, 0);
    if (need[1]) gx[1] = tg_where(n->in[0], gy, z);
    if (need[2]) gx[2] = tg_where(n->in[0], z, gy);
}

/* --------------------------------------------------------- masked_fill */

static tg_status mf_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    const tg_tensor *x = n->in[0], *m = n->in[1];
    tg_status st = mask_dtype(g, n, m, 2);
    if (st != TG_OK) return st;
    if (!tg_dtype_is_float(x->dtype))
        return tg__op_fail(g, n, TG_ERR_DTYPE,
                           "input 1 is %s; hint: masked_fill fills f32 or "
                           "f64 tensors (tg_cast)",
                           tg__dtname(x->dtype));
    st = bshape(g, n, 2, out);
    if (st != TG_OK) return st;
    if (out->ndim != x->ndim ||
        memcmp(out->shape, x->shape, sizeof(int64_t) * (size_t)x->ndim)) {
        char s1[TG_SHAPE_BUF], s2[TG_SHAPE_BUF];
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "mask %s does not broadcast to the input's shape "
                           "%s; hint: the output keeps the input's shape "
                           "(use where to broadcast both)",
                           tg__fmt_shape(s1, m->ndim, m->shape),
                           tg__fmt_shape(s2, x->ndim, x->shape));
    }
    return TG_OK;
}

/* x has the output's shape, so it advances by one within a row; the
 * mask by one (a select that vectorizes) or by zero (the row is copied or
 * filled whole). */
#define MFILL(T)                                                            \
    {                                                                       \
        const int64_t L = w.len, sx = w.step[0], sm = w.step[1];            \
        const T v = (T)n->attr.VALUE;                                       \
        for (int64_t o = 0; o < y->numel; o += L, walk_next_row(&w)) {      \
            const T *xr = (const T *)x->data + w.off[0];                    \
            const bool *mr = (const bool *)m->data + w.off[1];              \
            T *yr = (T *)y->data + o;                                       \
            if (sx == 1 && sm == 1)                                         \
                for (int64_t i = 0; i < L; i++) yr[i] = mr[i] ? v : xr[i];  \
            else if (sx == 1 && sm == 0 && !*mr)                            \
                memcpy(yr, xr, sizeof(T) * (size_t)L);                      \
            else if (sm == 0 && *mr)                                        \
                for (int64_t i = 0; i < L; i++) yr[i] = v;                  \
            else                                                            \
                for (int64_t i = 0; i < L; i++)                             \
                    yr[i] = mr[i * sm] ? v : xr[i * sx];                    \
        }                                                                   \
    }

static tg_status mf_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    const tg_tensor *x = n->in[0], *m = n->in[1];
    tg_tensor *y = n->out;
    if (y->numel == 0) return TG_OK;
    walk w;
    walk_init(&w, y, n->in, 2);
    if (y->dtype == TG_F32) MFILL(float) else MFILL(double)
    return TG_OK;
}

static void mf_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                   tg_tensor **gx)
{
    (void)g;
    if (need[0]) gx[0] = tg_masked_fill(gy, n->in[1], 0.0);
}

/* ---------------------------------------------------------- descriptors */

#define BOOL2(nm, case_)                                                    \
    TG_BUILTIN_OP(nm, .n_inputs = 2,                                        \
                  .flags = TG_OPF_ANY_DTYPE | TG_OPF_MIXED_DTYPE,           \
                  .shape = bool2_shape, .forward = bool2_fwd,               \
                  .cases = case_);                                          \
    tg_tensor *tg_##nm(tg_tensor *a, tg_tensor *b)                          \
    {                                                                       \
        return tg__apply2(TG_OP_##nm, a, b, NULL);                          \
    }
#define BOOL1(nm, case_)                                                    \
    TG_BUILTIN_OP(nm, .n_inputs = 1, .flags = TG_OPF_ANY_DTYPE,             \
                  .shape = bool1_shape, .forward = bool1_fwd,               \
                  .cases = case_);                                          \
    tg_tensor *tg_##nm(tg_tensor *x) { return tg__apply1(TG_OP_##nm, x, NULL); }

/* The cases differentiate a product with the mask: the mask is constant,
 * so the check confirms both that no gradient leaks through it and that
 * it selects the right elements. */
BOOL2(eq, "x * cast(eq(i, j), dtype=f64) | x=2x3 i=i64:2x3:1,2,3,4,5,6 "
          "j=i64:3:1,0,3")
BOOL2(ne, "x * cast(ne(i, j), dtype=f64) | x=2x3 i=i64:2x3:1,2,3,4,5,6 "
          "j=i64:3:1,0,3")
BOOL2(lt, "x * cast(lt(x, y), dtype=f64) | x=3x4 y=4")
BOOL2(le, "x * cast(le(x, 0.25), dtype=f64) | x=3x4")
BOOL2(gt, "x * cast(gt(x, y), dtype=f64) | x=3x4 y=3x1")
BOOL2(ge, "x * cast(ge(x, y), dtype=f64) | x=4 y=scalar")
BOOL2(logical_and, "x * cast(logical_and(gt(x, 0), lt(y, 0)), dtype=f64) | "
                   "x=3x4 y=3x4")
BOOL2(logical_or, "x * cast(logical_or(gt(x, 0.5), lt(x, -0.5)), "
                  "dtype=f64) | x=3x4")
BOOL2(logical_xor, "x * cast(logical_xor(gt(x, 0), gt(y, 0)), dtype=f64) | "
                   "x=3x4 y=4")
BOOL1(isnan, "x * cast(logical_not(isnan(x)), dtype=f64) | x=5")
BOOL1(isinf, "x * cast(logical_not(isinf(x)), dtype=f64) | x=5")
BOOL1(isfinite, "x * cast(isfinite(x), dtype=f64) | x=5")
BOOL1(logical_not, "x * cast(logical_not(gt(x, 0)), dtype=f64) | x=3x4")

TG_BUILTIN_OP(any,
    .n_inputs = 1,
    .flags = TG_OPF_ANY_DTYPE,
    .attrs = {{"axis", TG_ATTR_AXES}, {"keepdim", TG_ATTR_BOOL, 0}},
    .shape = anyall_shape,
    .forward = anyall_fwd,
    .cases = "x * cast(any(gt(x, 0), axis=1, keepdim=1), dtype=f64) | x=4x3");
TG_BUILTIN_OP(all,
    .n_inputs = 1,
    .flags = TG_OPF_ANY_DTYPE,
    .attrs = {{"axis", TG_ATTR_AXES}, {"keepdim", TG_ATTR_BOOL, 0}},
    .shape = anyall_shape,
    .forward = anyall_fwd,
    .cases = "x * cast(all(gt(x, -0.5), axis=0), dtype=f64) | x=4x3");
TG_BUILTIN_OP(where,
    .n_inputs = 3,
    .flags = TG_OPF_ANY_DTYPE | TG_OPF_MIXED_DTYPE,
    .shape = where_shape,
    .forward = where_fwd,
    .vjp = where_vjp,
    .cases = "where(gt(x, y), x * y, y) | x=3x4 y=3x4; "
        "where(gt(x, 0), x * x, y) | x=3x1 y=4; "
        "where(c, x, y) | c=bool:2x1x3 x=4x1 y=scalar");
TG_BUILTIN_OP(masked_fill,
    .n_inputs = 2,
    .flags = TG_OPF_ANY_DTYPE | TG_OPF_MIXED_DTYPE,
    .attrs = {{"value", TG_ATTR_REAL, 0, true}},
    .shape = mf_shape,
    .forward = mf_fwd,
    .vjp = mf_vjp,
    .cases = "masked_fill(x * x, gt(y, 0), value=-2) | x=3x4 y=4; "
        "masked_fill(x, m, value=0.5) | x=2x3 m=bool:2x1");

tg_tensor *tg_any(tg_tensor *x, int naxes, const int64_t *axes, bool keepdim)
{
    tg_attrs a = {0};
    tg__set_axes(&a, naxes, axes);
    a.KEEPDIM = keepdim;
    return tg__apply1(TG_OP_any, x, &a);
}

tg_tensor *tg_all(tg_tensor *x, int naxes, const int64_t *axes, bool keepdim)
{
    tg_attrs a = {0};
    tg__set_axes(&a, naxes, axes);
    a.KEEPDIM = keepdim;
    return tg__apply1(TG_OP_all, x, &a);
}

tg_tensor *tg_where(tg_tensor *cond, tg_tensor *a, tg_tensor *b)
{
    tg_tensor *in[3] = {cond, a, b};
    return tg__apply(TG_OP_where, in, 3, NULL);
}

tg_tensor *tg_masked_fill(tg_tensor *x, tg_tensor *mask, double value)
{
    tg_attrs a = {0};
    a.VALUE = value;
    return tg__apply2(TG_OP_masked_fill, x, mask, &a);
}
