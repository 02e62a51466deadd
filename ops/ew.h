/* Shared pieces of the elementwise-math and activation ops (ops/ew_*.c,
 * ops/act_*.c): the parameterised binary driver and small helpers that
 * keep attribute checks and their messages uniform. */
#ifndef TAPEGRAD_EW_H
#define TAPEGRAD_EW_H

#include "ops/elementwise.h"
#include "ops/kernels.h"
#include "ops/simd.h"

#include <math.h>

/* Run a binary kernel table over n->in[0], n->in[1] broadcast to n->out,
 * passing the op's parameters p0, p1, p2, threaded above TG_PAR_MIN. */
tg_status tg__ew_binary_run(tg_node *n, const tg_bin2_f32_fn kf[3],
                            const tg_bin2_f64_fn kd[3], double p0, double p1,
                            double p2);

/* y = k(x) for a map kernel table with parameters. */
tg_status tg__ew_map_run(tg_node *n, const tg_map_f32_fn kf[3],
                         const tg_map_f64_fn kd[3], double p0, double p1,
                         double p2);

/* Fails with TG_ERR_ARG and "<what> must be finite (got nan)" unless v is
 * finite; returns the status. */
tg_status tg__ew_need_finite(tg_graph *g, const tg_node *n, const char *what,
                             double v);

/* A graph-owned constant tensor of x's dtype and shape, uninitialised, for
 * masks and saved values that backward reads (never differentiated). */
tg_tensor *tg__ew_saved_like(tg_graph *g, const tg_node *n,
                             const tg_tensor *x);


/* Constants for VJPs: a graph-owned tensor (flag TG_TF_CONSTANT, never
 * differentiated) holding k(x) for a map table (shape of x), or k(in[0],
 * in[1]) broadcast for a binary table (shape of n->out). Used for masks and
 * tie weights, which are piecewise constant, so treating them as constants
 * keeps second derivatives right. NULL on allocation failure (the sticky
 * error is set). */
tg_tensor *tg__ew_map_const(tg_graph *g, const tg_node *n, tg_tensor *x,
                            const tg_map_f32_fn kf[3],
                            const tg_map_f64_fn kd[3], double p0, double p1,
                            double p2);
tg_tensor *tg__ew_binary_const(tg_graph *g, const tg_node *n,
                               const tg_bin2_f32_fn kf[3],
                               const tg_bin2_f64_fn kd[3], double p0,
                               double p1, double p2);

/* Instantiate M(I) for each instruction set: used to define per-ISA
 * static inline helpers (TG_TARGET_##I) that kernel bodies call, so a
 * body can use local variables. */
#define TG_EW_FOR_ISAS(M) M(sse2) M(avx2) M(avx512)

#endif
