/* The playground's engine side: the C functions the page calls (compiled
 * to WebAssembly by tools/build-playground; natively for the tests).
 *
 * One network at a time: a binary classifier of 2-D points,
 *   h_0 = features(x, y)                        [B, F]
 *   z_l = linear(h_{l-1}, W_l, b_l)             [B, width_l]
 *   h_l = dropout(act(batch_norm(z_l)))          (each part optional)
 *   logit = linear(h_{L-1}, W_L, b_L)           [B, 1]
 *   loss = bce_with_logits(logit, t)            (mean over the batch)
 * trained in f32 by a tapegrad optimizer (L2 as its weight decay, so the
 * loss shown is the data loss). The page reads results from buffers the
 * functions below return (borrowed: valid until the next call that
 * rebuilds them) and strings from pg_error / the JSON calls.
 *
 * Legend: B batch rows, F input features, N points (train then test). */
#include "playground/pg.h"

#include "src/internal.h" /* the tape's nodes, for the graph view */

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PG_MAX_LAYERS 8 /* hidden layers */
#define PG_MAX_WIDTH 32
#define PG_EPS_BN 1e-5
#define PG_MOMENTUM_BN 0.1

typedef struct pg_net {
    tg_graph *g;
    int L;                           /* linear layers: hidden + output */
    int64_t width[PG_MAX_LAYERS + 2]; /* width[0] = F, width[L] = 1 */
    tg_tensor *W[PG_MAX_LAYERS + 1], *b[PG_MAX_LAYERS + 1];
    /* batch norm of hidden layer l (NULL when off): scale, shift and the
     * running statistics used in eval mode */
    tg_tensor *bn_w[PG_MAX_LAYERS], *bn_b[PG_MAX_LAYERS];
    tg_tensor *bn_mean[PG_MAX_LAYERS], *bn_var[PG_MAX_LAYERS];
    char names[PG_MAX_LAYERS + 1][4][16];
    tg_act_fn act;
    char act_name[32];
    unsigned features; /* PG_FEAT_* bits */
    int F;
    double dropout;
    int batch;
    tg_optim *opt;
    tg_rng rng; /* minibatch order */
    int64_t steps;
} pg_net;

static pg_net net;
static char errbuf[512];

/* data: raw points, labels, and features (f32, the training dtype) */
static int n_all, n_train;
static double *pts, *labels;
static float *feat, *feat_t; /* [N, F], labels as [N, 1] */
static int *order;           /* minibatch order of the training rows */
static int order_pos;

static float *batch_x, *batch_t;
static double stats[8];
static double gnorm[PG_MAX_LAYERS + 1];
static float *grid_buf;
static size_t grid_cap;

/* --------------------------------------------------------------- errors */

static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, sizeof errbuf, fmt, ap);
    va_end(ap);
    return -1;
}

const char *pg_error(void) { return errbuf; }

/* ------------------------------------------------------------- features */

int pg_feature_count(unsigned mask)
{
    int n = 0;
    for (unsigned m = mask & PG_FEAT_ALL; m; m &= m - 1) n++;
    return n;
}

/* The feature row of point (x, y), in bit order. The exported C program
 * spells the same formulas (playground/export.js). */
static void feature_row(unsigned mask, double x, double y, float *out)
{
    int k = 0;
    if (mask & PG_FEAT_X) out[k++] = (float)x;
    if (mask & PG_FEAT_Y) out[k++] = (float)y;
    if (mask & PG_FEAT_XX) out[k++] = (float)(x * x);
    if (mask & PG_FEAT_YY) out[k++] = (float)(y * y);
    if (mask & PG_FEAT_XY) out[k++] = (float)(x * y);
    if (mask & PG_FEAT_SINX) out[k++] = (float)sin(x);
    if (mask & PG_FEAT_SINY) out[k++] = (float)sin(y);
}

static int refeature(void)
{
    free(feat);
    feat = NULL;
    if (n_all == 0 || net.F == 0) return 0;
    feat = malloc(sizeof *feat * (size_t)n_all * (size_t)net.F);
    if (!feat) return fail("pg_set_data: out of memory (%d points)", n_all);
    for (int i = 0; i < n_all; i++)
        feature_row(net.features, pts[2 * i], pts[2 * i + 1],
                    feat + (size_t)i * (size_t)net.F);
    return 0;
}

/* ------------------------------------------------------------ the model */

static void net_free(void)
{
    tg_optim_free(net.opt);
    tg_graph_free(net.g);
    memset(&net, 0, sizeof net);
}

static int parse_init(const char *s, tg_init *out)
{
    static const struct { const char *name; tg_init kind; } t[] = {
        {"default", TG_INIT_DEFAULT},   {"xavier_uniform", TG_INIT_XAVIER_UNIFORM},
        {"xavier_normal", TG_INIT_XAVIER_NORMAL}, {"he_normal", TG_INIT_HE_NORMAL},
        {"he_uniform", TG_INIT_HE_UNIFORM}, {"lecun_normal", TG_INIT_LECUN_NORMAL},
        {"zeros", TG_INIT_ZEROS},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!strcmp(s, t[i].name)) return *out = t[i].kind, 0;
    return -1;
}

static int parse_optim(const char *s, tg_optim_kind *out)
{
    for (int k = TG_OPTIM_SGD; k <= TG_OPTIM_RMSPROP; k++)
        if (!strcmp(s, tg_optim_kind_name((tg_optim_kind)k)))
            return *out = (tg_optim_kind)k, 0;
    return -1;
}

/* spec: "key=value;..." with keys features (bit mask), layers (widths
 * joined by ',', may be empty), act, init, optim, lr, batch, l2, bn
 * (0/1), dropout, seed. Unknown keys are an error (a typo in a shared URL
 * must not pass silently). */
int pg_build(const char *spec)
{
    unsigned features = PG_FEAT_X | PG_FEAT_Y;
    int64_t widths[PG_MAX_LAYERS];
    int nh = 0, batch = 10, bn = 0;
    double lr = 0.03, l2 = 0, dropout = 0;
    unsigned long long seed = 1;
    char act[32] = "tanh", init[32] = "xavier_uniform", optim[32] = "sgd";
    char buf[512];
    if (!spec || strlen(spec) >= sizeof buf)
        return fail("pg_build: spec is %s", spec ? "too long" : "NULL");
    strcpy(buf, spec);
    for (char *kv = strtok(buf, ";"); kv; kv = strtok(NULL, ";")) {
        char *eq = strchr(kv, '=');
        if (!eq) return fail("pg_build: '%s' is not key=value", kv);
        *eq = 0;
        const char *k = kv, *v = eq + 1;
        char *end = NULL;
        if (!strcmp(k, "features")) features = (unsigned)strtoul(v, &end, 10);
        else if (!strcmp(k, "layers")) {
            end = (char *)v;
            while (*end) {
                if (nh == PG_MAX_LAYERS)
                    return fail("pg_build: more than %d hidden layers",
                                PG_MAX_LAYERS);
                long w = strtol(end, &end, 10);
                if (w < 1 || w > PG_MAX_WIDTH)
                    return fail("pg_build: layer width %ld outside 1..%d", w,
                                PG_MAX_WIDTH);
                widths[nh++] = w;
                if (*end == ',') end++;
                else if (*end) break;
            }
        } else if (!strcmp(k, "act") || !strcmp(k, "init") ||
                   !strcmp(k, "optim")) {
            if (strlen(v) >= sizeof act)
                return fail("pg_build: %s name too long", k);
            strcpy(k[0] == 'a' ? act : k[0] == 'i' ? init : optim, v);
            end = (char *)v + strlen(v);
        } else if (!strcmp(k, "lr")) lr = strtod(v, &end);
        else if (!strcmp(k, "l2")) l2 = strtod(v, &end);
        else if (!strcmp(k, "dropout")) dropout = strtod(v, &end);
        else if (!strcmp(k, "batch")) batch = (int)strtol(v, &end, 10);
        else if (!strcmp(k, "bn")) bn = (int)strtol(v, &end, 10);
        else if (!strcmp(k, "seed")) seed = strtoull(v, &end, 10);
        else return fail("pg_build: unknown key '%s'", k);
        if (!end || *end) return fail("pg_build: bad value '%s' for %s", v, k);
    }
    tg_init ik;
    tg_optim_kind ok;
    tg_act_fn af = tg_activation(act);
    if (!af)
        return fail("pg_build: unknown activation '%s' (one of: %s)", act,
                    tg_activation_names());
    if (!strcmp(act, "softmax") || !strcmp(act, "log_softmax"))
        return fail("pg_build: %s mixes the units of a layer; pick an "
                    "elementwise activation", act);
    if (parse_init(init, &ik)) return fail("pg_build: unknown init '%s'", init);
    if (parse_optim(optim, &ok))
        return fail("pg_build: unknown optimizer '%s'", optim);
    if (pg_feature_count(features) == 0 || (features & ~PG_FEAT_ALL))
        return fail("pg_build: features mask %u selects no feature (bits "
                    "1..%d)", features, PG_FEAT_ALL);
    if (!(lr >= 0) || !(l2 >= 0) || !(dropout >= 0 && dropout < 1) ||
        batch < 1)
        return fail("pg_build: need lr >= 0, l2 >= 0, dropout in [0,1), "
                    "batch >= 1 (got %g, %g, %g, %d)", lr, l2, dropout, batch);

    net_free();
    net.g = tg_graph_new();
    if (!net.g) return fail("pg_build: out of memory");
    tg_rng_seed(tg_graph_rng(net.g), seed);
    tg_rng_seed(&net.rng, seed ^ 0x9e3779b97f4a7c15ULL);
    net.features = features;
    net.F = pg_feature_count(features);
    net.act = af;
    snprintf(net.act_name, sizeof net.act_name, "%s", act);
    net.dropout = dropout;
    net.batch = batch;
    net.L = nh + 1;
    net.width[0] = net.F;
    for (int l = 0; l < nh; l++) net.width[l + 1] = widths[l];
    net.width[net.L] = 1;

    tg_tensor *params[4 * (PG_MAX_LAYERS + 1)];
    int np = 0;
    for (int l = 0; l < net.L; l++) {
        char(*nm)[16] = net.names[l];
        snprintf(nm[0], 16, "W%d", l + 1);
        snprintf(nm[1], 16, "b%d", l + 1);
        net.W[l] = tg_param(net.g, TG_F32, TG_SHAPE(net.width[l], net.width[l + 1]),
                            nm[0]);
        net.b[l] = tg_param(net.g, TG_F32, TG_SHAPE(net.width[l + 1]), nm[1]);
        /* PyTorch's default draws the bias like the weight; the named
         * initializers leave it at zero, as the TensorFlow Playground does */
        tg_init_apply(net.W[l], ik, tg_graph_rng(net.g));
        if (ik == TG_INIT_DEFAULT) {
            double a = 1 / sqrt((double)net.width[l]);
            tg_init_uniform(net.b[l], tg_graph_rng(net.g), -a, a);
        }
        params[np++] = net.W[l];
        params[np++] = net.b[l];
        if (bn && l < nh) {
            snprintf(nm[2], 16, "gamma%d", l + 1);
            snprintf(nm[3], 16, "beta%d", l + 1);
            int64_t c = net.width[l + 1];
            net.bn_w[l] = tg_param(net.g, TG_F32, TG_SHAPE(c), nm[2]);
            net.bn_b[l] = tg_param(net.g, TG_F32, TG_SHAPE(c), nm[3]);
            net.bn_mean[l] = tg_param(net.g, TG_F32, TG_SHAPE(c), "running_mean");
            net.bn_var[l] = tg_param(net.g, TG_F32, TG_SHAPE(c), "running_var");
            tg_init_constant(net.bn_w[l], 1);
            tg_init_constant(net.bn_var[l], 1);
            tg_set_requires_grad(net.bn_mean[l], false);
            tg_set_requires_grad(net.bn_var[l], false);
            params[np++] = net.bn_w[l];
            params[np++] = net.bn_b[l];
        }
    }
    if (tg_graph_error(net.g)) {
        int r = fail("pg_build: %s", tg_graph_error(net.g));
        net_free();
        return r;
    }
    tg_optim_config cfg = tg_optim_defaults(ok);
    cfg.lr = lr;
    cfg.weight_decay = l2;
    net.opt = tg_optim_new(&cfg, np, params);
    if (!net.opt) {
        int r = fail("pg_build: %s", tg_last_error());
        net_free();
        return r;
    }
    order_pos = n_train; /* reshuffle on the first step */
    return refeature();
}

/* The forward pass on x [B, F] of the network's graph g (its own, or the
 * f64 copy of the graph view): hidden[l] receives h_{l+1} when non-NULL. */
static tg_tensor *forward(tg_tensor *const *W, tg_tensor *const *b,
                          tg_tensor *const *bw, tg_tensor *const *bb,
                          tg_tensor *const *bm, tg_tensor *const *bv,
                          tg_tensor *x, tg_tensor **hidden)
{
    tg_tensor *h = x;
    for (int l = 0; l < net.L; l++) {
        h = tg_linear(h, W[l], b[l]);
        if (l == net.L - 1) break;
        if (bw[l])
            h = tg_batch_norm(h, bw[l], bb[l], bm[l], bv[l], PG_MOMENTUM_BN,
                              PG_EPS_BN);
        h = net.act(h);
        if (net.dropout > 0) h = tg_dropout(h, net.dropout);
        if (hidden) hidden[l] = h;
    }
    return h;
}

static tg_tensor *net_forward(tg_tensor *x, tg_tensor **hidden)
{
    return forward(net.W, net.b, net.bn_w, net.bn_b, net.bn_mean, net.bn_var,
                   x, hidden);
}

int pg_num_layers(void) { return net.L; }
int pg_width(int l) { return l >= 0 && l <= net.L ? (int)net.width[l] : 0; }
float *pg_weight(int l) { return l >= 0 && l < net.L ? tg_f32(net.W[l]) : NULL; }
float *pg_bias(int l) { return l >= 0 && l < net.L ? tg_f32(net.b[l]) : NULL; }
/* batch norm of hidden layer l: 0 gamma, 1 beta, 2 running mean, 3 var */
float *pg_bn(int l, int which)
{
    if (l < 0 || l >= net.L - 1 || !net.bn_w[l]) return NULL;
    tg_tensor *t[4] = {net.bn_w[l], net.bn_b[l], net.bn_mean[l], net.bn_var[l]};
    return which >= 0 && which < 4 ? tg_f32(t[which]) : NULL;
}
double *pg_grad_norms(void) { return gnorm; }
int64_t pg_steps(void) { return net.steps; }

/* ----------------------------------------------------------------- data */

/* xy: n points (x, y) interleaved; lab: n labels in {0, 1}; the first
 * ntrain rows train, the rest test. Copied. */
int pg_set_data(int n, int ntrain, const double *xy, const double *lab)
{
    if (n < 0 || ntrain < 0 || ntrain > n || (n && (!xy || !lab)))
        return fail("pg_set_data: need 0 <= ntrain <= n and data (n %d, "
                    "ntrain %d)", n, ntrain);
    double *p = malloc(sizeof *p * 2 * (size_t)(n ? n : 1));
    double *t = malloc(sizeof *t * (size_t)(n ? n : 1));
    float *ft = malloc(sizeof *ft * (size_t)(n ? n : 1));
    int *o = malloc(sizeof *o * (size_t)(n ? n : 1));
    if (!p || !t || !ft || !o) {
        free(p), free(t), free(ft), free(o);
        return fail("pg_set_data: out of memory (%d points)", n);
    }
    for (int i = 0; i < n; i++) {
        if (lab[i] != 0 && lab[i] != 1) {
            free(p), free(t), free(ft), free(o);
            return fail("pg_set_data: label %d is %g; labels are 0 or 1", i,
                        lab[i]);
        }
        p[2 * i] = xy[2 * i], p[2 * i + 1] = xy[2 * i + 1];
        t[i] = lab[i];
        ft[i] = (float)lab[i];
    }
    free(pts), free(labels), free(feat_t), free(order);
    pts = p, labels = t, feat_t = ft, order = o;
    n_all = n, n_train = ntrain;
    for (int i = 0; i < n_train; i++) order[i] = i;
    order_pos = n_train;
    return refeature();
}

/* ------------------------------------------------------------- training */

static void gather(int B)
{
    int F = net.F;
    for (int r = 0; r < B; r++) {
        if (order_pos >= n_train) { /* new epoch: Fisher-Yates */
            for (int i = n_train - 1; i > 0; i--) {
                int j = (int)(tg_rng_uniform(&net.rng) * (i + 1));
                int s = order[i];
                order[i] = order[j], order[j] = s;
            }
            order_pos = 0;
        }
        int i = order[order_pos++];
        memcpy(batch_x + (size_t)r * (size_t)F, feat + (size_t)i * (size_t)F,
               sizeof(float) * (size_t)F);
        batch_t[r] = feat_t[i];
    }
}

/* `steps` minibatch steps; returns the last batch's loss (NaN on error,
 * pg_error says why). */
double pg_train(int steps)
{
    if (!net.g) return fail("pg_train: no network (call pg_build)"), NAN;
    if (n_train == 0) return fail("pg_train: no training points"), NAN;
    int B = net.batch < n_train ? net.batch : n_train;
    static int cap;
    if (B * net.F > cap || B > cap) {
        int c = B * (net.F > 1 ? net.F : 1);
        float *bx = realloc(batch_x, sizeof *bx * (size_t)c);
        if (bx) batch_x = bx;
        float *bt = realloc(batch_t, sizeof *bt * (size_t)c);
        if (bt) batch_t = bt;
        if (!bx || !bt) return fail("pg_train: out of memory"), NAN;
        cap = c;
    }
    tg_set_training(net.g, true);
    double loss = NAN;
    for (int s = 0; s < steps; s++) {
        gather(B);
        tg_tensor *x = tg_input(net.g, TG_F32, TG_SHAPE(B, net.F), batch_x);
        tg_tensor *t = tg_input(net.g, TG_F32, TG_SHAPE(B, 1), batch_t);
        tg_tensor *l = tg_bce_with_logits(net_forward(x, NULL), t);
        if (tg_backward(net.g, l) != TG_OK) {
            fail("pg_train: %s", tg_graph_error(net.g));
            tg_graph_reset(net.g);
            return NAN;
        }
        loss = tg_item(l);
        if (s == steps - 1)
            for (int k = 0; k < net.L; k++) {
                const float *gw = tg_f32(net.W[k]->grad);
                double ss = 0;
                for (int64_t i = 0; i < net.W[k]->numel; i++)
                    ss += (double)gw[i] * gw[i];
                gnorm[k] = sqrt(ss);
            }
        tg_status st = tg_optim_step_zero_grad(net.opt);
        tg_graph_reset(net.g);
        if (st != TG_OK) return fail("pg_train: %s", tg_last_error()), NAN;
        net.steps++;
    }
    return loss;
}

/* Loss and accuracy over rows [lo, hi) in eval mode, no tape kept. */
static int evaluate(int lo, int hi, double *loss, double *acc)
{
    *loss = NAN, *acc = NAN;
    if (hi <= lo) return 0;
    bool was = tg_set_training(net.g, false);
    bool grad = tg_set_grad_enabled(net.g, false);
    int n = hi - lo;
    tg_tensor *x = tg_input(net.g, TG_F32, TG_SHAPE(n, net.F),
                            feat + (size_t)lo * (size_t)net.F);
    tg_tensor *t = tg_input(net.g, TG_F32, TG_SHAPE(n, 1), feat_t + lo);
    tg_tensor *z = net_forward(x, NULL);
    tg_tensor *l = tg_bce_with_logits(z, t);
    int r = 0;
    if (tg_graph_error(net.g)) {
        r = fail("pg_eval: %s", tg_graph_error(net.g));
    } else {
        *loss = tg_item(l);
        const float *zv = tg_f32(z);
        int right = 0;
        for (int i = 0; i < n; i++) right += (zv[i] > 0) == (feat_t[lo + i] > 0.5f);
        *acc = (double)right / n;
    }
    tg_graph_reset(net.g);
    tg_set_grad_enabled(net.g, grad);
    tg_set_training(net.g, was);
    return r;
}

/* [train loss, test loss, train accuracy, test accuracy, steps]. */
double *pg_eval(void)
{
    if (!net.g || !feat) {
        fail("pg_eval: %s", net.g ? "no data" : "no network");
        return NULL;
    }
    if (evaluate(0, n_train, &stats[0], &stats[2]) ||
        evaluate(n_train, n_all, &stats[1], &stats[3]))
        return NULL;
    stats[4] = (double)net.steps;
    return stats;
}

/* The predicted probability on a res x res grid over [-lim, lim]^2 (row
 * 0 at y = +lim, as drawn), then each hidden unit's output on the same
 * grid: res^2 * (1 + hidden units) floats, layer by layer, unit by unit. */
float *pg_grid(int res, double lim)
{
    if (!net.g) return fail("pg_grid: no network"), NULL;
    if (res < 2 || res > 400) return fail("pg_grid: res %d outside 2..400", res), NULL;
    int64_t units = 0;
    for (int l = 1; l < net.L; l++) units += net.width[l];
    size_t n = (size_t)res * (size_t)res, need = n * (size_t)(1 + units);
    size_t xs = n * (size_t)net.F;
    if (need + xs > grid_cap) {
        float *p = realloc(grid_buf, sizeof *p * (need + xs));
        if (!p) return fail("pg_grid: out of memory"), NULL;
        grid_buf = p, grid_cap = need + xs;
    }
    float *X = grid_buf + need;
    for (int r = 0; r < res; r++)
        for (int c = 0; c < res; c++) {
            double x = -lim + 2 * lim * c / (res - 1);
            double y = lim - 2 * lim * r / (res - 1);
            feature_row(net.features, x, y, X + ((size_t)r * res + c) * net.F);
        }
    bool was = tg_set_training(net.g, false);
    bool grad = tg_set_grad_enabled(net.g, false);
    tg_tensor *hidden[PG_MAX_LAYERS];
    tg_tensor *x = tg_input(net.g, TG_F32, TG_SHAPE((int64_t)n, net.F), X);
    tg_tensor *p = tg_sigmoid(net_forward(x, hidden));
    float *out = NULL;
    if (tg_graph_error(net.g)) {
        fail("pg_grid: %s", tg_graph_error(net.g));
    } else {
        out = grid_buf;
        memcpy(out, tg_f32(p), sizeof(float) * n);
        float *o = out + n;
        for (int l = 0; l < net.L - 1; l++) {
            const float *h = tg_f32(hidden[l]);
            int64_t w = net.width[l + 1];
            for (int64_t u = 0; u < w; u++, o += n)
                for (size_t i = 0; i < n; i++) o[i] = h[i * (size_t)w + u];
        }
    }
    tg_graph_reset(net.g);
    tg_set_grad_enabled(net.g, grad);
    tg_set_training(net.g, was);
    return out;
}

/* ------------------------------------------------------------------ JSON */

typedef struct jbuf { char *s; size_t n, cap; bool oom; } jbuf;
static jbuf js;

static void jput(jbuf *b, const char *fmt, ...)
{
    if (b->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? b->cap - b->n : 0,
                          fmt, ap);
        va_end(ap);
        if (k < 0) { b->oom = true; return; }
        if (b->s && b->n + (size_t)k < b->cap) { b->n += (size_t)k; return; }
        size_t c = b->cap ? b->cap * 2 : 4096;
        while (c < b->n + (size_t)k + 1) c *= 2;
        char *p = realloc(b->s, c);
        if (!p) { b->oom = true; return; }
        b->s = p, b->cap = c;
    }
}

static void jnum(jbuf *b, double v)
{
    if (isfinite(v)) jput(b, "%.17g", v);
    else jput(b, "null");
}

static void jtensor(jbuf *b, const char *key, const tg_tensor *t)
{
    jput(b, ",\"%s\":[", key);
    for (int64_t i = 0; i < t->numel; i++) {
        if (i) jput(b, ",");
        jnum(b, tg_get(t, i));
    }
    jput(b, "]");
}

static void jstr(jbuf *b, const char *s)
{
    jput(b, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') jput(b, "\\%c", c);
        else if (c < 32) jput(b, "\\u%04x", c);
        else jput(b, "%c", c);
    }
    jput(b, "\"");
}

static const char *jdone(jbuf *b)
{
    if (b->oom || !b->s) return fail("out of memory writing JSON"), NULL;
    return b->s;
}

/* ---------------------------------------------------- the graph view */

/* The f64 copy of the current network on its own graph, fed rows
 * [0, rows) of the training set; leaves named as on the page. */
typedef struct view {
    tg_graph *g;
    tg_tensor *W[PG_MAX_LAYERS + 1], *b[PG_MAX_LAYERS + 1];
    tg_tensor *bw[PG_MAX_LAYERS], *bb[PG_MAX_LAYERS];
    tg_tensor *bm[PG_MAX_LAYERS], *bv[PG_MAX_LAYERS];
    tg_tensor *x, *t, *loss;
} view;

static tg_tensor *copy_param(tg_graph *g, const tg_tensor *src, const char *name)
{
    tg_tensor *p = tg_param(g, TG_F64, src->ndim, src->shape, name);
    if (!tg_graph_error(g))
        for (int64_t i = 0; i < src->numel; i++) tg_f64(p)[i] = tg_get(src, i);
    return p;
}

static int view_build(view *v, int rows)
{
    memset(v, 0, sizeof *v);
    v->g = tg_graph_new();
    if (!v->g) return fail("pg_graph: out of memory");
    tg_set_training(v->g, false); /* running statistics, no dropout */
    for (int l = 0; l < net.L; l++) {
        v->W[l] = copy_param(v->g, net.W[l], net.W[l]->name);
        v->b[l] = copy_param(v->g, net.b[l], net.b[l]->name);
        if (l < net.L - 1 && net.bn_w[l]) {
            v->bw[l] = copy_param(v->g, net.bn_w[l], net.bn_w[l]->name);
            v->bb[l] = copy_param(v->g, net.bn_b[l], net.bn_b[l]->name);
            v->bm[l] = copy_param(v->g, net.bn_mean[l], "running_mean");
            v->bv[l] = copy_param(v->g, net.bn_var[l], "running_var");
            tg_set_requires_grad(v->bm[l], false);
            tg_set_requires_grad(v->bv[l], false);
        }
    }
    double *xd = malloc(sizeof *xd * (size_t)rows * (size_t)net.F + 1);
    if (!xd) return fail("pg_graph: out of memory");
    for (int i = 0; i < rows * net.F; i++) xd[i] = feat[i];
    v->x = tg_input(v->g, TG_F64, TG_SHAPE(rows, net.F), xd);
    v->x->name = "x";
    v->t = tg_constant(v->g, TG_F64, TG_SHAPE(rows, 1), labels);
    v->t->name = "t";
    free(xd);
    v->loss = tg_bce_with_logits(forward(v->W, v->b, v->bw, v->bb, v->bm, v->bv,
                                         v->x, NULL),
                                 v->t);
    if (tg_graph_error(v->g)) return fail("pg_graph: %s", tg_graph_error(v->g));
    return 0;
}

/* The tape of one forward pass (the first `rows` training points, f64,
 * eval mode) as JSON:
 *   {"loss": id, "tensors": [{"id", "op" (null for leaves), "kind"
 *    ("op", "param", "input", "const"), "name", "in": [ids], "shape",
 *    "value", "grad" (dLoss/dtensor or null)}...],
 *    "backward": [ids of op tensors in the order the backward pass
 *    visits them]}
 * Ids are recording order. The backward order is the engine's: the
 * nodes a depth-first search from the loss reaches over inputs that
 * require grad, newest first (src/backward.c: the tape walk, and
 * tape_order after the search for tg_grad). */
const char *pg_graph_json(int rows)
{
    if (!net.g || !feat) return fail("pg_graph: %s", net.g ? "no data" : "no network"), NULL;
    if (rows < 1 || rows > n_train)
        return fail("pg_graph: rows %d outside 1..%d (training points)", rows,
                    n_train), NULL;
    view v;
    if (view_build(&v, rows)) {
        tg_graph_free(v.g);
        return NULL;
    }
    tg_graph *g = v.g;
    /* tensors in recording order: each node's inputs, then its output */
    int64_t nn = tg_graph_num_nodes(g);
    int cap = (int)(nn * 6 + 8), nt = 0; /* tensors: <= inputs + 1 per node */
    tg_tensor **list = calloc((size_t)cap, sizeof *list);
    tg_node **nodes = calloc((size_t)(nn + 1), sizeof *nodes);
    tg_tensor **want = calloc((size_t)cap, sizeof *want);
    tg_tensor **got = calloc((size_t)cap, sizeof *got);
    int *stack = calloc((size_t)cap * 2, sizeof *stack);
    int *post = calloc((size_t)cap, sizeof *post);
    char *seen = calloc((size_t)cap, 1);
    const char *res = NULL;
    if (!list || !nodes || !want || !got || !stack || !post || !seen) {
        fail("pg_graph: out of memory");
        goto done;
    }
    int64_t k = nn;
    for (tg_node *n = g->tape; n && k > 0; n = n->prev) nodes[--k] = n;
#define ID_OF(T, OUT)                                                        \
    do {                                                                     \
        OUT = -1;                                                            \
        for (int q_ = 0; q_ < nt; q_++)                                      \
            if (list[q_] == (T)) { OUT = q_; break; }                        \
        if (OUT < 0 && nt < cap) list[OUT = nt++] = (T);                     \
    } while (0)
    for (int64_t i = 0; i < nn; i++) {
        int id;
        for (int j = 0; j < nodes[i]->n_in; j++) ID_OF(nodes[i]->in[j], id);
        ID_OF(nodes[i]->out, id);
    }
    int loss_id;
    ID_OF(v.loss, loss_id);
    int nw = 0;
    int *which = post; /* reused below after the grads are copied */
    for (int i = 0; i < nt; i++)
        if (tg_requires_grad(list[i])) which[nw] = i, want[nw++] = list[i];
    tg_tensor *gr[1024] = {0};
    if (nt > (int)(sizeof gr / sizeof gr[0])) {
        fail("pg_graph: %d tensors; the view draws networks of at most %d",
             nt, (int)(sizeof gr / sizeof gr[0]));
        goto done;
    }
    if (nw > 0) {
        if (tg_grad(g, &v.loss, 1, NULL, want, nw, false, got) != TG_OK) {
            fail("pg_graph: %s", tg_graph_error(g));
            goto done;
        }
        for (int i = 0; i < nw; i++) gr[which[i]] = got[i];
    }
    /* the nodes the engine visits: an iterative DFS from the loss */
    int no = 0, sp = 0;
    if (tg_requires_grad(v.loss) && v.loss->node) {
        stack[sp++] = loss_id, stack[sp++] = 0;
        seen[loss_id] = 1;
        while (sp > 0) {
            int t = stack[sp - 2], nx = stack[sp - 1];
            tg_node *n = list[t]->node;
            if (nx < n->n_in) {
                stack[sp - 1]++;
                tg_tensor *in = n->in[nx];
                if (!tg_requires_grad(in) || !in->node) continue;
                int id;
                ID_OF(in, id);
                if (seen[id]) continue;
                seen[id] = 1;
                stack[sp++] = id, stack[sp++] = 0;
            } else {
                post[no++] = t;
                sp -= 2;
            }
        }
    }
#undef ID_OF
    /* in recording order (an output's id grows with its node's position
     * on the tape), walked newest first below */
    for (int i = 1; i < no; i++)
        for (int j = i; j > 0 && post[j - 1] > post[j]; j--) {
            int t = post[j];
            post[j] = post[j - 1];
            post[j - 1] = t;
        }
    jbuf *b = &js;
    b->n = 0, b->oom = false;
    jput(b, "{\"loss\":%d,\"rows\":%d,\"tensors\":[", loss_id, rows);
    for (int i = 0; i < nt; i++) {
        tg_tensor *t = list[i];
        jput(b, "%s{\"id\":%d,\"kind\":\"%s\",\"op\":", i ? "," : "", i,
             t->node ? "op"
             : t->flags & TG_TF_PARAM ? "param"
             : t->flags & TG_TF_CONSTANT ? "const" : "input");
        if (t->node) jstr(b, t->node->op->name);
        else jput(b, "null");
        jput(b, ",\"name\":");
        if (t->name) jstr(b, t->name);
        else jput(b, "null");
        jput(b, ",\"in\":[");
        for (int j = 0; t->node && j < t->node->n_in; j++) {
            int id = -1;
            for (int q = 0; q < nt; q++)
                if (list[q] == t->node->in[j]) { id = q; break; }
            jput(b, "%s%d", j ? "," : "", id);
        }
        jput(b, "],\"shape\":[");
        for (int d = 0; d < t->ndim; d++)
            jput(b, "%s%lld", d ? "," : "", (long long)t->shape[d]);
        jput(b, "]");
        jtensor(b, "value", t);
        if (gr[i]) jtensor(b, "grad", gr[i]);
        else jput(b, ",\"grad\":null");
        jput(b, "}");
    }
    jput(b, "],\"backward\":[");
    for (int i = no - 1; i >= 0; i--) jput(b, "%s%d", i < no - 1 ? "," : "", post[i]);
    jput(b, "]}");
    res = jdone(b);
done:
    free(list), free(nodes), free(want), free(got), free(stack), free(post),
        free(seen);
    tg_graph_free(g);
    return res;
}

/* ------------------------------------------------------ gradient check */

typedef struct check_ud { int L; bool bn[PG_MAX_LAYERS]; } check_ud;

/* inputs: x, t (not differentiated), then W_l, b_l (and gamma_l, beta_l
 * for batch norm) per layer. Batch norm uses batch statistics here: the
 * check differentiates the training-mode function. */
static tg_tensor *check_fn(tg_graph *g, tg_tensor *const *in, int n, void *ud)
{
    (void)g, (void)n;
    const check_ud *c = ud;
    tg_tensor *W[PG_MAX_LAYERS + 1], *b[PG_MAX_LAYERS + 1];
    tg_tensor *bw[PG_MAX_LAYERS] = {0}, *bb[PG_MAX_LAYERS] = {0};
    tg_tensor *none[PG_MAX_LAYERS] = {0};
    int k = 2;
    for (int l = 0; l < c->L; l++) {
        W[l] = in[k++], b[l] = in[k++];
        if (l < c->L - 1 && c->bn[l]) bw[l] = in[k++], bb[l] = in[k++];
    }
    double p = net.dropout;
    net.dropout = 0; /* random masks have no derivative to compare */
    tg_tensor *z = forward(W, b, bw, bb, none, none, in[0], NULL);
    net.dropout = p;
    return tg_bce_with_logits(z, in[1]);
}

/* tg_gradcheck of the loss of the current network on the first `rows`
 * training points w.r.t. every parameter, as JSON: {"pass", "message",
 * "inputs": [{"name", "shape", "pass", "max_abs_err", "max_rel_err",
 * "worst", "analytic", "numeric"}...]}. */
const char *pg_gradcheck(int rows)
{
    if (!net.g || !feat) return fail("pg_gradcheck: %s", net.g ? "no data" : "no network"), NULL;
    if (rows < 1 || rows > n_train)
        return fail("pg_gradcheck: rows %d outside 1..%d", rows, n_train), NULL;
    tg_check_arg a[TG_CHECK_MAX_INPUTS];
    double *data[TG_CHECK_MAX_INPUTS] = {0};
    check_ud ud = {.L = net.L};
    int na = 0;
    memset(a, 0, sizeof a);
    double *xd = malloc(sizeof *xd * (size_t)rows * (size_t)net.F);
    if (!xd) return fail("pg_gradcheck: out of memory"), NULL;
    for (int i = 0; i < rows * net.F; i++) xd[i] = feat[i];
    data[na] = xd;
    a[na++] = (tg_check_arg){.name = "x", .ndim = 2, .shape = {rows, net.F},
                             .data = xd, .no_grad = true};
    a[na++] = (tg_check_arg){.name = "t", .ndim = 2, .shape = {rows, 1},
                             .data = labels, .no_grad = true};
    const char *res = NULL;
    for (int l = 0; l < net.L; l++) {
        tg_tensor *ps[4] = {net.W[l], net.b[l], NULL, NULL};
        int m = 2;
        if (l < net.L - 1 && net.bn_w[l]) {
            ud.bn[l] = true;
            ps[2] = net.bn_w[l], ps[3] = net.bn_b[l], m = 4;
        }
        for (int j = 0; j < m; j++) {
            if (na == TG_CHECK_MAX_INPUTS) {
                fail("pg_gradcheck: more than %d tensors to check; use fewer "
                     "layers", TG_CHECK_MAX_INPUTS - 2);
                goto done;
            }
            double *d = malloc(sizeof *d * (size_t)ps[j]->numel);
            if (!d) { fail("pg_gradcheck: out of memory"); goto done; }
            for (int64_t i = 0; i < ps[j]->numel; i++) d[i] = tg_get(ps[j], i);
            data[na] = d;
            a[na] = (tg_check_arg){.name = ps[j]->name, .ndim = ps[j]->ndim,
                                   .data = d};
            memcpy(a[na].shape, ps[j]->shape, sizeof(int64_t) * (size_t)ps[j]->ndim);
            na++;
        }
    }
    tg_check_opts o = tg_check_defaults();
    o.sum_only = true;     /* the loss is a scalar already */
    o.kink_margin = 1e-4;  /* relu and friends: step off the kinks */
    tg_check_report r;
    tg_status st = tg_gradcheck(check_fn, &ud, na, a, &o, &r);
    if (st != TG_OK && st != TG_ERR_NUMERIC) {
        fail("pg_gradcheck: %s", tg_last_error());
        goto done;
    }
    jbuf *b = &js;
    b->n = 0, b->oom = false;
    jput(b, "{\"pass\":%s,\"message\":", r.pass ? "true" : "false");
    jstr(b, r.message);
    jput(b, ",\"inputs\":[");
    int first = 1;
    for (int i = 0; i < r.n_inputs; i++) {
        const tg_check_input_report *q = &r.in[i];
        if (!q->checked) continue;
        jput(b, "%s{\"name\":", first ? "" : ",");
        first = 0;
        jstr(b, q->name ? q->name : "?");
        jput(b, ",\"shape\":[");
        for (int d = 0; d < q->ndim; d++)
            jput(b, "%s%lld", d ? "," : "", (long long)q->shape[d]);
        jput(b, "],\"pass\":%s,\"max_abs_err\":", q->pass ? "true" : "false");
        jnum(b, q->max_abs_err);
        jput(b, ",\"max_rel_err\":");
        jnum(b, q->max_rel_err);
        jput(b, ",\"worst\":%lld,\"analytic\":", (long long)q->worst);
        jnum(b, q->analytic);
        jput(b, ",\"numeric\":");
        jnum(b, q->numeric);
        jput(b, "}");
    }
    jput(b, "]}");
    res = jdone(b);
done:
    for (int i = 0; i < na; i++) free(data[i]);
    return res;
}

const char *pg_activation_names(void) { return tg_activation_names(); }
