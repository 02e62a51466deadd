/* Convolution family, NCHW (1-D: NCL), PyTorch's conventions:
 *
 *   conv2d(x, w, b)            y[n,o,p,q] = b[o] + sum_{c,i,j}
 *                                w[o,c,i,j] x[n, g Cg + c, p sh - pt + i dh,
 *                                                          q sw - pl + j dw]
 *   conv_transpose2d(x, w, b)  the adjoint of conv2d in its input (plus b)
 *   conv2d_weight(x, gy)       the adjoint of conv2d in its weight
 *
 * Legend: N batch; the image side [N, C, H, W]; the column side
 * [N, O, P, Q]; G groups, Cg = C / G input channels and Og = O / G output
 * channels per group (o in group g = o / Og); weight [O, Cg, KH, KW]
 * (for conv_transpose2d the "image" is its output, so its weight is
 * PyTorch's [C_in, C_out / G, KH, KW] with C_in = O). 1-D ops are the
 * same with H = P = KH = 1.
 *
 * Padding is stored per side (pt, pb top/bottom, pl, pr left/right):
 * "same" pads total = d (k - 1) as total / 2 before and the rest after
 * (PyTorch), and a transposed convolution's output_padding is a smaller
 * bottom/right padding. All three ops share one geometry:
 *   P = floor((H + pt + pb - dh (KH - 1) - 1) / sh) + 1        (conv)
 *   H = (P - 1) sh + dh (KH - 1) + 1 - pt - pb                 (transposed)
 * and a tap outside [0, H) reads zero / is dropped.
 *
 * VJPs (g = dL/dy), all convolutions again, so grad-of-grad works:
 *   conv:       dx = conv_transpose(g, w)   dw = conv_weight(x, g)
 *               db = sum of g over N, P, Q
 *   transposed: dx = conv(g, w)             dw = conv_weight(g, x)
 *   weight:     dx = conv_transpose(g, ggw) dgy = conv(x, ggw)
 * with pb, pr re-derived from the two spatial sizes (tight_pads) so that
 * each adjoint reproduces the other side's exact size.
 *
 * Kernels: f32 goes to oneDNN's convolution primitives where the measured
 * rule says they win (ops/conv_dnnl.h: forward, backward-data for the
 * transposed direction, backward-weights; in oneDNN's blocked layouts with
 * reorders from and to NCHW), falling back to the path below whenever
 * oneDNN declines or fails. Otherwise (f64, one-channel images, small
 * calls, builds without oneDNN, WebAssembly):
 * per sample and group, im2col (columns [Cg KH KW, P Q]) and one
 * product through the engine's gemm (ops/gemm.h); col2im for the
 * transposed direction. A 1x1 kernel at stride 1 without padding needs no
 * columns: the image is its own column matrix. Samples are split across
 * the OpenMP team (each product then runs serially inside it); a single
 * sample leaves the threading to the product.
 */
#include <omp.h>

#include "ops/array.h"
#include "ops/conv_dnnl.h"
#include "ops/gemm.h"
#include "tapegrad/ops_conv.h"

/* ax[]: geometry shared by every op of the family */
#define SH ax[0]
#define SW ax[1]
#define DH ax[2]
#define DW ax[3]
#define PT ax[4]
#define PB ax[5]
#define PL ax[6]
#define PR ax[7]
/* declared attributes (the expression language's keywords, DOT labels):
 * integers for both axes, i[0..2] by op kind, groups last */
#define D_STRIDE i[0]  /* conv, transposed   (weight: D_KERNEL)  */
#define D_PADDING i[1] /*                    (weight: stride)    */
#define D_THIRD i[2]   /* conv: dilation; transposed: output_padding;
                          weight: padding                          */
#define GROUPS i[3]
/* derived: conv_transpose's output_padding per axis (already folded into
 * pb, pr; kept to validate and to name in messages), conv_weight's
 * kernel size */
#define OPH f[0]
#define OPW f[1]
#define KH_ f[2]
#define KW_ f[3]
#define HAS_BIAS(n) ((n)->n_in > 2)

/* Largest option value accepted (sizes derived from options then stay
 * far from int64 overflow). */
#define TG_CONV_ATTR_MAX (INT64_C(1) << 30)

typedef tg_conv_geo cgeo; /* ops/conv_dnnl.h */

static int op_rank(const tg_op *d)
{
    return d == &tg_op_conv1d || d == &tg_op_conv_transpose1d ||
                   d == &tg_op_conv1d_weight
               ? 1
               : 2;
}

/* 0 convolution, 1 transposed, 2 weight gradient */
static int op_kind(const tg_op *d)
{
    if (d == &tg_op_conv_transpose1d || d == &tg_op_conv_transpose2d) return 1;
    if (d == &tg_op_conv1d_weight || d == &tg_op_conv2d_weight) return 2;
    return 0;
}

/* The declared attributes from the geometry (the H axis of a 2-D op, the
 * only one of a 1-D op): what DOT and tg_node_attrs_str show. */
static void set_declared(tg_attrs *a, int kind, int rank)
{
    bool h = rank == 2;
    int64_t s = h ? a->SH : a->SW, p = h ? a->PT : a->PL;
    if (kind == 2) {
        a->D_STRIDE = (int64_t)(h ? a->KH_ : a->KW_);
        a->D_PADDING = s, a->D_THIRD = p;
        return;
    }
    a->D_STRIDE = s, a->D_PADDING = p;
    a->D_THIRD = kind == 1 ? (int64_t)(h ? a->OPH : a->OPW)
                           : (h ? a->DH : a->DW);
}

/* A node applied through tg_apply (the expression language, or a program
 * starting from tg_attrs_defaults) carries only the declared attributes:
 * the geometry is derived from them, the same on both axes. */
static tg_status from_declared(tg_graph *g, tg_node *n)
{
    tg_attrs *a = &n->attr;
    if (a->SH || a->SW || a->DH || a->DW) return TG_OK; /* set by a wrapper */
    int r = op_rank(n->op), kind = op_kind(n->op);
    for (int k = 0; k < 4; k++)
        if (a->i[k] > TG_CONV_ATTR_MAX || a->i[k] < -TG_CONV_ATTR_MAX)
            return tg__op_fail(g, n, TG_ERR_ARG,
                               "%s = %lld is out of range (at most 2^30 in "
                               "magnitude)",
                               n->op->attrs[k].name,
                               (long long)a->i[k]);
    int64_t s = kind == 2 ? a->i[1] : a->i[0];
    int64_t p = kind == 2 ? a->i[2] : a->i[1];
    int64_t d = kind == 0 ? a->i[2] : 1;
    if (p < 0)
        return tg__op_fail(g, n, TG_ERR_ARG, "padding must be >= 0, got %lld",
                           (long long)p);
    a->SH = r == 2 ? s : 1, a->SW = s;
    a->DH = r == 2 ? d : 1, a->DW = d;
    a->PT = a->PB = r == 2 ? p : 0;
    a->PL = a->PR = p;
    if (kind == 1) {
        a->OPH = r == 2 ? (double)a->i[2] : 0, a->OPW = (double)a->i[2];
        a->PB -= (int64_t)a->OPH, a->PR -= (int64_t)a->OPW;
    }
    if (kind == 2) a->KH_ = r == 2 ? (double)a->i[0] : 1, a->KW_ = (double)a->i[0];
    return TG_OK;
}

/* Spatial extents of a [N, C, H, W] or [N, C, L] tensor. */
static int64_t sp_h(const tg_tensor *t) { return t->ndim == 4 ? t->shape[2] : 1; }
static int64_t sp_w(const tg_tensor *t) { return t->shape[t->ndim - 1]; }

static void geo_attrs(cgeo *q, const tg_attrs *a)
{
    q->sh = a->SH, q->sw = a->SW, q->dh = a->DH, q->dw = a->DW;
    q->pt = a->PT, q->pl = a->PL;
}

/* floor division for a possibly negative numerator, positive d */
static int64_t fdiv(int64_t a, int64_t d)
{
    return a >= 0 ? a / d : -((-a + d - 1) / d);
}

static int64_t conv_out(int64_t H, int64_t pt, int64_t pb, int64_t d,
                        int64_t k, int64_t s)
{
    return fdiv(H + pt + pb - d * (k - 1) - 1, s) + 1;
}

/* Attributes the same as n's with pb, pr set so that an image of H x W
 * and columns of P x Q match exactly. */
static tg_attrs tight_pads(const tg_node *n, int64_t H, int64_t W,
                           int64_t P, int64_t Q, int64_t KH, int64_t KW)
{
    tg_attrs a = n->attr;
    a.PB = (P - 1) * a.SH + a.DH * (KH - 1) + 1 - H - a.PT;
    a.PR = (Q - 1) * a.SW + a.DW * (KW - 1) + 1 - W - a.PL;
    a.OPH = a.OPW = 0;
    return a;
}

/* ------------------------------------------------------------- checks */

static tg_status check_attrs(tg_graph *g, tg_node *n)
{
    tg_status st = from_declared(g, n);
    if (st) return st;
    const tg_attrs *a = &n->attr;
    if (a->SH < 1 || a->SW < 1)
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "stride must be >= 1, got (%lld, %lld)",
                           (long long)a->SH, (long long)a->SW);
    if (a->DH < 1 || a->DW < 1)
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "dilation must be >= 1, got (%lld, %lld)",
                           (long long)a->DH, (long long)a->DW);
    if (a->GROUPS < 1)
        return tg__op_fail(g, n, TG_ERR_ARG, "groups must be >= 1, got %lld",
                           (long long)a->GROUPS);
    return TG_OK;
}

static tg_status check_rank(tg_graph *g, tg_node *n, const tg_tensor *t,
                            const char *what)
{
    int r = op_rank(n->op) + 2;
    char s[TG_SHAPE_BUF];
    if (t->ndim != r)
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "%s must be %d-D %s, got %s", what, r,
                           r == 4 ? "[N, C, H, W]" : "[N, C, L]",
                           tg__fmt_shape(s, t->ndim, t->shape));
    return TG_OK;
}

static tg_status check_weight(tg_graph *g, tg_node *n, const tg_tensor *w)
{
    int r = op_rank(n->op) + 2;
    char s[TG_SHAPE_BUF];
    if (w->ndim != r)
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "weight must be %d-D %s, got %s", r,
                           r == 4 ? "[C_out, C_in / groups, kH, kW]"
                                  : "[C_out, C_in / groups, k]",
                           tg__fmt_shape(s, w->ndim, w->shape));
    return TG_OK;
}

static tg_status check_bias(tg_graph *g, tg_node *n, const tg_tensor *b,
                            int64_t C)
{
    char s[TG_SHAPE_BUF];
    if (b->ndim != 1 || b->shape[0] != C)
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "bias %s must be [%lld] (one per output channel)",
                           tg__fmt_shape(s, b->ndim, b->shape), (long long)C);
    return TG_OK;
}

static void set_out(tg_tensor *out, int rank, int64_t N, int64_t C,
                    int64_t H, int64_t W)
{
    out->ndim = rank + 2;
    out->shape[0] = N, out->shape[1] = C;
    if (rank == 2) out->shape[2] = H, out->shape[3] = W;
    else out->shape[2] = W;
}

/* ---------------------------------------------------------- shape rules */

/* conv: x [N, C, H, W], w [O, Cg, KH, KW] -> [N, O, P, Q] */
static tg_status conv_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    const tg_tensor *x = n->in[0], *w = n->in[1];
    char s1[TG_SHAPE_BUF], s2[TG_SHAPE_BUF];
    tg_status st;
    if ((st = check_attrs(g, n)) || (st = check_rank(g, n, x, "input")) ||
        (st = check_weight(g, n, w)))
        return st;
    const tg_attrs *a = &n->attr;
    int64_t G = a->GROUPS, C = x->shape[1], O = w->shape[0];
    tg__fmt_shape(s1, x->ndim, x->shape);
    tg__fmt_shape(s2, w->ndim, w->shape);
    if (C % G || O % G)
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "groups = %lld must divide the input channels "
                           "and the output channels: x %s, weight %s",
                           (long long)G, s1, s2);
    if (w->shape[1] * G != C)
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "input channels differ: x %s has %lld, weight %s "
                           "expects %lld (weight.shape[1] * groups); hint: "
                           "weight is [C_out, C_in / groups, k...]",
                           s1, (long long)C, s2,
                           (long long)(w->shape[1] * G));
    if (HAS_BIAS(n) && (st = check_bias(g, n, n->in[2], O))) return st;
    int64_t KH = op_rank(n->op) == 2 ? w->shape[2] : 1, KW = sp_w(w);
    int64_t H = sp_h(x), W = sp_w(x);
    int64_t P = conv_out(H, a->PT, a->PB, a->DH, KH, a->SH);
    int64_t Q = conv_out(W, a->PL, a->PR, a->DW, KW, a->SW);
    if (P < 1 || Q < 1 || KH < 1 || KW < 1) {
        if (op_rank(n->op) == 2)
            return tg__op_fail(
                g, n, TG_ERR_SHAPE,
                "the output would be empty: x %s, weight %s give %lld x %lld "
                "(padding %lld+%lld, %lld+%lld, stride %lld, %lld, dilation "
                "%lld, %lld); hint: the padded input must be at least "
                "dilation * (kernel - 1) + 1",
                s1, s2, (long long)P, (long long)Q, (long long)a->PT,
                (long long)a->PB, (long long)a->PL, (long long)a->PR,
                (long long)a->SH, (long long)a->SW, (long long)a->DH,
                (long long)a->DW);
        return tg__op_fail(
            g, n, TG_ERR_SHAPE,
            "the output would be empty: x %s, weight %s give length %lld "
            "(padding %lld+%lld, stride %lld, dilation %lld); hint: the "
            "padded input must be at least dilation * (kernel - 1) + 1",
            s1, s2, (long long)Q, (long long)a->PL, (long long)a->PR,
            (long long)a->SW, (long long)a->DW);
    }
    set_out(out, op_rank(n->op), x->shape[0], O, P, Q);
    return TG_OK;
}

/* transposed: x [N, O, P, Q], w [O, Cg, KH, KW] -> [N, Cg G, H, W] */
static tg_status convt_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    const tg_tensor *x = n->in[0], *w = n->in[1];
    char s1[TG_SHAPE_BUF], s2[TG_SHAPE_BUF];
    tg_status st;
    if ((st = check_attrs(g, n)) || (st = check_rank(g, n, x, "input")) ||
        (st = check_weight(g, n, w)))
        return st;
    const tg_attrs *a = &n->attr;
    int rank = op_rank(n->op);
    if (a->OPH < 0 || a->OPW < 0 ||
        (a->OPH && a->OPH >= (a->SH > a->DH ? a->SH : a->DH)) ||
        (a->OPW && a->OPW >= (a->SW > a->DW ? a->SW : a->DW)))
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "output_padding (%lld, %lld) must be >= 0 and "
                           "smaller than the stride or the dilation "
                           "(stride %lld, %lld, dilation %lld, %lld)",
                           (long long)a->OPH, (long long)a->OPW,
                           (long long)a->SH, (long long)a->SW,
                           (long long)a->DH, (long long)a->DW);
    int64_t G = a->GROUPS, O = x->shape[1];
    tg__fmt_shape(s1, x->ndim, x->shape);
    tg__fmt_shape(s2, w->ndim, w->shape);
    if (w->shape[0] != O)
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "input channels differ: x %s has %lld, weight %s "
                           "has %lld; hint: a transposed convolution's "
                           "weight is [C_in, C_out / groups, k...]",
                           s1, (long long)O, s2, (long long)w->shape[0]);
    if (O % G)
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "groups = %lld must divide the input channels: "
                           "x %s, weight %s",
                           (long long)G, s1, s2);
    int64_t C = w->shape[1] * G;
    if (HAS_BIAS(n) && (st = check_bias(g, n, n->in[2], C))) return st;
    int64_t KH = rank == 2 ? w->shape[2] : 1, KW = sp_w(w);
    int64_t P = sp_h(x), Q = sp_w(x);
    if ((double)P * (double)a->SH > 0x1p50 ||
        (double)Q * (double)a->SW > 0x1p50)
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "the output would be too large: x %s, weight %s, "
                           "stride (%lld, %lld)",
                           s1, s2, (long long)a->SH, (long long)a->SW);
    int64_t H = (P - 1) * a->SH + a->DH * (KH - 1) + 1 - a->PT - a->PB;
    int64_t W = (Q - 1) * a->SW + a->DW * (KW - 1) + 1 - a->PL - a->PR;
    if (P < 1 || Q < 1 || KH < 1 || KW < 1 || H < 1 || W < 1)
        return tg__op_fail(
            g, n, TG_ERR_SHAPE,
            "the output would be empty: x %s, weight %s give %s%lld x %lld; "
            "hint: (in - 1) * stride - 2 * padding + dilation * (kernel - "
            "1) + output_padding + 1 must be >= 1",
            s1, s2, rank == 2 ? "" : "length ", (long long)(rank == 2 ? H : W),
            (long long)W);
    set_out(out, rank, x->shape[0], C, H, W);
    return TG_OK;
}

/* weight: x [N, C, H, W], gy [N, O, P, Q] -> [O, Cg, KH, KW] */
static tg_status convw_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    const tg_tensor *x = n->in[0], *gy = n->in[1];
    char s1[TG_SHAPE_BUF], s2[TG_SHAPE_BUF];
    tg_status st;
    if ((st = check_attrs(g, n)) || (st = check_rank(g, n, x, "input")) ||
        (st = check_rank(g, n, gy, "output gradient")))
        return st;
    const tg_attrs *a = &n->attr;
    int64_t G = a->GROUPS, C = x->shape[1], O = gy->shape[1];
    tg__fmt_shape(s1, x->ndim, x->shape);
    tg__fmt_shape(s2, gy->ndim, gy->shape);
    if (x->shape[0] != gy->shape[0] || C % G || O % G)
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "x %s and the output gradient %s must share the "
                           "batch, and groups = %lld must divide both "
                           "channel counts",
                           s1, s2, (long long)G);
    if (a->KH_ < 1 || a->KW_ < 1)
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "kernel size must be >= 1, got (%lld, %lld)",
                           (long long)a->KH_, (long long)a->KW_);
    out->ndim = op_rank(n->op) + 2;
    out->shape[0] = O, out->shape[1] = C / G;
    if (out->ndim == 4) out->shape[2] = a->KH_, out->shape[3] = a->KW_;
    else out->shape[2] = a->KW_;
    return TG_OK;
}

/* ------------------------------------------------------------- kernels */

/* Columns of one sample and group: col[(c KH + i) KW + j][p Q + q] =
 * img[c][p sh - pt + i dh][q sw - pl + j dw], zero outside. */
#define IM2COL(T)                                                            \
    static void im2col_##T(const cgeo *q, T *col, const T *img, int64_t Cg)  \
    {                                                                        \
        int64_t PQ = q->P * q->Q;                                            \
        for (int64_t c = 0; c < Cg; c++)                                     \
            for (int64_t i = 0; i < q->KH; i++)                              \
                for (int64_t j = 0; j < q->KW; j++) {                        \
                    T *row = col + ((c * q->KH + i) * q->KW + j) * PQ;       \
                    const T *plane = img + c * q->H * q->W;                  \
                    for (int64_t p = 0; p < q->P; p++) {                     \
                        int64_t h = p * q->sh - q->pt + i * q->dh;           \
                        T *r = row + p * q->Q;                               \
                        if (h < 0 || h >= q->H) {                            \
                            memset(r, 0, (size_t)q->Q * sizeof(T));          \
                            continue;                                        \
                        }                                                    \
                        const T *src = plane + h * q->W;                     \
                        int64_t w0 = j * q->dw - q->pl;                      \
                        if (q->sw == 1 && w0 >= 0 && w0 + q->Q <= q->W) {    \
                            memcpy(r, src + w0, (size_t)q->Q * sizeof(T));   \
                            continue;                                        \
                        }                                                    \
                        for (int64_t k = 0; k < q->Q; k++) {                 \
                            int64_t w = k * q->sw + w0;                      \
                            r[k] = (w >= 0 && w < q->W) ? src[w] : (T)0;     \
                        }                                                    \
                    }                                                        \
                }                                                            \
    }                                                                        \
    /* The adjoint: img (zeroed by the caller) += the columns' taps. */      \
    static void col2im_##T(const cgeo *q, T *img, const T *col, int64_t Cg)  \
    {                                                                        \
        int64_t PQ = q->P * q->Q;                                            \
        for (int64_t c = 0; c < Cg; c++)                                     \
            for (int64_t i = 0; i < q->KH; i++)                              \
                for (int64_t j = 0; j < q->KW; j++) {                        \
                    const T *row = col + ((c * q->KH + i) * q->KW + j) * PQ; \
                    T *plane = img + c * q->H * q->W;                        \
                    for (int64_t p = 0; p < q->P; p++) {                     \
                        int64_t h = p * q->sh - q->pt + i * q->dh;           \
                        if (h < 0 || h >= q->H) continue;                    \
                        const T *r = row + p * q->Q;                         \
                        T *dst = plane + h * q->W;                           \
                        int64_t w0 = j * q->dw - q->pl;                      \
                        for (int64_t k = 0; k < q->Q; k++) {                 \
                            int64_t w = k * q->sw + w0;                      \
                            if (w >= 0 && w < q->W) dst[w] += r[k];          \
                        }                                                    \
                    }                                                        \
                }                                                            \
    }
IM2COL(float)
IM2COL(double)

/* A 1x1 kernel at stride 1 without padding reads the image as it is. */
static bool direct(const cgeo *q)
{
    return q->KH == 1 && q->KW == 1 && q->sh == 1 && q->sw == 1 &&
           q->pt == 0 && q->pl == 0 && q->P == q->H && q->Q == q->W;
}

/* Threads for n samples of `flops` multiply-adds each: the team when the
 * whole is worth waking it, at most one sample per thread. */
static int team(int64_t N, int64_t flops)
{
    int nt = omp_get_max_threads();
    if (nt <= 1 || N <= 1 || omp_in_parallel() ||
        (double)N * (double)flops < (double)TG_GEMM_BLAS_SERIAL)
        return 1;
    return N < nt ? (int)N : nt;
}

#define GEMM_f float
#define GEMM_d double
#define KERNELS(T, GEMM)                                                     \
    /* y [N, O, P, Q] = conv(x [N, C, H, W], w) (+ b) */                     \
    static void conv_fwd_##T(const cgeo *q, T *y, const T *x, const T *w,    \
                             const T *b, T *cols, int nt)                    \
    {                                                                        \
        int64_t Cg = q->C / q->G, Og = q->O / q->G, PQ = q->P * q->Q;        \
        int64_t K = Cg * q->KH * q->KW, colsz = direct(q) ? 0 : K * PQ;      \
        _Pragma("omp parallel for num_threads(nt) schedule(static)")         \
        for (int64_t n = 0; n < q->N; n++) {                                 \
            T *col = colsz ? cols + (size_t)omp_get_thread_num() *           \
                                        (size_t)colsz                        \
                           : NULL; /* direct: no column buffer */            \
            for (int64_t g = 0; g < q->G; g++) {                             \
                const T *img = x + (n * q->C + g * Cg) * q->H * q->W;        \
                T *yo = y + (n * q->O + g * Og) * PQ;                        \
                const T *B = img;                                            \
                if (colsz) {                                                 \
                    im2col_##T(q, col, img, Cg);                             \
                    B = col;                                                 \
                }                                                            \
                if (b)                                                       \
                    for (int64_t o = 0; o < Og; o++)                         \
                        for (int64_t k = 0; k < PQ; k++)                     \
                            yo[o * PQ + k] = b[g * Og + o];                  \
                GEMM(false, false, Og, PQ, K, w + g * Og * K, K, B, PQ,      \
                     b ? (T)1 : (T)0, yo);                                   \
            }                                                                \
        }                                                                    \
    }                                                                        \
    /* y [N, C, H, W] = conv^T(x [N, O, P, Q], w) (+ b) */                   \
    static void convt_fwd_##T(const cgeo *q, T *y, const T *x, const T *w,   \
                              const T *b, T *cols, int nt)                   \
    {                                                                        \
        int64_t Cg = q->C / q->G, Og = q->O / q->G, PQ = q->P * q->Q;        \
        int64_t HW = q->H * q->W;                                            \
        int64_t K = Cg * q->KH * q->KW, colsz = direct(q) ? 0 : K * PQ;      \
        _Pragma("omp parallel for num_threads(nt) schedule(static)")         \
        for (int64_t n = 0; n < q->N; n++) {                                 \
            T *col = colsz ? cols + (size_t)omp_get_thread_num() *           \
                                        (size_t)colsz                        \
                           : NULL; /* direct: no column buffer */            \
            for (int64_t g = 0; g < q->G; g++) {                             \
                T *img = y + (n * q->C + g * Cg) * HW;                       \
                const T *xi = x + (n * q->O + g * Og) * PQ;                  \
                if (colsz) {                                                 \
                    GEMM(true, false, K, PQ, Og, w + g * Og * K, K, xi, PQ,  \
                         (T)0, col);                                         \
                    memset(img, 0, (size_t)(Cg * HW) * sizeof(T));           \
                    col2im_##T(q, img, col, Cg);                             \
                } else {                                                     \
                    GEMM(true, false, K, PQ, Og, w + g * Og * K, K, xi, PQ,  \
                         (T)0, img);                                         \
                }                                                            \
                if (b)                                                       \
                    for (int64_t c = 0; c < Cg; c++)                         \
                        for (int64_t k = 0; k < HW; k++)                     \
                            img[c * HW + k] += b[g * Cg + c];                \
            }                                                                \
        }                                                                    \
    }                                                                        \
    /* dw [O, Cg, KH, KW] = sum_n gy[n] cols(x[n])^T; each thread sums its  \
     * samples into its own slice of acc (nt of them), then they are added */ \
    static void convw_fwd_##T(const cgeo *q, T *dw, const T *x, const T *gy, \
                              T *cols, T *acc, int nt)                       \
    {                                                                        \
        int64_t Cg = q->C / q->G, Og = q->O / q->G, PQ = q->P * q->Q;        \
        int64_t K = Cg * q->KH * q->KW, colsz = direct(q) ? 0 : K * PQ;      \
        int64_t wsz = q->O * K;                                              \
        _Pragma("omp parallel num_threads(nt)")                              \
        {                                                                    \
            int t = omp_get_thread_num();                                    \
            T *col = colsz ? cols + (size_t)t * (size_t)colsz : NULL;        \
            T *d = nt == 1 ? dw : acc + (size_t)t * (size_t)wsz;             \
            memset(d, 0, (size_t)wsz * sizeof(T));                           \
            _Pragma("omp for schedule(static)")                              \
            for (int64_t n = 0; n < q->N; n++)                               \
                for (int64_t g = 0; g < q->G; g++) {                         \
                    const T *img = x + (n * q->C + g * Cg) * q->H * q->W;    \
                    const T *go = gy + (n * q->O + g * Og) * PQ;             \
                    const T *B = img;                                        \
                    if (colsz) {                                             \
                        im2col_##T(q, col, img, Cg);                         \
                        B = col;                                             \
                    }                                                        \
                    GEMM(false, true, Og, K, PQ, go, PQ, B, PQ, (T)1,        \
                         d + g * Og * K);                                    \
                }                                                            \
        }                                                                    \
        if (nt > 1)                                                          \
            for (int64_t k = 0; k < wsz; k++) {                              \
                T s = 0;                                                     \
                for (int t = 0; t < nt; t++) s += acc[(size_t)t * wsz + k];  \
                dw[k] = s;                                                   \
            }                                                                \
    }
KERNELS(float, tg__gemm_f32)
KERNELS(double, tg__gemm_f64)

/* y [N, C, H, W] += b[c]: the transposed convolution's bias after
 * oneDNN's backward-data (which has none) */
static void add_bias_float(const cgeo *q, float *y, const float *b)
{
    int64_t HW = q->H * q->W;
    for (int64_t n = 0; n < q->N; n++)
        for (int64_t c = 0; c < q->C; c++) {
            float *p = y + (n * q->C + c) * HW, v = b[c];
            for (int64_t k = 0; k < HW; k++) p[k] += v;
        }
}

/* Geometry of a node: image is the image-side tensor, cols the column
 * side, (KH, KW) the kernel. */
static cgeo geometry(const tg_node *n, const tg_tensor *img,
                     const tg_tensor *cols, int64_t KH, int64_t KW)
{
    cgeo q;
    geo_attrs(&q, &n->attr);
    q.N = img->shape[0], q.C = img->shape[1], q.H = sp_h(img), q.W = sp_w(img);
    q.O = cols->shape[1], q.P = sp_h(cols), q.Q = sp_w(cols);
    q.G = n->attr.GROUPS, q.KH = KH, q.KW = KW;
    return q;
}

static int64_t kernel_h(const tg_node *n, const tg_tensor *w)
{
    return op_rank(n->op) == 2 ? w->shape[2] : 1;
}

/* Column buffers for nt threads (none when the image serves directly). */
static void *col_buffers(tg_graph *g, tg_node *n, const cgeo *q, int nt,
                         size_t extra, bool *fail)
{
    size_t es = tg__dsize(n->out->dtype);
    size_t colsz = direct(q) ? 0
                             : (size_t)(q->C / q->G * q->KH * q->KW) *
                                   (size_t)(q->P * q->Q);
    size_t bytes = (colsz * (size_t)nt + extra) * es;
    *fail = false;
    if (!bytes) return NULL;
    void *p = tg__malloc(bytes);
    if (!p) {
        *fail = true;
        tg__op_fail(g, n, TG_ERR_OOM,
                    "out of memory for %zu bytes of im2col columns", bytes);
    }
    return p;
}

static tg_status conv_fwd(tg_graph *g, tg_node *n)
{
    const tg_tensor *x = n->in[0], *w = n->in[1];
    const tg_tensor *b = HAS_BIAS(n) ? n->in[2] : NULL;
    if (n->out->numel == 0) return TG_OK;
    cgeo q = geometry(n, x, n->out, kernel_h(n, w), sp_w(w));
    if (q.C == 0 || w->numel == 0 || x->numel == 0) {
        /* no channels to sum, or an input that is all padding: the bias
         * alone (or zeros) */
        tg_tensor *y = n->out;
        int64_t PQ = q.P * q.Q;
        for (int64_t i = 0; i < y->numel; i++) {
            double v = b ? tg_get(b, (i / PQ) % q.O) : 0.0;
            if (y->dtype == TG_F32) ((float *)y->data)[i] = (float)v;
            else ((double *)y->data)[i] = v;
        }
        return TG_OK;
    }
    if (x->dtype == TG_F32 &&
        tg__conv_dnnl(TG_CONV_FWD, &q, n->out->data, x->data, w->data,
                      b ? b->data : NULL))
        return TG_OK;
    int nt = team(q.N, q.O * q.P * q.Q * (q.C / q.G) * q.KH * q.KW);
    bool fail;
    void *cols = col_buffers(g, n, &q, nt, 0, &fail);
    if (fail) return g->status;
    if (x->dtype == TG_F32)
        conv_fwd_float(&q, n->out->data, x->data, w->data,
                       b ? b->data : NULL, cols, nt);
    else
        conv_fwd_double(&q, n->out->data, x->data, w->data,
                        b ? b->data : NULL, cols, nt);
    tg__free(cols);
    return TG_OK;
}

static tg_status convt_fwd(tg_graph *g, tg_node *n)
{
    const tg_tensor *x = n->in[0], *w = n->in[1];
    const tg_tensor *b = HAS_BIAS(n) ? n->in[2] : NULL;
    tg_tensor *y = n->out;
    if (y->numel == 0) return TG_OK;
    cgeo q = geometry(n, y, x, kernel_h(n, w), sp_w(w));
    if (q.O == 0 || w->numel == 0 || x->numel == 0) {
        int64_t HW = q.H * q.W;
        for (int64_t i = 0; i < y->numel; i++) {
            double v = b ? tg_get(b, (i / HW) % q.C) : 0.0;
            if (y->dtype == TG_F32) ((float *)y->data)[i] = (float)v;
            else ((double *)y->data)[i] = v;
        }
        return TG_OK;
    }
    if (x->dtype == TG_F32 &&
        tg__conv_dnnl(TG_CONV_BWD_DATA, &q, y->data, x->data, w->data,
                      NULL)) {
        if (b) add_bias_float(&q, y->data, b->data);
        return TG_OK;
    }
    int nt = team(q.N, q.O * q.P * q.Q * (q.C / q.G) * q.KH * q.KW);
    bool fail;
    void *cols = col_buffers(g, n, &q, nt, 0, &fail);
    if (fail) return g->status;
    if (x->dtype == TG_F32)
        convt_fwd_float(&q, y->data, x->data, w->data, b ? b->data : NULL,
                        cols, nt);
    else
        convt_fwd_double(&q, y->data, x->data, w->data, b ? b->data : NULL,
                         cols, nt);
    tg__free(cols);
    return TG_OK;
}

static tg_status convw_fwd(tg_graph *g, tg_node *n)
{
    const tg_tensor *x = n->in[0], *gy = n->in[1];
    tg_tensor *dw = n->out;
    if (dw->numel == 0) return TG_OK;
    cgeo q = geometry(n, x, gy, op_rank(n->op) == 2 ? n->attr.KH_ : 1,
                      n->attr.KW_);
    size_t es = tg__dsize(dw->dtype);
    if (q.N == 0 || q.P * q.Q == 0 || x->numel == 0) {
        memset(dw->data, 0, (size_t)dw->numel * es);
        return TG_OK;
    }
    if (x->dtype == TG_F32 &&
        tg__conv_dnnl(TG_CONV_BWD_WEIGHTS, &q, dw->data, x->data, gy->data,
                      NULL))
        return TG_OK;
    int nt = team(q.N, q.O * q.P * q.Q * (q.C / q.G) * q.KH * q.KW);
    size_t colsz = direct(&q) ? 0
                              : (size_t)(q.C / q.G * q.KH * q.KW) *
                                    (size_t)(q.P * q.Q);
    size_t acc = nt > 1 ? (size_t)dw->numel * (size_t)nt : 0;
    bool fail;
    char *buf = col_buffers(g, n, &q, nt, acc, &fail);
    if (fail) return g->status;
    void *accp = buf ? buf + colsz * (size_t)nt * es : NULL;
    if (x->dtype == TG_F32)
        convw_fwd_float(&q, dw->data, x->data, gy->data, (float *)buf,
                        accp, nt);
    else
        convw_fwd_double(&q, dw->data, x->data, gy->data, (double *)buf,
                         accp, nt);
    tg__free(buf);
    return TG_OK;
}

/* ---------------------------------------------------------------- VJPs */

static int op_conv(int r) { return r == 2 ? TG_OP_conv2d : TG_OP_conv1d; }
static int op_convt(int r)
{
    return r == 2 ? TG_OP_conv_transpose2d : TG_OP_conv_transpose1d;
}
static int op_convw(int r)
{
    return r == 2 ? TG_OP_conv2d_weight : TG_OP_conv1d_weight;
}

/* db = g summed over every axis but the channels */
static tg_tensor *bias_grad(tg_tensor *gy)
{
    int64_t ax[3] = {0, 2, 3};
    return tg_sum(gy, gy->ndim - 1, ax, false);
}

/* Apply an op of the family with geometry `a` (declared slots refreshed
 * for that op's kind). */
static tg_tensor *apply_as(int op, tg_tensor *x, tg_tensor *y, tg_attrs a)
{
    set_declared(&a, op_kind(tg_ops[op]), op_rank(tg_ops[op]));
    return tg__apply2(op, x, y, &a);
}

static void conv_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                     const bool *need, tg_tensor **gx)
{
    (void)g;
    tg_tensor *x = n->in[0], *w = n->in[1];
    int r = op_rank(n->op);
    int64_t KH = kernel_h(n, w), KW = sp_w(w);
    tg_attrs a = tight_pads(n, sp_h(x), sp_w(x), sp_h(gy), sp_w(gy), KH, KW);
    if (need[0]) gx[0] = apply_as(op_convt(r), gy, w, a);
    if (need[1]) {
        a.KH_ = KH, a.KW_ = KW;
        gx[1] = apply_as(op_convw(r), x, gy, a);
    }
    if (HAS_BIAS(n) && need[2]) gx[2] = bias_grad(gy);
}

static void convt_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                      const bool *need, tg_tensor **gx)
{
    (void)g;
    tg_tensor *x = n->in[0], *w = n->in[1];
    int r = op_rank(n->op);
    int64_t KH = kernel_h(n, w), KW = sp_w(w);
    tg_attrs a = tight_pads(n, sp_h(gy), sp_w(gy), sp_h(x), sp_w(x), KH, KW);
    if (need[0]) gx[0] = apply_as(op_conv(r), gy, w, a);
    if (need[1]) {
        a.KH_ = KH, a.KW_ = KW;
        gx[1] = apply_as(op_convw(r), gy, x, a);
    }
    if (HAS_BIAS(n) && need[2]) gx[2] = bias_grad(gy);
}

/* dw = conv_weight(x, c) is bilinear: its VJP in x is conv_transpose(c,
 * gg) and in c is conv(x, gg), gg = dL/d(dw). */
static void convw_vjp(tg_graph *g, tg_node *n, tg_tensor *gg,
                      const bool *need, tg_tensor **gx)
{
    (void)g;
    tg_tensor *x = n->in[0], *c = n->in[1];
    int r = op_rank(n->op);
    tg_attrs a = tight_pads(n, sp_h(x), sp_w(x), sp_h(c), sp_w(c),
                            r == 2 ? n->attr.KH_ : 1, n->attr.KW_);
    if (need[0]) gx[0] = apply_as(op_convt(r), c, gg, a);
    if (need[1]) gx[1] = apply_as(op_conv(r), x, gg, a);
}

/* ---------------------------------------------------------- descriptors */

#define CONV_ATTRS                                                         \
    {{"stride", TG_ATTR_I64, 1}, {"padding", TG_ATTR_I64, 0},               \
     {"dilation", TG_ATTR_I64, 1}, {"groups", TG_ATTR_I64, 1}}
#define CONVT_ATTRS                                                        \
    {{"stride", TG_ATTR_I64, 1}, {"padding", TG_ATTR_I64, 0},               \
     {"output_padding", TG_ATTR_I64, 0}, {"groups", TG_ATTR_I64, 1}}
#define CONVW_ATTRS                                                        \
    {{"kernel", TG_ATTR_I64, 0, true}, {"stride", TG_ATTR_I64, 1},           \
     {"padding", TG_ATTR_I64, 0}, {"groups", TG_ATTR_I64, 1}}

TG_BUILTIN_OP(conv1d,
    .n_inputs = 2, .max_inputs = 3, .attrs = CONV_ATTRS,
    .shape = conv_shape, .forward = conv_fwd, .vjp = conv_vjp,
    .cases = "conv1d(x, w, b, stride=2, padding=1) | x=2x3x7 w=4x3x3 b=4; "
             "conv1d(x, w, dilation=2, groups=2) | x=1x4x9 w=2x2x2");
TG_BUILTIN_OP(conv2d,
    .n_inputs = 2, .max_inputs = 3, .attrs = CONV_ATTRS,
    .shape = conv_shape, .forward = conv_fwd, .vjp = conv_vjp,
    .cases = "conv2d(x, w, b, stride=2, padding=1) | x=2x3x5x6 w=4x3x3x2 "
             "b=4; conv2d(x, w, dilation=2, groups=2) | x=1x4x6x5 "
             "w=2x2x2x3");
TG_BUILTIN_OP(conv_transpose1d,
    .n_inputs = 2, .max_inputs = 3, .attrs = CONVT_ATTRS,
    .shape = convt_shape, .forward = convt_fwd, .vjp = convt_vjp,
    .cases = "conv_transpose1d(x, w, b, stride=2, output_padding=1) | "
             "x=2x3x4 w=3x2x3 b=2");
TG_BUILTIN_OP(conv_transpose2d,
    .n_inputs = 2, .max_inputs = 3, .attrs = CONVT_ATTRS,
    .shape = convt_shape, .forward = convt_fwd, .vjp = convt_vjp,
    .cases = "conv_transpose2d(x, w, b, stride=3, padding=1, "
             "output_padding=2) | x=1x2x3x3 w=2x3x3x3 b=3; "
             "conv_transpose2d(x, w, groups=2) | x=2x4x3x2 w=4x1x2x2");
TG_BUILTIN_OP(conv1d_weight,
    .n_inputs = 2, .attrs = CONVW_ATTRS,
    .shape = convw_shape, .forward = convw_fwd, .vjp = convw_vjp,
    .cases = "conv1d_weight(x, gy, kernel=3, stride=2) | x=2x3x7 gy=2x4x3");
TG_BUILTIN_OP(conv2d_weight,
    .n_inputs = 2, .attrs = CONVW_ATTRS,
    .shape = convw_shape, .forward = convw_fwd, .vjp = convw_vjp,
    .cases = "conv2d_weight(x, gy, kernel=3, padding=1, groups=2) | "
             "x=2x4x5x4 gy=2x2x5x4");

/* ------------------------------------------------------------ wrappers */

static int64_t dflt(int64_t v, int64_t d) { return v ? v : d; }
_Static_assert(offsetof(tg_conv_opts, groups) ==
                   offsetof(tg_conv_opts, stride) + 8 * sizeof(int64_t),
               "opts_ok walks stride..groups as one array");

/* Per-side pads of one spatial axis from the options (k the kernel). */
static void pads(const tg_conv_opts *o, int axis, int64_t k, int64_t d,
                 int64_t *lo, int64_t *hi)
{
    if (o && o->padding_mode == TG_PAD_SAME) {
        int64_t total = d * (k - 1);
        *lo = total / 2, *hi = total - total / 2;
    } else if (o && o->padding_mode == TG_PAD_VALID) {
        *lo = *hi = 0;
    } else {
        *lo = *hi = o ? o->padding[axis] : 0;
    }
}

/* Validate what the attributes cannot carry (negative padding, "same"
 * with a stride) before the op runs; reported under the op's name. */
static bool opts_ok(tg_tensor *x, const char *op, const tg_conv_opts *o)
{
    if (!o || !x || !x->graph) return true;
    const char *bad = NULL;
    const int64_t *v = &o->stride[0];
    /* stride, padding, dilation, output_padding, groups: bounded so that
     * no size computed from them can overflow */
    for (int k = 0; k < 9; k++)
        if (v[k] > TG_CONV_ATTR_MAX || v[k] < -TG_CONV_ATTR_MAX)
            bad = "an option is out of range (at most 2^30 in magnitude)";
    if (bad)
        ;
    else if (o->padding[0] < 0 || o->padding[1] < 0)
        bad = "padding must be >= 0";
    else if (o->padding_mode == TG_PAD_SAME &&
             (dflt(o->stride[0], 1) != 1 || dflt(o->stride[1], 1) != 1))
        bad = "padding \"same\" needs stride 1 (as PyTorch)";
    else if (o->padding_mode < TG_PAD_EXPLICIT ||
             o->padding_mode > TG_PAD_VALID)
        bad = "padding_mode must be TG_PAD_EXPLICIT, TG_PAD_SAME or "
              "TG_PAD_VALID";
    if (!bad) return true;
    tg__fail(x->graph, TG_ERR_ARG, "tg_%s: %s (padding %lld, %lld, stride "
             "%lld, %lld)", op, bad, (long long)o->padding[0],
             (long long)o->padding[1], (long long)o->stride[0],
             (long long)o->stride[1]);
    return false;
}

/* opts_ok failed: x has a graph, whose sticky error is now set */
static tg_tensor *poison_of(tg_tensor *x) { return &x->graph->poison; }

static tg_tensor *conv_apply(int op, int rank, tg_tensor *x, tg_tensor *w,
                             tg_tensor *b, const tg_conv_opts *o)
{
    const char *name = tg_ops[op]->name;
    if (!opts_ok(x, name, o)) return poison_of(x);
    tg_attrs a = {0};
    int64_t kh = w && rank == 2 && w->ndim == 4 ? w->shape[2] : 1;
    int64_t kw = w && w->ndim >= 3 ? w->shape[w->ndim - 1] : 1;
    /* 1-D options live in the second slot of each pair (the W axis) */
    int ah = 0, aw = rank == 2 ? 1 : 0;
    a.SH = rank == 2 && o ? dflt(o->stride[ah], 1) : 1;
    a.SW = o ? dflt(o->stride[aw], 1) : 1;
    a.DH = rank == 2 && o ? dflt(o->dilation[ah], 1) : 1;
    a.DW = o ? dflt(o->dilation[aw], 1) : 1;
    if (rank == 2) pads(o, ah, kh, a.DH, &a.PT, &a.PB);
    pads(o, aw, kw, a.DW, &a.PL, &a.PR);
    a.GROUPS = o ? dflt(o->groups, 1) : 1;
    if (op == TG_OP_conv_transpose1d || op == TG_OP_conv_transpose2d) {
        a.OPH = rank == 2 && o ? o->output_padding[ah] : 0;
        a.OPW = o ? o->output_padding[aw] : 0;
        a.PB -= a.OPH, a.PR -= a.OPW;
    }
    set_declared(&a, op_kind(tg_ops[op]), rank);
    tg_tensor *in[3] = {x, w, b};
    return tg__apply(op, in, b ? 3 : 2, &a);
}

tg_tensor *tg_conv1d(tg_tensor *x, tg_tensor *w, tg_tensor *b,
                     const tg_conv_opts *o)
{
    return conv_apply(TG_OP_conv1d, 1, x, w, b, o);
}

tg_tensor *tg_conv2d(tg_tensor *x, tg_tensor *w, tg_tensor *b,
                     const tg_conv_opts *o)
{
    return conv_apply(TG_OP_conv2d, 2, x, w, b, o);
}

tg_tensor *tg_conv_transpose1d(tg_tensor *x, tg_tensor *w, tg_tensor *b,
                               const tg_conv_opts *o)
{
    return conv_apply(TG_OP_conv_transpose1d, 1, x, w, b, o);
}

tg_tensor *tg_conv_transpose2d(tg_tensor *x, tg_tensor *w, tg_tensor *b,
                               const tg_conv_opts *o)
{
    return conv_apply(TG_OP_conv_transpose2d, 2, x, w, b, o);
}

static tg_tensor *convw_apply(int op, int rank, tg_tensor *x, tg_tensor *gy,
                              int64_t kh, int64_t kw, const tg_conv_opts *o)
{
    if (!opts_ok(x, tg_ops[op]->name, o)) return poison_of(x);
    if (kh > TG_CONV_ATTR_MAX || kw > TG_CONV_ATTR_MAX) kh = kw = -1;
    tg_attrs a = {0};
    int ah = 0, aw = rank == 2 ? 1 : 0;
    a.SH = rank == 2 && o ? dflt(o->stride[ah], 1) : 1;
    a.SW = o ? dflt(o->stride[aw], 1) : 1;
    a.DH = rank == 2 && o ? dflt(o->dilation[ah], 1) : 1;
    a.DW = o ? dflt(o->dilation[aw], 1) : 1;
    int64_t lo, hi;
    if (rank == 2) pads(o, ah, kh, a.DH, &a.PT, &hi);
    pads(o, aw, kw, a.DW, &a.PL, &lo);
    a.GROUPS = o ? dflt(o->groups, 1) : 1;
    a.KH_ = rank == 2 ? kh : 1, a.KW_ = kw;
    set_declared(&a, 2, rank);
    return tg__apply2(op, x, gy, &a);
}

tg_tensor *tg_conv1d_weight(tg_tensor *x, tg_tensor *gy, int64_t k,
                            const tg_conv_opts *o)
{
    return convw_apply(TG_OP_conv1d_weight, 1, x, gy, 1, k, o);
}

tg_tensor *tg_conv2d_weight(tg_tensor *x, tg_tensor *gy, int64_t kh,
                            int64_t kw, const tg_conv_opts *o)
{
    return convw_apply(TG_OP_conv2d_weight, 2, x, gy, kh, kw, o);
}
