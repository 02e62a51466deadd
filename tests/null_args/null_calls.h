/* The table tests/null_args/gen_calls.py generates: one entry per public
 * function, calling it with NULL, zero or all-zero arguments. */
#ifndef TAPEGRAD_TESTS_NULL_CALLS_H
#define TAPEGRAD_TESTS_NULL_CALLS_H

typedef struct null_call {
    const char *name;
    void (*call)(void);
} null_call;

extern const null_call null_calls[];
extern const int null_calls_count;

#endif
