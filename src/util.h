/* Engine utilities that code outside the engine proper may use too (the
 * DOT writer, the command line): allocation through the hook, the
 * thread-local error, shape text. Everything else they need is public
 * (tapegrad/op.h walks a recorded graph); they do not include internal.h,
 * so tg_graph and tg_node stay opaque to them. Not installed. */
#ifndef TAPEGRAD_UTIL_H
#define TAPEGRAD_UTIL_H

#include "tapegrad/tapegrad.h"

/* ---------------------------------------------------------------- memory */

void *tg__malloc(size_t size);            /* hook, 64-byte aligned; NULL = OOM */
void *tg__calloc(size_t size);
void tg__free(void *p);
/* Grow *buf (hook-allocated) to hold at least n items of size sz. */
bool tg__reserve(void **buf, int64_t *cap, int64_t n, size_t sz);

/* ---------------------------------------------------------------- errors */

/* Thread-local error for calls with no graph. */
tg_status tg__set_last_error(tg_status st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---------------------------------------------------------------- shapes */

/* Writes "[a,b,c]" into buf (size >= 16*TG_MAX_DIMS+3 is always enough). */
#define TG_SHAPE_BUF 200
char *tg__fmt_shape(char *buf, int ndim, const int64_t *shape);
bool tg__same_shape(const tg_tensor *a, const tg_tensor *b);
/* Element count with overflow check; false if it exceeds INT64_MAX/16.
 * Every product of extents (element counts, row lengths, strides,
 * offsets) goes through this one function or tg__extent below: a tensor
 * with a 0 extent may have other extents whose product does not fit. */
bool tg__numel(int ndim, const int64_t *shape, int64_t *numel);
/* Product of shape[0..ndim) of a tensor whose shape was already accepted:
 * tg__numel's count, or 0 when that count does not fit. It cannot fit only
 * when another extent of the same tensor is 0, so 0 is the right bound for
 * loops and the offsets they compute (nothing is iterated). */
static inline int64_t tg__extent(int ndim, const int64_t *shape)
{
    int64_t n;
    return tg__numel(ndim, shape, &n) ? n : 0;
}

/* ------------------------------------------------------- replacing files */

/* Create a temporary file beside path (its name in *tmp, hook-allocated,
 * open for writing in *fd) whose content tg__replace_finish renames over
 * path. Refuses (TG_ERR_IO naming who and path, nothing created) when
 * path exists and is not a regular file: a symlink, device, FIFO,
 * directory or socket is never replaced. The temporary takes the existing
 * file's mode. src/replace.c. */
tg_status tg__replace_open(const char *who, const char *path, char **tmp,
                           int *fd);
/* Sync and close fd (fd < 0: the caller did), then rename tmp over path
 * unless err (an errno value) is set or a step fails; on failure the
 * temporary is removed and path is untouched. Frees tmp. Returns 0 or the
 * errno of the failure. */
int tg__replace_finish(const char *path, char *tmp, int fd, int err);

/* ------------------------------------------------------ gradient check */

/* tg_gradcheck_raw with the row's name and a way for f to report a
 * failure it cannot express as a value (the command's --exec and --lib):
 * error(ud) returns a message once f has failed, NULL otherwise. */
tg_status tg__gradcheck_raw(tg_raw_fn f, void *ud, size_t n, const double *x,
                            const char *name, const tg_check_opts *opts,
                            const char *(*error)(void *ud),
                            tg_check_report *report);

#endif
