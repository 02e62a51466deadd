/* The `tapegrad` subcommands check, grad and dot, callable in-process so
 * tests and the fuzz harness drive the same code as the binary. */
#ifndef TAPEGRAD_CLI_H
#define TAPEGRAD_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct tg_cli_env {
    bool allow_files;  /* `dot -o FILE` may write files                   */
    bool allow_all_ops;/* `check --all-ops` may run                        */
    int64_t max_numel; /* elements per input (larger: usage error, exit 2) */
} tg_cli_env;

/* Defaults of the binary: files allowed, all-ops allowed, 1 << 24. */
tg_cli_env tg_cli_default_env(void);

/* Run one subcommand: argv[0] is its name ("check", "grad", "dot",
 * "help"). Output goes to out, diagnostics to err. Returns the exit
 * status: 0 success / all checks passed, 1 a gradient check failed,
 * 2 bad usage (unknown command or option, parse error, unknown input,
 * missing or bad shape, shapes that do not fit the ops). */
int tg_cli_run(int argc, char **argv, FILE *out, FILE *err,
               const tg_cli_env *env);

/* The usage text of the subcommands (main adds `demo`). */
void tg_cli_usage(FILE *f);

#endif
