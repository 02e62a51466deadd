/* Row kernels of the softmax family: the entries of the kernel set
 * (ops/kern_rows.h has the bodies and their references). */
#include "ops/array.h"
#include "ops/kernels.h"

float tg__row_max_f32(int64_t n, const float *x)
{
    return tg__kernels()->row_max_f32(n, x);
}

double tg__row_max_f64(int64_t n, const double *x)
{
    return tg__kernels()->row_max_f64(n, x);
}

double tg__row_expsum_f32(int64_t n, float *y, const float *x, float m)
{
    return tg__kernels()->row_expsum_f32(n, y, x, m);
}

double tg__row_expsum_f64(int64_t n, double *y, const double *x, double m)
{
    return tg__kernels()->row_expsum_f64(n, y, x, m);
}
