/* A small training loop for measuring what anomaly mode costs (not a
 * test). Run it under callgrind twice, or once and read the per-line
 * instruction counts of the anomaly branches; docs/reliability.md has the
 * commands and the figures. Argument "on" turns anomaly mode on. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tapegrad/tapegrad.h>

int main(int argc, char **argv)
{
    bool on = argc > 1 && !strcmp(argv[1], "on");
    int steps = argc > 2 ? atoi(argv[2]) : 2000;
    tg_graph *g = tg_graph_new();
    tg_tensor *W1 = tg_param(g, TG_F32, TG_SHAPE(16, 32), "W1");
    tg_tensor *b1 = tg_param(g, TG_F32, TG_SHAPE(32), "b1");
    tg_tensor *W2 = tg_param(g, TG_F32, TG_SHAPE(32, 4), "W2");
    tg_tensor *b2 = tg_param(g, TG_F32, TG_SHAPE(4), "b2");
    tg_init_xavier_uniform(W1, tg_graph_rng(g));
    tg_init_xavier_uniform(W2, tg_graph_rng(g));
    tg_set_anomaly(g, on);
    float x[8 * 16], t[8 * 4];
    for (int i = 0; i < 8 * 16; i++) x[i] = (float)((i * 7) % 13) / 13.0f - 0.5f;
    for (int i = 0; i < 8 * 4; i++) t[i] = (float)(i % 3) - 1.0f;
    double loss = 0;
    for (int s = 0; s < steps; s++) {
        tg_tensor *xi = tg_input(g, TG_F32, TG_SHAPE(8, 16), x);
        tg_tensor *ti = tg_input(g, TG_F32, TG_SHAPE(8, 4), t);
        tg_tensor *h = tg_tanh(tg_add(tg_matmul(xi, W1), b1));
        tg_tensor *d = tg_sub(tg_add(tg_matmul(h, W2), b2), ti);
        tg_tensor *l = tg_mul_scalar(tg_sum_all(tg_mul(d, d)), 1.0 / 8);
        if (tg_backward(g, l) != TG_OK) {
            fprintf(stderr, "%s\n", tg_graph_error(g));
            return 1;
        }
        loss = tg_item(l);
        for (int k = 0; k < 4; k++) {
            tg_tensor *p = tg_graph_param(g, k);
            float *w = tg_f32(p), *gw = tg_f32(p->grad);
            for (int64_t i = 0; i < p->numel; i++) w[i] -= 0.05f * gw[i];
        }
        tg_zero_grad(g);
        tg_graph_reset(g);
    }
    printf("anomaly %s: %d steps, final loss %.6f\n", on ? "on" : "off", steps,
           loss);
    tg_graph_free(g);
    return 0;
}
