/* posix/posix_sync.c: events and mutexes, and the kind dispatch of the synchronisation contract
 * (common/platform.h, "Events, semaphores, mutexes").
 *
 * Events are a state word in shared memory, waited on with a futex. Manual reset: 0 or 1.
 * Auto reset: the number of releases pending, which a set raises to at most max(1, live
 * sleeping waiters) and each successful wait lowers by one, so every set releases one waiter, as
 * SetEvent does, and a set with nobody waiting leaves the event set for the next waiter.
 *
 * Who sleeps is known from the kernel, not from a count a waiter keeps: a process killed while
 * it waits cannot undo its own count, and a count left raised would let later sets pile up
 * releases for waiters that are gone. A waiter that must sleep first takes
 * one of the event's waiter slots, a robust process-shared mutex, which the kernel marks when
 * its holder dies, and sets the slot's bit in `sleepers`; it clears the bit and lets the slot go
 * once it has taken the event or given up. A setter counts only when the count matters, on an
 * event that is already set: then it probes each claimed slot with a trylock (busy: a live
 * waiter; EOWNERDEAD: a dead one, whose slot it frees). The waiter sets its bit before it checks
 * the word and sleeps, and a setter reads the mask after it changed the word (both sequentially
 * consistent), so a wake-up is never lost. Waiters find no slot only beyond XIPC__EVENT_SLOTS at
 * once; they poll. A waiter still spinning (posix_spin.c) holds no slot and is not counted.
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
xipc__os_sync_open(enum xipc_kind kind, const char *name, unsigned flags, unsigned initial,
    struct xipc__os_sync *s, bool *created)
{
    *created = false;
    switch (kind) {
    case XIPC_KIND_EVENT: {
        int rc = xipc__posix_sync_shm_open(
            kind, name, flags, initial, xipc__posix_event_init, s, created);
        /* Read once: later reads of shared memory could see another process's scribbles. */
        if (rc == 0)
            s->manual_reset = (s->shm->flags & XIPC_EVENT_MANUAL_RESET) != 0;
        return rc;
    }
    case XIPC_KIND_MUTEX:
        return xipc__posix_sync_shm_open(
            kind, name, flags, initial, xipc__posix_mutex_init, s, created);
    case XIPC_KIND_SEM:
        return xipc__posix_sem_open(name, flags, initial, s, created);
    default:
        return XIPC_EINVAL;
    }
}

void
xipc__os_sync_close(struct xipc__os_sync *s)
{
    if (s->kind == XIPC_KIND_SEM)
        xipc__posix_sem_close(s);
    else
        xipc__posix_sync_shm_close(s);
    memset(s, 0, sizeof *s);
}

int
xipc__os_sync_unlink(enum xipc_kind kind, const char *name)
{
    return kind == XIPC_KIND_SEM ? xipc__posix_sem_unlink(name)
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
xipc__os_sync_import(enum xipc_kind kind, const char *value, struct xipc__os_sync *s)
{
    intptr_t fd;
    if (kind == XIPC_KIND_SEM && strncmp(value, "n:", 2) == 0)
        return xipc__posix_sem_reopen(value + 2, s);
    if (xipc__parse_native(value, NULL, &fd) != 0)
        return XIPC_EINVAL;
    if (fd > INT_MAX)
        return XIPC_EBADF;
    int rc = xipc__posix_sync_shm_adopt(kind, (int)fd, s);
    if (rc == 0 && kind == XIPC_KIND_EVENT)
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

bool
xipc__os_sync_holds(const struct xipc__os_sync *s, intptr_t native)
{
    /* A named semaphore holds no descriptor: sem_open closes its own once mapped. */
    return s->fd_plus1 > 0 && native == s->fd_plus1 - 1;
}

void
xipc__os_sync_waitable(const struct xipc__os_sync *s, struct xipc__wait *w)
{
    /* A state word or a sem_t in shared memory, woken by futexes: no descriptor says that it
     * changed, so a wait set needs a helper (a thread that waits, or an eventfd the setters
     * write, as the wait set issue decides). */
    (void)s;
    w->how = XIPC__WAIT_HELPER;
}

/* ---- Robust mutexes ------------------------------------------------------------------------ */

/* Initialises count robust, process-shared mutexes of the given type at m. */
static int
robust_mutexes_init(pthread_mutex_t *m, int count, int type)
{
    pthread_mutexattr_t attr;
    int e;
    if ((e = pthread_mutexattr_init(&attr)) != 0)
        return XIPC__OS_FAIL(e, "pthread_mutexattr_init", NULL);
    if ((e = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED)) == 0 &&
        (e = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST)) == 0 &&
        (e = pthread_mutexattr_settype(&attr, type)) == 0) {
        for (int i = 0; i < count && e == 0; i++)
            e = pthread_mutex_init(&m[i], &attr);
    }
    (void)pthread_mutexattr_destroy(&attr);
    return e == 0 ? 0 : XIPC__OS_FAIL(e, "pthread_mutex_init", NULL);
}

/* pthread_mutex_trylock that takes over a mutex whose owner died: 0 (now held), EBUSY, or
 * ENOTRECOVERABLE. *was_dead tells whether the owner had died. */
static int
robust_trylock(pthread_mutex_t *m, bool *was_dead)
{
    int e = pthread_mutex_trylock(m);
    *was_dead = e == EOWNERDEAD;
    if (e == EOWNERDEAD)
        e = pthread_mutex_consistent(m);
    return e;
}

/* ---- Events --------------------------------------------------------------------------------- */

/* How long, at most, a waiter that found no free slot pauses between two looks at the word. */
#define EVENT_POLL_MAX_MS 8u

int
xipc__posix_event_init(struct xipc__posix_sync_shm *shm, unsigned flags, unsigned initial)
{
    (void)initial;
    atomic_store(&shm->state, (flags & XIPC_EVENT_INITIAL_SET) ? 1u : 0u);
    atomic_store(&shm->sleepers, 0u);
    int rc = robust_mutexes_init(&shm->u.event.census, 1, PTHREAD_MUTEX_NORMAL);
    if (rc != 0)
        return rc;
    return robust_mutexes_init(shm->u.event.slot, XIPC__EVENT_SLOTS, PTHREAD_MUTEX_NORMAL);
}

/* Takes a waiter slot: its index, or -1 when every slot is held. Slots whose bit is clear are
 * tried first; then the others, whose holder may have died with its bit set. */
static int
slot_claim(struct xipc__posix_sync_shm *shm)
{
    uint64_t claimed = atomic_load(&shm->sleepers);
    bool was_dead;
    for (uint64_t pass = 0; pass < 2; pass++) {
        for (int i = 0; i < XIPC__EVENT_SLOTS; i++) {
            if (((claimed >> i) & 1u) == pass &&
                robust_trylock(&shm->u.event.slot[i], &was_dead) == 0)
                return i;
        }
    }
    return -1;
}

static void
slot_release(struct xipc__posix_sync_shm *shm, int i)
{
    atomic_fetch_and(&shm->sleepers, ~(UINT64_C(1) << i));
    (void)pthread_mutex_unlock(&shm->u.event.slot[i]);
}

/* The number of waiters sleeping, or about to, that are alive: each claimed slot is probed with
 * a trylock. Busy: its holder lives. Its holder died: the kernel marked the robust mutex, and the
 * slot is freed here. Free: its holder is on its way out. Setters count one at a time (census),
 * so a probe, which holds a slot for a moment, is never counted as a waiter by another setter.
 * XIPC_ECORRUPT if the census mutex is unusable, which no xipc process makes it. */
static int
live_sleepers(struct xipc__posix_sync_shm *shm)
{
    struct xipc__posix_event_slots *ev = &shm->u.event;
    int live = 0, e = pthread_mutex_lock(&ev->census);
    bool was_dead;
    if (e == EOWNERDEAD)
        e = pthread_mutex_consistent(&ev->census);
    if (e != 0)
        return XIPC_ECORRUPT;
    uint64_t claimed = atomic_load(&shm->sleepers);
    for (int i = 0; i < XIPC__EVENT_SLOTS; i++) {
        if (((claimed >> i) & 1u) == 0)
            continue;
        e = robust_trylock(&ev->slot[i], &was_dead);
        if (e == EBUSY)
            live++;
        else if (e == 0 && was_dead)
            slot_release(shm, i);
        else if (e == 0)
            (void)pthread_mutex_unlock(&ev->slot[i]);
    }
    (void)pthread_mutex_unlock(&ev->census);
    return live;
}

/* Adds a pending release to an event whose word was st when the caller found it set, unless as
 * many are pending as live waiters can take (at least one). 1 added, 0 not, or XIPC_ECORRUPT. */
static int
raise_pending(struct xipc__posix_sync_shm *shm, uint32_t st)
{
    int live = -1;
    for (;;) {
        if (st >= EVENT_STATE_LIMIT)
            return XIPC_ECORRUPT;
        uint32_t cap = 1;
        if (st >= 1 && atomic_load(&shm->sleepers) != 0) {
            if (live < 0 && (live = live_sleepers(shm)) < 0)
                return live;
            cap = live > 1 ? (uint32_t)live : 1u;
        }
        /* Already as set as it can be, a release pending for every waiter: nothing to add, but
         * only if the word still holds st. st may be older than the count: a waiter that took a
         * release and left since st was read is no longer counted, and a set judged on the old
         * word would be lost (seen under load: two sets, two waiters, one release). On a changed
         * word (the CAS puts it in st), decide again. */
        if (st >= cap) {
            if (atomic_compare_exchange_strong(&shm->state, &st, st))
                return 0;
            continue;
        }
        if (atomic_compare_exchange_weak(&shm->state, &st, st + 1))
            return 1;
    }
}

int
xipc__os_event_set(struct xipc__os_sync *s)
{
    struct xipc__posix_sync_shm *shm = s->shm;
    if (s->manual_reset) {
        atomic_store(&shm->state, 1u);
        if (atomic_load(&shm->sleepers) != 0)
            xipc__posix_futex_wake(&shm->state, INT_MAX);
        return 0;
    }
    /* From unset to set needs no count of the waiters: one release is always allowed. */
    uint32_t st = 0;
    if (!atomic_compare_exchange_strong(&shm->state, &st, 1u)) {
        int rc = raise_pending(shm, st);
        if (rc <= 0)
            return rc;
    }
    if (atomic_load(&shm->sleepers) != 0)
        xipc__posix_futex_wake(&shm->state, 1);
    return 0;
}

/* ---- Watching an event for a wait set ------------------------------------------------------ */

int
xipc__posix_event_watch(struct xipc__os_sync *s)
{
    int slot = slot_claim(s->shm);
    if (slot >= 0)
        atomic_fetch_or(&s->shm->sleepers, UINT64_C(1) << slot);
    return slot;
}

void
xipc__posix_event_unwatch(struct xipc__os_sync *s, int slot)
{
    slot_release(s->shm, slot);
}

_Atomic uint32_t *
xipc__posix_event_word(struct xipc__os_sync *s)
{
    return &s->shm->state;
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

/* Sleeps in the kernel while holding waiter slot `slot` until the event is taken (0), dl passes
 * (XIPC_ETIMEDOUT) or the word is corrupt (XIPC_ECORRUPT), then lets the slot go. The slot is
 * held until the release is taken, so that a set that comes between our wake-up and our take
 * still counts us, and raises a release for the other waiters too. */
static int
event_sleep(struct xipc__os_sync *s, int slot, xipc__deadline dl)
{
    struct xipc__posix_sync_shm *shm = s->shm;
    int rc;
    atomic_fetch_or(&shm->sleepers, UINT64_C(1) << slot);
    /* Check again now that a setter will see us, then sleep only while the word is 0. A wake-up
     * for nothing (another waiter took it), or a signal, sleeps again. */
    while ((rc = event_try(s)) == 1) {
        if (xipc__posix_futex_wait(&shm->state, 0, dl) == XIPC_ETIMEDOUT) {
            rc = event_try(s); /* one more look: a set that came with the timeout counts */
            rc = rc == 1 ? XIPC_ETIMEDOUT : rc;
            break;
        }
    }
    slot_release(shm, slot);
    return rc;
}

int
xipc__os_event_wait(struct xipc__os_sync *s, xipc__deadline dl)
{
    unsigned pause_ms = 1;
    int rc = event_try(s);
    if (rc != 1)
        return rc;
    if (xipc__deadline_left_ms(dl) == 0)
        return XIPC_ETIMEDOUT;
    rc = xipc__posix_spin(&s->spin_ns, event_try, s, dl);
    while (rc == 1) {
        int slot = slot_claim(s->shm);
        if (slot >= 0) {
            rc = event_sleep(s, slot, dl);
        } else if (xipc__pause_before_retry(dl, &pause_ms, EVENT_POLL_MAX_MS) == 0) {
            rc = event_try(s); /* every slot is held: poll, uncounted (xipc/sync.h) */
        } else {
            rc = event_try(s) == 0 ? 0 : XIPC_ETIMEDOUT;
        }
    }
    return rc;
}

/* ---- Mutexes -------------------------------------------------------------------------------- */

int
xipc__posix_mutex_init(struct xipc__posix_sync_shm *shm, unsigned flags, unsigned initial)
{
    (void)flags;
    (void)initial;
    return robust_mutexes_init(&shm->u.mutex, 1, PTHREAD_MUTEX_RECURSIVE);
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
