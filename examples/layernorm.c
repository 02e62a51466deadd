/* layernorm: where the layer norm sits in a transformer block.
 *
 * Stacks of causal transformer blocks (tapegrad/nn_seq.h) in three
 * variants: post-LN (the norm after each residual addition, as in the
 * original Transformer), pre-LN (the norm at the start of each residual
 * branch, with a final norm before the output layer, as in GPT-2) and no
 * normalisation at all. Width 32, 4 heads, 64 feed-forward units.
 *
 * The task: sequences of T = 12 random tokens of 0..9; at every position
 * the target is the largest token seen so far (a causal model has to look
 * back over the whole prefix). Embedding, learned positions, the blocks
 * and a linear layer to 10 logits; cross-entropy over every position.
 *
 * 1. At initialisation, for depths 2, 6, 12 and 24: the norm of the
 *    gradient of each block's parameters on one batch, and its ratio
 *    between the first block and the last.
 * 2. Training a 12-block stack (6 with --fast) of each variant with Adam
 *    at a learning rate of 1e-2 (--lr, large on purpose), once with a
 *    linear warmup over the first quarter of the steps and once without:
 *    the training loss.
 *
 * Writes OUT/layernorm.svg (gradient norm per block at initialisation for
 * the deepest stack; training loss curves), layernorm_grad.tsv,
 * layernorm_loss.tsv; prints both tables and the sentences derived from
 * them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tapegrad/tapegrad.h>

#include "demo_common.h"
#include "demos.h"

enum { TOK = 10, T = 12, E = 32, HEADS = 4, FF = 64, BATCH = 32,
       MAX_DEPTH = 24, N_VAR = 3, N_DEPTH = 4, LOG_POINTS = 20 };
static const int DEPTHS[N_DEPTH] = {2, 6, 12, 24};
static const tg_ln_place PLACE[N_VAR] = {TG_LN_POST, TG_LN_PRE, TG_LN_NONE};
static const char *VAR_NAME[N_VAR] = {"post-LN", "pre-LN", "no norm"};

typedef struct stack {
    tg_graph *g;
    int depth, var;
    tg_tensor *emb;
    tg_layer *pos, *blk[MAX_DEPTH], *lnf, *head;
    int n_params;
    tg_tensor *params[16 * MAX_DEPTH + 16];
} stack;

static void stack_free(stack *s)
{
    for (int i = 0; i < s->depth; i++) tg_layer_free(s->blk[i]);
    tg_layer_free(s->pos);
    tg_layer_free(s->lnf);
    tg_layer_free(s->head);
    tg_graph_free(s->g);
    memset(s, 0, sizeof *s);
}

static void take(stack *s, const tg_layer *l)
{
    int n = tg_layer_num_params(l);
    tg_tensor *const *p = tg_layer_params(l);
    for (int i = 0; i < n; i++) s->params[s->n_params++] = p[i];
}

static bool stack_new(stack *s, int depth, int var, uint64_t seed)
{
    memset(s, 0, sizeof *s);
    s->g = tg_graph_new();
    if (!s->g) return false;
    tg_rng_seed(tg_graph_rng(s->g), seed);
    s->var = var;
    s->emb = tg_param(s->g, TG_F32, TG_SHAPE(TOK, E), "emb");
    if (!s->emb) return false;
    tg_rng r;
    tg_rng_seed(&r, seed + 1);
    demo_fill_normal(s->emb, &r, 1.0);
    s->params[s->n_params++] = s->emb;
    s->pos = tg_nn_pos_embedding(s->g, TG_F32, T, E, "pos");
    if (!s->pos) return false;
    take(s, s->pos);
    tg_block_opts bo = {.norm = PLACE[var], .dim_ff = FF,
                        .batch_first = true, .causal = true};
    for (int i = 0; i < depth; i++) {
        char nm[32];
        snprintf(nm, sizeof nm, "block%d", i);
        s->blk[i] = tg_nn_transformer_block(s->g, TG_F32, E, HEADS, &bo, nm);
        if (!s->blk[i]) return false;
        s->depth++;
        take(s, s->blk[i]);
    }
    if (PLACE[var] == TG_LN_PRE) {
        s->lnf = tg_nn_layernorm(s->g, TG_F32, E, 1e-5, "ln_f");
        if (!s->lnf) return false;
        take(s, s->lnf);
    }
    s->head = tg_nn_linear(s->g, TG_F32, E, TOK, true, TG_INIT_DEFAULT,
                           "head");
    if (!s->head) return false;
    take(s, s->head);
    return tg_graph_error(s->g) == NULL;
}

/* One batch of the task: tokens x [B, T] and targets (running max). */
static void make_batch(tg_rng *r, int64_t *x, int64_t *y)
{
    for (int b = 0; b < BATCH; b++) {
        int64_t m = -1;
        for (int t = 0; t < T; t++) {
            int64_t v = (int64_t)(tg_rng_uniform(r) * TOK);
            if (v > m) m = v;
            x[b * T + t] = v;
            y[b * T + t] = m;
        }
    }
}

static tg_tensor *stack_loss(stack *s, const int64_t *x, const int64_t *y)
{
    tg_tensor *ix = tg_input(s->g, TG_I64, TG_SHAPE(BATCH * T), x);
    tg_tensor *h = tg_reshape(tg_index_select(s->emb, 0, ix),
                              TG_SHAPE(BATCH, T, E));
    h = tg_layer_forward(s->pos, h);
    for (int i = 0; i < s->depth; i++)
        h = tg_transformer_block_forward(s->blk[i], h, NULL);
    if (s->lnf) h = tg_layer_forward(s->lnf, h);
    tg_tensor *z = tg_reshape(tg_layer_forward(s->head, h),
                              TG_SHAPE(BATCH * T, TOK));
    return tg_cross_entropy(z, tg_input(s->g, TG_I64, TG_SHAPE(BATCH * T), y));
}

/* Norm of the gradient of a layer's parameters. */
static double layer_grad_norm(const tg_layer *l)
{
    int n = tg_layer_num_params(l);
    tg_tensor *const *p = tg_layer_params(l);
    double ss = 0;
    for (int i = 0; i < n; i++) {
        const float *gv = tg_f32(p[i]->grad);
        for (int64_t k = 0; gv && k < p[i]->numel; k++)
            ss += (double)gv[k] * gv[k];
    }
    return sqrt(ss);
}

/* Training loss every steps/LOG_POINTS steps (mean of the batches since
 * the last point). */
static bool train(const demo_ctx *c, stack *s, int steps, double lr,
                  bool warmup, double *curve)
{
    tg_optim_config oc = tg_optim_defaults(TG_OPTIM_ADAM);
    oc.lr = lr;
    tg_optim *opt = tg_optim_new(&oc, s->n_params, s->params);
    if (!opt) return false;
    tg_lr_schedule sch = {.kind = TG_LR_CONSTANT, .base_lr = lr,
                          .warmup = warmup ? steps / 4 : 0};
    tg_rng r;
    tg_rng_seed(&r, (uint64_t)c->seed * 31 + 3);
    int64_t x[BATCH * T], y[BATCH * T];
    int every = (steps + LOG_POINTS - 1) / LOG_POINTS, k = 0;
    double run = 0;
    int run_n = 0;
    bool ok = true;
    for (int st = 0; st < steps && ok; st++) {
        tg_optim_set_lr(opt, tg_lr_at(&sch, st));
        make_batch(&r, x, y);
        tg_tensor *loss = stack_loss(s, x, y);
        ok = tg_backward(s->g, loss) == TG_OK;
        double v = ok ? tg_item(loss) : NAN;
        tg_graph_reset(s->g);
        ok = ok && tg_optim_step_zero_grad(opt) == TG_OK;
        run += v, run_n++;
        if ((st + 1) % every == 0 || st + 1 == steps) {
            if (k < LOG_POINTS) curve[k++] = run / run_n;
            run = 0, run_n = 0;
        }
    }
    while (k < LOG_POINTS) curve[k++] = NAN;
    tg_optim_free(opt);
    return ok;
}

int tg_demo_layernorm(int argc, char **argv)
{
    int steps = 600, depth = 12;
    double lr = 1e-2;
    const demo_opt opts[] = {
        {"steps", DEMO_INT, &steps,
         "Adam steps of each training run (default 600)", 4, 1000000,
         false},
        {"depth", DEMO_INT, &depth,
         "blocks of the trained stacks (default 12)", 1, MAX_DEPTH, false},
        {"lr", DEMO_REAL, &lr, "Adam learning rate (default 0.01)", 0, 10,
         true},
    };
    demo_ctx c;
    if (!demo_begin(&c, argc, argv,
                    "Transformer stacks with post-LN, pre-LN and no layer "
                    "norm: gradient norm per\nblock at initialisation for "
                    "depths 2 to 24, and training with and without\n"
                    "learning-rate warmup. --fast: 6 blocks, 120 steps.",
                    opts, 3))
        return c.exit_code;
    if (c.fast && !demo_given(&c, "steps")) steps = 120;
    if (c.fast && !demo_given(&c, "depth")) depth = 6;

    static double gn[N_VAR][N_DEPTH][MAX_DEPTH];
    static double curve[N_VAR][2][LOG_POINTS];
    stack s = {0};
    int rc = 1;
    tg_rng r;
    tg_rng_seed(&r, (uint64_t)c.seed * 7 + 1);
    int64_t x[BATCH * T], y[BATCH * T];
    make_batch(&r, x, y);

    /* 1. gradient norms at initialisation */
    printf("Gradient norm of each block's parameters at initialisation "
           "(one batch), first block / last block:\n\n%-8s",
           "depth");
    for (int v = 0; v < N_VAR; v++) printf(" %16s", VAR_NAME[v]);
    printf("\n");
    for (int d = 0; d < N_DEPTH; d++) {
        printf("%-8d", DEPTHS[d]);
        for (int v = 0; v < N_VAR; v++) {
            if (!stack_new(&s, DEPTHS[d], v, (uint64_t)c.seed * 1000 + 17))
                goto fail;
            tg_tensor *loss = stack_loss(&s, x, y);
            if (tg_backward(s.g, loss) != TG_OK) goto fail;
            for (int i = 0; i < DEPTHS[d]; i++)
                gn[v][d][i] = layer_grad_norm(s.blk[i]);
            stack_free(&s);
            printf(" %16.3g", gn[v][d][0] / gn[v][d][DEPTHS[d] - 1]);
        }
        printf("\n");
    }

    /* 2. training with and without warmup */
    printf("\nTraining loss of %d blocks after %d Adam steps at lr %g "
           "(mean of the last %d batches):\n\n%-8s %14s %14s\n",
           depth, steps, lr, (steps + LOG_POINTS - 1) / LOG_POINTS,
           "variant", "no warmup", "warmup");
    double fin[N_VAR][2];
    for (int v = 0; v < N_VAR; v++) {
        for (int w = 0; w < 2; w++) {
            if (!stack_new(&s, depth, v, (uint64_t)c.seed * 1000 + 29))
                goto fail;
            if (!train(&c, &s, steps, lr, w == 1, curve[v][w])) goto fail;
            stack_free(&s);
            fin[v][w] = curve[v][w][LOG_POINTS - 1];
        }
        printf("%-8s", VAR_NAME[v]);
        for (int w = 0; w < 2; w++) {
            if (isfinite(fin[v][w])) printf(" %14.4f", fin[v][w]);
            else printf(" %14s", "diverged");
        }
        printf("\n");
    }

    /* sentences from the tables */
    int D = N_DEPTH - 1;
    printf("\nWith %d blocks, post-LN's gradient at the first block is %.3g "
           "times its gradient at the last; pre-LN's %.3g times; without "
           "norms %.3g times.\n",
           DEPTHS[D], gn[0][D][0] / gn[0][D][DEPTHS[D] - 1],
           gn[1][D][0] / gn[1][D][DEPTHS[D] - 1],
           gn[2][D][0] / gn[2][D][DEPTHS[D] - 1]);
    for (int v = 0; v < N_VAR; v++) {
        if (!isfinite(fin[v][0]) || !isfinite(fin[v][1])) {
            char why[160], where[96];
            bool both = !isfinite(fin[v][0]) && !isfinite(fin[v][1]);
            snprintf(where, sizeof where, "for %s %s", VAR_NAME[v],
                     both                   ? "with and without warmup"
                     : isfinite(fin[v][0]) ? "with warmup"
                                           : "without warmup");
            printf("%s\n", demo_diverged_text(why, sizeof why, where,
                                              isfinite(fin[v][0])
                                                  ? fin[v][1]
                                                  : fin[v][0]));
            continue;
        }
        double gain = fin[v][0] - fin[v][1];
        printf("%s: warmup %s the final loss by %.3f (%.4f without, %.4f "
               "with).\n",
               VAR_NAME[v], gain > 0 ? "lowers" : "raises", fabs(gain),
               fin[v][0], fin[v][1]);
    }
    int best = 0;
    for (int v = 1; v < N_VAR; v++)
        if (fin[v][0] < fin[best][0]) best = v;
    printf("Without warmup the lowest training loss is %s's.\n",
           VAR_NAME[best]);

    FILE *f = demo_open(&c, "layernorm_grad.tsv");
    if (f) {
        fprintf(f, "# depth\tblock\tpost\tpre\tnone\n");
        for (int d = 0; d < N_DEPTH; d++)
            for (int i = 0; i < DEPTHS[d]; i++)
                fprintf(f, "%d\t%d\t%.6g\t%.6g\t%.6g\n", DEPTHS[d], i + 1,
                        gn[0][d][i], gn[1][d][i], gn[2][d][i]);
        fclose(f);
    }
    f = demo_open(&c, "layernorm_loss.tsv");
    if (f) {
        fprintf(f, "# step\tpost\tpost_warmup\tpre\tpre_warmup\tnone\t"
                   "none_warmup\n");
        int every = (steps + LOG_POINTS - 1) / LOG_POINTS;
        for (int k = 0; k < LOG_POINTS; k++) {
            int st = (k + 1) * every < steps ? (k + 1) * every : steps;
            fprintf(f, "%d", st);
            for (int v = 0; v < N_VAR; v++)
                fprintf(f, "\t%.6f\t%.6f", curve[v][0][k], curve[v][1][k]);
            fprintf(f, "\n");
        }
        fclose(f);
    }
    FILE *gp = demo_gnuplot_script(&c, "layernorm", 1300, 520);
    if (gp) {
        fprintf(gp,
                "set multiplot layout 1,2\n"
                "set title 'Gradient norm per block at initialisation, %d "
                "blocks'\n"
                "set xlabel 'block'\nset ylabel 'norm of the gradient'\n"
                "set logscale y\nset grid\nset key top left\n"
                "plot 'layernorm_grad.tsv' using ($1==%d?$2:1/0):3 with "
                "linespoints lw 2 title 'post-LN', \\\n"
                "     '' using ($1==%d?$2:1/0):4 with linespoints lw 2 "
                "title 'pre-LN', \\\n"
                "     '' using ($1==%d?$2:1/0):5 with linespoints lw 2 "
                "title 'no norm'\n"
                "unset logscale y\n"
                "set title 'Training loss, %d blocks (dashed: warmup)'\n"
                "set xlabel 'step'\nset ylabel 'cross-entropy'\n"
                "set key top right\n"
                "plot 'layernorm_loss.tsv' using 1:2 with lines lw 2 lc 1 "
                "title 'post-LN', '' using 1:3 with lines lw 2 lc 1 dt 2 "
                "notitle, \\\n"
                "     '' using 1:4 with lines lw 2 lc 2 title 'pre-LN', '' "
                "using 1:5 with lines lw 2 lc 2 dt 2 notitle, \\\n"
                "     '' using 1:6 with lines lw 2 lc 3 title 'no norm', '' "
                "using 1:7 with lines lw 2 lc 3 dt 2 notitle\n"
                "unset multiplot\n",
                DEPTHS[D], DEPTHS[D], DEPTHS[D], DEPTHS[D], depth);
        demo_plot(&c, "layernorm", gp);
    }
    return 0;
fail:
    fprintf(stderr, "tapegrad demo %s: %s\n", c.name,
            s.g && tg_graph_error(s.g) ? tg_graph_error(s.g)
                                       : tg_last_error());
    stack_free(&s);
    return rc;
}
