/* posix/posix_fifo_probe.c: whether a FIFO's reader has had a writer, without reading from it
 * (posix_fifo.c), and without poll(2) where the OS allows: one poll marks the FIFO for as long as
 * it stays open, and from then on every write wakes its readers' queue (posix_nowait.c), which
 * cost a reader of 64-byte records a third to a half of its rate here. Linux-only where
 * XIPC_HAVE_TEE: tee(2) duplicates what a pipe holds without consuming it. A port to a system
 * without tee looks with poll(2) instead (the #else): there a waiting reader's open returns once
 * a writer has written or has come and gone, not when a writer that has written nothing yet
 * opens. */
#include "posix_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Whether a writer has fd's FIFO open now, or (without tee) has come. tee(2) from the FIFO into a
 * private pipe answers without taking anything (fs/splice.c, ipipe_prep): with
 * SPLICE_F_NONBLOCK, an empty FIFO with a writer gives EAGAIN and one without writers 0; data is
 * duplicated, not consumed, and goes with the private pipe. Where tee is refused (a seccomp
 * filter: ENOSYS or EPERM), false: the caller then waits for data or a hang-up as on a system
 * without tee. */
static int
writer_present(int fd, bool *present)
{
    *present = false;
#if XIPC_HAVE_TEE
    int scratch[2];
    int rc = xipc__posix_pipe(scratch, O_NONBLOCK);
    if (rc != 0)
        return rc;
    ssize_t n;
    while ((n = tee(fd, scratch[1], 1, SPLICE_F_NONBLOCK)) < 0 && errno == EINTR)
        ;
    int e = errno;
    (void)close(scratch[0]);
    (void)close(scratch[1]);
    *present = n > 0 || (n < 0 && (e == EAGAIN || e == EWOULDBLOCK));
    if (n < 0 && !*present && e != ENOSYS && e != EPERM)
        return XIPC__OS_FAIL(e, "tee", NULL);
    return 0;
#else
    return xipc__posix_fifo_writer_left(fd, present);
#endif
}

int
xipc__posix_fifo_writer_left(int fd, bool *left)
{
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    int n;
    while ((n = poll(&pfd, 1, 0)) < 0 && errno == EINTR)
        ;
    if (n < 0)
        return XIPC__OS_FAIL(errno, "poll", NULL);
    /* POLLIN: data, which a writer left. POLLHUP: Linux's pipe_poll says so only once a writer
     * has opened since this reader did and every writer has closed again. */
    *left = n > 0;
    return 0;
}

int
xipc__posix_fifo_writer_came(int fd, bool *came)
{
    /* Data waiting: a writer left it. FIONREAD looks without poll's mark. */
    int queued = 0;
    if (ioctl(fd, FIONREAD, &queued) == 0 && queued > 0) {
        *came = true;
        return 0;
    }
    return writer_present(fd, came);
}
