/* Every public function, called with NULL, zero or all-zero arguments:
 * none may crash, abort or leak (the sanitizer pass of CI sees the
 * memory half). The calls are generated at build time from the public
 * headers (tests/null_args/gen_calls.py), so a function added to a header
 * is called here without being listed anywhere. */
#include <stdio.h>
#include <string.h>
#include <tapegrad/tapegrad.h>

#include "null_args/null_calls.h"
#include "tt.h"

static void every_public_function(void)
{
    /* the generator found the headers' functions (guards against a
     * parser that silently finds nothing) */
    TT_CHECK(null_calls_count > 250);
    bool seen_item = false, seen_rng = false, seen_fmt = false;
    for (int i = 0; i < null_calls_count; i++) {
        seen_item |= !strcmp(null_calls[i].name, "tg_item");
        seen_rng |= !strcmp(null_calls[i].name, "tg_rng_uniform");
        seen_fmt |= !strcmp(null_calls[i].name, "tg_check_format_index");
    }
    TT_CHECK(seen_item && seen_rng && seen_fmt);
    for (int i = 0; i < null_calls_count; i++) {
        fprintf(stderr, "%s\n", null_calls[i].name);
        null_calls[i].call();
        tt_pass++;
    }
    tg_set_allocator(NULL, NULL, NULL);
    tg_set_num_threads(1);
}

TT_RUN(TT(every_public_function))
