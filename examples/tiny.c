/* tiny: the smallest end-to-end training loop. A 2-8-1 tanh network learns
 * XOR by full-batch gradient descent on squared error; the loss is printed
 * as it falls. Everything here is the public API. */
#include <stdio.h>
#include <tapegrad/tapegrad.h>

#include "demos.h"

static void init_uniform(tg_tensor *p, tg_rng *r, double bound)
{
    float *w = tg_f32(p);
    for (int64_t i = 0; i < p->numel; i++)
        w[i] = (float)((2 * tg_rng_uniform(r) - 1) * bound);
}

int tg_demo_tiny(int argc, char **argv)
{
    (void)argc, (void)argv;
    static const float X[4 * 2] = {0, 0, 0, 1, 1, 0, 1, 1};
    static const float T[4 * 1] = {-1, 1, 1, -1}; /* XOR as ±1 */
    tg_graph *g = tg_graph_new();
    if (!g) {
        fprintf(stderr, "tapegrad: %s\n", tg_last_error());
        return 1;
    }
    tg_tensor *W1 = tg_param(g, TG_F32, TG_SHAPE(2, 8), "W1");
    tg_tensor *b1 = tg_param(g, TG_F32, TG_SHAPE(8), "b1");
    tg_tensor *W2 = tg_param(g, TG_F32, TG_SHAPE(8, 1), "W2");
    tg_tensor *b2 = tg_param(g, TG_F32, TG_SHAPE(1), "b2");
    if (tg_graph_error(g)) {
        fprintf(stderr, "tapegrad: %s\n", tg_graph_error(g));
        tg_graph_free(g);
        return 1;
    }
    tg_rng *r = tg_graph_rng(g);
    init_uniform(W1, r, 1.0);
    init_uniform(W2, r, 0.5);

    printf("tiny: a 2-8-1 tanh network learns XOR (full batch, lr 0.1)\n");
    float loss_v = 0;
    for (int step = 0; step <= 300; step++) {
        tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(4, 2), X);
        tg_tensor *t = tg_input(g, TG_F32, TG_SHAPE(4, 1), T);
        tg_tensor *h = tg_tanh(tg_add(tg_matmul(x, W1), b1));
        tg_tensor *y = tg_tanh(tg_add(tg_matmul(h, W2), b2));
        tg_tensor *d = tg_sub(y, t);
        tg_tensor *loss = tg_mul_scalar(tg_sum_all(tg_mul(d, d)), 0.25);
        if (tg_backward(g, loss) != TG_OK) {
            fprintf(stderr, "tapegrad: %s\n", tg_graph_error(g));
            tg_graph_free(g);
            return 1;
        }
        loss_v = (float)tg_item(loss);
        if (step % 50 == 0) printf("  step %3d  loss %.5f\n", step, loss_v);
        for (int k = 0; k < tg_graph_num_params(g); k++) {
            tg_tensor *p = tg_graph_param(g, k);
            float *w = tg_f32(p), *gw = tg_f32(p->grad);
            for (int64_t i = 0; i < p->numel; i++) w[i] -= 0.1f * gw[i];
        }
        tg_zero_grad(g);
        if (step == 300) {
            printf("  outputs:");
            for (int i = 0; i < 4; i++) printf(" %+.3f", tg_get(y, i));
            printf("  (targets -1 +1 +1 -1)\n");
        }
        tg_graph_reset(g);
    }
    tg_graph_free(g);
    return loss_v < 0.05f ? 0 : 1;
}
