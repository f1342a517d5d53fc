/* posix/posix_stream.c: byte streams on descriptors, and anonymous pipes (common/platform.h,
 * "Streams"). A call tries the transfer first without waiting, so a ready stream costs one
 * system call. Where the OS can try without O_NONBLOCK (posix_nowait.c: RWF_NOWAIT), pipe
 * descriptors stay blocking: a call without a limit is the plain blocking read or write, as a
 * program calling the OS makes it, and only a wait with a limit polls (which on Linux slows
 * every later transfer on that pipe: see posix_nowait.c). Elsewhere pipes are O_NONBLOCK and a
 * wait polls. FIFOs take no RWF_NOWAIT: a FIFO end's description follows its
 * calls instead ("FIFO ends" below). Each variant of stream (platform_types.h) has its own read
 * and write, chosen by one switch on its tag; sockets (named-pipe connections, TCP, AF_UNIX,
 * duplex pipes) go to posix_socket.c, but for a call without a limit on a socket with no timeout
 * set, which is the plain recv or send made here, inline, as a pipe's read or write is. */
#include "posix_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int
xipc__posix_poll_fd(int fd, short events, xipc__deadline dl)
{
    struct pollfd pfd = { .fd = fd, .events = events };
    for (;;) {
        int n = poll(&pfd, 1, xipc__deadline_left_ms(dl));
        if (n > 0)
            return 0; /* ready, or POLLHUP/POLLERR: the transfer itself reports which */
        if (n == 0)
            return XIPC_ETIMEDOUT;
        if (errno != EINTR)
            return XIPC__OS_FAIL(errno, "poll", NULL);
    }
}

static int
stream_fd(const struct xipc__os_stream *s)
{
    return s->fd_plus1 - 1;
}

/* Whether xipc__posix_read_nowait works on pipes here, found once with a scratch pipe: then pipe
 * descriptors stay blocking (XIPC__POSIX_STREAM_PIPE); else they are O_NONBLOCK
 * (XIPC__POSIX_STREAM_NONBLOCK). */
static bool nowait_works;
static pthread_once_t nowait_once = PTHREAD_ONCE_INIT;

static void
probe_nowait(void)
{
    int fds[2];
    char byte;
    if (xipc__posix_pipe(fds, 0) != 0)
        return; /* no pipe now, no pipe stream either: the next pipe made will say why */
    nowait_works = xipc__posix_read_nowait(fds[0], &byte, 1) < 0 && errno == EAGAIN;
    (void)close(fds[0]);
    (void)close(fds[1]);
}

enum xipc__posix_stream_variant
xipc__posix_pipe_variant(void)
{
    (void)pthread_once(&nowait_once, probe_nowait);
    return nowait_works ? XIPC__POSIX_STREAM_PIPE : XIPC__POSIX_STREAM_NONBLOCK;
}

/* Sets FD_CLOEXEC on an adopted descriptor unless it has it (fd_flags: its F_GETFD; a handle
 * received with MSG_CMSG_CLOEXEC has it), and makes it O_NONBLOCK (NONBLOCK pipes), blocking
 * (sockets, see posix_socket.c), or leaves its description as it is, unasked (PIPE pipes, which
 * work either way: other processes may share the description, and would find their transfers
 * changed under them). */
static int
make_xipc_fd(int fd, int fd_flags, bool is_socket, enum xipc__posix_stream_variant variant)
{
    if (is_socket || variant == XIPC__POSIX_STREAM_NONBLOCK) {
        int fl = fcntl(fd, F_GETFL);
        int want = is_socket ? fl & ~O_NONBLOCK : fl | O_NONBLOCK;
        if (fl < 0 || (want != fl && fcntl(fd, F_SETFL, want) < 0))
            return XIPC__OS_FAIL(errno, "fcntl", NULL);
    }
    if ((fd_flags & FD_CLOEXEC) == 0 && fcntl(fd, F_SETFD, fd_flags | FD_CLOEXEC) < 0)
        return XIPC__OS_FAIL(errno, "fcntl", NULL);
    return 0;
}

int
xipc__posix_pipe(int fds[2], int flags)
{
#if XIPC_HAVE_PIPE2
    if (pipe2(fds, O_CLOEXEC | flags) != 0)
        return XIPC__OS_FAIL(errno, "pipe2", NULL);
#else
    /* Without pipe2 a concurrent fork+exec elsewhere may inherit these before FD_CLOEXEC. */
    if (pipe(fds) != 0)
        return XIPC__OS_FAIL(errno, "pipe", NULL);
    for (int i = 0; i < 2; i++) {
        int fl = fcntl(fds[i], F_GETFL);
        if (fcntl(fds[i], F_SETFD, FD_CLOEXEC) < 0 || fl < 0 ||
            fcntl(fds[i], F_SETFL, fl | flags) < 0) {
            int e = errno;
            (void)close(fds[0]);
            (void)close(fds[1]);
            return XIPC__OS_FAIL(e, "fcntl", NULL);
        }
    }
#endif
    return 0;
}

int
xipc__os_pipe(struct xipc__os_stream *rd, struct xipc__os_stream *wr)
{
    int fds[2];
    enum xipc__posix_stream_variant variant = xipc__posix_pipe_variant();
    int rc = xipc__posix_pipe(fds, variant == XIPC__POSIX_STREAM_NONBLOCK ? O_NONBLOCK : 0);
    if (rc != 0)
        return rc;
    rd->fd_plus1 = fds[0] + 1;
    wr->fd_plus1 = fds[1] + 1;
    rd->variant = wr->variant = variant;
    return 0;
}

/* ---- FIFO ends --------------------------------------------------------------------------------
 * Linux opens FIFOs without FMODE_NOWAIT, so no call tries a transfer on a blocking FIFO
 * description without waiting, as RWF_NOWAIT does on a pipe; and a poll would slow the FIFO for
 * good (posix_nowait.c). A FIFO end this process opened has a description of its own, though, so
 * its mode can follow the calls: it opens O_NONBLOCK; a call without a limit that finds the FIFO
 * not ready clears O_NONBLOCK and makes the plain blocking call, and the description stays
 * blocking, so that every later such call is one plain read or write, until a call with a limit
 * sets O_NONBLOCK again. That call changes the mode and makes its one transfer that does not
 * wait under the end's mode_lock, which a blocking call never holds while it waits, so no call
 * with a limit ever transfers on a blocking description; it polls outside the lock.
 * Only this process may change the mode: once the description may be shared (the end is passed
 * on: xipc__os_stream_share; or this process forked since it opened the end, counted by an
 * atfork handler; xipc_spawn's own fork, which only execs, does not count) the end becomes a
 * NONBLOCK for good. */

static atomic_uint forks_made;
static bool forks_counted; /* the atfork handler is in place */
static pthread_once_t fork_count_once = PTHREAD_ONCE_INIT;
static _Thread_local bool forking_to_exec;

static void
count_fork(void)
{
    if (!forking_to_exec)
        atomic_fetch_add(&forks_made, 1);
}

static void
start_counting_forks(void)
{
    /* Before the fork, in the parent: no thread of the parent changes a mode after the child
     * exists without seeing the new count first. */
    forks_counted = pthread_atfork(count_fork, NULL, NULL) == 0;
}

void
xipc__posix_forking_to_exec(bool forking)
{
    forking_to_exec = forking;
}

void
xipc__posix_fifo_writer_seen(struct xipc__os_stream *s)
{
    s->variant = forks_counted ? XIPC__POSIX_STREAM_FIFO : XIPC__POSIX_STREAM_NONBLOCK;
}

void
xipc__posix_fifo_opened(struct xipc__os_stream *s)
{
    (void)pthread_once(&fork_count_once, start_counting_forks);
    s->fork_count = atomic_load(&forks_made);
    s->fifo_blocking = false;
    xipc__posix_fifo_writer_seen(s);
}

static void
mode_lock(struct xipc__os_stream *s)
{
    while (atomic_flag_test_and_set_explicit(&s->mode_lock, memory_order_acquire))
        sched_yield(); /* held for two system calls that never wait */
}

static void
mode_unlock(struct xipc__os_stream *s)
{
    atomic_flag_clear_explicit(&s->mode_lock, memory_order_release);
}

/* Sets or clears O_NONBLOCK on s's description; under mode_lock. */
static int
fifo_set_blocking(struct xipc__os_stream *s, bool blocking)
{
    if (s->fifo_blocking == blocking)
        return 0;
    int fd = stream_fd(s), fl = fcntl(fd, F_GETFL);
    int want = blocking ? (fl & ~O_NONBLOCK) : (fl | O_NONBLOCK);
    if (fl < 0 || fcntl(fd, F_SETFL, want) < 0)
        return XIPC__OS_FAIL(errno, "fcntl", NULL);
    s->fifo_blocking = blocking;
    return 0;
}

/* A FIFO whose description others may hold from now on: O_NONBLOCK, a NONBLOCK for good; under
 * mode_lock. */
static int
fifo_share_locked(struct xipc__os_stream *s)
{
    s->fifo_blocking = true; /* whatever this process last knew: make sure */
    int rc = fifo_set_blocking(s, false);
    if (rc == 0)
        s->variant = XIPC__POSIX_STREAM_NONBLOCK;
    return rc;
}

static int
fifo_share(struct xipc__os_stream *s)
{
    mode_lock(s);
    int rc = fifo_share_locked(s);
    mode_unlock(s);
    return rc;
}

/* Whether s is still a FIFO that only this process holds (else it becomes a NONBLOCK). */
static int
fifo_still_private(struct xipc__os_stream *s, bool *private)
{
    *private = false;
    if (s->fork_count != atomic_load(&forks_made)) {
        int rc = fifo_share(s);
        if (rc != 0)
            return rc;
    }
    *private = s->variant == XIPC__POSIX_STREAM_FIFO;
    return 0;
}

/* ---- Reading, per variant (enum xipc__posix_stream_variant) ---------------------------------- */

/* Whether a call with this deadline waits without a limit. */
static inline bool
waits_forever(const struct xipc__lazy_deadline *ld)
{
    return ld->timeout_ms == XIPC_FOREVER;
}

static int nonblock_read(
    int fd, void *buf, size_t cap, size_t *got, struct xipc__lazy_deadline *ld);
static int nonblock_write_some(
    int fd, const void *buf, size_t len, size_t *put, struct xipc__lazy_deadline *ld);

/* A PIPE whose descriptor cannot try without waiting after all (EOPNOTSUPP: a FIFO, which Linux
 * opens without FMODE_NOWAIT, passed on to this process) becomes a NONBLOCK for good. */
static int
fall_back_to_nonblock(struct xipc__os_stream *s)
{
    int fd = stream_fd(s), fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return XIPC__OS_FAIL(errno, "fcntl", NULL);
    s->variant = XIPC__POSIX_STREAM_NONBLOCK;
    return 0;
}

/* PIPE, once a read that does not wait failed (errno says why): a call without a limit makes
 * the plain blocking read (EAGAIN there: someone made the description O_NONBLOCK, so it polls);
 * one with a limit polls until its deadline; then each tries again. */
static int
pipe_read_wait(
    struct xipc__os_stream *s, void *buf, size_t cap, size_t *got, struct xipc__lazy_deadline *ld)
{
    int fd = stream_fd(s);
    for (;;) {
        int e = errno, rc = 0;
        if (e == EOPNOTSUPP) {
            if ((rc = fall_back_to_nonblock(s)) != 0)
                return rc;
            return nonblock_read(fd, buf, cap, got, ld);
        }
        if (e != EINTR) {
            if (e != EAGAIN && e != EWOULDBLOCK)
                return XIPC__OS_FAIL(e, "read", NULL);
            if (waits_forever(ld)) {
                ssize_t n = read(fd, buf, cap);
                if (n >= 0) {
                    *got = (size_t)n;
                    return 0;
                }
                if (errno != EAGAIN && errno != EWOULDBLOCK)
                    continue; /* EINTR, or a failure: the top of the loop says which */
            }
            if ((rc = xipc__posix_poll_fd(fd, POLLIN, xipc__lazy_deadline_get(ld))) != 0)
                return rc;
        }
        ssize_t n = xipc__posix_read_nowait(fd, buf, cap);
        if (n >= 0) {
            *got = (size_t)n;
            return 0;
        }
    }
}

/* PIPE: without a limit, the plain read(2), which waits on a blocking description as a program
 * calling the OS waits; with one, a read that does not wait. pipe_read_wait when either could not
 * read. Each read is one call, never a poll without a limit: a try first would cost a failing
 * call whenever the reader waits, and preadv2 costs ~30 ns more than read (131 against 160 ns
 * here for 64 bytes), 3-5% of a stream of 64-byte records. Inline into xipc__os_stream_read, so
 * that the plain pipe's read stays one call below xipc_stream_read's tail call. */
static inline int
pipe_read(
    struct xipc__os_stream *s, void *buf, size_t cap, size_t *got, struct xipc__lazy_deadline *ld)
{
    int fd = stream_fd(s);
    ssize_t n = waits_forever(ld) ? read(fd, buf, cap) : xipc__posix_read_nowait(fd, buf, cap);
    if (n >= 0) {
        *got = (size_t)n;
        return 0;
    }
    return pipe_read_wait(s, buf, cap, got, ld);
}

/* NONBLOCK: an O_NONBLOCK descriptor: read first, poll only on EAGAIN. A reader that waits
 * pays a failing read, about 0.2 us of a 45 us round trip here. */
static int
nonblock_read(int fd, void *buf, size_t cap, size_t *got, struct xipc__lazy_deadline *ld)
{
    int rc;
    for (;;) {
        ssize_t n = read(fd, buf, cap);
        if (n >= 0) {
            *got = (size_t)n;
            return 0;
        }
        int e = errno;
        if (e == EINTR)
            continue;
        if (e != EAGAIN && e != EWOULDBLOCK)
            return XIPC__OS_FAIL(e, "read", NULL);
        if ((rc = xipc__posix_poll_fd(fd, POLLIN, xipc__lazy_deadline_get(ld))) != 0)
            return rc;
    }
}

/* POLL_FIRST, STD: the description may be blocking, so a read must not start before poll says
 * it will not wait. */
static int
poll_first_read(int fd, void *buf, size_t cap, size_t *got, struct xipc__lazy_deadline *ld)
{
    int rc = xipc__posix_poll_fd(fd, POLLIN, xipc__lazy_deadline_get(ld));
    return rc != 0 ? rc : nonblock_read(fd, buf, cap, got, ld);
}

static int variant_read(
    struct xipc__os_stream *s, void *buf, size_t cap, size_t *got, struct xipc__lazy_deadline *ld);

static int fifo_read(
    struct xipc__os_stream *s, void *buf, size_t cap, size_t *got, struct xipc__lazy_deadline *ld);

/* FIFO_AWAITING: 0 bytes is "no writer yet" (see platform_types.h). Once a writer is seen (an
 * EAGAIN: it is there and has written nothing yet, or xipc__posix_fifo_await_writer saw it), the
 * stream is a FIFO, as every FIFO end (posix_fifo.c). */
static int
fifo_awaiting_read(
    struct xipc__os_stream *s, void *buf, size_t cap, size_t *got, struct xipc__lazy_deadline *ld)
{
    int fd = stream_fd(s), rc;
    for (;;) {
        ssize_t n = read(fd, buf, cap);
        if (n > 0) {
            *got = (size_t)n;
            return 0;
        }
        if (n == 0) {
            /* On success the stream is a FIFO: a writer came, and a 0 now is end of stream. */
            if ((rc = xipc__posix_fifo_await_writer(s, xipc__lazy_deadline_get(ld))) != 0)
                return rc;
            return variant_read(s, buf, cap, got, ld);
        }
        int e = errno;
        if (e == EINTR)
            continue;
        if (e != EAGAIN && e != EWOULDBLOCK)
            return XIPC__OS_FAIL(e, "read", NULL);
        xipc__posix_fifo_writer_seen(s);
        return variant_read(s, buf, cap, got, ld);
    }
}

/* Every variant but PIPE, out of the hot path. */
static int
variant_read(
    struct xipc__os_stream *s, void *buf, size_t cap, size_t *got, struct xipc__lazy_deadline *ld)
{
    switch (s->variant) {
    case XIPC__POSIX_STREAM_POLL_FIRST:
    case XIPC__POSIX_STREAM_STD:
        return poll_first_read(stream_fd(s), buf, cap, got, ld);
    case XIPC__POSIX_STREAM_FIFO_AWAITING:
        return fifo_awaiting_read(s, buf, cap, got, ld);
    case XIPC__POSIX_STREAM_FIFO:
        return fifo_read(s, buf, cap, got, ld);
    case XIPC__POSIX_STREAM_SOCKET:
    case XIPC__POSIX_STREAM_SOCK:
        return xipc__posix_socket_recv(s, buf, cap, 0, ld, got);
    case XIPC__POSIX_STREAM_NONBLOCK:
        return nonblock_read(stream_fd(s), buf, cap, got, ld);
    case XIPC__POSIX_STREAM_PIPE:
        break;
    }
    return pipe_read(s, buf, cap, got, ld);
}

/* FIFO, a read without a limit on an end only this process holds: the plain read(2), as
 * fifo_transfer_forever makes it first, inline (the FIFO's read was four calls deeper than the
 * pipe's). false when it did not read: s is no such end (the full path says what it is now), or
 * the read failed (EAGAIN while the description is not blocking yet, EINTR, a failure), and the
 * full path tries again and says why. */
static inline bool
fifo_read_fast(struct xipc__os_stream *s, void *buf, size_t cap, size_t *got, int timeout_ms)
{
    if (s->variant != XIPC__POSIX_STREAM_FIFO || timeout_ms != XIPC_FOREVER ||
        s->fork_count != atomic_load_explicit(&forks_made, memory_order_relaxed))
        return false;
    ssize_t n = read(stream_fd(s), buf, cap);
    if (n < 0)
        return false;
    *got = (size_t)n;
    return true;
}

/* SOCKET, SOCK: whether a call with timeout_ms is the plain blocking call on the socket, as a
 * program calling the OS makes it: a call without a limit, on a socket with no timeout of this
 * process's in place (timeout_now_ms: its SO_RCVTIMEO or SO_SNDTIMEO as posix_socket.c last set
 * it, 0 for none; or XIPC__POSIX_TIMEOUTS_SHARED, where a call without a limit makes the blocking
 * call whatever timeout another process set). Anything else goes through posix_socket.c, which
 * sets or clears the timeout first; so does a plain call that fails (a timeout set elsewhere,
 * O_NONBLOCK set elsewhere, EINTR, the peer gone): xipc__posix_socket_recv_failed and
 * _send_failed take its errno. */
static inline bool
socket_call_is_plain(const struct xipc__os_stream *s, int timeout_ms, int timeout_now_ms)
{
    return (s->variant == XIPC__POSIX_STREAM_SOCK || s->variant == XIPC__POSIX_STREAM_SOCKET) &&
        timeout_ms == XIPC_FOREVER &&
        (timeout_now_ms == 0 || timeout_now_ms == XIPC__POSIX_TIMEOUTS_SHARED);
}

/* SOCKET, SOCK, a plain call (socket_call_is_plain): recv(2) inline, one call below
 * xipc_stream_read as a pipe's read(2) is, where the general recv (which sets timeouts and takes
 * control data) was four calls deeper: ~10-20 ns of a ~200 ns 64-byte TCP read here. recv, not
 * read: the same transfer, measured ~15 ns faster on a socket here. */
static inline int
socket_read_plain(
    struct xipc__os_stream *s, void *buf, size_t cap, size_t *got, struct xipc__lazy_deadline *ld)
{
    ssize_t n = recv(stream_fd(s), buf, cap, 0);
    if (n >= 0) {
        *got = (size_t)n;
        return 0;
    }
    return xipc__posix_socket_recv_failed(s, buf, cap, ld, got);
}

/* A plain pipe is read inline, one test of the variant away from read(), a socket without a
 * limit two tests away and a FIFO end without a limit three; the rest is a tail call to
 * variant_read. */
int
xipc__os_stream_read(struct xipc__os_stream *s, void *buf, size_t cap, size_t *got, int timeout_ms)
{
    if (cap > SSIZE_MAX)
        cap = SSIZE_MAX;
    struct xipc__lazy_deadline ld = xipc__lazy_deadline_in(timeout_ms);
    if (s->variant == XIPC__POSIX_STREAM_PIPE)
        return pipe_read(s, buf, cap, got, &ld);
    if (socket_call_is_plain(s, timeout_ms, s->recv_timeout_ms))
        return socket_read_plain(s, buf, cap, got, &ld);
    if (fifo_read_fast(s, buf, cap, got, timeout_ms))
        return 0;
    return variant_read(s, buf, cap, got, &ld);
}

/* Set once xipc_sigpipe_ignore() has made SIGPIPE's action SIG_IGN; never cleared. */
static atomic_bool sigpipe_ignored;

int
xipc__os_sigpipe_ignore(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    (void)sigemptyset(&sa.sa_mask);
    if (sigaction(SIGPIPE, &sa, NULL) != 0)
        return XIPC__OS_FAIL(errno, "sigaction", "SIGPIPE");
    atomic_store(&sigpipe_ignored, true);
    return 0;
}

/* One write: without waiting (xipc__posix_write_nowait), or the plain write(2). */
static inline ssize_t
write_once(int fd, const void *buf, size_t len, bool nowait)
{
    return nowait ? xipc__posix_write_nowait(fd, buf, len) : write(fd, buf, len);
}

/* write_once with SIGPIPE blocked in this thread for the call: one this write raised is consumed
 * before the mask is restored (a broken pipe sends SIGPIPE to the writing thread); a SIGPIPE the
 * caller already had pending stays pending. The two mask changes cost more than a 64-byte write
 * itself, which is why xipc_sigpipe_ignore() exists. Returns write()'s result, errno kept. */
static ssize_t
write_sigpipe_blocked(int fd, const void *buf, size_t len, bool nowait)
{
    sigset_t pipe_only, old, pending;
    bool was_pending = false;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    (void)pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
    bool was_blocked = sigismember(&old, SIGPIPE) == 1;
    if (was_blocked && sigpending(&pending) == 0)
        was_pending = sigismember(&pending, SIGPIPE) == 1;
    ssize_t n = write_once(fd, buf, len, nowait);
    int e = errno;
    if (n < 0 && e == EPIPE && !was_pending) {
        static const struct timespec no_wait = { 0, 0 };
        while (sigtimedwait(&pipe_only, NULL, &no_wait) < 0 && errno == EINTR) { }
    }
    if (!was_blocked)
        (void)pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = e;
    return n;
}

/* write_once without a SIGPIPE: a plain call once the process ignores SIGPIPE. */
static inline ssize_t
write_no_sigpipe(int fd, const void *buf, size_t len, bool nowait)
{
    if (atomic_load_explicit(&sigpipe_ignored, memory_order_relaxed))
        return write_once(fd, buf, len, nowait);
    return write_sigpipe_blocked(fd, buf, len, nowait);
}

/* ---- FIFO transfers (see "FIFO ends" above) ---------------------------------------------------- */

/* What differs between reading and writing a FIFO end. op: one read(2), or one write without a
 * SIGPIPE (0 bytes written reads as EAGAIN); shared: the NONBLOCK variant's transfer. */
struct fifo_direction {
    ssize_t (*op)(int fd, void *buf, size_t len);
    int (*shared)(int fd, void *buf, size_t len, size_t *done, struct xipc__lazy_deadline *ld);
    short poll_events;
    const char *call;
};

static ssize_t
fifo_op_read(int fd, void *buf, size_t len)
{
    return read(fd, buf, len);
}

static ssize_t
fifo_op_write(int fd, void *buf, size_t len)
{
    ssize_t n = write_no_sigpipe(fd, buf, len, false);
    if (n == 0) {
        errno = EAGAIN;
        n = -1;
    }
    return n;
}

static int
nonblock_write_some_mutable(int fd, void *buf, size_t len, size_t *put,
    struct xipc__lazy_deadline *ld)
{
    return nonblock_write_some(fd, buf, len, put, ld);
}

static const struct fifo_direction fifo_reads = { fifo_op_read, nonblock_read, POLLIN, "read" };
static const struct fifo_direction fifo_writes = { fifo_op_write, nonblock_write_some_mutable,
    POLLOUT, "write" };

/* Makes s's description blocking after a transfer found it was not, unless s became shared
 * meanwhile (*blocking false then). A description this process had made blocking, found
 * non-blocking, was changed by someone else, who holds it too (a program given the descriptor
 * by hand): s is shared from now on. */
static int
fifo_make_blocking(struct xipc__os_stream *s, bool *blocking)
{
    int rc = 0;
    mode_lock(s);
    if (s->variant == XIPC__POSIX_STREAM_FIFO && s->fifo_blocking)
        rc = fifo_share_locked(s);
    *blocking = s->variant == XIPC__POSIX_STREAM_FIFO;
    if (*blocking)
        rc = fifo_set_blocking(s, true);
    mode_unlock(s);
    return rc;
}

/* A transfer without a limit: the plain call, on a description made blocking if it was not.
 * EAGAIN again after that: a call with a limit in another thread made it non-blocking for its
 * own transfer meanwhile (make it blocking again), or another process did (fifo_make_blocking). */
static int
fifo_transfer_forever(struct xipc__os_stream *s, const struct fifo_direction *dir, void *buf,
    size_t len, size_t *done, struct xipc__lazy_deadline *ld)
{
    int fd = stream_fd(s), rc;
    bool blocking;
    for (;;) {
        ssize_t n = dir->op(fd, buf, len);
        if (n >= 0) {
            *done = (size_t)n;
            return 0;
        }
        int e = errno;
        if (e == EINTR)
            continue;
        if (e != EAGAIN && e != EWOULDBLOCK)
            return XIPC__OS_FAIL(e, dir->call, NULL);
        if ((rc = fifo_make_blocking(s, &blocking)) != 0)
            return rc;
        if (!blocking)
            return dir->shared(fd, buf, len, done, ld);
    }
}

/* A transfer with a limit: each try on a non-blocking description, made so under the mode lock
 * and made there, so that no thread's transfer without a limit makes it blocking in between;
 * the wait polls outside the lock. */
static int
fifo_transfer_limited(struct xipc__os_stream *s, const struct fifo_direction *dir, void *buf,
    size_t len, size_t *done, struct xipc__lazy_deadline *ld)
{
    int fd = stream_fd(s);
    for (;;) {
        mode_lock(s);
        int rc = fifo_set_blocking(s, false);
        ssize_t n = rc == 0 ? dir->op(fd, buf, len) : -1;
        int e = errno;
        mode_unlock(s);
        if (rc != 0)
            return rc;
        if (n >= 0) {
            *done = (size_t)n;
            return 0;
        }
        if (e == EINTR)
            continue;
        if (e != EAGAIN && e != EWOULDBLOCK)
            return XIPC__OS_FAIL(e, dir->call, NULL);
        if ((rc = xipc__posix_poll_fd(fd, dir->poll_events, xipc__lazy_deadline_get(ld))) != 0)
            return rc;
    }
}

static int
fifo_transfer(struct xipc__os_stream *s, const struct fifo_direction *dir, void *buf, size_t len,
    size_t *done, struct xipc__lazy_deadline *ld)
{
    bool private;
    int rc = fifo_still_private(s, &private);
    if (rc != 0)
        return rc;
    if (!private)
        return dir->shared(stream_fd(s), buf, len, done, ld);
    if (waits_forever(ld))
        return fifo_transfer_forever(s, dir, buf, len, done, ld);
    return fifo_transfer_limited(s, dir, buf, len, done, ld);
}

static int
fifo_read(
    struct xipc__os_stream *s, void *buf, size_t cap, size_t *got, struct xipc__lazy_deadline *ld)
{
    return fifo_transfer(s, &fifo_reads, buf, cap, got, ld);
}

static int
fifo_write_some(struct xipc__os_stream *s, const void *buf, size_t len, size_t *put,
    struct xipc__lazy_deadline *ld)
{
    /* Only fifo_op_write and nonblock_write_some see buf, and both only read it. */
    return fifo_transfer(s, &fifo_writes, (void *)(uintptr_t)buf, len, put, ld);
}

/* ---- Writing, per variant -------------------------------------------------------------------- */

/* PIPE, once a write that does not wait failed (errno says why; EAGAIN for 0 bytes): as
 * pipe_read_wait, a call without a limit makes the plain blocking write, which returns once
 * every byte went (or the reader is gone); one with a limit polls until its deadline. */
static int
pipe_write_wait(struct xipc__os_stream *s, const void *buf, size_t len, size_t *put,
    struct xipc__lazy_deadline *ld)
{
    int fd = stream_fd(s);
    for (;;) {
        int e = errno, rc = 0;
        if (e == EOPNOTSUPP) {
            if ((rc = fall_back_to_nonblock(s)) != 0)
                return rc;
            return nonblock_write_some(fd, buf, len, put, ld);
        }
        if (e != EINTR) {
            if (e != EAGAIN && e != EWOULDBLOCK)
                return XIPC__OS_FAIL(e, "write", NULL);
            if (waits_forever(ld)) {
                ssize_t n = write_no_sigpipe(fd, buf, len, false);
                if (n > 0) {
                    *put = (size_t)n;
                    return 0;
                }
                if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
                    continue; /* EINTR, or a failure: the top of the loop says which */
            }
            if ((rc = xipc__posix_poll_fd(fd, POLLOUT, xipc__lazy_deadline_get(ld))) != 0)
                return rc;
        }
        ssize_t n = write_no_sigpipe(fd, buf, len, true);
        if (n > 0) {
            *put = (size_t)n;
            return 0;
        }
        if (n == 0)
            errno = EAGAIN;
    }
}

/* PIPE: as pipe_read, the plain write(2) without a limit, a write that does not wait with one;
 * pipe_write_wait when nothing went. */
static inline int
pipe_write_some(struct xipc__os_stream *s, const void *buf, size_t len, size_t *put,
    struct xipc__lazy_deadline *ld)
{
    ssize_t n = write_no_sigpipe(stream_fd(s), buf, len, !waits_forever(ld));
    if (n > 0) {
        *put = (size_t)n;
        return 0;
    }
    if (n == 0)
        errno = EAGAIN;
    return pipe_write_wait(s, buf, len, put, ld);
}

/* NONBLOCK: an O_NONBLOCK descriptor: try, poll only on EAGAIN. */
static int
nonblock_write_some(
    int fd, const void *buf, size_t len, size_t *put, struct xipc__lazy_deadline *ld)
{
    int rc;
    for (;;) {
        ssize_t n = write_no_sigpipe(fd, buf, len, false);
        if (n > 0) {
            *put = (size_t)n;
            return 0;
        }
        int e = (n == 0) ? EAGAIN : errno;
        if (e == EINTR)
            continue;
        if (e != EAGAIN && e != EWOULDBLOCK)
            return XIPC__OS_FAIL(e, "write", NULL);
        if ((rc = xipc__posix_poll_fd(fd, POLLOUT, xipc__lazy_deadline_get(ld))) != 0)
            return rc;
    }
}

/* POLL_FIRST, STD: a blocking description: poll, then write no more than poll promises. */
static int
poll_first_write_some(
    int fd, const void *buf, size_t len, size_t *put, struct xipc__lazy_deadline *ld)
{
    int rc = xipc__posix_poll_fd(fd, POLLOUT, xipc__lazy_deadline_get(ld));
    if (rc != 0)
        return rc;
    return nonblock_write_some(fd, buf, len > PIPE_BUF ? PIPE_BUF : len, put, ld);
}

/* Every variant but PIPE, out of the hot path. */
static int
variant_write_some(struct xipc__os_stream *s, const void *buf, size_t len, size_t *put,
    struct xipc__lazy_deadline *ld)
{
    switch (s->variant) {
    case XIPC__POSIX_STREAM_POLL_FIRST:
    case XIPC__POSIX_STREAM_STD:
        return poll_first_write_some(stream_fd(s), buf, len, put, ld);
    case XIPC__POSIX_STREAM_SOCKET:
    case XIPC__POSIX_STREAM_SOCK:
        return xipc__posix_socket_send(s, buf, len, ld, put);
    case XIPC__POSIX_STREAM_FIFO:
        return fifo_write_some(s, buf, len, put, ld);
    case XIPC__POSIX_STREAM_NONBLOCK:
    case XIPC__POSIX_STREAM_FIFO_AWAITING: /* a reader: write() reports EBADF */
        return nonblock_write_some(stream_fd(s), buf, len, put, ld);
    case XIPC__POSIX_STREAM_PIPE:
        break;
    }
    return pipe_write_some(s, buf, len, put, ld);
}

/* FIFO, a write without a limit on an end only this process holds: the plain write(2) inline,
 * as fifo_read_fast reads. false when nothing was written (the full path tries again and says
 * why). */
static inline bool
fifo_write_fast(struct xipc__os_stream *s, const void *buf, size_t len, size_t *put,
    const struct xipc__lazy_deadline *ld)
{
    if (s->variant != XIPC__POSIX_STREAM_FIFO || !waits_forever(ld) ||
        s->fork_count != atomic_load_explicit(&forks_made, memory_order_relaxed))
        return false;
    ssize_t n = write_no_sigpipe(stream_fd(s), buf, len, false);
    if (n <= 0)
        return false;
    *put = (size_t)n;
    return true;
}

/* SOCKET, SOCK, a plain call (socket_call_is_plain): send(2) inline, as socket_read_plain
 * receives. MSG_NOSIGNAL: a peer that is gone is EPIPE, never SIGPIPE, whether or not the
 * process ignores SIGPIPE (xipc_sigpipe_ignore changes nothing here); send with it measured no
 * slower than write(2). */
static inline int
socket_write_plain(struct xipc__os_stream *s, const void *buf, size_t len, size_t *put,
    struct xipc__lazy_deadline *ld)
{
    ssize_t n = send(stream_fd(s), buf, len, MSG_NOSIGNAL);
    if (n >= 0) {
        *put = (size_t)n;
        return 0;
    }
    return xipc__posix_socket_send_failed(s, buf, len, ld, put);
}

/* A plain pipe is written inline, one test of the variant away from write(), a socket without a
 * limit two tests away and a FIFO end without a limit three. */
static int
stream_write_some(struct xipc__os_stream *s, const void *buf, size_t len, size_t *put,
    struct xipc__lazy_deadline *ld)
{
    *put = 0;
    if (len > SSIZE_MAX)
        len = SSIZE_MAX;
    if (s->variant == XIPC__POSIX_STREAM_PIPE)
        return pipe_write_some(s, buf, len, put, ld);
    if (socket_call_is_plain(s, ld->timeout_ms, s->send_timeout_ms))
        return socket_write_plain(s, buf, len, put, ld);
    if (fifo_write_fast(s, buf, len, put, ld))
        return 0;
    return variant_write_some(s, buf, len, put, ld);
}

int
xipc__os_stream_write(
    struct xipc__os_stream *s, const void *buf, size_t len, size_t *put, int timeout_ms)
{
    return xipc__stream_write_all(stream_write_some, s, buf, len, put, timeout_ms);
}

void
xipc__posix_stream_child_made_blocking(struct xipc__os_stream *s)
{
    /* Only a NONBLOCK or FIFO stream counted on its mode: a PIPE never does, a socket is
     * blocking already, and a standard stream is polled first already. */
    if (s->variant == XIPC__POSIX_STREAM_NONBLOCK || s->variant == XIPC__POSIX_STREAM_FIFO)
        s->variant = XIPC__POSIX_STREAM_POLL_FIRST;
}

void
xipc__os_stream_close(struct xipc__os_stream *s)
{
    /* Never retried: Linux releases the descriptor even when close() reports EINTR. */
    if (s->fd_plus1 > 0)
        (void)close(stream_fd(s));
    free(s->spill);
    memset(s, 0, sizeof *s);
}

int
xipc__os_stream_share(struct xipc__os_stream *s)
{
    /* Every stream is its descriptor alone, no byte held in this process; but a standard
     * stream's copy is not passed on, since the child's import would change the shared handle,
     * a FIFO end stops changing its mode once another process may hold it, and a socket stops
     * keeping its timeouts (posix_socket.c). */
    if (s->variant == XIPC__POSIX_STREAM_STD)
        return XIPC_ENOTSUP;
    if (s->variant == XIPC__POSIX_STREAM_SOCKET || s->variant == XIPC__POSIX_STREAM_SOCK)
        s->recv_timeout_ms = s->send_timeout_ms = XIPC__POSIX_TIMEOUTS_SHARED;
    return s->variant == XIPC__POSIX_STREAM_FIFO ? fifo_share(s) : 0;
}

int
xipc__os_stream_stdio(int which, struct xipc__os_stream *s)
{
    static const char *const names[3] = { "stdin", "stdout", "stderr" };
    /* Above 2, so that the copy never takes the place of a closed standard stream. EBADF when
     * this one is closed. */
    int fd = fcntl(which, F_DUPFD_CLOEXEC, 3);
    if (fd < 0)
        return XIPC__OS_FAIL(errno, "fcntl", names[which]);
    memset(s, 0, sizeof *s);
    s->fd_plus1 = fd + 1;
    /* The description stays as its owners left it, usually blocking (see platform_types.h). */
    s->variant = XIPC__POSIX_STREAM_STD;
    return 0;
}

intptr_t
xipc__os_stream_native(const struct xipc__os_stream *s)
{
    return stream_fd(s);
}

bool
xipc__os_stream_holds(const struct xipc__os_stream *s, intptr_t native)
{
    return s->fd_plus1 > 0 && native == stream_fd(s);
}

void
xipc__os_stream_waitable(const struct xipc__os_stream *s, struct xipc__wait *w)
{
    /* Pipes, FIFOs and sockets alike; a standard stream too, whatever it is (a regular file is
     * always ready). A FIFO reader opened with XIPC_FIFO_NOWAIT before any writer came is not
     * ready until one has (Linux's pipe_poll gives neither POLLIN nor POLLHUP), just as its reads
     * wait. A stream holds no byte in this process; a message pipe may hold one message (after
     * a receive into too small a buffer, posix_npipe.c), which is ready now. */
    w->how = XIPC__WAIT_FD;
    w->native = stream_fd(s);
    w->held = s->held_len > 0;
}

/* What a stream may be made of: a pipe or FIFO, or a connected stream socket (a named-pipe
 * connection, or one a program that is not xipc made). Anything else is XIPC_EINVAL: a file, a
 * directory or a device never waits as a stream must, a listening socket has no bytes, and a
 * datagram or SEQPACKET socket has messages. */
static int
check_stream_kind(int fd, bool *is_socket)
{
    struct stat st;
    int type = 0, listening = 0;
    socklen_t type_len = sizeof type, listening_len = sizeof listening;
    struct sockaddr_storage peer;
    socklen_t peer_len = sizeof peer;
    if (fstat(fd, &st) != 0)
        return XIPC__OS_FAIL(errno, "fstat", "inherited descriptor");
    *is_socket = S_ISSOCK(st.st_mode);
    if (S_ISFIFO(st.st_mode))
        return 0;
    if (!*is_socket)
        return XIPC_EINVAL;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_len) != 0 ||
        getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &listening_len) != 0)
        return XIPC__OS_FAIL(errno, "getsockopt", "inherited descriptor");
    if (type != SOCK_STREAM || listening)
        return XIPC_EINVAL;
    /* ENOTCONN: never connected (or reset); only a connection carries a stream. */
    if (getpeername(fd, (struct sockaddr *)&peer, &peer_len) != 0)
        return errno == ENOTCONN ? XIPC_EINVAL : XIPC__OS_FAIL(errno, "getpeername", NULL);
    return 0;
}

/* Everything that decides whether the descriptor can be adopted is checked before anything about
 * it changes: it is open, no xipc handle of this process has it (a second owner would close it
 * under the first: the same text imported twice), and it is of a stream's kind. */
int
xipc__os_stream_adopt(intptr_t native, struct xipc__os_stream *s)
{
    bool is_socket = false;
    if (native < 0 || native > INT_MAX)
        return XIPC_EBADF;
    int fd = (int)native, fd_flags = fcntl(fd, F_GETFD);
    if (fd_flags < 0)
        return XIPC__OS_FAIL(errno, "fcntl", "inherited descriptor");
    if (xipc__handle_owns_native(native))
        return XIPC_EEXIST;
    int rc = check_stream_kind(fd, &is_socket);
    enum xipc__posix_stream_variant variant = !is_socket ? xipc__posix_pipe_variant()
        : xipc__posix_socket_is_sock(fd)                    ? XIPC__POSIX_STREAM_SOCK
                                                            : XIPC__POSIX_STREAM_SOCKET;
    if (rc == 0)
        rc = make_xipc_fd(fd, fd_flags, is_socket, variant);
    if (rc != 0)
        return rc;
    memset(s, 0, sizeof *s);
    s->fd_plus1 = fd + 1;
    s->variant = variant;
    /* The process that passed it on may hold it still, and set its timeouts at any time. */
    s->recv_timeout_ms = s->send_timeout_ms = XIPC__POSIX_TIMEOUTS_SHARED;
    return 0;
}
