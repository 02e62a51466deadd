/* Fuzz target: the expression parser, its error printer and the
 * evaluator. Every input must end in a parsed expression or an error with
 * a position; parsed ones are evaluated on small f64 inputs (the shape of
 * each variable picked from its name) and differentiated. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzz_common.h"
#include "src/expr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int64_t shapes[4][2] = {{1, 1}, {3, 1}, {2, 3}, {3, 3}};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init();
    if (size > 4096) return 0;
    char *src = malloc(size + 1);
    if (!src) return 0;
    memcpy(src, data, size);
    src[size] = 0;
    tg_expr *e = NULL;
    tg__expr_err err;
    FILE *sink = fopen("/dev/null", "w");
    if (tg__expr_parse(src, &e, &err) != TG_OK) {
        if (sink) tg__expr_print_error(sink, src, &err);
    } else {
        tg_graph *g = tg_graph_new();
        int nv = tg__expr_num_vars(e);
        if (g && nv <= 8) {
            tg_tensor *in[8];
            const char *names[8];
            for (int i = 0; i < nv; i++) {
                names[i] = tg__expr_var(e, i);
                int k = (unsigned char)names[i][0] % 4;
                int nd = k == 0 ? 0 : k == 1 ? 1 : 2;
                int64_t sh[2] = {shapes[k][0], shapes[k][1]};
                if (nd == 1) sh[0] = 3;
                in[i] = tg_input(g, TG_F64, nd, sh, NULL);
                double *d = tg_f64(in[i]);
                for (int64_t j = 0; d && j < in[i]->numel; j++)
                    d[j] = 0.25 * (double)(j % 5) - 0.4;
                tg_set_requires_grad(in[i], true);
            }
            tg_tensor *y = tg__expr_eval(e, g, TG_F64, nv, names, in, &err);
            if (y && nv > 0) {
                tg_tensor *gr[8];
                tg_tensor *s = tg_full(g, TG_F64, y->ndim, y->shape, 1.0);
                tg_grad(g, &y, 1, &s, in, nv, false, gr);
            }
            if (!y && sink) tg__expr_print_error(sink, src, &err);
        }
        tg_graph_free(g);
        tg__expr_free(e);
    }
    if (sink) fclose(sink);
    free(src);
    return 0;
}
