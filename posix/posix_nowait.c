/* posix/posix_nowait.c: Linux-only where XIPC_HAVE_RWF_NOWAIT: one transfer on a pipe that must
 * not wait, whatever the open file description's O_NONBLOCK says (preadv2 / pwritev2 with
 * RWF_NOWAIT; pipes take it since Linux 6.x set FMODE_NOWAIT on them, older kernels say
 * EOPNOTSUPP). posix_stream.c then keeps pipe descriptors blocking and never polls one that
 * is ready: on Linux a single poll() marks a pipe for good (pipe_poll sets its poll_usage), and
 * from then on every write wakes the pipe's readers' queue; measured here, that alone took a
 * stream of 64-byte records from 1.3 to 0.7-0.9 M per second. A port without such a flag
 * returns -1 with EOPNOTSUPP, and the caller tries and polls on an O_NONBLOCK descriptor. */
#include "posix_internal.h"

#include <errno.h>
#include <stdint.h>
#if XIPC_HAVE_RWF_NOWAIT
#include <sys/uio.h>
#endif

ssize_t
xipc__posix_read_nowait(int fd, void *buf, size_t cap)
{
#if XIPC_HAVE_RWF_NOWAIT
    struct iovec iov = { buf, cap };
    return preadv2(fd, &iov, 1, -1, RWF_NOWAIT);
#else
    (void)fd;
    (void)buf;
    (void)cap;
    errno = EOPNOTSUPP;
    return -1;
#endif
}

ssize_t
xipc__posix_write_nowait(int fd, const void *buf, size_t len)
{
#if XIPC_HAVE_RWF_NOWAIT
    /* iov_base is not const; pwritev2 only reads through it. */
    struct iovec iov = { (void *)(uintptr_t)buf, len };
    return pwritev2(fd, &iov, 1, -1, RWF_NOWAIT);
#else
    (void)fd;
    (void)buf;
    (void)len;
    errno = EOPNOTSUPP;
    return -1;
#endif
}
