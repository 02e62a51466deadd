/* Fuzz target: the IDX reader (tg_idx_load), plain and gzip-compressed.
 * Oracles beyond the sanitizers: success gives a well-formed array whose
 * element count matches its shape; failure leaves the array empty with a
 * message naming the reader; no block outlives the call. */
#include <math.h>
#include <string.h>

#include "../hardening.h"
#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1 << 20)) return 0;
    hd_alloc ha;
    /* a header may promise any size: refuse what a 1 MB input cannot fill
     * several times over, as a machine without that memory would */
    hd_install(&ha, 0, false, (size_t)64 << 20);
    const char *path = fuzz_file(data, size);
    tg_array a;
    memset(&a, 0xA5, sizeof a);
    tg_status st = tg_idx_load(path, &a);
    if (st == TG_OK) {
        fuzz_check(a.ndim >= 1 && a.ndim <= TG_MAX_DIMS, "rank");
        int64_t n = 1;
        for (int i = 0; i < a.ndim; i++) {
            fuzz_check(a.shape[i] >= 0, "negative extent");
            n *= a.shape[i];
        }
        fuzz_check(n == a.numel, "numel");
        fuzz_check(a.data != NULL, "data");
        volatile float s = 0;
        for (int64_t i = 0; i < a.numel; i++) s += a.data[i];
        (void)s;
        tg_array_free(&a);
    } else {
        fuzz_check(a.data == NULL && a.numel == 0 && a.ndim == 0,
                   "failed load left data behind");
        fuzz_check(!strncmp(tg_last_error(), "tg_idx_load: ", 13),
                   "message names the reader");
        fuzz_check(st == TG_ERR_FORMAT || st == TG_ERR_OOM || st == TG_ERR_IO,
                   "status");
    }
    fuzz_check(ha.live == 0, "blocks leaked");
    hd_uninstall();
    return 0;
}
