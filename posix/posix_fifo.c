/* posix/posix_fifo.c: FIFOs (common/platform.h, "Named pipes and FIFOs"): mkfifo and open(2), so
 * programs that never heard of xipc share them.
 *
 * What is at the path is checked without following a link and without blocking on it: lstat
 * first, so that a link, something that is not a FIFO or (without XIPC_FIFO_SHARED) a FIFO of
 * another user is refused before anything opens it; then, once open (O_NOFOLLOW, O_NONBLOCK),
 * fstat of the descriptor, since the path may have changed in between. Both come before a reader
 * locks the FIFO and before either end waits.
 *
 * open(2) can wait for the other side only without a time limit, so both ends open with
 * O_NONBLOCK and wait by looking again after short, growing pauses (1 to 10 ms,
 * xipc__pause_before_retry):
 * - a writer's open fails with ENXIO while no reader has the FIFO open;
 * - a reader's open succeeds at once, and then xipc__posix_fifo_writer_came (posix_fifo_probe.c)
 *   tells whether a writer has come, without reading anything (a byte taken to find out would
 *   stay in this process, and a child given the reader would never get it) and without a poll
 *   that would slow the FIFO; a reader's wait without a limit waits in a second, blocking open
 *   of the same FIFO instead (wait_for_writer).
 *
 * One reader at a time, as on Windows (xipc/fifo.h): an xipc reader holds an exclusive flock on
 * the FIFO, taken before it reads anything. Programs that are not xipc do not ask for it.
 *
 * A reader opened with XIPC_FIFO_NOWAIT reads 0 bytes while no writer has come, which POSIX
 * means as end of stream; xipc's reads wait instead (XIPC__POSIX_STREAM_FIFO_AWAITING, see
 * xipc__posix_fifo_await_writer). */
#include "posix_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* The longest pause between looks for the other side. */
#define PAUSE_MAX_MS 10u

int
xipc__os_fifo_create(const char *path)
{
    struct stat st;
    if (mkfifo(path, 0600) != 0)
        return errno == EEXIST ? XIPC_EEXIST : XIPC__OS_FAIL(errno, "mkfifo", path);
    if (lstat(path, &st) != 0)
        return XIPC__OS_FAIL(errno, "lstat", path);
    /* The umask may have taken the owner's own bits (it cannot have added others'): give them
     * back, to what is at path now and not to whatever a link put there would point to. */
    if ((st.st_mode & 0777) != 0600 && fchmodat(AT_FDCWD, path, 0600, AT_SYMLINK_NOFOLLOW) != 0)
        return XIPC__OS_FAIL(errno, "fchmodat", path);
    return 0;
}

/* Whether st, of what is at the path or of an open descriptor, is a FIFO this caller may open:
 * 0; XIPC_EACCES for a link, or (unless shared) a FIFO of another user or one that gives its
 * group or others any access; XIPC_EINVAL for anything else. */
static int
check_stat(const struct stat *st, bool shared)
{
    if (S_ISLNK(st->st_mode))
        return XIPC__FAIL(XIPC_EACCES, "path: a symbolic link");
    if (!S_ISFIFO(st->st_mode))
        return XIPC__FAIL(XIPC_EINVAL, "path: not a FIFO");
    if (!shared && (st->st_uid != geteuid() || (st->st_mode & 077) != 0))
        return XIPC__FAIL(
            XIPC_EACCES, "path: another user's FIFO, or open to others (see XIPC_FIFO_SHARED)");
    return 0;
}

/* check_stat for what is at path, not following a link; XIPC_ENOENT when nothing is. */
static int
check_path(const char *path, bool shared)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? XIPC_ENOENT : XIPC__OS_FAIL(errno, "lstat", path);
    return check_stat(&st, shared);
}

/* check_stat for the open descriptor. */
static int
check_fd(int fd, const char *path, bool shared)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return XIPC__OS_FAIL(errno, "fstat", path);
    return check_stat(&st, shared);
}

int
xipc__os_fifo_remove(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? XIPC_ENOENT : XIPC__OS_FAIL(errno, "lstat", path);
    /* Neither a link nor what it points to is ours to remove. */
    if (S_ISLNK(st.st_mode))
        return XIPC__FAIL(XIPC_EACCES, "path: a symbolic link");
    if (!S_ISFIFO(st.st_mode))
        return XIPC__FAIL(XIPC_EINVAL, "path: not a FIFO");
    return unlink(path) == 0 ? 0 : XIPC__OS_FAIL(errno, "unlink", path);
}

/* A failed open of path: a link (O_NOFOLLOW's ELOOP) is XIPC_EACCES, whatever it points to. */
static int
open_failure(int e, const char *path)
{
    if (e == ENOENT)
        return XIPC_ENOENT;
    int rc = XIPC__OS_FAIL(e, "open", path);
    return e == ELOOP ? XIPC_EACCES : rc;
}

static int
open_writer(const char *path, bool nowait, xipc__deadline dl, int *fd)
{
    unsigned pause_ms = 1;
    for (;;) {
        *fd = open(path, O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
        if (*fd >= 0)
            return 0;
        int e = errno, rc;
        if (e == EINTR)
            continue;
        if (e != ENXIO) /* ENXIO: no reader yet */
            return open_failure(e, path);
        if (nowait) {
            (void)XIPC__OS_FAIL(e, "open", path); /* for diagnostics only */
            return XIPC_ECONNREFUSED;
        }
        if ((rc = xipc__pause_before_retry(dl, &pause_ms, PAUSE_MAX_MS)) != 0)
            return rc;
    }
}

/* Without a limit: waits in the blocking open(2) a program calling the OS makes, which returns
 * once a writer opens (also one that closes again at once), on the FIFO fd already holds:
 * reopened through /proc/self/fd, so that nothing replaced at the path meanwhile is opened. The
 * second descriptor goes at once. XIPC_ENOTSUP where there is no /proc: the caller looks again
 * instead. */
static int
wait_in_open(int fd)
{
    char self[40];
    int twin;
    snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
    while ((twin = open(self, O_RDONLY | O_CLOEXEC)) < 0 && errno == EINTR)
        ;
    if (twin < 0)
        return errno == ENOENT ? XIPC_ENOTSUP : XIPC__OS_FAIL(errno, "open", self);
    (void)close(twin);
    return 0;
}

/* Waits until a writer has opened the FIFO (it may have closed again since), taking nothing from
 * it, and without poll(2), whose mark would slow the FIFO for as long as it stays open
 * (posix_fifo_probe.c): without a limit in open(2) itself; with one, by looking again after
 * short pauses, and at the deadline once more with poll, which alone sees a writer that came and
 * went without writing a byte. */
static int
wait_for_writer(int fd, xipc__deadline dl)
{
    unsigned pause_ms = 1;
    bool came = false;
    int rc = xipc__posix_fifo_writer_came(fd, &came);
    if (rc != 0 || came)
        return rc;
    if (dl == XIPC__DEADLINE_NEVER && (rc = wait_in_open(fd)) != XIPC_ENOTSUP)
        return rc;
    for (;;) {
        if ((rc = xipc__pause_before_retry(dl, &pause_ms, PAUSE_MAX_MS)) == XIPC_ETIMEDOUT) {
            rc = xipc__posix_fifo_writer_left(fd, &came);
            return rc != 0 ? rc : came ? 0 : XIPC_ETIMEDOUT;
        }
        if (rc != 0 || (rc = xipc__posix_fifo_writer_came(fd, &came)) != 0 || came)
            return rc;
    }
}

/* Claims the FIFO for this reader: XIPC_EBUSY when another xipc reader has it. The lock goes
 * with the last descriptor of this open (a child the reader is passed to shares it). */
static int
lock_reader(int fd, const char *path)
{
    int rc;
    while ((rc = flock(fd, LOCK_EX | LOCK_NB)) != 0 && errno == EINTR)
        ;
    if (rc == 0)
        return 0;
    return errno == EWOULDBLOCK ? XIPC_EBUSY : XIPC__OS_FAIL(errno, "flock", path);
}

/* Opens the reader: checked and locked, then either waits for a writer or (nowait) notes whether
 * one has come. */
static int
open_reader(const char *path, unsigned mode, struct xipc__os_stream *s, xipc__deadline dl, int *fd)
{
    int rc;
    bool came = false;
    *fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
    if (*fd < 0)
        return open_failure(errno, path);
    if ((rc = check_fd(*fd, path, (mode & XIPC_FIFO_SHARED) != 0)) != 0 ||
        (rc = lock_reader(*fd, path)) != 0)
        return rc;
    if ((mode & XIPC_FIFO_NOWAIT) == 0)
        return wait_for_writer(*fd, dl);
    rc = xipc__posix_fifo_writer_came(*fd, &came);
    if (!came)
        s->variant = XIPC__POSIX_STREAM_FIFO_AWAITING;
    return rc;
}

int
xipc__os_fifo_open(const char *path, unsigned mode, struct xipc__os_stream *s, xipc__deadline dl)
{
    bool shared = (mode & XIPC_FIFO_SHARED) != 0;
    int fd = -1, rc = check_path(path, shared);
    if (rc != 0)
        return rc;
    memset(s, 0, sizeof *s);
    /* Before the open: a fork from now on may share the description (posix_stream.c). */
    xipc__posix_fifo_opened(s);
    if ((mode & XIPC_FIFO_WRITE) != 0) {
        rc = open_writer(path, (mode & XIPC_FIFO_NOWAIT) != 0, dl, &fd);
        if (rc == 0)
            rc = check_fd(fd, path, shared); /* no reader, no open: only now can it be looked at */
    } else {
        rc = open_reader(path, mode, s, dl, &fd);
    }
    if (rc != 0) {
        if (fd >= 0)
            (void)close(fd);
        memset(s, 0, sizeof *s);
        return rc;
    }
    s->fd_plus1 = fd + 1;
    return 0;
}

int
xipc__posix_fifo_await_writer(struct xipc__os_stream *s, xipc__deadline dl)
{
    /* Linux's pipe_poll reports POLLHUP to a reader only once a writer has opened the FIFO after
     * the reader did and every writer has closed again; before any writer came, neither POLLIN
     * nor POLLHUP: this waits for data or for a writer that came and went. */
    struct pollfd pfd = { .fd = s->fd_plus1 - 1, .events = POLLIN };
    for (;;) {
        int n = poll(&pfd, 1, xipc__deadline_left_ms(dl));
        if (n > 0) {
            xipc__posix_fifo_writer_seen(s);
            return 0;
        }
        if (n == 0)
            return XIPC_ETIMEDOUT;
        if (errno != EINTR)
            return XIPC__OS_FAIL(errno, "poll", NULL);
    }
}
