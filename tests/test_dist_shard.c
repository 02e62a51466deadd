/* Sharded batches (tg_batch_opts.shard_count / shard_index): the slices of
 * P batchers with one seed are, side by side, exactly the unsharded
 * batcher's batches, epoch after epoch. No MPI needed. */
#include <stdlib.h>
#include <string.h>
#include <tapegrad/tapegrad.h>

#include "tt.h"

static void fill(tg_array *a, int64_t rows, int64_t cols, float base)
{
    a->ndim = 2;
    a->shape[0] = rows;
    a->shape[1] = cols;
    a->numel = rows * cols;
    a->data = malloc(sizeof(float) * (size_t)a->numel);
    for (int64_t i = 0; i < a->numel; i++) a->data[i] = base + (float)i;
}

static void slices_make_the_global_batch(int shards, int64_t bs, bool drop_last)
{
    enum { ROWS = 23, COLS = 3 };
    tg_array X, Y;
    fill(&X, ROWS, COLS, 0);
    fill(&Y, ROWS, 1, 1000);
    tg_graph *g = tg_graph_new();
    tg_batch_opts o = {.batch_size = bs, .shuffle = true, .seed = 9,
                       .drop_last = drop_last};
    tg_batcher *whole = tg_batcher_new(&X, &Y, &o);
    tg_batcher *part[4];
    for (int s = 0; s < shards; s++) {
        tg_batch_opts os = o;
        os.shard_count = shards;
        os.shard_index = s;
        part[s] = tg_batcher_new(&X, &Y, &os);
        TT_CHECK(part[s] != NULL);
        TT_CHECK(tg_batcher_num_batches(part[s]) ==
                 tg_batcher_num_batches(whole));
    }
    int64_t batches = 0;
    for (int epoch = 0; epoch < 3; epoch++) {
        for (;;) {
            tg_tensor *x, *y;
            int64_t n = tg_batcher_next(whole, g, TG_F64, &x, &y);
            TT_CHECK(n >= 0);
            /* a last batch too small to give every shard a row is dropped */
            bool dropped = n > 0 && n < shards;
            int64_t row = 0;
            for (int s = 0; s < shards; s++) {
                tg_tensor *xs, *ys;
                int64_t k = tg_batcher_next(part[s], g, TG_F64, &xs, &ys);
                if (n == 0 || dropped) {
                    TT_CHECK(k == 0);
                    continue;
                }
                /* balanced contiguous slices: sizes differ by at most 1 */
                TT_CHECK(k == n * (s + 1) / shards - n * s / shards);
                TT_CHECK(tg_batcher_global_rows(part[s]) == n);
                for (int64_t i = 0; i < k * COLS; i++)
                    TT_CHECK(tg_get(xs, i) == tg_get(x, row * COLS + i));
                for (int64_t i = 0; i < k; i++)
                    TT_CHECK(tg_get(ys, i) == tg_get(y, row + i) &&
                             tg_batcher_indices(part[s])[i] ==
                                 tg_batcher_indices(whole)[row + i]);
                row += k;
            }
            if (n == 0 || dropped) {
                if (dropped) TT_CHECK(tg_batcher_next(whole, g, TG_F64, &x, &y) == 0);
                break;
            }
            TT_CHECK(row == n);
            batches++;
            tg_graph_reset(g);
        }
        tg_graph_reset(g);
    }
    TT_CHECK(batches > 3);
    for (int s = 0; s < shards; s++) tg_batcher_free(part[s]);
    tg_batcher_free(whole);
    tg_graph_free(g);
    free(X.data);
    free(Y.data);
}

static void two_shards(void) { slices_make_the_global_batch(2, 8, false); }
static void three_shards_odd(void) { slices_make_the_global_batch(3, 7, false); }
static void four_shards_drop_last(void) { slices_make_the_global_batch(4, 5, true); }
/* 23 rows, batches of 10: the last has 3 rows, fewer than 4 shards */
static void tiny_last_batch(void) { slices_make_the_global_batch(4, 10, false); }

static void bad_options(void)
{
    tg_array X;
    fill(&X, 10, 2, 0);
    tg_batch_opts o = {.batch_size = 4, .shard_count = 2, .shard_index = 2};
    TT_CHECK(tg_batcher_new(&X, NULL, &o) == NULL);
    TT_CONTAINS(tg_last_error(), "tg_batcher_new: shard_index 2 of shard_count 2");
    o.shard_index = -1;
    TT_CHECK(tg_batcher_new(&X, NULL, &o) == NULL);
    o = (tg_batch_opts){.batch_size = 2, .shard_count = 3};
    TT_CHECK(tg_batcher_new(&X, NULL, &o) == NULL);
    TT_CONTAINS(tg_last_error(), "shard_count <= batch_size");
    o = (tg_batch_opts){.batch_size = 2, .shard_count = 1};
    tg_batcher *b = tg_batcher_new(&X, NULL, &o);
    TT_CHECK(b != NULL);
    TT_CHECK(tg_batcher_global_rows(b) == 0);
    tg_batcher_free(b);
    free(X.data);
}

int main(int argc, char **argv)
{
    static const tt_entry cases[] = {
        TT(two_shards), TT(three_shards_odd), TT(four_shards_drop_last),
        TT(tiny_last_batch), TT(bad_options),
    };
    return tt_main(cases, (int)(sizeof cases / sizeof cases[0]), argc, argv);
}
