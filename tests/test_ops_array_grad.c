/* Gradient checks (f64, central differences through tg_gradcheck) of the
 * array family: every differentiable input, broadcasting and attribute
 * variants, and second derivatives for every smooth op. */
#include "array_util.h"

/* ------------------------------------------------------------ callbacks */

#define CB(name) \
    static tg_tensor *name(tg_graph *g, tg_tensor *const *in, int n, void *ud)
#define UNUSED (void)g, (void)n, (void)ud
#define PP ((const P *)ud)

CB(f_mean)
{
    UNUSED;
    return tg_mean(in[0], PP->naxes, PP->axes, PP->keepdim);
}
CB(f_max)
{
    UNUSED;
    return tg_max(in[0], PP->naxes, PP->axes, PP->keepdim);
}
CB(f_min)
{
    UNUSED;
    return tg_min(in[0], PP->naxes, PP->axes, PP->keepdim);
}
CB(f_var)
{
    UNUSED;
    return tg_var(in[0], PP->naxes, PP->axes, PP->flag, PP->keepdim);
}
CB(f_lse)
{
    UNUSED;
    return tg_logsumexp(in[0], PP->naxes, PP->axes, PP->keepdim);
}
CB(f_linear)
{
    UNUSED;
    return tg_linear(in[0], in[1], n > 2 ? in[2] : NULL);
}
CB(f_softmax)
{
    UNUSED;
    return tg_softmax(in[0], PP->axis);
}
CB(f_log_softmax)
{
    UNUSED;
    return tg_log_softmax(in[0], PP->axis);
}
CB(f_softmax_bw)
{
    UNUSED;
    return tg_softmax_backward(in[0], in[1], PP->axis);
}
CB(f_log_softmax_bw)
{
    UNUSED;
    return tg_log_softmax_backward(in[0], in[1], PP->axis);
}
CB(f_mul_exp)
{
    UNUSED;
    return tg_mul_exp(in[0], in[1]);
}
CB(f_ce)
{
    UNUSED;
    return tg_cross_entropy(in[0], in[1]);
}
CB(f_ce_bw)
{
    UNUSED;
    return tg_cross_entropy_backward(in[0], in[1], in[2]);
}
CB(f_nll)
{
    UNUSED;
    return tg_nll(in[0], in[1]);
}
CB(f_mse)
{
    UNUSED;
    return tg_mse(in[0], in[1]);
}
CB(f_bce)
{
    UNUSED;
    return tg_bce_with_logits(in[0], in[1]);
}
CB(f_l2)
{
    UNUSED;
    return tg_l2_penalty(in, n, PP->f);
}
CB(f_ln)
{
    UNUSED;
    int k = 1;
    tg_tensor *w = PP->has_w ? in[k++] : NULL;
    tg_tensor *b = PP->has_b ? in[k++] : NULL;
    return tg_layer_norm_n(in[0], PP->naxes, w, b, PP->eps);
}
CB(f_ln_bw)
{
    UNUSED;
    return tg_layer_norm_backward(in[0], in[1], PP->has_w ? in[2] : NULL,
                                  PP->naxes, PP->eps);
}
CB(f_bn)
{
    UNUSED;
    int k = 1;
    tg_tensor *w = PP->has_w ? in[k++] : NULL;
    tg_tensor *b = PP->has_b ? in[k++] : NULL;
    tg_tensor *rm = PP->flag ? in[k++] : NULL;
    tg_tensor *rv = PP->flag ? in[k++] : NULL;
    return tg_batch_norm(in[0], w, b, rm, rv, 0.1, PP->eps);
}
CB(f_bn_eval)
{
    UNUSED;
    bool old = tg_set_training(g, false);
    tg_tensor *y = tg_batch_norm(in[0], in[1], in[2], in[3], in[4], 0.1,
                                 PP->eps);
    tg_set_training(g, old);
    return y;
}
CB(f_dropout)
{
    UNUSED;
    return tg_dropout(in[0], PP->f);
}

CB(f_permute)
{
    UNUSED;
    return tg_permute(in[0], PP->naxes, PP->axes);
}
CB(f_transpose)
{
    UNUSED;
    return tg_transpose(in[0], PP->axis, PP->axis2);
}
CB(f_flatten)
{
    UNUSED;
    return tg_mul(tg_flatten(in[0], PP->axis, PP->axis2), in[1]);
}
CB(f_squeeze)
{
    UNUSED;
    return tg_mul(PP->flag ? tg_squeeze_all(in[0]) : tg_squeeze(in[0], PP->axis),
                  in[1]);
}
CB(f_unsqueeze)
{
    UNUSED;
    return tg_mul(tg_unsqueeze(in[0], PP->axis), in[1]);
}
CB(f_concat)
{
    UNUSED;
    return tg_concat(in, n, PP->axis);
}
CB(f_concat_sq)
{
    UNUSED; /* the same input twice plus a product: fan-in through concat */
    tg_tensor *xs[3] = {in[0], tg_mul(in[0], in[1]), in[1]};
    return tg_concat(xs, 3, PP->axis);
}
CB(f_slice)
{
    UNUSED;
    return tg_slice(in[0], PP->axis, PP->i[0], PP->i[1], PP->i[2]);
}
CB(f_slice_bw)
{
    UNUSED;
    return tg_slice_backward(in[0], PP->naxes, PP->axes, PP->axis, PP->i[0],
                             PP->i[2]);
}
CB(f_index_select)
{
    UNUSED;
    return tg_index_select(in[0], PP->axis, in[1]);
}
CB(f_index_add)
{
    UNUSED;
    return tg_index_add(in[0], PP->naxes, PP->axes, PP->axis, in[1]);
}
CB(f_gather)
{
    UNUSED;
    return tg_gather(in[0], PP->axis, in[1]);
}
CB(f_scatter_add)
{
    UNUSED;
    return tg_scatter_add(in[0], PP->naxes, PP->axes, PP->axis, in[1]);
}

/* ----------------------------------------------------------- reductions */

static void grad_reductions(void)
{
    tg_check_fn fns[] = {f_mean, f_var, f_lse, f_max, f_min};
    const char *names[] = {"mean", "var", "logsumexp", "max", "min"};
    for (int k = 0; k < 5; k++) {
        bool gg = k < 3; /* max/min are flagged non-smooth */
        P all = {0};
        tg_check_arg a1[] = {ARG("x", 3, 4)};
        ta_check(names[k], fns[k], &all, 1, a1, gg);
        P ax1 = {.naxes = 1, .axes = {1}};
        ta_check(names[k], fns[k], &ax1, 1, a1, gg);
        P ax02 = {.naxes = 2, .axes = {0, -1}, .keepdim = true};
        tg_check_arg a3[] = {ARG("x", 2, 3, 4)};
        ta_check(names[k], fns[k], &ax02, 1, a3, gg);
        P mid = {.naxes = 1, .axes = {1}, .flag = true};
        ta_check(names[k], fns[k], &mid, 1, a3, gg);
        tg_check_arg s[] = {ARG0("x")};
        ta_check(names[k], fns[k], &all, 1, s, k != 1 && gg);
    }
}

/* ------------------------------------------------------------- linear */

static void grad_linear(void)
{
    P p = {0};
    tg_check_arg a[] = {ARG("x", 4, 3), ARG("W", 3, 5), ARG("b", 5)};
    ta_check("linear", f_linear, &p, 3, a, true);
    ta_check("linear nobias", f_linear, &p, 2, a, true);
    tg_check_arg b[] = {ARG("x", 2, 3, 4), ARG("W", 4, 2), ARG("b", 2)};
    ta_check("linear 3d", f_linear, &p, 3, b, true);
    tg_check_arg c[] = {ARG("x", 3), ARG("W", 3, 2), ARG("b", 2)};
    ta_check("linear 1d", f_linear, &p, 3, c, true);
}

/* --------------------------------------------------------------- softmax */

static void grad_softmax(void)
{
    tg_check_arg a[] = {ARG("x", 3, 5)};
    tg_check_arg a3[] = {ARG("x", 2, 3, 4)};
    tg_check_arg s[] = {ARG0("x")};
    for (int axis = -1; axis <= 1; axis++) {
        P p = {.axis = axis};
        ta_check("softmax", f_softmax, &p, 1, a, true);
        ta_check("log_softmax", f_log_softmax, &p, 1, a, true);
        ta_check("softmax 3d", f_softmax, &p, 1, a3, true);
        ta_check("log_softmax 3d", f_log_softmax, &p, 1, a3, true);
        tg_check_arg b[] = {ARG("g", 2, 3, 4), ARG("y", 2, 3, 4)};
        ta_check("softmax_backward", f_softmax_bw, &p, 2, b, true);
        ta_check("log_softmax_backward", f_log_softmax_bw, &p, 2, b, true);
    }
    P p0 = {.axis = 0};
    ta_check("softmax 0-d", f_softmax, &p0, 1, s, true);
    ta_check("log_softmax 0-d", f_log_softmax, &p0, 1, s, true);
    P none = {0};
    tg_check_arg m1[] = {ARG("a", 3, 4), ARG("b", 3, 4)};
    tg_check_arg m2[] = {ARG("a", 3, 1), ARG("b", 1, 4)};
    tg_check_arg m3[] = {ARG0("a"), ARG("b", 2, 3)};
    ta_check("mul_exp", f_mul_exp, &none, 2, m1, true);
    ta_check("mul_exp bcast", f_mul_exp, &none, 2, m2, true);
    ta_check("mul_exp scalar", f_mul_exp, &none, 2, m3, true);
}

/* ---------------------------------------------------------------- losses */

static void grad_losses(void)
{
    P p = {0};
    double l3[] = {0, 3, 1}, l5[] = {4, 2, 0, 0, 1};
    tg_check_arg ce[] = {ARG("x", 3, 4), ARGI("l", l3, 3)};
    ta_check("cross_entropy", f_ce, &p, 2, ce, true);
    tg_check_arg ce5[] = {ARG("x", 5, 5), ARGI("l", l5, 5)};
    ta_check("cross_entropy 5", f_ce, &p, 2, ce5, true);
    tg_check_arg cb[] = {ARG0("g"), ARG("x", 3, 4), ARGI("l", l3, 3)};
    ta_check("cross_entropy_backward", f_ce_bw, &p, 3, cb, true);
    ta_check("nll", f_nll, &p, 2, ce, true);
    tg_check_arg m1[] = {ARG("a", 3, 4), ARG("b", 3, 4)};
    tg_check_arg m2[] = {ARG("a", 3, 1), ARG("b", 1, 4)};
    tg_check_arg m3[] = {ARG("a", 2, 3), ARG0("b")};
    ta_check("mse", f_mse, &p, 2, m1, true);
    ta_check("mse bcast", f_mse, &p, 2, m2, true);
    ta_check("mse scalar", f_mse, &p, 2, m3, true);
    double xv[12];
    ta_fill(xv, 12, 7);
    for (int i = 0; i < 12; i++) xv[i] *= 4; /* both signs, |x| up to 4 */
    tg_check_arg bc[] = {ARGV("x", xv, 3, 4), ARG("t", 3, 4)};
    ta_check("bce_with_logits", f_bce, &p, 2, bc, true);
    P lam = {.f = 0.3};
    tg_check_arg w1[] = {ARG("w", 3, 4)};
    tg_check_arg w2[] = {ARG("w", 3), ARG("v", 2, 2), ARG0("s")};
    ta_check("l2_penalty", f_l2, &lam, 1, w1, true);
    ta_check("l2_penalty 3", f_l2, &lam, 3, w2, true);
}

/* --------------------------------------------------------- normalization */

static void grad_layer_norm(void)
{
    P p = {.naxes = 1, .has_w = true, .has_b = true, .eps = 1e-5};
    tg_check_arg a[] = {ARG("x", 3, 5), ARG("w", 5), ARG("b", 5)};
    ta_check("layer_norm", f_ln, &p, 3, a, true);
    P nw = {.naxes = 1, .eps = 1e-5};
    ta_check("layer_norm plain", f_ln, &nw, 1, a, true);
    P ob = {.naxes = 1, .has_b = true, .eps = 0.1};
    tg_check_arg a2[] = {ARG("x", 3, 5), ARG("b", 5)};
    ta_check("layer_norm bias only", f_ln, &ob, 2, a2, true);
    P two = {.naxes = 2, .has_w = true, .has_b = true, .eps = 1e-5};
    tg_check_arg a3[] = {ARG("x", 2, 3, 4), ARG("w", 3, 4), ARG("b", 3, 4)};
    ta_check("layer_norm 2 axes", f_ln, &two, 3, a3, true);
    P bw = {.naxes = 1, .has_w = true, .eps = 1e-5};
    tg_check_arg b[] = {ARG("g", 3, 5), ARG("x", 3, 5), ARG("w", 5)};
    ta_check("layer_norm_backward", f_ln_bw, &bw, 3, b, true);
    P bw2 = {.naxes = 2, .eps = 0.5};
    tg_check_arg b2[] = {ARG("g", 2, 3, 4), ARG("x", 2, 3, 4)};
    ta_check("layer_norm_backward 2", f_ln_bw, &bw2, 2, b2, true);
}

static void grad_batch_norm(void)
{
    P p = {.has_w = true, .has_b = true, .eps = 1e-5};
    tg_check_arg a[] = {ARG("x", 4, 3), ARG("w", 3), ARG("b", 3)};
    ta_check("batch_norm 2d", f_bn, &p, 3, a, true);
    tg_check_arg a4[] = {ARG("x", 2, 3, 2, 2), ARG("w", 3), ARG("b", 3)};
    ta_check("batch_norm 4d", f_bn, &p, 3, a4, true);
    P plain = {.eps = 1e-3};
    tg_check_arg a3[] = {ARG("x", 2, 3, 4)};
    ta_check("batch_norm plain", f_bn, &plain, 1, a3, true);
    double ones[3] = {1, 1, 1}, rm[3] = {0.1, -0.2, 0.3};
    P run = {.has_w = true, .has_b = true, .flag = true, .eps = 1e-5};
    tg_check_arg ar[] = {ARG("x", 4, 3), ARG("w", 3), ARG("b", 3),
                         ARGI("rm", rm, 3), ARGI("rv", ones, 3)};
    ta_check("batch_norm running", f_bn, &run, 5, ar, true);
    ta_check("batch_norm eval", f_bn_eval, &run, 5, ar, true);
}

static void grad_dropout(void)
{
    P p = {.f = 0.4};
    tg_check_arg a[] = {ARG("x", 5, 6)};
    ta_check("dropout", f_dropout, &p, 1, a, true);
}

/* ----------------------------------------------------------------- shape */

static void grad_shape(void)
{
    P p1 = {.naxes = 3, .axes = {2, 0, 1}};
    tg_check_arg a3[] = {ARG("x", 2, 3, 4)};
    ta_check("permute", f_permute, &p1, 1, a3, true);
    P p2 = {.naxes = 2, .axes = {-1, 0}};
    tg_check_arg a2[] = {ARG("x", 3, 4)};
    ta_check("permute 2", f_permute, &p2, 1, a2, true);
    P t = {.axis = 0, .axis2 = -1};
    ta_check("transpose", f_transpose, &t, 1, a3, true);
    P fl = {.axis = 1, .axis2 = 2};
    tg_check_arg af[] = {ARG("x", 2, 3, 4), ARG("y", 2, 12)};
    ta_check("flatten", f_flatten, &fl, 2, af, true);
    P sq = {.axis = 1};
    tg_check_arg as[] = {ARG("x", 3, 1, 4), ARG("y", 3, 4)};
    ta_check("squeeze", f_squeeze, &sq, 2, as, true);
    P sqa = {.flag = true};
    tg_check_arg asa[] = {ARG("x", 1, 3, 1), ARG("y", 2, 3)};
    ta_check("squeeze_all", f_squeeze, &sqa, 2, asa, true);
    P us = {.axis = -1};
    tg_check_arg au[] = {ARG("x", 3, 4), ARG("y", 3, 4, 2)};
    ta_check("unsqueeze", f_unsqueeze, &us, 2, au, true);

    P c0 = {.axis = 0}, c1 = {.axis = 1};
    tg_check_arg ac[] = {ARG("a", 2, 3), ARG("b", 4, 3), ARG("c", 1, 3)};
    ta_check("concat 0", f_concat, &c0, 3, ac, true);
    tg_check_arg ac1[] = {ARG("a", 2, 1, 2), ARG("b", 2, 3, 2)};
    ta_check("concat 1", f_concat, &c1, 2, ac1, true);
    tg_check_arg acs[] = {ARG("a", 2, 3), ARG("b", 2, 3)};
    ta_check("concat fan-in", f_concat_sq, &c1, 2, acs, true);

    P sl = {.axis = 1, .i = {1, 4, 2}};
    tg_check_arg asl[] = {ARG("x", 3, 5)};
    ta_check("slice", f_slice, &sl, 1, asl, true);
    P sl2 = {.axis = -1, .i = {-5, INT64_MAX, 3}};
    tg_check_arg asl2[] = {ARG("x", 2, 2, 7)};
    ta_check("slice neg", f_slice, &sl2, 1, asl2, true);
    P sb = {.naxes = 2, .axes = {3, 5}, .axis = 1, .i = {1, 0, 2}};
    tg_check_arg asb[] = {ARG("g", 3, 2)};
    ta_check("slice_backward", f_slice_bw, &sb, 1, asb, true);

    double i4[4] = {4, 0, 2, 0}, i22[4] = {3, 1, 1, 0};
    P ax0 = {.axis = 0}, ax1 = {.axis = 1};
    tg_check_arg ai[] = {ARG("x", 5, 3), ARGI("i", i4, 4)};
    ta_check("index_select", f_index_select, &ax0, 2, ai, true);
    tg_check_arg ai2[] = {ARG("x", 2, 4, 3), ARGI("i", i22, 2, 2)};
    ta_check("index_select 2d idx", f_index_select, &ax1, 2, ai2, true);
    P ia = {.naxes = 2, .axes = {5, 3}, .axis = 0};
    tg_check_arg aia[] = {ARG("g", 4, 3), ARGI("i", i4, 4)};
    ta_check("index_add", f_index_add, &ia, 2, aia, true);
    double gi[3] = {3, 0, 2}, gi2[8] = {0, 1, 2, 2, 1, 0, 0, 1};
    tg_check_arg ag[] = {ARG("x", 3, 4), ARGI("i", gi, 3, 1)};
    ta_check("gather", f_gather, &ax1, 2, ag, true);
    tg_check_arg ag2[] = {ARG("x", 3, 4), ARGI("i", gi2, 2, 4)};
    ta_check("gather 0", f_gather, &ax0, 2, ag2, true);
    double si[6] = {3, 3, 0, 1, 2, 0};
    P sa = {.naxes = 2, .axes = {3, 4}, .axis = 1};
    tg_check_arg asa2[] = {ARG("g", 3, 2), ARGI("i", si, 3, 2)};
    ta_check("scatter_add", f_scatter_add, &sa, 2, asa2, true);
}

TT_RUN(TT(grad_reductions), TT(grad_linear), TT(grad_softmax),
       TT(grad_losses), TT(grad_layer_norm), TT(grad_batch_norm),
       TT(grad_dropout), TT(grad_shape))
