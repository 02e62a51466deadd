/* Shared pieces of the elementwise-math and activation ops (ops/ew_*.c,
 * ops/act_*.c, ops/tanh.c): running a kernel of the kernel set
 * (ops/kernels.h) over a node, and small helpers that keep attribute
 * checks and their messages uniform. */
#ifndef TAPEGRAD_EW_H
#define TAPEGRAD_EW_H

#include "ops/elementwise.h"
#include "ops/kernels.h"

#include <math.h>

/* y = k(x; p) over n->in[0] into n->out, threaded above TG_PAR_MIN. */
tg_status tg__ew_map_run(tg_node *n, tg_map_kernel k, tg_kp p);
/* y = k(in[0], in[1]; p), NumPy broadcasting, threaded above TG_PAR_MIN. */
tg_status tg__ew_binary_run(tg_node *n, tg_bin_kernel k, tg_kp p);

/* Fails with TG_ERR_ARG and "<what> must be finite (got nan)" unless v is
 * finite; returns the status. */
tg_status tg__ew_need_finite(tg_graph *g, const tg_node *n, const char *what,
                             double v);

/* A graph-owned constant tensor of x's dtype and shape, uninitialised, for
 * masks and saved values that backward reads (never differentiated). */
tg_tensor *tg__ew_saved_like(tg_graph *g, const tg_node *n,
                             const tg_tensor *x);

/* Constants for VJPs: a graph-owned tensor (flag TG_TF_CONSTANT, never
 * differentiated) holding k(x) for a map kernel (shape of x), or k(in[0],
 * in[1]) broadcast for a binary kernel (shape of n->out). Used for masks
 * and tie weights, which are piecewise constant, so treating them as
 * constants keeps second derivatives right. NULL on allocation failure
 * (the sticky error is set). */
tg_tensor *tg__ew_map_const(tg_graph *g, const tg_node *n, tg_tensor *x,
                            tg_map_kernel k, tg_kp p);
tg_tensor *tg__ew_binary_const(tg_graph *g, const tg_node *n,
                               tg_bin_kernel k, tg_kp p);

#endif
