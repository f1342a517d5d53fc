/* posix/posix_sync.c: events and mutexes, and the kind dispatch of the synchronisation contract
 * (common/platform.h, "Events, semaphores, mutexes").
 *
 * Events are a state word in shared memory, waited on with a futex. Manual reset: 0 or 1.
 * Auto reset: the number of releases pending, which a set raises to at most max(1, waiters) and
 * each successful wait lowers by one, so every set releases one waiter, as SetEvent does, and a
 * set with nobody waiting leaves the event set for the next waiter. A waiter announces itself in
 * `waiters` before it checks the word and sleeps, and a setter reads `waiters` after it changed
 * the word (both sequentially consistent), so a wake-up is never lost.
 *
 * Mutexes are robust, process-shared, recursive pthread mutexes in the same header. */
#include "posix_sync.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* More pending releases than any number of real waiters: the word was not written by xipc. */
#define EVENT_STATE_LIMIT (1u << 24)

struct timespec
xipc__posix_abs_time(xipc__deadline dl)
{
    struct timespec ts = { (time_t)(dl / 1000000000u), (long)(dl % 1000000000u) };
    return ts;
}

/* ---- Dispatch ------------------------------------------------------------------------------- */

int
xipc__os_sync_open(enum xipc__kind kind, const char *name, unsigned flags, unsigned initial,
    struct xipc__os_sync *s, bool *created)
{
    *created = false;
    switch (kind) {
    case XIPC__KIND_EVENT: {
        int rc = xipc__posix_sync_shm_open(
            kind, name, flags, initial, xipc__posix_event_init, s, created);
        /* Read once: later reads of shared memory could see another process's scribbles. */
        if (rc == 0)
            s->manual_reset = (s->shm->flags & XIPC_EVENT_MANUAL_RESET) != 0;
        return rc;
    }
    case XIPC__KIND_MUTEX:
        return xipc__posix_sync_shm_open(
            kind, name, flags, initial, xipc__posix_mutex_init, s, created);
    case XIPC__KIND_SEM:
        return xipc__posix_sem_open(name, flags, initial, s, created);
    default:
        return XIPC_EINVAL;
    }
}

void
xipc__os_sync_close(struct xipc__os_sync *s)
{
    if (s->kind == XIPC__KIND_SEM)
        xipc__posix_sem_close(s);
    else
        xipc__posix_sync_shm_close(s);
    memset(s, 0, sizeof *s);
}

int
xipc__os_sync_unlink(enum xipc__kind kind, const char *name)
{
    return kind == XIPC__KIND_SEM ? xipc__posix_sem_unlink(name)
                                  : xipc__posix_sync_shm_unlink(kind, name);
}

int
xipc__os_sync_export(const struct xipc__os_sync *s, char *buf, size_t cap)
{
    /* A named semaphore has no descriptor: the child reopens it by name ("n:/NAME"). */
    int n = s->named_sem ? snprintf(buf, cap, "n:%s", s->sem_name)
                         : snprintf(buf, cap, "%d", s->fd_plus1 - 1);
    return (n < 0 || (size_t)n >= cap) ? XIPC_ENAMETOOLONG : 0;
}

int
xipc__os_sync_import(enum xipc__kind kind, const char *value, struct xipc__os_sync *s)
{
    intptr_t fd;
    if (kind == XIPC__KIND_SEM && strncmp(value, "n:", 2) == 0)
        return xipc__posix_sem_reopen(value + 2, s);
    if (xipc__parse_native(value, NULL, &fd) != 0)
        return XIPC_EINVAL;
    if (fd > INT_MAX)
        return XIPC_EBADF;
    int rc = xipc__posix_sync_shm_adopt(kind, (int)fd, s);
    if (rc == 0 && kind == XIPC__KIND_EVENT)
        s->manual_reset = (s->shm->flags & XIPC_EVENT_MANUAL_RESET) != 0;
    return rc;
}

size_t
xipc__os_sync_natives(const struct xipc__os_sync *s, intptr_t out[XIPC__NATIVES_MAX])
{
    if (s->named_sem)
        return 0;
    out[0] = s->fd_plus1 - 1;
    return 1;
}

/* ---- Events --------------------------------------------------------------------------------- */

int
xipc__posix_event_init(struct xipc__posix_sync_shm *shm, unsigned flags, unsigned initial)
{
    (void)initial;
    atomic_store(&shm->state, (flags & XIPC_EVENT_INITIAL_SET) ? 1u : 0u);
    atomic_store(&shm->waiters, 0u);
    return 0;
}

int
xipc__os_event_set(struct xipc__os_sync *s)
{
    struct xipc__posix_sync_shm *shm = s->shm;
    if (s->manual_reset) {
        atomic_store(&shm->state, 1u);
        if (atomic_load(&shm->waiters) > 0)
            xipc__posix_futex_wake(&shm->state, INT_MAX);
        return 0;
    }
    uint32_t st = atomic_load(&shm->state);
    for (;;) {
        uint32_t waiters = atomic_load(&shm->waiters);
        if (st >= EVENT_STATE_LIMIT)
            return XIPC_ECORRUPT;
        if (st >= (waiters > 1 ? waiters : 1u))
            return 0; /* already as set as it can be: a release is pending for every waiter */
        if (atomic_compare_exchange_weak(&shm->state, &st, st + 1))
            break;
    }
    if (atomic_load(&shm->waiters) > 0)
        xipc__posix_futex_wake(&shm->state, 1);
    return 0;
}

int
xipc__os_event_reset(struct xipc__os_sync *s)
{
    atomic_store(&s->shm->state, 0u);
    return 0;
}

/* Takes the event if it is set: 0 taken, 1 not set, or XIPC_ECORRUPT. */
static int
event_try(struct xipc__os_sync *s)
{
    uint32_t st = atomic_load(&s->shm->state);
    for (;;) {
        if (st >= EVENT_STATE_LIMIT || (s->manual_reset && st > 1))
            return XIPC_ECORRUPT;
        if (st == 0)
            return 1;
        if (s->manual_reset || atomic_compare_exchange_weak(&s->shm->state, &st, st - 1))
            return 0;
    }
}

int
xipc__os_event_wait(struct xipc__os_sync *s, xipc__deadline dl)
{
    struct xipc__posix_sync_shm *shm = s->shm;
    int rc = event_try(s);
    if (rc == 1 && xipc__deadline_left_ms(dl) != 0)
        rc = xipc__posix_spin(&s->spin_ns, event_try, s, dl);
    if (rc <= 0)
        return rc;
    for (;;) {
        atomic_fetch_add(&shm->waiters, 1u);
        /* Check again now that a setter will see us, then sleep only while the word is 0. */
        rc = event_try(s);
        if (rc == 1)
            rc = xipc__posix_futex_wait(&shm->state, 0, dl) == XIPC_ETIMEDOUT ? XIPC_ETIMEDOUT : 1;
        atomic_fetch_sub(&shm->waiters, 1u);
        if (rc == XIPC_ETIMEDOUT)
            return event_try(s) == 0 ? 0 : XIPC_ETIMEDOUT;
        if (rc <= 0 || (rc = event_try(s)) <= 0)
            return rc;
    }
}

/* ---- Mutexes -------------------------------------------------------------------------------- */

int
xipc__posix_mutex_init(struct xipc__posix_sync_shm *shm, unsigned flags, unsigned initial)
{
    pthread_mutexattr_t attr;
    int e;
    (void)flags;
    (void)initial;
    if ((e = pthread_mutexattr_init(&attr)) != 0)
        return XIPC__OS_FAIL(e, "pthread_mutexattr_init", NULL);
    if ((e = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED)) == 0 &&
        (e = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST)) == 0 &&
        (e = pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE)) == 0)
        e = pthread_mutex_init(&shm->u.mutex, &attr);
    (void)pthread_mutexattr_destroy(&attr);
    return e == 0 ? 0 : XIPC__OS_FAIL(e, "pthread_mutex_init", NULL);
}

static int
mutex_result(int e, const char *call)
{
    switch (e) {
    case 0:
        return 0;
    case EOWNERDEAD:
        return XIPC_EOWNERDEAD;
    case ENOTRECOVERABLE:
        return XIPC_ENOTRECOVERABLE;
    case EBUSY:
    case ETIMEDOUT:
        return XIPC_ETIMEDOUT;
    case EAGAIN:
        return XIPC_ELIMIT; /* the recursion count is exhausted */
    case EPERM:
        return XIPC_EPERM;
    default:
        return XIPC__OS_FAIL(e, call, NULL);
    }
}

int
xipc__os_mutex_lock(struct xipc__os_sync *s, xipc__deadline dl)
{
    pthread_mutex_t *m = &s->shm->u.mutex;
    if (dl == XIPC__DEADLINE_NEVER)
        return mutex_result(pthread_mutex_lock(m), "pthread_mutex_lock");
    /* A zero timeout also takes the timed path, with a deadline already passed: glibc's
     * pthread_mutex_trylock leaves a not-recoverable robust mutex locked when it reports
     * ENOTRECOVERABLE (seen with glibc 2.36), so nobody could take it afterwards. */
    struct timespec abs = xipc__posix_abs_time(dl);
#if XIPC_HAVE_PTHREAD_MUTEX_CLOCKLOCK
    return mutex_result(
        pthread_mutex_clocklock(m, CLOCK_MONOTONIC, &abs), "pthread_mutex_clocklock");
#else
    /* Only CLOCK_REALTIME here: convert, and accept drift if the wall clock jumps. */
    struct timespec now_rt;
    uint64_t now = xipc__os_clock_ns(), left = dl > now ? dl - now : 0;
    (void)clock_gettime(CLOCK_REALTIME, &now_rt);
    uint64_t rt = (uint64_t)now_rt.tv_sec * 1000000000u + (uint64_t)now_rt.tv_nsec + left;
    abs.tv_sec = (time_t)(rt / 1000000000u);
    abs.tv_nsec = (long)(rt % 1000000000u);
    return mutex_result(pthread_mutex_timedlock(m, &abs), "pthread_mutex_timedlock");
#endif
}

int
xipc__os_mutex_consistent(struct xipc__os_sync *s)
{
    int e = pthread_mutex_consistent(&s->shm->u.mutex);
    return e == EINVAL ? XIPC_EINVAL : mutex_result(e, "pthread_mutex_consistent");
}

int
xipc__os_mutex_unlock(struct xipc__os_sync *s)
{
    return mutex_result(pthread_mutex_unlock(&s->shm->u.mutex), "pthread_mutex_unlock");
}
