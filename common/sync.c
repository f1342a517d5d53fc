/* common/sync.c: events, semaphores and mutexes (xipc/sync.h): argument checks, handle lifetime,
 * the creator's ownership of the name, and export/import. The three kinds share one shape
 * (struct xipc__sync); the platform does the rest through xipc__os_sync_* and the kind's calls. */
#include "handle.h"

#include <stdlib.h>
#include <string.h>

/* Flags each kind accepts besides XIPC_CREATE and XIPC_OPEN. */
static unsigned
kind_flags(enum xipc_kind kind)
{
    return kind == XIPC_KIND_EVENT ? XIPC_EVENT_MANUAL_RESET | XIPC_EVENT_INITIAL_SET : 0;
}

static int
check_open_args(enum xipc_kind kind, const char *name, unsigned flags)
{
    return xipc__named_open_check(name, flags, kind_flags(kind));
}

/* Opens or creates; *out stays NULL on failure. The public wrappers cast the result to their
 * type, whose first (and only) member is the struct xipc__sync. */
static int
sync_open(enum xipc_kind kind, const char *name, unsigned flags, unsigned initial,
    struct xipc__sync **out)
{
    bool created = false;
    int rc;
    *out = NULL;
    if ((rc = check_open_args(kind, name, flags)) != 0)
        return rc;
    struct xipc__sync *s = calloc(1, sizeof *s);
    if (s == NULL)
        return XIPC_ENOMEM;
    name = xipc__bare_name(name);
    if ((rc = xipc__os_sync_open(kind, name, flags, initial, &s->os, &created)) != 0) {
        free(s);
        return rc;
    }
    if ((rc = xipc__handle_register(&s->handle, kind)) != 0) {
        if (created)
            (void)xipc__os_sync_unlink(kind, name);
        xipc__os_sync_close(&s->os);
        free(s);
        return rc;
    }
    if (created && name != NULL)
        xipc__owned_name_take(&s->owner, name);
    *out = s;
    return 0;
}

static int
sync_unlink(enum xipc_kind kind, const char *name)
{
    int rc = xipc_name_check(name);
    return rc != 0 ? rc : xipc__os_sync_unlink(kind, xipc__bare_name(name));
}

static int
sync_import(enum xipc_kind kind, const char *text, struct xipc__sync **out)
{
    int rc;
    *out = NULL;
    const char *value = text ? xipc__handle_text_value(text, kind) : NULL;
    if (value == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "text: NULL, or no export text of this kind");
    struct xipc__sync *s = calloc(1, sizeof *s);
    if (s == NULL)
        return XIPC_ENOMEM;
    if ((rc = xipc__os_sync_import(kind, value, &s->os)) == 0 &&
        (rc = xipc__handle_register(&s->handle, kind)) != 0)
        xipc__os_sync_close(&s->os);
    if (rc != 0) {
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

/* xipc_<kind>_inherited: the index-th handle the parent listed at spawn, if of this kind. */
static int
sync_inherited(enum xipc_kind kind, size_t index, struct xipc__sync **out)
{
    char text[XIPC_HANDLE_TEXT_MAX];
    *out = NULL;
    int rc = xipc__inherited_text(index, kind, text);
    return rc != 0 ? rc : sync_import(kind, text, out);
}

/* The object behind a handle of the given kind, or an error code through rc. */
static struct xipc__os_sync *
sync_os(const void *obj, enum xipc_kind kind, int *rc)
{
    *rc = xipc__handle_check(obj, kind);
    return *rc == 0 ? &((struct xipc__sync *)(uintptr_t)obj)->os : NULL;
}

static xipc_handle *
sync_handle(void *obj)
{
    return obj ? &((struct xipc__sync *)obj)->handle : NULL;
}

/* ---- Events --------------------------------------------------------------------------------- */

int
xipc_event_open(const char *name, unsigned flags, xipc_event **out)
{
    struct xipc__sync *s = NULL;
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    int rc = sync_open(XIPC_KIND_EVENT, name, flags, 0, &s);
    *out = (xipc_event *)s;
    return rc;
}

int
xipc_event_set(xipc_event *ev)
{
    int rc;
    xipc__error_clear();
    struct xipc__os_sync *os = sync_os(ev, XIPC_KIND_EVENT, &rc);
    return os ? xipc__os_event_set(os) : rc;
}

int
xipc_event_reset(xipc_event *ev)
{
    int rc;
    xipc__error_clear();
    struct xipc__os_sync *os = sync_os(ev, XIPC_KIND_EVENT, &rc);
    return os ? xipc__os_event_reset(os) : rc;
}

int
xipc_event_wait(xipc_event *ev, int timeout_ms)
{
    int rc;
    xipc__error_clear();
    struct xipc__os_sync *os = sync_os(ev, XIPC_KIND_EVENT, &rc);
    if (os == NULL || (rc = xipc__timeout_check(timeout_ms)) != 0)
        return rc;
    return xipc__os_event_wait(os, xipc__deadline_in(timeout_ms));
}

void
xipc_event_close(xipc_event *ev)
{
    xipc__handle_close(ev, XIPC_KIND_EVENT);
}

int
xipc_event_unlink(const char *name)
{
    xipc__error_clear();
    return sync_unlink(XIPC_KIND_EVENT, name);
}

xipc_handle *
xipc_event_handle(xipc_event *ev)
{
    return sync_handle(ev);
}

int
xipc_event_import(const char *text, xipc_event **out)
{
    struct xipc__sync *s = NULL;
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    int rc = sync_import(XIPC_KIND_EVENT, text, &s);
    *out = (xipc_event *)s;
    return rc;
}

int
xipc_event_inherited(size_t index, xipc_event **out)
{
    struct xipc__sync *s = NULL;
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    int rc = sync_inherited(XIPC_KIND_EVENT, index, &s);
    *out = (xipc_event *)s;
    return rc;
}

/* ---- Semaphores ----------------------------------------------------------------------------- */

int
xipc_sem_open(const char *name, unsigned flags, unsigned initial, xipc_sem **out)
{
    struct xipc__sync *s = NULL;
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    int rc = initial > XIPC_SEM_VALUE_MAX
        ? XIPC__FAIL(XIPC_EINVAL, "initial: more than XIPC_SEM_VALUE_MAX")
        : sync_open(XIPC_KIND_SEM, name, flags, initial, &s);
    *out = (xipc_sem *)s;
    return rc;
}

int
xipc_sem_post(xipc_sem *sem)
{
    int rc;
    xipc__error_clear();
    struct xipc__os_sync *os = sync_os(sem, XIPC_KIND_SEM, &rc);
    return os ? xipc__os_sem_post(os) : rc;
}

int
xipc_sem_wait(xipc_sem *sem, int timeout_ms)
{
    int rc;
    xipc__error_clear();
    struct xipc__os_sync *os = sync_os(sem, XIPC_KIND_SEM, &rc);
    if (os == NULL || (rc = xipc__timeout_check(timeout_ms)) != 0)
        return rc;
    return xipc__os_sem_wait(os, xipc__deadline_in(timeout_ms));
}

int
xipc_sem_value(xipc_sem *sem, unsigned *value)
{
    int rc;
    xipc__error_clear();
    struct xipc__os_sync *os = sync_os(sem, XIPC_KIND_SEM, &rc);
    if (os == NULL)
        return rc;
    return value != NULL ? xipc__os_sem_value(os, value) : XIPC__FAIL(XIPC_EINVAL, "value: NULL");
}

void
xipc_sem_close(xipc_sem *sem)
{
    xipc__handle_close(sem, XIPC_KIND_SEM);
}

int
xipc_sem_unlink(const char *name)
{
    xipc__error_clear();
    return sync_unlink(XIPC_KIND_SEM, name);
}

xipc_handle *
xipc_sem_handle(xipc_sem *sem)
{
    return sync_handle(sem);
}

int
xipc_sem_import(const char *text, xipc_sem **out)
{
    struct xipc__sync *s = NULL;
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    int rc = sync_import(XIPC_KIND_SEM, text, &s);
    *out = (xipc_sem *)s;
    return rc;
}

int
xipc_sem_inherited(size_t index, xipc_sem **out)
{
    struct xipc__sync *s = NULL;
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    int rc = sync_inherited(XIPC_KIND_SEM, index, &s);
    *out = (xipc_sem *)s;
    return rc;
}

/* ---- Mutexes -------------------------------------------------------------------------------- */

int
xipc_mutex_open(const char *name, unsigned flags, xipc_mutex **out)
{
    struct xipc__sync *s = NULL;
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    int rc = sync_open(XIPC_KIND_MUTEX, name, flags, 0, &s);
    *out = (xipc_mutex *)s;
    return rc;
}

int
xipc_mutex_lock(xipc_mutex *mx, int timeout_ms)
{
    int rc;
    xipc__error_clear();
    struct xipc__os_sync *os = sync_os(mx, XIPC_KIND_MUTEX, &rc);
    if (os == NULL || (rc = xipc__timeout_check(timeout_ms)) != 0)
        return rc;
    return xipc__os_mutex_lock(os, xipc__deadline_in(timeout_ms));
}

int
xipc_mutex_consistent(xipc_mutex *mx)
{
    int rc;
    xipc__error_clear();
    struct xipc__os_sync *os = sync_os(mx, XIPC_KIND_MUTEX, &rc);
    return os ? xipc__os_mutex_consistent(os) : rc;
}

int
xipc_mutex_unlock(xipc_mutex *mx)
{
    int rc;
    xipc__error_clear();
    struct xipc__os_sync *os = sync_os(mx, XIPC_KIND_MUTEX, &rc);
    return os ? xipc__os_mutex_unlock(os) : rc;
}

void
xipc_mutex_close(xipc_mutex *mx)
{
    xipc__handle_close(mx, XIPC_KIND_MUTEX);
}

int
xipc_mutex_unlink(const char *name)
{
    xipc__error_clear();
    return sync_unlink(XIPC_KIND_MUTEX, name);
}

xipc_handle *
xipc_mutex_handle(xipc_mutex *mx)
{
    return sync_handle(mx);
}

int
xipc_mutex_import(const char *text, xipc_mutex **out)
{
    struct xipc__sync *s = NULL;
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    int rc = sync_import(XIPC_KIND_MUTEX, text, &s);
    *out = (xipc_mutex *)s;
    return rc;
}

int
xipc_mutex_inherited(size_t index, xipc_mutex **out)
{
    struct xipc__sync *s = NULL;
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    int rc = sync_inherited(XIPC_KIND_MUTEX, index, &s);
    *out = (xipc_mutex *)s;
    return rc;
}

/* ---- The kind table's rows (common/kinds.h), shared by the three kinds ---------------------- */

void
xipc__sync_release(struct xipc_handle *h)
{
    struct xipc__sync *s = (struct xipc__sync *)h;
    /* Unlink before close: the other order could remove a name that another process created
     * after ours was gone. Only in the creating process: a child forked without exec holds a
     * copy of this handle, and its close must not take the name from under its parent. */
    if (xipc__owned_name_due(&s->owner))
        (void)xipc__os_sync_unlink(h->kind, s->owner.name);
    xipc__os_sync_close(&s->os);
    free(s);
}

int
xipc__sync_pass(const struct xipc_handle *h, char *value, size_t cap,
    intptr_t natives[XIPC__NATIVES_MAX], size_t *count)
{
    const struct xipc__sync *s = (const struct xipc__sync *)h;
    *count = xipc__os_sync_natives(&s->os, natives);
    return xipc__os_sync_export(&s->os, value, cap);
}

bool
xipc__sync_holds(const struct xipc_handle *h, intptr_t native)
{
    return xipc__os_sync_holds(&((const struct xipc__sync *)h)->os, native);
}

void
xipc__sync_waitable(const struct xipc_handle *h, struct xipc__wait *w)
{
    xipc__os_sync_waitable(&((const struct xipc__sync *)h)->os, w);
}
