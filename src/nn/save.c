/* Model files: a versioned little-endian container of named tensors with a
 * CRC32 per record and one for the whole file, written atomically.
 *
 * Layout (docs/nn.md has the byte-by-byte table):
 *   header   magic[8] version:u32 flags:u32 count:u32 crc(header):u32
 *   record   kind:u8 dtype:u8 ndim:u8 0:u8 name_len:u32 name dims:u64[ndim]
 *            data crc(record):u32                       (count times)
 *   footer   crc(every byte before it):u32
 * Record kinds: 0 a tensor, 1 the optimizer's settings (f64 [10], named by
 * the optimizer kind), 2 one optimizer state buffer (named "<i>/m" or
 * "<i>/v", i the parameter's position in the optimizer).
 *
 * Loading reads the whole file, validates every byte and every match
 * against the destination before writing anything, so a bad file leaves
 * the model and the optimizer exactly as they were. */
#include "src/nn/nn_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define MAGIC "\x89TGW\r\n\x1a\n"
#define VERSION 1u
#define HEADER_SIZE 24
#define FLAG_OPTIM 1u
#define MAX_NAME 4096
#define META_LEN 10 /* kind, steps, n_params, lr, momentum, beta1, beta2,
                       alpha, eps, weight_decay */
enum { REC_TENSOR = 0, REC_OPT_META = 1, REC_OPT_STATE = 2 };

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#define TG_BIG_ENDIAN 1
#endif

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}
static uint64_t get64(const unsigned char *p)
{
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static uint32_t crc(uint32_t c, const void *p, size_t n)
{
    /* zlib's crc32 takes a uInt length; feed large buffers in pieces */
    const unsigned char *b = p;
    while (n) {
        uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
        c = (uint32_t)crc32(c, b, k);
        b += k;
        n -= k;
    }
    return c;
}

static size_t dsize(tg_dtype dt) { return tg_dtype_size(dt); }

/* ----------------------------------------------------------------- writer */

typedef struct writer {
    int fd;
    unsigned char *buf;
    size_t n, cap;
    uint32_t fcrc, rcrc; /* file and current-record checksums */
    int err;             /* errno of the first failed write, or 0 */
} writer;

static void w_flush(writer *w)
{
    size_t off = 0;
    while (!w->err && off < w->n) {
        ssize_t k = write(w->fd, w->buf + off, w->n - off);
        if (k < 0) {
            if (errno == EINTR) continue;
            w->err = errno;
        } else {
            off += (size_t)k;
        }
    }
    w->n = 0;
}

static void w_put(writer *w, const void *p, size_t n)
{
    w->fcrc = crc(w->fcrc, p, n);
    w->rcrc = crc(w->rcrc, p, n);
    const unsigned char *b = p;
    while (n && !w->err) {
        size_t k = w->cap - w->n < n ? w->cap - w->n : n;
        memcpy(w->buf + w->n, b, k);
        w->n += k;
        b += k;
        n -= k;
        if (w->n == w->cap) w_flush(w);
    }
}

/* Tensor data, little-endian. */
static void w_data(writer *w, const void *data, int64_t numel, tg_dtype dt)
{
#ifdef TG_BIG_ENDIAN
    size_t es = dsize(dt);
    const unsigned char *s = data;
    for (int64_t i = 0; i < numel; i++) {
        unsigned char e[8];
        for (size_t k = 0; k < es; k++) e[k] = s[i * es + es - 1 - k];
        w_put(w, e, es);
    }
#else
    w_put(w, data, (size_t)numel * dsize(dt));
#endif
}

static void w_record(writer *w, int kind, const char *name, tg_dtype dt,
                     int ndim, const int64_t *shape, const void *data,
                     int64_t numel)
{
    unsigned char h[8 + 8 * TG_MAX_DIMS];
    size_t len = strlen(name);
    w->rcrc = 0;
    h[0] = (unsigned char)kind;
    h[1] = (unsigned char)dt; /* the tg_dtype value: 0 f32 .. 3 bool */
    h[2] = (unsigned char)ndim;
    h[3] = 0;
    put32(h + 4, (uint32_t)len);
    w_put(w, h, 8);
    w_put(w, name, len);
    for (int i = 0; i < ndim; i++) put64(h + 8 * i, (uint64_t)shape[i]);
    w_put(w, h, 8 * (size_t)ndim);
    w_data(w, data, numel, dt);
    put32(h, w->rcrc);
    w_put(w, h, 4);
}

/* Name under which tensor i is stored. */
static const char *tensor_name(const tg_tensor *t, int i, char *buf,
                               size_t size)
{
    if (t->name) return t->name;
    snprintf(buf, size, "#%d", i);
    return buf;
}

/* The settings record is META_LEN values when the optimizer has one group
 * and (for Adam and AdamW, whose bias correction reads it) every parameter
 * has taken every step, as files of earlier builds hold; otherwise it goes
 * on with the groups and the parameters:
 *   G, then lr and weight_decay of each group, then for each parameter its
 *   group and its own update count.
 * Extended length for G groups and n parameters: */
static int64_t meta_len(int64_t groups, int64_t n)
{
    return META_LEN + 1 + 2 * groups + 2 * n;
}

static bool meta_extended(tg_optim *o)
{
    int np = tg__optim_num_params(o);
    if (tg_optim_num_groups(o) > 1) return true;
    tg_optim_kind k = tg_optim_get_config(o).kind;
    if (k != TG_OPTIM_ADAM && k != TG_OPTIM_ADAMW) return false;
    const int64_t *st = tg__optim_param_steps(o);
    for (int i = 0; i < np; i++)
        if (st[i] != tg_optim_steps(o)) return true;
    return false;
}

static void optim_meta(const tg_optim *o, double *m)
{
    tg_optim_config c = tg_optim_get_config(o);
    m[0] = (double)c.kind;
    m[1] = (double)tg_optim_steps(o);
    m[2] = (double)tg__optim_num_params(o);
    m[3] = c.lr;
    m[4] = c.momentum;
    m[5] = c.beta1;
    m[6] = c.beta2;
    m[7] = c.alpha;
    m[8] = c.eps;
    m[9] = c.weight_decay;
}

/* The saved settings over c (the kind stays c's; validated by the caller). */
static void settings_from(const double *m, tg_optim_config *c)
{
    c->lr = m[3];
    c->momentum = m[4];
    c->beta1 = m[5];
    c->beta2 = m[6];
    c->alpha = m[7];
    c->eps = m[8];
    c->weight_decay = m[9];
}

/* FNV-1a: the duplicate check below hashes the names it stores. */
static uint64_t name_hash(const char *s)
{
    uint64_t h = 14695981039346656037u;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

/* Names must be unique. Each name goes into an open-addressing table of
 * tensor indices (at least twice as many slots as tensors), so the check
 * is linear in the number of tensors; comparing every pair took minutes
 * for a few hundred thousand. Small lists use a table on the stack. */
static tg_status check_save_args(const char *path, int n,
                                 tg_tensor *const *ts)
{
    const char *who = "tg_save";
    if (!path || n < 0 || (n > 0 && !ts))
        return tg__set_last_error(TG_ERR_ARG, "%s: path or tensor list is NULL",
                                  who);
    char b1[32], b2[32];
    for (int i = 0; i < n; i++) {
        const tg_tensor *t = ts[i];
        if (tg__stale(t)) return tg__stale_fail(who, t);
        if (!t || (t->flags & TG_TF_POISON) || !t->data)
            return tg__set_last_error(TG_ERR_ARG,
                                      "%s: %s: tensor %d is NULL or poison",
                                      who, path, i);
        const char *ni = tensor_name(t, i, b1, sizeof b1);
        if (!*ni || strlen(ni) > MAX_NAME)
            return tg__set_last_error(TG_ERR_ARG,
                                      "%s: %s: tensor %d has an empty name or "
                                      "one longer than %d bytes",
                                      who, path, i, MAX_NAME);
    }
    enum { SMALL = 256 };
    int small[SMALL];
    size_t cap = SMALL;
    while (cap < 2 * (size_t)n) cap *= 2;
    int *slot = cap == SMALL ? small : tg__malloc(cap * sizeof *slot);
    if (!slot)
        return tg__set_last_error(TG_ERR_OOM,
                                  "%s: %s: out of memory checking the names "
                                  "of %d tensors",
                                  who, path, n);
    for (size_t k = 0; k < cap; k++) slot[k] = -1;
    tg_status st = TG_OK;
    for (int i = 0; i < n && st == TG_OK; i++) {
        const char *ni = tensor_name(ts[i], i, b1, sizeof b1);
        size_t k = (size_t)name_hash(ni) & (cap - 1);
        for (; slot[k] >= 0; k = (k + 1) & (cap - 1)) {
            int j = slot[k];
            if (strcmp(ni, tensor_name(ts[j], j, b2, sizeof b2))) continue;
            st = tg__set_last_error(
                TG_ERR_ARG,
                "%s: %s: tensors %d and %d are both named \"%s\"; hint: "
                "names identify tensors in the file, so they must be unique",
                who, path, j, i, ni);
            break;
        }
        slot[k] = i;
    }
    if (slot != small) tg__free(slot);
    return st;
}

tg_status tg_save(const char *path, int n, tg_tensor *const *tensors,
                  const tg_optim *opt)
{
    const char *who = "tg_save";
    tg_status st = check_save_args(path, n, tensors);
    if (st != TG_OK) return st;
    /* a temporary beside path, renamed over it when complete; refused
     * when path is not a regular file (src/replace.c) */
    char *tmp;
    writer w = {.fd = -1, .cap = (size_t)1 << 20};
    st = tg__replace_open(who, path, &tmp, &w.fd);
    if (st != TG_OK) return st;
    w.buf = tg__malloc(w.cap);
    if (!w.buf) {
        tg__replace_finish(path, tmp, w.fd, ENOMEM);
        return tg__set_last_error(TG_ERR_OOM, "%s: %s: out of memory", who,
                                  path);
    }

    int nopt = opt ? tg__optim_num_params(opt) : 0, nstate = 0;
    for (int i = 0; i < nopt; i++)
        for (int k = 0; k < 2; k++) nstate += tg__optim_state_name(opt, k) != NULL;
    unsigned char h[HEADER_SIZE];
    memcpy(h, MAGIC, 8);
    put32(h + 8, VERSION);
    put32(h + 12, opt ? FLAG_OPTIM : 0);
    put32(h + 16, (uint32_t)(n + (opt ? 1 + nstate : 0)));
    put32(h + 20, crc(0, h, 20));
    w_put(&w, h, HEADER_SIZE);

    char nb[64];
    for (int i = 0; i < n && !w.err; i++) {
        const tg_tensor *t = tensors[i];
        w_record(&w, REC_TENSOR, tensor_name(t, i, nb, sizeof nb), t->dtype,
                 t->ndim, t->shape, t->data, t->numel);
    }
    if (opt && !w.err) {
        tg_optim *mo = (tg_optim *)opt; /* read only below */
        int ng = tg_optim_num_groups(opt);
        int64_t ms[1] = {meta_extended(mo) ? meta_len(ng, nopt) : META_LEN};
        double *meta = tg__malloc(sizeof(double) * (size_t)ms[0]);
        if (!meta) {
            tg__replace_finish(path, tmp, w.fd, ENOMEM);
            tg__free(w.buf);
            return tg__set_last_error(TG_ERR_OOM, "%s: %s: out of memory", who,
                                      path);
        }
        optim_meta(opt, meta);
        if (ms[0] > META_LEN) {
            double *e = meta + META_LEN;
            *e++ = ng;
            for (int k = 0; k < ng; k++) {
                tg_optim_group gs = tg_optim_get_group(opt, k);
                *e++ = gs.lr;
                *e++ = gs.weight_decay;
            }
            for (int i = 0; i < nopt; i++) {
                *e++ = tg__optim_group_of(opt, i);
                *e++ = (double)tg__optim_param_steps(mo)[i];
            }
        }
        w_record(&w, REC_OPT_META,
                 tg_optim_kind_name(tg_optim_get_config(opt).kind), TG_F64, 1,
                 ms, meta, ms[0]);
        tg__free(meta);
        for (int i = 0; i < nopt && !w.err; i++) {
            const tg_tensor *p = tg__optim_param(opt, i);
            for (int k = 0; k < 2; k++) {
                const char *sn = tg__optim_state_name(opt, k);
                if (!sn) continue;
                snprintf(nb, sizeof nb, "%d/%s", i, sn);
                w_record(&w, REC_OPT_STATE, nb, p->dtype, p->ndim, p->shape,
                         tg__optim_state(opt, i, k), p->numel);
            }
        }
    }
    unsigned char f[4];
    put32(f, w.fcrc);
    w_put(&w, f, 4);
    w_flush(&w);
    w.err = tg__replace_finish(path, tmp, w.fd, w.err);
    if (w.err)
        st = tg__set_last_error(TG_ERR_IO,
                                "%s: cannot write \"%s\": %s; the previous "
                                "file, if any, is unchanged",
                                who, path, strerror(w.err));
    tg__free(w.buf);
    return st;
}

/* ----------------------------------------------------------------- reader */

typedef struct rec {
    int kind;
    tg_dtype dtype;
    int ndim;
    int64_t shape[TG_MAX_DIMS];
    int64_t numel;
    const char *name; /* not terminated: name_len bytes */
    uint32_t name_len;
    const unsigned char *data;
    int64_t offset;   /* of the record in the file */
    uint32_t index;   /* 0-based position in the file (recs get sorted) */
    bool used;
} rec;

typedef struct loaded {
    const char *path;
    unsigned char *buf;
    int64_t size;
    uint32_t flags, count;
    rec *recs;
} loaded;

static tg_status fmt_err(const loaded *L, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static tg_status fmt_err(const loaded *L, const char *fmt, ...)
{
    char msg[TG_ERRMSG_SIZE - 128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return tg__set_last_error(TG_ERR_FORMAT,
                              "tg_load: %s: %s; the model is unchanged",
                              L->path, msg);
}

/* The header (the first min(size, HEADER_SIZE) bytes of a file of `size`
 * bytes): magic, CRC, version, flags, and a record count the size can
 * hold. Checked before the file is read whole, so a file that is not a
 * model costs no allocation of its size. Sets L->flags and L->count. */
static tg_status check_header(loaded *L, const unsigned char *b, int64_t size)
{
    if (size < HEADER_SIZE) {
        if (size >= 8 && memcmp(b, MAGIC, 8))
            return fmt_err(L, "bad magic at byte offset 0; hint: not a "
                              "tapegrad model file");
        return fmt_err(L, "truncated at byte offset %lld: the header needs "
                          "%d bytes",
                       (long long)size, HEADER_SIZE);
    }
    if (memcmp(b, MAGIC, 8))
        return fmt_err(L, "bad magic at byte offset 0; hint: not a tapegrad "
                          "model file");
    uint32_t hc = get32(b + 20);
    if (hc != crc(0, b, 20))
        return fmt_err(L, "header CRC32 mismatch at byte offset 20 (stored "
                          "%08x, computed %08x): the file is corrupted",
                       hc, crc(0, b, 20));
    uint32_t version = get32(b + 8);
    if (version != VERSION)
        return fmt_err(L, "unsupported format version %u at byte offset 8 "
                          "(this build reads version %u)",
                       version, VERSION);
    L->flags = get32(b + 12);
    if (L->flags & ~FLAG_OPTIM)
        return fmt_err(L, "unknown flags %08x at byte offset 12",
                       L->flags);
    L->count = get32(b + 16);
    /* each record takes at least 13 bytes: bounds the allocation */
    if ((int64_t)L->count > (size - HEADER_SIZE) / 13)
        return fmt_err(L, "the header promises %u records, more than %lld "
                          "bytes can hold; the file is truncated or corrupted",
                       L->count, (long long)size);
    return TG_OK;
}

static tg_status read_all(loaded *L)
{
    int fd = open(L->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return tg__set_last_error(TG_ERR_IO, "tg_load: cannot open \"%s\": %s",
                                  L->path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        int e = errno;
        close(fd);
        return tg__set_last_error(TG_ERR_IO, "tg_load: \"%s\" is not a "
                                             "readable regular file%s%s",
                                  L->path, e ? ": " : "", e ? strerror(e) : "");
    }
    L->size = sb.st_size;
    unsigned char h[HEADER_SIZE];
    int64_t hn = L->size < HEADER_SIZE ? L->size : HEADER_SIZE, hk = 0;
    while (hk < hn) {
        ssize_t k = pread(fd, h + hk, (size_t)(hn - hk), (off_t)hk);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            int e = k < 0 ? errno : 0;
            close(fd);
            return tg__set_last_error(TG_ERR_IO, "tg_load: %s: read failed at "
                                                 "byte offset %lld: %s",
                                      L->path, (long long)hk,
                                      e ? strerror(e) : "file shrank");
        }
        hk += k;
    }
    tg_status st = check_header(L, h, L->size);
    if (st != TG_OK) {
        close(fd);
        return st;
    }
    L->buf = tg__malloc((size_t)(L->size ? L->size : 1));
    if (!L->buf) {
        close(fd);
        return tg__set_last_error(TG_ERR_OOM, "tg_load: %s: out of memory for "
                                              "%lld bytes",
                                  L->path, (long long)L->size);
    }
    int64_t off = 0;
    while (off < L->size) {
        ssize_t k = read(fd, L->buf + off, (size_t)(L->size - off));
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            int e = k < 0 ? errno : 0;
            close(fd);
            return tg__set_last_error(TG_ERR_IO, "tg_load: %s: read failed at "
                                                 "byte offset %lld: %s",
                                      L->path, (long long)off,
                                      e ? strerror(e) : "file shrank");
        }
        off += k;
    }
    close(fd);
    return TG_OK;
}

/* Structure and checksums of the whole file; fills L->recs. */
static tg_status parse(loaded *L)
{
    const unsigned char *b = L->buf;
    int64_t size = L->size;
    tg_status st = check_header(L, b, size);
    if (st != TG_OK) return st;
    L->recs = tg__calloc(sizeof(rec) * (L->count ? L->count : 1));
    if (!L->recs)
        return tg__set_last_error(TG_ERR_OOM, "tg_load: %s: out of memory",
                                  L->path);
    int64_t off = HEADER_SIZE;
    for (uint32_t k = 0; k < L->count; k++) {
        rec *r = &L->recs[k];
        r->offset = off;
        r->index = k;
        if (size - off < 8)
            return fmt_err(L, "truncated at byte offset %lld: record %u of %u "
                              "starts there",
                           (long long)size, k + 1, L->count);
        const unsigned char *p = b + off;
        r->kind = p[0];
        if (p[0] > REC_OPT_STATE || p[1] >= TG_DTYPE_COUNT || p[2] > TG_MAX_DIMS ||
            p[3])
            return fmt_err(L, "record %u at byte offset %lld has a bad "
                              "kind/dtype/ndim (%u/%u/%u/%u); the file is "
                              "corrupted",
                           k + 1, (long long)off, p[0], p[1], p[2], p[3]);
        r->dtype = (tg_dtype)p[1];
        r->ndim = p[2];
        r->name_len = get32(p + 4);
        if (r->name_len < 1 || r->name_len > MAX_NAME)
            return fmt_err(L, "record %u at byte offset %lld has a name "
                              "length of %u bytes (1 to %d allowed); the file "
                              "is corrupted",
                           k + 1, (long long)off, r->name_len, MAX_NAME);
        int64_t head = 8 + (int64_t)r->name_len + 8 * (int64_t)r->ndim;
        if (size - off < head)
            return fmt_err(L, "truncated at byte offset %lld: record %u (at "
                              "byte offset %lld) needs %lld header bytes",
                           (long long)size, k + 1, (long long)off,
                           (long long)head);
        r->name = (const char *)p + 8;
        for (int i = 0; i < r->ndim; i++) {
            uint64_t d = get64(p + 8 + r->name_len + 8 * i);
            if (d > (uint64_t)INT64_MAX)
                return fmt_err(L, "record %u (\"%.*s\") has dim %d = %llu; "
                                  "the file is corrupted",
                               k + 1, (int)r->name_len, r->name, i,
                               (unsigned long long)d);
            r->shape[i] = (int64_t)d;
        }
        int64_t bytes;
        if (!tg__numel(r->ndim, r->shape, &r->numel) ||
            r->numel > (size - off - head) / (int64_t)dsize(r->dtype)) {
            char sb[TG_SHAPE_BUF];
            return fmt_err(L, "truncated at byte offset %lld: record %u "
                              "(\"%.*s\", %s %s) at byte offset %lld needs "
                              "more data than the file holds",
                           (long long)size, k + 1, (int)r->name_len, r->name,
                           tg_dtype_name(r->dtype),
                           tg__fmt_shape(sb, r->ndim, r->shape),
                           (long long)off);
        }
        bytes = r->numel * (int64_t)dsize(r->dtype);
        r->data = p + head;
        /* a bool is one byte, 0 or 1; anything else would be read as an
         * invalid C bool */
        for (int64_t i = 0; r->dtype == TG_BOOL && i < r->numel; i++)
            if (r->data[i] > 1)
                return fmt_err(L, "record %u (\"%.*s\", bool) holds byte %u "
                                  "at byte offset %lld; the file is "
                                  "corrupted",
                               k + 1, (int)r->name_len, r->name, r->data[i],
                               (long long)(off + head + i));
        int64_t end = off + head + bytes;
        if (size - end < 4)
            return fmt_err(L, "truncated at byte offset %lld: record %u "
                              "(\"%.*s\") lacks its CRC32 at byte offset %lld",
                           (long long)size, k + 1, (int)r->name_len, r->name,
                           (long long)end);
        uint32_t stored = get32(b + end), got = crc(0, p, (size_t)(head + bytes));
        if (stored != got)
            return fmt_err(L, "record %u (\"%.*s\") at byte offset %lld: CRC32 "
                              "mismatch (stored %08x, computed %08x): the file "
                              "is corrupted",
                           k + 1, (int)r->name_len, r->name, (long long)off,
                           stored, got);
        off = end + 4;
    }
    if (size - off < 4)
        return fmt_err(L, "truncated at byte offset %lld: the file CRC32 "
                          "belongs there",
                       (long long)size);
    if (size - off > 4)
        return fmt_err(L, "%lld unexpected bytes after the file CRC32 at byte "
                          "offset %lld",
                       (long long)(size - off - 4), (long long)(off + 4));
    uint32_t fc = get32(b + off), gc = crc(0, b, (size_t)off);
    if (fc != gc)
        return fmt_err(L, "file CRC32 mismatch at byte offset %lld (stored "
                          "%08x, computed %08x): the file is corrupted",
                       (long long)off, fc, gc);
    return TG_OK;
}

/* Records ordered by kind, then name bytes (shorter first on a common
 * prefix), then file position: validate sorts them once, so duplicate
 * names are neighbours and find is a binary search. A crafted file of
 * many records costs n log n, not the n^2 of comparing every pair. */
static int key_cmp(int ka, const char *na, uint32_t la, int kb,
                   const char *nb, uint32_t lb)
{
    if (ka != kb) return ka < kb ? -1 : 1;
    int c = memcmp(na, nb, la < lb ? la : lb);
    if (c) return c;
    return la == lb ? 0 : la < lb ? -1 : 1;
}

static int rec_cmp(const void *pa, const void *pb)
{
    const rec *a = pa, *b = pb;
    int c = key_cmp(a->kind, a->name, a->name_len, b->kind, b->name,
                    b->name_len);
    if (c) return c;
    return a->index < b->index ? -1 : a->index > b->index;
}

static rec *find(loaded *L, int kind, const char *name)
{
    size_t len = strlen(name), lo = 0, hi = L->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const rec *r = &L->recs[mid];
        int c = key_cmp(r->kind, r->name, r->name_len, kind, name,
                        (uint32_t)len);
        if (c == 0) return &L->recs[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

static tg_status match_shape(const loaded *L, const rec *r, const char *what,
                             const tg_tensor *t)
{
    bool same = r->dtype == t->dtype && r->ndim == t->ndim;
    for (int i = 0; same && i < r->ndim; i++) same = r->shape[i] == t->shape[i];
    if (same) return TG_OK;
    char s1[TG_SHAPE_BUF], s2[TG_SHAPE_BUF];
    return fmt_err(L, "%s \"%.*s\" is %s %s in the file but %s %s in memory",
                   what, (int)r->name_len, r->name,
                   tg_dtype_name(r->dtype),
                   tg__fmt_shape(s1, r->ndim, r->shape),
                   tg_dtype_name(t->dtype),
                   tg__fmt_shape(s2, t->ndim, t->shape));
}

static void copy_in(void *dst, const rec *r)
{
#ifdef TG_BIG_ENDIAN
    size_t es = dsize(r->dtype);
    unsigned char *d = dst;
    for (int64_t i = 0; i < r->numel; i++)
        for (size_t k = 0; k < es; k++) d[i * es + k] = r->data[i * es + es - 1 - k];
#else
    memcpy(dst, r->data, (size_t)r->numel * dsize(r->dtype));
#endif
}

/* Value i of an f64 record. */
static double rec_f64(const rec *r, int64_t i)
{
    uint64_t u = get64(r->data + 8 * i);
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

/* Every check that can fail, with no side effect on the destination. */
static tg_status validate(loaded *L, int n, tg_tensor *const *ts,
                          tg_optim *opt, bool strict)
{
    char nb[64];
    if (L->count > 1) qsort(L->recs, L->count, sizeof *L->recs, rec_cmp);
    for (uint32_t k = 1; k < L->count; k++) {
        const rec *a = &L->recs[k - 1], *c = &L->recs[k];
        if (!key_cmp(a->kind, a->name, a->name_len, c->kind, c->name,
                     c->name_len))
            return fmt_err(L, "records %u and %u are both named \"%.*s\"",
                           a->index + 1, c->index + 1, (int)a->name_len,
                           a->name);
    }
    for (int i = 0; i < n; i++) {
        const tg_tensor *t = ts[i];
        if (!t || (t->flags & TG_TF_POISON) || !t->data)
            return tg__set_last_error(TG_ERR_ARG,
                                      "tg_load: %s: tensor %d is NULL or "
                                      "poison",
                                      L->path, i);
        const char *nm = tensor_name(t, i, nb, sizeof nb);
        rec *r = find(L, REC_TENSOR, nm);
        if (!r && !strict) continue; /* missing: reported, left alone */
        if (!r)
            return fmt_err(L, "tensor \"%s\" (entry %d) is not in the file; "
                              "hint: tg_load_partial loads the tensors the "
                              "file and the list share",
                           nm, i);
        if (r->used)
            return fmt_err(L, "tensor \"%s\" is given twice (entry %d)", nm, i);
        tg_status st = match_shape(L, r, "tensor", t);
        if (st != TG_OK) return st;
        r->used = true;
    }
    for (uint32_t k = 0; strict && k < L->count; k++)
        if (L->recs[k].kind == REC_TENSOR && !L->recs[k].used)
            return fmt_err(L, "the file holds tensor \"%.*s\", which is not "
                              "among the %d tensors given; hint: load into "
                              "the same model that was saved",
                           (int)L->recs[k].name_len, L->recs[k].name, n);
    if (!opt) return TG_OK;

    rec *meta = NULL;
    for (uint32_t k = 0; k < L->count; k++)
        if (L->recs[k].kind == REC_OPT_META) meta = &L->recs[k];
    if (!(L->flags & FLAG_OPTIM) || !meta)
        return fmt_err(L, "the file holds no optimizer state; hint: pass NULL "
                          "as the optimizer to load the model only");
    double m[META_LEN];
    int np = tg__optim_num_params(opt), ng = tg_optim_num_groups(opt);
    if (meta->dtype != TG_F64 || meta->ndim != 1 ||
        (meta->numel != META_LEN && meta->numel < META_LEN + 1))
        return fmt_err(L, "optimizer settings record has the wrong shape");
    for (int i = 0; i < META_LEN; i++) m[i] = rec_f64(meta, i);
    tg_optim_config c = tg_optim_get_config(opt);
    if (meta->numel == META_LEN && ng != 1)
        return fmt_err(L, "the file's optimizer has one parameter group, this "
                          "one %d",
                       ng);
    if (meta->numel > META_LEN) {
        double fg = rec_f64(meta, META_LEN);
        if (fg != (double)ng)
            return fmt_err(L, "the file's optimizer has %g parameter groups, "
                              "this one %d",
                           fg, ng);
        if (meta->numel != meta_len(ng, np))
            return fmt_err(L, "optimizer settings record holds %lld values; "
                              "%d groups and %d parameters need %lld",
                           (long long)meta->numel, ng, np,
                           (long long)meta_len(ng, np));
        for (int k = 0; k < ng; k++) {
            double lr = rec_f64(meta, META_LEN + 1 + 2 * k);
            double wd = rec_f64(meta, META_LEN + 2 + 2 * k);
            if (!(lr >= 0) || !isfinite(lr) || !(wd >= 0) || !isfinite(wd))
                return fmt_err(L, "group %d's settings in the file are invalid "
                                  "(lr %g, weight_decay %g)",
                               k, lr, wd);
        }
        for (int i = 0; i < np; i++) {
            int64_t at = META_LEN + 1 + 2 * (int64_t)ng + 2 * (int64_t)i;
            double gi = rec_f64(meta, at), si = rec_f64(meta, at + 1);
            if (gi != (double)tg__optim_group_of(opt, i))
                return fmt_err(L, "parameter %d is in group %g in the file "
                                  "but in group %d here",
                               i, gi, tg__optim_group_of(opt, i));
            if (!(si >= 0 && si < 9007199254740992.0) || si != floor(si))
                return fmt_err(L, "bad update count %g for parameter %d", si,
                               i);
        }
    }
    if (m[0] != (double)c.kind)
        return fmt_err(L, "the file holds %.*s optimizer state but the "
                          "optimizer is %s",
                       (int)meta->name_len, meta->name,
                       tg_optim_kind_name(c.kind));
    if (m[2] != (double)np)
        return fmt_err(L, "the file's optimizer has %.0f parameters, this "
                          "one %d",
                       m[2], np);
    if (!(m[1] >= 0 && m[1] < 9007199254740992.0))
        return fmt_err(L, "bad optimizer step count %g", m[1]);
    settings_from(m, &c);
    if (tg__optim_config_ok(&c) != TG_OK) {
        char why[512];
        snprintf(why, sizeof why, "%s", tg_last_error());
        return fmt_err(L, "the optimizer settings in the file are invalid "
                          "(%s)",
                       why);
    }
    meta->used = true;
    for (int i = 0; i < np; i++) {
        const tg_tensor *p = tg__optim_param(opt, i);
        for (int k = 0; k < 2; k++) {
            const char *sn = tg__optim_state_name(opt, k);
            if (!sn) continue;
            snprintf(nb, sizeof nb, "%d/%s", i, sn);
            rec *r = find(L, REC_OPT_STATE, nb);
            if (!r)
                return fmt_err(L, "optimizer state \"%s\" is not in the file; "
                                  "hint: were the optimizers configured "
                                  "alike (e.g. rmsprop momentum)?",
                               nb);
            tg_status st = match_shape(L, r, "optimizer state", p);
            if (st != TG_OK) return st;
            r->used = true;
        }
    }
    for (uint32_t k = 0; k < L->count; k++)
        if (L->recs[k].kind == REC_OPT_STATE && !L->recs[k].used)
            return fmt_err(L, "the file holds optimizer state \"%.*s\", which "
                              "this optimizer does not keep",
                           (int)L->recs[k].name_len, L->recs[k].name);
    return TG_OK;
}

tg_status tg_load(const char *path, int n, tg_tensor *const *tensors,
                  tg_optim *opt)
{
    if (!path || n < 0 || (n > 0 && !tensors))
        return tg__set_last_error(TG_ERR_ARG,
                                  "tg_load: path or tensor list is NULL");
    /* a stale tensor's data may be a newer tensor's by now: never write */
    for (int i = 0; i < n; i++)
        if (tg__stale(tensors[i])) return tg__stale_fail("tg_load", tensors[i]);
    loaded L = {.path = path};
    tg_status st = read_all(&L);
    if (st == TG_OK) st = parse(&L);
    if (st == TG_OK) st = validate(&L, n, tensors, opt, true);
    if (st == TG_OK) {
        /* Commit: nothing below can fail. */
        char nb[64];
        for (int i = 0; i < n; i++)
            copy_in(tensors[i]->data,
                    find(&L, REC_TENSOR,
                         tensor_name(tensors[i], i, nb, sizeof nb)));
        if (opt) {
            const rec *meta = L.recs; /* validate found it */
            for (uint32_t k = 0; k < L.count; k++)
                if (L.recs[k].kind == REC_OPT_META) meta = &L.recs[k];
            double m[META_LEN];
            for (int i = 0; i < META_LEN; i++) m[i] = rec_f64(meta, i);
            tg_optim_config c = tg_optim_get_config(opt);
            settings_from(m, &c);
            tg__optim_set_config(opt, &c);
            *tg__optim_step_ptr(opt) = (int64_t)m[1];
            int np = tg__optim_num_params(opt), ng = tg_optim_num_groups(opt);
            int64_t *steps = tg__optim_param_steps(opt);
            for (int i = 0; i < np; i++)
                steps[i] = meta->numel > META_LEN
                               ? (int64_t)rec_f64(meta, META_LEN + 1 + 2 * ng + 2 * i + 1)
                               : (int64_t)m[1];
            for (int k = 0; meta->numel > META_LEN && k < ng; k++)
                tg__optim_set_group_raw(opt, k,
                                        rec_f64(meta, META_LEN + 1 + 2 * k),
                                        rec_f64(meta, META_LEN + 2 + 2 * k));
            for (int i = 0; i < tg__optim_num_params(opt); i++)
                for (int k = 0; k < 2; k++) {
                    const char *sn = tg__optim_state_name(opt, k);
                    if (!sn) continue;
                    snprintf(nb, sizeof nb, "%d/%s", i, sn);
                    copy_in(tg__optim_state(opt, i, k),
                            find(&L, REC_OPT_STATE, nb));
                }
        }
    }
    tg__free(L.recs);
    tg__free(L.buf);
    return st;
}

/* ------------------------------------------------------- partial loading */

static void entry_set(tg_load_entry *e, int ndim, const int64_t *shape,
                      tg_dtype dt)
{
    e->dtype = dt;
    e->ndim = ndim;
    for (int d = 0; d < ndim; d++) e->shape[d] = shape[d];
}

void tg_load_report_free(tg_load_report *r)
{
    if (!r) return;
    for (int i = 0; i < r->n_missing; i++) tg__free(r->missing[i].name);
    for (int i = 0; i < r->n_unexpected; i++) tg__free(r->unexpected[i].name);
    tg__free(r->missing);
    tg__free(r->unexpected);
    memset(r, 0, sizeof *r);
}

static char *dup_n(const char *s, size_t n)
{
    char *d = tg__malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

/* The report of a validated non-strict load: what was given but is not in
 * the file, what the file holds that was not given. */
static tg_status fill_report(loaded *L, int n, tg_tensor *const *ts,
                             tg_load_report *rep)
{
    char nb[64];
    int miss = 0, extra = 0;
    for (int i = 0; i < n; i++)
        miss += !find(L, REC_TENSOR, tensor_name(ts[i], i, nb, sizeof nb));
    for (uint32_t k = 0; k < L->count; k++)
        extra += L->recs[k].kind == REC_TENSOR && !L->recs[k].used;
    rep->n_loaded = n - miss;
    rep->missing = tg__calloc(sizeof *rep->missing * (size_t)(miss ? miss : 1));
    rep->unexpected =
        tg__calloc(sizeof *rep->unexpected * (size_t)(extra ? extra : 1));
    bool ok = rep->missing && rep->unexpected;
    for (int i = 0; ok && i < n; i++) {
        const char *nm = tensor_name(ts[i], i, nb, sizeof nb);
        if (find(L, REC_TENSOR, nm)) continue;
        tg_load_entry *e = &rep->missing[rep->n_missing];
        ok = (e->name = dup_n(nm, strlen(nm))) != NULL;
        if (!ok) break;
        entry_set(e, ts[i]->ndim, ts[i]->shape, ts[i]->dtype);
        rep->n_missing++;
    }
    /* in name order (the records are sorted by then) */
    for (uint32_t k = 0; ok && k < L->count; k++) {
        const rec *r = &L->recs[k];
        if (r->kind != REC_TENSOR || r->used) continue;
        tg_load_entry *e = &rep->unexpected[rep->n_unexpected];
        ok = (e->name = dup_n(r->name, r->name_len)) != NULL;
        if (ok) {
            entry_set(e, r->ndim, r->shape, r->dtype);
            rep->n_unexpected++;
        }
    }
    if (ok) return TG_OK;
    tg_load_report_free(rep);
    return tg__set_last_error(TG_ERR_OOM, "tg_load_partial: %s: out of memory "
                                          "for the report; the model is "
                                          "unchanged",
                              L->path);
}

tg_status tg_load_partial(const char *path, int n, tg_tensor *const *tensors,
                          tg_load_report *report)
{
    const char *who = "tg_load_partial";
    if (report) memset(report, 0, sizeof *report);
    if (!path || n < 0 || (n > 0 && !tensors))
        return tg__set_last_error(TG_ERR_ARG, "%s: path or tensor list is NULL",
                                  who);
    for (int i = 0; i < n; i++)
        if (tg__stale(tensors[i])) return tg__stale_fail(who, tensors[i]);
    loaded L = {.path = path};
    tg_status st = read_all(&L);
    if (st == TG_OK) st = parse(&L);
    if (st == TG_OK) st = validate(&L, n, tensors, NULL, false);
    tg_load_report local = {0};
    if (st == TG_OK) st = fill_report(&L, n, tensors, report ? report : &local);
    if (st == TG_OK) {
        /* Commit: nothing below can fail. */
        char nb[64];
        for (int i = 0; i < n; i++) {
            const rec *r = find(&L, REC_TENSOR,
                                tensor_name(tensors[i], i, nb, sizeof nb));
            if (r) copy_in(tensors[i]->data, r);
        }
    }
    tg_load_report_free(&local);
    tg__free(L.recs);
    tg__free(L.buf);
    if (st != TG_OK) {
        /* the messages of the shared readers name tg_load */
        char msg[TG_ERRMSG_SIZE];
        const char *e = tg_last_error();
        snprintf(msg, sizeof msg, "%s", e ? e : "");
        if (!strncmp(msg, "tg_load: ", 9))
            tg__set_last_error(st, "%s: %s", who, msg + 9);
    }
    return st;
}
