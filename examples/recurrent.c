/* recurrent: how much gradient reaches the early steps of a recurrent
 * network, for a vanilla RNN, an LSTM and a GRU, and what that means for
 * learning a long-range dependency.
 *
 * Backprop through time multiplies the gradient, step after step, by the
 * Jacobian dh_t/dh_{t-1}: for a tanh RNN W_hh^T diag(1 - h_t^2), whose
 * norm is usually below 1 (the gradient reaching step 1 vanishes) or,
 * with large recurrent weights, above 1 (it explodes). The LSTM's cell
 * state c_t = f c_{t-1} + i g passes the gradient back through the forget
 * gate alone, a factor near 1 when f is; the GRU's h_t = (1 - z) n + z
 * h_{t-1} does the same through the update gate.
 *
 * The task is the adding problem (Hochreiter and Schmidhuber 1997): T
 * steps of two inputs, a value in [0, 1) and a marker that is 1 at two
 * steps (one in each half) and 0 elsewhere; the target is the sum of the
 * two marked values. Always answering 1 scores a mean squared error of
 * 1/6; solving it needs the first marked value carried across T/2 steps.
 *
 * Each model is a cell (tg_nn_rnn_cell, tg_nn_lstm_cell, tg_nn_gru_cell)
 * stepped over the sequence, then a linear read-out of the last state.
 * ||dL/dh_t|| comes from tg_grad with the per-step states as inputs, on a
 * fixed test batch, at initialisation and after training with Adam.
 * Then a ReLU RNN with large recurrent weights (the exploding case) is
 * trained with plain SGD, without and with gradient-norm clipping
 * (tg_clip_grad_norm).
 *
 * Writes OUT/recurrent.svg and OUT/recurrent_exploding.svg, and the
 * numbers in OUT/recurrent_gradnorm.tsv and OUT/recurrent_loss.tsv. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tapegrad/tapegrad.h>

#include "demo_common.h"
#include "demos.h"

enum { IN = 2, N_TEST = 256, MAX_T = 400 };
typedef enum { M_RNN, M_LSTM, M_GRU, M_BIG, N_MODELS } model_kind;
static const char *MODEL_NAME[N_MODELS] = {"rnn", "lstm", "gru", "relu_rnn"};
#define BASELINE (1.0 / 6.0)
/* "learns": a test error below a tenth of always answering 1 */
#define LEARNED (0.1 * BASELINE)

typedef struct model {
    tg_graph *g;
    tg_layer *cell, *head;
    tg_optim *opt;
} model;

/* The adding problem: x [B, T, 2], y [B, 1]. */
static void make_batch(tg_rng *r, int B, int T, float *x, float *y)
{
    memset(x, 0, sizeof(float) * (size_t)(B * T * IN));
    for (int b = 0; b < B; b++) {
        for (int t = 0; t < T; t++)
            x[(b * T + t) * IN] = (float)tg_rng_uniform(r);
        int i = (int)(tg_rng_uniform(r) * (T / 2));
        int j = T / 2 + (int)(tg_rng_uniform(r) * (T - T / 2));
        x[(b * T + i) * IN + 1] = 1;
        x[(b * T + j) * IN + 1] = 1;
        y[b] = x[(b * T + i) * IN] + x[(b * T + j) * IN];
    }
}

static bool model_init(model *m, model_kind k, int H, double gain,
                       const tg_optim_config *oc, uint64_t seed)
{
    m->g = tg_graph_new();
    if (!m->g) return false;
    tg_rng_seed(tg_graph_rng(m->g), seed);
    char nm[32];
    snprintf(nm, sizeof nm, "%s", MODEL_NAME[k]);
    m->cell = k == M_LSTM  ? tg_nn_lstm_cell(m->g, TG_F32, IN, H, true, nm)
            : k == M_GRU   ? tg_nn_gru_cell(m->g, TG_F32, IN, H, true, nm)
            : k == M_BIG   ? tg_nn_rnn_cell(m->g, TG_F32, IN, H, true, "relu", nm)
                           : tg_nn_rnn_cell(m->g, TG_F32, IN, H, true, "tanh", nm);
    m->head = tg_nn_linear(m->g, TG_F32, H, 1, true, TG_INIT_DEFAULT, "head");
    if (!m->cell || !m->head) return false;
    if (k == M_BIG) {
        /* W_hh ~ N(0, gain^2 / H): with ReLU, each step scales a state by
         * about gain / sqrt(2) */
        tg_rng r;
        tg_rng_seed(&r, seed + 1);
        snprintf(nm, sizeof nm, "%s.weight_hh", MODEL_NAME[k]);
        demo_fill_normal(tg_layer_find(m->cell, nm), &r, gain / sqrt((double)H));
    }
    int n = tg_layer_num_params(m->cell) + tg_layer_num_params(m->head);
    tg_tensor *ps[8];
    int j = 0;
    for (int i = 0; i < tg_layer_num_params(m->cell); i++)
        ps[j++] = tg_layer_params(m->cell)[i];
    for (int i = 0; i < tg_layer_num_params(m->head); i++)
        ps[j++] = tg_layer_params(m->head)[i];
    m->opt = tg_optim_new(oc, n, ps);
    return m->opt != NULL;
}

static void model_free(model *m)
{
    tg_optim_free(m->opt);
    tg_layer_free(m->cell);
    tg_layer_free(m->head);
    tg_graph_free(m->g);
}

/* The loss on (x, y); hs[t] receives the state after step t when given. */
static tg_tensor *forward(model *m, const float *xv, const float *yv, int B,
                          int T, tg_tensor **hs)
{
    tg_tensor *x = tg_input(m->g, TG_F32, TG_SHAPE(B, T, IN), xv);
    tg_tensor *y = tg_input(m->g, TG_F32, TG_SHAPE(B, 1), yv);
    tg_tensor *h = NULL, *c = NULL;
    for (int t = 0; t < T; t++) {
        tg_tensor *xt = tg_reshape(tg_slice(x, 1, t, t + 1, 1), 2,
                                   (int64_t[]){B, IN});
        tg_tensor *cn = NULL;
        h = tg_cell_forward(m->cell, xt, h, c, &cn);
        c = cn;
        if (hs) hs[t] = h;
    }
    return tg_mse(tg_layer_forward(m->head, h), y);
}

static double norm_of(const tg_tensor *t)
{
    double s = 0;
    for (int64_t i = 0; i < t->numel; i++) s += tg_get(t, i) * tg_get(t, i);
    return sqrt(s);
}

/* ||dL/dh_t|| for t = 1..T on the test batch into gn[0..T-1]; returns the
 * test loss (NaN on failure). */
static double grad_norms(model *m, const float *xv, const float *yv, int T,
                         double *gn)
{
    tg_tensor *hs[MAX_T], *gs[MAX_T];
    tg_tensor *loss = forward(m, xv, yv, N_TEST, T, hs);
    double l = tg_item(loss);
    if (tg_grad(m->g, &loss, 1, NULL, hs, T, false, gs) != TG_OK) l = NAN;
    for (int t = 0; t < T; t++) gn[t] = isnan(l) ? NAN : norm_of(gs[t]);
    tg_graph_reset(m->g);
    return l;
}

static double test_loss(model *m, const float *xv, const float *yv, int T)
{
    tg_set_grad_enabled(m->g, false);
    double l = tg_item(forward(m, xv, yv, N_TEST, T, NULL));
    tg_set_grad_enabled(m->g, true);
    tg_graph_reset(m->g);
    return l;
}

/* One training step; returns the training loss (NaN/Inf when diverged). */
static double train_step(model *m, const float *xv, const float *yv, int B,
                         int T, double clip, double *gnorm)
{
    tg_tensor *loss = forward(m, xv, yv, B, T, NULL);
    double l = tg_item(loss);
    *gnorm = NAN;
    if (isfinite(l) && tg_backward(m->g, loss) == TG_OK) {
        tg_tensor *ps[8];
        int n = 0;
        for (int i = 0; i < tg_layer_num_params(m->cell); i++)
            ps[n++] = tg_layer_params(m->cell)[i];
        for (int i = 0; i < tg_layer_num_params(m->head); i++)
            ps[n++] = tg_layer_params(m->head)[i];
        tg_clip_grad_norm(n, ps, clip > 0 ? clip : INFINITY, gnorm);
        tg_optim_step(m->opt);
    }
    tg_optim_zero_grad(m->opt);
    tg_graph_reset(m->g);
    return l;
}

/* What the ratio ||dL/dh_1|| / ||dL/dh_T|| says: below 1e-2 the gradient
 * vanishes before step 1, above 1e2 it explodes, else it arrives. */
static const char *verdict(double ratio)
{
    if (!(ratio == ratio)) return "could not be measured";
    if (ratio < 1e-2) return "vanishes on its way to step 1";
    if (ratio > 1e2) return "explodes on its way to step 1";
    return "reaches step 1";
}

int tg_demo_recurrent(int argc, char **argv)
{
    int T = 40, H = 32, steps = 1500, batch = 64, every = 25;
    double lr = 3e-3, gain = 2.0, sgd_lr = 0.05, clip = 1.0;
    demo_opt opts[] = {
        {"steps", DEMO_INT, &steps, "training steps per model", 1, 1e6, false},
        {"seq", DEMO_INT, &T, "sequence length T", 4, MAX_T, false},
        {"hidden", DEMO_INT, &H, "hidden units", 1, 1024, false},
        {"lr", DEMO_REAL, &lr, "Adam's learning rate (rnn, lstm, gru)", 0, 10, true},
        {"gain", DEMO_REAL, &gain, "recurrent gain of the exploding ReLU RNN",
         0, 100, true},
        {"sgd-lr", DEMO_REAL, &sgd_lr, "SGD learning rate of the exploding case",
         0, 10, true},
        {"clip", DEMO_REAL, &clip, "gradient-norm bound of the clipped run",
         0, 1e9, true},
    };
    demo_ctx c;
    if (!demo_begin(&c, argc, argv,
                    "||dL/dh_t|| of RNN, LSTM and GRU on the adding "
                    "problem; exploding gradients with and without "
                    "clipping",
                    opts, (int)(sizeof opts / sizeof opts[0])))
        return c.exit_code;
    if (c.fast) {
        if (!demo_given(&c, "steps")) steps = 150;
        if (!demo_given(&c, "seq")) T = 16;
        if (!demo_given(&c, "hidden")) H = 16;
        every = 10;
    }
    int n_log = steps / every + 1;
    tg_rng data;
    tg_rng_seed(&data, (uint64_t)c.seed * 7919 + 17);
    float *xt = malloc(sizeof(float) * (size_t)(N_TEST * T * IN));
    float *yt = malloc(sizeof(float) * N_TEST);
    float *xb = malloc(sizeof(float) * (size_t)(batch * T * IN));
    float *yb = malloc(sizeof(float) * (size_t)batch);
    double *gn = calloc((size_t)(2 * N_MODELS * T), sizeof(double));
    double *curve = calloc((size_t)(N_MODELS + 1) * (size_t)n_log, sizeof(double));
    if (!xt || !yt || !xb || !yb || !gn || !curve) {
        fprintf(stderr, "tapegrad demo recurrent: out of memory\n");
        return 1;
    }
    make_batch(&data, N_TEST, T, xt, yt);
    printf("recurrent: the adding problem, T = %d steps, %d hidden units; "
           "answering 1 always scores %.4f\n",
           T, H, BASELINE);

    /* models 0..2 with Adam; column N_MODELS of curve: the clipped run */
    double final[N_MODELS + 1], first_bad[2] = {-1, -1};
    double gsum[2] = {0, 0}; /* the largest gradient norm per SGD run */
    for (int k = 0; k <= N_MODELS; k++) {
        model_kind mk = k >= M_BIG ? M_BIG : (model_kind)k;
        bool clipped = k == N_MODELS;
        tg_optim_config oc = tg_optim_defaults(mk == M_BIG ? TG_OPTIM_SGD
                                                           : TG_OPTIM_ADAM);
        oc.lr = mk == M_BIG ? sgd_lr : lr;
        model m = {0};
        if (!model_init(&m, mk, H, gain, &oc, (uint64_t)c.seed + 100)) {
            int rc = demo_fail(&c, m.g);
            model_free(&m);
            return rc;
        }
        if (!clipped) grad_norms(&m, xt, yt, T, gn + (2 * k) * T);
        tg_rng br;
        tg_rng_seed(&br, (uint64_t)c.seed * 31 + 5); /* same batches for all */
        demo_progress pr;
        demo_progress_start(&pr, MODEL_NAME[mk], steps);
        int logged = 0;
        bool dead = false;
        for (int s = 0; s <= steps; s++) {
            if (s % every == 0 && logged < n_log)
                curve[(size_t)k * n_log + logged++] =
                    dead ? NAN : test_loss(&m, xt, yt, T);
            if (s == steps) break;
            make_batch(&br, batch, T, xb, yb);
            double g;
            double l = dead ? NAN
                            : train_step(&m, xb, yb, batch, T,
                                         clipped ? clip : 0, &g);
            if (!dead && !isfinite(l)) {
                dead = true;
                if (mk == M_BIG) first_bad[clipped] = s;
            }
            if (mk == M_BIG && !dead && isfinite(g)) {
                gsum[clipped] = fmax(gsum[clipped], g);
            }
            demo_progress_update(&pr, s + 1, NULL);
        }
        demo_progress_end(&pr);
        final[k] = dead ? NAN : test_loss(&m, xt, yt, T);
        if (!clipped && k < N_MODELS && !dead)
            grad_norms(&m, xt, yt, T, gn + (2 * k + 1) * T);
        else if (!clipped && k < N_MODELS)
            for (int t = 0; t < T; t++) gn[(2 * k + 1) * T + t] = NAN;
        model_free(&m);
    }

    FILE *f = demo_open(&c, "recurrent_gradnorm.tsv");
    if (!f) return 1;
    /* ||dL/dh_t|| on N_TEST test sequences, at initialisation and after
     * training (the header line names the columns, as in every demo) */
    fprintf(f, "# t");
    for (int k = 0; k < N_MODELS; k++)
        fprintf(f, "\t%s_init\t%s_trained", MODEL_NAME[k], MODEL_NAME[k]);
    fprintf(f, "\n");
    for (int t = 0; t < T; t++) {
        fprintf(f, "%d", t + 1);
        for (int k = 0; k < 2 * N_MODELS; k++) fprintf(f, "\t%.6g", gn[k * T + t]);
        fprintf(f, "\n");
    }
    fclose(f);
    f = demo_open(&c, "recurrent_loss.tsv");
    if (!f) return 1;
    fprintf(f, "# step\trnn\tlstm\tgru\trelu_rnn\trelu_rnn_clipped\n");
    for (int i = 0; i < n_log; i++) {
        fprintf(f, "%d", i * every);
        for (int k = 0; k <= N_MODELS; k++)
            fprintf(f, "\t%.6g", curve[(size_t)k * n_log + i]);
        fprintf(f, "\n");
    }
    fclose(f);

    /* the story, from the numbers above */
    printf("\n  model      ||dL/dh_1|| / ||dL/dh_T||    test MSE after %d "
           "steps\n              at init    trained\n", steps);
    double ratio[N_MODELS][2];
    for (int k = 0; k < N_MODELS; k++) {
        for (int j = 0; j < 2; j++) {
            const double *v = gn + (2 * k + j) * T;
            ratio[k][j] = v[0] / v[T - 1];
        }
        printf("  %-9s  %9.3g  %9.3g    %.4f\n", MODEL_NAME[k], ratio[k][0],
               ratio[k][1], final[k]);
    }
    printf("\n");
    for (int k = 0; k < M_BIG; k++)
        printf("recurrent: %s: at initialisation the gradient %s "
               "(||dL/dh_1|| / ||dL/dh_T|| = %.3g), after training it %s "
               "(%.3g); it %s the task (test MSE %.4f, %s a tenth of the "
               "baseline %.4f)\n",
               MODEL_NAME[k], verdict(ratio[k][0]), ratio[k][0],
               verdict(ratio[k][1]), ratio[k][1],
               final[k] < LEARNED ? "learns" : "does not learn", final[k],
               final[k] < LEARNED ? "below" : "not below", BASELINE);
    printf("recurrent: exploding: a ReLU RNN with recurrent gain %.3g: the "
           "gradient %s (||dL/dh_1|| / ||dL/dh_T|| = %.3g)\n",
           gain, verdict(ratio[M_BIG][0]), ratio[M_BIG][0]);
    if (first_bad[0] >= 0)
        printf("recurrent: exploding, SGD without clipping: diverged at step "
               "%.0f (the loss became inf or nan)\n", first_bad[0]);
    else
        printf("recurrent: exploding, SGD without clipping: stayed finite, "
               "test MSE %.4g\n", final[M_BIG]);
    if (first_bad[1] >= 0)
        printf("recurrent: exploding, SGD with clipping to norm %g: diverged "
               "at step %.0f\n", clip, first_bad[1]);
    else
        printf("recurrent: exploding, SGD with clipping to norm %g: test MSE "
               "%.4g after %d steps (%s; the largest gradient norm before "
               "clipping was %.3g)\n",
               clip, final[N_MODELS], steps,
               final[N_MODELS] < LEARNED ? "learns" : "does not learn",
               gsum[1]);

    FILE *gp = demo_gnuplot_script(&c, "recurrent", 1400, 560);
    if (gp) {
        fprintf(gp, "set termoption noenhanced\n"
                    "set multiplot layout 1,2\nset logscale y\nset grid\n"
                    "set key outside bottom center horizontal\n"
                    "set title '||dL/dh_t|| (adding problem, T = %d)'\n"
                    "set xlabel 'step t'\n"
                    "plot 'recurrent_gradnorm.tsv' using 1:2 with lines lw 2 "
                    "title 'rnn, init', '' using 1:3 with lines lw 2 title "
                    "'rnn, trained', '' using 1:4 with lines lw 2 title "
                    "'lstm, init', '' using 1:5 with lines lw 2 title "
                    "'lstm, trained', '' using 1:6 with lines lw 2 title "
                    "'gru, init', '' using 1:7 with lines lw 2 title "
                    "'gru, trained'\n"
                    "set title 'test MSE (baseline %.4f)'\nset xlabel 'training step'\n"
                    "plot 'recurrent_loss.tsv' using 1:2 with lines lw 2 title "
                    "'rnn', '' using 1:3 with lines lw 2 title 'lstm', '' "
                    "using 1:4 with lines lw 2 title 'gru', '' using 1:(%.6f) "
                    "with lines dt 2 lc 'gray' title 'answer 1'\n"
                    "unset multiplot\n",
                T, BASELINE, BASELINE);
        demo_plot(&c, "recurrent", gp);
    }
    gp = demo_gnuplot_script(&c, "recurrent_exploding", 1400, 560);
    if (gp) {
        fprintf(gp, "set termoption noenhanced\n"
                    "set multiplot layout 1,2\nset logscale y\nset grid\n"
                    "set title 'ReLU RNN, recurrent gain %.3g: ||dL/dh_t|| at init'\n"
                    "set xlabel 'step t'\n"
                    "plot 'recurrent_gradnorm.tsv' using 1:8 with lines lw 2 "
                    "title 'relu_rnn'\n"
                    "set title 'test MSE, SGD'\nset xlabel 'training step'\n",
                gain);
        if (first_bad[0] >= 0) /* its curve is one point: say why */
            fprintf(gp, "set label 1 'no clipping: diverged at step %.0f' "
                        "at graph 0.35, graph 0.75 front\n", first_bad[0]);
        fprintf(gp, "plot 'recurrent_loss.tsv' using 1:5 with lines lw 2 "
                    "title 'no clipping', '' using 1:6 with lines lw 2 title "
                    "'clipped to norm %g'\nunset multiplot\n",
                clip);
        demo_plot(&c, "recurrent_exploding", gp);
    }
    free(xt), free(yt), free(xb), free(yb), free(gn), free(curve);
    return 0;
}
