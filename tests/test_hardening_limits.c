/* Hardening, limits: inputs that used to cost unbounded time or memory
 * (files that never end, sparse files, headers that promise gigabytes,
 * long tensor lists), stale tensors after a reset, a graph that is never
 * reset, and layers nested deeper than any stack. Each case asserts the
 * status, the message or the values the caller gets, and failed before
 * its fix. docs/reliability.md lists them by input class. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <tapegrad/tapegrad.h>
#include <time.h>
#include <unistd.h>

#include "hardening.h"
#include "tt.h"

static char tmpdir[64];

static void remove_tmpdir(void) { rmdir(tmpdir); }

static const char *in_dir(char *buf, size_t size, const char *name)
{
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/tg_limitsXXXXXX");
        if (!mkdtemp(tmpdir)) perror("mkdtemp");
        atexit(remove_tmpdir);
    }
    snprintf(buf, size, "%s/%s", tmpdir, name);
    return buf;
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    TT_CHECK(f != NULL);
    if (!f) return;
    TT_CHECK(fwrite(data, 1, n, f) == n);
    fclose(f);
}

/* A sparse file of `size` bytes (zeros, no blocks on disk). */
static void sparse_file(const char *path, off_t size)
{
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    TT_CHECK(fd >= 0 && ftruncate(fd, size) == 0);
    if (fd >= 0) close(fd);
}

/* ------------------------------------------------------------ CSV input */

/* tg_csv_load read the whole file before parsing: a sparse file of zeros
 * or /dev/zero grew its buffer until memory ran out. Now lines are
 * streamed: the first line of NUL bytes fails once it passes the line
 * bound (16 MiB), and no request above that is made. The hook refuses
 * anything above 64 MiB, so the old reader failed with TG_ERR_OOM. */
static void csv_unbounded_input(void)
{
    char p[128];
    hd_alloc a;
    in_dir(p, sizeof p, "sparse.csv");
    sparse_file(p, (off_t)256 << 20);
    hd_install(&a, 0, false, (size_t)64 << 20);
    tg_array x, y;
    TT_CHECK(tg_csv_load(p, NULL, &x, NULL) == TG_ERR_FORMAT);
    hd_uninstall();
    TT_CONTAINS(tg_last_error(), "tg_csv_load: ");
    TT_CONTAINS(tg_last_error(), "sparse.csv: line 1 (byte offset 0) is "
                                 "longer than 16777216 bytes");
    TT_CHECK(a.live == 0 && x.data == NULL && x.numel == 0);
    unlink(p);

    hd_install(&a, 0, false, (size_t)64 << 20);
    TT_CHECK(tg_csv_load("/dev/zero", NULL, &x, NULL) == TG_ERR_FORMAT);
    hd_uninstall();
    TT_CONTAINS(tg_last_error(), "tg_csv_load: /dev/zero: line 1 (byte "
                                 "offset 0) is longer than");
    TT_CHECK(a.live == 0);

    /* random bytes fail on the first field, without reading on */
    hd_install(&a, 0, false, (size_t)64 << 20);
    tg_status st = tg_csv_load("/dev/urandom", NULL, &x, NULL);
    hd_uninstall();
    TT_CHECK(st == TG_ERR_FORMAT);
    TT_CONTAINS(tg_last_error(), "tg_csv_load: /dev/urandom: line ");
    TT_CHECK(a.live == 0);

    /* a NUL byte inside a field ended the number early: "1\0x" read as 1 */
    in_dir(p, sizeof p, "nul.csv");
    write_file(p, "1,2\n3,4\0x\n", 10);
    TT_CHECK(tg_csv_load(p, NULL, &x, NULL) == TG_ERR_FORMAT);
    TT_CONTAINS(tg_last_error(), "nul.csv: line 2, field 2 (byte offset 6): "
                                 "not a number");
    unlink(p);

    /* a pipe is still read, and a long last line without \n as well */
    in_dir(p, sizeof p, "fifo.csv");
    TT_CHECK(mkfifo(p, 0600) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(p, O_WRONLY);
        const char *s = "1,2,3\n4,5,6\n";
        ssize_t w = write(fd, s, strlen(s));
        for (int i = 0; i < 20000 && w > 0; i++) w = write(fd, "7,8,9\n", 6);
        if (w > 0) w = write(fd, "10, 11 ,12", 10);
        _exit(w > 0 ? 0 : 1);
    }
    tg_csv_opts o = {.has_label = true, .label_col = 2};
    TT_CHECK(tg_csv_load(p, &o, &x, &y) == TG_OK);
    int status = 0;
    waitpid(pid, &status, 0);
    TT_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    TT_CHECK(x.ndim == 2 && x.shape[0] == 20003 && x.shape[1] == 2);
    TT_CHECK(y.numel == 20003);
    if (x.numel == 40006 && y.numel == 20003) {
        TT_CHECK(x.data[0] == 1 && x.data[3] == 5 && y.data[1] == 6);
        TT_CHECK(x.data[40004] == 10 && x.data[40005] == 11 &&
                 y.data[20002] == 12 && y.data[20001] == 9);
    }
    tg_array_free(&x);
    tg_array_free(&y);
    unlink(p);
}

/* ------------------------------------------------------------ IDX input */

/* The IDX reader's out-of-memory message named the reader but not the
 * file; a pipe with a header promising 2^32 elements allocated them up
 * front (a regular file's size is checked first; a pipe has none). */
static void idx_messages_name_the_file(void)
{
    char p[128];
    in_dir(p, sizeof p, "small.idx");
    unsigned char f[4 + 4 + 1000];
    memcpy(f, "\0\0\x08\x01\0\0\x03\xe8", 8); /* u8, 1 dim of 1000 */
    for (int i = 0; i < 1000; i++) f[8 + i] = (unsigned char)i;
    write_file(p, f, sizeof f);
    hd_alloc a;
    hd_install(&a, 2, false, 0); /* the read buffer, then the f32 array */
    tg_array out;
    TT_CHECK(tg_idx_load(p, &out) == TG_ERR_OOM);
    hd_uninstall();
    char want[200];
    snprintf(want, sizeof want, "tg_idx_load: %s: out of memory allocating "
                                "an f32 array of shape [1000]", p);
    TT_STREQ(tg_last_error(), want);
    TT_CHECK(a.live == 0 && out.data == NULL);
    TT_CHECK(tg_idx_load(p, &out) == TG_OK && out.numel == 1000 &&
             out.data[999] == (float)(999 % 256));
    tg_array_free(&out);
    unlink(p);

    in_dir(p, sizeof p, "pipe.idx");
    TT_CHECK(mkfifo(p, 0600) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(p, O_WRONLY);
        /* f32, 2 dims: 65536 x 65536 = 2^32 elements, 16 GiB; 8 bytes of
         * data follow */
        ssize_t w = write(fd, "\0\0\x0d\x02\0\x01\0\0\0\x01\0\0"
                              "\0\0\x80\x3f\0\0\0\x40", 20);
        _exit(w == 20 ? 0 : 1);
    }
    hd_install(&a, 0, false, (size_t)1 << 30);
    tg_status st = tg_idx_load(p, &out);
    hd_uninstall();
    int status = 0;
    waitpid(pid, &status, 0);
    TT_CHECK(st == TG_ERR_FORMAT);
    TT_CONTAINS(tg_last_error(), "pipe.idx: truncated at byte offset 20: "
                                 "dims [65536,65536] of f32 need 17179869184 "
                                 "data bytes from byte offset 12, the file "
                                 "has 8");
    TT_CHECK(a.live == 0 && a.failed == 0);
    unlink(p);
}

/* ------------------------------------------------------------ model files */

/* tg_load allocated the whole file before looking at its header: a
 * 256 MiB file that is not a model asked the hook for 256 MiB (refused
 * here above 1 MiB, so the old reader answered TG_ERR_OOM). */
static void load_checks_header_first(void)
{
    char p[128];
    in_dir(p, sizeof p, "big.bin");
    sparse_file(p, (off_t)256 << 20);
    hd_alloc a;
    hd_install(&a, 0, false, (size_t)1 << 20);
    TT_CHECK(tg_load(p, 0, NULL, NULL) == TG_ERR_FORMAT);
    hd_uninstall();
    char want[256];
    snprintf(want, sizeof want, "tg_load: %s: bad magic at byte offset 0; "
                                "hint: not a tapegrad model file; the model "
                                "is unchanged", p);
    TT_STREQ(tg_last_error(), want);
    TT_CHECK(a.failed == 0 && a.live == 0);
    unlink(p);
}

/* tg_save compared every pair of names: 100,001 parameters (the last two
 * sharing a name) took 20 s or more to reject. Now a hash table: linear. The
 * bound is CPU time with a wide margin, not a benchmark. */
static void save_many_names(void)
{
    enum { N = 100000 };
    tg_graph *g = tg_graph_new();
    tg_tensor **ps = malloc(sizeof *ps * (N + 1));
    TT_CHECK(ps != NULL);
    if (!ps) return;
    char nm[32];
    for (int i = 0; i <= N; i++) {
        snprintf(nm, sizeof nm, "w%d", i == N ? N - 1 : i);
        ps[i] = tg_param(g, TG_F32, 0, NULL, nm);
    }
    TT_CHECK(ps[N] != NULL);
    char p[128];
    in_dir(p, sizeof p, "many.tgw");
    clock_t t0 = clock();
    TT_CHECK(tg_save(p, N + 1, ps, NULL) == TG_ERR_ARG);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    TT_CONTAINS(tg_last_error(), "tensors 99999 and 100000 are both named "
                                 "\"w99999\"");
    TT_CHECK(secs < 5);
    if (secs >= 5) fprintf(stderr, "tg_save took %.1f s of CPU\n", secs);
    TT_CHECK(access(p, F_OK) != 0); /* nothing written */
    /* unnamed tensors are stored as "#i": a parameter named "#1" collides
     * with the unnamed second one */
    tg_graph *h = tg_graph_new();
    tg_tensor *two[2] = {tg_param(h, TG_F32, 0, NULL, NULL),
                         tg_param(h, TG_F32, 0, NULL, "#0")};
    TT_CHECK(tg_save(p, 2, two, NULL) == TG_ERR_ARG);
    TT_CONTAINS(tg_last_error(), "tensors 0 and 1 are both named \"#0\"");
    /* distinct names save and load back */
    tg_f32(ps[5])[0] = 2.5f;
    TT_CHECK(tg_save(p, N, ps, NULL) == TG_OK);
    tg_f32(ps[5])[0] = 0;
    TT_CHECK(tg_load(p, N, ps, NULL) == TG_OK && tg_f32(ps[5])[0] == 2.5f);
    unlink(p);
    tg_graph_free(h);
    tg_graph_free(g);
    free(ps);
}

/* ------------------------------------------------------------ deep nesting */

/* tg_layer_forward recursed once per level: residual layers nested
 * 400,000 deep overflowed the stack (SIGSEGV). Composites deeper than
 * TG_NN_MAX_DEPTH are refused at construction now; up to it, forward and
 * free work. r_k = residual(r_{k-1}), r_0 = tanh: r_k(x) = k x + tanh(x). */
static void nesting_depth_limit(void)
{
    tg_graph *g = tg_graph_new();
    tg_layer *r = tg_nn_activation_named(g, "tanh");
    int depth = 1;
    for (int k = 1; k < 400000 && r; k++) {
        tg_layer *next = tg_nn_residual(r, NULL);
        if (!next) break;
        r = next;
        depth++;
    }
    TT_CHECK(depth == TG_NN_MAX_DEPTH && TG_NN_MAX_DEPTH == 1000);
    TT_CHECK(tg_graph_status(g) == TG_ERR_ARG);
    TT_STREQ(tg_graph_error(g),
             "tg_nn_residual: nesting depth 1001 exceeds the limit of 1000 "
             "(TG_NN_MAX_DEPTH); hint: chain blocks side by side with "
             "tg_nn_sequential instead of nesting each in the next");
    tg_graph_reset(g);
    /* the refused call took r and freed it (ownership passes on failure);
     * build the deepest allowed one again and run it */
    r = tg_nn_activation_named(g, "tanh");
    for (int k = 1; k < TG_NN_MAX_DEPTH && r; k++) r = tg_nn_residual(r, NULL);
    TT_CHECK(r != NULL);
    double xv[2] = {0.5, -2};
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(2), xv);
    tg_tensor *y = tg_layer_forward(r, x);
    TT_CHECK(tg_graph_status(g) == TG_OK && y->numel == 2);
    if (y->numel == 2) {
        TT_NEAR(tg_get(y, 0), 999 * 0.5 + tanh(0.5), 1e-12);
        TT_NEAR(tg_get(y, 1), 999 * -2.0 + tanh(-2.0), 1e-12);
    }
    /* a pre-LN block around it would be one level too deep */
    TT_CHECK(tg_nn_preln(g, TG_F64, 2, r, NULL) == NULL);
    TT_CONTAINS(tg_graph_error(g), "tg_nn_preln: nesting depth 1001 exceeds");
    /* side by side: 5,000 residual blocks in a sequential, depth 3 */
    tg_graph_reset(g);
    enum { B = 5000 };
    tg_layer **blocks = malloc(sizeof *blocks * B);
    for (int i = 0; i < B; i++)
        blocks[i] = tg_nn_residual(tg_nn_activation_named(g, "tanh"), NULL);
    tg_layer *seq = tg_nn_sequential(g, B, blocks, NULL);
    free(blocks);
    TT_CHECK(seq != NULL);
    x = tg_input(g, TG_F64, TG_SHAPE(2), (double[]){0, 0});
    y = tg_layer_forward(seq, x);
    TT_CHECK(tg_graph_status(g) == TG_OK && tg_get(y, 1) == 0);
    tg_layer_free(seq);
    tg_graph_free(g);
}

/* ------------------------------------------------------------ stale tensors */

/* One step of a small computation: loss = sum((x w)^2) for x = [k, 2k],
 * w the parameter [[1],[2]] ... = (5k)^2. */
static tg_tensor *step(tg_graph *g, tg_tensor *w, double k, tg_tensor **x_out)
{
    double xv[2] = {k, 2 * k};
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(1, 2), xv);
    tg_tensor *y = tg_matmul(x, w);
    if (x_out) *x_out = x;
    return tg_sum_all(tg_mul(y, y));
}

static bool stale_reported(tg_graph *g, const char *who)
{
    char want[128];
    snprintf(want, sizeof want, "%s: the tensor is stale (created before "
                                "the last tg_graph_reset)", who);
    bool ok = tg_graph_status(g) == TG_ERR_STATE &&
              strstr(tg_graph_error(g), want) != NULL &&
              strstr(tg_last_error(), want) != NULL;
    if (!ok)
        fprintf(stderr, "  %s: status %s, error \"%s\"\n", who,
                tg_status_str(tg_graph_status(g)), tg_graph_error(g));
    return ok;
}

/* After tg_graph_reset, tg_item on an old tensor returned whatever the
 * arena had put there since (2400 instead of 108, no error), and an op
 * took the old tensor with TG_OK once its header's memory was a newer
 * tensor's. Now headers are not reused by the next step, and every
 * function that takes a tensor checks its epoch. */
static void stale_tensors(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *w = tg_param(g, TG_F64, TG_SHAPE(2, 1), "w");
    tg_f64(w)[0] = 1;
    tg_f64(w)[1] = 2;
    tg_tensor *x0;
    tg_tensor *old = step(g, w, 1, &x0);
    TT_CHECK(tg_item(old) == 25);
    TT_CHECK(tg_backward(g, old) == TG_OK);
    tg_graph_reset(g);
    /* the same sequence again: before, every old pointer was a new tensor */
    tg_tensor *x1;
    tg_tensor *now = step(g, w, 2, &x1);
    TT_CHECK(tg_item(now) == 100);
    TT_CHECK(now != old && x1 != x0);
    TT_CHECK(isnan(tg_item(old)) && stale_reported(g, "tg_item"));
    tg_graph_reset(g);

    /* every public function that takes a tensor, with x0 (a stale input
     * that required no grad) or old (a stale op output) */
    double buf[2];
    char sb[32];
#define STALE(call, who)                                                   \
    do {                                                                   \
        now = step(g, w, 3, &x1);                                          \
        call;                                                              \
        TT_CHECK(stale_reported(g, who));                                  \
        tg_graph_reset(g);                                                 \
    } while (0)
    STALE((void)tg_get(old, 0), "tg_get");
    STALE(buf[0] = tg_item(x0), "tg_item");
    STALE(TT_CHECK(tg_f64(x0) == NULL), "tg_f64");
    STALE(TT_CHECK(tg_f32(old) == NULL), "tg_f32");
    STALE(TT_STREQ(tg_shape_str(old, sb, sizeof sb), "(stale)"), "tg_shape_str");
    STALE(TT_CHECK(tg_set_requires_grad(x0, true) == TG_ERR_STATE),
          "tg_set_requires_grad");
    STALE(TT_CHECK(!tg_requires_grad(old)), "tg_requires_grad");
    STALE(tg_tensor_zero_grad(x0), "tg_tensor_zero_grad");
    STALE(TT_CHECK(tg_tensor_node(old) == NULL), "tg_tensor_node");
    STALE(TT_CHECK(tg_tensor_graph(old) == NULL), "tg_tensor_graph");
    STALE(TT_CHECK(tg_tensor_kind_of(old) == TG_KIND_STALE), "tg_tensor_kind_of");
    STALE((void)tg_detach(old), "tg_detach");
    STALE(TT_CHECK(tg_init_zeros(x0) == TG_ERR_STATE), "tg_init_zeros");
    STALE(TT_CHECK(tg_init_normal(x0, NULL, 0, 1) == TG_ERR_STATE),
          "tg_init_normal");
    int64_t fi = -1, fo = -1;
    STALE(tg_init_fans(x0, &fi, &fo), "tg_init_fans");
    TT_CHECK(fi == 0 && fo == 0);
    STALE(TT_CHECK(isnan(tg_accuracy(old, now))), "tg_accuracy");
    STALE(TT_CHECK(tg_clip_grad_norm(1, &x0, 1, NULL) == TG_ERR_STATE),
          "tg_clip_grad_norm");
    tg_optim_config oc = tg_optim_defaults(TG_OPTIM_SGD);
    STALE(TT_CHECK(tg_optim_new(&oc, 1, &x0) == NULL), "tg_optim_new");
    char p[128];
    in_dir(p, sizeof p, "stale.tgw");
    STALE(TT_CHECK(tg_save(p, 1, &old, NULL) == TG_ERR_STATE), "tg_save");
    TT_CHECK(tg_save(p, 1, &w, NULL) == TG_OK);
    STALE(TT_CHECK(tg_load(p, 1, &x0, NULL) == TG_ERR_STATE), "tg_load");
    unlink(p);
    /* ops, backward and tg_grad name the argument */
    now = step(g, w, 3, &x1);
    tg_neg(old);
    TT_CHECK(tg_graph_status(g) == TG_ERR_STATE);
    TT_CONTAINS(tg_graph_error(g), "tg_neg: input 1 is stale");
    tg_graph_reset(g);
    now = step(g, w, 3, &x1);
    TT_CHECK(tg_backward(g, old) == TG_ERR_STATE);
    tg_graph_reset(g);
    now = step(g, w, 3, &x1);
    tg_tensor *gw;
    TT_CHECK(tg_grad(g, &now, 1, NULL, &x0, 1, false, &gw) == TG_ERR_STATE);
    tg_graph_reset(g);
    tg_layer *lin = tg_nn_linear(g, TG_F64, 2, 1, true, TG_INIT_DEFAULT, "l");
    now = step(g, w, 3, &x1);
    tg_layer_forward(lin, x0);
    TT_CONTAINS(tg_graph_error(g), "tg_linear: input 1 is stale");
    tg_layer_free(lin);
    tg_graph_reset(g);
#undef STALE
    (void)buf;

    /* a tensor kept over many steps: caught on every one of them (a small
     * graph: the headers of 40 steps fit in the rotation), and the loop
     * allocates nothing after its first step */
    tg_tensor *keep = step(g, w, 1, NULL);
    tg_graph_reset(g);
    uint64_t a0 = 0;
    bool all = true;
    for (int k = 0; k < 40; k++) {
        now = step(g, w, 1, NULL);
        TT_CHECK(tg_backward(g, now) == TG_OK);
        all &= isnan(tg_item(keep)) && tg_graph_status(g) == TG_ERR_STATE;
        tg_graph_reset(g);
        if (k == 0) a0 = tg_alloc_count();
    }
    TT_CHECK(all);
    TT_CHECK(tg_alloc_count() == a0);
    tg_graph_free(g);
}

/* ------------------------------------------------------------ memory budget */

/* A loop that forgets tg_graph_reset grew without bound (5 MB to 1.1 GB
 * over 2000 steps) until the system killed the process. The graph has a
 * budget now: past it, TG_ERR_OOM naming the budget and the cause. */
static void memory_budget(void)
{
    tg_graph *g = tg_graph_new();
    long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
    int64_t half = (int64_t)pages * psz / 2;
    if (half < ((int64_t)1 << 30)) half = (int64_t)1 << 30;
    TT_CHECK(tg_graph_memory_limit(g) == half);
    TT_CHECK(tg_graph_set_memory_limit(g, -1) == TG_ERR_ARG);
    TT_CONTAINS(tg_last_error(), "tg_graph_set_memory_limit: -1 bytes is "
                                 "negative");
    TT_CHECK(tg_graph_set_memory_limit(NULL, 1) == TG_ERR_ARG);
    TT_CHECK(tg_graph_memory_limit(NULL) == 0 && tg_graph_memory_used(NULL) == 0);
    TT_CHECK(tg_graph_set_memory_limit(g, 8 << 20) == TG_OK);
    TT_CHECK(tg_graph_memory_limit(g) == 8 << 20);

    /* 256 x 256 f64 = 512 KiB per op output, no reset */
    tg_tensor *w = tg_param(g, TG_F64, TG_SHAPE(256, 256), "w");
    tg_tensor *x = tg_full(g, TG_F64, TG_SHAPE(256, 256), 1);
    int steps = 0;
    for (; steps < 1000 && tg_graph_status(g) == TG_OK; steps++)
        x = tg_add(tg_mul(x, w), x);
    TT_CHECK(steps >= 3 && steps <= 8); /* 1 MiB per step */
    TT_CHECK(tg_graph_status(g) == TG_ERR_OOM);
    TT_CONTAINS(tg_graph_error(g), "out of memory allocating the output "
                                   "[256,256] (the graph's memory budget of "
                                   "8388608 bytes is used up: ");
    TT_CONTAINS(tg_graph_error(g), "held; hint: call tg_graph_reset once per "
                                   "step, or raise the budget with "
                                   "tg_graph_set_memory_limit)");
    TT_CHECK(tg_graph_memory_used(g) <= 8 << 20 &&
             tg_graph_memory_used(g) > 6 << 20);
    /* the same work with a reset per step runs on, in the memory held */
    tg_graph_reset(g);
    int64_t held = tg_graph_memory_used(g);
    bool ok = true;
    for (int k = 0; k < 200; k++) {
        x = tg_full(g, TG_F64, TG_SHAPE(256, 256), 1);
        x = tg_add(tg_mul(x, w), x);
        ok &= tg_graph_status(g) == TG_OK && tg_get(x, 5) == 1;
        tg_graph_reset(g);
    }
    TT_CHECK(ok && tg_graph_memory_used(g) == held);
    /* a leaf past the budget, and a single request larger than it */
    tg_input(g, TG_F64, TG_SHAPE(2048, 2048), NULL);
    TT_CONTAINS(tg_graph_error(g), "tg_input: out of memory allocating f64 "
                                   "[2048,2048] (33554432 bytes, more than "
                                   "the graph's memory budget of 8388608 "
                                   "bytes; hint: raise it with "
                                   "tg_graph_set_memory_limit)");
    tg_graph_reset(g);
    /* 0 restores the default, and the same input fits */
    TT_CHECK(tg_graph_set_memory_limit(g, 0) == TG_OK &&
             tg_graph_memory_limit(g) == half);
    tg_input(g, TG_F64, TG_SHAPE(2048, 2048), NULL);
    TT_CHECK(tg_graph_status(g) == TG_OK);
    tg_graph_free(g);
    /* with an allocation hook of the caller's, the hook is the policy */
    hd_alloc a;
    hd_install(&a, 0, false, 0);
    g = tg_graph_new();
    TT_CHECK(tg_graph_memory_limit(g) == INT64_MAX);
    tg_graph_free(g);
    hd_uninstall();
    TT_CHECK(a.live == 0);
}

TT_RUN(TT(csv_unbounded_input), TT(idx_messages_name_the_file),
       TT(load_checks_header_first), TT(save_many_names),
       TT(nesting_depth_limit), TT(stale_tensors), TT(memory_budget))
