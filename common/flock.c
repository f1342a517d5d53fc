/* common/flock.c: byte-range file locks (xipc/flock.h): argument checks, handle lifetime, and the
 * table of ranges each handle holds, which gives both platforms one behaviour: a lock overlapping
 * a range the handle holds is refused, an unlock names a held range exactly. The platform locks
 * through xipc__os_flock_* (common/platform.h). */
#include "xipc/flock.h"
#include "handle.h"

#include <stdlib.h>

/* The end of a range "to the end of the file" (len 0): one past the largest file offset. */
#define TO_EOF_END ((uint64_t)INT64_MAX + 1u)

/* A range this handle holds, or waits for in some thread (pending): as the caller gave it. */
struct held_range {
    uint64_t offset, len;
    bool pending;
};

struct xipc_flock {
    struct xipc_handle handle;
    struct xipc__os_flock os;
    /* The ranges, under the process-wide lock: every change is a few instructions. */
    struct held_range *ranges;
    size_t count, cap;
};

static uint64_t
range_end(uint64_t offset, uint64_t len)
{
    return len == 0 ? TO_EOF_END : offset + len;
}

/* 0 when offset and offset + len lie within the largest file offset, else XIPC_EINVAL. */
static int
check_range(uint64_t offset, uint64_t len)
{
    if (offset > (uint64_t)INT64_MAX)
        return XIPC__FAIL(XIPC_EINVAL, "offset: past INT64_MAX (a negative number?)");
    if (len > (uint64_t)INT64_MAX - offset)
        return XIPC__FAIL(XIPC_EINVAL, "offset + len: past INT64_MAX");
    return 0;
}

static bool
overlaps(const struct held_range *r, uint64_t offset, uint64_t end)
{
    return r->offset < end && offset < range_end(r->offset, r->len);
}

/* Under the process-wide lock: the index of the range held exactly so (pending or not), or
 * f->count when there is none. */
static size_t
find_exact(const struct xipc_flock *f, uint64_t offset, uint64_t len)
{
    size_t i = 0;
    while (i < f->count && (f->ranges[i].offset != offset || f->ranges[i].len != len))
        i++;
    return i;
}

/* Enters the range as pending, unless it overlaps one the handle holds or waits for
 * (XIPC_EBUSY). XIPC_ENOMEM when the table cannot grow. */
static int
reserve(struct xipc_flock *f, uint64_t offset, uint64_t len)
{
    int rc = 0;
    xipc__os_global_lock();
    for (size_t i = 0; i < f->count && rc == 0; i++)
        if (overlaps(&f->ranges[i], offset, range_end(offset, len)))
            rc = XIPC_EBUSY;
    if (rc == 0 && f->count == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 4;
        struct held_range *grown = realloc(f->ranges, cap * sizeof *grown);
        if (grown == NULL)
            rc = XIPC_ENOMEM;
        else {
            f->ranges = grown;
            f->cap = cap;
        }
    }
    if (rc == 0)
        f->ranges[f->count++] = (struct held_range) { offset, len, true };
    xipc__os_global_unlock();
    if (rc == XIPC_EBUSY)
        return XIPC__FAIL(
            XIPC_EBUSY, "offset, len: overlaps a range this handle holds (unlock it)");
    return rc;
}

/* Ends a pending range's wait: held, or out of the table. */
static void
settle(struct xipc_flock *f, uint64_t offset, uint64_t len, bool held)
{
    xipc__os_global_lock();
    size_t i = find_exact(f, offset, len);
    if (held)
        f->ranges[i].pending = false;
    else
        f->ranges[i] = f->ranges[--f->count];
    xipc__os_global_unlock();
}

int
xipc_flock_open(const char *path, unsigned flags, xipc_flock **out)
{
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    *out = NULL;
    if (path == NULL || path[0] == '\0')
        return XIPC__FAIL(XIPC_EINVAL, "path: NULL or empty");
    if (flags & ~(XIPC_CREATE | XIPC_OPEN))
        return XIPC__FAIL(XIPC_EINVAL, "flags: a flag a lock handle does not take");
    if (!(flags & (XIPC_CREATE | XIPC_OPEN)))
        return XIPC__FAIL(XIPC_EINVAL, "flags: neither XIPC_CREATE nor XIPC_OPEN");
    struct xipc_flock *f = calloc(1, sizeof *f);
    if (f == NULL)
        return XIPC_ENOMEM;
    int rc = xipc__os_flock_open(path, flags, &f->os);
    if (rc != 0) {
        free(f);
        return rc;
    }
    if ((rc = xipc__handle_register(&f->handle, XIPC_KIND_FLOCK)) != 0) {
        xipc__os_flock_close(&f->os);
        free(f);
        return rc;
    }
    *out = f;
    return 0;
}

int
xipc_flock_lock(xipc_flock *f, uint64_t offset, uint64_t len, int type, int timeout_ms)
{
    xipc__error_clear();
    int rc = xipc__handle_check(f, XIPC_KIND_FLOCK);
    if (rc != 0 || (rc = check_range(offset, len)) != 0)
        return rc;
    if (type != XIPC_FLOCK_SHARED && type != XIPC_FLOCK_EXCLUSIVE)
        return XIPC__FAIL(XIPC_EINVAL, "type: neither XIPC_FLOCK_SHARED nor _EXCLUSIVE");
    if (xipc__timeout_check(timeout_ms) != 0)
        return XIPC__FAIL(XIPC_EINVAL, "timeout_ms: negative, not XIPC_FOREVER");
    if ((rc = reserve(f, offset, len)) != 0)
        return rc;
    rc = xipc__os_flock_lock(&f->os, offset, len, type == XIPC_FLOCK_EXCLUSIVE, timeout_ms);
    settle(f, offset, len, rc == 0);
    return rc;
}

int
xipc_flock_unlock(xipc_flock *f, uint64_t offset, uint64_t len)
{
    xipc__error_clear();
    int rc = xipc__handle_check(f, XIPC_KIND_FLOCK);
    if (rc != 0 || (rc = check_range(offset, len)) != 0)
        return rc;
    /* Marked pending while the OS unlocks, so no other thread's lock or unlock touches it. */
    xipc__os_global_lock();
    size_t i = find_exact(f, offset, len);
    bool held = i < f->count && !f->ranges[i].pending;
    if (held)
        f->ranges[i].pending = true;
    xipc__os_global_unlock();
    if (!held)
        return XIPC__FAIL(XIPC_ENOENT, "offset, len: no range this handle holds exactly so");
    rc = xipc__os_flock_unlock(&f->os, offset, len);
    settle(f, offset, len, rc != 0);
    return rc;
}

int
xipc_flock_read_at(xipc_flock *f, uint64_t offset, void *buf, size_t len, size_t *got)
{
    xipc__error_clear();
    if (got != NULL)
        *got = 0;
    int rc = xipc__handle_check(f, XIPC_KIND_FLOCK);
    if (rc != 0)
        return rc;
    if (buf == NULL || got == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "buf or got: NULL");
    if (offset > (uint64_t)INT64_MAX)
        return XIPC__FAIL(XIPC_EINVAL, "offset: past INT64_MAX (a negative number?)");
    return len == 0 ? 0 : xipc__os_flock_read_at(&f->os, offset, buf, len, got);
}

int
xipc_flock_write_at(xipc_flock *f, uint64_t offset, const void *buf, size_t len)
{
    xipc__error_clear();
    int rc = xipc__handle_check(f, XIPC_KIND_FLOCK);
    if (rc != 0 || (rc = check_range(offset, (uint64_t)len)) != 0)
        return rc;
    if (buf == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "buf: NULL");
    return len == 0 ? 0 : xipc__os_flock_write_at(&f->os, offset, buf, len);
}

void
xipc_flock_close(xipc_flock *f)
{
    xipc__handle_close(f, XIPC_KIND_FLOCK);
}

xipc_handle *
xipc_flock_handle(xipc_flock *f)
{
    return f ? &f->handle : NULL;
}

/* ---- The kind table's row (common/kinds.h) -------------------------------------------------- */

void
xipc__flock_release(struct xipc_handle *h)
{
    struct xipc_flock *f = (struct xipc_flock *)h;
    xipc__os_flock_close(&f->os); /* the OS drops the handle's locks with it */
    free(f->ranges);
    free(f);
}

bool
xipc__flock_holds(const struct xipc_handle *h, intptr_t native)
{
    return xipc__os_flock_holds(&((const struct xipc_flock *)h)->os, native);
}

void
xipc__flock_waitable(const struct xipc_handle *h, struct xipc__wait *w)
{
    (void)h;
    w->how = XIPC__WAIT_NONE; /* a lock is waited for in xipc_flock_lock */
}
