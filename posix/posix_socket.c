/* posix/posix_socket.c: transfers on named-pipe connections (AF_UNIX sockets, posix_npipe.c).
 *
 * Connected sockets are blocking, unlike every other xipc descriptor: a call that may wait is
 * then one blocking recv or send, as a program calling the OS itself makes it, where trying,
 * polling and trying again costs two or three system calls and a few microseconds per wait
 * (xipc bench measured 15% on a 64-byte round trip). The deadline goes into the socket as
 * SO_RCVTIMEO / SO_SNDTIMEO, set only when the one in place would end the call late or far too
 * early, so a caller that passes the same timeout each time sets it once. A call that must not
 * wait passes MSG_DONTWAIT, and so does the first try of a call with a limit, which then needs no
 * deadline (prepare says why). A timeout that ends before the deadline (the kernel counts in
 * jiffies), or a socket that someone made non-blocking after all, reports EAGAIN early; the call
 * then polls until the deadline and tries again, so it never ends before its deadline either.
 * A stream's read or write without a limit on a socket with no timeout set is the plain recv or
 * send, made by posix_stream.c itself (socket_call_is_plain), which hands a failure to
 * xipc__posix_socket_recv_failed or _send_failed here.
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

/* Makes the timeout opt (SO_RCVTIMEO or SO_SNDTIMEO, last set to *current_ms: 0 is none, -1
 * unknown) end a call no later than want_ms from now, and no earlier than half of it (0: no
 * timeout). */
static int
set_timeout(int fd, int opt, int *current_ms, int want_ms)
{
    bool fits = want_ms == 0
        ? *current_ms == 0
        : (*current_ms > 0 && *current_ms <= want_ms && *current_ms >= want_ms / 2);
    if (fits)
        return 0;
    struct timeval tv = { .tv_sec = want_ms / 1000, .tv_usec = (want_ms % 1000) * 1000 };
    if (setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof tv) != 0) {
        *current_ms = -1;
        return XIPC__OS_FAIL(
            errno, "setsockopt", opt == SO_RCVTIMEO ? "SO_RCVTIMEO" : "SO_SNDTIMEO");
    }
    *current_ms = want_ms;
    return 0;
}

/* Whether the call of ld waits without a limit: its deadline says so once fixed (the message
 * calls fix theirs before they come here, leaving timeout_ms 0), else its timeout. */
static bool
waits_forever(const struct xipc__lazy_deadline *ld)
{
    return ld->fixed ? ld->dl == XIPC__DEADLINE_NEVER : ld->timeout_ms == XIPC_FOREVER;
}

/* Gets the socket ready for one try of a call; *flags gets MSG_DONTWAIT for a try that must not
 * wait. Without a limit: the blocking call, with no timeout (a shared socket's, *current_ms
 * XIPC__POSIX_TIMEOUTS_SHARED, left as another process may have set it). With a limit: the first
 * try does not wait, and needs no deadline yet, so a socket that is ready, as a stream's mostly
 * is, costs no clock read (~25 ns here, an eighth of a 64-byte recv) where raw's SO_RCVTIMEO
 * costs nothing either; a call that must wait pays a failing try instead (~0.1 us, beside the
 * microseconds of a wake-up). after_eagain then fixes the deadline, and the next try waits in
 * the call with the timeout opt set to end by it; a shared socket's never: it polls. */
static int
prepare(int fd, int opt, int *current_ms, struct xipc__lazy_deadline *ld, int *flags)
{
    *flags = 0;
    if (waits_forever(ld))
        return *current_ms == XIPC__POSIX_TIMEOUTS_SHARED ? 0 : set_timeout(fd, opt, current_ms, 0);
    int left = ld->fixed ? xipc__deadline_left_ms(ld->dl) : 0;
    if (left == 0 || *current_ms == XIPC__POSIX_TIMEOUTS_SHARED) {
        *flags = MSG_DONTWAIT;
        return 0;
    }
    return set_timeout(fd, opt, current_ms, left);
}

/* After EAGAIN: XIPC_ETIMEDOUT when the call was not to wait (a timeout of 0 needs no clock to
 * say so), or its deadline has passed. A call with a limit whose first try did not wait
 * (prepare) fixes its deadline now and tries again, waiting in the call where the socket is not
 * shared (current_ms). Else waits for events until the deadline (0: try again). */
static int
after_eagain(int fd, short events, int current_ms, struct xipc__lazy_deadline *ld)
{
    bool first_try = !ld->fixed;
    if (first_try && ld->timeout_ms == 0)
        return XIPC_ETIMEDOUT;
    xipc__deadline dl = xipc__lazy_deadline_get(ld);
    if (first_try && dl != XIPC__DEADLINE_NEVER && current_ms != XIPC__POSIX_TIMEOUTS_SHARED)
        return 0;
    if (xipc__deadline_left_ms(dl) == 0)
        return XIPC_ETIMEDOUT;
    return xipc__posix_poll_fd(fd, events, dl);
}

/* after_recv_failed's "end of the stream": positive, unlike every XIPC_E* code. */
#define RECV_ENDED 1

/* After a recv failed with e: 0 to try again (EINTR; EAGAIN and the socket is ready before the
 * deadline), RECV_ENDED, or the failure. */
static int
after_recv_failed(int fd, int e, int current_ms, struct xipc__lazy_deadline *ld)
{
    if (e == EINTR)
        return 0;
    /* A peer that closed with data of ours unread: Linux reports ECONNRESET once everything sent
     * to us was read. That is the end of the stream, as Windows reports it (ERROR_BROKEN_PIPE). */
    if (e == ECONNRESET)
        return RECV_ENDED;
    if (e != EAGAIN && e != EWOULDBLOCK)
        return XIPC__OS_FAIL(e, "recv", NULL);
    return after_eagain(fd, POLLIN, current_ms, ld);
}

/* After a send failed with e: 0 to try again (EINTR; EAGAIN and the socket has room before the
 * deadline), or the failure: XIPC_EPIPE when the peer is gone, whichever way the socket puts it. */
static int
after_send_failed(int fd, int e, int current_ms, struct xipc__lazy_deadline *ld)
{
    if (e == EINTR)
        return 0;
    if (e == EPIPE || e == ECONNRESET)
        return XIPC_EPIPE;
    if (e != EAGAIN && e != EWOULDBLOCK)
        return XIPC__OS_FAIL(e, "send", NULL);
    return after_eagain(fd, POLLOUT, current_ms, ld);
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
        if ((rc = after_recv_failed(fd, errno, s->recv_timeout_ms, ld)) == RECV_ENDED) {
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
    int rc = after_recv_failed(s->fd_plus1 - 1, errno, s->recv_timeout_ms, ld);
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
        if ((rc = after_send_failed(fd, errno, s->send_timeout_ms, ld)) != 0)
            return rc;
    }
}

int
xipc__posix_socket_send_failed(struct xipc__os_stream *s, const void *buf, size_t len,
    struct xipc__lazy_deadline *ld, size_t *put)
{
    int rc = after_send_failed(s->fd_plus1 - 1, errno, s->send_timeout_ms, ld);
    return rc != 0 ? rc : xipc__posix_socket_send(s, buf, len, ld, put);
}
