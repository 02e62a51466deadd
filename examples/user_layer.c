/* A layer of one's own: a gated cell y = x + sigmoid(x Wg + bg) * tanh(fc(x))
 * that registers its gate's parameters and a buffer, and adopts a linear
 * layer, so the optimizer, tg_save/tg_load, freezing and the counts see it
 * like a built-in layer (docs/nn.md shows this file). It trains the cell
 * and a head on a small regression, saves, loads into a second model,
 * freezes the cell, and exits 1 if any of that goes wrong. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <tapegrad/tapegrad.h>

typedef struct gated {
    tg_tensor *wg, *bg, *calls; /* gate weight [d, d], bias [d]; a counter */
    tg_layer *fc;               /* the candidate: a built-in linear layer   */
} gated;

static tg_tensor *gated_forward(tg_layer *self, tg_tensor *x)
{
    gated *c = tg_layer_data(self);
    tg_f64(c->calls)[0] += 1; /* a buffer: saved, never trained */
    tg_tensor *gate = tg_sigmoid(tg_linear(x, c->wg, c->bg));
    return tg_add(x, tg_mul(gate, tg_tanh(tg_layer_forward(c->fc, x))));
}

static tg_layer *gated_new(tg_graph *g, int64_t d, const char *name)
{
    gated *c = calloc(1, sizeof *c);
    tg_layer_def def = {.kind = "gated", .forward = gated_forward, .data = c,
                        .free_data = free};
    tg_layer *l = tg_layer_new(g, &def, name); /* frees c if it fails */
    if (!l) return NULL;
    char fc_name[256];
    snprintf(fc_name, sizeof fc_name, "%s.fc", name);
    c->fc = tg_nn_linear(g, TG_F64, d, d, true, TG_INIT_DEFAULT, fc_name);
    tg_layer_add_child(l, c->fc); /* l owns the child, also on failure */
    c->wg = tg_layer_add_param(l, "gate.weight", TG_F64, 2, (int64_t[]){d, d},
                               TG_INIT_XAVIER_UNIFORM);
    c->bg = tg_layer_add_param(l, "gate.bias", TG_F64, 1, &d, TG_INIT_ONES);
    c->calls = tg_layer_add_buffer(l, "calls", TG_F64, 1, (int64_t[]){1},
                                   TG_INIT_ZEROS);
    if (tg_graph_error(g)) { /* any failure above is on the graph */
        tg_layer_free(l);
        return NULL;
    }
    return l;
}

/* The model: the cell, then a linear head to one output. */
static tg_layer *model(tg_graph *g, uint64_t seed)
{
    tg_rng_seed(tg_graph_rng(g), seed);
    tg_layer *parts[2] = {
        gated_new(g, 4, "cell"),
        tg_nn_linear(g, TG_F64, 4, 1, true, TG_INIT_DEFAULT, "head")};
    return tg_nn_sequential(g, 2, parts, "net");
}

static int failures;
#define CHECK(cond) \
    ((cond) ? (void)0 : (void)(failures++, printf("check failed: %s\n", #cond)))

/* Mean squared error of the model on 64 fixed points of
 * y = sin(x0) + x1 x2 - x3 / 2, with a training step when opt is given. */
static double step(tg_graph *g, tg_layer *net, tg_optim *opt)
{
    double xs[64 * 4], ys[64];
    for (int i = 0; i < 64; i++) {
        for (int j = 0; j < 4; j++) xs[4 * i + j] = sin(1.7 * i + 2.3 * j);
        ys[i] = sin(xs[4 * i]) + xs[4 * i + 1] * xs[4 * i + 2] - xs[4 * i + 3] / 2;
    }
    tg_tensor *x = tg_input(g, TG_F64, 2, (int64_t[]){64, 4}, xs);
    tg_tensor *y = tg_input(g, TG_F64, 2, (int64_t[]){64, 1}, ys);
    tg_tensor *loss = tg_mse(tg_layer_forward(net, x), y);
    double v = tg_item(loss);
    if (opt && tg_backward(g, loss) == TG_OK) tg_optim_step_zero_grad(opt);
    tg_graph_reset(g);
    return v;
}

int main(void)
{
    tg_graph *g = tg_graph_new();
    tg_layer *net = model(g, 1);
    if (!net) {
        printf("%s\n", tg_graph_error(g));
        return 1;
    }
    tg_layer *cell = tg_layer_child(net, 0);

    /* counts and listing: the cell's gate (16 + 4), its fc (16 + 4) and
     * the head (4 + 1); the buffer is state, not a parameter */
    CHECK(tg_layer_num_params(net) == 6);
    CHECK(tg_layer_num_state(net) == 7);
    CHECK(tg_layer_num_elements(net, false) == 45);
    char text[2048];
    tg_layer_describe(net, text, sizeof text);
    printf("%s", text);

    /* training: Adam sees the cell's own parameters and its child's */
    tg_optim_config oc = tg_optim_defaults(TG_OPTIM_ADAM);
    oc.lr = 0.02;
    tg_optim *opt = tg_optim_new(&oc, tg_layer_num_params(net),
                                 tg_layer_params(net));
    double first = step(g, net, opt), last = first;
    for (int i = 0; i < 300; i++) last = step(g, net, opt);
    printf("training loss %.4f -> %.4f\n", first, last);
    CHECK(last < 0.1 * first);

    /* save, and load into a second model built with another seed */
    tg_save("user_layer.tgw", tg_layer_num_state(net), tg_layer_state(net), opt);
    tg_graph *g2 = tg_graph_new();
    tg_layer *net2 = model(g2, 2);
    double before = step(g2, net2, NULL);
    CHECK(tg_load("user_layer.tgw", tg_layer_num_state(net2),
                  tg_layer_state(net2), NULL) == TG_OK);
    double after = step(g2, net2, NULL), orig = step(g, net, NULL);
    printf("second model: loss %.4f before loading, %.4f after (first: %.4f)\n",
           before, after, orig);
    CHECK(after == orig && before != orig);
    /* the buffer came along: 301 forward passes before the save, one since */
    CHECK(tg_f64(tg_layer_find(net2, "cell.calls"))[0] == 302);

    /* freezing the cell: only the head trains on */
    tg_layer_set_trainable(cell, false);
    CHECK(tg_layer_num_elements(net, true) == 5);
    tg_tensor *wg = tg_layer_find(net, "cell.gate.weight");
    tg_tensor *hw = tg_layer_find(net, "head.weight");
    double wg0 = tg_f64(wg)[0], hw0 = tg_f64(hw)[0];
    step(g, net, opt);
    printf("after a step with the cell frozen: gate weight %+.6f -> %+.6f, "
           "head weight %+.6f -> %+.6f\n",
           wg0, tg_f64(wg)[0], hw0, tg_f64(hw)[0]);
    CHECK(tg_f64(wg)[0] == wg0 && tg_f64(hw)[0] != hw0);

    tg_optim_free(opt);
    tg_layer_free(net);
    tg_layer_free(net2);
    tg_graph_free(g);
    tg_graph_free(g2);
    remove("user_layer.tgw");
    printf("%s\n", failures ? "FAILED" : "all checks passed");
    return failures != 0;
}
