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

TT_RUN(TT(csv_unbounded_input), TT(idx_messages_name_the_file),
       TT(load_checks_header_first), TT(save_many_names))
