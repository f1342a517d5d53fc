/* posix/posix_epoll.c: Linux-only: the wait sets' poller (posix_waitset.h) on epoll, level-
 * triggered, with an eventfd for wakes. A wait costs the same however many idle descriptors the
 * epoll set holds. A BSD or macOS port replaces this file with kqueue (EVFILT_READ, _WRITE, and
 * EVFILT_USER for the wake). */
#include "posix_waitset.h"

#include <errno.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

/* The most epoll events one wait takes in; more ready descriptors wait for the next call. */
#define EPOLL_BATCH 64

static uint32_t
epoll_events_of(unsigned events)
{
    uint32_t e = 0;
    if (events & XIPC_WAITSET_READ)
        e |= EPOLLIN | EPOLLRDHUP;
    if (events & XIPC_WAITSET_WRITE)
        e |= EPOLLOUT;
    return e;
}

/* Hang-ups and errors make both directions ready: a read gives the end or the error, a write the
 * error (XIPC_EPIPE), without waiting. The caller keeps only what the entry asked for. */
static unsigned
ready_of(uint32_t e)
{
    unsigned ready = 0;
    if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        ready |= XIPC_WAITSET_READ;
    if (e & (EPOLLOUT | EPOLLHUP | EPOLLERR))
        ready |= XIPC_WAITSET_WRITE;
    return ready;
}

/* A non-blocking eventfd in the poller under key. */
static int
eventfd_add(int ep, uint64_t key, int *fd)
{
    int ev = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (ev < 0)
        return XIPC__OS_FAIL(errno, "eventfd", NULL);
    struct epoll_event ee = { .events = EPOLLIN, .data.u64 = key };
    if (epoll_ctl(ep, EPOLL_CTL_ADD, ev, &ee) != 0) {
        int e = errno;
        (void)close(ev);
        return XIPC__OS_FAIL(e, "epoll_ctl", "eventfd");
    }
    *fd = ev;
    return 0;
}

int
xipc__posix_poller_open(int *poller, int *wake, int *notify)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        return XIPC__OS_FAIL(errno, "epoll_create1", NULL);
    int rc = eventfd_add(ep, XIPC__POLLER_WAKE_KEY, wake);
    if (rc == 0 && (rc = eventfd_add(ep, XIPC__POLLER_NOTIFY_KEY, notify)) != 0)
        (void)close(*wake);
    if (rc != 0) {
        (void)close(ep);
        return rc;
    }
    *poller = ep;
    return 0;
}

void
xipc__posix_poller_close(int poller, int wake, int notify)
{
    (void)close(notify);
    (void)close(wake);
    (void)close(poller);
}

static int
poller_ctl(int poller, int op, int fd, unsigned events, uint64_t key)
{
    struct epoll_event ee = { .events = epoll_events_of(events), .data.u64 = key };
    if (epoll_ctl(poller, op, fd, &ee) == 0)
        return 0;
    int e = errno;
    /* EPERM: a descriptor epoll cannot watch (a regular file, which is always ready). */
    if (e == EPERM)
        return XIPC__FAIL(XIPC_ENOTSUP, "h: a descriptor epoll cannot watch (a regular file)");
    return XIPC__OS_FAIL(e, "epoll_ctl", NULL);
}

int
xipc__posix_poller_add(int poller, int fd, unsigned events, uint64_t key)
{
    return poller_ctl(poller, EPOLL_CTL_ADD, fd, events, key);
}

int
xipc__posix_poller_modify(int poller, int fd, unsigned events, uint64_t key)
{
    return poller_ctl(poller, EPOLL_CTL_MOD, fd, events, key);
}

void
xipc__posix_poller_remove(int poller, int fd)
{
    struct epoll_event ee = { 0 }; /* kernels before 2.6.9 wanted one, even for DEL */
    (void)epoll_ctl(poller, EPOLL_CTL_DEL, fd, &ee);
}

int
xipc__posix_poller_wait(int poller, const int drain[2], struct xipc__posix_ready *out, int cap,
    int64_t timeout_us, int *count)
{
    struct epoll_event ee[EPOLL_BATCH];
    struct timespec ts = { (time_t)(timeout_us / 1000000), (long)(timeout_us % 1000000) * 1000 };
    *count = 0;
    /* epoll_pwait2 (Linux 5.11) takes the sub-millisecond pauses between looks at futex-backed
     * objects; epoll_wait rounds them up to a millisecond. */
    int max = cap < EPOLL_BATCH ? cap : EPOLL_BATCH, got = -1;
#if XIPC_HAVE_EPOLL_PWAIT2
    got = epoll_pwait2(poller, ee, max, timeout_us < 0 ? NULL : &ts, NULL);
    if (got < 0 && errno == ENOSYS)
#endif
        got = epoll_wait(poller, ee, max, timeout_us < 0 ? -1 : (int)((timeout_us + 999) / 1000));
    if (got < 0) {
        int e = errno;
        return e == EINTR ? 0 : XIPC__OS_FAIL(e, "epoll_wait", NULL);
    }
    for (int i = 0; i < got; i++) {
        out[i].key = ee[i].data.u64;
        out[i].events = ready_of(ee[i].events);
        if (out[i].key >= XIPC__POLLER_NOTIFY_KEY) {
            uint64_t v; /* consumed: several wakes count as one */
            (void)!read(drain[out[i].key == XIPC__POLLER_WAKE_KEY ? 0 : 1], &v, sizeof v);
        }
    }
    *count = got;
    return 0;
}

int
xipc__posix_poller_wake(int fd)
{
    uint64_t one = 1;
    if (write(fd, &one, sizeof one) == (ssize_t)sizeof one)
        return 0;
    int e = errno;
    /* EAGAIN: the counter is at its maximum, so a wake is pending anyway. */
    return e == EAGAIN ? 0 : XIPC__OS_FAIL(e, "write", "eventfd");
}
