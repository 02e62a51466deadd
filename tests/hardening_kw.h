/* Keyword values for driving every public op through the expression
 * language's function table (src/expr_funcs.c lists each public op with
 * its tensor count, keywords and a wrapper calling the C API): the
 * default, then hostile values of each keyword kind. Shared by the op
 * sweep test and the op fuzzer. */
#ifndef TAPEGRAD_TESTS_HARDENING_KW_H
#define TAPEGRAD_TESTS_HARDENING_KW_H

#include <math.h>
#include <string.h>

#include "src/expr.h"

/* Value number v of keyword k into *out: v = 0 is the default (or a
 * plausible value when the keyword is required); v >= 1 walks the hostile
 * values of the keyword's kind (the parser admits integers up to 1e15; C
 * callers pass any double). False when v is past the last value. */
static bool hd_kw_variant(const tg__kw_spec *k, int v, tg__kw_val *out)
{
    static const double ints[] = {0, 1, -1, 2, 3, 7, -9, 1e15, -1e15,
                                  2147483648.0, 4294967297.0};
    static const double reals[] = {0, 0.5, 1, -1, 1e-12, 2, 1e300, -1e300,
                                   NAN, INFINITY, -INFINITY, 0.999999999};
    static const int64_t lists[][9] = {
        {0}, {1, 0}, {1, -1}, {2, 0, 1}, {2, 0, 0}, {1, 5}, {1, -9},
        {2, -1, -1}, {2, 2, -1}, {1, 6}, {3, 1, 1, -1}, {1, INT64_MAX},
        {2, INT64_C(1) << 40, INT64_C(1) << 40}, {8, 0, 1, 2, 3, 4, 5, 6, 7},
        {1, -1}, {2, 3, 2}, {1, INT64_MIN}};
    memset(out, 0, sizeof *out);
    out->num = k->def;
    if (v == 0) { /* default, or a plausible value when one is required */
        if (k->required) {
            out->given = true;
            out->num = k->kind == TG_ATTR_REAL ? 0.5 : 1;
            out->n = 1;
            out->list[0] = k->kind == TG_ATTR_SHAPE ? -1 : 0;
        }
        return true;
    }
    v--;
    out->given = true;
    switch (k->kind) {
    case TG_ATTR_INT:
    case TG_ATTR_I64:
        if (v >= (int)(sizeof ints / sizeof ints[0])) return false;
        out->num = ints[v];
        return true;
    case TG_ATTR_BOOL:
        if (v >= 2) return false;
        out->num = v;
        return true;
    case TG_ATTR_REAL:
        if (v >= (int)(sizeof reals / sizeof reals[0])) return false;
        out->num = reals[v];
        return true;
    case TG_ATTR_DTYPE:
        if (v >= 2) return false;
        out->num = v ? TG_F64 : TG_F32;
        return true;
    case TG_ATTR_AXES:
    case TG_ATTR_SHAPE:
        if (v >= (int)(sizeof lists / sizeof lists[0])) return false;
        out->n = (int)lists[v][0];
        for (int i = 0; i < out->n; i++) out->list[i] = lists[v][i + 1];
        return true;
    }
    return false;
}

/* Number of keywords of f. */
static int hd_n_kw(const tg__expr_func *f)
{
    int n = 0;
    while (n < TG_EXPR_MAX_KW && f->kw[n].name) n++;
    return n;
}

#endif
