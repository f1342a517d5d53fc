/* posix/posix_sock.c: TCP listeners and connections, and the socket calls on streams
 * (common/platform.h, "Sockets"). A connection is a blocking socket read and written by
 * posix_socket.c, as a named-pipe connection is (variant XIPC__POSIX_STREAM_SOCK). A listener is
 * non-blocking, so that accept waits in poll() until its deadline; a connect is made
 * non-blocking and waited for in poll(), then made blocking. Datagram sockets are blocking
 * (dgram_flags says why). */
#include "posix_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#define LISTEN_BACKLOG SOMAXCONN

static const struct sockaddr *
sa_of(const xipc_sockaddr *a)
{
    return (const struct sockaddr *)(const void *)a->storage;
}

static bool
is_inet(const xipc_sockaddr *a)
{
    int family = sa_of(a)->sa_family;
    return a->len >= sizeof(struct sockaddr_in) && (family == AF_INET || family == AF_INET6);
}

/* ---- Addresses ------------------------------------------------------------------------------ */

int
xipc__os_sockaddr_resolve(const char *host, int port, unsigned flags, xipc_sockaddr *out)
{
    struct addrinfo hints, *res = NULL;
    char service[8];
    memset(&hints, 0, sizeof hints);
    hints.ai_family = (flags & XIPC_SOCK_IPV6) ? AF_INET6
        : (flags & XIPC_SOCK_IPV4)             ? AF_INET
                                               : AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM; /* one entry per address, not one per socket type */
    hints.ai_flags = AI_NUMERICSERV;
    if (host == NULL)
        host = hints.ai_family == AF_INET6 ? "::1" : "127.0.0.1";
    (void)snprintf(service, sizeof service, "%d", port);
    int gai = getaddrinfo(host, service, &hints, &res);
    if (gai == EAI_MEMORY)
        return XIPC_ENOMEM;
    if (gai == EAI_SYSTEM)
        return XIPC__OS_FAIL(errno, "getaddrinfo", host);
    if (gai != 0 || res == NULL || res->ai_addrlen > sizeof out->storage)
        return XIPC__FAIL(XIPC_ENOENT, "host: no address of the family asked for");
    memcpy(out->storage, res->ai_addr, res->ai_addrlen);
    out->len = (uint32_t)res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

int
xipc__os_sockaddr_port(const xipc_sockaddr *a, int *port)
{
    if (!is_inet(a))
        return XIPC__FAIL(XIPC_EINVAL, "a: not an IPv4 or IPv6 address");
    const void *sa = a->storage;
    *port = sa_of(a)->sa_family == AF_INET ? ntohs(((const struct sockaddr_in *)sa)->sin_port)
                                           : ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
    return 0;
}

/* An AF_UNIX address's path, which need not end in a NUL within len. */
static int
format_unix(const xipc_sockaddr *a, char *buf, size_t cap)
{
    const struct sockaddr_un *un = (const struct sockaddr_un *)(const void *)a->storage;
    size_t off = offsetof(struct sockaddr_un, sun_path);
    size_t n = a->len > off ? strnlen(un->sun_path, a->len - off) : 0;
    if (n >= cap)
        return XIPC_ENAMETOOLONG;
    memcpy(buf, un->sun_path, n);
    buf[n] = '\0';
    return 0;
}

int
xipc__os_sockaddr_unix(const char *path, xipc_sockaddr *out)
{
    struct sockaddr_un *un = (struct sockaddr_un *)(void *)out->storage;
    size_t n = strlen(path);
    if (n >= sizeof un->sun_path)
        return XIPC__FAIL(XIPC_ENAMETOOLONG, "path: longer than sun_path holds (107 bytes)");
    un->sun_family = AF_UNIX;
    memcpy(un->sun_path, path, n + 1);
    out->len = (uint32_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    return 0;
}

int
xipc__os_sockaddr_format(const xipc_sockaddr *a, char *buf, size_t cap)
{
    char host[NI_MAXHOST];
    int port = 0;
    if (a->len >= sizeof(sa_family_t) && sa_of(a)->sa_family == AF_UNIX)
        return format_unix(a, buf, cap);
    if (!is_inet(a))
        return XIPC__FAIL(XIPC_EINVAL, "a: not an IPv4 or IPv6 address");
    if (getnameinfo(sa_of(a), a->len, host, sizeof host, NULL, 0, NI_NUMERICHOST) != 0)
        return XIPC__FAIL(XIPC_EINVAL, "a: not an address getnameinfo takes");
    (void)xipc__os_sockaddr_port(a, &port);
    bool v6 = sa_of(a)->sa_family == AF_INET6;
    int n = snprintf(buf, cap, v6 ? "[%s]:%d" : "%s:%d", host, port);
    return (n < 0 || (size_t)n >= cap) ? XIPC_ENAMETOOLONG : 0;
}

/* ---- Listeners ------------------------------------------------------------------------------ */

/* The options a listener gets before bind: SO_REUSEADDR (xipc/sock.h says why), and IPv6 only
 * on an IPv6 socket, so that "::" means the same on every platform. */
static int
listen_options(int fd, int family)
{
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
        return XIPC__OS_FAIL(errno, "setsockopt", "SO_REUSEADDR");
    if (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0)
        return XIPC__OS_FAIL(errno, "setsockopt", "IPV6_V6ONLY");
    return 0;
}

static int
bind_failure(int e)
{
    if (e == EADDRNOTAVAIL)
        return XIPC__FAIL(XIPC_EINVAL, "host: not an address of this machine");
    return XIPC__OS_FAIL(e, "bind", NULL);
}

int
xipc__os_tcp_listen(const xipc_sockaddr *addr, struct xipc__os_listener *l)
{
    int family = sa_of(addr)->sa_family, rc;
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return XIPC__OS_FAIL(errno, "socket", NULL);
    if ((rc = listen_options(fd, family)) != 0)
        goto out_close;
    if (bind(fd, sa_of(addr), addr->len) != 0) {
        rc = bind_failure(errno);
        goto out_close;
    }
    if (listen(fd, LISTEN_BACKLOG) != 0) {
        rc = XIPC__OS_FAIL(errno, "listen", NULL);
        goto out_close;
    }
    l->fd_plus1 = fd + 1;
    return 0;

out_close:
    (void)close(fd);
    return rc;
}

/* TCP_NODELAY: an IPC write goes out at once, not when Nagle's algorithm lets it. */
static int
tcp_nodelay(int fd)
{
    int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
        return XIPC__OS_FAIL(errno, "setsockopt", "TCP_NODELAY");
    return 0;
}

/* A connected socket (blocking, close-on-exec) as the stream s. Closes fd on failure. */
static int
tcp_stream(int fd, struct xipc__os_stream *s)
{
    int rc = tcp_nodelay(fd);
    if (rc != 0) {
        (void)close(fd);
        return rc;
    }
    memset(s, 0, sizeof *s);
    s->fd_plus1 = fd + 1;
    s->variant = XIPC__POSIX_STREAM_SOCK;
    return 0;
}

static int
unix_stream(int fd, struct xipc__os_stream *s)
{
    memset(s, 0, sizeof *s);
    s->fd_plus1 = fd + 1;
    s->variant = XIPC__POSIX_STREAM_SOCK;
    return 0;
}

int
xipc__os_listener_accept(struct xipc__os_listener *l, struct xipc__os_stream *s, xipc__deadline dl)
{
    int lfd = l->fd_plus1 - 1;
    for (;;) {
        /* No SOCK_NONBLOCK: connections are blocking (posix_socket.c). */
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0)
            return l->is_unix ? unix_stream(fd, s) : tcp_stream(fd, s);
        int e = errno;
        /* A client that gave up while queued (ECONNABORTED), or a signal: try the next. */
        if (e == EINTR || e == ECONNABORTED)
            continue;
        if (e != EAGAIN && e != EWOULDBLOCK)
            return XIPC__OS_FAIL(e, "accept4", NULL);
        if (xipc__deadline_left_ms(dl) == 0)
            return XIPC_ETIMEDOUT;
        int rc = xipc__posix_poll_fd(lfd, POLLIN, dl);
        if (rc != 0)
            return rc;
    }
}

/* The local (peer false) or peer address of fd, as getsockname or getpeername gives it. */
static int
socket_address(int fd, bool peer, xipc_sockaddr *out)
{
    socklen_t len = sizeof out->storage;
    struct sockaddr *sa = (struct sockaddr *)(void *)out->storage;
    if ((peer ? getpeername(fd, sa, &len) : getsockname(fd, sa, &len)) != 0)
        return XIPC__OS_FAIL(errno, peer ? "getpeername" : "getsockname", NULL);
    out->len = (uint32_t)len;
    return 0;
}

int
xipc__os_listener_addr(const struct xipc__os_listener *l, xipc_sockaddr *out)
{
    return socket_address(l->fd_plus1 - 1, false, out);
}

/* Removes the socket file a listener or datagram endpoint bound, if it is still the one it
 * made: another program may have replaced it since, and its file is not ours to remove. */
static void
unlink_bound(struct xipc__posix_bound_path *b)
{
    struct stat st;
    if (b->path[0] != '\0' && lstat(b->path, &st) == 0 && S_ISSOCK(st.st_mode) &&
        st.st_dev == b->dev && st.st_ino == b->ino)
        (void)unlink(b->path);
    b->path[0] = '\0';
}

void
xipc__os_listener_close(struct xipc__os_listener *l)
{
    unlink_bound(&l->bound); /* before the close: see unlink_bound */
    if (l->fd_plus1 > 0)
        (void)close(l->fd_plus1 - 1);
    l->fd_plus1 = 0;
}

bool
xipc__os_listener_holds(const struct xipc__os_listener *l, intptr_t native)
{
    return l->fd_plus1 > 0 && native == l->fd_plus1 - 1;
}

void
xipc__os_listener_waitable(const struct xipc__os_listener *l, struct xipc__wait *w)
{
    w->how = XIPC__WAIT_FD; /* POLLIN while a client waits to be accepted */
    w->native = l->fd_plus1 - 1;
}

/* ---- Connecting ----------------------------------------------------------------------------- */

/* Waits until dl for a non-blocking connect in progress on fd, and reports how it ended. */
static int
connect_wait(int fd, xipc__deadline dl)
{
    int err = 0;
    socklen_t len = sizeof err;
    int rc = xipc__posix_poll_fd(fd, POLLOUT, dl);
    if (rc != 0)
        return rc;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        return XIPC__OS_FAIL(errno, "getsockopt", "SO_ERROR");
    return err == 0 ? 0 : XIPC__OS_FAIL(err, "connect", NULL);
}

int
xipc__os_tcp_connect(const xipc_sockaddr *addr, struct xipc__os_stream *s, xipc__deadline dl)
{
    int fd = socket(sa_of(addr)->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), rc = 0;
    if (fd < 0)
        return XIPC__OS_FAIL(errno, "socket", NULL);
    if (connect(fd, sa_of(addr), addr->len) != 0) {
        int e = errno;
        /* EINTR: the connect goes on in the background, as EINPROGRESS (connect(2)). */
        rc = (e == EINPROGRESS || e == EINTR) ? connect_wait(fd, dl)
                                              : XIPC__OS_FAIL(e, "connect", NULL);
    }
    if (rc == 0)
        rc = xipc__posix_socket_blocking(fd);
    if (rc != 0) {
        (void)close(fd);
        return rc;
    }
    return tcp_stream(fd, s);
}

/* ---- AF_UNIX at a path ------------------------------------------------------------------------
 */

/* Binds fd at addr's path and makes the file owner-only, recording it in b for close. */
static int
bind_path(int fd, const xipc_sockaddr *addr, struct xipc__posix_bound_path *b)
{
    const struct sockaddr_un *un = (const struct sockaddr_un *)(const void *)addr->storage;
    struct stat st;
    if (bind(fd, sa_of(addr), addr->len) != 0)
        return XIPC__OS_FAIL(errno, "bind", un->sun_path);
    /* A socket file takes its mode from the umask, which a library cannot change for one call
     * without racing other threads: it is narrowed here, before anything can connect (the
     * caller listens afterwards). */
    if (chmod(un->sun_path, 0600) != 0 || lstat(un->sun_path, &st) != 0) {
        int e = errno;
        (void)unlink(un->sun_path);
        return XIPC__OS_FAIL(e, "chmod", un->sun_path);
    }
    memcpy(b->path, un->sun_path, sizeof b->path);
    b->dev = st.st_dev;
    b->ino = st.st_ino;
    return 0;
}

int
xipc__os_unix_listen(const xipc_sockaddr *addr, struct xipc__os_listener *l)
{
    int rc, fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return XIPC__OS_FAIL(errno, "socket", NULL);
    if ((rc = bind_path(fd, addr, &l->bound)) != 0) {
        (void)close(fd);
        return rc;
    }
    l->fd_plus1 = fd + 1;
    l->is_unix = true;
    if (listen(fd, LISTEN_BACKLOG) != 0) {
        rc = XIPC__OS_FAIL(errno, "listen", NULL);
        xipc__os_listener_close(l);
        return rc;
    }
    return 0;
}

int
xipc__os_unix_connect(const xipc_sockaddr *addr, struct xipc__os_stream *s, xipc__deadline dl)
{
    unsigned pause_ms = 1;
    int rc, fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return XIPC__OS_FAIL(errno, "socket", NULL);
    /* An AF_UNIX connect never waits for the peer: it succeeds, fails, or finds the backlog full
     * (EAGAIN), which only time cures. */
    while (connect(fd, sa_of(addr), addr->len) != 0) {
        int e = errno;
        if (e == EINTR)
            continue;
        if (e == EAGAIN)
            rc = xipc__pause_before_retry(dl, &pause_ms, 50);
        else
            rc = e == ENOTSOCK ? XIPC_ECONNREFUSED : XIPC__OS_FAIL(e, "connect", NULL);
        if (rc != 0) {
            (void)close(fd);
            return rc;
        }
    }
    if ((rc = xipc__posix_socket_blocking(fd)) != 0) {
        (void)close(fd);
        return rc;
    }
    memset(s, 0, sizeof *s);
    s->fd_plus1 = fd + 1;
    s->variant = XIPC__POSIX_STREAM_SOCK;
    return 0;
}

int
xipc__os_unix_dgram_open(const xipc_sockaddr *addr, struct xipc__os_dgram *d)
{
    int rc, fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0); /* blocking: see dgram_flags */
    if (fd < 0)
        return XIPC__OS_FAIL(errno, "socket", NULL);
    if (addr != NULL && (rc = bind_path(fd, addr, &d->bound)) != 0) {
        (void)close(fd);
        return rc;
    }
    d->fd_plus1 = fd + 1;
    return 0;
}

/* ---- Datagrams ------------------------------------------------------------------------------ */

int
xipc__os_udp_open(const xipc_sockaddr *addr, struct xipc__os_dgram *d)
{
    int family = sa_of(addr)->sa_family, one = 1, rc = 0;
    int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0); /* blocking: see dgram_flags */
    if (fd < 0)
        return XIPC__OS_FAIL(errno, "socket", NULL);
    if (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0)
        rc = XIPC__OS_FAIL(errno, "setsockopt", "IPV6_V6ONLY");
    if (rc == 0 && bind(fd, sa_of(addr), addr->len) != 0)
        rc = bind_failure(errno);
    if (rc != 0) {
        (void)close(fd);
        return rc;
    }
    d->fd_plus1 = fd + 1;
    return 0;
}

/* Datagram sockets are blocking, so that a call without a limit is one blocking sendto or
 * recvmsg, as a program calling the OS makes it (trying, polling and trying again cost three
 * calls per wait: xipc bench measured 0.88-0.91 of raw for a stream of 64-byte datagrams). A call
 * with a limit tries with MSG_DONTWAIT and polls: xipc sets no SO_RCVTIMEO on a datagram socket,
 * which a child it was passed to shares. A timeout or O_NONBLOCK someone else set makes a call
 * without a limit find EAGAIN: it polls and tries again. */
static int
dgram_flags(xipc__deadline dl)
{
    return dl == XIPC__DEADLINE_NEVER ? MSG_NOSIGNAL : MSG_NOSIGNAL | MSG_DONTWAIT;
}

int
xipc__os_dgram_send(struct xipc__os_dgram *d, const void *buf, size_t len, const xipc_sockaddr *to,
    xipc__deadline dl)
{
    int fd = d->fd_plus1 - 1, flags = dgram_flags(dl);
    for (;;) {
        ssize_t n =
            to ? sendto(fd, buf, len, flags, sa_of(to), to->len) : send(fd, buf, len, flags);
        if (n >= 0)
            return 0; /* a datagram goes whole or not at all */
        int e = errno;
        /* ECONNREFUSED: an ICMP error for an earlier datagram, reported now; this one is lost
         * to the same peer, as UDP may lose any. */
        if (e == EINTR || e == ECONNREFUSED)
            continue;
        if (e != EAGAIN && e != EWOULDBLOCK)
            return XIPC__OS_FAIL(e, to ? "sendto" : "send", NULL);
        if (xipc__deadline_left_ms(dl) == 0)
            return XIPC_ETIMEDOUT;
        int rc = xipc__posix_poll_fd(fd, POLLOUT, dl);
        if (rc != 0)
            return rc;
    }
}

int
xipc__os_dgram_recv(struct xipc__os_dgram *d, void *buf, size_t cap, void *spill, size_t spill_cap,
    size_t *len, xipc_sockaddr *from, xipc__deadline dl)
{
    int fd = d->fd_plus1 - 1, flags = dgram_flags(dl) & ~MSG_NOSIGNAL;
    struct iovec iov[2] = { { buf, cap }, { spill, spill_cap } };
    for (;;) {
        struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
        mh.msg_name = from->storage;
        mh.msg_namelen = sizeof from->storage;
        ssize_t n = recvmsg(fd, &mh, flags);
        if (n >= 0) {
            *len = (size_t)n;
            from->len = mh.msg_namelen;
            /* An unbound AF_UNIX sender has no name at all (length 0): an unnamed address. */
            if (from->len < sizeof(sa_family_t)) {
                sa_family_t family = AF_UNIX;
                memcpy(from->storage, &family, sizeof family);
                from->len = sizeof family;
            }
            return 0;
        }
        int e = errno;
        if (e == EINTR || e == ECONNREFUSED) /* see send */
            continue;
        if (e != EAGAIN && e != EWOULDBLOCK)
            return XIPC__OS_FAIL(e, "recvmsg", NULL);
        if (xipc__deadline_left_ms(dl) == 0)
            return XIPC_ETIMEDOUT;
        int rc = xipc__posix_poll_fd(fd, POLLIN, dl);
        if (rc != 0)
            return rc;
    }
}

int
xipc__os_dgram_connect(struct xipc__os_dgram *d, const xipc_sockaddr *peer)
{
    if (connect(d->fd_plus1 - 1, sa_of(peer), peer->len) != 0)
        return XIPC__OS_FAIL(errno, "connect", NULL);
    return 0;
}

int
xipc__os_dgram_addr(const struct xipc__os_dgram *d, xipc_sockaddr *out)
{
    return socket_address(d->fd_plus1 - 1, false, out);
}

void
xipc__os_dgram_close(struct xipc__os_dgram *d)
{
    unlink_bound(&d->bound);
    if (d->fd_plus1 > 0)
        (void)close(d->fd_plus1 - 1);
    d->fd_plus1 = 0;
}

bool
xipc__os_dgram_holds(const struct xipc__os_dgram *d, intptr_t native)
{
    return d->fd_plus1 > 0 && native == d->fd_plus1 - 1;
}

void
xipc__os_dgram_waitable(const struct xipc__os_dgram *d, struct xipc__wait *w)
{
    w->how = XIPC__WAIT_FD;
    w->native = d->fd_plus1 - 1;
}

/* ---- Passing listeners and datagram endpoints to a child ------------------------------------ */

intptr_t
xipc__os_listener_native(const struct xipc__os_listener *l)
{
    return l->fd_plus1 - 1;
}

intptr_t
xipc__os_dgram_native(const struct xipc__os_dgram *d)
{
    return d->fd_plus1 - 1;
}

/* Checks an inherited descriptor before anything about it changes: open, not an xipc handle's
 * here, a socket of type (listening or not, as listening says) of an IPv4, IPv6 or AF_UNIX
 * family, which goes to *family. Then makes it close-on-exec, and a listener non-blocking, a
 * datagram socket blocking. */
static int
adopt_socket(intptr_t native, int type, bool listening, int *family)
{
    int got_type = 0, acceptconn = 0;
    socklen_t type_len = sizeof got_type, acc_len = sizeof acceptconn;
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (native < 0 || native > INT_MAX || fcntl((int)native, F_GETFD) < 0)
        return XIPC_EBADF;
    int fd = (int)native;
    if (xipc__handle_owns_native(native))
        return XIPC_EEXIST;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &got_type, &type_len) != 0 ||
        getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acceptconn, &acc_len) != 0 ||
        getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return XIPC__FAIL(XIPC_EINVAL, "text: not a socket");
    if (got_type != type || (acceptconn != 0) != listening ||
        (ss.ss_family != AF_INET && ss.ss_family != AF_INET6 && ss.ss_family != AF_UNIX))
        return XIPC__FAIL(XIPC_EINVAL, "text: a socket of another kind");
    /* A listener waits in poll (non-blocking), a datagram socket in its call (blocking). */
    int fl = fcntl(fd, F_GETFL), want = listening ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
    if (fl < 0 || (want != fl && fcntl(fd, F_SETFL, want) < 0) ||
        fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
        return XIPC__OS_FAIL(errno, "fcntl", "inherited socket");
    *family = ss.ss_family;
    return 0;
}

int
xipc__os_listener_adopt(intptr_t native, struct xipc__os_listener *l)
{
    int family = 0, rc = adopt_socket(native, SOCK_STREAM, true, &family);
    if (rc != 0)
        return rc;
    memset(l, 0, sizeof *l);
    l->fd_plus1 = (int)native + 1;
    l->is_unix = family == AF_UNIX;
    return 0;
}

int
xipc__os_dgram_adopt(intptr_t native, struct xipc__os_dgram *d, int *family)
{
    int rc = adopt_socket(native, SOCK_DGRAM, false, family);
    if (rc != 0)
        return rc;
    memset(d, 0, sizeof *d);
    d->fd_plus1 = (int)native + 1;
    return 0;
}

/* ---- Duplex pipes --------------------------------------------------------------------------- */

int
xipc__os_duplex(struct xipc__os_stream *a, struct xipc__os_stream *b)
{
    int fds[2];
    /* Blocking, as every connection is (posix_socket.c). */
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
        return XIPC__OS_FAIL(errno, "socketpair", NULL);
    memset(a, 0, sizeof *a);
    memset(b, 0, sizeof *b);
    a->fd_plus1 = fds[0] + 1;
    a->variant = XIPC__POSIX_STREAM_SOCK;
    b->fd_plus1 = fds[1] + 1;
    b->variant = XIPC__POSIX_STREAM_SOCK;
    return 0;
}

/* ---- Socket calls on streams ---------------------------------------------------------------- */

/* Whether path names a socket in xipc's runtime directory, where named-pipe servers alone make
 * them (xipc_unix_listen takes paths the user chooses elsewhere). */
static bool
in_runtime_dir(const struct sockaddr_un *un, socklen_t len)
{
    char dir[sizeof un->sun_path];
    size_t path_len = len - offsetof(struct sockaddr_un, sun_path), dir_len = path_len;
    while (dir_len > 0 && un->sun_path[dir_len - 1] != '/')
        dir_len--;
    if (dir_len-- == 0 || xipc__posix_runtime_dir(dir, sizeof dir) != 0)
        return false;
    return strlen(dir) == dir_len && memcmp(dir, un->sun_path, dir_len) == 0;
}

/* A TCP connection, an AF_UNIX connection at a path of the user's (xipc_unix_listen), or an
 * AF_UNIX socket with no name at either end (a socketpair: a duplex pipe end). A named-pipe
 * connection has its server's path in the runtime directory at one end (the accepted end's own
 * name, the connecting end's peer's): it is a SOCKET, which cannot be half-closed (a Windows
 * named pipe cannot) and knows its peer's pid. The path decides, not whether there is one: an
 * AF_UNIX stream passed to another process has one too, and must still shut down there. */
bool
xipc__posix_socket_is_sock(int fd)
{
    struct sockaddr_un un;
    socklen_t len = sizeof un;
    if (getsockname(fd, (struct sockaddr *)&un, &len) != 0)
        return false;
    if (un.sun_family == AF_INET || un.sun_family == AF_INET6)
        return true;
    if (un.sun_family != AF_UNIX)
        return false;
    if (len <= sizeof(sa_family_t)) { /* unnamed here: the name, if any, is the peer's */
        len = sizeof un;
        if (getpeername(fd, (struct sockaddr *)&un, &len) != 0)
            return false;
    }
    /* A name that starts with NUL is Linux's abstract namespace, which xipc never uses. */
    return len <= sizeof(sa_family_t) || un.sun_path[0] == '\0' || !in_runtime_dir(&un, len);
}

int
xipc__os_stream_shutdown(struct xipc__os_stream *s)
{
    if (s->variant != XIPC__POSIX_STREAM_SOCK)
        return XIPC__FAIL(XIPC_ENOTSUP, "s: not a stream socket or duplex pipe end");
    /* ENOTCONN: the peer reset the connection already; nothing is left to shut. */
    if (shutdown(s->fd_plus1 - 1, SHUT_WR) != 0 && errno != ENOTCONN)
        return XIPC__OS_FAIL(errno, "shutdown", NULL);
    return 0;
}

/* Whether either end of the AF_UNIX connection fd has a path: a duplex pipe's have none. */
static bool
has_named_end(int fd)
{
    struct sockaddr_un un;
    socklen_t len = sizeof un;
    if (getsockname(fd, (struct sockaddr *)&un, &len) == 0 && len > sizeof(sa_family_t))
        return true;
    len = sizeof un;
    return getpeername(fd, (struct sockaddr *)&un, &len) == 0 && len > sizeof(sa_family_t);
}

int
xipc__os_stream_sockaddr(const struct xipc__os_stream *s, bool peer, xipc_sockaddr *out)
{
    if (s->variant != XIPC__POSIX_STREAM_SOCK)
        return XIPC__FAIL(XIPC_ENOTSUP, "s: not a TCP connection");
    int fd = s->fd_plus1 - 1, rc = socket_address(fd, peer, out);
    if (rc != 0)
        return rc;
    const struct sockaddr *sa = (const struct sockaddr *)(const void *)out->storage;
    /* A duplex pipe end is an AF_UNIX socket too, but no connection with addresses. */
    if (!is_inet(out) && (sa->sa_family != AF_UNIX || !has_named_end(fd))) {
        memset(out, 0, sizeof *out);
        return XIPC__FAIL(XIPC_ENOTSUP, "s: not a TCP connection");
    }
    return 0;
}
