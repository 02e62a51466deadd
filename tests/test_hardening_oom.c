/* Allocation failure at every allocation N reached by (b) loading a saved
 * model (and saving one), (c) parsing, evaluating and gradient-checking an
 * expression, in-process and through the `tapegrad check` command. For
 * each N, once and from N on: the call reports TG_ERR_OOM with a message,
 * frees every block it took, changes nothing it promised not to change
 * (a model that failed to load, a file that failed to save), and the
 * graph computes the reference result again after tg_graph_reset. The
 * 3-layer MLP case (a) is in test_hardening.c. */
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <tapegrad/tapegrad.h>

#include "hardening.h"
#include "src/cli/cli.h"
#include "src/expr.h"
#include "tt.h"

static char dir[64];

static const char *path_in(const char *name)
{
    static char buf[2][512];
    static int k;
    k ^= 1;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static int files_in_dir(void)
{
    int n = 0;
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));) n += e->d_name[0] != '.';
    if (d) closedir(d);
    return n;
}

static bool file_bytes(const char *p, unsigned char **buf, long *len)
{
    FILE *f = fopen(p, "rb");
    if (!f) return false;
    fseek(f, 0, SEEK_END);
    *len = ftell(f);
    fseek(f, 0, SEEK_SET);
    *buf = malloc((size_t)*len + 1);
    bool ok = *buf && fread(*buf, 1, (size_t)*len, f) == (size_t)*len;
    fclose(f);
    return ok;
}

/* ------------------------------------------------------ (b) save / load */

enum { NT = 4 };
typedef struct model {
    tg_graph *g;
    tg_tensor *t[NT];
    tg_optim *opt;
} model;

static double pattern(int k, int64_t i, int version)
{
    return version * 10 + 0.125 * (double)k - 0.0625 * (double)(i % 17);
}

static void fill(model *m, int version)
{
    for (int k = 0; k < NT; k++)
        for (int64_t i = 0; i < m->t[k]->numel; i++) {
            double v = pattern(k, i, version);
            if (m->t[k]->dtype == TG_F32) tg_f32(m->t[k])[i] = (float)v;
            else tg_f64(m->t[k])[i] = v;
        }
}

static bool holds(const model *m, int version)
{
    for (int k = 0; k < NT; k++)
        for (int64_t i = 0; i < m->t[k]->numel; i++) {
            double v = pattern(k, i, version);
            double want = m->t[k]->dtype == TG_F32 ? (double)(float)v : v;
            if (tg_get(m->t[k], i) != want) return false;
        }
    return true;
}

static bool model_new(model *m)
{
    memset(m, 0, sizeof *m);
    m->g = tg_graph_new();
    m->t[0] = tg_param(m->g, TG_F32, TG_SHAPE(20, 30), "W1");
    m->t[1] = tg_param(m->g, TG_F32, TG_SHAPE(30), "b1");
    m->t[2] = tg_param(m->g, TG_F64, TG_SHAPE(30, 5), "W2");
    m->t[3] = tg_param(m->g, TG_F64, TG_SHAPE(5), "b2");
    if (tg_graph_status(m->g) != TG_OK) return false;
    tg_optim_config c = tg_optim_defaults(TG_OPTIM_ADAM);
    m->opt = tg_optim_new(&c, NT, m->t);
    return m->opt != NULL;
}

static void model_free(model *m)
{
    tg_optim_free(m->opt);
    tg_graph_free(m->g);
}

/* A forward/backward step on the model's graph: the graph works. */
static bool model_step(model *m, double *loss)
{
    tg_graph *g = m->g;
    tg_tensor *x = tg_full(g, TG_F32, TG_SHAPE(2, 20), 0.5);
    tg_tensor *h = tg_tanh(tg_add(tg_matmul(x, m->t[0]), m->t[1]));
    tg_tensor *y = tg_add(tg_matmul(tg_cast(h, TG_F64), m->t[2]), m->t[3]);
    tg_tensor *l = tg_sum_all(tg_mul(y, y));
    bool ok = tg_backward(g, l) == TG_OK;
    *loss = tg_item(l);
    tg_zero_grad(g);
    tg_graph_reset(g);
    return ok;
}

static void load_allocation_failures(void)
{
    hd_alloc ha;
    hd_install(&ha, 0, false, 0);
    model m;
    TT_CHECK(model_new(&m));
    /* optimizer state worth saving: one step from constant gradients */
    fill(&m, 1);
    for (int k = 0; k < NT; k++)
        for (int64_t i = 0; i < m.t[k]->numel; i++) {
            if (m.t[k]->dtype == TG_F32) tg_f32(m.t[k]->grad)[i] = 0.5f;
            else tg_f64(m.t[k]->grad)[i] = -0.25;
        }
    for (int k = 0; k < NT; k++) tg_tensor_grad_written(m.t[k]);
    TT_CHECK(tg_optim_step(m.opt) == TG_OK);
    fill(&m, 1); /* the step moved the weights; save known values */
    const char *file = path_in("model.tgw");
    TT_CHECK(tg_save(file, NT, m.t, m.opt) == TG_OK);
    double ref_loss;
    TT_CHECK(model_step(&m, &ref_loss));

    /* reference load: counts the allocations a load makes */
    fill(&m, 2);
    long before = ha.n_allocs;
    TT_CHECK(tg_load(file, NT, m.t, m.opt) == TG_OK);
    long total = ha.n_allocs - before;
    TT_CHECK(holds(&m, 1) && tg_optim_steps(m.opt) == 1);
    TT_CHECK(total >= 2);
    printf("  tg_load: %ld allocations\n", total);

    for (int persistent = 0; persistent < 2; persistent++)
        for (long n = 1; n <= total; n++) {
            fill(&m, 2);
            long live0 = ha.live;
            ha.fail_at = ha.n_allocs + n;
            ha.persistent = persistent;
            tg_status st = tg_load(file, NT, m.t, m.opt);
            ha.fail_at = 0;
            TT_CHECK(st == TG_ERR_OOM);
            TT_CONTAINS(tg_last_error(), "out of memory");
            TT_CHECK(holds(&m, 2));                /* unchanged */
            TT_CHECK(tg_optim_steps(m.opt) == 1);  /* restored by the ref load */
            TT_CHECK(ha.live == live0);            /* nothing kept */
            /* the graph works, and a load now succeeds */
            tg_graph_reset(m.g);
            double l;
            TT_CHECK(model_step(&m, &l));
            TT_CHECK(tg_load(file, NT, m.t, m.opt) == TG_OK && holds(&m, 1));
            TT_CHECK(model_step(&m, &l) && l == ref_loss);
        }
    model_free(&m);
    TT_CHECK(ha.live == 0);
    hd_uninstall();
}

/* Saving under allocation failure: an error, the old file intact, no
 * temporary file left behind. */
static void save_allocation_failures(void)
{
    hd_alloc ha;
    hd_install(&ha, 0, false, 0);
    model m;
    TT_CHECK(model_new(&m));
    fill(&m, 1);
    const char *file = path_in("save.tgw");
    TT_CHECK(tg_save(file, NT, m.t, m.opt) == TG_OK);
    unsigned char *old = NULL;
    long old_len = 0;
    TT_CHECK(file_bytes(file, &old, &old_len));
    int files = files_in_dir();
    fill(&m, 3);
    long before = ha.n_allocs;
    const char *other = path_in("count.tgw");
    TT_CHECK(tg_save(other, NT, m.t, m.opt) == TG_OK);
    long total = ha.n_allocs - before;
    remove(other);
    /* The last allocation of a save (a copy of the path, for syncing the
     * directory after the rename) happens once the new file is in place:
     * failing it skips only that sync, so the save succeeds. Either way the
     * file is the old one (error) or the new one (success), never a mix. */
    long oom = 0;
    for (long n = 1; n <= total; n++) {
        long live0 = ha.live;
        ha.fail_at = ha.n_allocs + n;
        tg_status st = tg_save(file, NT, m.t, m.opt);
        ha.fail_at = 0;
        TT_CHECK(st == TG_ERR_OOM || st == TG_OK);
        TT_CHECK(ha.live == live0);
        TT_CHECK(files_in_dir() == files);
        if (st == TG_OK) {
            model m2;
            TT_CHECK(model_new(&m2));
            TT_CHECK(tg_load(file, NT, m2.t, NULL) == TG_OK && holds(&m2, 3));
            model_free(&m2);
            fill(&m, 1);
            TT_CHECK(tg_save(file, NT, m.t, m.opt) == TG_OK);
            fill(&m, 3);
            continue;
        }
        oom++;
        TT_CONTAINS(tg_last_error(), "out of memory");
        unsigned char *now = NULL;
        long len = 0;
        TT_CHECK(file_bytes(file, &now, &len));
        TT_CHECK(len == old_len && !memcmp(now, old, (size_t)len));
        free(now);
    }
    TT_CHECK(oom >= total - 1);
    free(old);
    model_free(&m);
    TT_CHECK(ha.live == 0);
    hd_uninstall();
}

/* ----------------------------------------------------- (c) expressions */

static const char *const SRC =
    "tanh(x @ W + b) * 2 - sum(x * x, axis=1, keepdim=1)";
static const char *const NAMES[3] = {"x", "W", "b"};
static const double XV[12] = {0.1, -0.2, 0.3, 0.4, -0.5, 0.6,
                              0.7, -0.8, 0.9, 1.0, -1.1, 0.05};
static const double WV[8] = {0.3, -0.1, 0.2, 0.5, -0.4, 0.25, 0.15, -0.35};
static const double BV[2] = {0.05, -0.02};

/* y[i][j] = 2 tanh(sum_k x[i][k] W[k][j] + b[j]) - sum_k x[i][k]^2 */
static double ref_y(int i, int j)
{
    long double s = BV[j], q = 0;
    for (int k = 0; k < 4; k++) {
        s += (long double)XV[i * 4 + k] * WV[k * 2 + j];
        q += (long double)XV[i * 4 + k] * XV[i * 4 + k];
    }
    return (double)(2 * tanhl(s) - q);
}

typedef struct expr_ud {
    tg_expr *e;
} expr_ud;

static tg_tensor *expr_fn(tg_graph *g, tg_tensor *const *in, int n, void *ud)
{
    return tg__expr_eval(((expr_ud *)ud)->e, g, TG_F64, n, NAMES, in, NULL);
}

/* Evaluate the parsed expression on g with the fixed inputs, backward. */
static tg_status eval(tg_graph *g, tg_expr *e, tg_tensor **y_out)
{
    tg_tensor *in[3] = {tg_input(g, TG_F64, TG_SHAPE(3, 4), XV),
                        tg_input(g, TG_F64, TG_SHAPE(4, 2), WV),
                        tg_input(g, TG_F64, TG_SHAPE(2), BV)};
    for (int i = 0; i < 3; i++) tg_set_requires_grad(in[i], true);
    tg__expr_err err;
    tg_tensor *y = tg__expr_eval(e, g, TG_F64, 3, NAMES, in, &err);
    *y_out = y;
    if (!y) return tg_graph_status(g) != TG_OK ? tg_graph_status(g) : err.st;
    return tg_backward(g, tg_sum_all(y));
}

static bool y_is_reference(const tg_tensor *y)
{
    if (!y || y->numel != 6) return false;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 2; j++)
            if (fabs(tg_get(y, i * 2 + j) - ref_y(i, j)) > 1e-14) return false;
    return true;
}

static tg_check_arg arg(const char *name, int nd, const int64_t *sh,
                        const double *v)
{
    tg_check_arg a = {.name = name, .ndim = nd, .data = v};
    for (int i = 0; i < nd; i++) a.shape[i] = sh[i];
    return a;
}

static void expression_allocation_failures(void)
{
    tg_check_arg args[3] = {arg("x", TG_SHAPE(3, 4), XV),
                            arg("W", TG_SHAPE(4, 2), WV),
                            arg("b", TG_SHAPE(2), BV)};
    tg_check_opts o = tg_check_defaults();
    hd_alloc ha;
    hd_install(&ha, 0, false, 0);
    /* reference: parse, evaluate, check; allocations counted on the
     * second round, when the graph's arena is already warm as it is in
     * the loop below */
    tg_graph *g = tg_graph_new();
    tg_expr *e = NULL;
    tg__expr_err err;
    tg_tensor *y;
    expr_ud u;
    tg_check_report r;
    long total = 0;
    for (int round = 0; round < 2; round++) {
        long base = ha.n_allocs;
        TT_CHECK(tg__expr_parse(SRC, &e, &err) == TG_OK);
        TT_CHECK(eval(g, e, &y) == TG_OK);
        TT_CHECK(y_is_reference(y));
        u.e = e;
        TT_CHECK(tg_gradcheck(expr_fn, &u, 3, args, &o, &r) == TG_OK && r.pass);
        total = ha.n_allocs - base;
        tg__expr_free(e);
        tg_graph_reset(g);
    }
    TT_CHECK(total > 10);
    printf("  parse + evaluate + gradcheck: %ld allocations\n", total);

    long oom = 0, bad = 0;
    for (int persistent = 0; persistent < 2; persistent++)
        for (long n = 1; n <= total; n++) {
            long live0 = ha.live;
            ha.fail_at = ha.n_allocs + n;
            ha.persistent = persistent;
            e = NULL;
            tg_status st = tg__expr_parse(SRC, &e, &err);
            if (st != TG_OK) {
                if (st != TG_ERR_OOM || e || !strstr(err.msg, "out of memory"))
                    bad++;
            } else if ((st = eval(g, e, &y)) != TG_OK) {
                if (st != TG_ERR_OOM ||
                    !strstr(tg_graph_error(g), "out of memory"))
                    bad++;
            } else {
                u.e = e;
                st = tg_gradcheck(expr_fn, &u, 3, args, &o, &r);
                if (st != TG_ERR_OOM || !strstr(r.message, "out of memory"))
                    bad++;
            }
            oom += st == TG_ERR_OOM;
            if (st != TG_ERR_OOM)
                fprintf(stderr, "expr, fail at %ld of %ld (%d): %s: %s\n", n,
                        total, persistent, tg_status_str(st),
                        tg_graph_error(g) ? tg_graph_error(g) : r.message);
            ha.fail_at = 0;
            /* the same graph evaluates correctly after a reset */
            tg_graph_reset(g);
            if (!e && tg__expr_parse(SRC, &e, &err) != TG_OK) bad++;
            if (eval(g, e, &y) != TG_OK || !y_is_reference(y)) bad++;
            tg_graph_reset(g);
            tg__expr_free(e);
            if (ha.live != live0) {
                fprintf(stderr, "fail at %ld: %ld blocks leaked\n", n,
                        ha.live - live0);
                bad++;
            }
        }
    TT_CHECK(oom == 2 * total);
    TT_CHECK(bad == 0);
    tg_graph_free(g);
    TT_CHECK(ha.live == 0);
    hd_uninstall();
}

/* The same through the command: `tapegrad check EXPR ...` exits 2 with an
 * out-of-memory message and frees everything. */
static void cli_check_allocation_failures(void)
{
    char *argv[] = {"check", (char *)SRC, "x=3x4", "W=4x2", "b=2", NULL};
    int argc = 5;
    tg_cli_env env = tg_cli_default_env();
    hd_alloc ha;
    hd_install(&ha, 0, false, 0);
    char out[4096], errb[4096];
    FILE *fo = fmemopen(out, sizeof out, "w"), *fe = fmemopen(errb, sizeof errb, "w");
    TT_CHECK(tg_cli_run(argc, argv, fo, fe, &env) == 0);
    fclose(fo);
    fclose(fe);
    long total = ha.n_allocs;
    TT_CHECK(ha.live == 0);
    printf("  tapegrad check: %ld allocations\n", total);
    long bad = 0;
    for (long n = 1; n <= total; n += (n < 200 ? 1 : 7)) {
        hd_install(&ha, n, false, 0);
        memset(errb, 0, sizeof errb);
        fo = fmemopen(out, sizeof out, "w");
        fe = fmemopen(errb, sizeof errb, "w");
        int rc = tg_cli_run(argc, argv, fo, fe, &env);
        fclose(fo);
        fclose(fe);
        if (rc != 2 || !strstr(errb, "out of memory") || ha.live != 0) {
            if (bad++ < 5)
                fprintf(stderr, "fail at %ld: exit %d, %ld live, stderr: %s\n",
                        n, rc, ha.live, errb);
        }
    }
    TT_CHECK(bad == 0);
    hd_uninstall();
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/tg-hardening-XXXXXX");
    TT_CHECK(mkdtemp(dir) != NULL);
}

static void teardown(void)
{
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));)
        if (e->d_name[0] != '.') unlink(path_in(e->d_name));
    if (d) closedir(d);
    rmdir(dir);
}

TT_RUN(TT(setup), TT(load_allocation_failures), TT(save_allocation_failures),
       TT(expression_allocation_failures), TT(cli_check_allocation_failures),
       TT(teardown))
