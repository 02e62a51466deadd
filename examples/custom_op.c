/* A user-defined op: SwiGLU, swiglu(a, b) = silu(a) * b = a σ(a) b, the
 * gated unit of transformer feed-forward blocks (Shazeer 2020), as one
 * fused op instead of three (sigmoid, mul, mul) — defined outside the
 * library with the same tg_op form the built-in ops use.
 *
 * The program
 *   1. checks the op's gradients, first and second order, with
 *      tg_gradcheck (f64, central differences);
 *   2. shows the error message naming the op;
 *   3. trains a small GLU network y = (swiglu(x A, x B)) W on a 1-d
 *      regression with plain gradient descent, and prints the loss.
 * It prints "ok" last when every check passed (exit status 0).
 *
 * Build against an installed tapegrad:
 *   cc custom_op.c $(pkg-config --cflags --libs tapegrad) -lm
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <tapegrad/tapegrad.h>

/* ------------------------------------------------------------ the op */

/* a and b must have one shape (a GLU splits one projection in two). */
static tg_status swiglu_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    const tg_tensor *a = tg_node_input(n, 0), *b = tg_node_input(n, 1);
    char sa[64], sb[64];
    if (a->ndim != b->ndim ||
        memcmp(a->shape, b->shape, sizeof(int64_t) * (size_t)a->ndim))
        return tg_node_fail(g, n, TG_ERR_SHAPE,
                            "gate %s and value %s differ in shape; hint: "
                            "split one projection into two equal halves",
                            tg_shape_str(a, sa, sizeof sa),
                            tg_shape_str(b, sb, sizeof sb));
    out->ndim = a->ndim;
    memcpy(out->shape, a->shape, sizeof(int64_t) * (size_t)a->ndim);
    return TG_OK;
}

/* y = a σ(a) b, one pass, in the input's precision. σ(a) = 1/(1+e^-a)
 * overflows e^-a to inf for a < -709 (f64), giving the right limit 0. */
static tg_status swiglu_forward(tg_graph *g, tg_node *n)
{
    (void)g;
    const tg_tensor *a = tg_node_input(n, 0), *b = tg_node_input(n, 1);
    tg_tensor *y = tg_node_output(n);
    if (tg_f64(y)) {
        const double *pa = tg_f64(a), *pb = tg_f64(b);
        double *py = tg_f64(y);
        for (int64_t i = 0; i < y->numel; i++)
            py[i] = pa[i] / (1 + exp(-pa[i])) * pb[i];
    } else {
        const float *pa = tg_f32(a), *pb = tg_f32(b);
        float *py = tg_f32(y);
        for (int64_t i = 0; i < y->numel; i++)
            py[i] = pa[i] / (1 + expf(-pa[i])) * pb[i];
    }
    return TG_OK;
}

/* ∂y/∂a = b silu'(a), ∂y/∂b = silu(a). Written with tapegrad ops, so
 * under create_graph the backward is recorded and differentiable again:
 * silu_backward(g, a) = g silu'(a) is an op with its own VJP. */
static void swiglu_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                       const bool *need, tg_tensor **gx)
{
    (void)g;
    tg_tensor *a = tg_node_input(n, 0), *b = tg_node_input(n, 1);
    if (need[0]) gx[0] = tg_silu_backward(tg_mul(gy, b), a);
    if (need[1]) gx[1] = tg_mul(gy, tg_silu(a));
}

static TG_OP_DEFINE(swiglu,
    .n_inputs = 2,
    .shape = swiglu_shape,
    .forward = swiglu_forward,
    .vjp = swiglu_vjp,
    .cases = "swiglu(a, b) | a=3x4 b=3x4; swiglu(3*a, b) | a=5 b=5");

static tg_tensor *tg_swiglu(tg_tensor *a, tg_tensor *b)
{
    tg_tensor *in[2] = {a, b};
    return tg_apply(&swiglu, in, 2, NULL);
}

/* ----------------------------------------------------------- checks */

static tg_tensor *f_swiglu(tg_graph *g, tg_tensor *const *in, int n, void *u)
{
    (void)g, (void)n, (void)u;
    return tg_swiglu(tg_mul_scalar(in[0], 3), in[1]);
}

static int failures;

static void expect(bool ok, const char *what)
{
    printf("%-58s %s\n", what, ok ? "yes" : "NO");
    if (!ok) failures++;
}

static void check_gradients(void)
{
    tg_check_arg args[2] = {{.name = "a", .ndim = 2, .shape = {4, 5}},
                            {.name = "b", .ndim = 2, .shape = {4, 5}}};
    tg_check_opts o = tg_check_defaults();
    o.gradgrad = true;
    tg_check_report r;
    tg_status st = tg_gradcheck(f_swiglu, NULL, 2, args, &o, &r);
    tg_check_report_print(&r, stdout);
    expect(st == TG_OK && r.pass, "gradcheck of swiglu(3a, b) passes");
    expect(r.n_gradgrad == 3 && r.gradgrad_pass && !r.gradgrad_skipped,
           "second derivatives (a, b, seed) pass");
}

static void check_values_and_errors(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *a = tg_input(g, TG_F64, TG_SHAPE(3), (double[]){-1, 0, 2});
    tg_tensor *b = tg_input(g, TG_F64, TG_SHAPE(3), (double[]){2, 5, -3});
    tg_tensor *y = tg_swiglu(a, b);
    /* against the composition silu(a) * b, a separate path */
    tg_tensor *ref = tg_mul(tg_silu(a), b);
    double worst = 0;
    for (int i = 0; i < 3; i++)
        worst = fmax(worst, fabs(tg_get(y, i) - tg_get(ref, i)));
    expect(worst < 1e-15, "swiglu equals silu(a) * b");

    tg_tensor *c = tg_input(g, TG_F64, TG_SHAPE(4), NULL);
    tg_swiglu(a, c);
    const char *msg = tg_graph_error(g);
    printf("error: %s\n", msg ? msg : "(none)");
    expect(msg && !strcmp(msg, "swiglu: gate [3] and value [4] differ in "
                                "shape; hint: split one projection into "
                                "two equal halves"),
           "a shape mismatch is reported naming the op");
    tg_graph_free(g);
}

/* ---------------------------------------------------------- training */

/* y = swiglu(x A, x B) W, fitted to t = sin(2x) on [-1, 1]. */
enum { N = 64, H = 16 };

static double train(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *A = tg_param(g, TG_F32, TG_SHAPE(2, H), "A");
    tg_tensor *B = tg_param(g, TG_F32, TG_SHAPE(2, H), "B");
    tg_tensor *W = tg_param(g, TG_F32, TG_SHAPE(H, 1), "W");
    tg_rng r;
    tg_rng_seed(&r, 7);
    tg_init_normal(A, &r, 0, 1);
    tg_init_normal(B, &r, 0, 1);
    tg_init_normal(W, &r, 0, 0.25);
    float xv[N * 2], tv[N];
    for (int i = 0; i < N; i++) {
        float x = -1 + 2.0f * (float)i / (N - 1);
        xv[2 * i] = x, xv[2 * i + 1] = 1; /* a constant column: the bias */
        tv[i] = sinf(2 * x);
    }
    tg_tensor *params[3] = {A, B, W};
    double first = 0, last = 0;
    for (int step = 0; step < 400; step++) {
        tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(N, 2), xv);
        tg_tensor *t = tg_input(g, TG_F32, TG_SHAPE(N, 1), tv);
        tg_tensor *h = tg_swiglu(tg_matmul(x, A), tg_matmul(x, B));
        tg_tensor *loss = tg_mse(tg_matmul(h, W), t);
        if (tg_backward(g, loss) != TG_OK) {
            printf("training: %s\n", tg_graph_error(g));
            failures++;
            break;
        }
        last = tg_item(loss);
        if (step == 0) first = last;
        if (step % 100 == 0) printf("step %3d  loss %.5f\n", step, last);
        for (int p = 0; p < 3; p++)
            for (int64_t i = 0; i < params[p]->numel; i++)
                tg_f32(params[p])[i] -= 0.1f * tg_f32(params[p]->grad)[i];
        tg_zero_grad(g);
        tg_graph_reset(g);
    }
    printf("step 400  loss %.5f (from %.5f)\n", last, first);
    tg_graph_free(g);
    return last / first;
}

int main(void)
{
    check_gradients();
    check_values_and_errors();
    double ratio = train();
    expect(ratio < 0.05, "training lowers the loss below 5% of its start");
    puts(failures ? "FAILED" : "ok");
    return failures != 0;
}
