/* posix/posix_pass.c: passing handles to a running peer over an AF_UNIX connection
 * (common/platform.h, "Passing handles"): the record goes with its descriptors as SCM_RIGHTS,
 * which the kernel attaches to the record's first byte, so a receiver reading a byte stream
 * gets them with its first read of the record. Connections are blocking sockets
 * (posix_socket.c); these calls pass MSG_DONTWAIT and wait in poll() until their deadline, so
 * they leave the socket's timeouts as they were. */
#include "posix_internal.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

int
xipc__os_pass_prepare(const struct xipc__os_stream *conn, const intptr_t *natives, size_t count,
    intptr_t *remote, intptr_t *peer)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int fd = conn->fd_plus1 - 1;
    bool socket_variant =
        conn->variant == XIPC__POSIX_STREAM_SOCKET || conn->variant == XIPC__POSIX_STREAM_SOCK;
    if (!socket_variant || getsockname(fd, (struct sockaddr *)&ss, &len) != 0 ||
        ss.ss_family != AF_UNIX)
        return XIPC__FAIL(XIPC_ENOTSUP, "conn: not an AF_UNIX connection (SCM_RIGHTS)");
    memcpy(remote, natives, count * sizeof *natives);
    *peer = 0;
    return 0;
}

/* Waits for events on fd until dl after EAGAIN; XIPC_ETIMEDOUT once dl passed. */
static int
wait_for(int fd, short events, xipc__deadline dl)
{
    if (xipc__deadline_left_ms(dl) == 0)
        return XIPC_ETIMEDOUT;
    return xipc__posix_poll_fd(fd, events, dl);
}

/* The record's first bytes with the descriptors; 0 when some went. */
static int
send_first(int fd, const void *rec, size_t len, const intptr_t *natives, size_t count, size_t *sent,
    xipc__deadline dl)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * XIPC__NATIVES_MAX)];
    } control;
    struct iovec iov = { (void *)(uintptr_t)rec, len };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    memset(&control, 0, sizeof control);
    if (count > XIPC__NATIVES_MAX)
        return XIPC__FAIL(XIPC_EINVAL, "count: more descriptors than one record carries");
    if (count > 0) {
        mh.msg_control = control.buf;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * count);
        /* The union's header, which CMSG_FIRSTHDR(&mh) would give too; that macro's NULL branch
         * (a control area too small) makes gcc -O2 warn of a write past nothing. */
        struct cmsghdr *cm = &control.align;
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int) * count);
        int fds[XIPC__NATIVES_MAX];
        for (size_t i = 0; i < count; i++)
            fds[i] = (int)natives[i];
        memcpy(CMSG_DATA(cm), fds, sizeof(int) * count);
    }
    for (;;) {
        ssize_t n = sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) {
            *sent = (size_t)n;
            return 0;
        }
        int e = errno;
        if (e == EINTR)
            continue;
        if (e == EPIPE || e == ECONNRESET)
            return XIPC_EPIPE;
        if (e != EAGAIN && e != EWOULDBLOCK)
            return XIPC__OS_FAIL(e, "sendmsg", NULL);
        int rc = wait_for(fd, POLLOUT, dl);
        if (rc != 0)
            return rc;
    }
}

int
xipc__os_pass_send(struct xipc__os_stream *conn, bool message, const void *rec, size_t len,
    const intptr_t *natives, size_t count, xipc__deadline dl)
{
    int fd = conn->fd_plus1 - 1;
    size_t done = 0;
    int rc = send_first(fd, rec, len, natives, count, &done, dl);
    /* A byte stream may take the rest in more sends; a message socket took it whole. */
    while (rc == 0 && !message && done < len) {
        ssize_t n = send(fd, (const char *)rec + done, len - done, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0)
            done += (size_t)n;
        else if (errno == EPIPE || errno == ECONNRESET)
            rc = XIPC_EPIPE;
        else if (errno == EAGAIN || errno == EWOULDBLOCK)
            rc = wait_for(fd, POLLOUT, dl);
        else if (errno != EINTR)
            rc = XIPC__OS_FAIL(errno, "send", NULL);
    }
    return rc;
}

void
xipc__os_pass_finish(intptr_t peer, const intptr_t *remote, size_t count, bool sent)
{
    (void)peer;
    (void)remote;
    (void)count;
    (void)sent; /* the descriptors are the sender's own: nothing was made for the peer */
}

/* The descriptors that came in mh's control data, into natives; closes any beyond room. */
static void
take_fds(struct msghdr *mh, intptr_t natives[XIPC__NATIVES_MAX], size_t *count)
{
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
            continue;
        size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < n; i++) {
            int v;
            memcpy(&v, CMSG_DATA(cm) + i * sizeof v, sizeof v);
            if (*count < XIPC__NATIVES_MAX)
                natives[(*count)++] = v;
            else
                (void)close(v);
        }
    }
}

/* One recvmsg of at most len bytes, with room for the descriptors; *got 0 at the end. */
static int
recv_some(int fd, void *buf, size_t len, intptr_t natives[XIPC__NATIVES_MAX], size_t *count,
    size_t *got, xipc__deadline dl)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * XIPC__NATIVES_MAX)];
    } control;
    struct iovec iov = { buf, len };
    for (;;) {
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        mh.msg_control = control.buf;
        mh.msg_controllen = sizeof control.buf;
        ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n >= 0) {
            take_fds(&mh, natives, count);
            *got = (size_t)n;
            return 0;
        }
        int e = errno;
        if (e == EINTR)
            continue;
        if (e == ECONNRESET) {
            *got = 0;
            return 0;
        }
        if (e != EAGAIN && e != EWOULDBLOCK)
            return XIPC__OS_FAIL(e, "recvmsg", NULL);
        int rc = wait_for(fd, POLLIN, dl);
        if (rc != 0)
            return rc;
    }
}

int
xipc__os_pass_recv(struct xipc__os_stream *conn, bool message, void *rec, size_t len,
    intptr_t natives[XIPC__NATIVES_MAX], size_t *count, xipc__deadline dl)
{
    int fd = conn->fd_plus1 - 1, rc = 0;
    size_t done = 0;
    *count = 0;
    if (message && xipc__os_msg_held(conn))
        return XIPC__FAIL(XIPC_EINVAL, "conn: holds a message a receive left (XIPC_EMSGSIZE)");
    while (rc == 0 && done < len) {
        size_t got = 0;
        rc = recv_some(fd, (char *)rec + done, len - done, natives, count, &got, dl);
        if (rc == 0 && got == 0)
            rc = XIPC_ECLOSED;
        done += got;
        if (rc == 0 && message && done != len)
            rc = XIPC__FAIL(XIPC_EINVAL, "conn: a message that is no handle's record");
    }
    if (rc != 0) {
        xipc__os_pass_discard(natives, *count);
        *count = 0;
    }
    return rc;
}

void
xipc__os_pass_discard(const intptr_t *natives, size_t count)
{
    for (size_t i = 0; i < count; i++)
        (void)close((int)natives[i]);
}
