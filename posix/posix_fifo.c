/* posix/posix_fifo.c: FIFOs (common/platform.h, "Named pipes and FIFOs"): mkfifo and open(2), so
 * programs that never heard of xipc share them.
 *
 * open(2) can wait for the other side only without a time limit, so both ends open with
 * O_NONBLOCK and wait by looking again after short, growing pauses (1 to 10 ms,
 * xipc__pause_before_retry):
 * - a writer's open fails with ENXIO while no reader has the FIFO open;
 * - a reader's open succeeds at once, and then xipc__posix_fifo_writer_came (posix_fifo_probe.c)
 *   tells whether a writer has come, without reading anything: a byte taken to find out would
 *   stay in this process, and a child given the reader would never get it (issue 12, item 13).
 *
 * One reader at a time, as on Windows (xipc/fifo.h): an xipc reader holds an exclusive flock on
 * the FIFO, taken before it reads anything. Programs that are not xipc do not ask for it. */
#include "posix_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* The longest pause between looks for the other side. */
#define PAUSE_MAX_MS 10u

int
xipc__os_fifo_create(const char *path)
{
    if (mkfifo(path, 0600) != 0)
        return errno == EEXIST ? XIPC_EEXIST : XIPC__OS_FAIL(errno, "mkfifo", path);
    /* The umask may have taken the owner's own bits; it cannot have added others'. */
    if (chmod(path, 0600) != 0)
        return XIPC__OS_FAIL(errno, "chmod", path);
    return 0;
}

/* 0 if path is a FIFO; XIPC_ENOENT, XIPC_EINVAL (something else), or the stat failure. */
static int
check_fifo(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return errno == ENOENT ? XIPC_ENOENT : XIPC__OS_FAIL(errno, "stat", path);
    return S_ISFIFO(st.st_mode) ? 0 : XIPC_EINVAL;
}

int
xipc__os_fifo_remove(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? XIPC_ENOENT : XIPC__OS_FAIL(errno, "lstat", path);
    if (!S_ISFIFO(st.st_mode))
        return XIPC_EINVAL;
    return unlink(path) == 0 ? 0 : XIPC__OS_FAIL(errno, "unlink", path);
}

static int
open_writer(const char *path, xipc__deadline dl, int *fd)
{
    unsigned pause_ms = 1;
    for (;;) {
        *fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (*fd >= 0)
            return 0;
        int e = errno, rc;
        if (e == EINTR)
            continue;
        if (e != ENXIO) /* ENXIO: no reader yet */
            return e == ENOENT ? XIPC_ENOENT : XIPC__OS_FAIL(e, "open", path);
        if ((rc = xipc__pause_before_retry(dl, &pause_ms, PAUSE_MAX_MS)) != 0)
            return rc;
    }
}

/* Waits until a writer has opened the FIFO (it may have closed again since), taking nothing from
 * it. */
static int
wait_for_writer(int fd, xipc__deadline dl)
{
    unsigned pause_ms = 1;
    for (;;) {
        bool came = false;
        int rc = xipc__posix_fifo_writer_came(fd, &came);
        if (rc != 0 || came)
            return rc;
        if ((rc = xipc__pause_before_retry(dl, &pause_ms, PAUSE_MAX_MS)) != 0)
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

int
xipc__os_fifo_open(const char *path, unsigned mode, struct xipc__os_stream *s, xipc__deadline dl)
{
    int fd = -1, rc = check_fifo(path);
    if (rc != 0)
        return rc;
    memset(s, 0, sizeof *s);
    if (mode == XIPC_FIFO_WRITE) {
        rc = open_writer(path, dl, &fd);
    } else {
        fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        rc = fd >= 0 ? lock_reader(fd, path) : XIPC__OS_FAIL(errno, "open", path);
        if (rc == 0)
            rc = wait_for_writer(fd, dl);
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
