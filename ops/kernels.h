/* Kernels: plain C functions with uniform signatures, outputs first, then
 * inputs, then sizes and parameters.
 *
 * Every kernel exists as a scalar reference (the specification: plain C
 * and libm, one element at a time, in ops/kern_*.h beside the vector body)
 * and as a vector body for each x86 instruction set, compiled once per set
 * in the units ops/kern_sse2.c, kern_avx2.c and kern_avx512.c. A kernel
 * set (tg_kernel_set) is the table of one such compilation; tg__kernels()
 * returns the one for the instruction set chosen at run time, and
 * tg__kernels_for(TG_ISA_REF) the references (which are the only set in a
 * build for a CPU other than x86, or with -Dsimd=disabled; see
 * docs/ops-elementwise.md). Internal: tests and benchmarks call them
 * directly. */
#ifndef TAPEGRAD_KERNELS_H
#define TAPEGRAD_KERNELS_H

#include <stdint.h>

/* x86 SIMD kernels are built unless TG_SCALAR_ONLY is defined (the meson
 * option simd=disabled, automatic for other CPU families). The
 * WebAssembly build (Emscripten with -msimd128) builds the SSE2 set only:
 * Emscripten spells the SSE intrinsics on 128-bit wasm vectors
 * (playground/wasm/), and there is no wider set to choose at run time.
 * TG_HAVE_WIDE_SIMD: the AVX2 and AVX-512 sets are built too. */
#if !defined(TG_SCALAR_ONLY) && (defined(__x86_64__) || defined(__i386__))
#define TG_HAVE_SIMD 1
#define TG_HAVE_WIDE_SIMD 1
#elif !defined(TG_SCALAR_ONLY) && defined(__EMSCRIPTEN__) && \
    defined(__wasm_simd128__)
#define TG_HAVE_SIMD 1
#define TG_HAVE_WIDE_SIMD 0
#else
#define TG_HAVE_SIMD 0
#define TG_HAVE_WIDE_SIMD 0
#endif

/* The kernel sets, in the order tg__isa() ranks them. TG_ISA=ref|sse2|
 * avx2|avx512 in the environment lowers the choice (never above what the
 * CPU has); the tests use it to cover every set. */
typedef enum {
    TG_ISA_REF = 0,
    TG_ISA_SSE2 = 1,
    TG_ISA_AVX2 = 2,
    TG_ISA_AVX512 = 3,
    TG_ISA_COUNT
} tg_isa;
tg_isa tg__isa(void);
const char *tg__isa_name(tg_isa isa);

/* [lo, hi) of part t of nt parts of [0, n): parts are multiples of `align`
 * elements (64 for the elementwise kernels: every part but the last starts
 * on a cache line, so streaming stores stay aligned, and holds whole
 * vectors, so no interior part takes a padded tail). */
static inline void tg__chunk(int64_t n, int nt, int t, int64_t align,
                             int64_t *lo, int64_t *hi)
{
    int64_t per = ((n + nt - 1) / nt + align - 1) / align * align;
    int64_t l = per * t;
    *lo = l < n ? l : n;
    *hi = l + per < n ? l + per : n;
}

/* A kernel's real parameters (alpha, bounds, beta ...), by op. */
typedef struct tg_kp {
    double a, b, c;
} tg_kp;

/* map: y = f(x) elementwise over n elements (y == x allowed) */
typedef void (*tg_map_f32_fn)(int64_t n, float *y, const float *x, tg_kp p);
typedef void (*tg_map_f64_fn)(int64_t n, double *y, const double *x, tg_kp p);
/* binary: y = f(a, b) where each operand is contiguous (stride 1) or one
 * broadcast value (stride 0) */
typedef void (*tg_bin_f32_fn)(int64_t n, float *y, const float *a, int64_t sa,
                              const float *b, int64_t sb, tg_kp p);
typedef void (*tg_bin_f64_fn)(int64_t n, double *y, const double *a,
                              int64_t sa, const double *b, int64_t sb,
                              tg_kp p);

/* Map kernels. Parameters (tg_kp a, b) where noted. */
typedef enum {
    TG_KM_exp,
    TG_KM_log,
    TG_KM_log1p,
    TG_KM_expm1,
    TG_KM_sin,
    TG_KM_cos,
    TG_KM_erf,
    TG_KM_abs,
    TG_KM_sign,       /* -1, 0, 1; NaN stays NaN */
    TG_KM_sqrt,
    TG_KM_rsqrt,
    TG_KM_square,
    TG_KM_reciprocal,
    TG_KM_pow_scalar, /* x^a */
    TG_KM_clamp,      /* min(max(x, a), b) */
    TG_KM_clamp_mask, /* a <= x <= b (or NaN) ? 1 : 0 */
    TG_KM_relu,
    TG_KM_leaky_relu, /* x > 0 ? x : a x */
    TG_KM_posmask,    /* x > 0 ? 1 : 0 */
    TG_KM_hardshrink, /* |x| > a ? x : 0 */
    TG_KM_hardshrink_mask,
    TG_KM_tanh,
    TG_KM_sigmoid,
    TG_KM_logsigmoid,
    TG_KM_silu,
    TG_KM_gelu,
    TG_KM_gelu_tanh,
    TG_KM_elu,        /* x > 0 ? x : a expm1(x) */
    TG_KM_selu,
    TG_KM_celu,       /* x > 0 ? x : a expm1(x / a) */
    TG_KM_nonpos,     /* x > 0 ? 0 : 1 */
    TG_KM_softplus,   /* beta a, threshold b */
    TG_KM_softplus_mask,
    /* ops/kern_math2.h */
    TG_KM_tan,
    TG_KM_asin,
    TG_KM_acos,
    TG_KM_atan,
    TG_KM_sinh,
    TG_KM_cosh,
    TG_KM_asinh,
    TG_KM_acosh,
    TG_KM_atanh,
    TG_KM_log2,
    TG_KM_log10,
    TG_KM_exp2,
    TG_KM_floor,
    TG_KM_ceil,
    TG_KM_round,
    TG_KM_trunc,
    TG_KM_frac,
    TG_KM_hardtanh_mask,
    TG_KM_gtmask,
    TG_KM_hardsigmoid,
    TG_KM_hardswish,
    TG_KM_softsign,
    TG_KM_mish,
    TG_KM_softshrink,
    TG_KM_threshold,
    TG_KM_COUNT
} tg_map_kernel;

/* Binary kernels. The fused backward kernels take (g, x) or (g, y). */
typedef enum {
    TG_KB_pow,
    TG_KB_maximum,
    TG_KB_minimum,
    TG_KB_wmax,               /* weight of a in maximum: 1, 1/2 on ties, 0 */
    TG_KB_wmin,
    TG_KB_relu_backward,
    TG_KB_leaky_relu_backward, /* alpha a */
    TG_KB_tanh_backward,
    TG_KB_sigmoid_backward,
    TG_KB_logsigmoid_backward,
    TG_KB_silu_backward,
    TG_KB_gelu_backward,
    TG_KB_gelu_tanh_backward,
    TG_KB_elu_backward,       /* slope a = scale alpha input_scale, scale b,
                                 input_scale c */
    TG_KB_softplus_backward,  /* beta a, threshold b */
    /* ops/kern_math2.h */
    TG_KB_atan2,
    TG_KB_hypot,
    TG_KB_fmod,
    TG_KB_remainder,
    TG_KB_logaddexp,
    TG_KB_COUNT
} tg_bin_kernel;

/* The optimizers' update rules (src/nn/optim_kern.h): one step over
 * elements [lo, hi) of the arrays in *a. */
typedef struct tg_optim_args tg_optim_args;
typedef void (*tg_optim_fn)(int64_t lo, int64_t hi, const tg_optim_args *a);
enum { TG_OPT_SGD, TG_OPT_MOMENTUM, TG_OPT_ADAM, TG_OPT_RMSPROP,
       TG_OPT_COUNT };

typedef struct tg_kernel_set {
    const char *name;
    struct { tg_map_f32_fn f32; tg_map_f64_fn f64; } map[TG_KM_COUNT];
    struct { tg_bin_f32_fn f32; tg_bin_f64_fn f64; } bin[TG_KB_COUNT];
    /* softmax rows: max over x[0..n), and sum of exp(x - m), storing each
     * term in y when y is not NULL (the sum is accumulated in double) */
    float (*row_max_f32)(int64_t n, const float *x);
    double (*row_max_f64)(int64_t n, const double *x);
    double (*row_expsum_f32)(int64_t n, float *y, const float *x, float m);
    double (*row_expsum_f64)(int64_t n, double *y, const double *x,
                             double m);
    /* C[M,N] = a b^T + beta C (beta == 0: C is only written) */
    void (*outer_f32)(int64_t M, int64_t N, const float *a, const float *b,
                      float beta, float *C);
    void (*outer_f64)(int64_t M, int64_t N, const double *a,
                      const double *b, double beta, double *C);
    /* y[N] = x[K] W[K,N] + beta y and y[M] = W[M,K] x[K] + beta y, W's
     * rows ldw apart (beta == 0: y is only written) */
    void (*vecmat_f32)(int64_t K, int64_t N, float *y, const float *x,
                       const float *W, int64_t ldw, float beta);
    void (*vecmat_f64)(int64_t K, int64_t N, double *y, const double *x,
                       const double *W, int64_t ldw, double beta);
    void (*matvec_f32)(int64_t M, int64_t K, float *y, const float *W,
                       int64_t ldw, const float *x, float beta);
    void (*matvec_f64)(int64_t M, int64_t K, double *y, const double *W,
                       int64_t ldw, const double *x, double beta);
    tg_optim_fn optim_f32[TG_OPT_COUNT];
    tg_optim_fn optim_f64[TG_OPT_COUNT];
} tg_kernel_set;

extern const tg_kernel_set tg__kernels_ref;
#if TG_HAVE_SIMD
extern const tg_kernel_set tg__kernels_sse2, tg__kernels_avx2,
    tg__kernels_avx512;
#endif
/* the set of the chosen instruction set */
const tg_kernel_set *tg__kernels(void);
/* a given set; one the CPU lacks (or the build left out) gives the best
 * one it has below */
const tg_kernel_set *tg__kernels_for(tg_isa isa);
/* Tests: make k the set every later call uses (NULL: back to the choice
 * of tg__isa). Not for use while other threads run kernels. */
void tg__use_kernels(const tg_kernel_set *k);

/* Split [0, n) across OpenMP threads (above TG_PAR_MIN elements) and run
 * the map kernel on each part. */
void tg__par_map_f32(int64_t n, float *y, const float *x, tg_map_kernel k,
                     tg_kp p);
void tg__par_map_f64(int64_t n, double *y, const double *x, tg_map_kernel k,
                     tg_kp p);

/* ---- the public face of the kernels, for tests and benchmarks:
 * tg_vec_<op>_<dtype>(n, y, x[, params]) threaded above TG_PAR_MIN,
 * binary ones tg_vec_<op>_<dtype>(n, y, a, sa, b, sb[, params]) with sa,
 * sb in {0, 1}, single-threaded (the broadcast driver splits the work). */
void tg_vec_exp_f32(int64_t n, float *y, const float *x);
void tg_vec_exp_f64(int64_t n, double *y, const double *x);
void tg_vec_log_f32(int64_t n, float *y, const float *x);
void tg_vec_log_f64(int64_t n, double *y, const double *x);
void tg_vec_log1p_f32(int64_t n, float *y, const float *x);
void tg_vec_log1p_f64(int64_t n, double *y, const double *x);
void tg_vec_expm1_f32(int64_t n, float *y, const float *x);
void tg_vec_expm1_f64(int64_t n, double *y, const double *x);
void tg_vec_sin_f32(int64_t n, float *y, const float *x);
void tg_vec_sin_f64(int64_t n, double *y, const double *x);
void tg_vec_cos_f32(int64_t n, float *y, const float *x);
void tg_vec_cos_f64(int64_t n, double *y, const double *x);
void tg_vec_erf_f32(int64_t n, float *y, const float *x);
void tg_vec_erf_f64(int64_t n, double *y, const double *x);
void tg_vec_abs_f32(int64_t n, float *y, const float *x);
void tg_vec_abs_f64(int64_t n, double *y, const double *x);
void tg_vec_sqrt_f32(int64_t n, float *y, const float *x);
void tg_vec_sqrt_f64(int64_t n, double *y, const double *x);
void tg_vec_rsqrt_f32(int64_t n, float *y, const float *x);
void tg_vec_rsqrt_f64(int64_t n, double *y, const double *x);
void tg_vec_square_f32(int64_t n, float *y, const float *x);
void tg_vec_square_f64(int64_t n, double *y, const double *x);
void tg_vec_reciprocal_f32(int64_t n, float *y, const float *x);
void tg_vec_reciprocal_f64(int64_t n, double *y, const double *x);
void tg_vec_tanh_f32(int64_t n, float *y, const float *x);
void tg_vec_tanh_f64(int64_t n, double *y, const double *x);
void tg_vec_sigmoid_f32(int64_t n, float *y, const float *x);
void tg_vec_sigmoid_f64(int64_t n, double *y, const double *x);
void tg_vec_logsigmoid_f32(int64_t n, float *y, const float *x);
void tg_vec_logsigmoid_f64(int64_t n, double *y, const double *x);
void tg_vec_silu_f32(int64_t n, float *y, const float *x);
void tg_vec_silu_f64(int64_t n, double *y, const double *x);
void tg_vec_relu_f32(int64_t n, float *y, const float *x);
void tg_vec_relu_f64(int64_t n, double *y, const double *x);
void tg_vec_selu_f32(int64_t n, float *y, const float *x);
void tg_vec_selu_f64(int64_t n, double *y, const double *x);
void tg_vec_gelu_f32(int64_t n, float *y, const float *x);
void tg_vec_gelu_f64(int64_t n, double *y, const double *x);
void tg_vec_gelu_tanh_f32(int64_t n, float *y, const float *x);
void tg_vec_gelu_tanh_f64(int64_t n, double *y, const double *x);
void tg_vec_pow_scalar_f32(int64_t n, float *y, const float *x, double p);
void tg_vec_pow_scalar_f64(int64_t n, double *y, const double *x, double p);
void tg_vec_leaky_relu_f32(int64_t n, float *y, const float *x, double alpha);
void tg_vec_leaky_relu_f64(int64_t n, double *y, const double *x, double alpha);
void tg_vec_elu_f32(int64_t n, float *y, const float *x, double alpha);
void tg_vec_elu_f64(int64_t n, double *y, const double *x, double alpha);
void tg_vec_celu_f32(int64_t n, float *y, const float *x, double alpha);
void tg_vec_celu_f64(int64_t n, double *y, const double *x, double alpha);
void tg_vec_hardshrink_f32(int64_t n, float *y, const float *x, double lambda);
void tg_vec_hardshrink_f64(int64_t n, double *y, const double *x, double lambda);
void tg_vec_clamp_f32(int64_t n, float *y, const float *x, double lo, double hi);
void tg_vec_clamp_f64(int64_t n, double *y, const double *x, double lo, double hi);
void tg_vec_softplus_f32(int64_t n, float *y, const float *x, double beta,
                         double threshold);
void tg_vec_softplus_f64(int64_t n, double *y, const double *x, double beta,
                         double threshold);

void tg_vec_pow_f32(int64_t n, float *y, const float *a, int64_t sa,
                    const float *b, int64_t sb);
void tg_vec_pow_f64(int64_t n, double *y, const double *a, int64_t sa,
                    const double *b, int64_t sb);
void tg_vec_maximum_f32(int64_t n, float *y, const float *a, int64_t sa,
                        const float *b, int64_t sb);
void tg_vec_maximum_f64(int64_t n, double *y, const double *a, int64_t sa,
                        const double *b, int64_t sb);
void tg_vec_minimum_f32(int64_t n, float *y, const float *a, int64_t sa,
                        const float *b, int64_t sb);
void tg_vec_minimum_f64(int64_t n, double *y, const double *a, int64_t sa,
                        const double *b, int64_t sb);
/* fused backward kernels: (n, y, g, sg, x, sx[, params]); tanh_backward
 * and sigmoid_backward take the forward output y in place of x */
void tg_vec_tanh_backward_f32(int64_t n, float *z, const float *g, int64_t sg,
                              const float *y, int64_t sy);
void tg_vec_tanh_backward_f64(int64_t n, double *z, const double *g,
                              int64_t sg, const double *y, int64_t sy);
void tg_vec_relu_backward_f32(int64_t n, float *y, const float *g, int64_t sg,
                              const float *x, int64_t sx);
void tg_vec_relu_backward_f64(int64_t n, double *y, const double *g,
                              int64_t sg, const double *x, int64_t sx);
void tg_vec_sigmoid_backward_f32(int64_t n, float *y, const float *g,
                                 int64_t sg, const float *x, int64_t sx);
void tg_vec_sigmoid_backward_f64(int64_t n, double *y, const double *g,
                                 int64_t sg, const double *x, int64_t sx);
void tg_vec_logsigmoid_backward_f32(int64_t n, float *y, const float *g,
                                    int64_t sg, const float *x, int64_t sx);
void tg_vec_logsigmoid_backward_f64(int64_t n, double *y, const double *g,
                                    int64_t sg, const double *x, int64_t sx);
void tg_vec_silu_backward_f32(int64_t n, float *y, const float *g, int64_t sg,
                              const float *x, int64_t sx);
void tg_vec_silu_backward_f64(int64_t n, double *y, const double *g,
                              int64_t sg, const double *x, int64_t sx);
void tg_vec_gelu_backward_f32(int64_t n, float *y, const float *g, int64_t sg,
                              const float *x, int64_t sx);
void tg_vec_gelu_backward_f64(int64_t n, double *y, const double *g,
                              int64_t sg, const double *x, int64_t sx);
void tg_vec_gelu_tanh_backward_f32(int64_t n, float *y, const float *g,
                                   int64_t sg, const float *x, int64_t sx);
void tg_vec_gelu_tanh_backward_f64(int64_t n, double *y, const double *g,
                                   int64_t sg, const double *x, int64_t sx);
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
