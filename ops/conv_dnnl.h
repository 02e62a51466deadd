/* f32 convolutions through oneDNN's convolution primitives (ops/conv_dnnl.c),
 * the kernels that ops/conv.c calls before its im2col + GEMM.
 *
 * Legend as in ops/conv.c: the image side [N, C, H, W], the column side
 * [N, O, P, Q], G groups, weight [O, C / G, KH, KW]; strides sh, sw,
 * dilations dh, dw, top and left paddings pt, pl (the bottom and right
 * ones follow from the sizes). A 1-D op is the 2-D one with H = P = KH = 1.
 *
 * Each call returns true when oneDNN computed the whole output, false when
 * the caller must run im2col: the dispatch rule said no (f64 never comes
 * here; tg__conv_dnnl_wanted), the build has no oneDNN, or oneDNN failed
 * (a primitive it cannot create for this geometry, a failed execution, no
 * memory for the blocked copies). Nothing is reported then: the im2col
 * path computes the same values and reports its own errors.
 * Thread-safe: separate graphs may run convolutions in separate threads. */
#ifndef TAPEGRAD_CONV_DNNL_H
#define TAPEGRAD_CONV_DNNL_H

#include <stdbool.h>
#include <stdint.h>

typedef struct tg_conv_geo {
    int64_t N, C, H, W;    /* image side                     */
    int64_t O, P, Q;       /* column side                    */
    int64_t G, KH, KW;     /* groups, kernel                 */
    int64_t sh, sw, dh, dw, pt, pl;
} tg_conv_geo;

/* The three directions, as oneDNN names them. */
typedef enum tg_conv_kind {
    TG_CONV_FWD,         /* conv2d:           y = conv(x, w) + b          */
    TG_CONV_BWD_DATA,    /* conv_transpose2d: img = conv^T(cols, w)       */
    TG_CONV_BWD_WEIGHTS, /* conv2d_weight:    dw = conv_weight(x, gy)     */
    TG_CONV_NKINDS
} tg_conv_kind;

/* Which kernel f32 convolutions use: AUTO (the measured rule), IM2COL
 * (always im2col + GEMM) or ONEDNN (oneDNN for every geometry it accepts,
 * whatever its size: what the tests use to run their cases through it).
 * The default comes from the environment, TG_CONV=im2col|onednn|auto,
 * read once; tests switch it with tg__conv_set_path. Process-wide. */
typedef enum tg_conv_path {
    TG_CONV_PATH_AUTO,
    TG_CONV_PATH_IM2COL,
    TG_CONV_PATH_ONEDNN
} tg_conv_path;

void tg__conv_set_path(tg_conv_path p);
tg_conv_path tg__conv_get_path(void);

/* Whether the build has oneDNN's convolution at all. */
bool tg__conv_dnnl_available(void);

/* The dispatch rule for f32 (docs/benchmarks.md, "Convolution kernels"):
 * true when this geometry goes to oneDNN under the current path. */
bool tg__conv_dnnl_wanted(tg_conv_kind k, const tg_conv_geo *q);

/* FWD:         out y [N, O, P, Q]; a x [N, C, H, W]; b w; bias [O] or NULL
 * BWD_DATA:    out img [N, C, H, W]; a cols [N, O, P, Q]; b w; no bias
 * BWD_WEIGHTS: out dw [O, C / G, KH, KW]; a x; b gy [N, O, P, Q]; no bias */
bool tg__conv_dnnl(tg_conv_kind k, const tg_conv_geo *q, float *out,
                   const float *a, const float *b, const float *bias);

/* For tests and benchmarks: how many calls of each kind oneDNN computed,
 * how many it was asked for and failed (the caller then ran im2col), and
 * how many primitives (one per geometry, kind and thread count) the cache
 * holds. */
int64_t tg__conv_dnnl_calls(tg_conv_kind k);
int64_t tg__conv_dnnl_failures(void);
int tg__conv_dnnl_cached(void);
/* Tests: the next n executions fail as a oneDNN status other than
 * success would (each such call then runs im2col). */
void tg__conv_dnnl_fail_next(int n);
/* The implementation oneDNN chose for a cached geometry ("" when none):
 * for the benchmarks' notes. */
const char *tg__conv_dnnl_impl(tg_conv_kind k, const tg_conv_geo *q);

#endif
