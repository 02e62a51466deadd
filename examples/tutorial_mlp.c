#include <stdio.h>
#include <tapegrad/tapegrad.h>

static void make_data(tg_rng *r, int n, float *X, float *Y) /* in [-1.5,1.5]^2 */
{
    for (int i = 0; i < 2 * n; i++) X[i] = (float)(3 * tg_rng_uniform(r) - 1.5);
    for (int i = 0; i < n; i++) /* class 1 inside the unit circle, else 0 */
        Y[i] = X[2 * i] * X[2 * i] + X[2 * i + 1] * X[2 * i + 1] < 1;
}

int main(void)
{
    enum { N = 512 }; /* training points, and as many again for testing */
    static float X[2 * N * 2], Y[2 * N]; /* rows 0..N-1 train, N..2N-1 test */
    tg_graph *g = tg_graph_new();
    make_data(tg_graph_rng(g), 2 * N, X, Y);
    tg_layer *net = tg_nn_mlp(g, TG_F32, 3, (int64_t[]){2, 16, 2}, "tanh", NULL,
                              TG_INIT_XAVIER_NORMAL, "mlp");
    tg_optim_config cfg = tg_optim_defaults(TG_OPTIM_ADAM);
    cfg.lr = 0.05;
    tg_optim *opt = tg_optim_new(&cfg, tg_layer_num_params(net), tg_layer_params(net));
    for (int step = 1; step <= 200 && !tg_graph_error(g); step++) {
        tg_graph_reset(g); /* drop the previous step's tape; parameters stay */
        tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(N, 2), X);
        tg_tensor *y = tg_input(g, TG_F32, TG_SHAPE(N), Y);
        tg_tensor *loss = tg_cross_entropy(tg_layer_forward(net, x), y);
        if (step == 200) /* draw the last step's tape, with d loss / d node */
            tg_graph_save_dot(g, "mlp.dot", &(tg_dot_opts){.loss = loss, .max_values = 12});
        if (tg_backward(g, loss) == TG_OK) tg_optim_step(opt);
        tg_optim_zero_grad(opt);
        if (step % 50 == 0) printf("step %3d  loss %.4f\n", step, tg_item(loss));
    }
    tg_set_grad_enabled(g, false); /* evaluation records no tape */
    tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(N, 2), X + 2 * N);
    tg_tensor *y = tg_input(g, TG_F32, TG_SHAPE(N), Y + N);
    printf("test accuracy %.1f%%\n", 100 * tg_accuracy(tg_layer_forward(net, x), y));
    if (tg_graph_error(g)) printf("error: %s\n", tg_graph_error(g));
    tg_optim_free(opt), tg_layer_free(net), tg_graph_free(g);
}
