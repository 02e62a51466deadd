/* Derivatives beyond the gradient (tapegrad/functional.h): JVP, VJP, HVP,
 * Jacobian in both modes, Hessian, each against formulas written out by
 * hand and evaluated in long double, plus the error paths. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <tapegrad/tapegrad.h>

#include "tt.h"

/* y = tanh(x @ W), x [3,4], W [4,2]: fixed data. */
static double X[12], Wv[8], VX[12], VW[8];

static void fill(void)
{
    for (int i = 0; i < 12; i++) {
        X[i] = sin(0.7 * i + 0.3);
        VX[i] = cos(1.3 * i);
    }
    for (int i = 0; i < 8; i++) {
        Wv[i] = 0.5 * cos(0.9 * i + 0.1);
        VW[i] = sin(2.1 * i + 0.5);
    }
}

/* ys[a][b] = tanh(sum_d x[a][d] W[d][b]) in long double */
static void ref_y(long double ys[3][2])
{
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 2; b++) {
            long double s = 0;
            for (int d = 0; d < 4; d++) s += (long double)X[a * 4 + d] * Wv[d * 2 + b];
            ys[a][b] = tanhl(s);
        }
}

static void jvp_matches_formula(void)
{
    fill();
    for (int f32 = 0; f32 < 2; f32++) {
        tg_dtype dt = f32 ? TG_F32 : TG_F64;
        float xf[12], wf[8], vxf[12], vwf[8];
        for (int i = 0; i < 12; i++) xf[i] = (float)X[i], vxf[i] = (float)VX[i];
        for (int i = 0; i < 8; i++) wf[i] = (float)Wv[i], vwf[i] = (float)VW[i];
        tg_graph *g = tg_graph_new();
        tg_tensor *x = tg_input(g, dt, TG_SHAPE(3, 4), f32 ? (void *)xf : (void *)X);
        tg_tensor *W = tg_input(g, dt, TG_SHAPE(4, 2), f32 ? (void *)wf : (void *)Wv);
        tg_set_requires_grad(x, true);
        tg_set_requires_grad(W, true);
        tg_tensor *vx = tg_input(g, dt, TG_SHAPE(3, 4), f32 ? (void *)vxf : (void *)VX);
        tg_tensor *vW = tg_input(g, dt, TG_SHAPE(4, 2), f32 ? (void *)vwf : (void *)VW);
        tg_tensor *y = tg_tanh(tg_matmul(x, W));
        tg_tensor *dy = NULL;
        TT_CHECK(tg_jvp(g, &y, 1, (tg_tensor *[]){x, W}, 2,
                        (tg_tensor *[]){vx, vW}, false, &dy) == TG_OK);
        TT_CHECK(dy && dy->ndim == 2 && dy->shape[0] == 3 && dy->shape[1] == 2);
        /* d tanh(s) = (1 - y^2) (vx W + x vW) */
        long double ys[3][2];
        ref_y(ys);
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 2; b++) {
                long double ds = 0;
                for (int d = 0; d < 4; d++)
                    ds += (long double)VX[a * 4 + d] * Wv[d * 2 + b] +
                          (long double)X[a * 4 + d] * VW[d * 2 + b];
                long double want = (1 - ys[a][b] * ys[a][b]) * ds;
                TT_NEAR(tg_get(dy, a * 2 + b), (double)want, f32 ? 2e-6 : 1e-14);
            }
        /* JVP of one input alone: only x moves */
        tg_tensor *dyx = NULL;
        TT_CHECK(tg_jvp(g, &y, 1, &x, 1, &vx, false, &dyx) == TG_OK);
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 2; b++) {
                long double ds = 0;
                for (int d = 0; d < 4; d++)
                    ds += (long double)VX[a * 4 + d] * Wv[d * 2 + b];
                TT_NEAR(tg_get(dyx, a * 2 + b),
                        (double)((1 - ys[a][b] * ys[a][b]) * ds),
                        f32 ? 2e-6 : 1e-14);
            }
        tg_graph_free(g);
    }
}

/* JVP <-> VJP duality: <u, J v> == <J^T u, v> for random u, v. */
static void jvp_vjp_duality(void)
{
    fill();
    tg_graph *g = tg_graph_new();
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(3, 4), X);
    tg_set_requires_grad(x, true);
    tg_tensor *W = tg_input(g, TG_F64, TG_SHAPE(4, 2), Wv);
    tg_tensor *y = tg_softmax(tg_matmul(tg_exp(tg_mul_scalar(x, 0.5)), W), -1);
    double u[6] = {0.3, -1.2, 0.7, 2.0, -0.4, 0.9};
    tg_tensor *ut = tg_input(g, TG_F64, TG_SHAPE(3, 2), u);
    tg_tensor *vt = tg_input(g, TG_F64, TG_SHAPE(3, 4), VX);
    tg_tensor *jv = NULL, *jtu = NULL;
    TT_CHECK(tg_jvp(g, &y, 1, &x, 1, &vt, false, &jv) == TG_OK);
    TT_CHECK(tg_vjp(g, &y, 1, &ut, &x, 1, false, &jtu) == TG_OK);
    double lhs = 0, rhs = 0;
    for (int i = 0; i < 6; i++) lhs += u[i] * tg_get(jv, i);
    for (int i = 0; i < 12; i++) rhs += tg_get(jtu, i) * VX[i];
    TT_NEAR(lhs, rhs, 1e-13);
    TT_CHECK(fabs(lhs) > 1e-3); /* not vacuous */
    tg_graph_free(g);
}

/* Edge cases: the output is the input (J = I), an input the output does
 * not depend on (zero), a 0-d function, create_graph (the tangent is
 * differentiable: d/dx <J(x) v> for y = x^3 is 6 x v). */
static void jvp_edges(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(3), (double[]){1, -2, 0.5});
    tg_tensor *z = tg_input(g, TG_F64, TG_SHAPE(2), (double[]){4, 5});
    tg_set_requires_grad(x, true);
    tg_set_requires_grad(z, true);
    tg_tensor *v = tg_input(g, TG_F64, TG_SHAPE(3), (double[]){0.5, 1, -3});
    tg_tensor *vz = tg_input(g, TG_F64, TG_SHAPE(2), (double[]){7, 8});
    tg_tensor *d = NULL;
    TT_CHECK(tg_jvp(g, &x, 1, &x, 1, &v, false, &d) == TG_OK);
    for (int i = 0; i < 3; i++) TT_NEAR(tg_get(d, i), tg_get(v, i), 0);
    tg_tensor *y = tg_mul(tg_mul(x, x), x);
    TT_CHECK(tg_jvp(g, &y, 1, &z, 1, &vz, false, &d) == TG_OK);
    for (int i = 0; i < 3; i++) TT_CHECK(tg_get(d, i) == 0);
    TT_CHECK(tg_jvp(g, &y, 1, &x, 1, &v, true, &d) == TG_OK);
    for (int i = 0; i < 3; i++)
        TT_NEAR(tg_get(d, i), 3 * tg_get(x, i) * tg_get(x, i) * tg_get(v, i), 1e-15);
    tg_tensor *gd = NULL;
    tg_tensor *ones = tg_full(g, TG_F64, TG_SHAPE(3), 1.0);
    TT_CHECK(tg_grad(g, &d, 1, &ones, &x, 1, false, &gd) == TG_OK);
    for (int i = 0; i < 3; i++)
        TT_NEAR(tg_get(gd, i), 6 * tg_get(x, i) * tg_get(v, i), 1e-15);
    tg_tensor *s = tg_sum_all(tg_sin(x));
    TT_CHECK(tg_jvp(g, &s, 1, &x, 1, &v, false, &d) == TG_OK);
    double want = 0;
    for (int i = 0; i < 3; i++) want += cos(tg_get(x, i)) * tg_get(v, i);
    TT_CHECK(d->ndim == 0);
    TT_NEAR(tg_item(d), want, 1e-15);
    tg_graph_free(g);
}

/* Jacobian of y = tanh(x W) in both modes against
 * dy[a,b]/dx[c,d] = [a == c] (1 - y_ab^2) W[d,b] and
 * dy[a,b]/dW[d,e] = [b == e] (1 - y_ab^2) x[a,d]. */
static void jacobian_modes(void)
{
    fill();
    long double ys[3][2];
    ref_y(ys);
    tg_jac_mode modes[3] = {TG_JAC_REVERSE, TG_JAC_FORWARD, TG_JAC_AUTO};
    int64_t want_passes[3] = {6, 1 + 12 + 8, 6};
    for (int mi = 0; mi < 3; mi++) {
        tg_graph *g = tg_graph_new();
        tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(3, 4), X);
        tg_tensor *W = tg_input(g, TG_F64, TG_SHAPE(4, 2), Wv);
        tg_set_requires_grad(x, true);
        tg_set_requires_grad(W, true);
        tg_tensor *y = tg_tanh(tg_matmul(x, W));
        tg_tensor *J[2];
        int64_t passes = -1;
        TT_CHECK(tg_jacobian(g, y, (tg_tensor *[]){x, W}, 2, modes[mi], J,
                             &passes) == TG_OK);
        TT_CHECK(passes == want_passes[mi]);
        TT_CHECK(J[0]->ndim == 4 && J[0]->shape[0] == 3 && J[0]->shape[3] == 4);
        TT_CHECK(J[1]->ndim == 4 && J[1]->shape[2] == 4 && J[1]->shape[3] == 2);
        double worst = 0;
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 2; b++) {
                long double s = 1 - ys[a][b] * ys[a][b];
                for (int c = 0; c < 3; c++)
                    for (int d = 0; d < 4; d++) {
                        long double w = a == c ? s * Wv[d * 2 + b] : 0;
                        double e = fabs(tg_get(J[0], ((a * 2 + b) * 3 + c) * 4 + d) - (double)w);
                        worst = e > worst ? e : worst;
                    }
                for (int d = 0; d < 4; d++)
                    for (int e2 = 0; e2 < 2; e2++) {
                        long double w = b == e2 ? s * X[a * 4 + d] : 0;
                        double e = fabs(tg_get(J[1], ((a * 2 + b) * 4 + d) * 2 + e2) - (double)w);
                        worst = e > worst ? e : worst;
                    }
            }
        TT_CHECK(worst < 1e-14);
        tg_graph_free(g);
    }
}

/* f = sum(sin(x) y) + sum(x^2) / 2: H_xx = diag(1 - sin(x) y),
 * H_xy = H_yx = diag(cos x), H_yy = 0; hvp agrees with H v. */
static void hessian_and_hvp(void)
{
    double xv[3] = {0.3, -1.1, 2.0}, yv[3] = {1.5, -0.5, 0.25};
    double v1[3] = {1, 2, -1}, v2[3] = {0.5, -3, 4};
    tg_graph *g = tg_graph_new();
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(3), xv);
    tg_tensor *y = tg_input(g, TG_F64, TG_SHAPE(3), yv);
    tg_set_requires_grad(x, true);
    tg_set_requires_grad(y, true);
    tg_tensor *f = tg_add(tg_sum_all(tg_mul(tg_sin(x), y)),
                          tg_mul_scalar(tg_sum_all(tg_square(x)), 0.5));
    tg_tensor *H[4];
    TT_CHECK(tg_hessian(g, f, (tg_tensor *[]){x, y}, 2, H) == TG_OK);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double dxx = i == j ? 1 - sin(xv[i]) * yv[i] : 0;
            double dxy = i == j ? cos(xv[i]) : 0;
            TT_NEAR(tg_get(H[0], i * 3 + j), dxx, 1e-15);
            TT_NEAR(tg_get(H[1], i * 3 + j), dxy, 1e-15);
            TT_NEAR(tg_get(H[2], i * 3 + j), dxy, 1e-15);
            TT_CHECK(tg_get(H[3], i * 3 + j) == 0);
        }
    tg_tensor *hv[2];
    tg_tensor *t1 = tg_input(g, TG_F64, TG_SHAPE(3), v1);
    tg_tensor *t2 = tg_input(g, TG_F64, TG_SHAPE(3), v2);
    TT_CHECK(tg_hvp(g, f, (tg_tensor *[]){x, y}, 2, (tg_tensor *[]){t1, t2},
                    false, hv) == TG_OK);
    for (int i = 0; i < 3; i++) {
        TT_NEAR(tg_get(hv[0], i), (1 - sin(xv[i]) * yv[i]) * v1[i] + cos(xv[i]) * v2[i], 1e-15);
        TT_NEAR(tg_get(hv[1], i), cos(xv[i]) * v1[i], 1e-15);
    }
    tg_graph_free(g);
}

static void errors(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(3), NULL);
    tg_set_requires_grad(x, true);
    tg_tensor *y = tg_exp(x);
    tg_tensor *bad = tg_input(g, TG_F64, TG_SHAPE(2), NULL);
    tg_tensor *d = NULL;
    TT_CHECK(tg_jvp(g, &y, 1, &x, 1, &bad, false, &d) == TG_ERR_SHAPE);
    TT_CONTAINS(tg_graph_error(g), "tg_jvp: tangent 1 is [2] f64 but input 1 is [3] f64");
    TT_CHECK(d != NULL && d->numel == 1); /* the poison tensor */
    tg_graph_free(g);

    g = tg_graph_new();
    x = tg_input(g, TG_F64, TG_SHAPE(3), NULL);
    tg_set_requires_grad(x, true);
    y = tg_exp(x);
    tg_tensor *H[1];
    TT_CHECK(tg_hessian(g, y, &x, 1, H) == TG_ERR_SHAPE);
    TT_CONTAINS(tg_graph_error(g), "tg_hessian: f has shape [3], not one element");
    tg_graph_free(g);

    g = tg_graph_new();
    x = tg_input(g, TG_F64, TG_SHAPE(3), NULL);
    tg_set_requires_grad(x, true);
    y = tg_exp(x);
    tg_tensor *J[1];
    TT_CHECK(tg_jacobian(g, y, &x, 1, (tg_jac_mode)7, J, NULL) == TG_ERR_ARG);
    TT_CONTAINS(tg_graph_error(g), "tg_jacobian: mode 7");
    tg_graph_free(g);

    g = tg_graph_new();
    x = tg_input(g, TG_F64, TG_SHAPE(3), NULL);
    tg_set_requires_grad(x, true);
    y = tg_exp(x);
    tg_tensor *u = tg_input(g, TG_F32, TG_SHAPE(3), NULL);
    tg_tensor *gx = NULL;
    TT_CHECK(tg_vjp(g, &y, 1, &u, &x, 1, false, &gx) == TG_ERR_SHAPE);
    TT_CONTAINS(tg_graph_error(g), "tg_vjp: cotangent 1 is [3] f32 but output 1 is [3] f64");
    tg_graph_free(g);

    TT_CHECK(tg_jvp(NULL, NULL, 0, NULL, 0, NULL, false, NULL) == TG_ERR_ARG);
    TT_CHECK(tg_hvp(NULL, NULL, NULL, 0, NULL, false, NULL) == TG_ERR_ARG);
    TT_CHECK(tg_jacobian(NULL, NULL, NULL, 0, TG_JAC_AUTO, NULL, NULL) == TG_ERR_ARG);
    TT_CHECK(tg_hessian(NULL, NULL, NULL, 0, NULL) == TG_ERR_ARG);
    TT_CHECK(tg_vjp(NULL, NULL, 0, NULL, NULL, 0, false, NULL) == TG_ERR_ARG);
}

TT_RUN(TT(jvp_matches_formula), TT(jvp_vjp_duality), TT(jvp_edges),
       TT(jacobian_modes), TT(hessian_and_hvp), TT(errors))
