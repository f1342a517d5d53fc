/* posix/posix_sync.h: the shared-memory header behind POSIX events, mutexes and anonymous
 * semaphores, and the Linux primitives they rest on. Not part of the contract. */
#ifndef XIPC_POSIX_SYNC_H
#define XIPC_POSIX_SYNC_H

#include "posix_internal.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>

#define XIPC__SYNC_MAGIC   0x43504958u /* "XIPC" */
#define XIPC__SYNC_VERSION 2u /* 2: events count their sleeping waiters in slots */

/* How many waiters of one event may sleep in the kernel at once, each holding one waiter slot
 * (posix_sync.c); one bit each in a 64-bit mask. Waiters beyond them poll (xipc/sync.h). */
#define XIPC__EVENT_SLOTS 64

/* The mask is shared between processes, so its atomics must not fall back to a lock that lives
 * in one process. */
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics must be lock-free");

/* An event's waiter slots: robust, process-shared mutexes. A waiter about to sleep in the kernel
 * holds one, so the kernel itself says whether it lives: a slot whose holder died is marked
 * (EOWNERDEAD) at its death. census serialises the setters that count the live ones. */
struct xipc__posix_event_slots {
    pthread_mutex_t census;
    pthread_mutex_t slot[XIPC__EVENT_SLOTS];
};

/* One per object, at offset 0 of its shared memory. Another process writes it, so every field is
 * input: magic, version and kind are checked when the object is opened, and the event words are
 * range-checked on every use. */
struct xipc__posix_sync_shm {
    _Atomic uint32_t magic; /* stored last, with release order, once the rest is initialised */
    uint32_t version;
    uint32_t kind; /* enum xipc_kind */
    uint32_t flags; /* events: XIPC_EVENT_MANUAL_RESET */
    /* Events: the futex word. Manual reset: 0 unset, 1 set. Auto reset: pending releases, at
     * most max(1, live sleeping waiters), so each set releases one waiter. */
    _Atomic uint32_t state;
    uint32_t reserved;
    /* Events: bit i is set while the holder of waiter slot i sleeps, or is about to, on state. */
    _Atomic uint64_t sleepers;
    union {
        pthread_mutex_t mutex; /* mutexes: robust, process-shared, recursive */
        sem_t sem; /* anonymous semaphores: process-shared */
        struct xipc__posix_event_slots event; /* events */
    } u;
};

/* Opens or creates the shared memory of a named (name non-NULL) or anonymous object of kind and
 * maps it into s (fd_plus1, shm). A creator initialises the kind's part with init (flags and
 * initial as given to xipc__os_sync_open) before the magic is stored. */
typedef int (*xipc__posix_sync_init)(
    struct xipc__posix_sync_shm *shm, unsigned flags, unsigned initial);
int xipc__posix_sync_shm_open(enum xipc_kind kind, const char *name, unsigned flags,
    unsigned initial, xipc__posix_sync_init init, struct xipc__os_sync *s, bool *created);

/* Maps an inherited descriptor of kind into s after checking, at once and before changing
 * anything, that it is a whole xipc object of that kind (XIPC_EINVAL otherwise: a pipe, a
 * socket, a device, a file) and not one a handle of this process holds (XIPC_EEXIST). */
int xipc__posix_sync_shm_adopt(enum xipc_kind kind, int fd, struct xipc__os_sync *s);

/* Unmaps and closes. */
void xipc__posix_sync_shm_close(struct xipc__os_sync *s);

/* Removes "/xipc:NAME" unless it holds an xipc object of another kind (XIPC_EINVAL) or is not
 * ours to remove (XIPC_EACCES: another user's, open to others, or a link). */
int xipc__posix_sync_shm_unlink(enum xipc_kind kind, const char *name);

/* A new anonymous shared-memory descriptor, close-on-exec (posix_memfd.c: memfd_create on Linux,
 * else a temporary shm_open name). XIPC_EBUSY when every temporary name tried was taken. */
int xipc__posix_anon_shm(int *fd);

/* Futexes on a word in shared memory (posix_futex.c, Linux). wait returns 0 when woken, when the
 * word no longer holds expected, or on a signal (callers re-check), XIPC_ETIMEDOUT at dl. */
int xipc__posix_futex_wait(_Atomic uint32_t *word, uint32_t expected, xipc__deadline dl);
void xipc__posix_futex_wake(_Atomic uint32_t *word, int count);

/* A wait set's helper thread watching an event (posix_sync.c): _watch takes one of its waiter
 * slots, held by the calling thread, and marks it sleeping, so that every set of the event wakes
 * its state word (the futex word _word gives, 0 while unset); -1 when every slot is held. The
 * helper counts as a waiter for the setters: an auto-reset event set while it watches keeps one
 * more release pending, as a second waiter would. _unwatch, in the same thread, lets it go. */
int xipc__posix_event_watch(struct xipc__os_sync *s);
void xipc__posix_event_unwatch(struct xipc__os_sync *s, int slot);
_Atomic uint32_t *xipc__posix_event_word(struct xipc__os_sync *s);

/* Linux 5.16+'s futex_waitv (posix_futex_waitv.c): waits until one of the n (at most
 * XIPC__FUTEX_WAITV_MAX) shared futex words no longer holds its value in vals, or a wake on one
 * of them, whose index goes to *woken (n when none was woken: EINTR, or a word differed at once).
 * Returns 0 (the caller looks again), XIPC_ENOTSUP where the kernel lacks the call, or the
 * failure. */
#define XIPC__FUTEX_WAITV_MAX 128
int xipc__posix_futex_waitv(
    _Atomic uint32_t *const *words, const uint32_t *vals, size_t n, size_t *woken);

/* Whether the kernel has futex_waitv (asked once). */
bool xipc__posix_futex_waitv_works(void);

/* A wait set's helper thread sleeping on a semaphore's or a mutex's own futex word as one of
 * glibc's waiters (posix_glibc_waiters.c, the one file that knows glibc's layouts).
 * _work: whether the loaded C library lays them out as relied on (checked once; where not, sets
 * look at them between short sleeps). _join / _leave: counted among the semaphore's sleepers
 * while watched, so that a post wakes its word (nothing for a mutex). _arm: true with the word
 * to sleep on and the value it holds while the object is busy (a held mutex gets FUTEX_WAITERS,
 * so that its unlock wakes), false when it looks free now. _free: whether it looks free.
 * _pass_on: gives the next sleeper the wake the helper may have had (it takes nothing itself). */
bool xipc__posix_waiters_work(void);
void xipc__posix_waiter_join(struct xipc__os_sync *s);
void xipc__posix_waiter_leave(struct xipc__os_sync *s);
bool xipc__posix_waiter_arm(struct xipc__os_sync *s, _Atomic uint32_t **word, uint32_t *busy);
bool xipc__posix_waiter_free(struct xipc__os_sync *s);
void xipc__posix_waiter_pass_on(struct xipc__os_sync *s);

/* Spins while try_take(s) returns 1 ("not yet"), for at most the handle's adaptive budget
 * (posix_spin.c) and never past dl. Returns try_take's last result: 0 taken, 1 not yet, or an
 * error. */
int xipc__posix_spin(_Atomic uint32_t *budget_ns, int (*try_take)(struct xipc__os_sync *),
    struct xipc__os_sync *s, xipc__deadline dl);

/* What the named event or mutex "/xipc:NAME" holds, without waiting or following a link: *kind
 * is its enum xipc_kind, or 0 while it is not a whole xipc object (a creator died while making
 * it). 0, XIPC_ENOENT, XIPC_EACCES (not the user's alone, or a link). */
int xipc__posix_sync_shm_inspect(const char *name, uint32_t *kind);

/* The kinds' calls, in posix_sync.c (events, mutexes) and posix_sem.c. */
int xipc__posix_event_init(struct xipc__posix_sync_shm *shm, unsigned flags, unsigned initial);
int xipc__posix_mutex_init(struct xipc__posix_sync_shm *shm, unsigned flags, unsigned initial);
int xipc__posix_sem_open(
    const char *name, unsigned flags, unsigned initial, struct xipc__os_sync *s, bool *created);
int xipc__posix_sem_reopen(const char *value, struct xipc__os_sync *s);
void xipc__posix_sem_close(struct xipc__os_sync *s);
int xipc__posix_sem_unlink(const char *name);

/* A CLOCK_MONOTONIC deadline as the absolute timespec pthread and semaphore calls take. */
struct timespec xipc__posix_abs_time(xipc__deadline dl);

#endif /* XIPC_POSIX_SYNC_H */
