/* posix/posix_flock.c: byte-range file locks (common/platform.h, "File locks") as
 * open-file-description locks (Linux 3.15, POSIX.1-2024): F_OFD_SETLK, F_OFD_SETLKW. They belong
 * to the open file description, not to the process, so two opens in one process conflict and
 * closing one never drops the other's locks (classic F_SETLK locks fail both). They conflict with
 * classic fcntl and lockf locks of programs that never heard of xipc.
 *
 * Waits: timeout 0 is F_OFD_SETLK; XIPC_FOREVER is F_OFD_SETLKW in the caller's thread, which the
 * kernel wakes itself when the holder unlocks. A limit: no timed lock call exists, and nothing but
 * a signal with a handler ends a waiting F_OFD_SETLKW (the kernel retries the lock until it is
 * granted or a signal comes; closing the descriptor, or a lock change by the same description,
 * does not end it; OFD locks have no deadlock detection). xipc installs no handler, so the caller
 * cannot be the one blocked in the kernel. After a failed F_OFD_SETLK, a helper thread makes the
 * blocking F_OFD_SETLKW on the same descriptor (the lock then belongs to the handle, whichever
 * thread asked), wakes the caller through a futex, and is cancelled at the deadline
 * (fcntl(F_OFD_SETLKW) is a cancellation point: POSIX, pthreads(7)); cancellation is glibc's own
 * business, so the program's signal dispositions stay as they are. The helpers live on, idle
 * between waits, shared by the process's lock handles, as many as threads have waited at once,
 * until the last lock handle closes (so a thousand handles do not keep a thousand threads). A
 * helper made per call woke the caller only after its thread exit (glibc frees a detached
 * thread's stack pages on the way out), which cost about 20-27 us per hand-off; a helper that
 * goes back to sleep costs a futex wake and a context switch, about 5-10 us (measured on a busy
 * 2-CPU machine, the waiting process pinned to one CPU as `xipc bench` pins it). That second wake
 * is what a limited wait costs more than the blocking call, whose caller the kernel wakes. */
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

static void helpers_count_open_handle(void);

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
    helpers_count_open_handle();
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

/* A helper thread that makes the blocking F_OFD_SETLKW for a limited wait. It lives on, idle
 * between waits, so that a hand-off costs the woken helper no thread exit before the caller runs,
 * and a wait no thread start. */
struct xipc__posix_lock_helper {
    struct xipc__posix_lock_helper *next; /* in the process's idle list */
    pthread_t thread;
    int fd; /* and fl: the lock asked for */
    struct flock fl;
    /* The futex word both sides wait on: the caller while ASKED, the helper while IDLE or DONE. */
    _Atomic uint32_t state;
    int err; /* the errno of F_OFD_SETLKW, 0 when it locked; written before DONE */
};

/* IDLE -> ASKED (the caller) -> DONE (the helper) or ABANDONED (the caller, at the deadline: the
 * helper ends); QUIT when the last lock handle closes. */
enum { HELPER_IDLE, HELPER_ASKED, HELPER_DONE, HELPER_ABANDONED, HELPER_QUIT };

/* Waits until asked (true) or told to quit (false). */
static bool
await_ask(struct xipc__posix_lock_helper *h)
{
    uint32_t s;
    while ((s = atomic_load(&h->state)) == HELPER_IDLE || s == HELPER_DONE)
        (void)xipc__posix_futex_wait(&h->state, s, XIPC__DEADLINE_NEVER);
    return s == HELPER_ASKED;
}

/* The helper's life: one F_OFD_SETLKW per ask. Cancellation is disabled but for that call (a
 * cancellation point: POSIX, pthreads(7)), so that a cancel at the deadline ends the thread there
 * and nowhere else: before the call (it acts on entry) or in it, never with the answer half
 * given. */
static void *
help_lock(void *arg)
{
    struct xipc__posix_lock_helper *h = arg;
    (void)pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
    while (await_ask(h)) {
        int e;
        (void)pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
        do
            e = fcntl(h->fd, F_OFD_SETLKW, &h->fl) == 0 ? 0 : errno;
        while (e == EINTR);
        (void)pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
        h->err = e;
        uint32_t asked = HELPER_ASKED;
        if (!atomic_compare_exchange_strong(&h->state, &asked, HELPER_DONE))
            break; /* abandoned: the caller gives back what came, once this thread ended */
        xipc__posix_futex_wake(&h->state, 1);
    }
    return NULL;
}

/* A new helper, started with every signal blocked, so that no signal meant for the program runs
 * its handler on xipc's thread. */
static int
helper_start(struct xipc__posix_lock_helper **out)
{
    sigset_t all, old;
    struct xipc__posix_lock_helper *h = calloc(1, sizeof *h);
    if (h == NULL)
        return XIPC_ENOMEM;
    atomic_init(&h->state, HELPER_IDLE);
    (void)sigfillset(&all);
    (void)pthread_sigmask(SIG_SETMASK, &all, &old);
    int e = pthread_create(&h->thread, NULL, help_lock, h);
    (void)pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (e != 0) {
        free(h);
        return XIPC__OS_FAIL(e, "pthread_create", NULL);
    }
    *out = h;
    return 0;
}

/* The process's idle helpers, shared by its lock handles, and how many lock handles are open: the
 * last close ends the idle helpers. Under the process-wide lock. pid: the process that made them
 * (a child forked without exec has the parent's handles, but none of its threads). */
static struct {
    struct xipc__posix_lock_helper *idle;
    size_t open_handles;
    pid_t pid;
} helpers;

static void
helpers_count_open_handle(void)
{
    xipc__os_global_lock();
    helpers.open_handles++;
    xipc__os_global_unlock();
}

/* Under the process-wide lock: forgets a parent's helpers. */
static void
helpers_check_pid(void)
{
    pid_t self = getpid();
    if (helpers.pid != self) {
        helpers.idle = NULL;
        helpers.pid = self;
    }
}

/* Takes an idle helper, or starts one: as many exist as threads have waited with a limit at once
 * (in any of the process's lock handles), until the last lock handle closes. */
static int
helper_take(struct xipc__posix_lock_helper **out)
{
    xipc__os_global_lock();
    helpers_check_pid();
    struct xipc__posix_lock_helper *h = helpers.idle;
    if (h != NULL)
        helpers.idle = h->next;
    xipc__os_global_unlock();
    if (h != NULL) {
        *out = h;
        return 0;
    }
    return helper_start(out);
}

static void
helper_give_back(struct xipc__posix_lock_helper *h)
{
    xipc__os_global_lock();
    h->next = helpers.idle;
    helpers.idle = h;
    xipc__os_global_unlock();
}

/* Waits until the helper answers (true) or dl passes; then the helper is abandoned (false),
 * unless its answer came just in time. */
static bool
await_answer(struct xipc__posix_lock_helper *h, xipc__deadline dl)
{
    uint32_t asked = HELPER_ASKED;
    while (atomic_load(&h->state) == HELPER_ASKED)
        if (xipc__posix_futex_wait(&h->state, HELPER_ASKED, dl) == XIPC_ETIMEDOUT)
            break;
    return !atomic_compare_exchange_strong(&h->state, &asked, HELPER_ABANDONED);
}

/* At the deadline, an abandoned helper: cancels it (in F_OFD_SETLKW, or on entering it) and
 * waits for it to end. The kernel may have granted the lock as the cancellation came, or just
 * before: it is given back. The handle holds nothing else in this range (common/flock.c refuses
 * overlaps), so this unlock drops no other lock. */
static int
helper_cancel(struct xipc__posix_lock_helper *h)
{
    (void)pthread_cancel(h->thread);
    (void)pthread_join(h->thread, NULL);
    struct flock unlock = h->fl;
    unlock.l_type = F_UNLCK;
    (void)fcntl(h->fd, F_OFD_SETLK, &unlock);
    free(h);
    return XIPC_ETIMEDOUT;
}

/* The wait, with the caller's cancellation off: a thread cancelled here would leave the helper
 * waiting with nobody to give the lock back. */
static int
lock_until(int fd, struct flock fl, int timeout_ms)
{
    int cancel_state;
    struct xipc__posix_lock_helper *h = NULL;
    xipc__deadline dl = xipc__deadline_in(timeout_ms);
    (void)pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel_state);
    int rc = helper_take(&h);
    if (rc == 0) {
        h->fd = fd;
        h->fl = fl;
        atomic_store(&h->state, HELPER_ASKED);
        xipc__posix_futex_wake(&h->state, 1);
        if (await_answer(h, dl)) {
            rc = h->err == 0 ? 0 : lock_failure(h->err);
            helper_give_back(h);
        } else
            rc = helper_cancel(h);
    }
    (void)pthread_setcancelstate(cancel_state, NULL);
    return rc;
}

/* A lock handle closes: the last one ends the idle helpers (none is busy: a wait is a call on an
 * open handle). */
static void
helpers_end_with_last_handle(void)
{
    struct xipc__posix_lock_helper *h = NULL;
    xipc__os_global_lock();
    helpers_check_pid();
    if (--helpers.open_handles == 0) {
        h = helpers.idle;
        helpers.idle = NULL;
    }
    xipc__os_global_unlock();
    while (h != NULL) {
        struct xipc__posix_lock_helper *next = h->next;
        atomic_store(&h->state, HELPER_QUIT);
        xipc__posix_futex_wake(&h->state, 1);
        (void)pthread_join(h->thread, NULL);
        free(h);
        h = next;
    }
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
    if (f->fd_plus1 > 0) {
        (void)close(f->fd_plus1 - 1);
        helpers_end_with_last_handle();
    }
    f->fd_plus1 = 0;
}

bool
xipc__os_flock_holds(const struct xipc__os_flock *f, intptr_t native)
{
    return f->fd_plus1 > 0 && native == f->fd_plus1 - 1;
}
