/* tapegrad/ops_conv.h — convolution, pooling and upsampling over NCHW
 * (2-D: x [N, C, H, W]) and NCL (1-D: x [N, C, L]) tensors, with PyTorch's
 * names, argument conventions and output sizes (conventions: ops_math.h).
 *
 * Example: a 3x3 convolution with "same" padding, then 2x2 max pooling:
 *
 *   tg_conv_opts o = {.padding_mode = TG_PAD_SAME};
 *   tg_tensor *h = tg_relu(tg_conv2d(x, w, b, &o));    // [N, O, H, W]
 *   tg_tensor *p = tg_max_pool2d(h, &(tg_pool_opts){.kernel = {2, 2}});
 *
 * Every op here fails (sticky graph error, poison result) on a wrong rank,
 * channels that do not match, bad options, or an empty output; the message
 * names both shapes and the output size that would result.
 */
#ifndef TAPEGRAD_OPS_CONV_H
#define TAPEGRAD_OPS_CONV_H

#include "tapegrad/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tg_pad_mode {
    TG_PAD_EXPLICIT = 0, /* padding[] zeros on both sides of each axis */
    TG_PAD_SAME = 1,     /* output size = input size (stride 1 only);
                          * d (k - 1) zeros, the odd one after (PyTorch) */
    TG_PAD_VALID = 2,    /* no padding */
} tg_pad_mode;

/* Options of a convolution. Pairs are (H, W); 1-D ops read index 0. A
 * zero stride, dilation or groups means 1, so a zero-initialised struct
 * (or NULL) is PyTorch's default: stride 1, padding 0, dilation 1,
 * groups 1. */
typedef struct tg_conv_opts {
    int64_t stride[2];
    int64_t padding[2];
    int64_t dilation[2];
    int64_t output_padding[2]; /* transposed convolutions only */
    int64_t groups;
    tg_pad_mode padding_mode;
} tg_conv_opts;

/* conv2d(x, w, b): y[n,o,p,q] = b[o] + sum_{c,i,j} w[o,c,i,j]
 * x[n, g Cg + c, p s0 - pad0 + i d0, q s1 - pad1 + j d1], zero outside x
 * (cross-correlation, as PyTorch). x [N, C, H, W], w [O, C / groups, kH,
 * kW], b [O] or NULL; y [N, O, P, Q] with P = floor((H + 2 pad0 - d0 (kH
 * - 1) - 1) / s0) + 1. groups = C = O is a depthwise convolution. */
tg_tensor *tg_conv2d(tg_tensor *x, tg_tensor *w, tg_tensor *b,
                     const tg_conv_opts *o);
/* conv1d: the same over x [N, C, L], w [O, C / groups, k]. */
tg_tensor *tg_conv1d(tg_tensor *x, tg_tensor *w, tg_tensor *b,
                     const tg_conv_opts *o);

/* conv_transpose2d(x, w, b): the adjoint of conv2d in its input, plus b:
 * x [N, C_in, H, W], w [C_in, C_out / groups, kH, kW], b [C_out] or NULL;
 * y [N, C_out, (H - 1) s0 - 2 pad0 + d0 (kH - 1) + output_padding0 + 1,
 * ...]. output_padding must be smaller than the stride or the dilation.
 * The input gradient of conv2d, and U-Net's learned upsampling. */
tg_tensor *tg_conv_transpose2d(tg_tensor *x, tg_tensor *w, tg_tensor *b,
                               const tg_conv_opts *o);
tg_tensor *tg_conv_transpose1d(tg_tensor *x, tg_tensor *w, tg_tensor *b,
                               const tg_conv_opts *o);

/* conv2d_weight(x, gy, kH, kW): the weight gradient of conv2d with
 * options o, sum_n gy[n] (x) x[n] correlated: [O, C / groups, kH, kW] for
 * x [N, C, H, W] and gy [N, O, P, Q] (torch.nn.grad.conv2d_weight).
 * Bilinear in (x, gy), differentiable in both. */
tg_tensor *tg_conv2d_weight(tg_tensor *x, tg_tensor *gy, int64_t kh,
                            int64_t kw, const tg_conv_opts *o);
tg_tensor *tg_conv1d_weight(tg_tensor *x, tg_tensor *gy, int64_t k,
                            const tg_conv_opts *o);

/* ------------------------------------------------------------ pooling */

/* Options of a pooling op. Pairs are (H, W); 1-D ops read index 0. A
 * zero stride means the kernel size and a zero dilation 1 (PyTorch's
 * defaults); the kernel must be given. padding is at most half the
 * kernel. */
typedef struct tg_pool_opts {
    int64_t kernel[2];
    int64_t stride[2];
    int64_t padding[2];
    int64_t dilation[2]; /* max pooling only */
    bool ceil_mode;      /* round the output size up (the last window may
                            start in the input or the left padding only) */
    bool exclude_pad;    /* avg: divide by the real elements of the window
                            (PyTorch's count_include_pad = False) */
} tg_pool_opts;

/* max_pool2d(x)[n,c,p,q] = max of x over the window (dilated taps at
 * p s0 - pad0 + i d0, ...; padding never wins). x [N, C, H, W], y [N, C,
 * P, Q], P = floor((H + 2 pad0 - d0 (k0 - 1) - 1) / s0) + 1 (ceil with
 * ceil_mode, less one if that window would start in the padding). A
 * window whose taps all lie in the padding (dilation can step over a small
 * input) is an error: it has no maximum (PyTorch outputs -inf). The
 * gradient goes to the first maximum of each window in row-major order;
 * NaN propagates (PyTorch). f32 planes hold at most 2^24 elements. */
tg_tensor *tg_max_pool2d(tg_tensor *x, const tg_pool_opts *o);
tg_tensor *tg_max_pool1d(tg_tensor *x, const tg_pool_opts *o);

/* avg_pool2d(x)[n,c,p,q] = sum of x over the window / divisor, divisor =
 * the window clipped to the padded input (count_include_pad, PyTorch's
 * default) or to the input (exclude_pad). Same output size as max pooling
 * without dilation. */
tg_tensor *tg_avg_pool2d(tg_tensor *x, const tg_pool_opts *o);
tg_tensor *tg_avg_pool1d(tg_tensor *x, const tg_pool_opts *o);

/* adaptive_avg_pool2d(x, P, Q)[n,c,p,q] = mean of x over rows
 * [floor(p H / P), ceil((p + 1) H / P)) and the same for columns; (1, 1)
 * is global average pooling. */
tg_tensor *tg_adaptive_avg_pool2d(tg_tensor *x, int64_t out_h, int64_t out_w);
tg_tensor *tg_adaptive_avg_pool1d(tg_tensor *x, int64_t out_len);

/* avg_pool_backward is the avg pools' VJP (internal op, differentiable):
 * not declared here; its gradient is the pool again. */

/* ---------------------------------------------------------- upsampling */

typedef enum tg_interp_mode {
    TG_INTERP_NEAREST = 0,
    TG_INTERP_LINEAR = 1, /* bilinear on NCHW, linear on NCL */
} tg_interp_mode;

/* Per spatial axis k (H, W; 1-D: index 0) give size[k] > 0, or else
 * scale_factor[k] > 0 (output floor(in * scale_factor)). */
typedef struct tg_interp_opts {
    int64_t size[2];
    double scale_factor[2];
    tg_interp_mode mode;
    bool align_corners; /* linear only: corners of input and output align */
} tg_interp_opts;

/* interpolate(x): F.interpolate's nearest and (bi)linear modes over x [N,
 * C, H, W] or [N, C, L]: nearest y[d] = x[min(floor(d s), in - 1)];
 * linear y[d] = (1 - l) x[i0] + l x[i0 + 1] at src = s (d + 0.5) - 0.5
 * (>= 0), or src = d (in - 1) / (out - 1) with align_corners; s = in / out
 * for a size, 1 / scale_factor for a scale factor. A composition of
 * index_select and products (any order of derivatives). */
tg_tensor *tg_interpolate(tg_tensor *x, const tg_interp_opts *o);

/* dropout2d(x, p): in training each channel x[n, c] is zeroed with
 * probability p (one draw per (n, c) from tg_graph_rng in order) and kept
 * ones are scaled by 1 / (1 - p); eval mode (or p == 0) returns x itself.
 * x [N, C, ...], p in [0, 1). */
tg_tensor *tg_dropout2d(tg_tensor *x, double p);

#ifdef __cplusplus
}
#endif
#endif
