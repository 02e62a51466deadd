/* Shape and data movement beyond the core: the op pad (and its adjoint
 * pad_backward), and compositions of existing ops with no backward of
 * their own: stack, split, chunk, unbind, roll, tril, triu, diagonal,
 * diag_embed, repeat, repeat_interleave, and the creation functions
 * one_hot, arange, linspace, eye, zeros, ones, *_like.
 *
 * pad(x; pad, mode, value): each output coordinate o along a padded dim
 * (left pad l, right pad r, input extent n; the output has n + l + r)
 * reads input coordinate j = o - l mapped by the mode:
 *   constant   j in [0, n) ? j : none (the value)
 *   reflect    -j for j < 0, 2(n-1) - j for j >= n (the edge not repeated)
 *   replicate  clamp(j, 0, n-1)
 *   circular   j in [0, n) ? j : cl + ((o - max(l, 0)) mod k)
 * A negative pad crops (as PyTorch): j = o - l skips the first -l
 * elements, the output ends -r early. Reflect and replicate mirror or
 * repeat the edges of the whole input; circular wraps around the k = n -
 * cl - cr elements the crops keep (cl = max(-l, 0), cr = max(-r, 0)), as
 * PyTorch crops first and then wraps.
 * pad is linear in x (plus the constant), so its VJP is the transpose of
 * that map: pad_backward(g) adds g[o] into x[j(o)] (the padded positions'
 * gradients land on the elements they copied). pad_backward is linear
 * too and its VJP is pad with value 0; gradients of any order follow.
 *
 * Compositions (their gradients are those of the ops they use):
 *   stack        unsqueeze each input, concat
 *   split/chunk  slice along dim
 *   unbind       slice + squeeze
 *   roll         two slices + concat per rolled dim
 *   tril/triu    where(constant mask, x, 0) (a masked NaN/Inf gives 0)
 *   diagonal     permute the two dims last, reshape, index_select
 *   diag_embed   index_add into zeros, reshape, permute
 *   repeat       concat of copies per dim
 *   repeat_interleave  index_select with the repeated indices
 * Creation functions (constants, no gradient): one_hot (i64 out), arange,
 * linspace, eye, zeros, ones, zeros_like, ones_like, full_like. */
#include "ops/array.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#define MODE i[0]
#define VALUE f[0]
#define FAIL(g, st, ...) (tg__fail(g, st, __VA_ARGS__), &(g)->poison)

enum { PAD_CONSTANT, PAD_REFLECT, PAD_REPLICATE, PAD_CIRCULAR };

/* ------------------------------------------------------------------- pad */

/* The left/right pad of dim d (PyTorch's order: the last dim first). */
static void pads_of(const tg_node *n, int nd, int d, int64_t *l, int64_t *r)
{
    int k = nd - 1 - d; /* pair index */
    *l = *r = 0;
    if (2 * k + 1 < n->attr.nax) {
        *l = n->attr.ax[2 * k];
        *r = n->attr.ax[2 * k + 1];
    }
}

/* Validate the pads against x's shape (x: pad's input; for pad_backward
 * the shape derived from g's); write the padded shape into out. */
static tg_status pad_rule(tg_graph *g, tg_node *n, int nd, const int64_t *xs,
                          int64_t *outs, const char *what)
{
    char sb[TG_SHAPE_BUF];
    int64_t mode = n->attr.MODE;
    if (mode < 0 || mode > 3)
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "mode %lld is not constant (0), reflect (1), "
                           "replicate (2) or circular (3); hint: "
                           "mode=reflect in an expression, TG_PADDING_REFLECT "
                           "in C",
                           (long long)mode);
    if (n->attr.nax < 0)
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "pad has more than %d entries (or is NULL) for "
                           "%s %s; hint: at most %d dims are padded",
                           TG_MAX_DIMS, what, tg__fmt_shape(sb, nd, xs),
                           TG_MAX_DIMS / 2);
    if (n->attr.nax % 2 || n->attr.nax / 2 > nd)
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "pad has %d entries for %s %s; hint: an even "
                           "number, two (left, right) per dim from the last, "
                           "at most %d",
                           n->attr.nax, what, tg__fmt_shape(sb, nd, xs),
                           2 * nd);
    for (int d = 0; d < nd; d++) {
        int64_t l, r, x = xs[d];
        pads_of(n, nd, d, &l, &r);
        if (l < -INT64_MAX / 16 || r < -INT64_MAX / 16 ||
            l > INT64_MAX / 16 || r > INT64_MAX / 16)
            return tg__op_fail(g, n, TG_ERR_ARG,
                               "pad (%lld, %lld) of dim %d is too large for "
                               "%s %s; hint: pads within +-2^59",
                               (long long)l, (long long)r, d, what,
                               tg__fmt_shape(sb, nd, xs));
        if (x + l + r < 0) /* |l|, |r| <= INT64_MAX / 16: no overflow */
            return tg__op_fail(g, n, TG_ERR_ARG,
                               "pad (%lld, %lld) of dim %d crops more than "
                               "its extent %lld in %s %s; hint: negative "
                               "pads crop, and extent + left + right must "
                               "be >= 0",
                               (long long)l, (long long)r, d, (long long)x,
                               what, tg__fmt_shape(sb, nd, xs));
        if ((l > 0 || r > 0) && mode == PAD_REFLECT && (l >= x || r >= x))
            return tg__op_fail(g, n, TG_ERR_ARG,
                               "reflect pad (%lld, %lld) of dim %d must be "
                               "smaller than its extent in %s %s; hint: "
                               "replicate or constant take any pad",
                               (long long)l, (long long)r, d, what,
                               tg__fmt_shape(sb, nd, xs));
        /* circular: the kept elements (after cropping) are the period */
        int64_t kept = x - (l < 0 ? -l : 0) - (r < 0 ? -r : 0);
        if ((l > 0 || r > 0) && mode == PAD_CIRCULAR && (l > kept || r > kept))
            return tg__op_fail(g, n, TG_ERR_ARG,
                               "circular pad (%lld, %lld) of dim %d exceeds "
                               "the %lld element%s kept of %s %s; hint: at "
                               "most one period on each side",
                               (long long)l, (long long)r, d,
                               (long long)(kept > 0 ? kept : 0),
                               kept == 1 ? "" : "s", what,
                               tg__fmt_shape(sb, nd, xs));
        if ((l > 0 || r > 0) && mode == PAD_REPLICATE && x == 0)
            return tg__op_fail(g, n, TG_ERR_ARG,
                               "replicate pad of dim %d of size 0 in %s %s; "
                               "hint: there is no edge to replicate",
                               d, what, tg__fmt_shape(sb, nd, xs));
        outs[d] = x + l + r;
    }
    int64_t cnt;
    if (!tg__numel(nd, outs, &cnt))
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "the padded shape of %s %s is too large",
                           what, tg__fmt_shape(sb, nd, xs));
    return TG_OK;
}

static tg_status pad_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    if (isnan(n->attr.VALUE) && n->attr.MODE != PAD_CONSTANT) n->attr.VALUE = 0;
    const tg_tensor *x = n->in[0];
    out->ndim = x->ndim;
    return pad_rule(g, n, x->ndim, x->shape, out->shape, "x");
}

/* pad_backward(g): x's shape is g's minus the pads. */
static tg_status padb_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    const tg_tensor *h = n->in[0];
    int nd = h->ndim;
    int64_t xs[TG_MAX_DIMS], os[TG_MAX_DIMS];
    char sb[TG_SHAPE_BUF];
    if (n->attr.nax < 0 || n->attr.nax % 2 || n->attr.nax / 2 > nd)
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "pad has %d entries for g %s; hint: two per dim "
                           "from the last",
                           n->attr.nax, tg__fmt_shape(sb, nd, h->shape));
    for (int d = 0; d < nd; d++) {
        int64_t l, r;
        pads_of(n, nd, d, &l, &r);
        if (l < -INT64_MAX / 16 || r < -INT64_MAX / 16 ||
            l > INT64_MAX / 16 || r > INT64_MAX / 16 ||
            h->shape[d] - l - r < 0)
            return tg__op_fail(g, n, TG_ERR_ARG,
                               "pad (%lld, %lld) of dim %d does not fit g "
                               "%s; hint: g has the padded shape",
                               (long long)l, (long long)r, d,
                               tg__fmt_shape(sb, nd, h->shape));
        xs[d] = h->shape[d] - l - r;
    }
    tg_status st = pad_rule(g, n, nd, xs, os, "the unpadded shape");
    if (st != TG_OK) return st;
    out->ndim = nd;
    memcpy(out->shape, xs, sizeof(int64_t) * (size_t)nd);
    return TG_OK;
}

/* For each dim of the padded shape ps, map[d][o] = input coordinate or -1,
 * in scratch memory (sum of the padded extents; only called when the
 * padded tensor is not empty, so each extent is at most its numel). */
static int64_t **pad_maps(tg_graph *g, const tg_node *n, int nd,
                          const int64_t *xs, const int64_t *ps)
{
    int64_t tot = 0;
    for (int d = 0; d < nd; d++) tot += ps[d];
    int64_t **m = tg__scratch(g, n, sizeof(int64_t *) * TG_MAX_DIMS +
                                        sizeof(int64_t) * (size_t)(tot + 1));
    if (!m) return NULL;
    int64_t *p = (int64_t *)(m + TG_MAX_DIMS);
    for (int d = 0; d < nd; d++) {
        int64_t l, r, x = xs[d];
        pads_of(n, nd, d, &l, &r);
        m[d] = p;
        for (int64_t o = 0; o < ps[d]; o++) {
            int64_t j = o - l;
            if (j < 0 || j >= x) {
                switch (n->attr.MODE) {
                case PAD_REFLECT: j = j < 0 ? -j : 2 * (x - 1) - j; break;
                case PAD_REPLICATE: j = j < 0 ? 0 : x - 1; break;
                case PAD_CIRCULAR: {
                    /* the period is what the crops keep: [cl, x - cr) */
                    int64_t cl = l < 0 ? -l : 0, cr = r < 0 ? -r : 0;
                    int64_t kept = x - cl - cr, k = o - (l > 0 ? l : 0);
                    j = ((k % kept) + kept) % kept + cl;
                    break;
                }
                default: j = -1;
                }
            }
            p[o] = j;
        }
        p += ps[d];
    }
    return m;
}

/* Walk the padded shape ps; for each element call back with the padded
 * offset and the input offset (-1: a constant position). */
#define PAD_WALK(BODY)                                                      \
    {                                                                       \
        int64_t st[TG_MAX_DIMS], idx[TG_MAX_DIMS], acc = 1;                 \
        for (int d = nd - 1; d >= 0; d--) {                                 \
            st[d] = acc;                                                    \
            acc *= xs[d];                                                   \
            idx[d] = 0;                                                     \
        }                                                                   \
        for (int64_t o = 0; o < cnt; o++) {                                 \
            int64_t src = 0;                                                \
            for (int d = 0; d < nd && src >= 0; d++) {                      \
                int64_t j = maps[d][idx[d]];                                \
                src = j < 0 ? -1 : src + j * st[d];                         \
            }                                                               \
            BODY;                                                           \
            for (int d = nd - 1; d >= 0; d--) {                             \
                if (++idx[d] < ps[d]) break;                                \
                idx[d] = 0;                                                 \
            }                                                               \
        }                                                                   \
    }

static tg_status pad_fwd(tg_graph *g, tg_node *n)
{
    const tg_tensor *x = n->in[0];
    tg_tensor *y = n->out;
    int nd = x->ndim;
    const int64_t *xs = x->shape, *ps = y->shape;
    int64_t cnt = y->numel;
    if (cnt == 0) return TG_OK;
    int64_t **maps = pad_maps(g, n, nd, xs, ps);
    if (!maps) return TG_ERR_OOM;
    double v = n->attr.VALUE;
    if (x->dtype == TG_F32) {
        const float *xv = x->data;
        float *yv = y->data;
        PAD_WALK(yv[o] = src < 0 ? (float)v : xv[src])
    } else {
        const double *xv = x->data;
        double *yv = y->data;
        PAD_WALK(yv[o] = src < 0 ? v : xv[src])
    }
    return TG_OK;
}

static tg_status padb_fwd(tg_graph *g, tg_node *n)
{
    const tg_tensor *h = n->in[0];
    tg_tensor *y = n->out;
    int nd = h->ndim;
    const int64_t *xs = y->shape, *ps = h->shape;
    if (y->numel > 0)
        memset(y->data, 0, (size_t)y->numel * tg__dsize(y->dtype));
    int64_t cnt = h->numel;
    if (cnt == 0 || y->numel == 0) return TG_OK;
    int64_t **maps = pad_maps(g, n, nd, xs, ps);
    if (!maps) return TG_ERR_OOM;
    if (h->dtype == TG_F32) {
        const float *hv = h->data;
        float *yv = y->data;
        PAD_WALK(if (src >= 0) yv[src] += hv[o])
    } else {
        const double *hv = h->data;
        double *yv = y->data;
        PAD_WALK(if (src >= 0) yv[src] += hv[o])
    }
    return TG_OK;
}

static void pad_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                    tg_tensor **gx)
{
    (void)g;
    if (need[0])
        gx[0] = tg_pad_backward(gy, n->attr.nax, n->attr.ax,
                                (tg_padding_mode)n->attr.MODE);
}

static void padb_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                     tg_tensor **gx)
{
    (void)g;
    if (need[0])
        gx[0] = tg_pad(gy, n->attr.nax, n->attr.ax, (tg_padding_mode)n->attr.MODE,
                       0);
}

TG_BUILTIN_OP(pad,
    .n_inputs = 1,
    .attrs = {{"pad", TG_ATTR_SHAPE, 0, true},
              {"mode", TG_ATTR_INT, 0},
              {"value", TG_ATTR_REAL, 0}},
    .shape = pad_shape,
    .forward = pad_fwd,
    .vjp = pad_vjp,
    .cases = "pad(x, pad=[1,2]) | x=3x4; "
        "pad(x, pad=[1,1,2,0], mode=reflect) | x=2x3x4; "
        "pad(x, pad=[2,1], mode=replicate) | x=2x3; "
        "pad(x, pad=[0,1,1,2], mode=circular) | x=3x4; "
        "pad(x, pad=[3,3], mode=circular) | x=3; "
        "pad(x, pad=[1,1], value=2.5) | x=5; "
        "pad(x, pad=[-1,2,1,-2], value=0.5) | x=4x5; "
        "pad(x, pad=[2,-1,-1,-1], mode=reflect) | x=3x4; "
        "pad(x, pad=[-2,3], mode=replicate) | x=2x4; "
        "pad(x, pad=[-1,2], mode=circular) | x=2x5; "
        "pad(x, pad=[2,-3], mode=circular) | x=5");
TG_BUILTIN_OP(pad_backward,
    .n_inputs = 1,
    .attrs = {{"pad", TG_ATTR_SHAPE, 0, true},
              {"mode", TG_ATTR_INT, 0}},
    .shape = padb_shape,
    .forward = padb_fwd,
    .vjp = padb_vjp,
    .cases = "pad_backward(h, pad=[1,2]) | h=3x7; "
        "pad_backward(h, pad=[1,1,2,0], mode=reflect) | h=2x5x6; "
        "pad_backward(h, pad=[2,1], mode=replicate) | h=2x6; "
        "pad_backward(h, pad=[0,1,1,2], mode=circular) | h=6x5; "
        "pad_backward(h, pad=[-1,2,1,-2], mode=constant) | h=3x6; "
        "pad_backward(h, pad=[-1,2], mode=circular) | h=2x6");

tg_tensor *tg_pad(tg_tensor *x, int npad, const int64_t *pad, tg_padding_mode mode,
                  double value)
{
    tg_attrs a = {0};
    tg__set_axes(&a, npad, pad);
    if (npad < 0 || npad > TG_MAX_DIMS || (npad > 0 && !pad)) a.nax = -1;
    a.MODE = mode;
    a.VALUE = value;
    return tg__apply1(TG_OP_pad, x, &a);
}

tg_tensor *tg_pad_backward(tg_tensor *g, int npad, const int64_t *pad,
                           tg_padding_mode mode)
{
    tg_attrs a = {0};
    tg__set_axes(&a, npad, pad);
    if (npad < 0 || npad > TG_MAX_DIMS || (npad > 0 && !pad)) a.nax = -1;
    a.MODE = mode;
    return tg__apply1(TG_OP_pad_backward, g, &a);
}

/* ---------------------------------------------------------- compositions */

/* Arena memory for a composition (no node to name: who does). */
static void *comp_scratch(tg_graph *g, size_t bytes)
{
    void *p = tg__arena_alloc(&g->arena, bytes ? bytes : 1);
    if (!p)
        tg__fail(g, TG_ERR_OOM, "out of memory (%zu bytes of scratch for a "
                 "shape composition)", bytes);
    return p;
}

/* Entry of a composition on x: NULL (last error, NULL), a stale tensor,
 * an errored graph or the poison tensor (the poison tensor) stop it. */
static bool enter(const char *who, tg_tensor *x, tg_tensor **ret)
{
    if (!x) {
        tg__set_last_error(TG_ERR_ARG, "%s: x is NULL", who);
        *ret = NULL;
        return false;
    }
    tg_graph *g = x->graph;
    if (tg__stale(x)) {
        tg__stale_fail(who, x);
        *ret = &g->poison;
        return false;
    }
    if (g->status != TG_OK || (x->flags & TG_TF_POISON)) {
        *ret = &g->poison;
        return false;
    }
    return true;
}

/* zeros of shape that still depend on x (an empty x's gradient is empty;
 * the path keeps x on the tape so backward reaches it). */
static tg_tensor *zeros_from(tg_tensor *x, int nd, const int64_t *shape)
{
    tg_tensor *z = tg_full(x->graph, x->dtype, nd, shape, 0);
    if (!tg_dtype_is_float(x->dtype)) return z;
    return tg_add(z, tg_mul_scalar(tg_sum_all(x), 0));
}

static bool norm_dim(tg_graph *g, const char *who, int dim, int nd,
                     const int64_t *shape, int64_t *out)
{
    *out = dim;
    if (tg__norm_axis(out, nd)) return true;
    char sb[TG_SHAPE_BUF];
    tg__fail(g, TG_ERR_SHAPE,
             "%s: dim %d out of range for shape %s; hint: dims lie in "
             "[-%d, %d)",
             who, dim, tg__fmt_shape(sb, nd, shape), nd, nd > 0 ? nd : 1);
    return false;
}

tg_tensor *tg_stack(tg_tensor *const *xs, int n, int dim)
{
    if (!xs || n <= 0 || !xs[0]) {
        tg__set_last_error(TG_ERR_ARG, "tg_stack: %s",
                           !xs ? "xs is NULL"
                           : n <= 0 ? "no tensors (n <= 0); hint: stack "
                                      "takes at least one"
                                    : "xs[0] is NULL");
        return NULL;
    }
    tg_tensor *r;
    if (!enter("tg_stack", xs[0], &r)) return r;
    tg_graph *g = xs[0]->graph;
    int64_t d;
    if (!norm_dim(g, "tg_stack", dim, xs[0]->ndim + 1, xs[0]->shape, &d))
        return &g->poison;
    if (xs[0]->ndim + 1 > TG_MAX_DIMS)
        return FAIL(g, TG_ERR_SHAPE, "tg_stack: inputs have %d dims, the "
                    "result would exceed %d", xs[0]->ndim, TG_MAX_DIMS);
    tg_tensor *buf[64], **u = n <= 64 ? buf : comp_scratch(g, sizeof(tg_tensor *) * (size_t)n);
    if (!u) return &g->poison;
    for (int k = 0; k < n; k++) {
        if (!xs[k] || !enter("tg_stack", xs[k], &r)) {
            if (!xs[k])
                return FAIL(g, TG_ERR_ARG, "tg_stack: xs[%d] is NULL", k);
            return r;
        }
        if (!tg__same_shape(xs[k], xs[0])) {
            char s1[TG_SHAPE_BUF], s2[TG_SHAPE_BUF];
            return FAIL(g, TG_ERR_SHAPE,
                        "tg_stack: xs[%d] %s differs from xs[0] %s; hint: "
                        "stack takes tensors of one shape (concat joins "
                        "along an existing dim)",
                        k, tg__fmt_shape(s1, xs[k]->ndim, xs[k]->shape),
                        tg__fmt_shape(s2, xs[0]->ndim, xs[0]->shape));
        }
        u[k] = tg_unsqueeze(xs[k], (int)d);
    }
    return tg_concat(u, n, (int)d);
}

/* The pieces of x along dim with the given sizes (already checked). */
static int split_into(tg_tensor *x, int64_t d, int n, const int64_t *sizes,
                      tg_tensor **out)
{
    int64_t at = 0;
    for (int k = 0; k < n; k++) {
        out[k] = tg_slice(x, (int)d, at, at + sizes[k], 1);
        at += sizes[k];
    }
    return tg_graph_status(x->graph) == TG_OK ? n : -1;
}

static int split_fail(tg_tensor *x, tg_tensor **out, int n_out, tg_tensor *r)
{
    if (out)
        for (int k = 0; k < n_out; k++) out[k] = r;
    (void)x;
    return -1;
}

int tg_split(tg_tensor *x, int64_t split_size, int dim, tg_tensor **out,
             int max_out)
{
    tg_tensor *r;
    if (!enter("tg_split", x, &r)) return split_fail(x, out, max_out, r);
    tg_graph *g = x->graph;
    int64_t d;
    char sb[TG_SHAPE_BUF];
    if (!out || max_out < 0) {
        tg__fail(g, TG_ERR_ARG, "tg_split: out is NULL; hint: pass room for "
                 "ceil(size / split_size) tensors");
        return -1;
    }
    if (!norm_dim(g, "tg_split", dim, x->ndim, x->shape, &d) ||
        x->ndim == 0) {
        if (x->ndim == 0)
            tg__fail(g, TG_ERR_SHAPE, "tg_split: x is 0-d; hint: split "
                     "needs a dim to cut");
        return split_fail(x, out, max_out, &g->poison);
    }
    int64_t len = x->shape[d];
    if (split_size <= 0 && !(split_size == 0 && len == 0)) {
        tg__fail(g, TG_ERR_ARG, "tg_split: split_size %lld for x %s; hint: "
                 "it must be > 0", (long long)split_size,
                 tg__fmt_shape(sb, x->ndim, x->shape));
        return split_fail(x, out, max_out, &g->poison);
    }
    int64_t n = len == 0 ? 1 : (len + split_size - 1) / split_size;
    if (n > max_out) {
        tg__fail(g, TG_ERR_ARG, "tg_split: x %s cut into %lld along dim "
                 "%lld gives %lld pieces, out has room for %d",
                 tg__fmt_shape(sb, x->ndim, x->shape),
                 (long long)split_size, (long long)d, (long long)n, max_out);
        return split_fail(x, out, max_out, &g->poison);
    }
    int64_t sizes[64], *sz = n <= 64 ? sizes : comp_scratch(g, sizeof(int64_t) * (size_t)n);
    if (!sz) return split_fail(x, out, max_out, &g->poison);
    for (int64_t k = 0; k < n; k++)
        sz[k] = len == 0 ? 0 : (k < n - 1 ? split_size : len - split_size * (n - 1));
    return split_into(x, d, (int)n, sz, out);
}

int tg_split_sizes(tg_tensor *x, int n, const int64_t *sizes, int dim,
                   tg_tensor **out)
{
    tg_tensor *r;
    if (!enter("tg_split_sizes", x, &r)) return split_fail(x, out, n, r);
    tg_graph *g = x->graph;
    int64_t d;
    char sb[TG_SHAPE_BUF];
    if (!out || !sizes || n <= 0) {
        tg__fail(g, TG_ERR_ARG, "tg_split_sizes: %s", !out ? "out is NULL"
                 : !sizes ? "sizes is NULL" : "n <= 0; hint: one size per piece");
        return -1;
    }
    if (x->ndim == 0) {
        tg__fail(g, TG_ERR_SHAPE, "tg_split_sizes: x is 0-d; hint: split "
                 "needs a dim to cut");
        return split_fail(x, out, n, &g->poison);
    }
    if (!norm_dim(g, "tg_split_sizes", dim, x->ndim, x->shape, &d))
        return split_fail(x, out, n, &g->poison);
    int64_t tot = 0;
    for (int k = 0; k < n; k++) {
        if (sizes[k] < 0 || sizes[k] > x->shape[d] - tot) {
            tg__fail(g, TG_ERR_ARG, "tg_split_sizes: sizes do not add up to "
                     "%lld, the extent of dim %lld of x %s (size %d is %lld); "
                     "hint: sizes are >= 0 and sum to the extent",
                     (long long)x->shape[d], (long long)d,
                     tg__fmt_shape(sb, x->ndim, x->shape), k,
                     (long long)sizes[k]);
            return split_fail(x, out, n, &g->poison);
        }
        tot += sizes[k];
    }
    if (tot != x->shape[d]) {
        tg__fail(g, TG_ERR_ARG, "tg_split_sizes: sizes add up to %lld, not "
                 "%lld, the extent of dim %lld of x %s; hint: sizes sum to "
                 "the extent",
                 (long long)tot, (long long)x->shape[d], (long long)d,
                 tg__fmt_shape(sb, x->ndim, x->shape));
        return split_fail(x, out, n, &g->poison);
    }
    return split_into(x, d, n, sizes, out);
}

int tg_chunk(tg_tensor *x, int chunks, int dim, tg_tensor **out)
{
    tg_tensor *r;
    if (!enter("tg_chunk", x, &r)) return split_fail(x, out, chunks, r);
    tg_graph *g = x->graph;
    if (chunks <= 0 || !out) {
        tg__fail(g, TG_ERR_ARG, "tg_chunk: %s", !out ? "out is NULL"
                 : "chunks must be > 0; hint: out has room for chunks tensors");
        return -1;
    }
    if (x->ndim == 0) {
        tg__fail(g, TG_ERR_SHAPE, "tg_chunk: x is 0-d; hint: chunk needs "
                 "a dim to cut");
        return split_fail(x, out, chunks, &g->poison);
    }
    int64_t d;
    if (!norm_dim(g, "tg_chunk", dim, x->ndim, x->shape, &d))
        return split_fail(x, out, chunks, &g->poison);
    /* PyTorch: pieces of ceil(len / chunks); fewer pieces when they run
     * out (len 0: chunks empty pieces) */
    int64_t len = x->shape[d];
    if (len == 0) {
        int64_t z[64], *sz = chunks <= 64 ? z : comp_scratch(g, sizeof(int64_t) * (size_t)chunks);
        if (!sz) return split_fail(x, out, chunks, &g->poison);
        for (int k = 0; k < chunks; k++) sz[k] = 0;
        return split_into(x, d, chunks, sz, out);
    }
    int64_t size = (len + chunks - 1) / chunks;
    return tg_split(x, size, (int)d, out, chunks);
}

int tg_unbind(tg_tensor *x, int dim, tg_tensor **out, int max_out)
{
    tg_tensor *r;
    if (!enter("tg_unbind", x, &r)) return split_fail(x, out, max_out, r);
    tg_graph *g = x->graph;
    int64_t d;
    char sb[TG_SHAPE_BUF];
    if (!out) {
        tg__fail(g, TG_ERR_ARG, "tg_unbind: out is NULL");
        return -1;
    }
    if (x->ndim == 0) {
        tg__fail(g, TG_ERR_SHAPE, "tg_unbind: x is 0-d; hint: unbind needs "
                 "a dim to cut");
        return split_fail(x, out, max_out, &g->poison);
    }
    if (!norm_dim(g, "tg_unbind", dim, x->ndim, x->shape, &d))
        return split_fail(x, out, max_out, &g->poison);
    if (x->shape[d] > max_out) {
        tg__fail(g, TG_ERR_ARG, "tg_unbind: x %s has %lld slices along dim "
                 "%lld, out has room for %d",
                 tg__fmt_shape(sb, x->ndim, x->shape),
                 (long long)x->shape[d], (long long)d, max_out);
        return split_fail(x, out, max_out, &g->poison);
    }
    int n = (int)x->shape[d];
    for (int k = 0; k < n; k++)
        out[k] = tg_squeeze(tg_slice(x, (int)d, k, k + 1, 1), (int)d);
    return tg_graph_status(g) == TG_OK ? n : -1;
}

/* roll along one dim by s: the last s elements move to the front. */
static tg_tensor *roll1(tg_tensor *x, int d, int64_t s)
{
    int64_t len = x->shape[d];
    if (len == 0) return x;
    s %= len;
    if (s < 0) s += len;
    if (s == 0) return x;
    tg_tensor *p[2] = {tg_slice(x, d, len - s, len, 1),
                       tg_slice(x, d, 0, len - s, 1)};
    return tg_concat(p, 2, d);
}

tg_tensor *tg_roll(tg_tensor *x, int n, const int64_t *shifts,
                   const int64_t *dims)
{
    tg_tensor *r;
    if (!enter("tg_roll", x, &r)) return r;
    tg_graph *g = x->graph;
    if (n <= 0 || !shifts || n > TG_MAX_DIMS)
        return FAIL(g, TG_ERR_ARG, "tg_roll: %d shifts; hint: one shift per "
                    "dim, 1 to %d of them (dims NULL: one shift of the "
                    "flattened tensor)", n, TG_MAX_DIMS);
    if (x->numel == 0) return tg_mul_scalar(x, 1);
    if (!dims) {
        if (n != 1)
            return FAIL(g, TG_ERR_ARG, "tg_roll: %d shifts without dims; "
                        "hint: without dims, one shift of the flattened "
                        "tensor", n);
        int64_t fl = x->numel;
        return tg_reshape(roll1(tg_reshape(x, 1, &fl), 0, shifts[0]), x->ndim,
                          x->shape);
    }
    tg_tensor *y = x;
    for (int k = 0; k < n; k++) {
        int64_t d;
        if (!norm_dim(g, "tg_roll", (int)dims[k], x->ndim, x->shape, &d) ||
            (int64_t)(int)dims[k] != dims[k])
            return &g->poison;
        y = roll1(y, (int)d, shifts[k]);
    }
    return y == x ? tg_mul_scalar(x, 1) : y;
}

/* tril/triu: where(mask over the last two dims, x, 0). */
static tg_tensor *tri(const char *who, tg_tensor *x, int64_t k, bool lower)
{
    tg_tensor *r;
    if (!enter(who, x, &r)) return r;
    tg_graph *g = x->graph;
    if (x->ndim < 2) {
        char sb[TG_SHAPE_BUF];
        return FAIL(g, TG_ERR_SHAPE, "%s: x %s has fewer than 2 dims; hint: "
                    "it works on the last two", who,
                    tg__fmt_shape(sb, x->ndim, x->shape));
    }
    if (x->numel == 0) return tg_mul_scalar(x, 1);
    /* beyond +-2^62 every diagonal is in or out alike; no -k overflow */
    if (k > INT64_MAX / 4) k = INT64_MAX / 4;
    if (k < -(INT64_MAX / 4)) k = -(INT64_MAX / 4);
    int64_t R = x->shape[x->ndim - 2], C = x->shape[x->ndim - 1];
    int64_t ms[2] = {R, C};
    tg_tensor *m = tg__const_tensor(g, TG_BOOL, 2, ms, who);
    if (!m) return &g->poison;
    bool *mv = m->data;
    for (int64_t i = 0; i < R; i++)
        for (int64_t j = 0; j < C; j++) {
            /* j - i <= k (lower) or >= k (upper), without overflow */
            bool le = k >= 0 ? j <= i || j - i <= k : i - j >= -k;
            bool ge = k <= 0 ? j >= i || i - j <= -k : j - i >= k;
            mv[i * C + j] = lower ? le : ge;
        }
    return tg_where(m, x, tg_scalar(g, x->dtype, 0));
}

tg_tensor *tg_tril(tg_tensor *x, int64_t diagonal)
{
    return tri("tg_tril", x, diagonal, true);
}

tg_tensor *tg_triu(tg_tensor *x, int64_t diagonal)
{
    return tri("tg_triu", x, diagonal, false);
}

/* Length of the diagonal at offset k of an R x C matrix. */
static int64_t diag_len(int64_t R, int64_t C, int64_t k)
{
    int64_t L;
    if (k >= INT64_MAX / 2 || k <= -(INT64_MAX / 2)) return 0;
    if (k >= 0) L = k >= C ? 0 : (R < C - k ? R : C - k);
    else L = -k >= R ? 0 : (R + k < C ? R + k : C);
    return L < 0 ? 0 : L;
}

tg_tensor *tg_diagonal(tg_tensor *x, int64_t offset, int dim1, int dim2)
{
    tg_tensor *r;
    if (!enter("tg_diagonal", x, &r)) return r;
    tg_graph *g = x->graph;
    int nd = x->ndim;
    int64_t a, b;
    char sb[TG_SHAPE_BUF];
    if (nd < 2)
        return FAIL(g, TG_ERR_SHAPE, "tg_diagonal: x %s has fewer than 2 "
                    "dims", tg__fmt_shape(sb, nd, x->shape));
    if (!norm_dim(g, "tg_diagonal", dim1, nd, x->shape, &a) ||
        !norm_dim(g, "tg_diagonal", dim2, nd, x->shape, &b))
        return &g->poison;
    if (a == b)
        return FAIL(g, TG_ERR_ARG, "tg_diagonal: dim1 and dim2 are both %lld "
                    "for x %s; hint: two different dims", (long long)a,
                    tg__fmt_shape(sb, nd, x->shape));
    int64_t perm[TG_MAX_DIMS], os[TG_MAX_DIMS];
    int m = 0;
    for (int d = 0; d < nd; d++)
        if (d != a && d != b) {
            os[m] = x->shape[d];
            perm[m++] = d;
        }
    perm[m] = a;
    perm[m + 1] = b;
    int64_t R = x->shape[a], C = x->shape[b];
    int64_t L = diag_len(R, C, offset);
    os[m] = L;
    if (x->numel == 0 || L == 0) return zeros_from(x, m + 1, os);
    tg_tensor *p = tg_permute(x, nd, perm);
    int64_t fs[TG_MAX_DIMS];
    memcpy(fs, os, sizeof(int64_t) * (size_t)m);
    fs[m] = R * C; /* <= numel */
    tg_tensor *f = tg_reshape(p, m + 1, fs);
    tg_tensor *idx = tg__const_tensor(g, TG_I64, 1, &L, "tg_diagonal");
    if (!idx) return &g->poison;
    int64_t *iv = idx->data;
    for (int64_t k = 0; k < L; k++)
        iv[k] = offset >= 0 ? k * C + k + offset : (k - offset) * C + k;
    return tg_index_select(f, m, idx);
}

tg_tensor *tg_diag_embed(tg_tensor *x, int64_t offset, int dim1, int dim2)
{
    tg_tensor *r;
    if (!enter("tg_diag_embed", x, &r)) return r;
    tg_graph *g = x->graph;
    int nd = x->ndim + 1;
    int64_t a, b;
    char sb[TG_SHAPE_BUF];
    if (x->ndim < 1 || nd > TG_MAX_DIMS)
        return FAIL(g, TG_ERR_SHAPE, "tg_diag_embed: x %s must have 1 to %d "
                    "dims", tg__fmt_shape(sb, x->ndim, x->shape),
                    TG_MAX_DIMS - 1);
    if (!norm_dim(g, "tg_diag_embed", dim1, nd, x->shape, &a) ||
        !norm_dim(g, "tg_diag_embed", dim2, nd, x->shape, &b))
        return &g->poison;
    if (a == b)
        return FAIL(g, TG_ERR_ARG, "tg_diag_embed: dim1 and dim2 are both "
                    "%lld; hint: two different dims of the result",
                    (long long)a);
    int64_t n = x->shape[x->ndim - 1];
    int64_t ao = offset < 0 ? -offset : offset;
    if (offset == INT64_MIN || ao > INT64_MAX / 16 - n)
        return FAIL(g, TG_ERR_ARG, "tg_diag_embed: offset %lld is too large",
                    (long long)offset);
    int64_t M = n + ao;
    /* [..., M, M] with the batch dims first, then moved into place */
    int64_t bs[TG_MAX_DIMS], fin[TG_MAX_DIMS], perm[TG_MAX_DIMS];
    int m = x->ndim - 1;
    memcpy(bs, x->shape, sizeof(int64_t) * (size_t)m);
    bs[m] = M;
    bs[m + 1] = M;
    int64_t cnt;
    if (!tg__numel(m + 2, bs, &cnt))
        return FAIL(g, TG_ERR_ARG, "tg_diag_embed: the result for x %s and "
                    "offset %lld is too large",
                    tg__fmt_shape(sb, x->ndim, x->shape), (long long)offset);
    int src = 0;
    for (int d = 0; d < nd; d++) {
        if (d == a) perm[d] = m;
        else if (d == b) perm[d] = m + 1;
        else perm[d] = src++;
    }
    for (int d = 0; d < nd; d++) fin[d] = bs[perm[d]];
    if (cnt == 0 || x->numel == 0) return zeros_from(x, nd, fin);
    tg_tensor *idx = tg__const_tensor(g, TG_I64, 1, &n, "tg_diag_embed");
    if (!idx) return &g->poison;
    int64_t *iv = idx->data;
    int64_t r0 = offset < 0 ? -offset : 0, c0 = offset > 0 ? offset : 0;
    for (int64_t k = 0; k < n; k++) iv[k] = (k + r0) * M + k + c0;
    int64_t fs[TG_MAX_DIMS];
    memcpy(fs, bs, sizeof(int64_t) * (size_t)m);
    fs[m] = M * M;
    tg_tensor *y = tg_reshape(tg_index_add(x, m + 1, fs, m, idx), m + 2, bs);
    bool ident = true;
    for (int d = 0; d < nd; d++) ident &= perm[d] == d;
    return ident ? y : tg_permute(y, nd, perm);
}

tg_tensor *tg_repeat(tg_tensor *x, int n, const int64_t *repeats)
{
    tg_tensor *r;
    if (!enter("tg_repeat", x, &r)) return r;
    tg_graph *g = x->graph;
    char sb[TG_SHAPE_BUF];
    if (!repeats || n < x->ndim || n > TG_MAX_DIMS)
        return FAIL(g, TG_ERR_ARG, "tg_repeat: %d repeats for x %s; hint: "
                    "at least one per dim of x (at most %d)", n,
                    tg__fmt_shape(sb, x->ndim, x->shape), TG_MAX_DIMS);
    int64_t s[TG_MAX_DIMS], o[TG_MAX_DIMS], cnt;
    int lead = n - x->ndim;
    for (int d = 0; d < n; d++) {
        s[d] = d < lead ? 1 : x->shape[d - lead];
        if (repeats[d] < 0 || repeats[d] > INT64_MAX / 16)
            return FAIL(g, TG_ERR_ARG, "tg_repeat: repeats[%d] = %lld; hint: "
                        "repeats are >= 0", d, (long long)repeats[d]);
    }
    bool ok = true;
    for (int d = 0; d < n && ok; d++)
        ok = !__builtin_mul_overflow(s[d], repeats[d], &o[d]);
    if (!ok || !tg__numel(n, o, &cnt))
        return FAIL(g, TG_ERR_ARG, "tg_repeat: the result for x %s is too "
                    "large", tg__fmt_shape(sb, x->ndim, x->shape));
    if (cnt == 0 || x->numel == 0) return zeros_from(x, n, o);
    tg_tensor *y = lead ? tg_reshape(x, n, s) : x;
    for (int d = 0; d < n; d++) {
        if (repeats[d] == 1) continue;
        tg_tensor *buf[64], **c = repeats[d] <= 64 ? buf
            : comp_scratch(g, sizeof(tg_tensor *) * (size_t)repeats[d]);
        if (!c || repeats[d] > INT32_MAX) return FAIL(g, TG_ERR_OOM,
                    "tg_repeat: out of memory for %lld copies",
                    (long long)repeats[d]);
        for (int64_t k = 0; k < repeats[d]; k++) c[k] = y;
        y = tg_concat(c, (int)repeats[d], d);
    }
    return y == x ? tg_mul_scalar(x, 1) : y;
}

/* repeat_interleave: index_select with each index repeated. */
static tg_tensor *rep_il(const char *who, tg_tensor *x, int64_t rep,
                         tg_tensor *reps, const int *dim)
{
    tg_tensor *r;
    if (!enter(who, x, &r)) return r;
    tg_graph *g = x->graph;
    char sb[TG_SHAPE_BUF];
    tg_tensor *y = x;
    int64_t d = 0;
    if (!dim) {
        int64_t fl = x->numel;
        y = tg_reshape(x, 1, &fl);
    } else if (x->ndim == 0) {
        int64_t one = 1;
        y = tg_reshape(x, 1, &one);
        if (!norm_dim(g, who, *dim, 1, y->shape, &d)) return &g->poison;
    } else if (!norm_dim(g, who, *dim, x->ndim, x->shape, &d)) {
        return &g->poison;
    }
    int64_t len = y->shape[d], tot = 0;
    if (reps) {
        if (tg__stale(reps) || (reps->flags & TG_TF_POISON) ||
            reps->graph != g)
            return FAIL(g, TG_ERR_ARG, "%s: repeats is stale, poisoned or "
                        "from another graph", who);
        if (reps->ndim > 1 || (reps->numel != len && reps->numel != 1))
            return FAIL(g, TG_ERR_SHAPE, "%s: repeats %s for %lld slices "
                        "along dim %lld; hint: one count per slice, or one "
                        "for all", who,
                        tg__fmt_shape(sb, reps->ndim, reps->shape),
                        (long long)len, (long long)d);
    }
    for (int64_t k = 0; k < (reps && reps->numel == len ? len : 1); k++) {
        double v = reps ? tg_get(reps, k) : (double)rep;
        if (!(v >= 0 && v == floor(v) && v < 0x1p40))
            return FAIL(g, TG_ERR_ARG, "%s: repeats[%lld] = %g; hint: "
                        "repeats are whole numbers >= 0", who, (long long)k, v);
    }
    if (y->numel == 0) {
        int64_t os[TG_MAX_DIMS];
        memcpy(os, y->shape, sizeof(int64_t) * (size_t)y->ndim);
        os[d] = 0;
        if (len > 0) { /* len slices of nothing, repeated: still empty */
            double v = reps ? 0 : (double)rep;
            if (reps)
                for (int64_t k = 0; k < reps->numel; k++) v += tg_get(reps, k);
            if (reps && reps->numel == 1) v *= (double)len;
            else if (!reps) v *= (double)len;
            if (v > 0x1p60)
                return FAIL(g, TG_ERR_ARG, "%s: the result is too large", who);
            os[d] = (int64_t)v;
        }
        return zeros_from(y, y->ndim, os);
    }
    for (int64_t k = 0; k < len; k++) {
        int64_t c = reps ? (int64_t)tg_get(reps, reps->numel == 1 ? 0 : k) : rep;
        if (__builtin_add_overflow(tot, c, &tot) || tot > (INT64_C(1) << 40))
            return FAIL(g, TG_ERR_ARG, "%s: the result for x %s is too large",
                        who, tg__fmt_shape(sb, x->ndim, x->shape));
    }
    tg_tensor *idx = tg__const_tensor(g, TG_I64, 1, &tot, who);
    if (!idx) return &g->poison;
    int64_t *iv = idx->data, at = 0;
    for (int64_t k = 0; k < len; k++) {
        int64_t c = reps ? (int64_t)tg_get(reps, reps->numel == 1 ? 0 : k) : rep;
        for (int64_t j = 0; j < c; j++) iv[at++] = k;
    }
    return tg_index_select(y, (int)d, idx);
}

tg_tensor *tg_repeat_interleave(tg_tensor *x, int64_t repeats, const int *dim)
{
    return rep_il("tg_repeat_interleave", x, repeats, NULL, dim);
}

tg_tensor *tg_repeat_interleave_t(tg_tensor *x, tg_tensor *repeats,
                                  const int *dim)
{
    if (!repeats) {
        tg__set_last_error(TG_ERR_ARG, "tg_repeat_interleave_t: repeats is "
                           "NULL");
        if (x && !tg__stale(x) && x->graph)
            tg__fail(x->graph, TG_ERR_ARG,
                     "tg_repeat_interleave_t: repeats is NULL");
        return x && !tg__stale(x) ? &x->graph->poison : NULL;
    }
    return rep_il("tg_repeat_interleave_t", x, 0, repeats, dim);
}

/* ------------------------------------------------------------- creation */

tg_tensor *tg_one_hot(tg_tensor *labels, int64_t num_classes)
{
    tg_tensor *r;
    if (!enter("tg_one_hot", labels, &r)) return r;
    tg_graph *g = labels->graph;
    char sb[TG_SHAPE_BUF];
    if (labels->dtype == TG_BOOL)
        return FAIL(g, TG_ERR_DTYPE, "tg_one_hot: labels are bool; hint: "
                    "labels are i64 (or whole numbers in f32/f64)");
    if (labels->ndim + 1 > TG_MAX_DIMS)
        return FAIL(g, TG_ERR_SHAPE, "tg_one_hot: labels %s have %d dims, "
                    "the result would exceed %d",
                    tg__fmt_shape(sb, labels->ndim, labels->shape),
                    labels->ndim, TG_MAX_DIMS);
    int64_t C = num_classes;
    if (C < 0) {
        if (C != -1)
            return FAIL(g, TG_ERR_ARG, "tg_one_hot: num_classes %lld; hint: "
                        "> 0, or -1 for the largest label + 1",
                        (long long)C);
        if (labels->numel == 0)
            return FAIL(g, TG_ERR_ARG, "tg_one_hot: num_classes -1 with "
                        "empty labels %s; hint: give num_classes",
                        tg__fmt_shape(sb, labels->ndim, labels->shape));
        double mx = 0;
        for (int64_t i = 0; i < labels->numel; i++) {
            double v = tg_get(labels, i);
            if (v > mx) mx = v;
        }
        if (!(mx < 0x1p40))
            return FAIL(g, TG_ERR_ARG, "tg_one_hot: the largest label %g is "
                        "too large", mx);
        C = (int64_t)mx + 1;
    }
    char desc[64];
    snprintf(desc, sizeof desc, "%lld classes", (long long)C);
    /* a stand-in node naming the function in tg__check_indices' message */
    tg_node tmp;
    memset(&tmp, 0, sizeof tmp);
    static const tg_op who = {.name = "one_hot", .prefix = "tg_"};
    tmp.op = &who;
    if (tg__check_indices(g, &tmp, labels, C, "labels", desc) != TG_OK)
        return &g->poison;
    int64_t os[TG_MAX_DIMS], cnt;
    memcpy(os, labels->shape, sizeof(int64_t) * (size_t)labels->ndim);
    os[labels->ndim] = C;
    if (!tg__numel(labels->ndim + 1, os, &cnt))
        return FAIL(g, TG_ERR_ARG, "tg_one_hot: labels %s with %lld classes "
                    "is too large", tg__fmt_shape(sb, labels->ndim,
                    labels->shape), (long long)C);
    tg_tensor *y = tg__const_tensor(g, TG_I64, labels->ndim + 1, os,
                                    "tg_one_hot");
    if (!y) return &g->poison;
    if (cnt == 0) return y;
    int64_t *v = y->data;
    memset(v, 0, sizeof(int64_t) * (size_t)cnt);
    for (int64_t i = 0; i < labels->numel; i++)
        v[i * C + tg__index_at(labels, i)] = 1;
    return y;
}


static bool creation_ok(const char *who, tg_graph *g, tg_dtype dt,
                        tg_tensor **ret)
{
    if (!g) {
        tg__set_last_error(TG_ERR_ARG, "%s: g is NULL", who);
        *ret = NULL;
        return false;
    }
    if (g->status != TG_OK) {
        *ret = &g->poison;
        return false;
    }
    if ((unsigned)dt >= TG_DTYPE_COUNT || dt == TG_BOOL) {
        *ret = tg__arg_fail_tensor(g, "%s: dtype %d; hint: f32, f64 or i64", who,
                             (int)dt);
        return false;
    }
    return true;
}

/* A 1-D constant of n values v(k). */
static tg_tensor *fill1(tg_graph *g, tg_dtype dt, int64_t n, const char *who,
                        double a, double step, double b, int64_t half)
{
    tg_tensor *y = tg__const_tensor(g, dt, 1, &n, who);
    if (!y) return &g->poison;
    for (int64_t k = 0; k < n; k++) {
        /* linspace: the second half from the end, as PyTorch, so the last
         * value is end exactly; arange: half = n */
        double v = k < half ? a + step * (double)k
                            : b - step * (double)(n - 1 - k);
        if (dt == TG_F32) ((float *)y->data)[k] = (float)v;
        else if (dt == TG_F64) ((double *)y->data)[k] = v;
        else ((int64_t *)y->data)[k] = (int64_t)v;
    }
    return y;
}

tg_tensor *tg_arange(tg_graph *g, tg_dtype dt, double start, double end,
                     double step)
{
    tg_tensor *r;
    if (!creation_ok("tg_arange", g, dt, &r)) return r;
    if (!isfinite(start) || !isfinite(end) || !isfinite(step) || step == 0)
        return tg__arg_fail_tensor(g, "tg_arange: start %g, end %g, step %g; hint: "
                             "finite values and a step != 0", start, end, step);
    double n = ceil((end - start) / step);
    if (n < 0)
        return tg__arg_fail_tensor(g, "tg_arange: start %g, end %g and step %g "
                             "disagree in sign; hint: step > 0 needs end >= "
                             "start", start, end, step);
    if (!(n < 0x1p40))
        return tg__arg_fail_tensor(g, "tg_arange: %g elements are too many", n);
    if (dt == TG_I64 && (start != floor(start) || step != floor(step)))
        return tg__arg_fail_tensor(g, "tg_arange: i64 with start %g and step %g; "
                             "hint: whole numbers for i64", start, step);
    return fill1(g, dt, (int64_t)n, "tg_arange", start, step, 0, (int64_t)n);
}

tg_tensor *tg_linspace(tg_graph *g, tg_dtype dt, double start, double end,
                       int64_t steps)
{
    tg_tensor *r;
    if (!creation_ok("tg_linspace", g, dt, &r)) return r;
    if (steps < 0 || steps > (INT64_C(1) << 40))
        return tg__arg_fail_tensor(g, "tg_linspace: steps %lld; hint: 0 to 2^40",
                             (long long)steps);
    if (!isfinite(start) || !isfinite(end))
        return tg__arg_fail_tensor(g, "tg_linspace: start %g, end %g; hint: finite "
                             "values", start, end);
    double step = steps > 1 ? (end - start) / (double)(steps - 1) : 0;
    return fill1(g, dt, steps, "tg_linspace", start, step, end,
                 steps == 1 ? 1 : steps / 2);
}

tg_tensor *tg_eye(tg_graph *g, tg_dtype dt, int64_t n, int64_t m)
{
    tg_tensor *r;
    if (!creation_ok("tg_eye", g, dt, &r)) return r;
    int64_t s[2] = {n, m}, cnt;
    if (n < 0 || m < 0 || !tg__numel(2, s, &cnt))
        return tg__arg_fail_tensor(g, "tg_eye: %lld x %lld; hint: sizes >= 0 and "
                             "a result that fits", (long long)n, (long long)m);
    tg_tensor *y = tg_full(g, dt, 2, s, 0);
    if (cnt == 0 || tg_graph_status(g) != TG_OK) return y;
    for (int64_t k = 0; k < n && k < m; k++) {
        int64_t i = k * m + k;
        if (dt == TG_F32) ((float *)y->data)[i] = 1;
        else if (dt == TG_F64) ((double *)y->data)[i] = 1;
        else ((int64_t *)y->data)[i] = 1;
    }
    return y;
}

tg_tensor *tg_zeros(tg_graph *g, tg_dtype dt, int ndim, const int64_t *shape)
{
    return tg_full(g, dt, ndim, shape, 0);
}

tg_tensor *tg_ones(tg_graph *g, tg_dtype dt, int ndim, const int64_t *shape)
{
    return tg_full(g, dt, ndim, shape, 1);
}

tg_tensor *tg_full_like(tg_tensor *x, double value)
{
    tg_tensor *r;
    if (!enter("tg_full_like", x, &r)) return r;
    return tg_full(x->graph, x->dtype, x->ndim, x->shape, value);
}

tg_tensor *tg_zeros_like(tg_tensor *x)
{
    tg_tensor *r;
    if (!enter("tg_zeros_like", x, &r)) return r;
    return tg_full(x->graph, x->dtype, x->ndim, x->shape, 0);
}

tg_tensor *tg_ones_like(tg_tensor *x)
{
    tg_tensor *r;
    if (!enter("tg_ones_like", x, &r)) return r;
    return tg_full(x->graph, x->dtype, x->ndim, x->shape, 1);
}
