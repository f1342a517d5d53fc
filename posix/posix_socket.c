/* posix/posix_socket.c: transfers on named-pipe connections (AF_UNIX sockets, posix_npipe.c).
 *
 * Connected sockets are blocking, unlike every other xipc descriptor: a call that may wait is
 * then one blocking recv or send, as a program calling the OS itself makes it, where trying,
 * polling and trying again costs two or three system calls and a few microseconds per wait
 * (xipc bench measured 15% on a 64-byte round trip). The deadline goes into the socket as
 * SO_RCVTIMEO / SO_SNDTIMEO, set only when the one in place would end the call late or far too
 * early, so a caller that passes the same timeout each time sets it once. A call that must not
 * wait passes MSG_DONTWAIT. A timeout that ends before the deadline (the kernel counts in
 * jiffies), or a socket that someone made non-blocking after all, reports EAGAIN early; the call
 * then polls until the deadline and tries again, so it never ends before its deadline either.
 *
 * The timeouts belong to the socket, not to the descriptor: once another process may hold the
 * socket (passed on, or adopted from one that passed it), it may set them at any time, and a
 * timeout this process set and remembered would be a lie. Such a socket's timeouts are left
 * alone (XIPC__POSIX_TIMEOUTS_SHARED): a call with a limit tries with MSG_DONTWAIT and polls,
 * and one without a limit makes the blocking call, polling again if a timeout set elsewhere ends
 * it early. */
#include "posix_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>

int
xipc__posix_socket_blocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || ((fl & O_NONBLOCK) != 0 && fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0))
        return XIPC__OS_FAIL(errno, "fcntl", NULL);
    return 0;
}

int
xipc__posix_socket_no_timeouts(struct xipc__os_stream *s)
{
    static const struct timeval none = { 0, 0 };
    int fd = s->fd_plus1 - 1;
    /* A shared socket's timeouts stay unknown: others may set them again at any time. */
    bool shared = s->recv_timeout_ms == XIPC__POSIX_TIMEOUTS_SHARED;
    if (s->recv_timeout_ms != 0 && setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none) != 0)
        return XIPC__OS_FAIL(errno, "setsockopt", "SO_RCVTIMEO");
    if (s->send_timeout_ms != 0 && setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &none, sizeof none) != 0)
        return XIPC__OS_FAIL(errno, "setsockopt", "SO_SNDTIMEO");
    s->recv_timeout_ms = s->send_timeout_ms = shared ? XIPC__POSIX_TIMEOUTS_SHARED : 0;
    return 0;
}

/* Gets the socket ready for one try of a call that must end by its deadline: *flags is
 * MSG_DONTWAIT when the deadline has passed, or when the call has a limit and the socket's
 * timeouts are shared (*current_ms is XIPC__POSIX_TIMEOUTS_SHARED: nothing is set then);
 * otherwise the timeout opt (SO_RCVTIMEO or SO_SNDTIMEO, last set to *current_ms: 0 is none, -1
 * unknown) is made to end no later than the deadline, and no earlier than half the time left. A
 * deadline not fixed yet (the call's first try) is fixed now and has the whole timeout left: one
 * clock read, not two (a read costs ~25 ns here, a 64-byte send ~700 ns). */
static int
prepare(int fd, int opt, int *current_ms, struct xipc__lazy_deadline *ld, int *flags)
{
    bool fresh = !ld->fixed;
    xipc__deadline dl = xipc__lazy_deadline_get(ld);
    int left = fresh ? ld->timeout_ms : xipc__deadline_left_ms(dl);
    *flags = 0;
    if (*current_ms == XIPC__POSIX_TIMEOUTS_SHARED) {
        /* A limit: try, then poll. None: the blocking call, whatever timeout another left. */
        *flags = left < 0 ? 0 : MSG_DONTWAIT;
        return 0;
    }
    if (left == 0) {
        *flags = MSG_DONTWAIT;
        return 0;
    }
    int want = left < 0 ? 0 : left;
    bool fits = want == 0 ? *current_ms == 0
                          : (*current_ms > 0 && *current_ms <= want && *current_ms >= want / 2);
    if (fits)
        return 0;
    struct timeval tv = { .tv_sec = want / 1000, .tv_usec = (want % 1000) * 1000 };
    if (setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof tv) != 0) {
        *current_ms = -1;
        return XIPC__OS_FAIL(
            errno, "setsockopt", opt == SO_RCVTIMEO ? "SO_RCVTIMEO" : "SO_SNDTIMEO");
    }
    *current_ms = want;
    return 0;
}

/* After EAGAIN: XIPC_ETIMEDOUT when dl has passed (a call that was not to wait has); else waits
 * for events until dl (0: try again). */
static int
after_eagain(int fd, short events, xipc__deadline dl)
{
    if (xipc__deadline_left_ms(dl) == 0)
        return XIPC_ETIMEDOUT;
    return xipc__posix_poll_fd(fd, events, dl);
}

/* after_recv_failed's "end of the stream": positive, unlike every XIPC_E* code. */
#define RECV_ENDED 1

/* After a recv failed with e: 0 to try again (EINTR; EAGAIN and the socket is ready before the
 * deadline), RECV_ENDED, or the failure. */
static int
after_recv_failed(int fd, int e, struct xipc__lazy_deadline *ld)
{
    if (e == EINTR)
        return 0;
    /* A peer that closed with data of ours unread: Linux reports ECONNRESET once everything sent
     * to us was read. That is the end of the stream, as Windows reports it (ERROR_BROKEN_PIPE). */
    if (e == ECONNRESET)
        return RECV_ENDED;
    if (e != EAGAIN && e != EWOULDBLOCK)
        return XIPC__OS_FAIL(e, "recv", NULL);
    return after_eagain(fd, POLLIN, xipc__lazy_deadline_get(ld));
}

/* After a send failed with e: 0 to try again (EINTR; EAGAIN and the socket has room before the
 * deadline), or the failure: XIPC_EPIPE when the peer is gone, whichever way the socket puts it. */
static int
after_send_failed(int fd, int e, struct xipc__lazy_deadline *ld)
{
    if (e == EINTR)
        return 0;
    if (e == EPIPE || e == ECONNRESET)
        return XIPC_EPIPE;
    if (e != EAGAIN && e != EWOULDBLOCK)
        return XIPC__OS_FAIL(e, "send", NULL);
    return after_eagain(fd, POLLOUT, xipc__lazy_deadline_get(ld));
}

/* One recv into mh's buffers: recv(2) for one buffer and no control data, else recvmsg(2). */
static ssize_t
recv_once(int fd, struct msghdr *mh, int flags)
{
    if (mh->msg_iovlen == 1 && mh->msg_control == NULL)
        return recv(fd, mh->msg_iov[0].iov_base, mh->msg_iov[0].iov_len, flags);
    return recvmsg(fd, mh, flags);
}

int
xipc__posix_socket_recv(struct xipc__os_stream *s, void *buf, size_t cap, int extra_flags,
    struct xipc__lazy_deadline *ld, size_t *got)
{
    struct iovec iov = { buf, cap };
    return xipc__posix_socket_recvv(s, &iov, 1, extra_flags, ld, got);
}

int
xipc__posix_socket_recvv(struct xipc__os_stream *s, struct iovec *iov, int iovcnt, int extra_flags,
    struct xipc__lazy_deadline *ld, size_t *got)
{
    struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)iovcnt };
    return xipc__posix_socket_recvmsg(s, &mh, extra_flags, ld, got);
}

int
xipc__posix_socket_recvmsg(struct xipc__os_stream *s, struct msghdr *mh, int extra_flags,
    struct xipc__lazy_deadline *ld, size_t *got)
{
    int fd = s->fd_plus1 - 1, flags, rc;
    size_t control_len = mh->msg_controllen;
    for (;;) {
        if ((rc = prepare(fd, SO_RCVTIMEO, &s->recv_timeout_ms, ld, &flags)) != 0)
            return rc;
        mh->msg_controllen = control_len; /* a failed try may have changed it */
        ssize_t n = recv_once(fd, mh, flags | extra_flags);
        if (n >= 0) {
            *got = (size_t)n;
            return 0;
        }
        if ((rc = after_recv_failed(fd, errno, ld)) == RECV_ENDED) {
            *got = 0;
            mh->msg_controllen = 0;
            return 0;
        }
        if (rc != 0)
            return rc;
    }
}

int
xipc__posix_socket_recv_failed(
    struct xipc__os_stream *s, void *buf, size_t cap, struct xipc__lazy_deadline *ld, size_t *got)
{
    int rc = after_recv_failed(s->fd_plus1 - 1, errno, ld);
    if (rc == RECV_ENDED) {
        *got = 0;
        return 0;
    }
    return rc != 0 ? rc : xipc__posix_socket_recv(s, buf, cap, 0, ld, got);
}

int
xipc__posix_socket_send(struct xipc__os_stream *s, const void *buf, size_t len,
    struct xipc__lazy_deadline *ld, size_t *put)
{
    struct iovec iov = { (void *)(uintptr_t)buf, len };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    return xipc__posix_socket_sendmsg(s, &mh, ld, put);
}

/* One send of mh: send(2) for one buffer and no control data, else sendmsg(2). */
static ssize_t
send_once(int fd, const struct msghdr *mh, int flags)
{
    if (mh->msg_iovlen == 1 && mh->msg_control == NULL)
        return send(fd, mh->msg_iov[0].iov_base, mh->msg_iov[0].iov_len, flags);
    return sendmsg(fd, mh, flags);
}

int
xipc__posix_socket_sendmsg(
    struct xipc__os_stream *s, const struct msghdr *mh, struct xipc__lazy_deadline *ld, size_t *put)
{
    int fd = s->fd_plus1 - 1, flags, rc;
    for (;;) {
        if ((rc = prepare(fd, SO_SNDTIMEO, &s->send_timeout_ms, ld, &flags)) != 0)
            return rc;
        /* MSG_NOSIGNAL: a peer that is gone is EPIPE, never SIGPIPE. */
        ssize_t n = send_once(fd, mh, flags | MSG_NOSIGNAL);
        if (n >= 0) {
            *put = (size_t)n;
            return 0;
        }
        if ((rc = after_send_failed(fd, errno, ld)) != 0)
            return rc;
    }
}

int
xipc__posix_socket_send_failed(struct xipc__os_stream *s, const void *buf, size_t len,
    struct xipc__lazy_deadline *ld, size_t *put)
{
    int rc = after_send_failed(s->fd_plus1 - 1, errno, ld);
    return rc != 0 ? rc : xipc__posix_socket_send(s, buf, len, ld, put);
}
