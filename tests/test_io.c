/* io: IDX and CSV readers on files written here (well-formed, malformed,
 * truncated, gzip-compressed) and on the installed Fashion-MNIST, the
 * normalization helpers, the batcher, and save/load: round trips, every
 * single-byte corruption and truncation rejected, mismatches rejected with
 * the model unchanged, atomic replacement under a crash. */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <tapegrad/tapegrad.h>
#include <unistd.h>
#include <zlib.h>

#include "hardening.h"
#include "tt.h"

static char dir[64];

static void teardown(void);

static const char *tmp_path(const char *name)
{
    if (!dir[0]) { /* a private directory, removed at exit */
        /* tmpfs when there is one: tg_save fsyncs, and on a disk shared
         * with busy builds each fsync can wait seconds for the journal */
        snprintf(dir, sizeof dir, "/dev/shm/tg_io_XXXXXX");
        if (!mkdtemp(dir)) {
            snprintf(dir, sizeof dir, "/tmp/tg_io_XXXXXX");
            if (!mkdtemp(dir)) abort();
        }
        atexit(teardown);
    }
    static char buf[4][400];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%.63s/%.300s", dir, name);
    return buf[k];
}

/* Unlinking first makes each rewrite a new file: ext4 flushes a file
 * truncated and rewritten in place on close (auto_da_alloc), which made
 * the thousands of rewrites below take seconds. */
static void write_bytes(const char *path, const void *p, size_t n)
{
    unlink(path);
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    if (n) fwrite(p, 1, n, f);
    fclose(f);
}

static void write_gz(const char *path, const void *p, size_t n)
{
    unlink(path);
    gzFile f = gzopen(path, "wb");
    if (!f) abort();
    gzwrite(f, p, (unsigned)n);
    gzclose(f);
}

static unsigned char *read_bytes(const char *path, size_t *n)
{
    *n = 0;
    FILE *f = fopen(path, "rb");
    if (!f) abort();
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)sz + 1);
    *n = fread(b, 1, (size_t)sz, f);
    fclose(f);
    return b;
}

/* ------------------------------------------------------------------- IDX */

/* u8 [3,2,2] holding 0..11 times 20 */
static const unsigned char IDX_U8[] = {
    0, 0, 0x08, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2,
    0, 20, 40, 60, 80, 100, 120, 140, 160, 180, 200, 220};

static void idx_basic(void)
{
    tg_array a;
    const char *p = tmp_path("u8.idx");
    write_bytes(p, IDX_U8, sizeof IDX_U8);
    TT_CHECK(tg_idx_load(p, &a) == TG_OK);
    TT_CHECK(a.ndim == 3 && a.shape[0] == 3 && a.shape[1] == 2 &&
             a.shape[2] == 2 && a.numel == 12);
    for (int i = 0; i < 12; i++) TT_CHECK(a.data[i] == 20.0f * i);
    tg_array_free(&a);
    TT_CHECK(a.data == NULL && a.numel == 0);

    /* the same through gzip */
    const char *pz = tmp_path("u8.idx.gz");
    write_gz(pz, IDX_U8, sizeof IDX_U8);
    TT_CHECK(tg_idx_load(pz, &a) == TG_OK);
    TT_CHECK(a.numel == 12 && a.data[11] == 220.0f);
    tg_array_free(&a);

    /* signed and wide types, big-endian: i8 [-1, 127], i16 [-2, 300],
     * i32 [-70000], f32 [1.5, -0.25], f64 [3.0e-3] */
    const unsigned char i8[] = {0, 0, 0x09, 1, 0, 0, 0, 2, 0xFF, 0x7F};
    const unsigned char i16[] = {0, 0, 0x0B, 1, 0, 0, 0, 2, 0xFF, 0xFE, 0x01, 0x2C};
    const unsigned char i32[] = {0, 0, 0x0C, 1, 0, 0, 0, 1, 0xFF, 0xFE, 0xEE, 0x90};
    const unsigned char f32[] = {0, 0, 0x0D, 1, 0, 0, 0, 2, 0x3F, 0xC0, 0, 0,
                                 0xBE, 0x80, 0, 0};
    unsigned char f64[16] = {0, 0, 0x0E, 1, 0, 0, 0, 1};
    double d = 3.0e-3;
    uint64_t u;
    memcpy(&u, &d, 8);
    for (int i = 0; i < 8; i++) f64[8 + i] = (unsigned char)(u >> (56 - 8 * i));
    struct { const unsigned char *b; size_t n; float v[2]; int k; } cs[] = {
        {i8, sizeof i8, {-1, 127}, 2},      {i16, sizeof i16, {-2, 300}, 2},
        {i32, sizeof i32, {-70000, 0}, 1},  {f32, sizeof f32, {1.5f, -0.25f}, 2},
        {f64, sizeof f64, {3.0e-3f, 0}, 1}};
    for (size_t c = 0; c < sizeof cs / sizeof cs[0]; c++) {
        write_bytes(p, cs[c].b, cs[c].n);
        TT_CHECK(tg_idx_load(p, &a) == TG_OK);
        TT_CHECK(a.ndim == 1 && a.numel == cs[c].k);
        for (int i = 0; i < cs[c].k && i < a.numel; i++)
            TT_CHECK(a.data[i] == cs[c].v[i]);
        tg_array_free(&a);
    }
}

static void idx_malformed(void)
{
    tg_array a;
    const char *p = tmp_path("bad.idx");
    char msg[512];

    TT_CHECK(tg_idx_load(tmp_path("missing.idx"), &a) == TG_ERR_IO);
    snprintf(msg, sizeof msg,
             "tg_idx_load: cannot open \"%s\": No such file or directory",
             tmp_path("missing.idx"));
    TT_STREQ(tg_last_error(), msg);

    /* data cut after 9 of 12 bytes */
    write_bytes(p, IDX_U8, sizeof IDX_U8 - 3);
    TT_CHECK(tg_idx_load(p, &a) == TG_ERR_FORMAT);
    snprintf(msg, sizeof msg,
             "tg_idx_load: %s: truncated at byte offset 25: dims [3,2,2] of "
             "u8 need 12 data bytes from byte offset 16, the file has 9",
             p);
    TT_STREQ(tg_last_error(), msg);
    TT_CHECK(a.data == NULL && a.numel == 0);

    unsigned char b[sizeof IDX_U8 + 1];
    memcpy(b, IDX_U8, sizeof IDX_U8);
    b[sizeof IDX_U8] = 7; /* one byte too many */
    write_bytes(p, b, sizeof b);
    TT_CHECK(tg_idx_load(p, &a) == TG_ERR_FORMAT);
    TT_CONTAINS(tg_last_error(), "unexpected data at byte offset 28, after "
                                 "the last element");

    memcpy(b, IDX_U8, sizeof IDX_U8);
    b[1] = 1;
    write_bytes(p, b, sizeof IDX_U8);
    TT_CHECK(tg_idx_load(p, &a) == TG_ERR_FORMAT);
    TT_CONTAINS(tg_last_error(), "bad magic at byte offset 0: expected 00 00, "
                                 "got 00 01");
    b[1] = 0;
    b[2] = 0x0A;
    write_bytes(p, b, sizeof IDX_U8);
    TT_CHECK(tg_idx_load(p, &a) == TG_ERR_FORMAT);
    TT_CONTAINS(tg_last_error(), "unknown data type 0x0a at byte offset 2");
    b[2] = 0x08;
    b[3] = 0;
    write_bytes(p, b, sizeof IDX_U8);
    TT_CHECK(tg_idx_load(p, &a) == TG_ERR_FORMAT);
    TT_CONTAINS(tg_last_error(), "0 dimensions at byte offset 3");
    b[3] = 9;
    write_bytes(p, b, sizeof IDX_U8);
    TT_CHECK(tg_idx_load(p, &a) == TG_ERR_FORMAT);
    TT_CONTAINS(tg_last_error(), "9 dimensions at byte offset 3; supported: 1 to 8");
    /* dims whose product overflows */
    const unsigned char huge[] = {0, 0, 8, 3, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                  0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    write_bytes(p, huge, sizeof huge);
    TT_CHECK(tg_idx_load(p, &a) == TG_ERR_FORMAT);
    TT_CONTAINS(tg_last_error(), "at byte offset 4 hold too many elements");

    /* every truncation of a valid file is an error, never a crash */
    for (size_t n = 0; n < sizeof IDX_U8; n++) {
        write_bytes(p, IDX_U8, n);
        TT_CHECK(tg_idx_load(p, &a) == TG_ERR_FORMAT);
        TT_CONTAINS(tg_last_error(), "truncated at byte offset");
    }
    write_bytes(p, IDX_U8, 0);
    TT_CHECK(tg_idx_load(p, &a) == TG_ERR_FORMAT);
    snprintf(msg, sizeof msg,
             "tg_idx_load: %s: truncated at byte offset 0: an IDX file "
             "starts with a 4-byte header",
             p);
    TT_STREQ(tg_last_error(), msg);
}

/* A header promising 2^32 elements over a few bytes of data is rejected
 * without allocating for the promise: plain files by their size, gzip
 * streams by growing the array with the data actually decompressed. Big
 * gzip data sets take the growth path correctly. */
static size_t biggest;
static void *tracking_alloc(size_t size, size_t align, void *ud)
{
    (void)ud;
    if (size > biggest) biggest = size;
    size_t r = (size + align - 1) & ~(align - 1);
    return aligned_alloc(align, r ? r : align);
}
static void tracking_free(void *p, void *ud)
{
    (void)ud;
    free(p);
}

static void idx_huge_header(void)
{
    tg_array a;
    unsigned char big[12 + 100] = {0, 0, 8, 2, 0, 0x10, 0, 0, 0, 0, 0x10, 0};
    const char *p = tmp_path("huge.idx"), *pz = tmp_path("huge.idx.gz");
    write_bytes(p, big, sizeof big);
    write_gz(pz, big, sizeof big);
    tg_set_allocator(tracking_alloc, tracking_free, NULL);
    biggest = 0;
    TT_CHECK(tg_idx_load(p, &a) == TG_ERR_FORMAT);
    TT_CONTAINS(tg_last_error(), "truncated at byte offset 112: dims "
                                 "[1048576,4096] of u8 need 4294967296 data "
                                 "bytes from byte offset 12, the file has 100");
    TT_CHECK(biggest < (1u << 20));
    TT_CHECK(tg_idx_load(pz, &a) == TG_ERR_FORMAT);
    TT_CONTAINS(tg_last_error(), "truncated at byte offset 112 of the "
                                 "decompressed data");
    TT_CHECK(biggest <= (4u << 22)); /* the first 4 Mi floats, no more */
    tg_set_allocator(NULL, NULL, NULL);

    /* 5 Mi u8 values (2 growth steps) through gzip */
    enum { N = 5 << 20 };
    unsigned char *raw = malloc(8 + N);
    const unsigned char h[8] = {0, 0, 8, 1, 0, N >> 16, 0, 0};
    memcpy(raw, h, 8);
    for (int i = 0; i < N; i++) raw[8 + i] = (unsigned char)(i % 251);
    write_gz(pz, raw, 8 + N);
    TT_CHECK(tg_idx_load(pz, &a) == TG_OK);
    bool same = a.numel == N;
    for (int i = 0; same && i < N; i++) same = a.data[i] == (float)(i % 251);
    TT_CHECK(same);
    tg_array_free(&a);
    free(raw);
}

static void idx_gzip_damage(void)
{
    tg_array a;
    /* a longer payload so the deflate stream has a body to damage */
    enum { N = 4000 };
    static unsigned char raw[8 + N];
    unsigned char hdr[8] = {0, 0, 8, 1, 0, 0, N >> 8, N & 255};
    memcpy(raw, hdr, 8);
    for (int i = 0; i < N; i++) raw[8 + i] = (unsigned char)((i * 7919) >> 3);
    const char *pz = tmp_path("d.idx.gz"), *pb = tmp_path("db.idx.gz");
    write_gz(pz, raw, sizeof raw);
    size_t zn;
    unsigned char *z = read_bytes(pz, &zn);
    TT_CHECK(tg_idx_load(pz, &a) == TG_OK);
    TT_CHECK(a.numel == N && a.data[N - 1] == raw[8 + N - 1]);
    tg_array_free(&a);
    /* every truncation of the compressed file */
    int bad = 0;
    for (size_t n = 0; n < zn; n++) {
        write_bytes(pb, z, n);
        if (tg_idx_load(pb, &a) == TG_OK) bad++;
        TT_CHECK(a.data == NULL);
    }
    TT_CHECK(bad == 0);
    /* a flipped byte inside the compressed body or the gzip trailer's CRC
     * is caught by zlib (data error or check mismatch) */
    for (size_t k = 10; k < zn; k += 7) {
        z[k] ^= 0x55;
        write_bytes(pb, z, zn);
        tg_status st = tg_idx_load(pb, &a);
        TT_CHECK(st == TG_ERR_FORMAT);
        tg_array_free(&a);
        z[k] ^= 0x55;
    }
    TT_CHECK(zn > 20);
    if (zn > 20) z[zn - 6] ^= 1; /* inside the CRC32 of the gzip trailer */
    write_bytes(pb, z, zn);
    TT_CHECK(tg_idx_load(pb, &a) == TG_ERR_FORMAT);
    char msg[600];
    /* zlib compares the CRC-32 once it has read it: 4 bytes before the
     * end (the data's length follows) */
    snprintf(msg, sizeof msg,
             "tg_idx_load: %s: corrupt gzip data (zlib: incorrect data "
             "check) at byte offset %zu of the file (byte offset %d of the "
             "decompressed data)",
             pb, zn - 4, 8 + N);
    TT_STREQ(tg_last_error(), msg);
    z[zn - 6] ^= 1;
    /* a cut inside the deflate body: the file ends before the stream */
    write_bytes(pb, z, zn - 12);
    TT_CHECK(tg_idx_load(pb, &a) == TG_ERR_FORMAT);
    TT_CHECK(a.data == NULL && a.numel == 0);
    TT_CONTAINS(tg_last_error(), ": truncated gzip data: the file ends at "
                                 "byte offset ");
    snprintf(msg, sizeof msg, "byte offset %zu, inside the compressed stream "
                              "(byte offset ", zn - 12);
    TT_CONTAINS(tg_last_error(), msg);
    /* a cut inside the trailer: every byte of data inflated, no check */
    write_bytes(pb, z, zn - 3);
    TT_CHECK(tg_idx_load(pb, &a) == TG_ERR_FORMAT);
    snprintf(msg, sizeof msg,
             "tg_idx_load: %s: truncated gzip data: the file ends at byte "
             "offset %zu, inside the compressed stream (byte offset %d of the "
             "decompressed data)",
             pb, zn - 3, 8 + N);
    TT_STREQ(tg_last_error(), msg);
    /* corrupt deflate data: a block type 3 (reserved) right after the
     * 10-byte gzip header */
    z[10] |= 0x06;
    write_bytes(pb, z, zn);
    TT_CHECK(tg_idx_load(pb, &a) == TG_ERR_FORMAT);
    TT_CHECK(a.data == NULL);
    snprintf(msg, sizeof msg,
             "tg_idx_load: %s: corrupt gzip data (zlib: invalid block type) "
             "at byte offset 11 of the file (byte offset 0 of the "
             "decompressed data)",
             pb);
    TT_STREQ(tg_last_error(), msg);
    free(z);
}

/* The bytes of one gzip member holding p[0..n) (caller frees), made in
 * memory by deflate with the gzip wrapper (windowBits 16 + 15). */
static unsigned char *gz_member(const void *p, size_t n, size_t *zn)
{
    z_stream s = {0};
    if (deflateInit2(&s, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS,
                     8, Z_DEFAULT_STRATEGY) != Z_OK)
        abort();
    uLong cap = deflateBound(&s, (uLong)n);
    unsigned char *z = malloc(cap);
    if (!z) abort();
    s.next_in = (Bytef *)p;
    s.avail_in = (uInt)n;
    s.next_out = z;
    s.avail_out = (uInt)cap;
    if (deflate(&s, Z_FINISH) != Z_STREAM_END) abort();
    *zn = s.total_out;
    deflateEnd(&s);
    return z;
}

/* A gzip file is a series of members and reads as the concatenation of
 * their data (what `cat a.gz b.gz` makes, and gunzip, gzread and Python
 * read): an IDX split across members at any point, an empty member among
 * them, a CSV whose number straddles two members. Each member is checked
 * on its own: a cut or damage in the second rejects the file, and bytes
 * after a member that do not start another one are rejected as before. */
static void gzip_members(void)
{
    tg_array a, y;
    const char *pc = tmp_path("mc.idx.gz");
    char msg[600];
    /* the header in two pieces (the cut inside a dim), an empty member,
     * then the data */
    size_t n1, n0, n2;
    unsigned char *z1 = gz_member(IDX_U8, 10, &n1),
                  *z0 = gz_member("", 0, &n0),
                  *z2 = gz_member(IDX_U8 + 10, sizeof IDX_U8 - 10, &n2);
    unsigned char *cat = malloc(n1 + n0 + n2 + 2);
    memcpy(cat, z1, n1);
    memcpy(cat + n1, z0, n0);
    memcpy(cat + n1 + n0, z2, n2);
    size_t nc = n1 + n0 + n2;
    write_bytes(pc, cat, nc);
    TT_CHECK(tg_idx_load(pc, &a) == TG_OK);
    TT_CHECK(a.ndim == 3 && a.shape[0] == 3 && a.shape[1] == 2 &&
             a.shape[2] == 2 && a.numel == 12);
    for (int i = 0; i < 12 && i < a.numel; i++)
        TT_CHECK(a.data[i] == 20.0f * i);
    tg_array_free(&a);
    /* every cut of the three-member file is rejected, never a crash */
    int bad = 0;
    for (size_t n = 0; n < nc; n++) {
        write_bytes(pc, cat, n);
        if (tg_idx_load(pc, &a) == TG_OK) bad++;
        TT_CHECK(a.data == NULL && a.numel == 0);
    }
    TT_CHECK(bad == 0);
    /* the last member cut inside its trailer: all 28 bytes inflated, the
     * length unread */
    write_bytes(pc, cat, nc - 3);
    TT_CHECK(tg_idx_load(pc, &a) == TG_ERR_FORMAT);
    snprintf(msg, sizeof msg,
             "tg_idx_load: %s: truncated gzip data: the file ends at byte "
             "offset %zu, inside the compressed stream (byte offset 28 of the "
             "decompressed data)",
             pc, nc - 3);
    TT_STREQ(tg_last_error(), msg);
    /* only the magic of a second member after the first */
    memcpy(cat + n1, "\x1f\x8b", 2);
    write_bytes(pc, cat, n1 + 2);
    TT_CHECK(tg_idx_load(pc, &a) == TG_ERR_FORMAT);
    snprintf(msg, sizeof msg,
             "tg_idx_load: %s: truncated gzip data: the file ends at byte "
             "offset %zu, inside the compressed stream (byte offset 10 of the "
             "decompressed data)",
             pc, n1 + 2);
    TT_STREQ(tg_last_error(), msg);
    memcpy(cat + n1, z0, n0);
    /* the second member's CRC-32 damaged */
    cat[n1 + n0 - 6] ^= 1;
    write_bytes(pc, cat, nc);
    TT_CHECK(tg_idx_load(pc, &a) == TG_ERR_FORMAT);
    TT_CHECK(a.data == NULL);
    snprintf(msg, sizeof msg,
             "tg_idx_load: %s: corrupt gzip data (zlib: incorrect data "
             "check) at byte offset %zu of the file (byte offset 10 of the "
             "decompressed data)",
             pc, n1 + n0 - 4);
    TT_STREQ(tg_last_error(), msg);
    cat[n1 + n0 - 6] ^= 1;
    /* a byte after the last member: a zero (tar-style padding), or a lone
     * 1f, is not another member */
    const unsigned char tails[2] = {0x00, 0x1f};
    for (int t = 0; t < 2; t++) {
        cat[nc] = tails[t];
        write_bytes(pc, cat, nc + 1);
        TT_CHECK(tg_idx_load(pc, &a) == TG_ERR_FORMAT);
        TT_CHECK(a.data == NULL);
        snprintf(msg, sizeof msg,
                 "tg_idx_load: %s: unexpected data at byte offset %zu of the "
                 "file, after the end of a gzip member (byte offset 28 of the "
                 "decompressed data); hint: only another gzip member (1f 8b) "
                 "may follow one",
                 pc, nc);
        TT_STREQ(tg_last_error(), msg);
    }
    /* garbage between members: the first one's end decides */
    memcpy(cat + n1 + 1, z0, n0);
    cat[n1] = 'x';
    write_bytes(pc, cat, n1 + 1 + n0);
    TT_CHECK(tg_idx_load(pc, &a) == TG_ERR_FORMAT);
    snprintf(msg, sizeof msg,
             "tg_idx_load: %s: unexpected data at byte offset %zu of the "
             "file, after the end of a gzip member (byte offset 10 of the "
             "decompressed data); hint: only another gzip member (1f 8b) "
             "may follow one",
             pc, n1);
    TT_STREQ(tg_last_error(), msg);
    /* a whole IDX file twice: the second copy is data past the last
     * element, which the IDX reader rejects */
    free(z1);
    z1 = gz_member(IDX_U8, sizeof IDX_U8, &n1);
    free(cat);
    cat = malloc(2 * n1);
    memcpy(cat, z1, n1);
    memcpy(cat + n1, z1, n1);
    write_bytes(pc, cat, 2 * n1);
    TT_CHECK(tg_idx_load(pc, &a) == TG_ERR_FORMAT);
    snprintf(msg, sizeof msg,
             "tg_idx_load: %s: unexpected data at byte offset 28 of the "
             "decompressed data, after the last element; hint: dims [3,2,2] "
             "of u8 end there",
             pc);
    TT_STREQ(tg_last_error(), msg);
    free(z0);
    free(z1);
    free(z2);
    free(cat);

    /* CSV: "1,2\n3" + "4,5\n" is the table [[1,2],[34,5]] */
    const char *pcsv = tmp_path("mc.csv.gz");
    z1 = gz_member("1,2\n3", 5, &n1);
    z2 = gz_member("4,5\n", 4, &n2);
    cat = malloc(n1 + n2 + 1);
    memcpy(cat, z1, n1);
    memcpy(cat + n1, z2, n2);
    write_bytes(pcsv, cat, n1 + n2);
    TT_CHECK(tg_csv_load(pcsv, NULL, &a, &y) == TG_OK);
    TT_CHECK(a.ndim == 2 && a.shape[0] == 2 && a.shape[1] == 2);
    const float want[4] = {1, 2, 34, 5};
    for (int i = 0; i < 4 && i < a.numel; i++) TT_CHECK(a.data[i] == want[i]);
    tg_array_free(&a);
    /* the second member cut short, or followed by a stray byte */
    write_bytes(pcsv, cat, n1 + n2 - 1);
    TT_CHECK(tg_csv_load(pcsv, NULL, &a, &y) == TG_ERR_FORMAT);
    TT_CHECK(a.data == NULL);
    snprintf(msg, sizeof msg,
             "tg_csv_load: %s: truncated gzip data: the file ends at byte "
             "offset %zu, inside the compressed stream (byte offset 9 of the "
             "decompressed data)",
             pcsv, n1 + n2 - 1);
    TT_STREQ(tg_last_error(), msg);
    cat[n1 + n2] = '\n';
    write_bytes(pcsv, cat, n1 + n2 + 1);
    TT_CHECK(tg_csv_load(pcsv, NULL, &a, &y) == TG_ERR_FORMAT);
    TT_CHECK(a.data == NULL);
    TT_CONTAINS(tg_last_error(), "unexpected data at byte offset");
    TT_CONTAINS(tg_last_error(), "after the end of a gzip member (byte "
                                 "offset 9 of the decompressed data)");
    free(z1);
    free(z2);
    free(cat);
}

/* The installed data set: 10000 test images, 1000 per class. */
static void idx_fashion_mnist(void)
{
    const char *ip = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
    const char *lp = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz";
    if (access(ip, R_OK) != 0) {
        printf("  (skipped: %s not installed)\n", ip);
        return;
    }
    tg_array X, Y;
    TT_CHECK(tg_idx_load(ip, &X) == TG_OK);
    TT_CHECK(tg_idx_load(lp, &Y) == TG_OK);
    TT_CHECK(X.ndim == 3 && X.shape[0] == 10000 && X.shape[1] == 28 &&
             X.shape[2] == 28);
    TT_CHECK(Y.ndim == 1 && Y.shape[0] == 10000);
    int count[10] = {0};
    bool ints = true;
    for (int i = 0; i < 10000; i++) {
        float v = Y.data[i];
        if (v != (int)v || v < 0 || v > 9) ints = false;
        else count[(int)v]++;
    }
    TT_CHECK(ints);
    for (int c = 0; c < 10; c++) TT_CHECK(count[c] == 1000);
    float lo = 255, hi = 0;
    for (int64_t i = 0; i < X.numel; i++) {
        if (X.data[i] < lo) lo = X.data[i];
        if (X.data[i] > hi) hi = X.data[i];
    }
    TT_CHECK(lo == 0 && hi == 255);
    TT_CHECK(tg_array_reshape_rows(&X) == TG_OK);
    TT_CHECK(X.ndim == 2 && X.shape[1] == 784);
    tg_array_free(&X);
    tg_array_free(&Y);
}

/* ------------------------------------------------------------------- CSV */

/* Labels as i64: IDX integer types exactly (an i32 past 2^24 too, which
 * f32 would round), CSV with int_labels, batches of i64 labels, rows. */
static void integer_labels(void)
{
    const unsigned char i32[] = {0, 0, 0x0C, 1, 0, 0, 0, 2,
                                 0x01, 0x00, 0x00, 0x01, 0xFF, 0xFF, 0xFF, 0xFD};
    const char *p = tmp_path("lab.idx");
    write_bytes(p, i32, sizeof i32);
    tg_array y;
    TT_CHECK(tg_idx_load_labels(p, &y) == TG_OK);
    TT_CHECK(y.dtype == TG_I64 && y.numel == 2);
    TT_CHECK(y.i64[0] == 16777217 && y.i64[1] == -3);
    tg_array_free(&y);
    TT_CHECK(y.dtype == TG_F32 && y.i64 == NULL);
    const char *pz = tmp_path("lab.idx.gz");
    write_gz(pz, IDX_U8, sizeof IDX_U8);
    TT_CHECK(tg_idx_load_labels(pz, &y) == TG_OK);
    TT_CHECK(y.ndim == 3 && y.i64[11] == 220);
    /* rows keep the dtype; scaling leaves labels alone */
    tg_array r;
    TT_CHECK(tg_array_rows(&y, 1, 2, &r) == TG_OK);
    TT_CHECK(r.dtype == TG_I64 && r.numel == 8 && r.i64[0] == 80);
    tg_array_scale(&r, 0.5, 1);
    TT_CHECK(r.i64[7] == 220);
    double mu;
    tg_array_mean_std(&r, &mu, NULL);
    TT_NEAR(mu, 150, 0);
    float fm[4], fs[4];
    TT_CHECK(tg_array_feature_stats(&r, fm, fs) == TG_ERR_ARG);
    TT_STREQ(tg_last_error(), "tg_array_feature_stats: the array is i64; "
                              "hint: features are f32 (labels are not "
                              "standardized)");
    tg_array_free(&r);
    tg_array_free(&y);
    const unsigned char f32[] = {0, 0, 0x0D, 1, 0, 0, 0, 1, 0x3F, 0xC0, 0, 0};
    write_bytes(p, f32, sizeof f32);
    TT_CHECK(tg_idx_load_labels(p, &y) == TG_ERR_FORMAT);
    TT_CONTAINS(tg_last_error(), "the data type at byte offset 2 is f32; "
                                 "hint: labels are integers");

    const char *pc = tmp_path("lab.csv");
    const char *txt = "0.5,3\n1.5,-1\n2.5,7.5\n";
    write_bytes(pc, txt, strlen(txt));
    tg_array x;
    tg_csv_opts o = {.has_label = true, .label_col = 1, .int_labels = true};
    TT_CHECK(tg_csv_load(pc, &o, &x, &y) == TG_ERR_FORMAT);
    TT_CONTAINS(tg_last_error(), "line 3, field 2");
    TT_CONTAINS(tg_last_error(), "an integer label is expected");
    txt = "0.5,3\n1.5,-1\n2.5,16777217\n";
    write_bytes(pc, txt, strlen(txt));
    TT_CHECK(tg_csv_load(pc, &o, &x, &y) == TG_OK);
    TT_CHECK(y.dtype == TG_I64 && y.i64[0] == 3 && y.i64[1] == -1 &&
             y.i64[2] == 16777217);
    TT_CHECK(x.dtype == TG_F32 && x.data[2] == 2.5f);
    /* a batch of them is an i64 tensor, ready for cross_entropy */
    tg_batch_opts bo = {.batch_size = 2};
    tg_batcher *b = tg_batcher_new(&x, &y, &bo);
    tg_graph *g = tg_graph_new();
    tg_tensor *tx, *ty;
    TT_CHECK(tg_batcher_next(b, g, TG_F64, &tx, &ty) == 2);
    TT_CHECK(tx->dtype == TG_F64 && ty->dtype == TG_I64 &&
             tg_i64(ty)[1] == -1 && !tg_requires_grad(ty));
    TT_CHECK(tg_batcher_next(b, g, TG_F32, &tx, &ty) == 1);
    TT_CHECK(tg_i64(ty)[0] == 16777217);
    tg_graph_free(g);
    tg_batcher_free(b);
    tg_array_free(&x);
    tg_array_free(&y);
}

static void csv_basic(void)
{
    const char *p = tmp_path("a.csv");
    const char *txt = "f1,label,f2\r\n"
                      " 1.5, 0 ,-2\r\n"
                      "\r\n"
                      "3e2,1,0.25\n"
                      "  \n"
                      "-0,2,7\n";
    write_bytes(p, txt, strlen(txt));
    tg_array x, y;
    tg_csv_opts o = {.header = true, .has_label = true, .label_col = 1};
    TT_CHECK(tg_csv_load(p, &o, &x, &y) == TG_OK);
    TT_CHECK(x.ndim == 2 && x.shape[0] == 3 && x.shape[1] == 2);
    TT_CHECK(y.ndim == 1 && y.shape[0] == 3);
    const float want[6] = {1.5f, -2, 300, 0.25f, 0, 7};
    for (int i = 0; i < 6; i++) TT_CHECK(x.data[i] == want[i]);
    for (int i = 0; i < 3; i++) TT_CHECK(y.data[i] == (float)i);
    tg_array_free(&x);
    tg_array_free(&y);

    /* no label, semicolons, gzip, no trailing newline */
    const char *pz = tmp_path("b.csv.gz");
    const char *t2 = "1;2;3\n4;5;6";
    write_gz(pz, t2, strlen(t2));
    tg_csv_opts o2 = {.delimiter = ';', };
    TT_CHECK(tg_csv_load(pz, &o2, &x, NULL) == TG_OK);
    TT_CHECK(x.shape[0] == 2 && x.shape[1] == 3);
    for (int i = 0; i < 6; i++) TT_CHECK(x.data[i] == (float)(i + 1));
    tg_array_free(&x);
    /* NULL opts: comma, no header, no label */
    write_bytes(p, "7,8\n", 4);
    TT_CHECK(tg_csv_load(p, NULL, &x, NULL) == TG_OK);
    TT_CHECK(x.shape[0] == 1 && x.shape[1] == 2 && x.data[1] == 8);
    tg_array_free(&x);
}

static void csv_malformed(void)
{
    const char *p = tmp_path("bad.csv");
    tg_array x, y;
    tg_csv_opts o = {.header = true, .has_label = true, .label_col = 0};
    char msg[512];
    const char *t1 = "a,b\n1,2\n3,abc\n";
    write_bytes(p, t1, strlen(t1));
    TT_CHECK(tg_csv_load(p, &o, &x, &y) == TG_ERR_FORMAT);
    snprintf(msg, sizeof msg,
             "tg_csv_load: %s: line 3, field 2 (byte offset 10): not a "
             "number: \"abc\"",
             p);
    TT_STREQ(tg_last_error(), msg);
    TT_CHECK(x.data == NULL && y.data == NULL);

    const char *t2 = "1,2\n3,4,5\n";
    write_bytes(p, t2, strlen(t2));
    TT_CHECK(tg_csv_load(p, NULL, &x, NULL) == TG_ERR_FORMAT);
    snprintf(msg, sizeof msg,
             "tg_csv_load: %s: line 2 (byte offset 4) has 3 fields, expected "
             "2 as on line 1",
             p);
    TT_STREQ(tg_last_error(), msg);

    const char *bad[] = {"1,,2\n", "1,nan\n", "inf,1\n", "1e39,0\n", "1,2x\n",
                         "\n\n"};
    const char *why[] = {"empty field", "not a finite f32 number",
                         "not a finite f32 number", "not a finite f32 number",
                         "not a number", "no data rows"};
    for (int i = 0; i < 6; i++) {
        write_bytes(p, bad[i], strlen(bad[i]));
        TT_CHECK(tg_csv_load(p, NULL, &x, NULL) == TG_ERR_FORMAT);
        TT_CONTAINS(tg_last_error(), why[i]);
    }
    write_bytes(p, "1,2\n", 4);
    tg_csv_opts o3 = {.has_label = true, .label_col = 2};
    TT_CHECK(tg_csv_load(p, &o3, &x, &y) == TG_ERR_ARG);
    TT_CONTAINS(tg_last_error(), "label column 2 is out of range: rows have 2 "
                                 "fields");
    TT_CHECK(tg_csv_load(tmp_path("none.csv"), NULL, &x, NULL) == TG_ERR_IO);
}

/* --------------------------------------------------------- normalization */

static void normalization(void)
{
    tg_array a = {0};
    const char *p = tmp_path("n.csv");
    const char *t = "1,10,5\n3,10,7\n5,10,9\n7,10,11\n";
    write_bytes(p, t, strlen(t));
    TT_CHECK(tg_csv_load(p, NULL, &a, NULL) == TG_OK);
    double mean, sd;
    tg_array_mean_std(&a, &mean, &sd);
    /* 12 values summing to 4+6+... : column sums 16, 40, 32 -> 88/12 */
    TT_NEAR(mean, 88.0 / 12, 1e-12);
    double ss = 0;
    for (int i = 0; i < 12; i++) ss += (a.data[i] - 88.0 / 12) * (a.data[i] - 88.0 / 12);
    TT_NEAR(sd, sqrt(ss / 12), 1e-12);
    float m[3], s[3];
    TT_CHECK(tg_array_feature_stats(&a, m, s) == TG_OK);
    TT_CHECK(m[0] == 4 && m[1] == 10 && m[2] == 8);
    TT_NEAR(s[0], sqrt(5.0), 1e-6); /* deviations -3,-1,1,3: 20/4 */
    TT_CHECK(s[1] == 0);
    TT_NEAR(s[2], sqrt(5.0), 1e-6);
    TT_CHECK(tg_array_standardize(&a, m, s) == TG_OK);
    TT_NEAR(a.data[0], -3 / sqrt(5.0), 1e-6);
    TT_CHECK(a.data[1] == 0); /* constant feature: divided by 1 */
    TT_NEAR(a.data[11], 3 / sqrt(5.0), 1e-6);
    tg_array_scale(&a, 2, 1);
    TT_CHECK(a.data[1] == 1);
    tg_array r;
    TT_CHECK(tg_array_rows(&a, 1, 2, &r) == TG_OK);
    TT_CHECK(r.shape[0] == 2 && r.shape[1] == 3 && r.data[0] == a.data[3]);
    tg_array_free(&r);
    TT_CHECK(tg_array_rows(&a, 3, 2, &r) == TG_ERR_ARG);
    TT_STREQ(tg_last_error(), "tg_array_rows: 2 rows from row 3 do not lie "
                              "within the 4 rows of the array");
    tg_array_free(&a);
}

/* ---------------------------------------------------------------- batcher */

static void make_xy(tg_array *x, tg_array *y, int n)
{
    const char *p = tmp_path("xy.csv");
    FILE *f = fopen(p, "w");
    for (int i = 0; i < n; i++) fprintf(f, "%d,%d,%d\n", i, 100 + i, i % 3);
    fclose(f);
    tg_csv_opts o = {.has_label = true, .label_col = 2};
    if (tg_csv_load(p, &o, x, y) != TG_OK) abort();
}

static void batcher_order(void)
{
    tg_array x, y;
    make_xy(&x, &y, 10);
    tg_graph *g = tg_graph_new();
    tg_batch_opts bo = {.batch_size = 4};
    tg_batcher *b = tg_batcher_new(&x, &y, &bo);
    TT_CHECK(tg_batcher_num_batches(b) == 3);
    tg_tensor *tx, *ty;
    int64_t sizes[4], k = 0, row = 0;
    for (int64_t n; (n = tg_batcher_next(b, g, TG_F32, &tx, &ty)) > 0;) {
        sizes[k++] = n;
        TT_CHECK(tx->ndim == 2 && tx->shape[0] == n && tx->shape[1] == 2);
        TT_CHECK(ty->ndim == 1 && ty->shape[0] == n);
        for (int64_t i = 0; i < n; i++, row++) {
            TT_CHECK(tg_get(tx, 2 * i) == row && tg_get(tx, 2 * i + 1) == 100 + row);
            TT_CHECK(tg_get(ty, i) == row % 3);
        }
        tg_graph_reset(g);
    }
    TT_CHECK(k == 3 && sizes[0] == 4 && sizes[1] == 4 && sizes[2] == 2);
    /* the next call begins another epoch */
    TT_CHECK(tg_batcher_next(b, g, TG_F64, &tx, &ty) == 4);
    TT_CHECK(tx->dtype == TG_F64 && tg_get(tx, 1) == 100);
    tg_batcher_free(b);
    tg_graph_reset(g);

    bo.drop_last = true;
    b = tg_batcher_new(&x, &y, &bo);
    TT_CHECK(tg_batcher_num_batches(b) == 2);
    k = 0;
    while (tg_batcher_next(b, g, TG_F32, &tx, NULL) > 0) k++;
    TT_CHECK(k == 2);
    tg_batcher_free(b);

    tg_array y2;
    TT_CHECK(tg_array_rows(&y, 0, 9, &y2) == TG_OK);
    TT_CHECK(tg_batcher_new(&x, &y2, &bo) == NULL);
    TT_STREQ(tg_last_error(), "tg_batcher_new: x has 10 rows but y has 9; "
                              "hint: one label row per sample");
    bo.batch_size = 0;
    TT_CHECK(tg_batcher_new(&x, &y, &bo) == NULL);
    tg_array_free(&y2);
    tg_array_free(&x);
    tg_array_free(&y);
    tg_graph_free(g);
}

/* One epoch's row order through the batcher. */
static void epoch_order(tg_batcher *b, tg_graph *g, int64_t *order, int n)
{
    tg_tensor *tx, *ty;
    int k = 0;
    for (int64_t m; (m = tg_batcher_next(b, g, TG_F32, &tx, &ty)) > 0;) {
        const int64_t *idx = tg_batcher_indices(b);
        for (int64_t i = 0; i < m && k < n; i++) {
            order[k++] = (int64_t)tg_get(tx, 2 * i);
            TT_CHECK(idx[i] == (int64_t)tg_get(tx, 2 * i));
            TT_CHECK(tg_get(ty, i) == (int64_t)tg_get(tx, 2 * i) % 3);
        }
        tg_graph_reset(g);
    }
    TT_CHECK(k == n);
}

static void batcher_shuffle(void)
{
    enum { N = 50 };
    tg_array x, y;
    make_xy(&x, &y, N);
    tg_graph *g = tg_graph_new();
    tg_batch_opts bo = {.batch_size = 8, .shuffle = true, .seed = 99};
    tg_batcher *b1 = tg_batcher_new(&x, &y, &bo);
    tg_batcher *b2 = tg_batcher_new(&x, &y, &bo);
    int64_t e1[N], e2[N], f1[N];
    epoch_order(b1, g, e1, N);
    epoch_order(b2, g, e2, N);
    TT_CHECK(!memcmp(e1, e2, sizeof e1)); /* same seed, same order */
    bool seen[N] = {false}, perm = true, moved = false;
    for (int i = 0; i < N; i++) {
        if (seen[e1[i]]) perm = false;
        seen[e1[i]] = true;
        if (e1[i] != i) moved = true;
    }
    TT_CHECK(perm && moved);
    /* the second epoch is another permutation */
    uint64_t before = tg_alloc_count();
    epoch_order(b1, g, f1, N);
    TT_CHECK(tg_alloc_count() == before); /* steady state: no allocation */
    TT_CHECK(memcmp(e1, f1, sizeof e1) != 0);
    tg_batcher_free(b2);
    bo.seed = 100;
    b2 = tg_batcher_new(&x, &y, &bo);
    epoch_order(b2, g, e2, N);
    TT_CHECK(memcmp(e1, e2, sizeof e1) != 0);
    tg_batcher_free(b1);
    tg_batcher_free(b2);
    tg_array_free(&x);
    tg_array_free(&y);
    tg_graph_free(g);
}

/* ------------------------------------------------------------ save / load */

typedef struct model {
    tg_graph *g;
    tg_tensor *t[3];
} model;

/* Three tensors: f32 [2,3], f64 [4], f32 scalar, filled from `base`. */
static model model_new(double base, const char *name0)
{
    model m;
    m.g = tg_graph_new();
    m.t[0] = tg_param(m.g, TG_F32, TG_SHAPE(2, 3), name0);
    m.t[1] = tg_param(m.g, TG_F64, TG_SHAPE(4), "layer.bias");
    m.t[2] = tg_param(m.g, TG_F32, 0, NULL, NULL);
    for (int k = 0; k < 3; k++)
        for (int64_t i = 0; i < m.t[k]->numel; i++) {
            if (m.t[k]->dtype == TG_F32)
                tg_f32(m.t[k])[i] = (float)(base + 10 * k + i);
            else
                tg_f64(m.t[k])[i] = base + 10 * k + i + 0.125;
        }
    return m;
}

static bool model_is(const model *m, double base)
{
    for (int k = 0; k < 3; k++)
        for (int64_t i = 0; i < m->t[k]->numel; i++) {
            double want = base + 10 * k + i + (m->t[k]->dtype == TG_F64 ? 0.125 : 0);
            if (tg_get(m->t[k], i) != (m->t[k]->dtype == TG_F32 ? (float)want : want))
                return false;
        }
    return true;
}

static void save_roundtrip(void)
{
    const char *p = tmp_path("m.tgw");
    model a = model_new(1, "layer.weight"), b = model_new(-50, "layer.weight");
    TT_CHECK(tg_save(p, 3, a.t, NULL) == TG_OK);
    TT_CHECK(!model_is(&b, 1));
    TT_CHECK(tg_load(p, 3, b.t, NULL) == TG_OK);
    TT_CHECK(model_is(&b, 1));
    /* names, not positions, identify tensors; an unnamed one is "#<i>" */
    model c = model_new(-7, "layer.weight");
    tg_tensor *sw[3] = {c.t[1], c.t[0], c.t[2]};
    TT_CHECK(tg_load(p, 3, sw, NULL) == TG_OK);
    TT_CHECK(model_is(&c, 1));
    model e = model_new(-7, "layer.weight");
    tg_tensor *mv[3] = {e.t[2], e.t[0], e.t[1]};
    TT_CHECK(tg_load(p, 3, mv, NULL) == TG_ERR_FORMAT);
    TT_CONTAINS(tg_last_error(), "tensor \"#0\" (entry 0) is not in the file");
    TT_CHECK(model_is(&e, -7));
    tg_graph_free(e.g);
    tg_graph_free(a.g);
    tg_graph_free(b.g);
    tg_graph_free(c.g);

    /* saving replaces an existing file and leaves no temporary behind */
    a = model_new(5, "w");
    TT_CHECK(tg_save(p, 3, a.t, NULL) == TG_OK);
    TT_CHECK(tg_save(p, 3, a.t, NULL) == TG_OK);
    DIR *d = opendir(dir);
    int tmps = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (strstr(e->d_name, ".tmp.")) tmps++;
    closedir(d);
    TT_CHECK(tmps == 0);
    tg_graph_free(a.g);

    /* duplicate names are refused at save time */
    a = model_new(5, "layer.bias");
    TT_CHECK(tg_save(p, 3, a.t, NULL) == TG_ERR_ARG);
    TT_CONTAINS(tg_last_error(), "tensors 0 and 1 are both named "
                                 "\"layer.bias\"");
    tg_graph_free(a.g);
}

/* i64 and bool tensors round-trip; a dtype mismatch is named; a bool
 * byte other than 0 or 1 is corruption. */
static void save_integer_dtypes(void)
{
    const char *p = tmp_path("ints.tgw");
    tg_graph *g = tg_graph_new();
    int64_t iv[3] = {-5, 0, (int64_t)1 << 62};
    bool bv[4] = {1, 0, 0, 1};
    tg_tensor *t[3] = {tg_input(g, TG_I64, TG_SHAPE(3), iv),
                       tg_input(g, TG_BOOL, TG_SHAPE(2, 2), bv),
                       tg_full(g, TG_F32, TG_SHAPE(2), 0.25)};
    t[0]->name = "vocab.ids";
    t[1]->name = "mask";
    t[2]->name = "w";
    TT_CHECK(tg_save(p, 3, t, NULL) == TG_OK);
    tg_tensor *u[3] = {tg_input(g, TG_I64, TG_SHAPE(3), NULL),
                       tg_input(g, TG_BOOL, TG_SHAPE(2, 2), NULL),
                       tg_input(g, TG_F32, TG_SHAPE(2), NULL)};
    u[0]->name = "vocab.ids";
    u[1]->name = "mask";
    u[2]->name = "w";
    TT_CHECK(tg_load(p, 3, u, NULL) == TG_OK);
    for (int k = 0; k < 3; k++) TT_CHECK(tg_i64(u[0])[k] == iv[k]);
    for (int k = 0; k < 4; k++) TT_CHECK(tg_bool(u[1])[k] == bv[k]);
    TT_NEAR(tg_f32(u[2])[1], 0.25, 0);
    tg_tensor *f = tg_input(g, TG_F64, TG_SHAPE(3), NULL);
    f->name = "vocab.ids";
    tg_tensor *v[3] = {f, u[1], u[2]};
    TT_CHECK(tg_load(p, 3, v, NULL) == TG_ERR_FORMAT);
    TT_CONTAINS(tg_last_error(), "tensor \"vocab.ids\" is i64 [3] in the "
                                 "file but f64 [3] in memory");
    /* flip the first bool byte to 2: refused, nothing written */
    FILE *fp = fopen(p, "r+b");
    unsigned char buf[512];
    size_t n = fread(buf, 1, sizeof buf, fp);
    size_t at = 0;
    for (size_t k = 0; k + 4 < n; k++)
        if (!memcmp(buf + k, "mask", 4)) at = k + 4 + 16; /* 2 dims */
    TT_CHECK(at > 0 && buf[at] == 1);
    fseek(fp, (long)at, SEEK_SET);
    fputc(2, fp);
    fclose(fp);
    tg_i64(u[0])[0] = 77;
    TT_CHECK(tg_load(p, 3, u, NULL) == TG_ERR_FORMAT);
    TT_CONTAINS(tg_last_error(), "(\"mask\", bool) holds byte 2");
    TT_CHECK(tg_i64(u[0])[0] == 77);
    tg_graph_free(g);
}

static void save_mismatch(void)
{
    const char *p = tmp_path("mm.tgw");
    char msg[600];
    model a = model_new(1, "w");
    TT_CHECK(tg_save(p, 3, a.t, NULL) == TG_OK);
    /* a model whose first tensor has another shape */
    tg_graph *g = tg_graph_new();
    tg_tensor *t[3];
    t[0] = tg_param(g, TG_F32, TG_SHAPE(3, 2), "w");
    t[1] = tg_param(g, TG_F64, TG_SHAPE(4), "layer.bias");
    t[2] = tg_param(g, TG_F32, 0, NULL, NULL);
    tg_init_constant(t[0], 9);
    tg_init_constant(t[1], 9);
    TT_CHECK(tg_load(p, 3, t, NULL) == TG_ERR_FORMAT);
    snprintf(msg, sizeof msg,
             "tg_load: %s: tensor \"w\" is f32 [2,3] in the file but f32 [3,2] "
             "in memory; the model is unchanged",
             p);
    TT_STREQ(tg_last_error(), msg);
    TT_CHECK(tg_get(t[1], 0) == 9 && tg_get(t[0], 0) == 9); /* untouched */
    /* dtype */
    tg_tensor *u = tg_param(g, TG_F32, TG_SHAPE(4), "layer.bias");
    tg_tensor *t2[3] = {a.t[0], u, a.t[2]};
    TT_CHECK(tg_load(p, 3, t2, NULL) == TG_ERR_FORMAT);
    TT_CONTAINS(tg_last_error(), "is f64 [4] in the file but f32 [4]");
    /* missing and extra tensors */
    TT_CHECK(tg_load(p, 2, a.t, NULL) == TG_ERR_FORMAT);
    TT_CONTAINS(tg_last_error(), "the file holds tensor \"#2\", which is not "
                                 "among the 2 tensors given");
    tg_tensor *v = tg_param(g, TG_F32, TG_SHAPE(1), "extra");
    tg_tensor *t4[4] = {a.t[0], a.t[1], a.t[2], v};
    TT_CHECK(tg_load(p, 4, t4, NULL) == TG_ERR_FORMAT);
    TT_CONTAINS(tg_last_error(), "tensor \"extra\" (entry 3) is not in the file");
    /* optimizer asked for but not saved */
    tg_optim_config oc = tg_optim_defaults(TG_OPTIM_ADAM);
    tg_optim *o = tg_optim_new(&oc, 3, a.t);
    TT_CHECK(tg_load(p, 3, a.t, o) == TG_ERR_FORMAT);
    TT_CONTAINS(tg_last_error(), "the file holds no optimizer state");
    tg_optim_free(o);
    TT_CHECK(tg_load(tmp_path("nothing.tgw"), 3, a.t, NULL) == TG_ERR_IO);
    tg_graph_free(a.g);
    tg_graph_free(g);
}

/* Adam state survives a save/load: one more step after loading equals one
 * more step of the original. */
static void save_optimizer(void)
{
    const char *p = tmp_path("opt.tgw");
    model a = model_new(1, "w"), b = model_new(2, "w");
    tg_optim_config oc = tg_optim_defaults(TG_OPTIM_ADAM);
    oc.lr = 0.05;
    tg_optim *oa = tg_optim_new(&oc, 3, a.t);
    oc.lr = 0.5; /* overwritten by the load */
    tg_optim *ob = tg_optim_new(&oc, 3, b.t);
    for (int s = 0; s < 3; s++) {
        for (int k = 0; k < 3; k++) {
            tg_init_constant(a.t[k]->grad, 0.1 * (s + k + 1));
            tg_tensor_grad_written(a.t[k]);
        }
        tg_optim_step(oa);
    }
    TT_CHECK(tg_save(p, 3, a.t, oa) == TG_OK);
    TT_CHECK(tg_load(p, 3, b.t, ob) == TG_OK);
    TT_CHECK(tg_optim_steps(ob) == 3);
    TT_CHECK(tg_optim_get_lr(ob) == 0.05);
    for (int k = 0; k < 3; k++) {
        tg_init_constant(a.t[k]->grad, -0.3);
        tg_init_constant(b.t[k]->grad, -0.3);
        tg_tensor_grad_written(a.t[k]);
        tg_tensor_grad_written(b.t[k]);
    }
    tg_optim_step(oa);
    tg_optim_step(ob);
    bool same = true;
    for (int k = 0; k < 3; k++)
        same &= !memcmp(a.t[k]->data, b.t[k]->data,
                        (size_t)a.t[k]->numel * (a.t[k]->dtype == TG_F64 ? 8 : 4));
    TT_CHECK(same);
    /* model-only load of a file with optimizer state */
    model c = model_new(3, "w");
    TT_CHECK(tg_load(p, 3, c.t, NULL) == TG_OK);
    /* kind mismatch */
    tg_optim_config sc = tg_optim_defaults(TG_OPTIM_MOMENTUM);
    tg_optim *oc2 = tg_optim_new(&sc, 3, c.t);
    TT_CHECK(tg_load(p, 3, c.t, oc2) == TG_ERR_FORMAT);
    TT_CONTAINS(tg_last_error(), "the file holds adam optimizer state but the "
                                 "optimizer is momentum");
    tg_optim_free(oc2);
    tg_optim_free(oa);
    tg_optim_free(ob);
    tg_graph_free(a.g);
    tg_graph_free(b.g);
    tg_graph_free(c.g);
}

/* Every single-byte change and every truncation of a small file is
 * rejected, and the destination keeps its values. */
static void save_corruption(void)
{
    const char *p = tmp_path("c.tgw"), *q = tmp_path("c2.tgw");
    model a = model_new(1, "w"), b = model_new(-3, "w");
    tg_optim_config oc = tg_optim_defaults(TG_OPTIM_MOMENTUM);
    tg_optim *oa = tg_optim_new(&oc, 2, a.t), *ob = tg_optim_new(&oc, 2, b.t);
    tg_init_constant(a.t[0]->grad, 1);
    tg_tensor_grad_written(a.t[0]);
    tg_optim_step(oa);
    for (int k = 0; k < 3; k++) /* refill after the step */
        for (int64_t i = 0; i < a.t[k]->numel; i++)
            ((k == 1) ? (void)(tg_f64(a.t[k])[i] = 1 + 10 * k + i + 0.125)
                      : (void)(tg_f32(a.t[k])[i] = (float)(1 + 10 * k + i)));
    TT_CHECK(tg_save(p, 3, a.t, oa) == TG_OK);
    size_t n;
    unsigned char *buf = read_bytes(p, &n);
    TT_CHECK(n > 100 && n < 1000);
    int accepted = 0, changed = 0;
    const unsigned char flips[3] = {0xFF, 0x01, 0x80};
    for (size_t i = 0; i < n; i++)
        for (int f = 0; f < 3; f++) {
            buf[i] ^= flips[f];
            write_bytes(q, buf, n);
            if (tg_load(q, 3, b.t, ob) == TG_OK) accepted++;
            if (!model_is(&b, -3) || tg_optim_steps(ob) != 0) changed++;
            buf[i] ^= flips[f];
        }
    TT_CHECK(accepted == 0);
    TT_CHECK(changed == 0);
    for (size_t k = 0; k < n; k++) {
        write_bytes(q, buf, k);
        if (tg_load(q, 3, b.t, ob) == TG_OK) accepted++;
        if (!model_is(&b, -3)) changed++;
    }
    TT_CHECK(accepted == 0 && changed == 0);
    unsigned char *longer = malloc(n + 1);
    memcpy(longer, buf, n);
    longer[n] = 0;
    write_bytes(q, longer, n + 1);
    TT_CHECK(tg_load(q, 3, b.t, ob) == TG_ERR_FORMAT);
    TT_CONTAINS(tg_last_error(), "1 unexpected bytes after the file CRC32");
    free(longer);
    /* one flipped data byte: the message names the record */
    buf[60] ^= 4;
    write_bytes(q, buf, n);
    TT_CHECK(tg_load(q, 3, b.t, ob) == TG_ERR_FORMAT);
    TT_CONTAINS(tg_last_error(), "record 1 (\"w\") at byte offset 24: CRC32 "
                                 "mismatch");
    buf[60] ^= 4;
    /* the intact file loads */
    write_bytes(q, buf, n);
    TT_CHECK(tg_load(q, 3, b.t, ob) == TG_OK);
    TT_CHECK(model_is(&b, 1) && tg_optim_steps(ob) == 1);
    free(buf);
    tg_optim_free(oa);
    tg_optim_free(ob);
    tg_graph_free(a.g);
    tg_graph_free(b.g);
}

/* A process killed while writing (file-size limit exceeded: SIGXFSZ)
 * leaves the previous file intact; with the signal ignored the write
 * fails cleanly and removes its temporary file. */
static void save_atomic(void)
{
    const char *p = tmp_path("atomic.tgw");
    model a = model_new(1, "w");
    TT_CHECK(tg_save(p, 3, a.t, NULL) == TG_OK);
    size_t n0;
    unsigned char *orig = read_bytes(p, &n0);
    /* a much larger model under the same name */
    tg_graph *g = tg_graph_new();
    tg_tensor *big = tg_param(g, TG_F32, TG_SHAPE(1 << 18), "w");
    for (int mode = 0; mode < 2; mode++) {
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            struct rlimit rl = {.rlim_cur = 100000, .rlim_max = 100000};
            setrlimit(RLIMIT_FSIZE, &rl);
            if (mode == 1) signal(SIGXFSZ, SIG_IGN);
            tg_status st = tg_save(p, 1, &big, NULL);
            _exit(st == TG_ERR_IO && strstr(tg_last_error(), "File too large")
                      ? 42 : 1);
        }
        int ws = 0;
        waitpid(pid, &ws, 0);
        if (mode == 0) TT_CHECK(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGXFSZ);
        else TT_CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == 42);
        size_t n1;
        unsigned char *now = read_bytes(p, &n1);
        TT_CHECK(n1 == n0 && !memcmp(now, orig, n0));
        free(now);
        model b = model_new(7, "w");
        TT_CHECK(tg_load(p, 3, b.t, NULL) == TG_OK && model_is(&b, 1));
        tg_graph_free(b.g);
    }
    /* the killed writer left its temporary file; the clean failure did not */
    DIR *d = opendir(dir);
    int tmps = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (strstr(e->d_name, "atomic.tgw.tmp.")) {
            tmps++;
            unlink(tmp_path(e->d_name));
        }
    closedir(d);
    TT_CHECK(tmps == 1);
    char msg[400];
    snprintf(msg, sizeof msg, "%s/no/such/dir/m.tgw", dir);
    TT_CHECK(tg_save(msg, 3, a.t, NULL) == TG_ERR_IO);
    TT_CONTAINS(tg_last_error(), "No such file or directory");
    free(orig);
    tg_graph_free(g);
    tg_graph_free(a.g);
}

/* Allocation failures in the readers, the batcher and save/load report
 * TG_ERR_OOM and leak nothing (the ASan build checks leaks). */
static hd_alloc oom; /* tests/hardening.h: fails the Nth allocation on */

static void io_oom(void)
{
    const char *pi = tmp_path("oom.idx"), *pc = tmp_path("oom.csv"),
               *pm = tmp_path("oom.tgw");
    write_bytes(pi, IDX_U8, sizeof IDX_U8);
    const char *t = "1,2,0\n3,4,1\n";
    write_bytes(pc, t, strlen(t));
    model a = model_new(1, "w");
    TT_CHECK(tg_save(pm, 3, a.t, NULL) == TG_OK);
    int ok = 0;
    for (int which = 0; which < 5; which++)
        for (long k = 1; k <= 20; k++) {
            hd_install(&oom, k, true, 0);
            tg_status st;
            tg_array x = {0}, y = {0};
            if (which == 0) st = tg_idx_load(pi, &x);
            else if (which == 1) {
                tg_csv_opts o = {.has_label = true, .label_col = 2};
                st = tg_csv_load(pc, &o, &x, &y);
            } else if (which == 2) st = tg_save(pm, 3, a.t, NULL);
            else if (which == 3) st = tg_load(pm, 3, a.t, NULL);
            else {
                tg_array xs;
                TT_CHECK(tg_idx_load(pi, &xs) == TG_OK || k <= 4);
                tg_batch_opts bo = {.batch_size = 2, .shuffle = true};
                tg_batcher *b = xs.data ? tg_batcher_new(&xs, NULL, &bo) : NULL;
                st = b ? TG_OK : TG_ERR_OOM;
                if (xs.data && !b)
                    TT_CONTAINS(tg_last_error(), "tg_batcher_new: out of memory");
                tg_batcher_free(b);
                tg_array_free(&xs);
            }
            TT_CHECK(st == TG_OK || st == TG_ERR_OOM);
            if (st == TG_OK) {
                ok++;
                tg_array_free(&x);
                tg_array_free(&y);
                hd_uninstall();
                break;
            }
            TT_CHECK(x.data == NULL && y.data == NULL);
            hd_uninstall();
        }
    TT_CHECK(ok == 5);
    TT_CHECK(model_is(&a, 1));
    tg_graph_free(a.g);
}

/* zlib's memory comes from the hook too: a gzip load makes the plain
 * load's allocations plus inflate's state and window, and failing any one
 * of them, once or from then on, is TG_ERR_OOM with a message, an empty
 * array and nothing left allocated. The same data as two gzip members
 * makes the same allocations (inflateReset keeps the state and window). */
static hd_alloc zoom;

static void gzip_oom(void)
{
    enum { N = 3000 };
    static unsigned char raw[8 + N];
    const unsigned char h[8] = {0, 0, 8, 1, 0, 0, N >> 8, N & 255};
    memcpy(raw, h, 8);
    for (int i = 0; i < N; i++) raw[8 + i] = (unsigned char)(i % 13);
    const char *p = tmp_path("oom2.idx"), *pz = tmp_path("oom2.idx.gz"),
               *pc = tmp_path("oom2.csv.gz"), *pm = tmp_path("oom2m.idx.gz");
    write_bytes(p, raw, sizeof raw);
    size_t n1, n2;
    unsigned char *z1 = gz_member(raw, 1000, &n1),
                  *z2 = gz_member(raw + 1000, sizeof raw - 1000, &n2),
                  *cat = malloc(n1 + n2);
    memcpy(cat, z1, n1);
    memcpy(cat + n1, z2, n2);
    write_bytes(pm, cat, n1 + n2);
    free(z1);
    free(z2);
    free(cat);
    write_gz(pz, raw, sizeof raw);
    write_gz(pc, "1,2\n3,4\n", 8);
    tg_array a, y;
    hd_install(&zoom, 0, false, 0);
    TT_CHECK(tg_idx_load(p, &a) == TG_OK);
    tg_array_free(&a);
    long n_plain = zoom.n_allocs;
    hd_install(&zoom, 0, false, 0);
    TT_CHECK(tg_idx_load(pz, &a) == TG_OK && a.numel == N &&
             a.data[N - 1] == (float)((N - 1) % 13));
    tg_array_free(&a);
    long n_gz = zoom.n_allocs;
    TT_CHECK(zoom.live == 0);
    TT_CHECK(n_gz >= n_plain + 2); /* inflate's state and window */
    hd_install(&zoom, 0, false, 0);
    TT_CHECK(tg_idx_load(pm, &a) == TG_OK && a.numel == N &&
             a.data[N - 1] == (float)((N - 1) % 13));
    tg_array_free(&a);
    TT_CHECK(zoom.n_allocs == n_gz && zoom.live == 0);
    hd_uninstall();
    int seen_start = 0, seen_inflate = 0, wrong = 0;
    /* file 0: one member, 1: the CSV, 2: two members */
    for (int file = 0; file < 3; file++)
        for (int persistent = 0; persistent < 2; persistent++)
            for (long k = 1;; k++) {
                bool csv = file == 1;
                hd_install(&zoom, k, persistent, 0);
                tg_status st = csv ? tg_csv_load(pc, NULL, &a, &y)
                                   : tg_idx_load(file ? pm : pz, &a);
                if (st == TG_OK) {
                    TT_CHECK(zoom.failed == 0 && k > (csv ? 2 : n_gz - 1));
                    TT_CHECK(a.numel == (csv ? 4 : N));
                    tg_array_free(&a);
                    hd_uninstall();
                    break;
                }
                const char *m = tg_last_error();
                if (st != TG_ERR_OOM || a.data || a.numel ||
                    !strstr(m, "out of memory") || zoom.live != 0) {
                    fprintf(stderr, "  k=%ld file=%d persistent=%d: %s\n",
                            k, file, persistent, m);
                    wrong++;
                }
                seen_start += strstr(m, "out of memory starting to inflate "
                                        "the gzip data") != NULL;
                seen_inflate += strstr(m, "out of memory inflating the gzip "
                                          "data") != NULL;
                hd_uninstall();
                if (k > 50) { /* never reached: loads need a few blocks */
                    wrong++;
                    break;
                }
            }
    TT_CHECK(wrong == 0);
    /* inflate's state in all six runs; its window in the IDX runs (the
     * CSV's stream ends within one inflate call, which needs no window) */
    TT_CHECK(seen_start == 6 && seen_inflate >= 4);
}

static void teardown(void)
{
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));)
        if (e->d_name[0] != '.') unlink(tmp_path(e->d_name));
    if (d) closedir(d);
    rmdir(dir);
}

TT_RUN(TT(idx_basic), TT(idx_malformed), TT(idx_huge_header),
       TT(idx_gzip_damage), TT(gzip_members),
       TT(idx_fashion_mnist), TT(integer_labels), TT(csv_basic), TT(csv_malformed),
       TT(normalization), TT(batcher_order), TT(batcher_shuffle),
       TT(save_roundtrip), TT(save_integer_dtypes), TT(save_mismatch), TT(save_optimizer),
       TT(save_corruption), TT(save_atomic), TT(io_oom), TT(gzip_oom))
