/* One kernel unit: the vector kernels of every op, compiled for the
 * instruction set whose vocabulary (ops/simd.h) is in scope. Included once
 * by each of ops/kern_sse2.c, kern_avx2.c and kern_avx512.c, which define
 * the instruction set and name the resulting tg_kernel_set.
 *
 * The loops: whole vectors through the body; the last n % lanes elements
 * are copied into a zero-padded vector and go through the same body, so
 * every element gets the same instructions whatever its position, chunk
 * or thread (results are bitwise independent of the split and of the
 * neighbours), and a body is written once. Outputs of at least
 * TG_STREAM_BYTES are written with non-temporal stores: they would evict
 * the cache anyway, and skipping the read-for-ownership saves a third of
 * the memory traffic of a unary op. */
#ifndef TAPEGRAD_KERN_UNIT_H
#define TAPEGRAD_KERN_UNIT_H

#include "ops/kern_act.h"
#include "ops/kern_gelu.h"
#include "ops/kern_math.h"
#include "ops/kern_math2.h"
#include "ops/kern_rows.h"
#include "src/nn/optim_kern.h"

static const uint64_t tg_stream_bytes = 16u << 20;

static inline bool stream_ok(int64_t n, size_t size, const void *y, size_t vbytes)
{
    return (uint64_t)n * size >= tg_stream_bytes && (uintptr_t)y % vbytes == 0;
}

/* f32 bodies: f, or (f NULL) the f64 body fd on both halves of the
 * vector, rounded once on the way back (for composite formulas whose f32
 * evaluation would lose ulps) */
static inline vf apply_f32(vf x, tg_kp p, vf (*f)(vf, tg_kp), vd (*fd)(vd, tg_kp))
{
    return f ? f(x, p) : vf_of_vd2(fd(vd_lo(x), p), fd(vd_hi(x), p));
}
static inline vf apply2_f32(vf a, vf b, tg_kp p, vf (*f)(vf, vf, tg_kp),
                            vd (*fd)(vd, vd, tg_kp))
{
    return f ? f(a, b, p)
             : vf_of_vd2(fd(vd_lo(a), vd_lo(b), p), fd(vd_hi(a), vd_hi(b), p));
}

static inline __attribute__((always_inline)) void
map_f32(int64_t n, float *y, const float *x, tg_kp p, vf (*f)(vf, tg_kp),
        vd (*fd)(vd, tg_kp))
{
    int64_t i = 0;
    if (stream_ok(n, sizeof(float), y, sizeof(vf))) {
        for (; i + TG_NF <= n; i += TG_NF) vf_stream(y + i, apply_f32(vf_load(x + i), p, f, fd));
        _mm_sfence();
    } else {
        for (; i + TG_NF <= n; i += TG_NF) vf_store(y + i, apply_f32(vf_load(x + i), p, f, fd));
    }
    if (i < n) {
        /* one element left (all of a 0-d op) is broadcast into every
         * lane instead of padded through the stack buffers; lanes are
         * computed apart, so lane 0 is the padded tail's result, bit for
         * bit */
        const bool one = i + 1 == n;
        float xb[TG_NF], yb[TG_NF];
        vf v;
        if (one) {
            v = vf_set1(x[i]);
        } else {
            for (int j = 0; j < TG_NF; j++) xb[j] = i + j < n ? x[i + j] : 0.0f;
            v = vf_load(xb);
        }
        vf r = apply_f32(v, p, f, fd);
        if (one) {
            y[i] = vf_first(r);
        } else {
            vf_store(yb, r);
            for (int j = 0; i + j < n; j++) y[i + j] = yb[j];
        }
    }
}
static inline __attribute__((always_inline)) void
map_f64(int64_t n, double *y, const double *x, tg_kp p, vd (*f)(vd, tg_kp))
{
    int64_t i = 0;
    if (stream_ok(n, sizeof(double), y, sizeof(vd))) {
        for (; i + TG_ND <= n; i += TG_ND) vd_stream(y + i, f(vd_load(x + i), p));
        _mm_sfence();
    } else {
        for (; i + TG_ND <= n; i += TG_ND) vd_store(y + i, f(vd_load(x + i), p));
    }
    if (i < n) {
        double xb[TG_ND], yb[TG_ND];
        for (int j = 0; j < TG_ND; j++) xb[j] = i + j < n ? x[i + j] : 0.0;
        vd_store(yb, f(vd_load(xb), p));
        for (int j = 0; i + j < n; j++) y[i + j] = yb[j];
    }
}

/* binary: each operand contiguous (stride 1) or one broadcast value
 * (stride 0) */
static inline __attribute__((always_inline)) void
bin_f32(int64_t n, float *y, const float *a, int64_t sa, const float *b,
        int64_t sb, tg_kp p, vf (*f)(vf, vf, tg_kp), vd (*fd)(vd, vd, tg_kp))
{
    int64_t i = 0;
    const vf ab = vf_set1(a[0]), bb = vf_set1(b[0]);
    if (stream_ok(n, sizeof(float), y, sizeof(vf))) {
        for (; i + TG_NF <= n; i += TG_NF) {
            vf va = sa ? vf_load(a + i) : ab, vb = sb ? vf_load(b + i) : bb;
            vf_stream(y + i, apply2_f32(va, vb, p, f, fd));
        }
        _mm_sfence();
    } else {
        for (; i + TG_NF <= n; i += TG_NF) {
            vf va = sa ? vf_load(a + i) : ab, vb = sb ? vf_load(b + i) : bb;
            vf_store(y + i, apply2_f32(va, vb, p, f, fd));
        }
    }
    if (i < n) {
        float ta[TG_NF], tb[TG_NF], yb[TG_NF];
        for (int j = 0; j < TG_NF; j++) {
            ta[j] = i + j < n ? a[(i + j) * sa] : 0.0f;
            tb[j] = i + j < n ? b[(i + j) * sb] : 0.0f;
        }
        vf_store(yb, apply2_f32(vf_load(ta), vf_load(tb), p, f, fd));
        for (int j = 0; i + j < n; j++) y[i + j] = yb[j];
    }
}
static inline __attribute__((always_inline)) void
bin_f64(int64_t n, double *y, const double *a, int64_t sa, const double *b,
        int64_t sb, tg_kp p, vd (*f)(vd, vd, tg_kp))
{
    int64_t i = 0;
    const vd ab = vd_set1(a[0]), bb = vd_set1(b[0]);
    if (stream_ok(n, sizeof(double), y, sizeof(vd))) {
        for (; i + TG_ND <= n; i += TG_ND) {
            vd va = sa ? vd_load(a + i) : ab, vb = sb ? vd_load(b + i) : bb;
            vd_stream(y + i, f(va, vb, p));
        }
        _mm_sfence();
    } else {
        for (; i + TG_ND <= n; i += TG_ND) {
            vd va = sa ? vd_load(a + i) : ab, vb = sb ? vd_load(b + i) : bb;
            vd_store(y + i, f(va, vb, p));
        }
    }
    if (i < n) {
        double ta[TG_ND], tb[TG_ND], yb[TG_ND];
        for (int j = 0; j < TG_ND; j++) {
            ta[j] = i + j < n ? a[(i + j) * sa] : 0.0;
            tb[j] = i + j < n ? b[(i + j) * sb] : 0.0;
        }
        vd_store(yb, f(vd_load(ta), vd_load(tb), p));
        for (int j = 0; i + j < n; j++) y[i + j] = yb[j];
    }
}

/* ---- the kernels of the set (ops/kern_table.h) */
static void k_exp_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, exp_vf, NULL);
}
static void k_exp_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, exp_vd);
}
static void k_log_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, log_vf, NULL);
}
static void k_log_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, log_vd);
}
static void k_log1p_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, log1p_vf, NULL);
}
static void k_log1p_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, log1p_vd);
}
static void k_expm1_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, expm1_vf, NULL);
}
static void k_expm1_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, expm1_vd);
}
static void k_sin_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, sin_vf, NULL);
}
static void k_sin_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, sin_vd);
}
static void k_cos_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, cos_vf, NULL);
}
static void k_cos_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, cos_vd);
}
static void k_erf_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, erf_vf, NULL);
}
static void k_erf_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, erf_vd);
}
static void k_abs_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, abs_vf, NULL);
}
static void k_abs_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, abs_vd);
}
static void k_sign_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, sign_vf, NULL);
}
static void k_sign_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, sign_vd);
}
static void k_sqrt_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, sqrt_vf, NULL);
}
static void k_sqrt_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, sqrt_vd);
}
static void k_rsqrt_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, NULL, rsqrt_vd);
}
static void k_rsqrt_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, rsqrt_vd);
}
static void k_square_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, square_vf, NULL);
}
static void k_square_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, square_vd);
}
static void k_reciprocal_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, reciprocal_vf, NULL);
}
static void k_reciprocal_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, reciprocal_vd);
}
static void k_pow_scalar_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, pow_scalar_vf, NULL);
}
static void k_pow_scalar_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, pow_scalar_vd);
}
static void k_clamp_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, clamp_vf, NULL);
}
static void k_clamp_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, clamp_vd);
}
static void k_clamp_mask_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, clamp_mask_vf, NULL);
}
static void k_clamp_mask_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, clamp_mask_vd);
}
static void k_relu_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, relu_vf, NULL);
}
static void k_relu_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, relu_vd);
}
static void k_leaky_relu_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, leaky_relu_vf, NULL);
}
static void k_leaky_relu_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, leaky_relu_vd);
}
static void k_posmask_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, posmask_vf, NULL);
}
static void k_posmask_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, posmask_vd);
}
static void k_hardshrink_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, hardshrink_vf, NULL);
}
static void k_hardshrink_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, hardshrink_vd);
}
static void k_hardshrink_mask_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, hardshrink_mask_vf, NULL);
}
static void k_hardshrink_mask_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, hardshrink_mask_vd);
}
static void k_tanh_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, tanh_vf, NULL);
}
static void k_tanh_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, tanh_vd);
}
static void k_sigmoid_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, sigmoid_vf, NULL);
}
static void k_sigmoid_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, sigmoid_vd);
}
static void k_logsigmoid_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, NULL, logsigmoid_vd);
}
static void k_logsigmoid_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, logsigmoid_vd);
}
static void k_silu_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, silu_vf, NULL);
}
static void k_silu_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, silu_vd);
}
static void k_gelu_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, gelu_vf, NULL);
}
static void k_gelu_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, gelu_vd);
}
static void k_gelu_tanh_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, gelu_tanh_vf, NULL);
}
static void k_gelu_tanh_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, gelu_tanh_vd);
}
static void k_elu_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, NULL, elu_vd);
}
static void k_elu_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, elu_vd);
}
static void k_selu_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, NULL, selu_vd);
}
static void k_selu_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, selu_vd);
}
static void k_celu_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, NULL, celu_vd);
}
static void k_celu_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, celu_vd);
}
static void k_nonpos_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, NULL, nonpos_vd);
}
static void k_nonpos_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, nonpos_vd);
}
static void k_softplus_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, NULL, softplus_vd);
}
static void k_softplus_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, softplus_vd);
}
static void k_softplus_mask_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, NULL, softplus_mask_vd);
}
static void k_softplus_mask_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, softplus_mask_vd);
}
static void k_pow_f32(int64_t n, float *y, const float *a, int64_t sa,
                      const float *b, int64_t sb, tg_kp p)
{
    bin_f32(n, y, a, sa, b, sb, p, pow_vf, NULL);
}
static void k_pow_f64(int64_t n, double *y, const double *a, int64_t sa,
                      const double *b, int64_t sb, tg_kp p)
{
    bin_f64(n, y, a, sa, b, sb, p, pow_vd);
}
static void k_maximum_f32(int64_t n, float *y, const float *a, int64_t sa,
                          const float *b, int64_t sb, tg_kp p)
{
    bin_f32(n, y, a, sa, b, sb, p, maximum_vf, NULL);
}
static void k_maximum_f64(int64_t n, double *y, const double *a, int64_t sa,
                          const double *b, int64_t sb, tg_kp p)
{
    bin_f64(n, y, a, sa, b, sb, p, maximum_vd);
}
static void k_minimum_f32(int64_t n, float *y, const float *a, int64_t sa,
                          const float *b, int64_t sb, tg_kp p)
{
    bin_f32(n, y, a, sa, b, sb, p, minimum_vf, NULL);
}
static void k_minimum_f64(int64_t n, double *y, const double *a, int64_t sa,
                          const double *b, int64_t sb, tg_kp p)
{
    bin_f64(n, y, a, sa, b, sb, p, minimum_vd);
}
static void k_wmax_f32(int64_t n, float *y, const float *a, int64_t sa,
                       const float *b, int64_t sb, tg_kp p)
{
    bin_f32(n, y, a, sa, b, sb, p, wmax_vf, NULL);
}
static void k_wmax_f64(int64_t n, double *y, const double *a, int64_t sa,
                       const double *b, int64_t sb, tg_kp p)
{
    bin_f64(n, y, a, sa, b, sb, p, wmax_vd);
}
static void k_wmin_f32(int64_t n, float *y, const float *a, int64_t sa,
                       const float *b, int64_t sb, tg_kp p)
{
    bin_f32(n, y, a, sa, b, sb, p, wmin_vf, NULL);
}
static void k_wmin_f64(int64_t n, double *y, const double *a, int64_t sa,
                       const double *b, int64_t sb, tg_kp p)
{
    bin_f64(n, y, a, sa, b, sb, p, wmin_vd);
}
static void k_relu_backward_f32(int64_t n, float *y, const float *a, int64_t sa,
                                const float *b, int64_t sb, tg_kp p)
{
    bin_f32(n, y, a, sa, b, sb, p, relu_backward_vf, NULL);
}
static void k_relu_backward_f64(int64_t n, double *y, const double *a, int64_t sa,
                                const double *b, int64_t sb, tg_kp p)
{
    bin_f64(n, y, a, sa, b, sb, p, relu_backward_vd);
}
static void k_leaky_relu_backward_f32(int64_t n, float *y, const float *a, int64_t sa,
                                      const float *b, int64_t sb, tg_kp p)
{
    bin_f32(n, y, a, sa, b, sb, p, leaky_relu_backward_vf, NULL);
}
static void k_leaky_relu_backward_f64(int64_t n, double *y, const double *a, int64_t sa,
                                      const double *b, int64_t sb, tg_kp p)
{
    bin_f64(n, y, a, sa, b, sb, p, leaky_relu_backward_vd);
}
static void k_tanh_backward_f32(int64_t n, float *y, const float *a, int64_t sa,
                                const float *b, int64_t sb, tg_kp p)
{
    bin_f32(n, y, a, sa, b, sb, p, NULL, tanh_backward_vd);
}
static void k_tanh_backward_f64(int64_t n, double *y, const double *a, int64_t sa,
                                const double *b, int64_t sb, tg_kp p)
{
    bin_f64(n, y, a, sa, b, sb, p, tanh_backward_vd);
}
static void k_sigmoid_backward_f32(int64_t n, float *y, const float *a, int64_t sa,
                                   const float *b, int64_t sb, tg_kp p)
{
    bin_f32(n, y, a, sa, b, sb, p, NULL, sigmoid_backward_vd);
}
static void k_sigmoid_backward_f64(int64_t n, double *y, const double *a, int64_t sa,
                                   const double *b, int64_t sb, tg_kp p)
{
    bin_f64(n, y, a, sa, b, sb, p, sigmoid_backward_vd);
}
static void k_logsigmoid_backward_f32(int64_t n, float *y, const float *a, int64_t sa,
                                      const float *b, int64_t sb, tg_kp p)
{
    bin_f32(n, y, a, sa, b, sb, p, NULL, logsigmoid_backward_vd);
}
static void k_logsigmoid_backward_f64(int64_t n, double *y, const double *a, int64_t sa,
                                      const double *b, int64_t sb, tg_kp p)
{
    bin_f64(n, y, a, sa, b, sb, p, logsigmoid_backward_vd);
}
static void k_silu_backward_f32(int64_t n, float *y, const float *a, int64_t sa,
                                const float *b, int64_t sb, tg_kp p)
{
    bin_f32(n, y, a, sa, b, sb, p, NULL, silu_backward_vd);
}
static void k_silu_backward_f64(int64_t n, double *y, const double *a, int64_t sa,
                                const double *b, int64_t sb, tg_kp p)
{
    bin_f64(n, y, a, sa, b, sb, p, silu_backward_vd);
}
static void k_gelu_backward_f32(int64_t n, float *y, const float *a, int64_t sa,
                                const float *b, int64_t sb, tg_kp p)
{
    bin_f32(n, y, a, sa, b, sb, p, gelu_backward_vf, NULL);
}
static void k_gelu_backward_f64(int64_t n, double *y, const double *a, int64_t sa,
                                const double *b, int64_t sb, tg_kp p)
{
    bin_f64(n, y, a, sa, b, sb, p, gelu_backward_vd);
}
static void k_gelu_tanh_backward_f32(int64_t n, float *y, const float *a, int64_t sa,
                                     const float *b, int64_t sb, tg_kp p)
{
    bin_f32(n, y, a, sa, b, sb, p, NULL, gelu_tanh_backward_vd);
}
static void k_gelu_tanh_backward_f64(int64_t n, double *y, const double *a, int64_t sa,
                                     const double *b, int64_t sb, tg_kp p)
{
    bin_f64(n, y, a, sa, b, sb, p, gelu_tanh_backward_vd);
}
static void k_elu_backward_f32(int64_t n, float *y, const float *a, int64_t sa,
                               const float *b, int64_t sb, tg_kp p)
{
    bin_f32(n, y, a, sa, b, sb, p, NULL, elu_backward_vd);
}
static void k_elu_backward_f64(int64_t n, double *y, const double *a, int64_t sa,
                               const double *b, int64_t sb, tg_kp p)
{
    bin_f64(n, y, a, sa, b, sb, p, elu_backward_vd);
}
static void k_softplus_backward_f32(int64_t n, float *y, const float *a, int64_t sa,
                                    const float *b, int64_t sb, tg_kp p)
{
    bin_f32(n, y, a, sa, b, sb, p, NULL, softplus_backward_vd);
}
static void k_softplus_backward_f64(int64_t n, double *y, const double *a, int64_t sa,
                                    const double *b, int64_t sb, tg_kp p)
{
    bin_f64(n, y, a, sa, b, sb, p, softplus_backward_vd);
}

/* ops/kern_math2.h */
static void k_tan_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, tan_vf, NULL);
}
static void k_tan_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, tan_vd);
}
static void k_asin_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, asin_vf, NULL);
}
static void k_asin_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, asin_vd);
}
static void k_acos_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, acos_vf, NULL);
}
static void k_acos_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, acos_vd);
}
static void k_atan_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, atan_vf, NULL);
}
static void k_atan_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, atan_vd);
}
static void k_sinh_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, sinh_vf, NULL);
}
static void k_sinh_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, sinh_vd);
}
static void k_cosh_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, cosh_vf, NULL);
}
static void k_cosh_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, cosh_vd);
}
static void k_asinh_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, asinh_vf, NULL);
}
static void k_asinh_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, asinh_vd);
}
static void k_acosh_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, acosh_vf, NULL);
}
static void k_acosh_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, acosh_vd);
}
static void k_atanh_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, atanh_vf, NULL);
}
static void k_atanh_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, atanh_vd);
}
static void k_log2_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, log2_vf, NULL);
}
static void k_log2_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, log2_vd);
}
static void k_log10_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, log10_vf, NULL);
}
static void k_log10_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, log10_vd);
}
static void k_exp2_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, exp2_vf, NULL);
}
static void k_exp2_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, exp2_vd);
}
static void k_floor_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, floor_vf, NULL);
}
static void k_floor_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, floor_vd);
}
static void k_ceil_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, ceil_vf, NULL);
}
static void k_ceil_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, ceil_vd);
}
static void k_round_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, round_vf, NULL);
}
static void k_round_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, round_vd);
}
static void k_trunc_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, trunc_vf, NULL);
}
static void k_trunc_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, trunc_vd);
}
static void k_frac_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, frac_vf, NULL);
}
static void k_frac_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, frac_vd);
}
static void k_hardtanh_mask_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, hardtanh_mask_vf, NULL);
}
static void k_hardtanh_mask_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, hardtanh_mask_vd);
}
static void k_gtmask_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, gtmask_vf, NULL);
}
static void k_gtmask_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, gtmask_vd);
}
static void k_hardsigmoid_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, hardsigmoid_vf, NULL);
}
static void k_hardsigmoid_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, hardsigmoid_vd);
}
static void k_hardswish_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, hardswish_vf, NULL);
}
static void k_hardswish_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, hardswish_vd);
}
static void k_softsign_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, softsign_vf, NULL);
}
static void k_softsign_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, softsign_vd);
}
static void k_mish_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, NULL, mish_vd);
}
static void k_mish_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, mish_vd);
}
static void k_softshrink_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, softshrink_vf, NULL);
}
static void k_softshrink_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, softshrink_vd);
}
static void k_threshold_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, threshold_vf, NULL);
}
static void k_threshold_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, threshold_vd);
}
static void k_atan2_f32(int64_t n, float *y, const float *a, int64_t sa,
                        const float *b, int64_t sb, tg_kp p)
{
    bin_f32(n, y, a, sa, b, sb, p, atan2_vf, NULL);
}
static void k_atan2_f64(int64_t n, double *y, const double *a, int64_t sa,
                        const double *b, int64_t sb, tg_kp p)
{
    bin_f64(n, y, a, sa, b, sb, p, atan2_vd);
}
static void k_hypot_f32(int64_t n, float *y, const float *a, int64_t sa,
                        const float *b, int64_t sb, tg_kp p)
{
    bin_f32(n, y, a, sa, b, sb, p, hypot_vf, NULL);
}
static void k_hypot_f64(int64_t n, double *y, const double *a, int64_t sa,
                        const double *b, int64_t sb, tg_kp p)
{
    bin_f64(n, y, a, sa, b, sb, p, hypot_vd);
}
static void k_fmod_f32(int64_t n, float *y, const float *a, int64_t sa,
                       const float *b, int64_t sb, tg_kp p)
{
    bin_f32(n, y, a, sa, b, sb, p, fmod_vf, NULL);
}
static void k_fmod_f64(int64_t n, double *y, const double *a, int64_t sa,
                       const double *b, int64_t sb, tg_kp p)
{
    bin_f64(n, y, a, sa, b, sb, p, fmod_vd);
}
static void k_remainder_f32(int64_t n, float *y, const float *a, int64_t sa,
                            const float *b, int64_t sb, tg_kp p)
{
    bin_f32(n, y, a, sa, b, sb, p, remainder_vf, NULL);
}
static void k_remainder_f64(int64_t n, double *y, const double *a, int64_t sa,
                            const double *b, int64_t sb, tg_kp p)
{
    bin_f64(n, y, a, sa, b, sb, p, remainder_vd);
}
static void k_logaddexp_f32(int64_t n, float *y, const float *a, int64_t sa,
                            const float *b, int64_t sb, tg_kp p)
{
    bin_f32(n, y, a, sa, b, sb, p, NULL, logaddexp_vd);
}
static void k_logaddexp_f64(int64_t n, double *y, const double *a, int64_t sa,
                            const double *b, int64_t sb, tg_kp p)
{
    bin_f64(n, y, a, sa, b, sb, p, logaddexp_vd);
}


#endif
