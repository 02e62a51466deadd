/* The `tapegrad` command: one binary, subcommands. */
#include <stdio.h>
#include <string.h>
#include <tapegrad/tapegrad.h>

#include "cli.h"
#include "examples/demos.h"

static const tg_demo demos[] = {TG_DEMO_LIST};
#define N_DEMOS ((int)(sizeof demos / sizeof demos[0]))

static void usage(FILE *f)
{
    fprintf(f, "usage: tapegrad COMMAND [ARGS]\n"
               "commands:\n");
    tg_cli_usage(f);
    fprintf(f, "  demo NAME [options]   run a teaching demo (tapegrad demo "
               "--list)\n");
}

static int cmd_demo(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--list")) {
        FILE *f = argc < 2 ? stderr : stdout;
        fprintf(f, "demos:\n");
        for (int i = 0; i < N_DEMOS; i++)
            fprintf(f, "  %-12s %s\n", demos[i].name, demos[i].summary);
        return argc < 2 ? 2 : 0;
    }
    for (int i = 0; i < N_DEMOS; i++)
        if (!strcmp(argv[1], demos[i].name))
            return demos[i].run(argc - 1, argv + 1);
    fprintf(stderr, "tapegrad demo: unknown demo '%s' (tapegrad demo --list)\n",
            argv[1]);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "demo")) return cmd_demo(argc - 1, argv + 1);
    if (!strcmp(argv[1], "check") || !strcmp(argv[1], "grad") ||
        !strcmp(argv[1], "dot") || !strcmp(argv[1], "jvp") ||
        !strcmp(argv[1], "jacobian") || !strcmp(argv[1], "hessian"))
        return tg_cli_run(argc - 1, argv + 1, stdout, stderr, NULL);
    fprintf(stderr, "tapegrad: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
