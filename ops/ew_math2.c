/* The rest of PyTorch's elementwise math (SLEEF 1.0-ulp kernels, see
 * ops/kern_math2.h; VJPs with tapegrad ops, so second derivatives work):
 *
 *   tan    g (1 + y^2)              asin   g / sqrt(1 - x^2)
 *   acos  -g / sqrt(1 - x^2)        atan   g / (1 + x^2)
 *   sinh   g cosh x                 cosh   g sinh x
 *   asinh  g / sqrt(x^2 + 1)        acosh  g / sqrt(x^2 - 1)
 *   atanh  g / (1 - x^2)            log2   g / (x ln 2)
 *   log10  g / (x ln 10)            exp2   g y ln 2
 *
 * floor, ceil, round (ties to even), trunc, sign: piecewise constant, so
 * their gradient is 0 everywhere, also at the jumps (as PyTorch, which
 * returns zeros rather than no gradient); frac(x) = x - trunc(x) has
 * gradient g (PyTorch's convention at the jumps).
 *
 * Binary, with broadcasting:
 *   atan2(a, b)     da = g b / (a^2 + b^2),  db = -g a / (a^2 + b^2)
 *   hypot(a, b)     da = g a / y,            db = g b / y
 *   fmod(a, b)      da = g,                  db = -g trunc(a / b)
 *   remainder(a, b) da = g,                  db = -g floor(a / b)
 *   logaddexp(a, b) da = g sigmoid(a - b),   db = g sigmoid(b - a)
 * At a = b = 0 the gradients of atan2 and hypot are 0/0 = NaN, as in
 * PyTorch. */
#include "ops/ew.h"

static void tan_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                    tg_tensor **gx)
{
    (void)g, (void)need;
    tg_tensor *x = n->in[0], *y = n->out;
    (void)x, (void)y;
    gx[0] = tg_mul(gy, tg_add_scalar(tg_square(y), 1.0));
}
static tg_status tan_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_tan, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(tan,
    .n_inputs = 1,
    .forward = tan_fwd,
    .vjp = tan_vjp,
    .cases = "tan(x) | x=3x4; tan(1.4*x) | x=7");
tg_tensor *tg_tan(tg_tensor *x) { return tg__apply1(TG_OP_tan, x, NULL); }

static void asin_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                     tg_tensor **gx)
{
    (void)g, (void)need;
    tg_tensor *x = n->in[0], *y = n->out;
    (void)x, (void)y;
    gx[0] = tg_mul(gy, tg_rsqrt(tg_add_scalar(tg_neg(tg_square(x)), 1.0)));
}
static tg_status asin_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_asin, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(asin,
    .n_inputs = 1,
    .forward = asin_fwd,
    .vjp = asin_vjp,
    .cases = "asin(0.9*x) | x=3x4; asin(0.5*x) | x=7");
tg_tensor *tg_asin(tg_tensor *x) { return tg__apply1(TG_OP_asin, x, NULL); }

static void acos_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                     tg_tensor **gx)
{
    (void)g, (void)need;
    tg_tensor *x = n->in[0], *y = n->out;
    (void)x, (void)y;
    gx[0] = tg_neg(tg_mul(gy, tg_rsqrt(tg_add_scalar(tg_neg(tg_square(x)), 1.0))));
}
static tg_status acos_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_acos, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(acos,
    .n_inputs = 1,
    .forward = acos_fwd,
    .vjp = acos_vjp,
    .cases = "acos(0.9*x) | x=3x4; acos(0.5*x) | x=7");
tg_tensor *tg_acos(tg_tensor *x) { return tg__apply1(TG_OP_acos, x, NULL); }

static void atan_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                     tg_tensor **gx)
{
    (void)g, (void)need;
    tg_tensor *x = n->in[0], *y = n->out;
    (void)x, (void)y;
    gx[0] = tg_div(gy, tg_add_scalar(tg_square(x), 1.0));
}
static tg_status atan_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_atan, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(atan,
    .n_inputs = 1,
    .forward = atan_fwd,
    .vjp = atan_vjp,
    .cases = "atan(x) | x=3x4; atan(5*x) | x=7");
tg_tensor *tg_atan(tg_tensor *x) { return tg__apply1(TG_OP_atan, x, NULL); }

static void sinh_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                     tg_tensor **gx)
{
    (void)g, (void)need;
    tg_tensor *x = n->in[0], *y = n->out;
    (void)x, (void)y;
    gx[0] = tg_mul(gy, tg_cosh(x));
}
static tg_status sinh_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_sinh, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(sinh,
    .n_inputs = 1,
    .forward = sinh_fwd,
    .vjp = sinh_vjp,
    .cases = "sinh(x) | x=3x4; sinh(4*x) | x=7");
tg_tensor *tg_sinh(tg_tensor *x) { return tg__apply1(TG_OP_sinh, x, NULL); }

static void cosh_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                     tg_tensor **gx)
{
    (void)g, (void)need;
    tg_tensor *x = n->in[0], *y = n->out;
    (void)x, (void)y;
    gx[0] = tg_mul(gy, tg_sinh(x));
}
static tg_status cosh_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_cosh, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(cosh,
    .n_inputs = 1,
    .forward = cosh_fwd,
    .vjp = cosh_vjp,
    .cases = "cosh(x) | x=3x4; cosh(4*x) | x=7");
tg_tensor *tg_cosh(tg_tensor *x) { return tg__apply1(TG_OP_cosh, x, NULL); }

static void asinh_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                      tg_tensor **gx)
{
    (void)g, (void)need;
    tg_tensor *x = n->in[0], *y = n->out;
    (void)x, (void)y;
    gx[0] = tg_mul(gy, tg_rsqrt(tg_add_scalar(tg_square(x), 1.0)));
}
static tg_status asinh_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_asinh, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(asinh,
    .n_inputs = 1,
    .forward = asinh_fwd,
    .vjp = asinh_vjp,
    .cases = "asinh(x) | x=3x4; asinh(8*x) | x=7");
tg_tensor *tg_asinh(tg_tensor *x) { return tg__apply1(TG_OP_asinh, x, NULL); }

static void acosh_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                      tg_tensor **gx)
{
    (void)g, (void)need;
    tg_tensor *x = n->in[0], *y = n->out;
    (void)x, (void)y;
    gx[0] = tg_mul(gy, tg_rsqrt(tg_add_scalar(tg_square(x), -1.0)));
}
static tg_status acosh_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_acosh, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(acosh,
    .n_inputs = 1,
    .forward = acosh_fwd,
    .vjp = acosh_vjp,
    .cases = "acosh(2.1+x) | x=3x4; acosh(1.2+abs(4*x)) | x=7");
tg_tensor *tg_acosh(tg_tensor *x) { return tg__apply1(TG_OP_acosh, x, NULL); }

static void atanh_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                      tg_tensor **gx)
{
    (void)g, (void)need;
    tg_tensor *x = n->in[0], *y = n->out;
    (void)x, (void)y;
    gx[0] = tg_div(gy, tg_add_scalar(tg_neg(tg_square(x)), 1.0));
}
static tg_status atanh_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_atanh, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(atanh,
    .n_inputs = 1,
    .forward = atanh_fwd,
    .vjp = atanh_vjp,
    .cases = "atanh(0.9*x) | x=3x4; atanh(0.5*x) | x=7");
tg_tensor *tg_atanh(tg_tensor *x) { return tg__apply1(TG_OP_atanh, x, NULL); }

static void log2_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                     tg_tensor **gx)
{
    (void)g, (void)need;
    tg_tensor *x = n->in[0], *y = n->out;
    (void)x, (void)y;
    gx[0] = tg_div(gy, tg_mul_scalar(x, 0.69314718055994530942));
}
static tg_status log2_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_log2, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(log2,
    .n_inputs = 1,
    .forward = log2_fwd,
    .vjp = log2_vjp,
    .cases = "log2(1.5+x) | x=3x4; log2(abs(x)+0.1) | x=7");
tg_tensor *tg_log2(tg_tensor *x) { return tg__apply1(TG_OP_log2, x, NULL); }

static void log10_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                      tg_tensor **gx)
{
    (void)g, (void)need;
    tg_tensor *x = n->in[0], *y = n->out;
    (void)x, (void)y;
    gx[0] = tg_div(gy, tg_mul_scalar(x, 2.30258509299404568402));
}
static tg_status log10_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_log10, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(log10,
    .n_inputs = 1,
    .forward = log10_fwd,
    .vjp = log10_vjp,
    .cases = "log10(1.5+x) | x=3x4; log10(abs(x)+0.1) | x=7");
tg_tensor *tg_log10(tg_tensor *x) { return tg__apply1(TG_OP_log10, x, NULL); }

static void exp2_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                     tg_tensor **gx)
{
    (void)g, (void)need;
    tg_tensor *x = n->in[0], *y = n->out;
    (void)x, (void)y;
    gx[0] = tg_mul(gy, tg_mul_scalar(y, 0.69314718055994530942));
}
static tg_status exp2_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_exp2, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(exp2,
    .n_inputs = 1,
    .forward = exp2_fwd,
    .vjp = exp2_vjp,
    .cases = "exp2(x) | x=3x4; exp2(6*x) | x=7");
tg_tensor *tg_exp2(tg_tensor *x) { return tg__apply1(TG_OP_exp2, x, NULL); }

/* a graph-owned constant of zeros in gy's shape: the gradient of the
 * piecewise-constant ops */
static tg_tensor *zeros_like(tg_graph *g, const tg_tensor *t)
{
    return tg_full(g, t->dtype, t->ndim, t->shape, 0.0);
}

static void floor_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                      tg_tensor **gx)
{
    (void)g, (void)n, (void)need;
    gx[0] = zeros_like(g, gy);
}
static tg_status floor_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_floor, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(floor,
    .n_inputs = 1,
    .flags = TG_OPF_NONSMOOTH,
    .forward = floor_fwd,
    .vjp = floor_vjp,
    .cases = "floor(3.7*x) | x=3x4; floor(x) | x=scalar");
tg_tensor *tg_floor(tg_tensor *x) { return tg__apply1(TG_OP_floor, x, NULL); }

static void ceil_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                     tg_tensor **gx)
{
    (void)g, (void)n, (void)need;
    gx[0] = zeros_like(g, gy);
}
static tg_status ceil_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_ceil, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(ceil,
    .n_inputs = 1,
    .flags = TG_OPF_NONSMOOTH,
    .forward = ceil_fwd,
    .vjp = ceil_vjp,
    .cases = "ceil(3.7*x) | x=3x4; ceil(x) | x=scalar");
tg_tensor *tg_ceil(tg_tensor *x) { return tg__apply1(TG_OP_ceil, x, NULL); }

static void round_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                      tg_tensor **gx)
{
    (void)g, (void)n, (void)need;
    gx[0] = zeros_like(g, gy);
}
static tg_status round_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_round, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(round,
    .n_inputs = 1,
    .flags = TG_OPF_NONSMOOTH,
    .forward = round_fwd,
    .vjp = round_vjp,
    .cases = "round(3.7*x) | x=3x4; round(x) | x=scalar");
tg_tensor *tg_round(tg_tensor *x) { return tg__apply1(TG_OP_round, x, NULL); }

static void trunc_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                      tg_tensor **gx)
{
    (void)g, (void)n, (void)need;
    gx[0] = zeros_like(g, gy);
}
static tg_status trunc_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_trunc, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(trunc,
    .n_inputs = 1,
    .flags = TG_OPF_NONSMOOTH,
    .forward = trunc_fwd,
    .vjp = trunc_vjp,
    .cases = "trunc(3.7*x) | x=3x4; trunc(x) | x=scalar");
tg_tensor *tg_trunc(tg_tensor *x) { return tg__apply1(TG_OP_trunc, x, NULL); }

static void sign_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                     tg_tensor **gx)
{
    (void)g, (void)n, (void)need;
    gx[0] = zeros_like(g, gy);
}
static tg_status sign_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_sign, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(sign,
    .n_inputs = 1,
    .flags = TG_OPF_NONSMOOTH,
    .forward = sign_fwd,
    .vjp = sign_vjp,
    .cases = "sign(x) | x=3x4; sign(x) | x=scalar");
tg_tensor *tg_sign(tg_tensor *x) { return tg__apply1(TG_OP_sign, x, NULL); }

static void frac_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                     tg_tensor **gx)
{
    (void)g, (void)n, (void)need;
    gx[0] = gy;
}
static tg_status frac_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, TG_KM_frac, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(frac,
    .n_inputs = 1,
    .flags = TG_OPF_NONSMOOTH,
    .forward = frac_fwd,
    .vjp = frac_vjp,
    .cases = "frac(3.7*x) | x=3x4; frac(x) | x=scalar");
tg_tensor *tg_frac(tg_tensor *x) { return tg__apply1(TG_OP_frac, x, NULL); }

static void atan2_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                      tg_tensor **gx)
{
    (void)g;
    tg_tensor *a = n->in[0], *b = n->in[1];
    tg_tensor *r2 = tg_add(tg_square(a), tg_square(b));
    if (need[0]) gx[0] = tg_div(tg_mul(gy, b), r2);
    if (need[1]) gx[1] = tg_neg(tg_div(tg_mul(gy, a), r2));
}
static tg_status atan2_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_binary_run(n, TG_KB_atan2, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(atan2,
    .n_inputs = 2,
    .shape = tg_shape_broadcast,
    .forward = atan2_fwd,
    .vjp = atan2_vjp,
    .cases = "atan2(a, b) | a=3x4 b=3x4; atan2(a, b) | a=3x1 b=1x4; atan2(a, b) | a=2x3x4 b=4; atan2(a, b) | a=scalar b=2x3");
tg_tensor *tg_atan2(tg_tensor *a, tg_tensor *b)
{
    return tg__apply2(TG_OP_atan2, a, b, NULL);
}

static void hypot_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                      tg_tensor **gx)
{
    (void)g;
    tg_tensor *gr = tg_div(gy, n->out);
    if (need[0]) gx[0] = tg_mul(gr, n->in[0]);
    if (need[1]) gx[1] = tg_mul(gr, n->in[1]);
}
static tg_status hypot_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_binary_run(n, TG_KB_hypot, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(hypot,
    .n_inputs = 2,
    .shape = tg_shape_broadcast,
    .forward = hypot_fwd,
    .vjp = hypot_vjp,
    .cases = "hypot(a, b) | a=3x4 b=3x4; hypot(a, b) | a=3x1 b=1x4; hypot(a, b) | a=2x3x4 b=4; hypot(a, b) | a=scalar b=2x3");
tg_tensor *tg_hypot(tg_tensor *a, tg_tensor *b)
{
    return tg__apply2(TG_OP_hypot, a, b, NULL);
}

static void fmod_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                     tg_tensor **gx)
{
    (void)g;
    if (need[0]) gx[0] = gy;
    if (need[1]) gx[1] = tg_neg(tg_mul(gy, tg_trunc(tg_div(n->in[0], n->in[1]))));
}
static tg_status fmod_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_binary_run(n, TG_KB_fmod, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(fmod,
    .n_inputs = 2,
    .flags = TG_OPF_NONSMOOTH,
    .shape = tg_shape_broadcast,
    .forward = fmod_fwd,
    .vjp = fmod_vjp,
    .cases = "fmod(3*a, b+2) | a=3x4 b=3x4; fmod(3*a, b-2) | a=3x1 b=1x4; fmod(3*a, b+2) | a=2x3x4 b=4; fmod(a, b+2) | a=scalar b=2x3");
tg_tensor *tg_fmod(tg_tensor *a, tg_tensor *b)
{
    return tg__apply2(TG_OP_fmod, a, b, NULL);
}

static void remainder_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                          tg_tensor **gx)
{
    (void)g;
    if (need[0]) gx[0] = gy;
    if (need[1]) gx[1] = tg_neg(tg_mul(gy, tg_floor(tg_div(n->in[0], n->in[1]))));
}
static tg_status remainder_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_binary_run(n, TG_KB_remainder, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(remainder,
    .n_inputs = 2,
    .flags = TG_OPF_NONSMOOTH,
    .shape = tg_shape_broadcast,
    .forward = remainder_fwd,
    .vjp = remainder_vjp,
    .cases = "remainder(3*a, b+2) | a=3x4 b=3x4; remainder(3*a, b-2) | a=3x1 b=1x4; remainder(3*a, b+2) | a=2x3x4 b=4; remainder(a, b+2) | a=scalar b=2x3");
tg_tensor *tg_remainder(tg_tensor *a, tg_tensor *b)
{
    return tg__apply2(TG_OP_remainder, a, b, NULL);
}

static void logaddexp_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                          tg_tensor **gx)
{
    (void)g;
    tg_tensor *a = n->in[0], *b = n->in[1];
    if (need[0]) gx[0] = tg_mul(gy, tg_sigmoid(tg_sub(a, b)));
    if (need[1]) gx[1] = tg_mul(gy, tg_sigmoid(tg_sub(b, a)));
}
static tg_status logaddexp_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_binary_run(n, TG_KB_logaddexp, (tg_kp){0, 0, 0});
}
TG_BUILTIN_OP(logaddexp,
    .n_inputs = 2,
    .shape = tg_shape_broadcast,
    .forward = logaddexp_fwd,
    .vjp = logaddexp_vjp,
    .cases = "logaddexp(a, b) | a=3x4 b=3x4; logaddexp(4*a, b) | a=3x1 b=1x4; logaddexp(a, b) | a=2x3x4 b=4; logaddexp(a, b) | a=scalar b=2x3");
tg_tensor *tg_logaddexp(tg_tensor *a, tg_tensor *b)
{
    return tg__apply2(TG_OP_logaddexp, a, b, NULL);
}
