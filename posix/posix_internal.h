/* posix/posix_internal.h: helpers the POSIX files share. Not part of the contract. */
#ifndef XIPC_POSIX_INTERNAL_H
#define XIPC_POSIX_INTERNAL_H

#include "platform.h"

/* Waits until fd reports one of events (or an error or hang-up), or dl passes. Returns 0 when
 * ready, XIPC_ETIMEDOUT, or a poll() failure. EINTR is retried with the time left. */
int xipc__posix_poll_fd(int fd, short events, xipc__deadline dl);

/* A close-on-exec pipe with extra file status flags (O_NONBLOCK or 0) on both ends. */
int xipc__posix_pipe(int fds[2], int flags);

/* Connected named-pipe sockets (posix_socket.c): blocking, with the deadline in the socket's
 * timeouts. _blocking clears O_NONBLOCK. _recv takes extra recv flags (MSG_PEEK | MSG_TRUNC to
 * learn a message's size); a peer that reset the connection reads as the end (0 bytes). _send
 * is XIPC_EPIPE when the peer is gone, without SIGPIPE. Both: XIPC_ETIMEDOUT when nothing
 * moved by the deadline, which a first try fixes if it is not yet. */
int xipc__posix_socket_blocking(int fd);
/* Clears both timeouts: before a socket becomes a child's standard stream, where a program that
 * is not xipc would see its blocking reads fail with EAGAIN. */
int xipc__posix_socket_no_timeouts(struct xipc__os_stream *s);
int xipc__posix_socket_recv(struct xipc__os_stream *s, void *buf, size_t cap, int extra_flags,
    struct xipc__lazy_deadline *ld, size_t *got);
int xipc__posix_socket_send(struct xipc__os_stream *s, const void *buf, size_t len,
    struct xipc__lazy_deadline *ld, size_t *put);

/* Linux pidfds (posix_pidfd.c): a descriptor that becomes readable when the child exits, so a
 * wait with a timeout needs no SIGCHLD handler. -1 where the kernel has none; callers then poll
 * waitpid(WNOHANG). */
int xipc__posix_pidfd_open(pid_t pid);

/* FIFOs (posix_fifo.c, posix_fifo_probe.c). _writer_came: whether a writer has opened the FIFO
 * whose read end is fd since fd was opened (it may have closed again), found out without reading
 * anything. _await_writer: for a read that found 0 bytes on a reader that has not yet had a
 * writer (s->fifo_awaits_writer, XIPC_FIFO_NOWAIT): waits until dl for data or for a writer that
 * came and went, then clears the mark; XIPC_ETIMEDOUT. */
int xipc__posix_fifo_writer_came(int fd, bool *came);
int xipc__posix_fifo_await_writer(struct xipc__os_stream *s, xipc__deadline dl);

/* Sends sig to the process behind pidfd, which names that process and no other, even once its
 * pid is reused. 0, or -1 with errno: ESRCH once it was reaped, ENOSYS where the kernel has no
 * pidfd_send_signal (the caller then kills by pid). */
int xipc__posix_pidfd_send_signal(int pidfd, int sig);

/* The wait status (as waitpid gives it) of the ended process behind pidfd, which the kernel keeps
 * for pidfd holders even once the process was reaped, by the OS itself while SIGCHLD is ignored
 * or by someone else's waitpid (Linux 6.15+, PIDFD_INFO_EXIT). 0, or -1 where the kernel kept
 * none (older kernels, or a process that has not ended). */
int xipc__posix_pidfd_exit_status(int pidfd, int *wait_status);

#endif /* XIPC_POSIX_INTERNAL_H */
