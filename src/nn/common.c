/* Helpers shared by the nn files. */
#include "src/nn/nn_internal.h"

#include <stdio.h>

tg_status tg__nn_fail(tg_graph *g, tg_status st, const char *fmt, ...)
{
    char msg[TG_ERRMSG_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* With a graph the message becomes its sticky error (first one wins)
     * and is mirrored into the thread's last error by tg__fail. */
    if (g) return tg__fail(g, st, "%s", msg);
    return tg__set_last_error(st, "%s", msg);
}
