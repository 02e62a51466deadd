/* names: character-level models of English words.
 *
 * The words are Debian's word list (package wamerican,
 * /usr/share/dict/words), those made of the letters a-z only (proper
 * nouns, possessives and accented words are left out). They are shuffled
 * with the seed and split 90/10 into training and validation words. Each
 * word followed by the end mark '.' gives one example per character: the
 * characters before it (padded with '.') and the character itself, as
 * integer (i64) indices 0..26 ('.' is 0).
 *
 * Models, each trained on the training words and measured on the
 * validation words in nats per character (the mean cross-entropy of the
 * next character) and in next-character accuracy (argmax of the model's
 * prediction):
 *   bigram   counts of (previous character, character) pairs, plus one
 *            (add-one smoothing); no gradient involved;
 *   mlp      the previous CTX characters through a learnt embedding
 *            (index_select of i64 indices into a [27, E] table), a tanh
 *            layer of H units and a linear layer to 27 logits; Adam on
 *            mini-batches of 128, the learning rate divided by 10 for the
 *            last quarter of the steps.
 * Each model then writes 10 words sampled character by character with
 * multinomial from its predicted distribution.
 *
 * Writes OUT/names.svg (training and validation loss curves of the
 * trained models against the bigram's level), names.tsv (one row per
 * model), names_curve.tsv and names_samples.txt; prints a table and the
 * sentences derived from it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tapegrad/tapegrad.h>

#include "demo_common.h"
#include "demos.h"

enum { V = 27, CTX = 3, MAX_LEN = 32, N_SAMPLES = 10, BATCH = 128,
       EVAL_ROWS = 8192, CURVE_POINTS = 20 };
#define WORDS_DEFAULT "/usr/share/dict/words"

/* The words and the examples built from them. */
typedef struct corpus {
    char *text;       /* the kept words, each NUL-terminated        */
    char **word;      /* n_words pointers into text, shuffled       */
    int64_t n_words, n_train_words, n_lines;
    int64_t *ctx;     /* [n_ex, CTX] previous characters            */
    int64_t *next;    /* [n_ex] the character                       */
    int64_t n_ex, n_train; /* training examples come first           */
} corpus;

static void corpus_free(corpus *k)
{
    free(k->text);
    free(k->word);
    free(k->ctx);
    free(k->next);
    memset(k, 0, sizeof *k);
}

static bool all_letters(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < 'a' || s[i] > 'z') return false;
    return n > 0;
}

/* Reads the word list; false with the reason printed. */
static bool corpus_load(const demo_ctx *c, const char *path, corpus *k)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr,
                "tapegrad demo %s: cannot read the word list %s; it comes "
                "with Debian's wamerican package (apt-get install "
                "wamerican), or pass --words FILE with one word per line\n",
                c->name, path);
        return false;
    }
    size_t cap = 1 << 20, len = 0;
    k->text = malloc(cap);
    char line[256];
    bool ok = k->text != NULL;
    while (ok && fgets(line, sizeof line, f)) {
        size_t n = strcspn(line, "\r\n");
        k->n_lines++;
        if (n >= MAX_LEN || !all_letters(line, n)) continue;
        if (len + n + 1 > cap) {
            char *t = realloc(k->text, cap *= 2);
            if (!t) {
                ok = false;
                break;
            }
            k->text = t;
        }
        memcpy(k->text + len, line, n);
        k->text[len + n] = 0;
        len += n + 1;
        k->n_words++;
    }
    bool read_err = ferror(f);
    fclose(f);
    if (!ok || read_err) {
        fprintf(stderr, "tapegrad demo %s: %s reading %s\n", c->name,
                ok ? "an I/O error" : "out of memory", path);
        return false;
    }
    if (k->n_words < 20) {
        fprintf(stderr,
                "tapegrad demo %s: %s has %lld words of the letters a-z "
                "only; at least 20 are needed\n",
                c->name, path, (long long)k->n_words);
        return false;
    }
    k->word = malloc(sizeof *k->word * (size_t)k->n_words);
    if (!k->word) return false;
    for (int64_t i = 0, off = 0; i < k->n_words; i++) {
        k->word[i] = k->text + off;
        off += (int64_t)strlen(k->word[i]) + 1;
    }
    return true;
}

/* Shuffle, split 90/10, build the examples (training words first). */
static bool corpus_examples(corpus *k, uint64_t seed)
{
    tg_rng r;
    tg_rng_seed(&r, seed);
    for (int64_t i = k->n_words - 1; i > 0; i--) {
        int64_t j = (int64_t)(tg_rng_uniform(&r) * (double)(i + 1));
        char *t = k->word[i];
        k->word[i] = k->word[j];
        k->word[j] = t;
    }
    k->n_train_words = k->n_words - k->n_words / 10;
    int64_t n = 0;
    for (int64_t i = 0; i < k->n_words; i++)
        n += (int64_t)strlen(k->word[i]) + 1;
    k->ctx = malloc(sizeof *k->ctx * (size_t)n * CTX);
    k->next = malloc(sizeof *k->next * (size_t)n);
    if (!k->ctx || !k->next) return false;
    int64_t e = 0;
    for (int64_t i = 0; i < k->n_words; i++) {
        if (i == k->n_train_words) k->n_train = e;
        int64_t win[CTX] = {0};
        for (const char *p = k->word[i];; p++) {
            int64_t ch = *p ? *p - 'a' + 1 : 0;
            memcpy(k->ctx + e * CTX, win, sizeof win);
            k->next[e++] = ch;
            if (!*p) break;
            memmove(win, win + 1, sizeof win[0] * (CTX - 1));
            win[CTX - 1] = ch;
        }
    }
    k->n_ex = e;
    return true;
}

/* What the demo reports for one model. */
typedef struct result {
    const char *name;
    double val_loss, val_acc, train_loss, seconds;
    int64_t params;
    char samples[N_SAMPLES][MAX_LEN + 1];
} result;

/* ------------------------------------------------------------- bigram */

/* log P(next | prev) with add-one smoothing, from the training examples. */
static void bigram_fit(const corpus *k, double logp[V][V])
{
    static double cnt[V][V];
    for (int a = 0; a < V; a++)
        for (int b = 0; b < V; b++) cnt[a][b] = 1;
    for (int64_t e = 0; e < k->n_train; e++)
        cnt[k->ctx[e * CTX + CTX - 1]][k->next[e]] += 1;
    for (int a = 0; a < V; a++) {
        double s = 0;
        for (int b = 0; b < V; b++) s += cnt[a][b];
        for (int b = 0; b < V; b++) logp[a][b] = log(cnt[a][b] / s);
    }
}

/* ---------------------------------------------------------------- mlp */

typedef struct mlp {
    tg_graph *g;
    tg_tensor *C, *W1, *b1, *W2, *b2;
    int64_t E, H;
} mlp;

static bool mlp_new(mlp *m, int64_t E, int64_t H, uint64_t seed)
{
    m->E = E, m->H = H;
    m->g = tg_graph_new();
    if (!m->g) return false;
    m->C = tg_param(m->g, TG_F32, TG_SHAPE(V, E), "C");
    m->W1 = tg_param(m->g, TG_F32, TG_SHAPE(CTX * E, H), "W1");
    m->b1 = tg_param(m->g, TG_F32, TG_SHAPE(H), "b1");
    m->W2 = tg_param(m->g, TG_F32, TG_SHAPE(H, V), "W2");
    m->b2 = tg_param(m->g, TG_F32, TG_SHAPE(V), "b2");
    if (tg_graph_error(m->g)) return false;
    tg_rng r;
    tg_rng_seed(&r, seed);
    demo_fill_normal(m->C, &r, 1.0);
    /* tanh's gain 5/3 over the fan-in; a small last layer so the first
     * predictions are near uniform */
    demo_fill_normal(m->W1, &r, 5.0 / 3.0 / sqrt((double)(CTX * E)));
    demo_fill_normal(m->W2, &r, 0.01);
    return true;
}

/* logits [n, V] of the rows' contexts (i64 [n, CTX]). */
static tg_tensor *mlp_logits(const mlp *m, const int64_t *ctx, int64_t n)
{
    tg_tensor *ix = tg_input(m->g, TG_I64, TG_SHAPE(n * CTX), ctx);
    tg_tensor *emb = tg_reshape(tg_index_select(m->C, 0, ix),
                                TG_SHAPE(n, CTX * m->E));
    tg_tensor *h = tg_tanh(tg_linear(emb, m->W1, m->b1));
    return tg_linear(h, m->W2, m->b2);
}

/* Loss (nats per character) and argmax accuracy over examples [lo, hi). */
static bool mlp_eval(const mlp *m, const corpus *k, int64_t lo, int64_t hi,
                     double *loss, double *acc)
{
    bool was = tg_set_grad_enabled(m->g, false);
    double sum = 0;
    int64_t right = 0;
    bool ok = true;
    for (int64_t a = lo; a < hi && ok; a += EVAL_ROWS) {
        int64_t n = hi - a < EVAL_ROWS ? hi - a : EVAL_ROWS;
        tg_tensor *z = mlp_logits(m, k->ctx + a * CTX, n);
        tg_tensor *y = tg_input(m->g, TG_I64, TG_SHAPE(n), k->next + a);
        tg_tensor *l = tg_cross_entropy(z, y);
        tg_tensor *am = tg_argmax(z, (int[]){1}, false);
        ok = tg_graph_error(m->g) == NULL;
        if (ok) {
            sum += tg_item(l) * (double)n;
            const int64_t *p = tg_i64(am);
            for (int64_t i = 0; i < n; i++) right += p[i] == k->next[a + i];
        }
        tg_graph_reset(m->g);
    }
    tg_set_grad_enabled(m->g, was);
    *loss = sum / (double)(hi - lo);
    *acc = (double)right / (double)(hi - lo);
    return ok;
}

/* ------------------------------------------------------------ sampling */

/* One word from a model: next-character probabilities for a context,
 * written to p[V]. */
typedef bool (*next_probs)(void *model, const int64_t *ctx, tg_graph *g,
                           tg_tensor **probs);

static bool mlp_probs(void *model, const int64_t *ctx, tg_graph *g,
                      tg_tensor **probs)
{
    const mlp *m = model;
    (void)g;
    *probs = tg_reshape(tg_softmax(mlp_logits(m, ctx, 1), -1), TG_SHAPE(V));
    return tg_graph_error(m->g) == NULL;
}

typedef struct bigram_model {
    double (*logp)[V];
} bigram_model;

static bool bigram_probs(void *model, const int64_t *ctx, tg_graph *g,
                         tg_tensor **probs)
{
    const bigram_model *b = model;
    double p[V];
    for (int j = 0; j < V; j++) p[j] = exp(b->logp[ctx[CTX - 1]][j]);
    *probs = tg_input(g, TG_F64, TG_SHAPE(V), p);
    return tg_graph_error(g) == NULL;
}

/* N_SAMPLES words drawn with multinomial on g's generator (seeded). */
static bool sample_words(void *model, next_probs f, tg_graph *g,
                         uint64_t seed, result *res)
{
    tg_rng_seed(tg_graph_rng(g), seed);
    bool was = tg_set_grad_enabled(g, false);
    bool ok = true;
    for (int s = 0; s < N_SAMPLES && ok; s++) {
        int64_t ctx[CTX] = {0};
        int len = 0;
        for (;;) {
            tg_tensor *p = NULL;
            ok = f(model, ctx, g, &p);
            tg_tensor *draw = ok ? tg_multinomial(p, 1, true) : NULL;
            ok = ok && tg_graph_error(g) == NULL;
            int64_t ch = ok ? tg_i64(draw)[0] : 0;
            tg_graph_reset(g);
            if (!ok || ch == 0 || len == MAX_LEN) break;
            res->samples[s][len++] = (char)('a' + ch - 1);
            memmove(ctx, ctx + 1, sizeof ctx[0] * (CTX - 1));
            ctx[CTX - 1] = ch;
        }
        res->samples[s][len] = 0;
    }
    tg_set_grad_enabled(g, was);
    return ok;
}

/* ------------------------------------------------------------ training */

typedef struct curve {
    int n;
    int64_t step[CURVE_POINTS + 1];
    double train[CURVE_POINTS + 1], val[CURVE_POINTS + 1];
} curve;

static bool mlp_train(const demo_ctx *c, mlp *m, const corpus *k, int steps,
                      double lr, curve *cv, result *res)
{
    tg_tensor *params[] = {m->C, m->W1, m->b1, m->W2, m->b2};
    tg_optim_config oc = tg_optim_defaults(TG_OPTIM_ADAM);
    oc.lr = lr;
    tg_optim *opt = tg_optim_new(&oc, 5, params);
    if (!opt) {
        fprintf(stderr, "tapegrad demo %s: %s\n", c->name, tg_last_error());
        return false;
    }
    tg_rng r;
    tg_rng_seed(&r, (uint64_t)c->seed * 7919 + 17);
    int64_t *bx = malloc(sizeof *bx * BATCH * CTX);
    int64_t *by = malloc(sizeof *by * BATCH);
    bool ok = bx && by;
    int every = steps / CURVE_POINTS > 0 ? steps / CURVE_POINTS : 1;
    double run = 0;
    int run_n = 0;
    cv->n = 0;
    demo_progress pr;
    demo_progress_start(&pr, "mlp", steps);
    double t0 = demo_now();
    for (int s = 0; s < steps && ok; s++) {
        if (s == steps - steps / 4) tg_optim_set_lr(opt, lr / 10);
        for (int i = 0; i < BATCH; i++) {
            int64_t e = (int64_t)(tg_rng_uniform(&r) * (double)k->n_train);
            memcpy(bx + i * CTX, k->ctx + e * CTX, sizeof *bx * CTX);
            by[i] = k->next[e];
        }
        tg_tensor *y = tg_input(m->g, TG_I64, TG_SHAPE(BATCH), by);
        tg_tensor *loss = tg_cross_entropy(mlp_logits(m, bx, BATCH), y);
        ok = tg_backward(m->g, loss) == TG_OK;
        if (ok) {
            run += tg_item(loss);
            run_n++;
        }
        tg_graph_reset(m->g);
        ok = ok && tg_optim_step_zero_grad(opt) == TG_OK;
        if (ok && ((s + 1) % every == 0 || s + 1 == steps) &&
            cv->n <= CURVE_POINTS) {
            double vl, va;
            double t1 = demo_now();
            ok = mlp_eval(m, k, k->n_train, k->n_ex, &vl, &va);
            t0 += demo_now() - t1; /* validation is not training time */
            cv->step[cv->n] = s + 1;
            cv->train[cv->n] = run / run_n;
            cv->val[cv->n] = vl;
            cv->n++;
            run = 0, run_n = 0;
            char note[48];
            snprintf(note, sizeof note, "val %.3f", vl);
            demo_progress_update(&pr, s + 1, note);
        }
    }
    res->seconds = demo_now() - t0;
    demo_progress_end(&pr);
    if (!ok)
        fprintf(stderr, "tapegrad demo %s: %s\n", c->name,
                tg_graph_error(m->g) ? tg_graph_error(m->g) : tg_last_error());
    free(bx);
    free(by);
    tg_optim_free(opt);
    return ok;
}

/* ------------------------------------------------------------- output */

static void write_outputs(const demo_ctx *c, const result *res, int n_res,
                          const curve *cv)
{
    FILE *f = demo_open(c, "names.tsv");
    if (f) {
        fprintf(f, "model\tval_loss\tval_acc\ttrain_loss\tseconds\tparams\n");
        for (int i = 0; i < n_res; i++)
            fprintf(f, "%s\t%.6f\t%.6f\t%.6f\t%.3f\t%lld\n", res[i].name,
                    res[i].val_loss, res[i].val_acc, res[i].train_loss,
                    res[i].seconds, (long long)res[i].params);
        fclose(f);
    }
    f = demo_open(c, "names_samples.txt");
    if (f) {
        for (int i = 0; i < n_res; i++) {
            fprintf(f, "%s:", res[i].name);
            for (int s = 0; s < N_SAMPLES; s++)
                fprintf(f, " %s", res[i].samples[s]);
            fputc('\n', f);
        }
        fclose(f);
    }
    f = demo_open(c, "names_curve.tsv");
    if (f) {
        fprintf(f, "step\tmlp_train\tmlp_val\n");
        for (int i = 0; i < cv->n; i++)
            fprintf(f, "%lld\t%.6f\t%.6f\n", (long long)cv->step[i],
                    cv->train[i], cv->val[i]);
        fclose(f);
    }
    FILE *gp = demo_gnuplot_script(c, "names", 900, 520);
    if (!gp) return;
    fprintf(gp,
            "set title 'Next-character loss on English words'\n"
            "set xlabel 'training step'\n"
            "set ylabel 'nats per character'\n"
            "set key top right\n"
            "set grid\n"
            "plot 'names_curve.tsv' using 1:2 with lines lw 2 "
            "title 'MLP, training batches', \\\n"
            "     'names_curve.tsv' using 1:3 with linespoints lw 2 pt 7 "
            "title 'MLP, validation', \\\n"
            "     %.6f with lines dt 2 lw 2 title 'bigram, validation (%.3f)'\n",
            res[0].val_loss, res[0].val_loss);
    demo_plot(c, "names", gp);
}

int tg_demo_names(int argc, char **argv)
{
    const char *words = WORDS_DEFAULT;
    int steps = 20000, E = 10, H = 200;
    double lr = 3e-3;
    const demo_opt opts[] = {
        {"words", DEMO_TEXT, &words,
         "word list, one word per line (default " WORDS_DEFAULT
         ", Debian package wamerican)",
         0, 0, false},
        {"steps", DEMO_INT, &steps,
         "Adam steps of the MLP, batch 128 (default 20000)", 1, 10000000,
         false},
        {"embed", DEMO_INT, &E, "embedding size per character (default 10)",
         1, 256, false},
        {"hidden", DEMO_INT, &H, "tanh units of the MLP (default 200)", 1,
         4096, false},
        {"lr", DEMO_REAL, &lr, "Adam learning rate (default 0.003)", 0, 10,
         true},
    };
    demo_ctx c;
    if (!demo_begin(&c, argc, argv,
                    "Character-level models of English words (Debian's word "
                    "list): bigram counts,\nthen an MLP over the previous 3 "
                    "characters; validation loss in nats per\ncharacter, "
                    "next-character accuracy, sampled words, loss curves. "
                    "--fast: 1500 steps.",
                    opts, 5))
        return c.exit_code;
    if (c.fast && !demo_given(&c, "steps")) steps = 1500;

    corpus k = {0};
    mlp m = {0};
    result res[2] = {{.name = "bigram"}, {.name = "mlp"}};
    static curve cv;
    int rc = 1;
    if (!corpus_load(&c, words, &k)) goto done;
    if (!corpus_examples(&k, (uint64_t)c.seed)) {
        fprintf(stderr, "tapegrad demo %s: out of memory\n", c.name);
        goto done;
    }
    printf("%lld words of the letters a-z only (of %lld lines in %s): "
           "%lld for training (%lld characters), %lld for validation (%lld "
           "characters)\n\n",
           (long long)k.n_words, (long long)k.n_lines, words,
           (long long)k.n_train_words, (long long)k.n_train,
           (long long)(k.n_words - k.n_train_words),
           (long long)(k.n_ex - k.n_train));

    /* bigram */
    static double logp[V][V];
    double t0 = demo_now();
    bigram_fit(&k, logp);
    res[0].seconds = demo_now() - t0;
    res[0].params = V * V;
    for (int part = 0; part < 2; part++) {
        int64_t lo = part ? k.n_train : 0, hi = part ? k.n_ex : k.n_train;
        double s = 0;
        int64_t right = 0;
        for (int64_t e = lo; e < hi; e++) {
            const double *row = logp[k.ctx[e * CTX + CTX - 1]];
            s -= row[k.next[e]];
            int best = 0;
            for (int j = 1; j < V; j++)
                if (row[j] > row[best]) best = j;
            right += best == k.next[e];
        }
        if (part) {
            res[0].val_loss = s / (double)(hi - lo);
            res[0].val_acc = (double)right / (double)(hi - lo);
        } else {
            res[0].train_loss = s / (double)(hi - lo);
        }
    }
    bigram_model bm = {logp};

    /* mlp */
    if (!mlp_new(&m, E, H, (uint64_t)c.seed + 1)) {
        fprintf(stderr, "tapegrad demo %s: %s\n", c.name, tg_last_error());
        goto done;
    }
    if (!sample_words(&bm, bigram_probs, m.g, (uint64_t)c.seed + 2, &res[0]))
        goto fail;
    if (!mlp_train(&c, &m, &k, steps, lr, &cv, &res[1])) goto done;
    res[1].params = V * E + CTX * E * H + H + H * V + V;
    if (!mlp_eval(&m, &k, k.n_train, k.n_ex, &res[1].val_loss,
                  &res[1].val_acc))
        goto fail;
    res[1].train_loss = cv.n ? cv.train[cv.n - 1] : NAN;
    if (!sample_words(&m, mlp_probs, m.g, (uint64_t)c.seed + 3, &res[1]))
        goto fail;
    if (!isfinite(res[1].val_loss)) {
        char why[160];
        printf("%s\n", demo_diverged_text(why, sizeof why, "the MLP",
                                          res[1].val_loss));
        goto done;
    }

    printf("%-8s %12s %12s %10s %9s\n", "model", "val nats/ch",
           "val acc", "params", "seconds");
    for (int i = 0; i < 2; i++)
        printf("%-8s %12.4f %11.1f%% %10lld %9.2f\n", res[i].name,
               res[i].val_loss, 100 * res[i].val_acc,
               (long long)res[i].params, res[i].seconds);
    printf("\nsampled words:\n");
    for (int i = 0; i < 2; i++) {
        printf("  %-7s", res[i].name);
        for (int s = 0; s < N_SAMPLES; s++) printf(" %s", res[i].samples[s]);
        printf("\n");
    }
    printf("\nGuessing uniformly costs ln 27 = %.2f nats per character; "
           "counting pairs brings it to %.2f.\n",
           log((double)V), res[0].val_loss);
    printf("Seeing %d characters instead of one lowers the validation loss "
           "from %.2f to %.2f nats per character (%s %.2f).\n",
           CTX, res[0].val_loss, res[1].val_loss,
           res[1].val_loss < res[0].val_loss ? "by" : "it rises by",
           fabs(res[0].val_loss - res[1].val_loss));
    printf("The MLP names the next character right %.1f%% of the time "
           "(argmax), the bigram %.1f%%.\n",
           100 * res[1].val_acc, 100 * res[0].val_acc);
    write_outputs(&c, res, 2, &cv);
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "tapegrad demo %s: %s\n", c.name,
            m.g && tg_graph_error(m.g) ? tg_graph_error(m.g)
                                       : tg_last_error());
done:
    tg_graph_free(m.g);
    corpus_free(&k);
    return rc;
}
