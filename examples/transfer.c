/* transfer: features learnt on some classes, reused for others.
 *
 * Fashion-MNIST (read as in the fashion demo) is split by class: A is
 * T-shirt/top, Trouser, Pullover, Sandal and Bag; B is Dress, Coat,
 * Shirt, Sneaker and Ankle boot: tops and footwear on both sides. A 784 -> 256 -> 128 -> 5 ReLU MLP is
 * pretrained on every training image of A. Then B is learnt from only n
 * labelled examples (n/5 per class, the same examples for every method),
 * two ways:
 *   scratch    the same architecture from a fresh He initialisation, every
 *              layer trained for 3 S steps;
 *   transfer   fc0 and fc1 copied from the pretrained network, a fresh
 *              head fc2 (128 -> 5), trained in three stages of S steps:
 *                1. head only (fc0 and fc1 frozen: tg_layer_set_trainable
 *                   off, so backward stops at the head),
 *                2. fc1 unfrozen as well,
 *                3. every layer.
 * Both use Adam (a new one per stage, since a frozen layer's moments are
 * meaningless) on mini-batches of up to 32 of the n examples, the same
 * number of steps in total. Accuracy is measured on B's test images after
 * each stage and after the scratch run, for every n; the sentences
 * printed under the table are derived from it.
 *
 * Writes OUT/transfer.svg (accuracy against n; test accuracy during
 * training for one n), transfer.tsv and transfer_curve.tsv. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tapegrad/tapegrad.h>

#include "demo_common.h"
#include "demos.h"

enum { PIX = 784, H0 = 256, H1 = 128, K = 5, BATCH = 32, MAX_SIZES = 16,
       N_COL = 4 /* scratch, head only, + fc1, all layers */,
       DRAWS = 3 /* draws of the labelled examples for n <= 100 */ };
static const char *COL_NAME[N_COL] = {"scratch", "head only", "+ fc1",
                                      "all layers"};

/* One set of examples: rows of PIX floats, labels 0..K-1. The tg_array
 * views borrow the buffers (freed with free, not tg_array_free). */
typedef struct set {
    float *x, *y;
    int64_t n;
    tg_array X, Y;
} set;

static bool set_alloc(set *s, int64_t n)
{
    s->x = malloc(sizeof(float) * (size_t)(n ? n : 1) * PIX);
    s->y = malloc(sizeof(float) * (size_t)(n ? n : 1));
    s->n = n;
    s->X = (tg_array){.ndim = 2, .shape = {n, PIX}, .numel = n * PIX,
                      .data = s->x};
    s->Y = (tg_array){.ndim = 1, .shape = {n}, .numel = n, .data = s->y};
    return s->x && s->y;
}

static void set_free(set *s)
{
    free(s->x);
    free(s->y);
    memset(s, 0, sizeof *s);
}

/* The two halves of the ten classes: related kinds on both sides (tops,
 * footwear), so that what was learnt on A has something to offer B. */
static const int SPLIT[2][K] = {{0, 1, 2, 5, 8},  /* A */
                                {3, 4, 6, 7, 9}}; /* B */

/* Position of class `label` in half h, or -1. */
static int in_half(int h, float label)
{
    for (int k = 0; k < K; k++)
        if ((float)SPLIT[h][k] == label) return k;
    return -1;
}

/* The rows of (X, Y) whose class is in half h, relabelled 0..K-1. */
static bool select_classes(const tg_array *X, const tg_array *Y, int h,
                           set *s)
{
    int64_t n = 0;
    for (int64_t i = 0; i < Y->shape[0]; i++)
        n += in_half(h, Y->data[i]) >= 0;
    if (!set_alloc(s, n)) return false;
    int64_t k = 0;
    for (int64_t i = 0; i < Y->shape[0]; i++) {
        int c = in_half(h, Y->data[i]);
        if (c < 0) continue;
        memcpy(s->x + k * PIX, X->data + i * PIX, sizeof(float) * PIX);
        s->y[k++] = (float)c;
    }
    return true;
}

/* n labelled examples of pool, n / K of each class (the first ones of a
 * random order drawn from r). */
static bool draw_labelled(const set *pool, int64_t n, tg_rng *r, set *s)
{
    int64_t *order = malloc(sizeof *order * (size_t)pool->n);
    if (!order || !set_alloc(s, n)) {
        free(order);
        return false;
    }
    for (int64_t i = 0; i < pool->n; i++) order[i] = i;
    for (int64_t i = pool->n - 1; i > 0; i--) { /* Fisher-Yates */
        int64_t j = (int64_t)(tg_rng_uniform(r) * (double)(i + 1));
        if (j > i) j = i;
        int64_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    int64_t per[K] = {0}, k = 0;
    for (int64_t i = 0; i < pool->n && k < n; i++) {
        int c = (int)pool->y[order[i]];
        if (per[c] >= n / K) continue;
        per[c]++;
        memcpy(s->x + k * PIX, pool->x + order[i] * PIX, sizeof(float) * PIX);
        s->y[k++] = (float)c;
    }
    free(order);
    s->n = k;
    s->X.shape[0] = s->Y.shape[0] = k;
    s->X.numel = k * PIX;
    s->Y.numel = k;
    return k == n;
}

/* Accuracy of net on the first `rows` rows of s, in eval mode, nothing
 * recorded; NaN when a logit is not finite or the graph failed. */
static double accuracy(tg_graph *g, tg_layer *net, const set *s,
                       int64_t rows)
{
    bool grad = tg_set_grad_enabled(g, false);
    bool train = tg_set_training(g, false);
    int64_t right = 0;
    bool finite = true;
    for (int64_t at = 0; at < rows; at += 1000) {
        int64_t m = rows - at < 1000 ? rows - at : 1000;
        tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(m, PIX), s->x + at * PIX);
        tg_tensor *out = tg_layer_forward(net, x);
        if (tg_graph_error(g)) {
            finite = false;
            break;
        }
        const float *o = tg_f32(out);
        for (int64_t i = 0; i < m; i++) {
            int best = 0;
            for (int k = 0; k < K; k++) {
                if (!isfinite(o[i * K + k])) finite = false;
                if (o[i * K + k] > o[i * K + best]) best = k;
            }
            right += best == (int)s->y[at + i];
        }
        tg_graph_reset(g);
    }
    tg_graph_reset(g);
    tg_set_grad_enabled(g, grad);
    tg_set_training(g, train);
    return finite ? (double)right / (double)rows : NAN;
}

static tg_layer *make_net(tg_graph *g)
{
    return tg_nn_mlp(g, TG_F32, 4, (int64_t[]){PIX, H0, H1, K}, "relu", NULL,
                     TG_INIT_HE_NORMAL, "mlp");
}

/* `steps` Adam steps on batches of b; every `log_every` steps (0: never)
 * the accuracy on the first log_rows rows of test goes to curve[*at].
 * Returns the step (1-based) whose loss was not finite, 0 when none was,
 * -1 on an engine error. */
static int train_steps(const demo_ctx *c, tg_graph *g, tg_layer *net,
                       tg_batcher *b, double lr, int steps, const set *test,
                       int log_every, int64_t log_rows, double *curve,
                       int *at, int step0)
{
    tg_optim_config oc = tg_optim_defaults(TG_OPTIM_ADAM);
    oc.lr = lr;
    tg_optim *opt = tg_optim_new(&oc, tg_layer_num_params(net),
                                 tg_layer_params(net));
    if (!opt) {
        fprintf(stderr, "tapegrad demo %s: %s\n", c->name, tg_last_error());
        return -1;
    }
    int bad = 0;
    for (int s = 1; s <= steps && !bad; s++) {
        tg_tensor *x, *y;
        int64_t n = tg_batcher_next(b, g, TG_F32, &x, &y);
        if (n == 0) n = tg_batcher_next(b, g, TG_F32, &x, &y); /* new epoch */
        if (n < 0) {
            bad = -1;
            break;
        }
        tg_tensor *loss = tg_cross_entropy(tg_layer_forward(net, x), y);
        if (tg_backward(g, loss) != TG_OK) {
            demo_fail(c, g);
            bad = -1;
            break;
        }
        if (!isfinite(tg_item(loss))) bad = step0 + s;
        else tg_optim_step(opt);
        tg_optim_zero_grad(opt);
        tg_graph_reset(g);
        if (log_every && !bad && (step0 + s) % log_every == 0)
            curve[(*at)++] = accuracy(g, net, test, log_rows);
    }
    tg_optim_free(opt);
    return bad;
}

/* The pretrained weights of fc0 and fc1, copied into each transfer run. */
typedef struct features {
    float w0[PIX * H0], b0[H0], w1[H0 * H1], b1[H1];
} features;

static void copy_params(tg_layer *net, features *f, bool into_net)
{
    struct {
        const char *name;
        float *data;
        size_t n;
    } p[4] = {{"mlp.fc0.weight", f->w0, PIX * H0},
              {"mlp.fc0.bias", f->b0, H0},
              {"mlp.fc1.weight", f->w1, H0 * H1},
              {"mlp.fc1.bias", f->b1, H1}};
    for (int k = 0; k < 4; k++) {
        tg_tensor *t = tg_layer_find(net, p[k].name);
        if (!t) continue;
        if (into_net) memcpy(tg_f32(t), p[k].data, sizeof(float) * p[k].n);
        else memcpy(p[k].data, tg_f32(t), sizeof(float) * p[k].n);
    }
}

/* The largest |w - w_pretrained| over fc0 and fc1. */
static double moved(tg_layer *net, const features *f)
{
    const char *name[4] = {"mlp.fc0.weight", "mlp.fc0.bias",
                           "mlp.fc1.weight", "mlp.fc1.bias"};
    const float *ref[4] = {f->w0, f->b0, f->w1, f->b1};
    double most = 0;
    for (int k = 0; k < 4; k++) {
        tg_tensor *t = tg_layer_find(net, name[k]);
        if (!t) return NAN;
        for (int64_t i = 0; i < t->numel; i++)
            most = fmax(most, fabs((double)tg_f32(t)[i] - ref[k][i]));
    }
    return most;
}

/* One row of the table: accuracies after scratch and after each stage,
 * and where a run diverged (0: it did not). */
typedef struct result {
    int64_t n;
    double acc[N_COL];
    int diverged[2]; /* scratch, transfer */
    int draws;       /* the accuracies are means over this many draws */
    double moved[2]; /* largest change of fc0/fc1 after stage 1, 3 */
} result;

static bool pretrain(const demo_ctx *c, const set *A, const set *At,
                     int epochs, features *f, double *acc_a)
{
    tg_graph *g = tg_graph_new();
    if (!g) return demo_fail(c, NULL), false;
    tg_rng_seed(tg_graph_rng(g), (uint64_t)c->seed);
    tg_layer *net = make_net(g);
    tg_optim_config oc = tg_optim_defaults(TG_OPTIM_MOMENTUM);
    oc.lr = 0.05;
    oc.momentum = 0.9;
    tg_optim *opt = net ? tg_optim_new(&oc, tg_layer_num_params(net),
                                       tg_layer_params(net))
                        : NULL;
    tg_batch_opts bo = {.batch_size = 128, .shuffle = true,
                        .seed = (uint64_t)c->seed};
    tg_batcher *b = opt ? tg_batcher_new(&A->X, &A->Y, &bo) : NULL;
    bool ok = b != NULL;
    if (!ok) demo_fail(c, g);
    tg_lr_schedule lrs = {.kind = TG_LR_COSINE, .base_lr = 0.05,
                          .total = ok ? epochs * tg_batcher_num_batches(b)
                                      : 0};
    double last = 0;
    for (int ep = 0; ok && ep < epochs; ep++) {
        demo_progress bar;
        demo_progress_start(&bar, "pretrain", tg_batcher_num_batches(b));
        tg_tensor *x, *y;
        int64_t step = 0;
        for (int64_t n; ok && (n = tg_batcher_next(b, g, TG_F32, &x, &y)) > 0;) {
            tg_tensor *loss = tg_cross_entropy(tg_layer_forward(net, x), y);
            if (tg_backward(g, loss) != TG_OK) {
                demo_fail(c, g);
                ok = false;
                break;
            }
            last = tg_item(loss);
            if (!isfinite(last)) {
                char why[128];
                fprintf(stderr, "tapegrad demo %s: pretraining %s\n",
                        c->name,
                        demo_diverged_text(why, sizeof why, "", last));
                ok = false;
                break;
            }
            tg_optim_set_lr(opt, tg_lr_at(&lrs, tg_optim_steps(opt)));
            tg_optim_step(opt);
            tg_optim_zero_grad(opt);
            tg_graph_reset(g);
            char note[32];
            snprintf(note, sizeof note, "loss %.4f", last);
            demo_progress_update(&bar, ++step, note);
        }
        demo_progress_end(&bar);
    }
    if (ok) {
        *acc_a = accuracy(g, net, At, At->n);
        copy_params(net, f, false);
    }
    tg_batcher_free(b);
    tg_optim_free(opt);
    tg_layer_free(net);
    tg_graph_free(g);
    return ok;
}

/* Scratch and staged-transfer runs on `lab`; curves (when not NULL) get
 * the test accuracy every log_every steps. */
static bool run_size(const demo_ctx *c, const set *lab, int draw,
                     const set *Bt, const features *f, double lr, int S,
                     int log_every,
                     int64_t log_rows, double *curve_scratch,
                     double *curve_transfer, result *r)
{
    r->n = lab->n;
    for (int k = 0; k < N_COL; k++) r->acc[k] = NAN;
    r->diverged[0] = r->diverged[1] = 0;
    for (int method = 0; method < 2; method++) {
        tg_graph *g = tg_graph_new();
        if (!g) return demo_fail(c, NULL), false;
        /* the head (and the scratch network) drawn from --seed and n */
        tg_rng_seed(tg_graph_rng(g), (uint64_t)c->seed * 1000003u +
                                         (uint64_t)lab->n * 16 +
                                         (uint64_t)draw);
        tg_layer *net = make_net(g);
        tg_batch_opts bo = {.batch_size = lab->n < BATCH ? lab->n : BATCH,
                            .shuffle = true,
                            .seed = (uint64_t)c->seed + 7};
        tg_batcher *b = net ? tg_batcher_new(&lab->X, &lab->Y, &bo) : NULL;
        if (!b) {
            demo_fail(c, g);
            tg_layer_free(net);
            tg_graph_free(g);
            return false;
        }
        int at = 0, bad = 0;
        double *curve = method ? curve_transfer : curve_scratch;
        int every = curve ? log_every : 0;
        if (curve) curve[at++] = accuracy(g, net, Bt, log_rows);
        if (method == 0) {
            bad = train_steps(c, g, net, b, lr, 3 * S, Bt, every, log_rows,
                              curve, &at, 0);
            if (bad == 0) r->acc[0] = accuracy(g, net, Bt, Bt->n);
            else if (bad > 0) r->diverged[0] = bad;
        } else {
            copy_params(net, (features *)f, true);
            if (curve) curve[0] = accuracy(g, net, Bt, log_rows);
            tg_layer_set_trainable(tg_layer_child(net, 0), false);
            tg_layer_set_trainable(tg_layer_child(net, 2), false);
            for (int stage = 0; stage < 3 && bad == 0; stage++) {
                if (stage == 1)
                    tg_layer_set_trainable(tg_layer_child(net, 2), true);
                if (stage == 2)
                    tg_layer_set_trainable(tg_layer_child(net, 0), true);
                /* the new head alone is a linear model on fixed
                 * features: it takes a 10x larger step */
                bad = train_steps(c, g, net, b, stage ? lr : 10 * lr, S, Bt,
                                  every, log_rows, curve, &at, stage * S);
                if (bad == 0) r->acc[1 + stage] = accuracy(g, net, Bt, Bt->n);
                if (stage != 1) r->moved[stage / 2] = moved(net, f);
                else if (bad > 0) r->diverged[1] = bad;
            }
        }
        tg_batcher_free(b);
        tg_layer_free(net);
        tg_graph_free(g);
        if (bad < 0) return false;
    }
    return true;
}

static double best_transfer(const result *r)
{
    double best = NAN;
    for (int k = 1; k < N_COL; k++)
        if (isfinite(r->acc[k]) && !(r->acc[k] <= best)) best = r->acc[k];
    return best;
}

/* The sentences under the table, from its numbers. */
static void print_story(const result *res, int n_sizes)
{
    const result *lo = &res[0];
    if (isfinite(lo->acc[0]) && isfinite(lo->acc[1]))
        printf("  With %lld labelled examples (%lld per class) the "
               "pretrained features and a new\n  head reach %.1f%%, "
               "training from scratch %.1f%%: %s %.1f points.\n",
               (long long)lo->n, (long long)(lo->n / K), 100 * lo->acc[1],
               100 * lo->acc[0],
               lo->acc[1] >= lo->acc[0] ? "transfer ahead by"
                                        : "scratch ahead by",
               100 * fabs(lo->acc[1] - lo->acc[0]));
    /* where the best transfer stage beat scratch, and by how much */
    int ahead = 0, counted = 0;
    double gap_lo = INFINITY, gap_hi = -INFINITY;
    char list[256] = "";
    for (int i = 0; i < n_sizes; i++) {
        double bt = best_transfer(&res[i]);
        if (!isfinite(bt) || !isfinite(res[i].acc[0])) continue;
        counted++;
        double gap = bt - res[i].acc[0];
        gap_lo = fmin(gap_lo, gap);
        gap_hi = fmax(gap_hi, gap);
        if (gap > 0) {
            size_t len = strlen(list);
            snprintf(list + len, sizeof list - len, "%s%lld",
                     ahead ? ", " : "", (long long)res[i].n);
            ahead++;
        }
    }
    if (counted) {
        printf("  The best transfer stage beat scratch at %d "
               "of %d sizes",
               ahead, counted);
        if (ahead > 0 && ahead < counted) printf(" (n = %s)", list);
        printf(";\n  best transfer minus scratch ranged from %+.1f to %+.1f "
               "points.\n",
               100 * gap_lo, 100 * gap_hi);
    }
    /* did unfreezing pay? */
    int helped = 0;
    int64_t first_help = 0;
    counted = 0;
    for (int i = 0; i < n_sizes; i++) {
        if (!isfinite(res[i].acc[1]) || !isfinite(res[i].acc[3])) continue;
        counted++;
        if (res[i].acc[3] > res[i].acc[1]) {
            helped++;
            if (!first_help) first_help = res[i].n;
        }
    }
    if (counted) {
        printf("  Unfreezing fc1 and then fc0 raised the accuracy above the "
               "head-only stage at\n  %d of %d sizes",
               helped, counted);
        if (helped == counted) printf(".\n");
        else if (helped == 0)
            printf(": with these few examples the frozen features were "
                   "best left alone.\n");
        else
            printf(" (the first: n = %lld).\n", (long long)first_help);
    }
    /* does the head alone keep up with more data? */
    if (n_sizes >= 3) {
        const result *a = &res[n_sizes - 2], *b = &res[n_sizes - 1];
        if (isfinite(a->acc[1]) && isfinite(b->acc[1]) &&
            isfinite(b->acc[3])) {
            if (b->acc[1] - a->acc[1] < 0.01)
                printf("  With the features frozen the accuracy levels off: "
                       "%.1f%% at n = %lld, %.1f%% at\n  n = %lld (all layers "
                       "trained: %.1f%%); the frozen features limit it.\n",
                       100 * a->acc[1], (long long)a->n, 100 * b->acc[1],
                       (long long)b->n, 100 * b->acc[3]);
            else
                printf("  With the features frozen the accuracy still grows "
                       "with n: %.1f%% at n = %lld,\n  %.1f%% at n = %lld.\n",
                       100 * a->acc[1], (long long)a->n, 100 * b->acc[1],
                       (long long)b->n);
        }
    }
    for (int i = 0; i < n_sizes; i++)
        for (int m = 0; m < 2; m++)
            if (res[i].diverged[m])
                printf("  n = %lld: the %s run diverged at step %d (the "
                       "loss became NaN or Inf): try a smaller --lr.\n",
                       (long long)res[i].n, m ? "transfer" : "scratch",
                       res[i].diverged[m]);
}

static void figure(const demo_ctx *c, int curve_n, int S)
{
    FILE *gp = demo_gnuplot_script(c, "transfer", 1300, 500);
    if (!gp) return;
    static const char *col[N_COL] = {"#555555", "#2c6db4", "#e08214",
                                     "#1b9e77"};
    fprintf(gp, "set multiplot layout 1,2 title 'Features from five "
                "Fashion-MNIST classes, reused for the other five'\n"
                "set title 'test accuracy on the new classes'\n"
                "set logscale x\nset xlabel 'labelled examples of the new "
                "classes'\nset ylabel 'accuracy'\n"
                "set format y '%%.0f%%%%'\nset key bottom right\nplot ");
    for (int k = 0; k < N_COL; k++)
        fprintf(gp, "%s'transfer.tsv' using 1:(100*$%d) with linespoints lw 2 "
                    "pt 7 lc rgb '%s' title '%s'",
                k ? ", \\\n     " : "", 2 + k, col[k],
                k == 0 ? "from scratch" : k == 1 ? "transfer: head only"
                : k == 2                         ? "transfer: + fc1"
                                                 : "transfer: all layers");
    fprintf(gp, "\nunset logscale x\n"
                "set title 'during training, n = %d'\n"
                "set xlabel 'Adam step'\n"
                "set arrow from %d, graph 0 to %d, graph 1 nohead dt 2 "
                "lc rgb '#888888'\n"
                "set arrow from %d, graph 0 to %d, graph 1 nohead dt 2 "
                "lc rgb '#888888'\n"
                "set label 'unfreeze fc1' at %d, graph 0.5 offset 0.5,0 "
                "font ',10'\n"
                "set label 'unfreeze fc0' at %d, graph 0.5 offset 0.5,0 "
                "font ',10'\n"
                "plot 'transfer_curve.tsv' using 1:(100*$2) with lines lw 2 "
                "lc rgb '%s' title 'from scratch', \\\n"
                "     '' using 1:(100*$3) with lines lw 2 lc rgb '%s' "
                "title 'transfer, in stages'\n"
                "unset multiplot\n",
            curve_n, S, S, 2 * S, 2 * S, S, 2 * S, col[0], col[3]);
    demo_plot(c, "transfer", gp);
}

int tg_demo_transfer(int argc, char **argv)
{
    int epochs = 3, S = 300;
    double lr = 1e-3;
    const char *data = DEMO_FASHION_DIR;
    const demo_opt opts[] = {
        {"pretrain-epochs", DEMO_INT, &epochs,
         "epochs of pretraining on the five classes of A (default 3)", 1,
         100, false},
        {"steps", DEMO_INT, &S,
         "Adam steps per stage; scratch gets three times as many (default "
         "300)",
         5, 100000, false},
        {"lr", DEMO_REAL, &lr, "Adam learning rate (default 0.001)", 0, 10,
         true},
        {"data", DEMO_TEXT, &data,
         "Fashion-MNIST directory (default " DEMO_FASHION_DIR ")", 0, 0,
         false},
    };
    demo_ctx c;
    if (!demo_begin(&c, argc, argv,
                    "Pretrain on five Fashion-MNIST classes, transfer to the "
                    "other five with the\nlower layers frozen, unfreeze in "
                    "stages; accuracy against the number of\nlabelled "
                    "examples, against training from scratch. --fast: a "
                    "subset, 3 sizes.",
                    opts, 4))
        return c.exit_code;
    static const int64_t FULL[] = {10, 25, 50, 100, 250, 500, 1000, 2500,
                                   5000};
    static const int64_t FAST[] = {10, 100, 1000};
    const int64_t *sizes = c.fast ? FAST : FULL;
    int n_sizes = c.fast ? 3 : 9;
    if (c.fast && !demo_given(&c, "pretrain-epochs")) epochs = 1;
    if (c.fast && !demo_given(&c, "steps")) S = 40;

    tg_array Xtr = {0}, Ytr = {0}, Xte = {0}, Yte = {0};
    set A = {0}, At = {0}, B = {0}, Bt = {0}, lab = {0};
    static features feat;
    static result res[MAX_SIZES];
    double *curves = NULL;
    int rc = 1;
    if (!demo_fashion_load(&c, data, &Xtr, &Ytr, &Xte, &Yte)) goto done;
    if (c.fast) {
        demo_keep_rows(&Xtr, 12000);
        demo_keep_rows(&Ytr, 12000);
        demo_keep_rows(&Xte, 2000);
        demo_keep_rows(&Yte, 2000);
    }
    tg_array_reshape_rows(&Xtr);
    tg_array_reshape_rows(&Xte);
    double mu, sd;
    tg_array_mean_std(&Xtr, &mu, &sd);
    tg_array_scale(&Xtr, 1 / sd, -mu / sd);
    tg_array_scale(&Xte, 1 / sd, -mu / sd);
    if (!select_classes(&Xtr, &Ytr, 0, &A) ||
        !select_classes(&Xte, &Yte, 0, &At) ||
        !select_classes(&Xtr, &Ytr, 1, &B) ||
        !select_classes(&Xte, &Yte, 1, &Bt)) {
        fprintf(stderr, "tapegrad demo transfer: out of memory\n");
        goto done;
    }
    /* the larger sizes need that many examples of B */
    while (n_sizes > 1 && sizes[n_sizes - 1] > B.n) n_sizes--;
    int curve_i = 0; /* the curve shows n = 100 (or the largest below) */
    for (int i = 0; i < n_sizes; i++)
        if (sizes[i] <= 100) curve_i = i;
    int log_every = S / 10 > 0 ? S / 10 : 1;
    int n_curve = 3 * S / log_every + 1;
    int64_t log_rows = Bt.n < 1000 ? Bt.n : 1000;
    curves = malloc(sizeof *curves * 2 * (size_t)n_curve);
    if (!curves) goto done;
    for (int i = 0; i < 2 * n_curve; i++) curves[i] = NAN;

    printf("transfer: Fashion-MNIST split by class\n"
           "  A (pretraining): %s, %s, %s, %s, %s: %lld training images\n"
           "  B (the new task): %s, %s, %s, %s, %s: %lld test images\n"
           "  network 784 -> 256 -> 128 -> 5, ReLU, He init; pretrained by "
           "SGD, momentum 0.9,\n  lr 0.05 (cosine), batches of 128, %d "
           "epoch%s%s\n\n",
           demo_fashion_class[SPLIT[0][0]], demo_fashion_class[SPLIT[0][1]],
           demo_fashion_class[SPLIT[0][2]], demo_fashion_class[SPLIT[0][3]],
           demo_fashion_class[SPLIT[0][4]], (long long)A.n,
           demo_fashion_class[SPLIT[1][0]], demo_fashion_class[SPLIT[1][1]],
           demo_fashion_class[SPLIT[1][2]], demo_fashion_class[SPLIT[1][3]],
           demo_fashion_class[SPLIT[1][4]], (long long)Bt.n,
           epochs, epochs > 1 ? "s" : "", c.fast ? " (a subset)" : "");
    double acc_a = NAN;
    double t0 = demo_now();
    if (!pretrain(&c, &A, &At, epochs, &feat, &acc_a)) goto done;
    printf("  pretrained: %.2f%% on A's %lld test images (%.1f s)\n\n",
           100 * acc_a, (long long)At.n, demo_now() - t0);
    printf("  On B, from n labelled examples (n/5 per class): scratch "
           "trains every layer\n  for %d Adam steps (lr %g, batches of up "
           "to %d); transfer copies fc0 and fc1,\n  adds a new head and "
           "trains %d steps per stage: head only (lr %g), + fc1,\n  all "
           "layers. Accuracy on B's %lld test images (n <= 100: the mean "
           "over %d\n  draws of the examples):\n\n",
           3 * S, lr, BATCH, S, 10 * lr, (long long)Bt.n, DRAWS);
    printf("  %6s  %9s  %10s  %8s  %11s\n", "n", "scratch", "head only",
           "+ fc1", "all layers");
    tg_rng rng;
    for (int i = 0; i < n_sizes; i++) {
        /* the labelled examples depend on --seed, n and the draw only;
         * the few-example results vary with the draw, so they are means */
        int draws = sizes[i] <= 100 ? DRAWS : 1;
        result sum = {.n = sizes[i]};
        for (int d = 0; d < draws; d++) {
            tg_rng_seed(&rng, (uint64_t)c.seed * 7919u +
                                  (uint64_t)sizes[i] * 16 + (uint64_t)d);
            if (!draw_labelled(&B, sizes[i], &rng, &lab)) {
                fprintf(stderr, "tapegrad demo transfer: out of memory\n");
                goto done;
            }
            bool curve = i == curve_i && d == 0;
            result one;
            if (!run_size(&c, &lab, d, &Bt, &feat, lr, S, log_every,
                          log_rows, curve ? curves : NULL,
                          curve ? curves + n_curve : NULL, &one))
                goto done;
            set_free(&lab);
            for (int k = 0; k < N_COL; k++) sum.acc[k] += one.acc[k] / draws;
            for (int m = 0; m < 2; m++)
                sum.moved[m] = fmax(sum.moved[m], one.moved[m]);
            for (int m = 0; m < 2; m++)
                if (one.diverged[m] && !sum.diverged[m])
                    sum.diverged[m] = one.diverged[m];
        }
        res[i] = sum;
        res[i].draws = draws;
        printf("  %6lld", (long long)res[i].n);
        for (int k = 0; k < N_COL; k++) {
            int width = k == 0 ? 9 : k == 1 ? 10 : k == 2 ? 8 : 11;
            if (isfinite(res[i].acc[k]))
                printf("  %*.1f%%", width - 1, 100 * res[i].acc[k]);
            else
                printf("  %*s", width, res[i].diverged[k > 0] ? "diverged"
                                                              : "-");
        }
        printf("\n");
        fflush(stdout);
    }
    printf("\n");
    print_story(res, n_sizes);
    double frozen = 0, unfrozen = 0;
    for (int i = 0; i < n_sizes; i++) {
        frozen = fmax(frozen, res[i].moved[0]);
        unfrozen = fmax(unfrozen, res[i].moved[1]);
    }
    if (frozen == 0)
        printf("  Frozen means frozen: after the head-only stage fc0 and fc1 "
               "were exactly the\n  pretrained weights in every run; after "
               "unfreezing they moved by up to %.3g.\n",
               unfrozen);
    else
        printf("  fc0 and fc1 moved by %.3g during the head-only stage: "
               "they were not frozen.\n",
               frozen);
    printf("\n");

    FILE *f = demo_open(&c, "transfer.tsv");
    if (!f) goto done;
    fprintf(f, "# labelled examples");
    for (int k = 0; k < N_COL; k++) fprintf(f, "\t%s", COL_NAME[k]);
    fprintf(f, "\n");
    for (int i = 0; i < n_sizes; i++) {
        fprintf(f, "%lld", (long long)res[i].n);
        for (int k = 0; k < N_COL; k++) fprintf(f, "\t%.6f", res[i].acc[k]);
        fprintf(f, "\n");
    }
    fclose(f);
    f = demo_open(&c, "transfer_curve.tsv");
    if (!f) goto done;
    fprintf(f, "# step\tscratch\ttransfer (accuracy on the first %lld test "
               "images of B, n = %lld)\n",
            (long long)log_rows, (long long)sizes[curve_i]);
    for (int i = 0; i < n_curve; i++)
        fprintf(f, "%d\t%.6f\t%.6f\n", i * log_every, curves[i],
                curves[n_curve + i]);
    fclose(f);
    figure(&c, (int)sizes[curve_i], S);
    rc = 0;
    for (int i = 0; i < n_sizes; i++)
        if (res[i].diverged[0] || res[i].diverged[1]) rc = 1;
done:
    free(curves);
    set_free(&A);
    set_free(&At);
    set_free(&B);
    set_free(&Bt);
    set_free(&lab);
    tg_array_free(&Xtr);
    tg_array_free(&Ytr);
    tg_array_free(&Xte);
    tg_array_free(&Yte);
    return rc;
}
