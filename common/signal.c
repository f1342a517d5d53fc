/* common/signal.c: signal watches and sending (xipc/signal.h): argument checks and the handle
 * of a watch. The platform keeps the process-wide part: which watch holds which signal, and how
 * a signal reaches it (xipc__os_signal_*). */
#include "handle.h"

#include <stdlib.h>

struct xipc_signal {
    struct xipc_handle handle;
    struct xipc__os_signal os;
};

/* Whether sig is exactly one of the portable signals. */
static bool
is_one_signal(int sig)
{
    return sig > 0 && (sig & ~XIPC_SIGNAL_ALL) == 0 && (sig & (sig - 1)) == 0;
}

int
xipc_signal_watch(unsigned set, xipc_signal **out)
{
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    *out = NULL;
    if (set == 0 || (set & ~(unsigned)XIPC_SIGNAL_ALL) != 0)
        return XIPC__FAIL(XIPC_EINVAL, "set: empty, or bits that are no XIPC_SIGNAL_*");
    struct xipc_signal *w = calloc(1, sizeof *w);
    if (w == NULL)
        return XIPC_ENOMEM;
    int rc = xipc__os_signal_watch(set, &w->os);
    if (rc != 0) {
        free(w);
        return rc;
    }
    if ((rc = xipc__handle_register(&w->handle, XIPC_KIND_SIGNAL)) != 0) {
        xipc__os_signal_close(&w->os);
        free(w);
        return rc;
    }
    *out = w;
    return 0;
}

int
xipc_signal_next(xipc_signal *w, int *sig, int timeout_ms)
{
    xipc__error_clear();
    int rc = xipc__handle_check(w, XIPC_KIND_SIGNAL);
    if (rc != 0)
        return rc;
    if (sig == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "sig: NULL");
    if ((rc = xipc__timeout_check(timeout_ms)) != 0)
        return rc;
    return xipc__os_signal_next(&w->os, sig, xipc__deadline_in(timeout_ms));
}

void
xipc_signal_close(xipc_signal *w)
{
    xipc__handle_close(w, XIPC_KIND_SIGNAL);
}

xipc_handle *
xipc_signal_handle(xipc_signal *w)
{
    return w != NULL ? &w->handle : NULL;
}

int
xipc_signal_send(uint64_t pid, int sig)
{
    xipc__error_clear();
    if (!is_one_signal(sig))
        return XIPC__FAIL(XIPC_EINVAL, "sig: not exactly one XIPC_SIGNAL_*");
    if (pid == 0)
        return XIPC__FAIL(XIPC_EINVAL, "pid: 0, which names no one process");
    return xipc__os_signal_send(pid, sig);
}

/* ---- What the platforms share --------------------------------------------------------------- */

int
xipc__signal_index(unsigned bit)
{
    int i = 0;
    while (i < XIPC__SIGNAL_KINDS && (1u << i) != bit)
        i++;
    return i;
}

unsigned
xipc__signal_take_next(unsigned set, unsigned *last, bool (*take)(int index))
{
    int start = *last ? xipc__signal_index(*last) + 1 : 0;
    for (int k = 0; k < XIPC__SIGNAL_KINDS; k++) {
        int i = (start + k) % XIPC__SIGNAL_KINDS;
        if ((set & (1u << i)) && take(i)) {
            *last = 1u << i;
            return *last;
        }
    }
    return 0;
}

/* ---- The kind table's row ------------------------------------------------------------------- */

void
xipc__signal_release(struct xipc_handle *h)
{
    struct xipc_signal *w = (struct xipc_signal *)h;
    xipc__os_signal_close(&w->os);
    free(w);
}

bool
xipc__signal_holds(const struct xipc_handle *h, intptr_t native)
{
    return xipc__os_signal_holds(&((const struct xipc_signal *)h)->os, native);
}

void
xipc__signal_waitable(const struct xipc_handle *h, struct xipc__wait *w)
{
    xipc__os_signal_waitable(&((const struct xipc_signal *)h)->os, w);
}
