/* posix/posix_peercred.c: Linux-only where XIPC_HAVE_SO_PEERCRED: the process at the other end of
 * an AF_UNIX connection (xipc_stream_peer_pid), from SO_PEERCRED, which the kernel fills at
 * connect and accept time. A port replaces it: macOS getsockopt(SOL_LOCAL, LOCAL_PEERPID),
 * FreeBSD 13+ LOCAL_PEERCRED's xucred.cr_pid, OpenBSD SO_PEERCRED with struct sockpeercred.
 * Without any: XIPC_ENOTSUP. */
#include "posix_internal.h"

#include <errno.h>
#include <sys/socket.h>

int
xipc__posix_socket_peer_pid(int fd, uint64_t *pid)
{
#if XIPC_HAVE_SO_PEERCRED
    struct ucred cred;
    socklen_t n = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &n) != 0)
        return XIPC__OS_FAIL(errno, "getsockopt", "SO_PEERCRED");
    *pid = (uint64_t)cred.pid;
    return 0;
#else
    (void)fd;
    (void)pid;
    return XIPC__FAIL(XIPC_ENOTSUP, "no way to learn a socket peer's process here");
#endif
}
