/* The functions of the expression language: one row per public op, named
 * like the C function without tg_, with its positional tensor count, its
 * keyword attributes (defaults as in PyTorch where it has the op) and a
 * small wrapper that turns keyword values into the C call. */
#include "expr.h"

#include <math.h>

typedef const tg__kw_val KW;

/* Keyword accessors. */
static int64_t ki(KW *k) { return (int64_t)k->num; }
static bool kb(KW *k) { return k->num != 0; }
static double kr(KW *k) { return k->num; }
/* Axes keyword: absent = all axes (naxes 0). */
static int kn(KW *k) { return k->given ? k->n : 0; }

/* ------------------------------------------------------------ wrappers */

#define UNARY(fn)                                                          \
    static tg_tensor *w_##fn(tg_tensor *const *t, int nt, KW *k)           \
    {                                                                      \
        (void)nt, (void)k;                                                 \
        return tg_##fn(t[0]);                                              \
    }
#define BINARY(fn)                                                         \
    static tg_tensor *w_##fn(tg_tensor *const *t, int nt, KW *k)           \
    {                                                                      \
        (void)nt, (void)k;                                                 \
        return tg_##fn(t[0], t[1]);                                        \
    }

/* core (ops.h) */
BINARY(add)
BINARY(sub)
BINARY(mul)
BINARY(div)
UNARY(neg)
UNARY(tanh)
BINARY(tanh_backward)
UNARY(sum_all)

static tg_tensor *w_add_scalar(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_add_scalar(t[0], kr(&k[0]));
}
static tg_tensor *w_mul_scalar(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_mul_scalar(t[0], kr(&k[0]));
}
static tg_tensor *w_sum(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_sum(t[0], kn(&k[0]), k[0].list, kb(&k[1]));
}
static tg_tensor *w_reshape(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_reshape(t[0], k[0].n, k[0].list);
}
static tg_tensor *w_expand(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_expand(t[0], k[0].n, k[0].list);
}
static tg_tensor *w_sum_to(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_sum_to(t[0], k[0].n, k[0].list);
}
static tg_tensor *w_cast(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_cast(t[0], (tg_dtype)ki(&k[0]));
}
static tg_tensor *w_matmul(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    if (kb(&k[0]) || kb(&k[1]))
        return tg_matmul_t(t[0], t[1], kb(&k[0]), kb(&k[1]));
    return tg_matmul(t[0], t[1]);
}
static tg_tensor *w_matmul_t(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_matmul_t(t[0], t[1], kb(&k[0]), kb(&k[1]));
}


/* elementwise (ops_elementwise.h) */
BINARY(pow)
BINARY(maximum)
BINARY(minimum)
UNARY(abs)
UNARY(exp)
UNARY(log)
UNARY(log1p)
UNARY(expm1)
UNARY(sqrt)
UNARY(rsqrt)
UNARY(square)
UNARY(reciprocal)
UNARY(sin)
UNARY(cos)
UNARY(erf)
UNARY(sigmoid)
UNARY(relu)
BINARY(prelu)
UNARY(selu)
UNARY(gelu)
UNARY(gelu_tanh)
UNARY(silu)
UNARY(logsigmoid)
BINARY(sigmoid_backward)
BINARY(relu_backward)
BINARY(gelu_backward)
BINARY(gelu_tanh_backward)
BINARY(silu_backward)
BINARY(logsigmoid_backward)

static tg_tensor *w_pow_scalar(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_pow_scalar(t[0], kr(&k[0]));
}
static tg_tensor *w_clamp(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_clamp(t[0], kr(&k[0]), kr(&k[1]));
}
/* Aliases that PyTorch users type: hardtanh(x, min_val, max_val) is
 * clamp with PyTorch's defaults -1 and 1; swish is silu. */
static tg_tensor *w_hardtanh(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_clamp(t[0], kr(&k[0]), kr(&k[1]));
}
static tg_tensor *w_swish(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt, (void)k;
    return tg_silu(t[0]);
}
static tg_tensor *w_leaky_relu(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_leaky_relu(t[0], kr(&k[0]));
}
static tg_tensor *w_rrelu(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_rrelu(t[0], kr(&k[0]), kr(&k[1]));
}
static tg_tensor *w_elu(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_elu(t[0], kr(&k[0]));
}
static tg_tensor *w_celu(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_celu(t[0], kr(&k[0]));
}
static tg_tensor *w_softplus(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_softplus(t[0], kr(&k[0]), kr(&k[1]));
}
static tg_tensor *w_hardshrink(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_hardshrink(t[0], kr(&k[0]));
}
static tg_tensor *w_maxout(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_maxout(t[0], ki(&k[0]));
}
static tg_tensor *w_leaky_relu_backward(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_leaky_relu_backward(t[0], t[1], kr(&k[0]));
}
static tg_tensor *w_softplus_backward(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_softplus_backward(t[0], t[1], kr(&k[0]), kr(&k[1]));
}
static tg_tensor *w_elu_backward(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_elu_backward(t[0], t[1], kr(&k[0]), kr(&k[1]), kr(&k[2]));
}

/* arrays (ops_array.h) */
BINARY(mul_exp)
BINARY(cross_entropy)
BINARY(nll)
BINARY(mse)
BINARY(bce_with_logits)
UNARY(mean_all)

#define REDUCE(fn)                                                         \
    static tg_tensor *w_##fn(tg_tensor *const *t, int nt, KW *k)           \
    {                                                                      \
        (void)nt;                                                          \
        return tg_##fn(t[0], kn(&k[0]), k[0].list, kb(&k[1]));             \
    }
REDUCE(mean)
REDUCE(max)
REDUCE(min)
REDUCE(logsumexp)

static tg_tensor *w_var(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_var(t[0], kn(&k[0]), k[0].list, kb(&k[2]), kb(&k[1]));
}
static tg_tensor *w_softmax(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_softmax(t[0], (int)ki(&k[0]));
}
static tg_tensor *w_log_softmax(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_log_softmax(t[0], (int)ki(&k[0]));
}
static tg_tensor *w_softmax_backward(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_softmax_backward(t[0], t[1], (int)ki(&k[0]));
}
static tg_tensor *w_log_softmax_backward(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_log_softmax_backward(t[0], t[1], (int)ki(&k[0]));
}
static tg_tensor *w_linear(tg_tensor *const *t, int nt, KW *k)
{
    (void)k;
    return tg_linear(t[0], t[1], nt > 2 ? t[2] : NULL);
}
static tg_tensor *w_cross_entropy_backward(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt, (void)k;
    return tg_cross_entropy_backward(t[0], t[1], t[2]);
}
static tg_tensor *w_l2_penalty(tg_tensor *const *t, int nt, KW *k)
{
    return tg_l2_penalty(t, nt, kr(&k[0]));
}
/* layer_norm(x[, w[, b]], naxes=, eps=): naxes given -> tg_layer_norm_n. */
static tg_tensor *w_layer_norm(tg_tensor *const *t, int nt, KW *k)
{
    tg_tensor *w = nt > 1 ? t[1] : NULL, *b = nt > 2 ? t[2] : NULL;
    if (k[0].given) return tg_layer_norm_n(t[0], (int)ki(&k[0]), w, b, kr(&k[1]));
    return tg_layer_norm(t[0], w, b, kr(&k[1]));
}
static tg_tensor *w_layer_norm_n(tg_tensor *const *t, int nt, KW *k)
{
    return tg_layer_norm_n(t[0], (int)ki(&k[0]), nt > 1 ? t[1] : NULL,
                           nt > 2 ? t[2] : NULL, kr(&k[1]));
}
static tg_tensor *w_layer_norm_backward(tg_tensor *const *t, int nt, KW *k)
{
    return tg_layer_norm_backward(t[0], t[1], nt > 2 ? t[2] : NULL,
                                  (int)ki(&k[0]), kr(&k[1]));
}
static tg_tensor *w_batch_norm(tg_tensor *const *t, int nt, KW *k)
{
    return tg_batch_norm(t[0], nt > 1 ? t[1] : NULL, nt > 2 ? t[2] : NULL,
                         nt > 3 ? t[3] : NULL, nt > 4 ? t[4] : NULL,
                         kr(&k[0]), kr(&k[1]));
}
static tg_tensor *w_dropout(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_dropout(t[0], kr(&k[0]));
}

/* shape (ops_array.h) */
UNARY(squeeze_all)

static tg_tensor *w_transpose(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_transpose(t[0], (int)ki(&k[0]), (int)ki(&k[1]));
}
static tg_tensor *w_permute(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_permute(t[0], k[0].n, k[0].list);
}
static tg_tensor *w_flatten(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_flatten(t[0], (int)ki(&k[0]), (int)ki(&k[1]));
}
static tg_tensor *w_squeeze(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_squeeze(t[0], (int)ki(&k[0]));
}
static tg_tensor *w_unsqueeze(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_unsqueeze(t[0], (int)ki(&k[0]));
}
static tg_tensor *w_concat(tg_tensor *const *t, int nt, KW *k)
{
    return tg_concat(t, nt, (int)ki(&k[0]));
}
/* stop absent = to the end (INT64_MAX, as the C API documents). */
static tg_tensor *w_slice(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_slice(t[0], (int)ki(&k[0]), ki(&k[1]),
                    k[2].given ? ki(&k[2]) : INT64_MAX, ki(&k[3]));
}
static tg_tensor *w_slice_backward(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_slice_backward(t[0], k[0].n, k[0].list, (int)ki(&k[1]),
                             ki(&k[2]), ki(&k[3]));
}
static tg_tensor *w_index_select(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_index_select(t[0], (int)ki(&k[0]), t[1]);
}
static tg_tensor *w_gather(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_gather(t[0], (int)ki(&k[0]), t[1]);
}
static tg_tensor *w_index_add(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_index_add(t[0], k[0].n, k[0].list, (int)ki(&k[1]), t[1]);
}
static tg_tensor *w_scatter_add(tg_tensor *const *t, int nt, KW *k)
{
    (void)nt;
    return tg_scatter_add(t[0], k[0].n, k[0].list, (int)ki(&k[1]), t[1]);
}

/* --------------------------------------------------------------- table */

#define KW_AXIS {"axis", TG_KW_AXES, 0, false}
#define KW_KEEPDIM {"keepdim", TG_KW_BOOL, 0, false}
#define KW_TRANS_A {"trans_a", TG_KW_BOOL, 0, false}
#define KW_TRANS_B {"trans_b", TG_KW_BOOL, 0, false}
/* FN(name, min tensors, max tensors, wrapper, keyword specs...) */
#define FN(nm, lo, hi, fn, ...)                                            \
    {.name = nm, .min_t = lo, .max_t = hi, .call = fn, .kw = {__VA_ARGS__}}
/* Same, with a bit mask of tensor arguments that are indices/labels. */
#define FNI(nm, lo, hi, mask, fn, ...)                                     \
    {.name = nm, .min_t = lo, .max_t = hi, .call = fn,                     \
     .index_args = mask, .kw = {__VA_ARGS__}}
#define F1(fn) {.name = #fn, .min_t = 1, .max_t = 1, .call = w_##fn}
#define F2(fn) {.name = #fn, .min_t = 2, .max_t = 2, .call = w_##fn}

const tg__expr_func tg__expr_funcs[] = {
    /* core: ops.h */
    F2(add),
    F2(sub),
    F2(mul),
    F2(div),
    F1(neg),
    FN("add_scalar", 1, 1, w_add_scalar, {"s", TG_KW_REAL, 0, true}),
    FN("mul_scalar", 1, 1, w_mul_scalar, {"s", TG_KW_REAL, 0, true}),
    F1(tanh),
    F2(tanh_backward),
    FN("sum", 1, 1, w_sum, KW_AXIS, KW_KEEPDIM),
    F1(sum_all),
    FN("reshape", 1, 1, w_reshape, {"shape", TG_KW_SHAPE, 0, true}),
    FN("expand", 1, 1, w_expand, {"shape", TG_KW_SHAPE, 0, true}),
    FN("sum_to", 1, 1, w_sum_to, {"shape", TG_KW_SHAPE, 0, true}),
    FN("cast", 1, 1, w_cast, {"dtype", TG_KW_DTYPE, TG_F64, true}),
    FN("matmul", 2, 2, w_matmul, KW_TRANS_A, KW_TRANS_B),
    FN("matmul_t", 2, 2, w_matmul_t, KW_TRANS_A, KW_TRANS_B),

    /* elementwise math and activations: ops_elementwise.h */
    F2(pow),
    F2(maximum),
    F2(minimum),
    FN("pow_scalar", 1, 1, w_pow_scalar, {"p", TG_KW_REAL, 0, true}),
    F1(abs),
    F1(exp),
    F1(log),
    F1(log1p),
    F1(expm1),
    F1(sqrt),
    F1(rsqrt),
    F1(square),
    F1(reciprocal),
    F1(sin),
    F1(cos),
    F1(erf),
    F1(sigmoid),
    FN("clamp", 1, 1, w_clamp, {"min", TG_KW_REAL, -INFINITY, false},
       {"max", TG_KW_REAL, INFINITY, false}),
    F1(relu),
    FN("leaky_relu", 1, 1, w_leaky_relu, {"alpha", TG_KW_REAL, 0.01, false}),
    F2(prelu),
    FN("rrelu", 1, 1, w_rrelu, {"lower", TG_KW_REAL, 1.0 / 8, false},
       {"upper", TG_KW_REAL, 1.0 / 3, false}),
    FN("elu", 1, 1, w_elu, {"alpha", TG_KW_REAL, 1, false}),
    F1(selu),
    FN("celu", 1, 1, w_celu, {"alpha", TG_KW_REAL, 1, false}),
    F1(gelu),
    F1(gelu_tanh),
    F1(silu),
    FN("hardtanh", 1, 1, w_hardtanh, {"min_val", TG_KW_REAL, -1, false},
       {"max_val", TG_KW_REAL, 1, false}),
    {.name = "swish", .min_t = 1, .max_t = 1, .call = w_swish},
    FN("softplus", 1, 1, w_softplus, {"beta", TG_KW_REAL, 1, false},
       {"threshold", TG_KW_REAL, 20, false}),
    FN("hardshrink", 1, 1, w_hardshrink, {"lambda", TG_KW_REAL, 0.5, false}),
    F1(logsigmoid),
    FN("maxout", 1, 1, w_maxout, {"k", TG_KW_INT, 0, true}),
    F2(sigmoid_backward),
    F2(relu_backward),
    FN("leaky_relu_backward", 2, 2, w_leaky_relu_backward,
       {"alpha", TG_KW_REAL, 0.01, false}),
    F2(gelu_backward),
    F2(gelu_tanh_backward),
    F2(silu_backward),
    F2(logsigmoid_backward),
    FN("softplus_backward", 2, 2, w_softplus_backward,
       {"beta", TG_KW_REAL, 1, false}, {"threshold", TG_KW_REAL, 20, false}),
    FN("elu_backward", 2, 2, w_elu_backward, {"alpha", TG_KW_REAL, 1, false},
       {"scale", TG_KW_REAL, 1, false}, {"input_scale", TG_KW_REAL, 1, false}),

    /* reductions, linear algebra, probability, losses, normalization:
     * ops_array.h */
    FN("mean", 1, 1, w_mean, KW_AXIS, KW_KEEPDIM),
    F1(mean_all),
    FN("max", 1, 1, w_max, KW_AXIS, KW_KEEPDIM),
    FN("min", 1, 1, w_min, KW_AXIS, KW_KEEPDIM),
    FN("var", 1, 1, w_var, KW_AXIS, KW_KEEPDIM,
       {"unbiased", TG_KW_BOOL, 1, false}),
    FN("logsumexp", 1, 1, w_logsumexp, KW_AXIS, KW_KEEPDIM),
    FN("linear", 2, 3, w_linear),
    FN("softmax", 1, 1, w_softmax, {"axis", TG_KW_INT, -1, false}),
    FN("log_softmax", 1, 1, w_log_softmax, {"axis", TG_KW_INT, -1, false}),
    FNI("cross_entropy", 2, 2, 1u << 1, w_cross_entropy),
    FNI("nll", 2, 2, 1u << 1, w_nll),
    F2(mse),
    F2(bce_with_logits),
    FN("l2_penalty", 1, TG_EXPR_MAX_ARGS, w_l2_penalty,
       {"lambda", TG_KW_REAL, 1, false}),
    FN("layer_norm", 1, 3, w_layer_norm, {"naxes", TG_KW_INT, 1, false},
       {"eps", TG_KW_REAL, 1e-5, false}),
    FN("layer_norm_n", 1, 3, w_layer_norm_n, {"naxes", TG_KW_INT, 1, false},
       {"eps", TG_KW_REAL, 1e-5, false}),
    FN("batch_norm", 1, 5, w_batch_norm, {"momentum", TG_KW_REAL, 0.1, false},
       {"eps", TG_KW_REAL, 1e-5, false}),
    FN("dropout", 1, 1, w_dropout, {"p", TG_KW_REAL, 0.5, false}),
    FN("softmax_backward", 2, 2, w_softmax_backward,
       {"axis", TG_KW_INT, -1, false}),
    FN("log_softmax_backward", 2, 2, w_log_softmax_backward,
       {"axis", TG_KW_INT, -1, false}),
    F2(mul_exp),
    FNI("cross_entropy_backward", 3, 3, 1u << 2, w_cross_entropy_backward),
    FN("layer_norm_backward", 2, 3, w_layer_norm_backward,
       {"naxes", TG_KW_INT, 1, false}, {"eps", TG_KW_REAL, 1e-5, false}),
    FN("transpose", 1, 1, w_transpose, {"a", TG_KW_INT, -2, false},
       {"b", TG_KW_INT, -1, false}),
    FN("permute", 1, 1, w_permute, {"perm", TG_KW_SHAPE, 0, true}),
    FN("flatten", 1, 1, w_flatten, {"start", TG_KW_INT, 0, false},
       {"end", TG_KW_INT, -1, false}),
    FN("squeeze", 1, 1, w_squeeze, {"axis", TG_KW_INT, 0, true}),
    F1(squeeze_all),
    FN("unsqueeze", 1, 1, w_unsqueeze, {"axis", TG_KW_INT, 0, true}),
    FN("concat", 1, TG_EXPR_MAX_ARGS, w_concat, {"axis", TG_KW_INT, 0, false}),
    FN("slice", 1, 1, w_slice, {"axis", TG_KW_INT, 0, false},
       {"start", TG_KW_I64, 0, false}, {"stop", TG_KW_I64, 0, false},
       {"step", TG_KW_I64, 1, false}),
    FN("slice_backward", 1, 1, w_slice_backward,
       {"shape", TG_KW_SHAPE, 0, true}, {"axis", TG_KW_INT, 0, false},
       {"start", TG_KW_I64, 0, false}, {"step", TG_KW_I64, 1, false}),
    FNI("index_select", 2, 2, 1u << 1, w_index_select,
        {"axis", TG_KW_INT, 0, false}),
    FNI("gather", 2, 2, 1u << 1, w_gather, {"axis", TG_KW_INT, 0, false}),
    FNI("index_add", 2, 2, 1u << 1, w_index_add,
        {"shape", TG_KW_SHAPE, 0, true}, {"axis", TG_KW_INT, 0, false}),
    FNI("scatter_add", 2, 2, 1u << 1, w_scatter_add,
        {"shape", TG_KW_SHAPE, 0, true}, {"axis", TG_KW_INT, 0, false}),
};

const int tg__expr_n_funcs =
    (int)(sizeof tg__expr_funcs / sizeof tg__expr_funcs[0]);

int tg__expr_find_func(const char *name, size_t len)
{
    for (int i = 0; i < tg__expr_n_funcs; i++)
        if (strlen(tg__expr_funcs[i].name) == len &&
            !memcmp(tg__expr_funcs[i].name, name, len))
            return i;
    return -1;
}

/* Damerau-free Levenshtein distance, capped inputs (names are short). */
static int edit_distance(const char *a, size_t la, const char *b, size_t lb)
{
    int row[72];
    if (la > 64 || lb > 64) return 99;
    for (size_t j = 0; j <= lb; j++) row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int up = row[j];
            int best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

void tg__expr_nearest(const char *name, size_t len, char *buf, size_t size,
                      int max)
{
    /* Candidates: distance within a third of the length (at least 1, at
     * most 3), or the name is a prefix/suffix of a function (log_soft ->
     * log_softmax). Closest first, then table order. */
    int lim = (int)(len / 3);
    if (lim < 1) lim = 1;
    if (lim > 3) lim = 3;
    size_t k = 0;
    int shown = 0;
    buf[0] = 0;
    for (int d = 0; d <= lim + 1 && shown < max; d++) {
        for (int i = 0; i < tg__expr_n_funcs && shown < max; i++) {
            const char *fn = tg__expr_funcs[i].name;
            size_t fl = strlen(fn);
            int dist = edit_distance(name, len, fn, fl);
            bool affix = len >= 3 && fl > len &&
                         (!memcmp(fn, name, len) ||
                          !memcmp(fn + fl - len, name, len));
            int eff = affix && dist > lim ? lim + 1 : dist;
            if (eff != d) continue;
            if (k < size)
                k += (size_t)snprintf(buf + k, size - k, "%s%s",
                                      shown ? ", " : "", fn);
            shown++;
        }
    }
}

/* Gradient-check cases for the engine's helper ops whose descriptors
 * carry none. The optional third field sets check options for the case
 * (the cast round trip through f32 needs a larger step). */
static const struct {
    const char *op, *cases;
} builtin_cases[] = {
    {"sum_to", "sum_to(x, shape=[1,4]) | x=3x4; sum_to(x, shape=[4]) | "
               "x=2x3x4; sum_to(x, shape=[2,1,1]) | x=2x3x4"},
    {"expand", "expand(x, shape=[3,4]) | x=1x4; expand(x, shape=[2,3,4]) | "
               "x=3x1; expand(x, shape=[2,2]) | x=scalar"},
    {"reshape", "reshape(x, shape=[4,3]) | x=3x4; reshape(x, shape=[-1]) | "
                "x=2x3x2; reshape(tanh(x), shape=[2,1,3]) * x | x=2x3"},
    {"cast", "cast(cast(x, dtype=f32), dtype=f64) | x=3x4 | eps=1e-2 "
             "atol=1e-3 rtol=1e-3; cast(x, dtype=f64) * x | x=5"},
    /* The check reseeds the graph's RNG before every evaluation, so the
     * dropout mask is the same in all of them and the check is exact. */
    {"dropout", "dropout(x, p=0.3) | x=3x4; dropout(x * x, p=0.5) | x=2x3x4"},
};

const char *tg__expr_builtin_cases(const char *op_name)
{
    for (size_t i = 0; i < sizeof builtin_cases / sizeof builtin_cases[0];
         i++)
        if (!strcmp(builtin_cases[i].op, op_name)) return builtin_cases[i].cases;
    return NULL;
}
