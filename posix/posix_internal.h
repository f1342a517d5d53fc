/* posix/posix_internal.h: helpers the POSIX files share. Not part of the contract. */
#ifndef XIPC_POSIX_INTERNAL_H
#define XIPC_POSIX_INTERNAL_H

#include "platform.h"

/* Waits until fd reports one of events (or an error or hang-up), or dl passes. Returns 0 when
 * ready, XIPC_ETIMEDOUT, or a poll() failure. EINTR is retried with the time left. */
int xipc__posix_poll_fd(int fd, short events, xipc__deadline dl);

/* A close-on-exec pipe with extra file status flags (O_NONBLOCK or 0) on both ends. */
int xipc__posix_pipe(int fds[2], int flags);

/* Linux pidfds (posix_pidfd.c): a descriptor that becomes readable when the child exits, so a
 * wait with a timeout needs no SIGCHLD handler. -1 where the kernel has none; callers then poll
 * waitpid(WNOHANG). */
int xipc__posix_pidfd_open(pid_t pid);

#endif /* XIPC_POSIX_INTERNAL_H */
