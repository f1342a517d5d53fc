/* posix/posix_mqueue.c: XIPC_MQ_POSIX queues (common/mq.h): the kernel's own message queues,
 * mq_open("/NAME"), for talking to programs that call mq_send and mq_receive themselves.
 *
 * They keep the kernel's rules where xipc's cannot be had: the limits of /proc/sys/fs/mqueue, keys
 * (priorities) below MQ_PRIO_MAX, and a receive needs a buffer of msg_max bytes (the kernel
 * refuses a smaller one before it looks at the message, so xipc cannot tell the message's size:
 * XIPC_EMSGSIZE with *len = msg_max, nothing taken). The timed calls take CLOCK_REALTIME
 * deadlines: each wait is computed from the monotonic deadline again after an ETIMEDOUT, so a
 * clock step neither ends a wait early nor makes it longer. Linux makes every queue descriptor
 * close-on-exec itself. */
#include "posix_internal.h"

#include "mq.h"

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PATH_CAP (XIPC_NAME_MAX + 2)

static mqd_t
mqd_of(const struct xipc_mq *q)
{
    return (mqd_t)(q->posix_plus1 - 1);
}

/* A descriptor for a name another user holds, or one open to others, is refused. */
static int
check_owner(mqd_t mqd, const char *name)
{
    struct stat st;
    if (fstat((int)mqd, &st) != 0)
        return XIPC__OS_FAIL(errno, "fstat", name);
    if (st.st_uid != geteuid() || (st.st_mode & 077) != 0)
        return XIPC__FAIL(XIPC_EACCES, "name: a queue of another user, or open to others");
    return 0;
}

static int
open_failure(int e, const char *name)
{
    int rc = XIPC__OS_FAIL(e, "mq_open", name);
    /* EINVAL: sizes past /proc/sys/fs/mqueue's limits; ENOSYS: no queues in this kernel. */
    return e == ENOSYS ? XIPC_ENOTSUP : rc;
}

/* Opens or creates as flags ask, as the sync families do (bounded against a name that others
 * keep creating and removing). */
static int
open_named(const char *path, const char *name, unsigned flags, struct mq_attr *attr, mqd_t *mqd,
    bool *created)
{
    for (int attempt = 0; attempt < 8; attempt++) {
        if (flags & XIPC_CREATE) {
            *mqd = mq_open(path, O_RDWR | O_CREAT | O_EXCL, 0600, attr);
            if (*mqd != (mqd_t)-1) {
                *created = true;
                return 0;
            }
            if (errno != EEXIST)
                return open_failure(errno, name);
            if (!(flags & XIPC_OPEN))
                return XIPC__OS_FAIL(EEXIST, "mq_open", name);
        }
        *mqd = mq_open(path, O_RDWR);
        if (*mqd != (mqd_t)-1)
            return 0;
        if (errno != ENOENT)
            return open_failure(errno, name);
        if (!(flags & XIPC_CREATE))
            return XIPC_ENOENT;
    }
    return XIPC_EBUSY;
}

int
xipc__os_mq_posix_open(const char *name, unsigned flags, size_t capacity, size_t msg_max,
    struct xipc_mq *q, bool *created)
{
    char path[PATH_CAP];
    struct mq_attr attr = { 0 };
    mqd_t mqd;
    *created = false;
    attr.mq_maxmsg = (long)capacity;
    attr.mq_msgsize = (long)msg_max;
    (void)snprintf(path, sizeof path, "/%s", name);
    int rc = open_named(path, name, flags, &attr, &mqd, created);
    if (rc != 0)
        return rc;
    if ((rc = check_owner(mqd, name)) == 0 && mq_getattr(mqd, &attr) != 0)
        rc = XIPC__OS_FAIL(errno, "mq_getattr", name);
    if (rc != 0) {
        if (*created)
            (void)mq_unlink(path);
        (void)mq_close(mqd);
        *created = false;
        return rc;
    }
    q->posix_plus1 = (intptr_t)mqd + 1;
    q->capacity = (uint32_t)attr.mq_maxmsg;
    q->msg_max = (uint32_t)attr.mq_msgsize;
    return 0;
}

/* The CLOCK_REALTIME time at which the monotonic deadline dl falls, as the timed calls take it;
 * a deadline already passed gives a time in the past (the calls then only try). */
static struct timespec
realtime_of(xipc__deadline dl)
{
    struct timespec now;
    (void)clock_gettime(CLOCK_REALTIME, &now);
    uint64_t mono = xipc__os_clock_ns(), left = dl > mono ? dl - mono : 0;
    uint64_t ns = (uint64_t)now.tv_nsec + left % 1000000000u;
    now.tv_sec += (time_t)(left / 1000000000u + ns / 1000000000u);
    now.tv_nsec = (long)(ns % 1000000000u);
    if (left == 0)
        now.tv_sec -= 1;
    return now;
}

/* Whether a timed call that said ETIMEDOUT (or EINTR) must be tried again: its deadline has not
 * passed on the monotonic clock. */
static bool
try_again(int e, xipc__deadline dl)
{
    return e == EINTR || (e == ETIMEDOUT && xipc__os_clock_ns() < dl);
}

static long
prio_max(void)
{
    long n = sysconf(_SC_MQ_PRIO_MAX);
    return n > 0 ? n : 32;
}

int
xipc__os_mq_posix_send(struct xipc_mq *q, const void *buf, size_t len, unsigned key, int timeout_ms)
{
    if ((long)key >= prio_max() || key > INT32_MAX)
        return XIPC__FAIL(XIPC_EINVAL, "key: at least MQ_PRIO_MAX, which a kernel queue refuses");
    xipc__deadline dl = xipc__deadline_in(timeout_ms);
    for (;;) {
        struct timespec at = realtime_of(dl);
        int r = dl == XIPC__DEADLINE_NEVER ? mq_send(mqd_of(q), buf, len, key)
                                           : mq_timedsend(mqd_of(q), buf, len, key, &at);
        if (r == 0)
            return 0;
        int e = errno;
        if (try_again(e, dl))
            continue;
        return e == ETIMEDOUT ? XIPC_ETIMEDOUT : XIPC__OS_FAIL(e, "mq_timedsend", NULL);
    }
}

int
xipc__os_mq_posix_recv(
    struct xipc_mq *q, void *buf, size_t cap, size_t *len, unsigned *key, int timeout_ms)
{
    if (cap < q->msg_max) {
        *len = q->msg_max;
        return XIPC__FAIL(XIPC_EMSGSIZE, "cap: below msg_max, which a kernel queue refuses");
    }
    xipc__deadline dl = xipc__deadline_in(timeout_ms);
    for (;;) {
        struct timespec at = realtime_of(dl);
        unsigned prio = 0;
        ssize_t n = dl == XIPC__DEADLINE_NEVER ? mq_receive(mqd_of(q), buf, cap, &prio)
                                               : mq_timedreceive(mqd_of(q), buf, cap, &prio, &at);
        if (n >= 0) {
            *len = (size_t)n;
            if (key != NULL)
                *key = prio;
            return 0;
        }
        int e = errno;
        if (try_again(e, dl))
            continue;
        return e == ETIMEDOUT ? XIPC_ETIMEDOUT : XIPC__OS_FAIL(e, "mq_timedreceive", NULL);
    }
}

int
xipc__os_mq_posix_count(struct xipc_mq *q, size_t *count)
{
    struct mq_attr attr;
    if (mq_getattr(mqd_of(q), &attr) != 0)
        return XIPC__OS_FAIL(errno, "mq_getattr", NULL);
    *count = attr.mq_curmsgs > 0 ? (size_t)attr.mq_curmsgs : 0;
    return 0;
}

void
xipc__os_mq_posix_close(struct xipc_mq *q)
{
    if (q->posix_plus1 != 0)
        (void)mq_close(mqd_of(q));
    q->posix_plus1 = 0;
}

int
xipc__os_mq_posix_unlink(const char *name)
{
    char path[PATH_CAP];
    (void)snprintf(path, sizeof path, "/%s", name);
    if (mq_unlink(path) == 0)
        return 0;
    int e = errno;
    return e == ENOENT ? XIPC_ENOENT : XIPC__OS_FAIL(e, "mq_unlink", name);
}
