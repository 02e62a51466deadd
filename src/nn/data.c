/* Data: f32 arrays, the IDX and CSV readers, normalization helpers and the
 * mini-batch iterator.
 *
 * Readers take plain files as they are and gzip files decompressed (by
 * zlib's inflate, its memory from the allocation hook), so one code path
 * serves both. Every read is bounds-checked against what the header
 * promised; a malformed file produces a message naming the file and the
 * byte offset (of the decompressed stream for gzip input), never a crash,
 * and is rejected whole. */
#include "src/nn/nn_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* ----------------------------------------------------------------- arrays */

void tg_array_free(tg_array *a)
{
    if (!a) return;
    tg__free(a->data);
    memset(a, 0, sizeof *a);
}

/* Shape (numel elements) with storage for the first `cap` of them; the
 * data is grown to numel by array_grow as it arrives. */
static size_t esize(const tg_array *a)
{
    return a->dtype == TG_I64 ? sizeof(int64_t) : sizeof(float);
}

static tg_status array_alloc(tg_array *a, tg_dtype dt, int ndim,
                             const int64_t *shape, int64_t numel, int64_t cap,
                             const char *who, const char *path)
{
    memset(a, 0, sizeof *a);
    a->dtype = dt;
    void *d = tg__malloc((size_t)(cap ? cap : 1) * esize(a));
    if (!d) {
        char sb[TG_SHAPE_BUF];
        a->dtype = TG_F32;
        return tg__set_last_error(TG_ERR_OOM,
                                  "%s: %s%sout of memory allocating an %s "
                                  "array of shape %s",
                                  who, path ? path : "", path ? ": " : "",
                                  tg_dtype_name(dt),
                                  tg__fmt_shape(sb, ndim, shape));
    }
    a->ndim = ndim;
    for (int i = 0; i < ndim; i++) a->shape[i] = shape[i];
    a->numel = numel;
    a->data = d;
    return TG_OK;
}

/* A new array of the given shape with uninitialised data; a is zeroed on
 * failure. */
static tg_status array_new(tg_array *a, tg_dtype dt, int ndim,
                           const int64_t *shape, const char *who,
                           const char *path)
{
    memset(a, 0, sizeof *a);
    int64_t numel;
    char sb[TG_SHAPE_BUF];
    if (!tg__numel(ndim, shape, &numel))
        return tg__set_last_error(TG_ERR_FORMAT,
                                  "%s: shape %s holds too many elements", who,
                                  tg__fmt_shape(sb, ndim, shape));
    return array_alloc(a, dt, ndim, shape, numel, numel, who, path);
}

/* Grow a's storage from old to cap elements, keeping its contents. */
static tg_status array_grow(tg_array *a, int64_t old, int64_t cap,
                            const char *who, const char *path)
{
    void *d = tg__malloc((size_t)cap * esize(a));
    if (!d)
        return tg__set_last_error(TG_ERR_OOM, "%s: %s: out of memory growing "
                                              "an array to %lld elements",
                                  who, path, (long long)cap);
    memcpy(d, a->data, esize(a) * (size_t)old);
    tg__free(a->data);
    a->data = d;
    return TG_OK;
}

static int64_t row_size(const tg_array *a)
{
    return (a->ndim > 0 && a->shape[0] > 0) ? a->numel / a->shape[0] : 0;
}

tg_status tg_array_rows(const tg_array *src, int64_t start, int64_t count,
                        tg_array *out)
{
    const char *who = "tg_array_rows";
    if (!src || !out)
        return tg__set_last_error(TG_ERR_ARG, "%s: array is NULL", who);
    if (src == out) /* clearing out first would drop src's data */
        return tg__set_last_error(TG_ERR_ARG,
                                  "%s: the output is the source array; hint: "
                                  "copy into another tg_array, then free the "
                                  "source if it is no longer needed",
                                  who);
    memset(out, 0, sizeof *out);
    int64_t n = src->ndim > 0 ? src->shape[0] : 0;
    if (start < 0 || count < 0 || start > n || count > n - start)
        return tg__set_last_error(TG_ERR_ARG,
                                  "%s: %lld rows from row %lld do not lie "
                                  "within the %lld rows of the array",
                                  who, (long long)count, (long long)start,
                                  (long long)n);
    int64_t shape[TG_MAX_DIMS];
    for (int i = 0; i < src->ndim; i++) shape[i] = src->shape[i];
    shape[0] = count;
    tg_status st = array_new(out, src->dtype, src->ndim, shape, who, NULL);
    if (st != TG_OK) return st;
    int64_t rs = row_size(src);
    if (count)
        memcpy(out->data, (const char *)src->data + esize(src) * start * rs,
               esize(src) * (size_t)(count * rs));
    return TG_OK;
}

tg_status tg_array_reshape_rows(tg_array *a)
{
    if (!a || a->ndim < 1 || !a->data)
        return tg__set_last_error(TG_ERR_ARG,
                                  "tg_array_reshape_rows: array is NULL or "
                                  "empty");
    int64_t rows = a->shape[0];
    a->shape[1] = rows ? a->numel / rows : 0;
    a->ndim = 2;
    return TG_OK;
}

/* ----------------------------------------------------------------- reader */

/* Files are read with read(2) into a hook-allocated buffer. A file that
 * starts with the gzip magic (1f 8b) is inflated through a z_stream whose
 * zalloc/zfree are the allocation hook, so memory running out inside zlib
 * is TG_ERR_OOM like anywhere else; any other file passes through as it
 * is. A gzip file is a series of members (RFC 1952, 2.2) and reads as the
 * concatenation of their data, as gzip -d, zlib's gzread and Python's gzip
 * module read it (`cat a.gz b.gz`): after each member's end, another that
 * starts with the magic is inflated on through the same z_stream. Damage,
 * a cut before any member's end (zlib checks each one's CRC-32 and
 * length) and bytes after a member that do not start another reject the
 * whole file. */
#define RD_IN ((int64_t)1 << 17) /* bytes per read(2) */

typedef struct reader {
    int fd;
    const char *who, *path;
    int64_t off;       /* bytes handed out so far (decompressed)          */
    int64_t in_off;    /* bytes read from the file so far                 */
    bool gz;           /* the file is gzip-compressed                     */
    bool z_live;       /* inflateInit2 succeeded: inflateEnd is owed      */
    bool z_end;        /* the last gzip member ended with the file        */
    bool eof;          /* read(2) returned 0                              */
    unsigned char *in; /* RD_IN bytes, hook-allocated; z.next_in and
                          z.avail_in delimit the unconsumed part (plain
                          files too)                                      */
    z_stream z;
    char at[96];       /* "byte offset N" formatted by where()            */
} reader;

/* "byte offset N", qualified for compressed input. */
static const char *where(reader *r, int64_t off)
{
    snprintf(r->at, sizeof r->at, "byte offset %lld%s", (long long)off,
             r->gz ? " of the decompressed data" : "");
    return r->at;
}

static voidpf rd_zalloc(voidpf opaque, uInt items, uInt size)
{
    (void)opaque;
    if (size && items > SIZE_MAX / size) return Z_NULL;
    return tg__malloc((size_t)items * size);
}

static void rd_zfree(voidpf opaque, voidpf p)
{
    (void)opaque;
    tg__free(p);
}

/* Append up to `room` bytes of the file after the unconsumed input (which
 * the caller has moved to the start of r->in). */
static tg_status rd_fill(reader *r, size_t room)
{
    ssize_t k;
    do k = read(r->fd, r->in + r->z.avail_in, room);
    while (k < 0 && errno == EINTR);
    if (k < 0)
        return tg__set_last_error(TG_ERR_IO,
                                  "%s: %s: read error at byte offset %lld of "
                                  "the file: %s",
                                  r->who, r->path, (long long)r->in_off,
                                  strerror(errno));
    r->z.next_in = r->in;
    r->z.avail_in += (uInt)k;
    r->in_off += k;
    if (k == 0) r->eof = true;
    return TG_OK;
}

static void rd_close(reader *r)
{
    if (r->z_live) inflateEnd(&r->z);
    r->z_live = false;
    tg__free(r->in);
    r->in = NULL;
    if (r->fd >= 0) close(r->fd);
    r->fd = -1;
}

static tg_status rd_open(reader *r, const char *who, const char *path)
{
    memset(r, 0, sizeof *r);
    r->who = who;
    r->path = path;
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0)
        return tg__set_last_error(TG_ERR_IO, "%s: cannot open \"%s\": %s",
                                  who, path, strerror(errno));
    r->in = tg__malloc((size_t)RD_IN);
    if (!r->in) {
        rd_close(r);
        return tg__set_last_error(TG_ERR_OOM,
                                  "%s: %s: out of memory for the read buffer",
                                  who, path);
    }
    tg_status st = TG_OK;
    while (st == TG_OK && r->z.avail_in < 2 && !r->eof)
        st = rd_fill(r, (size_t)RD_IN - r->z.avail_in);
    if (st != TG_OK) {
        rd_close(r);
        return st;
    }
    r->gz = r->z.avail_in >= 2 && r->in[0] == 0x1f && r->in[1] == 0x8b;
    if (!r->gz) return TG_OK;
    r->z.zalloc = rd_zalloc;
    r->z.zfree = rd_zfree;
    r->z.opaque = Z_NULL;
    int ret = inflateInit2(&r->z, 16 + MAX_WBITS); /* gzip wrapper only */
    if (ret != Z_OK) {
        rd_close(r);
        return ret == Z_MEM_ERROR
                   ? tg__set_last_error(TG_ERR_OOM,
                                        "%s: %s: out of memory starting to "
                                        "inflate the gzip data",
                                        who, path)
                   : tg__set_last_error(TG_ERR_IO,
                                        "%s: %s: zlib cannot inflate (error "
                                        "%d, zlib %s)",
                                        who, path, ret, zlibVersion());
    }
    r->z_live = true;
    return TG_OK;
}

/* After a gzip member's end (dec bytes decompressed so far): the file
 * ends there, or the next two bytes are the magic of another member, which
 * inflateReset starts on (same gzip wrapper, the window kept: no
 * allocation); anything else is not gzip data. */
static tg_status rd_next_member(reader *r, int64_t dec)
{
    tg_status st = TG_OK;
    while (st == TG_OK && r->z.avail_in < 2 && !r->eof) {
        memmove(r->in, r->z.next_in, r->z.avail_in); /* rd_fill appends */
        st = rd_fill(r, (size_t)RD_IN - r->z.avail_in);
    }
    if (st != TG_OK) return st;
    if (r->z.avail_in == 0) {
        r->z_end = true;
        return TG_OK;
    }
    if (r->z.avail_in >= 2 && r->z.next_in[0] == 0x1f &&
        r->z.next_in[1] == 0x8b && inflateReset(&r->z) == Z_OK)
        return TG_OK;
    return tg__set_last_error(TG_ERR_FORMAT,
                              "%s: %s: unexpected data at byte offset %lld of "
                              "the file, after the end of a gzip member (%s); "
                              "hint: only another gzip member (1f 8b) may "
                              "follow one",
                              r->who, r->path,
                              (long long)(r->in_off - r->z.avail_in),
                              where(r, dec));
}

/* Read up to n bytes; *got receives the count (short only at the end of
 * the data). A read, format or memory error is reported and returned. */
static tg_status rd_read(reader *r, void *buf, int64_t n, int64_t *got)
{
    int64_t k = 0;
    tg_status st = TG_OK;
    *got = 0;
    while (k < n && !r->z_end) {
        if (r->z.avail_in == 0) {
            if (r->eof && !r->gz) break;
            if (!r->eof && (st = rd_fill(r, (size_t)RD_IN)) != TG_OK)
                return st;
        }
        if (!r->gz) {
            int64_t c = n - k < r->z.avail_in ? n - k : r->z.avail_in;
            memcpy((char *)buf + k, r->z.next_in, (size_t)c);
            r->z.next_in += c;
            r->z.avail_in -= (uInt)c;
            k += c;
            continue;
        }
        uInt want = (uInt)(n - k > (1 << 30) ? (1 << 30) : n - k);
        r->z.next_out = (Bytef *)buf + k;
        r->z.avail_out = want;
        int ret = inflate(&r->z, Z_NO_FLUSH);
        k += want - r->z.avail_out;
        if (ret == Z_STREAM_END) {
            if ((st = rd_next_member(r, r->off + k)) != TG_OK) return st;
        } else if (ret == Z_BUF_ERROR && r->eof && r->z.avail_in == 0) {
            return tg__set_last_error(
                TG_ERR_FORMAT,
                "%s: %s: truncated gzip data: the file ends at byte offset "
                "%lld, inside the compressed stream (%s)",
                r->who, r->path, (long long)r->in_off, where(r, r->off + k));
        } else if (ret == Z_MEM_ERROR) {
            return tg__set_last_error(TG_ERR_OOM,
                                      "%s: %s: out of memory inflating the "
                                      "gzip data",
                                      r->who, r->path);
        } else if (ret != Z_OK && ret != Z_BUF_ERROR) {
            return tg__set_last_error(
                TG_ERR_FORMAT,
                "%s: %s: corrupt gzip data (zlib: %s) at byte offset %lld of "
                "the file (%s)",
                r->who, r->path, r->z.msg ? r->z.msg : "unknown error",
                (long long)(r->in_off - r->z.avail_in), where(r, r->off + k));
        }
    }
    r->off += k;
    *got = k;
    return TG_OK;
}

/* ------------------------------------------------------------------- IDX */

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

/* Convert n big-endian elements of IDX type `type` to float. */
/* The same for the integer types, into int64 (labels). */
static void idx_convert_i64(int64_t *dst, const unsigned char *src, int64_t n,
                            int type)
{
    for (int64_t i = 0; i < n; i++)
        dst[i] = type == 0x08   ? src[i]
                 : type == 0x09 ? (int8_t)src[i]
                 : type == 0x0B ? (int16_t)(uint16_t)(src[2 * i] << 8 |
                                                      src[2 * i + 1])
                                : (int32_t)be32(src + 4 * i);
}

static void idx_convert(float *dst, const unsigned char *src, int64_t n,
                        int type)
{
    switch (type) {
    case 0x08:
        for (int64_t i = 0; i < n; i++) dst[i] = src[i];
        break;
    case 0x09:
        for (int64_t i = 0; i < n; i++) dst[i] = (float)(int8_t)src[i];
        break;
    case 0x0B:
        for (int64_t i = 0; i < n; i++)
            dst[i] = (float)(int16_t)(uint16_t)(src[2 * i] << 8 | src[2 * i + 1]);
        break;
    case 0x0C:
        for (int64_t i = 0; i < n; i++) dst[i] = (float)(int32_t)be32(src + 4 * i);
        break;
    case 0x0D:
        for (int64_t i = 0; i < n; i++) {
            uint32_t u = be32(src + 4 * i);
            memcpy(&dst[i], &u, 4);
        }
        break;
    case 0x0E:
        for (int64_t i = 0; i < n; i++) {
            uint64_t u = (uint64_t)be32(src + 8 * i) << 32 | be32(src + 8 * i + 4);
            double d;
            memcpy(&d, &u, 8);
            dst[i] = (float)d;
        }
        break;
    }
}

static int idx_type_size(int type, const char **name)
{
    switch (type) {
    case 0x08: *name = "u8"; return 1;
    case 0x09: *name = "i8"; return 1;
    case 0x0B: *name = "i16"; return 2;
    case 0x0C: *name = "i32"; return 4;
    case 0x0D: *name = "f32"; return 4;
    case 0x0E: *name = "f64"; return 8;
    default: *name = "?"; return 0;
    }
}

#define IDX_CHUNK ((int64_t)1 << 16) /* a multiple of every element size */

static tg_status idx_load(const char *path, tg_array *out, bool labels)
{
    const char *who = labels ? "tg_idx_load_labels" : "tg_idx_load";
    if (out) memset(out, 0, sizeof *out);
    if (!path || !out)
        return tg__set_last_error(TG_ERR_ARG, "%s: path or output is NULL", who);
    reader r;
    tg_status st = rd_open(&r, who, path);
    if (st != TG_OK) return st;
    unsigned char hdr[4 * (TG_MAX_DIMS + 1)];
    unsigned char *chunk = NULL;
    int64_t got;
    if ((st = rd_read(&r, hdr, 4, &got)) != TG_OK) goto done;
    if (got < 4) {
        st = tg__set_last_error(TG_ERR_FORMAT,
                                "%s: %s: truncated at %s: an IDX file starts "
                                "with a 4-byte header",
                                who, path, where(&r, got));
        goto done;
    }
    if (hdr[0] || hdr[1]) {
        st = tg__set_last_error(TG_ERR_FORMAT,
                                "%s: %s: bad magic at %s: expected 00 00, got "
                                "%02x %02x; hint: not an IDX file",
                                who, path, where(&r, 0), hdr[0], hdr[1]);
        goto done;
    }
    const char *tname;
    int type = hdr[2], es = idx_type_size(type, &tname), ndim = hdr[3];
    if (!es) {
        st = tg__set_last_error(TG_ERR_FORMAT,
                                "%s: %s: unknown data type 0x%02x at %s "
                                "(IDX types: 08 u8, 09 i8, 0b i16, 0c i32, "
                                "0d f32, 0e f64)",
                                who, path, type, where(&r, 2));
        goto done;
    }
    if (labels && (type == 0x0D || type == 0x0E)) {
        st = tg__set_last_error(TG_ERR_FORMAT,
                                "%s: %s: the data type at %s is %s; hint: "
                                "labels are integers (u8, i8, i16 or i32): "
                                "read real values with tg_idx_load",
                                who, path, where(&r, 2), tname);
        goto done;
    }
    if (ndim < 1 || ndim > TG_MAX_DIMS) {
        st = tg__set_last_error(TG_ERR_FORMAT,
                                "%s: %s: %d dimensions at %s; supported: 1 "
                                "to %d",
                                who, path, ndim, where(&r, 3), TG_MAX_DIMS);
        goto done;
    }
    if ((st = rd_read(&r, hdr + 4, 4 * ndim, &got)) != TG_OK) goto done;
    if (got < 4 * ndim) {
        st = tg__set_last_error(TG_ERR_FORMAT,
                                "%s: %s: truncated at %s: the header declares "
                                "%d dims (%d bytes from byte offset 4)",
                                who, path, where(&r, 4 + got), ndim, 4 * ndim);
        goto done;
    }
    int64_t shape[TG_MAX_DIMS];
    for (int i = 0; i < ndim; i++) shape[i] = be32(hdr + 4 + 4 * i);
    char sb[TG_SHAPE_BUF];
    int64_t numel;
    if (!tg__numel(ndim, shape, &numel) || numel > INT64_MAX / 8 / es) {
        st = tg__set_last_error(TG_ERR_FORMAT,
                                "%s: %s: dims %s at byte offset 4 hold too "
                                "many elements",
                                who, path, tg__fmt_shape(sb, ndim, shape));
        goto done;
    }
    int64_t data_off = 4 + 4 * (int64_t)ndim, need = numel * es;
    /* The header alone must not make us allocate: a damaged dim can ask
     * for terabytes. A plain file's size settles truncation up front; a
     * gzip stream's length is unknown, and so is a pipe's or a device's:
     * their array grows with the data actually read (by doubling, from
     * 4 Mi elements). */
    struct stat fs;
    if (!r.gz && fstat(r.fd, &fs) == 0 && S_ISREG(fs.st_mode) &&
        fs.st_size < data_off + need) {
        st = tg__set_last_error(
            TG_ERR_FORMAT,
            "%s: %s: truncated at %s: dims %s of %s need %lld data bytes from "
            "byte offset %lld, the file has %lld",
            who, path, where(&r, (int64_t)fs.st_size),
            tg__fmt_shape(sb, ndim, shape), tname, (long long)need,
            (long long)data_off, (long long)(fs.st_size - data_off));
        goto done;
    }
    bool sized = !r.gz && fstat(r.fd, &fs) == 0 && S_ISREG(fs.st_mode);
    int64_t cap = !sized && numel > ((int64_t)1 << 22) ? (int64_t)1 << 22 : numel;
    if ((st = array_alloc(out, labels ? TG_I64 : TG_F32, ndim, shape, numel,
                          cap, who, path)) != TG_OK)
        goto done;
    chunk = tg__malloc((size_t)IDX_CHUNK);
    if (!chunk) {
        st = tg__set_last_error(TG_ERR_OOM, "%s: %s: out of memory", who, path);
        goto done;
    }
    for (int64_t done_b = 0; done_b < need;) {
        int64_t want = need - done_b < IDX_CHUNK ? need - done_b : IDX_CHUNK;
        if ((st = rd_read(&r, chunk, want, &got)) != TG_OK) goto done;
        if (got < want) {
            st = tg__set_last_error(
                TG_ERR_FORMAT,
                "%s: %s: truncated at %s: dims %s of %s need %lld data bytes "
                "from byte offset %lld, the file has %lld",
                who, path, where(&r, data_off + done_b + got),
                tg__fmt_shape(sb, ndim, shape), tname, (long long)need,
                (long long)data_off, (long long)(done_b + got));
            goto done;
        }
        int64_t end = (done_b + want) / es;
        if (end > cap) {
            int64_t old = cap;
            while (cap < end) cap = cap > numel / 2 ? numel : 2 * cap;
            if ((st = array_grow(out, old, cap, who, path)) != TG_OK)
                goto done;
        }
        if (labels) idx_convert_i64(out->i64 + done_b / es, chunk, want / es, type);
        else idx_convert(out->data + done_b / es, chunk, want / es, type);
        done_b += want;
    }
    if ((st = rd_read(&r, chunk, 1, &got)) != TG_OK) goto done;
    if (got) {
        st = tg__set_last_error(TG_ERR_FORMAT,
                                "%s: %s: unexpected data at %s, after the last "
                                "element; hint: dims %s of %s end there",
                                who, path, where(&r, data_off + need),
                                tg__fmt_shape(sb, ndim, shape), tname);
        goto done;
    }
done:
    tg__free(chunk);
    rd_close(&r);
    if (st != TG_OK) tg_array_free(out);
    return st;
}

tg_status tg_idx_load(const char *path, tg_array *out)
{
    return idx_load(path, out, false);
}

tg_status tg_idx_load_labels(const char *path, tg_array *out)
{
    return idx_load(path, out, true);
}

/* ------------------------------------------------------------------- CSV */

/* Lines of a CSV file, streamed: a buffer holds the current line and what
 * was read after it, so memory stays at the longest line (bounded by
 * CSV_MAX_LINE) plus the parsed numbers, whatever the file holds: a sparse
 * or binary file fails on its first line, not after being read whole.
 * Anything but a regular file (a pipe, a device such as /dev/zero) is read
 * up to CSV_MAX_STREAM bytes. */
#define CSV_MAX_LINE ((int64_t)1 << 24)
#define CSV_MAX_STREAM ((int64_t)1 << 30)

typedef struct lines {
    reader *r;
    char *buf;
    int64_t cap;
    int64_t beg, end; /* unconsumed bytes buf[beg, end)                  */
    int64_t base;     /* byte offset of buf[0] in the (decompressed) data */
    int64_t limit;    /* most bytes read: CSV_MAX_STREAM or INT64_MAX     */
    bool eof;
} lines;

/* The next line in *p (without its \n), its length in *len and its byte
 * offset in *off; *p = NULL at the end. Valid until the next call. */
static tg_status next_line(lines *L, const char **p, int64_t *len,
                           int64_t *off, int64_t line)
{
    reader *r = L->r;
    for (;;) {
        /* nothing buffered yet: buf may still be NULL, which memchr must
         * not see even with a zero length */
        char *nl = L->end > L->beg ? memchr(L->buf + L->beg, '\n',
                                            (size_t)(L->end - L->beg))
                                   : NULL;
        if (nl || (L->eof && L->end > L->beg)) {
            int64_t e = nl ? nl - L->buf : L->end;
            *p = L->buf + L->beg;
            *len = e - L->beg;
            *off = L->base + L->beg;
            L->beg = nl ? e + 1 : e;
            return TG_OK;
        }
        if (L->eof) {
            *p = NULL;
            return TG_OK;
        }
        if (L->end - L->beg > CSV_MAX_LINE)
            return tg__set_last_error(
                TG_ERR_FORMAT,
                "%s: %s: line %lld (%s) is longer than %lld bytes; hint: a "
                "text file of numbers has shorter lines (is it a binary file?)",
                r->who, r->path, (long long)line, where(r, L->base + L->beg),
                (long long)CSV_MAX_LINE);
        if (L->base + L->end >= L->limit)
            return tg__set_last_error(
                TG_ERR_FORMAT,
                "%s: %s: not a regular file and longer than %lld bytes; hint: "
                "only regular files are read to their end (copy the data "
                "into one)",
                r->who, r->path, (long long)L->limit);
        if (L->beg > 0) { /* keep the partial line, at the start */
            memmove(L->buf, L->buf + L->beg, (size_t)(L->end - L->beg));
            L->base += L->beg;
            L->end -= L->beg;
            L->beg = 0;
        }
        int64_t chunk = (int64_t)1 << 16;
        if (!tg__reserve((void **)&L->buf, &L->cap, L->end + chunk, 1))
            return tg__set_last_error(TG_ERR_OOM, "%s: %s: out of memory "
                                                  "reading line %lld",
                                      r->who, r->path, (long long)line);
        int64_t got;
        tg_status st = rd_read(r, L->buf + L->end, chunk, &got);
        if (st != TG_OK) return st;
        L->end += got;
        if (got < chunk) L->eof = true;
    }
}

static bool blank(char c) { return c == ' ' || c == '\t'; }

tg_status tg_csv_load(const char *path, const tg_csv_opts *opts, tg_array *x,
                      tg_array *y)
{
    const char *who = "tg_csv_load";
    if (x && x == y) /* checked before clearing: x's data stays the user's */
        return tg__set_last_error(TG_ERR_ARG,
                                  "%s: x and y are the same array; hint: "
                                  "pass two tg_array variables (y receives "
                                  "the label column)",
                                  who);
    if (x) memset(x, 0, sizeof *x);
    if (y) memset(y, 0, sizeof *y);
    tg_csv_opts o = {0};
    if (opts) o = *opts;
    char delim = o.delimiter ? o.delimiter : ',';
    if (!path || !x || (o.has_label && !y))
        return tg__set_last_error(TG_ERR_ARG,
                                  "%s: path, x, or y (needed for the label "
                                  "column) is NULL",
                                  who);
    reader r;
    tg_status st = rd_open(&r, who, path);
    if (st != TG_OK) return st;
    struct stat fs;
    bool regular = fstat(r.fd, &fs) == 0 && S_ISREG(fs.st_mode);
    lines L = {.r = &r, .limit = regular ? INT64_MAX : CSV_MAX_STREAM};

    float *vals = NULL;
    int64_t nvals = 0, cap = 0, rows = 0, cols = -1, cols_line = 0;
    int64_t *labs = NULL, nlabs = 0, lcap = 0; /* o.int_labels */
    int64_t line = 1;
    const char *p;
    int64_t len, off;
    if (o.header) {
        if ((st = next_line(&L, &p, &len, &off, line)) != TG_OK) goto fail;
        line = 2;
    }
    for (;; line++) {
        if ((st = next_line(&L, &p, &len, &off, line)) != TG_OK) goto fail;
        if (!p) break;
        const char *lend = p + len;
        if (lend > p && lend[-1] == '\r') lend--;
        const char *q = p;
        while (q < lend && blank(*q)) q++;
        if (q == lend) continue; /* empty line */
        int64_t f = 0;
        for (q = p;; f++) {
            const char *fe = memchr(q, delim, (size_t)(lend - q));
            if (!fe) fe = lend;
            const char *a = q, *b = fe;
            while (a < b && blank(*a)) a++;
            while (b > a && blank(b[-1])) b--;
            char tmp[128];
            const char *why = NULL;
            if (a == b) why = "empty field";
            else if (b - a >= (int64_t)sizeof tmp) why = "field too long";
            double v = 0;
            if (!why) {
                memcpy(tmp, a, (size_t)(b - a));
                tmp[b - a] = 0;
                char *ep;
                v = strtod(tmp, &ep);
                /* a NUL byte would end the number early: refused */
                if (*ep || ep == tmp || memchr(tmp, 0, (size_t)(b - a)))
                    why = "not a number";
                else if (!isfinite(v) || fabs(v) > 3.4028234663852886e38)
                    why = "not a finite f32 number";
            }
            bool lab = o.has_label && o.int_labels && f == o.label_col;
            if (!why && lab && !(v == floor(v) && fabs(v) < 9007199254740992.0))
                why = "an integer label is expected (int_labels)";
            if (why) {
                st = tg__set_last_error(
                    TG_ERR_FORMAT,
                    "%s: %s: line %lld, field %lld (%s): %s: \"%.*s\"", who,
                    path, (long long)line, (long long)(f + 1),
                    where(&r, off + (a - p)), why,
                    (int)((b - a) > 40 ? 40 : (b - a)), a);
                goto fail;
            }
            if (!tg__reserve((void **)&vals, &cap, nvals + 1, sizeof(float))) {
                st = tg__set_last_error(TG_ERR_OOM, "%s: %s: out of memory at "
                                                    "line %lld",
                                        who, path, (long long)line);
                goto fail;
            }
            vals[nvals++] = (float)v;
            if (lab) {
                if (!tg__reserve((void **)&labs, &lcap, nlabs + 1,
                                 sizeof(int64_t))) {
                    st = tg__set_last_error(TG_ERR_OOM, "%s: %s: out of "
                                                        "memory at line %lld",
                                            who, path, (long long)line);
                    goto fail;
                }
                labs[nlabs++] = (int64_t)v;
            }
            if (fe == lend) break;
            q = fe + 1;
        }
        f++;
        if (cols < 0) {
            cols = f;
            cols_line = line;
        } else if (f != cols) {
            st = tg__set_last_error(TG_ERR_FORMAT,
                                    "%s: %s: line %lld (%s) has %lld fields, "
                                    "expected %lld as on line %lld",
                                    who, path, (long long)line,
                                    where(&r, off), (long long)f,
                                    (long long)cols, (long long)cols_line);
            goto fail;
        }
        rows++;
    }
    if (rows == 0) {
        st = tg__set_last_error(TG_ERR_FORMAT, "%s: %s: no data rows%s", who,
                                path, o.header ? " after the header" : "");
        goto fail;
    }
    if (o.has_label && (o.label_col < 0 || o.label_col >= cols)) {
        st = tg__set_last_error(TG_ERR_ARG,
                                "%s: %s: label column %d is out of range: rows "
                                "have %lld fields",
                                who, path, o.label_col, (long long)cols);
        goto fail;
    }
    if (!o.has_label) {
        /* the parse buffer becomes the array (allocated through the hook) */
        x->ndim = 2;
        x->shape[0] = rows;
        x->shape[1] = cols;
        x->numel = rows * cols;
        x->data = vals;
        vals = NULL;
    } else {
        int64_t xs[2] = {rows, cols - 1}, ys[1] = {rows};
        if ((st = array_new(x, TG_F32, 2, xs, who, path)) != TG_OK ||
            (st = array_new(y, o.int_labels ? TG_I64 : TG_F32, 1, ys, who,
                            path)) != TG_OK)
            goto fail;
        int64_t lc = o.label_col;
        for (int64_t i = 0; i < rows; i++) {
            const float *src = vals + i * cols;
            float *dst = x->data + i * (cols - 1);
            for (int64_t j = 0, k = 0; j < cols; j++) {
                if (j != lc) dst[k++] = src[j];
                else if (o.int_labels) y->i64[i] = labs[i];
                else y->data[i] = src[j];
            }
        }
    }
    tg__free(labs);
    tg__free(vals);
    tg__free(L.buf);
    rd_close(&r);
    return TG_OK;
fail:
    tg__free(labs);
    tg__free(vals);
    tg__free(L.buf);
    rd_close(&r);
    tg_array_free(x);
    if (y) tg_array_free(y);
    return st;
}

/* --------------------------------------------------------- normalization */

void tg_array_scale(tg_array *a, double mul, double add)
{
    if (!a || !a->data || a->dtype != TG_F32) return; /* labels: untouched */
    float m = (float)mul, c = (float)add;
    for (int64_t i = 0; i < a->numel; i++) a->data[i] = a->data[i] * m + c;
}

void tg_array_mean_std(const tg_array *a, double *mean, double *std)
{
    double mu = NAN, sd = NAN;
    if (a && a->data && a->numel > 0) {
        bool i64 = a->dtype == TG_I64;
#define ELEM(i) (i64 ? (double)a->i64[i] : (double)a->data[i])
        double s = 0;
        for (int64_t i = 0; i < a->numel; i++) s += ELEM(i);
        mu = s / (double)a->numel;
        double s2 = 0;
        for (int64_t i = 0; i < a->numel; i++) {
            double d = ELEM(i) - mu;
#undef ELEM
            s2 += d * d;
        }
        sd = sqrt(s2 / (double)a->numel);
    }
    if (mean) *mean = mu;
    if (std) *std = sd;
}

tg_status tg_array_feature_stats(const tg_array *a, float *mean, float *std)
{
    if (!a || !a->data || a->ndim < 1 || a->shape[0] < 1 || !mean || !std)
        return tg__set_last_error(TG_ERR_ARG,
                                  "tg_array_feature_stats: empty array or "
                                  "NULL output buffers");
    if (a->dtype != TG_F32)
        return tg__set_last_error(TG_ERR_ARG,
                                  "tg_array_feature_stats: the array is %s; "
                                  "hint: features are f32 (labels are not "
                                  "standardized)",
                                  tg_dtype_name(a->dtype));
    int64_t rows = a->shape[0], fs = row_size(a);
    for (int64_t j = 0; j < fs; j++) {
        /* two passes in double: exact enough for 60000 rows of pixels */
        double s = 0, s2 = 0;
        for (int64_t i = 0; i < rows; i++) s += a->data[i * fs + j];
        double mu = s / (double)rows;
        for (int64_t i = 0; i < rows; i++) {
            double d = a->data[i * fs + j] - mu;
            s2 += d * d;
        }
        mean[j] = (float)mu;
        std[j] = (float)sqrt(s2 / (double)rows);
    }
    return TG_OK;
}

tg_status tg_array_standardize(tg_array *a, const float *mean,
                               const float *std)
{
    if (!a || !a->data || a->ndim < 1 || !mean || !std)
        return tg__set_last_error(TG_ERR_ARG,
                                  "tg_array_standardize: empty array or NULL "
                                  "mean/std");
    if (a->dtype != TG_F32)
        return tg__set_last_error(TG_ERR_ARG,
                                  "tg_array_standardize: the array is %s; "
                                  "hint: features are f32 (labels are not "
                                  "standardized)",
                                  tg_dtype_name(a->dtype));
    int64_t rows = a->shape[0], fs = row_size(a);
    for (int64_t i = 0; i < rows; i++) {
        float *row = a->data + i * fs;
        for (int64_t j = 0; j < fs; j++)
            row[j] = (row[j] - mean[j]) / (std[j] > 0 ? std[j] : 1.0f);
    }
    return TG_OK;
}

/* ---------------------------------------------------------- mini-batches */

struct tg_batcher {
    const tg_array *x, *y;
    int64_t n, bs;
    bool shuffle, drop_last;
    bool ended;       /* the last call returned 0: the next starts an epoch */
    int64_t pos;      /* next row of perm to hand out                       */
    int64_t last_pos, last_n;
    int64_t last_global; /* rows of the global batch (sharding)            */
    int shards, shard;   /* slice `shard` of `shards` (1: no sharding)     */
    tg_rng rng;
    int64_t *perm;
};

/* Fisher-Yates with an unbiased bounded draw (rejection on the top
 * sliver), so a seed fixes the order on every machine. */
static void new_epoch(tg_batcher *b)
{
    for (int64_t i = 0; i < b->n; i++) b->perm[i] = i;
    if (b->shuffle)
        for (int64_t i = b->n - 1; i > 0; i--) {
            uint64_t bound = (uint64_t)i + 1, lim = UINT64_MAX - UINT64_MAX % bound;
            uint64_t u;
            do u = tg_rng_next(&b->rng);
            while (u >= lim);
            int64_t j = (int64_t)(u % bound);
            int64_t t = b->perm[i];
            b->perm[i] = b->perm[j];
            b->perm[j] = t;
        }
    b->pos = 0;
    b->ended = false;
}

tg_batcher *tg_batcher_new(const tg_array *x, const tg_array *y,
                           const tg_batch_opts *opts)
{
    const char *who = "tg_batcher_new";
    if (!x || !x->data || x->ndim < 1 || x->shape[0] < 1 || !opts) {
        tg__set_last_error(TG_ERR_ARG, "%s: x is NULL or empty, or opts is "
                                       "NULL", who);
        return NULL;
    }
    if (opts->batch_size < 1) {
        tg__set_last_error(TG_ERR_ARG, "%s: batch_size %lld must be >= 1", who,
                           (long long)opts->batch_size);
        return NULL;
    }
    if (y && (!y->data || y->ndim < 1 || y->shape[0] != x->shape[0])) {
        tg__set_last_error(TG_ERR_ARG,
                           "%s: x has %lld rows but y has %lld; hint: one "
                           "label row per sample",
                           who, (long long)x->shape[0],
                           (long long)(y->ndim ? y->shape[0] : 0));
        return NULL;
    }
    int shards = opts->shard_count > 1 ? opts->shard_count : 1;
    if (opts->shard_count < 0 || opts->shard_index < 0 ||
        opts->shard_index >= shards || opts->batch_size < shards) {
        tg__set_last_error(TG_ERR_ARG,
                           "%s: shard_index %d of shard_count %d with "
                           "batch_size %lld; hint: 0 <= shard_index < "
                           "shard_count <= batch_size (the rank and the "
                           "number of processes)",
                           who, opts->shard_index, opts->shard_count,
                           (long long)opts->batch_size);
        return NULL;
    }
    tg_batcher *b = tg__calloc(sizeof *b);
    int64_t *perm = b ? tg__malloc(sizeof(int64_t) * (size_t)x->shape[0]) : NULL;
    if (!perm) {
        tg__free(b);
        tg__set_last_error(TG_ERR_OOM, "%s: out of memory for %lld indices",
                           who, (long long)x->shape[0]);
        return NULL;
    }
    b->x = x;
    b->y = y;
    b->n = x->shape[0];
    b->bs = opts->batch_size;
    b->shuffle = opts->shuffle;
    b->drop_last = opts->drop_last;
    b->shards = shards;
    b->shard = opts->shard_index;
    b->perm = perm;
    tg_rng_seed(&b->rng, opts->seed);
    new_epoch(b);
    return b;
}

void tg_batcher_free(tg_batcher *b)
{
    if (!b) return;
    tg__free(b->perm);
    tg__free(b);
}

void tg_batcher_reset(tg_batcher *b)
{
    if (b) new_epoch(b);
}

int64_t tg_batcher_num_batches(const tg_batcher *b)
{
    if (!b) return 0;
    return b->drop_last ? b->n / b->bs : (b->n + b->bs - 1) / b->bs;
}

const int64_t *tg_batcher_indices(const tg_batcher *b)
{
    return b ? b->perm + b->last_pos : NULL;
}

int64_t tg_batcher_global_rows(const tg_batcher *b)
{
    return b ? b->last_global : 0;
}

/* Rows perm[pos..pos+k) of a as a graph input of dtype dt (an i64 array:
 * an i64 input, whatever dt). */
static tg_tensor *gather(tg_graph *g, const tg_array *a, const int64_t *idx,
                         int64_t k, tg_dtype dt)
{
    if (a->dtype == TG_I64) dt = TG_I64;
    int64_t shape[TG_MAX_DIMS];
    for (int i = 0; i < a->ndim; i++) shape[i] = a->shape[i];
    shape[0] = k;
    /* Uninitialised storage (every element is written below), so the
     * batch is copied once, not zeroed first as tg_input(NULL) would. */
    tg_tensor *t = tg__new_tensor(g, dt, a->ndim, shape, "tg_batcher_next");
    if (!t) return NULL;
    t->flags = TG_TF_INPUT;
    int64_t rs = row_size(a);
    for (int64_t r = 0; r < k; r++) {
        if (dt == TG_I64) {
            memcpy((int64_t *)t->data + r * rs, a->i64 + idx[r] * rs,
                   sizeof(int64_t) * (size_t)rs);
            continue;
        }
        const float *src = a->data + idx[r] * rs;
        if (dt == TG_F32) {
            memcpy((float *)t->data + r * rs, src, sizeof(float) * (size_t)rs);
        } else {
            double *dst = (double *)t->data + r * rs;
            for (int64_t j = 0; j < rs; j++) dst[j] = src[j];
        }
    }
    return t;
}

int64_t tg_batcher_next(tg_batcher *b, tg_graph *g, tg_dtype dt,
                        tg_tensor **x, tg_tensor **y)
{
    if (!b || !g || !x) {
        tg__set_last_error(TG_ERR_ARG, "tg_batcher_next: batcher, graph or x "
                                       "is NULL");
        return -1;
    }
    *x = &g->poison;
    if (y) *y = &g->poison;
    if (g->status != TG_OK) return -1;
    if (dt != TG_F32 && dt != TG_F64) {
        tg__fail(g, TG_ERR_ARG, "tg_batcher_next: unknown dtype %d", (int)dt);
        return -1;
    }
    if (b->ended) new_epoch(b);
    int64_t left = b->n - b->pos;
    if (left <= 0 || (b->drop_last && left < b->bs) || left < b->shards) {
        b->ended = true;
        return 0;
    }
    int64_t k = left < b->bs ? left : b->bs;
    /* this shard's slice of the global batch of k rows */
    int64_t lo = k * b->shard / b->shards, hi = k * (b->shard + 1) / b->shards;
    const int64_t *idx = b->perm + b->pos + lo;
    tg_tensor *tx = gather(g, b->x, idx, hi - lo, dt);
    tg_tensor *ty = (tx && y && b->y) ? gather(g, b->y, idx, hi - lo, dt)
                                      : NULL;
    if (!tx || (y && b->y && !ty)) return -1;
    *x = tx;
    if (y) *y = b->y ? ty : NULL;
    b->last_pos = b->pos + lo;
    b->last_n = hi - lo;
    b->last_global = k;
    b->pos += k;
    return hi - lo;
}

/* ----------------------------------------------------- image augmentation */

/* Shared checks of tg_images_move and tg_images_augment: x is a fresh
 * per-step input [N, H, W] or [N, C, H, W] of a float dtype. Writes the
 * sizes (C = 1 for rank 3). */
static tg_status images_check(const char *who, tg_tensor *x, int64_t *n,
                              int64_t *c, int64_t *h, int64_t *w)
{
    if (!x) return tg__set_last_error(TG_ERR_ARG, "%s: x is NULL", who);
    if (tg__stale(x)) return tg__stale_fail(who, x);
    if (x->flags & TG_TF_POISON)
        return x->graph && x->graph->status ? x->graph->status
                                            : TG_ERR_STATE;
    char sh[TG_SHAPE_BUF];
    tg__fmt_shape(sh, x->ndim, x->shape);
    if (x->ndim != 3 && x->ndim != 4)
        return tg__nn_fail(x->graph, TG_ERR_ARG,
                           "%s: x has shape %s; hint: a batch of images "
                           "[N, H, W] or [N, C, H, W]",
                           who, sh);
    if (x->dtype != TG_F32 && x->dtype != TG_F64)
        return tg__nn_fail(x->graph, TG_ERR_ARG,
                           "%s: x %s has dtype %s; hint: images are f32 or "
                           "f64",
                           who, sh, tg_dtype_name(x->dtype));
    if (x->node || !(x->flags & TG_TF_INPUT))
        return tg__nn_fail(x->graph, TG_ERR_ARG,
                           "%s: x %s is %s, not an input; hint: augment "
                           "the batch from tg_batcher_next or tg_input "
                           "before any op reads it",
                           who, sh,
                           x->node ? "an op's output"
                           : (x->flags & TG_TF_PARAM)    ? "a parameter"
                           : (x->flags & TG_TF_CONSTANT) ? "a constant"
                                                         : "a leaf");
    *n = x->shape[0];
    *c = x->ndim == 4 ? x->shape[1] : 1;
    *h = x->shape[x->ndim - 2];
    *w = x->shape[x->ndim - 1];
    return TG_OK;
}

/* One image of c planes of h x w elements of es bytes, moved in place
 * through the scratch copy `tmp` (one plane). */
static void image_move(unsigned char *img, unsigned char *tmp, int64_t c,
                       int64_t h, int64_t w, size_t es, tg_image_move m,
                       const unsigned char *fill)
{
    size_t plane = (size_t)(h * w) * es;
    for (int64_t k = 0; k < c; k++, img += plane) {
        memcpy(tmp, img, plane);
        for (int64_t r = 0; r < h; r++) {
            unsigned char *dst = img + (size_t)(r * w) * es;
            int64_t sr = r - m.dy;
            /* columns whose source c - dx lies inside [0, w) */
            int64_t lo = m.dx > 0 ? m.dx : 0, hi = w + (m.dx < 0 ? m.dx : 0);
            if (sr < 0 || sr >= h || lo >= hi) lo = hi = 0;
            for (int64_t col = 0; col < lo; col++)
                memcpy(dst + (size_t)col * es, fill, es);
            for (int64_t col = hi > lo ? hi : 0; col < w; col++)
                memcpy(dst + (size_t)col * es, fill, es);
            if (lo >= hi) continue;
            const unsigned char *src = tmp + (size_t)(sr * w) * es;
            if (!m.flip) {
                memcpy(dst + (size_t)lo * es, src + (size_t)(lo - m.dx) * es,
                       (size_t)(hi - lo) * es);
            } else {
                for (int64_t col = lo; col < hi; col++)
                    memcpy(dst + (size_t)col * es,
                           src + (size_t)(w - 1 - (col - m.dx)) * es, es);
            }
        }
    }
}

/* Draw k uniform in [0, bound) without bias (rejection on the top
 * sliver, as the batcher's shuffle does). */
static uint64_t draw_below(tg_rng *r, uint64_t bound)
{
    uint64_t lim = UINT64_MAX - UINT64_MAX % bound, u;
    do u = tg_rng_next(r);
    while (u >= lim);
    return u % bound;
}

/* The moves of tg_images_move (given) or tg_images_augment (drawn from r
 * with o); the callers have checked that moves, or r and o, are there. */
static tg_status images_apply(const char *who, tg_tensor *x,
                              const tg_image_move *moves, tg_rng *r,
                              const tg_augment_opts *o, tg_image_move *out,
                              double fill)
{
    int64_t n = 0, c = 0, h = 0, w = 0;
    tg_status st = images_check(who, x, &n, &c, &h, &w);
    if (st != TG_OK) return st;
    char sh[TG_SHAPE_BUF];
    tg__fmt_shape(sh, x->ndim, x->shape);
    if (o && (o->max_shift < 0 || (n > 0 && (o->max_shift >= h ||
                                             o->max_shift >= w))))
        return tg__nn_fail(x->graph, TG_ERR_ARG,
                           "%s: max_shift %d for images of %lld x %lld "
                           "(x %s); hint: 0 <= max_shift < min(H, W), "
                           "e.g. 2 or 4 for 28 x 28",
                           who, o->max_shift, (long long)h, (long long)w, sh);
    if (x->numel == 0) return TG_OK;
    size_t es = x->dtype == TG_F32 ? sizeof(float) : sizeof(double);
    unsigned char fb[sizeof(double)];
    if (x->dtype == TG_F32) {
        float f = (float)fill;
        memcpy(fb, &f, sizeof f);
    } else {
        memcpy(fb, &fill, sizeof fill);
    }
    unsigned char *tmp = tg__malloc((size_t)(h * w) * es);
    if (!tmp)
        return tg__nn_fail(x->graph, TG_ERR_OOM,
                           "%s: out of memory for one image of %lld x %lld "
                           "(x %s)",
                           who, (long long)h, (long long)w, sh);
    size_t img = (size_t)(c * h * w) * es;
    for (int64_t i = 0; i < n; i++) {
        tg_image_move m;
        if (moves) {
            m = moves[i];
        } else {
            m = (tg_image_move){0, 0, false};
            if (o->hflip) m.flip = tg_rng_next(r) >> 63;
            if (o->max_shift > 0) {
                uint64_t span = 2 * (uint64_t)o->max_shift + 1;
                m.dy = o->max_shift - (int)draw_below(r, span);
                m.dx = o->max_shift - (int)draw_below(r, span);
            }
            if (out) out[i] = m;
        }
        image_move((unsigned char *)x->data + (size_t)i * img, tmp, c, h, w,
                   es, m, fb);
    }
    tg__free(tmp);
    return TG_OK;
}

tg_status tg_images_move(tg_tensor *x, const tg_image_move *moves,
                         double fill)
{
    if (!moves && x && !tg__stale(x) && !(x->flags & TG_TF_POISON))
        return tg__nn_fail(x->graph, TG_ERR_ARG,
                           "tg_images_move: moves is NULL; hint: one "
                           "tg_image_move per image of x");
    if (!moves && !x)
        return tg__set_last_error(TG_ERR_ARG, "tg_images_move: x is NULL");
    return images_apply("tg_images_move", x, moves, NULL, NULL, NULL, fill);
}

tg_status tg_images_augment(tg_tensor *x, tg_rng *r,
                            const tg_augment_opts *opts,
                            tg_image_move *moves_out)
{
    const char *who = "tg_images_augment";
    if (x && !tg__stale(x) && !(x->flags & TG_TF_POISON) && (!r || !opts))
        return tg__nn_fail(x->graph, TG_ERR_ARG,
                           "%s: %s is NULL; hint: tg_graph_rng(g) and a "
                           "tg_augment_opts",
                           who, !r ? "the rng" : "opts");
    return images_apply(who, x, NULL, r, opts, moves_out,
                        opts ? opts->fill : 0);
}
