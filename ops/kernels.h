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

#endif
