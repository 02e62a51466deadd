/* Shape arithmetic: formatting, element counts, axes, NumPy broadcasting. */
#include "internal.h"

#include <stdio.h>

char *tg__fmt_shape(char *buf, int ndim, const int64_t *shape)
{
    size_t k = 0, size = TG_SHAPE_BUF;
    buf[k++] = '[';
    for (int i = 0; i < ndim && k < size - 24; i++)
        k += (size_t)snprintf(buf + k, size - k, "%s%lld", i ? "," : "",
                              (long long)shape[i]);
    buf[k++] = ']';
    buf[k] = 0;
    return buf;
}

char *tg_shape_str(const tg_tensor *t, char *buf, size_t size)
{
    char tmp[TG_SHAPE_BUF];
    if (!buf || !size) return buf;
    if (tg__stale(t)) {
        tg__stale_fail("tg_shape_str", t);
        snprintf(buf, size, "(stale)");
    } else if (!t) snprintf(buf, size, "(null)");
    else snprintf(buf, size, "%s", tg__fmt_shape(tmp, t->ndim, t->shape));
    return buf;
}

bool tg__same_shape(const tg_tensor *a, const tg_tensor *b)
{
    if (a->ndim != b->ndim) return false;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return false;
    return true;
}

bool tg__numel(int ndim, const int64_t *shape, int64_t *numel)
{
    /* Bound leaves room for byte counts of f64 data and alignment. Every
     * partial product must stay within it (n d <= limit is the same test
     * as n <= limit / d, without a division per dim: this runs per op). */
    const int64_t limit = INT64_MAX / 16;
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) return false;
        if (__builtin_mul_overflow(n, shape[i], &n) || n > limit) return false;
    }
    *numel = n;
    return true;
}

bool tg__norm_axis(int64_t *axis, int ndim)
{
    int64_t a = *axis;
    if (a < -ndim || a >= ndim) return false;
    *axis = a < 0 ? a + ndim : a;
    return true;
}

bool tg__broadcast_shape(int na, const int64_t *sa, int nb, const int64_t *sb,
                         int *nout, int64_t *out, int *bad_dim)
{
    int n = na > nb ? na : nb;
    for (int i = 0; i < n; i++) { /* i counts from the right */
        int64_t da = i < na ? sa[na - 1 - i] : 1;
        int64_t db = i < nb ? sb[nb - 1 - i] : 1;
        if (da != db && da != 1 && db != 1) {
            if (bad_dim) *bad_dim = i + 1;
            return false;
        }
        out[n - 1 - i] = da == 1 ? db : da;
    }
    *nout = n;
    return true;
}

/* Strides of t's dims right-aligned into nd output dims; broadcast (extent
 * 1 against a larger output extent) and missing dims get stride 0. */
static void bcast_strides(int64_t *str, int nd, const int64_t *oshape,
                          const tg_tensor *t)
{
    int64_t s = 1;
    for (int i = nd - 1; i >= 0; i--) {
        int ti = t ? i - (nd - t->ndim) : -1;
        if (ti < 0) {
            str[i] = 0;
            continue;
        }
        int64_t d = t->shape[ti];
        str[i] = (d == 1 && oshape[i] != 1) ? 0 : s;
        s *= d;
    }
}

void tg__bcast_plan(tg_bcast *p, const tg_tensor *out, const tg_tensor *a,
                    const tg_tensor *b)
{
    int nd = out->ndim;
    int64_t sa[TG_MAX_DIMS], sb[TG_MAX_DIMS];
    if (out->numel == 0) {
        /* nothing to walk; the strides of an empty shape need not fit */
        memset(p, 0, sizeof *p);
        return;
    }
    bcast_strides(sa, nd, out->shape, a);
    bcast_strides(sb, nd, out->shape, b);
    /* Collapse: drop extent-1 dims, merge a dim into its left neighbour
     * when both operands continue contiguously (or stay broadcast). */
    int m = 0;
    for (int i = 0; i < nd; i++) {
        int64_t d = out->shape[i];
        if (d == 1) continue;
        if (m > 0 && p->str[0][m - 1] == sa[i] * d &&
            p->str[1][m - 1] == sb[i] * d) {
            p->dim[m - 1] *= d;
            p->str[0][m - 1] = sa[i];
            p->str[1][m - 1] = sb[i];
            continue;
        }
        p->dim[m] = d;
        p->str[0][m] = sa[i];
        p->str[1][m] = sb[i];
        m++;
    }
    if (m == 0) {
        p->nd = 0;
        p->inner = out->numel; /* 1, or 0 for an empty tensor */
        p->step[0] = p->step[1] = 0;
        p->rows = 1;
        return;
    }
    p->inner = p->dim[m - 1];
    p->step[0] = p->str[0][m - 1];
    p->step[1] = p->str[1][m - 1];
    p->nd = m - 1;
    p->rows = 1;
    for (int i = 0; i < p->nd; i++) p->rows *= p->dim[i];
    if (out->numel == 0) p->rows = 0;
}

void tg__bcast_offsets(const tg_bcast *p, int64_t row, int64_t *oa,
                       int64_t *ob)
{
    int64_t a = 0, b = 0;
    for (int i = p->nd - 1; i >= 0; i--) {
        int64_t d = p->dim[i];
        int64_t k = row % d;
        row /= d;
        a += k * p->str[0][i];
        b += k * p->str[1][i];
    }
    *oa = a;
    *ob = b;
}
