/* Built against the installed tapegrad.pc by check_install.sh: a product
 * large enough to go through OpenBLAS's gemm, its gradient, and the name
 * of the OpenBLAS build that served it. Prints "ok" when the values are
 * right. */
#define _GNU_SOURCE /* RTLD_DEFAULT */
#include <dlfcn.h>
#include <stdio.h>
#include <tapegrad/tapegrad.h>

int main(void)
{
    enum { M = 64, K = 48, N = 40 };
    static double a[M * K], b[K * N];
    for (int i = 0; i < M * K; i++) a[i] = (i % 7) - 3;
    for (int i = 0; i < K * N; i++) b[i] = (i % 5) - 2;
    tg_graph *g = tg_graph_new();
    tg_tensor *ta = tg_input(g, TG_F64, TG_SHAPE(M, K), a);
    tg_tensor *tb = tg_input(g, TG_F64, TG_SHAPE(K, N), b);
    tg_set_requires_grad(ta, true);
    tg_tensor *loss = tg_sum_all(tg_matmul(ta, tb));
    if (tg_backward(g, loss) != TG_OK) {
        fprintf(stderr, "backward: %s\n", tg_graph_error(g));
        return 1;
    }
    /* sum(a @ b) = sum_ik a_ik rowsum(b)_k; d/da_ik = rowsum(b)_k */
    double want = 0, rs[K];
    int bad = 0;
    for (int k = 0; k < K; k++) {
        rs[k] = 0;
        for (int j = 0; j < N; j++) rs[k] += b[k * N + j];
    }
    for (int i = 0; i < M; i++)
        for (int k = 0; k < K; k++) {
            want += a[i * K + k] * rs[k];
            bad += tg_get(ta->grad, i * K + k) != rs[k];
        }
    bad += tg_get(loss, 0) != want;
    /* looked up at run time: a shared link does not name OpenBLAS */
    char *(*config)(void) = (char *(*)(void))dlsym(RTLD_DEFAULT,
                                                   "openblas_get_config");
    printf("openblas: %s\n%s\n", config ? config() : "(not found)",
           bad ? "wrong" : "ok");
    tg_graph_free(g);
    return bad != 0;
}
