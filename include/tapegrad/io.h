/* tapegrad/io.h — data readers (IDX, CSV), mini-batches, model save/load.
 *
 * Data arrays are plain f32 host memory (tg_array), independent of any
 * graph; a batcher copies rows of them into per-step graph inputs. Model
 * files hold named tensors (parameters, batch-norm buffers) and, if asked,
 * an optimizer's state, in the versioned, checksummed format described
 * byte by byte in docs/nn.md.
 *
 * Errors: every function here returns a status and leaves the message in
 * tg_last_error(). File errors name the file and, for malformed content,
 * the byte offset ("tg_idx_load: train.idx: truncated at byte offset 1234:
 * …"). Nothing here aborts on bad input, and a failed call leaves its
 * outputs empty (arrays) or unchanged (loaded tensors).
 *
 * Example — Fashion-MNIST, one epoch of mini-batches
 *
 *   tg_array X, Y;
 *   if (tg_idx_load("train-images-idx3-ubyte.gz", &X) != TG_OK ||
 *       tg_idx_load("train-labels-idx1-ubyte.gz", &Y) != TG_OK)
 *       fprintf(stderr, "%s\n", tg_last_error());
 *   tg_array_reshape_rows(&X);             // [60000,28,28] -> [60000,784]
 *   tg_array_scale(&X, 1.0 / 255, 0);      // pixels to [0, 1]
 *   tg_batch_opts bo = {.batch_size = 128, .shuffle = true, .seed = 1};
 *   tg_batcher *b = tg_batcher_new(&X, &Y, &bo);
 *   tg_tensor *x, *y;
 *   while (tg_batcher_next(b, g, TG_F32, &x, &y) > 0) {
 *       ... forward, backward, step ...
 *       tg_graph_reset(g);
 *   }
 *   tg_batcher_free(b);
 *   tg_array_free(&X);
 *   tg_array_free(&Y);
 */
#ifndef TAPEGRAD_IO_H
#define TAPEGRAD_IO_H

#include "tapegrad/core.h"
#include "tapegrad/nn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ----------------------------------------------------------------- arrays */

/* A dense row-major array, f32 (features; the default) or i64 (labels
 * from tg_idx_load_labels or tg_csv_load with int_labels). Row i is the
 * i-th sample: shape[0] rows of numel / shape[0] values. The data
 * (`data` for f32, `i64` for i64: one pointer) is owned by the array
 * (allocated through the allocation hook); free it with tg_array_free. A
 * zeroed struct is a valid empty f32 array. */
typedef struct tg_array {
    int ndim;
    int64_t shape[TG_MAX_DIMS];
    int64_t numel;
    union {
        float *data;  /* dtype TG_F32 */
        int64_t *i64; /* dtype TG_I64 */
    };
    tg_dtype dtype;   /* TG_F32 or TG_I64 */
} tg_array;

/* Free a's data and zero a. NULL or an empty array is a no-op. */
void tg_array_free(tg_array *a);

/* Copy rows [start, start + count) of src into *out (a new array; *out is
 * overwritten, not freed). TG_ERR_ARG when the range leaves src or out is
 * src (src untouched), TG_ERR_OOM on allocation failure (out left
 * empty). */
tg_status tg_array_rows(const tg_array *src, int64_t start, int64_t count,
                        tg_array *out);

/* View a as 2-D [rows, features] (features = product of the other dims);
 * a 1-D array becomes [n, 1]. No copy. TG_ERR_ARG for an empty array. */
tg_status tg_array_reshape_rows(tg_array *a);

/* --------------------------------------------------------------- readers */

/* Read an IDX file (the MNIST / Fashion-MNIST format: 2 zero bytes, a type
 * code — u8, i8, i16, i32, f32 or f64 — the number of dims, big-endian u32
 * dims, then big-endian data). A gzip-compressed file (.gz or any file
 * starting with the gzip magic) is decompressed on the fly; byte offsets
 * in messages then count decompressed bytes. Values are converted to f32.
 * On success *out is a new array of the file's shape (free with
 * tg_array_free). Errors: TG_ERR_IO (cannot open or read), TG_ERR_FORMAT
 * (bad magic, unknown type, more than TG_MAX_DIMS dims, truncated data,
 * trailing bytes, corrupt gzip stream), TG_ERR_OOM; *out is left empty. */
tg_status tg_idx_load(const char *path, tg_array *out);

/* The same for class labels: an IDX file of an integer type (u8, i8, i16,
 * i32) read into an i64 array, exactly. A file of f32 or f64 values is
 * TG_ERR_FORMAT (hint: tg_idx_load). */
tg_status tg_idx_load_labels(const char *path, tg_array *out);

/* CSV reader options; zero-initialise and set what you need. */
typedef struct tg_csv_opts {
    char delimiter;  /* field separator; 0 means ','                       */
    bool header;     /* skip the first line                                */
    bool has_label;  /* split column label_col off into *y                 */
    int label_col;   /* 0-based index of the label column                  */
    bool int_labels; /* *y as an i64 array; a label that is not a whole
                        number below 2^53 in magnitude is TG_ERR_FORMAT             */
} tg_csv_opts;

/* Read a numeric CSV file (gzip-compressed files are read transparently):
 * one sample per line, fields separated by the delimiter, surrounding
 * blanks ignored, empty lines skipped, \n or \r\n line ends. Every field
 * must parse completely as a finite number, and every row must have the
 * first row's number of fields. *x becomes [rows, cols] (without the label
 * column), *y [rows] when opts->has_label (y may be NULL otherwise).
 * opts may be NULL (comma, no header, no label). Errors (tg_last_error
 * names the file, line, field and byte offset): TG_ERR_IO, TG_ERR_FORMAT,
 * TG_ERR_OOM, TG_ERR_ARG (label column out of range); x and y are left
 * empty. x == y is TG_ERR_ARG, with the array left as it was. The file is
 * read line by line: a line longer than 16 MiB is TG_ERR_FORMAT (a binary
 * or sparse file fails on its first line), and anything but a regular
 * file (a pipe, a device) is read up to 1 GiB. */
tg_status tg_csv_load(const char *path, const tg_csv_opts *opts, tg_array *x,
                      tg_array *y);

/* ---------------------------------------------------------- normalization */

/* a = a * mul + add, elementwise (e.g. mul = 1/255 for pixels); an i64
 * array is left as it is. The statistics below read i64 arrays too;
 * feature_stats and standardize refuse them (TG_ERR_ARG). */
void tg_array_scale(tg_array *a, double mul, double add);

/* Mean and standard deviation (population, ddof 0) of every element,
 * accumulated in double. Either pointer may be NULL. */
void tg_array_mean_std(const tg_array *a, double *mean, double *std);

/* Per-feature mean and std over the rows (feature j = column j of the
 * [rows, features] view). mean and std hold numel / shape[0] floats each,
 * caller-provided. TG_ERR_ARG for an empty array or NULL buffers. */
tg_status tg_array_feature_stats(const tg_array *a, float *mean, float *std);

/* a[:, j] = (a[:, j] - mean[j]) / std[j]; a std of 0 (a constant feature)
 * divides by 1 instead. Use the training set's statistics for the test
 * set too. TG_ERR_ARG for an empty array or NULL buffers. */
tg_status tg_array_standardize(tg_array *a, const float *mean,
                               const float *std);

/* ----------------------------------------------------- image augmentation
 *
 * Random shifts and mirror images of the training images, drawn anew for
 * every batch (torchvision's RandomCrop(size, padding=p) followed by
 * RandomHorizontalFlip, on a batch tensor). Use them on the batch that
 * tg_batcher_next returned, before the forward pass, and not on the test
 * set:
 *
 *   tg_augment_opts ao = {.max_shift = 2, .hflip = true, .fill = bg};
 *   while (tg_batcher_next(b, g, TG_F32, &x, &y) > 0) {
 *       tg_images_augment(x, tg_graph_rng(g), &ao);
 *       ... forward, backward, step ...
 *   }
 *
 * The draws come from the tg_rng given, so a seed fixes them. */

/* What happens to one image: mirrored left-right when `flip`, then moved
 * dy rows down and dx columns right (negative: up, left). */
typedef struct tg_image_move {
    int dy, dx;
    bool flip;
} tg_image_move;

/* Apply moves[i] to image i of x in place: with m the image mirrored when
 * moves[i].flip (m[r][c] = x[r][W-1-c]) and x itself otherwise,
 *     out[r][c] = m[r - dy][c - dx]   where that lies inside the image,
 *     out[r][c] = fill                elsewhere (the pixels moved in).
 * x is [N, H, W] or [N, C, H, W] (every channel of an image moves
 * together), f32 or f64, and a per-step input leaf (tg_input,
 * tg_batcher_next) that no op has read yet: a parameter, a constant or an
 * op's output is refused. moves holds N entries; a shift of H rows or W
 * columns or more leaves only fill. Errors (sticky on x's graph, with the
 * function, x's shape and a hint): TG_ERR_ARG for NULL arguments, another
 * rank or dtype, a non-input; TG_ERR_STATE for a stale tensor;
 * TG_ERR_OOM (one image of scratch). x is untouched on error, and a poison
 * x returns its graph's error at once. */
tg_status tg_images_move(tg_tensor *x, const tg_image_move *moves,
                         double fill);

typedef struct tg_augment_opts {
    int max_shift; /* dy, dx uniform in [-max_shift, max_shift] (padding
                      by max_shift, then a random crop); 0: no shift     */
    bool hflip;    /* mirror with probability 1/2                       */
    double fill;   /* the pixels moved in: the background's value (0 for
                      raw pixels, -mean/std after standardising)         */
} tg_augment_opts;

/* Draw one move per image of x from r and apply it (tg_images_move).
 * Per image, in this order: flip = the top bit of tg_rng_next(r) (when
 * hflip), then dy and dx, each max_shift - k for k uniform in
 * [0, 2 max_shift] (an unbiased bounded draw from tg_rng_next; when
 * max_shift > 0). moves_out, when not NULL, receives the N moves drawn.
 * Errors as tg_images_move, and TG_ERR_ARG for a NULL r or opts or a
 * max_shift outside [0, min(H, W) - 1]; nothing is drawn then. */
tg_status tg_images_augment(tg_tensor *x, tg_rng *r,
                            const tg_augment_opts *opts,
                            tg_image_move *moves_out);

/* ---------------------------------------------------------- mini-batches */

typedef struct tg_batch_opts {
    int64_t batch_size; /* rows per batch, >= 1                            */
    bool shuffle;       /* a fresh permutation every epoch                 */
    uint64_t seed;      /* shuffling stream: same seed, same batches       */
    bool drop_last;     /* drop the last partial batch (default: keep it)  */
    /* Sharding for data-parallel training (tapegrad/dist.h): with
     * shard_count = P > 1, every batch of batch_size rows is the global
     * batch of P processes that use the same seed, and this batcher hands
     * out only slice shard_index (0..P-1) of it: rows [k i / P, k (i+1) / P)
     * of a batch of k rows, so the slices differ by at most one row and
     * together are exactly the global batch. A last partial batch with
     * fewer rows than shards is dropped (every slice must be non-empty).
     * 0 or 1: no sharding. */
    int shard_count;
    int shard_index;
} tg_batch_opts;

typedef struct tg_batcher tg_batcher;

/* An iterator over the rows of x (and the matching rows of y, which may be
 * NULL), shape[0] rows each. x and y are borrowed and must outlive the
 * batcher. Returns a caller-owned batcher (free with tg_batcher_free) or
 * NULL with tg_last_error() (TG_ERR_ARG: empty x, row counts differ,
 * batch_size < 1; TG_ERR_OOM). Allocates its index buffer once. */
tg_batcher *tg_batcher_new(const tg_array *x, const tg_array *y,
                           const tg_batch_opts *opts);
void tg_batcher_free(tg_batcher *b); /* NULL is a no-op */

/* The next batch as graph-owned inputs of g in dtype dt: *x of shape
 * [n, x's other dims], *y of shape [n, y's other dims] (y's labels as
 * values, e.g. class indices for tg_cross_entropy; an i64 array gives an
 * i64 tensor whatever dt). Returns n, the rows in
 * the batch (the last one may be partial), or 0 when the epoch is over;
 * the call after that starts the next epoch (reshuffled when shuffling).
 * Returns -1 on error (the graph's sticky error, e.g. out of memory, or a
 * NULL argument in tg_last_error()). y may be NULL. */
int64_t tg_batcher_next(tg_batcher *b, tg_graph *g, tg_dtype dt,
                        tg_tensor **x, tg_tensor **y);
/* Abandon the current epoch: the next call returns the first batch of a
 * new one (a new permutation when shuffling). */
void tg_batcher_reset(tg_batcher *b);
/* Batches per epoch (counting a last partial batch unless drop_last). */
int64_t tg_batcher_num_batches(const tg_batcher *b);
/* Row indices of the batch returned last (borrowed; n entries; with
 * sharding, this process's slice). */
const int64_t *tg_batcher_indices(const tg_batcher *b);
/* Rows of the global batch the last tg_batcher_next took its slice from
 * (without sharding, the n it returned); 0 before the first batch. */
int64_t tg_batcher_global_rows(const tg_batcher *b);

/* ------------------------------------------------------------ save / load */

/* Write tensors[0..n-1] (parameters or any leaf; their names identify them
 * in the file — a NULL name is saved as "#<index>") and, when opt is not
 * NULL, the optimizer's kind, settings, step count and state, to `path`
 * atomically: the file is written to a temporary file in the same
 * directory, flushed to disk (fsync), then renamed over `path`, so a crash
 * at any point leaves either the old file or the new one, never a mix.
 * Only a regular file is replaced, and it keeps its permission bits (a
 * 0600 model stays 0600; a new file gets 0666 less the umask); a symbolic
 * link (dangling or not), device, FIFO, socket or directory at path is
 * refused with TG_ERR_IO and left as it is (save to the link's target).
 * Errors: TG_ERR_ARG (NULL or duplicate names, a poison tensor),
 * TG_ERR_IO (with the system's reason; the temporary file is removed),
 * TG_ERR_OOM. */
tg_status tg_save(const char *path, int n, tg_tensor *const *tensors,
                  const tg_optim *opt);

/* Read `path` into tensors[0..n-1], matched by name, and, when opt is not
 * NULL, into the optimizer (kind and number of parameters must match; its
 * settings, step count and state are restored). The whole file is checked
 * first — magic, version, every CRC32, every name, dtype and shape, the
 * exact set of tensors — and nothing is written unless all of it passes:
 * a truncated, corrupted or mismatched file is rejected whole and every
 * tensor and the optimizer keep their values. Optimizer state in the file
 * is ignored when opt is NULL; opt without state in the file is an error.
 * Errors: TG_ERR_IO, TG_ERR_FORMAT (corruption, truncation, version,
 * mismatch; the message names the file, the tensor and the byte offset),
 * TG_ERR_ARG, TG_ERR_OOM. */
tg_status tg_load(const char *path, int n, tg_tensor *const *tensors,
                  tg_optim *opt);

/* What a non-strict load did not match: one tensor by name, dtype and
 * shape. */
typedef struct tg_load_entry {
    char *name; /* owned by the report */
    tg_dtype dtype;
    int ndim;
    int64_t shape[TG_MAX_DIMS];
} tg_load_entry;

typedef struct tg_load_report {
    int n_loaded;                /* tensors given and read from the file  */
    int n_missing;               /* given but not in the file: unchanged  */
    tg_load_entry *missing;      /*   in the order given                  */
    int n_unexpected;            /* in the file but not given: not read   */
    tg_load_entry *unexpected;   /*   in name order                       */
} tg_load_report;

/* Non-strict load (PyTorch's load_state_dict(strict=False)): read the
 * tensors that the list and the file share by name (a backbone into a new
 * network), leave the others alone, and report those given but not in the
 * file and those in the file but not given. A shared name whose dtype or
 * shape differs is still an error, and the file is checked whole first as
 * by tg_load (magic, version, every CRC32, structure): a damaged file, or
 * any error, writes nothing and leaves the report empty. Optimizer state
 * in the file is ignored. The report (may be NULL) is filled on success;
 * free its names with tg_load_report_free. Errors as tg_load. */
tg_status tg_load_partial(const char *path, int n, tg_tensor *const *tensors,
                          tg_load_report *report);
/* Free the report's arrays and names and zero it; NULL is a no-op. */
void tg_load_report_free(tg_load_report *r);

#ifdef __cplusplus
}
#endif
#endif
