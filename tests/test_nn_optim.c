/* nn: initializers (sample moments of large draws against the formulas),
 * optimizers (two steps against hand-derived updates), clipping,
 * learning-rate schedules, allocation behaviour. */
#include <stdlib.h>
#include <tapegrad/tapegrad.h>
#include <unistd.h>

#include "hardening.h"
#include "tt.h"

/* ------------------------------------------------------------ helpers */

static void moments(const tg_tensor *t, double *mean, double *var,
                    double *maxabs)
{
    long double s = 0, s2 = 0, m = 0;
    for (int64_t i = 0; i < t->numel; i++) {
        long double v = tg_get(t, i);
        s += v;
        if (fabsl(v) > m) m = fabsl(v);
    }
    long double mu = s / t->numel;
    for (int64_t i = 0; i < t->numel; i++) {
        long double d = tg_get(t, i) - mu;
        s2 += d * d;
    }
    *mean = (double)mu;
    *var = (double)(s2 / (t->numel - 1));
    if (maxabs) *maxabs = (double)m;
}

static hd_alloc oom; /* tests/hardening.h: fails the Nth allocation on */

/* --------------------------------------------------------- initializers */

/* The sample variance of n draws has a relative standard error of
 * sqrt(2/(n-1)); with n >= 250000 that is 0.28%, so 2% is over 7 sigma. */
static void init_variances(void)
{
    tg_graph *g = tg_graph_new();
    tg_rng r;
    tg_rng_seed(&r, 7);
    double mean, var, mx;
    /* [in=1000, out=256]: fan_in 1000, fan_out 256 */
    tg_tensor *w = tg_param(g, TG_F32, TG_SHAPE(1000, 256), "w");
    int64_t fi, fo;
    tg_init_fans(w, &fi, &fo);
    TT_CHECK(fi == 1000 && fo == 256);

    TT_CHECK(tg_init_he_normal(w, &r) == TG_OK);
    moments(w, &mean, &var, NULL);
    TT_CHECK(fabs(var / (2.0 / 1000) - 1) < 0.02);
    TT_CHECK(fabs(mean) < 5 * sqrt(2.0 / 1000 / 256000));

    TT_CHECK(tg_init_he_uniform(w, &r) == TG_OK);
    moments(w, &mean, &var, &mx);
    TT_CHECK(fabs(var / (2.0 / 1000) - 1) < 0.02);
    TT_CHECK(mx <= sqrt(6.0 / 1000) && mx > 0.999 * sqrt(6.0 / 1000));

    TT_CHECK(tg_init_xavier_uniform(w, &r) == TG_OK);
    moments(w, &mean, &var, &mx);
    TT_CHECK(fabs(var / (2.0 / 1256) - 1) < 0.02);
    TT_CHECK(mx <= sqrt(6.0 / 1256) && mx > 0.999 * sqrt(6.0 / 1256));

    TT_CHECK(tg_init_xavier_normal(w, &r) == TG_OK);
    moments(w, &mean, &var, NULL);
    TT_CHECK(fabs(var / (2.0 / 1256) - 1) < 0.02);

    TT_CHECK(tg_init_lecun_normal(w, &r) == TG_OK);
    moments(w, &mean, &var, NULL);
    TT_CHECK(fabs(var / (1.0 / 1000) - 1) < 0.02);
    TT_CHECK(fabs(mean) < 5 * sqrt(1.0 / 1000 / 256000));

    TT_CHECK(tg_init_uniform(w, &r, -1, 3) == TG_OK);
    moments(w, &mean, &var, &mx);
    TT_CHECK(fabs(mean - 1) < 0.01);
    TT_CHECK(fabs(var / (16.0 / 12) - 1) < 0.02);
    TT_CHECK(mx <= 3);

    TT_CHECK(tg_init_normal(w, &r, 0.5, 0.2) == TG_OK);
    moments(w, &mean, &var, NULL);
    TT_CHECK(fabs(mean - 0.5) < 0.002);
    TT_CHECK(fabs(var / 0.04 - 1) < 0.02);

    /* PyTorch's nn.Linear default U(±1/sqrt(fan_in)): var 1/(3 fan_in) */
    TT_CHECK(tg_init_apply(w, TG_INIT_DEFAULT, &r) == TG_OK);
    moments(w, &mean, &var, &mx);
    TT_CHECK(fabs(var / (1.0 / 3000) - 1) < 0.02);
    TT_CHECK(mx <= 1 / sqrt(1000.0));

    /* f64 and a convolution-shaped weight [5, 5, in=16, out=64]:
     * fan_in = 400, fan_out = 1600 */
    tg_tensor *k = tg_param(g, TG_F64, TG_SHAPE(5, 5, 16, 64), "k");
    tg_init_fans(k, &fi, &fo);
    TT_CHECK(fi == 400 && fo == 1600);
    TT_CHECK(tg_init_apply(k, TG_INIT_XAVIER_NORMAL, &r) == TG_OK);
    moments(k, &mean, &var, NULL);
    TT_CHECK(fabs(var / (2.0 / 2000) - 1) < 0.05); /* n = 25600: SE 0.9% */
    tg_graph_free(g);
}

static void init_constant_and_seed(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *b = tg_param(g, TG_F32, TG_SHAPE(5), "b");
    TT_CHECK(tg_init_constant(b, 0.1) == TG_OK);
    for (int i = 0; i < 5; i++) TT_CHECK(tg_f32(b)[i] == 0.1f);
    TT_CHECK(tg_init_zeros(b) == TG_OK);
    for (int i = 0; i < 5; i++) TT_CHECK(tg_f32(b)[i] == 0.0f);
    /* 1-d: both fans are numel */
    int64_t fi, fo;
    tg_init_fans(b, &fi, &fo);
    TT_CHECK(fi == 5 && fo == 5);

    /* same seed, same weights; another seed, other weights; NULL rng
     * draws from the graph's stream */
    tg_tensor *a1 = tg_param(g, TG_F32, TG_SHAPE(4, 3), "a1");
    tg_tensor *a2 = tg_param(g, TG_F32, TG_SHAPE(4, 3), "a2");
    tg_rng r1, r2;
    tg_rng_seed(&r1, 123);
    tg_rng_seed(&r2, 123);
    tg_init_he_normal(a1, &r1);
    tg_init_he_normal(a2, &r2);
    TT_CHECK(!memcmp(a1->data, a2->data, 12 * sizeof(float)));
    tg_rng_seed(&r2, 124);
    tg_init_he_normal(a2, &r2);
    TT_CHECK(memcmp(a1->data, a2->data, 12 * sizeof(float)) != 0);
    tg_rng_seed(tg_graph_rng(g), 123);
    tg_init_he_normal(a2, NULL);
    TT_CHECK(!memcmp(a1->data, a2->data, 12 * sizeof(float)));
    /* the first draw is reproducible by hand: [in=4, out=3], so He
     * normal is sqrt(2/4) z */
    tg_rng r3;
    tg_rng_seed(&r3, 123);
    TT_NEAR(tg_f32(a1)[0], (float)(sqrt(2.0 / 4) * tg_rng_normal(&r3)), 1e-7);
    tg_graph_free(g);
}

static void init_errors(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *w = tg_param(g, TG_F32, TG_SHAPE(2, 2), "w");
    tg_tensor *y = tg_mul(w, w);
    TT_CHECK(tg_init_he_normal(y, NULL) == TG_ERR_STATE);
    TT_STREQ(tg_graph_error(g),
             "tg_init_he_normal: tensor is the output of tg_mul, not a "
             "leaf; hint: initialise parameters (tg_param) or inputs");
    tg_graph_reset(g);
    tg_tensor *e = tg_param(g, TG_F32, TG_SHAPE(0, 4), "e");
    TT_CHECK(tg_init_he_uniform(e, NULL) == TG_ERR_SHAPE);
    TT_STREQ(tg_graph_error(g),
             "tg_init_he_uniform: shape [0,4] has a zero fan; hint: fans "
             "come from [..., in, out] dims");
    tg_graph_reset(g);
    TT_CHECK(tg_init_uniform(w, NULL, 1, -1) == TG_ERR_ARG);
    TT_CONTAINS(tg_graph_error(g), "tg_init_uniform: bounds [1, -1)");
    tg_graph_reset(g);
    TT_CHECK(tg_init_normal(w, NULL, 0, -1) == TG_ERR_ARG);
    TT_CHECK(tg_init_zeros(NULL) == TG_ERR_ARG);
    TT_STREQ(tg_last_error(), "tg_init_zeros: tensor is NULL");
    tg_graph_free(g);
}

/* ---------------------------------------------------------- optimizers */

/* Values chosen so every update is easy to follow by hand. */
static const double W0[3] = {1.0, -2.0, 0.5};
static const double G1[3] = {0.5, -1.0, 2.0};
static const double G2[3] = {-0.25, 0.5, 1.0};

typedef struct run2 {
    double w1[3], w2[3];
} run2;

/* Two steps of `cfg` from W0 with gradients G1 then G2, in dtype dt. */
static run2 two_steps(const tg_optim_config *cfg, tg_dtype dt)
{
    run2 r;
    tg_graph *g = tg_graph_new();
    tg_tensor *w = tg_param(g, dt, TG_SHAPE(3), "w");
    for (int i = 0; i < 3; i++) {
        if (dt == TG_F32) tg_f32(w)[i] = (float)W0[i];
        else tg_f64(w)[i] = W0[i];
    }
    tg_optim *o = tg_optim_new(cfg, 1, &w);
    TT_CHECK(o != NULL);
    if (!o) {
        memset(&r, 0, sizeof r);
        tg_graph_free(g);
        return r;
    }
    for (int s = 0; s < 2; s++) {
        const double *gv = s ? G2 : G1;
        for (int i = 0; i < 3; i++) {
            if (dt == TG_F32) tg_f32(w->grad)[i] = (float)gv[i];
            else tg_f64(w->grad)[i] = gv[i];
        }
        TT_CHECK(tg_tensor_grad_written(w) == TG_OK);
        TT_CHECK(tg_optim_step(o) == TG_OK);
        for (int i = 0; i < 3; i++) (s ? r.w2 : r.w1)[i] = tg_get(w, i);
    }
    TT_CHECK(tg_optim_steps(o) == 2);
    tg_optim_free(o);
    tg_graph_free(g);
    return r;
}

static void check_run(const tg_optim_config *c, const double *e1,
                      const double *e2)
{
    run2 d = two_steps(c, TG_F64), f = two_steps(c, TG_F32);
    for (int i = 0; i < 3; i++) {
        TT_NEAR(d.w1[i], e1[i], 1e-13);
        TT_NEAR(d.w2[i], e2[i], 1e-13);
        TT_NEAR(f.w1[i], e1[i], 2e-6);
        TT_NEAR(f.w2[i], e2[i], 2e-6);
    }
}

static void opt_sgd(void)
{
    tg_optim_config c = tg_optim_defaults(TG_OPTIM_SGD);
    c.lr = 0.1;
    /* w1 = w0 - 0.1 g1; w2 = w1 - 0.1 g2 */
    check_run(&c, (double[]){0.95, -1.9, 0.3}, (double[]){0.975, -1.95, 0.2});
    /* classical L2 decay 0.5: g <- g + 0.5 w */
    c.weight_decay = 0.5;
    /* w1 = 1 - 0.1 (0.5 + 0.5) = 0.9; w2 = 0.9 - 0.1 (-0.25 + 0.45) = 0.88 */
    run2 r = two_steps(&c, TG_F64);
    TT_NEAR(r.w1[0], 0.9, 1e-15);
    TT_NEAR(r.w2[0], 0.88, 1e-15);
}

static void opt_momentum(void)
{
    tg_optim_config c = tg_optim_defaults(TG_OPTIM_MOMENTUM);
    c.lr = 0.1;
    c.momentum = 0.9;
    /* m1 = -0.1 g1 = (-0.05, 0.1, -0.2); w1 = w0 + m1
     * m2 = 0.9 m1 - 0.1 g2 = (-0.045+0.025, 0.09-0.05, -0.18-0.1)
     *    = (-0.02, 0.04, -0.28);   w2 = w1 + m2 */
    check_run(&c, (double[]){0.95, -1.9, 0.3},
              (double[]){0.93, -1.86, 0.02});
}

static void opt_nesterov(void)
{
    tg_optim_config c = tg_optim_defaults(TG_OPTIM_NESTEROV);
    c.lr = 0.1;
    c.momentum = 0.9;
    /* m1 = (-0.05, 0.1, -0.2); w1 = w0 + 0.9 m1 - 0.1 g1
     *    = (1 - 0.045 - 0.05, -2 + 0.09 + 0.1, 0.5 - 0.18 - 0.2)
     * m2 = (-0.02, 0.04, -0.28); w2 = w1 + 0.9 m2 - 0.1 g2
     *    = (0.905 - 0.018 + 0.025, -1.81 + 0.036 - 0.05, 0.12 - 0.252 - 0.1) */
    check_run(&c, (double[]){0.905, -1.81, 0.12},
              (double[]){0.912, -1.824, -0.232});
}

/* Adam by the paper's Algorithm 1, in long double. */
static void adam_ref(double lr, double b1, double b2, double eps, double wd,
                     bool decoupled, double *w1, double *w2)
{
    for (int i = 0; i < 3; i++) {
        long double w = W0[i], m = 0, v = 0;
        for (int t = 1; t <= 2; t++) {
            long double gr = t == 1 ? G1[i] : G2[i];
            if (decoupled) w -= lr * wd * w;
            else gr += wd * w;
            m = b1 * m + (1 - b1) * gr;
            v = b2 * v + (1 - b2) * gr * gr;
            long double mh = m / (1 - powl(b1, t)), vh = v / (1 - powl(b2, t));
            w -= lr * mh / (sqrtl(vh) + eps);
            (t == 1 ? w1 : w2)[i] = (double)w;
        }
    }
}

static void opt_adam(void)
{
    tg_optim_config c = tg_optim_defaults(TG_OPTIM_ADAM);
    c.lr = 0.1;
    /* By hand for element 0 with eps -> 0: step 1 has m^ = g, v^ = g^2, so
     * w1 = w0 - lr sign(g) = 0.9. Step 2: m = 0.9*0.05 + 0.1*(-0.25) =
     * 0.02, m^ = 0.02/0.19; v = 0.999*0.00025 + 0.001*0.0625 = 0.00031225,
     * v^ = 0.00031225/0.001999; w2 = 0.9 - 0.1 m^ / sqrt(v^). */
    double w1[3], w2[3];
    adam_ref(0.1, 0.9, 0.999, 1e-8, 0, false, w1, w2);
    TT_NEAR(w1[0], 0.9, 1e-8);
    TT_NEAR(w2[0], 0.9 - 0.1 * (0.02 / 0.19) / sqrt(0.00031225 / 0.001999),
            1e-8);
    check_run(&c, w1, w2);
    c.weight_decay = 0.1;
    adam_ref(0.1, 0.9, 0.999, 1e-8, 0.1, false, w1, w2);
    check_run(&c, w1, w2);
}

static void opt_adamw(void)
{
    tg_optim_config c = tg_optim_defaults(TG_OPTIM_ADAMW);
    c.lr = 0.1;
    c.weight_decay = 0.5;
    double w1[3], w2[3];
    adam_ref(0.1, 0.9, 0.999, 1e-8, 0.5, true, w1, w2);
    /* decoupled: w1 = 1 * (1 - 0.05) - 0.1 = 0.85 (eps aside) */
    TT_NEAR(w1[0], 0.85, 1e-8);
    check_run(&c, w1, w2);
}

static void opt_rmsprop(void)
{
    tg_optim_config c = tg_optim_defaults(TG_OPTIM_RMSPROP);
    c.lr = 0.01;
    c.alpha = 0.9;
    c.eps = 1e-8;
    /* v1 = 0.1 g1^2, w1 = w0 - 0.01 g1 / sqrt(v1) = w0 - 0.01 sign(g1)
     * /sqrt(0.1) (eps aside); v2 = 0.9 v1 + 0.1 g2^2. */
    double e1[3], e2[3], e1m[3], e2m[3];
    for (int i = 0; i < 3; i++) {
        long double v1 = 0.1L * G1[i] * G1[i];
        long double q1 = G1[i] / (sqrtl(v1) + 1e-8L);
        e1[i] = (double)(W0[i] - 0.01L * q1);
        long double v2 = 0.9L * v1 + 0.1L * G2[i] * G2[i];
        long double q2 = G2[i] / (sqrtl(v2) + 1e-8L);
        e2[i] = (double)(e1[i] - 0.01L * q2);
        /* with momentum 0.5: b1 = q1, b2 = 0.5 q1 + q2 */
        e1m[i] = e1[i];
        e2m[i] = (double)(e1[i] - 0.01L * (0.5L * q1 + q2));
    }
    TT_NEAR(e1[0], 1 - 0.01 / sqrt(0.1), 1e-8);
    check_run(&c, e1, e2);
    c.momentum = 0.5;
    check_run(&c, e1m, e2m);
}

/* Parameters whose sizes add up to more than the threading thresholds
 * of a step (2^20 elements) and of zeroing (2^21) take the threaded path:
 * laid end to end and cut into one share per thread, so shares start and
 * end inside parameters at odd offsets. Results match a scalar reference
 * computed here; a frozen parameter in the middle stays untouched; zeroing
 * clears every gradient, the frozen one's too. Runs under the ISA the
 * environment selects. */
static void opt_large_threaded(void)
{
    enum { NP = 4 };
    const int64_t sizes[NP] = {2100003, 37, 70001, 50021}; /* [2] frozen */
    int threads = tg_get_num_threads();
    tg_set_num_threads(2); /* the suite may run with one thread */
    tg_graph *g = tg_graph_new();
    tg_tensor *w[NP];
    float *ref_w[NP], *ref_m[NP], *ref_v[NP], *w0[NP];
    for (int k = 0; k < NP; k++) {
        int64_t n = sizes[k];
        w[k] = tg_param(g, TG_F32, 1, &sizes[k], NULL);
        ref_w[k] = malloc(sizeof(float) * n);
        w0[k] = malloc(sizeof(float) * n);
        ref_m[k] = calloc(n, 4);
        ref_v[k] = calloc(n, 4);
        for (int64_t i = 0; i < n; i++) {
            tg_f32(w[k])[i] = ref_w[k][i] = w0[k][i] =
                (float)sin((double)(i + 7 * k));
            tg_f32(w[k]->grad)[i] = (float)cos(0.5 * (double)i + k);
        }
        tg_tensor_grad_written(w[k]);
    }
    tg_set_requires_grad(w[2], false);
    tg_optim_config c = tg_optim_defaults(TG_OPTIM_ADAMW);
    c.lr = 0.01;
    tg_optim *o = tg_optim_new(&c, NP, w);
    for (int s = 1; s <= 3; s++) {
        tg_optim_step(o);
        double ss = 0.01 / (1 - pow(0.9, s)), bc2 = 1 - pow(0.999, s);
        for (int k = 0; k < NP; k++) {
            if (k == 2) continue;
            for (int64_t i = 0; i < sizes[k]; i++) {
                double gi = tg_f32(w[k]->grad)[i];
                double wi = ref_w[k][i] * (1 - 0.01 * 0.01);
                ref_m[k][i] = (float)(0.9 * ref_m[k][i] + 0.1 * gi);
                ref_v[k][i] = (float)(0.999 * ref_v[k][i] + 0.001 * gi * gi);
                ref_w[k][i] = (float)(wi - ss * ref_m[k][i] /
                                               (sqrt(ref_v[k][i] / bc2) +
                                                1e-8));
            }
        }
    }
    double worst = 0;
    bool frozen_same = true;
    for (int k = 0; k < NP; k++)
        for (int64_t i = 0; i < sizes[k]; i++) {
            if (k == 2) {
                frozen_same &= tg_f32(w[k])[i] == w0[k][i];
                continue;
            }
            double d = fabs(tg_f32(w[k])[i] - ref_w[k][i]);
            if (d > worst) worst = d;
        }
    TT_CHECK(worst < 1e-6);
    TT_CHECK(frozen_same);
    tg_optim_zero_grad(o);
    int64_t nonzero = 0;
    for (int k = 0; k < NP; k++)
        for (int64_t i = 0; i < sizes[k]; i++)
            nonzero += tg_f32(w[k]->grad)[i] != 0;
    TT_CHECK(nonzero == 0);
    tg_set_num_threads(threads);
    tg_optim_free(o);
    for (int k = 0; k < NP; k++) {
        free(ref_w[k]);
        free(ref_m[k]);
        free(ref_v[k]);
        free(w0[k]);
    }
    tg_graph_free(g);
}

/* tg_optim_step_zero_grad against tg_optim_step + tg_optim_zero_grad, bit
 * for bit, for every method and dtype: one model per path, three rounds of
 * the same gradients. Sizes cover the vector body and the scalar tail,
 * and (with two threads, for two methods) the split across the team;
 * parameter [1] is frozen: its value stays, its gradient is zeroed as
 * zero_grad would. */
static void opt_step_zero_grad(void)
{
    enum { NP = 3 };
    int64_t sizes[NP] = {0, 37, 1003};
    int threads = tg_get_num_threads();
    tg_set_num_threads(2);
    tg_optim_config cfgs[7];
    for (int k = 0; k <= TG_OPTIM_RMSPROP; k++) cfgs[k] = tg_optim_defaults(k);
    cfgs[TG_OPTIM_SGD].weight_decay = 0.1;
    cfgs[TG_OPTIM_ADAM].weight_decay = 0.05;
    cfgs[6] = tg_optim_defaults(TG_OPTIM_RMSPROP);
    cfgs[6].momentum = 0.5;
    for (int ci = 0; ci < 7; ci++)
        for (int d = 0; d < 2; d++) {
            tg_dtype dt = d ? TG_F64 : TG_F32;
            /* above the step's threading threshold (2^20) for two cases */
            bool big = !d && (ci == TG_OPTIM_MOMENTUM || ci == TG_OPTIM_ADAM);
            sizes[0] = big ? 1100001 : 4099;
            tg_graph *g = tg_graph_new();
            tg_tensor *w[2][NP];
            tg_optim *o[2];
            for (int r = 0; r < 2; r++) {
                for (int k = 0; k < NP; k++) {
                    w[r][k] = tg_param(g, dt, 1, &sizes[k], NULL);
                    for (int64_t i = 0; i < sizes[k]; i++) {
                        double v = sin(0.3 * (double)i + k);
                        if (d) tg_f64(w[r][k])[i] = v;
                        else tg_f32(w[r][k])[i] = (float)v;
                    }
                }
                tg_set_requires_grad(w[r][1], false);
                o[r] = tg_optim_new(&cfgs[ci], NP, w[r]);
            }
            bool same = true, zero = true, frozen = true;
            for (int s = 0; s < 3; s++) {
                for (int r = 0; r < 2; r++)
                    for (int k = 0; k < NP; k++)
                        for (int64_t i = 0; i < sizes[k]; i++) {
                            double v = cos(0.7 * (double)i + 2 * s + k);
                            if (d) tg_f64(w[r][k]->grad)[i] = v;
                            else tg_f32(w[r][k]->grad)[i] = (float)v;
                            tg_tensor_grad_written(w[r][k]);
                        }
                TT_CHECK(tg_optim_step(o[0]) == TG_OK);
                tg_optim_zero_grad(o[0]);
                TT_CHECK(tg_optim_step_zero_grad(o[1]) == TG_OK);
                for (int k = 0; k < NP; k++)
                    for (int64_t i = 0; i < sizes[k]; i++) {
                        same &= tg_get(w[0][k], i) == tg_get(w[1][k], i);
                        zero &= tg_get(w[1][k]->grad, i) == 0;
                    }
            }
            for (int64_t i = 0; i < sizes[1]; i++)
                frozen &= tg_get(w[1][1], i) == sin(0.3 * (double)i + 1) ||
                          (!d && tg_get(w[1][1], i) ==
                                     (float)sin(0.3 * (double)i + 1));
            TT_CHECK(same);
            TT_CHECK(zero);
            TT_CHECK(frozen);
            TT_CHECK(tg_optim_steps(o[1]) == 3);
            /* a trained parameter moved */
            TT_CHECK(tg_get(w[1][0], 5) != sin(0.3 * 5));
            tg_optim_free(o[0]);
            tg_optim_free(o[1]);
            tg_graph_free(g);
        }
    tg_set_num_threads(threads);
    TT_CHECK(tg_optim_step_zero_grad(NULL) == TG_ERR_ARG);
    TT_STREQ(tg_last_error(), "tg_optim_step_zero_grad: optimizer is NULL");
}

/* A training loop with backward: momentum SGD on a two-layer net, once
 * with step + zero_grad and once with step_zero_grad (whose zeroed
 * gradients the next backward writes in place). Same weights bit for bit,
 * for f32 and f64; and after the loop the gradients read as zeros. */
static void opt_step_zero_grad_training(void)
{
    for (int d = 0; d < 2; d++) {
        tg_dtype dt = d ? TG_F64 : TG_F32;
        tg_graph *g = tg_graph_new();
        tg_tensor *p[2][4];
        tg_optim *o[2];
        tg_optim_config c = tg_optim_defaults(TG_OPTIM_MOMENTUM);
        c.lr = 0.05;
        for (int r = 0; r < 2; r++) {
            p[r][0] = tg_param(g, dt, TG_SHAPE(6, 5), "W1");
            p[r][1] = tg_param(g, dt, TG_SHAPE(5), "b1");
            p[r][2] = tg_param(g, dt, TG_SHAPE(5, 3), "W2");
            p[r][3] = tg_param(g, dt, TG_SHAPE(3), "b2");
            for (int k = 0; k < 4; k++)
                for (int64_t i = 0; i < p[r][k]->numel; i++) {
                    double v = 0.5 * sin(1.3 * (double)i + k);
                    if (d) tg_f64(p[r][k])[i] = v;
                    else tg_f32(p[r][k])[i] = (float)v;
                }
            o[r] = tg_optim_new(&c, 4, p[r]);
        }
        for (int s = 0; s < 5; s++) {
            int64_t rows = s % 2 ? 4 : 1; /* batch 1 (outer products) and 4 */
            double xv[24];
            for (int i = 0; i < 24; i++) xv[i] = cos(0.9 * i + s);
            for (int r = 0; r < 2; r++) {
                tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(rows, 6), xv);
                x = tg_cast(x, dt);
                tg_tensor *h = tg_relu(tg_linear(x, p[r][0], p[r][1]));
                tg_tensor *y = tg_linear(h, p[r][2], p[r][3]);
                TT_CHECK(tg_backward(g, tg_sum_all(tg_mul(y, y))) == TG_OK);
                if (r == 0) {
                    tg_optim_step(o[0]);
                    tg_optim_zero_grad(o[0]);
                } else {
                    tg_optim_step_zero_grad(o[1]);
                }
            }
            tg_graph_reset(g);
        }
        bool same = true, zero = true;
        for (int k = 0; k < 4; k++)
            for (int64_t i = 0; i < p[0][k]->numel; i++) {
                same &= tg_get(p[0][k], i) == tg_get(p[1][k], i);
                zero &= tg_get(p[1][k]->grad, i) == 0;
            }
        TT_CHECK(same);
        TT_CHECK(zero);
        TT_CHECK(fabs(tg_get(p[1][2], 0) - 0.5 * sin(2.0)) > 1e-3); /* trained */
        tg_optim_free(o[0]);
        tg_optim_free(o[1]);
        tg_graph_free(g);
    }
}

static void opt_frozen(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *a = tg_param(g, TG_F64, TG_SHAPE(2), "a");
    tg_tensor *b = tg_param(g, TG_F64, TG_SHAPE(2), "b");
    tg_init_constant(a, 1);
    tg_init_constant(b, 1);
    tg_init_constant(a->grad, 1);
    tg_init_constant(b->grad, 1);
    tg_tensor_grad_written(a);
    tg_tensor_grad_written(b);
    tg_optim_config c = tg_optim_defaults(TG_OPTIM_ADAMW);
    c.weight_decay = 0.1;
    tg_tensor *ps[2] = {a, b};
    tg_optim *o = tg_optim_new(&c, 2, ps);
    tg_set_requires_grad(a, false);
    tg_optim_step(o);
    TT_CHECK(tg_f64(a)[0] == 1 && tg_f64(a)[1] == 1);
    TT_CHECK(tg_f64(b)[0] < 1);
    tg_set_requires_grad(a, true); /* unfrozen: trained again */
    tg_optim_step(o);
    TT_CHECK(tg_f64(a)[0] < 1);
    tg_optim_zero_grad(o);
    TT_CHECK(tg_f64(a->grad)[0] == 0 && tg_f64(b->grad)[1] == 0);
    tg_optim_free(o);
    tg_graph_free(g);
}

static void opt_errors(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *w = tg_param(g, TG_F32, TG_SHAPE(2), "w");
    tg_optim_config c = tg_optim_defaults(TG_OPTIM_ADAM);
    c.beta1 = 1.0;
    TT_CHECK(tg_optim_new(&c, 1, &w) == NULL);
    TT_STREQ(tg_last_error(),
             "tg_optim_new: adam betas (1, 0.999) must lie in [0, 1)");
    c = tg_optim_defaults(TG_OPTIM_SGD);
    c.lr = -1;
    TT_CHECK(tg_optim_new(&c, 1, &w) == NULL);
    TT_CONTAINS(tg_last_error(), "learning rate -1 must be finite");
    c.lr = 0.1;
    tg_tensor *ww[2] = {w, w};
    TT_CHECK(tg_optim_new(&c, 2, ww) == NULL);
    TT_STREQ(tg_last_error(), "tg_optim_new: parameter w is listed twice "
                              "(entries 0 and 1); it would be updated twice");
    tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(2), NULL);
    TT_CHECK(tg_optim_new(&c, 1, &x) == NULL);
    TT_CONTAINS(tg_last_error(), "entry 0 (unnamed) is not a parameter");
    c = tg_optim_defaults(TG_OPTIM_RMSPROP);
    c.eps = 0;
    TT_CHECK(tg_optim_new(&c, 1, &w) == NULL);
    TT_CHECK(tg_optim_step(NULL) == TG_ERR_ARG);
    tg_graph_free(g);
}

/* Steps allocate nothing; construction failures leak nothing (ASan). */
static void opt_allocation(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *ps[3];
    for (int i = 0; i < 3; i++) {
        ps[i] = tg_param(g, TG_F32, TG_SHAPE(10, 10), NULL);
        tg_init_constant(ps[i]->grad, 0.5);
    }
    tg_optim_config c = tg_optim_defaults(TG_OPTIM_ADAM);
    tg_optim *o = tg_optim_new(&c, 3, ps);
    uint64_t before = tg_alloc_count();
    for (int s = 0; s < 10; s++) tg_optim_step(o);
    double nrm;
    tg_clip_grad_norm(3, ps, 1.0, &nrm);
    TT_CHECK(tg_alloc_count() == before);
    tg_optim_free(o);

    bool ok = false;
    for (long k = 1; k <= 50 && !ok; k++) {
        hd_install(&oom, k, true, 0);
        tg_optim *p = tg_optim_new(&c, 3, ps);
        if (p) {
            ok = true;
            tg_optim_free(p);
        } else {
            TT_CONTAINS(tg_last_error(), "tg_optim_new: out of memory");
        }
    }
    hd_uninstall();
    TT_CHECK(ok);
    tg_graph_free(g);
}

static void clip_norm(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *a = tg_param(g, TG_F32, TG_SHAPE(2), "a");
    tg_tensor *b = tg_param(g, TG_F64, TG_SHAPE(1), "b");
    tg_f32(a->grad)[0] = 3;
    tg_f32(a->grad)[1] = 4;
    tg_f64(b->grad)[0] = 12; /* global norm sqrt(9 + 16 + 144) = 13 */
    tg_tensor *ps[2] = {a, b};
    double n;
    TT_CHECK(tg_clip_grad_norm(2, ps, 20, &n) == TG_OK);
    TT_NEAR(n, 13, 1e-15);
    TT_CHECK(tg_f64(b->grad)[0] == 12); /* under the limit: untouched */
    TT_CHECK(tg_clip_grad_norm(2, ps, 6.5, &n) == TG_OK);
    TT_NEAR(n, 13, 1e-15);
    double s = 6.5 / (13 + 1e-6);
    TT_NEAR(tg_f32(a->grad)[0], 3 * s, 1e-7);
    TT_NEAR(tg_f32(a->grad)[1], 4 * s, 1e-7);
    TT_NEAR(tg_f64(b->grad)[0], 12 * s, 1e-15);
    TT_CHECK(tg_clip_grad_norm(2, ps, 6.5, &n) == TG_OK);
    TT_NEAR(n, 6.5, 1e-6);
    /* frozen parameters neither count nor get scaled */
    tg_set_requires_grad(b, false);
    TT_CHECK(tg_clip_grad_norm(2, ps, 100, &n) == TG_OK);
    TT_NEAR(n, 5 * s, 1e-6);
    TT_CHECK(tg_clip_grad_norm(2, ps, 0, &n) == TG_ERR_ARG);
    TT_STREQ(tg_last_error(), "tg_clip_grad_norm: max_norm 0 must be > 0");
    tg_graph_free(g);
}

static void schedules(void)
{
    tg_lr_schedule s = {.kind = TG_LR_STEP, .base_lr = 0.1, .step_size = 10,
                        .gamma = 0.5};
    TT_NEAR(tg_lr_at(&s, 0), 0.1, 1e-15);
    TT_NEAR(tg_lr_at(&s, 9), 0.1, 1e-15);
    TT_NEAR(tg_lr_at(&s, 10), 0.05, 1e-15);
    TT_NEAR(tg_lr_at(&s, 25), 0.025, 1e-15);
    tg_lr_schedule c = {.kind = TG_LR_COSINE, .base_lr = 1, .total = 100,
                        .min_lr = 0.1};
    TT_NEAR(tg_lr_at(&c, 0), 1, 1e-15);
    TT_NEAR(tg_lr_at(&c, 50), 0.55, 1e-15);
    TT_NEAR(tg_lr_at(&c, 25), 0.1 + 0.9 * (1 + sqrt(0.5)) / 2, 1e-15);
    TT_NEAR(tg_lr_at(&c, 100), 0.1, 1e-15);
    TT_NEAR(tg_lr_at(&c, 1000), 0.1, 1e-15);
    c.warmup = 10; /* ramp 0.1, 0.2, ... 1.0, then cosine over 90 steps */
    TT_NEAR(tg_lr_at(&c, 0), 0.1, 1e-15);
    TT_NEAR(tg_lr_at(&c, 4), 0.5, 1e-15);
    TT_NEAR(tg_lr_at(&c, 9), 1.0, 1e-15);
    TT_NEAR(tg_lr_at(&c, 10), 1.0, 1e-15);
    TT_NEAR(tg_lr_at(&c, 55), 0.55, 1e-15);
    TT_NEAR(tg_lr_at(&c, 100), 0.1, 1e-15);
    tg_lr_schedule k = {.kind = TG_LR_CONSTANT, .base_lr = 0.3, .warmup = 3};
    TT_NEAR(tg_lr_at(&k, 1), 0.2, 1e-15);
    TT_NEAR(tg_lr_at(&k, 500), 0.3, 1e-15);
    TT_CHECK(isnan(tg_lr_at(&k, -1)));
    TT_CHECK(isnan(tg_lr_at(NULL, 0)));

    /* driving an optimizer: set_lr before each step */
    tg_graph *g = tg_graph_new();
    tg_tensor *w = tg_param(g, TG_F64, TG_SHAPE(1), "w");
    tg_optim_config oc = tg_optim_defaults(TG_OPTIM_SGD);
    tg_optim *o = tg_optim_new(&oc, 1, &w);
    tg_f64(w->grad)[0] = 1;
    tg_tensor_grad_written(w);
    for (int t = 0; t < 12; t++) {
        tg_optim_set_lr(o, tg_lr_at(&s, t));
        tg_optim_step(o);
    }
    TT_NEAR(tg_f64(w)[0], -(10 * 0.1 + 2 * 0.05), 1e-14);
    TT_NEAR(tg_optim_get_lr(o), 0.05, 0);
    tg_optim_free(o);
    tg_graph_free(g);
}

/* ------------------------------------------------ clearing to none */

/* The parameters of one model of the none tests: W1 [6,5], b1 [5], W2
 * [5,3], b2 [3], a scale s [3] (through mul, an op that ignores the
 * destination offer: its gradient is copied in) and u [2], which the
 * loss never reaches. */
enum { NONE_NP = 6 };
static void none_model(tg_graph *g, tg_dtype dt, tg_tensor **p)
{
    p[0] = tg_param(g, dt, TG_SHAPE(6, 5), "W1");
    p[1] = tg_param(g, dt, TG_SHAPE(5), "b1");
    p[2] = tg_param(g, dt, TG_SHAPE(5, 3), "W2");
    p[3] = tg_param(g, dt, TG_SHAPE(3), "b2");
    p[4] = tg_param(g, dt, TG_SHAPE(3), "s");
    p[5] = tg_param(g, dt, TG_SHAPE(2), "u");
    for (int k = 0; k < NONE_NP; k++)
        for (int64_t i = 0; i < p[k]->numel; i++) {
            double v = 0.5 * sin(1.3 * (double)i + k) + (k == 4);
            if (dt == TG_F64) tg_f64(p[k])[i] = v;
            else tg_f32(p[k])[i] = (float)v;
        }
}

static tg_tensor *none_loss(tg_graph *g, tg_dtype dt, tg_tensor **p,
                            int64_t rows, int step)
{
    double xv[24];
    for (int i = 0; i < 24; i++) xv[i] = cos(0.9 * i + step);
    tg_tensor *x = tg_cast(tg_input(g, TG_F64, TG_SHAPE(rows, 6), xv), dt);
    tg_tensor *h = tg_relu(tg_linear(x, p[0], p[1]));
    tg_tensor *y = tg_mul(tg_linear(h, p[2], p[3]), p[4]);
    return tg_sum_all(tg_mul(y, y));
}

static bool bits_equal(const tg_tensor *a, const tg_tensor *b)
{
    return a && b && a->numel == b->numel && a->dtype == b->dtype &&
           !memcmp(a->data, b->data,
                   (size_t)a->numel * (a->dtype == TG_F64 ? 8 : 4));
}

/* Momentum SGD and Adam, f32 and f64, batch 1 and 4: a model cleared to
 * none (set_to_none) trains bit for bit as one whose gradients are
 * zeroed; between steps its gradients read NULL, after each backward they
 * are back in the same buffers holding the other model's gradients, bit
 * for bit; the unreached parameter stays absent and unchanged. Both
 * tg_optim_step_zero_grad and tg_optim_step + tg_optim_zero_grad. */
static void none_trains_like_zeros(void)
{
    tg_optim_kind kinds[2] = {TG_OPTIM_MOMENTUM, TG_OPTIM_ADAM};
    for (int ki = 0; ki < 2; ki++)
        for (int d = 0; d < 2; d++) {
            tg_dtype dt = d ? TG_F64 : TG_F32;
            tg_graph *g = tg_graph_new();
            tg_tensor *p[2][NONE_NP], *buf[NONE_NP];
            tg_optim *o[2];
            tg_optim_config c = tg_optim_defaults(kinds[ki]);
            c.lr = 0.05;
            c.weight_decay = 0.01;
            for (int r = 0; r < 2; r++) {
                none_model(g, dt, p[r]);
                c.set_to_none = r == 1;
                o[r] = tg_optim_new(&c, NONE_NP, p[r]);
                TT_CHECK(tg_optim_get_config(o[r]).set_to_none == (r == 1));
            }
            for (int k = 0; k < NONE_NP; k++) buf[k] = p[1][k]->grad;
            bool same_grads = true, same_buf = true, absent = true,
                 unreached = true;
            for (int s = 0; s < 6; s++) {
                int64_t rows = s % 2 ? 4 : 1; /* outer products at batch 1 */
                for (int r = 0; r < 2; r++)
                    TT_CHECK(tg_backward(g, none_loss(g, dt, p[r], rows, s)) ==
                             TG_OK);
                for (int k = 0; k < 5; k++) {
                    same_grads &= bits_equal(p[0][k]->grad, p[1][k]->grad);
                    same_buf &= p[1][k]->grad == buf[k];
                    same_buf &= tg_tensor_has_grad(p[1][k]);
                }
                /* u: absent after its first clear, however often the
                 * pass runs without reaching it */
                unreached &= !tg_tensor_has_grad(p[0][5]) &&
                             !tg_tensor_has_grad(p[1][5]) &&
                             (s == 0 || p[1][5]->grad == NULL);
                for (int r = 0; r < 2; r++) {
                    if (s % 3 == 2) {
                        TT_CHECK(tg_optim_step(o[r]) == TG_OK);
                        tg_optim_zero_grad(o[r]);
                    } else {
                        TT_CHECK(tg_optim_step_zero_grad(o[r]) == TG_OK);
                    }
                }
                for (int k = 0; k < NONE_NP; k++) {
                    absent &= p[1][k]->grad == NULL;
                    absent &= !tg_tensor_has_grad(p[1][k]);
                    /* the default mode's still read as zeros */
                    absent &= p[0][k]->grad && tg_get(p[0][k]->grad, 0) == 0;
                }
                tg_graph_reset(g);
            }
            TT_CHECK(same_grads);
            TT_CHECK(same_buf);
            TT_CHECK(absent);
            TT_CHECK(unreached);
            bool same = true;
            for (int k = 0; k < NONE_NP; k++) same &= bits_equal(p[0][k], p[1][k]);
            TT_CHECK(same);
            /* trained; u never moved (no decay without a gradient) */
            TT_CHECK(fabs(tg_get(p[1][2], 0) - 0.5 * sin(2.0)) > 1e-3);
            TT_CHECK(tg_get(p[1][5], 1) == (d ? 0.5 * sin(6.3)
                                              : (float)(0.5 * sin(6.3))));
            TT_CHECK(tg_optim_steps(o[1]) == 6);
            tg_optim_free(o[0]);
            tg_optim_free(o[1]);
            tg_graph_free(g); /* frees the kept buffers (ASan, valgrind) */
        }
}

/* A weight used twice: the first contribution is written into the kept
 * buffer (linear) or copied (matmul ignores the offer), the second added
 * to it; the result equals tg_grad's fresh total and the default mode's
 * gradient, bit for bit, in both orders of use. */
static void none_shared_weight(void)
{
    for (int order = 0; order < 2; order++) {
        tg_graph *g = tg_graph_new();
        tg_tensor *W[2], *b[2];
        tg_optim *o[2];
        for (int r = 0; r < 2; r++) {
            W[r] = tg_param(g, TG_F64, TG_SHAPE(4, 4), "W");
            b[r] = tg_param(g, TG_F64, TG_SHAPE(4), "b");
            for (int i = 0; i < 16; i++) tg_f64(W[r])[i] = 0.3 * cos(i + 0.5);
            for (int i = 0; i < 4; i++) tg_f64(b[r])[i] = 0.1 * i;
            tg_optim_config c = tg_optim_defaults(TG_OPTIM_SGD);
            c.set_to_none = r == 1;
            tg_tensor *ps[2] = {W[r], b[r]};
            o[r] = tg_optim_new(&c, 2, ps);
            tg_optim_zero_grad(o[r]);
        }
        TT_CHECK(W[1]->grad == NULL && b[1]->grad == NULL);
        double xv[8];
        for (int i = 0; i < 8; i++) xv[i] = sin(0.7 * i);
        tg_tensor *loss[2];
        for (int r = 0; r < 2; r++) {
            tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(2, 4), xv);
            tg_tensor *h;
            if (order == 0) /* linear last: its VJP runs first */
                h = tg_add(tg_tanh(tg_matmul(x, W[r])),
                           tg_linear(x, W[r], b[r]));
            else
                h = tg_add(tg_linear(x, W[r], b[r]),
                           tg_tanh(tg_matmul(x, W[r])));
            /* and a third use of W behind both */
            tg_tensor *y = tg_linear(tg_tanh(h), W[r], NULL);
            loss[r] = tg_sum_all(tg_mul(y, y));
        }
        tg_tensor *want[2];
        tg_tensor *tg_in[2] = {W[1], b[1]};
        TT_CHECK(tg_grad(g, &loss[1], 1, NULL, tg_in, 2, false, want) ==
                 TG_OK);
        TT_CHECK(W[1]->grad == NULL); /* tg_grad leaves ->grad alone */
        TT_CHECK(tg_backward(g, loss[0]) == TG_OK);
        TT_CHECK(tg_backward(g, loss[1]) == TG_OK);
        TT_CHECK(bits_equal(W[1]->grad, want[0]));
        TT_CHECK(bits_equal(b[1]->grad, want[1]));
        TT_CHECK(bits_equal(W[1]->grad, W[0]->grad));
        TT_CHECK(bits_equal(b[1]->grad, b[0]->grad));
        TT_CHECK(tg_get(W[1]->grad, 5) != 0);
        /* a second backward without clearing adds, as in PyTorch */
        TT_CHECK(tg_backward(g, loss[1]) == TG_OK);
        TT_NEAR(tg_get(W[1]->grad, 5), 2 * tg_get(want[0], 5), 1e-15);
        for (int r = 0; r < 2; r++) tg_optim_free(o[r]);
        tg_graph_free(g);
    }
}

/* A backward pass that fails after writing a gradient into a kept buffer
 * (anomaly mode: sqrt's gradient at 0 is Inf, and its VJP runs after
 * linear's) delivers nothing: the gradients stay absent. The next pass
 * restores them with the right values. Then out-of-memory failures at
 * every allocation of a first backward leave them absent too, and free
 * the kept buffers with the graph (no block left). */
static void none_failed_backward(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *W = tg_param(g, TG_F64, TG_SHAPE(3, 2), "W");
    tg_tensor *b = tg_param(g, TG_F64, TG_SHAPE(2), "b");
    tg_tensor *q = tg_param(g, TG_F64, TG_SHAPE(2), "q"); /* q[0] = 0 */
    for (int i = 0; i < 6; i++) tg_f64(W)[i] = 0.25 * (i + 1);
    tg_f64(q)[1] = 4;
    tg_tensor *ps[3] = {W, b, q};
    tg_optim_config c = tg_optim_defaults(TG_OPTIM_MOMENTUM);
    c.set_to_none = true;
    tg_optim *o = tg_optim_new(&c, 3, ps);
    tg_tensor *kept = W->grad;
    tg_optim_zero_grad(o);
    TT_CHECK(kept != NULL && W->grad == NULL);
    double xv[3] = {1, -2, 0.5};
    tg_set_anomaly(g, true);
    tg_tensor *r = tg_sum_all(tg_sqrt(q)); /* recorded first: runs last */
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(1, 3), xv);
    tg_tensor *loss = tg_add(tg_sum_all(tg_linear(x, W, b)), r);
    TT_CHECK(tg_backward(g, loss) == TG_ERR_NUMERIC);
    TT_CONTAINS(tg_graph_error(g), "sqrt");
    TT_CHECK(W->grad == NULL && b->grad == NULL && q->grad == NULL);
    TT_CHECK(!tg_tensor_has_grad(W) && !tg_tensor_has_grad(q));
    /* a step after the failure moves nothing */
    TT_CHECK(tg_optim_step(o) == TG_OK);
    TT_CHECK(tg_f64(W)[0] == 0.25 && tg_f64(b)[0] == 0);
    tg_graph_reset(g);
    tg_set_anomaly(g, false);
    x = tg_input(g, TG_F64, TG_SHAPE(1, 3), xv);
    loss = tg_sum_all(tg_linear(x, W, b));
    TT_CHECK(tg_backward(g, loss) == TG_OK);
    TT_CHECK(W->grad == kept);
    /* d sum(x W + b) / dW[i][j] = x[i], / db = 1 */
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 2; j++)
            TT_CHECK(tg_f64(W->grad)[2 * i + j] == xv[i]);
    TT_CHECK(tg_f64(b->grad)[0] == 1 && tg_f64(b->grad)[1] == 1);
    TT_CHECK(q->grad == NULL); /* not reached */
    tg_optim_free(o);
    tg_graph_free(g);

    hd_alloc a;
    int failures = 0;
    bool done = false, absent_after_failure = true;
    for (long k = 1; k <= 60 && !done; k++) {
        hd_install(&a, 0, false, 0);
        g = tg_graph_new();
        W = tg_param(g, TG_F32, TG_SHAPE(3, 2), "W");
        b = tg_param(g, TG_F32, TG_SHAPE(2), "b");
        tg_tensor *pl[2] = {W, b};
        o = tg_optim_new(&c, 2, pl);
        tg_optim_zero_grad(o);
        x = tg_input(g, TG_F64, TG_SHAPE(1, 3), xv);
        tg_set_requires_grad(x, true); /* an input's buffer is made too */
        loss = tg_sum_all(tg_tanh(tg_linear(tg_cast(x, TG_F32), W, b)));
        a.fail_at = a.n_allocs + k;
        tg_status st = tg_backward(g, loss);
        a.fail_at = 0;
        if (st == TG_OK) {
            done = true;
            TT_CHECK(W->grad && tg_f32(W->grad)[0] != 0);
        } else {
            failures++;
            TT_CHECK(st == TG_ERR_OOM);
            absent_after_failure &= !W->grad && !b->grad;
        }
        tg_optim_free(o);
        tg_graph_free(g);
        TT_CHECK(a.live == 0);
        hd_uninstall();
    }
    TT_CHECK(done);
    TT_CHECK(failures > 0);
    TT_CHECK(absent_after_failure);
}

/* Readers of gradients with one absent: clipping skips it (its norm is
 * that of the others), hand-written gradients need the buffer back
 * (tg_tensor_zero_grad), tg_zero_grad gives every buffer back as zeros,
 * DOT shows no gradient for it, save and load leave it absent. */
static void none_readers(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *a = tg_param(g, TG_F32, TG_SHAPE(2), "a");
    tg_tensor *b = tg_param(g, TG_F64, TG_SHAPE(1), "b");
    tg_tensor *c = tg_param(g, TG_F32, TG_SHAPE(2), "c");
    tg_f32(a->grad)[0] = 3;
    tg_f32(a->grad)[1] = 4;
    tg_f64(b->grad)[0] = 12;
    tg_f32(c->grad)[0] = 100;
    tg_tensor_grad_written(a);
    tg_tensor_grad_written(b);
    tg_tensor_grad_written(c);
    tg_tensor *cbuf = c->grad;
    tg_optim_config oc = tg_optim_defaults(TG_OPTIM_SGD);
    oc.set_to_none = true;
    tg_optim *o = tg_optim_new(&oc, 1, &c);
    tg_optim_zero_grad(o);
    TT_CHECK(c->grad == NULL && !tg_tensor_has_grad(c));
    TT_CHECK(tg_tensor_has_grad(a)); /* not in that optimizer */
    tg_tensor *ps[3] = {a, b, c};
    double n = 0;
    TT_CHECK(tg_clip_grad_norm(3, ps, 6.5, &n) == TG_OK);
    TT_NEAR(n, 13, 1e-15);
    TT_NEAR(tg_f32(a->grad)[0], 3 * 6.5 / (13 + 1e-6), 1e-7);
    TT_CHECK(c->grad == NULL);
    TT_CHECK(tg_clip_grad_value(3, ps, 1.0) == TG_OK);
    TT_CHECK(tg_f64(b->grad)[0] == 1.0);
    TT_CHECK(c->grad == NULL);
    /* DOT of a graph using a and c: a's gradient shown, c's not */
    tg_tensor *y = tg_add(a, c);
    (void)y;
    FILE *f = tmpfile();
    TT_CHECK(f && tg_graph_write_dot(g, f, NULL) == TG_OK);
    char text[4096] = {0};
    if (f) {
        rewind(f);
        text[fread(text, 1, sizeof text - 1, f)] = 0;
        fclose(f);
    }
    /* each leaf's label runs from its name to the next quote */
    char *at_a = strstr(text, "a (param"), *at_c = strstr(text, "c (param");
    char *end_a = at_a ? strchr(at_a, '"') : NULL;
    char *end_c = at_c ? strchr(at_c, '"') : NULL;
    TT_CHECK(end_a && end_c);
    if (end_a && end_c) {
        *end_a = *end_c = 0;
        TT_CHECK(strstr(at_a, "grad [1, 1]") != NULL); /* clamped to 1 */
        TT_CHECK(strstr(at_c, "grad") == NULL);
    }
    /* save and load: values round trip, the gradient stays absent */
    char path[] = "/tmp/tg_none_XXXXXX";
    int fd = mkstemp(path);
    TT_CHECK(fd >= 0);
    if (fd >= 0) close(fd);
    tg_f32(c)[1] = 7;
    TT_CHECK(tg_save(path, 3, ps, o) == TG_OK);
    tg_f32(c)[1] = 0;
    TT_CHECK(tg_load(path, 3, ps, o) == TG_OK);
    TT_CHECK(tg_f32(c)[1] == 7 && c->grad == NULL);
    TT_CHECK(tg_optim_get_config(o).set_to_none);
    remove(path);
    /* hand-written gradients: the buffer back first */
    TT_CHECK(tg_tensor_grad_written(c) == TG_ERR_ARG);
    TT_STREQ(tg_last_error(), "tg_tensor_grad_written: c has no gradient "
                              "buffer: its gradient was cleared to none; "
                              "hint: tg_tensor_zero_grad gives the buffer "
                              "back (as zeros) to write into");
    tg_tensor_zero_grad(c);
    TT_CHECK(c->grad == cbuf && tg_f32(c->grad)[0] == 0 &&
             tg_f32(c->grad)[1] == 0 && !tg_tensor_has_grad(c));
    tg_f32(c->grad)[1] = 2;
    TT_CHECK(tg_tensor_grad_written(c) == TG_OK && tg_tensor_has_grad(c));
    TT_CHECK(tg_optim_step(o) == TG_OK);
    TT_NEAR(tg_f32(c)[1], 7 - 0.01 * 2, 1e-6);
    /* the graph-wide zero_grad gives absent buffers back as zeros */
    tg_optim_zero_grad(o);
    TT_CHECK(c->grad == NULL);
    /* a parameter whose gradient is absent joins another optimizer */
    tg_optim_config sc = tg_optim_defaults(TG_OPTIM_SGD);
    tg_optim *o2 = tg_optim_new(&sc, 1, &c);
    TT_CHECK(o2 != NULL);
    TT_CHECK(tg_optim_add_group(o, 1, &a, NULL) == 1);
    /* a zeroing optimizer's zero_grad gives it its buffer back, zeroed */
    tg_optim_zero_grad(o2);
    TT_CHECK(c->grad == cbuf && tg_f32(c->grad)[1] == 0);
    tg_optim_free(o2);
    tg_optim_zero_grad(o); /* both absent now */
    TT_CHECK(c->grad == NULL && a->grad == NULL);
    tg_zero_grad(g);
    TT_CHECK(c->grad == cbuf && tg_f32(c->grad)[1] == 0);
    tg_optim_free(o);
    tg_graph_free(g);
}

/* A steady loop that clears to none allocates nothing: neither the clear
 * nor the backward that gives the buffers back. */
static void none_no_allocation(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *p[NONE_NP];
    none_model(g, TG_F32, p);
    tg_optim_config c = tg_optim_defaults(TG_OPTIM_ADAM);
    c.set_to_none = true;
    tg_optim *o = tg_optim_new(&c, NONE_NP, p);
    uint64_t before = 0;
    for (int s = 0; s < 6; s++) {
        if (s == 3) before = tg_alloc_count();
        TT_CHECK(tg_backward(g, none_loss(g, TG_F32, p, 1, s)) == TG_OK);
        tg_optim_step_zero_grad(o);
        tg_graph_reset(g);
    }
    TT_CHECK(tg_alloc_count() == before);
    TT_CHECK(p[0]->grad == NULL);
    tg_optim_free(o);
    tg_graph_free(g);
}

TT_RUN(TT(init_variances), TT(init_constant_and_seed), TT(init_errors),
       TT(opt_sgd), TT(opt_momentum), TT(opt_nesterov), TT(opt_adam),
       TT(opt_adamw), TT(opt_rmsprop), TT(opt_large_threaded),
       TT(opt_frozen), TT(opt_errors), TT(opt_allocation), TT(clip_norm),
       TT(schedules), TT(opt_step_zero_grad), TT(opt_step_zero_grad_training),
       TT(none_trains_like_zeros), TT(none_shared_weight),
       TT(none_failed_backward), TT(none_readers), TT(none_no_allocation))
