/* posix/posix_pass.c: passing handles to a running peer over an AF_UNIX connection
 * (common/platform.h, "Passing handles"): the record goes with its descriptors as SCM_RIGHTS,
 * which the kernel attaches to the record's first byte, so a receiver reading a byte stream
 * gets them with its first read of the record. Connections are blocking sockets whose deadline
 * is in their timeouts (posix_socket.c): a receive that waits is one blocking recvmsg, as a
 * program calling the OS makes it, not a failed try, a poll and a second try. */
#include "posix_internal.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

const bool xipc__os_pass_natives_beside = true;

/* Whether conn is an AF_UNIX socket, asked of the OS once per connection: a TCP socket takes
 * SCM_RIGHTS without a word and sends the bytes alone. */
static bool
carries_fds(struct xipc__os_stream *conn)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    bool socket_variant =
        conn->variant == XIPC__POSIX_STREAM_SOCKET || conn->variant == XIPC__POSIX_STREAM_SOCK;
    if (!socket_variant)
        return false;
    if (conn->carries_fds == 0) {
        bool is_unix = getsockname(conn->fd_plus1 - 1, (struct sockaddr *)&ss, &len) == 0 &&
            ss.ss_family == AF_UNIX;
        conn->carries_fds = is_unix ? 1 : -1;
    }
    return conn->carries_fds > 0;
}

int
xipc__os_pass_prepare(struct xipc__os_stream *conn, const intptr_t *natives, size_t count,
    intptr_t *remote, intptr_t *peer)
{
    if (!carries_fds(conn))
        return XIPC__FAIL(XIPC_ENOTSUP, "conn: not an AF_UNIX connection (SCM_RIGHTS)");
    memcpy(remote, natives, count * sizeof *natives);
    *peer = 0;
    return 0;
}

/* Room for the descriptors of one record as SCM_RIGHTS. */
union pass_control {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int) * XIPC__NATIVES_MAX)];
};

int
xipc__os_pass_send(struct xipc__os_stream *conn, bool message, const void *rec, size_t len,
    const intptr_t *natives, size_t count, struct xipc__lazy_deadline *ld)
{
    union pass_control control;
    struct iovec iov = { (void *)(uintptr_t)rec, len };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    size_t done = 0;
    if (count > XIPC__NATIVES_MAX)
        return XIPC__FAIL(XIPC_EINVAL, "count: more descriptors than one record carries");
    if (count > 0) {
        int fds[XIPC__NATIVES_MAX];
        memset(&control, 0, sizeof control);
        mh.msg_control = control.buf;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * count);
        /* The union's header, which CMSG_FIRSTHDR(&mh) would give too; that macro's NULL branch
         * (a control area too small) makes gcc -O2 warn of a write past nothing. */
        struct cmsghdr *cm = &control.align;
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int) * count);
        for (size_t i = 0; i < count; i++)
            fds[i] = (int)natives[i];
        memcpy(CMSG_DATA(cm), fds, sizeof(int) * count);
    }
    int rc = xipc__posix_socket_sendmsg(conn, &mh, ld, &done);
    /* A byte stream may take the rest in more sends; a message socket took it whole. */
    while (rc == 0 && !message && done < len) {
        size_t n = 0;
        rc = xipc__posix_socket_send(conn, (const char *)rec + done, len - done, ld, &n);
        done += n;
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
    if (mh->msg_controllen == 0)
        return;
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

/* One recvmsg of at most len bytes, with room for the descriptors, which open close-on-exec;
 * *got 0 at the end. A message cut short, or descriptors the kernel had to drop, is no record. */
static int
recv_some(struct xipc__os_stream *conn, void *buf, size_t len, intptr_t natives[XIPC__NATIVES_MAX],
    size_t *count, size_t *got, struct xipc__lazy_deadline *ld)
{
    union pass_control control;
    struct iovec iov = { buf, len };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    mh.msg_control = control.buf;
    mh.msg_controllen = sizeof control.buf;
    int rc = xipc__posix_socket_recvmsg(conn, &mh, MSG_CMSG_CLOEXEC, ld, got);
    if (rc != 0)
        return rc;
    take_fds(&mh, natives, count);
    if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0)
        return XIPC__FAIL(XIPC_EINVAL, "conn: a message that is no handle's record");
    return 0;
}

int
xipc__os_pass_recv(struct xipc__os_stream *conn, bool message, void *rec, size_t len,
    intptr_t natives[XIPC__NATIVES_MAX], size_t *count, struct xipc__lazy_deadline *ld)
{
    size_t done = 0;
    int rc = 0;
    *count = 0;
    if (message && xipc__os_msg_held(conn))
        return XIPC__FAIL(XIPC_EINVAL, "conn: holds a message a receive left (XIPC_EMSGSIZE)");
    while (rc == 0 && done < len) {
        size_t got = 0;
        rc = recv_some(conn, (char *)rec + done, len - done, natives, count, &got, ld);
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

/* A descriptor that came with MSG_CMSG_CLOEXEC needs the same checks as an inherited one (open,
 * not held, a stream), and setting close-on-exec again costs one fcntl beside the recvmsg: kept
 * as it is, so that both paths stay one. */
int
xipc__os_stream_adopt_passed(intptr_t native, struct xipc__os_stream *s)
{
    return xipc__os_stream_adopt(native, s);
}
