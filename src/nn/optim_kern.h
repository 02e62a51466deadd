/* The optimizers' update rules (src/nn/optim.c has the formulas and the
 * step that drives them): for each method and dtype a scalar reference
 * over elements [lo, hi) (`<method>_ref_f32/_f64`, the specification, also
 * the tail of the vector versions) and, in the kernel units (ops/simd.h in
 * scope), the vector version (`k_<method>_f32/_f64`, the entry of the kernel unit). f32 parameters are
 * updated in f32 arithmetic as PyTorch does; the vector versions fuse
 * multiply-adds where the instruction set has FMA. */
#ifndef TAPEGRAD_OPTIM_KERN_H
#define TAPEGRAD_OPTIM_KERN_H

#include "ops/kernels.h"

#include <math.h>
#include <stdint.h>

/* Constants are computed once per step in double and narrowed to the
 * parameter's dtype inside the kernel. ADAM covers ADAMW: the step passes
 * wd = 0 and decay = 1 - lr wd for the decoupled form, wd and decay = 1
 * for the classical one. */
struct tg_optim_args {
    void *w, *m, *v;
    void *g;
    int zero_g; /* store zeros into g once read (tg_optim_step_zero_grad) */
    double lr, wd, beta; /* beta: momentum (MOMENTUM, NESTEROV, RMSPROP) */
    int nesterov;
    double decay, b1, b2, ss, rbc2, eps, alpha;
};

/* ---- SGD: w -= lr (g + wd w) */
static inline void sgd_ref_f32(int64_t lo, int64_t hi, const tg_optim_args *a)
{
    float *restrict w = a->w, *restrict g = a->g;
    const float lr = (float)a->lr, wd = (float)a->wd;
    for (int64_t i = lo; i < hi; i++) {
        float gi = g[i];
        if (a->zero_g) g[i] = 0;
        w[i] -= lr * (gi + wd * w[i]);
    }
}
static inline void sgd_ref_f64(int64_t lo, int64_t hi, const tg_optim_args *a)
{
    double *restrict w = a->w, *restrict g = a->g;
    const double lr = a->lr, wd = a->wd;
    for (int64_t i = lo; i < hi; i++) {
        double gi = g[i];
        if (a->zero_g) g[i] = 0;
        w[i] -= lr * (gi + wd * w[i]);
    }
}

/* ---- MOMENTUM: m = b m - lr g; w += m.
 * NESTEROV: m = b m - lr g; w += b m - lr g. */
static inline void momentum_ref_f32(int64_t lo, int64_t hi, const tg_optim_args *a)
{
    float *restrict w = a->w, *restrict m = a->m, *restrict g = a->g;
    const float lr = (float)a->lr, wd = (float)a->wd, b = (float)a->beta;
    const int nest = a->nesterov;
    for (int64_t i = lo; i < hi; i++) {
        float gi = g[i];
        if (a->zero_g) g[i] = 0;
        float step = lr * (gi + wd * w[i]);
        float mi = b * m[i] - step;
        m[i] = mi;
        w[i] += nest ? b * mi - step : mi;
    }
}
static inline void momentum_ref_f64(int64_t lo, int64_t hi, const tg_optim_args *a)
{
    double *restrict w = a->w, *restrict m = a->m, *restrict g = a->g;
    const double lr = a->lr, wd = a->wd, b = a->beta;
    const int nest = a->nesterov;
    for (int64_t i = lo; i < hi; i++) {
        double gi = g[i];
        if (a->zero_g) g[i] = 0;
        double step = lr * (gi + wd * w[i]);
        double mi = b * m[i] - step;
        m[i] = mi;
        w[i] += nest ? b * mi - step : mi;
    }
}

/* ---- ADAM (and ADAMW): m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 * w = w decay - ss m / (sqrt(v) rbc2 + eps) */
static inline void adam_ref_f32(int64_t lo, int64_t hi, const tg_optim_args *a)
{
    float *restrict w = a->w, *restrict m = a->m, *restrict v = a->v;
    float *restrict g = a->g;
    const float wd = (float)a->wd, dc = (float)a->decay, b1 = (float)a->b1;
    const float b2 = (float)a->b2, c1 = 1 - b1, c2 = 1 - b2, ss = (float)a->ss;
    const float rb = (float)a->rbc2, eps = (float)a->eps;
    for (int64_t i = lo; i < hi; i++) {
        float gi0 = g[i];
        if (a->zero_g) g[i] = 0;
        float wi = w[i], gi = gi0 + wd * wi;
        float mi = b1 * m[i] + c1 * gi, vi = b2 * v[i] + c2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        w[i] = wi * dc - ss * mi / (sqrtf(vi) * rb + eps);
    }
}
static inline void adam_ref_f64(int64_t lo, int64_t hi, const tg_optim_args *a)
{
    double *restrict w = a->w, *restrict m = a->m, *restrict v = a->v;
    double *restrict g = a->g;
    const double wd = a->wd, dc = a->decay, b1 = a->b1, b2 = a->b2;
    const double c1 = 1 - b1, c2 = 1 - b2, ss = a->ss, rb = a->rbc2, eps = a->eps;
    for (int64_t i = lo; i < hi; i++) {
        double gi0 = g[i];
        if (a->zero_g) g[i] = 0;
        double wi = w[i], gi = gi0 + wd * wi;
        double mi = b1 * m[i] + c1 * gi, vi = b2 * v[i] + c2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        w[i] = wi * dc - ss * mi / (sqrt(vi) * rb + eps);
    }
}

/* ---- RMSPROP: v = al v + (1-al) g^2; q = g / (sqrt(v) + eps); with
 * momentum (m non-NULL) m = mu m + q and q = m; w -= lr q */
static inline void rmsprop_ref_f32(int64_t lo, int64_t hi, const tg_optim_args *a)
{
    float *restrict w = a->w, *restrict m = a->m, *restrict v = a->v;
    float *restrict g = a->g;
    const float wd = (float)a->wd, al = (float)a->alpha, c = 1 - al;
    const float eps = (float)a->eps, mu = (float)a->beta, lr = (float)a->lr;
    for (int64_t i = lo; i < hi; i++) {
        float gi0 = g[i];
        if (a->zero_g) g[i] = 0;
        float gi = gi0 + wd * w[i];
        float vi = al * v[i] + c * gi * gi;
        v[i] = vi;
        float q = gi / (sqrtf(vi) + eps);
        if (m) {
            q = mu * m[i] + q;
            m[i] = q;
        }
        w[i] -= lr * q;
    }
}
static inline void rmsprop_ref_f64(int64_t lo, int64_t hi, const tg_optim_args *a)
{
    double *restrict w = a->w, *restrict m = a->m, *restrict v = a->v;
    double *restrict g = a->g;
    const double wd = a->wd, al = a->alpha, c = 1 - al;
    const double eps = a->eps, mu = a->beta, lr = a->lr;
    for (int64_t i = lo; i < hi; i++) {
        double gi0 = g[i];
        if (a->zero_g) g[i] = 0;
        double gi = gi0 + wd * w[i];
        double vi = al * v[i] + c * gi * gi;
        v[i] = vi;
        double q = gi / (sqrt(vi) + eps);
        if (m) {
            q = mu * m[i] + q;
            m[i] = q;
        }
        w[i] -= lr * q;
    }
}

#ifdef TG_SIMD_LEVEL
/* The vector versions: whole vectors, then the reference for the tail. */
static void k_sgd_f32(int64_t lo, int64_t hi, const tg_optim_args *a)
{
    float *restrict w = a->w, *restrict g = a->g;
    const int zg = a->zero_g;
    const vf lr = vf_set1((float)a->lr), wd = vf_set1((float)a->wd);
    int64_t i = lo;
    for (; i + TG_NF <= hi; i += TG_NF) {
        vf g0 = vf_load(g + i);
        if (zg) vf_store(g + i, vf_zero());
        vf wv = vf_load(w + i);
        vf_store(w + i, vf_sub(wv, vf_mul(lr, vf_fma(wd, wv, g0))));
    }
    sgd_ref_f32(i, hi, a);
}
static void k_sgd_f64(int64_t lo, int64_t hi, const tg_optim_args *a)
{
    double *restrict w = a->w, *restrict g = a->g;
    const int zg = a->zero_g;
    const vd lr = vd_set1(a->lr), wd = vd_set1(a->wd);
    int64_t i = lo;
    for (; i + TG_ND <= hi; i += TG_ND) {
        vd g0 = vd_load(g + i);
        if (zg) vd_store(g + i, vd_zero());
        vd wv = vd_load(w + i);
        vd_store(w + i, vd_sub(wv, vd_mul(lr, vd_fma(wd, wv, g0))));
    }
    sgd_ref_f64(i, hi, a);
}
static void k_momentum_f32(int64_t lo, int64_t hi, const tg_optim_args *a)
{
    float *restrict w = a->w, *restrict m = a->m, *restrict g = a->g;
    const int zg = a->zero_g, nest = a->nesterov;
    const vf lr = vf_set1((float)a->lr), wd = vf_set1((float)a->wd);
    const vf b = vf_set1((float)a->beta), c = nest ? b : vf_set1(1.0f);
    int64_t i = lo;
    for (; i + TG_NF <= hi; i += TG_NF) {
        vf g0 = vf_load(g + i);
        if (zg) vf_store(g + i, vf_zero());
        vf wv = vf_load(w + i);
        vf step = vf_mul(lr, vf_fma(wd, wv, g0));
        vf mv = vf_sub(vf_mul(b, vf_load(m + i)), step);
        vf_store(m + i, mv);
        vf d = vf_mul(c, mv); /* w += c m, minus lr g for Nesterov */
        if (nest) d = vf_sub(d, step);
        vf_store(w + i, vf_add(wv, d));
    }
    momentum_ref_f32(i, hi, a);
}
static void k_momentum_f64(int64_t lo, int64_t hi, const tg_optim_args *a)
{
    double *restrict w = a->w, *restrict m = a->m, *restrict g = a->g;
    const int zg = a->zero_g, nest = a->nesterov;
    const vd lr = vd_set1(a->lr), wd = vd_set1(a->wd);
    const vd b = vd_set1(a->beta), c = nest ? b : vd_set1(1.0);
    int64_t i = lo;
    for (; i + TG_ND <= hi; i += TG_ND) {
        vd g0 = vd_load(g + i);
        if (zg) vd_store(g + i, vd_zero());
        vd wv = vd_load(w + i);
        vd step = vd_mul(lr, vd_fma(wd, wv, g0));
        vd mv = vd_sub(vd_mul(b, vd_load(m + i)), step);
        vd_store(m + i, mv);
        vd d = vd_mul(c, mv);
        if (nest) d = vd_sub(d, step);
        vd_store(w + i, vd_add(wv, d));
    }
    momentum_ref_f64(i, hi, a);
}
static void k_adam_f32(int64_t lo, int64_t hi, const tg_optim_args *a)
{
    float *restrict w = a->w, *restrict m = a->m, *restrict v = a->v;
    float *restrict g = a->g;
    const int zg = a->zero_g;
    const float b1 = (float)a->b1, b2 = (float)a->b2;
    const vf wd = vf_set1((float)a->wd), dc = vf_set1((float)a->decay);
    const vf vb1 = vf_set1(b1), vb2 = vf_set1(b2), c1 = vf_set1(1 - b1), c2 = vf_set1(1 - b2);
    const vf ss = vf_set1((float)a->ss), rb = vf_set1((float)a->rbc2), eps = vf_set1((float)a->eps);
    int64_t i = lo;
    for (; i + TG_NF <= hi; i += TG_NF) {
        vf g0 = vf_load(g + i);
        if (zg) vf_store(g + i, vf_zero());
        vf wv = vf_load(w + i);
        vf gv = vf_fma(wd, wv, g0);
        vf mv = vf_fma(vb1, vf_load(m + i), vf_mul(c1, gv));
        vf vv = vf_fma(vb2, vf_load(v + i), vf_mul(vf_mul(c2, gv), gv));
        vf_store(m + i, mv);
        vf_store(v + i, vv);
        vf den = vf_fma(vf_sqrt(vv), rb, eps);
        vf_store(w + i, vf_sub(vf_mul(wv, dc), vf_div(vf_mul(ss, mv), den)));
    }
    adam_ref_f32(i, hi, a);
}
static void k_adam_f64(int64_t lo, int64_t hi, const tg_optim_args *a)
{
    double *restrict w = a->w, *restrict m = a->m, *restrict v = a->v;
    double *restrict g = a->g;
    const int zg = a->zero_g;
    const vd wd = vd_set1(a->wd), dc = vd_set1(a->decay);
    const vd vb1 = vd_set1(a->b1), vb2 = vd_set1(a->b2);
    const vd c1 = vd_set1(1 - a->b1), c2 = vd_set1(1 - a->b2);
    const vd ss = vd_set1(a->ss), rb = vd_set1(a->rbc2), eps = vd_set1(a->eps);
    int64_t i = lo;
    for (; i + TG_ND <= hi; i += TG_ND) {
        vd g0 = vd_load(g + i);
        if (zg) vd_store(g + i, vd_zero());
        vd wv = vd_load(w + i);
        vd gv = vd_fma(wd, wv, g0);
        vd mv = vd_fma(vb1, vd_load(m + i), vd_mul(c1, gv));
        vd vv = vd_fma(vb2, vd_load(v + i), vd_mul(vd_mul(c2, gv), gv));
        vd_store(m + i, mv);
        vd_store(v + i, vv);
        vd den = vd_fma(vd_sqrt(vv), rb, eps);
        vd_store(w + i, vd_sub(vd_mul(wv, dc), vd_div(vd_mul(ss, mv), den)));
    }
    adam_ref_f64(i, hi, a);
}
static void k_rmsprop_f32(int64_t lo, int64_t hi, const tg_optim_args *a)
{
    float *restrict w = a->w, *restrict m = a->m, *restrict v = a->v;
    float *restrict g = a->g;
    const int zg = a->zero_g;
    const float al = (float)a->alpha;
    const vf wd = vf_set1((float)a->wd), val = vf_set1(al), c = vf_set1(1 - al);
    const vf eps = vf_set1((float)a->eps), mu = vf_set1((float)a->beta), lr = vf_set1((float)a->lr);
    int64_t i = lo;
    for (; i + TG_NF <= hi; i += TG_NF) {
        vf g0 = vf_load(g + i);
        if (zg) vf_store(g + i, vf_zero());
        vf wv = vf_load(w + i);
        vf gv = vf_fma(wd, wv, g0);
        vf vv = vf_fma(val, vf_load(v + i), vf_mul(vf_mul(c, gv), gv));
        vf_store(v + i, vv);
        vf q = vf_div(gv, vf_add(vf_sqrt(vv), eps));
        if (m) {
            q = vf_fma(mu, vf_load(m + i), q);
            vf_store(m + i, q);
        }
        vf_store(w + i, vf_sub(wv, vf_mul(lr, q)));
    }
    rmsprop_ref_f32(i, hi, a);
}
static void k_rmsprop_f64(int64_t lo, int64_t hi, const tg_optim_args *a)
{
    double *restrict w = a->w, *restrict m = a->m, *restrict v = a->v;
    double *restrict g = a->g;
    const int zg = a->zero_g;
    const vd wd = vd_set1(a->wd), val = vd_set1(a->alpha), c = vd_set1(1 - a->alpha);
    const vd eps = vd_set1(a->eps), mu = vd_set1(a->beta), lr = vd_set1(a->lr);
    int64_t i = lo;
    for (; i + TG_ND <= hi; i += TG_ND) {
        vd g0 = vd_load(g + i);
        if (zg) vd_store(g + i, vd_zero());
        vd wv = vd_load(w + i);
        vd gv = vd_fma(wd, wv, g0);
        vd vv = vd_fma(val, vd_load(v + i), vd_mul(vd_mul(c, gv), gv));
        vd_store(v + i, vv);
        vd q = vd_div(gv, vd_add(vd_sqrt(vv), eps));
        if (m) {
            q = vd_fma(mu, vd_load(m + i), q);
            vd_store(m + i, q);
        }
        vd_store(w + i, vd_sub(wv, vd_mul(lr, q)));
    }
    rmsprop_ref_f64(i, hi, a);
}
#endif

#endif
