/* posix/posix_flock.c: byte-range file locks (common/platform.h, "File locks") as
 * open-file-description locks (Linux 3.15, POSIX.1-2024): F_OFD_SETLK, F_OFD_SETLKW. They belong
 * to the open file description, not to the process, so two opens in one process conflict and
 * closing one never drops the other's locks (classic F_SETLK locks fail both). They conflict with
 * classic fcntl and lockf locks of programs that never heard of xipc.
 *
 * Waits: timeout 0 is F_OFD_SETLK; XIPC_FOREVER is F_OFD_SETLKW in the caller's thread, which the
 * kernel wakes itself when the holder unlocks. A limit: no timed lock call exists, so after a
 * failed F_OFD_SETLK a helper thread makes the blocking F_OFD_SETLKW on the same descriptor (the
 * lock then belongs to the handle, whichever thread asked), wakes the caller through a futex,
 * and is cancelled at the deadline (fcntl(F_OFD_SETLKW) is a cancellation point: POSIX,
 * pthreads(7)). Cancellation is glibc's own business, so the program's signal dispositions stay
 * as they are; interrupting the caller's own F_OFD_SETLKW would need a signal handler, which xipc
 * never installs. The price is one thread wake-up more per hand-off: `xipc bench` measured the
 * limited hand-off at about 1.5x the blocking call's at p50 (a busy 2-CPU machine), the unlimited
 * one at 1.0x. */
#include "posix_sync.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
xipc__os_flock_open(const char *path, unsigned flags, struct xipc__os_flock *f)
{
    struct stat st;
    int fd = -1;
    int rc = xipc__posix_open_file(path, flags, O_RDWR, &fd);
    if (rc != 0)
        return rc;
    if (fstat(fd, &st) != 0)
        rc = XIPC__OS_FAIL(errno, "fstat", path);
    else if (!S_ISREG(st.st_mode))
        rc = XIPC__FAIL(XIPC_EINVAL, "path: not a regular file");
    if (rc != 0) {
        (void)close(fd);
        return rc;
    }
    f->fd_plus1 = fd + 1;
    return 0;
}

static struct flock
range_of(short type, uint64_t offset, uint64_t len)
{
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    fl.l_start = (off_t)offset;
    fl.l_len = (off_t)len; /* 0: to the end of the file, however it grows */
    fl.l_pid = 0; /* F_OFD_* require it */
    return fl;
}

/* A failed F_OFD_SETLK(W) as an xipc code; conflicts are the caller's to tell apart. */
static int
lock_failure(int e)
{
    int rc = XIPC__OS_FAIL(e, "fcntl(F_OFD_SETLK)", NULL);
    return e == ENOLCK ? XIPC_ELIMIT : rc; /* the kernel's lock table is full */
}

/* ---- Waiting with a limit ------------------------------------------------------------------- */

struct lock_waiter {
    int fd;
    struct flock fl;
    /* 0 while the helper waits; 1 once F_OFD_SETLKW returned (err says how). A futex word, so
     * that the helper's wake is one call and the woken caller takes no lock after it. */
    _Atomic uint32_t done;
    int err; /* the errno of F_OFD_SETLKW, 0 when it locked; written before done */
    /* The caller and the helper each hold one; the last to let go frees it, so that a caller
     * woken with the lock returns at once, without waiting for the helper's thread to end. */
    atomic_int refs;
};

static void
waiter_release(struct lock_waiter *w)
{
    if (atomic_fetch_sub(&w->refs, 1) == 1)
        free(w);
}

static void *
wait_for_lock(void *arg)
{
    struct lock_waiter *w = arg;
    int e;
    do
        e = fcntl(w->fd, F_OFD_SETLKW, &w->fl) == 0 ? 0 : errno;
    while (e == EINTR);
    /* Past the only cancellation point: nothing below may be cut short. */
    (void)pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
    w->err = e;
    atomic_store(&w->done, 1);
    xipc__posix_futex_wake(&w->done, 1);
    waiter_release(w);
    return NULL;
}

/* Starts the helper with every signal blocked, so that no signal meant for the program runs its
 * handler on xipc's thread. */
static int
start_waiter(struct lock_waiter *w, pthread_t *thread)
{
    sigset_t all, old;
    (void)sigfillset(&all);
    (void)pthread_sigmask(SIG_SETMASK, &all, &old);
    int e = pthread_create(thread, NULL, wait_for_lock, w);
    (void)pthread_sigmask(SIG_SETMASK, &old, NULL);
    return e == 0 ? 0 : XIPC__OS_FAIL(e, "pthread_create", NULL);
}

/* Waits until the helper is done or dl passes; true when it is done. */
static bool
await_waiter(struct lock_waiter *w, xipc__deadline dl)
{
    while (atomic_load(&w->done) == 0)
        if (xipc__posix_futex_wait(&w->done, 0, dl) == XIPC_ETIMEDOUT)
            break;
    return atomic_load(&w->done) != 0;
}

/* At the deadline: cancels the helper and waits for it to end. The kernel may have granted the
 * lock as the cancellation came: it is given back. The handle holds nothing else in this range
 * (common/flock.c refuses overlaps), so this unlock drops no other lock. Returns 0 when the
 * helper got the lock after all, else XIPC_ETIMEDOUT or its failure. */
static int
cancel_waiter(struct lock_waiter *w, pthread_t thread)
{
    (void)pthread_cancel(thread);
    (void)pthread_join(thread, NULL);
    if (atomic_load(&w->done) != 0) {
        int e = w->err;
        free(w); /* the helper let go of its share as it finished */
        return e == 0 ? 0 : lock_failure(e);
    }
    struct flock unlock = w->fl;
    unlock.l_type = F_UNLCK;
    (void)fcntl(w->fd, F_OFD_SETLK, &unlock);
    free(w); /* cancelled in fcntl: the helper never let go of its share */
    return XIPC_ETIMEDOUT;
}

static int
lock_until(int fd, struct flock fl, int timeout_ms)
{
    pthread_t thread;
    xipc__deadline dl = xipc__deadline_in(timeout_ms);
    struct lock_waiter *w = calloc(1, sizeof *w);
    if (w == NULL)
        return XIPC_ENOMEM;
    w->fd = fd;
    w->fl = fl;
    atomic_init(&w->done, 0);
    atomic_init(&w->refs, 2);
    int rc = start_waiter(w, &thread);
    if (rc != 0) {
        free(w);
        return rc;
    }
    if (!await_waiter(w, dl))
        return cancel_waiter(w, thread);
    rc = w->err == 0 ? 0 : lock_failure(w->err);
    (void)pthread_detach(thread); /* it ends on its own, freeing its share if last */
    waiter_release(w);
    return rc;
}

int
xipc__os_flock_lock(
    struct xipc__os_flock *f, uint64_t offset, uint64_t len, bool exclusive, int timeout_ms)
{
    int fd = f->fd_plus1 - 1;
    struct flock fl = range_of(exclusive ? F_WRLCK : F_RDLCK, offset, len);
    int e;
    if (timeout_ms == XIPC_FOREVER) {
        do
            e = fcntl(fd, F_OFD_SETLKW, &fl) == 0 ? 0 : errno;
        while (e == EINTR);
        return e == 0 ? 0 : lock_failure(e);
    }
    e = fcntl(fd, F_OFD_SETLK, &fl) == 0 ? 0 : errno;
    if (e == 0)
        return 0;
    if (e != EAGAIN && e != EACCES) /* both mean "a conflicting lock" (fcntl(2)) */
        return lock_failure(e);
    return timeout_ms == 0 ? XIPC_ETIMEDOUT : lock_until(fd, fl, timeout_ms);
}

int
xipc__os_flock_unlock(struct xipc__os_flock *f, uint64_t offset, uint64_t len)
{
    struct flock fl = range_of(F_UNLCK, offset, len);
    if (fcntl(f->fd_plus1 - 1, F_OFD_SETLK, &fl) != 0)
        return XIPC__OS_FAIL(errno, "fcntl(F_OFD_SETLK, F_UNLCK)", NULL);
    return 0;
}

/* ---- Reads and writes ----------------------------------------------------------------------- */

static int
io_failure(int e, const char *call)
{
    int rc = XIPC__OS_FAIL(e, call, NULL);
    return e == EFBIG ? XIPC_ENOSPC : rc; /* past the file system's largest file */
}

int
xipc__os_flock_read_at(
    struct xipc__os_flock *f, uint64_t offset, void *buf, size_t len, size_t *got)
{
    ssize_t n;
    if (len > (size_t)SSIZE_MAX)
        len = (size_t)SSIZE_MAX;
    do
        n = pread(f->fd_plus1 - 1, buf, len, (off_t)offset);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return io_failure(errno, "pread");
    *got = (size_t)n;
    return 0;
}

int
xipc__os_flock_write_at(struct xipc__os_flock *f, uint64_t offset, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    while (len > 0) {
        ssize_t n = pwrite(
            f->fd_plus1 - 1, p, len > (size_t)SSIZE_MAX ? (size_t)SSIZE_MAX : len, (off_t)offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? io_failure(errno, "pwrite") : XIPC__FAIL(XIPC_ENOSPC, "pwrite: 0 bytes");
        p += n;
        offset += (uint64_t)n;
        len -= (size_t)n;
    }
    return 0;
}

void
xipc__os_flock_close(struct xipc__os_flock *f)
{
    if (f->fd_plus1 > 0)
        (void)close(f->fd_plus1 - 1);
    f->fd_plus1 = 0;
}

bool
xipc__os_flock_holds(const struct xipc__os_flock *f, intptr_t native)
{
    return f->fd_plus1 > 0 && native == f->fd_plus1 - 1;
}
