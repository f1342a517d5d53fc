/* common/waitset.c: wait sets (xipc/waitset.h), the part both platforms share: argument checks,
 * the list of live sets that a handle's close walks, and the one look at an object no OS handle
 * reports (common/platform.h, "Wait sets").
 *
 * How a wait is made. Each handle answers through the kind table how a wait on it is made
 * (struct xipc__wait): a descriptor (POSIX), a HANDLE that is signalled (Windows), a HANDLE that
 * is signalled once an overlapped call runs on it (Windows pipe ends: the set keeps a zero-byte
 * read pending), or nothing the OS reports (a helper: POSIX events, semaphores and mutexes in
 * shared memory; a Windows FIFO reader). Data held in user space comes on top (held). The
 * platform sleeps in one OS call on everything it can (epoll, with a helper thread that turns
 * POSIX events' futex words into a note in the epoll set; WaitForMultipleObjects, with watcher
 * threads past its 64 handles), and looks at the rest itself before each sleep, whose length it
 * bounds while such objects are in the set (xipc__waitset_try).
 *
 * Nothing stolen: an acquiring object (an event, a semaphore, a mutex) is taken only by the
 * waiting thread, by the one look (POSIX) or by WaitForMultipleObjects itself (Windows, which
 * takes only the object it reports), and at most one per call. Nothing lost: the sets are
 * level-triggered, and a wake is a counter (an eventfd, an event) that stays until a wait sees
 * it.
 *
 * Closing a handle removes it from every set (xipc__waitset_forget, from xipc__handle_close)
 * before its OS handles close: a descriptor left in an epoll set would outlive its close in a
 * forked child's copy, and Windows leaves undefined a wait whose handle is closed. */
#include "handle.h"

#include <stdatomic.h>
#include <stdlib.h>

#define WAITSET_MAGIC 0x57535430u /* "WST0" */

struct xipc_waitset {
    uint32_t magic; /* WAITSET_MAGIC while open */
    struct xipc__os_waitset *os;
    struct xipc_waitset *next; /* in live_sets, under the process-wide lock */
};

/* Every open set, so that a handle's close finds the sets that hold it. */
static struct xipc_waitset *live_sets;
static atomic_bool any_set; /* whether live_sets was ever non-empty: closes skip the lock before */

static int
set_check(const xipc_waitset *ws)
{
    if (ws == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "ws: NULL");
    if (ws->magic != WAITSET_MAGIC)
        return XIPC__FAIL(XIPC_EINVAL, "ws: closed, or not a wait set");
    return 0;
}

int
xipc_waitset_open(xipc_waitset **out)
{
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    *out = NULL;
    struct xipc_waitset *ws = calloc(1, sizeof *ws);
    if (ws == NULL)
        return XIPC_ENOMEM;
    int rc = xipc__os_waitset_open(&ws->os);
    if (rc != 0) {
        free(ws);
        return rc;
    }
    ws->magic = WAITSET_MAGIC;
    xipc__os_global_lock();
    ws->next = live_sets;
    live_sets = ws;
    atomic_store(&any_set, true);
    xipc__os_global_unlock();
    *out = ws;
    return 0;
}

void
xipc_waitset_close(xipc_waitset *ws)
{
    if (ws == NULL || ws->magic != WAITSET_MAGIC)
        return;
    xipc__os_global_lock();
    for (struct xipc_waitset **p = &live_sets; *p != NULL; p = &(*p)->next) {
        if (*p == ws) {
            *p = ws->next;
            break;
        }
    }
    xipc__os_global_unlock();
    ws->magic = 0;
    xipc__os_waitset_close(ws->os);
    free(ws);
}

void
xipc__waitset_forget(struct xipc_handle *h)
{
    if (!atomic_load(&any_set))
        return;
    xipc__os_global_lock();
    for (struct xipc_waitset *ws = live_sets; ws != NULL; ws = ws->next)
        (void)xipc__os_waitset_remove(ws->os, h);
    xipc__os_global_unlock();
}

/* Checks what add and modify share; fills *w with how h waits. */
static int
entry_check(const xipc_waitset *ws, xipc_handle *h, unsigned events, struct xipc__wait *w)
{
    int rc = set_check(ws);
    if (rc != 0)
        return rc;
    if ((rc = xipc__handle_check(h, 0)) != 0)
        return rc;
    if (events == 0 || (events & ~(XIPC_WAITSET_READ | XIPC_WAITSET_WRITE)) != 0)
        return XIPC__FAIL(XIPC_EINVAL, "events: 0, or bits other than READ and WRITE");
    bool writes =
        h->kind == XIPC_KIND_STREAM || h->kind == XIPC_KIND_MSGPIPE || h->kind == XIPC_KIND_MQ;
    if ((events & XIPC_WAITSET_WRITE) && !writes)
        return XIPC__FAIL(XIPC_EINVAL, "events: WRITE for a kind that is never written");
    xipc__handle_waitable(h, w);
    if (w->how == XIPC__WAIT_NONE)
        return XIPC__FAIL(XIPC_ENOTSUP, "h: nothing a wait could use (xipc/waitset.h)");
    return 0;
}

int
xipc_waitset_add(xipc_waitset *ws, xipc_handle *h, unsigned events, void *user)
{
    struct xipc__wait w;
    xipc__error_clear();
    int rc = entry_check(ws, h, events, &w);
    if (rc != 0)
        return rc;
    rc = xipc__os_waitset_add(ws->os, h, &w, events, user);
    if (rc == XIPC_EEXIST)
        return XIPC__FAIL(rc, "h: in the set already");
    return rc;
}

int
xipc_waitset_modify(xipc_waitset *ws, xipc_handle *h, unsigned events, void *user)
{
    struct xipc__wait w;
    xipc__error_clear();
    int rc = entry_check(ws, h, events, &w);
    if (rc != 0)
        return rc;
    rc = xipc__os_waitset_modify(ws->os, h, events, user);
    if (rc == XIPC_ENOENT)
        return XIPC__FAIL(rc, "h: not in the set");
    return rc;
}

int
xipc_waitset_remove(xipc_waitset *ws, xipc_handle *h)
{
    xipc__error_clear();
    int rc = set_check(ws);
    if (rc != 0)
        return rc;
    if (h == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "h: NULL");
    /* No handle check: a closed handle has left every set, and is simply not found. */
    rc = xipc__os_waitset_remove(ws->os, h);
    if (rc == XIPC_ENOENT)
        return XIPC__FAIL(rc, "h: not in the set (or closed, which removed it)");
    return rc;
}

int
xipc_waitset_wait(xipc_waitset *ws, xipc_waitset_entry *out, size_t cap, size_t *n, int timeout_ms)
{
    xipc__error_clear();
    if (n != NULL)
        *n = 0;
    int rc = set_check(ws);
    if (rc != 0)
        return rc;
    if (out == NULL || n == NULL || cap == 0)
        return XIPC__FAIL(XIPC_EINVAL, "out or n: NULL, or cap: 0");
    if ((rc = xipc__timeout_check(timeout_ms)) != 0)
        return rc;
    return xipc__os_waitset_wait(ws->os, out, cap, n, xipc__deadline_in(timeout_ms));
}

int
xipc_waitset_wake(xipc_waitset *ws)
{
    xipc__error_clear();
    int rc = set_check(ws);
    return rc != 0 ? rc : xipc__os_waitset_wake(ws->os);
}

/* ---- What the platforms share --------------------------------------------------------------- */

bool
xipc__waitset_acquiring(enum xipc_kind kind)
{
    return kind == XIPC_KIND_EVENT || kind == XIPC_KIND_SEM || kind == XIPC_KIND_MUTEX;
}

/* The one look per kind, with a deadline already passed: each family's own wait, which tries
 * once then (a manual-reset event is looked at, not reset). */
static int
try_event(struct xipc_handle *h, xipc__deadline now)
{
    return xipc__os_event_wait(&((struct xipc__sync *)h)->os, now);
}

static int
try_sem(struct xipc_handle *h, xipc__deadline now)
{
    return xipc__os_sem_wait(&((struct xipc__sync *)h)->os, now);
}

static int
try_mutex(struct xipc_handle *h, xipc__deadline now)
{
    return xipc__os_mutex_lock(&((struct xipc__sync *)h)->os, now);
}

static int
try_proc(struct xipc_handle *h, xipc__deadline now)
{
    xipc_exit_status status;
    /* Reaps it on POSIX; xipc_proc_wait gives the same status afterwards. A status that is gone
     * (XIPC_ECHILD) is an end too. */
    int rc = xipc__os_proc_wait(&((struct xipc_proc *)h)->os, &status, now);
    return rc == XIPC_ECHILD ? 0 : rc;
}

/* Kinds that a helper looks at, by enum xipc_kind; a family whose objects wait through a helper
 * adds its row. Streams (a Windows FIFO reader) are reported through held alone. */
static int (*const try_of_kind[])(struct xipc_handle *h, xipc__deadline now) = {
    [XIPC_KIND_PROC] = try_proc,
    [XIPC_KIND_EVENT] = try_event,
    [XIPC_KIND_SEM] = try_sem,
    [XIPC_KIND_MUTEX] = try_mutex,
};

int
xipc__waitset_try(struct xipc_handle *h)
{
    size_t k = (size_t)h->kind;
    if (k >= sizeof try_of_kind / sizeof try_of_kind[0] || try_of_kind[k] == NULL)
        return XIPC_ETIMEDOUT;
    return try_of_kind[k](h, xipc__os_clock_ns());
}
