/* add, sub, mul, div with NumPy broadcasting.
 * VJPs (the engine sums broadcast gradients back to each input's shape):
 *   add: (g, g)   sub: (g, -g)   mul: (g b, g a)   div: (g / b, -g y / b)
 */
#include "ops/elementwise.h"

static inline float add_op_f32(float a, float b) { return a + b; }
static inline double add_op_f64(double a, double b) { return a + b; }
static inline float sub_op_f32(float a, float b) { return a - b; }
static inline double sub_op_f64(double a, double b) { return a - b; }
static inline float mul_op_f32(float a, float b) { return a * b; }
static inline double mul_op_f64(double a, double b) { return a * b; }
static inline float div_op_f32(float a, float b) { return a / b; }
static inline double div_op_f64(double a, double b) { return a / b; }

static void add_f32(int64_t n, float *y, const float *a, int64_t sa, const float *b,
                    int64_t sb)
{
    tg__bin_loop_f32(n, y, a, sa, b, sb, add_op_f32);
}
static void add_f64(int64_t n, double *y, const double *a, int64_t sa, const double *b,
                    int64_t sb)
{
    tg__bin_loop_f64(n, y, a, sa, b, sb, add_op_f64);
}
static void sub_f32(int64_t n, float *y, const float *a, int64_t sa, const float *b,
                    int64_t sb)
{
    tg__bin_loop_f32(n, y, a, sa, b, sb, sub_op_f32);
}
static void sub_f64(int64_t n, double *y, const double *a, int64_t sa, const double *b,
                    int64_t sb)
{
    tg__bin_loop_f64(n, y, a, sa, b, sb, sub_op_f64);
}
static void mul_f32(int64_t n, float *y, const float *a, int64_t sa, const float *b,
                    int64_t sb)
{
    tg__bin_loop_f32(n, y, a, sa, b, sb, mul_op_f32);
}
static void mul_f64(int64_t n, double *y, const double *a, int64_t sa, const double *b,
                    int64_t sb)
{
    tg__bin_loop_f64(n, y, a, sa, b, sb, mul_op_f64);
}
static void div_f32(int64_t n, float *y, const float *a, int64_t sa, const float *b,
                    int64_t sb)
{
    tg__bin_loop_f32(n, y, a, sa, b, sb, div_op_f32);
}
static void div_f64(int64_t n, double *y, const double *a, int64_t sa, const double *b,
                    int64_t sb)
{
    tg__bin_loop_f64(n, y, a, sa, b, sb, div_op_f64);
}

static tg_status add_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    if (tg__binary_one(n, add_op_f32, add_op_f64)) return TG_OK;
    return tg__binary_run(n, add_f32, add_f64);
}
static tg_status sub_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    if (tg__binary_one(n, sub_op_f32, sub_op_f64)) return TG_OK;
    return tg__binary_run(n, sub_f32, sub_f64);
}
static tg_status mul_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    if (tg__binary_one(n, mul_op_f32, mul_op_f64)) return TG_OK;
    return tg__binary_run(n, mul_f32, mul_f64);
}
static tg_status div_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    if (tg__binary_one(n, div_op_f32, div_op_f64)) return TG_OK;
    return tg__binary_run(n, div_f32, div_f64);
}

static void add_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                    tg_tensor **gx)
{
    (void)g, (void)n, (void)need;
    gx[0] = gy;
    gx[1] = gy;
}
static void sub_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                    tg_tensor **gx)
{
    (void)g, (void)n;
    gx[0] = gy;
    if (need[1]) gx[1] = tg_neg(gy);
}
static void mul_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                    tg_tensor **gx)
{
    (void)g;
    if (need[0]) gx[0] = tg_mul(gy, n->in[1]);
    if (need[1]) gx[1] = tg_mul(gy, n->in[0]);
}
static void div_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                    tg_tensor **gx)
{
    (void)g;
    tg_tensor *b = n->in[1];
    if (need[0]) gx[0] = tg_div(gy, b);
    if (need[1]) gx[1] = tg_neg(tg_div(tg_mul(gy, n->out), b));
}

#define BIN_CASES(op)                                                       \
    #op "(a, b) | a=3x4 b=3x4; " #op "(a, b) | a=3x1 b=1x4; " #op           \
        "(a, b) | a=2x3x4 b=4; " #op "(a, b) | a=scalar b=2x3"

TG_BUILTIN_OP(add,
    .n_inputs = 2,
    .shape = tg_shape_broadcast,
    .forward = add_fwd,
    .vjp = add_vjp,
    .cases = BIN_CASES(add));
TG_BUILTIN_OP(sub,
    .n_inputs = 2,
    .shape = tg_shape_broadcast,
    .forward = sub_fwd,
    .vjp = sub_vjp,
    .cases = BIN_CASES(sub));
TG_BUILTIN_OP(mul,
    .n_inputs = 2,
    .shape = tg_shape_broadcast,
    .forward = mul_fwd,
    .vjp = mul_vjp,
    .cases = BIN_CASES(mul));
/* Divisors are shifted away from 0 so central differences stay finite. */
TG_BUILTIN_OP(div,
    .n_inputs = 2,
    .shape = tg_shape_broadcast,
    .forward = div_fwd,
    .vjp = div_vjp,
    .cases = "div(a, b + 3) | a=3x4 b=3x4; div(a, b + 3) | a=3x1 b=1x4; "
        "div(a, b - 2) | a=2x3x4 b=4");

tg_tensor *tg_add(tg_tensor *a, tg_tensor *b) { return tg__apply2(TG_OP_add, a, b, NULL); }
tg_tensor *tg_sub(tg_tensor *a, tg_tensor *b) { return tg__apply2(TG_OP_sub, a, b, NULL); }
tg_tensor *tg_mul(tg_tensor *a, tg_tensor *b) { return tg__apply2(TG_OP_mul, a, b, NULL); }
tg_tensor *tg_div(tg_tensor *a, tg_tensor *b) { return tg__apply2(TG_OP_div, a, b, NULL); }
