/* Damaged files, exhaustively: every truncation and every single-bit flip
 * of a saved model (with optimizer state) is rejected with TG_ERR_FORMAT
 * and leaves the model and optimizer untouched; a file from a future
 * format version is named as such; every truncation of an IDX file, plain
 * and gzip-compressed, is rejected with an empty array; CSV rows cut
 * short are reported with their line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <tapegrad/tapegrad.h>

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

static void write_file(const char *p, const void *b, size_t n)
{
    FILE *f = fopen(p, "wb");
    if (!f || fwrite(b, 1, n, f) != n) TT_CHECK(false);
    if (f) fclose(f);
}

static unsigned char *read_file(const char *p, size_t *n)
{
    FILE *f = fopen(p, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)len);
    *n = b ? fread(b, 1, (size_t)len, f) : 0;
    fclose(f);
    return b;
}

typedef struct model {
    tg_graph *g;
    tg_tensor *t[3];
    tg_optim *opt;
} model;

static void model_new(model *m)
{
    m->g = tg_graph_new();
    m->t[0] = tg_param(m->g, TG_F32, TG_SHAPE(3, 2), "w");
    m->t[1] = tg_param(m->g, TG_F64, TG_SHAPE(2), "b");
    m->t[2] = tg_param(m->g, TG_F32, 0, NULL, "s");
    tg_optim_config c = tg_optim_defaults(TG_OPTIM_ADAM);
    m->opt = tg_optim_new(&c, 3, m->t);
}

static void model_fill(model *m, double v)
{
    for (int k = 0; k < 3; k++)
        for (int64_t i = 0; i < m->t[k]->numel; i++) {
            if (m->t[k]->dtype == TG_F32) tg_f32(m->t[k])[i] = (float)(v + i);
            else tg_f64(m->t[k])[i] = v - i;
        }
}

static bool model_holds(const model *m, double v)
{
    for (int k = 0; k < 3; k++)
        for (int64_t i = 0; i < m->t[k]->numel; i++)
            if (tg_get(m->t[k], i) != (m->t[k]->dtype == TG_F32
                                           ? (double)(float)(v + i)
                                           : v - i))
                return false;
    return true;
}

static void model_files(void)
{
    model m;
    model_new(&m);
    model_fill(&m, 1);
    tg_f32(m.t[0]->grad)[0] = 1; /* optimizer state not all zero */
    tg_f64(m.t[1]->grad)[1] = -1;
    for (int k = 0; k < 3; k++) tg_tensor_grad_written(m.t[k]);
    TT_CHECK(tg_optim_step(m.opt) == TG_OK);
    model_fill(&m, 1);
    const char *good = path_in("good.tgw"), *bad = path_in("bad.tgw");
    TT_CHECK(tg_save(good, 3, m.t, m.opt) == TG_OK);
    size_t n = 0;
    unsigned char *b = read_file(good, &n);
    TT_CHECK(b && n > 100);
    if (!b) return;
    model_fill(&m, 7);
    TT_CHECK(tg_load(good, 3, m.t, m.opt) == TG_OK && model_holds(&m, 1));

    /* every proper prefix */
    long wrong = 0;
    for (size_t len = 0; len < n; len++) {
        write_file(bad, b, len);
        model_fill(&m, 7);
        tg_status st = tg_load(bad, 3, m.t, m.opt);
        if (st != TG_ERR_FORMAT || !model_holds(&m, 7) ||
            tg_optim_steps(m.opt) != 1 ||
            !strstr(tg_last_error(), "the model is unchanged"))
            wrong++;
    }
    TT_CHECK(wrong == 0);
    /* every single-bit flip: CRC32 detects them all */
    wrong = 0;
    unsigned char *c = malloc(n);
    for (size_t i = 0; i < n; i++)
        for (int bit = 0; bit < 8; bit++) {
            memcpy(c, b, n);
            c[i] ^= (unsigned char)(1u << bit);
            write_file(bad, c, n);
            model_fill(&m, 7);
            tg_status st = tg_load(bad, 3, m.t, m.opt);
            if (st != TG_ERR_FORMAT || !model_holds(&m, 7)) wrong++;
        }
    TT_CHECK(wrong == 0);
    /* trailing garbage */
    memcpy(c, b, n);
    unsigned char *longer = malloc(n + 3);
    memcpy(longer, b, n);
    memset(longer + n, 0, 3);
    write_file(bad, longer, n + 3);
    TT_CHECK(tg_load(bad, 3, m.t, m.opt) == TG_ERR_FORMAT);
    TT_CONTAINS(tg_last_error(), "3 unexpected bytes after the file CRC32");
    free(longer);
    /* a future version, with a valid header CRC: named, not "corrupted" */
    memcpy(c, b, n);
    c[8] = 2;
    uint32_t hc = (uint32_t)crc32(0, c, 20);
    for (int i = 0; i < 4; i++) c[20 + i] = (unsigned char)(hc >> (8 * i));
    write_file(bad, c, n);
    model_fill(&m, 7);
    TT_CHECK(tg_load(bad, 3, m.t, m.opt) == TG_ERR_FORMAT);
    char want[600];
    snprintf(want, sizeof want,
             "tg_load: %s: unsupported format version 2 at byte offset 8 "
             "(this build reads version 1); the model is unchanged",
             bad);
    TT_STREQ(tg_last_error(), want);
    TT_CHECK(model_holds(&m, 7));
    /* not a model file at all */
    static const char ppm[] = "P6\n1 1\n255\n\0\0\0 padding padding";
    write_file(bad, ppm, sizeof ppm);
    TT_CHECK(tg_load(bad, 3, m.t, m.opt) == TG_ERR_FORMAT);
    TT_CONTAINS(tg_last_error(), "bad magic at byte offset 0");
    /* missing file, directory */
    TT_CHECK(tg_load(path_in("missing.tgw"), 3, m.t, NULL) == TG_ERR_IO);
    TT_CHECK(tg_load(dir, 3, m.t, NULL) == TG_ERR_IO);
    TT_CHECK(model_holds(&m, 7));
    free(c);
    free(b);
    tg_optim_free(m.opt);
    tg_graph_free(m.g);
}

static void idx_files(void)
{
    /* f32 [2,3], big-endian */
    unsigned char idx[4 + 8 + 24] = {0, 0, 0x0D, 2, 0, 0, 0, 2, 0, 0, 0, 3};
    for (int i = 0; i < 6; i++) {
        float v = (float)i * 0.5f - 1;
        uint32_t u;
        memcpy(&u, &v, 4);
        for (int k = 0; k < 4; k++) idx[12 + 4 * i + k] = (unsigned char)(u >> (24 - 8 * k));
    }
    const char *p = path_in("a.idx"), *pz = path_in("a.idx.gz");
    write_file(p, idx, sizeof idx);
    tg_array a;
    TT_CHECK(tg_idx_load(p, &a) == TG_OK && a.numel == 6 && a.data[5] == 1.5f);
    tg_array_free(&a);
    long wrong = 0;
    for (size_t len = 0; len < sizeof idx; len++) {
        write_file(p, idx, len);
        memset(&a, 0x5A, sizeof a);
        if (tg_idx_load(p, &a) != TG_ERR_FORMAT || a.data || a.numel ||
            !strstr(tg_last_error(), "truncated"))
            wrong++;
    }
    TT_CHECK(wrong == 0);
    /* gzip: every truncation of the compressed stream */
    unsigned char z[256];
    uLongf zn = sizeof z;
    z_stream s = {0};
    TT_CHECK(deflateInit2(&s, 9, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    s.next_in = idx;
    s.avail_in = sizeof idx;
    s.next_out = z;
    s.avail_out = (uInt)zn;
    TT_CHECK(deflate(&s, Z_FINISH) == Z_STREAM_END);
    zn = s.total_out;
    deflateEnd(&s);
    write_file(pz, z, zn);
    TT_CHECK(tg_idx_load(pz, &a) == TG_OK && a.numel == 6 && a.data[0] == -1.0f);
    tg_array_free(&a);
    wrong = 0;
    for (size_t len = 1; len < zn; len++) {
        write_file(pz, z, len);
        memset(&a, 0x5A, sizeof a);
        tg_status st = tg_idx_load(pz, &a);
        if (st != TG_ERR_FORMAT || a.data || a.numel) wrong++;
    }
    TT_CHECK(wrong == 0);
}

static void csv_files(void)
{
    const char *p = path_in("a.csv");
    const char *t = "1,2,3\n4,5,6\n7,8,9\n";
    tg_array x, y;
    /* every truncation: a cut inside the first line is a narrower valid
     * file unless it ends in a comma; later, only a cut at a row's end
     * loads; anything else is a short row or an empty field */
    long wrong = 0, ok = 0;
    for (size_t len = 1; len <= strlen(t); len++) {
        write_file(p, t, len);
        tg_status st = tg_csv_load(p, NULL, &x, &y);
        char last = t[len - 1];
        bool first_line = len <= 6;
        bool want_ok = last != ',' &&
                       (first_line || last == '\n' || last == '6' || last == '9');
        if (st == TG_OK) {
            ok++;
            if (!want_ok || x.shape[1] != (first_line ? (int64_t)(len + 1) / 2 : 3))
                wrong++;
            tg_array_free(&x);
        } else if (st != TG_ERR_FORMAT || x.data || want_ok) {
            wrong++;
        }
    }
    TT_CHECK(wrong == 0 && ok == 8);
    write_file(p, "1,2,3\n4,5\n", 10);
    TT_CHECK(tg_csv_load(p, NULL, &x, &y) == TG_ERR_FORMAT);
    char want[600];
    snprintf(want, sizeof want,
             "tg_csv_load: %s: line 2 (byte offset 6) has 2 fields, expected "
             "3 as on line 1",
             p);
    TT_STREQ(tg_last_error(), want);
    write_file(p, "1,2\n3,inf\n", 10);
    TT_CHECK(tg_csv_load(p, NULL, &x, &y) == TG_ERR_FORMAT);
    TT_CONTAINS(tg_last_error(), "line 2, field 2 (byte offset 6): not a finite f32 number: \"inf\"");
}

static void setup(void)
{
    /* tmpfs when there is one: thousands of small files are written */
    snprintf(dir, sizeof dir, "%s/tg-hardening-XXXXXX",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    TT_CHECK(mkdtemp(dir) != NULL);
}

static void teardown(void)
{
    const char *names[] = {"good.tgw", "bad.tgw", "a.idx", "a.idx.gz", "a.csv"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        unlink(path_in(names[i]));
    TT_CHECK(rmdir(dir) == 0); /* no temporary files were left behind */
}

TT_RUN(TT(setup), TT(model_files), TT(idx_files), TT(csv_files),
       TT(teardown))
