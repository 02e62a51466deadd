/* The playground's C entry points (playground/pg.c), called by the page
 * through the WebAssembly module and by the native tests. Functions that
 * can fail return -1, NULL or NaN and leave the reason in pg_error().
 * Returned buffers and strings are borrowed: valid until the next call of
 * the same function (or pg_build / pg_set_data). */
#ifndef TAPEGRAD_PLAYGROUND_PG_H
#define TAPEGRAD_PLAYGROUND_PG_H

#include "tapegrad/tapegrad.h"

/* input features, in the order of a feature row */
enum {
    PG_FEAT_X = 1,     /* x        */
    PG_FEAT_Y = 2,     /* y        */
    PG_FEAT_XX = 4,    /* x^2      */
    PG_FEAT_YY = 8,    /* y^2      */
    PG_FEAT_XY = 16,   /* x y      */
    PG_FEAT_SINX = 32, /* sin(x)   */
    PG_FEAT_SINY = 64, /* sin(y)   */
    PG_FEAT_ALL = 127,
};

const char *pg_error(void);
int pg_feature_count(unsigned mask);

/* A new network from "key=value;..." (features, layers, act, init, optim,
 * lr, batch, l2, bn, dropout, seed); see pg.c. 0 or -1. */
int pg_build(const char *spec);
/* n points (x, y interleaved) with labels 0/1; the first ntrain train. */
int pg_set_data(int n, int ntrain, const double *xy, const double *labels);

double pg_train(int steps);   /* last minibatch loss, NaN on error */
double *pg_eval(void);        /* train loss, test loss, train acc, test acc, steps */
float *pg_grid(int res, double lim); /* probability, then hidden units */
double *pg_grad_norms(void);  /* |dL/dW_l| of the last step, per layer */
int64_t pg_steps(void);

int pg_num_layers(void);      /* linear layers (hidden + output) */
int pg_width(int l);          /* 0: features, ..., L: 1 */
float *pg_weight(int l);      /* W_l [width(l), width(l+1)], row-major */
float *pg_bias(int l);
float *pg_bn(int l, int which); /* gamma, beta, running mean, var; or NULL */

const char *pg_graph_json(int rows);
const char *pg_gradcheck(int rows);
const char *pg_activation_names(void);

#endif
