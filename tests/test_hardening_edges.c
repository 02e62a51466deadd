/* Hardening, second round: inputs at the edges of the shape arithmetic
 * (empty tensors beside huge extents, offsets that do not fit in 64
 * bits), aliased and NULL arguments, files that are not regular files,
 * stale tensors, memory budgets, deep nesting, and the numeric corner
 * cases where tapegrad follows PyTorch. Each case asserts the status, the
 * message or the values the caller gets; the sanitizer pass of CI adds
 * the memory-safety half. docs/reliability.md lists them by input class. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <tapegrad/tapegrad.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "src/expr.h" /* the expression language (engine-private) */
#include "tt.h"

#define H40 ((int64_t)1 << 40)
#define W32 ((int64_t)1 << 32)

static bool shape_is(const tg_tensor *t, int nd, const int64_t *want)
{
    if (!t || t->ndim != nd) return false;
    for (int i = 0; i < nd; i++)
        if (t->shape[i] != want[i]) return false;
    return true;
}

/* ------------------------------------------- empty tensors, huge extents */

/* [0, 2^32, 0] @ [0, 2^32]: M * N = 2^64 wrapped to 0 and the batch count
 * divided by it (SIGFPE before the fix). */
static void matmul_empty_huge(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *a = tg_input(g, TG_F64, TG_SHAPE(0, W32, 0), NULL);
    tg_tensor *b = tg_input(g, TG_F64, TG_SHAPE(0, W32), NULL);
    tg_set_requires_grad(a, true);
    tg_set_requires_grad(b, true);
    tg_tensor *y = tg_matmul(a, b);
    TT_CHECK(tg_graph_status(g) == TG_OK);
    TT_CHECK(shape_is(y, 3, (int64_t[]){0, W32, W32}));
    TT_CHECK(y->numel == 0);
    tg_tensor *l = tg_sum_all(y);
    TT_CHECK(tg_backward(g, l) == TG_OK);
    TT_CHECK(tg_item(l) == 0);
    TT_CHECK(a->grad && shape_is(a->grad, 3, a->shape));
    TT_CHECK(b->grad && shape_is(b->grad, 2, b->shape));
    /* [2^32, 0] @ [0, 2^32] is a real [2^32, 2^32] result: too large */
    tg_graph_reset(g);
    a = tg_input(g, TG_F64, TG_SHAPE(W32, 0), NULL);
    b = tg_input(g, TG_F64, TG_SHAPE(0, W32), NULL);
    tg_matmul(a, b);
    TT_CHECK(tg_graph_status(g) == TG_ERR_SHAPE);
    TT_CONTAINS(tg_graph_error(g), "tg_matmul");
    tg_graph_free(g);
}

/* [2^32, 0] and [1, 2^40, 1, 0] broadcast to [1, 2^40, 2^32, 0], whose
 * count does not fit (its partial products pass 2^59 before the 0):
 * tg_mse read its element count uninitialized from such a shape and
 * walked a plan of garbage strides; tg_max over axis 0 of [0, 2^40, 2^40]
 * did the same with its result's count. Both are refused now, as tg_sub
 * of the same inputs is; an empty broadcast that fits gives NaN. */
static void reduce_count_of_huge_shapes(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *a = tg_input(g, TG_F64, TG_SHAPE(W32, 0), NULL);
    tg_tensor *b = tg_input(g, TG_F64, TG_SHAPE(1, H40, 1, 0), NULL);
    TT_CHECK(tg_graph_status(g) == TG_OK);
    tg_sub(a, b);
    TT_CHECK(tg_graph_status(g) == TG_ERR_SHAPE);
    tg_graph_reset(g);
    a = tg_input(g, TG_F64, TG_SHAPE(W32, 0), NULL);
    b = tg_input(g, TG_F64, TG_SHAPE(1, H40, 1, 0), NULL);
    TT_CHECK(tg_mse(a, b) == NULL || tg_graph_status(g) != TG_OK);
    TT_CHECK(tg_graph_status(g) == TG_ERR_SHAPE);
    TT_STREQ(tg_graph_error(g),
             "tg_mse: the broadcast shape [1,1099511627776,4294967296,0] "
             "has too many elements; hint: check which dims of the inputs "
             "should match");
    tg_graph_reset(g);
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(0, H40, H40), NULL);
    TT_CHECK(tg_graph_status(g) == TG_OK);
    tg_max(x, 1, (int64_t[]){0}, false);
    TT_CHECK(tg_graph_status(g) == TG_ERR_SHAPE);
    TT_CONTAINS(tg_graph_error(g), "tg_max");
    TT_CONTAINS(tg_graph_error(g), "[1099511627776,1099511627776]");
    TT_CONTAINS(tg_graph_error(g), "hint: reduce over more axes");
    tg_graph_reset(g);
    /* over two axes the result [2^40] fits and its groups are empty */
    x = tg_input(g, TG_F64, TG_SHAPE(0, H40, H40), NULL);
    tg_max(x, 2, (int64_t[]){0, 1}, false);
    TT_CHECK(tg_graph_status(g) == TG_ERR_SHAPE);
    TT_CONTAINS(tg_graph_error(g), "cannot reduce empty groups");
    tg_graph_reset(g);
    /* an empty broadcast that fits: the mean of nothing, and gradients */
    a = tg_input(g, TG_F64, TG_SHAPE(0, H40), NULL);
    b = tg_input(g, TG_F64, TG_SHAPE(1, 1), NULL);
    tg_set_requires_grad(a, true);
    tg_set_requires_grad(b, true);
    tg_tensor *l = tg_mse(a, b);
    TT_CHECK(tg_graph_status(g) == TG_OK && isnan(tg_item(l)));
    TT_CHECK(tg_backward(g, l) == TG_OK);
    TT_CHECK(a->grad && shape_is(a->grad, 2, a->shape));
    TT_CHECK(b->grad && shape_is(b->grad, 2, b->shape));
    TT_CHECK(tg_get(b->grad, 0) == 0);
    tg_graph_free(g);
}

/* slice_backward's bound s0 + (len-1) step < extent overflowed and let a
 * write far outside the output through. */
static void slice_backward_bounds(void)
{
    tg_graph *g = tg_graph_new();
    static const struct {
        int64_t len, ext, start, step;
        bool ok;
    } c[] = {
        {10000, 3, 0, 1000000000000000LL, false}, /* overflows to < 3 */
        {3, 3, 1000, 1, false},
        {2, 3, 0, INT64_MAX, false},
        {1, 3, 2, INT64_MAX, true},  /* one row: the step is never taken */
        {2, 3, 0, 2, true},          /* rows 0, 2 */
        {2, 3, 1, 2, false},         /* rows 1, 3 */
        {0, 3, 3, INT64_MAX, true},  /* empty at the end */
        {0, 3, 4, 1, false},
        {2, 10, INT64_MAX - 1, 1, false},
        {3, INT64_MAX / 16, 1, (INT64_MAX / 16 - 2) / 2, true},
    };
    for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
        tg_graph_reset(g);
        /* [len, 0]: the output [ext, 0] is empty, so even the last case
         * allocates nothing; only the bound is under test */
        tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(c[k].len, 0), NULL);
        tg_tensor *z = tg_slice_backward(x, 2, (int64_t[]){c[k].ext, 0}, 0,
                                         c[k].start, c[k].step);
        if (c[k].ok) {
            TT_CHECK(tg_graph_status(g) == TG_OK);
            TT_CHECK(shape_is(z, 2, (int64_t[]){c[k].ext, 0}));
        } else {
            TT_CHECK(tg_graph_status(g) == TG_ERR_SHAPE);
            TT_CONTAINS(tg_graph_error(g), "tg_slice_backward: gradient [");
        }
    }
    /* the same with data: the rows land where they should, nothing else */
    tg_graph_reset(g);
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(2), (double[]){5, 7});
    tg_tensor *z = tg_slice_backward(x, 1, (int64_t[]){5}, 0, 1, 3);
    TT_CHECK(tg_graph_status(g) == TG_OK);
    double want[5] = {0, 5, 0, 0, 7};
    for (int i = 0; i < 5; i++) TT_CHECK(tg_get(z, i) == want[i]);
    tg_graph_free(g);
}

/* flatten merged the extents with a wrapping product: [0, 2^40, 2^40]
 * flattened to [0, 0] with TG_OK. */
static void flatten_overflow(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(0, H40, H40), NULL);
    tg_tensor *y = tg_flatten(x, 1, 2);
    TT_CHECK(tg_graph_status(g) == TG_ERR_SHAPE);
    TT_STREQ(tg_graph_error(g),
             "tg_flatten: dims 1..2 of [0,1099511627776,1099511627776] merge "
             "into an extent that is too large (more than 2^59); hint: "
             "flatten fewer dims");
    (void)y;
    tg_graph_reset(g);
    x = tg_input(g, TG_F32, TG_SHAPE(0, H40, H40), NULL);
    y = tg_flatten(x, 0, 1);
    TT_CHECK(tg_graph_status(g) == TG_OK);
    TT_CHECK(shape_is(y, 2, (int64_t[]){0, H40}));
    /* concat: extents along the axis that add up past 2^63 */
    tg_graph_reset(g);
    tg_tensor *p = tg_input(g, TG_F32, TG_SHAPE(0, INT64_MAX / 2), NULL);
    tg_concat((tg_tensor *[]){p, p, p}, 3, 1);
    TT_CHECK(tg_graph_status(g) == TG_ERR_SHAPE);
    TT_CONTAINS(tg_graph_error(g), "tg_concat: the extents along axis 1 add "
                                   "up to more than 2^63");
    tg_graph_free(g);
}

/* ---------------------------------------------------- aliased outputs */

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    TT_CHECK(f != NULL);
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

/* tg_csv_load(path, label opts, &a, &a) wrote x's rows into y's smaller
 * buffer; tg_array_rows(&a, .., &a) cleared a before reading it. Both are
 * now an error that leaves the array as it was. */
static void aliased_arrays(void)
{
    char path[] = "/tmp/tg_edges_csvXXXXXX";
    int fd = mkstemp(path);
    TT_CHECK(fd >= 0);
    close(fd);
    write_file(path, "1,2,3\n4,5,6\n");
    tg_csv_opts o = {0};
    o.has_label = true;
    o.label_col = 2;
    tg_array a;
    TT_CHECK(tg_csv_load(path, &o, &a, NULL) == TG_ERR_ARG); /* y needed */
    TT_CHECK(tg_csv_load(path, NULL, &a, NULL) == TG_OK);
    float *keep = a.data;
    TT_CHECK(tg_csv_load(path, &o, &a, &a) == TG_ERR_ARG);
    TT_STREQ(tg_last_error(),
             "tg_csv_load: x and y are the same array; hint: pass two "
             "tg_array variables (y receives the label column)");
    TT_CHECK(a.data == keep && a.numel == 6 && a.data[5] == 6);
    TT_CHECK(tg_array_rows(&a, 0, 1, &a) == TG_ERR_ARG);
    TT_CONTAINS(tg_last_error(), "tg_array_rows: the output is the source "
                                 "array");
    TT_CHECK(a.data == keep && a.shape[0] == 2 && a.data[3] == 4);
    /* the range message no longer adds start and count (INT64_MAX + 1) */
    tg_array r;
    TT_CHECK(tg_array_rows(&a, INT64_MAX, INT64_MAX, &r) == TG_ERR_ARG);
    TT_STREQ(tg_last_error(),
             "tg_array_rows: 9223372036854775807 rows from row "
             "9223372036854775807 do not lie within the 2 rows of the array");
    TT_CHECK(tg_array_rows(&a, 1, INT64_MIN, &r) == TG_ERR_ARG);
    TT_CHECK(tg_array_rows(&a, 1, 1, &r) == TG_OK && r.data[0] == 4);
    tg_array_free(&r);
    tg_array_free(&a);
    /* with a label: two arrays, as before */
    tg_array x, y;
    TT_CHECK(tg_csv_load(path, &o, &x, &y) == TG_OK);
    TT_CHECK(x.numel == 4 && y.numel == 2 && y.data[1] == 6 && x.data[3] == 5);
    tg_array_free(&x);
    tg_array_free(&y);
    unlink(path);
}

/* ------------------------------------------------ PyTorch's semantics */

static double eval1(const char *src, double xv, double *grad)
{
    tg_graph *g = tg_graph_new();
    tg_expr *e = NULL;
    tg__expr_err err;
    double r = -12345;
    *grad = -12345;
    if (tg__expr_parse(src, &e, &err) == TG_OK) {
        const char *name = "x";
        tg_tensor *x = tg_input(g, TG_F64, 0, NULL, &xv);
        tg_set_requires_grad(x, true);
        tg_tensor *y = tg__expr_eval(e, g, TG_F64, 1, &name, &x, &err);
        if (y && tg_graph_status(g) == TG_OK) {
            r = tg_item(y);
            if (tg_requires_grad(y) && tg_backward(g, y) == TG_OK && x->grad)
                *grad = tg_item(x->grad);
            else
                *grad = 0; /* a constant of x */
        }
    }
    tg__expr_free(e);
    tg_graph_free(g);
    return r;
}

/* x ** 0 was lowered to x * 0 + 1: NaN at x = inf, -inf, NaN. */
static void pow_zero_expression(void)
{
    const double xs[] = {INFINITY, -INFINITY, NAN, 0.0, -0.0, 2.5, -1e308};
    const char *srcs[] = {"x ** 0", "x ** 0.0", "(x * 2) ** 0"};
    for (size_t k = 0; k < sizeof srcs / sizeof srcs[0]; k++)
        for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
            double gx, y = eval1(srcs[k], xs[i], &gx);
            TT_CHECK(y == 1.0);
            TT_CHECK(gx == 0.0); /* no gradient, not NaN */
        }
    double gx;
    TT_CHECK(eval1("x ** 1", INFINITY, &gx) == INFINITY && gx == 1);
    TT_CHECK(eval1("x ** 2", 3, &gx) == 9 && gx == 6);
}

/* var over an empty reduction: NaN for both divisors (was -0.0 when
 * unbiased); one element unbiased: NaN; two elements: the real value. */
static void var_empty(void)
{
    tg_graph *g = tg_graph_new();
    for (int ub = 0; ub < 2; ub++) {
        tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(3, 0), NULL);
        tg_tensor *v = tg_var(x, 1, (int64_t[]){1}, ub, false);
        TT_CHECK(tg_graph_status(g) == TG_OK && v->numel == 3);
        for (int i = 0; i < 3; i++) TT_CHECK(isnan(tg_get(v, i)));
        tg_tensor *xf = tg_input(g, TG_F32, TG_SHAPE(0), NULL);
        tg_tensor *vf = tg_var(xf, 0, NULL, ub, false);
        TT_CHECK(isnan(tg_item(vf)) && !signbit(tg_item(vf)));
        tg_tensor *one = tg_input(g, TG_F64, TG_SHAPE(1), (double[]){4});
        double v1 = tg_item(tg_var(one, 0, NULL, ub, false));
        TT_CHECK(ub ? isnan(v1) : v1 == 0);
        tg_tensor *two = tg_input(g, TG_F64, TG_SHAPE(2), (double[]){1, 4});
        TT_CHECK(tg_item(tg_var(two, 0, NULL, ub, false)) == (ub ? 4.5 : 2.25));
    }
    TT_CHECK(tg_graph_status(g) == TG_OK);
    tg_graph_free(g);
}

/* Reductions of a 0-d tensor over axis 0 or -1 (rejected before), as
 * softmax and squeeze already allowed; axis 1 and -2 stay errors. */
static void reduce_0d_axis(void)
{
    tg_graph *g = tg_graph_new();
    const int64_t axes[] = {0, -1};
    for (int k = 0; k < 2; k++)
        for (int keep = 0; keep < 2; keep++) {
            tg_graph_reset(g);
            tg_tensor *x = tg_input(g, TG_F64, 0, NULL, (double[]){-1.5});
            tg_set_requires_grad(x, true);
            const int64_t *ax = &axes[k];
            tg_tensor *r[6] = {
                tg_sum(x, 1, ax, keep),  tg_mean(x, 1, ax, keep),
                tg_max(x, 1, ax, keep),  tg_min(x, 1, ax, keep),
                tg_var(x, 1, ax, false, keep),
                tg_logsumexp(x, 1, ax, keep)};
            TT_CHECK(tg_graph_status(g) == TG_OK);
            const double want[6] = {-1.5, -1.5, -1.5, -1.5, 0, -1.5};
            tg_tensor *l = NULL;
            for (int i = 0; i < 6; i++) {
                TT_CHECK(r[i]->ndim == 0);
                TT_NEAR(tg_item(r[i]), want[i], 1e-15);
                l = l ? tg_add(l, r[i]) : r[i];
            }
            TT_CHECK(tg_backward(g, l) == TG_OK);
            /* d/dx of sum, mean, max, min, var, logsumexp: 1,1,1,1,0,1 */
            TT_NEAR(tg_item(x->grad), 5.0, 1e-15);
        }
    tg_graph_reset(g);
    tg_tensor *x = tg_input(g, TG_F64, 0, NULL, (double[]){2});
    tg_sum(x, 1, (int64_t[]){1}, false);
    TT_STREQ(tg_graph_error(g),
             "tg_sum: axis 1 out of range for shape []; hint: axes lie in "
             "[-1, 1)");
    tg_graph_reset(g);
    x = tg_input(g, TG_F64, 0, NULL, (double[]){2});
    tg_mean(x, 2, (int64_t[]){0, -1}, false);
    TT_STREQ(tg_graph_error(g), "tg_mean: axis -1 given twice for shape []");
    tg_graph_free(g);
}

/* clamp with neither bound is an error, as in PyTorch; one bound is not */
static void clamp_needs_a_bound(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(2), (double[]){-3, 3});
    tg_clamp(x, -INFINITY, INFINITY);
    TT_CHECK(tg_graph_status(g) == TG_ERR_ARG);
    TT_STREQ(tg_graph_error(g),
             "tg_clamp: at least one bound is needed (min -inf, max inf); "
             "hint: give min, max or both, as torch.clamp requires");
    tg_graph_reset(g);
    x = tg_input(g, TG_F64, TG_SHAPE(2), (double[]){-3, 3});
    tg_tensor *lo = tg_clamp(x, -1, INFINITY), *hi = tg_clamp(x, -INFINITY, 1);
    TT_CHECK(tg_graph_status(g) == TG_OK);
    TT_CHECK(tg_get(lo, 0) == -1 && tg_get(lo, 1) == 3);
    TT_CHECK(tg_get(hi, 0) == -3 && tg_get(hi, 1) == 1);
    /* the expression clamp(x) with no keyword reaches the same check */
    double gx;
    TT_CHECK(eval1("clamp(x)", 1, &gx) == -12345);
    TT_CHECK(eval1("clamp(x, max=0.5)", 1, &gx) == 0.5 && gx == 0);
    tg_graph_free(g);
}

/* ------------------------------------------------------------- messages */

static void messages(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(2, 4), NULL);
    tg_maxout(x, (int64_t)1 << 31);
    TT_STREQ(tg_graph_error(g),
             "tg_maxout: k must lie in [1, 2147483647] (got 2147483648); "
             "hint: k is the number of pieces per output feature");
    tg_graph_reset(g);
    TT_CHECK(tg_nn_maxout(g, TG_F32, 4, (int64_t)1 << 40, (int64_t)1 << 40,
                          TG_INIT_DEFAULT, NULL) == NULL);
    TT_STREQ(tg_graph_error(g),
             "tg_nn_maxout: out * k = 1099511627776 * 1099511627776 features "
             "is too many; hint: k lies in [1, 2147483647] and the layer's "
             "width out * k must fit a tensor");
    tg_graph_reset(g);
    TT_CHECK(tg_nn_maxout(g, TG_F32, 4, 3, 0, TG_INIT_DEFAULT, NULL) == NULL);
    TT_STREQ(tg_graph_error(g), "tg_nn_maxout: pieces k = 0 must be >= 1");
    /* an ndim outside 0..8 is named as such, not printed as [] */
    const int bad[] = {9, -1};
    for (int k = 0; k < 2; k++) {
        char want[4][200];
        snprintf(want[0], 200, "tg_expand: target ndim %d outside 0..8 (or "
                 "the shape is NULL) for [2,4]", bad[k]);
        snprintf(want[1], 200, "tg_sum_to: target ndim %d outside 0..8 (or "
                 "the shape is NULL) for [2,4]", bad[k]);
        snprintf(want[2], 200, "tg_permute: ndim %d outside 0..8 (or perm "
                 "is NULL) for [2,4]; hint: list each of its 2 axes once",
                 bad[k]);
        snprintf(want[3], 200, "tg_slice_backward: ndim %d outside 0..8 (or "
                 "the shape is NULL) for gradient [2,4]", bad[k]);
        int64_t sh[9] = {2, 4, 1, 1, 1, 1, 1, 1, 1};
        for (int op = 0; op < 4; op++) {
            tg_graph_reset(g);
            x = tg_input(g, TG_F64, TG_SHAPE(2, 4), NULL);
            switch (op) {
            case 0: tg_expand(x, bad[k], sh); break;
            case 1: tg_sum_to(x, bad[k], sh); break;
            case 2: tg_permute(x, bad[k], sh); break;
            default: tg_slice_backward(x, bad[k], sh, 0, 0, 1);
            }
            TT_CHECK(tg_graph_status(g) == TG_ERR_ARG);
            TT_STREQ(tg_graph_error(g), want[op]);
        }
    }
    /* a 0-d tensor's axis range reads [-1, 1), not [-0, 0) */
    tg_graph_reset(g);
    x = tg_input(g, TG_F64, 0, NULL, NULL);
    tg_max(x, 1, (int64_t[]){3}, false);
    TT_STREQ(tg_graph_error(g), "tg_max: axis 3 out of range for shape []; "
                                "hint: axes lie in [-1, 1)");
    tg_graph_free(g);
    /* a cosine schedule whose total lies below the warmup (INT64_MIN
     * overflowed total - warmup): min_lr once warm */
    tg_lr_schedule s = {0};
    s.kind = TG_LR_COSINE;
    s.base_lr = 1;
    s.min_lr = 0.25;
    s.warmup = 4;
    s.total = INT64_MIN;
    TT_CHECK(tg_lr_at(&s, 1) == 0.5);
    TT_CHECK(tg_lr_at(&s, 4) == 0.25 && tg_lr_at(&s, INT64_MAX) == 0.25);
}

/* ------------------------------------------------------ NULL arguments */

/* The RNG functions and tg_check_format_index dereferenced NULL. */
static void null_rng_and_report(void)
{
    tg_rng_seed(NULL, 1);
    TT_STREQ(tg_last_error(), "tg_rng_seed: the generator is NULL; hint: "
                              "tg_graph_rng(g) or a tg_rng you own");
    TT_CHECK(tg_rng_next(NULL) == 0);
    TT_CONTAINS(tg_last_error(), "tg_rng_next: the generator is NULL");
    TT_CHECK(isnan(tg_rng_uniform(NULL)));
    TT_CONTAINS(tg_last_error(), "tg_rng_uniform: the generator is NULL");
    TT_CHECK(isnan(tg_rng_normal(NULL)));
    TT_CONTAINS(tg_last_error(), "tg_rng_normal: the generator is NULL");
    TT_CHECK(tg_graph_rng(NULL) == NULL);
    tg_rng r;
    tg_rng_seed(&r, 7);
    double u = tg_rng_uniform(&r);
    TT_CHECK(u >= 0 && u < 1);
    char buf[8] = "xxxxxxx";
    tg_check_format_index(buf, sizeof buf, NULL);
    TT_STREQ(buf, "-");
    tg_check_format_index(NULL, 16, NULL);
    tg_check_format_index(buf, 0, NULL);
    TT_STREQ(buf, "-");
    tg_check_input_report ir = {0};
    ir.ndim = 2;
    ir.shape[0] = 3;
    ir.shape[1] = 4;
    ir.worst = 7;
    tg_check_format_index(buf, sizeof buf, &ir);
    TT_STREQ(buf, "(1,3)");
}

/* ------------------------------------------- files that are not files */

static char tmpdir[64];

static const char *in_dir(char *buf, const char *name)
{
    snprintf(buf, 128, "%s/%s", tmpdir, name);
    return buf;
}

static bool file_is(const char *path, const char *want)
{
    char got[256] = {0};
    FILE *f = fopen(path, "r");
    if (!f) return false;
    size_t n = fread(got, 1, sizeof got - 1, f);
    fclose(f);
    return n == strlen(want) && !memcmp(got, want, n);
}

/* tg_save renamed over whatever was at the path (a FIFO, a symlink, a
 * dangling symlink became a regular file) and made a 0600 file 0644. */
static void save_replaces_only_files(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/tg_edges_saveXXXXXX");
    TT_CHECK(mkdtemp(tmpdir) != NULL);
    char p[128], t[128], q[128];
    tg_graph *g = tg_graph_new();
    tg_tensor *w = tg_param(g, TG_F32, TG_SHAPE(2), "w");
    tg_f32(w)[0] = 1.5f;
    tg_f32(w)[1] = -2;
    struct stat st;
    /* a symbolic link to a file, and a dangling one */
    write_file(in_dir(t, "target"), "keep");
    TT_CHECK(symlink(t, in_dir(p, "link")) == 0);
    TT_CHECK(symlink(in_dir(q, "nowhere"), in_dir(q, "dangling")) == 0);
    const char *links[2] = {p, q};
    for (int k = 0; k < 2; k++) {
        TT_CHECK(tg_save(links[k], 1, &w, NULL) == TG_ERR_IO);
        TT_CONTAINS(tg_last_error(), "is a symbolic link; only a regular "
                                     "file is replaced");
        TT_CHECK(lstat(links[k], &st) == 0 && S_ISLNK(st.st_mode));
    }
    TT_CHECK(file_is(t, "keep"));
    TT_CHECK(access(in_dir(q, "nowhere"), F_OK) != 0);
    /* a FIFO and a directory */
    TT_CHECK(mkfifo(in_dir(p, "fifo"), 0600) == 0);
    TT_CHECK(tg_save(p, 1, &w, NULL) == TG_ERR_IO);
    TT_CONTAINS(tg_last_error(), "is a FIFO");
    TT_CHECK(lstat(p, &st) == 0 && S_ISFIFO(st.st_mode));
    TT_CHECK(mkdir(in_dir(p, "dir"), 0700) == 0);
    TT_CHECK(tg_save(p, 1, &w, NULL) == TG_ERR_IO);
    TT_CHECK(lstat(p, &st) == 0 && S_ISDIR(st.st_mode));
    /* a private file stays private, a group-readable one stays so */
    const mode_t modes[2] = {0600, 0640};
    for (int k = 0; k < 2; k++) {
        in_dir(p, k ? "shared.tgm" : "private.tgm");
        write_file(p, "old");
        TT_CHECK(chmod(p, modes[k]) == 0);
        TT_CHECK(tg_save(p, 1, &w, NULL) == TG_OK);
        TT_CHECK(stat(p, &st) == 0 && (st.st_mode & 07777) == modes[k]);
        tg_f32(w)[0] = 0;
        TT_CHECK(tg_load(p, 1, &w, NULL) == TG_OK && tg_f32(w)[0] == 1.5f);
        tg_f32(w)[0] = 1.5f;
    }
    /* a new file: 0666 less the umask */
    mode_t um = umask(022);
    TT_CHECK(tg_save(in_dir(p, "new.tgm"), 1, &w, NULL) == TG_OK);
    TT_CHECK(stat(p, &st) == 0 && (st.st_mode & 07777) == 0644);
    umask(um);
    tg_graph_free(g);
}

/* tg_graph_save_dot removed the path on any failure, an existing file
 * included when the graph merely held an earlier error, and wrote
 * through (and then removed) a symbolic link. */
static void save_dot_keeps_old_file(void)
{
    char p[128], t[128];
    tg_graph *g = tg_graph_new();
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(2), (double[]){1, 2});
    tg_set_requires_grad(x, true);
    tg_tensor *y = tg_sum_all(tg_tanh(x));
    (void)y;
    in_dir(p, "graph.dot");
    TT_CHECK(tg_graph_save_dot(g, p, NULL) == TG_OK);
    TT_CHECK(!file_is(p, "old"));
    write_file(p, "old");
    tg_add(x, tg_input(g, TG_F64, TG_SHAPE(3), NULL)); /* sticky error */
    TT_CHECK(tg_graph_save_dot(g, p, NULL) == TG_ERR_SHAPE);
    TT_CHECK(file_is(p, "old"));
    tg_graph_reset(g);
    x = tg_input(g, TG_F64, TG_SHAPE(2), (double[]){1, 2});
    tg_tanh(x);
    write_file(in_dir(t, "dot-target"), "old");
    TT_CHECK(symlink(t, in_dir(p, "dot-link")) == 0);
    TT_CHECK(tg_graph_save_dot(g, p, NULL) == TG_ERR_IO);
    TT_CONTAINS(tg_last_error(), "tg_graph_save_dot: ");
    struct stat st;
    TT_CHECK(lstat(p, &st) == 0 && S_ISLNK(st.st_mode));
    TT_CHECK(file_is(t, "old"));
    /* a 0600 file keeps its mode and gets the new content */
    in_dir(p, "private.dot");
    write_file(p, "old");
    TT_CHECK(chmod(p, 0600) == 0);
    TT_CHECK(tg_graph_save_dot(g, p, NULL) == TG_OK);
    TT_CHECK(stat(p, &st) == 0 && (st.st_mode & 07777) == 0600);
    TT_CHECK(!file_is(p, "old") && st.st_size > 20);
    tg_graph_free(g);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    TT_CHECK(system(cmd) == 0);
}

/* ------------------------------------------------ many-record model file */

static void le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* A model file of 80,001 scalar records whose last two share a name (valid CRCs, so it reaches the duplicate check). Comparing every
 * pair took 20 s; sorted, the rejection takes milliseconds. The bound
 * below is CPU time with a wide margin, not a benchmark. */
static void model_many_records(void)
{
    enum { N = 80000 };
    size_t cap = 24 + (size_t)(N + 1) * 32 + 4, size = 24;
    unsigned char *b = calloc(1, cap);
    TT_CHECK(b != NULL);
    if (!b) return;
    memcpy(b, "\x89TGW\r\n\x1a\n", 8);
    le32(b + 8, 1);
    le32(b + 12, 0);
    le32(b + 16, N + 1);
    le32(b + 20, (uint32_t)crc32(0, b, 20));
    for (int k = 0; k <= N; k++) {
        char name[16];
        int len = snprintf(name, sizeof name, "t%d", k == N ? N - 1 : k);
        unsigned char *r = b + size;
        r[0] = 0; /* a tensor */
        r[1] = 0; /* f32 */
        r[2] = 0; /* 0-d: one value */
        r[3] = 0;
        le32(r + 4, (uint32_t)len);
        memcpy(r + 8, name, (size_t)len);
        float v = (float)k;
        memcpy(r + 8 + len, &v, 4);
        le32(r + 12 + len, (uint32_t)crc32(0, r, (uInt)(12 + len)));
        size += 16 + (size_t)len;
    }
    le32(b + size, (uint32_t)crc32(0, b, (uInt)size));
    size += 4;
    char path[] = "/tmp/tg_edges_modelXXXXXX";
    int fd = mkstemp(path);
    TT_CHECK(fd >= 0 && write(fd, b, size) == (ssize_t)size);
    close(fd);
    free(b);
    clock_t t0 = clock();
    TT_CHECK(tg_load(path, 0, NULL, NULL) == TG_ERR_FORMAT);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    TT_CONTAINS(tg_last_error(), "records 80000 and 80001 are both named "
                                 "\"t79999\"");
    TT_CHECK(secs < 5);
    if (secs >= 5) fprintf(stderr, "tg_load took %.1f s of CPU\n", secs);
    unlink(path);
}

TT_RUN(TT(matmul_empty_huge), TT(reduce_count_of_huge_shapes),
       TT(slice_backward_bounds),
       TT(flatten_overflow), TT(aliased_arrays), TT(pow_zero_expression),
       TT(var_empty), TT(reduce_0d_axis), TT(clamp_needs_a_bound),
       TT(messages), TT(null_rng_and_report),
       TT(save_replaces_only_files), TT(save_dot_keeps_old_file),
       TT(model_many_records))
