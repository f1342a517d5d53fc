/* posix/posix_sync.h: the shared-memory header behind POSIX events, mutexes and anonymous
 * semaphores, and the Linux primitives they rest on. Not part of the contract. */
#ifndef XIPC_POSIX_SYNC_H
#define XIPC_POSIX_SYNC_H

#include "posix_internal.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>

#define XIPC__SYNC_MAGIC   0x43504958u /* "XIPC" */
#define XIPC__SYNC_VERSION 1u

/* One per object, at offset 0 of its shared memory. Another process writes it, so every field is
 * input: magic, version and kind are checked when the object is opened, and the event words are
 * range-checked on every use. */
struct xipc__posix_sync_shm {
    _Atomic uint32_t magic; /* stored last, with release order, once the rest is initialised */
    uint32_t version;
    uint32_t kind; /* enum xipc__kind */
    uint32_t flags; /* events: XIPC_EVENT_MANUAL_RESET */
    /* Events: the futex word. Manual reset: 0 unset, 1 set. Auto reset: pending releases, at
     * most max(1, waiters), so each set releases one waiter. */
    _Atomic uint32_t state;
    _Atomic uint32_t waiters; /* events: processes in, or about to enter, a futex wait */
    union {
        pthread_mutex_t mutex; /* mutexes: robust, process-shared, recursive */
        sem_t sem; /* anonymous semaphores: process-shared */
    } u;
};

/* Opens or creates the shared memory of a named (name non-NULL) or anonymous object of kind and
 * maps it into s (fd_plus1, shm). A creator initialises the kind's part with init (flags and
 * initial as given to xipc__os_sync_open) before the magic is stored. */
typedef int (*xipc__posix_sync_init)(
    struct xipc__posix_sync_shm *shm, unsigned flags, unsigned initial);
int xipc__posix_sync_shm_open(enum xipc__kind kind, const char *name, unsigned flags,
    unsigned initial, xipc__posix_sync_init init, struct xipc__os_sync *s, bool *created);

/* Maps an inherited descriptor of kind into s after checking it. */
int xipc__posix_sync_shm_adopt(enum xipc__kind kind, int fd, struct xipc__os_sync *s);

/* Unmaps and closes. */
void xipc__posix_sync_shm_close(struct xipc__os_sync *s);

/* Removes "/NAME" from the shm namespace unless it holds an xipc object of another kind. */
int xipc__posix_sync_shm_unlink(enum xipc__kind kind, const char *name);

/* A new anonymous shared-memory descriptor, close-on-exec (posix_memfd.c: memfd_create on Linux).
 */
int xipc__posix_anon_shm(int *fd);

/* Futexes on a word in shared memory (posix_futex.c, Linux). wait returns 0 when woken, when the
 * word no longer holds expected, or on a signal (callers re-check), XIPC_ETIMEDOUT at dl. */
int xipc__posix_futex_wait(_Atomic uint32_t *word, uint32_t expected, xipc__deadline dl);
void xipc__posix_futex_wake(_Atomic uint32_t *word, int count);

/* Spins while try_take(s) returns 1 ("not yet"), for at most the handle's adaptive budget
 * (posix_spin.c) and never past dl. Returns try_take's last result: 0 taken, 1 not yet, or an
 * error. */
int xipc__posix_spin(_Atomic uint32_t *budget_ns, int (*try_take)(struct xipc__os_sync *),
                     struct xipc__os_sync *s, xipc__deadline dl);

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
