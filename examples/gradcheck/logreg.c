/* A gradient written by hand, checked by tapegrad without any tapegrad
 * graph: L2-regularised logistic regression on 16 fixed points,
 *
 *   f(w) = 1/m sum_i log(1 + exp(-y_i <x_i, w>)) + lambda/2 |w|^2,
 *   df/dw_j = 1/m sum_i -y_i sigma(-y_i <x_i, w>) x_ij + lambda w_j,
 *
 * for any number n of weights. logreg_loss is right; logreg_loss_wrong
 * has the off-by-one a hand-written loop often has (the data term skips
 * the last weight), which the check must catch at index n - 1.
 *
 *   cc -shared -fPIC -O2 -o liblogreg.so logreg.c -lm
 *   tapegrad check --lib ./liblogreg.so:logreg_loss --n 100
 *   tapegrad check --lib ./liblogreg.so:logreg_loss_wrong --n 100
 *
 * The signature is tg_raw_fn of tapegrad/check.h (tg_gradcheck_raw calls
 * the same function from C); this file needs no tapegrad header. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

enum { M = 16 };
static const double lambda = 0.1;

/* x_ij uniform in [-1, 1] from a fixed 64-bit LCG of (i, j): data without
 * a file, the same on every machine. */
static double datum(size_t i, size_t j)
{
    uint64_t s = (uint64_t)i * 0x9E3779B97F4A7C15u + (uint64_t)j + 1;
    s = s * 6364136223846793005u + 1442695040888963407u;
    s ^= s >> 29;
    return (double)(s >> 11) / 9007199254740992.0 * 2 - 1;
}

static double label(size_t i) { return i % 3 == 0 ? -1 : 1; }

/* log(1 + e^-z) without overflow for large |z| */
static double softplus_neg(double z)
{
    return z > 0 ? log1p(exp(-z)) : -z + log1p(exp(z));
}

static double loss(const double *w, double *grad, size_t n, size_t data_n)
{
    double f = 0;
    for (size_t j = 0; j < n; j++) {
        f += 0.5 * lambda * w[j] * w[j];
        grad[j] = lambda * w[j];
    }
    for (size_t i = 0; i < M; i++) {
        double z = 0;
        for (size_t j = 0; j < n; j++) z += datum(i, j) * w[j];
        z *= label(i);
        f += softplus_neg(z) / M;
        double s = -label(i) / (1 + exp(z)) / M; /* -y sigma(-z) / m */
        for (size_t j = 0; j < data_n; j++) grad[j] += s * datum(i, j);
    }
    return f;
}

double logreg_loss(const double *w, double *grad, size_t n, void *ud)
{
    (void)ud;
    return loss(w, grad, n, n);
}

double logreg_loss_wrong(const double *w, double *grad, size_t n, void *ud)
{
    (void)ud;
    return loss(w, grad, n, n - 1); /* the bug: j < n - 1 */
}
