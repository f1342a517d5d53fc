/* common/fifo.c: FIFOs (xipc/fifo.h): argument checks; the platform makes and opens them. */
#include "handle.h"

static int
check_path(const char *path)
{
    if (path == NULL || path[0] == '\0')
        return XIPC__FAIL(XIPC_EINVAL, "path: NULL or empty");
    return 0;
}

int
xipc_fifo_create(const char *path, unsigned flags)
{
    xipc__error_clear();
    int rc = check_path(path);
    if (rc != 0)
        return rc;
    if (flags != 0)
        return XIPC__FAIL(XIPC_EINVAL, "flags: not 0");
    return xipc__os_fifo_create(path);
}

int
xipc_fifo_remove(const char *path)
{
    xipc__error_clear();
    int rc = check_path(path);
    return rc != 0 ? rc : xipc__os_fifo_remove(path);
}

/* Exactly one of READ and WRITE, and no flag xipc/fifo.h does not name. */
static int
check_mode(unsigned mode)
{
    unsigned end = mode & (XIPC_FIFO_READ | XIPC_FIFO_WRITE);
    unsigned known = XIPC_FIFO_READ | XIPC_FIFO_WRITE | XIPC_FIFO_NOWAIT | XIPC_FIFO_SHARED;
    if (end != XIPC_FIFO_READ && end != XIPC_FIFO_WRITE)
        return XIPC__FAIL(
            XIPC_EINVAL, "mode: not exactly one of XIPC_FIFO_READ and XIPC_FIFO_WRITE");
    if ((mode & ~known) != 0)
        return XIPC__FAIL(XIPC_EINVAL, "mode: a flag xipc/fifo.h does not name");
    return 0;
}

int
xipc_fifo_open(const char *path, unsigned mode, int timeout_ms, xipc_stream **out)
{
    struct xipc__os_stream os = { 0 };
    int rc;
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    *out = NULL;
    if ((rc = check_path(path)) != 0 || (rc = xipc__timeout_check(timeout_ms)) != 0 ||
        (rc = check_mode(mode)) != 0)
        return rc;
    rc = xipc__os_fifo_open(path, mode, &os, xipc__deadline_in(timeout_ms));
    if (rc != 0)
        return rc;
    return xipc__stream_wrap(
        &os, (mode & XIPC_FIFO_READ) != 0 ? XIPC__STREAM_READ : XIPC__STREAM_WRITE, out);
}
