/* The teaching demos run by `tapegrad demo NAME`. Each lives in its own
 * file of examples/ and uses the public API only. */
#ifndef TAPEGRAD_DEMOS_H
#define TAPEGRAD_DEMOS_H

typedef struct tg_demo {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the demo name */
} tg_demo;

int tg_demo_tiny(int argc, char **argv);

#define TG_DEMO_LIST                                                       \
    {"tiny", "a 2-8-1 tanh network learns XOR in a few hundred steps",     \
     tg_demo_tiny},

#endif
