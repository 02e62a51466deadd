/* Workload conv: convolution speed, three ways.
 *
 *   fwd, fwd_bwd  one 3x3 convolution, 64 -> 64 channels, 32x32 images,
 *                 batch 32, padding 1, f32 (the shape of a ResNet stage):
 *                 y = conv2d(x, w, b) with recording off; then dx, dw
 *                 and db from tg_grad(y, seed g)
 *   gemm          the product that convolution's forward pass reduces to
 *                 after im2col, w [64, 576] @ cols [32, 576, 1024], timed
 *                 through tg_matmul: the machine's GEMM rate on the
 *                 convolution's own shape (same flop count as fwd)
 *   cnn_step      one training step (forward, cross-entropy, backward,
 *                 Adam) of the network of `tapegrad demo cnn` at batch 128:
 *                 conv 1->16 3x3 pad 1, batch norm, ReLU, max pool 2,
 *                 conv 16->32 3x3 pad 1, batch norm, ReLU, max pool 2,
 *                 linear 1568->128, ReLU, linear 128->10
 *
 * Reported: seconds per call (median of --reps runs of --steps calls
 * after --warmup) and GFLOP/s counting 2 N O P Q C kH kW flops per
 * convolution (three convolutions for fwd_bwd). Data from bench_fill as
 * in bench/torch_ref.py's conv(): the same inputs and initial weights on
 * both sides, so cnn_step's losses agree to rounding.
 */
#include <math.h>
#include <tapegrad/tapegrad.h>

#include "bench.h"

static void die(tg_graph *g, const char *what)
{
    fprintf(stderr, "bench_conv: %s: %s\n", what,
            g && tg_graph_error(g) ? tg_graph_error(g) : tg_last_error());
    exit(1);
}

/* Median seconds per call of fn over a.reps runs of `steps` calls. */
typedef void (*step_fn)(void *ud);
static double timed(const bench_args *a, long steps, step_fn fn, void *ud)
{
    double *t = malloc(sizeof(double) * (size_t)a->reps);
    for (int r = -a->warmup; r < a->reps; r++) {
        double t0 = bench_now();
        for (long s = 0; s < steps; s++) fn(ud);
        if (r >= 0) t[r] = (bench_now() - t0) / (double)steps;
    }
    double m = bench_median(t, a->reps);
    free(t);
    return m;
}

/* ------------------------------------------------- one convolution */

/* x and the seed g are persistent tensors filled once, as the PyTorch
 * side's are: the forward runs with recording off (torch.no_grad), and
 * forward + backward asks tg_grad for fresh dx, dw and db, as the PyTorch
 * side's set-to-None gradients and x.detach().requires_grad_() are; no
 * call copies an input or zeroes a gradient. */
typedef struct conv_case {
    tg_graph *g;
    tg_tensor *w, *b, *x, *gy;
    int64_t xs[4];
    bool backward;
    tg_tensor *cols; /* gemm: [N, C 9, S S] */
} conv_case;

static void conv_once(void *ud)
{
    conv_case *c = ud;
    tg_graph *g = c->g;
    bool was = tg_set_grad_enabled(g, c->backward);
    tg_tensor *y = tg_conv2d(c->x, c->w, c->b,
                             &(tg_conv_opts){.padding = {1, 1}});
    if (c->backward) {
        tg_tensor *wrt[3] = {c->x, c->w, c->b}, *grads[3];
        if (tg_grad(g, &y, 1, &c->gy, wrt, 3, false, grads) != TG_OK)
            die(g, "tg_grad");
    }
    tg_set_grad_enabled(g, was);
    if (tg_graph_error(g)) die(g, "conv2d");
    tg_graph_reset(g);
}

static void gemm_once(void *ud)
{
    conv_case *c = ud;
    int64_t C = c->xs[1];
    tg_tensor *w2 = tg_reshape(c->w, 2, (int64_t[]){C, C * 9});
    tg_tensor *y = tg_matmul(w2, c->cols);
    if (tg_graph_error(c->g)) die(c->g, "matmul");
    (void)y;
    tg_graph_reset(c->g);
}

/* ------------------------------------------------- the demo network */

typedef struct cnn_case {
    tg_graph *g;
    tg_layer *net;
    tg_optim *opt;
    int64_t B;
    float *xv, *yv;
    double loss_first, loss;
} cnn_case;

/* Fill a layer's parameter with bench_fill values, ±bound. */
static void fill_param(tg_layer *l, const char *name, uint64_t stream,
                       double bound)
{
    tg_tensor *t = tg_layer_find(l, name);
    if (!t) die(NULL, name);
    bench_fill(tg_f32(t), t->numel, stream, -bound, bound);
}

static tg_layer *make_cnn(tg_graph *g)
{
    tg_conv_opts pad1 = {.padding = {1, 1}};
    tg_pool_opts pool2 = {.kernel = {2, 2}};
    tg_layer *k[] = {
        tg_nn_conv2d(g, TG_F32, 1, 16, 3, 3, &pad1, true, TG_INIT_DEFAULT, "c1"),
        tg_nn_batchnorm2d(g, TG_F32, 16, 0.1, 1e-5, "bn1"),
        tg_nn_activation_named(g, "relu"),
        tg_nn_max_pool2d(g, &pool2),
        tg_nn_conv2d(g, TG_F32, 16, 32, 3, 3, &pad1, true, TG_INIT_DEFAULT, "c2"),
        tg_nn_batchnorm2d(g, TG_F32, 32, 0.1, 1e-5, "bn2"),
        tg_nn_activation_named(g, "relu"),
        tg_nn_max_pool2d(g, &pool2),
        tg_nn_flatten(g),
        tg_nn_linear(g, TG_F32, 1568, 128, true, TG_INIT_DEFAULT, "fc1"),
        tg_nn_activation_named(g, "relu"),
        tg_nn_linear(g, TG_F32, 128, 10, true, TG_INIT_DEFAULT, "fc2"),
    };
    tg_layer *net = tg_nn_sequential(g, (int)(sizeof k / sizeof *k), k, "cnn");
    if (!net) die(g, "make_cnn");
    /* PyTorch's default bounds 1/sqrt(fan_in), values shared with
     * torch_ref.py (linear weights [in, out] here, transposed there) */
    fill_param(net, "c1.weight", 31, 1 / 3.0);
    fill_param(net, "c1.bias", 32, 1 / 3.0);
    fill_param(net, "c2.weight", 33, 1 / sqrt(144.0));
    fill_param(net, "c2.bias", 34, 1 / sqrt(144.0));
    fill_param(net, "fc1.weight", 35, 1 / sqrt(1568.0));
    fill_param(net, "fc1.bias", 36, 1 / sqrt(1568.0));
    fill_param(net, "fc2.weight", 37, 1 / sqrt(128.0));
    fill_param(net, "fc2.bias", 38, 1 / sqrt(128.0));
    return net;
}

static void cnn_once(void *ud)
{
    cnn_case *c = ud;
    tg_graph *g = c->g;
    tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(c->B, 1, 28, 28), c->xv);
    tg_tensor *y = tg_input(g, TG_F32, TG_SHAPE(c->B), c->yv);
    tg_tensor *loss = tg_cross_entropy(tg_layer_forward(c->net, x), y);
    if (tg_backward(g, loss) != TG_OK) die(g, "cnn backward");
    tg_optim_step_zero_grad(c->opt);
    c->loss = tg_item(loss);
    if (isnan(c->loss_first)) c->loss_first = c->loss;
    tg_graph_reset(g);
}

int main(int argc, char **argv)
{
    bench_args a = bench_parse(argc, argv, 7, 2);
    int64_t N = a.tiny ? 2 : 32, C = a.tiny ? 8 : 64, S = a.tiny ? 8 : 32;
    long steps = bench_opt_int(&a, "--steps", a.tiny ? 1 : 5);
    tg_set_num_threads(a.threads);

    conv_case cc = {.g = tg_graph_new(), .xs = {N, C, S, S}};
    tg_graph *g = cc.g;
    cc.w = tg_param(g, TG_F32, TG_SHAPE(C, C, 3, 3), "w");
    cc.b = tg_param(g, TG_F32, TG_SHAPE(C), "b");
    if (!cc.w || !cc.b) die(g, "tg_param");
    double bound = 1 / sqrt((double)(C * 9));
    bench_fill(tg_f32(cc.w), cc.w->numel, 11, -bound, bound);
    bench_fill(tg_f32(cc.b), cc.b->numel, 12, -bound, bound);
    cc.x = tg_param(g, TG_F32, TG_SHAPE(N, C, S, S), "x");
    cc.gy = tg_param(g, TG_F32, TG_SHAPE(N, C, S, S), "gy");
    if (!cc.x || !cc.gy) die(g, "tg_param");
    tg_set_requires_grad(cc.gy, false);
    bench_fill(tg_f32(cc.x), cc.x->numel, 13, -1, 1);
    bench_fill(tg_f32(cc.gy), cc.gy->numel, 14, -1, 1);
    double flops = 2.0 * (double)(N * C * S * S) * (double)(C * 9);
    for (int k = 0; k < 2; k++) {
        const char *name = k ? "fwd_bwd" : "fwd";
        if (!bench_want(&a, name)) continue;
        cc.backward = k == 1;
        double sec = timed(&a, steps, conv_once, &cc);
        double f = k ? 3 * flops : flops;
        printf("{\"bench\": \"conv\", \"case\": \"%s\", \"seconds\": %.6g, "
               "\"gflops\": %.4g, \"threads\": %d}\n",
               name, sec, f / sec * 1e-9, a.threads);
        fflush(stdout);
    }
    if (bench_want(&a, "gemm")) {
        /* a persistent [N, C 9, S S] operand: parameters survive resets */
        cc.cols = tg_param(g, TG_F32, TG_SHAPE(N, C * 9, S * S), "cols");
        if (!cc.cols) die(g, "tg_param");
        bench_fill(tg_f32(cc.cols), cc.cols->numel, 15, -1, 1);
        double sec = timed(&a, steps, gemm_once, &cc);
        printf("{\"bench\": \"conv\", \"case\": \"gemm\", \"seconds\": %.6g, "
               "\"gflops\": %.4g, \"threads\": %d}\n",
               sec, flops / sec * 1e-9, a.threads);
        fflush(stdout);
    }
    tg_graph_free(g);

    if (bench_want(&a, "cnn_step")) {
        cnn_case c = {.g = tg_graph_new(), .B = a.tiny ? 8 : 128,
                      .loss_first = NAN};
        c.net = make_cnn(c.g);
        tg_optim_config oc = tg_optim_defaults(TG_OPTIM_ADAM);
        oc.set_to_none = true; /* torch_ref.py: zero_grad(set_to_none=True) */
        c.opt = tg_optim_new(&oc, tg_layer_num_params(c.net),
                             tg_layer_params(c.net));
        if (!c.opt) die(NULL, "tg_optim_new");
        c.xv = malloc(sizeof(float) * (size_t)(c.B * 784));
        c.yv = malloc(sizeof(float) * (size_t)c.B);
        bench_fill(c.xv, c.B * 784, 21, 0, 1);
        bench_fill(c.yv, c.B, 22, 0, 10);
        for (int64_t i = 0; i < c.B; i++) c.yv[i] = floorf(c.yv[i]);
        long cnn_steps = bench_opt_int(&a, "--steps", a.tiny ? 1 : 10);
        double sec = timed(&a, cnn_steps, cnn_once, &c);
        /* flops of the two convolutions and the two linear layers:
         * forward, weight gradients, input gradients (none for the
         * images) */
        double B = (double)c.B;
        double f1 = 2 * B * 16 * 784 * 9, f2 = 2 * B * 32 * 196 * 144;
        double f3 = 2 * B * 1568 * 128, f4 = 2 * B * 128 * 10;
        double fl = 2 * f1 + 3 * (f2 + f3 + f4);
        printf("{\"bench\": \"conv\", \"case\": \"cnn_step\", \"seconds\": "
               "%.6g, \"gflops\": %.4g, \"loss_first\": %.7g, \"loss\": "
               "%.7g, \"threads\": %d}\n",
               sec, fl / sec * 1e-9, c.loss_first, c.loss, a.threads);
        free(c.xv);
        free(c.yv);
        tg_optim_free(c.opt);
        tg_layer_free(c.net);
        tg_graph_free(c.g);
    }
    return 0;
}
