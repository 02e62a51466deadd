/* Minimal test harness: TT_CHECK / TT_NEAR record failures with file:line
 * and keep going; tt_main runs the registered cases and prints the
 * "N passed, N failed" line meson logs. */
#ifndef TAPEGRAD_TT_H
#define TAPEGRAD_TT_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int tt_pass, tt_fail;
static const char *tt_case;

#define TT_CHECK(cond)                                                      \
    do {                                                                    \
        if (cond) tt_pass++;                                                \
        else {                                                              \
            tt_fail++;                                                      \
            fprintf(stderr, "FAIL %s:%d [%s]: %s\n", __FILE__, __LINE__,    \
                    tt_case, #cond);                                        \
        }                                                                   \
    } while (0)

/* |got - want| <= tol * max(1, |want|) */
#define TT_NEAR(got, want, tol)                                             \
    do {                                                                    \
        double g_ = (double)(got), w_ = (double)(want);                     \
        double s_ = fabs(w_) > 1 ? fabs(w_) : 1;                            \
        if (fabs(g_ - w_) <= (tol) * s_ || (isnan(g_) && isnan(w_)))        \
            tt_pass++;                                                      \
        else {                                                              \
            tt_fail++;                                                      \
            fprintf(stderr, "FAIL %s:%d [%s]: %s = %.17g, want %.17g\n",    \
                    __FILE__, __LINE__, tt_case, #got, g_, w_);             \
        }                                                                   \
    } while (0)

#define TT_STREQ(got, want)                                                 \
    do {                                                                    \
        const char *g_ = (got), *w_ = (want);                               \
        if (g_ && w_ && !strcmp(g_, w_)) tt_pass++;                         \
        else {                                                              \
            tt_fail++;                                                      \
            fprintf(stderr, "FAIL %s:%d [%s]: %s\n  got:  %s\n  want: %s\n", \
                    __FILE__, __LINE__, tt_case, #got, g_ ? g_ : "(null)",  \
                    w_ ? w_ : "(null)");                                    \
        }                                                                   \
    } while (0)

/* Substring match, for messages whose tail may grow. */
#define TT_CONTAINS(got, needle)                                            \
    do {                                                                    \
        const char *g_ = (got), *n_ = (needle);                             \
        if (g_ && strstr(g_, n_)) tt_pass++;                                \
        else {                                                              \
            tt_fail++;                                                      \
            fprintf(stderr, "FAIL %s:%d [%s]: %s lacks \"%s\"\n  got: %s\n", \
                    __FILE__, __LINE__, tt_case, #got, n_,                  \
                    g_ ? g_ : "(null)");                                    \
        }                                                                   \
    } while (0)

typedef struct tt_entry {
    const char *name;
    void (*fn)(void);
} tt_entry;

#define TT(name) {#name, name}

static int tt_main(const tt_entry *cases, int n, int argc, char **argv)
{
    for (int i = 0; i < n; i++) {
        if (argc > 1 && !strstr(cases[i].name, argv[1])) continue;
        tt_case = cases[i].name;
        int before = tt_fail;
        cases[i].fn();
        printf("%-40s %s\n", cases[i].name, tt_fail == before ? "ok" : "FAILED");
    }
    printf("%d passed, %d failed\n", tt_pass, tt_fail);
    return tt_fail ? 1 : 0;
}

#define TT_RUN(...)                                                         \
    int main(int argc, char **argv)                                         \
    {                                                                       \
        static const tt_entry cases_[] = {__VA_ARGS__};                     \
        return tt_main(cases_, (int)(sizeof cases_ / sizeof cases_[0]),     \
                       argc, argv);                                         \
    }

#endif
