/* Layer norm and batch norm (training statistics), their fused backward
 * op and the 1/std helper their second-order VJPs need.
 *
 * Legend: x is viewed as [A, G, B]; each of the G groups is normalised
 * over its D = A*B elements.
 *   layer_norm over the last k dims:  A = 1, G = rows, B = trailing size
 *   batch_norm on [N, C, ...]:        A = N, G = C,    B = spatial size
 * Per group: mu = mean x, v = mean (x - mu)^2 (biased), r = 1/sqrt(v +
 * eps), xh = (x - mu) r. Affine weight w / bias b (optional) broadcast
 * NumPy-style: [trailing dims] for layer norm, [C, 1, ...] for batch norm
 * (tg_batch_norm reshapes its [C] vectors).
 *
 *   <norm>(x, w, b)           y = xh w + b
 *   <norm>_backward(g, x, w)  z = r (u - gmean(u) - xh gmean(u xh)),
 *                             u = g w: the input gradient of <norm>
 *   <norm>_rstd(x)            r, in the keepdim shape of the groups
 * gmean is the mean over a group, broadcast back. Write P for the
 * symmetric projection P v = v - gmean(v) - xh gmean(v xh), so that
 * d xh = r P dx and z = r P u.
 * VJPs (h = incoming gradient):
 *   <norm>:           dx = <norm>_backward(g, x, w)
 *                     dw = g xh,  db = g     (the engine sums to w's shape)
 *   <norm>_backward:  du = <norm>_backward(h, x)     (r P is symmetric)
 *                     dg = du w,  dw = du g
 *                     dx = -r (gmean(h z) xh + gmean(u xh) du
 *                              + gmean(h xh) z)
 *   <norm>_rstd:      dx = -h r^2 xh / D
 * where xh = <norm>(x) without affine and r = <norm>_rstd(x) are
 * recomputed as ops, so every VJP is differentiable again. The backward
 * ops recompute mu and r per group rather than read them from a node.
 *
 * When the backward pass is not recorded, both norms take a fused path
 * that computes dx, dw and db in one kernel (the three formulas above,
 * dw and db already summed to the parameters' shapes). Layer norm
 * recomputes its row statistics there; batch norm reads the mean and
 * 1/std its forward saved (bn_saved below, as PyTorch's save_mean and
 * save_invstd): its groups span the whole batch, far larger than the
 * cache, so recomputing them would read x twice more.
 *
 * batch_norm's forward also updates the running buffers (inputs after w
 * and b) in place: r <- (1 - momentum) r + momentum s with the unbiased
 * batch variance, as PyTorch does. They receive no gradient.
 */
#include "ops/array.h"

#include <math.h>
#include <omp.h>

#define NAXES i[0]   /* layer_norm: number of trailing dims normalised */
#define FLAGS i[1]   /* which optional inputs follow x (bits below)    */
#define EPS f[0]     /* added to the variance                          */
#define MOMENTUM f[1] /* batch_norm running-statistics momentum        */
enum { HAS_W = 1, HAS_B = 2, HAS_RUN = 4 };

/* Saved by batch_norm's forward for its fused VJP, per channel. */
typedef struct bn_saved {
    double *mu;   /* batch mean */
    double *rstd; /* 1 / sqrt(biased batch variance + eps) */
} bn_saved;

static bool is_bn(const tg_node *n)
{
    return n->op == &tg_op_batch_norm || n->op == &tg_op_batch_norm_backward ||
           n->op == &tg_op_batch_norm_rstd;
}

typedef struct nlay {
    int64_t A, G, B;
} nlay;

static nlay layout(const tg_node *n, const tg_tensor *x)
{
    nlay L = {1, 1, 1};
    if (is_bn(n)) {
        L.A = x->shape[0];
        L.G = x->shape[1];
        L.B = tg__extent(x->ndim - 2, x->shape + 2);
    } else {
        int k = (int)n->attr.NAXES;
        L.G = tg__extent(x->ndim - k, x->shape);
        L.B = tg__extent(k, x->shape + x->ndim - k);
    }
    /* an empty group is empty whichever factor is 0; without this a loop
     * over A = 2^40 rows of zero length each ([2^40, 1, 0] in batch norm)
     * runs for hours */
    if (L.A == 0 || L.B == 0) L.A = L.B = 0;
    return L;
}

/* The group axes (the reduced ones) of x. */
static int group_axes(const tg_node *n, const tg_tensor *x, int64_t *ax)
{
    int m = 0;
    if (is_bn(n)) {
        ax[m++] = 0;
        for (int i = 2; i < x->ndim; i++) ax[m++] = i;
    } else {
        for (int i = x->ndim - (int)n->attr.NAXES; i < x->ndim; i++)
            ax[m++] = i;
    }
    return m;
}

/* ---------------------------------------------------------- shape rules */

static tg_status check_x(tg_graph *g, tg_node *n, const tg_tensor *x)
{
    char sb[TG_SHAPE_BUF];
    if (!(n->attr.EPS >= 0))
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "eps must be >= 0, got %g; hint: PyTorch uses "
                           "1e-5",
                           n->attr.EPS);
    if (is_bn(n)) {
        if (x->ndim < 2)
            return tg__op_fail(g, n, TG_ERR_SHAPE,
                               "x must be [N, C, ...] with at least 2 dims, "
                               "got %s",
                               tg__fmt_shape(sb, x->ndim, x->shape));
        return TG_OK;
    }
    if (n->attr.NAXES < 1 || n->attr.NAXES > x->ndim)
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "cannot normalise the last %lld dims of %s; hint: "
                           "1 <= naxes <= ndim",
                           (long long)n->attr.NAXES,
                           tg__fmt_shape(sb, x->ndim, x->shape));
    return TG_OK;
}

/* w or b must be the trailing shape (layer norm) or [C, 1, ...]. */
static tg_status check_affine(tg_graph *g, tg_node *n, const tg_tensor *x,
                              const tg_tensor *p, const char *what)
{
    int64_t want[TG_MAX_DIMS];
    int nd;
    if (is_bn(n)) {
        nd = x->ndim - 1;
        want[0] = x->shape[1];
        for (int i = 1; i < nd; i++) want[i] = 1;
    } else {
        nd = (int)n->attr.NAXES;
        for (int i = 0; i < nd; i++) want[i] = x->shape[x->ndim - nd + i];
    }
    bool ok = p->ndim == nd;
    for (int i = 0; ok && i < nd; i++) ok = p->shape[i] == want[i];
    if (ok) return TG_OK;
    char s1[TG_SHAPE_BUF], s2[TG_SHAPE_BUF], s3[TG_SHAPE_BUF];
    return tg__op_fail(g, n, TG_ERR_SHAPE,
                       "%s %s does not match x %s; hint: it must be %s",
                       what, tg__fmt_shape(s1, p->ndim, p->shape),
                       tg__fmt_shape(s2, x->ndim, x->shape),
                       tg__fmt_shape(s3, nd, want));
}

/* Which optional inputs follow x. The C functions say so in FLAGS; a
 * node recorded through tg_apply (or any caller leaving the undeclared
 * slot zero) has them in the order w, b, then the two running buffers as
 * a pair, as the expression language passes them. layer_norm's naxes 0
 * means the default of tg_layer_norm: w's rank, else b's, else 1. */
static tg_status norm_inputs(tg_graph *g, tg_node *n)
{
    int extra = n->n_in - 1;
    bool bn = is_bn(n);
    if (n->attr.FLAGS == 0 && extra > 0) {
        if (bn && extra == 3)
            return tg__op_fail(g, n, TG_ERR_ARG,
                               "got 4 inputs (x, w, b and one running "
                               "buffer); hint: pass both running_mean and "
                               "running_var, or neither");
        n->attr.FLAGS = HAS_W | (extra >= 2 ? HAS_B : 0) |
                        (extra == 4 ? HAS_RUN : 0);
    }
    int64_t f = n->attr.FLAGS;
    int named = !!(f & HAS_W) + !!(f & HAS_B) + (f & HAS_RUN ? 2 : 0);
    if (named != extra || (f & ~(int64_t)(HAS_W | HAS_B | HAS_RUN)) ||
        (!bn && (f & HAS_RUN)))
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "optional-input flags %lld name %d inputs after "
                           "x, got %d; hint: record it through its C "
                           "function, or pass the attributes of "
                           "tg_attrs_defaults",
                           (long long)f, named, extra);
    if (!bn && n->attr.NAXES == 0)
        n->attr.NAXES = extra > 0 ? n->in[1]->ndim : 1;
    return TG_OK;
}

static tg_status norm_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    const tg_tensor *x = n->in[0];
    tg_status st = norm_inputs(g, n);
    if (st != TG_OK) return st;
    st = check_x(g, n, x);
    if (st != TG_OK) return st;
    int k = 1;
    if (n->attr.FLAGS & HAS_W) {
        st = check_affine(g, n, x, n->in[k++], "weight");
        if (st != TG_OK) return st;
    }
    if (n->attr.FLAGS & HAS_B) {
        st = check_affine(g, n, x, n->in[k++], "bias");
        if (st != TG_OK) return st;
    }
    if (is_bn(n)) {
        nlay L = layout(n, x);
        char sb[TG_SHAPE_BUF], s2[TG_SHAPE_BUF];
        if ((double)L.A * (double)L.B <= 1)
            return tg__op_fail(g, n, TG_ERR_SHAPE,
                               "expected more than 1 value per channel when "
                               "training, got x %s; hint: use a larger batch "
                               "or eval mode",
                               tg__fmt_shape(sb, x->ndim, x->shape));
        if (n->attr.FLAGS & HAS_RUN)
            for (int j = 0; j < 2; j++) {
                const tg_tensor *r = n->in[k + j];
                if (r->ndim != 1 || r->shape[0] != L.G)
                    return tg__op_fail(
                        g, n, TG_ERR_SHAPE,
                        "running %s %s does not match %lld channels of x %s",
                        j ? "var" : "mean",
                        tg__fmt_shape(sb, r->ndim, r->shape), (long long)L.G,
                        tg__fmt_shape(s2, x->ndim, x->shape));
            }
    }
    return tg_shape_same(g, n, out);
}

/* (g, x [, w]) */
static tg_status norm_bw_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    const tg_tensor *gy = n->in[0], *x = n->in[1];
    n->attr.FLAGS = n->n_in > 2 ? HAS_W : 0; /* as the C functions set it */
    if (!tg__same_shape(gy, x)) {
        char s1[TG_SHAPE_BUF], s2[TG_SHAPE_BUF];
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "gradient %s and x %s differ in shape",
                           tg__fmt_shape(s1, gy->ndim, gy->shape),
                           tg__fmt_shape(s2, x->ndim, x->shape));
    }
    tg_status st = check_x(g, n, x);
    if (st == TG_OK && (n->attr.FLAGS & HAS_W))
        st = check_affine(g, n, x, n->in[2], "weight");
    if (st != TG_OK) return st;
    return tg_shape_same(g, n, out);
}

static tg_status rstd_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    const tg_tensor *x = n->in[0];
    tg_status st = check_x(g, n, x);
    if (st != TG_OK) return st;
    int64_t ax[TG_MAX_DIMS];
    int m = group_axes(n, x, ax);
    out->ndim = x->ndim;
    memcpy(out->shape, x->shape, sizeof out->shape);
    for (int i = 0; i < m; i++) out->shape[ax[i]] = 1;
    return TG_OK;
}

/* -------------------------------------------------------------- kernels */

/* Group statistics: mean and 1/sqrt(var + eps); row partial sums in T
 * (vectorised), the group total in double. Optionally the biased var.
 *
 * A group of several long rows (batch norm over NCHW: N rows of H W,
 * far apart in memory, the group larger than the cache) is read once:
 * each row's sum and squared deviations from its own mean are taken
 * while the row sits in L1, and the rows are merged in double with the
 * pairwise update of Chan, Golub and LeVeque (1979): for counts n, k,
 * means m, mr and sums of squared deviations M2, M2r,
 *   d = mr - m,  m += d k / (n + k),  M2 += M2r + d^2 n k / (n + k).
 * Otherwise two passes: the mean, then the squared deviations from it. */
#define STATS(T)                                                            \
    static void stats_##T(nlay L, int64_t gi, const T *x, double eps,       \
                          double *mu, double *r, double *var)               \
    {                                                                       \
        double D = ((double)L.A * (double)L.B), s = 0, v = 0;               \
        if (L.A > 1 && L.B >= 16) {                                         \
            double n = 0, m = 0, m2 = 0, k = (double)L.B;                   \
            for (int64_t a = 0; a < L.A; a++) {                             \
                const T *row = x + (a * L.G + gi) * L.B;                    \
                T rs = 0, rq = 0;                                           \
                _Pragma("omp simd reduction(+ : rs)")                       \
                for (int64_t b = 0; b < L.B; b++) rs += row[b];             \
                double mr = (double)rs / k;                                 \
                T mrt = (T)mr;                                              \
                _Pragma("omp simd reduction(+ : rq)")                       \
                for (int64_t b = 0; b < L.B; b++) {                         \
                    T d = row[b] - mrt;                                     \
                    rq += d * d;                                            \
                }                                                           \
                double d = mr - m, nk = n + k;                              \
                m += d * k / nk;                                            \
                m2 += (double)rq + d * d * n * k / nk;                      \
                n = nk;                                                     \
            }                                                               \
            v = m2 / D;                                                     \
            *mu = m;                                                        \
            *r = 1.0 / sqrt(v + eps);                                       \
            if (var) *var = v;                                              \
            return;                                                         \
        }                                                                   \
        for (int64_t a = 0; a < L.A; a++) {                                 \
            const T *row = x + (a * L.G + gi) * L.B;                        \
            T rs = 0;                                                       \
            _Pragma("omp simd reduction(+ : rs)")                           \
            for (int64_t b = 0; b < L.B; b++) rs += row[b];                 \
            s += rs;                                                        \
        }                                                                   \
        double m = s / D;                                                   \
        T mt = (T)m;                                                        \
        for (int64_t a = 0; a < L.A; a++) {                                 \
            const T *row = x + (a * L.G + gi) * L.B;                        \
            T rs = 0;                                                       \
            _Pragma("omp simd reduction(+ : rs)")                           \
            for (int64_t b = 0; b < L.B; b++) {                             \
                T d = row[b] - mt;                                          \
                rs += d * d;                                                \
            }                                                               \
            v += rs;                                                        \
        }                                                                   \
        v /= D;                                                             \
        *mu = m;                                                            \
        *r = 1.0 / sqrt(v + eps);                                           \
        if (var) *var = v;                                                  \
    }
STATS(float)
STATS(double)

/* y = xh * w + b; w, b indexed by b (layer norm) or by the group. */
#define NORM_FWD(T)                                                         \
    static void norm_fwd_group_##T(nlay L, bool bn, int64_t gi, T *y,       \
                                   const T *x, const T *w, const T *bias,   \
                                   double eps, double *gmu, double *gvar,   \
                                   double *grs)                             \
    {                                                                       \
        double mu, r, var;                                                  \
        stats_##T(L, gi, x, eps, &mu, &r, &var);                            \
        if (gmu) gmu[gi] = mu, gvar[gi] = var;                              \
        if (grs) grs[gi] = r;                                               \
        T mt = (T)mu, rt = (T)r;                                            \
        for (int64_t a = 0; a < L.A; a++) {                                 \
            int64_t off = (a * L.G + gi) * L.B;                             \
            const T *xr = x + off;                                          \
            T *yr = y + off;                                                \
            if (bn) {                                                       \
                T sc = rt * (w ? w[gi] : (T)1);                             \
                T sh = (bias ? bias[gi] : (T)0) - mt * sc;                  \
                _Pragma("omp simd")                                         \
                for (int64_t b = 0; b < L.B; b++) yr[b] = xr[b] * sc + sh;  \
            } else if (w && bias) {                                         \
                _Pragma("omp simd")                                         \
                for (int64_t b = 0; b < L.B; b++)                           \
                    yr[b] = (xr[b] - mt) * rt * w[b] + bias[b];             \
            } else if (w) {                                                 \
                _Pragma("omp simd")                                         \
                for (int64_t b = 0; b < L.B; b++)                           \
                    yr[b] = (xr[b] - mt) * rt * w[b];                       \
            } else if (bias) {                                              \
                _Pragma("omp simd")                                         \
                for (int64_t b = 0; b < L.B; b++)                           \
                    yr[b] = (xr[b] - mt) * rt + bias[b];                    \
            } else {                                                        \
                _Pragma("omp simd")                                         \
                for (int64_t b = 0; b < L.B; b++)                           \
                    yr[b] = (xr[b] - mt) * rt;                              \
            }                                                               \
        }                                                                   \
    }                                                                       \
    static void norm_fwd_##T(nlay L, bool bn, T *y, const T *x, const T *w, \
                             const T *bias, double eps, double *gmu,        \
                             double *gvar, double *grs)                     \
    {                                                                       \
        TG_PAR_FOR(tg__par_worth((double)L.A * L.G * L.B), gi, L.G,         \
                   norm_fwd_group_##T(L, bn, gi, y, x, w, bias, eps, gmu,   \
                                      gvar, grs));                          \
    }
NORM_FWD(float)
NORM_FWD(double)

/* Layer norm backward, one pass over the rows: per row the statistics,
 * then dx = r (u - mean u - xh mean(u xh)), u = g w; when dw / db are
 * wanted, dw += g xh and db += g accumulate in per-thread f64 rows of acc
 * (2 B doubles per thread), summed at the end. layer_norm_backward uses it
 * for dx alone; layer_norm's VJP for all three when the backward pass is
 * not recorded. */
#define LN_BW(T)                                                            \
    static void ln_bw_row_##T(nlay L, int64_t gi, const T *gy, const T *x,  \
                              const T *w, T *dx, double *aw, double *ab,    \
                              double eps)                                   \
    {                                                                       \
        int64_t B = L.B;                                                    \
        double mu, r;                                                       \
        stats_##T(L, gi, x, eps, &mu, &r, NULL);                            \
        const T *gr = gy + gi * B, *xr = x + gi * B;                        \
        T mt = (T)mu, rt = (T)r;                                            \
        if (dx) {                                                           \
            T r1 = 0, r2 = 0;                                               \
            _Pragma("omp simd reduction(+ : r1, r2)")                       \
            for (int64_t b = 0; b < B; b++) {                               \
                T u = w ? gr[b] * w[b] : gr[b];                             \
                r1 += u;                                                    \
                r2 += u * (xr[b] - mt);                                     \
            }                                                               \
            T c1 = (T)(r1 / (double)B), c2 = (T)(r2 * r / (double)B);       \
            T *dr = dx + gi * B;                                            \
            _Pragma("omp simd")                                             \
            for (int64_t b = 0; b < B; b++) {                               \
                T u = w ? gr[b] * w[b] : gr[b];                             \
                dr[b] = rt * (u - c1 - (xr[b] - mt) * rt * c2);             \
            }                                                               \
        }                                                                   \
        if (aw) {                                                           \
            _Pragma("omp simd")                                             \
            for (int64_t b = 0; b < B; b++)                                 \
                aw[b] += (double)(gr[b] * ((xr[b] - mt) * rt));             \
        }                                                                   \
        if (ab) {                                                           \
            _Pragma("omp simd")                                             \
            for (int64_t b = 0; b < B; b++) ab[b] += (double)gr[b];         \
        }                                                                   \
    }                                                                       \
    static void ln_bw_##T(nlay L, const T *gy, const T *x,                  \
                                const T *w, T *dx, T *dw, T *db,            \
                                double eps, double *acc, int nth)           \
    {                                                                       \
        int64_t B = L.B;                                                    \
        if (nth <= 1) { /* no team of one: see TG_PAR_FOR */                \
            for (int64_t b = 0; acc && b < 2 * B; b++) acc[b] = 0;          \
            for (int64_t gi = 0; gi < L.G; gi++)                            \
                ln_bw_row_##T(L, gi, gy, x, w, dx, dw ? acc : NULL,         \
                              db ? acc + B : NULL, eps);                    \
        } else {                                                            \
            _Pragma("omp parallel num_threads(nth)")                        \
            {                                                               \
                double *aw = acc ? acc + 2 * B * omp_get_thread_num() : NULL; \
                double *ab = acc ? aw + B : NULL;                           \
                for (int64_t b = 0; acc && b < 2 * B; b++) aw[b] = 0;       \
                _Pragma("omp for schedule(static)")                         \
                for (int64_t gi = 0; gi < L.G; gi++)                        \
                    ln_bw_row_##T(L, gi, gy, x, w, dx, dw ? aw : NULL,      \
                                  db ? ab : NULL, eps);                     \
            }                                                               \
        }                                                                   \
        for (int64_t b = 0; acc && b < B; b++) {                            \
            double sw = 0, sb = 0;                                          \
            for (int t = 0; t < nth; t++) {                                 \
                sw += acc[2 * B * t + b];                                   \
                sb += acc[2 * B * t + B + b];                               \
            }                                                               \
            if (dw) dw[b] = (T)sw;                                          \
            if (db) db[b] = (T)sb;                                          \
        }                                                                   \
    }
LN_BW(float)
LN_BW(double)

/* Batch norm's fused VJP: with the saved mu and r of each channel, one
 * pass for s1 = sum g and s2 = sum g (x - mu) (float rows, double across
 * rows), then db = s1, dw = s2 r (= sum g xh) and, when wanted, dx = r (g
 * w - w s1 / D - xh w s2 r / D) in a second pass. */
#define BN_FUSED(T)                                                         \
    static void bn_fused_group_##T(nlay L, int64_t gi, T *dx, T *dw, T *db, \
                                   const T *gy, const T *x, const T *w,     \
                                   double mu, double r)                     \
    {                                                                       \
        T mt = (T)mu, rt = (T)r, wg = w ? w[gi] : (T)1;                     \
        double s1 = 0, s2 = 0;                                              \
        for (int64_t a = 0; a < L.A; a++) {                                 \
            int64_t off = (a * L.G + gi) * L.B;                             \
            const T *gr = gy + off, *xr = x + off;                          \
            T r1 = 0, r2 = 0;                                               \
            _Pragma("omp simd reduction(+ : r1, r2)")                       \
            for (int64_t b = 0; b < L.B; b++) {                             \
                r1 += gr[b];                                                \
                r2 += gr[b] * (xr[b] - mt);                                 \
            }                                                               \
            s1 += r1;                                                       \
            s2 += r2;                                                       \
        }                                                                   \
        if (db) db[gi] = (T)s1;                                             \
        if (dw) dw[gi] = (T)(s2 * r);                                       \
        if (!dx) return;                                                    \
        double D = ((double)L.A * (double)L.B);                             \
        T c1 = (T)(wg * s1 / D), c2 = (T)(wg * s2 * r / D);                 \
        for (int64_t a = 0; a < L.A; a++) {                                 \
            int64_t off = (a * L.G + gi) * L.B;                             \
            const T *gr = gy + off, *xr = x + off;                          \
            T *zr = dx + off;                                               \
            _Pragma("omp simd")                                             \
            for (int64_t b = 0; b < L.B; b++) {                             \
                T xh = (xr[b] - mt) * rt;                                   \
                zr[b] = rt * (gr[b] * wg - c1 - xh * c2);                   \
            }                                                               \
        }                                                                   \
    }                                                                       \
    static void bn_fused_##T(nlay L, T *dx, T *dw, T *db, const T *gy,      \
                             const T *x, const T *w, const double *smu,     \
                             const double *srs)                             \
    {                                                                       \
        TG_PAR_FOR(tg__par_worth((double)L.A * L.G * L.B), gi, L.G,         \
                   bn_fused_group_##T(L, gi, dx, dw, db, gy, x, w, smu[gi], \
                                      srs[gi]));                            \
    }
BN_FUSED(float)
BN_FUSED(double)

/* Batch norm backward (the weight is per group): z = r (u - gmean(u) -
 * xh gmean(u xh)), u = g w, over the A rows of each group: the fused VJP's
 * dx with the statistics computed here. */
#define BN_BW(T)                                                            \
    static void bn_bw_group_##T(nlay L, int64_t gi, T *z, const T *gy,      \
                                const T *x, const T *w, double eps)         \
    {                                                                       \
        double mu, r;                                                       \
        stats_##T(L, gi, x, eps, &mu, &r, NULL);                            \
        bn_fused_group_##T(L, gi, z, NULL, NULL, gy, x, w, mu, r);          \
    }                                                                       \
    static void bn_bw_##T(nlay L, T *z, const T *gy, const T *x,            \
                          const T *w, double eps)                           \
    {                                                                       \
        TG_PAR_FOR(tg__par_worth((double)L.A * L.G * L.B), gi, L.G,         \
                   bn_bw_group_##T(L, gi, z, gy, x, w, eps));               \
    }
BN_BW(float)
BN_BW(double)


/* -------------------------------------------------------------- forward */

static const void *opt_in(const tg_node *n, int flag, int base)
{
    int k = base;
    if (!(n->attr.FLAGS & flag)) return NULL;
    if (flag == HAS_B && (n->attr.FLAGS & HAS_W)) k++;
    return n->in[k]->data;
}

static tg_status norm_fwd(tg_graph *g, tg_node *n)
{
    const tg_tensor *x = n->in[0];
    nlay L = layout(n, x);
    bool bn = is_bn(n), run = bn && (n->attr.FLAGS & HAS_RUN);
    const void *w = opt_in(n, HAS_W, 1), *b = opt_in(n, HAS_B, 1);
    double *mu = NULL, *var = NULL, *rs = NULL;
    bn_saved *sv = NULL;
    if (bn && x->numel > 0) {
        sv = tg__scratch(g, n, sizeof *sv);
        mu = tg__scratch(g, n, sizeof(double) * (size_t)L.G);
        var = tg__scratch(g, n, sizeof(double) * (size_t)L.G);
        rs = tg__scratch(g, n, sizeof(double) * (size_t)L.G);
        if (!sv || !mu || !var || !rs) return g->status;
        sv->mu = mu, sv->rstd = rs;
    }
    if (x->numel == 0) return TG_OK;
    if (x->dtype == TG_F32)
        norm_fwd_float(L, bn, n->out->data, x->data, w, b, n->attr.EPS, mu,
                       var, rs);
    else
        norm_fwd_double(L, bn, n->out->data, x->data, w, b, n->attr.EPS, mu,
                        var, rs);
    n->ctx = sv; /* set once the statistics are in */
    if (run) {
        int k = 1 + !!(n->attr.FLAGS & HAS_W) + !!(n->attr.FLAGS & HAS_B);
        tg_tensor *rm = n->in[k], *rv = n->in[k + 1];
        double mom = n->attr.MOMENTUM, D = ((double)L.A * (double)L.B);
        for (int64_t c = 0; c < L.G; c++) {
            double uv = var[c] * D / (D - 1);
            if (x->dtype == TG_F32) {
                float *m = rm->data, *v = rv->data;
                m[c] = (float)((1 - mom) * m[c] + mom * mu[c]);
                v[c] = (float)((1 - mom) * v[c] + mom * uv);
            } else {
                double *m = rm->data, *v = rv->data;
                m[c] = (1 - mom) * m[c] + mom * mu[c];
                v[c] = (1 - mom) * v[c] + mom * uv;
            }
        }
    }
    return TG_OK;
}

static tg_status norm_bw_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    const tg_tensor *gy = n->in[0], *x = n->in[1];
    nlay L = layout(n, x);
    const void *w = (n->attr.FLAGS & HAS_W) ? n->in[2]->data : NULL;
    double eps = n->attr.EPS;
    if (x->numel == 0) return TG_OK;
    int nth = x->numel > TG_PAR_MIN ? omp_get_max_threads() : 1;
    if (is_bn(n) && x->dtype == TG_F32)
        bn_bw_float(L, n->out->data, gy->data, x->data, w, eps);
    else if (is_bn(n))
        bn_bw_double(L, n->out->data, gy->data, x->data, w, eps);
    else if (x->dtype == TG_F32)
        ln_bw_float(L, gy->data, x->data, w, n->out->data, NULL, NULL,
                          eps, NULL, nth);
    else
        ln_bw_double(L, gy->data, x->data, w, n->out->data, NULL, NULL,
                           eps, NULL, nth);
    return TG_OK;
}

static tg_status rstd_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    const tg_tensor *x = n->in[0];
    nlay L = layout(n, x);
    for (int64_t gi = 0; gi < L.G; gi++) {
        double mu, r;
        if (x->dtype == TG_F32) {
            stats_float(L, gi, x->data, n->attr.EPS, &mu, &r, NULL);
            ((float *)n->out->data)[gi] = (float)r;
        } else {
            stats_double(L, gi, x->data, n->attr.EPS, &mu, &r, NULL);
            ((double *)n->out->data)[gi] = r;
        }
    }
    return TG_OK;
}

/* ------------------------------------------------------- op constructors */

static int op_of(const tg_node *n, int ln_op, int bn_op)
{
    return is_bn(n) ? bn_op : ln_op;
}

/* xh: the family's normalisation without affine or running buffers. */
static tg_tensor *normalized(const tg_node *n, tg_tensor *x)
{
    tg_attrs a = n->attr;
    a.FLAGS = 0;
    return tg__apply1(op_of(n, TG_OP_layer_norm, TG_OP_batch_norm), x, &a);
}

static tg_tensor *backward_op(const tg_node *n, tg_tensor *gy, tg_tensor *x,
                              tg_tensor *w)
{
    tg_attrs a = n->attr;
    a.FLAGS = w ? HAS_W : 0;
    tg_tensor *in[3] = {gy, x, w};
    return tg__apply(
        op_of(n, TG_OP_layer_norm_backward, TG_OP_batch_norm_backward), in,
        w ? 3 : 2, &a);
}

static tg_tensor *rstd_op(const tg_node *n, tg_tensor *x)
{
    tg_attrs a = n->attr;
    a.FLAGS = 0;
    return tg__apply1(op_of(n, TG_OP_layer_norm_rstd, TG_OP_batch_norm_rstd),
                      x, &a);
}

/* Mean over the groups, keepdim. */
static tg_tensor *gmean(const tg_node *n, tg_tensor *x, tg_tensor *t)
{
    int64_t ax[TG_MAX_DIMS];
    int m = group_axes(n, x, ax);
    nlay L = layout(n, x);
    return tg_mul_scalar(tg_sum(t, m, ax, true),
                         1.0 / ((double)L.A * (double)L.B));
}

/* ----------------------------------------------------------------- VJPs */


static bool ln_fused_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                         const bool *need, tg_tensor **gx)
{
    tg_tensor *x = n->in[0];
    bool hw = n->attr.FLAGS & HAS_W, hb = n->attr.FLAGS & HAS_B;
    if (is_bn(n) || tg_is_grad_enabled(g) || !tg__same_shape(gy, x) ||
        x->numel == 0)
        return false;
    nlay L = layout(n, x);
    int nth = x->numel > TG_PAR_MIN ? omp_get_max_threads() : 1;
    double *acc = tg__scratch(g, n, sizeof(double) * (size_t)(2 * L.B * nth));
    tg_tensor *dx = need[0] ? tg__new_tensor(g, x->dtype, x->ndim, x->shape,
                                             "tg_layer_norm")
                            : NULL;
    tg_tensor *w = hw ? n->in[1] : NULL, *b = hb ? n->in[1 + hw] : NULL;
    tg_tensor *dw = hw && need[1] ? tg__new_tensor(g, w->dtype, w->ndim,
                                                   w->shape, "tg_layer_norm")
                                  : NULL;
    tg_tensor *db = hb && need[1 + hw] ? tg__new_tensor(g, b->dtype, b->ndim,
                                                        b->shape,
                                                        "tg_layer_norm")
                                       : NULL;
    if (g->status != TG_OK) return true; /* OOM reported */
    if (x->dtype == TG_F32)
        ln_bw_float(L, gy->data, x->data, w ? w->data : NULL,
                          dx ? dx->data : NULL, dw ? dw->data : NULL,
                          db ? db->data : NULL, n->attr.EPS, acc, nth);
    else
        ln_bw_double(L, gy->data, x->data, w ? w->data : NULL,
                           dx ? dx->data : NULL, dw ? dw->data : NULL,
                           db ? db->data : NULL, n->attr.EPS, acc, nth);
    gx[0] = dx;
    if (hw) gx[1] = dw;
    if (hb) gx[1 + hw] = db;
    return true;
}

static bool bn_fused_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                         const bool *need, tg_tensor **gx)
{
    tg_tensor *x = n->in[0];
    const bn_saved *sv = n->ctx;
    bool hw = n->attr.FLAGS & HAS_W, hb = n->attr.FLAGS & HAS_B;
    if (n->op != &tg_op_batch_norm || !sv || tg_is_grad_enabled(g) ||
        !tg__same_shape(gy, x) || x->numel == 0)
        return false;
    nlay L = layout(n, x);
    tg_tensor *w = hw ? n->in[1] : NULL, *b = hb ? n->in[1 + hw] : NULL;
    tg_tensor *dx = need[0] ? tg__new_tensor(g, x->dtype, x->ndim, x->shape,
                                             "tg_batch_norm")
                            : NULL;
    tg_tensor *dw = hw && need[1] ? tg__new_tensor(g, w->dtype, w->ndim,
                                                   w->shape, "tg_batch_norm")
                                  : NULL;
    tg_tensor *db = hb && need[1 + hw] ? tg__new_tensor(g, b->dtype, b->ndim,
                                                        b->shape,
                                                        "tg_batch_norm")
                                       : NULL;
    if (g->status != TG_OK) return true; /* OOM reported */
    if (x->dtype == TG_F32)
        bn_fused_float(L, dx ? dx->data : NULL, dw ? dw->data : NULL,
                       db ? db->data : NULL, gy->data, x->data,
                       w ? w->data : NULL, sv->mu, sv->rstd);
    else
        bn_fused_double(L, dx ? dx->data : NULL, dw ? dw->data : NULL,
                        db ? db->data : NULL, gy->data, x->data,
                        w ? w->data : NULL, sv->mu, sv->rstd);
    gx[0] = dx;
    if (hw) gx[1] = dw;
    if (hb) gx[1 + hw] = db;
    return true;
}

static void norm_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                     tg_tensor **gx)
{
    if (ln_fused_vjp(g, n, gy, need, gx)) return;
    if (bn_fused_vjp(g, n, gy, need, gx)) return;
    tg_tensor *x = n->in[0];
    bool hw = n->attr.FLAGS & HAS_W, hb = n->attr.FLAGS & HAS_B;
    tg_tensor *w = hw ? n->in[1] : NULL;
    if (need[0]) gx[0] = backward_op(n, gy, x, w);
    if (hw && need[1]) gx[1] = tg_mul(gy, normalized(n, x));
    if (hb && need[1 + hw]) gx[1 + hw] = gy;
}

static void norm_bw_vjp(tg_graph *g, tg_node *n, tg_tensor *h,
                        const bool *need, tg_tensor **gx)
{
    (void)g;
    tg_tensor *gy = n->in[0], *x = n->in[1];
    tg_tensor *w = (n->attr.FLAGS & HAS_W) ? n->in[2] : NULL;
    tg_tensor *du = backward_op(n, h, x, NULL);
    if (need[0]) gx[0] = w ? tg_mul(du, w) : du;
    if (w && need[2]) gx[2] = tg_mul(du, gy);
    if (need[1]) {
        tg_tensor *z = n->out, *u = w ? tg_mul(gy, w) : gy;
        tg_tensor *xh = normalized(n, x), *r = rstd_op(n, x);
        tg_tensor *t1 = tg_mul(gmean(n, x, tg_mul(h, z)), xh);
        tg_tensor *t2 = tg_mul(gmean(n, x, tg_mul(u, xh)), du);
        tg_tensor *t3 = tg_mul(gmean(n, x, tg_mul(h, xh)), z);
        gx[1] = tg_neg(tg_mul(r, tg_add(tg_add(t1, t2), t3)));
    }
}

static void rstd_vjp(tg_graph *g, tg_node *n, tg_tensor *h, const bool *need,
                     tg_tensor **gx)
{
    (void)g, (void)need;
    tg_tensor *x = n->in[0], *r = n->out;
    nlay L = layout(n, x);
    gx[0] = tg_mul_scalar(tg_mul(tg_mul(h, tg_mul(r, r)), normalized(n, x)),
                          -1.0 / ((double)L.A * (double)L.B));
}

/* The expression language's calls (tg_op.call): layer_norm(x[, w[, b]])
 * with naxes 0 taking w's dims (else 1), as tg_layer_norm; batch_norm(x[,
 * w[, b[, running_mean, running_var]]]). */
static tg_tensor *layer_norm_call(tg_tensor *const *in, int n_in,
                                  const tg_attrs *a)
{
    tg_tensor *w = n_in > 1 ? in[1] : NULL, *b = n_in > 2 ? in[2] : NULL;
    if (a->NAXES == 0) return tg_layer_norm(in[0], w, b, a->EPS);
    return tg_layer_norm_n(in[0], (int)a->NAXES, w, b, a->EPS);
}

static tg_tensor *batch_norm_call(tg_tensor *const *in, int n_in,
                                  const tg_attrs *a)
{
    return tg_batch_norm(in[0], n_in > 1 ? in[1] : NULL,
                         n_in > 2 ? in[2] : NULL, n_in > 3 ? in[3] : NULL,
                         n_in > 4 ? in[4] : NULL, a->MOMENTUM, a->EPS);
}

/* ---------------------------------------------------------- descriptors */

TG_BUILTIN_OP(layer_norm,
    .n_inputs = 1,
    .max_inputs = 3,
    .attrs = {{"naxes", TG_ATTR_INT}, {"eps", TG_ATTR_REAL, 1e-5}},
    .shape = norm_shape,
    .forward = norm_fwd,
    .vjp = norm_vjp,
    .call = layer_norm_call,
    .cases = "layer_norm(x, w, b) | x=3x5 w=5 b=5; layer_norm(x) | x=2x3x4; "
        "layer_norm(x, w, b, naxes=2) | x=2x3x4 w=3x4 b=3x4; "
        "layer_norm(x, w, eps=0.1) | x=4x3 w=3");
TG_BUILTIN_OP(layer_norm_backward,
    .n_inputs = 2,
    .max_inputs = 3,
    .attrs = {{"naxes", TG_ATTR_INT, 1}, {"eps", TG_ATTR_REAL, 1e-5}},
    .shape = norm_bw_shape,
    .forward = norm_bw_fwd,
    .vjp = norm_bw_vjp,
    .cases = "layer_norm_backward(g, x, w) | g=3x5 x=3x5 w=5; "
        "layer_norm_backward(g, x, naxes=2) | g=2x3x4 x=2x3x4");
/* The helpers below take the attributes of the op whose VJP records them
 * and declare the ones they read: naxes and eps (layer norm), eps (batch
 * norm); FLAGS is derived (the backward op's shape rule sets it from its
 * input count) or not read (the rstd ops). */
TG_BUILTIN_OP(layer_norm_rstd,
    .n_inputs = 1,
    .attrs = {{"naxes", TG_ATTR_INT, 1}, {"eps", TG_ATTR_REAL, 1e-5}},
    .shape = rstd_shape,
    .forward = rstd_fwd,
    .vjp = rstd_vjp,
    .cases = "layer_norm_rstd(x) | x=3x5; layer_norm_rstd(x, naxes=2, "
        "eps=0.1) | x=2x3x4");
TG_BUILTIN_OP(batch_norm,
    .n_inputs = 1,
    .max_inputs = 5,
    .attrs = {{"eps", TG_ATTR_REAL, 1e-5}, {"momentum", TG_ATTR_REAL, 0.1}},
    .shape = norm_shape,
    .forward = norm_fwd,
    .vjp = norm_vjp,
    .call = batch_norm_call,
    .cases = "batch_norm(x, w, b) | x=4x3 w=3 b=3; batch_norm(x) | x=2x3x4; "
        "batch_norm(x, w, b) | x=2x3x2x2 w=3 b=3");
TG_BUILTIN_OP(batch_norm_backward,
    .n_inputs = 2,
    .max_inputs = 3,
    .attrs = {{"eps", TG_ATTR_REAL, 1e-5}},
    .shape = norm_bw_shape,
    .forward = norm_bw_fwd,
    .vjp = norm_bw_vjp,
    .cases = "batch_norm_backward(g, x, w) | g=4x3 x=4x3 w=3; "
        "batch_norm_backward(g, x, eps=0.1) | g=2x3x4 x=2x3x4");
TG_BUILTIN_OP(batch_norm_rstd,
    .n_inputs = 1,
    .attrs = {{"eps", TG_ATTR_REAL, 1e-5}},
    .shape = rstd_shape,
    .forward = rstd_fwd,
    .vjp = rstd_vjp,
    .cases = "batch_norm_rstd(x) | x=4x3; batch_norm_rstd(x, eps=0.1) | "
        "x=2x3x2x2");

/* ----------------------------------------------------------- public API */

tg_tensor *tg_layer_norm_n(tg_tensor *x, int naxes, tg_tensor *w,
                           tg_tensor *b, double eps)
{
    tg_attrs a = {0};
    a.NAXES = naxes;
    a.FLAGS = (w ? HAS_W : 0) | (b ? HAS_B : 0);
    a.EPS = eps;
    tg_tensor *in[3] = {x, NULL, NULL};
    int k = 1;
    if (w) in[k++] = w;
    if (b) in[k++] = b;
    return tg__apply(TG_OP_layer_norm, in, k, &a);
}

tg_tensor *tg_layer_norm(tg_tensor *x, tg_tensor *w, tg_tensor *b, double eps)
{
    int naxes = w ? w->ndim : b ? b->ndim : 1;
    return tg_layer_norm_n(x, naxes, w, b, eps);
}

tg_tensor *tg_layer_norm_backward(tg_tensor *g, tg_tensor *x, tg_tensor *w,
                                  int naxes, double eps)
{
    tg_attrs a = {0};
    a.NAXES = naxes;
    a.FLAGS = w ? HAS_W : 0;
    a.EPS = eps;
    tg_tensor *in[3] = {g, x, w};
    return tg__apply(TG_OP_layer_norm_backward, in, w ? 3 : 2, &a);
}

/* [C] -> [C, 1, ...] so it broadcasts against [N, C, ...]. */
static tg_tensor *channel_view(tg_tensor *p, const tg_tensor *x,
                               const char *what)
{
    if (!p || !x || (x->flags & TG_TF_POISON) || (p->flags & TG_TF_POISON))
        return p;
    tg_graph *g = x->graph;
    char s1[TG_SHAPE_BUF], s2[TG_SHAPE_BUF];
    if (x->ndim < 2) return p; /* the op reports x */
    if (p->ndim != 1 || p->shape[0] != x->shape[1]) {
        tg__fail(g, TG_ERR_SHAPE,
                 "tg_batch_norm: %s %s does not match %lld channels of x %s; "
                 "hint: it must be [C]",
                 what, tg__fmt_shape(s1, p->ndim, p->shape),
                 (long long)x->shape[1], tg__fmt_shape(s2, x->ndim, x->shape));
        return &g->poison;
    }
    int64_t shape[TG_MAX_DIMS];
    shape[0] = x->shape[1];
    for (int i = 1; i < x->ndim - 1; i++) shape[i] = 1;
    return tg_reshape(p, x->ndim - 1, shape);
}

/* Eval with running statistics: an affine map with constant scale and
 * shift per channel, composed of primitive ops. */
static tg_tensor *batch_norm_eval(tg_tensor *x, tg_tensor *w, tg_tensor *b,
                                  tg_tensor *rm, tg_tensor *rv, double eps)
{
    tg_graph *g = x->graph;
    char s1[TG_SHAPE_BUF], s2[TG_SHAPE_BUF];
    int64_t C = x->shape[1];
    const tg_tensor *bufs[2] = {rm, rv};
    for (int j = 0; j < 2; j++)
        if (bufs[j]->ndim != 1 || bufs[j]->shape[0] != C ||
            bufs[j]->dtype != x->dtype) {
            tg__fail(g, TG_ERR_SHAPE,
                     "tg_batch_norm: running %s %s %s does not match %lld "
                     "channels of x %s %s",
                     j ? "var" : "mean",
                     tg__fmt_shape(s1, bufs[j]->ndim, bufs[j]->shape),
                     tg__dtname(bufs[j]->dtype), (long long)C,
                     tg__fmt_shape(s2, x->ndim, x->shape),
                     tg__dtname(x->dtype));
            return &g->poison;
        }
    int64_t shape[TG_MAX_DIMS];
    shape[0] = C;
    for (int i = 1; i < x->ndim - 1; i++) shape[i] = 1;
    tg_tensor *mean = tg_constant(g, x->dtype, x->ndim - 1, shape, rm->data);
    tg_tensor *scale = tg_full(g, x->dtype, x->ndim - 1, shape, 0);
    if (scale->flags & TG_TF_POISON) return scale;
    for (int64_t c = 0; c < C; c++) {
        double r = 1.0 / sqrt(tg_get(rv, c) + eps);
        if (x->dtype == TG_F32) ((float *)scale->data)[c] = (float)r;
        else ((double *)scale->data)[c] = r;
    }
    tg_tensor *y = tg_mul(tg_sub(x, mean), scale);
    if (w) y = tg_mul(y, channel_view(w, x, "weight"));
    if (b) y = tg_add(y, channel_view(b, x, "bias"));
    return y;
}

tg_tensor *tg_batch_norm(tg_tensor *x, tg_tensor *w, tg_tensor *b,
                         tg_tensor *running_mean, tg_tensor *running_var,
                         double momentum, double eps)
{
    if (!x) return tg__apply1(TG_OP_batch_norm, x, NULL); /* reports */
    tg_graph *g = x->graph;
    if (g->status != TG_OK || (x->flags & TG_TF_POISON)) return &g->poison;
    if (!running_mean != !running_var) {
        tg__fail(g, TG_ERR_ARG,
                 "tg_batch_norm: give both running buffers or neither "
                 "(running_mean is %s, running_var is %s)",
                 running_mean ? "set" : "NULL", running_var ? "set" : "NULL");
        return &g->poison;
    }
    bool run = running_mean != NULL;
    if (run && !(momentum >= 0 && momentum <= 1)) {
        tg__fail(g, TG_ERR_ARG,
                 "tg_batch_norm: momentum must lie in [0, 1], got %g; hint: "
                 "PyTorch uses 0.1",
                 momentum);
        return &g->poison;
    }
    if (x->ndim >= 2 && run && !tg_is_training(g) && eps >= 0)
        return batch_norm_eval(x, w, b, running_mean, running_var, eps);
    tg_attrs a = {0};
    a.FLAGS = (w ? HAS_W : 0) | (b ? HAS_B : 0) | (run ? HAS_RUN : 0);
    a.EPS = eps;
    a.MOMENTUM = momentum;
    tg_tensor *in[5];
    int k = 0;
    in[k++] = x;
    if (w) in[k++] = channel_view(w, x, "weight");
    if (b) in[k++] = channel_view(b, x, "bias");
    if (run) {
        in[k++] = running_mean;
        in[k++] = running_var;
    }
    return tg__apply(TG_OP_batch_norm, in, k, &a);
}
