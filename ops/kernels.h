/* Elementwise vector kernels, uniform signature tg_vec_<op>_<dtype>(n, y, x):
 * output first, then input, n elements, no aliasing requirements beyond
 * y == x being allowed. Internal: tests and benchmarks call them directly. */
#ifndef TAPEGRAD_KERNELS_H
#define TAPEGRAD_KERNELS_H

#include <stdint.h>

#define TG_DECLARE_VEC_UNARY(name)                                     \
    void tg_vec_##name##_f32(int64_t n, float *y, const float *x);     \
    void tg_vec_##name##_f64(int64_t n, double *y, const double *x);

TG_DECLARE_VEC_UNARY(tanh)
/* tanh_backward(g, y) = g (1 - y^2); (n, z, g, sg, y, sy) with strides
 * 0 or 1 as the binary kernels below */
void tg_vec_tanh_backward_f32(int64_t n, float *z, const float *g, int64_t sg,
                              const float *y, int64_t sy);
void tg_vec_tanh_backward_f64(int64_t n, double *z, const double *g,
                              int64_t sg, const double *y, int64_t sy);


/* ---- elementwise math and activations (ops/ew_*.c, ops/act_*.c).
 * Map kernels: tg_vec_<op>_<dtype>(n, y, x[, params]) threaded above
 * TG_PAR_MIN; binary kernels: tg_vec_<op>_<dtype>(n, y, a, sa, b, sb)
 * with sa, sb in {0, 1} (0 = one broadcast value), single-threaded (the
 * broadcast driver splits the work). f32 results of the composite
 * activations are evaluated in double precision and rounded once. */
#define TG_DECLARE_VEC_MAP1(name)                                          \
    void tg_vec_##name##_f32(int64_t n, float *y, const float *x,         \
                             double a);                                    \
    void tg_vec_##name##_f64(int64_t n, double *y, const double *x,       \
                             double a);
#define TG_DECLARE_VEC_MAP2(name)                                          \
    void tg_vec_##name##_f32(int64_t n, float *y, const float *x,         \
                             double a, double b);                          \
    void tg_vec_##name##_f64(int64_t n, double *y, const double *x,       \
                             double a, double b);
#define TG_DECLARE_VEC_BINARY(name)                                        \
    void tg_vec_##name##_f32(int64_t n, float *y, const float *a,         \
                             int64_t sa, const float *b, int64_t sb);      \
    void tg_vec_##name##_f64(int64_t n, double *y, const double *a,       \
                             int64_t sa, const double *b, int64_t sb);

TG_DECLARE_VEC_UNARY(exp)
TG_DECLARE_VEC_UNARY(log)
TG_DECLARE_VEC_UNARY(log1p)
TG_DECLARE_VEC_UNARY(expm1)
TG_DECLARE_VEC_UNARY(abs)
TG_DECLARE_VEC_UNARY(sqrt)
TG_DECLARE_VEC_UNARY(rsqrt)
TG_DECLARE_VEC_UNARY(square)
TG_DECLARE_VEC_UNARY(reciprocal)
TG_DECLARE_VEC_UNARY(sin)
TG_DECLARE_VEC_UNARY(cos)
TG_DECLARE_VEC_UNARY(erf)
TG_DECLARE_VEC_UNARY(sigmoid)
TG_DECLARE_VEC_UNARY(logsigmoid)
TG_DECLARE_VEC_UNARY(silu)
TG_DECLARE_VEC_UNARY(relu)
TG_DECLARE_VEC_UNARY(selu)
TG_DECLARE_VEC_UNARY(gelu)
TG_DECLARE_VEC_UNARY(gelu_tanh)
TG_DECLARE_VEC_MAP1(pow_scalar)
TG_DECLARE_VEC_MAP1(leaky_relu)
TG_DECLARE_VEC_MAP1(elu)
TG_DECLARE_VEC_MAP1(celu)
TG_DECLARE_VEC_MAP1(hardshrink)
TG_DECLARE_VEC_MAP2(clamp)
TG_DECLARE_VEC_MAP2(softplus)
TG_DECLARE_VEC_BINARY(pow)
TG_DECLARE_VEC_BINARY(maximum)
TG_DECLARE_VEC_BINARY(minimum)
TG_DECLARE_VEC_BINARY(relu_backward)
TG_DECLARE_VEC_BINARY(sigmoid_backward)
TG_DECLARE_VEC_BINARY(logsigmoid_backward)
TG_DECLARE_VEC_BINARY(silu_backward)
TG_DECLARE_VEC_BINARY(gelu_backward)
TG_DECLARE_VEC_BINARY(gelu_tanh_backward)
/* binary kernels with parameters: (n, y, g, sg, x, sx, params...) */
void tg_vec_leaky_relu_backward_f32(int64_t n, float *y, const float *g,
                                    int64_t sg, const float *x, int64_t sx,
                                    double alpha);
void tg_vec_leaky_relu_backward_f64(int64_t n, double *y, const double *g,
                                    int64_t sg, const double *x, int64_t sx,
                                    double alpha);
void tg_vec_softplus_backward_f32(int64_t n, float *y, const float *g,
                                  int64_t sg, const float *x, int64_t sx,
                                  double beta, double threshold);
void tg_vec_softplus_backward_f64(int64_t n, double *y, const double *g,
                                  int64_t sg, const double *x, int64_t sx,
                                  double beta, double threshold);
void tg_vec_elu_backward_f32(int64_t n, float *y, const float *g, int64_t sg,
                             const float *x, int64_t sx, double alpha,
                             double scale, double input_scale);
void tg_vec_elu_backward_f64(int64_t n, double *y, const double *g,
                             int64_t sg, const double *x, int64_t sx,
                             double alpha, double scale, double input_scale);

#endif
