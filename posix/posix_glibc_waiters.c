/* posix/posix_glibc_waiters.c: Linux and glibc only: a wait set's helper thread (posix_waitset.c)
 * sleeps on a semaphore's or a mutex's own futex word as one of glibc's own waiters, so that a
 * post or an unlock wakes it at once. The only file that knows glibc's layouts; the wait set asks
 * xipc__posix_waiters_work() first and looks at semaphores and mutexes between short sleeps where
 * it says no.
 *
 * What is relied on, as glibc 2.21 to 2.41 lay it out on 64-bit little-endian machines (the
 * "new" semaphore of nptl/sem_waitcommon.c and the robust mutexes of nptl/pthread_mutex_lock.c,
 * checked against 2.36):
 * - sem_t: one 64-bit word at offset 0, the value in its low 32 bits (the futex word) and the
 *   number of waiters in its high 32 bits. sem_post adds 1 to the value and, if the waiter count
 *   is not 0, wakes one sleeper of the value word (FUTEX_WAKE 1, shared for a process-shared or
 *   named semaphore). A waiter adds 1 to the count before it sleeps on a value of 0, and takes
 *   its 1 off again when it leaves.
 * - a robust process-shared mutex: the 32-bit lock word at offset 0 holds the owner's thread id
 *   (its low 30 bits), FUTEX_WAITERS (bit 31) while someone may sleep on it, FUTEX_OWNER_DIED
 *   (bit 30). A waiter sets FUTEX_WAITERS and sleeps on the word; an unlock stores 0 and, if
 *   FUTEX_WAITERS was set, wakes one sleeper (the kernel does the same for an owner that died).
 * A waiter woken by a wake meant for someone else must not swallow it: glibc wakes only one, so a
 * real sem_wait or pthread_mutex_lock sleeper would sleep on with the semaphore posted or the
 * mutex free. The helper takes nothing itself (the set's waiting thread tries), so every wake it
 * may have had is passed on to the next sleeper (xipc__posix_waiter_pass_on): a sleeper that
 * finds nothing for it sleeps again, which glibc's waiters do anyway.
 *
 * The layout is checked once, at the first semaphore or mutex a set watches: the loaded glibc's
 * version, then a semaphore and a mutex of this process used through the C library while their
 * words are read. A process killed while its set watched a semaphore leaves the count one too
 * high, as a killed sem_wait does: every post then makes one futex call, nothing is lost. */
#include "posix_sync.h"

#include <stdio.h> /* and features.h, which says __GLIBC__ */
#include <sys/syscall.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <gnu/libc-version.h>
#endif

#define SEM_WAITER_ONE   (UINT64_C(1) << 32) /* the waiter count's unit in the 64-bit word */
#define MUTEX_WAITERS    0x80000000u /* FUTEX_WAITERS */
#define MUTEX_OWNER_MASK 0x3fffffffu /* FUTEX_TID_MASK */

static sem_t *
sem_of(struct xipc__os_sync *s)
{
    return s->named_sem ? (sem_t *)s->named_sem : &s->shm->u.sem;
}

static _Atomic uint64_t *
sem_data(struct xipc__os_sync *s)
{
    return (_Atomic uint64_t *)(void *)sem_of(s);
}

/* The futex word of s: a semaphore's value, a mutex's lock word. */
static _Atomic uint32_t *
word_of(struct xipc__os_sync *s)
{
    if (s->kind == XIPC_KIND_SEM)
        return (_Atomic uint32_t *)(void *)sem_of(s);
    return (_Atomic uint32_t *)(void *)&s->shm->u.mutex;
}

/* glibc 2.21 or later: the 64-bit semaphore word. Another C library keeps its own layouts. */
static bool
version_fits(void)
{
#if defined(__GLIBC__)
    unsigned major = 0, minor = 0;
    return sizeof(void *) == 8 && sscanf(gnu_get_libc_version(), "%u.%u", &major, &minor) == 2 &&
        (major > 2 || (major == 2 && minor >= 21));
#else
    return false;
#endif
}

static uint64_t
load64(sem_t *sem)
{
    return atomic_load((_Atomic uint64_t *)(void *)sem);
}

/* A semaphore of this process, used through the C library, shows its value where it is read. */
static bool
sem_fits(void)
{
    sem_t sem;
    if (sizeof sem < sizeof(uint64_t) || sem_init(&sem, 1, 3) != 0)
        return false;
    bool fits = load64(&sem) == 3;
    fits = fits && sem_post(&sem) == 0 && load64(&sem) == 4;
    fits = fits && sem_trywait(&sem) == 0 && load64(&sem) == 3;
    (void)sem_destroy(&sem);
    return fits;
}

/* A mutex made as xipc makes them (robust, process-shared, recursive) holds its owner's thread id
 * in the lock word while locked, and 0 once unlocked. */
static bool
mutex_fits(void)
{
    pthread_mutexattr_t attr;
    pthread_mutex_t m;
    uint32_t tid = (uint32_t)syscall(SYS_gettid);
    _Atomic uint32_t *word = (_Atomic uint32_t *)(void *)&m;
    bool fits = false;
    if (pthread_mutexattr_init(&attr) != 0)
        return false;
    if (pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED) == 0 &&
        pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST) == 0 &&
        pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE) == 0 &&
        pthread_mutex_init(&m, &attr) == 0) {
        fits = atomic_load(word) == 0 && pthread_mutex_lock(&m) == 0;
        if (fits) {
            fits = atomic_load(word) == tid;
            (void)pthread_mutex_unlock(&m);
            fits = fits && atomic_load(word) == 0;
        }
        (void)pthread_mutex_destroy(&m);
    }
    (void)pthread_mutexattr_destroy(&attr);
    return fits;
}

bool
xipc__posix_waiters_work(void)
{
    static _Atomic int known; /* 0 not checked, 1 yes, 2 no */
    int k = atomic_load(&known);
    if (k == 0) {
        k = version_fits() && sem_fits() && mutex_fits() ? 1 : 2;
        atomic_store(&known, k);
    }
    return k == 1;
}

void
xipc__posix_waiter_join(struct xipc__os_sync *s)
{
    if (s->kind == XIPC_KIND_SEM)
        atomic_fetch_add(sem_data(s), SEM_WAITER_ONE);
}

void
xipc__posix_waiter_leave(struct xipc__os_sync *s)
{
    if (s->kind == XIPC_KIND_SEM)
        atomic_fetch_sub(sem_data(s), SEM_WAITER_ONE);
}

bool
xipc__posix_waiter_free(struct xipc__os_sync *s)
{
    uint32_t v = atomic_load(word_of(s));
    return s->kind == XIPC_KIND_SEM ? v != 0 : (v & MUTEX_OWNER_MASK) == 0;
}

bool
xipc__posix_waiter_arm(struct xipc__os_sync *s, _Atomic uint32_t **word, uint32_t *busy)
{
    *word = word_of(s);
    uint32_t v = atomic_load(*word);
    if (s->kind == XIPC_KIND_SEM) {
        *busy = 0;
        return v == 0;
    }
    /* As a glibc waiter does: FUTEX_WAITERS set on a held word, so that the unlock wakes. */
    for (;;) {
        if ((v & MUTEX_OWNER_MASK) == 0)
            return false;
        if ((v & MUTEX_WAITERS) != 0 ||
            atomic_compare_exchange_weak(*word, &v, v | MUTEX_WAITERS)) {
            *busy = v | MUTEX_WAITERS;
            return true;
        }
    }
}

void
xipc__posix_waiter_pass_on(struct xipc__os_sync *s)
{
    xipc__posix_futex_wake(word_of(s), 1);
}
