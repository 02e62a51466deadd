/* Fuzz target: the argument handling of `tapegrad check | grad | dot`.
 * The input is split at newlines into argv; the first byte picks the
 * command. Files and --all-ops are disabled and inputs are kept small so
 * each run stays fast (64 elements for check, whose finite differences
 * cost a pass per element; 10^4 for grad and dot, enough for slices whose
 * offsets overflow); shapes may be huge when another extent is 0.
 * Everything else is the binary's code path. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzz_common.h"
#include "src/cli/cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 24

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init();
    if (size < 1 || size > 1024) return 0;
    static const char *const cmds[] = {"check", "grad", "dot", "help"};
    char *buf = malloc(size);
    if (!buf) return 0;
    memcpy(buf, data + 1, size - 1);
    buf[size - 1] = 0;
    char *argv[MAX_ARGS + 1];
    int argc = 0;
    argv[argc++] = (char *)cmds[data[0] % 4];
    char *p = buf;
    while (argc < MAX_ARGS) {
        argv[argc++] = p;
        char *nl = memchr(p, '\n', (size_t)(buf + size - 1 - p));
        if (!nl) break;
        *nl = 0;
        p = nl + 1;
    }
    argv[argc] = NULL;
    tg_cli_env env = tg_cli_default_env();
    env.allow_files = false;
    env.allow_all_ops = false;
    env.max_numel = data[0] % 4 == 0 ? 64 : 10000;
    FILE *out = fopen("/dev/null", "w"), *err = fopen("/dev/null", "w");
    if (out && err) tg_cli_run(argc, argv, out, err, &env);
    if (out) fclose(out);
    if (err) fclose(err);
    free(buf);
    return 0;
}
