/* common/fifo.c: FIFOs (xipc/fifo.h): argument checks, creating before opening, and the
 * creator's ownership of the path; the platform makes, opens and removes them. */
#include "handle.h"

#include <stdlib.h>
#include <string.h>

static int
check_path(const char *path)
{
    if (path == NULL || path[0] == '\0')
        return XIPC__FAIL(XIPC_EINVAL, "path: NULL or empty");
    return 0;
}

int
xipc_fifo_unlink(const char *path)
{
    xipc__error_clear();
    int rc = check_path(path);
    return rc != 0 ? rc : xipc__os_fifo_remove(path);
}

/* Exactly one of READ and WRITE, at least one of CREATE and OPEN, and no flag xipc/fifo.h does
 * not name: 0 or XIPC_EINVAL, with the reason recorded. */
static int
check_flags(unsigned flags)
{
    unsigned end = flags & (XIPC_FIFO_READ | XIPC_FIFO_WRITE);
    unsigned known = XIPC_CREATE | XIPC_OPEN | XIPC_FIFO_READ | XIPC_FIFO_WRITE | XIPC_FIFO_NOWAIT |
        XIPC_FIFO_SHARED;
    if (end != XIPC_FIFO_READ && end != XIPC_FIFO_WRITE)
        return XIPC__FAIL(
            XIPC_EINVAL, "flags: not exactly one of XIPC_FIFO_READ and XIPC_FIFO_WRITE");
    if ((flags & (XIPC_CREATE | XIPC_OPEN)) == 0)
        return XIPC__FAIL(XIPC_EINVAL, "flags: neither XIPC_CREATE nor XIPC_OPEN");
    if ((flags & ~known) != 0)
        return XIPC__FAIL(XIPC_EINVAL, "flags: a flag xipc/fifo.h does not name");
    return 0;
}

/* Opens an end into *os, creating the FIFO first as the flags ask; *created says whether this
 * call made it (and has not removed it again). With both flags, a FIFO that someone removes
 * between our failed create and our open is made again, a few times at most. */
static int
create_and_open(
    const char *path, unsigned flags, struct xipc__os_stream *os, xipc__deadline dl, bool *created)
{
    unsigned mode = flags & ~(XIPC_CREATE | XIPC_OPEN);
    int rc = XIPC_ENOENT;
    *created = false;
    for (int attempt = 0; attempt < 3 && rc == XIPC_ENOENT; attempt++) {
        if ((flags & XIPC_CREATE) != 0) {
            rc = xipc__os_fifo_create(path);
            if (rc != 0 && (rc != XIPC_EEXIST || (flags & XIPC_OPEN) == 0))
                return rc;
            *created = rc == 0;
        }
        rc = xipc__os_fifo_open(path, mode, os, dl);
        if (rc != 0 && *created) {
            (void)xipc__os_fifo_remove(path); /* no FIFO left behind by a failed open */
            *created = false;
            return rc;
        }
        if ((flags & XIPC_CREATE) == 0)
            break;
    }
    return rc;
}

/* Makes the stream the owner of the path it created: its close removes it (xipc__stream_release).
 * On failure (XIPC_ENOMEM) the FIFO is removed and the stream closed. */
static int
own_path(struct xipc_stream *s, const char *path)
{
    size_t len = strlen(path) + 1;
    if ((s->fifo_path = malloc(len)) == NULL) {
        (void)xipc__os_fifo_remove(path);
        xipc_stream_close(s);
        return XIPC_ENOMEM;
    }
    memcpy(s->fifo_path, path, len);
    s->creator_pid = xipc__os_self_pid();
    return 0;
}

int
xipc_fifo_open(const char *path, unsigned flags, xipc_stream **out, int timeout_ms)
{
    struct xipc__os_stream os = { 0 };
    struct xipc_stream *s = NULL;
    bool created = false;
    int rc;
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    *out = NULL;
    if ((rc = check_path(path)) != 0 || (rc = xipc__timeout_check(timeout_ms)) != 0 ||
        (rc = check_flags(flags)) != 0)
        return rc;
    rc = create_and_open(path, flags, &os, xipc__deadline_in(timeout_ms), &created);
    if (rc != 0)
        return rc;
    unsigned caps = (flags & XIPC_FIFO_READ) != 0 ? XIPC__STREAM_READ : XIPC__STREAM_WRITE;
    if ((rc = xipc__stream_wrap(&os, caps, &s)) != 0) {
        if (created)
            (void)xipc__os_fifo_remove(path);
        return rc;
    }
    if (created && (rc = own_path(s, path)) != 0)
        return rc;
    *out = s;
    return 0;
}
