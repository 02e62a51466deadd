/* Hardening: bad input of every class the engine can be handed, the
 * out-of-memory paths of a 3-layer MLP, anomaly mode, and the engine's
 * bookkeeping edge cases. Each case asserts what the caller gets back (a
 * status, an exact message, values), never only "did not crash"; the
 * sanitizer pass of CI adds the memory-safety half. docs/reliability.md
 * lists these tests against the classes of input they cover. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <tapegrad/tapegrad.h>

#include "hardening.h"
#include "src/expr.h"     /* the expression language (engine-private) */
#include "src/internal.h" /* white-box: bw_id wrap-around */
#include "tt.h"

static tg_tensor *in64(tg_graph *g, int nd, const int64_t *sh, const double *v,
                       bool rg)
{
    tg_tensor *t = tg_input(g, TG_F64, nd, sh, v);
    if (rg) tg_set_requires_grad(t, true);
    return t;
}

static bool all_zero(const tg_tensor *t)
{
    for (int64_t i = 0; i < t->numel; i++)
        if (tg_get(t, i) != 0) return false;
    return true;
}

/* ------------------------------------------------- shape errors per family */

static void shape_mismatch_messages(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *a = tg_input(g, TG_F32, TG_SHAPE(2, 3), NULL);
    tg_tensor *b = tg_input(g, TG_F32, TG_SHAPE(4, 3), NULL);
    /* binary family: every member names itself and both shapes */
    tg_tensor *(*bin[])(tg_tensor *, tg_tensor *) = {tg_add, tg_sub, tg_mul,
                                                     tg_div, tg_tanh_backward};
    const char *names[] = {"add", "sub", "mul", "div", "tanh_backward"};
    for (int k = 0; k < 5; k++) {
        char want[256];
        snprintf(want, sizeof want,
                 "tg_%s: shapes [2,3] and [4,3] do not broadcast (dim -2: 2 "
                 "vs 4); hint: dims must match or be 1, aligned from the right",
                 names[k]);
        tg_tensor *r = bin[k](a, b);
        TT_CHECK(r == tg_add(r, r)); /* the poison tensor */
        TT_CHECK(tg_graph_status(g) == TG_ERR_SHAPE);
        TT_STREQ(tg_graph_error(g), want);
        tg_graph_reset(g);
        a = tg_input(g, TG_F32, TG_SHAPE(2, 3), NULL);
        b = tg_input(g, TG_F32, TG_SHAPE(4, 3), NULL);
    }
    /* matmul: rank (0-d; vectors are fine), inner dims, batch dims */
    tg_tensor *v = tg_input(g, TG_F32, 0, NULL, NULL);
    tg_matmul(a, v);
    TT_STREQ(tg_graph_error(g),
             "tg_matmul: needs at least 1 dim on both sides: [2,3] @ []; "
             "hint: scale by a 0-d tensor with mul (*)");
    tg_graph_reset(g);
    a = tg_input(g, TG_F32, TG_SHAPE(2, 3), NULL);
    tg_matmul_t(a, a, true, false); /* [2,3]^T @ [2,3]: fine, K = 2 */
    TT_CHECK(tg_graph_status(g) == TG_OK);
    tg_matmul_t(a, a, false, false);
    TT_STREQ(tg_graph_error(g),
             "tg_matmul: inner dimensions differ: [2,3] @ [2,3] (3 vs 2)");
    tg_graph_reset(g);
    tg_tensor *p = tg_input(g, TG_F32, TG_SHAPE(2, 2, 3), NULL);
    tg_tensor *q = tg_input(g, TG_F32, TG_SHAPE(3, 3, 4), NULL);
    tg_matmul(p, q);
    TT_STREQ(tg_graph_error(g),
             "tg_matmul: batch dims of [2,2,3] and [3,3,4] do not broadcast");
    tg_graph_reset(g);
    /* sum family: axes */
    a = tg_input(g, TG_F32, TG_SHAPE(2, 3), NULL);
    tg_sum(a, 1, (int64_t[]){-3}, false);
    TT_STREQ(tg_graph_error(g), "tg_sum: axis -3 out of range for shape "
                                "[2,3]; hint: axes lie in [-2, 2)");
    tg_graph_reset(g);
    a = tg_input(g, TG_F32, TG_SHAPE(2, 3), NULL);
    tg_sum(a, 2, (int64_t[]){1, -1}, true);
    TT_STREQ(tg_graph_error(g), "tg_sum: axis -1 given twice for shape [2,3]");
    tg_graph_reset(g);
    a = tg_input(g, TG_F32, TG_SHAPE(2, 3), NULL);
    tg_sum(a, 9, (int64_t[9]){0}, false); /* more axes than dims exist */
    TT_CHECK(tg_graph_status(g) == TG_ERR_SHAPE);
    tg_graph_reset(g);
    a = tg_input(g, TG_F32, TG_SHAPE(2, 3), NULL);
    tg_sum(a, 1, NULL, false);
    TT_CHECK(tg_graph_status(g) == TG_ERR_SHAPE);
    tg_graph_reset(g);
    /* a scalar has axes 0 and -1 only (as in PyTorch) */
    tg_sum(tg_scalar(g, TG_F64, 1), 1, (int64_t[]){1}, false);
    TT_STREQ(tg_graph_error(g), "tg_sum: axis 1 out of range for shape []; "
                                "hint: axes lie in [-1, 1)");
    tg_graph_reset(g);
    /* shape plumbing: reshape, expand, sum_to */
    a = tg_input(g, TG_F32, TG_SHAPE(2, 3), NULL);
    tg_reshape(a, TG_SHAPE(4, 2));
    TT_STREQ(tg_graph_error(g),
             "tg_reshape: cannot reshape [2,3] (6 elements) to [4,2] (8)");
    tg_graph_reset(g);
    a = tg_input(g, TG_F32, TG_SHAPE(2, 3), NULL);
    tg_reshape(a, TG_SHAPE(-1, -1));
    TT_STREQ(tg_graph_error(g),
             "tg_reshape: bad target shape [-1,-1] for [2,3]; hint: dims are "
             ">= 0 with at most one -1");
    tg_graph_reset(g);
    a = tg_input(g, TG_F32, TG_SHAPE(2, 3), NULL);
    tg_reshape(a, 9, (int64_t[9]){6, 1, 1, 1, 1, 1, 1, 1, 1});
    TT_STREQ(tg_graph_error(g),
             "tg_reshape: ndim 9 outside 0..8 (or shape is NULL)");
    tg_graph_reset(g);
    a = tg_input(g, TG_F32, TG_SHAPE(2, 3), NULL);
    tg_expand(a, TG_SHAPE(4, 3));
    TT_STREQ(tg_graph_error(g),
             "tg_expand: [2,3] does not broadcast to [4,3]; hint: dims must "
             "match or be 1, aligned from the right");
    tg_graph_reset(g);
    a = tg_input(g, TG_F32, TG_SHAPE(2, 3), NULL);
    tg_expand(a, TG_SHAPE(3)); /* fewer dims than the source */
    TT_CHECK(tg_graph_status(g) == TG_ERR_SHAPE);
    tg_graph_reset(g);
    a = tg_input(g, TG_F32, TG_SHAPE(2, 3), NULL);
    tg_sum_to(a, TG_SHAPE(2, 2));
    TT_STREQ(tg_graph_error(g),
             "tg_sum_to: [2,2] does not broadcast to [2,3]; hint: dims must "
             "match or be 1, aligned from the right");
    tg_graph_reset(g);
    a = tg_input(g, TG_F32, TG_SHAPE(2, 3), NULL);
    tg_expand(a, TG_SHAPE(-2, 3));
    TT_CHECK(tg_graph_status(g) == TG_ERR_SHAPE);
    tg_graph_free(g);
}

/* One representative per error class of the other op families, with its
 * exact message: each names the op, the shapes or values at fault and,
 * where it helps, a hint. */
static void family_error_messages(void)
{
    static const struct {
        int id;
        tg_status st;
        const char *msg;
    } want[] = {
        {0, TG_ERR_SHAPE, "tg_pow: shapes [2,3] and [4,3] do not broadcast (dim -2: 2 vs 4); hint: dims must match or be 1, aligned from the right"},
        {1, TG_ERR_SHAPE, "tg_prelu: alpha has shape [4] but x [2,3] has 3 channels (dim 1); hint: alpha needs 1 value or one per channel"},
        {2, TG_ERR_ARG, "tg_clamp: min 1 > max -1; hint: pass the lower bound first"},
        {3, TG_ERR_ARG, "tg_leaky_relu: alpha must be finite (got nan)"},
        {4, TG_ERR_SHAPE, "tg_maxout: last dim 5 of [2,5] is not divisible by k = 2; hint: k must divide the feature count"},
        {5, TG_ERR_SHAPE, "tg_softmax: axis 2 out of range for shape [2,3]; hint: axes lie in [-2, 2)"},
        {6, TG_ERR_SHAPE, "tg_mean: axis 5 out of range for shape [2,3]; hint: axes lie in [-2, 2)"},
        {7, TG_ERR_SHAPE, "tg_max: cannot reduce empty groups of [0,3]; hint: max and min have no value for zero elements"},
        {8, TG_ERR_SHAPE, "tg_linear: x [2,3] does not end in W's input size: W is [4,5]; hint: x is [..., in] and W is [in, out]"},
        {9, TG_ERR_ARG, "tg_permute: [0,0] is not a permutation of the 2 axes of [2,3]; hint: list each axis once"},
        {10, TG_ERR_SHAPE, "tg_concat: input 2 [3,2] does not match input 1 [2,3]; hint: all extents but axis 0 must agree"},
        {11, TG_ERR_ARG, "tg_index_select: index[1] = 3 is out of range for axis 1 of [2,3]; hint: it must lie in [0, 3)"},
        {12, TG_ERR_ARG, "tg_cross_entropy: labels[1] = nan is not an integer; hint: indices are i64 (or whole numbers in f32/f64)"},
        {13, TG_ERR_SHAPE, "tg_cross_entropy: labels [3] do not match logits [2,3]; hint: labels are [N] class indices"},
        {14, TG_ERR_SHAPE, "tg_layer_norm: weight [4] does not match x [2,3]; hint: it must be [3]"},
        {15, TG_ERR_SHAPE, "tg_batch_norm: expected more than 1 value per channel when training, got x [1,3]; hint: use a larger batch or eval mode"},
        {16, TG_ERR_ARG, "tg_dropout: p must lie in [0, 1), got nan; hint: p is the probability of dropping an element"},
        {17, TG_ERR_SHAPE, "tg_unsqueeze: cannot insert an axis at 4 into [2,3]; hint: the axis lies in [-3, 2] and tensors have at most 8 dims"},
    };
    tg_graph *g = tg_graph_new();
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        tg_tensor *a = tg_input(g, TG_F64, TG_SHAPE(2, 3), NULL);
        tg_tensor *lab = tg_input(g, TG_F64, TG_SHAPE(2), (double[]){0, 3});
        switch (want[k].id) {
        case 0: tg_pow(a, tg_input(g, TG_F64, TG_SHAPE(4, 3), NULL)); break;
        case 1: tg_prelu(a, tg_input(g, TG_F64, TG_SHAPE(4), NULL)); break;
        case 2: tg_clamp(a, 1, -1); break;
        case 3: tg_leaky_relu(a, NAN); break;
        case 4: tg_maxout(tg_input(g, TG_F64, TG_SHAPE(2, 5), NULL), 2); break;
        case 5: tg_softmax(a, 2); break;
        case 6: tg_mean(a, 1, (int64_t[]){5}, false); break;
        case 7: tg_max(tg_input(g, TG_F64, TG_SHAPE(0, 3), NULL), 1, (int64_t[]){0}, false); break;
        case 8: tg_linear(a, tg_input(g, TG_F64, TG_SHAPE(4, 5), NULL), NULL); break;
        case 9: tg_permute(a, 2, (int64_t[]){0, 0}); break;
        case 10: tg_concat((tg_tensor *[]){a, tg_input(g, TG_F64, TG_SHAPE(3, 2), NULL)}, 2, 0); break;
        case 11: tg_index_select(a, 1, lab); break;
        case 12: tg_cross_entropy(a, tg_input(g, TG_F64, TG_SHAPE(2), (double[]){0, NAN})); break;
        case 13: tg_cross_entropy(a, tg_input(g, TG_F64, TG_SHAPE(3), NULL)); break;
        case 14: tg_layer_norm(a, tg_input(g, TG_F64, TG_SHAPE(4), NULL), NULL, 1e-5); break;
        case 15: tg_batch_norm(tg_input(g, TG_F64, TG_SHAPE(1, 3), NULL), NULL, NULL, NULL, NULL, 0.1, 1e-5); break;
        case 16: tg_dropout(a, NAN); break;
        case 17: tg_unsqueeze(a, 4); break;
        }
        TT_CHECK(tg_graph_status(g) == want[k].st);
        TT_STREQ(tg_graph_error(g), want[k].msg);
        tg_graph_reset(g);
    }
    tg_graph_free(g);
}

/* Leaf constructors reject bad dtypes, ranks and dims with TG_ERR_ARG /
 * TG_ERR_SHAPE; a graph-less call reports through tg_last_error. */
static void bad_leaf_arguments(void)
{
    tg_graph *g = tg_graph_new();
    tg_input(g, (tg_dtype)7, TG_SHAPE(2), NULL);
    TT_STREQ(tg_graph_error(g),
             "tg_input: unknown dtype 7 (use TG_F32, TG_F64, TG_I64 or TG_BOOL)");
    tg_graph_reset(g);
    tg_input(g, TG_F32, 9, (int64_t[9]){1, 1, 1, 1, 1, 1, 1, 1, 1}, NULL);
    TT_STREQ(tg_graph_error(g),
             "tg_input: ndim 9 outside 0..8 or shape is NULL");
    tg_graph_reset(g);
    tg_constant(g, TG_F32, 2, NULL, NULL);
    TT_STREQ(tg_graph_error(g),
             "tg_constant: ndim 2 outside 0..8 or shape is NULL");
    tg_graph_reset(g);
    tg_input(g, TG_F32, -1, NULL, NULL);
    TT_CHECK(tg_graph_status(g) == TG_ERR_ARG);
    tg_graph_reset(g);
    tg_full(g, TG_F64, TG_SHAPE(3, -4), 1.0);
    TT_STREQ(tg_graph_error(g),
             "tg_full: shape [3,-4] has a negative dim or too many elements "
             "(element count overflows)");
    tg_graph_reset(g);
    TT_CHECK(tg_param(g, TG_F32, TG_SHAPE(-1), "w") == NULL);
    TT_CHECK(tg_graph_status(g) == TG_ERR_SHAPE);
    TT_CHECK(tg_graph_num_params(g) == 0);
    tg_graph_reset(g);
    TT_CHECK(tg_cast(tg_input(g, TG_F32, TG_SHAPE(2), NULL), (tg_dtype)4) != NULL);
    TT_STREQ(tg_graph_error(g),
             "tg_cast: unknown dtype 4; hint: TG_F32, TG_F64, TG_I64 or "
             "TG_BOOL");
    tg_graph_free(g);

    TT_CHECK(tg_input(NULL, TG_F32, TG_SHAPE(2), NULL) == NULL);
    TT_STREQ(tg_last_error(), "tg_input: graph is NULL");
    TT_CHECK(tg_param(NULL, TG_F32, TG_SHAPE(2), "w") == NULL);
    TT_STREQ(tg_last_error(), "tg_param: graph is NULL");
}

/* Element counts that overflow int64 (or the engine's byte-count margin)
 * are shape errors, before any allocation; counts that fit but cannot be
 * allocated are TG_ERR_OOM (the hook refuses them here, so the test does
 * not depend on how much memory the machine has). */
static void huge_shapes(void)
{
    hd_alloc ha;
    hd_install(&ha, 0, false, (size_t)1 << 30);
    tg_graph *g = tg_graph_new();
    int64_t big = INT64_C(1) << 40;
    tg_input(g, TG_F64, TG_SHAPE(big, big), NULL);
    TT_STREQ(tg_graph_error(g),
             "tg_input: shape [1099511627776,1099511627776] has a negative "
             "dim or too many elements (element count overflows)");
    tg_graph_reset(g);
    /* INT64_MAX in one dim times 2 */
    tg_full(g, TG_F32, TG_SHAPE(INT64_MAX, 2), 0);
    TT_CHECK(tg_graph_status(g) == TG_ERR_SHAPE);
    tg_graph_reset(g);
    /* a zero dim makes any other extent harmless: numel 0 */
    tg_tensor *z = tg_input(g, TG_F32, TG_SHAPE(0, INT64_MAX), NULL);
    TT_CHECK(tg_graph_status(g) == TG_OK && z->numel == 0);
    tg_graph_reset(g);
    /* an op output that overflows: expand a scalar */
    tg_tensor *s = tg_scalar(g, TG_F32, 1);
    tg_expand(s, TG_SHAPE(big, big));
    TT_STREQ(tg_graph_error(g),
             "tg_expand: output shape [1099511627776,1099511627776] has too "
             "many elements");
    tg_graph_reset(g);
    /* fits in int64 but not in memory: out of memory, named */
    s = tg_scalar(g, TG_F32, 1);
    tg_expand(s, TG_SHAPE(INT64_C(1) << 20, INT64_C(1) << 20));
    TT_CHECK(tg_graph_status(g) == TG_ERR_OOM);
    TT_STREQ(tg_graph_error(g), "tg_expand: out of memory allocating the "
                                "output [1048576,1048576]");
    tg_graph_reset(g);
    tg_input(g, TG_F64, TG_SHAPE(INT64_C(1) << 28, INT64_C(1) << 28), NULL);
    TT_STREQ(tg_graph_error(g),
             "tg_input: out of memory allocating f64 [268435456,268435456]");
    tg_graph_reset(g);
    TT_CHECK(tg_param(g, TG_F32, TG_SHAPE(INT64_C(1) << 30, 64), "huge") == NULL);
    TT_STREQ(tg_graph_error(g),
             "tg_param: out of memory allocating huge [1073741824,64]");
    tg_graph_reset(g);
    /* reshape: the target's count overflows before -1 is inferred */
    tg_reshape(tg_input(g, TG_F32, TG_SHAPE(4), NULL),
               TG_SHAPE(big, big, -1));
    TT_CHECK(tg_graph_status(g) == TG_ERR_SHAPE);
    tg_graph_reset(g);
    /* the graph still works */
    double xv[2] = {1, 2};
    tg_tensor *x = in64(g, TG_SHAPE(2), xv, true);
    TT_CHECK(tg_backward(g, tg_sum_all(tg_mul(x, x))) == TG_OK);
    TT_NEAR(tg_get(x->grad, 1), 4, 0);
    tg_graph_free(g);
    TT_CHECK(ha.live == 0);
    hd_uninstall();
}

static void dtype_mix(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *a = tg_input(g, TG_F32, TG_SHAPE(2), NULL);
    tg_tensor *b = tg_input(g, TG_F64, TG_SHAPE(2), NULL);
    tg_matmul(tg_reshape(a, TG_SHAPE(1, 2)), tg_reshape(b, TG_SHAPE(2, 1)));
    TT_STREQ(tg_graph_error(g), "tg_matmul: dtypes differ: input 1 is f32, "
                                "input 2 is f64; hint: convert with tg_cast");
    tg_graph_reset(g);
    a = tg_input(g, TG_F32, TG_SHAPE(2), NULL);
    b = tg_input(g, TG_F64, TG_SHAPE(2), NULL);
    tg_tanh_backward(b, a);
    TT_STREQ(tg_graph_error(g), "tg_tanh_backward: dtypes differ: input 1 is "
                                "f64, input 2 is f32; hint: convert with "
                                "tg_cast");
    tg_graph_reset(g);
    /* a seed of the wrong dtype */
    double xv[2] = {1, 2};
    tg_tensor *x = in64(g, TG_SHAPE(2), xv, true);
    tg_tensor *y = tg_mul_scalar(x, 2);
    tg_tensor *s = tg_input(g, TG_F32, TG_SHAPE(2), NULL);
    TT_CHECK(tg_backward_seed(g, y, s) == TG_ERR_SHAPE);
    TT_STREQ(tg_graph_error(g),
             "tg_backward_seed: seed 1 has shape [2] f32 but output is [2] "
             "f64; hint: the seed must match the output");
    tg_graph_reset(g);
    /* mixing through tg_cast is the supported way, gradient comes back f32 */
    a = tg_input(g, TG_F32, TG_SHAPE(2), (float[]){1.5f, -2});
    tg_set_requires_grad(a, true);
    b = tg_input(g, TG_F64, TG_SHAPE(2), (double[]){3, 4});
    TT_CHECK(tg_backward(g, tg_sum_all(tg_mul(tg_cast(a, TG_F64), b))) == TG_OK);
    TT_CHECK(a->grad->dtype == TG_F32);
    TT_NEAR(tg_get(a->grad, 0), 3, 0);
    TT_NEAR(tg_get(a->grad, 1), 4, 0);
    tg_graph_free(g);
}

/* ------------------------------------------- empty tensors, zero-size dims */

/* Every core op on a tensor with a 0 extent: forward gives the right
 * (empty or zero) result, backward gives gradients of the input's shape. */
static void zero_size_dims(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *x = in64(g, TG_SHAPE(3, 0), NULL, true);
    tg_tensor *w = in64(g, TG_SHAPE(0, 4), NULL, true);
    tg_tensor *r = in64(g, TG_SHAPE(0), NULL, true);
    tg_tensor *y = tg_tanh(tg_add_scalar(tg_neg(tg_mul_scalar(x, 2)), 1));
    TT_CHECK(y->ndim == 2 && y->shape[0] == 3 && y->shape[1] == 0 &&
             y->numel == 0);
    tg_tensor *s = tg_add(tg_sub(x, x), tg_div(tg_mul(x, x), x));
    TT_CHECK(s->numel == 0);
    /* [3,0] @ [0,4] = zeros [3,4]; K = 0 is a valid empty sum */
    tg_tensor *m = tg_matmul(x, w);
    TT_CHECK(m->ndim == 2 && m->shape[0] == 3 && m->shape[1] == 4);
    TT_CHECK(all_zero(m));
    /* sums over empty axes are 0, over non-empty axes of an empty tensor
     * are empty */
    tg_tensor *s0 = tg_sum(x, 1, (int64_t[]){1}, false);
    TT_CHECK(s0->ndim == 1 && s0->shape[0] == 3 && all_zero(s0));
    tg_tensor *s1 = tg_sum(x, 1, (int64_t[]){0}, true);
    TT_CHECK(s1->ndim == 2 && s1->shape[0] == 1 && s1->shape[1] == 0);
    TT_NEAR(tg_item(tg_sum_all(r)), 0, 0);
    /* broadcasting against an empty dim: [3,0] + [1,1] and [0] + [] */
    tg_tensor *b = tg_add(x, tg_input(g, TG_F64, TG_SHAPE(1, 1), NULL));
    TT_CHECK(b->numel == 0 && b->shape[1] == 0);
    TT_CHECK(tg_add(r, tg_scalar(g, TG_F64, 2))->numel == 0);
    /* [3,0] does not broadcast with [3,2] (0 vs 2) */
    TT_CHECK(tg_graph_status(g) == TG_OK);
    tg_tensor *e = tg_expand(tg_input(g, TG_F64, TG_SHAPE(1), NULL),
                             TG_SHAPE(0));
    TT_CHECK(e->numel == 0 && tg_graph_status(g) == TG_OK);
    tg_tensor *rs = tg_reshape(x, TG_SHAPE(0, 7));
    TT_CHECK(rs->numel == 0 && tg_graph_status(g) == TG_OK);
    tg_tensor *c = tg_cast(x, TG_F32);
    TT_CHECK(c->numel == 0 && c->dtype == TG_F32);
    tg_tensor *loss = tg_add(tg_add(tg_sum_all(y), tg_sum_all(s)),
                             tg_add(tg_sum_all(m), tg_sum_all(rs)));
    loss = tg_add(loss, tg_sum_all(tg_cast(c, TG_F64)));
    loss = tg_add(loss, tg_add(tg_sum_all(s0), tg_sum_all(s1)));
    TT_NEAR(tg_item(loss), 0, 0);
    TT_CHECK(tg_backward(g, loss) == TG_OK);
    TT_CHECK(x->grad && x->grad->numel == 0 && x->grad->ndim == 2 &&
             x->grad->shape[1] == 0);
    TT_CHECK(w->grad && w->grad->numel == 0 && w->grad->shape[1] == 4);
    /* reductions of nothing, as in PyTorch: mean NaN, logsumexp -Inf,
     * the mean loss of an empty batch NaN (max/min: an error, see
     * family_error_messages) */
    TT_CHECK(isnan(tg_item(tg_mean_all(r))));
    TT_CHECK(tg_get(tg_logsumexp(x, 1, (int64_t[]){1}, false), 2) == -INFINITY);
    TT_CHECK(isnan(tg_item(tg_cross_entropy(tg_input(g, TG_F64, TG_SHAPE(0, 3), NULL),
                                            tg_input(g, TG_F64, TG_SHAPE(0), NULL)))));
    TT_CHECK(tg_softmax(x, 1)->numel == 0);
    TT_CHECK(tg_graph_status(g) == TG_OK);
    /* inferring -1 next to a 0 is ambiguous: an error, as in PyTorch */
    tg_reshape(x, TG_SHAPE(0, -1));
    TT_STREQ(tg_graph_error(g),
             "tg_reshape: cannot infer -1 in [0,-1] from [3,0] (0 elements)");
    tg_graph_reset(g);
    /* a [0] mismatch is still reported: [0] vs [2] */
    tg_add(tg_input(g, TG_F32, TG_SHAPE(0), NULL),
           tg_input(g, TG_F32, TG_SHAPE(2), NULL));
    TT_STREQ(tg_graph_error(g),
             "tg_add: shapes [0] and [2] do not broadcast (dim -1: 0 vs 2); "
             "hint: dims must match or be 1, aligned from the right");
    tg_graph_reset(g);
    /* an empty parameter is legal; an empty loss is not one element */
    tg_tensor *p = tg_param(g, TG_F32, TG_SHAPE(0, 5), "empty");
    TT_CHECK(p && p->numel == 0 && p->grad->numel == 0);
    TT_CHECK(tg_backward(g, tg_mul_scalar(p, 2)) == TG_ERR_SHAPE);
    TT_STREQ(tg_graph_error(g), "tg_backward: output 1 has shape [0,5], not one "
                                "element; hint: reduce it (tg_sum_all) or pass "
                                "a seed (tg_backward_seed)");
    tg_graph_free(g);
}

/* NaN and Inf inputs are data, not errors, when anomaly mode is off: they
 * propagate by IEEE rules through forward and backward. */
static void nonfinite_inputs(void)
{
    tg_graph *g = tg_graph_new();
    double xv[4] = {NAN, INFINITY, -INFINITY, 1};
    tg_tensor *x = in64(g, TG_SHAPE(4), xv, true);
    tg_tensor *t = tg_tanh(x);
    TT_CHECK(isnan(tg_get(t, 0)));
    TT_NEAR(tg_get(t, 1), 1, 0);
    TT_NEAR(tg_get(t, 2), -1, 0);
    tg_tensor *q = tg_div(x, tg_scalar(g, TG_F64, 0)); /* x / 0 */
    TT_CHECK(isnan(tg_get(q, 0)) && tg_get(q, 1) == INFINITY &&
             tg_get(q, 2) == -INFINITY && tg_get(q, 3) == INFINITY);
    TT_CHECK(tg_backward(g, tg_sum_all(t)) == TG_OK);
    TT_CHECK(isnan(tg_get(x->grad, 0)));
    TT_NEAR(tg_get(x->grad, 1), 0, 0); /* 1 - tanh^2(inf) = 0 */
    TT_NEAR(tg_get(x->grad, 3), 1 - tanh(1.0) * tanh(1.0), 1e-15);
    /* f32 overflow: 3e38 * 10 = inf */
    tg_tensor *f = tg_mul_scalar(tg_input(g, TG_F32, TG_SHAPE(1),
                                          (float[]){3e38f}),
                                 10);
    TT_CHECK(tg_get(f, 0) == INFINITY);
    /* a NaN matmul operand gives NaN rows only where it contributes */
    double av[4] = {NAN, 0, 1, 2}, bv[4] = {1, 2, 3, 4};
    tg_tensor *m = tg_matmul(tg_input(g, TG_F64, TG_SHAPE(2, 2), av),
                             tg_input(g, TG_F64, TG_SHAPE(2, 2), bv));
    TT_CHECK(isnan(tg_get(m, 0)) && isnan(tg_get(m, 1)));
    TT_NEAR(tg_get(m, 2), 1 * 1 + 2 * 3, 0);
    TT_NEAR(tg_get(m, 3), 1 * 2 + 2 * 4, 0);
    TT_CHECK(tg_graph_status(g) == TG_OK);
    tg_graph_free(g);
}

/* --------------------------------------------------------- anomaly mode */

static void anomaly_forward(void)
{
    tg_graph *g = tg_graph_new();
    TT_CHECK(tg_set_anomaly(g, true) == false);
    double av[3] = {1, 0, 2}, bv[3] = {1, 0, 4};
    tg_tensor *a = in64(g, TG_SHAPE(3), av, true);
    tg_tensor *b = tg_input(g, TG_F64, TG_SHAPE(3), bv);
    tg_tensor *c = tg_mul_scalar(a, 2);  /* node #0 */
    tg_tensor *d = tg_div(c, b);         /* node #1: 0/0 at index 1 */
    TT_CHECK(tg_graph_status(g) == TG_ERR_NUMERIC);
    TT_STREQ(tg_graph_error(g),
             "tg_div: anomaly: the output holds NaN at flat index 1 (node #1 "
             "in forward order; inputs [3], [3])");
    TT_CHECK(tg_backward(g, tg_sum_all(d)) == TG_ERR_NUMERIC);
    tg_graph_reset(g);
    /* log of a negative number */
    tg_tensor *lx = tg_input(g, TG_F32, TG_SHAPE(2, 2), (float[]){1, 2, -3, 4});
    tg_log(tg_add_scalar(lx, 0.5));
    TT_STREQ(tg_graph_error(g),
             "tg_log: anomaly: the output holds NaN at flat index 2 (node #1 "
             "in forward order; inputs [2,2])");
    tg_graph_reset(g);
    /* Inf is reported too, and f32 as well as f64 */
    tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(2, 2), (float[]){1, 2, 3, 4});
    tg_tensor *s = tg_mul_scalar(x, 1e38);
    TT_STREQ(tg_graph_error(g),
             "tg_mul_scalar: anomaly: the output holds Inf at flat index 3 "
             "(node #0 in forward order; inputs [2,2])");
    tg_graph_reset(g);
    /* off again: the same NaN is plain data */
    TT_CHECK(tg_set_anomaly(g, false) == true);
    a = in64(g, TG_SHAPE(3), av, true);
    b = tg_input(g, TG_F64, TG_SHAPE(3), bv);
    d = tg_div(a, b);
    TT_CHECK(tg_graph_status(g) == TG_OK && isnan(tg_get(d, 1)));
    (void)s;
    tg_graph_free(g);
}

/* z = (a / b) / b with a = 0, b = 1e-200: the forward pass is all zeros,
 * but dz/da = 1/b^2 = 1e400 overflows. The report names the op whose VJP
 * produced the Inf (the first div, node #0) and the input it belongs to,
 * not an op run inside the VJP. */
static void anomaly_backward_only(void)
{
    tg_graph *g = tg_graph_new();
    tg_set_anomaly(g, true);
    double av = 0, bv = 1e-200;
    tg_tensor *a = in64(g, 0, NULL, &av, true);
    tg_tensor *b = tg_input(g, TG_F64, 0, NULL, &bv);
    tg_tensor *z = tg_div(tg_div(a, b), b);
    TT_CHECK(tg_graph_status(g) == TG_OK);
    TT_NEAR(tg_item(z), 0, 0);
    TT_CHECK(tg_backward(g, z) == TG_ERR_NUMERIC);
    TT_STREQ(tg_graph_error(g),
             "tg_div: anomaly: the gradient of input 1 holds Inf at flat "
             "index 0 (node #0 in forward order; inputs [], [])");
    TT_CHECK(a->grad == NULL || all_zero(a->grad)); /* nothing delivered */
    tg_graph_reset(g);
    /* sqrt at 0: forward 0, gradient 1 / (2 sqrt 0) = Inf */
    tg_set_anomaly(g, true);
    tg_tensor *r = in64(g, TG_SHAPE(3), (double[]){4, 0, 1}, true);
    tg_tensor *q = tg_sum_all(tg_sqrt(r));
    TT_CHECK(tg_graph_status(g) == TG_OK);
    TT_CHECK(tg_backward(g, q) == TG_ERR_NUMERIC);
    TT_STREQ(tg_graph_error(g),
             "tg_sqrt: anomaly: the gradient of input 1 holds Inf at flat "
             "index 1 (node #0 in forward order; inputs [3])");
    tg_graph_reset(g);
    tg_set_anomaly(g, false);
    /* without anomaly mode the Inf is delivered */
    tg_set_anomaly(g, false);
    a = in64(g, 0, NULL, &av, true);
    b = tg_input(g, TG_F64, 0, NULL, &bv);
    z = tg_div(tg_div(a, b), b);
    TT_CHECK(tg_backward(g, z) == TG_OK);
    TT_CHECK(tg_item(a->grad) == INFINITY);
    tg_graph_reset(g);
    /* a NaN seed is caught before any VJP runs */
    tg_set_anomaly(g, true);
    double xv[2] = {1, 2}, sv[2] = {1, NAN};
    tg_tensor *x = in64(g, TG_SHAPE(2), xv, true);
    tg_tensor *y = tg_mul_scalar(x, 3);
    tg_tensor *seed = tg_input(g, TG_F64, TG_SHAPE(2), sv);
    TT_CHECK(tg_backward_seed(g, y, seed) == TG_ERR_NUMERIC);
    TT_STREQ(tg_graph_error(g),
             "tg_backward_seed: anomaly: seed 1 holds NaN at flat index 1");
    tg_graph_reset(g);
    /* tg_grad with create_graph: same report from the recorded VJP */
    a = in64(g, 0, NULL, &av, true);
    b = tg_input(g, TG_F64, 0, NULL, &bv);
    z = tg_div(tg_div(a, b), b);
    tg_tensor *ga;
    TT_CHECK(tg_grad(g, &z, 1, NULL, &a, 1, true, &ga) == TG_ERR_NUMERIC);
    TT_STREQ(tg_graph_error(g),
             "tg_div: anomaly: the gradient of input 1 holds Inf at flat "
             "index 0 (node #0 in forward order; inputs [], [])");
    tg_graph_free(g);
}

/* ------------------------------------------------ lifetime and state misuse */

/* Stale tensors are detected as long as the arena has not handed their
 * memory to a newer tensor (see docs/reliability.md); the stale tensors
 * here are made after a large filler so the new step does not reach them. */
static void use_after_reset(void)
{
    tg_graph *g = tg_graph_new();
    double xv[2] = {1, 2};
    tg_full(g, TG_F64, TG_SHAPE(4096), 0); /* filler */
    tg_tensor *x = in64(g, TG_SHAPE(2), xv, true);
    tg_tensor *y = tg_sum_all(tg_mul(x, x));
    tg_graph_reset(g);
    /* stale loss */
    TT_CHECK(tg_backward(g, y) == TG_ERR_STATE);
    TT_STREQ(tg_graph_error(g), "tg_backward: output 1 is stale (created "
                                "before the last tg_graph_reset)");
    tg_graph_reset(g);
    /* stale op input */
    tg_neg(x);
    TT_STREQ(tg_graph_error(g),
             "tg_neg: input 1 is stale (created before the last "
             "tg_graph_reset); hint: rebuild per-step tensors after each "
             "reset");
    tg_graph_reset(g);
    /* stale tensor given to tg_detach */
    TT_CHECK(tg_detach(x) != NULL);
    TT_STREQ(tg_graph_error(g),
             "tg_detach: the tensor is stale (created before the last "
             "tg_graph_reset); hint: rebuild per-step tensors after each "
             "reset");
    tg_graph_reset(g);
    /* stale seed and stale tg_grad input */
    tg_tensor *x2 = in64(g, TG_SHAPE(2), xv, true);
    tg_tensor *y2 = tg_mul_scalar(x2, 2);
    TT_CHECK(tg_backward_seed(g, y2, y) == TG_ERR_STATE);
    TT_STREQ(tg_graph_error(g), "tg_backward_seed: seed 1 is stale (created "
                                "before the last tg_graph_reset)");
    tg_graph_reset(g);
    x2 = in64(g, TG_SHAPE(2), xv, true);
    y2 = tg_sum_all(tg_mul_scalar(x2, 2));
    tg_tensor *gx;
    TT_CHECK(tg_grad(g, &y2, 1, NULL, &x, 1, false, &gx) == TG_ERR_STATE);
    TT_STREQ(tg_graph_error(g), "tg_grad: input 1 is stale (created before "
                                "the last tg_graph_reset)");
    tg_graph_free(g);
}

/* The poison tensor returned by a failed op must not turn back into data
 * after a reset clears the error. */
static void poison_after_reset(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *a = tg_input(g, TG_F64, TG_SHAPE(2), NULL);
    tg_tensor *bad = tg_add(a, tg_input(g, TG_F64, TG_SHAPE(3), NULL));
    TT_CHECK(tg_graph_status(g) == TG_ERR_SHAPE);
    tg_graph_reset(g);
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(2), NULL);
    tg_tensor *r = tg_add(x, bad);
    TT_CHECK(r == bad);
    TT_STREQ(tg_graph_error(g),
             "tg_add: input 2 is the poison tensor of an earlier error; hint: "
             "check tg_graph_error before tg_graph_reset");
    tg_graph_reset(g);
    TT_CHECK(tg_backward(g, bad) == TG_ERR_STATE);
    TT_STREQ(tg_graph_error(g),
             "tg_backward: output 1 is the poison tensor of an earlier error");
    tg_graph_reset(g);
    TT_CHECK(tg_f64(bad) == NULL && isnan(tg_item(bad)));
    TT_CHECK(tg_set_requires_grad(bad, true) == TG_ERR_STATE);
    tg_graph_free(g);
}

/* Two graphs: tensors do not cross. */
static void foreign_graph(void)
{
    tg_graph *g1 = tg_graph_new(), *g2 = tg_graph_new();
    tg_tensor *a = tg_input(g1, TG_F64, TG_SHAPE(2), NULL);
    tg_tensor *b = tg_input(g2, TG_F64, TG_SHAPE(2), NULL);
    tg_add(a, b);
    TT_STREQ(tg_graph_error(g1),
             "tg_add: input 2 belongs to a different graph; hint: tensors of "
             "one op must share a graph");
    TT_CHECK(tg_graph_error(g2) == NULL);
    tg_set_requires_grad(b, true);
    tg_tensor *l = tg_sum_all(b);
    TT_CHECK(tg_backward(g1, l) != TG_OK); /* g1 already errored */
    tg_graph_reset(g1);
    TT_CHECK(tg_backward(g1, l) == TG_ERR_ARG);
    TT_STREQ(tg_graph_error(g1),
             "tg_backward: output 1 belongs to a different graph");
    TT_CHECK(tg_backward(g2, l) == TG_OK);
    tg_graph_free(g1);
    tg_graph_free(g2);
}

/* Calling backward twice on one recorded graph accumulates twice (nothing
 * is freed by the first call; PyTorch would need retain_graph=True). */
static void backward_twice(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *w = tg_param(g, TG_F64, TG_SHAPE(2), "w");
    tg_f64(w)[0] = 0.5;
    tg_f64(w)[1] = -1.25;
    tg_tensor *l = tg_sum_all(tg_tanh(w));
    TT_CHECK(tg_backward(g, l) == TG_OK);
    TT_CHECK(tg_backward(g, l) == TG_OK);
    for (int i = 0; i < 2; i++) {
        double t = tanh(tg_f64(w)[i]);
        TT_NEAR(tg_get(w->grad, i), 2 * (1 - t * t), 1e-15);
    }
    /* tg_grad twice gives the same answer and leaves ->grad alone */
    tg_tensor *g1, *g2;
    TT_CHECK(tg_grad(g, &l, 1, NULL, &w, 1, false, &g1) == TG_OK);
    TT_CHECK(tg_grad(g, &l, 1, NULL, &w, 1, false, &g2) == TG_OK);
    for (int i = 0; i < 2; i++) {
        double t = tanh(tg_f64(w)[i]);
        TT_NEAR(tg_get(g1, i), 1 - t * t, 1e-15);
        TT_NEAR(tg_get(g2, i), 1 - t * t, 1e-15);
        TT_NEAR(tg_get(w->grad, i), 2 * (1 - t * t), 1e-15);
    }
    tg_graph_free(g);
}

/* NULL where a graph or tensor is expected: an error or a documented
 * neutral answer, never a crash. */
static void null_arguments(void)
{
    tg_graph_free(NULL);
    tg_graph_reset(NULL);
    TT_CHECK(tg_graph_error(NULL) != NULL);
    TT_CHECK(tg_graph_status(NULL) == TG_ERR_ARG);
    TT_CHECK(tg_graph_num_nodes(NULL) == 0);
    TT_CHECK(tg_graph_num_params(NULL) == 0);
    TT_CHECK(tg_graph_param(NULL, 0) == NULL);
    TT_CHECK(tg_graph_rng(NULL) == NULL);
    TT_CHECK(tg_set_grad_enabled(NULL, false) == false);
    TT_CHECK(tg_is_grad_enabled(NULL) == false);
    TT_CHECK(tg_set_training(NULL, false) == false);
    TT_CHECK(tg_is_training(NULL) == false);
    TT_CHECK(tg_set_anomaly(NULL, true) == false);
    TT_CHECK(tg_scalar(NULL, TG_F64, 1) == NULL);
    TT_CHECK(tg_full(NULL, TG_F64, TG_SHAPE(2), 1) == NULL);
    TT_CHECK(tg_constant(NULL, TG_F64, TG_SHAPE(2), NULL) == NULL);
    TT_CHECK(tg_detach(NULL) == NULL);
    TT_CHECK(tg_set_requires_grad(NULL, true) == TG_ERR_ARG);
    TT_CHECK(!tg_requires_grad(NULL));
    TT_CHECK(tg_backward(NULL, NULL) == TG_ERR_ARG);
    TT_CHECK(tg_backward_seed(NULL, NULL, NULL) == TG_ERR_ARG);
    TT_CHECK(tg_f32(NULL) == NULL && tg_f64(NULL) == NULL);
    TT_CHECK(isnan(tg_get(NULL, 0)) && isnan(tg_item(NULL)));
    char buf[16];
    TT_STREQ(tg_shape_str(NULL, buf, sizeof buf), "(null)");
    tg_zero_grad(NULL);
    tg_tensor_zero_grad(NULL);
    TT_CHECK(tg_matmul(NULL, NULL) == NULL);
    TT_CHECK(tg_sum_all(NULL) == NULL);
    TT_CHECK(tg_reshape(NULL, 0, NULL) == NULL);
    TT_STREQ(tg_last_error(), "tg_reshape: every input is NULL");

    tg_graph *g = tg_graph_new();
    TT_CHECK(tg_backward(g, NULL) == TG_ERR_ARG);
    TT_STREQ(tg_graph_error(g), "tg_backward: output 1 is NULL");
    tg_graph_reset(g);
    tg_tensor *x = in64(g, TG_SHAPE(2), NULL, true);
    TT_CHECK(tg_grad(g, &x, 1, NULL, NULL, 1, false, NULL) == TG_ERR_ARG);
    tg_graph_reset(g);
    x = in64(g, TG_SHAPE(2), NULL, true);
    tg_tensor *gx = NULL;
    TT_CHECK(tg_grad(g, &x, 1, NULL, &x, 0, false, &gx) == TG_ERR_ARG);
    tg_graph_reset(g);
    TT_CHECK(tg_backward_seed(g, NULL, NULL) == TG_ERR_ARG);
    tg_graph_reset(g);
    /* every input NULL but the graph is known through the other one */
    x = in64(g, TG_SHAPE(2), NULL, true);
    tg_matmul(NULL, x);
    TT_STREQ(tg_graph_error(g), "tg_matmul: input 1 is NULL");
    tg_graph_free(g);
}

/* Ops with more than 8 inputs take the backward pass's heap path for
 * their need/gradient arrays: concat of 40 tensors and an L2 penalty over
 * them, first and second order. L = sum(c^2) + 0.25 sum_i sum(x_i^2) with
 * x_i = i everywhere: dL/dx_i = 2.5 i; second pass adds d/dx_i of
 * sum(dL/dx_i) = 2.5 per element. */
static void many_inputs(void)
{
    enum { N = 40 };
    tg_graph *g = tg_graph_new();
    tg_tensor *xs[N], *gr[N];
    for (int i = 0; i < N; i++) {
        xs[i] = tg_full(g, TG_F64, TG_SHAPE(2, 3), i);
        tg_set_requires_grad(xs[i], true);
    }
    tg_tensor *c = tg_concat(xs, N, 0);
    TT_CHECK(c->ndim == 2 && c->shape[0] == 2 * N && c->shape[1] == 3);
    tg_tensor *l = tg_add(tg_sum_all(tg_mul(c, c)), tg_l2_penalty(xs, N, 0.5));
    TT_CHECK(tg_backward(g, l) == TG_OK);
    bool ok = true;
    for (int i = 0; i < N; i++)
        for (int k = 0; k < 6; k++) ok &= tg_get(xs[i]->grad, k) == 2.5 * i;
    TT_CHECK(ok);
    TT_CHECK(tg_grad(g, &l, 1, NULL, xs, N, true, gr) == TG_OK);
    tg_tensor *s = tg_sum_all(gr[0]);
    for (int i = 1; i < N; i++) s = tg_add(s, tg_sum_all(gr[i]));
    TT_CHECK(tg_backward(g, s) == TG_OK);
    ok = true;
    for (int i = 0; i < N; i++)
        for (int k = 0; k < 6; k++) ok &= tg_get(xs[i]->grad, k) == 2.5 * i + 2.5;
    TT_CHECK(ok);
    tg_graph_free(g);
}

/* An integer keyword of the expression language beyond the C parameter's
 * int range must be an error, not wrap: axis=4294967297 (2^32 + 1) would
 * otherwise be taken as axis 1. */
static void expression_int_keyword_range(void)
{
    static const char *const srcs[] = {"softmax(x, axis=4294967297)",
                                       "transpose(x, a=4294967296, b=1)",
                                       "sum(softmax(x, axis=-4294967295))"};
    for (size_t k = 0; k < sizeof srcs / sizeof srcs[0]; k++) {
        tg_graph *g = tg_graph_new();
        tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(2, 3), NULL);
        const char *name = "x";
        tg_expr *e = NULL;
        tg__expr_err err;
        tg_tensor *y = NULL;
        if (tg__expr_parse(srcs[k], &e, &err) == TG_OK)
            y = tg__expr_eval(e, g, TG_F64, 1, &name, &x, &err);
        if (y) fprintf(stderr, "accepted: %s\n", srcs[k]);
        TT_CHECK(y == NULL); /* a parse or evaluation error */
        tg__expr_free(e);
        tg_graph_free(g);
    }
}

/* The backward pass id is 32 bits. When it wraps, stamps left on
 * persistent tensors by a pass 2^32 passes ago must not be taken for the
 * current pass (a parameter would silently get no gradient). */
static void backward_id_wraps(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *w = tg_param(g, TG_F64, TG_SHAPE(3), "w");
    for (int i = 0; i < 3; i++) tg_f64(w)[i] = i + 1;
    for (int step = 0; step < 4; step++) {
        /* as if 2^32 - 1 passes ran: the next id is 1 again, which is the
         * stamp step 0 left on w */
        if (step == 1) g->bw_id = UINT32_MAX;
        tg_tensor *l = tg_sum_all(tg_mul(w, w));
        TT_CHECK(tg_backward(g, l) == TG_OK);
        for (int i = 0; i < 3; i++) TT_NEAR(tg_get(w->grad, i), 2.0 * (i + 1), 0);
        tg_zero_grad(g);
        tg_graph_reset(g);
    }
    tg_graph_free(g);
    /* and for tg_grad targets within one step */
    g = tg_graph_new();
    w = tg_param(g, TG_F64, TG_SHAPE(3), "w");
    for (int i = 0; i < 3; i++) tg_f64(w)[i] = i + 1;
    tg_tensor *l = tg_sum_all(tg_mul(w, w));
    tg_tensor *gw;
    TT_CHECK(tg_grad(g, &l, 1, NULL, &w, 1, false, &gw) == TG_OK);
    g->bw_id = UINT32_MAX;
    TT_CHECK(tg_grad(g, &l, 1, NULL, &w, 1, false, &gw) == TG_OK);
    for (int i = 0; i < 3; i++) TT_NEAR(tg_get(gw, i), 2.0 * (i + 1), 0);
    tg_graph_free(g);
}

/* ----------------------------------------- allocation failure: 3-layer MLP */

enum { MB = 48, M0 = 160, M1 = 96, M2 = 64, M3 = 10 };
static const int64_t mlp_dims[4] = {M0, M1, M2, M3};

typedef struct mlp {
    tg_tensor *W[3], *b[3];
} mlp;

static double w_init(int l, int64_t i) { return 0.2 * sin(0.37 * (double)i + l); }
static double b_init(int l, int64_t i) { return 0.05 * cos(0.91 * (double)i - l); }
static double x_val(int64_t i) { return sin(0.013 * (double)i * (double)i + 0.5); }
static double t_val(int64_t i) { return cos(0.7 * (double)i); }

/* Create the parameters that do not exist yet and (re)set all values. */
static void mlp_params(tg_graph *g, mlp *m)
{
    static const char *wn[3] = {"W1", "W2", "W3"}, *bn[3] = {"b1", "b2", "b3"};
    for (int l = 0; l < 3; l++) {
        if (!m->W[l])
            m->W[l] = tg_param(g, TG_F64, TG_SHAPE(mlp_dims[l], mlp_dims[l + 1]),
                               wn[l]);
        if (!m->b[l])
            m->b[l] = tg_param(g, TG_F64, TG_SHAPE(mlp_dims[l + 1]), bn[l]);
        if (m->W[l])
            for (int64_t i = 0; i < m->W[l]->numel; i++)
                tg_f64(m->W[l])[i] = w_init(l, i);
        if (m->b[l])
            for (int64_t i = 0; i < m->b[l]->numel; i++)
                tg_f64(m->b[l])[i] = b_init(l, i);
    }
}

/* loss = mean over the batch of sum((y - t)^2), y = L3(tanh L2(tanh L1 x)) */
static tg_status mlp_step(tg_graph *g, mlp *m, double *loss_out)
{
    static double xv[MB * M0], tv[MB * M3];
    for (int64_t i = 0; i < MB * M0; i++) xv[i] = x_val(i);
    for (int64_t i = 0; i < MB * M3; i++) tv[i] = t_val(i);
    tg_tensor *h = tg_input(g, TG_F64, TG_SHAPE(MB, M0), xv);
    for (int l = 0; l < 3; l++) {
        h = tg_add(tg_matmul(h, m->W[l]), m->b[l]);
        if (l < 2) h = tg_tanh(h);
    }
    tg_tensor *d = tg_sub(h, tg_input(g, TG_F64, TG_SHAPE(MB, M3), tv));
    tg_tensor *loss = tg_mul_scalar(tg_sum_all(tg_mul(d, d)), 1.0 / MB);
    tg_status st = tg_backward(g, loss);
    if (loss_out) *loss_out = st == TG_OK ? tg_item(loss) : NAN;
    return st;
}

/* The same network in plain C (long double) for the reference values. */
static void mlp_reference(long double *loss, long double *db3)
{
    static long double x[MB * M0], buf[2][MB * M1];
    for (int64_t i = 0; i < MB * M0; i++) x[i] = x_val(i);
    const long double *in = x;
    long double *out = NULL;
    for (int l = 0; l < 3; l++) {
        int64_t ni = mlp_dims[l], no = mlp_dims[l + 1];
        out = buf[l % 2];
        for (int r = 0; r < MB; r++)
            for (int64_t j = 0; j < no; j++) {
                long double s = b_init(l, j);
                for (int64_t k = 0; k < ni; k++)
                    s += in[r * ni + k] * w_init(l, k * no + j);
                out[r * no + j] = l < 2 ? tanhl(s) : s;
            }
        in = out;
    }
    *loss = 0;
    for (int j = 0; j < M3; j++) db3[j] = 0;
    for (int r = 0; r < MB; r++)
        for (int j = 0; j < M3; j++) {
            long double d = out[r * M3 + j] - t_val(r * M3 + j);
            *loss += d * d / MB;
            db3[j] += 2 * d / MB;
        }
}

static bool mlp_grads_equal(const mlp *m, const double *ref)
{
    int64_t k = 0;
    for (int l = 0; l < 3; l++) {
        const tg_tensor *ps[2] = {m->W[l], m->b[l]};
        for (int j = 0; j < 2; j++)
            for (int64_t i = 0; i < ps[j]->numel; i++)
                if (tg_f64(ps[j]->grad)[i] != ref[k++]) return false;
    }
    return true;
}

static bool mlp_grads_zero(const mlp *m)
{
    for (int l = 0; l < 3; l++) {
        if (m->W[l] && !all_zero(m->W[l]->grad)) return false;
        if (m->b[l] && !all_zero(m->b[l]->grad)) return false;
    }
    return true;
}

/* For every allocation N the MLP step reaches: fail the Nth (once, or from
 * then on). The step reports TG_ERR_OOM with a message, no parameter
 * gradient is touched, nothing leaks, and after tg_graph_reset the same
 * graph runs the step to the reference result. */
static void mlp_allocation_failures(void)
{
    long double ref_loss, ref_db3[M3];
    mlp_reference(&ref_loss, ref_db3);

    hd_alloc ha;
    hd_install(&ha, 0, false, 0);
    tg_graph *g = tg_graph_new();
    mlp m = {0};
    mlp_params(g, &m);
    double loss;
    TT_CHECK(mlp_step(g, &m, &loss) == TG_OK);
    long total = ha.n_allocs;
    TT_NEAR(loss, (double)ref_loss, 1e-12);
    for (int j = 0; j < M3; j++) TT_NEAR(tg_get(m.b[2]->grad, j), (double)ref_db3[j], 1e-12);
    static double ref_grads[M0 * M1 + M1 + M1 * M2 + M2 + M2 * M3 + M3];
    int64_t k = 0;
    for (int l = 0; l < 3; l++) {
        for (int64_t i = 0; i < m.W[l]->numel; i++) ref_grads[k++] = tg_f64(m.W[l]->grad)[i];
        for (int64_t i = 0; i < m.b[l]->numel; i++) ref_grads[k++] = tg_f64(m.b[l]->grad)[i];
    }
    tg_graph_free(g);
    TT_CHECK(ha.live == 0);
    TT_CHECK(total > 20); /* params, arena chunks, backward scratch */

    for (int persistent = 0; persistent < 2; persistent++) {
        long oom = 0, bad_msg = 0, leaks = 0, touched = 0, unusable = 0;
        for (long n = 1; n <= total; n++) {
            hd_install(&ha, n, persistent, 0);
            g = tg_graph_new();
            if (!g) { /* the very first allocation */
                oom += strstr(tg_last_error(), "out of memory") != NULL;
                leaks += ha.live != 0;
                continue;
            }
            mlp mm = {0};
            mlp_params(g, &mm);
            tg_status st = mlp_step(g, &mm, NULL);
            if (st == TG_ERR_OOM) oom++;
            const char *msg = tg_graph_error(g);
            if (!msg || !strstr(msg, "out of memory")) {
                bad_msg++;
                fprintf(stderr, "fail at %ld: %s: %s\n", n, tg_status_str(st),
                        msg ? msg : "(no message)");
            }
            if (!mlp_grads_zero(&mm)) touched++;
            /* stop failing; the same graph must work after a reset */
            ha.fail_at = 0;
            tg_graph_reset(g);
            mlp_params(g, &mm);
            double l2;
            if (mlp_step(g, &mm, &l2) != TG_OK || l2 != loss ||
                !mlp_grads_equal(&mm, ref_grads)) {
                unusable++;
                fprintf(stderr, "fail at %ld: not usable after reset: %s\n", n,
                        tg_graph_error(g) ? tg_graph_error(g) : "wrong values");
            }
            tg_graph_free(g);
            if (ha.live != 0) {
                leaks++;
                fprintf(stderr, "fail at %ld: %ld blocks leaked\n", n, ha.live);
            }
        }
        TT_CHECK(oom == total);
        TT_CHECK(bad_msg == 0);
        TT_CHECK(touched == 0);
        TT_CHECK(unusable == 0);
        TT_CHECK(leaks == 0);
    }
    hd_uninstall();
}

/* The steady state: a failure in step k > 1 (arena already warm, a larger
 * batch forces a new chunk) leaves earlier parameter gradients intact. */
static void oom_keeps_accumulated_grads(void)
{
    hd_alloc ha;
    hd_install(&ha, 0, false, 0);
    tg_graph *g = tg_graph_new();
    tg_tensor *w = tg_param(g, TG_F64, TG_SHAPE(4), "w");
    for (int i = 0; i < 4; i++) tg_f64(w)[i] = i - 1.5;
    TT_CHECK(tg_backward(g, tg_sum_all(tg_mul(w, w))) == TG_OK);
    tg_graph_reset(g);
    /* the next step needs a fresh 8 MB chunk: fail it */
    ha.fail_at = ha.n_allocs + 1;
    ha.persistent = true;
    tg_tensor *big = tg_full(g, TG_F64, TG_SHAPE(1 << 20), 1.0);
    tg_tensor *l = tg_add(tg_sum_all(tg_mul(w, w)), tg_sum_all(big));
    TT_CHECK(tg_backward(g, l) == TG_ERR_OOM);
    for (int i = 0; i < 4; i++) TT_NEAR(tg_get(w->grad, i), 2 * (i - 1.5), 0);
    ha.fail_at = 0;
    tg_graph_reset(g);
    TT_CHECK(tg_backward(g, tg_sum_all(tg_mul(w, w))) == TG_OK);
    for (int i = 0; i < 4; i++) TT_NEAR(tg_get(w->grad, i), 4 * (i - 1.5), 0);
    tg_graph_free(g);
    TT_CHECK(ha.live == 0);
    hd_uninstall();
}

/* A failed backward delivers no part of a gradient. The leaves here are a
 * parameter (persistent ->grad) and an input that requires grad (its
 * ->grad buffer is allocated at delivery, after the parameter is listed),
 * so a failure at that last allocation would, delivered leaf by leaf,
 * leave the parameter updated and the input not. */
static void oom_no_partial_delivery(void)
{
    hd_alloc ha;
    long total = 0;
    for (long n = 0; n == 0 || n <= total; n++) {
        hd_install(&ha, n, false, 0);
        tg_graph *g = tg_graph_new();
        tg_tensor *w = tg_param(g, TG_F64, TG_SHAPE(3), "w");
        tg_status st = tg_graph_status(g);
        if (g && st == TG_OK) {
            for (int i = 0; i < 3; i++) tg_f64(w)[i] = i + 0.5;
            /* x is large so its gradient buffer needs a chunk of its own */
            tg_tensor *x = tg_full(g, TG_F64, TG_SHAPE(300000, 3), 2.0);
            tg_set_requires_grad(x, true);
            st = tg_backward(g, tg_sum_all(tg_mul(w, x)));
            if (st == TG_OK) {
                TT_NEAR(tg_get(w->grad, 2), 2.0 * 300000, 0);
                TT_NEAR(tg_get(x->grad, 5), 2.5, 0);
            } else {
                TT_CHECK(st == TG_ERR_OOM);
                TT_CHECK(all_zero(w->grad));
            }
        }
        if (n == 0) total = ha.n_allocs;
        else TT_CHECK(st == TG_ERR_OOM || !g);
        tg_graph_free(g);
        TT_CHECK(ha.live == 0);
    }
    hd_uninstall();
}

TT_RUN(TT(shape_mismatch_messages), TT(family_error_messages), TT(bad_leaf_arguments), TT(huge_shapes),
       TT(dtype_mix), TT(zero_size_dims), TT(nonfinite_inputs),
       TT(anomaly_forward), TT(anomaly_backward_only), TT(use_after_reset),
       TT(poison_after_reset), TT(foreign_graph), TT(backward_twice),
       TT(null_arguments), TT(many_inputs), TT(expression_int_keyword_range),
       TT(backward_id_wraps),
       TT(mlp_allocation_failures), TT(oom_keeps_accumulated_grads), TT(oom_no_partial_delivery))
