/* Shared machinery of elementwise ops: the broadcasting binary driver and
 * the same-shape unary driver. Kernels keep the uniform signature
 * outputs-first: k(n, y, a, sa, b, sb) where sa, sb are 0 (broadcast
 * scalar) or 1 (contiguous). The shape rules tg_shape_same and
 * tg_shape_broadcast are public (tapegrad/op.h). */
#ifndef TAPEGRAD_ELEMENTWISE_H
#define TAPEGRAD_ELEMENTWISE_H

#include "src/internal.h"

typedef void (*tg_bin_f32)(int64_t n, float *y, const float *a, int64_t sa,
                           const float *b, int64_t sb);
typedef void (*tg_bin_f64)(int64_t n, double *y, const double *a, int64_t sa,
                           const double *b, int64_t sb);

/* Run a binary kernel over the broadcast plan, threaded when large. */
tg_status tg__binary_run(tg_node *n, tg_bin_f32 kf, tg_bin_f64 kd);
/* y = k(x) for a unary tg_vec_* kernel pair. */
tg_status tg__unary_run(tg_node *n,
                        void (*kf)(int64_t, float *, const float *),
                        void (*kd)(int64_t, double *, const double *));

/* Defines static kernels NAME_f32 / NAME_f64 computing y = EXPR(a, b) for
 * the four stride cases, each a plain loop the compiler vectorizes. */
#define TG__BIN_KERNEL(NAME, T, EXPR)                                        \
    static void NAME(int64_t n, T *restrict y, const T *restrict a,          \
                     int64_t sa, const T *restrict b, int64_t sb)            \
    {                                                                        \
        if (sa && sb) {                                                      \
            for (int64_t i = 0; i < n; i++) y[i] = EXPR(a[i], b[i]);         \
        } else if (sb) {                                                     \
            const T av = a[0];                                               \
            for (int64_t i = 0; i < n; i++) y[i] = EXPR(av, b[i]);           \
        } else if (sa) {                                                     \
            const T bv = b[0];                                               \
            for (int64_t i = 0; i < n; i++) y[i] = EXPR(a[i], bv);           \
        } else {                                                             \
            const T v = EXPR(a[0], b[0]);                                    \
            for (int64_t i = 0; i < n; i++) y[i] = v;                        \
        }                                                                    \
    }
#define TG_BINARY_KERNELS(NAME, EXPR)                                        \
    TG__BIN_KERNEL(NAME##_f32, float, EXPR)                                  \
    TG__BIN_KERNEL(NAME##_f64, double, EXPR)

#endif
