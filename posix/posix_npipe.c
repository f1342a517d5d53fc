/* posix/posix_npipe.c: named pipes on AF_UNIX sockets (common/platform.h, "Named pipes and
 * FIFOs"): SOCK_STREAM for byte mode, SOCK_SEQPACKET for message mode, at <runtime dir>/NAME.
 *
 * The runtime directory is the security boundary: $XDG_RUNTIME_DIR/xipc (when XDG_RUNTIME_DIR is
 * the user's) or /tmp/xipc-<uid>, created 0700 and refused when it exists with another owner or
 * wider permissions, so no other user can reach, replace or squat a socket in it. A server holds
 * its name with a lock file beside the socket ("Claiming a name"). */
#include "posix_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

/* A directory that is ours alone: a real directory (not a link), owned by us, mode 0700 or
 * narrower. */
static int
check_private_dir(const char *dir)
{
    struct stat st;
    if (lstat(dir, &st) != 0)
        return XIPC__OS_FAIL(errno, "lstat", dir);
    if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077) != 0)
        return XIPC__FAIL(XIPC_EACCES, "name: the runtime directory is not this user's alone");
    return 0;
}

int
xipc__posix_runtime_dir(char *buf, size_t cap)
{
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    struct stat st;
    int n;
    if (xdg != NULL && xdg[0] == '/' && stat(xdg, &st) == 0 && st.st_uid == geteuid())
        n = snprintf(buf, cap, "%s/xipc", xdg);
    else
        n = snprintf(buf, cap, "/tmp/xipc-%lu", (unsigned long)geteuid());
    /* Cut short, it would name another directory. */
    if (n < 0 || (size_t)n >= cap)
        return XIPC_ENAMETOOLONG;
    if (mkdir(buf, 0700) != 0 && errno != EEXIST)
        return XIPC__OS_FAIL(errno, "mkdir", buf);
    return check_private_dir(buf);
}

static int
socket_address(const char *name, struct sockaddr_un *sa)
{
    char dir[4096];
    int rc = xipc__posix_runtime_dir(dir, sizeof dir);
    if (rc != 0)
        return rc;
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    int n = snprintf(sa->sun_path, sizeof sa->sun_path, "%s/%s", dir, name);
    return (n < 0 || (size_t)n >= sizeof sa->sun_path) ? XIPC_ENAMETOOLONG : 0;
}

static int
socket_type(unsigned mode)
{
    return mode == XIPC_NPIPE_MESSAGE ? SOCK_SEQPACKET : SOCK_STREAM;
}

static int
new_socket(unsigned mode, int *fd)
{
    *fd = socket(AF_UNIX, socket_type(mode) | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    return *fd >= 0 ? 0 : XIPC__OS_FAIL(errno, "socket", NULL);
}

/* ---- Claiming a name ------------------------------------------------------------------------
 * A live server holds an exclusive flock on <runtime dir>/.lock-NAME ('.' cannot start a name,
 * so no pipe has that file's name), and the kernel drops it when the server dies. A second
 * server learns that the name is taken from the lock alone, without knocking on the live
 * server's socket (a probing connect would reach its accept as a client that left at once).
 * The lock belongs to the lock file's open file description, which every holder of the server
 * shares (a child it was passed to, a copy made by fork): it lasts until the last of them closes
 * it or dies, and the last close removes the files (remove_name_if_last). */

/* Writes the lock file's path for the socket path sock. */
static int
lock_path_for(const char *sock, char *out, size_t cap)
{
    const char *slash = strrchr(sock, '/');
    int n = snprintf(out, cap, "%.*s/.lock-%s", (int)(slash - sock), sock, slash + 1);
    return (n < 0 || (size_t)n >= cap) ? XIPC_ENAMETOOLONG : 0;
}

/* Whether fd and path name one file. */
static bool
same_file(int fd, const char *path)
{
    struct stat held, now;
    return fstat(fd, &held) == 0 && stat(path, &now) == 0 && held.st_dev == now.st_dev &&
        held.st_ino == now.st_ino;
}

/* Takes the name's lock into srv: 0, or XIPC_EADDRINUSE while another server holds it. */
static int
claim_name(const struct sockaddr_un *sa, struct xipc__os_npipe *srv)
{
    int rc = lock_path_for(sa->sun_path, srv->lock_path, sizeof srv->lock_path);
    if (rc != 0)
        return rc;
    for (;;) {
        int fd = open(srv->lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
            return XIPC__OS_FAIL(errno, "open", srv->lock_path);
        while ((rc = flock(fd, LOCK_EX | LOCK_NB)) != 0 && errno == EINTR)
            ;
        int e = errno;
        if (rc != 0) {
            (void)close(fd);
            return e == EWOULDBLOCK ? XIPC_EADDRINUSE : XIPC__OS_FAIL(e, "flock", srv->lock_path);
        }
        /* The lock is ours if the path still names the file we locked: a server that closed
         * removed its lock file, and we may have locked that one on its way out. */
        if (same_file(fd, srv->lock_path)) {
            srv->lock_fd_plus1 = fd + 1;
            return 0;
        }
        (void)close(fd);
    }
}

/* Gives up a name that listen claimed and could not use: no other process holds it yet. The
 * file goes first, then the lock. */
static void
release_name(struct xipc__os_npipe *srv)
{
    (void)unlink(srv->lock_path);
    (void)close(srv->lock_fd_plus1 - 1);
    srv->lock_fd_plus1 = 0;
}

/* Whether a live socket answers at sa, whatever its type. Asked only with the name's lock held,
 * so a server that answers is not xipc's; a socket file left by a dead one refuses
 * (ECONNREFUSED). A stream or seqpacket listener sees a client that leaves at once; a datagram
 * socket sees nothing. */
static bool
socket_alive(const struct sockaddr_un *sa)
{
    static const int types[] = { SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        int fd = socket(AF_UNIX, types[i] | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
            return true; /* cannot tell: do not take the name */
        int rc = connect(fd, (const struct sockaddr *)sa, sizeof *sa), e = errno;
        (void)close(fd);
        if (rc == 0 || e == EAGAIN)
            return true; /* EAGAIN: a listener with a full backlog */
        if (e != EPROTOTYPE)
            return false;
    }
    return true; /* no type fits: not ours to remove */
}

/* Why bind found sa's path taken: XIPC_EADDRINUSE for a live socket, XIPC_EEXIST for something
 * that is no socket (a directory, a file, a link), both left alone; 0 when it was a dead
 * server's socket file, now removed. */
static int
clear_stale_socket(const struct sockaddr_un *sa)
{
    struct stat st;
    if (lstat(sa->sun_path, &st) != 0)
        return errno == ENOENT ? 0 : XIPC__OS_FAIL(errno, "lstat", sa->sun_path);
    if (!S_ISSOCK(st.st_mode))
        return XIPC__FAIL(XIPC_EEXIST, "name: something that is no socket has its path");
    if (socket_alive(sa))
        return XIPC_EADDRINUSE;
    (void)unlink(sa->sun_path);
    return 0;
}

/* bind, taking over the socket file of a server that died (nng's ipc_remove_stale). */
static int
bind_name(int fd, const struct sockaddr_un *sa)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        if (bind(fd, (const struct sockaddr *)sa, sizeof *sa) == 0)
            return 0;
        if (errno != EADDRINUSE)
            return XIPC__OS_FAIL(errno, "bind", sa->sun_path);
        int rc = clear_stale_socket(sa);
        if (rc != 0)
            return rc;
    }
    return XIPC_EADDRINUSE; /* a new one took the path at once: someone is using it */
}

int
xipc__os_npipe_listen(const char *name, unsigned mode, struct xipc__os_npipe *srv)
{
    struct sockaddr_un sa;
    struct stat st;
    int fd = -1, rc = socket_address(name, &sa);
    if (rc != 0 || (rc = claim_name(&sa, srv)) != 0)
        return rc;
    if ((rc = new_socket(mode, &fd)) != 0 || (rc = bind_name(fd, &sa)) != 0)
        goto out_close;
    /* The directory already keeps others out; 0600 says the same on the file itself. */
    if (chmod(sa.sun_path, 0600) != 0 || stat(sa.sun_path, &st) != 0) {
        rc = XIPC__OS_FAIL(errno, "chmod", sa.sun_path);
        goto out_unlink;
    }
    if (listen(fd, SOMAXCONN) != 0) {
        rc = XIPC__OS_FAIL(errno, "listen", sa.sun_path);
        goto out_unlink;
    }
    srv->fd_plus1 = fd + 1;
    memcpy(srv->path, sa.sun_path, sizeof srv->path);
    srv->dev = st.st_dev;
    srv->ino = st.st_ino;
    return 0;

out_unlink:
    (void)unlink(sa.sun_path);
out_close:
    if (fd >= 0)
        (void)close(fd);
    release_name(srv);
    return rc;
}

int
xipc__os_npipe_accept(struct xipc__os_npipe *srv, struct xipc__os_stream *conn, xipc__deadline dl)
{
    int lfd = srv->fd_plus1 - 1;
    for (;;) {
        /* Blocking, as every connection (posix_socket.c). */
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0) {
            memset(conn, 0, sizeof *conn);
            conn->fd_plus1 = fd + 1;
            conn->variant = XIPC__POSIX_STREAM_SOCKET;
            return 0;
        }
        int e = errno;
        /* A client that gave up before we took it is not our failure. */
        if (e == EINTR || e == ECONNABORTED)
            continue;
        if (e != EAGAIN && e != EWOULDBLOCK)
            return XIPC__OS_FAIL(e, "accept4", srv->path);
        int rc = xipc__posix_poll_fd(lfd, POLLIN, dl);
        if (rc != 0)
            return rc;
    }
}

/* One connection attempt: 0, XIPC_EBUSY when the backlog is full, XIPC_ENOENT when nobody
 * listens at sa, or another failure. */
static int
try_connect(const struct sockaddr_un *sa, unsigned mode, int *fd)
{
    int rc = new_socket(mode, fd);
    if (rc != 0)
        return rc;
    if (connect(*fd, (const struct sockaddr *)sa, sizeof *sa) == 0)
        return 0;
    int e = errno;
    (void)close(*fd);
    *fd = -1;
    switch (e) {
    case ENOENT:
    case ECONNREFUSED: /* a socket file without a server */
        (void)XIPC__OS_FAIL(e, "connect", sa->sun_path);
        return XIPC_ENOENT;
    case EPROTOTYPE:
        return XIPC__FAIL(XIPC_EINVAL, "name: a server of the other mode (byte or message)");
    case EAGAIN:
        return XIPC_EBUSY;
    default:
        return XIPC__OS_FAIL(e, "connect", sa->sun_path);
    }
}

int
xipc__os_npipe_connect(const char *name, unsigned mode, unsigned flags,
    struct xipc__os_stream *conn, xipc__deadline dl)
{
    struct sockaddr_un sa;
    struct xipc__npipe_patience patience = { 0 };
    patience.wait_server = (flags & XIPC_NPIPE_WAIT_SERVER) != 0;
    int fd = -1, rc = socket_address(name, &sa);
    unsigned pause_ms = 1;
    if (rc != 0)
        return rc;
    /* A full backlog (EAGAIN: the server, xipc's or not, is slow to accept) is retried with
     * short, growing pauses until the deadline; nobody listening (ENOENT, ECONNREFUSED) is final
     * at once unless the server was busy a moment ago or the caller waits for one to appear
     * (struct xipc__npipe_patience). */
    for (;;) {
        rc = try_connect(&sa, mode, &fd);
        if (rc == XIPC_EBUSY) {
            xipc__npipe_saw_busy(&patience);
            rc = xipc__pause_before_retry(dl, &pause_ms, 20);
        } else if (rc == XIPC_ENOENT) {
            rc = xipc__npipe_after_missing(&patience, dl);
        } else {
            break;
        }
        if (rc != 0)
            return rc;
    }
    /* Made non-blocking so that a full backlog fails at once; a connection is blocking. */
    if (rc != 0 || (rc = xipc__posix_socket_blocking(fd)) != 0) {
        if (fd >= 0)
            (void)close(fd);
        return rc;
    }
    memset(conn, 0, sizeof *conn);
    conn->fd_plus1 = fd + 1;
    conn->variant = XIPC__POSIX_STREAM_SOCKET;
    return 0;
}

/* After this process's hold is closed: removes the socket file and the lock file if no other
 * process holds the server. Every holder's lock descriptor is one open file description (passed
 * on or copied by fork), whose flock lasts while any holder keeps it open, so a fresh open of the
 * lock file takes LOCK_EX only once none does. That lock is kept while the files go, so that no
 * new server claims the name before its old files are gone; the path must still name the file
 * locked (another last holder may have removed it, and a new server made another). Only the
 * socket file bound for this server goes (a program that is not xipc's may have put another
 * there). The socket was closed first: a client that comes now is refused, never left unheard in
 * the backlog of a socket about to go. */
static void
remove_name_if_last(const struct xipc__os_npipe *srv)
{
    struct stat st;
    int rc, fd = open(srv->lock_path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return; /* gone: another last holder removed it */
    while ((rc = flock(fd, LOCK_EX | LOCK_NB)) != 0 && errno == EINTR)
        ;
    if (rc == 0 && same_file(fd, srv->lock_path)) {
        if (stat(srv->path, &st) == 0 && st.st_dev == srv->dev && st.st_ino == srv->ino)
            (void)unlink(srv->path);
        (void)unlink(srv->lock_path);
    }
    (void)close(fd);
}

void
xipc__os_npipe_close(struct xipc__os_npipe *srv)
{
    if (srv->fd_plus1 > 0)
        (void)close(srv->fd_plus1 - 1);
    if (srv->lock_fd_plus1 > 0) {
        (void)close(srv->lock_fd_plus1 - 1);
        remove_name_if_last(srv);
    }
    memset(srv, 0, sizeof *srv);
}

bool
xipc__os_npipe_holds(const struct xipc__os_npipe *srv, intptr_t native)
{
    return (srv->fd_plus1 > 0 && native == srv->fd_plus1 - 1) ||
        (srv->lock_fd_plus1 > 0 && native == srv->lock_fd_plus1 - 1);
}

void
xipc__os_npipe_waitable(const struct xipc__os_npipe *srv, struct xipc__wait *w)
{
    /* A listening socket polls readable while a client waits in its backlog. */
    w->how = XIPC__WAIT_FD;
    w->native = srv->fd_plus1 - 1;
}

/* ---- Servers passed on to a child ----------------------------------------------------------- */

void
xipc__os_npipe_natives(const struct xipc__os_npipe *srv, intptr_t out[XIPC__NATIVES_MAX])
{
    out[0] = srv->fd_plus1 - 1;
    out[1] = srv->lock_fd_plus1 - 1;
}

const char *
xipc__os_npipe_name(const struct xipc__os_npipe *srv)
{
    return strrchr(srv->path, '/') + 1;
}

/* An inherited descriptor's number: XIPC_EBADF when it is out of range or not open. */
static int
inherited_fd(intptr_t native, int *fd)
{
    if (native < 0 || native > INT_MAX || fcntl((int)native, F_GETFD) < 0)
        return XIPC_EBADF;
    *fd = (int)native;
    return 0;
}

/* The listening socket of a server of this mode on name: an AF_UNIX socket of the mode's type
 * that listens, bound at <runtime dir>/name (in the runtime directory the parent had, which
 * *sa gets). XIPC_EINVAL for anything else. */
static int
check_listener(int fd, unsigned mode, const char *name, struct sockaddr_un *sa)
{
    int type = 0, listening = 0;
    socklen_t type_len = sizeof type, listening_len = sizeof listening, sa_len = sizeof *sa;
    memset(sa, 0, sizeof *sa);
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_len) != 0)
        return errno == ENOTSOCK ? XIPC__FAIL(XIPC_EINVAL, "text: not a server (not a socket)")
                                 : XIPC__OS_FAIL(errno, "getsockopt", "inherited descriptor");
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &listening_len) != 0)
        return XIPC__OS_FAIL(errno, "getsockopt", "inherited descriptor");
    if (getsockname(fd, (struct sockaddr *)sa, &sa_len) != 0)
        return XIPC__OS_FAIL(errno, "getsockname", "inherited descriptor");
    const char *slash = strrchr(sa->sun_path, '/');
    if (type != socket_type(mode) || !listening || sa->sun_family != AF_UNIX || slash == NULL ||
        strcmp(slash + 1, name) != 0)
        return XIPC__FAIL(XIPC_EINVAL, "text: not a server of that name and mode (its socket)");
    return 0;
}

int
xipc__os_npipe_adopt(
    const char *name, unsigned mode, const intptr_t natives[2], struct xipc__os_npipe *srv)
{
    struct sockaddr_un sa;
    struct stat st;
    int fd = -1, lock_fd = -1, rc;
    if ((rc = inherited_fd(natives[0], &fd)) != 0 || (rc = inherited_fd(natives[1], &lock_fd)) != 0)
        return rc;
    if ((rc = check_listener(fd, mode, name, &sa)) != 0 ||
        (rc = lock_path_for(sa.sun_path, srv->lock_path, sizeof srv->lock_path)) != 0)
        return rc;
    if (!same_file(lock_fd, srv->lock_path))
        return XIPC__FAIL(XIPC_EINVAL, "text: not a server of that name (its lock file)");
    if (xipc__handle_owns_native(fd) || xipc__handle_owns_native(lock_fd))
        return XIPC_EEXIST;
    /* O_NONBLOCK belongs to the socket's open file description, which the parent set already. */
    if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 || fcntl(lock_fd, F_SETFD, FD_CLOEXEC) < 0)
        return XIPC__OS_FAIL(errno, "fcntl", NULL);
    srv->fd_plus1 = fd + 1;
    srv->lock_fd_plus1 = lock_fd + 1;
    memcpy(srv->path, sa.sun_path, sizeof srv->path);
    /* The socket file, so that the last holder's close removes only that one. */
    if (stat(srv->path, &st) == 0 && S_ISSOCK(st.st_mode)) {
        srv->dev = st.st_dev;
        srv->ino = st.st_ino;
    }
    return 0;
}

/* ---- Messages ------------------------------------------------------------------------------- */

/* A deadline already fixed, as the message calls get theirs. Once fixed, only dl counts (its
 * XIPC__DEADLINE_NEVER is "no limit"): timeout_ms is left 0 and read by nobody. */
static struct xipc__lazy_deadline
fixed_deadline(xipc__deadline dl)
{
    struct xipc__lazy_deadline ld = { .timeout_ms = 0, .fixed = true, .dl = dl };
    return ld;
}

int
xipc__os_msg_send(struct xipc__os_stream *s, const void *buf, size_t len, xipc__deadline dl)
{
    struct xipc__lazy_deadline ld = fixed_deadline(dl);
    size_t put = 0;
    /* SOCK_SEQPACKET sends a message whole or not at all. */
    return xipc__posix_socket_send(s, buf, len, &ld, &put);
}

/* Gives the message held in s->spill (see below) if it fits in cap, else says how big it is. */
static int
take_held(struct xipc__os_stream *s, void *buf, size_t cap, size_t *len)
{
    *len = s->held_len;
    if (s->held_len > cap)
        return XIPC__FAIL(XIPC_EMSGSIZE, "cap: smaller than the message, which stays queued");
    memcpy(buf, s->spill, s->held_len);
    s->held_len = 0;
    return 0;
}

/* SOCK_SEQPACKET drops the rest of a message read into a short buffer, so every receive takes
 * room for the largest message, XIPC_MSGPIPE_MAX + 1 bytes (one more, so that a longer one from a
 * sender that is not xipc shows), in one system call: a peek at the size first would cost a
 * second call per message. Where the room is depends on cap (measured here, a 64-byte message
 * on an idle socket: recv 285 ns, recvmsg with two iovecs 375 ns, recv into the spill area and a
 * 64-byte copy 290 ns; the copy costs as much as recvmsg's extra at about 16 KiB):
 * - cap up to SPILL_COPY_MAX: recv into s->spill, then a copy of a message that fits;
 * - cap below XIPC_MSGPIPE_MAX: recvmsg into buf and, past it, into s->spill, no copy;
 * - cap from XIPC_MSGPIPE_MAX: recv into buf; MSG_TRUNC makes a longer message show its size.
 * A message that does not fit cap is kept whole in s->spill for a later receive. A message longer
 * than XIPC_MSGPIPE_MAX comes only from a sender that is not xipc (on an adopted socket) and is
 * cut short by the OS: XIPC_EMSGSIZE, and it is gone. */
#define SPILL_COPY_MAX 8192u

static int
spill_ready(struct xipc__os_stream *s)
{
    if (s->spill == NULL && (s->spill = malloc((size_t)XIPC_MSGPIPE_MAX + 1)) == NULL)
        return XIPC_ENOMEM;
    return 0;
}

/* One message into buf, s->spill past it or s->spill alone (see above); *n its size, or more
 * than XIPC_MSGPIPE_MAX for one cut short. *in_spill: the message starts in s->spill. */
static int
recv_one(struct xipc__os_stream *s, void *buf, size_t cap, xipc__deadline dl, size_t *n,
    bool *in_spill)
{
    const size_t room = (size_t)XIPC_MSGPIPE_MAX + 1;
    struct xipc__lazy_deadline ld = fixed_deadline(dl);
    struct iovec iov[2] = { { buf, cap }, { NULL, 0 } };
    int rc;
    *in_spill = cap <= SPILL_COPY_MAX;
    if (cap >= XIPC_MSGPIPE_MAX)
        return xipc__posix_socket_recv(s, buf, cap, MSG_TRUNC, &ld, n);
    if ((rc = spill_ready(s)) != 0)
        return rc;
    if (*in_spill)
        return xipc__posix_socket_recv(s, s->spill, room, 0, &ld, n);
    iov[1].iov_base = s->spill;
    iov[1].iov_len = room - cap;
    return xipc__posix_socket_recvv(s, iov, 2, 0, &ld, n);
}

/* Keeps a message of n bytes that did not fit cap whole in s->spill: XIPC_EMSGSIZE. Its start
 * is in buf unless it came in s->spill alone. */
static int
hold_message(struct xipc__os_stream *s, const void *buf, size_t cap, size_t n, bool in_spill)
{
    if (!in_spill) {
        memmove(s->spill + cap, s->spill, n - cap);
        memcpy(s->spill, buf, cap);
    }
    s->held_len = n;
    return XIPC__FAIL(XIPC_EMSGSIZE, "cap: smaller than the message, which stays queued");
}

int
xipc__os_msg_recv(struct xipc__os_stream *s, void *buf, size_t cap, size_t *len, xipc__deadline dl)
{
    size_t n = 0;
    bool in_spill = false;
    if (s->held_len > 0)
        return take_held(s, buf, cap, len);
    int rc = recv_one(s, buf, cap, dl, &n, &in_spill);
    if (rc != 0)
        return rc;
    if (n == 0)
        return XIPC_ECLOSED; /* xipc never sends an empty message: this is the end */
    *len = n;
    if (n > XIPC_MSGPIPE_MAX && n > cap)
        return XIPC__FAIL(XIPC_EMSGSIZE, "a message longer than XIPC_MSGPIPE_MAX, from a sender "
                                         "that is not xipc: cut short by the OS, and dropped");
    if (n > cap)
        return hold_message(s, buf, cap, n, in_spill);
    if (in_spill)
        memcpy(buf, s->spill, n);
    return 0;
}

int
xipc__os_stream_peer_pid(const struct xipc__os_stream *s, uint64_t *pid)
{
    if (s->variant != XIPC__POSIX_STREAM_SOCKET)
        return XIPC_ENOTSUP;
    return xipc__posix_socket_peer_pid(s->fd_plus1 - 1, pid); /* posix_peercred.c */
}

bool
xipc__os_msg_held(const struct xipc__os_stream *s)
{
    return s->held_len > 0;
}

/* A message connection: a connected AF_UNIX SOCK_SEQPACKET socket that does not listen. Anything
 * else is XIPC_EINVAL: a byte-mode connection has no boundaries, a listening socket no messages. */
static int
check_message_socket(int fd)
{
    struct sockaddr_un peer;
    socklen_t peer_len = sizeof peer;
    int type = 0, listening = 0;
    socklen_t type_len = sizeof type, listening_len = sizeof listening;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_len) != 0) {
        if (errno == ENOTSOCK)
            return XIPC__FAIL(XIPC_EINVAL, "text: not a message pipe (not a socket)");
        return XIPC__OS_FAIL(errno, "getsockopt", "inherited descriptor");
    }
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &listening_len) != 0)
        return XIPC__OS_FAIL(errno, "getsockopt", "inherited descriptor");
    if (type != SOCK_SEQPACKET || listening)
        return XIPC__FAIL(XIPC_EINVAL, "text: not a message pipe (another kind of socket)");
    /* ENOTCONN: never connected; only a connection carries messages. */
    if (getpeername(fd, (struct sockaddr *)&peer, &peer_len) != 0)
        return errno == ENOTCONN ? XIPC__FAIL(XIPC_EINVAL, "text: an unconnected socket")
                                 : XIPC__OS_FAIL(errno, "getpeername", NULL);
    if (peer.sun_family != AF_UNIX)
        return XIPC__FAIL(XIPC_EINVAL, "text: not an AF_UNIX socket");
    return 0;
}

/* Everything that decides whether the descriptor can be adopted is checked before anything about
 * it changes. A connection is a blocking socket with close-on-exec, as accept and connect make
 * it (posix_socket.c keeps each call's timeout in SO_RCVTIMEO / SO_SNDTIMEO). */
int
xipc__os_msgpipe_adopt(intptr_t native, struct xipc__os_stream *s)
{
    if (native < 0 || native > INT_MAX)
        return XIPC_EBADF;
    int fd = (int)native;
    if (fcntl(fd, F_GETFD) < 0)
        return XIPC__OS_FAIL(errno, "fcntl", "inherited descriptor");
    int rc = check_message_socket(fd);
    if (rc != 0)
        return rc;
    if (xipc__handle_owns_native(native))
        return XIPC_EEXIST;
    if ((rc = xipc__posix_socket_blocking(fd)) != 0)
        return rc;
    if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
        return XIPC__OS_FAIL(errno, "fcntl", NULL);
    memset(s, 0, sizeof *s);
    s->fd_plus1 = fd + 1;
    s->variant = XIPC__POSIX_STREAM_SOCKET;
    /* The process that passed it on may hold it still, and set its timeouts at any time. */
    s->recv_timeout_ms = s->send_timeout_ms = XIPC__POSIX_TIMEOUTS_SHARED;
    return 0;
}
