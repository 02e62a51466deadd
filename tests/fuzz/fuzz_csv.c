/* Fuzz target: the CSV reader (tg_csv_load). The first input byte picks
 * the options (delimiter, header line, label column), the rest is the
 * file. Oracles beyond the sanitizers: success gives x [rows, cols] (and y
 * [rows] with a label column) holding finite values only, as the reader
 * promises; failure leaves both arrays empty with a message naming the
 * reader; no block outlives the call. */
#include <math.h>
#include <string.h>

#include "../hardening.h"
#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_array(const tg_array *a, int ndim)
{
    fuzz_check(a->ndim == ndim, "rank");
    int64_t n = 1;
    for (int i = 0; i < a->ndim; i++) {
        fuzz_check(a->shape[i] >= 0, "negative extent");
        n *= a->shape[i];
    }
    fuzz_check(n == a->numel, "numel");
    fuzz_check(a->data != NULL, "data");
    for (int64_t i = 0; i < a->numel; i++)
        fuzz_check(isfinite(a->data[i]), "a value is not finite");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1 << 18)) return 0;
    static const char delims[] = {0, ',', ';', '\t', ' ', '|', '\n', '.'};
    unsigned o = data[0];
    tg_csv_opts opts = {.delimiter = delims[o & 7],
                        .header = (o >> 3) & 1,
                        .has_label = (o >> 4) & 1,
                        .label_col = (int)(o >> 5) - 1}; /* -1..6 */
    hd_alloc ha;
    hd_install(&ha, 0, false, (size_t)64 << 20);
    const char *path = fuzz_file(data + 1, size - 1);
    tg_array x, y;
    memset(&x, 0xA5, sizeof x);
    memset(&y, 0xA5, sizeof y);
    tg_status st = tg_csv_load(path, &opts, &x, &y);
    if (st == TG_OK) {
        check_array(&x, 2);
        if (opts.has_label) {
            check_array(&y, 1);
            fuzz_check(y.shape[0] == x.shape[0], "label rows");
        }
        fuzz_check(x.shape[0] >= 1, "no rows yet success");
        tg_array_free(&x);
        tg_array_free(&y);
    } else {
        fuzz_check(x.data == NULL && x.numel == 0, "failed load left x");
        fuzz_check(y.data == NULL && y.numel == 0, "failed load left y");
        fuzz_check(!strncmp(tg_last_error(), "tg_csv_load: ", 13),
                   "message names the reader");
    }
    fuzz_check(ha.live == 0, "blocks leaked");
    hd_uninstall();
    return 0;
}
