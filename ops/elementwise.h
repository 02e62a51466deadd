/* Shared machinery of elementwise ops: the broadcasting binary driver and
 * the same-shape unary driver. Kernels keep the uniform signature
 * outputs-first: k(n, y, a, sa, b, sb) where sa, sb are 0 (broadcast
 * scalar) or 1 (contiguous). The shape rules tg_shape_same and
 * tg_shape_broadcast are public (tapegrad/op.h). */
#ifndef TAPEGRAD_ELEMENTWISE_H
#define TAPEGRAD_ELEMENTWISE_H

#include "ops/kernels.h"
#include "src/internal.h"

typedef void (*tg_bin_f32)(int64_t n, float *y, const float *a, int64_t sa,
                           const float *b, int64_t sb);
typedef void (*tg_bin_f64)(int64_t n, double *y, const double *a, int64_t sa,
                           const double *b, int64_t sb);

/* One binary kernel call for tg__binary_run_p: a kernel without
 * parameters (f32/f64), or one with parameters (pf32/pf64 with p). */
typedef struct tg_bin_call {
    tg_bin_f32 f32;
    tg_bin_f64 f64;
    tg_bin_f32_fn pf32;
    tg_bin_f64_fn pf64;
    tg_kp p;
} tg_bin_call;
/* The broadcast driver behind tg__binary_run and tg__ew_binary_run: runs
 * the call over the broadcast plan of n->in[0], n->in[1] into out (of
 * n->out's shape), threaded when large. */
void tg__binary_run_call(const tg_node *n, tg_tensor *out, const tg_bin_call *c);

/* Run a binary kernel over the broadcast plan, threaded when large. The
 * common case, small and unbroadcast along any dim (same shapes, or an
 * operand of one element), calls the kernel here: inlined into the op's
 * forward, where kf and kd are known, a 0-d op is the arithmetic itself
 * instead of three calls and the kernel's pointer. tg__binary_run_call
 * takes the rest (and makes the same test, for its other callers). */
static inline __attribute__((always_inline)) tg_status
tg__binary_run(tg_node *n, tg_bin_f32 kf, tg_bin_f64 kd)
{
    const tg_tensor *x0 = n->in[0], *x1 = n->in[1];
    tg_tensor *y = n->out;
    int64_t na = x0->numel, nb = x1->numel, no = y->numel;
    if (no <= TG_PAR_MIN && (na == no || na == 1) && (nb == no || nb == 1)) {
        if (no == 0) return TG_OK;
        if (y->dtype == TG_F64)
            kd(no, y->data, x0->data, na == no, x1->data, nb == no);
        else
            kf(no, y->data, x0->data, na == no, x1->data, nb == no);
        return TG_OK;
    }
    tg_bin_call c = {.f32 = kf, .f64 = kd};
    tg__binary_run_call(n, y, &c);
    return TG_OK;
}

/* One element from one element each (a 0-d op, most often): y = f(a, b)
 * with the op's scalar function, no kernel call. false: not that case. */
static inline __attribute__((always_inline)) bool
tg__binary_one(const tg_node *n, float (*f32)(float, float),
               double (*f64)(double, double))
{
    const tg_tensor *x0 = n->in[0], *x1 = n->in[1];
    tg_tensor *y = n->out;
    if (y->numel != 1 || x0->numel != 1 || x1->numel != 1) return false;
    if (y->dtype == TG_F64)
        *(double *)y->data = f64(*(const double *)x0->data,
                                 *(const double *)x1->data);
    else
        *(float *)y->data = f32(*(const float *)x0->data,
                                *(const float *)x1->data);
    return true;
}

/* y = k(x) for a unary tg_vec_* kernel pair. */
static inline __attribute__((always_inline)) tg_status
tg__unary_run(tg_node *n, void (*kf)(int64_t, float *, const float *),
              void (*kd)(int64_t, double *, const double *))
{
    tg_tensor *x = n->in[0], *y = n->out;
    if (y->dtype == TG_F32) kf(y->numel, y->data, x->data);
    else kd(y->numel, y->data, x->data);
    return TG_OK;
}

/* y = f(a, b) over the four stride cases (sa, sb in {0, 1}), each a plain
 * loop: with f a constant (the callers pass a static inline function), it
 * is inlined and the compiler vectorizes each case. */
static inline __attribute__((always_inline)) void
tg__bin_loop_f32(int64_t n, float *restrict y, const float *restrict a,
                 int64_t sa, const float *restrict b, int64_t sb,
                 float (*f)(float, float))
{
    if (sa && sb) {
        for (int64_t i = 0; i < n; i++) y[i] = f(a[i], b[i]);
    } else if (sb) {
        const float av = a[0];
        for (int64_t i = 0; i < n; i++) y[i] = f(av, b[i]);
    } else if (sa) {
        const float bv = b[0];
        for (int64_t i = 0; i < n; i++) y[i] = f(a[i], bv);
    } else {
        const float v = f(a[0], b[0]);
        for (int64_t i = 0; i < n; i++) y[i] = v;
    }
}
static inline __attribute__((always_inline)) void
tg__bin_loop_f64(int64_t n, double *restrict y, const double *restrict a,
                 int64_t sa, const double *restrict b, int64_t sb,
                 double (*f)(double, double))
{
    if (sa && sb) {
        for (int64_t i = 0; i < n; i++) y[i] = f(a[i], b[i]);
    } else if (sb) {
        const double av = a[0];
        for (int64_t i = 0; i < n; i++) y[i] = f(av, b[i]);
    } else if (sa) {
        const double bv = b[0];
        for (int64_t i = 0; i < n; i++) y[i] = f(a[i], bv);
    } else {
        const double v = f(a[0], b[0]);
        for (int64_t i = 0; i < n; i++) y[i] = v;
    }
}

#endif
