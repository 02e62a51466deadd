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
 *            last quarter of the steps;
 *   lstm     whole words as sequences ('.' then the word's characters in,
 *            the word's characters then '.' out): the embedding, an LSTM
 *            layer (tapegrad/nn_seq.h) and a linear layer to 27 logits at
 *            every position; the loss over the real positions only (the
 *            padding of shorter words in a batch is left out by selecting
 *            those rows of the logits with index_select);
 *   transformer  the same sequences through the embedding, a learned
 *            position embedding, causal pre-LN transformer blocks, a final
 *            layer norm and the linear layer.
 * Each model then writes 10 words sampled character by character with
 * multinomial from its predicted distribution.
 *
 * Writes OUT/names.svg (validation loss of the trained models against the
 * training step, with the bigram's level; the sequence models' curves are
 * measured on the first 1024 validation words, their table row on all), names_attention.svg (the first
 * transformer block's attention weights, averaged over its heads, for one
 * validation word), names.tsv (one row per model), names_curve.tsv (the
 * MLP), names_curve_lstm.tsv, names_curve_transformer.tsv,
 * names_attention.tsv and names_samples.txt; prints a table and the
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

/* What both training loops keep besides the model: the running training
 * loss, a curve point with a validation loss every `every` steps, the
 * progress bar, and the training time without the validations. */
typedef struct trainlog {
    curve *cv;
    int every, steps, run_n;
    double run, t0;
    demo_progress pr;
} trainlog;

static void log_start(trainlog *L, curve *cv, const char *label, int steps)
{
    L->cv = cv;
    L->steps = steps;
    L->every = (steps + CURVE_POINTS - 1) / CURVE_POINTS;
    L->run = 0;
    L->run_n = 0;
    cv->n = 0;
    demo_progress_start(&L->pr, label, steps);
    L->t0 = demo_now();
}

/* Whether step s (0-based, done) closes a curve point. */
static bool log_due(const trainlog *L, int s)
{
    return ((s + 1) % L->every == 0 || s + 1 == L->steps) &&
           L->cv->n <= CURVE_POINTS;
}

/* The point after step s: the mean training loss since the last point,
 * validation loss vl, which took eval_s seconds (not training time). */
static void log_point(trainlog *L, int s, double vl, double eval_s)
{
    curve *cv = L->cv;
    L->t0 += eval_s;
    cv->step[cv->n] = s + 1;
    cv->train[cv->n] = L->run / L->run_n;
    cv->val[cv->n] = vl;
    cv->n++;
    L->run = 0, L->run_n = 0;
    char note[48];
    snprintf(note, sizeof note, "val %.3f", vl);
    demo_progress_update(&L->pr, s + 1, note);
}

/* Training seconds; reports the graph's error when the loop failed. */
static double log_end(trainlog *L, const demo_ctx *c, tg_graph *g, bool ok)
{
    double secs = demo_now() - L->t0;
    demo_progress_end(&L->pr);
    if (!ok)
        fprintf(stderr, "tapegrad demo %s: %s\n", c->name,
                tg_graph_error(g) ? tg_graph_error(g) : tg_last_error());
    return secs;
}

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
    trainlog L;
    log_start(&L, cv, "mlp", steps);
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
        if (ok) L.run += tg_item(loss), L.run_n++;
        tg_graph_reset(m->g);
        ok = ok && tg_optim_step_zero_grad(opt) == TG_OK;
        if (ok && log_due(&L, s)) {
            double vl, va, t1 = demo_now();
            ok = mlp_eval(m, k, k->n_train, k->n_ex, &vl, &va);
            log_point(&L, s, vl, demo_now() - t1);
        }
    }
    res->seconds = log_end(&L, c, m->g, ok);
    free(bx);
    free(by);
    tg_optim_free(opt);
    return ok;
}

/* ------------------------------------------------------ sequence models */

enum { SEQ_LSTM, SEQ_TRANSFORMER, MAX_BLOCKS = 8, SEQ_BATCH = 32,
       SEQ_EVAL_WORDS = 256, CURVE_WORDS = 1024 };

typedef struct seqnet {
    int kind;
    tg_graph *g;
    int64_t E;
    tg_tensor *emb; /* [V, E] */
    tg_layer *lstm, *pos, *blk[MAX_BLOCKS], *lnf, *head;
    int n_blocks, n_params;
    tg_tensor *params[256];
    int64_t n_weights;
} seqnet;

static void seq_free(seqnet *s)
{
    tg_layer_free(s->lstm);
    tg_layer_free(s->pos);
    for (int i = 0; i < s->n_blocks; i++) tg_layer_free(s->blk[i]);
    tg_layer_free(s->lnf);
    tg_layer_free(s->head);
    tg_graph_free(s->g);
    memset(s, 0, sizeof *s);
}

static void seq_take(seqnet *s, const tg_layer *l)
{
    int n = tg_layer_num_params(l);
    tg_tensor *const *p = tg_layer_params(l);
    for (int i = 0; i < n && s->n_params < 256; i++)
        s->params[s->n_params++] = p[i];
}

/* LSTM: E-wide embedding, H hidden units. Transformer: width E, heads
 * nhead, n_blocks blocks, 4 E feed-forward units. */
static bool seq_new(seqnet *s, int kind, int64_t E, int64_t H, int nhead,
                    int n_blocks, uint64_t seed)
{
    s->kind = kind, s->E = E;
    s->g = tg_graph_new();
    if (!s->g) return false;
    tg_rng_seed(tg_graph_rng(s->g), seed);
    s->emb = tg_param(s->g, TG_F32, TG_SHAPE(V, E), "emb");
    if (!s->emb) return false;
    tg_rng r;
    tg_rng_seed(&r, seed + 1);
    demo_fill_normal(s->emb, &r, kind == SEQ_LSTM ? 1.0 : 0.1);
    s->params[s->n_params++] = s->emb;
    int64_t out = E;
    if (kind == SEQ_LSTM) {
        tg_rnn_opts o = {.batch_first = true};
        s->lstm = tg_nn_lstm(s->g, TG_F32, E, H, &o, "lstm");
        if (!s->lstm) return false;
        seq_take(s, s->lstm);
        out = H;
    } else {
        s->pos = tg_nn_pos_embedding(s->g, TG_F32, MAX_LEN + 1, E, "pos");
        if (!s->pos) return false;
        /* N(0, 1) positions would drown N(0, 0.1) characters */
        demo_fill_normal(tg_layer_params(s->pos)[0], &r, 0.1);
        seq_take(s, s->pos);
        tg_block_opts bo = {.norm = TG_LN_PRE, .batch_first = true,
                            .causal = true, .activation = "gelu"};
        for (int i = 0; i < n_blocks; i++) {
            char nm[32];
            snprintf(nm, sizeof nm, "block%d", i);
            s->blk[i] = tg_nn_transformer_block(s->g, TG_F32, E, nhead, &bo,
                                                nm);
            if (!s->blk[i]) return false;
            s->n_blocks++;
            seq_take(s, s->blk[i]);
        }
        s->lnf = tg_nn_layernorm(s->g, TG_F32, E, 1e-5, "ln_f");
        if (!s->lnf) return false;
        seq_take(s, s->lnf);
    }
    s->head = tg_nn_linear(s->g, TG_F32, out, V, true, TG_INIT_DEFAULT,
                           "head");
    if (!s->head) return false;
    seq_take(s, s->head);
    for (int i = 0; i < s->n_params; i++)
        s->n_weights += s->params[i]->numel;
    return tg_graph_error(s->g) == NULL;
}

/* Inputs of B words as [B, T] (T = the longest word + 1, '.' first, '.'
 * after the word as padding), and the rows of the flattened [B T] logits
 * that have a target, with that target. */
typedef struct seq_batch {
    int64_t x[SEQ_EVAL_WORDS * (MAX_LEN + 1)];
    int64_t rows[SEQ_EVAL_WORDS * (MAX_LEN + 1)];
    int64_t tgt[SEQ_EVAL_WORDS * (MAX_LEN + 1)];
    int B, T;
    int64_t n;
} seq_batch;

static void seq_fill(seq_batch *b, char *const *w, int B)
{
    int T = 1;
    for (int i = 0; i < B; i++) {
        int len = (int)strlen(w[i]) + 1;
        if (len > T) T = len;
    }
    b->B = B, b->T = T, b->n = 0;
    for (int i = 0; i < B; i++) {
        int len = (int)strlen(w[i]);
        for (int t = 0; t < T; t++) {
            b->x[i * T + t] = t == 0 || t > len ? 0 : w[i][t - 1] - 'a' + 1;
            if (t <= len) {
                b->rows[b->n] = (int64_t)i * T + t;
                b->tgt[b->n++] = t < len ? w[i][t] - 'a' + 1 : 0;
            }
        }
    }
}

/* Hidden states [B, T, E or H] of x [B, T]. */
static tg_tensor *seq_hidden(seqnet *s, const int64_t *x, int B, int T)
{
    tg_tensor *ix = tg_input(s->g, TG_I64, TG_SHAPE((int64_t)B * T), x);
    tg_tensor *h = tg_reshape(tg_index_select(s->emb, 0, ix),
                              TG_SHAPE(B, T, s->E));
    if (s->kind == SEQ_LSTM)
        return tg_rnn_forward(s->lstm, h, NULL, NULL, NULL, NULL);
    h = tg_layer_forward(s->pos, h);
    for (int i = 0; i < s->n_blocks; i++)
        h = tg_transformer_block_forward(s->blk[i], h, NULL);
    return tg_layer_forward(s->lnf, h);
}

/* Logits [n, V] of the batch's rows that have a target. */
static tg_tensor *seq_logits(seqnet *s, const seq_batch *b)
{
    tg_tensor *z = tg_layer_forward(s->head, seq_hidden(s, b->x, b->B, b->T));
    tg_tensor *ri = tg_input(s->g, TG_I64, TG_SHAPE(b->n), b->rows);
    return tg_index_select(tg_reshape(z, TG_SHAPE((int64_t)b->B * b->T, V)),
                           0, ri);
}

/* Loss per character and argmax accuracy over words [lo, hi). */
static bool seq_eval(seqnet *s, const corpus *k, int64_t lo, int64_t hi,
                     double *loss, double *acc)
{
    static seq_batch b;
    bool was = tg_set_grad_enabled(s->g, false);
    bool tr = tg_set_training(s->g, false);
    double sum = 0;
    int64_t right = 0, n = 0;
    bool ok = true;
    for (int64_t a = lo; a < hi && ok; a += SEQ_EVAL_WORDS) {
        int B = (int)(hi - a < SEQ_EVAL_WORDS ? hi - a : SEQ_EVAL_WORDS);
        seq_fill(&b, k->word + a, B);
        tg_tensor *z = seq_logits(s, &b);
        tg_tensor *y = tg_input(s->g, TG_I64, TG_SHAPE(b.n), b.tgt);
        tg_tensor *l = tg_cross_entropy(z, y);
        tg_tensor *am = tg_argmax(z, (int[]){1}, false);
        ok = tg_graph_error(s->g) == NULL;
        if (ok) {
            sum += tg_item(l) * (double)b.n;
            const int64_t *p = tg_i64(am);
            for (int64_t i = 0; i < b.n; i++) right += p[i] == b.tgt[i];
            n += b.n;
        }
        tg_graph_reset(s->g);
    }
    tg_set_training(s->g, tr);
    tg_set_grad_enabled(s->g, was);
    *loss = sum / (double)(n ? n : 1);
    *acc = (double)right / (double)(n ? n : 1);
    return ok;
}

static bool seq_probs(void *model, const int64_t *ctx, tg_graph *g,
                      tg_tensor **probs);

/* The sampler hands seq_probs only the last CTX characters; a sequence
 * model sees the whole prefix, kept here. */
static int64_t seq_prefix[MAX_LEN + 2];
static int seq_prefix_len;

static bool seq_probs(void *model, const int64_t *ctx, tg_graph *g,
                      tg_tensor **probs)
{
    seqnet *s = model;
    (void)g;
    if (ctx[0] == 0 && ctx[1] == 0 && ctx[2] == 0) seq_prefix_len = 0;
    if (seq_prefix_len == 0) seq_prefix[seq_prefix_len++] = 0;
    else seq_prefix[seq_prefix_len++] = ctx[CTX - 1];
    int T = seq_prefix_len;
    tg_tensor *z = tg_layer_forward(s->head, seq_hidden(s, seq_prefix, 1, T));
    int64_t at = T - 1;
    tg_tensor *last = tg_index_select(tg_reshape(z, TG_SHAPE(T, V)), 0,
                                      tg_input(s->g, TG_I64, TG_SHAPE(1), &at));
    *probs = tg_softmax(tg_reshape(last, TG_SHAPE(V)), -1);
    return tg_graph_error(s->g) == NULL;
}

static bool seq_train(const demo_ctx *c, seqnet *s, const corpus *k,
                      int steps, double lr, curve *cv, result *res)
{
    tg_optim_config oc = tg_optim_defaults(TG_OPTIM_ADAM);
    oc.lr = lr;
    tg_optim *opt = tg_optim_new(&oc, s->n_params, s->params);
    if (!opt) {
        fprintf(stderr, "tapegrad demo %s: %s\n", c->name, tg_last_error());
        return false;
    }
    static seq_batch b;
    char *w[SEQ_BATCH];
    tg_rng r;
    tg_rng_seed(&r, (uint64_t)c->seed * 104729 + (uint64_t)s->kind + 5);
    bool ok = true;
    trainlog L;
    log_start(&L, cv, res->name, steps);
    tg_set_training(s->g, true);
    for (int st = 0; st < steps && ok; st++) {
        if (st == steps - steps / 4) tg_optim_set_lr(opt, lr / 10);
        for (int i = 0; i < SEQ_BATCH; i++)
            w[i] = k->word[(int64_t)(tg_rng_uniform(&r) *
                                     (double)k->n_train_words)];
        seq_fill(&b, w, SEQ_BATCH);
        tg_tensor *y = tg_input(s->g, TG_I64, TG_SHAPE(b.n), b.tgt);
        tg_tensor *loss = tg_cross_entropy(seq_logits(s, &b), y);
        ok = tg_backward(s->g, loss) == TG_OK;
        if (ok) L.run += tg_item(loss), L.run_n++;
        tg_graph_reset(s->g);
        ok = ok && tg_optim_step_zero_grad(opt) == TG_OK;
        if (ok && log_due(&L, st)) {
            /* the curve reads the first CURVE_WORDS validation words;
             * the table all of them */
            double vl, va, t1 = demo_now();
            int64_t hi = k->n_train_words + CURVE_WORDS < k->n_words
                             ? k->n_train_words + CURVE_WORDS
                             : k->n_words;
            ok = seq_eval(s, k, k->n_train_words, hi, &vl, &va);
            log_point(&L, st, vl, demo_now() - t1);
        }
    }
    res->seconds = log_end(&L, c, s->g, ok);
    tg_optim_free(opt);
    return ok;
}

/* The first block's attention weights for one word, averaged over the
 * heads: att[i][j] is how much position i (having read '.' and the
 * word's first i characters) attends to position j <= i. */
static bool seq_attention(seqnet *s, const char *word, double *att, int *T)
{
    int len = (int)strlen(word);
    *T = len + 1;
    int64_t x[MAX_LEN + 1];
    x[0] = 0;
    for (int t = 1; t <= len; t++) x[t] = word[t - 1] - 'a' + 1;
    bool was = tg_set_grad_enabled(s->g, false);
    bool tr = tg_set_training(s->g, false);
    tg_tensor *ix = tg_input(s->g, TG_I64, TG_SHAPE(*T), x);
    tg_tensor *h = tg_reshape(tg_index_select(s->emb, 0, ix),
                              TG_SHAPE(1, *T, s->E));
    h = tg_layer_forward(tg_layer_child(s->blk[0], 1),
                         tg_layer_forward(s->pos, h)); /* norm1: pre-LN */
    tg_tensor *wts = NULL;
    tg_attn_mask m = {.causal = true};
    tg_mha_forward(tg_layer_child(s->blk[0], 0), h, h, h, &m, &wts);
    tg_tensor *avg = wts ? tg_mean(wts, 1, (int64_t[]){1}, false) : NULL;
    bool ok = avg && tg_graph_error(s->g) == NULL;
    for (int i = 0; ok && i < *T * *T; i++) att[i] = tg_get(avg, i);
    tg_graph_reset(s->g);
    tg_set_training(s->g, tr);
    tg_set_grad_enabled(s->g, was);
    return ok;
}

/* ------------------------------------------------------------- output */

static void write_curve(const demo_ctx *c, const char *file,
                        const char *model, const curve *cv)
{
    FILE *f = demo_open(c, file);
    if (!f) return;
    fprintf(f, "step\t%s_train\t%s_val\n", model, model);
    for (int i = 0; i < cv->n; i++)
        fprintf(f, "%lld\t%.6f\t%.6f\n", (long long)cv->step[i], cv->train[i],
                cv->val[i]);
    fclose(f);
}

static void write_outputs(const demo_ctx *c, const result *res, int n_res,
                          const curve *cv, const char *word,
                          const double *att, int T)
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
    write_curve(c, "names_curve.tsv", "mlp", &cv[1]);
    write_curve(c, "names_curve_lstm.tsv", "lstm", &cv[2]);
    write_curve(c, "names_curve_transformer.tsv", "transformer", &cv[3]);
    FILE *gp = demo_gnuplot_script(c, "names", 900, 520);
    if (gp) {
        fprintf(gp,
                "set title 'Next-character loss on validation words'\n"
                "set xlabel 'training step (log scale)'\n"
                "set ylabel 'nats per character'\n"
                "set logscale x\n"
                "set key top right\n"
                "set grid\n"
                "plot 'names_curve.tsv' using 1:3 with linespoints lw 2 pt 7 "
                "title 'MLP (batches of 128 characters)', \\\n"
                "     'names_curve_lstm.tsv' using 1:3 with linespoints lw 2 "
                "pt 5 title 'LSTM (batches of 32 words)', \\\n"
                "     'names_curve_transformer.tsv' using 1:3 with "
                "linespoints lw 2 pt 9 title 'transformer (batches of 32 "
                "words)', \\\n"
                "     %.6f with lines dt 2 lw 2 title 'bigram (%.3f)'\n",
                res[0].val_loss, res[0].val_loss);
        demo_plot(c, "names", gp);
    }
    if (T <= 0) return;
    f = demo_open(c, "names_attention.tsv");
    if (!f) return;
    fprintf(f, "# word %s: row i = query position (after '.' and i "
               "characters), column j = key position\n", word);
    for (int i = 0; i < T; i++) {
        for (int j = 0; j < T; j++)
            fprintf(f, "%s%.6f", j ? "\t" : "", att[i * T + j]);
        fputc('\n', f);
    }
    fclose(f);
    gp = demo_gnuplot_script(c, "names_attention", 620, 560);
    if (!gp) return;
    fprintf(gp, "set title \"Attention of the first transformer block, "
                "averaged over heads: '%s'\"\n"
                "set xlabel 'key: the character read'\n"
                "set ylabel 'query: predicting the character after'\n"
                "set yrange [] reverse\n"
                "set cbrange [0:1]\n"
                "set palette defined (0 'white', 1 '#08519c')\n"
                "set xtics (",
            word);
    for (int j = 0; j < T; j++)
        fprintf(gp, "%s\"%c\" %d", j ? ", " : "", j ? word[j - 1] : '.', j);
    fprintf(gp, ")\nset ytics (");
    for (int j = 0; j < T; j++)
        fprintf(gp, "%s\"%c\" %d", j ? ", " : "", j ? word[j - 1] : '.', j);
    fprintf(gp, ")\nplot 'names_attention.tsv' matrix with image "
                "notitle\n");
    demo_plot(c, "names_attention", gp);
}

int tg_demo_names(int argc, char **argv)
{
    const char *words = WORDS_DEFAULT;
    int steps = 20000, E = 10, H = 200, seq_steps = 3000;
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
        {"lr", DEMO_REAL, &lr, "Adam learning rate of the MLP (default "
         "0.003)", 0, 10, true},
        {"seq-steps", DEMO_INT, &seq_steps,
         "Adam steps of the LSTM and the transformer, 32 words a batch "
         "(default 3000)", 1, 10000000, false},
    };
    demo_ctx c;
    if (!demo_begin(&c, argc, argv,
                    "Character-level models of English words (Debian's word "
                    "list): bigram counts,\nan MLP over the previous 3 "
                    "characters, an LSTM and a causal transformer over\n"
                    "whole words; validation loss in nats per character, "
                    "next-character\naccuracy, sampled words, loss curves, "
                    "attention. --fast: 1500 and 150 steps.",
                    opts, 6))
        return c.exit_code;
    if (c.fast && !demo_given(&c, "steps")) steps = 1500;
    if (c.fast && !demo_given(&c, "seq-steps")) seq_steps = 150;

    corpus k = {0};
    mlp m = {0};
    static seqnet sq[2];
    enum { N_MODELS = 4 };
    result res[N_MODELS] = {{.name = "bigram"}, {.name = "mlp"},
                            {.name = "lstm"}, {.name = "transformer"}};
    static curve cv[N_MODELS];
    static double att[(MAX_LEN + 1) * (MAX_LEN + 1)];
    int att_T = 0;
    const char *att_word = "";
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
    if (!mlp_train(&c, &m, &k, steps, lr, &cv[1], &res[1])) goto done;
    res[1].params = V * E + CTX * E * H + H + H * V + V;
    if (!mlp_eval(&m, &k, k.n_train, k.n_ex, &res[1].val_loss,
                  &res[1].val_acc))
        goto fail;
    res[1].train_loss = cv[1].n ? cv[1].train[cv[1].n - 1] : NAN;
    if (!sample_words(&m, mlp_probs, m.g, (uint64_t)c.seed + 3, &res[1]))
        goto fail;
    if (!isfinite(res[1].val_loss)) {
        char why[160];
        printf("%s\n", demo_diverged_text(why, sizeof why, "the MLP",
                                          res[1].val_loss));
        goto done;
    }

    /* the sequence models: an LSTM (16-wide embedding, 128 units) and a
     * transformer (width 64, 4 heads, 2 blocks) */
    for (int j = 0; j < 2; j++) {
        seqnet *sn = &sq[j];
        result *rs = &res[2 + j];
        bool made = j == 0 ? seq_new(sn, SEQ_LSTM, 16, 128, 0, 0,
                                     (uint64_t)c.seed + 11)
                           : seq_new(sn, SEQ_TRANSFORMER, 64, 0, 4, 2,
                                     (uint64_t)c.seed + 13);
        if (!made) {
            fprintf(stderr, "tapegrad demo %s: %s\n", c.name,
                    sn->g && tg_graph_error(sn->g) ? tg_graph_error(sn->g)
                                                   : tg_last_error());
            goto done;
        }
        rs->params = sn->n_weights;
        if (!seq_train(&c, sn, &k, seq_steps, j == 0 ? 3e-3 : 1e-3,
                       &cv[2 + j], rs))
            goto done;
        rs->train_loss = cv[2 + j].n ? cv[2 + j].train[cv[2 + j].n - 1] : NAN;
        if (!seq_eval(sn, &k, k.n_train_words, k.n_words, &rs->val_loss,
                      &rs->val_acc)) {
            fprintf(stderr, "tapegrad demo %s: %s\n", c.name,
                    tg_graph_error(sn->g));
            goto done;
        }
        if (!isfinite(rs->val_loss)) {
            char why[160];
            printf("%s\n", demo_diverged_text(why, sizeof why, rs->name,
                                              rs->val_loss));
            goto done;
        }
        if (!sample_words(sn, seq_probs, sn->g, (uint64_t)c.seed + 5 + j,
                          rs)) {
            fprintf(stderr, "tapegrad demo %s: %s\n", c.name,
                    tg_graph_error(sn->g));
            goto done;
        }
    }
    /* the attention pattern for the first validation word of 6 to 12
     * letters */
    for (int64_t i = k.n_train_words; i < k.n_words && !att_T; i++) {
        size_t len = strlen(k.word[i]);
        if (len < 6 || len > 12) continue;
        att_word = k.word[i];
        if (!seq_attention(&sq[1], att_word, att, &att_T)) {
            fprintf(stderr, "tapegrad demo %s: %s\n", c.name,
                    tg_graph_error(sq[1].g));
            goto done;
        }
    }

    printf("%-12s %12s %12s %10s %9s\n", "model", "val nats/ch",
           "val acc", "params", "seconds");
    for (int i = 0; i < N_MODELS; i++)
        printf("%-12s %12.4f %11.1f%% %10lld %9.2f\n", res[i].name,
               res[i].val_loss, 100 * res[i].val_acc,
               (long long)res[i].params, res[i].seconds);
    printf("\nsampled words:\n");
    for (int i = 0; i < N_MODELS; i++) {
        printf("  %-11s", res[i].name);
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
    int best = 1;
    for (int i = 2; i < N_MODELS; i++)
        if (res[i].val_loss < res[best].val_loss) best = i;
    printf("Reading the whole word so far, the LSTM reaches %.2f and the "
           "transformer %.2f nats per character; the lowest validation "
           "loss is the %s's (%.2f).\n",
           res[2].val_loss, res[3].val_loss, res[best].name,
           res[best].val_loss);
    if (att_T > 0) {
        double self = 0;
        for (int i = 0; i < att_T; i++) self += att[i * att_T + i];
        printf("In the first transformer block, predicting each letter of "
               "'%s', the heads put on average %.0f%% of their attention on "
               "the character just read.\n",
               att_word, 100 * self / att_T);
    }
    write_outputs(&c, res, N_MODELS, cv, att_word, att, att_T);
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "tapegrad demo %s: %s\n", c.name,
            m.g && tg_graph_error(m.g) ? tg_graph_error(m.g)
                                       : tg_last_error());
done:
    seq_free(&sq[0]);
    seq_free(&sq[1]);
    tg_graph_free(m.g);
    corpus_free(&k);
    return rc;
}
